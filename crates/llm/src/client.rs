//! Sends a chat request and streams the reply: one HTTP request per attempt,
//! retries for 429/5xx before any text arrived, timeouts on the response and on
//! every silence of the stream, and cancellation at any await point. Each decoded
//! text delta goes to the caller's callback before the next byte is read.

use std::error::Error as _;
use std::fmt;
use std::time::Duration;

use eventsource_stream::{EventStreamError, Eventsource};
use futures::StreamExt;
use reqwest::header::{ACCEPT, CONTENT_TYPE, HeaderMap, HeaderValue};
use tokio_util::sync::CancellationToken;

use crate::chat::{ChatOutcome, ChatRequest};
use crate::config::{LlmConfig, ProviderKind, format_duration};
use crate::error::{LlmError, TimeoutPhase};
use crate::secret::{ApiKey, KeyFilter, resolve_key, scrub};
use crate::wire::{self, Decoder, Step, WireFault};

const ANTHROPIC_VERSION: &str = "2023-06-01";
/// Error bodies are read for their message only; a proxy's huge HTML page is cut.
const MAX_ERROR_BODY_BYTES: usize = 64 * 1024;
/// How much of a non-JSON body is quoted in a message.
const MAX_SNIPPET_CHARS: usize = 200;

/// A provider client built once from the config and reused for every request
/// (it keeps the connection pool, so later requests skip the TLS handshake).
pub struct LlmClient {
    config: LlmConfig,
    endpoint: reqwest::Url,
    /// The endpoint without user info or query, safe to show in messages.
    endpoint_shown: String,
    key: Option<ApiKey>,
    http: reqwest::Client,
}

impl fmt::Debug for LlmClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LlmClient")
            .field("provider", &self.config.provider)
            .field("model", &self.config.model)
            .field("endpoint", &self.endpoint_shown)
            .field("key", &self.key)
            .finish_non_exhaustive()
    }
}

/// Looks a variable up in the process environment; the usual `env` argument.
pub fn process_env(var: &str) -> Option<String> {
    std::env::var(var).ok()
}

/// Builds a client and streams one reply; see [`LlmClient::stream_chat`].
pub async fn stream_chat(
    config: &LlmConfig,
    request: &ChatRequest,
    env: &(dyn Fn(&str) -> Option<String> + Sync),
    cancel: &CancellationToken,
    on_delta: impl FnMut(&str),
) -> Result<ChatOutcome, LlmError> {
    LlmClient::new(config, env)?.stream_chat(request, cancel, on_delta).await
}

/// Builds a client and returns the whole reply; see [`LlmClient::complete`].
pub async fn complete(
    config: &LlmConfig,
    request: &ChatRequest,
    env: &(dyn Fn(&str) -> Option<String> + Sync),
    cancel: &CancellationToken,
) -> Result<String, LlmError> {
    LlmClient::new(config, env)?.complete(request, cancel).await
}

impl LlmClient {
    /// Checks the config and reads the key (through `env`, usually
    /// [`process_env`]). Fails before any network access when the key variable is
    /// unset, the model is empty or the base URL is not an http(s) URL.
    pub fn new(config: &LlmConfig, env: &(dyn Fn(&str) -> Option<String> + Sync)) -> Result<Self, LlmError> {
        let invalid = |reason: String| LlmError::InvalidConfig { reason };
        if config.model.trim().is_empty() {
            return Err(invalid("`model` is empty".to_string()));
        }
        if config.timeout.is_zero() {
            return Err(invalid("`timeout` must be longer than 0s".to_string()));
        }
        if config.max_tokens == 0 {
            return Err(invalid("`max_tokens` must be at least 1".to_string()));
        }
        // The URL itself is not quoted: someone may have put a key in its query.
        let base = reqwest::Url::parse(config.effective_base_url()).map_err(|error| invalid(format!("`base_url` is not a valid URL ({error})")))?;
        if !matches!(base.scheme(), "http" | "https") || base.cannot_be_a_base() {
            return Err(invalid("`base_url` must start with http:// or https://".to_string()));
        }
        let suffix = match config.provider {
            ProviderKind::Anthropic => "/v1/messages",
            ProviderKind::OpenAi => "/chat/completions",
        };
        let mut endpoint = base.clone();
        endpoint.set_path(&format!("{}{suffix}", base.path().trim_end_matches('/')));
        let key = resolve_key(config, env)?;
        if let Some(key) = &key
            && HeaderValue::from_str(key.expose()).is_err()
        {
            return Err(invalid(format!("the key in {} contains characters that cannot be sent in an HTTP header", key.var())));
        }
        let http = reqwest::Client::builder()
            .connect_timeout(config.timeout)
            .build()
            .map_err(|error| invalid(format!("the HTTP client could not start ({error})")))?;
        Ok(LlmClient { endpoint_shown: shown_url(&endpoint), endpoint, key, http, config: config.clone() })
    }

