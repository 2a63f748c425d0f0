//! What to offer at a cursor (`textDocument/completion`): frontmatter keys and values,
//! pinned skill names, turn markers, link targets (files in sessions, other skills in
//! skills) and `llmos.toml` tables and keys. The server turns each [`Candidate`] into a
//! completion item.

use std::path::{Path, PathBuf};

use llmos_documents::Profile;
use llmos_documents::frontmatter::split;
use llmos_documents::profile::{self, KeySpec, ValueKind};
use llmos_workspace::DocKind;

use crate::Workspace;

/// What a candidate is, for the editor's icon.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CandidateKind {
    Table,
    Key,
    Skill,
    EnumValue,
    Value,
    Marker,
    File,
    Folder,
}

/// A candidate's documentation: Markdown written by llmos, or a user's own text shown
/// as it is (a skill's description).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Doc {
    Markdown(String),
    Plain(String),
}

/// One completion candidate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Candidate {
    pub label: String,
    pub kind: CandidateKind,
    pub detail: Option<String>,
    pub documentation: Option<Doc>,
    pub insert_text: Option<String>,
    pub filter_text: Option<String>,
}

impl Candidate {
    fn new(label: impl Into<String>, kind: CandidateKind) -> Self {
        Candidate { label: label.into(), kind, detail: None, documentation: None, insert_text: None, filter_text: None }
    }
}

/// The candidates at byte `offset` of a document of `kind` at `path`, and whether the
/// list was capped (the editor should ask again as the user types).
pub fn complete(ws: &Workspace, kind: DocKind, path: &Path, text: &str, offset: usize, profile: Profile) -> (Vec<Candidate>, bool) {
    let offset = floor_char_boundary(text, offset);
    let before = text.get(..offset).unwrap_or("");
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let prefix = before.get(line_start..).unwrap_or("");
    let in_frontmatter = split(text).is_some_and(|b| offset >= b.yaml.start && b.close.as_ref().is_none_or(|c| offset <= c.start));
    let items = match kind {
        DocKind::Config => config_items(text, line_start, prefix),
        _ if in_frontmatter => frontmatter_items(ws, kind, text, line_start, prefix, profile),
        DocKind::Session => {
            if let Some(partial) = link_prefix(prefix) {
                path_items(ws, path, partial, false)
            } else if prefix.trim_start().starts_with('<') || prefix.trim().is_empty() {
                marker_items()
            } else {
                Vec::new()
            }
        }
        DocKind::Skill => match link_prefix(prefix) {
            Some(partial) => path_items(ws, path, partial, true),
            None => Vec::new(),
        },
    };
    let capped = items.len() >= MAX_SKILL_ITEMS;
    (items, capped)
}

/// The largest char boundary at or before `offset` (an LSP position always lands on one;
/// this keeps a bad one from splitting a character).
fn floor_char_boundary(text: &str, offset: usize) -> usize {
    let mut at = offset.min(text.len());
    while !text.is_char_boundary(at) {
        at -= 1;
    }
    at
}

/// The partial link target when the cursor is inside `](…`.
fn link_prefix(prefix: &str) -> Option<&str> {
    let i = prefix.rfind("](")?;
    let partial = prefix.get(i + 2..)?;
    (!partial.contains(')') && !partial.contains(' ')).then_some(partial)
}

fn frontmatter_items(ws: &Workspace, kind: DocKind, text: &str, line_start: usize, prefix: &str, profile: Profile) -> Vec<Candidate> {
    let keys: &[KeySpec] = if kind == DocKind::Skill { profile::SKILL_KEYS } else { profile::SESSION_KEYS };
    let spec_of = |k: &str| keys.iter().find(|s| s.key == k);
    // `key: value…` on this line
    if let Some((key, value)) = prefix.split_once(':').filter(|(k, _)| !k.starts_with(' ') && !k.starts_with('-')) {
        return match spec_of(key.trim()) {
            Some(spec) => value_items(ws, spec, partial_word(value)),
            None => Vec::new(),
        };
    }
    // `  - item` under a list key
    if prefix.trim_start().starts_with('-') {
        let parent = text
            .get(..line_start)
            .unwrap_or("")
            .lines()
            .rev()
            .find(|l| !l.starts_with(' ') && !l.trim_start().starts_with('-'))
            .and_then(|l| l.split_once(':'))
            .map(|(k, _)| k.trim().to_string());
        return parent.as_deref().and_then(spec_of).map(|s| value_items(ws, s, partial_word(prefix.trim_start().trim_start_matches('-')))).unwrap_or_default();
    }
    if prefix.starts_with(' ') {
        return Vec::new();
    }
    // Keys already written, read line by line so a half-typed line (invalid YAML) still counts.
    let block = split(text);
    let yaml = block.as_ref().and_then(|b| text.get(b.yaml.clone())).unwrap_or("");
    let present: Vec<&str> = yaml.lines().filter(|l| !l.starts_with([' ', '-', '#'])).filter_map(|l| l.split_once(':').map(|(k, _)| k.trim())).collect();
    keys.iter()
        .filter(|s| kind != DocKind::Skill || profile.allows(s.group))
        .filter(|s| !present.contains(&s.key))
        .map(|s| Candidate {
            documentation: Some(Doc::Markdown(s.doc.to_string())),
            insert_text: Some(format!("{}: ", s.key)),
            ..Candidate::new(s.key, CandidateKind::Key)
        })
        .collect()
}

/// The word being typed at the end of a value (`[a, b` → `b`).
fn partial_word(value: &str) -> &str {
    value.rsplit(['[', ',', ' ']).next().unwrap_or("").trim()
}

