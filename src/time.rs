//! Times as people type them: one strict RFC 3339 parser for the command
//! line (`--expires-at`), the console's expiry field and fixtures.
//!
//! The accepted form is `YYYY-MM-DDTHH:MM:SS` followed by `Z` or an offset
//! `±HH:MM`, to the second: four-digit years, seconds 00 to 59 (no leap
//! second), offsets up to ±23:59. `t` and `z` may be lower case, as RFC 3339
//! allows. A bare date, a space for the `T`, fractions of a second and
//! anything else are refused, each with a message saying what to give.

use std::fmt;

use jiff::Timestamp;
use jiff::civil::{Date, DateTime};
use jiff::tz::Offset;

/// The example every message shows.
pub const EXAMPLE: &str = "2027-01-01T00:00:00Z";

/// The latest instant of activity and history iamkeys can hold (its time
/// library keeps every instant convertible to any offset). An expiry
/// ([`Moment`]) goes on to RFC 3339's last second, [`LAST`].
pub const LATEST: &str = "9999-12-30T22:00:00Z";

/// RFC 3339's last second, the latest expiry.
pub const LAST: &str = "9999-12-31T23:59:59Z";

/// A moment in UTC to the second over RFC 3339's whole range, up to
/// 9999-12-31T23:59:59Z: what an expiry is. It reads and writes as the same
/// text a `Timestamp` does (`2027-01-01T00:00:00Z`), so stores written when
/// expiries were timestamps read unchanged.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Moment(DateTime);

impl Moment {
    pub fn from_timestamp(t: Timestamp) -> Moment {
        Moment(Offset::UTC.to_datetime(t))
    }

    /// Whether `now` has reached this moment.
    pub fn reached(self, now: Timestamp) -> bool {
        Moment::from_timestamp(now) >= self
    }

    /// The instant, where the time library has one (not at the very end
    /// of RFC 3339's range).
    pub fn instant(self) -> Option<Timestamp> {
        Offset::UTC.to_timestamp(self.0).ok()
    }

    /// Formatted as `strftime` would a UTC time.
    pub fn strftime(self, format: &str) -> String {
        self.0.strftime(format).to_string()
    }
}

impl fmt::Display for Moment {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}Z", self.0.strftime("%Y-%m-%dT%H:%M:%S"))
    }
}

impl std::str::FromStr for Moment {
    type Err = String;
    /// The strict form ([`parse_moment`]).
    fn from_str(s: &str) -> Result<Moment, String> {
        parse_moment(s)
    }
}

impl serde::Serialize for Moment {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> serde::Deserialize<'de> for Moment {
    /// What a store or a document holds: the strict form, or any time a
    /// `Timestamp` reads (older stores may hold fractions of a second).
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Moment, D::Error> {
        let s = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        parse_moment(&s)
            .or_else(|e| {
                s.parse::<Timestamp>()
                    .map(Moment::from_timestamp)
                    .map_err(|_| e)
            })
            .map_err(serde::de::Error::custom)
    }
}

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

/// Parses a strict RFC 3339 time (see the module documentation) as an
/// instant: up to [`LATEST`].
pub fn parse(s: &str) -> Result<Timestamp, String> {
    let m = parse_moment(s)?;
    Offset::UTC
        .to_timestamp(m.0)
        .map_err(|_| format!("{s:?} is out of range: times run up to {LATEST}"))
}

/// Parses a strict RFC 3339 time (see the module documentation) as a
/// [`Moment`]: up to [`LAST`], as an expiry may be.
pub fn parse_moment(s: &str) -> Result<Moment, String> {
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
    // The same wall-clock time in UTC: shift by the offset.
    at.checked_sub(jiff::SignedDuration::from_secs(i64::from(offset_secs)))
        .ok()
        .filter(|utc| utc.year() >= 0)
        .map(Moment)
        .ok_or_else(|| {
            format!("{s:?} is out of range: times run from 0000-01-01T00:00:00Z to {LAST}")
        })
}

/// IBM's spellings of a time rewritten as RFC 3339, or `None` when `text`
/// is not one of them (a parser then has the word).
pub fn from_ibm_spelling(text: &str) -> Option<String> {
    let b = text.as_bytes();
    // The offset: `Z`, `±HH:MM`, or IBM's `±HHMM`.
    let (clock, offset) = if let Some(c) = text.strip_suffix(['Z', 'z']) {
        (c, "Z".to_string())
    } else if b.len() > 5
        && matches!(b[b.len() - 5], b'+' | b'-')
        && b[b.len() - 4..].iter().all(u8::is_ascii_digit)
    {
        let (c, o) = text.split_at(text.len() - 5);
        (c, format!("{}:{}", &o[..3], &o[3..]))
    } else if b.len() > 6 && matches!(b[b.len() - 6], b'+' | b'-') && b[b.len() - 3] == b':' {
        let (c, o) = text.split_at(text.len() - 6);
        (c, o.to_string())
    } else {
        return None;
    };
    // The clock: `…THH:MM:SS`, or IBM's `…THH:MM` (seconds zero).
    let clock = if clock.len() == 16 {
        format!("{clock}:00")
    } else {
        clock.to_string()
    };
    let fixed = format!("{clock}{offset}");
    (fixed != text).then_some(fixed)
}

