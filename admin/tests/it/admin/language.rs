//! The organisers' language: without OPP_LANG they read Dutch (headers, statuses, counts and errors);
//! `--status` takes the Dutch and the English word; `--json` keeps the stable English values;
//! `OPP_LANG=en` gives English.

use super::{Env, ZWOLLE, stderr, stdout};

/// Zwolle with one place: Eerste has it, Tweede waits.
async fn one_confirmed_one_waiting() -> Env {
    let env = Env::synced(1).await;
    env.register(ZWOLLE, "eerste@example.nl", "Eerste").await;
    env.register(ZWOLLE, "tweede@example.nl", "Tweede").await;
    env
}

#[tokio::test(flavor = "multi_thread")]
async fn summary_is_dutch_by_default() {
    let env = one_confirmed_one_waiting().await;
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
}

#[tokio::test(flavor = "multi_thread")]
async fn list_is_dutch_by_default() {
    let env = one_confirmed_one_waiting().await;
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
}

#[tokio::test(flavor = "multi_thread")]
async fn list_status_takes_the_dutch_and_the_english_word() {
    let env = one_confirmed_one_waiting().await;
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
}

#[tokio::test(flavor = "multi_thread")]
async fn list_refuses_an_unknown_status_in_dutch_with_exit_2() {
    let env = one_confirmed_one_waiting().await;
    let wrong = env
        .admin_nl(&["list", "--meeting", ZWOLLE, "--status", "weg"])
        .await;
    assert_eq!(wrong.status.code(), Some(2));
    assert!(
        stderr(&wrong).contains("is geen status"),
        "{}",
        stderr(&wrong)
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn list_json_keeps_the_stored_english_statuses() {
    let env = one_confirmed_one_waiting().await;
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
}

#[tokio::test(flavor = "multi_thread")]
async fn an_unknown_meeting_is_reported_in_dutch_with_the_known_ones() {
    let env = one_confirmed_one_waiting().await;
    let unknown = env.admin_nl(&["list", "--meeting", "2030-03-zwole"]).await;
    assert_eq!(unknown.status.code(), Some(2));
    let err = stderr(&unknown);
    assert!(
        err.starts_with("fout: er is geen bijeenkomst `2030-03-zwole`"),
        "{err}"
    );
    assert!(err.contains(ZWOLLE), "{err}");
}

#[tokio::test(flavor = "multi_thread")]
async fn opp_lang_en_gives_english() {
    let env = one_confirmed_one_waiting().await;
    let english = stdout(&env.admin(&["list", "--meeting", ZWOLLE]).await);
    assert!(
        english.contains("waitlisted") && english.contains("2 registration(s)"),
        "{english}"
    );
}
