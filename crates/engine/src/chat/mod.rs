//! A chat job, shared by `llmos.chat.send` and `llmos chat`: building the request
//! (system prompt, pinned and relevant skills, turns), streaming the reply through a
//! [`ReplySink`] with marker-like lines escaped, and the text that opens and closes a
//! reply. The server's sink turns text into versioned edits of the open buffer (with the
//! [`tracker`] watching where they land); the CLI's prints it; both end a session that
//! is not open with [`merge_reply_into_file`].

pub mod context;
pub mod tracker;

use std::path::Path;

use llmos_documents::frontmatter::set_fields;
use llmos_documents::marker_escape::MarkerEscaper;
use llmos_documents::session::blank_line_before;
use llmos_documents::{Role, SessionDoc};
use llmos_llm::{CancellationToken, ChatOutcome, ChatRequest, LlmClient, LlmConfig, LlmError, ProviderKind};
use llmos_workspace::config::LlmSettings;
use llmos_workspace::{Config, Index};

pub use context::build_request;

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

/// The text inserted before a reply: a blank line and the assistant marker.
pub fn reply_opening(text: &str, model: &str) -> String {
    format!("{}{}\n", blank_line_before(text), llmos_documents::session::render_marker(Role::Assistant, &[("model", model)]))
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
    pub fn of(result: &Result<ChatOutcome, LlmError>) -> ReplyEnd {
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
    pub request: ChatRequest,
}

/// Checks the session can be sent and builds its request.
pub fn prepare(config: &Config, index: &Index, text: &str) -> Result<Prepared, String> {
    let doc = SessionDoc::parse(text);
    check_sendable(&doc, text)?;
    let llm = llm_config(config, doc.model())?;
    let request = build_request(config, index, &doc, text);
    Ok(Prepared { config: llm, request })
}

/// The user-facing message for a failed reply.
pub fn describe_error(e: &LlmError) -> String {
    e.to_string()
}

/// The edits still needed after a reply is in place: its marker says how it stopped,
/// and a committed session goes back to `status: uncommitted`. Empty when done; `None`
/// when the reply's turn cannot be found (the user deleted it).
pub fn closing_edits(text: &str, reply: &str, attrs: &[(&str, &str)], model: &str) -> Option<Vec<llmos_documents::Edit>> {
    let doc = SessionDoc::parse(text);
    let mut edits = Vec::new();
    if !attrs.is_empty() {
        let head: String = reply.chars().take(40).collect();
        let turn = doc
            .turns
            .iter()
            .rev()
            .find(|t| t.role == Some(llmos_documents::Role::Assistant) && text.get(t.content.clone()).is_some_and(|c| c.starts_with(&head)))?;
        let marker = reply_marker(model, attrs);
        if text.get(turn.marker.clone()) != Some(marker.as_str()) {
            edits.push(llmos_documents::Edit::replace(turn.marker.clone(), marker));
        }
    }
    if doc.is_marked_committed() {
        edits.extend(set_fields(text, &[("status", "uncommitted")]).unwrap_or_default());
    }
    Some(edits)
}

fn reply_marker(model: &str, attrs: &[(&str, &str)]) -> String {
    let mut all = vec![("model", model)];
    all.extend_from_slice(attrs);
    llmos_documents::session::render_marker(llmos_documents::Role::Assistant, &all)
}

/// The file text with a whole reply appended (for sessions that are not open).
pub fn append_reply(text: &str, reply: &str, attrs: &[(&str, &str)], model: &str) -> String {
    let mut out = text.to_string();
    out.push_str(blank_line_before(text));
    out.push_str(&reply_marker(model, attrs));
    out.push('\n');
    out.push_str(reply);
    out.push_str(&reply_closing(reply));
    if SessionDoc::parse(&out).is_marked_committed()
        && let Some(edits) = set_fields(&out, &[("status", "uncommitted")])
    {
        out = llmos_documents::frontmatter::apply_edits(&out, &edits);
    }
    out
}

/// Writes through a temporary file in the same folder and renames it into place.
pub fn write_atomically(path: &std::path::Path, text: &str) -> std::io::Result<()> {
    use std::io::Write;
    let dir = path.parent().unwrap_or(std::path::Path::new("."));
    let tmp = dir.join(format!(".{}.llmos-tmp-{}", path.file_name().and_then(|n| n.to_str()).unwrap_or("session"), std::process::id()));
    // The replacement keeps the file's permissions (a read-only 0444 session stays so).
    let permissions = std::fs::metadata(path).ok().filter(|m| m.is_file()).map(|m| m.permissions());
    {
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(text.as_bytes())?;
        f.sync_all()?;
        if let Some(p) = permissions {
            f.set_permissions(p)?;
        }
    }
    std::fs::rename(&tmp, path).inspect_err(|_| {
        let _ = std::fs::remove_file(&tmp);
    })
}

/// The session with `message` as the last user turn: written into an empty last user
/// turn, or as a new user turn.
pub fn with_user_message(text: &str, message: &str) -> String {
    let doc = SessionDoc::parse(text);
    let message = llmos_documents::session::escape_markers(message.trim());
    match doc.turns.last() {
        Some(t) if t.role == Some(Role::User) && t.is_blank(text) && text.is_char_boundary(t.marker.end) => {
            format!("{}\n{message}\n", text.get(..t.marker.end).unwrap_or(text))
        }
        _ => format!("{text}{}{}\n{message}\n", blank_line_before(text), llmos_documents::session::render_marker(Role::User, &[])),
    }
}

/// Where a reply goes as it streams: the open buffer (the server), the terminal (the CLI).
/// It is given text already escaped, in order, each piece once.
pub trait ReplySink {
    fn write(&mut self, text: &str);
}

impl<F: FnMut(&str)> ReplySink for F {
    fn write(&mut self, text: &str) {
        self(text)
    }
}

/// What a streamed reply came to.
pub struct Streamed {
    /// The whole reply as written to the sink (marker-like lines escaped).
    pub reply: String,
    /// How it ended, for its marker.
    pub end: ReplyEnd,
    /// The provider's outcome: usage and stop reason, or why it failed.
    pub result: Result<ChatOutcome, LlmError>,
}

impl Streamed {
    /// The marker attributes, owned (see [`ReplyEnd::attrs`]).
    pub fn attrs(&self) -> Vec<(&'static str, String)> {
        self.end.attrs()
    }

    /// The user-facing error, unless the user cancelled.
    pub fn error(&self) -> Option<String> {
        match &self.result {
            Err(e) if !e.is_cancelled() => Some(describe_error(e)),
            _ => None,
        }
    }
}

/// Streams the reply to `request` into `sink`, escaping every line that would read as a
/// turn marker (a reply cannot forge a turn), until the provider ends, fails or `cancel`
/// fires. The sink sees each piece as soon as it is decided.
pub async fn stream_reply(client: &LlmClient, request: &ChatRequest, cancel: &CancellationToken, sink: &mut impl ReplySink) -> Streamed {
    let mut escaper = MarkerEscaper::new();
    let mut reply = String::new();
    let result = client
        .stream_chat(request, cancel, |delta| {
            let safe = escaper.push(delta);
            if !safe.is_empty() {
                sink.write(&safe);
                reply.push_str(&safe);
            }
        })
        .await;
    let rest = escaper.finish();
    if !rest.is_empty() {
        sink.write(&rest);
        reply.push_str(&rest);
    }
    let end = ReplyEnd::of(&result);
    Streamed { reply, end, result }
}

/// Appends a whole reply to the session file as it is now (not as it was when the reply
/// started: an editor may have saved meanwhile), after `adjust` (the CLI's `-m` message),
/// and writes it atomically. Used for sessions that are not open in an editor. When the
/// file cannot be read any more (deleted, replaced by a folder), the text the reply was
/// sent from is used, so the reply is never lost.
pub fn merge_reply_into_file(path: &Path, started_from: &str, streamed: &Streamed, model: &str, adjust: impl FnOnce(String) -> String) -> Result<(), String> {
    let current = llmos_workspace::bounded::read_text(path, llmos_workspace::bounded::DEFAULT_MAX_BYTES).unwrap_or_else(|_| started_from.to_string());
    let current = adjust(current);
    let owned = streamed.attrs();
    let attrs: Vec<(&str, &str)> = owned.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let text = if streamed.reply.is_empty() { current } else { append_reply(&current, &streamed.reply, &attrs, model) };
    write_atomically(path, &text).map_err(|e| format!("cannot write {}: {e}", path.display()))
}
