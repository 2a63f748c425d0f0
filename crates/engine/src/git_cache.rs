//! Per-document git facts (the file at HEAD, the last commit that touched it), kept per
//! (path, HEAD) so that a keystroke on a committed session, a code lens or a status poll
//! does not open the repository and walk its history each time.
//!
//! HEAD itself is read again at most every [`HEAD_TTL`], and at once after file events
//! and after commands that commit ([`GitCache::clear`]).

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use llmos_vcs::Volume;

/// How long a volume's HEAD is trusted without looking (a commit made outside the editor
/// shows within this).
pub const HEAD_TTL: Duration = Duration::from_secs(2);

/// What git says about one file at one HEAD.
#[derive(Debug)]
pub struct GitFacts {
    /// The file's content in HEAD; `None` when HEAD does not have it.
    pub head_blob: Option<Vec<u8>>,
    /// Short sha of the commit that gave the file its content in HEAD.
    pub last_short: Option<String>,
}

#[derive(Default)]
pub struct GitCache {
    inner: Mutex<Inner>,
}

/// A volume's HEAD as last read: `None` when the volume is not a repository.
type Head = Option<Option<String>>;

#[derive(Default)]
struct Inner {
    heads: HashMap<PathBuf, (Head, Instant)>,
    facts: HashMap<(PathBuf, Option<String>), Arc<GitFacts>>,
    /// Hover text on a session's `commit:` per (path, HEAD, sha written there).
    hovers: HashMap<(PathBuf, Option<String>, String), Option<String>>,
}

impl GitCache {
    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Forgets everything (files changed on disk, a commit or sync happened).
    pub fn clear(&self) {
        let mut g = self.lock();
        g.heads.clear();
        g.facts.clear();
        g.hovers.clear();
    }

    /// The volume's HEAD (re-read after [`HEAD_TTL`]) and the repository if it had to be
    /// opened for that; `None` when the volume is not a repository.
    fn head(&self, volume_root: &Path) -> Option<(Option<String>, Option<Volume>)> {
        let known = self.lock().heads.get(volume_root).filter(|(_, at)| at.elapsed() < HEAD_TTL).map(|(h, _)| h.clone());
        match known {
            Some(head) => Some((head?, None)),
            None => {
                let repo = Volume::open(volume_root).ok();
                let head = repo.as_ref().map(|r| r.head().ok().flatten().map(|c| c.sha()));
                self.lock().heads.insert(volume_root.to_path_buf(), (head.clone(), Instant::now()));
                Some((head?, repo))
            }
        }
    }

    /// The hover on `commit: sha` in the session at `path`, computed by `compute` once per
    /// (path, HEAD, sha): moving the mouse over it again reads no git.
    pub fn commit_hover(&self, volume_root: &Path, path: &Path, sha: &str, compute: impl FnOnce() -> Option<String>) -> Option<String> {
        let Some((head, _)) = self.head(volume_root) else { return compute() };
        let key = (path.to_path_buf(), head, sha.to_string());
        if let Some(h) = self.lock().hovers.get(&key) {
            return h.clone();
        }
        let hover = compute();
        let mut g = self.lock();
        g.hovers.retain(|(p, _, _), _| p != path);
        g.hovers.insert(key, hover.clone());
        hover
    }

    /// The facts for `path` in the repository of `volume_root`; `None` when the volume is
    /// not a repository.
    pub fn facts(&self, volume_root: &Path, path: &Path) -> Option<Arc<GitFacts>> {
        let (head, opened) = self.head(volume_root)?;
        let key = (path.to_path_buf(), head);
        if let Some(f) = self.lock().facts.get(&key) {
            return Some(f.clone());
        }
        let repo = match opened {
            Some(r) => r,
            None => Volume::open(volume_root).ok()?,
        };
        let facts = Arc::new(GitFacts {
            head_blob: repo.blob_at_head(path).ok().flatten(),
            last_short: repo.last_commit_touching(path).ok().flatten().map(|c| c.short),
        });
        let mut g = self.lock();
        // Older HEADs' entries for this file are of no more use.
        g.facts.retain(|(p, _), _| p != path);
        g.facts.insert(key, facts.clone());
        Some(facts)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_commit_hover_is_computed_once_per_head() {
        let dir = tempfile::tempdir().expect("tempdir");
        let (repo, _) = Volume::init(dir.path()).expect("init");
        let session = dir.path().join("sessions").join("s.md");
        std::fs::create_dir_all(session.parent().expect("parent")).expect("mkdir");
        std::fs::write(&session, "one\n").expect("write");
        repo.commit_file_with_at(&session, "session: one", None, |_| b"one\n".to_vec()).expect("commit");
        let cache = GitCache::default();
        let calls = std::cell::Cell::new(0);
        let hover = |cache: &GitCache| {
            cache.commit_hover(dir.path(), &session, "abc", || {
                calls.set(calls.get() + 1);
                Some(format!("hover {}", calls.get()))
            })
        };
        assert_eq!(hover(&cache).as_deref(), Some("hover 1"));
        assert_eq!(hover(&cache).as_deref(), Some("hover 1"), "the second hover reads no git");
        assert_eq!(calls.get(), 1);
        // A new commit moves HEAD: after a file event (clear) the hover is computed again.
        repo.commit_file_with_at(&session, "session: two", None, |_| b"two\n".to_vec()).expect("commit");
        cache.clear();
        assert_eq!(hover(&cache).as_deref(), Some("hover 2"));
    }
}
