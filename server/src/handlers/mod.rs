//! One module per LSP method: convert the params, call the core, convert the result.

pub mod code_action;
pub mod code_lens;
pub mod command_progress;
pub mod completion;
pub mod configuration;
pub mod definition;
pub mod diagnostics;
pub mod did_change;
pub mod did_close;
pub mod did_open;
pub mod did_save;
pub mod document_symbol;
pub mod folding_range;
pub mod hover;
pub mod initialize;
pub mod provider_check;
pub mod references;
pub mod rename;
pub mod watched_files;
pub mod workspace_diagnostic;
pub mod workspace_symbol;

use std::sync::Arc;

use tower_lsp_server::ls_types::Uri;

use crate::lsp::Backend;
use crate::lsp::state::DocSnapshot;

/// The snapshot of an open document for a feature request, or `None` for an unknown URI
/// or a document over the size cap (see [`over_cap`]): hover, completion, symbols and
/// the rest would parse it whole on every request.
pub(crate) fn snapshot(backend: &Backend, uri: &Uri) -> Option<Arc<DocSnapshot>> {
    if over_cap(backend, uri).is_some() {
        return None;
    }
    backend.state().snapshot(uri)
}

/// `(bytes, cap)` when the open document behind `uri` is larger than `max_file_size`, the
/// cap `llmos check` and every file read use (`workspace::bounded`). The editor owns the
/// text, so the server keeps it (edits still apply), but parses, lints and indexes none of
/// it: the length comes from the rope, without copying the text out.
pub(crate) fn over_cap(backend: &Backend, uri: &Uri) -> Option<(usize, u64)> {
    let len = backend.state().docs.get(uri)?.rope.len_bytes();
    let cap = backend.ws_read().config.max_file_size;
    (len as u64 > cap).then_some((len, cap))
}

/// The kind of document at `path`: by its place in a volume, or a lone `SKILL.md`.
pub(crate) fn doc_kind(backend: &Backend, path: &std::path::Path) -> Option<llmos_workspace::DocKind> {
    backend.ws_read().kind_of(path).or_else(|| (path.file_name()? == "SKILL.md").then_some(llmos_workspace::DocKind::Skill))
}

/// An open llmos document: its snapshot, path, kind and the client's column unit.
pub(crate) struct OpenDocument {
    pub snap: Arc<DocSnapshot>,
    pub path: std::path::PathBuf,
    pub kind: llmos_workspace::DocKind,
    pub unit: llmos_documents::line_index::ColumnUnit,
}

/// The open document behind `uri`, when it is a skill, session or llmos.toml.
pub(crate) fn open_document(backend: &Backend, uri: &Uri) -> Option<OpenDocument> {
    let snap = snapshot(backend, uri)?;
    let path = snap.path.clone()?;
    let kind = doc_kind(backend, &path)?;
    let unit = backend.state().unit;
    Some(OpenDocument { snap, path, kind, unit })
}

/// A file's text as the user sees it: the open buffer (with its version) when there is
/// one, else the file on disk. References and rename read through this.
pub(crate) fn buffer_or_disk(backend: &Backend, path: &std::path::Path) -> Option<(String, Option<i32>)> {
    {
        let mut state = backend.state();
        if let Some(doc) = state.docs.values_mut().find(|d| d.path.as_deref() == Some(path)) {
            let snap = doc.snapshot();
            return Some((snap.text.clone(), Some(snap.version)));
        }
    }
    llmos_workspace::bounded::read_text(path, llmos_workspace::bounded::DEFAULT_MAX_BYTES).ok().map(|t| (t, None))
}

impl OpenDocument {
    /// The byte offset of an LSP position in this document.
    pub fn offset(&self, position: tower_lsp_server::ls_types::Position) -> usize {
        self.snap.conv(self.unit).offset(position)
    }
}
