//! YAML parsing that turns serde errors into problems with a line number and a "did you mean" hint.

use serde::de::DeserializeOwned;
use std::path::Path;

use crate::error::Problem;
use crate::suggest;

/// Parses `text` (which starts on line `first_line` of `file`) into `T`.
pub fn parse<T: DeserializeOwned>(
    text: &str,
    file: &Path,
    first_line: usize,
) -> Result<T, Problem> {
    serde_yaml::from_str(text).map_err(|err| describe(&err, text, file, first_line))
}

fn describe(err: &serde_yaml::Error, text: &str, file: &Path, first_line: usize) -> Problem {
    let message = err.to_string();
    // serde_yaml appends " at line X column Y" itself; we report the file's line instead.
    let message = match message.find(" at line ") {
        Some(pos) => message[..pos].to_string(),
        None => message,
    };
    let mut line = err.location().map(|loc| loc.line() + first_line - 1);
    let mut hint = None;
    if let Some(field) = backticked_after(&message, "unknown field `") {
        let expected = expected_fields(&message);
        hint = Some(
            match suggest::closest(&field, expected.iter().map(String::as_str)) {
                Some(close) => format!(
                    "did you mean `{close}`? Allowed here: {}",
                    expected.join(", ")
                ),
                None => format!("remove it; allowed here: {}", expected.join(", ")),
            },
        );
        // The unknown key's own line is more useful than the mapping's start.
        if let Some(offset) = key_line(text, &field) {
            line = Some(offset + first_line);
        }
    } else if let Some(field) = backticked_after(&message, "missing field `") {
        hint = Some(format!(
            "add `{field}: ...` (see the front-matter reference in README.md)"
        ));
    } else if message.contains("mapping values are not allowed") {
        hint = Some(
            "a value that contains `: ` must be put in quotes, e.g. title: \"OPP: wat is dat?\""
                .into(),
        );
    } else if message.contains("invalid type") {
        hint = Some(
            "check the value's type: text, a whole number, true/false, or a date like 2024-04-10"
                .into(),
        );
    }
    let mut problem = Problem::in_file(file, message);
    problem.line = line;
    problem.hint = hint;
    problem
}

fn backticked_after(message: &str, prefix: &str) -> Option<String> {
    let start = message.find(prefix)? + prefix.len();
    let end = message[start..].find('`')?;
    Some(message[start..start + end].to_string())
}

fn expected_fields(message: &str) -> Vec<String> {
    let Some(pos) = message.find("expected ") else {
        return Vec::new();
    };
    message[pos..]
        .split('`')
        .skip(1)
        .step_by(2)
        .map(str::to_string)
        .collect()
}

/// The 0-based line of `key:` in the text, at any indentation.
pub(crate) fn key_line(text: &str, key: &str) -> Option<usize> {
    text.lines().position(|line| {
        let trimmed = line.trim_start().trim_start_matches("- ");
        trimmed
            .strip_prefix(key)
            .is_some_and(|rest| rest.trim_start().starts_with(':'))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Sample {
        title: String,
        weight: Option<i64>,
    }

    #[test]
    fn unknown_key_has_line_and_suggestion() {
        let err = parse::<Sample>("title: x\ntitel: y\n", Path::new("a.md"), 2).unwrap_err();
        assert_eq!(err.line, Some(3));
        assert!(
            err.message.contains("unknown field `titel`"),
            "{}",
            err.message
        );
        assert!(err.hint.unwrap().contains("did you mean `title`"));
    }

    #[test]
    fn wrong_type_and_missing_field() {
        let err = parse::<Sample>("title: x\nweight: zwaar\n", Path::new("a.md"), 2).unwrap_err();
        assert_eq!(err.line, Some(3));
        assert!(err.message.contains("weight"), "{}", err.message);
        let err = parse::<Sample>("weight: 1\n", Path::new("a.md"), 2).unwrap_err();
        assert!(err.message.contains("missing field `title`"));
    }
}
