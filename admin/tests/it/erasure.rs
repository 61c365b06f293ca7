//! Erasure stays complete as the table grows: after `opp-admin erase`, a scan of the whole table finds no
//! trace of the address in any key or attribute, whatever item types hold it (registrations, current and
//! earlier link tokens; keys::registration_parts lists them; "Link kwijt?" requests). The mailer's own items
//! (its ledger, failures and link rate) hold no address by design, so the stream adds no trace.

use aws_sdk_dynamodb::types::AttributeValue;
use opp_model::registration::Registration;
use opp_store::Store;
use opp_store::testkit::{client, meeting, now, scan_all, start_dynoxide};

const TABLE: &str = "registrations";

fn person(meeting: &str, email: &str) -> Registration {
    let name = if email.starts_with("anna") {
        "Anna de Vries"
    } else {
        "Iemand Anders"
    };
    Registration {
        meeting: meeting.into(),
        name: name.into(),
        email: email.into(),
        role: "ouder/verzorger".into(),
        sector: None,
        organisation: Some("OBS De Linde".into()),
        needs: Some("Een rolstoelplek".into()),
    }
}

/// Every string anywhere in an attribute value, lowercased.
fn strings(value: &AttributeValue, out: &mut Vec<String>) {
    match value {
        AttributeValue::S(s) => out.push(s.to_lowercase()),
        AttributeValue::Ss(list) => out.extend(list.iter().map(|s| s.to_lowercase())),
        AttributeValue::L(list) => list.iter().for_each(|v| strings(v, out)),
        AttributeValue::M(map) => map.values().for_each(|v| strings(v, out)),
        _ => {}
    }
}

/// The items (as their keys) that mention `needle` anywhere.
async fn traces(store: &Store, needle: &str) -> Vec<String> {
    let mut found = Vec::new();
    for item in scan_all(store).await {
        let mut text = Vec::new();
        item.values().for_each(|v| strings(v, &mut text));
        if text.iter().any(|s| s.contains(needle)) {
            found.push(format!("{:?}", item.get("PK")));
        }
    }
    found
}

#[tokio::test(flavor = "multi_thread")]
async fn after_erase_no_item_mentions_the_address() {
    let endpoint = start_dynoxide().await;
    let store = Store::new(client(&endpoint), TABLE);
    store.create_table().await.unwrap();
    for id in ["m-een", "m-twee"] {
        store.put_meeting_details(&meeting(id, 1)).await.unwrap();
    }
    let hash = |n: u8| format!("{n:064x}");
    // Anna: a seat in one meeting; in the other she waits, cancels (her first link) and registers again
    // (a second link); Bert waits behind her seat.
    store
        .register(&person("m-een", "anna@example.nl"), &hash(1), now())
        .await
        .unwrap();
    store
        .register(&person("m-een", "bert@example.nl"), &hash(2), now())
        .await
        .unwrap();
    store
        .register(&person("m-twee", "cees@example.nl"), &hash(3), now())
        .await
        .unwrap();
    store
        .register(&person("m-twee", "anna@example.nl"), &hash(4), now())
        .await
        .unwrap();
    store.cancel(&hash(4), now()).await.unwrap();
    store
        .register(&person("m-twee", "anna@example.nl"), &hash(5), now())
        .await
        .unwrap();
    // She also asked for her link again (twice), keyed by an HMAC of her address.
    for id in ["r1", "r2"] {
        store
            .request_link("anna@example.nl", "hmac-of-anna", id, now())
            .await
            .unwrap();
    }
    // SES took two mails to her: their message ids are kept with her address, for bounce reports.
    for id in ["0100-anna-1", "0100-anna-2"] {
        store
            .remember_sent_message(id, "anna@example.nl", now())
            .await
            .unwrap();
    }
    store
        .remember_sent_message("0100-bert-1", "bert@example.nl", now())
        .await
        .unwrap();
    assert!(!traces(&store, "anna@example.nl").await.is_empty());

    let output = std::process::Command::new(env!("CARGO_BIN_EXE_opp-admin"))
        .args([
            "--endpoint-url",
            &endpoint,
            "--table",
            TABLE,
            "erase",
            "--email",
            "ANNA@example.nl",
        ])
        .env_remove("AWS_PROFILE")
        .env_remove("TABLE_NAME")
        .env_remove("AWS_ENDPOINT_URL")
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );

    assert_eq!(
        traces(&store, "anna@example.nl").await,
        Vec::<String>::new(),
        "no trace of the address"
    );
    assert_eq!(
        traces(&store, "anna de vries").await,
        Vec::<String>::new(),
        "nor of her name"
    );
    // Bert moved up into her seat; the others are untouched.
    assert_eq!(
        traces(&store, "bert@example.nl").await.len(),
        3,
        "registration, link and his sent mail"
    );
    assert_eq!(
        store.recipient_of("0100-anna-1").await.unwrap(),
        None,
        "her sent mails are forgotten"
    );
    assert_eq!(traces(&store, "cees@example.nl").await.len(), 2);
}
