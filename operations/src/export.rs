//! `opp-admin export`: attendance lists and name-badge data as CSV (for Dutch Excel) or XLSX.
//!
//! CSV choices: UTF-8 with a byte-order mark (without it Excel reads UTF-8 as Windows-1252 and breaks
//! accents), `;` between fields (Dutch Excel uses the comma as decimal separator and expects `;`), CRLF line
//! ends, fields quoted when needed (RFC 4180). Cells that a spreadsheet would run as a formula (starting with
//! `=`, `+`, `-`, `@`, tab or carriage return) are neutralised: in CSV with a leading `'`, in XLSX with the
//! cell's quote-prefix property, so the text stays exactly what the person typed.
//! The file is written beside the target under a random name, readable by its owner only (0600), and
//! renamed into place, so an export is never half written nor readable by others.

use std::io::Write;
use std::path::Path;

use rust_xlsxwriter::{Format, Workbook};

use crate::progress::Progress;
use crate::{Failure, OperationError, local_time};
use opp_model::RegistrationStatus;
use opp_model::messages::admin::{FILE_CREATE, FILE_MOVE, FILE_PICK_NAME, FILE_WRITE};
use opp_model::records::MeetingRecord;
use opp_store::{RegistrationRecord, Store};

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ExportFormat {
    Csv,
    Xlsx,
}

/// Which registrations to export.
pub struct Selection<'a> {
    /// One meeting, or every meeting when `None`.
    pub meeting: Option<&'a str>,
    /// One status, or confirmed and waitlisted when `None` (cancelled ones only when asked for).
    pub status: Option<RegistrationStatus>,
}

/// Columns in an export (also the back office's downloads).
pub const EXPORT_COLUMNS: usize = 15;

pub const HEADER: [&str; EXPORT_COLUMNS] = [
    "Bijeenkomst",
    "Datum",
    "Plaats",
    "Status",
    "Plek op wachtlijst",
    "Naam",
    "E-mailadres",
    "Rol",
    "Sector",
    "School of organisatie",
    "Wat nodig om mee te doen",
    "Aangemeld op",
    "Van wachtlijst naar plek op",
    "Binnen sinds",
    "Ingecheckt door",
];

/// Column widths for the XLSX sheet, in Excel's character units.
const WIDTHS: [f64; EXPORT_COLUMNS] = [
    14.0, 11.0, 14.0, 11.0, 10.0, 28.0, 32.0, 24.0, 8.0, 28.0, 40.0, 20.0, 20.0, 20.0, 20.0,
];

/// `--output -`: the export goes to standard output (CSV only), e.g. into a pipe.
pub const STDOUT: &str = "-";

/// Reads the selected registrations and writes them to `output` (or standard output for [`STDOUT`]);
/// returns the number of rows.
pub async fn export(
    store: &Store,
    selection: &Selection<'_>,
    format: ExportFormat,
    output: &Path,
    log: &mut dyn Write,
) -> Result<usize, OperationError> {
    let to_stdout = output == Path::new(STDOUT);
    if to_stdout && format == ExportFormat::Xlsx {
        return Err(OperationError::input(say!(EXPORT_STDOUT_CSV_ONLY)));
    }
    let meetings: Vec<MeetingRecord> = match selection.meeting {
        Some(id) => match store.meeting(id).await? {
            Some(meeting) => vec![meeting],
            None => return Err(crate::unknown_meeting(store, id).await),
        },
        None => store.meetings().await?,
    };
    let expected: usize = meetings
        .iter()
        .map(|m| (m.confirmed + m.waitlisted + m.cancelled) as usize)
        .sum();
    let mut progress = Progress::new(say!(READING_REGISTRATIONS), Some(expected));
    let mut rows = Vec::new();
    for meeting in &meetings {
        let before = rows.len();
        let registrations = store
            .registrations(&meeting.id, &mut |n| progress.set(before + n))
            .await?;
        rows.extend(meeting_rows(meeting, &registrations, selection.status));
    }
    progress.finish();

    let bytes = match format {
        ExportFormat::Csv => csv(&rows),
        ExportFormat::Xlsx => xlsx(&rows)?,
    };
    let place = if to_stdout {
        let mut stdout = std::io::stdout().lock();
        stdout
            .write_all(&bytes)
            .and_then(|()| stdout.flush())
            .map_err(|err| OperationError::input(say!(CANNOT_WRITE_STDOUT, err = err)))?;
        say!(STANDARD_OUTPUT)
    } else {
        write_atomically(output, &bytes)?;
        output.display().to_string()
    };
    writeln!(
        log,
        "{}",
        say!(EXPORT_WRITTEN, count = rows.len(), place = place)
    )
    .ok();
    Ok(rows.len())
}

