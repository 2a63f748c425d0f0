//! Hover, completion, symbols, folding, navigation, rename and code lenses through the LSP.

use serde_json::{Value, json};

use crate::harness::TestServer;

const WS: &str = r#"
//- llmos.toml
//- volumes/user/skills/vqe/SKILL.md
---
name: vqe
description: Builds VQE circuits. Use when a molecule's ground state is needed.
---
# VQE
See [plot skill](../plotting/SKILL.md).
//- volumes/team/skills/plotting/SKILL.md
---
name: plotting
description: Plots data. Use when a chart is wanted.
---
//- volumes/system/skills/vqe/SKILL.md
---
name: vqe
description: System VQE. Use when nothing better exists.
---
//- volumes/user/artifacts/bell.circuit.json
{"numQubits": 2, "gates": [{"type": "H", "target": 0, "time": 0}, {"type": "CNOT", "control": 0, "target": 1, "time": 1}], "measurements": [0, 1]}
//- volumes/user/artifacts/data.csv
x,y
1,2
2,4
3,1
//- volumes/user/sessions/s.md
---
title: Quantum chat
id: s
skills: [vqe, plotting]
---

<!-- turn: user -->
Make a VQE and see [circuit](../artifacts/bell.circuit.json) and [data](../artifacts/data.csv).

<!-- turn: assistant model=m -->
Here:

```python artifact=vqe.py
print("hello")
```

<!-- turn: user -->
"#;

fn at(s: &TestServer, uri: &str, needle: &str, delta: usize) -> Value {
    let text = s.text(uri);
    let off = text.find(needle).unwrap_or_else(|| panic!("{needle} not in {text}")) + delta;
    json!({ "textDocument": { "uri": uri }, "position": crate::harness::pos(&text, off) })
}

async fn hover_text(s: &TestServer, params: Value) -> String {
    let h = s.call("textDocument/hover", params).await;
    h["contents"]["value"].as_str().unwrap_or_default().to_string()
}

#[tokio::test]
async fn hovers() {
    let s = TestServer::start(WS).await;
    let uri = s.open("volumes/user/sessions/s.md").await;
    // key docs
    assert!(hover_text(&s, at(&s, &uri, "skills:", 1)).await.contains("pinned into this session"));
    // skill card: the user vqe wins over the system one, used by 1 session
    let card = hover_text(&s, at(&s, &uri, "vqe, plotting", 1)).await;
    assert!(card.contains("**vqe** · skill · user volume · used by 1 session"), "{card}");
    assert!(card.contains("Builds VQE circuits"), "{card}");
    // circuit diagram
    let circuit = hover_text(&s, at(&s, &uri, "bell.circuit.json", 2)).await;
    assert!(circuit.contains("q0") && circuit.contains("q1") && circuit.contains('H'), "{circuit}");
    // csv: columns, rows, min/max
    let csv = hover_text(&s, at(&s, &uri, "data.csv", 1)).await;
    assert!(csv.contains("3 rows") || csv.contains("3 data rows"), "{csv}");
    // inline artifact
    let inline = hover_text(&s, at(&s, &uri, "artifact=vqe.py", 3)).await;
    assert!(inline.contains("print(\"hello\")"), "{inline}");
}

#[tokio::test]
async fn outside_links_are_never_read() {
    let s = TestServer::start("//- llmos.toml\n//- volumes/user/sessions/o.md\n---\ntitle: O\nid: o\n---\n<!-- turn: user -->\n[secret](../../../secret.txt) [abs](/etc/hostname)\n//- secret.txt\nTOP SECRET\n").await;
    let uri = s.open("volumes/user/sessions/o.md").await;
    for needle in ["secret.txt", "/etc/hostname"] {
        let h = hover_text(&s, at(&s, &uri, needle, 1)).await;
        assert!(h.contains("leaves the volume"), "{h}");
        assert!(!h.contains("TOP SECRET"));
    }
}

