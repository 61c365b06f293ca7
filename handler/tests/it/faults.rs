//! The handler under injected faults: a fault proxy (tests/common/faults.rs) between the store's client and
//! dynoxide. First one test per fault that once lost or misreported a registration, then the whole flow
//! (registering, cancelling, promotion, sync) with concurrent clients at 10 %, 30 % and 60 % faults, after
//! which the invariants must hold. Each run's summary goes to `target/faults/`.

use std::collections::{BTreeMap, HashMap};
use std::time::{Duration, Instant};

use crate::common::faults::{Fault, FaultProxy, Schedule};
use crate::common::*;
use opp_model::token;
use opp_store::Store;

const M: &str = "2030-03-zwolle";

/// A table on dynoxide with `meetings`, the router's store behind the proxy, and a direct store that
/// sees the table as it is.
async fn faulty_stack(
    meetings: &[opp_model::records::MeetingRecord],
) -> (Stack, FaultProxy, Store) {
    let upstream = start_dynoxide().await;
    let direct = Store::new(client(&upstream), "registrations");
    direct.create_table().await.unwrap();
    for m in meetings {
        direct.put_meeting_details(m).await.unwrap();
    }
    let proxy = FaultProxy::start(&upstream, Schedule::none()).await;
    let stack = stack_on(&proxy.endpoint, &[], false).await;
    (stack, proxy, direct)
}

