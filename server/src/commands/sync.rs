//! `llmos.volume.sync {volume?}`: the editor's side of `llmos_engine::sync`.

use llmos_engine::sync::{sync_volume, targets};
use serde_json::{Value, json};
use tower_lsp_server::jsonrpc::Result;

use super::{invalid_args, user_error};
use crate::lsp::Backend;

/// `llmos.volume.sync {volume?}`.
pub async fn run(backend: &Backend, args: &Value) -> Result<Value> {
    let config = backend.ws_read().config.clone();
    let kinds = targets(&config, args.get("volume").and_then(Value::as_str)).map_err(invalid_args)?;
    let mut results = Vec::new();
    for kind in kinds {
        let outcome = sync_volume(&config, kind).await.map_err(|e| user_error(format!("sync of the {kind} volume failed: {e}")))?;
        results.push(outcome);
    }
    // Files changed on disk: re-read the index, re-check open documents.
    crate::handlers::watched_files::reload_config(backend);
    Ok(json!({ "volumes": results }))
}
