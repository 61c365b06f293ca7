//! Build errors that point at a file (and line) and say what to fix, in the editor's language.
//!
//! A problem's texts are messages of the catalogue (`opp_model::messages::site`) with their values, made
//! into words when shown: Dutch, or English with `OPP_LANG=en` ([`Problem::render`] for either).

use std::fmt;
use std::path::{Path, PathBuf};

pub use opp_model::messages::Text;
use opp_model::messages::{Lang, Msg, site};
use opp_model::text;

/// One problem found while building, with where it is and how to fix it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub file: Option<PathBuf>,
    pub line: Option<usize>,
    pub message: Text,
    pub hint: Option<Text>,
}

impl Problem {
    pub fn new(message: impl Into<Text>) -> Self {
        Problem {
            file: None,
            line: None,
            message: message.into(),
            hint: None,
        }
    }

    pub fn in_file(file: impl AsRef<Path>, message: impl Into<Text>) -> Self {
        Problem {
            file: Some(file.as_ref().to_path_buf()),
            ..Problem::new(message)
        }
    }

    pub fn at_line(mut self, line: usize) -> Self {
        self.line = Some(line);
        self
    }

    pub fn with_hint(mut self, hint: impl Into<Text>) -> Self {
        self.hint = Some(hint.into());
        self
    }

    /// The file as shown: relative, without a leading `./`.
    pub fn shown_file(&self) -> Option<String> {
        self.file.as_ref().map(|file| {
            let shown = file.display().to_string();
            shown
                .strip_prefix("./")
                .map(str::to_string)
                .unwrap_or(shown)
        })
    }

    /// `file:line: fout: message` and the hint on the next line, in `lang`.
    pub fn render(&self, lang: Lang) -> String {
        let mut text = String::new();
        match (self.shown_file(), self.line) {
            (Some(file), Some(line)) => text.push_str(&format!("{file}:{line}: ")),
            (Some(file), None) => text.push_str(&format!("{file}: ")),
            _ => {}
        }
        text.push_str(&format!(
            "{}: {}",
            site::ERROR_PREFIX.in_lang(lang),
            self.message.render(lang)
        ));
        if let Some(hint) = &self.hint {
            text.push_str(&format!(
                "\n  {}: {}",
                site::HINT_PREFIX.in_lang(lang),
                hint.render(lang)
            ));
        }
        text
    }
}

/// Whether this runs as a GitHub Actions step (`GITHUB_ACTIONS=true`): then problems are also printed as
/// workflow commands, which GitHub shows as annotations on the pull request's files.
pub fn on_github_actions() -> bool {
    std::env::var("GITHUB_ACTIONS").is_ok_and(|value| value == "true")
}

impl Problem {
    /// The problem as GitHub's workflow command, `::error file=…,line=…,title=…::message`: the message and
    /// its hint in `lang`, with GitHub's escapes. The file is relative to the repository (`workspace`, the
    /// job's `GITHUB_WORKSPACE`, is taken off an absolute path).
    pub fn github_annotation(&self, lang: Lang, workspace: Option<&Path>) -> String {
        let mut properties = Vec::new();
        if let Some(file) = &self.file {
            let relative = workspace
                .and_then(|workspace| file.strip_prefix(workspace).ok())
                .unwrap_or(file);
            let shown = relative.display().to_string();
            let shown = shown.strip_prefix("./").unwrap_or(&shown);
            properties.push(format!("file={}", escape_property(shown)));
            if let Some(line) = self.line {
                properties.push(format!("line={line}"));
            }
        }
        properties.push(format!(
            "title={}",
            escape_property(site::ANNOTATION_TITLE.in_lang(lang))
        ));
        let mut message = self.message.render(lang);
        if let Some(hint) = &self.hint {
            message.push_str(&format!(
                "\n{}: {}",
                site::HINT_PREFIX.in_lang(lang),
                hint.render(lang)
            ));
        }
        format!(
            "::error {}::{}",
            properties.join(","),
            escape_data(&message)
        )
    }
}

/// GitHub's escapes for a workflow command's message.
fn escape_data(text: &str) -> String {
    text.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// GitHub's escapes for a workflow command's property value (also `:` and `,`, which end it).
fn escape_property(text: &str) -> String {
    escape_data(text).replace(':', "%3A").replace(',', "%2C")
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.render(Lang::current()))
    }
}

