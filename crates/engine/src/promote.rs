//! Promotion: a skill's folder is copied from the user volume to the team volume (or
//! team → system), `metadata.promoted-from` is recorded, and the target commits
//! `promote: NAME from user to team`. Nothing in the target is ever overwritten.

use std::path::{Path, PathBuf};

use llmos_documents::VolumeKind;
use llmos_documents::frontmatter::{apply_edits, set_metadata_field};
use llmos_vcs::{Volume, commit_message};
use llmos_workspace::{Config, Index};

#[derive(Debug)]
pub struct Promoted {
    pub name: String,
    pub from: VolumeKind,
    pub to: VolumeKind,
    pub path: PathBuf,
    pub sha: String,
}

#[derive(Debug)]
pub enum PromoteError {
    /// The target already has a skill of that name: both paths, for a diff.
    Exists {
        name: String,
        source: PathBuf,
        existing: PathBuf,
    },
    Other(String),
}

impl std::fmt::Display for PromoteError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            PromoteError::Exists { name, existing, .. } => write!(
                f,
                "the target volume already has a skill `{name}` ({}); nothing was overwritten — compare the two and rename or merge by hand",
                existing.display()
            ),
            PromoteError::Other(m) => f.write_str(m),
        }
    }
}

fn other(e: impl std::fmt::Display) -> PromoteError {
    PromoteError::Other(e.to_string())
}

/// Finds a skill by path (a SKILL.md, its folder or a flat file) or by name.
pub fn find_skill(config: &Config, index: &Index, what: &str) -> std::result::Result<PathBuf, String> {
    let as_path = std::path::absolute(Path::new(what)).map_err(|e| e.to_string())?;
    let candidate = if as_path.is_dir() { as_path.join("SKILL.md") } else { as_path };
    if candidate.is_file() {
        return Ok(candidate);
    }
    let _ = config;
    index.resolve_skill(what).map(|s| s.path.clone()).ok_or_else(|| format!("no skill named or at `{what}`"))
}

pub fn promote(config: &Config, index: &Index, skill_path: &Path, to: VolumeKind) -> std::result::Result<Promoted, PromoteError> {
    let from_vol = config.volume_of(skill_path).ok_or_else(|| other(format!("{} is not inside a volume", skill_path.display())))?;
    let from = from_vol.kind;
    if to.precedence() <= from.precedence() {
        return Err(other(format!("a {from} skill can only be promoted to a later volume (user → team → system), not to {to}")));
    }
    let target = config.volume(to);
    if to == VolumeKind::System && !target.writable {
        return Err(other("the system volume is read-only; set `[volumes.system] writable = true` in llmos.toml to promote there"));
    }
    // Only skills are promoted, and only ones that really live in their volume: a
    // symlinked skill folder would push files from anywhere into a shared repository.
    let rel = skill_path.strip_prefix(&from_vol.path).map_err(other)?;
    if llmos_workspace::classify(rel) != Some(llmos_workspace::DocKind::Skill) {
        return Err(other(format!("{} is not a skill (skills live in a volume's skills/ folder); only skills can be promoted", skill_path.display())));
    }
    if !llmos_workspace::boundary::resolves_inside(&from_vol.path, skill_path) {
        return Err(other(format!("{} leads outside the {from} volume (a symlink); it is not promoted", skill_path.display())));
    }
    let entry = index.skill_at(skill_path);
    let text = llmos_workspace::bounded::read_text(skill_path, llmos_workspace::bounded::DEFAULT_MAX_BYTES).map_err(|e| other(e.to_string()))?;
    let name =
        entry.map(|e| e.name.clone()).or_else(|| llmos_documents::lint::expected_skill_name(skill_path)).ok_or_else(|| other("the skill has no name"))?;
    let folder_layout = skill_path.file_name().is_some_and(|f| f == "SKILL.md");
    let (src_root, dest_root) = if folder_layout {
        let dir = skill_path.parent().ok_or_else(|| other("no folder"))?.to_path_buf();
        (dir, target.path.join("skills").join(&name))
    } else {
        (skill_path.to_path_buf(), target.path.join("skills").join(format!("{name}.md")))
    };
    let existing =
        [target.path.join("skills").join(&name).join("SKILL.md"), target.path.join("skills").join(format!("{name}.md"))].into_iter().find(|p| p.exists());
    if let Some(existing) = existing {
        return Err(PromoteError::Exists { name, source: skill_path.to_path_buf(), existing });
    }
    let repo = Volume::open(&target.path).map_err(other)?;
    // Every file of the skill, with SKILL.md (or the flat file) stamped.
    // The promoted copy is a portable Agent Skill: non-standard keys move under `metadata`.
    let invalid = || other("the skill's frontmatter is invalid; fix it (llmos check) before promoting");
    let portable = llmos_documents::portable::make_portable(&text).ok_or_else(invalid)?;
    let stamped = match set_metadata_field(&portable, "promoted-from", from.as_str()) {
        Some(edits) => apply_edits(&portable, &edits),
        None => return Err(invalid()),
    };
    let mut files: Vec<(PathBuf, Vec<u8>)> = Vec::new();
    if folder_layout {
        if !llmos_workspace::boundary::resolves_inside(&from_vol.path, &src_root) {
            return Err(other(format!("{} leads outside the {from} volume (a symlink); it is not promoted", src_root.display())));
        }
        for e in walkdir::WalkDir::new(&src_root).follow_links(false).into_iter().filter_map(|e| e.ok()) {
            if e.path_is_symlink() && !llmos_workspace::boundary::resolves_inside(&from_vol.path, e.path()) {
                return Err(other(format!("{} is a symlink leading outside the {from} volume; the skill is not promoted", e.path().display())));
            }
            if !e.file_type().is_file() {
                continue;
            }
            let rel = e.path().strip_prefix(&src_root).map_err(other)?;
            let dest = dest_root.join(rel);
            let content = if e.path() == skill_path {
                stamped.clone().into_bytes()
            } else {
                llmos_workspace::bounded::read_bytes(e.path(), llmos_workspace::bounded::DEFAULT_MAX_BYTES).map_err(|err| other(err.to_string()))?
            };
            files.push((dest, content));
        }
    } else {
        files.push((dest_root.clone(), stamped.into_bytes()));
    }
    let message = commit_message::render_promotion_subject(&name, from.as_str(), to.as_str());
    let id = repo.commit_files(&files, &message).map_err(other)?;
    let path = if folder_layout { dest_root.join("SKILL.md") } else { dest_root };
    Ok(Promoted { name, from, to, path, sha: id.sha() })
}