    pub fn config(&self) -> &LlmConfig {
        &self.config
    }

    /// The URL requests go to, without user info or query string.
    pub fn endpoint(&self) -> &str {
        &self.endpoint_shown
    }

    /// Sends `request` and calls `on_delta` with each piece of text as soon as
    /// its event is decoded (the callback runs on the request's task: it must not
    /// block; hand the text to a channel if the work is slow). Returns the whole
    /// reply when the provider ends it. On failure or cancellation the error
    /// carries the text already delivered ([`LlmError::partial`]); a request is
    /// retried only while nothing has been delivered.
    pub async fn stream_chat(&self, request: &ChatRequest, cancel: &CancellationToken, mut on_delta: impl FnMut(&str)) -> Result<ChatOutcome, LlmError> {
        if request.messages.is_empty() {
            return Err(LlmError::EmptyConversation);
        }
        let model = request.model.as_deref().unwrap_or(&self.config.model);
        let max_tokens = request.max_tokens.unwrap_or(self.config.max_tokens);
        let body = match self.config.provider {
            ProviderKind::Anthropic => wire::anthropic::request_body(model, max_tokens, request),
            ProviderKind::OpenAi => wire::openai::request_body(model, max_tokens, request),
        };
        let body = body.to_string().into_bytes();
        let mut attempts: u32 = 0;
        let mut waited = Duration::ZERO;
        loop {
            attempts += 1;
            tracing::debug!(
                provider = self.config.provider.config_name(),
                model,
                endpoint = %self.endpoint_shown,
                attempt = attempts,
                "sending chat request"
            );
            // The key never reaches the caller, whatever the provider streams.
            let mut filter = KeyFilter::new(self.key.as_ref());
            let result = self
                .attempt(&body, cancel, &mut |delta: &str| {
                    let safe = filter.push(delta);
                    if !safe.is_empty() {
                        on_delta(&safe);
                    }
                })
                .await;
            let tail = filter.finish();
            if !tail.is_empty() {
                on_delta(&tail);
            }
            let retryable = match result {
                Ok((_, stop_reason, usage)) => {
                    let text = filter.shown().to_string();
                    tracing::debug!(chars = text.len(), ?stop_reason, ?usage, "chat reply complete");
                    return Ok(ChatOutcome { text, stop_reason, attempts, usage });
                }
                Err(AttemptError::Final(mut error)) => {
                    error.set_partial(filter.shown());
                    return Err(error);
                }
                Err(AttemptError::Retryable(retryable)) => retryable,
            };
            if attempts > self.config.max_retries {
                return Err(retryable.into_error(self.config.provider, attempts));
            }
            let wait = retryable.retry_after().unwrap_or_else(|| self.backoff(attempts));
            if waited + wait > self.config.max_retry_wait {
                return Err(retryable.into_error(self.config.provider, attempts));
            }
            tracing::warn!(
                provider = self.config.provider.config_name(),
                attempt = attempts,
                wait = %format_duration(wait),
                reason = %retryable.summary(),
                "retrying chat request"
            );
            tokio::select! {
                biased;
                () = cancel.cancelled() => return Err(LlmError::Cancelled { partial: String::new() }),
                () = tokio::time::sleep(wait) => {}
            }
            waited += wait;
        }
    }

