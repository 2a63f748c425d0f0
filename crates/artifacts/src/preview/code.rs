//! Code (and other text) previews: the first lines in a fence with the file's language,
//! and the line count.

use super::markdown_format::{clip_line, fenced};
use crate::file_head::{FileHead, as_text, count_lines, count_lines_capped, human_size};
use std::path::Path;

pub(crate) const HEAD_LINES: usize = 40;
/// Enough for 40 long lines; the head of a bigger file is all that is read.
pub(crate) const HEAD_BYTES: u64 = 64 * 1024;
/// Beyond this the line count would cost a noticeable read, so the hover says "large file".
pub(crate) const LINE_COUNT_CAP: u64 = 10 * 1024 * 1024;
/// Minified files have single lines of megabytes; a hover shows only their start.
const MAX_LINE_CHARS: usize = 240;

/// Previews a code file whose head has been read. `path` is used only to stream the line
/// count when the head is not the whole file.
pub(crate) fn preview_code_file(path: &Path, head: &FileHead, language: &str) -> Result<String, String> {
    let truncated = head.is_truncated();
    let text = as_text(&head.bytes, truncated).ok_or_else(|| binary_message(head.total_len))?;
    let line_count = if !truncated {
        LineCount::Exact(count_lines(&head.bytes))
    } else {
        match count_lines_capped(path, LINE_COUNT_CAP) {
            Ok(Some(lines)) => LineCount::Exact(lines),
            Ok(None) => LineCount::Large(head.total_len),
            Err(err) => return Err(format!("cannot read the file: {err}")),
        }
    };
    Ok(render_code(text, language, line_count))
}

/// Previews code held in memory (an inline fence).
pub(crate) fn preview_code_text(text: &str, language: &str) -> String {
    render_code(text, language, LineCount::Exact(count_lines(text.as_bytes())))
}

pub(crate) fn binary_message(total_len: u64) -> String {
    format!("binary content ({}), no text preview", human_size(total_len))
}

enum LineCount {
    Exact(usize),
    Large(u64),
}

fn render_code(text: &str, language: &str, line_count: LineCount) -> String {
    let mut head = String::new();
    let mut shown = 0;
    for line in text.lines().take(HEAD_LINES) {
        head.push_str(&clip_line(line, MAX_LINE_CHARS));
        head.push('\n');
        shown += 1;
    }
    let summary = match line_count {
        LineCount::Exact(1) => "1 line".to_string(),
        LineCount::Exact(lines) if lines > shown => {
            format!("{lines} lines, first {shown} shown")
        }
        LineCount::Exact(lines) => format!("{lines} lines"),
        LineCount::Large(bytes) => format!("large file ({}), first {shown} lines shown", human_size(bytes)),
    };
    format!("{summary}\n\n{}", fenced(language, &head))
}
