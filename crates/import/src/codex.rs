//! Codex CLI rollouts: one JSON object per line in
//! `$CODEX_HOME/sessions/YYYY/MM/DD/rollout-<time>-<id>.jsonl` (`~/.codex` by default).
//!
//! Each line is `{timestamp, type, payload}` (from the public write-ups and the Codex
//! source; OpenAI does not specify the format):
//! - `session_meta`: the session `id`, `cwd`, `cli_version`, `instructions`;
//! - `turn_context`: per-turn settings, among them `model` and `cwd`;
//! - `response_item`: Responses-API items — `message` (`role` user/assistant/developer,
//!   `content` of `input_text`/`output_text` parts), `function_call` (`name`,
//!   `arguments` as a JSON string, `call_id`), `function_call_output` (`call_id`,
//!   `output`, itself often JSON with `output` and `metadata.exit_code`),
//!   `custom_tool_call`/`custom_tool_call_output` (`apply_patch`), `local_shell_call`,
//!   `reasoning` (summary and `encrypted_content`: left out);
//! - `event_msg`: UI events; `token_count` carries cumulative usage, the others repeat
//!   what the response items already hold and are ignored;
//! - `compacted`: the summary that replaced older history.
//!
//! Older rollouts had no envelope: a bare meta object first, then bare items and
//! `{"record_type": "state"}` lines; those are read too.

use serde_json::Value;

use crate::transcript::{Part, Source, Transcript, Turn, TurnRole, Usage, parse_time};

/// Reads a Codex rollout. Never fails: lines it cannot use are counted.
pub fn read(text: &str) -> Transcript {
    let mut reader = Reader { transcript: Transcript::new(Source::Codex), turns: Vec::new(), model: None, last_total: None };
    for line in text.lines() {
        if line.trim().is_empty() {
            continue;
        }
        reader.transcript.stats.lines += 1;
        let value = match serde_json::from_str::<Value>(line) {
            Ok(v @ Value::Object(_)) => v,
            _ => {
                reader.transcript.stats.malformed += 1;
                continue;
            }
        };
        reader.line(&value);
    }
    let mut transcript = reader.transcript;
    transcript.turns = reader.turns.into_iter().filter(|t| !t.parts.is_empty()).collect();
    transcript.model = transcript.turns.iter().rev().find_map(|t| t.model.clone()).or(reader.model);
    transcript
}

struct Reader {
    transcript: Transcript,
    turns: Vec<Turn>,
    model: Option<String>,
    /// The last cumulative `total_token_usage`: each event adds its difference to the
    /// current reply, so a repeated event adds nothing.
    last_total: Option<Usage>,
}

impl Reader {
    fn line(&mut self, value: &Value) {
        let time = parse_time(value.get("timestamp"));
        let kind = value.get("type").and_then(Value::as_str);
        match (kind, value.get("payload")) {
            (Some("session_meta"), Some(p)) => self.meta(p),
            (Some("turn_context"), Some(p)) => {
                if let Some(model) = p.get("model").and_then(Value::as_str) {
                    self.model = Some(model.to_string());
                }
                if self.transcript.project.is_none() {
                    self.transcript.project = p.get("cwd").and_then(Value::as_str).map(str::to_string);
                }
            }
            (Some("response_item"), Some(p)) => self.item(p, time),
            (Some("event_msg"), Some(p)) => {
                if p.get("type").and_then(Value::as_str) == Some("token_count") {
                    self.token_count(p, time);
                }
            }
            (Some("compacted"), Some(p)) => {
                if let Some(summary) = p.get("message").and_then(Value::as_str).filter(|s| !s.trim().is_empty()) {
                    let mut turn = Turn::new(TurnRole::System, time);
                    turn.parts.push(Part::Text(format!("Codex compacted the conversation here. Its summary of what came before:\n\n{summary}")));
                    self.turns.push(turn);
                }
            }
            // The envelope-less format of older rollouts.
            (_, None) if value.get("record_type").is_some() => {}
            (None, None) if value.get("id").is_some() && self.transcript.session_id.is_none() => {
                self.meta(value);
            }
            (
                Some("message" | "function_call" | "function_call_output" | "reasoning" | "custom_tool_call" | "custom_tool_call_output" | "local_shell_call"),
                None,
            ) => self.item(value, time),
            _ => self.transcript.stats.unknown += 1,
        }
    }

