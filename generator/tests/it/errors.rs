//! Bad input: every kind of mistake an editor can make stops the build with file:line and what to do,
//! and a failed build leaves the previous site untouched.

use crate::common::*;
use opp_model::messages::Lang;
use std::path::Path;

/// Builds a good site first, applies `break_it`, builds again, and returns the error text in English
/// (`OPP_LANG=en`; the Dutch default is checked by `errors_are_dutch_by_default_and_english_on_request`).
fn failing_build(break_it: impl FnOnce(&Path)) -> String {
    let (dir, root) = site_copy();
    let out = dir.path().join("public");
    opp_site::build(&options(&root, &out)).unwrap();
    let before = read(out.join("over/index.html"));
    break_it(&root);
    let err = opp_site::build(&options(&root, &out)).expect_err("the build must fail");
    assert_eq!(
        read(out.join("over/index.html")),
        before,
        "the previous site is left untouched"
    );
    let leftovers: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with('.'))
        .collect();
    assert!(
        leftovers.is_empty(),
        "no staging folder is left behind: {leftovers:?}"
    );
    err.render(Lang::En)
}

fn expect(text: &str, parts: &[&str]) {
    for part in parts {
        assert!(text.contains(part), "expected {part:?} in:\n{text}");
    }
}

#[test]
fn invalid_yaml() {
    let err = failing_build(|root| {
        edit(
            root.join("content/over.md"),
            "title: Over het project",
            "title: OPP: wat",
        )
    });
    expect(
        &err,
        &["content/over.md:2: error:", "put the value in quotes"],
    );
}

#[test]
fn an_unclosed_quote_is_reported_on_its_own_line_with_what_to_type() {
    let err = failing_build(|root| {
        edit(
            root.join("content/over.md"),
            "title: Over het project",
            "title: \"Over het project",
        )
    });
    expect(
        &err,
        &[
            "content/over.md:2: error: the value of `title` starts with \" but does not end with one",
            "end the value with \"",
        ],
    );
}

#[test]
fn unknown_front_matter_key_suggests_the_right_one() {
    let err = failing_build(|root| edit(root.join("content/over.md"), "weight: 10", "wieght: 10"));
    expect(
        &err,
        &[
            "content/over.md:4: error: unknown field `wieght`",
            "did you mean `weight`?",
        ],
    );
}

#[test]
fn unknown_meeting_key_points_inside_the_block() {
    let err = failing_build(|root| {
        edit(
            root.join("content/bijeenkomsten/zwolle.md"),
            "capacity: 20",
            "capacty: 20",
        )
    });
    expect(
        &err,
        &[
            "content/bijeenkomsten/zwolle.md:14: error:",
            "unknown field `capacty`",
            "did you mean `capacity`?",
        ],
    );
}

#[test]
fn missing_field() {
    let err = failing_build(|root| {
        edit(
            root.join("content/over.md"),
            "title: Over het project\n",
            "",
        )
    });
    expect(
        &err,
        &[
            "content/over.md",
            "missing field `title`",
            "add `title: ...`",
        ],
    );
}

#[test]
fn wrong_date() {
    let err = failing_build(|root| {
        edit(
            root.join("content/bijeenkomsten/zwolle.md"),
            "date: 2030-03-10",
            "date: 10-03-2030",
        )
    });
    expect(
        &err,
        &[
            "content/bijeenkomsten/zwolle.md:6: error: `10-03-2030` is not a date",
            "YYYY-MM-DD",
        ],
    );
    let err = failing_build(|root| {
        edit(
            root.join("content/over.md"),
            "date: 2030-01-02",
            "date: 2030-02-30",
        )
    });
    expect(
        &err,
        &["content/over.md:3: error: `2030-02-30` is not a date"],
    );
}

#[test]
fn duplicate_meeting_id() {
    let err = failing_build(|root| {
        edit(
            root.join("content/bijeenkomsten/utrecht.md"),
            "id: 2030-06-utrecht",
            "id: 2030-03-zwolle",
        )
    });
    expect(
        &err,
        &["meeting id `2030-03-zwolle` is already used by bijeenkomsten/"],
    );
}

#[test]
fn duplicate_url() {
    let err = failing_build(|root| {
        edit(
            root.join("content/bijeenkomsten/utrecht.md"),
            "title: Bijeenkomst Utrecht",
            "title: U\nslug: zwolle",
        )
    });
    expect(
        &err,
        &[
            "the URL /bijeenkomsten/zwolle/ is also made by",
            "different `slug`",
        ],
    );
}

