//! Prompts for LLM-based detection (`llm`) and naming (`hybrid`), and strict
//! parsing of the model's answers. Pure functions: sending the prompt is the
//! caller's job, so this module knows nothing of providers or the network.
//!
//! A model may wrap its JSON in prose or a ```json fence; the parser finds the
//! object, validates it against the schema and reports precisely what is wrong,
//! so that the caller can retry once and then fall back to local detection.

use std::ops::Range;

use serde_json::Value;

use crate::record::{Pattern, SessionRecord};
use crate::slug::slugify;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DetectError {
    #[error("the response contains no JSON object (it starts: {start:?})")]
    NoJson { start: String },
    #[error("the response's JSON is malformed: {0}")]
    MalformedJson(String),
    #[error("the response does not match the schema: {0}")]
    Schema(String),
}

/// A pattern as proposed by the model, validated.
#[derive(Debug, Clone, PartialEq)]
pub struct LlmPattern {
    /// A valid skill name made from the model's name.
    pub name: String,
    pub description: String,
    /// 0-based indices into the records of the batch, sorted, distinct.
    pub prompt_indices: Vec<usize>,
    pub confidence: f64,
}

/// Longest prompt text shown per record; long prompts are cut at a char boundary.
const PROMPT_CHARS: usize = 400;

fn one_line(text: &str, max_chars: usize) -> String {
    let collapsed: String = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if collapsed.chars().count() <= max_chars {
        return collapsed;
    }
    let cut: String = collapsed.chars().take(max_chars).collect();
    format!("{cut}…")
}

/// The seed's detection prompt: the records' prompts as a numbered list (1-based),
/// each with its artifact kinds, and the JSON shape to answer with.
pub fn build_detection_prompt(records: &[SessionRecord]) -> String {
    let mut out = format!("Analyze these {} prompts and identify recurring patterns.\n\nPrompts:\n", records.len());
    for (i, record) in records.iter().enumerate() {
        let mut text = one_line(record.main_prompt(), PROMPT_CHARS);
        let others: Vec<String> = record.prompts.iter().skip(1).filter(|p| !p.trim().is_empty()).take(2).map(|p| one_line(p, PROMPT_CHARS / 2)).collect();
        if !others.is_empty() {
            text.push_str(&format!(" (then: {})", others.join(" / ")));
        }
        let mut kinds: Vec<&str> = record.artifacts.iter().map(|(k, _)| k.as_str()).collect();
        kinds.sort_unstable();
        kinds.dedup();
        if !kinds.is_empty() {
            text.push_str(&format!(" [artifacts: {}]", kinds.join(", ")));
        }
        out.push_str(&format!("{}. {}\n", i + 1, text));
    }
    out.push_str(
        "\nFor each pattern give:\n\
         - name: 3-5 words\n\
         - description: 1 sentence saying what the work is and when it applies\n\
         - promptIndices: the numbers of the prompts that belong to it, as listed above\n\
         - confidence: 0 to 1\n\
         \n\
         Focus on: similar domains, workflows, artifact types. A prompt seen only once is not a pattern.\n\
         Return JSON: {patterns: [{name, description, promptIndices, confidence}]}\n\
         Answer with the JSON object only.\n",
    );
    out
}

/// Splits a history into consecutive batches of at most `max_prompts` records
/// (at least one per batch).
pub fn batches(records: &[SessionRecord], max_prompts: usize) -> Vec<Range<usize>> {
    let size = max_prompts.max(1);
    (0..records.len()).step_by(size).map(|start| start..(start + size).min(records.len())).collect()
}

/// Finds the JSON object in a model's answer: inside a ```json (or bare ```)
/// fence if there is one, else the first balanced `{…}`.
fn extract_json(text: &str) -> Result<&str, DetectError> {
    let mut rest = text;
    while let Some((_, after_ticks)) = rest.split_once("```") {
        // The fence's info string (`json`) ends at the first newline.
        let body_start = after_ticks.split_once('\n').map_or(after_ticks, |(_, body)| body);
        let Some((body, after_close)) = body_start.split_once("```") else {
            break;
        };
        if let Some(object) = balanced_object(body) {
            return Ok(object);
        }
        rest = after_close;
    }
    balanced_object(text).ok_or_else(|| DetectError::NoJson { start: text.trim().chars().take(60).collect() })
}

