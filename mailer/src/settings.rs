//! What the mailer knows of the site: its name, where it lives (links in emails are absolute), the
//! registration routes, the sender, and the parsed email templates. From the configuration and templates
//! compiled in, or a site folder on disk (`cargo dev`, so wording edits show at once).

use std::path::Path;

use opp_model::config::{CONFIG_FILE, Config};
use opp_model::routes::Routes;
use opp_render::emails::{EMAILS_DIR, Emails, read_email_templates};
use opp_render::embedded;

/// A sender or recipient: a display name (may be empty) and an address.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mailbox {
    pub name: String,
    pub address: String,
}

impl Mailbox {
    /// `Name <address>` or a bare `address`.
    pub fn parse(text: &str) -> Result<Mailbox, String> {
        let text = text.trim();
        let (name, address) = match (text.rfind('<'), text.ends_with('>')) {
            (Some(open), true) => (
                text[..open].trim().trim_matches('"').to_string(),
                text[open + 1..text.len() - 1].trim().to_string(),
            ),
            _ => (String::new(), text.to_string()),
        };
        let valid = address.split_once('@').is_some_and(|(local, domain)| {
            !local.is_empty() && domain.contains('.') && !address.contains(char::is_whitespace)
        });
        if !valid {
            return Err(format!(
                "MAIL_FROM {text:?} is not an address: use e.g. \"Landelijk OPP Project <noreply@example.nl>\""
            ));
        }
        Ok(Mailbox { name, address })
    }
}

pub struct Site {
    pub title: String,
    /// Without a trailing slash: `https://www.example.nl`.
    pub base_url: String,
    pub host: String,
    pub routes: Routes,
    /// The registration page (absolute).
    pub register_url: String,
    pub from: Mailbox,
    pub emails: Emails,
    /// `email:` of config.yaml.
    pub email: opp_model::config::EmailSettings,
    /// `limits:` of config.yaml: the budget link emails count against.
    pub limits: opp_model::config::Limits,
}

impl Site {
    /// The configuration and templates compiled into the binary. `base_url` overrides the configuration's
    /// (`SITE_URL`: a stack without its own domain yet, or the local preview's port).
    pub fn embedded(base_url: Option<&str>, from: Mailbox) -> Result<Site, String> {
        let sources = embedded::email_sources();
        Site::new(embedded::CONFIG, sources, base_url, from)
    }

    /// The configuration and templates of a site folder.
    pub fn from_root(root: &Path, base_url: Option<&str>, from: Mailbox) -> Result<Site, String> {
        let config = std::fs::read_to_string(root.join(CONFIG_FILE))
            .map_err(|e| format!("{CONFIG_FILE}: {e}"))?;
        let sources = read_email_templates(&root.join(EMAILS_DIR))?;
        Site::new(&config, sources, base_url, from)
    }

    fn new(
        config_text: &str,
        sources: Vec<(String, String)>,
        base_url: Option<&str>,
        from: Mailbox,
    ) -> Result<Site, String> {
        let config: Config = serde_yaml::from_str::<Config>(config_text)
            .map_err(|e| format!("{CONFIG_FILE}: {e}"))?
            .checked()
            .map_err(|e| format!("{CONFIG_FILE}: {}", e.message))?;
        let emails = Emails::from_sources(sources)
            .map_err(|problems| opp_render::emails::describe(&problems))?;
        let facts = opp_render::emails::SiteFacts::from_config(&config, base_url)?;
        let host = opp_model::urls::host(&facts.base_url).to_string();
        Ok(Site {
            title: facts.title,
            register_url: facts.register_url,
            routes: Routes::new(&config.registration_endpoint)?,
            base_url: facts.base_url,
            host,
            from,
            emails,
            email: config.email.clone(),
            limits: config.limits.clone(),
        })
    }

    /// An absolute URL on the site for a root-relative path.
    pub fn url(&self, path: &str) -> String {
        self.email_site().url(path)
    }

    /// What the emails say of the site (shared with the back office's preview of a message).
    pub fn email_site(&self) -> opp_render::emails::EmailSite<'_> {
        opp_render::emails::EmailSite {
            title: &self.title,
            base_url: &self.base_url,
            register_url: &self.register_url,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn senders_are_read_or_explained() {
        let from = Mailbox::parse("Landelijk OPP Project <noreply@example.nl>").unwrap();
        assert_eq!(from.name, "Landelijk OPP Project");
        assert_eq!(from.address, "noreply@example.nl");
        assert_eq!(Mailbox::parse("a@example.nl").unwrap().name, "");
        assert!(Mailbox::parse("niemand").unwrap_err().contains("MAIL_FROM"));
    }

    #[test]
    fn the_embedded_site_has_absolute_links() {
        let from = Mailbox::parse("noreply@example.nl").unwrap();
        let site = Site::embedded(Some("http://127.0.0.1:8080/"), from).unwrap();
        assert_eq!(site.base_url, "http://127.0.0.1:8080");
        assert!(
            site.register_url.starts_with("http://127.0.0.1:8080/"),
            "{}",
            site.register_url
        );
        assert_eq!(site.url("/x/"), "http://127.0.0.1:8080/x/");
    }
}
