//! The evolution scheduler: per-volume jobs, their next run, countdowns.

use llmos_documents::VolumeKind;
use serde_json::{Value, json};

use crate::lsp::Backend;
use crate::lsp::state::Workspace;

pub fn countdown(_backend: &Backend, ws: &Workspace, volume: VolumeKind) -> String {
    match ws.config.job(volume).every {
        None => "evolution off · Run now".to_string(),
        Some(every) => format!("every {} · Run now", llmos_workspace::duration::format_duration(every)),
    }
}

pub fn jobs_json(_backend: &Backend, ws: &Workspace) -> Value {
    Value::Array(
        ws.config
            .evolution
            .jobs
            .iter()
            .map(|j| json!({ "volume": j.volume.as_str(), "every": j.every.map(|d| d.as_secs()), "nextRun": Value::Null }))
            .collect(),
    )
}

pub fn start(_backend: &Backend) {}
