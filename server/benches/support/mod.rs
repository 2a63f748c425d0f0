//! What the benchmarks share: an in-process LSP client over `tokio::io::duplex` with real
//! `Content-Length` framing (the same bytes an editor sends), synthetic workspaces from
//! `llmos_workspace::generate`, and the statistics the budgets are stated in.
//!
//! Latency is measured from writing the request frame to reading the matching answer, so
//! it includes JSON (de)serialisation and the server's dispatch, as an editor sees it.

#![allow(dead_code)] // each bench binary uses a different part

use std::collections::HashMap;
use std::path::Path;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::{Value, json};
use tokio::io::{BufReader, DuplexStream, WriteHalf};
use tokio::sync::{mpsc, oneshot};

type Pending = Arc<Mutex<HashMap<i64, oneshot::Sender<Value>>>>;

pub struct Client {
    writer: Arc<tokio::sync::Mutex<WriteHalf<DuplexStream>>>,
    pending: Pending,
    next_id: AtomicI64,
    notifications: tokio::sync::Mutex<mpsc::UnboundedReceiver<Value>>,
}

#[allow(dead_code)]
#[path = "../../../tests/e2e/harness.rs"]
mod harness;
#[allow(dead_code, unused_imports)]
#[path = "../../../tests/e2e/positions.rs"]
mod positions;

pub use harness::uri_of;
use harness::{read_frame, write_frame};

impl Client {
    /// Starts the real server in this runtime and connects to it. Sends nothing yet.
    pub fn connect() -> Self {
        let (client_read, client_write) = harness::connect_in_process();
        let writer = Arc::new(tokio::sync::Mutex::new(client_write));
        let pending: Pending = Arc::default();
        let (tx, rx) = mpsc::unbounded_channel();
        let (reply_writer, reply_pending) = (writer.clone(), pending.clone());
        tokio::spawn(async move {
            let mut reader = BufReader::with_capacity(1 << 16, client_read);
            while let Some(msg) = read_frame(&mut reader).await {
                if msg.get("method").is_some() && msg.get("id").is_some() {
                    // A server→client request (registration, progress): answer like an editor.
                    let reply = json!({ "jsonrpc": "2.0", "id": msg["id"], "result": null });
                    write_frame(&mut *reply_writer.lock().await, &reply).await;
                } else if let Some(id) = msg.get("id").and_then(Value::as_i64) {
                    if let Some(tx) = reply_pending.lock().expect("pending").remove(&id) {
                        let _ = tx.send(msg);
                    }
                } else {
                    let _ = tx.send(msg);
                }
            }
        });
        Self { writer, pending, next_id: AtomicI64::new(1), notifications: tokio::sync::Mutex::new(rx) }
    }

    /// Sends a request and waits for its answer; panics on an error answer (a benchmark
    /// that measures failures would be measuring the wrong thing).
    pub async fn request(&self, method: &str, params: Value) -> Value {
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let (tx, rx) = oneshot::channel();
        self.pending.lock().expect("pending").insert(id, tx);
        write_frame(&mut *self.writer.lock().await, &json!({ "jsonrpc": "2.0", "id": id, "method": method, "params": params })).await;
        let answer = tokio::time::timeout(Duration::from_secs(120), rx).await.unwrap_or_else(|_| panic!("no answer to {method}")).expect("answer");
        assert!(answer.get("error").is_none(), "{method} failed: {answer}");
        answer["result"].clone()
    }

    pub async fn notify(&self, method: &str, params: Value) {
        write_frame(&mut *self.writer.lock().await, &json!({ "jsonrpc": "2.0", "method": method, "params": params })).await;
    }

    /// `initialize` + `initialized` on `root`, with the diagnostics debounce off.
    pub async fn initialize(&self, root: &Path) -> Value {
        let root = uri_of(root);
        let caps = json!({
            "general": { "positionEncodings": ["utf-16"] },
            "textDocument": { "hover": { "contentFormat": ["markdown", "plaintext"] } },
            "workspace": { "applyEdit": true, "workspaceEdit": { "documentChanges": true } },
        });
        let result = self
            .request(
                "initialize",
                json!({ "processId": null, "rootUri": root, "workspaceFolders": [{ "uri": root, "name": "bench" }], "capabilities": caps, "initializationOptions": { "debounceMs": 0 } }),
            )
            .await;
        self.notify("initialized", json!({})).await;
        result
    }

    /// `initialize` + `initialized` with the given capabilities and options.
    #[allow(dead_code)]
    pub async fn initialize_with(&self, root: &Path, caps: Value, options: Value) -> Value {
        let root = uri_of(root);
        let result = self
            .request(
                "initialize",
                json!({ "processId": null, "rootUri": root, "workspaceFolders": [{ "uri": root, "name": "bench" }], "capabilities": caps, "initializationOptions": options }),
            )
            .await;
        self.notify("initialized", json!({})).await;
        result
    }

    /// Polls `llmos/status` until the index is built; returns the last status.
    pub async fn wait_ready(&self, poll: Duration) -> Value {
        loop {
            let status = self.request("llmos/status", Value::Null).await;
            if status["ready"] == json!(true) {
                return status;
            }
            tokio::time::sleep(poll).await;
        }
    }

