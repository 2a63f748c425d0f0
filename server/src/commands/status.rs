//! `llmos/status`: `llmos_engine::status` plus what only the server knows.

use serde_json::Value;

use crate::lsp::Backend;

pub fn status(backend: &Backend) -> Value {
    let lint_runs = backend.state().lint_runs;
    // Only counts and a copy of the config under the lock: git and the scheduler's state
    // files are read after it is released, so edits are not held up behind them.
    let (config, counted, ready, has_root) = {
        let ws = backend.ws_read();
        (ws.config.clone(), llmos_engine::status::count(&ws.config, &ws.index), ws.ready, ws.has_root)
    };
    let mut out = llmos_engine::status::report(&config, counted);
    if !has_root {
        out.insert("workspace".into(), Value::Null);
    }
    out.insert("ready".into(), Value::Bool(ready));
    out.insert("lintRuns".into(), lint_runs.into());
    Value::Object(out)
}
