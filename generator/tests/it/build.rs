//! Builds the fixture site and checks the published result: pages, meetings, calendar files, QR codes, feeds.

use crate::common::*;
use std::collections::BTreeMap;
use std::path::Path;

fn build_fixture() -> (tempfile::TempDir, std::path::PathBuf) {
    let (dir, root) = site_copy();
    let out = dir.path().join("public");
    let summary = opp_site::build(&options(&root, &out)).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(summary.pages, 9, "drafts are left out");
    assert_eq!(summary.meetings, 4);
    (dir, out)
}

#[test]
fn pages_and_sections() {
    let (_dir, out) = build_fixture();
    let over = read(out.join("over/index.html"));
    assert_eq!(select_text(&over, "h1"), vec!["Over het project"]);
    assert_eq!(
        select_attr(&over, "h2", "id"),
        vec!["doelen", "doelen-1"],
        "unique heading ids"
    );
    assert_eq!(
        select_attr(&over, "nav.toc a", "href"),
        vec!["#doelen", "#eerste-doel", "#doelen-1"]
    );
    assert_eq!(select_attr(&over, "a[rel]", "rel"), vec!["noopener"]);
    assert_eq!(
        select_attr(&over, "nav a[aria-current]", "href"),
        Vec::<String>::new(),
        "over is not in the menu"
    );
    let stylesheet = select_attr(&over, "link", "href").remove(0);
    assert!(
        stylesheet.starts_with("/css/site.") && stylesheet.len() == "/css/site.12345678.css".len(),
        "{stylesheet}"
    );
    assert!(out.join(stylesheet.trim_start_matches('/')).is_file());
    assert!(
        out.join("css/site.css").is_file(),
        "unhashed copy for the handler's pages"
    );

    let home = read(out.join("index.html"));
    assert_eq!(
        select_attr(&home, "main a", "href")[0],
        "/over/#doelen",
        "content path resolved with anchor"
    );
    assert_eq!(select_attr(&home, "nav a[aria-current]", "href"), vec!["/"]);

    let section = read(out.join("bijeenkomsten/index.html"));
    assert_eq!(
        select_text(&section, "ul.children a"),
        vec![
            "Bijeenkomst Assen",
            "Bijeenkomst Gouda",
            "Bijeenkomst Utrecht",
            "Bijeenkomst Zwolle"
        ]
    );
    assert!(
        !out.join("concept/index.html").exists(),
        "drafts are not published"
    );
    assert!(
        out.join("aanmelden/info.txt").is_file(),
        "files beside content are copied"
    );
    assert!(read(out.join("404.html")).contains("Pagina niet gevonden"));
}

#[test]
fn meetings_have_status_labels_and_sorted_order() {
    let (_dir, out) = build_fixture();
    let home = read(out.join("index.html"));
    assert_eq!(
        select_attr(&home, "li.meeting", "data-id"),
        vec![
            "2029-11-gouda",
            "2030-01-assen",
            "2030-03-zwolle",
            "2030-06-utrecht"
        ]
    );
    assert_eq!(
        select_attr(&home, "li.meeting", "data-status"),
        vec!["past", "closed", "open", "not_yet_open"]
    );
    assert_eq!(
        select_text(&home, "li.meeting .status"),
        vec![
            "Geweest",
            "Aanmelden is gesloten",
            "Aanmelden kan",
            "Aanmelden kan nog niet"
        ]
    );
    let zwolle = read(out.join("bijeenkomsten/zwolle/index.html"));
    assert_eq!(
        select_text(&zwolle, ".when"),
        vec!["zondag 10 maart 2030, 13.00 tot 16.30 uur"]
    );
    assert_eq!(
        select_attr(&zwolle, "form", "action"),
        vec!["/api/registrations"],
        "open meeting shows the form"
    );
    let utrecht = read(out.join("bijeenkomsten/utrecht/index.html"));
    assert!(
        select_attr(&utrecht, "form", "action").is_empty(),
        "not yet open: no form"
    );
    assert_eq!(
        select_text(&utrecht, ".when"),
        vec!["woensdag 5 juni 2030, De tijd volgt nog"]
    );
    let register = read(out.join("aanmelden/index.html"));
    assert_eq!(
        select_attr(&register, "input[name=meeting]", "value"),
        vec!["2030-03-zwolle"],
        "only open meetings"
    );
    let poster = read(out.join("bijeenkomsten/zwolle/poster/index.html"));
    assert!(poster.contains("https://test.example.nl/bijeenkomsten/zwolle/"));
}

