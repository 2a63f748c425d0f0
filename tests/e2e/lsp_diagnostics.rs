//! Diagnostics through the LSP: every rule family, exact ranges, quick fixes, ordering
//! under a burst of edits, file watching, bad input.

use serde_json::{Value, json};

use crate::harness::{TestServer, pos};

fn codes(diags: &[Value]) -> Vec<String> {
    let mut c: Vec<String> = diags.iter().map(|d| d["code"].as_str().unwrap_or_default().to_string()).collect();
    c.sort();
    c
}

/// The text each diagnostic covers, as `code: text`.
fn covered(text: &str, diags: &[Value]) -> Vec<String> {
    let mut out: Vec<String> = diags
        .iter()
        .map(|d| {
            let s = crate::harness::offset(text, &d["range"]["start"]);
            let e = crate::harness::offset(text, &d["range"]["end"]);
            format!("{}: {}", d["code"].as_str().unwrap(), &text[s..e])
        })
        .collect();
    out.sort();
    out
}

const WS: &str = r#"
//- llmos.toml
//- volumes/user/skills/good-skill/SKILL.md
---
name: good-skill
description: Does good things. Use when things need doing.
---
# Good
//- volumes/user/skills/bad-folder/SKILL.md
---
name: Bad_Name
description: ""
colour: red
---
body
//- volumes/team/skills/good-skill/SKILL.md
---
name: good-skill
description: The team version. Use when the team needs it.
---
//- volumes/user/sessions/s1.md
---
title: First
id: s1
status: maybe
skills: [good-skill, missing-skill]
---
stray text
<!-- turn: user -->
Look at [data](../artifacts/nope.csv) and [out](../../../etc/passwd).
<!-- turn: robot -->
hi
<!-- turn: user -->

<!-- turn: assistant -->
ok
<!-- turn user -->
"#;

#[tokio::test]
async fn skill_rules_with_exact_ranges() {
    let s = TestServer::start(WS).await;
    let uri = s.open("volumes/user/skills/bad-folder/SKILL.md").await;
    let text = s.text(&uri);
    let diags = s.current_diagnostics(&uri).await;
    assert_eq!(covered(&text, &diags), ["skill/description-missing: description: \"\"", "skill/name-format: Bad_Name", "skill/unknown-key: colour",]);
    let d = diags.iter().find(|d| d["code"] == "skill/name-format").unwrap();
    assert_eq!(d["severity"], 1);
    assert_eq!(d["source"], "llmos");
    assert!(d["codeDescription"]["href"].as_str().unwrap().contains("skill-name-format"));
}

#[tokio::test]
async fn shadowing_is_information_on_both_sides() {
    let s = TestServer::start(WS).await;
    let user = s.open("volumes/user/skills/good-skill/SKILL.md").await;
    let team = s.open("volumes/team/skills/good-skill/SKILL.md").await;
    let du = s.current_diagnostics(&user).await;
    let dt = s.current_diagnostics(&team).await;
    assert_eq!(codes(&du), ["skill/shadowed"]);
    assert_eq!(du[0]["severity"], 3);
    assert!(du[0]["message"].as_str().unwrap().contains("shadows the team skill"));
    assert!(codes(&dt).contains(&"skill/shadowed".to_string()));
    assert!(dt.iter().any(|d| d["message"].as_str().unwrap().contains("shadowed by the user skill")));
}

#[tokio::test]
async fn session_rules() {
    let s = TestServer::start(WS).await;
    let uri = s.open("volumes/user/sessions/s1.md").await;
    let text = s.text(&uri);
    let diags = s.current_diagnostics(&uri).await;
    assert_eq!(
        covered(&text, &diags),
        [
            "session/broken-artifact: ../artifacts/nope.csv",
            "session/empty-user-turn: <!-- turn: user -->",
            "session/key-type: maybe",
            "session/link-outside-volume: ../../../etc/passwd",
            "session/malformed-marker: <!-- turn user -->",
            "session/text-before-first-turn: stray text",
            "session/unknown-role: robot",
            "session/unknown-skill: missing-skill",
        ]
    );
}

