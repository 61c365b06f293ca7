//! Markdown to HTML: pulldown-cmark with heading ids and anchors, a table of contents,
//! content-path links (`@/page.md`) resolved to URLs and safe external links.

use pulldown_cmark::{CowStr, Event, HeadingLevel, Options, Parser, Tag, TagEnd};
use serde::Serialize;
use std::collections::HashSet;

/// One heading in the table of contents, with the headings nested below it.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct TocEntry {
    pub level: u8,
    pub id: String,
    pub title: String,
    pub children: Vec<TocEntry>,
}

/// A link written in the Markdown, after resolving content paths, with its line in the file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceLink {
    pub url: String,
    pub line: usize,
}

#[derive(Debug, Default)]
pub struct Rendered {
    pub html: String,
    pub toc: Vec<TocEntry>,
    pub links: Vec<SourceLink>,
    /// Content-path links that do not resolve: (line, message).
    pub broken: Vec<(usize, String)>,
}

pub fn options() -> Options {
    Options::ENABLE_TABLES
        | Options::ENABLE_FOOTNOTES
        | Options::ENABLE_STRIKETHROUGH
        | Options::ENABLE_SMART_PUNCTUATION
        | Options::ENABLE_HEADING_ATTRIBUTES
}

/// Renders `body`, whose first line is line `first_line` of its file.
pub fn render(
    body: &str,
    first_line: usize,
    resolve: &dyn Fn(&str) -> Result<String, String>,
) -> Rendered {
    let line_starts: Vec<usize> = std::iter::once(0)
        .chain(body.match_indices('\n').map(|(i, _)| i + 1))
        .collect();
    let line_of =
        |offset: usize| line_starts.partition_point(|&start| start <= offset) + first_line - 1;

    let mut out = Rendered {
        html: String::with_capacity(body.len() * 3 / 2),
        ..Rendered::default()
    };
    let mut events: Vec<Event> = Vec::with_capacity(body.len() / 8);
    let mut used_ids: HashSet<String> = HashSet::new();
    let mut headings: Vec<(u8, String, String)> = Vec::new();
    let mut heading: Option<(HeadingLevel, Option<CowStr>, Vec<Event>, String)> = None;
    let mut external_link_open = false;

    for (event, range) in Parser::new_ext(body, options()).into_offset_iter() {
        match event {
            Event::Start(Tag::Heading { level, id, .. }) => {
                heading = Some((level, id, Vec::new(), String::new()));
            }
            Event::End(TagEnd::Heading(_)) => {
                let Some((level, explicit_id, inner, text)) = heading.take() else {
                    continue;
                };
                let base = explicit_id
                    .map(|id| id.to_string())
                    .unwrap_or_else(|| slugify(&text));
                let id = unique_id(base, &mut used_ids);
                let n = level as u8;
                events.push(Event::Html(format!("<h{n} id=\"{id}\">").into()));
                events.extend(inner);
                events.push(Event::Html(
                    format!("<a class=\"heading-anchor\" href=\"#{id}\" aria-hidden=\"true\" tabindex=\"-1\">#</a></h{n}>\n")
                        .into(),
                ));
                headings.push((n, id, text.trim().to_string()));
            }
            Event::Start(Tag::Link {
                link_type,
                dest_url,
                title,
                id,
            }) => {
                let line = line_of(range.start);
                let event =
                    if let Some(path) = dest_url.strip_prefix("@/").map(|_| dest_url.to_string()) {
                        let url = match resolve(&path) {
                            Ok(url) => url,
                            Err(message) => {
                                out.broken.push((line, message));
                                "#".to_string()
                            }
                        };
                        out.links.push(SourceLink {
                            url: url.clone(),
                            line,
                        });
                        Event::Start(Tag::Link {
                            link_type,
                            dest_url: url.into(),
                            title,
                            id,
                        })
                    } else if is_external(&dest_url) {
                        external_link_open = true;
                        let title_attr = if title.is_empty() {
                            String::new()
                        } else {
                            format!(" title=\"{}\"", escape_attr(&title))
                        };
                        Event::Html(
                            format!(
                                "<a href=\"{}\" rel=\"noopener\"{title_attr}>",
                                escape_attr(&dest_url)
                            )
                            .into(),
                        )
                    } else {
                        if !dest_url.contains(':') {
                            out.links.push(SourceLink {
                                url: dest_url.to_string(),
                                line,
                            });
                        }
                        Event::Start(Tag::Link {
                            link_type,
                            dest_url,
                            title,
                            id,
                        })
                    };
                push(&mut heading, &mut events, event);
            }
            Event::End(TagEnd::Link) if external_link_open => {
                external_link_open = false;
                push(&mut heading, &mut events, Event::Html("</a>".into()));
            }
            other => {
                if let Some((_, _, _, text)) = heading.as_mut()
                    && let Event::Text(t) | Event::Code(t) = &other
                {
                    text.push_str(t);
                }
                push(&mut heading, &mut events, other);
            }
        }
    }
    pulldown_cmark::html::push_html(&mut out.html, events.into_iter());
    out.toc = nest_toc(headings);
    out
}

