//! What role `beheer` does for a person, against the store (and through the fault proxy): each action
//! changes what it should, keeps the meeting's counters equal to the items, is in the audit log, and is
//! refused without the form token or the role.

use axum::http::StatusCode;
use opp_model::RegistrationStatus;
use opp_store::testkit::faults::{Fault, FaultProxy, Schedule};

use crate::common::*;

fn today() -> jiff::civil::Date {
    now().to_zoned(jiff::tz::TimeZone::UTC).date()
}

/// The meeting's counters and what its items add up to: (confirmed, waitlisted, cancelled) each.
async fn counters_and_items(stack: &Stack) -> ((u32, u32, u32), (u32, u32, u32)) {
    let meeting = stack.store.meeting(MEETING).await.unwrap().unwrap();
    let (c, w, x, _) = count_statuses(&stack.store, MEETING).await;
    (
        (meeting.confirmed, meeting.waitlisted, meeting.cancelled),
        (c, w, x),
    )
}

async fn signed_in_manager(stack: &Stack) -> (String, String) {
    let session = sign_in(&stack.app, MANAGER).await;
    let (_, _, page) = get(&stack.app, "/", Some(&session)).await;
    (session, csrf_of(&page))
}

async fn person(stack: &Stack, status: RegistrationStatus) -> opp_store::RegistrationRecord {
    stack
        .store
        .registrations(MEETING, &mut |_| {})
        .await
        .unwrap()
        .into_iter()
        .find(|r| r.status == status)
        .unwrap()
}

#[tokio::test]
async fn cancelling_on_someones_behalf_moves_the_waiting_list_up() {
    let stack = stack(3, 2).await;
    let (session, csrf) = signed_in_manager(&stack).await;
    let seated = person(&stack, RegistrationStatus::Confirmed).await;
    let base = format!("/bijeenkomsten/zwolle/personen/{}", seated.registration_id);

    let (status, _, page) = get(&stack.app, &format!("{base}/afmelden"), Some(&session)).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        page.contains("Ja, meld af") && page.contains(&seated.email),
        "{page}"
    );

    let (status, headers, _) = post(
        &stack.app,
        &format!("{base}/afmelden"),
        Some(&session),
        Some(ORIGIN),
        &format!("csrf={csrf}"),
    )
    .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(location(&headers), format!("{base}?gedaan=afgemeld"));
    let (counters, items) = counters_and_items(&stack).await;
    assert_eq!(counters, (2, 0, 1));
    assert_eq!(counters, items);
    let (_, _, page) = get(
        &stack.app,
        &format!("{base}?gedaan=afgemeld"),
        Some(&session),
    )
    .await;
    assert!(page.contains("De persoon is afgemeld"), "{page}");
    assert!(
        page.contains(" Afgemeld</li>"),
        "the history shows the cancellation: {page}"
    );
    let log = stack.store.audit_entries(today()).await.unwrap();
    assert!(log.iter().any(|e| e.action == "cancel"
        && e.registration_id.as_deref() == Some(seated.registration_id.as_str())));
}

#[tokio::test]
async fn actions_need_the_form_token_and_the_manager_role() {
    let stack = stack(2, 5).await;
    let seated = person(&stack, RegistrationStatus::Confirmed).await;
    let base = format!("/bijeenkomsten/zwolle/personen/{}", seated.registration_id);
    let (manager, _) = signed_in_manager(&stack).await;
    let (status, _, _) = post(
        &stack.app,
        &format!("{base}/afmelden"),
        Some(&manager),
        Some(ORIGIN),
        "csrf=wrong",
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);

    let door = sign_in(&stack.app, DOOR).await;
    let (_, _, page) = get(&stack.app, &base, Some(&door)).await;
    assert!(
        !page.contains(&format!("{base}/afmelden")) && !page.contains(&format!("{base}/wissen")),
        "no actions for the door"
    );
    let door_csrf = csrf_of(&page);
    for action in ["afmelden", "wissen", "link", "gegevens"] {
        let (status, _, _) = post(
            &stack.app,
            &format!("{base}/{action}"),
            Some(&door),
            Some(ORIGIN),
            &format!("csrf={door_csrf}&name=X"),
        )
        .await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{action}");
    }
    let (status, _, _) = get(&stack.app, "/bijeenkomsten/zwolle/aanmelden", Some(&door)).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (counters, items) = counters_and_items(&stack).await;
    assert_eq!((counters, items), ((2, 0, 0), (2, 0, 0)));
}

