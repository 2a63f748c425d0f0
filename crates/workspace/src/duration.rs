//! Durations as written in `llmos.toml` and on the command line: `30s`, `15m`, `24h`, `7d`.

use std::time::Duration;

/// Parses `N` followed by `s`, `m`, `h`, `d` or `w`; several parts may follow each other
/// (`1h30m`). `off`/`never` are handled by callers that allow them.
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let t = text.trim();
    if t.is_empty() {
        return Err("empty duration".into());
    }
    let mut total: u64 = 0;
    let mut digits = String::new();
    for c in t.chars() {
        if c.is_ascii_digit() {
            digits.push(c);
            continue;
        }
        let unit = match c {
            's' => 1,
            'm' => 60,
            'h' => 3600,
            'd' => 86_400,
            'w' => 604_800,
            c if c.is_whitespace() => continue,
            _ => return Err(format!("`{text}` is not a duration: unknown unit `{c}` (use s, m, h, d or w)")),
        };
        let n: u64 = digits.parse().map_err(|_| format!("`{text}` is not a duration: a number must come before `{c}`"))?;
        total = n.checked_mul(unit).and_then(|v| total.checked_add(v)).ok_or_else(|| format!("`{text}` is too long"))?;
        digits.clear();
    }
    if !digits.is_empty() {
        return Err(format!("`{text}` has no unit: write e.g. `{digits}s`, `{digits}h` or `{digits}d`"));
    }
    Ok(Duration::from_secs(total))
}

/// Renders a duration compactly for countdowns: `3h 12m`, `2d 4h`, `45s`.
pub fn format_duration(d: Duration) -> String {
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
    fn parses_units_and_rejects_garbage() {
        assert_eq!(parse_duration("24h"), Ok(Duration::from_secs(86_400)));
        assert_eq!(parse_duration("7d"), Ok(Duration::from_secs(604_800)));
        assert_eq!(parse_duration("1h30m"), Ok(Duration::from_secs(5400)));
        assert!(parse_duration("24").unwrap_err().contains("no unit"));
        assert!(parse_duration("3x").is_err());
        assert!(parse_duration("").is_err());
        assert!(parse_duration("99999999999999999999d").is_err());
        assert_eq!(format_duration(Duration::from_secs(3 * 3600 + 12 * 60)), "3h 12m");
    }
}
