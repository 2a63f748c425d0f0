//! The in-process LSP test driver: builds a workspace from a fixture string, runs the
//! real server over an in-memory pipe with real `Content-Length` framing, and plays the
//! editor (keeps document copies, applies `workspace/applyEdit` like VS Code does).
//!
//! Fixture format: files separated by `//- path` lines; `$0` marks the cursor.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::{Value, json};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::sync::{mpsc, oneshot};

pub struct Fixture {
    pub files: Vec<(String, String)>,
    pub cursor: Option<(String, usize)>,
}

impl Fixture {
    pub fn parse(text: &str) -> Self {
        let mut files: Vec<(String, String)> = Vec::new();
        let mut cursor = None;
        for line in text.split_inclusive('\n') {
            if let Some(path) = line.strip_prefix("//- ") {
                files.push((path.trim().to_string(), String::new()));
            } else if let Some((_, content)) = files.last_mut() {
                content.push_str(line);
            }
        }
        for (path, content) in &mut files {
            if let Some(i) = content.find("$0") {
                content.replace_range(i..i + 2, "");
                cursor = Some((path.clone(), i));
            }
        }
        Self { files, cursor }
    }
}

/// The editor's copy of an open document.
#[derive(Clone, Debug)]
pub struct EditorDoc {
    pub text: String,
    pub version: i32,
}

type Pending = Arc<Mutex<HashMap<i64, oneshot::Sender<Value>>>>;

pub struct TestServer {
    pub dir: tempfile::TempDir,
    pub cursor: Option<(String, usize)>,
    writer: Arc<tokio::sync::Mutex<tokio::io::WriteHalf<tokio::io::DuplexStream>>>,
    pending: Pending,
    next_id: Mutex<i64>,
    notifications: Mutex<mpsc::UnboundedReceiver<Value>>,
    /// Every notification seen so far (for assertions after the fact).
    pub seen: Arc<Mutex<Vec<Value>>>,
    pub docs: Arc<Mutex<HashMap<String, EditorDoc>>>,
    /// Server→client requests received (method, params).
    pub requests: Arc<Mutex<Vec<(String, Value)>>>,
    /// When each server→client request arrived (for benchmarks).
    pub request_times: Arc<Mutex<Vec<(String, std::time::Instant)>>>,
    /// When set, `workspace/applyEdit` is refused this many times (a user typing).
    pub refuse_edits: Arc<Mutex<usize>>,
    /// How the editor treats `workspace/applyEdit`.
    pub personality: Arc<Mutex<Personality>>,
    /// didChange notifications the editor has not sent yet (eglot sends them late, but
    /// always before any change of its own).
    late: Arc<Mutex<Vec<Value>>>,
}

/// How a real editor applies `workspace/applyEdit` (see issue 12).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Personality {
    /// Refuses an edit for another version; didChange before the answer.
    #[default]
    Strict,
    /// Neovim: skips an edit whose version is older than the buffer, yet answers
    /// `applied: true`.
    Neovim,
    /// eglot: refuses other versions; sends the didChange of an applied edit late.
    Eglot,
    /// VS Code under typing: checks the version, waits a moment (a keystroke can land),
    /// then applies the edit at its old positions in the newer text and answers
    /// `applied: true`.
    VsCodeStale,
}

pub struct Options {
    pub init_options: Value,
    pub capabilities: Value,
    pub git_volumes: Vec<&'static str>,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            init_options: json!({ "debounceMs": 0, "scheduler": false }),
            capabilities: json!({
                "textDocument": { "hover": { "contentFormat": ["markdown", "plaintext"] } },
                "workspace": { "applyEdit": true, "workspaceEdit": { "documentChanges": true, "resourceOperations": ["create", "rename", "delete"] }, "didChangeWatchedFiles": { "dynamicRegistration": true } },
                "window": { "workDoneProgress": true, "showDocument": { "support": true } }
            }),
            git_volumes: Vec::new(),
        }
    }
}

pub async fn write_frame(w: &mut (impl AsyncWriteExt + Unpin), msg: &Value) {
    let body = serde_json::to_vec(msg).unwrap();
    w.write_all(format!("Content-Length: {}\r\n\r\n", body.len()).as_bytes()).await.unwrap();
    w.write_all(&body).await.unwrap();
    w.flush().await.unwrap();
}

