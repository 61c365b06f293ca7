//! The registration function end to end: API Gateway events through the router into a real
//! DynamoDB-compatible store (dynoxide on loopback).

mod common;

use common::*;

const M: &str = "2030-03-zwolle";

fn parse(body: &str) -> serde_json::Value {
    serde_json::from_str(body).unwrap_or_else(|e| panic!("{e}: {body}"))
}

#[tokio::test]
async fn form_post_is_stored_and_lands_on_the_personal_page() {
    let s = stack(&[meeting(M, 20)]).await;
    let reply = post_form(&s.app, &form(M, "Anna%40Example.nl")).await;
    assert_eq!(reply.status, 303);
    let location = reply.location.unwrap();
    assert!(
        location.starts_with("/api/registrations/")
            && location.len() == "/api/registrations/".len() + 43,
        "{location}"
    );
    assert_eq!(count_statuses(&s.store, M).await, (1, 0, 0, 1));
    let page = send(&s.app, event("GET", &location, &[("content-type", "")], "")).await;
    assert_eq!(page.status, 200);
    assert!(
        page.body.contains("Je aanmelding is bevestigd"),
        "{}",
        page.body
    );
    assert!(page.body.contains("Anna de Vries"));
    assert!(
        page.body.contains(&format!("{location}/cancel")),
        "cancel link"
    );
    let token = location.rsplit('/').next().unwrap();
    let by_query = send(
        &s.app,
        event("GET", &format!("/api/registrations?token={token}"), &[], ""),
    )
    .await;
    assert_eq!(
        by_query.status, 404,
        "a token in the query string opens nothing: links carry it in the path only"
    );
    let meeting = s.store.meeting(M).await.unwrap().unwrap();
    assert_eq!((meeting.confirmed, meeting.waitlisted), (1, 0));
}