#[test]
fn template_error_undefined_variable() {
    let err = failing_build(|root| {
        edit(
            root.join("theme/templates/page.html"),
            "{{ page.title }}</h1>",
            "{{ page.titel }}</h1>",
        )
    });
    expect(
        &err,
        &[
            "theme/templates/page.html",
            "page.titel",
            "not found in context",
            "docs/theme-contract.md",
        ],
    );
}

#[test]
fn an_error_in_the_base_template_names_it_once_with_its_lines() {
    let err = failing_build(|root| {
        edit(
            root.join("theme/templates/base.html"),
            "<title>{% block title %}{{ site.title }}",
            "<title>{% block title %}{{ site.titel }}",
        )
    });
    let located: Vec<&str> = err
        .lines()
        .filter(|line| line.contains("error: template error"))
        .collect();
    assert_eq!(located.len(), 1, "reported once, not once per page:\n{err}");
    expect(
        &err,
        &[
            "theme/templates/base.html:5: error: template error",
            "site.titel",
            "the expression is used in base.html line 5",
            "pages hit this",
        ],
    );
}

#[test]
fn template_syntax_error_names_the_line() {
    let err = failing_build(|root| {
        edit(
            root.join("theme/templates/page.html"),
            "{% endblock content %}",
            "{% endblock content",
        )
    });
    expect(
        &err,
        &["theme/templates/page.html:6: error: template error"],
    );
}

#[test]
fn unknown_template_in_front_matter() {
    let err = failing_build(|root| {
        edit(
            root.join("content/over.md"),
            "weight: 10",
            "template: pagina.html",
        )
    });
    expect(
        &err,
        &[
            "content/over.md:4: error: template `pagina.html` does not exist",
            "did you mean `page.html`?",
        ],
    );
}

#[test]
fn broken_internal_link() {
    let err = failing_build(|root| {
        edit(
            root.join("content/_index.md"),
            "@/over.md#doelen",
            "@/ovr.md",
        )
    });
    expect(
        &err,
        &[
            "content/_index.md:5: error: link to `@/ovr.md`",
            "did you mean @/over.md?",
        ],
    );
}

#[test]
fn missing_static_file() {
    let err =
        failing_build(|root| std::fs::remove_file(root.join("theme/static/css/site.css")).unwrap());
    // Template functions answer through Tera's error text, in the process's language (Dutch by default).
    assert!(
        err.contains("theme/static/css/site.css does not exist")
            || err.contains("theme/static/css/site.css bestaat niet"),
        "{err}"
    );
}

#[test]
fn meeting_rules() {
    let err = failing_build(|root| {
        edit(
            root.join("content/bijeenkomsten/zwolle.md"),
            "end: \"16:30\"",
            "end: \"12:00\"",
        )
    });
    expect(
        &err,
        &[
            "content/bijeenkomsten/zwolle.md:8: error: the end (12:00:00) must be after the start (13:00:00)",
        ],
    );
}

#[test]
fn every_broken_page_is_reported_at_once() {
    let err = failing_build(|root| {
        edit(root.join("content/over.md"), "weight: 10", "wieght: 10");
        edit(
            root.join("content/bijeenkomsten/zwolle.md"),
            "capacity: 20",
            "capacity: twintig",
        );
    });
    expect(
        &err,
        &[
            "content/over.md:4",
            "content/bijeenkomsten/zwolle.md:14: error: meeting.capacity: invalid type",
        ],
    );
}

