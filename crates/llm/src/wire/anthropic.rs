//! Anthropic Messages API: request body and the named SSE events of its stream
//! (`message_start`, `content_block_start`, `content_block_delta`,
//! `content_block_stop`, `message_delta`, `message_stop`, `ping`, `error`).
//! Event types we do not know are ignored, as Anthropic asks of clients.

use serde::Deserialize;
use serde_json::{Value, json};

use super::{Step, WireFault, malformed};
use crate::chat::ChatRequest;

pub(crate) fn request_body(model: &str, max_tokens: u32, request: &ChatRequest) -> Value {
    let messages: Vec<Value> = request.messages.iter().map(|message| json!({"role": message.role.as_str(), "content": message.content})).collect();
    let mut body = json!({
        "model": model,
        "max_tokens": max_tokens,
        "messages": messages,
        "stream": true,
    });
    // The API refuses an empty system text block, so an empty prompt is left out.
    if !request.system.is_empty() {
        body["system"] = Value::String(request.system.clone());
    }
    body
}

#[derive(Debug, Default)]
pub(crate) struct Decoder {
    pub(crate) stop_reason: Option<String>,
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
            "message_delta" => {
                let delta: MessageDelta = serde_json::from_str(data).map_err(parse_error)?;
                if delta.delta.stop_reason.is_some() {
                    self.stop_reason = delta.delta.stop_reason;
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
}
