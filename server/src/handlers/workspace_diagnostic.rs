//! Workspace-wide diagnostics: `workspace/diagnostic` for clients that pull (LSP 3.17),
//! and diagnostics pushed for closed files with problems for clients that do not.
//!
//! Open documents are linted from their buffers (the same per-version lint as push and
//! `textDocument/diagnostic`); closed files from disk with `llmos check`'s rules
//! (`workspace::check::lint_document_with`), against the server's index. A closed file's
//! result is remembered per (mtime, size, cross-file epoch), so a re-pull of an
//! unchanged workspace costs one `stat` per file. Result ids are a hash of the reported
//! items, so "unchanged" means exactly what the client already shows.
//!
//! The setting `diagnostics.scope` (initializationOptions or didChangeConfiguration):
//! `"workspace"` (default) or `"openFiles"`, which reports open documents only and
//! clears what was reported for closed ones.

use std::collections::{HashMap, HashSet};
use std::hash::{Hash, Hasher};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use llmos_documents::line_index::ColumnUnit;
use llmos_documents::lint::lint_encoding;
use llmos_documents::{Diagnostic, LineIndex, Profile, rules};
use llmos_workspace::bounded::FileError;
use llmos_workspace::check::lint_document_with;
use rayon::prelude::*;
use tower_lsp_server::ls_types::{self as lsp, Uri};

use crate::lsp::Backend;
use crate::lsp::convert::{PosConv, path_to_uri};
use crate::lsp::state::Workspace;

/// How long a pull that would only say "unchanged" is held open waiting for a change.
/// vscode-languageclient pulls again 2 s after every answer; answering at once would
/// re-check the workspace every 2 s for nothing.
const HOLD: Duration = Duration::from_secs(60);

/// After a change wakes a held pull, more changes usually follow (a burst of keys, a
/// checkout): wait this long so one pass covers them.
const SETTLE: Duration = Duration::from_millis(150);

/// Files linted while one read lock on the workspace is held; between chunks edits
/// get the write lock they need.
const CHUNK: usize = 512;

/// Which files get diagnostics beyond the open ones.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scope {
    Workspace,
    OpenFiles,
}

/// The state shared by pulls and pushes of workspace diagnostics.
pub struct WorkspaceDiagnostics {
    /// Bumped on every change that can alter a report; held pulls wait on it.
    changes: tokio::sync::watch::Sender<u64>,
    /// Bumped when what a closed file's diagnostics depend on besides its own text
    /// (skill names, config, other files) may have changed.
    deps: AtomicU64,
    /// Bumped when files changed on disk without changing what others depend on (a
    /// saved session): the next pass `stat`s every file again, re-linting only those
    /// whose mtime or size moved.
    disk: AtomicU64,
    cache: Mutex<HashMap<PathBuf, Cached>>,
    /// Clients that do not pull: the result id last published for each closed file.
    pushed: Mutex<HashMap<Uri, String>>,
    push_scheduled: AtomicBool,
    /// The last pass over closed files: reused while the cross-file epoch is the same and
    /// it is younger than [`RESTAT`], so typing in an open document (which wakes held
    /// pulls) does not `stat` every file of the workspace each time.
    last_pass: Mutex<Option<LastPass>>,
}

struct LastPass {
    deps: u64,
    disk: u64,
    at: std::time::Instant,
    reports: Vec<Arc<FileReport>>,
}

/// How long a pass over closed files is trusted without file events: files written by
/// tools the editor does not watch show up after at most this long.
const RESTAT: Duration = Duration::from_secs(10);

impl Default for WorkspaceDiagnostics {
    fn default() -> Self {
        Self {
            changes: tokio::sync::watch::channel(0).0,
            deps: AtomicU64::new(0),
            disk: AtomicU64::new(0),
            cache: Mutex::default(),
            pushed: Mutex::default(),
            push_scheduled: AtomicBool::new(false),
            last_pass: Mutex::default(),
        }
    }
}

struct Cached {
    stamp: (Option<SystemTime>, u64),
    deps: u64,
    unit: ColumnUnit,
    profile: Profile,
    report: Option<Arc<FileReport>>,
}

/// One file's diagnostics as reported.
#[derive(Debug)]
pub struct FileReport {
    pub uri: Uri,
    /// The buffer's version for an open document.
    pub version: Option<i32>,
    pub items: Vec<lsp::Diagnostic>,
    pub result_id: String,
}

impl FileReport {
    fn new(uri: Uri, version: Option<i32>, items: Vec<lsp::Diagnostic>) -> Self {
        let result_id = result_id(&items);
        Self { uri, version, items, result_id }
    }
}

