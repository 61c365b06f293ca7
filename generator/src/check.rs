//! Link checking: every internal link and `#anchor` in the rendered site must resolve.

use std::collections::{BTreeSet, HashMap, HashSet};
use std::path::PathBuf;

use crate::error::Problem;
use crate::markdown::SourceLink;
use opp_model::messages::{Text, site};
use opp_model::text;

/// The links and ids of one rendered HTML file, and where it came from.
pub struct PageLinks {
    pub out_path: String,
    pub source: Option<PathBuf>,
    pub template_file: PathBuf,
    pub hrefs: Vec<String>,
    pub ids: HashSet<String>,
    pub markdown_links: Vec<SourceLink>,
}

/// Every `href`/`src` value and every `id` in an HTML document.
pub fn extract(html: &str) -> (Vec<String>, HashSet<String>) {
    let mut hrefs = Vec::new();
    let mut ids = HashSet::new();
    let Ok(dom) = tl::parse(html, tl::ParserOptions::default()) else {
        return (hrefs, ids);
    };
    for node in dom.nodes() {
        let Some(tag) = node.as_tag() else { continue };
        let attributes = tag.attributes();
        for name in ["href", "src"] {
            if let Some(Some(value)) = attributes.get(name) {
                hrefs.push(decode_entities(&value.as_utf8_str()));
            }
        }
        if let Some(id) = attributes.id() {
            ids.insert(decode_entities(&id.as_utf8_str()));
        }
        if tag.name().as_utf8_str() == "a"
            && let Some(Some(name)) = attributes.get("name")
        {
            ids.insert(decode_entities(&name.as_utf8_str()));
        }
    }
    (hrefs, ids)
}

