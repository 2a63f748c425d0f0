//! One module per LSP method: convert the params, call the core, convert the result.

pub mod code_action;
pub mod code_lens;
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
pub mod references;
pub mod rename;
pub mod watched_files;
pub mod workspace_diagnostic;
pub mod workspace_symbol;

use std::sync::Arc;

use tower_lsp_server::ls_types::Uri;

use crate::lsp::Backend;
use crate::lsp::state::DocSnapshot;

/// The snapshot of an open document, or `None` for an unknown URI.
pub(crate) fn snapshot(backend: &Backend, uri: &Uri) -> Option<Arc<DocSnapshot>> {
    backend.state().snapshot(uri)
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
