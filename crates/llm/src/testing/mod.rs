//! A fake LLM provider on 127.0.0.1 for tests: a real HTTP/1.1 server that speaks
//! the Anthropic and OpenAI streaming formats byte for byte (SSE `event:`/`data:`
//! lines, blank-line separators, chunked or close-delimited bodies, the providers'
//! error bodies), answers each request from a script, and records what it got.
//!
//! The wire format follows the request path: `…/v1/messages` is answered as
//! Anthropic, `…/chat/completions` as OpenAI, anything else gets a 404.
//!
//! ```no_run
//! # async fn demo() -> std::io::Result<()> {
//! use llmos_llm::testing::{FakeProvider, Script};
//! use llmos_llm::ProviderKind;
//! let fake = FakeProvider::start().await?;
//! fake.push(Script::reply(["Hello", " world"]));
//! let config = fake.config(ProviderKind::OpenAi, "gpt-test");
//! // … run the code under test with `config` …
//! assert_eq!(fake.requests()[0].body["model"], "gpt-test");
//! # Ok(()) }
//! ```

mod http;
mod wire;

use std::collections::VecDeque;
use std::io::{self, Write as _};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use serde::Serialize;
use tokio::net::{TcpListener, TcpStream};
use tokio_util::sync::CancellationToken;

pub use http::Framing;
pub use wire::error_body;

use crate::config::{LlmConfig, ProviderKind};

/// What the fake does with one request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Script {
    /// A full streamed reply: each chunk is one text delta event, with
    /// `delay_between` between deltas.
    Reply { chunks: Vec<String>, delay_between: Duration },
    /// A non-streamed response, e.g. `429` with `retry-after`, `401` with an error
    /// body (see [`error_body`]), or `502` with an HTML page.
    Status { code: u16, headers: Vec<(String, String)>, body: String },
    /// Starts the reply, sends these deltas, then closes the connection without
    /// ending the body or the stream.
    DropAfter { chunks: Vec<String> },
    /// Sends these deltas, then an event whose JSON is cut off, then ends the body.
    Malformed { chunks_before: Vec<String> },
    /// Sends these deltas, then an error event in the provider's format
    /// (e.g. kind `overloaded_error`), then ends the body.
    StreamError { chunks_before: Vec<String>, kind: String, message: String },
    /// Sends these deltas, then keeps the connection open and silent.
    StallAfter { chunks: Vec<String> },
    /// Reads the request and never answers.
    Hang,
    /// Writes these bytes as the whole response, then closes.
    Raw { bytes: Vec<u8> },
    /// A full reply that stops at the token limit (`max_tokens` / finish `length`).
    TokenLimit { chunks: Vec<String> },
}

impl Script {
    /// A reply streamed as the given deltas, without delay.
    pub fn reply<I, S>(chunks: I) -> Script
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        Script::Reply { chunks: chunks.into_iter().map(Into::into).collect(), delay_between: Duration::ZERO }
    }

    /// A status response with a body and no extra headers.
    pub fn status(code: u16, body: impl Into<String>) -> Script {
        Script::Status { code, headers: Vec::new(), body: body.into() }
    }
}

/// Splits `text` into about `pieces` deltas at word boundaries, keeping every
/// character, so `concat(split) == text`.
pub fn split_into_deltas(text: &str, pieces: usize) -> Vec<String> {
    let words: Vec<&str> = text.split_inclusive(char::is_whitespace).collect();
    if words.is_empty() {
        return Vec::new();
    }
    let per_piece = words.len().div_ceil(pieces.max(1));
    words.chunks(per_piece).map(|chunk| chunk.concat()).collect()
}

/// One request as the fake received it.
#[derive(Clone, Debug, Serialize)]
pub struct RecordedRequest {
    pub method: String,
    pub path: String,
    /// Names lowercased, in arrival order.
    pub headers: Vec<(String, String)>,
    /// The body parsed as JSON, or `Null` when it is not JSON.
    pub body: serde_json::Value,
    pub raw_body: String,
}

impl RecordedRequest {
    /// The first header with this name (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(key, _)| key.eq_ignore_ascii_case(name)).map(|(_, value)| value.as_str())
    }

    /// The wire format the path asks for.
    pub fn provider(&self) -> Option<ProviderKind> {
        provider_for_path(&self.path)
    }
}

