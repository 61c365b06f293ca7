//! The local mailbox at `/_mail/` on the site's own port: the outbox's messages newest first, each shown
//! as HTML and as text, with its attachments to download. Read with mail-parser, as a mail client would.
//! The HTML part is shown in a sandboxed frame (no scripts, no requests of its own).

use std::path::PathBuf;

use axum::Router;
use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use mail_parser::{MessageParser, MimeHeaders};
use opp_render::escape_attr as esc;

#[derive(Clone)]
struct Outbox(PathBuf);

pub fn routes(outbox: PathBuf) -> Router {
    Router::new()
        .route("/_mail/", get(list))
        .route("/_mail/{name}", get(show))
        .route("/_mail/{name}/html", get(html_part))
        .route("/_mail/{name}/bijlage/{index}", get(attachment))
        .with_state(Outbox(outbox))
}

fn page(title: &str, body: &str) -> Html<String> {
    Html(format!(
        "<!DOCTYPE html>\n<html lang=\"nl\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>{}</title><style>body{{font-family:sans-serif;max-width:60rem;margin:1rem auto;padding:0 1rem;line-height:1.5}}\
         table{{border-collapse:collapse;width:100%}}th,td{{text-align:left;padding:.25rem .5rem;border-bottom:1px solid #ccc;vertical-align:top}}\
         pre{{white-space:pre-wrap;background:#f4f4f4;padding:1rem}}iframe{{width:100%;height:40rem;border:1px solid #ccc}}</style></head>\
         <body><main>{body}</main></body></html>",
        esc(title)
    ))
}

/// Message files, newest first (their names start with the time they were written).
fn message_names(outbox: &std::path::Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(outbox)
        .map(|entries| {
            entries
                .flatten()
                .filter_map(|e| e.file_name().into_string().ok())
                .filter(|n| n.ends_with(".eml") && !n.starts_with('.'))
                .collect()
        })
        .unwrap_or_default();
    names.sort();
    names.reverse();
    names
}

/// Only names the outbox itself made: no path can leave the folder.
fn message(outbox: &Outbox, name: &str) -> Option<Vec<u8>> {
    let safe = name.ends_with(".eml")
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.' || b == b'_');
    if !safe || name.starts_with('.') {
        return None;
    }
    std::fs::read(outbox.0.join(name)).ok()
}

fn not_found() -> Response {
    (
        StatusCode::NOT_FOUND,
        page(
            "Bericht niet gevonden",
            "<h1>Bericht niet gevonden</h1><p><a href=\"/_mail/\">Terug naar de berichten</a></p>",
        ),
    )
        .into_response()
}

/// When a message was sent, in Amsterdam time: `02-12-2026 09:08`.
fn local_time(date: &mail_parser::DateTime) -> String {
    jiff::Timestamp::from_second(date.to_timestamp())
        .map(|at| {
            at.to_zoned(opp_model::zone::amsterdam())
                .strftime("%d-%m-%Y %H:%M")
                .to_string()
        })
        .unwrap_or_else(|_| date.to_rfc3339())
}

fn recipient(parsed: &mail_parser::Message<'_>) -> String {
    parsed
        .to()
        .and_then(|to| to.first())
        .map(|addr| match (addr.name(), addr.address()) {
            (Some(name), Some(address)) => format!("{name} <{address}>"),
            (_, Some(address)) => address.to_string(),
            _ => String::new(),
        })
        .unwrap_or_default()
}

async fn list(State(outbox): State<Outbox>) -> Html<String> {
    let names = message_names(&outbox.0);
    let mut rows = String::new();
    for name in &names {
        let Some(raw) = message(&outbox, name) else {
            continue;
        };
        let Some(parsed) = MessageParser::default().parse(&raw) else {
            continue;
        };
        let date = parsed.date().map(local_time).unwrap_or_default();
        rows.push_str(&format!(
            "<tr><td>{}</td><td>{}</td><td><a href=\"/_mail/{}\">{}</a></td></tr>",
            esc(&date),
            esc(&recipient(&parsed)),
            esc(name),
            esc(parsed.subject().unwrap_or("(geen onderwerp)"))
        ));
    }
    let body = if rows.is_empty() {
        format!(
            "<h1>Berichten</h1><p>Nog geen berichten. Meld je aan op de site: de e-mail verschijnt hier. Map: {}</p>",
            esc(&outbox.0.display().to_string())
        )
    } else {
        format!(
            "<h1>Berichten</h1><p>{} berichten, nieuwste eerst. Ze staan ook als .eml-bestand in {}.</p>\
             <table><thead><tr><th scope=\"col\">Verstuurd</th><th scope=\"col\">Aan</th><th scope=\"col\">Onderwerp</th></tr></thead><tbody>{rows}</tbody></table>",
            names.len(),
            esc(&outbox.0.display().to_string())
        )
    };
    page("Berichten", &body)
}

