//! `llmos status`: volumes, remotes, provider and evolution jobs.

use std::path::PathBuf;
use std::process::ExitCode;

use llmos_workspace::{Config, Index};
use serde_json::json;

use super::{Format, fail, workspace_root};

pub fn run(workspace: Option<PathBuf>, format: Format) -> ExitCode {
    let root = match workspace_root(workspace) {
        Ok(r) => r,
        Err(e) => return fail(e),
    };
    let (config, diags) = Config::load(&root);
    let index = Index::build(&config);
    let volumes = crate::commands::status::volumes_json(&config, &index);
    let value = json!({
        "workspace": root.display().to_string(),
        "volumes": volumes,
        "provider": config.llm.as_ref().map(|l| json!({ "provider": l.provider, "model": l.model })),
        "jobs": config.evolution.jobs.iter().map(|j| json!({ "volume": j.volume.as_str(), "every": j.every.map(llmos_workspace::duration::format_duration) })).collect::<Vec<_>>(),
        "configProblems": diags.len(),
        "listing": crate::commands::status::listing_json(&index),
    });
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
            let listing = crate::commands::status::listing_json(&index);
            for profile in ["agentskills", "claude-code", "llmos"] {
                let l = &listing[profile];
                println!("  listing {profile:<11} {} skills, {} characters (~{} tokens)", l["skills"], l["chars"], l["tokens"]);
            }
            if !diags.is_empty() {
                println!("  llmos.toml has {} problem(s): run `llmos check`", diags.len());
            }
        }
    }
    ExitCode::SUCCESS
}
