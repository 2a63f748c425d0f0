//! `textDocument/codeAction`: quick fixes carried by diagnostics, and every command that
//! applies to the document (commit, send, promote, run evolution).

use std::collections::HashMap;

use llmos_documents::Fix;
use llmos_workspace::DocKind;
use tower_lsp_server::ls_types::*;

use crate::lsp::Backend;
use crate::lsp::convert::{PosConv, path_to_uri};

pub fn code_action(backend: &Backend, params: CodeActionParams) -> Option<CodeActionResponse> {
    let uri = params.text_document.uri.clone();
    let snap = super::snapshot(backend, &uri)?;
    let path = snap.path.clone()?;
    let unit = backend.state().unit;
    let conv = snap.conv(unit);
    let wanted = conv.offsets(params.range);
    // The fixes of this version's diagnostics, linted once for push, pull and here.
    let (linted, _) = super::diagnostics::linted(backend, &snap);
    let ws = backend.ws_read();
    let kind = ws.kind_of(&path);
    let mut actions: Vec<CodeActionOrCommand> = Vec::new();
    for d in &linted.core {
        let touches = d.range.start <= wanted.end && wanted.start <= d.range.end;
        if !touches {
            continue;
        }
        let lsp_diag = conv.diagnostic(d);
        for fix in &d.fixes {
            if let Some(edit) = fix_edit(fix, &conv, &uri, snap.version) {
                actions.push(CodeActionOrCommand::CodeAction(CodeAction {
                    title: fix.title.clone(),
                    kind: Some(CodeActionKind::QUICKFIX),
                    diagnostics: Some(vec![lsp_diag.clone()]),
                    edit: Some(edit),
                    is_preferred: fix.preferred.then_some(true),
                    ..Default::default()
                }));
            }
        }
    }
    let arg = serde_json::json!({ "uri": uri.as_str() });
    let mut command = |title: &str, cmd: &str, args: serde_json::Value| {
        actions.push(CodeActionOrCommand::CodeAction(CodeAction {
            title: title.to_string(),
            kind: Some(CodeActionKind::SOURCE),
            command: Some(Command { title: title.to_string(), command: cmd.to_string(), arguments: Some(vec![args]) }),
            ..Default::default()
        }));
    };
    if let Some(vol) = ws.config.volume_of(&path) {
        let volume = vol.kind;
        if !llmos_engine::session::is_repository(&vol.path) {
            command(&format!("Initialize the {volume} volume as a git repository"), "llmos.volume.init", serde_json::json!({ "volume": volume.as_str() }));
        }
        match kind {
            Some(DocKind::Session) => {
                command("Send to the LLM", "llmos.chat.send", arg.clone());
                command("Commit session", "llmos.session.commit", arg.clone());
                command("Export session as Markdown", "llmos.session.export", serde_json::json!({ "uri": uri.as_str(), "format": "markdown" }));
            }
            Some(DocKind::Skill) => {
                if let Some(next) = volume.next() {
                    command(&format!("Promote skill to {next}"), "llmos.skill.promote", serde_json::json!({ "uri": uri.as_str(), "to": next.as_str() }));
                }
            }
            _ => {}
        }
        command(&format!("New session in the {volume} volume"), "llmos.session.new", serde_json::json!({ "volume": volume.as_str() }));
        command(&format!("Run evolution now on the {volume} volume"), "llmos.evolution.run", serde_json::json!({ "volume": volume.as_str() }));
    }
    if let Some(only) = &params.context.only {
        actions.retain(|a| match a {
            CodeActionOrCommand::CodeAction(a) => a.kind.as_ref().is_some_and(|k| only.iter().any(|o| kind_within(k, o))),
            CodeActionOrCommand::Command(_) => false,
        });
    }
    Some(actions)
}

/// Whether `kind` is `wanted` or one of its sub-kinds (`source.fixAll` is within
/// `source`), as `context.only` is defined.
fn kind_within(kind: &CodeActionKind, wanted: &CodeActionKind) -> bool {
    let (k, w) = (kind.as_str(), wanted.as_str());
    w.is_empty() || k == w || k.strip_prefix(w).is_some_and(|rest| rest.starts_with('.'))
}

fn fix_edit(fix: &Fix, conv: &PosConv<'_>, uri: &Uri, version: i32) -> Option<WorkspaceEdit> {
    let edits: Vec<TextEdit> = fix.edits.iter().map(|e| conv.text_edit(e)).collect();
    match &fix.rename {
        None => {
            let mut changes = HashMap::new();
            changes.insert(uri.clone(), edits);
            Some(WorkspaceEdit { changes: Some(changes), ..Default::default() })
        }
        Some(rename) => {
            let mut ops = Vec::new();
            if !edits.is_empty() {
                ops.push(DocumentChangeOperation::Edit(TextDocumentEdit {
                    text_document: OptionalVersionedTextDocumentIdentifier { uri: uri.clone(), version: Some(version) },
                    edits: edits.into_iter().map(OneOf::Left).collect(),
                }));
            }
            ops.push(DocumentChangeOperation::Op(ResourceOp::Rename(RenameFile {
                old_uri: path_to_uri(&rename.from)?,
                new_uri: path_to_uri(&rename.to)?,
                options: Some(RenameFileOptions { overwrite: Some(false), ignore_if_exists: Some(false) }),
                annotation_id: None,
            })));
            Some(WorkspaceEdit { document_changes: Some(DocumentChanges::Operations(ops)), ..Default::default() })
        }
    }
}
