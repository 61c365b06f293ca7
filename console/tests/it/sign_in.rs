//! Signing in through the real provider: a new session id each time, roles from the claim, the refusals
//! (no role, an expired session, a replayed or foreign answer, a POST without its token or from elsewhere),
//! signing out, and what every answer carries.

use std::sync::Arc;

use axum::http::StatusCode;

use crate::common::*;

#[tokio::test]
async fn a_manager_signs_in_through_the_provider_and_gets_a_new_session_each_time() {
    let stack = stack(3, 10).await;
    let (status, headers, _) = get(&stack.app, "/", None).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(location(&headers), "/aanmelden?terug=/");

    let (status, headers, _) =
        get(&stack.app, "/aanmelden?terug=/bijeenkomsten/zwolle", None).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let to_provider = location(&headers);
    assert!(to_provider.starts_with(issuer()), "{to_provider}");
    for part in [
        "code_challenge=",
        "code_challenge_method=S256",
        "state=",
        "nonce=",
        "scope=openid",
    ] {
        assert!(to_provider.contains(part), "{part} in {to_provider}");
    }
    let set = headers
        .get(axum::http::header::SET_COOKIE)
        .unwrap()
        .to_str()
        .unwrap();
    assert!(set.starts_with("__Host-opp-beheer-aanmelden="), "{set}");
    for attribute in ["Path=/", "HttpOnly", "SameSite=Lax", "Secure"] {
        assert!(set.contains(attribute), "{attribute} in {set}");
    }
    assert!(!set.contains("Domain"), "{set}");
    let browser = cookies_set(&headers).pop().unwrap();
    let back = log_in_at_provider(&to_provider, MANAGER).await;

    // A session id planted before signing in is not the one after it.
    let planted = "__Host-opp-beheer=planted-by-someone-else";
    let (status, headers, _) = get(&stack.app, &back, Some(&format!("{browser}; {planted}"))).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(location(&headers), "/bijeenkomsten/zwolle");
    let session = cookies_set(&headers)
        .into_iter()
        .find(|c| c.starts_with("__Host-opp-beheer="))
        .unwrap();
    assert_ne!(session, planted);
    let set: Vec<&str> = headers
        .get_all(axum::http::header::SET_COOKIE)
        .iter()
        .map(|v| v.to_str().unwrap())
        .collect();
    assert!(
        set.iter().any(|c| c.starts_with("__Host-opp-beheer=")
            && c.contains("Max-Age=36000")
            && c.contains("Secure")
            && c.contains("HttpOnly")),
        "{set:?}"
    );

    let (status, _, body) = get(&stack.app, "/", Some(&session)).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(
        body.contains("Bea Beheer") && body.contains("(beheer)"),
        "{body}"
    );

    // The same answer a second time finds nothing: each sign-in attempt works once.
    let (status, _, body) = get(&stack.app, &back, Some(&browser)).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(body.contains("verlopen of al gebruikt"), "{body}");

    // A second sign-in gives another session id.
    let again = sign_in(&stack.app, MANAGER).await;
    assert_ne!(again, session);
}

#[tokio::test]
async fn the_answer_must_come_back_to_the_browser_that_asked() {
    let stack = stack(0, 10).await;
    let (_, headers, _) = get(&stack.app, "/aanmelden", None).await;
    let back = log_in_at_provider(&location(&headers), MANAGER).await;
    let (status, headers, body) = get(
        &stack.app,
        &back,
        Some("__Host-opp-beheer-aanmelden=another-browser"),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert!(
        cookies_set(&headers)
            .iter()
            .all(|c| !c.starts_with("__Host-opp-beheer="))
    );
}

#[tokio::test]
async fn someone_without_a_role_gets_no_access_and_no_session() {
    let stack = stack(2, 10).await;
    let (status, headers, _) = get(&stack.app, "/aanmelden", None).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let browser = cookies_set(&headers).pop().unwrap();
    let back = log_in_at_provider(&location(&headers), NO_ROLE).await;
    let (status, headers, body) = get(&stack.app, &back, Some(&browser)).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert!(body.contains("Geen toegang"), "{body}");
    assert!(!body.contains("Deelnemer"), "{body}");
    assert!(
        cookies_set(&headers)
            .iter()
            .all(|c| !c.starts_with("__Host-opp-beheer="))
    );
    let log = stack
        .store
        .audit_entries(now().to_zoned(jiff::tz::TimeZone::UTC).date())
        .await
        .unwrap();
    assert!(
        log.iter()
            .any(|e| e.action == "sign-in-refused" && e.actor == NO_ROLE),
        "{log:?}"
    );
}

#[tokio::test]
async fn the_door_may_look_but_not_download_nor_read_the_audit_log() {
    let stack = stack(2, 10).await;
    let session = sign_in(&stack.app, DOOR).await;
    let (status, _, body) = get(&stack.app, "/bijeenkomsten/zwolle", Some(&session)).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        !body.contains("/download/"),
        "no download links for the door"
    );
    for path in [
        "/bijeenkomsten/zwolle/download/csv",
        "/bijeenkomsten/zwolle/download/aanwezigheid",
        "/logboek",
    ] {
        let (status, headers, body) = get(&stack.app, path, Some(&session)).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{path}");
        assert!(body.contains("Geen toegang"), "{body}");
        assert!(
            headers
                .get(axum::http::header::CONTENT_DISPOSITION)
                .is_none()
        );
    }
}

