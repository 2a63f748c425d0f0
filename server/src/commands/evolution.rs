//! `llmos.evolution.run {volume, since?, dryRun?, detector?}`: runs the engine off the
//! request path with `$/progress` (cancellable), opens the report, returns the counts.

use llmos_documents::VolumeKind;
use serde_json::{Value, json};
use tower_lsp_server::jsonrpc::Result;
use tower_lsp_server::ls_types::*;

use llmos_engine::evolve::{self, RunOptions};

use super::{invalid_args, user_error};
use crate::lsp::Backend;
use crate::lsp::convert::path_to_uri;

pub async fn run(backend: &Backend, args: &Value) -> Result<Value> {
    let volume = match args.get("volume").and_then(Value::as_str) {
        Some(v) => VolumeKind::parse(v).ok_or_else(|| invalid_args(format!("unknown volume `{v}`: user, team or system")))?,
        None => VolumeKind::User,
    };
    let since = match args.get("since").and_then(Value::as_str) {
        Some(s) => Some(llmos_engine::workspace::parse_since(s).map_err(invalid_args)?),
        None => None,
    };
    let options = RunOptions {
        volume,
        since,
        dry_run: args.get("dryRun").and_then(Value::as_bool).unwrap_or(false),
        detector: args.get("detector").and_then(Value::as_str).map(str::to_string),
    };
    let output = run_with_progress(backend, options).await?;
    let report_uri = output.report.as_deref().and_then(path_to_uri);
    if let Some(uri) = &report_uri
        && backend.state().client.show_document
    {
        let _ = backend.client.show_document(ShowDocumentParams { uri: uri.clone(), external: Some(false), take_focus: Some(false), selection: None }).await;
    }
    let mut value = serde_json::to_value(&output.result).unwrap_or_default();
    if let Some(object) = value.as_object_mut() {
        object.insert("report".into(), json!(report_uri.map(|u| u.as_str().to_string())));
    }
    Ok(value)
}

/// Runs one evolution with progress and cancellation; also used by the scheduler.
pub async fn run_with_progress(backend: &Backend, options: RunOptions) -> Result<evolve::RunOutput> {
    let volume = options.volume.as_str().to_string();
    let Some(cancel) = backend.jobs.start_evolution(&volume) else {
        return Err(user_error(format!("evolution is already running on the {volume} volume")));
    };
    let config = backend.ws_read().config.clone();
    if let Some(reason) = evolve::report_only_reason(&config, &options) {
        backend.client.show_message(MessageType::INFO, format!("llmos: {reason}")).await;
    }
    let token = ProgressToken::String(format!("llmos-evolution-{}", backend.jobs.next_id()));
    let progress_on = backend.state().client.work_done_progress && backend.client.create_work_done_progress(token.clone()).await.is_ok();
    if progress_on {
        backend.jobs.remember_evolution_progress(&token, &volume);
        send_progress(
            backend,
            &token,
            WorkDoneProgress::Begin(WorkDoneProgressBegin {
                title: format!("Evolution ({volume})"),
                cancellable: Some(true),
                message: Some("starting".into()),
                percentage: None,
            }),
        )
        .await;
    }
    // Steps are reported from the blocking thread through a channel.
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<String>();
    let forward = {
        let backend = backend.clone();
        let token = token.clone();
        tokio::spawn(async move {
            while let Some(step) = rx.recv().await {
                if progress_on {
                    send_progress(
                        &backend,
                        &token,
                        WorkDoneProgress::Report(WorkDoneProgressReport { cancellable: Some(true), message: Some(step), percentage: None }),
                    )
                    .await;
                }
            }
        })
    };
    let llm = evolve::llm_asker(&config);
    let cancel_flag = cancel.clone();
    let result = tokio::task::spawn_blocking(move || {
        let report = move |step: &str| {
            let _ = tx.send(step.to_string());
        };
        let ask = llm.as_ref().map(|f| f.as_ref() as &dyn Fn(&str) -> std::result::Result<String, String>);
        evolve::run(&config, &options, ask, &report, &|| cancel_flag.is_cancelled())
    })
    .await
    .map_err(|e| user_error(format!("evolution failed: {e}")));
    let _ = forward.await;
    backend.jobs.end_evolution(&volume);
    if progress_on {
        backend.jobs.forget_progress(&token);
        let end = match &result {
            Ok(Ok(o)) => format!("{} patterns, {} skills", o.result.patterns.len(), o.result.skills.len()),
            _ => "stopped".into(),
        };
        send_progress(backend, &token, WorkDoneProgress::End(WorkDoneProgressEnd { message: Some(end) })).await;
    }
    let output = result?.map_err(user_error)?;
    // New skills: index them and refresh what depends on them.
    for s in &output.result.skills {
        crate::handlers::watched_files::reindex_from_disk(backend, std::path::Path::new(&s.path));
    }
    crate::handlers::diagnostics::refresh_all(backend);
    if backend.state().client.code_lens_refresh {
        let _ = backend.client.code_lens_refresh().await;
    }
    Ok(output)
}

async fn send_progress(backend: &Backend, token: &ProgressToken, value: WorkDoneProgress) {
    backend.client.send_notification::<notification::Progress>(ProgressParams { token: token.clone(), value: ProgressParamsValue::WorkDone(value) }).await;
}
