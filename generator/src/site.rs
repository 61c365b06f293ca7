//! The site model: pages with their URLs, sections and meetings, built from the content sources (their
//! front matter is `front_matter`'s, the URL rules are `opp_model::urls`). Only metadata is kept here;
//! bodies are read again when a page is rendered, so memory stays flat.

use jiff::Timestamp;
use jiff::civil::Date;
use rayon::prelude::*;
use std::collections::{BTreeSet, HashMap};
use std::path::{Path, PathBuf};

use crate::config::Config;
use crate::dates;
use crate::error::Problem;
use crate::front_matter;
use crate::load::{self, Found};
use crate::meeting::Meeting;
use crate::suggest;
use crate::yaml;
use opp_model::messages::{Text, site};
use opp_model::text;
use opp_model::urls::{check_slug, page_url};

#[derive(Debug, Clone)]
pub struct Page {
    /// Path below `content/`, e.g. `bijeenkomsten/zwolle.md`.
    pub rel: String,
    pub path: std::path::PathBuf,
    pub is_section: bool,
    /// Root-relative URL with a trailing slash, e.g. `/bijeenkomsten/zwolle/`.
    pub url: String,
    pub title: String,
    pub description: Option<String>,
    pub date: Option<Date>,
    pub draft: bool,
    pub template: String,
    pub weight: i64,
    pub extra: serde_json::Value,
    /// Boxed: few pages are meetings, and an inline meeting would double the size of every page in memory.
    pub meeting: Option<Box<Meeting>>,
    pub body_offset: usize,
    pub body_line: usize,
}

impl Page {
    /// The folder a page lives in (`bijeenkomsten` for `bijeenkomsten/zwolle.md`), or, for a section, its own folder.
    pub fn folder(&self) -> &str {
        self.rel.rsplit_once('/').map_or("", |(dir, _)| dir)
    }

    /// The section folder that lists this page.
    pub fn parent_folder(&self) -> Option<&str> {
        if self.is_section {
            let own = self.folder();
            if own.is_empty() {
                None
            } else {
                Some(own.rsplit_once('/').map_or("", |(dir, _)| dir))
            }
        } else {
            Some(self.folder())
        }
    }
}

pub struct Site {
    pub config: Config,
    pub pages: Vec<Page>,
    pub now: Timestamp,
    by_rel: HashMap<String, usize>,
    /// Content paths of pages with a mistake, left out of this build, with the URL they would have.
    failed: HashMap<String, String>,
    /// Files left out for a mistake in their front matter (as reported, and where to read them): their
    /// Markdown is still checked for broken links, so one build reports every mistake of a file.
    left_out: Vec<LeftOut>,
    /// Indices into `pages`, sorted by date, then start time, then id.
    pub meetings: Vec<usize>,
    /// Per section (page index): what it lists, built once instead of scanning every page per section.
    children: HashMap<usize, Children>,
}

/// A page left out of the build for a mistake in its front matter.
#[derive(Debug, Clone)]
pub struct LeftOut {
    /// The path problems name (`content/…`).
    pub display_path: PathBuf,
    /// Where the file is read from.
    pub path: PathBuf,
    /// The URL it would have had (empty when its name itself is wrong).
    pub url: String,
}

/// The pages and subsections a section lists, as indices into `pages`, each sorted by weight, date, title.
#[derive(Debug, Default)]
struct Children {
    pages: Vec<usize>,
    subsections: Vec<usize>,
}

/// Names of the templates a site has, so pages can be checked against them.
pub trait TemplateNames: Sync {
    fn has(&self, name: &str) -> bool;
    fn names(&self) -> Vec<&str>;
}

pub struct SiteOptions<'a> {
    pub drafts: bool,
    pub now: Timestamp,
    pub templates: &'a dyn TemplateNames,
}

