//! Finding the inputs: Markdown sources and other files under `content/`, static files under `theme/static/`.

use std::path::{Path, PathBuf};

use crate::error::{Problem, io_problem};
use opp_model::messages::site;

/// A file found under a folder, with its path relative to that folder (always `/`-separated).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Found {
    pub rel: String,
    pub path: PathBuf,
}

/// Everything under `content/`: Markdown pages and files copied as they are (images, PDFs).
#[derive(Debug, Default)]
pub struct ContentFiles {
    pub markdown: Vec<Found>,
    pub other: Vec<Found>,
}

pub fn content_files(content_dir: &Path) -> Result<ContentFiles, Problem> {
    let mut files = ContentFiles::default();
    for found in walk(content_dir)? {
        if found.rel.ends_with(".md") {
            files.markdown.push(found);
        } else {
            files.other.push(found);
        }
    }
    Ok(files)
}

/// Every regular file below `dir`, sorted by relative path; hidden files and editor backups are skipped.
pub fn walk(dir: &Path) -> Result<Vec<Found>, Problem> {
    let mut found = Vec::new();
    if !dir.is_dir() {
        return Err(
            Problem::in_file(dir, site::FOLDER_NOT_FOUND).with_hint(site::FOLDER_NOT_FOUND_HINT)
        );
    }
    walk_into(dir, "", &mut found)?;
    found.sort_by(|a, b| a.rel.cmp(&b.rel));
    Ok(found)
}

fn walk_into(dir: &Path, prefix: &str, found: &mut Vec<Found>) -> Result<(), Problem> {
    let entries =
        std::fs::read_dir(dir).map_err(|err| io_problem(dir, site::ACTION_READ_FOLDER, &err))?;
    for entry in entries {
        let entry = entry.map_err(|err| io_problem(dir, site::ACTION_READ_FOLDER, &err))?;
        let name = entry.file_name();
        let Some(name) = name.to_str() else {
            return Err(
                Problem::in_file(entry.path(), site::NAME_NOT_UTF8).with_hint(site::RENAME_FILE)
            );
        };
        if is_ignored(name) {
            continue;
        }
        let rel = if prefix.is_empty() {
            name.to_string()
        } else {
            format!("{prefix}/{name}")
        };
        let file_type = entry
            .file_type()
            .map_err(|err| io_problem(&entry.path(), site::ACTION_INSPECT_FILE, &err))?;
        if file_type.is_dir() {
            walk_into(&entry.path(), &rel, found)?;
        } else {
            found.push(Found {
                rel,
                path: entry.path(),
            });
        }
    }
    Ok(())
}

/// Reads a text file into `buf` (reused between files, so a page costs no allocation) and returns it as text.
/// Unlike `fs::read_to_string` it neither asks the file's size first nor reads again to see the end: a read of
/// a regular file that returns less than asked has reached the end (POSIX). Two system calls less per read,
/// and every page is read twice per build.
pub fn read_text<'b>(path: &Path, buf: &'b mut Vec<u8>) -> std::io::Result<&'b str> {
    use std::io::Read;
    let mut file = std::fs::File::open(path)?;
    let mut len = 0;
    loop {
        if len == buf.len() {
            buf.resize((buf.len() * 2).max(16 * 1024), 0);
        }
        match file.read(&mut buf[len..]) {
            Ok(0) => break,
            Ok(n) => {
                len += n;
                if len < buf.len() {
                    break;
                }
            }
            Err(err) if err.kind() == std::io::ErrorKind::Interrupted => {}
            Err(err) => return Err(err),
        }
    }
    std::str::from_utf8(&buf[..len]).map_err(|_| {
        std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            "stream did not contain valid UTF-8",
        )
    })
}

/// Hidden files, editor swap and backup files never become part of the site.
pub fn is_ignored(name: &str) -> bool {
    name.starts_with('.')
        || name.ends_with('~')
        || name.ends_with(".swp")
        || name.ends_with(".tmp")
        || name.starts_with('#')
}

/// A Markdown file split into its YAML front matter and body.
#[derive(Debug, PartialEq, Eq)]
pub struct Split<'a> {
    pub front_matter: &'a str,
    /// 1-based line where the front matter's first line is.
    pub front_matter_line: usize,
    /// Byte offset of the body in the file.
    pub body_offset: usize,
    /// 1-based line where the body starts.
    pub body_line: usize,
}

/// Splits `---\n<yaml>\n---\n<body>`.
pub fn split_front_matter<'a>(text: &'a str, path: &Path) -> Result<Split<'a>, Problem> {
    let missing = || {
        Problem::in_file(path, site::NO_FRONT_MATTER)
            .at_line(1)
            .with_hint(site::NO_FRONT_MATTER_HINT)
    };
    let first_len = if text.starts_with("---\n") {
        4
    } else if text.starts_with("---\r\n") {
        5
    } else {
        return Err(missing());
    };
    let mut offset = first_len;
    for (line, raw_line) in (2..).zip(text[first_len..].split_inclusive('\n')) {
        if raw_line.trim_end() == "---" {
            return Ok(Split {
                front_matter: &text[first_len..offset],
                front_matter_line: 2,
                body_offset: offset + raw_line.len(),
                body_line: line + 1,
            });
        }
        offset += raw_line.len();
    }
    Err(Problem::in_file(path, site::FRONT_MATTER_NOT_CLOSED)
        .at_line(1)
        .with_hint(site::FRONT_MATTER_NOT_CLOSED_HINT))
}

#[cfg(test)]
mod tests {
    use super::*;
    use opp_model::messages::Lang;

    #[test]
    fn splits_front_matter() {
        let text = "---\ntitle: A\n---\n# Body\n";
        let split = split_front_matter(text, Path::new("a.md")).unwrap();
        assert_eq!(split.front_matter, "title: A\n");
        assert_eq!(&text[split.body_offset..], "# Body\n");
        assert_eq!(split.body_line, 4);
    }

    #[test]
    fn missing_or_unclosed_front_matter() {
        assert!(split_front_matter("# no front matter", Path::new("a.md")).is_err());
        let err = split_front_matter("---\ntitle: A\n", Path::new("a.md")).unwrap_err();
        assert!(err.message.render(Lang::En).contains("not closed"));
    }

    #[test]
    fn ignores_editor_files() {
        assert!(is_ignored(".zwolle.md.swp"));
        assert!(is_ignored("zwolle.md~"));
        assert!(!is_ignored("zwolle.md"));
    }
}
