//! GitHub's OAuth endpoints: the authorize address an editor is sent to, and the token exchange, which
//! needs the client secret and so happens here, never in a browser. Both through the `oauth2` crate (the
//! code flow with PKCE, S256), over [`opp_http_client`] (https only, no redirects, a time limit). The
//! same code serves an OAuth App and a GitHub App: they share these endpoints.

use oauth2::basic::BasicClient;
use oauth2::{
    AuthType, AuthUrl, AuthorizationCode, ClientId, ClientSecret, CsrfToken, EndpointNotSet,
    EndpointSet, PkceCodeChallenge, PkceCodeVerifier, RedirectUrl, RequestTokenError, Scope,
    TokenResponse, TokenUrl,
};
use opp_http_client::ProviderClient;

use crate::attempt::{Attempt, RANDOM_BYTES};

/// GitHub's web address; the endpoints are below it.
pub const GITHUB_URL: &str = "https://github.com";

/// What the function knows of its GitHub client.
#[derive(Clone)]
pub struct GitHubSettings {
    /// `https://github.com` (a stand-in on loopback in the browser check).
    pub url: String,
    pub client_id: String,
    pub client_secret: String,
    /// `<editing origin>/oauth/callback`, as registered with the OAuth App or GitHub App.
    pub redirect_url: String,
}

impl std::fmt::Debug for GitHubSettings {
    /// Never the secret.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GitHubSettings")
            .field("url", &self.url)
            .field("client_id", &self.client_id)
            .field("redirect_url", &self.redirect_url)
            .finish_non_exhaustive()
    }
}

type Client = BasicClient<EndpointSet, EndpointNotSet, EndpointNotSet, EndpointNotSet, EndpointSet>;

#[derive(Clone)]
pub struct GitHub {
    client: Client,
    http: ProviderClient,
}

/// Why no token came back. The text is for the log: it never holds a code, secret or token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExchangeError(pub String);

impl GitHub {
    pub fn new(settings: &GitHubSettings, http: ProviderClient) -> Result<GitHub, String> {
        let base = settings.url.trim_end_matches('/');
        let client = BasicClient::new(ClientId::new(settings.client_id.clone()))
            .set_client_secret(ClientSecret::new(settings.client_secret.clone()))
            .set_auth_uri(
                AuthUrl::new(format!("{base}/login/oauth/authorize"))
                    .map_err(|err| format!("GitHub's address {base}: {err}"))?,
            )
            .set_token_uri(
                TokenUrl::new(format!("{base}/login/oauth/access_token"))
                    .map_err(|err| format!("GitHub's address {base}: {err}"))?,
            )
            .set_redirect_uri(
                RedirectUrl::new(settings.redirect_url.clone())
                    .map_err(|err| format!("the callback address: {err}"))?,
            )
            // GitHub documents the client id and secret as form fields of the exchange.
            .set_auth_type(AuthType::RequestBody);
        Ok(GitHub { client, http })
    }

    /// A new attempt, and GitHub's authorize address for it with `scopes`.
    pub fn start(&self, scopes: &[String]) -> (String, Attempt) {
        let (challenge, verifier) = PkceCodeChallenge::new_random_sha256_len(RANDOM_BYTES);
        let (url, state) = self
            .client
            .authorize_url(|| CsrfToken::new_random_len(RANDOM_BYTES))
            .add_scopes(scopes.iter().cloned().map(Scope::new))
            .set_pkce_challenge(challenge)
            .url();
        (
            url.to_string(),
            Attempt {
                state: state.secret().clone(),
                pkce_verifier: verifier.secret().clone(),
            },
        )
    }

    /// The token for `code`, proven with the attempt's PKCE verifier.
    pub async fn exchange(&self, code: &str, attempt: &Attempt) -> Result<String, ExchangeError> {
        let http = self.http.clone();
        let call = move |request| {
            let http = http.clone();
            async move { http.call(request).await }
        };
        let token = self
            .client
            .exchange_code(AuthorizationCode::new(code.to_string()))
            .set_pkce_verifier(PkceCodeVerifier::new(attempt.pkce_verifier.clone()))
            .request_async(&call)
            .await
            .map_err(|err| ExchangeError(describe(&err)))?;
        let token = token.access_token().secret().clone();
        if token.is_empty() {
            return Err(ExchangeError("GitHub answered an empty token".into()));
        }
        Ok(token)
    }
}

/// GitHub answers a refused exchange with status 200 and `{"error": "bad_verification_code", …}`, which
/// `oauth2` reports as an answer it could not read: the error's code is taken from it for the log.
fn describe<RE: std::error::Error, T: oauth2::ErrorResponse>(
    err: &RequestTokenError<RE, T>,
) -> String {
    match err {
        RequestTokenError::ServerResponse(answer) => format!("GitHub refused the code: {answer}"),
        RequestTokenError::Request(err) => format!("GitHub could not be reached: {err}"),
        RequestTokenError::Parse(_, body) => {
            #[derive(serde::Deserialize)]
            struct Refusal {
                error: String,
            }
            match serde_json::from_slice::<Refusal>(body) {
                Ok(refusal) => format!("GitHub refused the code: {}", refusal.error),
                Err(_) => "GitHub's answer held no token".into(),
            }
        }
        RequestTokenError::Other(text) => format!("GitHub's answer: {text}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn github() -> GitHub {
        GitHub::new(
            &GitHubSettings {
                url: "https://github.com/".into(),
                client_id: "Iv1.abc".into(),
                client_secret: "geheim".into(),
                redirect_url: "https://redactie.example.nl/oauth/callback".into(),
            },
            ProviderClient::new().unwrap(),
        )
        .unwrap()
    }

    #[test]
    fn the_authorize_address_carries_state_pkce_scope_and_callback() {
        let (url, attempt) = github().start(&["public_repo".into()]);
        assert!(
            url.starts_with("https://github.com/login/oauth/authorize?"),
            "{url}"
        );
        for part in [
            "client_id=Iv1.abc",
            "scope=public_repo",
            "code_challenge_method=S256",
            "redirect_uri=https%3A%2F%2Fredactie.example.nl%2Foauth%2Fcallback",
            &format!("state={}", attempt.state),
        ] {
            assert!(url.contains(part), "{part} in {url}");
        }
        assert!(!url.contains("geheim"), "no secret in the address");
        assert!(attempt.state.len() >= 43, "256 bits of state");
        let (_, other) = github().start(&["public_repo".into()]);
        assert_ne!(attempt, other, "every attempt is new");
    }

    #[test]
    fn settings_never_print_the_secret() {
        let settings = GitHubSettings {
            url: GITHUB_URL.into(),
            client_id: "id".into(),
            client_secret: "geheim".into(),
            redirect_url: "https://redactie.example.nl/oauth/callback".into(),
        };
        assert!(!format!("{settings:?}").contains("geheim"));
    }
}
