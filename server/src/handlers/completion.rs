//! `textDocument/completion`: frontmatter keys and values, pinned skill names, turn
//! markers, and link targets (artifact paths in sessions, other skills in skills).

use std::path::{Path, PathBuf};

use llmos_documents::Profile;
use llmos_documents::frontmatter::split;
use llmos_documents::profile::{self, KeySpec, ValueKind};
use llmos_workspace::DocKind;
use tower_lsp_server::ls_types::*;

use crate::lsp::Backend;
use crate::lsp::state::Workspace;

pub fn completion(backend: &Backend, params: CompletionParams) -> Option<CompletionResponse> {
    let pos = params.text_document_position;
    let snap = super::snapshot(backend, &pos.text_document.uri)?;
    let path = snap.path.clone()?;
    let (unit, profile_override) = {
        let s = backend.state();
        (s.unit, s.profile_override)
    };
    let conv = snap.conv(unit);
    let offset = conv.offset(pos.position);
    let text = &snap.text;
    let ws = backend.ws_read();
    let kind = ws.kind_of(&path)?;
    let line_start = text[..offset].rfind('\n').map_or(0, |i| i + 1);
    let prefix = &text[line_start..offset];
    let in_frontmatter = split(text).is_some_and(|b| offset >= b.yaml.start && b.close.as_ref().is_none_or(|c| offset <= c.start));
    let items = match kind {
        DocKind::Config => config_items(text, line_start, prefix),
        _ if in_frontmatter => frontmatter_items(&ws, kind, text, line_start, prefix, ws.profile(profile_override)),
        DocKind::Session => {
            if let Some(partial) = link_prefix(prefix) {
                path_items(&ws, &path, partial, false)
            } else if prefix.trim_start().starts_with('<') || prefix.trim().is_empty() {
                marker_items()
            } else {
                Vec::new()
            }
        }
        DocKind::Skill => match link_prefix(prefix) {
            Some(partial) => path_items(&ws, &path, partial, true),
            None => Vec::new(),
        },
    };
    if items.len() >= MAX_SKILL_ITEMS {
        // Capped: the client must ask again as the user types more.
        return Some(CompletionResponse::List(CompletionList { is_incomplete: true, items }));
    }
    (!items.is_empty()).then_some(CompletionResponse::Array(items))
}

/// The partial link target when the cursor is inside `](…`.
fn link_prefix(prefix: &str) -> Option<&str> {
    let i = prefix.rfind("](")?;
    let partial = &prefix[i + 2..];
    (!partial.contains(')') && !partial.contains(' ')).then_some(partial)
}

fn frontmatter_items(ws: &Workspace, kind: DocKind, text: &str, line_start: usize, prefix: &str, profile: Profile) -> Vec<CompletionItem> {
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
        let parent = text[..line_start]
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
    let yaml = block.as_ref().map_or("", |b| &text[b.yaml.clone()]);
    let present: Vec<&str> = yaml.lines().filter(|l| !l.starts_with([' ', '-', '#'])).filter_map(|l| l.split_once(':').map(|(k, _)| k.trim())).collect();
    keys.iter()
        .filter(|s| kind != DocKind::Skill || profile.allows(s.group))
        .filter(|s| !present.contains(&s.key))
        .map(|s| CompletionItem {
            label: s.key.to_string(),
            kind: Some(CompletionItemKind::PROPERTY),
            documentation: Some(Documentation::MarkupContent(MarkupContent { kind: MarkupKind::Markdown, value: s.doc.to_string() })),
            insert_text: Some(format!("{}: ", s.key)),
            ..Default::default()
        })
        .collect()
}

/// The word being typed at the end of a value (`[a, b` → `b`).
fn partial_word(value: &str) -> &str {
    value.rsplit(['[', ',', ' ']).next().unwrap_or("").trim()
}

/// At most this many skill names are offered; the client asks again as the user types.
const MAX_SKILL_ITEMS: usize = 50;

