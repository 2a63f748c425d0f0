//! `llmos check`: the server's rules over files, folders and whole workspaces.

use std::collections::{BTreeSet, HashMap};
use std::path::{Path, PathBuf};

use llmos_documents::lint::{DocContext, LinkCheck, LintEnv, SkillLocation, lint_encoding, lint_session, lint_skill};
use llmos_documents::{Diagnostic, Profile, rules};

use crate::config::{self, Config};
use crate::discover::find_root;
use crate::index::{Index, VolumeFile, WorkspaceEnv, check_link_in, locate, walk_volumes};
use crate::kind::{DocKind, classify};
use rayon::prelude::*;

/// The findings for one file. `text` is kept so callers can turn offsets into lines.
#[derive(Debug)]
pub struct FileReport {
    pub path: PathBuf,
    pub text: String,
    pub diagnostics: Vec<Diagnostic>,
}

#[derive(Debug, thiserror::Error)]
pub enum CheckError {
    #[error("{}: no such file or folder", .0.display())]
    NotFound(PathBuf),
    #[error("{}: {source}", path.display())]
    Unreadable { path: PathBuf, source: std::io::Error },
}

/// A file's bytes, or the report that says why it was not analysed (too large, not a
/// regular file), or a hard error when it cannot be read at all.
fn read_checked(file: &Path, max: u64, read: fn(&Path, u64) -> Result<Vec<u8>, crate::bounded::FileError>) -> Result<Vec<u8>, Result<FileReport, CheckError>> {
    use crate::bounded::FileError;
    let diagnostic = match read(file, max) {
        Ok(bytes) => return Ok(bytes),
        Err(FileError::TooLarge { size, max, .. }) => {
            Diagnostic::new(&rules::FILE_TOO_LARGE, 0..0, format!("{size} bytes is over the {max} byte limit; not analysed"))
        }
        Err(e @ FileError::NotRegular { .. }) => Diagnostic::new(&rules::FILE_NOT_REGULAR, 0..0, e.to_string()),
        Err(FileError::Io { source, .. }) => return Err(Err(CheckError::Unreadable { path: file.to_path_buf(), source })),
    };
    Err(Ok(FileReport { path: file.to_path_buf(), text: String::new(), diagnostics: vec![diagnostic] }))
}

/// Lints one document's text as the server would.
pub fn lint_document(config: &Config, index: &Index, path: &Path, text: &str, profile: Profile) -> Vec<Diagnostic> {
    lint_document_with(config, index, None, path, text, profile, None)
}

/// [`lint_document`] with remembered link checks and, for a session, its parse.
pub fn lint_document_with(
    config: &Config,
    index: &Index,
    links: Option<&crate::index::LinkCache>,
    path: &Path,
    text: &str,
    profile: Profile,
    session: Option<&llmos_documents::SessionDoc>,
) -> Vec<Diagnostic> {
    // Sync twins from the index: listing `sessions/` on every keystroke costs more the
    // more sessions there are.
    let twin_in_index = |path: &Path| {
        let dir = path.parent()?;
        sync_conflict_among(path, |prefix| index.session_file_with_prefix(dir, prefix))
    };
    lint_among(config, index, links, path, text, profile, session, &twin_in_index)
}

/// The one lint path; `conflict` finds a session's sync twin (on disk for one file, from
/// the listing already made when checking a whole workspace).
#[allow(clippy::too_many_arguments)]
fn lint_among(
    config: &Config,
    index: &Index,
    links: Option<&crate::index::LinkCache>,
    path: &Path,
    text: &str,
    profile: Profile,
    session: Option<&llmos_documents::SessionDoc>,
    conflict: &dyn Fn(&Path) -> Option<Diagnostic>,
) -> Vec<Diagnostic> {
    let env = WorkspaceEnv { config, index, links };
    let (volume, kind) = match locate(config, path) {
        Some((vol, rel)) => (Some(vol.kind), classify(&rel)),
        None if path.file_name().is_some_and(|f| f == config::FILE_NAME) => (None, Some(DocKind::Config)),
        None => (None, None),
    };
    let ctx = DocContext { path, volume, profile };
    let diags = match kind {
        Some(DocKind::Skill) => lint_skill(text, &ctx, &env),
        Some(DocKind::Session) => {
            let mut d = match session {
                Some(doc) => llmos_documents::lint::lint_parsed_session(text, doc, &ctx, &env),
                None => lint_session(text, &ctx, &env),
            };
            d.extend(conflict(path));
            d
        }
        Some(DocKind::Config) => Config::parse(text, path.parent().unwrap_or(Path::new("."))).1,
        None => Vec::new(),
    };
    config.apply_severities(diags)
}