/// Mistakes in the same file, and mistakes of a later phase behind one in front matter, come in one report,
/// each with file:line; a link to the page with the mistake is not reported as broken too.
#[test]
fn every_mistake_of_every_phase_is_reported_at_once() {
    let err = failing_build(|root| {
        // Two YAML slips in one file: a tab and an unclosed quote.
        edit(root.join("content/over.md"), "weight: 10", "\tweight: 10");
        edit(
            root.join("content/over.md"),
            "date: 2030-01-02",
            "description: \"Over ons",
        );
        // Two rule mistakes in one meeting: capacity and an unknown template.
        edit(
            root.join("content/bijeenkomsten/zwolle.md"),
            "capacity: 20",
            "capacity: 0",
        );
        edit(
            root.join("content/bijeenkomsten/zwolle.md"),
            "title: Bijeenkomst Zwolle",
            "title: Bijeenkomst Zwolle\ntemplate: bijeenkomst.html",
        );
        // A later phase: a broken content link in a page that is fine otherwise.
        edit(
            root.join("content/_index.md"),
            "of ga naar de [bijeenkomsten]",
            "of lees [dit](@/bestaat-niet.md) of ga naar de [bijeenkomsten]",
        );
    });
    expect(
        &err,
        &[
            "content/over.md:3: error: the value of `description` starts with \"",
            "content/over.md:4: error: this line is indented with a tab",
            "content/bijeenkomsten/zwolle.md:3: error: template `bijeenkomst.html` does not exist",
            "content/bijeenkomsten/zwolle.md:15: error: capacity must be at least 1",
            "content/_index.md:5: error: link to `@/bestaat-niet.md`",
        ],
    );
    assert!(
        !err.contains("@/over.md"),
        "the link to over.md, which has a mistake, is not reported as broken too:\n{err}"
    );
    assert_eq!(err.matches("error:").count(), 5, "{err}");
}

/// Past the limit the report stops and says how many more there are.
#[test]
fn a_report_stops_at_twenty_problems_and_counts_the_rest() {
    let err = failing_build(|root| {
        for i in 0..25 {
            std::fs::write(
                root.join(format!("content/kapot-{i:02}.md")),
                "---\ntitle: Kapot\nwieght: 1\n---\nTekst.\n",
            )
            .unwrap();
        }
    });
    assert_eq!(
        err.matches("error: unknown field `wieght`").count(),
        20,
        "{err}"
    );
    expect(
        &err,
        &["... and 5 more problem(s). Fix these first and build again."],
    );
}

#[test]
fn check_reports_broken_links_with_their_source() {
    let (dir, root) = site_copy();
    edit(
        root.join("content/over.md"),
        "Meer kennis.",
        "Meer [kennis](/bijeenkomsten/#bestaat-niet) en [weg](/weg/).",
    );
    edit(
        root.join("theme/templates/404.html"),
        "<a href=\"/\">",
        "<a href=\"/start/\">",
    );
    let err = opp_site::check(&options(&root, &dir.path().join("out")))
        .expect_err("check must fail")
        .render(Lang::En);
    expect(
        &err,
        &[
            "content/over.md:14: error: broken anchor `/bijeenkomsten/#bestaat-niet`",
            "content/over.md:14: error: broken link `/weg/`",
            "theme/templates/404.html: error: broken link `/start/`",
        ],
    );
}

/// The CLI speaks Dutch to editors unless `OPP_LANG=en`: the problem, its hint and the summary line.
#[test]
fn errors_are_dutch_by_default_and_english_on_request() {
    let (dir, root) = site_copy();
    edit(root.join("content/over.md"), "weight: 10", "wieght: 10");
    edit(root.join("content/_index.md"), "title:", "titel:");
    let build = |lang: Option<&str>| {
        let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_opp-site"));
        command
            .args(["build", "--root"])
            .arg(&root)
            .arg("--output")
            .arg(dir.path().join("public"))
            .env_remove("OPP_LANG");
        if let Some(lang) = lang {
            command.env("OPP_LANG", lang);
        }
        let output = command.output().unwrap();
        assert!(!output.status.success());
        String::from_utf8_lossy(&output.stderr).into_owned()
    };
    let dutch = build(None);
    expect(
        &dutch,
        &[
            "over.md:4: fout: onbekend veld `wieght`",
            "tip: bedoel je `weight`? Toegestaan hier:",
            "De site is niet gebouwd (aantal problemen: 2);",
            "is niet veranderd",
        ],
    );
    for english in [
        "error:",
        "help:",
        "unknown field",
        "did you mean",
        "Build failed",
    ] {
        assert!(
            !dutch.contains(english),
            "`{english}` in the Dutch output:\n{dutch}"
        );
    }
    let english = build(Some("en"));
    expect(
        &english,
        &[
            "over.md:4: error: unknown field `wieght`",
            "help: did you mean `weight`?",
            "Build failed with 2 problem(s);",
            "was left unchanged",
        ],
    );
}

