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

use llmos_documents::SessionDoc;
use llmos_documents::frontmatter::set_fields;
use llmos_llm::{CancellationToken, LlmClient, process_env};
use serde_json::{Value, json};
use tokio::sync::Notify;
use tower_lsp_server::jsonrpc::Result;
use tower_lsp_server::ls_types::*;

use super::{arg_uri, invalid_args, user_error};
use crate::chat::{self, MarkerEscaper};
use crate::lsp::Backend;
use crate::lsp::convert::{PosConv, uri_to_path};

const MIN_EDIT_INTERVAL: Duration = Duration::from_millis(50);

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
    let job = ChatJob { backend: backend.clone(), uri: uri.clone(), path, open: open.is_some(), model, cancel };
    let run = job.run(client, prepared.request);
    if wait {
        let outcome = run.await;
        return Ok(outcome);
    }
    tokio::spawn(crate::lsp::unwind::task("chat", run));
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
}

/// Text waiting to be written, shared between the provider callback and the writer.
#[derive(Default)]
struct Outbox {
    text: std::sync::Mutex<String>,
    notify: Notify,
    done: std::sync::atomic::AtomicBool,
}

impl ChatJob {
    async fn run(self, client: LlmClient, request: llmos_llm::ChatRequest) -> Value {
        let progress = self.begin_progress().await;
        let outbox = Arc::new(Outbox::default());
        let writer = {
            let job = self.clone_parts();
            let outbox = outbox.clone();
            tokio::spawn(async move { crate::lsp::unwind::task("chat writer", job.write_loop(&outbox)).await })
        };
        let mut escaper = MarkerEscaper::new();
        let result = client
            .stream_chat(&request, &self.cancel, |delta| {
                let safe = escaper.push(delta);
                if !safe.is_empty() {
                    outbox.text.lock().unwrap_or_else(|e| e.into_inner()).push_str(&safe);
                    outbox.notify.notify_one();
                }
            })
            .await;
        let rest = escaper.finish();
        outbox.text.lock().unwrap_or_else(|e| e.into_inner()).push_str(&rest);
        outbox.done.store(true, std::sync::atomic::Ordering::SeqCst);
        outbox.notify.notify_one();
        let written = writer.await.ok().flatten().unwrap_or_default();
        let (interrupted, error) = match &result {
            Ok(_) => (false, None),
            Err(e) if e.is_cancelled() => (true, None),
            Err(e) => (true, Some(chat::describe_error(e))),
        };
        self.finish(&written, &chat::ReplyEnd::of(&result)).await;
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
        self.backend.jobs.end_chat(&self.uri);
        if let Some(msg) = &error {
            self.backend.client.show_message(MessageType::ERROR, format!("llmos: {msg}")).await;
        }
        crate::handlers::diagnostics::schedule(&self.backend, self.uri.clone(), true);
        json!({ "chars": written.chars().count(), "interrupted": interrupted, "error": error })
    }

