//! The one way llmos reads or rewrites a user's file: only regular files (a FIFO, device
//! or socket named like a session would block or stream forever), with the size checked
//! from metadata before a byte is read, and the read itself capped in case the file grows.

use std::io::Read;
use std::path::{Path, PathBuf};

/// The default cap for documents and configuration (`max_file_size` in `llmos.toml`
/// overrides it where a config is at hand).
pub const DEFAULT_MAX_BYTES: u64 = 16 * 1024 * 1024;

#[derive(Debug, thiserror::Error)]
pub enum FileError {
    #[error("{}: not a regular file ({kind}); llmos only reads and writes regular files", path.display())]
    NotRegular { path: PathBuf, kind: &'static str },
    #[error("{}: {size} bytes is over the {max} byte limit", path.display())]
    TooLarge { path: PathBuf, size: u64, max: u64 },
    #[error("cannot read {}: {source}", path.display())]
    Io { path: PathBuf, source: std::io::Error },
}

impl From<FileError> for std::io::Error {
    fn from(e: FileError) -> Self {
        match e {
            FileError::Io { source, .. } => source,
            other => std::io::Error::new(std::io::ErrorKind::InvalidInput, other.to_string()),
        }
    }
}

impl FileError {
    /// True when the file is simply not there (callers often treat that as "empty").
    pub fn is_not_found(&self) -> bool {
        matches!(self, FileError::Io { source, .. } if source.kind() == std::io::ErrorKind::NotFound)
    }
}

fn kind_of(ft: std::fs::FileType) -> &'static str {
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if ft.is_fifo() {
            return "a FIFO";
        }
        if ft.is_socket() {
            return "a socket";
        }
        if ft.is_block_device() || ft.is_char_device() {
            return "a device";
        }
    }
    if ft.is_dir() { "a directory" } else { "not a regular file" }
}

/// Checks that `path` (following symlinks) is a regular file of at most `max` bytes.
pub fn check_readable(path: &Path, max: u64) -> Result<std::fs::Metadata, FileError> {
    let io = |source| FileError::Io { path: path.to_path_buf(), source };
    let meta = std::fs::metadata(path).map_err(io)?;
    if !meta.is_file() {
        return Err(FileError::NotRegular { path: path.to_path_buf(), kind: kind_of(meta.file_type()) });
    }
    if meta.len() > max {
        return Err(FileError::TooLarge { path: path.to_path_buf(), size: meta.len(), max });
    }
    Ok(meta)
}

/// The bytes of a regular file of at most `max` bytes.
pub fn read_bytes(path: &Path, max: u64) -> Result<Vec<u8>, FileError> {
    check_readable(path, max)?;
    read_opened(path, max, 0)
}

/// [`read_bytes`] for a file a folder listing just reported as a regular file (not a
/// symlink): no `stat` before the open, which a check of 200,000 files pays for in path
/// lookups. The open does not block (a FIFO swapped in since the listing), does not
/// follow a symlink swapped in, and the opened file is checked before it is read.
pub fn read_listed(path: &Path, max: u64) -> Result<Vec<u8>, FileError> {
    #[cfg(unix)]
    return read_opened(path, max, libc::O_NOFOLLOW);
    #[cfg(not(unix))]
    read_bytes(path, max)
}

fn read_opened(path: &Path, max: u64, flags: i32) -> Result<Vec<u8>, FileError> {
    let io = |source| FileError::Io { path: path.to_path_buf(), source };
    let mut options = std::fs::OpenOptions::new();
    options.read(true);
    #[cfg(unix)]
    {
        // Swapped for a FIFO between the check and the open: do not block in open().
        use std::os::unix::fs::OpenOptionsExt;
        options.custom_flags(libc::O_NONBLOCK | flags);
    }
    #[cfg(not(unix))]
    let _ = flags;
    let file = options.open(path).map_err(io)?;
    let meta = file.metadata().map_err(io)?;
    if !meta.is_file() {
        return Err(FileError::NotRegular { path: path.to_path_buf(), kind: kind_of(meta.file_type()) });
    }
    let mut bytes = Vec::with_capacity(usize::try_from(meta.len().min(max)).unwrap_or(0));
    file.take(max.saturating_add(1)).read_to_end(&mut bytes).map_err(io)?;
    if bytes.len() as u64 > max {
        return Err(FileError::TooLarge { path: path.to_path_buf(), size: bytes.len() as u64, max });
    }
    Ok(bytes)
}

