//! What templates and `meetings.json` see of the site: plain serialisable views with Dutch labels ready to print.

use serde::Serialize;

use crate::dates;
use crate::markdown::TocEntry;
use crate::meeting::Status;
use crate::site::{Page, Site};

/// The venue as templates and `meetings.json` see it.
pub use opp_model::meetings_json::Venue as VenueView;

#[derive(Debug, Clone, Serialize)]
pub struct MeetingView {
    pub id: String,
    pub title: String,
    pub url: String,
    pub permalink: String,
    pub description: Option<String>,
    pub date: String,
    pub date_label: String,
    pub start: Option<String>,
    pub end: Option<String>,
    pub time_label: String,
    pub starts_at: Option<String>,
    pub ends_at: Option<String>,
    pub over_at: String,
    pub venue: VenueView,
    pub capacity: u32,
    pub waitlist_capacity: u32,
    pub status: Status,
    pub status_label: &'static str,
    /// Why the meeting does not go ahead (`meeting.called_off_reason`; status `called_off`).
    pub called_off_reason: Option<String>,
    pub opens_at: Option<String>,
    pub closes_at: String,
    pub opens_label: Option<String>,
    pub closes_label: String,
    pub ics_url: String,
    pub qr_url: String,
    pub poster_url: Option<String>,
}

impl MeetingView {
    pub fn new(site: &Site, page: &Page, with_poster: bool) -> Option<MeetingView> {
        let meeting = page.meeting.as_ref()?;
        let status = meeting.status(site.now);
        let clock = |t: Option<jiff::civil::Time>| t.map(|t| t.strftime("%H:%M").to_string());
        Some(MeetingView {
            id: meeting.id.clone(),
            title: page.title.clone(),
            url: page.url.clone(),
            permalink: site.permalink(&page.url),
            description: page.description.clone(),
            date: meeting.date.to_string(),
            date_label: dates::date_label(meeting.date),
            start: clock(meeting.start),
            end: clock(meeting.end),
            time_label: dates::time_label(meeting.start, meeting.end),
            starts_at: meeting.starts_at(),
            ends_at: meeting.ends_at(),
            over_at: dates::rfc3339(&meeting.over_at().to_zoned(dates::amsterdam())),
            venue: VenueView {
                name: meeting.venue.clone(),
                address: meeting.address.clone(),
                postcode: meeting.postcode.clone(),
                city: meeting.city.clone(),
                route: meeting.route.clone(),
            },
            capacity: meeting.capacity,
            waitlist_capacity: meeting.waitlist_capacity,
            status,
            status_label: status.label(),
            called_off_reason: meeting.called_off_reason.clone(),
            opens_at: meeting.opens_at(),
            closes_at: meeting.closes_at(),
            opens_label: meeting.opens.map(dates::date_time_label),
            closes_label: dates::date_time_label(meeting.closes),
            ics_url: ics_url(page),
            qr_url: qr_url(page),
            poster_url: with_poster.then(|| poster_url(page)),
        })
    }
}

pub fn ics_url(page: &Page) -> String {
    let id = page
        .meeting
        .as_ref()
        .map_or("bijeenkomst", |m| m.id.as_str());
    format!("{}{id}.ics", page.url)
}

pub fn qr_url(page: &Page) -> String {
    format!("{}qr.svg", page.url)
}

pub fn poster_url(page: &Page) -> String {
    format!("{}poster/", page.url)
}

/// The `site` variable: one definition in opp-render, shared with the handler.
pub use opp_render::site_view::{MenuView, SiteView};

#[derive(Debug, Serialize)]
pub struct PageView<'a> {
    pub title: &'a str,
    pub description: Option<&'a str>,
    pub url: &'a str,
    pub permalink: String,
    pub date: Option<String>,
    pub date_label: Option<String>,
    pub weight: i64,
    pub extra: &'a serde_json::Value,
    pub source: &'a str,
    pub content: &'a str,
    pub toc: Vec<TocEntry>,
    pub meeting: Option<&'a MeetingView>,
}

#[derive(Debug, Serialize)]
pub struct PageSummary<'a> {
    pub title: &'a str,
    pub description: Option<&'a str>,
    pub url: &'a str,
    pub date: Option<String>,
    pub date_label: Option<String>,
    pub weight: i64,
    pub meeting: Option<&'a MeetingView>,
}

#[derive(Debug, Serialize)]
pub struct SectionView<'a> {
    pub pages: Vec<PageSummary<'a>>,
    pub subsections: Vec<PageSummary<'a>>,
}

#[derive(Debug, Serialize)]
pub struct BuildView {
    pub time: String,
    pub year: i16,
    /// A preview of a change (`opp-site build --preview`): the theme shows a banner, asks not to be
    /// indexed and leaves the registration form out.
    pub preview: bool,
}

/// The registration form's state; empty on the static site, filled in by the handler after an error.
#[derive(Debug, Default, Serialize)]
pub struct FormView {
    pub values: serde_json::Map<String, serde_json::Value>,
    pub errors: Vec<FieldErrorView>,
}

#[derive(Debug, Clone, Serialize)]
pub struct FieldErrorView {
    pub field: String,
    pub message: String,
}
