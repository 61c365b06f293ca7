//! Front matter as an editor writes it: the YAML block at the top of a page, read by a fast path for the
//! usual shape and by the YAML parser for everything else, with the line of each key for error reports.

use serde::Deserialize;
use std::path::Path;

use crate::error::Problem;
#[cfg(test)]
use crate::load;
use crate::meeting::MeetingFront;
use crate::yaml;

/// Front matter as an editor writes it.
#[derive(Debug, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct FrontMatter {
    pub(crate) title: String,
    pub(crate) description: Option<String>,
    pub(crate) date: Option<String>,
    #[serde(default)]
    pub(crate) draft: bool,
    pub(crate) template: Option<String>,
    pub(crate) weight: Option<i64>,
    pub(crate) slug: Option<String>,
    pub(crate) extra: Option<serde_json::Value>,
    pub(crate) meeting: Option<MeetingFront>,
}

/// The usual front matter without the YAML parser, which is a large part of reading a page: one `key: value`
/// per line, scalar keys only, each value written so that YAML can read it only one way (a quoted text without
/// escapes, a plain text that starts with a letter, `YYYY-MM-DD`, a whole number, true/false). Anything else
/// (nesting, comments, escapes, repeated or unknown keys, a missing title) returns `None` and goes to the YAML
/// parser, which also words the errors. The `fast_front_matter_agrees_with_yaml` test holds the two together.
fn parse_simple(text: &str) -> Option<FrontMatter> {
    let mut front = FrontMatter {
        title: String::new(),
        description: None,
        date: None,
        draft: false,
        template: None,
        weight: None,
        slug: None,
        extra: None,
        meeting: None,
    };
    let mut seen = 0u8;
    for line in text.split('\n') {
        if line.is_empty() {
            continue;
        }
        let (key, rest) = line.split_once(':')?;
        let value = rest.strip_prefix(' ')?.trim_matches(' ');
        let bit = match key {
            "title" => 1,
            "description" => 2,
            "date" => 4,
            "draft" => 8,
            "template" => 16,
            "weight" => 32,
            "slug" => 64,
            _ => return None,
        };
        if seen & bit != 0 {
            return None;
        }
        seen |= bit;
        match key {
            "title" => front.title = simple_text(value)?,
            "description" => front.description = Some(simple_text(value)?),
            "date" => {
                front.date = Some(if is_iso_date(value) {
                    value.to_string()
                } else {
                    simple_text(value)?
                })
            }
            "draft" => {
                front.draft = match value {
                    "true" => true,
                    "false" => false,
                    _ => return None,
                }
            }
            "template" => front.template = Some(simple_text(value)?),
            "slug" => front.slug = Some(simple_text(value)?),
            _ => front.weight = Some(simple_integer(value)?),
        }
    }
    (seen & 1 != 0).then_some(front)
}

/// A text value YAML reads literally: quoted without escapes, or plain starting with a letter and without
/// anything that would end it (`: `, ` #`), and not a word YAML reads as true/false/null.
fn simple_text(value: &str) -> Option<String> {
    if value.chars().any(char::is_control) {
        return None;
    }
    for quote in ['"', '\''] {
        if let Some(rest) = value.strip_prefix(quote) {
            let inner = rest.strip_suffix(quote)?;
            return (!inner.contains(quote) && !inner.contains('\\')).then(|| inner.to_string());
        }
    }
    let first = value.chars().next()?;
    let special = ["true", "false", "yes", "no", "on", "off", "null", "y", "n"];
    let plain = first.is_alphabetic()
        && !value.contains(": ")
        && !value.contains(" #")
        && !value.ends_with(':')
        && !special.iter().any(|word| value.eq_ignore_ascii_case(word));
    plain.then(|| value.to_string())
}

fn is_iso_date(value: &str) -> bool {
    let bytes = value.as_bytes();
    bytes.len() == 10
        && bytes.iter().enumerate().all(|(i, b)| match i {
            4 | 7 => *b == b'-',
            _ => b.is_ascii_digit(),
        })
}

/// `0` or a whole number without leading zeros or `+`, small enough for i64.
fn simple_integer(value: &str) -> Option<i64> {
    let digits = value.strip_prefix('-').unwrap_or(value);
    let valid = !digits.is_empty()
        && digits.len() <= 18
        && digits.bytes().all(|b| b.is_ascii_digit())
        && (digits == "0" || !digits.starts_with('0'));
    if valid { value.parse().ok() } else { None }
}