fn provider_for_path(path: &str) -> Option<ProviderKind> {
    let path = path.split('?').next().unwrap_or_default();
    if path.ends_with("/v1/messages") {
        Some(ProviderKind::Anthropic)
    } else if path.ends_with("/chat/completions") {
        Some(ProviderKind::OpenAi)
    } else {
        None
    }
}

#[derive(Default)]
struct State {
    queue: VecDeque<Script>,
    default_script: Option<Script>,
    requests: Vec<RecordedRequest>,
    /// Per request index: when the first text delta was flushed to the socket.
    first_delta_sent: Vec<Option<Instant>>,
    framing: Framing,
    expected_key: Option<String>,
    request_log: Option<PathBuf>,
}

/// The running fake. Dropping it stops the server and every open connection.
pub struct FakeProvider {
    addr: SocketAddr,
    state: Arc<Mutex<State>>,
    shutdown: CancellationToken,
}

impl std::fmt::Debug for FakeProvider {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FakeProvider").field("addr", &self.addr).finish_non_exhaustive()
    }
}

impl Drop for FakeProvider {
    fn drop(&mut self) {
        self.shutdown.cancel();
    }
}

impl FakeProvider {
    /// Starts on a free port, served by the current tokio runtime.
    pub async fn start() -> io::Result<FakeProvider> {
        Self::start_on(0).await
    }

    /// Starts on `port` (0 for a free one), served by the current tokio runtime.
    pub async fn start_on(port: u16) -> io::Result<FakeProvider> {
        let listener = TcpListener::bind(("127.0.0.1", port)).await?;
        let fake = Self::new(listener.local_addr()?);
        tokio::spawn(accept_loop(listener, fake.state.clone(), fake.shutdown.clone()));
        Ok(fake)
    }

    /// Starts on a free port with its own thread and runtime, for tests that are
    /// not async (e.g. ones that run the `llmos` binary).
    pub fn start_in_thread() -> io::Result<FakeProvider> {
        let listener = std::net::TcpListener::bind(("127.0.0.1", 0))?;
        listener.set_nonblocking(true)?;
        let fake = Self::new(listener.local_addr()?);
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
        let state = fake.state.clone();
        let shutdown = fake.shutdown.clone();
        std::thread::Builder::new().name("llmos-fake-llm".to_string()).spawn(move || {
            runtime.block_on(async move {
                match TcpListener::from_std(listener) {
                    Ok(listener) => accept_loop(listener, state, shutdown).await,
                    Err(error) => eprintln!("fake LLM provider could not listen: {error}"),
                }
            });
        })?;
        Ok(fake)
    }

