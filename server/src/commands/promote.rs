//! `llmos.skill.promote {uri, to}`: the editor's side of `llmos_engine::promote`.

use llmos_documents::VolumeKind;
use llmos_engine::promote::{PromoteError, promote};
use serde_json::{Value, json};
use tower_lsp_server::jsonrpc::{Error, ErrorCode, Result};

use super::{arg_uri, invalid_args, user_error};
use crate::lsp::Backend;
use crate::lsp::convert::{path_to_uri, uri_to_path};

/// `llmos.skill.promote {uri, to}`.
pub async fn run(backend: &Backend, args: &Value) -> Result<Value> {
    let uri = arg_uri(args)?;
    let path = uri_to_path(&uri).ok_or_else(|| invalid_args("only file: skills can be promoted"))?;
    let (config, index_snapshot) = {
        let ws = backend.ws_read();
        (ws.config.clone(), ws.index.clone())
    };
    let from = config.volume_of(&path).map(|v| v.kind).ok_or_else(|| user_error(format!("{} is not inside a volume", path.display())))?;
    let to = match args.get("to").and_then(Value::as_str) {
        Some(t) => VolumeKind::parse(t).ok_or_else(|| invalid_args(format!("unknown volume `{t}`: team or system")))?,
        None => from.next().ok_or_else(|| user_error("system skills cannot be promoted further"))?,
    };
    // The editor's buffer is the truth: save it first if it differs.
    if let Some(snap) = backend.state().snapshot(&uri)
        && llmos_workspace::bounded::read_text(&path, llmos_workspace::bounded::DEFAULT_MAX_BYTES).ok().as_deref() != Some(snap.text.as_str())
    {
        std::fs::write(&path, &snap.text).map_err(|e| user_error(format!("cannot save {}: {e}", path.display())))?;
    }
    let result = tokio::task::spawn_blocking(move || promote(&config, &index_snapshot, &path, to)).await.map_err(|e| user_error(e.to_string()))?;
    match result {
        Ok(p) => {
            crate::handlers::watched_files::reindex_from_disk(backend, &p.path);
            crate::handlers::diagnostics::refresh_all(backend);
            Ok(
                json!({ "name": p.name, "from": p.from.as_str(), "to": p.to.as_str(), "path": p.path.display().to_string(), "uri": path_to_uri(&p.path).map(|u| u.as_str().to_string()), "sha": p.sha }),
            )
        }
        Err(e) => {
            let data = match &e {
                PromoteError::Exists { source, existing, .. } => Some(
                    json!({ "conflict": true, "source": path_to_uri(source).map(|u| u.as_str().to_string()), "existing": path_to_uri(existing).map(|u| u.as_str().to_string()) }),
                ),
                PromoteError::Other(_) => None,
            };
            Err(Error { code: ErrorCode::InvalidRequest, message: e.to_string().into(), data })
        }
    }
}
