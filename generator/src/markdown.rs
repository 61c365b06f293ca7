//! Markdown to HTML: pulldown-cmark with heading ids and anchors, a table of contents,
//! content-path links (`@/page.md`) resolved to URLs and safe external links.

use pulldown_cmark::{CowStr, Event, HeadingLevel, Options, Parser, Tag, TagEnd};
use serde::Serialize;
use std::collections::HashSet;

use opp_model::messages::Text;

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
    pub broken: Vec<(usize, Text)>,
}

pub fn options() -> Options {
    Options::ENABLE_TABLES
        | Options::ENABLE_FOOTNOTES
        | Options::ENABLE_STRIKETHROUGH
        | Options::ENABLE_SMART_PUNCTUATION
        | Options::ENABLE_HEADING_ATTRIBUTES
}

/// Renders `body`, whose first line is line `first_line` of its file (the tests' shorthand for
/// [`render_into`]).
#[cfg(test)]
pub fn render(
    body: &str,
    first_line: usize,
    resolve: &dyn Fn(&str) -> Result<String, Text>,
) -> Rendered {
    render_into(
        body,
        first_line,
        resolve,
        String::with_capacity(body.len() * 3 / 2),
    )
}

/// [`render`] into a buffer the caller reuses from page to page (a fresh large buffer per page is one of the
/// costlier allocations of a build); `html` is cleared first and returned as `Rendered::html`.
pub fn render_into(
    body: &str,
    first_line: usize,
    resolve: &dyn Fn(&str) -> Result<String, Text>,
    mut html: String,
) -> Rendered {
    html.clear();
    // Events stream from the parser into the HTML writer; only a heading's inner events wait, for its id.
    let mut events = Events {
        parser: Parser::new_ext(body, options()).into_offset_iter(),
        pending: Vec::new().into_iter(),
        heading: None,
        external_link_open: false,
        lines: Lines {
            text: body,
            offset: 0,
            line: first_line,
            first_line,
        },
        resolve,
        used_ids: HashSet::new(),
        headings: Vec::new(),
        links: Vec::new(),
        broken: Vec::new(),
    };
    pulldown_cmark::html::push_html(&mut html, &mut events);
    Rendered {
        html,
        toc: nest_toc(events.headings),
        links: events.links,
        broken: events.broken,
    }
}

/// A heading being read: level, explicit id, inner events and plain text (for the id and the TOC).
type OpenHeading<'a> = (HeadingLevel, Option<CowStr<'a>>, Vec<Event<'a>>, String);

/// The parser's events with heading ids and anchors, resolved content paths and safe external links.
struct Events<'a, 'r> {
    parser: pulldown_cmark::OffsetIter<'a, pulldown_cmark::DefaultBrokenLinkCallback>,
    pending: std::vec::IntoIter<Event<'a>>,
    heading: Option<OpenHeading<'a>>,
    external_link_open: bool,
    lines: Lines<'a>,
    resolve: &'r dyn Fn(&str) -> Result<String, Text>,
    used_ids: HashSet<String>,
    headings: Vec<(u8, String, String)>,
    links: Vec<SourceLink>,
    broken: Vec<(usize, Text)>,
}

