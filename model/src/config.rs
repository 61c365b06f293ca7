//! The site configuration, `config.yaml`: read by the generator (every page gets it) and compiled into the
//! function (its pages and routes follow it). Its checks live here so both refuse the same files; reading
//! the YAML, and pointing at the line of a mistake, is the caller's.

use crate::messages::{Msg, Text, site};
use serde::{Deserialize, Serialize};

use crate::urls;

/// The configuration file's name, at the site root.
pub const CONFIG_FILE: &str = "config.yaml";

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    pub title: String,
    #[serde(default)]
    pub description: String,
    pub base_url: String,
    #[serde(default = "default_language")]
    pub language: String,
    #[serde(default = "default_endpoint")]
    pub registration_endpoint: String,
    #[serde(default = "default_registration_page")]
    pub registration_page: String,
    pub retention_days: u32,
    pub contact: Contact,
    /// Where to report a vulnerability (`Contact` of `/.well-known/security.txt`, RFC 9116): a
    /// `mailto:` or `https://` address of the ministry's coordinated vulnerability disclosure.
    #[serde(default = "default_security_contact")]
    pub security_contact: String,
    #[serde(default)]
    pub menu: Vec<MenuItem>,
    /// What the emails do (`email:` in config.yaml; every key has a default).
    #[serde(default)]
    pub email: EmailSettings,
    /// How much mail a stranger can make us send to one address (`limits:` in config.yaml; defaults).
    #[serde(default)]
    pub limits: Limits,
    /// The editing screen at `/admin/` (Decap CMS; `cms:` in config.yaml). None: no editing screen.
    #[serde(default)]
    pub cms: Option<CmsSettings>,
}

/// The editing screen (Decap CMS) on its own origin, and where it saves: a GitHub repository and branch.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct CmsSettings {
    /// `owner/name` of the repository that holds this site.
    pub repo: String,
    /// The branch changes are proposed to (as pull requests) and published from.
    #[serde(default = "default_cms_branch")]
    pub branch: String,
    /// The editing screen's own origin (`https://redactie.<domain>`, no path): its files and the editors'
    /// sign-in (`/oauth/auth`, `/oauth/callback`, opp-editors) are served there, never from the public
    /// site (docs/operations/editing-screen.md). Empty: no sign-in (only `cargo dev --cms` works).
    /// `auth_url` is its old name.
    #[serde(default, alias = "auth_url")]
    pub url: String,
    /// GitHub's API, for a GitHub Enterprise server or the browser check's stand-in. Empty:
    /// `https://api.github.com`, which the editing screen's CSP allows.
    #[serde(default)]
    pub api_root: String,
    /// GitHub's OAuth scope: `public_repo` (the narrowest that can write) for a public repository, `repo`
    /// for a private one.
    #[serde(default = "default_cms_scope")]
    pub auth_scope: String,
}

#[derive(Debug, Clone, Deserialize, Serialize, PartialEq, Eq)]
#[serde(deny_unknown_fields, default)]
pub struct EmailSettings {
    /// Days before a meeting its confirmed people get a reminder (0: none).
    pub reminder_days: u32,
    /// At most one "link kwijt?" email per address in this many minutes.
    pub link_interval_minutes: u32,
}

impl Default for EmailSettings {
    fn default() -> Self {
        EmailSettings {
            reminder_days: 2,
            link_interval_minutes: 15,
        }
    }
}

/// The budget on the mails a visitor can trigger, and how often one address may register again for a
/// meeting after cancelling. Anyone can type any address into the form: these bound what a stranger can
/// make us send to it. Promotion, change, called-off, reminder and organisers' mails are never limited
/// (a visitor cannot trigger them in bulk), and the first confirmation of a registration is always sent.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq, Eq)]
#[serde(deny_unknown_fields, default)]
pub struct Limits {
    /// At most this many visitor-triggered mails per address (confirmations after registering again,
    /// cancellations, address-change mails, link mails) in `mail_window_hours`. 5: a person who
    /// cancels, registers again, changes their address and asks for their link once stays within it.
    pub mails_per_address: u32,
    /// The budget's window, in hours (24).
    pub mail_window_hours: u32,
    /// Registering again for the same meeting with the same address after cancelling: at most this many
    /// times per 24 hours (3); above it the form answers 429 and stores nothing.
    pub reregistrations_per_day: u32,
    /// Asking to move a registration to another address: at most this many times per registration per
    /// 24 hours (3). Each request mails the new address and the old one.
    pub moves_per_day: u32,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            mails_per_address: 5,
            mail_window_hours: 24,
            reregistrations_per_day: 3,
            moves_per_day: 3,
        }
    }
}

