//! The times `audit show --since/--until` accept, read as instants (jiff): RFC 3339 with any
//! fractional seconds and offset, a local date or date-time, a local time of today, `today`,
//! `yesterday`, or an age such as `10m`, `2h`, `3d` (that long before now).
//!
//! Does not read the log; it turns the user's text into an instant, or a message saying what
//! was expected.

use jiff::civil::{Date, DateTime, Time};
use jiff::tz::TimeZone;
use jiff::{SignedDuration, Timestamp, Zoned};

/// The forms, for error messages and `--help`.
pub const FORMS: &str = "RFC 3339 (2026-11-26T13:40:47.5Z), a local date or date-time \
(2026-11-26, 2026-11-26 13:40), a time today (13:40:45), today, yesterday, or an age (10m, 2h, 3d)";

/// Reads `text` as an instant, relative to `now` where it needs to be.
pub fn parse_instant(text: &str, now: &Zoned) -> Result<Timestamp, String> {
    let trimmed = text.trim();
    let local = |datetime: DateTime| -> Result<Timestamp, String> {
        datetime
            .to_zoned(now.time_zone().clone())
            .map(|zoned| zoned.timestamp())
            .map_err(|error| format!("`{text}`: {error}"))
    };
    match trimmed {
        "now" => return Ok(now.timestamp()),
        "today" => return local(now.date().to_datetime(Time::midnight())),
        "yesterday" => {
            let yesterday = now
                .date()
                .yesterday()
                .map_err(|error| format!("`{text}`: {error}"))?;
            return local(yesterday.to_datetime(Time::midnight()));
        }
        _ => {}
    }
    if let Ok(instant) = trimmed.parse::<Timestamp>() {
        return Ok(instant);
    }
    if let Ok(datetime) = trimmed.parse::<DateTime>() {
        return local(datetime);
    }
    if let Ok(date) = trimmed.parse::<Date>() {
        return local(date.to_datetime(Time::midnight()));
    }
    if let Ok(time) = trimmed.parse::<Time>() {
        return local(now.date().to_datetime(time));
    }
    if let Some(age) = parse_age(trimmed) {
        return now
            .timestamp()
            .checked_sub(age)
            .map_err(|error| format!("`{text}`: {error}"));
    }
    Err(format!("`{text}` is not a time; expected {FORMS}"))
}

/// `10m`, `2h`, `3d`, `1h30m`, `90s`: a non-negative age.
fn parse_age(text: &str) -> Option<SignedDuration> {
    if !text.starts_with(|character: char| character.is_ascii_digit()) {
        return None;
    }
    // Days are not a fixed duration in jiff's friendly format; spell them as 24 hours.
    if let Some(days) = text.strip_suffix('d') {
        let days: i64 = days.parse().ok()?;
        return SignedDuration::from_hours(days.checked_mul(24)?).into();
    }
    let age: SignedDuration = text.parse().ok()?;
    (!age.is_negative()).then_some(age)
}

/// The instant an entry's `at` names; `None` for a value that is not RFC 3339.
pub fn entry_instant(at: &str) -> Option<Timestamp> {
    at.parse().ok()
}

/// The system time zone (UTC when it cannot be found).
pub fn now() -> Zoned {
    Zoned::now().with_time_zone(TimeZone::try_system().unwrap_or(TimeZone::UTC))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn at(text: &str) -> Zoned {
        text.parse().unwrap()
    }

    #[test]
    fn every_form_reads_as_an_instant() {
        let now = at("2026-11-26T14:00:00+01:00[Europe/Paris]");
        let instant = |text: &str| parse_instant(text, &now).unwrap().to_string();
        assert_eq!(
            instant("2026-11-26T13:40:47.829Z"),
            "2026-11-26T13:40:47.829Z"
        );
        assert_eq!(instant("2026-11-26T14:40:47+01:00"), "2026-11-26T13:40:47Z");
        assert_eq!(instant("13:40:45"), "2026-11-26T12:40:45Z");
        assert_eq!(instant("today"), "2026-11-25T23:00:00Z");
        assert_eq!(instant("yesterday"), "2026-11-24T23:00:00Z");
        assert_eq!(instant("2026-11-20"), "2026-11-19T23:00:00Z");
        assert_eq!(instant("2026-11-20 08:30"), "2026-11-20T07:30:00Z");
        assert_eq!(instant("10m"), "2026-11-26T12:50:00Z");
        assert_eq!(instant("2h"), "2026-11-26T11:00:00Z");
        assert_eq!(instant("3d"), "2026-11-23T13:00:00Z");
    }

    #[test]
    fn fractional_seconds_compare_as_instants() {
        let since =
            parse_instant("2026-11-26T13:40:47Z", &at("2026-11-26T14:00:00Z[UTC]")).unwrap();
        let entry = entry_instant("2026-11-26T13:40:47.829Z").unwrap();
        assert!(entry >= since);
    }

    #[test]
    fn nonsense_is_refused_with_the_forms() {
        let now = at("2026-11-26T14:00:00Z[UTC]");
        for text in ["last week", "-5m", "13:99", "2026-13-01", ""] {
            let error = parse_instant(text, &now).unwrap_err();
            assert!(error.contains("expected"), "{text}: {error}");
        }
    }
}
