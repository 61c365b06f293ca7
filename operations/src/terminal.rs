//! Text that registrants typed, made safe for an organiser's terminal. The handler refuses control,
//! bidi and zero-width characters, but rows stored before it did may still hold them, and in a terminal
//! an ESC starts a sequence that can retitle the window, clear the screen or rewrite what a line shows,
//! while a bidi override reorders it. Every value from a registration goes through [`visible`] (tables
//! do it for every cell) or, for `--json`, [`json`].

use std::borrow::Cow;
use std::fmt::Write;

use opp_model::registration::is_hidden_or_control;

/// `text` with every character of [`is_hidden_or_control`] written as a visible escape, as Rust writes
/// it (ESC as `\u{1b}`, U+202E as `\u{202e}`), and `\` as `\\`, so no text can pass for an escape.
pub fn visible(text: &str) -> Cow<'_, str> {
    if !text.chars().any(|c| c == '\\' || is_hidden_or_control(c)) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        if c == '\\' {
            out.push_str("\\\\");
        } else if is_hidden_or_control(c) {
            let _ = write!(out, "\\u{{{:x}}}", u32::from(c));
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// Serialised JSON made safe for a terminal without changing what it says: serde_json escapes C0
/// controls but leaves DEL, C1, bidi and zero-width characters as they are, and here they become
/// `\uXXXX` escapes (all lie in the BMP). Outside strings serialised JSON holds only spaces and line
/// ends, which stay; so a parser reads exactly the stored text.
pub fn json(serialised: &str) -> String {
    let mut out = String::with_capacity(serialised.len());
    for c in serialised.chars() {
        if is_hidden_or_control(c) && !matches!(c, '\n' | '\r' | '\t') {
            let _ = write!(out, "\\u{:04x}", u32::from(c));
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn controls_bidi_and_zero_width_are_shown_as_escapes() {
        assert_eq!(visible("Anna\u{1b}]0;x\u{7}"), "Anna\\u{1b}]0;x\\u{7}");
        assert_eq!(visible("\u{202e}anna"), "\\u{202e}anna");
        assert_eq!(
            visible("a\u{200b}b\u{feff}\u{9b}\u{7f}"),
            "a\\u{200b}b\\u{feff}\\u{9b}\\u{7f}"
        );
        assert_eq!(
            visible("a\\u{1b}"),
            "a\\\\u{1b}",
            "typed text cannot pass for an escape"
        );
        assert!(matches!(visible("Zoë 🌷"), Cow::Borrowed("Zoë 🌷")));
    }

    #[test]
    fn json_says_the_same_and_shows_nothing_hidden() {
        let value =
            serde_json::json!({"name": "\u{1b}]0;x\u{7}\u{202e}\u{7f}\u{9b}é", "n": [1, 2]});
        for serialised in [
            value.to_string(),
            serde_json::to_string_pretty(&value).unwrap(),
        ] {
            let safe = json(&serialised);
            assert!(
                !safe.chars().any(|c| is_hidden_or_control(c) && c != '\n'),
                "{safe}"
            );
            assert!(safe.contains("\\u202e") && safe.contains("é"), "{safe}");
            assert_eq!(
                serde_json::from_str::<serde_json::Value>(&safe).unwrap(),
                value
            );
        }
    }
}