async fn show(State(outbox): State<Outbox>, Path(name): Path<String>) -> Response {
    let Some(raw) = message(&outbox, &name) else {
        return not_found();
    };
    let Some(parsed) = MessageParser::default().parse(&raw) else {
        return not_found();
    };
    let subject = parsed.subject().unwrap_or("(geen onderwerp)").to_string();
    let text = parsed
        .body_text(0)
        .map(|t| t.into_owned())
        .unwrap_or_default();
    let mut attachments = String::new();
    for (index, part) in parsed.attachments().enumerate() {
        let file = part.attachment_name().unwrap_or("bijlage");
        attachments.push_str(&format!(
            "<li><a href=\"/_mail/{}/bijlage/{index}\" download=\"{}\">{}</a></li>",
            esc(&name),
            esc(file),
            esc(file)
        ));
    }
    let attachments = if attachments.is_empty() {
        String::new()
    } else {
        format!("<h2>Bijlagen</h2><ul>{attachments}</ul>")
    };
    let body = format!(
        "<p><a href=\"/_mail/\">Alle berichten</a></p><h1>{}</h1><p>Aan: {}</p>{attachments}\
         <h2>Als HTML</h2><iframe title=\"Het bericht als HTML\" sandbox src=\"/_mail/{}/html\"></iframe>\
         <h2>Als tekst</h2><pre>{}</pre>",
        esc(&subject),
        esc(&recipient(&parsed)),
        esc(&name),
        esc(&text)
    );
    page(&subject, &body).into_response()
}

async fn html_part(State(outbox): State<Outbox>, Path(name): Path<String>) -> Response {
    let Some(raw) = message(&outbox, &name) else {
        return not_found();
    };
    let Some(parsed) = MessageParser::default().parse(&raw) else {
        return not_found();
    };
    let mut html = parsed
        .body_html(0)
        .map(|h| h.into_owned())
        .unwrap_or_default();
    // Images inside the message (the check-in code's QR code) are shown from their part, as a mail client does.
    for (index, part) in parsed.attachments().enumerate() {
        if let Some(id) = part.content_id() {
            html = html.replace(
                &format!("cid:{id}"),
                &format!("/_mail/{}/bijlage/{index}", esc(&name)),
            );
        }
    }
    (
        [
            (header::CONTENT_TYPE, "text/html; charset=utf-8"),
            // The email may load nothing from elsewhere (no remote images): what a mail client shows by default.
            (
                header::CONTENT_SECURITY_POLICY,
                "default-src 'none'; style-src 'unsafe-inline'; img-src 'self'",
            ),
        ],
        html,
    )
        .into_response()
}

async fn attachment(
    State(outbox): State<Outbox>,
    Path((name, index)): Path<(String, usize)>,
) -> Response {
    let Some(raw) = message(&outbox, &name) else {
        return not_found();
    };
    let Some(parsed) = MessageParser::default().parse(&raw) else {
        return not_found();
    };
    let Some(part) = parsed.attachments().nth(index) else {
        return not_found();
    };
    let content_type = part
        .content_type()
        .map(|ct| format!("{}/{}", ct.ctype(), ct.subtype().unwrap_or("octet-stream")))
        .unwrap_or_else(|| "application/octet-stream".into());
    let file = part.attachment_name().unwrap_or("bijlage").replace('"', "");
    // A part the HTML shows (by `cid:`) is shown; the others are downloads.
    let disposition = if part.content_id().is_some() {
        "inline".to_string()
    } else {
        format!("attachment; filename=\"{file}\"")
    };
    (
        [
            (header::CONTENT_TYPE, content_type),
            (header::CONTENT_DISPOSITION, disposition),
        ],
        part.contents().to_vec(),
    )
        .into_response()
}
