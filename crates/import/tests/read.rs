//! The two readers over the fixtures in `tests/data` (written by `make_fixtures.py`,
//! which says which shape each line exercises). Expected values are worked out by hand
//! from the fixture lines, not by the reader's code.

use std::path::PathBuf;

use llmos_import::{Part, Source, TurnRole, Usage, claude_code, codex, discover};

fn data(rel: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/data").join(rel)
}

fn read(rel: &str) -> String {
    std::fs::read_to_string(data(rel)).unwrap()
}

const CLAUDE_FULL: &str = "claude-code/projects/-home-ada-work-parser/1111aaaa-2222-4333-8444-555566667777.jsonl";
const CODEX_FULL: &str = "codex/sessions/2025/03/10/rollout-2025-03-10T08-00-00-0199aaaa-bbbb-7ccc-8ddd-eeeeffff0001.jsonl";

#[test]
fn claude_code_keeps_the_main_line_in_order() {
    let t = claude_code::read(&read(CLAUDE_FULL));
    assert_eq!(t.source, Source::ClaudeCode);
    assert_eq!(t.session_id.as_deref(), Some("1111aaaa-2222-4333-8444-555566667777"));
    assert_eq!(t.title.as_deref(), Some("Tokenizer unit tests"));
    assert_eq!(t.project.as_deref(), Some("/home/ada/work/parser"));
    assert_eq!(t.model.as_deref(), Some("claude-sonnet-4-5-20250929"));
    let roles: Vec<TurnRole> = t.turns.iter().map(|t| t.role).collect();
    use TurnRole::*;
    assert_eq!(roles, [User, Assistant, User, Assistant, User, Assistant, System, User, Assistant]);
    assert!(t.turns[0].text().starts_with("Write pytest unit tests for the tokenizer"));
    assert_eq!(t.turns[2].text(), "Here is a screenshot of the failing unicode case");
    assert!(t.turns[2].parts.contains(&Part::Image { media_type: "image/png".into() }));
    assert_eq!(t.turns[4].text(), "/review tests/test_tokenizer.py", "slash command as typed; the isMeta caveat left out");
    assert!(t.turns[6].text().contains("tokenizer tests written and passing"), "the compaction summary is a system turn");
    assert_eq!(t.turns[7].text(), "Run the whole suite once more", "the walk crosses the /compact gap");
    // 22 conversation records: 18 on the main line; the abandoned branch (2) and the sidechain (2) are not
    assert_eq!((t.stats.malformed, t.stats.unknown, t.stats.thinking, t.stats.off_main_line), (2, 1, 2, 4));
    let all = format!("{:?}", t.turns);
    for hidden in ["ABANDONED-BRANCH", "SIDECHAIN", "THINKING-PLAN", "ENCRYPTED-BLOB", "Caveat:"] {
        assert!(!all.contains(hidden), "{hidden}");
    }
    assert_eq!(t.started.unwrap().to_string(), "2025-03-04 9:15:00.0 +00:00:00");
    assert_eq!(t.ended.unwrap().to_string(), "2025-03-04 11:00:45.0 +00:00:00");
}

#[test]
fn claude_code_tool_calls_results_files_and_usage() {
    let t = claude_code::read(&read(CLAUDE_FULL));
    let work = &t.turns[1];
    let tools: Vec<(&str, &str, bool, bool)> = work
        .parts
        .iter()
        .filter_map(|p| match p {
            Part::Tool { name, input, output, is_error, .. } => Some((name.as_str(), input.as_str(), output.is_some(), *is_error)),
            _ => None,
        })
        .collect();
    assert_eq!(
        tools,
        [
            ("Read", "/home/ada/work/parser/parser/tokenizer.py", true, false),
            ("Write", "/home/ada/work/parser/tests/test_tokenizer.py", true, false),
            ("Bash", "pytest -q tests/test_tokenizer.py", true, true)
        ]
    );
    let writes: Vec<&str> = work.parts.iter().filter_map(|p| if let Part::FileWrite { path, .. } = p { Some(path.as_str()) } else { None }).collect();
    assert_eq!(writes, ["/home/ada/work/parser/tests/test_tokenizer.py"]);
    // msg_1 is split over three lines with the same usage: counted once.
    // input = input_tokens + cache reads + cache writes
    let expected = Usage {
        input: (12 + 1000 + 200) + (30 + 1340) + (8 + 1760) + (9 + 1800),
        output: 340 + 420 + 60 + 80,
        cache_read: 1000 + 1340 + 1760 + 1800,
        cache_write: 200,
    };
    assert_eq!(work.usage, expected);
    assert_eq!(t.turns[3].usage, Usage { input: 1920, output: 50, cache_read: 1900, cache_write: 0 });
    assert_eq!(t.usage().output, 900 + 50 + 30 + 20);
}

