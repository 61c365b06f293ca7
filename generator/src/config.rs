//! The site configuration: `config.yaml` at the site root.

use serde::{Deserialize, Serialize};
use std::path::Path;

use crate::error::{Problem, io_problem};
use crate::yaml;

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
    #[serde(default)]
    pub menu: Vec<MenuItem>,
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

fn default_language() -> String {
    "nl".into()
}
fn default_endpoint() -> String {
    "/api/registrations".into()
}
fn default_registration_page() -> String {
    "@/aanmelden/_index.md".into()
}

impl Config {
    /// Reads and checks `config.yaml` in `root`.
    pub fn load(root: &Path) -> Result<Config, Problem> {
        let path = root.join(CONFIG_FILE);
        let text = std::fs::read_to_string(&path).map_err(|err| {
            io_problem(&path, "read the site configuration", &err)
                .with_hint("run opp-site in the site's folder, or pass --root DIR (the folder with config.yaml)")
        })?;
        Config::parse(&text, &path)
    }

    pub fn parse(text: &str, path: &Path) -> Result<Config, Problem> {
        let mut config: Config = yaml::parse(text, path, 1)?;
        let at_key = |key: &str, message: String| {
            let problem = Problem::in_file(path, message);
            match yaml::key_line(text, key) {
                Some(line) => problem.at_line(line + 1),
                None => problem,
            }
        };
        config.base_url = normalise_base_url(&config.base_url).map_err(|message| {
            at_key("base_url", message).with_hint("e.g. base_url: https://www.example.nl")
        })?;
        if let Err(message) =
            opp_model::urls::check_registration_endpoint(&config.registration_endpoint)
        {
            return Err(at_key("registration_endpoint", message)
                .with_hint("e.g. registration_endpoint: /api/registrations"));
        }
        if config.retention_days == 0 {
            return Err(at_key(
                "retention_days",
                "retention_days must be at least 1".into(),
            ));
        }
        Ok(config)
    }

    /// The host name of the base URL (used in calendar UIDs).
    pub fn host(&self) -> &str {
        opp_model::urls::host(&self.base_url)
    }
}

/// Checks a base URL and drops its trailing slash.
pub fn normalise_base_url(url: &str) -> Result<String, String> {
    let url = url.trim().trim_end_matches('/');
    let valid = (url.starts_with("https://") || url.starts_with("http://"))
        && url
            .split_once("://")
            .is_some_and(|(_, host)| !host.is_empty() && !host.contains(' '));
    if valid {
        Ok(url.to_string())
    } else {
        Err(format!(
            "base_url `{url}` must be a full address like https://www.example.nl"
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MINIMAL: &str = "title: T\nbase_url: https://example.nl/\nretention_days: 90\ncontact:\n  organisation: O\n  email: a@b.nl\n";

    #[test]
    fn defaults_and_normalising() {
        let config = Config::parse(MINIMAL, Path::new("config.yaml")).unwrap();
        assert_eq!(config.base_url, "https://example.nl");
        assert_eq!(config.registration_endpoint, "/api/registrations");
        assert_eq!(config.language, "nl");
        assert_eq!(config.host(), "example.nl");
    }

    #[test]
    fn bad_values_name_the_line() {
        let text = MINIMAL.replace("https://example.nl/", "example.nl");
        let err = Config::parse(&text, Path::new("config.yaml")).unwrap_err();
        assert_eq!(err.line, Some(2));
        let text = MINIMAL.replace("retention_days", "retension_days");
        let err = Config::parse(&text, Path::new("config.yaml")).unwrap_err();
        assert!(err.hint.unwrap().contains("retention_days"));
    }
}
