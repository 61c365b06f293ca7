//! `opp-admin send-link`: a link request is written for an address with a live registration, whatever its
//! case, and for no other.

use super::{Env, ZWOLLE, stderr, stdout};

/// Anna in Zwolle.
async fn anna_registered() -> Env {
    let env = Env::synced(5).await;
    env.register(ZWOLLE, "anna@example.nl", "Anna").await;
    env
}

#[tokio::test]
async fn send_link_to_an_unknown_address_says_it_has_no_live_registration() {
    let env = anna_registered().await;
    let unknown = env
        .admin(&["send-link", "--email", "niemand@example.nl"])
        .await;
    assert!(unknown.status.success(), "{}", stderr(&unknown));
    assert!(
        stdout(&unknown).contains("no live registration"),
        "{}",
        stdout(&unknown)
    );
}

#[tokio::test]
async fn send_link_writes_one_link_request_for_a_known_address_in_any_case() {
    let env = anna_registered().await;
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
