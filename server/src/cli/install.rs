//! `llmos install SKILL --to claude-code|agents` and `llmos uninstall`: the terminal side
//! of `llmos_engine::install`.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use llmos_engine::install::{InstallError, Installed, Target, home, install, uninstall};

use super::{Format, fail};

pub fn run_install(skill: String, to: String, project: Option<PathBuf>, link: bool, force: bool, format: Format) -> ExitCode {
    let Some(target) = Target::parse(&to) else { return fail(format!("unknown target `{to}`: claude-code or agents")) };
    let skill_md = match find(&skill) {
        Ok(p) => p,
        Err(e) => return fail(e),
    };
    let home = match home() {
        Ok(h) => h,
        Err(e) => return fail(e),
    };
    let project = match project.map(|p| std::path::absolute(&p)) {
        Some(Ok(p)) if p.is_dir() => Some(p),
        Some(Ok(p)) => return fail(format!("--project {}: no such folder", p.display())),
        Some(Err(e)) => return fail(e),
        None => None,
    };
    match install(&skill_md, &target.skills_dir(project.as_deref(), &home), link, force) {
        Ok(done) => {
            report(&done, format);
            ExitCode::SUCCESS
        }
        Err(InstallError::Invalid(problems)) => {
            eprintln!("llmos: {} does not pass the agentskills profile, so agents would not load it:", skill_md.display());
            for p in problems {
                eprintln!("  {p}");
            }
            ExitCode::from(1)
        }
        Err(e) => fail(e),
    }
}

pub fn run_uninstall(skill: String, from: String, project: Option<PathBuf>, force: bool, format: Format) -> ExitCode {
    let Some(target) = Target::parse(&from) else { return fail(format!("unknown target `{from}`: claude-code or agents")) };
    let home = match home() {
        Ok(h) => h,
        Err(e) => return fail(e),
    };
    let project = match project.map(|p| std::path::absolute(&p)) {
        Some(Ok(p)) => Some(p),
        Some(Err(e)) => return fail(e),
        None => None,
    };
    match uninstall(&skill, &target.skills_dir(project.as_deref(), &home), force) {
        Ok(done) => {
            report(&done, format);
            ExitCode::SUCCESS
        }
        Err(e) => fail(e),
    }
}

fn report(done: &Installed, format: Format) {
    match format {
        Format::Json => println!("{}", serde_json::to_string_pretty(done).unwrap_or_default()),
        Format::Text => {
            let how = if done.link { " (symlink)" } else { "" };
            println!("{} {} → {}{how}", done.action, done.name, done.path.display());
        }
    }
}

/// The skill's SKILL.md (or flat skill file): a path, or a name in this workspace.
fn find(what: &str) -> Result<PathBuf, String> {
    let as_path = std::path::absolute(Path::new(what)).map_err(|e| e.to_string())?;
    let candidate = if as_path.is_dir() { as_path.join("SKILL.md") } else { as_path };
    if candidate.is_file() {
        return Ok(candidate);
    }
    let ws = llmos_engine::Workspace::open(None).map_err(|e| format!("no skill at `{what}`, and no workspace to look it up by name: {e}"))?;
    llmos_engine::promote::find_skill(&ws.config, &ws.index, what)
}
