//! The functions templates call: `asset(path=...)` and `url_for(path=...)`. The generator knows every
//! page and every hashed static file and passes its maps; the handler has the theme but not the content,
//! and uses the URL rules of `opp_model::urls` alone.

use opp_model::messages::site;
use std::collections::HashMap;
use std::sync::Arc;
use tera::{Tera, Value};

use opp_model::urls;

/// Where `asset()` and `url_for()` find their answers.
#[derive(Clone)]
pub enum Urls {
    /// The build's maps: static file -> hashed URL, content file -> page URL. A path missing from the
    /// map is an error that says what to fix.
    Site {
        assets: Arc<HashMap<String, String>>,
        pages: Arc<HashMap<String, String>>,
    },
    /// The rules only: the unhashed copy of a static file, and the URL of a content file's name.
    Rules,
}

/// Registers `asset` and `url_for` on `tera`.
pub fn register(tera: &mut Tera, urls: Urls) {
    tera.register_function("asset", Asset(urls.clone()));
    tera.register_function("url_for", UrlFor(urls));
}

/// `asset(path="css/site.css")` -> the URL of the (hashed) copy.
struct Asset(Urls);

impl tera::Function for Asset {
    fn call(&self, args: &HashMap<String, Value>) -> tera::Result<Value> {
        let path = string_arg(args, "asset", "path")?;
        let path = path.trim_start_matches('/');
        match &self.0 {
            Urls::Site { assets, .. } => match assets.get(path) {
                Some(url) => Ok(Value::String(url.clone())),
                None => Err(tera::Error::msg(
                    site::ASSET_MISSING.fill(&[("path", &path)]),
                )),
            },
            Urls::Rules => Ok(Value::String(urls::static_asset_url(path))),
        }
    }

    fn is_safe(&self) -> bool {
        true
    }
}

/// `url_for(path="@/aanmelden/_index.md")` -> "/aanmelden/".
struct UrlFor(Urls);

impl tera::Function for UrlFor {
    fn call(&self, args: &HashMap<String, Value>) -> tera::Result<Value> {
        let link = string_arg(args, "url_for", "path")?;
        match &self.0 {
            Urls::Site { pages, .. } => {
                let (path, fragment) = urls::content_link(&link);
                match pages.get(path) {
                    Some(url) => Ok(Value::String(urls::with_fragment(url, fragment))),
                    None => Err(tera::Error::msg(
                        site::URL_FOR_MISSING.fill(&[("link", &link), ("path", &path)]),
                    )),
                }
            }
            Urls::Rules => Ok(Value::String(urls::content_url(&link))),
        }
    }

    fn is_safe(&self) -> bool {
        true
    }
}

fn string_arg(args: &HashMap<String, Value>, function: &str, name: &str) -> tera::Result<String> {
    match args.get(name) {
        Some(Value::String(value)) => Ok(value.clone()),
        _ => Err(tera::Error::msg(
            site::FUNCTION_ARGUMENT.fill(&[("function", &function), ("name", &name)]),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn render(urls: Urls, template: &str) -> Result<String, String> {
        let mut tera =
            crate::theme::from_sources(vec![("t.html".into(), template.into())]).unwrap();
        register(&mut tera, urls);
        crate::render(&tera, "t.html", &tera::Context::new())
    }

    #[test]
    fn site_maps_answer_and_name_what_is_missing() {
        let urls = Urls::Site {
            assets: Arc::new(HashMap::from([(
                "css/site.css".to_string(),
                "/css/site.1234.css".to_string(),
            )])),
            pages: Arc::new(HashMap::from([(
                "privacyverklaring.md".to_string(),
                "/privacy/".to_string(),
            )])),
        };
        assert_eq!(
            render(
                urls.clone(),
                "{{ asset(path='css/site.css') }} {{ url_for(path='@/privacyverklaring.md#bewaren') }}"
            )
            .unwrap(),
            "/css/site.1234.css /privacy/#bewaren"
        );
        let err = render(urls, "{{ url_for(path='@/weg.md') }}").unwrap_err();
        // In the process's language (OPP_LANG), Dutch by default.
        assert!(
            err.contains("content/weg.md does not exist")
                || err.contains("content/weg.md bestaat niet"),
            "{err}"
        );
    }

    #[test]
    fn rules_need_no_maps() {
        assert_eq!(
            render(
                Urls::Rules,
                "{{ asset(path='css/site.css') }} {{ url_for(path='@/aanmelden/_index.md') }}"
            )
            .unwrap(),
            "/css/site.css /aanmelden/"
        );
    }
}
