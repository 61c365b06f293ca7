//! Sessions as the browser sees them: a random 256-bit id in a cookie (`__Host-` on https: Secure, no
//! Domain, Path `/`, so no other host can set or read it), its SHA-256 as the key on the server, the
//! limits (idle and absolute), and the per-session form token. A new id at every sign-in, so an id
//! planted before signing in is worth nothing.

use axum::http::HeaderMap;
use axum::http::header::COOKIE;

/// How long a session lives: 30 minutes without use, 10 hours at most.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SessionLimits {
    pub idle_seconds: i64,
    pub absolute_seconds: i64,
}

impl Default for SessionLimits {
    fn default() -> Self {
        SessionLimits {
            idle_seconds: 30 * 60,
            absolute_seconds: 10 * 60 * 60,
        }
    }
}

/// How long a sign-in may take at the provider (from leaving to coming back).
pub const SIGN_IN_SECONDS: i64 = 10 * 60;
/// A session's last use is written at most this often (reading is every request).
pub const TOUCH_INTERVAL_SECONDS: i64 = 60;

/// The console's cookie names and attributes, which follow its origin's scheme: `__Host-` and Secure on
/// https (production), plain names on `http://beheer.localhost` (`cargo dev`), where no Secure cookie can be
/// set by some browsers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cookies {
    pub secure: bool,
}

impl Cookies {
    pub fn for_origin(origin: &str) -> Cookies {
        Cookies {
            secure: origin.starts_with("https://"),
        }
    }

    pub fn session_name(self) -> &'static str {
        if self.secure {
            "__Host-opp-beheer"
        } else {
            "opp-beheer"
        }
    }

    pub fn sign_in_name(self) -> &'static str {
        if self.secure {
            "__Host-opp-beheer-aanmelden"
        } else {
            "opp-beheer-aanmelden"
        }
    }

    /// A `Set-Cookie` value. SameSite=Lax: the provider's answer is a navigation from its site, and the
    /// sign-in cookie must come with it; every POST is checked by origin and form token besides.
    pub fn set(self, name: &str, value: &str, max_age: i64) -> String {
        let secure = if self.secure { "; Secure" } else { "" };
        format!("{name}={value}; Path=/; Max-Age={max_age}; HttpOnly; SameSite=Lax{secure}")
    }

    pub fn clear(self, name: &str) -> String {
        self.set(name, "", 0)
    }
}

/// The value of cookie `name` in the request, if any.
pub fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(key, _)| *key == name)
        .map(|(_, value)| value)
        .filter(|value| !value.is_empty())
}

/// A new random id (session, browser binding, form token): 256 bits, base64url.
pub fn new_id() -> Result<String, String> {
    opp_model::token::new_token().map_err(|err| format!("no randomness: {err}"))
}

/// What the server keeps for an id: its SHA-256.
pub fn id_hash(id: &str) -> String {
    opp_model::token::hash(id)
}

/// Compares two secrets in time that does not depend on where they differ.
pub fn same_secret(a: &str, b: &str) -> bool {
    use sha2::{Digest, Sha256};
    Sha256::digest(a.as_bytes()) == Sha256::digest(b.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn host_prefixed_secure_cookies_on_https_only() {
        let https = Cookies::for_origin("https://beheer.example.nl");
        assert_eq!(
            https.set(https.session_name(), "abc", 36000),
            "__Host-opp-beheer=abc; Path=/; Max-Age=36000; HttpOnly; SameSite=Lax; Secure"
        );
        let local = Cookies::for_origin("http://beheer.localhost:8080");
        assert_eq!(local.session_name(), "opp-beheer");
        assert!(!local.set("a", "b", 1).contains("Secure"));
        assert!(local.clear("a").contains("Max-Age=0"));
    }

    #[test]
    fn reads_one_cookie_among_others() {
        let mut headers = HeaderMap::new();
        headers.append(COOKIE, "a=1; opp-beheer=xyz".parse().unwrap());
        headers.append(COOKIE, "b=2".parse().unwrap());
        assert_eq!(cookie(&headers, "opp-beheer"), Some("xyz"));
        assert_eq!(cookie(&headers, "b"), Some("2"));
        assert_eq!(cookie(&headers, "opp"), None);
    }

    #[test]
    fn ids_are_new_each_time() {
        let a = new_id().unwrap();
        assert_ne!(a, new_id().unwrap());
        assert_eq!(id_hash(&a).len(), 64);
        assert!(same_secret(&a, &a.clone()));
        assert!(!same_secret(&a, "x"));
    }
}
