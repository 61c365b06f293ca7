//! A one-line progress bar on standard error for long jobs; silent when standard error is not a terminal,
//! so scripts and logs get only the final lines.

use std::io::{IsTerminal, Write};

pub struct Progress {
    label: String,
    total: Option<usize>,
    shown: bool,
    enabled: bool,
}

const WIDTH: usize = 30;

impl Progress {
    pub fn new(label: impl Into<String>, total: Option<usize>) -> Self {
        Progress {
            label: label.into(),
            total,
            shown: false,
            enabled: std::io::stderr().is_terminal(),
        }
    }

    pub fn set(&mut self, done: usize) {
        if !self.enabled {
            return;
        }
        self.shown = true;
        let line = bar(&self.label, done, self.total);
        let mut err = std::io::stderr().lock();
        let _ = write!(err, "\r{line}\x1b[K");
        let _ = err.flush();
    }

    pub fn finish(self) {
        if self.shown {
            eprintln!();
        }
    }
}

/// The bar's text: `label [######      ] 1200/2500`, or `label: 1200` when the total is unknown.
pub fn bar(label: &str, done: usize, total: Option<usize>) -> String {
    match total {
        Some(total) if total > 0 => {
            let filled = (done.min(total) * WIDTH) / total;
            format!(
                "{label} [{}{}] {done}/{total}",
                "#".repeat(filled),
                " ".repeat(WIDTH - filled)
            )
        }
        _ => format!("{label}: {done}"),
    }
}

#[cfg(test)]
mod tests {
    use super::bar;

    #[test]
    fn bar_fills_in_proportion() {
        assert_eq!(
            bar("export", 1250, Some(2500)),
            format!("export [{}{}] 1250/2500", "#".repeat(15), " ".repeat(15))
        );
        assert_eq!(bar("export", 3000, Some(2500)).matches('#').count(), 30);
        assert_eq!(bar("export", 7, None), "export: 7");
    }
}
