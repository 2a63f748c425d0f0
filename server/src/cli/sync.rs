//! `llmos sync [VOLUME]`.

use std::process::ExitCode;

use super::{Format, fail};
use llmos_engine::sync::{sync_volume, targets};

pub fn run(volume: Option<String>, format: Format) -> ExitCode {
    let config = match llmos_engine::workspace::load_config(None) {
        Ok(c) => c,
        Err(e) => return fail(e),
    };
    let kinds = match targets(&config, volume.as_deref()) {
        Ok(k) => k,
        Err(e) => return fail(e),
    };
    let runtime = match tokio::runtime::Builder::new_current_thread().enable_all().build() {
        Ok(rt) => rt,
        Err(e) => return fail(e),
    };
    let mut outcomes = Vec::new();
    for kind in kinds {
        match runtime.block_on(sync_volume(&config, kind)) {
            Ok(o) => {
                if format == Format::Text {
                    let r = &o.report;
                    println!(
                        "{kind}: {} · pulled {}, pushed {}, rebased {}{}",
                        o.remote,
                        r.pulled,
                        r.pushed,
                        r.rebased,
                        if o.created_repository { " · repository created" } else { "" }
                    );
                    for c in &r.conflicts {
                        println!("  both versions kept: {} (remote) and {} (yours)", c.path, c.kept_as);
                    }
                }
                outcomes.push(o);
            }
            Err(e) => return fail(format!("sync of the {kind} volume failed: {e}")),
        }
    }
    if format == Format::Json {
        println!("{}", serde_json::to_string_pretty(&outcomes).unwrap_or_default());
    }
    ExitCode::SUCCESS
}
