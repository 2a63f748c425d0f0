//! The context-memory commit message (docs/design.md §3.3): render it from plain
//! data, parse it back, and skip every commit that is not a session.
//!
//! The message is both for people (`git log`) and for the evolution engine,
//! so rendering normalises its input until the text can only be read back one
//! way: a title, prompt, artifact or trailer value never spans lines, never
//! holds control characters (git would cut a message at NUL), and an artifact
//! kind never holds the `:` that separates it from the name. [`normalised`]
//! states those rules; `parse(render(m)) == ParsedCommit::from(normalised(m))`.
//!
//! The parser also reads the seed's documented format (any `- TYPE: NAME`
//! artifact line, no trailers) and LLMos-Lite's footer `🤖 LLMunix Context
//! Memory`; on a malformed body it keeps what it can read and counts what is
//! missing as 0. It never panics.

use serde::Serialize;

/// Longest `Prompt:` line, in chars, after whitespace is collapsed.
pub const PROMPT_MAX_CHARS: usize = 500;

const SESSION_SUBJECT: &str = "session:";
const FOOTER: &str = "🤖 LLMos Context Memory";
const LEGACY_FOOTER: &str = "🤖 LLMunix Context Memory";
const TRAILER_SESSION: &str = "LLMos-Session";
const TRAILER_SKILLS: &str = "LLMos-Skills";
const TRAILER_MODEL: &str = "LLMos-Model";

/// An artifact a session produced or linked, as written in `Artifacts:`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ArtifactRef {
    /// `code`, `quantum-circuit`, `plot`, … (docs/design.md §3.2); any word is read back.
    #[serde(rename = "type")]
    pub kind: String,
    pub name: String,
}

/// The tokens a session's replies used, as recorded on its assistant markers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
pub struct TokenStats {
    pub input: u64,
    pub output: u64,
}

/// What a session commit remembers: the input of [`render`].
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ContextMemory {
    pub title: String,
    /// The first user turn, any length and layout; rendering collapses and cuts it.
    pub prompt: String,
    /// Number of turns in the transcript.
    pub messages: usize,
    pub artifacts: Vec<ArtifactRef>,
    pub traces: usize,
    /// The session id (`LLMos-Session` trailer); empty means none.
    pub session: String,
    pub skills: Vec<String>,
    pub model: Option<String>,
    /// The `- N tokens in, M tokens out` stat; `None` when no reply recorded usage.
    pub tokens: Option<TokenStats>,
}

/// Which footer a session commit carried.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Footer {
    /// `🤖 LLMos Context Memory`, written by llmos.
    Llmos,
    /// `🤖 LLMunix Context Memory`, written by LLMos-Lite.
    Llmunix,
    /// No footer: a hand-written or truncated session commit.
    Missing,
}

/// A session commit read back from its message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ParsedCommit {
    pub title: String,
    pub prompt: String,
    pub messages: usize,
    /// The `- N artifacts generated` stat; the length of `artifacts` when the
    /// stat is missing. Legacy commits may count more than they list.
    pub artifacts_generated: usize,
    pub artifacts: Vec<ArtifactRef>,
    pub traces: usize,
    /// `None` for commits without the `LLMos-Session` trailer (the seed's format).
    pub session: Option<String>,
    pub skills: Vec<String>,
    pub model: Option<String>,
    /// Tokens used by the session's replies, when the message says.
    pub tokens: Option<TokenStats>,
    pub footer: Footer,
}

impl From<ContextMemory> for ParsedCommit {
    /// What parsing the rendered message of `memory` yields; `memory` must
    /// already be [`normalised`].
    fn from(memory: ContextMemory) -> Self {
        ParsedCommit {
            title: memory.title,
            prompt: memory.prompt,
            messages: memory.messages,
            artifacts_generated: memory.artifacts.len(),
            artifacts: memory.artifacts,
            traces: memory.traces,
            session: Some(memory.session).filter(|session| !session.is_empty()),
            skills: memory.skills,
            model: memory.model,
            tokens: memory.tokens,
            footer: Footer::Llmos,
        }
    }
}

