//! One email, from a registration and its meeting: the view the templates get (`opp_render::emails`), the
//! personal links formed again from the link key, the calendar file, and the MIME message (mail-builder:
//! multipart text and HTML, names with accents in encoded headers, the `.ics` as an attachment).

use jiff::Timestamp;
use opp_model::RegistrationStatus;
use opp_model::links::LinkKeys;
use opp_model::records::MeetingRecord;
use opp_model::registration_calendar::registration_calendar;
use opp_render::emails::{
    CHECK_IN_IMAGE_CID, EmailCheckIn, EmailLink, EmailMeeting, EmailMessage, EmailProblem,
    EmailView,
};
use opp_store::RegistrationRecord;

use crate::settings::Site;
use crate::transition::Kind;

/// A message ready to send: the envelope and the whole RFC 5322 text.
#[derive(Debug, Clone)]
pub struct OutgoingMail {
    pub kind: Kind,
    pub to: String,
    pub subject: String,
    pub raw: Vec<u8>,
}

/// The personal page and cancel links of a registration, when its link can be formed again (a derived
/// link whose key version the ring still holds).
pub fn personal_links(
    site: &Site,
    keys: &LinkKeys,
    registration: &RegistrationRecord,
) -> Option<(String, String)> {
    let token = keys.token(registration.key_version?, registration.link_id.as_deref()?)?;
    Some((
        site.url(&site.routes.personal_page(&token)),
        site.url(&site.routes.cancel(&token)),
    ))
}

pub fn meeting_view(site: &Site, meeting: &MeetingRecord) -> EmailMeeting {
    site.email_site().meeting(meeting)
}

/// What a meeting's news adds to an email: the meeting as it was (`changed`), and the meetings one can
/// register for instead (`called-off`).
#[derive(Debug, Default, Clone, Copy)]
pub struct News<'a> {
    pub previous: Option<&'a MeetingRecord>,
    pub others: &'a [MeetingRecord],
}

/// The email of `kind` for this registration.
pub fn registration_email(
    site: &Site,
    keys: &LinkKeys,
    kind: Kind,
    registration: &RegistrationRecord,
    meeting: &MeetingRecord,
    news: News<'_>,
    now: Timestamp,
) -> Result<OutgoingMail, EmailProblem> {
    let links = personal_links(site, keys, registration);
    let place = registration
        .waitlist_ticket
        .map(|ticket| meeting.waitlist_place(ticket));
    // A calendar entry is for a seat: a waiting person's `changed` has none.
    let calendar = (kind.has_calendar() && registration.status == RegistrationStatus::Confirmed)
        .then(|| registration_calendar(meeting, registration, &site.host, &site.base_url, now));
    // The door's code for a seat, in the mails that come before the meeting.
    let check_in_code = matches!(kind, Kind::Confirmed | Kind::Promoted | Kind::Reminder)
        .then(|| registration.valid_check_in_code(meeting))
        .flatten();
    let check_in_png =
        check_in_code.and_then(|code| opp_render::qr::png(code, QR_PIXELS_PER_MODULE));
    // After a cancellation or a call-off there is nothing left to look at or cancel.
    let cancelled = matches!(kind, Kind::Cancelled | Kind::CalledOff);
    let view = EmailView {
        kind: kind.as_str().to_string(),
        name: registration.name.clone(),
        meeting: Some(meeting_view(site, meeting)),
        previous: news.previous.map(|previous| meeting_view(site, previous)),
        personal_url: links
            .as_ref()
            .filter(|_| !cancelled)
            .map(|(page, _)| page.clone()),
        cancel_url: links
            .as_ref()
            .filter(|_| !cancelled)
            .map(|(_, cancel)| cancel.clone()),
        calendar_attached: calendar.is_some(),
        check_in: check_in_code
            .filter(|_| check_in_png.is_some())
            .map(|code| EmailCheckIn {
                short: opp_model::check_in_code::short_form(code),
                image_cid: CHECK_IN_IMAGE_CID.into(),
            }),
        message: None,
        position: (kind == Kind::Waitlisted)
            .then_some(place.map(|p| p.number))
            .flatten(),
        position_approximate: kind == Kind::Waitlisted && place.is_some_and(|p| p.approximate),
        reason: (kind == Kind::CalledOff)
            .then(|| meeting.called_off_reason.clone())
            .flatten(),
        other_meetings: news.others.iter().map(|m| meeting_view(site, m)).collect(),
        links: Vec::new(),
        confirm_url: None,
        address_taken: false,
        new_address: None,
        register_url: site.register_url.clone(),
        site_title: site.title.clone(),
        site_url: site.base_url.clone(),
    };
    let rendered = site.emails.render(&view)?;
    let raw = mime(
        site,
        kind,
        &registration.registration_id,
        (&registration.name, &registration.email),
        &rendered,
        Attached {
            calendar: calendar.as_deref(),
            check_in_png: check_in_png.as_deref(),
        },
        now,
    )?;
    Ok(OutgoingMail {
        kind,
        to: registration.email.clone(),
        subject: rendered.subject,
        raw,
    })
}

