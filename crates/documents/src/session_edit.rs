//! Re-parsing a session after an edit without scanning the whole transcript again.
//!
//! A keystroke in a 1 MB transcript changes a few bytes of one line. When the lines the
//! edit touches (before and after it) hold no structure — no turn marker, no fence
//! delimiter, nothing of the frontmatter — the turns and fences stay what they were, only
//! shifted, and only the links of the paragraph around the edit can change: Markdown
//! inlines (a code span opened on one line and closed on the next) reach across the lines
//! of a paragraph, never past its end. A document where some line may reach further —
//! define a reference link (`[x]: url`), open an HTML block or comment — is parsed whole,
//! and so is an edit of a blank line, of a line's indentation or list and quote marks, or
//! where a block starts indented four columns (code alone, a paragraph under a list
//! item): each can change blocks past the paragraph. Any other edit falls back to
//! [`SessionDoc::parse`], whose result this must always equal (the property tests below
//! hold it to that).

use std::borrow::Cow;
use std::ops::Range;

use crate::session::SessionDoc;

/// The document for `new_text`, reusing `old_doc` (the parse of `old_text`) when the edit
/// between the two texts leaves the structure alone.
pub fn reparse(old_text: &str, old_doc: &SessionDoc, new_text: &str) -> SessionDoc {
    try_reparse(old_text, Cow::Borrowed(old_doc), new_text).unwrap_or_else(|| SessionDoc::parse(new_text))
}

/// [`reparse`] that may reuse `old_doc`'s memory: the turns, fences and links are
/// shifted where they are instead of copied (thousands of small strings in a 1 MB
/// transcript).
pub fn reparse_owned(old_text: &str, old_doc: SessionDoc, new_text: &str) -> SessionDoc {
    try_reparse(old_text, Cow::Owned(old_doc), new_text).unwrap_or_else(|| SessionDoc::parse(new_text))
}

/// The edit between two texts: `start..old_end` in the old one became `start..new_end`.
struct Change {
    start: usize,
    old_end: usize,
    new_end: usize,
}

impl Change {
    fn between(old: &str, new: &str) -> Self {
        let (a, b) = (old.as_bytes(), new.as_bytes());
        let prefix = common_prefix(a, b);
        let room = a.len().min(b.len()) - prefix;
        let suffix = common_suffix(a.get(prefix..).unwrap_or_default(), b.get(prefix..).unwrap_or_default()).min(room);
        // Keep the split on character boundaries on both sides.
        let mut start = prefix;
        while !(old.is_char_boundary(start) && new.is_char_boundary(start)) {
            start -= 1;
        }
        let (mut old_end, mut new_end) = (a.len() - suffix, b.len() - suffix);
        while !(old.is_char_boundary(old_end) && new.is_char_boundary(new_end)) {
            old_end += 1;
            new_end += 1;
        }
        Self { start, old_end, new_end }
    }

    /// Where a range boundary of the old text lands in the new one; `None` when it falls
    /// inside the replaced part.
    fn shift(&self, at: usize) -> Option<usize> {
        if at <= self.start {
            Some(at)
        } else if at >= self.old_end {
            Some(at - self.old_end + self.new_end)
        } else {
            None
        }
    }

    fn range(&self, r: &Range<usize>) -> Option<Range<usize>> {
        Some(self.shift(r.start)?..self.shift_end(r.end)?)
    }

    /// Like [`Change::shift`] for a range's end: text inserted exactly at the end of a
    /// range that reaches the end of the document (the last turn) belongs to it.
    fn shift_end(&self, at: usize) -> Option<usize> {
        if at >= self.old_end && (at > self.start || self.start == self.old_end) { Some(at - self.old_end + self.new_end) } else { self.shift(at) }
    }
}

fn common_prefix(a: &[u8], b: &[u8]) -> usize {
    // Whole chunks compare as slices (memcmp), big ones first: a keystroke in a 1 MB
    // transcript leaves about half a megabyte on either side to compare.
    let mut i = 0;
    for chunk in [4096, 64] {
        let (x, y) = (a.get(i..).unwrap_or_default(), b.get(i..).unwrap_or_default());
        i += x.chunks_exact(chunk).zip(y.chunks_exact(chunk)).take_while(|(p, q)| p == q).count() * chunk;
    }
    i + a.iter().skip(i).zip(b.iter().skip(i)).take_while(|(x, y)| x == y).count()
}