/// The rules [`render`] applies so that the message reads back one way:
/// - title, session id, model, artifact kinds and names: whitespace and control
///   characters collapse to single spaces, ends trimmed;
/// - prompt: the same, then cut at [`PROMPT_MAX_CHARS`] chars (on a char
///   boundary) and trimmed again;
/// - artifact kind: `:` becomes `-` (the colon ends the kind);
/// - skills: `,` becomes a space (the comma separates skills), empty ones dropped;
/// - model: empty becomes `None`.
pub fn normalised(memory: &ContextMemory) -> ContextMemory {
    let mut prompt: String = one_line(&memory.prompt).chars().take(PROMPT_MAX_CHARS).collect();
    prompt.truncate(prompt.trim_end().len());
    ContextMemory {
        title: one_line(&memory.title),
        prompt,
        messages: memory.messages,
        artifacts: memory
            .artifacts
            .iter()
            .map(|artifact| ArtifactRef { kind: one_line(&artifact.kind.replace(':', "-")), name: one_line(&artifact.name) })
            .collect(),
        traces: memory.traces,
        session: one_line(&memory.session),
        skills: memory.skills.iter().map(|skill| one_line(&skill.replace(',', " "))).filter(|skill| !skill.is_empty()).collect(),
        model: memory.model.as_deref().map(one_line).filter(|model| !model.is_empty()),
        tokens: memory.tokens,
    }
}

/// The full commit message for a session commit, ending with a newline.
pub fn render(memory: &ContextMemory) -> String {
    use std::fmt::Write as _;

    let memory = normalised(memory);
    let mut out = String::with_capacity(256 + memory.prompt.len());
    // Writing into a String cannot fail; the results are ignored on purpose.
    let _ = writeln!(out, "{SESSION_SUBJECT} {}", memory.title);
    let _ = writeln!(out);
    let _ = writeln!(out, "Prompt: {}", memory.prompt);
    let _ = writeln!(out);
    let _ = writeln!(out, "Stats:");
    let _ = writeln!(out, "- {} messages", memory.messages);
    let _ = writeln!(out, "- {} artifacts generated", memory.artifacts.len());
    let _ = writeln!(out, "- {} traces executed", memory.traces);
    if let Some(tokens) = memory.tokens {
        let _ = writeln!(out, "- {} tokens in, {} tokens out", tokens.input, tokens.output);
    }
    if !memory.artifacts.is_empty() {
        let _ = writeln!(out);
        let _ = writeln!(out, "Artifacts:");
        for artifact in &memory.artifacts {
            let _ = writeln!(out, "- {}: {}", artifact.kind, artifact.name);
        }
    }
    let _ = writeln!(out);
    let _ = writeln!(out, "{FOOTER}");
    let mut trailers = Vec::new();
    if !memory.session.is_empty() {
        trailers.push(format!("{TRAILER_SESSION}: {}", memory.session));
    }
    if !memory.skills.is_empty() {
        trailers.push(format!("{TRAILER_SKILLS}: {}", memory.skills.join(", ")));
    }
    if let Some(model) = &memory.model {
        trailers.push(format!("{TRAILER_MODEL}: {model}"));
    }
    if !trailers.is_empty() {
        let _ = writeln!(out);
        for trailer in trailers {
            let _ = writeln!(out, "{trailer}");
        }
    }
    out
}

/// Message of a commit that writes an evolved skill:
/// `skill: NAME (evolved from N sessions, P%)`.
pub fn render_skill_subject(name: &str, sessions: usize, confidence: f64) -> String {
    let percent = (confidence.clamp(0.0, 1.0) * 100.0).round();
    format!("skill: {} (evolved from {sessions} sessions, {percent}%)\n", one_line(name))
}

/// Message of a commit that promotes a skill: `promote: NAME from A to B`.
pub fn render_promotion_subject(name: &str, from_volume: &str, to_volume: &str) -> String {
    format!("promote: {} from {} to {}\n", one_line(name), one_line(from_volume), one_line(to_volume))
}

/// True when the message's subject marks a session commit; cheap enough to
/// filter a long history before parsing.
pub fn is_session_message(message: &str) -> bool {
    subject_line(message).starts_with(SESSION_SUBJECT)
}

