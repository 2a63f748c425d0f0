//! The client against the fake provider over real TCP: streaming order and timing,
//! the exact request each provider receives, and every failure a user can meet,
//! each checked for its message, the text it keeps and the key it must not leak.

use std::time::{Duration, Instant};

use llmos_llm::testing::{FakeProvider, Framing, Script, error_body};
use llmos_llm::{CancellationToken, ChatMessage, ChatOutcome, ChatRequest, LlmClient, LlmConfig, LlmError, ProviderKind, TimeoutPhase, complete, stream_chat};
use serde_json::json;

const CANARY: &str = "sk-canary-7f3a9c1e5b2d8f4a6c0e";
const BOTH: [ProviderKind; 2] = [ProviderKind::Anthropic, ProviderKind::OpenAi];

fn env_with_canary(var: &str) -> Option<String> {
    matches!(var, "ANTHROPIC_API_KEY" | "OPENAI_API_KEY").then(|| CANARY.to_string())
}

fn request() -> ChatRequest {
    ChatRequest::new("You are llmos.", vec![ChatMessage::user("What is a skill?"), ChatMessage::assistant("A Markdown file."), ChatMessage::user("Show one.")])
}

async fn run(config: &LlmConfig) -> (Result<ChatOutcome, LlmError>, Vec<String>) {
    let mut deltas = Vec::new();
    let result = stream_chat(config, &request(), &env_with_canary, &CancellationToken::new(), |delta| deltas.push(delta.to_string())).await;
    (result, deltas)
}

/// Every error a test produced, checked for the canary at the end.
fn assert_no_canary(error: &LlmError) {
    let display = error.to_string();
    let debug = format!("{error:?}");
    assert!(!display.contains(CANARY), "key in message: {display}");
    assert!(!debug.contains(CANARY), "key in Debug: {debug}");
    // Not even a recognisable piece of it.
    assert!(!display.contains("7f3a9c1e"), "key piece in message: {display}");
    assert!(!display.contains("6c0e"), "masked key tail in message: {display}");
}

#[tokio::test]
async fn both_providers_stream_deltas_in_order() {
    let fake = FakeProvider::start().await.unwrap();
    let chunks = ["Hel", "lo, ", "wörld", "\n🙂 `code`", " \"quoted\"\n"];
    for provider in BOTH {
        fake.push(Script::reply(chunks));
        let (result, deltas) = run(&fake.config(provider, "model-x")).await;
        let outcome = result.unwrap();
        assert_eq!(deltas, chunks, "{provider:?}");
        assert_eq!(outcome.text, chunks.concat());
        assert_eq!(outcome.attempts, 1);
        let expected_stop = match provider {
            ProviderKind::Anthropic => "end_turn",
            ProviderKind::OpenAi => "stop",
        };
        assert_eq!(outcome.stop_reason.as_deref(), Some(expected_stop));
        assert!(!outcome.hit_token_limit());
    }
}

/// The fake reports usage as each vendor documents it: Anthropic's `message_start`
/// usage (12 uncached + 100 cache writes + 200 cache reads) and the cumulative
/// `output_tokens` of `message_delta` (one per delta, 5 here); OpenAI's last chunk
/// `{"choices": [], "usage": {"prompt_tokens": 312, "completion_tokens": 5,
/// "prompt_tokens_details": {"cached_tokens": 200}}}` before `[DONE]`.
#[tokio::test]
async fn both_providers_report_usage_while_streaming() {
    let fake = FakeProvider::start().await.unwrap();
    for provider in BOTH {
        fake.push(Script::reply(["a", "b", "c", "d", "e"]));
        let outcome = run(&fake.config(provider, "m")).await.0.unwrap();
        let usage = outcome.usage.unwrap_or_else(|| panic!("{provider:?} reported no usage"));
        assert_eq!((usage.input, usage.output, usage.cache_read), (312, 5, 200), "{provider:?}");
        let expected_writes = if provider == ProviderKind::Anthropic { 100 } else { 0 };
        assert_eq!(usage.cache_write, expected_writes);
    }
    // A reply cut off before the usage arrived has none, and is an error anyway.
    fake.push(Script::DropAfter { chunks: vec!["x".into()] });
    assert!(run(&fake.config(ProviderKind::OpenAi, "m")).await.0.is_err());
}

