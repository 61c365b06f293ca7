//! The site's URL rules, shared by the generator (which knows every page) and the handler (which renders a
//! few pages of the theme without the content): page URLs from content paths, `url_for` links and the
//! unhashed `asset` path.

use crate::messages::Text;
use crate::text;

/// `bijeenkomsten/zwolle.md` -> `/bijeenkomsten/zwolle/`; `bijeenkomsten/_index.md` -> `/bijeenkomsten/`;
/// `slug` replaces the file name.
pub fn page_url(rel: &str, slug: Option<&str>) -> Result<String, Text> {
    let without_ext = rel.strip_suffix(".md").unwrap_or(rel);
    let mut segments: Vec<&str> = without_ext.split('/').collect();
    if segments.last() == Some(&"_index") {
        segments.pop();
    } else if let Some(slug) = slug
        && let Some(last) = segments.last_mut()
    {
        *last = slug;
    }
    for segment in &segments {
        check_slug(segment).map_err(|_| text!(site::NOT_IN_URL, segment = segment, rel = rel))?;
    }
    if segments.is_empty() {
        Ok("/".into())
    } else {
        Ok(format!("/{}/", segments.join("/")))
    }
}

/// A URL segment: a-z, 0-9, `-` and `_`.
pub fn check_slug(slug: &str) -> Result<(), Text> {
    if !slug.is_empty()
        && slug
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_')
    {
        Ok(())
    } else {
        Err(text!(site::BAD_SLUG, slug = slug))
    }
}

/// The argument of `url_for(path=...)` split into the content file and an optional `#fragment`:
/// `@/privacyverklaring.md#bewaren` -> (`privacyverklaring.md`, `Some("bewaren")`).
pub fn content_link(link: &str) -> (&str, Option<&str>) {
    let path = link.strip_prefix("@/").unwrap_or(link);
    path.split_once('#')
        .map_or((path, None), |(path, fragment)| (path, Some(fragment)))
}

/// A page URL with the link's fragment put back.
pub fn with_fragment(url: &str, fragment: Option<&str>) -> String {
    match fragment {
        Some(fragment) => format!("{url}#{fragment}"),
        None => url.to_string(),
    }
}

/// `url_for` where only file names are known (the handler, which has the theme but not the content):
/// `@/aanmelden/_index.md` -> `/aanmelden/`. A `slug:` in a page's front matter is not seen here.
pub fn content_url(link: &str) -> String {
    let (rel, fragment) = content_link(link);
    let url = page_url(rel, None).unwrap_or_else(|_| "/".into());
    with_fragment(&url, fragment)
}

/// The unhashed copy of a static file, which every build also writes: `css/site.css` -> `/css/site.css`.
pub fn static_asset_url(path: &str) -> String {
    format!("/{}", path.trim_start_matches('/'))
}

/// Where the handler's paths live: CloudFront and the HTTP API route only this prefix to the function.
pub const API_PREFIX: &str = "/api/";

/// The handler's meeting counters (`GET`), next to the registration endpoint.
pub const MEETINGS_API: &str = "/api/meetings";

/// "Link kwijt?": a `POST` with `email` asks for the personal links of that address by email.
pub const LINKS_API: &str = "/api/links";

/// Where the new address confirms an address move (`/api/adres/<token>`): `GET` asks, `POST` moves.
pub const MOVE_API: &str = "/api/adres";

/// Checks `registration_endpoint` from `config.yaml`: the form's `action`, and the path the handler
/// answers registrations on. It must lie under [`API_PREFIX`] (else CloudFront sends the post to the
/// bucket), be made of URL segments, and not be another route of the handler.
pub fn check_registration_endpoint(path: &str) -> Result<(), Text> {
    let Some(rest) = path.strip_prefix(API_PREFIX) else {
        return Err(text!(
            site::ENDPOINT_NOT_API,
            path = path,
            prefix = API_PREFIX
        ));
    };
    if rest.is_empty() || rest.split('/').any(|segment| check_slug(segment).is_err()) {
        return Err(text!(site::ENDPOINT_SHAPE, path = path));
    }
    if path == MEETINGS_API {
        return Err(text!(site::ENDPOINT_TAKEN_MEETINGS, path = path));
    }
    if path == LINKS_API {
        return Err(text!(site::ENDPOINT_TAKEN_LINKS, path = path));
    }
    if path == MOVE_API {
        return Err(text!(site::ENDPOINT_TAKEN_MOVES, path = path));
    }
    Ok(())
}

/// The site's host name: `https://opp.example:8080/x` -> `opp.example`.
pub fn host(base_url: &str) -> &str {
    let rest = base_url
        .split_once("://")
        .map_or(base_url, |(_, rest)| rest);
    rest.split(['/', ':']).next().unwrap_or(rest)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_from_paths() {
        assert_eq!(page_url("_index.md", None).unwrap(), "/");
        assert_eq!(page_url("over.md", None).unwrap(), "/over/");
        assert_eq!(
            page_url("bijeenkomsten/_index.md", None).unwrap(),
            "/bijeenkomsten/"
        );
        assert_eq!(
            page_url("bijeenkomsten/zwolle.md", Some("zwolle-2030")).unwrap(),
            "/bijeenkomsten/zwolle-2030/"
        );
        assert!(page_url("Over Ons.md", None).is_err());
    }

    #[test]
    fn content_paths_become_urls() {
        assert_eq!(content_url("@/aanmelden/_index.md"), "/aanmelden/");
        assert_eq!(
            content_url("@/privacyverklaring.md#bewaren"),
            "/privacyverklaring/#bewaren"
        );
        assert_eq!(content_url("@/_index.md"), "/");
    }

    #[test]
    fn registration_endpoints_lie_under_the_api() {
        assert!(check_registration_endpoint("/api/registrations").is_ok());
        assert!(check_registration_endpoint("/api/v2/aanmelden").is_ok());
        for wrong in [
            "/registrations",
            "/apiregistrations",
            "/api/",
            "/api/registrations/",
            "/api//x",
            "/api/Aanmelden",
            "/api/meetings",
            "/api/links",
            "/api/adres",
        ] {
            assert!(check_registration_endpoint(wrong).is_err(), "{wrong}");
        }
        // Each taken path names what answers there.
        let moves = check_registration_endpoint("/api/adres")
            .unwrap_err()
            .to_string();
        assert!(
            moves.contains("adreswijziging") || moves.contains("address move"),
            "{moves}"
        );
    }

    #[test]
    fn assets_and_hosts() {
        assert_eq!(static_asset_url("css/site.css"), "/css/site.css");
        assert_eq!(static_asset_url("/css/site.css"), "/css/site.css");
        assert_eq!(host("https://opp.example:8080/x"), "opp.example");
        assert_eq!(host("http://127.0.0.1:8080"), "127.0.0.1");
    }
}
