//! Where a skill is used: the name under a cursor, and every session that pins it
//! (`skills:` in the frontmatter) or links to it. References and rename both ask this,
//! through the same reader, so they find the same places (an open buffer's text wins
//! over the file on disk).

use std::ops::Range;
use std::path::{Path, PathBuf};

use llmos_documents::cursor::{self, Target};
use llmos_documents::{SessionDoc, SkillDoc};
use llmos_workspace::index::linked_skill_name;
use llmos_workspace::{DocKind, Index};

/// How a session refers to a skill.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Use {
    /// In the frontmatter's `skills:` list; the range is the name.
    Pinned,
    /// A Markdown link; the range is the destination, which is `target`.
    Link { target: String },
}

/// One file's references, with the text they were found in and what the reader gave
/// along with it (the server passes the buffer's version).
pub struct FileUses<V> {
    pub path: PathBuf,
    pub text: String,
    pub extra: V,
    pub uses: Vec<(Range<usize>, Use)>,
}

/// The skill named at `offset` and the range of that name: a skill's `name:` value, or
/// a pinned name or skill link in a session. `anywhere_in_skill` also takes the skill's
/// own name from any place in a skill (references asks from anywhere; rename only
/// renames the name it is on).
pub fn skill_name_at(kind: DocKind, text: &str, path: &Path, offset: usize, anywhere_in_skill: bool) -> Option<(String, Range<usize>)> {
    match kind {
        DocKind::Skill => {
            let doc = SkillDoc::parse(text);
            match cursor::in_skill(text, &doc, offset) {
                Target::Value { key, range, .. } if key == "name" => Some((doc.name()?.to_string(), range)),
                _ if anywhere_in_skill => {
                    let name = doc.name().map(str::to_string).or_else(|| llmos_documents::lint::expected_skill_name(path))?;
                    Some((name, 0..0))
                }
                _ => None,
            }
        }
        DocKind::Session => match cursor::in_session(&SessionDoc::parse(text), offset) {
            Target::Value { key, item: Some((name, range)), .. } if key == "skills" => Some((name, range)),
            Target::Link { target, range } => linked_skill_name(path, &target).map(|n| (n, range)),
            _ => None,
        },
        DocKind::Config => None,
    }
}

/// The sessions the index says pin or link `name` (paths only, so the caller can let go
/// of the workspace lock before any file is read).
pub fn sessions_naming(index: &Index, name: &str) -> Vec<PathBuf> {
    index.sessions_using(name).into_iter().map(|s| s.path.clone()).collect()
}

/// Where each of `sessions` pins or links the skill `name`, each read through `read` (a
/// file it cannot read is left out; one whose text no longer mentions the skill comes
/// back with no uses).
pub fn uses_in<V>(sessions: Vec<PathBuf>, name: &str, read: impl Fn(&Path) -> Option<(String, V)>) -> Vec<FileUses<V>> {
    let mut out = Vec::new();
    for path in sessions {
        let Some((text, extra)) = read(&path) else { continue };
        let doc = SessionDoc::parse(&text);
        let mut uses: Vec<(Range<usize>, Use)> = doc.pinned_skills().into_iter().filter(|(s, _)| *s == name).map(|(_, r)| (r, Use::Pinned)).collect();
        for link in &doc.links {
            if linked_skill_name(&path, &link.target).as_deref() == Some(name) {
                uses.push((link.target_range.clone(), Use::Link { target: link.target.clone() }));
            }
        }
        out.push(FileUses { path, text, extra, uses });
    }
    out
}

/// A link's destination with the skill renamed: `../skills/old/SKILL.md` →
/// `../skills/new/SKILL.md`, `../skills/old.md` → `../skills/new.md`.
pub fn rename_in_link(target: &str, old: &str, new: &str) -> String {
    let flat_old = format!("skills/{old}.md");
    if target.contains(&flat_old) {
        return target.replacen(&flat_old, &format!("skills/{new}.md"), 1);
    }
    let dir_old = format!("skills/{old}");
    match target.rfind(&dir_old) {
        Some(i) => format!("{}skills/{new}{}", target.get(..i).unwrap_or(""), target.get(i + dir_old.len()..).unwrap_or("")),
        None => target.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn links_are_renamed_in_both_layouts() {
        assert_eq!(rename_in_link("../../skills/plot/SKILL.md", "plot", "chart"), "../../skills/chart/SKILL.md");
        assert_eq!(rename_in_link("../skills/plot.md#use", "plot", "chart"), "../skills/chart.md#use");
        assert_eq!(rename_in_link("../notes.md", "plot", "chart"), "../notes.md");
    }
}