fn json_body(email: &str) -> String {
    format!(r#"{{"meeting":"{M}","name":"Bo","email":"{email}","role":"ouder","privacy":true}}"#)
}

/// The personal page's token in a 201's or 303's Location, if it names one.
fn token_of(location: Option<&str>) -> Option<String> {
    let rest = location?.strip_prefix("/api/registrations/")?;
    token::looks_valid(rest).then(|| rest.to_string())
}

#[tokio::test]
async fn a_write_whose_answer_is_always_lost_is_still_acknowledged_with_its_link() {
    let (s, proxy, direct) = faulty_stack(&[meeting(M, 5)]).await;
    // Every TransactWriteItems is applied and its answer dropped, on every SDK attempt.
    proxy.set_schedule(Schedule::always("TransactWriteItems", Fault::DropAnswer));
    let reply = post_form(&s.app, &form(M, "anna%40example.nl")).await;
    let token = token_of(reply.location.as_deref()).unwrap_or_else(|| {
        panic!(
            "the person gets their page, not 'mislukt': {:?}",
            reply.location
        )
    });
    assert!(proxy.injected(Fault::DropAnswer) >= 1);
    let stored = direct
        .registration_by_token(&token::hash(&token))
        .await
        .unwrap();
    assert!(stored.is_some(), "the link opens the stored registration");
    assert_eq!(count_statuses(&direct, M).await, (1, 0, 0, 1));
}

#[tokio::test]
async fn a_lost_answer_for_the_last_seat_is_not_turned_into_a_duplicate() {
    // The first attempt takes the only seat and its answer is lost; the SDK's retry then fails both the
    // registration's condition (it exists) and the meeting's (now full). The registration slot, holding
    // this attempt's token, must decide: success, not a waiting-list retry that ends in "al aangemeld".
    let (s, proxy, direct) = faulty_stack(&[meeting(M, 1)]).await;
    proxy.set_schedule(Schedule::always("TransactWriteItems", Fault::DropAnswer).first(1));
    let reply = post_json(&s.app, &json_body("last@example.nl")).await;
    assert_eq!(
        (reply.status, reply.body.as_str()),
        (201, r#"{"status":"confirmed"}"#)
    );
    assert!(token_of(reply.location.as_deref()).is_some());
    assert_eq!(count_statuses(&direct, M).await, (1, 0, 0, 1));
}

#[tokio::test]
async fn a_failing_query_after_the_write_does_not_fail_a_waiting_registration() {
    let (s, proxy, direct) = faulty_stack(&[meeting(M, 1)]).await;
    post_json(&s.app, &json_body("seat@example.nl")).await;
    proxy.set_schedule(Schedule::always("Query", Fault::ServerError));
    let reply = post_json(&s.app, &json_body("waiting@example.nl")).await;
    assert_eq!(reply.status, 201, "{}", reply.body);
    let body: serde_json::Value = serde_json::from_str(&reply.body).unwrap();
    assert_eq!(
        (body["status"].clone(), body["position"].clone()),
        ("waitlisted".into(), 1.into())
    );
    assert_eq!(count_statuses(&direct, M).await, (1, 1, 0, 2));
}

#[tokio::test]
async fn a_store_that_never_answers_gets_an_answer_within_the_function_timeout() {
    let (s, proxy, direct) = faulty_stack(&[meeting(M, 5)]).await;
    // Every write waits past the client's timeout (and is applied late); reads answer.
    proxy.set_schedule(Schedule::always(
        "TransactWriteItems",
        Fault::DelayPastTimeout,
    ));
    let started = Instant::now();
    let reply = post_form(&s.app, &form(M, "slow%40example.nl")).await;
    let took = started.elapsed();
    // infra/template.yaml gives the function 10 s: the request budget (7 s) must end it before that.
    assert!(took < Duration::from_secs(10), "answered after {took:?}");
    // Either answer is honest: the page when the read-back saw the late write, else "mislukt" with
    // nothing stored at the moment of answering.
    match token_of(reply.location.as_deref()) {
        Some(token) => assert!(
            direct
                .registration_by_token(&token::hash(&token))
                .await
                .unwrap()
                .is_some()
        ),
        None => assert_eq!(reply.location.as_deref(), Some("/aanmelden/mislukt/")),
    }
}

/// What one client heard.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Heard {
    /// 201 or 303 with a personal page.
    Stored {
        token: String,
    },
    /// 503, or 303 to "mislukt".
    Failed,
    /// 409, or 303 to "gesloten" (seats and waiting list taken).
    Full,
    /// "al aangemeld".
    Duplicate,
    /// 202 / a personal page marked `#controleer`: the outcome could not be known; the link tells.
    Unknown,
    Other(u16, String),
}

fn heard(reply: &Reply) -> Heard {
    if reply.status == 202
        || reply
            .location
            .as_deref()
            .is_some_and(|l| l.ends_with("#controleer"))
    {
        return Heard::Unknown;
    }
    if let Some(token) = token_of(reply.location.as_deref()) {
        return Heard::Stored { token };
    }
    match (reply.status, reply.location.as_deref()) {
        (503, _) | (303, Some("/aanmelden/mislukt/")) => Heard::Failed,
        (409, _) | (303, Some("/aanmelden/gesloten/")) => Heard::Full,
        (200, _) | (303, Some("/aanmelden/al-aangemeld/")) => Heard::Duplicate,
        (status, location) => Heard::Other(status, format!("{location:?} {}", reply.body)),
    }
}

/// One run of the whole flow at `rate`; panics when an invariant breaks, else returns its summary.
async fn fault_run(rate: f64, seed: u64) -> serde_json::Value {
    let started = Instant::now();
    let mut m = meeting(M, 15);
    m.waitlist_capacity = 30;
    let (s, proxy, direct) = faulty_stack(&[m.clone()]).await;
    proxy.set_schedule(Schedule::random(rate, seed));

    // 1. Sixty people register at once, half by form and half by JSON.
    let clients = 60;
    let mut tasks = Vec::new();
    for i in 0..clients {
        let app = s.app.clone();
        tasks.push(tokio::spawn(async move {
            let email = format!("p{i}@example.nl");
            let reply = if i % 2 == 0 {
                post_form(&app, &form(M, &format!("p{i}%40example.nl"))).await
            } else {
                post_json(&app, &json_body(&email)).await
            };
            (email, heard(&reply))
        }));
    }
    let mut answers: HashMap<String, Heard> = HashMap::new();
    for task in tasks {
        let (email, heard) = task.await.unwrap();
        answers.insert(email, heard);
    }

    // 2. A third of those with a link cancel at once (a freed seat goes to the first waiting).
    let links: Vec<(String, String)> = answers
        .iter()
        .filter_map(|(email, heard)| match heard {
            Heard::Stored { token } => Some((email.clone(), token.clone())),
            _ => None,
        })
        .collect();
    let mut cancels = Vec::new();
    for (email, token) in links.iter().step_by(3) {
        let app = s.app.clone();
        let (email, token) = (email.clone(), token.clone());
        cancels.push(tokio::spawn(async move {
            let path = format!("/api/registrations/{token}/cancel");
            let reply = send(&app, event("POST", &path, &[], "")).await;
            (email, token, reply.status, reply.location)
        }));
    }
    let mut cancelled = Vec::new();
    let mut cancel_failed = 0;
    for task in cancels {
        let (email, token, status, location) = task.await.unwrap();
        match (status, location.as_deref()) {
            (303, Some(l)) if l.ends_with("/afgemeld") => cancelled.push((email, token)),
            (303, Some("/aanmelden/mislukt/")) | (503, _) => cancel_failed += 1,
            other => panic!("cancel answered {other:?}"),
        }
    }

    // 3. The content raises capacity; the organiser syncs (and runs it again when the store fails).
    let mut raised = m.clone();
    raised.capacity = 20;
    let mut sync_tries = 0;
    loop {
        sync_tries += 1;
        let done = match s.store.put_meeting_details(&raised).await {
            Ok(_) => s.store.promote_into_free_seats(M, now()).await.is_ok(),
            Err(_) => false,
        };
        if done {
            break;
        }
        assert!(sync_tries < 50, "sync never got through at {rate}");
    }
    let injected = proxy.counts();
    proxy.set_schedule(Schedule::none());

    // The invariants, read from the table itself.
    let meeting_now = direct.meeting(M).await.unwrap().unwrap();
    let registrations = direct.registrations(M, &mut |_| {}).await.unwrap();
    let by_email: BTreeMap<&str, _> = registrations
        .iter()
        .map(|r| (r.email.as_str(), r))
        .collect();
    for (email, heard) in &answers {
        match heard {
            Heard::Stored { token } => {
                let stored = by_email
                    .get(email.as_str())
                    .unwrap_or_else(|| panic!("{email} was acknowledged but not stored"));
                assert_eq!(
                    stored.token_hash,
                    token::hash(token),
                    "{email}: the link opens this registration"
                );
            }
            Heard::Failed | Heard::Full => assert!(
                !by_email.contains_key(email.as_str()),
                "{email} heard {heard:?} but is stored"
            ),
            // Honest either way: the link shows whether it was stored.
            Heard::Unknown => {}
            Heard::Duplicate => panic!("{email} heard 'al aangemeld' for their first registration"),
            Heard::Other(status, what) => panic!("{email}: unexpected answer {status} {what}"),
        }
    }
    for (email, _) in &cancelled {
        assert_eq!(
            by_email[email.as_str()].status,
            opp_model::RegistrationStatus::Cancelled,
            "{email}: a confirmed cancellation is stored"
        );
    }
    let counts = count_statuses(&direct, M).await;
    assert_eq!(
        (
            meeting_now.confirmed,
            meeting_now.waitlisted,
            meeting_now.cancelled
        ),
        (counts.0, counts.1, counts.2),
        "counters equal the items"
    );
    assert_eq!(counts.3, registrations.len(), "one link per registration");
    assert!(
        meeting_now.confirmed <= meeting_now.capacity,
        "no seat oversold"
    );
    assert!(meeting_now.waitlisted <= meeting_now.waitlist_capacity);
    if meeting_now.waitlisted > 0 {
        assert_eq!(
            meeting_now.confirmed, meeting_now.capacity,
            "no free seat while people wait"
        );
    }
    // Nobody overtaken: everyone promoted held an earlier ticket than everyone still waiting.
    let waiting: Vec<u32> = registrations
        .iter()
        .filter(|r| r.status == opp_model::RegistrationStatus::Waitlisted)
        .filter_map(|r| r.waitlist_ticket)
        .collect();
    let promoted: Vec<u32> = registrations
        .iter()
        .filter(|r| r.promoted_at.is_some() && r.status == opp_model::RegistrationStatus::Confirmed)
        .filter_map(|r| r.waitlist_ticket)
        .collect();
    if let (Some(last_promoted), Some(first_waiting)) =
        (promoted.iter().max(), waiting.iter().min())
    {
        assert!(
            last_promoted < first_waiting,
            "promoted {promoted:?}, waiting {waiting:?}"
        );
    }
    let mut tickets: Vec<u32> = registrations
        .iter()
        .filter_map(|r| r.waitlist_ticket)
        .collect();
    let all = tickets.len();
    tickets.sort();
    tickets.dedup();
    assert_eq!(tickets.len(), all, "no ticket handed out twice");

    let count = |what: fn(&Heard) -> bool| answers.values().filter(|h| what(h)).count();
    let faults: BTreeMap<String, u64> =
        injected
            .iter()
            .fold(BTreeMap::new(), |mut acc, ((_, what), n)| {
                *acc.entry(what.clone()).or_default() += n;
                acc
            });
    serde_json::json!({
        "rate": rate,
        "seed": seed,
        "clients": clients,
        "acknowledged": count(|h| matches!(h, Heard::Stored { .. })),
        "failed_nothing_stored": count(|h| *h == Heard::Failed),
        "unknown": count(|h| *h == Heard::Unknown),
        "full": count(|h| *h == Heard::Full),
        "cancelled": cancelled.len(),
        "cancel_failed": cancel_failed,
        "sync_tries": sync_tries,
        "table": {"confirmed": meeting_now.confirmed, "waitlisted": meeting_now.waitlisted, "cancelled": meeting_now.cancelled, "promoted": promoted.len()},
        "requests": faults,
        "seconds": (started.elapsed().as_secs_f64() * 10.0).round() / 10.0,
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_invariants_hold_at_10_30_and_60_percent_faults() {
    let mut summaries = Vec::new();
    for (rate, seed) in [(0.1, 11), (0.3, 33), (0.6, 66)] {
        summaries.push(fault_run(rate, seed).await);
    }
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/faults");
    std::fs::create_dir_all(&dir).unwrap();
    let text = serde_json::to_string_pretty(&serde_json::Value::Array(summaries)).unwrap();
    std::fs::write(dir.join("summary.json"), &text).unwrap();
    eprintln!("{text}");
}

#[tokio::test]
async fn a_move_whose_answer_is_lost_is_not_turned_into_a_taken_address() {
    // The confirmed move is applied and its answer lost. Whether the SDK's retry (same idempotency token)
    // or the store's next attempt (it reads first) finds it, it is a stored move, not "this address is
    // taken" and not "this link does not work".
    let (s, proxy, direct) = faulty_stack(&[meeting(M, 5)]).await;
    let reply = post_json(&s.app, &json_body("bo@exmaple.nl")).await;
    let token = token_of(reply.location.as_deref()).expect("registered");
    let reply = send(
        &s.app,
        event(
            "POST",
            &format!("/api/registrations/{token}/gegevens"),
            &[
                ("content-type", "application/json"),
                ("accept", "application/json"),
            ],
            r#"{"name":"Bo","email":"bo@example.nl"}"#,
        ),
    )
    .await;
    assert_eq!(
        (reply.status, reply.body.as_str()),
        (200, r#"{"email_changed":false,"status":"move_requested"}"#)
    );
    let move_token = move_token_of(&direct, &token).await;
    proxy.set_schedule(Schedule::always("TransactWriteItems", Fault::DropAnswer).first(1));
    let reply = confirm_move(&s.app, &move_token).await;
    assert_eq!(proxy.injected(Fault::DropAnswer), 1);
    assert_eq!(
        (reply.status, reply.body.as_str()),
        (200, r#"{"status":"moved"}"#)
    );
    let moved = direct
        .registration_by_token(&token::hash(&token))
        .await
        .unwrap()
        .expect("the link opens the moved registration");
    assert_eq!(moved.email, "bo@example.nl");
    assert_eq!(moved.pending_move, None);
    assert_eq!(count_statuses(&direct, M).await, (1, 0, 0, 1));
    let m = direct.meeting(M).await.unwrap().unwrap();
    assert_eq!((m.confirmed, m.waitlisted, m.cancelled), (1, 0, 0));
}
