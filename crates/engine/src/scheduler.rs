//! When each volume's evolution job is due (catching up after the editor was closed;
//! never at the first open of a new workspace), and the countdowns that feed code lenses
//! and `llmos/status`. The server's loop (`server/src/commands/scheduler.rs`) runs them.

use std::time::Duration;

use llmos_documents::VolumeKind;
use serde_json::{Value, json};

use crate::evolve::state;

fn now() -> i64 {
    time::OffsetDateTime::now_utc().unix_timestamp()
}

pub fn countdown(config: &llmos_workspace::Config, volume: VolumeKind) -> String {
    match state::due_in(config, volume, now()) {
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

/// The volumes whose job is due at `now`, in volume order. The first look at a volume
/// with a job records it as seen, so its first run is one interval later, not at once.
pub fn due_volumes(config: &llmos_workspace::Config, now: i64) -> Vec<VolumeKind> {
    for v in VolumeKind::ALL {
        if config.job(v).every.is_some()
            && let Err(e) = state::note_first_seen(config, v, now)
        {
            tracing::warn!("cannot write the scheduler state of the {v} volume: {e}");
        }
    }
    VolumeKind::ALL.into_iter().filter(|v| state::due_in(config, *v, now) == Some(0) && crate::session::is_repository(&config.volume(*v).path)).collect()
}

/// Now, in unix seconds, as the scheduler's state files count it.
pub fn unix_now() -> i64 {
    now()
}