    /// The whole reply as one string (for callers that do not stream, such as the
    /// evolution engine). Any failure, cancellation included, is an error.
    pub async fn complete(&self, request: &ChatRequest, cancel: &CancellationToken) -> Result<String, LlmError> {
        self.stream_chat(request, cancel, |_| {}).await.map(|outcome| outcome.text)
    }

    fn backoff(&self, attempts: u32) -> Duration {
        let factor = 2u32.saturating_pow(attempts.saturating_sub(1));
        self.config.retry_backoff.saturating_mul(factor).min(self.config.max_retry_wait)
    }

    async fn attempt(
        &self,
        body: &[u8],
        cancel: &CancellationToken,
        on_delta: &mut impl FnMut(&str),
    ) -> Result<(String, Option<String>, Option<crate::chat::TokenUsage>), AttemptError> {
        let provider = self.config.provider;
        let timeout = self.config.timeout;
        let response = tokio::select! {
            biased;
            () = cancel.cancelled() => return Err(final_error(LlmError::Cancelled { partial: String::new() })),
            sent = tokio::time::timeout(timeout, self.http_request(body).send()) => sent,
        };
        let response = match response {
            Err(_elapsed) => {
                return Err(final_error(self.timeout(TimeoutPhase::WaitingForResponse, String::new())));
            }
            Ok(Err(error)) if error.is_timeout() => {
                return Err(final_error(self.timeout(TimeoutPhase::WaitingForResponse, String::new())));
            }
            Ok(Err(error)) => {
                return Err(final_error(LlmError::Connect { provider, endpoint: self.endpoint_shown.clone(), reason: self.transport_reason(error) }));
            }
            Ok(Ok(response)) => response,
        };
        let status = response.status();
        if !status.is_success() {
            return Err(self.status_failure(response, cancel).await);
        }
        let content_type = header_text(response.headers(), CONTENT_TYPE.as_str());
        if content_type.as_deref().is_some_and(|ct| !ct.trim_start().starts_with("text/event-stream")) {
            let content_type = content_type.unwrap_or_default();
            let body = self.read_error_body(response, cancel).await;
            return Err(final_error(match wire::error_details(&body) {
                Some((kind, message)) => LlmError::ProviderError {
                    provider,
                    kind: scrub(&kind.unwrap_or_else(|| "error".to_string()), self.key.as_ref()),
                    message: scrub(&message, self.key.as_ref()),
                    partial: String::new(),
                },
                None => LlmError::UnexpectedResponse { provider, content_type, snippet: self.snippet(&body) },
            }));
        }

        let mut events = response.bytes_stream().eventsource();
        let mut decoder = Decoder::new(provider);
        let mut text = String::new();
        let mut seen_event = false;
        loop {
            let next = tokio::select! {
                biased;
                () = cancel.cancelled() => return Err(final_error(LlmError::Cancelled { partial: text })),
                next = tokio::time::timeout(timeout, events.next()) => next,
            };
            let event = match next {
                Err(_elapsed) => {
                    let phase = if seen_event { TimeoutPhase::BetweenEvents } else { TimeoutPhase::WaitingForResponse };
                    return Err(final_error(self.timeout(phase, text)));
                }
                Ok(None) => {
                    return match decoder.stop_reason() {
                        Some(reason) => Ok((text, Some(reason.to_string()), decoder.usage())),
                        None => Err(final_error(LlmError::Dropped {
                            provider,
                            reason: "the connection closed before the provider ended the reply".to_string(),
                            partial: text,
                        })),
                    };
                }
                Ok(Some(Err(EventStreamError::Transport(error)))) => {
                    return Err(final_error(LlmError::Dropped { provider, reason: self.transport_reason(error), partial: text }));
                }
                Ok(Some(Err(EventStreamError::Utf8(_)))) => {
                    return Err(final_error(LlmError::MalformedEvent {
                        provider,
                        event: "(unknown)".to_string(),
                        reason: "the stream is not valid UTF-8".to_string(),
                        partial: text,
                    }));
                }
                Ok(Some(Err(EventStreamError::Parser(_)))) => {
                    return Err(final_error(LlmError::MalformedEvent {
                        provider,
                        event: "(unknown)".to_string(),
                        reason: "the stream is not valid server-sent events".to_string(),
                        partial: text,
                    }));
                }
                Ok(Some(Ok(event))) => event,
            };
            seen_event = true;
            match decoder.on_event(&event.event, &event.data) {
                Ok(Step::Text(delta)) => {
                    on_delta(&delta);
                    text.push_str(&delta);
                }
                Ok(Step::Nothing) => {}
                Ok(Step::Done) => return Ok((text, decoder.stop_reason().map(str::to_string), decoder.usage())),
                Err(WireFault::Malformed { event, reason }) => {
                    // Both may quote what the provider sent.
                    let (event, reason) = (scrub(&event, self.key.as_ref()), scrub(&reason, self.key.as_ref()));
                    return Err(final_error(LlmError::MalformedEvent { provider, event, reason, partial: text }));
                }
                Err(WireFault::Provider { kind, message }) => {
                    let message = scrub(&message, self.key.as_ref());
                    let kind = scrub(&kind, self.key.as_ref());
                    if text.is_empty() && is_transient_stream_error(&kind) {
                        return Err(AttemptError::Retryable(Retryable::StreamError { kind, message }));
                    }
                    return Err(final_error(LlmError::ProviderError { provider, kind, message, partial: text }));
                }
            }
        }
    }

