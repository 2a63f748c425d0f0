//! `workspace/symbol`: skills and sessions by name, title and description, fuzzy, with
//! the volume in the detail.

use llmos_engine::search::HitKind;
use tower_lsp_server::ls_types::*;

use crate::lsp::Backend;
use crate::lsp::convert::path_to_uri;

const MAX_SYMBOLS: usize = 256;

#[allow(deprecated)] // `deprecated` is a required field of SymbolInformation
pub fn symbol(backend: &Backend, params: WorkspaceSymbolParams) -> Option<WorkspaceSymbolResponse> {
    let hits = llmos_engine::search::search(&backend.ws_read().index, &params.query, MAX_SYMBOLS);
    let symbols = hits
        .into_iter()
        .filter_map(|hit| {
            let (kind, what) = match hit.kind {
                HitKind::Skill => (SymbolKind::MODULE, "skill"),
                HitKind::Session => (SymbolKind::FILE, "session"),
            };
            Some(SymbolInformation {
                name: hit.name,
                kind,
                tags: None,
                deprecated: None,
                location: Location { uri: path_to_uri(&hit.path)?, range: Range::default() },
                container_name: Some(format!("{} {what}", hit.volume)),
            })
        })
        .collect();
    Some(WorkspaceSymbolResponse::Flat(symbols))
}
