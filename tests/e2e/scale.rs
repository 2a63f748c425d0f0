//! The server while it indexes: requests that need the index wait for it instead of
//! answering from an empty one, and the editor is shown the indexing as `$/progress`.

use std::time::Duration;

use serde_json::json;
use tower_lsp_server::LanguageServer;
use tower_lsp_server::ls_types::{WorkspaceSymbolParams, WorkspaceSymbolResponse};

use crate::harness::{Options, TestServer};

fn names(r: Option<WorkspaceSymbolResponse>) -> Vec<String> {
    match r {
        Some(WorkspaceSymbolResponse::Flat(v)) => v.into_iter().map(|s| s.name).collect(),
        Some(WorkspaceSymbolResponse::Nested(v)) => v.into_iter().map(|s| s.name).collect(),
        None => Vec::new(),
    }
}

#[tokio::test]
async fn workspace_symbol_waits_for_the_first_indexing() {
    let dir = tempfile::tempdir().unwrap();
    let g = llmos_workspace::generate::generate_workspace(dir.path(), 40, 30, 4).unwrap();
    let wanted = g.skills.last().unwrap().name.clone();
    let (service, _socket) = llmos_server::lsp::service();
    let backend = service.inner();
    {
        // As between `initialize` (a root was found) and the end of indexing.
        let mut ws = backend.ws_write();
        ws.config = llmos_workspace::Config::default_for(dir.path());
        ws.has_root = true;
    }
    let params: WorkspaceSymbolParams = serde_json::from_value(json!({ "query": wanted })).unwrap();
    let answer = backend.symbol(params);
    tokio::pin!(answer);
    assert!(tokio::time::timeout(Duration::from_millis(300), &mut answer).await.is_err(), "answered before the index was built");
    {
        let mut ws = backend.ws_write();
        let (config, _) = llmos_workspace::Config::load(dir.path());
        ws.index = llmos_workspace::Index::build(&config);
        ws.config = config;
        ws.ready = true;
    }
    backend.index_done();
    let found = names(tokio::time::timeout(Duration::from_secs(5), answer).await.expect("answered once indexed").unwrap());
    assert_eq!(found.first(), Some(&wanted), "{found:?}");
}

#[tokio::test]
async fn a_workspace_without_index_answers_at_once() {
    // No root: nothing will be indexed, so nothing is waited for.
    let (service, _socket) = llmos_server::lsp::service();
    let params: WorkspaceSymbolParams = serde_json::from_value(json!({ "query": "x" })).unwrap();
    let r = tokio::time::timeout(Duration::from_secs(1), service.inner().symbol(params)).await.expect("no wait without a workspace");
    assert!(names(r.unwrap()).is_empty());
}

#[tokio::test]
async fn indexing_is_shown_as_progress_and_symbols_sent_at_once_are_complete() {
    let dir = tempfile::tempdir().unwrap();
    let g = llmos_workspace::generate::generate_workspace(dir.path(), 300, 300, 8).unwrap();
    let s = TestServer::start_at(dir.path(), Options::default()).await;
    let begin = s.wait_for("indexing progress begin", |m| m["method"] == "$/progress" && m["params"]["value"]["title"] == "Indexing workspace").await;
    let token = &begin["params"]["token"];
    let end =
        s.wait_for("indexing progress end", |m| m["method"] == "$/progress" && &m["params"]["token"] == token && m["params"]["value"]["kind"] == "end").await;
    assert_eq!(end["params"]["value"]["message"], json!("300 skills, 300 sessions"));
    let created = s.requests.lock().unwrap().iter().any(|(m, p)| m == "window/workDoneProgress/create" && &p["token"] == token);
    assert!(created, "the token was created before use");
    let wanted = &g.skills[123].name;
    let r = s.call("workspace/symbol", json!({ "query": wanted })).await;
    assert_eq!(r[0]["name"], json!(wanted), "{r}");
}

fn pulling() -> Options {
    let mut o = Options::default();
    o.capabilities["textDocument"]["diagnostic"] = json!({ "dynamicRegistration": false });
    o.capabilities["workspace"]["diagnostics"] = json!({ "refreshSupport": true });
    o
}

