//! [`resolve_link`] for many links of one volume, as `llmos check` and the server's lint
//! need it: the same answers, with a fraction of the system calls.
//!
//! `resolve_link` canonicalises the volume root and then the target, which costs one
//! `readlink`-style call per path component for every link; over 100,000 sessions that
//! was a fifth of a check. Here the root is canonicalised once, the target is placed
//! lexically under it, and the file system is asked only what could change the answer:
//! whether each folder on the way is a real folder (not a symlink), remembered per
//! folder, and what the last component is (one `lstat`). Whenever a symlink or anything
//! unusual shows up, the link goes through `resolve_link` itself, so symlinks keep
//! exactly its semantics (followed inside the volume, refused out of it).
//!
//! Folders are remembered for the life of the resolver: make a new one when files may
//! have changed (the server drops it with its other link checks on file events).

use std::collections::HashSet;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::RwLock;

use crate::link::{LinkError, resolve_link, volume_relative_target, volume_relative_targets};

/// Resolves links of documents inside one volume; safe to share between threads.
#[derive(Debug)]
pub struct LinkResolver {
    root: PathBuf,
    canonical_root: Result<PathBuf, LinkError>,
    /// Volume-relative folders (`artifacts/s12`) that exist and are no symlink, nor is any
    /// folder above them.
    real_folders: RwLock<HashSet<String>>,
}

/// What `lstat` said about one path.
enum Found {
    File,
    Folder,
    Missing,
    /// A symlink, a FIFO, an error: `resolve_link` decides.
    Other,
}

fn lstat(path: &Path) -> Found {
    match std::fs::symlink_metadata(path) {
        Ok(m) if m.file_type().is_symlink() => Found::Other,
        Ok(m) if m.is_file() => Found::File,
        Ok(m) if m.is_dir() => Found::Folder,
        Ok(_) => Found::Other,
        Err(e) if matches!(e.kind(), io::ErrorKind::NotFound | io::ErrorKind::NotADirectory) => Found::Missing,
        Err(_) => Found::Other,
    }
}

impl LinkResolver {
    pub fn new(volume_root: &Path) -> Self {
        let canonical_root =
            volume_root.canonicalize().map_err(|err| LinkError::Unreadable { path: volume_root.to_path_buf(), reason: crate::link::io_reason(&err) });
        Self { root: volume_root.to_path_buf(), canonical_root, real_folders: RwLock::default() }
    }

    /// The volume root this resolver was made for, as given.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// Exactly what [`resolve_link`]`(root, document_path, link_target)` answers.
    pub fn resolve(&self, document_path: &Path, link_target: &str) -> Result<PathBuf, LinkError> {
        self.resolve_relative(document_path, link_target, volume_relative_target(&self.root, document_path, link_target))
    }

    /// [`LinkResolver::resolve`] for every link of one document, in order.
    pub fn resolve_all(&self, document_path: &Path, link_targets: &[&str]) -> Vec<Result<PathBuf, LinkError>> {
        let relative = volume_relative_targets(&self.root, document_path, link_targets);
        link_targets.iter().zip(relative).map(|(target, relative)| self.resolve_relative(document_path, target, relative)).collect()
    }

    fn resolve_relative(&self, document_path: &Path, link_target: &str, relative: Result<PathBuf, LinkError>) -> Result<PathBuf, LinkError> {
        let slow = || resolve_link(&self.root, document_path, link_target);
        let relative = match relative {
            Ok(relative) => relative,
            // A document spelled through another path to the volume gets the full treatment.
            Err(LinkError::OutsideVolume) => return slow(),
            Err(err) => return Err(err),
        };
        let canonical_root = match &self.canonical_root {
            Ok(root) => root,
            Err(err) => return Err(err.clone()),
        };
        // Built from UTF-8 components joined by '/', so this never fails; if it did, the
        // slow path still answers.
        let Some(rel) = relative.to_str() else { return slow() };
        // Every folder on the way, shallowest first.
        for (i, _) in rel.match_indices('/') {
            let Some(folder) = rel.get(..i) else { return slow() };
            if self.real_folders.read().unwrap_or_else(|e| e.into_inner()).contains(folder) {
                continue;
            }
            match lstat(&canonical_root.join(folder)) {
                Found::Folder => {
                    self.real_folders.write().unwrap_or_else(|e| e.into_inner()).insert(folder.to_string());
                }
                Found::Missing | Found::File => return Err(LinkError::Missing { path: relative.clone() }),
                Found::Other => return slow(),
            }
        }
        let full = canonical_root.join(&relative);
        match lstat(&full) {
            Found::File => Ok(full),
            Found::Folder => Err(LinkError::IsDirectory { path: relative }),
            Found::Missing => Err(LinkError::Missing { path: relative }),
            Found::Other => slow(),
        }
    }
}
