//! Installing a skill where coding agents read skills (`llmos install`, `llmos uninstall`,
//! `[evolution] install`), as a copy or a symlink, and taking it away again.
//!
//! Claude Code reads `~/.claude/skills/<name>/` and `<project>/.claude/skills/<name>/`;
//! agents that follow the Agent Skills convention read `<project>/.agents/skills/<name>/`
//! (and `~/.agents/skills/<name>/` for the user). A skill must pass the `agentskills`
//! profile of `llmos check` first, since those agents will not read it otherwise.
//!
//! An installed folder carries a small `.llmos-installed` file naming its source (a
//! symlink names it by itself), so a later install updates it, `uninstall` removes only
//! what llmos put there, and a different skill of the same name is never replaced
//! without `--force`.

use std::path::{Path, PathBuf};

use llmos_documents::{Profile, Severity, SkillDoc};
use serde::Serialize;

/// Names the source of a copied install.
const MARKER: &str = ".llmos-installed";
/// Folders never copied with a skill.
const SKIPPED_DIRS: &[&str] = &[".git", "node_modules", "target", "__pycache__"];
/// A skill is instructions and small resources; a bigger folder is a mistake.
const MAX_COPY_BYTES: u64 = 64 * 1024 * 1024;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    ClaudeCode,
    Agents,
}

impl Target {
    pub fn parse(s: &str) -> Option<Target> {
        match s {
            "claude-code" => Some(Target::ClaudeCode),
            "agents" => Some(Target::Agents),
            _ => None,
        }
    }