    fn new(addr: SocketAddr) -> FakeProvider {
        FakeProvider { addr, state: Arc::new(Mutex::new(State::default())), shutdown: CancellationToken::new() }
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The `base_url` to configure: `http://127.0.0.1:PORT` for Anthropic,
    /// `http://127.0.0.1:PORT/v1` for OpenAI (each provider's default layout).
    pub fn base_url(&self, provider: ProviderKind) -> String {
        match provider {
            ProviderKind::Anthropic => format!("http://{}", self.addr),
            ProviderKind::OpenAi => format!("http://{}/v1", self.addr),
        }
    }

    /// A config pointing at the fake with the provider's default key variable,
    /// a 5 s timeout and short retry backoffs, so failing tests fail fast.
    pub fn config(&self, provider: ProviderKind, model: &str) -> LlmConfig {
        let mut config = LlmConfig::new(provider, model);
        config.base_url = Some(self.base_url(provider));
        config.timeout = Duration::from_secs(5);
        config.retry_backoff = Duration::from_millis(10);
        config.max_retry_wait = Duration::from_secs(5);
        config
    }

    /// Queues a script for the next request that has none yet.
    pub fn push(&self, script: Script) {
        self.with_state(|state| state.queue.push_back(script));
    }

    /// The script used when the queue is empty. Without one, such a request gets
    /// a 400 saying no script was queued (400 is not retried, so it shows at once).
    pub fn set_default(&self, script: Script) {
        self.with_state(|state| state.default_script = Some(script));
    }

    pub fn set_framing(&self, framing: Framing) {
        self.with_state(|state| state.framing = framing);
    }

    /// Answers requests whose key header (`x-api-key`, or `authorization: Bearer`)
    /// differs from `key` with the provider's 401, without consuming a script.
    pub fn expect_key(&self, key: impl Into<String>) {
        let key = key.into();
        self.with_state(|state| state.expected_key = Some(key));
    }

    /// Appends every request as a JSON line to this file.
    pub fn set_request_log(&self, path: impl Into<PathBuf>) {
        let path = path.into();
        self.with_state(|state| state.request_log = Some(path));
    }

    /// Every request received so far, in order.
    pub fn requests(&self) -> Vec<RecordedRequest> {
        self.with_state(|state| state.requests.clone())
    }

    /// When the fake flushed the first text delta of the `request_index`-th
    /// request (0-based) to the socket: the start of first-token latency budgets.
    pub fn first_delta_sent_at(&self, request_index: usize) -> Option<Instant> {
        self.with_state(|state| state.first_delta_sent.get(request_index).copied().flatten())
    }

    fn with_state<T>(&self, action: impl FnOnce(&mut State) -> T) -> T {
        let mut state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        action(&mut state)
    }
}

async fn accept_loop(listener: TcpListener, state: Arc<Mutex<State>>, shutdown: CancellationToken) {
    loop {
        let accepted = tokio::select! {
            () = shutdown.cancelled() => return,
            accepted = listener.accept() => accepted,
        };
        let Ok((stream, _)) = accepted else { continue };
        let state = state.clone();
        let shutdown = shutdown.clone();
        tokio::spawn(async move {
            tokio::select! {
                () = shutdown.cancelled() => {}
                // A client that hangs up mid-response is an expected event in tests.
                _ = serve_connection(stream, state, &shutdown) => {}
            }
        });
    }
}

async fn serve_connection(mut stream: TcpStream, state: Arc<Mutex<State>>, shutdown: &CancellationToken) -> io::Result<()> {
    // Small SSE writes must leave at once, not wait for Nagle's algorithm.
    stream.set_nodelay(true)?;
    let Some(raw) = http::read_request(&mut stream).await? else {
        return Ok(());
    };
    let raw_body = String::from_utf8_lossy(&raw.body).into_owned();
    let recorded = RecordedRequest {
        method: raw.method,
        path: raw.path,
        headers: raw.headers,
        body: serde_json::from_str(&raw_body).unwrap_or(serde_json::Value::Null),
        raw_body,
    };
    let provider = recorded.provider();
    let model = recorded.body["model"].as_str().unwrap_or("fake-model").to_string();
    let include_usage = recorded.body["stream_options"]["include_usage"] == serde_json::Value::Bool(true);
    let refused_key = provider.and_then(|provider| {
        let expected = lock(&state).expected_key.clone()?;
        let received = match provider {
            ProviderKind::Anthropic => recorded.header("x-api-key").unwrap_or_default(),
            ProviderKind::OpenAi => recorded.header("authorization").and_then(|value| value.strip_prefix("Bearer ")).unwrap_or_default(),
        };
        (received != expected).then(|| wire::key_refused_body(provider, received))
    });
    let (script, framing, request_index) = {
        let mut state = lock(&state);
        log_request(state.request_log.as_ref(), &recorded);
        state.requests.push(recorded);
        state.first_delta_sent.push(None);
        let request_index = state.requests.len() - 1;
        let script = if refused_key.is_some() || provider.is_none() { None } else { state.queue.pop_front().or_else(|| state.default_script.clone()) };
        (script, state.framing, request_index)
    };
    let Some(provider) = provider else {
        let body = r#"{"error":{"message":"fake provider: unknown path","type":"not_found_error"}}"#;
        return http::write_response(&mut stream, 404, &[], body).await;
    };
    if let Some(body) = refused_key {
        return http::write_response(&mut stream, 401, &[], &body).await;
    }
    let Some(script) = script else {
        let body = error_body(provider, "invalid_request_error", "fake provider: no script queued for this request");
        return http::write_response(&mut stream, 400, &[], &body).await;
    };
    let mut response = Response {
        stream: &mut stream,
        provider,
        model: &model,
        include_usage,
        framing,
        on_first_delta: Box::new(move || {
            lock(&state).first_delta_sent[request_index] = Some(Instant::now());
        }),
    };
    response.play(script, shutdown).await
}

/// One response being written, with what every script step needs.
struct Response<'a> {
    stream: &'a mut TcpStream,
    provider: ProviderKind,
    model: &'a str,
    include_usage: bool,
    framing: Framing,
    on_first_delta: Box<dyn FnMut() + Send>,
}

