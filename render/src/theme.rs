//! The theme's templates as Tera sees them: parsed with the site's escaping, read from a folder, and
//! narrowed to what a set of templates needs (the handler parses only the pages it renders).

use std::collections::{HashMap, HashSet};
use std::path::Path;

use tera::Tera;

/// Parses templates given as (name, text) with the site's escaping rules.
pub fn from_sources(sources: Vec<(String, String)>) -> tera::Result<Tera> {
    let mut tera = Tera::default();
    tera.autoescape_on(vec![".html", ".htm", ".xml", ".svg"]);
    // Tera's default escaper also turns `/` into `&#x2F;`, which bloats every URL; quotes and <>& suffice.
    tera.set_escape_fn(crate::escape_attr);
    tera.add_raw_templates(sources)?;
    Ok(tera)
}

/// Every `.html` template under `dir`, named by its path below it with `/` (`partials/meeting.html`).
pub fn read_templates(dir: &Path) -> Result<Vec<(String, String)>, String> {
    let mut sources = Vec::new();
    read_into(dir, dir, &mut sources)?;
    sources.sort();
    Ok(sources)
}

fn read_into(base: &Path, dir: &Path, sources: &mut Vec<(String, String)>) -> Result<(), String> {
    let entries = std::fs::read_dir(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    for entry in entries {
        let path = entry.map_err(|e| format!("{}: {e}", dir.display()))?.path();
        if path.is_dir() {
            read_into(base, &path, sources)?;
        } else if path.extension().is_some_and(|e| e == "html") {
            let name = path
                .strip_prefix(base)
                .unwrap_or(&path)
                .to_string_lossy()
                .replace('\\', "/");
            let text =
                std::fs::read_to_string(&path).map_err(|e| format!("{}: {e}", path.display()))?;
            sources.push((name, text));
        }
    }
    Ok(())
}

/// `sources` narrowed to `roots` and every template they reach through extends, include and import.
pub fn needed_templates(sources: Vec<(String, String)>, roots: &[&str]) -> Vec<(String, String)> {
    let texts: HashMap<&str, &str> = sources
        .iter()
        .map(|(name, text)| (name.as_str(), text.as_str()))
        .collect();
    let mut needed = HashSet::new();
    let mut queue: Vec<String> = roots.iter().map(|name| name.to_string()).collect();
    while let Some(name) = queue.pop() {
        if needed.contains(&name) {
            continue;
        }
        if let Some(text) = texts.get(name.as_str()) {
            queue.extend(template_references(text));
        }
        needed.insert(name);
    }
    sources
        .into_iter()
        .filter(|(name, _)| needed.contains(name))
        .collect()
}

/// The template names quoted in `{% extends %}`, `{% include %}` and `{% import %}` tags. Comments and
/// `{{ }}` expressions are stepped over whole, so a `{%` inside them does not hide the tag after them.
pub(crate) fn template_references(text: &str) -> Vec<String> {
    let mut names = Vec::new();
    let mut rest = text;
    while let Some(open) = rest.find('{') {
        let after = &rest[open + 1..];
        let closing = match after.as_bytes().first() {
            Some(b'%') => "%}",
            Some(b'#') => "#}",
            Some(b'{') => "}}",
            _ => {
                rest = after;
                continue;
            }
        };
        let Some(close) = after[1..].find(closing) else {
            break;
        };
        let tag = after[1..1 + close].trim_start_matches('-').trim_start();
        if closing == "%}"
            && ["extends", "include", "import"]
                .iter()
                .any(|keyword| tag.starts_with(keyword))
        {
            names.extend(quoted_strings(tag));
        }
        rest = &after[1 + close + closing.len()..];
    }
    names
}

/// The strings between `"`, `'` or `` ` `` quotes (Tera's three kinds) in a tag.
fn quoted_strings(tag: &str) -> Vec<String> {
    let mut strings = Vec::new();
    let mut rest = tag;
    while let Some(start) = rest.find(['"', '\'', '`']) {
        let quote = &rest[start..start + 1];
        let after = &rest[start + 1..];
        let Some(end) = after.find(quote) else {
            break;
        };
        strings.push(after[..end].to_string());
        rest = &after[end + 1..];
    }
    strings
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_rendered_templates_and_what_they_use_are_parsed() {
        let source = |name: &str, text: &str| (name.to_string(), text.to_string());
        let sources = vec![
            source(
                "base.html",
                "{% import 'macros.html' as m %}<main>{% block main %}{% endblock %}</main>",
            ),
            source("macros.html", "{% import 'base.html' as cycle %}"),
            source(
                "registration.html",
                "{% extends \"base.html\" %}{%- include \"partials/form.html\" -%}",
            ),
            source("partials/form.html", "<form></form>"),
            source(
                "index.html",
                "{% extends \"base.html\" %}{% include \"partials/list.html\" %}",
            ),
            source("partials/list.html", "<ul></ul>"),
            source(
                "registration_cancel.html",
                "{# not {% here #}{{ \"{%\" }}{% extends `base.html` %}{% include [\"partials/it's.html\", 'partials/b.html'] ignore missing %}",
            ),
            source("partials/it's.html", ""),
            source("partials/b.html", ""),
        ];
        let kept = |roots: &[&str]| {
            let mut names: Vec<String> = needed_templates(sources.clone(), roots)
                .into_iter()
                .map(|(name, _)| name)
                .collect();
            names.sort();
            names
        };
        assert_eq!(
            kept(&["registration.html"]),
            [
                "base.html",
                "macros.html",
                "partials/form.html",
                "registration.html"
            ]
        );
        assert_eq!(
            kept(&["registration_cancel.html"]),
            [
                "base.html",
                "macros.html",
                "partials/b.html",
                "partials/it's.html",
                "registration_cancel.html"
            ]
        );
    }
}