/// The id of a set of items: equal ids mean the client already shows these items.
fn result_id(items: &[lsp::Diagnostic]) -> String {
    let mut h = std::hash::DefaultHasher::new();
    serde_json::to_string(items).unwrap_or_default().hash(&mut h);
    format!("llmos-{:016x}", h.finish())
}

fn empty_id() -> String {
    result_id(&[])
}

/// The scope the editor asked for (`diagnostics.scope`). Unset: the whole workspace for
/// clients that pull, open files for clients that do not — pushing every closed file's
/// problems to an editor that did not ask costs messages it may drop (eglot 1.9 ignores
/// diagnostics for files it is not visiting) or buffers it did not want (Neovim).
pub fn scope(backend: &Backend) -> Scope {
    let state = backend.state();
    let asked = state.editor_settings.get("diagnostics").and_then(|d| d.get("scope")).and_then(|s| s.as_str());
    match asked {
        Some("openFiles") => Scope::OpenFiles,
        Some("workspace") => Scope::Workspace,
        _ if state.client.pull_diagnostics => Scope::Workspace,
        _ => Scope::OpenFiles,
    }
}

/// A document changed (its own diagnostics may change): wakes held pulls.
pub fn document_changed(backend: &Backend) {
    backend.workspace_diagnostics.changes.send_modify(|n| *n += 1);
}

/// Something other files depend on may have changed (skill names, config, files made or
/// removed): closed files are linted again, held pulls wake, and clients that do not
/// pull get a new push.
pub fn workspace_changed(backend: &Backend) {
    backend.workspace_diagnostics.deps.fetch_add(1, Ordering::SeqCst);
    files_changed(backend);
}

/// Files changed on disk, nothing others depend on: the changed ones are linted again.
pub fn files_changed(backend: &Backend) {
    backend.workspace_diagnostics.disk.fetch_add(1, Ordering::SeqCst);
    document_changed(backend);
    schedule_push(backend);
}

/// A document was closed: its diagnostics come from the file again (a push client was
/// just sent an empty list for it by `didClose`). `names_changed`: the buffer held
/// skill names the file does not.
pub fn document_closed(backend: &Backend, uri: &Uri, names_changed: bool) {
    backend.workspace_diagnostics.pushed.lock().unwrap_or_else(|e| e.into_inner()).remove(uri);
    if names_changed { workspace_changed(backend) } else { files_changed(backend) }
}

/// `workspace/diagnostic`.
pub async fn workspace_diagnostic(backend: &Backend, params: lsp::WorkspaceDiagnosticParams) -> lsp::WorkspaceDiagnosticReportResult {
    backend.wait_for_index(crate::lsp::INDEX_WAIT).await;
    let previous: HashMap<Uri, String> = params.previous_result_ids.into_iter().map(|p| (p.uri, p.value)).collect();
    let deadline = tokio::time::Instant::now() + HOLD;
    loop {
        let mut changes = backend.workspace_diagnostics.changes.subscribe();
        changes.borrow_and_update();
        let scope = scope(backend);
        let b = backend.clone();
        // Linting is CPU work: never on the message loop.
        let reports = match tokio::task::spawn_blocking(move || collect(&b, scope)).await {
            Ok(reports) => reports,
            Err(e) => {
                tracing::error!("workspace diagnostics failed: {e}");
                return lsp::WorkspaceDiagnosticReportResult::Report(lsp::WorkspaceDiagnosticReport::default());
            }
        };
        let report = answer(&previous, reports);
        let news = report.items.iter().any(|i| matches!(i, lsp::WorkspaceDocumentDiagnosticReport::Full(_)));
        if previous.is_empty() || news || tokio::time::Instant::now() >= deadline {
            return lsp::WorkspaceDiagnosticReportResult::Report(report);
        }
        match tokio::time::timeout_at(deadline, changes.changed()).await {
            Ok(Ok(())) => tokio::time::sleep(SETTLE).await,
            _ => return lsp::WorkspaceDiagnosticReportResult::Report(report),
        }
    }
}

