//! The screens against the store: the overview's counts, a meeting's list (search, filter, pages), a
//! person, the downloads, the audit log; and through the fault proxy, that nothing with personal data is
//! shown unless its audit entry was written.

use axum::http::{StatusCode, header};

use crate::common::*;
use opp_store::testkit::faults::{Fault, FaultProxy, Schedule};

fn today() -> jiff::civil::Date {
    now().to_zoned(jiff::tz::TimeZone::UTC).date()
}

#[tokio::test]
async fn the_overview_counts_seats_waiting_list_and_the_last_day() {
    let stack = stack(5, 3).await;
    let session = sign_in(&stack.app, DOOR).await;
    let (status, _, body) = get(&stack.app, "/", Some(&session)).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(body.contains("3 van 3"), "{body}");
    assert!(
        body.contains("<td class=\"num\">2</td>"),
        "two waiting: {body}"
    );
    assert!(
        body.contains("<td class=\"num\">5</td>"),
        "five in the last day: {body}"
    );
    assert!(
        !body.contains("Deelnemer"),
        "no personal data on the overview"
    );
    assert!(body.contains("/static/console.js"));
}

#[tokio::test]
async fn a_meetings_list_searches_filters_sorts_and_pages_and_each_view_is_logged() {
    let stack = stack(300, 250).await;
    let session = sign_in(&stack.app, MANAGER).await;
    let (status, _, body) = get(&stack.app, "/bijeenkomsten/zwolle", Some(&session)).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        body.contains("300 aanmeldingen gevonden, pagina 1 van 3"),
        "{body}"
    );
    assert_eq!(body.matches("/personen/").count(), 100);
    assert!(body.contains("Deelnemer 000") && !body.contains("Deelnemer 100"));

    let (_, _, body) = get(
        &stack.app,
        "/bijeenkomsten/zwolle?zoek=ELAN&status=&sorteer=naam&pagina=2",
        Some(&session),
    )
    .await;
    assert!(
        body.contains("150 aanmeldingen gevonden, pagina 2 van 2"),
        "{body}"
    );
    assert!(
        body.contains("Deelnemer 201") && !body.contains("Deelnemer 200<"),
        "odd ones only"
    );

    let (_, _, body) = get(
        &stack.app,
        "/bijeenkomsten/zwolle?status=waitlisted",
        Some(&session),
    )
    .await;
    assert!(body.contains("50 aanmeldingen gevonden"), "{body}");
    let (_, _, body) = get(
        &stack.app,
        "/bijeenkomsten/zwolle?zoek=deelnemer7%40example",
        Some(&session),
    )
    .await;
    assert!(body.contains("1 aanmelding gevonden"), "{body}");

    let (status, _, _) = get(&stack.app, "/bijeenkomsten/bestaat-niet", Some(&session)).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let log = stack.store.audit_entries(today()).await.unwrap();
    assert_eq!(log.iter().filter(|e| e.action == "view-list").count(), 4);
    assert!(log.iter().all(|e| e.actor == MANAGER));
}

