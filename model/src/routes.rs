//! Every path the handler answers, from one table fed by `registration_endpoint` in `config.yaml` (the
//! form's `action`), so the router, the redirects and the pages' links cannot disagree.

use crate::urls::{LINKS_API, MEETINGS_API, check_registration_endpoint};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Routes {
    registrations: String,
}

impl Routes {
    /// The routes for this registration endpoint; refused unless it lies under `/api/`.
    pub fn new(registration_endpoint: &str) -> Result<Routes, String> {
        check_registration_endpoint(registration_endpoint).map_err(|err| err.to_string())?;
        Ok(Routes {
            registrations: registration_endpoint.to_string(),
        })
    }

    /// `POST` registers (a `GET` finds no page: tokens travel in the path only).
    pub fn registrations(&self) -> &str {
        &self.registrations
    }

    /// The personal page behind a link token.
    pub fn personal_page(&self, token: &str) -> String {
        format!("{}/{token}", self.registrations)
    }

    /// `GET` asks to confirm, `POST` cancels.
    pub fn cancel(&self, token: &str) -> String {
        format!("{}/cancel", self.personal_page(token))
    }

    /// The page a cancellation redirects to (`GET`, so a reload asks nothing: Post/Redirect/Get).
    pub fn cancelled(&self, token: &str) -> String {
        format!("{}/afgemeld", self.personal_page(token))
    }

    /// `GET` shows the details form ("Gegevens wijzigen"), `POST` stores the corrections.
    pub fn details(&self, token: &str) -> String {
        format!("{}/gegevens", self.personal_page(token))
    }

    /// The personal page a stored correction redirects to, with a notice that it was stored.
    pub fn details_changed(&self, token: &str) -> String {
        format!("{}/gewijzigd", self.personal_page(token))
    }

    /// The registration's own calendar file (a seat only).
    pub fn calendar(&self, token: &str) -> String {
        format!("{}/agenda.ics", self.personal_page(token))
    }

    pub fn meetings(&self) -> &'static str {
        MEETINGS_API
    }

    /// `POST` asks for an address's personal links by email ("Link kwijt?").
    pub fn links(&self) -> &'static str {
        LINKS_API
    }

    /// The router's pattern for [`Routes::personal_page`].
    pub fn personal_page_pattern(&self) -> String {
        self.personal_page("{token}")
    }

    /// The router's pattern for [`Routes::cancel`].
    pub fn cancel_pattern(&self) -> String {
        self.cancel("{token}")
    }

    /// The router's pattern for [`Routes::calendar`].
    pub fn calendar_pattern(&self) -> String {
        self.calendar("{token}")
    }

    /// The router's pattern for [`Routes::details`].
    pub fn details_pattern(&self) -> String {
        self.details("{token}")
    }

    /// The router's pattern for [`Routes::details_changed`].
    pub fn details_changed_pattern(&self) -> String {
        self.details_changed("{token}")
    }

    /// The router's pattern for [`Routes::cancelled`].
    pub fn cancelled_pattern(&self) -> String {
        self.cancelled("{token}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_path_follows_the_endpoint() {
        let routes = Routes::new("/api/aanmelden").unwrap();
        assert_eq!(routes.registrations(), "/api/aanmelden");
        assert_eq!(routes.personal_page("abc"), "/api/aanmelden/abc");
        assert_eq!(routes.cancel("abc"), "/api/aanmelden/abc/cancel");
        assert_eq!(routes.cancelled("abc"), "/api/aanmelden/abc/afgemeld");
        assert_eq!(routes.calendar("abc"), "/api/aanmelden/abc/agenda.ics");
        assert_eq!(routes.details("abc"), "/api/aanmelden/abc/gegevens");
        assert_eq!(
            routes.details_changed("abc"),
            "/api/aanmelden/abc/gewijzigd"
        );
        assert_eq!(routes.personal_page_pattern(), "/api/aanmelden/{token}");
        assert_eq!(routes.meetings(), "/api/meetings");
    }

    #[test]
    fn an_endpoint_outside_the_api_is_refused() {
        assert!(Routes::new("/aanmelden").is_err());
    }
}