#[tokio::test]
async fn yaml_syntax_error_points_at_the_parser_position_with_a_quote_fix() {
    let s = TestServer::start("//- llmos.toml\n//- volumes/user/skills/q/SKILL.md\n---\nname: q\ndescription: Use this: when quoting\n---\n").await;
    let uri = s.open("volumes/user/skills/q/SKILL.md").await;
    let diags = s.current_diagnostics(&uri).await;
    assert_eq!(codes(&diags), ["frontmatter/yaml-syntax"]);
    assert_eq!(diags[0]["range"]["start"]["line"], 2, "{diags:?}");
    assert!(diags[0]["range"]["start"]["character"].as_u64().unwrap() > 0);
    let actions =
        s.call("textDocument/codeAction", json!({ "textDocument": { "uri": uri }, "range": diags[0]["range"], "context": { "diagnostics": diags } })).await;
    let fix = actions.as_array().unwrap().iter().find(|a| a["title"] == "Quote the value of `description`").expect("quote fix");
    let edits = fix["edit"]["changes"][&uri].as_array().unwrap();
    let fixed = crate::harness::apply_text_edits(&s.text(&uri), edits);
    assert!(fixed.contains("description: \"Use this: when quoting\""), "{fixed}");
    // applying the fix clears the diagnostic
    s.edit(&uri, 0..s.text(&uri).len(), &fixed).await;
    assert!(s.current_diagnostics(&uri).await.is_empty());
}

#[tokio::test]
async fn quick_fixes_add_name_move_key_and_rename_folder() {
    let fixture = "//- llmos.toml\nprofile = \"agentskills\"\n//- volumes/user/skills/pdf-tools/SKILL.md\n---\ndescription: Reads PDFs. Use when a PDF must be read.\nauthor: ann\n---\n//- volumes/user/skills/wrong-folder/SKILL.md\n---\nname: right-name\ndescription: Use when testing renames.\n---\n";
    let s = TestServer::start(fixture).await;
    let uri = s.open("volumes/user/skills/pdf-tools/SKILL.md").await;
    let diags = s.current_diagnostics(&uri).await;
    assert_eq!(codes(&diags), ["skill/name-missing", "skill/unknown-key"]);
    let unknown = diags.iter().find(|d| d["code"] == "skill/unknown-key").unwrap();
    assert_eq!(unknown["severity"], 1, "agentskills makes unknown keys errors");
    let mut text = s.text(&uri);
    for title in ["Add `name: pdf-tools`", "Move `author` under `metadata`"] {
        // Ask again after each fix: a fix's edits are computed against the current text.
        let actions = s
            .call(
                "textDocument/codeAction",
                json!({ "textDocument": { "uri": uri }, "range": { "start": pos("", 0), "end": pos(&text, text.len()) }, "context": { "diagnostics": [] } }),
            )
            .await;
        let a = actions.as_array().unwrap().iter().find(|a| a["title"] == title).unwrap_or_else(|| panic!("{title} in {actions:#}"));
        let edits = a["edit"]["changes"][&uri].as_array().unwrap();
        text = crate::harness::apply_text_edits(&text, edits);
        s.edit(&uri, 0..s.text(&uri).len(), &text).await;
    }
    assert_eq!(text, "---\nname: pdf-tools\ndescription: Reads PDFs. Use when a PDF must be read.\nmetadata:\n  author: ann\n---\n");
    assert!(s.current_diagnostics(&uri).await.is_empty());

    let uri2 = s.open("volumes/user/skills/wrong-folder/SKILL.md").await;
    let diags = s.current_diagnostics(&uri2).await;
    assert_eq!(codes(&diags), ["skill/name-mismatch"]);
    let actions =
        s.call("textDocument/codeAction", json!({ "textDocument": { "uri": uri2 }, "range": diags[0]["range"], "context": { "diagnostics": diags } })).await;
    let rename = actions.as_array().unwrap().iter().find(|a| a["title"] == "Rename the folder to `right-name`").expect("rename fix");
    let op = &rename["edit"]["documentChanges"][0];
    assert_eq!(op["kind"], "rename");
    assert!(op["oldUri"].as_str().unwrap().ends_with("/skills/wrong-folder"));
    assert!(op["newUri"].as_str().unwrap().ends_with("/skills/right-name"));
}

