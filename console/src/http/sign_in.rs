//! Signing in and out. `/aanmelden` sends the browser to the provider with a fresh state, nonce and PKCE
//! challenge (kept on the server, bound to this browser by a cookie); `/aanmelden/klaar` takes the answer
//! once, verifies the ID token, reads the role and starts a new session; `/afmelden` ends it here and, when
//! the provider offers that, there too.

use axum::Form;
use axum::extract::{Query, State};
use axum::http::header::{self, HeaderValue};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use serde::Deserialize;

use super::answer::{message, see_other, store_down};
use super::{AppState, Signed};
use crate::session::{self, SIGN_IN_SECONDS};
use opp_store::sessions::{SessionRecord, SignInAttempt};

#[derive(Deserialize)]
pub struct StartQuery {
    terug: Option<String>,
}

/// Where to go after signing in: a path of the console, never another site.
fn safe_return(path: Option<&str>) -> String {
    match path {
        Some(path)
            if path.starts_with('/')
                && !path.starts_with("//")
                && !path.contains('\\')
                && !path.starts_with("/aanmelden")
                && !path.chars().any(char::is_control) =>
        {
            path.to_string()
        }
        _ => "/".to_string(),
    }
}

pub async fn start(State(state): State<AppState>, Query(query): Query<StartQuery>) -> Response {
    let return_to = safe_return(query.terug.as_deref());
    let started = match state.provider.start().await {
        Ok(started) => started,
        Err(err) => {
            tracing::error!(error = %err, "sign-in could not start");
            return provider_down(&state);
        }
    };
    let Ok(browser) = session::new_id() else {
        return store_down(&state);
    };
    let now = (state.clock)().as_second();
    let attempt = SignInAttempt {
        nonce: started.nonce,
        pkce_verifier: started.pkce_verifier,
        browser_hash: session::id_hash(&browser),
        return_to,
        expires_at: now + SIGN_IN_SECONDS,
    };
    if let Err(err) = state
        .store
        .start_sign_in(&session::id_hash(&started.state), &attempt)
        .await
    {
        tracing::error!(error = %err.0, "sign-in attempt not stored");
        return store_down(&state);
    }
    let cookies = state.cookies();
    let mut response = see_other(&started.url);
    set_cookie(
        &mut response,
        &cookies.set(cookies.sign_in_name(), &browser, SIGN_IN_SECONDS),
    );
    response
}

#[derive(Deserialize)]
pub struct FinishQuery {
    code: Option<String>,
    state: Option<String>,
    error: Option<String>,
}

pub async fn finish(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(query): Query<FinishQuery>,
) -> Response {
    let cookies = state.cookies();
    let again = Some(("/aanmelden", "Opnieuw inloggen"));
    if query.error.is_some() {
        return message(
            &state,
            StatusCode::UNAUTHORIZED,
            "Inloggen is afgebroken",
            "Het inloggen is niet afgemaakt. U kunt het opnieuw proberen.",
            again,
        );
    }
    let (Some(code), Some(returned_state)) = (query.code, query.state) else {
        return message(
            &state,
            StatusCode::BAD_REQUEST,
            "Inloggen is niet gelukt",
            "Deze link om in te loggen is niet compleet. Log opnieuw in.",
            again,
        );
    };
    let attempt = match state
        .store
        .take_sign_in(&session::id_hash(&returned_state))
        .await
    {
        Ok(attempt) => attempt,
        Err(err) => {
            tracing::error!(error = %err.0, "sign-in attempt not readable");
            return store_down(&state);
        }
    };
    let now = (state.clock)().as_second();
    let browser = session::cookie(&headers, cookies.sign_in_name()).map(session::id_hash);
    let Some(attempt) = attempt.filter(|a| {
        a.expires_at > now
            && browser
                .as_deref()
                .is_some_and(|b| session::same_secret(b, &a.browser_hash))
    }) else {
        tracing::warn!(
            status = 400,
            "sign-in answer unknown, used, expired or from another browser"
        );
        return message(
            &state,
            StatusCode::BAD_REQUEST,
            "Inloggen is verlopen",
            "Deze inlogpoging is verlopen of al gebruikt. Log opnieuw in.",
            again,
        );
    };
    let identity = match state
        .provider
        .finish(&code, &attempt.nonce, &attempt.pkce_verifier)
        .await
    {
        Ok(identity) => identity,
        Err(err) => {
            tracing::error!(error = %err, "sign-in not verified");
            return message(
                &state,
                StatusCode::BAD_GATEWAY,
                "Inloggen is niet gelukt",
                "De inlogdienst gaf geen geldig antwoord. Log opnieuw in. Lukt het weer niet? Neem contact op met de beheerder van het project.",
                again,
            );
        }
    };
    let Some(role) = state.settings.role_claim.role_of(&identity.claims) else {
        if let Err(response) = state
            .audit_as(
                &identity.subject,
                &identity.name,
                "sign-in-refused",
                None,
                None,
                Some("geen rol"),
            )
            .await
        {
            return response;
        }
        let mut response = super::answer::no_access(&state, None);
        set_cookie(&mut response, &cookies.clear(cookies.sign_in_name()));
        return response;
    };
    let (Ok(id), Ok(csrf)) = (session::new_id(), session::new_id()) else {
        return store_down(&state);
    };
    let limits = state.settings.limits;
    let record = SessionRecord {
        subject: identity.subject.clone(),
        name: identity.name.clone(),
        role: role.as_str().to_string(),
        csrf,
        started_at: now,
        last_seen: now,
        ends_at: now + limits.absolute_seconds,
        id_token: Some(identity.id_token),
        code_misses: 0,
        code_window: 0,
    };
    // A session the browser still carries from before is ended: one sign-in, one session.
    if let Some(old) = session::cookie(&headers, cookies.session_name()) {
        let _ = state.store.end_session(&session::id_hash(old)).await;
    }
    if let Err(err) = state
        .store
        .start_session(&session::id_hash(&id), &record)
        .await
    {
        tracing::error!(error = %err.0, "session not stored");
        return store_down(&state);
    }
    if let Err(response) = state
        .audit_as(
            &record.subject,
            &record.name,
            "sign-in",
            None,
            None,
            Some(role.as_str()),
        )
        .await
    {
        return response;
    }
    let mut response = see_other(&attempt.return_to);
    set_cookie(
        &mut response,
        &cookies.set(cookies.session_name(), &id, limits.absolute_seconds),
    );
    set_cookie(&mut response, &cookies.clear(cookies.sign_in_name()));
    response
}

