//! The two routes end to end against a stand-in for GitHub's token endpoint on loopback (GitHub itself
//! cannot be reached from here): the redirect with state and PKCE, the refusals (scope, provider, a
//! missing or wrong state, GitHub's own refusal) and the exchange, whose form the stand-in checks as
//! GitHub would (client id and secret, the code, the callback address, the PKCE verifier against the
//! challenge).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::body::Body;
use axum::extract::{Form, State};
use axum::http::{Request, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use opp_editors::github::{GitHub, GitHubSettings};
use opp_editors::http::{AppState, Settings, router};
use opp_editors::scopes::Allowlist;
use opp_http_client::ProviderClient;
use opp_store::origin_secret::OriginSecret;
use sha2::{Digest, Sha256};
use tower::ServiceExt;

const ORIGIN: &str = "https://redactie.example.nl";
const CLIENT_ID: &str = "Ov23liTestClient";
const CLIENT_SECRET: &str = "stand-in-secret";
const GOOD_CODE: &str = "code-from-github";
const TOKEN: &str = "gho_StandInToken123";

/// What the stand-in was sent, and the challenge of the attempt under test.
#[derive(Default)]
struct StandIn {
    exchanges: Vec<HashMap<String, String>>,
    challenge: String,
}

async fn token_endpoint(
    State(stand_in): State<Arc<Mutex<StandIn>>>,
    Form(form): Form<HashMap<String, String>>,
) -> Response {
    let mut stand_in = stand_in.lock().unwrap();
    stand_in.exchanges.push(form.clone());
    let verifier_ok = form
        .get("code_verifier")
        .is_some_and(|v| base64url(&Sha256::digest(v.as_bytes())) == stand_in.challenge);
    let ok = form.get("client_id").map(String::as_str) == Some(CLIENT_ID)
        && form.get("client_secret").map(String::as_str) == Some(CLIENT_SECRET)
        && form.get("code").map(String::as_str) == Some(GOOD_CODE)
        && form.get("redirect_uri").map(String::as_str)
            == Some("https://redactie.example.nl/oauth/callback")
        && verifier_ok;
    // GitHub answers a refused exchange with 200 and an error object.
    let body = if ok {
        serde_json::json!({"access_token": TOKEN, "token_type": "bearer", "scope": "public_repo"})
    } else {
        serde_json::json!({"error": "bad_verification_code", "error_description": "The code passed is incorrect or expired."})
    };
    (
        [(header::CONTENT_TYPE, "application/json")],
        body.to_string(),
    )
        .into_response()
}

fn base64url(bytes: &[u8]) -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |n, (i, b)| n | (u32::from(*b) << (16 - 8 * i)));
        for i in 0..=chunk.len() {
            out.push(ALPHABET[((n >> (18 - 6 * i)) & 63) as usize] as char);
        }
    }
    out
}

struct Setup {
    app: Router,
    stand_in: Arc<Mutex<StandIn>>,
}

async fn setup(origin_secret: OriginSecret) -> Setup {
    let stand_in = Arc::new(Mutex::new(StandIn::default()));
    let github_app = Router::new()
        .route("/login/oauth/access_token", post(token_endpoint))
        .with_state(stand_in.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, github_app).await });
    let github = GitHub::new(
        &GitHubSettings {
            url: format!("http://{address}"),
            client_id: CLIENT_ID.into(),
            client_secret: CLIENT_SECRET.into(),
            redirect_url: format!("{ORIGIN}/oauth/callback"),
        },
        ProviderClient::new().unwrap(),
    )
    .unwrap();
    let app = router(AppState::new(
        github,
        Settings {
            editing_origin: ORIGIN.into(),
            scopes: Allowlist::parse("public_repo").unwrap(),
            origin_secret,
        },
    ));
    Setup { app, stand_in }
}

async fn get(
    app: &Router,
    uri: &str,
    cookie: Option<&str>,
) -> (StatusCode, axum::http::HeaderMap, String) {
    let mut request = Request::get(uri);
    if let Some(cookie) = cookie {
        request = request.header(header::COOKIE, cookie);
    }
    let response = app
        .clone()
        .oneshot(request.body(Body::empty()).unwrap())
        .await
        .unwrap();
    let status = response.status();
    let headers = response.headers().clone();
    let body = axum::body::to_bytes(response.into_body(), 1 << 20)
        .await
        .unwrap();
    (status, headers, String::from_utf8_lossy(&body).into_owned())
}

fn query_value(url: &str, name: &str) -> String {
    url.split_once('?')
        .unwrap()
        .1
        .split('&')
        .find_map(|pair| pair.strip_prefix(&format!("{name}=")))
        .unwrap()
        .to_string()
}

/// Starts an attempt as Decap's popup does: the state, the cookie to send back, and GitHub's address.
async fn start(setup: &Setup) -> (String, String) {
    let (status, headers, _) = get(
        &setup.app,
        "/oauth/auth?provider=github&site_id=redactie.example.nl&scope=public_repo",
        None,
    )
    .await;
    assert_eq!(status, StatusCode::FOUND);
    let location = headers[header::LOCATION].to_str().unwrap().to_string();
    setup.stand_in.lock().unwrap().challenge = query_value(&location, "code_challenge");
    let cookie = headers[header::SET_COOKIE].to_str().unwrap();
    let cookie = cookie.split(';').next().unwrap().to_string();
    (query_value(&location, "state"), cookie)
}

