//! A volume's git repository through git2: open or initialise it, map paths
//! to git paths, read files and commits. Committing lives in `commit`, the
//! session history in `history`.
//!
//! A volume is a directory that is its own repository or a directory inside
//! one. Every relative path this module takes or returns is a *git path*:
//! relative to the repository's working directory, `/`-separated, UTF-8.
//! Absolute paths are accepted wherever a path is taken.

mod commit;
mod history;

use std::fmt;
use std::io;
use std::path::{Component, Path, PathBuf};
use std::str::FromStr;

use git2::{Commit, ErrorCode, ObjectType, Oid, Repository, RepositoryInitOptions, Tree};
use serde::Serialize;
use time::OffsetDateTime;
use time::UtcOffset;
use time::format_description::well_known::Rfc3339;

pub use history::{HistoryEntry, HistoryOptions};

/// Why a git operation on a volume failed; every message says what to do.
#[derive(Debug, thiserror::Error)]
pub enum VcsError {
    #[error("{} is not inside a git repository; initialize the volume with `git init`", .0.display())]
    NotARepository(PathBuf),
    #[error("{} is a bare repository; a volume needs a working tree", .0.display())]
    BareRepository(PathBuf),
    #[error("{} is outside the repository at {}", .path.display(), .workdir.display())]
    OutsideRepository { path: PathBuf, workdir: PathBuf },
    #[error("{} is not a file path llmos can commit (it must be UTF-8, inside the working tree and not under .git)", .0.display())]
    UnsupportedPath(PathBuf),
    #[error("{path} cannot be committed: {reason}")]
    PathConflict { path: String, reason: String },
    #[error("HEAD is detached; check out a branch")]
    DetachedHead,
    #[error(
        "another git process is running ({} exists); wait for it to finish, or delete the file if no git process is running",
        .0.display()
    )]
    IndexLocked(PathBuf),
    #[error("nothing to commit: {path} is unchanged since the last commit")]
    NothingToCommit { path: String },
    #[error(
        "no git identity for {dir} ({detail}); set one with: git -C {dir} config user.name \"Your Name\" && git -C {dir} config user.email you@example.com"
    )]
    MissingIdentity { dir: String, detail: String },
    #[error("the branch moved while committing (another program committed); commit again")]
    HeadMoved,
    #[error("no commit named {0:?} in this repository")]
    UnknownCommit(String),
    #[error("committed {sha}, but could not write {}: {source}; the commit holds the text", .path.display())]
    CommittedButNotWritten { sha: String, path: PathBuf, source: io::Error },
    #[error("committed {sha}, but could not update the index for {path}: {detail}; run `git -C {workdir} reset -q -- {path}`")]
    CommittedButIndexStale { sha: String, path: String, workdir: String, detail: String },
    #[error("{}: {source}", .path.display())]
    Io { path: PathBuf, source: io::Error },
    #[error("git: {0}")]
    Git(#[from] git2::Error),
}

fn io_error(path: &Path) -> impl FnOnce(io::Error) -> VcsError + '_ {
    move |source| VcsError::Io { path: path.to_path_buf(), source }
}

/// A commit's id; prints as the full 40-hex sha.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct CommitId(Oid);

impl CommitId {
    pub fn sha(&self) -> String {
        self.0.to_string()
    }

    /// The 7-char abbreviation people read in diagnostics.
    pub fn short(&self) -> String {
        let mut sha = self.0.to_string();
        sha.truncate(7);
        sha
    }
}

impl fmt::Display for CommitId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0, f)
    }
}

impl FromStr for CommitId {
    type Err = VcsError;

    /// A full 40-hex sha; abbreviations need a repository ([`Volume::commit_info`]).
    fn from_str(sha: &str) -> Result<Self, Self::Err> {
        if sha.len() != 40 {
            return Err(VcsError::UnknownCommit(sha.to_owned()));
        }
        Oid::from_str(sha).map(CommitId).map_err(|_| VcsError::UnknownCommit(sha.to_owned()))
    }
}

/// One commit as a hover shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CommitSummary {
    pub sha: String,
    pub short: String,
    pub subject: String,
    pub author: String,
    pub email: String,
    /// Author time, RFC 3339 in the author's offset.
    pub time: String,
    /// Author time, unix seconds.
    pub timestamp: i64,
    /// First parent; `None` for a root commit.
    pub parent: Option<String>,
    /// Git paths added, changed or deleted against the first parent.
    pub changed_files: Vec<String>,
}

/// Whether [`Volume::init`] created the repository.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InitOutcome {
    Created,
    AlreadyRepository,
}

/// A volume directory and the repository that holds it.
pub struct Volume {
    repo: Repository,
    dir: PathBuf,
    workdir: PathBuf,
    prefix: String,
}

impl fmt::Debug for Volume {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Volume").field("dir", &self.dir).field("workdir", &self.workdir).finish_non_exhaustive()
    }
}