#[tokio::test]
async fn config_diagnostics() {
    let s = TestServer::start("//- llmos.toml\ncolour = 1\n[evolution.user]\nevery = \"soon\"\n").await;
    let uri = s.open("llmos.toml").await;
    let diags = s.current_diagnostics(&uri).await;
    assert_eq!(covered(&s.text(&uri), &diags), ["config/bad-duration: \"soon\"", "config/unknown-key: colour"]);
}

#[tokio::test]
async fn burst_of_edits_applies_in_order() {
    let s = TestServer::start("//- llmos.toml\n//- volumes/user/sessions/b.md\n---\ntitle: B\nid: b\n---\n<!-- turn: user -->\n").await;
    let uri = s.open("volumes/user/sessions/b.md").await;
    let typed: String = (0..400).map(|i| char::from(b'a' + (i % 26) as u8)).collect();
    for ch in typed.chars() {
        let end = s.text(&uri).len();
        s.edit(&uri, end..end, &ch.to_string()).await;
    }
    // The server's view must equal the editor's: ask for the symbols of the last turn.
    let syms = s.call("textDocument/documentSymbol", json!({ "textDocument": { "uri": uri } })).await;
    let name = syms[0]["name"].as_str().unwrap().to_string();
    assert_eq!(name, format!("User: {}…", &typed[..60]));
    let diags = s.current_diagnostics(&uri).await;
    assert!(diags.is_empty(), "{diags:?}");
    let export = s.call("workspace/executeCommand", json!({ "command": "llmos.session.export", "arguments": [{ "uri": uri, "format": "json" }] })).await;
    assert_eq!(export["content"]["messages"][0]["content"], typed.as_str());
}

#[tokio::test]
async fn file_watching_updates_dependants() {
    let s = TestServer::start("//- llmos.toml\n//- volumes/user/skills/dep/SKILL.md\n---\nname: dep\ndescription: Use when depending.\n---\n//- volumes/user/sessions/p.md\n---\ntitle: P\nid: p\nskills: [dep]\n---\n<!-- turn: user -->\nhi\n").await;
    let uri = s.open("volumes/user/sessions/p.md").await;
    assert!(s.current_diagnostics(&uri).await.is_empty());
    // The skill folder is deleted outside the editor (git checkout).
    let dir = s.path("volumes/user/skills/dep");
    std::fs::remove_dir_all(&dir).unwrap();
    s.forget_diagnostics(&uri);
    s.notify(
        "workspace/didChangeWatchedFiles",
        json!({ "changes": [{ "uri": crate::harness::uri_of(&dir.join("SKILL.md")), "type": 3 }, { "uri": crate::harness::uri_of(&dir), "type": 3 }] }),
    )
    .await;
    let diags = s.diagnostics(&uri, None).await;
    assert_eq!(codes(&diags), ["session/unknown-skill"]);
    // And comes back.
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("SKILL.md"), "---\nname: dep\ndescription: Use when depending.\n---\n").unwrap();
    s.forget_diagnostics(&uri);
    s.notify("workspace/didChangeWatchedFiles", json!({ "changes": [{ "uri": crate::harness::uri_of(&dir.join("SKILL.md")), "type": 1 }] })).await;
    assert!(s.diagnostics(&uri, None).await.is_empty());
    // The server registered its watchers with the client.
    assert!(s.requests.lock().unwrap().iter().any(|(m, _)| m == "client/registerCapability"));
}

