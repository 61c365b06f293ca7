//! Aligned plain-text tables for the terminal (widths in characters, so names with accents line up).

use crate::terminal::visible;

/// Renders rows under a header, columns separated by two spaces, without trailing spaces. Every cell is
/// shown through [`visible`]: what a registrant typed cannot steer the terminal.
pub fn render(header: &[&str], rows: &[Vec<String>]) -> String {
    let rows: Vec<Vec<String>> = rows
        .iter()
        .map(|row| row.iter().map(|cell| visible(cell).into_owned()).collect())
        .collect();
    let rows = rows.as_slice();
    let mut widths: Vec<usize> = header.iter().map(|h| h.chars().count()).collect();
    for row in rows {
        for (i, cell) in row.iter().enumerate() {
            if let Some(width) = widths.get_mut(i) {
                *width = (*width).max(cell.chars().count());
            }
        }
    }
    let mut text = String::new();
    let header: Vec<String> = header.iter().map(|h| h.to_string()).collect();
    for row in std::iter::once(&header).chain(rows) {
        let mut line = String::new();
        for (i, cell) in row.iter().enumerate() {
            if i > 0 {
                line.push_str("  ");
            }
            line.push_str(cell);
            let width = widths.get(i).copied().unwrap_or(0);
            let pad = width.saturating_sub(cell.chars().count());
            line.extend(std::iter::repeat_n(' ', pad));
        }
        text.push_str(line.trim_end());
        text.push('\n');
    }
    text
}

#[cfg(test)]
mod tests {
    #[test]
    fn columns_line_up_with_accents() {
        let text = super::render(
            &["id", "stad"],
            &[
                vec!["zwolle".into(), "Zwolle".into()],
                vec!["a".into(), "Café".into()],
            ],
        );
        assert_eq!(text, "id      stad\nzwolle  Zwolle\na       Café\n");
    }

    #[test]
    fn cells_are_escaped_and_measured_as_shown() {
        let text = super::render(
            &["naam", "x"],
            &[
                vec!["\u{1b}]0;x\u{7}".into(), "1".into()],
                vec!["\u{202e}Bo".into(), "2".into()],
            ],
        );
        assert_eq!(
            text,
            "naam             x\n\\u{1b}]0;x\\u{7}  1\n\\u{202e}Bo       2\n"
        );
    }
}
