//! The waiting list's rules against a real store (dynoxide): places from tickets, "ongeveer" after someone
//! ahead left, nobody overtakes it when capacity is raised, and retention follows a postponed meeting.

use crate::common::*;
use opp_model::registration::Registration;
use opp_store::Seat;

const M: &str = "2030-03-zwolle";

fn person(email: &str) -> Registration {
    Registration {
        meeting: M.into(),
        name: "Bo".into(),
        email: email.into(),
        role: "ouder".into(),
        sector: None,
        organisation: None,
        needs: None,
    }
}

/// Registers through the router (JSON) and returns the personal page's path.
async fn register(s: &Stack, email: &str) -> (String, serde_json::Value) {
    let reply = post_json(
        &s.app,
        &format!(
            r#"{{"meeting":"{M}","name":"Bo","email":"{email}","role":"ouder","privacy":true}}"#
        ),
    )
    .await;
    assert_eq!(reply.status, 201, "{}", reply.body);
    let location = reply.location.expect("201 names the personal page");
    (location, serde_json::from_str(&reply.body).unwrap())
}

async fn page_json(s: &Stack, path: &str) -> serde_json::Value {
    let reply = send(
        &s.app,
        event("GET", path, &[("accept", "application/json")], ""),
    )
    .await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    serde_json::from_str(&reply.body).unwrap()
}

#[tokio::test]
async fn a_place_becomes_approximate_once_someone_ahead_left() {
    let s = stack(&[meeting(M, 1)]).await;
    register(&s, "seat@example.nl").await;
    let (first, body) = register(&s, "first@example.nl").await;
    assert_eq!(body["position"], 1);
    let (second, body) = register(&s, "second@example.nl").await;
    assert_eq!(
        (
            body["position"].clone(),
            body["position_approximate"].clone()
        ),
        (2.into(), false.into())
    );

    // The first waiting person cancels: the second is really first now, but only "ongeveer" 2.
    let cancelled = send(&s.app, event("POST", &format!("{first}/cancel"), &[], "")).await;
    assert_eq!(cancelled.status, 303);
    let now = page_json(&s, &second).await;
    assert_eq!(
        (now["position"].clone(), now["position_approximate"].clone()),
        (2.into(), true.into())
    );
    let html = send(&s.app, event("GET", &second, &[], "")).await;
    assert!(
        html.body
            .contains("Je bent ongeveer nummer 2 op de wachtlijst")
            && html.body.contains("Waarom ongeveer?"),
        "{}",
        html.body
    );
}