#[tokio::test]
async fn completion_of_keys_values_skills_markers_and_paths() {
    let s = TestServer::start(WS).await;
    let uri = s.open("volumes/user/sessions/s.md").await;
    let labels = |v: &Value| v.as_array().map(|a| a.iter().map(|i| i["label"].as_str().unwrap().to_string()).collect::<Vec<_>>()).unwrap_or_default();
    // a new key line in the frontmatter
    let text = s.text(&uri);
    let at_key = text.find("skills:").unwrap();
    s.edit(&uri, at_key..at_key, "st\n").await;
    let got = labels(&s.call("textDocument/completion", at(&s, &uri, "st\n", 2)).await);
    assert!(got.contains(&"status".to_string()) && !got.contains(&"title".to_string()), "{got:?}");
    // status values
    let text = s.text(&uri);
    let i = text.find("st\n").unwrap();
    s.edit(&uri, i..i + 2, "status: ").await;
    let got = labels(&s.call("textDocument/completion", at(&s, &uri, "status: ", 8)).await);
    assert_eq!(got, ["uncommitted", "committed"]);
    // pinned skill names, one per name (the user vqe wins over the system one), with descriptions
    let got = s.call("textDocument/completion", at(&s, &uri, "[vqe", 1)).await;
    assert_eq!(labels(&got), ["plotting", "vqe"]);
    assert!(got[1]["documentation"].as_str().unwrap().contains("Builds VQE"));
    let got = s.call("textDocument/completion", at(&s, &uri, "[vqe", 2)).await;
    assert_eq!(labels(&got), ["vqe"], "filtered by what is typed");
    // turn markers on an empty body line
    let end = s.text(&uri).len();
    s.edit(&uri, end..end, "<").await;
    let got = labels(&s.call("textDocument/completion", at(&s, &uri, "\n<", 2)).await);
    assert!(got.contains(&"<!-- turn: assistant -->".to_string()), "{got:?}");
    // artifact paths inside links
    let end = s.text(&uri).len();
    s.edit(&uri, end - 1..end, "[x](../ar").await;
    let got = labels(&s.call("textDocument/completion", at(&s, &uri, "[x](../ar", 9)).await);
    assert_eq!(got, ["../artifacts/"]);
    let end = s.text(&uri).len();
    s.edit(&uri, end..end, "tifacts/d").await;
    let got = labels(&s.call("textDocument/completion", at(&s, &uri, "[x](../artifacts/d", 18)).await);
    assert_eq!(got, ["../artifacts/data.csv"]);
    // never outside the volume
    let end = s.text(&uri).len();
    s.edit(&uri, end..end, ")\n[y](../../../").await;
    let got = s.call("textDocument/completion", at(&s, &uri, "[y](../../../", 13)).await;
    assert!(got.is_null(), "{got}");
}

