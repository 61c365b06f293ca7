//! The tests' stack: a store with meetings and people, the console's router in front of it, and the real
//! OpenID provider every sign-in goes through.
#![allow(dead_code)]

use std::process::{Child, Command, Stdio};
use std::sync::{Arc, OnceLock};

use axum::Router;
use axum::body::Body;
use axum::http::{Request, Response, StatusCode, header};
use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use tower::ServiceExt;

use opp_console::http::{AppState, Clock, Settings, router};
use opp_console::http_client::ProviderClient;
use opp_console::oidc::{OidcSettings, Provider};
use opp_console::pages::Pages;
use opp_console::roles::RoleClaim;
use opp_console::session::SessionLimits;
use opp_model::registration::Registration;
use opp_store::Store;
pub use opp_store::testkit::*;

pub const ORIGIN: &str = "https://beheer.example.nl";
pub const MEETING: &str = "zwolle";

/// The provider's users: a manager, a door keeper and someone without a role.
pub const MANAGER: &str = "bea";
pub const DOOR: &str = "dirk";
pub const NO_ROLE: &str = "gast";

struct ProviderProcess {
    issuer: String,
    _child: Child,
}

/// The one provider process of this test binary (started on first use; it ends when the tests do: its
/// shell stops it when our end of its standard input closes).
pub fn issuer() -> &'static str {
    static PROVIDER: OnceLock<ProviderProcess> = OnceLock::new();
    &PROVIDER.get_or_init(start_provider).issuer
}

fn start_provider() -> ProviderProcess {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap();
    let target = std::env::var("CARGO_TARGET_DIR").map_or_else(|_| root.join("target"), Into::into);
    let python = std::env::var("OPP_TEST_OIDC_PYTHON")
        .map_or_else(|_| target.join("oidc-venv/bin/python"), Into::into);
    assert!(
        python.exists(),
        "the local OpenID provider is not installed ({}): run `bash scripts/setup oidc`",
        python.display()
    );
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let users = [
        r#"{"sub":"bea","name":"Bea Beheer","email":"bea@ministerie.example","cognito:groups":["beheer","deur"]}"#,
        r#"{"sub":"dirk","name":"Dirk Deur","cognito:groups":["deur"]}"#,
        r#"{"sub":"gast","name":"Gast Zonder Rol","cognito:groups":[]}"#,
    ];
    let mut command = format!(
        "'{}' -W ignore -m oidc_provider_mock -p {port} --require-nonce true",
        python.display()
    );
    for user in users {
        command.push_str(&format!(" --user-claims '{user}'"));
    }
    let child = Command::new("sh")
        .arg("-c")
        .arg(format!(
            "{command} >/dev/null 2>&1 & pid=$!; cat >/dev/null; kill $pid"
        ))
        .stdin(Stdio::piped())
        .spawn()
        .expect("sh starts the provider");
    let issuer = format!("http://127.0.0.1:{port}");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            std::time::Instant::now() < deadline,
            "the OpenID provider did not start on {port}"
        );
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    ProviderProcess {
        issuer,
        _child: child,
    }
}

/// The tests' link key ring, so a test can form a registrant's link itself.
pub fn link_keys() -> opp_model::links::LinkKeys {
    opp_model::links::LinkKeys::first([21; 32])
}

pub struct Stack {
    pub store: Store,
    pub app: Router,
    pub state: AppState,
}

/// A store with the meeting and `people` registered (the first `capacity` get seats), the console on it.
pub async fn stack(people: usize, capacity: u32) -> Stack {
    let endpoint = start_dynoxide().await;
    stack_on(&endpoint, &endpoint, people, capacity).await
}

/// The same with the console's client on `console_endpoint` (the fault proxy), the set-up on `setup_endpoint`.
pub async fn stack_on(
    setup_endpoint: &str,
    console_endpoint: &str,
    people: usize,
    capacity: u32,
) -> Stack {
    let setup = Store::new(client(setup_endpoint), "registrations");
    setup.create_table_without_stream().await.unwrap();
    setup
        .put_meeting_details(
            &sample::meeting(MEETING)
                .capacity(capacity)
                .open_from(now())
                .build(),
        )
        .await
        .unwrap();
    for i in 0..people {
        let registration = Registration {
            meeting: MEETING.into(),
            name: format!("Deelnemer {i:03}"),
            email: format!("deelnemer{i}@example.nl"),
            role: "Ouder".into(),
            sector: None,
            organisation: Some(if i % 2 == 0 {
                "OBS De Brug".into()
            } else {
                "Stichting Ëlan".into()
            }),
            needs: None,
        };
        let hash = opp_model::token::hash(&opp_model::token::new_token().unwrap());
        setup.register(&registration, &hash, now()).await.unwrap();
    }
    let store = Store::new(client(console_endpoint), "registrations");
    let state = console_state(store.clone(), Arc::new(now));
    Stack {
        store: setup,
        app: router(state.clone()),
        state,
    }
}

pub fn console_state(store: Store, clock: Clock) -> AppState {
    console_state_with(store, clock, opp_store::origin_secret::OriginSecret::Off)
}

