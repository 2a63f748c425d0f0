//! Sessions in git through the LSP: new session, commit with the context-memory
//! message, "changed since commit", hover on `commit:`, and the failures.

use std::process::Command;

use serde_json::{Value, json};

use crate::harness::{Options, TestServer};

fn git(dir: &std::path::Path, args: &[&str]) -> String {
    let out = Command::new("git").arg("-C").arg(dir).args(args).output().unwrap();
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

const SESSION: &str = "//- llmos.toml\n[llm]\nprovider = \"anthropic\"\nmodel = \"claude-x\"\n//- volumes/user/artifacts/plot.csv\nx,y\n1,2\n//- volumes/user/sessions/vqe.md\n---\ntitle: Quantum VQE optimization\nid: vqe\nstatus: uncommitted\ncommit: null\nskills: [quantum-optimization]\n---\n\n<!-- turn: user -->\nCreate a VQE circuit\nfor the H2 molecule.\n\n<!-- turn: assistant model=claude-sonnet-4-5 -->\nHere:\n\n```python artifact=vqe_h2_circuit.py\nx = 1\n```\n\n```trace\nran\n```\n\nSee [the data](../artifacts/plot.csv).\n\n<!-- turn: user -->\n\n";

fn git_options() -> Options {
    Options { git_volumes: vec!["user", "team"], ..Options::default() }
}

/// Commits like the editor plugins do: run the command, then save the buffer when the
/// result asks for it. The file on disk is not touched before that save.
async fn commit(s: &TestServer, uri: &str) -> Value {
    let path = s.path(&uri[uri.find("/volumes/").map_or(0, |i| i + 1)..]);
    let before = std::fs::read(&path).ok();
    let r = s.request("workspace/executeCommand", json!({ "command": "llmos.session.commit", "arguments": [{ "uri": uri }] })).await;
    if let Some(save) = r["result"]["save"].as_str() {
        assert_eq!(save, uri);
        assert_eq!(std::fs::read(&path).ok(), before, "the server wrote the file under the open buffer");
        s.save(uri).await;
    }
    r
}

#[tokio::test]
async fn commit_writes_context_memory_and_stamps_the_session() {
    let s = TestServer::start_with(SESSION, git_options()).await;
    let uri = s.open("volumes/user/sessions/vqe.md").await;
    let vol = s.path("volumes/user");
    let r = commit(&s, &uri).await;
    assert!(r.get("error").is_none(), "{r}");
    let sha = r["result"]["sha"].as_str().unwrap().to_string();
    let message = git(&vol, &["log", "-1", "--format=%B"]);
    assert_eq!(
        message,
        "session: Quantum VQE optimization\n\nPrompt: Create a VQE circuit for the H2 molecule.\n\nStats:\n- 2 messages\n- 2 artifacts generated\n- 1 traces executed\n\nArtifacts:\n- code: vqe_h2_circuit.py\n- plot: plot.csv\n\n🤖 LLMos Context Memory\n\nLLMos-Session: vqe\nLLMos-Skills: quantum-optimization\nLLMos-Model: claude-sonnet-4-5"
    );
    assert_eq!(git(&vol, &["rev-parse", "HEAD"]), sha);
    // only the session was committed; the working tree is clean for it
    assert_eq!(git(&vol, &["show", "--name-only", "--format=", "HEAD"]), "sessions/vqe.md");
    assert_eq!(git(&vol, &["status", "--porcelain", "sessions/vqe.md"]), "");
    // the editor's buffer got the stamped fields and equals the committed file
    let text = s.text(&uri);
    assert!(text.contains("status: committed\ncommit: null\n"), "first commit's base is null: {text}");
    assert_eq!(text, std::fs::read_to_string(s.path("volumes/user/sessions/vqe.md")).unwrap());
    // lens says committed
    let lenses = s.call("textDocument/codeLens", json!({ "textDocument": { "uri": uri } })).await;
    assert!(lenses.as_array().unwrap().iter().any(|l| l["command"]["title"] == format!("committed {}", &sha[..7])), "{lenses}");
    // a second commit without changes is refused, nothing written
    let again = commit(&s, &uri).await;
    assert!(again["error"]["message"].as_str().unwrap().contains("nothing to commit"), "{again}");
    // an edit → "changed since commit", then commit again records the base
    let end = text.len();
    s.edit(&uri, end..end, "More please.\n").await;
    let diags = s.current_diagnostics(&uri).await;
    assert!(diags.iter().any(|d| d["code"] == "session/changed-since-commit" && d["message"] == format!("changed since commit {}", &sha[..7])), "{diags:?}");
    let r2 = commit(&s, &uri).await;
    assert!(r2.get("error").is_none(), "{r2}");
    assert!(s.text(&uri).contains(&format!("commit: {sha}")));
    assert_eq!(git(&vol, &["rev-list", "--count", "HEAD"]), "2");
    // hover on commit: shows the session commit
    let text = s.text(&uri);
    let at = text.find(&sha).unwrap() + 2;
    let hover = s.call("textDocument/hover", json!({ "textDocument": { "uri": uri }, "position": crate::harness::pos(&text, at) })).await;
    let h = hover["contents"]["value"].as_str().unwrap();
    let author = git(&vol, &["log", "-1", "--format=%an"]);
    assert!(h.contains("session: Quantum VQE optimization") && h.contains(&author) && h.contains("sessions/vqe.md"), "{h}");
    assert!(h.contains(&format!("committed on top of `{}`", &sha[..7])), "{h}");
}

#[tokio::test]
async fn commit_failures_lose_nothing() {
    // not a repository: the command says so and a quick fix offers to initialize
    let s = TestServer::start(SESSION).await;
    let uri = s.open("volumes/user/sessions/vqe.md").await;
    let before = s.text(&uri);
    let r = commit(&s, &uri).await;
    assert!(r["error"]["message"].as_str().unwrap().contains("not inside a git repository"), "{r}");
    assert_eq!(s.text(&uri), before);
    assert_eq!(std::fs::read_to_string(s.path("volumes/user/sessions/vqe.md")).unwrap(), before);
    let actions = s.call("textDocument/codeAction", json!({ "textDocument": { "uri": uri }, "range": { "start": { "line": 0, "character": 0 }, "end": { "line": 0, "character": 0 } }, "context": { "diagnostics": [] } })).await;
    let init = actions.as_array().unwrap().iter().find(|a| a["command"]["command"] == "llmos.volume.init").expect("init action");
    let args = init["command"]["arguments"].clone();
    s.call("workspace/executeCommand", json!({ "command": "llmos.volume.init", "arguments": args })).await;
    assert!(s.path("volumes/user/.git").is_dir());

    // locked index: refused, file untouched
    let s = TestServer::start_with(SESSION, git_options()).await;
    let uri = s.open("volumes/user/sessions/vqe.md").await;
    std::fs::write(s.path("volumes/user/.git/index.lock"), "").unwrap();
    let r = commit(&s, &uri).await;
    assert!(r["error"]["message"].as_str().unwrap().contains("another git process"), "{r}");
    assert!(std::fs::read_to_string(s.path("volumes/user/sessions/vqe.md")).unwrap().contains("status: uncommitted"));
    std::fs::remove_file(s.path("volumes/user/.git/index.lock")).unwrap();

    // a session outside any volume
    let outside = s.open_text("notes/x.md", "---\ntitle: x\n---\n<!-- turn: user -->\nhi\n").await;
    let r = commit(&s, &outside).await;
    assert!(r.get("error").is_some());

    // deleted while open: the buffer is the truth and gets committed
    std::fs::remove_file(s.path("volumes/user/sessions/vqe.md")).unwrap();
    let r = commit(&s, &uri).await;
    assert!(r.get("error").is_none(), "{r}");
    assert!(std::fs::read_to_string(s.path("volumes/user/sessions/vqe.md")).unwrap().contains("Create a VQE circuit"));

    // detached HEAD
    let vol = s.path("volumes/user");
    let head = git(&vol, &["rev-parse", "HEAD"]);
    git(&vol, &["checkout", "-q", "--detach", &head]);
    let end = s.text(&uri).len();
    s.edit(&uri, end..end, "x").await;
    let r = commit(&s, &uri).await;
    assert!(r["error"]["message"].as_str().unwrap().contains("detached"), "{r}");
}

#[tokio::test]
async fn new_session_and_export() {
    let s = TestServer::start_with("//- llmos.toml\n", git_options()).await;
    let r = s.call("workspace/executeCommand", json!({ "command": "llmos.session.new", "arguments": [{ "title": "Plot the sales: Q3!" }] })).await;
    let path = r["path"].as_str().unwrap();
    let id = r["id"].as_str().unwrap();
    assert!(id.ends_with("-plot-the-sales-q3"), "{id}");
    assert_eq!(id.len(), "20261123-2201-".len() + "plot-the-sales-q3".len());
    let text = std::fs::read_to_string(path).unwrap();
    assert!(text.starts_with("---\ntitle: \"Plot the sales: Q3!\"\n"), "{text}");
    assert!(text.ends_with("<!-- turn: user -->\n\n"));
    let shown = s.requests.lock().unwrap().iter().find(|(m, _)| m == "window/showDocument").map(|(_, p)| p.clone()).expect("showDocument");
    assert_eq!(shown["uri"], r["uri"]);
    // a second session with the same title gets its own file
    let r2 = s.call("workspace/executeCommand", json!({ "command": "llmos.session.new", "arguments": [{ "title": "Plot the sales: Q3!" }] })).await;
    assert_ne!(r2["path"], r["path"]);
    // the new session has no diagnostics
    let uri = s.open(path.strip_prefix(&format!("{}/", s.dir.path().display())).unwrap()).await;
    assert!(s.current_diagnostics(&uri).await.is_empty());
    // bad volume
    let bad = s.request("workspace/executeCommand", json!({ "command": "llmos.session.new", "arguments": [{ "volume": "nope" }] })).await;
    assert!(bad["error"]["message"].as_str().unwrap().contains("unknown volume"));
    // export
    let sess = TestServer::start(SESSION).await;
    let uri = sess.open("volumes/user/sessions/vqe.md").await;
    let md = sess.call("workspace/executeCommand", json!({ "command": "llmos.session.export", "arguments": [{ "uri": uri, "format": "markdown" }] })).await;
    let md = md["content"].as_str().unwrap();
    assert!(md.starts_with("# Quantum VQE optimization\n\n## User\n\nCreate a VQE circuit\nfor the H2 molecule.\n\n## Assistant\n"), "{md}");
    assert!(!md.contains("<!-- turn"));
    let js = sess.call("workspace/executeCommand", json!({ "command": "llmos.session.export", "arguments": [{ "uri": uri, "format": "json" }] })).await;
    assert_eq!(js["content"]["id"], "vqe");
    assert_eq!(js["content"]["messages"].as_array().unwrap().len(), 2);
    assert_eq!(js["content"]["traces"], 1);
    assert_eq!(js["content"]["artifacts"][0], json!({ "type": "code", "name": "vqe_h2_circuit.py" }));
    let bad = sess.request("workspace/executeCommand", json!({ "command": "llmos.session.export", "arguments": [{ "uri": uri, "format": "pdf" }] })).await;
    assert!(bad.get("error").is_some());
}

/// A long command is answered off the server's message slots, yet still sees every edit
/// sent before it: a commit sent right after a keystroke commits that keystroke, every
/// time (the guard lets the command start only once the edits before it are applied).
#[tokio::test]
async fn a_commit_right_after_an_edit_commits_the_edit() {
    let s = TestServer::start_with(SESSION, git_options()).await;
    let uri = s.open("volumes/user/sessions/vqe.md").await;
    let vol = s.path("volumes/user");
    for round in 0..12 {
        let text = s.text(&uri);
        let at = text.rfind("<!-- turn: user -->").unwrap() + "<!-- turn: user -->\n".len();
        let line = format!("typed just before commit {round}\n");
        s.edit(&uri, at..at, &line).await;
        let r = commit(&s, &uri).await;
        assert!(r.get("error").is_none(), "round {round}: {r}");
        let head = git(&vol, &["show", "HEAD:sessions/vqe.md"]);
        assert!(head.contains(line.trim_end()), "round {round}: the commit missed the edit sent before it:\n{head}");
    }
}
