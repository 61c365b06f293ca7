//! `opp-site`: the static site generator of the Landelijk OPP Project.
//!
//! The public API is a few entry points: [`build`], [`check`], [`serve::run`] (what `opp-dev` runs too),
//! with [`BuildOptions`] and the errors an editor reads ([`BuildError`], [`Problem`]). Everything else is
//! private to the crate. It may depend on `opp-model` and `opp-render`, never on AWS crates.
//!
//! The build is a pipeline: [`load`] finds the files, [`site`] parses them into a model (front matter,
//! meetings, URLs), [`render`] turns pages into HTML (Markdown + Tera), the output modules ([`assets`],
//! [`feeds`], [`ics`], [`qr`]) make the other files, and [`write`] puts the result in place atomically.
//! [`check`] verifies links; [`serve`] rebuilds on change for a live preview, through [`incremental`];
//! [`new_meeting`] writes a new meeting page for an editor.

mod assets;
mod check;
pub mod cms;
mod config;
mod dates;
mod emails;
mod error;
mod feeds;
mod front_matter;
mod ics;
#[doc(hidden)]
pub mod incremental; // public only for tests/incremental.rs; `serve` is its user
mod load;
mod markdown;
mod meeting;
mod new_meeting;
mod qr;
mod render;
pub mod serve;
mod site;
mod suggest;
mod templates;
mod views;
mod write;
mod yaml;

pub use error::{BuildError, Problem, on_github_actions};
pub use new_meeting::{NewMeeting, Written, new_meeting};

use jiff::Timestamp;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::check::PageLinks;
use crate::render::{RenderedPage, Renderer};
use crate::site::{Site, SiteOptions};
use crate::write::Output;
use opp_model::messages;
use opp_model::text;

/// What to build and how.
#[derive(Debug, Clone)]
pub struct BuildOptions {
    /// The folder with `config.yaml`, `content/` and `theme/`.
    pub root: PathBuf,
    /// Where the site goes (`public/` by default).
    pub output: PathBuf,
    /// Replaces `base_url` from the configuration (e.g. for a preview).
    pub base_url: Option<String>,
    /// Include pages marked `draft: true`.
    pub drafts: bool,
    /// A preview of a change (a pull request's): a "Voorbeeld" banner and `noindex` on every page, robots.txt
    /// shutting every crawler out, and no registration form (a preview never calls the registration API).
    pub preview: bool,
    /// The build time; `SOURCE_DATE_EPOCH` or the clock when not given.
    pub now: Option<Timestamp>,
    /// Where the editing screen (when `cms:` is configured) saves: GitHub, or `cargo dev --cms`'s
    /// decap-server.
    pub cms_backend: cms::CmsBackend,
}

impl BuildOptions {
    pub fn new(root: impl Into<PathBuf>) -> Self {
        let root = root.into();
        BuildOptions {
            output: root.join("public"),
            root,
            base_url: None,
            drafts: false,
            preview: false,
            now: None,
            cms_backend: cms::CmsBackend::GitHub,
        }
    }
}

#[derive(Debug, Clone)]
pub struct BuildSummary {
    pub pages: usize,
    pub meetings: usize,
    pub files: usize,
    pub elapsed: Duration,
}

/// Builds the site into `options.output`. On any error the previous output is left untouched.
pub fn build(options: &BuildOptions) -> Result<BuildSummary, BuildError> {
    build_prepared(options).map(|(_, summary)| summary)
}

/// [`build`], also handing back what the build read and parsed (`serve` keeps it for incremental rebuilds).
pub(crate) fn build_prepared(
    options: &BuildOptions,
) -> Result<(Prepared, BuildSummary), BuildError> {
    let mut timings = Timings::from_env();
    let mut prepared = Prepared::load(options, &mut timings)?;
    let output = Output::staged(&options.output)?;
    let (finished, problems) = prepared.render_gathering(options, output, false, &mut timings);
    let finished = match finished {
        Some(finished) if problems.is_empty() => finished,
        // The staged output is dropped unwritten: the previous site stays.
        _ => return Err(BuildError::reported(problems)),
    };
    finished.output.commit()?;
    timings.mark("commit");
    Ok((prepared, finished.summary))
}

