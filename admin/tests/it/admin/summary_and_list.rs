//! `opp-admin summary` and `list`: the counts per meeting, role and sector, a meeting's registrations in
//! arrival order, the meetings' counters without `--meeting`, and the errors of a wrong selection.

use super::{Env, UTRECHT, ZWOLLE, json_row, stderr, stdout};

/// Eerste and Tweede in Zwolle (20 places), Derde in Utrecht.
async fn three_registered() -> Env {
    let env = Env::synced(20).await;
    env.register(ZWOLLE, "eerste@example.nl", "Eerste").await;
    env.register(ZWOLLE, "tweede@example.nl", "Tweede").await;
    env.register(UTRECHT, "derde@example.nl", "Derde").await;
    env
}

#[tokio::test(flavor = "multi_thread")]
async fn summary_json_counts_a_meetings_places_roles_and_sectors() {
    let env = three_registered().await;
    let summary = env.admin(&["summary", "--json"]).await;
    assert!(summary.status.success(), "{}", stderr(&summary));
    let zwolle = json_row(&summary, "id", ZWOLLE);
    assert_eq!(zwolle["confirmed"], 2);
    assert_eq!(zwolle["places_left"], 18);
    assert_eq!(zwolle["by_role"]["ouder/verzorger"], 2);
    assert_eq!(zwolle["by_sector"]["vo"], 2);
    assert!(zwolle["mismatch"].is_null());
}

#[tokio::test(flavor = "multi_thread")]
async fn summary_text_shows_places_left_and_roles() {
    let env = three_registered().await;
    let text = env.admin(&["summary"]).await;
    let text = stdout(&text);
    assert!(text.contains("places left"), "{text}");
    assert!(text.contains("By role"), "{text}");
}

#[tokio::test(flavor = "multi_thread")]
async fn list_of_a_meeting_shows_only_its_registrations_in_arrival_order() {
    let env = three_registered().await;
    let list = env.admin(&["list", "--meeting", ZWOLLE]).await;
    let out = stdout(&list);
    assert!(list.status.success(), "{}", stderr(&list));
    let first = out.find("eerste@example.nl").unwrap();
    let second = out.find("tweede@example.nl").unwrap();
    assert!(first < second, "arrival order: {out}");
    assert!(!out.contains("derde@"), "other meeting listed: {out}");
    assert!(out.contains("2 registration(s)"), "{out}");
}

/// Without --meeting: the meetings with their counters, and how to list one.
#[tokio::test(flavor = "multi_thread")]
async fn list_without_a_meeting_shows_each_meetings_counters_and_how_to_list_one() {
    let env = three_registered().await;
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
}

#[tokio::test(flavor = "multi_thread")]
async fn list_json_without_a_meeting_gives_each_meetings_counters() {
    let env = three_registered().await;
    let meetings_json = env.admin(&["list", "--json"]).await;
    let zwolle = json_row(&meetings_json, "meeting", ZWOLLE);
    assert_eq!(zwolle["confirmed"], 2);
    assert_eq!(zwolle["places_left"], 18);
}

#[tokio::test(flavor = "multi_thread")]
async fn list_status_without_a_meeting_is_a_usage_error() {
    let env = three_registered().await;
    let status_only = env.admin(&["list", "--status", "confirmed"]).await;
    assert_eq!(status_only.status.code(), Some(2));
}

#[tokio::test(flavor = "multi_thread")]
async fn list_status_shows_only_registrations_of_that_status() {
    let env = three_registered().await;
    let none = env
        .admin(&["list", "--meeting", ZWOLLE, "--status", "waitlisted"])
        .await;
    assert!(
        stdout(&none).contains("0 registration(s)"),
        "{}",
        stdout(&none)
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn list_of_an_unknown_meeting_exits_2_and_names_the_known_ones() {
    let env = three_registered().await;
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
