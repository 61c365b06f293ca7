//! Rebuilds for `serve`: a full build that keeps its model, then, per change, the least work that gives the same
//! output as a full build (only the edited pages, and the lists that show them), or a full build when unsure.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use crate::error::{BuildError, Problem};
use crate::load::{self, Found};
use crate::render::RenderedPage;
use crate::site::{self, Page, SiteOptions};
use crate::write;
use crate::{BuildOptions, BuildSummary, Prepared, feeds};

/// A site being served: its options and, after a successful build, what that build read and parsed.
pub struct Session {
    options: BuildOptions,
    /// `None` until the first successful build and after any failed one: the next change then builds everything.
    prepared: Option<Prepared>,
}

/// What [`Session::update`] did.
#[derive(Debug, Clone)]
pub enum Outcome {
    /// Everything was built and swapped in.
    Full(BuildSummary),
    /// Only these output files were written again, in place.
    Partial { files: Vec<String> },
    /// The changes cannot affect the output (e.g. an editor's temporary file that came and went).
    Unchanged,
}

/// Why a change needs a full build; only used to decide, so a plain marker is enough.
struct NeedsFull;

impl Session {
    /// `options.output` is the folder that is served; `options.now` is fixed by the first full build when unset,
    /// and kept by incremental rebuilds (a full rebuild takes the clock again).
    pub fn new(options: BuildOptions) -> Self {
        Session {
            options,
            prepared: None,
        }
    }

    pub fn options(&self) -> &BuildOptions {
        &self.options
    }

    /// Builds everything into a staging folder and swaps it in, like [`crate::build`], keeping the model.
    pub fn full(&mut self) -> Result<BuildSummary, BuildError> {
        self.prepared = None;
        let (prepared, summary) = crate::build_prepared(&self.options)?;
        self.prepared = Some(prepared);
        Ok(summary)
    }

    /// Brings the output up to date after `changed` paths changed (files or folders, as the watcher saw them).
    /// On an error the output is left as it was and the error is what a full build reports.
    pub fn update(&mut self, changed: &[PathBuf]) -> Result<Outcome, BuildError> {
        match self.plan(changed) {
            Ok(plan) if plan.is_empty() => Ok(Outcome::Unchanged),
            Ok(plan) => match self.apply(plan) {
                Ok(files) => Ok(Outcome::Partial { files }),
                // The full build gives the complete, ordered list of problems and leaves the output alone.
                Err(NeedsFull) => self.full().map(Outcome::Full),
            },
            Err(NeedsFull) => self.full().map(Outcome::Full),
        }
    }

    /// The Markdown files (relative to `content/`) whose new text must be looked at, or `NeedsFull`.
    fn plan(&self, changed: &[PathBuf]) -> Result<BTreeSet<String>, NeedsFull> {
        let prepared = self.prepared.as_ref().ok_or(NeedsFull)?;
        let root = &self.options.root;
        let content_dir = root.join("content");
        let theme_dir = root.join("theme");
        let config = root.join(crate::config::CONFIG_FILE);
        let known = |list: &[Found], rel: &str| {
            list.binary_search_by(|found| found.rel.as_str().cmp(rel))
                .is_ok()
        };
        let mut pages = BTreeSet::new();
        for path in changed {
            if path == &config || path.starts_with(&theme_dir) {
                return Err(NeedsFull);
            }
            let Ok(rel) = path.strip_prefix(&content_dir) else {
                // Not an input of the site (the watcher also sees the site folder itself).
                continue;
            };
            let Some(rel) = relative_name(rel) else {
                // `content/` itself, or a name that cannot be a page: let a full build judge it.
                return Err(NeedsFull);
            };
            if rel.split('/').any(load::is_ignored) {
                continue;
            }
            let is_markdown = known(&prepared.content.markdown, &rel);
            let is_other = known(&prepared.content.other, &rel);
            let is_file = path.is_file();
            if !is_markdown && !is_other && !path.exists() {
                // Created and removed again before we looked (an editor's temporary file): no effect.
                continue;
            }
            if !(is_markdown && is_file) {
                // New, removed or renamed files and folders, and files copied as they are.
                return Err(NeedsFull);
            }
            pages.insert(rel);
        }
        Ok(pages)
    }