/// The text of a regular UTF-8 file of at most `max` bytes.
pub fn read_text(path: &Path, max: u64) -> Result<String, FileError> {
    let bytes = read_bytes(path, max)?;
    String::from_utf8(bytes)
        .map_err(|e| FileError::Io { path: path.to_path_buf(), source: std::io::Error::new(std::io::ErrorKind::InvalidData, format!("not UTF-8 text: {e}")) })
}

/// Refuses to write over anything but a regular file (or nothing).
pub fn check_writable(path: &Path) -> Result<(), FileError> {
    match std::fs::metadata(path) {
        Ok(meta) if !meta.is_file() => Err(FileError::NotRegular { path: path.to_path_buf(), kind: kind_of(meta.file_type()) }),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What a listing reported as a file may have changed since: a FIFO, a symlink or a
    /// folder in its place is refused without blocking or following, like `read_bytes`.
    #[cfg(unix)]
    #[test]
    fn listed_files_that_changed_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("a.md");
        std::fs::write(&p, "hello").unwrap();
        assert_eq!(read_listed(&p, 5).unwrap(), b"hello");
        assert!(matches!(read_listed(&p, 4), Err(FileError::TooLarge { size: 5, max: 4, .. })));
        let fifo = dir.path().join("fifo.md");
        assert!(std::process::Command::new("mkfifo").arg(&fifo).status().unwrap().success());
        assert!(matches!(read_listed(&fifo, 5), Err(FileError::NotRegular { .. })));
        let link = dir.path().join("link.md");
        std::os::unix::fs::symlink(&p, &link).unwrap();
        assert!(read_listed(&link, 5).is_err(), "a symlink is not followed");
        assert!(matches!(read_listed(dir.path(), 5), Err(FileError::NotRegular { .. })));
        assert!(read_listed(&dir.path().join("gone.md"), 5).unwrap_err().is_not_found());
    }

    #[test]
    fn regular_files_are_read_within_the_cap() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("a.md");
        std::fs::write(&p, "hello").unwrap();
        assert_eq!(read_text(&p, 5).unwrap(), "hello");
        assert!(matches!(read_text(&p, 4), Err(FileError::TooLarge { size: 5, max: 4, .. })));
        assert!(read_text(&dir.path().join("missing.md"), 5).unwrap_err().is_not_found());
        assert!(matches!(read_text(dir.path(), 5), Err(FileError::NotRegular { .. })));
    }

    #[cfg(unix)]
    #[test]
    fn fifos_and_devices_are_refused_without_blocking() {
        let dir = tempfile::tempdir().unwrap();
        let fifo = dir.path().join("x.md");
        let status = std::process::Command::new("mkfifo").arg(&fifo).status().unwrap();
        assert!(status.success());
        let err = read_text(&fifo, 1 << 20).unwrap_err();
        assert!(err.to_string().contains("FIFO"), "{err}");
        assert!(matches!(check_writable(&fifo), Err(FileError::NotRegular { .. })));
        let err = read_bytes(Path::new("/dev/zero"), 1 << 20).unwrap_err();
        assert!(err.to_string().contains("device"), "{err}");
    }

    #[test]
    fn a_sparse_huge_file_is_refused_from_metadata() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("SKILL.md");
        let f = std::fs::File::create(&p).unwrap();
        f.set_len(2 << 30).unwrap();
        assert!(matches!(read_bytes(&p, DEFAULT_MAX_BYTES), Err(FileError::TooLarge { .. })));
    }
}
