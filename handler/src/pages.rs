//! The pages the handler renders (personal registration page, cancellation, the form with errors),
//! with the theme's Tera templates, so they look like the rest of the site.

use jiff::Timestamp;
use serde_json::{Value, json};
use std::collections::{HashMap, HashSet};
use std::path::Path;
use std::sync::{Arc, RwLock};
use tera::{Context, Tera};

use opp_site::config::Config;
use opp_site::views::{MenuView, SiteView};

use crate::meetings::MeetingRecord;
use opp_model::urls::content_url;

mod embedded {
    include!(concat!(env!("OUT_DIR"), "/embedded_theme.rs"));
}

/// The theme templates the handler renders. Only these and what they extend, include or import are
/// parsed: the rest of the theme would only add to the function's cold start.
pub const RENDERED_TEMPLATES: [&str; 5] = [
    "registration.html",
    "registration_cancel.html",
    "registration_cancelled.html",
    "registration_form_errors.html",
    "registration_not_found.html",
];

pub struct Pages {
    tera: Tera,
    site: Value,
    registration_url: String,
    registration_endpoint: String,
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
        let sources = needed_templates(sources, &RENDERED_TEMPLATES);
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
            registration_endpoint: config.registration_endpoint.clone(),
        })
    }

    /// `registration_endpoint` from the configuration: where the form posts.
    pub fn registration_endpoint(&self) -> &str {
        &self.registration_endpoint
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

/// `sources` narrowed to `roots` and every template they reach through extends, include and import.
fn needed_templates(sources: Vec<(String, String)>, roots: &[&str]) -> Vec<(String, String)> {
    let texts: HashMap<&str, &str> = sources
        .iter()
        .map(|(name, text)| (name.as_str(), text.as_str()))
        .collect();
    let mut needed = HashSet::new();
    let mut queue: Vec<String> = roots.iter().map(|name| name.to_string()).collect();
    while let Some(name) = queue.pop() {
        if needed.contains(&name) {
            continue;
        }
        if let Some(text) = texts.get(name.as_str()) {
            queue.extend(template_references(text));
        }
        needed.insert(name);
    }
    sources
        .into_iter()
        .filter(|(name, _)| needed.contains(name))
        .collect()
}

/// The template names quoted in `{% extends %}`, `{% include %}` and `{% import %}` tags. Comments and
/// `{{ }}` expressions are stepped over whole, so a `{%` inside them does not hide the tag after them.
fn template_references(text: &str) -> Vec<String> {
    let mut names = Vec::new();
    let mut rest = text;
    while let Some(open) = rest.find('{') {
        let after = &rest[open + 1..];
        let closing = match after.as_bytes().first() {
            Some(b'%') => "%}",
            Some(b'#') => "#}",
            Some(b'{') => "}}",
            _ => {
                rest = after;
                continue;
            }
        };
        let Some(close) = after[1..].find(closing) else {
            break;
        };
        let tag = after[1..1 + close].trim_start_matches('-').trim_start();
        if closing == "%}"
            && ["extends", "include", "import"]
                .iter()
                .any(|keyword| tag.starts_with(keyword))
        {
            names.extend(quoted_strings(tag));
        }
        rest = &after[1 + close + closing.len()..];
    }
    names
}

/// The strings between `"`, `'` or `` ` `` quotes (Tera's three kinds) in a tag.
fn quoted_strings(tag: &str) -> Vec<String> {
    let mut strings = Vec::new();
    let mut rest = tag;
    while let Some(start) = rest.find(['"', '\'', '`']) {
        let quote = &rest[start..start + 1];
        let after = &rest[start + 1..];
        let Some(end) = after.find(quote) else {
            break;
        };
        strings.push(after[..end].to_string());
        rest = &after[end + 1..];
    }
    strings
}

/// `asset(path=...)` on handler pages: the unhashed copy the generator also writes (served with a short cache).
struct StaticAsset;

impl tera::Function for StaticAsset {
    fn call(&self, args: &HashMap<String, Value>) -> tera::Result<Value> {
        match args.get("path").and_then(Value::as_str) {
            Some(path) => Ok(Value::String(opp_model::urls::static_asset_url(path))),
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
    fn only_rendered_templates_and_what_they_use_are_parsed() {
        let source = |name: &str, text: &str| (name.to_string(), text.to_string());
        let sources = vec![
            source(
                "base.html",
                "{% import 'macros.html' as m %}<main>{% block main %}{% endblock %}</main>",
            ),
            source("macros.html", "{% import 'base.html' as cycle %}"),
            source(
                "registration.html",
                "{% extends \"base.html\" %}{%- include \"partials/form.html\" -%}",
            ),
            source("partials/form.html", "<form></form>"),
            source(
                "index.html",
                "{% extends \"base.html\" %}{% include \"partials/list.html\" %}",
            ),
            source("partials/list.html", "<ul></ul>"),
            source(
                "registration_cancel.html",
                "{# not {% here #}{{ \"{%\" }}{% extends `base.html` %}{% include [\"partials/it's.html\", 'partials/b.html'] ignore missing %}",
            ),
            source("partials/it's.html", ""),
            source("partials/b.html", ""),
        ];
        let kept = |roots: &[&str]| {
            let mut names: Vec<String> = needed_templates(sources.clone(), roots)
                .into_iter()
                .map(|(name, _)| name)
                .collect();
            names.sort();
            names
        };
        assert_eq!(
            kept(&["registration.html"]),
            [
                "base.html",
                "macros.html",
                "partials/form.html",
                "registration.html"
            ]
        );
        assert_eq!(
            kept(&["registration_cancel.html"]),
            [
                "base.html",
                "macros.html",
                "partials/b.html",
                "partials/it's.html",
                "registration_cancel.html"
            ]
        );
    }

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
}
