//! The theme's Tera templates: loading them once, turning Tera's errors into file:line problems,
//! and the functions templates call (`asset`, `url_for`).

use std::collections::{BTreeSet, HashMap};
use std::path::Path;
use std::sync::Arc;
use tera::{Tera, Value};

use crate::error::{BuildError, Problem};
use crate::load;

pub struct Templates {
    pub tera: Tera,
    pub names: BTreeSet<String>,
}

/// Reads and parses the template `files` found under `templates_dir` (the names are known before this, from
/// the folder listing alone, so pages can be checked while the templates are parsed).
pub fn parse(templates_dir: &Path, files: &[load::Found]) -> Result<Tera, BuildError> {
    let mut sources = Vec::with_capacity(files.len());
    for file in files {
        let text = std::fs::read_to_string(&file.path)
            .map_err(|err| crate::error::io_problem(&file.path, "read the template", &err))?;
        sources.push((file.rel.clone(), text));
    }
    Ok(from_sources(sources).map_err(|err| template_problem(&err, templates_dir))?)
}

/// Parses templates given as (name, text) with the site's escaping rules (also used by the handler,
/// which embeds the theme).
pub fn from_sources(sources: Vec<(String, String)>) -> tera::Result<Tera> {
    let mut tera = Tera::default();
    tera.autoescape_on(vec![".html", ".htm", ".xml", ".svg"]);
    // Tera's default escaper also turns `/` into `&#x2F;`, which bloats every URL; quotes and <>& suffice.
    tera.set_escape_fn(crate::markdown::escape_attr);
    tera.add_raw_templates(sources)?;
    Ok(tera)
}

/// Turns a Tera error (with its chain of causes) into one problem, with the template's file and line when known.
pub fn template_problem(err: &tera::Error, templates_dir: &Path) -> Problem {
    let mut parts = vec![err.to_string()];
    let mut source = std::error::Error::source(err);
    while let Some(cause) = source {
        parts.push(cause.to_string());
        source = cause.source();
    }
    let text = parts.join(": ");
    let template = text
        .split('\'')
        .nth(1)
        .filter(|name| name.ends_with(".html") || name.ends_with(".xml") || name.ends_with(".svg"));
    let line = text.find("--> ").and_then(|pos| {
        let rest = &text[pos + 4..];
        rest.split(':').next()?.trim().parse::<usize>().ok()
    });
    let mut problem = match template {
        Some(name) => Problem::in_file(
            templates_dir.join(name),
            format!("template error: {}", tidy(&text)),
        ),
        None => Problem::new(format!("template error: {}", tidy(&text))),
    };
    problem.line = line;
    if text.contains("not found in context") {
        problem.hint = Some("the variable does not exist here; see docs/theme-contract.md for what each template gets, or use `| default(value=\"\")`".into());
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

/// `asset(path="css/site.css")` -> the URL of the (hashed) copy.
pub struct AssetFunction {
    pub urls: Arc<HashMap<String, String>>,
}

impl tera::Function for AssetFunction {
    fn call(&self, args: &HashMap<String, Value>) -> tera::Result<Value> {
        let path = string_arg(args, "asset", "path")?;
        let path = path.trim_start_matches('/');
        match self.urls.get(path) {
            Some(url) => Ok(Value::String(url.clone())),
            None => Err(tera::Error::msg(format!(
                "asset(path=\"{path}\"): theme/static/{path} does not exist; add the file or fix the path"
            ))),
        }
    }

    fn is_safe(&self) -> bool {
        true
    }
}

/// `url_for(path="@/aanmelden/_index.md")` -> "/aanmelden/".
pub struct UrlForFunction {
    pub urls: Arc<HashMap<String, String>>,
}

impl tera::Function for UrlForFunction {
    fn call(&self, args: &HashMap<String, Value>) -> tera::Result<Value> {
        let link = string_arg(args, "url_for", "path")?;
        let path = link.strip_prefix("@/").unwrap_or(&link);
        let (path, fragment) = path
            .split_once('#')
            .map_or((path, None), |(p, f)| (p, Some(f)));
        match self.urls.get(path) {
            Some(url) => Ok(Value::String(match fragment {
                Some(fragment) => format!("{url}#{fragment}"),
                None => url.clone(),
            })),
            None => Err(tera::Error::msg(format!(
                "url_for(path=\"{link}\"): content/{path} does not exist (or is a draft)"
            ))),
        }
    }

    fn is_safe(&self) -> bool {
        true
    }
}

fn string_arg(args: &HashMap<String, Value>, function: &str, name: &str) -> tera::Result<String> {
    match args.get(name) {
        Some(Value::String(value)) => Ok(value.clone()),
        _ => Err(tera::Error::msg(format!(
            "{function}() needs a text argument `{name}`, e.g. {function}({name}=\"...\")"
        ))),
    }
}

pub fn register_functions(
    tera: &mut Tera,
    assets: Arc<HashMap<String, String>>,
    pages: Arc<HashMap<String, String>>,
) {
    tera.register_function("asset", AssetFunction { urls: assets });
    tera.register_function("url_for", UrlForFunction { urls: pages });
}
