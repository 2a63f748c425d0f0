//! The language server: the backend shared by every handler, and the wiring of LSP
//! methods to the handler modules in [`crate::handlers`].

pub mod convert;
pub mod framing;
pub mod state;
pub mod unwind;

use std::sync::{Arc, Mutex, RwLock};

use tower_lsp_server::jsonrpc::Result;
use tower_lsp_server::ls_types::*;
use tower_lsp_server::{Client, LanguageServer, LspService, Server};

use crate::handlers;
use state::{State, Workspace};

/// Every command the server offers through `workspace/executeCommand`.
pub const COMMANDS: &[&str] = &[
    "llmos.session.new",
    "llmos.session.commit",
    "llmos.session.export",
    "llmos.chat.send",
    "llmos.chat.cancel",
    "llmos.evolution.run",
    "llmos.skill.promote",
    "llmos.volume.sync",
    "llmos.github.login",
    "llmos.volume.init",
];

/// Shared by all handlers. Cheap to clone.
#[derive(Clone)]
pub struct Backend {
    pub client: Client,
    pub state: Arc<Mutex<State>>,
    pub ws: Arc<RwLock<Workspace>>,
    pub jobs: Arc<crate::commands::Jobs>,
    /// Becomes true when the first indexing is over (or failed): requests that need the
    /// index wait on it rather than answer from an empty one.
    pub indexed: Arc<tokio::sync::watch::Sender<bool>>,
    /// Permits for long commands, see [`LONG_COMMANDS`].
    pub long_commands: Arc<tokio::sync::Semaphore>,
    /// Between `initialize` and `shutdown`: when long commands may run off the slots.
    pub serving: Arc<std::sync::atomic::AtomicBool>,
    /// Held pulls, remembered closed-file results and pushes of `workspace/diagnostic`.
    pub workspace_diagnostics: Arc<handlers::workspace_diagnostic::WorkspaceDiagnostics>,
}

/// Messages tower-lsp-server handles at once (its default is 4). Every message in flight
/// holds one slot until it is answered; long commands are answered outside them (see
/// `framing`), so the slots only ever wait on quick work.
pub const CONCURRENT_MESSAGES: usize = 32;

/// Long commands (commit, sync, evolution, promote, login, chat with `wait`) that may
/// run at once; one more is refused with a message rather than queued.
pub const LONG_COMMANDS: usize = 64;

/// How long a request that needs the index waits for the first indexing before it
/// answers from what there is (100,000 + 100,000 files index in a few seconds).
pub const INDEX_WAIT: std::time::Duration = std::time::Duration::from_secs(15);

impl Backend {
    pub fn new(client: Client) -> Self {
        let config = llmos_workspace::Config::default_for(std::path::Path::new("/nonexistent-llmos-workspace"));
        Self {
            client,
            state: Arc::new(Mutex::new(State::default())),
            ws: Arc::new(RwLock::new(Workspace::empty(config))),
            jobs: Arc::new(crate::commands::Jobs::default()),
            indexed: Arc::new(tokio::sync::watch::channel(false).0),
            long_commands: Arc::new(tokio::sync::Semaphore::new(LONG_COMMANDS)),
            serving: Arc::new(std::sync::atomic::AtomicBool::new(false)),
            workspace_diagnostics: Arc::default(),
        }
    }

    /// Waits (at most `limit`) until the workspace index is built; at once when it is or
    /// when there is no workspace. Returns whether the index is complete.
    pub async fn wait_for_index(&self, limit: std::time::Duration) -> bool {
        // Subscribed before looking, so a signal sent in between is not missed.
        let mut rx = self.indexed.subscribe();
        {
            let ws = self.ws_read();
            if ws.ready || !ws.has_root {
                return true;
            }
        }
        matches!(tokio::time::timeout(limit, rx.wait_for(|done| *done)).await, Ok(Ok(_)))
    }

    /// Marks the first indexing as over and wakes the requests waiting for it.
    pub fn index_done(&self) {
        self.indexed.send_replace(true);
    }

    /// Locks the document state. A poisoned lock (a panic elsewhere) is recovered rather
    /// than taking the server down.
    pub fn state(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub fn ws_read(&self) -> std::sync::RwLockReadGuard<'_, Workspace> {
        self.ws.read().unwrap_or_else(|e| e.into_inner())
    }

    pub fn ws_write(&self) -> std::sync::RwLockWriteGuard<'_, Workspace> {
        self.ws.write().unwrap_or_else(|e| e.into_inner())
    }
}

