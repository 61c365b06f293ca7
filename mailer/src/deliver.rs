//! Where messages go: SES (SESv2 `SendEmail` with raw content, through the configuration set, so bounces
//! and complaints are reported and suppressed), or a local outbox folder with one `.eml` file per message
//! (`cargo dev`'s mailbox, tests), or nowhere (benchmarks).

use std::path::PathBuf;

use aws_sdk_sesv2::primitives::Blob;
use aws_sdk_sesv2::types::{Destination, EmailContent, RawMessage};

use crate::compose::OutgoingMail;
use opp_store::aws::{ClientError, ClientSettings, SdkParts};
use opp_store::mail_ledger::without_addresses;

/// The SESv2 client: the region, credentials, TLS and timeouts of every other client
/// (`opp_store::aws`), with the settings' endpoint (moto in the tests).
pub fn ses_client(settings: ClientSettings) -> Result<aws_sdk_sesv2::Client, ClientError> {
    Ok(opp_store::sdk_client!(
        aws_sdk_sesv2,
        SdkParts::of(settings)?
    ))
}

pub enum Sender {
    Ses {
        client: aws_sdk_sesv2::Client,
        from: String,
        configuration_set: Option<String>,
    },
    Outbox {
        dir: PathBuf,
    },
    /// Accepts every message and keeps none (benchmarks: the mailer's own cost, without a peer).
    Discard,
}

/// Sending failed; the reason is for logs and failure records and names no address.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SendError(pub String);

impl Sender {
    /// Sends `mail`; SES's message id when SES took it (its bounce or complaint names only that id).
    pub async fn send(&self, mail: &OutgoingMail) -> Result<Option<String>, SendError> {
        match self {
            Sender::Ses {
                client,
                from,
                configuration_set,
            } => {
                let raw = RawMessage::builder()
                    .data(Blob::new(mail.raw.clone()))
                    .build()
                    .map_err(|err| SendError(format!("raw message: {err}")))?;
                let sent = client
                    .send_email()
                    .from_email_address(from)
                    .destination(Destination::builder().to_addresses(&mail.to).build())
                    .content(EmailContent::builder().raw(raw).build())
                    .set_configuration_set_name(configuration_set.clone())
                    .send()
                    .await
                    .map_err(|err| {
                        SendError(without_addresses(&format!(
                            "SendEmail: {}",
                            aws_sdk_sesv2::error::DisplayErrorContext(&err)
                        )))
                    })?;
                Ok(sent.message_id().map(str::to_string))
            }
            Sender::Outbox { dir } => write_eml(dir, mail)
                .map(|()| None)
                .map_err(|err| SendError(format!("outbox {}: {err}", dir.display()))),
            Sender::Discard => Ok(None),
        }
    }
}

/// Writes the message whole (temporary file, then renamed), named so that names sort by arrival.
fn write_eml(dir: &std::path::Path, mail: &OutgoingMail) -> std::io::Result<()> {
    std::fs::create_dir_all(dir)?;
    let now = jiff::Timestamp::now();
    let stem = format!(
        "{}-{}-{:04x}",
        now.strftime("%Y%m%dT%H%M%S%.6fZ"),
        mail.kind.as_str(),
        std::process::id() as u16 ^ (now.subsec_nanosecond() as u16)
    );
    let temporary = dir.join(format!(".{stem}.tmp"));
    std::fs::write(&temporary, &mail.raw)?;
    std::fs::rename(&temporary, dir.join(format!("{stem}.eml")))
}
