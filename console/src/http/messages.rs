//! Messages to a meeting's registrants (role `beheer`): write one in plain text to everyone with a seat, the
//! waiting list, or (once the meeting has begun) those checked in at the door; preview it; send it. Sending
//! stores the message and marks each recipient's registration; the mailer sends each mark once from the
//! table's stream. Bounced addresses are left out and counted; the progress page shows sent, failed and why.
//! At most one message per group per hour. Every step is in the audit log.

use axum::Form;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use serde::Serialize;
use std::collections::BTreeMap;
use tera::Context;

use super::answer::{clock_time, message as message_page, page, see_other, store_down};
use super::lookup::{act_on_meeting, meeting_with_people, unknown_meeting};
use super::{AppState, Signed};
use crate::roles::Role;
use opp_model::records::MeetingRecord;
use opp_store::messages::{Group, Message};

/// The longest subject and text an organiser can send.
const SUBJECT_MAX: usize = 150;
const TEXT_MAX: usize = 5000;

#[derive(Serialize)]
struct GroupChoice {
    value: &'static str,
    label: &'static str,
    people: usize,
    available: bool,
}

#[derive(Serialize)]
struct Sent {
    id: String,
    subject: String,
    group: &'static str,
    by: String,
    at: String,
    recipients: u32,
    sent: u32,
    failed: u32,
}

fn group_label(group: Group) -> &'static str {
    match group {
        Group::Seats => "Iedereen met een plek",
        Group::Waitlist => "Iedereen op de wachtlijst",
        Group::CheckedIn => "Wie binnen was (bij de deur gemeld)",
    }
}

/// The group "binnen" only once the meeting has begun: before that nobody can have been checked in.
fn has_begun(meeting: &MeetingRecord, now: jiff::Timestamp) -> bool {
    let begins = meeting.starts_at.unwrap_or(meeting.over_at);
    now.as_second() >= begins
}

/// What the form holds, checked.
struct Draft {
    group: Group,
    subject: String,
    text: String,
}

fn read_draft(
    fields: &BTreeMap<String, String>,
    meeting: &MeetingRecord,
    now: jiff::Timestamp,
) -> Result<Draft, Vec<(&'static str, String)>> {
    let mut errors = Vec::new();
    let group = fields.get("groep").and_then(|g| Group::parse(g));
    match group {
        None => errors.push(("groep", "Kies naar wie het bericht gaat.".to_string())),
        Some(Group::CheckedIn) if !has_begun(meeting, now) => errors.push((
            "groep",
            "Naar wie binnen was, kunt u pas sturen als de bijeenkomst begonnen is.".to_string(),
        )),
        Some(_) => {}
    }
    let subject = fields
        .get("onderwerp")
        .map(|s| s.trim().to_string())
        .unwrap_or_default();
    if subject.is_empty() {
        errors.push((
            "onderwerp",
            "Vul een onderwerp in. Bijvoorbeeld: De zaal is veranderd.".to_string(),
        ));
    } else if subject.chars().count() > SUBJECT_MAX {
        errors.push((
            "onderwerp",
            format!("Het onderwerp is te lang. Gebruik hoogstens {SUBJECT_MAX} tekens."),
        ));
    } else if subject.contains(['\r', '\n']) {
        errors.push(("onderwerp", "Het onderwerp moet op één regel.".to_string()));
    }
    let text = fields
        .get("tekst")
        .map(|s| s.replace("\r\n", "\n").trim().to_string())
        .unwrap_or_default();
    if text.is_empty() {
        errors.push(("tekst", "Schrijf het bericht.".to_string()));
    } else if text.chars().count() > TEXT_MAX {
        errors.push((
            "tekst",
            format!("Het bericht is te lang. Gebruik hoogstens {TEXT_MAX} tekens."),
        ));
    }
    match (group, errors.is_empty()) {
        (Some(group), true) => Ok(Draft {
            group,
            subject,
            text,
        }),
        _ => Err(errors),
    }
}

fn meeting_json(meeting: &MeetingRecord) -> serde_json::Value {
    serde_json::json!({
        "id": meeting.id, "title": meeting.title, "date": meeting.date_label, "city": meeting.city,
    })
}

/// The messages page: what was sent, and the form for a new one.
pub async fn messages(
    State(state): State<AppState>,
    who: Signed,
    Path(meeting_id): Path<String>,
) -> Response {
    if let Err(response) = who.require(&state, Role::Manager) {
        return response;
    }
    form_page(&state, &who, &meeting_id, &BTreeMap::new(), Vec::new()).await
}

