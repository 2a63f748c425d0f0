//! `llmos commit SESSION`.

use std::path::PathBuf;
use std::process::ExitCode;

use super::{fail, workspace_root};

pub fn run(session: PathBuf) -> ExitCode {
    let path = match std::path::absolute(&session) {
        Ok(p) => p,
        Err(e) => return fail(e),
    };
    let text = match std::fs::read_to_string(&path) {
        Ok(t) => t,
        Err(e) => return fail(format!("cannot read {}: {e}", session.display())),
    };
    let root = match workspace_root(Some(path.clone())) {
        Ok(r) => r,
        Err(e) => return fail(e),
    };
    let (config, _) = llmos_workspace::Config::load(&root);
    match crate::commands::session::commit_text(&config, &path, &text) {
        Ok(c) => {
            println!("committed {} {}", c.short, session.display());
            ExitCode::SUCCESS
        }
        Err(e) => fail(e),
    }
}
