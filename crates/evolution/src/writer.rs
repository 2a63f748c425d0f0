//! The LLM's part in writing and judging skills, as pure prompt builders and strict
//! parsers (sending is the caller's job):
//! - [`build_body_prompt`] / [`parse_body`]: with an LLM configured, the model writes
//!   the skill body from the same extracted [`Material`] the offline writer uses (not
//!   from prompts alone); the answer is checked here and the whole skill is linted by
//!   the caller like any other;
//! - [`build_judge_prompt`] / [`parse_verdict`]: `llmos evolve --eval` answers held-out
//!   prompts with and without the skill and asks the model which answer is closer to
//!   the one the session accepted (skill-creator style).

use crate::distill::Material;
use crate::record::Pattern;

/// The most a written body may hold (characters); skills load into context.
pub const MAX_BODY_CHARS: usize = 12_000;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WriterError {
    #[error("the model's skill body is empty")]
    Empty,
    #[error("the model's skill body is {0} characters; at most {MAX_BODY_CHARS} are allowed")]
    TooLong(usize),
    #[error("the model's skill body contains a session turn marker")]
    TurnMarker,
    #[error("the model's verdict is neither A, B nor TIE (it starts: {0:?})")]
    NoVerdict(String),
}

fn list(items: &[crate::distill::Recurring], n: usize) -> String {
    items.iter().map(|r| format!("{} ({} of {n} sessions)", r.term, r.members)).collect::<Vec<_>>().join("; ")
}

/// The prompt asking the model to write a skill body from the material.
pub fn build_body_prompt(pattern: &Pattern, material: &Material) -> String {
    let n = material.members.max(pattern.occurrences);
    let mut out = format!(
        "Write the Markdown body of an Agent Skill named `{}`.\nWhat it is for: {}\n\nIt was distilled from {n} past sessions. What recurred across them:\n",
        pattern.name, pattern.description
    );
    for (label, items) in [
        ("Libraries", &material.libraries),
        ("APIs", &material.apis),
        ("Commands", &material.commands),
        ("File types", &material.file_types),
        ("Requirements users repeated in follow-ups", &material.requirements),
    ] {
        if !items.is_empty() {
            out.push_str(&format!("- {label}: {}\n", list(items, n)));
        }
    }
    for (e, fix) in &material.errors {
        out.push_str(&format!(
            "- Error seen in {} of {n} sessions: {}{}\n",
            e.members,
            e.term,
            fix.as_ref().map(|f| format!(" — what followed: {f}")).unwrap_or_default()
        ));
    }
    if let Some(example) = &material.example {
        out.push_str(&format!("\nOne session, as a worked example (its specifics are not rules):\nRequest: {}\n", example.prompt));
        if let Some(code) = &example.code {
            out.push_str(&format!("Code:\n```{}\n{}\n```\n", code.language, code.text));
        }
    }
    out.push_str(
        "\nWrite: a `## Workflow` of numbered steps, the recurring requirements and errors as checks, and a short worked example. \
         State as rules only what recurred above; never turn a detail of the single example into a rule. \
         No frontmatter, no title line, at most 150 lines. Answer with the Markdown only.\n",
    );
    out
}

/// Checks the model's body: fences around the whole answer and a frontmatter block are
/// removed; empty, over-long or turn-marker-carrying answers are refused.
pub fn parse_body(text: &str) -> Result<String, WriterError> {
    let mut body = text.trim();
    if let Some(inner) = body.strip_prefix("```markdown").or_else(|| body.strip_prefix("```md")).and_then(|b| b.trim_end().strip_suffix("```")) {
        body = inner.trim();
    }
    if let Some(rest) = body.strip_prefix("---\n")
        && let Some((_, after)) = rest.split_once("\n---")
    {
        body = after.trim();
    }
    // A title line would duplicate the one the renderer writes.
    if body.starts_with("# ") {
        body = body.split_once('\n').map_or("", |(_, rest)| rest).trim();
    }
    if body.is_empty() {
        return Err(WriterError::Empty);
    }
    let chars = body.chars().count();
    if chars > MAX_BODY_CHARS {
        return Err(WriterError::TooLong(chars));
    }
    if body.lines().any(|l| l.trim_start().starts_with("<!-- turn")) {
        return Err(WriterError::TurnMarker);
    }
    Ok(body.to_string())
}

/// Which answer the judge preferred.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    A,
    B,
    Tie,
}

/// The judge prompt: which of two answers is closer to the accepted one.
pub fn build_judge_prompt(request: &str, accepted: &str, a: &str, b: &str) -> String {
    format!(
        "A user asked:\n{request}\n\nThe answer the user accepted:\n{accepted}\n\nCandidate A:\n{a}\n\nCandidate B:\n{b}\n\n\
         Which candidate is closer in substance to the accepted answer (same approach, same requirements met)? \
         Answer with one word: A, B or TIE.\n"
    )
}

/// Parses the judge's answer: its first word must be A, B or TIE.
pub fn parse_verdict(text: &str) -> Result<Verdict, WriterError> {
    let first: String = text.trim().trim_start_matches(['*', '"', '\'', '`']).chars().take_while(|c| c.is_ascii_alphabetic()).collect();
    match first.to_ascii_uppercase().as_str() {
        "A" => Ok(Verdict::A),
        "B" => Ok(Verdict::B),
        "TIE" => Ok(Verdict::Tie),
        _ => Err(WriterError::NoVerdict(text.chars().take(40).collect())),
    }
}

/// Characters to tokens, estimated (4 characters a token): the ask interface returns
/// text only, so the report says "estimated".
pub fn estimated_tokens(chars: usize) -> usize {
    chars.div_ceil(4)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bodies_are_cleaned_and_checked() {
        assert_eq!(parse_body("```markdown\n# T\n## Workflow\n1. a\n```").unwrap(), "## Workflow\n1. a");
        assert_eq!(parse_body("---\nname: x\n---\n## W\n").unwrap(), "## W");
        assert_eq!(parse_body("  "), Err(WriterError::Empty));
        assert_eq!(parse_body("x\n<!-- turn: user -->\ny"), Err(WriterError::TurnMarker));
        assert!(matches!(parse_body(&"é".repeat(MAX_BODY_CHARS + 1)), Err(WriterError::TooLong(_))));
    }

    #[test]
    fn verdicts() {
        assert_eq!(parse_verdict("A"), Ok(Verdict::A));
        assert_eq!(parse_verdict("**B** because"), Ok(Verdict::B));
        assert_eq!(parse_verdict("tie."), Ok(Verdict::Tie));
        assert!(parse_verdict("Candidate A").is_err());
        assert!(parse_verdict("").is_err());
    }
}
