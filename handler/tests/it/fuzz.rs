//! Property tests over what a registration post goes through: the form and JSON parsers, the rules
//! (`registration::validate`), and the router in front of a real store (dynoxide on loopback).
//!
//! What must hold for every input: no panic; a post is accepted (201 for scripts, 303 for browsers; 200
//! for an address already registered) or refused with a 4xx, never a 5xx; every refusal says in Dutch
//! what to fix; and whatever is stored holds no control, bidi or zero-width character and is NFC.
//!
//! "In Dutch" is checked with two short word lists ([`is_dutch`]): a message must hold at least one Dutch
//! word that every message of the handler uses one of (de, het, een, je, niet, ...) and none of the
//! English words that an untranslated library error would bring (invalid, error, must, expected, ...).
//!
//! The number of cases is bounded so the file runs in seconds on CI: 256 per property of the functions,
//! 64 requests through the router. Inputs lean towards what breaks parsers: percent signs, `&` and `=`,
//! controls, bidi and zero-width characters, combining marks, emoji and invalid UTF-8.

use std::collections::BTreeMap;

use crate::common::*;
use opp_model::registration::{
    self, FIELDS, HONEYPOT_FIELD, ROLES, SECTORS, Submission, is_email, is_hidden_or_control,
    parse_form, parse_json, validate,
};
use proptest::collection::vec;
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};

const M: &str = "2030-03-zwolle";

fn config(cases: u32) -> Config {
    Config {
        cases,
        // A failing case is printed; nothing is written into the source tree.
        failure_persistence: None,
        ..Config::default()
    }
}

/// True for a message a Dutch reader gets: see the module's documentation.
fn is_dutch(message: &str) -> bool {
    const DUTCH: [&str; 12] = [
        "de", "het", "een", "je", "niet", "deze", "dit", "te", "geen", "kies", "vul", "stuur",
    ];
    const ENGLISH: [&str; 12] = [
        "invalid",
        "error",
        "must",
        "expected",
        "failed",
        "the",
        "please",
        "field",
        "missing",
        "unexpected",
        "cannot",
        "not",
    ];
    let lower = message.to_lowercase();
    let words: Vec<&str> = lower
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .collect();
    words.iter().any(|w| DUTCH.contains(w)) && !words.iter().any(|w| ENGLISH.contains(w))
}

#[test]
fn the_dutch_check_tells_the_languages_apart() {
    assert!(is_dutch("Vul je naam in."));
    assert!(is_dutch("Er is te veel tekst verstuurd."));
    assert!(!is_dutch("Invalid URL: Invalid UTF-8 in `token`"));
    assert!(!is_dutch("Failed to deserialize the JSON body"));
    assert!(!is_dutch(""));
}

/// Characters that break parsers or terminals, with plain letters in between.
fn tricky_char() -> impl Strategy<Value = char> {
    prop_oneof![
        6 => proptest::char::range('a', 'z'),
        1 => Just(' '),
        2 => proptest::sample::select(vec![
            '\0', '\u{7}', '\u{8}', '\t', '\n', '\r', '\u{b}', '\u{1b}', '\u{7f}', '\u{85}',
            '\u{9b}', '\u{200b}', '\u{200c}', '\u{200d}', '\u{200e}', '\u{202e}', '\u{2066}',
            '\u{2069}', '\u{2028}', '\u{2060}', '\u{feff}', '\u{fffd}', '\u{a0}', 'é', 'ë', 'e',
            '\u{301}', '\u{308}', 'ß', 'ü', '🌷', '😀', '@', '.', '-', '+', '&', '=', '%', '"',
            '\\', '<', '>', '/', '\'', '{', '}', '[', ']', ':',
        ]),
        1 => any::<char>(),
    ]
}

fn tricky_text(max: usize) -> impl Strategy<Value = String> {
    vec(tricky_char(), 0..max).prop_map(|chars| chars.into_iter().collect())
}

/// A value for one field: a good one, tricky text, or (for free text) a long one.
fn field_value(field: &'static str) -> BoxedStrategy<Option<String>> {
    let good: Vec<&'static str> = match field {
        "meeting" => vec![M, "2031-01-nergens"],
        "name" => vec!["Anna de Vries", "Zoë 🌷", "Zoe\u{308}"],
        "email" => vec!["anna@example.nl", "Bo@Bücher.example", "a@b"],
        "role" => ROLES.to_vec(),
        "sector" => SECTORS.to_vec(),
        "organisation" => vec!["OBS De Linde", ""],
        "needs" => vec!["Een rolstoelplek\r\nen een tolk", ""],
        "privacy" => vec!["ja", "on", "nee"],
        _ => vec![""],
    };
    let value = if field == HONEYPOT_FIELD {
        prop_oneof![9 => Just(String::new()), 1 => tricky_text(5)].boxed()
    } else {
        prop_oneof![
            6 => proptest::sample::select(good).prop_map(str::to_string),
            3 => tricky_text(30),
            1 => tricky_text(600),
        ]
        .boxed()
    };
    prop_oneof![1 => Just(None), 9 => value.prop_map(Some)].boxed()
}