/// Serde support for fixture fields that hold an optional time: the same
/// strict parser, so a fixture error names the value's line and column.
pub mod optional {
    use std::fmt;

    use jiff::Timestamp;
    use serde::de::{self, Deserializer, Visitor};

    use super::Moment;

    /// A time read by a strict parser.
    struct Strict<T>(fn(&str) -> Result<T, String>);

    impl<'de, T> Visitor<'de> for Strict<T> {
        type Value = T;
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            write!(f, "an RFC 3339 time like {}", super::EXAMPLE)
        }
        fn visit_str<E: de::Error>(self, v: &str) -> Result<T, E> {
            (self.0)(v).map_err(E::custom)
        }
    }

    /// Nothing, or a time read by a strict parser.
    struct OptionOf<T>(fn(&str) -> Result<T, String>);

    impl<'de, T> Visitor<'de> for OptionOf<T> {
        type Value = Option<T>;
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
            d.deserialize_str(Strict(self.0)).map(Some)
        }
    }

    /// A required instant, as [`deserialize`] reads an optional one.
    pub fn deserialize_required<'de, D: Deserializer<'de>>(d: D) -> Result<Timestamp, D::Error> {
        d.deserialize_str(Strict(super::parse))
    }

    /// An instant (activity, creation): up to [`super::LATEST`].
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Timestamp>, D::Error> {
        d.deserialize_option(OptionOf(super::parse))
    }

    /// An expiry: up to [`super::LAST`].
    pub fn deserialize_moment<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Moment>, D::Error> {
        d.deserialize_option(OptionOf(super::parse_moment))
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

    #[test]
    fn an_expiry_runs_to_the_last_second_of_rfc_3339() {
        let last = parse_moment(LAST).unwrap();
        assert_eq!(last.to_string(), LAST);
        assert_eq!(
            parse_moment("9999-12-31T23:59:59-00:00").unwrap(),
            last,
            "the same moment"
        );
        assert_eq!(
            parse_moment("0000-01-01T00:00:00Z").unwrap().to_string(),
            "0000-01-01T00:00:00Z"
        );
        for beyond in ["9999-12-31T23:59:59-00:01", "0000-01-01T00:00:00+00:01"] {
            let e = parse_moment(beyond).expect_err(beyond);
            assert!(e.contains("out of range") && e.contains(LAST), "{e}");
        }
        // Within a timestamp's range, a moment is that timestamp.
        for s in ["2027-01-01T02:30:00+02:30", "9999-12-30T22:00:00Z"] {
            let t = parse(s).unwrap();
            assert_eq!(parse_moment(s).unwrap(), Moment::from_timestamp(t), "{s}");
            assert_eq!(parse_moment(s).unwrap().to_string(), t.to_string(), "{s}");
        }
        let t = parse("2027-01-01T00:00:00Z").unwrap();
        let m = Moment::from_timestamp(t);
        assert!(m.reached(t));
        assert!(!m.reached(t - jiff::SignedDuration::from_secs(1)));
        assert!(
            !last.reached(parse(LATEST).unwrap()),
            "nothing reaches the last second"
        );
    }

    #[test]
    fn a_moment_reads_and_writes_as_a_timestamp_does() {
        let t = parse("2027-06-01T10:30:00+05:30").unwrap();
        let m = Moment::from_timestamp(t);
        assert_eq!(
            serde_json::to_string(&m).unwrap(),
            serde_json::to_string(&t).unwrap()
        );
        assert_eq!(
            postcard::to_stdvec(&m).unwrap(),
            postcard::to_stdvec(&t).unwrap()
        );
        let back: Moment = postcard::from_bytes(&postcard::to_stdvec(&t).unwrap()).unwrap();
        assert_eq!(back, m);
        // A fraction an older store may hold still reads.
        let frac: Moment = serde_json::from_str("\"2027-01-01T00:00:00.5Z\"").unwrap();
        assert_eq!(frac.to_string(), "2027-01-01T00:00:00Z");
        let last: Moment = serde_json::from_str(&format!("\"{LAST}\"")).unwrap();
        assert_eq!(last.to_string(), LAST);
    }
}