impl Volume {
    /// Opens the repository that holds `dir`: `dir` itself or the nearest
    /// enclosing repository.
    pub fn open(dir: &Path) -> Result<Volume, VcsError> {
        let dir = dir.canonicalize().map_err(io_error(dir))?;
        let repo = Repository::discover(&dir).map_err(|error| match error.code() {
            ErrorCode::NotFound => VcsError::NotARepository(dir.clone()),
            _ => VcsError::Git(error),
        })?;
        let workdir = repo.workdir().ok_or_else(|| VcsError::BareRepository(repo.path().to_path_buf()))?;
        let workdir = workdir.canonicalize().map_err(io_error(workdir))?;
        let prefix = git_path_of(&dir, &workdir)?;
        Ok(Volume { repo, dir, workdir, prefix })
    }

    /// Sets `user.name`/`user.email` in the repository's own config when no identity is
    /// configured at all (for the demo workspace and tests; never overrides one).
    pub fn ensure_identity(&self, name: &str, email: &str) -> Result<(), VcsError> {
        if self.repo.signature().is_ok() {
            return Ok(());
        }
        let mut config = self.repo.config()?.open_level(git2::ConfigLevel::Local)?;
        config.set_str("user.name", name)?;
        config.set_str("user.email", email)?;
        Ok(())
    }

    /// Makes `dir` (created if missing) its own repository with branch `main`,
    /// unless it already is one.
    pub fn init(dir: &Path) -> Result<(Volume, InitOutcome), VcsError> {
        std::fs::create_dir_all(dir).map_err(io_error(dir))?;
        let outcome = if Repository::open(dir).is_ok() {
            InitOutcome::AlreadyRepository
        } else {
            let mut options = RepositoryInitOptions::new();
            options.initial_head("main");
            Repository::init_opts(dir, &options)?;
            InitOutcome::Created
        };
        Ok((Volume::open(dir)?, outcome))
    }

    /// The volume directory, canonical.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The repository's working directory, canonical; git paths are relative to it.
    pub fn workdir(&self) -> &Path {
        &self.workdir
    }

    /// The volume's git path: `""` when the volume is the repository root.
    pub fn prefix(&self) -> &str {
        &self.prefix
    }

    /// The git path of `path` (absolute, or already relative to the working
    /// directory). The file need not exist.
    pub fn git_path(&self, path: &Path) -> Result<String, VcsError> {
        if path.is_absolute() {
            let resolved = resolve_existing_prefix(path)?;
            if !resolved.starts_with(&self.workdir) {
                return Err(VcsError::OutsideRepository { path: path.to_path_buf(), workdir: self.workdir.clone() });
            }
            git_path_of(&resolved, &self.workdir)
        } else {
            git_path_of(&self.workdir.join(path), &self.workdir)
        }
        .and_then(|git_path| {
            let first = git_path.split('/').next().unwrap_or("");
            if git_path.is_empty() || first == ".git" { Err(VcsError::UnsupportedPath(path.to_path_buf())) } else { Ok(git_path) }
        })
    }

    /// The git path of the session file with id `session_id` in this volume
    /// (`<prefix>/sessions/<id>.md`): what a session commit's `LLMos-Session`
    /// trailer points to, without comparing trees.
    pub fn session_git_path(&self, session_id: &str) -> String {
        if self.prefix.is_empty() { format!("sessions/{session_id}.md") } else { format!("{}/sessions/{session_id}.md", self.prefix) }
    }

    /// The commit HEAD points to; `None` in an empty repository.
    pub fn head(&self) -> Result<Option<CommitId>, VcsError> {
        Ok(self.head_commit()?.map(|commit| CommitId(commit.id())))
    }

    /// The content of `path` in HEAD; `None` when HEAD has no such file
    /// (or no commit yet).
    pub fn blob_at_head(&self, path: &Path) -> Result<Option<Vec<u8>>, VcsError> {
        let git_path = self.git_path(path)?;
        match self.head_commit()? {
            Some(head) => self.blob_in(&head.tree()?, &git_path),
            None => Ok(None),
        }
    }

    /// The content of `path` at commit `rev` (a sha, short sha or any revision).
    pub fn file_at(&self, rev: &str, path: &Path) -> Result<Option<Vec<u8>>, VcsError> {
        let git_path = self.git_path(path)?;
        let commit = self.find_commit(rev)?;
        self.blob_in(&commit.tree()?, &git_path)
    }

    /// The commit that gave `path` the content it has in HEAD, following
    /// first parents; `None` when HEAD has no such file. Cost grows with the
    /// number of commits since that one.
    pub fn last_commit_touching(&self, path: &Path) -> Result<Option<CommitSummary>, VcsError> {
        let git_path = self.git_path(path)?;
        let Some(mut current) = self.head_commit()? else {
            return Ok(None);
        };
        let Some(target) = entry_id(&current.tree()?, &git_path) else {
            return Ok(None);
        };
        loop {
            let parent = match current.parent(0) {
                Ok(parent) => parent,
                Err(error) if error.code() == ErrorCode::NotFound => break,
                Err(error) => return Err(error.into()),
            };
            if entry_id(&parent.tree()?, &git_path) != Some(target) {
                break;
            }
            current = parent;
        }
        self.summary(&current).map(Some)
    }

