//! `llmos promote SKILL --to team|system`.

use std::process::ExitCode;

use llmos_documents::VolumeKind;

use super::fail;
use llmos_engine::promote::{find_skill, promote};

pub fn run(skill: String, to: String) -> ExitCode {
    let Some(to) = VolumeKind::parse(&to) else { return fail(format!("unknown volume `{to}`: team or system")) };
    let ws = match llmos_engine::Workspace::open(None) {
        Ok(ws) => ws,
        Err(e) => return fail(e),
    };
    let (config, index) = (&ws.config, &ws.index);
    let path = match find_skill(config, index, &skill) {
        Ok(p) => p,
        Err(e) => return fail(e),
    };
    match promote(config, index, &path, to) {
        Ok(p) => {
            println!("promoted {} from {} to {}: {} ({})", p.name, p.from, p.to, p.path.display(), p.sha.get(..7).unwrap_or(&p.sha));
            ExitCode::SUCCESS
        }
        Err(e) => fail(e),
    }
}
