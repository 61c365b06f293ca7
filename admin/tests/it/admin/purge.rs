//! `opp-admin purge-expired`: only the registrations of a meeting past its retention go, tokens and
//! counters with them; a dry run counts them.

use jiff::Timestamp;
use opp_store::testkit::count_statuses;

use super::{Env, UTRECHT, ZWOLLE, stderr, stdout};

/// A and B in Zwolle, C in Utrecht (which expires later): the env, and `--as-of` values a second before
/// and a second after Zwolle's retention ends.
async fn zwolle_expires_first() -> (Env, String, String) {
    let env = Env::synced(20).await;
    env.register(ZWOLLE, "a@example.nl", "A").await;
    env.register(ZWOLLE, "b@example.nl", "B").await;
    env.register(UTRECHT, "c@example.nl", "C").await;
    let zwolle = env.meeting(ZWOLLE).await;
    let utrecht = env.meeting(UTRECHT).await;
    assert!(zwolle.expires_at < utrecht.expires_at);
    let as_of = |second| Timestamp::from_second(second).unwrap().to_string();
    (
        env,
        as_of(zwolle.expires_at - 1),
        as_of(zwolle.expires_at + 1),
    )
}

#[tokio::test(flavor = "multi_thread")]
async fn purge_before_any_retention_ends_removes_nothing() {
    let (env, early, _) = zwolle_expires_first().await;
    let nothing = env.admin(&["purge-expired", "--as-of", &early]).await;
    assert!(nothing.status.success(), "{}", stderr(&nothing));
    assert!(
        stdout(&nothing).contains("0 registration(s) removed"),
        "{}",
        stdout(&nothing)
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn purge_dry_run_counts_what_is_past_retention() {
    let (env, _, later) = zwolle_expires_first().await;
    let dry = env
        .admin(&["purge-expired", "--as-of", &later, "--dry-run"])
        .await;
    assert!(
        stdout(&dry).contains("2 registration(s) and 0 token(s)"),
        "{}",
        stdout(&dry)
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn purge_removes_only_what_is_past_retention() {
    let (env, _, later) = zwolle_expires_first().await;
    let purged = env.admin(&["purge-expired", "--as-of", &later]).await;
    assert!(purged.status.success(), "{}", stderr(&purged));
    assert!(
        stdout(&purged).contains("2 registration(s) removed"),
        "{}",
        stdout(&purged)
    );
    assert_eq!(count_statuses(&env.store, ZWOLLE).await, (0, 0, 0, 0));
    assert_eq!(count_statuses(&env.store, UTRECHT).await, (1, 0, 0, 1));
    let zwolle = env.meeting(ZWOLLE).await;
    assert_eq!(zwolle.confirmed, 0, "counters follow the items");
}
