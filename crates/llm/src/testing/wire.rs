//! The bytes a real provider sends: SSE events as Anthropic and OpenAI write them,
//! and their error bodies. Kept apart from the client's decoders on purpose: the
//! fake is written from the providers' documentation, not from our parser.

use serde_json::json;

use crate::config::ProviderKind;

fn named_event(name: &str, data: &serde_json::Value) -> String {
    format!("event: {name}\ndata: {data}\n\n")
}

fn data_event(data: &str) -> String {
    format!("data: {data}\n\n")
}

/// Events sent before the first text delta.
pub(crate) fn prelude(provider: ProviderKind, model: &str) -> Vec<String> {
    match provider {
        ProviderKind::Anthropic => vec![
            named_event(
                "message_start",
                &json!({"type": "message_start", "message": {
                    "id": "msg_fake", "type": "message", "role": "assistant", "content": [],
                    "model": model, "stop_reason": null, "stop_sequence": null,
                    // As documented: input_tokens excludes the cached prompt tokens.
                    "usage": {"input_tokens": 12, "cache_creation_input_tokens": 100,
                              "cache_read_input_tokens": 200, "output_tokens": 1}}}),
            ),
            named_event(
                "content_block_start",
                &json!({"type": "content_block_start", "index": 0,
                        "content_block": {"type": "text", "text": ""}}),
            ),
            named_event("ping", &json!({"type": "ping"})),
        ],
        ProviderKind::OpenAi => vec![data_event(&openai_chunk(model, json!({"role": "assistant", "content": ""}), None))],
    }
}

pub(crate) fn delta(provider: ProviderKind, model: &str, text: &str) -> String {
    match provider {
        ProviderKind::Anthropic => named_event(
            "content_block_delta",
            &json!({"type": "content_block_delta", "index": 0,
                    "delta": {"type": "text_delta", "text": text}}),
        ),
        ProviderKind::OpenAi => data_event(&openai_chunk(model, json!({"content": text}), None)),
    }
}

/// Events that end a reply normally. The fake counts one output token per delta;
/// OpenAI-compatible servers send usage only when the request asked for it
/// (`stream_options.include_usage`), in a last chunk with no choices.
pub(crate) fn epilogue(provider: ProviderKind, model: &str, deltas: usize, include_usage: bool) -> Vec<String> {
    epilogue_because(provider, model, deltas, include_usage, false)
}

/// Events that end a reply, normally or at the token limit (`max_tokens` / `length`).
pub(crate) fn epilogue_because(provider: ProviderKind, model: &str, deltas: usize, include_usage: bool, token_limit: bool) -> Vec<String> {
    let (anthropic, openai) = if token_limit { ("max_tokens", "length") } else { ("end_turn", "stop") };
    match provider {
        ProviderKind::Anthropic => vec![
            named_event("content_block_stop", &json!({"type": "content_block_stop", "index": 0})),
            named_event(
                "message_delta",
                &json!({"type": "message_delta",
                        "delta": {"stop_reason": anthropic, "stop_sequence": null},
                        "usage": {"output_tokens": deltas}}),
            ),
            named_event("message_stop", &json!({"type": "message_stop"})),
        ],
        ProviderKind::OpenAi => {
            let mut events = vec![data_event(&openai_chunk(model, json!({}), Some(openai)))];
            if include_usage {
                let usage = json!({
                    "id": "chatcmpl-fake", "object": "chat.completion.chunk", "created": 1_700_000_000,
                    "model": model, "choices": [],
                    "usage": {"prompt_tokens": 312, "completion_tokens": deltas, "total_tokens": 312 + deltas,
                              "prompt_tokens_details": {"cached_tokens": 200}},
                });
                events.push(data_event(&usage.to_string()));
            }
            events.push(data_event("[DONE]"));
            events
        }
    }
}

/// An event whose JSON is cut off.
pub(crate) fn malformed(provider: ProviderKind) -> String {
    match provider {
        ProviderKind::Anthropic => {
            "event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\",\"text\":\"brok\n\n".to_string()
        }
        ProviderKind::OpenAi => "data: {\"id\":\"chatcmpl-fake\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"brok\n\n".to_string(),
    }
}

/// An error reported inside the stream.
pub(crate) fn stream_error(provider: ProviderKind, kind: &str, message: &str) -> String {
    match provider {
        ProviderKind::Anthropic => named_event("error", &json!({"type": "error", "error": {"type": kind, "message": message}})),
        ProviderKind::OpenAi => data_event(&json!({"error": {"message": message, "type": kind, "param": null, "code": null}}).to_string()),
    }
}

fn openai_chunk(model: &str, delta: serde_json::Value, finish: Option<&str>) -> String {
    json!({
        "id": "chatcmpl-fake", "object": "chat.completion.chunk", "created": 1_700_000_000,
        "model": model,
        "choices": [{"index": 0, "delta": delta, "logprobs": null, "finish_reason": finish}],
    })
    .to_string()
}

/// An error body as the provider sends it with a non-2xx status.
pub fn error_body(provider: ProviderKind, kind: &str, message: &str) -> String {
    match provider {
        ProviderKind::Anthropic => json!({"type": "error", "error": {"type": kind, "message": message}}).to_string(),
        ProviderKind::OpenAi => json!({"error": {"message": message, "type": kind, "param": null, "code": null}}).to_string(),
    }
}

/// The 401 body each provider sends for a wrong key. OpenAI's quotes a masked key
/// (first three and last four characters), which the client must not repeat.
pub(crate) fn key_refused_body(provider: ProviderKind, received_key: &str) -> String {
    match provider {
        ProviderKind::Anthropic => error_body(provider, "authentication_error", "invalid x-api-key"),
        ProviderKind::OpenAi => {
            let chars: Vec<char> = received_key.chars().collect();
            let masked = if chars.len() > 8 {
                let head: String = chars[..3].iter().collect();
                let tail: String = chars[chars.len() - 4..].iter().collect();
                format!("{head}{}{tail}", "*".repeat(chars.len() - 7))
            } else {
                "*".repeat(chars.len())
            };
            json!({"error": {
                "message": format!("Incorrect API key provided: {masked}. You can find your API key at https://platform.openai.com/account/api-keys."),
                "type": "invalid_request_error", "param": null, "code": "invalid_api_key"}})
            .to_string()
        }
    }
}
