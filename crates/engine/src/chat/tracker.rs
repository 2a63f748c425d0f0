//! Where a streamed reply stands in an open document, learned from the editor's own
//! didChange notifications rather than from its answers to `workspace/applyEdit`.
//!
//! Real editors do not keep the applyEdit contract: Neovim skips an edit whose version
//! is older than the buffer yet answers `applied: true`; VS Code can apply an edit
//! computed for an older version at its stale position and answer `applied: true`;
//! eglot sends the didChange for an applied edit late. So the server's mirror of the
//! document is the truth. The tracker sees every content change in order (under the
//! state lock, with the text before the change) and keeps:
//! - the anchor, where the next reply text belongs, moved through the user's edits;
//! - the reply text not yet seen in place, which the writer (re)sends at the anchor;
//! - our own text seen anywhere else (a stale or duplicated edit), to be removed.
//!
//! Positions are char indices into the document's rope.

use std::ops::Range;

use ropey::Rope;

/// How far apart a reported insertion and the anchor may be and still be the same
/// insertion (editors that diff lines report `\n` + `\n` at either end).
const SLIDE_LIMIT: usize = 4096;

#[derive(Debug, Default)]
pub struct ReplyTracker {
    /// Where the next reply text goes.
    pub anchor: usize,
    /// Reply text not yet seen in place, in order.
    pub queue: String,
    /// The text of the edit sent last, until its didChange is seen.
    pub inflight: Option<String>,
    /// Text sent earlier whose didChange never came (a client that answered `applied`
    /// but skipped the edit, or is late). If it still arrives where it belongs it counts,
    /// anywhere else it is removed.
    pub stale: Vec<String>,
    /// Our text found in the wrong place: the next edit deletes these ranges.
    pub misplaced: Vec<Range<usize>>,
    /// Reply text seen in place so far.
    pub placed: String,
}

impl ReplyTracker {
    pub fn new(anchor: usize) -> Self {
        Self { anchor, ..Self::default() }
    }

    /// True when everything queued is in place and nothing is left to clean up.
    pub fn settled(&self) -> bool {
        self.queue.is_empty() && self.inflight.is_none() && self.misplaced.is_empty()
    }

    /// Records one content change: `start..end` (chars, in `before`) replaced by `text`.
    pub fn observe(&mut self, before: &Rope, start: usize, end: usize, text: &str) {
        // Editors that diff whole lines (Neovim) report an insertion as the replacement
        // of a line break by a longer text: reduce it to what really changed.
        let (start, end, text) = minimal_change(before, start, end, text);
        let text = text.as_str();
        let len = text.chars().count();
        if start == end && len > 0 {
            // Ours, where it belongs?
            let candidates = self.inflight.iter().chain(self.stale.iter()).cloned().collect::<Vec<_>>();
            let at_end = start == before.len_chars() && self.anchor == start;
            for sent in &candidates {
                if !self.queue.starts_with(sent.as_str()) {
                    continue;
                }
                if same_insertion(before, start, text, self.anchor, sent) {
                    self.place(sent);
                    return;
                }
                // Appended at the very end by an editor whose buffer always ends in a
                // line break (Neovim, Emacs with require-final-newline): ours, plus "\n".
                if at_end && text.strip_prefix(sent.as_str()) == Some("\n") {
                    self.place(sent);
                    self.shift(self.anchor, self.anchor, 1);
                    return;
                }
            }
            // Ours, somewhere else (a stale position, or a duplicate): remove it later.
            if let Some(sent) = candidates.iter().find(|s| s.as_str() == text) {
                self.forget_sent(sent);
                self.shift(start, end, len);
                self.misplaced.push(start..start + len);
                return;
            }
        }
        self.shift(start, end, len);
    }

    /// The whole text replaced (a client syncing full text): reduced to the one range
    /// that changed.
    pub fn observe_full(&mut self, before: &Rope, after: &str) {
        let old = before.to_string();
        let prefix = old.chars().zip(after.chars()).take_while(|(a, b)| a == b).count();
        let old_len = old.chars().count();
        let new_len = after.chars().count();
        let max_suffix = old_len.min(new_len) - prefix;
        let suffix = old.chars().rev().zip(after.chars().rev()).take(max_suffix).take_while(|(a, b)| a == b).count();
        let inserted: String = after.chars().skip(prefix).take(new_len - prefix - suffix).collect();
        self.observe(before, prefix, old_len - suffix, &inserted);
    }

    fn place(&mut self, sent: &str) {
        let len = sent.chars().count();
        let at = self.anchor;
        // The document now reads as if `sent` was inserted at the anchor.
        for r in &mut self.misplaced {
            if r.start >= at {
                *r = r.start + len..r.end + len;
            }
        }
        self.anchor = at + len;
        self.queue.drain(..sent.len());
        self.placed.push_str(sent);
        self.forget_sent(sent);
    }

    fn forget_sent(&mut self, sent: &str) {
        if self.inflight.as_deref() == Some(sent) {
            self.inflight = None;
        } else if let Some(i) = self.stale.iter().position(|s| s == sent) {
            self.stale.remove(i);
        }
    }

