//! Volumes as a boundary, symlinks included: a path counts as inside a folder only when,
//! with every symlink resolved, it still is. A lexical `starts_with` is not enough: an
//! `etc → /etc` link inside a volume would lead completion, check or promote outside.

use std::path::Path;

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
}
