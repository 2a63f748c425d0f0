//! `textDocument/completion`: the engine's candidates (`llmos_engine::complete`) as
//! completion items.

use llmos_engine::complete::{Candidate, CandidateKind, Doc, complete};
use tower_lsp_server::ls_types::*;

use crate::lsp::Backend;

pub fn completion(backend: &Backend, params: CompletionParams) -> Option<CompletionResponse> {
    let pos = params.text_document_position;
    let doc = super::open_document(backend, &pos.text_document.uri)?;
    let offset = doc.offset(pos.position);
    let profile_override = backend.state().profile_override;
    let ws = backend.ws_read();
    let (candidates, capped) = complete(&ws, doc.kind, &doc.path, &doc.snap.text, offset, ws.profile(profile_override));
    let items: Vec<CompletionItem> = candidates.into_iter().map(item).collect();
    if capped {
        // Capped: the client must ask again as the user types more.
        return Some(CompletionResponse::List(CompletionList { is_incomplete: true, items }));
    }
    (!items.is_empty()).then_some(CompletionResponse::Array(items))
}

fn item(c: Candidate) -> CompletionItem {
    let kind = match c.kind {
        CandidateKind::Table => CompletionItemKind::MODULE,
        CandidateKind::Key => CompletionItemKind::PROPERTY,
        CandidateKind::Skill => CompletionItemKind::REFERENCE,
        CandidateKind::EnumValue => CompletionItemKind::ENUM_MEMBER,
        CandidateKind::Value => CompletionItemKind::VALUE,
        CandidateKind::Marker => CompletionItemKind::SNIPPET,
        CandidateKind::File => CompletionItemKind::FILE,
        CandidateKind::Folder => CompletionItemKind::FOLDER,
    };
    let documentation = c.documentation.map(|d| match d {
        Doc::Markdown(value) => Documentation::MarkupContent(MarkupContent { kind: MarkupKind::Markdown, value }),
        Doc::Plain(text) => Documentation::String(text),
    });
    CompletionItem {
        label: c.label,
        kind: Some(kind),
        detail: c.detail,
        documentation,
        insert_text: c.insert_text,
        filter_text: c.filter_text,
        ..Default::default()
    }
}
