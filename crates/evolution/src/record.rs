//! The engine's input (one session commit) and output (a detected pattern).
//!
//! Reading git history into [`SessionRecord`]s happens elsewhere; this crate only
//! sees plain values, so every stage can be tested without a repository.

use serde::{Deserialize, Serialize};

use crate::distill::{CodeBlock, TraceError};

/// What the engine knows about one session commit.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SessionRecord {
    pub sha: String,
    pub author: String,
    pub email: String,
    /// Commit time, unix seconds.
    pub time: i64,
    pub title: String,
    /// The commit's `Prompt:` first, then other user turns of the session when known.
    pub prompts: Vec<String>,
    /// `(kind, name)` of each artifact the session produced, e.g. `("circuit", "bell.circuit.json")`.
    pub artifacts: Vec<(String, String)>,
    pub traces: usize,
    pub skills: Vec<String>,
    /// The session file inside its volume (`sessions/<id>.md`), when known.
    #[serde(default)]
    pub session_path: Option<String>,
    /// Code blocks of the assistant's replies (size-capped by the reader).
    #[serde(default)]
    pub code: Vec<CodeBlock>,
    /// Error lines the session's traces showed, with what followed.
    #[serde(default)]
    pub errors: Vec<TraceError>,
    /// The assistant's first reply (size-capped): the answer the session accepted,
    /// which `llmos evolve --eval` judges candidate answers against.
    #[serde(default)]
    pub answer: Option<String>,
}

impl SessionRecord {
    /// The prompt shown for this record in reports and example lists.
    pub fn main_prompt(&self) -> &str {
        self.prompts.iter().map(|p| p.trim()).find(|p| !p.is_empty()).unwrap_or(self.title.trim())
    }
}

/// A kind of work seen again and again in the history.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Pattern {
    /// A valid skill name (lowercase letters, digits, single hyphens, 1–64 chars).
    pub name: String,
    /// One sentence: what the work is and when a skill for it applies.
    pub description: String,
    pub occurrences: usize,
    /// 0..=1, see [`crate::confidence`] for how it is computed.
    pub confidence: f64,
    /// Commit SHAs in history order, one per occurrence.
    pub commits: Vec<String>,
    /// Commit times (unix seconds), aligned with `commits`.
    pub times: Vec<i64>,
    /// The main prompt of each occurrence, aligned with `commits`.
    pub prompts: Vec<String>,
    /// Distinct authors, in order of first appearance.
    pub authors: Vec<String>,
    /// Distinct artifact kinds, sorted.
    pub artifact_kinds: Vec<String>,
    pub first_seen: i64,
    pub last_seen: i64,
    /// The most telling words of the pattern, most telling first.
    pub keywords: Vec<String>,
}

impl Pattern {
    /// The prompt that mentions most of the leading keywords (the earliest on
    /// ties): a fair example of the whole pattern.
    pub fn typical_prompt(&self) -> &str {
        let keywords: Vec<String> = self.keywords.iter().take(5).map(|k| k.to_lowercase()).collect();
        let mut best: Option<(&str, usize)> = None;
        for prompt in &self.prompts {
            let lower = prompt.to_lowercase();
            let score = keywords.iter().filter(|k| lower.contains(k.as_str())).count();
            if best.is_none_or(|(_, s)| score > s) {
                best = Some((prompt, score));
            }
        }
        best.map(|(p, _)| p).unwrap_or("")
    }

    /// Builds a pattern's evidence fields from the records it covers; `name`,
    /// `description`, `confidence` and `keywords` come from the detector.
    pub(crate) fn from_members(
        records: &[SessionRecord],
        members: &[usize],
        name: String,
        description: String,
        confidence: f64,
        keywords: Vec<String>,
    ) -> Pattern {
        let mut commits = Vec::with_capacity(members.len());
        let mut times = Vec::with_capacity(members.len());
        let mut prompts = Vec::with_capacity(members.len());
        let mut authors: Vec<String> = Vec::new();
        let mut kinds: Vec<String> = Vec::new();
        for &i in members {
            let Some(record) = records.get(i) else {
                continue;
            };
            commits.push(record.sha.clone());
            times.push(record.time);
            prompts.push(record.main_prompt().to_string());
            if !authors.iter().any(|a| a == &record.author) {
                authors.push(record.author.clone());
            }
            for (kind, _) in &record.artifacts {
                if !kinds.iter().any(|k| k == kind) {
                    kinds.push(kind.clone());
                }
            }
        }
        kinds.sort();
        Pattern {
            name,
            description,
            occurrences: commits.len(),
            confidence,
            first_seen: times.iter().copied().min().unwrap_or(0),
            last_seen: times.iter().copied().max().unwrap_or(0),
            commits,
            times,
            prompts,
            authors,
            artifact_kinds: kinds,
            keywords,
        }
    }
}