/// At most this many skill names are offered; the client asks again as the user types.
const MAX_SKILL_ITEMS: usize = 50;

fn value_items(ws: &Workspace, spec: &KeySpec, partial: &str) -> Vec<Candidate> {
    match (spec.key, spec.kind) {
        ("skills", _) => ws
            .index
            .skills_with_prefix(partial)
            .take(MAX_SKILL_ITEMS)
            .map(|s| Candidate {
                detail: Some(format!("{} skill", s.volume)),
                documentation: Some(Doc::Plain(s.description.chars().take(200).collect())),
                ..Candidate::new(s.name.clone(), CandidateKind::Skill)
            })
            .collect(),
        (_, ValueKind::Enum(values)) => values.iter().map(|v| Candidate::new(*v, CandidateKind::EnumValue)).collect(),
        (_, ValueKind::Bool) => ["true", "false"].iter().map(|v| Candidate::new(*v, CandidateKind::Value)).collect(),
        _ => Vec::new(),
    }
}

fn marker_items() -> Vec<Candidate> {
    ["user", "assistant", "system"]
        .iter()
        .map(|role| Candidate {
            detail: Some(format!("start a {role} turn")),
            filter_text: Some(format!("<!-- turn: {role}")),
            ..Candidate::new(format!("<!-- turn: {role} -->"), CandidateKind::Marker)
        })
        .collect()
}

/// Link targets inside the document's volume, relative to the document's folder. Only
/// the folder the typed text names is listed (like a shell), so the work does not grow
/// with the volume.
fn path_items(ws: &Workspace, doc: &Path, partial: &str, skills_only: bool) -> Vec<Candidate> {
    const MAX_ITEMS: usize = 100;
    let Some(vol) = ws.config.volume_of(doc) else { return Vec::new() };
    let Some(doc_dir) = doc.parent() else { return Vec::new() };
    if skills_only {
        // `../name/SKILL.md`: complete the skill name after the leading `../` steps.
        let name_prefix = partial.trim_start_matches("../").split('/').next().unwrap_or("");
        return ws
            .index
            .skills_with_prefix(name_prefix)
            .filter(|s| s.volume == vol.kind || s.volume.precedence() > vol.kind.precedence())
            .take(MAX_ITEMS)
            .filter_map(|s| {
                let rel = relative(doc_dir, &s.path)?;
                Some(Candidate {
                    detail: Some(s.name.clone()),
                    documentation: Some(Doc::Plain(s.description.chars().take(200).collect())),
                    ..Candidate::new(rel, CandidateKind::File)
                })
            })
            .collect();
    }
    let (dir_part, name_part) = match partial.rfind('/') {
        Some(i) => partial.split_at_checked(i + 1).unwrap_or((partial, "")),
        None if partial.is_empty() => ("../", ""),
        None => ("", partial),
    };
    let dir = normalize(&doc_dir.join(dir_part));
    // Lexically and with symlinks resolved: `artifacts/etcdir → /etc` lists nothing.
    if !dir.starts_with(&vol.path) || !llmos_workspace::boundary::resolves_inside(&vol.path, &dir) {
        return Vec::new();
    }
    let Ok(entries) = std::fs::read_dir(&dir) else { return Vec::new() };
    let mut out: Vec<Candidate> = entries
        .filter_map(Result::ok)
        .take(5000)
        .filter_map(|e| {
            let name = e.file_name().to_str()?.to_string();
            if name.starts_with('.') || !name.starts_with(name_part) {
                return None;
            }
            let is_dir = e.file_type().ok()?.is_dir();
            let label = format!("{dir_part}{name}{}", if is_dir { "/" } else { "" });
            Some(Candidate::new(label, if is_dir { CandidateKind::Folder } else { CandidateKind::File }))
        })
        .collect();
    out.sort_by(|a, b| a.label.cmp(&b.label));
    out.truncate(MAX_ITEMS);
    out
}

/// Removes `.` and `..` steps lexically.
fn normalize(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for c in path.components() {
        match c {
            std::path::Component::ParentDir => {
                out.pop();
            }
            std::path::Component::CurDir => {}
            other => out.push(other),
        }
    }
    out
}

/// `to` relative to the folder `from`, with `../` steps.
fn relative(from: &Path, to: &Path) -> Option<String> {
    let from: Vec<_> = from.components().collect();
    let to_c: Vec<_> = to.components().collect();
    let common = from.iter().zip(&to_c).take_while(|(a, b)| a == b).count();
    let mut rel = PathBuf::new();
    for _ in common..from.len() {
        rel.push("..");
    }
    for c in to_c.iter().skip(common) {
        rel.push(c);
    }
    rel.to_str().map(|s| s.replace('\\', "/"))
}

/// `llmos.toml`: table names after `[`, the current table's keys at a line start.
fn config_items(text: &str, line_start: usize, prefix: &str) -> Vec<Candidate> {
    let p = prefix.trim_start();
    if p.starts_with('[') {
        return llmos_workspace::config::CONFIG_TABLES.iter().map(|t| Candidate::new(*t, CandidateKind::Table)).collect();
    }
    if p.contains('=') {
        return Vec::new();
    }
    let table = llmos_workspace::config::table_before(text, line_start);
    let generic = table.split_once('.').map_or(table.clone(), |(h, _)| format!("{h}.*"));
    llmos_workspace::config::CONFIG_KEYS
        .iter()
        .filter(|(t, _, _)| *t == table || *t == generic)
        .map(|(_, k, d)| Candidate {
            documentation: Some(Doc::Markdown(d.to_string())),
            insert_text: Some(format!("{k} = ")),
            ..Candidate::new(*k, CandidateKind::Key)
        })
        .collect()
}
