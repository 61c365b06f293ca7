//! Machine-readable outputs: `meetings.json` (the contract with the handler and `opp-admin`), `sitemap.xml`, `robots.txt`.

use serde::Serialize;

use crate::dates;
use crate::markdown::escape_attr;
use crate::meeting::Status;
use crate::site::Site;
use crate::views::{MeetingView, VenueView};

/// Bumped when a field changes meaning or disappears; new fields may be added without a bump.
pub const MEETINGS_JSON_VERSION: u32 = 1;

#[derive(Serialize)]
struct MeetingsFile<'a> {
    version: u32,
    generated_at: String,
    base_url: &'a str,
    registration_endpoint: &'a str,
    retention_days: u32,
    meetings: Vec<MeetingEntry<'a>>,
}

#[derive(Serialize)]
struct MeetingEntry<'a> {
    id: &'a str,
    title: &'a str,
    url: &'a str,
    path: &'a str,
    date: &'a str,
    date_label: &'a str,
    time_label: &'a str,
    starts_at: Option<&'a str>,
    ends_at: Option<&'a str>,
    /// From this moment the meeting counts as held (its end, or the end of its day when the time is unknown).
    over_at: String,
    venue: &'a VenueView,
    capacity: u32,
    registration: Window<'a>,
    status: Status,
    ics_url: String,
}

#[derive(Serialize)]
struct Window<'a> {
    opens_at: Option<&'a str>,
    closes_at: &'a str,
}

pub fn meetings_json(site: &Site, meetings: &[MeetingView]) -> String {
    let file = MeetingsFile {
        version: MEETINGS_JSON_VERSION,
        generated_at: dates::rfc3339_utc(site.now),
        base_url: &site.config.base_url,
        registration_endpoint: &site.config.registration_endpoint,
        retention_days: site.config.retention_days,
        meetings: meetings
            .iter()
            .map(|m| MeetingEntry {
                id: &m.id,
                title: &m.title,
                url: &m.permalink,
                path: &m.url,
                date: &m.date,
                date_label: &m.date_label,
                time_label: &m.time_label,
                starts_at: m.starts_at.as_deref(),
                ends_at: m.ends_at.as_deref(),
                over_at: m.over_at.clone(),
                venue: &m.venue,
                capacity: m.capacity,
                registration: Window {
                    opens_at: m.opens_at.as_deref(),
                    closes_at: &m.closes_at,
                },
                status: m.status,
                ics_url: site.permalink(&m.ics_url),
            })
            .collect(),
    };
    let mut json = serde_json::to_string_pretty(&file).expect("plain data serialises");
    json.push('\n');
    json
}

/// Pages marked `extra: {noindex: true}` (result pages) stay out of the sitemap.
pub fn sitemap(site: &Site) -> String {
    let mut pages: Vec<_> = site
        .pages
        .iter()
        .filter(|p| {
            !p.extra
                .get("noindex")
                .and_then(|v| v.as_bool())
                .unwrap_or(false)
        })
        .collect();
    pages.sort_by(|a, b| a.url.cmp(&b.url));
    let mut out = String::from(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<urlset xmlns=\"http://www.sitemaps.org/schemas/sitemap/0.9\">\n",
    );
    for page in pages {
        out.push_str("  <url><loc>");
        out.push_str(&escape_attr(&site.permalink(&page.url)));
        out.push_str("</loc>");
        if let Some(date) = page.date {
            out.push_str(&format!("<lastmod>{date}</lastmod>"));
        }
        out.push_str("</url>\n");
    }
    out.push_str("</urlset>\n");
    out
}

pub fn robots(site: &Site) -> String {
    format!(
        "User-agent: *\nDisallow: /api/\nAllow: /\n\nSitemap: {}/sitemap.xml\n",
        site.config.base_url
    )
}