/// Builds without writing and checks every internal link and anchor. Broken links are returned as the error.
pub fn check(options: &BuildOptions) -> Result<BuildSummary, BuildError> {
    let mut timings = Timings::from_env();
    let mut prepared = Prepared::load(options, &mut timings)?;
    let (finished, mut problems) =
        prepared.render_gathering(options, Output::discard(), true, &mut timings);
    let Some(finished) = finished else {
        return Err(BuildError::reported(problems));
    };
    // Paths the registration handler answers are not files of the site; pages left out because of a
    // mistake are not either, and were reported already.
    let mut dynamic = vec![
        "/api/".to_string(),
        prepared.site.config.registration_endpoint.clone(),
    ];
    dynamic.extend(
        prepared
            .site
            .failed_pages()
            .map(|(_, url)| url)
            .filter(|url| !url.is_empty()),
    );
    problems.extend(check::verify(
        &finished.links,
        &finished.output.written(),
        &dynamic,
    ));
    timings.mark("check links");
    if problems.is_empty() {
        Ok(finished.summary)
    } else {
        Err(BuildError::reported(problems))
    }
}

/// The build time: `SOURCE_DATE_EPOCH` (seconds since 1970) when set, so builds are reproducible.
pub fn build_time() -> Result<Timestamp, Problem> {
    match std::env::var("SOURCE_DATE_EPOCH") {
        Ok(value) => value
            .trim()
            .parse::<i64>()
            .ok()
            .and_then(|seconds| Timestamp::from_second(seconds).ok())
            .ok_or_else(|| {
                Problem::new(text!(site::SOURCE_DATE_EPOCH, value = value))
                    .with_hint(messages::site::SOURCE_DATE_EPOCH_HINT)
            }),
        Err(_) => Ok(Timestamp::now()),
    }
}

/// Everything a build reads and parses before rendering: configuration, templates, static files and the site
/// model (page metadata only). `serve` keeps it between rebuilds so one edited page can be rendered alone.
pub(crate) struct Prepared {
    pub(crate) started: Instant,
    pub(crate) now: Timestamp,
    pub(crate) templates: templates::Templates,
    pub(crate) templates_dir: PathBuf,
    pub(crate) assets: Vec<assets::Asset>,
    pub(crate) content: load::ContentFiles,
    pub(crate) site: Site,
    /// Mistakes in pages that were left out; the build goes on to find the later phases' problems too,
    /// and fails with all of them.
    pub(crate) problems: Vec<Problem>,
    pub(crate) cms_backend: cms::CmsBackend,
    pub(crate) preview: bool,
}

impl Prepared {
    pub(crate) fn load(options: &BuildOptions, timings: &mut Timings) -> Result<Self, BuildError> {
        let started = Instant::now();
        let now = match options.now {
            Some(now) => now,
            None => build_time()?,
        };
        let root = &options.root;
        let mut config = config::load(root)?;
        if let Some(base_url) = &options.base_url {
            config.base_url = config::normalise_base_url(base_url).map_err(Problem::new)?;
        }
        let templates_dir = root.join("theme").join("templates");
        let template_files = load::walk(&templates_dir)?;
        let names: BTreeSet<String> = template_files.iter().map(|f| f.rel.clone()).collect();
        let content_dir = root.join("content");
        // Parsing the templates (one thread) overlaps with listing and reading the pages (all threads): pages
        // only need the templates' names. Errors keep their order: templates, theme, then content.
        let (tera, pages) = rayon::join(
            || templates::parse(&templates_dir, &template_files),
            || -> Result<_, BuildError> {
                let content = load::content_files(&content_dir)?;
                let (site, problems) = Site::build(
                    config,
                    &content_dir,
                    &content.markdown,
                    &SiteOptions {
                        drafts: options.drafts,
                        now,
                        templates: &names,
                    },
                );
                Ok((content, site, problems))
            },
        );
        // Template and content mistakes are reported together; without templates nothing renders.
        let (tera, sources) = match tera {
            Ok(parsed) => parsed,
            Err(mut err) => {
                err.problems.extend(match pages {
                    Ok((_, _, content_problems)) => content_problems,
                    Err(content_err) => content_err.problems,
                });
                return Err(BuildError::reported(err.problems));
            }
        };
        let mut templates = templates::Templates {
            tera,
            names,
            sources,
        };
        for required in ["404.html"] {
            if !templates.names.contains(required) {
                return Err(Problem::in_file(
                    templates_dir.join(required),
                    messages::site::NO_SUCH_TEMPLATE,
                )
                .with_hint(messages::site::NEEDS_404)
                .into());
            }
        }
        let static_dir = root.join("theme").join("static");
        let static_files = if static_dir.is_dir() {
            load::walk(&static_dir)?
        } else {
            Vec::new()
        };
        let (assets, asset_urls) = assets::hash_all(&static_files)?;
        let (content, site, problems) = pages?;
        timings.mark("templates, static files, front matter");
        // Pages left out because of a mistake still answer `url_for`, so they cause no second problem.
        let page_urls = site
            .pages
            .iter()
            .map(|p| (p.rel.clone(), p.url.clone()))
            .chain(site.failed_pages())
            .collect();
        // `asset` and `url_for` answer from the build's maps.
        opp_render::functions::register(
            &mut templates.tera,
            opp_render::functions::Urls::Site {
                assets: Arc::new(asset_urls),
                pages: Arc::new(page_urls),
            },
        );
        Ok(Prepared {
            started,
            now,
            templates,
            templates_dir,
            assets,
            content,
            site,
            problems,
            cms_backend: options.cms_backend.clone(),
            preview: options.preview,
        })
    }

