//! "Gegevens wijzigen" end to end: the personal page shows what was given, the details form corrects it
//! by the registration rules, and a new address moves the registration with its seat once that address
//! confirms it through the link mailed to it (dynoxide on loopback).

use crate::common::*;

const M: &str = "2030-03-zwolle";

/// Registers `email` (form-encoded) and answers the personal page's path.
async fn registered(s: &Stack, email: &str) -> String {
    let reply = post_form(&s.app, &form(M, email)).await;
    assert_eq!(reply.status, 303, "{}", reply.body);
    reply.location.expect("a personal page")
}

async fn post_details(s: &Stack, page: &str, body: &str) -> Reply {
    send(
        &s.app,
        event("POST", &format!("{page}/gegevens"), &[], body),
    )
    .await
}

async fn get(s: &Stack, path: &str) -> Reply {
    send(&s.app, event("GET", path, &[], "")).await
}

fn items_with_email(items: &[Item], email: &str) -> Vec<String> {
    let mut keys: Vec<String> = items
        .iter()
        .filter(|item| item.get("email").and_then(|v| v.as_s().ok()) == Some(&email.to_string()))
        .map(|item| {
            item["PK"]
                .as_s()
                .unwrap()
                .split('#')
                .next()
                .unwrap()
                .to_string()
        })
        .collect();
    keys.sort();
    keys
}

type Item = std::collections::HashMap<String, aws_sdk_dynamodb::types::AttributeValue>;

