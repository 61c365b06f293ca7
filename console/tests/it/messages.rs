//! Messages to a meeting's registrants: the form's rules in words, the preview, sending (one mark per
//! recipient, bounced addresses left out and counted), once per group per hour, the progress page, the
//! audit log, and who may do it. The mailer's side (each mark one e-mail, once) is tested in the mailer.

use axum::http::StatusCode;
use opp_store::messages::MESSAGE_DUE;

use crate::common::*;

fn form(step: &str, group: &str, subject: &str, text: &str, csrf: &str) -> String {
    let enc = |s: &str| {
        s.bytes()
            .map(|b| match b {
                b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' => {
                    (b as char).to_string()
                }
                b' ' => "+".into(),
                _ => format!("%{b:02X}"),
            })
            .collect::<String>()
    };
    format!(
        "csrf={csrf}&stap={step}&groep={group}&onderwerp={}&tekst={}",
        enc(subject),
        enc(text)
    )
}

async fn manager_with_token(stack: &Stack) -> (String, String) {
    let manager = sign_in(&stack.app, MANAGER).await;
    let (_, _, page) = get(
        &stack.app,
        "/bijeenkomsten/zwolle/berichten",
        Some(&manager),
    )
    .await;
    (manager, csrf_of(&page))
}

#[tokio::test]
async fn a_message_is_previewed_then_marks_each_seat_once_and_shows_its_progress() {
    let stack = stack(4, 3).await;
    stack
        .store
        .mark_email_status("deelnemer2@example.nl", "bounced")
        .await
        .unwrap();
    let (manager, csrf) = manager_with_token(&stack).await;
    let path = "/bijeenkomsten/zwolle/berichten";
    let text = "We zitten in zaal 2.\nDe lift is naast de ingang.\n\nTot dinsdag!";

    let (status, headers, page) = post(
        &stack.app,
        path,
        Some(&manager),
        Some(ORIGIN),
        &form("voorbeeld", "plek", "De zaal is veranderd", text, &csrf),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{page}");
    assert!(
        page.contains("Voorbeeld")
            && page.contains("<strong>Onderwerp:</strong> De zaal is veranderd")
            && page.contains("Verstuur naar 2 personen")
            && page.contains("1 persoon krijgt het niet"),
        "{page}"
    );
    // The mail itself, as the mailer renders it (theme/emails/message.html in base.html), in a sandboxed
    // frame: the organiser's paragraphs, the meeting, the personal link's button, the greeting and footer.
    let mail = srcdoc(&page);
    for part in [
        "<!DOCTYPE html>",
        ">De zaal is veranderd</h1>",
        "<p>We zitten in zaal 2.<br>De lift is naast de ingang.</p>",
        "<p>Tot dinsdag!</p>",
        "Je krijgt dit bericht van de organisatie",
        "Bekijk je aanmelding",
        "Met vriendelijke groet",
        "/privacyverklaring/",
    ] {
        assert!(mail.contains(part), "{part} in {mail}");
    }
    assert!(page.contains("<iframe class=\"mail-preview__frame\" title=\"De e-mail zoals die aankomt\" sandbox srcdoc="));
    let text_part = page
        .split("<pre>")
        .nth(1)
        .and_then(|t| t.split("</pre>").next())
        .unwrap();
    assert!(
        text_part.contains("We zitten in zaal 2.\nDe lift is naast de ingang.")
            && text_part.contains("Tot dinsdag!"),
        "the plain-text part too: {text_part}"
    );
    // Inline styles for the mail's frame on this page only; scripts stay 'self'.
    let csp = headers["content-security-policy"].to_str().unwrap();
    assert!(
        csp.contains("style-src 'self' 'unsafe-inline'") && csp.contains("script-src 'self';"),
        "{csp}"
    );
    let (_, form_headers, _) = get(&stack.app, path, Some(&manager)).await;
    assert!(
        !form_headers["content-security-policy"]
            .to_str()
            .unwrap()
            .contains("unsafe-inline")
    );
    // A preview stores and sends nothing.
    assert!(stack.store.messages_of(MEETING).await.unwrap().is_empty());

    let (status, headers, _) = post(
        &stack.app,
        path,
        Some(&manager),
        Some(ORIGIN),
        &form("versturen", "plek", "De zaal is veranderd", text, &csrf),
    )
    .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let progress = location(&headers);
    assert!(
        progress.starts_with("/bijeenkomsten/zwolle/berichten/"),
        "{progress}"
    );
    let id = progress.rsplit('/').next().unwrap().to_string();

    let marked: Vec<_> = stack
        .store
        .registrations(MEETING, &mut |_| {})
        .await
        .unwrap()
        .into_iter()
        .filter(|r| r.status == opp_model::RegistrationStatus::Confirmed)
        .collect();
    assert_eq!(marked.len(), 3);
    let message = stack.store.message(MEETING, &id).await.unwrap().unwrap();
    assert_eq!((message.recipients, message.skipped_bounced), (2, 1));
    assert_eq!(message.body, text);
    assert_eq!(message.by, "Bea Beheer");
    assert_eq!(
        marked_with(&stack, &id).await,
        2,
        "each seat but the bounced one"
    );

    let (status, _, page) = get(&stack.app, &progress, Some(&manager)).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        page.contains("De zaal is veranderd")
            && page.contains("Nog bezig</th><td>2")
            && page.contains("e-mail kwam eerder niet aan</th><td>1"),
        "{page}"
    );
    let (_, _, list) = get(&stack.app, path, Some(&manager)).await;
    assert!(list.contains("0 van 2"), "{list}");

    // The same group again within the hour: refused in words; another group is fine.
    let (status, _, page) = post(
        &stack.app,
        path,
        Some(&manager),
        Some(ORIGIN),
        &form("versturen", "plek", "Nog iets", "Nog iets.", &csrf),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        page.contains("in het afgelopen uur al een bericht"),
        "{page}"
    );
    let (status, _, _) = post(
        &stack.app,
        path,
        Some(&manager),
        Some(ORIGIN),
        &form(
            "versturen",
            "wachtlijst",
            "Nog geen plek",
            "Er komt misschien een plek vrij.",
            &csrf,
        ),
    )
    .await;
    assert_eq!(status, StatusCode::SEE_OTHER);

    let (_, _, log) = get(&stack.app, "/logboek", Some(&manager)).await;
    assert!(log.contains("bericht gestuurd"), "{log}");
}