/// The 0-based line of `key:` inside the `meeting:` block.
pub(crate) fn meeting_key_line(front_matter: &str, key: &str) -> Option<usize> {
    let start = yaml::key_line(front_matter, "meeting")?;
    let rest: String = front_matter
        .lines()
        .skip(start + 1)
        .collect::<Vec<_>>()
        .join("\n");
    yaml::key_line(&rest, key)
        .map(|line| line + start + 1)
        .or(Some(start))
}

/// Reads the front matter (its first line is line `first_line` of `path`).
pub(crate) fn parse(
    text: &str,
    path: &Path,
    first_line: usize,
) -> Result<FrontMatter, Vec<Problem>> {
    match parse_simple(text) {
        Some(front) => Ok(front),
        None => yaml::parse_all(text, path, first_line),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fast_front_matter_agrees_with_yaml() {
        let mut samples: Vec<String> = vec![
            "title: Over het project\n".into(),
            "title: \"OPP: wat is dat?\"\ndescription: 'Korte uitleg.'\ndate: 2024-03-15\nweight: 31\n".into(),
            "title: Zwolle\ndraft: true\ntemplate: page.html\nslug: zwolle-2030\nweight: -5\n".into(),
            "title: Welkom\n\ndescription: Tekst met [haken], {accolades}, nummer#1 en \"quotes\".\n".into(),
            "title: Über ons\ndescription: Één zin, met accenten; geen probleem\n".into(),
            "title:   Ruimte rondom   \nweight: 0\n".into(),
            "title: Nee\ndate: 2030-01-02\n".into(),
        ];
        // Values the fast path must leave to YAML (it may not read them itself): each gets a title first.
        let tricky = [
            "description: yes",
            "description: No",
            "description: null",
            "description: ~",
            "description: 12",
            "description: 1.5",
            "description: -x",
            "description: \"a\\\"b\"",
            "description: 'it''s'",
            "description: a: b",
            "description: a # comment",
            "description: \"x\" # c",
            "description:",
            "description: [a, b]",
            "description: {a: b}",
            "description: &anchor x",
            "description: *alias",
            "description: !tag x",
            "description: |",
            "description: >",
            "weight: 007",
            "weight: +3",
            "weight: 1e3",
            "weight: 0x10",
            "weight: 99999999999999999999",
            "draft: True",
            "draft: yes",
            "date: 2024-3-5",
            "date: \"2024-03-15\"",
            "date: 20240315",
            "extra: {noindex: true}",
            "extra:\n  noindex: true",
            "unknown: x",
            "title: Tweede",
            "  title: ingesprongen",
            "description: tab\there",
            "description: Y",
            "description: on",
        ];
        for value in tricky {
            samples.push(format!("title: Pagina\n{value}\n"));
        }
        samples.push("description: zonder titel\n".into());
        // Every page of the fixture and of the real site.
        let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
        for dir in [
            manifest.join("tests/fixtures/site/content"),
            manifest.join("../content"),
        ] {
            for found in load::walk(&dir).unwrap_or_default() {
                let text = std::fs::read_to_string(&found.path).unwrap();
                if let Ok(split) = load::split_front_matter(&text, &found.path) {
                    samples.push(split.front_matter.to_string());
                }
            }
        }
        samples.push("title: x\r\n".into());
        for sample in &samples {
            let slow: Result<FrontMatter, _> = serde_yaml::from_str(sample);
            if let Some(quick) = parse_simple(sample) {
                assert_eq!(Some(&quick), slow.as_ref().ok(), "{sample:?}");
            }
        }
        // The usual front matter takes the fast path.
        for sample in &samples[..7] {
            assert!(parse_simple(sample).is_some(), "{sample:?}");
        }
    }

    #[test]
    fn meeting_keys_are_found_inside_the_block() {
        let fm = "title: A\ndate: 2024-01-01\nmeeting:\n  id: x\n  date: 2024-04-10\n";
        assert_eq!(meeting_key_line(fm, "date"), Some(4));
        assert_eq!(meeting_key_line(fm, "capacity"), Some(2));
    }
}