/// Checks every path given: workspace roots, volume folders, skill folders or files.
/// Files outside any workspace are checked on their own (a skills repository in CI).
pub fn check_paths(paths: &[PathBuf], profile: Option<Profile>) -> Result<Vec<FileReport>, CheckError> {
    let mut reports = Vec::new();
    for path in paths {
        if !path.exists() {
            return Err(CheckError::NotFound(path.clone()));
        }
        let abs = std::path::absolute(path).map_err(|e| CheckError::Unreadable { path: path.clone(), source: e })?;
        match find_root(&abs) {
            Some(root) => check_in_workspace(&root, &abs, profile, &mut reports)?,
            None => check_standalone(&abs, profile.unwrap_or_default(), &mut reports)?,
        }
    }
    reports.sort_by(|a, b| a.path.cmp(&b.path));
    reports.dedup_by(|a, b| a.path == b.path);
    Ok(reports)
}

/// One walk of the volumes, an index of the skills (the only thing rules look up across
/// files), then every file read, parsed and linted once, in parallel. Sync twins are
/// found in the listing rather than by listing `sessions/` again per session, which
/// made a check quadratic in the number of sessions.
fn check_in_workspace(root: &Path, target: &Path, profile: Option<Profile>, out: &mut Vec<FileReport>) -> Result<(), CheckError> {
    let (config, config_diags) = Config::load(root);
    let listed = walk_volumes(&config);
    let skills: Vec<VolumeFile> = listed.iter().filter(|(_, _, kind)| *kind == DocKind::Skill).cloned().collect();
    let index = Index::build_from(&config, &skills);
    let folders = SessionFolders::new(&listed);
    let profile = profile.unwrap_or(config.profile);
    let config_path = root.join(config::FILE_NAME);
    if target == root && config_path.exists() {
        let text = crate::bounded::read_text(&config_path, crate::bounded::DEFAULT_MAX_BYTES).unwrap_or_default();
        out.push(FileReport { path: config_path.clone(), text, diagnostics: config.apply_severities(config_diags.clone()) });
    }
    if target == config_path {
        let text = crate::bounded::read_text(target, crate::bounded::DEFAULT_MAX_BYTES)
            .map_err(|e| CheckError::Unreadable { path: target.to_path_buf(), source: e.into() })?;
        out.push(FileReport { path: config_path, text, diagnostics: config.apply_severities(config_diags) });
        return Ok(());
    }
    // A file named on the command line that is a symlink out of the workspace is
    // reported, not read (its content would be quoted in the output).
    if !target.is_dir() && target.exists() && !crate::boundary::resolves_inside(root, target) {
        let why = format!("{} leads outside the workspace (a symlink); it is not read", target.display());
        out.push(FileReport { path: target.to_path_buf(), text: String::new(), diagnostics: vec![Diagnostic::new(&rules::FILE_NOT_REGULAR, 0..0, why)] });
        return Ok(());
    }
    let files: Vec<&Path> =
        if !target.is_dir() { vec![target] } else { listed.iter().map(|(_, path, _)| path.as_path()).filter(|p| p.starts_with(target)).collect() };
    let conflict = |path: &Path| match folders.names_beside(path) {
        Some(names) => sync_conflict_among(path, |prefix| {
            names.range::<str, _>((std::ops::Bound::Included(prefix), std::ops::Bound::Unbounded)).next().filter(|n| n.starts_with(prefix)).cloned()
        }),
        None => sync_conflict(path),
    };
    // Volume roots canonicalised once and folders checked once, not per link.
    let links = crate::index::LinkCache::for_one_pass();
    // Listed files were regular files a moment ago; a file named on the command line may
    // be a symlink (inside the workspace, checked above) and is read the careful way.
    let read = if target.is_dir() { crate::bounded::read_listed } else { crate::bounded::read_bytes };
    let reports: Vec<FileReport> =
        files.par_iter().map(|file| check_file(&config, &index, &links, file, profile, read, &conflict)).collect::<Result<_, CheckError>>()?;
    out.extend(reports);
    Ok(())
}

fn check_file(
    config: &Config,
    index: &Index,
    links: &crate::index::LinkCache,
    file: &Path,
    profile: Profile,
    read: fn(&Path, u64) -> Result<Vec<u8>, crate::bounded::FileError>,
    conflict: &dyn Fn(&Path) -> Option<Diagnostic>,
) -> Result<FileReport, CheckError> {
    let path = file.to_path_buf();
    let bytes = match read_checked(file, config.max_file_size, read) {
        Ok(bytes) => bytes,
        Err(report) => return report,
    };
    match lint_encoding(&bytes) {
        Ok(text) => {
            let diagnostics = lint_among(config, index, Some(links), file, text, profile, None, conflict);
            // The text is only needed to place diagnostics; a clean file's is dropped so a
            // check of 200,000 files does not hold them all.
            let text = if diagnostics.is_empty() { String::new() } else { text.to_string() };
            Ok(FileReport { path, text, diagnostics })
        }
        Err(d) => Ok(FileReport { path, text: String::new(), diagnostics: vec![d] }),
    }
}

/// The session file names of each `sessions/` folder, from the walk.
struct SessionFolders(HashMap<PathBuf, BTreeSet<String>>);

