//! `textDocument/foldingRange`: the frontmatter block and each turn.

use llmos_documents::{SessionDoc, frontmatter};
use llmos_workspace::DocKind;
use tower_lsp_server::ls_types::*;

use crate::lsp::Backend;

pub fn folding_range(backend: &Backend, params: FoldingRangeParams) -> Option<Vec<FoldingRange>> {
    let super::OpenDocument { snap, kind, unit, .. } = super::open_document(backend, &params.text_document.uri)?;
    let conv = snap.conv(unit);
    let text = &snap.text;
    let line = |offset: usize| conv.position(offset).line;
    let mut out = Vec::new();
    let mut fold = |start: u32, end: u32, kind: Option<FoldingRangeKind>| {
        if end > start {
            out.push(FoldingRange { start_line: start, start_character: None, end_line: end, end_character: None, kind, collapsed_text: None });
        }
    };
    if let Some(block) = frontmatter::split(text) {
        let end = block.close.as_ref().map_or(text.len(), |c| c.start);
        fold(line(block.open.start), line(end), Some(FoldingRangeKind::Region));
    }
    if kind == DocKind::Session {
        let doc = SessionDoc::parse(text);
        for t in &doc.turns {
            let end = text.get(..t.content.end).unwrap_or(text).trim_end().len().max(t.marker.end);
            fold(line(t.marker.start), line(end), Some(FoldingRangeKind::Region));
        }
    }
    Some(out)
}
