//! YAML parsing that turns serde errors into problems with a line number and a "did you mean" hint.

use serde::de::DeserializeOwned;
use std::path::Path;

use crate::error::Problem;
use crate::suggest;
use opp_model::messages::{Text, site};
use opp_model::text;

/// Parses `text` (which starts on line `first_line` of `file`) into `T`.
pub fn parse<T: DeserializeOwned>(
    text: &str,
    file: &Path,
    first_line: usize,
) -> Result<T, Problem> {
    serde_yaml::from_str(text).map_err(|err| describe(&err, text, file, first_line))
}

/// [`parse`], reporting every line with a common slip when there are several (the editor fixes them in one
/// go), else the parser's own error.
pub fn parse_all<T: DeserializeOwned>(
    text: &str,
    file: &Path,
    first_line: usize,
) -> Result<T, Vec<Problem>> {
    serde_yaml::from_str(text).map_err(|err| {
        let slips = find_slips(text);
        if slips.len() > 1 {
            slips
                .into_iter()
                .map(|slip| slip_problem(slip, file, first_line))
                .collect()
        } else {
            vec![describe(&err, text, file, first_line)]
        }
    })
}

fn slip_problem(slip: Slip, file: &Path, first_line: usize) -> Problem {
    let mut problem = Problem::in_file(file, slip.message);
    problem.line = Some(slip.line + first_line);
    problem.hint = Some(slip.hint);
    problem
}

fn describe(err: &serde_yaml::Error, text: &str, file: &Path, first_line: usize) -> Problem {
    // A syntax error is reported where the parser gave up, often the line after the slip: look for the
    // common slips first and point at the line where the editor made it.
    if let Some(slip) = find_slip(text) {
        return slip_problem(slip, file, first_line);
    }
    let message = err.to_string();
    // serde_yaml appends " at line X column Y" itself; we report the file's line instead.
    let message = match message.find(" at line ") {
        Some(pos) => message[..pos].to_string(),
        None => message,
    };
    let mut line = err.location().map(|loc| loc.line() + first_line - 1);
    let mut hint = None;
    // serde's own words are English: the common ones get ours, the rest are shown as they are.
    let mut said = text!(site::YAML_ERROR, detail = message);
    if let Some(field) = backticked_after(&message, "unknown field `") {
        let expected = expected_fields(&message);
        let allowed = expected.join(", ");
        said = text!(site::YAML_UNKNOWN_FIELD, field = field);
        hint = Some(
            match suggest::closest(&field, expected.iter().map(String::as_str)) {
                Some(close) => text!(site::YAML_DID_YOU_MEAN, close = close, allowed = allowed),
                None => text!(site::YAML_REMOVE_FIELD, allowed = allowed),
            },
        );
        // The unknown key's own line is more useful than the mapping's start.
        if let Some(offset) = key_line(text, &field) {
            line = Some(offset + first_line);
        }
    } else if let Some(field) = backticked_after(&message, "missing field `") {
        said = text!(site::YAML_MISSING_FIELD, field = field);
        hint = Some(text!(site::YAML_MISSING_FIELD_HINT, field = field));
    } else if message.contains("mapping values are not allowed") {
        hint = Some(site::YAML_COLON_VALUE_HINT.into());
    } else if message.contains("invalid type") {
        hint = Some(site::YAML_TYPE_HINT.into());
    }
    let mut problem = Problem::in_file(file, said);
    problem.line = line;
    problem.hint = hint;
    problem
}

/// A common YAML slip, on its own 0-based line.
#[derive(Debug, PartialEq, Eq)]
struct Slip {
    line: usize,
    message: Text,
    hint: Text,
}

/// The first of the slips editors make most: a tab in the indentation, a quote that is not closed, no
/// space after a key's colon, a `: ` inside an unquoted value. None when the text shows none of them.
fn find_slip(text: &str) -> Option<Slip> {
    find_slips(text).into_iter().next()
}

/// Every line of `text` with one of those slips (at most one each).
fn find_slips(text: &str) -> Vec<Slip> {
    text.lines()
        .enumerate()
        .filter_map(|(line, content)| slip_on(line, content))
        .collect()
}

