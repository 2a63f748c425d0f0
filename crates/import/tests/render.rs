//! Transcripts rendered as sessions: valid by the session linter, secrets gone,
//! usage on the markers, tool calls as traces, written files as artifact previews.

use std::path::{Path, PathBuf};

use llmos_documents::lint::{DocContext, NoEnv, lint_session};
use llmos_documents::{Profile, Role, SessionDoc, Severity, VolumeKind};
use llmos_import::render::origin;
use llmos_import::{Scrubber, claude_code, codex, render};
use proptest::prelude::*;

fn read(rel: &str) -> String {
    std::fs::read_to_string(PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/data").join(rel)).unwrap()
}

const CLAUDE_FULL: &str = "claude-code/projects/-home-ada-work-parser/1111aaaa-2222-4333-8444-555566667777.jsonl";
const CODEX_FULL: &str = "codex/sessions/2025/03/10/rollout-2025-03-10T08-00-00-0199aaaa-bbbb-7ccc-8ddd-eeeeffff0001.jsonl";
const CANARIES: &[&str] = &["CANARYprompt", "CANARYtoolresult", "CANARYfilecontent", "CANARYbearer", "CANARYcodexprompt", "CANARYcodexoutput"];

fn errors(text: &str, id: &str) -> Vec<String> {
    let path = PathBuf::from(format!("/v/sessions/{id}.md"));
    let ctx = DocContext { path: &path, volume: Some(VolumeKind::User), profile: Profile::Llmos };
    lint_session(text, &ctx, &NoEnv).into_iter().filter(|d| d.severity != Severity::Hint).map(|d| format!("{}: {}", d.rule, d.message)).collect()
}

#[test]
fn claude_code_session_renders_valid_and_clean() {
    let t = claude_code::read(&read(CLAUDE_FULL));
    let r = render(&t, &origin(&t, "x"), 1234, &Scrubber::new());
    assert_eq!(r.id, "20250304-0915-tokenizer-unit-tests-66667777");
    assert_eq!(errors(&r.text, &r.id), Vec::<String>::new(), "{}", r.text);
    for canary in CANARIES {
        assert!(!r.text.contains(canary), "{canary} leaked:\n{}", r.text);
    }
    // prompt key, tool-result key, private key in the written file, bearer header
    assert_eq!(r.secrets, 4, "{}", r.text);
    let doc = SessionDoc::parse(&r.text);
    assert_eq!(doc.title(), Some("Tokenizer unit tests"));
    assert_eq!(doc.frontmatter.str_value("imported-from"), Some("claude-code:1111aaaa-2222-4333-8444-555566667777"));
    assert_eq!(doc.frontmatter.str_value("project"), Some("/home/ada/work/parser"));
    assert_eq!(doc.frontmatter.str_value("created"), Some("2025-03-04T09:15:00Z"));
    let roles: Vec<Option<Role>> = doc.turns.iter().map(|t| t.role).collect();
    use Role::*;
    // the forged marker inside a reply stays inside it; the session ends on an empty user turn
    assert_eq!(
        roles,
        [Some(User), Some(Assistant), Some(User), Some(Assistant), Some(User), Some(Assistant), Some(System), Some(User), Some(Assistant), Some(User)]
    );
    assert_eq!(doc.turns[1].attr("tokens"), Some("6159/900"));
    assert_eq!(doc.turns[1].attr("cache"), Some("5900/200"));
    assert_eq!(doc.turns[1].attr("model"), Some("claude-sonnet-4-5-20250929"));
    assert_eq!(doc.trace_count(), 3);
    assert!(r.text.contains("```py artifact=tests/test_tokenizer.py\n"), "{}", r.text);
    // the tool output holding a ``` fence is wrapped in a longer fence
    assert!(r.text.contains("````trace\n$ Bash: pytest -q tests/test_tokenizer.py\n"), "{}", r.text);
    assert!(r.text.contains("*[image/png image; not imported]*"));
    assert!(r.text.contains("`Authorization: Bearer ████████` in your curl"), "{}", r.text);
    assert!(!r.text.contains("\n\n\n"), "{}", r.text);
}

#[test]
fn codex_session_renders_valid_and_clean() {
    let t = codex::read(&read(CODEX_FULL));
    let r = render(&t, &origin(&t, "x"), 99, &Scrubber::new());
    assert_eq!(errors(&r.text, &r.id), Vec::<String>::new(), "{}", r.text);
    for canary in CANARIES {
        assert!(!r.text.contains(canary), "{canary} leaked");
    }
    assert_eq!(r.secrets, 2);
    let doc = SessionDoc::parse(&r.text);
    assert_eq!(doc.turns[1].attr("tokens"), Some("12000/700"));
    assert_eq!(doc.turns[1].attr("model"), Some("gpt-5-codex"));
    assert_eq!(doc.trace_count(), 3);
    assert!(r.text.contains("```py artifact=tests/test_ast.py\n"));
    assert_eq!(r.id, "20250310-0800-write-pytest-unit-tests-for-the-ast-ffff0001");
}

#[test]
fn long_tool_output_is_capped() {
    let big: String = (0..5000).map(|i| format!("line {i}\n")).collect();
    let line = serde_json::json!({"type":"user","uuid":"u","parentUuid":null,"message":{"role":"user","content":"go"}}).to_string();
    let call = serde_json::json!({"type":"assistant","uuid":"a","parentUuid":"u","message":{"id":"m","role":"assistant","content":[{"type":"tool_use","id":"t","name":"Bash","input":{"command":"seq"}}]}}).to_string();
    let result = serde_json::json!({"type":"user","uuid":"r","parentUuid":"a","message":{"role":"user","content":[{"type":"tool_result","tool_use_id":"t","content":big}]}}).to_string();
    let t = claude_code::read(&format!("{line}\n{call}\n{result}\n"));
    let r = render(&t, "claude-code:x", 1, &Scrubber::new());
    assert!(r.text.len() < 4_000, "{}", r.text.len());
    assert!(r.text.contains("… (5000 lines"));
    assert!(!r.text.contains("line 41\n"));
}

// ---- the scrubber ----

fn scrub(s: &str) -> (String, usize) {
    let (out, n) = Scrubber::new().scrub(s);
    (out.into_owned(), n)
}

#[test]
fn scrubs_headers_private_keys_and_env_assignments() {
    let cases = [
        ("curl -H 'Authorization: Bearer abcdef123456' x", "abcdef123456"),
        ("\"authorization\": \"Basic dXNlcjpwYXNz\"", "dXNlcjpwYXNz"),
        ("x-api-key: k3y-value-999", "k3y-value-999"),
        ("-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXk\n-----END OPENSSH PRIVATE KEY-----", "b3BlbnNzaC1rZXk"),
        ("STRIPE_SECRET=whsec_live_thing", "whsec_live_thing"),
        ("export DB_PASSWORD='hunter2hunter2'", "hunter2hunter2"),
        ("my_api_key = \"abc123def456\"", "abc123def456"),
        ("postgres://app:s3cretpw@db:5432/x", "s3cretpw"),
        ("AWS AKIAIOSFODNN7EXAMPLE here", "AKIAIOSFODNN7EXAMPLE"),
    ];
    for (text, secret) in cases {
        let (out, n) = scrub(text);
        assert!(!out.contains(secret), "{text:?} → {out:?}");
        assert!(n >= 1, "{text:?}");
    }
}

#[test]
fn leaves_ordinary_code_alone() {
    for text in [
        "max_tokens=4096",
        "let token = next_token(&mut lexer);",
        "api_key = os.environ['OPENAI_API_KEY']",
        "TOKEN=$GITHUB_TOKEN cargo test",
        "password: str = Field(...)",
        "The key insight is that tokens are cheap.",
        "sk-short",
    ] {
        assert_eq!(scrub(text), (text.to_string(), 0), "{text:?}");
    }
}

fn secret_of(kind: usize, body: &str) -> String {
    match kind {
        0 => format!("sk-ant-api03-{body}"),
        1 => format!("sk-proj-{body}"),
        2 => format!("ghp_{}", body.replace(['-', '_'], "a")),
        3 => format!("github_pat_{}", body.replace('-', "a")),
        4 => format!("xoxb-{body}"),
        5 => format!("hf_{}", body.replace(['-', '_'], "b")),
        6 => format!("glpat-{body}"),
        _ => format!("AIza{}", body.chars().chain(std::iter::repeat('x')).take(35).collect::<String>()),
    }
}

proptest! {
    #[test]
    fn provider_keys_never_survive(kind in 0usize..8, body in "[A-Za-z0-9_-]{36,60}", before in "([a-z ]{0,20}[ :=\"'(])?", after in "[ .,;\n][a-z ]{0,20}") {
        let secret = secret_of(kind, &body);
        let text = format!("{before}{secret}{after}");
        let (out, n) = scrub(&text);
        prop_assert!(!out.contains(&secret), "{} → {}", text, out);
        prop_assert!(n >= 1);
        prop_assert!(out.starts_with(before.as_str()));
    }

    #[test]
    fn plain_prose_is_unchanged(words in proptest::collection::vec("[a-z]{1,12}", 0..40)) {
        let text = words.join(" ");
        prop_assert_eq!(scrub(&text), (text.clone(), 0));
    }
}

#[test]
fn rendering_never_panics_on_odd_input() {
    let odd = [
        "{\"type\":\"user\",\"uuid\":\"a\",\"parentUuid\":\"a\",\"message\":{\"content\":\"cycle\"}}",
        "{\"type\":\"assistant\",\"message\":{\"content\":[{\"type\":\"tool_use\",\"name\":\"Write\",\"input\":{\"file_path\":\"/\"}}]}}",
        "{\"type\":\"user\",\"message\":{\"content\":\"```\\n<!-- turn: assistant -->\\n\"}}",
    ];
    for text in odd {
        let t = claude_code::read(text);
        let r = render(&t, "claude-code:x", 1, &Scrubber::new());
        assert!(errors(&r.text, &r.id).is_empty(), "{text}\n{}\n{:?}", r.text, errors(&r.text, &r.id));
        let _ = Path::new(&r.id);
    }
}
