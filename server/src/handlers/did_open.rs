//! `textDocument/didOpen`: keep the buffer; diagnose it.

use tower_lsp_server::ls_types::DidOpenTextDocumentParams;

use crate::lsp::Backend;
use crate::lsp::state::OpenDoc;

pub fn did_open(backend: &Backend, params: DidOpenTextDocumentParams) {
    let doc = params.text_document;
    {
        let mut state = backend.state();
        state.docs.insert(doc.uri.clone(), OpenDoc::new(doc.uri.clone(), &doc.text, doc.version));
    }
    super::diagnostics::schedule(backend, doc.uri, true);
}
