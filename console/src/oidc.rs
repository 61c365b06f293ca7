//! Sign-in through OpenID Connect, as a relying party built on the `openidconnect` crate: discovery,
//! the authorization code flow with PKCE, `state` and `nonce`, and the ID token's verification (signature
//! against the provider's keys, issuer, audience, expiry, nonce). Nothing here checks a token by hand; this
//! module only turns the crate's answers into an [`Identity`] and Dutch-free errors for the log.

use std::time::{Duration, Instant};

use openidconnect::core::{
    CoreAuthDisplay, CoreAuthPrompt, CoreErrorResponseType, CoreGenderClaim, CoreJsonWebKey,
    CoreJweContentEncryptionAlgorithm, CoreJwsSigningAlgorithm, CoreResponseType,
    CoreRevocableToken, CoreRevocationErrorResponse, CoreTokenIntrospectionResponse, CoreTokenType,
};
use openidconnect::{
    AdditionalClaims, AuthenticationFlow, AuthorizationCode, Client, ClientId, ClientSecret,
    CsrfToken, EmptyExtraTokenFields, EndpointMaybeSet, EndpointNotSet, EndpointSet, IdTokenFields,
    IssuerUrl, LogoutRequest, Nonce, PkceCodeChallenge, PkceCodeVerifier, PostLogoutRedirectUrl,
    ProviderMetadataWithLogout, RedirectUrl, Scope, StandardErrorResponse, StandardTokenResponse,
    TokenResponse,
};
use serde::{Deserialize, Serialize};
use tokio::sync::RwLock;

use crate::http_client::ProviderClient;

/// How long the provider's discovery document and keys are reused before they are read again (a
/// provider rotates its keys with overlap; a key we do not know yet makes us read them at once).
const METADATA_LIFETIME: Duration = Duration::from_secs(3600);

/// Every claim of the ID token beyond the standard ones (the role claim among them).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct OtherClaims {
    #[serde(flatten)]
    pub claims: serde_json::Map<String, serde_json::Value>,
}

impl AdditionalClaims for OtherClaims {}

type IdFields = IdTokenFields<
    OtherClaims,
    EmptyExtraTokenFields,
    CoreGenderClaim,
    CoreJweContentEncryptionAlgorithm,
    CoreJwsSigningAlgorithm,
>;
type TokenAnswer = StandardTokenResponse<IdFields, CoreTokenType>;
type RelyingParty = Client<
    OtherClaims,
    CoreAuthDisplay,
    CoreGenderClaim,
    CoreJweContentEncryptionAlgorithm,
    CoreJsonWebKey,
    CoreAuthPrompt,
    StandardErrorResponse<CoreErrorResponseType>,
    TokenAnswer,
    CoreTokenIntrospectionResponse,
    CoreRevocableToken,
    CoreRevocationErrorResponse,
    EndpointSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointMaybeSet,
    EndpointMaybeSet,
>;

/// Which provider, and who we are to it.
#[derive(Clone, Debug)]
pub struct OidcSettings {
    /// The issuer URL; its `/.well-known/openid-configuration` describes the rest.
    pub issuer: String,
    pub client_id: String,
    /// A confidential client's secret (Cognito's app client has one); None for a public client with PKCE.
    pub client_secret: Option<String>,
    /// Where the provider sends the browser back: `<console origin>/aanmelden/klaar`.
    pub redirect_url: String,
    /// Scopes beyond `openid`.
    pub scopes: Vec<String>,
    /// Where to end the session at the provider when its discovery document names no
    /// `end_session_endpoint` (Cognito: `https://<domain>/logout`, which takes `client_id` and `logout_uri`).
    pub logout_url: Option<String>,
}

/// Who signed in, as the verified ID token says.
#[derive(Debug, Clone)]
pub struct Identity {
    pub subject: String,
    /// `name`, else `preferred_username`, else `email`, else the subject.
    pub name: String,
    pub claims: serde_json::Map<String, serde_json::Value>,
    /// The token itself, kept in the session to end the session at the provider too.
    pub id_token: String,
}

/// A sign-in sent to the provider: the URL to send the browser to, and what the answer is checked with.
pub struct Started {
    pub url: String,
    pub state: String,
    pub nonce: String,
    pub pkce_verifier: String,
}

/// Why a sign-in failed (for the log; the organiser sees a Dutch page).
#[derive(Debug)]
pub struct SignInError(pub String);

impl std::fmt::Display for SignInError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

pub struct Provider {
    settings: OidcSettings,
    http: ProviderClient,
    metadata: RwLock<Option<(ProviderMetadataWithLogout, Instant)>>,
}

impl Provider {
    pub fn new(settings: OidcSettings, http: ProviderClient) -> Result<Provider, String> {
        IssuerUrl::new(settings.issuer.clone())
            .map_err(|err| format!("the issuer URL {:?}: {err}", settings.issuer))?;
        RedirectUrl::new(settings.redirect_url.clone())
            .map_err(|err| format!("the redirect URL {:?}: {err}", settings.redirect_url))?;
        Ok(Provider {
            settings,
            http,
            metadata: RwLock::new(None),
        })
    }

    pub fn issuer(&self) -> &str {
        &self.settings.issuer
    }

