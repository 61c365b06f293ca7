//! `opp-admin attendance`: a meeting's attendance list as an XLSX file that prints as it is on A4.
//!
//! Only confirmed people, sorted by name, with organisation, role, needs and an empty column to tick at the
//! door. Print setup: A4 landscape, scaled to the page width (as many pages down as needed), the header row
//! repeated on every page, the meeting's title, date and time in the page header and "pagina N van M" in
//! the footer. Written like an export: through a private temporary file, renamed into place.

use std::io::Write;
use std::path::Path;

use rust_xlsxwriter::{Format, FormatAlign, FormatBorder, Workbook};

use crate::export::{is_formula_like, write_atomically, write_header, xlsx_failed};
use crate::{OperationError, meeting_registrations};
use opp_model::RegistrationStatus;
use opp_model::records::MeetingRecord;
use opp_store::{RegistrationRecord, Store};

/// The columns; the first is left empty, to tick (or says when the person was checked in at the door).
pub const HEADER: [&str; 5] = [
    "Aanwezig",
    "Naam",
    "School of organisatie",
    "Rol",
    "Wat nodig om mee te doen",
];

/// Widths in Excel's character units: together about the width of landscape A4 at 100 %.
const WIDTHS: [f64; 5] = [10.0, 30.0, 32.0, 26.0, 48.0];

/// Excel ignores a page header longer than this.
const MAX_HEADER_CHARS: usize = 255;

/// A4 in Excel's paper size numbers.
const PAPER_A4: u8 = 9;

/// One line of the list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attendee {
    pub name: String,
    pub organisation: String,
    pub role: String,
    pub needs: String,
    /// "binnen 13:02" when checked in at the door already.
    pub checked_in: String,
}

/// The confirmed registrations as attendees, sorted by name as typed (case and accents do not
/// change the order: "Émile" stands among the E's).
pub fn attendees(registrations: &[RegistrationRecord]) -> Vec<Attendee> {
    let mut list: Vec<Attendee> = registrations
        .iter()
        .filter(|r| r.status == RegistrationStatus::Confirmed)
        .map(|r| Attendee {
            name: r.name.clone(),
            organisation: r.organisation.clone().unwrap_or_default(),
            role: r.role.clone(),
            needs: r.needs.clone().unwrap_or_default(),
            checked_in: r
                .checked_in
                .as_ref()
                .map(|c| format!("binnen {}", clock(&c.at)))
                .unwrap_or_default(),
        })
        .collect();
    list.sort_by_cached_key(|a| (sort_key(&a.name), a.name.clone()));
    list
}

/// `13:02`: an RFC 3339 time on the clock in Amsterdam.
fn clock(at: &str) -> String {
    at.parse::<jiff::Timestamp>()
        .map(|t| {
            t.to_zoned(opp_model::zone::amsterdam())
                .strftime("%H:%M")
                .to_string()
        })
        .unwrap_or_default()
}

/// A name for sorting: lower case, common Latin accents removed.
fn sort_key(name: &str) -> String {
    name.trim()
        .chars()
        .flat_map(char::to_lowercase)
        .map(|c| match c {
            'à' | 'á' | 'â' | 'ã' | 'ä' | 'å' => 'a',
            'ç' => 'c',
            'è' | 'é' | 'ê' | 'ë' => 'e',
            'ì' | 'í' | 'î' | 'ï' => 'i',
            'ñ' => 'n',
            'ò' | 'ó' | 'ô' | 'õ' | 'ö' | 'ø' => 'o',
            'ù' | 'ú' | 'û' | 'ü' => 'u',
            'ý' | 'ÿ' => 'y',
            other => other,
        })
        .collect()
}

/// The printed page header: the meeting's title on the left, date and time on the right, within
/// Excel's limit (a long title is shortened, never the date).
pub fn page_header(meeting: &MeetingRecord) -> String {
    let when = format!(
        "{} {}, {}",
        meeting.date_label, meeting.time_label, meeting.city
    );
    header_text(&meeting.title, &when)
}

fn header_text(title: &str, when: &str) -> String {
    // `&` starts a control code in a header; `&&` is a literal ampersand.
    let escape = |text: &str| text.replace('&', "&&");
    let when = escape(when);
    let prefix = "&L&\"-,Bold\"Presentielijst: ";
    let suffix = format!("&R{when}");
    let room = MAX_HEADER_CHARS.saturating_sub(prefix.chars().count() + suffix.chars().count());
    let mut title = escape(title);
    if title.chars().count() > room {
        title = title.chars().take(room.saturating_sub(1)).collect();
        // Never end on half of an `&&`.
        if title.ends_with('&') && !title.ends_with("&&") {
            title.pop();
        }
        title.push('…');
    }
    format!("{prefix}{title}{suffix}")
}

