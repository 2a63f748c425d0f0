//! Claude Code transcripts: one JSON object per line in
//! `~/.claude/projects/<encoded-project-path>/<session-id>.jsonl`.
//!
//! What the lines look like (from the public write-ups and parsers; Anthropic does not
//! specify the format):
//! - `type: "user" | "assistant"` records carry `uuid`, `parentUuid`, `isSidechain`,
//!   `timestamp`, `cwd`, `sessionId` and an Anthropic-API `message` whose `content` is a
//!   string or a list of blocks (`text`, `thinking`, `redacted_thinking`, `tool_use`,
//!   `tool_result`, `image`). One API reply is often split over several lines, one block
//!   each, repeating `message.id` and `message.usage`.
//! - `type: "summary"` lines hold a title for the conversation ending at `leafUuid`.
//! - `system`, `file-history-snapshot` and other records carry no conversation.
//!
//! The conversation is a tree: editing an earlier prompt or retrying starts a branch
//! from an older `parentUuid`. The session keeps the main line — the chain that ends at
//! the last record written — and counts the rest as off the main line. Sidechains
//! (`isSidechain: true`, the Task tool's subagents, inline in older versions and in
//! `agent-*.jsonl` files beside the transcript in newer ones) are not turns of their
//! own: the parent's Task call and its result already say what the subagent was asked
//! and what it reported. After `/compact` the chain restarts at a record whose
//! `logicalParentUuid` points across the gap; the walk follows it, and the compaction
//! summary becomes a short system turn.

use std::collections::{HashMap, HashSet};

use serde_json::Value;

use crate::transcript::{Part, Source, Transcript, Turn, TurnRole, Usage, parse_time};

/// Reads a Claude Code transcript. Never fails: lines it cannot use are counted.
pub fn read(text: &str) -> Transcript {
    let mut transcript = Transcript::new(Source::ClaudeCode);
    let mut records: Vec<Value> = Vec::new();
    let mut summaries: Vec<(Option<String>, String)> = Vec::new();
    for line in text.lines() {
        if line.trim().is_empty() {
            continue;
        }
        transcript.stats.lines += 1;
        let Ok(value) = serde_json::from_str::<Value>(line) else {
            transcript.stats.malformed += 1;
            continue;
        };
        if !value.is_object() {
            transcript.stats.malformed += 1;
            continue;
        }
        match value.get("type").and_then(Value::as_str) {
            Some("user" | "assistant") => records.push(value),
            Some("summary") => {
                if let Some(s) = value.get("summary").and_then(Value::as_str) {
                    summaries.push((value.get("leafUuid").and_then(Value::as_str).map(str::to_string), s.to_string()));
                }
            }
            // Known records without conversation content.
            Some("system" | "file-history-snapshot" | "queue-operation" | "progress") => {}
            _ => transcript.stats.unknown += 1,
        }
    }

    let main_line = main_line(&records);
    transcript.stats.off_main_line = records.len() - main_line.len();
    let on_main: HashSet<&str> = main_line.iter().filter_map(|&i| uuid(records.get(i)?)).collect();
    // The newest summary of a leaf on the main line is the title; any summary otherwise.
    transcript.title =
        summaries.iter().rev().find(|(leaf, _)| leaf.as_deref().is_some_and(|l| on_main.contains(l))).or_else(|| summaries.last()).map(|(_, s)| s.clone());

    let mut builder = Builder::default();
    for &i in &main_line {
        let Some(record) = records.get(i) else { continue };
        let time = parse_time(record.get("timestamp"));
        transcript.saw_time(time);
        if transcript.session_id.is_none() {
            transcript.session_id = record.get("sessionId").and_then(Value::as_str).map(str::to_string);
        }
        if transcript.project.is_none() {
            transcript.project = record.get("cwd").and_then(Value::as_str).filter(|s| !s.is_empty()).map(str::to_string);
        }
        let Some(message) = record.get("message") else { continue };
        match record.get("type").and_then(Value::as_str) {
            Some("assistant") => builder.assistant(record, message, time, &mut transcript),
            _ => builder.user(record, message, time, &mut transcript),
        }
    }
    transcript.turns = builder.finish();
    transcript.model = transcript.turns.iter().rev().find_map(|t| t.model.clone());
    transcript
}

fn uuid(record: &Value) -> Option<&str> {
    record.get("uuid").and_then(Value::as_str)
}

