//! Every path the handler answers, from one table fed by `registration_endpoint` in `config.yaml` (the
//! form's `action`), so the router, the redirects and the pages' links cannot disagree. [`Endpoint::ALL`]
//! is the whole list of method and path pairs: the function's router is built from it, and a test holds
//! the HTTP API's routes in `infra/template.yaml` to it exactly (`handler/tests/it/api_routes.rs`).

use crate::urls::{LINKS_API, MEETINGS_API, MOVE_API, check_registration_endpoint};

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

    /// Where the new address confirms an address move: `GET` asks, `POST` moves.
    pub fn confirm_move(&self, move_token: &str) -> String {
        format!("{MOVE_API}/{move_token}")
    }
}

/// One thing the registration function answers: a method on a path pattern (`{token}` stands for a link
/// token, in the syntax both axum and API Gateway use).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Endpoint {
    /// `GET` on the registrations path: no page (a token travels in the path, never in a query string).
    NoPersonalPage,
    /// `POST` registers.
    Register,
    PersonalPage,
    CancelConfirmation,
    Cancel,
    Cancelled,
    DetailsForm,
    ChangeDetails,
    DetailsChanged,
    Calendar,
    Meetings,
    RequestLinks,
    /// `GET` on a move's confirmation link: asks the new address to confirm (changes nothing).
    MoveConfirmation,
    /// `POST` there: moves the registration to the new address.
    ConfirmMove,
}

impl Endpoint {
    /// Every endpoint; on a path with two methods the `GET` first (the order of a 405's `Allow` header).
    pub const ALL: [Endpoint; 14] = [
        Endpoint::NoPersonalPage,
        Endpoint::Register,
        Endpoint::PersonalPage,
        Endpoint::CancelConfirmation,
        Endpoint::Cancel,
        Endpoint::Cancelled,
        Endpoint::DetailsForm,
        Endpoint::ChangeDetails,
        Endpoint::DetailsChanged,
        Endpoint::Calendar,
        Endpoint::Meetings,
        Endpoint::RequestLinks,
        Endpoint::MoveConfirmation,
        Endpoint::ConfirmMove,
    ];

    /// `GET` or `POST`.
    pub fn method(self) -> &'static str {
        match self {
            Endpoint::Register
            | Endpoint::Cancel
            | Endpoint::ChangeDetails
            | Endpoint::RequestLinks
            | Endpoint::ConfirmMove => "POST",
            Endpoint::NoPersonalPage
            | Endpoint::PersonalPage
            | Endpoint::CancelConfirmation
            | Endpoint::Cancelled
            | Endpoint::DetailsForm
            | Endpoint::DetailsChanged
            | Endpoint::Calendar
            | Endpoint::Meetings
            | Endpoint::MoveConfirmation => "GET",
        }
    }

    /// The path pattern under these routes.
    pub fn path(self, routes: &Routes) -> String {
        const TOKEN: &str = "{token}";
        match self {
            Endpoint::Register | Endpoint::NoPersonalPage => routes.registrations().to_string(),
            Endpoint::PersonalPage => routes.personal_page(TOKEN),
            Endpoint::CancelConfirmation | Endpoint::Cancel => routes.cancel(TOKEN),
            Endpoint::Cancelled => routes.cancelled(TOKEN),
            Endpoint::DetailsForm | Endpoint::ChangeDetails => routes.details(TOKEN),
            Endpoint::DetailsChanged => routes.details_changed(TOKEN),
            Endpoint::Calendar => routes.calendar(TOKEN),
            Endpoint::Meetings => routes.meetings().to_string(),
            Endpoint::RequestLinks => routes.links().to_string(),
            Endpoint::MoveConfirmation | Endpoint::ConfirmMove => routes.confirm_move(TOKEN),
        }
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
        assert_eq!(
            Endpoint::PersonalPage.path(&routes),
            "/api/aanmelden/{token}"
        );
        assert_eq!(routes.meetings(), "/api/meetings");
    }

    #[test]
    fn the_endpoint_table_has_each_method_and_path_once() {
        let routes = Routes::new("/api/registrations").unwrap();
        let pairs: Vec<(&str, String)> = Endpoint::ALL
            .iter()
            .map(|e| (e.method(), e.path(&routes)))
            .collect();
        let unique: std::collections::BTreeSet<_> = pairs.iter().collect();
        assert_eq!(unique.len(), pairs.len(), "{pairs:?}");
        assert!(pairs.contains(&("POST", "/api/registrations/{token}/gegevens".into())));
        assert!(pairs.iter().all(|(_, path)| path.starts_with("/api/")));
    }

    #[test]
    fn an_endpoint_outside_the_api_is_refused() {
        assert!(Routes::new("/aanmelden").is_err());
    }
}
