//! The editing screen (Decap CMS), built into `admin/` and served on its own origin (`cms.url`, never the
//! public site's): its `config.yml`, made from the same content model the
//! build checks (front matter and `meeting:`), with the generator's own formats as patterns and Dutch
//! hints from the message catalogue, so the screen cannot offer a field a build refuses. And its
//! `index.html`, the one page that loads a script bundle (`decap/decap-cms.js`, pinned in `cms/`).

use opp_model::config::CmsSettings;
use opp_model::messages::{Lang, Msg, site};
use serde_yaml::{Mapping, Value};

/// Where the editing screen lives in the built site (published to its own bucket, not the site's).
pub const ADMIN_DIR: &str = opp_model::cdn::EDITING_SCREEN_DIR;

/// The editing screen's host name in `cargo dev --cms` (browsers resolve `*.localhost` to loopback). Decap
/// uses a local backend only on hosts it is told of.
pub const LOCAL_EDITING_HOST: &str = "redactie.localhost";

/// Decap's `auth_endpoint`: the editors' sign-in route below the screen's origin (`opp_editors::http::AUTH_PATH`
/// without its slash; `editors/tests` holds them together).
pub const AUTH_ENDPOINT: &str = "oauth/auth";

/// Where Decap's bundle is served from, below `/admin/`: copied there from `cms/node_modules` by
/// `infra/publish-content.sh`, and served from there by `cargo dev --cms`.
pub const BUNDLE_PATH: &str = "decap/decap-cms.js";

/// Which backend the screen saves through.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CmsBackend {
    /// GitHub: every change a pull request (`editorial_workflow`), checked by CI before it is merged.
    GitHub,
    /// `cargo dev --cms`: decap-server writes straight into `content/` (`local_backend`).
    Local { url: String },
}

/// One field of a collection, as the generator reads it.
#[derive(Debug, Clone, Copy)]
pub struct Field {
    pub name: &'static str,
    pub label: &'static str,
    pub widget: Widget,
    pub required: bool,
}

