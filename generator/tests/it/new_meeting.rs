//! `opp-site new meeting` as the editors' guide shows it (docs/redactie/bijeenkomst-toevoegen.md): its example command, with a date a year after the test's
//! clock, writes a page that builds as an open meeting.

use crate::common::{now, options, site_copy};

/// The guide's example command line (after `cargo site`), as words.
fn guide_example() -> Vec<String> {
    let guide = include_str!("../../../docs/redactie/bijeenkomst-toevoegen.md");
    let line = guide
        .lines()
        .find(|l| l.trim_start().starts_with("cargo site new meeting"))
        .expect("docs/redactie/bijeenkomst-toevoegen.md shows `cargo site new meeting ...`");
    let mut words = Vec::new();
    let mut current = String::new();
    let mut quoted = false;
    for c in line.trim().trim_start_matches("cargo site").chars() {
        match c {
            '"' => quoted = !quoted,
            ' ' if !quoted => {
                if !current.is_empty() {
                    words.push(std::mem::take(&mut current));
                }
            }
            c => current.push(c),
        }
    }
    if !current.is_empty() {
        words.push(current);
    }
    words
}

#[test]
fn the_guide_example_writes_an_open_meeting() {
    let (_dir, root) = site_copy();
    let mut args = guide_example();
    let date_at = args
        .iter()
        .position(|a| a == "--date")
        .expect("--date in the example")
        + 1;
    let next_year =
        (now().to_zoned(jiff::tz::TimeZone::UTC).date() + jiff::ToSpan::years(1)).to_string();
    args[date_at] = next_year.clone();

    let output = std::process::Command::new(env!("CARGO_BIN_EXE_opp-site"))
        .args(&args)
        .arg("--root")
        .arg(&root)
        .output()
        .unwrap();
    let said = String::from_utf8_lossy(&output.stdout).into_owned();
    assert!(
        output.status.success(),
        "{said}{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(
        said.contains("Nieuwe bijeenkomst") && said.contains("content/bijeenkomsten/"),
        "{said}"
    );

    let out = root.join("public");
    let built = opp_site::build(&options(&root, &out));
    assert!(
        built.is_ok(),
        "{}",
        built.err().map(|e| e.to_string()).unwrap_or_default()
    );
    let meetings: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("meetings.json")).unwrap()).unwrap();
    let made = meetings["meetings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["date"] == next_year.as_str())
        .expect("the new meeting is in meetings.json");
    assert_eq!(made["status"], "open", "{made}");
}

#[test]
fn without_a_terminal_missing_answers_are_named() {
    let (_dir, root) = site_copy();
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_opp-site"))
        .args(["new", "meeting", "--city", "Utrecht", "--root"])
        .arg(&root)
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let err = String::from_utf8_lossy(&output.stderr);
    assert!(err.contains("--venue, --date, --capacity"), "{err}");
}
