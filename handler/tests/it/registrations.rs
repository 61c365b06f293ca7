//! The registration function end to end: API Gateway events through the router into a real
//! DynamoDB-compatible store (dynoxide on loopback).

use crate::common::*;

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
    assert!(
        reply.body.contains(
            r#"<p class="hint" id="email-hint">We gebruiken je e-mailadres alleen voor deze bijeenkomst.</p>"#
        ) && reply.body.contains(r#"id="field-needs""#),
        "the shared fields, with the form's own hint"
    );
    assert_eq!(count_statuses(&s.store, M).await, (0, 0, 0, 0));
}

/// The good form of these tests with one field set to `value` (percent-encoded already), or added.
fn form_with(field: &str, value: &str) -> String {
    let mut pairs: Vec<(String, String)> = form(M, "a%40b.nl")
        .split('&')
        .map(|pair| {
            let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
            (key.to_string(), value.to_string())
        })
        .collect();
    match pairs.iter_mut().find(|(key, _)| key == field) {
        Some(pair) => pair.1 = value.to_string(),
        None => pairs.push((field.to_string(), value.to_string())),
    }
    let pairs: Vec<String> = pairs.iter().map(|(k, v)| format!("{k}={v}")).collect();
    pairs.join("&")
}

/// A good JSON registration with one field set to `value`.
fn json_with(field: &str, value: serde_json::Value) -> String {
    let mut body = serde_json::json!({
        "meeting": M, "name": "Bo", "email": "bo@example.nl", "role": "ouder", "privacy": true,
    });
    body[field] = value;
    body.to_string()
}

/// Every item in the table, of any meeting or type.
async fn all_items(store: &opp_store::Store) -> usize {
    scan_all(store).await.len()
}

/// One request of the catalogue below.
struct Case {
    what: &'static str,
    method: &'static str,
    path: String,
    headers: Vec<(&'static str, String)>,
    body: String,
    status: u16,
}

fn post(what: &'static str, headers: &[(&'static str, &str)], body: String, status: u16) -> Case {
    Case {
        what,
        method: "POST",
        path: "/api/registrations".into(),
        headers: headers.iter().map(|(k, v)| (*k, v.to_string())).collect(),
        body,
        status,
    }
}

fn post_json_case(what: &'static str, body: impl Into<String>, status: u16) -> Case {
    post(
        what,
        &[
            ("content-type", "application/json"),
            ("accept", "application/json"),
        ],
        body.into(),
        status,
    )
}

fn call(what: &'static str, method: &'static str, path: impl Into<String>, status: u16) -> Case {
    Case {
        what,
        method,
        path: path.into(),
        headers: Vec::new(),
        body: String::new(),
        status,
    }
}