/// Registrations that carry the mark of message `id`.
async fn marked_with(stack: &Stack, id: &str) -> usize {
    let output = stack
        .store
        .client()
        .query()
        .table_name(stack.store.table())
        .key_condition_expression("PK = :pk")
        .filter_expression("#due = :id")
        .expression_attribute_names("#due", MESSAGE_DUE)
        .expression_attribute_values(
            ":pk",
            aws_sdk_dynamodb::types::AttributeValue::S(format!("MEETING#{MEETING}")),
        )
        .expression_attribute_values(":id", aws_sdk_dynamodb::types::AttributeValue::S(id.into()))
        .send()
        .await
        .unwrap();
    output.items().len()
}

#[tokio::test]
async fn the_form_says_what_to_fix_and_who_may_send() {
    let stack = stack(2, 2).await;
    let (manager, csrf) = manager_with_token(&stack).await;
    let path = "/bijeenkomsten/zwolle/berichten";
    let (status, _, page) = post(
        &stack.app,
        path,
        Some(&manager),
        Some(ORIGIN),
        &form("voorbeeld", "", "", "", &csrf),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        page.contains("Kies naar wie het bericht gaat")
            && page.contains("Vul een onderwerp in")
            && page.contains("Schrijf het bericht")
            && page.contains("href=\"#groep\""),
        "{page}"
    );
    // Before the meeting has begun nobody can have been checked in.
    let (status, _, page) = post(
        &stack.app,
        path,
        Some(&manager),
        Some(ORIGIN),
        &form(
            "voorbeeld",
            "binnen",
            "Bedankt",
            "Bedankt voor het komen.",
            &csrf,
        ),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        page.contains("pas sturen als de bijeenkomst begonnen is"),
        "{page}"
    );

    // The door may not send messages; nobody without the form token may.
    let door = sign_in(&stack.app, DOOR).await;
    let (status, _, _) = get(&stack.app, path, Some(&door)).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _, _) = post(
        &stack.app,
        path,
        Some(&manager),
        Some(ORIGIN),
        &form("versturen", "plek", "Hallo", "Hallo.", "fout"),
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert!(stack.store.messages_of(MEETING).await.unwrap().is_empty());
}

/// The `srcdoc` of the preview's frame, unescaped: the mail's HTML.
fn srcdoc(page: &str) -> String {
    let start = page.find("srcdoc=\"").expect("a frame with the mail") + "srcdoc=\"".len();
    let end = start + page[start..].find('"').unwrap();
    page[start..end]
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&#x2F;", "/")
        .replace("&amp;", "&")
}
