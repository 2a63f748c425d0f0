//! `textDocument/prepareRename` and `rename` for skills: one workspace edit that renames
//! the folder (or flat file), the frontmatter `name`, and every pinned reference and link
//! in all sessions.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use llmos_documents::cursor::{self, Target};
use llmos_documents::slug::check_name;
use llmos_documents::{LineIndex, SessionDoc, SkillDoc};
use llmos_workspace::DocKind;
use tower_lsp_server::jsonrpc::{Error, Result};
use tower_lsp_server::ls_types::*;

use crate::lsp::Backend;
use crate::lsp::convert::{PosConv, path_to_uri};

/// The skill name under the cursor and its range in this document.
fn name_at(kind: DocKind, text: &str, path: &Path, offset: usize) -> Option<(String, std::ops::Range<usize>)> {
    match kind {
        DocKind::Skill => {
            let doc = SkillDoc::parse(text);
            match cursor::in_skill(text, &doc, offset) {
                Target::Value { key, range, .. } if key == "name" => Some((doc.name()?.to_string(), range)),
                _ => None,
            }
        }
        DocKind::Session => match cursor::in_session(&SessionDoc::parse(text), offset) {
            Target::Value { key, item: Some((name, range)), .. } if key == "skills" => Some((name, range)),
            Target::Link { target, range } => llmos_workspace::index::linked_skill_name(path, &target).map(|n| (n, range)),
            _ => None,
        },
        DocKind::Config => None,
    }
}

pub fn prepare_rename(backend: &Backend, params: TextDocumentPositionParams) -> Result<Option<PrepareRenameResponse>> {
    let Some(snap) = super::snapshot(backend, &params.text_document.uri) else { return Ok(None) };
    let Some(path) = snap.path.clone() else { return Ok(None) };
    let unit = backend.state().unit;
    let conv = snap.conv(unit);
    let offset = conv.offset(params.position);
    let ws = backend.ws_read();
    let Some(kind) = ws.kind_of(&path) else { return Ok(None) };
    let Some((name, range)) = name_at(kind, &snap.text, &path, offset) else {
        return Err(Error::invalid_params("only a skill name can be renamed: put the cursor on a skill's `name:` or a pinned skill"));
    };
    if ws.index.resolve_skill(&name).is_none() {
        return Err(Error::invalid_params(format!("no volume has a skill named `{name}`")));
    }
    let range = if kind == DocKind::Session && !snap.text[range.clone()].starts_with(&name) { range } else { range.start..range.start + name.len() };
    Ok(Some(PrepareRenameResponse::RangeWithPlaceholder { range: conv.range(&range), placeholder: name }))
}