/// The report for a client that knows `previous`: full for what changed (including an
/// empty list for a file that had problems and has none now), unchanged for the rest.
pub fn answer(previous: &HashMap<Uri, String>, reports: Vec<Arc<FileReport>>) -> lsp::WorkspaceDiagnosticReport {
    let empty = empty_id();
    let mut items = Vec::new();
    let mut reported = HashSet::new();
    for r in &reports {
        reported.insert(r.uri.clone());
        let version = r.version.map(i64::from);
        match previous.get(&r.uri) {
            Some(id) if *id == r.result_id => items.push(lsp::WorkspaceDocumentDiagnosticReport::Unchanged(lsp::WorkspaceUnchangedDocumentDiagnosticReport {
                uri: r.uri.clone(),
                version,
                unchanged_document_diagnostic_report: lsp::UnchangedDocumentDiagnosticReport { result_id: r.result_id.clone() },
            })),
            // A clean open document the client has nothing for: nothing to say.
            None if r.items.is_empty() => {}
            _ => items.push(full(r.uri.clone(), version, r.items.clone(), r.result_id.clone())),
        }
    }
    let mut cleared: Vec<&Uri> = previous.iter().filter(|(uri, id)| !reported.contains(*uri) && **id != empty).map(|(uri, _)| uri).collect();
    cleared.sort_by(|a, b| a.as_str().cmp(b.as_str()));
    for uri in cleared {
        items.push(full(uri.clone(), None, Vec::new(), empty.clone()));
    }
    lsp::WorkspaceDiagnosticReport { items }
}

fn full(uri: Uri, version: Option<i64>, items: Vec<lsp::Diagnostic>, result_id: String) -> lsp::WorkspaceDocumentDiagnosticReport {
    lsp::WorkspaceDocumentDiagnosticReport::Full(lsp::WorkspaceFullDocumentDiagnosticReport {
        uri,
        version,
        full_document_diagnostic_report: lsp::FullDocumentDiagnosticReport { result_id: Some(result_id), items },
    })
}

/// Every open document (clean or not, with its version) and, unless the scope is open
/// files, every closed skill, session and `llmos.toml` with problems, sorted by URI.
pub fn collect(backend: &Backend, scope: Scope) -> Vec<Arc<FileReport>> {
    let open: Vec<_> = {
        let mut state = backend.state();
        state.docs.values_mut().map(|d| d.snapshot()).collect()
    };
    let mut out: Vec<Arc<FileReport>> = Vec::new();
    let mut open_paths = HashSet::new();
    for snap in &open {
        let Some(path) = &snap.path else { continue };
        if super::doc_kind(backend, path).is_none() {
            continue;
        }
        open_paths.insert(path.clone());
        let (linted, _) = super::diagnostics::linted(backend, snap);
        out.push(Arc::new(FileReport::new(snap.uri.clone(), Some(snap.version), linted.lsp.clone())));
    }
    if scope == Scope::Workspace {
        out.extend(closed_files(backend, &open_paths));
    }
    out.sort_by(|a, b| a.uri.as_str().cmp(b.uri.as_str()));
    out
}

/// Closed files with problems: the last pass when it is recent and nothing they depend
/// on changed since, else a new one.
fn closed_files(backend: &Backend, open: &HashSet<PathBuf>) -> Vec<Arc<FileReport>> {
    let wd = &backend.workspace_diagnostics;
    let deps = wd.deps.load(Ordering::SeqCst);
    let disk = wd.disk.load(Ordering::SeqCst);
    let is_open = |r: &Arc<FileReport>| r.uri.to_file_path().is_some_and(|p| open.contains(p.as_ref()));
    // A file opened since is reported from its buffer, one closed since from the pass.
    if let Some(last) = wd.last_pass.lock().unwrap_or_else(|e| e.into_inner()).as_ref()
        && last.deps == deps
        && last.disk == disk
        && last.at.elapsed() < RESTAT
    {
        return last.reports.iter().filter(|r| !is_open(r)).cloned().collect();
    }
    let at = std::time::Instant::now();
    // The pass covers every indexed file, open ones too, so it stays valid whatever is
    // opened next; open ones are left out of what is returned.
    let reports = closed_pass(backend, deps);
    let out = reports.iter().filter(|r| !is_open(r)).cloned().collect();
    *wd.last_pass.lock().unwrap_or_else(|e| e.into_inner()) = Some(LastPass { deps, disk, at, reports });
    out
}

/// Every indexed file with problems, linted from disk (or remembered per file when
/// neither it nor what it depends on changed).
fn closed_pass(backend: &Backend, deps: u64) -> Vec<Arc<FileReport>> {
    let (unit, profile_override) = {
        let state = backend.state();
        (state.unit, state.profile_override)
    };
    let wd = &backend.workspace_diagnostics;
    let paths: Vec<PathBuf> = {
        let ws = backend.ws_read();
        if !ws.has_root {
            return Vec::new();
        }
        let config = ws.config.root.join(llmos_workspace::config::FILE_NAME);
        ws.index.skills().map(|e| e.path.clone()).chain(ws.index.sessions().map(|e| e.path.clone())).chain(config.is_file().then_some(config)).collect()
    };
    let mut out = Vec::new();
    for chunk in paths.chunks(CHUNK) {
        let ws = backend.ws_read();
        let profile = ws.profile(profile_override);
        let found: Vec<Option<Arc<FileReport>>> = chunk
            .par_iter()
            .map(|path| {
                let stamp = std::fs::metadata(path).map(|m| (m.modified().ok(), m.len())).ok()?;
                if let Some(c) = wd.cache.lock().unwrap_or_else(|e| e.into_inner()).get(path)
                    && c.stamp == stamp
                    && c.deps == deps
                    && c.unit == unit
                    && c.profile == profile
                {
                    return c.report.clone();
                }
                let report = lint_closed(&ws, path, profile, unit).map(Arc::new);
                wd.cache.lock().unwrap_or_else(|e| e.into_inner()).insert(path.clone(), Cached { stamp, deps, unit, profile, report: report.clone() });
                report
            })
            .collect();
        out.extend(found.into_iter().flatten());
    }
    out
}