impl Limits {
    /// The budget's window in seconds.
    pub fn mail_window_seconds(&self) -> i64 {
        i64::from(self.mail_window_hours.max(1)) * 3600
    }
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Contact {
    pub organisation: String,
    pub email: String,
    #[serde(default)]
    pub phone: String,
    #[serde(default)]
    pub url: String,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct MenuItem {
    pub title: String,
    /// A content path such as `@/bijeenkomsten/_index.md`.
    pub page: String,
}

/// Central government's coordinated vulnerability disclosure (the NCSC takes reports for the ministries).
fn default_security_contact() -> String {
    "https://www.ncsc.nl/contact/kwetsbaarheid-melden".into()
}

fn default_cms_branch() -> String {
    "main".into()
}
fn default_cms_scope() -> String {
    "public_repo".into()
}
fn default_language() -> String {
    "nl".into()
}
fn default_endpoint() -> String {
    "/api/registrations".into()
}
fn default_registration_page() -> String {
    "@/aanmelden/_index.md".into()
}

/// A value that the configuration's types accept but its rules do not.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError {
    /// The key whose value is wrong.
    pub key: &'static str,
    pub message: Text,
    /// An example of a good value.
    pub hint: Msg,
}

impl Config {
    /// Checks what the types cannot (a full base URL, an endpoint under `/api/`, a retention of at least
    /// one day) and normalises the base URL.
    pub fn checked(mut self) -> Result<Config, ConfigError> {
        self.base_url = normalise_base_url(&self.base_url).map_err(|message| ConfigError {
            key: "base_url",
            message,
            hint: site::BASE_URL_HINT,
        })?;
        urls::check_registration_endpoint(&self.registration_endpoint).map_err(|message| {
            ConfigError {
                key: "registration_endpoint",
                message,
                hint: site::ENDPOINT_HINT,
            }
        })?;
        if self.retention_days == 0 {
            return Err(ConfigError {
                key: "retention_days",
                message: site::RETENTION_ZERO.into(),
                hint: site::RETENTION_HINT,
            });
        }
        let contact = self.security_contact.trim();
        let usable = |rest: Option<&str>| {
            rest.is_some_and(|r| !r.is_empty() && !r.contains(char::is_whitespace))
        };
        if !(usable(contact.strip_prefix("mailto:")) || usable(contact.strip_prefix("https://"))) {
            return Err(ConfigError {
                key: "security_contact",
                message: crate::text!(site::SECURITY_CONTACT_BAD, contact = self.security_contact),
                hint: site::SECURITY_CONTACT_HINT,
            });
        }
        self.security_contact = contact.to_string();
        if let Some(cms) = &mut self.cms {
            let (owner, name) = cms.repo.split_once('/').unwrap_or(("", ""));
            let part = |p: &str| {
                !p.is_empty()
                    && p.bytes()
                        .all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b))
            };
            if !part(owner) || !part(name) {
                return Err(ConfigError {
                    key: "cms.repo",
                    message: crate::text!(site::CMS_BAD_REPO, repo = cms.repo),
                    hint: site::CMS_REPO_HINT,
                });
            }
            if !cms.url.is_empty() {
                let url = normalise_base_url(&cms.url).map_err(|message| ConfigError {
                    key: "cms.url",
                    message,
                    hint: site::CMS_URL_HINT,
                })?;
                // Decap compares the popup's origin with `base_url` exactly: a path would never match.
                if url
                    .split_once("://")
                    .is_some_and(|(_, rest)| rest.contains('/'))
                {
                    return Err(ConfigError {
                        key: "cms.url",
                        message: crate::text!(site::CMS_URL_HAS_PATH, url = url),
                        hint: site::CMS_URL_HINT,
                    });
                }
                cms.url = url;
            }
            if !cms.api_root.is_empty() {
                cms.api_root =
                    normalise_base_url(&cms.api_root).map_err(|message| ConfigError {
                        key: "cms.api_root",
                        message,
                        hint: site::CMS_API_ROOT_HINT,
                    })?;
            }
            if !matches!(cms.auth_scope.as_str(), "public_repo" | "repo") {
                return Err(ConfigError {
                    key: "cms.auth_scope",
                    message: crate::text!(site::CMS_BAD_SCOPE, scope = cms.auth_scope),
                    hint: site::CMS_SCOPE_HINT,
                });
            }
        }
        Ok(self)
    }

    /// The host name of the base URL (used in calendar UIDs).
    pub fn host(&self) -> &str {
        urls::host(&self.base_url)
    }
}

/// Checks a base URL and drops its trailing slash.
pub fn normalise_base_url(url: &str) -> Result<String, Text> {
    let url = url.trim().trim_end_matches('/');
    let valid = (url.starts_with("https://") || url.starts_with("http://"))
        && url
            .split_once("://")
            .is_some_and(|(_, host)| !host.is_empty() && !host.contains(' '));
    if valid {
        Ok(url.to_string())
    } else {
        Err(crate::text!(site::BAD_BASE_URL, url = url))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(base_url: &str, endpoint: &str, retention_days: u32) -> Config {
        Config {
            title: "T".into(),
            description: String::new(),
            base_url: base_url.into(),
            language: default_language(),
            registration_endpoint: endpoint.into(),
            registration_page: default_registration_page(),
            retention_days,
            contact: Contact {
                organisation: "O".into(),
                email: "a@b.nl".into(),
                phone: String::new(),
                url: String::new(),
            },
            menu: Vec::new(),
            security_contact: default_security_contact(),
            email: EmailSettings::default(),
            limits: Limits::default(),
            cms: None,
        }
    }

    #[test]
    fn checks_name_the_key() {
        let good = config("https://example.nl/", "/api/registrations", 90).checked();
        assert_eq!(good.unwrap().base_url, "https://example.nl");
        let key = |c: Config| c.checked().unwrap_err().key;
        assert_eq!(
            key(config("example.nl", "/api/registrations", 90)),
            "base_url"
        );
        assert_eq!(
            key(config("https://example.nl", "/registrations", 90)),
            "registration_endpoint"
        );
        assert_eq!(
            key(config("https://example.nl", "/api/registrations", 0)),
            "retention_days"
        );
    }
}
