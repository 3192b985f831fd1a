//! Times as people type them: one strict RFC 3339 parser for the command
//! line (`--expires-at`), the console's expiry field and fixtures.
//!
//! The accepted form is `YYYY-MM-DDTHH:MM:SS` followed by `Z` or an offset
//! `±HH:MM`, to the second: four-digit years, seconds 00 to 59 (no leap
//! second), offsets up to ±23:59. `t` and `z` may be lower case, as RFC 3339
//! allows. A bare date, a space for the `T`, fractions of a second and
//! anything else are refused, each with a message saying what to give.

use jiff::Timestamp;
use jiff::civil::Date;
use jiff::tz::Offset;

/// The example every message shows.
pub const EXAMPLE: &str = "2027-01-01T00:00:00Z";

/// The latest time iamkeys can hold (its time library keeps every time
/// convertible to any offset). Later times are refused with this named.
pub const LATEST: &str = "9999-12-30T22:00:00Z";

fn number(b: &[u8]) -> Option<i32> {
    b.iter().try_fold(0i32, |n, &d| {
        d.is_ascii_digit().then(|| n * 10 + i32::from(d - b'0'))
    })
}

fn shape_error(s: &str, why: &str) -> String {
    format!(
        "{s:?} is not a time: {why}; give RFC 3339 to the second with an offset, like {EXAMPLE}"
    )
}

/// Parses a strict RFC 3339 time (see the module documentation).
pub fn parse(s: &str) -> Result<Timestamp, String> {
    let b = s.as_bytes();
    let date_ok = b.len() >= 10
        && number(&b[0..4]).is_some()
        && b[4] == b'-'
        && number(&b[5..7]).is_some()
        && b[7] == b'-'
        && number(&b[8..10]).is_some();
    if !date_ok {
        return Err(shape_error(s, "the date must be YYYY-MM-DD"));
    }
    if b.len() == 10 {
        return Err(shape_error(s, "a date alone is not a time"));
    }
    if b[10] != b'T' && b[10] != b't' {
        return Err(shape_error(s, "the date and the time are joined by T"));
    }
    let time_ok = b.len() >= 19
        && number(&b[11..13]).is_some()
        && b[13] == b':'
        && number(&b[14..16]).is_some()
        && b[16] == b':'
        && number(&b[17..19]).is_some();
    if !time_ok {
        return Err(shape_error(s, "the time of day must be HH:MM:SS"));
    }
    let offset = &b[19..];
    let offset_secs = match offset {
        b"Z" | b"z" => 0,
        [sign @ (b'+' | b'-'), h1, h2, b':', m1, m2] => {
            let (Some(h), Some(m)) = (number(&[*h1, *h2]), number(&[*m1, *m2])) else {
                return Err(shape_error(s, "the offset must be Z or ±HH:MM"));
            };
            if h > 23 || m > 59 {
                return Err(shape_error(s, "the offset must be within ±23:59"));
            }
            let secs = h * 3600 + m * 60;
            if *sign == b'-' { -secs } else { secs }
        }
        [b'.', ..] => return Err(shape_error(s, "fractions of a second are not taken")),
        [] => return Err(shape_error(s, "it needs an offset (Z or ±HH:MM)")),
        _ => return Err(shape_error(s, "the offset must be Z or ±HH:MM")),
    };
    let field = |r: std::ops::Range<usize>| number(&b[r]).unwrap_or(0);
    let (year, month, day) = (field(0..4), field(5..7), field(8..10));
    let (hour, minute, second) = (field(11..13), field(14..16), field(17..19));
    if hour > 23 || minute > 59 || second > 59 {
        return Err(shape_error(
            s,
            "the time of day runs from 00:00:00 to 23:59:59 (no leap second)",
        ));
    }
    let date = Date::new(year as i16, month as i8, day as i8)
        .map_err(|_| shape_error(s, "there is no such date"))?;
    let at = date.at(hour as i8, minute as i8, second as i8, 0);
    let offset = Offset::from_seconds(offset_secs).expect("within ±23:59");
    offset
        .to_timestamp(at)
        .map_err(|_| format!("{s:?} is out of range: times run up to {LATEST}"))
}