#[tokio::test]
async fn a_person_shows_details_and_history_without_their_address_in_the_log() {
    let stack = stack(2, 1).await;
    let session = sign_in(&stack.app, MANAGER).await;
    let people = stack
        .store
        .registrations(MEETING, &mut |_| {})
        .await
        .unwrap();
    let waiting = people
        .iter()
        .find(|p| p.status == opp_model::RegistrationStatus::Waitlisted)
        .unwrap();
    let path = format!("/bijeenkomsten/zwolle/personen/{}", waiting.registration_id);
    let (status, _, body) = get(&stack.app, &path, Some(&session)).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(
        body.contains(&waiting.name) && body.contains(&waiting.email),
        "{body}"
    );
    assert!(
        body.contains("Op de wachtlijst") || body.contains("wachtlijst"),
        "{body}"
    );
    assert!(body.contains("Aangemeld"));

    let (status, _, _) = get(
        &stack.app,
        "/bijeenkomsten/zwolle/personen/onbekend",
        Some(&session),
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    let log = stack.store.audit_entries(today()).await.unwrap();
    let view = log.iter().find(|e| e.action == "view-person").unwrap();
    assert_eq!(
        view.registration_id.as_deref(),
        Some(waiting.registration_id.as_str())
    );
    assert_eq!(view.meeting.as_deref(), Some(MEETING));
    let text = format!("{log:?}");
    assert!(
        !text.contains(&waiting.email) && !text.contains(&waiting.name),
        "{text}"
    );
}

#[tokio::test]
async fn downloads_are_the_operations_files_as_attachments_and_are_logged() {
    let stack = stack(3, 10).await;
    let session = sign_in(&stack.app, MANAGER).await;
    let (status, headers, body) = get(
        &stack.app,
        "/bijeenkomsten/zwolle/download/csv",
        Some(&session),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        headers[header::CONTENT_DISPOSITION],
        "attachment; filename=\"aanmeldingen-zwolle.csv\""
    );
    assert_eq!(headers[header::CACHE_CONTROL], "no-store");
    assert!(
        body.starts_with('\u{feff}') && body.contains("Deelnemer 002"),
        "{body}"
    );
    for (kind, name) in [
        ("xlsx", "aanmeldingen-zwolle.xlsx"),
        ("aanwezigheid", "aanwezigheidslijst-zwolle.xlsx"),
    ] {
        let (status, headers, _) = get(
            &stack.app,
            &format!("/bijeenkomsten/zwolle/download/{kind}"),
            Some(&session),
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{kind}");
        assert_eq!(
            headers[header::CONTENT_DISPOSITION],
            format!("attachment; filename=\"{name}\"").as_str()
        );
    }
    let (status, _, _) = get(
        &stack.app,
        "/bijeenkomsten/zwolle/download/pdf",
        Some(&session),
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let log = stack.store.audit_entries(today()).await.unwrap();
    let mut kinds: Vec<&str> = log
        .iter()
        .filter(|e| e.action == "download")
        .filter_map(|e| e.detail.as_deref())
        .collect();
    kinds.sort();
    assert_eq!(kinds, ["aanwezigheid", "csv", "xlsx"]);
}

#[tokio::test]
async fn the_audit_log_is_readable_and_filterable_by_a_manager() {
    let stack = stack(1, 10).await;
    let door = sign_in(&stack.app, DOOR).await;
    get(&stack.app, "/bijeenkomsten/zwolle", Some(&door)).await;
    let manager = sign_in(&stack.app, MANAGER).await;
    let (status, _, body) = get(&stack.app, "/logboek", Some(&manager)).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(
        body.contains("Dirk Deur") && body.contains("lijst bekeken") && body.contains("ingelogd"),
        "{body}"
    );
    let (_, _, body) = get(
        &stack.app,
        "/logboek?wie=dirk&actie=view-list",
        Some(&manager),
    )
    .await;
    assert!(body.contains("1 regels"), "{body}");
    let (_, _, body) = get(&stack.app, "/logboek?dag=2029-01-01", Some(&manager)).await;
    assert!(body.contains("0 regels op 2029-01-01"), "{body}");
}

#[tokio::test]
async fn nothing_personal_is_shown_when_its_audit_entry_cannot_be_written() {
    let upstream = start_dynoxide().await;
    let proxy = FaultProxy::start(&upstream, Schedule::none()).await;
    let stack = stack_on(&upstream, &proxy.endpoint, 3, 10).await;
    let session = sign_in(&stack.app, MANAGER).await;
    let people = stack
        .store
        .registrations(MEETING, &mut |_| {})
        .await
        .unwrap();
    for fault in [Fault::ServerError, Fault::Throttling, Fault::DropAnswer] {
        proxy.set_schedule(Schedule::always("PutItem", fault));
        for path in [
            "/bijeenkomsten/zwolle".to_string(),
            format!(
                "/bijeenkomsten/zwolle/personen/{}",
                people[0].registration_id
            ),
            "/bijeenkomsten/zwolle/download/csv".to_string(),
        ] {
            let (status, headers, body) = get(&stack.app, &path, Some(&session)).await;
            assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{fault:?} {path}");
            assert!(
                !body.contains("Deelnemer") && !body.contains("@example.nl"),
                "{fault:?} {path}: {body}"
            );
            assert!(headers.get(header::CONTENT_DISPOSITION).is_none());
        }
    }
    proxy.set_schedule(Schedule::none());
    let (status, _, body) = get(&stack.app, "/bijeenkomsten/zwolle", Some(&session)).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    // The store's retries may have written an entry whose answer was lost (DropAnswer): at most one per view.
    let log = stack.store.audit_entries(today()).await.unwrap();
    assert!(
        log.iter()
            .filter(|e| e.action.starts_with("view") || e.action == "download")
            .count()
            <= 4
    );
}

#[tokio::test]
async fn reads_that_fail_give_a_page_that_says_so() {
    let upstream = start_dynoxide().await;
    let proxy = FaultProxy::start(&upstream, Schedule::none()).await;
    let stack = stack_on(&upstream, &proxy.endpoint, 2, 10).await;
    let session = sign_in(&stack.app, MANAGER).await;
    proxy.set_schedule(Schedule::always("Query", Fault::ServerError));
    for path in ["/", "/bijeenkomsten/zwolle"] {
        let (status, _, body) = get(&stack.app, path, Some(&session)).await;
        assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{path}");
        assert!(
            body.contains("Probeer het over een paar minuten opnieuw"),
            "{body}"
        );
    }
}
