//! Commits report `$/progress` like replies and evolution runs do: a begin, then an end
//! that names the commit made, or says the commit failed.

use serde_json::{Value, json};

use crate::harness::{Options, TestServer};

const WS: &str = "//- volumes/user/sessions/s.md\n---\ntitle: S\nid: s\nstatus: uncommitted\ncommit: null\n---\n\n<!-- turn: user -->\nHello.\n//- volumes/user/notes.md\nnot a session\n";

/// The `$/progress` values of the commit tokens seen so far, in order.
fn commit_progress(s: &TestServer) -> Vec<(String, Value)> {
    s.seen
        .lock()
        .unwrap()
        .iter()
        .filter(|m| m["method"] == "$/progress" && m["params"]["token"].as_str().is_some_and(|t| t.starts_with("llmos-command-")))
        .map(|m| (m["params"]["token"].as_str().unwrap_or_default().to_string(), m["params"]["value"].clone()))
        .collect()
}

#[tokio::test]
async fn a_commit_begins_and_ends_progress_with_its_sha() {
    let s = TestServer::start_with(WS, Options { git_volumes: vec!["user"], ..Options::default() }).await;
    let uri = s.open("volumes/user/sessions/s.md").await;
    let r = s.call("workspace/executeCommand", json!({ "command": "llmos.session.commit", "arguments": [{ "uri": uri }] })).await;
    let short = r["short"].as_str().expect("a short sha").to_string();
    let seen = commit_progress(&s);
    assert_eq!(seen.len(), 2, "{seen:?}");
    assert_eq!(seen[0].0, seen[1].0, "begin and end on one token: {seen:?}");
    assert_eq!((seen[0].1["kind"].as_str(), seen[0].1["title"].as_str()), (Some("begin"), Some("Committing session")), "{seen:?}");
    assert_eq!(seen[1].1, json!({ "kind": "end", "message": format!("committed {short}") }));

    // A file that is not a session: the command fails and the progress still ends.
    let notes = s.open("volumes/user/notes.md").await;
    let bad = s.request("workspace/executeCommand", json!({ "command": "llmos.session.commit", "arguments": [{ "uri": notes }] })).await;
    assert!(bad.get("error").is_some(), "{bad}");
    let seen = commit_progress(&s);
    assert_eq!(seen.len(), 4, "{seen:?}");
    assert_eq!(seen[3].1, json!({ "kind": "end", "message": "failed" }));
    assert_eq!(seen[2].0, seen[3].0);
}
