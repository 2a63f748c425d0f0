//! `llmos status`: volumes, remotes, provider and evolution jobs.

use std::path::PathBuf;
use std::process::ExitCode;

use llmos_engine::Workspace;
use serde_json::Value;

use super::{Format, fail};

pub fn run(workspace: Option<PathBuf>, format: Format) -> ExitCode {
    let ws = match Workspace::open(workspace) {
        Ok(ws) => ws,
        Err(e) => return fail(e),
    };
    let (config, index, diags, root) = (&ws.config, &ws.index, &ws.config_diagnostics, &ws.config.root);
    let mut value = llmos_engine::status::report(config, llmos_engine::status::count(config, index));
    value.insert("configProblems".into(), diags.len().into());
    let value = Value::Object(value);
    match format {
        Format::Json => println!("{}", serde_json::to_string_pretty(&value).unwrap_or_default()),
        Format::Text => {
            println!("workspace {}", root.display());
            for v in &config.volumes {
                let skills = index.skills().filter(|s| s.volume == v.kind).count();
                let sessions = index.sessions().filter(|s| s.volume == v.kind).count();
                let remote = v.remote.as_deref().unwrap_or("no remote");
                println!("  {:<6} {skills} skills, {sessions} sessions · {remote}{}", v.kind.as_str(), if v.writable { "" } else { " · read-only" });
            }
            match &config.llm {
                Some(l) => println!("  llm    {} {}", l.provider, l.model.as_deref().unwrap_or("(default model)")),
                None => println!("  llm    not configured ([llm] in llmos.toml)"),
            }
            for j in &config.evolution.jobs {
                let every = j.every.map_or("off".to_string(), llmos_workspace::duration::format_duration);
                println!("  evolution {:<6} every {every}", j.volume.as_str());
            }
            for profile in ["agentskills", "claude-code", "llmos"] {
                let l = value.get("listing").and_then(|l| l.get(profile));
                let figure = |key: &str| l.and_then(|l| l.get(key)).cloned().unwrap_or_default();
                println!("  listing {profile:<11} {} skills, {} characters (~{} tokens)", figure("skills"), figure("chars"), figure("tokens"));
            }
            if !diags.is_empty() {
                println!("  llmos.toml has {} problem(s): run `llmos check`", diags.len());
            }
        }
    }
    ExitCode::SUCCESS
}
