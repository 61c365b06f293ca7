//! `opp-admin`: the organisers' command-line tool for the registrations table (guide: docs/organisatoren.md). It
//! parses the arguments, finds credentials and region the way the AWS CLI does ([`connect`], aws-config), runs
//! the operation from `opp-operations` and turns its error into an exit code.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use jiff::Timestamp;
use opp_model::RegistrationStatus;
use opp_model::messages::admin as messages;

mod connect;

use connect::{Target, connect};
use opp_operations::export::{ExportFormat, Selection};
use opp_operations::{self as operations, OperationError};

#[derive(Parser)]
#[command(
    name = "opp-admin",
    version,
    about = "Counts, lists, exports and erasure for the Landelijk OPP Project's registrations table",
    after_help = "Exit codes: 0 done, 1 store error during the job, 2 wrong command or input, \
                  3 store unreachable or credentials/region missing, 4 table not found, 5 refused by a rule.\n\n\
                  Environment:\n  \
                  OPP_LANG=en   messages in English (default: Dutch); --json output is English always\n  \
                  AWS_PROFILE, AWS_REGION and the rest of the AWS CLI's settings pick credentials and region"
)]
struct Cli {
    /// The DynamoDB table (the stack's `TableName` output).
    #[arg(
        long,
        env = "TABLE_NAME",
        default_value = "opp-registrations",
        global = true
    )]
    table: String,
    /// A DynamoDB-compatible endpoint instead of AWS, e.g. http://127.0.0.1:8000 for `cargo dev`.
    #[arg(long, env = "AWS_ENDPOINT_URL", global = true)]
    endpoint_url: Option<String>,
    /// The AWS region (else AWS_REGION or the profile's).
    #[arg(long, global = true)]
    region: Option<String>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Create or update the meeting items from the generator's meetings.json (counters are never reset).
    SyncMeetings {
        /// Usually public/meetings.json after `cargo site build`.
        file: PathBuf,
        /// Print the changes without writing them.
        #[arg(long)]
        dry_run: bool,
        /// Also remove meetings that the file no longer lists and that have no registrations (a meeting
        /// with registrations is refused: its id is permanent until they are purged).
        #[arg(long)]
        prune: bool,
        /// Write the meeting items only: the mailer gives new seats to those waiting and moves retention
        /// dates from the table's stream (the deploy role syncs this way and touches no registration).
        #[arg(long)]
        details_only: bool,
    },
    /// Per meeting: capacity, confirmed, waitlisted, cancelled, places left; and counts by role and sector.
    Summary {
        /// Print JSON instead of tables.
        #[arg(long)]
        json: bool,
    },
    /// A meeting's registrations in order of arrival; without --meeting, the meetings with their counts.
    List {
        #[arg(long)]
        meeting: Option<String>,
        #[arg(long, value_parser = status_parser())]
        status: Option<RegistrationStatus>,
        #[arg(long)]
        json: bool,
    },
    /// A meeting's attendance list to print (XLSX, A4 landscape): confirmed people by name, with a column to tick.
    Attendance {
        #[arg(long)]
        meeting: String,
        /// The XLSX file to write, e.g. presentielijst-zwolle.xlsx.
        #[arg(long)]
        output: PathBuf,
    },
    /// Attendance lists and name-badge data as CSV (Dutch Excel) or XLSX.
    Export {
        /// One meeting's registrations.
        #[arg(long, conflicts_with = "all", required_unless_present = "all")]
        meeting: Option<String>,
        /// Every meeting's registrations.
        #[arg(long)]
        all: bool,
        /// Only this status (default: confirmed and waitlisted).
        #[arg(long, value_parser = status_parser())]
        status: Option<RegistrationStatus>,
        #[arg(long, value_enum)]
        format: ExportFormat,
        /// The file to write, or `-` for standard output (CSV only).
        #[arg(long)]
        output: PathBuf,
    },
    /// Remove every registration of an email address (AVG right to erasure); freed seats go to the waiting list.
    Erase {
        #[arg(long)]
        email: String,
        /// Show what would be removed.
        #[arg(long)]
        dry_run: bool,
    },
    /// Email a person the links of their live registrations (the mailer sends it, as for "Link kwijt?").
    SendLink {
        #[arg(long)]
        email: String,
    },
    /// Give every live registration a link of the link key's current version (after a rotation, or for
    /// registrations from before link keys); earlier links keep working unless --revoke-old.
    RekeyLinks {
        /// The stack's link key secret (output LinkKeySecretArn).
        #[arg(
            long,
            env = "LINK_KEY_ARN",
            conflicts_with = "link_key_file",
            required_unless_present = "link_key_file"
        )]
        link_key_arn: Option<String>,
        /// A key ring file instead (`cargo dev`'s .opp-state/link-keys.json).
        #[arg(long)]
        link_key_file: Option<PathBuf>,
        /// Also delete the earlier links of registrations that have the current version (a key leaked).
        #[arg(long)]
        revoke_old: bool,
    },
    /// The emails the mailer gave up on in the last 30 days (kind, link_id and error; no addresses).
    MailFailures {
        #[arg(long)]
        json: bool,
    },
    /// Remove registrations whose retention period has ended.
    PurgeExpired {
        /// Show how many would be removed.
        #[arg(long)]
        dry_run: bool,
        /// Count retention from this time instead of now (RFC 3339), e.g. to check what a later run removes.
        #[arg(long)]
        as_of: Option<Timestamp>,
    },
}