#[test]
fn meetings_json_is_the_contract() {
    let (_dir, out) = build_fixture();
    let text = read(out.join("meetings.json"));
    // What the handler and opp-admin read: the one definition in opp-model.
    let file = opp_model::meetings_json::MeetingsFile::parse(&text)
        .unwrap_or_else(|err| panic!("the generator's meetings.json does not parse: {err}"));
    assert_eq!(file.version, opp_model::meetings_json::VERSION);
    assert_eq!(file.meetings.len(), 4);
    let json: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(json["version"], 1);
    assert_eq!(json["retention_days"], 60);
    let meetings = json["meetings"].as_array().unwrap();
    let by_id: BTreeMap<&str, &serde_json::Value> = meetings
        .iter()
        .map(|m| (m["id"].as_str().unwrap(), m))
        .collect();
    let zwolle = by_id["2030-03-zwolle"];
    assert_eq!(zwolle["starts_at"], "2030-03-10T13:00:00+01:00");
    assert_eq!(zwolle["ends_at"], "2030-03-10T16:30:00+01:00");
    assert_eq!(
        zwolle["url"],
        "https://test.example.nl/bijeenkomsten/zwolle/"
    );
    assert_eq!(zwolle["capacity"], 20);
    assert_eq!(zwolle["status"], "open");
    assert_eq!(
        zwolle["registration"]["closes_at"],
        "2030-03-10T13:00:00+01:00"
    );
    assert_eq!(zwolle["venue"]["postcode"], "8011 CZ");
    let utrecht = by_id["2030-06-utrecht"];
    assert_eq!(
        utrecht["starts_at"],
        serde_json::Value::Null,
        "unknown time stays unknown"
    );
    assert_eq!(
        utrecht["registration"]["opens_at"],
        "2030-02-01T09:00:00+01:00"
    );
    assert_eq!(
        utrecht["registration"]["closes_at"], "2030-06-05T00:00:00+02:00",
        "summer time offset"
    );
    assert_eq!(by_id["2030-01-assen"]["status"], "closed");
    assert_eq!(by_id["2029-11-gouda"]["status"], "past");
}

#[test]
fn calendar_files_follow_rfc5545() {
    let (_dir, out) = build_fixture();
    let ics = read(out.join("bijeenkomsten/zwolle/2030-03-zwolle.ics"));
    assert!(ics.contains("\r\nUID:2030-03-zwolle@test.example.nl\r\n"));
    assert!(ics.contains("\r\nDTSTART;TZID=Europe/Amsterdam:20300310T130000\r\n"));
    assert!(ics.contains("\r\nDTEND;TZID=Europe/Amsterdam:20300310T163000\r\n"));
    assert!(ics.contains("TZID:Europe/Amsterdam\r\n"));
    assert!(
        ics.contains("LOCATION:Nieuwe Buitensociëteit\\, Stationsweg 7\\, 8011 CZ\\, Zwolle\r\n")
    );
    assert!(
        ics.lines().all(|l| l.len() <= 76),
        "folded at 75 octets plus CR"
    );
    assert!(
        !ics.replace("\r\n", "").contains('\n'),
        "every line ends in CRLF"
    );
    let utrecht = read(out.join("bijeenkomsten/utrecht/2030-06-utrecht.ics"));
    assert!(
        utrecht.contains("DTSTART;VALUE=DATE:20300605\r\nDTEND;VALUE=DATE:20300606\r\n"),
        "all-day when time unknown"
    );
}

#[test]
fn feeds_and_qr_codes() {
    let (_dir, out) = build_fixture();
    let sitemap = read(out.join("sitemap.xml"));
    assert!(
        sitemap.contains("<loc>https://test.example.nl/over/</loc><lastmod>2030-01-02</lastmod>")
    );
    assert!(
        !sitemap.contains("/aanmelden/gesloten/"),
        "noindex pages stay out"
    );
    assert!(read(out.join("robots.txt")).contains("Sitemap: https://test.example.nl/sitemap.xml"));
    for qr in ["aanmelden/qr.svg", "bijeenkomsten/zwolle/qr.svg"] {
        assert!(read(out.join(qr)).contains("<svg"), "{qr}");
    }
}

