//! Safe resolution of artifact links: a Markdown link target in a document becomes a
//! path inside the document's volume, or a short reason why not.
//!
//! Nothing outside the volume is ever opened: the target is checked lexically first
//! (`..` chains, absolute paths), and only then canonicalised so that a symlink pointing
//! out of the volume is caught too. Only metadata is read here, never file contents.

use std::io;
use std::path::{Component, Path, PathBuf};

/// Why a link target does not resolve to a readable file in the volume.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LinkError {
    /// A URL with a scheme (`http:`, `mailto:`) or a `//host` reference.
    #[error("not a file in the volume: {target}")]
    NotLocal { target: String },
    /// An absolute path, a `..` chain above the volume root, or a symlink out of it.
    #[error("link leaves the volume")]
    OutsideVolume,
    /// The path is inside the volume but nothing is there (`path` is volume-relative).
    #[error("file not found: {}", path.display())]
    Missing { path: PathBuf },
    #[error("is a directory: {}", path.display())]
    IsDirectory { path: PathBuf },
    /// The target is empty or only a `#fragment`/`?query`.
    #[error("link has no file path")]
    Empty,
    /// A malformed percent-escape, or one that decodes to invalid UTF-8 or a NUL byte.
    #[error("link has an invalid percent-escape")]
    BadEscape,
    /// The metadata could not be read (permissions, a symlink loop, the volume is gone).
    #[error("cannot read {}: {reason}", path.display())]
    Unreadable { path: PathBuf, reason: String },
}

/// Resolves `link_target`, written in the document at `document_path`, to the canonical
/// path of an existing file inside `volume_root`.
///
/// `document_path` may be absolute or relative to `volume_root`; a relative target is
/// taken from the document's folder. An absolute document path that is under the volume
/// only once both are canonicalised (a symlinked root) is accepted too. The target may carry `#fragment`/`?query` (dropped),
/// percent-escapes (decoded after the fragment is dropped, so `%23` stays part of the
/// name), `<…>` brackets, and `\` as a separator. The returned path is canonical, so it
/// contains no symlinks and lies under the canonical volume root.
pub fn resolve_link(volume_root: &Path, document_path: &Path, link_target: &str) -> Result<PathBuf, LinkError> {
    let lexical = volume_relative_target(volume_root, document_path, link_target);
    if let Err(err) = &lexical
        && *err != LinkError::OutsideVolume
    {
        return Err(err.clone());
    }
    let canonical_root = volume_root.canonicalize().map_err(|err| LinkError::Unreadable { path: volume_root.to_path_buf(), reason: io_reason(&err) })?;
    let relative = match lexical {
        Ok(relative) => relative,
        // The root and the document may be spelled differently (one through a symlink such
        // as macOS's /tmp); compare their canonical forms before refusing.
        Err(_) if document_path.is_absolute() => {
            let canonical_document = document_path
                .parent()
                .and_then(|folder| folder.canonicalize().ok())
                .zip(document_path.file_name())
                .map(|(folder, name)| folder.join(name))
                .ok_or(LinkError::OutsideVolume)?;
            volume_relative_target(&canonical_root, &canonical_document, link_target)?
        }
        Err(err) => return Err(err),
    };
    let candidate = canonical_root.join(&relative);
    let canonical = match candidate.canonicalize() {
        Ok(path) => path,
        Err(err) if err.kind() == io::ErrorKind::NotFound => {
            return Err(LinkError::Missing { path: relative });
        }
        Err(err) if err.kind() == io::ErrorKind::NotADirectory => {
            return Err(LinkError::Missing { path: relative });
        }
        Err(err) => {
            return Err(LinkError::Unreadable { path: relative, reason: io_reason(&err) });
        }
    };
    if !canonical.starts_with(&canonical_root) {
        return Err(LinkError::OutsideVolume);
    }
    let metadata = canonical.metadata().map_err(|err| LinkError::Unreadable { path: relative.clone(), reason: io_reason(&err) })?;
    if metadata.is_dir() {
        return Err(LinkError::IsDirectory { path: relative });
    }
    // A FIFO would block the preview's read forever; a device would stream without end.
    if !metadata.is_file() {
        return Err(LinkError::Unreadable { path: relative, reason: "not a regular file (a FIFO, device or socket)".to_string() });
    }
    Ok(canonical)
}

/// The lexical part of [`resolve_link`]: the target as a normalised path relative to the
/// volume root, without touching the file system. Fails for URLs, absolute paths and
/// paths that step above the root at any point (`a/../../vol/x` is refused even though it
/// would come back in).
pub fn volume_relative_target(volume_root: &Path, document_path: &Path, link_target: &str) -> Result<PathBuf, LinkError> {
    let target = local_target(link_target)?;
    join_in_folder(document_folder_in_volume(volume_root, document_path)?, &target)
}

