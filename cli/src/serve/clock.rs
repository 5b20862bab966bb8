//! Dates, as Unix seconds (UTC) or, for what is stored, milliseconds. Four forms:
//! ISO 8601 basic (`20150830T123600Z`, SigV4), ISO 8601 extended (`2013-08-01T12:00:00.000Z`,
//! policy expirations and listings), and HTTP dates (`Sun, 06 Nov 1994 08:49:37 GMT`, Date
//! and Last-Modified headers), which the `httpdate` crate reads and writes.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// `t` in whole seconds since the epoch, negative before it, saturating.
pub fn unix_seconds(t: SystemTime) -> i64 {
    match t.duration_since(UNIX_EPOCH) {
        Ok(d) => i64::try_from(d.as_secs()).unwrap_or(i64::MAX),
        Err(e) => i64::try_from(e.duration().as_secs()).map(|s| -s).unwrap_or(i64::MIN),
    }
}

/// `2025-01-31T12:00:00.000Z`, as listings give LastModified: whole seconds, and oss2 accepts
/// no other form.
pub fn iso8601(ms: u64) -> String {
    // u64::MAX / 1000 fits in an i64.
    let (year, month, day, hour, minute, second) = civil((ms / 1000) as i64);
    format!("{year:04}-{month:02}-{day:02}T{hour:02}:{minute:02}:{second:02}.000Z")
}

/// `Fri, 31 Jan 2025 12:00:00 GMT`, as `Last-Modified` gives it.
pub fn http_date(ms: u64) -> String {
    httpdate::fmt_http_date(UNIX_EPOCH + Duration::from_millis(ms / 1000 * 1000))
}

/// `20150830T123600Z`.
pub fn format_iso8601_basic(t: i64) -> String {
    let (year, month, day, hour, minute, second) = civil(t);
    format!("{year:04}{month:02}{day:02}T{hour:02}{minute:02}{second:02}Z")
}

/// `YYYYMMDDTHHMMSSZ`.
pub fn parse_iso8601_basic(s: &str) -> Option<i64> {
    let b = s.as_bytes();
    if b.len() != 16 || b[8] != b'T' || b[15] != b'Z' {
        return None;
    }
    timestamp(
        digits(s, 0..4)?,
        digits(s, 4..6)?,
        digits(s, 6..8)?,
        digits(s, 9..11)?,
        digits(s, 11..13)?,
        digits(s, 13..15)?,
    )
}

/// `YYYY-MM-DDTHH:MM:SS[.fraction]Z`; the fraction is dropped.
pub fn parse_iso8601_extended(s: &str) -> Option<i64> {
    let b = s.as_bytes();
    if b.len() < 20
        || b[4] != b'-'
        || b[7] != b'-'
        || b[10] != b'T'
        || b[13] != b':'
        || b[16] != b':'
        || b[b.len() - 1] != b'Z'
    {
        return None;
    }
    let fraction = s.get(19..s.len() - 1)?;
    let fraction_ok = fraction.is_empty()
        || (fraction.len() > 1 && fraction.starts_with('.') && fraction[1..].bytes().all(|c| c.is_ascii_digit()));
    if !fraction_ok {
        return None;
    }
    timestamp(
        digits(s, 0..4)?,
        digits(s, 5..7)?,
        digits(s, 8..10)?,
        digits(s, 11..13)?,
        digits(s, 14..16)?,
        digits(s, 17..19)?,
    )
}