/// `/.well-known/security.txt` as RFC 9116 asks: each field once, `Contact` a URI, `Expires` in the
/// future and less than a year ahead, `Canonical` its own address.
#[test]
fn security_txt_follows_rfc_9116() {
    let (_dir, out) = build_fixture();
    let text = read(out.join(".well-known/security.txt"));
    let mut fields: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for line in text.lines() {
        if line.starts_with('#') || line.trim().is_empty() {
            continue;
        }
        let (name, value) = line
            .split_once(": ")
            .unwrap_or_else(|| panic!("not a field: {line:?}"));
        fields
            .entry(name.to_lowercase())
            .or_default()
            .push(value.to_string());
    }
    let one = |name: &str| -> &str {
        let values = &fields[name];
        assert_eq!(values.len(), 1, "{name} once: {values:?}");
        &values[0]
    };
    let contact = &fields["contact"][0];
    assert!(
        contact.starts_with("https://") || contact.starts_with("mailto:"),
        "{contact}"
    );
    let expires: jiff::Timestamp = one("expires").parse().unwrap();
    let built = now();
    assert!(
        expires > built,
        "{expires} is not after the build at {built}"
    );
    assert!(
        expires < built + jiff::SignedDuration::from_hours(24 * 365),
        "{expires} is a year or more ahead"
    );
    assert_eq!(one("preferred-languages"), "nl, en");
    assert_eq!(
        one("canonical"),
        "https://test.example.nl/.well-known/security.txt"
    );
}

/// Decodes the QR codes with a real decoder (zbarimg) after rasterising them (rsvg-convert); CI installs both.
#[test]
fn qr_codes_scan() {
    let tools = ["zbarimg", "rsvg-convert"];
    let missing: Vec<_> = tools.iter().filter(|t| which(t).is_none()).collect();
    if !missing.is_empty() {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI must install {missing:?} (apt-get install zbar-tools librsvg2-bin)"
        );
        eprintln!("skipping: {missing:?} not installed");
        return;
    }
    let (dir, out) = build_fixture();
    for (svg, expected) in [
        ("aanmelden/qr.svg", "https://test.example.nl/aanmelden/"),
        (
            "bijeenkomsten/zwolle/qr.svg",
            "https://test.example.nl/bijeenkomsten/zwolle/",
        ),
    ] {
        let png = dir.path().join("qr.png");
        let status = std::process::Command::new("rsvg-convert")
            .args(["-w", "400", "-b", "white", "-o"])
            .arg(&png)
            .arg(out.join(svg))
            .status()
            .unwrap();
        assert!(status.success());
        let decoded = std::process::Command::new("zbarimg")
            .args(["-q", "--raw"])
            .arg(&png)
            .output()
            .unwrap();
        assert_eq!(String::from_utf8_lossy(&decoded.stdout).trim(), expected);
    }
}

fn which(tool: &str) -> Option<std::path::PathBuf> {
    std::env::var_os("PATH")?
        .to_str()?
        .split(':')
        .map(|d| Path::new(d).join(tool))
        .find(|p| p.is_file())
}

#[test]
fn same_input_gives_byte_identical_output() {
    let (dir, root) = site_copy();
    let first = dir.path().join("one");
    let second = dir.path().join("two");
    opp_site::build(&options(&root, &first)).unwrap();
    opp_site::build(&options(&root, &second)).unwrap();
    let files = |base: &Path| {
        let mut all = BTreeMap::new();
        for (rel, path) in files_under(base) {
            all.insert(rel, std::fs::read(&path).unwrap());
        }
        all
    };
    let (a, b) = (files(&first), files(&second));
    assert_eq!(a.keys().collect::<Vec<_>>(), b.keys().collect::<Vec<_>>());
    for (name, bytes) in &a {
        assert!(bytes == &b[name], "{name} differs between two builds");
    }
}

#[test]
fn drafts_flag_includes_drafts() {
    let (dir, root) = site_copy();
    let out = dir.path().join("public");
    let mut opts = options(&root, &out);
    opts.drafts = true;
    assert_eq!(opp_site::build(&opts).unwrap().pages, 10);
    assert!(out.join("concept/index.html").is_file());
}

#[test]
fn check_passes_on_the_fixture_and_writes_nothing() {
    let (dir, root) = site_copy();
    opp_site::check(&options(&root, &dir.path().join("unused"))).unwrap_or_else(|e| panic!("{e}"));
    assert!(!dir.path().join("unused").exists(), "check writes nothing");
}

