//! Rendering: Markdown bodies and Tera templates for every page, in parallel, with the least context each needs.

use rayon::prelude::*;
use std::collections::HashMap;
use std::path::Path;
use tera::{Context, Tera};

use crate::dates;
use crate::error::Problem;
use crate::markdown::{self, SourceLink};
use crate::site::{Page, Site};
use crate::templates::template_problem;
use crate::views::{
    BuildView, FormView, MeetingView, MenuView, PageSummary, PageView, SectionView, SiteView,
};

/// One rendered output file, before it is written.
pub struct RenderedPage<'a> {
    /// Output path below the site root, e.g. `bijeenkomsten/zwolle/index.html`.
    pub out_path: String,
    pub html: String,
    /// The content file it came from, if any, with the links written in its Markdown.
    pub source: Option<&'a Page>,
    pub template: String,
    pub links: Vec<SourceLink>,
}

/// The parts of the template context that are the same for every page, built once.
pub struct Renderer<'a> {
    site: &'a Site,
    tera: &'a Tera,
    templates_dir: &'a Path,
    base: Context,
    meeting_views: Vec<MeetingView>,
    meeting_of_page: HashMap<usize, usize>,
    registration_url: String,
}

impl<'a> Renderer<'a> {
    pub fn new(
        site: &'a Site,
        tera: &'a Tera,
        templates_dir: &'a Path,
        has_poster: bool,
    ) -> Result<Self, Problem> {
        let mut meeting_views = Vec::with_capacity(site.meetings.len());
        let mut meeting_of_page = HashMap::with_capacity(site.meetings.len());
        for &index in &site.meetings {
            if let Some(view) = MeetingView::new(site, &site.pages[index], has_poster) {
                meeting_of_page.insert(index, meeting_views.len());
                meeting_views.push(view);
            }
        }
        let config = &site.config;
        let menu = config
            .menu
            .iter()
            .map(|item| {
                site.resolve_content_path(&item.page)
                    .map(|url| MenuView {
                        title: item.title.clone(),
                        url,
                    })
                    .map_err(|message| {
                        Problem::in_file(
                            crate::config::CONFIG_FILE,
                            format!("menu item `{}`: {message}", item.title),
                        )
                    })
            })
            .collect::<Result<Vec<_>, _>>()?;
        let registration_url = site
            .resolve_content_path(&config.registration_page)
            .map_err(|message| {
                Problem::in_file(
                    crate::config::CONFIG_FILE,
                    format!("registration_page: {message}"),
                )
                .with_hint("point registration_page at the page with the registration form")
            })?;
        let mut base = Context::new();
        base.insert(
            "site",
            &SiteView::new(config, menu, registration_url.clone()),
        );
        base.insert("meetings", &meeting_views);
        base.insert(
            "build",
            &BuildView {
                time: dates::rfc3339_utc(site.now),
                year: site.now.to_zoned(dates::amsterdam()).year(),
            },
        );
        base.insert("form", &FormView::default());
        Ok(Renderer {
            site,
            tera,
            templates_dir,
            base,
            meeting_views,
            meeting_of_page,
            registration_url,
        })
    }

    pub fn meeting_views(&self) -> &[MeetingView] {
        &self.meeting_views
    }

    /// URL of the general registration page.
    pub fn registration_url(&self) -> &str {
        &self.registration_url
    }

    fn meeting_view(&self, page_index: usize) -> Option<&MeetingView> {
        self.meeting_of_page
            .get(&page_index)
            .map(|&i| &self.meeting_views[i])
    }

    /// Renders every page in parallel and hands each result to `sink` (which may write it or inspect it).
    pub fn render_pages<F>(&self, sink: F) -> Vec<Problem>
    where
        F: Fn(RenderedPage<'_>) -> Result<(), Problem> + Sync,
    {
        (0..self.site.pages.len())
            .into_par_iter()
            .flat_map_iter(|index| {
                match self
                    .render_page(index)
                    .and_then(|page| sink(page).map_err(|p| vec![p]))
                {
                    Ok(()) => Vec::new(),
                    Err(problems) => problems,
                }
                .into_iter()
            })
            .collect()
    }

    fn render_page(&self, index: usize) -> Result<RenderedPage<'_>, Vec<Problem>> {
        let page = &self.site.pages[index];
        let text = std::fs::read_to_string(&page.path)
            .map_err(|err| vec![crate::error::io_problem(&page.path, "read the page", &err)])?;
        let body = text.get(page.body_offset..).unwrap_or_default();
        let resolve = |link: &str| self.site.resolve_content_path(link);
        let rendered = markdown::render(body, page.body_line, &resolve);
        if !rendered.broken.is_empty() {
            return Err(rendered
                .broken
                .into_iter()
                .map(|(line, message)| {
                    Problem::in_file(&page.path, message)
                        .at_line(line)
                        .with_hint("write internal links as content paths, e.g. [Zwolle](@/bijeenkomsten/zwolle.md)")
                })
                .collect());
        }
        let meeting = self.meeting_view(index);
        let view = PageView {
            title: &page.title,
            description: page.description.as_deref(),
            url: &page.url,
            permalink: self.site.permalink(&page.url),
            date: page.date.map(|d| d.to_string()),
            date_label: page.date.map(dates::date_label),
            weight: page.weight,
            extra: &page.extra,
            source: &page.rel,
            content: rendered.html,
            toc: rendered.toc,
            meeting,
        };
        let mut context = self.base.clone();
        context.insert("page", &view);
        context.insert("current_url", &page.url);
        if page.is_section {
            let (pages, subsections) = self.site.section_children(page);
            let summary = |i: usize| {
                let p = &self.site.pages[i];
                PageSummary {
                    title: &p.title,
                    description: p.description.as_deref(),
                    url: &p.url,
                    date: p.date.map(|d| d.to_string()),
                    date_label: p.date.map(dates::date_label),
                    weight: p.weight,
                    meeting: self.meeting_view(i),
                }
            };
            context.insert(
                "section",
                &SectionView {
                    pages: pages.into_iter().map(summary).collect(),
                    subsections: subsections.into_iter().map(summary).collect(),
                },
            );
        }
        let html = self
            .tera
            .render(&page.template, &context)
            .map_err(|err| vec![self.page_template_problem(&err, page)])?;
        Ok(RenderedPage {
            out_path: out_path(&page.url),
            html,
            source: Some(page),
            template: page.template.clone(),
            links: rendered.links,
        })
    }

    fn page_template_problem(&self, err: &tera::Error, page: &Page) -> Problem {
        let mut problem = template_problem(err, self.templates_dir);
        problem.message = format!(
            "{} (while rendering {})",
            problem.message,
            page.path.display()
        );
        problem
    }

    /// Renders a page that has no Markdown source (`404.html`, posters) with extra variables.
    pub fn render_special(
        &self,
        template: &str,
        out_path: String,
        current_url: &str,
        extra: &[(&str, serde_json::Value)],
    ) -> Result<RenderedPage<'_>, Problem> {
        let mut context = self.base.clone();
        context.insert("current_url", current_url);
        for (key, value) in extra {
            context.insert(*key, value);
        }
        let html = self
            .tera
            .render(template, &context)
            .map_err(|err| template_problem(&err, self.templates_dir))?;
        Ok(RenderedPage {
            out_path,
            html,
            source: None,
            template: template.to_string(),
            links: Vec::new(),
        })
    }
}

/// `/` -> `index.html`; `/a/b/` -> `a/b/index.html`.
pub fn out_path(url: &str) -> String {
    format!("{}index.html", url.trim_start_matches('/'))
}
