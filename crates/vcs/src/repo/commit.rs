//! Committing one file of a volume, and nothing else.
//!
//! The commit's tree is HEAD's tree with this one blob replaced (built with
//! tree builders, never from the index), so whatever else the user has staged
//! or modified stays exactly as it was. The file on disk is written
//! atomically and its index entry is set to the committed blob, so `git
//! status` is clean for that path afterwards. The whole operation holds
//! `index.lock`, as `git commit` does.
//!
//! # The `commit:` field of a session (the sha scheme)
//!
//! A file cannot contain the sha of the commit that holds it: the sha hashes
//! the content. So a session's frontmatter `commit:` records the **base** of
//! its commit: the commit HEAD pointed to when the session was committed,
//! which is the session commit's parent (`null` when the session commit was
//! the repository's first). [`Volume::commit_file_with`] hands that base to
//! the caller, which writes it into the content; the file on disk and the
//! blob in the new HEAD are then the same bytes.
//!
//! The server then:
//! - knows a session is unchanged when its text equals [`Volume::blob_at_head`]
//!   (and must not commit it again: re-stamping a new base would make a
//!   commit with no real change);
//! - finds the session's own commit with [`Volume::last_commit_touching`]; its
//!   `parent` equals the recorded base, which proves it is that commit;
//! - says "changed since commit abc1234" with that commit's short sha.

use std::fs;
use std::io::Write as _;
use std::path::{Path, PathBuf};

use git2::{ErrorCode, Index, IndexEntry, IndexTime, ObjectType, Oid, Repository, Tree};

use super::{CommitId, VcsError, Volume, io_error};

const MODE_FILE: i32 = 0o100644;
const MODE_EXECUTABLE: i32 = 0o100755;
const MODE_TREE: i32 = 0o040000;

impl Volume {
    /// Writes `content` to `path` and commits that path alone on the current
    /// branch. Fails without changing anything when HEAD is detached, the
    /// index is locked, no identity is configured, or HEAD already holds
    /// exactly `content` at `path`.
    pub fn commit_file(&self, path: &Path, content: &[u8], message: &str) -> Result<CommitId, VcsError> {
        self.commit_file_with(path, message, |_| content.to_vec())
    }

    /// Like [`Volume::commit_file`], with the content built from the commit's
    /// base (the current HEAD, `None` in an empty repository) so that a
    /// session can record it in its `commit:` field (see the module doc).
    pub fn commit_file_with(&self, path: &Path, message: &str, build_content: impl FnOnce(Option<&CommitId>) -> Vec<u8>) -> Result<CommitId, VcsError> {
        self.commit_file_with_at(path, message, None, build_content)
    }

    /// Like [`Volume::commit_file`], authored and committed at `when` (unix seconds,
    /// UTC) instead of now: for the demo workspace and imported history.
    pub fn commit_file_at(&self, path: &Path, content: &[u8], message: &str, when: Option<i64>) -> Result<CommitId, VcsError> {
        self.commit_file_with_at(path, message, when, |_| content.to_vec())
    }

    /// [`Volume::commit_file_with`] at an explicit time (`None`: now).
    pub fn commit_file_with_at(
        &self,
        path: &Path,
        message: &str,
        when: Option<i64>,
        build_content: impl FnOnce(Option<&CommitId>) -> Vec<u8>,
    ) -> Result<CommitId, VcsError> {
        self.commit_one(path, message, when, true, build_content)
    }

    /// Like [`Volume::commit_file_with`], but the file on disk is left alone: for a
    /// session open in an editor, whose buffer gets the committed text and is saved by
    /// the editor. Writing the file under the editor would make it ask about a file
    /// changed on disk (Neovim W12, Emacs, VS Code with autoSave off). The index gets
    /// the committed blob without stat data, so git compares the file's content until
    /// the editor has saved it.
    pub fn commit_buffer_with(&self, path: &Path, message: &str, build_content: impl FnOnce(Option<&CommitId>) -> Vec<u8>) -> Result<CommitId, VcsError> {
        self.commit_one(path, message, None, false, build_content)
    }

