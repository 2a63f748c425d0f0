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
        Self { uri, path, rope: Rope::from_str(text), version, generation: 0, snapshot: None, reply: None, linted: None, parsed: None }
    }

    /// Applies one content change. Ranges past the end clamp to the end.
    pub fn apply(&mut self, change: &lsp::TextDocumentContentChangeEvent, unit: ColumnUnit) {
        self.snapshot = None;
        self.generation += 1;
        match change.range {
            None => {
                if let Some(reply) = &mut self.reply {
                    reply.observe_full(&self.rope, &change.text);
                }
                self.rope = Rope::from_str(&change.text)
            }
            Some(range) => {
                let start = self.char_index(range.start, unit);
                let end = self.char_index(range.end, unit).max(start);
                if let Some(reply) = &mut self.reply {
                    reply.observe(&self.rope, start, end, &change.text);
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
        let text = self.rope.to_string();
        let index = LineIndex::new(&text);
        let snap = Arc::new(DocSnapshot { uri: self.uri.clone(), path: self.path.clone(), text, index, version: self.version, generation: self.generation });
        self.snapshot = Some(snap.clone());
        snap
    }
}

impl State {
    pub fn snapshot(&mut self, uri: &Uri) -> Option<Arc<DocSnapshot>> {
        self.docs.get_mut(uri).map(OpenDoc::snapshot)
    }
}