    /// Subject, author, time and changed files of the commit `rev`.
    pub fn commit_info(&self, rev: &str) -> Result<CommitSummary, VcsError> {
        let commit = self.find_commit(rev)?;
        self.summary(&commit)
    }

    fn find_commit(&self, rev: &str) -> Result<Commit<'_>, VcsError> {
        self.repo.revparse_single(rev).and_then(|object| object.peel_to_commit()).map_err(|_| VcsError::UnknownCommit(rev.to_owned()))
    }

    fn head_commit(&self) -> Result<Option<Commit<'_>>, VcsError> {
        match self.repo.head() {
            Ok(head) => Ok(Some(head.peel_to_commit()?)),
            Err(error) if matches!(error.code(), ErrorCode::UnbornBranch | ErrorCode::NotFound) => Ok(None),
            Err(error) => Err(error.into()),
        }
    }

    fn blob_in(&self, tree: &Tree<'_>, git_path: &str) -> Result<Option<Vec<u8>>, VcsError> {
        let entry = match tree.get_path(Path::new(git_path)) {
            Ok(entry) => entry,
            Err(error) if error.code() == ErrorCode::NotFound => return Ok(None),
            Err(error) => return Err(error.into()),
        };
        if entry.kind() != Some(ObjectType::Blob) {
            return Ok(None);
        }
        Ok(Some(self.repo.find_blob(entry.id())?.content().to_vec()))
    }

    fn summary(&self, commit: &Commit<'_>) -> Result<CommitSummary, VcsError> {
        let parent = commit.parent(0).ok();
        let parent_tree = parent.as_ref().map(Commit::tree).transpose()?;
        let diff = self.repo.diff_tree_to_tree(parent_tree.as_ref(), Some(&commit.tree()?), None)?;
        let changed_files = diff
            .deltas()
            .filter_map(|delta| delta.new_file().path().or_else(|| delta.old_file().path()))
            .map(|path| path.to_string_lossy().into_owned())
            .collect();
        let author = commit.author();
        let id = CommitId(commit.id());
        Ok(CommitSummary {
            sha: id.sha(),
            short: id.short(),
            subject: String::from_utf8_lossy(commit.summary_bytes().unwrap_or_default()).into_owned(),
            author: String::from_utf8_lossy(author.name_bytes()).into_owned(),
            email: String::from_utf8_lossy(author.email_bytes()).into_owned(),
            time: rfc3339(author.when()),
            timestamp: author.when().seconds(),
            parent: parent.map(|parent| parent.id().to_string()),
            changed_files,
        })
    }
}

fn entry_id(tree: &Tree<'_>, git_path: &str) -> Option<Oid> {
    tree.get_path(Path::new(git_path)).ok().map(|entry| entry.id())
}

/// RFC 3339 in the commit's own offset; UTC when the offset is out of range,
/// and an empty string for times `time` cannot hold.
fn rfc3339(when: git2::Time) -> String {
    let offset = UtcOffset::from_whole_seconds(when.offset_minutes() * 60).unwrap_or(UtcOffset::UTC);
    OffsetDateTime::from_unix_timestamp(when.seconds()).ok().and_then(|time| time.to_offset(offset).format(&Rfc3339).ok()).unwrap_or_default()
}

/// Canonicalises the longest existing ancestor of `path` and appends the
/// rest, so a file (and its folders) that do not exist yet still resolve
/// through symlinked parents.
fn resolve_existing_prefix(path: &Path) -> Result<PathBuf, VcsError> {
    let mut existing = path;
    let mut missing = Vec::new();
    loop {
        match existing.canonicalize() {
            Ok(resolved) => {
                let mut resolved = resolved;
                for part in missing.iter().rev() {
                    resolved.push(part);
                }
                return Ok(resolved);
            }
            Err(error) if error.kind() == io::ErrorKind::NotFound => {
                let (Some(parent), Some(name)) = (existing.parent(), existing.file_name()) else {
                    return Err(VcsError::Io { path: path.to_path_buf(), source: error });
                };
                missing.push(name.to_os_string());
                existing = parent;
            }
            Err(error) => {
                return Err(VcsError::Io { path: path.to_path_buf(), source: error });
            }
        }
    }
}

/// `path` relative to `workdir`, `/`-joined; only plain components allowed.
fn git_path_of(path: &Path, workdir: &Path) -> Result<String, VcsError> {
    let relative = path.strip_prefix(workdir).map_err(|_| VcsError::OutsideRepository { path: path.to_path_buf(), workdir: workdir.to_path_buf() })?;
    let mut parts = Vec::new();
    for component in relative.components() {
        match component {
            Component::Normal(part) => parts.push(part.to_str().ok_or_else(|| VcsError::UnsupportedPath(path.to_path_buf()))?),
            Component::CurDir => {}
            _ => return Err(VcsError::UnsupportedPath(path.to_path_buf())),
        }
    }
    Ok(parts.join("/"))
}