/// Field values as a form or JSON would carry them.
fn field_values() -> impl Strategy<Value = BTreeMap<String, String>> {
    let fields: Vec<_> = FIELDS.iter().map(|f| field_value(f)).collect();
    fields.prop_map(|values| {
        FIELDS
            .iter()
            .zip(values)
            .filter_map(|(field, value)| Some((field.to_string(), value?)))
            .collect()
    })
}

/// `application/x-www-form-urlencoded` as a browser writes it.
fn form_encode(values: &BTreeMap<String, String>) -> String {
    let encode = |text: &str| {
        text.bytes()
            .map(|b| match b {
                b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'*' => {
                    (b as char).to_string()
                }
                b' ' => "+".to_string(),
                _ => format!("%{b:02X}"),
            })
            .collect::<String>()
    };
    let pairs: Vec<String> = values
        .iter()
        .map(|(k, v)| format!("{}={}", encode(k), encode(v)))
        .collect();
    pairs.join("&")
}

/// What must hold for anything `validate` lets through.
fn assert_clean(r: &registration::Registration) {
    let nfc = |text: &str| {
        icu_normalizer::ComposingNormalizerBorrowed::new_nfc()
            .normalize(text)
            .into_owned()
    };
    assert!(!r.name.is_empty() && r.name.chars().count() <= 100, "{r:?}");
    assert!(!r.name.chars().any(is_hidden_or_control), "{r:?}");
    assert_eq!(nfc(&r.name), r.name);
    assert!(r.email.is_ascii() && is_email(&r.email), "{r:?}");
    assert!(ROLES.contains(&r.role.as_str()), "{r:?}");
    assert!(r.sector.as_deref().is_none_or(|s| SECTORS.contains(&s)));
    if let Some(o) = &r.organisation {
        assert!(o.chars().count() <= 150 && !o.chars().any(is_hidden_or_control));
        assert_eq!(&nfc(o), o);
    }
    if let Some(n) = &r.needs {
        assert!(n.chars().count() <= 500, "{r:?}");
        assert!(
            !n.chars().any(|c| c != '\n' && is_hidden_or_control(c)),
            "{r:?}"
        );
        assert_eq!(&nfc(n), n);
    }
}

#[test]
fn validation_never_panics_and_explains_in_dutch() {
    TestRunner::new(config(256))
        .run(&field_values(), |values| {
            match validate(values.clone()) {
                Submission::Valid(r) => assert_clean(&r),
                Submission::Bot => {
                    prop_assert!(!values[HONEYPOT_FIELD].trim().is_empty());
                }
                Submission::Invalid { errors, .. } => {
                    prop_assert!(!errors.is_empty());
                    for error in errors {
                        prop_assert!(FIELDS.contains(&error.field.as_str()), "{error:?}");
                        prop_assert!(is_dutch(&error.message), "{error:?}");
                    }
                }
            }
            Ok(())
        })
        .unwrap();
}

#[test]
fn a_form_reads_back_what_a_browser_encoded() {
    TestRunner::new(config(256))
        .run(&field_values(), |values| {
            prop_assert_eq!(parse_form(form_encode(&values).as_bytes()), Ok(values));
            Ok(())
        })
        .unwrap();
}

#[test]
fn json_reads_back_what_a_script_sent() {
    TestRunner::new(config(256))
        .run(&field_values(), |values| {
            let body = serde_json::to_string(&values).unwrap();
            prop_assert_eq!(parse_json(body.as_bytes()), Ok(values));
            Ok(())
        })
        .unwrap();
}