fn common_suffix(a: &[u8], b: &[u8]) -> usize {
    let mut i = 0;
    for chunk in [4096, 64] {
        let (x, y) = (a.get(..a.len() - i).unwrap_or_default(), b.get(..b.len() - i).unwrap_or_default());
        i += x.rchunks_exact(chunk).zip(y.rchunks_exact(chunk)).take_while(|(p, q)| p == q).count() * chunk;
    }
    i + a.iter().rev().skip(i).zip(b.iter().rev().skip(i)).take_while(|(x, y)| x == y).count()
}

/// The whole lines of `text` that hold `range` (an empty range at a line's start holds
/// that line), without the last line break.
fn lines_around(text: &str, range: Range<usize>) -> Range<usize> {
    crate::line_bounds::line_start(text, range.start)..crate::line_bounds::line_end(text, range.end)
}

/// The paragraph around `lines`: grown line by line until a blank or structural line.
fn paragraph_around(text: &str, lines: Range<usize>) -> Range<usize> {
    // What ends a paragraph for Markdown: a blank line, or a line that interrupts it (a
    // fence or an HTML comment such as a turn marker, indented at most three spaces; a
    // `---`). A line indented four or more continues the paragraph.
    let stops = |line: &str| {
        let line = line.trim_end_matches('\r');
        let t = line.trim_start_matches(' ');
        line.trim().is_empty()
            || (line.len() - t.len() <= 3 && (t.starts_with("```") || t.starts_with("~~~") || t.starts_with("<!--")))
            || line == "---"
            || line == "..."
    };
    let mut start = lines.start;
    while start > 0 {
        let prev_end = start - 1;
        let prev_start = crate::line_bounds::line_start(text, prev_end);
        if text.get(prev_start..prev_end).is_none_or(stops) {
            break;
        }
        start = prev_start;
    }
    let mut end = lines.end;
    while end < text.len() {
        let next_start = end + 1;
        let next_end = crate::line_bounds::line_end(text, next_start);
        if text.get(next_start..next_end).is_none_or(stops) {
            break;
        }
        end = next_end;
    }
    start..end
}

/// Whether the edit starting at `at` reaches into the indentation or container marks
/// (quote `>`, list bullets and numbers, the spaces after them) of a line of `lines`.
fn touches_prefix(text: &str, lines: &Range<usize>, at: usize) -> bool {
    let Some(t) = text.get(lines.clone()) else { return true };
    let mut line_start = lines.start;
    for line in t.split('\n') {
        let prefix = prefix_len(line);
        if prefix > 0 && at < line_start + prefix {
            return true;
        }
        line_start += line.len() + 1;
    }
    false
}

/// The length of a line's leading indentation and container marks.
fn prefix_len(line: &str) -> usize {
    let bytes = line.as_bytes();
    let mut i = 0;
    loop {
        while bytes.get(i).is_some_and(|b| matches!(b, b' ' | b'\t' | b'>')) {
            i += 1;
        }
        let marker_end = match bytes.get(i) {
            Some(b'-' | b'*' | b'+') => i + 1,
            Some(b'0'..=b'9') => {
                let digits = bytes.get(i..).unwrap_or_default().iter().take_while(|b| b.is_ascii_digit()).count();
                if matches!(bytes.get(i + digits), Some(b'.' | b')')) { i + digits + 1 } else { return i }
            }
            _ => return i,
        };
        if !matches!(bytes.get(marker_end), None | Some(b' ' | b'\t' | b'\r')) {
            return i;
        }
        i = marker_end;
    }
}

/// Whether a line starts (after indentation and container marks) with a tag that may open
/// an HTML block ending only at a blank line: `<` then a letter or `/`.
fn opens_html_block(line: &str) -> bool {
    let rest = line.as_bytes().get(prefix_len(line)..).unwrap_or_default();
    rest.first() == Some(&b'<')
        && (rest.get(1).is_some_and(u8::is_ascii_alphabetic) || (rest.get(1) == Some(&b'/') && rest.get(2).is_some_and(u8::is_ascii_alphabetic)))
}

