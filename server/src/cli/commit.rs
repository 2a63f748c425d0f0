//! `llmos commit SESSION`.

use std::path::PathBuf;
use std::process::ExitCode;

use super::fail;

pub fn run(session: PathBuf) -> ExitCode {
    let path = match std::path::absolute(&session) {
        Ok(p) => p,
        Err(e) => return fail(e),
    };
    let text = match llmos_workspace::bounded::read_text(&path, llmos_workspace::bounded::DEFAULT_MAX_BYTES) {
        Ok(t) => t,
        Err(e) => return fail(e),
    };
    let config = match llmos_engine::workspace::load_config(Some(path.clone())) {
        Ok(c) => c,
        Err(e) => return fail(e),
    };
    match llmos_engine::session::commit_text(&config, &path, &text) {
        Ok(c) => {
            println!("committed {} {}", c.short, session.display());
            ExitCode::SUCCESS
        }
        Err(e) => fail(e),
    }
}