async fn lint_runs(s: &TestServer) -> u64 {
    s.call("llmos/status", json!(null)).await["lintRuns"].as_u64().unwrap()
}

#[tokio::test]
async fn a_pulling_client_gets_each_version_linted_once_and_code_actions_reuse_it() {
    let s =
        TestServer::start_with("//- llmos.toml\n//- volumes/user/skills/k/SKILL.md\n---\nname: k\ndescription: Use when testing pulls.\n---\n# K\n", pulling())
            .await;
    let uri = s.open("volumes/user/skills/k/SKILL.md").await;
    let params = json!({ "textDocument": { "uri": uri } });
    let first = s.call("textDocument/diagnostic", params.clone()).await;
    assert_eq!(first["items"], json!([]), "{first}");
    let before = lint_runs(&s).await;
    let edits = 5;
    for i in 0..edits {
        let text = s.text(&uri);
        let at = text.find("name: ").unwrap() + "name: ".len();
        let end = at + text[at..].find('\n').unwrap();
        s.edit(&uri, at..end, &format!("wrong{i}")).await;
        // Give the debounced (0 ms) run its chance to go first, as an editor's pull would.
        tokio::time::sleep(Duration::from_millis(30)).await;
        let report = s.call("textDocument/diagnostic", params.clone()).await;
        let messages: Vec<&str> = report["items"].as_array().unwrap().iter().filter_map(|d| d["message"].as_str()).collect();
        assert!(messages.iter().any(|m| m.contains(&format!("`wrong{i}`"))), "version {i}: {messages:?}");
    }
    let runs = lint_runs(&s).await - before;
    // Pushing and pulling each version would be 2 per edit; one run may race the pull.
    assert!(runs <= edits + 1, "{runs} lint runs for {edits} edits");
    let at = s.text(&uri).find("wrong").unwrap();
    let range = json!({ "start": crate::harness::pos(&s.text(&uri), at), "end": crate::harness::pos(&s.text(&uri), at + 6) });
    let actions = s.call("textDocument/codeAction", json!({ "textDocument": { "uri": uri }, "range": range, "context": { "diagnostics": [] } })).await;
    assert!(actions.as_array().unwrap().iter().any(|a| a["title"] == "Change the name to `k`"), "{actions}");
    assert_eq!(lint_runs(&s).await - before, runs, "the code action reused the diagnostics of this version");
}