    /// The folder that holds installed skills: under `project` when given, else under `home`.
    pub fn skills_dir(self, project: Option<&Path>, home: &Path) -> PathBuf {
        let base = project.unwrap_or(home);
        match self {
            Target::ClaudeCode => base.join(".claude").join("skills"),
            Target::Agents => base.join(".agents").join("skills"),
        }
    }
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Installed {
    pub name: String,
    pub path: PathBuf,
    pub source: PathBuf,
    /// `installed`, `updated`, `replaced` (with --force) or `removed`.
    pub action: &'static str,
    pub link: bool,
}

/// The user's home folder, where user-wide installs go.
pub fn home() -> Result<PathBuf, String> {
    std::env::var_os("HOME")
        .or_else(|| std::env::var_os("USERPROFILE"))
        .map(PathBuf::from)
        .ok_or_else(|| "cannot tell where your home folder is; pass --project".to_string())
}

#[derive(Debug, thiserror::Error)]
pub enum InstallError {
    #[error("{0:?}")]
    Invalid(Vec<String>),
    #[error("{0}")]
    Refused(String),
    #[error("{}: {source}", path.display())]
    Io { path: PathBuf, source: std::io::Error },
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> InstallError + '_ {
    move |source| InstallError::Io { path: path.to_path_buf(), source }
}

/// Installs the skills an evolution run created where `[evolution] install` asks;
/// what fails is a warning of the run, never a failed run.
pub fn install_evolved(targets: &[String], result: &mut llmos_evolution::EvolutionResult) {
    let home = match home() {
        Ok(h) => h,
        Err(e) => {
            result.warnings.push(format!("new skills were not installed for other agents: {e}"));
            return;
        }
    };
    let created: Vec<(String, PathBuf)> =
        result.skills.iter().filter(|s| s.action == llmos_evolution::SkillAction::Created).map(|s| (s.name.clone(), PathBuf::from(&s.path))).collect();
    for (name, path) in created {
        for target in targets.iter().filter_map(|t| Target::parse(t)) {
            if let Err(e) = install(&path, &target.skills_dir(None, &home), false, false) {
                result.warnings.push(format!("`{name}` was not installed for {}: {e}", if target == Target::ClaudeCode { "claude-code" } else { "agents" }));
            }
        }
    }
}

/// Installs the skill whose SKILL.md (or flat file) is `skill_md` into `skills_dir`.
pub fn install(skill_md: &Path, skills_dir: &Path, link: bool, force: bool) -> Result<Installed, InstallError> {
    let text = std::fs::read_to_string(skill_md).map_err(io(skill_md))?;
    // A copy carries llmos's own keys (evolution's `source`, `confidence`, …) under the
    // standard `metadata` map; a symlink shows the file as it is.
    let installed_text = if link { text.clone() } else { for_agents(&text) };
    let ctx = llmos_documents::lint::DocContext { path: skill_md, volume: None, profile: Profile::Agentskills };
    let problems: Vec<String> = llmos_documents::lint::lint_skill(&installed_text, &ctx, &llmos_documents::lint::NoEnv)
        .iter()
        .filter(|d| d.severity == Severity::Error)
        .map(|d| format!("error[{}]: {}", d.rule, d.message))
        .collect();
    if !problems.is_empty() {
        return Err(InstallError::Invalid(problems));
    }
    let doc = SkillDoc::parse(&text);
    let is_folder_skill = skill_md.file_name().is_some_and(|n| n == "SKILL.md");
    let source = if is_folder_skill { skill_md.parent().unwrap_or(skill_md).to_path_buf() } else { skill_md.to_path_buf() };
    let name = doc
        .name()
        .map(str::to_string)
        .or_else(|| source.file_stem().and_then(|s| s.to_str()).map(str::to_string))
        .ok_or_else(|| InstallError::Refused("the skill has no name".into()))?;
    if link && !is_folder_skill {
        return Err(InstallError::Refused("--link needs a skill folder with a SKILL.md; a single-file skill is installed as a copy".into()));
    }
    let source = std::fs::canonicalize(&source).map_err(io(&source))?;
    let dest = skills_dir.join(&name);
    if std::fs::canonicalize(&dest).is_ok_and(|d| d == source) && !is_symlink(&dest) {
        return Err(InstallError::Refused(format!("{} is the skill itself", dest.display())));
    }

    let action = match installed_source(&dest) {
        Existing::None => "installed",
        Existing::Ours(from) if from == source => "updated",
        Existing::Ours(from) if !force => {
            return Err(InstallError::Refused(format!(
                "{} holds another skill named `{name}` (installed from {}); pass --force to replace it",
                dest.display(),
                from.display()
            )));
        }
        Existing::Foreign if !force => {
            return Err(InstallError::Refused(format!(
                "{} already holds a skill named `{name}` that llmos did not install; pass --force to replace it",
                dest.display()
            )));
        }
        _ => "replaced",
    };
    std::fs::create_dir_all(skills_dir).map_err(io(skills_dir))?;
    // Build beside the destination, then swap: a failed copy leaves the old install.
    let staging = skills_dir.join(format!(".{name}.llmos-staging"));
    remove_any(&staging).map_err(io(&staging))?;
    if link {
        make_symlink(&source, &staging).map_err(io(&staging))?;
    } else {
        if let Err(e) = copy_skill(&source, &staging, is_folder_skill) {
            let _ = remove_any(&staging);
            return Err(e);
        }
        std::fs::write(staging.join(MARKER), format!("{}\n", source.display())).map_err(io(&staging))?;
        if installed_text != text {
            std::fs::write(staging.join("SKILL.md"), &installed_text).map_err(io(&staging))?;
        }
    }
    remove_any(&dest).map_err(io(&dest))?;
    std::fs::rename(&staging, &dest).map_err(io(&dest))?;
    Ok(Installed { name, path: dest, source, action, link })
}

/// Removes the installed skill `name` from `skills_dir` if llmos installed it.
pub fn uninstall(name: &str, skills_dir: &Path, force: bool) -> Result<Installed, InstallError> {
    if name.is_empty() || name.contains(['/', '\\']) || name == "." || name == ".." {
        return Err(InstallError::Refused(format!("`{name}` is not a skill name")));
    }
    let dest = skills_dir.join(name);
    let (source, link) = match installed_source(&dest) {
        Existing::None => return Err(InstallError::Refused(format!("no skill `{name}` is installed in {}", skills_dir.display()))),
        Existing::Ours(from) => (from, is_symlink(&dest)),
        Existing::Foreign if force => (PathBuf::new(), is_symlink(&dest)),
        Existing::Foreign => {
            return Err(InstallError::Refused(format!("{} was not installed by llmos; pass --force to remove it anyway", dest.display())));
        }
    };
    remove_any(&dest).map_err(io(&dest))?;
    Ok(Installed { name: name.to_string(), path: dest, source, action: "removed", link })
}

/// `text` with the frontmatter keys the Agent Skills standard does not know moved into
/// its `metadata` map (as strings, lists joined with commas). Unchanged when there is
/// nothing to move, no usable frontmatter, or a `metadata` key already.
fn for_agents(text: &str) -> String {
    use llmos_documents::frontmatter::{Frontmatter, split};
    use llmos_documents::profile::skill_key;
    let Some(block) = split(text) else { return text.to_string() };
    let fm = Frontmatter::parse(text);
    if fm.get("metadata").is_some() {
        return text.to_string();
    }
    let foreign = |key: &str| skill_key(key).is_some_and(|spec| !Profile::Agentskills.allows(spec.group));
    let mut moved: Vec<(String, String)> = Vec::new();
    for (k, v) in fm.entries() {
        let Some(key) = k.as_str() else { continue };
        if !foreign(key) {
            continue;
        }
        let value = match v.string_items() {
            Some(items) if v.as_str().is_none() => items.iter().map(|(s, _)| *s).collect::<Vec<_>>().join(", "),
            _ => v.as_str().unwrap_or_default().to_string(),
        };
        moved.push((key.to_string(), value));
    }
    if moved.is_empty() {
        return text.to_string();
    }
    // Drop the moved keys' lines: a top-level key starts at column 0, its value's
    // continuation lines are indented or list items.
    let Some(yaml) = text.get(block.yaml.clone()) else { return text.to_string() };
    let mut kept = String::new();
    let mut dropping = false;
    for line in yaml.split_inclusive('\n') {
        if !line.starts_with([' ', '\t', '-', '#']) && !line.trim().is_empty() {
            let key = line.split(':').next().unwrap_or("").trim();
            dropping = moved.iter().any(|(k, _)| k == key);
        }
        if !dropping {
            kept.push_str(line);
        }
    }
    if !kept.is_empty() && !kept.ends_with('\n') {
        kept.push('\n');
    }
    kept.push_str("metadata:\n");
    for (k, v) in &moved {
        kept.push_str(&format!("  {k}: {}\n", llmos_documents::lint::yaml_double_quote(v)));
    }
    format!("{}{kept}{}", text.get(..block.yaml.start).unwrap_or(""), text.get(block.yaml.end..).unwrap_or(""))
}

enum Existing {
    None,
    /// Installed by llmos from this source.
    Ours(PathBuf),
    Foreign,
}

fn is_symlink(path: &Path) -> bool {
    std::fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_symlink())
}

