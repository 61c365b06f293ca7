//! The preview of an organiser's message: rendered with the mailer's own templates, view builder and site
//! facts (`opp_render::embedded`, `EmailSite::message`, config.yaml compiled in), so the organiser sees the
//! mail as it will be sent. Only the personal links are examples: the mailer makes each recipient's own.

use opp_model::config::Config;
use opp_model::records::MeetingRecord;
use opp_model::routes::Routes;
use opp_render::emails::{EmailMessage, Emails, Rendered, SiteFacts};
use opp_render::embedded;

/// The token the example links carry (never a registration's: those are made per recipient when sending).
const EXAMPLE_TOKEN: &str = "voorbeeld";

pub struct MailPreview {
    emails: Emails,
    facts: SiteFacts,
    routes: Routes,
}

impl MailPreview {
    /// From the configuration and templates compiled in; `site_url` as the mailer's `SITE_URL`.
    pub fn embedded(site_url: Option<&str>) -> Result<MailPreview, String> {
        let config: Config = serde_yaml::from_str::<Config>(embedded::CONFIG)
            .map_err(|e| format!("config.yaml: {e}"))?
            .checked()
            .map_err(|e| format!("config.yaml: {}", e.message))?;
        let sources = embedded::email_sources();
        let emails = Emails::from_sources(sources)
            .map_err(|problems| opp_render::emails::describe(&problems))?;
        Ok(MailPreview {
            emails,
            facts: SiteFacts::from_config(&config, site_url)?,
            routes: Routes::new(&config.registration_endpoint)?,
        })
    }

    /// The `message` mail to `name` about `meeting`, as the mailer renders it.
    pub fn render(
        &self,
        name: &str,
        meeting: &MeetingRecord,
        subject: &str,
        text: &str,
    ) -> Result<Rendered, String> {
        let site = self.facts.email_site();
        let links = (
            site.url(&self.routes.personal_page(EXAMPLE_TOKEN)),
            site.url(&self.routes.cancel(EXAMPLE_TOKEN)),
        );
        let view = site.message(name, meeting, Some(links), EmailMessage::new(subject, text));
        self.emails.render(&view).map_err(|e| e.to_string())
    }
}
