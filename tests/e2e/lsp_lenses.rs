//! The session's Send lens turns into Cancel for as long as a reply streams — also once
//! the reply's first words made the assistant's turn the last one — and back after it.

use std::time::Duration;

use llmos_llm::ProviderKind;
use llmos_llm::testing::{FakeProvider, Script};
use serde_json::{Value, json};

use crate::harness::TestServer;

/// The chat lenses (Send / Cancel): line, title, command.
async fn lenses(s: &TestServer, uri: &str) -> Vec<(u64, String, String)> {
    let r = s.call("textDocument/codeLens", json!({ "textDocument": { "uri": uri } })).await;
    r.as_array()
        .map(|a| {
            a.iter()
                .map(|l| {
                    (
                        l["range"]["start"]["line"].as_u64().unwrap_or(u64::MAX),
                        l["command"]["title"].as_str().unwrap_or_default().to_string(),
                        l["command"]["command"].as_str().unwrap_or_default().to_string(),
                    )
                })
                .filter(|l: &(u64, String, String)| l.2.starts_with("llmos.chat."))
                .collect()
        })
        .unwrap_or_default()
}

/// The 0-based line of the last line of `text` that starts with `prefix`.
fn last_line(text: &str, prefix: &str) -> u64 {
    text.lines().enumerate().filter(|(_, l)| l.starts_with(prefix)).map(|(i, _)| i as u64).last().expect(prefix)
}

#[tokio::test]
async fn cancel_is_offered_while_the_reply_streams() {
    let fake = FakeProvider::start().await.unwrap();
    fake.push(Script::Reply { chunks: (0..20).map(|i| format!("w{i:02} ")).collect(), delay_between: Duration::from_millis(100) });
    let fixture = format!(
        "//- llmos.toml\n[llm]\nprovider = \"openai\"\nmodel = \"m\"\nbase_url = \"{}\"\napi_key_env = \"\"\n//- volumes/user/sessions/c.md\n---\ntitle: C\nid: c\nstatus: uncommitted\ncommit: null\n---\n\n<!-- turn: user -->\nCount.\n",
        fake.base_url(ProviderKind::OpenAi)
    );
    let s = TestServer::start(&fixture).await;
    let uri = s.open("volumes/user/sessions/c.md").await;
    let send_line = last_line(&s.text(&uri), "<!-- turn: user");
    assert_eq!(lenses(&s, &uri).await, vec![(send_line, "Send".to_string(), "llmos.chat.send".to_string())]);

    let r: Value = s.call("workspace/executeCommand", json!({ "command": "llmos.chat.send", "arguments": [{ "uri": uri }] })).await;
    assert_eq!(r["started"], true, "{r}");
    // Some words in, the reply still running: the assistant's turn is last.
    let mut text = s.text(&uri);
    for _ in 0..400 {
        if text.contains("w02") {
            break;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
        text = s.text(&uri);
    }
    assert!(text.contains("w02") && !text.contains("w19"), "{text}");
    let assistant = last_line(&text, "<!-- turn: assistant");
    assert_eq!(lenses(&s, &uri).await, vec![(assistant, "Receiving reply… · Cancel".to_string(), "llmos.chat.cancel".to_string())]);

    for _ in 0..1000 {
        text = s.text(&uri);
        if text.contains("w19") && text.trim_end().ends_with("<!-- turn: user -->") {
            break;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    // The job ends just after its last edit lands.
    let mut after = Vec::new();
    for _ in 0..200 {
        after = lenses(&s, &uri).await;
        if after.iter().any(|l| l.1 == "Send") {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let send = after.iter().find(|l| l.1 == "Send").unwrap_or_else(|| panic!("no Send lens after the reply: {after:?}"));
    assert_eq!(send.0, last_line(&s.text(&uri), "<!-- turn: user"), "{after:?}");
    assert!(!after.iter().any(|l| l.1.contains("Cancel")), "{after:?}");
}
