//! The origin secret read from a real Secrets Manager API (moto in server mode, started by
//! `scripts/moto-peer.sh`, which sets `OPP_TEST_MOTO_ENDPOINT`): both stages of a two-phase rotation are
//! accepted, a value that left both stages is refused, and a failed re-read keeps the last values.

use opp_handler::origin_secret::OriginSecret;
use opp_store::aws::{ClientSettings, secrets_client};

fn moto() -> String {
    std::env::var("OPP_TEST_MOTO_ENDPOINT")
        .expect("OPP_TEST_MOTO_ENDPOINT: run through scripts/moto-peer.sh (scripts/test does)")
}

#[tokio::test]
#[ignore = "needs moto: scripts/moto-peer.sh runs it"]
async fn both_stages_of_a_rotation_are_accepted() {
    let client = secrets_client(ClientSettings::local(&moto())).unwrap();
    let name = format!("origin-{}", std::process::id());
    let created = client
        .create_secret()
        .name(&name)
        .secret_string("first-value")
        .send()
        .await
        .unwrap();
    let arn = created.arn().unwrap().to_string();

    let secret = OriginSecret::managed(client.clone(), arn.clone())
        .await
        .unwrap();
    assert!(secret.accepts(b"first-value").await);
    assert!(!secret.accepts(b"other").await);

    // Phase 1: a new AWSCURRENT; the old value is AWSPREVIOUS. A function that starts now takes both.
    client
        .put_secret_value()
        .secret_id(&arn)
        .secret_string("second-value")
        .send()
        .await
        .unwrap();
    let after_phase_one = OriginSecret::managed(client.clone(), arn.clone())
        .await
        .unwrap();
    assert!(
        after_phase_one.accepts(b"second-value").await,
        "the new value"
    );
    assert!(
        after_phase_one.accepts(b"first-value").await,
        "CloudFront still sends the old one until phase 2"
    );

    // A third value: the first has left both stages.
    client
        .put_secret_value()
        .secret_id(&arn)
        .secret_string("third-value")
        .send()
        .await
        .unwrap();
    let later = OriginSecret::managed(client.clone(), arn.clone())
        .await
        .unwrap();
    assert!(!later.accepts(b"first-value").await);
    assert!(later.accepts(b"second-value").await && later.accepts(b"third-value").await);
}

#[tokio::test]
#[ignore = "needs moto: scripts/moto-peer.sh runs it"]
async fn a_secret_that_cannot_be_read_stops_the_start() {
    let client = secrets_client(ClientSettings::local(&moto())).unwrap();
    let err = OriginSecret::managed(
        client,
        "arn:aws:secretsmanager:eu-central-1:123456789012:secret:missing-AbCdEf".into(),
    )
    .await
    .unwrap_err();
    assert!(err.0.contains("AWSCURRENT"), "{err}");
}
