//! Hostile JSON-RPC against the built binary over stdio: bad framing, JSON that is not
//! JSON-RPC, lone surrogates, wrong params, out-of-order lifecycle and a flood of
//! concurrent requests. After each, the same process must still answer a real request
//! with the right result.

use std::time::Duration;

use serde_json::{Value, json};
use tokio::io::{AsyncWriteExt, BufReader};
use tokio::process::{Child, ChildStdin, ChildStdout};

use crate::harness::{read_frame, uri_of, write_frame};

struct Server {
    _child: Child,
    _dir: tempfile::TempDir,
    stdin: ChildStdin,
    stdout: BufReader<ChildStdout>,
    uri: String,
    next_id: i64,
    /// Error answers with `id: null` seen while waiting for other answers.
    null_errors: Vec<Value>,
}

const SKILL: &str = "---\nname: probe-skill\ndescription: Probes the server. Use when testing.\n---\n\n# Probe\n\nText.\n";

impl Server {
    async fn start(initialize: bool) -> Self {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("llmos.toml"), "").unwrap();
        let skill = dir.path().join("volumes/user/skills/probe-skill/SKILL.md");
        std::fs::create_dir_all(skill.parent().unwrap()).unwrap();
        std::fs::write(&skill, SKILL).unwrap();
        let (child, stdin, stdout) = crate::stdio::spawn_server(&["lsp", "--stdio"]);
        let uri = uri_of(&skill);
        let mut s = Server { _child: child, stdin, stdout, uri, next_id: 1000, null_errors: Vec::new(), _dir: dir };
        if initialize {
            let root = uri_of(s._dir.path());
            let init = s.request("initialize", json!({ "processId": null, "rootUri": root, "capabilities": {} })).await;
            assert!(init.get("result").is_some(), "{init}");
            s.send(&json!({ "jsonrpc": "2.0", "method": "initialized", "params": {} })).await;
            let uri = s.uri.clone();
            s.send(&json!({ "jsonrpc": "2.0", "method": "textDocument/didOpen", "params": { "textDocument": { "uri": uri, "languageId": "markdown", "version": 1, "text": SKILL } } }))
                .await;
            s.assert_alive().await;
        }
        s
    }

    async fn send(&mut self, msg: &Value) {
        write_frame(&mut self.stdin, msg).await;
    }

    async fn raw(&mut self, bytes: &[u8]) {
        self.stdin.write_all(bytes).await.unwrap();
        self.stdin.flush().await.unwrap();
    }

    /// Sends a body with a correct Content-Length, whatever the body is.
    async fn body(&mut self, body: &str) {
        self.raw(format!("Content-Length: {}\r\n\r\n{body}", body.len()).as_bytes()).await;
    }

    async fn request(&mut self, method: &str, params: Value) -> Value {
        self.next_id += 1;
        let id = self.next_id;
        self.send(&json!({ "jsonrpc": "2.0", "id": id, "method": method, "params": params })).await;
        self.answer(&json!(id)).await
    }

    /// The answer with this id; null-id errors met on the way are kept.
    async fn answer(&mut self, id: &Value) -> Value {
        loop {
            let msg = tokio::time::timeout(Duration::from_secs(30), read_frame(&mut self.stdout))
                .await
                .expect("the server answers within 30 s")
                .expect("the server is still running");
            if msg.get("method").is_some() {
                continue;
            }
            if &msg["id"] == id {
                return msg;
            }
            if msg["id"].is_null() {
                self.null_errors.push(msg);
            }
        }
    }

    /// The document symbols of the probe skill, as a real request with a known answer.
    async fn assert_alive(&mut self) {
        let uri = self.uri.clone();
        let r = self.request("textDocument/documentSymbol", json!({ "textDocument": { "uri": uri } })).await;
        assert_eq!(r["result"][0]["name"], "probe-skill", "unexpected symbols after abuse: {r}");
        assert_eq!(r["result"][0]["detail"], "Probes the server. Use when testing.", "unexpected symbols after abuse: {r}");
    }

    /// The next `id: null` error: already seen or still to come (a request is sent to
    /// flush the stream).
    async fn null_error(&mut self) -> Value {
        if self.null_errors.is_empty() {
            self.assert_alive().await;
        }
        assert!(!self.null_errors.is_empty(), "no error with id null was sent");
        self.null_errors.remove(0)
    }
}

