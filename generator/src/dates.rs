//! Dates and times in Europe/Amsterdam: parsing editor input and printing Dutch labels.

use jiff::civil::{Date, DateTime, Time};
use jiff::{Timestamp, Zoned};
use opp_model::messages::Text;
use opp_model::text;

/// The one time zone the project publishes in.
pub use opp_model::zone::amsterdam;

/// Parses `YYYY-MM-DD`.
pub fn parse_date(text: &str) -> Result<Date, Text> {
    let text = text.trim();
    let valid_shape = text.len() == 10 && text.as_bytes()[4] == b'-' && text.as_bytes()[7] == b'-';
    text.parse::<Date>()
        .ok()
        .filter(|_| valid_shape)
        .ok_or_else(|| text!(site::NOT_A_DATE, text = text))
}

/// Parses `HH:MM` (24-hour clock).
pub fn parse_time(text: &str) -> Result<Time, Text> {
    let text = text.trim();
    let err = || text!(site::NOT_A_TIME, text = text);
    let (h, m) = text.split_once(':').ok_or_else(err)?;
    if h.is_empty() || h.len() > 2 || m.len() != 2 {
        return Err(err());
    }
    let hour: i8 = h.parse().map_err(|_| err())?;
    let minute: i8 = m.parse().map_err(|_| err())?;
    Time::new(hour, minute, 0, 0).map_err(|_| err())
}

/// Parses `YYYY-MM-DD` (midnight) or `YYYY-MM-DD HH:MM`.
pub fn parse_date_time(text: &str) -> Result<DateTime, Text> {
    let text = text.trim();
    match text.split_once([' ', 'T']) {
        Some((date, time)) => {
            let date = parse_date(date)?;
            let time = parse_time(time)?;
            Ok(date.to_datetime(time))
        }
        None => Ok(parse_date(text)?.to_datetime(Time::midnight())),
    }
}

/// Local wall-clock time in Amsterdam as an instant. Times in the spring-forward gap move forward.
pub fn zoned(datetime: DateTime) -> Zoned {
    datetime
        .to_zoned(amsterdam())
        .expect("civil datetimes within jiff's range convert to a zone")
}

pub fn rfc3339(zoned: &Zoned) -> String {
    zoned.strftime("%Y-%m-%dT%H:%M:%S%:z").to_string()
}

pub fn rfc3339_utc(timestamp: Timestamp) -> String {
    timestamp.strftime("%Y-%m-%dT%H:%M:%SZ").to_string()
}

const WEEKDAYS: [&str; 7] = [
    "maandag",
    "dinsdag",
    "woensdag",
    "donderdag",
    "vrijdag",
    "zaterdag",
    "zondag",
];
const MONTHS: [&str; 12] = [
    "januari",
    "februari",
    "maart",
    "april",
    "mei",
    "juni",
    "juli",
    "augustus",
    "september",
    "oktober",
    "november",
    "december",
];

/// "woensdag 10 april 2024"
pub fn date_label(date: Date) -> String {
    let weekday = WEEKDAYS[usize::try_from(date.weekday().to_monday_zero_offset()).unwrap_or(0)];
    format!(
        "{weekday} {} {} {}",
        date.day(),
        MONTHS[usize::try_from(date.month() - 1).unwrap_or(0)],
        date.year()
    )
}

/// "13.00"
pub fn clock_label(time: Time) -> String {
    format!("{}.{:02}", time.hour(), time.minute())
}

/// "13.00 tot 16.00 uur", "vanaf 13.00 uur" or "De tijd volgt nog".
pub fn time_label(start: Option<Time>, end: Option<Time>) -> String {
    match (start, end) {
        (Some(start), Some(end)) => format!("{} tot {} uur", clock_label(start), clock_label(end)),
        (Some(start), None) => format!("Vanaf {} uur", clock_label(start)),
        _ => "De tijd volgt nog".to_string(),
    }
}

/// "dinsdag 9 april 2024 om 12.00 uur"
pub fn date_time_label(datetime: DateTime) -> String {
    if datetime.time() == Time::midnight() {
        date_label(datetime.date())
    } else {
        format!(
            "{} om {} uur",
            date_label(datetime.date()),
            clock_label(datetime.time())
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_editor_input() {
        assert_eq!(parse_date("2024-04-10").unwrap().to_string(), "2024-04-10");
        assert!(parse_date("10-04-2024").is_err());
        assert!(parse_date("2024-02-30").is_err());
        assert_eq!(parse_time("9:05").unwrap().to_string(), "09:05:00");
        assert!(parse_time("25:00").is_err());
        assert!(parse_time("13.00").is_err());
        assert_eq!(
            parse_date_time("2024-04-09 12:00").unwrap().to_string(),
            "2024-04-09T12:00:00"
        );
        assert_eq!(
            parse_date_time("2024-04-09").unwrap().to_string(),
            "2024-04-09T00:00:00"
        );
    }

    #[test]
    fn dutch_labels() {
        let date = parse_date("2024-04-10").unwrap();
        assert_eq!(date_label(date), "woensdag 10 april 2024");
        let t = |s| parse_time(s).ok();
        assert_eq!(time_label(t("13:00"), t("16:30")), "13.00 tot 16.30 uur");
        assert_eq!(time_label(t("9:00"), None), "Vanaf 9.00 uur");
        assert_eq!(time_label(None, None), "De tijd volgt nog");
    }

    #[test]
    fn amsterdam_offsets_follow_summer_time() {
        let winter = zoned(parse_date_time("2024-01-10 13:00").unwrap());
        let summer = zoned(parse_date_time("2024-04-10 13:00").unwrap());
        assert_eq!(rfc3339(&winter), "2024-01-10T13:00:00+01:00");
        assert_eq!(rfc3339(&summer), "2024-04-10T13:00:00+02:00");
    }
}
