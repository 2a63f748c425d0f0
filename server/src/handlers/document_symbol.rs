//! `textDocument/documentSymbol`: a skill is one symbol; a session lists its turns
//! ("User: Create a VQE…").

use llmos_documents::{SessionDoc, SkillDoc};
use llmos_workspace::DocKind;
use tower_lsp_server::ls_types::*;

use crate::lsp::Backend;

#[allow(deprecated)] // `deprecated` is a required field of DocumentSymbol
fn symbol(name: String, detail: Option<String>, kind: SymbolKind, range: Range, selection: Range, children: Option<Vec<DocumentSymbol>>) -> DocumentSymbol {
    DocumentSymbol { name, detail, kind, tags: None, deprecated: None, range, selection_range: selection, children }
}

pub fn document_symbol(backend: &Backend, params: DocumentSymbolParams) -> Option<DocumentSymbolResponse> {
    let super::OpenDocument { snap, path, kind, unit } = super::open_document(backend, &params.text_document.uri)?;
    let conv = snap.conv(unit);
    let text = &snap.text;
    let whole = conv.range(&(0..text.len()));
    let symbols = match kind {
        DocKind::Skill => {
            let doc = SkillDoc::parse(text);
            let name_range = doc.frontmatter.value("name").map(|v| conv.range(&v.span)).unwrap_or(whole);
            let name = doc
                .name()
                .filter(|n| !n.is_empty())
                .map(str::to_string)
                .or_else(|| llmos_documents::lint::expected_skill_name(&path))
                .unwrap_or_else(|| "skill".into());
            vec![symbol(name, doc.description().map(|d| d.chars().take(80).collect()), SymbolKind::MODULE, whole, name_range, None)]
        }
        DocKind::Session => {
            let doc = SessionDoc::parse(text);
            doc.turns
                .iter()
                .map(|t| {
                    let role = t.role.map_or(t.role_text.as_str(), |r| r.title());
                    let first_line = t.text(text).lines().map(str::trim).find(|l| !l.is_empty()).unwrap_or("(empty)");
                    let summary: String = first_line.chars().take(60).collect();
                    let ellipsis = if first_line.chars().count() > 60 { "…" } else { "" };
                    let mut title = role.to_string();
                    if let Some(first) = title.get_mut(0..1) {
                        first.make_ascii_uppercase();
                    }
                    symbol(
                        format!("{title}: {summary}{ellipsis}"),
                        t.attr("model").map(str::to_string),
                        SymbolKind::EVENT,
                        conv.range(&(t.marker.start..t.content.end)),
                        conv.range(&t.marker),
                        None,
                    )
                })
                .collect()
        }
        DocKind::Config => return None,
    };
    Some(DocumentSymbolResponse::Nested(symbols))
}