/// Whether the lines from the last blank line before `at` up to `at` hold a line that
/// may open an HTML block, which would then reach `at`.
fn in_html_block(text: &str, at: usize) -> bool {
    let mut end = at;
    while end > 0 {
        let start = crate::line_bounds::line_start(text, end - 1);
        let Some(line) = text.get(start..end - 1) else { return true };
        if line.trim().is_empty() {
            return false;
        }
        if opens_html_block(line) {
            return true;
        }
        end = start;
    }
    false
}

/// Whether an HTML comment opened before `at` is still open there: the last `<!--` before
/// it comes after the last `-->` (a turn marker holds both, so the search stops at the
/// marker above).
fn in_open_comment(text: &str, at: usize) -> bool {
    let before = text.as_bytes().get(..at).unwrap_or_default();
    match (memchr::memmem::rfind(before, b"<!--"), memchr::memmem::rfind(before, b"-->")) {
        (Some(open), Some(close)) => open + 2 > close,
        (Some(_), None) => true,
        (None, _) => false,
    }
}

/// Whether a block among the lines of `region` starts indented four columns or more.
/// Read alone that is code; under a list item it may be a paragraph holding links, and
/// only the whole document says which.
fn block_starts_indented(text: &str, region: &Range<usize>) -> bool {
    let Some(lines) = text.get(region.clone()) else { return true };
    let mut after_blank = true;
    for line in lines.split('\n') {
        let blank = line.trim().is_empty();
        if after_blank && !blank {
            let lead: usize = line.chars().take_while(|c| *c == ' ' || *c == '\t').map(|c| if c == '\t' { 4 } else { 1 }).sum();
            if lead >= 4 {
                return true;
            }
        }
        after_blank = blank;
    }
    false
}

/// Whether some line could reach past its paragraph: define a reference link (`[x]: url`)
/// or open an HTML block that only its own end closes, not a blank line (`<pre`,
/// `<script`, `<?`, `<!DOCTYPE`, `<![CDATA[`; comments are handled where the edit is),
/// also inside a list item or a quote. Then an edit anywhere may change links anywhere. Looks only at the `[`s and
/// `<`s of the text, so a full parse pays little for knowing it; it may say yes for a
/// line that does neither (the edit then takes a full parse), never no for one that does.
pub(crate) fn may_reach_far(text: &str) -> bool {
    may_reach_far_outside(text, &[])
}

/// [`may_reach_far`] for a whole document whose fenced code is known: nothing in code
/// counts. Any other line that opens an HTML tag counts too, since such a block runs
/// until a blank line, past `---` lines and fences that would end a paragraph.
pub(crate) fn may_reach_far_outside(text: &str, code: &[Range<usize>]) -> bool {
    let bytes = text.as_bytes();
    let in_code = |i: usize| {
        let at = code.partition_point(|r| r.end <= i);
        code.get(at).is_some_and(|r| r.start <= i)
    };
    // A fence opened inside a list item or quote runs on past blank lines, which the
    // session's own fences (read at the line start) do not see.
    let container_fence = memchr::memchr2_iter(b'`', b'~', bytes).any(|i| {
        let line_start = memchr::memrchr(b'\n', bytes.get(..i).unwrap_or_default()).map_or(0, |n| n + 1);
        let prefix = bytes.get(line_start..i).unwrap_or_default();
        let fence = bytes.get(i..i + 3).is_some_and(|f| f == b"```" || f == b"~~~");
        fence
            && !in_code(i)
            && prefix.iter().any(|b| !matches!(b, b' ' | b'\t'))
            && prefix.iter().all(|b| matches!(b, b' ' | b'\t' | b'>' | b'-' | b'*' | b'+' | b'.' | b')' | b'0'..=b'9'))
    });
    container_fence
        || memchr::memchr2_iter(b'[', b'<', bytes).any(|i| {
            if in_code(i) {
                return false;
            }
            let line_start = memchr::memrchr(b'\n', bytes.get(..i).unwrap_or_default()).map_or(0, |n| n + 1);
            // Only indentation and container marks (quotes, list bullets and numbers) before.
            let prefix = bytes.get(line_start..i).unwrap_or_default();
            if !prefix.iter().all(|b| matches!(b, b' ' | b'\t' | b'>' | b'-' | b'*' | b'+' | b'.' | b')' | b'0'..=b'9')) {
                return false;
            }
            let line = bytes.get(i..crate::line_bounds::line_end(text, i)).unwrap_or_default();
            let has = |needle: &[u8]| memchr::memmem::find(line, needle).is_some();
            if line.first() == Some(&b'[') {
                return has(b"]:");
            }
            let lower = line.get(..12).unwrap_or(line).to_ascii_lowercase();
            let tag = |name: &[u8]| {
                lower.get(1..).is_some_and(|l| l.starts_with(name)) && lower.get(1 + name.len()).is_none_or(|b| matches!(b, b' ' | b'\t' | b'>' | b'\r'))
            };
            (line.starts_with(b"<![CDATA[") && !has(b"]]>"))
                || (line.starts_with(b"<?") && !has(b"?>"))
                || (line.get(1) == Some(&b'!') && line.get(2).is_some_and(u8::is_ascii_alphabetic) && memchr::memchr(b'>', line).is_none())
                || [&b"pre"[..], b"script", b"style", b"textarea"].into_iter().any(tag)
        })
}