fn value_items(ws: &Workspace, spec: &KeySpec, partial: &str) -> Vec<CompletionItem> {
    match (spec.key, spec.kind) {
        ("skills", _) => ws
            .index
            .skills_with_prefix(partial)
            .take(MAX_SKILL_ITEMS)
            .map(|s| CompletionItem {
                label: s.name.clone(),
                kind: Some(CompletionItemKind::REFERENCE),
                detail: Some(format!("{} skill", s.volume)),
                documentation: Some(Documentation::String(s.description.chars().take(200).collect())),
                ..Default::default()
            })
            .collect(),
        (_, ValueKind::Enum(values)) => {
            values.iter().map(|v| CompletionItem { label: v.to_string(), kind: Some(CompletionItemKind::ENUM_MEMBER), ..Default::default() }).collect()
        }
        (_, ValueKind::Bool) => {
            ["true", "false"].iter().map(|v| CompletionItem { label: v.to_string(), kind: Some(CompletionItemKind::VALUE), ..Default::default() }).collect()
        }
        _ => Vec::new(),
    }
}

fn marker_items() -> Vec<CompletionItem> {
    ["user", "assistant", "system"]
        .iter()
        .map(|role| CompletionItem {
            label: format!("<!-- turn: {role} -->"),
            kind: Some(CompletionItemKind::SNIPPET),
            detail: Some(format!("start a {role} turn")),
            filter_text: Some(format!("<!-- turn: {role}")),
            ..Default::default()
        })
        .collect()
}

/// Link targets inside the document's volume, relative to the document's folder. Only
/// the folder the typed text names is listed (like a shell), so the work does not grow
/// with the volume.
fn path_items(ws: &Workspace, doc: &Path, partial: &str, skills_only: bool) -> Vec<CompletionItem> {
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
                Some(CompletionItem {
                    label: rel,
                    kind: Some(CompletionItemKind::FILE),
                    detail: Some(s.name.clone()),
                    documentation: Some(Documentation::String(s.description.chars().take(200).collect())),
                    ..Default::default()
                })
            })
            .collect();
    }
    let (dir_part, name_part) = match partial.rfind('/') {
        Some(i) => (&partial[..=i], &partial[i + 1..]),
        None if partial.is_empty() => ("../", ""),
        None => ("", partial),
    };
    let dir = normalize(&doc_dir.join(dir_part));
    // Lexically and with symlinks resolved: `artifacts/etcdir → /etc` lists nothing.
    if !dir.starts_with(&vol.path) || !llmos_workspace::boundary::resolves_inside(&vol.path, &dir) {
        return Vec::new();
    }
    let Ok(entries) = std::fs::read_dir(&dir) else { return Vec::new() };
    let mut out: Vec<CompletionItem> = entries
        .filter_map(Result::ok)
        .take(5000)
        .filter_map(|e| {
            let name = e.file_name().to_str()?.to_string();
            if name.starts_with('.') || !name.starts_with(name_part) {
                return None;
            }
            let is_dir = e.file_type().ok()?.is_dir();
            let label = format!("{dir_part}{name}{}", if is_dir { "/" } else { "" });
            Some(CompletionItem { label, kind: Some(if is_dir { CompletionItemKind::FOLDER } else { CompletionItemKind::FILE }), ..Default::default() })
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
    for c in &to_c[common..] {
        rel.push(c);
    }
    rel.to_str().map(|s| s.replace('\\', "/"))
}

/// `llmos.toml`: table names after `[`, the current table's keys at a line start.
fn config_items(text: &str, line_start: usize, prefix: &str) -> Vec<CompletionItem> {
    let p = prefix.trim_start();
    if p.starts_with('[') {
        return llmos_workspace::config::CONFIG_TABLES
            .iter()
            .map(|t| CompletionItem { label: t.to_string(), kind: Some(CompletionItemKind::MODULE), ..Default::default() })
            .collect();
    }
    if p.contains('=') {
        return Vec::new();
    }
    let table = super::hover::current_table(text, line_start);
    let generic = table.split_once('.').map_or(table.clone(), |(h, _)| format!("{h}.*"));
    llmos_workspace::config::CONFIG_KEYS
        .iter()
        .filter(|(t, _, _)| *t == table || *t == generic)
        .map(|(_, k, d)| CompletionItem {
            label: k.to_string(),
            kind: Some(CompletionItemKind::PROPERTY),
            documentation: Some(Documentation::MarkupContent(MarkupContent { kind: MarkupKind::Markdown, value: d.to_string() })),
            insert_text: Some(format!("{k} = ")),
            ..Default::default()
        })
        .collect()
}
