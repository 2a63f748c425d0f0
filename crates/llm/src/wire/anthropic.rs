//! Anthropic Messages API: request body and the named SSE events of its stream
//! (`message_start`, `content_block_start`, `content_block_delta`,
//! `content_block_stop`, `message_delta`, `message_stop`, `ping`, `error`).
//! Event types we do not know are ignored, as Anthropic asks of clients.

use serde::Deserialize;
use serde_json::{Value, json};

use super::{Step, WireFault, malformed};
use crate::chat::{ChatRequest, TokenUsage};

pub(crate) fn request_body(model: &str, max_tokens: u32, request: &ChatRequest) -> Value {
    let messages: Vec<Value> = request.messages.iter().map(|message| json!({"role": message.role.as_str(), "content": message.content})).collect();
    let mut body = json!({
        "model": model,
        "max_tokens": max_tokens,
        "messages": messages,
        "stream": true,
    });
    // The API refuses an empty system text block, so an empty prompt is left out.
    if !request.system.is_empty()
        && let Some(fields) = body.as_object_mut()
    {
        fields.insert("system".into(), Value::String(request.system.clone()));
    }
    body
}

#[derive(Debug, Default)]
pub(crate) struct Decoder {
    pub(crate) stop_reason: Option<String>,
    pub(crate) usage: Option<TokenUsage>,
}

/// `usage` of `message_start.message` and of `message_delta`. The counts in
/// `message_delta` are cumulative, so a count it carries replaces the earlier one.
#[derive(Deserialize, Default)]
struct WireUsage {
    #[serde(default)]
    input_tokens: Option<u64>,
    #[serde(default)]
    output_tokens: Option<u64>,
    #[serde(default)]
    cache_creation_input_tokens: Option<u64>,
    #[serde(default)]
    cache_read_input_tokens: Option<u64>,
}

#[derive(Deserialize)]
struct MessageStart {
    message: MessageStartBody,
}

#[derive(Deserialize)]
struct MessageStartBody {
    #[serde(default)]
    usage: Option<WireUsage>,
}

/// Anthropic's counts: `input_tokens` excludes the cached prompt tokens.
#[derive(Debug, Default, Clone, Copy)]
struct Counts {
    uncached: u64,
    output: u64,
    cache_read: u64,
    cache_write: u64,
}

#[derive(Deserialize)]
struct TypeOnly {
    #[serde(rename = "type")]
    kind: String,
}

#[derive(Deserialize)]
struct BlockStart {
    content_block: Block,
}

#[derive(Deserialize)]
struct Block {
    #[serde(rename = "type")]
    kind: String,
    #[serde(default)]
    text: Option<String>,
}

#[derive(Deserialize)]
struct BlockDelta {
    delta: Block,
}

#[derive(Deserialize)]
struct MessageDelta {
    delta: MessageDeltaBody,
    #[serde(default)]
    usage: Option<WireUsage>,
}

#[derive(Deserialize)]
struct MessageDeltaBody {
    #[serde(default)]
    stop_reason: Option<String>,
}

#[derive(Deserialize)]
struct ErrorEvent {
    error: ErrorBody,
}

#[derive(Deserialize)]
struct ErrorBody {
    #[serde(rename = "type", default)]
    kind: Option<String>,
    #[serde(default)]
    message: Option<String>,
}

impl Decoder {
    pub(crate) fn on_event(&mut self, event: &str, data: &str) -> Result<Step, WireFault> {
        // A proxy that drops `event:` lines leaves the default name; the type inside
        // the data says the same thing.
        let owned_name;
        let name = if event == "message" {
            owned_name = serde_json::from_str::<TypeOnly>(data).map_err(|error| malformed(event, &error, data))?.kind;
            owned_name.as_str()
        } else {
            event
        };
        let parse_error = |error: serde_json::Error| malformed(name, &error, data);
        match name {
            "content_block_delta" => {
                let delta: BlockDelta = serde_json::from_str(data).map_err(parse_error)?;
                Ok(text_step(delta.delta))
            }
            "content_block_start" => {
                let start: BlockStart = serde_json::from_str(data).map_err(parse_error)?;
                Ok(text_step(start.content_block))
            }
            "message_start" => {
                let start: MessageStart = serde_json::from_str(data).map_err(parse_error)?;
                if let Some(usage) = start.message.usage {
                    self.apply_usage(&usage);
                }
                Ok(Step::Nothing)
            }
            "message_delta" => {
                let delta: MessageDelta = serde_json::from_str(data).map_err(parse_error)?;
                if delta.delta.stop_reason.is_some() {
                    self.stop_reason = delta.delta.stop_reason;
                }
                if let Some(usage) = delta.usage {
                    self.apply_usage(&usage);
                }
                Ok(Step::Nothing)
            }
            "message_stop" => Ok(Step::Done),
            "error" => {
                let error: ErrorEvent = serde_json::from_str(data).map_err(parse_error)?;
                Err(WireFault::Provider {
                    kind: error.error.kind.unwrap_or_else(|| "error".to_string()),
                    message: error.error.message.unwrap_or_else(|| "no message".to_string()),
                })
            }
            _ => Ok(Step::Nothing),
        }
    }
}