/// Whether a line could be (or end) a turn marker, a fence delimiter or frontmatter.
fn structural(line: &str) -> bool {
    let line = line.trim_end_matches('\r');
    // Also a fence opened inside a list item or quote (`- ```py`).
    let t = line.get(prefix_len(line)..).unwrap_or(line);
    line.starts_with("<!--") || t.starts_with("```") || t.starts_with("~~~") || line == "---" || line == "..."
}

fn any_structural(text: &str, lines: &Range<usize>) -> bool {
    // Lines that cannot be cut out count as structural: the full parse is the safe way.
    text.get(lines.clone()).is_none_or(|t| t.split('\n').any(structural))
}

fn try_reparse(old_text: &str, old: Cow<'_, SessionDoc>, new_text: &str) -> Option<SessionDoc> {
    if old_text == new_text {
        return Some(old.into_owned());
    }
    let change = Change::between(old_text, new_text);
    // The frontmatter must be closed and untouched; without one, its first line must be.
    match &old.frontmatter.block {
        Some(block) if block.close.is_none() => return None,
        _ => {}
    }
    let old_lines = lines_around(old_text, change.start..change.old_end);
    let new_lines = lines_around(new_text, change.start..change.new_end);
    if old_lines.start < old.frontmatter.body_start || old_lines.start == 0 {
        return None;
    }
    if any_structural(old_text, &old_lines) || any_structural(new_text, &new_lines) {
        return None;
    }
    // Inside a fence nothing is read for links, and the lines that could end the fence are
    // structural: typing code (indented, blank lines, tags) only moves the rest.
    let in_fence = old.fences.iter().any(|f| f.content.start <= old_lines.start && old_lines.end <= f.content.end);
    if !in_fence && reaches_past_paragraph(&old, old_text, &old_lines, new_text, &new_lines, change.start) {
        return None;
    }
    let (old_lines, new_lines) = (paragraph_around(old_text, old_lines), paragraph_around(new_text, new_lines));
    if !in_fence && (in_open_comment(old_text, old_lines.start) || in_html_block(old_text, old_lines.start)) {
        return None;
    }
    if !in_fence && (block_starts_indented(old_text, &old_lines) || block_starts_indented(new_text, &new_lines)) {
        return None;
    }
    shift(old, change, &old_lines, &new_lines, new_text, in_fence)
}