    fn commit_one(
        &self,
        path: &Path,
        message: &str,
        when: Option<i64>,
        write_file: bool,
        build_content: impl FnOnce(Option<&CommitId>) -> Vec<u8>,
    ) -> Result<CommitId, VcsError> {
        let git_path = self.git_path(path)?;
        let file = self.workdir.join(&git_path);
        let lock = IndexLock::acquire(self.repo.path())?;

        if self.repo.head_detached()? {
            return Err(VcsError::DetachedHead);
        }
        let head = self.head_commit()?;
        let signature = self
            .repo
            .signature()
            .and_then(|now| match when {
                Some(secs) => git2::Signature::new(now.name().unwrap_or_default(), now.email().unwrap_or_default(), &git2::Time::new(secs, 0)),
                None => Ok(now),
            })
            .map_err(|error| VcsError::MissingIdentity { dir: self.dir.display().to_string(), detail: error.message().to_owned() })?;

        let base = head.as_ref().map(|commit| CommitId(commit.id()));
        let content = build_content(base.as_ref());
        let head_tree = head.as_ref().map(|commit| commit.tree()).transpose()?;
        let existing = match &head_tree {
            Some(tree) => match tree.get_path(Path::new(&git_path)) {
                Ok(entry) => Some((entry.id(), entry.kind(), entry.filemode())),
                Err(error) if error.code() == ErrorCode::NotFound => None,
                Err(error) => return Err(error.into()),
            },
            None => None,
        };
        if let Some((id, kind, _)) = existing {
            if kind == Some(ObjectType::Tree) {
                return Err(VcsError::PathConflict { path: git_path, reason: "it is a directory in HEAD".to_owned() });
            }
            if id == Oid::hash_object(ObjectType::Blob, &content)? {
                return Err(VcsError::NothingToCommit { path: git_path });
            }
        }
        let mode = match existing {
            Some((_, _, MODE_EXECUTABLE)) => MODE_EXECUTABLE,
            _ => MODE_FILE,
        };

        let blob = self.repo.blob(&content)?;
        let components: Vec<&str> = git_path.split('/').collect();
        let tree_id = tree_with_blob(&self.repo, head_tree.as_ref(), &components, blob, mode).map_err(|e| e.into_vcs(&git_path))?;
        let tree = self.repo.find_tree(tree_id)?;
        let commit_id = self.commit_on_head(&signature, message, &tree, head.as_ref())?;
        if write_file {
            self.place_committed_file(&lock, &commit_id.to_string(), &git_path, &file, blob, &content, mode)?;
        } else {
            lock.update_entry_unchecked(&git_path, blob, mode as u32, content.len()).map_err(|detail| VcsError::CommittedButIndexStale {
                sha: commit_id.to_string(),
                path: git_path.clone(),
                workdir: self.workdir.display().to_string(),
                detail,
            })?;
        }
        Ok(CommitId(commit_id))
    }
}

impl Volume {
    /// Writes several files and commits exactly those paths in one commit (a promoted
    /// skill folder). Like [`Volume::commit_file`] it leaves every other change of the
    /// user alone; a file whose content equals HEAD's is still part of the tree, and
    /// when all of them do there is nothing to commit.
    pub fn commit_files(&self, files: &[(PathBuf, Vec<u8>)], message: &str) -> Result<CommitId, VcsError> {
        if files.is_empty() {
            return Err(VcsError::NothingToCommit { path: String::new() });
        }
        let lock = IndexLock::acquire(self.repo.path())?;
        if self.repo.head_detached()? {
            return Err(VcsError::DetachedHead);
        }
        let head = self.head_commit()?;
        let signature =
            self.repo.signature().map_err(|error| VcsError::MissingIdentity { dir: self.dir.display().to_string(), detail: error.message().to_owned() })?;
        let head_tree = head.as_ref().map(|commit| commit.tree()).transpose()?;
        let mut tree_id = head_tree.as_ref().map(|t| t.id());
        let mut staged = Vec::new();
        for (path, content) in files {
            let git_path = self.git_path(path)?;
            let blob = self.repo.blob(content)?;
            let base = tree_id.map(|id| self.repo.find_tree(id)).transpose()?;
            let components: Vec<&str> = git_path.split('/').collect();
            let id = tree_with_blob(&self.repo, base.as_ref(), &components, blob, MODE_FILE).map_err(|e| e.into_vcs(&git_path))?;
            tree_id = Some(id);
            let file = self.workdir.join(&git_path);
            staged.push((git_path, file, blob, content));
        }
        let tree = self.repo.find_tree(tree_id.ok_or_else(|| git2::Error::from_str("empty tree"))?)?;
        if head_tree.as_ref().is_some_and(|t| t.id() == tree.id()) {
            return Err(VcsError::NothingToCommit { path: staged.first().map(|s| s.0.clone()).unwrap_or_default() });
        }
        let commit_id = self.commit_on_head(&signature, message, &tree, head.as_ref())?;
        let sha = commit_id.to_string();
        for (git_path, file, blob, content) in staged {
            self.place_committed_file(&lock, &sha, &git_path, &file, blob, content, MODE_FILE)?;
        }
        Ok(CommitId(commit_id))
    }