/// Reads a session commit message; `None` when the subject is not `session: …`
/// (skills, promotions, merges, plain commits).
pub fn parse(message: &str) -> Option<ParsedCommit> {
    let mut lines = message.lines().skip_while(|line| line.trim().is_empty());
    let title = lines.next()?.trim().strip_prefix(SESSION_SUBJECT)?.trim().to_owned();

    let mut parsed = ParsedCommit {
        title,
        prompt: String::new(),
        messages: 0,
        artifacts_generated: 0,
        artifacts: Vec::new(),
        traces: 0,
        session: None,
        skills: Vec::new(),
        model: None,
        tokens: None,
        footer: Footer::Missing,
    };
    let mut artifacts_stat = None;
    let mut section = Section::None;
    let mut seen_prompt = false;

    for line in lines {
        let line = line.trim();
        if line.is_empty() {
            section = Section::None;
            continue;
        }
        if !seen_prompt && let Some(prompt) = line.strip_prefix("Prompt:") {
            parsed.prompt = prompt.trim().to_owned();
            seen_prompt = true;
            section = Section::Prompt;
            continue;
        }
        match line {
            "Stats:" => {
                section = Section::Stats;
                continue;
            }
            "Artifacts:" => {
                section = Section::Artifacts;
                continue;
            }
            FOOTER => {
                parsed.footer = Footer::Llmos;
                section = Section::None;
                continue;
            }
            LEGACY_FOOTER => {
                parsed.footer = Footer::Llmunix;
                section = Section::None;
                continue;
            }
            _ => {}
        }
        if let Some((key, value)) = trailer(line) {
            let known = if key.eq_ignore_ascii_case(TRAILER_SESSION) {
                parsed.session = Some(value.to_owned()).filter(|value| !value.is_empty());
                true
            } else if key.eq_ignore_ascii_case(TRAILER_SKILLS) {
                parsed.skills = value.split(',').map(str::trim).filter(|skill| !skill.is_empty()).map(str::to_owned).collect();
                true
            } else if key.eq_ignore_ascii_case(TRAILER_MODEL) {
                parsed.model = Some(value.to_owned()).filter(|value| !value.is_empty());
                true
            } else {
                false
            };
            if known {
                section = Section::None;
                continue;
            }
        }
        match section {
            // Hand-written prompts may wrap; our own are one line.
            Section::Prompt => {
                parsed.prompt.push(' ');
                parsed.prompt.push_str(line);
            }
            Section::Stats => read_stat(line, &mut parsed, &mut artifacts_stat),
            Section::Artifacts => {
                if let Some(artifact) = read_artifact(line) {
                    parsed.artifacts.push(artifact);
                }
            }
            Section::None => {}
        }
    }
    parsed.artifacts_generated = artifacts_stat.unwrap_or(parsed.artifacts.len());
    Some(parsed)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Section {
    None,
    Prompt,
    Stats,
    Artifacts,
}

fn subject_line(message: &str) -> &str {
    message.lines().find(|line| !line.trim().is_empty()).unwrap_or("").trim()
}

/// `- 12 messages`, `- 3 artifacts generated`, `- 8 traces executed`; the
/// noun decides, so `- 1 message` and `- 2 traces` are read too.
fn read_stat(line: &str, parsed: &mut ParsedCommit, artifacts_stat: &mut Option<usize>) {
    let Some(rest) = line.strip_prefix('-') else {
        return;
    };
    let mut words = rest.split_whitespace();
    let (Some(count), Some(noun)) = (words.next(), words.next()) else {
        return;
    };
    let noun = noun.to_ascii_lowercase();
    if noun.starts_with("token") {
        // `- N tokens in, M tokens out`
        let input = count.parse::<u64>().ok();
        let output = words.find_map(|w| w.parse::<u64>().ok());
        if let (Some(input), Some(output)) = (input, output) {
            parsed.tokens = Some(TokenStats { input, output });
        }
        return;
    }
    let Ok(count) = count.parse::<usize>() else {
        return;
    };
    if noun.starts_with("message") {
        parsed.messages = count;
    } else if noun.starts_with("artifact") {
        *artifacts_stat = Some(count);
    } else if noun.starts_with("trace") {
        parsed.traces = count;
    }
}

/// `- KIND: NAME`; the first colon ends the kind.
fn read_artifact(line: &str) -> Option<ArtifactRef> {
    let (kind, name) = line.strip_prefix('-')?.split_once(':')?;
    Some(ArtifactRef { kind: kind.trim().to_owned(), name: name.trim().to_owned() })
}

/// A git trailer line `Key: value` whose key is one token of letters, digits
/// and hyphens.
fn trailer(line: &str) -> Option<(&str, &str)> {
    let (key, value) = line.split_once(':')?;
    let is_token = !key.is_empty() && key.chars().all(|c| c.is_ascii_alphanumeric() || c == '-');
    is_token.then(|| (key, value.trim()))
}

/// Whitespace and control characters collapse to single spaces; ends trimmed.
fn one_line(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for word in text.split(|c: char| c.is_whitespace() || c.is_control()).filter(|word| !word.is_empty()) {
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(word);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_line_collapses_controls_and_newlines() {
        assert_eq!(one_line("  a\r\n\tb\u{0}c\u{2028}d  "), "a b c d");
        assert_eq!(one_line("\n\n"), "");
    }

    #[test]
    fn prompt_is_cut_on_a_char_boundary() {
        let memory = ContextMemory { prompt: "é".repeat(PROMPT_MAX_CHARS + 20), ..ContextMemory::default() };
        assert_eq!(normalised(&memory).prompt.chars().count(), PROMPT_MAX_CHARS);
    }

    #[test]
    fn trailer_needs_a_token_key() {
        assert_eq!(trailer("LLMos-Session: x"), Some(("LLMos-Session", "x")));
        assert_eq!(trailer("- code: x"), None);
        assert_eq!(trailer("two words: x"), None);
    }
}
