//! LLM provider client for llmos: sends a conversation to an Anthropic Messages or
//! OpenAI-compatible Chat Completions endpoint and streams the reply back as text
//! deltas, with retries, timeouts, cancellation and errors a user can act on.
//!
//! Boundaries: this crate knows nothing of LSP, sessions or skills. The caller
//! builds the [`ChatRequest`] (system prompt, context, turns) and decides where the
//! text goes. The API key is read from the environment variable the config names,
//! and never appears in an error, a `Debug` output or a log line.
//!
//! With the `testing` feature, [`testing`] offers a loopback fake provider that
//! speaks both wire formats, for this crate's tests and for other crates'.

// Input from users, files, the network and git is sliced only through checked
// accessors (`.get`, iterators), so no input can panic here.
#![cfg_attr(not(test), deny(clippy::string_slice, clippy::indexing_slicing))]

mod chat;
mod client;
mod config;
mod error;
mod probe;
mod secret;
mod wire;

// The loopback fake provider is test scaffolding (the `testing` feature), reading only
// what the tests send it.
#[cfg(feature = "testing")]
#[allow(clippy::string_slice, clippy::indexing_slicing)]
pub mod testing;

pub use chat::{ChatMessage, ChatOutcome, ChatRequest, Role, TokenUsage};
pub use client::{LlmClient, complete, process_env, stream_chat};
pub use config::{
    DEFAULT_MAX_RETRIES, DEFAULT_MAX_RETRY_WAIT, DEFAULT_MAX_TOKENS, DEFAULT_RETRY_BACKOFF, DEFAULT_TIMEOUT, DurationError, KeyPolicy, LlmConfig, ProviderKind,
    UnknownProvider, deserialize_duration, format_duration, parse_duration,
};
pub use error::{LlmError, TimeoutPhase};
pub use probe::{KeyStatus, Probe, Reachability, key_status, probe};
pub use tokio_util::sync::CancellationToken;