#[tokio::test]
async fn each_delta_is_delivered_before_the_next_is_sent() {
    let fake = FakeProvider::start().await.unwrap();
    for provider in BOTH {
        fake.push(Script::Reply { chunks: vec!["one ".into(), "two ".into(), "three".into()], delay_between: Duration::from_millis(200) });
        let mut arrivals = Vec::new();
        let outcome =
            stream_chat(&fake.config(provider, "m"), &request(), &env_with_canary, &CancellationToken::new(), |_| arrivals.push(Instant::now())).await.unwrap();
        assert_eq!(outcome.text, "one two three");
        assert_eq!(arrivals.len(), 3);
        for pair in arrivals.windows(2) {
            let gap = pair[1] - pair[0];
            assert!(gap >= Duration::from_millis(150), "deltas were batched: {gap:?}");
        }
    }
}

/// docs/design.md §11 budgets 20 ms from the provider's first byte to the token in the
/// document; this crate's share (socket to callback) must be a small part of it.
#[tokio::test]
async fn first_delta_reaches_the_callback_within_the_budget() {
    let fake = FakeProvider::start().await.unwrap();
    let mut latencies = Vec::new();
    for (index, provider) in BOTH.iter().cycle().take(6).enumerate() {
        fake.push(Script::Reply { chunks: vec!["first".into(), "second".into()], delay_between: Duration::from_millis(50) });
        let mut first_seen = None;
        stream_chat(&fake.config(*provider, "m"), &request(), &env_with_canary, &CancellationToken::new(), |_| {
            first_seen.get_or_insert_with(Instant::now);
        })
        .await
        .unwrap();
        let sent = fake.first_delta_sent_at(index).unwrap();
        latencies.push(first_seen.unwrap().saturating_duration_since(sent));
    }
    latencies.sort();
    let median = latencies[latencies.len() / 2];
    eprintln!("first delta, socket write to callback: median {median:?}, all {latencies:?}");
    assert!(median <= Duration::from_millis(20), "first-delta latencies {latencies:?}");
}

#[tokio::test]
async fn anthropic_request_shape_is_exact() {
    let fake = FakeProvider::start().await.unwrap();
    fake.push(Script::reply(["ok"]));
    let mut config = fake.config(ProviderKind::Anthropic, "claude-test");
    config.max_tokens = 321;
    run(&config).await.0.unwrap();
    let requests = fake.requests();
    assert_eq!(requests.len(), 1);
    let sent = &requests[0];
    assert_eq!(sent.method, "POST");
    assert_eq!(sent.path, "/v1/messages");
    assert_eq!(sent.header("x-api-key"), Some(CANARY));
    assert_eq!(sent.header("anthropic-version"), Some("2023-06-01"));
    assert_eq!(sent.header("content-type"), Some("application/json"));
    assert_eq!(sent.header("authorization"), None);
    assert_eq!(
        sent.body,
        json!({
            "model": "claude-test",
            "max_tokens": 321,
            "system": "You are llmos.",
            "stream": true,
            "messages": [
                {"role": "user", "content": "What is a skill?"},
                {"role": "assistant", "content": "A Markdown file."},
                {"role": "user", "content": "Show one."},
            ],
        })
    );
}

#[tokio::test]
async fn openai_request_shape_is_exact_and_overrides_apply() {
    let fake = FakeProvider::start().await.unwrap();
    fake.push(Script::reply(["ok"]));
    let config = fake.config(ProviderKind::OpenAi, "gpt-test");
    let mut chat = request();
    chat.model = Some("override-model".into());
    chat.max_tokens = Some(50);
    let client = LlmClient::new(&config, &env_with_canary).unwrap();
    let text = client.complete(&chat, &CancellationToken::new()).await.unwrap();
    assert_eq!(text, "ok");
    let sent = &fake.requests()[0];
    assert_eq!(sent.method, "POST");
    assert_eq!(sent.path, "/v1/chat/completions");
    assert_eq!(sent.header("authorization"), Some(format!("Bearer {CANARY}").as_str()));
    assert_eq!(sent.header("x-api-key"), None);
    assert_eq!(sent.header("content-type"), Some("application/json"));
    assert_eq!(
        sent.body,
        json!({
            "model": "override-model",
            "max_tokens": 50,
            "stream": true,
            "stream_options": {"include_usage": true},
            "messages": [
                {"role": "system", "content": "You are llmos."},
                {"role": "user", "content": "What is a skill?"},
                {"role": "assistant", "content": "A Markdown file."},
                {"role": "user", "content": "Show one."},
            ],
        })
    );
}

