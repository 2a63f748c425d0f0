//! `workspace/didChangeWatchedFiles`: files changed outside the editor (git checkout,
//! another editor) update the index and the diagnostics of the files that depend on them.

use std::path::Path;

use llmos_engine::workspace::Loaded;
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
    if !backend.ws_read().has_root {
        super::diagnostics::refresh_all(backend);
        return;
    }
    let backend = backend.clone();
    tokio::spawn(async move {
        if let Err(e) = load_workspace(&backend).await {
            tracing::error!("rebuilding the workspace index after a configuration change failed ({e}); the previous index is kept");
        }
        super::diagnostics::refresh_all(&backend);
    });
}

/// Reads `llmos.toml` (with the editor's settings on top) and indexes the volumes on a
/// blocking thread, then installs the result: the first load and every reload. A failed
/// load (a panic while reading) keeps what was there; either way requests waiting for
/// the index are released. Returns the counts, for the progress message.
pub async fn load_workspace(backend: &Backend) -> Result<String, String> {
    let root = backend.ws_read().config.root.clone();
    let settings = backend.state().editor_settings.clone();
    let loaded = tokio::task::spawn_blocking(move || Loaded::read(&root, |config| super::configuration::apply(config, &settings))).await;
    let result = match loaded {
        Ok(loaded) => {
            let counts = format!("{} skills, {} sessions", loaded.index.skill_count(), loaded.index.session_count());
            backend.ws_write().install(loaded);
            Ok(counts)
        }
        Err(e) => Err(e.to_string()),
    };
    backend.index_done();
    result
}
