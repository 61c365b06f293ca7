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
use opp_model::messages::{Text, site};
use opp_model::text;

/// One rendered output file, before it is written. The HTML is borrowed from the rendering thread's buffer,
/// which is reused for its next page.
pub struct RenderedPage<'a> {
    /// Output path below the site root, e.g. `bijeenkomsten/zwolle/index.html`.
    pub out_path: String,
    pub html: &'a [u8],
    /// The content file it came from, if any, with the links written in its Markdown.
    pub source: Option<&'a Page>,
    pub template: &'a str,
    pub links: Vec<SourceLink>,
}

/// A page without a Markdown source (`404.html`, posters), rendered into its own buffer.
pub struct SpecialPage {
    pub out_path: String,
    pub html: String,
    pub template: String,
}

impl SpecialPage {
    pub fn as_rendered(&self) -> RenderedPage<'_> {
        RenderedPage {
            out_path: self.out_path.clone(),
            html: self.html.as_bytes(),
            source: None,
            template: &self.template,
            links: Vec::new(),
        }
    }
}

/// What each rendering thread reuses from page to page: a copy of the shared context (only the per-page keys
/// are replaced) and the output buffer, so a page costs no context clone and few allocations.
pub struct Scratch {
    context: Context,
    html: Vec<u8>,
    source: Vec<u8>,
    content: String,
}