impl SessionFolders {
    fn new(files: &[VolumeFile]) -> Self {
        let mut map: HashMap<PathBuf, BTreeSet<String>> = HashMap::new();
        for (_, path, kind) in files {
            if *kind != DocKind::Session {
                continue;
            }
            if let (Some(dir), Some(name)) = (path.parent(), path.file_name().and_then(|n| n.to_str())) {
                map.entry(dir.to_path_buf()).or_default().insert(name.to_string());
            }
        }
        Self(map)
    }

    fn names_beside(&self, path: &Path) -> Option<&BTreeSet<String>> {
        self.0.get(path.parent()?)
    }
}

/// Outside a workspace: `SKILL.md` files and `skills/*.md` are skills, `sessions/*.md`
/// sessions; links are resolved inside the folder that was named.
fn check_standalone(target: &Path, profile: Profile, out: &mut Vec<FileReport>) -> Result<(), CheckError> {
    let root = if !target.is_dir() { target.parent().unwrap_or(target).to_path_buf() } else { target.to_path_buf() };
    let mut files = Vec::new();
    if !target.is_dir() {
        files.push(target.to_path_buf());
    } else {
        let walker = walkdir::WalkDir::new(target).follow_links(false).into_iter().filter_entry(|e| {
            let name = e.file_name().to_str().unwrap_or("");
            e.depth() == 0 || !(name.starts_with('.') || name == "node_modules" || name == "target")
        });
        for entry in walker.filter_map(Result::ok) {
            if entry.file_type().is_file() && standalone_kind(entry.path()).is_some() {
                files.push(entry.path().to_path_buf());
            }
        }
    }
    let env = StandaloneEnv { root: &root };
    for file in files {
        let bytes = match read_checked(&file, crate::bounded::DEFAULT_MAX_BYTES, crate::bounded::read_bytes) {
            Ok(bytes) => bytes,
            Err(report) => {
                out.push(report?);
                continue;
            }
        };
        let text = match lint_encoding(&bytes) {
            Ok(t) => t,
            Err(d) => {
                out.push(FileReport { path: file, text: String::new(), diagnostics: vec![d] });
                continue;
            }
        };
        let ctx = DocContext { path: &file, volume: None, profile };
        let diagnostics = match standalone_kind(&file) {
            Some(DocKind::Session) => lint_session(text, &ctx, &env),
            Some(DocKind::Config) => Config::parse(text, &root).1,
            _ => lint_skill(text, &ctx, &env),
        };
        out.push(FileReport { path: file, text: text.to_string(), diagnostics });
    }
    Ok(())
}

fn standalone_kind(path: &Path) -> Option<DocKind> {
    let name = path.file_name()?.to_str()?;
    let parent = path.parent().and_then(|p| p.file_name()).and_then(|p| p.to_str()).unwrap_or("");
    match name {
        "SKILL.md" => Some(DocKind::Skill),
        "llmos.toml" => Some(DocKind::Config),
        n if n.ends_with(".md") && parent == "skills" => Some(DocKind::Skill),
        n if n.ends_with(".md") && parent == "sessions" => Some(DocKind::Session),
        _ => None,
    }
}

struct StandaloneEnv<'a> {
    root: &'a Path,
}

impl LintEnv for StandaloneEnv<'_> {
    /// Outside a workspace there are no volumes to look skills up in.
    fn skills_named(&self, _name: &str) -> Vec<SkillLocation> {
        Vec::new()
    }

    fn check_link(&self, doc_path: &Path, target: &str) -> LinkCheck {
        check_link_in(self.root, doc_path, target)
    }
}

/// The two files sync keeps when a session changed on both sides: `<id>.md` (remote)
/// and `<id>.local-<sha>.md` (local). Each gets a diagnostic naming the other.
pub fn sync_conflict(path: &Path) -> Option<Diagnostic> {
    let dir = path.parent()?;
    sync_conflict_among(path, |prefix| {
        std::fs::read_dir(dir)
            .ok()?
            .filter_map(Result::ok)
            .map(|e| e.file_name().to_string_lossy().to_string())
            .find(|n| n.starts_with(prefix) && n.ends_with(".md"))
    })
}

/// [`sync_conflict`] with the folder's names known: `twin_with(prefix)` gives a name in
/// the session's folder starting with `prefix`, if there is one.
fn sync_conflict_among(path: &Path, twin_with: impl FnOnce(&str) -> Option<String>) -> Option<Diagnostic> {
    let stem = path.file_stem()?.to_str()?;
    if let Some((id, sha)) = stem.rsplit_once(".local-")
        && sha.len() >= 7
        && sha.bytes().all(|b| b.is_ascii_hexdigit())
    {
        return Some(Diagnostic::new(
            &rules::SESSION_SYNC_CONFLICT,
            0..0,
            format!("your version of this session, kept by sync beside the remote one ({id}.md): merge them and delete one"),
        ));
    }
    let twin = twin_with(&format!("{stem}.local-")).filter(|n| n.ends_with(".md"))?;
    Some(Diagnostic::new(
        &rules::SESSION_SYNC_CONFLICT,
        0..0,
        format!("sync kept both versions: this is the remote one, yours is {twin}; merge them and delete one"),
    ))
}