/// Builds the service (used by `serve` and by the in-process test harness).
pub fn service() -> (LspService<Backend>, tower_lsp_server::ClientSocket) {
    LspService::build(Backend::new)
        .custom_method("llmos/status", Backend::status)
        .custom_method(framing::BARRIER_METHOD, Backend::barrier)
        .custom_method("llmos/providerCheck", Backend::provider_check)
        .custom_method("window/workDoneProgress/cancel", Backend::progress_cancel)
        .finish()
}

/// Serves LSP on the given streams until `exit`.
pub async fn serve<I, O>(input: I, output: O)
where
    I: tokio::io::AsyncRead + Unpin + Send + 'static,
    O: tokio::io::AsyncWrite + Unpin,
{
    let (service, socket) = service();
    let divert = long_commands_off_the_slots(service.inner().clone());
    framing::serve_guarded(input, output, Some(divert), |server_in, server_out| {
        Server::new(server_in, server_out, socket).concurrency_level(CONCURRENT_MESSAGES).serve(service)
    })
    .await;
}

/// Long commands are answered by the frame guard's own tasks (see `framing`), so they
/// never hold a message slot; quick ones, and anything before `initialize` or after
/// `shutdown`, stay with the server.
fn long_commands_off_the_slots(backend: Backend) -> framing::Divert {
    let decide = Box::new(move |msg: &serde_json::Value| -> Option<framing::Answer> {
        if !backend.serving.load(std::sync::atomic::Ordering::SeqCst) {
            return None;
        }
        let params: ExecuteCommandParams = serde_json::from_value(msg.get("params")?.clone()).ok()?;
        if !crate::commands::is_long(&params.command) {
            return None;
        }
        let backend = backend.clone();
        Some(Box::pin(async move {
            let answer = unwind::request("workspace/executeCommand", backend.run_command(params)).await;
            match answer {
                Ok(value) => Ok(serde_json::to_value(value).unwrap_or(serde_json::Value::Null)),
                Err(e) => Err(serde_json::to_value(e).unwrap_or_else(|_| serde_json::json!({ "code": -32603, "message": "internal error" }))),
            }
        }))
    });
    framing::Divert { method: "workspace/executeCommand", decide }
}

impl Backend {
    /// Runs a command, with `$/progress` around those that report none of their own.
    async fn run_command(&self, params: ExecuteCommandParams) -> Result<Option<LSPAny>> {
        if params.command == "llmos.session.commit" {
            let work = crate::commands::execute(self, params);
            return handlers::command_progress::around(self, "Committing session", work, handlers::command_progress::committed).await;
        }
        crate::commands::execute(self, params).await
    }

    /// `llmos/barrier`: answered once every message sent before it was handled (see
    /// `framing`).
    async fn barrier(&self) -> Result<()> {
        Ok(())
    }

    async fn status(&self) -> Result<serde_json::Value> {
        unwind::request("llmos/status", async { Ok(crate::commands::status::status(self)) }).await
    }

    async fn provider_check(&self) -> Result<serde_json::Value> {
        unwind::request("llmos/providerCheck", async { Ok(handlers::provider_check::provider_check(self).await) }).await
    }

    async fn progress_cancel(&self, params: WorkDoneProgressCancelParams) {
        unwind::task("window/workDoneProgress/cancel", async {
            self.jobs.cancel_progress(&params.token);
        })
        .await;
    }
}

impl LanguageServer for Backend {
    async fn initialize(&self, params: InitializeParams) -> Result<InitializeResult> {
        let result = unwind::request("initialize", async { Ok(handlers::initialize::initialize(self, params)) }).await;
        self.serving.store(result.is_ok(), std::sync::atomic::Ordering::SeqCst);
        result
    }

    async fn initialized(&self, _: InitializedParams) {
        unwind::task("initialized", async {
            handlers::initialize::initialized(self).await;
        })
        .await;
    }

    async fn shutdown(&self) -> Result<()> {
        unwind::request("shutdown", async {
            self.serving.store(false, std::sync::atomic::Ordering::SeqCst);
            self.jobs.cancel_all();
            Ok(())
        })
        .await
    }

    async fn did_open(&self, params: DidOpenTextDocumentParams) {
        unwind::task("textDocument/didOpen", async {
            handlers::did_open::did_open(self, params);
        })
        .await;
    }

    async fn did_change(&self, params: DidChangeTextDocumentParams) {
        unwind::task("textDocument/didChange", async {
            handlers::did_change::did_change(self, params);
        })
        .await;
    }

