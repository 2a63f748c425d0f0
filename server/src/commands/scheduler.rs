//! The evolution scheduler: each volume's job runs when due (catching up after the
//! editor was closed), one at a time, off the request path. Countdowns feed code lenses
//! and `llmos/status`.

use std::time::Duration;

use llmos_documents::VolumeKind;
use serde_json::{Value, json};

use tower_lsp_server::ls_types::{MessageActionItem, MessageType, ShowDocumentParams};

use crate::evolve::{RunOptions, state};
use crate::lsp::Backend;
use crate::lsp::state::Workspace;

fn now() -> i64 {
    time::OffsetDateTime::now_utc().unix_timestamp()
}

pub fn countdown(_backend: &Backend, ws: &Workspace, volume: VolumeKind) -> String {
    match state::due_in(&ws.config, volume, now()) {
        None => "evolution off · Run now".to_string(),
        Some(0) => "due now · Run now".to_string(),
        Some(secs) => format!("next run in {} · Run now", llmos_workspace::duration::format_duration(Duration::from_secs(secs as u64))),
    }
}

pub fn jobs_json(config: &llmos_workspace::Config) -> Value {
    let t = now();
    Value::Array(
        config
            .evolution
            .jobs
            .iter()
            .map(|j| {
                let st = state::load(config, j.volume);
                let due = state::due_in(config, j.volume, t);
                json!({
                    "volume": j.volume.as_str(),
                    "every": j.every.map(llmos_workspace::duration::format_duration),
                    "lastRun": st.last_run,
                    "nextRun": due.map(|d| t + d),
                    "nextRunIn": due.map(|d| llmos_workspace::duration::format_duration(Duration::from_secs(d as u64))),
                    "lastResult": st.last_result,
                })
            })
            .collect(),
    )
}

/// Starts the loop that runs due jobs. `initializationOptions.scheduler = false` keeps it
/// off (tests, benchmarks).
pub fn start(backend: &Backend) {
    if !backend.state().scheduler {
        return;
    }
    let backend = backend.clone();
    tokio::spawn(async move {
        loop {
            // One failing run must not end the schedule for the rest of the session.
            crate::lsp::unwind::task("evolution scheduler", run_due(&backend)).await;
            tokio::time::sleep(Duration::from_secs(60)).await;
        }
    });
}

/// Runs every job that is due now, in volume order.
pub async fn run_due(backend: &Backend) {
    let due: Vec<VolumeKind> = {
        let ws = backend.ws_read();
        if !ws.has_root || !ws.ready {
            return;
        }
        let t = now();
        for v in VolumeKind::ALL {
            if ws.config.job(v).every.is_some()
                && let Err(e) = state::note_first_seen(&ws.config, v, t)
            {
                tracing::warn!("cannot write the scheduler state of the {v} volume: {e}");
            }
        }
        VolumeKind::ALL
            .into_iter()
            .filter(|v| state::due_in(&ws.config, *v, t) == Some(0) && crate::commands::session::is_repository(&ws.config.volume(*v).path))
            .collect()
    };
    for volume in due {
        let options = RunOptions { volume, since: None, dry_run: false, detector: None };
        match crate::commands::evolution::run_with_progress(backend, options).await {
            Ok(output) if !output.result.skills.is_empty() => tell_skills_written(backend, volume, &output),
            Ok(_) => {}
            Err(e) => {
                backend.client.log_message(MessageType::WARNING, format!("llmos: scheduled evolution of the {volume} volume: {}", e.message)).await;
            }
        }
    }
}

/// A scheduled run that wrote skills says which, with a button that opens the report
/// (without holding up the scheduler while the message waits for the user).
fn tell_skills_written(backend: &Backend, volume: VolumeKind, output: &crate::evolve::RunOutput) {
    let names: Vec<&str> = output.result.skills.iter().map(|s| s.name.as_str()).collect();
    let message = format!("llmos: scheduled evolution wrote {} skill(s) to the {volume} volume: {}", names.len(), names.join(", "));
    let report = output.report.clone();
    let backend = backend.clone();
    tokio::spawn(async move {
        let actions = report.as_ref().map(|_| vec![MessageActionItem { title: OPEN_REPORT.into(), properties: Default::default() }]);
        let choice = backend.client.show_message_request(MessageType::INFO, message, actions).await;
        if let (Ok(Some(item)), Some(report)) = (choice, report)
            && item.title == OPEN_REPORT
            && let Some(uri) = crate::lsp::convert::path_to_uri(&report)
        {
            let _ = backend.client.show_document(ShowDocumentParams { uri, external: None, take_focus: Some(true), selection: None }).await;
        }
    });
}

const OPEN_REPORT: &str = "Open report";
