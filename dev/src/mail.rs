//! `cargo dev`'s mail: the mailer's own batch function on the local store's stream, the poller standing in
//! for Lambda's event source mapping, delivering to `<state>/mail/` as one `.eml` file per message. The
//! mailbox (`mailbox.rs`) shows them at `/_mail/`. Templates are read from `theme/emails/` again when one of
//! them (or `config.yaml`) changed, so a wording edit shows in the next message.

use std::path::{Path, PathBuf};
use std::time::Duration;

use opp_mailer::Mailer;
use opp_mailer::deliver::Sender;
use opp_mailer::poller::Poller;
use opp_mailer::settings::{Mailbox, Site};
use opp_model::links::LinkKeys;
use opp_store::Store;
use opp_store::link_keys::LinkKeySource;

/// The outbox below the state folder.
pub const MAIL_DIR: &str = "mail";

/// How often the stream is read (Lambda's mapping polls about four times a second).
const POLL_EVERY: Duration = Duration::from_millis(500);

pub struct LocalMail {
    pub root: PathBuf,
    pub outbox: PathBuf,
    pub site_url: String,
    pub store: Store,
    pub endpoint: String,
    pub keys: LinkKeys,
}

/// The sender of local mail: the site's name at its own domain.
fn sender(root: &Path) -> anyhow::Result<Mailbox> {
    let text = std::fs::read_to_string(root.join(opp_model::config::CONFIG_FILE))?;
    let config: opp_model::config::Config = serde_yaml::from_str(&text)?;
    let host = opp_model::urls::host(&config.base_url).trim_start_matches("www.");
    Mailbox::parse(&format!("{} <noreply@{host}>", config.title)).map_err(anyhow::Error::msg)
}

/// The names, sizes and times of `theme/emails/`'s files and `config.yaml`: what the mail's wording is
/// made of, compared before each poll instead of parsing the templates again.
fn wording_fingerprint(root: &Path) -> Vec<(PathBuf, u64, Option<std::time::SystemTime>)> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(root.join(opp_render::emails::EMAILS_DIR))
        .map(|entries| entries.flatten().map(|e| e.path()).collect())
        .unwrap_or_default();
    files.push(root.join(opp_model::config::CONFIG_FILE));
    files.sort();
    files
        .into_iter()
        .map(|path| {
            let meta = std::fs::metadata(&path).ok();
            let size = meta.as_ref().map_or(0, |m| m.len());
            let modified = meta.and_then(|m| m.modified().ok());
            (path, size, modified)
        })
        .collect()
}

/// Starts the mailer on the stream; its problems are printed, never fatal to the preview.
pub async fn start(mail: LocalMail) -> anyhow::Result<()> {
    let from = sender(&mail.root)?;
    let mut poller = Poller::for_table(mail.store.client(), &mail.endpoint, mail.store.table())
        .await
        .map_err(anyhow::Error::msg)?;
    let site = Site::from_root(&mail.root, Some(&mail.site_url), from.clone())
        .map_err(|err| anyhow::anyhow!("the email templates: {err}"))?;
    let mut mailer = Mailer {
        store: mail.store.clone(),
        site,
        keys: LinkKeySource::fixed(mail.keys.clone()),
        sender: Sender::Outbox {
            dir: mail.outbox.clone(),
        },
    };
    println!(
        "Mail: sent to {} and shown at {}/_mail/",
        mail.outbox.display(),
        mail.site_url
    );
    tokio::spawn(async move {
        let mut last_problem = String::new();
        let mut read = wording_fingerprint(&mail.root);
        loop {
            tokio::time::sleep(POLL_EVERY).await;
            // The latest wording (an edit shows in the next message), read again only when a file changed;
            // a broken template keeps the last good set.
            let now = wording_fingerprint(&mail.root);
            if now != read {
                read = now;
                match Site::from_root(&mail.root, Some(&mail.site_url), from.clone()) {
                    Ok(site) => mailer.site = site,
                    Err(err) if err != last_problem => {
                        eprintln!("mail: the email templates: {err}");
                        last_problem = err;
                    }
                    Err(_) => {}
                }
            }
            match poller.poll(&mailer).await {
                Ok(polled) if polled.sent > 0 => {
                    println!("mail: {} sent, see {}/_mail/", polled.sent, mail.site_url);
                }
                Ok(_) => {}
                Err(err) if err != last_problem => {
                    eprintln!("mail: the stream could not be read: {err}");
                    last_problem = err;
                }
                Err(_) => {}
            }
        }
    });
    Ok(())
}
