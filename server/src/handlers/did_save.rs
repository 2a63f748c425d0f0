//! `textDocument/didSave`: a saved `llmos.toml` reloads the configuration.

use tower_lsp_server::ls_types::DidSaveTextDocumentParams;

use crate::lsp::Backend;
use crate::lsp::convert::uri_to_path;

pub fn did_save(backend: &Backend, params: DidSaveTextDocumentParams) {
    let Some(path) = uri_to_path(&params.text_document.uri) else { return };
    if path.file_name().is_some_and(|f| f == llmos_workspace::config::FILE_NAME) {
        super::watched_files::reload_config(backend);
    }
}
