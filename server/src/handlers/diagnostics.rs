//! Diagnostics: computed from a snapshot off the message loop, debounced per document,
//! pushed (or answered to `textDocument/diagnostic` when the client pulls).

use std::sync::Arc;
use std::time::Duration;

use llmos_documents::line_index::ColumnUnit;
use llmos_documents::lint::{DocContext, lint_skill, lint_text_encoding};
use llmos_documents::{Diagnostic, Profile, rules};
use llmos_workspace::DocKind;
use llmos_workspace::check::lint_document_with;
use tower_lsp_server::ls_types::{self as lsp, Uri};

use crate::lsp::Backend;
use crate::lsp::state::{DocSnapshot, Linted, Workspace};

/// Core diagnostics for one snapshot. Files outside volumes get none, except a lone
/// `SKILL.md` when there is no workspace at all (editing a skills repository).
pub fn compute(ws: &Workspace, snap: &DocSnapshot, profile: Profile) -> Vec<Diagnostic> {
    compute_parsed(ws, snap, profile, None)
}

/// [`compute`] with the session already parsed.
pub fn compute_parsed(ws: &Workspace, snap: &DocSnapshot, profile: Profile, session: Option<&llmos_documents::SessionDoc>) -> Vec<Diagnostic> {
    let Some(path) = &snap.path else { return Vec::new() };
    let kind = ws.kind_of(path);
    if snap.text.len() as u64 > ws.config.max_file_size && kind.is_some() {
        return vec![Diagnostic::new(
            &rules::FILE_TOO_LARGE,
            0..0,
            format!("{} bytes is over the {} byte limit (`max_file_size`); not analysed", snap.text.len(), ws.config.max_file_size),
        )];
    }
    if let Err(d) = lint_text_encoding(&snap.text) {
        return if kind.is_some() { vec![d] } else { Vec::new() };
    }
    match kind {
        Some(DocKind::Config) => ws.config.apply_severities(llmos_workspace::Config::parse(&snap.text, &ws.config.root).1),
        Some(_) => {
            let mut diags = lint_document_with(&ws.config, &ws.index, Some(&ws.links), path, &snap.text, profile, session);
            if kind == Some(DocKind::Session) {
                let own;
                let doc = match session {
                    Some(d) => d,
                    None => {
                        own = llmos_documents::SessionDoc::parse(&snap.text);
                        &own
                    }
                };
                diags.extend(llmos_engine::session::changed_since_commit(ws, path, doc, &snap.text));
            }
            diags
        }
        None if !ws.has_root && path.file_name().is_some_and(|f| f == "SKILL.md") => {
            let ctx = DocContext { path, volume: None, profile };
            lint_skill(&snap.text, &ctx, &llmos_documents::lint::NoEnv)
        }
        None => Vec::new(),
    }
}

/// Updates the index from the snapshot and computes its LSP diagnostics. Returns whether
/// the set of skill names changed (so other documents need re-checking).
pub fn run(backend: &Backend, snap: &Arc<DocSnapshot>) -> (Vec<lsp::Diagnostic>, bool) {
    let (linted, names_changed) = lint(backend, snap);
    (linted.lsp.clone(), names_changed)
}

/// The diagnostics of the snapshot's generation: remembered ones when this generation was
/// linted already (a pull after the debounced run, a code action), else a fresh run that
/// also updates the index.
pub fn linted(backend: &Backend, snap: &Arc<DocSnapshot>) -> (Arc<Linted>, bool) {
    let cached = backend.state().docs.get(&snap.uri).and_then(|d| d.linted.clone()).filter(|l| l.generation == snap.generation);
    match cached {
        Some(l) => (l, false),
        None => lint(backend, snap),
    }
}