    /// Writes the commit and moves HEAD's branch to it. Updating HEAD through `commit`
    /// makes libgit2 check that the branch still points at our parent, so a concurrent
    /// commit is not lost.
    fn commit_on_head(&self, signature: &git2::Signature<'_>, message: &str, tree: &Tree<'_>, head: Option<&git2::Commit<'_>>) -> Result<Oid, VcsError> {
        let parents: Vec<_> = head.into_iter().collect();
        self.repo.commit(Some("HEAD"), signature, signature, message, tree, &parents).map_err(|error| match error.code() {
            ErrorCode::Modified => VcsError::HeadMoved,
            _ => VcsError::Git(error),
        })
    }

    /// After the commit: the file on disk and its index entry match the committed blob.
    #[allow(clippy::too_many_arguments)]
    fn place_committed_file(&self, lock: &IndexLock, sha: &str, git_path: &str, file: &Path, blob: Oid, content: &[u8], mode: i32) -> Result<(), VcsError> {
        write_atomically(file, content, mode).map_err(|source| VcsError::CommittedButNotWritten { sha: sha.to_owned(), path: file.to_path_buf(), source })?;
        lock.update_entry(git_path, file, blob, mode as u32).map_err(|detail| VcsError::CommittedButIndexStale {
            sha: sha.to_owned(),
            path: git_path.to_owned(),
            workdir: self.workdir.display().to_string(),
            detail,
        })
    }
}

enum TreeError {
    Git(git2::Error),
    /// A path prefix that is a file where the new path needs a directory.
    FileInTheWay(String),
}

impl TreeError {
    fn into_vcs(self, git_path: &str) -> VcsError {
        match self {
            TreeError::Git(error) => VcsError::Git(error),
            TreeError::FileInTheWay(prefix) => VcsError::PathConflict { path: git_path.to_owned(), reason: format!("{prefix} is a file in HEAD") },
        }
    }
}

impl From<git2::Error> for TreeError {
    fn from(error: git2::Error) -> Self {
        TreeError::Git(error)
    }
}

/// `base` with `blob` at `components`, writing only the trees on that path.
fn tree_with_blob(repo: &Repository, base: Option<&Tree<'_>>, components: &[&str], blob: Oid, mode: i32) -> Result<Oid, TreeError> {
    let mut builder = repo.treebuilder(base)?;
    match components {
        [] => return Err(TreeError::Git(git2::Error::from_str("empty path"))),
        [name] => {
            builder.insert(name, blob, mode)?;
        }
        [name, rest @ ..] => {
            let subtree = match base.and_then(|tree| tree.get_name(name)) {
                Some(entry) if entry.kind() == Some(ObjectType::Tree) => Some(repo.find_tree(entry.id())?),
                Some(_) => return Err(TreeError::FileInTheWay((*name).to_owned())),
                None => None,
            };
            let subtree_id = tree_with_blob(repo, subtree.as_ref(), rest, blob, mode).map_err(|error| match error {
                TreeError::FileInTheWay(prefix) => TreeError::FileInTheWay(format!("{name}/{prefix}")),
                other => other,
            })?;
            builder.insert(name, subtree_id, MODE_TREE)?;
        }
    }
    Ok(builder.write()?)
}

/// Temporary file beside the target, then rename: readers see the old or
/// the new content, never a mix.
fn write_atomically(file: &Path, content: &[u8], mode: i32) -> std::io::Result<()> {
    let dir = file.parent().unwrap_or(Path::new("."));
    fs::create_dir_all(dir)?;
    let name = file.file_name().map(|name| name.to_string_lossy().into_owned()).unwrap_or_default();
    let temporary = dir.join(format!(".{name}.llmos-{}.tmp", std::process::id()));
    // The file keeps its permissions (a read-only 0444 session stays read-only).
    let existing = fs::metadata(file).ok().filter(|m| m.is_file()).map(|m| m.permissions());
    let result = (|| {
        let mut out = fs::File::create(&temporary)?;
        out.write_all(content)?;
        out.sync_all()?;
        if let Some(permissions) = existing.clone() {
            out.set_permissions(permissions)?;
        }
        #[cfg(unix)]
        if mode == MODE_EXECUTABLE {
            use std::os::unix::fs::PermissionsExt as _;
            let bits = existing.as_ref().map_or(0o644, |p| p.mode() & 0o777);
            out.set_permissions(fs::Permissions::from_mode(bits | 0o111))?;
        }
        #[cfg(not(unix))]
        let _ = mode;
        fs::rename(&temporary, file)
    })();
    if result.is_err() {
        let _ = fs::remove_file(&temporary);
    }
    result
}