/// `--status`: the stored value or the word in Dutch or English (`bevestigd` or `confirmed`).
fn status_parser() -> impl clap::builder::TypedValueParser<Value = RegistrationStatus> {
    |text: &str| {
        RegistrationStatus::from_words(text)
            .ok_or_else(|| opp_model::text!(admin::UNKNOWN_STATUS, value = text).to_string())
    }
}

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("{}: {err}", messages::ERROR_PREFIX.text());
            ExitCode::from(err.failure.exit_code())
        }
    }
}

async fn run(cli: Cli) -> Result<(), OperationError> {
    let target = Target {
        table: cli.table,
        endpoint_url: cli.endpoint_url,
        region: cli.region,
    };
    let store = connect(&target).await?;
    let mut out = std::io::stdout().lock();
    let out: &mut dyn Write = &mut out;
    match cli.command {
        Command::SyncMeetings {
            file,
            dry_run,
            prune,
            details_only,
        } => {
            let options = operations::sync::SyncOptions {
                dry_run,
                prune,
                details_only,
            };
            operations::sync::sync_meetings(&store, &file, options, out).await?;
        }
        Command::Summary { json } => operations::summary::summary(&store, json, out).await?,
        Command::List {
            meeting,
            status,
            json,
        } => match meeting {
            Some(meeting) => {
                operations::list::list(&store, &meeting, status, json, out).await?;
            }
            None if status.is_some() => {
                return Err(OperationError::input(messages::STATUS_NEEDS_MEETING.text()));
            }
            None => operations::list::list_meetings(&store, json, out).await?,
        },
        Command::Attendance { meeting, output } => {
            operations::attendance::attendance(&store, &meeting, &output, &mut std::io::stderr())
                .await?;
        }
        Command::Export {
            meeting,
            all: _,
            status,
            format,
            output,
        } => {
            let selection = Selection {
                meeting: meeting.as_deref(),
                status,
            };
            operations::export::export(&store, &selection, format, &output, &mut std::io::stderr())
                .await?;
        }
        Command::Erase { email, dry_run } => {
            operations::erase::erase(&store, &email, dry_run, Timestamp::now(), out).await?;
        }
        Command::SendLink { email } => {
            operations::send_link::send_link(&store, &email, Timestamp::now(), out).await?;
        }
        Command::RekeyLinks {
            link_key_arn,
            link_key_file,
            revoke_old,
        } => {
            let ring = match (link_key_arn, link_key_file) {
                (_, Some(path)) => {
                    let problem = |err: &dyn std::fmt::Display| {
                        let text =
                            opp_model::text!(admin::FILE_PROBLEM, path = path.display(), err = err);
                        OperationError::input(text.to_string())
                    };
                    let text = std::fs::read_to_string(&path).map_err(|err| problem(&err))?;
                    opp_model::links::LinkKeys::parse(&text).map_err(|err| problem(&err))?
                }
                (Some(arn), None) => {
                    let secrets = connect::secrets(&target).await?;
                    let secret = opp_store::link_keys::LinkKeySource::managed(secrets, arn);
                    let ring = secret.ring().await.map_err(|err| {
                        OperationError::new(operations::Failure::Unreachable, err.0)
                    })?;
                    (*ring).clone()
                }
                (None, None) => {
                    return Err(OperationError::input(messages::REKEY_NEEDS_KEY.text()));
                }
            };
            operations::rekey::rekey_links(&store, &ring, revoke_old, out).await?;
        }
        Command::MailFailures { json } => {
            operations::mail_failures::mail_failures(&store, json, out).await?;
        }
        Command::PurgeExpired { dry_run, as_of } => {
            let now = as_of.unwrap_or_else(Timestamp::now);
            operations::purge::purge_expired(&store, now, dry_run, out).await?;
        }
    }
    Ok(())
}
