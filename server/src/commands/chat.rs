//! `llmos.chat.send` / `llmos.chat.cancel`: stream a reply into the session.
//!
//! Deltas from the provider are escaped (a reply cannot forge a turn) and handed to a
//! writer task that turns them into `workspace/applyEdit` calls: the first at once, then
//! at most about 20 a second, each a versioned `TextDocumentEdit` against the document
//! as the server last saw it. An edit the editor refuses (the user typed) is recomputed
//! and sent again; nothing the user types is overwritten. A session that is not open
//! is written atomically when the reply ends.

use std::sync::Arc;
use std::time::{Duration, Instant};

use llmos_engine::chat::tracker::ReplyTracker;
use llmos_engine::chat::{self, Streamed, closing_edits, merge_reply_into_file, stream_reply};
use llmos_llm::{CancellationToken, LlmClient, process_env};
use serde_json::{Value, json};
use tokio::sync::Notify;
use tower_lsp_server::jsonrpc::Result;
use tower_lsp_server::ls_types::*;

use super::{arg_uri, invalid_args, user_error};
use crate::lsp::Backend;
use crate::lsp::convert::{PosConv, uri_to_path};

const MIN_EDIT_INTERVAL: Duration = Duration::from_millis(50);
/// How long an edit answered `applied` may take to show in a didChange (eglot sends its
/// changes after an idle timer) before it counts as skipped.
const SEEN_TIMEOUT: Duration = Duration::from_millis(1500);
/// After a refused edit, how long to wait for the editor's own didChange before trying
/// again.
const REFUSED_PAUSE: Duration = Duration::from_millis(200);
/// Edits in a row that place nothing before the reply goes to the file instead.
const MAX_FRUITLESS_EDITS: usize = 25;

pub async fn send(backend: &Backend, args: &Value) -> Result<Value> {
    let uri = arg_uri(args)?;
    let wait = args.get("wait").and_then(Value::as_bool).unwrap_or(false);
    let path = uri_to_path(&uri).ok_or_else(|| invalid_args("only file: sessions can be sent"))?;
    if backend.jobs.is_chatting(&uri) {
        return Err(user_error("a reply is already being written into this session; cancel it first (llmos.chat.cancel)"));
    }
    let open = backend.state().snapshot(&uri);
    let text = match &open {
        Some(s) => s.text.clone(),
        None => llmos_workspace::bounded::read_text(&path, llmos_workspace::bounded::DEFAULT_MAX_BYTES).map_err(|e| user_error(e.to_string()))?,
    };
    let prepared = {
        let ws = backend.ws_read();
        if ws.kind_of(&path) != Some(llmos_workspace::DocKind::Session) {
            return Err(user_error(format!("{} is not a session (sessions live in a volume's sessions/ folder)", path.display())));
        }
        chat::prepare(&ws.config, &ws.index, &text).map_err(user_error)?
    };
    let client = LlmClient::new(&prepared.config, &process_env).map_err(|e| user_error(e.to_string()))?;
    let Some(cancel) = backend.jobs.start_chat(&uri) else {
        return Err(user_error("a reply is already being written into this session; cancel it first (llmos.chat.cancel)"));
    };
    let model = prepared.request.model.clone().unwrap_or_else(|| prepared.config.model.clone());
    // From here on every change to the buffer is seen by the reply's tracker, so the
    // reply lands where it belongs whatever the user types.
    let streams = {
        let mut state = backend.state();
        let can_edit = state.client.apply_edit;
        match state.docs.get_mut(&uri) {
            Some(doc) if can_edit => {
                doc.reply = Some(ReplyTracker::new(doc.rope.len_chars()));
                true
            }
            _ => false,
        }
    };
    let job = ChatJob { backend: backend.clone(), uri: uri.clone(), path, open: streams, model, cancel, sent_from: text };
    let run = job.run(client, prepared.request);
    if wait {
        let outcome = run.await;
        return Ok(outcome);
    }
    let backend = backend.clone();
    tokio::spawn(async move {
        crate::lsp::unwind::task("chat", run).await;
        // A job that panicked never reached its own end: the session must not stay
        // "already being written" until someone cancels it.
        backend.jobs.end_chat(&uri);
        if let Some(doc) = backend.state().docs.get_mut(&uri) {
            doc.reply = None;
        }
    });
    Ok(json!({ "started": true }))
}

pub fn cancel(backend: &Backend, args: &Value) -> Result<Value> {
    let uri = arg_uri(args)?;
    Ok(json!({ "cancelled": backend.jobs.cancel_chat(&uri) }))
}

