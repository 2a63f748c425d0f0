//! Durations as people write them in `llmos.toml`, on the command line and in
//! commands: `500ms`, `90s`, `15m`, `24h`, `7d`, `2w`, `1h30m`. One grammar for every
//! crate (the workspace's schedules and the LLM client's timeouts read the same text).
//! `off`/`never` are for callers that allow them.

use std::time::Duration;

/// Why a duration string was refused.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum DurationError {
    #[error("the duration is empty: write a number and a unit, e.g. \"90s\" or \"2m\"")]
    Empty,
    #[error("{text:?} has no unit: write e.g. \"{text}s\" (units: ms, s, m, h, d, w)")]
    MissingUnit { text: String },
    #[error("{text:?} has an unknown unit {unit:?}: use ms, s, m, h, d or w")]
    UnknownUnit { text: String, unit: String },
    #[error("{text:?} is not a duration: expected a number and a unit, e.g. \"90s\" or \"1h30m\"")]
    Invalid { text: String },
    #[error("{text:?} is too long a duration")]
    Overflow { text: String },
}

/// Parses `"500ms"`, `"90s"`, `"2m"`, `"1h30m"`, `"1h 30m"`, `"7d"`, `"2w"`: one or more
/// whole numbers each followed by a unit (ms, s, m, h, d, w); whitespace around and
/// between the parts is ignored.
pub fn parse_duration(text: &str) -> Result<Duration, DurationError> {
    let trimmed = text.trim();
    if trimmed.is_empty() {
        return Err(DurationError::Empty);
    }
    let invalid = || DurationError::Invalid { text: trimmed.to_string() };
    let overflow = || DurationError::Overflow { text: trimmed.to_string() };
    let mut total = Duration::ZERO;
    let mut rest = trimmed;
    while !rest.is_empty() {
        rest = rest.trim_start();
        let digits_end = rest.find(|c: char| !c.is_ascii_digit()).unwrap_or(rest.len());
        if digits_end == 0 {
            return Err(invalid());
        }
        let (digits, after_digits) = rest.split_at_checked(digits_end).ok_or_else(invalid)?;
        let number: u64 = digits.parse().map_err(|_| overflow())?;
        let unit_end = after_digits.find(|c: char| !c.is_ascii_alphabetic()).unwrap_or(after_digits.len());
        let (unit, after_unit) = after_digits.split_at_checked(unit_end).ok_or_else(invalid)?;
        rest = after_unit;
        let millis_per_unit: u64 = match unit {
            "" if rest.trim().is_empty() => {
                return Err(DurationError::MissingUnit { text: trimmed.to_string() });
            }
            "" => return Err(invalid()),
            "ms" => 1,
            "s" => 1_000,
            "m" => 60_000,
            "h" => 3_600_000,
            "d" => 86_400_000,
            "w" => 604_800_000,
            other => {
                return Err(DurationError::UnknownUnit { text: trimmed.to_string(), unit: other.to_string() });
            }
        };
        let millis = number.checked_mul(millis_per_unit).ok_or_else(overflow)?;
        total = total.checked_add(Duration::from_millis(millis)).ok_or_else(overflow)?;
    }
    Ok(total)
}

/// Writes a duration the way [`parse_duration`] reads it, largest units first
/// (`"2m"`, `"1h30m"`, `"1500ms"` → `"1s500ms"`); used in messages.
pub fn format_duration(duration: Duration) -> String {
    let mut millis = duration.as_millis();
    if millis == 0 {
        return "0s".to_string();
    }
    let mut text = String::new();
    for (unit, size) in [("d", 86_400_000u128), ("h", 3_600_000), ("m", 60_000), ("s", 1_000), ("ms", 1)] {
        if millis >= size {
            text.push_str(&format!("{}{unit}", millis / size));
            millis %= size;
        }
    }
    text
}

/// Renders a duration compactly for countdowns, to the two largest units and rounded
/// down: `3h 12m`, `2d 4h`, `45s`.
pub fn format_countdown(d: Duration) -> String {
    let s = d.as_secs();
    let (days, hours, mins, secs) = (s / 86_400, s % 86_400 / 3600, s % 3600 / 60, s % 60);
    if days > 0 {
        format!("{days}d {hours}h")
    } else if hours > 0 {
        format!("{hours}h {mins}m")
    } else if mins > 0 {
        format!("{mins}m")
    } else {
        format!("{secs}s")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_every_unit_and_spacing() {
        assert_eq!(parse_duration("60s"), Ok(Duration::from_secs(60)));
        assert_eq!(parse_duration(" 2m "), Ok(Duration::from_secs(120)));
        assert_eq!(parse_duration("250ms"), Ok(Duration::from_millis(250)));
        assert_eq!(parse_duration("1h30m"), Ok(Duration::from_secs(5400)));
        assert_eq!(parse_duration("1h 30m"), Ok(Duration::from_secs(5400)));
        assert_eq!(parse_duration("24h"), Ok(Duration::from_secs(86_400)));
        assert_eq!(parse_duration("7d"), Ok(Duration::from_secs(604_800)));
        assert_eq!(parse_duration("2w"), Ok(Duration::from_secs(2 * 604_800)));
        assert_eq!(parse_duration("0s"), Ok(Duration::ZERO));
    }

    #[test]
    fn refuses_bad_durations_with_a_reason() {
        assert_eq!(parse_duration(""), Err(DurationError::Empty));
        assert_eq!(parse_duration("60"), Err(DurationError::MissingUnit { text: "60".into() }));
        assert_eq!(parse_duration("5x"), Err(DurationError::UnknownUnit { text: "5x".into(), unit: "x".into() }));
        assert!(matches!(parse_duration("s"), Err(DurationError::Invalid { .. })));
        assert!(matches!(parse_duration("-5s"), Err(DurationError::Invalid { .. })));
        assert!(matches!(parse_duration("5é"), Err(DurationError::Invalid { .. } | DurationError::UnknownUnit { .. })));
        assert!(matches!(parse_duration("99999999999999999999d"), Err(DurationError::Overflow { .. })));
        assert!(parse_duration("5x").unwrap_err().to_string().contains("ms, s, m, h, d or w"));
        assert_eq!(format_countdown(Duration::from_secs(3 * 3600 + 12 * 60)), "3h 12m");
    }

    #[test]
    fn format_round_trips() {
        for text in ["2m", "1h30m", "1s500ms", "7d", "0s", "45s"] {
            assert_eq!(format_duration(parse_duration(text).unwrap()), text);
        }
    }

    proptest::proptest! {
        #[test]
        fn any_millisecond_duration_round_trips(millis in 0u64..=10_000_000_000_000) {
            let duration = Duration::from_millis(millis);
            proptest::prop_assert_eq!(parse_duration(&format_duration(duration)), Ok(duration));
        }

        #[test]
        fn any_text_is_answered(text in "\\PC{0,16}") {
            let _ = parse_duration(&text);
        }
    }
}
