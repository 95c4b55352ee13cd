//! Instants and durations as scenario files write them.

use chrono::{DateTime, Duration, Utc};

/// The longest duration a scenario may write: 100 years.
const MAX_SECONDS: i64 = 100 * 366 * 24 * 3600;

/// Parses a duration such as `15m`, `2h`, `1h30m`, `90s` or `3d` (spaces between parts
/// are allowed). With `signed`, a leading `+` or `-` is allowed too.
pub(crate) fn parse_duration(text: &str, signed: bool) -> Result<Duration, String> {
    let bad = || {
        format!(
            "`{text}` is not a duration: write it like `15m`, `2h`, `1h30m`, `90s` or `3d`{}",
            if signed { ", after `+` or `-`" } else { "" }
        )
    };
    let mut s = text.trim();
    let mut negative = false;
    if signed {
        if let Some(rest) = s.strip_prefix('+') {
            s = rest;
        } else if let Some(rest) = s.strip_prefix('-') {
            s = rest;
            negative = true;
        } else {
            return Err(bad());
        }
    }
    let mut total: i64 = 0;
    let mut digits = String::new();
    let mut parts = 0;
    // Units go from the largest to the smallest, each at most once: `1h30m`, never
    // `30m1h` or `1m1m`.
    let mut last_unit = i64::MAX;
    for c in s.chars() {
        if c.is_ascii_digit() {
            digits.push(c);
        } else if c == ' ' && digits.is_empty() {
            continue;
        } else {
            let unit: i64 = match c {
                'd' => 86_400,
                'h' => 3_600,
                'm' => 60,
                's' => 1,
                _ => return Err(bad()),
            };
            let n: i64 = digits.parse().map_err(|_| bad())?;
            if unit >= last_unit {
                return Err(format!(
                    "`{text}` is not a duration: its units must go from the largest to the smallest, each once, like `1h30m`"
                ));
            }
            last_unit = unit;
            digits.clear();
            parts += 1;
            total = n
                .checked_mul(unit)
                .and_then(|v| total.checked_add(v))
                .filter(|t| *t <= MAX_SECONDS)
                .ok_or_else(|| format!("`{text}` is too long: at most 100 years"))?;
        }
    }
    if parts == 0 || !digits.is_empty() {
        return Err(bad());
    }
    let seconds = if negative { -total } else { total };
    Ok(Duration::seconds(seconds))
}

/// The earliest instant a scenario may use: 1970-01-01T00:00:00Z.
pub(crate) fn earliest_instant() -> DateTime<Utc> {
    DateTime::<Utc>::UNIX_EPOCH
}

/// The latest instant a scenario may use: 9999-12-31T23:59:59Z, the last one RFC 3339
/// can write.
pub(crate) fn latest_instant() -> DateTime<Utc> {
    // A valid calendar date: the fallback is never taken.
    DateTime::from_timestamp(253_402_300_799, 0).unwrap_or(DateTime::<Utc>::MAX_UTC)
}

/// Where `t` falls outside the calendar a scenario may use: `"before 1970-01-01T00:00:00Z,
/// the earliest ..."` or `"after 9999-12-31T23:59:59Z, the latest ..."`; `None` within.
pub(crate) fn out_of_calendar(t: DateTime<Utc>) -> Option<String> {
    if t < earliest_instant() {
        Some("before 1970-01-01T00:00:00Z, the earliest instant a scenario may use".to_owned())
    } else if t > latest_instant() {
        Some("after 9999-12-31T23:59:59Z, the latest instant a scenario may use".to_owned())
    } else {
        None
    }
}

/// Parses an RFC 3339 instant with a time zone, such as `2026-01-05T09:00:00Z`, between
/// 1970-01-01T00:00:00Z and 9999-12-31T23:59:59Z (both refused the same way, by name:
/// nothing is clamped).
pub(crate) fn parse_instant(text: &str) -> Result<DateTime<Utc>, String> {
    if let Ok(t) = DateTime::parse_from_rfc3339(text.trim()) {
        let t = t.with_timezone(&Utc);
        return match out_of_calendar(t) {
            None => Ok(t),
            Some(why) => Err(format!("`{text}` is {why}")),
        };
    }
    // A local date-time (TOML allows it) has no zone: say so rather than "invalid".
    let local = chrono::NaiveDateTime::parse_from_str(text.trim(), "%Y-%m-%dT%H:%M:%S%.f")
        .or_else(|_| chrono::NaiveDateTime::parse_from_str(text.trim(), "%Y-%m-%d %H:%M:%S%.f"));
    if local.is_ok() {
        return Err(format!(
            "`{text}` has no time zone: write it like `2026-01-05T09:00:00Z`"
        ));
    }
    Err(format!(
        "`{text}` is not a date-time: write it like `2026-01-05T09:00:00Z`"
    ))
}

/// Formats a duration the way scenario files write it, such as `1h30m`.
pub(crate) fn format_duration(d: Duration) -> String {
    let mut secs = d.num_seconds();
    let mut out = String::new();
    if secs < 0 {
        out.push('-');
        secs = -secs;
    }
    for (unit, len) in [("d", 86_400), ("h", 3_600), ("m", 60), ("s", 1)] {
        if secs >= len {
            out.push_str(&format!("{}{unit}", secs / len));
            secs %= len;
        }
    }
    if out.is_empty() || out == "-" {
        out = "0s".to_owned();
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(parse_duration("15m", false), Ok(Duration::minutes(15)));
        assert_eq!(parse_duration("1h30m", false), Ok(Duration::minutes(90)));
        assert_eq!(parse_duration("1h 30m", false), Ok(Duration::minutes(90)));
        assert_eq!(parse_duration("2d", false), Ok(Duration::days(2)));
        assert_eq!(parse_duration("-15m", true), Ok(Duration::minutes(-15)));
        assert_eq!(parse_duration("+90s", true), Ok(Duration::seconds(90)));
        for bad in ["", "15", "m", "15x", "1.5h", "-15m", "h1"] {
            assert!(parse_duration(bad, false).is_err(), "{bad}");
        }
        assert!(parse_duration("15m", true).is_err());
        assert!(parse_duration("99999999999999999999d", false).is_err());
        assert!(
            parse_duration("999999d", false)
                .unwrap_err()
                .contains("too long")
        );
        // Units from the largest to the smallest, each once (issue 13).
        for bad in ["30m1h", "1m1m", "1s1d", "1h1h30m"] {
            let e = parse_duration(bad, false).unwrap_err();
            assert!(
                e.contains("from the largest to the smallest, each once"),
                "{bad}: {e}"
            );
        }
        assert_eq!(
            parse_duration("1d2h3m4s", false),
            Ok(Duration::seconds(93_784))
        );
    }

    #[test]
    fn instants() {
        assert!(parse_instant("2026-01-05T09:00:00Z").is_ok());
        assert!(parse_instant("2026-01-05T10:00:00+01:00").is_ok());
        assert!(
            parse_instant("2026-01-05T09:00:00")
                .unwrap_err()
                .contains("no time zone")
        );
        assert!(
            parse_instant("2026-13-05T09:00:00Z")
                .unwrap_err()
                .contains("is not a date-time")
        );
    }

    #[test]
    fn formatting() {
        assert_eq!(format_duration(Duration::minutes(90)), "1h30m");
        assert_eq!(format_duration(Duration::zero()), "0s");
        assert_eq!(format_duration(Duration::days(1)), "1d");
    }
}
