//! The pages the handler renders (personal registration page, cancellation, the form with errors),
//! with the theme's Tera templates, so they look like the rest of the site.

use jiff::Timestamp;
use serde_json::{Value, json};
use std::path::Path;
use std::sync::{Arc, RwLock};
use tera::{Context, Tera};

use opp_model::config::{CONFIG_FILE, Config};
use opp_render::functions::{self, Urls};
use opp_render::site_view::SiteView;
use opp_render::theme::{needed_templates, read_templates};

use opp_model::records::MeetingRecord;

mod embedded {
    include!(concat!(env!("OUT_DIR"), "/embedded_theme.rs"));
}

/// The theme templates the handler renders. Only these and what they extend, include or import are
/// parsed: the rest of the theme would only add to the function's cold start.
pub const RENDERED_TEMPLATES: [&str; 9] = [
    "registration.html",
    "registration_cancel.html",
    "registration_cancelled.html",
    "registration_changed.html",
    "registration_details.html",
    "registration_form_errors.html",
    "registration_move.html",
    "registration_not_found.html",
    "registration_refused.html",
];

pub struct Pages {
    tera: Tera,
    site: Value,
    registration_url: String,
    registration_endpoint: String,
    /// The site's host and base URL (`base_url` in config.yaml): calendar UIDs and links.
    host: String,
    base_url: String,
    limits: opp_model::config::Limits,
}

/// Where the handler sends a form post that did not give a personal page (static pages of the site).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ResultPage {
    AlreadyRegistered,
    Closed,
    Failed,
    Received,
    /// "Link kwijt?" was asked: the neutral answer, whether the address is known or not.
    LinkRequested,
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
        let sources = read_templates(&root.join("theme").join("templates"))?;
        let config = std::fs::read_to_string(root.join(CONFIG_FILE))
            .map_err(|e| format!("{CONFIG_FILE}: {e}"))?;
        Pages::new(sources, &config)
    }

    fn new(sources: Vec<(String, String)>, config_text: &str) -> Result<Pages, String> {
        // The generator checked the same file with file:line errors; here a short message suffices.
        let config: Config = serde_yaml::from_str::<Config>(config_text)
            .map_err(|e| format!("{CONFIG_FILE}: {e}"))?
            .checked()
            .map_err(|e| format!("{CONFIG_FILE}: {}", e.message))?;
        let sources = needed_templates(sources, &RENDERED_TEMPLATES);
        let mut tera = opp_render::theme::from_sources(sources)
            .map_err(|e| format!("theme templates: {}", opp_render::error_chain(&e)))?;
        functions::register(&mut tera, Urls::Rules);
        let site_view = SiteView::from_rules(&config);
        let registration_url = site_view.registration_url.clone();
        let site = serde_json::to_value(site_view).map_err(|e| format!("site view: {e}"))?;
        Ok(Pages {
            tera,
            site,
            registration_url,
            registration_endpoint: config.registration_endpoint.clone(),
            host: config.host().to_string(),
            base_url: config.base_url.clone(),
            limits: config.limits.clone(),
        })
    }

    /// `limits:` from the configuration: the mails a visitor can trigger, registering again.
    pub fn limits(&self) -> &opp_model::config::Limits {
        &self.limits
    }

    /// `registration_endpoint` from the configuration: where the form posts.
    pub fn registration_endpoint(&self) -> &str {
        &self.registration_endpoint
    }

    pub fn host(&self) -> &str {
        &self.host
    }

    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    pub fn result_url(&self, page: ResultPage) -> String {
        let slug = match page {
            ResultPage::AlreadyRegistered => "al-aangemeld",
            ResultPage::Closed => "gesloten",
            ResultPage::Failed => "mislukt",
            ResultPage::Received => "ontvangen",
            ResultPage::LinkRequested => "link-onderweg",
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
        opp_render::render(&self.tera, template, &context)
    }
}

/// A meeting as templates see it: the names and shapes of the generator's meeting view (`start` and
/// `end` are `"13:00"` or null, `starts_at`/`ends_at` RFC 3339 in Amsterdam time).
pub fn meeting_view(m: &MeetingRecord, now: Timestamp) -> Value {
    let status = m.status(now);
    let local = |seconds: Option<i64>| {
        seconds
            .and_then(|s| Timestamp::from_second(s).ok())
            .map(|t| t.to_zoned(opp_model::zone::amsterdam()))
    };
    let (starts, ends) = (local(m.starts_at), local(m.ends_at));
    let clock = |z: &Option<jiff::Zoned>| z.as_ref().map(|z| z.strftime("%H:%M").to_string());
    let rfc3339 = |z: &Option<jiff::Zoned>| {
        z.as_ref()
            .map(|z| z.strftime("%Y-%m-%dT%H:%M:%S%:z").to_string())
    };
    json!({
        "id": m.id,
        "title": m.title,
        "url": m.path,
        "date": m.date,
        "date_label": m.date_label,
        "time_label": m.time_label,
        "start": clock(&starts),
        "end": clock(&ends),
        "starts_at": rfc3339(&starts),
        "ends_at": rfc3339(&ends),
        "venue": { "name": m.venue_name, "address": m.venue_address, "postcode": m.venue_postcode, "city": m.city, "route": m.venue_route },
        "capacity": m.capacity,
        "places_left": m.places_left(),
        "status": status,
        "status_label": status.label(),
        "ics_url": m.ics_path,
    })
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
    fn the_embedded_theme_has_every_rendered_template() {
        let sources: Vec<(String, String)> = embedded::TEMPLATES
            .iter()
            .map(|(n, t)| (n.to_string(), t.to_string()))
            .collect();
        let kept = needed_templates(sources.clone(), &RENDERED_TEMPLATES);
        for name in RENDERED_TEMPLATES {
            assert!(
                kept.iter().any(|(n, _)| n == name),
                "{name} is missing from the theme"
            );
        }
        assert!(
            kept.len() < sources.len(),
            "pages the handler never renders are still parsed"
        );
        Pages::embedded().expect("the narrowed theme parses");
    }

    #[test]
    fn meeting_times_have_the_generators_shape() {
        let at = |text: &str| text.parse::<Timestamp>().unwrap().as_second();
        // The sample meeting: 13.00 to 16.30 on 10 March 2030, 10 seats of which 3 taken.
        let meeting = opp_store::testkit::sample::meeting("2030-03-zwolle")
            .capacity(10)
            .with(|m| m.confirmed = 3)
            .build();
        let view = meeting_view(
            &meeting,
            Timestamp::from_second(at("2030-01-01T00:00:00Z")).unwrap(),
        );
        assert_eq!(view["start"], "13:00");
        assert_eq!(view["end"], "16:30");
        assert_eq!(view["starts_at"], "2030-03-10T13:00:00+01:00");
        assert_eq!(view["places_left"], 7);
        let untimed = opp_store::testkit::sample::meeting("2030-03-zwolle")
            .untimed()
            .build();
        assert_eq!(
            meeting_view(&untimed, Timestamp::UNIX_EPOCH)["start"],
            Value::Null
        );
    }
}