#[tokio::test]
async fn a_duplicate_on_a_full_meeting_hands_its_ticket_back() {
    let s = stack(&[meeting(M, 1)]).await;
    register(&s, "seat@example.nl").await;
    register(&s, "first@example.nl").await;
    // The same person again: a ticket was drawn for them, then not used.
    let again = post_json(
        &s.app,
        &format!(r#"{{"meeting":"{M}","name":"Bo","email":"first@example.nl","role":"ouder","privacy":true}}"#),
    )
    .await;
    assert_eq!(again.body, r#"{"status":"duplicate"}"#);
    let (_, second) = register(&s, "second@example.nl").await;
    assert_eq!(
        (
            second["position"].clone(),
            second["position_approximate"].clone()
        ),
        (2.into(), false.into()),
        "places stay exact"
    );
}

#[tokio::test]
async fn nobody_overtakes_the_waiting_list_when_capacity_is_raised() {
    let mut one_seat = meeting(M, 1);
    one_seat.waitlist_capacity = 10;
    let s = stack(&[one_seat]).await;
    register(&s, "seat@example.nl").await;
    let (waiting_one, _) = register(&s, "w1@example.nl").await;
    let (waiting_two, _) = register(&s, "w2@example.nl").await;
    let (waiting_three, _) = register(&s, "w3@example.nl").await;

    // The content raises capacity to 3: until sync has promoted, a newcomer still waits behind them.
    let mut raised = meeting(M, 3);
    raised.waitlist_capacity = 10;
    s.store.put_meeting_details(&raised).await.unwrap();
    let (_, late) = register(&s, "late@example.nl").await;
    assert_eq!(
        late["status"], "waitlisted",
        "a newcomer does not take a new seat ahead of the list"
    );

    let promoted = s.store.promote_into_free_seats(M, now()).await.unwrap();
    assert_eq!(
        promoted,
        vec![
            "REG#w1@example.nl".to_string(),
            "REG#w2@example.nl".to_string()
        ],
        "in ticket order"
    );
    assert_eq!(page_json(&s, &waiting_one).await["status"], "confirmed");
    assert_eq!(page_json(&s, &waiting_two).await["status"], "confirmed");
    let third = page_json(&s, &waiting_three).await;
    assert_eq!(
        (third["status"].clone(), third["position"].clone()),
        ("waitlisted".into(), 1.into())
    );
    let m = s.store.meeting(M).await.unwrap().unwrap();
    assert_eq!((m.confirmed, m.waitlisted, m.waitlist_served), (3, 2, 2));
    assert_eq!(
        count_statuses(&s.store, M).await,
        (3, 2, 0, 5),
        "counters equal the items"
    );
    assert!(
        s.store
            .promote_into_free_seats(M, now())
            .await
            .unwrap()
            .is_empty(),
        "nothing more to do"
    );
}

#[tokio::test]
async fn a_full_waiting_list_closes_the_form_but_a_duplicate_still_hears_so() {
    let mut small = meeting(M, 1);
    small.waitlist_capacity = 1;
    let s = stack(&[small]).await;
    assert_eq!(
        s.store.register(&person("a@example.nl"), "h1", now()).await,
        Ok(Seat::Confirmed)
    );
    assert!(matches!(
        s.store.register(&person("b@example.nl"), "h2", now()).await,
        Ok(Seat::Waitlisted { .. })
    ));
    assert_eq!(
        s.store.register(&person("c@example.nl"), "h3", now()).await,
        Err(opp_store::RegisterError::Full)
    );
    assert_eq!(
        s.store.register(&person("b@example.nl"), "h4", now()).await,
        Err(opp_store::RegisterError::Duplicate)
    );
    let form = post_form(&s.app, &form(M, "d%40example.nl")).await;
    assert_eq!(form.location.as_deref(), Some("/aanmelden/gesloten/"));
}

#[tokio::test]
async fn retention_follows_a_postponed_meeting_and_a_second_run_writes_nothing() {
    let s = stack(&[meeting(M, 1)]).await;
    register(&s, "a@example.nl").await;
    register(&s, "b@example.nl").await;
    let mut postponed = meeting(M, 1);
    postponed.over_at += 30 * 86_400;
    postponed.expires_at += 30 * 86_400;
    s.store.put_meeting_details(&postponed).await.unwrap();
    assert_eq!(s.store.follow_retention(&postponed).await.unwrap(), 2);
    assert_eq!(
        s.store.follow_retention(&postponed).await.unwrap(),
        0,
        "idempotent"
    );

    // Every item of the meeting's registrations, links included, carries the new date.
    let scan = s
        .store
        .client()
        .scan()
        .table_name(s.store.table())
        .send()
        .await
        .unwrap();
    let mut seen = 0;
    for item in scan.items() {
        let kind = item
            .get("type")
            .and_then(|v| v.as_s().ok())
            .cloned()
            .unwrap_or_default();
        if kind == "registration" || kind == "token" {
            let ttl = item
                .get("expires_at")
                .and_then(|v| v.as_n().ok())
                .cloned()
                .unwrap();
            assert_eq!(ttl, postponed.expires_at.to_string(), "{kind}");
            seen += 1;
        }
    }
    assert_eq!(seen, 4);
}