/// The first `{…}` whose braces balance, ignoring braces inside JSON strings.
fn balanced_object(text: &str) -> Option<&str> {
    let (_, object) = text.split_at_checked(text.find('{')?)?;
    let (mut depth, mut in_string, mut escaped) = (0usize, false, false);
    for (offset, c) in object.char_indices() {
        if in_string {
            match c {
                _ if escaped => escaped = false,
                '\\' => escaped = true,
                '"' => in_string = false,
                _ => {}
            }
            continue;
        }
        match c {
            '"' => in_string = true,
            '{' => depth += 1,
            '}' => {
                depth -= 1;
                if depth == 0 {
                    // `}` is one byte, so `offset + 1` is a char boundary.
                    return object.get(..offset + 1);
                }
            }
            _ => {}
        }
    }
    // Unbalanced: hand the rest to the JSON parser so its error says where.
    Some(object)
}

fn parse_object(text: &str) -> Result<serde_json::Map<String, Value>, DetectError> {
    let json = extract_json(text)?;
    match serde_json::from_str::<Value>(json) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(_) => Err(DetectError::Schema("the top level is not an object".into())),
        Err(e) => Err(DetectError::MalformedJson(e.to_string())),
    }
}

fn string_field(map: &serde_json::Map<String, Value>, key: &str, at: &str) -> Result<String, DetectError> {
    match map.get(key) {
        Some(Value::String(s)) if !s.trim().is_empty() => Ok(s.trim().to_string()),
        Some(Value::String(_)) => Err(DetectError::Schema(format!("{at}: \"{key}\" is empty"))),
        Some(_) => Err(DetectError::Schema(format!("{at}: \"{key}\" is not a string"))),
        None => Err(DetectError::Schema(format!("{at}: \"{key}\" is missing"))),
    }
}

fn slug_field(map: &serde_json::Map<String, Value>, at: &str) -> Result<String, DetectError> {
    let raw = string_field(map, "name", at)?;
    slugify(&raw).ok_or_else(|| DetectError::Schema(format!("{at}: name {raw:?} gives no valid skill name")))
}

/// Parses and validates a detection answer for a batch of `n_prompts` records.
/// Indices in the answer are 1-based as in the prompt and come back 0-based.
pub fn parse_detection_response(text: &str, n_prompts: usize) -> Result<Vec<LlmPattern>, DetectError> {
    let map = parse_object(text)?;
    let Some(list) = map.get("patterns") else {
        return Err(DetectError::Schema("\"patterns\" is missing".into()));
    };
    let Value::Array(items) = list else {
        return Err(DetectError::Schema("\"patterns\" is not an array".into()));
    };
    let mut patterns = Vec::with_capacity(items.len());
    for (k, item) in items.iter().enumerate() {
        let at = format!("patterns[{k}]");
        let Value::Object(fields) = item else {
            return Err(DetectError::Schema(format!("{at} is not an object")));
        };
        let name = slug_field(fields, &at)?;
        let description = string_field(fields, "description", &at)?;
        let Some(Value::Array(raw_indices)) = fields.get("promptIndices") else {
            return Err(DetectError::Schema(format!("{at}: \"promptIndices\" is missing or not an array")));
        };
        let mut prompt_indices = Vec::with_capacity(raw_indices.len());
        for raw in raw_indices {
            // Models sometimes quote numbers; "3" means 3, "three" means nothing.
            let index = match raw {
                Value::String(text) => text.trim().parse::<u64>().ok(),
                other => other.as_u64(),
            }
            .ok_or_else(|| DetectError::Schema(format!("{at}: prompt index {raw} is not a positive integer")))?;
            if index == 0 || index > n_prompts as u64 {
                return Err(DetectError::Schema(format!("{at}: prompt index {index} is outside 1..={n_prompts}")));
            }
            prompt_indices.push(index as usize - 1);
        }
        prompt_indices.sort_unstable();
        prompt_indices.dedup();
        if prompt_indices.is_empty() {
            return Err(DetectError::Schema(format!("{at}: \"promptIndices\" is empty")));
        }
        let confidence = match fields.get("confidence").and_then(Value::as_f64) {
            Some(c) if (0.0..=1.0).contains(&c) => c,
            Some(c) => {
                return Err(DetectError::Schema(format!("{at}: confidence {c} is outside 0..1")));
            }
            None => {
                return Err(DetectError::Schema(format!("{at}: \"confidence\" is missing or not a number")));
            }
        };
        patterns.push(LlmPattern { name, description, prompt_indices, confidence });
    }
    Ok(patterns)
}

/// Maps a model's pattern back to the commits of its batch (`records` is the
/// batch the prompt was built from). Indices outside the batch are ignored.
pub fn pattern_from_llm(records: &[SessionRecord], llm: &LlmPattern) -> Pattern {
    let members: Vec<usize> = llm.prompt_indices.iter().copied().filter(|&i| i < records.len()).collect();
    let keywords = llm.name.split('-').map(str::to_string).collect();
    Pattern::from_members(records, &members, llm.name.clone(), llm.description.clone(), llm.confidence, keywords)
}