#[derive(Deserialize)]
pub struct SignOutForm {
    csrf: Option<String>,
}

pub async fn sign_out(
    State(state): State<AppState>,
    who: Signed,
    Form(form): Form<SignOutForm>,
) -> Response {
    if let Err(response) = who.check_form(&state, form.csrf.as_deref()) {
        return response;
    }
    if let Err(err) = state.store.end_session(&who.id_hash).await {
        tracing::error!(error = %err.0, "session not ended");
        return store_down(&state);
    }
    if let Err(response) = state.audit(&who, "sign-out", None, None, None).await {
        return response;
    }
    let after = format!("{}/afgemeld", state.settings.origin);
    let next = match &who.session.id_token {
        Some(token) => state.provider.end_session_url(token, &after).await,
        None => None,
    };
    let cookies = state.cookies();
    let mut response = see_other(next.as_deref().unwrap_or("/afgemeld"));
    set_cookie(&mut response, &cookies.clear(cookies.session_name()));
    response.headers_mut().insert(
        "clear-site-data",
        HeaderValue::from_static("\"cache\", \"cookies\", \"storage\""),
    );
    response
}

pub async fn signed_out(State(state): State<AppState>) -> Response {
    message(
        &state,
        StatusCode::OK,
        "U bent uitgelogd",
        "U bent uitgelogd uit de beheeromgeving. Sluit ook de browser als u een gedeelde computer gebruikt.",
        Some(("/aanmelden", "Opnieuw inloggen")),
    )
}

fn provider_down(state: &AppState) -> Response {
    message(
        state,
        StatusCode::SERVICE_UNAVAILABLE,
        "Inloggen lukt nu niet",
        "De inlogdienst is nu niet bereikbaar. Probeer het over een paar minuten opnieuw.",
        Some(("/aanmelden", "Opnieuw proberen")),
    )
}

fn set_cookie(response: &mut Response, cookie: &str) {
    if let Ok(value) = HeaderValue::from_str(cookie) {
        response.headers_mut().append(header::SET_COOKIE, value);
    }
}

#[cfg(test)]
mod tests {
    use super::safe_return;

    #[test]
    fn only_own_paths_are_returned_to() {
        assert_eq!(
            safe_return(Some("/bijeenkomsten/a?zoek=b")),
            "/bijeenkomsten/a?zoek=b"
        );
        assert_eq!(safe_return(Some("//evil.example")), "/");
        assert_eq!(safe_return(Some("https://evil.example")), "/");
        assert_eq!(safe_return(Some("/\\evil.example")), "/");
        assert_eq!(safe_return(Some("/aanmelden/klaar")), "/");
        assert_eq!(safe_return(None), "/");
    }
}
