//! Build errors that point at a file (and line) and say what to fix.

use std::fmt;
use std::path::{Path, PathBuf};

/// One problem found while building, with where it is and how to fix it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub file: Option<PathBuf>,
    pub line: Option<usize>,
    pub message: String,
    pub hint: Option<String>,
}

impl Problem {
    pub fn new(message: impl Into<String>) -> Self {
        Problem {
            file: None,
            line: None,
            message: message.into(),
            hint: None,
        }
    }

    pub fn in_file(file: impl AsRef<Path>, message: impl Into<String>) -> Self {
        Problem {
            file: Some(file.as_ref().to_path_buf()),
            ..Problem::new(message)
        }
    }

    pub fn at_line(mut self, line: usize) -> Self {
        self.line = Some(line);
        self
    }

    pub fn with_hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let file = self.file.as_ref().map(|file| {
            let shown = file.display().to_string();
            shown
                .strip_prefix("./")
                .map(str::to_string)
                .unwrap_or(shown)
        });
        match (file, self.line) {
            (Some(file), Some(line)) => write!(f, "{file}:{line}: ")?,
            (Some(file), None) => write!(f, "{file}: ")?,
            _ => {}
        }
        write!(f, "error: {}", self.message)?;
        if let Some(hint) = &self.hint {
            write!(f, "\n  help: {hint}")?;
        }
        Ok(())
    }
}

/// All the problems of one build: a build reports every broken page, not only the first.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BuildError {
    pub problems: Vec<Problem>,
}

impl BuildError {
    pub fn single(problem: Problem) -> Self {
        BuildError {
            problems: vec![problem],
        }
    }
}

impl From<Problem> for BuildError {
    fn from(problem: Problem) -> Self {
        BuildError::single(problem)
    }
}

impl From<Vec<Problem>> for BuildError {
    fn from(problems: Vec<Problem>) -> Self {
        BuildError { problems }
    }
}

impl fmt::Display for BuildError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, problem) in self.problems.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            write!(f, "{problem}")?;
        }
        Ok(())
    }
}

impl std::error::Error for BuildError {}

/// Describes an I/O failure on a path in words an editor can act on.
pub fn io_problem(path: &Path, action: &str, err: &std::io::Error) -> Problem {
    Problem::in_file(path, format!("could not {action}: {err}"))
}
