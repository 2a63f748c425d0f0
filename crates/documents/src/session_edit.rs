//! Re-parsing a session after an edit without scanning the whole transcript again.
//!
//! A keystroke in a 1 MB transcript changes a few bytes of one line. When the lines the
//! edit touches (before and after it) hold no structure — no turn marker, no fence
//! delimiter, nothing of the frontmatter, no blank line — the turns and fences stay what
//! they were, only shifted, and only the links of the paragraph around the edit can
//! change: Markdown inlines (a code span opened on one line and closed on the next) reach
//! across the lines of a paragraph, never past its end. A document that may define
//! reference links (`[x]: url`) is parsed whole, since a definition changes links
//! anywhere. Any other edit falls back to [`SessionDoc::parse`], whose result this must
//! always equal.

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

/// Whether some line could define a reference link (`[x]: url`, up to three spaces in).
/// Looks only at the `[`s of the text, so a full parse pays little for knowing it.
pub(crate) fn may_define_references(text: &str) -> bool {
    let bytes = text.as_bytes();
    memchr::memchr_iter(b'[', bytes).any(|i| {
        let mut lead = i;
        while lead > 0 && i - lead < 4 && bytes.get(lead - 1) == Some(&b' ') {
            lead -= 1;
        }
        let at_line_start = i - lead <= 3 && (lead == 0 || bytes.get(lead - 1) == Some(&b'\n'));
        at_line_start && {
            let line_end = crate::line_bounds::line_end(text, i);
            bytes.get(i..line_end).is_some_and(|line| memchr::memmem::find(line, b"]:").is_some())
        }
    })
}

/// Whether a line could be (or end) a turn marker, a fence delimiter or frontmatter.
fn structural(line: &str) -> bool {
    let line = line.trim_end_matches('\r');
    let t = line.trim_start_matches(' ');
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
    // A blank line made or removed joins or splits paragraphs; a reference definition
    // reaches everywhere: both go the long way.
    let blank = |text: &str, lines: &Range<usize>| text.get(lines.clone()).is_none_or(|t| t.split('\n').any(|l| l.trim().is_empty()));
    // The old text had no definition anywhere (else the flag would be set), so the new
    // one can only have one on the lines the edit touched.
    if blank(old_text, &old_lines)
        || blank(new_text, &new_lines)
        || old.may_define_references
        || new_text.get(new_lines.clone()).is_none_or(may_define_references)
        || old_text.get(old_lines.clone()).is_none_or(may_define_references)
    {
        return None;
    }
    let (old_lines, new_lines) = (paragraph_around(old_text, old_lines), paragraph_around(new_text, new_lines));
    // From here on the structure only moves: shift it in place (a copy when borrowed).
    let mut doc = old.into_owned();
    for t in &mut doc.turns {
        t.role_range = change.range(&t.role_range)?;
        t.marker = change.range(&t.marker)?;
        t.content = change.range(&t.content)?;
    }
    let mut in_fence = false;
    for f in &mut doc.fences {
        in_fence |= f.content.start <= old_lines.start && old_lines.end <= f.content.end;
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
    doc.may_define_references = false;
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
            doc.turns, doc.fences, doc.links, doc.malformed_markers, doc.preamble, doc.frontmatter.body_start, doc.may_define_references
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
    ];

    /// Found by the property below once the one link extractor (pulldown-cmark) met the
    /// incremental parse: inlines reach across the lines of a paragraph.
    #[test]
    fn an_edit_reparses_its_whole_paragraph() {
        for (text, at, insert) in [
            ("<!-- turn: user -->\n    ```indented\n`[e](e.md)` code span\n", 39, "`"),
            ("Some words here.\n    ```indented\né ü 中文 [f](f/ü.md)\n    ```indented\n", 33, "x"),
            ("<!-- turn: user -->\nA [ref][d] link\nmore\n\n[d]: d.md\n", 36, "s"),
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
            // A reference definition anywhere sends every edit the long way, by design.
            let text = text.replace("[d]: d.md\n", "");
            let text = format!("---\nid: x\n---\n<!-- turn: user -->\nSome words [a](a.md) here.\n{text}");
            let old_doc = SessionDoc::parse(&text);
            // Only inside the first user turn's prose line, which is never structural.
            let line = text.find("Some words").unwrap();
            let mut start = line + at.index("Some words [a](a.md) here.".len() + 1);
            while !text.is_char_boundary(start) {
                start -= 1;
            }
            let new_text = format!("{}{}{}", &text[..start], insert, &text[start..]);
            let incremental = try_reparse(&text, Cow::Borrowed(&old_doc), &new_text);
            prop_assert!(incremental.is_some(), "fell back to a full parse: {:?}", new_text);
            prop_assert_eq!(shape(&incremental.unwrap()), shape(&SessionDoc::parse(&new_text)));
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2000))]

        /// The `[`-driven scan agrees with reading every line.
        #[test]
        fn reference_definitions_found_as_line_by_line(text in "[ \\[\\]:a\n]{0,40}") {
            let by_lines = text.split('\n').any(|line| {
                let rest = line.trim_start_matches(' ');
                line.len() - rest.len() <= 3 && rest.starts_with('[') && rest.contains("]:")
            });
            prop_assert_eq!(may_define_references(&text), by_lines, "{:?}", text);
        }
    }

    #[test]
    fn a_keystroke_in_prose_reuses_the_structure() {
        let text = "---\nid: x\n---\n<!-- turn: user -->\nhello [a](a.md)\n<!-- turn: assistant -->\nreply\n";
        let old = SessionDoc::parse(text);
        let new_text = text.replace("hello", "hellow");
        assert!(try_reparse(text, Cow::Borrowed(&old), &new_text).is_some(), "prose edits need no full parse");
        let marker = text.replace("turn: user", "turn: usr");
        assert!(try_reparse(text, Cow::Borrowed(&old), &marker).is_none(), "marker edits do");
    }
}