async fn form_page(
    state: &AppState,
    who: &Signed,
    meeting_id: &str,
    fields: &BTreeMap<String, String>,
    errors: Vec<(&'static str, String)>,
) -> Response {
    let (meeting, people) = match meeting_with_people(state, meeting_id).await {
        Ok(found) => found,
        Err(response) => return response,
    };
    let sent = match state.store.messages_of(&meeting.id).await {
        Ok(sent) => sent,
        Err(err) => {
            tracing::error!(error = %err.0, "messages not readable");
            return store_down(state);
        }
    };
    let now = (state.clock)();
    let groups: Vec<GroupChoice> = Group::ALL
        .into_iter()
        .map(|group| GroupChoice {
            value: group.as_str(),
            label: group_label(group),
            people: people.iter().filter(|r| group.includes(r)).count(),
            available: group != Group::CheckedIn || has_begun(&meeting, now),
        })
        .collect();
    let mut context = Context::new();
    context.insert("meeting", &meeting_json(&meeting));
    context.insert("groups", &groups);
    context.insert(
        "sent",
        &sent
            .iter()
            .map(|m| Sent {
                id: m.id.clone(),
                subject: m.subject.clone(),
                group: group_label(m.group),
                by: m.by.clone(),
                at: clock_time(&m.created_at),
                recipients: m.recipients,
                sent: m.sent,
                failed: m.failed,
            })
            .collect::<Vec<_>>(),
    );
    context.insert(
        "values",
        &serde_json::json!({
            "groep": fields.get("groep").cloned().unwrap_or_default(),
            "onderwerp": fields.get("onderwerp").cloned().unwrap_or_default(),
            "tekst": fields.get("tekst").cloned().unwrap_or_default(),
        }),
    );
    context.insert(
        "errors",
        &errors
            .iter()
            .map(|(field, text)| serde_json::json!({"field": field, "message": text}))
            .collect::<Vec<_>>(),
    );
    let mut response = page(state, Some(who), "messages.html", context);
    if !errors.is_empty() {
        *response.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
    }
    response
}

/// `stap=voorbeeld`: the preview; `stap=versturen`: send.
pub async fn compose(
    State(state): State<AppState>,
    who: Signed,
    Path(meeting_id): Path<String>,
    Form(fields): Form<BTreeMap<String, String>>,
) -> Response {
    let (meeting, people) =
        match act_on_meeting(&state, &who, &fields, &meeting_id, Role::Manager).await {
            Ok(found) => found,
            Err(response) => return response,
        };
    if fields.get("stap").map(String::as_str) == Some("wijzigen") {
        return form_page(&state, &who, &meeting_id, &fields, Vec::new()).await;
    }
    let now = (state.clock)();
    let draft = match read_draft(&fields, &meeting, now) {
        Ok(draft) => draft,
        Err(errors) => return form_page(&state, &who, &meeting_id, &fields, errors).await,
    };
    let recipients: Vec<_> = people.iter().filter(|r| draft.group.includes(r)).collect();
    let bounced = recipients
        .iter()
        .filter(|r| r.email_status.is_some())
        .count();
    if fields.get("stap").map(String::as_str) != Some("versturen") {
        let mut context = Context::new();
        context.insert("meeting", &meeting_json(&meeting));
        context.insert("group", draft.group.as_str());
        context.insert("group_label", group_label(draft.group));
        context.insert("subject", &draft.subject);
        context.insert("text", &draft.text);
        context.insert("recipients", &(recipients.len() - bounced));
        context.insert("bounced", &bounced);
        // The mail as the mailer renders it, to the first recipient (their name only: the links are examples).
        let name = recipients
            .first()
            .map(|r| r.name.clone())
            .unwrap_or_else(|| "Anna de Vries".into());
        let mail = match state
            .pages
            .mail
            .render(&name, &meeting, &draft.subject, &draft.text)
        {
            Ok(mail) => mail,
            Err(err) => {
                tracing::error!(error = %err, "the message preview could not be rendered");
                return form_page(
                    &state,
                    &who,
                    &meeting_id,
                    &fields,
                    vec![(
                        "tekst",
                        "Het voorbeeld kon niet worden gemaakt. Probeer het opnieuw; lukt het niet, meld het dan aan de beheerder van de website.".to_string(),
                    )],
                )
                .await;
            }
        };
        context.insert("mail_subject", &mail.subject);
        context.insert("mail_html", &mail.html);
        context.insert("mail_text", &mail.text);
        let mut response = page(&state, Some(&who), "message_preview.html", context);
        // The mail's HTML is styled inline, as mail is: this one page lets its frame have inline styles.
        response.extensions_mut().insert(super::InlineStyles);
        return response;
    }
    if recipients.len() == bounced {
        return form_page(
            &state,
            &who,
            &meeting_id,
            &fields,
            vec![(
                "groep",
                "In deze groep is niemand die een e-mail kan krijgen.".to_string(),
            )],
        )
        .await;
    }
    match state
        .store
        .take_message_slot(&meeting.id, draft.group, now, meeting.expires_at)
        .await
    {
        Ok(true) => {}
        Ok(false) => {
            return form_page(
                &state,
                &who,
                &meeting_id,
                &fields,
                vec![(
                    "groep",
                    "Deze groep kreeg in het afgelopen uur al een bericht. U kunt één bericht per uur naar dezelfde groep sturen. Probeer het later opnieuw.".to_string(),
                )],
            )
            .await;
        }
        Err(err) => {
            tracing::error!(error = %err.0, "message slot not taken");
            return store_down(&state);
        }
    }
    let Some(id) = Message::new_id(now) else {
        return store_down(&state);
    };
    if let Err(response) = state
        .audit(
            &who,
            "send-message",
            Some(&meeting.id),
            None,
            Some(draft.group.as_str()),
        )
        .await
    {
        return response;
    }
    let mut message = Message {
        id: id.clone(),
        meeting: meeting.id.clone(),
        group: draft.group,
        subject: draft.subject,
        body: draft.text,
        by: who.session.name.clone(),
        created_at: opp_store::arrival_time(now),
        recipients: (recipients.len() - bounced) as u32,
        skipped_bounced: bounced as u32,
        sent: 0,
        failed: 0,
        skipped_gone: 0,
        failures: Vec::new(),
    };
    // The message first, so the mailer finds its text for every mark that follows.
    if let Err(err) = state.store.put_message(&message, meeting.expires_at).await {
        tracing::error!(error = %err.0, "message not stored");
        return store_down(&state);
    }
    let mut marked = 0u32;
    for registration in recipients.iter().filter(|r| r.email_status.is_none()) {
        match state
            .store
            .mark_message_due(registration, draft.group, &id)
            .await
        {
            Ok(true) => marked += 1,
            Ok(false) => {}
            Err(err) => {
                // Those marked so far get it; the page says how many.
                tracing::error!(error = %err.0, "message: a recipient not marked");
                break;
            }
        }
    }
    message.recipients = marked;
    if let Err(err) = state
        .store
        .set_message_recipients(&meeting.id, &id, marked, bounced as u32)
        .await
    {
        tracing::warn!(error = %err.0, "message: recipients not counted");
    }
    see_other(&format!("/bijeenkomsten/{}/berichten/{id}", meeting.id))
}

/// A sent message and how far the mailer is.
pub async fn progress(
    State(state): State<AppState>,
    who: Signed,
    Path((meeting_id, message_id)): Path<(String, String)>,
) -> Response {
    if let Err(response) = who.require(&state, Role::Manager) {
        return response;
    }
    let meeting = match state.store.meeting(&meeting_id).await {
        Ok(Some(meeting)) => meeting,
        Ok(None) => return unknown_meeting(&state),
        Err(err) => {
            tracing::error!(error = %err.0, "meeting not readable");
            return store_down(&state);
        }
    };
    let message = match state.store.message(&meeting_id, &message_id).await {
        Ok(Some(message)) => message,
        Ok(None) => {
            return message_page(
                &state,
                StatusCode::NOT_FOUND,
                "Bericht niet gevonden",
                "Dit bericht bestaat niet (meer).",
                Some((
                    &format!("/bijeenkomsten/{meeting_id}/berichten"),
                    "Naar de berichten",
                )),
            );
        }
        Err(err) => {
            tracing::error!(error = %err.0, "message not readable");
            return store_down(&state);
        }
    };
    let mut context = Context::new();
    context.insert("meeting", &meeting_json(&meeting));
    context.insert(
        "message",
        &serde_json::json!({
            "subject": message.subject,
            "text": message.body,
            "group": group_label(message.group),
            "by": message.by,
            "at": clock_time(&message.created_at),
            "recipients": message.recipients,
            "skipped_bounced": message.skipped_bounced,
            "sent": message.sent,
            "failed": message.failed,
            "skipped_gone": message.skipped_gone,
            "waiting": message.waiting(),
            "failures": message.failures,
        }),
    );
    page(&state, Some(&who), "message_progress.html", context)
}
