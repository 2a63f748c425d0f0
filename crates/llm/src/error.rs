//! Every way a chat request can fail, each worded for the person who will read it
//! in their editor. Variants that can happen after text arrived carry that text as
//! `partial` so nothing received is lost. No variant ever holds the API key: the
//! provider's own messages are scrubbed before they are stored (see `secret`).

use std::time::Duration;

use crate::config::{ProviderKind, format_duration};

#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum LlmError {
    #[error("No LLM is configured: add an [llm] table with `provider` and `model` to llmos.toml.")]
    NotConfigured,

    #[error("The [llm] configuration in llmos.toml is invalid: {reason}.")]
    InvalidConfig { reason: String },

    #[error("There is nothing to send: the conversation has no messages.")]
    EmptyConversation,

    #[error(
        "The environment variable {var} is not set; it must hold the {provider} API key (set it, or name another variable with `api_key_env` in llmos.toml)."
    )]
    KeyMissing { provider: ProviderKind, var: String },

    #[error(
        "The {provider} API refused {} (HTTP {status}): {message}",
        key_source(var.as_deref())
    )]
    KeyRefused {
        provider: ProviderKind,
        status: u16,
        /// The variable the key came from; `None` when no key was sent.
        var: Option<String>,
        message: String,
    },

    #[error(
        "The {provider} API is rate limiting requests (HTTP 429){}, and gave up after {attempts} attempt(s): {message}",
        retry_hint(*retry_after)
    )]
    RateLimited { provider: ProviderKind, attempts: u32, retry_after: Option<Duration>, message: String },

    #[error("The {provider} API failed with HTTP {status} after {attempts} attempt(s): {message}")]
    ServerError { provider: ProviderKind, status: u16, attempts: u32, message: String },

    #[error("The {provider} API at {endpoint} rejected the request (HTTP {status}): {message}")]
    Rejected { provider: ProviderKind, endpoint: String, status: u16, message: String },

    #[error("Could not reach the {provider} API at {endpoint}: {reason}.")]
    Connect { provider: ProviderKind, endpoint: String, reason: String },

    #[error(
        "The {provider} API {} {}.{}",
        timeout_phase_text(*phase),
        format_duration(*after),
        kept_text(partial)
    )]
    Timeout { provider: ProviderKind, phase: TimeoutPhase, after: Duration, partial: String },

    #[error("The {provider} reply stopped in the middle: {reason}.{}", kept_text(partial))]
    Dropped { provider: ProviderKind, reason: String, partial: String },

    #[error("The {provider} API sent a malformed `{event}` event ({reason}).{}", kept_text(partial))]
    MalformedEvent { provider: ProviderKind, event: String, reason: String, partial: String },

    #[error("The {provider} API reported an error ({kind}): {message}{}", kept_text(partial))]
    ProviderError { provider: ProviderKind, kind: String, message: String, partial: String },

    #[error("The {provider} API answered with `{content_type}` instead of an event stream: {snippet}")]
    UnexpectedResponse { provider: ProviderKind, content_type: String, snippet: String },

    #[error("The reply was cancelled.{}", kept_text(partial))]
    Cancelled { partial: String },
}

/// Where a timeout happened: before the response started or in its middle.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TimeoutPhase {
    /// No response headers (or no connection) within the timeout.
    WaitingForResponse,
    /// The stream went silent for longer than the timeout.
    BetweenEvents,
}

impl LlmError {
    /// Text received before the failure; empty when none was.
    pub fn partial(&self) -> &str {
        match self {
            LlmError::Timeout { partial, .. }
            | LlmError::Dropped { partial, .. }
            | LlmError::MalformedEvent { partial, .. }
            | LlmError::ProviderError { partial, .. }
            | LlmError::Cancelled { partial } => partial,
            _ => "",
        }
    }

    /// Replaces the kept text by the key-filtered text that was actually passed on.
    pub(crate) fn set_partial(&mut self, text: &str) {
        match self {
            LlmError::Timeout { partial, .. }
            | LlmError::Dropped { partial, .. }
            | LlmError::MalformedEvent { partial, .. }
            | LlmError::ProviderError { partial, .. }
            | LlmError::Cancelled { partial } => *partial = text.to_string(),
            _ => {}
        }
    }

    /// True when the caller cancelled; such an error needs no message to the user.
    pub fn is_cancelled(&self) -> bool {
        matches!(self, LlmError::Cancelled { .. })
    }

    /// True for mistakes the user fixes in `llmos.toml` or the environment, as
    /// opposed to failures of the provider or the network.
    pub fn is_configuration(&self) -> bool {
        matches!(self, LlmError::NotConfigured | LlmError::InvalidConfig { .. } | LlmError::KeyMissing { .. } | LlmError::KeyRefused { .. })
    }
}

fn key_source(var: Option<&str>) -> String {
    match var {
        Some(var) => format!("the API key from {var}"),
        None => "the request because no API key was sent (name the variable holding it with `api_key_env` in llmos.toml)".to_string(),
    }
}

fn retry_hint(retry_after: Option<Duration>) -> String {
    match retry_after {
        Some(after) => format!(" and asks to wait {}", format_duration(after)),
        None => String::new(),
    }
}

fn timeout_phase_text(phase: TimeoutPhase) -> &'static str {
    match phase {
        TimeoutPhase::WaitingForResponse => "did not answer within",
        TimeoutPhase::BetweenEvents => "went silent in the middle of the reply for",
    }
}

fn kept_text(partial: &str) -> String {
    if partial.is_empty() { String::new() } else { format!(" The {} character(s) received before were kept.", partial.chars().count()) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_are_sentences_that_name_what_to_fix() {
        let missing = LlmError::KeyMissing { provider: ProviderKind::Anthropic, var: "ANTHROPIC_API_KEY".into() };
        assert_eq!(
            missing.to_string(),
            "The environment variable ANTHROPIC_API_KEY is not set; it must hold the Anthropic API key (set it, or name another variable with `api_key_env` in llmos.toml)."
        );
        let timeout =
            LlmError::Timeout { provider: ProviderKind::OpenAi, phase: TimeoutPhase::BetweenEvents, after: Duration::from_secs(90), partial: "héllo".into() };
        assert_eq!(
            timeout.to_string(),
            "The OpenAI-compatible API went silent in the middle of the reply for 1m30s. The 5 character(s) received before were kept."
        );
        assert_eq!(timeout.partial(), "héllo");
        let refused = LlmError::KeyRefused { provider: ProviderKind::OpenAi, status: 401, var: None, message: "unauthorized".into() };
        assert!(refused.to_string().contains("no API key was sent"));
        assert!(refused.is_configuration());
        assert_eq!(refused.partial(), "");
    }
}
