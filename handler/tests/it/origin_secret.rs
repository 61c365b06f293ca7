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

/// Secrets Manager slow and failing (moto behind the fault proxy: every other `GetSecretValue` delayed
/// past the client's timeout, throttled or a 5xx), while registrations come in and the origin secret is
/// due for a re-read all the time. Every registration is answered within the function's timeout, each
/// answer is the truth (201: stored; 503: not stored), the origin check never refuses CloudFront's value,
/// and once Secrets Manager is back, registrations go through.
#[tokio::test]
#[ignore = "needs moto: scripts/moto-peer.sh runs it"]
async fn a_slow_secrets_manager_loses_nothing_and_acknowledges_nothing_unstored() {
    use crate::common::*;
    use opp_handler::http::{AppState, Settings, router};
    use opp_handler::pages::{Pages, SharedPages};
    use opp_store::testkit::faults::{Fault, FaultProxy, Schedule};
    use std::time::{Duration, Instant};
    const M: &str = "2030-03-zwolle";

    // The table first: when moto is the run's DynamoDB too, starting the store resets moto, and would
    // take the secrets with it.
    let store = opp_store::Store::new(client(&start_dynoxide().await), "registrations");
    store.create_table_without_stream().await.unwrap();
    store.put_meeting_details(&meeting(M, 500)).await.unwrap();
    let proxy = FaultProxy::start(&moto(), Schedule::none()).await;
    let secrets = secrets_client(ClientSettings::local(&proxy.endpoint)).unwrap();
    let create = |name: String, value: String| {
        let secrets = secrets.clone();
        async move {
            secrets
                .create_secret()
                .name(name)
                .secret_string(value)
                .send()
                .await
                .unwrap()
                .arn()
                .unwrap()
                .to_string()
        }
    };
    let pid = std::process::id();
    let origin_arn = create(format!("edge-{pid}"), SECRET.to_string()).await;
    let ring_arn = create(
        format!("ring-{pid}"),
        opp_model::links::LinkKeys::first([3; 32]).to_json(),
    )
    .await;
    // Read again every 200 ms: under faults, nearly every request finds the values due.
    let origin =
        OriginSecret::managed_every(secrets.clone(), origin_arn, Duration::from_millis(200))
            .await
            .unwrap();
    let link_keys = opp_store::link_keys::LinkKeySource::managed(secrets, ring_arn);

    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap();
    let app = router(
        AppState::new(
            store.clone(),
            SharedPages::new(Pages::from_root(root).unwrap()),
            Settings {
                site_origins: vec![ORIGIN.into()],
                origin_secret: origin,
                link_keys,
            },
        )
        .unwrap()
        .with_clock(std::sync::Arc::new(now)),
    );

    let faults = |rate: f64| Schedule {
        rate,
        operations: vec!["GetSecretValue"],
        faults: vec![
            Fault::DelayPastTimeout,
            Fault::Throttling,
            Fault::ServerError,
        ],
        seed: 25,
        max_faults: None,
    };
    // First Secrets Manager answers nothing in time at all: the link key was never read on this
    // instance, so nothing can be stored.
    proxy.set_schedule(Schedule {
        rate: 1.0,
        faults: vec![Fault::DelayPastTimeout],
        ..faults(1.0)
    });
    let register = |n: usize| {
        let app = app.clone();
        async move {
            let email = format!("persoon{n}@example.nl");
            let started = Instant::now();
            let reply = post_form(&app, &form(M, &email)).await;
            (email, reply, started.elapsed())
        }
    };
    let mut answers = Vec::new();
    {
        let mut batch = tokio::task::JoinSet::new();
        for i in 0..4 {
            batch.spawn(register(1000 + i));
        }
        answers.extend(batch.join_all().await);
    }
    assert!(
        answers.iter().all(|(_, reply, _)| reply
            .location
            .as_deref()
            .is_some_and(|l| l.contains("mislukt"))),
        "without the link key every registration is \"mislukt\""
    );
    // Then every other read fails or is slow.
    tokio::time::sleep(opp_store::link_keys::RETRY_AFTER).await;
    proxy.set_schedule(faults(0.5));
    for round in 0..6 {
        let mut batch = tokio::task::JoinSet::new();
        for i in 0..6 {
            batch.spawn(register(round * 6 + i));
        }
        answers.extend(batch.join_all().await);
        tokio::time::sleep(Duration::from_millis(400)).await;
    }
    assert!(
        proxy.injected(Fault::DelayPastTimeout) > 0,
        "faults were injected"
    );
    let mut stored = 0;
    for (email, reply, took) in &answers {
        assert!(
            *took < Duration::from_secs(9),
            "{email}: answered after {took:?}, past the function's timeout"
        );
        let found = store.registration_of(M, email).await.unwrap();
        match reply.status {
            303 if reply
                .location
                .as_deref()
                .is_some_and(|l| l.contains("/api/registrations/")) =>
            {
                assert!(found.is_some(), "{email}: acknowledged but not stored");
                stored += 1;
            }
            303 => {
                assert!(
                    reply.location.as_deref().unwrap_or("").contains("mislukt"),
                    "{email}: {:?}",
                    reply.location
                );
                assert!(found.is_none(), "{email}: stored but answered \"mislukt\"");
            }
            other => panic!(
                "{email}: answered {other} (403 would be the origin check refusing CloudFront)"
            ),
        }
    }

    // Secrets Manager is back: registrations go through again (after the ring's short back-off; on a
    // loaded test machine moto itself may miss the 1-second attempt once, so a few tries).
    proxy.set_schedule(Schedule::none());
    let mut through = None;
    let mut seen = Vec::new();
    for n in 100..112 {
        tokio::time::sleep(opp_store::link_keys::RETRY_AFTER).await;
        let (email, reply, took) = register(n).await;
        if reply
            .location
            .as_deref()
            .is_some_and(|l| l.contains("/api/registrations/"))
        {
            through = Some(email);
            break;
        }
        seen.push(format!(
            "{} {:?} after {took:?}",
            reply.status, reply.location
        ));
    }
    let email = through.unwrap_or_else(|| {
        panic!("no registration went through once Secrets Manager was back: {seen:?}")
    });
    assert!(store.registration_of(M, &email).await.unwrap().is_some());
    eprintln!(
        "{stored} of {} registrations stored under faults; the rest answered \"mislukt\" and stored nothing",
        answers.len()
    );
}