    /// Renders every output file and gathers every problem so far: those of the pages left out, the
    /// e-mail templates' and the renders'. `None` when rendering failed.
    fn render_gathering(
        &mut self,
        options: &BuildOptions,
        output: Output,
        collect_links: bool,
        timings: &mut Timings,
    ) -> (Option<Finished>, Vec<Problem>) {
        let mut problems = std::mem::take(&mut self.problems);
        if let Err(err) = emails::check(&options.root, &self.site.config.base_url) {
            problems.extend(err.problems);
        }
        // Only a build with a page left out pays for this: a good build renders nothing twice.
        let mut left_out_links = Vec::new();
        // Only a build with a page left out pays for this: a good build renders nothing twice. A renderer
        // that cannot be made is reported by render_all, which needs it too.
        if !self.site.left_out().is_empty()
            && let Ok(renderer) = self.renderer()
        {
            let (left_out_problems, links) = renderer.check_left_out(collect_links);
            problems.extend(left_out_problems);
            left_out_links = links;
        }
        match self.render_all(output, collect_links, timings) {
            Ok(mut finished) => {
                finished.links.extend(left_out_links);
                (Some(finished), problems)
            }
            Err(err) => {
                problems.extend(err.problems);
                (None, problems)
            }
        }
    }

    pub(crate) fn renderer(&self) -> Result<Renderer<'_>, Problem> {
        Renderer::new(
            &self.site,
            &self.templates.tera,
            &self.templates.sources,
            &self.templates_dir,
            self.templates.names.contains("poster.html"),
            self.preview,
        )
    }

    /// Renders and writes every output file. Pages are rendered and written in parallel, one at a time per
    /// thread, so the site's HTML is never held in memory as a whole.
    fn render_all(
        &self,
        output: Output,
        collect_links: bool,
        timings: &mut Timings,
    ) -> Result<Finished, BuildError> {
        let site = &self.site;
        let templates_dir = &self.templates_dir;
        let renderer = self.renderer()?;

        let links = Mutex::new(Vec::new());
        let emit = |page: &RenderedPage<'_>| -> Result<(), Problem> {
            output.write(&page.out_path, page.html)?;
            if collect_links {
                let (hrefs, ids) = check::extract(&String::from_utf8_lossy(page.html));
                let entry = PageLinks {
                    out_path: page.out_path.clone(),
                    source: page.source.map(|p| p.path.clone()),
                    template_file: templates_dir.join(page.template),
                    hrefs,
                    ids,
                    markdown_links: page.links.clone(),
                };
                links.lock().unwrap_or_else(|p| p.into_inner()).push(entry);
            }
            Ok(())
        };
        // The other files (404, meetings' calendars, QR codes and posters, feeds, static files) are written
        // while the pages are rendered, instead of after them.
        let (mut problems, others) = rayon::join(
            || renderer.render_pages(&emit),
            || self.write_other_files(&renderer, &output, &emit),
        );
        problems.extend(others);
        timings.mark("render and write pages and other files");

        if !problems.is_empty() {
            // Sorted and merged with the other phases' problems by `BuildError::reported`.
            return Err(problems.into());
        }
        let summary = BuildSummary {
            pages: site.pages.len(),
            meetings: site.meetings.len(),
            files: output.written_count(),
            elapsed: self.started.elapsed(),
        };
        let links = links.into_inner().unwrap_or_else(|p| p.into_inner());
        Ok(Finished {
            summary,
            links,
            output,
        })
    }

    /// Everything besides the pages; returns the problems found.
    fn write_other_files<F>(
        &self,
        renderer: &Renderer<'_>,
        output: &Output,
        emit: &F,
    ) -> Vec<Problem>
    where
        F: Fn(&RenderedPage<'_>) -> Result<(), Problem>,
    {
        let site = &self.site;
        let now = self.now;
        let mut problems = Vec::new();

        let mut special = Vec::new();
        special.push(renderer.render_special("404.html", "404.html".into(), "", &[]));
        // Meeting views are in the same order as `site.meetings`: one per meeting page.
        for (page, view) in site.meeting_pages().zip(renderer.meeting_views()) {
            let Some(meeting) = &page.meeting else {
                continue;
            };
            let mut write_file = |rel: &str, bytes: Result<Vec<u8>, Problem>| {
                if let Err(problem) =
                    bytes.and_then(|bytes| output.write(rel.trim_start_matches('/'), &bytes))
                {
                    problems.push(problem);
                }
            };
            write_file(
                &view.ics_url,
                Ok(ics::calendar(&site.config, page, meeting, now).into_bytes()),
            );
            write_file(
                &view.qr_url,
                qr::svg_for(&view.permalink).map(String::into_bytes),
            );
            if let Some(poster_url) = &view.poster_url {
                let meeting = serde_json::to_value(view).unwrap_or_default();
                special.push(renderer.render_special(
                    "poster.html",
                    render::out_path(poster_url),
                    poster_url,
                    &[("meeting", meeting)],
                ));
            }
        }
        for page in special {
            match page {
                Ok(page) => {
                    emit(&page.as_rendered()).unwrap_or_else(|problem| problems.push(problem))
                }
                Err(problem) => problems.push(problem),
            }
        }
        let registration_url = renderer.registration_url();
        let general_qr = qr::svg_for(&site.permalink(registration_url)).and_then(|svg| {
            output.write(
                &format!("{}qr.svg", registration_url.trim_start_matches('/')),
                svg.as_bytes(),
            )
        });
        let mut feeds = vec![
            (
                "meetings.json".to_string(),
                feeds::meetings_json(site, renderer.meeting_views()),
            ),
            ("sitemap.xml".to_string(), feeds::sitemap(site)),
            ("robots.txt".to_string(), feeds::robots(site, self.preview)),
            (feeds::SECURITY_TXT.to_string(), feeds::security_txt(site)),
        ];
        if let Some(settings) = &site.config.cms {
            let admin = cms::ADMIN_DIR;
            feeds.push((
                format!("{admin}/config.yml"),
                cms::config_yml(settings, &site.config.base_url, &self.cms_backend),
            ));
            feeds.push((
                format!("{admin}/index.html"),
                cms::index_html(&site.config.title),
            ));
        }
        let mut results = vec![general_qr];
        results.extend(
            feeds
                .iter()
                .map(|(name, text)| output.write(name, text.as_bytes())),
        );
        for asset in &self.assets {
            results.push(output.write(&asset.hashed_rel, &asset.bytes));
            results.push(output.write(&asset.rel, &asset.bytes));
        }
        for file in &self.content.other {
            results.push(
                std::fs::read(&file.path)
                    .map_err(|err| {
                        error::io_problem(&file.path, messages::site::ACTION_READ_FILE, &err)
                    })
                    .and_then(|bytes| output.write(&file.rel, &bytes)),
            );
        }
        problems.extend(results.into_iter().filter_map(Result::err));
        problems
    }
}

