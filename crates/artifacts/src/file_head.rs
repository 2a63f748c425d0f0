//! Bounded reads: every preview reads at most what it needs, so a 1 GB artifact costs
//! no more than a small one.

use std::fs::File;
use std::io::{self, Read};
use std::path::Path;

/// The first bytes of a file and the file's full length.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct FileHead {
    pub bytes: Vec<u8>,
    pub total_len: u64,
}

impl FileHead {
    /// True when the file is longer than what was read.
    pub fn is_truncated(&self) -> bool {
        (self.bytes.len() as u64) < self.total_len
    }
}

/// Reads at most `limit` bytes from the start of `path`.
pub(crate) fn read_head(path: &Path, limit: u64) -> io::Result<FileHead> {
    let file = File::open(path)?;
    let total_len = file.metadata()?.len();
    let mut bytes = Vec::with_capacity(limit.min(total_len) as usize);
    file.take(limit).read_to_end(&mut bytes)?;
    Ok(FileHead { bytes, total_len })
}

/// Counts lines of the file at `path` by streaming it, reading no more than `cap` bytes.
/// `None` when the file is longer than `cap`.
pub(crate) fn count_lines_capped(path: &Path, cap: u64) -> io::Result<Option<usize>> {
    let mut file = File::open(path)?;
    if file.metadata()?.len() > cap {
        return Ok(None);
    }
    let mut buffer = vec![0u8; 64 * 1024];
    let mut newlines = 0usize;
    let mut last_byte = None;
    let mut read_total = 0u64;
    loop {
        let read = file.read(&mut buffer)?;
        if read == 0 {
            break;
        }
        read_total += read as u64;
        if read_total > cap {
            // The file grew while we read it.
            return Ok(None);
        }
        let chunk = buffer.get(..read).unwrap_or_default();
        newlines += chunk.iter().filter(|&&b| b == b'\n').count();
        last_byte = chunk.last().copied().or(last_byte);
    }
    Ok(Some(match last_byte {
        None => 0,
        Some(b'\n') => newlines,
        Some(_) => newlines + 1,
    }))
}

/// Counts lines in bytes already in memory, the same way as [`count_lines_capped`].
pub(crate) fn count_lines(bytes: &[u8]) -> usize {
    let newlines = bytes.iter().filter(|&&b| b == b'\n').count();
    match bytes.last() {
        None => 0,
        Some(b'\n') => newlines,
        Some(_) => newlines + 1,
    }
}

/// The bytes as text, or `None` when they look binary: a NUL byte, or invalid UTF-8
/// anywhere except a sequence cut off by the read limit at the very end.
pub(crate) fn as_text(bytes: &[u8], truncated: bool) -> Option<&str> {
    if bytes.contains(&0) {
        return None;
    }
    match std::str::from_utf8(bytes) {
        Ok(text) => Some(text),
        Err(err) if truncated && err.error_len().is_none() => bytes.get(..err.valid_up_to()).and_then(|b| std::str::from_utf8(b).ok()),
        Err(_) => None,
    }
}

/// "1.5 KB", "12.3 MB", "1.0 GB": sizes for humans, in powers of 1024.
pub(crate) fn human_size(bytes: u64) -> String {
    const UNITS: [&str; 4] = ["KB", "MB", "GB", "TB"];
    if bytes < 1024 {
        return format!("{bytes} bytes");
    }
    let mut value = bytes as f64 / 1024.0;
    let mut unit = 0;
    while value >= 1024.0 && unit + 1 < UNITS.len() {
        value /= 1024.0;
        unit += 1;
    }
    format!("{value:.1} {}", UNITS.get(unit).unwrap_or(&"TB"))
}