/// Indexes of the records on the main line, oldest first.
fn main_line(records: &[Value]) -> Vec<usize> {
    let by_uuid: HashMap<&str, usize> = records.iter().enumerate().filter_map(|(i, r)| Some((uuid(r)?, i))).collect();
    let is_side = |r: &Value| r.get("isSidechain").and_then(Value::as_bool).unwrap_or(false);
    let Some(leaf) = records.iter().rposition(|r| !is_side(r)) else { return Vec::new() };
    // Records without uuids (very old transcripts) are simply read in file order.
    if records.get(leaf).and_then(uuid).is_none() {
        return records.iter().enumerate().filter(|(_, r)| !is_side(r)).map(|(i, _)| i).collect();
    }
    let mut line = Vec::new();
    let mut seen = HashSet::new();
    let mut current = Some(leaf);
    while let Some(i) = current {
        if !seen.insert(i) {
            break; // a cycle in broken data
        }
        line.push(i);
        let Some(r) = records.get(i) else { break };
        let parent = r.get("parentUuid").and_then(Value::as_str).or_else(|| r.get("logicalParentUuid").and_then(Value::as_str));
        current = parent.and_then(|p| by_uuid.get(p).copied());
    }
    line.reverse();
    line
}

/// Folds records into turns: an assistant turn runs from the reply to a prompt until the
/// next prompt, gathering every API reply and tool result of the agent loop.
#[derive(Default)]
struct Builder {
    turns: Vec<Turn>,
    /// Usage is repeated on every line of a split reply: count each `message.id` once.
    counted_messages: HashSet<String>,
}

impl Builder {
    fn finish(self) -> Vec<Turn> {
        self.turns.into_iter().filter(|t| !t.parts.is_empty()).collect()
    }

    fn current_assistant(&mut self, time: Option<time::OffsetDateTime>) -> &mut Turn {
        if self.turns.last().is_none_or(|t| t.role != TurnRole::Assistant) {
            self.turns.push(Turn::new(TurnRole::Assistant, time));
        }
        let last = self.turns.len() - 1;
        #[allow(clippy::indexing_slicing)] // a turn was pushed above when there was none
        &mut self.turns[last]
    }

    fn assistant(&mut self, _record: &Value, message: &Value, time: Option<time::OffsetDateTime>, transcript: &mut Transcript) {
        let model = message.get("model").and_then(Value::as_str).filter(|m| !m.starts_with('<')).map(str::to_string);
        let usage = message.get("usage").map(anthropic_usage);
        let message_id = message.get("id").and_then(Value::as_str).map(str::to_string);
        let count_usage = match &message_id {
            Some(id) => self.counted_messages.insert(id.clone()),
            None => true,
        };
        let turn = self.current_assistant(time);
        if model.is_some() {
            turn.model = model;
        }
        if let (Some(usage), true) = (usage, count_usage) {
            turn.usage.add(usage);
        }
        match message.get("content") {
            Some(Value::String(s)) => push_text(turn, s),
            Some(Value::Array(blocks)) => {
                for block in blocks {
                    match block.get("type").and_then(Value::as_str) {
                        Some("text") => push_text(turn, block.get("text").and_then(Value::as_str).unwrap_or("")),
                        Some("thinking" | "redacted_thinking") => transcript.stats.thinking += 1,
                        Some("tool_use" | "server_tool_use") => {
                            let name = block.get("name").and_then(Value::as_str).unwrap_or("tool").to_string();
                            let input = block.get("input").cloned().unwrap_or(Value::Null);
                            if let Some(write) = file_write(&name, &input) {
                                turn.parts.push(write);
                            }
                            turn.parts.push(Part::Tool {
                                id: block.get("id").and_then(Value::as_str).unwrap_or("").to_string(),
                                input: tool_input_summary(&name, &input),
                                name,
                                output: None,
                                is_error: false,
                            });
                        }
                        _ => transcript.stats.unknown += 1,
                    }
                }
            }
            _ => {}
        }
    }

    fn user(&mut self, record: &Value, message: &Value, time: Option<time::OffsetDateTime>, transcript: &mut Transcript) {
        // Caveats and command output Claude Code injects are not the person's words.
        if record.get("isMeta").and_then(Value::as_bool) == Some(true) {
            return;
        }
        let compact_summary = record.get("isCompactSummary").and_then(Value::as_bool) == Some(true);
        let mut prompt = Turn::new(if compact_summary { TurnRole::System } else { TurnRole::User }, time);
        match message.get("content") {
            Some(Value::String(s)) => push_prompt_text(&mut prompt, s),
            Some(Value::Array(blocks)) => {
                for block in blocks {
                    match block.get("type").and_then(Value::as_str) {
                        Some("text") => push_prompt_text(&mut prompt, block.get("text").and_then(Value::as_str).unwrap_or("")),
                        Some("image") => {
                            let media_type = block.pointer("/source/media_type").and_then(Value::as_str).unwrap_or("image").to_string();
                            prompt.parts.push(Part::Image { media_type });
                        }
                        Some("tool_result") => {
                            let id = block.get("tool_use_id").and_then(Value::as_str).unwrap_or("");
                            let output = tool_result_text(block.get("content"));
                            let is_error = block.get("is_error").and_then(Value::as_bool).unwrap_or(false);
                            self.attach_result(id, output, is_error, time);
                        }
                        _ => transcript.stats.unknown += 1,
                    }
                }
            }
            _ => {}
        }
        if !prompt.parts.is_empty() {
            if compact_summary {
                prompt.parts = vec![Part::Text(format!("Claude Code compacted the conversation here. Its summary of what came before:\n\n{}", prompt.text()))];
            }
            self.turns.push(prompt);
        }
    }

