//! Escaping marker-like lines in a streamed reply. A line may arrive in pieces, so a
//! line start that could still become `<!-- turn` is held back until it is decided.

const MARKER: &str = "<!-- turn";

#[derive(Default)]
pub struct MarkerEscaper {
    /// Text of the current line not yet emitted (only while it may become a marker).
    held: String,
    /// Whether the next character starts a line.
    at_line_start: bool,
    started: bool,
}

impl MarkerEscaper {
    pub fn new() -> Self {
        Self { held: String::new(), at_line_start: true, started: false }
    }

    /// Feeds a delta; returns the text that is safe to write now.
    pub fn push(&mut self, delta: &str) -> String {
        self.started = true;
        let mut out = String::with_capacity(delta.len() + 1);
        for ch in delta.chars() {
            if self.at_line_start || !self.held.is_empty() {
                self.held.push(ch);
                self.at_line_start = false;
                let trimmed = self.held.trim_start_matches([' ', '\t']);
                if trimmed.starts_with(MARKER) {
                    out.push('\\');
                    out.push_str(&self.held);
                    self.held.clear();
                } else if !MARKER.starts_with(trimmed) || ch == '\n' {
                    out.push_str(&self.held);
                    self.held.clear();
                }
                if ch == '\n' {
                    self.at_line_start = true;
                }
                continue;
            }
            out.push(ch);
            if ch == '\n' {
                self.at_line_start = true;
            }
        }
        out
    }

    /// The held-back rest at the end of the reply.
    pub fn finish(&mut self) -> String {
        std::mem::take(&mut self.held)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(pieces: &[&str]) -> String {
        let mut e = MarkerEscaper::new();
        let mut out: String = pieces.iter().map(|p| e.push(p)).collect();
        out.push_str(&e.finish());
        out
    }

    #[test]
    fn escapes_markers_split_across_deltas() {
        assert_eq!(run(&["ok\n<!-- tu", "rn: user -->\nx"]), "ok\n\\<!-- turn: user -->\nx");
        assert_eq!(run(&["<!", "-- turn: system -->"]), "\\<!-- turn: system -->");
        assert_eq!(run(&["a <!-- turn: user --> inline"]), "a <!-- turn: user --> inline");
        assert_eq!(run(&["<!-- comment -->\n"]), "<!-- comment -->\n");
        assert_eq!(run(&["<"]), "<");
        assert_eq!(run(&["  <!-- turn: user -->"]), "\\  <!-- turn: user -->");
    }

    #[test]
    fn plain_text_passes_at_once() {
        let mut e = MarkerEscaper::new();
        assert_eq!(e.push("Hello"), "Hello");
        assert_eq!(e.push(" world\nNext"), " world\nNext");
    }
}
