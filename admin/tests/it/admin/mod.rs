//! `opp-admin` end to end: the real binary against dynoxide on loopback, with meetings.json made by the
//! generator from its fixture site. This module holds the shared setup (`Env`); one submodule per area.

mod attendance;
mod erase;
mod errors;
mod export;
mod language;
mod mail_problems;
mod purge;
mod rekey;
mod send_link;
mod summary_and_list;
mod sync;
mod terminal;

use std::path::{Path, PathBuf};
use std::process::Output;

use jiff::Timestamp;
use opp_model::records::RegistrationRecord;
use opp_model::registration::Registration;
use opp_store::Store;
use opp_store::testkit::{client, now, start_dynoxide};

const TABLE: &str = "registrations";
const ZWOLLE: &str = "2030-03-zwolle";
const UTRECHT: &str = "2030-06-utrecht";

struct Env {
    endpoint: String,
    store: Store,
    dir: tempfile::TempDir,
}

impl Env {
    async fn new() -> Env {
        let endpoint = start_dynoxide().await;
        let store = Store::new(client(&endpoint), TABLE);
        store.create_table().await.unwrap();
        Env {
            endpoint,
            store,
            dir: tempfile::tempdir().unwrap(),
        }
    }

    /// The generator's meetings.json for its fixture site, built at the tests' "now".
    fn meetings_json(&self) -> PathBuf {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../generator/tests/fixtures/site");
        let mut options = opp_site::BuildOptions::new(&root);
        options.output = self.public();
        options.now = Some(now());
        opp_site::build(&options).unwrap();
        self.synced_file()
    }

    fn public(&self) -> PathBuf {
        self.dir.path().join("public")
    }

    /// The meetings.json [`Env::meetings_json`] built (and [`Env::synced`] synced, as it wrote it).
    fn synced_file(&self) -> PathBuf {
        self.public().join("meetings.json")
    }

    /// A store whose meetings are synced from the fixture site, Zwolle with `zwolle_capacity` places.
    async fn synced(zwolle_capacity: u32) -> Env {
        let env = Env::new().await;
        let file = env.meetings_json();
        let text = std::fs::read_to_string(&file)
            .unwrap()
            .replace(
                "\"capacity\": 20",
                &format!("\"capacity\": {zwolle_capacity}"),
            )
            .replace(
                "\"waitlist_capacity\": 40",
                &format!("\"waitlist_capacity\": {}", zwolle_capacity * 2),
            );
        std::fs::write(&file, text).unwrap();
        let sync = env.admin(&["sync-meetings", file.to_str().unwrap()]).await;
        assert!(sync.status.success(), "{}", stderr(&sync));
        env
    }

    async fn admin(&self, args: &[&str]) -> Output {
        self.admin_on(TABLE, args).await
    }

    /// Runs opp-admin in English (`OPP_LANG=en`); [`Env::admin_nl`] runs it in Dutch, the default.
    async fn admin_on(&self, table: &str, args: &[&str]) -> Output {
        let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_opp-admin"));
        command.env("OPP_LANG", "en");
        self.admin_command(command, table, args).await
    }

    async fn admin_nl(&self, args: &[&str]) -> Output {
        let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_opp-admin"));
        command.env_remove("OPP_LANG");
        self.admin_command(command, TABLE, args).await
    }

    async fn admin_command(
        &self,
        mut command: std::process::Command,
        table: &str,
        args: &[&str],
    ) -> Output {
        command
            .args(["--endpoint-url", &self.endpoint, "--table", table])
            .args(args)
            .env_remove("AWS_PROFILE")
            .env_remove("AWS_ACCESS_KEY_ID")
            .env_remove("TABLE_NAME")
            .env_remove("AWS_ENDPOINT_URL");
        run(command).await
    }

    /// `opp-admin export` of `selection` (`--meeting ID` or `--all`) as `format` to `output` (`-`: stdout).
    async fn export(&self, selection: &[&str], format: &str, output: &str) -> Output {
        let mut args = vec!["export"];
        args.extend_from_slice(selection);
        args.extend(["--format", format, "--output", output]);
        self.admin(&args).await
    }

    async fn register(&self, meeting: &str, email: &str, name: &str) {
        let registration = Registration {
            meeting: meeting.into(),
            name: name.into(),
            email: email.into(),
            role: "ouder/verzorger".into(),
            sector: Some("vo".into()),
            organisation: None,
            needs: None,
        };
        let token = opp_model::token::new_token().unwrap();
        self.store
            .register(
                &registration,
                &opp_model::token::hash(&token),
                open_at(meeting),
            )
            .await
            .unwrap();
    }

    /// The registration for `meeting` that `is` picks.
    async fn registration(
        &self,
        meeting: &str,
        is: impl Fn(&RegistrationRecord) -> bool,
    ) -> RegistrationRecord {
        self.store
            .registrations(meeting, &mut |_| {})
            .await
            .unwrap()
            .into_iter()
            .find(is)
            .unwrap()
    }

    /// The meeting's record as stored now.
    async fn meeting(&self, id: &str) -> opp_model::records::MeetingRecord {
        self.store.meeting(id).await.unwrap().unwrap()
    }
}

/// A time at which the meeting takes registrations (Utrecht's window opens in February 2030).
fn open_at(meeting: &str) -> Timestamp {
    if meeting == UTRECHT {
        now() + jiff::SignedDuration::from_hours(24 * 31)
    } else {
        now()
    }
}

async fn run(mut command: std::process::Command) -> Output {
    tokio::task::spawn_blocking(move || command.output().unwrap())
        .await
        .unwrap()
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}
fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// The `--json` rows (of `summary` or `list`) as JSON, and the one whose `key` is `id`.
fn json_row(output: &Output, key: &str, id: &str) -> serde_json::Value {
    let rows: serde_json::Value = serde_json::from_str(&stdout(output)).unwrap();
    rows.as_array()
        .unwrap()
        .iter()
        .find(|m| m[key] == id)
        .unwrap()
        .clone()
}