pub async fn read_frame(r: &mut (impl AsyncBufReadExt + Unpin)) -> Option<Value> {
    let mut len = None;
    loop {
        let mut line = String::new();
        if r.read_line(&mut line).await.ok()? == 0 {
            return None;
        }
        let line = line.trim_end();
        if line.is_empty() {
            break;
        }
        if let Some(v) = line.strip_prefix("Content-Length: ") {
            len = v.parse::<usize>().ok();
        }
    }
    let mut buf = vec![0; len?];
    r.read_exact(&mut buf).await.ok()?;
    serde_json::from_slice(&buf).ok()
}

pub fn uri_of(path: &Path) -> String {
    tower_lsp_server::ls_types::Uri::from_file_path(path).unwrap().as_str().to_string()
}

/// UTF-16 position of a byte offset, computed by the tests' own arithmetic
/// (`positions.rs`), not the server's.
pub fn pos(text: &str, offset: usize) -> Value {
    let (l, c) = super::positions::position_of(text, offset);
    json!({ "line": l, "character": c })
}

pub fn offset(text: &str, p: &Value) -> usize {
    let field = |k: &str| p[k].as_u64().and_then(|v| u32::try_from(v).ok()).unwrap_or(u32::MAX);
    super::positions::offset_of(text, field("line"), field("character"))
}

/// Applies LSP text edits (all against the same original text) to a string.
pub fn apply_text_edits(text: &str, edits: &[Value]) -> String {
    let mut spans: Vec<(usize, usize, String)> =
        edits.iter().map(|e| (offset(text, &e["range"]["start"]), offset(text, &e["range"]["end"]), e["newText"].as_str().unwrap().to_string())).collect();
    spans.sort_by_key(|s| (s.0, s.1));
    let mut out = String::new();
    let mut at = 0;
    for (s, e, t) in spans {
        out.push_str(&text[at..s]);
        out.push_str(&t);
        at = e;
    }
    out.push_str(&text[at..]);
    out
}

/// Starts the real server on this runtime over an in-memory pipe; returns the client's
/// ends (read what the server writes, write what it reads).
pub fn connect_in_process() -> (tokio::io::ReadHalf<tokio::io::DuplexStream>, tokio::io::WriteHalf<tokio::io::DuplexStream>) {
    let (client_io, server_io) = tokio::io::duplex(1 << 22);
    let (server_read, server_write) = tokio::io::split(server_io);
    tokio::spawn(llmos_server::lsp::serve(server_read, server_write));
    tokio::io::split(client_io)
}

pub fn init_git(dir: &Path) {
    let (repo, _) = llmos_vcs::Volume::init(dir).unwrap();
    repo.ensure_identity("Test User", "test@example.com").unwrap();
}

impl TestServer {
    pub async fn start(fixture: &str) -> Self {
        Self::start_with(fixture, Options::default()).await
    }

    /// A server on an existing folder (e.g. made by `llmos init --demo`).
    pub async fn start_at(root: &Path, options: Options) -> Self {
        Self::start_in(tempfile::tempdir().unwrap(), Fixture::parse(""), Some(root.to_path_buf()), options).await
    }

    pub async fn start_with(fixture: &str, options: Options) -> Self {
        Self::start_in(tempfile::tempdir().unwrap(), Fixture::parse(fixture), None, options).await
    }