/// [`volume_relative_target`] for many links of one document: its folder in the volume
/// worked out once.
pub fn volume_relative_targets(volume_root: &Path, document_path: &Path, link_targets: &[&str]) -> Vec<Result<PathBuf, LinkError>> {
    let folder = document_folder_in_volume(volume_root, document_path);
    link_targets
        .iter()
        .map(|link_target| {
            let target = local_target(link_target)?;
            join_in_folder(folder.clone()?, &target)
        })
        .collect()
}

/// The target of a link to a local file: decoration stripped, percent-decoded, with `/`
/// between components; an error for URLs, empty and absolute targets.
fn local_target(link_target: &str) -> Result<String, LinkError> {
    let raw = strip_link_decoration(link_target);
    if raw.is_empty() {
        return Err(LinkError::Empty);
    }
    if has_url_scheme(raw) || raw.starts_with("//") || raw.starts_with("\\\\") {
        return Err(LinkError::NotLocal { target: link_target.trim().to_string() });
    }
    let decoded = percent_decode(raw)?;
    let target = decoded.replace('\\', "/");
    if target.starts_with('/') || looks_like_drive_path(&target) {
        return Err(LinkError::OutsideVolume);
    }
    Ok(target)
}

/// `target` followed from `folder` (components under the volume root), lexically.
fn join_in_folder(mut stack: Vec<String>, target: &str) -> Result<PathBuf, LinkError> {
    for part in target.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                if stack.pop().is_none() {
                    return Err(LinkError::OutsideVolume);
                }
            }
            name => stack.push(name.to_string()),
        }
    }
    if stack.is_empty() {
        return Err(LinkError::IsDirectory { path: PathBuf::from(".") });
    }
    Ok(stack.iter().collect())
}

/// The document's folder as volume-relative components; a document outside the volume
/// cannot vouch for any link, so that is refused too.
fn document_folder_in_volume(volume_root: &Path, document_path: &Path) -> Result<Vec<String>, LinkError> {
    let root = lexical_components(volume_root).ok_or(LinkError::OutsideVolume)?;
    let document = if document_path.is_absolute() { lexical_components(document_path) } else { lexical_components(&volume_root.join(document_path)) }
        .ok_or(LinkError::OutsideVolume)?;
    let Some(inside) = document.strip_prefix(root.as_slice()).filter(|rest| !rest.is_empty()) else {
        return Err(LinkError::OutsideVolume);
    };
    let mut folder = inside.to_vec();
    folder.pop();
    Ok(folder)
}

/// Path components after resolving `.` and `..` without the file system; `None` when
/// `..` climbs above the start or a component is not UTF-8.
fn lexical_components(path: &Path) -> Option<Vec<String>> {
    let mut parts: Vec<String> = Vec::new();
    for component in path.components() {
        match component {
            Component::Prefix(prefix) => parts.push(prefix.as_os_str().to_str()?.to_string()),
            Component::RootDir => parts.push("/".to_string()),
            Component::CurDir => {}
            Component::ParentDir => {
                if parts.last().is_none_or(|last| last == "/") {
                    return None;
                }
                parts.pop();
            }
            Component::Normal(name) => parts.push(name.to_str()?.to_string()),
        }
    }
    Some(parts)
}

fn strip_link_decoration(target: &str) -> &str {
    let mut target = target.trim();
    if let Some(inner) = target.strip_prefix('<').and_then(|t| t.strip_suffix('>')) {
        target = inner.trim();
    }
    target.split(['#', '?']).next().unwrap_or(target)
}

/// RFC 3986 scheme (`ALPHA *( ALPHA / DIGIT / "+" / "-" / "." ) ":"`), at least two
/// characters so that a Windows drive letter is not mistaken for one.
fn has_url_scheme(target: &str) -> bool {
    let Some((scheme, _)) = target.split_once(':') else {
        return false;
    };
    let mut chars = scheme.chars();
    scheme.len() >= 2 && chars.next().is_some_and(|c| c.is_ascii_alphabetic()) && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'))
}

fn looks_like_drive_path(target: &str) -> bool {
    matches!(target.as_bytes(), [letter, b':', ..] if letter.is_ascii_alphabetic())
}

fn percent_decode(text: &str) -> Result<String, LinkError> {
    // percent-encoding passes a malformed escape (`%zz`, `%4` at the end) through as
    // written; a link with one is refused instead of guessed at.
    let well_formed = text.split('%').skip(1).all(|after| after.as_bytes().get(..2).is_some_and(|hex| hex.iter().all(u8::is_ascii_hexdigit)));
    if !well_formed {
        return Err(LinkError::BadEscape);
    }
    let decoded = percent_encoding::percent_decode_str(text).decode_utf8().map_err(|_| LinkError::BadEscape)?;
    if decoded.contains('\0') {
        return Err(LinkError::BadEscape);
    }
    Ok(decoded.into_owned())
}

pub(crate) fn io_reason(err: &io::Error) -> String {
    match err.kind() {
        io::ErrorKind::PermissionDenied => "permission denied".to_string(),
        _ if err.raw_os_error() == Some(40) => "too many levels of symbolic links".to_string(),
        _ => err.to_string(),
    }
}
