//! `workspace/executeCommand`: one module per command family. Each command takes one
//! JSON object and returns JSON. Long work runs off the request path, reports
//! `$/progress` and honours cancellation.

pub mod chat;
pub mod evolution;
pub mod github;
pub mod promote;
pub mod scheduler;
pub mod session;
pub mod status;
pub mod sync;

use std::collections::HashMap;
use std::sync::Mutex;

use serde_json::Value;
use tokio_util::sync::CancellationToken;
use tower_lsp_server::jsonrpc::{Error, ErrorCode, Result};
use tower_lsp_server::ls_types::{ExecuteCommandParams, Uri};

use crate::lsp::Backend;

/// Running background work: chats per document, evolution runs per volume.
#[derive(Default)]
pub struct Jobs {
    chats: Mutex<HashMap<String, CancellationToken>>,
    evolutions: Mutex<HashMap<String, CancellationToken>>,
    /// `$/progress` tokens of running work → what cancelling them stops.
    progress: Mutex<HashMap<String, String>>,
    counter: std::sync::atomic::AtomicU64,
}

impl Jobs {
    fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
        m.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Registers a chat on `uri`; `None` when one is already running there.
    pub fn start_chat(&self, uri: &Uri) -> Option<CancellationToken> {
        let mut chats = Self::lock(&self.chats);
        if chats.contains_key(uri.as_str()) {
            return None;
        }
        let token = CancellationToken::new();
        chats.insert(uri.as_str().to_string(), token.clone());
        Some(token)
    }

    pub fn end_chat(&self, uri: &Uri) {
        Self::lock(&self.chats).remove(uri.as_str());
    }

    pub fn cancel_chat(&self, uri: &Uri) -> bool {
        match Self::lock(&self.chats).get(uri.as_str()) {
            Some(t) => {
                t.cancel();
                true
            }
            None => false,
        }
    }

    pub fn is_chatting(&self, uri: &Uri) -> bool {
        Self::lock(&self.chats).contains_key(uri.as_str())
    }

    pub fn start_evolution(&self, volume: &str) -> Option<CancellationToken> {
        let mut runs = Self::lock(&self.evolutions);
        if runs.contains_key(volume) {
            return None;
        }
        let token = CancellationToken::new();
        runs.insert(volume.to_string(), token.clone());
        Some(token)
    }

    pub fn end_evolution(&self, volume: &str) {
        Self::lock(&self.evolutions).remove(volume);
    }

    pub fn next_id(&self) -> u64 {
        self.counter.fetch_add(1, std::sync::atomic::Ordering::Relaxed) + 1
    }

    fn token_key(token: &tower_lsp_server::ls_types::ProgressToken) -> String {
        match token {
            tower_lsp_server::ls_types::NumberOrString::Number(n) => n.to_string(),
            tower_lsp_server::ls_types::NumberOrString::String(s) => s.clone(),
        }
    }

    /// Remembers that cancelling `token` in the editor stops the chat on `uri`.
    pub fn remember_progress(&self, token: &tower_lsp_server::ls_types::ProgressToken, uri: &Uri) {
        Self::lock(&self.progress).insert(Self::token_key(token), format!("chat:{}", uri.as_str()));
    }

    pub fn remember_evolution_progress(&self, token: &tower_lsp_server::ls_types::ProgressToken, volume: &str) {
        Self::lock(&self.progress).insert(Self::token_key(token), format!("evolution:{volume}"));
    }

    pub fn forget_progress(&self, token: &tower_lsp_server::ls_types::ProgressToken) {
        Self::lock(&self.progress).remove(&Self::token_key(token));
    }

    /// `window/workDoneProgress/cancel`: the editor's cancel button.
    pub fn cancel_progress(&self, token: &tower_lsp_server::ls_types::ProgressToken) -> bool {
        let Some(target) = Self::lock(&self.progress).get(&Self::token_key(token)).cloned() else { return false };
        if let Some(uri) = target.strip_prefix("chat:") {
            if let Some(t) = Self::lock(&self.chats).get(uri) {
                t.cancel();
                return true;
            }
        } else if let Some(volume) = target.strip_prefix("evolution:")
            && let Some(t) = Self::lock(&self.evolutions).get(volume)
        {
            t.cancel();
            return true;
        }
        false
    }

    pub fn cancel_all(&self) {
        for t in Self::lock(&self.chats).values().chain(Self::lock(&self.evolutions).values()) {
            t.cancel();
        }
    }
}

/// A JSON-RPC error with a message meant for the user.
pub fn user_error(message: impl Into<String>) -> Error {
    Error { code: ErrorCode::InvalidRequest, message: message.into().into(), data: None }
}

pub fn invalid_args(message: impl Into<String>) -> Error {
    Error { code: ErrorCode::InvalidParams, message: message.into().into(), data: None }
}

/// The single argument object of a command.
pub fn arg_object(params: &ExecuteCommandParams) -> Value {
    params.arguments.first().cloned().filter(Value::is_object).unwrap_or_else(|| Value::Object(Default::default()))
}

pub fn arg_uri(args: &Value) -> Result<Uri> {
    let s = args.get("uri").and_then(Value::as_str).ok_or_else(|| invalid_args("this command needs {\"uri\": …}"))?;
    s.parse::<Uri>().map_err(|_| invalid_args(format!("not a URI: {s}")))
}

/// Commands sent right after start wait for the workspace to be loaded (up to 30 s), so
/// they see llmos.toml and the index rather than defaults.
async fn wait_until_ready(backend: &Backend) {
    backend.wait_for_index(std::time::Duration::from_secs(30)).await;
}

/// Commands that answer at once; the others are long and take a permit.
const QUICK: &[&str] = &["llmos.session.export", "llmos.chat.cancel", "llmos.volume.init"];

/// Whether `command` is long: it may take seconds (git, the network, a model, waiting
/// for the index), so it runs off the message slots and takes a permit.
pub fn is_long(command: &str) -> bool {
    !QUICK.contains(&command)
}

pub async fn execute(backend: &Backend, params: ExecuteCommandParams) -> Result<Option<Value>> {
    // Long commands run off the message slots (`lsp::framing`); the permits bound how
    // much such work runs at once (see `LONG_COMMANDS`).
    let _permit = if !is_long(&params.command) {
        None
    } else {
        match backend.long_commands.clone().try_acquire_owned() {
            Ok(p) => Some(p),
            Err(_) => return Err(user_error(format!("{} long commands are running already; try again when one has finished", crate::lsp::LONG_COMMANDS))),
        }
    };
    wait_until_ready(backend).await;
    let args = arg_object(&params);
    let result = match params.command.as_str() {
        "llmos.session.new" => session::new_session(backend, &args).await?,
        "llmos.session.commit" => session::commit(backend, &args).await?,
        "llmos.session.export" => session::export(backend, &args)?,
        "llmos.volume.init" => session::init_volume(backend, &args)?,
        "llmos.chat.send" => chat::send(backend, &args).await?,
        "llmos.chat.cancel" => chat::cancel(backend, &args)?,
        "llmos.evolution.run" => evolution::run(backend, &args).await?,
        "llmos.skill.promote" => promote::run(backend, &args).await?,
        "llmos.github.login" => github::run_login(backend, &args).await?,
        "llmos.volume.sync" => sync::run(backend, &args).await?,
        other => return Err(invalid_args(format!("unknown command `{other}`"))),
    };
    Ok(Some(result))
}
