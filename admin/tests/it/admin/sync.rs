//! `opp-admin sync-meetings`: a dry run writes nothing, a sync creates the site's meetings, a second one
//! changes nothing, and a capacity change never loses a confirmed place.

use std::path::PathBuf;
use std::process::Output;

use opp_store::testkit::count_statuses;

use super::{Env, ZWOLLE, stderr, stdout};

/// Zwolle synced with 20 places and three confirmed registrations.
async fn three_confirmed() -> Env {
    let env = Env::synced(20).await;
    for i in 0..3 {
        env.register(ZWOLLE, &format!("p{i}@example.nl"), "Piet")
            .await;
    }
    env
}

/// [`three_confirmed`], then a sync of its meetings.json with Zwolle's 20 places changed to `capacity`.
async fn resynced_with_zwolle_capacity(capacity: u32) -> (Env, Output) {
    let env = three_confirmed().await;
    let edited = with_zwolle_capacity(&env, capacity);
    let sync = env
        .admin(&["sync-meetings", edited.to_str().unwrap()])
        .await;
    (env, sync)
}

/// The synced meetings.json with Zwolle's 20 places changed to `capacity`, as another file.
fn with_zwolle_capacity(env: &Env, capacity: u32) -> PathBuf {
    let text = std::fs::read_to_string(env.synced_file()).unwrap();
    let edited = env.dir.path().join("edited.json");
    std::fs::write(
        &edited,
        text.replace("\"capacity\": 20", &format!("\"capacity\": {capacity}")),
    )
    .unwrap();
    assert_ne!(
        std::fs::read_to_string(&edited).unwrap(),
        text,
        "fixture shape changed"
    );
    edited
}

#[tokio::test(flavor = "multi_thread")]
async fn sync_dry_run_writes_nothing() {
    let env = Env::new().await;
    let file = env.meetings_json();
    let dry = env
        .admin(&["sync-meetings", file.to_str().unwrap(), "--dry-run"])
        .await;
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
}

#[tokio::test(flavor = "multi_thread")]
async fn sync_creates_every_meeting_of_the_site() {
    let env = Env::new().await;
    let file = env.meetings_json();
    let first = env.admin(&["sync-meetings", file.to_str().unwrap()]).await;
    assert!(first.status.success(), "{}", stderr(&first));
    assert!(
        stdout(&first).contains("4 created, 0 updated, 0 unchanged"),
        "{}",
        stdout(&first)
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn sync_twice_changes_nothing_and_keeps_counts() {
    let env = three_confirmed().await;
    let again = env
        .admin(&["sync-meetings", env.synced_file().to_str().unwrap()])
        .await;
    assert!(again.status.success(), "{}", stderr(&again));
    assert!(
        stdout(&again).contains("0 created, 0 updated, 4 unchanged"),
        "{}",
        stdout(&again)
    );
    let zwolle = env.meeting(ZWOLLE).await;
    assert_eq!((zwolle.capacity, zwolle.confirmed), (20, 3));
}

#[tokio::test(flavor = "multi_thread")]
async fn sync_refuses_a_capacity_below_the_confirmed_count_with_exit_5() {
    let (env, refused) = resynced_with_zwolle_capacity(2).await;
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
    let zwolle = env.meeting(ZWOLLE).await;
    assert_eq!((zwolle.capacity, zwolle.confirmed), (20, 3));
}

#[tokio::test(flavor = "multi_thread")]
async fn sync_raises_a_capacity_and_keeps_the_registrations() {
    let (env, raised) = resynced_with_zwolle_capacity(25).await;
    assert!(raised.status.success(), "{}", stderr(&raised));
    assert!(
        stdout(&raised).contains("update 2030-03-zwolle: capacity 20 -> 25"),
        "{}",
        stdout(&raised)
    );
    let zwolle = env.meeting(ZWOLLE).await;
    assert_eq!(
        (zwolle.capacity, zwolle.confirmed, zwolle.waitlisted),
        (25, 3, 0)
    );
    assert_eq!(count_statuses(&env.store, ZWOLLE).await, (3, 0, 0, 3));
}