#[tokio::test]
async fn refused_key_says_so_with_the_providers_words_and_no_key() {
    let fake = FakeProvider::start().await.unwrap();
    fake.expect_key("the-right-key");
    for provider in BOTH {
        let (result, deltas) = run(&fake.config(provider, "m")).await;
        let error = result.unwrap_err();
        assert!(deltas.is_empty());
        let message = error.to_string();
        let var = provider.default_api_key_env();
        assert!(matches!(error, LlmError::KeyRefused { status: 401, .. }), "{error:?}");
        assert!(message.contains("refused the API key from"), "{message}");
        assert!(message.contains(var), "{message}");
        match provider {
            ProviderKind::Anthropic => assert!(message.contains("invalid x-api-key"), "{message}"),
            ProviderKind::OpenAi => {
                assert!(message.contains("Incorrect API key provided: [redacted]"), "{message}");
            }
        }
        assert!(error.is_configuration());
        assert_no_canary(&error);
    }
    // 401 and 403 are not retried.
    assert_eq!(fake.requests().len(), 2);
    fake.push(Script::status(403, error_body(ProviderKind::OpenAi, "permission_error", "no access")));
}

#[tokio::test]
async fn forbidden_is_a_refused_key_too() {
    let fake = FakeProvider::start().await.unwrap();
    fake.push(Script::status(403, error_body(ProviderKind::Anthropic, "permission_error", "Your key lacks access")));
    let error = run(&fake.config(ProviderKind::Anthropic, "m")).await.0.unwrap_err();
    assert!(matches!(error, LlmError::KeyRefused { status: 403, .. }), "{error:?}");
    assert!(error.to_string().contains("Your key lacks access"));
}

#[tokio::test]
async fn rate_limit_with_retry_after_then_success() {
    let fake = FakeProvider::start().await.unwrap();
    for provider in BOTH {
        fake.push(Script::Status { code: 429, headers: vec![("retry-after".into(), "1".into())], body: error_body(provider, "rate_limit_error", "slow down") });
        fake.push(Script::reply(["after ", "waiting"]));
        let started = Instant::now();
        let (result, deltas) = run(&fake.config(provider, "m")).await;
        let outcome = result.unwrap();
        assert_eq!(outcome.text, "after waiting");
        assert_eq!(deltas, ["after ", "waiting"]);
        assert_eq!(outcome.attempts, 2);
        // The config's own backoff is 10 ms, so the wait came from retry-after.
        assert!(started.elapsed() >= Duration::from_secs(1), "{:?}", started.elapsed());
    }
    assert_eq!(fake.requests().len(), 4);
}

#[tokio::test]
async fn rate_limit_beyond_the_wait_budget_fails_at_once() {
    let fake = FakeProvider::start().await.unwrap();
    fake.push(Script::Status {
        code: 429,
        headers: vec![("retry-after".into(), "3600".into())],
        body: error_body(ProviderKind::OpenAi, "rate_limit_exceeded", "quota"),
    });
    let started = Instant::now();
    let error = run(&fake.config(ProviderKind::OpenAi, "m")).await.0.unwrap_err();
    assert!(started.elapsed() < Duration::from_secs(2));
    match &error {
        LlmError::RateLimited { attempts, retry_after, message, .. } => {
            assert_eq!(*attempts, 1);
            assert_eq!(*retry_after, Some(Duration::from_secs(3600)));
            assert_eq!(message, "quota");
        }
        other => panic!("{other:?}"),
    }
    assert!(error.to_string().contains("asks to wait 1h"), "{error}");
    assert_eq!(fake.requests().len(), 1);
}

#[tokio::test]
async fn server_errors_are_retried_then_reported() {
    let fake = FakeProvider::start().await.unwrap();
    let mut config = fake.config(ProviderKind::OpenAi, "m");
    config.max_retries = 2;
    for _ in 0..3 {
        fake.push(Script::status(502, "<html><body>502 Bad Gateway</body></html>"));
    }
    fake.push(Script::reply(["never reached"]));
    let error = run(&config).await.0.unwrap_err();
    match &error {
        LlmError::ServerError { status, attempts, .. } => {
            assert_eq!(*status, 502);
            assert_eq!(*attempts, 3);
        }
        other => panic!("{other:?}"),
    }
    let message = error.to_string();
    assert!(message.contains("HTTP 502 after 3 attempt(s)"), "{message}");
    assert!(message.contains("502 Bad Gateway"), "{message}");
    assert!(message.contains("not JSON"), "{message}");
    assert_eq!(fake.requests().len(), 3);
}

