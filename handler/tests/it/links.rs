//! Personal links are derived from the link key: the table holds the link id and key version, never the
//! token, and whoever holds the key (the mailer, opp-admin) forms the same link the registrant got.

use crate::common::*;
use opp_model::token;

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
        opp_store::link_keys::LinkKeySource::Missing,
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

/// The link request items of the table: (partition key, email).
async fn link_requests(store: &opp_store::Store) -> Vec<(String, String)> {
    let get =
        |item: &std::collections::HashMap<String, aws_sdk_dynamodb::types::AttributeValue>,
         k: &str| {
            item.get(k)
                .and_then(|v| v.as_s().ok())
                .cloned()
                .unwrap_or_default()
        };
    scan_all(store)
        .await
        .iter()
        .filter(|item| get(item, "type") == "link_request")
        .map(|item| (get(item, "PK"), get(item, "email")))
        .collect()
}

#[tokio::test]
async fn link_kwijt_answers_the_same_for_every_address_and_writes_a_request() {
    let s = stack(&[meeting(M, 5)]).await;
    post_form(&s.app, &form(M, "anna%40example.nl")).await;
    for email in ["anna%40example.nl", "onbekend%40example.nl"] {
        let reply = send(
            &s.app,
            event(
                "POST",
                "/api/links",
                &[
                    ("content-type", "application/x-www-form-urlencoded"),
                    ("origin", ORIGIN),
                ],
                &format!("email={email}"),
            ),
        )
        .await;
        assert_eq!(reply.status, 303, "{}", reply.body);
        assert_eq!(reply.location.as_deref(), Some("/aanmelden/link-onderweg/"));
    }
    let requests = link_requests(&s.store).await;
    let ring = link_keys();
    let mut expected = vec![
        (
            format!("LINKREQ#{}", ring.address_hash("anna@example.nl")),
            "anna@example.nl".to_string(),
        ),
        (
            format!("LINKREQ#{}", ring.address_hash("onbekend@example.nl")),
            "onbekend@example.nl".to_string(),
        ),
    ];
    let mut found = requests.clone();
    found.sort();
    expected.sort();
    assert_eq!(
        found, expected,
        "one request per ask, keyed by an HMAC, known or not"
    );
    assert!(requests.iter().all(|(pk, _)| !pk.contains('@')));

    // JSON gets 202; a wrong address is explained; another origin is refused. None of these write.
    let json = send(
        &s.app,
        event(
            "POST",
            "/api/links",
            &[
                ("content-type", "application/json"),
                ("accept", "application/json"),
                ("origin", ORIGIN),
            ],
            r#"{"email": "Anna@Example.nl"}"#,
        ),
    )
    .await;
    assert_eq!(json.status, 202, "{}", json.body);
    assert!(json.body.contains("requested"));
    let wrong = send(
        &s.app,
        event(
            "POST",
            "/api/links",
            &[
                ("content-type", "application/x-www-form-urlencoded"),
                ("origin", ORIGIN),
            ],
            "email=geen-adres",
        ),
    )
    .await;
    assert_eq!(wrong.status, 422);
    assert!(
        wrong.body.contains("Vul een geldig e-mailadres in"),
        "{}",
        wrong.body
    );
    let elsewhere = send(
        &s.app,
        event(
            "POST",
            "/api/links",
            &[
                ("content-type", "application/x-www-form-urlencoded"),
                ("origin", "https://elders.example"),
            ],
            "email=anna%40example.nl",
        ),
    )
    .await;
    assert_eq!(elsewhere.status, 400);
    assert_eq!(
        link_requests(&s.store).await.len(),
        3,
        "only the JSON request was added"
    );
}

#[tokio::test]
async fn registering_twice_sends_the_link_again() {
    let s = stack(&[meeting(M, 5)]).await;
    post_form(&s.app, &form(M, "anna%40example.nl")).await;
    let again = post_form(&s.app, &form(M, "anna%40example.nl")).await;
    assert_eq!(again.location.as_deref(), Some("/aanmelden/al-aangemeld/"));
    let requests = link_requests(&s.store).await;
    assert_eq!(requests.len(), 1, "{requests:?}");
    assert_eq!(requests[0].1, "anna@example.nl");
}
