//! `opp-admin` end to end: the real binary against dynoxide on loopback, with meetings.json made by the
//! generator from its fixture site.

use std::path::{Path, PathBuf};
use std::process::Output;

use jiff::Timestamp;
use opp_model::registration::Registration;
use opp_store::Store;
use opp_store::testkit::{client, count_statuses, now, start_dynoxide, transactions_are_isolated};

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
        let output = self.dir.path().join("public");
        let mut options = opp_site::BuildOptions::new(&root);
        options.output = output.clone();
        options.now = Some(now());
        opp_site::build(&options).unwrap();
        output.join("meetings.json")
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

#[tokio::test(flavor = "multi_thread")]
async fn sync_is_idempotent_and_never_loses_counts() {
    let env = Env::new().await;
    let file = env.meetings_json();
    let file = file.to_str().unwrap();

    let dry = env.admin(&["sync-meetings", file, "--dry-run"]).await;
    assert!(dry.status.success(), "{}", stderr(&dry));
    assert!(
        stdout(&dry).contains("would create 2030-03-zwolle"),
        "{}",
        stdout(&dry)
    );
    assert!(
        env.store.meetings().await.unwrap().is_empty(),
        "dry run wrote"
    );

    let first = env.admin(&["sync-meetings", file]).await;
    assert!(first.status.success(), "{}", stderr(&first));
    assert!(
        stdout(&first).contains("4 created, 0 updated, 0 unchanged"),
        "{}",
        stdout(&first)
    );

    for i in 0..3 {
        env.register(ZWOLLE, &format!("p{i}@example.nl"), "Piet")
            .await;
    }
    let again = env.admin(&["sync-meetings", file]).await;
    assert!(again.status.success(), "{}", stderr(&again));
    assert!(
        stdout(&again).contains("0 created, 0 updated, 4 unchanged"),
        "{}",
        stdout(&again)
    );
    let zwolle = env.store.meeting(ZWOLLE).await.unwrap().unwrap();
    assert_eq!((zwolle.capacity, zwolle.confirmed), (20, 3));

    // A lower capacity that still fits is applied; one below the confirmed count is refused (exit 5).
    let text = std::fs::read_to_string(file).unwrap();
    let edited = env.dir.path().join("edited.json");
    std::fs::write(&edited, text.replace("\"capacity\": 20", "\"capacity\": 2")).unwrap();
    assert_ne!(
        std::fs::read_to_string(&edited).unwrap(),
        text,
        "fixture shape changed"
    );
    let refused = env
        .admin(&["sync-meetings", edited.to_str().unwrap()])
        .await;
    assert_eq!(refused.status.code(), Some(5), "{}", stdout(&refused));
    assert!(
        stdout(&refused).contains("below the 3 confirmed"),
        "{}",
        stdout(&refused)
    );
    assert!(
        stderr(&refused).contains("2030-03-zwolle"),
        "{}",
        stderr(&refused)
    );
    let zwolle = env.store.meeting(ZWOLLE).await.unwrap().unwrap();
    assert_eq!((zwolle.capacity, zwolle.confirmed), (20, 3));

    std::fs::write(
        &edited,
        text.replace("\"capacity\": 20", "\"capacity\": 25"),
    )
    .unwrap();
    let raised = env
        .admin(&["sync-meetings", edited.to_str().unwrap()])
        .await;
    assert!(raised.status.success(), "{}", stderr(&raised));
    assert!(
        stdout(&raised).contains("update 2030-03-zwolle: capacity 20 -> 25"),
        "{}",
        stdout(&raised)
    );
    let zwolle = env.store.meeting(ZWOLLE).await.unwrap().unwrap();
    assert_eq!(
        (zwolle.capacity, zwolle.confirmed, zwolle.waitlisted),
        (25, 3, 0)
    );
    assert_eq!(count_statuses(&env.store, ZWOLLE).await, (3, 0, 0, 3));
}

#[tokio::test(flavor = "multi_thread")]
async fn summary_and_list_report_counts_and_arrival_order() {
    let env = Env::synced(20).await;
    env.register(ZWOLLE, "eerste@example.nl", "Eerste").await;
    env.register(ZWOLLE, "tweede@example.nl", "Tweede").await;
    env.register(UTRECHT, "derde@example.nl", "Derde").await;

    let summary = env.admin(&["summary", "--json"]).await;
    assert!(summary.status.success(), "{}", stderr(&summary));
    let json: serde_json::Value = serde_json::from_slice(&summary.stdout).unwrap();
    let zwolle = json
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["id"] == ZWOLLE)
        .unwrap();
    assert_eq!(zwolle["confirmed"], 2);
    assert_eq!(zwolle["places_left"], 18);
    assert_eq!(zwolle["by_role"]["ouder/verzorger"], 2);
    assert_eq!(zwolle["by_sector"]["vo"], 2);
    assert!(zwolle["mismatch"].is_null());

    let text = env.admin(&["summary"]).await;
    let text = stdout(&text);
    assert!(text.contains("places left"), "{text}");
    assert!(text.contains("By role"), "{text}");

    let list = env.admin(&["list", "--meeting", ZWOLLE]).await;
    let out = stdout(&list);
    assert!(list.status.success(), "{}", stderr(&list));
    let first = out.find("eerste@example.nl").unwrap();
    let second = out.find("tweede@example.nl").unwrap();
    assert!(first < second, "arrival order: {out}");
    assert!(!out.contains("derde@"), "other meeting listed: {out}");
    assert!(out.contains("2 registration(s)"), "{out}");

    // Without --meeting: the meetings with their counters, and how to list one.
    let meetings = env.admin(&["list"]).await;
    assert!(meetings.status.success(), "{}", stderr(&meetings));
    let out = stdout(&meetings);
    assert!(
        out.contains("places left") && out.contains(UTRECHT),
        "{out}"
    );
    assert!(
        out.contains(&format!("opp-admin list --meeting {ZWOLLE}"))
            || out.contains("opp-admin list --meeting "),
        "{out}"
    );
    let zwolle_line = out.lines().find(|l| l.contains(ZWOLLE)).unwrap();
    assert!(zwolle_line.contains(" 2 "), "two confirmed: {zwolle_line}");
    let meetings_json = env.admin(&["list", "--json"]).await;
    let rows: serde_json::Value = serde_json::from_str(&stdout(&meetings_json)).unwrap();
    let zwolle = rows
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["meeting"] == ZWOLLE)
        .unwrap();
    assert_eq!(zwolle["confirmed"], 2);
    assert_eq!(zwolle["places_left"], 18);
    let status_only = env.admin(&["list", "--status", "confirmed"]).await;
    assert_eq!(status_only.status.code(), Some(2));

    let none = env
        .admin(&["list", "--meeting", ZWOLLE, "--status", "waitlisted"])
        .await;
    assert!(
        stdout(&none).contains("0 registration(s)"),
        "{}",
        stdout(&none)
    );

    let unknown = env.admin(&["list", "--meeting", "2030-03-zwole"]).await;
    assert_eq!(unknown.status.code(), Some(2));
    assert!(
        stderr(&unknown).contains("no meeting `2030-03-zwole`"),
        "{}",
        stderr(&unknown)
    );
    assert!(
        stderr(&unknown).contains(ZWOLLE),
        "known ids listed: {}",
        stderr(&unknown)
    );
}

