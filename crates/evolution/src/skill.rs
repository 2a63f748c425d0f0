//! Offline skill generation from a pattern (docs/design.md §5 step 5), updating an
//! evolved skill with new evidence, and telling whether a person edited it.
//!
//! Edit detection: the frontmatter carries `generated-hash: <16 hex digits>`,
//! FNV-1a 64 over the whole file with that one line removed and line endings
//! normalised to `\n`. If the file still hashes to the stored value, nobody has
//! touched it since the engine wrote it and it may be updated in place;
//! otherwise new evidence goes to a proposal beside it.

use time::OffsetDateTime;

use crate::record::Pattern;

/// The frontmatter key holding the content hash.
pub const GENERATED_HASH_KEY: &str = "generated-hash";
/// Example prompts listed in a new skill.
const EXAMPLE_PROMPTS: usize = 10;
/// Example prompts an updated skill may grow to.
const MAX_EXAMPLE_PROMPTS: usize = 20;
const MAX_DESCRIPTION_CHARS: usize = 1024;
const PROMPT_LINE_CHARS: usize = 300;

/// Whether a skill file was written by the engine and left alone since.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GenerationState {
    /// No frontmatter or no `generated-hash`: a person's skill (or an old one).
    NotGenerated,
    /// Exactly as the engine wrote it: safe to update.
    Unedited,
    /// Written by the engine, then changed: never overwrite.
    Edited,
}

/// Double-quoted YAML scalar: always quoted, so `: `, `#`, leading `-`, `*`,
/// booleans and numbers-looking values all stay strings.
fn yaml_string(value: &str) -> String {
    let mut out = String::with_capacity(value.len() + 2);
    out.push('"');
    for c in value.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            c if c.is_control() => out.push_str(&format!("\\u{:04x}", u32::from(c))),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

fn truncate_chars(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_string();
    }
    let mut cut: String = text.chars().take(max - 1).collect();
    cut.push('…');
    cut
}

fn one_line(text: &str) -> String {
    truncate_chars(&text.split_whitespace().collect::<Vec<_>>().join(" "), PROMPT_LINE_CHARS)
}

fn content_hash(text: &str) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    let key = format!("{GENERATED_HASH_KEY}:");
    for line in text.split_inclusive('\n') {
        if line.starts_with(&key) {
            continue;
        }
        let line = line.strip_suffix("\r\n").map(|l| format!("{l}\n")).unwrap_or_else(|| line.to_string());
        for &b in line.as_bytes() {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x100_0000_01b3);
        }
    }
    format!("{h:016x}")
}

/// Adds (or replaces) the hash line just before the closing `---`.
fn seal(text: &str) -> String {
    let hash = content_hash(text);
    let key = format!("{GENERATED_HASH_KEY}:");
    let mut out = String::with_capacity(text.len() + 40);
    let mut in_frontmatter = false;
    let mut sealed = false;
    for (i, line) in text.split_inclusive('\n').enumerate() {
        let bare = line.trim_end_matches(['\n', '\r']);
        if i == 0 && bare == "---" {
            in_frontmatter = true;
        } else if in_frontmatter && bare == "---" {
            if !sealed {
                out.push_str(&format!("{key} {hash}\n"));
                sealed = true;
            }
            in_frontmatter = false;
        } else if in_frontmatter && bare.starts_with(&key) {
            continue;
        }
        out.push_str(line);
    }
    out
}

