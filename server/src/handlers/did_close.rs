//! `textDocument/didClose`: forget the buffer; the index falls back to the file on disk.

use tower_lsp_server::ls_types::DidCloseTextDocumentParams;

use crate::lsp::Backend;
use crate::lsp::convert::uri_to_path;

pub async fn did_close(backend: &Backend, params: DidCloseTextDocumentParams) {
    let uri = params.text_document.uri;
    let pull = {
        let mut state = backend.state();
        state.docs.remove(&uri);
        state.client.pull_diagnostics
    };
    let mut names_changed = false;
    if let Some(path) = uri_to_path(&uri) {
        // The buffer may have held unsaved text; the index must describe the disk again.
        names_changed = super::watched_files::reindex_from_disk(backend, &path);
    }
    super::workspace_diagnostic::document_closed(backend, &uri, names_changed);
    if !pull {
        backend.client.publish_diagnostics(uri, Vec::new(), None).await;
    }
}
