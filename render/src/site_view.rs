//! The `site` variable every template gets (docs/theme-contract.md): the configuration with the menu and
//! the registration page resolved to URLs.

use serde::Serialize;

use opp_model::config::{Config, Contact};
use opp_model::urls;

#[derive(Debug, Serialize)]
pub struct MenuView {
    pub title: String,
    pub url: String,
}

#[derive(Debug, Serialize)]
pub struct SiteView<'a> {
    pub title: &'a str,
    pub description: &'a str,
    pub base_url: &'a str,
    pub language: &'a str,
    pub registration_endpoint: &'a str,
    pub retention_days: u32,
    pub contact: &'a Contact,
    pub menu: Vec<MenuView>,
    pub registration_url: String,
    pub registration_qr_url: String,
    /// Where "Link kwijt?" posts (`opp_model::urls::LINKS_API`).
    pub links_endpoint: &'static str,
    /// Places left per meeting (`opp_model::urls::MEETINGS_API`), for the places-left script.
    pub meetings_endpoint: &'static str,
}

impl<'a> SiteView<'a> {
    /// The view with menu and registration page already resolved (the generator knows every page's URL).
    pub fn new(config: &'a Config, menu: Vec<MenuView>, registration_url: String) -> Self {
        SiteView {
            title: &config.title,
            description: &config.description,
            base_url: &config.base_url,
            language: &config.language,
            registration_endpoint: &config.registration_endpoint,
            retention_days: config.retention_days,
            contact: &config.contact,
            registration_qr_url: format!("{registration_url}qr.svg"),
            links_endpoint: opp_model::urls::LINKS_API,
            meetings_endpoint: opp_model::urls::MEETINGS_API,
            menu,
            registration_url,
        }
    }

    /// The view from the URL rules alone (the handler, which has no content; `slug:` overrides in front
    /// matter are not seen).
    pub fn from_rules(config: &'a Config) -> Self {
        let menu = config
            .menu
            .iter()
            .map(|item| MenuView {
                title: item.title.clone(),
                url: urls::content_url(&item.page),
            })
            .collect();
        SiteView::new(config, menu, urls::content_url(&config.registration_page))
    }
}
