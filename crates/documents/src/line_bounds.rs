//! The line around a byte offset, found on bytes so that no offset, however it was
//! computed, can split a character and panic (`clippy::string_slice` is denied here).
//!
//! Offsets past the end are clamped; an offset inside a multi-byte character is fine,
//! because a `\n` byte never occurs inside one.

/// Where the line holding `offset` starts: just after the previous `\n`, or 0.
pub fn line_start(text: &str, offset: usize) -> usize {
    let before = text.as_bytes().get(..offset.min(text.len())).unwrap_or_default();
    memchr::memrchr(b'\n', before).map_or(0, |i| i + 1)
}

/// Where the line holding `offset` ends: at its `\n` (not included), or the text's end.
pub fn line_end(text: &str, offset: usize) -> usize {
    let from = offset.min(text.len());
    let after = text.as_bytes().get(from..).unwrap_or_default();
    memchr::memchr(b'\n', after).map_or(text.len(), |i| from + i)
}

/// Like [`line_end`], but past the `\n` when there is one: where the next line starts.
pub fn next_line_start(text: &str, offset: usize) -> usize {
    let end = line_end(text, offset);
    if end < text.len() { end + 1 } else { end }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// Independent oracle: walk the characters and remember the last line break.
    fn oracle(text: &str, offset: usize) -> (usize, usize) {
        let offset = offset.min(text.len());
        let mut start = 0;
        for (i, c) in text.char_indices() {
            if i >= offset {
                break;
            }
            if c == '\n' {
                start = i + 1;
            }
        }
        let end = text.char_indices().find(|&(i, c)| i >= offset && c == '\n').map_or(text.len(), |(i, _)| i);
        (start, end)
    }

    proptest! {
        #[test]
        fn agrees_with_a_char_walk(text in "[a\\n\\réß€😀\u{2028}]{0,24}", offset in 0usize..120) {
            let (start, end) = oracle(&text, offset);
            prop_assert_eq!(line_start(&text, offset), start);
            prop_assert_eq!(line_end(&text, offset), end);
            let next = if end < text.len() { end + 1 } else { end };
            prop_assert_eq!(next_line_start(&text, offset), next);
        }
    }
}
