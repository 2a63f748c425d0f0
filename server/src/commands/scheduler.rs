//! The evolution scheduler's loop in the server: each volume's job runs when due
//! (`llmos_engine::scheduler`), one at a time, off the request path, and a run that
//! wrote skills says so with a button that opens the report.

use std::time::Duration;

use llmos_documents::VolumeKind;
use llmos_engine::evolve::RunOptions;
use tower_lsp_server::ls_types::{MessageActionItem, MessageType, ShowDocumentParams};

use crate::lsp::Backend;

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
    let config = {
        let ws = backend.ws_read();
        if !ws.has_root || !ws.ready {
            return;
        }
        ws.config.clone()
    };
    // The scheduler's state files are read and written without the workspace lock.
    let due: Vec<VolumeKind> = llmos_engine::scheduler::due_volumes(&config, llmos_engine::scheduler::unix_now());
    for volume in due {
        let options = RunOptions { volume, since: None, dry_run: false, detector: None };
        match super::evolution::run_with_progress(backend, options).await {
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
fn tell_skills_written(backend: &Backend, volume: VolumeKind, output: &llmos_engine::evolve::RunOutput) {
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