    async fn start_in(dir: tempfile::TempDir, fx: Fixture, root_override: Option<PathBuf>, options: Options) -> Self {
        for (path, content) in &fx.files {
            let p = dir.path().join(path);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(&p, content).unwrap();
        }
        for v in &options.git_volumes {
            init_git(&dir.path().join("volumes").join(v));
        }
        let (client_read, client_write) = connect_in_process();
        let writer = Arc::new(tokio::sync::Mutex::new(client_write));
        let pending: Pending = Arc::default();
        let (tx, rx) = mpsc::unbounded_channel();
        let server = Self {
            dir,
            cursor: fx.cursor,
            writer: writer.clone(),
            pending: pending.clone(),
            next_id: Mutex::new(1),
            notifications: Mutex::new(rx),
            seen: Arc::default(),
            docs: Arc::default(),
            requests: Arc::default(),
            request_times: Arc::default(),
            refuse_edits: Arc::default(),
            personality: Arc::default(),
            late: Arc::default(),
        };
        let (seen, docs, requests, refuse) = (server.seen.clone(), server.docs.clone(), server.requests.clone(), server.refuse_edits.clone());
        let (personality, late) = (server.personality.clone(), server.late.clone());
        let request_times = server.request_times.clone();
        tokio::spawn(async move {
            let mut reader = BufReader::new(client_read);
            while let Some(msg) = read_frame(&mut reader).await {
                if msg.get("method").is_some() && msg.get("id").is_some() {
                    // A request from the server: answer like an editor.
                    let method = msg["method"].as_str().unwrap_or_default().to_string();
                    request_times.lock().unwrap().push((method.clone(), std::time::Instant::now()));
                    requests.lock().unwrap().push((method.clone(), msg["params"].clone()));
                    let who = *personality.lock().unwrap();
                    if method == "workspace/applyEdit" && who == Personality::VsCodeStale {
                        // The version is checked now, the edit applied after an await.
                        let current = version_matches(&msg["params"], &docs);
                        tokio::time::sleep(Duration::from_millis(8)).await;
                        let mut w = writer.lock().await;
                        let (result, follow_up) = if current { answer_stale(&msg["params"], &docs) } else { refused() };
                        for n in follow_up {
                            write_frame(&mut *w, &n).await;
                        }
                        write_frame(&mut *w, &json!({ "jsonrpc": "2.0", "id": msg["id"], "result": result })).await;
                        continue;
                    }
                    // The writer is held while the editor's copy changes, so didChange
                    // notifications leave in the order of the changes.
                    let mut w = writer.lock().await;
                    let (result, follow_up) = answer(&method, &msg["params"], &docs, &refuse, who);
                    let reply = json!({ "jsonrpc": "2.0", "id": msg["id"], "result": result });
                    if who == Personality::Eglot && !follow_up.is_empty() {
                        write_frame(&mut *w, &reply).await;
                        late.lock().unwrap().extend(follow_up);
                        drop(w);
                        let (late, writer) = (late.clone(), writer.clone());
                        tokio::spawn(async move {
                            tokio::time::sleep(Duration::from_millis(60)).await;
                            flush_late(&late, &writer).await;
                        });
                        continue;
                    }
                    for n in follow_up {
                        write_frame(&mut *w, &n).await;
                    }
                    write_frame(&mut *w, &reply).await;
                } else if let Some(id) = msg.get("id").and_then(Value::as_i64) {
                    if let Some(tx) = pending.lock().unwrap().remove(&id) {
                        let _ = tx.send(msg);
                    }
                } else {
                    seen.lock().unwrap().push(msg.clone());
                    let _ = tx.send(msg);
                }
            }
        });
        let root = uri_of(root_override.as_deref().unwrap_or(server.dir.path()));
        let mut caps = options.capabilities;
        if caps.get("general").is_none() {
            caps["general"] = json!({ "positionEncodings": ["utf-16"] });
        }
        let init = server
            .request("initialize", json!({ "processId": null, "rootUri": root, "workspaceFolders": [{ "uri": root, "name": "ws" }], "capabilities": caps, "initializationOptions": options.init_options }))
            .await;
        assert!(init.get("result").is_some(), "initialize failed: {init}");

        server.notify("initialized", json!({})).await;
        server.wait_ready().await;
        server
    }

    pub fn path(&self, rel: &str) -> PathBuf {
        self.dir.path().join(rel)
    }

    pub fn uri(&self, rel: &str) -> String {
        uri_of(&self.path(rel))
    }

    pub async fn request(&self, method: &str, params: Value) -> Value {
        let id = {
            let mut n = self.next_id.lock().unwrap();
            *n += 1;
            *n
        };
        let (tx, rx) = oneshot::channel();
        self.pending.lock().unwrap().insert(id, tx);
        {
            let mut w = self.writer.lock().await;
            write_frame(&mut *w, &json!({ "jsonrpc": "2.0", "id": id, "method": method, "params": params })).await;
        }
        tokio::time::timeout(Duration::from_secs(30), rx).await.unwrap_or_else(|_| panic!("no answer to {method}")).unwrap()
    }

