//! `llmos init [DIR] [--demo]`: a workspace with llmos.toml and three volume
//! repositories; `--demo` adds skills and sessions committed over several days.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use llmos_documents::VolumeKind;
use llmos_vcs::Volume;

use super::fail;

pub const DEFAULT_CONFIG: &str = r#"# llmos workspace configuration. Every key has a default; see README.md.
# profile = "llmos"            # llmos | agentskills | claude-code

[volumes.user]
path = "volumes/user"
# remote = "github:OWNER/llmunix-user-OWNER"

[volumes.team]
path = "volumes/team"
# remote = "github:ORG/llmunix-team-volumes"

[volumes.system]
path = "volumes/system"
writable = false

# [llm]
# provider = "anthropic"       # anthropic | openai (any OpenAI-compatible server)
# model = "claude-sonnet-4-5"
# api_key_env = "ANTHROPIC_API_KEY"   # the NAME of the variable; never the key

[evolution.user]
every = "24h"

[evolution.team]
every = "7d"

[evolution.system]
every = "off"
"#;

pub fn run(dir: Option<PathBuf>, demo: bool) -> ExitCode {
    let dir = dir.unwrap_or_else(|| PathBuf::from("."));
    match init_workspace(&dir, demo) {
        Ok(summary) => {
            println!("{summary}");
            ExitCode::SUCCESS
        }
        Err(e) => fail(e),
    }
}

/// Creates (or completes) a workspace at `dir`. Existing files are never overwritten.
pub fn init_workspace(dir: &Path, demo: bool) -> Result<String, String> {
    std::fs::create_dir_all(dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    let config_path = dir.join("llmos.toml");
    if !config_path.exists() {
        std::fs::write(&config_path, DEFAULT_CONFIG).map_err(|e| format!("cannot write {}: {e}", config_path.display()))?;
    }
    std::fs::create_dir_all(dir.join(".llmos")).map_err(|e| e.to_string())?;
    let ignore = dir.join(".gitignore");
    let existing = std::fs::read_to_string(&ignore).unwrap_or_default();
    if !existing.lines().any(|l| l.trim() == ".llmos/") {
        std::fs::write(&ignore, format!("{existing}{}.llmos/\n", if existing.is_empty() || existing.ends_with('\n') { "" } else { "\n" }))
            .map_err(|e| e.to_string())?;
    }
    let (config, diags) = llmos_workspace::Config::load(dir);
    if let Some(d) = diags.first() {
        return Err(format!("llmos.toml: {}", d.message));
    }
    let mut lines = vec![format!("workspace {}", dir.display())];
    for kind in VolumeKind::ALL {
        let path = &config.volume(kind).path;
        let (_, outcome) = Volume::init(path).map_err(|e| e.to_string())?;
        for sub in ["skills", "sessions", "artifacts"] {
            std::fs::create_dir_all(path.join(sub)).map_err(|e| e.to_string())?;
        }
        let what = if matches!(outcome, llmos_vcs::InitOutcome::Created) { "created" } else { "exists" };
        lines.push(format!("  {kind:<6} volume {} ({what})", path.display()));
    }
    if demo {
        let n = super::demo::write_demo(&config)?;
        lines.push(format!("  demo: {} skills, {} committed sessions", n.0, n.1));
    }
    Ok(lines.join("\n"))
}