    async fn did_save(&self, params: DidSaveTextDocumentParams) {
        unwind::task("textDocument/didSave", async {
            handlers::did_save::did_save(self, params);
        })
        .await;
    }

    async fn did_close(&self, params: DidCloseTextDocumentParams) {
        unwind::task("textDocument/didClose", async {
            handlers::did_close::did_close(self, params).await;
        })
        .await;
    }

    async fn did_change_watched_files(&self, params: DidChangeWatchedFilesParams) {
        unwind::task("workspace/didChangeWatchedFiles", async {
            handlers::watched_files::did_change_watched_files(self, params);
        })
        .await;
    }

    async fn did_change_configuration(&self, params: DidChangeConfigurationParams) {
        unwind::task("workspace/didChangeConfiguration", async {
            handlers::configuration::did_change_configuration(self, params);
        })
        .await;
    }

    async fn diagnostic(&self, params: DocumentDiagnosticParams) -> Result<DocumentDiagnosticReportResult> {
        unwind::request("textDocument/diagnostic", async { Ok(handlers::diagnostics::pull(self, params)) }).await
    }

    async fn workspace_diagnostic(&self, params: WorkspaceDiagnosticParams) -> Result<WorkspaceDiagnosticReportResult> {
        unwind::request("workspace/diagnostic", async { Ok(handlers::workspace_diagnostic::workspace_diagnostic(self, params).await) }).await
    }

    async fn hover(&self, params: HoverParams) -> Result<Option<Hover>> {
        unwind::request("textDocument/hover", async { Ok(handlers::hover::hover(self, params)) }).await
    }

    async fn completion(&self, params: CompletionParams) -> Result<Option<CompletionResponse>> {
        unwind::request("textDocument/completion", async {
            self.wait_for_index(INDEX_WAIT).await;
            Ok(handlers::completion::completion(self, params))
        })
        .await
    }

    async fn document_symbol(&self, params: DocumentSymbolParams) -> Result<Option<DocumentSymbolResponse>> {
        unwind::request("textDocument/documentSymbol", async { Ok(handlers::document_symbol::document_symbol(self, params)) }).await
    }

    async fn symbol(&self, params: WorkspaceSymbolParams) -> Result<Option<WorkspaceSymbolResponse>> {
        unwind::request("workspace/symbol", async {
            self.wait_for_index(INDEX_WAIT).await;
            Ok(handlers::workspace_symbol::symbol(self, params))
        })
        .await
    }

    async fn folding_range(&self, params: FoldingRangeParams) -> Result<Option<Vec<FoldingRange>>> {
        unwind::request("textDocument/foldingRange", async { Ok(handlers::folding_range::folding_range(self, params)) }).await
    }

    async fn code_action(&self, params: CodeActionParams) -> Result<Option<CodeActionResponse>> {
        unwind::request("textDocument/codeAction", async { Ok(handlers::code_action::code_action(self, params)) }).await
    }

    async fn code_lens(&self, params: CodeLensParams) -> Result<Option<Vec<CodeLens>>> {
        unwind::request("textDocument/codeLens", async {
            self.wait_for_index(INDEX_WAIT).await;
            Ok(handlers::code_lens::code_lens(self, params))
        })
        .await
    }

    async fn goto_definition(&self, params: GotoDefinitionParams) -> Result<Option<GotoDefinitionResponse>> {
        unwind::request("textDocument/definition", async {
            self.wait_for_index(INDEX_WAIT).await;
            Ok(handlers::definition::goto_definition(self, params))
        })
        .await
    }

    async fn references(&self, params: ReferenceParams) -> Result<Option<Vec<Location>>> {
        unwind::request("textDocument/references", async {
            self.wait_for_index(INDEX_WAIT).await;
            Ok(handlers::references::references(self, params))
        })
        .await
    }

    async fn prepare_rename(&self, params: TextDocumentPositionParams) -> Result<Option<PrepareRenameResponse>> {
        unwind::request("textDocument/prepareRename", async {
            self.wait_for_index(INDEX_WAIT).await;
            handlers::rename::prepare_rename(self, params)
        })
        .await
    }

    async fn rename(&self, params: RenameParams) -> Result<Option<WorkspaceEdit>> {
        unwind::request("textDocument/rename", async {
            self.wait_for_index(INDEX_WAIT).await;
            handlers::rename::rename(self, params)
        })
        .await
    }

    async fn execute_command(&self, params: ExecuteCommandParams) -> Result<Option<LSPAny>> {
        unwind::request("workspace/executeCommand", self.run_command(params)).await
    }
}