/// The export's rows for one meeting's registrations (in order of arrival): of one status, or confirmed
/// and waitlisted when `status` is None. The back office's download uses the same rows.
pub fn meeting_rows(
    meeting: &MeetingRecord,
    registrations: &[RegistrationRecord],
    status: Option<RegistrationStatus>,
) -> Vec<[String; EXPORT_COLUMNS]> {
    let mut rows = Vec::new();
    let mut waiting = 0;
    for registration in registrations {
        let position = if registration.status == RegistrationStatus::Waitlisted {
            waiting += 1;
            Some(waiting)
        } else {
            None
        };
        let wanted = match status {
            Some(status) => registration.status == status,
            None => registration.status.is_live(),
        };
        if wanted {
            rows.push(row(meeting, registration, position));
        }
    }
    rows
}

fn row(
    meeting: &MeetingRecord,
    r: &RegistrationRecord,
    position: Option<usize>,
) -> [String; EXPORT_COLUMNS] {
    let status = r.status.label_nl();
    [
        meeting.id.clone(),
        meeting.date.clone(),
        meeting.city.clone(),
        status.to_string(),
        position.map(|p| p.to_string()).unwrap_or_default(),
        r.name.clone(),
        r.email.clone(),
        r.role.clone(),
        r.sector.clone().unwrap_or_default(),
        r.organisation.clone().unwrap_or_default(),
        r.needs.clone().unwrap_or_default(),
        local_time(&r.created_at),
        r.promoted_at.as_deref().map(local_time).unwrap_or_default(),
        r.checked_in
            .as_ref()
            .map(|c| local_time(&c.at))
            .unwrap_or_default(),
        r.checked_in
            .as_ref()
            .map(|c| c.by.clone())
            .unwrap_or_default(),
    ]
}

/// True for text a spreadsheet would take as the start of a formula.
pub fn is_formula_like(text: &str) -> bool {
    text.starts_with(['=', '+', '-', '@', '\t', '\r'])
}

/// One CSV field: neutralised when formula-like, quoted when it holds `;`, `"`, or a line break.
pub fn csv_field(text: &str) -> String {
    let text = if is_formula_like(text) {
        format!("'{text}")
    } else {
        text.to_string()
    };
    if text.contains([';', '"', '\n', '\r']) {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text
    }
}

pub fn csv(rows: &[[String; EXPORT_COLUMNS]]) -> Vec<u8> {
    let mut text = String::from("\u{feff}");
    let lines = std::iter::once(HEADER.map(str::to_string)).chain(rows.iter().cloned());
    for line in lines {
        let fields: Vec<String> = line.iter().map(|f| csv_field(f)).collect();
        text.push_str(&fields.join(";"));
        text.push_str("\r\n");
    }
    text.into_bytes()
}

pub fn xlsx(rows: &[[String; EXPORT_COLUMNS]]) -> Result<Vec<u8>, OperationError> {
    let mut workbook = Workbook::new();
    let sheet = workbook.add_worksheet();
    sheet.set_name("Aanmeldingen").map_err(xlsx_failed)?;
    let quoted = Format::new().set_quote_prefix();
    write_header(sheet, &HEADER, &WIDTHS, &Format::new().set_bold())?;
    for (i, line) in rows.iter().enumerate() {
        let row = u32::try_from(i + 1).map_err(|_| OperationError::input(say!(TOO_MANY_ROWS)))?;
        for (col, cell) in line.iter().enumerate() {
            let col = col as u16;
            if is_formula_like(cell) {
                sheet
                    .write_string_with_format(row, col, cell, &quoted)
                    .map_err(xlsx_failed)?;
            } else {
                sheet.write_string(row, col, cell).map_err(xlsx_failed)?;
            }
        }
    }
    sheet.set_freeze_panes(1, 0).map_err(xlsx_failed)?;
    if !rows.is_empty() {
        sheet
            .autofilter(0, 0, rows.len() as u32, (HEADER.len() - 1) as u16)
            .map_err(xlsx_failed)?;
    }
    workbook.save_to_buffer().map_err(xlsx_failed)
}

