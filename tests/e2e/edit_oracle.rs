//! Random edit sequences through the in-process server, checked against an independent
//! oracle: a plain `String` with its own position arithmetic (UTF-16 columns; lines end
//! only at `\n`, `\r\n` or `\r`), sharing nothing with the server's `LineIndex` or rope.
//! After each edit, hover, completion, definition, symbols and code actions run at a
//! random position and must answer; the server's text (read back through
//! `llmos.session.export`) and the turn's range must match the oracle's.
//!
//! Cases: `LLMOS_FUZZ_CASES` sequences (default 12) of 12 edits each.

use proptest::prelude::*;
use proptest::strategy::ValueTree;
use proptest::test_runner::TestRunner;
use serde_json::{Value, json};

use crate::harness::TestServer;

/// Pieces edits are made of: every line terminator LSP knows and some it does not,
/// characters of every UTF-16 width, and link/markup syntax the passes look at.
const PIECES: &[&str] = &["a", "é", "😀", "\n", "\r\n", "\r", "\u{2028}", "\u{2029}", "\u{85}", "\u{c}", "\u{b}", " ", "[x](y.md)", "`", "#", "-", ":"];

/// Line and UTF-16 column of a char index, by hand.
fn oracle_position(text: &str, char_index: usize) -> (u32, u32) {
    let chars: Vec<char> = text.chars().collect();
    let (mut line, mut col) = (0u32, 0u32);
    let mut k = 0;
    while k < char_index {
        match chars[k] {
            '\r' if chars.get(k + 1) == Some(&'\n') && k + 1 < char_index => {
                line += 1;
                col = 0;
                k += 2;
                continue;
            }
            '\n' | '\r' => {
                line += 1;
                col = 0;
            }
            c => col += c.len_utf16() as u32,
        }
        k += 1;
    }
    (line, col)
}

/// True when a char index would split a `\r\n`, which LSP positions cannot address.
fn splits_crlf(chars: &[char], at: usize) -> bool {
    at > 0 && chars.get(at - 1) == Some(&'\r') && chars.get(at) == Some(&'\n')
}

fn lsp_pos((line, character): (u32, u32)) -> Value {
    json!({ "line": line, "character": character })
}

#[derive(Debug, Clone)]
struct Edit {
    start: usize,
    len: usize,
    text: String,
    probe: usize,
}

fn edit_strategy() -> impl Strategy<Value = Edit> {
    (0usize..10_000, 0usize..6, proptest::collection::vec(proptest::sample::select(PIECES), 0..4), 0usize..10_000)
        .prop_map(|(start, len, pieces, probe)| Edit { start, len, text: pieces.concat(), probe })
}

#[tokio::test]
async fn random_edits_keep_the_server_text_equal_to_an_independent_oracle() {
    let sequences: u32 = std::env::var("LLMOS_FUZZ_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(12);
    let s = TestServer::start("//- llmos.toml\n//- volumes/user/skills/x/SKILL.md\n---\nname: x\ndescription: X. Use when x.\n---\n").await;
    let mut runner = TestRunner::deterministic();
    let head = "---\ntitle: Oracle\nid: oracle\n---\n\n<!-- turn: user -->\n[";
    let mut total_edits = 0u64;
    for n in 0..sequences {
        let rel = format!("volumes/user/sessions/oracle-{n}.md");
        let mut text = format!("{head}start\r\nsee [x](../skills/x/SKILL.md)\u{2028}é😀\rend]");
        let uri = s.open_text(&rel, &text).await;
        for version in 2..14 {
            let edit = edit_strategy().new_tree(&mut runner).unwrap().current();
            let chars: Vec<char> = text.chars().collect();
            // Edits stay strictly between the brackets so the turn marker survives.
            let lo = head.chars().count();
            let hi = chars.len() - 1;
            let mut start = lo + edit.start % (hi - lo + 1);
            let mut end = (start + edit.len).min(hi);
            while splits_crlf(&chars, start) {
                start -= 1;
            }
            while splits_crlf(&chars, end) {
                end += 1;
            }
            let (ps, pe) = (oracle_position(&text, start), oracle_position(&text, end));
            let new: String = chars[..start].iter().chain(edit.text.chars().collect::<Vec<_>>().iter()).chain(chars[end..].iter()).collect();
            s.notify(
                "textDocument/didChange",
                json!({ "textDocument": { "uri": uri, "version": version }, "contentChanges": [{ "range": { "start": lsp_pos(ps), "end": lsp_pos(pe) }, "text": edit.text }] }),
            )
            .await;
            text = new;
            total_edits += 1;
            // Features at a random (valid) position must answer, not fail.
            let probe = edit.probe % (text.chars().count() + 1);
            let probe = if splits_crlf(&text.chars().collect::<Vec<_>>(), probe) { probe - 1 } else { probe };
            let at = lsp_pos(oracle_position(&text, probe));
            let doc = json!({ "uri": uri });
            for (method, params) in [
                ("textDocument/hover", json!({ "textDocument": doc, "position": at })),
                ("textDocument/completion", json!({ "textDocument": doc, "position": at })),
                ("textDocument/definition", json!({ "textDocument": doc, "position": at })),
                ("textDocument/documentSymbol", json!({ "textDocument": doc })),
                ("textDocument/codeAction", json!({ "textDocument": doc, "range": { "start": at, "end": at }, "context": { "diagnostics": [] } })),
            ] {
                let r = s.request(method, params).await;
                assert!(r.get("error").is_none(), "{method} at {at} failed after {total_edits} edits: {r}\ntext: {text:?}");
            }
            // The server's text is the oracle's.
            let exported =
                s.call("workspace/executeCommand", json!({ "command": "llmos.session.export", "arguments": [{ "uri": uri, "format": "json" }] })).await;
            let body = &text[text.find("-->\n").unwrap() + 4..];
            assert_eq!(exported["content"]["messages"][0]["content"].as_str(), Some(body.trim()), "after edit {edit:?}\noracle: {text:?}");
            // The turn's range ends where the oracle says the text ends.
            let symbols = s.call("textDocument/documentSymbol", json!({ "textDocument": doc })).await;
            let end = lsp_pos(oracle_position(&text, text.chars().count()));
            assert_eq!(symbols[0]["range"]["end"], end, "text: {text:?}");
            let marker = lsp_pos(oracle_position(&text, text[..text.find("<!--").unwrap()].chars().count()));
            assert_eq!(symbols[0]["selectionRange"]["start"], marker, "text: {text:?}");
        }
    }
    eprintln!("edit oracle: {sequences} sequences, {total_edits} edits, {} feature requests", total_edits * 8);
}

#[test]
fn the_oracle_itself_counts_lsp_line_ends() {
    assert_eq!(oracle_position("a\r\nb", 4), (1, 1));
    assert_eq!(oracle_position("a\rb", 3), (1, 1));
    assert_eq!(oracle_position("a\u{2028}b", 3), (0, 3));
    assert_eq!(oracle_position("😀x", 2), (0, 3));
}