#[tokio::test]
async fn the_popup_goes_to_github_with_a_fresh_state_in_a_short_lived_cookie() {
    let setup = setup(OriginSecret::Off).await;
    let (status, headers, _) = get(
        &setup.app,
        "/oauth/auth?provider=github&scope=public_repo",
        None,
    )
    .await;
    assert_eq!(status, StatusCode::FOUND);
    let location = headers[header::LOCATION].to_str().unwrap();
    assert!(location.contains("/login/oauth/authorize?"), "{location}");
    assert!(
        location.contains("scope=public_repo") && location.contains("code_challenge_method=S256")
    );
    let cookie = headers[header::SET_COOKIE].to_str().unwrap();
    assert!(cookie.starts_with(&format!(
        "__Host-opp-redactie-poging={}.",
        query_value(location, "state")
    )));
    for part in [
        "HttpOnly",
        "Secure",
        "SameSite=Lax",
        "Max-Age=600",
        "Path=/",
    ] {
        assert!(cookie.contains(part), "{part} in {cookie}");
    }
    assert_eq!(headers["cross-origin-opener-policy"], "unsafe-none");
    assert_eq!(headers[header::CACHE_CONTROL], "no-store");
}

#[tokio::test]
async fn a_scope_outside_the_allowlist_or_another_provider_is_refused() {
    let setup = setup(OriginSecret::Off).await;
    for uri in [
        "/oauth/auth?provider=github&scope=public_repo,admin:org",
        "/oauth/auth?provider=github&scope=repo",
        "/oauth/auth?provider=github",
        "/oauth/auth?provider=gitlab&scope=public_repo",
    ] {
        let (status, headers, body) = get(&setup.app, uri, None).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{uri}");
        assert!(
            !headers.contains_key(header::LOCATION) && !headers.contains_key(header::SET_COOKIE),
            "{uri}"
        );
        assert!(body.contains("Inloggen niet gelukt"), "{uri}");
    }
    let (_, _, body) = get(
        &setup.app,
        "/oauth/auth?provider=github&scope=public_repo,admin:org",
        None,
    )
    .await;
    assert!(
        body.contains("meer rechten op GitHub dan hier mogen (admin:org)"),
        "{body}"
    );
}

#[tokio::test]
async fn the_callback_hands_the_token_to_the_editing_origin_only() {
    let setup = setup(OriginSecret::Off).await;
    let (state, cookie) = start(&setup).await;
    let (status, headers, body) = get(
        &setup.app,
        &format!("/oauth/callback?code={GOOD_CODE}&state={state}"),
        Some(&cookie),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(
        body.contains(&format!(r#"\"token\":\"{TOKEN}\""#)),
        "{body}"
    );
    assert!(body.contains(&format!("var origin = \"{ORIGIN}\";")));
    assert!(body.contains("opener.postMessage(message, origin)"));
    let csp = headers[header::CONTENT_SECURITY_POLICY].to_str().unwrap();
    let nonce = csp
        .split("'nonce-")
        .nth(1)
        .unwrap()
        .split('\'')
        .next()
        .unwrap();
    assert!(body.contains(&format!("<script nonce=\"{nonce}\">")));
    assert!(csp.contains("default-src 'none'") && !csp.contains("unsafe-inline"));
    assert_eq!(headers["cross-origin-opener-policy"], "unsafe-none");
    assert_eq!(headers[header::REFERRER_POLICY], "no-referrer");
    assert!(
        headers[header::SET_COOKIE]
            .to_str()
            .unwrap()
            .contains("Max-Age=0"),
        "used once"
    );
    let exchanges = &setup.stand_in.lock().unwrap().exchanges;
    assert_eq!(exchanges.len(), 1);
    assert_eq!(exchanges[0]["grant_type"], "authorization_code");
}

#[tokio::test]
async fn a_wrong_or_missing_state_never_reaches_github() {
    let setup = setup(OriginSecret::Off).await;
    let (state, cookie) = start(&setup).await;
    let (other_state, _) = start(&setup).await;
    for (uri, cookie) in [
        (
            format!("/oauth/callback?code={GOOD_CODE}&state={other_state}"),
            Some(cookie.as_str()),
        ),
        (
            format!("/oauth/callback?code={GOOD_CODE}&state={state}"),
            None,
        ),
        (
            format!("/oauth/callback?code={GOOD_CODE}"),
            Some(cookie.as_str()),
        ),
    ] {
        let (status, _, body) = get(&setup.app, &uri, cookie).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{uri}");
        assert!(
            !body.contains(TOKEN) && body.contains("authorization:github:error:"),
            "{uri}"
        );
    }
    assert!(
        setup.stand_in.lock().unwrap().exchanges.is_empty(),
        "no exchange was tried"
    );
}

#[tokio::test]
async fn githubs_refusals_are_told_in_dutch() {
    let setup = setup(OriginSecret::Off).await;
    let (state, cookie) = start(&setup).await;
    let (status, _, body) = get(
        &setup.app,
        &format!("/oauth/callback?code=stale-code&state={state}"),
        Some(&cookie),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_GATEWAY);
    assert!(body.contains("GitHub gaf geen toegang") && !body.contains(TOKEN));
    let (status, _, body) = get(
        &setup.app,
        &format!("/oauth/callback?error=access_denied&state={state}"),
        Some(&cookie),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(body.contains("geen toestemming gegeven"), "{body}");
}

#[tokio::test]
async fn only_cloudfront_reaches_the_function_when_the_origin_secret_is_on() {
    let setup = setup(OriginSecret::Fixed("cdn-secret".into())).await;
    let (status, _, body) = get(
        &setup.app,
        "/oauth/auth?provider=github&scope=public_repo",
        None,
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert!(body.contains("eigen adres"));
    let response = setup
        .app
        .clone()
        .oneshot(
            Request::get("/oauth/auth?provider=github&scope=public_repo")
                .header("x-origin-verify", "cdn-secret")
                .body(Body::empty())
                .unwrap(),
        )
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::FOUND);
}
