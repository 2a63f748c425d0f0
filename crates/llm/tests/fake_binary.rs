//! The `llmos-fake-llm` binary as other crates' tests use it: start on port 0,
//! read the `listening on` line, stream a reply to our client, then stop it.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

use llmos_llm::{CancellationToken, ChatMessage, ChatRequest, LlmConfig, ProviderKind, stream_chat};

struct KillOnDrop(std::process::Child);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn start_fake(args: &[&str]) -> (KillOnDrop, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_llmos-fake-llm")).args(args).stdout(Stdio::piped()).spawn().unwrap();
    let stdout = child.stdout.take().unwrap();
    let mut line = String::new();
    BufReader::new(stdout).read_line(&mut line).unwrap();
    let addr = line.trim().strip_prefix("listening on ").unwrap_or_else(|| panic!("unexpected first line {line:?}")).to_string();
    assert!(addr.starts_with("127.0.0.1:"), "{addr}");
    (KillOnDrop(child), addr)
}

#[tokio::test]
async fn binary_streams_the_scripted_reply_in_several_deltas() {
    let (_child, addr) = start_fake(&["--provider", "openai", "--reply", "Hello from the fake binary", "--chunks", "3", "--exit-after", "60"]);
    for (provider, base) in [(ProviderKind::OpenAi, format!("http://{addr}/v1")), (ProviderKind::Anthropic, format!("http://{addr}"))] {
        let mut config = LlmConfig::new(provider, "fake-model");
        config.base_url = Some(base);
        let mut deltas = Vec::new();
        let outcome = stream_chat(&config, &ChatRequest::new("sys", vec![ChatMessage::user("hi")]), &|_| None, &CancellationToken::new(), |delta| {
            deltas.push(delta.to_string())
        })
        .await
        .unwrap();
        assert_eq!(outcome.text, "Hello from the fake binary");
        assert_eq!(deltas.len(), 3, "{deltas:?}");
    }
}

#[tokio::test]
async fn binary_status_mode_and_bad_arguments() {
    let (_child, addr) = start_fake(&["--status", "503", "--body", "<html>down</html>"]);
    let mut config = LlmConfig::new(ProviderKind::OpenAi, "m");
    config.base_url = Some(format!("http://{addr}/v1"));
    config.max_retries = 0;
    let error = stream_chat(&config, &ChatRequest::new("", vec![ChatMessage::user("hi")]), &|_| None, &CancellationToken::new(), |_| {}).await.unwrap_err();
    assert!(error.to_string().contains("HTTP 503"), "{error}");
    assert!(error.to_string().contains("<html>down</html>"), "{error}");

    let output = Command::new(env!("CARGO_BIN_EXE_llmos-fake-llm")).args(["--framing", "sideways"]).output().unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("--framing"));
}

/// Sync tests (e.g. ones that run the `llmos` binary) host the fake on its own
/// thread; it records requests and logs them as JSON lines.
#[test]
fn fake_in_its_own_thread_serves_blocking_tests() {
    let fake = llmos_llm::testing::FakeProvider::start_in_thread().unwrap();
    let log = std::env::temp_dir().join(format!("llmos-fake-log-{}.jsonl", std::process::id()));
    let _ = std::fs::remove_file(&log);
    fake.set_request_log(&log);
    fake.push(llmos_llm::testing::Script::reply(["from ", "a thread"]));
    let config = fake.config(ProviderKind::Anthropic, "m");
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let text =
        runtime.block_on(llmos_llm::complete(&config, &ChatRequest::new("", vec![ChatMessage::user("hi")]), &|_| None, &CancellationToken::new())).unwrap();
    assert_eq!(text, "from a thread");
    assert_eq!(fake.requests().len(), 1);
    let logged = std::fs::read_to_string(&log).unwrap();
    let line: serde_json::Value = serde_json::from_str(logged.lines().next().unwrap()).unwrap();
    assert_eq!(line["path"], "/v1/messages");
    assert_eq!(line["body"]["model"], "m");
    let _ = std::fs::remove_file(&log);
}