#[tokio::test]
async fn sending_the_link_again_writes_a_link_request_for_the_mailer() {
    let stack = stack(1, 5).await;
    let (session, csrf) = signed_in_manager(&stack).await;
    let seated = person(&stack, RegistrationStatus::Confirmed).await;
    let base = format!("/bijeenkomsten/zwolle/personen/{}", seated.registration_id);
    assert!(
        stack
            .store
            .link_requests_of(&seated.email)
            .await
            .unwrap()
            .is_empty()
    );
    let (status, headers, _) = post(
        &stack.app,
        &format!("{base}/link"),
        Some(&session),
        Some(ORIGIN),
        &format!("csrf={csrf}"),
    )
    .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(location(&headers), format!("{base}?gedaan=link"));
    assert!(
        !stack
            .store
            .link_requests_of(&seated.email)
            .await
            .unwrap()
            .is_empty()
    );
    let log = stack.store.audit_entries(today()).await.unwrap();
    assert!(log.iter().any(|e| e.action == "resend-link"));
}

#[tokio::test]
async fn correcting_details_applies_the_rules_and_a_new_address_waits_for_its_owner() {
    let stack = stack(1, 5).await;
    let (session, csrf) = signed_in_manager(&stack).await;
    let seated = person(&stack, RegistrationStatus::Confirmed).await;
    let base = format!("/bijeenkomsten/zwolle/personen/{}", seated.registration_id);
    let (status, _, page) = post(
        &stack.app,
        &format!("{base}/gegevens"),
        Some(&session),
        Some(ORIGIN),
        &format!("csrf={csrf}&name=www.spam.example&organisation="),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{page}");
    let (status, headers, _) = post(&stack.app, &format!("{base}/gegevens"), Some(&session), Some(ORIGIN), &format!("csrf={csrf}&name=Jan-Willem+%27t+Hart&organisation=OBS+Het+Anker&needs=Rolstoel&email=Other%40Example.nl")).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(location(&headers), format!("{base}?gedaan=adres"));
    let now_stored = stack
        .store
        .registration_of(MEETING, &seated.email)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(now_stored.name, "Jan-Willem 't Hart");
    assert_eq!(now_stored.organisation.as_deref(), Some("OBS Het Anker"));
    assert_eq!(now_stored.email, seated.email, "the address stays");
    // The form held a new address: its owner confirms it first (the mailer sends the link), the old one
    // stays till then.
    assert_eq!(
        now_stored.pending_move.map(|m| m.to).as_deref(),
        Some("other@example.nl")
    );
    assert!(
        stack
            .store
            .registration_of(MEETING, "other@example.nl")
            .await
            .unwrap()
            .is_none()
    );
    assert!(
        stack
            .store
            .audit_entries(today())
            .await
            .unwrap()
            .iter()
            .any(|e| e.action == "correct-details")
    );
}

#[tokio::test]
async fn erasing_removes_every_registration_of_the_address_and_logs_only_ids() {
    let stack = stack(3, 2).await;
    let (session, csrf) = signed_in_manager(&stack).await;
    let seated = person(&stack, RegistrationStatus::Confirmed).await;
    let base = format!("/bijeenkomsten/zwolle/personen/{}", seated.registration_id);
    let (status, _, page) = get(&stack.app, &format!("{base}/wissen"), Some(&session)).await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("kan niet ongedaan"), "{page}");
    let (status, headers, _) = post(
        &stack.app,
        &format!("{base}/wissen"),
        Some(&session),
        Some(ORIGIN),
        &format!("csrf={csrf}"),
    )
    .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(location(&headers), "/bijeenkomsten/zwolle?gedaan=gewist");
    assert!(
        stack
            .store
            .registrations_of(&seated.email)
            .await
            .unwrap()
            .is_empty()
    );
    let (counters, items) = counters_and_items(&stack).await;
    assert_eq!(counters, items);
    assert_eq!(
        counters.0 + counters.1,
        2,
        "two left, one promoted to the freed seat"
    );
    let log = format!("{:?}", stack.store.audit_entries(today()).await.unwrap());
    assert!(
        log.contains("\"erase\"") && !log.contains(&seated.email) && !log.contains(&seated.name),
        "{log}"
    );
    let (status, _, _) = get(&stack.app, &base, Some(&session)).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn registering_someone_by_hand_uses_the_forms_rules_and_a_personal_link() {
    let stack = stack(0, 5).await;
    let (session, csrf) = signed_in_manager(&stack).await;
    let (status, _, page) = get(
        &stack.app,
        "/bijeenkomsten/zwolle/aanmelden",
        Some(&session),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("Iemand aanmelden"));
    let (status, _, page) = post(
        &stack.app,
        "/bijeenkomsten/zwolle/aanmelden",
        Some(&session),
        Some(ORIGIN),
        &format!("csrf={csrf}&name=&email=geen-adres&role=ouder&privacy=ja"),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        page.contains("Controleer het formulier") && page.contains("geen-adres"),
        "{page}"
    );
    let form = format!(
        "csrf={csrf}&name=Fatima+El+Amrani&email=fatima%40example.nl&role=ouder&privacy=ja&website=x"
    );
    let (status, headers, _) = post(
        &stack.app,
        "/bijeenkomsten/zwolle/aanmelden",
        Some(&session),
        Some(ORIGIN),
        &form,
    )
    .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let stored = stack
        .store
        .registration_of(MEETING, "fatima@example.nl")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        location(&headers),
        format!(
            "/bijeenkomsten/zwolle/personen/{}?gedaan=aangemeld",
            stored.registration_id
        )
    );
    assert_eq!(stored.status, RegistrationStatus::Confirmed);
    let link_id = stored.link_id.clone().expect("a derived personal link");
    let token = link_keys()
        .token(stored.key_version.unwrap(), &link_id)
        .unwrap();
    assert!(stored.has_token(&opp_model::token::hash(&token)));
    let (status, _, _) = post(
        &stack.app,
        "/bijeenkomsten/zwolle/aanmelden",
        Some(&session),
        Some(ORIGIN),
        &form,
    )
    .await;
    assert_eq!(status, StatusCode::CONFLICT, "the same address twice");
    assert_eq!(counters_and_items(&stack).await, ((1, 0, 0), (1, 0, 0)));
}