impl Site {
    /// The site of every page that reads without a mistake, and the mistakes of the others: the build
    /// goes on with the good pages (templates, links), so one report holds every kind of problem.
    pub fn build(
        config: Config,
        content_dir: &Path,
        markdown: &[Found],
        options: &SiteOptions<'_>,
    ) -> (Site, Vec<Problem>) {
        let parsed: Vec<Result<Option<Page>, Vec<Problem>>> = markdown
            .par_iter()
            .map_init(Vec::new, |buf, found| {
                parse_page_with(found, content_dir, options, buf)
            })
            .collect();
        let mut problems = Vec::new();
        let mut read = Vec::with_capacity(parsed.len());
        let mut failed = HashMap::new();
        let mut left_out = Vec::new();
        for (result, found) in parsed.into_iter().zip(markdown) {
            match result {
                Ok(Some(page)) => read.push(page),
                Ok(None) => {}
                Err(found_problems) => {
                    problems.extend(found_problems);
                    // Links to it are not reported as broken too: the page is there, with a mistake.
                    let url = page_url(&found.rel, None).unwrap_or_default();
                    left_out.push(LeftOut {
                        display_path: content_dir.join(&found.rel),
                        path: found.path.clone(),
                        url: url.clone(),
                    });
                    failed.insert(found.rel.clone(), url);
                }
            }
        }
        // A page whose URL or meeting id an earlier page already has is reported and left out.
        let mut pages: Vec<Page> = Vec::with_capacity(read.len());
        let mut by_url: HashMap<String, usize> = HashMap::with_capacity(read.len());
        let mut meeting_ids: HashMap<String, usize> = HashMap::new();
        for page in read {
            let clash = match by_url.get(&page.url) {
                Some(&other) => Some(
                    Problem::in_file(
                        &page.path,
                        text!(site::URL_TWICE, url = page.url, other = pages[other].rel),
                    )
                    .with_hint(site::URL_TWICE_HINT),
                ),
                None => page.meeting.as_ref().and_then(|meeting| {
                    let &other = meeting_ids.get(meeting.id.as_str())?;
                    Some(
                        Problem::in_file(
                            &page.path,
                            text!(site::ID_TWICE, id = meeting.id, other = pages[other].rel),
                        )
                        .with_hint(site::ID_TWICE_HINT),
                    )
                }),
            };
            if let Some(problem) = clash {
                problems.push(problem);
                failed.insert(page.rel.clone(), page.url.clone());
                continue;
            }
            by_url.insert(page.url.clone(), pages.len());
            if let Some(meeting) = &page.meeting {
                meeting_ids.insert(meeting.id.clone(), pages.len());
            }
            pages.push(page);
        }
        let by_rel: HashMap<String, usize> = pages
            .iter()
            .enumerate()
            .map(|(index, page)| (page.rel.clone(), index))
            .collect();
        let mut meetings: Vec<usize> = (0..pages.len())
            .filter(|&i| pages[i].meeting.is_some())
            .collect();
        meetings.sort_by(|&a, &b| {
            let (ma, mb) = (pages[a].meeting.as_deref(), pages[b].meeting.as_deref());
            let key = |m: Option<&Meeting>| m.map(|m| (m.date, m.start, m.id.clone()));
            key(ma).cmp(&key(mb))
        });
        let children = index_children(&pages);
        let site = Site {
            config,
            pages,
            now: options.now,
            by_rel,
            failed,
            left_out,
            meetings,
            children,
        };
        (site, problems)
    }

    /// Content path and URL of each page left out because of a mistake (the URL is empty when the file's
    /// name cannot make one).
    /// The pages left out for a mistake in their front matter, whose Markdown is still checked.
    pub fn left_out(&self) -> &[LeftOut] {
        &self.left_out
    }