/// The console with CloudFront's origin header required (`Fixed`) or not (`Off`).
pub fn console_state_with(
    store: Store,
    clock: Clock,
    origin_secret: opp_store::origin_secret::OriginSecret,
) -> AppState {
    let provider = Provider::new(
        OidcSettings {
            issuer: issuer().to_string(),
            client_id: "opp-console-tests".into(),
            client_secret: Some("tests-secret".into()),
            redirect_url: format!("{ORIGIN}/aanmelden/klaar"),
            scopes: vec!["email".into(), "profile".into()],
            logout_url: None,
        },
        ProviderClient::new().unwrap(),
    )
    .unwrap();
    AppState::new(
        store,
        provider,
        Pages::embedded().unwrap(),
        Settings {
            origin: ORIGIN.into(),
            role_claim: RoleClaim::default(),
            limits: SessionLimits::default(),
            audit_days: 365,
            link_keys: opp_store::link_keys::LinkKeySource::fixed(link_keys()),
            origin_secret,
        },
    )
    .with_clock(clock)
}

/// One request to the console's router.
pub async fn call(
    app: &Router,
    request: Request<Body>,
) -> (StatusCode, axum::http::HeaderMap, String) {
    let response = app.clone().oneshot(request).await.unwrap();
    let status = response.status();
    let headers = response.headers().clone();
    let body = response.into_body().collect().await.unwrap().to_bytes();
    (status, headers, String::from_utf8_lossy(&body).into_owned())
}

pub async fn get(
    app: &Router,
    path: &str,
    cookie: Option<&str>,
) -> (StatusCode, axum::http::HeaderMap, String) {
    let mut request = Request::get(path);
    if let Some(cookie) = cookie {
        request = request.header(header::COOKIE, cookie);
    }
    call(app, request.body(Body::empty()).unwrap()).await
}

pub async fn post(
    app: &Router,
    path: &str,
    cookie: Option<&str>,
    origin: Option<&str>,
    form: &str,
) -> (StatusCode, axum::http::HeaderMap, String) {
    let mut request =
        Request::post(path).header(header::CONTENT_TYPE, "application/x-www-form-urlencoded");
    if let Some(cookie) = cookie {
        request = request.header(header::COOKIE, cookie);
    }
    if let Some(origin) = origin {
        request = request.header(header::ORIGIN, origin);
    }
    call(app, request.body(Body::from(form.to_string())).unwrap()).await
}

pub fn location(headers: &axum::http::HeaderMap) -> String {
    headers[header::LOCATION].to_str().unwrap().to_string()
}

/// `name=value` of each Set-Cookie with a value (cleared cookies left out).
pub fn cookies_set(headers: &axum::http::HeaderMap) -> Vec<String> {
    headers
        .get_all(header::SET_COOKIE)
        .iter()
        .map(|v| v.to_str().unwrap().split(';').next().unwrap().to_string())
        .filter(|pair| !pair.ends_with('='))
        .collect()
}

/// The provider's side, as a browser does it: GET its login form, then POST it with the user's `sub`.
/// Returns where the provider sends the browser back (the console's `/aanmelden/klaar?...`).
pub async fn log_in_at_provider(authorize_url: &str, sub: &str) -> String {
    let client: Client<_, Full<Bytes>> = Client::builder(TokioExecutor::new())
        .build(hyper_util::client::legacy::connect::HttpConnector::new());
    let form_page = client
        .request(
            Request::get(authorize_url)
                .body(Full::new(Bytes::new()))
                .unwrap(),
        )
        .await
        .unwrap();
    assert_eq!(form_page.status(), StatusCode::OK);
    let html = form_page.into_body().collect().await.unwrap().to_bytes();
    let html = String::from_utf8_lossy(&html);
    assert!(
        html.contains("name=\"sub\""),
        "the provider's login form: {html}"
    );
    let answer: Response<_> = client
        .request(
            Request::post(authorize_url)
                .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
                .body(Full::new(Bytes::from(format!("sub={sub}"))))
                .unwrap(),
        )
        .await
        .unwrap();
    assert_eq!(
        answer.status(),
        StatusCode::FOUND,
        "the provider redirects back"
    );
    let back = answer.headers()[header::LOCATION]
        .to_str()
        .unwrap()
        .to_string();
    back.strip_prefix(ORIGIN)
        .expect("back to the console's redirect URL")
        .to_string()
}

/// Signs in as `sub` through the provider; returns the session cookie (`opp-beheer=...` or
/// `__Host-opp-beheer=...`).
pub async fn sign_in(app: &Router, sub: &str) -> String {
    let (status, headers, _) = get(app, "/aanmelden?terug=/", None).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let browser = cookies_set(&headers).pop().expect("the sign-in cookie");
    let back = log_in_at_provider(&location(&headers), sub).await;
    let (status, headers, body) = get(app, &back, Some(&browser)).await;
    assert_eq!(status, StatusCode::SEE_OTHER, "{body}");
    cookies_set(&headers)
        .into_iter()
        .find(|c| c.starts_with("__Host-opp-beheer="))
        .expect("a session cookie")
}

/// The form token of a signed-in page.
pub fn csrf_of(html: &str) -> String {
    let start = html.find("name=\"csrf\" value=\"").expect("a form token") + 19;
    html[start..start + html[start..].find('"').unwrap()].to_string()
}
