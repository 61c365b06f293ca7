//! The budget on the mails a visitor can trigger, and the limit on registering again after cancelling
//! (issue 25, part 1): over either, the function still answers, stores exactly what it says, and says
//! in Dutch what happened. config.yaml's `limits:` (5 mails per address per 24 hours, 3 re-registrations).

use crate::common::*;
use opp_model::token;
use opp_store::mail_budget::MailBudget;
use opp_store::{RegisterError, VisitorLimits};
use std::sync::Arc;

const M: &str = "2030-03-zwolle";
const OTHER: &str = "2030-04-utrecht";

fn parse(body: &str) -> serde_json::Value {
    serde_json::from_str(body).unwrap_or_else(|e| panic!("{e}: {body}"))
}

fn json_body(meeting: &str, email: &str) -> String {
    format!(
        r#"{{"meeting":"{meeting}","name":"Sanne Smit","email":"{email}","role":"ouder","privacy":true}}"#
    )
}

fn token_of(location: Option<&str>) -> String {
    let rest = location
        .and_then(|l| l.strip_prefix("/api/registrations/"))
        .unwrap_or_else(|| panic!("no personal page in {location:?}"));
    assert!(token::looks_valid(rest), "{rest}");
    rest.to_string()
}

async fn post_path(app: &axum::Router, path: &str, body: &str) -> Reply {
    send(
        app,
        event(
            "POST",
            path,
            &[
                ("content-type", "application/json"),
                ("accept", "application/json"),
            ],
            body,
        ),
    )
    .await
}

async fn cancel(app: &axum::Router, token: &str) -> Reply {
    post_path(app, &format!("/api/registrations/{token}/cancel"), "").await
}

async fn page(app: &axum::Router, token: &str, suffix: &str) -> String {
    send(
        app,
        event(
            "GET",
            &format!("/api/registrations/{token}{suffix}"),
            &[("accept", "text/html")],
            "",
        ),
    )
    .await
    .body
}

fn budget() -> MailBudget {
    MailBudget::new(Arc::new(link_keys()), &opp_model::config::Limits::default())
}

