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
    }

    /// The facts for `path` in the repository of `volume_root`; `None` when the volume is
    /// not a repository.
    pub fn facts(&self, volume_root: &Path, path: &Path) -> Option<Arc<GitFacts>> {
        let known = self.lock().heads.get(volume_root).filter(|(_, at)| at.elapsed() < HEAD_TTL).map(|(h, _)| h.clone());
        let mut opened = None;
        let head = match known {
            Some(head) => head?,
            None => {
                let repo = Volume::open(volume_root).ok();
                let head = repo.as_ref().map(|r| r.head().ok().flatten().map(|c| c.sha()));
                self.lock().heads.insert(volume_root.to_path_buf(), (head.clone(), Instant::now()));
                opened = repo;
                head?
            }
        };
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