/// The bold first row of a sheet, and its columns' widths.
pub(crate) fn write_header(
    sheet: &mut rust_xlsxwriter::Worksheet,
    titles: &[&str],
    widths: &[f64],
    format: &Format,
) -> Result<(), OperationError> {
    for (col, (title, width)) in titles.iter().zip(widths).enumerate() {
        let col = col as u16;
        sheet
            .write_string_with_format(0, col, *title, format)
            .map_err(xlsx_failed)?;
        sheet.set_column_width(col, *width).map_err(xlsx_failed)?;
    }
    Ok(())
}

/// An XLSX writer error in words.
pub(crate) fn xlsx_failed(err: rust_xlsxwriter::XlsxError) -> OperationError {
    OperationError::new(Failure::Input, say!(XLSX_FAILED, err = err))
}

/// Writes `bytes` to `output` through a temporary file beside it, then renames it into place (replacing
/// a file of that name), so an export is never half written. The temporary file has a random name and is
/// created new with mode 0600: it holds personal data, so no other user may read it, not even while it is
/// written, and nobody can have put a file or a link in its place beforehand.
pub(crate) fn write_atomically(output: &Path, bytes: &[u8]) -> Result<(), OperationError> {
    let problem = |msg: opp_model::messages::Msg, err: std::io::Error| {
        OperationError::input(msg.fill(&[("path", &output.display()), ("err", &err)]))
    };
    let name = output
        .file_name()
        .ok_or_else(|| OperationError::input(say!(NOT_A_FILE_NAME, path = output.display())))?;
    let mut random = [0u8; 16];
    getrandom::fill(&mut random)
        .map_err(|err| problem(FILE_PICK_NAME, std::io::Error::other(err)))?;
    let random: String = random.iter().map(|b| format!("{b:02x}")).collect();
    let temp = output.with_file_name(format!(".{}.{random}.partial", name.to_string_lossy()));
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options
        .open(&temp)
        .map_err(|err| problem(FILE_CREATE, err))?;
    let written = file.write_all(bytes).and_then(|()| file.sync_all());
    drop(file);
    if let Err(err) = written {
        let _ = std::fs::remove_file(&temp);
        return Err(problem(FILE_WRITE, err));
    }
    std::fs::rename(&temp, output).map_err(|err| {
        let _ = std::fs::remove_file(&temp);
        problem(FILE_MOVE, err)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formula_like_cells_are_neutralised_and_quoted() {
        assert_eq!(csv_field("=SUM(A1:A9)"), "'=SUM(A1:A9)");
        assert_eq!(csv_field("+31 6 1234"), "'+31 6 1234");
        assert_eq!(csv_field("-2"), "'-2");
        assert_eq!(csv_field("@cmd"), "'@cmd");
        assert_eq!(csv_field("\tx"), "'\tx");
        assert_eq!(csv_field("\r=1"), "\"'\r=1\"");
        assert_eq!(csv_field("a;b"), "\"a;b\"");
        assert_eq!(csv_field("zeg \"hoi\""), "\"zeg \"\"hoi\"\"\"");
        assert_eq!(csv_field("Anne-Marie"), "Anne-Marie");
        assert_eq!(csv_field("Zoë"), "Zoë");
    }

    #[test]
    fn csv_has_bom_semicolons_and_crlf() {
        let bytes = csv(&[std::array::from_fn(|i| format!("v{i}"))]);
        let text = String::from_utf8(bytes).unwrap();
        assert!(text.starts_with("\u{feff}Bijeenkomst;Datum;"));
        assert!(text.ends_with("v13;v14\r\n"));
        assert_eq!(text.matches("\r\n").count(), 2);
    }
}
