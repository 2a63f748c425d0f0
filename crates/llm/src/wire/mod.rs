//! The two wire formats: how a [`ChatRequest`](crate::ChatRequest) becomes a JSON
//! body, and how each decoded server-sent event becomes a step of the reply. Pure
//! functions over strings, so every event shape is unit-tested without a socket.

pub(crate) mod anthropic;
pub(crate) mod openai;

use crate::config::ProviderKind;

/// What one event contributes to the reply.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Step {
    /// Text to hand to the caller now.
    Text(String),
    /// Nothing for the caller (pings, bookkeeping events, empty deltas).
    Nothing,
    /// The provider marked the end of the reply.
    Done,
}

/// An event the decoder could not accept.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum WireFault {
    Malformed {
        event: String,
        reason: String,
    },
    /// The provider reported an error inside the stream.
    Provider {
        kind: String,
        message: String,
    },
}

/// Per-reply decoding state for either provider.
#[derive(Debug)]
pub(crate) enum Decoder {
    Anthropic(anthropic::Decoder),
    OpenAi(openai::Decoder),
}

impl Decoder {
    pub(crate) fn new(provider: ProviderKind) -> Self {
        match provider {
            ProviderKind::Anthropic => Decoder::Anthropic(anthropic::Decoder::default()),
            ProviderKind::OpenAi => Decoder::OpenAi(openai::Decoder::default()),
        }
    }

    pub(crate) fn on_event(&mut self, event: &str, data: &str) -> Result<Step, WireFault> {
        match self {
            Decoder::Anthropic(decoder) => decoder.on_event(event, data),
            Decoder::OpenAi(decoder) => decoder.on_event(event, data),
        }
    }

    /// The usage the provider reported, if it did.
    pub(crate) fn usage(&self) -> Option<crate::chat::TokenUsage> {
        match self {
            Decoder::Anthropic(decoder) => decoder.usage,
            Decoder::OpenAi(decoder) => decoder.usage,
        }
    }

    /// The stop reason seen so far; a stream that ends cleanly after one is complete
    /// even without the final marker (some OpenAI-compatible servers omit `[DONE]`).
    pub(crate) fn stop_reason(&self) -> Option<&str> {
        match self {
            Decoder::Anthropic(decoder) => decoder.stop_reason.as_deref(),
            Decoder::OpenAi(decoder) => decoder.stop_reason.as_deref(),
        }
    }
}

/// Builds the malformed-event fault with a short, single-line view of the data.
pub(crate) fn malformed(event: &str, error: &serde_json::Error, data: &str) -> WireFault {
    const SHOWN: usize = 80;
    let mut shown: String = data.chars().take(SHOWN).collect();
    if data.chars().count() > SHOWN {
        shown.push('…');
    }
    WireFault::Malformed { event: event.to_string(), reason: format!("{error} in {shown:?}") }
}

/// The `(kind, message)` of an error body, for both providers and the usual
/// OpenAI-compatible variants (`{"error":{"message","type"}}`, `{"error":"…"}`,
/// `{"message":"…"}`, `{"detail":"…"}`). `None` when the body is not JSON or has
/// none of these.
pub(crate) fn error_details(body: &str) -> Option<(Option<String>, String)> {
    let value: serde_json::Value = serde_json::from_str(body).ok()?;
    let text = |v: Option<&serde_json::Value>| v.and_then(|v| v.as_str()).map(str::to_string);
    match value.get("error") {
        Some(serde_json::Value::String(message)) => Some((None, message.clone())),
        Some(error @ serde_json::Value::Object(_)) => {
            let kind = text(error.get("type")).or_else(|| text(error.get("code")));
            let message = text(error.get("message")).unwrap_or_else(|| kind.clone().unwrap_or_else(|| error.to_string()));
            Some((kind, message))
        }
        _ => text(value.get("message")).or_else(|| text(value.get("detail"))).map(|message| (None, message)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_details_reads_every_known_shape() {
        assert_eq!(
            error_details(r#"{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}"#),
            Some((Some("overloaded_error".into()), "Overloaded".into()))
        );
        assert_eq!(
            error_details(r#"{"error":{"message":"bad model","type":"invalid_request_error","code":null}}"#),
            Some((Some("invalid_request_error".into()), "bad model".into()))
        );
        assert_eq!(error_details(r#"{"error":"model 'x' not found"}"#), Some((None, "model 'x' not found".into())));
        assert_eq!(error_details(r#"{"detail":"Not Found"}"#), Some((None, "Not Found".into())));
        assert_eq!(error_details("<html>502 Bad Gateway</html>"), None);
        assert_eq!(error_details(r#"{"ok":true}"#), None);
        assert_eq!(error_details(""), None);
    }

    proptest::proptest! {
        /// SSE decoding of arbitrary events never panics, for either provider, and keeps
        /// answering after a fault.
        #[test]
        fn decoders_never_panic(events in proptest::collection::vec((
            proptest::prop_oneof![
                proptest::strategy::Just("message".to_string()),
                proptest::strategy::Just("content_block_delta".to_string()),
                proptest::strategy::Just("message_delta".to_string()),
                proptest::strategy::Just("error".to_string()),
                proptest::strategy::Just("ping".to_string()),
                proptest::prelude::any::<String>(),
            ],
            proptest::prop_oneof![
                proptest::strategy::Just(r#"{"type":"content_block_delta","delta":{"type":"text_delta","text":"é"}}"#.to_string()),
                proptest::strategy::Just(r#"{"choices":[{"delta":{"content":"x"},"finish_reason":null}]}"#.to_string()),
                proptest::strategy::Just(r#"{"type":"error","error":{"type":{"a":1},"message":5}}"#.to_string()),
                proptest::strategy::Just("[DONE]".to_string()),
                r#"[{}\[\]":,a-z0-9é]{0,40}"#,
                proptest::prelude::any::<String>(),
            ],
        ), 0..12)) {
            for provider in [ProviderKind::Anthropic, ProviderKind::OpenAi] {
                let mut decoder = Decoder::new(provider);
                for (event, data) in &events {
                    let _ = decoder.on_event(event, data);
                }
                let _ = decoder.stop_reason();
            }
        }
    }
}