/// An organiser's message to one registration, with the meeting and the personal links (never withheld,
/// and not counted against the address's budget: organisers send at most one per group per hour).
pub fn message_email(
    site: &Site,
    keys: &LinkKeys,
    registration: &RegistrationRecord,
    meeting: &MeetingRecord,
    message: &opp_store::messages::Message,
    now: Timestamp,
) -> Result<OutgoingMail, EmailProblem> {
    // One builder for the mail and the back office's preview of it (opp_render::emails::EmailSite::message).
    let view = site.email_site().message(
        &registration.name,
        meeting,
        personal_links(site, keys, registration),
        EmailMessage::new(&message.subject, &message.body),
    );
    let rendered = site.emails.render(&view)?;
    let raw = mime(
        site,
        Kind::Message,
        &registration.registration_id,
        (&registration.name, &registration.email),
        &rendered,
        Attached::default(),
        now,
    )?;
    Ok(OutgoingMail {
        kind: Kind::Message,
        to: registration.email.clone(),
        subject: rendered.subject,
        raw,
    })
}

/// The `link` email: every live registration of the address with its personal link. None when the address
/// has none whose link can be formed (nothing to send).
pub fn link_email(
    site: &Site,
    keys: &LinkKeys,
    request_id: &str,
    registrations: &[(RegistrationRecord, MeetingRecord)],
    now: Timestamp,
) -> Result<Option<OutgoingMail>, EmailProblem> {
    let mut links = Vec::new();
    for (registration, meeting) in registrations {
        if registration.status == RegistrationStatus::Cancelled {
            continue;
        }
        let Some((personal_url, _)) = personal_links(site, keys, registration) else {
            continue;
        };
        links.push(EmailLink {
            meeting: meeting_view(site, meeting),
            status_label: match registration.status {
                RegistrationStatus::Waitlisted => "op de wachtlijst".into(),
                _ => "je hebt een plaats".into(),
            },
            personal_url,
        });
    }
    let Some((first, _)) = registrations
        .iter()
        .find(|(r, _)| r.status != RegistrationStatus::Cancelled)
    else {
        return Ok(None);
    };
    if links.is_empty() {
        return Ok(None);
    }
    let view = EmailView {
        kind: Kind::Link.as_str().to_string(),
        name: first.name.clone(),
        links,
        register_url: site.register_url.clone(),
        site_title: site.title.clone(),
        site_url: site.base_url.clone(),
        ..EmailView::default()
    };
    let rendered = site.emails.render(&view)?;
    let raw = mime(
        site,
        Kind::Link,
        request_id,
        (&first.name, &first.email),
        &rendered,
        Attached::default(),
        now,
    )?;
    Ok(Some(OutgoingMail {
        kind: Kind::Link,
        to: first.email.clone(),
        subject: rendered.subject,
        raw,
    }))
}

