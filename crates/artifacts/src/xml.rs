//! Text inside SVG (and any XML) that llmos writes: the one escape, shared by the CSV
//! chart previews and the evolution report's chart.

/// Escapes `text` for XML character data or an attribute value. Control characters that
/// XML 1.0 forbids even escaped become spaces.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c if (c as u32) < 0x20 && !matches!(c, '\t' | '\n' | '\r') => out.push(' '),
            c => out.push(c),
        }
    }
    out
}