/// What a successful render hands to `build` (to commit) or `check` (to verify links).
struct Finished {
    summary: BuildSummary,
    links: Vec<PageLinks>,
    output: Output,
}

/// Phase timings on stderr when `OPP_SITE_TIMINGS` is set: the profile behind BENCHMARKS.md, kept so the next
/// regression can be located without a profiler.
pub(crate) struct Timings {
    last: Option<Instant>,
}

impl Timings {
    pub(crate) fn from_env() -> Self {
        Timings {
            last: std::env::var_os("OPP_SITE_TIMINGS").map(|_| Instant::now()),
        }
    }

    pub(crate) fn mark(&mut self, phase: &str) {
        if let Some(last) = self.last {
            let now = Instant::now();
            // Resident memory so far, split into heap/stacks (anonymous) and mapped code (file).
            let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
            let rss = |key: &str| {
                status
                    .lines()
                    .find_map(|l| l.strip_prefix(key))
                    .map_or(String::new(), |v| v.trim().to_string())
            };
            eprintln!(
                "timing: {phase}: {:.1} ms (peak RSS {}, now anon {}, file {})",
                now.duration_since(last).as_secs_f64() * 1000.0,
                rss("VmHWM:"),
                rss("RssAnon:"),
                rss("RssFile:")
            );
            self.last = Some(now);
        }
    }
}

/// A path shown relative to the working folder when possible.
pub fn display_path(path: &Path) -> String {
    std::env::current_dir()
        .ok()
        .and_then(|cwd| path.strip_prefix(cwd).ok().map(|p| p.display().to_string()))
        .unwrap_or_else(|| path.display().to_string())
}