/// Decodes the character references that can appear in an attribute value (named basics and numeric ones).
fn decode_entities(text: &str) -> String {
    if !text.contains('&') {
        return text.to_string();
    }
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(pos) = rest.find('&') {
        out.push_str(&rest[..pos]);
        rest = &rest[pos..];
        let decoded = rest.find(';').filter(|&end| end <= 10).and_then(|end| {
            let name = &rest[1..end];
            let c = match name {
                "amp" => Some('&'),
                "quot" => Some('"'),
                "apos" => Some('\''),
                "lt" => Some('<'),
                "gt" => Some('>'),
                _ => name
                    .strip_prefix("#x")
                    .or_else(|| name.strip_prefix("#X"))
                    .and_then(|hex| u32::from_str_radix(hex, 16).ok())
                    .or_else(|| name.strip_prefix('#').and_then(|dec| dec.parse().ok()))
                    .and_then(char::from_u32),
            };
            c.map(|c| (c, end))
        });
        match decoded {
            Some((c, end)) => {
                out.push(c);
                rest = &rest[end + 1..];
            }
            None => {
                out.push('&');
                rest = &rest[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

/// Checks all pages' links against the files of the build. `dynamic_prefixes` are served by the handler, not files.
pub fn verify(
    pages: &[PageLinks],
    files: &BTreeSet<String>,
    dynamic_prefixes: &[String],
) -> Vec<Problem> {
    let ids_by_file: HashMap<&str, &HashSet<String>> = pages
        .iter()
        .map(|p| (p.out_path.as_str(), &p.ids))
        .collect();
    let mut problems = Vec::new();
    for page in pages {
        let mut seen = HashSet::new();
        for href in &page.hrefs {
            if !seen.insert(href) {
                continue;
            }
            let Some(error) =
                check_one(href, &page.out_path, files, &ids_by_file, dynamic_prefixes)
            else {
                continue;
            };
            problems.push(locate(page, href, error));
        }
    }
    problems
}

fn locate(page: &PageLinks, href: &str, error: Text) -> Problem {
    let page_url = format!("/{}", page.out_path.trim_end_matches("index.html"));
    if let (Some(source), Some(link)) = (
        &page.source,
        page.markdown_links.iter().find(|l| l.url == href),
    ) {
        return Problem::in_file(source, error)
            .at_line(link.line)
            .with_hint(site::LINK_FIX_HINT);
    }
    let message = match &page.source {
        Some(source) => Text::Msg(
            site::ON_PAGE_FROM,
            vec![
                ("problem", error),
                ("url", page_url.into()),
                ("source", source.display().to_string().into()),
            ],
        ),
        None => Text::Msg(
            site::ON_PAGE,
            vec![("problem", error), ("url", page_url.into())],
        ),
    };
    Problem::in_file(&page.template_file, message).with_hint(site::LINK_IN_TEMPLATE_HINT)
}

/// Returns why `href` on the page at `out_path` is broken, or None when it resolves (or is not internal).
fn check_one(
    href: &str,
    out_path: &str,
    files: &BTreeSet<String>,
    ids_by_file: &HashMap<&str, &HashSet<String>>,
    dynamic_prefixes: &[String],
) -> Option<Text> {
    if is_external(href) {
        return None;
    }
    let (path, fragment) = match href.split_once('#') {
        Some((path, fragment)) => (path, Some(fragment)),
        None => (href, None),
    };
    let path = path.split_once('?').map_or(path, |(p, _)| p);
    let target = if path.is_empty() {
        out_path.to_string()
    } else {
        let absolute = resolve_path(path, out_path)?;
        if dynamic_prefixes
            .iter()
            .any(|prefix| absolute.starts_with(prefix.as_str()))
        {
            return None;
        }
        let rel = absolute.trim_start_matches('/');
        let candidates = if rel.is_empty() || rel.ends_with('/') {
            vec![format!("{rel}index.html")]
        } else {
            vec![rel.to_string(), format!("{rel}/index.html")]
        };
        match candidates.into_iter().find(|c| files.contains(c)) {
            Some(found) => found,
            None => {
                return Some(text!(site::BROKEN_LINK, href = href, target = absolute));
            }
        }
    };
    let fragment = fragment.filter(|f| !f.is_empty())?;
    let ids = ids_by_file.get(target.as_str())?;
    let fragment = percent_decode(fragment);
    if ids.contains(&fragment) {
        None
    } else {
        Some(text!(
            site::BROKEN_ANCHOR,
            href = href,
            target = target,
            fragment = fragment
        ))
    }
}

fn is_external(href: &str) -> bool {
    href.starts_with("//")
        || href.split_once(':').is_some_and(|(scheme, _)| {
            !scheme.is_empty()
                && !scheme.contains('/')
                && scheme
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || "+-.".contains(c))
        })
}

/// Resolves a link path against the page's folder into an absolute path (with `..` and `.` applied).
fn resolve_path(path: &str, out_path: &str) -> Option<String> {
    let path = percent_decode(path);
    let joined = if path.starts_with('/') {
        path.clone()
    } else {
        let dir = out_path.rsplit_once('/').map_or("", |(d, _)| d);
        format!("/{dir}/{path}")
    };
    let trailing = joined.ends_with('/');
    let mut parts: Vec<&str> = Vec::new();
    for part in joined.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                parts.pop()?;
            }
            part => parts.push(part),
        }
    }
    let mut absolute = format!("/{}", parts.join("/"));
    if trailing && absolute != "/" {
        absolute.push('/');
    }
    Some(absolute)
}

fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && i + 2 < bytes.len()
            && bytes[i + 1].is_ascii_hexdigit()
            && bytes[i + 2].is_ascii_hexdigit()
        {
            let hex = |b: u8| (b as char).to_digit(16).unwrap_or(0) as u8;
            out.push(hex(bytes[i + 1]) * 16 + hex(bytes[i + 2]));
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn files() -> BTreeSet<String> {
        [
            "index.html",
            "over/index.html",
            "css/site.css",
            "bijeenkomsten/zwolle/index.html",
        ]
        .into_iter()
        .map(String::from)
        .collect()
    }

    #[test]
    fn resolves_links_and_anchors() {
        let ids: HashSet<String> = ["doelen".to_string()].into();
        let map: HashMap<&str, &HashSet<String>> = [("over/index.html", &ids)].into();
        let check = |href: &str| {
            check_one(
                href,
                "bijeenkomsten/zwolle/index.html",
                &files(),
                &map,
                &["/api/".into()],
            )
        };
        assert_eq!(check("/over/"), None);
        assert_eq!(check("/over"), None);
        assert_eq!(check("../../over/#doelen"), None);
        assert_eq!(check("https://example.org/x"), None);
        assert_eq!(check("mailto:a@b.nl"), None);
        assert_eq!(check("/api/registrations"), None);
        assert!(
            check("/onbekend/")
                .unwrap()
                .render(opp_model::messages::Lang::En)
                .contains("nothing is published")
        );
        assert!(
            check("/over/#weg")
                .unwrap()
                .render(opp_model::messages::Lang::En)
                .contains("no element with id=\"weg\"")
        );
    }

    #[test]
    fn extracts_links_and_ids() {
        let (hrefs, ids) = extract(
            "<a href=\"/a/?x=1&amp;y=2\" id=\"top\">x</a><img src=\"/i.svg\" alt=\"\"><h2 id=\"doel\">d</h2>",
        );
        assert_eq!(hrefs, vec!["/a/?x=1&y=2".to_string(), "/i.svg".to_string()]);
        assert!(ids.contains("top") && ids.contains("doel"));
        assert_eq!(decode_entities("&#x2F;a&#47;b&amp;c&bogus"), "/a/b&c&bogus");
    }
}