#[derive(Debug, Clone, Copy)]
pub enum Widget {
    Text,
    /// Text in the generator's format: (regular expression, the hint shown when it does not match).
    Format(&'static str, Msg),
    /// A whole number of at least this.
    Number(u32),
    Boolean,
    Markdown,
    /// A nested object (`meeting:`).
    Object(&'static [Field]),
    /// Not shown; new entries get this value.
    Hidden(&'static str),
}

const fn field(name: &'static str, label: &'static str, widget: Widget, required: bool) -> Field {
    Field {
        name,
        label,
        widget,
        required,
    }
}

/// The generator's formats, as the browser checks them (JavaScript regular expressions).
pub const ID_PATTERN: &str = "^[a-z0-9-]{1,64}$";
pub const DATE_PATTERN: &str = "^[0-9]{4}-[0-9]{2}-[0-9]{2}$";
pub const TIME_PATTERN: &str = "^([01]?[0-9]|2[0-3]):[0-5][0-9]$";
pub const DATE_TIME_PATTERN: &str =
    "^[0-9]{4}-[0-9]{2}-[0-9]{2}( ([01]?[0-9]|2[0-3]):[0-5][0-9])?$";
pub const URL_PATTERN: &str = "^https?://[^ ]+$";

/// `meeting:` in a meeting page's front matter (`crate::meeting::MeetingFront`).
pub const MEETING_FIELDS: &[Field] = &[
    field(
        "id",
        "Id (vast, voor het aanmelden)",
        Widget::Format(ID_PATTERN, site::CMS_HINT_MEETING_ID),
        true,
    ),
    field(
        "date",
        "Datum",
        Widget::Format(DATE_PATTERN, site::CMS_HINT_DATE),
        true,
    ),
    field(
        "start",
        "Begintijd",
        Widget::Format(TIME_PATTERN, site::CMS_HINT_TIME),
        false,
    ),
    field(
        "end",
        "Eindtijd",
        Widget::Format(TIME_PATTERN, site::CMS_HINT_TIME),
        false,
    ),
    field("venue", "Locatie (naam van het gebouw)", Widget::Text, true),
    field("address", "Adres", Widget::Text, false),
    field("postcode", "Postcode", Widget::Text, false),
    field("city", "Plaats", Widget::Text, true),
    field(
        "route",
        "Route (webadres)",
        Widget::Format(URL_PATTERN, site::CMS_HINT_ROUTE),
        false,
    ),
    field("capacity", "Aantal plaatsen", Widget::Number(1), true),
    field(
        "waitlist_capacity",
        "Plaatsen op de wachtlijst (leeg: twee keer het aantal plaatsen)",
        Widget::Number(0),
        false,
    ),
    field(
        "registration_opens",
        "Aanmelden kan vanaf",
        Widget::Format(DATE_TIME_PATTERN, site::CMS_HINT_DATE_TIME),
        false,
    ),
    field(
        "registration_closes",
        "Aanmelden sluit op (leeg: als de bijeenkomst begint)",
        Widget::Format(DATE_TIME_PATTERN, site::CMS_HINT_DATE_TIME),
        false,
    ),
    field("called_off", "Gaat niet door", Widget::Boolean, false),
    field(
        "called_off_reason",
        "Waarom gaat de bijeenkomst niet door?",
        Widget::Text,
        false,
    ),
];

/// The template of meeting pages (the generator's default for a page with `meeting:`), written into each
/// meeting's front matter: Decap's list of meetings shows the files that have it, and so leaves the
/// section's own page (`_index.md`) out. Decap can only filter on a field's value.
pub const MEETING_TEMPLATE: &str = "meeting.html";

/// A meeting page: front matter with `meeting:`, and its text.
pub const MEETING_PAGE_FIELDS: &[Field] = &[
    field("title", "Titel", Widget::Text, true),
    field("description", "Korte beschrijving", Widget::Text, false),
    field(
        "template",
        "Sjabloon",
        Widget::Hidden(MEETING_TEMPLATE),
        true,
    ),
    field(
        "meeting",
        "De bijeenkomst",
        Widget::Object(MEETING_FIELDS),
        true,
    ),
    field("body", "Tekst", Widget::Markdown, false),
];

/// A plain page.
pub const PAGE_FIELDS: &[Field] = &[
    field("title", "Titel", Widget::Text, true),
    field("description", "Korte beschrijving", Widget::Text, false),
    field(
        "weight",
        "Volgorde (lager komt eerder)",
        Widget::Number(0),
        false,
    ),
    field("body", "Tekst", Widget::Markdown, false),
];

/// One collection of the screen: a content folder and its fields.
pub struct Collection {
    pub name: &'static str,
    pub label: &'static str,
    pub label_singular: &'static str,
    pub folder: &'static str,
    pub fields: &'static [Field],
    /// Only the files whose field has this value are listed.
    pub filter: Option<(&'static str, &'static str)>,
}

pub const COLLECTIONS: &[Collection] = &[
    Collection {
        name: "bijeenkomsten",
        label: "Bijeenkomsten",
        label_singular: "Bijeenkomst",
        folder: "content/bijeenkomsten",
        fields: MEETING_PAGE_FIELDS,
        filter: Some(("template", MEETING_TEMPLATE)),
    },
    Collection {
        name: "paginas",
        label: "Pagina's",
        label_singular: "Pagina",
        folder: "content",
        fields: PAGE_FIELDS,
        filter: None,
    },
];

/// `admin/config.yml` for `settings`, in Dutch.
pub fn config_yml(settings: &CmsSettings, base_url: &str, backend: &CmsBackend) -> String {
    let mut config = Mapping::new();
    let mut backend_map = Mapping::new();
    backend_map.insert("name".into(), "github".into());
    backend_map.insert("repo".into(), settings.repo.as_str().into());
    backend_map.insert("branch".into(), settings.branch.as_str().into());
    backend_map.insert("auth_scope".into(), settings.auth_scope.as_str().into());
    if !settings.url.is_empty() {
        // The editors' sign-in (opp-editors) on the screen's own origin: Decap opens
        // `<base_url>/<auth_endpoint>` in a popup and takes messages from that origin only.
        backend_map.insert("base_url".into(), settings.url.as_str().into());
        backend_map.insert("auth_endpoint".into(), AUTH_ENDPOINT.into());
    }
    if !settings.api_root.is_empty() {
        backend_map.insert("api_root".into(), settings.api_root.as_str().into());
    }
    config.insert("backend".into(), Value::Mapping(backend_map));
    match backend {
        CmsBackend::GitHub => {
            config.insert("publish_mode".into(), "editorial_workflow".into());
        }
        CmsBackend::Local { url } => {
            let mut local = Mapping::new();
            local.insert("url".into(), url.as_str().into());
            local.insert(
                "allowed_hosts".into(),
                Value::Sequence(vec![LOCAL_EDITING_HOST.into()]),
            );
            config.insert("local_backend".into(), Value::Mapping(local));
        }
    }
    config.insert("locale".into(), "nl".into());
    config.insert("site_url".into(), base_url.into());
    config.insert("display_url".into(), base_url.into());
    config.insert("media_folder".into(), "theme/static/img/uploads".into());
    config.insert("public_folder".into(), "/img/uploads".into());
    let collections = COLLECTIONS
        .iter()
        .map(|collection| {
            let mut map = Mapping::new();
            map.insert("name".into(), collection.name.into());
            map.insert("label".into(), collection.label.into());
            map.insert("label_singular".into(), collection.label_singular.into());
            map.insert("folder".into(), collection.folder.into());
            map.insert("create".into(), true.into());
            map.insert("extension".into(), "md".into());
            map.insert("format".into(), "frontmatter".into());
            map.insert("slug".into(), "{{slug}}".into());
            if let Some((field, value)) = collection.filter {
                let mut filter = Mapping::new();
                filter.insert("field".into(), field.into());
                filter.insert("value".into(), value.into());
                map.insert("filter".into(), Value::Mapping(filter));
            }
            map.insert("fields".into(), fields_yml(collection.fields));
            Value::Mapping(map)
        })
        .collect();
    config.insert("collections".into(), Value::Sequence(collections));
    let yaml = serde_yaml::to_string(&Value::Mapping(config)).unwrap_or_default();
    format!(
        "# Made by opp-site from its content model (generator/src/cms.rs): edit that, not this file.\n{yaml}"
    )
}

fn fields_yml(fields: &[Field]) -> Value {
    Value::Sequence(
        fields
            .iter()
            .map(|field| {
                let mut map = Mapping::new();
                map.insert("name".into(), field.name.into());
                map.insert("label".into(), field.label.into());
                if !field.required {
                    map.insert("required".into(), false.into());
                }
                match field.widget {
                    Widget::Text => {
                        map.insert("widget".into(), "string".into());
                    }
                    Widget::Format(pattern, hint) => {
                        map.insert("widget".into(), "string".into());
                        map.insert("hint".into(), hint.in_lang(Lang::Nl).into());
                        map.insert(
                            "pattern".into(),
                            Value::Sequence(vec![pattern.into(), hint.in_lang(Lang::Nl).into()]),
                        );
                    }
                    Widget::Number(min) => {
                        map.insert("widget".into(), "number".into());
                        map.insert("value_type".into(), "int".into());
                        map.insert("min".into(), min.into());
                    }
                    Widget::Boolean => {
                        map.insert("widget".into(), "boolean".into());
                        map.insert("default".into(), false.into());
                    }
                    Widget::Markdown => {
                        map.insert("widget".into(), "markdown".into());
                    }
                    Widget::Hidden(value) => {
                        map.insert("widget".into(), "hidden".into());
                        map.insert("default".into(), value.into());
                    }
                    Widget::Object(inner) => {
                        map.insert("widget".into(), "object".into());
                        map.insert("collapsed".into(), false.into());
                        map.insert("fields".into(), fields_yml(inner));
                    }
                }
                Value::Mapping(map)
            })
            .collect(),
    )
}

/// `admin/index.html`: Decap's page. Without the bundle (not installed) it says what to do.
pub fn index_html(site_title: &str) -> String {
    let title = opp_render::escape_attr(site_title);
    format!(
        "<!DOCTYPE html>\n<html lang=\"nl\">\n<head>\n<meta charset=\"utf-8\">\n<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<meta name=\"robots\" content=\"noindex\">\n<title>Bewerken | {title}</title>\n<link href=\"config.yml\" type=\"text/yaml\" rel=\"cms-config-url\">\n</head>\n<body>\n<noscript><p>Het werkscherm werkt alleen met JavaScript aan.</p></noscript>\n<script src=\"{BUNDLE_PATH}\"></script>\n</body>\n</html>\n"
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::meeting::Meeting;
    use std::path::Path;

    /// A value the generator accepts for each field (as YAML), and for format fields one it refuses.
    fn sample(field: &Field) -> (String, Option<&'static str>) {
        match (field.name, field.widget) {
            ("id", _) => ("2027-03-utrecht".into(), Some("Utrecht maart")),
            ("date", _) => ("\"2027-03-10\"".into(), Some("10-03-2027")),
            ("start", _) => ("\"13:00\"".into(), Some("13.00")),
            ("end", _) => ("\"16:30\"".into(), Some("half vijf")),
            ("registration_opens", _) => ("\"2027-02-01 09:00\"".into(), Some("1 februari")),
            ("registration_closes", _) => ("\"2027-03-09\"".into(), Some("2027/03/09")),
            ("route", _) => (
                "\"https://www.openstreetmap.org/\"".into(),
                Some("www.openstreetmap.org"),
            ),
            // With a reason: the generator wants both or neither.
            ("called_off", _) => ("true".into(), None),
            (_, Widget::Hidden(value)) => (value.to_string(), None),
            (_, Widget::Number(min)) => (format!("{}", min.max(1) * 10), None),
            _ => ("\"Tekst\"".into(), None),
        }
    }

    /// Front matter with `fields` (those with `keep`), and `meeting:` filled the same way.
    fn front_matter(
        fields: &[Field],
        keep: &dyn Fn(&Field) -> bool,
        out: &mut String,
        indent: &str,
    ) {
        for field in fields.iter().filter(|f| keep(f) && f.name != "body") {
            match field.widget {
                Widget::Object(inner) => {
                    out.push_str(&format!("{indent}{}:\n", field.name));
                    front_matter(inner, keep, out, &format!("{indent}  "));
                }
                _ => out.push_str(&format!("{indent}{}: {}\n", field.name, sample(field).0)),
            }
        }
    }

    fn generator_accepts(text: &str) -> Result<(), String> {
        let front = crate::front_matter::parse(text, Path::new("content/x.md"), 2)
            .map_err(|problems| format!("{problems:?}"))?;
        if let Some(meeting) = front.meeting {
            Meeting::from_front(meeting).map_err(|(key, message)| format!("{key}: {message}"))?;
        }
        Ok(())
    }

    #[test]
    fn every_cms_field_is_one_the_generator_knows_and_every_required_one_is_asked() {
        for collection in COLLECTIONS {
            let mut all = String::new();
            front_matter(collection.fields, &|_| true, &mut all, "");
            generator_accepts(&all).unwrap_or_else(|err| {
                panic!(
                    "{}: the CMS offers a field the generator refuses:\n{all}\n{err}",
                    collection.name
                )
            });
            let mut required = String::new();
            front_matter(collection.fields, &|f| f.required, &mut required, "");
            generator_accepts(&required).unwrap_or_else(|err| {
                panic!(
                    "{}: the generator requires a field the CMS does not ask for:\n{required}\n{err}",
                    collection.name
                )
            });
        }
    }

    /// Decap lists a meeting only when its front matter has the collection's filter value.
    #[test]
    fn every_meeting_of_the_site_shows_in_the_editing_screen() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../content/bijeenkomsten");
        let (field, value) = COLLECTIONS[0].filter.unwrap();
        let mut meetings = 0;
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            let text = std::fs::read_to_string(&path).unwrap();
            if path.file_name().unwrap() == "_index.md" {
                assert!(
                    !text.contains(&format!("\n{field}: {value}")),
                    "the section page would be listed"
                );
                continue;
            }
            meetings += 1;
            assert!(
                text.contains(&format!("\n{field}: {value}")),
                "{}: add `{field}: {value}` to its front matter, or the editing screen does not list it",
                path.display()
            );
        }
        assert!(meetings > 0);
    }

    #[test]
    fn what_a_format_refuses_the_generator_refuses_too() {
        for field in MEETING_FIELDS {
            let Widget::Format(_, _) = field.widget else {
                continue;
            };
            let (_, Some(bad)) = sample(field) else {
                panic!("{}: no refused sample", field.name)
            };
            let mut text = String::new();
            front_matter(MEETING_PAGE_FIELDS, &|f| f.required, &mut text, "");
            text.push_str(&format!("  {}: \"{bad}\"\n", field.name));
            assert!(
                generator_accepts(&text).is_err(),
                "{}: the generator accepts `{bad}`, which the CMS pattern refuses",
                field.name
            );
        }
    }

    #[test]
    fn an_optional_field_saved_empty_is_a_field_not_given() {
        let mut text = String::new();
        front_matter(MEETING_PAGE_FIELDS, &|f| f.required, &mut text, "");
        for field in MEETING_FIELDS.iter().filter(|f| !f.required) {
            if matches!(field.widget, Widget::Text | Widget::Format(..)) {
                text.push_str(&format!("  {}: \"\"\n", field.name));
            }
        }
        generator_accepts(&text).unwrap_or_else(|err| panic!("{text}\n{err}"));
    }

    #[test]
    fn the_config_is_dutch_and_follows_the_backend() {
        let settings = CmsSettings {
            repo: "minocw/opp".into(),
            branch: "main".into(),
            url: "https://redactie.example.nl".into(),
            api_root: String::new(),
            auth_scope: "public_repo".into(),
        };
        let github = config_yml(&settings, "https://www.example.nl", &CmsBackend::GitHub);
        let parsed: Value = serde_yaml::from_str(&github).unwrap();
        assert_eq!(parsed["locale"], Value::from("nl"));
        assert_eq!(parsed["backend"]["name"], Value::from("github"));
        assert_eq!(parsed["backend"]["repo"], Value::from("minocw/opp"));
        assert_eq!(parsed["backend"]["auth_scope"], Value::from("public_repo"));
        assert_eq!(
            parsed["backend"]["base_url"],
            Value::from("https://redactie.example.nl")
        );
        assert_eq!(
            parsed["backend"]["auth_endpoint"],
            Value::from("oauth/auth")
        );
        assert!(
            parsed["backend"].get("api_root").is_none(),
            "GitHub's own API"
        );
        assert_eq!(parsed["publish_mode"], Value::from("editorial_workflow"));
        assert!(parsed.get("local_backend").is_none());
        assert_eq!(
            parsed["collections"][0]["filter"]["value"],
            Value::from(MEETING_TEMPLATE),
            "the meetings list leaves _index.md out"
        );
        let id = &parsed["collections"][0]["fields"][3]["fields"][0];
        assert_eq!(id["name"], Value::from("id"));
        assert_eq!(id["pattern"][0], Value::from(ID_PATTERN));
        assert!(
            id["pattern"][1]
                .as_str()
                .unwrap()
                .starts_with("Alleen kleine letters")
        );

        let local = config_yml(
            &settings,
            "http://127.0.0.1:8080",
            &CmsBackend::Local {
                url: "http://127.0.0.1:8081/api/v1".into(),
            },
        );
        let parsed: Value = serde_yaml::from_str(&local).unwrap();
        assert_eq!(
            parsed["local_backend"]["url"],
            Value::from("http://127.0.0.1:8081/api/v1")
        );
        assert!(
            parsed.get("publish_mode").is_none(),
            "decap-server writes files, no pull requests"
        );
    }
}
