//! `opp-admin export`: every Query page is read, CSV and XLSX neutralise what a spreadsheet would run as a
//! formula, `--output -` gives the CSV on standard output, and the file is written whole, for its owner only.

use std::path::{Path, PathBuf};
use std::process::Output;

use opp_model::registration::Registration;
use opp_store::testkit::{now, transactions_are_isolated};

use super::{Env, ZWOLLE, stderr};

/// What registrants may type that a spreadsheet would take for a formula (or that breaks a line).
const HOSTILE: [&str; 6] = [
    "=HYPERLINK(\"http://x\")",
    "+31 6",
    "-1+1",
    "@SUM(A1)",
    "\tTab",
    "\rCR",
];

/// Zwolle with `capacity` places and `total` registrations: the [`HOSTILE`] names first, then people of
/// "OBS De Linde; Zwolle" (a separator in a field), past `capacity` so the waiting list shows too.
async fn crowd(total: usize, capacity: u32) -> Env {
    let env = Env::synced(capacity).await;
    for (i, name) in HOSTILE.iter().enumerate() {
        env.register(ZWOLLE, &format!("h{i}@example.nl"), name)
            .await;
    }
    let mut tasks = tokio::task::JoinSet::new();
    // Eight writers at once where the peer isolates transactions (dynoxide), else one.
    let writers = if transactions_are_isolated() { 8 } else { 1 };
    let per_task = (total - HOSTILE.len()) / writers;
    for t in 0..writers {
        let store = env.store.clone();
        let count = if t == writers - 1 {
            total - HOSTILE.len() - (writers - 1) * per_task
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
    env
}

/// A crowd for what does not depend on paging: 20 in one Query page, five of them on the waiting list.
async fn small_crowd() -> Env {
    crowd(20, 15).await
}

/// The [`small_crowd`]'s CSV file, as text.
async fn small_crowd_csv() -> String {
    let env = small_crowd().await;
    let (_, bytes) = zwolle_csv(&env).await;
    String::from_utf8(bytes).unwrap()
}

/// Zwolle exported as CSV to `zwolle.csv` in the test's folder: the run and the file's bytes.
async fn zwolle_csv(env: &Env) -> (Output, Vec<u8>) {
    let csv_path = env.dir.path().join("zwolle.csv");
    let csv = env
        .export(&["--meeting", ZWOLLE], "csv", csv_path.to_str().unwrap())
        .await;
    assert!(csv.status.success(), "{}", stderr(&csv));
    (csv, std::fs::read(&csv_path).unwrap())
}

/// Every meeting exported as XLSX to `alle.xlsx` in the test's folder: the run and the file.
async fn all_xlsx(env: &Env) -> (Output, PathBuf) {
    let xlsx_path = env.dir.path().join("alle.xlsx");
    let xlsx = env
        .export(&["--all"], "xlsx", xlsx_path.to_str().unwrap())
        .await;
    assert!(xlsx.status.success(), "{}", stderr(&xlsx));
    (xlsx, xlsx_path)
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

/// The names in `folder`, sorted.
fn names_in(folder: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(folder)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

#[tokio::test(flavor = "multi_thread")]
async fn export_reads_every_query_page_in_csv_and_xlsx() {
    // 2,500 in all on dynoxide: more than two Query pages of 1,000, and past capacity so the waiting list
    // shows too. moto copies the whole table for every transaction (its rollback), which takes seconds
    // past a few hundred items and runs past the function's time budget (a fresh CI run saw a register
    // end as "unknown" at 300), so there 150 in one page: the paging itself is checked on dynoxide.
    let (total, capacity) = if transactions_are_isolated() {
        (2500, 2400)
    } else {
        (150, 140)
    };
    let env = crowd(total, capacity).await;

    let (csv, bytes) = zwolle_csv(&env).await;
    assert!(
        stderr(&csv).contains(&format!("wrote {total} registration(s)")),
        "{}",
        stderr(&csv)
    );
    let text = String::from_utf8(bytes).unwrap();
    let records: Vec<&str> = text.split("\r\n").filter(|l| !l.is_empty()).collect();
    assert_eq!(records.len(), total + 1, "header + a row per registration");

    let (_, xlsx_path) = all_xlsx(&env).await;
    let sheet = zip_entry(&xlsx_path, "xl/worksheets/sheet1.xml");
    assert!(
        sheet.contains(&format!("<row r=\"{}\"", total + 1)),
        "a row per registration and a header"
    );
    assert!(!sheet.contains(&format!("<row r=\"{}\"", total + 2)));
}

#[tokio::test(flavor = "multi_thread")]
async fn export_csv_starts_with_a_byte_order_mark_and_the_header() {
    let env = small_crowd().await;
    let (_, bytes) = zwolle_csv(&env).await;
    assert!(bytes.starts_with(b"\xEF\xBB\xBFBijeenkomst;Datum;"));
}

#[tokio::test(flavor = "multi_thread")]
async fn export_csv_neutralises_formulas() {
    let text = small_crowd_csv().await;
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
    assert!(!text.contains(";=") && !text.contains(";+") && !text.contains(";@"));
}

#[tokio::test(flavor = "multi_thread")]
async fn export_csv_quotes_a_field_with_the_separator() {
    let text = small_crowd_csv().await;
    assert!(text.contains(";\"OBS De Linde; Zwolle\";"));
}

#[tokio::test(flavor = "multi_thread")]
async fn export_csv_has_the_waiting_list_positions() {
    let text = small_crowd_csv().await;
    assert!(
        text.contains(";wachtlijst;1;"),
        "waiting list positions exported"
    );
}

/// `--output -`: the same CSV on standard output, the note on standard error.
#[tokio::test(flavor = "multi_thread")]
async fn export_to_standard_output_writes_the_files_bytes() {
    let env = small_crowd().await;
    let (_, bytes) = zwolle_csv(&env).await;
    let piped = env.export(&["--meeting", ZWOLLE], "csv", "-").await;
    assert!(piped.status.success(), "{}", stderr(&piped));
    assert_eq!(piped.stdout, bytes, "stdout holds exactly the file's bytes");
    assert!(
        stderr(&piped).contains("to standard output"),
        "{}",
        stderr(&piped)
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn export_refuses_xlsx_on_standard_output_with_exit_2() {
    let env = small_crowd().await;
    let binary = env.export(&["--meeting", ZWOLLE], "xlsx", "-").await;
    assert_eq!(binary.status.code(), Some(2));
    assert!(stderr(&binary).contains("CSV only"), "{}", stderr(&binary));
    assert!(binary.stdout.is_empty());
}

#[tokio::test(flavor = "multi_thread")]
async fn export_xlsx_freezes_the_header_and_sets_column_widths() {
    let env = small_crowd().await;
    let (_, xlsx_path) = all_xlsx(&env).await;
    let sheet = zip_entry(&xlsx_path, "xl/worksheets/sheet1.xml");
    assert!(
        sheet.contains("ySplit=\"1\"") && sheet.contains("state=\"frozen\""),
        "frozen header"
    );
    assert!(sheet.contains("<cols>"), "column widths");
}

#[tokio::test(flavor = "multi_thread")]
async fn export_xlsx_neutralises_formulas_and_keeps_the_text() {
    let env = small_crowd().await;
    let (_, xlsx_path) = all_xlsx(&env).await;
    let sheet = zip_entry(&xlsx_path, "xl/worksheets/sheet1.xml");
    let styles = zip_entry(&xlsx_path, "xl/styles.xml");
    let strings = zip_entry(&xlsx_path, "xl/sharedStrings.xml");
    assert!(!sheet.contains("<f>"), "no formulas at all");
    assert!(
        styles.contains("quotePrefix=\"1\""),
        "formula-like cells get the quote prefix"
    );
    assert!(strings.contains("=HYPERLINK"), "text kept as typed");
    let quoted_cells = sheet.matches(" s=\"2\"").count();
    assert_eq!(
        quoted_cells,
        HOSTILE.len(),
        "exactly the hostile cells are quote-prefixed"
    );
}

/// Only the registrations' file appears: no partial file left behind.
#[tokio::test(flavor = "multi_thread")]
async fn export_leaves_no_partial_file() {
    let env = small_crowd().await;
    zwolle_csv(&env).await;
    all_xlsx(&env).await;
    let names: Vec<String> = names_in(env.dir.path())
        .into_iter()
        .filter(|n| n.contains("csv") || n.contains("xlsx"))
        .collect();
    assert_eq!(names, ["alle.xlsx", "zwolle.csv"]);
}

/// The formats and file names [`exported_over_older_files`] writes.
#[cfg(unix)]
const OVER_OLDER: [(&str, &str); 2] = [("csv", "zwolle.csv"), ("xlsx", "zwolle.xlsx")];

/// Zwolle exported as CSV and XLSX into a folder of their own, each over "an older export" that anyone
/// could read: the env and the folder.
#[cfg(unix)]
async fn exported_over_older_files() -> (Env, PathBuf) {
    use std::os::unix::fs::PermissionsExt;
    let env = Env::synced(20).await;
    env.register(ZWOLLE, "anna@example.nl", "Anna").await;
    let folder = env.dir.path().join("exports");
    std::fs::create_dir(&folder).unwrap();
    for (format, name) in OVER_OLDER {
        let path = folder.join(name);
        std::fs::write(&path, "an older export").unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
        let export = env
            .export(&["--meeting", ZWOLLE], format, path.to_str().unwrap())
            .await;
        assert!(export.status.success(), "{}", stderr(&export));
    }
    (env, folder)
}

#[cfg(unix)]
#[tokio::test(flavor = "multi_thread")]
async fn an_export_is_readable_by_its_owner_only() {
    use std::os::unix::fs::PermissionsExt;
    let (_env, folder) = exported_over_older_files().await;
    for (_, name) in OVER_OLDER {
        let mode = std::fs::metadata(folder.join(name))
            .unwrap()
            .permissions()
            .mode()
            & 0o777;
        assert_eq!(mode, 0o600, "{name}: {mode:o}");
    }
}

#[cfg(unix)]
#[tokio::test(flavor = "multi_thread")]
async fn an_export_replaces_the_old_one() {
    let (_env, folder) = exported_over_older_files().await;
    for (_, name) in OVER_OLDER {
        assert_ne!(
            std::fs::read(folder.join(name)).unwrap(),
            b"an older export",
            "{name} replaced"
        );
    }
}

#[cfg(unix)]
#[tokio::test(flavor = "multi_thread")]
async fn an_export_leaves_no_temporary_file() {
    let (_env, folder) = exported_over_older_files().await;
    assert_eq!(
        names_in(&folder),
        ["zwolle.csv", "zwolle.xlsx"],
        "no temporary file is left"
    );
}
