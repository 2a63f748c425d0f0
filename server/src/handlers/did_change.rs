//! `textDocument/didChange`: apply the edits in order, then debounce diagnostics.
//!
//! The edit is applied under the lock before anything awaits, which is what keeps a burst
//! of keystrokes in the order the client sent them (tower-lsp-server runs handlers
//! concurrently).

use tower_lsp_server::ls_types::DidChangeTextDocumentParams;

use crate::lsp::Backend;

pub fn did_change(backend: &Backend, params: DidChangeTextDocumentParams) {
    let uri = params.text_document.uri;
    {
        let mut state = backend.state();
        let unit = state.unit;
        let Some(doc) = state.docs.get_mut(&uri) else { return };
        for change in &params.content_changes {
            doc.apply(change, unit);
        }
        doc.version = params.text_document.version;
    }
    super::diagnostics::schedule(backend, uri, false);
}