/// The slip on one 0-based line, if any.
fn slip_on(line: usize, content: &str) -> Option<Slip> {
    let indent: String = content.chars().take_while(|c| c.is_whitespace()).collect();
    if indent.contains('\t') {
        return Some(Slip {
            line,
            message: site::YAML_TAB.into(),
            hint: site::YAML_TAB_HINT.into(),
        });
    }
    let trimmed = content.trim_start().trim_start_matches("- ");
    if trimmed.starts_with('#') {
        return None;
    }
    let (key, rest) = trimmed.split_once(':')?;
    let is_key = !key.is_empty()
        && key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
    if !is_key {
        return None;
    }
    if !rest.is_empty() && !rest.starts_with([' ', '\t']) && !rest.starts_with("//") {
        return Some(Slip {
            line,
            message: text!(site::YAML_NO_SPACE, key = key),
            hint: text!(site::YAML_NO_SPACE_HINT, key = key, rest = rest),
        });
    }
    let value = rest.trim();
    let value = value.split(" #").next().unwrap_or(value).trim_end();
    for quote in ['"', '\''] {
        if value.starts_with(quote) && !closes(value, quote) {
            return Some(Slip {
                line,
                message: text!(site::YAML_UNCLOSED, key = key, quote = quote),
                hint: text!(
                    site::YAML_UNCLOSED_HINT,
                    key = key,
                    quote = quote,
                    value = value.trim_start_matches(quote)
                ),
            });
        }
    }
    if !value.starts_with(['"', '\'', '[', '{', '|', '>']) && value.contains(": ") {
        return Some(Slip {
            line,
            message: text!(site::YAML_COLON, key = key),
            hint: text!(site::YAML_COLON_HINT, key = key, value = value),
        });
    }
    None
}

/// Whether a value that starts with `quote` also ends with an unescaped one.
fn closes(value: &str, quote: char) -> bool {
    let inner = &value[1..];
    if quote == '\'' {
        // In single quotes, '' is an escaped quote.
        return inner.replace("''", "").ends_with('\'');
    }
    let mut escaped = false;
    for (i, c) in inner.char_indices() {
        match c {
            '\\' if !escaped => escaped = true,
            '"' if !escaped => return i + 1 == inner.len(),
            _ => escaped = false,
        }
    }
    false
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
    use opp_model::messages::Lang;
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
            err.message
                .render(Lang::En)
                .contains("unknown field `titel`"),
            "{}",
            err.message
        );
        assert!(
            err.hint
                .unwrap()
                .render(Lang::En)
                .contains("did you mean `title`")
        );
    }

    #[test]
    fn common_slips_point_at_their_own_line_and_say_what_to_type() {
        let cases = [
            (
                "title: \"Over het OPP\nweight: 2\n",
                2,
                "end the value with \"",
            ),
            ("title: x\n\tweight: 2\n", 3, "only spaces"),
            ("title: OPP: wat is dat?\n", 2, "put the value in quotes"),
            ("title:Hallo\n", 2, "type a space after the colon"),
            ("title: 'Dat is 't\n", 2, "end the value with '"),
        ];
        for (text, line, hint) in cases {
            let err = parse::<Sample>(text, Path::new("a.md"), 2).unwrap_err();
            assert_eq!(err.line, Some(line), "{text:?}: {}", err.message);
            let got = err
                .hint
                .map(|hint| hint.render(Lang::En))
                .unwrap_or_default();
            assert!(got.contains(hint), "{text:?}: {got}");
        }
        // Well-formed values with quotes, colons in URLs and comments are no slips.
        assert!(find_slip("title: \"OPP: wat?\" # uitleg\nroute: https://x.nl/a:b\nstart: \"13:00\"\nt: 'it''s'\n").is_none());
    }

    #[test]
    fn wrong_type_and_missing_field() {
        let err = parse::<Sample>("title: x\nweight: zwaar\n", Path::new("a.md"), 2).unwrap_err();
        assert_eq!(err.line, Some(3));
        assert!(
            err.message.render(Lang::En).contains("weight"),
            "{}",
            err.message
        );
        let err = parse::<Sample>("weight: 1\n", Path::new("a.md"), 2).unwrap_err();
        assert!(
            err.message
                .render(Lang::En)
                .contains("missing field `title`")
        );
    }
}