#[tokio::test]
async fn server_error_then_success_and_overloaded_event_is_retried() {
    let fake = FakeProvider::start().await.unwrap();
    fake.push(Script::status(529, error_body(ProviderKind::Anthropic, "overloaded_error", "Overloaded")));
    fake.push(Script::StreamError { chunks_before: vec![], kind: "overloaded_error".into(), message: "Overloaded".into() });
    fake.push(Script::reply(["third time"]));
    let (result, deltas) = run(&fake.config(ProviderKind::Anthropic, "m")).await;
    let outcome = result.unwrap();
    assert_eq!(outcome.text, "third time");
    assert_eq!(outcome.attempts, 3);
    assert_eq!(deltas, ["third time"]);
}

#[tokio::test]
async fn stream_error_after_text_keeps_it_and_is_not_retried() {
    let fake = FakeProvider::start().await.unwrap();
    for provider in BOTH {
        fake.push(Script::StreamError {
            chunks_before: vec!["partial ".into(), "answer".into()],
            kind: "overloaded_error".into(),
            message: format!("Overloaded for key {CANARY}"),
        });
        fake.push(Script::reply(["must not be requested"]));
        let (result, deltas) = run(&fake.config(provider, "m")).await;
        let error = result.unwrap_err();
        assert_eq!(deltas, ["partial ", "answer"]);
        assert_eq!(error.partial(), "partial answer");
        assert!(matches!(error, LlmError::ProviderError { ref kind, .. } if kind == "overloaded_error"));
        assert!(error.to_string().contains("Overloaded for key [redacted]"), "{error}");
        assert_no_canary(&error);
        // Consume the unused reply so the next provider starts clean.
        let _ = run(&fake.config(provider, "m")).await;
    }
}

#[tokio::test]
async fn dropped_stream_keeps_the_partial_text() {
    let fake = FakeProvider::start().await.unwrap();
    for framing in [Framing::Chunked, Framing::CloseDelimited] {
        fake.set_framing(framing);
        for provider in BOTH {
            fake.push(Script::DropAfter { chunks: vec!["The answer ".into(), "is".into()] });
            let (result, deltas) = run(&fake.config(provider, "m")).await;
            let error = result.unwrap_err();
            assert!(matches!(error, LlmError::Dropped { .. }), "{framing:?} {provider:?}: {error:?}");
            // A trailing "s" could start the key ("sk-…"): it is held back until the end,
            // so the split of the deltas may differ, never the text.
            assert_eq!(deltas.concat(), "The answer is");
            assert_eq!(error.partial(), "The answer is");
            let message = error.to_string();
            assert!(message.contains("stopped in the middle"), "{message}");
            assert!(message.contains("13 character(s) received before were kept"), "{message}");
        }
    }
}

#[tokio::test]
async fn close_delimited_replies_complete_normally() {
    let fake = FakeProvider::start().await.unwrap();
    fake.set_framing(Framing::CloseDelimited);
    for provider in BOTH {
        fake.push(Script::reply(["a", "b"]));
        assert_eq!(run(&fake.config(provider, "m")).await.0.unwrap().text, "ab");
    }
}

#[tokio::test]
async fn malformed_event_is_named_and_partial_kept() {
    let fake = FakeProvider::start().await.unwrap();
    for provider in BOTH {
        fake.push(Script::Malformed { chunks_before: vec!["good ".into()] });
        let (result, deltas) = run(&fake.config(provider, "m")).await;
        let error = result.unwrap_err();
        assert_eq!(deltas, ["good "]);
        assert_eq!(error.partial(), "good ");
        let expected_event = match provider {
            ProviderKind::Anthropic => "content_block_delta",
            ProviderKind::OpenAi => "message",
        };
        match &error {
            LlmError::MalformedEvent { event, .. } => assert_eq!(event, expected_event),
            other => panic!("{other:?}"),
        }
        assert!(error.to_string().contains(&format!("malformed `{expected_event}` event")), "{error}");
    }
}