impl<'a> Iterator for Events<'a, '_> {
    type Item = Event<'a>;

    fn next(&mut self) -> Option<Event<'a>> {
        loop {
            if let Some(event) = self.pending.next() {
                return Some(event);
            }
            let (event, range) = self.parser.next()?;
            let event = match event {
                Event::Start(Tag::Heading { level, id, .. }) => {
                    self.heading = Some((level, id, Vec::new(), String::new()));
                    continue;
                }
                Event::End(TagEnd::Heading(_)) => {
                    let Some((level, explicit_id, inner, text)) = self.heading.take() else {
                        continue;
                    };
                    let base = explicit_id
                        .map(|id| id.to_string())
                        .unwrap_or_else(|| slugify(&text));
                    let id = unique_id(base, &mut self.used_ids);
                    let n = level as u8;
                    let mut out = Vec::with_capacity(inner.len() + 2);
                    // Built by hand: `format!` is a visible part of a page's cost at two per heading.
                    let digit = char::from(b'0' + n);
                    let mut open = String::with_capacity(id.len() + 12);
                    open.push_str("<h");
                    open.push(digit);
                    open.push_str(" id=\"");
                    open.push_str(&id);
                    open.push_str("\">");
                    let mut close = String::with_capacity(id.len() + 96);
                    close.push_str("<a class=\"heading-anchor\" href=\"#");
                    close.push_str(&id);
                    close.push_str("\" aria-hidden=\"true\" tabindex=\"-1\">#</a></h");
                    close.push(digit);
                    close.push_str(">\n");
                    out.push(Event::Html(open.into()));
                    out.extend(inner);
                    out.push(Event::Html(close.into()));
                    self.headings.push((n, id, text.trim().to_string()));
                    self.pending = out.into_iter();
                    continue;
                }
                Event::Start(Tag::Link {
                    link_type,
                    dest_url,
                    title,
                    id,
                }) => self.link(link_type, dest_url, title, id, range.start),
                Event::End(TagEnd::Link) if self.external_link_open => {
                    self.external_link_open = false;
                    Event::Html("</a>".into())
                }
                other => {
                    if let Some((_, _, _, text)) = self.heading.as_mut()
                        && let Event::Text(t) | Event::Code(t) = &other
                    {
                        text.push_str(t);
                    }
                    other
                }
            };
            match self.heading.as_mut() {
                Some((_, _, inner, _)) => inner.push(event),
                None => return Some(event),
            }
        }
    }
}

impl<'a> Events<'a, '_> {
    /// A link's start: content paths resolved (and recorded), external links marked `rel="noopener"`.
    fn link(
        &mut self,
        link_type: pulldown_cmark::LinkType,
        dest_url: CowStr<'a>,
        title: CowStr<'a>,
        id: CowStr<'a>,
        offset: usize,
    ) -> Event<'a> {
        let line = self.lines.line_of(offset);
        if dest_url.starts_with("@/") {
            let url = match (self.resolve)(&dest_url) {
                Ok(url) => url,
                Err(message) => {
                    self.broken.push((line, message));
                    "#".to_string()
                }
            };
            self.links.push(SourceLink {
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
            self.external_link_open = true;
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
                self.links.push(SourceLink {
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
        }
    }
}

/// Line numbers for byte offsets, counted forward from the last asked offset (links come in text order).
struct Lines<'a> {
    text: &'a str,
    offset: usize,
    line: usize,
    first_line: usize,
}

impl Lines<'_> {
    fn line_of(&mut self, offset: usize) -> usize {
        let offset = offset.min(self.text.len());
        if offset < self.offset {
            self.offset = 0;
            self.line = self.first_line;
        }
        self.line += self.text.as_bytes()[self.offset..offset]
            .iter()
            .filter(|&&b| b == b'\n')
            .count();
        self.offset = offset;
        self.line
    }
}

fn is_external(url: &str) -> bool {
    url.starts_with("https://") || url.starts_with("http://") || url.starts_with("//")
}

/// Escapes text for HTML (one definition, opp-render's: also Tera's escaper).
pub use opp_render::escape_attr;

/// "Wat is een OPP?" -> "wat-is-een-opp"; accents are folded ("sociëteit" -> "societeit").
pub fn slugify(text: &str) -> String {
    let mut slug = String::with_capacity(text.len());
    let mut push = |c: char| {
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
    };
    for c in text.chars() {
        // Full Unicode lowercasing (which may give several characters) only where ASCII's does not apply.
        if c.is_ascii() {
            push(c.to_ascii_lowercase());
        } else {
            c.to_lowercase().for_each(&mut push);
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

    fn resolve(path: &str) -> Result<String, Text> {
        match path {
            "@/over.md" => Ok("/over/".into()),
            "@/over.md#doelen" => Ok("/over/#doelen".into()),
            other => Err(format!("{other} does not exist").into()),
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
    fn escapes_the_five_special_characters() {
        assert_eq!(
            escape_attr("a & b <c> \"d\" 'e' ë"),
            "a &amp; b &lt;c&gt; &quot;d&quot; &#39;e&#39; ë"
        );
        assert_eq!(escape_attr(""), "");
        assert_eq!(escape_attr("&"), "&amp;");
    }

    #[test]
    fn slugs() {
        assert_eq!(slugify("Wat is een OPP?"), "wat-is-een-opp");
        assert_eq!(slugify("Nieuwe Buitensociëteit"), "nieuwe-buitensocieteit");
        assert_eq!(slugify("???"), "kopje");
    }
}