#[test]
fn codex_rollout_items_events_and_usage() {
    let t = codex::read(&read(CODEX_FULL));
    assert_eq!(t.source, Source::Codex);
    assert_eq!(t.session_id.as_deref(), Some("0199aaaa-bbbb-7ccc-8ddd-eeeeffff0001"));
    assert_eq!(t.project.as_deref(), Some("/home/ada/work/parser"));
    assert_eq!(t.model.as_deref(), Some("gpt-5-codex"));
    use TurnRole::*;
    assert_eq!(t.turns.iter().map(|t| t.role).collect::<Vec<_>>(), [User, Assistant, System, User, Assistant]);
    assert!(t.turns[0].text().starts_with("Write pytest unit tests for the ast module"), "environment context and developer messages are not prompts");
    let work = &t.turns[1];
    let tools: Vec<(&str, &str, Option<&str>, bool)> = work
        .parts
        .iter()
        .filter_map(|p| match p {
            Part::Tool { name, input, output, is_error, .. } => Some((name.as_str(), input.as_str(), output.as_deref(), *is_error)),
            _ => None,
        })
        .collect();
    assert_eq!(tools[0], ("shell", "cat parser/ast.py", Some("class Node:\n    pass\nDB_PASSWORD=CANARYcodexoutput99\n"), false));
    assert_eq!(tools[1].0, "apply_patch");
    assert_eq!(tools[2], ("shell", "pytest -q", Some("1 failed"), true));
    assert!(work.parts.contains(&Part::FileWrite {
        path: "tests/test_ast.py".into(),
        content: "from parser.ast import Node\n\ndef test_node():\n    assert Node()".into(),
        edit: false
    }));
    assert_eq!(work.text(), "Added tests/test_ast.py; one test fails on unicode names.");
    // cumulative totals 5000/300 (repeated once), then 12000/700: the reply cost the total
    assert_eq!(work.usage, Usage { input: 12000, output: 700, cache_read: 8000, cache_write: 0 });
    assert_eq!(t.turns[4].usage, Usage { input: 3000, output: 60, cache_read: 3000, cache_write: 0 });
    assert_eq!((t.stats.malformed, t.stats.unknown, t.stats.thinking), (1, 1, 1));
    let all = format!("{:?}", t.turns);
    for hidden in ["REASONING-SUMMARY", "ENCRYPTED", "DEVELOPER-INSTRUCTIONS", "duplicate of"] {
        assert!(!all.contains(hidden), "{hidden}");
    }
}

#[test]
fn codex_envelope_less_rollouts() {
    let t = codex::read(&read("codex/sessions/2025/03/12/rollout-2025-03-12T16-30-00-0199aaaa-0000-7000-8000-000000000002.jsonl"));
    assert_eq!(t.session_id.as_deref(), Some("0199aaaa-0000-7000-8000-000000000002"));
    assert_eq!(t.turns.len(), 2);
    assert_eq!(t.turns[1].text(), "Added tests/test_printer.py.");
    assert_eq!(t.started.unwrap().to_string(), "2025-03-12 16:30:00.0 +00:00:00");
    assert_eq!(t.stats.unknown, 0);
}

#[test]
fn garbage_never_panics_and_yields_no_turns() {
    for text in [
        "",
        "\n\n",
        "{",
        "null\n42\n\"x\"",
        "{\"type\":\"user\"}",
        "{\"type\":\"user\",\"message\":{\"content\":7}}",
        "{\"type\":\"response_item\",\"payload\":null}",
    ] {
        let c = claude_code::read(text);
        let x = codex::read(text);
        assert!(!c.has_prompt() && !x.has_prompt(), "{text:?}");
    }
}

#[test]
fn discovery_skips_subagent_transcripts() {
    let found = discover::transcripts(&data("claude-code/projects")).unwrap();
    let names: Vec<String> = found.iter().map(|p| p.file_name().unwrap().to_string_lossy().into_owned()).collect();
    assert_eq!(
        names,
        [
            "1111aaaa-2222-4333-8444-555566667777.jsonl",
            "2222bbbb-0000-4000-8000-000000000002.jsonl",
            "3333cccc-0000-4000-8000-000000000003.jsonl",
            "4444dddd-0000-4000-8000-000000000004.jsonl",
            "5555dddd-0000-4000-8000-000000000005.jsonl",
            "6666dddd-0000-4000-8000-000000000006.jsonl",
            "empty-0000.jsonl"
        ]
    );
    assert!(matches!(discover::transcripts(&data("nope")), Err(discover::DiscoverError::Missing { .. })));
    let home = PathBuf::from("/home/ada");
    assert_eq!(discover::default_root(Source::ClaudeCode, &home, None), PathBuf::from("/home/ada/.claude/projects"));
    assert_eq!(discover::default_root(Source::Codex, &home, None), PathBuf::from("/home/ada/.codex/sessions"));
    assert_eq!(discover::default_root(Source::Codex, &home, Some(&PathBuf::from("/c"))), PathBuf::from("/c/sessions"));
}
