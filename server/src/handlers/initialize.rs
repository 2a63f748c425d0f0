//! `initialize` / `initialized`: negotiate encodings and capabilities, find the
//! workspace, index it in the background, register file watchers.

use std::path::PathBuf;

use llmos_documents::Profile;
use llmos_workspace::Config;
use tower_lsp_server::ls_types::*;

use crate::lsp::convert::{column_unit, uri_to_path};
use crate::lsp::{Backend, COMMANDS};

pub fn initialize(backend: &Backend, params: InitializeParams) -> InitializeResult {
    let caps = &params.capabilities;
    let offered = caps.general.as_ref().and_then(|g| g.position_encodings.clone()).unwrap_or_default();
    let encoding = if offered.contains(&PositionEncodingKind::UTF8) { PositionEncodingKind::UTF8 } else { PositionEncodingKind::UTF16 };
    // Pull only when the client can also be told to pull again (refresh): otherwise a
    // change elsewhere (a deleted skill) would never reach its open documents.
    let refresh = caps.workspace.as_ref().and_then(|w| w.diagnostics.as_ref()).and_then(|d| d.refresh_support).unwrap_or(false);
    let pull = caps.text_document.as_ref().and_then(|t| t.diagnostic.as_ref()).is_some() && refresh;
    let root = find_root(&params);
    let options = params.initialization_options.clone().unwrap_or_default();
    {
        let mut state = backend.state();
        state.unit = column_unit(&encoding);
        state.client.markdown_images = caps
            .text_document
            .as_ref()
            .and_then(|t| t.hover.as_ref())
            .and_then(|h| h.content_format.as_ref())
            .is_some_and(|f| f.contains(&MarkupKind::Markdown))
            && options.get("markdownImages").and_then(|v| v.as_bool()).unwrap_or(true);
        state.client.dynamic_watchers =
            caps.workspace.as_ref().and_then(|w| w.did_change_watched_files.as_ref()).and_then(|d| d.dynamic_registration).unwrap_or(false);
        state.client.work_done_progress = caps.window.as_ref().and_then(|w| w.work_done_progress).unwrap_or(false);
        state.client.show_document = caps.window.as_ref().and_then(|w| w.show_document.as_ref()).is_some_and(|s| s.support);
        state.client.code_lens_refresh = caps.workspace.as_ref().and_then(|w| w.code_lens.as_ref()).and_then(|c| c.refresh_support).unwrap_or(false);
        state.client.pull_diagnostics = pull;
        state.client.apply_edit = caps.workspace.as_ref().and_then(|w| w.apply_edit).unwrap_or(false);
        state.editor_settings = options.clone();
        if let Some(p) = options.get("profile").and_then(|v| v.as_str()).and_then(Profile::parse) {
            state.profile_override = Some(p);
        }
        if let Some(on) = options.get("scheduler").and_then(|v| v.as_bool()) {
            state.scheduler = on;
        }
        if let Some(ms) = options.get("debounceMs").and_then(|v| v.as_u64()) {
            state.debounce_ms = ms.min(5_000);
        }
    }
    if let Some(root) = root {
        let mut ws = backend.ws_write();
        ws.config = Config::default_for(&root);
        ws.has_root = true;
    }
    InitializeResult {
        server_info: Some(ServerInfo { name: "llmos".into(), version: Some(env!("CARGO_PKG_VERSION").into()) }),
        capabilities: ServerCapabilities {
            position_encoding: Some(encoding),
            text_document_sync: Some(TextDocumentSyncCapability::Options(TextDocumentSyncOptions {
                open_close: Some(true),
                change: Some(TextDocumentSyncKind::INCREMENTAL),
                save: Some(TextDocumentSyncSaveOptions::Supported(true)),
                ..Default::default()
            })),
            hover_provider: Some(HoverProviderCapability::Simple(true)),
            completion_provider: Some(CompletionOptions {
                trigger_characters: Some([":", " ", "[", "(", "/", "<", "-", ","].iter().map(|s| s.to_string()).collect()),
                ..Default::default()
            }),
            definition_provider: Some(OneOf::Left(true)),
            references_provider: Some(OneOf::Left(true)),
            document_symbol_provider: Some(OneOf::Left(true)),
            workspace_symbol_provider: Some(OneOf::Left(true)),
            folding_range_provider: Some(FoldingRangeProviderCapability::Simple(true)),
            code_action_provider: Some(CodeActionProviderCapability::Options(CodeActionOptions {
                code_action_kinds: Some(vec![CodeActionKind::QUICKFIX, CodeActionKind::SOURCE, CodeActionKind::REFACTOR]),
                ..Default::default()
            })),
            code_lens_provider: Some(CodeLensOptions { resolve_provider: Some(false) }),
            rename_provider: Some(OneOf::Right(RenameOptions { prepare_provider: Some(true), work_done_progress_options: Default::default() })),
            execute_command_provider: Some(ExecuteCommandOptions { commands: COMMANDS.iter().map(|c| c.to_string()).collect(), ..Default::default() }),
            diagnostic_provider: pull.then(|| {
                DiagnosticServerCapabilities::Options(DiagnosticOptions {
                    identifier: Some("llmos".into()),
                    inter_file_dependencies: true,
                    workspace_diagnostics: true,
                    ..Default::default()
                })
            }),
            workspace: Some(WorkspaceServerCapabilities {
                workspace_folders: Some(WorkspaceFoldersServerCapabilities { supported: Some(true), change_notifications: None }),
                file_operations: None,
            }),
            ..Default::default()
        },
        offset_encoding: None,
    }
}