fn push<'a>(
    heading: &mut Option<(HeadingLevel, Option<CowStr<'a>>, Vec<Event<'a>>, String)>,
    events: &mut Vec<Event<'a>>,
    event: Event<'a>,
) {
    match heading {
        Some((_, _, inner, _)) => inner.push(event),
        None => events.push(event),
    }
}

fn is_external(url: &str) -> bool {
    url.starts_with("https://") || url.starts_with("http://") || url.starts_with("//")
}

pub fn escape_attr(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// "Wat is een OPP?" -> "wat-is-een-opp"; accents are folded ("sociëteit" -> "societeit").
pub fn slugify(text: &str) -> String {
    let mut slug = String::with_capacity(text.len());
    for c in text.chars().flat_map(char::to_lowercase) {
        let folded = match c {
            'à' | 'á' | 'â' | 'ã' | 'ä' | 'å' => 'a',
            'è' | 'é' | 'ê' | 'ë' => 'e',
            'ì' | 'í' | 'î' | 'ï' => 'i',
            'ò' | 'ó' | 'ô' | 'õ' | 'ö' => 'o',
            'ù' | 'ú' | 'û' | 'ü' => 'u',
            'ç' => 'c',
            'ñ' => 'n',
            c => c,
        };
        if folded.is_ascii_alphanumeric() {
            slug.push(folded);
        } else if !slug.ends_with('-') && !slug.is_empty() {
            slug.push('-');
        }
    }
    while slug.ends_with('-') {
        slug.pop();
    }
    if slug.is_empty() {
        "kopje".to_string()
    } else {
        slug
    }
}

fn unique_id(base: String, used: &mut HashSet<String>) -> String {
    if used.insert(base.clone()) {
        return base;
    }
    (1..)
        .map(|n| format!("{base}-{n}"))
        .find(|candidate| used.insert(candidate.clone()))
        .expect("an unused id exists")
}

fn nest_toc(headings: Vec<(u8, String, String)>) -> Vec<TocEntry> {
    fn take(
        items: &mut std::iter::Peekable<std::vec::IntoIter<(u8, String, String)>>,
        parent: u8,
    ) -> Vec<TocEntry> {
        let mut entries = Vec::new();
        while let Some((level, _, _)) = items.peek() {
            if *level <= parent {
                break;
            }
            let (level, id, title) = items.next().expect("peeked");
            let children = take(items, level);
            entries.push(TocEntry {
                level,
                id,
                title,
                children,
            });
        }
        entries
    }
    take(&mut headings.into_iter().peekable(), 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn resolve(path: &str) -> Result<String, String> {
        match path {
            "@/over.md" => Ok("/over/".into()),
            "@/over.md#doelen" => Ok("/over/#doelen".into()),
            other => Err(format!("{other} does not exist")),
        }
    }

    #[test]
    fn headings_get_unique_ids_and_a_toc() {
        let out = render("## Doelen\n\n### Eén\n\n## Doelen\n", 1, &resolve);
        assert!(
            out.html
                .contains("<h2 id=\"doelen\">Doelen<a class=\"heading-anchor\" href=\"#doelen\"")
        );
        assert!(out.html.contains("<h3 id=\"een\">"));
        assert!(out.html.contains("<h2 id=\"doelen-1\">"));
        assert_eq!(out.toc.len(), 2);
        assert_eq!(out.toc[0].children[0].title, "Eén");
    }

    #[test]
    fn content_paths_resolve_and_broken_ones_report_their_line() {
        let out = render(
            "Zie [over](@/over.md#doelen).\n\nEn [weg](@/weg.md).\n",
            5,
            &resolve,
        );
        assert!(out.html.contains("href=\"/over/#doelen\""));
        assert_eq!(
            out.links[0],
            SourceLink {
                url: "/over/#doelen".into(),
                line: 5
            }
        );
        assert_eq!(out.broken.len(), 1);
        assert_eq!(out.broken[0].0, 7);
    }

    #[test]
    fn external_links_are_safe_and_extensions_work() {
        let out = render(
            "[OCW](https://www.rijksoverheid.nl/ministeries/ocw \"Ministerie\")\n\n| a | b |\n|---|---|\n| 1 | 2 |\n\n~~oud~~ \"quote\"[^1]\n\n[^1]: Noot.\n",
            1,
            &resolve,
        );
        assert!(out.html.contains("<a href=\"https://www.rijksoverheid.nl/ministeries/ocw\" rel=\"noopener\" title=\"Ministerie\">OCW</a>"), "{}", out.html);
        assert!(out.html.contains("<table>"));
        assert!(out.html.contains("<del>oud</del>"));
        assert!(out.html.contains("“quote”"));
        assert!(out.html.contains("footnote"));
        assert!(out.links.is_empty());
    }

    #[test]
    fn slugs() {
        assert_eq!(slugify("Wat is een OPP?"), "wat-is-een-opp");
        assert_eq!(slugify("Nieuwe Buitensociëteit"), "nieuwe-buitensocieteit");
        assert_eq!(slugify("???"), "kopje");
    }
}
