//! The door: search and tap, once only (also when two doors tap at the same moment), the answer at a glance,
//! undo, the count, and who may do it.

use axum::http::StatusCode;
use opp_model::RegistrationStatus;

use crate::common::*;

fn today() -> jiff::civil::Date {
    now().to_zoned(jiff::tz::TimeZone::UTC).date()
}

async fn checked_in(stack: &Stack) -> u32 {
    stack
        .store
        .meeting_activity(MEETING, "")
        .await
        .unwrap()
        .checked_in
}

async fn people(stack: &Stack) -> Vec<opp_store::RegistrationRecord> {
    stack
        .store
        .registrations(MEETING, &mut |_| {})
        .await
        .unwrap()
}

#[tokio::test]
async fn search_and_tap_checks_a_seat_in_once_and_says_so() {
    let stack = stack(3, 2).await;
    let door = sign_in(&stack.app, DOOR).await;
    let (_, _, page) = get(&stack.app, "/bijeenkomsten/zwolle/deur", Some(&door)).await;
    assert!(page.contains("Binnen: 0 van 2"), "{page}");
    let csrf = csrf_of(&page);
    let (status, _, page) = get(
        &stack.app,
        "/bijeenkomsten/zwolle/deur?zoek=deelnemer+000",
        Some(&door),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("Binnen: Deelnemer 000"), "{page}");

    let all = people(&stack).await;
    let seated = all
        .iter()
        .find(|p| p.status == RegistrationStatus::Confirmed)
        .unwrap();
    let path = format!("/bijeenkomsten/zwolle/deur/{}", seated.registration_id);
    let (status, _, page) = post(
        &stack.app,
        &path,
        Some(&door),
        Some(ORIGIN),
        &format!("csrf={csrf}"),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        page.contains("Welkom, Deelnemer")
            && page.contains("door-result--ok")
            && page.contains("✓"),
        "{page}"
    );
    // The same tap again (a double tap, a second door): once only.
    let (status, _, page) = post(
        &stack.app,
        &path,
        Some(&door),
        Some(ORIGIN),
        &format!("csrf={csrf}"),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        page.contains("Al binnen") && page.contains("al binnen sinds"),
        "{page}"
    );
    let stored = stack
        .store
        .registration_of(MEETING, &seated.email)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        stored.checked_in.as_ref().map(|c| c.by.as_str()),
        Some("Dirk Deur")
    );
    assert_eq!(checked_in(&stack).await, 1);
    let (_, _, page) = get(&stack.app, "/bijeenkomsten/zwolle/deur", Some(&door)).await;
    assert!(page.contains("Binnen: 1 van 2"), "{page}");

    // A waiting person has no seat to check in to; a registration of another meeting is not found here.
    let waiting = all
        .iter()
        .find(|p| p.status == RegistrationStatus::Waitlisted)
        .unwrap();
    let (status, _, page) = post(
        &stack.app,
        &format!("/bijeenkomsten/zwolle/deur/{}", waiting.registration_id),
        Some(&door),
        Some(ORIGIN),
        &format!("csrf={csrf}"),
    )
    .await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert!(
        page.contains("Staat op de wachtlijst") && page.contains("✗"),
        "{page}"
    );
    let (status, _, _) = post(
        &stack.app,
        "/bijeenkomsten/zwolle/deur/onbekend",
        Some(&door),
        Some(ORIGIN),
        &format!("csrf={csrf}"),
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _, _) = post(&stack.app, &path, Some(&door), Some(ORIGIN), "csrf=wrong").await;
    assert_eq!(status, StatusCode::FORBIDDEN, "the form token");

    let log = stack.store.audit_entries(today()).await.unwrap();
    assert!(log.iter().filter(|e| e.action == "check-in").count() >= 3);
}