#[tokio::test]
async fn bad_input_never_breaks_the_server() {
    let s = TestServer::start("//- llmos.toml\n//- volumes/user/skills/x/SKILL.md\n---\nname: x\ndescription: Use when x.\n---\n").await;
    // invalid UTF-8 and binary files on disk are indexed without a crash
    std::fs::write(s.path("volumes/user/skills/bin/SKILL.md"), [0u8, 159, 146, 150, 0, 1]).ok();
    // a skill with a never-closed frontmatter
    let unclosed = s.open_text("volumes/user/skills/u/SKILL.md", "---\nname: u\ndescription: never closed\n").await;
    let d = s.current_diagnostics(&unclosed).await;
    assert_eq!(codes(&d), ["frontmatter/unclosed"]);
    assert_eq!(d[0]["range"]["start"]["line"], 0);
    // an empty file
    let empty = s.open_text("volumes/user/skills/e/SKILL.md", "").await;
    assert_eq!(codes(&s.current_diagnostics(&empty).await), ["frontmatter/missing"]);
    // a binary buffer
    let binary = s.open_text("volumes/user/skills/b/SKILL.md", "\u{0}\u{0}garbage").await;
    assert_eq!(codes(&s.current_diagnostics(&binary).await), ["file/binary"]);
    // a 50 MB file: over the size limit, reported, not parsed
    let big = "x".repeat(50 * 1024 * 1024);
    let huge = s.open_text("volumes/user/sessions/huge.md", &big).await;
    assert_eq!(codes(&s.current_diagnostics(&huge).await), ["file/too-large"]);
    // positions past the end of a line and of the document
    let x = s.open("volumes/user/skills/x/SKILL.md").await;
    let hover = s.request("textDocument/hover", json!({ "textDocument": { "uri": x }, "position": { "line": 1, "character": 999 } })).await;
    assert!(hover.get("error").is_none());
    let far = s.request("textDocument/completion", json!({ "textDocument": { "uri": x }, "position": { "line": 9999, "character": 9999 } })).await;
    assert!(far.get("error").is_none());
    s.edit(&x, 0..0, "").await;
    s.notify("textDocument/didChange", json!({ "textDocument": { "uri": x, "version": 99 }, "contentChanges": [{ "range": { "start": { "line": 500, "character": 3 }, "end": { "line": 900, "character": 0 } }, "text": "tail" }] })).await;
    // unknown URIs
    let unknown =
        s.request("textDocument/hover", json!({ "textDocument": { "uri": "file:///nowhere/x.md" }, "position": { "line": 0, "character": 0 } })).await;
    assert!(unknown.get("error").is_none());
    let weird = s.request("textDocument/documentSymbol", json!({ "textDocument": { "uri": "untitled:Untitled-1" } })).await;
    assert!(weird.get("error").is_none());
    // malformed params: an error answer, and the server keeps serving
    let bad = s.request("textDocument/hover", json!({ "nonsense": true })).await;
    assert!(bad.get("error").is_some());
    let status = s.call("llmos/status", json!(null)).await;
    assert_eq!(status["ready"], true);
    s.shutdown().await;
}

