//! The one time zone the project publishes in: every date and time people read is Amsterdam time.

use jiff::tz::TimeZone;
use std::sync::OnceLock;

/// Europe/Amsterdam, from the tz database compiled into the binary (no system files needed on Lambda).
pub fn amsterdam() -> TimeZone {
    static TZ: OnceLock<TimeZone> = OnceLock::new();
    TZ.get_or_init(|| {
        TimeZone::get("Europe/Amsterdam").expect("the bundled tz database has Europe/Amsterdam")
    })
    .clone()
}