/// `index.lock`, taken the way git takes it (create-exclusive) and held for
/// the whole commit; removed on drop.
struct IndexLock {
    lock_file: PathBuf,
    git_dir: PathBuf,
}

impl IndexLock {
    fn acquire(git_dir: &Path) -> Result<IndexLock, VcsError> {
        let lock_file = git_dir.join("index.lock");
        match fs::OpenOptions::new().write(true).create_new(true).open(&lock_file) {
            Ok(_) => Ok(IndexLock { lock_file, git_dir: git_dir.to_path_buf() }),
            Err(error) if error.kind() == std::io::ErrorKind::AlreadyExists => Err(VcsError::IndexLocked(lock_file)),
            Err(error) => Err(io_error(&lock_file)(error)),
        }
    }

    /// Sets the index entry of `git_path` to `blob` with `file`'s stat data.
    /// The repository's own index handle would take `index.lock` itself, so
    /// a copy is edited and renamed over the index while we hold the lock.
    fn update_entry(&self, git_path: &str, file: &Path, blob: Oid, mode: u32) -> Result<(), String> {
        let metadata = fs::metadata(file).map_err(|error| error.to_string())?;
        self.write_entry(index_entry(git_path, Some(&metadata), blob, mode, metadata.len()))
    }

    /// An entry without stat data: git re-hashes the file before calling it clean.
    fn update_entry_unchecked(&self, git_path: &str, blob: Oid, mode: u32, size: usize) -> Result<(), String> {
        self.write_entry(index_entry(git_path, None, blob, mode, size as u64))
    }

    fn write_entry(&self, entry: IndexEntry) -> Result<(), String> {
        let index_file = self.git_dir.join("index");
        let staging = self.git_dir.join(format!("index.llmos-{}", std::process::id()));
        let result = (|| {
            match fs::copy(&index_file, &staging) {
                Ok(_) => {}
                Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
                    let _ = fs::remove_file(&staging);
                }
                Err(error) => return Err(error.to_string()),
            }
            let mut index = Index::open(&staging).map_err(|error| error.message().to_owned())?;
            index.add(&entry).map_err(|error| error.message().to_owned())?;
            index.write().map_err(|error| error.message().to_owned())?;
            drop(index);
            fs::rename(&staging, &index_file).map_err(|error| error.to_string())
        })();
        if result.is_err() {
            let _ = fs::remove_file(&staging);
        }
        result
    }
}

impl Drop for IndexLock {
    fn drop(&mut self) {
        let _ = fs::remove_file(&self.lock_file);
    }
}

fn index_entry(git_path: &str, metadata: Option<&fs::Metadata>, blob: Oid, mode: u32, size: u64) -> IndexEntry {
    // Stat data lets git see the file as clean without re-hashing it; the
    // index stores 32-bit fields, so larger values wrap as they do in git.
    #[cfg(unix)]
    let (ctime, mtime, dev, ino, uid, gid) = match metadata {
        None => (IndexTime::new(0, 0), IndexTime::new(0, 0), 0, 0, 0, 0),
        Some(metadata) => {
            use std::os::unix::fs::MetadataExt as _;
            (
                IndexTime::new(metadata.ctime() as i32, metadata.ctime_nsec() as u32),
                IndexTime::new(metadata.mtime() as i32, metadata.mtime_nsec() as u32),
                metadata.dev() as u32,
                metadata.ino() as u32,
                metadata.uid(),
                metadata.gid(),
            )
        }
    };
    #[cfg(not(unix))]
    let (ctime, mtime, dev, ino, uid, gid) = (IndexTime::new(0, 0), IndexTime::new(0, 0), 0, 0, 0, 0);
    let mode = if mode == MODE_EXECUTABLE as u32 { mode } else { MODE_FILE as u32 };
    IndexEntry {
        ctime,
        mtime,
        dev,
        ino,
        mode,
        uid,
        gid,
        file_size: size as u32,
        id: blob,
        // The low 12 bits hold the path length (0xfff when longer).
        flags: git_path.len().min(0xfff) as u16,
        flags_extended: 0,
        path: git_path.as_bytes().to_vec(),
    }
}