struct ChatJob {
    backend: Backend,
    uri: Uri,
    path: std::path::PathBuf,
    open: bool,
    model: String,
    cancel: CancellationToken,
    /// The text the reply was sent from: written back with the reply if the file is gone.
    sent_from: String,
}

/// Text waiting to be written, shared between the provider callback and the writer.
#[derive(Default)]
struct Outbox {
    text: std::sync::Mutex<String>,
    notify: Notify,
    done: std::sync::atomic::AtomicBool,
}

impl Outbox {
    fn push(&self, text: &str) {
        if !text.is_empty() {
            self.text.lock().unwrap_or_else(|e| e.into_inner()).push_str(text);
            self.notify.notify_one();
        }
    }

    fn take(&self) -> String {
        std::mem::take(&mut *self.text.lock().unwrap_or_else(|e| e.into_inner()))
    }
}

/// What became of the reply text in the open document.
enum Placed {
    /// Everything is in the buffer, closing turn included.
    All,
    /// The document was closed (or never could take edits): the whole reply goes to disk.
    Closed,
}

impl ChatJob {
    async fn run(self, client: LlmClient, request: llmos_llm::ChatRequest) -> Value {
        let progress = self.begin_progress().await;
        let outbox = Arc::new(Outbox::default());
        let writer = {
            let job = self.clone_parts();
            let outbox = outbox.clone();
            tokio::spawn(async move { crate::lsp::unwind::task("chat writer", job.write_loop(&outbox, false)).await })
        };
        let streamed = stream_reply(&client, &request, &self.cancel, &mut |text: &str| outbox.push(text)).await;
        outbox.done.store(true, std::sync::atomic::Ordering::SeqCst);
        outbox.notify.notify_one();
        let placed = writer.await.ok().flatten().unwrap_or(Placed::Closed);
        let owned_attrs = streamed.attrs();
        let attrs: Vec<(&str, &str)> = owned_attrs.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let interrupted = streamed.result.is_err();
        let error = streamed.error();
        if !streamed.reply.is_empty() {
            self.finish(&streamed, &attrs, placed).await;
        }
        let reply = &streamed.reply;
        // The job is over once its text is in place: a cancel or send that arrives
        // after the progress end must find the session idle.
        self.backend.jobs.end_chat(&self.uri);
        if let Some(token) = progress {
            self.backend.jobs.forget_progress(&token);
            self.backend
                .client
                .send_notification::<notification::Progress>(ProgressParams {
                    token,
                    value: ProgressParamsValue::WorkDone(WorkDoneProgress::End(WorkDoneProgressEnd {
                        message: Some(if interrupted { "Reply interrupted".into() } else { "Reply complete".into() }),
                    })),
                })
                .await;
        }
        if let Some(msg) = &error {
            self.backend.client.show_message(MessageType::ERROR, format!("llmos: {msg}")).await;
        } else if attrs.contains(&("stop", "max_tokens")) {
            self.backend.client.show_message(MessageType::WARNING, "llmos: the reply was cut at the token limit (max_tokens in [llm] of llmos.toml)").await;
        }
        crate::handlers::diagnostics::schedule(&self.backend, self.uri.clone(), true);
        json!({ "chars": reply.chars().count(), "interrupted": interrupted, "stop": attrs.first().map(|a| a.1), "error": error })
    }

    fn clone_parts(&self) -> ChatJob {
        ChatJob {
            backend: self.backend.clone(),
            uri: self.uri.clone(),
            path: self.path.clone(),
            open: self.open,
            model: self.model.clone(),
            cancel: self.cancel.clone(),
            sent_from: self.sent_from.clone(),
        }
    }

    async fn begin_progress(&self) -> Option<ProgressToken> {
        if !self.backend.state().client.work_done_progress {
            return None;
        }
        let token = ProgressToken::String(format!("llmos-chat-{}", self.backend.jobs.next_id()));
        if self.backend.client.create_work_done_progress(token.clone()).await.is_err() {
            return None;
        }
        self.backend.jobs.remember_progress(&token, &self.uri);
        self.backend
            .client
            .send_notification::<notification::Progress>(ProgressParams {
                token: token.clone(),
                value: ProgressParamsValue::WorkDone(WorkDoneProgress::Begin(WorkDoneProgressBegin {
                    title: "Receiving reply…".into(),
                    cancellable: Some(true),
                    message: Some(self.model.clone()),
                    percentage: None,
                })),
            })
            .await;
        Some(token)
    }

