//! `llmos.session.new`, `llmos.session.commit`, `llmos.session.export`,
//! `llmos.volume.init`: arguments in, `llmos_engine::session` called, the open buffer
//! brought in line by versioned edits.

use llmos_documents::VolumeKind;
use llmos_documents::frontmatter::set_fields;
use llmos_engine::session::{commit_buffer_text, commit_text, committed_base, create_session, export_text};
use llmos_vcs::Volume;
use serde_json::{Value, json};
use tower_lsp_server::jsonrpc::Result;
use tower_lsp_server::ls_types::*;

use super::{arg_uri, invalid_args, user_error};
use crate::lsp::Backend;
use crate::lsp::convert::{path_to_uri, uri_to_path};

pub async fn commit(backend: &Backend, args: &Value) -> Result<Value> {
    let uri = arg_uri(args)?;
    let path = uri_to_path(&uri).ok_or_else(|| invalid_args("only file: sessions can be committed"))?;
    let (text, version) = {
        let mut state = backend.state();
        let can_edit = state.client.apply_edit;
        match state.snapshot(&uri) {
            Some(s) if can_edit => (s.text.clone(), Some(s.version)),
            Some(s) => (s.text.clone(), None),
            None => (llmos_workspace::bounded::read_text(&path, llmos_workspace::bounded::DEFAULT_MAX_BYTES).map_err(|e| user_error(e.to_string()))?, None),
        }
    };
    let config = backend.ws_read().config.clone();
    {
        let ws = backend.ws_read();
        if ws.kind_of(&path) != Some(llmos_workspace::DocKind::Session) {
            return Err(user_error(format!("{} is not a session (sessions live in a volume's sessions/ folder)", path.display())));
        }
    }
    let (p, t) = (path.clone(), text.clone());
    // An open buffer gets the stamped fields by an edit and is saved by the editor; the
    // server never writes the file under it (which would make the editor ask about a
    // file changed on disk).
    let open = version.is_some();
    let committed = tokio::task::spawn_blocking(move || if open { commit_buffer_text(&config, &p, &t) } else { commit_text(&config, &p, &t) })
        .await
        .map_err(|e| user_error(format!("commit failed: {e}")))?
        .map_err(user_error)?;
    // Bring the open buffer in line with what was committed (status and commit lines),
    // against its latest version (the user may type meanwhile).
    if open {
        let base = committed_base(&committed.text);
        for _ in 0..20 {
            let Some(snap) = backend.state().snapshot(&uri) else { break };
            let edits = set_fields(&snap.text, &[("status", "committed"), ("commit", &base)]).unwrap_or_default();
            if edits.is_empty() {
                break;
            }
            let unit = backend.state().unit;
            let conv = snap.conv(unit);
            let edit = WorkspaceEdit {
                document_changes: Some(DocumentChanges::Edits(vec![TextDocumentEdit {
                    text_document: OptionalVersionedTextDocumentIdentifier { uri: uri.clone(), version: Some(snap.version) },
                    edits: edits.iter().map(|e| OneOf::Left(conv.text_edit(e))).collect(),
                }])),
                ..Default::default()
            };
            if !matches!(backend.client.apply_edit(edit).await, Ok(r) if r.applied) {
                tokio::time::sleep(std::time::Duration::from_millis(20)).await;
                continue;
            }
            // Wait for the editor's didChange before checking again.
            for _ in 0..500 {
                if backend.state().docs.get(&uri).map(|d| d.version) != Some(snap.version) {
                    break;
                }
                tokio::time::sleep(std::time::Duration::from_millis(2)).await;
            }
        }
    }
    crate::handlers::diagnostics::refresh_all(backend);
    // `save`: the buffer the editor should save now, so that it, the file and HEAD agree.
    let save = open.then(|| uri.as_str().to_string());
    Ok(json!({ "sha": committed.sha, "short": committed.short, "path": path.display().to_string(), "save": save }))
}

pub async fn new_session(backend: &Backend, args: &Value) -> Result<Value> {
    let volume = match args.get("volume").and_then(Value::as_str) {
        Some(v) => VolumeKind::parse(v).ok_or_else(|| invalid_args(format!("unknown volume `{v}`: user, team or system")))?,
        None => VolumeKind::User,
    };
    let title = args.get("title").and_then(Value::as_str).map(str::trim).filter(|t| !t.is_empty()).unwrap_or("New session").to_string();
    let (config, has_root) = {
        let ws = backend.ws_read();
        (ws.config.clone(), ws.has_root)
    };
    if !has_root {
        return Err(user_error("no llmos workspace is open: run `llmos init` in a folder and open it"));
    }
    let path = create_session(&config, volume, &title).map_err(user_error)?;
    super::super::handlers::watched_files::reindex_from_disk(backend, &path);
    let uri = path_to_uri(&path).ok_or_else(|| user_error("cannot build a URI for the new session"))?;
    if backend.state().client.show_document {
        let _ = backend.client.show_document(ShowDocumentParams { uri: uri.clone(), external: Some(false), take_focus: Some(true), selection: None }).await;
    }
    Ok(json!({ "uri": uri.as_str(), "path": path.display().to_string(), "id": path.file_stem().and_then(|s| s.to_str()) }))
}

pub fn export(backend: &Backend, args: &Value) -> Result<Value> {
    let uri = arg_uri(args)?;
    let format = args.get("format").and_then(Value::as_str).unwrap_or("markdown");
    let path = uri_to_path(&uri).ok_or_else(|| invalid_args("only file: sessions can be exported"))?;
    let text = match backend.state().snapshot(&uri) {
        Some(s) => s.text.clone(),
        None => llmos_workspace::bounded::read_text(&path, llmos_workspace::bounded::DEFAULT_MAX_BYTES).map_err(|e| user_error(e.to_string()))?,
    };
    let config = backend.ws_read().config.clone();
    let content = export_text(&config, &path, &text, format).map_err(invalid_args)?;
    Ok(json!({ "format": format, "content": content }))
}

/// `llmos.volume.init {volume}`: the quick fix for a volume that is not a repository.
pub fn init_volume(backend: &Backend, args: &Value) -> Result<Value> {
    let name = args.get("volume").and_then(Value::as_str).unwrap_or("user");
    let kind = VolumeKind::parse(name).ok_or_else(|| invalid_args(format!("unknown volume `{name}`")))?;
    let dir = backend.ws_read().config.volume(kind).path.clone();
    let (_, outcome) = Volume::init(&dir).map_err(|e| user_error(e.to_string()))?;
    Ok(json!({ "volume": name, "path": dir.display().to_string(), "created": matches!(outcome, llmos_vcs::InitOutcome::Created) }))
}
