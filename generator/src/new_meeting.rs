//! `opp-site new meeting`: writes a valid meeting page for an editor (like Hugo's `hugo new content`), with a
//! suggested id, and says where it went. The file is checked with the same rules as a build before it is
//! written, so what it writes always builds.

use std::path::{Path, PathBuf};

use crate::dates;
use crate::markdown::slugify;
use crate::meeting::{Meeting, MeetingFront};

/// Where meeting pages live, under the site's root.
const MEETINGS_FOLDER: &str = "content/bijeenkomsten";

/// What an editor gives for a new meeting.
#[derive(Debug, Clone)]
pub struct NewMeeting {
    pub city: String,
    pub venue: String,
    /// `YYYY-MM-DD`.
    pub date: String,
    pub capacity: u32,
}

/// What was written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Written {
    pub path: PathBuf,
    pub id: String,
}

/// Checks the answers, picks a free id and file name, and writes the page. The error is a Dutch message
/// that says what to fix.
pub fn new_meeting(root: &Path, meeting: &NewMeeting) -> Result<Written, String> {
    let city = meeting.city.trim();
    let venue = meeting.venue.trim();
    if city.is_empty() {
        return Err("Vul de plaats in, bijvoorbeeld --city Utrecht.".into());
    }
    if venue.is_empty() {
        return Err("Vul de locatie in, bijvoorbeeld --venue \"Jaarbeurs\".".into());
    }
    let date = dates::parse_date(&meeting.date).map_err(|_| {
        format!(
            "De datum `{}` klopt niet. Schrijf hem als JJJJ-MM-DD, bijvoorbeeld 2027-03-12.",
            meeting.date.trim()
        )
    })?;
    if meeting.capacity == 0 {
        return Err(
            "Het aantal plaatsen moet minstens 1 zijn, bijvoorbeeld --capacity 120.".into(),
        );
    }
    let folder = root.join(MEETINGS_FOLDER);
    if !folder.is_dir() {
        return Err(format!(
            "De map {} bestaat niet. Staat --root goed? Het is de map met config.yaml en content/.",
            crate::display_path(&folder)
        ));
    }
    let city_slug = slugify(city);
    let base_id = format!("{}-{}", date.strftime("%Y-%m"), city_slug);
    let (id, path) = free_name(&folder, &base_id, &city_slug);
    let text = page(&id, city, venue, &date.to_string(), meeting.capacity);
    check(&text)?;
    std::fs::write(&path, text).map_err(|err| {
        format!(
            "Het bestand {} kon niet worden geschreven: {err}",
            crate::display_path(&path)
        )
    })?;
    Ok(Written { path, id })
}

/// The first id and file name that no page uses yet: `2027-03-utrecht` in `utrecht.md`, then
/// `utrecht-2027-03.md`, then with `-2`, `-3`, ….
fn free_name(folder: &Path, base_id: &str, city_slug: &str) -> (String, PathBuf) {
    let ids_in_use = ids_in(folder);
    let month = &base_id[..7];
    for n in 1.. {
        let suffix = if n == 1 {
            String::new()
        } else {
            format!("-{n}")
        };
        let id = format!("{base_id}{suffix}");
        if ids_in_use.contains(&id) {
            continue;
        }
        let candidates = [
            format!("{city_slug}{suffix}.md"),
            format!("{city_slug}-{month}{suffix}.md"),
        ];
        if let Some(name) = candidates.iter().find(|name| !folder.join(name).exists()) {
            return (id, folder.join(name));
        }
    }
    unreachable!("the loop returns")
}

/// The meeting ids of the pages in the folder (read plainly: a line `  id: ...`).
fn ids_in(folder: &Path) -> Vec<String> {
    let Ok(entries) = std::fs::read_dir(folder) else {
        return Vec::new();
    };
    entries
        .filter_map(|entry| std::fs::read_to_string(entry.ok()?.path()).ok())
        .flat_map(|text| {
            text.lines()
                .filter_map(|line| {
                    let id = line.trim().strip_prefix("id:")?;
                    let id = id.split('#').next().unwrap_or_default();
                    Some(id.trim().trim_matches(['"', '\'']).to_string())
                })
                .collect::<Vec<_>>()
        })
        .collect()
}

