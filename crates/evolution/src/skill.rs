//! Offline skill generation from a pattern (docs/design.md §5 step 5), updating an
//! evolved skill with new evidence, and telling whether a person edited it.
//!
//! Everything llmos records about a skill's origin sits under `metadata` as
//! strings (`llmos-source`, `llmos-confidence`, `llmos-commits` …), so evolved
//! skills are portable Agent Skills; the older top-level keys (`source:`,
//! `commits:` list …) are still read, and an update rewrites them in the new form.
//!
//! Edit detection: the metadata carries `llmos-generated-hash: "<16 hex digits>"`
//! (formerly a top-level `generated-hash:`), FNV-1a 64 over the whole file with
//! that one line removed and line endings normalised to `\n`. If the file still hashes to the stored value, nobody has
//! touched it since the engine wrote it and it may be updated in place;
//! otherwise new evidence goes to a proposal beside it.

use time::OffsetDateTime;

use crate::distill::{Material, Recurring};
use crate::record::Pattern;
use crate::trigger::TriggerEval;

/// The metadata key holding the content hash.
pub const GENERATED_HASH_KEY: &str = "llmos-generated-hash";
/// The top-level key older versions wrote the hash under.
const LEGACY_HASH_KEY: &str = "generated-hash";
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
            // The reference validator splits a file on its first two `---`, wherever they are.
            '-' if out.ends_with("--") => out.push_str("\\x2d"),
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

/// Whether a frontmatter line holds the hash (either form).
fn is_hash_line(line: &str) -> bool {
    line.starts_with(&format!("{LEGACY_HASH_KEY}:")) || (line.starts_with(' ') && line.trim_start().starts_with(&format!("{GENERATED_HASH_KEY}:")))
}