    /// The provider's metadata (with its keys), read again when older than [`METADATA_LIFETIME`] or when
    /// `fresh` is asked.
    async fn metadata(&self, fresh: bool) -> Result<ProviderMetadataWithLogout, SignInError> {
        if !fresh
            && let Some((metadata, read_at)) = self.metadata.read().await.as_ref()
            && read_at.elapsed() < METADATA_LIFETIME
        {
            return Ok(metadata.clone());
        }
        let issuer = IssuerUrl::new(self.settings.issuer.clone())
            .map_err(|err| SignInError(format!("issuer URL: {err}")))?;
        let http = self.http.clone();
        let call = move |request| {
            let http = http.clone();
            async move { http.call(request).await }
        };
        let metadata = ProviderMetadataWithLogout::discover_async(issuer, &call)
            .await
            .map_err(|err| SignInError(format!("discovery: {}", error_chain(&err))))?;
        *self.metadata.write().await = Some((metadata.clone(), Instant::now()));
        Ok(metadata)
    }

    async fn relying_party(&self, fresh: bool) -> Result<RelyingParty, SignInError> {
        let metadata = self.metadata(fresh).await?;
        let redirect = RedirectUrl::new(self.settings.redirect_url.clone())
            .map_err(|err| SignInError(format!("redirect URL: {err}")))?;
        Ok(RelyingParty::from_provider_metadata(
            metadata,
            ClientId::new(self.settings.client_id.clone()),
            self.settings.client_secret.clone().map(ClientSecret::new),
        )
        .set_redirect_uri(redirect))
    }

    /// A new sign-in: fresh `state`, `nonce` and PKCE verifier, and the provider's URL with them.
    pub async fn start(&self) -> Result<Started, SignInError> {
        let client = self.relying_party(false).await?;
        let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
        let mut request = client
            .authorize_url(
                AuthenticationFlow::<CoreResponseType>::AuthorizationCode,
                CsrfToken::new_random,
                Nonce::new_random,
            )
            .set_pkce_challenge(challenge);
        for scope in &self.settings.scopes {
            request = request.add_scope(Scope::new(scope.clone()));
        }
        let (url, state, nonce) = request.url();
        Ok(Started {
            url: url.to_string(),
            state: state.secret().clone(),
            nonce: nonce.secret().clone(),
            pkce_verifier: verifier.secret().clone(),
        })
    }

    /// The provider's answer: exchanges `code` (with the PKCE verifier) and verifies the ID token against
    /// `nonce`. A token signed with a key we do not know makes us read the provider's keys once more.
    pub async fn finish(
        &self,
        code: &str,
        nonce: &str,
        pkce_verifier: &str,
    ) -> Result<Identity, SignInError> {
        let client = self.relying_party(false).await?;
        let http = self.http.clone();
        let call = move |request| {
            let http = http.clone();
            async move { http.call(request).await }
        };
        let answer = client
            .exchange_code(AuthorizationCode::new(code.to_string()))
            .map_err(|err| SignInError(format!("token endpoint: {err}")))?
            .set_pkce_verifier(PkceCodeVerifier::new(pkce_verifier.to_string()))
            .request_async(&call)
            .await
            .map_err(|err| SignInError(format!("code exchange: {}", error_chain(&err))))?;
        let id_token = answer
            .id_token()
            .ok_or_else(|| SignInError("the provider sent no ID token".into()))?;
        let nonce = Nonce::new(nonce.to_string());
        let claims = match id_token.claims(&client.id_token_verifier(), &nonce) {
            Ok(claims) => claims.clone(),
            Err(first) => {
                // Perhaps a key the provider added since we read its keys.
                let fresh = self.relying_party(true).await?;
                id_token
                    .claims(&fresh.id_token_verifier(), &nonce)
                    .map_err(|_| SignInError(format!("ID token: {}", error_chain(&first))))?
                    .clone()
            }
        };
        let localized = |claim: Option<&openidconnect::LocalizedClaim<_>>| {
            claim
                .and_then(|c| c.get(None))
                .map(|v: &openidconnect::EndUserName| v.to_string())
        };
        let name = localized(claims.name())
            .or_else(|| claims.preferred_username().map(|u| u.to_string()))
            .or_else(|| claims.email().map(|e| e.to_string()))
            .unwrap_or_else(|| claims.subject().to_string());
        Ok(Identity {
            subject: claims.subject().to_string(),
            name,
            claims: claims.additional_claims().claims.clone(),
            id_token: id_token.to_string(),
        })
    }

    /// Where to send the browser to end the session at the provider too, when it offers that (RP-initiated
    /// logout), with the ID token as hint and `after` to come back to.
    pub async fn end_session_url(&self, id_token: &str, after: &str) -> Option<String> {
        let metadata = self.metadata(false).await.ok()?;
        let Some(endpoint) = metadata.additional_metadata().end_session_endpoint.clone() else {
            let logout = self.settings.logout_url.as_deref()?;
            let mut url = url_with_query(logout)?;
            url.query_pairs_mut()
                .append_pair("client_id", &self.settings.client_id)
                .append_pair("logout_uri", after);
            return Some(url.to_string());
        };
        let mut request = LogoutRequest::from(endpoint)
            .set_client_id(ClientId::new(self.settings.client_id.clone()));
        if let Ok(hint) = id_token.parse::<openidconnect::IdToken<
            OtherClaims,
            CoreGenderClaim,
            CoreJweContentEncryptionAlgorithm,
            CoreJwsSigningAlgorithm,
        >>() {
            request = request.set_id_token_hint(&hint);
        }
        if let Ok(after) = PostLogoutRedirectUrl::new(after.to_string()) {
            request = request.set_post_logout_redirect_uri(after);
        }
        Some(request.http_get_url().to_string())
    }
}

fn url_with_query(text: &str) -> Option<openidconnect::url::Url> {
    openidconnect::url::Url::parse(text).ok()
}

fn error_chain(err: &dyn std::error::Error) -> String {
    let mut text = err.to_string();
    let mut source = err.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}