#[tokio::test]
async fn visitor_mails_over_the_budget_are_withheld_and_the_answer_says_so() {
    let s = stack(&[meeting(M, 10), meeting(OTHER, 10)]).await;
    let victim = "slachtoffer@example.nl";
    // The first registration's confirmation is always sent and not counted.
    let first = post_json(&s.app, &json_body(M, victim)).await;
    assert_eq!(
        (first.status, first.body.as_str()),
        (201, r#"{"status":"confirmed"}"#)
    );
    let mut token = token_of(first.location.as_deref());
    // Cancel and register again three times: 7 visitor mails, of which 5 fit the budget.
    let mut withheld = Vec::new();
    for round in 0..3 {
        let cancelled = cancel(&s.app, &token).await;
        assert_eq!(cancelled.status, 200, "round {round}: {}", cancelled.body);
        withheld.push(parse(&cancelled.body).get("mail_withheld").is_some());
        let again = post_json(&s.app, &json_body(M, victim)).await;
        assert_eq!(again.status, 201, "round {round}: {}", again.body);
        withheld.push(parse(&again.body).get("mail_withheld").is_some());
        token = token_of(again.location.as_deref());
    }
    let last_cancel = cancel(&s.app, &token).await;
    withheld.push(parse(&last_cancel.body).get("mail_withheld").is_some());
    assert_eq!(
        withheld,
        [false, false, false, false, false, true, true],
        "cancel, again, cancel, again, cancel, again, cancel"
    );
    assert_eq!(
        parse(&last_cancel.body),
        serde_json::json!({"status": "cancelled", "mail_withheld": true})
    );
    assert_eq!(
        s.store
            .mails_counted(&budget(), victim, now())
            .await
            .unwrap(),
        5
    );
    // The registration is stored as the answers said, and its pages tell that no email came.
    assert_eq!(count_statuses(&s.store, M).await, (0, 0, 1, 1));
    let cancelled_page = page(&s.app, &token, "/afgemeld").await;
    assert!(
        cancelled_page.contains("geen e-mail over je afmelding gestuurd"),
        "{cancelled_page}"
    );
    // Another meeting: its first confirmation still goes, whatever the budget says.
    let other = post_json(&s.app, &json_body(OTHER, victim)).await;
    assert_eq!(
        (other.status, other.body.as_str()),
        (201, r#"{"status":"confirmed"}"#)
    );
    let other_page = page(&s.app, &token_of(other.location.as_deref()), "").await;
    assert!(!other_page.contains("id=\"geen-email\""), "{other_page}");
}

#[tokio::test]
async fn registering_again_after_cancelling_is_limited_per_meeting_and_day() {
    let s = stack(&[meeting(M, 10), meeting(OTHER, 10)]).await;
    let person = "vaak@example.nl";
    let mut reply = post_json(&s.app, &json_body(M, person)).await;
    for again in 1..=3 {
        assert_eq!(reply.status, 201, "{}", reply.body);
        let cancelled = cancel(&s.app, &token_of(reply.location.as_deref())).await;
        assert_eq!(cancelled.status, 200);
        reply = post_json(&s.app, &json_body(M, person)).await;
        assert_eq!(
            reply.status, 201,
            "registering again #{again}: {}",
            reply.body
        );
    }
    let cancelled = cancel(&s.app, &token_of(reply.location.as_deref())).await;
    assert_eq!(cancelled.status, 200);
    let before = count_statuses(&s.store, M).await;
    let meeting_before = s.store.meeting(M).await.unwrap().unwrap();

    let refused = post_json(&s.app, &json_body(M, person)).await;
    assert_eq!(refused.status, 429, "{}", refused.body);
    let message = parse(&refused.body)["errors"][0]["message"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(message.contains("Probeer het morgen opnieuw"), "{message}");
    // Nothing stored: the same items, the same counters.
    assert_eq!(count_statuses(&s.store, M).await, before);
    let meeting_after = s.store.meeting(M).await.unwrap().unwrap();
    assert_eq!(
        (
            meeting_after.confirmed,
            meeting_after.waitlisted,
            meeting_after.cancelled
        ),
        (
            meeting_before.confirmed,
            meeting_before.waitlisted,
            meeting_before.cancelled
        )
    );
    // A browser gets the Dutch answer as a page.
    let html = post_form(&s.app, &form(M, person)).await;
    assert_eq!(html.status, 429);
    assert!(
        html.body.contains("Probeer het morgen opnieuw"),
        "{}",
        html.body
    );

    // Registering for another meeting in the same sitting still works.
    let other = post_json(&s.app, &json_body(OTHER, person)).await;
    assert_eq!(other.status, 201, "{}", other.body);

    // A day later the limit starts again (the store with a later clock).
    let tomorrow = now() + jiff::SignedDuration::from_hours(25);
    let registration = opp_model::registration::Registration {
        meeting: M.into(),
        email: person.into(),
        name: "Sanne Smit".into(),
        role: "ouder".into(),
        sector: None,
        organisation: None,
        needs: None,
    };
    let limits = VisitorLimits {
        mail: budget(),
        reregistrations_per_day: 3,
        started: std::time::Instant::now(),
    };
    let stored = s
        .store
        .register_as_visitor(
            &registration,
            &token::hash(&"b".repeat(43)),
            tomorrow,
            &limits,
        )
        .await;
    assert!(stored.is_ok(), "{stored:?}");
    // While it is live, registering again is a duplicate, as ever.
    let refused_again = s
        .store
        .register_as_visitor(
            &registration,
            &token::hash(&"c".repeat(43)),
            tomorrow,
            &limits,
        )
        .await;
    assert_eq!(refused_again, Err(RegisterError::Duplicate));
}

#[tokio::test]
async fn asking_to_move_to_an_address_counts_against_that_address_budget() {
    // Each move request mails the new address a confirmation link: an abuser with several registrations
    // of their own aims them all at one victim. The victim's budget ends it: the request that finds no
    // slot is refused (nothing stored, no mail), and the victim got at most the budget.
    let s = stack(&[meeting(M, 10), meeting(OTHER, 10)]).await;
    let victim = "doelwit@example.nl";
    let mut pages = Vec::new();
    for (meeting, email) in [(M, "dader@example.nl"), (OTHER, "dader@example.nl")] {
        let own = post_json(&s.app, &json_body(meeting, email)).await;
        pages.push(token_of(own.location.as_deref()));
    }
    let mut answers = Vec::new();
    for round in 0..3 {
        for token in &pages {
            let asked = post_path(
                &s.app,
                &format!("/api/registrations/{token}/gegevens"),
                &format!(r#"{{"name":"Kees","email":"{victim}"}}"#),
            )
            .await;
            answers.push((round, asked.status, asked.body));
        }
    }
    let statuses: Vec<u16> = answers.iter().map(|(_, status, _)| *status).collect();
    assert_eq!(statuses, [200, 200, 200, 200, 200, 429], "{answers:?}");
    assert!(
        answers[5]
            .2
            .contains("al veel e-mails naar dat e-mailadres"),
        "{}",
        answers[5].2
    );
    assert_eq!(
        s.store
            .mails_counted(&budget(), victim, now())
            .await
            .unwrap(),
        5
    );
    // The victim's address holds nothing: every registration stays with its owner until confirmed.
    assert!(s.store.registrations_of(victim).await.unwrap().is_empty());
    assert_eq!(count_statuses(&s.store, M).await, (1, 0, 0, 1));
}
