//! The status of a workspace (`llmos status`, `llmos/status`): volumes, remotes,
//! provider, evolution jobs and the agent listing size.

use serde_json::{Value, json};

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
                "repository": crate::session::is_repository(&v.path),
                "skills": skills,
                "sessions": sessions,
                "aheadBehind": crate::sync::ahead_behind(config, v.kind).map(|(a, b)| json!({ "ahead": a, "behind": b })),
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
    // Compared by reference: 100,000 skills are polled while the server starts.
    let mut seen: std::collections::HashSet<&str> = std::collections::HashSet::new();
    let mut skills: Vec<&llmos_workspace::SkillEntry> = index.skills().collect();
    skills.sort_by(|a, b| (a.volume.precedence(), &a.name).cmp(&(b.volume.precedence(), &b.name)));
    skills.retain(|s| seen.insert(s.name.as_str()));
    let mut out = serde_json::Map::new();
    for profile in [Profile::Agentskills, Profile::ClaudeCode, Profile::Llmos] {
        let chars: usize = skills.iter().map(|s| llmos_documents::listing::entry_chars(&s.name, &s.description, &s.when_to_use, profile)).sum();
        out.insert(profile.as_str().to_string(), json!({ "skills": skills.len(), "chars": chars, "tokens": chars.div_ceil(4) }));
    }
    Value::Object(out)
}

/// What the status needs from the index, taken while the workspace is locked; the rest
/// (git, the scheduler's files) is read by [`report`] after the lock is released.
pub struct Counted {
    counts: Vec<(usize, usize)>,
    listing: Value,
}

pub fn count(config: &llmos_workspace::Config, index: &llmos_workspace::Index) -> Counted {
    Counted { counts: counts(config, index), listing: listing_json(index) }
}

/// The workspace's status: `workspace`, `volumes`, `provider`, `jobs` and `listing`.
pub fn report(config: &llmos_workspace::Config, counted: Counted) -> serde_json::Map<String, Value> {
    let mut out = serde_json::Map::new();
    out.insert("workspace".into(), json!(config.root.display().to_string()));
    out.insert("volumes".into(), Value::Array(volumes_json_counted(config, &counted.counts)));
    out.insert("provider".into(), json!(config.llm.as_ref().map(|l| json!({ "provider": l.provider, "model": l.model, "baseUrl": l.base_url }))));
    out.insert("jobs".into(), crate::scheduler::jobs_json(config));
    out.insert("listing".into(), counted.listing);
    out
}
