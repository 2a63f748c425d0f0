//! What an agent sees of a skill before loading it: its entry in the skill listing.
//!
//! Agents list every skill by name and description and load a body only when the
//! description matches. Claude Code appends `when_to_use` to the description and cuts
//! the pair at [`CLAUDE_CODE_LISTING_CUT`] characters; the whole listing gets about 1 % of
//! the context window. These numbers feed the `skill/listing-cut` diagnostic, the hover
//! on `description` and the per-profile listing size in `llmos status`.

use crate::profile::Profile;
use crate::skill::SkillDoc;

/// The Agent Skills standard's limit on `description`.
pub const MAX_DESCRIPTION_CHARS: usize = 1024;
/// Claude Code shows at most this many characters of `description` + `when_to_use`.
pub const CLAUDE_CODE_LISTING_CUT: usize = 1536;

/// The text an agent's listing shows for a skill under `profile`, before any cut:
/// the description, plus `when_to_use` for Claude Code.
pub fn listing_text(description: &str, when_to_use: &str, profile: Profile) -> String {
    match profile {
        Profile::ClaudeCode if !when_to_use.trim().is_empty() => format!("{} {}", description.trim(), when_to_use.trim()),
        _ => description.trim().to_string(),
    }
}

/// Characters of one listing entry (`name: text`, cut where the agent cuts it).
pub fn entry_chars(name: &str, description: &str, when_to_use: &str, profile: Profile) -> usize {
    let text = listing_text(description, when_to_use, profile).chars().count();
    let shown = if profile == Profile::ClaudeCode { text.min(CLAUDE_CODE_LISTING_CUT) } else { text };
    name.chars().count() + 2 + shown
}

/// A hover's "what the agent sees" lines for a skill.
pub fn summary(doc: &SkillDoc) -> String {
    let description = doc.description().unwrap_or_default();
    let when = doc.frontmatter.str_value("when_to_use").unwrap_or_default();
    let d = description.chars().count();
    let mut out = format!("**What the agent sees**\n\n- description: {d} / {MAX_DESCRIPTION_CHARS} characters");
    if d > MAX_DESCRIPTION_CHARS {
        out.push_str(" (over the standard's limit)");
    }
    let listed = listing_text(description, when, Profile::ClaudeCode).chars().count();
    out.push_str(&format!("\n- Claude Code listing (description + when_to_use): {listed} / {CLAUDE_CODE_LISTING_CUT} characters"));
    if listed > CLAUDE_CODE_LISTING_CUT {
        let cut_at: String = listing_text(description, when, Profile::ClaudeCode).chars().skip(CLAUDE_CODE_LISTING_CUT).take(40).collect();
        out.push_str(&format!(" — cut before \"{}…\"", cut_at.replace('`', "'")));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn claude_code_appends_when_to_use_and_cuts() {
        assert_eq!(entry_chars("ab", "xyz", "w", Profile::Agentskills), 2 + 2 + 3);
        assert_eq!(entry_chars("ab", "xyz", "w", Profile::ClaudeCode), 2 + 2 + 5);
        assert_eq!(entry_chars("ab", &"é".repeat(2000), "", Profile::ClaudeCode), 2 + 2 + CLAUDE_CODE_LISTING_CUT);
        assert_eq!(entry_chars("ab", &"é".repeat(2000), "", Profile::Llmos), 2 + 2 + 2000);
    }

    #[test]
    fn summary_counts_characters_not_bytes() {
        let text = format!("---\nname: a\ndescription: \"{}\"\nwhen_to_use: \"{}\"\n---\n", "é".repeat(1000), "w".repeat(600));
        let s = summary(&SkillDoc::parse(&text));
        assert!(s.contains("description: 1000 / 1024 characters\n"), "{s}");
        assert!(s.contains("1601 / 1536 characters — cut before \"wwww"), "{s}");
    }
}
