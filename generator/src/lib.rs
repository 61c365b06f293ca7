//! `opp-site`: the static site generator of the Landelijk OPP Project.
//!
//! The build is a pipeline: [`load`] finds the files, [`site`] parses them into a model (front matter,
//! meetings, URLs), [`render`] turns pages into HTML (Markdown + Tera), the output modules ([`assets`],
//! [`feeds`], [`ics`], [`qr`]) make the other files, and [`write`] puts the result in place atomically.
//! [`check`] verifies links; [`serve`] rebuilds on change for a live preview.

pub mod assets;
pub mod check;
pub mod config;
pub mod dates;
pub mod error;
pub mod feeds;
pub mod ics;
pub mod load;
pub mod markdown;
pub mod meeting;
pub mod qr;
pub mod render;
pub mod serve;
pub mod site;
pub mod suggest;
pub mod templates;
pub mod views;
pub mod write;
mod yaml;

use jiff::Timestamp;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::check::PageLinks;
use crate::config::Config;
use crate::error::{BuildError, Problem};
use crate::render::{RenderedPage, Renderer};
use crate::site::{Site, SiteOptions};
use crate::write::Output;

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
    /// The build time; `SOURCE_DATE_EPOCH` or the clock when not given.
    pub now: Option<Timestamp>,
}

impl BuildOptions {
    pub fn new(root: impl Into<PathBuf>) -> Self {
        let root = root.into();
        BuildOptions {
            output: root.join("public"),
            root,
            base_url: None,
            drafts: false,
            now: None,
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
    let output = Output::staged(&options.output)?;
    let finished = run(options, output, false)?;
    finished.output.commit()?;
    Ok(finished.summary)
}

/// Builds without writing and checks every internal link and anchor. Broken links are returned as the error.
pub fn check(options: &BuildOptions) -> Result<BuildSummary, BuildError> {
    let finished = run(options, Output::discard(), true)?;
    // Paths the registration handler answers are not files of the site.
    let dynamic = vec!["/api/".to_string(), finished.registration_endpoint];
    let problems = check::verify(&finished.links, &finished.output.written(), &dynamic);
    if problems.is_empty() {
        Ok(finished.summary)
    } else {
        Err(problems.into())
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
                Problem::new(format!(
                    "SOURCE_DATE_EPOCH=`{value}` is not a number of seconds since 1970"
                ))
                .with_hint(
                    "unset it, or set it to e.g. the last commit's time: git log -1 --format=%ct",
                )
            }),
        Err(_) => Ok(Timestamp::now()),
    }
}

fn run(
    options: &BuildOptions,
    output: Output,
    collect_links: bool,
) -> Result<Finished, BuildError> {
    let started = Instant::now();
    let now = match options.now {
        Some(now) => now,
        None => build_time()?,
    };
    let root = &options.root;
    let mut config = Config::load(root)?;
    if let Some(base_url) = &options.base_url {
        config.base_url = config::normalise_base_url(base_url).map_err(Problem::new)?;
    }
    let templates_dir = root.join("theme").join("templates");
    let mut templates = templates::load(&templates_dir)?;
    for required in ["404.html"] {
        if !templates.names.contains(required) {
            return Err(Problem::in_file(
                templates_dir.join(required),
                "the theme has no such template",
            )
            .with_hint("every site needs a 404 page template")
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
    let content_dir = root.join("content");
    let content = load::content_files(&content_dir)?;
    let site = Site::build(
        config,
        &content_dir,
        &content.markdown,
        &SiteOptions {
            drafts: options.drafts,
            now,
            templates: &templates.names,
        },
    )?;
    let page_urls = site
        .pages
        .iter()
        .map(|p| (p.rel.clone(), p.url.clone()))
        .collect();
    templates::register_functions(
        &mut templates.tera,
        Arc::new(asset_urls),
        Arc::new(page_urls),
    );
    let has_poster = templates.names.contains("poster.html");
    let renderer = Renderer::new(&site, &templates.tera, &templates_dir, has_poster)?;

    let links = Mutex::new(Vec::new());
    let emit = |page: RenderedPage<'_>| -> Result<(), Problem> {
        output.write(&page.out_path, page.html.as_bytes())?;
        if collect_links {
            let (hrefs, ids) = check::extract(&page.html);
            let entry = PageLinks {
                out_path: page.out_path,
                source: page.source.map(|p| p.path.clone()),
                template_file: templates_dir.join(&page.template),
                hrefs,
                ids,
                markdown_links: page.links,
            };
            links.lock().unwrap_or_else(|p| p.into_inner()).push(entry);
        }
        Ok(())
    };
    let mut problems = renderer.render_pages(emit);

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
            Ok(page) => emit(page).unwrap_or_else(|problem| problems.push(problem)),
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
    let feeds = [
        (
            "meetings.json",
            feeds::meetings_json(&site, renderer.meeting_views()),
        ),
        ("sitemap.xml", feeds::sitemap(&site)),
        ("robots.txt", feeds::robots(&site)),
    ];
    let mut results = vec![general_qr];
    results.extend(
        feeds
            .iter()
            .map(|(name, text)| output.write(name, text.as_bytes())),
    );
    for asset in &assets {
        results.push(output.write(&asset.hashed_rel, &asset.bytes));
        results.push(output.write(&asset.rel, &asset.bytes));
    }
    for file in &content.other {
        results.push(
            std::fs::read(&file.path)
                .map_err(|err| error::io_problem(&file.path, "read the file", &err))
                .and_then(|bytes| output.write(&file.rel, &bytes)),
        );
    }
    problems.extend(results.into_iter().filter_map(Result::err));
    if !problems.is_empty() {
        problems.sort_by(|a, b| (&a.file, a.line).cmp(&(&b.file, b.line)));
        return Err(problems.into());
    }
    let summary = BuildSummary {
        pages: site.pages.len(),
        meetings: site.meetings.len(),
        files: output.written().len(),
        elapsed: started.elapsed(),
    };
    let links = links.into_inner().unwrap_or_else(|p| p.into_inner());
    Ok(Finished {
        summary,
        links,
        output,
        registration_endpoint: site.config.registration_endpoint.clone(),
    })
}

/// What a successful pipeline run hands to `build` (to commit) or `check` (to verify links).
struct Finished {
    summary: BuildSummary,
    links: Vec<PageLinks>,
    output: Output,
    registration_endpoint: String,
}

/// A path shown relative to the working folder when possible.
pub fn display_path(path: &Path) -> String {
    std::env::current_dir()
        .ok()
        .and_then(|cwd| path.strip_prefix(cwd).ok().map(|p| p.display().to_string()))
        .unwrap_or_else(|| path.display().to_string())
}
