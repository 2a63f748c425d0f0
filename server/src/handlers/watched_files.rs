//! `workspace/didChangeWatchedFiles`: files changed outside the editor (git checkout,
//! another editor) update the index and the diagnostics of the files that depend on them.

use std::path::Path;

use llmos_workspace::{Config, Index};
use tower_lsp_server::ls_types::{DidChangeWatchedFilesParams, FileChangeType};

use crate::lsp::Backend;
use crate::lsp::convert::uri_to_path;
use crate::lsp::state::Workspace;

pub fn did_change_watched_files(backend: &Backend, params: DidChangeWatchedFilesParams) {
    // Files appeared or went: remembered link checks may be wrong now.
    {
        let ws = backend.ws_read();
        ws.links.clear();
        ws.git.clear();
    }
    let mut names_changed = false;
    let mut config_changed = false;
    // Made or removed files can resolve or break other files' links.
    let mut listing_changed = false;
    for event in params.changes {
        let Some(path) = uri_to_path(&event.uri) else { continue };
        if path.file_name().is_some_and(|f| f == llmos_workspace::config::FILE_NAME) {
            config_changed = true;
            continue;
        }
        listing_changed |= event.typ != FileChangeType::CHANGED;
        if event.typ == FileChangeType::DELETED {
            let mut ws = backend.ws_write();
            names_changed |= ws.index.remove(&path);
            names_changed |= ws.index.remove_under(&path);
        } else {
            names_changed |= reindex_from_disk(backend, &path);
        }
    }
    if config_changed {
        reload_config(backend);
    } else if names_changed || listing_changed {
        // Links and artifacts may have appeared or gone: sessions re-check them.
        super::diagnostics::refresh_all(backend);
    } else {
        super::diagnostics::refresh_after_file_edits(backend);
    }
}

/// Re-reads a file from disk into the index unless the editor has it open (the buffer
/// wins). Returns whether the set of skill names changed.
pub fn reindex_from_disk(backend: &Backend, path: &Path) -> bool {
    let open = backend.state().docs.values().any(|d| d.path.as_deref() == Some(path));
    if open {
        return false;
    }
    // Read first, then take the write lock only to update the index.
    let (file, read) = if path.is_dir() {
        // A new skill folder: index its SKILL.md.
        let skill = path.join("SKILL.md");
        match llmos_workspace::bounded::read_text(&skill, llmos_workspace::bounded::DEFAULT_MAX_BYTES) {
            Ok(text) => (skill, Some(text)),
            Err(_) => return false,
        }
    } else {
        (
            path.to_path_buf(),
            llmos_workspace::bounded::read_bytes(path, llmos_workspace::bounded::DEFAULT_MAX_BYTES)
                .ok()
                .map(|bytes| String::from_utf8(bytes).unwrap_or_default()),
        )
    };
    let mut ws = backend.ws_write();
    match read {
        Some(text) => {
            let Workspace { config, index, .. } = &mut *ws;
            index.update(config, &file, &text)
        }
        None => ws.index.remove(&file),
    }
}

/// Reloads `llmos.toml` and rebuilds the index (volume paths may have moved).
pub fn reload_config(backend: &Backend) {
    let (has_root, root) = {
        let ws = backend.ws_read();
        (ws.has_root, ws.config.root.clone())
    };
    if !has_root {
        super::diagnostics::refresh_all(backend);
        return;
    }
    let backend = backend.clone();
    let settings = backend.state().editor_settings.clone();
    tokio::spawn(async move {
        let built = tokio::task::spawn_blocking(move || {
            let (mut config, diags) = Config::load(&root);
            super::configuration::apply(&mut config, &settings);
            let index = Index::build(&config);
            (config, diags, index)
        })
        .await;
        // A panic in the rebuild (a JoinError here) keeps the previous index and says so.
        if built.is_err() {
            tracing::error!("rebuilding the workspace index after a configuration change failed; the previous index is kept");
        }
        if let Ok((config, diags, index)) = built {
            let mut ws = backend.ws_write();
            ws.config = config;
            ws.config_diagnostics = diags;
            ws.index = index;
            ws.ready = true;
            drop(ws);
            backend.index_done();
        }
        super::diagnostics::refresh_all(&backend);
    });
}