/// Joins patterns that different batches reported under the same name: their
/// evidence is concatenated in the given order and confidence is averaged,
/// weighted by occurrences. Order of first appearance is kept.
pub fn merge_batch_patterns(patterns: Vec<Pattern>) -> Vec<Pattern> {
    let mut merged: Vec<Pattern> = Vec::new();
    for p in patterns {
        let Some(existing) = merged.iter_mut().find(|m| m.name == p.name) else {
            merged.push(p);
            continue;
        };
        let total = (existing.occurrences + p.occurrences).max(1) as f64;
        existing.confidence = (existing.confidence * existing.occurrences as f64 + p.confidence * p.occurrences as f64) / total;
        existing.occurrences += p.occurrences;
        existing.first_seen = if existing.commits.is_empty() { p.first_seen } else { existing.first_seen.min(p.first_seen) };
        existing.last_seen = existing.last_seen.max(p.last_seen);
        existing.commits.extend(p.commits);
        existing.times.extend(p.times);
        existing.prompts.extend(p.prompts);
        for author in p.authors {
            if !existing.authors.contains(&author) {
                existing.authors.push(author);
            }
        }
        for kind in p.artifact_kinds {
            if !existing.artifact_kinds.contains(&kind) {
                existing.artifact_kinds.push(kind);
            }
        }
        existing.artifact_kinds.sort();
    }
    merged
}

/// Examples shown to the model when naming a local cluster.
const NAMING_EXAMPLES: usize = 12;

/// The `hybrid` prompt: a locally found cluster, to be named and described.
pub fn build_naming_prompt(cluster: &Pattern) -> String {
    let mut out = format!("These {} prompts were found to be the same kind of recurring work.\n\nPrompts:\n", cluster.occurrences);
    for (i, prompt) in cluster.prompts.iter().take(NAMING_EXAMPLES).enumerate() {
        out.push_str(&format!("{}. {}\n", i + 1, one_line(prompt, PROMPT_CHARS)));
    }
    if !cluster.keywords.is_empty() {
        out.push_str(&format!("\nTelling words: {}\n", cluster.keywords.join(", ")));
    }
    if !cluster.artifact_kinds.is_empty() {
        out.push_str(&format!("Artifacts produced: {}\n", cluster.artifact_kinds.join(", ")));
    }
    out.push_str(
        "\nName this kind of work for a reusable skill:\n\
         - name: 2-5 words, lowercase, joined by hyphens (e.g. quantum-circuit-design)\n\
         - description: 1 sentence saying what the work is and when to use the skill\n\
         Return JSON: {name, description}\n\
         Answer with the JSON object only.\n",
    );
    out
}

/// A name and description proposed by the model for a local cluster.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PatternNaming {
    pub name: String,
    pub description: String,
}

