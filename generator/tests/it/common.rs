//! Shared helpers for the generator's integration tests: a fresh copy of the fixture site per test.
#![allow(dead_code)]

use std::path::{Path, PathBuf};

use jiff::Timestamp;
use opp_site::BuildOptions;

pub fn fixture() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/site")
}

/// Copies the fixture site into a new temporary folder.
pub fn site_copy() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().expect("temp dir");
    let root = dir.path().join("site");
    copy_dir(&fixture(), &root);
    (dir, root)
}

/// Every file below `dir` as (path relative to it with `/`, full path), sorted; hidden files (a served
/// folder's own state) are left out, as the generator's own listing leaves them out.
pub fn files_under(dir: &Path) -> Vec<(String, PathBuf)> {
    fn walk(base: &Path, dir: &Path, out: &mut Vec<(String, PathBuf)>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path
                .file_name()
                .is_some_and(|n| n.to_string_lossy().starts_with('.'))
            {
                continue;
            }
            if path.is_dir() {
                walk(base, &path, out);
            } else {
                let rel = path
                    .strip_prefix(base)
                    .unwrap()
                    .to_string_lossy()
                    .replace('\\', "/");
                out.push((rel, path));
            }
        }
    }
    let mut out = Vec::new();
    walk(dir, dir, &mut out);
    out.sort();
    out
}

pub fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

/// 15 January 2030, 12:00 in Amsterdam: Zwolle is open, Utrecht not yet, Assen closed, Gouda past.
pub fn now() -> Timestamp {
    "2030-01-15T11:00:00Z".parse().unwrap()
}

pub fn options(root: &Path, output: &Path) -> BuildOptions {
    let mut options = BuildOptions::new(root);
    options.output = output.to_path_buf();
    options.now = Some(now());
    options
}

pub fn read(path: impl AsRef<Path>) -> String {
    std::fs::read_to_string(path.as_ref())
        .unwrap_or_else(|err| panic!("{}: {err}", path.as_ref().display()))
}

pub fn edit(path: impl AsRef<Path>, from: &str, to: &str) {
    let text = read(&path);
    assert!(
        text.contains(from),
        "{} does not contain {from:?}",
        path.as_ref().display()
    );
    std::fs::write(path, text.replacen(from, to, 1)).unwrap();
}

/// Elements matching a selector of simple parts separated by spaces (descendants), e.g. `nav.toc a`.
fn select<'a>(dom: &'a tl::VDom<'a>, selector: &str) -> Vec<&'a tl::HTMLTag<'a>> {
    let parser = dom.parser();
    let mut parts = selector.split_whitespace();
    let first = parts.next().expect("a selector");
    let mut current: Vec<&tl::HTMLTag> = dom
        .query_selector(first)
        .map(|nodes| {
            nodes
                .filter_map(|h| h.get(parser))
                .filter_map(|n| n.as_tag())
                .collect()
        })
        .unwrap_or_default();
    for part in parts {
        let mut next = Vec::new();
        for tag in current {
            if let Some(nodes) = tag.query_selector(parser, part) {
                next.extend(
                    nodes
                        .filter_map(|h| h.get(parser))
                        .filter_map(|n| n.as_tag()),
                );
            }
        }
        current = next;
    }
    current
}

/// Text of every element matching `selector`.
pub fn select_text(html: &str, selector: &str) -> Vec<String> {
    let dom = tl::parse(html, tl::ParserOptions::default()).expect("HTML parses");
    let parser = dom.parser();
    select(&dom, selector)
        .into_iter()
        .map(|t| t.inner_text(parser).trim().to_string())
        .collect()
}

/// Values of `attribute` on every element matching `selector`.
pub fn select_attr(html: &str, selector: &str, attribute: &str) -> Vec<String> {
    let dom = tl::parse(html, tl::ParserOptions::default()).expect("HTML parses");
    select(&dom, selector)
        .into_iter()
        .filter_map(|t| {
            t.attributes()
                .get(attribute)
                .flatten()
                .map(|v| v.as_utf8_str().into_owned())
        })
        .collect()
}