#[tokio::test]
async fn cancelling_through_faults_loses_and_doubles_nothing() {
    for seed in 1..=4u64 {
        let upstream = start_dynoxide().await;
        let proxy = FaultProxy::start(&upstream, Schedule::none()).await;
        let stack = stack_on(&upstream, &proxy.endpoint, 4, 2).await;
        let (session, csrf) = signed_in_manager(&stack).await;
        let seated = person(&stack, RegistrationStatus::Confirmed).await;
        let base = format!("/bijeenkomsten/zwolle/personen/{}", seated.registration_id);
        proxy.set_schedule(Schedule {
            rate: 0.5,
            operations: vec!["TransactWriteItems", "PutItem", "Query", "GetItem"],
            faults: Fault::ALL.to_vec(),
            seed,
            max_faults: Some(6),
        });
        // Like an organiser who presses again after an error page: until it is done.
        let mut done = false;
        for _ in 0..8 {
            let (status, _, _) = post(
                &stack.app,
                &format!("{base}/afmelden"),
                Some(&session),
                Some(ORIGIN),
                &format!("csrf={csrf}"),
            )
            .await;
            if status == StatusCode::SEE_OTHER {
                done = true;
                break;
            }
            assert!(
                matches!(
                    status,
                    StatusCode::SERVICE_UNAVAILABLE | StatusCode::SEE_OTHER | StatusCode::NOT_FOUND
                ),
                "seed {seed}: {status}"
            );
        }
        assert!(done, "seed {seed}: cancelled in the end");
        proxy.set_schedule(Schedule::none());
        let (counters, items) = counters_and_items(&stack).await;
        assert_eq!(counters, items, "seed {seed}");
        assert_eq!(
            counters,
            (2, 1, 1),
            "seed {seed}: one cancelled, one promoted"
        );
    }
}

#[tokio::test]
async fn notes_stay_with_the_registration_never_reach_an_export_and_go_with_an_erasure() {
    let stack = stack(2, 5).await;
    let (session, csrf) = signed_in_manager(&stack).await;
    let seated = person(&stack, RegistrationStatus::Confirmed).await;
    let base = format!("/bijeenkomsten/zwolle/personen/{}", seated.registration_id);
    let (status, _, _) = post(
        &stack.app,
        &format!("{base}/notitie"),
        Some(&session),
        Some(ORIGIN),
        &format!("csrf={csrf}&notitie=+"),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "an empty note");
    for text in ["Komt+met+een+tolk", "Belde+op+maandag"] {
        let (status, headers, _) = post(
            &stack.app,
            &format!("{base}/notitie"),
            Some(&session),
            Some(ORIGIN),
            &format!("csrf={csrf}&notitie={text}"),
        )
        .await;
        assert_eq!(status, StatusCode::SEE_OTHER);
        assert_eq!(location(&headers), format!("{base}?gedaan=notitie"));
    }
    let notes = stack
        .store
        .registration_history(MEETING, &seated.email)
        .await
        .unwrap()
        .notes;
    assert_eq!(
        notes.iter().map(|n| n.text.as_str()).collect::<Vec<_>>(),
        ["Komt met een tolk", "Belde op maandag"]
    );
    assert!(notes.iter().all(|n| n.author == "Bea Beheer"));
    let (_, _, page) = get(&stack.app, &base, Some(&session)).await;
    assert!(
        page.contains("Komt met een tolk") && page.contains("Belde op maandag"),
        "{page}"
    );
    let (_, _, csv) = get(
        &stack.app,
        "/bijeenkomsten/zwolle/download/csv",
        Some(&session),
    )
    .await;
    assert!(!csv.contains("tolk"), "notes are never exported");
    // The registration still reads as before: the note changed nothing else.
    let after = stack
        .store
        .registration_of(MEETING, &seated.email)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(after, seated);
    let (status, _, _) = post(
        &stack.app,
        &format!("{base}/wissen"),
        Some(&session),
        Some(ORIGIN),
        &format!("csrf={csrf}"),
    )
    .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert!(
        stack
            .store
            .registration_history(MEETING, &seated.email)
            .await
            .unwrap()
            .notes
            .is_empty()
    );
    let log = format!("{:?}", stack.store.audit_entries(today()).await.unwrap());
    assert!(
        log.contains("\"add-note\"") && !log.contains("tolk"),
        "{log}"
    );
}

