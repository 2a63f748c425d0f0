//! Scheduler state per volume in `.llmos/evolution/<volume>.json`: when the last run
//! was and what it found. Missing or unreadable state means "never ran".

use llmos_documents::VolumeKind;
use llmos_workspace::Config;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct State {
    pub last_run: Option<i64>,
    /// When the scheduler first saw this volume without a run: the first run is one
    /// interval later, never at the first open of a new workspace.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub first_seen: Option<i64>,
    pub last_result: Option<Summary>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct Summary {
    pub commits_analyzed: usize,
    pub patterns: usize,
    pub skills: usize,
}

fn path(config: &Config, kind: VolumeKind) -> std::path::PathBuf {
    config.root.join(".llmos").join("evolution").join(format!("{}.json", kind.as_str()))
}

pub fn load(config: &Config, kind: VolumeKind) -> State {
    let p = path(config, kind);
    llmos_workspace::boundary::check_inside(&config.root, &p)
        .ok()
        .and_then(|()| llmos_workspace::bounded::read_text(&p, llmos_workspace::bounded::DEFAULT_MAX_BYTES).ok())
        .and_then(|t| serde_json::from_str(&t).ok())
        .unwrap_or_default()
}

pub fn save(config: &Config, kind: VolumeKind, state: &State) -> std::io::Result<()> {
    llmos_workspace::boundary::write_inside(&config.root, &path(config, kind), serde_json::to_string_pretty(state).unwrap_or_default())
}

/// Seconds until the job is due (0 when due now); `None` when the job is off.
pub fn due_in(config: &Config, kind: VolumeKind, now: i64) -> Option<i64> {
    let every = config.job(kind).every?.as_secs() as i64;
    let state = load(config, kind);
    let since = state.last_run.or(state.first_seen).unwrap_or(now);
    Some((since + every - now).max(0))
}

/// Remembers `now` as the start of the first interval of a volume that never ran.
pub fn note_first_seen(config: &Config, kind: VolumeKind, now: i64) -> std::io::Result<()> {
    let mut state = load(config, kind);
    if state.last_run.is_some() || state.first_seen.is_some() {
        return Ok(());
    }
    state.first_seen = Some(now);
    save(config, kind, &state)
}
