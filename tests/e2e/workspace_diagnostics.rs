//! Workspace-wide diagnostics: `workspace/diagnostic` for a pulling client (closed files'
//! problems reported, a fixed file cleared, unchanged files said to be unchanged, a held
//! pull answered when something changes, the `openFiles` scope), and closed-file pushes
//! for a client that does not pull but asks for the workspace scope.

use std::collections::HashMap;
use std::time::Duration;

use serde_json::{Value, json};

use crate::harness::{Options, TestServer, uri_of};

const WS: &str = "//- llmos.toml
//- volumes/user/skills/good/SKILL.md
---
name: good
description: Does good things. Use when things need doing.
---
# Good
//- volumes/user/skills/bad-folder/SKILL.md
---
name: Bad_Name
description: Does bad things. Use when testing.
---
# Bad
//- volumes/user/sessions/pins.md
---
title: Pins
id: pins
skills: [good]
---
<!-- turn: user -->
hi
//- volumes/user/sessions/robot.md
---
title: Robot
id: robot
---
<!-- turn: user -->
hi
<!-- turn: robot -->
beep
";

const FIXED_SKILL: &str = "---\nname: bad-folder\ndescription: Does fixed things. Use when testing.\n---\n# Fixed\n";

fn pulling(init: Value) -> Options {
    let mut o = Options { init_options: init, ..Options::default() };
    o.capabilities["textDocument"]["diagnostic"] = json!({ "dynamicRegistration": false });
    o.capabilities["workspace"]["diagnostics"] = json!({ "refreshSupport": true });
    o
}

/// uri → (kind, result id, codes, version) of a workspace report.
fn by_uri(report: &Value) -> HashMap<String, (String, String, Vec<String>, Value)> {
    report["items"]
        .as_array()
        .unwrap_or_else(|| panic!("not a workspace report: {report}"))
        .iter()
        .map(|i| {
            let codes = i["items"].as_array().map(|a| a.iter().map(|d| d["code"].as_str().unwrap_or_default().to_string()).collect()).unwrap_or_default();
            (
                i["uri"].as_str().unwrap().to_string(),
                (i["kind"].as_str().unwrap().to_string(), i["resultId"].as_str().unwrap().to_string(), codes, i["version"].clone()),
            )
        })
        .collect()
}

/// The `previousResultIds` a client sends after receiving `reports`.
fn previous(reports: &[&Value]) -> Value {
    let mut ids = HashMap::new();
    for r in reports {
        for (uri, (_, id, _, _)) in by_uri(r) {
            ids.insert(uri, id);
        }
    }
    Value::Array(ids.into_iter().map(|(uri, value)| json!({ "uri": uri, "value": value })).collect())
}

async fn pull(s: &TestServer, previous: Value) -> Value {
    s.call("workspace/diagnostic", json!({ "identifier": "llmos", "previousResultIds": previous })).await
}

async fn file_event(s: &TestServer, rel: &str, typ: u32) {
    s.notify("workspace/didChangeWatchedFiles", json!({ "changes": [{ "uri": uri_of(&s.path(rel)), "type": typ }] })).await;
}

