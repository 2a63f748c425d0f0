//! Server state: open documents and the workspace index.
//!
//! Mutations (didOpen/didChange/didClose, file events) take the lock, finish, and only
//! then await anything, so edits apply in the order the client sent them. Requests take
//! a [`DocSnapshot`] and work without the lock.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;

use llmos_documents::line_index::ColumnUnit;
use llmos_documents::{Diagnostic, LineIndex, Profile};

use ropey::Rope;
use tower_lsp_server::ls_types::{self as lsp, Uri};

pub use llmos_engine::Workspace;

use super::convert::{PosConv, uri_to_path};

/// A document the editor has open.
pub struct OpenDoc {
    pub uri: Uri,
    pub path: Option<PathBuf>,
    pub rope: Rope,
    pub version: i32,
    /// Bumped on every change; a debounced diagnostics run only publishes when it still
    /// matches.
    pub generation: u64,
    snapshot: Option<Arc<DocSnapshot>>,
    /// The last snapshot taken and the bytes changed since (`start`, its `old_end`, and
    /// the `new_end` in the current text), so the next snapshot copies the old text
    /// around the edit and shifts its line index instead of rebuilding both from the rope.
    previous: Option<(Arc<DocSnapshot>, Option<ByteChange>)>,
    /// The reply streaming into this document, if any: sees every change in order.
    pub reply: Option<llmos_engine::chat::tracker::ReplyTracker>,
    /// The diagnostics of one generation, so a pull, a push and code actions on the same
    /// version share one lint. Dropped when the index or config changes under it.
    pub linted: Option<Arc<Linted>>,
    /// The last parse of this session and the text it was made from, which the next
    /// edit's parse starts from.
    pub parsed: Option<(Arc<DocSnapshot>, Arc<llmos_documents::SessionDoc>)>,
}

/// Diagnostics computed for one generation of a document.
pub struct Linted {
    pub generation: u64,
    /// With their fixes, for code actions.
    pub core: Vec<Diagnostic>,
    pub lsp: Vec<lsp::Diagnostic>,
}

/// An immutable copy of a document for requests and background work.
pub struct DocSnapshot {
    pub uri: Uri,
    pub path: Option<PathBuf>,
    pub text: String,
    pub index: LineIndex,
    pub version: i32,
    pub generation: u64,
}

impl DocSnapshot {
    pub fn conv(&self, unit: ColumnUnit) -> PosConv<'_> {
        PosConv { text: &self.text, index: &self.index, unit }
    }
}

pub struct State {
    pub docs: HashMap<Uri, OpenDoc>,
    pub unit: ColumnUnit,
    pub profile_override: Option<Profile>,
    pub debounce_ms: u64,
    /// Whether due evolution jobs run by themselves.
    pub scheduler: bool,
    /// Settings from the editor (initializationOptions, didChangeConfiguration) that
    /// override llmos.toml for this session.
    pub editor_settings: serde_json::Value,
    /// Client capabilities that change how we answer.
    pub client: ClientCaps,
    /// How many times a document was linted (shown by `llmos/status`, so tests can tell
    /// a keystroke linted once from one linted twice).
    pub lint_runs: u64,
}

#[derive(Default, Clone)]
pub struct ClientCaps {
    pub markdown_images: bool,
    pub dynamic_watchers: bool,
    pub work_done_progress: bool,
    pub show_document: bool,
    pub code_lens_refresh: bool,
    pub pull_diagnostics: bool,
    /// `workspace.applyEdit`: whether a reply can stream into an open buffer.
    pub apply_edit: bool,
}

impl Default for State {
    fn default() -> Self {
        Self {
            docs: HashMap::new(),
            unit: ColumnUnit::Utf16,
            profile_override: None,
            debounce_ms: 80,
            scheduler: true,
            editor_settings: serde_json::Value::Null,
            client: ClientCaps::default(),
            lint_runs: 0,
        }
    }
}

