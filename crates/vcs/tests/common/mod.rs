//! Temporary repositories for the integration tests. Identities are set in
//! the repository's own config so that tests never depend on (or race over)
//! the user's global git config.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Command;

use git2::{Repository, Signature, Time};
use llmos_vcs::Volume;

pub struct TestRepo {
    pub dir: tempfile::TempDir,
}

impl TestRepo {
    /// An empty repository (branch `main`) with a local identity.
    pub fn new() -> TestRepo {
        let dir = tempfile::tempdir().unwrap();
        let (_volume, _) = Volume::init(dir.path()).unwrap();
        let repo = Repository::open(dir.path()).unwrap();
        let mut config = repo.config().unwrap();
        config.set_str("user.name", "Ada Tester").unwrap();
        config.set_str("user.email", "ada@example.com").unwrap();
        TestRepo { dir }
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    pub fn file(&self, git_path: &str) -> PathBuf {
        self.dir.path().join(git_path)
    }

    pub fn volume(&self) -> Volume {
        Volume::open(self.dir.path()).unwrap()
    }

    pub fn repo(&self) -> Repository {
        Repository::open(self.dir.path()).unwrap()
    }

    pub fn write(&self, git_path: &str, content: &str) {
        let file = self.file(git_path);
        std::fs::create_dir_all(file.parent().unwrap()).unwrap();
        std::fs::write(file, content).unwrap();
    }

    pub fn read(&self, git_path: &str) -> String {
        std::fs::read_to_string(self.file(git_path)).unwrap()
    }

    /// Stages `git_path` from the working tree, as `git add` would.
    pub fn stage(&self, git_path: &str) {
        let repo = self.repo();
        let mut index = repo.index().unwrap();
        index.add_path(Path::new(git_path)).unwrap();
        index.write().unwrap();
    }

    /// Writes, stages and commits files with a fixed author time, the way a
    /// plain `git commit -a` would; returns the sha.
    pub fn commit_raw(&self, files: &[(&str, &str)], message: &str, unix_time: i64) -> String {
        for (path, content) in files {
            self.write(path, content);
            self.stage(path);
        }
        let repo = self.repo();
        let mut index = repo.index().unwrap();
        let tree = repo.find_tree(index.write_tree().unwrap()).unwrap();
        let signature = Signature::new("Ada Tester", "ada@example.com", &Time::new(unix_time, 60)).unwrap();
        let parent = repo.head().ok().map(|head| head.peel_to_commit().unwrap());
        let parents: Vec<_> = parent.iter().collect();
        repo.commit(Some("HEAD"), &signature, &signature, message, &tree, &parents).unwrap().to_string()
    }

    pub fn head_sha(&self) -> Option<String> {
        self.repo().head().ok().map(|head| head.peel_to_commit().unwrap().id().to_string())
    }

    /// `git status --porcelain` lines through the real git binary, which is
    /// the strictest judge of the index we write; `None` without git.
    pub fn git_status(&self) -> Option<Vec<String>> {
        let output = Command::new("git").arg("-C").arg(self.path()).args(["status", "--porcelain=v1", "--untracked-files=all"]).output().ok()?;
        assert!(output.status.success(), "git status failed: {output:?}");
        Some(String::from_utf8(output.stdout).unwrap().lines().map(str::to_owned).collect())
    }

    /// Status of one path through libgit2.
    pub fn status_of(&self, git_path: &str) -> git2::Status {
        self.repo().status_file(Path::new(git_path)).unwrap()
    }
}
