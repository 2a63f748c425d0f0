//! The one rule for escaping turn markers in text that must not start a turn (a model's
//! reply, an imported or migrated message): a line that begins, after spaces or tabs,
//! with `<!-- turn` gets a visible backslash in front. It works on a stream: a line may
//! arrive in pieces, so a line start that could still become `<!-- turn` is held back
//! until it is decided. [`crate::session::escape_markers`] is the same rule on whole text.

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
    use proptest::prelude::*;

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

    proptest! {
        /// However the text is cut into deltas, the stream gives what the whole-text
        /// escape gives, and the result never parses as more turns than it had.
        #[test]
        fn pieces_agree_with_whole_text(lines in proptest::collection::vec(prop_oneof![
            Just("<!-- turn: user -->".to_string()),
            Just("  <!-- turn: assistant -->".to_string()),
            Just("<!-- comment -->".to_string()),
            Just("<!-- tur".to_string()),
            "[a-z<!\\ -]{0,12}",
        ], 0..8), cuts in proptest::collection::vec(0usize..200, 0..6)) {
            let text = lines.join("\n");
            let whole = crate::session::escape_markers(&text);
            let mut cuts: Vec<usize> = cuts.into_iter().map(|c| c % (text.len() + 1)).filter(|c| text.is_char_boundary(*c)).collect();
            cuts.sort_unstable();
            let mut e = MarkerEscaper::new();
            let mut out = String::new();
            let mut last = 0;
            for c in cuts.into_iter().chain([text.len()]) {
                out.push_str(&e.push(&text[last..c]));
                last = c;
            }
            out.push_str(&e.finish());
            prop_assert_eq!(&out, &whole);
            // Independent oracle: no line of the result starts with the marker.
            prop_assert!(out.split('\n').all(|l| !l.starts_with("<!-- turn")));
        }
    }
}