#[tokio::test]
async fn hang_times_out_waiting_for_the_response() {
    let fake = FakeProvider::start().await.unwrap();
    fake.push(Script::Hang);
    let mut config = fake.config(ProviderKind::OpenAi, "m");
    config.timeout = Duration::from_millis(300);
    let started = Instant::now();
    let error = run(&config).await.0.unwrap_err();
    assert!(started.elapsed() < Duration::from_secs(2), "{:?}", started.elapsed());
    assert!(matches!(error, LlmError::Timeout { phase: TimeoutPhase::WaitingForResponse, .. }), "{error:?}");
    assert_eq!(error.to_string(), "The OpenAI-compatible API did not answer within 300ms.");
    // A timeout is not retried.
    assert_eq!(fake.requests().len(), 1);
}

#[tokio::test]
async fn silence_mid_stream_times_out_with_partial() {
    let fake = FakeProvider::start().await.unwrap();
    fake.push(Script::StallAfter { chunks: vec!["so far".into()] });
    let mut config = fake.config(ProviderKind::Anthropic, "m");
    config.timeout = Duration::from_millis(300);
    let (result, deltas) = run(&config).await;
    let error = result.unwrap_err();
    assert_eq!(deltas, ["so far"]);
    assert!(matches!(error, LlmError::Timeout { phase: TimeoutPhase::BetweenEvents, .. }), "{error:?}");
    assert_eq!(error.partial(), "so far");
}

#[tokio::test]
async fn cancel_mid_stream_returns_promptly_with_partial() {
    let fake = FakeProvider::start().await.unwrap();
    for provider in BOTH {
        fake.push(Script::Reply { chunks: vec!["first".into(), "second".into()], delay_between: Duration::from_secs(10) });
        let cancel = CancellationToken::new();
        let canceller = cancel.clone();
        let started = Instant::now();
        let result = stream_chat(&fake.config(provider, "m"), &request(), &env_with_canary, &cancel, |_| {
            // Cancel from another task, as the server's cancel command does.
            let canceller = canceller.clone();
            tokio::spawn(async move {
                tokio::time::sleep(Duration::from_millis(50)).await;
                canceller.cancel();
            });
        })
        .await;
        assert!(started.elapsed() < Duration::from_secs(2), "{:?}", started.elapsed());
        let error = result.unwrap_err();
        assert!(error.is_cancelled());
        assert_eq!(error.partial(), "first");
    }
}

#[tokio::test]
async fn cancel_during_retry_wait_and_before_sending() {
    let fake = FakeProvider::start().await.unwrap();
    fake.push(Script::Status { code: 429, headers: vec![("retry-after".into(), "4".into())], body: String::new() });
    let cancel = CancellationToken::new();
    let canceller = cancel.clone();
    tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(200)).await;
        canceller.cancel();
    });
    let started = Instant::now();
    let error = stream_chat(&fake.config(ProviderKind::OpenAi, "m"), &request(), &env_with_canary, &cancel, |_| {}).await.unwrap_err();
    assert!(error.is_cancelled(), "{error:?}");
    assert!(started.elapsed() < Duration::from_secs(2));

    let already = CancellationToken::new();
    already.cancel();
    let error = complete(&fake.config(ProviderKind::OpenAi, "m"), &request(), &env_with_canary, &already).await.unwrap_err();
    assert!(error.is_cancelled());
    assert_eq!(error.to_string(), "The reply was cancelled.");
}

#[tokio::test]
async fn missing_key_names_the_variable_before_any_request() {
    for provider in BOTH {
        // Default hosted base URL: a key is required, and nothing is sent without it.
        let config = LlmConfig::new(provider, "m");
        let error = stream_chat(&config, &request(), &|_| None, &CancellationToken::new(), |_| {}).await.unwrap_err();
        let var = provider.default_api_key_env();
        assert!(matches!(&error, LlmError::KeyMissing { var: v, .. } if v == var), "{error:?}");
        assert!(error.to_string().starts_with(&format!("The environment variable {var} is not set")));
    }
    let mut config = LlmConfig::new(ProviderKind::OpenAi, "m");
    config.base_url = Some("https://openrouter.ai/api/v1".into());
    config.api_key_env = Some("OPENROUTER_API_KEY".into());
    let error = LlmClient::new(&config, &env_with_canary).unwrap_err();
    assert!(error.to_string().contains("OPENROUTER_API_KEY"), "{error}");
}