/// The parts of the template context that are the same for every page, built once.
pub struct Renderer<'a> {
    site: &'a Site,
    tera: &'a Tera,
    /// The templates' text, where render errors are located.
    sources: &'a [(String, String)],
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
        sources: &'a [(String, String)],
        templates_dir: &'a Path,
        has_poster: bool,
        preview: bool,
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
                            Text::Msg(
                                site::MENU_ITEM,
                                vec![("title", item.title.clone().into()), ("problem", message)],
                            ),
                        )
                    })
            })
            .collect::<Result<Vec<_>, _>>()?;
        let registration_url = site
            .resolve_content_path(&config.registration_page)
            .map_err(|message| {
                Problem::in_file(
                    crate::config::CONFIG_FILE,
                    Text::Msg(site::REGISTRATION_PAGE, vec![("problem", message)]),
                )
                .with_hint(site::REGISTRATION_PAGE_HINT)
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
                preview,
            },
        );
        base.insert("form", &FormView::default());
        Ok(Renderer {
            site,
            tera,
            sources,
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

    /// A fresh per-thread scratch space for [`Renderer::render_page`].
    pub fn scratch(&self) -> Scratch {
        Scratch {
            context: self.base.clone(),
            html: Vec::with_capacity(16 * 1024),
            source: Vec::new(),
            content: String::new(),
        }
    }

    /// Renders every page in parallel and hands each result to `sink` (which may write it or inspect it).
    pub fn render_pages<F>(&self, sink: &F) -> Vec<Problem>
    where
        F: Fn(&RenderedPage<'_>) -> Result<(), Problem> + Sync,
    {
        self.render_some(0..self.site.pages.len(), sink)
    }

    /// Renders the pages with the given indices in parallel and hands each to `sink`.
    pub fn render_some<F>(
        &self,
        indices: impl IntoParallelIterator<Item = usize>,
        sink: &F,
    ) -> Vec<Problem>
    where
        F: Fn(&RenderedPage<'_>) -> Result<(), Problem> + Sync,
    {
        let problems = std::sync::Mutex::new(Vec::new());
        indices.into_par_iter().for_each_init(
            || self.scratch(),
            |scratch, index| {
                let result = self
                    .render_page(index, scratch)
                    .and_then(|page| sink(&page).map_err(|p| vec![p]));
                if let Err(found) = result {
                    problems
                        .lock()
                        .unwrap_or_else(|p| p.into_inner())
                        .extend(found);
                }
            },
        );
        problems.into_inner().unwrap_or_else(|p| p.into_inner())
    }

    /// Renders page `index` into `scratch`'s buffer.
    /// The Markdown of the pages left out for a mistake in their front matter, rendered only to check its
    /// links: a content path that does not resolve is reported in this build, beside the front matter's
    /// mistake, and with `collect_links` its links and anchors go to the link check like a page's.
    pub fn check_left_out(
        &self,
        collect_links: bool,
    ) -> (Vec<Problem>, Vec<crate::check::PageLinks>) {
        let resolve = |link: &str| self.site.resolve_content_path(link);
        let mut problems = Vec::new();
        let mut links = Vec::new();
        let mut source = Vec::new();
        for left in self.site.left_out() {
            // Unreadable files and missing front matter were reported already; there is no body to check.
            let Ok(text) = crate::load::read_text(&left.path, &mut source) else {
                continue;
            };
            let Ok(split) = crate::load::split_front_matter(text, &left.display_path) else {
                continue;
            };
            let body = text.get(split.body_offset..).unwrap_or_default();
            let rendered = markdown::render_into(body, split.body_line, &resolve, String::new());
            problems.extend(rendered.broken.into_iter().map(|(line, message)| {
                Problem::in_file(&left.display_path, message)
                    .at_line(line)
                    .with_hint(site::INTERNAL_LINK_HINT)
            }));
            if collect_links && !left.url.is_empty() {
                let (hrefs, ids) = crate::check::extract(&rendered.html);
                links.push(crate::check::PageLinks {
                    out_path: out_path(&left.url),
                    source: Some(left.display_path.clone()),
                    template_file: left.display_path.clone(),
                    hrefs,
                    ids,
                    markdown_links: rendered.links,
                });
            }
        }
        (problems, links)
    }

    pub fn render_page<'s>(
        &'s self,
        index: usize,
        scratch: &'s mut Scratch,
    ) -> Result<RenderedPage<'s>, Vec<Problem>> {
        let page = &self.site.pages[index];
        let text = crate::load::read_text(&page.path, &mut scratch.source).map_err(|err| {
            vec![crate::error::io_problem(
                &page.path,
                site::ACTION_READ_PAGE,
                &err,
            )]
        })?;
        let body = text.get(page.body_offset..).unwrap_or_default();
        let resolve = |link: &str| self.site.resolve_content_path(link);
        let rendered = markdown::render_into(
            body,
            page.body_line,
            &resolve,
            std::mem::take(&mut scratch.content),
        );
        if !rendered.broken.is_empty() {
            return Err(rendered
                .broken
                .into_iter()
                .map(|(line, message)| {
                    Problem::in_file(&page.path, message)
                        .at_line(line)
                        .with_hint(site::INTERNAL_LINK_HINT)
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
            // Moved in below rather than copied: it is most of the page.
            content: "",
            toc: rendered.toc,
            meeting,
        };
        let mut page_value = serde_json::to_value(&view).unwrap_or_default();
        if let serde_json::Value::Object(map) = &mut page_value {
            map.insert(
                "content".to_string(),
                serde_json::Value::String(rendered.html),
            );
        }
        let context = &mut scratch.context;
        let mut keys = serde_json::Map::with_capacity(1);
        keys.insert("page".to_string(), page_value);
        context.extend(Context::from_value(serde_json::Value::Object(keys)).unwrap_or_default());
        context.insert("current_url", &page.url);
        if page.is_section {
            let (pages, subsections) = self.site.section_children(index);
            let summary = |&i: &usize| {
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
                    pages: pages.iter().map(summary).collect(),
                    subsections: subsections.iter().map(summary).collect(),
                },
            );
        } else {
            // The scratch context may hold the previous page's section listing.
            context.remove("section");
        }
        scratch.html.clear();
        let result = self
            .tera
            .render_to(&page.template, context, &mut scratch.html);
        // Take the page's HTML back as the next page's Markdown buffer (and do not keep it in the context).
        if let Some(serde_json::Value::Object(mut page)) = context.remove("page")
            && let Some(serde_json::Value::String(html)) = page.remove("content")
        {
            scratch.content = html;
        }
        result.map_err(|err| vec![self.page_template_problem(&err, page)])?;
        Ok(RenderedPage {
            out_path: out_path(&page.url),
            html: &scratch.html,
            source: Some(page),
            template: &page.template,
            links: rendered.links,
        })
    }

    fn page_template_problem(&self, err: &tera::Error, page: &Page) -> Problem {
        self.located(err, &page.template).unwrap_or_else(|| {
            let mut problem = template_problem(err, self.templates_dir);
            problem.message = Text::Msg(
                site::WHILE_RENDERING,
                vec![
                    ("problem", problem.message),
                    ("page", page.path.display().to_string().into()),
                ],
            );
            problem
        })
    }

    /// The problem of a render error at the template and line where its expression is (which may be an
    /// inherited or included template), naming every other place too. The same for every page that hits
    /// it, so the build reports it once (see `BuildError::reported`).
    fn located(&self, err: &tera::Error, template: &str) -> Option<Problem> {
        let text = opp_render::error_chain(err);
        let places = opp_render::locate::error_places(self.sources, template, &text);
        let first = places.first()?;
        let mut problem = template_problem(err, self.templates_dir);
        // The innermost cause, without the page template that was being rendered: the same for every page.
        let mut cause: &dyn std::error::Error = err;
        while let Some(next) = cause.source() {
            cause = next;
        }
        let cause = cause.to_string();
        let cause = cause.split(" while rendering '").next().unwrap_or(&cause);
        problem.message = text!(site::TEMPLATE_ERROR, detail = cause);
        problem.file = Some(self.templates_dir.join(&first.template));
        problem.line = first.lines.first().copied();
        let all = places
            .iter()
            .map(|place| {
                let lines: Vec<String> = place.lines.iter().map(usize::to_string).collect();
                text!(
                    site::TEMPLATE_LINES,
                    template = place.template,
                    lines = lines.join(", ")
                )
            })
            .collect::<Vec<_>>();
        let found = Text::Msg(site::EXPRESSION_USED_IN, vec![("places", Text::List(all))]);
        problem.hint = Some(match problem.hint.take() {
            Some(hint) => Text::Msg(site::JOINED, vec![("first", found), ("second", hint)]),
            None => found,
        });
        Some(problem)
    }

    /// Renders a page that has no Markdown source (`404.html`, posters) with extra variables.
    pub fn render_special(
        &self,
        template: &str,
        out_path: String,
        current_url: &str,
        extra: &[(&str, serde_json::Value)],
    ) -> Result<SpecialPage, Problem> {
        let mut context = self.base.clone();
        context.insert("current_url", current_url);
        for (key, value) in extra {
            context.insert(*key, value);
        }
        let html = self.tera.render(template, &context).map_err(|err| {
            self.located(&err, template)
                .unwrap_or_else(|| template_problem(&err, self.templates_dir))
        })?;
        Ok(SpecialPage {
            out_path,
            html,
            template: template.to_string(),
        })
    }
}

/// `/` -> `index.html`; `/a/b/` -> `a/b/index.html`.
pub fn out_path(url: &str) -> String {
    format!("{}index.html", url.trim_start_matches('/'))
}
