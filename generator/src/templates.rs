//! The theme's Tera templates: loading them once and turning Tera's errors into file:line problems. The
//! Tera setup itself (escaping, `asset`, `url_for`) is opp-render's.

use std::collections::BTreeSet;
use std::path::Path;
use tera::Tera;

use crate::error::{BuildError, Problem};
use crate::load;
use opp_model::messages::site;
use opp_model::text;

pub struct Templates {
    pub tera: Tera,
    pub names: BTreeSet<String>,
    /// The templates' text by name: Tera keeps none, and render errors are located in it.
    pub sources: Vec<(String, String)>,
}

/// Reads and parses the template `files` found under `templates_dir` (the names are known before this, from
/// the folder listing alone, so pages can be checked while the templates are parsed).
pub fn parse(
    templates_dir: &Path,
    files: &[load::Found],
) -> Result<(Tera, Vec<(String, String)>), BuildError> {
    let mut sources = Vec::with_capacity(files.len());
    for file in files {
        let text = std::fs::read_to_string(&file.path).map_err(|err| {
            crate::error::io_problem(&file.path, site::ACTION_READ_TEMPLATE, &err)
        })?;
        sources.push((file.rel.clone(), text));
    }
    let tera = opp_render::theme::from_sources(sources.clone())
        .map_err(|err| template_problem(&err, templates_dir))?;
    Ok((tera, sources))
}

/// Turns a Tera error (with its chain of causes) into one problem, with the template's file and line when known.
pub fn template_problem(err: &tera::Error, templates_dir: &Path) -> Problem {
    let text = opp_render::error_chain(err);
    let template = text
        .split('\'')
        .nth(1)
        .filter(|name| name.ends_with(".html") || name.ends_with(".xml") || name.ends_with(".svg"));
    let line = text.find("--> ").and_then(|pos| {
        let rest = &text[pos + 4..];
        rest.split(':').next()?.trim().parse::<usize>().ok()
    });
    let message = text!(site::TEMPLATE_ERROR, detail = tidy(&text));
    let mut problem = match template {
        Some(name) => Problem::in_file(templates_dir.join(name), message),
        None => Problem::new(message),
    };
    problem.line = line;
    if text.contains("not found in context") {
        problem.hint = Some(site::VARIABLE_MISSING_HINT.into());
    }
    problem
}

fn tidy(text: &str) -> String {
    text.lines()
        .map(str::trim_end)
        .filter(|l| !l.trim().is_empty())
        .collect::<Vec<_>>()
        .join("\n    ")
}
