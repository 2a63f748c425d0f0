//! `llmos/status`: volumes, remotes, provider and evolution jobs, for status bars.

use serde_json::{Value, json};

use crate::lsp::Backend;

/// Each volume: path, remote, writability, repository, counts and ahead/behind.
pub fn volumes_json(config: &llmos_workspace::Config, index: &llmos_workspace::Index) -> Vec<Value> {
    volumes_json_counted(config, &counts(config, index))
}

/// Skills and sessions per volume, in `config.volumes` order.
fn counts(config: &llmos_workspace::Config, index: &llmos_workspace::Index) -> Vec<(usize, usize)> {
    config.volumes.iter().map(|v| (index.skills().filter(|s| s.volume == v.kind).count(), index.sessions().filter(|s| s.volume == v.kind).count())).collect()
}

fn volumes_json_counted(config: &llmos_workspace::Config, counts: &[(usize, usize)]) -> Vec<Value> {
    config
        .volumes
        .iter()
        .zip(counts)
        .map(|(v, (skills, sessions))| {
            json!({
                "name": v.kind.as_str(),
                "path": v.path.display().to_string(),
                "remote": v.remote,
                "writable": v.writable,
                "repository": super::session::is_repository(&v.path),
                "skills": skills,
                "sessions": sessions,
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
    let lint_runs = backend.state().lint_runs;
    // Only counts and a copy of the config under the lock: git and the scheduler's state
    // files are read after it is released, so edits are not held up behind them.
    let (config, counts, ready, has_root, listing) = {
        let ws = backend.ws_read();
        (ws.config.clone(), counts(&ws.config, &ws.index), ws.ready, ws.has_root, listing_json(&ws.index))
    };
    let volumes = volumes_json_counted(&config, &counts);
    let provider = config.llm.as_ref().map(|l| json!({ "provider": l.provider, "model": l.model, "baseUrl": l.base_url }));
    let jobs = super::scheduler::jobs_json(&config);
    json!({
        "workspace": has_root.then(|| config.root.display().to_string()),
        "ready": ready,
        "volumes": volumes,
        "provider": provider,
        "jobs": jobs,
        "listing": listing,
        "lintRuns": lint_runs,
    })
}
