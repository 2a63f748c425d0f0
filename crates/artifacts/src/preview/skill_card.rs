//! Skill cards: the hover for a skill reference or a skill file — name, description,
//! volume and how many sessions use it.
//!
//! The volume and the used-by count come from the workspace index, which this crate does
//! not know; a card built from the file alone leaves them out.

use super::markdown_format::{clip_line, escape_inline};
use super::markdown_section::{first_section, frontmatter_and_body};

/// Skill descriptions are capped at 1024 characters by the spec; longer ones are cut.
const MAX_DESCRIPTION_CHARS: usize = 1100;

/// What a skill hover shows.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SkillCard {
    pub name: String,
    pub description: String,
    /// `user`, `team` or `system`, when known.
    pub volume: Option<String>,
    /// Sessions that pin or link the skill, when known.
    pub used_by_sessions: Option<usize>,
}

/// The Markdown of a skill card.
pub fn render_skill_card(card: &SkillCard) -> String {
    let mut header = format!("**{}** · skill", escape_inline(&card.name));
    if let Some(volume) = &card.volume {
        header.push_str(&format!(" · {} volume", escape_inline(volume)));
    }
    match card.used_by_sessions {
        Some(1) => header.push_str(" · used by 1 session"),
        Some(count) => header.push_str(&format!(" · used by {count} sessions")),
        None => {}
    }
    let description = card.description.trim();
    if description.is_empty() {
        format!("{header}\n\n*no description*")
    } else {
        format!("{header}\n\n{}", escape_inline(&clip_line(description, MAX_DESCRIPTION_CHARS)))
    }
}

/// What a skill file's preview shows.
pub(crate) enum SkillPreview {
    /// A card from the frontmatter; it has its own header.
    Card(String),
    /// The first section, for a skill file without a `name`.
    Section(String),
}

/// A card read from a skill file's own frontmatter (`name`, `description`), without
/// volume or used-by count; falls back to the first section when there is no `name`.
pub(crate) fn preview_skill_text(text: &str) -> Option<SkillPreview> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    if let Some((frontmatter, _)) = frontmatter_and_body(text)
        && let Some(name) = top_level_scalar(frontmatter, "name")
    {
        let card = SkillCard { name, description: top_level_scalar(frontmatter, "description").unwrap_or_default(), volume: None, used_by_sessions: None };
        return Some(SkillPreview::Card(render_skill_card(&card)));
    }
    first_section(text).map(SkillPreview::Section)
}

/// A top-level `key: value` of simple YAML: plain, quoted, folded (`>`) or literal (`|`)
/// scalars, continued on indented lines. Full YAML (and its errors) is the documents
/// crate's job; a hover only needs a readable approximation.
fn top_level_scalar(frontmatter: &str, key: &str) -> Option<String> {
    let mut lines = frontmatter.lines();
    while let Some(line) = lines.next() {
        let Some(rest) = line.strip_prefix(key).and_then(|r| r.strip_prefix(':')) else {
            continue;
        };
        let value = rest.trim();
        let continuation: Vec<&str> = lines.clone().take_while(|l| l.starts_with([' ', '\t']) || l.trim().is_empty()).map(str::trim).collect();
        let joined = |separator: &str| {
            let parts: Vec<&str> = continuation.iter().copied().filter(|l| !l.is_empty()).collect();
            parts.join(separator)
        };
        let text = if value.starts_with('>') {
            joined(" ")
        } else if value.starts_with('|') {
            joined("\n")
        } else if let Some(quoted) = unquote(value) {
            quoted
        } else if continuation.iter().any(|l| !l.is_empty()) {
            format!("{value} {}", joined(" "))
        } else {
            value.to_string()
        };
        return Some(text.trim().to_string());
    }
    None
}

fn unquote(value: &str) -> Option<String> {
    let quote = value.chars().next().filter(|c| *c == '"' || *c == '\'')?;
    // The quote is one byte.
    let rest = value.get(1..)?;
    let inner = rest.strip_suffix(quote).unwrap_or(rest);
    Some(match quote {
        '\'' => inner.replace("''", "'"),
        _ => inner.replace("\\\"", "\"").replace("\\\\", "\\"),
    })
}
