//! `textDocument/hover`: key docs in frontmatter, skill cards, commit info on `commit:`,
//! and size-capped previews of artifacts.

use std::path::Path;

use llmos_artifacts::{PreviewOptions, SkillCard, parse_fence_artifact, preview_inline, preview_link, render_skill_card};
use llmos_documents::cursor::{self, Target};
use llmos_documents::{SessionDoc, SkillDoc, profile};
use llmos_workspace::DocKind;
use tower_lsp_server::ls_types::*;

use crate::lsp::Backend;
use crate::lsp::convert::path_to_uri;
use crate::lsp::state::Workspace;

pub fn hover(backend: &Backend, params: HoverParams) -> Option<Hover> {
    let pos = params.text_document_position_params;
    let super::OpenDocument { snap, path, kind, unit } = super::open_document(backend, &pos.text_document.uri)?;
    let images = backend.state().client.markdown_images;
    let conv = snap.conv(unit);
    let offset = conv.offset(pos.position);
    let ws = backend.ws_read();
    let text = &snap.text;
    let (markdown, range) = match kind {
        DocKind::Config => {
            use llmos_workspace::config::{ConfigAt, config_at, config_key_doc};
            match config_at(text, offset)? {
                ConfigAt::Table { table, range } => (format!("**[{table}]**"), range),
                ConfigAt::Key { table, key, range } => (format!("**{key}**\n\n{}", config_key_doc(&table, &key)?), range),
            }
        }
        DocKind::Skill => {
            let doc = SkillDoc::parse(text);
            match cursor::in_skill(text, &doc, offset) {
                // On `description` (key or value): the key's doc and what the agent sees.
                Target::Key { key, range } if key == "description" || key == "when_to_use" => {
                    (format!("{}\n\n{}", key_doc(&key, profile::skill_key(&key))?, llmos_documents::listing::summary(&doc)), range)
                }
                Target::Value { key, range, .. } if key == "description" || key == "when_to_use" => (llmos_documents::listing::summary(&doc), range),
                Target::Key { key, range } => (key_doc(&key, profile::skill_key(&key))?, range),
                Target::Link { target, range } => (link_preview(&ws, &path, &target, images), range),
                _ => return None,
            }
        }
        DocKind::Session => {
            let doc = SessionDoc::parse(text);
            match cursor::in_session(&doc, offset) {
                Target::Key { key, range } => (key_doc(&key, profile::session_key(&key))?, range),
                Target::Value { key, item: Some((name, range)), .. } if key == "skills" => (skill_card(&ws, &name), range),
                Target::Value { key, range, .. } if key == "commit" => {
                    (llmos_engine::session::commit_hover(&ws, &path, text.get(range.clone())?.trim())?, range)
                }
                Target::Link { target, range } => (link_preview(&ws, &path, &target, images), range),
                Target::Marker { turn } => (usage_hover(&ws.config, &doc, turn)?, doc.turns.get(turn)?.marker.clone()),
                Target::InlineArtifact { fence, range, .. } => {
                    let f = doc.fences.get(fence)?;
                    let artifact = parse_fence_artifact(&f.info)?;
                    let options = PreviewOptions { images, ..Default::default() };
                    (preview_inline(&artifact, text.get(f.content.clone())?, &options).markdown, range)
                }
                _ => return None,
            }
        }
    };
    Some(Hover { contents: HoverContents::Markup(MarkupContent { kind: MarkupKind::Markdown, value: markdown }), range: Some(conv.range(&range)) })
}

/// On a turn marker: that reply's tokens and the session's totals, with cost when
/// `llmos.toml` prices every model used.
fn usage_hover(config: &llmos_workspace::Config, doc: &SessionDoc, turn: usize) -> Option<String> {
    use llmos_documents::usage::{describe, dollars, session_usage, turn_usage};
    let session = session_usage(doc);
    if session.replies == 0 {
        return None;
    }
    let t = doc.turns.get(turn)?;
    let mut lines = Vec::new();
    if let Some(tokens) = turn_usage(t) {
        let cost = t.attr("model").and_then(|m| config.price(m)).map(|p| format!(" · {}", dollars(p.cost(&tokens)))).unwrap_or_default();
        lines.push(format!("**This reply:** {}{cost}", describe(&tokens)));
    }
    let cost = session.cost(|m| config.price(m)).map(|c| format!(" · {}", dollars(c))).unwrap_or_default();
    let replies = if session.replies == 1 { "reply" } else { "replies" };
    lines.push(format!("**Session:** {} over {} {replies}{cost}", describe(&session.total), session.replies));
    Some(lines.join("\n\n"))
}

fn key_doc(key: &str, spec: Option<&profile::KeySpec>) -> Option<String> {
    let spec = spec?;
    let values = match spec.kind {
        profile::ValueKind::Enum(vals) => format!("\n\nValues: {}", vals.iter().map(|v| format!("`{v}`")).collect::<Vec<_>>().join(", ")),
        _ => String::new(),
    };
    Some(format!("**{key}**\n\n{}{values}", spec.doc))
}

pub fn skill_card(ws: &Workspace, name: &str) -> String {
    match ws.index.resolve_skill(name) {
        Some(skill) => render_skill_card(&SkillCard {
            name: skill.name.clone(),
            description: skill.description.clone(),
            volume: Some(skill.volume.to_string()),
            used_by_sessions: Some(ws.index.usage_count(name)),
        }),
        None => format!("**{name}** · skill\n\n*no volume has a skill of this name*"),
    }
}

fn link_preview(ws: &Workspace, doc_path: &Path, target: &str, images: bool) -> String {
    let root = ws.config.volume_of(doc_path).map(|v| v.path.clone()).or_else(|| doc_path.parent().map(Path::to_path_buf));
    let Some(root) = root else { return String::new() };
    if let Some(name) = llmos_workspace::index::linked_skill_name(doc_path, target)
        && ws.index.resolve_skill(&name).is_some()
    {
        return skill_card(ws, &name);
    }
    let options = PreviewOptions { images, ..Default::default() };
    let preview = preview_link(&root, doc_path, target, &options);
    match preview.image_path.as_deref().and_then(path_to_uri) {
        Some(uri) if images => preview.markdown_with_image(uri.as_str()),
        _ => preview.markdown,
    }
}
