//! Rules shared by skills and sessions: encoding and frontmatter syntax.

use crate::diagnostic::{Diagnostic, Edit, Fix};
use crate::frontmatter::Frontmatter;
use crate::rules;
use crate::yaml::YamlNode;

/// Checks raw bytes before they are treated as text. Returns the text when it is usable.
pub fn lint_encoding(bytes: &[u8]) -> Result<&str, Diagnostic> {
    let probe = bytes.get(..8192).unwrap_or(bytes);
    if memchr::memchr(0, probe).is_some() {
        return Err(Diagnostic::new(&rules::FILE_BINARY, 0..0, "this file holds binary data (NUL bytes), not Markdown"));
    }
    std::str::from_utf8(bytes).map_err(|e| {
        let at = e.valid_up_to();
        Diagnostic::new(&rules::FILE_NOT_UTF8, 0..0, format!("this file is not valid UTF-8 (first bad byte at offset {at})"))
    })
}

/// [`lint_encoding`] for text already known to be UTF-8 (an editor's buffer): only the
/// binary probe, without validating a megabyte again on every keystroke.
pub fn lint_text_encoding(text: &str) -> Result<&str, Diagnostic> {
    let probe = text.as_bytes().get(..8192).unwrap_or(text.as_bytes());
    if memchr::memchr(0, probe).is_some() {
        return Err(Diagnostic::new(&rules::FILE_BINARY, 0..0, "this file holds binary data (NUL bytes), not Markdown"));
    }
    Ok(text)
}

/// Diagnostics about the block itself: unclosed, YAML syntax, not a mapping, duplicate keys.
pub(crate) fn lint_frontmatter(text: &str, fm: &Frontmatter, out: &mut Vec<Diagnostic>) {
    let Some(block) = &fm.block else { return };
    if block.close.is_none() {
        out.push(Diagnostic::new(
            &rules::FRONTMATTER_UNCLOSED,
            block.open.clone(),
            "the frontmatter opened here is never closed: add a line `---` after the last key",
        ));
        return;
    }
    if let Some(err) = &fm.error {
        let end = crate::line_bounds::line_end(text, err.offset);
        let end = if end == err.offset { (err.offset + 1).min(text.len()) } else { end };
        let mut d = Diagnostic::new(&rules::FRONTMATTER_SYNTAX, err.offset..end, format!("YAML syntax error: {}", err.message));
        if let Some(fix) = quote_value_fix(text, err.offset) {
            d = d.with_fix(fix);
        }
        out.push(d);
        return;
    }
    if let Some(root) = &fm.root
        && root.as_map().is_none()
    {
        out.push(Diagnostic::new(
            &rules::FRONTMATTER_NOT_MAPPING,
            root.span.clone(),
            format!("the frontmatter is {}; it must be a mapping of `key: value` lines", root.type_name()),
        ));
        return;
    }
    let entries = fm.entries();
    for (i, (key, _)) in entries.iter().enumerate() {
        let Some(name) = key.as_str() else { continue };
        if let Some((first, _)) = entries.iter().take(i).find(|(k, _)| k.as_str() == Some(name)) {
            let (line, _) = crate::LineIndex::new(text).position(text, first.span.start, crate::line_index::ColumnUnit::Utf8);
            out.push(Diagnostic::new(
                &rules::FRONTMATTER_DUPLICATE_KEY,
                key.span.clone(),
                format!("`{name}` is already set on line {}; YAML keeps only one of them", line + 1),
            ));
        }
    }
}

/// When a YAML error sits on a `key: value: more` line, offer to quote the value.
fn quote_value_fix(text: &str, offset: usize) -> Option<Fix> {
    let line_start = crate::line_bounds::line_start(text, offset);
    let line_end = crate::line_bounds::line_end(text, offset);
    let line = text.get(line_start..line_end)?.trim_end_matches('\r');
    let (key, value) = line.split_once(": ")?;
    let key_ok = !key.is_empty() && key.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    let value = value.trim();
    if !key_ok || !value.contains(": ") || value.starts_with(['"', '\'']) {
        return None;
    }
    let value_start = line_start + line.find(": ")? + 2;
    let rest = text.get(value_start..)?;
    let value_start = value_start + (rest.len() - rest.trim_start().len());
    let quoted = yaml_double_quote(value);
    Some(Fix::edit(format!("Quote the value of `{key}`"), vec![Edit::replace(value_start..value_start + value.len(), quoted)]).preferred())
}

/// A YAML double-quoted scalar for any string.
pub fn yaml_double_quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            c if c.is_control() => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// Whether a scalar can be written plain (unquoted) without changing its meaning.
pub fn yaml_plain_safe(s: &str) -> bool {
    !s.is_empty()
        && !s.contains(": ")
        && !s.contains(" #")
        && !s.starts_with(|c: char| "-?:,[]{}#&*!|>'\"%@`".contains(c) || c.is_whitespace())
        && !s.ends_with(|c: char| c == ':' || c.is_whitespace())
        && !s.contains('\n')
        && !matches!(s, "true" | "false" | "null" | "~" | "yes" | "no")
        && s.parse::<f64>().is_err()
}

/// A scalar as YAML: plain when safe, double-quoted otherwise.
pub fn yaml_scalar(s: &str) -> String {
    if yaml_plain_safe(s) { s.to_string() } else { yaml_double_quote(s) }
}

/// The full line range (including the line break) covering a key and its value.
pub(crate) fn entry_lines(text: &str, key: &YamlNode, value: &YamlNode) -> std::ops::Range<usize> {
    let start = crate::line_bounds::line_start(text, key.span.start);
    let end_anchor = value.span.end.max(key.span.end);
    let end =
        if end_anchor > 0 && text.as_bytes().get(end_anchor - 1) == Some(&b'\n') { end_anchor } else { crate::line_bounds::next_line_start(text, end_anchor) };
    start..end
}