#[test]
fn a_called_off_meeting_shows_it_closes_registration_and_tells_the_contract() {
    let (dir, root) = site_copy();
    let called_off = "meeting:\n  called_off: true\n  called_off_reason: \"De spreker is ziek.\"\n";
    edit(
        root.join("content/bijeenkomsten/zwolle.md"),
        "meeting:\n",
        called_off,
    );
    let out = dir.path().join("public");
    opp_site::build(&options(&root, &out)).unwrap_or_else(|e| panic!("{e}"));
    let json: serde_json::Value = serde_json::from_str(&read(out.join("meetings.json"))).unwrap();
    let zwolle = json["meetings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["id"] == "2030-03-zwolle")
        .unwrap();
    assert_eq!(zwolle["status"], "called_off");
    assert_eq!(zwolle["called_off"], true);
    assert_eq!(zwolle["called_off_reason"], "De spreker is ziek.");

    // A reason alone is a mistake the build names.
    edit(
        root.join("content/bijeenkomsten/zwolle.md"),
        "  called_off: true\n",
        "",
    );
    let err = opp_site::build(&options(&root, &out))
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("zwolle.md") && err.contains("called_off: true"),
        "{err}"
    );

    // The real theme says so on the meeting's page, and offers no form.
    let real = tempfile::tempdir().unwrap();
    let repo = Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap();
    for part in ["content", "theme"] {
        copy_dir(&repo.join(part), &real.path().join(part));
    }
    std::fs::copy(repo.join("config.yaml"), real.path().join("config.yaml")).unwrap();
    edit(
        real.path().join("content/bijeenkomsten/zwolle.md"),
        "meeting:\n",
        called_off,
    );
    let out = real.path().join("public");
    opp_site::build(&options(real.path(), &out)).unwrap_or_else(|e| panic!("{e}"));
    let page = read(out.join("bijeenkomsten/zwolle/index.html"));
    assert!(page.contains("Deze bijeenkomst gaat niet door."), "{page}");
    assert!(page.contains("De spreker is ziek."));
    assert!(page.contains("status--called_off"));
    assert!(!page.contains("<form"), "no registration form");
}

/// `opp-site build --preview`: every page says it is a preview and asks not to be indexed, no page has the
/// registration form (a preview never calls the registration API), and robots.txt shuts crawlers out.
#[test]
fn a_preview_build_marks_every_page_and_leaves_the_form_out() {
    // The real site and theme: the banner and the form's replacement are the theme's.
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("site");
    let repo = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap();
    for part in ["content", "theme"] {
        copy_dir(&repo.join(part), &root.join(part));
    }
    std::fs::copy(repo.join("config.yaml"), root.join("config.yaml")).unwrap();
    let out = dir.path().join("public");
    let mut options = options(&root, &out);
    options.preview = true;
    opp_site::build(&options).unwrap();
    let pages: Vec<_> = files_under(&out)
        .into_iter()
        .filter(|(rel, _)| rel.ends_with(".html") && !rel.starts_with("admin/"))
        .collect();
    assert!(pages.len() > 5, "{pages:?}");
    let mut form_pages = 0;
    for (rel, path) in &pages {
        let html = read(path);
        assert!(
            html.contains("<div class=\"preview-banner\" role=\"note\""),
            "{rel} has no preview banner"
        );
        assert!(
            html.contains("<meta name=\"robots\" content=\"noindex\">"),
            "{rel} may be indexed"
        );
        assert!(!html.contains("<form"), "{rel} has a form");
        assert!(!html.contains("places.js"), "{rel} asks the API for places");
        if html.contains("notice--preview") {
            form_pages += 1;
        }
    }
    assert!(
        form_pages >= 2,
        "the meeting and registration pages say why there is no form"
    );
    assert_eq!(read(out.join("robots.txt")), "User-agent: *\nDisallow: /\n");

    // The same site without --preview: the form is there, and no banner.
    let normal = dir.path().join("normal");
    opp_site::build(&crate::common::options(&root, &normal)).unwrap();
    let home = read(normal.join("index.html"));
    assert!(!home.contains("preview-banner"));
    assert!(read(normal.join("robots.txt")).contains("Allow: /"));
    assert!(
        files_under(&normal)
            .iter()
            .any(|(rel, path)| rel.ends_with(".html") && read(path).contains("<form")),
        "a normal build has the registration form"
    );
}