#[tokio::test]
async fn two_doors_tapping_at_once_count_one_check_in() {
    let stack = stack(1, 5).await;
    let a = sign_in(&stack.app, DOOR).await;
    let b = sign_in(&stack.app, MANAGER).await;
    let (_, _, page_a) = get(&stack.app, "/bijeenkomsten/zwolle/deur", Some(&a)).await;
    let (_, _, page_b) = get(&stack.app, "/bijeenkomsten/zwolle/deur", Some(&b)).await;
    let seated = people(&stack).await.remove(0);
    let path = format!("/bijeenkomsten/zwolle/deur/{}", seated.registration_id);
    let (form_a, form_b) = (
        format!("csrf={}", csrf_of(&page_a)),
        format!("csrf={}", csrf_of(&page_b)),
    );
    let (one, two) = tokio::join!(
        post(&stack.app, &path, Some(&a), Some(ORIGIN), &form_a),
        post(&stack.app, &path, Some(&b), Some(ORIGIN), &form_b),
    );
    let welcomes = [&one.2, &two.2]
        .iter()
        .filter(|p| p.contains("Welkom,"))
        .count();
    let already = [&one.2, &two.2]
        .iter()
        .filter(|p| p.contains("Al binnen"))
        .count();
    assert_eq!((welcomes, already), (1, 1));
    assert_eq!(checked_in(&stack).await, 1);
}

#[tokio::test]
async fn undo_takes_back_only_the_check_in_it_made() {
    let stack = stack(1, 5).await;
    let door = sign_in(&stack.app, DOOR).await;
    let (_, _, page) = get(&stack.app, "/bijeenkomsten/zwolle/deur", Some(&door)).await;
    let csrf = csrf_of(&page);
    let seated = people(&stack).await.remove(0);
    let path = format!("/bijeenkomsten/zwolle/deur/{}", seated.registration_id);
    let (_, _, page) = post(
        &stack.app,
        &path,
        Some(&door),
        Some(ORIGIN),
        &format!("csrf={csrf}"),
    )
    .await;
    let at_start = page.find("name=\"at\" value=\"").expect("an undo button") + 17;
    let at = &page[at_start..at_start + page[at_start..].find('"').unwrap()];
    // An undo for another moment does nothing.
    let (status, _, _) = post(
        &stack.app,
        &format!("{path}/terug"),
        Some(&door),
        Some(ORIGIN),
        &format!("csrf={csrf}&at=2030-01-01T00%3A00%3A00.000000Z"),
    )
    .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(checked_in(&stack).await, 1);
    let (status, headers, _) = post(
        &stack.app,
        &format!("{path}/terug"),
        Some(&door),
        Some(ORIGIN),
        &format!("csrf={csrf}&at={}", at.replace(':', "%3A")),
    )
    .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(
        location(&headers),
        "/bijeenkomsten/zwolle/deur?gedaan=terug"
    );
    assert_eq!(checked_in(&stack).await, 0);
    let (_, _, page) = get(
        &stack.app,
        "/bijeenkomsten/zwolle/deur?gedaan=terug",
        Some(&door),
    )
    .await;
    assert!(page.contains("ongedaan gemaakt"), "{page}");
    // Checked in again, it shows in the overview, the list and the person's history.
    post(
        &stack.app,
        &path,
        Some(&door),
        Some(ORIGIN),
        &format!("csrf={csrf}"),
    )
    .await;
    let (_, _, overview) = get(&stack.app, "/", Some(&door)).await;
    assert!(
        overview.contains("<td class=\"num\">1</td><td>"),
        "the overview's Binnen column: {overview}"
    );
    let (_, _, person) = get(
        &stack.app,
        &format!("/bijeenkomsten/zwolle/personen/{}", seated.registration_id),
        Some(&door),
    )
    .await;
    assert!(
        person.contains("Binnen gemeld bij de deur (door Dirk Deur)"),
        "{person}"
    );
    let (status, _, _) = get(&stack.app, "/bijeenkomsten/zwolle/deur", None).await;
    assert_eq!(status, StatusCode::SEE_OTHER, "signed in only");
}