fn title_case(name: &str) -> String {
    name.split('-')
        .filter(|w| !w.is_empty())
        .map(|w| {
            let mut chars = w.chars();
            match chars.next() {
                Some(first) => first.to_uppercase().chain(chars).collect::<String>(),
                None => String::new(),
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

fn date(unix: i64) -> String {
    OffsetDateTime::from_unix_timestamp(unix)
        .map(|t| format!("{:04}-{:02}-{:02}", t.year(), u8::from(t.month()), t.day()))
        .unwrap_or_else(|_| "unknown date".to_string())
}

fn list_phrase(words: &[String], joiner: &str) -> String {
    match words {
        [] => String::new(),
        [one] => one.clone(),
        [init @ .., last] => format!("{} {joiner} {last}", init.join(", ")),
    }
}

fn distinct_prompts(pattern: &Pattern, max: usize) -> Vec<String> {
    let mut seen: Vec<String> = Vec::new();
    for prompt in &pattern.prompts {
        let line = one_line(prompt);
        if !line.is_empty() && !seen.iter().any(|s| s.eq_ignore_ascii_case(&line)) {
            seen.push(line);
        }
        if seen.len() >= max {
            break;
        }
    }
    seen
}

/// Renders a complete SKILL.md for a pattern; `created` is the date to record
/// (e.g. `2026-11-23`).
pub fn render_skill(pattern: &Pattern, created: &str) -> String {
    let description = truncate_chars(pattern.description.trim(), MAX_DESCRIPTION_CHARS);
    let mut fm = String::from("---\n");
    fm.push_str(&format!("name: {}\n", pattern.name));
    fm.push_str(&format!("description: {}\n", yaml_string(&description)));
    fm.push_str("source: evolution\n");
    fm.push_str(&format!("confidence: {:.2}\n", pattern.confidence.clamp(0.0, 1.0)));
    fm.push_str(&format!("occurrences: {}\n", pattern.occurrences));
    fm.push_str("commits:\n");
    for sha in &pattern.commits {
        fm.push_str(&format!("  - {}\n", yaml_string(sha)));
    }
    fm.push_str(&format!("created: {}\n", yaml_string(created)));
    if pattern.keywords.is_empty() {
        fm.push_str("keywords: []\n");
    } else {
        fm.push_str("keywords:\n");
        for keyword in &pattern.keywords {
            fm.push_str(&format!("  - {}\n", yaml_string(keyword)));
        }
    }
    fm.push_str("---\n\n");

    let title = title_case(&pattern.name);
    let kw = &pattern.keywords;
    let topic = list_phrase(&kw[..kw.len().min(3)], "and");
    let kinds = list_phrase(&pattern.artifact_kinds, "and");
    let authors = list_phrase(&pattern.authors, "and");
    let examples = distinct_prompts(pattern, EXAMPLE_PROMPTS);
    let typical = one_line(pattern.typical_prompt());

    let mut body = format!("# {title}\n\n## Purpose\n\n{description}\n\n");
    body.push_str(&format!(
        "This skill was distilled from {} sessions between {} and {}{}.\n\n",
        pattern.occurrences,
        date(pattern.first_seen),
        date(pattern.last_seen),
        if authors.is_empty() { String::new() } else { format!(" by {authors}") }
    ));

    body.push_str("## Inputs\n\n");
    if topic.is_empty() {
        body.push_str("- The request, phrased like the example prompts below.\n");
    } else {
        body.push_str(&format!("- The request; such requests usually mention {topic}.\n"));
    }
    body.push_str("- Any files, data or earlier results the request refers to.\n");
    body.push_str("- Constraints stated in the request: format, size, language, tools.\n\n");

    body.push_str("## Workflow\n\n");
    let focus = if topic.is_empty() { "the task".to_string() } else { topic.clone() };
    let mut steps = vec![
        format!("Restate the goal in one sentence and pick out what the request says about {focus}."),
        "Ask for anything essential that is missing; otherwise state the assumptions you make.".to_string(),
        "Compare with the example prompts below and reuse the approach that worked for the closest one.".to_string(),
    ];
    if kinds.is_empty() {
        steps.push("Produce the result in the form the request asks for.".to_string());
    } else {
        steps.push(format!("Produce the result as {kinds} artifacts, as earlier sessions did."));
    }
    steps.push("Check the result against every constraint of the request and fix what does not hold.".to_string());
    steps.push("Summarise what was produced and how to adjust it.".to_string());
    for (i, step) in steps.iter().enumerate() {
        body.push_str(&format!("{}. {step}\n", i + 1));
    }
    body.push('\n');

    body.push_str("## Example\n\n");
    match (!typical.is_empty()).then_some(&typical).or(examples.first()) {
        Some(first) => body.push_str(&format!(
            "A typical request from the history:\n\n> {first}\n\nFollow the workflow: pin down what this request asks about {focus}, produce {}, then check it against the request.\n\n",
            if kinds.is_empty() { "the result".to_string() } else { format!("the {kinds} artifacts") }
        )),
        None => body.push_str("No example prompt was recorded.\n\n"),
    }

    body.push_str("## Variations\n\n");
    if kw.len() > 3 {
        body.push_str(&format!("Requests in this family also mention {}; adapt the inputs and checks to them.\n", list_phrase(&kw[3..], "and")));
    } else {
        body.push_str("Requests in this family differ mostly in their details; adapt the inputs and checks to them.\n");
    }
    body.push_str("When a request only partly fits, use the steps that apply and say which were skipped.\n\n");

    body.push_str("## Example prompts\n\n");
    for prompt in &examples {
        body.push_str(&format!("- {prompt}\n"));
    }
    seal(&format!("{fm}{body}"))
}

/// The frontmatter lines (without the `---` fences) and the line index where
/// the body starts, or `None` without frontmatter.
fn split_frontmatter(text: &str) -> Option<(Vec<&str>, Vec<&str>)> {
    let mut lines = text.lines();
    if lines.next()?.trim_end() != "---" {
        return None;
    }
    let mut front = Vec::new();
    for line in lines.by_ref() {
        if line.trim_end() == "---" {
            return Some((front, lines.collect()));
        }
        front.push(line);
    }
    None
}

/// Tells whether `text` is an evolved skill and whether it was edited since.
pub fn generation_state(text: &str) -> GenerationState {
    let Some((front, _)) = split_frontmatter(text) else {
        return GenerationState::NotGenerated;
    };
    let key = format!("{GENERATED_HASH_KEY}:");
    let Some(stored) = front.iter().find_map(|l| l.strip_prefix(&key)) else {
        return GenerationState::NotGenerated;
    };
    if stored.trim() == content_hash(text) { GenerationState::Unedited } else { GenerationState::Edited }
}

fn unquote(value: &str) -> String {
    let v = value.trim();
    if v.len() >= 2 && v.starts_with('"') && v.ends_with('"') { v[1..v.len() - 1].replace("\\\"", "\"").replace("\\\\", "\\") } else { v.to_string() }
}

/// Adds a pattern's new commits and example prompts to an unedited evolved
/// skill, keeping everything else. `None` when the skill is not an unedited
/// evolved skill (the caller then writes a proposal) or nothing is new.
pub fn update_skill(existing: &str, pattern: &Pattern) -> Option<String> {
    if generation_state(existing) != GenerationState::Unedited {
        return None;
    }
    let (front, body) = split_frontmatter(existing)?;
    let mut old_commits: Vec<String> = Vec::new();
    let mut in_commits = false;
    let mut old_occurrences = 0usize;
    let mut old_confidence = 0.0f64;
    for line in &front {
        if let Some(rest) = line.strip_prefix("occurrences:") {
            old_occurrences = rest.trim().parse().ok()?;
        } else if let Some(rest) = line.strip_prefix("confidence:") {
            old_confidence = rest.trim().parse().ok()?;
        }
        if *line == "commits:" {
            in_commits = true;
            continue;
        }
        if in_commits {
            match line.strip_prefix("  - ") {
                Some(item) => old_commits.push(unquote(item)),
                None => in_commits = false,
            }
        }
    }
    let new: Vec<usize> = (0..pattern.commits.len()).filter(|&i| !old_commits.contains(&pattern.commits[i])).collect();
    if new.is_empty() {
        return None;
    }

    let mut out = String::from("---\n");
    let mut in_commits = false;
    for line in &front {
        if in_commits && !line.starts_with("  - ") {
            for &i in &new {
                out.push_str(&format!("  - {}\n", yaml_string(&pattern.commits[i])));
            }
            in_commits = false;
        }
        if line.starts_with("occurrences:") {
            out.push_str(&format!("occurrences: {}\n", old_occurrences + new.len()));
        } else if line.starts_with("confidence:") {
            out.push_str(&format!("confidence: {:.2}\n", old_confidence.max(pattern.confidence).clamp(0.0, 1.0)));
        } else {
            out.push_str(line);
            out.push('\n');
        }
        if *line == "commits:" {
            in_commits = true;
        }
    }
    out.push_str("---\n");

    let heading = body.iter().position(|l| l.trim_end() == "## Example prompts")?;
    let section_end = body[heading + 1..].iter().position(|l| l.starts_with("## ")).map(|p| heading + 1 + p).unwrap_or(body.len());
    let existing_prompts: Vec<String> = body[heading + 1..section_end].iter().filter_map(|l| l.strip_prefix("- ")).map(str::to_string).collect();
    let mut additions: Vec<String> = Vec::new();
    for &i in &new {
        let Some(prompt) = pattern.prompts.get(i) else {
            continue;
        };
        let line = one_line(prompt);
        let known = existing_prompts.iter().chain(&additions).any(|p| p.eq_ignore_ascii_case(&line));
        if !line.is_empty() && !known && existing_prompts.len() + additions.len() < MAX_EXAMPLE_PROMPTS {
            additions.push(line);
        }
    }
    // Insert after the section's last list item, before trailing blank lines.
    let mut insert_at = section_end;
    while insert_at > heading + 1 && body[insert_at - 1].trim().is_empty() {
        insert_at -= 1;
    }
    for (i, line) in body.iter().enumerate() {
        if i == insert_at {
            for addition in &additions {
                out.push_str(&format!("- {addition}\n"));
            }
        }
        out.push_str(line);
        out.push('\n');
    }
    if insert_at == body.len() {
        for addition in &additions {
            out.push_str(&format!("- {addition}\n"));
        }
    }
    Some(seal(&out))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pattern() -> Pattern {
        Pattern {
            name: "quantum-circuit-design".into(),
            description: "Recurring work on quantum: circuits # and gates; use when asked for a \"circuit\".".into(),
            occurrences: 3,
            confidence: 0.912,
            commits: vec!["1e10".into(), "abc".into(), "def".into()],
            times: vec![1_700_000_000, 1_700_086_400, 1_700_172_800],
            prompts: vec!["design a bell circuit".into(), "ghz state\non 3 qubits".into(), "design a bell circuit".into()],
            authors: vec!["ada".into(), "bob".into()],
            artifact_kinds: vec!["circuit".into()],
            first_seen: 1_700_000_000,
            last_seen: 1_700_172_800,
            keywords: vec!["quantum".into(), "circuit".into(), "qubits".into(), "bell".into()],
        }
    }

    #[test]
    fn renders_quoted_frontmatter_and_all_sections() {
        let text = render_skill(&pattern(), "2026-11-23");
        assert!(text.starts_with("---\nname: quantum-circuit-design\n"), "{text}");
        assert!(text.contains("description: \"Recurring work on quantum: circuits # and gates; use when asked for a \\\"circuit\\\".\"\n"));
        assert!(text.contains("source: evolution\nconfidence: 0.91\noccurrences: 3\ncommits:\n  - \"1e10\"\n"));
        assert!(text.contains("created: \"2026-11-23\"\n"));
        for section in ["## Purpose", "## Inputs", "## Workflow", "## Example\n", "## Variations", "## Example prompts"] {
            assert!(text.contains(section), "missing {section}");
        }
        assert!(text.contains("1. Restate the goal"));
        // Duplicate prompts are listed once; newlines collapse.
        assert_eq!(text.matches("- design a bell circuit").count(), 1);
        assert!(text.contains("- ghz state on 3 qubits\n"));
        assert!(text.contains("between 2023-11-14 and 2023-11-16 by ada and bob"));
        assert_eq!(generation_state(&text), GenerationState::Unedited);
    }

    #[test]
    fn long_descriptions_are_cut() {
        let mut p = pattern();
        p.description = "x".repeat(3000);
        let text = render_skill(&p, "2026-11-23");
        let line = text.lines().find(|l| l.starts_with("description:")).unwrap();
        assert_eq!(line.chars().count(), "description: \"\"".len() + 1024);
    }

    #[test]
    fn detects_edits() {
        let text = render_skill(&pattern(), "2026-11-23");
        assert_eq!(generation_state(&text.replace("\n", "\r\n")), GenerationState::Unedited);
        let edited = text.replace("Restate the goal", "First restate the goal");
        assert_eq!(generation_state(&edited), GenerationState::Edited);
        assert_eq!(generation_state("---\nname: x\ndescription: y\n---\nbody\n"), GenerationState::NotGenerated);
        assert_eq!(generation_state("no frontmatter"), GenerationState::NotGenerated);
        assert_eq!(generation_state("---\nunclosed"), GenerationState::NotGenerated);
    }

    #[test]
    fn update_adds_new_evidence_only() {
        let original = render_skill(&pattern(), "2026-11-23");
        let mut newer = pattern();
        newer.commits = vec!["abc".into(), "f00".into()];
        newer.prompts = vec!["design a bell circuit".into(), "build a toffoli circuit".into()];
        newer.confidence = 0.95;
        let updated = update_skill(&original, &newer).unwrap();
        assert!(updated.contains("occurrences: 4\n"));
        assert!(updated.contains("confidence: 0.95\n"));
        assert!(updated.contains("  - \"def\"\n  - \"f00\"\ncreated:"), "{updated}");
        assert!(updated.ends_with("- ghz state on 3 qubits\n- build a toffoli circuit\n"), "{updated}");
        assert_eq!(generation_state(&updated), GenerationState::Unedited);
        // Nothing new, or a person's edits: no update.
        assert_eq!(update_skill(&updated, &newer), None);
        let edited = original.replace("## Variations", "## Variations (mine)");
        assert_eq!(update_skill(&edited, &newer), None);
        assert_eq!(update_skill("not a skill", &newer), None);
    }
}