    fn http_request(&self, body: &[u8]) -> reqwest::RequestBuilder {
        let mut request =
            self.http.post(self.endpoint.clone()).header(CONTENT_TYPE, "application/json").header(ACCEPT, "text/event-stream").body(body.to_vec());
        let secret_header = |value: String| {
            // Checked in `new`; a failure here would only drop the header.
            HeaderValue::from_str(&value).ok().map(|mut value| {
                value.set_sensitive(true);
                value
            })
        };
        match self.config.provider {
            ProviderKind::Anthropic => {
                request = request.header("anthropic-version", ANTHROPIC_VERSION);
                if let Some(value) = self.key.as_ref().and_then(|key| secret_header(key.expose().to_string())) {
                    request = request.header("x-api-key", value);
                }
            }
            ProviderKind::OpenAi => {
                if let Some(value) = self.key.as_ref().and_then(|key| secret_header(format!("Bearer {}", key.expose()))) {
                    request = request.header(reqwest::header::AUTHORIZATION, value);
                }
            }
        }
        request
    }

    async fn status_failure(&self, response: reqwest::Response, cancel: &CancellationToken) -> AttemptError {
        let provider = self.config.provider;
        let status = response.status();
        let retry_after = retry_after(response.headers());
        let body = self.read_error_body(response, cancel).await;
        let message = match wire::error_details(&body) {
            Some((_, message)) => scrub(&message, self.key.as_ref()),
            None if body.trim().is_empty() => status.canonical_reason().unwrap_or("no details were given").to_string(),
            None => format!("{} (the response was not JSON)", self.snippet(&body)),
        };
        tracing::debug!(status = status.as_u16(), "chat request refused");
        match status.as_u16() {
            401 | 403 => {
                final_error(LlmError::KeyRefused { provider, status: status.as_u16(), var: self.key.as_ref().map(|key| key.var().to_string()), message })
            }
            429 => AttemptError::Retryable(Retryable::RateLimited { message, retry_after }),
            500..=599 => AttemptError::Retryable(Retryable::ServerError { status: status.as_u16(), message, retry_after }),
            other => final_error(LlmError::Rejected { provider, endpoint: self.endpoint_shown.clone(), status: other, message }),
        }
    }

    /// Reads at most [`MAX_ERROR_BODY_BYTES`], within the timeout; whatever could
    /// be read is returned, since the status alone already explains the failure.
    async fn read_error_body(&self, response: reqwest::Response, cancel: &CancellationToken) -> String {
        let mut bytes = Vec::new();
        let mut stream = response.bytes_stream();
        let read = async {
            while let Some(Ok(chunk)) = stream.next().await {
                bytes.extend_from_slice(&chunk);
                if bytes.len() >= MAX_ERROR_BODY_BYTES {
                    bytes.truncate(MAX_ERROR_BODY_BYTES);
                    break;
                }
            }
        };
        tokio::select! {
            () = cancel.cancelled() => {}
            _ = tokio::time::timeout(self.config.timeout, read) => {}
        }
        String::from_utf8_lossy(&bytes).into_owned()
    }