/// Serde support for fixture fields that hold an optional time: the same
/// strict parser, so a fixture error names the line and column.
pub mod optional {
    use std::fmt;

    use jiff::Timestamp;
    use serde::de::{self, Deserializer, Visitor};

    struct TimeVisitor;

    impl<'de> Visitor<'de> for TimeVisitor {
        type Value = Timestamp;
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            write!(f, "an RFC 3339 time like {}", super::EXAMPLE)
        }
        fn visit_str<E: de::Error>(self, v: &str) -> Result<Timestamp, E> {
            super::parse(v).map_err(E::custom)
        }
    }

    struct OptionVisitor;

    impl<'de> Visitor<'de> for OptionVisitor {
        type Value = Option<Timestamp>;
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            write!(f, "an RFC 3339 time like {}", super::EXAMPLE)
        }
        fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
            d.deserialize_str(TimeVisitor).map(Some)
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Timestamp>, D::Error> {
        d.deserialize_option(OptionVisitor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_the_strict_form() {
        for (s, want) in [
            ("2027-01-01T00:00:00Z", "2027-01-01T00:00:00Z"),
            ("2027-01-01t00:00:00z", "2027-01-01T00:00:00Z"),
            ("2027-01-01T02:30:00+02:30", "2027-01-01T00:00:00Z"),
            ("2026-12-31T23:00:00-01:00", "2027-01-01T00:00:00Z"),
            ("2027-01-01T23:59:59+23:59", "2027-01-01T00:00:59Z"),
            ("2028-02-29T12:00:00Z", "2028-02-29T12:00:00Z"),
            ("0001-01-01T00:00:00Z", "0001-01-01T00:00:00Z"),
            ("9999-12-30T22:00:00Z", "9999-12-30T22:00:00Z"),
        ] {
            assert_eq!(parse(s).map(|t| t.to_string()), Ok(want.to_string()), "{s}");
        }
    }

    #[test]
    fn refuses_everything_else() {
        for (s, says) in [
            ("2027-01-01", "a date alone"),
            ("2027-01-01 00:00:00Z", "joined by T"),
            ("2027-01-01T00:00:00", "needs an offset"),
            ("2027-01-01T00:00:00.5Z", "fractions"),
            ("2027-01-01T00:00:00.000000000Z", "fractions"),
            ("2027-01-01T00:00:00+25:00", "within ±23:59"),
            ("2027-01-01T00:00:00+2500", "offset must be"),
            ("2027-01-01T00:00:00+00:00:30", "offset must be"),
            ("2027-01-01T00:00:00+00:60", "within ±23:59"),
            ("2027-01-01T00:00:60Z", "no leap second"),
            ("2027-01-01T24:00:00Z", "23:59:59"),
            ("2027-02-29T00:00:00Z", "no such date"),
            ("2027-13-01T00:00:00Z", "no such date"),
            ("+02027-01-01T00:00:00Z", "YYYY-MM-DD"),
            ("202701-01-01T00:00:00Z", "YYYY-MM-DD"),
            ("27-01-01T00:00:00Z", "YYYY-MM-DD"),
            ("2027-1-01T00:00:00Z", "YYYY-MM-DD"),
            ("2027-01-01T0:00:00Z", "HH:MM:SS"),
            ("2027-01-01T00:00Z", "HH:MM:SS"),
            ("2027-01-01T00:00:00Z ", "offset must be"),
            (" 2027-01-01T00:00:00Z", "YYYY-MM-DD"),
            ("9999-12-31T23:59:59Z", LATEST),
            ("never", "YYYY-MM-DD"),
            ("", "YYYY-MM-DD"),
            ("２０２７-01-01T00:00:00Z", "YYYY-MM-DD"),
            ("2027-01-01T00:00:00+٠٠:00", "offset must be"),
        ] {
            let e = parse(s).expect_err(s);
            assert!(e.contains(says), "{s:?}: {e}");
            assert!(e.contains(EXAMPLE) || e.contains(LATEST), "{s:?}: {e}");
        }
    }
}
