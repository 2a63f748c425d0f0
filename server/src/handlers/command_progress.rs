//! `$/progress` around commands that report none themselves (commit), so an editor's
//! progress view and statusline show every piece of server work, not only replies,
//! evolution and indexing.

use std::future::Future;
use std::time::Duration;

use serde_json::Value;
use tower_lsp_server::jsonrpc::Result;
use tower_lsp_server::ls_types::*;

use crate::lsp::Backend;

/// Runs `work` between a `begin` titled `title` and an `end` whose message `done` makes
/// from the result ("failed" on an error). Without client support, or when the client
/// does not create the token in time, `work` runs without progress.
pub async fn around<F>(backend: &Backend, title: &str, work: F, done: impl FnOnce(&Value) -> String) -> Result<Option<Value>>
where
    F: Future<Output = Result<Option<Value>>>,
{
    let token = begin(backend, title).await;
    let result = work.await;
    if let Some(token) = token {
        let message = match &result {
            Ok(Some(value)) => done(value),
            Ok(None) => "done".to_string(),
            Err(_) => "failed".to_string(),
        };
        send(backend, &token, WorkDoneProgress::End(WorkDoneProgressEnd { message: Some(message) })).await;
    }
    result
}

async fn begin(backend: &Backend, title: &str) -> Option<ProgressToken> {
    if !backend.state().client.work_done_progress {
        return None;
    }
    let token = ProgressToken::String(format!("llmos-command-{}", backend.jobs.next_id()));
    // An editor slow to answer must not hold up the command.
    let created = tokio::time::timeout(Duration::from_secs(2), backend.client.create_work_done_progress(token.clone())).await;
    if !matches!(created, Ok(Ok(()))) {
        return None;
    }
    let begin = WorkDoneProgressBegin { title: title.to_string(), cancellable: Some(false), message: None, percentage: None };
    send(backend, &token, WorkDoneProgress::Begin(begin)).await;
    Some(token)
}

async fn send(backend: &Backend, token: &ProgressToken, value: WorkDoneProgress) {
    backend.client.send_notification::<notification::Progress>(ProgressParams { token: token.clone(), value: ProgressParamsValue::WorkDone(value) }).await;
}

/// The end message of a commit: `committed 1a2b3c4`.
pub fn committed(result: &Value) -> String {
    match result.get("short").and_then(Value::as_str) {
        Some(short) => format!("committed {short}"),
        None => "committed".to_string(),
    }
}
