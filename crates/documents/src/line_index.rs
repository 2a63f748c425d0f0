//! Byte offset ↔ line/column conversion for a text snapshot, with LSP's line model:
//! lines end at `\n`, `\r\n` or `\r`, nothing else.
//!
//! Columns are offered in the three units clients ask for: UTF-8 bytes, UTF-16 code
//! units (LSP's default) and Unicode scalar values (what a person counts in `llmos check`).

/// Line starts of one text, built once per snapshot.
#[derive(Debug, Clone)]
pub struct LineIndex {
    line_starts: Vec<usize>,
    len: usize,
}

/// The unit a column is counted in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ColumnUnit {
    Utf8,
    Utf16,
    Chars,
}

impl LineIndex {
    pub fn new(text: &str) -> Self {
        let mut line_starts = Vec::with_capacity(text.len() / 40 + 1);
        line_starts.push(0);
        // LSP's line ends only: `\n`, `\r\n` and a lone `\r` (not U+2028/U+2029, NEL, FF
        // or VT). The rope in the server uses the same model (ropey's `cr_lines`).
        let bytes = text.as_bytes();
        line_starts
            .extend(memchr::memchr2_iter(b'\n', b'\r', bytes).filter(|&i| !(bytes.get(i) == Some(&b'\r') && bytes.get(i + 1) == Some(&b'\n'))).map(|i| i + 1));
        Self { line_starts, len: text.len() }
    }

    /// The index of the text made by replacing `start..old_end` of this index's text
    /// with what is now `start..new_end` of `new_text`, without scanning the whole new
    /// text: only the edited bytes are searched for line ends, the rest is copied and
    /// shifted. A keystroke in a 1 MB transcript costs a copy of the line starts.
    pub fn edited(&self, new_text: &str, start: usize, old_end: usize, new_end: usize) -> Self {
        let bytes = new_text.as_bytes();
        // Whether `p` starts a line depends on bytes `p - 1` and `p` only (a `\r` before a
        // `\n` is no line end of its own), so starts below `start` are unchanged and those
        // above `new_end + 1` are the old ones shifted.
        let is_start = |p: usize| match p.checked_sub(1).and_then(|q| bytes.get(q)) {
            Some(b'\n') => true,
            Some(b'\r') => bytes.get(p) != Some(&b'\n'),
            _ => false,
        };
        let keep = self.line_starts.partition_point(|&s| s < start.max(1));
        let mut line_starts = Vec::with_capacity(self.line_starts.len() + 8);
        line_starts.extend_from_slice(self.line_starts.get(..keep).unwrap_or_default());
        let scan_end = (new_end + 1).min(bytes.len());
        let from = start.max(1);
        if from <= scan_end {
            line_starts.extend((from..=scan_end).filter(|&p| is_start(p)));
        }
        let after = self.line_starts.partition_point(|&s| s <= old_end + 1);
        line_starts.extend(self.line_starts.get(after..).unwrap_or_default().iter().map(|&s| s - old_end + new_end));
        Self { line_starts, len: new_text.len() }
    }

    pub fn line_count(&self) -> usize {
        self.line_starts.len()
    }

    /// Byte offset where `line` (0-based) starts; `None` past the last line.
    pub fn line_start(&self, line: usize) -> Option<usize> {
        self.line_starts.get(line).copied()
    }

    /// Byte range of `line` without its line terminator.
    pub fn line_range(&self, text: &str, line: usize) -> Option<std::ops::Range<usize>> {
        let start = self.line_start(line)?;
        let Some(&next) = self.line_starts.get(line + 1) else {
            return Some(start..self.len);
        };
        // `next - 1` is the `\n` or the lone `\r`; a `\r` before a `\n` belongs to it too.
        let mut end = next - 1;
        if end > start && text.as_bytes().get(end) == Some(&b'\n') && text.as_bytes().get(end - 1) == Some(&b'\r') {
            end -= 1;
        }
        Some(start..end)
    }

    /// 0-based line and column of a byte offset (clamped to the text and to a char boundary).
    pub fn position(&self, text: &str, offset: usize, unit: ColumnUnit) -> (usize, usize) {
        let offset = floor_char_boundary(text, offset.min(self.len));
        // `line_starts[0]` is 0, so the partition point is at least 1.
        let line = self.line_starts.partition_point(|&s| s <= offset).saturating_sub(1);
        let start = self.line_starts.get(line).copied().unwrap_or(0);
        // Both ends are char boundaries when `text` is the text this index was built from.
        let slice = text.get(start..offset).unwrap_or_default();
        let col = match unit {
            ColumnUnit::Utf8 => slice.len(),
            ColumnUnit::Utf16 => slice.chars().map(char::len_utf16).sum(),
            ColumnUnit::Chars => slice.chars().count(),
        };
        (line, col)
    }

    /// Byte offset of a 0-based line/column. Out-of-range positions are clamped: a line
    /// past the end maps to the end of the text, a column past the end of its line to the
    /// end of that line, a column inside a multi-unit character to that character's start.
    pub fn offset(&self, text: &str, line: usize, col: usize, unit: ColumnUnit) -> usize {
        let Some(range) = self.line_range(text, line) else {
            return self.len;
        };
        let line_text = text.get(range.clone()).unwrap_or_default();
        let mut units = 0;
        for (i, ch) in line_text.char_indices() {
            if units >= col {
                return range.start + i;
            }
            units += match unit {
                ColumnUnit::Utf8 => ch.len_utf8(),
                ColumnUnit::Utf16 => ch.len_utf16(),
                ColumnUnit::Chars => 1,
            };
            if units > col {
                return range.start + i;
            }
        }
        range.end
    }
}