/// Both meetings' counters equal their items.
async fn counters_hold(stack: &Stack, meeting: &str) -> (u32, u32, u32) {
    let record = stack.store.meeting(meeting).await.unwrap().unwrap();
    let (c, w, x, _) = count_statuses(&stack.store, meeting).await;
    assert_eq!(
        (record.confirmed, record.waitlisted, record.cancelled),
        (c, w, x),
        "{meeting}: counters and items"
    );
    (c, w, x)
}

#[tokio::test]
async fn moving_to_another_meeting_keeps_the_link_and_both_meetings_exact() {
    let stack = stack(3, 2).await;
    stack
        .store
        .put_meeting_details(
            &sample::meeting("deventer")
                .capacity(1)
                .waitlist_capacity(5)
                .open_from(now())
                .build(),
        )
        .await
        .unwrap();
    let (session, csrf) = signed_in_manager(&stack).await;
    let seated = person(&stack, RegistrationStatus::Confirmed).await;
    let base = format!("/bijeenkomsten/zwolle/personen/{}", seated.registration_id);
    let (_, _, page) = get(&stack.app, &base, Some(&session)).await;
    assert!(
        page.contains("value=\"deventer\""),
        "the other meeting is offered: {page}"
    );

    let (status, headers, body) = post(
        &stack.app,
        &format!("{base}/verplaatsen"),
        Some(&session),
        Some(ORIGIN),
        &format!("csrf={csrf}&naar=deventer"),
    )
    .await;
    assert_eq!(status, StatusCode::SEE_OTHER, "{body}");
    let moved_path = format!(
        "/bijeenkomsten/deventer/personen/{}",
        seated.registration_id
    );
    assert_eq!(
        location(&headers),
        format!("{moved_path}?gedaan=verplaatst")
    );
    assert_eq!(
        counters_hold(&stack, "zwolle").await,
        (2, 0, 0),
        "the waiting person got the freed seat"
    );
    assert_eq!(counters_hold(&stack, "deventer").await, (1, 0, 0));
    let moved = stack
        .store
        .registration_of("deventer", &seated.email)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(moved.registration_id, seated.registration_id);
    assert_eq!(moved.status, RegistrationStatus::Confirmed);
    // The personal link opens the registration in its new meeting.
    let link = stack
        .store
        .registration_by_token(&seated.token_hash)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(link.meeting, "deventer");
    let (status, _, page) = get(
        &stack.app,
        &format!("{moved_path}?gedaan=verplaatst"),
        Some(&session),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("staat nu bij deze bijeenkomst"), "{page}");

    // Deventer is full now: the next one goes on its waiting list with the next ticket.
    let other = person(&stack, RegistrationStatus::Confirmed).await;
    let (status, _, _) = post(
        &stack.app,
        &format!(
            "/bijeenkomsten/zwolle/personen/{}/verplaatsen",
            other.registration_id
        ),
        Some(&session),
        Some(ORIGIN),
        &format!("csrf={csrf}&naar=deventer"),
    )
    .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let waiting = stack
        .store
        .registration_of("deventer", &other.email)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (waiting.status, waiting.waitlist_ticket),
        (RegistrationStatus::Waitlisted, Some(1))
    );
    assert_eq!(counters_hold(&stack, "deventer").await, (1, 1, 0));
    assert_eq!(counters_hold(&stack, "zwolle").await, (1, 0, 0));

    // Back again: the seat it frees in deventer goes to the one waiting there.
    let (status, _, _) = post(
        &stack.app,
        &format!("{moved_path}/verplaatsen"),
        Some(&session),
        Some(ORIGIN),
        &format!("csrf={csrf}&naar=zwolle"),
    )
    .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(counters_hold(&stack, "zwolle").await, (2, 0, 0));
    assert_eq!(counters_hold(&stack, "deventer").await, (1, 0, 0));
    let promoted = stack
        .store
        .registration_of("deventer", &other.email)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(promoted.status, RegistrationStatus::Confirmed);

    // An address that has a registration there already, and a meeting that does not exist: refused.
    let third = person(&stack, RegistrationStatus::Confirmed).await;
    let third = if third.registration_id == seated.registration_id {
        stack
            .store
            .registrations(MEETING, &mut |_| {})
            .await
            .unwrap()
            .into_iter()
            .find(|r| r.registration_id != seated.registration_id)
            .unwrap()
    } else {
        third
    };
    let twin = opp_model::registration::Registration {
        meeting: "deventer".into(),
        name: third.name.clone(),
        email: third.email.clone(),
        role: "ouder".into(),
        sector: None,
        organisation: None,
        needs: None,
    };
    let hash = opp_model::token::hash(&opp_model::token::new_token().unwrap());
    stack.store.register(&twin, &hash, now()).await.unwrap();
    let third_path = format!("/bijeenkomsten/zwolle/personen/{}", third.registration_id);
    let (status, _, body) = post(
        &stack.app,
        &format!("{third_path}/verplaatsen"),
        Some(&session),
        Some(ORIGIN),
        &format!("csrf={csrf}&naar=deventer"),
    )
    .await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert!(body.contains("al een aanmelding"), "{body}");
    let (status, _, body) = post(
        &stack.app,
        &format!("{third_path}/verplaatsen"),
        Some(&session),
        Some(ORIGIN),
        &format!("csrf={csrf}&naar=bestaat-niet"),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(counters_hold(&stack, "zwolle").await, (2, 0, 0));
    assert_eq!(counters_hold(&stack, "deventer").await, (1, 1, 0));
    let log = stack.store.audit_entries(today()).await.unwrap();
    assert!(
        log.iter()
            .any(|e| e.action == "move-meeting" && e.detail.as_deref() == Some("deventer"))
    );
}

