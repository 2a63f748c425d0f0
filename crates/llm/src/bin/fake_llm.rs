//! `llmos-fake-llm`: the loopback fake provider as a process, for tests that are
//! not written in Rust or that run the `llmos` binary (CLI tests, the Neovim test).
//! It answers every request with one scripted reply, in the wire format the request
//! path asks for, and prints `listening on 127.0.0.1:PORT` once it accepts.
//!
//! ```text
//! llmos-fake-llm [--port N] [--provider anthropic|openai] [--reply TEXT] [--chunks N]
//!                [--delay-ms N] [--status CODE [--body TEXT]] [--expect-key-env VAR]
//!                [--requests-log FILE] [--framing chunked|close] [--exit-after SECS]
//!                [--cut-first TEXT]
//! `--cut-first TEXT`: the first request gets TEXT, stopped at the token limit
//! (`max_tokens` / `length`); later ones get `--reply`.
//! ```

use std::io::Write as _;
use std::process::ExitCode;
use std::time::Duration;

use llmos_llm::ProviderKind;
use llmos_llm::testing::{FakeProvider, Framing, Script, split_into_deltas};

const USAGE: &str = "usage: llmos-fake-llm [--port N] [--provider anthropic|openai] [--reply TEXT] \
[--chunks N] [--delay-ms N] [--status CODE [--body TEXT]] [--expect-key-env VAR] \
[--requests-log FILE] [--framing chunked|close] [--exit-after SECS] [--cut-first TEXT]";

struct Options {
    port: u16,
    provider: Option<ProviderKind>,
    reply: String,
    chunks: usize,
    delay: Duration,
    status: Option<u16>,
    body: String,
    expect_key_env: Option<String>,
    requests_log: Option<String>,
    framing: Framing,
    exit_after: Option<Duration>,
    cut_first: Option<String>,
}

fn parse_options(mut args: impl Iterator<Item = String>) -> Result<Options, String> {
    let mut options = Options {
        port: 0,
        provider: None,
        reply: "Hello from the fake LLM.".to_string(),
        chunks: 4,
        delay: Duration::ZERO,
        status: None,
        body: String::new(),
        expect_key_env: None,
        requests_log: None,
        framing: Framing::Chunked,
        exit_after: None,
        cut_first: None,
    };
    while let Some(flag) = args.next() {
        if flag == "--help" || flag == "-h" {
            return Err(USAGE.to_string());
        }
        let value = args.next().ok_or_else(|| format!("{flag} needs a value\n{USAGE}"))?;
        let number = |what: &str| value.parse::<u64>().map_err(|_| format!("{flag} expects {what}, got {value:?}"));
        match flag.as_str() {
            "--port" => {
                options.port = u16::try_from(number("a port")?).map_err(|_| format!("bad port {value}"))?;
            }
            "--provider" => {
                options.provider = Some(value.parse().map_err(|e| format!("{e}"))?);
            }
            "--reply" => options.reply = value,
            "--chunks" => options.chunks = usize::try_from(number("a count")?).unwrap_or(1),
            "--delay-ms" => options.delay = Duration::from_millis(number("milliseconds")?),
            "--status" => {
                options.status = Some(u16::try_from(number("an HTTP status")?).map_err(|_| format!("bad status {value}"))?);
            }
            "--body" => options.body = value,
            "--cut-first" => options.cut_first = Some(value),
            "--expect-key-env" => options.expect_key_env = Some(value),
            "--requests-log" => options.requests_log = Some(value),
            "--framing" => {
                options.framing = match value.as_str() {
                    "chunked" => Framing::Chunked,
                    "close" => Framing::CloseDelimited,
                    _ => return Err(format!("--framing is chunked or close, got {value:?}")),
                };
            }
            "--exit-after" => options.exit_after = Some(Duration::from_secs(number("seconds")?)),
            _ => return Err(format!("unknown option {flag}\n{USAGE}")),
        }
    }
    Ok(options)
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    let options = match parse_options(std::env::args().skip(1)) {
        Ok(options) => options,
        Err(message) => {
            eprintln!("{message}");
            return ExitCode::from(2);
        }
    };
    let fake = match FakeProvider::start_on(options.port).await {
        Ok(fake) => fake,
        Err(error) => {
            eprintln!("llmos-fake-llm: cannot listen on 127.0.0.1:{}: {error}", options.port);
            return ExitCode::from(1);
        }
    };
    let script = match options.status {
        Some(code) => Script::status(code, options.body.clone()),
        None => Script::Reply { chunks: split_into_deltas(&options.reply, options.chunks), delay_between: options.delay },
    };
    fake.set_default(script);
    if let Some(text) = &options.cut_first {
        fake.push(Script::TokenLimit { chunks: split_into_deltas(text, options.chunks) });
    }
    fake.set_framing(options.framing);
    if let Some(var) = &options.expect_key_env {
        match std::env::var(var) {
            Ok(key) => fake.expect_key(key),
            Err(_) => {
                eprintln!("llmos-fake-llm: --expect-key-env {var}: the variable is not set");
                return ExitCode::from(2);
            }
        }
    }
    if let Some(path) = &options.requests_log {
        fake.set_request_log(path);
    }
    // One write, errors ignored: the parent may read the first line and close the
    // pipe, which must not take the fake down.
    let mut banner = format!("listening on {}\n", fake.addr());
    if let Some(provider) = options.provider {
        banner.push_str(&format!("base_url {}\n", fake.base_url(provider)));
    }
    let mut stdout = std::io::stdout();
    let _ = stdout.write_all(banner.as_bytes());
    let _ = stdout.flush();
    match options.exit_after {
        Some(limit) => tokio::select! {
            _ = tokio::signal::ctrl_c() => {}
            () = tokio::time::sleep(limit) => {}
        },
        None => {
            let _ = tokio::signal::ctrl_c().await;
        }
    }
    ExitCode::SUCCESS
}