#[tokio::test]
async fn edits_and_hovers_are_served_while_more_long_commands_than_slots_run() {
    use crate::harness::{connect_in_process, read_frame, uri_of, write_frame};
    let dir = tempfile::tempdir().unwrap();
    let skill = dir.path().join("volumes/user/skills/k/SKILL.md");
    std::fs::create_dir_all(skill.parent().unwrap()).unwrap();
    std::fs::write(dir.path().join("llmos.toml"), "").unwrap();
    let text = "---\nname: k\ndescription: Use when testing slots.\n---\n# K\n";
    std::fs::write(&skill, text).unwrap();
    let (read, mut write) = connect_in_process();
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<serde_json::Value>();
    tokio::spawn(async move {
        let mut reader = tokio::io::BufReader::new(read);
        while let Some(msg) = read_frame(&mut reader).await {
            let _ = tx.send(msg);
        }
    });
    let root = uri_of(dir.path());
    let init = json!({ "jsonrpc": "2.0", "id": 1, "method": "initialize", "params": { "processId": null, "rootUri": root, "capabilities": {}, "initializationOptions": { "debounceMs": 0, "scheduler": false } } });
    write_frame(&mut write, &init).await;
    let init = tokio::time::timeout(Duration::from_secs(10), rx.recv()).await.unwrap().unwrap();
    assert_eq!(init["id"], json!(1), "{init}");
    // No `initialized` yet: the workspace is not indexed, so each command waits for the
    // index (as commands sent right after start do). There are more of them than the
    // server has message slots: only because long commands are answered off the slots
    // can the edit and the hover below get through.
    let uri = uri_of(&skill);
    let commands = 100..100 + llmos_server::lsp::CONCURRENT_MESSAGES as i64 + 8;
    assert!(commands.clone().count() <= llmos_server::lsp::LONG_COMMANDS, "every command gets a permit");
    for id in commands.clone() {
        write_frame(&mut write, &json!({ "jsonrpc": "2.0", "id": id, "method": "workspace/executeCommand", "params": { "command": "llmos.session.commit", "arguments": [{ "uri": uri }] } })).await;
    }
    tokio::time::sleep(Duration::from_millis(100)).await;
    write_frame(&mut write, &json!({ "jsonrpc": "2.0", "method": "textDocument/didOpen", "params": { "textDocument": { "uri": uri, "languageId": "markdown", "version": 1, "text": text } } })).await;
    let changed = text.replace("name: k", "name: wrong");
    write_frame(&mut write, &json!({ "jsonrpc": "2.0", "method": "textDocument/didChange", "params": { "textDocument": { "uri": uri, "version": 2 }, "contentChanges": [{ "text": changed }] } })).await;
    write_frame(&mut write, &json!({ "jsonrpc": "2.0", "id": 20, "method": "textDocument/hover", "params": { "textDocument": { "uri": uri }, "position": { "line": 2, "character": 3 } } })).await;
    let (mut diagnosed, mut hovered) = (false, false);
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    while !(diagnosed && hovered) {
        let msg = tokio::time::timeout_at(deadline, rx.recv())
            .await
            .unwrap_or_else(|_| panic!("edits or hover not served while commands run (diagnosed {diagnosed}, hovered {hovered})"))
            .unwrap();
        assert!(!commands.contains(&msg["id"].as_i64().unwrap_or(0)) || msg.get("method").is_some(), "a command answered before the index existed: {msg}");
        if msg["method"] == "textDocument/publishDiagnostics" && msg["params"]["version"] == json!(2) {
            assert!(msg["params"]["diagnostics"].to_string().contains("`wrong`"), "{msg}");
            diagnosed = true;
        }
        if msg["id"] == json!(20) {
            assert!(msg["result"]["contents"]["value"].as_str().is_some_and(|v| v.contains("description")), "{msg}");
            hovered = true;
        }
    }
    // Once the workspace is indexed every command gets its answer (the skill is not a
    // session, so each is refused with a message).
    write_frame(&mut write, &json!({ "jsonrpc": "2.0", "method": "initialized", "params": {} })).await;
    let mut answered = std::collections::HashSet::new();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    while answered.len() < commands.clone().count() {
        let msg = tokio::time::timeout_at(deadline, rx.recv()).await.unwrap_or_else(|_| panic!("{} of the commands answered", answered.len())).unwrap();
        if let Some(id) = msg["id"].as_i64().filter(|id| commands.contains(id))
            && msg.get("method").is_none()
        {
            assert!(msg["error"]["message"].as_str().is_some_and(|m| m.contains("is not a session")), "{msg}");
            answered.insert(id);
        }
    }
}

#[tokio::test]
async fn more_long_commands_than_permits_are_refused_not_queued() {
    let (service, _socket) = llmos_server::lsp::service();
    let backend = service.inner();
    {
        let mut ws = backend.ws_write();
        ws.has_root = true;
    }
    let params = |n: usize| -> tower_lsp_server::ls_types::ExecuteCommandParams {
        serde_json::from_value(json!({ "command": "llmos.session.commit", "arguments": [{ "uri": format!("file:///nowhere/{n}.md") }] })).unwrap()
    };
    let waiting: Vec<_> = (0..llmos_server::lsp::LONG_COMMANDS)
        .map(|n| {
            tokio::spawn({
                let backend = backend.clone();
                let p = params(n);
                async move { llmos_server::commands::execute(&backend, p).await }
            })
        })
        .collect();
    tokio::time::sleep(Duration::from_millis(200)).await;
    let refused = tokio::time::timeout(Duration::from_secs(2), llmos_server::commands::execute(backend, params(99))).await.expect("refused at once");
    let err = refused.unwrap_err();
    assert!(err.message.contains("long commands are running"), "{err:?}");
    for w in waiting {
        w.abort();
    }
}