#[tokio::test]
async fn closed_files_are_reported_fixed_ones_cleared_and_unchanged_ones_said_so() {
    let s = TestServer::start_with(WS, pulling(json!({ "debounceMs": 0, "scheduler": false }))).await;
    let (bad, robot, pins, good) = (
        s.uri("volumes/user/skills/bad-folder/SKILL.md"),
        s.uri("volumes/user/sessions/robot.md"),
        s.uri("volumes/user/sessions/pins.md"),
        s.uri("volumes/user/skills/good/SKILL.md"),
    );

    // Nothing is open: the closed files with problems are reported, the clean ones not.
    let first = pull(&s, json!([])).await;
    let got = by_uri(&first);
    assert_eq!(got[&bad].0, "full");
    assert!(got[&bad].2.contains(&"skill/name-format".to_string()), "{first}");
    assert_eq!(got[&robot].0, "full");
    assert!(!got[&robot].2.is_empty(), "{first}");
    assert!(!got.contains_key(&pins) && !got.contains_key(&good), "clean files are not listed: {first}");
    assert_eq!(got[&bad].3, Value::Null, "a closed file has no version");

    // The client asks again with what it has: nothing changed, so the pull is held until
    // the skill is fixed on disk; then the fixed file is cleared and the other is unchanged.
    let fixed_at = std::sync::Mutex::new(None);
    let (second, ()) = tokio::join!(pull(&s, previous(&[&first])), async {
        tokio::time::sleep(Duration::from_millis(400)).await;
        std::fs::write(s.path("volumes/user/skills/bad-folder/SKILL.md"), FIXED_SKILL).unwrap();
        *fixed_at.lock().unwrap() = Some(std::time::Instant::now());
        file_event(&s, "volumes/user/skills/bad-folder/SKILL.md", 2).await;
    });
    assert!(fixed_at.lock().unwrap().is_some());
    let got = by_uri(&second);
    assert_eq!(got[&bad].0, "full", "{second}");
    assert!(got[&bad].2.is_empty(), "the fixed file is cleared: {second}");
    assert_eq!(got[&robot].0, "unchanged", "{second}");
    assert_eq!(got[&robot].1, by_uri(&first)[&robot].1, "same result id for the same problems");

    // A cross-file change reaches a closed file: deleting the pinned skill makes `pins`
    // report an unknown skill; the cleared file is not mentioned again.
    let dir = s.path("volumes/user/skills/good");
    std::fs::remove_dir_all(&dir).unwrap();
    s.notify(
        "workspace/didChangeWatchedFiles",
        json!({ "changes": [{ "uri": uri_of(&dir.join("SKILL.md")), "type": 3 }, { "uri": uri_of(&dir), "type": 3 }] }),
    )
    .await;
    let third = pull(&s, previous(&[&first, &second])).await;
    let got = by_uri(&third);
    assert_eq!(got[&pins].0, "full", "{third}");
    assert_eq!(got[&pins].2, ["session/unknown-skill"], "{third}");
    assert!(!got.contains_key(&bad), "a file reported clean is not repeated: {third}");
    assert_eq!(got[&robot].0, "unchanged", "{third}");
}

#[tokio::test]
async fn an_open_document_is_reported_from_its_buffer_with_its_version() {
    let s = TestServer::start_with(WS, pulling(json!({ "debounceMs": 0, "scheduler": false }))).await;
    let bad = s.open("volumes/user/skills/bad-folder/SKILL.md").await;
    let first = pull(&s, json!([])).await;
    let got = by_uri(&first);
    assert_eq!(got[&bad].3, json!(1), "{first}");
    assert!(got[&bad].2.contains(&"skill/name-format".to_string()));
    // Fixed in the buffer only: the disk still has the bad name, the report follows the buffer.
    let text = s.text(&bad);
    let at = text.find("Bad_Name").unwrap();
    s.edit(&bad, at..at + "Bad_Name".len(), "bad-folder").await;
    let second = pull(&s, previous(&[&first])).await;
    let got = by_uri(&second);
    assert_eq!(got[&bad].0, "full", "{second}");
    assert!(got[&bad].2.is_empty(), "{second}");
    assert_eq!(got[&bad].3, json!(2), "the buffer's version: {second}");
}

#[tokio::test]
async fn the_open_files_scope_leaves_closed_files_out_and_clears_them() {
    let s = TestServer::start_with(WS, pulling(json!({ "debounceMs": 0, "scheduler": false, "diagnostics": { "scope": "openFiles" } }))).await;
    let robot = s.open("volumes/user/sessions/robot.md").await;
    let bad = s.uri("volumes/user/skills/bad-folder/SKILL.md");
    let first = pull(&s, json!([])).await;
    let got = by_uri(&first);
    assert_eq!(got.keys().collect::<Vec<_>>(), [&robot], "only the open file: {first}");
    assert_eq!(got[&robot].3, json!(1));

    // The setting changes to the whole workspace: the closed file appears.
    s.notify("workspace/didChangeConfiguration", json!({ "settings": { "llmos": { "diagnostics": { "scope": "workspace" } } } })).await;
    let second = pull(&s, previous(&[&first])).await;
    let got = by_uri(&second);
    assert!(got[&bad].2.contains(&"skill/name-format".to_string()), "{second}");

    // And back to open files: what was shown for the closed file is cleared.
    s.notify("workspace/didChangeConfiguration", json!({ "settings": { "llmos": { "diagnostics": { "scope": "openFiles" } } } })).await;
    let third = pull(&s, previous(&[&first, &second])).await;
    let got = by_uri(&third);
    assert_eq!(got[&bad].0, "full", "{third}");
    assert!(got[&bad].2.is_empty(), "{third}");
    assert_eq!(got[&robot].0, "unchanged", "{third}");
}

