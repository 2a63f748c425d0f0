//! `llmos migrate PATH`: import LLMos-Lite sessions and skills into a volume.

use std::path::PathBuf;
use std::process::ExitCode;

use llmos_documents::VolumeKind;
use llmos_workspace::migrate::{MigrateOptions, migrate};

use super::{Format, fail};

pub fn run(source: PathBuf, volume: String, dry_run: bool, format: Format) -> ExitCode {
    let Some(kind) = VolumeKind::parse(&volume) else { return fail(format!("unknown volume `{volume}`: user, team or system")) };
    let config = match llmos_engine::workspace::load_config(None) {
        Ok(c) => c,
        Err(e) => return fail(e),
    };
    let vol = config.volume(kind);
    if !vol.writable {
        return fail(format!("the {kind} volume is read-only; migrate into the user or team volume"));
    }
    match migrate(&source, &vol.path, &MigrateOptions { dry_run }) {
        Ok(report) => {
            match format {
                Format::Json => println!("{}", serde_json::to_string_pretty(&report).unwrap_or_default()),
                Format::Text => print!("{}", report.render_text()),
            }
            ExitCode::SUCCESS
        }
        Err(e) => fail(e),
    }
}