#[test]
fn on_github_actions_every_problem_is_also_an_annotation_on_its_file_and_line() {
    let (dir, root) = site_copy();
    edit(root.join("content/over.md"), "weight: 10", "wieght: 10");
    std::fs::write(
        root.join("content/kapot.md"),
        "---\ntitle: \"Kapot, echt: 100%\n---\nTekst\n",
    )
    .unwrap();
    let run = |command: &str, github: bool| {
        let mut cli = std::process::Command::new(env!("CARGO_BIN_EXE_opp-site"));
        cli.arg(command)
            .arg("--root")
            .arg(&root)
            .env_remove("OPP_LANG")
            .env_remove("GITHUB_ACTIONS")
            .env("GITHUB_WORKSPACE", &root);
        if command == "build" {
            cli.arg("--output").arg(dir.path().join("public"));
        }
        if github {
            cli.env("GITHUB_ACTIONS", "true");
        }
        let output = cli.output().unwrap();
        assert!(!output.status.success());
        String::from_utf8_lossy(&output.stdout).into_owned()
    };
    for command in ["build", "check"] {
        let stdout = run(command, true);
        let lines: Vec<&str> = stdout.lines().filter(|l| l.starts_with("::")).collect();
        assert_eq!(lines.len(), 2, "{command}: one per problem:\n{stdout}");
        assert_eq!(
            lines,
            [
                "::error file=content/kapot.md,line=2,title=De site kan zo niet worden gebouwd::de waarde van `title` begint met \" maar eindigt er niet mee%0Atip: zet ook \" aan het eind van de waarde, bijvoorbeeld title: \"Kapot, echt: 100%25\"",
                "::error file=content/over.md,line=4,title=De site kan zo niet worden gebouwd::onbekend veld `wieght`%0Atip: bedoel je `weight`? Toegestaan hier: title, description, date, draft, template, weight, slug, extra, meeting",
            ],
            "{command}: relative to the workspace, with the line, the hint after an escaped line end, % escaped"
        );
        assert!(
            run(command, false).lines().all(|l| !l.starts_with("::")),
            "only on GitHub"
        );
    }
}

#[test]
fn a_file_beside_content_with_a_page_path_is_a_conflict() {
    // Pages and the other files are written at the same time; whichever comes second is reported.
    let err = failing_build(|root| {
        std::fs::create_dir_all(root.join("content/over")).unwrap();
        std::fs::write(root.join("content/over/index.html"), "<p>ook</p>").unwrap();
    });
    expect(&err, &["two parts of the site both write /over/index.html"]);
}

#[test]
fn registration_endpoint_outside_the_api_is_refused_with_its_line() {
    let err = failing_build(|root| {
        edit(
            root.join("config.yaml"),
            "registration_endpoint: /api/registrations",
            "registration_endpoint: /aanmelden/versturen",
        )
    });
    expect(
        &err,
        &[
            "config.yaml:5: error:",
            "must start with /api/",
            "e.g. registration_endpoint: /api/registrations",
        ],
    );
}

/// A meeting with a wrong date and a broken link: both in one build, though the date leaves the page out.
#[test]
fn a_page_left_out_for_its_front_matter_still_gets_its_links_checked() {
    let err = failing_build(|root| {
        let page = root.join("content/bijeenkomsten/zwolle.md");
        edit(&page, "date: 2030-03-10", "date: 10-03-2030");
        edit(
            &page,
            "Welkom in Zwolle.",
            "Welkom in Zwolle.\n\nLees eerst [dit](@/bestaat-niet.md).",
        );
    });
    expect(
        &err,
        &[
            "content/bijeenkomsten/zwolle.md:6: error:",
            "content/bijeenkomsten/zwolle.md:18: error: link to `@/bestaat-niet.md`",
        ],
    );
    assert_eq!(err.matches("error:").count(), 2, "{err}");
}

/// `opp-site check` also follows the anchors in such a page's Markdown.
#[test]
fn the_link_check_reads_a_left_out_pages_anchors_too() {
    let (_dir, root) = site_copy();
    let page = root.join("content/bijeenkomsten/zwolle.md");
    edit(&page, "capacity: 20", "capacity: 0");
    edit(
        &page,
        "Welkom in Zwolle.",
        "Welkom in Zwolle.\n\nZie [de doelen](@/over.md#bestaat-niet).",
    );
    let out = root.join("public");
    let err = opp_site::check(&options(&root, &out))
        .expect_err("the check must fail")
        .render(Lang::En);
    expect(
        &err,
        &[
            "content/bijeenkomsten/zwolle.md:14: error: capacity must be at least 1",
            "zwolle.md:18: error: broken anchor `/over/#bestaat-niet`",
        ],
    );
    assert_eq!(err.matches("error:").count(), 2, "{err}");
}