/// The two mails of an address move ([`Kind::AddressConfirm`] to the new address, with the link that
/// confirms it, or that explains that the address is taken; [`Kind::MoveNotice`] to the old address, with
/// the new one partly hidden and the personal links to undo it).
#[allow(clippy::too_many_arguments)]
pub fn move_email(
    site: &Site,
    keys: &LinkKeys,
    kind: Kind,
    registration: &RegistrationRecord,
    meeting: &MeetingRecord,
    pending: &opp_model::records::PendingMove,
    address_taken: bool,
    now: Timestamp,
) -> Result<OutgoingMail, EmailProblem> {
    let confirm_url = keys
        .move_token(pending.key_version, &pending.id)
        .map(|token| site.url(&site.routes.confirm_move(&token)));
    let notice = kind == Kind::MoveNotice;
    let links = personal_links(site, keys, registration).filter(|_| notice);
    let view = EmailView {
        kind: kind.as_str().to_string(),
        name: registration.name.clone(),
        meeting: Some(meeting_view(site, meeting)),
        personal_url: links.as_ref().map(|(page, _)| page.clone()),
        cancel_url: links.as_ref().map(|(_, cancel)| cancel.clone()),
        confirm_url: confirm_url.filter(|_| !notice && !address_taken),
        address_taken,
        new_address: notice.then(|| partly_hidden(&pending.to)),
        register_url: site.register_url.clone(),
        site_title: site.title.clone(),
        site_url: site.base_url.clone(),
        ..EmailView::default()
    };
    if kind == Kind::AddressConfirm && view.confirm_url.is_none() && !address_taken {
        return Err(EmailProblem {
            file: "mailer".into(),
            line: None,
            message: format!(
                "the link key version {} of a move is no longer in the ring",
                pending.key_version
            ),
        });
    }
    let rendered = site.emails.render(&view)?;
    let to = if notice {
        registration.email.as_str()
    } else {
        pending.to.as_str()
    };
    let raw = mime(
        site,
        kind,
        &registration.registration_id,
        (&registration.name, to),
        &rendered,
        Attached::default(),
        now,
    )?;
    Ok(OutgoingMail {
        kind,
        to: to.to_string(),
        subject: rendered.subject,
        raw,
    })
}

/// `anna@example.nl` as `a***@example.nl`: enough for the owner to recognise, not a whole address.
pub fn partly_hidden(address: &str) -> String {
    match address.split_once('@') {
        Some((local, domain)) => {
            let first: String = local.chars().take(1).collect();
            format!("{first}***@{domain}")
        }
        None => "***".into(),
    }
}

/// Pixels per module of the QR code in mails: 232 pixels square with the quiet zone, about 7 KB.
const QR_PIXELS_PER_MODULE: usize = 8;

/// What a message carries besides its text: the calendar file, the check-in code's QR code.
#[derive(Default, Clone, Copy)]
struct Attached<'a> {
    calendar: Option<&'a str>,
    check_in_png: Option<&'a [u8]>,
}

/// The MIME message: multipart text and HTML (mail-builder encodes names with accents), the QR code as an
/// inline PNG part the HTML shows by `cid:` (several common mail clients show no SVG and no `data:`
/// images), the calendar file as an attachment when there is one.
fn mime(
    site: &Site,
    kind: Kind,
    id: &str,
    (name, address): (&str, &str),
    rendered: &opp_render::emails::Rendered,
    attached: Attached<'_>,
    now: Timestamp,
) -> Result<Vec<u8>, EmailProblem> {
    let message_id = format!(
        "{}.{id}.{}@{}",
        kind.as_str(),
        now.as_millisecond(),
        site.host
    );
    let mut builder = mail_builder::MessageBuilder::new()
        .from((site.from.name.as_str(), site.from.address.as_str()))
        .to((name, address))
        .subject(rendered.subject.as_str())
        .date(now.as_second())
        .message_id(message_id)
        // Out-of-office replies to a notification only fill the sender's mailbox (RFC 3834).
        .header(
            "Auto-Submitted",
            mail_builder::headers::raw::Raw::new("auto-generated"),
        )
        .text_body(rendered.text.as_str())
        .html_body(rendered.html.as_str());
    if let Some(png) = attached.check_in_png {
        builder = builder.inline("image/png", CHECK_IN_IMAGE_CID, png);
    }
    if let Some(ics) = attached.calendar {
        let content_type = mail_builder::headers::content_type::ContentType::new("text/calendar")
            .attribute("charset", "utf-8")
            .attribute("method", "PUBLISH");
        builder = builder.attachment(content_type, "bijeenkomst.ics", ics.as_bytes());
    }
    builder.write_to_vec().map_err(|err| EmailProblem {
        file: "mailer".into(),
        line: None,
        message: format!("the message could not be written: {err}"),
    })
}
