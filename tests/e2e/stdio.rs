//! The built binary over stdio: the important flows as an editor sees them.

use std::process::Stdio;
use std::time::Duration;

use serde_json::{Value, json};
use tokio::io::BufReader;
use tokio::process::Command;

use crate::harness::{read_frame, uri_of, write_frame};

#[tokio::test]
async fn binary_serves_diagnostics_and_exits_on_exit() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("llmos.toml"), "").unwrap();
    let skill = dir.path().join("volumes/user/skills/bad-skill/SKILL.md");
    std::fs::create_dir_all(skill.parent().unwrap()).unwrap();
    std::fs::write(&skill, "---\nname: Bad_Skill\ndescription: x\n---\n").unwrap();
    // `--stdio` is accepted: vscode-languageclient and others always pass it.
    let (mut child, mut stdin, mut stdout) = spawn_server(&["lsp", "--stdio"]);
    let root = uri_of(dir.path());
    write_frame(
        &mut stdin,
        &json!({ "jsonrpc": "2.0", "id": 1, "method": "initialize", "params": { "processId": null, "rootUri": root, "capabilities": {} } }),
    )
    .await;
    let init = next_response(&mut stdout, 1).await;
    let commands = init["result"]["capabilities"]["executeCommandProvider"]["commands"].as_array().unwrap();
    assert!(commands.iter().any(|c| c == "llmos.session.commit"));
    assert_eq!(init["result"]["capabilities"]["positionEncoding"], "utf-16");
    write_frame(&mut stdin, &json!({ "jsonrpc": "2.0", "method": "initialized", "params": {} })).await;
    let uri = uri_of(&skill);
    let text = std::fs::read_to_string(&skill).unwrap();
    write_frame(&mut stdin, &json!({ "jsonrpc": "2.0", "method": "textDocument/didOpen", "params": { "textDocument": { "uri": uri, "languageId": "markdown", "version": 1, "text": text } } })).await;
    let diags = loop {
        let msg = tokio::time::timeout(Duration::from_secs(20), read_frame(&mut stdout)).await.unwrap().unwrap();
        if msg["method"] == "textDocument/publishDiagnostics"
            && msg["params"]["uri"] == uri.as_str()
            && !msg["params"]["diagnostics"].as_array().unwrap().is_empty()
        {
            break msg["params"]["diagnostics"].clone();
        }
    };
    let codes: Vec<&str> = diags.as_array().unwrap().iter().map(|d| d["code"].as_str().unwrap()).collect();
    assert!(codes.contains(&"skill/name-format"), "{codes:?}");
    // eglot sends shutdown with null params
    write_frame(&mut stdin, &json!({ "jsonrpc": "2.0", "id": 2, "method": "shutdown", "params": null })).await;
    let r = next_response(&mut stdout, 2).await;
    assert!(r.get("error").is_none(), "{r}");
    write_frame(&mut stdin, &json!({ "jsonrpc": "2.0", "method": "exit" })).await;
    // exits although stdin stays open
    let status = tokio::time::timeout(Duration::from_secs(10), child.wait()).await.expect("server exits on exit").unwrap();
    assert!(status.success());
    drop(stdin);
}

/// The built binary with piped stdio, killed when the handle drops.
pub fn spawn_server(args: &[&str]) -> (tokio::process::Child, tokio::process::ChildStdin, BufReader<tokio::process::ChildStdout>) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_llmos"))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let stdin = child.stdin.take().unwrap();
    let stdout = BufReader::new(child.stdout.take().unwrap());
    (child, stdin, stdout)
}

async fn next_response(r: &mut BufReader<tokio::process::ChildStdout>, id: i64) -> Value {
    loop {
        let msg = tokio::time::timeout(Duration::from_secs(20), read_frame(r)).await.unwrap().expect("server closed stdout");
        if msg["id"] == id && msg.get("method").is_none() {
            return msg;
        }
    }
}

#[tokio::test]
async fn malformed_json_rpc_gets_an_error_and_the_server_lives_on() {
    use tokio::io::AsyncWriteExt;
    let (_child, mut stdin, mut stdout) = spawn_server(&["lsp"]);
    let garbage = b"{not json";
    stdin.write_all(format!("Content-Length: {}\r\n\r\n", garbage.len()).as_bytes()).await.unwrap();
    stdin.write_all(garbage).await.unwrap();
    write_frame(&mut stdin, &json!({ "jsonrpc": "2.0", "id": 1, "method": "initialize", "params": { "processId": null, "capabilities": {} } })).await;
    let init = next_response(&mut stdout, 1).await;
    assert!(init["result"]["capabilities"].is_object(), "{init}");
}