    fn meta(&mut self, p: &Value) {
        self.transcript.session_id = p.get("id").and_then(Value::as_str).map(str::to_string);
        self.transcript.project = p.get("cwd").and_then(Value::as_str).map(str::to_string).or(self.transcript.project.take());
        self.transcript.saw_time(parse_time(p.get("timestamp")));
    }

    fn current_assistant(&mut self, time: Option<time::OffsetDateTime>) -> &mut Turn {
        if self.turns.last().is_none_or(|t| t.role != TurnRole::Assistant) {
            self.turns.push(Turn::new(TurnRole::Assistant, time));
        }
        let model = self.model.clone();
        let last = self.turns.len() - 1;
        #[allow(clippy::indexing_slicing)] // a turn was pushed above when there was none
        let turn = &mut self.turns[last];
        if turn.model.is_none() {
            turn.model = model;
        }
        turn
    }

    fn item(&mut self, p: &Value, time: Option<time::OffsetDateTime>) {
        match p.get("type").and_then(Value::as_str) {
            Some("message") => {
                let text = message_text(p.get("content"));
                match p.get("role").and_then(Value::as_str) {
                    Some("user") => {
                        // Codex sends the environment and AGENTS.md as user messages.
                        let t = text.trim_start();
                        if t.is_empty() || t.starts_with("<environment_context>") || t.starts_with("<user_instructions>") || t.starts_with("# AGENTS.md") {
                            return;
                        }
                        self.transcript.saw_time(time);
                        let mut turn = Turn::new(TurnRole::User, time);
                        turn.parts.push(Part::Text(text));
                        self.turns.push(turn);
                    }
                    Some("assistant") => {
                        self.transcript.saw_time(time);
                        if !text.trim().is_empty() {
                            self.current_assistant(time).parts.push(Part::Text(text));
                        }
                    }
                    // developer and system messages are Codex's own instructions.
                    _ => {}
                }
            }
            Some("reasoning") => self.transcript.stats.thinking += 1,
            Some("function_call" | "custom_tool_call" | "local_shell_call") => {
                self.transcript.saw_time(time);
                let id = p.get("call_id").or_else(|| p.get("id")).and_then(Value::as_str).unwrap_or("").to_string();
                let name = p
                    .get("name")
                    .and_then(Value::as_str)
                    .unwrap_or(if p.get("type").and_then(Value::as_str) == Some("local_shell_call") { "shell" } else { "tool" })
                    .to_string();
                // `arguments` is a JSON string; `input` (custom tools) is free text.
                let args: Value = match p.get("arguments") {
                    Some(Value::String(s)) => serde_json::from_str(s).unwrap_or_else(|_| Value::String(s.clone())),
                    Some(other) => other.clone(),
                    None => p.get("input").or_else(|| p.get("action")).cloned().unwrap_or(Value::Null),
                };
                let command = shell_command(&args);
                let input = command.clone().unwrap_or_else(|| match &args {
                    Value::String(s) => s.clone(),
                    Value::Null => String::new(),
                    other => other.to_string(),
                });
                let patch = match &args {
                    Value::String(s) if s.contains("*** Begin Patch") => Some(s.clone()),
                    _ => command.as_deref().filter(|c| c.contains("*** Begin Patch")).map(str::to_string),
                };
                let turn = self.current_assistant(time);
                if let Some(patch) = patch {
                    turn.parts.extend(patch_writes(&patch));
                }
                turn.parts.push(Part::Tool { id, name, input, output: None, is_error: false });
            }
            Some("function_call_output" | "custom_tool_call_output") => {
                let id = p.get("call_id").and_then(Value::as_str).unwrap_or("");
                let (output, is_error) = call_output(p.get("output"));
                let turn = self.current_assistant(time);
                for part in turn.parts.iter_mut().rev() {
                    if let Part::Tool { id: call, output: slot, is_error: err, .. } = part
                        && call == id
                        && slot.is_none()
                    {
                        *slot = Some(output);
                        *err = is_error;
                        return;
                    }
                }
                turn.parts.push(Part::Tool { id: id.to_string(), name: "tool result".into(), input: String::new(), output: Some(output), is_error });
            }
            Some("web_search_call") => {}
            _ => self.transcript.stats.unknown += 1,
        }
    }