/// The first workspace folder holding `llmos.toml` or `volumes/`, else the nearest such
/// folder above a workspace folder, else none (files outside volumes are ignored).
fn find_root(params: &InitializeParams) -> Option<PathBuf> {
    let mut folders: Vec<PathBuf> = params.workspace_folders.iter().flatten().filter_map(|f| uri_to_path(&f.uri)).collect();
    #[allow(deprecated)]
    if let Some(root) = params.root_uri.as_ref().and_then(uri_to_path) {
        folders.push(root);
    }
    folders.iter().find_map(|f| llmos_workspace::discover::find_root(f))
}

pub async fn initialized(backend: &Backend) {
    if backend.ws_read().has_root {
        let progress = IndexProgress::begin(backend).await;
        match super::watched_files::load_workspace(backend).await {
            Ok(counts) => progress.end(backend, counts).await,
            Err(e) => {
                progress.end(backend, "failed".into()).await;
                backend.client.log_message(MessageType::ERROR, format!("llmos: indexing failed: {e}")).await;
            }
        }
    }
    register_watchers(backend).await;
    crate::handlers::diagnostics::refresh_all(backend);
    crate::commands::scheduler::start(backend);
}

/// `$/progress` for the first indexing, when the editor shows progress.
struct IndexProgress(Option<ProgressToken>);

impl IndexProgress {
    async fn begin(backend: &Backend) -> Self {
        if !backend.state().client.work_done_progress {
            return Self(None);
        }
        let token = ProgressToken::String(format!("llmos-index-{}", backend.jobs.next_id()));
        // An editor slow to answer must not hold up indexing.
        let created = tokio::time::timeout(std::time::Duration::from_secs(2), backend.client.create_work_done_progress(token.clone())).await;
        if !matches!(created, Ok(Ok(()))) {
            return Self(None);
        }
        let begin = WorkDoneProgressBegin { title: "Indexing workspace".into(), cancellable: Some(false), message: None, percentage: None };
        backend.client.send_notification::<notification::Progress>(progress(&token, WorkDoneProgress::Begin(begin))).await;
        Self(Some(token))
    }

    async fn end(self, backend: &Backend, message: String) {
        if let Some(token) = self.0 {
            let end = WorkDoneProgressEnd { message: Some(message) };
            backend.client.send_notification::<notification::Progress>(progress(&token, WorkDoneProgress::End(end))).await;
        }
    }
}

fn progress(token: &ProgressToken, value: WorkDoneProgress) -> ProgressParams {
    ProgressParams { token: token.clone(), value: ProgressParamsValue::WorkDone(value) }
}

async fn register_watchers(backend: &Backend) {
    if !backend.state().client.dynamic_watchers {
        return;
    }
    let watchers = ["**/*.md", "**/llmos.toml", "**/skills/*"]
        .iter()
        .map(|g| FileSystemWatcher { glob_pattern: GlobPattern::String(g.to_string()), kind: None })
        .collect();
    let registration = Registration {
        id: "llmos-watch".into(),
        method: "workspace/didChangeWatchedFiles".into(),
        register_options: serde_json::to_value(DidChangeWatchedFilesRegistrationOptions { watchers }).ok(),
    };
    if let Err(e) = backend.client.register_capability(vec![registration]).await {
        backend.client.log_message(MessageType::WARNING, format!("llmos: file watching unavailable: {e}")).await;
    }
}
