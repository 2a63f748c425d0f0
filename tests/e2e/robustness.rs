//! Inputs that used to crash, wedge, escape a volume, leak a key or lose work: each case
//! of issue 11, through the server or the built CLI as a user meets it.

use std::path::Path;
use std::process::{Command, Output};

use serde_json::{Value, json};

use crate::harness::{Options, TestServer};

fn llmos(args: &[&str], cwd: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_llmos")).args(args).current_dir(cwd).output().unwrap()
}

fn git_options() -> Options {
    Options { git_volumes: vec!["user", "team"], ..Options::default() }
}

/// `created:` values whose 11th byte falls inside a multi-byte character.
const BAD_DATES: &[&str] = &["2026-11-23é", "2026-11-23—noon", "2026-11-23\u{1F600}12:00", "2026-11-2é"];

#[test]
fn check_reports_a_created_date_cut_inside_a_character_instead_of_panicking() {
    for date in BAD_DATES {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("llmos.toml"), "").unwrap();
        let skill = dir.path().join("volumes/user/skills/dated/SKILL.md");
        std::fs::create_dir_all(skill.parent().unwrap()).unwrap();
        std::fs::write(&skill, format!("---\nname: dated\ndescription: Dated. Use when dating.\nmetadata:\n  created: {date}\n---\n")).unwrap();
        let session = dir.path().join("volumes/user/sessions/dated.md");
        std::fs::create_dir_all(session.parent().unwrap()).unwrap();
        std::fs::write(&session, format!("---\ntitle: Dated\ncreated: {date}\n---\n\n<!-- turn: user -->\nhi\n")).unwrap();
        let out = llmos(&["check", "--format", "json"], dir.path());
        assert_ne!(out.status.code(), Some(101), "{date}: {}", String::from_utf8_lossy(&out.stderr));
        let diags: Vec<Value> = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{date}: {e}: {}", String::from_utf8_lossy(&out.stderr)));
        assert!(diags.iter().any(|d| d["path"].as_str().unwrap().ends_with("dated.md")), "{date}: the session's bad date is reported: {diags:?}");
    }
}

#[tokio::test]
async fn pull_diagnostics_and_code_actions_on_a_bad_created_date_answer() {
    let s = TestServer::start("//- llmos.toml\n").await;
    for (i, date) in BAD_DATES.iter().enumerate() {
        let rel = format!("volumes/user/sessions/d{i}.md");
        let text = format!("---\ntitle: Dated\ncreated: {date}\n---\n\n<!-- turn: user -->\nhi\n");
        let uri = s.open_text(&rel, &text).await;
        let pulled = s.request("textDocument/diagnostic", json!({ "textDocument": { "uri": uri } })).await;
        let items = pulled["result"]["items"].as_array().unwrap_or_else(|| panic!("{date}: {pulled}"));
        assert!(items.iter().any(|d| d["range"]["start"]["line"] == 2), "{date}: the created line is flagged: {items:?}");
        let actions = s
            .request(
                "textDocument/codeAction",
                json!({ "textDocument": { "uri": uri }, "range": { "start": { "line": 2, "character": 0 }, "end": { "line": 2, "character": 9 } }, "context": { "diagnostics": items } }),
            )
            .await;
        assert!(actions.get("result").is_some(), "{date}: {actions}");
    }
}

#[tokio::test]
async fn hover_on_a_non_ascii_commit_field_answers() {
    let fixture =
        "//- llmos.toml\n//- volumes/user/sessions/s.md\n---\ntitle: S\nid: s\nstatus: uncommitted\ncommit: null\n---\n\n<!-- turn: user -->\nhello\n";
    let s = TestServer::start_with(fixture, git_options()).await;
    let uri = s.open("volumes/user/sessions/s.md").await;
    let r = s.request("workspace/executeCommand", json!({ "command": "llmos.session.commit", "arguments": [{ "uri": uri }] })).await;
    assert!(r.get("error").is_none(), "{r}");
    let text = s.text(&uri);
    let start = text.find("commit: ").unwrap() + "commit: ".len();
    let end = start + text[start..].find('\n').unwrap();
    s.edit(&uri, start..end, "ééééé").await;
    let hover = s.request("textDocument/hover", json!({ "textDocument": { "uri": uri }, "position": { "line": 4, "character": 10 } })).await;
    let value = hover["result"]["contents"]["value"].as_str().unwrap_or_else(|| panic!("{hover}"));
    assert!(value.contains("ééééé"), "{value}");
}
