//! Chat inside a session (filled in with the provider client).

use serde_json::Value;
use tower_lsp_server::jsonrpc::Result;

use super::{arg_uri, user_error};
use crate::lsp::Backend;

pub async fn send(backend: &Backend, args: &Value) -> Result<Value> {
    let _uri = arg_uri(args)?;
    let _ = backend;
    Err(user_error("chat is not wired yet"))
}

pub fn cancel(backend: &Backend, args: &Value) -> Result<Value> {
    let uri = arg_uri(args)?;
    Ok(serde_json::json!({ "cancelled": backend.jobs.cancel_chat(&uri) }))
}
