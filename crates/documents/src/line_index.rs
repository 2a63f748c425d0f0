//! Byte offset ↔ line/column conversion for a text snapshot.
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
        line_starts.extend(memchr::memchr_iter(b'\n', text.as_bytes()).map(|i| i + 1));
        Self { line_starts, len: text.len() }
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
        let mut end = self.line_starts.get(line + 1).map_or(self.len, |next| next - 1);
        if end > start && text.as_bytes().get(end - 1) == Some(&b'\r') {
            end -= 1;
        }
        Some(start..end)
    }

    /// 0-based line and column of a byte offset (clamped to the text and to a char boundary).
    pub fn position(&self, text: &str, offset: usize, unit: ColumnUnit) -> (usize, usize) {
        let offset = floor_char_boundary(text, offset.min(self.len));
        let line = self.line_starts.partition_point(|&s| s <= offset) - 1;
        let start = self.line_starts[line];
        let slice = &text[start..offset];
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
        let line_text = &text[range.clone()];
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
}