    /// Parses the changed pages again and, when the change stays inside them (and the lists that show them),
    /// renders just those pages into the served folder. Anything else is left to a full build.
    fn apply(&mut self, rels: BTreeSet<String>) -> Result<Vec<String>, NeedsFull> {
        let prepared = self.prepared.as_mut().ok_or(NeedsFull)?;
        let content_dir = self.options.root.join("content");
        let mut replaced = Vec::with_capacity(rels.len());
        let mut render = BTreeSet::new();
        let mut sitemap = false;
        let options = SiteOptions {
            drafts: self.options.drafts,
            now: prepared.now,
            templates: &prepared.templates.names,
        };
        for rel in rels {
            let index = prepared.site.index_of(&rel).ok_or(NeedsFull)?;
            let found = Found {
                path: content_dir.join(&rel),
                rel,
            };
            let page = site::parse_page(&found, &content_dir, &options)
                .ok()
                .flatten()
                .ok_or(NeedsFull)?;
            let old = &prepared.site.pages[index];
            match compare(old, &page) {
                Change::Body => {}
                Change::Listing { date } => {
                    if let Some(parent) = prepared.site.parent_section(index) {
                        render.insert(parent);
                    }
                    sitemap |= date;
                }
                Change::Structure => return Err(NeedsFull),
            }
            render.insert(index);
            replaced.push((index, page));
        }
        for (index, page) in replaced {
            prepared.site.replace_page(index, page);
        }
        // On `NeedsFull` the full build throws this model away, so a half-updated one does no harm.
        let files = render_in_memory(prepared, &render, sitemap).map_err(|()| NeedsFull)?;
        let mut written = Vec::with_capacity(files.len());
        for (rel, bytes) in &files {
            if write::replace_file(&self.options.output, rel, bytes).is_err() {
                return Err(NeedsFull);
            }
            written.push(rel.clone());
        }
        Ok(written)
    }
}

/// Renders the pages (and the sitemap) into memory first, so nothing is written unless all of them succeed.
fn render_in_memory(
    prepared: &Prepared,
    pages: &BTreeSet<usize>,
    sitemap: bool,
) -> Result<Vec<(String, Vec<u8>)>, ()> {
    let renderer = prepared.renderer().map_err(|_| ())?;
    let files = Mutex::new(Vec::with_capacity(pages.len() + 1));
    let sink = |page: &RenderedPage<'_>| -> Result<(), Problem> {
        files
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push((page.out_path.clone(), page.html.to_vec()));
        Ok(())
    };
    let problems = renderer.render_some(pages.iter().copied().collect::<Vec<_>>(), &sink);
    if !problems.is_empty() {
        return Err(());
    }
    let mut files = files.into_inner().unwrap_or_else(|p| p.into_inner());
    if sitemap {
        files.push((
            "sitemap.xml".to_string(),
            feeds::sitemap(&prepared.site).into_bytes(),
        ));
    }
    Ok(files)
}

/// How far a page's edit reaches.
#[derive(Debug, PartialEq, Eq)]
enum Change {
    /// Only the page's own output (its text, or its front matter as only it shows it).
    Body,
    /// Also the section that lists it (title, description, date or weight); `date` also changes the sitemap.
    Listing { date: bool },
    /// Its URL, kind, template, draft state, `extra` or meeting: other outputs may change in ways not tracked here.
    Structure,
}

fn compare(old: &Page, new: &Page) -> Change {
    // Meetings appear on every page (and in meetings.json, calendars, posters): always a full build.
    if old.meeting.is_some()
        || new.meeting.is_some()
        || old.rel != new.rel
        || old.url != new.url
        || old.is_section != new.is_section
        || old.draft != new.draft
        || old.template != new.template
        || old.extra != new.extra
    {
        return Change::Structure;
    }
    let date = old.date != new.date;
    if date
        || old.title != new.title
        || old.description != new.description
        || old.weight != new.weight
    {
        Change::Listing { date }
    } else {
        Change::Body
    }
}

/// `a/b.md` from a path below `content/`; `None` for `content/` itself or names that are not UTF-8.
fn relative_name(rel: &Path) -> Option<String> {
    let parts: Option<Vec<&str>> = rel.components().map(|c| c.as_os_str().to_str()).collect();
    let parts = parts?;
    (!parts.is_empty()).then(|| parts.join("/"))
}