/// The largest char boundary ≤ `offset`.
pub fn floor_char_boundary(text: &str, mut offset: usize) -> usize {
    if offset >= text.len() {
        return text.len();
    }
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    offset
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utf16_columns_count_surrogate_pairs() {
        let text = "a😀b\nсвет";
        let idx = LineIndex::new(text);
        let b = text.find('b').unwrap();
        assert_eq!(idx.position(text, b, ColumnUnit::Utf16), (0, 3));
        assert_eq!(idx.position(text, b, ColumnUnit::Chars), (0, 2));
        assert_eq!(idx.offset(text, 0, 3, ColumnUnit::Utf16), b);
        // a column inside the surrogate pair lands on the emoji's start
        assert_eq!(idx.offset(text, 0, 2, ColumnUnit::Utf16), 1);
        let e = text.find('е').unwrap();
        assert_eq!(idx.position(text, e, ColumnUnit::Utf16), (1, 2));
    }

    #[test]
    fn out_of_range_positions_clamp() {
        let text = "ab\r\ncd";
        let idx = LineIndex::new(text);
        assert_eq!(idx.offset(text, 0, 99, ColumnUnit::Utf16), 2);
        assert_eq!(idx.offset(text, 7, 0, ColumnUnit::Utf16), text.len());
        assert_eq!(idx.position(text, 999, ColumnUnit::Utf8), (1, 2));
    }

    /// An oracle independent of `LineIndex`: split on LSP line ends by hand.
    fn oracle_lines(text: &str) -> Vec<(usize, usize)> {
        let mut out = Vec::new();
        let mut start = 0;
        let chars: Vec<(usize, char)> = text.char_indices().collect();
        let mut k = 0;
        while k < chars.len() {
            let (i, c) = chars[k];
            if c == '\n' || c == '\r' {
                out.push((start, i));
                let crlf = c == '\r' && chars.get(k + 1).map(|p| p.1) == Some('\n');
                k += if crlf { 2 } else { 1 };
                start = i + if crlf { 2 } else { 1 };
                continue;
            }
            k += 1;
        }
        out.push((start, text.len()));
        out
    }

    #[test]
    fn only_lsp_line_ends_break_lines() {
        let text = "A\nB\u{2028}C\u{2029}D\u{85}E\u{c}F\u{b}G\rH\r\nI";
        let idx = LineIndex::new(text);
        assert_eq!(idx.line_count(), 4);
        let lines: Vec<&str> = (0..4).map(|l| &text[idx.line_range(text, l).unwrap()]).collect();
        assert_eq!(lines, ["A", "B\u{2028}C\u{2029}D\u{85}E\u{c}F\u{b}G", "H", "I"]);
    }

    proptest::proptest! {
        /// An edited index equals one built afresh, and matches the hand split.
        #[test]
        fn an_edited_index_equals_a_fresh_one(text in "[a\r\n\u{2028}é]{0,30}", at in 0usize..40, len in 0usize..6, insert in "[a\r\n]{0,4}") {
            let mut start = at.min(text.len());
            while !text.is_char_boundary(start) {
                start -= 1;
            }
            let mut old_end = (start + len).min(text.len());
            while !text.is_char_boundary(old_end) {
                old_end += 1;
            }
            let new_text = format!("{}{}{}", &text[..start], insert, &text[old_end..]);
            let edited = LineIndex::new(&text).edited(&new_text, start, old_end, start + insert.len());
            let lines = oracle_lines(&new_text);
            proptest::prop_assert_eq!(edited.line_count(), lines.len(), "{:?} → {:?}", text, new_text);
            for (l, &(s, e)) in lines.iter().enumerate() {
                proptest::prop_assert_eq!(edited.line_range(&new_text, l), Some(s..e));
            }
            proptest::prop_assert_eq!(&edited.line_starts, &LineIndex::new(&new_text).line_starts);
        }

        #[test]
        fn lines_and_positions_match_a_hand_split(text in "[a\r\n\u{2028}\u{85}é😀\u{c}]{0,40}", pick in 0usize..64) {
            let idx = LineIndex::new(&text);
            let lines = oracle_lines(&text);
            proptest::prop_assert_eq!(idx.line_count(), lines.len());
            for (l, &(s, e)) in lines.iter().enumerate() {
                proptest::prop_assert_eq!(idx.line_range(&text, l), Some(s..e));
            }
            // A position round-trips through UTF-16 columns counted by hand.
            let (l, &(s, e)) = lines.iter().enumerate().nth(pick % lines.len()).unwrap();
            let col_chars = pick % (text[s..e].chars().count() + 1);
            let off = s + text[s..e].chars().take(col_chars).map(char::len_utf8).sum::<usize>();
            let col16: usize = text[s..off].chars().map(char::len_utf16).sum();
            proptest::prop_assert_eq!(idx.position(&text, off, ColumnUnit::Utf16), (l, col16));
            proptest::prop_assert_eq!(idx.offset(&text, l, col16, ColumnUnit::Utf16), off);
        }
    }
}