/// An HTTP date: RFC 1123 (`Sun, 06 Nov 1994 08:49:37 GMT`, what botocore and oss2 send), or
/// one of the two obsolete forms HTTP allows (RFC 850, asctime). The weekday must be the
/// date's, and the year from 1970 to 9999.
pub fn parse_http_date(s: &str) -> Option<i64> {
    httpdate::parse_http_date(s).ok().map(unix_seconds)
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The proleptic Gregorian date of a day since 1970-01-01 (Howard Hinnant's algorithm).
fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

/// Year, month, day, hour, minute and second of Unix time `t`.
fn civil(t: i64) -> (i64, i64, i64, i64, i64, i64) {
    let (year, month, day) = civil_from_days(t.div_euclid(86_400));
    let seconds = t.rem_euclid(86_400);
    (year, month, day, seconds / 3600, seconds % 3600 / 60, seconds % 60)
}

/// Unix time of a date and time, None when it does not exist (a leap second is taken).
fn timestamp(year: i64, month: i64, day: i64, hour: i64, minute: i64, second: i64) -> Option<i64> {
    let leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0);
    let month_days = match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => return None,
    };
    let valid = (1..=month_days).contains(&day) && hour < 24 && minute < 60 && second < 61;
    valid.then(|| days_from_civil(year, month, day) * 86_400 + hour * 3600 + minute * 60 + second)
}

/// A run of at most nine decimal digits and nothing else.
fn number(part: &str) -> Option<i64> {
    if part.is_empty() || part.len() > 9 || !part.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    part.parse().ok()
}

/// The number in `s[range]` (None when the range is not on character boundaries).
fn digits(s: &str, range: std::ops::Range<usize>) -> Option<i64> {
    s.get(range).and_then(number)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates() {
        assert_eq!(iso8601(0), "1970-01-01T00:00:00.000Z");
        assert_eq!(iso8601(1_738_324_800_123), "2025-01-31T12:00:00.000Z");
        assert_eq!(iso8601(951_782_400_000), "2000-02-29T00:00:00.000Z");
        assert_eq!(http_date(1_738_324_800_123), "Fri, 31 Jan 2025 12:00:00 GMT");
    }

    #[test]
    fn times_parse() {
        assert_eq!(parse_iso8601_basic("20150830T123600Z"), Some(1_440_938_160));
        assert_eq!(parse_iso8601_basic("19700101T000000Z"), Some(0));
        assert_eq!(parse_iso8601_basic("20240229T000000Z"), Some(1_709_164_800));
        for bad in [
            "20230229T000000Z",
            "20151330T123600Z",
            "20150830T246000Z",
            "2015083T123600Z",
            "20150830 123600Z",
            "2015083\u{e9}123600Z",
            "",
        ] {
            assert_eq!(parse_iso8601_basic(bad), None, "{bad}");
        }
        assert_eq!(parse_http_date("Sun, 06 Nov 1994 08:49:37 GMT"), Some(784_111_777));
        assert_eq!(parse_http_date("Mon, 30 Nov 2026 20:19:17 GMT"), Some(1_796_069_957));
        for bad in [
            "Sun, 06 Nov 1994 08:49:37 UTC",
            "Sun, 06 Foo 1994 08:49:37 GMT",
            "Sun, 06 Nov 1994 08:49 GMT",
            "06 Nov 1994",
            "Sun, 06 Nov 1994 08\u{e9}49:37 GMT",
        ] {
            assert_eq!(parse_http_date(bad), None, "{bad}");
        }
        // The obsolete forms; a weekday that is not the date's.
        assert_eq!(parse_http_date("Sunday, 06-Nov-94 08:49:37 GMT"), Some(784_111_777));
        assert_eq!(parse_http_date("Sun Nov  6 08:49:37 1994"), Some(784_111_777));
        assert_eq!(parse_http_date("Mon, 06 Nov 1994 08:49:37 GMT"), None);
        assert_eq!(parse_iso8601_extended("2013-08-01T12:00:00.000Z"), Some(1_375_358_400));
        assert_eq!(parse_iso8601_extended("2013-08-01T12:00:00Z"), Some(1_375_358_400));
        for bad in
            ["2013-08-01T12:00:00", "2013-08-01 12:00:00Z", "2013-08-01T12:00:00.Z", "2013-08-01T12:00:00\u{e9}Z"]
        {
            assert_eq!(parse_iso8601_extended(bad), None, "{bad}");
        }
        for t in [0, 1_440_938_160, 1_709_164_800, 4_102_444_799] {
            assert_eq!(parse_iso8601_basic(&format_iso8601_basic(t)), Some(t));
        }
    }
}
