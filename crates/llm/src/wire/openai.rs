//! OpenAI Chat Completions streaming, as spoken by OpenAI and the servers that
//! copy it: unnamed SSE events whose data is a `chat.completion.chunk`, ended by
//! `data: [DONE]`. Errors may arrive as a chunk with an `error` object.

use serde::Deserialize;
use serde_json::{Value, json};

use super::{Step, WireFault, error_details, malformed};
use crate::chat::{ChatRequest, TokenUsage};

pub(crate) fn request_body(model: &str, max_tokens: u32, request: &ChatRequest) -> Value {
    let mut messages = Vec::with_capacity(request.messages.len() + 1);
    if !request.system.is_empty() {
        messages.push(json!({"role": "system", "content": request.system}));
    }
    messages.extend(request.messages.iter().map(|message| json!({"role": message.role.as_str(), "content": message.content})));
    json!({
        "model": model,
        "max_tokens": max_tokens,
        "stream": true,
        // Ask for the final usage chunk (`choices: []`, `usage: {...}`) before `[DONE]`.
        "stream_options": {"include_usage": true},
        "messages": messages,
    })
}

#[derive(Debug, Default)]
pub(crate) struct Decoder {
    pub(crate) stop_reason: Option<String>,
    pub(crate) usage: Option<TokenUsage>,
}

#[derive(Deserialize)]
struct Chunk {
    #[serde(default)]
    choices: Vec<Choice>,
    #[serde(default)]
    error: Option<Value>,
    #[serde(default)]
    usage: Option<WireUsage>,
}

#[derive(Deserialize)]
struct WireUsage {
    #[serde(default)]
    prompt_tokens: u64,
    #[serde(default)]
    completion_tokens: u64,
    #[serde(default)]
    prompt_tokens_details: Option<PromptDetails>,
}

#[derive(Deserialize)]
struct PromptDetails {
    #[serde(default)]
    cached_tokens: Option<u64>,
}

#[derive(Deserialize)]
struct Choice {
    #[serde(default)]
    delta: Option<Delta>,
    #[serde(default)]
    finish_reason: Option<String>,
}

#[derive(Deserialize)]
struct Delta {
    #[serde(default)]
    content: Option<String>,
}

impl Decoder {
    pub(crate) fn on_event(&mut self, event: &str, data: &str) -> Result<Step, WireFault> {
        if data.trim() == "[DONE]" {
            return Ok(Step::Done);
        }
        if event == "error" {
            return Err(provider_fault(data));
        }
        let chunk: Chunk = serde_json::from_str(data).map_err(|error| malformed(event, &error, data))?;
        if chunk.error.is_some() {
            return Err(provider_fault(data));
        }
        // Some servers repeat a running usage on every chunk: the last one counts.
        if let Some(usage) = &chunk.usage {
            let cache_read = usage.prompt_tokens_details.as_ref().and_then(|d| d.cached_tokens).unwrap_or(0);
            self.usage = Some(TokenUsage { input: usage.prompt_tokens, output: usage.completion_tokens, cache_read, cache_write: 0 });
        }
        let Some(choice) = chunk.choices.into_iter().next() else {
            // Usage-only chunks (`stream_options.include_usage`) carry no choices.
            return Ok(Step::Nothing);
        };
        if choice.finish_reason.is_some() {
            self.stop_reason = choice.finish_reason;
        }
        match choice.delta.and_then(|delta| delta.content) {
            Some(text) if !text.is_empty() => Ok(Step::Text(text)),
            _ => Ok(Step::Nothing),
        }
    }
}

fn provider_fault(data: &str) -> WireFault {
    let (kind, message) = error_details(data).unwrap_or((None, data.trim().to_string()));
    WireFault::Provider { kind: kind.unwrap_or_else(|| "error".to_string()), message }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::chat::ChatMessage;

    #[test]
    fn body_puts_the_system_prompt_first() {
        let request = ChatRequest::new("sys", vec![ChatMessage::user("hi")]);
        assert_eq!(
            request_body("gpt-x", 7, &request),
            json!({
                "model": "gpt-x", "max_tokens": 7, "stream": true, "stream_options": {"include_usage": true},
                "messages": [{"role": "system", "content": "sys"}, {"role": "user", "content": "hi"}]
            })
        );
        let no_system = ChatRequest::new("", vec![ChatMessage::user("hi")]);
        assert_eq!(request_body("m", 1, &no_system)["messages"].as_array().unwrap().len(), 1);
    }

    #[test]
    fn decodes_chunks_until_done() {
        let mut decoder = Decoder::default();
        let chunk = |delta: &str, finish: &str| {
            format!(r#"{{"id":"c","object":"chat.completion.chunk","choices":[{{"index":0,"delta":{delta},"finish_reason":{finish}}}]}}"#)
        };
        assert_eq!(decoder.on_event("message", &chunk(r#"{"role":"assistant","content":""}"#, "null")), Ok(Step::Nothing));
        assert_eq!(decoder.on_event("message", &chunk(r#"{"content":"Hi"}"#, "null")), Ok(Step::Text("Hi".into())));
        assert_eq!(decoder.on_event("message", &chunk(r#"{"content":null}"#, "null")), Ok(Step::Nothing));
        assert_eq!(decoder.on_event("message", &chunk("{}", r#""stop""#)), Ok(Step::Nothing));
        assert_eq!(decoder.stop_reason.as_deref(), Some("stop"));
        assert_eq!(decoder.on_event("message", r#"{"choices":[],"usage":{"total_tokens":3}}"#), Ok(Step::Nothing));
        assert_eq!(decoder.usage, Some(TokenUsage::default()), "a usage without counts counts nothing");
        let usage = r#"{"choices":[],"usage":{"prompt_tokens":40,"completion_tokens":9,"total_tokens":49,"prompt_tokens_details":{"cached_tokens":32}}}"#;
        assert_eq!(decoder.on_event("message", usage), Ok(Step::Nothing));
        assert_eq!(decoder.usage, Some(TokenUsage { input: 40, output: 9, cache_read: 32, cache_write: 0 }));
        assert_eq!(decoder.on_event("message", "[DONE]"), Ok(Step::Done));
    }

    #[test]
    fn errors_and_bad_json() {
        let mut decoder = Decoder::default();
        assert_eq!(
            decoder.on_event("message", r#"{"error":{"message":"context too long","type":"invalid_request_error"}}"#),
            Err(WireFault::Provider { kind: "invalid_request_error".into(), message: "context too long".into() })
        );
        assert!(matches!(decoder.on_event("message", r#"{"choices":[{"delta":{"content":"x"#), Err(WireFault::Malformed { .. })));
        assert!(matches!(decoder.on_event("message", r#"{"choices":[{"delta":{"content":5}}]}"#), Err(WireFault::Malformed { .. })));
    }
}
