//! `llmos.evolution.run` (filled in with the evolution engine).

use serde_json::Value;
use tower_lsp_server::jsonrpc::Result;

use super::user_error;
use crate::lsp::Backend;

pub async fn run(backend: &Backend, args: &Value) -> Result<Value> {
    let _ = (backend, args);
    Err(user_error("evolution is not wired yet"))
}