fn lint(backend: &Backend, snap: &Arc<DocSnapshot>) -> (Arc<Linted>, bool) {
    let (profile, unit, parsed_before) = {
        let mut state = backend.state();
        state.lint_runs += 1;
        // Taken, not shared: the re-parse then shifts that document in place.
        let before = state.docs.get_mut(&snap.uri).and_then(|d| d.parsed.take());
        (state.profile_override, state.unit, before)
    };
    let mut names_changed = false;
    let mut session = None;
    if let Some(path) = &snap.path {
        let kind = backend.ws_read().kind_of(path);
        let max = backend.ws_read().config.max_file_size;
        if kind.is_some_and(|k| k != DocKind::Config) && snap.text.len() as u64 <= max {
            // Parsed before taking the write lock, and from the last parse when the edit
            // since leaves the structure alone (a keystroke in a 1 MB transcript).
            let doc = (kind == Some(DocKind::Session) && lint_encoding_ok(&snap.text)).then(|| {
                let doc = match parsed_before {
                    Some((before, doc)) => {
                        let doc = Arc::try_unwrap(doc).unwrap_or_else(|shared| (*shared).clone());
                        llmos_documents::session_edit::reparse_owned(&before.text, doc, &snap.text)
                    }
                    None => llmos_documents::SessionDoc::parse(&snap.text),
                };
                Arc::new(doc)
            });
            if let Some(doc) = &doc
                && let Some(open) = backend.state().docs.get_mut(&snap.uri)
            {
                open.parsed = Some((snap.clone(), doc.clone()));
            }
            let mut ws = backend.ws_write();
            let Workspace { config, index, .. } = &mut *ws;
            match doc {
                // Parse once: the index entry and the lint rules share it.
                Some(doc) => {
                    index.update_session(config, path, &doc, &snap.text);
                    session = Some(doc);
                }
                None => names_changed = index.update(config, path, &snap.text),
            }
        }
    }
    let core = {
        let ws = backend.ws_read();
        compute_parsed(&ws, snap, ws.profile(profile), session.as_deref())
    };
    let conv = snap.conv(unit);
    let lsp = conv.diagnostics(&core);
    let linted = Arc::new(Linted { generation: snap.generation, core, lsp });
    if let Some(doc) = backend.state().docs.get_mut(&snap.uri).filter(|d| d.generation == snap.generation) {
        doc.linted = Some(linted.clone());
    }
    (linted, names_changed)
}

/// Schedules diagnostics for `uri` after the debounce (immediately when `now`).
pub fn schedule(backend: &Backend, uri: Uri, now: bool) {
    let (generation, debounce, pull) = {
        let state = backend.state();
        let Some(doc) = state.docs.get(&uri) else { return };
        (doc.generation, if now { 0 } else { state.debounce_ms }, state.client.pull_diagnostics)
    };
    super::workspace_diagnostic::document_changed(backend);
    let backend = backend.clone();
    tokio::spawn(async move {
        if debounce > 0 {
            tokio::time::sleep(Duration::from_millis(debounce)).await;
        }
        if let Some((diags, version, at)) = oversized(&backend, &uri) {
            // Too large to analyse: one diagnostic, and no snapshot, parse or lint.
            if at == generation && !pull {
                backend.client.publish_diagnostics(uri.clone(), diags, Some(version)).await;
            }
            return;
        }
        let Some(snap) = current(&backend, &uri, generation) else { return };
        // A panic in a pass must not leave stale diagnostics in place as if all were
        // well: the document gets one diagnostic saying so, and the next edit retries.
        let Some((linted, names_changed)) = crate::lsp::unwind::task("diagnostics", async { linted(&backend, &snap) }).await else {
            if !pull {
                backend.client.publish_diagnostics(uri.clone(), vec![internal_failure()], Some(snap.version)).await;
            }
            return;
        };
        if !pull {
            // Publish only if no newer edit arrived meanwhile; that edit publishes its own.
            if current(&backend, &uri, generation).is_some() {
                backend.client.publish_diagnostics(uri.clone(), linted.lsp.clone(), Some(snap.version)).await;
            }
        }
        if names_changed {
            refresh_others(&backend, &uri);
        }
        if pull && names_changed {
            let _ = backend.client.workspace_diagnostic_refresh().await;
        }
    });
}

