//! Check-in codes at the door: a scanned code (whole) or a typed short form checks in once; codes of a waiting
//! place, a cancelled registration, another meeting or nobody are refused in words; wrong short codes are
//! limited per session; only the door's screen may use the camera.

use axum::http::StatusCode;
use opp_model::RegistrationStatus;
use opp_model::check_in_code::short_form;
use opp_model::registration::Registration;

use crate::common::*;

async fn people(stack: &Stack) -> Vec<opp_store::RegistrationRecord> {
    stack
        .store
        .registrations(MEETING, &mut |_| {})
        .await
        .unwrap()
}

async fn door_with_token(stack: &Stack) -> (String, String) {
    let door = sign_in(&stack.app, DOOR).await;
    let (_, _, page) = get(&stack.app, "/bijeenkomsten/zwolle/deur", Some(&door)).await;
    let csrf = csrf_of(&page);
    (door, csrf)
}

async fn scan(stack: &Stack, door: &str, csrf: &str, code: &str) -> (StatusCode, String) {
    let (status, _, page) = post(
        &stack.app,
        "/bijeenkomsten/zwolle/deur/code",
        Some(door),
        Some(ORIGIN),
        &format!("csrf={csrf}&code={}", code.replace(' ', "+")),
    )
    .await;
    (status, page)
}

#[tokio::test]
async fn a_scanned_code_checks_a_seat_in_once_and_a_typed_short_form_works_too() {
    let stack = stack(4, 2).await;
    let (door, csrf) = door_with_token(&stack).await;
    let all = people(&stack).await;
    let seated: Vec<_> = all
        .iter()
        .filter(|p| p.status == RegistrationStatus::Confirmed)
        .collect();
    let code = seated[0].check_in_code.clone().expect("a seat has a code");

    let (status, page) = scan(&stack, &door, &csrf, &code).await;
    assert_eq!(status, StatusCode::OK, "{page}");
    assert!(
        page.contains("Welkom, Deelnemer") && page.contains("door-result--ok"),
        "{page}"
    );
    // The same code again (two doors, the camera seeing it twice): once only.
    let (status, page) = scan(&stack, &door, &csrf, &code).await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("al binnen sinds"), "{page}");

    // The short form, read aloud and typed in lower case with a space: the second seat.
    let other = seated[1].check_in_code.clone().unwrap();
    let typed = short_form(&other).to_lowercase().replace('-', " ");
    let (status, page) = scan(&stack, &door, &csrf, &typed).await;
    assert_eq!(status, StatusCode::OK, "{page}");
    assert!(page.contains("Welkom, Deelnemer"), "{page}");
    let (_, _, page) = get(&stack.app, "/bijeenkomsten/zwolle/deur", Some(&door)).await;
    assert!(page.contains("Binnen: 2 van 2"), "{page}");

    // Each check-in is in the audit log, with how it was found.
    let manager = sign_in(&stack.app, MANAGER).await;
    let (_, _, log) = get(&stack.app, "/logboek", Some(&manager)).await;
    assert!(log.contains("short-code") && log.contains("code"), "{log}");
}

