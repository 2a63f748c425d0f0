//! LSP positions computed for the tests on their own, sharing nothing with the server's
//! `LineIndex`, so that a position bug in the server shows up as a failing test instead
//! of being mirrored by the harness. LSP 3.17: a line ends at `\n`, `\r\n` or a lone
//! `\r` (nothing else, not U+2028 nor form feed); a column counts UTF-16 code units.

/// The (line, UTF-16 column) of a byte offset (clamped to the text; an offset inside a
/// character counts from that character's start).
pub fn position_of(text: &str, offset: usize) -> (u32, u32) {
    let (mut line, mut column) = (0u32, 0u32);
    let mut previous_was_cr = false;
    for (at, c) in text.char_indices() {
        if at >= offset {
            break;
        }
        match c {
            '\n' if previous_was_cr => {}
            '\n' | '\r' => {
                line += 1;
                column = 0;
            }
            c => column += c.len_utf16() as u32,
        }
        previous_was_cr = c == '\r';
    }
    (line, column)
}

/// The byte offset of an LSP position; a column past the line's end means the line's
/// end, a line past the last means the text's end.
pub fn offset_of(text: &str, line: u32, character: u32) -> usize {
    let (mut current, mut column) = (0u32, 0u32);
    let mut chars = text.char_indices().peekable();
    while let Some((at, c)) = chars.next() {
        if current == line && (column >= character || c == '\n' || c == '\r') {
            return at;
        }
        match c {
            '\r' => {
                if let Some((_, '\n')) = chars.peek() {
                    chars.next();
                }
                current += 1;
                column = 0;
            }
            '\n' => {
                current += 1;
                column = 0;
            }
            // a column inside a surrogate pair maps to the character's end
            c => column += c.len_utf16() as u32,
        }
    }
    text.len()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_ends_are_lsps() {
        let text = "a\nb\r\nc\rd\u{2028}e\u{c}f";
        assert_eq!(position_of(text, text.find('b').unwrap()), (1, 0));
        assert_eq!(position_of(text, text.find('c').unwrap()), (2, 0));
        assert_eq!(position_of(text, text.find('d').unwrap()), (3, 0));
        assert_eq!(position_of(text, text.find('e').unwrap()), (3, 2));
        assert_eq!(position_of(text, text.find('f').unwrap()), (3, 4));
        assert_eq!(offset_of(text, 3, 2), text.find('e').unwrap());
        assert_eq!(offset_of(text, 1, 9), text.find('\r').unwrap());
        assert_eq!(offset_of(text, 9, 0), text.len());
        let astral = "x😀y";
        assert_eq!(position_of(astral, astral.find('y').unwrap()), (0, 3));
        assert_eq!(offset_of(astral, 0, 3), astral.find('y').unwrap());
    }

    proptest::proptest! {
        #[test]
        fn offsets_and_positions_round_trip(parts in proptest::collection::vec(proptest::prop_oneof![
            proptest::strategy::Just("\n".to_string()), proptest::strategy::Just("\r\n".to_string()), proptest::strategy::Just("\r".to_string()),
            "[a-zé😀\u{2028}\u{c}]{0,4}"], 0..12)) {
            let text: String = parts.concat();
            for (at, _) in text.char_indices().chain(std::iter::once((text.len(), ' '))) {
                // the middle of a \r\n pair is not a position
                if at > 0 && text.as_bytes().get(at) == Some(&b'\n') && text.as_bytes()[at - 1] == b'\r' {
                    continue;
                }
                let (line, column) = position_of(&text, at);
                proptest::prop_assert_eq!(offset_of(&text, line, column), at, "{:?} at {}", text, at);
            }
        }
    }
}