pub fn rename(backend: &Backend, params: RenameParams) -> Result<Option<WorkspaceEdit>> {
    let pos = params.text_document_position;
    let new = params.new_name.trim().to_string();
    if let Err(problem) = check_name(&new) {
        return Err(Error::invalid_params(format!("`{new}` is not a valid skill name: {problem}")));
    }
    let Some(snap) = super::snapshot(backend, &pos.text_document.uri) else { return Ok(None) };
    let Some(path) = snap.path.clone() else { return Ok(None) };
    let unit = backend.state().unit;
    let offset = snap.conv(unit).offset(pos.position);
    let ws = backend.ws_read();
    let Some(kind) = ws.kind_of(&path) else { return Ok(None) };
    let Some((old, _)) = name_at(kind, &snap.text, &path, offset) else {
        return Err(Error::invalid_params("put the cursor on a skill name to rename it"));
    };
    let Some(skill) = ws.index.resolve_skill(&old).cloned() else {
        return Err(Error::invalid_params(format!("no volume has a skill named `{old}`")));
    };
    if old == new {
        return Ok(None);
    }
    if ws.index.skills_named(&new).iter().any(|s| s.volume == skill.volume) {
        return Err(Error::invalid_params(format!("the {} volume already has a skill named `{new}`", skill.volume)));
    }
    // Text of a file: the open buffer if any (its version too), else the disk.
    let read = |p: &Path| -> Option<(String, Option<i32>)> {
        let mut state = backend.state();
        if let Some(doc) = state.docs.values_mut().find(|d| d.path.as_deref() == Some(p)) {
            let s = doc.snapshot();
            return Some((s.text.clone(), Some(s.version)));
        }
        llmos_workspace::bounded::read_text(p, llmos_workspace::bounded::DEFAULT_MAX_BYTES).ok().map(|t| (t, None))
    };
    let mut edits: HashMap<PathBuf, (Vec<TextEdit>, Option<i32>)> = HashMap::new();
    let mut add = |p: &Path, text: &str, version: Option<i32>, ranges: Vec<(std::ops::Range<usize>, String)>| {
        let index = LineIndex::new(text);
        let conv = PosConv { text, index: &index, unit };
        let entry = edits.entry(p.to_path_buf()).or_insert_with(|| (Vec::new(), version));
        entry.0.extend(ranges.into_iter().map(|(r, t)| TextEdit { range: conv.range(&r), new_text: t }));
    };
    // the skill's own name
    if let Some((text, version)) = read(&skill.path)
        && let Some(v) = SkillDoc::parse(&text).frontmatter.value("name")
    {
        add(&skill.path, &text, version, vec![(v.span.clone(), new.clone())]);
    }
    // sessions
    for session in ws.index.sessions_using(&old) {
        let Some((text, version)) = read(&session.path) else { continue };
        let doc = SessionDoc::parse(&text);
        let mut ranges: Vec<(std::ops::Range<usize>, String)> =
            doc.pinned_skills().into_iter().filter(|(s, _)| *s == old).map(|(_, r)| (r, new.clone())).collect();
        for link in &doc.links {
            if llmos_workspace::index::linked_skill_name(&session.path, &link.target).as_deref() == Some(old.as_str()) {
                let replaced = replace_skill_segment(&link.target, &old, &new);
                ranges.push((link.target_range.clone(), replaced));
            }
        }
        add(&session.path, &text, version, ranges);
    }
    let mut ops = Vec::new();
    for (p, (text_edits, version)) in edits {
        if text_edits.is_empty() {
            continue;
        }
        let Some(uri) = path_to_uri(&p) else { continue };
        ops.push(DocumentChangeOperation::Edit(TextDocumentEdit {
            text_document: OptionalVersionedTextDocumentIdentifier { uri, version },
            edits: text_edits.into_iter().map(OneOf::Left).collect(),
        }));
    }
    // the folder (or flat file) last, after the edits to the file inside it
    let (from, to) = if skill.path.file_name().is_some_and(|f| f == "SKILL.md") {
        let dir = skill.path.parent().map(Path::to_path_buf).unwrap_or_default();
        let to = dir.with_file_name(&new);
        (dir, to)
    } else {
        (skill.path.clone(), skill.path.with_file_name(format!("{new}.md")))
    };
    if to.exists() {
        return Err(Error::invalid_params(format!("{} already exists", to.display())));
    }
    if let (Some(old_uri), Some(new_uri)) = (path_to_uri(&from), path_to_uri(&to)) {
        ops.push(DocumentChangeOperation::Op(ResourceOp::Rename(RenameFile {
            old_uri,
            new_uri,
            options: Some(RenameFileOptions { overwrite: Some(false), ignore_if_exists: Some(false) }),
            annotation_id: None,
        })));
    }
    Ok(Some(WorkspaceEdit { document_changes: Some(DocumentChanges::Operations(ops)), ..Default::default() }))
}

/// `../skills/old/SKILL.md` → `../skills/new/SKILL.md`, `../skills/old.md` → `../skills/new.md`.
fn replace_skill_segment(target: &str, old: &str, new: &str) -> String {
    let flat_old = format!("skills/{old}.md");
    if target.contains(&flat_old) {
        return target.replacen(&flat_old, &format!("skills/{new}.md"), 1);
    }
    let dir_old = format!("skills/{old}");
    match target.rfind(&dir_old) {
        Some(i) => format!("{}skills/{new}{}", &target[..i], &target[i + dir_old.len()..]),
        None => target.to_string(),
    }
}