#[tokio::test]
async fn codes_without_a_seat_here_are_refused_in_words() {
    let stack = stack(2, 1).await;
    // Another meeting, in Utrecht, with one person.
    stack
        .store
        .put_meeting_details(
            &sample::meeting("utrecht")
                .with(|m| m.city = "Utrecht".into())
                .open_from(now())
                .build(),
        )
        .await
        .unwrap();
    let elsewhere = Registration {
        meeting: "utrecht".into(),
        name: "Ute Elders".into(),
        email: "ute@example.nl".into(),
        role: "Ouder".into(),
        sector: None,
        organisation: None,
        needs: None,
    };
    let hash = opp_model::token::hash(&opp_model::token::new_token().unwrap());
    stack
        .store
        .register(&elsewhere, &hash, now())
        .await
        .unwrap();
    let ute = stack
        .store
        .registration_of("utrecht", "ute@example.nl")
        .await
        .unwrap()
        .unwrap();
    // One of Zwolle's, cancelled.
    let leaving = Registration {
        meeting: MEETING.into(),
        name: "Lotte Weg".into(),
        email: "lotte@example.nl".into(),
        ..elsewhere.clone()
    };
    let lotte_hash = opp_model::token::hash(&opp_model::token::new_token().unwrap());
    stack
        .store
        .register(&leaving, &lotte_hash, now())
        .await
        .unwrap();
    stack.store.cancel(&lotte_hash, now()).await.unwrap();

    let (door, csrf) = door_with_token(&stack).await;
    let all = people(&stack).await;
    let code_of = |status: RegistrationStatus| {
        all.iter()
            .find(|p| p.status == status)
            .and_then(|p| p.check_in_code.clone())
            .unwrap()
    };

    let (status, page) = scan(
        &stack,
        &door,
        &csrf,
        &code_of(RegistrationStatus::Waitlisted),
    )
    .await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert!(page.contains("Staat op de wachtlijst"), "{page}");

    let (status, page) = scan(
        &stack,
        &door,
        &csrf,
        &code_of(RegistrationStatus::Cancelled),
    )
    .await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert!(page.contains("Afgemeld"), "{page}");

    let (status, page) = scan(&stack, &door, &csrf, ute.check_in_code.as_deref().unwrap()).await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert!(
        page.contains("Andere bijeenkomst: Utrecht") && !page.contains("Ute"),
        "{page}"
    );

    // A code nobody has, and text that cannot be a code.
    let (status, page) = scan(&stack, &door, &csrf, "ABCDEFGHJKLMN").await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert!(page.contains("Onbekende code"), "{page}");
    let (status, page) = scan(&stack, &door, &csrf, "https://example.nl/").await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert!(page.contains("Een code heeft geen"), "{page}");
    assert!(
        people(&stack).await.iter().all(|p| p.checked_in.is_none()),
        "nothing was checked in"
    );
}

#[tokio::test]
async fn wrong_short_codes_are_limited_per_session() {
    let stack = stack(1, 1).await;
    let (door, csrf) = door_with_token(&stack).await;
    let code = people(&stack).await[0].check_in_code.clone().unwrap();
    for _ in 0..opp_console::http::CODE_MISSES_ALLOWED {
        let (status, page) = scan(&stack, &door, &csrf, "2222-2222").await;
        assert_eq!(status, StatusCode::CONFLICT, "{page}");
    }
    // Now even the right short code waits; the whole code (a scan) and searching by name still work.
    let (status, page) = scan(&stack, &door, &csrf, &short_form(&code)).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
    assert!(page.contains("Even wachten"), "{page}");
    let (status, page) = scan(&stack, &door, &csrf, &code).await;
    assert_eq!(status, StatusCode::OK, "{page}");
}

#[tokio::test]
async fn only_the_door_screen_may_use_the_camera() {
    let stack = stack(1, 1).await;
    let door = sign_in(&stack.app, DOOR).await;
    let (_, headers, page) = get(&stack.app, "/bijeenkomsten/zwolle/deur", Some(&door)).await;
    assert_eq!(
        headers["permissions-policy"],
        "camera=(self), microphone=(), geolocation=()"
    );
    assert!(
        page.contains("data-camera") && page.contains("deur/code"),
        "{page}"
    );
    for path in ["/", "/bijeenkomsten/zwolle", "/logboek"] {
        let (_, headers, _) = get(&stack.app, path, Some(&door)).await;
        assert_eq!(
            headers["permissions-policy"], "camera=(), microphone=(), geolocation=()",
            "{path}"
        );
    }
    let (status, headers, script) = get(&stack.app, "/static/jsqr.js", None).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        headers[axum::http::header::CONTENT_TYPE]
            .to_str()
            .unwrap()
            .starts_with("text/javascript")
    );
    assert!(script.contains("jsQR"));
}