/// The diagnostics of an open document over the size cap ([`super::over_cap`]) with its
/// version and generation: one `file/too-large` for an llmos document, none for another
/// file. `None` when the document is small enough to analyse.
fn oversized(backend: &Backend, uri: &Uri) -> Option<(Vec<lsp::Diagnostic>, i32, u64)> {
    let (len, cap) = super::over_cap(backend, uri)?;
    let (path, version, generation) = {
        let state = backend.state();
        let doc = state.docs.get(uri)?;
        (doc.path.clone(), doc.version, doc.generation)
    };
    let ws = backend.ws_read();
    let llmos_doc = path.as_deref().is_some_and(|p| ws.kind_of(p).is_some() || (!ws.has_root && p.file_name().is_some_and(|f| f == "SKILL.md")));
    if !llmos_doc {
        return Some((Vec::new(), version, generation));
    }
    let core = ws.config.apply_severities(vec![Diagnostic::new(
        &rules::FILE_TOO_LARGE,
        0..0,
        format!(
            "this document is {len} bytes, over the {cap} byte limit (`max_file_size` in llmos.toml); llmos does not analyse it (no diagnostics, hover, completion or symbols) until it is smaller"
        ),
    )]);
    // Offset 0 is line 0, column 0 whatever the text: no copy of the text is needed.
    let index = llmos_documents::LineIndex::new("");
    let conv = crate::lsp::convert::PosConv { text: "", index: &index, unit: ColumnUnit::Utf16 };
    Some((conv.diagnostics(&core), version, generation))
}

/// Shown in place of a document's diagnostics when checking it failed internally.
fn internal_failure() -> lsp::Diagnostic {
    lsp::Diagnostic {
        severity: Some(lsp::DiagnosticSeverity::ERROR),
        source: Some("llmos".into()),
        message: "llmos failed internally while checking this document; the server log has the details. Editing the document retries.".into(),
        ..lsp::Diagnostic::default()
    }
}

fn current(backend: &Backend, uri: &Uri, generation: u64) -> Option<Arc<DocSnapshot>> {
    let mut state = backend.state();
    let doc = state.docs.get_mut(uri)?;
    (doc.generation == generation).then(|| doc.snapshot())
}

/// Re-diagnoses every open document (config or index changed).
pub fn refresh_all(backend: &Backend) {
    super::workspace_diagnostic::workspace_changed(backend);
    refresh_open(backend);
}

/// [`refresh_all`] after files were edited on disk without changing what other files
/// depend on: closed files are only re-read where they changed.
pub fn refresh_after_file_edits(backend: &Backend) {
    super::workspace_diagnostic::files_changed(backend);
    refresh_open(backend);
}

fn refresh_open(backend: &Backend) {
    // Called after commits, syncs and file events: what git says may have changed.
    backend.ws_read().git.clear();
    let uris: Vec<Uri> = forget_linted(backend, None);
    for uri in uris {
        schedule(backend, uri, true);
    }
}

fn refresh_others(backend: &Backend, except: &Uri) {
    super::workspace_diagnostic::workspace_changed(backend);
    let uris: Vec<Uri> = forget_linted(backend, Some(except));
    for uri in uris {
        schedule(backend, uri, true);
    }
}

/// Drops the remembered diagnostics of every open document but `except` (what they
/// depend on changed) and lists those documents.
fn forget_linted(backend: &Backend, except: Option<&Uri>) -> Vec<Uri> {
    let mut state = backend.state();
    state
        .docs
        .values_mut()
        .filter(|d| Some(&d.uri) != except)
        .map(|d| {
            d.linted = None;
            d.uri.clone()
        })
        .collect()
}

/// `textDocument/diagnostic` for clients that pull.
pub fn pull(backend: &Backend, params: lsp::DocumentDiagnosticParams) -> lsp::DocumentDiagnosticReportResult {
    let uri = &params.text_document.uri;
    let items = match oversized(backend, uri) {
        Some((items, _, _)) => items,
        None => match super::snapshot(backend, uri) {
            Some(snap) => linted(backend, &snap).0.lsp.clone(),
            None => Vec::new(),
        },
    };
    lsp::DocumentDiagnosticReportResult::Report(lsp::DocumentDiagnosticReport::Full(lsp::RelatedFullDocumentDiagnosticReport {
        related_documents: None,
        full_document_diagnostic_report: lsp::FullDocumentDiagnosticReport { result_id: None, items },
    }))
}

fn lint_encoding_ok(text: &str) -> bool {
    lint_text_encoding(text).is_ok()
}