    fn token_count(&mut self, p: &Value, time: Option<time::OffsetDateTime>) {
        let Some(total) = p.pointer("/info/total_token_usage") else { return };
        let n = |k: &str| total.get(k).and_then(Value::as_u64).unwrap_or(0);
        // OpenAI's input_tokens already include the cached ones; Codex reports no cache writes.
        let total = Usage { input: n("input_tokens"), output: n("output_tokens"), cache_read: n("cached_input_tokens"), cache_write: 0 };
        let previous = self.last_total.unwrap_or_default();
        let delta = Usage {
            input: total.input.saturating_sub(previous.input),
            output: total.output.saturating_sub(previous.output),
            cache_read: total.cache_read.saturating_sub(previous.cache_read),
            cache_write: 0,
        };
        self.last_total = Some(total);
        if !delta.is_empty() {
            self.current_assistant(time).usage.add(delta);
        }
    }
}

fn message_text(content: Option<&Value>) -> String {
    match content {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Array(parts)) => parts
            .iter()
            .filter_map(|p| match p.get("type").and_then(Value::as_str) {
                Some("input_text" | "output_text" | "text") => p.get("text").and_then(Value::as_str).map(str::to_string),
                Some("input_image") => Some("[image: not imported]".into()),
                _ => None,
            })
            .collect::<Vec<_>>()
            .join("\n\n"),
        _ => String::new(),
    }
}

/// The command line of a shell call: `["bash", "-lc", "cargo test"]` reads as `cargo test`.
fn shell_command(args: &Value) -> Option<String> {
    let command = args.get("command")?;
    match command {
        Value::String(s) => Some(s.clone()),
        Value::Array(items) => {
            let words: Vec<&str> = items.iter().filter_map(Value::as_str).collect();
            match words.as_slice() {
                [shell, flag, script] if (shell.ends_with("sh")) && flag.starts_with('-') && flag.contains('c') => Some((*script).to_string()),
                _ => Some(words.join(" ")),
            }
        }
        _ => None,
    }
}

/// `output` of a call: a string that is often JSON `{output, metadata: {exit_code}}`.
fn call_output(output: Option<&Value>) -> (String, bool) {
    let parsed = |v: &Value| -> Option<(String, bool)> {
        let text = v.get("output").and_then(Value::as_str)?.to_string();
        let code = v.pointer("/metadata/exit_code").and_then(Value::as_i64).unwrap_or(0);
        Some((text, code != 0))
    };
    match output {
        Some(Value::String(s)) => serde_json::from_str::<Value>(s).ok().as_ref().and_then(parsed).unwrap_or_else(|| (s.clone(), false)),
        Some(v @ Value::Object(_)) => parsed(v).unwrap_or_else(|| {
            let err = v.get("success").and_then(Value::as_bool) == Some(false);
            (v.get("content").and_then(Value::as_str).map_or_else(|| v.to_string(), str::to_string), err)
        }),
        Some(Value::Null) | None => (String::new(), false),
        Some(other) => (other.to_string(), false),
    }
}

/// Files an `apply_patch` envelope adds or updates, with the lines it adds.
fn patch_writes(patch: &str) -> Vec<Part> {
    let mut parts: Vec<Part> = Vec::new();
    let mut current: Option<(String, Vec<&str>, bool)> = None;
    let flush = |current: &mut Option<(String, Vec<&str>, bool)>, parts: &mut Vec<Part>| {
        if let Some((path, lines, edit)) = current.take() {
            parts.push(Part::FileWrite { path, content: lines.join("\n"), edit });
        }
    };
    for line in patch.lines() {
        if let Some(path) = line.strip_prefix("*** Add File: ") {
            flush(&mut current, &mut parts);
            current = Some((path.trim().to_string(), Vec::new(), false));
        } else if let Some(path) = line.strip_prefix("*** Update File: ") {
            flush(&mut current, &mut parts);
            current = Some((path.trim().to_string(), Vec::new(), true));
        } else if line.starts_with("*** ") {
            flush(&mut current, &mut parts);
        } else if let Some((_, lines, _)) = current.as_mut()
            && let Some(added) = line.strip_prefix('+')
        {
            lines.push(added);
        }
    }
    flush(&mut current, &mut parts);
    parts
}