    pub async fn open(&self, uri: &str, text: &str) {
        self.notify("textDocument/didOpen", json!({ "textDocument": { "uri": uri, "languageId": "markdown", "version": 1, "text": text } })).await;
    }

    /// Waits for the next notification that satisfies `pred`, dropping others.
    pub async fn wait_notification(&self, what: &str, pred: impl Fn(&Value) -> bool) -> Value {
        let mut rx = self.notifications.lock().await;
        loop {
            let msg = tokio::time::timeout(Duration::from_secs(120), rx.recv()).await.unwrap_or_else(|_| panic!("timed out waiting for {what}"));
            match msg {
                Some(m) if pred(&m) => return m,
                Some(_) => {}
                None => panic!("server closed while waiting for {what}"),
            }
        }
    }

    /// Diagnostics published for `uri` at `version`.
    pub async fn diagnostics(&self, uri: &str, version: i64) -> Vec<Value> {
        let mut m = self
            .wait_notification("publishDiagnostics", |m| {
                m["method"] == "textDocument/publishDiagnostics" && m["params"]["uri"] == uri && m["params"]["version"] == version
            })
            .await;
        match m["params"]["diagnostics"].take() {
            Value::Array(diagnostics) => diagnostics,
            _ => Vec::new(),
        }
    }

    pub async fn shutdown(&self) {
        self.request("shutdown", Value::Null).await;
        self.notify("exit", Value::Null).await;
    }
}

/// LSP position (UTF-16) of a byte offset in `text`.
pub fn position(text: &str, offset: usize) -> Value {
    let line_start = text[..offset].rfind('\n').map_or(0, |i| i + 1);
    let line = text.as_bytes()[..line_start].iter().filter(|&&b| b == b'\n').count();
    let character: usize = text[line_start..offset].chars().map(char::len_utf16).sum();
    json!({ "line": line, "character": character })
}

/// A runtime like the one `llmos lsp` builds (multi-threaded, one worker per core).
pub fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread().enable_all().build().expect("tokio runtime")
}

/// Peak and current resident set size of this process in KiB (`VmHWM`, `VmRSS`).
/// CPU time of this process so far (user + system, all threads), in milliseconds (10 ms
/// ticks): on the shared 2-core machine wall time swings with other builds.
pub fn cpu_ms() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    // Fields after the command name (in parentheses, may hold spaces); utime and stime
    // are the 12th and 13th after it.
    let rest = stat.rsplit_once(')').map_or("", |(_, r)| r);
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let ticks = |i: usize| fields.get(i).and_then(|v| v.parse::<f64>().ok()).unwrap_or(0.0);
    (ticks(11) + ticks(12)) * 10.0
}

pub fn rss_kib() -> (u64, u64) {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let field = |name: &str| status.lines().find_map(|l| l.strip_prefix(name)).and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok()).unwrap_or(0);
    (field("VmHWM:"), field("VmRSS:"))
}

/// An environment variable as a number, or the default.
pub fn env_usize(name: &str, default: usize) -> usize {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

/// Order statistics over durations in milliseconds.
pub struct Stats {
    sorted: Vec<f64>,
}

impl Stats {
    pub fn new(mut samples_ms: Vec<f64>) -> Self {
        samples_ms.sort_by(f64::total_cmp);
        Self { sorted: samples_ms }
    }

    pub fn quantile(&self, q: f64) -> f64 {
        if self.sorted.is_empty() {
            return f64::NAN;
        }
        let i = ((self.sorted.len() - 1) as f64 * q).round() as usize;
        self.sorted[i]
    }

    pub fn median(&self) -> f64 {
        self.quantile(0.5)
    }

    pub fn len(&self) -> usize {
        self.sorted.len()
    }

    /// One report line: `what  n  median  p95  min  max  budget  verdict`.
    pub fn report(&self, what: &str, budget_ms: Option<f64>) -> String {
        let verdict = match budget_ms {
            Some(b) if self.median() <= b => format!("≤ {b} ms median: OK"),
            Some(b) => format!("≤ {b} ms median: MISSED"),
            None => String::new(),
        };
        format!(
            "{what:<44} n={:<4} median={:>9.3} ms  p95={:>9.3} ms  min={:>9.3} ms  max={:>9.3} ms  {verdict}",
            self.len(),
            self.median(),
            self.quantile(0.95),
            self.quantile(0.0),
            self.quantile(1.0),
        )
    }
}

/// Times `f` `runs` times (after `warmup` unmeasured runs), in milliseconds.
pub fn time_sync(warmup: usize, runs: usize, mut f: impl FnMut()) -> Stats {
    for _ in 0..warmup {
        f();
    }
    let mut samples = Vec::with_capacity(runs);
    for _ in 0..runs {
        let t = std::time::Instant::now();
        f();
        samples.push(t.elapsed().as_secs_f64() * 1e3);
    }
    Stats::new(samples)
}

/// A tiny xorshift for choosing edit positions; deterministic so runs compare.
pub struct Rng(pub u64);

impl Rng {
    pub fn below(&mut self, n: usize) -> usize {
        let mut x = self.0;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.0 = x;
        (x % n as u64) as usize
    }
}
