//! `llmos history`: a volume's session commits, parsed back from their messages.

use std::path::PathBuf;
use std::process::ExitCode;

use llmos_documents::VolumeKind;
use llmos_vcs::{HistoryOptions, Volume};

use super::{Format, fail};

pub fn run(workspace: Option<PathBuf>, kind: VolumeKind, since: Option<time::OffsetDateTime>, format: Format) -> ExitCode {
    let config = match llmos_engine::workspace::load_config(workspace) {
        Ok(c) => c,
        Err(e) => return fail(e),
    };
    let dir = &config.volume(kind).path;
    let repo = match Volume::open(dir) {
        Ok(r) => r,
        Err(e) => return fail(e),
    };
    let entries = match repo.history(&HistoryOptions { since, limit: None, session_paths: false }) {
        Ok(e) => e,
        Err(e) => return fail(e),
    };
    match format {
        Format::Json => match serde_json::to_string_pretty(&entries) {
            Ok(s) => println!("{s}"),
            Err(e) => return fail(e),
        },
        Format::Text => {
            for e in &entries {
                let short = e.sha.get(..7).unwrap_or(&e.sha);
                println!("{short} {} {} — {}", &e.time, e.author, e.commit.title);
                if !e.commit.prompt.is_empty() {
                    println!("    {}", e.commit.prompt.chars().take(100).collect::<String>());
                }
            }
            eprintln!("{} session commit(s) in the {kind} volume", entries.len());
        }
    }
    ExitCode::SUCCESS
}
