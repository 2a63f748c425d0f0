//! Volumes as a boundary, symlinks included: a path counts as inside a folder only when,
//! with every symlink resolved, it still is. A lexical `starts_with` is not enough: an
//! `etc → /etc` link inside a volume would lead completion, check or promote outside.

use std::path::{Component, Path, PathBuf};

/// Why a path was refused as a place to read or write inside a folder.
#[derive(Debug, thiserror::Error)]
pub enum BoundaryError {
    #[error("{} is not inside {}", path.display(), root.display())]
    Outside { path: PathBuf, root: PathBuf },
    #[error(
        "{} is a symbolic link leading outside {}; llmos reads and writes nothing through it (replace the link with a real folder or file)",
        link.display(),
        root.display()
    )]
    SymlinkOut { link: PathBuf, root: PathBuf },
    #[error("cannot check {}: {source}", path.display())]
    Io { path: PathBuf, source: std::io::Error },
}

impl From<BoundaryError> for std::io::Error {
    fn from(e: BoundaryError) -> Self {
        match e {
            BoundaryError::Io { source, .. } => source,
            other => std::io::Error::new(std::io::ErrorKind::PermissionDenied, other.to_string()),
        }
    }
}

/// Checks that reading or writing `path` stays inside `root`: `path` is `root` joined
/// with plain names (no `..`), and every part of it that exists already and is a
/// symbolic link (a dangling one included) resolves inside `root`. What does not exist
/// yet will be created as a real folder or file, so it cannot lead anywhere else. The
/// root itself may be a link (a volume kept elsewhere by choice).
pub fn check_inside(root: &Path, path: &Path) -> Result<(), BoundaryError> {
    let outside = || BoundaryError::Outside { path: path.to_path_buf(), root: root.to_path_buf() };
    let rel = path.strip_prefix(root).map_err(|_| outside())?;
    let mut real_root = None;
    let mut at = root.to_path_buf();
    for part in rel.components() {
        let Component::Normal(name) = part else { return Err(outside()) };
        at.push(name);
        match std::fs::symlink_metadata(&at) {
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
            Err(source) => return Err(BoundaryError::Io { path: at, source }),
            Ok(meta) if meta.file_type().is_symlink() => {
                if real_root.is_none() {
                    real_root = Some(root.canonicalize().map_err(|source| BoundaryError::Io { path: root.to_path_buf(), source })?);
                }
                let inside = at.canonicalize().is_ok_and(|real| real_root.as_ref().is_some_and(|r| real.starts_with(r)));
                if !inside {
                    return Err(BoundaryError::SymlinkOut { link: at, root: root.to_path_buf() });
                }
            }
            Ok(_) => {}
        }
    }
    Ok(())
}

/// Writes `bytes` to `path` (creating its folders) after [`check_inside`].
pub fn write_inside(root: &Path, path: &Path, bytes: impl AsRef<[u8]>) -> std::io::Result<()> {
    check_inside(root, path)?;
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    std::fs::write(path, bytes)
}

/// True when `path` exists and, resolved, lies inside `root` (also resolved).
pub fn resolves_inside(root: &Path, path: &Path) -> bool {
    match (root.canonicalize(), path.canonicalize()) {
        (Ok(root), Ok(path)) => path.starts_with(root),
        _ => false,
    }
}

/// True when `path` resolves inside the volume it lexically belongs to.
pub fn inside_its_volume(config: &crate::Config, path: &Path) -> bool {
    config.volume_of(path).is_some_and(|v| resolves_inside(&v.path, path))
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;

    #[test]
    fn symlinks_leading_out_are_outside() {
        let dir = tempfile::tempdir().unwrap();
        let outside = tempfile::tempdir().unwrap();
        let vol = dir.path().join("vol");
        std::fs::create_dir_all(vol.join("real")).unwrap();
        std::os::unix::fs::symlink(outside.path(), vol.join("out")).unwrap();
        std::os::unix::fs::symlink(vol.join("real"), vol.join("in")).unwrap();
        assert!(resolves_inside(&vol, &vol.join("real")));
        assert!(resolves_inside(&vol, &vol.join("in")));
        assert!(!resolves_inside(&vol, &vol.join("out")));
        assert!(!resolves_inside(&vol, &vol.join("missing")));
    }

    #[test]
    fn writes_through_links_leading_out_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let outside = tempfile::tempdir().unwrap();
        let vol = dir.path().join("vol");
        std::fs::create_dir_all(vol.join("real/deep")).unwrap();
        std::os::unix::fs::symlink(outside.path(), vol.join("out")).unwrap();
        std::os::unix::fs::symlink(vol.join("real"), vol.join("in")).unwrap();
        std::os::unix::fs::symlink(outside.path().join("not-yet"), vol.join("dangling")).unwrap();
        std::os::unix::fs::symlink(outside.path().join("f.md"), vol.join("real/file-out.md")).unwrap();
        for ok in ["new/a/b.md", "real/deep/x.md", "in/deep/x.md", "real/new.md"] {
            check_inside(&vol, &vol.join(ok)).unwrap_or_else(|e| panic!("{ok}: {e}"));
        }
        for bad in ["out/x.md", "out/new/x.md", "dangling", "dangling/x.md", "real/file-out.md"] {
            let e = check_inside(&vol, &vol.join(bad)).expect_err(bad);
            assert!(matches!(e, BoundaryError::SymlinkOut { .. }), "{bad}: {e}");
            assert!(e.to_string().contains("symbolic link leading outside"), "{e}");
        }
        for bad in [vol.join("../x.md"), outside.path().join("x.md")] {
            assert!(matches!(check_inside(&vol, &bad), Err(BoundaryError::Outside { .. })), "{}", bad.display());
        }
        assert!(write_inside(&vol, &vol.join("out/sub/x.md"), "x").is_err());
        write_inside(&vol, &vol.join("new/sub/x.md"), "x").unwrap();
        assert_eq!(std::fs::read_dir(outside.path()).unwrap().count(), 0, "nothing was written outside");
    }
}
