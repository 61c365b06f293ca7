//! The Lambda entry point (`opp-mailer`): settings from the environment, one mailer, and each event handed
//! to `opp_mailer::invocation` (stream batches, SES feedback, the reminder task).

use clap::Parser;
use lambda_runtime::{LambdaEvent, service_fn};
use opp_mailer::Mailer;
use opp_mailer::deliver::{Sender, ses_client};
use opp_mailer::invocation;
use opp_mailer::settings::{Mailbox, Site};
use opp_store::Store;
use opp_store::aws::{ClientSettings, dynamodb_client, secrets_client};
use opp_store::link_keys::LinkKeySource;
use serde_json::Value;

#[derive(Parser)]
#[command(
    name = "opp-mailer",
    version,
    about = "The mailer function: emails from the table's stream through SES",
    after_help = "Environment:\n  \
                  RUST_LOG   the log level (default: info; infra/template.yaml sets it); the AWS SDK, Lambda \
                  runtime and HTTP libraries never log below warn, whatever it says (they would log personal data)\n  \
                  AWS_REGION and the credentials come from Lambda's environment"
)]
struct Cli {
    /// The DynamoDB table (infra/template.yaml sets it).
    #[arg(long, env = "TABLE_NAME")]
    table: String,
    /// The Secrets Manager secret with the link key ring.
    #[arg(long, env = "LINK_KEY_ARN", hide_env_values = true)]
    link_key_arn: String,
    /// The sender: "Landelijk OPP Project <noreply@example.nl>".
    #[arg(long, env = "MAIL_FROM")]
    mail_from: String,
    /// The SES configuration set (bounce and complaint events, suppression).
    #[arg(long, env = "SES_CONFIGURATION_SET")]
    ses_configuration_set: Option<String>,
    /// The site's public URL, when it is not config.yaml's base_url.
    #[arg(long, env = "SITE_URL")]
    site_url: Option<String>,
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
    opp_store::logging::init();
    let cli = Cli::parse();
    let from = Mailbox::parse(&cli.mail_from)?;
    let site = Site::embedded(cli.site_url.as_deref(), from.clone())
        .map_err(|err| format!("the email templates compiled into the function: {err}"))?;
    let store = Store::new(
        dynamodb_client(ClientSettings::from_environment(None))?,
        cli.table,
    );
    let keys = LinkKeySource::managed(
        secrets_client(ClientSettings::from_environment(None))?,
        cli.link_key_arn,
    );
    let ses = ses_client(ClientSettings::from_environment(None))?;
    let mailer = Mailer {
        store,
        site,
        keys,
        sender: Sender::Ses {
            client: ses,
            // The envelope sender; the display name is in the message's own From header.
            from: from.address.clone(),
            configuration_set: cli.ses_configuration_set.filter(|s| !s.is_empty()),
        },
    };
    let mailer = &mailer;
    lambda_runtime::run(service_fn(move |event: LambdaEvent<Value>| async move {
        handle(mailer, event.payload).await
    }))
    .await
}

/// One event, handed to the library (opp_mailer::invocation).
async fn handle(mailer: &Mailer, payload: Value) -> Result<Value, lambda_runtime::Error> {
    // Boxed: the whole mailer future inline makes the runtime's future too deep for the compiler's
    // layout queries (and large on the stack).
    Box::pin(invocation::handle_event(
        mailer,
        &payload,
        jiff::Timestamp::now(),
    ))
    .await
    .map_err(Into::into)
}
