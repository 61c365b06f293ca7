//! Machine-readable outputs: `meetings.json` (the contract with the handler and `opp-admin`, defined in
//! `opp_model::meetings_json`), `sitemap.xml`, `robots.txt`, `.well-known/security.txt`.

use opp_model::meetings_json::{self, MeetingEntry, MeetingsFile, Venue, Window};

use crate::dates;
use crate::markdown::escape_attr;
use crate::site::Site;
use crate::views::MeetingView;

pub fn meetings_json(site: &Site, meetings: &[MeetingView]) -> String {
    let file = MeetingsFile {
        version: meetings_json::VERSION,
        generated_at: dates::rfc3339_utc(site.now),
        base_url: site.config.base_url.clone(),
        registration_endpoint: site.config.registration_endpoint.clone(),
        retention_days: site.config.retention_days,
        meetings: meetings
            .iter()
            .map(|m| MeetingEntry {
                id: m.id.clone(),
                title: m.title.clone(),
                url: m.permalink.clone(),
                path: m.url.clone(),
                date: m.date.clone(),
                date_label: m.date_label.clone(),
                time_label: m.time_label.clone(),
                starts_at: m.starts_at.clone(),
                ends_at: m.ends_at.clone(),
                over_at: m.over_at.clone(),
                venue: Venue {
                    name: m.venue.name.clone(),
                    address: m.venue.address.clone(),
                    postcode: m.venue.postcode.clone(),
                    city: m.venue.city.clone(),
                    route: m.venue.route.clone(),
                },
                capacity: m.capacity,
                waitlist_capacity: Some(m.waitlist_capacity),
                called_off: m.status == opp_model::MeetingStatus::CalledOff,
                called_off_reason: m.called_off_reason.clone(),
                registration: Window {
                    opens_at: m.opens_at.clone(),
                    closes_at: m.closes_at.clone(),
                },
                status: m.status,
                ics_url: site.permalink(&m.ics_url),
            })
            .collect(),
    };
    file.to_json()
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

/// Where `security.txt` lives (RFC 9116 §3).
pub const SECURITY_TXT: &str = ".well-known/security.txt";

/// How long a `security.txt` is valid after the build. RFC 9116 asks for less than a year; the nightly
/// deploy rebuilds the site, so the date moves on every day and a site left unbuilt for half a year
/// says plainly that its contact may be stale.
pub const SECURITY_TXT_VALID_DAYS: i64 = 180;

/// `/.well-known/security.txt` (RFC 9116): where to report a vulnerability, until when this holds, in
/// which languages, and its own address.
pub fn security_txt(site: &Site) -> String {
    let expires = site.now + jiff::SignedDuration::from_hours(24 * SECURITY_TXT_VALID_DAYS);
    format!(
        "# {title}: een kwetsbaarheid melden / reporting a vulnerability
Contact: {contact}
Expires: {expires}
Preferred-Languages: nl, en
Canonical: {base}/{SECURITY_TXT}
",
        title = site.config.title,
        contact = site.config.security_contact,
        expires = dates::rfc3339_utc(expires),
        base = site.config.base_url.trim_end_matches('/'),
    )
}

/// `robots.txt`; a preview of a change shuts every crawler out.
pub fn robots(site: &Site, preview: bool) -> String {
    if preview {
        return "User-agent: *\nDisallow: /\n".to_string();
    }
    format!(
        "User-agent: *\nDisallow: /api/\nAllow: /\n\nSitemap: {}/sitemap.xml\n",
        site.config.base_url
    )
}