    pub fn failed_pages(&self) -> impl Iterator<Item = (String, String)> + '_ {
        self.failed
            .iter()
            .map(|(rel, url)| (rel.clone(), url.clone()))
    }

    /// Replaces a page's metadata after its file changed (`serve`). The caller has checked that the change
    /// keeps its URL, kind and meeting, so only the order of its parent's listing can change.
    pub(crate) fn replace_page(&mut self, index: usize, page: Page) {
        self.pages[index] = page;
        let pages = &self.pages;
        for children in self.children.values_mut() {
            if children.pages.contains(&index) || children.subsections.contains(&index) {
                sort_listing(pages, &mut children.pages);
                sort_listing(pages, &mut children.subsections);
            }
        }
    }

    /// The index of the section that lists page `index`, if any.
    pub(crate) fn parent_section(&self, index: usize) -> Option<usize> {
        self.children.iter().find_map(|(&section, children)| {
            (children.pages.contains(&index) || children.subsections.contains(&index))
                .then_some(section)
        })
    }

    pub fn page_by_rel(&self, rel: &str) -> Option<&Page> {
        self.by_rel.get(rel).map(|&i| &self.pages[i])
    }

    pub(crate) fn index_of(&self, rel: &str) -> Option<usize> {
        self.by_rel.get(rel).copied()
    }

    pub fn meeting_pages(&self) -> impl Iterator<Item = &Page> {
        self.meetings.iter().map(|&i| &self.pages[i])
    }

    /// Resolves a content path (`@/bijeenkomsten/zwolle.md#route`) to a URL (`/bijeenkomsten/zwolle/#route`).
    pub fn resolve_content_path(&self, link: &str) -> Result<String, Text> {
        let path = link
            .strip_prefix("@/")
            .ok_or_else(|| text!(site::NOT_A_CONTENT_PATH, link = link))?;
        let (path, fragment) = match path.split_once('#') {
            Some((path, fragment)) => (path, Some(fragment)),
            None => (path, None),
        };
        let url = self
            .page_by_rel(path)
            .map(|page| page.url.as_str())
            .or_else(|| self.failed.get(path).map(String::as_str));
        match url {
            Some(url) => Ok(match fragment {
                Some(fragment) => format!("{url}#{fragment}"),
                None => url.to_string(),
            }),
            None => Err(
                match suggest::closest(path, self.by_rel.keys().map(String::as_str)) {
                    Some(close) => {
                        text!(
                            site::LINK_MISSING_CLOSE,
                            link = link,
                            path = path,
                            close = close
                        )
                    }
                    None => text!(site::LINK_MISSING, link = link, path = path),
                },
            ),
        }
    }

    /// Pages listed by the section at `index`: its direct pages and its direct subsections, sorted by weight,
    /// date, title. Returned as indices into `pages`.
    pub fn section_children(&self, index: usize) -> (&[usize], &[usize]) {
        match self.children.get(&index) {
            Some(children) => (&children.pages, &children.subsections),
            None => (&[], &[]),
        }
    }

    pub fn permalink(&self, url: &str) -> String {
        format!("{}{}", self.config.base_url, url)
    }
}

/// Groups every page under the section of its folder (pages whose folder has no `_index.md` are not listed).
fn index_children(pages: &[Page]) -> HashMap<usize, Children> {
    let sections: HashMap<&str, usize> = pages
        .iter()
        .enumerate()
        .filter(|(_, page)| page.is_section)
        .map(|(index, page)| (page.folder(), index))
        .collect();
    let mut children: HashMap<usize, Children> = sections
        .values()
        .map(|&index| (index, Children::default()))
        .collect();
    for (index, page) in pages.iter().enumerate() {
        let Some(&section) = page.parent_folder().and_then(|folder| sections.get(folder)) else {
            continue;
        };
        let listing = children.entry(section).or_default();
        if page.is_section {
            listing.subsections.push(index);
        } else {
            listing.pages.push(index);
        }
    }
    for listing in children.values_mut() {
        sort_listing(pages, &mut listing.pages);
        sort_listing(pages, &mut listing.subsections);
    }
    children
}

fn sort_listing(pages: &[Page], listing: &mut [usize]) {
    listing.sort_by(|&a, &b| {
        let (a, b) = (&pages[a], &pages[b]);
        (a.weight, a.date, &a.title, &a.rel).cmp(&(b.weight, b.date, &b.title, &b.rel))
    });
}

/// Reads and checks one page's front matter (`serve` uses this for a page that changed).
pub(crate) fn parse_page(
    found: &Found,
    content_dir: &Path,
    options: &SiteOptions<'_>,
) -> Result<Option<Page>, Vec<Problem>> {
    parse_page_with(found, content_dir, options, &mut Vec::new())
}

