//! Small Markdown building blocks shared by the previews: escaping and code fences that
//! cannot be broken by the text they hold.

/// Escapes text so that Markdown shows it literally (inline, one line).
pub(crate) fn escape_inline(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for ch in text.chars() {
        match ch {
            '\\' | '`' | '*' | '_' | '[' | ']' | '<' | '>' | '|' | '#' | '!' | '~' => {
                escaped.push('\\');
                escaped.push(ch);
            }
            '\n' | '\r' | '\t' => escaped.push(' '),
            _ => escaped.push(ch),
        }
    }
    escaped
}

/// Wraps `body` in a backtick fence longer than any backtick run inside it.
pub(crate) fn fenced(language: &str, body: &str) -> String {
    let longest_run = body.split(|c| c != '`').map(str::len).max().unwrap_or(0);
    let fence = "`".repeat(longest_run.max(2) + 1);
    let mut out = String::with_capacity(body.len() + 2 * fence.len() + language.len() + 4);
    out.push_str(&fence);
    out.push_str(language);
    out.push('\n');
    out.push_str(body);
    if !body.is_empty() && !body.ends_with('\n') {
        out.push('\n');
    }
    out.push_str(&fence);
    out
}

/// Cuts a line to `max_chars` characters, marking the cut with `…`.
pub(crate) fn clip_line(line: &str, max_chars: usize) -> String {
    match line.char_indices().nth(max_chars) {
        Some((cut, _)) => format!("{}…", line.get(..cut).unwrap_or(line)),
        None => line.to_string(),
    }
}

/// A number for humans: integers without a fraction, others with up to four significant
/// decimals and no trailing zeros.
pub(crate) fn format_number(value: f64) -> String {
    if !value.is_finite() {
        return value.to_string();
    }
    if value.fract() == 0.0 && value.abs() < 1e15 {
        return format!("{value:.0}");
    }
    let magnitude = value.abs();
    let text = if !(1e-4..1e6).contains(&magnitude) {
        format!("{value:.3e}")
    } else {
        let decimals =
            if magnitude >= 1.0 { 4usize.saturating_sub(magnitude.log10().floor() as usize).max(1) } else { 4 + (-magnitude.log10()).floor() as usize };
        let fixed = format!("{value:.decimals$}");
        let trimmed = fixed.trim_end_matches('0').trim_end_matches('.');
        trimmed.to_string()
    };
    if text == "-0" { "0".to_string() } else { text }
}

/// "1 qubit", "3 qubits".
pub(crate) fn plural(count: usize, noun: &str) -> String {
    if count == 1 { format!("1 {noun}") } else { format!("{count} {noun}s") }
}