/// One closed file's diagnostics as `llmos check` finds them; `None` when it has none
/// (or vanished).
fn lint_closed(ws: &Workspace, path: &Path, profile: Profile, unit: ColumnUnit) -> Option<FileReport> {
    let uri = path_to_uri(path)?;
    let bytes = match llmos_workspace::bounded::read_bytes(path, ws.config.max_file_size) {
        Ok(bytes) => bytes,
        Err(FileError::TooLarge { size, max, .. }) => {
            let d = Diagnostic::new(&rules::FILE_TOO_LARGE, 0..0, format!("{size} bytes is over the {max} byte limit (`max_file_size`); not analysed"));
            return Some(convert(uri, "", &[d], unit));
        }
        Err(e @ FileError::NotRegular { .. }) => return Some(convert(uri, "", &[Diagnostic::new(&rules::FILE_NOT_REGULAR, 0..0, e.to_string())], unit)),
        Err(FileError::Io { .. }) => return None,
    };
    let diags = match lint_encoding(&bytes) {
        Ok(text) => {
            let diags = lint_document_with(&ws.config, &ws.index, Some(&ws.links), path, text, profile, None);
            if diags.is_empty() {
                return None;
            }
            return Some(convert(uri, text, &diags, unit));
        }
        Err(d) => vec![d],
    };
    Some(convert(uri, "", &diags, unit))
}

fn convert(uri: Uri, text: &str, diags: &[Diagnostic], unit: ColumnUnit) -> FileReport {
    let index = LineIndex::new(text);
    let conv = PosConv { text, index: &index, unit };
    let items = conv.diagnostics(diags);
    FileReport::new(uri, None, items)
}

/// For clients that do not pull: publishes the diagnostics of closed files with problems
/// (and an empty list for those that no longer have any), a moment after the workspace
/// changed. Open documents keep their own per-version push.
fn schedule_push(backend: &Backend) {
    if backend.state().client.pull_diagnostics || backend.workspace_diagnostics.push_scheduled.swap(true, Ordering::SeqCst) {
        return;
    }
    let backend = backend.clone();
    tokio::spawn(async move {
        // A checkout or a commit sends several events; one pass covers them.
        tokio::time::sleep(Duration::from_millis(300)).await;
        backend.workspace_diagnostics.push_scheduled.store(false, Ordering::SeqCst);
        if !backend.wait_for_index(crate::lsp::INDEX_WAIT).await {
            return;
        }
        let scope = scope(&backend);
        let b = backend.clone();
        let closed = match tokio::task::spawn_blocking(move || {
            let open: HashSet<PathBuf> = b.state().docs.values().filter_map(|d| d.path.clone()).collect();
            if scope == Scope::Workspace { closed_files(&b, &open) } else { Vec::new() }
        })
        .await
        {
            Ok(reports) => reports,
            Err(e) => {
                tracing::error!("workspace diagnostics failed: {e}");
                return;
            }
        };
        let open: HashSet<Uri> = backend.state().docs.keys().cloned().collect();
        let mut sends = Vec::new();
        {
            let mut pushed = backend.workspace_diagnostics.pushed.lock().unwrap_or_else(|e| e.into_inner());
            let now: HashSet<Uri> = closed.iter().map(|r| r.uri.clone()).collect();
            for r in &closed {
                if pushed.get(&r.uri) != Some(&r.result_id) {
                    pushed.insert(r.uri.clone(), r.result_id.clone());
                    sends.push((r.uri.clone(), r.items.clone()));
                }
            }
            let gone: Vec<Uri> = pushed.keys().filter(|u| !now.contains(*u)).cloned().collect();
            for uri in gone {
                pushed.remove(&uri);
                // An open document's own push owns its diagnostics.
                if !open.contains(&uri) {
                    sends.push((uri, Vec::new()));
                }
            }
        }
        for (uri, items) in sends {
            backend.client.publish_diagnostics(uri, items, None).await;
        }
    });
}