/// Whether an edit of prose may change links past the paragraph it is in.
fn reaches_past_paragraph(old: &SessionDoc, old_text: &str, old_lines: &Range<usize>, new_text: &str, new_lines: &Range<usize>, at: usize) -> bool {
    // A reference definition reaches everywhere: that goes the long way. The old text had
    // no definition anywhere (else the flag would be set), so the new one can only have
    // one on the lines the edit touched.
    if old.edits_reach_far || new_text.get(new_lines.clone()).is_none_or(may_reach_far) || old_text.get(old_lines.clone()).is_none_or(may_reach_far) {
        return true;
    }
    // A blank line made or removed joins or splits paragraphs, and under a list item it
    // can end or continue the item for the blocks after: the long way. So does an edit
    // of a line's indentation or container marks (`> `, `- `, `1. `), which can move the
    // blocks after it in or out of a list item.
    let blank = |text: &str, lines: &Range<usize>| text.get(lines.clone()).is_none_or(|t| t.split('\n').any(|l| l.trim().is_empty()));
    if blank(old_text, old_lines) || blank(new_text, new_lines) || touches_prefix(old_text, old_lines, at) || touches_prefix(new_text, new_lines, at) {
        return true;
    }
    // An HTML comment runs from `<!--` to the first `-->`, blank lines and all: an edit
    // that may open or close one, or lands inside one, goes the long way.
    // An HTML block opened by a tag (`<div>`) runs to the next blank line, past `---` and
    // fences: an edit of such a line, or a paragraph such a block may reach, goes the long
    // way too.
    let html_mark = |text: &str, lines: &Range<usize>| {
        text.get(lines.clone()).is_none_or(|t| t.contains("<!--") || t.contains("-->") || t.split('\n').any(opens_html_block))
    };
    html_mark(old_text, old_lines) || html_mark(new_text, new_lines)
}

/// The old document with its structure shifted past the edit (in place when owned) and
/// the links of the paragraphs around it read again (none inside a fence).
fn shift(old: Cow<'_, SessionDoc>, change: Change, old_lines: &Range<usize>, new_lines: &Range<usize>, new_text: &str, in_fence: bool) -> Option<SessionDoc> {
    let (old_lines, new_lines) = (old_lines.clone(), new_lines.clone());
    let mut doc = old.into_owned();
    for t in &mut doc.turns {
        t.role_range = change.range(&t.role_range)?;
        t.marker = change.range(&t.marker)?;
        t.content = change.range(&t.content)?;
    }
    for f in &mut doc.fences {
        f.range = change.range(&f.range)?;
        f.info_range = change.range(&f.info_range)?;
        f.content = change.range(&f.content)?;
    }
    for r in &mut doc.malformed_markers {
        *r = change.range(r)?;
    }
    doc.preamble = change.range(&doc.preamble)?;
    // Links of untouched lines only move; those of the touched lines are found again
    // (none inside a fence).
    let old_links = std::mem::take(&mut doc.links);
    let mut links = Vec::with_capacity(old_links.len() + 1);
    let mut fresh = if in_fence { Vec::new() } else { links_in_lines(new_text, &new_lines) };
    let mut fresh_added = false;
    for mut l in old_links {
        if l.range.end <= old_lines.start {
            links.push(l);
            continue;
        }
        if !fresh_added {
            links.append(&mut fresh);
            fresh_added = true;
        }
        if l.range.start > old_lines.end {
            l.range = change.range(&l.range)?;
            l.target_range = change.range(&l.target_range)?;
            links.push(l);
        }
    }
    links.append(&mut fresh);
    doc.links = links;
    // Unchanged: outside a fence the edited lines hold nothing that reaches far (checked
    // before), and inside one nothing counts.
    for link in &mut doc.links {
        if link.range.start >= new_lines.start && link.range.end <= new_lines.end {
            link.turn = crate::session::turn_index_at(&doc.turns, link.range.start);
        }
    }
    Some(doc)
}

