//! Where the agents keep their transcripts, and which files under a folder are
//! transcripts of whole sessions (not of subagents).

use std::path::{Path, PathBuf};

use crate::transcript::Source;

/// The folder an agent writes its transcripts to: `~/.claude/projects` for Claude Code,
/// `$CODEX_HOME/sessions` (default `~/.codex/sessions`) for Codex.
pub fn default_root(source: Source, home: &Path, codex_home: Option<&Path>) -> PathBuf {
    match source {
        Source::ClaudeCode => home.join(".claude").join("projects"),
        Source::Codex => codex_home.map_or_else(|| home.join(".codex"), Path::to_path_buf).join("sessions"),
    }
}

#[derive(Debug, thiserror::Error)]
pub enum DiscoverError {
    #[error("{} does not exist", path.display())]
    Missing { path: PathBuf },
    #[error("cannot read {}: {source}", path.display())]
    Read { path: PathBuf, source: std::io::Error },
}

/// The session transcripts at `root` (a file, or a folder walked recursively), sorted.
/// Subagent transcripts (`agent-*.jsonl`, anything under `subagents/`) are left out:
/// their work is in the parent session's Task call and result.
pub fn transcripts(root: &Path) -> Result<Vec<PathBuf>, DiscoverError> {
    let meta = std::fs::metadata(root).map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound => DiscoverError::Missing { path: root.to_path_buf() },
        _ => DiscoverError::Read { path: root.to_path_buf(), source: e },
    })?;
    if meta.is_file() {
        return Ok(vec![root.to_path_buf()]);
    }
    let mut out = Vec::new();
    let walker = walkdir::WalkDir::new(root)
        .follow_links(false)
        .sort_by_file_name()
        .into_iter()
        .filter_entry(|e| e.depth() == 0 || !(e.file_type().is_dir() && e.file_name().to_str().is_some_and(|n| n == "subagents" || n.starts_with('.'))));
    // Unreadable folders are skipped: one bad folder must not stop an import of months.
    for entry in walker.flatten() {
        if !entry.file_type().is_file() {
            continue;
        }
        let Some(name) = entry.file_name().to_str() else { continue };
        if name.ends_with(".jsonl") && !name.starts_with("agent-") {
            out.push(entry.path().to_path_buf());
        }
    }
    Ok(out)
}
