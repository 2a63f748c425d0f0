//! Finding the workspace root from a file or folder.

use std::path::{Path, PathBuf};

use crate::config::FILE_NAME;

/// The nearest folder at or above `start` holding `llmos.toml`, or else one holding a
/// `volumes/` folder with a user, team or system volume.
pub fn find_root(start: &Path) -> Option<PathBuf> {
    let start = if start.is_file() { start.parent()? } else { start };
    let mut fallback = None;
    for dir in start.ancestors() {
        if dir.join(FILE_NAME).is_file() {
            return Some(dir.to_path_buf());
        }
        if fallback.is_none() && ["user", "team", "system"].iter().any(|v| dir.join("volumes").join(v).is_dir()) {
            fallback = Some(dir.to_path_buf());
        }
    }
    fallback
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_config_upwards_and_falls_back_to_volumes() {
        let tmp = tempfile::tempdir().unwrap();
        let deep = tmp.path().join("volumes/user/sessions");
        std::fs::create_dir_all(&deep).unwrap();
        assert_eq!(find_root(&deep).as_deref(), Some(tmp.path()));
        std::fs::write(tmp.path().join("llmos.toml"), "").unwrap();
        assert_eq!(find_root(&deep.join("x.md")).as_deref(), Some(tmp.path()));
        let empty = tempfile::tempdir().unwrap();
        assert_eq!(find_root(empty.path()), None);
    }
}
