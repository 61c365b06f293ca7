//! `opp-admin erase`: a dry run only counts; an erasure removes every registration and token of the
//! address, keeps the counters right and gives a freed place to the first on the waiting list, who then
//! shows as moved up in list, summary and export; an IDN address is found in punycode and as typed.

use opp_store::testkit::count_statuses;

use super::{Env, UTRECHT, ZWOLLE, json_row, stderr, stdout};

/// Zwolle with one place: Anna has it, Bert and Cees wait (in that order); Anna is in Utrecht too.
async fn anna_in_both_and_two_waiting() -> Env {
    let env = Env::synced(1).await;
    env.register(ZWOLLE, "anna@example.nl", "Anna").await; // the only seat
    env.register(ZWOLLE, "bert@example.nl", "Bert").await; // waiting list 1
    env.register(ZWOLLE, "cees@example.nl", "Cees").await; // waiting list 2
    env.register(UTRECHT, "anna@example.nl", "Anna").await;
    env
}

/// [`anna_in_both_and_two_waiting`] after Anna's erasure: the env and what `erase` printed.
async fn anna_erased() -> (Env, String) {
    let env = anna_in_both_and_two_waiting().await;
    let erased = env.admin(&["erase", "--email", " Anna@Example.nl "]).await;
    assert!(erased.status.success(), "{}", stderr(&erased));
    (env, stdout(&erased))
}

#[tokio::test(flavor = "multi_thread")]
async fn erase_dry_run_counts_the_registrations_and_removes_nothing() {
    let env = anna_in_both_and_two_waiting().await;
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
}

#[tokio::test(flavor = "multi_thread")]
async fn erase_says_what_it_removed_and_who_moved_up() {
    let (_env, out) = anna_erased().await;
    assert!(
        out.contains("removed anna@example.nl from 2030-03-zwolle (confirmed)"),
        "{out}"
    );
    assert!(out.contains("went to bert@example.nl"), "{out}");
    assert!(
        out.contains("2 registration(s) of anna@example.nl erased"),
        "{out}"
    );
}

/// Bert has the seat, Cees is first in line; counters equal the items; Anna's tokens are gone too.
#[tokio::test(flavor = "multi_thread")]
async fn erase_removes_every_registration_and_token_and_keeps_the_counters() {
    let (env, _) = anna_erased().await;
    assert_eq!(count_statuses(&env.store, ZWOLLE).await, (1, 1, 0, 2));
    assert_eq!(count_statuses(&env.store, UTRECHT).await, (0, 0, 0, 0));
    let zwolle = env.meeting(ZWOLLE).await;
    assert_eq!(
        (zwolle.confirmed, zwolle.waitlisted, zwolle.cancelled),
        (1, 1, 0)
    );
    let utrecht = env.meeting(UTRECHT).await;
    assert_eq!(utrecht.confirmed, 0);
    assert!(
        env.store
            .registrations_of("anna@example.nl")
            .await
            .unwrap()
            .is_empty()
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn erase_gives_the_freed_place_to_the_first_on_the_waiting_list() {
    let (env, _) = anna_erased().await;
    let position = env
        .registration(ZWOLLE, |r| r.email == "bert@example.nl")
        .await;
    assert_eq!(position.status, opp_model::RegistrationStatus::Confirmed);
    // Who moved up shows in list, summary and export (issue 15, item 13): the tests below.
    assert!(position.promoted_at.is_some(), "promoted_at is read back");
}

#[tokio::test(flavor = "multi_thread")]
async fn list_shows_who_moved_up_and_when() {
    let (env, _) = anna_erased().await;
    let listed = stdout(&env.admin(&["list", "--meeting", ZWOLLE]).await);
    let bert = listed.lines().find(|l| l.contains("bert@")).unwrap();
    let cees = listed.lines().find(|l| l.contains("cees@")).unwrap();
    assert!(listed.contains("promoted"), "{listed}");
    assert!(
        bert.matches(':').count() > cees.matches(':').count(),
        "Bert's line has a promotion time, Cees's not: {listed}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn list_json_has_the_promotion_time_of_who_moved_up_only() {
    let (env, _) = anna_erased().await;
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
}

#[tokio::test(flavor = "multi_thread")]
async fn summary_counts_who_moved_up() {
    let (env, _) = anna_erased().await;
    let zwolle_summary = json_row(&env.admin(&["summary", "--json"]).await, "id", ZWOLLE);
    assert_eq!(zwolle_summary["promoted"], 1);
    assert!(
        stdout(&env.admin(&["summary"]).await).contains("Moved up from the waiting list"),
        "summary text names the promotions"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn export_has_the_promotion_time_of_who_moved_up() {
    let (env, _) = anna_erased().await;
    let exported = env.export(&["--meeting", ZWOLLE], "csv", "-").await;
    let csv = String::from_utf8(exported.stdout).unwrap();
    let header = csv.lines().next().unwrap();
    assert!(header.ends_with("Binnen sinds;Ingecheckt door"), "{header}");
    let bert_row = csv.lines().find(|l| l.contains("bert@")).unwrap();
    let cees_row = csv.lines().find(|l| l.contains("cees@")).unwrap();
    // "Van wachtlijst naar plek op" is the 13th column; the two check-in columns follow it.
    let promoted_at = |row: &str| row.split(';').nth(12).unwrap_or_default().to_string();
    assert!(
        !promoted_at(bert_row).is_empty(),
        "Bert's row has the promotion time: {bert_row}"
    );
    assert!(
        promoted_at(cees_row).is_empty(),
        "Cees still waits: {cees_row}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn erasing_again_finds_nothing_to_erase() {
    let (env, _) = anna_erased().await;
    let again = env.admin(&["erase", "--email", "anna@example.nl"]).await;
    assert!(again.status.success());
    assert!(stdout(&again).contains("nothing to erase"));
}

#[tokio::test(flavor = "multi_thread")]
async fn erase_refuses_what_is_not_an_email_address_with_exit_2() {
    let env = anna_in_both_and_two_waiting().await;
    let bad = env.admin(&["erase", "--email", "anna"]).await;
    assert_eq!(bad.status.code(), Some(2));
    assert!(
        stderr(&bad).contains("not an email address"),
        "{}",
        stderr(&bad)
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