fn page(id: &str, city: &str, venue: &str, date: &str, capacity: u32) -> String {
    format!(
        r#"---
title: {title}
description: Regiobijeenkomst over het OPP in {city_text}.
template: meeting.html   # zo staat de bijeenkomst in het werkscherm bij Bijeenkomsten
meeting:
  id: {id}   # blijft altijd hetzelfde zodra mensen zich hebben aangemeld
  date: {date}
  # start: "13:00"   # haal het hekje weg als de tijd bekend is
  # end: "16:00"
  venue: {venue}
  # address: Straat 1
  # postcode: 1234 AB
  city: {city}
  capacity: {capacity}
---
Schrijf hier wat er op de bijeenkomst gebeurt.
"#,
        title = quoted(&format!("Regiobijeenkomst {city}")),
        city_text = city.replace(['\n', '\r'], " "),
        venue = quoted(venue),
        city = quoted(city),
    )
}

/// A YAML double-quoted scalar: safe for colons, quotes and `#` in what an editor typed.
fn quoted(text: &str) -> String {
    let escaped = text
        .replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace(['\n', '\r'], " ");
    format!("\"{escaped}\"")
}

/// The page is checked with the build's own rules before it is written.
fn check(text: &str) -> Result<(), String> {
    #[derive(serde::Deserialize)]
    struct Front {
        meeting: MeetingFront,
    }
    let yaml = text
        .strip_prefix("---\n")
        .and_then(|rest| rest.split_once("\n---\n"))
        .map(|(yaml, _)| yaml)
        .unwrap_or_default();
    let front: Front = serde_yaml::from_str(yaml).map_err(|err| {
        format!("De nieuwe pagina is geen geldige YAML ({err}); meld dit aan een ontwikkelaar.")
    })?;
    Meeting::from_front(front.meeting)
        .map_err(|(key, message)| format!("De bijeenkomst klopt niet ({key}: {message})."))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn answers() -> NewMeeting {
        NewMeeting {
            city: "Den Bosch".into(),
            venue: "Theater: de \"Parade\" # 1".into(),
            date: "2031-04-02".into(),
            capacity: 80,
        }
    }

    #[test]
    fn writes_a_page_that_the_build_accepts_with_a_suggested_id() {
        let root = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(root.path().join(MEETINGS_FOLDER)).unwrap();
        let first = new_meeting(root.path(), &answers()).unwrap();
        assert_eq!(first.id, "2031-04-den-bosch");
        assert!(first.path.ends_with("den-bosch.md"));
        let text = std::fs::read_to_string(&first.path).unwrap();
        assert!(
            text.contains(r#"venue: "Theater: de \"Parade\" # 1""#),
            "{text}"
        );
        // A second one in the same month gets a file and an id of its own.
        let second = new_meeting(root.path(), &answers()).unwrap();
        assert_eq!(second.id, "2031-04-den-bosch-2");
        assert_ne!(second.path, first.path);
    }

    #[test]
    fn mistakes_get_a_dutch_message_that_says_what_to_type() {
        let root = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(root.path().join(MEETINGS_FOLDER)).unwrap();
        let wrong_date = NewMeeting {
            date: "12-03-2031".into(),
            ..answers()
        };
        let err = new_meeting(root.path(), &wrong_date).unwrap_err();
        assert!(err.contains("JJJJ-MM-DD"), "{err}");
        let no_seats = NewMeeting {
            capacity: 0,
            ..answers()
        };
        assert!(
            new_meeting(root.path(), &no_seats)
                .unwrap_err()
                .contains("minstens 1")
        );
        let elsewhere = tempfile::tempdir().unwrap();
        assert!(
            new_meeting(elsewhere.path(), &answers())
                .unwrap_err()
                .contains("--root")
        );
    }
}