#[tokio::test]
async fn symbols_and_folding() {
    let s = TestServer::start(WS).await;
    let uri = s.open("volumes/user/sessions/s.md").await;
    let syms = s.call("textDocument/documentSymbol", json!({ "textDocument": { "uri": uri } })).await;
    let names: Vec<&str> = syms.as_array().unwrap().iter().map(|s| s["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["User: Make a VQE and see [circuit](../artifacts/bell.circuit.json)…", "Assistant: Here:", "User: (empty)"]);
    let folds = s.call("textDocument/foldingRange", json!({ "textDocument": { "uri": uri } })).await;
    let lines: Vec<(u64, u64)> = folds.as_array().unwrap().iter().map(|f| (f["startLine"].as_u64().unwrap(), f["endLine"].as_u64().unwrap())).collect();
    assert_eq!(lines[0], (0, 4), "frontmatter fold: {lines:?}");
    assert_eq!(lines.len(), 3, "{lines:?}");
    let ws = s.call("workspace/symbol", json!({ "query": "plt" })).await;
    let hits: Vec<(&str, &str)> = ws.as_array().unwrap().iter().map(|s| (s["name"].as_str().unwrap(), s["containerName"].as_str().unwrap())).collect();
    assert_eq!(hits[0], ("plotting", "team skill"), "{hits:?}");
    let ws = s.call("workspace/symbol", json!({ "query": "quantum" })).await;
    assert!(ws.as_array().unwrap().iter().any(|s| s["name"] == "Quantum chat" && s["containerName"] == "user session"));
}

#[tokio::test]
async fn definition_references_and_lenses() {
    let s = TestServer::start(WS).await;
    let uri = s.open("volumes/user/sessions/s.md").await;
    let def = s.call("textDocument/definition", at(&s, &uri, "vqe, plotting", 0)).await;
    assert!(def["uri"].as_str().unwrap().ends_with("volumes/user/skills/vqe/SKILL.md"), "{def}");
    let def = s.call("textDocument/definition", at(&s, &uri, "data.csv", 0)).await;
    assert!(def["uri"].as_str().unwrap().ends_with("volumes/user/artifacts/data.csv"), "{def}");
    let skill = s.open("volumes/team/skills/plotting/SKILL.md").await;
    let refs = s
        .call(
            "textDocument/references",
            json!({ "textDocument": { "uri": skill }, "position": { "line": 1, "character": 7 }, "context": { "includeDeclaration": false } }),
        )
        .await;
    let files: Vec<&str> = refs.as_array().unwrap().iter().map(|l| l["uri"].as_str().unwrap()).collect();
    assert_eq!(files.len(), 1);
    assert!(files[0].ends_with("sessions/s.md"));
    let lenses = s.call("textDocument/codeLens", json!({ "textDocument": { "uri": skill } })).await;
    let titles: Vec<&str> = lenses.as_array().unwrap().iter().map(|l| l["command"]["title"].as_str().unwrap()).collect();
    assert_eq!(titles, ["used by 1 session"], "system is read-only so no promote lens from team");
    let lenses = s.call("textDocument/codeLens", json!({ "textDocument": { "uri": uri } })).await;
    let titles: Vec<&str> = lenses.as_array().unwrap().iter().map(|l| l["command"]["title"].as_str().unwrap()).collect();
    assert_eq!(titles, ["Send", "Commit session"]);
}

#[tokio::test]
async fn rename_skill_everywhere() {
    let s = TestServer::start(WS).await;
    let uri = s.open("volumes/user/sessions/s.md").await;
    let prep = s.call("textDocument/prepareRename", at(&s, &uri, "plotting]", 1)).await;
    assert_eq!(prep["placeholder"], "plotting");
    let bad = s
        .request("textDocument/rename", json!({ "textDocument": { "uri": uri }, "position": at(&s, &uri, "plotting]", 1)["position"], "newName": "Bad Name" }))
        .await;
    assert!(bad["error"]["message"].as_str().unwrap().contains("not a valid skill name"), "{bad}");
    let on_text = s.request("textDocument/prepareRename", at(&s, &uri, "Make a VQE", 1)).await;
    assert!(on_text.get("error").is_some());
    let edit = s
        .call("textDocument/rename", json!({ "textDocument": { "uri": uri }, "position": at(&s, &uri, "plotting]", 1)["position"], "newName": "charts" }))
        .await;
    let ops = edit["documentChanges"].as_array().unwrap();
    let last = ops.last().unwrap();
    assert_eq!(last["kind"], "rename");
    assert!(last["newUri"].as_str().unwrap().ends_with("volumes/team/skills/charts"));
    let texts: Vec<String> = ops
        .iter()
        .filter(|o| o.get("edits").is_some())
        .flat_map(|o| o["edits"].as_array().unwrap().iter().map(|e| e["newText"].as_str().unwrap().to_string()))
        .collect();
    // the skill's name, the pinned name in the session, and the link in the vqe skill is not a session: 2 edits
    assert_eq!(texts, ["charts", "charts"], "{ops:#?}");
}

#[tokio::test]
async fn hover_on_key_docs_at_the_cursor() {
    let s = TestServer::start("//- llmos.toml\n//- volumes/user/skills/k/SKILL.md\n---\nname: k\ndescription: Use when hovering.\nlicen$0se: MIT\n---\n").await;
    s.open("volumes/user/skills/k/SKILL.md").await;
    let h = hover_text(&s, s.at_cursor()).await;
    assert!(h.starts_with("**license**\n\nThe licence the skill is shared under"), "{h}");
}

#[tokio::test]
async fn llmos_toml_hover_and_completion() {
    let s = TestServer::start("//- llmos.toml\n[llm]\nprovider = \"openai\"\n\n[evolution.user]\nevery = \"24h\"\n\n").await;
    let uri = s.open("llmos.toml").await;
    let h = hover_text(&s, at(&s, &uri, "provider", 2)).await;
    assert!(h.starts_with("**provider**") && h.contains("OpenRouter"), "{h}");
    let h = hover_text(&s, at(&s, &uri, "every", 1)).await;
    assert!(h.contains("\"7d\""), "{h}");
    let labels = |v: &Value| v.as_array().map(|a| a.iter().map(|i| i["label"].as_str().unwrap().to_string()).collect::<Vec<_>>()).unwrap_or_default();
    let end = s.text(&uri).len();
    let got = labels(&s.call("textDocument/completion", json!({ "textDocument": { "uri": uri }, "position": crate::harness::pos(&s.text(&uri), end) })).await);
    assert!(got.contains(&"min_confidence".to_string()) && !got.contains(&"provider".to_string()), "{got:?}");
    s.edit(&uri, end..end, "[").await;
    let got =
        labels(&s.call("textDocument/completion", json!({ "textDocument": { "uri": uri }, "position": crate::harness::pos(&s.text(&uri), end + 1) })).await);
    assert!(got.contains(&"github".to_string()), "{got:?}");
}

#[tokio::test]
async fn pull_diagnostics_utf8_positions_and_rule_severities() {
    use crate::harness::Options;
    // A client that pulls: the server advertises a diagnostic provider and answers pulls.
    let mut options = Options::default();
    options.capabilities["textDocument"]["diagnostic"] = json!({ "dynamicRegistration": false });
    options.capabilities["workspace"]["diagnostics"] = json!({ "refreshSupport": true });
    let s = TestServer::start_with("//- llmos.toml\n[rules]\n\"skill/name-format\" = \"warning\"\n\"skill/description-when\" = \"off\"\n//- volumes/user/skills/Bad/SKILL.md\n---\nname: Bad\ndescription: Déjà vu 😀 stuff\n---\n", options).await;
    let uri = s.open("volumes/user/skills/Bad/SKILL.md").await;
    let report = s.call("textDocument/diagnostic", json!({ "textDocument": { "uri": uri } })).await;
    let items = report["items"].as_array().unwrap();
    let codes: Vec<&str> = items.iter().map(|d| d["code"].as_str().unwrap()).collect();
    assert_eq!(codes, ["skill/name-format"], "description-when is off; the name-mismatch with folder `Bad` is not raised as the name is invalid");
    assert_eq!(items[0]["severity"], 2, "raised to warning by llmos.toml");
    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    assert!(!s.seen.lock().unwrap().iter().any(|m| m["method"] == "textDocument/publishDiagnostics"), "no push when the client pulls");

    // A client that offers UTF-8 positions gets byte columns.
    let mut options = Options::default();
    options.capabilities["general"] = json!({ "positionEncodings": ["utf-8", "utf-16"] });
    let s = TestServer::start_with(
        "//- llmos.toml\n//- volumes/user/sessions/u.md\n---\ntitle: U\nid: u\nskills: [é😀, x]\n---\n<!-- turn: user -->\nhi\n",
        options,
    )
    .await;
    let uri = s.open("volumes/user/sessions/u.md").await;
    let diags = s.diagnostics(&uri, Some(1)).await;
    let x = diags.iter().find(|d| d["message"].as_str().unwrap().contains("`x`")).expect("unknown skill x");
    // `skills: [é😀, ` is 17 bytes (14 UTF-16 units)
    assert_eq!(x["range"]["start"], json!({ "line": 3, "character": 17 }));
}

#[tokio::test]
async fn editor_settings_override_llmos_toml() {
    use crate::harness::Options;
    let options = Options {
        init_options: json!({ "debounceMs": 0, "scheduler": false, "llm": { "provider": "openai", "model": "from-editor", "baseUrl": "http://127.0.0.1:9/v1", "apiKeyEnv": "" }, "evolution": { "user": { "every": "12h" }, "team": { "every": "off" } } }),
        ..Options::default()
    };
    let s = TestServer::start_with("//- llmos.toml\n[llm]\nprovider = \"anthropic\"\nmodel = \"from-file\"\n", options).await;
    // params `{}` are accepted as well as none
    let status = s.call("llmos/status", json!({})).await;
    assert_eq!(status["provider"]["provider"], "openai");
    assert_eq!(status["provider"]["model"], "from-editor");
    let jobs = status["jobs"].as_array().unwrap();
    assert_eq!(jobs[0]["every"], "12h 0m");
    assert!(jobs[1]["every"].is_null(), "team job turned off: {jobs:?}");
    // a later change of settings re-reads llmos.toml and applies the new ones
    s.notify("workspace/didChangeConfiguration", json!({ "settings": { "llmos": { "llm": { "model": "changed" } } } })).await;
    let mut model = Value::Null;
    for _ in 0..200 {
        model = s.call("llmos/status", json!(null)).await["provider"]["model"].clone();
        if model == "changed" {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    assert_eq!(model, "changed");
}

/// "What the agent sees": the description's size against the standard and Claude
/// Code's listing cut, on hover, as a diagnostic under the claude-code profile, and as
/// the workspace's listing size per profile in `llmos/status`.
#[tokio::test]
async fn the_agent_listing_in_hover_diagnostics_and_status() {
    // Sizes computed here, independently: 1,000 two-byte characters and 600 more.
    let description = "é".repeat(1000);
    let when = "w".repeat(600);
    let fixture = format!(
        "//- llmos.toml\nprofile = \"claude-code\"\n//- volumes/user/skills/big/SKILL.md\n---\nname: big\ndescription: \"{description}\"\nwhen_to_use: \"{when}\"\neffort: xhigh\ncontext: fork\nshell: powershell\ndisallowed-tools: [Bash]\n---\nBody.\n//- volumes/team/skills/small/SKILL.md\n---\nname: small\ndescription: Use when small.\n---\n"
    );
    let s = TestServer::start(&fixture).await;
    let uri = s.open("volumes/user/skills/big/SKILL.md").await;
    let diags = s.current_diagnostics(&uri).await;
    let codes: Vec<&str> = diags.iter().map(|d| d["code"].as_str().unwrap()).collect();
    assert_eq!(codes, ["skill/listing-cut"], "current Claude Code keys are known: {diags:#?}");
    assert!(diags[0]["message"].as_str().unwrap().contains("1601 characters"), "{diags:#?}");
    let hover = hover_text(&s, at(&s, &uri, "description:", 2)).await;
    assert!(hover.contains("description: 1000 / 1024 characters"), "{hover}");
    assert!(hover.contains("1601 / 1536 characters — cut before"), "{hover}");
    let on_value = hover_text(&s, at(&s, &uri, "éé", 1)).await;
    assert!(on_value.contains("What the agent sees"), "{on_value}");

    let status = s.call("llmos/status", json!(null)).await;
    let entry = |name: &str, text_chars: usize| name.chars().count() + 2 + text_chars;
    let small = entry("small", "Use when small.".chars().count());
    assert_eq!(status["listing"]["agentskills"]["chars"], entry("big", 1000) + small, "{status}");
    assert_eq!(status["listing"]["claude-code"]["chars"], entry("big", 1536) + small, "{status}");
    assert_eq!(status["listing"]["claude-code"]["skills"], 2);
}

#[tokio::test]
async fn hover_and_definition_over_a_links_text_and_destination() {
    let s = TestServer::start(WS).await;
    // In a skill: `See [plot skill](../plotting/SKILL.md).`
    let skill = s.open("volumes/user/skills/vqe/SKILL.md").await;
    for (needle, delta) in [("[plot skill]", 0), ("plot skill]", 3), ("../plotting/SKILL.md", 4)] {
        let h = hover_text(&s, at(&s, &skill, needle, delta)).await;
        assert!(h.contains("Plots data"), "hover at {needle}+{delta}: {h}");
        let def = s.call("textDocument/definition", at(&s, &skill, needle, delta)).await;
        assert!(def["uri"].as_str().is_some_and(|u| u.ends_with("volumes/team/skills/plotting/SKILL.md")), "definition at {needle}+{delta}: {def}");
    }
    assert_eq!(hover_text(&s, at(&s, &skill, "See [", 1)).await, "", "no hover before the link");
    // In a session: `[data](../artifacts/data.csv)`, on the text.
    let session = s.open("volumes/user/sessions/s.md").await;
    let h = hover_text(&s, at(&s, &session, "[data]", 2)).await;
    assert!(h.contains("3 rows") || h.contains("3 data rows"), "{h}");
    let def = s.call("textDocument/definition", at(&s, &session, "[data]", 2)).await;
    assert!(def["uri"].as_str().is_some_and(|u| u.ends_with("volumes/user/artifacts/data.csv")), "{def}");
}