fn content_hash(text: &str) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for line in text.split_inclusive('\n') {
        if is_hash_line(line) {
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

/// Adds (or replaces) the hash line just before the closing `---`, which is
/// inside the `metadata` map (the renderer writes `metadata` last).
fn seal(text: &str) -> String {
    let hash = content_hash(text);
    let mut out = String::with_capacity(text.len() + 40);
    let mut in_frontmatter = false;
    let mut sealed = false;
    for (i, line) in text.split_inclusive('\n').enumerate() {
        let bare = line.trim_end_matches(['\n', '\r']);
        if i == 0 && bare == "---" {
            in_frontmatter = true;
        } else if in_frontmatter && bare == "---" {
            if !sealed {
                out.push_str(&format!("  {GENERATED_HASH_KEY}: \"{hash}\"\n"));
                sealed = true;
            }
            in_frontmatter = false;
        } else if in_frontmatter && is_hash_line(bare) {
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

/// Renders a complete SKILL.md for a pattern from its prompts alone; see
/// [`render_distilled`] for the skill written from the member sessions.
pub fn render_skill(pattern: &Pattern, created: &str) -> String {
    render_distilled(pattern, &Material::default(), None, created)
}

/// The provenance llmos keeps in a skill's `metadata` (all values strings, so the
/// skill stays a portable Agent Skill).
#[derive(Debug, Clone, Default, PartialEq)]
struct Provenance {
    confidence: f64,
    occurrences: usize,
    commits: Vec<String>,
    created: String,
    keywords: Vec<String>,
    trigger: Option<(f64, f64)>,
}

impl Provenance {
    fn render(&self) -> String {
        let mut out = String::from("metadata:\n");
        out.push_str(&format!("  {SOURCE_KEY}: \"evolution\"\n"));
        out.push_str(&format!("  llmos-confidence: \"{:.2}\"\n", self.confidence.clamp(0.0, 1.0)));
        out.push_str(&format!("  llmos-occurrences: \"{}\"\n", self.occurrences));
        out.push_str(&format!("  llmos-commits: {}\n", yaml_string(&self.commits.join(" "))));
        out.push_str(&format!("  llmos-created: {}\n", yaml_string(&self.created)));
        out.push_str(&format!("  llmos-keywords: {}\n", yaml_string(&self.keywords.join(", "))));
        if let Some((precision, recall)) = self.trigger {
            out.push_str(&format!("  llmos-trigger-precision: \"{precision:.2}\"\n  llmos-trigger-recall: \"{recall:.2}\"\n"));
        }
        out
    }

    /// Reads provenance from frontmatter lines in either form: under `metadata`
    /// (`llmos-commits: "a b"`) or the older top-level keys (`commits:` list).
    fn parse(front: &[&str]) -> Option<Provenance> {
        let mut p = Provenance::default();
        let mut in_commits = false;
        let mut in_keywords = false;
        for line in front {
            let trimmed = line.trim_start();
            let nested = line.starts_with(' ');
            if in_commits || in_keywords {
                if let Some(item) = line.strip_prefix("  - ") {
                    if in_commits {
                        p.commits.push(unquote(item))
                    } else {
                        p.keywords.push(unquote(item))
                    }
                    continue;
                }
                in_commits = false;
                in_keywords = false;
            }
            let Some((key, value)) = trimmed.split_once(':') else { continue };
            let key = if nested { key.strip_prefix("llmos-").unwrap_or("") } else { key };
            let value = unquote(value);
            match key {
                "confidence" => p.confidence = value.parse().ok()?,
                "occurrences" => p.occurrences = value.parse().ok()?,
                "created" => p.created = value,
                "commits" if value.is_empty() => in_commits = true,
                "commits" => p.commits = value.split_whitespace().map(str::to_string).collect(),
                "keywords" if value.is_empty() => in_keywords = true,
                "keywords" if value == "[]" => {}
                "keywords" => p.keywords = value.split(',').map(|k| k.trim().to_string()).filter(|k| !k.is_empty()).collect(),
                "trigger-precision" => p.trigger = Some((value.parse().ok()?, p.trigger.map_or(0.0, |t| t.1))),
                "trigger-recall" => p.trigger = Some((p.trigger.map_or(0.0, |t| t.0), value.parse().ok()?)),
                _ => {}
            }
        }
        Some(p)
    }
}

/// The metadata key marking a skill evolution wrote.
const SOURCE_KEY: &str = "llmos-source";

fn code_fence(code: &str) -> String {
    let mut longest = 0;
    let mut run = 0;
    for c in code.chars() {
        run = if c == '`' { run + 1 } else { 0 };
        longest = longest.max(run);
    }
    "`".repeat((longest + 1).max(3))
}

fn backticked(items: &[Recurring], members: usize) -> String {
    items.iter().map(|r| format!("`{}` ({} of {members})", r.term.replace('`', "'"), r.members)).collect::<Vec<_>>().join(", ")
}

/// Renders a SKILL.md from a pattern and the material distilled from its member
/// sessions; `trigger` is the held-out trigger evaluation, when one ran.
pub fn render_distilled(pattern: &Pattern, material: &Material, trigger: Option<&TriggerEval>, created: &str) -> String {
    render_distilled_with(pattern, material, trigger, created, None)
}

/// [`render_distilled`] with the body's middle written by an LLM
/// ([`crate::writer::parse_body`] output); the title, purpose, example prompts and
/// sources stay the engine's, so updates and provenance work the same.
pub fn render_distilled_with(pattern: &Pattern, material: &Material, trigger: Option<&TriggerEval>, created: &str, written: Option<&str>) -> String {
    let description = truncate_chars(pattern.description.trim(), MAX_DESCRIPTION_CHARS);
    let provenance = Provenance {
        confidence: pattern.confidence,
        occurrences: pattern.occurrences,
        commits: pattern.commits.clone(),
        created: created.to_string(),
        keywords: pattern.keywords.clone(),
        trigger: trigger.map(|t| (t.precision(), t.recall())),
    };
    let fm = format!("---\nname: {}\ndescription: {}\n{}---\n\n", pattern.name, yaml_string(&description), provenance.render());

    let title = title_case(&pattern.name);
    let kw = &pattern.keywords;
    // The first three keywords are the topic; the rest are variations.
    let (topic_kw, variation_kw) = kw.split_at_checked(3).unwrap_or((kw, &[]));
    let topic = list_phrase(topic_kw, "and");
    let kinds = list_phrase(&pattern.artifact_kinds, "and");
    let authors = list_phrase(&pattern.authors, "and");
    let examples = distinct_prompts(pattern, EXAMPLE_PROMPTS);
    let n = material.members.max(pattern.occurrences);

    let mut body = format!("# {title}\n\n## Purpose\n\n{description}\n\n");
    body.push_str(&format!(
        "This skill was distilled from {} sessions between {} and {}{}.\n\n",
        pattern.occurrences,
        date(pattern.first_seen),
        date(pattern.last_seen),
        if authors.is_empty() { String::new() } else { format!(" by {authors}") }
    ));

    if let Some(written) = written {
        body.push_str(written.trim());
        body.push_str("\n\n");
        append_prompts_and_sources(&mut body, &examples, material);
        return seal(&format!("{fm}{body}"));
    }

    body.push_str("## Workflow\n\n");
    let focus = if topic.is_empty() { "the task".to_string() } else { topic.clone() };
    let mut steps = Vec::new();
    let types: Vec<String> = material.file_types.iter().map(|r| format!("`{}`", r.term)).collect();
    if types.is_empty() {
        steps.push(format!("Pin down what the request says about {focus}, and the files or data it refers to."));
    } else {
        steps.push(format!("Pin down what the request says about {focus}; these sessions worked with {} files.", list_phrase(&types, "and")));
    }
    if !material.libraries.is_empty() {
        let libs: Vec<String> = material.libraries.iter().map(|r| format!("`{}`", r.term)).collect();
        steps.push(format!("Use {} unless the request names other tools: that is what worked here.", list_phrase(&libs, "and")));
    }
    if !material.apis.is_empty() || !material.commands.is_empty() {
        steps.push("Start from the calls and commands listed under *Tools and APIs*, and from the worked example.".to_string());
    } else {
        steps.push("Reuse the approach of the worked example and of the closest example prompt.".to_string());
    }
    if !material.requirements.is_empty() {
        steps.push("Meet the requirements users kept asking for (below) without waiting to be asked.".to_string());
    }
    if !material.errors.is_empty() {
        steps.push("Avoid the errors listed under *Known errors*; they came up in several sessions.".to_string());
    }
    steps.push(if kinds.is_empty() {
        "Produce the result in the form the request asks for.".to_string()
    } else {
        format!("Produce the result as {kinds} artifacts (fenced blocks with `artifact=NAME`).")
    });
    steps.push("Summarise what was produced and how to adjust it.".to_string());
    for (i, step) in steps.iter().enumerate() {
        body.push_str(&format!("{}. {step}\n", i + 1));
    }
    body.push('\n');

    if !material.requirements.is_empty() {
        body.push_str("## Requirements users repeated\n\n");
        for r in &material.requirements {
            body.push_str(&format!("- {} ({} of {n} sessions)\n", r.term, r.members));
        }
        body.push('\n');
    }
    if !(material.libraries.is_empty() && material.apis.is_empty() && material.commands.is_empty() && material.file_types.is_empty()) {
        body.push_str("## Tools and APIs\n\n");
        for (label, items) in
            [("Libraries", &material.libraries), ("APIs", &material.apis), ("Commands", &material.commands), ("File types", &material.file_types)]
        {
            if !items.is_empty() {
                body.push_str(&format!("- {label}: {}\n", backticked(items, n)));
            }
        }
        body.push('\n');
    }
    if !material.errors.is_empty() {
        body.push_str("## Known errors\n\n");
        for (e, fix) in &material.errors {
            match fix {
                Some(fix) => body.push_str(&format!("- `{}` ({} of {n} sessions); what followed: {fix}\n", e.term.replace('`', "'"), e.members)),
                None => body.push_str(&format!("- `{}` ({} of {n} sessions)\n", e.term.replace('`', "'"), e.members)),
            }
        }
        body.push('\n');
    }

    body.push_str("## Example\n\n");
    match &material.example {
        Some(example) => {
            body.push_str(&format!("A worked example from {} (one session; details here are not rules):\n\n> {}\n\n", example.source, example.prompt));
            if let Some(code) = &example.code {
                let fence = code_fence(&code.text);
                let info = match &code.name {
                    Some(name) => format!("{} artifact={name}", code.language).trim().to_string(),
                    None => code.language.clone(),
                };
                body.push_str(&format!("{fence}{info}\n{}\n{fence}\n\n", code.text.trim_end()));
            }
        }
        None => {
            let typical = one_line(pattern.typical_prompt());
            match (!typical.is_empty()).then_some(&typical).or(examples.first()) {
                Some(first) => body.push_str(&format!("A typical request from the history:\n\n> {first}\n\n")),
                None => body.push_str("No example prompt was recorded.\n\n"),
            }
        }
    }

    if !variation_kw.is_empty() {
        body.push_str(&format!(
            "## Variations\n\nRequests in this family also mention {}; adapt the inputs and checks to them.\n\n",
            list_phrase(variation_kw, "and")
        ));
    }

    append_prompts_and_sources(&mut body, &examples, material);
    seal(&format!("{fm}{body}"))
}

fn append_prompts_and_sources(body: &mut String, examples: &[String], material: &Material) {
    body.push_str("## Example prompts\n\n");
    for prompt in examples {
        body.push_str(&format!("- {prompt}\n"));
    }
    if !material.sources.is_empty() {
        body.push_str("\n## Sources\n\n");
        for source in &material.sources {
            if source.starts_with("sessions/") {
                // The skill sits in `skills/<name>/SKILL.md` of the same volume.
                body.push_str(&format!("- [{source}](../../{source})\n"));
            } else {
                body.push_str(&format!("- {source}\n"));
            }
        }
    }
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
    let Some(stored) = front.iter().filter(|l| is_hash_line(l)).find_map(|l| l.split_once(':').map(|(_, v)| unquote(v))) else {
        return GenerationState::NotGenerated;
    };
    if stored == content_hash(text) { GenerationState::Unedited } else { GenerationState::Edited }
}

fn unquote(value: &str) -> String {
    let v = value.trim();
    match v.strip_prefix('"').and_then(|inner| inner.strip_suffix('"')) {
        Some(inner) => inner.replace("\\\"", "\"").replace("\\\\", "\\"),
        None => v.to_string(),
    }
}

/// Adds a pattern's new commits and example prompts to an unedited evolved
/// skill, keeping everything else. `None` when the skill is not an unedited
/// evolved skill (the caller then writes a proposal) or nothing is new.
pub fn update_skill(existing: &str, pattern: &Pattern) -> Option<String> {
    if generation_state(existing) != GenerationState::Unedited {
        return None;
    }
    let (front, body) = split_frontmatter(existing)?;
    let old = Provenance::parse(&front)?;
    // (index in the pattern, commit) of each commit the skill does not list yet.
    let new: Vec<(usize, &String)> = pattern.commits.iter().enumerate().filter(|(_, c)| !old.commits.contains(c)).collect();
    if new.is_empty() {
        return None;
    }
    let mut provenance = old.clone();
    provenance.occurrences = old.occurrences + new.len();
    provenance.confidence = old.confidence.max(pattern.confidence).clamp(0.0, 1.0);
    provenance.commits.extend(new.iter().map(|(_, c)| (*c).clone()));
    if provenance.created.is_empty() {
        provenance.created = "unknown".into();
    }

    // Keep the top-level entries that are not provenance (name, description …);
    // provenance, in whichever form it was, is written back under `metadata`.
    const PROVENANCE: &[&str] = &["source", "confidence", "occurrences", "commits", "created", "keywords", "metadata", LEGACY_HASH_KEY];
    let mut out = String::from("---\n");
    let mut keep = true;
    for line in &front {
        if !line.starts_with(' ') && !line.starts_with('-') {
            let key = line.split(':').next().unwrap_or("").trim();
            keep = !PROVENANCE.contains(&key);
        }
        if keep {
            out.push_str(line);
            out.push('\n');
        }
    }
    out.push_str(&provenance.render());
    out.push_str("---\n");

    let heading = body.iter().position(|l| l.trim_end() == "## Example prompts")?;
    let after_heading = body.get(heading + 1..).unwrap_or_default();
    let section_len = after_heading.iter().position(|l| l.starts_with("## ")).unwrap_or(after_heading.len());
    let (section, _) = after_heading.split_at_checked(section_len).unwrap_or((after_heading, &[]));
    let existing_prompts: Vec<String> = section.iter().filter_map(|l| l.strip_prefix("- ")).map(str::to_string).collect();
    let mut additions: Vec<String> = Vec::new();
    for &(i, _) in &new {
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
    let trailing_blanks = section.iter().rev().take_while(|l| l.trim().is_empty()).count();
    let insert_at = heading + 1 + section.len() - trailing_blanks;
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
    use proptest::prelude::*;

    use super::*;

    /// The body's lines: everything after the frontmatter's closing fence.
    fn body_lines(text: &str) -> Vec<&str> {
        text.lines().skip(1).skip_while(|l| *l != "---").skip(1).collect()
    }

    proptest! {
        /// Unquoting, against a char-based reading: a value wrapped in `"` loses the
        /// quotes and its escapes; anything else is only trimmed.
        #[test]
        fn unquote_matches_a_char_based_reading(value in "\\PC{0,12}|[ \"\\\\é]{0,6}") {
            let chars: Vec<char> = value.trim().chars().collect();
            let expected = match chars.as_slice() {
                ['"', inner @ .., '"'] => inner.iter().collect::<String>().replace("\\\"", "\"").replace("\\\\", "\\"),
                _ => chars.iter().collect(),
            };
            prop_assert_eq!(unquote(&value), expected);
        }

        /// Updating an evolved skill with arbitrary new prompts keeps every line of
        /// its body and only inserts `- ` lines at the end of "Example prompts".
        #[test]
        fn update_only_inserts_example_prompts(
            old_prompts in proptest::collection::vec("\\PC{0,30}", 1..4),
            new_prompts in proptest::collection::vec("\\PC{0,400}|[a-z \\n]{0,20}", 1..30),
        ) {
            let mut old = pattern();
            old.prompts = old_prompts.clone();
            old.commits = (0..old_prompts.len()).map(|i| format!("old{i}")).collect();
            old.occurrences = old_prompts.len();
            let original = render_skill(&old, "2026-11-23");
            let mut newer = old.clone();
            newer.commits.extend((0..new_prompts.len()).map(|i| format!("new{i}")));
            newer.prompts.extend(new_prompts.iter().cloned());
            let Some(updated) = update_skill(&original, &newer) else {
                return Err(TestCaseError::fail("new commits but no update"));
            };
            prop_assert_eq!(generation_state(&updated), GenerationState::Unedited);
            let commits_line = updated.lines().find(|l| l.trim_start().starts_with("llmos-commits:")).unwrap_or_default();
            for i in 0..new_prompts.len() {
                let commit = format!("new{i}");
                prop_assert!(commits_line.contains(&commit), "missing {:?}", commit);
            }
            let (before, after) = (body_lines(&original), body_lines(&updated));
            prop_assert!(after.len() >= before.len());
            let inserted = after.len() - before.len();
            let at = before.iter().zip(&after).take_while(|(a, b)| a == b).count();
            prop_assert_eq!(&after[..at], &before[..at]);
            prop_assert_eq!(&after[at + inserted..], &before[at..]);
            let heading = before.iter().position(|l| *l == "## Example prompts").unwrap_or(usize::MAX);
            prop_assert!(at > heading);
            // Right after the section's last non-blank line.
            prop_assert!(!before[at - 1].trim().is_empty());
            prop_assert!(before[at..].iter().take_while(|l| !l.starts_with("## ")).all(|l| l.trim().is_empty()));
            let listed = before[heading..].iter().take_while(|l| *l == &"## Example prompts" || !l.starts_with("## ")).filter(|l| l.starts_with("- ")).count();
            prop_assert!(listed + inserted <= MAX_EXAMPLE_PROMPTS);
            for line in &after[at..at + inserted] {
                let Some(text) = line.strip_prefix("- ") else {
                    return Err(TestCaseError::fail(format!("inserted {line:?}")));
                };
                let stem: String = text.chars().take_while(|c| *c != '…').collect();
                prop_assert!(new_prompts.iter().any(|p| p.split_whitespace().collect::<Vec<_>>().join(" ").starts_with(&stem)), "{:?}", text);
            }
        }

        /// Arbitrary text, frontmatter-shaped or not, is never a reason to panic.
        #[test]
        fn update_of_arbitrary_text_never_panics(
            front in "\\PC{0,40}",
            body in proptest::collection::vec("## Example prompts|## [a-z]{1,5}|- \\PC{0,10}|\\PC{0,20}|", 0..12),
        ) {
            let text = format!("---\n{front}\n---\n{}", body.join("\n"));
            let _ = update_skill(&text, &pattern());
            let sealed = seal(&text);
            let _ = update_skill(&sealed, &pattern());
            let _ = generation_state(&sealed);
        }
    }

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
    fn renders_portable_frontmatter_and_all_sections() {
        let text = render_skill(&pattern(), "2026-11-23");
        assert!(text.starts_with("---\nname: quantum-circuit-design\n"), "{text}");
        assert!(text.contains("description: \"Recurring work on quantum: circuits # and gates; use when asked for a \\\"circuit\\\".\"\nmetadata:\n"));
        assert!(text.contains(
            "  llmos-source: \"evolution\"\n  llmos-confidence: \"0.91\"\n  llmos-occurrences: \"3\"\n  llmos-commits: \"1e10 abc def\"\n  llmos-created: \"2026-11-23\"\n  llmos-keywords: \"quantum, circuit, qubits, bell\"\n  llmos-generated-hash: \""
        ), "{text}");
        // Only the standard keys at the top level.
        let front: Vec<&str> = text.lines().skip(1).take_while(|l| *l != "---").filter(|l| !l.starts_with(' ')).collect();
        assert_eq!(front.iter().map(|l| l.split(':').next().unwrap()).collect::<Vec<_>>(), ["name", "description", "metadata"]);
        for section in ["## Purpose", "## Workflow", "## Example\n", "## Variations", "## Example prompts"] {
            assert!(text.contains(section), "missing {section}");
        }
        // Duplicate prompts are listed once; newlines collapse.
        assert_eq!(text.matches("- design a bell circuit").count(), 1);
        assert!(text.contains("- ghz state on 3 qubits\n"));
        assert!(text.contains("between 2023-11-14 and 2023-11-16 by ada and bob"));
        assert_eq!(generation_state(&text), GenerationState::Unedited);
    }

    #[test]
    fn triple_dashes_never_reach_the_file() {
        let mut p = pattern();
        p.description = "a --- b ---- c; use when".into();
        let text = render_skill(&p, "2026-11-23");
        // The second `---` of the file is the closing fence.
        let second = text.match_indices("---").nth(1).map(|(i, _)| i);
        assert_eq!(second, text.find("\n---\n").map(|i| i + 1), "{text}");
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
        let edited = text.replace("Summarise what", "Then summarise what");
        assert_eq!(generation_state(&edited), GenerationState::Edited);
        assert_eq!(generation_state("---\nname: x\ndescription: y\n---\nbody\n"), GenerationState::NotGenerated);
        assert_eq!(generation_state("no frontmatter"), GenerationState::NotGenerated);
        assert_eq!(generation_state("---\nunclosed"), GenerationState::NotGenerated);
    }

    /// A skill as the previous version wrote it: provenance at the top level.
    fn legacy_skill() -> String {
        let text = "---\nname: quantum-circuit-design\ndescription: \"Circuits; use when asked\"\nsource: evolution\nconfidence: 0.91\noccurrences: 3\ncommits:\n  - \"1e10\"\n  - \"abc\"\n  - \"def\"\ncreated: \"2026-11-23\"\nkeywords:\n  - \"quantum\"\n---\n\n# Quantum\n\n## Example prompts\n\n- design a bell circuit\n";
        // Sealed the old way: a top-level hash line, hashed without itself.
        let hash = content_hash(text);
        text.replacen("\n---\n\n#", &format!("\ngenerated-hash: {hash}\n---\n\n#"), 1)
    }

    #[test]
    fn old_top_level_provenance_is_read_and_rewritten_portably() {
        let old = legacy_skill();
        assert_eq!(generation_state(&old), GenerationState::Unedited);
        assert_eq!(generation_state(&old.replace("# Quantum", "# Quantum!")), GenerationState::Edited);
        let mut newer = pattern();
        newer.commits = vec!["abc".into(), "f00".into()];
        newer.prompts = vec!["design a bell circuit".into(), "build a toffoli circuit".into()];
        let updated = update_skill(&old, &newer).unwrap();
        assert!(
            updated.starts_with("---\nname: quantum-circuit-design\ndescription: \"Circuits; use when asked\"\nmetadata:\n  llmos-source: \"evolution\"\n"),
            "{updated}"
        );
        assert!(
            updated.contains(
                "  llmos-occurrences: \"4\"\n  llmos-commits: \"1e10 abc def f00\"\n  llmos-created: \"2026-11-23\"\n  llmos-keywords: \"quantum\"\n"
            ),
            "{updated}"
        );
        assert!(!updated.contains("\nsource:") && !updated.contains("\ngenerated-hash:"));
        assert!(updated.ends_with("- design a bell circuit\n- build a toffoli circuit\n"), "{updated}");
        assert_eq!(generation_state(&updated), GenerationState::Unedited);
    }

    #[test]
    fn update_adds_new_evidence_only() {
        let original = render_skill(&pattern(), "2026-11-23");
        let mut newer = pattern();
        newer.commits = vec!["abc".into(), "f00".into()];
        newer.prompts = vec!["design a bell circuit".into(), "build a toffoli circuit".into()];
        newer.confidence = 0.95;
        let updated = update_skill(&original, &newer).unwrap();
        assert!(updated.contains("  llmos-occurrences: \"4\"\n"));
        assert!(updated.contains("  llmos-confidence: \"0.95\"\n"));
        assert!(updated.contains("  llmos-commits: \"1e10 abc def f00\"\n"), "{updated}");
        assert!(updated.ends_with("- ghz state on 3 qubits\n- build a toffoli circuit\n"), "{updated}");
        assert_eq!(generation_state(&updated), GenerationState::Unedited);
        // Nothing new, or a person's edits: no update.
        assert_eq!(update_skill(&updated, &newer), None);
        let edited = original.replace("## Variations", "## Variations (mine)");
        assert_eq!(update_skill(&edited, &newer), None);
        assert_eq!(update_skill("not a skill", &newer), None);
    }

    #[test]
    fn distilled_material_is_rendered() {
        use crate::distill::{CodeBlock, WorkedExample};
        let r = |t: &str, n: usize| Recurring { term: t.into(), members: n };
        let material = Material {
            example: Some(WorkedExample {
                prompt: "Plot sales".into(),
                code: Some(CodeBlock { language: "python".into(), name: Some("plot.py".into()), text: "x = 1\n```\n".into() }),
                source: "sessions/a.md".into(),
            }),
            libraries: vec![r("pandas", 3)],
            apis: vec![r("pd.read_csv", 2)],
            file_types: vec![r(".csv", 3)],
            requirements: vec![r("label the axes", 2)],
            errors: vec![(r("KeyError", 2), Some("parse dates".into()))],
            sources: vec!["sessions/a.md".into(), "commit abc".into()],
            members: 3,
            ..Material::default()
        };
        let text =
            render_distilled(&pattern(), &material, Some(&TriggerEval { held_out: 2, true_positives: 1, negatives: 5, false_positives: 0 }), "2026-11-23");
        for want in [
            "- label the axes (2 of 3 sessions)",
            "- Libraries: `pandas` (3 of 3)",
            "- APIs: `pd.read_csv` (2 of 3)",
            "- `KeyError` (2 of 3 sessions); what followed: parse dates",
            "````python artifact=plot.py\nx = 1\n```\n````",
            "- [sessions/a.md](../../sessions/a.md)\n- commit abc\n",
            "  llmos-trigger-precision: \"1.00\"\n  llmos-trigger-recall: \"0.50\"\n",
            "Use `pandas` unless",
        ] {
            assert!(text.contains(want), "missing {want:?} in\n{text}");
        }
        assert_eq!(generation_state(&text), GenerationState::Unedited);
    }
}