    fn attach_result(&mut self, id: &str, text: String, error: bool, time: Option<time::OffsetDateTime>) {
        let turn = self.current_assistant(time);
        for part in turn.parts.iter_mut().rev() {
            if let Part::Tool { id: call, output, is_error, .. } = part
                && call == id
                && output.is_none()
            {
                *output = Some(text);
                *is_error = error;
                return;
            }
        }
        // A result whose call is not on the main line (or has no id): keep it visibly.
        turn.parts.push(Part::Tool { id: id.to_string(), name: "tool result".into(), input: String::new(), output: Some(text), is_error: error });
    }
}

fn push_text(turn: &mut Turn, text: &str) {
    if !text.trim().is_empty() {
        turn.parts.push(Part::Text(text.to_string()));
    }
}

/// A prompt's text; slash commands arrive wrapped in tags and are shown as typed.
fn push_prompt_text(turn: &mut Turn, text: &str) {
    let trimmed = text.trim_start();
    if trimmed.starts_with("<local-command-stdout>") || trimmed.starts_with("<local-command-stderr>") || trimmed.starts_with("Caveat: The messages below") {
        return;
    }
    if let Some(name) = tag(text, "command-name") {
        let args = tag(text, "command-args").unwrap_or_default();
        push_text(turn, format!("{} {}", name.trim(), args.trim()).trim());
        return;
    }
    push_text(turn, text);
}

fn tag(text: &str, name: &str) -> Option<String> {
    let open = format!("<{name}>");
    let close = format!("</{name}>");
    let start = text.find(&open)? + open.len();
    let end = text.get(start..)?.find(&close)? + start;
    text.get(start..end).map(str::to_string)
}

/// Anthropic usage: `input_tokens` excludes cached tokens, so they are added back.
pub fn anthropic_usage(usage: &Value) -> Usage {
    let n = |k: &str| usage.get(k).and_then(Value::as_u64).unwrap_or(0);
    let cache_read = n("cache_read_input_tokens");
    let cache_write = n("cache_creation_input_tokens");
    Usage { input: n("input_tokens").saturating_add(cache_read).saturating_add(cache_write), output: n("output_tokens"), cache_read, cache_write }
}

/// `tool_result.content`: a string or a list of `text`/`image` blocks.
fn tool_result_text(content: Option<&Value>) -> String {
    match content {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Array(blocks)) => blocks
            .iter()
            .filter_map(|b| match b.get("type").and_then(Value::as_str) {
                Some("text") => b.get("text").and_then(Value::as_str).map(str::to_string),
                Some("image") => Some("[image]".into()),
                _ => None,
            })
            .collect::<Vec<_>>()
            .join("\n"),
        Some(Value::Null) | None => String::new(),
        Some(other) => other.to_string(),
    }
}

/// What a tool call did, on one line where the tool is known.
fn tool_input_summary(name: &str, input: &Value) -> String {
    let s = |k: &str| input.get(k).and_then(Value::as_str);
    let known = match name {
        "Bash" => s("command").map(str::to_string),
        "Read" | "Write" | "Edit" | "MultiEdit" | "NotebookEdit" => s("file_path").or_else(|| s("notebook_path")).map(str::to_string),
        "Grep" | "Glob" => s("pattern").map(|p| match s("path") {
            Some(path) => format!("{p} in {path}"),
            None => p.to_string(),
        }),
        "WebFetch" => s("url").map(str::to_string),
        "WebSearch" => s("query").map(str::to_string),
        "Task" | "Agent" => s("description").map(|d| format!("{d}: {}", s("prompt").unwrap_or(""))),
        _ => None,
    };
    known.unwrap_or_else(|| if input.is_null() { String::new() } else { input.to_string() })
}

/// A `Write`, `Edit` or `MultiEdit` call as a file the session produced.
fn file_write(name: &str, input: &Value) -> Option<Part> {
    let path = input.get("file_path").and_then(Value::as_str)?.to_string();
    match name {
        "Write" => Some(Part::FileWrite { path, content: input.get("content").and_then(Value::as_str).unwrap_or("").to_string(), edit: false }),
        "Edit" => Some(Part::FileWrite { path, content: input.get("new_string").and_then(Value::as_str).unwrap_or("").to_string(), edit: true }),
        "MultiEdit" => {
            let edits = input.get("edits").and_then(Value::as_array)?;
            let content = edits.iter().filter_map(|e| e.get("new_string").and_then(Value::as_str)).collect::<Vec<_>>().join("\n…\n");
            Some(Part::FileWrite { path, content, edit: true })
        }
        _ => None,
    }
}