impl OpenDoc {
    pub fn new(uri: Uri, text: &str, version: i32) -> Self {
        let path = uri_to_path(&uri);
        Self { uri, path, rope: Rope::from_str(text), version, generation: 0, snapshot: None, previous: None, reply: None, linted: None, parsed: None }
    }

    /// Applies one content change. Ranges past the end clamp to the end.
    pub fn apply(&mut self, change: &lsp::TextDocumentContentChangeEvent, unit: ColumnUnit) {
        if let Some(snap) = self.snapshot.take() {
            self.previous = Some((snap, None));
        }
        self.generation += 1;
        match change.range {
            None => {
                if let Some(reply) = &mut self.reply {
                    reply.observe_full(&self.rope, &change.text);
                }
                self.previous = None;
                self.rope = Rope::from_str(&change.text)
            }
            Some(range) => {
                let start = self.char_index(range.start, unit);
                let end = self.char_index(range.end, unit).max(start);
                if let Some(reply) = &mut self.reply {
                    reply.observe(&self.rope, start, end, &change.text);
                }
                if let Some((_, since)) = &mut self.previous {
                    let edit = ByteChange::edit(self.rope.char_to_byte(start), self.rope.char_to_byte(end), change.text.len());
                    *since = Some(since.map_or(edit, |before| before.then(edit)));
                }
                self.rope.remove(start..end);
                self.rope.insert(start, &change.text);
            }
        }
    }

    /// The char index of an LSP position, clamped to the line and the document.
    fn char_index(&self, pos: lsp::Position, unit: ColumnUnit) -> usize {
        let line = pos.line as usize;
        if line >= self.rope.len_lines() {
            return self.rope.len_chars();
        }
        let line_start = self.rope.line_to_char(line);
        let line_slice = self.rope.line(line);
        // Length without the line break.
        let mut line_len = line_slice.len_chars();
        while line_len > 0 && matches!(line_slice.char(line_len - 1), '\n' | '\r') {
            line_len -= 1;
        }
        let col = pos.character as usize;
        let chars = match unit {
            ColumnUnit::Chars => col,
            ColumnUnit::Utf16 => {
                let base = self.rope.char_to_utf16_cu(line_start);
                let target = base + col;
                let end_cu = self.rope.char_to_utf16_cu(line_start + line_len);
                if target >= end_cu { line_len } else { self.rope.utf16_cu_to_char(target) - line_start }
            }
            ColumnUnit::Utf8 => {
                let base = self.rope.char_to_byte(line_start);
                let end_b = self.rope.char_to_byte(line_start + line_len);
                let target = base + col;
                if target >= end_b { line_len } else { self.rope.byte_to_char(target) - line_start }
            }
        };
        line_start + chars.min(line_len)
    }

    pub fn snapshot(&mut self) -> Arc<DocSnapshot> {
        if let Some(s) = &self.snapshot {
            return s.clone();
        }
        let (text, index) = match self.previous.take() {
            Some((prev, Some(change))) => change.apply(&prev, &self.rope).unwrap_or_else(|| self.fresh_text()),
            Some((prev, None)) => (prev.text.clone(), prev.index.clone()),
            None => self.fresh_text(),
        };
        let snap = Arc::new(DocSnapshot { uri: self.uri.clone(), path: self.path.clone(), text, index, version: self.version, generation: self.generation });
        self.snapshot = Some(snap.clone());
        snap
    }
}

impl OpenDoc {
    fn fresh_text(&self) -> (String, LineIndex) {
        let text = self.rope.to_string();
        let index = LineIndex::new(&text);
        (text, index)
    }
}

/// Bytes `start..old_end` of one text became `start..new_end` of the next.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct ByteChange {
    start: usize,
    old_end: usize,
    new_end: usize,
}

impl ByteChange {
    fn edit(start: usize, end: usize, inserted: usize) -> Self {
        Self { start, old_end: end, new_end: start + inserted }
    }