#[tokio::test]
async fn loopback_without_a_key_sends_no_auth_header() {
    let fake = FakeProvider::start().await.unwrap();
    for provider in BOTH {
        fake.push(Script::reply(["local"]));
        let config = fake.config(provider, "llama");
        let outcome = stream_chat(&config, &request(), &|_| None, &CancellationToken::new(), |_| {}).await.unwrap();
        assert_eq!(outcome.text, "local");
    }
    // An explicit empty `api_key_env` sends no key even when the variable is set.
    fake.push(Script::reply(["keyless"]));
    let mut config = fake.config(ProviderKind::OpenAi, "llama");
    config.api_key_env = Some(String::new());
    run(&config).await.0.unwrap();
    for sent in fake.requests() {
        assert_eq!(sent.header("authorization"), None);
        assert_eq!(sent.header("x-api-key"), None);
    }
    // A local server that wants a key anyway gets a message that says none was sent.
    fake.expect_key("local-key");
    let error = stream_chat(&fake.config(ProviderKind::OpenAi, "llama"), &request(), &|_| None, &CancellationToken::new(), |_| {}).await.unwrap_err();
    assert!(error.to_string().contains("no API key was sent"), "{error}");
}

#[tokio::test]
async fn other_http_errors_and_odd_responses() {
    let fake = FakeProvider::start().await.unwrap();
    // 400 with the provider's JSON error: not retried, message quoted.
    fake.push(Script::status(400, error_body(ProviderKind::OpenAi, "invalid_request_error", "model `nope` does not exist")));
    let error = run(&fake.config(ProviderKind::OpenAi, "nope")).await.0.unwrap_err();
    assert!(matches!(error, LlmError::Rejected { status: 400, .. }), "{error:?}");
    assert!(error.to_string().contains("model `nope` does not exist"), "{error}");
    assert!(error.to_string().contains("/v1/chat/completions"), "{error}");

    // A wrong base path on a real server: 404 with a plain-text body.
    fake.push(Script::status(404, "404 page not found"));
    let error = run(&fake.config(ProviderKind::OpenAi, "m")).await.0.unwrap_err();
    assert!(matches!(error, LlmError::Rejected { status: 404, .. }), "{error:?}");
    assert!(error.to_string().contains("«404 page not found» (the response was not JSON)"), "{error}");

    // 200 with a JSON error instead of a stream.
    fake.push(Script::Status { code: 200, headers: vec![], body: r#"{"error":"model 'llama9' not found, try pulling it first"}"#.into() });
    let error = run(&fake.config(ProviderKind::OpenAi, "llama9")).await.0.unwrap_err();
    assert!(matches!(error, LlmError::ProviderError { .. }), "{error:?}");
    assert!(error.to_string().contains("try pulling it first"), "{error}");

    // 200 with HTML.
    fake.push(Script::Status { code: 200, headers: vec![("content-type".into(), "text/html".into())], body: "<html>login page</html>".into() });
    let error = run(&fake.config(ProviderKind::Anthropic, "m")).await.0.unwrap_err();
    assert!(matches!(error, LlmError::UnexpectedResponse { .. }), "{error:?}");
    assert!(error.to_string().contains("text/html"), "{error}");

    // Garbage that is not HTTP at all.
    fake.push(Script::Raw { bytes: b"SSH-2.0-OpenSSH_9.6\r\n".to_vec() });
    let error = run(&fake.config(ProviderKind::Anthropic, "m")).await.0.unwrap_err();
    assert!(matches!(error, LlmError::Connect { .. }), "{error:?}");
}

#[tokio::test]
async fn nothing_listening_is_a_connect_error_naming_the_endpoint() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    drop(listener);
    let mut config = LlmConfig::new(ProviderKind::OpenAi, "m");
    config.base_url = Some(format!("http://{addr}/v1"));
    let error = run(&config).await.0.unwrap_err();
    assert!(matches!(error, LlmError::Connect { .. }), "{error:?}");
    let message = error.to_string();
    assert!(message.contains(&format!("http://{addr}/v1/chat/completions")), "{message}");
}

#[tokio::test]
async fn empty_conversation_is_refused_without_a_request() {
    let fake = FakeProvider::start().await.unwrap();
    let config = fake.config(ProviderKind::OpenAi, "m");
    let error = stream_chat(&config, &ChatRequest::new("sys", vec![]), &env_with_canary, &CancellationToken::new(), |_| {}).await.unwrap_err();
    assert!(matches!(error, LlmError::EmptyConversation), "{error:?}");
    assert!(error.to_string().contains("no messages"), "{error}");
    assert!(fake.requests().is_empty());
}

#[tokio::test]
async fn the_key_appears_in_no_error_debug_or_message() {
    let fake = FakeProvider::start().await.unwrap();
    let mut errors = Vec::new();
    for provider in BOTH {
        let config = fake.config(provider, "m");
        let echo = format!("bad key {CANARY} (prefix {}) masked sk-can***6c0e", &CANARY[..12]);
        let scripts = [
            Script::status(401, error_body(provider, "authentication_error", &echo)),
            Script::status(400, error_body(provider, "invalid_request_error", &echo)),
            Script::status(500, format!("<pre>{echo}</pre>")),
            Script::status(500, format!("<pre>{echo}</pre>")),
            Script::status(500, format!("<pre>{echo}</pre>")),
            Script::status(500, format!("<pre>{echo}</pre>")),
            Script::StreamError { chunks_before: vec!["x".into()], kind: "api_error".into(), message: echo.clone() },
            Script::Malformed { chunks_before: vec![] },
            Script::DropAfter { chunks: vec![] },
        ];
        for script in scripts {
            fake.push(script);
        }
        for _ in 0..6 {
            errors.push(run(&config).await.0.unwrap_err());
        }
        let client = LlmClient::new(&config, &env_with_canary).unwrap();
        let debug = format!("{client:?}");
        assert!(!debug.contains(CANARY), "{debug}");
        assert!(debug.contains(provider.default_api_key_env()), "{debug}");
    }
    assert_eq!(errors.len(), 12);
    // The echoes did reach the messages, scrubbed.
    assert!(errors.iter().any(|e| e.to_string().contains("bad key [redacted]")));
    for error in &errors {
        assert_no_canary(error);
    }
    let config = fake.config(ProviderKind::Anthropic, "m");
    assert!(!format!("{config:?}").contains(CANARY));
}

/// A proxy echoing headers, a provider quoting the request: the key never reaches the
/// caller's deltas, the outcome, or any error, even split across deltas.
#[tokio::test]
async fn the_key_is_removed_from_replies_malformed_events_and_error_kinds() {
    let fake = FakeProvider::start().await.unwrap();
    let (head, tail) = CANARY.split_at(9);
    for provider in BOTH {
        fake.push(Script::reply([format!("your key is {head}"), format!("{tail}, right?")]));
        let (result, deltas) = run(&fake.config(provider, "m")).await;
        let outcome = result.unwrap();
        assert_eq!(deltas.concat(), "your key is [redacted], right?", "{provider:?}");
        assert_eq!(outcome.text, "your key is [redacted], right?");
        // Text that only looks like the key's start is passed on once it cannot be it.
        fake.push(Script::reply(["sk-", "canary and more"]));
        let (result, deltas) = run(&fake.config(provider, "m")).await;
        assert_eq!(result.unwrap().text, "sk-canary and more");
        assert_eq!(deltas.concat(), "sk-canary and more");
        // An in-stream error whose type is the key.
        fake.push(Script::StreamError { chunks_before: vec![format!("a {CANARY} b")], kind: CANARY.into(), message: "boom".into() });
        let (result, deltas) = run(&fake.config(provider, "m")).await;
        let error = result.unwrap_err();
        assert_no_canary(&error);
        assert!(!deltas.concat().contains(CANARY) && !error.partial().contains(CANARY), "{deltas:?}");
        let _ = run(&fake.config(provider, "m")).await;
    }
    // A malformed event quoting the key.
    let event = format!("event: content_block_delta\ndata: {{\"type\":\"content_block_delta\",\"delta\":{{\"text\": {CANARY}}}}}\n\n");
    let raw = format!("HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\ncontent-length: {}\r\n\r\n{event}", event.len());
    fake.push(Script::Raw { bytes: raw.into_bytes() });
    let (result, _) = run(&fake.config(ProviderKind::Anthropic, "m")).await;
    let error = result.unwrap_err();
    assert!(matches!(error, LlmError::MalformedEvent { .. }), "{error:?}");
    assert_no_canary(&error);
}
