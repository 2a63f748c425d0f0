//! `textDocument/prepareRename` and `rename` for skills: one workspace edit that renames
//! the folder (or flat file), the frontmatter `name`, and every pinned reference and link
//! in all sessions.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use llmos_documents::slug::check_name;
use llmos_documents::{LineIndex, SkillDoc};
use llmos_engine::references::{Use, rename_in_link, sessions_naming, skill_name_at, uses_in};
use llmos_workspace::DocKind;
use tower_lsp_server::jsonrpc::{Error, Result};
use tower_lsp_server::ls_types::*;

use crate::lsp::Backend;
use crate::lsp::convert::{PosConv, path_to_uri};

pub fn prepare_rename(backend: &Backend, params: TextDocumentPositionParams) -> Result<Option<PrepareRenameResponse>> {
    let Some(doc) = super::open_document(backend, &params.text_document.uri) else { return Ok(None) };
    let (snap, kind) = (&doc.snap, doc.kind);
    let conv = snap.conv(doc.unit);
    let offset = doc.offset(params.position);
    let ws = backend.ws_read();
    let Some((name, range)) = skill_name_at(kind, &snap.text, &doc.path, offset, false) else {
        return Err(Error::invalid_params("only a skill name can be renamed: put the cursor on a skill's `name:` or a pinned skill"));
    };
    if ws.index.resolve_skill(&name).is_none() {
        return Err(Error::invalid_params(format!("no volume has a skill named `{name}`")));
    }
    let range = if kind == DocKind::Session && !snap.text.get(range.clone()).is_some_and(|t| t.starts_with(&name)) {
        range
    } else {
        range.start..range.start + name.len()
    };
    Ok(Some(PrepareRenameResponse::RangeWithPlaceholder { range: conv.range(&range), placeholder: name }))
}

pub fn rename(backend: &Backend, params: RenameParams) -> Result<Option<WorkspaceEdit>> {
    let pos = params.text_document_position;
    let new = params.new_name.trim().to_string();
    if let Err(problem) = check_name(&new) {
        return Err(Error::invalid_params(format!("`{new}` is not a valid skill name: {problem}")));
    }
    let Some(doc) = super::open_document(backend, &pos.text_document.uri) else { return Ok(None) };
    let unit = doc.unit;
    let offset = doc.offset(pos.position);
    let Some((old, _)) = skill_name_at(doc.kind, &doc.snap.text, &doc.path, offset, false) else {
        return Err(Error::invalid_params("put the cursor on a skill name to rename it"));
    };
    let (skill, sessions) = {
        let ws = backend.ws_read();
        let Some(skill) = ws.index.resolve_skill(&old).cloned() else {
            return Err(Error::invalid_params(format!("no volume has a skill named `{old}`")));
        };
        if ws.index.skills_named(&new).iter().any(|s| s.volume == skill.volume) && old != new {
            return Err(Error::invalid_params(format!("the {} volume already has a skill named `{new}`", skill.volume)));
        }
        (skill, sessions_naming(&ws.index, &old))
    };
    if old == new {
        return Ok(None);
    }
    let read = |p: &Path| super::buffer_or_disk(backend, p);
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
    for file in uses_in(sessions, &old, read) {
        let ranges = file
            .uses
            .into_iter()
            .map(|(range, used)| match used {
                Use::Pinned => (range, new.clone()),
                Use::Link { target } => (range, rename_in_link(&target, &old, &new)),
            })
            .collect();
        add(&file.path, &file.text, file.extra, ranges);
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
