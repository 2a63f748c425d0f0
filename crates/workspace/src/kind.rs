//! What a file inside a volume is, by its path.

use std::path::Path;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DocKind {
    /// `skills/<name>/SKILL.md` or `skills/<name>.md`.
    Skill,
    /// `sessions/<id>.md`.
    Session,
    /// `llmos.toml` at the workspace root.
    Config,
}

/// Classifies a path relative to its volume root (or, for `llmos.toml`, any path).
pub fn classify(rel: &Path) -> Option<DocKind> {
    let parts: Vec<&str> = rel.iter().filter_map(|p| p.to_str()).collect();
    match parts.as_slice() {
        [.., "llmos.toml"] if parts.len() == 1 => Some(DocKind::Config),
        ["skills", dir, "SKILL.md"] if !dir.starts_with('.') => Some(DocKind::Skill),
        ["skills", file] if file.ends_with(".md") && !file.starts_with('.') && !file.ends_with(".proposed.md") => Some(DocKind::Skill),
        ["sessions", file] if file.ends_with(".md") && !file.starts_with('.') => Some(DocKind::Session),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classifies() {
        assert_eq!(classify(Path::new("skills/a/SKILL.md")), Some(DocKind::Skill));
        assert_eq!(classify(Path::new("skills/a.md")), Some(DocKind::Skill));
        assert_eq!(classify(Path::new("skills/a/SKILL.proposed.md")), None);
        assert_eq!(classify(Path::new("skills/a/references/x.md")), None);
        assert_eq!(classify(Path::new("sessions/x.md")), Some(DocKind::Session));
        assert_eq!(classify(Path::new("artifacts/x.md")), None);
        assert_eq!(classify(Path::new("llmos.toml")), Some(DocKind::Config));
    }
}