#[tokio::test]
async fn moving_through_faults_loses_and_doubles_nothing() {
    for seed in 1..=3u64 {
        let upstream = start_dynoxide().await;
        let proxy = FaultProxy::start(&upstream, Schedule::none()).await;
        let stack = stack_on(&upstream, &proxy.endpoint, 3, 2).await;
        stack
            .store
            .put_meeting_details(
                &sample::meeting("deventer")
                    .capacity(5)
                    .open_from(now())
                    .build(),
            )
            .await
            .unwrap();
        let (session, csrf) = signed_in_manager(&stack).await;
        let seated = person(&stack, RegistrationStatus::Confirmed).await;
        let base = format!("/bijeenkomsten/zwolle/personen/{}", seated.registration_id);
        proxy.set_schedule(Schedule {
            rate: 0.5,
            operations: vec!["TransactWriteItems", "PutItem", "Query", "GetItem"],
            faults: Fault::ALL.to_vec(),
            seed,
            max_faults: Some(6),
        });
        let mut moved = false;
        for _ in 0..8 {
            let (status, _, _) = post(
                &stack.app,
                &format!("{base}/verplaatsen"),
                Some(&session),
                Some(ORIGIN),
                &format!("csrf={csrf}&naar=deventer"),
            )
            .await;
            if status == StatusCode::SEE_OTHER {
                moved = true;
                break;
            }
            // After a lost answer the person is no longer in zwolle: the organiser would find them in deventer.
            if status == StatusCode::NOT_FOUND {
                break;
            }
            assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "seed {seed}");
        }
        proxy.set_schedule(Schedule::none());
        let there = stack
            .store
            .registration_of("deventer", &seated.email)
            .await
            .unwrap();
        assert!(moved || there.is_some(), "seed {seed}: moved in the end");
        assert!(
            stack
                .store
                .registration_of(MEETING, &seated.email)
                .await
                .unwrap()
                .is_none(),
            "seed {seed}: not in both"
        );
        assert_eq!(
            counters_hold(&stack, "zwolle").await,
            (2, 0, 0),
            "seed {seed}"
        );
        assert_eq!(
            counters_hold(&stack, "deventer").await,
            (1, 0, 0),
            "seed {seed}"
        );
    }
}