/// Bytes that look like a form: pieces of percent-encoding, separators and some UTF-8, or any bytes.
fn form_like_bytes() -> impl Strategy<Value = Vec<u8>> {
    let piece = prop_oneof![
        proptest::sample::select(FIELDS.to_vec()).prop_map(|f| f.as_bytes().to_vec()),
        proptest::sample::select(vec![
            "=",
            "&",
            "+",
            "%",
            "%2",
            "%41",
            "%FF",
            "%C0%AF",
            "%ED%A0%80",
            "%EF%BF%BD",
            "%00",
            "%1B",
            "%E2%80%AE",
            "%F0%9F%8C%B7",
            "é",
            "\u{1b}",
            "\0",
            "==",
            "&&",
        ])
        .prop_map(|p| p.as_bytes().to_vec()),
        vec(any::<u8>(), 0..4),
    ];
    prop_oneof![
        3 => vec(piece, 0..40).prop_map(|pieces| pieces.concat()),
        1 => vec(any::<u8>(), 0..200),
    ]
}

#[test]
fn any_form_body_is_read_or_refused_in_dutch() {
    TestRunner::new(config(256))
        .run(&form_like_bytes(), |body| {
            match parse_form(&body) {
                Ok(values) => {
                    for key in values.keys() {
                        prop_assert!(FIELDS.contains(&key.as_str()));
                    }
                    if let Submission::Invalid { errors, .. } = validate(values) {
                        for error in errors {
                            prop_assert!(is_dutch(&error.message), "{error:?}");
                        }
                    }
                }
                Err(err) => prop_assert!(is_dutch(&err.message()), "{err:?}"),
            }
            Ok(())
        })
        .unwrap();
}

/// JSON that is nearly right: objects of known and unknown keys with values of every type, repeats
/// possible, sometimes cut short or with one character replaced.
fn json_like_text() -> impl Strategy<Value = String> {
    let key = prop_oneof![
        4 => proptest::sample::select(FIELDS.to_vec()).prop_map(str::to_string),
        1 => tricky_text(6),
    ];
    let leaf = prop_oneof![
        Just(serde_json::Value::Null),
        any::<bool>().prop_map(serde_json::Value::from),
        any::<i64>().prop_map(serde_json::Value::from),
        tricky_text(20).prop_map(serde_json::Value::from),
    ];
    let value = leaf.prop_recursive(3, 16, 4, |inner| {
        prop_oneof![
            vec(inner.clone(), 0..4).prop_map(serde_json::Value::from),
            vec(("[a-z]{1,3}", inner), 0..4)
                .prop_map(|pairs| serde_json::Value::Object(pairs.into_iter().collect())),
        ]
    });
    let object = vec((key, value), 0..10).prop_map(|pairs| {
        let members: Vec<String> = pairs
            .iter()
            .map(|(k, v)| format!("{}:{v}", serde_json::Value::from(k.as_str())))
            .collect();
        format!("{{{}}}", members.join(","))
    });
    (
        object,
        any::<proptest::sample::Index>(),
        0..4u8,
        tricky_char(),
    )
        .prop_map(|(text, at, mutation, c)| {
            let boundaries: Vec<usize> = text.char_indices().map(|(i, _)| i).collect();
            let at = boundaries[at.index(boundaries.len())];
            match mutation {
                0 => text[..at].to_string(),
                1 => format!("{}{c}{}", &text[..at], &text[at..]),
                _ => text,
            }
        })
}

#[test]
fn any_json_body_is_read_or_refused_in_dutch() {
    TestRunner::new(config(256))
        .run(&json_like_text(), |body| {
            match parse_json(body.as_bytes()) {
                Ok(values) => {
                    for key in values.keys() {
                        prop_assert!(FIELDS.contains(&key.as_str()));
                    }
                    if let Submission::Valid(r) = validate(values) {
                        assert_clean(&r);
                    }
                }
                Err(err) => prop_assert!(is_dutch(&err.message()), "{err:?}"),
            }
            Ok(())
        })
        .unwrap();
}

/// One request to the router: method, path, Content-Type, Accept and body.
#[derive(Debug, Clone)]
struct Post {
    method: &'static str,
    path: String,
    content_type: &'static str,
    accept: &'static str,
    body: String,
}