/// Writes the attendance list of `meeting` to `output`; returns the number of people on it.
pub async fn attendance(
    store: &Store,
    meeting: &str,
    output: &Path,
    log: &mut dyn Write,
) -> Result<usize, OperationError> {
    if output == Path::new(crate::export::STDOUT) {
        return Err(OperationError::input(say!(ATTENDANCE_NEEDS_FILE)));
    }
    let registrations = meeting_registrations(store, meeting, &mut |_| {}).await?;
    let Some(record) = store.meeting(meeting).await? else {
        return Err(crate::unknown_meeting(store, meeting).await);
    };
    let people = attendees(&registrations);
    let bytes = xlsx(&record, &people)?;
    write_atomically(output, &bytes)?;
    writeln!(
        log,
        "{}",
        say!(
            ATTENDANCE_WRITTEN,
            meeting = crate::terminal::visible(meeting),
            count = people.len(),
            place = output.display()
        )
    )
    .ok();
    Ok(people.len())
}

/// The workbook: one sheet, set up to print.
pub fn xlsx(meeting: &MeetingRecord, people: &[Attendee]) -> Result<Vec<u8>, OperationError> {
    let mut workbook = Workbook::new();
    let sheet = workbook.add_worksheet();
    sheet.set_name("Presentielijst").map_err(xlsx_failed)?;
    let boxed = Format::new()
        .set_border(FormatBorder::Thin)
        .set_text_wrap()
        .set_align(FormatAlign::Top);
    let quoted = boxed.clone().set_quote_prefix();
    write_header(sheet, &HEADER, &WIDTHS, &boxed.clone().set_bold())?;
    for (i, person) in people.iter().enumerate() {
        let row = u32::try_from(i + 1).map_err(|_| OperationError::input(say!(TOO_MANY_ROWS)))?;
        // A taller row leaves room to tick and sign.
        sheet.set_row_height(row, 24).map_err(xlsx_failed)?;
        sheet
            .write_string_with_format(row, 0, &person.checked_in, &boxed)
            .map_err(xlsx_failed)?;
        let cells = [
            &person.name,
            &person.organisation,
            &person.role,
            &person.needs,
        ];
        for (col, cell) in cells.into_iter().enumerate() {
            let col = col as u16 + 1;
            let format = if is_formula_like(cell) {
                &quoted
            } else {
                &boxed
            };
            sheet
                .write_string_with_format(row, col, cell, format)
                .map_err(xlsx_failed)?;
        }
    }
    sheet
        .set_paper_size(PAPER_A4)
        .set_landscape()
        .set_print_fit_to_pages(1, 0)
        .set_print_center_horizontally(true)
        .set_header(page_header(meeting))
        .set_footer("&CPagina &P van &N");
    sheet.set_repeat_rows(0, 0).map_err(xlsx_failed)?;
    sheet.set_freeze_panes(1, 0).map_err(xlsx_failed)?;
    workbook.save_to_buffer().map_err(xlsx_failed)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn registration(name: &str, status: RegistrationStatus) -> RegistrationRecord {
        RegistrationRecord {
            registration_id: String::new(),
            meeting: "zwolle".to_string(),
            email: String::new(),
            name: name.to_string(),
            role: "ouder".to_string(),
            sector: None,
            organisation: None,
            needs: None,
            status,
            created_at: String::new(),
            promoted_at: None,
            waitlist_ticket: None,
            link_id: None,
            key_version: None,
            email_status: None,
            token_hash: String::new(),
            previous_token_hashes: Vec::new(),
            mail_withheld: false,
            pending_move: None,
            check_in_code: None,
            checked_in: None,
        }
    }

    #[test]
    fn only_confirmed_people_sorted_by_name_without_regard_to_case_or_accents() {
        let list = attendees(&[
            registration("zoë", RegistrationStatus::Confirmed),
            registration("Émile", RegistrationStatus::Confirmed),
            registration("Anna", RegistrationStatus::Waitlisted),
            registration("bram", RegistrationStatus::Confirmed),
            registration("Eva", RegistrationStatus::Cancelled),
            registration("Floor", RegistrationStatus::Confirmed),
        ]);
        let names: Vec<&str> = list.iter().map(|a| a.name.as_str()).collect();
        assert_eq!(names, ["bram", "Émile", "Floor", "zoë"]);
    }

    #[test]
    fn the_page_header_keeps_the_date_and_stays_within_excels_limit() {
        let header = header_text(
            &"Ouders & school ".repeat(40),
            "dinsdag 9 maart 2027 19.00 - 21.00 uur, Zwolle",
        );
        assert!(header.chars().count() <= MAX_HEADER_CHARS, "{header}");
        assert!(header.ends_with("&Rdinsdag 9 maart 2027 19.00 - 21.00 uur, Zwolle"));
        assert!(header.contains("Ouders && school"), "{header}");
    }
}
