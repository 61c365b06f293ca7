//! One sign-in attempt: the `state` GitHub must hand back and the PKCE verifier for the token exchange,
//! kept in the editor's browser in an HttpOnly cookie for ten minutes. The cookie is `__Host-` (this
//! origin only, `Secure`, path `/`) and `SameSite=Lax`, so it comes along when GitHub sends the popup
//! back to `/oauth/callback` (a top-level navigation) and nowhere else. It is used once: every answer of
//! the callback clears it.

use axum::http::HeaderMap;
use axum::http::header::COOKIE;

/// The cookie's name.
pub const COOKIE_NAME: &str = "__Host-opp-redactie-poging";

/// How long an editor has on GitHub's page before the attempt expires.
pub const LIFETIME_SECONDS: u32 = 600;

/// Random bytes in `state` and in the PKCE verifier (256 bits each; the issue asks at least 128).
pub const RANDOM_BYTES: u32 = 32;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attempt {
    pub state: String,
    pub pkce_verifier: String,
}

impl Attempt {
    /// The `Set-Cookie` value that starts this attempt.
    pub fn set_cookie(&self) -> String {
        format!(
            "{COOKIE_NAME}={}.{}; Max-Age={LIFETIME_SECONDS}; Path=/; Secure; HttpOnly; SameSite=Lax",
            self.state, self.pkce_verifier
        )
    }

    /// The `Set-Cookie` value that ends any attempt.
    pub fn clear_cookie() -> String {
        format!("{COOKIE_NAME}=; Max-Age=0; Path=/; Secure; HttpOnly; SameSite=Lax")
    }

    /// The attempt this browser started, if its cookie is there and well formed.
    pub fn from_headers(headers: &HeaderMap) -> Option<Attempt> {
        headers
            .get_all(COOKIE)
            .iter()
            .filter_map(|value| value.to_str().ok())
            .flat_map(|value| value.split(';'))
            .filter_map(|pair| pair.trim().split_once('='))
            .find(|(name, _)| *name == COOKIE_NAME)
            .and_then(|(_, value)| value.split_once('.'))
            .filter(|(state, verifier)| token_like(state) && token_like(verifier))
            .map(|(state, verifier)| Attempt {
                state: state.to_string(),
                pkce_verifier: verifier.to_string(),
            })
    }

    /// Whether GitHub handed back this attempt's `state` (compared in constant time).
    pub fn matches(&self, returned_state: &str) -> bool {
        let (ours, theirs) = (self.state.as_bytes(), returned_state.as_bytes());
        ours.len() == theirs.len()
            && ours
                .iter()
                .zip(theirs)
                .fold(0u8, |diff, (a, b)| diff | (a ^ b))
                == 0
    }
}

/// Base64url without padding, as `oauth2` makes state and verifier.
fn token_like(value: &str) -> bool {
    (16..=128).contains(&value.len())
        && value
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn attempt() -> Attempt {
        Attempt {
            state: "c3RhdGUtc3RhdGUtc3RhdGU".into(),
            pkce_verifier: "dmVyaWZpZXItdmVyaWZpZXI".into(),
        }
    }

    #[test]
    fn the_cookie_comes_back_as_the_same_attempt() {
        let set = attempt().set_cookie();
        assert!(set.contains("HttpOnly") && set.contains("SameSite=Lax") && set.contains("Secure"));
        assert!(set.contains("Max-Age=600") && set.contains("Path=/"));
        let value = set.split(';').next().unwrap();
        let mut headers = HeaderMap::new();
        headers.insert(
            COOKIE,
            HeaderValue::from_str(&format!("other=1; {value}")).unwrap(),
        );
        assert_eq!(Attempt::from_headers(&headers), Some(attempt()));
    }

    #[test]
    fn a_missing_or_mangled_cookie_is_no_attempt() {
        let mut headers = HeaderMap::new();
        assert_eq!(Attempt::from_headers(&headers), None);
        headers.insert(
            COOKIE,
            HeaderValue::from_static("__Host-opp-redactie-poging=no-dot-here-at-all"),
        );
        assert_eq!(Attempt::from_headers(&headers), None);
        headers.insert(
            COOKIE,
            HeaderValue::from_static("__Host-opp-redactie-poging=a<b.c"),
        );
        assert_eq!(Attempt::from_headers(&headers), None);
    }

    #[test]
    fn only_the_same_state_matches() {
        let attempt = attempt();
        assert!(attempt.matches("c3RhdGUtc3RhdGUtc3RhdGU"));
        assert!(!attempt.matches("c3RhdGUtc3RhdGUtc3RhdGV"));
        assert!(!attempt.matches(""));
        assert!(Attempt::clear_cookie().contains("Max-Age=0"));
    }
}