    fn clone_parts(&self) -> ChatJob {
        ChatJob {
            backend: self.backend.clone(),
            uri: self.uri.clone(),
            path: self.path.clone(),
            open: self.open,
            model: self.model.clone(),
            cancel: self.cancel.clone(),
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

    /// Writes what arrives until the stream is done; returns the reply text written.
    async fn write_loop(&self, outbox: &Outbox) -> String {
        let mut written = String::new();
        let mut opened = false;
        let mut last_edit: Option<Instant> = None;
        loop {
            let done = outbox.done.load(std::sync::atomic::Ordering::SeqCst);
            let chunk = std::mem::take(&mut *outbox.text.lock().unwrap_or_else(|e| e.into_inner()));
            if chunk.is_empty() {
                if done {
                    break;
                }
                outbox.notify.notified().await;
                continue;
            }
            if self.open {
                // Coalesce: after the first edit, no more than one every MIN_EDIT_INTERVAL.
                if let Some(t) = last_edit {
                    let since = t.elapsed();
                    if since < MIN_EDIT_INTERVAL && !done {
                        tokio::time::sleep(MIN_EDIT_INTERVAL - since).await;
                        outbox.text.lock().unwrap_or_else(|e| e.into_inner()).insert_str(0, &chunk);
                        continue;
                    }
                }
                if !self.insert_into_document(&chunk, &written, !opened).await {
                    // The document was closed: keep the text for the file.
                    written.push_str(&chunk);
                    opened = true;
                    continue;
                }
                last_edit = Some(Instant::now());
            }
            opened = true;
            written.push_str(&chunk);
        }
        written
    }

    /// Inserts `chunk` after the reply written so far (opening the assistant turn first
    /// when `opening`). Retries when the editor refuses a stale edit. Returns false when
    /// the document is no longer open.
    async fn insert_into_document(&self, chunk: &str, written: &str, opening: bool) -> bool {
        for _ in 0..100 {
            let Some(snap) = self.backend.state().snapshot(&self.uri) else { return false };
            let text = &snap.text;
            let (at, insert) = if opening {
                (text.len(), format!("{}{chunk}", chat::reply_opening(text, &self.model)))
            } else {
                (reply_end(text, written), chunk.to_string())
            };
            if self.apply(&snap, vec![llmos_documents::Edit::insert(at, insert)]).await {
                return true;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        false
    }

    /// Sends one versioned edit; true when the editor applied it and its didChange arrived.
    async fn apply(&self, snap: &crate::lsp::state::DocSnapshot, edits: Vec<llmos_documents::Edit>) -> bool {
        let unit = self.backend.state().unit;
        let conv = PosConv { text: &snap.text, index: &snap.index, unit };
        let edit = WorkspaceEdit {
            document_changes: Some(DocumentChanges::Edits(vec![TextDocumentEdit {
                text_document: OptionalVersionedTextDocumentIdentifier { uri: self.uri.clone(), version: Some(snap.version) },
                edits: edits.iter().map(|e| OneOf::Left(conv.text_edit(e))).collect(),
            }])),
            ..Default::default()
        };
        let applied = matches!(self.backend.client.apply_edit(edit).await, Ok(r) if r.applied);
        if applied {
            // Wait for the editor's didChange so the next edit is computed on the new text.
            for _ in 0..200 {
                let now = self.backend.state().docs.get(&self.uri).map(|d| d.version);
                if now != Some(snap.version) {
                    break;
                }
                tokio::time::sleep(Duration::from_millis(2)).await;
            }
        }
        applied
    }

    /// Closes the reply: marks an interrupted one, appends the next user turn, sets
    /// `status: uncommitted` when it was committed.
    async fn finish(&self, written: &str, end: &chat::ReplyEnd) {
        if self.open {
            for _ in 0..100 {
                let Some(snap) = self.backend.state().snapshot(&self.uri) else { break };
                let Some(edits) = closing_edits(&snap.text, written, end, &self.model) else { return };
                if self.apply(&snap, edits).await {
                    return;
                }
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
        }
        // Not open (or closed meanwhile): write the file atomically.
        let Ok(text) = llmos_workspace::bounded::read_text(&self.path, llmos_workspace::bounded::DEFAULT_MAX_BYTES) else { return };
        let new_text = if written.is_empty() { text } else { append_reply(&text, written, end, &self.model) };
        if let Err(e) = write_atomically(&self.path, &new_text) {
            self.backend.client.show_message(MessageType::ERROR, format!("llmos: cannot write {}: {e}", self.path.display())).await;
        }
    }
}

/// Where the reply written so far ends in the current text: right after it when the
/// assistant turn still starts with it, else at the end of that turn.
fn reply_end(text: &str, written: &str) -> usize {
    let doc = SessionDoc::parse(text);
    let Some(turn) = doc.turns.iter().rev().find(|t| t.role == Some(llmos_documents::Role::Assistant)) else { return text.len() };
    let start = turn.content.start;
    if text[start..].starts_with(written) { start + written.len() } else { turn.content.end }
}

/// The edits that close a streamed reply in the document.
fn closing_edits(text: &str, written: &str, end_of_reply: &chat::ReplyEnd, model: &str) -> Option<Vec<llmos_documents::Edit>> {
    let mut edits = Vec::new();
    if written.is_empty() {
        return None;
    }
    let end = reply_end(text, written);
    let doc = SessionDoc::parse(text);
    let turn = doc.turns.iter().rev().find(|t| t.role == Some(llmos_documents::Role::Assistant))?;
    if let Some(marker) = chat::closing_marker(model, end_of_reply) {
        edits.push(llmos_documents::Edit::replace(turn.marker.clone(), marker));
    }
    let reply = &text[turn.content.start..end];
    edits.push(llmos_documents::Edit::insert(end, chat::reply_closing(reply)));
    if doc.is_marked_committed() {
        edits.extend(set_fields(text, &[("status", "uncommitted")]).unwrap_or_default());
    }
    Some(edits)
}

/// The file text with a whole reply appended (for sessions that are not open).
pub fn append_reply(text: &str, reply: &str, end: &chat::ReplyEnd, model: &str) -> String {
    let mut out = text.to_string();
    if let Some(marker) = chat::closing_marker(model, end) {
        let lead = if out.ends_with("\n\n") {
            ""
        } else if out.ends_with('\n') {
            "\n"
        } else {
            "\n\n"
        };
        out.push_str(&format!("{lead}{marker}\n"));
    } else {
        out.push_str(&chat::reply_opening(&out, model));
    }
    out.push_str(reply);
    out.push_str(&chat::reply_closing(reply));
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
