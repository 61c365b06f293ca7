//! The `opp-site` command line: a thin layer over the library's build, check and serve.

use clap::{Parser, Subcommand};
use std::path::PathBuf;
use std::process::ExitCode;

use opp_model::messages::{Lang, site};
use opp_model::text;
use opp_site::{BuildOptions, display_path};

#[derive(Parser)]
#[command(
    name = "opp-site",
    version,
    about = "Builds the Landelijk OPP Project website from content/ and theme/",
    after_help = "Environment:\n  \
                  OPP_LANG=en        messages in English (default: Dutch)\n  \
                  OPP_SITE_TIMINGS=1 time and memory per build phase on stderr (profiling)\n  \
                  GITHUB_ACTIONS     set by GitHub: problems also as workflow annotations"
)]
struct Cli {
    /// The site's folder (the one with config.yaml, content/ and theme/).
    #[arg(long, global = true, default_value = ".")]
    root: PathBuf,
    /// Include pages marked `draft: true`.
    #[arg(long, global = true)]
    drafts: bool,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Build the site into the output folder (replaced only when the build succeeds).
    Build {
        /// Where to write the site.
        #[arg(long, default_value = "public")]
        output: PathBuf,
        /// Use this base URL instead of the one in config.yaml.
        #[arg(long)]
        base_url: Option<String>,
        /// A preview of a change (a pull request's): a "Voorbeeld" banner and noindex on every page, no
        /// registration form, robots.txt closed.
        #[arg(long)]
        preview: bool,
    },
    /// Preview the site on http://127.0.0.1:PORT, rebuilding and reloading on every change.
    Serve {
        #[arg(long, default_value_t = 8080)]
        port: u16,
        /// Use this base URL instead of the local address.
        #[arg(long)]
        base_url: Option<String>,
    },
    /// Build without writing and check every internal link and #anchor.
    Check,
    /// Make a new page: `opp-site new meeting` asks for what it needs (or takes the flags).
    New {
        #[command(subcommand)]
        what: New,
    },
}

#[derive(Subcommand)]
enum New {
    /// A meeting page in content/bijeenkomsten/ with a suggested id.
    Meeting {
        /// The city, e.g. Utrecht.
        #[arg(long)]
        city: Option<String>,
        /// The venue, e.g. "Jaarbeurs".
        #[arg(long)]
        venue: Option<String>,
        /// The date, YYYY-MM-DD.
        #[arg(long)]
        date: Option<String>,
        /// How many seats.
        #[arg(long)]
        capacity: Option<u32>,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let mut options = BuildOptions::new(&cli.root);
    options.drafts = cli.drafts;
    match cli.command {
        Command::Build {
            output,
            base_url,
            preview,
        } => {
            options.output = output;
            options.base_url = base_url;
            options.preview = preview;
            match opp_site::build(&options) {
                Ok(summary) => {
                    let line = text!(
                        site::BUILT,
                        pages = summary.pages,
                        meetings = summary.meetings,
                        files = summary.files,
                        output = display_path(&options.output),
                        ms = summary.elapsed.as_millis()
                    );
                    println!("{line}");
                    ExitCode::SUCCESS
                }
                Err(err) => {
                    eprintln!("{err}");
                    annotate_on_github(&err);
                    let line = text!(
                        site::BUILD_FAILED,
                        count = err.count(),
                        output = display_path(&options.output)
                    );
                    eprintln!("\n{line}");
                    ExitCode::FAILURE
                }
            }
        }
        Command::Check => match opp_site::check(&options) {
            Ok(summary) => {
                println!("{}", text!(site::CHECKED, pages = summary.pages));
                ExitCode::SUCCESS
            }
            Err(err) => {
                eprintln!("{err}");
                annotate_on_github(&err);
                let line = text!(site::CHECK_FAILED, count = err.count());
                eprintln!("\n{line}");
                ExitCode::FAILURE
            }
        },
        Command::New {
            what:
                New::Meeting {
                    city,
                    venue,
                    date,
                    capacity,
                },
        } => new_meeting(&cli.root, city, venue, date, capacity),
        Command::Serve { port, base_url } => {
            options.base_url = base_url;
            let runtime = match tokio::runtime::Builder::new_multi_thread()
                .enable_all()
                .build()
            {
                Ok(runtime) => runtime,
                Err(err) => {
                    let prefix = site::ERROR_PREFIX.text();
                    eprintln!("{prefix}: {}", text!(site::NO_RUNTIME, err = err));
                    return ExitCode::FAILURE;
                }
            };
            let serve = opp_site::serve::ServeOptions {
                build: options,
                port,
                api: None,
                after_build: None,
            };
            match runtime.block_on(opp_site::serve::run(serve)) {
                Ok(()) => ExitCode::SUCCESS,
                Err(err) => {
                    eprintln!("{}: {err}", site::ERROR_PREFIX.text());
                    ExitCode::FAILURE
                }
            }
        }
    }
}

/// In a GitHub Actions job, the problems again as workflow commands on stdout, so the pull request shows
/// each one on its file and line.
fn annotate_on_github(err: &opp_site::BuildError) {
    if opp_site::on_github_actions() {
        let workspace = std::env::var_os("GITHUB_WORKSPACE").map(std::path::PathBuf::from);
        println!(
            "{}",
            err.github_annotations(Lang::current(), workspace.as_deref())
        );
    }
}

/// `opp-site new meeting`: what is not given as a flag is asked for on a terminal (in Dutch, like every
/// message an editor reads).
fn new_meeting(
    root: &std::path::Path,
    city: Option<String>,
    venue: Option<String>,
    date: Option<String>,
    capacity: Option<u32>,
) -> ExitCode {
    use std::io::IsTerminal;
    let interactive = std::io::stdin().is_terminal();
    let mut missing = Vec::new();
    let mut ask = |given: Option<String>, flag: &str, question: &str| -> String {
        if let Some(value) = given {
            return value;
        }
        if !interactive {
            missing.push(flag.to_string());
            return String::new();
        }
        eprint!("{question} ");
        let mut line = String::new();
        let _ = std::io::stdin().read_line(&mut line);
        line.trim().to_string()
    };
    let city = ask(city, "--city", "Plaats (bijvoorbeeld Utrecht):");
    let venue = ask(venue, "--venue", "Locatie (bijvoorbeeld Jaarbeurs):");
    let date = ask(date, "--date", "Datum (JJJJ-MM-DD):");
    let capacity = ask(
        capacity.map(|c| c.to_string()),
        "--capacity",
        "Aantal plaatsen:",
    );
    if !missing.is_empty() {
        eprintln!(
            "fout: geef ook {} (of start de opdracht in een terminal, dan vraagt hij erom).",
            missing.join(", ")
        );
        return ExitCode::from(2);
    }
    let Ok(capacity) = capacity.trim().parse::<u32>() else {
        eprintln!("fout: het aantal plaatsen `{capacity}` is geen heel getal, bijvoorbeeld 120.");
        return ExitCode::from(2);
    };
    let answers = opp_site::NewMeeting {
        city,
        venue,
        date,
        capacity,
    };
    match opp_site::new_meeting(root, &answers) {
        Ok(written) => {
            println!(
                "Nieuwe bijeenkomst {} in {}. Vul de tijd en het adres aan en kijk hoe het eruitziet met `cargo site serve`.",
                written.id,
                display_path(&written.path)
            );
            ExitCode::SUCCESS
        }
        Err(message) => {
            eprintln!("fout: {message}");
            ExitCode::FAILURE
        }
    }
}