#[tokio::test]
async fn top_level_provenance_warns_and_one_fix_makes_the_skill_portable() {
    let skill = "---\nname: old-evolved\ndescription: Evolved. Use when testing.\nsource: evolution\nconfidence: 0.9\ncommits:\n  - abc\n  - def\nkeywords: [csv, chart]\n---\n\nBody.\n";
    let fixture = format!("//- volumes/user/skills/old-evolved/SKILL.md\n{skill}");
    let s = TestServer::start(&fixture).await;
    let uri = s.open("volumes/user/skills/old-evolved/SKILL.md").await;
    let diags = s.current_diagnostics(&uri).await;
    // The llmos profile warns on each provenance key (keywords stay an llmos key).
    assert_eq!(codes(&diags), ["skill/not-portable", "skill/not-portable", "skill/not-portable"]);
    assert!(diags.iter().all(|d| d["severity"] == 2), "{diags:#?}");
    let text = s.text(&uri);
    let actions = s
        .call(
            "textDocument/codeAction",
            json!({ "textDocument": { "uri": uri }, "range": diags[0]["range"], "context": { "diagnostics": [diags[0].clone()] } }),
        )
        .await;
    let titles: Vec<&str> = actions.as_array().unwrap().iter().map(|a| a["title"].as_str().unwrap()).collect();
    assert!(titles.contains(&"Move `llmos-source` under `metadata`"), "{titles:?}");
    let all = actions.as_array().unwrap().iter().find(|a| a["title"].as_str().unwrap().starts_with("Move every non-standard key")).expect("whole fix");
    let fixed = crate::harness::apply_text_edits(&text, all["edit"]["changes"][&uri].as_array().unwrap());
    assert_eq!(
        fixed,
        "---\nname: old-evolved\ndescription: Evolved. Use when testing.\nmetadata:\n  llmos-source: \"evolution\"\n  llmos-confidence: \"0.9\"\n  llmos-commits: \"abc def\"\n  llmos-keywords: \"csv, chart\"\n---\n\nBody.\n"
    );
    s.edit(&uri, 0..text.len(), &fixed).await;
    assert!(s.current_diagnostics(&uri).await.is_empty());
}

#[tokio::test]
async fn an_unclosed_fence_is_flagged_and_fixed_and_code_actions_honour_only() {
    let s = TestServer::start(
        "//- llmos.toml\n//- volumes/user/sessions/f.md\n---\ntitle: F\nid: f\n---\n<!-- turn: user -->\nloop?\n\n<!-- turn: assistant model=m -->\n```python\nfor i in x:\n\n<!-- turn: user -->\nmore\n",
    )
    .await;
    let uri = s.open("volumes/user/sessions/f.md").await;
    let diags = s.current_diagnostics(&uri).await;
    assert_eq!(codes(&diags), ["session/unclosed-fence"], "{diags:?}");
    assert_eq!(covered(&s.text(&uri), &diags), ["session/unclosed-fence: ```python"]);
    let ask = |only: Value| {
        let diags = diags.clone();
        let uri = uri.clone();
        let s = &s;
        async move {
            s.call(
                "textDocument/codeAction",
                json!({ "textDocument": { "uri": uri }, "range": diags[0]["range"], "context": { "diagnostics": diags, "only": only } }),
            )
            .await
        }
    };
    let kinds = |actions: &Value| actions.as_array().unwrap().iter().map(|a| a["kind"].as_str().unwrap_or_default().to_string()).collect::<Vec<_>>();
    let quick = ask(json!(["quickfix"])).await;
    assert_eq!(kinds(&quick), ["quickfix"], "{quick}");
    let source = ask(json!(["source"])).await;
    assert!(!kinds(&source).is_empty() && kinds(&source).iter().all(|k| k == "source"), "{source}");
    assert!(kinds(&ask(json!(["source.fixAll"])).await).is_empty(), "a sub-kind does not match its parent");
    assert!(kinds(&ask(json!(["refactor"])).await).is_empty());
    // the fix closes the fence before the swallowed marker; the session is whole again
    let edits = quick[0]["edit"]["changes"][&uri].as_array().unwrap();
    let fixed = crate::harness::apply_text_edits(&s.text(&uri), edits);
    assert!(fixed.ends_with("```python\nfor i in x:\n\n```\n\n<!-- turn: user -->\nmore\n"), "{fixed}");
    s.edit(&uri, 0..s.text(&uri).len(), &fixed).await;
    assert!(s.current_diagnostics(&uri).await.is_empty());
}
