//! What an editor shows, as snapshots a reviewer can read: hover, completion, code
//! actions, document symbols and diagnostics, each over a fixture whose `$0` marks the
//! cursor. Workspace paths are redacted to `file:///WS/…`. After a deliberate change,
//! review and accept with `cargo insta review` (or `INSTA_UPDATE=always`).

use serde_json::{Value, json};

use crate::harness::TestServer;

const VOLUME: &str = r#"
//- llmos.toml
//- volumes/user/skills/chart-csv/SKILL.md
---
name: chart-csv
description: Draws charts from CSV files with pandas and matplotlib. Use when a user asks for a chart of tabular data.
license: Apache-2.0
---
# Chart a CSV
Read it with `pandas.read_csv`, plot, `plt.savefig`.
//- volumes/team/skills/sql-report/SKILL.md
---
name: sql-report
description: Writes SQL reports. Use when a summary table is wanted.
---
//- volumes/user/artifacts/sales.csv
month,revenue
1,10
2,14
3,9
"#;

/// The fixture with `extra` files appended.
fn fixture(extra: &str) -> String {
    format!("{VOLUME}{extra}")
}

/// Replaces the temporary workspace's location with `/WS` so snapshots are stable.
fn redact(s: &TestServer, value: Value) -> Value {
    let root_uri = s.uri("");
    let root_path = s.path("").to_string_lossy().into_owned();
    let text = value.to_string().replace(root_uri.trim_end_matches('/'), "file:///WS").replace(root_path.trim_end_matches('/'), "/WS");
    serde_json::from_str(&text).unwrap()
}

async fn at_cursor(fixture: &str, method: &str, extra_params: Value) -> Value {
    let s = TestServer::start(fixture).await;
    let mut params = s.at_cursor();
    let uri = params["textDocument"]["uri"].as_str().unwrap().to_string();
    s.open_abs(&s.path(uri.strip_prefix(&s.uri("")).unwrap_or(&uri))).await;
    if let (Some(p), Some(extra)) = (params.as_object_mut(), extra_params.as_object()) {
        p.extend(extra.clone());
    }
    let result = s.call(method, params).await;
    redact(&s, result)
}

#[tokio::test]
async fn hover_on_a_pinned_skill() {
    let fx = fixture("//- volumes/user/sessions/s.md\n---\ntitle: Sales\nid: s\nskills: [chart-c$0sv]\n---\n\n<!-- turn: user -->\nChart it.\n");
    insta::assert_json_snapshot!(at_cursor(&fx, "textDocument/hover", json!({})).await);
}

#[tokio::test]
async fn hover_on_a_csv_artifact_link() {
    let fx = fixture("//- volumes/user/sessions/s.md\n---\ntitle: Sales\nid: s\n---\n\n<!-- turn: user -->\nChart [sales](../artifacts/sa$0les.csv).\n");
    insta::assert_json_snapshot!(at_cursor(&fx, "textDocument/hover", json!({})).await);
}

#[tokio::test]
async fn hover_on_a_frontmatter_key() {
    let fx = fixture("//- volumes/user/skills/notes/SKILL.md\n---\nname: notes\nlic$0ense: MIT\ndescription: Takes notes. Use when asked to note.\n---\n");
    insta::assert_json_snapshot!(at_cursor(&fx, "textDocument/hover", json!({})).await);
}

#[tokio::test]
async fn completion_of_pinned_skills() {
    let fx = fixture("//- volumes/user/sessions/s.md\n---\ntitle: Sales\nid: s\nskills: [$0]\n---\n\n<!-- turn: user -->\nChart it.\n");
    insta::assert_json_snapshot!(at_cursor(&fx, "textDocument/completion", json!({})).await);
}

#[tokio::test]
async fn completion_of_an_artifact_path() {
    let fx = fixture("//- volumes/user/sessions/s.md\n---\ntitle: Sales\nid: s\n---\n\n<!-- turn: user -->\nSee [data](../artifacts/$0\n");
    insta::assert_json_snapshot!(at_cursor(&fx, "textDocument/completion", json!({})).await);
}

#[tokio::test]
async fn code_actions_on_a_bad_skill_name() {
    let fx = fixture("//- volumes/user/skills/notes/SKILL.md\n---\nname: Not$0es\ndescription: Takes notes. Use when asked to note.\n---\n");
    let s = TestServer::start(&fx).await;
    let uri = s.open("volumes/user/skills/notes/SKILL.md").await;
    let diagnostics = s.current_diagnostics(&uri).await;
    let position = s.at_cursor()["position"].clone();
    let actions = s
        .call(
            "textDocument/codeAction",
            json!({ "textDocument": { "uri": uri }, "range": { "start": position, "end": position }, "context": { "diagnostics": diagnostics } }),
        )
        .await;
    insta::assert_json_snapshot!(redact(&s, actions));
}

#[tokio::test]
async fn document_symbols_of_a_session() {
    let fx = fixture(
        "//- volumes/user/sessions/s.md\n---\ntitle: Sales\nid: s\n---\n\n<!-- turn: user -->\nChart the monthly revenue in sales.csv$0.\n\n<!-- turn: assistant model=m -->\nHere it is.\n\n<!-- turn: user -->\nNow label the axes.\n",
    );
    let s = TestServer::start(&fx).await;
    let uri = s.open("volumes/user/sessions/s.md").await;
    let symbols = s.call("textDocument/documentSymbol", json!({ "textDocument": { "uri": uri } })).await;
    insta::assert_json_snapshot!(redact(&s, symbols));
}

#[tokio::test]
async fn diagnostics_of_a_broken_session() {
    let fx = fixture(
        "//- volumes/user/sessions/s.md\n---\ntitle: Sales\nid: other\ncolour: blue\nskills: [nope]\n---\nStray text.\n\n<!-- turn: robot -->\nHi\n<!-- turn: user -->\nSee [gone](../artifacts/gone.csv) and [etc](../../../../etc/hostname).$0\n",
    );
    let s = TestServer::start(&fx).await;
    let uri = s.open("volumes/user/sessions/s.md").await;
    let mut diagnostics = s.current_diagnostics(&uri).await;
    diagnostics.sort_by_key(|d| (d["range"]["start"]["line"].as_u64(), d["range"]["start"]["character"].as_u64(), d["code"].to_string()));
    insta::assert_json_snapshot!(redact(&s, Value::Array(diagnostics)));
}
