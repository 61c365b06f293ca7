//! Personal links are derived from the link key: the table holds the link id and key version, never the
//! token, and whoever holds the key (the mailer, opp-admin) forms the same link the registrant got.

mod common;

use common::*;
use opp_handler::token;

const M: &str = "2030-03-zwolle";

#[tokio::test]
async fn the_link_is_formed_again_from_the_link_id_and_the_key() {
    let s = stack(&[meeting(M, 1)]).await;
    let mut tokens = Vec::new();
    for email in ["a%40example.nl", "b%40example.nl"] {
        let location = post_form(&s.app, &form(M, email)).await.location.unwrap();
        tokens.push(location.rsplit('/').next().unwrap().to_string());
    }
    let ring = link_keys();
    for token in &tokens {
        let record = s
            .store
            .registration_by_token(&token::hash(token))
            .await
            .unwrap()
            .expect("the link opens its registration");
        let link_id = record.link_id.as_deref().expect("a link id is stored");
        assert_eq!(link_id.len(), 32);
        assert_eq!(record.key_version, Some(ring.current()));
        assert_eq!(
            ring.token(ring.current(), link_id).as_deref(),
            Some(token.as_str()),
            "the key forms the same link (seat and waiting list alike)"
        );
        assert_ne!(
            ring.token(1, link_id).as_deref(),
            Some(token.as_str()),
            "another key version forms another link"
        );
    }

    // Nothing in the table is the token or lets one form it without the key.
    let items = scan_all(&s.store).await;
    let text = format!("{items:?}");
    for token in &tokens {
        assert!(!text.contains(token.as_str()), "no token in the table");
    }
}

#[tokio::test]
async fn without_a_link_key_nothing_is_stored() {
    let s = stack_with_keys(
        &[meeting(M, 5)],
        opp_handler::link_keys::LinkKeySource::Missing,
    )
    .await;
    let reply = post_form(&s.app, &form(M, "a%40example.nl")).await;
    assert_eq!(reply.location.as_deref(), Some("/aanmelden/mislukt/"));
    let stored = scan_all(&s.store).await;
    assert!(
        stored.iter().all(|item| item
            .get("PK")
            .and_then(|k| k.as_s().ok())
            .map(String::as_str)
            == Some("MEETINGS")),
        "only the meeting item: {stored:?}"
    );
}
