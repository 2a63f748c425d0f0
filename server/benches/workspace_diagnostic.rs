//! Budget (issue 12, VS Code's Problems panel): `workspace/diagnostic` on 10,000 skills +
//! 10,000 sessions answers the first pull in ≤ 1 s (as `llmos check` does), a pull after
//! one saved file in ≤ 100 ms (every file `stat`ed, only the saved one re-read), and a
//! pull after a new file (every closed file linted again) in ≤ 1 s.
//!
//! Each run starts a fresh server in-process (real framing), waits for the index, then
//! times three pulls made the way vscode-languageclient makes them (with the result ids
//! of the previous answers). Each change makes a new problem so the pull answers at
//! once instead of being held for the next change. The change is announced
//! (`didChangeWatchedFiles`) 100 ms before the pull, outside the timing.
//!
//! Knobs (environment): `LLMOS_BENCH_SKILLS`, `LLMOS_BENCH_SESSIONS` (10,000 each),
//! `LLMOS_BENCH_RUNS` (3), `LLMOS_BENCH_SEED` (1).

mod support;

use std::collections::HashMap;
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use support::{Client, Stats, env_usize, runtime, uri_of};

const FIRST_MS: f64 = 1000.0;
const AFTER_SAVE_MS: f64 = 100.0;
const AFTER_NEW_FILE_MS: f64 = 1000.0;

fn main() {
    let skills = env_usize("LLMOS_BENCH_SKILLS", 10_000);
    let sessions = env_usize("LLMOS_BENCH_SESSIONS", 10_000);
    let runs = env_usize("LLMOS_BENCH_RUNS", 3).max(1);
    let seed = env_usize("LLMOS_BENCH_SEED", 1) as u64;
    let dir = tempfile::Builder::new().prefix("llmos-bench-wsdiag-").tempdir().expect("temp dir");
    let generated = llmos_workspace::generate::generate_workspace(dir.path(), skills, sessions, seed).expect("generate workspace");
    println!("workspace: {} skills, {} sessions", generated.skills.len(), generated.sessions.len());
    let (mut first, mut after_save, mut after_new) = (Vec::new(), Vec::new(), Vec::new());
    let rt = runtime();
    for run in 0..runs {
        let session = &generated.sessions[run % generated.sessions.len()].path;
        let new_skill = dir.path().join(format!("volumes/user/skills/bench-new-{run}/SKILL.md"));
        rt.block_on(async {
            let c = Client::connect();
            let caps = json!({
                "general": { "positionEncodings": ["utf-16"] },
                "textDocument": { "diagnostic": { "dynamicRegistration": true } },
                "workspace": { "diagnostics": { "refreshSupport": true }, "didChangeWatchedFiles": { "dynamicRegistration": true } },
            });
            c.initialize_with(dir.path(), caps, json!({ "debounceMs": 0, "scheduler": false })).await;
            c.wait_ready(Duration::from_millis(5)).await;
            let mut known: HashMap<String, String> = HashMap::new();

            let t = Instant::now();
            let report = pull(&c, &known).await;
            first.push(t.elapsed().as_secs_f64() * 1e3);
            remember(&mut known, &report);
            let files_with_problems = known.len();

            // A saved session gains a problem (an unknown turn role).
            let mut text = std::fs::read_to_string(session).expect("read session");
            text.push_str("\n<!-- turn: robot -->\nbeep\n");
            std::fs::write(session, &text).expect("write session");
            let report = after_event(&c, &known, session, 2, &mut after_save).await;
            assert!(mentions(&report, session), "the saved session is not reported: {report}");
            remember(&mut known, &report);

            // A new skill with a bad name.
            std::fs::create_dir_all(new_skill.parent().expect("skill folder")).expect("mkdir");
            std::fs::write(&new_skill, "---\nname: Bench_New\ndescription: Use when benchmarking.\n---\n").expect("write skill");
            let report = after_event(&c, &known, &new_skill, 1, &mut after_new).await;
            assert!(mentions(&report, &new_skill), "the new skill is not reported: {report}");
            println!("run {run}: {files_with_problems} files with problems at first");
            c.shutdown().await;
        });
    }
    println!("{}", Stats::new(first).report("first pull (every file linted)", Some(FIRST_MS)));
    println!("{}", Stats::new(after_save).report("pull after one saved file", Some(AFTER_SAVE_MS)));
    println!("{}", Stats::new(after_new).report("pull after a new file (all re-linted)", Some(AFTER_NEW_FILE_MS)));
}

async fn pull(c: &Client, known: &HashMap<String, String>) -> Value {
    let previous: Vec<Value> = known.iter().map(|(uri, id)| json!({ "uri": uri, "value": id })).collect();
    c.request("workspace/diagnostic", json!({ "identifier": "llmos", "previousResultIds": previous })).await
}

async fn after_event(c: &Client, known: &HashMap<String, String>, path: &std::path::Path, typ: u32, samples: &mut Vec<f64>) -> Value {
    c.notify("workspace/didChangeWatchedFiles", json!({ "changes": [{ "uri": uri_of(path), "type": typ }] })).await;
    tokio::time::sleep(Duration::from_millis(100)).await;
    let t = Instant::now();
    let report = pull(c, known).await;
    samples.push(t.elapsed().as_secs_f64() * 1e3);
    report
}

fn remember(known: &mut HashMap<String, String>, report: &Value) {
    for item in report["items"].as_array().into_iter().flatten() {
        if let (Some(uri), Some(id)) = (item["uri"].as_str(), item["resultId"].as_str()) {
            known.insert(uri.to_string(), id.to_string());
        }
    }
}

fn mentions(report: &Value, path: &std::path::Path) -> bool {
    let uri = uri_of(path);
    report["items"].as_array().into_iter().flatten().any(|i| i["uri"] == uri.as_str() && i["kind"] == "full")
}
