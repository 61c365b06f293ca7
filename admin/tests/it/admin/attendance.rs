//! `opp-admin attendance`: the confirmed people by name in an XLSX file that prints on A4 landscape, read
//! back with openpyxl (OPP_TEST_PYTHON: a Python with openpyxl; scripts/moto-peer.sh runs these tests).

use std::path::PathBuf;
use std::process::Output;

use opp_model::registration::Registration;
use opp_store::testkit::now;

use super::{Env, ZWOLLE, stderr};

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

/// Zwolle with three places, taken by Zoë, émile and Anna, and Willem waiting; one of the three seats is
/// freed: Willem moves up; Anna, who cancelled, is not on the list. Then Zwolle's attendance list in
/// presentielijst.xlsx: the env, the run and the file.
async fn attendance_list() -> (Env, Output, PathBuf) {
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
    let anna = env.registration(ZWOLLE, |r| r.name == "Anna Smit").await;
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
    (env, output, path)
}

/// What openpyxl reads in [`attendance_list`]'s file ([`READ_ATTENDANCE`]).
async fn seen() -> serde_json::Value {
    let (_env, _, path) = attendance_list().await;
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
    serde_json::from_slice(&read.stdout).unwrap()
}

/// The rows of cells openpyxl reads in [`attendance_list`]'s file.
async fn rows() -> Vec<serde_json::Value> {
    seen().await["rows"].as_array().unwrap().clone()
}

#[tokio::test(flavor = "multi_thread")]
#[ignore = "reads the file with openpyxl (OPP_TEST_PYTHON: a Python with openpyxl): scripts/moto-peer.sh"]
async fn attendance_says_how_many_confirmed_people_it_lists() {
    let (_env, output, _) = attendance_list().await;
    assert!(
        stderr(&output).contains("3 confirmed"),
        "{}",
        stderr(&output)
    );
}

#[tokio::test(flavor = "multi_thread")]
#[ignore = "reads the file with openpyxl (OPP_TEST_PYTHON: a Python with openpyxl): scripts/moto-peer.sh"]
async fn attendance_lists_the_confirmed_people_by_name() {
    let rows = rows().await;
    let names: Vec<&str> = rows.iter().map(|r| r[1].as_str().unwrap()).collect();
    assert_eq!(
        names,
        ["Naam", "émile Bakker", "Wachtende Willem", "Zoë de Vries"],
        "the header, then the confirmed people by name"
    );
}

#[tokio::test(flavor = "multi_thread")]
#[ignore = "reads the file with openpyxl (OPP_TEST_PYTHON: a Python with openpyxl): scripts/moto-peer.sh"]
async fn attendance_has_a_dutch_header_row() {
    let rows = rows().await;
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
}

#[tokio::test(flavor = "multi_thread")]
#[ignore = "reads the file with openpyxl (OPP_TEST_PYTHON: a Python with openpyxl): scripts/moto-peer.sh"]
async fn attendance_rows_hold_organisation_role_and_needs() {
    let rows = rows().await;
    assert_eq!(
        rows[1],
        serde_json::json!(["", "émile Bakker", "OBS De Linde", "leraar", "rolstoel"])
    );
}

#[tokio::test(flavor = "multi_thread")]
#[ignore = "reads the file with openpyxl (OPP_TEST_PYTHON: a Python with openpyxl): scripts/moto-peer.sh"]
async fn attendance_keeps_a_formula_as_text() {
    let rows = rows().await;
    assert_eq!(
        rows[3][2], "=HYPERLINK(\"x\")",
        "kept as text, not a formula"
    );
}

#[tokio::test(flavor = "multi_thread")]
#[ignore = "reads the file with openpyxl (OPP_TEST_PYTHON: a Python with openpyxl): scripts/moto-peer.sh"]
async fn attendance_prints_on_a4_landscape_one_page_wide() {
    let seen = seen().await;
    assert_eq!(seen["sheet"], "Presentielijst");
    assert_eq!(seen["orientation"], "landscape");
    assert_eq!(seen["paper_size"], 9, "A4");
    assert_eq!(seen["fit_to_page"], true);
    assert_eq!(seen["fit_to_width"], 1, "one page wide");
    assert_eq!(seen["fit_to_height"], 0, "as many pages down as needed");
}

#[tokio::test(flavor = "multi_thread")]
#[ignore = "reads the file with openpyxl (OPP_TEST_PYTHON: a Python with openpyxl): scripts/moto-peer.sh"]
async fn attendance_repeats_the_header_row_and_names_the_meeting_on_every_page() {
    let seen = seen().await;
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
}

#[tokio::test(flavor = "multi_thread")]
#[ignore = "reads the file with openpyxl (OPP_TEST_PYTHON: a Python with openpyxl): scripts/moto-peer.sh"]
async fn attendance_has_a_box_to_tick() {
    let seen = seen().await;
    assert_eq!(seen["tick_has_border"], "thin", "a box to tick");
}

#[tokio::test(flavor = "multi_thread")]
#[ignore = "reads the file with openpyxl (OPP_TEST_PYTHON: a Python with openpyxl): scripts/moto-peer.sh"]
async fn attendance_of_an_unknown_meeting_exits_2_and_names_the_known_ones() {
    let (env, _, path) = attendance_list().await;
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