/// All the problems of one build: a build reports every broken page, not only the first.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BuildError {
    pub problems: Vec<Problem>,
    /// Problems found beyond [`REPORT_LIMIT`], counted but not shown.
    pub more: usize,
}

/// At most this many problems are shown: after that, fixing these first is the quicker way.
pub const REPORT_LIMIT: usize = 20;

impl BuildError {
    /// Every problem of a build, sorted by file and line (phases ran in parallel) with repeats merged,
    /// at most [`REPORT_LIMIT`] of them.
    pub fn reported(problems: Vec<Problem>) -> Self {
        let mut problems = merge_repeated(problems);
        problems.sort_by(|a, b| (&a.file, a.line, &a.message).cmp(&(&b.file, b.line, &b.message)));
        let more = problems.len().saturating_sub(REPORT_LIMIT);
        problems.truncate(REPORT_LIMIT);
        BuildError { problems, more }
    }

    /// How many problems the build found, shown or not.
    pub fn count(&self) -> usize {
        self.problems.len() + self.more
    }

    pub fn single(problem: Problem) -> Self {
        BuildError {
            problems: vec![problem],
            more: 0,
        }
    }

    /// Every problem as a GitHub workflow command, one per line (the count beyond the limit as a notice).
    pub fn github_annotations(&self, lang: Lang, workspace: Option<&Path>) -> String {
        let mut lines: Vec<String> = self
            .problems
            .iter()
            .map(|problem| problem.github_annotation(lang, workspace))
            .collect();
        if self.more > 0 {
            lines.push(format!(
                "::notice::{}",
                escape_data(&site::MORE_PROBLEMS.fill_in(lang, &[("count", &self.more)]))
            ));
        }
        lines.join("\n")
    }

    /// Every problem, one after another, in `lang`.
    pub fn render(&self, lang: Lang) -> String {
        let mut lines: Vec<String> = self
            .problems
            .iter()
            .map(|problem| problem.render(lang))
            .collect();
        if self.more > 0 {
            lines.push(site::MORE_PROBLEMS.fill_in(lang, &[("count", &self.more)]));
        }
        lines.join("\n")
    }
}

impl From<Problem> for BuildError {
    fn from(problem: Problem) -> Self {
        BuildError::single(problem)
    }
}

impl From<Vec<Problem>> for BuildError {
    fn from(problems: Vec<Problem>) -> Self {
        BuildError { problems, more: 0 }
    }
}

impl fmt::Display for BuildError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.render(Lang::current()))
    }
}

impl std::error::Error for BuildError {}

/// Describes an I/O failure on a path in words an editor can act on: `action` says what failed
/// ("het lezen van de siteconfiguratie" / "read the site configuration").
pub fn io_problem(path: &Path, action: Msg, err: &std::io::Error) -> Problem {
    Problem::in_file(
        path,
        Text::Msg(
            site::IO_FAILED,
            vec![("action", action.into()), ("err", err.to_string().into())],
        ),
    )
}

/// One problem for an error that many pages hit (a mistake in `base.html` breaks every page), with how many.
fn merge_repeated(problems: Vec<Problem>) -> Vec<Problem> {
    let mut merged: Vec<(Problem, usize)> = Vec::with_capacity(problems.len());
    for problem in problems {
        match merged.iter_mut().find(|(seen, _)| *seen == problem) {
            Some((_, count)) => *count += 1,
            None => merged.push((problem, 1)),
        }
    }
    merged
        .into_iter()
        .map(|(mut problem, count)| {
            if count > 1 {
                let note = text!(site::PAGES_HIT, count = count);
                problem.hint = Some(match problem.hint.take() {
                    Some(hint) => Text::Msg(site::WITH_NOTE, vec![("text", hint), ("note", note)]),
                    None => note,
                });
            }
            problem
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_github_annotation_escapes_what_would_end_its_parts() {
        let problem = Problem {
            file: Some(PathBuf::from("/work/repo/content/a,b:c.md")),
            line: Some(3),
            message: Text::Raw("100% kapot\r\nnu".into()),
            hint: None,
        };
        assert_eq!(
            problem.github_annotation(Lang::En, Some(Path::new("/work/repo"))),
            "::error file=content/a%2Cb%3Ac.md,line=3,title=The site cannot be built like this::100%25 kapot%0D%0Anu"
        );
        let nowhere = Problem::new(Text::Raw("x".into()));
        assert_eq!(
            nowhere.github_annotation(Lang::Nl, None),
            "::error title=De site kan zo niet worden gebouwd::x"
        );
    }
}
