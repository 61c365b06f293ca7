//! Where a render error happened. Tera's render errors name the template being rendered but carry no
//! line, and an error in an inherited template (`base.html`) is reported for every page template that
//! extends it. So the failing expression (the name Tera quotes in backticks) is searched in the template,
//! the templates it extends and what they include, and every file and line where it appears is named.
//! Page templates and email templates both go through here.

use std::collections::{HashMap, HashSet};

use crate::theme::template_references;

/// One template where the failing expression appears, with its 1-based lines.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Place {
    pub template: String,
    pub lines: Vec<usize>,
}

/// The places of the expression in `error` (Tera's message with its causes) within `rendering` and the
/// templates it reaches; empty when the error quotes no expression or it appears nowhere.
pub fn error_places(sources: &[(String, String)], rendering: &str, error: &str) -> Vec<Place> {
    let Some(expression) = quoted_expression(error) else {
        return Vec::new();
    };
    let texts: HashMap<&str, &str> = sources
        .iter()
        .map(|(name, text)| (name.as_str(), text.as_str()))
        .collect();
    let mut places = Vec::new();
    let mut seen = HashSet::new();
    let mut queue = vec![rendering.to_string()];
    while let Some(name) = queue.pop() {
        if !seen.insert(name.clone()) {
            continue;
        }
        let Some(text) = texts.get(name.as_str()) else {
            continue;
        };
        let lines: Vec<usize> = text
            .lines()
            .enumerate()
            .filter(|(_, line)| mentions(line, &expression))
            .map(|(i, _)| i + 1)
            .collect();
        if !lines.is_empty() {
            places.push(Place {
                template: name.clone(),
                lines,
            });
        }
        // Depth first, in the order the tags appear.
        let mut referenced = template_references(text);
        referenced.reverse();
        queue.extend(referenced);
    }
    places
}

/// The first name Tera quotes in backticks: a variable (`page.foo`), a filter, a function or a test.
fn quoted_expression(error: &str) -> Option<String> {
    let start = error.find('`')? + 1;
    let end = error[start..].find('`')?;
    let expression = error[start..start + end].trim();
    (!expression.is_empty()).then(|| expression.to_string())
}

/// Whether the line uses `expression` as a whole name (not as part of a longer one).
fn mentions(line: &str, expression: &str) -> bool {
    let is_name = |c: char| c.is_alphanumeric() || c == '_' || c == '.';
    line.match_indices(expression).any(|(at, _)| {
        let before = line[..at].chars().next_back();
        let after = line[at + expression.len()..].chars().next();
        !before.is_some_and(is_name) && !after.is_some_and(|c| is_name(c) && c != '.')
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sources() -> Vec<(String, String)> {
        vec![
            (
                "base.html".into(),
                "<html>\n{% include \"partials/nav.html\" %}\n<title>{{ site.titel }}</title>\n{% block content %}{% endblock %}\n<footer>{{ site.titel }}</footer>\n".into(),
            ),
            ("partials/nav.html".into(), "<nav>{{ site.titel | upper }}</nav>\n".into()),
            ("index.html".into(), "{% extends \"base.html\" %}\n{% block content %}{{ site.title }}{% endblock %}\n".into()),
        ]
    }

    #[test]
    fn an_error_in_an_inherited_template_is_found_there_with_every_line() {
        let error = "Failed to render 'index.html': Variable `site.titel` not found in context while rendering 'index.html'";
        assert_eq!(
            error_places(&sources(), "index.html", error),
            vec![
                Place {
                    template: "base.html".into(),
                    lines: vec![3, 5]
                },
                Place {
                    template: "partials/nav.html".into(),
                    lines: vec![1]
                },
            ]
        );
    }

    #[test]
    fn a_longer_name_is_not_a_match() {
        assert!(!mentions("{{ site.titles }}", "site.titel"));
        assert!(!mentions("{{ my_site.titel }}", "site.titel"));
        assert!(mentions("{{ site.titel.x }}", "site.titel"));
        assert!(error_places(&sources(), "index.html", "no quotes").is_empty());
    }
}
