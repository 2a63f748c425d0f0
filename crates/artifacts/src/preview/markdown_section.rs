//! Markdown previews: the first section of a document (up to its second heading, at most
//! 40 lines), with YAML frontmatter skipped.

use super::markdown_format::clip_line;

/// Lines of a first section shown before it is cut.
const MAX_SECTION_LINES: usize = 40;
/// A paragraph written as one enormous line would otherwise fill the hover.
const MAX_LINE_CHARS: usize = 400;

/// The first section of `text`; `None` when nothing but frontmatter and blank lines.
pub(crate) fn first_section(text: &str) -> Option<String> {
    let body = skip_frontmatter(text);
    let mut lines = Vec::new();
    let mut headings = 0;
    let mut open_fence: Option<(char, usize)> = None;
    let mut cut = false;
    for line in body.lines().skip_while(|line| line.trim().is_empty()) {
        let marker = fence_marker(line);
        match (open_fence, marker) {
            (None, Some(fence)) => open_fence = Some(fence),
            (Some((ch, len)), Some((c, l))) if ch == c && l >= len && is_closing_fence(line) => {
                open_fence = None;
            }
            (None, None) if is_heading(line) => {
                headings += 1;
                if headings == 2 {
                    cut = true;
                    break;
                }
            }
            _ => {}
        }
        if lines.len() == MAX_SECTION_LINES {
            cut = true;
            break;
        }
        lines.push(line);
    }
    while lines.last().is_some_and(|line| line.trim().is_empty()) {
        lines.pop();
    }
    if lines.is_empty() {
        return None;
    }
    let clipped: Vec<String> = lines.iter().map(|line| clip_line(line, MAX_LINE_CHARS)).collect();
    let mut section = clipped.join("\n");
    if let Some((ch, len)) = open_fence {
        section.push('\n');
        section.extend(std::iter::repeat_n(ch, len));
    }
    if cut {
        section.push_str("\n\n…");
    }
    Some(section)
}

/// The text after a closed `---` frontmatter block; the whole text when there is none or
/// it never closes (the documents crate reports that, not the preview).
pub(crate) fn skip_frontmatter(text: &str) -> &str {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    frontmatter_and_body(text).map_or(text, |(_, body)| body)
}

/// Splits `---\n…\n---\n` frontmatter from the body.
pub(crate) fn frontmatter_and_body(text: &str) -> Option<(&str, &str)> {
    let first_line_end = text.find('\n')?;
    if text.get(..first_line_end)?.trim_end() != "---" {
        return None;
    }
    let mut offset = first_line_end + 1;
    while offset <= text.len() {
        let line_end = text.get(offset..).and_then(|rest| rest.find('\n')).map_or(text.len(), |end| offset + end);
        let line = text.get(offset..line_end)?.trim_end();
        if line == "---" || line == "..." {
            let body_start = (line_end + 1).min(text.len());
            return Some((text.get(first_line_end + 1..offset)?, text.get(body_start..)?));
        }
        offset = line_end + 1;
    }
    None
}

fn fence_marker(line: &str) -> Option<(char, usize)> {
    let trimmed = line.trim_start_matches(' ');
    if line.len() - trimmed.len() > 3 {
        return None;
    }
    let ch = trimmed.chars().next().filter(|c| *c == '`' || *c == '~')?;
    let len = trimmed.chars().take_while(|c| *c == ch).count();
    (len >= 3).then_some((ch, len))
}

fn is_closing_fence(line: &str) -> bool {
    line.trim().chars().all(|c| c == '`' || c == '~')
}

fn is_heading(line: &str) -> bool {
    let trimmed = line.trim_start_matches(' ');
    if line.len() - trimmed.len() > 3 {
        return false;
    }
    let hashes = trimmed.chars().take_while(|c| *c == '#').count();
    (1..=6).contains(&hashes) && trimmed.get(hashes..).and_then(|rest| rest.chars().next()).is_none_or(|c| c == ' ' || c == '\t')
}
