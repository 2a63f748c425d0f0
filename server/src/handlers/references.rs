//! `textDocument/references`: from a skill (its `name:` or a pinned reference) to every
//! session that pins or links it, across volumes.

use llmos_documents::cursor::{self, Target};
use llmos_documents::{SessionDoc, SkillDoc};
use llmos_workspace::DocKind;
use tower_lsp_server::ls_types::*;

use crate::lsp::Backend;
use crate::lsp::convert::path_to_uri;

pub fn references(backend: &Backend, params: ReferenceParams) -> Option<Vec<Location>> {
    let pos = params.text_document_position;
    let snap = super::snapshot(backend, &pos.text_document.uri)?;
    let path = snap.path.clone()?;
    let unit = backend.state().unit;
    let offset = snap.conv(unit).offset(pos.position);
    let ws = backend.ws_read();
    let name = skill_name_at(ws.kind_of(&path)?, &snap.text, &path, offset)?;
    let mut out = Vec::new();
    for session in ws.index.sessions_using(&name) {
        let Some(uri) = path_to_uri(&session.path) else { continue };
        let text = llmos_workspace::bounded::read_text(&session.path, llmos_workspace::bounded::DEFAULT_MAX_BYTES).unwrap_or_default();
        let conv_index = llmos_documents::LineIndex::new(&text);
        let conv = crate::lsp::convert::PosConv { text: &text, index: &conv_index, unit };
        let doc = SessionDoc::parse(&text);
        let mut ranges: Vec<std::ops::Range<usize>> = doc.pinned_skills().into_iter().filter(|(s, _)| *s == name).map(|(_, r)| r).collect();
        ranges.extend(
            doc.links
                .iter()
                .filter(|l| llmos_workspace::index::linked_skill_name(&session.path, &l.target).as_deref() == Some(name.as_str()))
                .map(|l| l.target_range.clone()),
        );
        if ranges.is_empty() {
            ranges.push(0..0);
        }
        out.extend(ranges.into_iter().map(|r| Location { uri: uri.clone(), range: conv.range(&r) }));
    }
    if params.context.include_declaration
        && let Some(skill) = ws.index.resolve_skill(&name)
        && let Some(uri) = path_to_uri(&skill.path)
    {
        out.insert(0, Location { uri, range: Range::default() });
    }
    Some(out)
}

/// The skill named at `offset`: a skill's own `name:` (or anywhere in a skill), or a
/// pinned name / skill link in a session.
pub fn skill_name_at(kind: DocKind, text: &str, path: &std::path::Path, offset: usize) -> Option<String> {
    match kind {
        DocKind::Skill => {
            let doc = SkillDoc::parse(text);
            doc.name().map(str::to_string).or_else(|| llmos_documents::lint::expected_skill_name(path))
        }
        DocKind::Session => match cursor::in_session(&SessionDoc::parse(text), offset) {
            Target::Value { key, item: Some((name, _)), .. } if key == "skills" => Some(name),
            Target::Link { target, .. } => llmos_workspace::index::linked_skill_name(path, &target),
            _ => None,
        },
        DocKind::Config => None,
    }
}