    /// Streams what arrives into the open document until the reply (closing included)
    /// is in place: one edit at a time against the latest version seen, each checked
    /// against the editor's didChange, whatever the editor answered.
    async fn write_loop(&self, outbox: &Outbox, mut started: bool) -> Placed {
        if !self.open {
            return Placed::Closed;
        }
        let mut last_send: Option<Instant> = None;
        let mut fruitless = 0;
        loop {
            let done = outbox.done.load(std::sync::atomic::Ordering::SeqCst);
            let chunk = outbox.take();
            let step = {
                let mut state = self.backend.state();
                let unit = state.unit;
                let Some(doc) = state.docs.get_mut(&self.uri) else { return Placed::Closed };
                let version = doc.version;
                let rope = doc.rope.clone();
                let Some(reply) = doc.reply.as_mut() else { return Placed::Closed };
                if !chunk.is_empty() {
                    if !started {
                        let before = rope.slice(..reply.anchor.min(rope.len_chars())).to_string();
                        reply.queue.push_str(&chat::reply_opening(&before, &self.model));
                        started = true;
                    }
                    reply.queue.push_str(&chunk);
                }
                if reply.settled() {
                    if done && outbox.text.lock().unwrap_or_else(|e| e.into_inner()).is_empty() {
                        return Placed::All;
                    }
                    None
                } else if reply.inflight.is_some() {
                    None
                } else {
                    let mut edits: Vec<TextEdit> = reply
                        .misplaced
                        .iter()
                        .map(|r| TextEdit {
                            range: Range::new(rope_position(&rope, r.start, unit), rope_position(&rope, r.end, unit)),
                            new_text: String::new(),
                        })
                        .collect();
                    if !reply.queue.is_empty() {
                        let at = rope_position(&rope, reply.anchor, unit);
                        edits.push(TextEdit { range: Range::new(at, at), new_text: reply.queue.clone() });
                        reply.inflight = Some(reply.queue.clone());
                    }
                    Some((version, edits))
                }
            };
            let Some((version, edits)) = step else {
                if !done {
                    let _ = tokio::time::timeout(MIN_EDIT_INTERVAL, outbox.notify.notified()).await;
                } else {
                    tokio::time::sleep(Duration::from_millis(5)).await;
                }
                continue;
            };
            // Coalesce: after the first edit, no more than one every MIN_EDIT_INTERVAL.
            if let Some(t) = last_send
                && t.elapsed() < MIN_EDIT_INTERVAL
                && !done
            {
                self.with_reply(|r| r.inflight = None);
                tokio::time::sleep(MIN_EDIT_INTERVAL - t.elapsed()).await;
                continue;
            }
            last_send = Some(Instant::now());
            let had_insert = edits.iter().any(|e| !e.new_text.is_empty());
            let placed_before = self.placed_len();
            let applied = self.send_edit(version, edits).await;
            if !self.settle(version, applied, had_insert).await {
                return Placed::Closed;
            }
            // An editor that never takes the edits must not hold the reply forever.
            fruitless = if self.placed_len() == placed_before && had_insert { fruitless + 1 } else { 0 };
            if fruitless >= MAX_FRUITLESS_EDITS {
                self.backend
                    .client
                    .show_message(
                        MessageType::WARNING,
                        format!("llmos: the editor did not take the reply's edits; the reply is written to {} instead", self.path.display()),
                    )
                    .await;
                return Placed::Closed;
            }
        }
    }

    fn placed_len(&self) -> usize {
        let mut len = 0;
        self.with_reply(|r| len = r.placed.len());
        len
    }

    /// Runs `f` on the tracker; false when the document is no longer open.
    fn with_reply(&self, f: impl FnOnce(&mut ReplyTracker)) -> bool {
        let mut state = self.backend.state();
        match state.docs.get_mut(&self.uri).and_then(|d| d.reply.as_mut()) {
            Some(r) => {
                f(r);
                true
            }
            None => false,
        }
    }

    async fn send_edit(&self, version: i32, edits: Vec<TextEdit>) -> bool {
        let edit = WorkspaceEdit {
            document_changes: Some(DocumentChanges::Edits(vec![TextDocumentEdit {
                text_document: OptionalVersionedTextDocumentIdentifier { uri: self.uri.clone(), version: Some(version) },
                edits: edits.into_iter().map(OneOf::Left).collect(),
            }])),
            ..Default::default()
        };
        matches!(self.backend.client.apply_edit(edit).await, Ok(r) if r.applied)
    }

