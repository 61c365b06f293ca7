//! Incremental rebuilds as `serve` does them: after every kind of edit the served folder must equal, byte for
//! byte, what a full build of the same sources writes; edits the incremental path cannot judge build everything.

use crate::common::*;
use opp_site::incremental::{Outcome, Session};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

fn tree(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    files_under(dir)
        .into_iter()
        .map(|(rel, path)| (rel, std::fs::read(path).unwrap()))
        .collect()
}

/// Builds the sources from scratch beside the served folder and compares every file.
fn assert_same_as_full_build(root: &Path, served: &Path) {
    let fresh = served.with_file_name("fresh");
    let _ = std::fs::remove_dir_all(&fresh);
    opp_site::build(&options(root, &fresh)).unwrap_or_else(|e| panic!("{e}"));
    let (expected, actual) = (tree(&fresh), tree(served));
    assert_eq!(
        actual.keys().collect::<Vec<_>>(),
        expected.keys().collect::<Vec<_>>(),
        "the same files"
    );
    for (name, bytes) in &expected {
        assert!(
            &actual[name] == bytes,
            "{name} differs from a full build:\n--- served\n{}\n--- full build\n{}",
            String::from_utf8_lossy(&actual[name]),
            String::from_utf8_lossy(bytes)
        );
    }
}

fn started() -> (tempfile::TempDir, PathBuf, PathBuf, Session) {
    let (dir, root) = site_copy();
    let served = dir.path().join("served");
    let mut session = Session::new(options(&root, &served));
    session.full().unwrap_or_else(|e| panic!("{e}"));
    (dir, root, served, session)
}

fn partial_files(outcome: Outcome) -> Vec<String> {
    match outcome {
        Outcome::Partial { mut files, .. } => {
            files.sort();
            files
        }
        other => panic!("expected an incremental rebuild, got {other:?}"),
    }
}

/// Updates `session` after `changed` and checks that it built everything, the same as a fresh full build.
fn builds_everything(session: &mut Session, changed: PathBuf, root: &Path, served: &Path) {
    let outcome = session.update(&[changed]).unwrap();
    assert!(
        matches!(outcome, Outcome::Full(_)),
        "expected a full build, got {outcome:?}"
    );
    assert_same_as_full_build(root, served);
}

#[test]
fn a_body_edit_renders_only_that_page() {
    let (_dir, root, served, mut session) = started();
    let page = root.join("content/over.md");
    edit(&page, "## Doelen", "Een nieuwe eerste zin.\n\n## Doelen");
    let files = partial_files(session.update(std::slice::from_ref(&page)).unwrap());
    assert_eq!(files, vec!["over/index.html"]);
    assert!(read(served.join("over/index.html")).contains("Een nieuwe eerste zin."));
    assert_same_as_full_build(&root, &served);

    // Saving without a change (or `touch`) gives the same page again.
    let files = partial_files(session.update(&[page]).unwrap());
    assert_eq!(files, vec!["over/index.html"]);
    assert_same_as_full_build(&root, &served);
}

#[test]
fn listing_fields_also_render_the_section_and_the_sitemap() {
    let (_dir, root, served, mut session) = started();
    let page = root.join("content/over.md");
    edit(&page, "title: Over het project", "title: Over ons project");
    edit(&page, "date: 2030-01-02", "date: 2030-01-09");
    edit(&page, "weight: 10", "weight: 3");
    let files = partial_files(session.update(std::slice::from_ref(&page)).unwrap());
    assert_eq!(files, vec!["index.html", "over/index.html", "sitemap.xml"]);
    assert_same_as_full_build(&root, &served);

    // A section's title is shown by the section above it.
    let section = root.join("content/bijeenkomsten/_index.md");
    edit(
        &section,
        "title: Bijeenkomsten",
        "title: Alle bijeenkomsten",
    );
    let files = partial_files(session.update(&[section]).unwrap());
    assert_eq!(files, vec!["bijeenkomsten/index.html", "index.html"]);
    assert_same_as_full_build(&root, &served);
}

#[test]
fn meetings_theme_and_new_files_build_everything() {
    let (_dir, root, served, mut session) = started();
    let meeting = root.join("content/bijeenkomsten/zwolle.md");
    edit(&meeting, "capacity: 20", "capacity: 25");
    builds_everything(&mut session, meeting, &root, &served);

    let template = root.join("theme/templates/page.html");
    edit(&template, "<h1>", "<h1 class=\"titel\">");
    builds_everything(&mut session, template, &root, &served);

    let new_page = root.join("content/nieuw.md");
    std::fs::write(&new_page, "---\ntitle: Nieuw\n---\nTekst.\n").unwrap();
    builds_everything(&mut session, new_page.clone(), &root, &served);
    assert!(served.join("nieuw/index.html").is_file());

    std::fs::remove_file(&new_page).unwrap();
    builds_everything(&mut session, new_page, &root, &served);
}

#[test]
fn temporary_files_that_came_and_went_change_nothing() {
    let (_dir, root, served, mut session) = started();
    let before = tree(&served);
    let outcome = session
        .update(&[root.join("content/4913"), root.join("content/.over.md.swp")])
        .unwrap();
    assert!(matches!(outcome, Outcome::Unchanged), "{outcome:?}");
    assert_eq!(tree(&served), before);
}

#[test]
fn a_broken_edit_leaves_the_output_alone_and_the_fix_recovers() {
    let (_dir, root, served, mut session) = started();
    let before = tree(&served);
    let page = root.join("content/over.md");
    edit(
        &page,
        "## Doelen",
        "Zie [weg](@/bestaat-niet.md).\n\n## Doelen",
    );
    let err = session.update(std::slice::from_ref(&page)).unwrap_err();
    assert!(err.to_string().contains("bestaat-niet.md"), "{err}");
    assert_eq!(tree(&served), before, "the last good build stays");

    edit(&page, "Zie [weg](@/bestaat-niet.md).\n\n", "");
    session.update(std::slice::from_ref(&page)).unwrap();
    assert_same_as_full_build(&root, &served);

    // A front-matter error is reported like a full build reports it.
    edit(&page, "weight: 10", "wieght: 10");
    let err = session.update(std::slice::from_ref(&page)).unwrap_err();
    assert!(
        err.render(opp_model::messages::Lang::En)
            .contains("unknown field `wieght`"),
        "{err}"
    );
    edit(&page, "wieght: 10", "weight: 10");
    session.update(&[page]).unwrap();
    assert_same_as_full_build(&root, &served);
}
