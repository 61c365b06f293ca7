//! The personal calendar file: offered on a seat's page, its UID is `registration_uid()` (the one later
//! emails use), its text names the meeting page and never the personal link, and a waiting person gets none.

use crate::common::*;
use opp_model::token;

const M: &str = "2030-03-zwolle";

#[tokio::test]
async fn a_seat_gets_its_own_calendar_file_with_the_registration_uid() {
    let s = stack(&[meeting(M, 1)]).await;
    let seat = post_form(&s.app, &form(M, "a%40example.nl"))
        .await
        .location
        .unwrap();
    let page = send(&s.app, event("GET", &seat, &[], "")).await;
    let calendar_url = format!("{seat}/agenda.ics");
    assert!(
        page.body.contains(&format!("href=\"{calendar_url}\"")),
        "{}",
        page.body
    );

    let file = send(&s.app, event("GET", &calendar_url, &[], "")).await;
    assert_eq!(file.status, 200, "{}", file.body);
    let token = seat.rsplit('/').next().unwrap();
    let record = s
        .store
        .registration_by_token(&token::hash(token))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(record.registration_id.len(), 32);
    let uid = opp_model::calendar::registration_uid(
        M,
        &record.registration_id,
        "www.landelijkoppproject.nl",
    );
    // Long lines are folded (RFC 5545): unfold before reading.
    let text = file.body.replace("\r\n ", "");
    assert!(text.contains(&format!("UID:{uid}\r\n")), "{text}");
    assert!(
        text.contains("DTSTART;TZID=Europe/Amsterdam:20300310T130000"),
        "{text}"
    );
    assert!(
        text.contains("URL:https://www.landelijkoppproject.nl/bijeenkomsten/zwolle/"),
        "the meeting page"
    );
    assert!(!text.contains(token), "never the personal link");
    assert!(!text.contains("a@example.nl"), "no personal data");

    // A waiting person has no appointment: no file.
    let waiting = post_form(&s.app, &form(M, "b%40example.nl"))
        .await
        .location
        .unwrap();
    let none = send(
        &s.app,
        event("GET", &format!("{waiting}/agenda.ics"), &[], ""),
    )
    .await;
    assert_eq!(none.status, 404);
}
