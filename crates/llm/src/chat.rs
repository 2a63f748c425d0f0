//! What a caller sends and gets back: the conversation to answer and the finished
//! reply. Building the conversation (system prompt, skills, turns) is the server's
//! job; this crate sends it as given.

use serde::{Deserialize, Serialize};

/// Who wrote a turn. The system prompt is separate ([`ChatRequest::system`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    User,
    Assistant,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::User => "user",
            Role::Assistant => "assistant",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChatMessage {
    pub role: Role,
    pub content: String,
}

impl ChatMessage {
    pub fn user(content: impl Into<String>) -> Self {
        ChatMessage { role: Role::User, content: content.into() }
    }

    pub fn assistant(content: impl Into<String>) -> Self {
        ChatMessage { role: Role::Assistant, content: content.into() }
    }
}

/// One request to the provider. An empty `system` is not sent at all.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ChatRequest {
    pub system: String,
    pub messages: Vec<ChatMessage>,
    /// Overrides `LlmConfig::model` for this request.
    pub model: Option<String>,
    /// Overrides `LlmConfig::max_tokens` for this request.
    pub max_tokens: Option<u32>,
}

impl ChatRequest {
    pub fn new(system: impl Into<String>, messages: Vec<ChatMessage>) -> Self {
        ChatRequest { system: system.into(), messages, model: None, max_tokens: None }
    }
}

/// A reply that ran to its end.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChatOutcome {
    /// The whole reply: the concatenation of every delta handed to the callback.
    pub text: String,
    /// The provider's reason as sent (`end_turn`, `max_tokens`, `stop`, `length`…),
    /// `None` when the stream ended properly without one.
    pub stop_reason: Option<String>,
    /// HTTP requests made, retries included (1 when the first one succeeded).
    pub attempts: u32,
    /// The tokens the provider reported for this reply, `None` when it sent no usage.
    pub usage: Option<TokenUsage>,
}

/// Token usage as a provider reports it while streaming. `input` counts every prompt
/// token, cached or not (Anthropic's `input_tokens` excludes cache reads and writes,
/// so they are added; OpenAI's `prompt_tokens` already includes `cached_tokens`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct TokenUsage {
    pub input: u64,
    pub output: u64,
    pub cache_read: u64,
    pub cache_write: u64,
}

impl ChatOutcome {
    /// True when the provider stopped because it reached the token limit, so the
    /// reply is cut short although the stream ended normally.
    pub fn hit_token_limit(&self) -> bool {
        matches!(self.stop_reason.as_deref(), Some("max_tokens" | "length"))
    }
}