    fn snippet(&self, body: &str) -> String {
        let clean = scrub(body, self.key.as_ref());
        if clean.is_empty() {
            return "(empty body)".to_string();
        }
        let mut shown: String = clean.chars().take(MAX_SNIPPET_CHARS).collect();
        if clean.chars().count() > MAX_SNIPPET_CHARS {
            shown.push('…');
        }
        format!("«{shown}»")
    }

    fn timeout(&self, phase: TimeoutPhase, partial: String) -> LlmError {
        LlmError::Timeout { provider: self.config.provider, phase, after: self.config.timeout, partial }
    }

    /// The error and its causes on one line ("error sending request: client
    /// error (Connect): tcp connect error: Connection refused"), without the URL.
    fn transport_reason(&self, error: reqwest::Error) -> String {
        let error = error.without_url();
        let mut parts = vec![error.to_string()];
        let mut source = error.source();
        while let Some(cause) = source {
            let text = cause.to_string();
            if !parts.iter().any(|part| part.contains(&text)) {
                parts.push(text);
            }
            source = cause.source();
        }
        scrub(&parts.join(": "), self.key.as_ref())
    }
}

/// Why one attempt failed.
enum AttemptError {
    Final(LlmError),
    Retryable(Retryable),
}

fn final_error(error: LlmError) -> AttemptError {
    AttemptError::Final(error)
}

/// A failure worth another attempt, turned into an error once attempts run out.
enum Retryable {
    RateLimited {
        message: String,
        retry_after: Option<Duration>,
    },
    ServerError {
        status: u16,
        message: String,
        retry_after: Option<Duration>,
    },
    /// An `overloaded_error` or similar event before any text.
    StreamError {
        kind: String,
        message: String,
    },
}

impl Retryable {
    fn retry_after(&self) -> Option<Duration> {
        match self {
            Retryable::RateLimited { retry_after, .. } | Retryable::ServerError { retry_after, .. } => *retry_after,
            Retryable::StreamError { .. } => None,
        }
    }

    fn summary(&self) -> String {
        match self {
            Retryable::RateLimited { .. } => "HTTP 429".to_string(),
            Retryable::ServerError { status, .. } => format!("HTTP {status}"),
            Retryable::StreamError { kind, .. } => kind.clone(),
        }
    }

    fn into_error(self, provider: ProviderKind, attempts: u32) -> LlmError {
        match self {
            Retryable::RateLimited { message, retry_after } => LlmError::RateLimited { provider, attempts, retry_after, message },
            Retryable::ServerError { status, message, .. } => LlmError::ServerError { provider, status, attempts, message },
            Retryable::StreamError { kind, message } => LlmError::ProviderError { provider, kind, message, partial: String::new() },
        }
    }
}

/// In-stream errors that mean "try again later" rather than "your request is wrong".
fn is_transient_stream_error(kind: &str) -> bool {
    matches!(kind, "overloaded_error" | "api_error" | "rate_limit_error" | "server_error")
}

fn header_text(headers: &HeaderMap, name: &str) -> Option<String> {
    headers.get(name).and_then(|value| value.to_str().ok()).map(str::to_string)
}

/// `retry-after-ms` (OpenAI) or `retry-after` in seconds; an HTTP-date or garbage
/// is ignored and the normal backoff applies.
fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    let seconds = |name: &str, scale: f64| {
        header_text(headers, name).and_then(|text| text.trim().parse::<f64>().ok()).and_then(|value| Duration::try_from_secs_f64(value * scale).ok())
    };
    seconds("retry-after-ms", 0.001).or_else(|| seconds("retry-after", 1.0))
}