impl Decoder {
    fn apply_usage(&mut self, usage: &WireUsage) {
        let known = self.usage.unwrap_or_default();
        // Back from the stored total to Anthropic's own counts, then apply the new ones.
        let mut counts = Counts {
            uncached: known.input.saturating_sub(known.cache_read).saturating_sub(known.cache_write),
            output: known.output,
            cache_read: known.cache_read,
            cache_write: known.cache_write,
        };
        if let Some(n) = usage.input_tokens {
            counts.uncached = n;
        }
        if let Some(n) = usage.output_tokens {
            counts.output = n;
        }
        if let Some(n) = usage.cache_read_input_tokens {
            counts.cache_read = n;
        }
        if let Some(n) = usage.cache_creation_input_tokens {
            counts.cache_write = n;
        }
        self.usage = Some(TokenUsage {
            input: counts.uncached.saturating_add(counts.cache_read).saturating_add(counts.cache_write),
            output: counts.output,
            cache_read: counts.cache_read,
            cache_write: counts.cache_write,
        });
    }
}

/// Only `text` blocks and `text_delta`s are reply text; thinking and tool-use
/// blocks are not shown in a transcript.
fn text_step(block: Block) -> Step {
    match (block.kind.as_str(), block.text) {
        ("text" | "text_delta", Some(text)) if !text.is_empty() => Step::Text(text),
        _ => Step::Nothing,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::chat::ChatMessage;

    #[test]
    fn body_has_the_documented_shape() {
        let request = ChatRequest::new("be brief", vec![ChatMessage::user("hi"), ChatMessage::assistant("hello")]);
        assert_eq!(
            request_body("claude-x", 100, &request),
            json!({
                "model": "claude-x", "max_tokens": 100, "system": "be brief", "stream": true,
                "messages": [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "hello"}]
            })
        );
        let no_system = ChatRequest::new("", vec![ChatMessage::user("hi")]);
        assert!(request_body("m", 1, &no_system).get("system").is_none());
    }

    #[test]
    fn decodes_a_full_stream() {
        let mut decoder = Decoder::default();
        let events = [
            ("message_start", r#"{"type":"message_start","message":{"id":"m","content":[],"usage":{"input_tokens":1}}}"#),
            ("content_block_start", r#"{"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}}"#),
            ("ping", r#"{"type": "ping"}"#),
            ("content_block_delta", r#"{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"Hel"}}"#),
            ("content_block_delta", r#"{"type":"content_block_delta","index":0,"delta":{"type":"input_json_delta","partial_json":"{"}}"#),
            ("content_block_delta", r#"{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"lo\n"}}"#),
            ("content_block_stop", r#"{"type":"content_block_stop","index":0}"#),
            ("message_delta", r#"{"type":"message_delta","delta":{"stop_reason":"end_turn","stop_sequence":null},"usage":{"output_tokens":2}}"#),
            ("some_future_event", r#"{"type":"some_future_event"}"#),
        ];
        let steps: Vec<Step> = events.iter().map(|(name, data)| decoder.on_event(name, data).unwrap()).collect();
        let texts: Vec<&Step> = steps.iter().filter(|s| matches!(s, Step::Text(_))).collect();
        assert_eq!(texts, [&Step::Text("Hel".into()), &Step::Text("lo\n".into())]);
        assert_eq!(decoder.stop_reason.as_deref(), Some("end_turn"));
        assert_eq!(decoder.on_event("message_stop", r#"{"type":"message_stop"}"#), Ok(Step::Done));
    }

    #[test]
    fn unnamed_events_use_the_type_field() {
        let mut decoder = Decoder::default();
        assert_eq!(
            decoder.on_event("message", r#"{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"x"}}"#),
            Ok(Step::Text("x".into()))
        );
    }

    #[test]
    fn error_event_and_bad_json() {
        let mut decoder = Decoder::default();
        assert_eq!(
            decoder.on_event("error", r#"{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}"#),
            Err(WireFault::Provider { kind: "overloaded_error".into(), message: "Overloaded".into() })
        );
        let fault = decoder.on_event("content_block_delta", r#"{"type":"content_block_delta","delta":{"#).unwrap_err();
        assert!(matches!(fault, WireFault::Malformed { ref event, .. } if event == "content_block_delta"));
        // A delta without a `delta` object is as malformed as bad JSON.
        assert!(decoder.on_event("content_block_delta", r#"{"type":"content_block_delta"}"#).is_err());
        // Bad JSON in an event we do not read is not our problem.
        assert_eq!(decoder.on_event("ping", "{{{"), Ok(Step::Nothing));
    }

    #[test]
    fn usage_from_message_start_and_cumulative_message_delta() {
        let mut decoder = Decoder::default();
        let start = r#"{"type":"message_start","message":{"id":"m","content":[],"usage":{"input_tokens":10,"cache_creation_input_tokens":5,"cache_read_input_tokens":100,"output_tokens":1}}}"#;
        assert_eq!(decoder.on_event("message_start", start), Ok(Step::Nothing));
        assert_eq!(decoder.usage, Some(TokenUsage { input: 115, output: 1, cache_read: 100, cache_write: 5 }));
        // message_delta counts are cumulative; the ones it leaves out stay.
        let delta = r#"{"type":"message_delta","delta":{"stop_reason":"end_turn"},"usage":{"output_tokens":42}}"#;
        assert_eq!(decoder.on_event("message_delta", delta), Ok(Step::Nothing));
        assert_eq!(decoder.usage, Some(TokenUsage { input: 115, output: 42, cache_read: 100, cache_write: 5 }));
        let delta = r#"{"type":"message_delta","delta":{},"usage":{"input_tokens":12,"output_tokens":50}}"#;
        assert_eq!(decoder.on_event("message_delta", delta), Ok(Step::Nothing));
        assert_eq!(decoder.usage, Some(TokenUsage { input: 117, output: 50, cache_read: 100, cache_write: 5 }));
    }
}