/// Without OPP_LANG the organisers read Dutch: headers, statuses, counts and errors; `--status` takes the
/// Dutch and the English word; `--json` keeps the stable English values.
#[tokio::test(flavor = "multi_thread")]
async fn output_is_dutch_by_default_and_json_stays_english() {
    let env = Env::synced(1).await;
    env.register(ZWOLLE, "eerste@example.nl", "Eerste").await;
    env.register(ZWOLLE, "tweede@example.nl", "Tweede").await;

    let summary = stdout(&env.admin_nl(&["summary"]).await);
    for dutch in [
        "bijeenkomst",
        "plekken",
        "bevestigd",
        "wachtlijst",
        "vrij",
        "Per rol",
        "totaal",
    ] {
        assert!(summary.contains(dutch), "`{dutch}` missing: {summary}");
    }
    assert!(
        !summary.contains("places left") && !summary.contains("By role"),
        "{summary}"
    );

    let list = stdout(&env.admin_nl(&["list", "--meeting", ZWOLLE]).await);
    let header = list.lines().next().unwrap();
    assert!(
        header.contains("aangemeld") && header.contains("naam") && header.contains("organisatie"),
        "{header}"
    );
    let first = list.lines().find(|l| l.contains("eerste@")).unwrap();
    let second = list.lines().find(|l| l.contains("tweede@")).unwrap();
    assert!(
        first.contains("bevestigd") && second.contains("wachtlijst"),
        "{list}"
    );
    assert!(
        !list.contains("confirmed") && !list.contains("waitlisted"),
        "{list}"
    );
    assert!(list.contains("2 aanmelding(en)"), "{list}");

    for status in ["wachtlijst", "waitlisted", "Wachtlijst"] {
        let only = stdout(
            &env.admin_nl(&["list", "--meeting", ZWOLLE, "--status", status])
                .await,
        );
        assert!(
            only.contains("tweede@") && !only.contains("eerste@"),
            "--status {status}: {only}"
        );
        assert!(only.contains("1 aanmelding(en)"), "{only}");
    }
    let wrong = env
        .admin_nl(&["list", "--meeting", ZWOLLE, "--status", "weg"])
        .await;
    assert_eq!(wrong.status.code(), Some(2));
    assert!(
        stderr(&wrong).contains("is geen status"),
        "{}",
        stderr(&wrong)
    );

    let json = env.admin_nl(&["list", "--meeting", ZWOLLE, "--json"]).await;
    let rows: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    let statuses: Vec<&str> = rows
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["status"].as_str().unwrap())
        .collect();
    assert_eq!(
        statuses,
        ["confirmed", "waitlisted"],
        "stored values, whatever the language"
    );

    let unknown = env.admin_nl(&["list", "--meeting", "2030-03-zwole"]).await;
    assert_eq!(unknown.status.code(), Some(2));
    let err = stderr(&unknown);
    assert!(
        err.starts_with("fout: er is geen bijeenkomst `2030-03-zwole`"),
        "{err}"
    );
    assert!(err.contains(ZWOLLE), "{err}");

    let english = stdout(&env.admin(&["list", "--meeting", ZWOLLE]).await);
    assert!(
        english.contains("waitlisted") && english.contains("2 registration(s)"),
        "{english}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn export_reads_every_page_and_neutralises_formulas() {
    // 2,500 in all on dynoxide: more than two Query pages of 1,000, and past capacity so the waiting list
    // shows too. moto copies the whole table for every transaction (its rollback), which takes seconds
    // past a few hundred items and runs past the function's time budget (a fresh CI run saw a register
    // end as "unknown" at 300), so there 150 in one page: the paging itself is checked on dynoxide.
    let (total, capacity) = if transactions_are_isolated() {
        (2500, 2400)
    } else {
        (150, 140)
    };
    let env = Env::synced(capacity).await;

    let hostile = [
        "=HYPERLINK(\"http://x\")",
        "+31 6",
        "-1+1",
        "@SUM(A1)",
        "\tTab",
        "\rCR",
    ];
    for (i, name) in hostile.iter().enumerate() {
        env.register(ZWOLLE, &format!("h{i}@example.nl"), name)
            .await;
    }
    let mut tasks = tokio::task::JoinSet::new();
    // Eight writers at once where the peer isolates transactions (dynoxide), else one.
    let writers = if transactions_are_isolated() { 8 } else { 1 };
    let per_task = (total - hostile.len()) / writers;
    for t in 0..writers {
        let store = env.store.clone();
        let count = if t == writers - 1 {
            total - hostile.len() - (writers - 1) * per_task
        } else {
            per_task
        };
        tasks.spawn(async move {
            for i in 0..count {
                let registration = Registration {
                    meeting: ZWOLLE.into(),
                    name: format!("Deelnemer {t}-{i}"),
                    email: format!("d{t}-{i}@example.nl"),
                    role: "onderwijsprofessional".into(),
                    sector: Some("po".into()),
                    organisation: Some("OBS De Linde; Zwolle".into()),
                    needs: None,
                };
                let token = opp_model::token::new_token().unwrap();
                let hash = opp_model::token::hash(&token);
                store.register(&registration, &hash, now()).await.unwrap();
            }
        });
    }
    while let Some(joined) = tasks.join_next().await {
        joined.unwrap();
    }

    let csv_path = env.dir.path().join("zwolle.csv");
    let csv = env
        .admin(&[
            "export",
            "--meeting",
            ZWOLLE,
            "--format",
            "csv",
            "--output",
            csv_path.to_str().unwrap(),
        ])
        .await;
    assert!(csv.status.success(), "{}", stderr(&csv));
    assert!(
        stderr(&csv).contains(&format!("wrote {total} registration(s)")),
        "{}",
        stderr(&csv)
    );
    let bytes = std::fs::read(&csv_path).unwrap();
    assert!(bytes.starts_with(b"\xEF\xBB\xBFBijeenkomst;Datum;"));

    // `--output -`: the same CSV on standard output, the note on standard error; XLSX is refused.
    let piped = env
        .admin(&[
            "export",
            "--meeting",
            ZWOLLE,
            "--format",
            "csv",
            "--output",
            "-",
        ])
        .await;
    assert!(piped.status.success(), "{}", stderr(&piped));
    assert_eq!(piped.stdout, bytes, "stdout holds exactly the file's bytes");
    assert!(
        stderr(&piped).contains("to standard output"),
        "{}",
        stderr(&piped)
    );
    let binary = env
        .admin(&[
            "export",
            "--meeting",
            ZWOLLE,
            "--format",
            "xlsx",
            "--output",
            "-",
        ])
        .await;
    assert_eq!(binary.status.code(), Some(2));
    assert!(stderr(&binary).contains("CSV only"), "{}", stderr(&binary));
    assert!(binary.stdout.is_empty());
    let text = String::from_utf8(bytes).unwrap();
    let records: Vec<&str> = text.split("\r\n").filter(|l| !l.is_empty()).collect();
    assert_eq!(records.len(), total + 1, "header + a row per registration");
    assert!(
        text.contains(";'=HYPERLINK(\"\"http://x\"\")\";")
            || text.contains(";\"'=HYPERLINK(\"\"http://x\"\")\";"),
        "{}",
        &text[..600]
    );
    assert!(text.contains(";'+31 6;"));
    assert!(text.contains(";'-1+1;"));
    assert!(text.contains(";'@SUM(A1);"));
    assert!(text.contains(";'\tTab;"));
    assert!(text.contains(";\"'\rCR\";"));
    assert!(text.contains(";\"OBS De Linde; Zwolle\";"));
    assert!(
        text.contains(";wachtlijst;1;"),
        "waiting list positions exported"
    );
    assert!(!text.contains(";=") && !text.contains(";+") && !text.contains(";@"));

    let xlsx_path = env.dir.path().join("alle.xlsx");
    let xlsx = env
        .admin(&[
            "export",
            "--all",
            "--format",
            "xlsx",
            "--output",
            xlsx_path.to_str().unwrap(),
        ])
        .await;
    assert!(xlsx.status.success(), "{}", stderr(&xlsx));
    let sheet = zip_entry(&xlsx_path, "xl/worksheets/sheet1.xml");
    let styles = zip_entry(&xlsx_path, "xl/styles.xml");
    let strings = zip_entry(&xlsx_path, "xl/sharedStrings.xml");
    assert!(
        sheet.contains(&format!("<row r=\"{}\"", total + 1)),
        "a row per registration and a header"
    );
    assert!(!sheet.contains(&format!("<row r=\"{}\"", total + 2)));
    assert!(
        sheet.contains("ySplit=\"1\"") && sheet.contains("state=\"frozen\""),
        "frozen header"
    );
    assert!(sheet.contains("<cols>"), "column widths");
    assert!(!sheet.contains("<f>"), "no formulas at all");
    assert!(
        styles.contains("quotePrefix=\"1\""),
        "formula-like cells get the quote prefix"
    );
    assert!(strings.contains("=HYPERLINK"), "text kept as typed");
    let quoted_cells = sheet.matches(" s=\"2\"").count();
    assert_eq!(
        quoted_cells,
        hostile.len(),
        "exactly the hostile cells are quote-prefixed"
    );

    // Only the registrations' file appears: no partial file left behind.
    let mut names: Vec<String> = std::fs::read_dir(env.dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.contains("csv") || n.contains("xlsx"))
        .collect();
    names.sort();
    assert_eq!(names, ["alle.xlsx", "zwolle.csv"]);
}