fn published(s: &TestServer, uri: &str) -> Vec<Value> {
    s.seen.lock().unwrap().iter().filter(|m| m["method"] == "textDocument/publishDiagnostics" && m["params"]["uri"] == uri).cloned().collect()
}

#[tokio::test]
async fn a_client_that_does_not_pull_gets_closed_files_pushed_when_it_asks() {
    let s = TestServer::start_with(
        WS,
        Options { init_options: json!({ "debounceMs": 0, "scheduler": false, "diagnostics": { "scope": "workspace" } }), ..Options::default() },
    )
    .await;
    let bad = s.uri("volumes/user/skills/bad-folder/SKILL.md");
    let diags = s.diagnostics(&bad, None).await;
    assert!(diags.iter().any(|d| d["code"] == "skill/name-format"), "{diags:?}");
    assert!(published(&s, &s.uri("volumes/user/sessions/pins.md")).is_empty(), "clean files are not pushed");
    // Fixed on disk: an empty list is pushed for it.
    s.forget_diagnostics(&bad);
    std::fs::write(s.path("volumes/user/skills/bad-folder/SKILL.md"), FIXED_SKILL).unwrap();
    file_event(&s, "volumes/user/skills/bad-folder/SKILL.md", 2).await;
    assert!(s.diagnostics(&bad, None).await.is_empty());

    // Without asking, a push client hears about open files only.
    let s = TestServer::start(WS).await;
    let bad = s.uri("volumes/user/skills/bad-folder/SKILL.md");
    let robot = s.open("volumes/user/sessions/robot.md").await;
    assert!(!s.diagnostics(&robot, Some(1)).await.is_empty());
    tokio::time::sleep(Duration::from_millis(800)).await;
    assert!(published(&s, &bad).is_empty(), "closed files are not pushed unasked");
}

#[tokio::test]
async fn unreadable_closed_files_are_reported_and_odd_result_ids_do_no_harm() {
    let s = TestServer::start_with(
        "//- llmos.toml\nmax_file_size = 400\n//- volumes/user/sessions/ok.md\n---\ntitle: Ok\nid: ok\n---\n<!-- turn: user -->\nhi\n",
        pulling(json!({ "debounceMs": 0, "scheduler": false })),
    )
    .await;
    let sessions = s.path("volumes/user/sessions");
    std::fs::write(sessions.join("latin1.md"), b"---\ntitle: Caf\xe9\nid: latin1\n---\n<!-- turn: user -->\nhi\n").unwrap();
    std::fs::write(sessions.join("binary.md"), b"---\ntitle: B\x00\n---\n").unwrap();
    std::fs::write(sessions.join("big.md"), format!("---\ntitle: Big\nid: big\n---\n<!-- turn: user -->\n{}\n", "x".repeat(1000))).unwrap();
    let changes: Vec<Value> = ["latin1.md", "binary.md", "big.md"].iter().map(|n| json!({ "uri": uri_of(&sessions.join(n)), "type": 1 })).collect();
    s.notify("workspace/didChangeWatchedFiles", json!({ "changes": changes })).await;
    // Ids the server never made, for a URI it does not know and one that is not a file.
    let odd = json!([{ "uri": "untitled:Untitled-1", "value": "zzz" }, { "uri": "file:///nowhere/else.md", "value": "" }]);
    let mut got = HashMap::new();
    for _ in 0..50 {
        got = by_uri(&pull(&s, odd.clone()).await);
        if got.len() >= 5 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let code = |name: &str| got.get(&s.uri(&format!("volumes/user/sessions/{name}"))).map(|r| r.2.clone()).unwrap_or_default();
    assert_eq!(code("latin1.md"), ["file/not-utf8"], "{got:?}");
    assert_eq!(code("binary.md"), ["file/binary"], "{got:?}");
    assert_eq!(code("big.md"), ["file/too-large"], "{got:?}");
    assert!(code("ok.md").is_empty());
    // The unknown ids are answered with an empty report (whatever the client showed for
    // them, llmos has nothing there).
    assert_eq!(got["untitled:Untitled-1"].0, "full");
    assert!(got["untitled:Untitled-1"].2.is_empty());
    assert!(got["file:///nowhere/else.md"].2.is_empty());
}