fn requests() -> impl Strategy<Value = Post> {
    let method = prop_oneof![
        12 => Just("POST"),
        1 => Just("GET"),
        1 => Just("HEAD"),
        1 => Just("OPTIONS"),
        1 => Just("PUT"),
    ];
    let path = prop_oneof![
        12 => Just("/api/registrations".to_string()),
        1 => "[A-Za-z0-9_%.-]{0,50}".prop_map(|t| format!("/api/registrations/{t}")),
        1 => "[A-Za-z0-9_%.-]{0,50}".prop_map(|t| format!("/api/registrations/{t}/cancel")),
        1 => Just("/api/meetings".to_string()),
    ];
    let content_type = proptest::sample::select(vec![
        "application/x-www-form-urlencoded",
        "application/x-www-form-urlencoded",
        "application/x-www-form-urlencoded; charset=UTF-8",
        "application/json",
        "application/json",
        "APPLICATION/JSON;;",
        "application/json; charset=latin1",
        "text/plain",
        "multipart/form-data; boundary=x",
        "",
    ]);
    let accept = proptest::sample::select(vec!["text/html", "application/json", ""]);
    let body = prop_oneof![
        3 => field_values().prop_map(|values| form_encode(&values)),
        3 => field_values().prop_map(|values| serde_json::to_string(&values).unwrap()),
        1 => json_like_text(),
        1 => tricky_text(100),
    ];
    (method, path, content_type, accept, body).prop_map(
        |(method, path, content_type, accept, body)| Post {
            method,
            path,
            content_type,
            accept,
            body,
        },
    )
}

#[test]
fn the_router_answers_every_request_with_a_2xx_3xx_or_a_dutch_4xx() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let s = runtime.block_on(stack(&[meeting(M, 10_000)]));
    TestRunner::new(config(64))
        .run(&requests(), |post| {
            let headers = [("content-type", post.content_type), ("accept", post.accept)];
            let reply = runtime.block_on(send(
                &s.app,
                event(post.method, &post.path, &headers, &post.body),
            ));
            prop_assert!(
                matches!(reply.status, 200 | 201 | 303 | 400..=499),
                "{post:?} -> {} {}",
                reply.status,
                reply.body
            );
            if (400..500).contains(&reply.status) && reply.body.starts_with('{') {
                let answer: serde_json::Value = serde_json::from_str(&reply.body).unwrap();
                // A link that leads nowhere answers `{"status":"not_found"}`; every other refusal
                // carries its messages.
                if answer["status"] != "not_found" {
                    let errors = answer["errors"].as_array();
                    prop_assert!(
                        errors.is_some_and(|e| !e.is_empty()),
                        "{post:?} -> {answer}"
                    );
                    for error in errors.into_iter().flatten() {
                        let message = error["message"].as_str().unwrap_or_default();
                        prop_assert!(is_dutch(message), "{post:?} -> {answer}");
                    }
                }
            } else if (400..500).contains(&reply.status) && post.method != "HEAD" {
                // A page in Dutch, or axum's empty 404 for a path the router does not have at all
                // (`/api/registrations//cancel`, or `..` resolved to `/api`).
                let no_route = reply.status == 404 && reply.body.is_empty();
                prop_assert!(
                    no_route || reply.body.contains("lang=\"nl\""),
                    "{post:?} -> {}",
                    reply.body
                );
            }
            Ok(())
        })
        .unwrap();
    // Whatever got through is clean.
    let stored = runtime
        .block_on(s.store.registrations(M, &mut |_| {}))
        .unwrap();
    for r in stored {
        assert!(!r.name.chars().any(is_hidden_or_control), "{:?}", r.name);
        assert!(r.email.is_ascii() && is_email(&r.email), "{:?}", r.email);
        for text in [&r.organisation, &r.needs].into_iter().flatten() {
            assert!(
                !text.chars().any(|c| c != '\n' && is_hidden_or_control(c)),
                "{text:?}"
            );
        }
    }
}

#[test]
fn a_method_the_path_does_not_answer_gets_a_dutch_405_that_names_the_allowed_ones() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(async {
        use tower::ServiceExt;
        let s = stack(&[]).await;
        // As `opp-site serve` (cargo dev) mounts it: merged into the site's router, which has a
        // fallback of its own (axum refuses to merge two routers that both have one).
        let site = axum::Router::new()
            .fallback(|| async { "the site" })
            .merge(s.app.clone());
        for app in [s.app.clone(), site] {
            let request = event(
                "OPTIONS",
                "/api/registrations",
                &[("accept", "application/json")],
                "",
            );
            let response = app.oneshot(request).await.unwrap();
            assert_eq!(response.status(), 405);
            let allow = response
                .headers()
                .get("allow")
                .map(|v| v.to_str().unwrap().to_string());
            assert_eq!(allow.as_deref(), Some("GET,HEAD,POST"));
            let body = axum::body::to_bytes(response.into_body(), usize::MAX)
                .await
                .unwrap();
            let answer: serde_json::Value = serde_json::from_slice(&body).unwrap();
            let message = answer["errors"][0]["message"].as_str().unwrap();
            assert!(is_dutch(message), "{message}");
        }
    });
}