/// The links on some lines that hold no structure, with offsets in `text`.
fn links_in_lines(text: &str, lines: &Range<usize>) -> Vec<crate::session::Link> {
    // A leading line break keeps the lines from being read as frontmatter.
    let snippet = format!("\n{}", text.get(lines.clone()).unwrap_or_default());
    let shift = |r: &Range<usize>| r.start - 1 + lines.start..r.end - 1 + lines.start;
    SessionDoc::parse(&snippet)
        .links
        .into_iter()
        .map(|mut l| {
            l.range = shift(&l.range);
            l.target_range = shift(&l.target_range);
            l
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    /// Everything a parse produces, to compare an incremental result with a full one.
    fn shape(doc: &SessionDoc) -> String {
        format!(
            "{:?}|{:?}|{:?}|{:?}|{:?}|{:?}|{:?}",
            doc.turns, doc.fences, doc.links, doc.malformed_markers, doc.preamble, doc.frontmatter.body_start, doc.edits_reach_far
        )
    }

    const PIECES: &[&str] = &[
        "---\ntitle: T\nid: x\n---\n",
        "<!-- turn: user -->\n",
        "<!-- turn: assistant model=m -->\n",
        "<!-- turn: bogus\n",
        "Some words here.\n",
        "See [a](../artifacts/a.csv) and ![b](b.png).\n",
        "```python artifact=x.py\nprint(1)\n```\n",
        "```\nunclosed fence [c](c.md)\n",
        "~~~\n[d](d.md)\n~~~\n",
        "`[e](e.md)` code span\n",
        "    ```indented\n",
        "\n",
        "é ü 中文 [f](f/ü.md)\n",
        "---\n",
        "A [ref][d] link\n",
        "[d]: d.md\n",
        "- item [l](l.md)\n",
        "      [i](i.md) indented six\n",
        "\t[t](t.md) after a tab\n",
        "> quoted [q](q.md)\n",
        "<div>\n",
        "<!--\n",
        "-->\n",
        "   \n",
    ];

    /// Found by the property below once the one link extractor (pulldown-cmark) met the
    /// incremental parse: inlines reach across the lines of a paragraph.
    #[test]
    fn an_edit_reparses_its_whole_paragraph() {
        for (text, at, insert) in [
            ("<!-- turn: user -->\n    ```indented\n`[e](e.md)` code span\n", 39, "`"),
            ("Some words here.\n    ```indented\né ü 中文 [f](f/ü.md)\n    ```indented\n", 33, "x"),
            ("<!-- turn: user -->\nA [ref][d] link\nmore\n\n[d]: d.md\n", 36, "s"),
            // An HTML comment runs past blank lines, a `<div>` block past `---` lines.
            ("<!--\né ü 中文 [f](f/ü.md)\n", 5, "\n"),
            ("    ```indented\n<div>\n---\né ü 中文 [f](f/ü.md)\n---\n", 26, "x"),
            // A block indented four columns is code alone, a paragraph under a list item.
            ("<!-- turn: user -->\n- item\n\n      [i](i.md)\n", 43, "x"),
        ] {
            let new_text = format!("{}{insert}{}", &text[..at], &text[at..]);
            let incremental = reparse(text, &SessionDoc::parse(text), &new_text);
            assert_eq!(shape(&incremental), shape(&SessionDoc::parse(&new_text)), "{new_text:?}");
        }
    }

    const INSERTS: &[&str] =
        &["x", " ", "\n", "[", "](", ")", "[g](g.md)", "<!-- turn: user -->", "```", "~~~", "---", "é", "\r\n", "`", "<", "-->", "](h.md)", "!"];

    fn document() -> impl Strategy<Value = String> {
        prop::collection::vec(prop::sample::select(PIECES), 0..14).prop_map(|p| p.concat())
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2000))]

        /// Any edit (insert, delete or replace) gives the same document as a full parse.
        #[test]
        fn equals_a_full_parse(text in document(), at in any::<prop::sample::Index>(), len in 0usize..12, insert in prop::sample::select(INSERTS), delete in any::<bool>()) {
            let old_doc = SessionDoc::parse(&text);
            let mut start = at.index(text.len() + 1);
            while !text.is_char_boundary(start) {
                start -= 1;
            }
            let mut end = (start + if delete { len } else { 0 }).min(text.len());
            while !text.is_char_boundary(end) {
                end += 1;
            }
            let new_text = format!("{}{}{}", &text[..start], if delete && len % 2 == 0 { "" } else { insert }, &text[end..]);
            let incremental = reparse(&text, &old_doc, &new_text);
            let full = SessionDoc::parse(&new_text);
            prop_assert_eq!(shape(&incremental), shape(&full), "old {:?}\nnew {:?}", text, new_text);
            // Shifted in place, the owned document comes out the same.
            prop_assert_eq!(shape(&reparse_owned(&text, old_doc, &new_text)), shape(&full));
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(500))]

        /// Typing prose (links included) inside a turn's text takes the incremental path,
        /// and still equals a full parse.
        #[test]
        fn typing_prose_is_incremental(text in document(), at in any::<prop::sample::Index>(), insert in prop::sample::select(&["x", " ", "[g](g.md)", "](", ")", "é", "!", "`"][..])) {
            // A reference definition or an open HTML block anywhere sends every edit the
            // long way, by design.
            let text = ["[d]: d.md\n", "<!--\n", "<!-- turn: bogus\n", "<div>\n"].iter().fold(text, |t, far| t.replace(far, ""));
            let text = format!("---\nid: x\n---\n<!-- turn: user -->\nSome words [a](a.md) here.\n{text}");
            let old_doc = SessionDoc::parse(&text);
            // Only inside the first user turn's prose line, which is never structural.
            let line = text.find("Some words").unwrap();
            let mut start = line + at.index("Some words [a](a.md) here.".len() + 1);
            while !text.is_char_boundary(start) {
                start -= 1;
            }
            // Indenting the line is not prose: it may move blocks in or out of a list item.
            prop_assume!(!(start == line && insert == " "));
            let new_text = format!("{}{}{}", &text[..start], insert, &text[start..]);
            let incremental = try_reparse(&text, Cow::Borrowed(&old_doc), &new_text);
            prop_assert!(incremental.is_some(), "fell back to a full parse: {:?}", new_text);
            prop_assert_eq!(shape(&incremental.unwrap()), shape(&SessionDoc::parse(&new_text)));
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2000))]

        /// The scan of `[`s and `<`s agrees with reading every line, each `[` or `<`
        /// behind nothing but indentation and container marks.
        #[test]
        fn far_reaching_lines_found_as_line_by_line(text in "[ \\[\\]:a\n>\\-1.<!?p`~]{0,40}") {
            let container_fence = text.split('\n').any(|line| {
                (1..line.len()).filter(|&i| line[..i].chars().all(|c| " \t>-*+.)0123456789".contains(c)) && !line[..i].trim().is_empty()).any(|i| line[i..].starts_with("```") || line[i..].starts_with("~~~"))
            });
            let by_lines = container_fence || text.split('\n').any(|line| {
                (0..line.len()).filter(|&i| line[..i].chars().all(|c| " \t>-*+.)0123456789".contains(c))).any(|i| {
                    let rest = &line[i..];
                    (rest.starts_with('[') && rest.contains("]:"))
                        || (rest.starts_with("<?") && !rest.contains("?>"))
                        || (rest.starts_with("<!") && rest[2..].starts_with(|c: char| c.is_ascii_alphabetic()) && !rest.contains('>'))
                        || rest.to_lowercase().strip_prefix("<pre").is_some_and(|after| after.is_empty() || after.starts_with([' ', '\t', '>', '\r']))
                })
            });
            prop_assert_eq!(may_reach_far(&text), by_lines, "{:?}", text);
        }
    }

    #[test]
    fn a_keystroke_in_prose_reuses_the_structure() {
        let text = "---\nid: x\n---\n<!-- turn: user -->\nhello [a](a.md)\n<!-- turn: assistant -->\nreply\n";
        let old = SessionDoc::parse(text);
        let new_text = text.replace("hello", "hellow");
        assert!(try_reparse(text, Cow::Borrowed(&old), &new_text).is_some(), "prose edits need no full parse");
        // A list marker edited moves the blocks after it in or out of the item.
        let list = "<!-- turn: user -->\n- item\n\n    [i](i.md)\n";
        assert!(try_reparse(list, Cow::Borrowed(&SessionDoc::parse(list)), &list.replace("- item", "-  item")).is_none());
        assert!(try_reparse(list, Cow::Borrowed(&SessionDoc::parse(list)), &list.replace("- item", "- itemx")).is_some());
        let marker = text.replace("turn: user", "turn: usr");
        assert!(try_reparse(text, Cow::Borrowed(&old), &marker).is_none(), "marker edits do");
    }
}