impl Response<'_> {
    async fn play(&mut self, script: Script, shutdown: &CancellationToken) -> io::Result<()> {
        let (provider, framing) = (self.provider, self.framing);
        match script {
            Script::Status { code, headers, body } => http::write_response(self.stream, code, &headers, &body).await,
            Script::Hang => {
                shutdown.cancelled().await;
                Ok(())
            }
            Script::Raw { bytes } => {
                use tokio::io::AsyncWriteExt as _;
                self.stream.write_all(&bytes).await?;
                self.stream.shutdown().await
            }
            Script::Reply { chunks, delay_between } => {
                self.send_deltas(&chunks, delay_between).await?;
                for event in wire::epilogue(provider, self.model, chunks.len(), self.include_usage) {
                    http::write_body_piece(self.stream, framing, &event).await?;
                }
                http::finish_body(self.stream, framing).await
            }
            Script::TokenLimit { chunks } => {
                self.send_deltas(&chunks, Duration::ZERO).await?;
                for event in wire::epilogue_because(provider, self.model, chunks.len(), self.include_usage, true) {
                    http::write_body_piece(self.stream, framing, &event).await?;
                }
                http::finish_body(self.stream, framing).await
            }
            Script::DropAfter { chunks } => {
                self.send_deltas(&chunks, Duration::ZERO).await?;
                // Returning drops the socket: no final chunk, no end-of-stream event.
                Ok(())
            }
            Script::Malformed { chunks_before } => {
                self.send_deltas(&chunks_before, Duration::ZERO).await?;
                http::write_body_piece(self.stream, framing, &wire::malformed(provider)).await?;
                http::finish_body(self.stream, framing).await
            }
            Script::StreamError { chunks_before, kind, message } => {
                self.send_deltas(&chunks_before, Duration::ZERO).await?;
                let event = wire::stream_error(provider, &kind, &message);
                http::write_body_piece(self.stream, framing, &event).await?;
                http::finish_body(self.stream, framing).await
            }
            Script::StallAfter { chunks } => {
                self.send_deltas(&chunks, Duration::ZERO).await?;
                shutdown.cancelled().await;
                Ok(())
            }
        }
    }

    async fn send_deltas(&mut self, chunks: &[String], delay_between: Duration) -> io::Result<()> {
        http::start_event_stream(self.stream, self.framing).await?;
        for event in wire::prelude(self.provider, self.model) {
            http::write_body_piece(self.stream, self.framing, &event).await?;
        }
        for (index, chunk) in chunks.iter().enumerate() {
            if index > 0 && !delay_between.is_zero() {
                tokio::time::sleep(delay_between).await;
            }
            let event = wire::delta(self.provider, self.model, chunk);
            http::write_body_piece(self.stream, self.framing, &event).await?;
            if index == 0 {
                (self.on_first_delta)();
            }
        }
        Ok(())
    }
}

fn lock(state: &Mutex<State>) -> std::sync::MutexGuard<'_, State> {
    state.lock().unwrap_or_else(PoisonError::into_inner)
}

fn log_request(path: Option<&PathBuf>, request: &RecordedRequest) {
    let Some(path) = path else { return };
    let Ok(line) = serde_json::to_string(request) else {
        return;
    };
    let written = std::fs::OpenOptions::new().create(true).append(true).open(path).and_then(|mut file| writeln!(file, "{line}"));
    if let Err(error) = written {
        eprintln!("fake LLM provider could not log to {}: {error}", path.display());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn split_keeps_every_character() {
        let text = "Hello from the fake provider, with  two spaces\nand a newline";
        for pieces in [1, 2, 3, 5, 100] {
            let split = split_into_deltas(text, pieces);
            assert_eq!(split.concat(), text);
            assert!(split.len() <= pieces.max(1));
        }
        assert!(split_into_deltas("", 3).is_empty());
        assert_eq!(split_into_deltas("Hello from fake", 3), ["Hello ", "from ", "fake"]);
    }

    #[test]
    fn paths_choose_the_wire_format() {
        assert_eq!(provider_for_path("/v1/messages"), Some(ProviderKind::Anthropic));
        assert_eq!(provider_for_path("/v1/chat/completions"), Some(ProviderKind::OpenAi));
        assert_eq!(provider_for_path("/api/chat/completions?x=1"), Some(ProviderKind::OpenAi));
        assert_eq!(provider_for_path("/v1/models"), None);
    }
}
