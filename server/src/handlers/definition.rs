//! `textDocument/definition`: an artifact link → the file; a pinned skill name or a skill
//! link → the skill that wins by volume precedence.

use std::path::Path;

use llmos_documents::cursor::{self, Target};
use llmos_documents::{SessionDoc, SkillDoc};
use llmos_workspace::DocKind;
use tower_lsp_server::ls_types::*;

use crate::lsp::Backend;
use crate::lsp::convert::path_to_uri;
use crate::lsp::state::Workspace;

pub fn goto_definition(backend: &Backend, params: GotoDefinitionParams) -> Option<GotoDefinitionResponse> {
    let pos = params.text_document_position_params;
    let super::OpenDocument { snap, path, kind, unit } = super::open_document(backend, &pos.text_document.uri)?;
    let offset = snap.conv(unit).offset(pos.position);
    let ws = backend.ws_read();
    let target = match kind {
        DocKind::Session => cursor::in_session(&SessionDoc::parse(&snap.text), offset),
        DocKind::Skill => cursor::in_skill(&snap.text, &SkillDoc::parse(&snap.text), offset),
        DocKind::Config => return None,
    };
    let file = match target {
        Target::Value { key, item: Some((name, _)), .. } if key == "skills" => ws.index.resolve_skill(&name)?.path.clone(),
        Target::Link { target, .. } => link_target(&ws, &path, &target)?,
        _ => return None,
    };
    Some(GotoDefinitionResponse::Scalar(Location { uri: path_to_uri(&file)?, range: Range::default() }))
}

/// Where a link leads: a skill (by precedence) or a file inside the volume.
pub fn link_target(ws: &Workspace, doc: &Path, target: &str) -> Option<std::path::PathBuf> {
    if let Some(name) = llmos_workspace::index::linked_skill_name(doc, target)
        && let Some(skill) = ws.index.resolve_skill(&name)
    {
        return Some(skill.path.clone());
    }
    let root = ws.config.volume_of(doc)?.path.clone();
    llmos_artifacts::resolve_link(&root, doc, target).ok()
}