    /// Moves positions through an edit that is not ours. Text typed exactly at the
    /// anchor stays after the reply (it becomes part of the next user turn).
    fn shift(&mut self, start: usize, end: usize, len: usize) {
        let map = |p: usize| {
            if p <= start {
                p
            } else if p >= end {
                p - (end - start) + len
            } else {
                start + len
            }
        };
        self.anchor = map(self.anchor);
        for r in &mut self.misplaced {
            let s = if r.start == start && start == end { r.start + len } else { map(r.start) };
            let e = map(r.end).max(s);
            *r = s..e;
        }
        self.misplaced.retain(|r| !r.is_empty());
    }
}

/// `start..end` replaced by `text`, without the characters that stay the same at
/// either end.
fn minimal_change(before: &Rope, start: usize, end: usize, text: &str) -> (usize, usize, String) {
    let end = end.min(before.len_chars());
    let start = start.min(end);
    if start == end {
        return (start, end, text.to_string());
    }
    let old: Vec<char> = before.slice(start..end).chars().collect();
    let new: Vec<char> = text.chars().collect();
    let prefix = old.iter().zip(&new).take_while(|(a, b)| a == b).count();
    let old_rest = old.get(prefix..).unwrap_or_default();
    let new_rest = new.get(prefix..).unwrap_or_default();
    let suffix = old_rest.iter().rev().zip(new_rest.iter().rev()).take_while(|(a, b)| a == b).count();
    let middle = new_rest.get(..new_rest.len() - suffix).unwrap_or_default();
    (start + prefix, end - suffix, middle.iter().collect())
}

/// Whether inserting `text` at `at` gives the same document as inserting `sent` at
/// `anchor` (the same insertion reported at another spot of a repeated run of text).
fn same_insertion(before: &Rope, at: usize, text: &str, anchor: usize, sent: &str) -> bool {
    if text.len() != sent.len() {
        return false;
    }
    if at == anchor {
        return text == sent;
    }
    let (lo, hi) = (at.min(anchor), at.max(anchor));
    if hi - lo > SLIDE_LIMIT || hi > before.len_chars() {
        return false;
    }
    let between = before.slice(lo..hi).to_string();
    if anchor < at { format!("{between}{text}") == format!("{sent}{between}") } else { format!("{text}{between}") == format!("{between}{sent}") }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Applies an insertion to both a string and the tracker.
    fn insert(doc: &mut String, t: &mut ReplyTracker, at_char: usize, text: &str) {
        let rope = Rope::from_str(doc);
        t.observe(&rope, at_char, at_char, text);
        let byte = rope.char_to_byte(at_char);
        doc.insert_str(byte, text);
    }

    #[test]
    fn own_text_at_the_anchor_is_placed_and_user_text_moves_the_anchor() {
        let mut doc = String::from("prompt\n");
        let mut t = ReplyTracker::new(doc.chars().count());
        t.queue.push_str("w0 ");
        t.inflight = Some("w0 ".into());
        insert(&mut doc, &mut t, 0, "TYPED\n");
        assert_eq!(t.anchor, 13);
        insert(&mut doc, &mut t, 13, "w0 ");
        assert!(t.settled());
        assert_eq!(t.placed, "w0 ");
        assert_eq!(t.anchor, 16);
    }

    #[test]
    fn own_text_elsewhere_is_marked_for_removal_and_requeued() {
        let mut doc = String::from("prompt\n");
        let mut t = ReplyTracker::new(7);
        t.queue.push_str("w0 ");
        t.inflight = Some("w0 ".into());
        insert(&mut doc, &mut t, 0, "TYPED\n");
        // VS Code applied the edit at its stale position (char 7 of the new text)
        insert(&mut doc, &mut t, 7, "w0 ");
        assert_eq!(&doc, "TYPED\npw0 rompt\n");
        assert_eq!(t.misplaced, vec![7..10]);
        assert_eq!(t.queue, "w0 ");
        assert!(t.inflight.is_none());
        assert_eq!(t.anchor, 16);
    }

    #[test]
    fn a_line_replacement_that_only_adds_text_is_an_insertion() {
        // Neovim appends "X" at the end of "a\n" as: replace "\n" by "\nX\n".
        let doc = String::from("a\n");
        let mut t = ReplyTracker::new(2);
        t.queue.push('X');
        t.inflight = Some("X".into());
        t.observe(&Rope::from_str(&doc), 1, 2, "\nX\n");
        assert!(t.settled(), "{t:?}");
        assert_eq!(t.anchor, 3, "the reply continues before the editor's final line break");
        assert_eq!(minimal_change(&Rope::from_str("abc"), 0, 3, "abXc"), (2, 2, "X".to_string()));
        assert_eq!(minimal_change(&Rope::from_str("abc"), 0, 3, "ac"), (1, 2, String::new()));
    }

    #[test]
    fn an_insertion_reported_at_a_slid_position_is_the_same() {
        let mut doc = String::from("a\n");
        let mut t = ReplyTracker::new(2);
        t.queue.push_str("\nb");
        t.inflight = Some("\nb".into());
        // the editor reports "\n" + "b" as inserted one char earlier: "a" + "\nb"... same text
        let rope = Rope::from_str(&doc);
        t.observe(&rope, 1, 1, "\n\n");
        assert!(t.queue == "\nb", "different text is not ours");
        let mut t = ReplyTracker::new(2);
        t.queue.push('\n');
        t.inflight = Some("\n".into());
        t.observe(&rope, 1, 1, "\n");
        assert!(t.settled());
        doc.push('\n');
        assert_eq!(t.anchor, 3);
    }
}