fn installed_source(dest: &Path) -> Existing {
    let Ok(meta) = std::fs::symlink_metadata(dest) else { return Existing::None };
    if meta.file_type().is_symlink() {
        // A symlink to a skill folder is what `--link` makes.
        return match std::fs::canonicalize(dest) {
            Ok(target) if target.join("SKILL.md").is_file() => Existing::Ours(target),
            _ => Existing::Foreign,
        };
    }
    match std::fs::read_to_string(dest.join(MARKER)) {
        Ok(text) if !text.trim().is_empty() => Existing::Ours(PathBuf::from(text.trim())),
        _ => Existing::Foreign,
    }
}

fn remove_any(path: &Path) -> std::io::Result<()> {
    match std::fs::symlink_metadata(path) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(e),
        Ok(m) if m.is_dir() => std::fs::remove_dir_all(path),
        Ok(_) => std::fs::remove_file(path),
    }
}

#[cfg(unix)]
fn make_symlink(source: &Path, link: &Path) -> std::io::Result<()> {
    std::os::unix::fs::symlink(source, link)
}

#[cfg(windows)]
fn make_symlink(source: &Path, link: &Path) -> std::io::Result<()> {
    std::os::windows::fs::symlink_dir(source, link)
}

/// Copies a skill folder (or a flat skill file as `SKILL.md`) to `to`, without
/// symlinks, VCS folders or more than [`MAX_COPY_BYTES`].
fn copy_skill(source: &Path, to: &Path, folder: bool) -> Result<(), InstallError> {
    std::fs::create_dir_all(to).map_err(io(to))?;
    if !folder {
        return std::fs::copy(source, to.join("SKILL.md")).map(|_| ()).map_err(io(source));
    }
    let mut total = 0u64;
    let walker = walkdir::WalkDir::new(source)
        .follow_links(false)
        .into_iter()
        .filter_entry(|e| e.depth() == 0 || !(e.file_type().is_dir() && e.file_name().to_str().is_some_and(|n| SKIPPED_DIRS.contains(&n))));
    for entry in walker {
        let entry = entry.map_err(|e| InstallError::Refused(format!("cannot read the skill folder: {e}")))?;
        let Ok(rel) = entry.path().strip_prefix(source) else { continue };
        if rel.as_os_str().is_empty() || entry.file_name() == MARKER {
            continue;
        }
        let target = to.join(rel);
        if entry.file_type().is_dir() {
            std::fs::create_dir_all(&target).map_err(io(&target))?;
        } else if entry.file_type().is_file() {
            total += entry.metadata().map(|m| m.len()).unwrap_or(0);
            if total > MAX_COPY_BYTES {
                return Err(InstallError::Refused(format!(
                    "the skill folder holds more than {} MB; agents load skills whole, keep them small",
                    MAX_COPY_BYTES >> 20
                )));
            }
            std::fs::copy(entry.path(), &target).map_err(io(entry.path()))?;
        }
        // Symlinks inside a skill could point anywhere: they are not followed or copied.
    }
    Ok(())
}