#[tokio::test]
async fn bad_framing_gets_a_null_id_error_and_the_stream_resynchronises() {
    let mut s = Server::start(true).await;
    let cases: Vec<Vec<u8>> = vec![
        b"Content-Length: abc\r\n\r\n{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"shutdown\"}".to_vec(),
        b"Content-Type: application/vscode-jsonrpc; charset=utf-8\r\n\r\n{\"jsonrpc\":\"2.0\"}".to_vec(),
        b"Content-Length: 99999999999999\r\n\r\n{}".to_vec(),
        b"Content-Length: -5\r\n\r\n".to_vec(),
        format!("X-Junk: {}\r\n\r\n", "j".repeat(100_000)).into_bytes(),
        b"garbage without any header\r\n\r\n".to_vec(),
    ];
    for case in cases {
        s.raw(&case).await;
        let err = s.null_error().await;
        assert_eq!(err["id"], Value::Null, "{err}");
        assert_eq!(err["error"]["code"], -32700, "{err}");
        // The same server still answers with the right result.
        s.assert_alive().await;
    }
    // A Content-Type with another charset is not passed on to tower-lsp-server (which
    // would stop reading): the header is dropped, the message served.
    let body = json!({ "jsonrpc": "2.0", "id": 77, "method": "llmos/status" }).to_string();
    s.raw(format!("Content-Length: {}\r\nContent-Type: application/json; charset=latin1\r\n\r\n{body}", body.len()).as_bytes()).await;
    let r = s.answer(&json!(77)).await;
    assert!(r.get("result").is_some(), "{r}");
}

