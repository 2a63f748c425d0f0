//! Recorded token usage in the editor: the hover on a turn marker and the session's
//! code lens show the totals, priced when `llmos.toml` has a price table.

use serde_json::{Value, json};

use crate::harness::TestServer;

const SESSION: &str = "//- volumes/user/sessions/u.md\n---\ntitle: U\nid: u\n---\n<!-- turn: user -->\nhi\n\n\
<!-- turn: assistant model=claude-sonnet-4-5-20250929 tokens=1834/412 cache=1000/200 -->\nhello\n\n<!-- turn: user -->\nmore\n\n\
<!-- turn: assi$0stant model=claude-sonnet-4-5 tokens=200/100 -->\nsure\n\n<!-- turn: user -->\n\n";

const PRICES: &str = "//- llmos.toml\n[prices.\"claude-sonnet-4-5\"]\ninput = 3\noutput = 15\ncache_read = 0.3\ncache_write = 3.75\n";

async fn lens_titles(s: &TestServer, uri: &str) -> Vec<String> {
    let lenses = s.call("textDocument/codeLens", json!({ "textDocument": { "uri": uri } })).await;
    lenses.as_array().unwrap().iter().map(|l| l["command"]["title"].as_str().unwrap().to_string()).collect()
}

async fn hover(s: &TestServer) -> String {
    let h: Value = s.call("textDocument/hover", s.at_cursor()).await;
    h["contents"]["value"].as_str().unwrap_or_default().to_string()
}

#[tokio::test]
async fn hover_and_lens_show_session_totals_and_cost() {
    let s = TestServer::start(&format!("{PRICES}{SESSION}")).await;
    let uri = s.open("volumes/user/sessions/u.md").await;
    // Worked out by hand, USD per million: reply 1 = 634 uncached × 3 + 1000 cache
    // reads × 0.3 + 200 cache writes × 3.75 + 412 out × 15 = 9132 µ$; reply 2 = 200 × 3
    // + 100 × 15 = 2100 µ$; the session 11232 µ$. The dated model id takes the price
    // of its undated prefix.
    let h = hover(&s).await;
    assert!(h.contains("**This reply:** 200 in / 100 out tokens · $0.0021"), "{h}");
    assert!(h.contains("**Session:** 2,034 in / 512 out tokens (1,000 cached, 200 written to cache) over 2 replies · $0.0112"), "{h}");
    assert_eq!(lens_titles(&s, &uri).await, ["Send", "2,034 in / 512 out tokens · $0.0112", "Commit session"]);
}

#[tokio::test]
async fn without_prices_only_tokens() {
    let s = TestServer::start(&format!("//- llmos.toml\n{SESSION}")).await;
    let uri = s.open("volumes/user/sessions/u.md").await;
    let h = hover(&s).await;
    assert!(h.contains("**Session:** 2,034 in / 512 out tokens (1,000 cached, 200 written to cache) over 2 replies") && !h.contains('$'), "{h}");
    assert!(lens_titles(&s, &uri).await.contains(&"2,034 in / 512 out tokens".to_string()));
    // a session without recorded usage has no usage lens
    let plain = s.open_text("volumes/user/sessions/p.md", "---\ntitle: P\nid: p\n---\n<!-- turn: user -->\nhi\n").await;
    assert_eq!(lens_titles(&s, &plain).await, ["Send", "Commit session"]);
}

#[test]
fn commit_stats_and_history_count_the_tokens() {
    let dir = tempfile::tempdir().unwrap();
    let llmos = |args: &[&str]| std::process::Command::new(env!("CARGO_BIN_EXE_llmos")).args(args).current_dir(dir.path().join("ws")).output().unwrap();
    assert!(std::process::Command::new(env!("CARGO_BIN_EXE_llmos")).args(["init", "ws"]).current_dir(dir.path()).output().unwrap().status.success());
    let volume = dir.path().join("ws/volumes/user");
    for (k, v) in [("user.name", "Ada"), ("user.email", "ada@example.com")] {
        assert!(std::process::Command::new("git").args(["config", k, v]).current_dir(&volume).status().unwrap().success());
    }
    let text = SESSION.split_once('\n').unwrap().1.replace("$0", "");
    std::fs::write(volume.join("sessions/u.md"), text).unwrap();
    let out = llmos(&["commit", "volumes/user/sessions/u.md"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let log = std::process::Command::new("git").args(["log", "-1", "--format=%B"]).current_dir(&volume).output().unwrap();
    // 1834 + 200 in, 412 + 100 out
    assert!(String::from_utf8_lossy(&log.stdout).contains("\n- 2034 tokens in, 512 tokens out\n"), "{}", String::from_utf8_lossy(&log.stdout));
    let history: Vec<Value> = serde_json::from_slice(&llmos(&["history", "--format", "json"]).stdout).unwrap();
    assert_eq!(history[0]["tokens"], json!({"input": 2034, "output": 512}));
}