#[tokio::test]
async fn json_contract() {
    let s = stack(&[meeting(M, 1)]).await;
    let body = |email: &str| {
        format!(
            r#"{{"meeting":"{M}","name":"Bo","email":"{email}","role":"ouder","privacy":true}}"#
        )
    };
    let first = post_json(&s.app, &body("bo@example.nl")).await;
    assert_eq!(
        (first.status, first.body.as_str()),
        (201, r#"{"status":"confirmed"}"#)
    );
    let second = post_json(&s.app, &body("cas@example.nl")).await;
    assert_eq!(
        (second.status, parse(&second.body)),
        (
            201,
            serde_json::json!({"status":"waitlisted","position":1,"position_approximate":false})
        )
    );
    let third = post_json(&s.app, &body("dirk@example.nl")).await;
    assert_eq!(
        parse(&third.body),
        serde_json::json!({"status":"waitlisted","position":2,"position_approximate":false})
    );
    let again = post_json(&s.app, &body(" BO@example.nl ")).await;
    assert_eq!(
        (again.status, again.body.as_str()),
        (200, r#"{"status":"duplicate"}"#)
    );
    assert_eq!(
        count_statuses(&s.store, M).await,
        (1, 2, 0, 3),
        "a duplicate never makes a second item"
    );
    let invalid = post_json(
        &s.app,
        r#"{"meeting":"2030-03-zwolle","name":"","email":"x","role":"ouder","privacy":false}"#,
    )
    .await;
    assert_eq!(invalid.status, 422);
    let errors: serde_json::Value = serde_json::from_str(&invalid.body).unwrap();
    let fields: Vec<&str> = errors["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    assert_eq!(fields, vec!["name", "email", "privacy"]);
    assert!(
        errors["errors"][0]["message"]
            .as_str()
            .unwrap()
            .starts_with("Vul je naam in")
    );
    let unknown = post_json(&s.app, &body("x@example.nl").replace(M, "2031-01-nergens")).await;
    assert_eq!(unknown.status, 404);
}

#[tokio::test]
async fn closed_and_not_yet_open_meetings_refuse() {
    let mut closed = meeting("2030-01-assen", 10);
    closed.closes_at = "2030-01-10T00:00:00Z"
        .parse::<jiff::Timestamp>()
        .unwrap()
        .as_second();
    let mut later = meeting("2030-06-utrecht", 10);
    later.opens_at = Some(
        "2030-02-01T08:00:00Z"
            .parse::<jiff::Timestamp>()
            .unwrap()
            .as_second(),
    );
    let s = stack(&[closed, later]).await;
    for id in ["2030-01-assen", "2030-06-utrecht"] {
        let json = post_json(&s.app, &format!(r#"{{"meeting":"{id}","name":"Bo","email":"bo@example.nl","role":"ouder","privacy":"ja"}}"#)).await;
        assert_eq!(json.status, 409, "{id}");
        let form = post_form(&s.app, &form(id, "bo%40example.nl")).await;
        assert_eq!(
            (form.status, form.location.as_deref()),
            (303, Some("/aanmelden/gesloten/"))
        );
        assert_eq!(count_statuses(&s.store, id).await, (0, 0, 0, 0));
    }
}

#[tokio::test]
async fn form_outcomes_redirect_to_the_result_pages() {
    let s = stack(&[meeting(M, 5)]).await;
    assert_eq!(post_form(&s.app, &form(M, "a%40b.nl")).await.status, 303);
    let duplicate = post_form(&s.app, &form(M, "A%40B.nl")).await;
    assert_eq!(
        duplicate.location.as_deref(),
        Some("/aanmelden/al-aangemeld/")
    );
    let bot = post_form(
        &s.app,
        &form(M, "bot%40b.nl").replace("website=", "website=http%3A%2F%2Fspam"),
    )
    .await;
    assert_eq!(
        (bot.status, bot.location.as_deref()),
        (303, Some("/aanmelden/ontvangen/"))
    );
    assert_eq!(
        count_statuses(&s.store, M).await,
        (1, 0, 0, 1),
        "the honeypot stores nothing"
    );
}

#[tokio::test]
async fn validation_error_page_has_summary_fields_and_values() {
    let s = stack(&[meeting(M, 5)]).await;
    let reply = post_form(
        &s.app,
        &format!("meeting={M}&name=Anna&email=anna%40&role=ouder&privacy=ja&website="),
    )
    .await;
    assert_eq!(reply.status, 422);
    assert!(
        reply.body.contains("href=\"#field-email\""),
        "summary links to the field"
    );
    assert!(
        reply.body.contains("value=\"anna@\""),
        "the form is filled in again"
    );
    assert!(reply.body.contains("Vul een geldig e-mailadres in"));
    assert_eq!(count_statuses(&s.store, M).await, (0, 0, 0, 0));
}

#[tokio::test]
async fn bad_requests_get_a_4xx_and_write_nothing() {
    let s = stack(&[meeting(M, 5)]).await;
    type Case<'a> = (Vec<(&'a str, &'a str)>, String, u16);
    let cases: Vec<Case> = vec![
        (
            vec![("content-type", "text/plain")],
            form(M, "a%40b.nl"),
            415,
        ),
        (vec![], format!("{}&name=Twee", form(M, "a%40b.nl")), 400),
        (
            vec![],
            format!("{}&needs={}", form(M, "a%40b.nl"), "x".repeat(17 * 1024)),
            413,
        ),
        (vec![], "name=%FF%FE".to_string(), 400),
        (
            vec![("content-type", "application/json")],
            r#"{"name": 5}"#.to_string(),
            400,
        ),
        (
            vec![("content-type", "application/json")],
            "[1,2".to_string(),
            400,
        ),
        // Not from the site: 400 with the theme's explanation (403 would become CloudFront's 404 page).
        (
            vec![("origin", "https://evil.example")],
            form(M, "a%40b.nl"),
            400,
        ),
        (
            vec![("origin", ""), ("referer", "https://evil.example/x")],
            form(M, "a%40b.nl"),
            400,
        ),
        (vec![("origin", "")], form(M, "a%40b.nl"), 400),
        (vec![("x-origin-verify", "wrong")], form(M, "a%40b.nl"), 403),
        (vec![("x-origin-verify", "")], form(M, "a%40b.nl"), 403),
    ];
    for (headers, body, expected) in cases {
        let reply = send(&s.app, event("POST", "/api/registrations", &headers, &body)).await;
        assert_eq!(
            reply.status,
            expected,
            "{headers:?} {}",
            &body[..body.len().min(60)]
        );
    }
    let referer_ok = send(
        &s.app,
        event(
            "POST",
            "/api/registrations",
            &[
                ("origin", ""),
                ("referer", "https://www.landelijkoppproject.nl/aanmelden/"),
            ],
            &form(M, "ok%40b.nl"),
        ),
    )
    .await;
    assert_eq!(referer_ok.status, 303, "Referer from the site is enough");
    assert_eq!(
        count_statuses(&s.store, M).await,
        (1, 0, 0, 1),
        "only the good post was stored"
    );
}

#[tokio::test]
async fn concurrent_registrations_never_oversell() {
    if !transactions_are_isolated() {
        eprintln!("skipped on this peer: it does not isolate concurrent transactions");
        return;
    }
    // 200 at once for 20 seats and 100 places on the waiting list: neither limit is passed.
    let mut full = meeting(M, 20);
    full.waitlist_capacity = 100;
    let s = stack(&[full]).await;
    let mut tasks = Vec::new();
    for i in 0..200 {
        let app = s.app.clone();
        tasks.push(tokio::spawn(async move {
            post_json(&app, &format!(r#"{{"meeting":"{M}","name":"P {i}","email":"p{i}@example.nl","role":"ouder","privacy":true}}"#)).await
        }));
    }
    let (mut confirmed, mut waitlisted, mut refused) = (0, 0, 0);
    let mut places = Vec::new();
    for task in tasks {
        let reply = task.await.unwrap();
        match reply.status {
            201 if reply.body.contains("confirmed") => confirmed += 1,
            201 => {
                waitlisted += 1;
                places.push(parse(&reply.body)["position"].as_u64().unwrap());
            }
            409 => {
                assert!(reply.body.contains("wachtlijst ook"), "{}", reply.body);
                refused += 1
            }
            _ => panic!("{} {}", reply.status, reply.body),
        }
    }
    assert_eq!((confirmed, waitlisted, refused), (20, 100, 80));
    places.sort();
    places.dedup();
    assert_eq!(
        places.len(),
        100,
        "every waiting person got a place of their own"
    );
    let m = s.store.meeting(M).await.unwrap().unwrap();
    assert_eq!((m.confirmed, m.waitlisted, m.cancelled), (20, 100, 0));
    // Tickets drawn by people who then got a seat or found the list full count as places left.
    assert_eq!(
        m.waitlist_seq,
        m.waitlisted + m.waitlist_served + m.waitlist_left,
        "every ticket is waiting, served or left"
    );
    assert_eq!(
        count_statuses(&s.store, M).await,
        (20, 100, 0, 120),
        "counters equal the items"
    );
}

#[tokio::test]
async fn cancelling_promotes_exactly_the_first_waitlisted() {
    let s = stack(&[meeting(M, 1)]).await;
    let first = post_form(&s.app, &form(M, "eerste%40b.nl"))
        .await
        .location
        .unwrap();
    let second = post_form(&s.app, &form(M, "tweede%40b.nl"))
        .await
        .location
        .unwrap();
    let third = post_form(&s.app, &form(M, "derde%40b.nl"))
        .await
        .location
        .unwrap();
    let page = send(&s.app, event("GET", &second, &[], "")).await;
    assert!(page.body.contains("wachtlijst"), "{}", page.body);

    let confirm = send(&s.app, event("GET", &format!("{first}/cancel"), &[], "")).await;
    assert_eq!(confirm.status, 200);
    assert_eq!(
        count_statuses(&s.store, M).await,
        (1, 2, 0, 3),
        "GET never changes anything"
    );
    let cancelled = send(&s.app, event("POST", &format!("{first}/cancel"), &[], "")).await;
    // Post/Redirect/Get: the result is a page of its own, so a reload asks nothing.
    assert_eq!(cancelled.status, 303);
    assert_eq!(
        cancelled.location.as_deref(),
        Some(format!("{first}/afgemeld").as_str())
    );
    let result = send(&s.app, event("GET", &format!("{first}/afgemeld"), &[], "")).await;
    assert_eq!(result.status, 200);
    assert!(result.body.contains("Je bent afgemeld"), "{}", result.body);
    let not_cancelled = send(&s.app, event("GET", &format!("{second}/afgemeld"), &[], "")).await;
    assert!(
        !not_cancelled.body.contains("Je bent afgemeld"),
        "a live registration's result page is its personal page: {}",
        not_cancelled.body
    );
    assert_eq!(count_statuses(&s.store, M).await, (1, 1, 1, 3));
    let m = s.store.meeting(M).await.unwrap().unwrap();
    assert_eq!((m.confirmed, m.waitlisted, m.cancelled), (1, 1, 1));
    let promoted = send(&s.app, event("GET", &second, &[], "")).await;
    assert!(
        promoted.body.contains("Je aanmelding is bevestigd"),
        "the first in line is promoted"
    );
    let still = send(
        &s.app,
        event("GET", &third, &[("accept", "application/json")], ""),
    )
    .await;
    assert!(still.body.contains(r#""position":1"#), "{}", still.body);
    let again = send(&s.app, event("POST", &format!("{first}/cancel"), &[], "")).await;
    assert_eq!(again.status, 303, "cancelling twice is harmless");
    assert_eq!(count_statuses(&s.store, M).await, (1, 1, 1, 3));
    let foreign = send(
        &s.app,
        event(
            "POST",
            &format!("{second}/cancel"),
            &[("origin", "https://evil.example")],
            "",
        ),
    )
    .await;
    assert_eq!(foreign.status, 400);
    assert!(
        foreign.body.contains("Dit kan alleen via de website")
            && foreign
                .body
                .contains("Afmelden kan alleen via je persoonlijke pagina"),
        "the theme's refusal page: {}",
        foreign.body
    );
    // After cancelling, the same address may register again.
    let back = post_json(
        &s.app,
        &format!(
            r#"{{"meeting":"{M}","name":"E","email":"eerste@b.nl","role":"ouder","privacy":true}}"#
        ),
    )
    .await;
    assert_eq!(
        parse(&back.body),
        serde_json::json!({"status":"waitlisted","position":2,"position_approximate":false})
    );
    let m = s.store.meeting(M).await.unwrap().unwrap();
    assert_eq!((m.confirmed, m.waitlisted, m.cancelled), (1, 2, 0));
    assert_eq!(
        count_statuses(&s.store, M).await,
        (1, 2, 0, 3),
        "the replaced registration's link is deleted with it"
    );
    let old_link = send(&s.app, event("GET", &first, &[], "")).await;
    assert_eq!(
        old_link.status, 404,
        "the old link no longer opens anything"
    );
}

#[tokio::test]
async fn wrong_tokens_get_an_explaining_404() {
    let s = stack(&[meeting(M, 1)]).await;
    for path in [
        "/api/registrations/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
        "/api/registrations/kort",
        "/api/registrations?token=x",
    ] {
        let reply = send(&s.app, event("GET", path, &[], "")).await;
        assert_eq!(reply.status, 404, "{path}");
        assert!(reply.body.contains("<html"), "a page, not a stack trace");
    }
    let cancel = send(
        &s.app,
        event(
            "POST",
            "/api/registrations/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA/cancel",
            &[],
            "",
        ),
    )
    .await;
    assert_eq!(cancel.status, 404);
}

#[tokio::test]
async fn store_down_gives_503_and_no_success() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let endpoint = format!("http://{}", listener.local_addr().unwrap());
    drop(listener);
    let s = stack_on(&endpoint, &[], false).await;
    let json = post_json(&s.app, &format!(r#"{{"meeting":"{M}","name":"Bo","email":"bo@example.nl","role":"ouder","privacy":true}}"#)).await;
    assert_eq!(json.status, 503);
    let form = post_form(&s.app, &form(M, "bo%40example.nl")).await;
    assert_eq!(
        (form.status, form.location.as_deref()),
        (303, Some("/aanmelden/mislukt/"))
    );
    let meetings = send(&s.app, event("GET", "/api/meetings", &[], "")).await;
    assert_eq!(meetings.status, 503);
}

#[tokio::test]
async fn meetings_endpoint_reports_places_left() {
    let s = stack(&[meeting(M, 3)]).await;
    post_form(&s.app, &form(M, "a%40b.nl")).await;
    let reply = send(&s.app, event("GET", "/api/meetings", &[], "")).await;
    assert_eq!(reply.status, 200);
    let json: serde_json::Value = serde_json::from_str(&reply.body).unwrap();
    assert_eq!(json["meetings"][0]["places_left"], 2);
    assert_eq!(json["meetings"][0]["status"], "open");
}

#[tokio::test]
async fn only_a_seat_is_offered_for_the_calendar() {
    let s = stack(&[meeting(M, 1)]).await;
    let page_of = |email: &'static str| {
        let app = s.app.clone();
        async move {
            let reply = post_form(&app, &form(M, email)).await;
            let location = reply.location.expect("a personal page");
            send(&app, event("GET", &location, &[], "")).await.body
        }
    };
    let seat = page_of("a%40example.nl").await;
    assert!(seat.contains("Je aanmelding is bevestigd"), "{seat}");
    assert!(
        seat.contains("Zet in je agenda"),
        "a seat gets the calendar file"
    );
    let waiting = page_of("b%40example.nl").await;
    assert!(waiting.contains("Je staat op de wachtlijst"), "{waiting}");
    assert!(
        !waiting.contains("Zet in je agenda"),
        "a place on the waiting list is no appointment: {waiting}"
    );
}
