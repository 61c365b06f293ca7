//! The pages the handler renders (personal registration page, cancellation, the form with errors),
//! with the theme's Tera templates, so they look like the rest of the site.

use jiff::Timestamp;
use serde_json::{Value, json};
use std::collections::HashMap;
use std::path::Path;
use std::sync::{Arc, RwLock};
use tera::{Context, Tera};

use opp_site::config::Config;
use opp_site::views::{MenuView, SiteView};

use crate::meetings::MeetingRecord;

mod embedded {
    include!(concat!(env!("OUT_DIR"), "/embedded_theme.rs"));
}

pub struct Pages {
    tera: Tera,
    site: Value,
    registration_url: String,
}

/// Where the handler sends a form post that did not give a personal page (static pages of the site).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ResultPage {
    AlreadyRegistered,
    Closed,
    Failed,
    Received,
}

impl Pages {
    /// The theme and configuration compiled into the binary (production).
    pub fn embedded() -> Result<Pages, String> {
        let sources = embedded::TEMPLATES
            .iter()
            .map(|(n, t)| (n.to_string(), t.to_string()))
            .collect();
        Pages::new(sources, embedded::CONFIG)
    }

    /// The theme and configuration of a site folder on disk (local stack, so edits show at once).
    pub fn from_root(root: &Path) -> Result<Pages, String> {
        let dir = root.join("theme").join("templates");
        let files = opp_site::load::walk(&dir).map_err(|p| p.to_string())?;
        let mut sources = Vec::new();
        for file in files {
            let text = std::fs::read_to_string(&file.path)
                .map_err(|e| format!("{}: {e}", file.path.display()))?;
            sources.push((file.rel, text));
        }
        let config = std::fs::read_to_string(root.join("config.yaml"))
            .map_err(|e| format!("config.yaml: {e}"))?;
        Pages::new(sources, &config)
    }

    fn new(sources: Vec<(String, String)>, config_text: &str) -> Result<Pages, String> {
        let config =
            Config::parse(config_text, Path::new("config.yaml")).map_err(|p| p.to_string())?;
        let mut tera = opp_site::templates::from_sources(sources)
            .map_err(|e| format!("theme templates: {e}"))?;
        tera.register_function("asset", StaticAsset);
        tera.register_function("url_for", ContentUrl);
        let menu = config
            .menu
            .iter()
            .map(|item| MenuView {
                title: item.title.clone(),
                url: content_url(&item.page),
            })
            .collect();
        let registration_url = content_url(&config.registration_page);
        let site = serde_json::to_value(SiteView::new(&config, menu, registration_url.clone()))
            .map_err(|e| format!("site view: {e}"))?;
        Ok(Pages {
            tera,
            site,
            registration_url,
        })
    }

    pub fn result_url(&self, page: ResultPage) -> String {
        let slug = match page {
            ResultPage::AlreadyRegistered => "al-aangemeld",
            ResultPage::Closed => "gesloten",
            ResultPage::Failed => "mislukt",
            ResultPage::Received => "ontvangen",
        };
        format!("{}{slug}/", self.registration_url)
    }

    /// Renders `template` with the site, the meetings and `extra` variables.
    pub fn render(
        &self,
        template: &str,
        current_url: &str,
        meetings: &[MeetingRecord],
        now: Timestamp,
        extra: Vec<(&str, Value)>,
    ) -> Result<String, String> {
        let mut context = Context::new();
        context.insert("site", &self.site);
        context.insert(
            "meetings",
            &meetings
                .iter()
                .map(|m| meeting_view(m, now))
                .collect::<Vec<_>>(),
        );
        context.insert("build", &json!({ "time": now.to_string(), "year": now.to_zoned(jiff::tz::TimeZone::UTC).year() }));
        context.insert("current_url", current_url);
        context.insert("form", &json!({ "values": {}, "errors": [] }));
        for (key, value) in extra {
            context.insert(key, &value);
        }
        self.tera.render(template, &context).map_err(|err| {
            let mut text = err.to_string();
            let mut source = std::error::Error::source(&err);
            while let Some(cause) = source {
                text.push_str(": ");
                text.push_str(&cause.to_string());
                source = cause.source();
            }
            text
        })
    }
}

/// A meeting as templates see it (the same names as the generator's meeting view).
pub fn meeting_view(m: &MeetingRecord, now: Timestamp) -> Value {
    let status = m.status(now);
    json!({
        "id": m.id,
        "title": m.title,
        "url": m.path,
        "date": m.date,
        "date_label": m.date_label,
        "time_label": m.time_label,
        // Templates show the time only when it is known, as on the static pages.
        "start": m.time_label != opp_site::dates::time_label(None, None),
        "venue": { "name": m.venue_name, "address": m.venue_address, "postcode": m.venue_postcode, "city": m.city },
        "capacity": m.capacity,
        "places_left": m.places_left(),
        "status": status,
        "status_label": status.label(),
        "ics_url": m.ics_path,
    })
}

/// `@/aanmelden/_index.md` -> `/aanmelden/` (file-name URLs; `slug` overrides are not known here).
fn content_url(path: &str) -> String {
    let rel = path.strip_prefix("@/").unwrap_or(path);
    let (rel, fragment) = rel
        .split_once('#')
        .map_or((rel, None), |(r, f)| (r, Some(f)));
    let url = opp_site::site::page_url(rel, None).unwrap_or_else(|_| "/".into());
    match fragment {
        Some(fragment) => format!("{url}#{fragment}"),
        None => url,
    }
}

/// `asset(path=...)` on handler pages: the unhashed copy the generator also writes (served with a short cache).
struct StaticAsset;

impl tera::Function for StaticAsset {
    fn call(&self, args: &HashMap<String, Value>) -> tera::Result<Value> {
        match args.get("path").and_then(Value::as_str) {
            Some(path) => Ok(Value::String(format!("/{}", path.trim_start_matches('/')))),
            None => Err(tera::Error::msg("asset() needs path=\"...\"")),
        }
    }
    fn is_safe(&self) -> bool {
        true
    }
}

struct ContentUrl;

impl tera::Function for ContentUrl {
    fn call(&self, args: &HashMap<String, Value>) -> tera::Result<Value> {
        match args.get("path").and_then(Value::as_str) {
            Some(path) => Ok(Value::String(content_url(path))),
            None => Err(tera::Error::msg("url_for() needs path=\"...\"")),
        }
    }
    fn is_safe(&self) -> bool {
        true
    }
}

/// The pages the router renders with, replaceable while it serves: the local stack reloads them after a
/// theme edit, so the handler's pages preview like the static ones.
#[derive(Clone)]
pub struct SharedPages(Arc<RwLock<Arc<Pages>>>);

impl SharedPages {
    pub fn new(pages: Pages) -> Self {
        SharedPages(Arc::new(RwLock::new(Arc::new(pages))))
    }

    pub fn current(&self) -> Arc<Pages> {
        match self.0.read() {
            Ok(pages) => pages.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        }
    }

    pub fn replace(&self, pages: Pages) {
        match self.0.write() {
            Ok(mut current) => *current = Arc::new(pages),
            Err(poisoned) => *poisoned.into_inner() = Arc::new(pages),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn content_paths_become_urls() {
        assert_eq!(content_url("@/aanmelden/_index.md"), "/aanmelden/");
        assert_eq!(
            content_url("@/privacyverklaring.md#bewaren"),
            "/privacyverklaring/#bewaren"
        );
        assert_eq!(content_url("@/_index.md"), "/");
    }
}