    /// One change covering `self` and then `next` (whose offsets are in the text after
    /// `self`).
    fn then(self, next: ByteChange) -> Self {
        let start = self.start.min(next.start);
        // The first offset, in the text between the two, after which nothing changed.
        let hi = self.new_end.max(next.old_end);
        Self { start, old_end: hi - self.new_end + self.old_end, new_end: hi - next.old_end + next.new_end }
    }

    /// The text and line index after this change: `prev` around it, the rope inside it.
    /// `None` when the offsets do not fit (then the caller copies the whole rope).
    fn apply(self, prev: &DocSnapshot, rope: &Rope) -> Option<(String, LineIndex)> {
        if prev.text.len() - self.old_end.min(prev.text.len()) + self.new_end != rope.len_bytes() || self.start > self.new_end {
            return None;
        }
        let mut text = String::with_capacity(rope.len_bytes());
        text.push_str(prev.text.get(..self.start)?);
        for chunk in rope.get_byte_slice(self.start..self.new_end)?.chunks() {
            text.push_str(chunk);
        }
        text.push_str(prev.text.get(self.old_end..)?);
        let index = prev.index.edited(&text, self.start, self.old_end, self.new_end);
        Some((text, index))
    }
}
impl State {
    pub fn snapshot(&mut self, uri: &Uri) -> Option<Arc<DocSnapshot>> {
        self.docs.get_mut(uri).map(OpenDoc::snapshot)
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    /// (line, UTF-16 column) of a byte offset, counted by hand on a plain `String`
    /// (the texts here break lines with `\n` only).
    fn position(text: &str, offset: usize) -> lsp::Position {
        let before = &text[..offset];
        let line_start = before.rfind('\n').map_or(0, |i| i + 1);
        lsp::Position::new(before.matches('\n').count() as u32, before[line_start..].encode_utf16().count() as u32)
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(300))]

        /// Snapshots built from the last one plus the edits since equal the text edited
        /// by hand, and their line index equals one built afresh.
        #[test]
        fn incremental_snapshots_equal_the_edited_text(
            text in "[ab\n é😀]{0,30}",
            edits in prop::collection::vec((any::<prop::sample::Index>(), 0usize..4, "[xy\n é]{0,3}", any::<bool>()), 1..12),
        ) {
            let uri: Uri = "file:///w/s.md".parse().unwrap();
            let mut doc = OpenDoc::new(uri, &text, 1);
            let mut expected = text.clone();
            let _ = doc.snapshot();
            for (at, len, insert, snapshot) in edits {
                let mut start = at.index(expected.len() + 1);
                while !expected.is_char_boundary(start) {
                    start -= 1;
                }
                let mut end = (start + len).min(expected.len());
                while !expected.is_char_boundary(end) {
                    end += 1;
                }
                let range = lsp::Range::new(position(&expected, start), position(&expected, end));
                doc.apply(&lsp::TextDocumentContentChangeEvent { range: Some(range), range_length: None, text: insert.clone() }, ColumnUnit::Utf16);
                expected.replace_range(start..end, &insert);
                if snapshot {
                    // The incremental path itself, not the full copy it falls back to.
                    let (prev, change) = doc.previous.clone().expect("a snapshot was taken before");
                    let (text, _) = change.and_then(|c| c.apply(&prev, &doc.rope)).expect("the edits since fit the last snapshot");
                    prop_assert_eq!(&text, &expected);
                    let snap = doc.snapshot();
                    prop_assert_eq!(&snap.text, &expected);
                    prop_assert_eq!(format!("{:?}", snap.index), format!("{:?}", LineIndex::new(&expected)));
                }
            }
            let snap = doc.snapshot();
            prop_assert_eq!(&snap.text, &expected);
            prop_assert_eq!(format!("{:?}", snap.index), format!("{:?}", LineIndex::new(&expected)));
        }
    }
}
