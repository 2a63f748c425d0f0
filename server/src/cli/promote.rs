//! `llmos promote SKILL --to team|system`.

use std::process::ExitCode;

use llmos_documents::VolumeKind;
use llmos_workspace::{Config, Index};

use super::{fail, workspace_root};
use crate::commands::promote::{find_skill, promote};

pub fn run(skill: String, to: String) -> ExitCode {
    let Some(to) = VolumeKind::parse(&to) else { return fail(format!("unknown volume `{to}`: team or system")) };
    let root = match workspace_root(None) {
        Ok(r) => r,
        Err(e) => return fail(e),
    };
    let (config, _) = Config::load(&root);
    let index = Index::build(&config);
    let path = match find_skill(&config, &index, &skill) {
        Ok(p) => p,
        Err(e) => return fail(e),
    };
    match promote(&config, &index, &path, to) {
        Ok(p) => {
            println!("promoted {} from {} to {}: {} ({})", p.name, p.from, p.to, p.path.display(), &p.sha[..7]);
            ExitCode::SUCCESS
        }
        Err(e) => fail(e),
    }
}