#[tokio::test]
async fn the_personal_page_shows_the_address_and_the_answers() {
    let s = stack(&[meeting(M, 20)]).await;
    let page = registered(&s, "anna%40example.nl").await;
    let shown = get(&s, &page).await;
    assert_eq!(shown.status, 200);
    for expected in [
        "Je gegevens",
        "anna@example.nl",
        "Anna de Vries",
        "Onderwijsprofessional",
        "Primair onderwijs (po)",
        "niet ingevuld",
        &format!("{page}/gegevens"),
        "Gegevens wijzigen",
    ] {
        assert!(shown.body.contains(expected), "{expected}: {}", shown.body);
    }
    let form = get(&s, &format!("{page}/gegevens")).await;
    assert_eq!(form.status, 200);
    assert!(
        form.body.contains(r#"value="anna@example.nl""#)
            && form.body.contains(r#"value="Anna de Vries""#)
            && form.body.contains(&format!(r#"action="{page}/gegevens""#))
            && form.body.contains(">Verander je je e-mailadres?"),
        "the form is filled in with what is stored: {}",
        form.body
    );
}

#[tokio::test]
async fn name_organisation_and_needs_are_corrected_in_place() {
    let s = stack(&[meeting(M, 20)]).await;
    let page = registered(&s, "anna%40example.nl").await;
    let before = scan_all(&s.store).await.len();
    let reply = post_details(
        &s,
        &page,
        "name=Anna++van+Dijk&email=anna%40example.nl&organisation=De+Linde&needs=Een+ringleiding%0D%0Agraag",
    )
    .await;
    assert_eq!(reply.status, 303, "{}", reply.body);
    assert_eq!(
        reply.location.as_deref(),
        Some(format!("{page}/gewijzigd").as_str())
    );
    let changed = get(&s, &format!("{page}/gewijzigd")).await;
    assert_eq!(changed.status, 200);
    assert!(
        changed.body.contains("Je gegevens zijn gewijzigd"),
        "{}",
        changed.body
    );
    assert!(
        changed.body.contains("Anna van Dijk"),
        "spaces collapsed as when registering"
    );
    assert!(changed.body.contains("De Linde"));
    assert!(
        changed.body.contains("Een ringleiding\ngraag"),
        "line ends made one kind"
    );

    let record = s.store.registrations(M, &mut |_| {}).await.unwrap();
    assert_eq!(record.len(), 1);
    assert_eq!(record[0].name, "Anna van Dijk");
    assert_eq!(record[0].organisation.as_deref(), Some("De Linde"));
    assert_eq!(
        scan_all(&s.store).await.len(),
        before,
        "nothing added or removed"
    );

    // Emptying an optional answer removes it.
    let reply = post_details(
        &s,
        &page,
        "name=Anna&email=anna%40example.nl&organisation=&needs=",
    )
    .await;
    assert_eq!(reply.status, 303);
    let record = s.store.registrations(M, &mut |_| {}).await.unwrap();
    assert_eq!(
        (
            record[0].organisation.as_deref(),
            record[0].needs.as_deref()
        ),
        (None, None)
    );
}

#[tokio::test]
async fn a_new_address_keeps_the_seat_and_the_counters() {
    let s = stack(&[meeting(M, 1)]).await;
    let seat = registered(&s, "anna%40exmaple.nl").await;
    let waiting = registered(&s, "bo%40example.nl").await;
    let counters = |m: opp_model::records::MeetingRecord| {
        (m.confirmed, m.waitlisted, m.cancelled, m.waitlist_seq)
    };
    let before = counters(s.store.meeting(M).await.unwrap().unwrap());

    let reply = post_details(&s, &seat, "name=Anna+de+Vries&email=Anna%40Example.nl").await;
    assert_eq!(reply.status, 303, "{}", reply.body);
    assert!(reply.location.as_deref().unwrap().ends_with("/gewijzigd"));
    // Nothing moved yet: the old address keeps the registration until the new one confirms.
    let changed = get(&s, reply.location.as_deref().unwrap()).await;
    assert!(
        changed
            .body
            .contains("We hebben een e-mail gestuurd naar <strong>anna@example.nl</strong>"),
        "{}",
        changed.body
    );
    assert!(
        !changed
            .body
            .contains("Je vroeg om je e-mailadres te wijzigen"),
        "one notice, not two: {}",
        changed.body
    );
    let personal = get(&s, &seat).await;
    assert!(
        personal
            .body
            .contains("Je vroeg om je e-mailadres te wijzigen in <strong>anna@example.nl</strong>"),
        "the personal page says a move waits: {}",
        personal.body
    );
    assert_eq!(
        s.store
            .registrations_of("anna@exmaple.nl")
            .await
            .unwrap()
            .len(),
        1
    );
    let seat_token = seat.rsplit('/').next().unwrap().to_string();
    let move_token = move_token_of(&s.store, &seat_token).await;
    // An organiser's note (opp_store::notes) goes with the registration to its new address.
    let before_move = s
        .store
        .registration_of(M, "anna@exmaple.nl")
        .await
        .unwrap()
        .unwrap();
    assert!(
        s.store
            .add_note(
                M,
                "anna@exmaple.nl",
                &before_move.registration_id,
                "Bea",
                "Komt met een tolk",
                now()
            )
            .await
            .unwrap()
    );
    // The link in the mail asks first (a GET changes nothing), and the button moves.
    let asked = get(&s, &format!("/api/adres/{move_token}")).await;
    assert_eq!(asked.status, 200);
    assert!(
        asked.body.contains("Bevestig je e-mailadres") && asked.body.contains("anna@example.nl"),
        "{}",
        asked.body
    );
    assert_eq!(
        s.store
            .registrations_of("anna@exmaple.nl")
            .await
            .unwrap()
            .len(),
        1,
        "a GET moves nothing"
    );
    let confirmed = send(
        &s.app,
        event("POST", &format!("/api/adres/{move_token}"), &[], ""),
    )
    .await;
    assert_eq!(confirmed.status, 200, "{}", confirmed.body);
    assert!(
        confirmed.body.contains("Je e-mailadres is gewijzigd"),
        "{}",
        confirmed.body
    );
    let again = confirm_move(&s.app, &move_token).await;
    assert_eq!(
        (again.status, again.body.as_str()),
        (404, r#"{"status":"gone"}"#),
        "a confirmation link works once"
    );
    let after = counters(s.store.meeting(M).await.unwrap().unwrap());
    assert_eq!(after, before, "the counters are untouched");
    let notes = s
        .store
        .registration_history(M, "anna@example.nl")
        .await
        .unwrap()
        .notes;
    assert_eq!(notes.len(), 1, "the note moved with the registration");
    assert_eq!(notes[0].text, "Komt met een tolk");
    assert_eq!(count_statuses(&s.store, M).await, (1, 1, 0, 2));

    let items = scan_all(&s.store).await;
    assert!(
        items_with_email(&items, "anna@exmaple.nl").is_empty(),
        "the old address is gone everywhere"
    );
    assert_eq!(
        items_with_email(&items, "anna@example.nl"),
        ["MEETING", "TOKEN"],
        "the registration and its link moved"
    );
    let moved = s.store.registrations_of("anna@example.nl").await.unwrap();
    assert_eq!(
        moved.len(),
        1,
        "the email index finds the new address (erasure requests)"
    );
    assert_eq!(moved[0].status, opp_model::RegistrationStatus::Confirmed);
    let page = get(&s, &seat).await;
    assert!(
        page.body.contains("anna@example.nl") && page.body.contains("Je aanmelding is bevestigd"),
        "{}",
        page.body
    );

    // The waiting person moves too, keeping their place; then the seat frees and goes to them.
    let reply = post_details(&s, &waiting, "name=Bo&email=bo2%40example.nl").await;
    assert_eq!(reply.status, 303);
    let waiting_token = waiting.rsplit('/').next().unwrap().to_string();
    let move_token = move_token_of(&s.store, &waiting_token).await;
    assert_eq!(confirm_move(&s.app, &move_token).await.status, 200);
    let page = get(&s, &waiting).await;
    assert!(
        page.body.contains("Je bent nummer 1 op de wachtlijst"),
        "{}",
        page.body
    );
    let cancel = send(&s.app, event("POST", &format!("{seat}/cancel"), &[], "")).await;
    assert_eq!(cancel.status, 303);
    let promoted = s.store.registrations_of("bo2@example.nl").await.unwrap();
    assert_eq!(promoted[0].status, opp_model::RegistrationStatus::Confirmed);
    assert!(promoted[0].promoted_at.is_some());
    let m = s.store.meeting(M).await.unwrap().unwrap();
    assert_eq!((m.confirmed, m.waitlisted, m.cancelled), (1, 0, 1));
}

#[tokio::test]
async fn a_taken_address_and_bad_input_give_the_form_again() {
    let s = stack(&[meeting(M, 20)]).await;
    let anna = registered(&s, "anna%40example.nl").await;
    registered(&s, "bo%40example.nl").await;

    // An address with a registration for this meeting: the answer does not tell (it would tell a link
    // holder who registered); the mail to that address explains, and its link moves nothing.
    let taken = post_details(
        &s,
        &anna,
        "name=Anna+de+Vries&email=bo%40example.nl&needs=Rust",
    )
    .await;
    assert_eq!(taken.status, 303, "{}", taken.body);
    assert!(taken.location.as_deref().unwrap().ends_with("/gewijzigd"));
    let anna_token = anna.rsplit('/').next().unwrap().to_string();
    let move_token = move_token_of(&s.store, &anna_token).await;
    let refused = send(
        &s.app,
        event("POST", &format!("/api/adres/{move_token}"), &[], ""),
    )
    .await;
    assert_eq!(refused.status, 409, "{}", refused.body);
    assert!(
        refused
            .body
            .contains("Met dit e-mailadres is al iemand aangemeld voor deze bijeenkomst"),
        "{}",
        refused.body
    );
    assert_eq!(
        s.store
            .registrations_of("anna@example.nl")
            .await
            .unwrap()
            .len(),
        1,
        "nothing moved"
    );

    let bad = post_details(&s, &anna, "name=&email=geen-adres&organisation=A%E2%80%AEB").await;
    assert_eq!(bad.status, 422);
    for message in [
        "Vul je naam in.",
        "Vul een geldig e-mailadres in",
        "bevat een teken dat we niet kunnen opslaan",
    ] {
        assert!(bad.body.contains(message), "{message}: {}", bad.body);
    }
    assert!(bad.body.contains(r#"value="geen-adres""#));

    let json = send(
        &s.app,
        event(
            "POST",
            &format!("{anna}/gegevens"),
            &[
                ("content-type", "application/json"),
                ("accept", "application/json"),
            ],
            r#"{"name":"","email":"anna@example.nl"}"#,
        ),
    )
    .await;
    assert_eq!(json.status, 422);
    let body: serde_json::Value = serde_json::from_str(&json.body).unwrap();
    assert_eq!(body["errors"][0]["field"], "name");
    let records = s.store.registrations(M, &mut |_| {}).await.unwrap();
    assert!(
        records.iter().all(|r| r.name == "Anna de Vries"),
        "nothing stored"
    );
}

#[tokio::test]
async fn only_the_site_and_a_live_registration_can_change_details() {
    let s = stack(&[meeting(M, 20)]).await;
    let page = registered(&s, "anna%40example.nl").await;
    let elsewhere = send(
        &s.app,
        event(
            "POST",
            &format!("{page}/gegevens"),
            &[("origin", "https://evil.example")],
            "name=X&email=x%40example.nl",
        ),
    )
    .await;
    assert_eq!(elsewhere.status, 400);
    assert!(
        elsewhere.body.contains("alleen via je persoonlijke pagina"),
        "{}",
        elsewhere.body
    );

    let unknown = post_details(
        &s,
        "/api/registrations/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
        "name=X&email=x%40example.nl",
    )
    .await;
    assert_eq!(unknown.status, 404);

    let cancel = send(&s.app, event("POST", &format!("{page}/cancel"), &[], "")).await;
    assert_eq!(cancel.status, 303);
    let after = post_details(&s, &page, "name=X&email=x%40example.nl").await;
    assert_eq!(
        (after.status, after.location.as_deref()),
        (303, Some(page.as_str())),
        "a cancelled one is not changed"
    );
    let form = get(&s, &format!("{page}/gegevens")).await;
    assert!(
        form.body.contains("Je bent afgemeld") && !form.body.contains("Gegevens wijzigen"),
        "{}",
        form.body
    );
    assert!(
        s.store
            .registrations_of("x@example.nl")
            .await
            .unwrap()
            .is_empty()
    );
}

#[tokio::test]
async fn a_move_waits_a_day_at_most_and_a_details_change_or_the_limit_stops_it() {
    let s = stack(&[meeting(M, 20)]).await;
    let page = registered(&s, "anna%40example.nl").await;
    let token = page.rsplit('/').next().unwrap().to_string();

    // A day and a bit later the link works no more.
    assert_eq!(
        post_details(&s, &page, "name=Anna&email=anna2%40example.nl")
            .await
            .status,
        303
    );
    let move_token = move_token_of(&s.store, &token).await;
    let later = now() + jiff::SignedDuration::from_hours(25);
    assert_eq!(
        s.store
            .confirm_move(&opp_model::token::hash(&move_token), later)
            .await
            .unwrap(),
        opp_store::moves::MoveConfirmed::Gone
    );

    // Saving the details again with the own address cancels the move: its link leads nowhere.
    assert_eq!(
        post_details(&s, &page, "name=Anna&email=anna%40example.nl")
            .await
            .status,
        303
    );
    let record = s
        .store
        .registration_by_token(&opp_model::token::hash(&token))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(record.pending_move, None);
    let gone = get(&s, &format!("/api/adres/{move_token}")).await;
    assert_eq!(gone.status, 404);
    assert!(gone.body.contains("Deze link werkt niet"), "{}", gone.body);

    // A post from elsewhere cannot confirm.
    assert_eq!(
        post_details(&s, &page, "name=Anna&email=anna3%40example.nl")
            .await
            .status,
        303
    );
    let move_token = move_token_of(&s.store, &token).await;
    let foreign = send(
        &s.app,
        event(
            "POST",
            &format!("/api/adres/{move_token}"),
            &[("origin", "https://elders.example")],
            "",
        ),
    )
    .await;
    assert_eq!(foreign.status, 400);

    // Three requests a day (config.yaml's limits.moves_per_day); the fourth is refused, nothing stored.
    let third = post_details(&s, &page, "name=Anna&email=anna4%40example.nl").await;
    assert_eq!(third.status, 303, "{}", third.body);
    let fourth = post_details(&s, &page, "name=Anna&email=anna5%40example.nl").await;
    assert_eq!(fourth.status, 429, "{}", fourth.body);
    assert!(
        fourth.body.contains("Probeer het morgen opnieuw"),
        "{}",
        fourth.body
    );
    let record = s
        .store
        .registration_by_token(&opp_model::token::hash(&token))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        record.pending_move.map(|m| m.to).as_deref(),
        Some("anna4@example.nl"),
        "the third request still waits"
    );
    assert_eq!(record.email, "anna@example.nl");
}