#[tokio::test]
async fn a_session_ends_after_thirty_idle_minutes_and_after_ten_hours() {
    let stack = stack(1, 10).await;
    let session = sign_in(&stack.app, MANAGER).await;
    let later = |minutes: i64| -> opp_console::http::Clock {
        Arc::new(move || now() + jiff::SignedDuration::from_mins(minutes))
    };
    // Used every 25 minutes, it lives on; until ten hours are up.
    let mut minutes = 0;
    while minutes + 25 < 600 {
        minutes += 25;
        let app = opp_console::http::router(stack.state.clone().with_clock(later(minutes)));
        let (status, _, _) = get(&app, "/", Some(&session)).await;
        assert_eq!(status, StatusCode::OK, "after {minutes} minutes");
    }
    let app = opp_console::http::router(stack.state.clone().with_clock(later(601)));
    let (status, headers, _) = get(&app, "/", Some(&session)).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert!(location(&headers).starts_with("/aanmelden"));

    let idle = sign_in(&stack.app, MANAGER).await;
    let app = opp_console::http::router(stack.state.clone().with_clock(later(31)));
    let (status, headers, _) = get(&app, "/bijeenkomsten/zwolle?zoek=a", Some(&idle)).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(
        location(&headers),
        "/aanmelden?terug=/bijeenkomsten/zwolle%3Fzoek%3Da"
    );
    // Ended on the server too: going back in time does not bring it back.
    let (status, _, _) = get(&stack.app, "/", Some(&idle)).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
}

#[tokio::test]
async fn posts_need_the_origin_and_the_sessions_form_token() {
    let stack = stack(1, 10).await;
    let session = sign_in(&stack.app, MANAGER).await;
    let (_, _, page) = get(&stack.app, "/", Some(&session)).await;
    let csrf = csrf_of(&page);

    let (status, _, _) = post(&stack.app, "/afmelden", Some(&session), Some(ORIGIN), "").await;
    assert_eq!(status, StatusCode::FORBIDDEN, "no token");
    let (status, _, _) = post(
        &stack.app,
        "/afmelden",
        Some(&session),
        Some(ORIGIN),
        "csrf=wrong",
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "a wrong token");
    let (status, _, _) = post(
        &stack.app,
        "/afmelden",
        Some(&session),
        Some("https://www.example.nl"),
        &format!("csrf={csrf}"),
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "another origin");
    let (status, _, _) = post(
        &stack.app,
        "/afmelden",
        Some(&session),
        None,
        &format!("csrf={csrf}"),
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "no origin");
    let (status, _, _) = get(&stack.app, "/", Some(&session)).await;
    assert_eq!(
        status,
        StatusCode::OK,
        "still signed in after refused posts"
    );

    let (status, headers, _) = post(
        &stack.app,
        "/afmelden",
        Some(&session),
        Some(ORIGIN),
        &format!("csrf={csrf}"),
    )
    .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert!(
        location(&headers).starts_with(&format!("{}/oauth2/end_session", issuer())),
        "{}",
        location(&headers)
    );
    assert_eq!(
        headers["clear-site-data"],
        "\"cache\", \"cookies\", \"storage\""
    );
    assert!(
        headers
            .get_all(axum::http::header::SET_COOKIE)
            .iter()
            .any(|v| v.to_str().unwrap().starts_with("__Host-opp-beheer=;"))
    );
    let (status, _, _) = get(&stack.app, "/", Some(&session)).await;
    assert_eq!(status, StatusCode::SEE_OTHER, "the session is over");
    let log = stack
        .store
        .audit_entries(now().to_zoned(jiff::tz::TimeZone::UTC).date())
        .await
        .unwrap();
    let actions: Vec<&str> = log.iter().map(|e| e.action.as_str()).collect();
    assert!(
        actions.contains(&"sign-in") && actions.contains(&"sign-out"),
        "{actions:?}"
    );
}

#[tokio::test]
async fn every_answer_forbids_framing_indexing_and_caching() {
    let stack = stack(1, 10).await;
    let session = sign_in(&stack.app, MANAGER).await;
    for (path, cookie) in [
        ("/", Some(session.as_str())),
        ("/afgemeld", None),
        ("/bestaat-niet", None),
        ("/", None),
    ] {
        let (_, headers, _) = get(&stack.app, path, cookie).await;
        let csp = headers["content-security-policy"].to_str().unwrap();
        assert!(
            csp.contains("frame-ancestors 'none'") && csp.contains("default-src 'none'"),
            "{path}: {csp}"
        );
        assert_eq!(headers["cache-control"], "no-store", "{path}");
        assert_eq!(headers["x-robots-tag"], "noindex, nofollow", "{path}");
        assert_eq!(headers["x-frame-options"], "DENY", "{path}");
    }
}

#[tokio::test]
async fn only_requests_with_cloudfronts_origin_header_reach_the_back_office() {
    let stack = stack(0, 10).await;
    let state = console_state_with(
        stack.state.store.clone(),
        Arc::new(now),
        opp_store::origin_secret::OriginSecret::Fixed("cloudfront-only".into()),
    );
    let app = opp_console::http::router(state);
    for path in ["/", "/aanmelden", "/static/console.css"] {
        let (status, _, body) = get(&app, path, None).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{path}");
        assert!(body.contains("eigen adres"), "{body}");
    }
    let request = axum::http::Request::get("/aanmelden")
        .header("x-origin-verify", "cloudfront-only")
        .body(axum::body::Body::empty())
        .unwrap();
    let (status, _, _) = call(&app, request).await;
    assert_eq!(status, StatusCode::SEE_OTHER, "on to the provider");
}