fn zip_entry(path: &Path, name: &str) -> String {
    let output = std::process::Command::new("python3")
        .args([
            "-c",
            "import sys, zipfile; sys.stdout.write(zipfile.ZipFile(sys.argv[1]).read(sys.argv[2]).decode())",
        ])
        .arg(path)
        .arg(name)
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn erase_removes_every_registration_and_promotes() {
    let env = Env::synced(1).await;

    env.register(ZWOLLE, "anna@example.nl", "Anna").await; // the only seat
    env.register(ZWOLLE, "bert@example.nl", "Bert").await; // waiting list 1
    env.register(ZWOLLE, "cees@example.nl", "Cees").await; // waiting list 2
    env.register(UTRECHT, "anna@example.nl", "Anna").await;

    let dry = env
        .admin(&["erase", "--email", " Anna@Example.nl ", "--dry-run"])
        .await;
    assert!(dry.status.success(), "{}", stderr(&dry));
    assert!(
        stdout(&dry).contains("2 registration(s) found"),
        "{}",
        stdout(&dry)
    );
    assert_eq!(count_statuses(&env.store, ZWOLLE).await, (1, 2, 0, 3));

    let erased = env.admin(&["erase", "--email", " Anna@Example.nl "]).await;
    let out = stdout(&erased);
    assert!(erased.status.success(), "{}", stderr(&erased));
    assert!(
        out.contains("removed anna@example.nl from 2030-03-zwolle (confirmed)"),
        "{out}"
    );
    assert!(out.contains("went to bert@example.nl"), "{out}");
    assert!(
        out.contains("2 registration(s) of anna@example.nl erased"),
        "{out}"
    );

    // Bert has the seat, Cees is first in line; counters equal the items; Anna's tokens are gone too.
    assert_eq!(count_statuses(&env.store, ZWOLLE).await, (1, 1, 0, 2));
    assert_eq!(count_statuses(&env.store, UTRECHT).await, (0, 0, 0, 0));
    let zwolle = env.store.meeting(ZWOLLE).await.unwrap().unwrap();
    assert_eq!(
        (zwolle.confirmed, zwolle.waitlisted, zwolle.cancelled),
        (1, 1, 0)
    );
    let utrecht = env.store.meeting(UTRECHT).await.unwrap().unwrap();
    assert_eq!(utrecht.confirmed, 0);
    assert!(
        env.store
            .registrations_of("anna@example.nl")
            .await
            .unwrap()
            .is_empty()
    );
    let position = env
        .store
        .registrations(ZWOLLE, &mut |_| {})
        .await
        .unwrap()
        .into_iter()
        .find(|r| r.email == "bert@example.nl")
        .unwrap();
    assert_eq!(position.status, opp_model::RegistrationStatus::Confirmed);

    // Who moved up shows in list, summary and export (issue 15, item 13).
    assert!(position.promoted_at.is_some(), "promoted_at is read back");
    let listed = stdout(&env.admin(&["list", "--meeting", ZWOLLE]).await);
    let bert = listed.lines().find(|l| l.contains("bert@")).unwrap();
    let cees = listed.lines().find(|l| l.contains("cees@")).unwrap();
    assert!(listed.contains("promoted"), "{listed}");
    assert!(
        bert.matches(':').count() > cees.matches(':').count(),
        "Bert's line has a promotion time, Cees's not: {listed}"
    );
    let rows: serde_json::Value = serde_json::from_str(&stdout(
        &env.admin(&["list", "--meeting", ZWOLLE, "--json"]).await,
    ))
    .unwrap();
    let promoted: Vec<&str> = rows
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["promoted_at"].is_string())
        .map(|r| r["email"].as_str().unwrap())
        .collect();
    assert_eq!(promoted, ["bert@example.nl"]);
    let summary: serde_json::Value =
        serde_json::from_str(&stdout(&env.admin(&["summary", "--json"]).await)).unwrap();
    let zwolle_summary = summary
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["id"] == ZWOLLE)
        .unwrap();
    assert_eq!(zwolle_summary["promoted"], 1);
    assert!(
        stdout(&env.admin(&["summary"]).await).contains("Moved up from the waiting list"),
        "summary text names the promotions"
    );
    let exported = env
        .admin(&[
            "export",
            "--meeting",
            ZWOLLE,
            "--format",
            "csv",
            "--output",
            "-",
        ])
        .await;
    let csv = String::from_utf8(exported.stdout).unwrap();
    let header = csv.lines().next().unwrap();
    assert!(header.ends_with("Van wachtlijst naar plek op"), "{header}");
    let bert_row = csv.lines().find(|l| l.contains("bert@")).unwrap();
    let cees_row = csv.lines().find(|l| l.contains("cees@")).unwrap();
    assert!(
        !bert_row.ends_with(';'),
        "Bert's row has the promotion time: {bert_row}"
    );
    assert!(cees_row.ends_with(';'), "Cees still waits: {cees_row}");

    let again = env.admin(&["erase", "--email", "anna@example.nl"]).await;
    assert!(again.status.success());
    assert!(stdout(&again).contains("nothing to erase"));

    let bad = env.admin(&["erase", "--email", "anna"]).await;
    assert_eq!(bad.status.code(), Some(2));
    assert!(
        stderr(&bad).contains("not an email address"),
        "{}",
        stderr(&bad)
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn purge_removes_only_what_is_past_retention() {
    let env = Env::synced(20).await;
    env.register(ZWOLLE, "a@example.nl", "A").await;
    env.register(ZWOLLE, "b@example.nl", "B").await;
    env.register(UTRECHT, "c@example.nl", "C").await;
    let zwolle = env.store.meeting(ZWOLLE).await.unwrap().unwrap();
    let utrecht = env.store.meeting(UTRECHT).await.unwrap().unwrap();
    assert!(zwolle.expires_at < utrecht.expires_at);

    let early = Timestamp::from_second(zwolle.expires_at - 1)
        .unwrap()
        .to_string();
    let nothing = env.admin(&["purge-expired", "--as-of", &early]).await;
    assert!(nothing.status.success(), "{}", stderr(&nothing));
    assert!(
        stdout(&nothing).contains("0 registration(s) removed"),
        "{}",
        stdout(&nothing)
    );

    let later = Timestamp::from_second(zwolle.expires_at + 1)
        .unwrap()
        .to_string();
    let dry = env
        .admin(&["purge-expired", "--as-of", &later, "--dry-run"])
        .await;
    assert!(
        stdout(&dry).contains("2 registration(s) and 0 token(s)"),
        "{}",
        stdout(&dry)
    );
    let purged = env.admin(&["purge-expired", "--as-of", &later]).await;
    assert!(purged.status.success(), "{}", stderr(&purged));
    assert!(
        stdout(&purged).contains("2 registration(s) removed"),
        "{}",
        stdout(&purged)
    );
    assert_eq!(count_statuses(&env.store, ZWOLLE).await, (0, 0, 0, 0));
    assert_eq!(count_statuses(&env.store, UTRECHT).await, (1, 0, 0, 1));
    let zwolle = env.store.meeting(ZWOLLE).await.unwrap().unwrap();
    assert_eq!(zwolle.confirmed, 0, "counters follow the items");
}

#[tokio::test(flavor = "multi_thread")]
async fn errors_say_what_to_do_with_distinct_exit_codes() {
    let env = Env::new().await;

    let missing_table = env.admin_on("nope", &["summary"]).await;
    assert_eq!(
        missing_table.status.code(),
        Some(4),
        "{}",
        stderr(&missing_table)
    );
    assert!(
        stderr(&missing_table).contains("table `nope` does not exist"),
        "{}",
        stderr(&missing_table)
    );

    // A port where nothing listens.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let dead = format!("http://{}", closed.local_addr().unwrap());
    drop(closed);
    let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_opp-admin"));
    command
        .env("OPP_LANG", "en")
        .args(["--endpoint-url", &dead, "summary"]);
    let unreachable = run(command).await;
    assert_eq!(unreachable.status.code(), Some(3));
    assert!(
        stderr(&unreachable).contains(&format!("cannot reach the store at {dead}")),
        "{}",
        stderr(&unreachable)
    );

    // Real AWS without credentials or region: no network needed to tell.
    let bare = || {
        let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_opp-admin"));
        command
            .env_clear()
            .env("OPP_LANG", "en")
            .env("HOME", env.dir.path())
            .env("AWS_EC2_METADATA_DISABLED", "true")
            .env("AWS_CONFIG_FILE", env.dir.path().join("none"))
            .env("AWS_SHARED_CREDENTIALS_FILE", env.dir.path().join("none"));
        command
    };
    let mut no_region = bare();
    no_region.arg("summary");
    let no_region = run(no_region).await;
    assert_eq!(no_region.status.code(), Some(3));
    assert!(
        stderr(&no_region).contains("no AWS region")
            && stderr(&no_region).contains("--endpoint-url http://127.0.0.1:8000"),
        "{}",
        stderr(&no_region)
    );
    let mut no_credentials = bare();
    no_credentials.args(["--region", "eu-central-1", "summary"]);
    let no_credentials = run(no_credentials).await;
    assert_eq!(no_credentials.status.code(), Some(3));
    assert!(
        stderr(&no_credentials).contains("no AWS credentials"),
        "{}",
        stderr(&no_credentials)
    );

    let no_file = env
        .admin(&["sync-meetings", "/nonexistent/meetings.json"])
        .await;
    assert_eq!(no_file.status.code(), Some(2));
    assert!(
        stderr(&no_file).contains("cargo site build"),
        "{}",
        stderr(&no_file)
    );
    let bad_json = env.dir.path().join("bad.json");
    std::fs::write(
        &bad_json,
        r#"{"version": 2, "retention_days": 1, "meetings": []}"#,
    )
    .unwrap();
    let wrong_version = env
        .admin(&["sync-meetings", bad_json.to_str().unwrap()])
        .await;
    assert_eq!(wrong_version.status.code(), Some(2));
    assert!(
        stderr(&wrong_version).contains("version 2"),
        "{}",
        stderr(&wrong_version)
    );

    let usage = env
        .admin(&["export", "--format", "csv", "--output", "x.csv"])
        .await;
    assert_eq!(usage.status.code(), Some(2), "neither --meeting nor --all");
    let unknown = env
        .admin(&[
            "export",
            "--meeting",
            "x",
            "--format",
            "csv",
            "--output",
            "/tmp/never.csv",
        ])
        .await;
    assert_eq!(unknown.status.code(), Some(2));
    assert!(
        stderr(&unknown).contains("sync-meetings"),
        "{}",
        stderr(&unknown)
    );
    assert!(!Path::new("/tmp/never.csv").exists());
}

/// True when `text` holds nothing that could steer a terminal (line ends aside).
fn terminal_safe(text: &str) -> bool {
    !text
        .chars()
        .any(|c| c != '\n' && opp_model::registration::is_hidden_or_control(c))
}

#[tokio::test(flavor = "multi_thread")]
async fn what_registrants_typed_cannot_steer_the_terminal() {
    let env = Env::synced(1).await;
    // Rows from before the handler refused these characters, written to the store directly.
    let old_row = Registration {
        meeting: ZWOLLE.into(),
        name: "Anna\u{1b}]0;x\u{7}".into(),
        email: "anna@example.nl".into(),
        role: "ouder\u{1b}[2J".into(),
        sector: Some("vo".into()),
        organisation: Some("\u{202e}SBO".into()),
        needs: Some("rolstoel\u{200b}\u{9b}31m\nen tolk".into()),
    };
    let token = opp_model::token::new_token().unwrap();
    env.store
        .register(&old_row, &opp_model::token::hash(&token), now())
        .await
        .unwrap();
    env.register(ZWOLLE, "bert\u{1b}[2J@example.nl", "Bert\u{202e}")
        .await;

    let list = stdout(&env.admin(&["list", "--meeting", ZWOLLE]).await);
    assert!(terminal_safe(&list), "{list:?}");
    for shown in [
        "Anna\\u{1b}]0;x\\u{7}",
        "ouder\\u{1b}[2J",
        "\\u{202e}SBO",
        "rolstoel\\u{200b}\\u{9b}31m en tolk",
        "Bert\\u{202e}",
    ] {
        assert!(list.contains(shown), "{shown} in {list}");
    }
    let json = stdout(&env.admin(&["list", "--meeting", ZWOLLE, "--json"]).await);
    assert!(terminal_safe(&json), "{json:?}");
    let rows: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(
        rows[0]["organisation"], "\u{202e}SBO",
        "a parser reads the stored text"
    );

    let summary = stdout(&env.admin(&["summary"]).await);
    assert!(terminal_safe(&summary), "{summary:?}");
    assert!(summary.contains("ouder\\u{1b}[2J"), "{summary}");
    let summary_json = stdout(&env.admin(&["summary", "--json"]).await);
    assert!(terminal_safe(&summary_json), "{summary_json:?}");

    let erased = stdout(&env.admin(&["erase", "--email", "anna@example.nl"]).await);
    assert!(terminal_safe(&erased), "{erased:?}");
    assert!(
        erased.contains("went to bert\\u{1b}[2J@example.nl"),
        "{erased}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn erase_finds_an_idn_address_in_punycode_and_as_typed_before() {
    let env = Env::synced(20).await;
    env.register(ZWOLLE, "anna@xn--bcher-kva.example", "Anna")
        .await;
    // Stored before the handler wrote IDN domains in punycode.
    env.register(UTRECHT, "anna@bücher.example", "Anna").await;
    let erased = env
        .admin(&["erase", "--email", " Anna@Bücher.example "])
        .await;
    assert!(erased.status.success(), "{}", stderr(&erased));
    assert!(
        stdout(&erased).contains("2 registration(s) of anna@xn--bcher-kva.example erased"),
        "{}",
        stdout(&erased)
    );
    assert_eq!(count_statuses(&env.store, ZWOLLE).await, (0, 0, 0, 0));
    assert_eq!(count_statuses(&env.store, UTRECHT).await, (0, 0, 0, 0));
}

#[cfg(unix)]
#[tokio::test(flavor = "multi_thread")]
async fn an_export_is_readable_by_its_owner_only_and_replaces_the_old_one() {
    use std::os::unix::fs::PermissionsExt;
    let env = Env::synced(20).await;
    env.register(ZWOLLE, "anna@example.nl", "Anna").await;
    let folder = env.dir.path().join("exports");
    std::fs::create_dir(&folder).unwrap();
    for (format, name) in [("csv", "zwolle.csv"), ("xlsx", "zwolle.xlsx")] {
        let path = folder.join(name);
        std::fs::write(&path, "an older export").unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
        let export = env
            .admin(&[
                "export",
                "--meeting",
                ZWOLLE,
                "--format",
                format,
                "--output",
                path.to_str().unwrap(),
            ])
            .await;
        assert!(export.status.success(), "{}", stderr(&export));
        let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600, "{name}: {mode:o}");
        assert_ne!(
            std::fs::read(&path).unwrap(),
            b"an older export",
            "{name} replaced"
        );
    }
    let mut names: Vec<String> = std::fs::read_dir(&folder)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(
        names,
        ["zwolle.csv", "zwolle.xlsx"],
        "no temporary file is left"
    );
}

#[tokio::test]
async fn mail_problems_show_in_summary_list_and_mail_failures() {
    let env = Env::synced(5).await;
    env.register(ZWOLLE, "anna@example.nl", "Anna").await;
    env.register(ZWOLLE, "bram@example.nl", "Bram").await;
    assert_eq!(
        env.store
            .mark_email_status("anna@example.nl", "bounced")
            .await
            .unwrap(),
        1
    );
    let summary = env.admin(&["summary"]).await;
    assert!(
        stdout(&summary).contains(&format!("Email bounced or marked as spam (these people get no email; `opp-admin list --meeting ID` shows who): {ZWOLLE} 1")),
        "{}",
        stdout(&summary)
    );
    let list = env.admin(&["list", "--meeting", ZWOLLE, "--json"]).await;
    let rows: serde_json::Value = serde_json::from_str(&stdout(&list)).unwrap();
    let statuses: Vec<(&str, Option<&str>)> = rows
        .as_array()
        .unwrap()
        .iter()
        .map(|r| (r["email"].as_str().unwrap(), r["email_status"].as_str()))
        .collect();
    assert_eq!(
        statuses,
        [
            ("anna@example.nl", Some("bounced")),
            ("bram@example.nl", None)
        ]
    );

    let none = env.admin(&["mail-failures"]).await;
    assert!(
        stdout(&none).contains("No email failed"),
        "{}",
        stdout(&none)
    );
    let key = opp_store::mail_ledger::MailKey {
        subject: "0123abcd".into(),
        kind: "promoted",
        version: "1".into(),
    };
    opp_store::mail_ledger::record_failure(
        &env.store,
        &key,
        "SendEmail: MessageRejected: not verified: anna@example.nl",
        now(),
    )
    .await
    .unwrap();
    let failures = env.admin(&["mail-failures"]).await;
    let text = stdout(&failures);
    assert!(failures.status.success(), "{}", stderr(&failures));
    assert!(
        text.contains("promoted") && text.contains("0123abcd"),
        "{text}"
    );
    assert!(text.contains("1 email(s) not sent"), "{text}");
    assert!(!text.contains('@'), "no address: {text}");
}

#[tokio::test]
async fn send_link_writes_a_link_request_for_a_known_address_only() {
    let env = Env::synced(5).await;
    env.register(ZWOLLE, "anna@example.nl", "Anna").await;
    let unknown = env
        .admin(&["send-link", "--email", "niemand@example.nl"])
        .await;
    assert!(unknown.status.success(), "{}", stderr(&unknown));
    assert!(
        stdout(&unknown).contains("no live registration"),
        "{}",
        stdout(&unknown)
    );
    let sent = env
        .admin(&["send-link", "--email", "Anna@Example.nl"])
        .await;
    assert!(sent.status.success(), "{}", stderr(&sent));
    assert!(
        stdout(&sent).contains("1 registration(s)"),
        "{}",
        stdout(&sent)
    );
    let requests = env.store.link_requests_of("anna@example.nl").await.unwrap();
    assert_eq!(
        requests
            .iter()
            .filter(|(_, sk)| sk.starts_with("REQ#"))
            .count(),
        1,
        "{requests:?}"
    );
}

#[tokio::test]
async fn rekey_links_moves_live_registrations_to_the_current_key_and_revokes_on_request() {
    use opp_model::links::LinkKeys;
    use opp_model::token::hash;
    let env = Env::synced(5).await;
    let person = |email: &str| Registration {
        meeting: ZWOLLE.into(),
        name: "P".into(),
        email: email.into(),
        role: "ouder".into(),
        sector: None,
        organisation: None,
        needs: None,
    };
    let at = open_at(ZWOLLE);
    // Anna: a random link from before link keys. Bram: a link of key version 1. Cees: cancelled.
    let legacy = opp_model::token::new_token().unwrap();
    env.store
        .register(&person("anna@example.nl"), &hash(&legacy), at)
        .await
        .unwrap();
    let first = LinkKeys::first([1; 32]);
    let bram_v1 = first.issue([7; 16]);
    env.store
        .register(
            &person("bram@example.nl"),
            opp_store::IssuedLink::derived(&bram_v1),
            at,
        )
        .await
        .unwrap();
    let cees = opp_model::token::new_token().unwrap();
    env.store
        .register(&person("cees@example.nl"), &hash(&cees), at)
        .await
        .unwrap();
    env.store.cancel(&hash(&cees), at).await.unwrap();

    let ring = first.rotated([2; 32]);
    let file = env.dir.path().join("link-keys.json");
    std::fs::write(&file, ring.to_json()).unwrap();
    let file = file.to_str().unwrap();
    let run = env.admin(&["rekey-links", "--link-key-file", file]).await;
    assert!(run.status.success(), "{}", stderr(&run));
    assert!(
        stdout(&run).contains("2 registration(s) got a link of key version 2"),
        "{}",
        stdout(&run)
    );

    let opens = |token: String| {
        let store = env.store.clone();
        async move { store.registration_by_token(&hash(&token)).await.unwrap() }
    };
    let anna = opens(legacy.clone())
        .await
        .expect("the legacy link still works");
    assert_eq!(anna.key_version, Some(2));
    let anna_v2 = ring.token(2, anna.link_id.as_deref().unwrap()).unwrap();
    assert_eq!(
        opens(anna_v2.clone()).await.unwrap().email,
        "anna@example.nl"
    );
    let bram = opens(bram_v1.token.clone())
        .await
        .expect("the version 1 link still works");
    assert_eq!(
        bram.link_id.as_deref(),
        Some(bram_v1.link_id.as_str()),
        "the same link id"
    );
    let bram_v2 = ring.token(2, &bram_v1.link_id).unwrap();
    assert!(opens(bram_v2.clone()).await.is_some());
    assert_eq!(
        opens(cees.clone()).await.unwrap().key_version,
        None,
        "a cancelled one is left"
    );

    let again = env.admin(&["rekey-links", "--link-key-file", file]).await;
    assert!(
        stdout(&again).contains("0 registration(s) got a link of key version 2; 2 already had one"),
        "{}",
        stdout(&again)
    );

    let revoke = env
        .admin(&["rekey-links", "--link-key-file", file, "--revoke-old"])
        .await;
    assert!(revoke.status.success(), "{}", stderr(&revoke));
    assert!(
        stdout(&revoke).contains("2 earlier link(s) revoked"),
        "{}",
        stdout(&revoke)
    );
    assert!(opens(legacy).await.is_none(), "the legacy link is revoked");
    assert!(
        opens(bram_v1.token).await.is_none(),
        "the version 1 link is revoked"
    );
    assert!(opens(bram_v2).await.is_some());
    // The current link cancels.
    assert!(
        env.store
            .cancel(&hash(&anna_v2), at)
            .await
            .unwrap()
            .is_some()
    );

    let missing = env.admin(&["rekey-links"]).await;
    assert!(!missing.status.success());
}

/// Reads an XLSX file with openpyxl (a spreadsheet reader, not our writer) and prints what a printer and a
/// reader see: the cells, the page setup, the repeated rows and the page header.
const READ_ATTENDANCE: &str = r#"
import json, sys
import openpyxl
book = openpyxl.load_workbook(sys.argv[1])
ws = book.active
# An attribute left out of <pageSetup> has the default of the OOXML schema (fitToWidth and fitToHeight: 1).
def schema_default(value, default):
    return default if value is None else int(value)
print(json.dumps({
    "sheet": ws.title,
    "rows": [[("" if c is None else c) for c in row] for row in ws.iter_rows(values_only=True)],
    "orientation": ws.page_setup.orientation,
    "paper_size": int(ws.page_setup.paperSize),
    "fit_to_page": bool(ws.sheet_properties.pageSetUpPr.fitToPage),
    "fit_to_width": schema_default(ws.page_setup.fitToWidth, 1),
    "fit_to_height": schema_default(ws.page_setup.fitToHeight, 1),
    "print_title_rows": ws.print_title_rows,
    "header_left": ws.oddHeader.left.text,
    "header_right": ws.oddHeader.right.text,
    "footer_center": ws.oddFooter.center.text,
    "tick_has_border": ws["A2"].border.left.style,
}))
"#;

#[tokio::test(flavor = "multi_thread")]
#[ignore = "reads the file with openpyxl (OPP_TEST_PYTHON: a Python with openpyxl): scripts/moto-peer.sh"]
async fn attendance_prints_confirmed_people_by_name_on_a4_landscape() {
    let env = Env::synced(3).await;
    for (email, name, organisation, needs) in [
        (
            "z@example.nl",
            "Zoë de Vries",
            Some("=HYPERLINK(\"x\")"),
            None,
        ),
        (
            "e@example.nl",
            "émile Bakker",
            Some("OBS De Linde"),
            Some("rolstoel"),
        ),
        ("a@example.nl", "Anna Smit", None, None),
        ("w@example.nl", "Wachtende Willem", None, None),
    ] {
        let registration = Registration {
            meeting: ZWOLLE.into(),
            name: name.into(),
            email: email.into(),
            role: "leraar".into(),
            sector: Some("po".into()),
            organisation: organisation.map(str::to_string),
            needs: needs.map(str::to_string),
        };
        let token = opp_model::token::new_token().unwrap();
        env.store
            .register(&registration, &opp_model::token::hash(&token), now())
            .await
            .unwrap();
    }
    // One of the three seats is freed: Willem moves up; Anna, who cancelled, is not on the list.
    let anna = env
        .store
        .registrations(ZWOLLE, &mut |_| {})
        .await
        .unwrap()
        .into_iter()
        .find(|r| r.name == "Anna Smit")
        .unwrap();
    env.store.cancel(&anna.token_hash, now()).await.unwrap();

    let path = env.dir.path().join("presentielijst.xlsx");
    let output = env
        .admin(&[
            "attendance",
            "--meeting",
            ZWOLLE,
            "--output",
            path.to_str().unwrap(),
        ])
        .await;
    assert!(output.status.success(), "{}", stderr(&output));
    assert!(
        stderr(&output).contains("3 confirmed"),
        "{}",
        stderr(&output)
    );

    let python = std::env::var("OPP_TEST_PYTHON").unwrap_or_else(|_| "python3".into());
    let read = std::process::Command::new(python)
        .args(["-c", READ_ATTENDANCE])
        .arg(&path)
        .output()
        .unwrap();
    assert!(
        read.status.success(),
        "openpyxl could not read the file: {}",
        String::from_utf8_lossy(&read.stderr)
    );
    let seen: serde_json::Value = serde_json::from_slice(&read.stdout).unwrap();
    let rows = seen["rows"].as_array().unwrap();
    let names: Vec<&str> = rows.iter().map(|r| r[1].as_str().unwrap()).collect();
    assert_eq!(
        names,
        ["Naam", "émile Bakker", "Wachtende Willem", "Zoë de Vries"],
        "the header, then the confirmed people by name"
    );
    assert_eq!(
        rows[0],
        serde_json::json!([
            "Aanwezig",
            "Naam",
            "School of organisatie",
            "Rol",
            "Wat nodig om mee te doen"
        ])
    );
    assert_eq!(
        rows[1],
        serde_json::json!(["", "émile Bakker", "OBS De Linde", "leraar", "rolstoel"])
    );
    assert_eq!(
        rows[3][2], "=HYPERLINK(\"x\")",
        "kept as text, not a formula"
    );
    assert_eq!(seen["sheet"], "Presentielijst");
    assert_eq!(seen["orientation"], "landscape");
    assert_eq!(seen["paper_size"], 9, "A4");
    assert_eq!(seen["fit_to_page"], true);
    assert_eq!(seen["fit_to_width"], 1, "one page wide");
    assert_eq!(seen["fit_to_height"], 0, "as many pages down as needed");
    assert_eq!(
        seen["print_title_rows"], "$1:$1",
        "the header row on every page"
    );
    assert_eq!(seen["header_left"], "Presentielijst: Bijeenkomst Zwolle");
    let right = seen["header_right"].as_str().unwrap();
    assert!(
        right.contains("2030") && right.contains("Zwolle"),
        "{right}"
    );
    assert_eq!(seen["footer_center"], "Pagina &P van &N");
    assert_eq!(seen["tick_has_border"], "thin", "a box to tick");

    let unknown = env
        .admin(&[
            "attendance",
            "--meeting",
            "nergens",
            "--output",
            path.to_str().unwrap(),
        ])
        .await;
    assert_eq!(unknown.status.code(), Some(2));
    assert!(stderr(&unknown).contains(ZWOLLE), "{}", stderr(&unknown));
}