fn parse_page_with(
    found: &Found,
    content_dir: &Path,
    options: &SiteOptions<'_>,
    buf: &mut Vec<u8>,
) -> Result<Option<Page>, Vec<Problem>> {
    let display_path = content_dir.join(&found.rel);
    let text = load::read_text(&found.path, buf).map_err(|err| {
        vec![crate::error::io_problem(
            &display_path,
            site::ACTION_READ_PAGE_UTF8,
            &err,
        )]
    })?;
    let split = load::split_front_matter(text, &display_path).map_err(|p| vec![p])?;
    let front = front_matter::parse(split.front_matter, &display_path, split.front_matter_line)?;
    // From here on the front matter is read: every mistake in it is reported, not only the first.
    let mut problems = Vec::new();
    if front.draft && !options.drafts {
        return Ok(None);
    }
    let key_problem = |key: &str, message: Text| {
        let problem = Problem::in_file(&display_path, message);
        match yaml::key_line(split.front_matter, key) {
            Some(line) => problem.at_line(line + split.front_matter_line),
            None => problem,
        }
    };
    if front.title.trim().is_empty() {
        problems
            .push(key_problem("title", site::TITLE_EMPTY.into()).with_hint(site::TITLE_EMPTY_HINT));
    }
    let date = match front.date.as_deref().map(dates::parse_date).transpose() {
        Ok(date) => date,
        Err(e) => {
            problems.push(key_problem("date", e));
            None
        }
    };
    let file_name = found.rel.rsplit('/').next().unwrap_or(&found.rel);
    let is_section = file_name == "_index.md";
    if let Some(slug) = &front.slug {
        if is_section {
            problems.push(
                key_problem("slug", site::SECTION_SLUG.into()).with_hint(site::SECTION_SLUG_HINT),
            );
        } else if let Err(e) = check_slug(slug) {
            problems.push(key_problem("slug", e));
        }
    }
    let url = match page_url(&found.rel, front.slug.as_deref()) {
        Ok(url) => url,
        Err(e) => {
            problems.push(Problem::in_file(&display_path, e).with_hint(site::NAME_HINT));
            String::new()
        }
    };
    let had_meeting = front.meeting.is_some();
    let meeting = match front.meeting.map(Meeting::from_front) {
        Some(Ok(meeting)) => Some(Box::new(meeting)),
        Some(Err((key, message))) => {
            let problem = Problem::in_file(&display_path, message);
            problems.push(
                match front_matter::meeting_key_line(split.front_matter, key) {
                    Some(line) => problem.at_line(line + split.front_matter_line),
                    None => problem,
                },
            );
            None
        }
        None => None,
    };
    if had_meeting && is_section {
        problems.push(
            key_problem("meeting", site::SECTION_MEETING.into())
                .with_hint(site::SECTION_MEETING_HINT),
        );
    }
    let template = match front.template {
        Some(name) => {
            if !options.templates.has(&name) {
                let names = options.templates.names();
                let hint = match suggest::closest(&name, names.iter().copied()) {
                    Some(close) => text!(site::DID_YOU_MEAN, close = close),
                    None => text!(site::TEMPLATES_ARE, names = names.join(", ")),
                };
                problems.push(
                    key_problem("template", text!(site::NO_TEMPLATE, name = name)).with_hint(hint),
                );
            }
            name
        }
        None => default_template(&found.rel, is_section, had_meeting).to_string(),
    };
    if !problems.is_empty() {
        return Err(problems);
    }
    Ok(Some(Page {
        rel: found.rel.clone(),
        path: display_path,
        is_section,
        url,
        title: front.title.trim().to_string(),
        description: front
            .description
            .map(|d| d.trim().to_string())
            .filter(|d| !d.is_empty()),
        date,
        draft: front.draft,
        template,
        weight: front.weight.unwrap_or(0),
        extra: front
            .extra
            .unwrap_or(serde_json::Value::Object(Default::default())),
        meeting,
        body_offset: split.body_offset,
        body_line: split.body_line,
    }))
}

fn default_template(rel: &str, is_section: bool, is_meeting: bool) -> &'static str {
    if rel == "_index.md" {
        "index.html"
    } else if is_section {
        "section.html"
    } else if is_meeting {
        "meeting.html"
    } else {
        "page.html"
    }
}

/// A set of template names from the theme.
impl TemplateNames for BTreeSet<String> {
    fn has(&self, name: &str) -> bool {
        self.contains(name)
    }
    fn names(&self) -> Vec<&str> {
        self.iter()
            .map(String::as_str)
            .filter(|n| !n.starts_with("partials/"))
            .collect()
    }
}
