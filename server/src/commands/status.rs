//! `llmos/status`: volumes, remotes, provider and evolution jobs, for status bars.

use serde_json::{Value, json};

use crate::lsp::Backend;

/// Each volume: path, remote, writability, repository, counts and ahead/behind.
pub fn volumes_json(config: &llmos_workspace::Config, index: &llmos_workspace::Index) -> Vec<Value> {
    config
        .volumes
        .iter()
        .map(|v| {
            json!({
                "name": v.kind.as_str(),
                "path": v.path.display().to_string(),
                "remote": v.remote,
                "writable": v.writable,
                "repository": super::session::is_repository(&v.path),
                "skills": index.skills().filter(|s| s.volume == v.kind).count(),
                "sessions": index.sessions().filter(|s| s.volume == v.kind).count(),
                "aheadBehind": super::sync::ahead_behind(config, v.kind).map(|(a, b)| json!({ "ahead": a, "behind": b })),
            })
        })
        .collect()
}

pub fn status(backend: &Backend) -> Value {
    let ws = backend.ws_read();
    let volumes = volumes_json(&ws.config, &ws.index);
    let provider = ws.config.llm.as_ref().map(|l| json!({ "provider": l.provider, "model": l.model, "baseUrl": l.base_url }));
    let jobs = super::scheduler::jobs_json(backend, &ws);
    json!({
        "workspace": ws.has_root.then(|| ws.config.root.display().to_string()),
        "ready": ws.ready,
        "volumes": volumes,
        "provider": provider,
        "jobs": jobs,
    })
}
