//! Chat inside a session, shared by `llmos.chat.send` and `llmos chat`: building the
//! request (system prompt, pinned and relevant skills, turns), escaping what the model
//! writes, and the text that opens and closes a reply.

pub mod context;
pub mod escape;
pub mod tracker;

use llmos_documents::{Role, SessionDoc};
use llmos_llm::{LlmConfig, ProviderKind};
use llmos_workspace::config::LlmSettings;
use llmos_workspace::{Config, Index};

pub use context::build_request;
pub use escape::MarkerEscaper;

/// The provider configuration from `[llm]`, with the session's `model:` override.
pub fn llm_config(config: &Config, session_model: Option<&str>) -> Result<LlmConfig, String> {
    let Some(settings) = &config.llm else {
        return Err("no LLM is configured: add an [llm] table to llmos.toml with provider = \"anthropic\" or \"openai\" and a model".into());
    };
    to_llm_config(settings, session_model)
}

fn to_llm_config(s: &LlmSettings, session_model: Option<&str>) -> Result<LlmConfig, String> {
    let provider: ProviderKind = s.provider.parse().map_err(|_| format!("unknown provider `{}`", s.provider))?;
    let model = session_model
        .map(str::to_string)
        .or_else(|| s.model.clone())
        .ok_or_else(|| "no model is configured: set `model` in [llm] of llmos.toml or `model:` in the session".to_string())?;
    let mut cfg = LlmConfig::new(provider, model);
    cfg.base_url = s.base_url.clone();
    cfg.api_key_env = s.api_key_env.clone();
    if let Some(n) = s.max_tokens {
        cfg.max_tokens = n;
    }
    if let Some(t) = s.timeout {
        cfg.timeout = t;
    }
    Ok(cfg)
}

/// What must hold before a session can be sent: its last turn is a user turn with text.
pub fn check_sendable(doc: &SessionDoc, text: &str) -> Result<(), String> {
    let Some(last) = doc.turns.last() else {
        return Err("the session has no turns: add `<!-- turn: user -->` and your prompt under it".into());
    };
    if last.role != Some(Role::User) {
        return Err("the last turn is not a user turn: add `<!-- turn: user -->` and your prompt under it".into());
    }
    if last.is_blank(text) {
        return Err("the last user turn is empty: write your prompt under the last `<!-- turn: user -->`".into());
    }
    Ok(())
}

/// The line breaks that put a blank line between `text` and what follows.
pub fn reply_lead(text: &str) -> &'static str {
    if text.ends_with("\n\n") || text.is_empty() {
        ""
    } else if text.ends_with('\n') {
        "\n"
    } else {
        "\n\n"
    }
}

/// The text inserted before a reply: a blank line and the assistant marker.
pub fn reply_opening(text: &str, model: &str) -> String {
    format!("{}{}\n", reply_lead(text), llmos_documents::session::render_marker(Role::Assistant, &[("model", model)]))
}

/// How a reply ended, as its assistant marker records it (docs/design.md §3.2).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ReplyEnd {
    /// Cancelled, dropped or failed: the text is partial.
    pub interrupted: bool,
    /// The provider stopped at the token limit.
    pub max_tokens: bool,
    pub usage: Option<llmos_llm::TokenUsage>,
}

impl ReplyEnd {
    pub fn of(result: &Result<llmos_llm::ChatOutcome, llmos_llm::LlmError>) -> ReplyEnd {
        match result {
            Ok(outcome) => ReplyEnd { interrupted: false, max_tokens: outcome.hit_token_limit(), usage: outcome.usage },
            Err(_) => ReplyEnd { interrupted: true, max_tokens: false, usage: None },
        }
    }
}

impl ReplyEnd {
    /// The marker attributes after `model=…`: `interrupted=true`, `stop=max_tokens`,
    /// `tokens=IN/OUT` and `cache=READ/WRITE`, each when it applies.
    pub fn attrs(&self) -> Vec<(&'static str, String)> {
        let mut attrs = Vec::new();
        if self.interrupted {
            attrs.push(("interrupted", "true".to_string()));
        }
        if self.max_tokens {
            attrs.push(("stop", "max_tokens".to_string()));
        }
        if let Some(u) = self.usage {
            attrs.push(("tokens", format!("{}/{}", u.input, u.output)));
            if u.cache_read > 0 || u.cache_write > 0 {
                attrs.push(("cache", format!("{}/{}", u.cache_read, u.cache_write)));
            }
        }
        attrs
    }
}

/// The text appended after a reply: the fence the reply left open is closed, then the
/// next, empty user turn, so the session can be sent again however the reply ended.
pub fn reply_closing(reply: &str) -> String {
    let mut out = String::new();
    if let Some(closer) = llmos_documents::session::open_fence_closer(reply) {
        if !reply.ends_with('\n') {
            out.push('\n');
        }
        out.push_str(&closer);
        out.push('\n');
    }
    let ends_line = if out.is_empty() { reply.ends_with('\n') } else { true };
    out.push_str(if ends_line { "\n" } else { "\n\n" });
    out.push_str(&llmos_documents::session::render_marker(Role::User, &[]));
    out.push_str("\n\n");
    out
}

/// Everything needed to send one session.
pub struct Prepared {
    pub config: LlmConfig,
    pub request: llmos_llm::ChatRequest,
}

pub fn prepare(config: &Config, index: &Index, text: &str) -> Result<Prepared, String> {
    let doc = SessionDoc::parse(text);
    check_sendable(&doc, text)?;
    let llm = llm_config(config, doc.model())?;
    let request = build_request(config, index, &doc, text);
    Ok(Prepared { config: llm, request })
}

/// The user-facing message for a failed reply.
pub fn describe_error(e: &llmos_llm::LlmError) -> String {
    e.to_string()
}
