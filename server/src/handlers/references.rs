//! `textDocument/references`: from a skill (its `name:` or a pinned reference) to every
//! session that pins or links it, across volumes (`llmos_engine::references`).

use llmos_engine::references::{sessions_naming, skill_name_at, uses_in};
use tower_lsp_server::ls_types::*;

use crate::lsp::Backend;
use crate::lsp::convert::{PosConv, path_to_uri};

pub fn references(backend: &Backend, params: ReferenceParams) -> Option<Vec<Location>> {
    let pos = params.text_document_position;
    let doc = super::open_document(backend, &pos.text_document.uri)?;
    let offset = doc.offset(pos.position);
    let (name, _) = skill_name_at(doc.kind, &doc.snap.text, &doc.path, offset, true)?;
    let (sessions, declaration) = {
        let ws = backend.ws_read();
        (sessions_naming(&ws.index, &name), ws.index.resolve_skill(&name).map(|s| s.path.clone()))
    };
    let mut out = Vec::new();
    for file in uses_in(sessions, &name, |p| super::buffer_or_disk(backend, p)) {
        let Some(uri) = path_to_uri(&file.path) else { continue };
        let line_index = llmos_documents::LineIndex::new(&file.text);
        let conv = PosConv { text: &file.text, index: &line_index, unit: doc.unit };
        let mut ranges: Vec<std::ops::Range<usize>> = file.uses.into_iter().map(|(r, _)| r).collect();
        if ranges.is_empty() {
            ranges.push(0..0);
        }
        out.extend(ranges.into_iter().map(|r| Location { uri: uri.clone(), range: conv.range(&r) }));
    }
    if params.context.include_declaration
        && let Some(skill) = declaration
        && let Some(uri) = path_to_uri(&skill)
    {
        out.insert(0, Location { uri, range: Range::default() });
    }
    Some(out)
}