/// A URL as it may be shown: no credentials, query or fragment.
pub(crate) fn shown_url(url: &reqwest::Url) -> String {
    let mut shown = url.clone();
    let _ = shown.set_username("");
    let _ = shown.set_password(None);
    shown.set_query(None);
    shown.set_fragment(None);
    shown.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_after_reads_seconds_and_milliseconds() {
        let mut headers = HeaderMap::new();
        assert_eq!(retry_after(&headers), None);
        headers.insert("retry-after", HeaderValue::from_static("2"));
        assert_eq!(retry_after(&headers), Some(Duration::from_secs(2)));
        headers.insert("retry-after-ms", HeaderValue::from_static("150"));
        assert_eq!(retry_after(&headers), Some(Duration::from_millis(150)));
        headers.remove("retry-after-ms");
        headers.insert("retry-after", HeaderValue::from_static("Wed, 21 Oct 2015 07:28:00 GMT"));
        assert_eq!(retry_after(&headers), None);
        headers.insert("retry-after", HeaderValue::from_static("-3"));
        assert_eq!(retry_after(&headers), None);
    }

    #[test]
    fn endpoint_joins_the_base_path_and_hides_credentials() {
        let mut config = LlmConfig::new(ProviderKind::OpenAi, "m");
        config.base_url = Some("https://user:pw@example.com/api/v1/?token=abc".into());
        config.api_key_env = Some(String::new());
        let client = LlmClient::new(&config, &|_| None).unwrap();
        assert_eq!(client.endpoint(), "https://example.com/api/v1/chat/completions");
        config.provider = ProviderKind::Anthropic;
        config.base_url = None;
        let client = LlmClient::new(&config, &|_| None).unwrap();
        assert_eq!(client.endpoint(), "https://api.anthropic.com/v1/messages");
    }

    #[test]
    fn new_refuses_bad_configs_before_any_request() {
        let base = LlmConfig::new(ProviderKind::OpenAi, "m");
        let env = |_: &str| Some("k".to_string());
        let mut empty_model = base.clone();
        empty_model.model = "  ".into();
        assert!(matches!(LlmClient::new(&empty_model, &env), Err(LlmError::InvalidConfig { .. })));
        let mut bad_url = base.clone();
        bad_url.base_url = Some("ftp://example.com".into());
        assert!(matches!(LlmClient::new(&bad_url, &env), Err(LlmError::InvalidConfig { .. })));
        bad_url.base_url = Some("not a url".into());
        assert!(matches!(LlmClient::new(&bad_url, &env), Err(LlmError::InvalidConfig { .. })));
        let mut zero = base.clone();
        zero.timeout = Duration::ZERO;
        assert!(matches!(LlmClient::new(&zero, &env), Err(LlmError::InvalidConfig { .. })));
        let newline_key = |_: &str| Some("abc\u{7}def".to_string());
        let error = LlmClient::new(&base, &newline_key).unwrap_err();
        assert!(error.to_string().contains("OPENAI_API_KEY"), "{error}");
        assert!(!error.to_string().contains("abc"), "{error}");
    }

    fn assert_send<T: Send>(_: T) {}

    #[test]
    fn request_futures_can_be_spawned() {
        let config = LlmConfig::new(ProviderKind::OpenAi, "m");
        let client = LlmClient::new(&config, &|_| Some("k".to_string())).unwrap();
        let request = ChatRequest::default();
        let cancel = CancellationToken::new();
        let mut collected = String::new();
        assert_send(client.stream_chat(&request, &cancel, |delta| collected.push_str(delta)));
        assert_send(client.complete(&request, &cancel));
        assert_send(stream_chat(&config, &request, &process_env, &cancel, |_| {}));
        assert_send(complete(&config, &request, &process_env, &cancel));
    }

    #[test]
    fn backoff_doubles_and_is_capped() {
        let mut config = LlmConfig::new(ProviderKind::OpenAi, "m");
        config.api_key_env = Some(String::new());
        config.retry_backoff = Duration::from_millis(100);
        config.max_retry_wait = Duration::from_millis(350);
        let client = LlmClient::new(&config, &|_| None).unwrap();
        assert_eq!(client.backoff(1), Duration::from_millis(100));
        assert_eq!(client.backoff(2), Duration::from_millis(200));
        assert_eq!(client.backoff(3), Duration::from_millis(350));
        assert_eq!(client.backoff(40), Duration::from_millis(350));
    }
}