    /// After an edit's answer: waits until its didChange shows where the text went. An
    /// edit answered `applied` whose text never shows (the editor skipped it) is sent
    /// again; a refused one is sent again once the editor's own change has arrived.
    /// Returns false when the document was closed.
    async fn settle(&self, sent_version: i32, applied: bool, had_insert: bool) -> bool {
        let version_now = || self.backend.state().docs.get(&self.uri).map(|d| d.version);
        let Some(at_answer) = version_now() else { return false };
        let deadline = Instant::now() + if applied { SEEN_TIMEOUT } else { REFUSED_PAUSE };
        loop {
            let mut seen = false;
            if !self.with_reply(|r| seen = r.inflight.is_none()) {
                return false;
            }
            let now = version_now();
            let done = match (applied, had_insert) {
                // Seen where it went, or a later didChange came without it (skipped).
                (true, true) => seen || now != Some(at_answer),
                (true, false) | (false, _) => now != Some(sent_version),
            };
            if done || Instant::now() >= deadline {
                break;
            }
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
        self.with_reply(|r| {
            if let Some(text) = r.inflight.take()
                && applied
            {
                // Answered `applied` but never seen: skipped, or late. Late text that
                // shows up elsewhere is removed then.
                r.stale.push(text);
            }
        })
    }

    /// Closes the reply: the marker says how it stopped, and a committed session is
    /// marked `status: uncommitted`. A session that is not open gets the whole reply
    /// written to its file.
    async fn finish(&self, streamed: &Streamed, attrs: &[(&str, &str)], placed: Placed) {
        let reply = streamed.reply.as_str();
        let mut placed = placed;
        if let Placed::All = placed {
            for _ in 0..50 {
                let Some(snap) = self.backend.state().snapshot(&self.uri) else { break };
                let Some(edits) = closing_edits(&snap.text, reply, attrs, &self.model) else { break };
                if edits.is_empty() {
                    break;
                }
                self.apply(&snap, edits).await;
            }
            // The closing (a fence left open, then the next user turn) streams like the
            // reply, so it lands right after it whatever the user typed meanwhile.
            let closing = Outbox::default();
            closing.push(&chat::reply_closing(reply));
            closing.done.store(true, std::sync::atomic::Ordering::SeqCst);
            placed = self.write_loop(&closing, true).await;
            if let Placed::All = placed {
                if let Some(doc) = self.backend.state().docs.get_mut(&self.uri) {
                    doc.reply = None;
                }
                return;
            }
        }
        if let Some(doc) = self.backend.state().docs.get_mut(&self.uri) {
            doc.reply = None;
        }
        let open_elsewhere = { self.backend.state().docs.contains_key(&self.uri) };
        if open_elsewhere && !self.backend.state().client.apply_edit {
            self.backend
                .client
                .show_message(
                    MessageType::INFO,
                    format!("llmos: this editor cannot take edits from the server; the reply was written to {}", self.path.display()),
                )
                .await;
        }
        if let Err(e) = merge_reply_into_file(&self.path, &self.sent_from, streamed, &self.model, |text| text) {
            self.backend.client.show_message(MessageType::ERROR, format!("llmos: {e}")).await;
        }
    }

    /// Sends one versioned edit and waits for its didChange; true when applied.
    async fn apply(&self, snap: &crate::lsp::state::DocSnapshot, edits: Vec<llmos_documents::Edit>) -> bool {
        let unit = self.backend.state().unit;
        let conv = PosConv { text: &snap.text, index: &snap.index, unit };
        let applied = self.send_edit(snap.version, edits.iter().map(|e| conv.text_edit(e)).collect()).await;
        let deadline = Instant::now() + if applied { SEEN_TIMEOUT } else { REFUSED_PAUSE };
        while Instant::now() < deadline {
            let now = self.backend.state().docs.get(&self.uri).map(|d| d.version);
            if now != Some(snap.version) {
                break;
            }
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
        applied
    }
}

/// The LSP position of a char index of `rope`.
fn rope_position(rope: &ropey::Rope, at: usize, unit: llmos_documents::line_index::ColumnUnit) -> Position {
    use llmos_documents::line_index::ColumnUnit;
    let at = at.min(rope.len_chars());
    let line = rope.char_to_line(at);
    let start = rope.line_to_char(line);
    let col = match unit {
        ColumnUnit::Chars => at - start,
        ColumnUnit::Utf16 => rope.char_to_utf16_cu(at) - rope.char_to_utf16_cu(start),
        ColumnUnit::Utf8 => rope.char_to_byte(at) - rope.char_to_byte(start),
    };
    Position::new(line as u32, col as u32)
}