/// Parses and validates a naming answer.
pub fn parse_naming_response(text: &str) -> Result<PatternNaming, DetectError> {
    let map = parse_object(text)?;
    let name = slug_field(&map, "answer")?;
    let description = string_field(&map, "description", "answer")?;
    if description.chars().count() > 1024 {
        return Err(DetectError::Schema("answer: description is longer than 1024 characters".into()));
    }
    Ok(PatternNaming { name, description })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn records(prompts: &[&str]) -> Vec<SessionRecord> {
        prompts
            .iter()
            .enumerate()
            .map(|(i, p)| SessionRecord {
                sha: format!("sha{i}"),
                author: "ada".into(),
                time: i as i64,
                prompts: vec![p.to_string()],
                ..SessionRecord::default()
            })
            .collect()
    }

    #[test]
    fn prompt_numbers_records_from_one() {
        let mut rs = records(&["plot sales\nby month", "make a bell circuit"]);
        rs[1].artifacts.push(("circuit".into(), "bell.circuit.json".into()));
        let prompt = build_detection_prompt(&rs);
        assert!(prompt.starts_with("Analyze these 2 prompts"));
        assert!(prompt.contains("1. plot sales by month\n"));
        assert!(prompt.contains("2. make a bell circuit [artifacts: circuit]\n"));
        assert!(prompt.contains("Return JSON: {patterns: [{name, description, promptIndices, confidence}]}"));
    }

    #[test]
    fn batches_cover_everything_once() {
        let rs = records(&["a"; 7]);
        assert_eq!(batches(&rs, 3), vec![0..3, 3..6, 6..7]);
        assert_eq!(batches(&rs, 0).len(), 7);
        assert!(batches(&[], 5).is_empty());
    }

    #[test]
    fn parses_fenced_json_in_prose() {
        let text = "Sure! Here you go:\n```json\n{\"patterns\": [{\"name\": \"Quantum Circuit Design\", \
                    \"description\": \"Designing circuits {with braces}.\", \"promptIndices\": [3, 1, 1], \
                    \"confidence\": 0.9}]}\n```\nHope this helps.";
        let patterns = parse_detection_response(text, 3).unwrap();
        assert_eq!(patterns.len(), 1);
        assert_eq!(patterns[0].name, "quantum-circuit-design");
        assert_eq!(patterns[0].prompt_indices, vec![0, 2]);
        let quoted = r#"{"patterns": [{"name": "x", "description": "d", "promptIndices": ["2", 1], "confidence": 0.5}]}"#;
        assert_eq!(parse_detection_response(quoted, 2).unwrap()[0].prompt_indices, vec![0, 1]);
        let bare = "The answer is {\"patterns\": []} as requested";
        assert!(parse_detection_response(bare, 0).unwrap().is_empty());
    }

    #[test]
    fn rejects_bad_answers_clearly() {
        let cases = [
            ("I could not find any patterns.", "no JSON object"),
            ("{\"patterns\": [", "malformed"),
            ("{\"pattern\": []}", "\"patterns\" is missing"),
            ("{\"patterns\": {}}", "not an array"),
            ("{\"patterns\": [{\"name\": \"x\", \"description\": \"d\", \"promptIndices\": [0], \"confidence\": 0.5}]}", "outside 1..=2"),
            ("{\"patterns\": [{\"name\": \"x\", \"description\": \"d\", \"promptIndices\": [3], \"confidence\": 0.5}]}", "outside 1..=2"),
            ("{\"patterns\": [{\"name\": \"x\", \"description\": \"d\", \"promptIndices\": [1.5], \"confidence\": 0.5}]}", "not a positive integer"),
            ("{\"patterns\": [{\"name\": \"x\", \"description\": \"d\", \"promptIndices\": [1], \"confidence\": 85}]}", "outside 0..1"),
            ("{\"patterns\": [{\"name\": \"!!!\", \"description\": \"d\", \"promptIndices\": [1], \"confidence\": 0.5}]}", "no valid skill name"),
            ("{\"patterns\": [{\"name\": \"x\", \"promptIndices\": [1], \"confidence\": 0.5}]}", "\"description\" is missing"),
            ("{\"patterns\": [{\"name\": \"x\", \"description\": \"d\", \"promptIndices\": [], \"confidence\": 0.5}]}", "is empty"),
            ("[1, 2]", "no JSON object"),
        ];
        for (text, expected) in cases {
            let err = parse_detection_response(text, 2).unwrap_err().to_string();
            assert!(err.contains(expected), "{text}: {err}");
        }
    }

    #[test]
    fn llm_patterns_map_back_to_commits() {
        let rs = records(&["a", "b", "c"]);
        let llm = LlmPattern { name: "x-y".into(), description: "d".into(), prompt_indices: vec![0, 2, 9], confidence: 0.9 };
        let p = pattern_from_llm(&rs, &llm);
        assert_eq!(p.commits, vec!["sha0", "sha2"]);
        assert_eq!(p.occurrences, 2);
    }

    #[test]
    fn batches_reporting_the_same_pattern_merge() {
        let rs = records(&["plot a", "plot b", "plot c", "plot d"]);
        let first = pattern_from_llm(&rs[0..2], &LlmPattern { name: "plots".into(), description: "d".into(), prompt_indices: vec![0, 1], confidence: 0.9 });
        let other = pattern_from_llm(&rs[2..4], &LlmPattern { name: "other".into(), description: "d".into(), prompt_indices: vec![0], confidence: 0.5 });
        let second = pattern_from_llm(&rs[2..4], &LlmPattern { name: "plots".into(), description: "d".into(), prompt_indices: vec![1], confidence: 0.6 });
        let merged = merge_batch_patterns(vec![first, other, second]);
        assert_eq!(merged.len(), 2);
        assert_eq!(merged[0].commits, vec!["sha0", "sha1", "sha3"]);
        assert_eq!(merged[0].occurrences, 3);
        assert!((merged[0].confidence - 0.8).abs() < 1e-9);
        assert_eq!((merged[0].first_seen, merged[0].last_seen), (0, 3));
    }

    #[test]
    fn naming_round_trip() {
        let rs = records(&["plot sales", "plot costs"]);
        let llm = LlmPattern { name: "plots".into(), description: "d".into(), prompt_indices: vec![0, 1], confidence: 0.9 };
        let prompt = build_naming_prompt(&pattern_from_llm(&rs, &llm));
        assert!(prompt.contains("1. plot sales\n2. plot costs\n"));
        let naming = parse_naming_response("```json\n{\"name\": \"Data Plotting\", \"description\": \"Plot data; use when asked for a chart.\"}\n```").unwrap();
        assert_eq!(naming.name, "data-plotting");
        assert!(parse_naming_response("{\"name\": \"x\"}").is_err());
        assert!(parse_naming_response("no idea").is_err());
    }
}
