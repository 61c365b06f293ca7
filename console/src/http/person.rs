//! One registration: the details and the history (registered, promoted, address changed, cancelled, each
//! e-mail from the mail ledger, a bounce). Found by its registration id within its meeting, so no address
//! is ever in a URL. Each view is in the audit log (meeting and registration id).

use axum::extract::{Path, Query, State};
use axum::response::Response;
use serde::Serialize;
use tera::Context;

use super::answer::{page, store_down};
use super::lookup::{meeting_with_people, person_in};
use super::{AppState, Signed};
use opp_operations::local_time;
use opp_store::mail_ledger;

/// `?gedaan=...` after an action.
#[derive(serde::Deserialize)]
pub struct Done {
    gedaan: Option<String>,
}

#[derive(Serialize)]
struct Event {
    at: String,
    sort_key: String,
    what: String,
}

/// What an email kind is called for organisers.
fn mail_word(kind: &str) -> &str {
    match kind {
        "confirmed" => "bevestiging",
        "waitlisted" => "op de wachtlijst",
        "promoted" => "plek van de wachtlijst",
        "cancelled" => "afmelding",
        "reminder" => "herinnering",
        "changed" => "bijeenkomst gewijzigd",
        "called-off" => "bijeenkomst gaat niet door",
        "address-changed" => "e-mailadres gewijzigd",
        "address-confirm" => "nieuw e-mailadres bevestigen",
        "move-notice" => "bericht aan het oude adres",
        "link" => "persoonlijke link opnieuw",
        other => other,
    }
}

fn state_word(state: &str) -> &str {
    match state {
        "sent" => "verstuurd",
        "sending" => "wordt verstuurd",
        "failed" => "mislukt",
        other => other,
    }
}

pub async fn person(
    State(state): State<AppState>,
    who: Signed,
    Path((meeting_id, registration_id)): Path<(String, String)>,
    Query(done): Query<Done>,
) -> Response {
    let (meeting, people) = match meeting_with_people(&state, &meeting_id).await {
        Ok(found) => found,
        Err(response) => return response,
    };
    let person = match person_in(&state, people, &meeting_id, &registration_id) {
        Ok(person) => person,
        Err(response) => return response,
    };
    let mails = match &person.link_id {
        Some(link_id) => match mail_ledger::history(&state.store, link_id).await {
            Ok(mails) => mails,
            Err(err) => {
                tracing::error!(error = %err.0, "mail ledger not readable");
                return store_down(&state);
            }
        },
        None => Vec::new(),
    };
    if let Err(response) = state
        .audit(
            &who,
            "view-person",
            Some(&meeting.id),
            Some(&person.registration_id),
            None,
        )
        .await
    {
        return response;
    }
    let stored = match state
        .store
        .registration_history(&meeting.id, &person.email)
        .await
    {
        Ok(stored) => stored,
        Err(err) => {
            tracing::error!(error = %err.0, "registration history not readable");
            return store_down(&state);
        }
    };
    let now = (state.clock)();
    // Where the person could be moved to: only role beheer gets that form.
    let meetings = if who.role >= crate::roles::Role::Manager {
        state.store.meetings().await
    } else {
        Ok(Vec::new())
    };
    let other_meetings: Vec<serde_json::Value> = match meetings {
        Ok(meetings) => meetings
            .into_iter()
            .filter(|m| m.id != meeting.id && !m.called_off && m.over_at > now.as_second())
            .map(|m| serde_json::json!({"id": m.id, "label": format!("{}, {}", m.title, m.date_label)}))
            .collect(),
        Err(err) => {
            tracing::error!(error = %err.0, "meetings not readable");
            return store_down(&state);
        }
    };
    let mut history = vec![Event {
        at: local_time(&person.created_at),
        sort_key: person.created_at.clone(),
        what: "Aangemeld".into(),
    }];
    if let Some(promoted) = &person.promoted_at {
        history.push(Event {
            at: local_time(promoted),
            sort_key: promoted.clone(),
            what: "Van de wachtlijst naar een plek".into(),
        });
    }
    for (at, what) in [
        (&stored.email_changed_at, "Naar dit e-mailadres verhuisd"),
        (&stored.cancelled_at, "Afgemeld"),
    ] {
        if let Some(at) = at {
            history.push(Event {
                at: local_time(at),
                sort_key: at.clone(),
                what: what.into(),
            });
        }
    }
    if let Some(checked_in) = &person.checked_in {
        history.push(Event {
            at: local_time(&checked_in.at),
            sort_key: checked_in.at.clone(),
            what: format!("Binnen gemeld bij de deur (door {})", checked_in.by),
        });
    }
    if let Some(status) = person.email_status.as_deref() {
        history.push(Event {
            at: String::new(),
            sort_key: "~".into(),
            what: if status == "complained" {
                "E-mail gemeld als spam: we sturen geen e-mail meer".into()
            } else {
                "E-mail kwam niet aan (bounce): we sturen geen e-mail meer".into()
            },
        });
    }
    for mail in &mails {
        history.push(Event {
            at: local_time(&mail.attempted_at),
            sort_key: mail.attempted_at.clone(),
            what: format!(
                "E-mail: {} ({})",
                mail_word(&mail.kind),
                state_word(&mail.state)
            ),
        });
    }
    history.sort_by(|a, b| a.sort_key.cmp(&b.sort_key));
    let mut context = Context::new();
    context.insert("meeting", &serde_json::json!({
        "id": meeting.id, "title": meeting.title, "date": meeting.date_label, "city": meeting.city,
    }));
    context.insert("person", &serde_json::json!({
        "name": person.name, "email": person.email, "role": person.role, "sector": person.sector,
        "organisation": person.organisation, "needs": person.needs, "status": person.status.label_nl(),
        "cancelled": !person.status.is_live(),
        "bounced": person.email_status.as_deref().map(|s| if s == "complained" { "klacht (spam)" } else { "komt niet aan" }),
        "pending_move": person.pending_move.as_ref().map(|m| m.to.clone()),
    }));
    context.insert("history", &history);
    context.insert("other_meetings", &other_meetings);
    context.insert(
        "notes",
        &stored
            .notes
            .iter()
            .map(|n| serde_json::json!({"at": local_time(&n.at), "author": n.author, "text": n.text}))
            .collect::<Vec<_>>(),
    );
    context.insert("registration_id", &person.registration_id);
    context.insert(
        "notice",
        &super::answer::done_notice(done.gedaan.as_deref()),
    );
    page(&state, Some(&who), "person.html", context)
}