    /// The `result` of a request, panicking on an error response.
    pub async fn call(&self, method: &str, params: Value) -> Value {
        let r = self.request(method, params).await;
        assert!(r.get("error").is_none(), "{method} failed: {r}");
        r["result"].clone()
    }

    pub async fn notify(&self, method: &str, params: Value) {
        let mut w = self.writer.lock().await;
        write_frame(&mut *w, &json!({ "jsonrpc": "2.0", "method": method, "params": params })).await;
    }

    async fn wait_ready(&self) {
        for _ in 0..500 {
            let s = self.call("llmos/status", json!(null)).await;
            if s["ready"] == json!(true) || s["workspace"].is_null() {
                return;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        panic!("server never finished indexing");
    }

    /// Opens a fixture file (or any file) in the editor.
    pub async fn open(&self, rel: &str) -> String {
        let text = std::fs::read_to_string(self.path(rel)).unwrap_or_default();
        self.open_text(rel, &text).await
    }

    /// Opens a file by absolute path.
    pub async fn open_abs(&self, path: &Path) -> String {
        let text = std::fs::read_to_string(path).unwrap_or_default();
        let uri = uri_of(path);
        self.docs.lock().unwrap().insert(uri.clone(), EditorDoc { text: text.clone(), version: 1 });
        self.notify("textDocument/didOpen", json!({ "textDocument": { "uri": uri, "languageId": "markdown", "version": 1, "text": text } })).await;
        uri
    }

    pub async fn open_text(&self, rel: &str, text: &str) -> String {
        let uri = self.uri(rel);
        self.docs.lock().unwrap().insert(uri.clone(), EditorDoc { text: text.to_string(), version: 1 });
        self.notify("textDocument/didOpen", json!({ "textDocument": { "uri": uri, "languageId": "markdown", "version": 1, "text": text } })).await;
        uri
    }

    /// Replaces `range` (byte offsets of the editor's current text) with `new_text`.
    pub async fn edit(&self, uri: &str, range: std::ops::Range<usize>, new_text: &str) {
        let mut w = self.writer.lock().await;
        let pending = std::mem::take(&mut *self.late.lock().unwrap());
        for n in pending {
            write_frame(&mut *w, &n).await;
        }
        let (start, end, version) = {
            let mut docs = self.docs.lock().unwrap();
            let doc = docs.get_mut(uri).expect("document open");
            let (s, e) = (pos(&doc.text, range.start), pos(&doc.text, range.end));
            doc.text.replace_range(range, new_text);
            doc.version += 1;
            (s, e, doc.version)
        };
        let change =
            json!({ "textDocument": { "uri": uri, "version": version }, "contentChanges": [{ "range": { "start": start, "end": end }, "text": new_text }] });
        write_frame(&mut *w, &json!({ "jsonrpc": "2.0", "method": "textDocument/didChange", "params": change })).await;
    }

    /// Types `line` (with its line break) at the start of line `line_no` of the editor's
    /// text (past the end: at the end).
    pub async fn type_line(&self, uri: &str, line_no: usize, line: &str) {
        let text = self.text(uri);
        let at = text.split_inclusive('\n').take(line_no).map(str::len).sum::<usize>();
        let typed = if at == text.len() && !text.ends_with('\n') && !text.is_empty() { format!("\n{line}\n") } else { format!("{line}\n") };
        self.edit(uri, at..at, &typed).await;
    }

    /// Saves the editor's copy to disk, as an editor does on `:w` / Ctrl+S.
    pub async fn save(&self, uri: &str) {
        let text = self.text(uri);
        let path = uri.parse::<tower_lsp_server::ls_types::Uri>().ok().and_then(|u| u.to_file_path().map(|p| p.into_owned())).expect("a file: uri");
        std::fs::write(path, &text).unwrap();
        self.notify("textDocument/didSave", json!({ "textDocument": { "uri": uri } })).await;
    }

    pub fn text(&self, uri: &str) -> String {
        self.docs.lock().unwrap()[uri].text.clone()
    }

    /// Waits for a notification matching `pred`, looking at ones already seen first.
    pub async fn wait_for(&self, what: &str, pred: impl Fn(&Value) -> bool) -> Value {
        if let Some(v) = self.seen.lock().unwrap().iter().rev().find(|v| pred(v)) {
            return v.clone();
        }
        let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
        loop {
            let next = {
                let mut rx = self.notifications.lock().unwrap();
                rx.try_recv().ok()
            };
            match next {
                Some(v) if pred(&v) => return v,
                Some(_) => {}
                None => {
                    if tokio::time::Instant::now() > deadline {
                        panic!("timed out waiting for {what}; seen: {:#?}", self.seen.lock().unwrap());
                    }
                    tokio::time::sleep(Duration::from_millis(5)).await;
                }
            }
        }
    }

    /// The diagnostics published for `uri` at exactly `version` (or the latest when None).
    pub async fn diagnostics(&self, uri: &str, version: Option<i32>) -> Vec<Value> {
        let uri = uri.to_string();
        let v = self
            .wait_for("publishDiagnostics", |m| {
                m["method"] == "textDocument/publishDiagnostics" && m["params"]["uri"] == uri.as_str() && version.is_none_or(|v| m["params"]["version"] == v)
            })
            .await;
        v["params"]["diagnostics"].as_array().cloned().unwrap_or_default()
    }

    /// Diagnostics for the document's current editor version.
    pub async fn current_diagnostics(&self, uri: &str) -> Vec<Value> {
        let version = self.docs.lock().unwrap()[uri].version;
        self.seen
            .lock()
            .unwrap()
            .retain(|m| !(m["method"] == "textDocument/publishDiagnostics" && m["params"]["uri"] == uri && m["params"]["version"] != version));
        self.diagnostics(uri, Some(version)).await
    }

    /// Forgets diagnostics seen so far for `uri` (to wait for the next publication).
    pub fn forget_diagnostics(&self, uri: &str) {
        self.seen.lock().unwrap().retain(|m| !(m["method"] == "textDocument/publishDiagnostics" && m["params"]["uri"] == uri));
    }

    /// `textDocument/position` params at the fixture cursor.
    pub fn at_cursor(&self) -> Value {
        let (rel, off) = self.cursor.clone().expect("fixture has a $0 cursor");
        let text = std::fs::read_to_string(self.path(&rel)).unwrap();
        json!({ "textDocument": { "uri": self.uri(&rel) }, "position": pos(&text, off) })
    }

    pub async fn shutdown(&self) {
        let r = self.request("shutdown", Value::Null).await;
        assert!(r.get("error").is_none(), "{r}");
        self.notify("exit", Value::Null).await;
    }
}

/// How the fake editor answers server requests.
fn answer(method: &str, params: &Value, docs: &Arc<Mutex<HashMap<String, EditorDoc>>>, refuse: &Arc<Mutex<usize>>, who: Personality) -> (Value, Vec<Value>) {
    match method {
        "workspace/applyEdit" => {
            {
                let mut r = refuse.lock().unwrap();
                if *r > 0 {
                    *r -= 1;
                    return (json!({ "applied": false, "failureReason": "document changed" }), Vec::new());
                }
            }
            let edit = &params["edit"];
            let mut notes = Vec::new();
            let mut docs = docs.lock().unwrap();
            let mut apply_one = |uri: &str, version: Option<i64>, edits: &[Value]| -> bool {
                let Some(doc) = docs.get_mut(uri) else { return true };
                if let Some(v) = version
                    && v != doc.version as i64
                {
                    if who == Personality::Neovim && v < doc.version as i64 {
                        // "Buffer … newer than edits": skipped, yet reported applied.
                        return true;
                    }
                    return false;
                }
                let (new_text, changes) = incremental(&doc.text, edits);
                doc.text = new_text;
                doc.version += 1;
                notes.push(json!({ "jsonrpc": "2.0", "method": "textDocument/didChange", "params": { "textDocument": { "uri": uri, "version": doc.version }, "contentChanges": changes } }));
                true
            };
            let mut ok = true;
            if let Some(changes) = edit["documentChanges"].as_array() {
                for c in changes {
                    if let Some(edits) = c["edits"].as_array() {
                        ok &= apply_one(c["textDocument"]["uri"].as_str().unwrap_or_default(), c["textDocument"]["version"].as_i64(), edits);
                    }
                }
            }
            if let Some(map) = edit["changes"].as_object() {
                for (uri, edits) in map {
                    ok &= apply_one(uri, None, edits.as_array().map(Vec::as_slice).unwrap_or(&[]));
                }
            }
            if !ok {
                return (json!({ "applied": false, "failureReason": "version mismatch" }), Vec::new());
            }
            (json!({ "applied": true }), notes)
        }
        "window/showDocument" => (json!({ "success": true }), Vec::new()),
        _ => (Value::Null, Vec::new()),
    }
}

fn refused() -> (Value, Vec<Value>) {
    (json!({ "applied": false, "failureReason": "version mismatch" }), Vec::new())
}

/// Whether every versioned document edit is for the editor's current version.
fn version_matches(params: &Value, docs: &Arc<Mutex<HashMap<String, EditorDoc>>>) -> bool {
    let docs = docs.lock().unwrap();
    params["edit"]["documentChanges"].as_array().into_iter().flatten().all(|c| {
        let uri = c["textDocument"]["uri"].as_str().unwrap_or_default();
        match (docs.get(uri), c["textDocument"]["version"].as_i64()) {
            (Some(d), Some(v)) => v == d.version as i64,
            _ => true,
        }
    })
}

/// VS Code after a keystroke landed between its version check and the edit: the edit's
/// positions are applied to whatever the text is now.
fn answer_stale(params: &Value, docs: &Arc<Mutex<HashMap<String, EditorDoc>>>) -> (Value, Vec<Value>) {
    let mut docs = docs.lock().unwrap();
    let mut notes = Vec::new();
    for c in params["edit"]["documentChanges"].as_array().into_iter().flatten() {
        let uri = c["textDocument"]["uri"].as_str().unwrap_or_default();
        let Some(doc) = docs.get_mut(uri) else { continue };
        let edits = c["edits"].as_array().cloned().unwrap_or_default();
        let (new_text, changes) = incremental(&doc.text, &edits);
        doc.text = new_text;
        doc.version += 1;
        notes.push(json!({ "jsonrpc": "2.0", "method": "textDocument/didChange", "params": { "textDocument": { "uri": uri, "version": doc.version }, "contentChanges": changes } }));
    }
    (json!({ "applied": true }), notes)
}

/// Applies edits (all against `text`) like an editor does: one content change per edit,
/// last in the document first, so each change's range is valid when it is applied.
fn incremental(text: &str, edits: &[Value]) -> (String, Vec<Value>) {
    let mut spans: Vec<(usize, usize, String)> =
        edits.iter().map(|e| (offset(text, &e["range"]["start"]), offset(text, &e["range"]["end"]), e["newText"].as_str().unwrap().to_string())).collect();
    spans.sort_by_key(|s| std::cmp::Reverse((s.0, s.1)));
    let mut out = text.to_string();
    let mut changes = Vec::new();
    for (s, e, t) in spans {
        changes.push(json!({ "range": { "start": pos(&out, s), "end": pos(&out, e) }, "text": t }));
        out.replace_range(s..e, &t);
    }
    (out, changes)
}

async fn flush_late(late: &Mutex<Vec<Value>>, writer: &tokio::sync::Mutex<tokio::io::WriteHalf<tokio::io::DuplexStream>>) {
    let mut w = writer.lock().await;
    let pending = std::mem::take(&mut *late.lock().unwrap());
    for n in pending {
        write_frame(&mut *w, &n).await;
    }
}

/// Whether any file under `dir` contains `needle` (a token must appear nowhere).
pub fn contains_anywhere(dir: &Path, needle: &str) -> bool {
    walkdir::WalkDir::new(dir)
        .into_iter()
        .filter_map(Result::ok)
        .filter(|e| e.file_type().is_file())
        .any(|e| std::fs::read(e.path()).is_ok_and(|b| String::from_utf8_lossy(&b).contains(needle)))
}
