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

/// The skill listing an agent would get for this workspace, per profile: one entry per
/// skill name (a higher-precedence volume hides the others), in characters and about
/// in tokens (4 characters a token). Claude Code gives its whole listing about 1 % of
/// the context window.
pub fn listing_json(index: &llmos_workspace::Index) -> Value {
    use llmos_documents::Profile;
    let mut seen = std::collections::HashSet::new();
    let mut skills: Vec<&llmos_workspace::SkillEntry> = index.skills().collect();
    skills.sort_by_key(|s| (s.volume.precedence(), s.name.clone()));
    skills.retain(|s| seen.insert(s.name.clone()));
    let mut out = serde_json::Map::new();
    for profile in [Profile::Agentskills, Profile::ClaudeCode, Profile::Llmos] {
        let chars: usize = skills.iter().map(|s| llmos_documents::listing::entry_chars(&s.name, &s.description, &s.when_to_use, profile)).sum();
        out.insert(profile.as_str().to_string(), json!({ "skills": skills.len(), "chars": chars, "tokens": chars.div_ceil(4) }));
    }
    Value::Object(out)
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
        "listing": listing_json(&ws.index),
    })
}