#[tokio::test]
async fn json_that_is_not_json_rpc_gets_invalid_request_and_the_server_keeps_serving() {
    let mut s = Server::start(true).await;
    // (body, id the error must carry, code)
    let cases: Vec<(&str, Value, i64)> = vec![
        ("{}", Value::Null, -32600),
        ("[]", Value::Null, -32600),
        ("null", Value::Null, -32600),
        ("1", Value::Null, -32600),
        ("\"x\"", Value::Null, -32600),
        (r#"[{"jsonrpc":"2.0","id":3,"method":"llmos/status"}]"#, Value::Null, -32600),
        (r#"{"id":5,"method":"llmos/status"}"#, json!(5), -32600),
        (r#"{"jsonrpc":"1.0","id":6,"method":"llmos/status"}"#, json!(6), -32600),
        (r#"{"jsonrpc":2,"id":"six","method":"llmos/status"}"#, json!("six"), -32600),
        (r#"{"jsonrpc":"2.0","id":{"a":1},"method":"llmos/status"}"#, Value::Null, -32600),
        (r#"{"jsonrpc":"2.0","id":1.5,"method":"llmos/status"}"#, Value::Null, -32600),
        (r#"{"jsonrpc":"2.0","id":7,"method":42}"#, json!(7), -32600),
        (r#"{"jsonrpc":"2.0","id":8}"#, json!(8), -32600),
        (r#"{"jsonrpc":"2.0","id":9,"method":"textDocument/hover","params":5}"#, json!(9), -32600),
        ("{not json", Value::Null, -32700),
        ("\u{0}\u{1}", Value::Null, -32700),
    ];
    for (body, id, code) in cases {
        s.body(body).await;
        let err = if id.is_null() { s.null_error().await } else { s.answer(&id).await };
        assert_eq!(err["error"]["code"], code, "{body} → {err}");
        assert_eq!(err["id"], id, "{body} → {err}");
        s.assert_alive().await;
    }
    // 1e400 is beyond what JSON numbers hold here: not parsed as JSON, answered -32700.
    s.body(r#"{"jsonrpc":"2.0","id":1e400,"method":"llmos/status"}"#).await;
    let err = s.null_error().await;
    assert!(err["error"]["code"] == -32700 || err["error"]["code"] == -32600, "{err}");
    s.assert_alive().await;
    // A malformed response from the client has nothing to answer: dropped, still serving.
    s.body(r#"{"jsonrpc":"2.0","id":{"x":1},"result":null}"#).await;
    s.assert_alive().await;
    assert!(s.null_errors.is_empty(), "{:?}", s.null_errors);
}

#[tokio::test]
async fn a_lone_surrogate_is_replaced_rather_than_fatal() {
    let mut s = Server::start(true).await;
    let uri = s.uri.clone();
    // Inserted after "description: Probes" (line 2, character 19).
    let change = format!(
        r#"{{"jsonrpc":"2.0","method":"textDocument/didChange","params":{{"textDocument":{{"uri":"{uri}","version":2}},"contentChanges":[{{"range":{{"start":{{"line":2,"character":19}},"end":{{"line":2,"character":19}}}},"text":"\ud800"}}]}}}}"#
    );
    s.body(&change).await;
    let r = s.request("textDocument/documentSymbol", json!({ "textDocument": { "uri": uri } })).await;
    assert_eq!(r["result"][0]["detail"], "Probes\u{FFFD} the server. Use when testing.", "{r}");
    // A valid pair stays a pair.
    let change = format!(
        r#"{{"jsonrpc":"2.0","method":"textDocument/didChange","params":{{"textDocument":{{"uri":"{uri}","version":3}},"contentChanges":[{{"range":{{"start":{{"line":2,"character":13}},"end":{{"line":2,"character":13}}}},"text":"\ud83d\ude00"}}]}}}}"#
    );
    s.body(&change).await;
    let r = s.request("textDocument/documentSymbol", json!({ "textDocument": { "uri": uri } })).await;
    assert_eq!(r["result"][0]["detail"], "\u{1F600}Probes\u{FFFD} the server. Use when testing.", "{r}");
}

#[tokio::test]
async fn lifecycle_abuse_wrong_params_and_bad_ranges_leave_the_server_serving() {
    let mut s = Server::start(false).await;
    // Before initialize: an error, not a hang or an exit.
    let r = s.request("textDocument/hover", json!({ "textDocument": { "uri": "file:///x.md" }, "position": { "line": 0, "character": 0 } })).await;
    assert_eq!(r["error"]["code"], -32002, "{r}");
    let root = uri_of(s._dir.path());
    let init = s.request("initialize", json!({ "processId": null, "rootUri": root, "capabilities": {} })).await;
    assert!(init.get("result").is_some(), "{init}");
    s.send(&json!({ "jsonrpc": "2.0", "method": "initialized", "params": {} })).await;
    let uri = s.uri.clone();
    s.send(&json!({ "jsonrpc": "2.0", "method": "textDocument/didOpen", "params": { "textDocument": { "uri": uri, "languageId": "markdown", "version": 1, "text": SKILL } } })).await;
    s.assert_alive().await;
    // A second initialize is refused.
    let again = s.request("initialize", json!({ "processId": null, "capabilities": {} })).await;
    assert!(again.get("error").is_some(), "{again}");
    // Wrong param types.
    for (method, params) in [
        ("textDocument/hover", json!({ "textDocument": 5, "position": "x" })),
        ("textDocument/completion", json!([1, 2, 3])),
        ("textDocument/definition", json!(null)),
        ("workspace/executeCommand", json!({ "command": 3 })),
        ("workspace/executeCommand", json!({ "command": "llmos.session.commit", "arguments": [{ "uri": 12 }] })),
    ] {
        let r = s.request(method, params).await;
        assert!(r.get("error").is_some(), "{method}: {r}");
        s.assert_alive().await;
    }
    // Positions out of range and reversed ranges, in requests and in edits.
    for (line, character) in [(0u64, 100_000u64), (100_000, 0), (u32::MAX as u64, u32::MAX as u64)] {
        let p = json!({ "line": line, "character": character });
        for method in ["textDocument/hover", "textDocument/completion", "textDocument/definition", "textDocument/references", "textDocument/prepareRename"] {
            let mut params = json!({ "textDocument": { "uri": uri }, "position": p });
            if method == "textDocument/references" {
                params["context"] = json!({ "includeDeclaration": true });
            }
            let r = s.request(method, params).await;
            assert!(r.get("result").is_some() || r.get("error").is_some(), "{r}");
        }
        let r = s
            .request(
                "textDocument/codeAction",
                json!({ "textDocument": { "uri": uri }, "range": { "start": p, "end": { "line": 0, "character": 0 } }, "context": { "diagnostics": [] } }),
            )
            .await;
        assert!(r.get("result").is_some() || r.get("error").is_some(), "{r}");
        s.assert_alive().await;
    }
    // A reversed and an out-of-range edit are ignored or clamped, never fatal; the text
    // stays one the symbols can be read from.
    let reversed = json!({ "start": { "line": 9, "character": 0 }, "end": { "line": 5, "character": 0 } });
    let far = json!({ "start": { "line": 900, "character": 4 }, "end": { "line": 901, "character": 0 } });
    for (v, range) in [(2, reversed), (3, far)] {
        s.send(&json!({ "jsonrpc": "2.0", "method": "textDocument/didChange", "params": { "textDocument": { "uri": uri, "version": v }, "contentChanges": [{ "range": range, "text": "" }] } }))
            .await;
        let r = s.request("textDocument/documentSymbol", json!({ "textDocument": { "uri": uri } })).await;
        assert!(r.get("result").is_some(), "{r}");
    }
    // After shutdown: requests are refused with an error, still answered.
    let r = s.request("shutdown", Value::Null).await;
    assert!(r.get("error").is_none(), "{r}");
    let r = s.request("textDocument/documentSymbol", json!({ "textDocument": { "uri": uri } })).await;
    assert_eq!(r["error"]["code"], -32600, "{r}");
}

#[tokio::test]
async fn a_thousand_concurrent_requests_are_all_answered() {
    let mut s = Server::start(true).await;
    let uri = s.uri.clone();
    let mut batch = Vec::new();
    for id in 1..=1000 {
        let body = json!({ "jsonrpc": "2.0", "id": id, "method": "textDocument/documentSymbol", "params": { "textDocument": { "uri": uri } } }).to_string();
        batch.extend_from_slice(format!("Content-Length: {}\r\n\r\n{body}", body.len()).as_bytes());
    }
    s.raw(&batch).await;
    let mut seen = std::collections::BTreeSet::new();
    while seen.len() < 1000 {
        let msg = tokio::time::timeout(Duration::from_secs(60), read_frame(&mut s.stdout)).await.expect("answers keep coming").expect("server running");
        if let Some(id) = msg["id"].as_i64().filter(|_| msg.get("method").is_none()) {
            assert_eq!(msg["result"][0]["name"], "probe-skill", "{msg}");
            assert!(seen.insert(id), "answered twice: {id}");
        }
    }
    s.assert_alive().await;
}

/// A document over `max_file_size` opened over stdio, then hit with out-of-range and
/// reversed edits and requests: the one `file/too-large` diagnostic, answers without
/// analysis, and the same process keeps serving; a full-text change below the cap is
/// analysed again.
#[tokio::test]
async fn a_document_over_the_size_cap_survives_hostile_edits_and_requests() {
    let mut s = Server::start(false).await;
    std::fs::write(s._dir.path().join("llmos.toml"), "max_file_size = 4096\n").unwrap();
    let root = uri_of(s._dir.path());
    let init = s.request("initialize", json!({ "processId": null, "rootUri": root, "capabilities": {} })).await;
    assert!(init.get("result").is_some(), "{init}");
    s.send(&json!({ "jsonrpc": "2.0", "method": "initialized", "params": {} })).await;
    let skill = s.uri.clone();
    s.send(&json!({ "jsonrpc": "2.0", "method": "textDocument/didOpen", "params": { "textDocument": { "uri": skill, "languageId": "markdown", "version": 1, "text": SKILL } } }))
        .await;
    s.assert_alive().await;
    let big = uri_of(&s._dir.path().join("volumes/user/sessions/big.md"));
    let text = format!("---\ntitle: Big\n---\n\n<!-- turn: user -->\n{}\n", "é😀\r\n\u{2028}".repeat(600));
    assert!(text.len() > 4096);
    s.send(&json!({ "jsonrpc": "2.0", "method": "textDocument/didOpen", "params": { "textDocument": { "uri": big, "languageId": "markdown", "version": 1, "text": text } } }))
        .await;
    let pulled = s.request("textDocument/diagnostic", json!({ "textDocument": { "uri": big } })).await;
    assert_eq!(pulled["result"]["items"][0]["code"], "file/too-large", "{pulled}");
    let positions = [(0u64, 0u64), (3, 100_000), (100_000, 0), (u32::MAX as u64, u32::MAX as u64)];
    for (v, (line, character)) in positions.iter().enumerate() {
        let p = json!({ "line": line, "character": character });
        let reversed = json!({ "start": p, "end": { "line": 0, "character": 0 } });
        s.send(&json!({ "jsonrpc": "2.0", "method": "textDocument/didChange", "params": { "textDocument": { "uri": big, "version": v + 2 }, "contentChanges": [{ "range": reversed, "text": "\u{fffd}é" }] } }))
            .await;
        for method in ["textDocument/hover", "textDocument/completion", "textDocument/definition", "textDocument/references", "textDocument/prepareRename"] {
            let mut params = json!({ "textDocument": { "uri": big }, "position": p });
            if method == "textDocument/references" {
                params["context"] = json!({ "includeDeclaration": true });
            }
            let r = s.request(method, params).await;
            assert!(r.get("error").is_none() && r["result"].as_array().is_none_or(|a| a.is_empty()), "{method} on a document over the cap: {r}");
        }
        for method in ["textDocument/documentSymbol", "textDocument/foldingRange", "textDocument/codeLens"] {
            let r = s.request(method, json!({ "textDocument": { "uri": big } })).await;
            assert!(r.get("error").is_none() && r["result"].as_array().is_none_or(|a| a.is_empty()), "{method} on a document over the cap: {r}");
        }
        s.assert_alive().await;
    }
    // Below the cap again by a full-text change: analysed as usual.
    let small = "---\ntitle: Small\n---\n\n<!-- turn: user -->\nSee [x](../artifacts/missing.csv).\n";
    s.send(&json!({ "jsonrpc": "2.0", "method": "textDocument/didChange", "params": { "textDocument": { "uri": big, "version": 99 }, "contentChanges": [{ "text": small }] } }))
        .await;
    let pulled = s.request("textDocument/diagnostic", json!({ "textDocument": { "uri": big } })).await;
    let codes: Vec<&str> = pulled["result"]["items"].as_array().unwrap().iter().filter_map(|d| d["code"].as_str()).collect();
    assert!(codes.contains(&"session/broken-artifact") && !codes.contains(&"file/too-large"), "{pulled}");
    s.assert_alive().await;
}