#[tokio::test]
async fn bad_requests_get_a_4xx_and_write_nothing() {
    let s = stack(&[meeting(M, 5)]).await;
    // One good registration first (a Referer from the site is enough), so that there is a real link to
    // get wrong by one character.
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
    let page = referer_ok.location.unwrap();
    let token = page.rsplit('/').next().unwrap().to_string();
    assert_eq!(token.len(), 43);
    let last = if token.ends_with('A') { "B" } else { "A" };
    let one_off = format!("/api/registrations/{}{last}", &token[..42]);
    let bad_char = format!("/api/registrations/{}.", &token[..42]);
    let before = (count_statuses(&s.store, M).await, all_items(&s.store).await);
    assert_eq!(before.0, (1, 0, 0, 1));

    let form_type = |value: &'static str| [("content-type", value)];
    let over_limit = "x".repeat(17 * 1024);
    // A form of exactly the limit is read (and refused for its long `needs`); one byte more is not.
    let at_limit = {
        let base = form_with("needs", "");
        form_with("needs", &"x".repeat(16 * 1024 - base.len()))
    };
    assert_eq!(at_limit.len(), 16 * 1024);
    let many_fields = "a=1&".repeat(4000);
    let many_json_fields = format!(
        "{{{}\"name\":\"Bo\"}}",
        (0..1500)
            .map(|i| format!("\"f{i}\":1,"))
            .collect::<String>()
    );
    let deep_json = format!("{{\"name\":{}{}}}", "[".repeat(300), "]".repeat(300));

    let cases: Vec<Case> = vec![
        post(
            "text/plain",
            &form_type("text/plain"),
            form(M, "a%40b.nl"),
            415,
        ),
        post("no content type", &form_type(""), form(M, "a%40b.nl"), 415),
        post(
            "multipart",
            &form_type("multipart/form-data; boundary=x"),
            "--x\r\nContent-Disposition: form-data; name=\"name\"\r\n\r\nBo\r\n--x--\r\n".into(),
            415,
        ),
        post(
            "latin1 form",
            &form_type("application/x-www-form-urlencoded; charset=latin1"),
            form(M, "a%40b.nl"),
            415,
        ),
        post(
            "UTF-16 JSON",
            &[("content-type", "application/json; charset=utf-16")],
            json_with("name", "Bo".into()),
            415,
        ),
        post(
            "text/json",
            &form_type("text/json"),
            json_with("name", "Bo".into()),
            415,
        ),
        post(
            "two media types",
            &form_type("application/json, text/html"),
            json_with("name", "Bo".into()),
            415,
        ),
        post(
            "a longer media type",
            &form_type("application/x-www-form-urlencodedx"),
            form(M, "a%40b.nl"),
            415,
        ),
        // Media types are case-insensitive and empty parameters harmless: these reach the JSON parser.
        post(
            "APPLICATION/JSON",
            &[("content-type", "APPLICATION/JSON")],
            r#"{"name": 5}"#.into(),
            400,
        ),
        post(
            "application/json;;",
            &[("content-type", "application/json;;")],
            form(M, "a%40b.nl"),
            400,
        ),
        post(
            "the same field twice",
            &[],
            format!("{}&name=Twee", form(M, "a%40b.nl")),
            400,
        ),
        post(
            "meeting twice",
            &[],
            format!("{}&meeting={M}", form(M, "a%40b.nl")),
            400,
        ),
        post(
            "a repeat spelled with a percent",
            &[],
            format!("{}&em%61il=b%40b.nl", form(M, "a%40b.nl")),
            400,
        ),
        post_json_case(
            "a JSON field twice",
            format!(
                r#"{{"meeting":"{M}","name":"Bo","name":"Cas","email":"bo@example.nl","role":"ouder","privacy":true}}"#
            ),
            400,
        ),
        post_json_case(
            "privacy twice in JSON",
            format!(
                r#"{{"meeting":"{M}","name":"Bo","email":"bo@example.nl","role":"ouder","privacy":false,"privacy":true}}"#
            ),
            400,
        ),
        post(
            "over 16 KiB",
            &[],
            format!("{}&needs={over_limit}", form(M, "a%40b.nl")),
            413,
        ),
        post("16 KiB and one byte", &[], format!("{at_limit}x"), 413),
        post("exactly 16 KiB", &[], at_limit.clone(), 422),
        post(
            "chunked, over the limit",
            &[("transfer-encoding", "chunked")],
            format!("{}&needs={over_limit}", form(M, "a%40b.nl")),
            413,
        ),
        post(
            "a Content-Length that lies",
            &[("content-length", "10")],
            format!("{}&needs={over_limit}", form(M, "a%40b.nl")),
            413,
        ),
        post_json_case(
            "JSON over the limit",
            json_with("needs", over_limit.clone().into()),
            413,
        ),
        post("invalid UTF-8", &[], "name=%FF%FE".into(), 400),
        post("overlong slash", &[], form_with("name", "Anna%C0%AF"), 400),
        post(
            "overlong three bytes",
            &[],
            form_with("name", "%E0%80%AF"),
            400,
        ),
        post(
            "a surrogate in UTF-8",
            &[],
            form_with("organisation", "%ED%A0%80"),
            400,
        ),
        post(
            "bad bytes in an unknown key",
            &[],
            format!("{}&x%FF=1", form(M, "a%40b.nl")),
            400,
        ),
        post(
            "a real U+FFFD and a bad byte",
            &[],
            format!("{}&needs=%FF", form_with("name", "%EF%BF%BD")),
            400,
        ),
        post_json_case(
            "a lone leading surrogate",
            json_with("name", "x".into()).replace("\"x\"", r#""\ud800""#),
            400,
        ),
        post_json_case(
            "a lone trailing surrogate",
            json_with("name", "x".into()).replace("\"x\"", r#""a\udc00b""#),
            400,
        ),
        post_json_case("a surrogate in a key", r#"{"\ud800":1,"name":"Bo"}"#, 400),
        post_json_case("a number for a name", r#"{"name": 5}"#, 400),
        post_json_case(
            "an array for a name",
            json_with("name", serde_json::json!(["Bo"])),
            400,
        ),
        post_json_case("a number for privacy", json_with("privacy", 1.into()), 400),
        post_json_case(
            "a huge number",
            json_with("name", "x".into()).replace("\"x\"", "1e999999"),
            400,
        ),
        post_json_case("unfinished JSON", "[1,2", 400),
        post_json_case("an array", "[1,2]", 400),
        post_json_case("a string", r#""Bo""#, 400),
        post_json_case("null", "null", 400),
        post_json_case("empty", "", 400),
        post_json_case(
            "a byte-order mark first",
            format!("\u{feff}{}", json_with("name", "Bo".into())),
            400,
        ),
        post_json_case(
            "trailing text",
            format!("{} x", json_with("name", "Bo".into())),
            400,
        ),
        post_json_case("nested too deep", deep_json, 400),
        post(
            "ESC and OSC in the name",
            &[],
            form_with("name", "Anna%1B%5D0%3Bx%07"),
            422,
        ),
        post(
            "a CSI in the needs",
            &[],
            form_with("needs", "%1B%5B2J%1B%5BH"),
            422,
        ),
        post(
            "a C1 control",
            &[],
            form_with("organisation", "OBS%C2%9B31m"),
            422,
        ),
        post("NUL in the name", &[], form_with("name", "An%00na"), 422),
        post("a raw NUL byte", &[], form_with("name", "An\u{0}na"), 422),
        post_json_case("NUL in JSON", json_with("name", "An\u{0}na".into()), 422),
        post(
            "right-to-left override",
            &[],
            form_with("name", "Anna%E2%80%AEsirpa"),
            422,
        ),
        post(
            "an isolate in the organisation",
            &[],
            form_with("organisation", "OBS%E2%81%A6x"),
            422,
        ),
        post(
            "a zero-width space",
            &[],
            form_with("name", "An%E2%80%8Bna"),
            422,
        ),
        post_json_case(
            "a BOM inside the needs",
            json_with("needs", "rolstoel\u{feff}".into()),
            422,
        ),
        post_json_case(
            "a bidi mark in JSON",
            json_with("name", "Bo\u{200f}".into()),
            422,
        ),
        post(
            "a backspace",
            &[],
            form_with("name", "Bob%08%08%08Eve"),
            422,
        ),
        post(
            "a non-ASCII local part",
            &[],
            form(M, "zo%C3%AB%40example.nl"),
            422,
        ),
        post(
            "a broken IDN domain",
            &[],
            form(M, "anna%40%CC%81x.nl"),
            422,
        ),
        post(
            "a long address",
            &[],
            form(M, &format!("{}%40example.nl", "a".repeat(300))),
            422,
        ),
        post("two @", &[], form(M, "a%40b%40c.nl"), 422),
        post(
            "a meeting path",
            &[],
            form("..%2F..%2Fetc", "a%40b.nl"),
            422,
        ),
        post(
            "a meeting in capitals",
            &[],
            form("2030-03-ZWOLLE", "a%40b.nl"),
            422,
        ),
        post_json_case(
            "an unknown meeting",
            json_with("meeting", "2031-01-nergens".into()),
            404,
        ),
        post("an unknown role", &[], form_with("role", "directeur"), 422),
        post("no consent", &[], form_with("privacy", "nee"), 422),
        post(
            "a name too long",
            &[],
            form_with("name", &"x".repeat(101)),
            422,
        ),
        post("4,000 unknown fields", &[], many_fields, 422),
        post("16,000 empty pairs", &[], "&".repeat(16_000), 422),
        post("8,000 nameless pairs", &[], "=&".repeat(8_000), 422),
        post_json_case("1,500 unknown JSON fields", many_json_fields, 422),
        post_json_case(
            "null for the name",
            json_with("name", serde_json::Value::Null),
            422,
        ),
        // Not from the site: 400 with the theme's explanation (403 would become CloudFront's 404 page).
        post(
            "another origin",
            &[("origin", "https://evil.example")],
            form(M, "a%40b.nl"),
            400,
        ),
        post(
            "another referer",
            &[("origin", ""), ("referer", "https://evil.example/x")],
            form(M, "a%40b.nl"),
            400,
        ),
        post(
            "a referer that only starts like the site",
            &[
                ("origin", ""),
                (
                    "referer",
                    "https://www.landelijkoppproject.nl.evil.example/",
                ),
            ],
            form(M, "a%40b.nl"),
            400,
        ),
        post(
            "neither origin nor referer",
            &[("origin", "")],
            form(M, "a%40b.nl"),
            400,
        ),
        post(
            "origin null",
            &[("origin", "null")],
            form(M, "a%40b.nl"),
            400,
        ),
        post(
            "a wrong origin secret",
            &[("x-origin-verify", "wrong")],
            form(M, "a%40b.nl"),
            403,
        ),
        post(
            "no origin secret",
            &[("x-origin-verify", "")],
            form(M, "a%40b.nl"),
            403,
        ),
        // Methods and paths.
        call("HEAD on the endpoint", "HEAD", "/api/registrations", 404),
        call("HEAD on a wrong link", "HEAD", one_off.clone(), 404),
        call(
            "OPTIONS on the endpoint",
            "OPTIONS",
            "/api/registrations",
            405,
        ),
        call("OPTIONS on a link", "OPTIONS", page.clone(), 405),
        call("PUT on the endpoint", "PUT", "/api/registrations", 405),
        call("DELETE on a link", "DELETE", page.clone(), 405),
        call(
            "PATCH on a cancel link",
            "PATCH",
            format!("{page}/cancel"),
            405,
        ),
        call("POST on the meetings", "POST", "/api/meetings", 405),
        call("POST on a personal page", "POST", page.clone(), 405),
        call(
            "an encoded slash",
            "GET",
            "/api/registrations/abc%2Fcancel",
            404,
        ),
        call(
            "an encoded slash, posted",
            "POST",
            "/api/registrations/abc%2Fcancel",
            405,
        ),
        call("a link one character off", "GET", one_off.clone(), 404),
        call(
            "cancelling one character off",
            "POST",
            format!("{one_off}/cancel"),
            404,
        ),
        call("a link with a dot", "GET", bad_char.clone(), 404),
        call(
            "cancelling with a dot",
            "POST",
            format!("{bad_char}/cancel"),
            404,
        ),
        call(
            "a link one character too long",
            "GET",
            format!("{page}A"),
            404,
        ),
        call("an undecodable link", "GET", "/api/registrations/%FF", 404),
        call(
            "cancelling an undecodable link",
            "POST",
            "/api/registrations/%C0%AF/cancel",
            404,
        ),
        call("a trailing slash", "POST", "/api/registrations/", 404),
        // Resolved to the endpoint itself (as browsers and CloudFront do): an empty form.
        call(
            "dot segments",
            "POST",
            "/api/registrations/../registrations",
            422,
        ),
        call("no such path", "GET", "/api/nothing", 404),
    ];
    let total = cases.len();
    for case in cases {
        let headers: Vec<(&str, &str)> =
            case.headers.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let reply = send(&s.app, event(case.method, &case.path, &headers, &case.body)).await;
        assert_eq!(
            reply.status,
            case.status,
            "{}: {headers:?} {}",
            case.what,
            &reply.body[..reply.body.len().min(300)]
        );
        if reply.status == 405 {
            assert!(
                reply.body.contains("Dit kan niet op dit adres"),
                "{}: a Dutch page, not axum's empty answer: {}",
                case.what,
                reply.body
            );
        }
        if reply.body.starts_with('{') {
            let answer = parse(&reply.body);
            for error in answer["errors"].as_array().into_iter().flatten() {
                let message = error["message"].as_str().unwrap_or_default();
                assert!(!message.is_empty(), "{}: {}", case.what, reply.body);
            }
        }
        assert_eq!(
            (count_statuses(&s.store, M).await, all_items(&s.store).await),
            before,
            "{}: nothing was written",
            case.what
        );
    }
    assert!(total >= 60, "{total} cases");

    // What looks odd but is fine: each of these is stored, once.
    let json_type = |content_type: &'static str| {
        [
            ("content-type", content_type),
            ("accept", "application/json"),
        ]
    };
    let accepted: Vec<Case> = vec![
        post(
            "an emoji name",
            &[],
            form_with("name", "Anna+%F0%9F%8C%B7").replace("a%40b.nl", "e1%40b.nl"),
            303,
        ),
        post(
            "only an emoji",
            &json_type("application/json"),
            json_with("name", "😀".into()).replace("bo@", "e2@"),
            201,
        ),
        post(
            "APPLICATION/JSON",
            &json_type("APPLICATION/JSON"),
            json_with("name", "Bo".into()).replace("bo@", "e3@"),
            201,
        ),
        post(
            "application/json;;",
            &json_type("application/json;;"),
            json_with("name", "Bo".into()).replace("bo@", "e4@"),
            201,
        ),
        post(
            "charset=UTF-8",
            &form_type("application/x-www-form-urlencoded; charset=UTF-8"),
            form(M, "e5%40b.nl"),
            303,
        ),
        post_json_case(
            "an IDN domain",
            json_with("email", "e6@bücher.example".into()),
            201,
        ),
        post(
            "lines in the needs",
            &[],
            form_with("needs", "rolstoel%0D%0Aen+een+tolk").replace("a%40b.nl", "e7%40b.nl"),
            303,
        ),
    ];
    let mut stored = before.1;
    for case in accepted {
        let headers: Vec<(&str, &str)> =
            case.headers.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let reply = send(&s.app, event(case.method, &case.path, &headers, &case.body)).await;
        assert_eq!(reply.status, case.status, "{}: {}", case.what, reply.body);
        stored += 2;
        assert_eq!(
            all_items(&s.store).await,
            stored,
            "{}: a registration and its link",
            case.what
        );
    }
    let registrations = s.store.registrations(M, &mut |_| {}).await.unwrap();
    let find = |email: &str| registrations.iter().find(|r| r.email == email).unwrap();
    assert_eq!(find("e1@b.nl").name, "Anna 🌷");
    assert_eq!(
        find("e6@xn--bcher-kva.example").name,
        "Bo",
        "stored in punycode"
    );
    assert_eq!(
        find("e7@b.nl").needs.as_deref(),
        Some("rolstoel\nen een tolk")
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
    let (mut confirmed, mut waitlisted, mut refused, mut unavailable) = (0u32, 0u32, 0u32, 0u32);
    // 202 "unknown": a write's answer was lost and the time ran out before the table could tell; the
    // person is told so (and gets an email if it landed). Such a registration may or may not be stored.
    let mut unknown = 0u32;
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
            // Out of time under a loaded machine (the budget is 7 s for 200 at once in a debug build):
            // an honest "not stored", checked below against the items.
            503 => unavailable += 1,
            202 if reply.body.contains("unknown") => unknown += 1,
            _ => panic!("{} {}", reply.status, reply.body),
        }
    }
    if unavailable == 0 && unknown == 0 {
        assert_eq!((confirmed, waitlisted, refused), (20, 100, 80));
    } else {
        eprintln!(
            "{unavailable} of 200 answered 503 (not stored), {unknown} 202 (outcome unknown)"
        );
        assert!(
            confirmed <= 20 && waitlisted <= 100,
            "{confirmed} {waitlisted}"
        );
        // How many run out of time depends on the machine's load; what was stored must still add up.
        assert!(
            confirmed > 0,
            "all {unavailable} of 200 ran out of time: nothing was tested"
        );
    }
    let waiting = places.len();
    places.sort();
    places.dedup();
    assert_eq!(
        places.len(),
        waiting,
        "every waiting person got a place of their own"
    );
    let m = s.store.meeting(M).await.unwrap().unwrap();
    // Every definite answer told the truth; an unknown one may have landed either way.
    assert!(
        m.confirmed >= confirmed
            && m.waitlisted >= waitlisted
            && (m.confirmed - confirmed) + (m.waitlisted - waitlisted) <= unknown
            && m.cancelled == 0,
        "answers {confirmed} confirmed, {waitlisted} waiting, {unknown} unknown; stored {} {} {}",
        m.confirmed,
        m.waitlisted,
        m.cancelled
    );
    assert!(m.confirmed <= 20 && m.waitlisted <= 100, "never oversold");
    // Tickets drawn by people who then got a seat or found the list full count as places left. Handing
    // a ticket back is best effort within the request's budget, so under time pressure (a CI run once had
    // 80 of 200 out of time) one ticket per request may be off either way: uncounted when both calls went
    // unanswered, or counted twice when the undo landed but its answer came too late and the ticket was
    // counted as left as well (`release_ticket`: that only makes later places "ongeveer").
    let accounted = m.waitlisted + m.waitlist_served + m.waitlist_left;
    if unavailable == 0 && unknown == 0 {
        assert_eq!(
            m.waitlist_seq, accounted,
            "every ticket is waiting, served or left"
        );
    } else {
        assert!(
            m.waitlist_seq.abs_diff(accounted) <= unavailable + unknown,
            "tickets {} against {accounted} waiting, served or left: only requests out of time ({unavailable} + {unknown}) may leave one off",
            m.waitlist_seq
        );
    }
    assert_eq!(
        count_statuses(&s.store, M).await,
        (
            m.confirmed,
            m.waitlisted,
            0,
            (m.confirmed + m.waitlisted) as usize
        ),
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
    assert_eq!(json["meetings"][0]["offer"], "seat");
    // The last seat taken: the next one waits.
    post_form(&s.app, &form(M, "c%40b.nl")).await;
    post_form(&s.app, &form(M, "d%40b.nl")).await;
    let offer = |body: &str| {
        let json: serde_json::Value = serde_json::from_str(body).unwrap();
        (
            json["meetings"][0]["places_left"].clone(),
            json["meetings"][0]["offer"].clone(),
        )
    };
    let reply = send(&s.app, event("GET", "/api/meetings", &[], "")).await;
    assert_eq!(offer(&reply.body), (0.into(), "waitlist".into()));
}

#[tokio::test]
async fn meetings_endpoint_offers_what_a_registration_would_get() {
    let mut small = meeting(M, 1);
    small.waitlist_capacity = 1;
    let mut closed = meeting("2030-01-closed", 10);
    closed.closes_at = now().as_second() - 1;
    let s = stack(&[small, closed]).await;
    let get = || async {
        let reply = send(&s.app, event("GET", "/api/meetings", &[], "")).await;
        assert_eq!(reply.status, 200);
        let json: serde_json::Value = serde_json::from_str(&reply.body).unwrap();
        json["meetings"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| {
                (
                    m["id"].as_str().unwrap().to_string(),
                    m["offer"].as_str().unwrap().to_string(),
                )
            })
            .collect::<Vec<_>>()
    };
    let offers = get().await;
    assert!(
        offers.contains(&("2030-01-closed".into(), "closed".into())),
        "{offers:?}"
    );
    assert!(offers.contains(&(M.into(), "seat".into())), "{offers:?}");
    post_form(&s.app, &form(M, "a%40b.nl")).await;
    assert!(get().await.contains(&(M.into(), "waitlist".into())));
    post_form(&s.app, &form(M, "b%40b.nl")).await;
    assert!(get().await.contains(&(M.into(), "full".into())));
}

#[tokio::test]
async fn browsers_ask_again_while_caches_keep_the_places_30_seconds() {
    let s = stack(&[meeting(M, 3)]).await;
    let response =
        tower::ServiceExt::oneshot(s.app.clone(), event("GET", "/api/meetings", &[], ""))
            .await
            .unwrap();
    assert_eq!(
        response.headers()["cache-control"],
        "public, s-maxage=30, max-age=0"
    );
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

/// The seat's check-in code on the personal page: an inline SVG (the page's CSP allows no `data:` image)
/// that a real decoder reads back as the stored code, with the short form beside it; a waiting place shows
/// none. Rasterised with rsvg-convert and read with zbarimg; CI installs both.
#[tokio::test]
async fn the_personal_page_shows_the_check_in_code_of_a_seat_only() {
    let s = stack(&[meeting(M, 1)]).await;
    let seat = post_form(&s.app, &form(M, "anna%40example.nl"))
        .await
        .location
        .unwrap();
    let waiting = post_form(&s.app, &form(M, "bram%40example.nl"))
        .await
        .location
        .unwrap();
    let code = s
        .store
        .registration_of(M, "anna@example.nl")
        .await
        .unwrap()
        .unwrap()
        .check_in_code
        .expect("a new registration has a code");
    let page = send(&s.app, event("GET", &seat, &[("content-type", "")], ""))
        .await
        .body;
    let short = opp_model::check_in_code::short_form(&code);
    assert!(
        page.contains(&short) && page.contains("Laat deze QR-code zien"),
        "{page}"
    );
    assert!(
        !page.contains(&code),
        "the whole code is only in the QR code, not as text"
    );
    let start = page.find("<svg").expect("an inline QR code");
    let end = page[start..].find("</svg>").unwrap() + start + "</svg>".len();
    let svg = &page[start..end];
    assert!(svg.contains("role=\"img\"") && svg.contains("aria-label="));
    assert_eq!(scan_svg(svg).as_deref(), Some(code.as_str()));

    let page = send(&s.app, event("GET", &waiting, &[("content-type", "")], ""))
        .await
        .body;
    assert!(page.contains("wachtlijst"));
    assert!(
        !page.contains("Laat deze QR-code zien") && !page.contains("<svg"),
        "a waiting place has no valid code: {page}"
    );
}

/// What a QR code in `svg` says, read as a phone would after rasterising.
fn scan_svg(svg: &str) -> Option<String> {
    let dir = tempfile::tempdir().unwrap();
    let (svg_path, png_path) = (dir.path().join("qr.svg"), dir.path().join("qr.png"));
    std::fs::write(&svg_path, svg).unwrap();
    let rasterised = std::process::Command::new("rsvg-convert")
        .args(["-w", "400", "-b", "white", "-o"])
        .arg(&png_path)
        .arg(&svg_path)
        .status()
        .expect("rsvg-convert (librsvg2-bin; scripts/setup qr)");
    assert!(rasterised.success());
    let read = std::process::Command::new("zbarimg")
        .args(["-q", "--raw"])
        .arg(&png_path)
        .output()
        .expect("zbarimg (zbar-tools; scripts/setup qr)");
    Some(String::from_utf8_lossy(&read.stdout).trim().to_string()).filter(|s| !s.is_empty())
}
