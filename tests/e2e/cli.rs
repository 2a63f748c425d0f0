//! The command line through the built binary.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

fn llmos(args: &[&str], cwd: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_llmos")).args(args).current_dir(cwd).output().unwrap()
}

fn corpus() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../tests/data/agent-skills")
}

#[test]
fn check_matches_the_reference_validator_on_the_corpus() {
    let out = llmos(&["check", corpus().to_str().unwrap(), "--profile", "agentskills", "--format", "json"], Path::new("."));
    assert_eq!(out.status.code(), Some(1), "{}", String::from_utf8_lossy(&out.stderr));
    let diags: Vec<Value> = serde_json::from_slice(&out.stdout).unwrap();
    let errors: Vec<&Value> = diags.iter().filter(|d| d["severity"] == "error").collect();
    assert_eq!(errors.len(), 1, "{errors:#?}");
    assert!(errors[0]["path"].as_str().unwrap().ends_with("claude-api/SKILL.md"));
    assert_eq!(errors[0]["code"], "skill/description-too-long");
    // the block scalar's text starts on line 4, column 3
    assert_eq!(errors[0]["line"], 4);
    assert_eq!(errors[0]["column"], 3);
    for key in ["path", "line", "column", "endLine", "endColumn", "severity", "code", "message"] {
        assert!(errors[0].get(key).is_some(), "{key}");
    }
    // each of the other eleven passes alone
    for entry in std::fs::read_dir(corpus()).unwrap() {
        let dir = entry.unwrap().path();
        if dir.ends_with("claude-api") || !dir.is_dir() {
            continue;
        }
        let out = llmos(&["check", dir.to_str().unwrap(), "--profile", "agentskills"], Path::new("."));
        assert_eq!(out.status.code(), Some(0), "{}: {}", dir.display(), String::from_utf8_lossy(&out.stdout));
    }
}

#[test]
fn check_text_format_and_exit_codes() {
    let dir = tempfile::tempdir().unwrap();
    let skill = dir.path().join("skills/Bad/SKILL.md");
    std::fs::create_dir_all(skill.parent().unwrap()).unwrap();
    std::fs::write(&skill, "---\nname: Bad\ndescription: A thing. Use when needed.\n---\n").unwrap();
    let out = llmos(&["check", "skills"], dir.path());
    assert_eq!(out.status.code(), Some(1));
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert_eq!(stdout.lines().next().unwrap(), "skills/Bad/SKILL.md:2:7: error[skill/name-format]: invalid skill name `Bad`: the name must be lowercase");
    assert_eq!(llmos(&["check", "does-not-exist"], dir.path()).status.code(), Some(2));
    assert_eq!(llmos(&["check", "skills", "--profile", "nope"], dir.path()).status.code(), Some(2));
    std::fs::write(&skill, "---\nname: bad\ndescription: A thing. Use when needed.\n---\n").unwrap();
    std::fs::rename(dir.path().join("skills/Bad"), dir.path().join("skills/bad")).unwrap();
    assert_eq!(llmos(&["check", "skills"], dir.path()).status.code(), Some(0));
}

#[test]
fn init_demo_then_check_history_status_and_commit() {
    let dir = tempfile::tempdir().unwrap();
    let ws = dir.path().join("ws");
    let out = llmos(&["init", ws.to_str().unwrap(), "--demo"], dir.path());
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    for v in ["user", "team", "system"] {
        assert!(ws.join("volumes").join(v).join(".git").is_dir());
    }
    assert!(std::fs::read_to_string(ws.join(".gitignore")).unwrap().contains(".llmos/"));
    let check = llmos(&["check"], &ws);
    assert_eq!(check.status.code(), Some(0), "{}", String::from_utf8_lossy(&check.stdout));
    let history = llmos(&["history", "--format", "json"], &ws);
    assert!(history.status.success(), "{}", String::from_utf8_lossy(&history.stderr));
    let entries: Vec<Value> = serde_json::from_slice(&history.stdout).unwrap();
    assert!(entries.len() >= 8, "{}", entries.len());
    let days: std::collections::BTreeSet<&str> = entries.iter().map(|e| &e["time"].as_str().unwrap()[..10]).collect();
    assert!(days.len() >= 4, "committed over several days: {days:?}");
    let bell = entries.iter().find(|e| e["title"] == "Bell state circuit").unwrap();
    assert!(bell["artifacts"].as_array().unwrap().iter().any(|a| a["type"] == "quantum-circuit" && a["name"] == "bell_state.circuit.json"), "{bell}");
    for key in ["sha", "author", "email", "time", "title", "prompt", "messages", "artifacts", "traces", "skills", "session"] {
        assert!(bell.get(key).is_some(), "{key} in {bell}");
    }
    let status = llmos(&["status"], &ws);
    assert!(String::from_utf8_lossy(&status.stdout).contains("user"));
    // init twice is harmless
    assert!(llmos(&["init", ws.to_str().unwrap()], dir.path()).status.success());
    // commit from the command line
    let session = ws.join("volumes/user/sessions/cli.md");
    std::fs::write(&session, "---\ntitle: From the CLI\nid: cli\nstatus: uncommitted\ncommit: null\n---\n\n<!-- turn: user -->\nHello there\n").unwrap();
    let out = llmos(&["commit", session.to_str().unwrap()], &ws);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let again = llmos(&["commit", session.to_str().unwrap()], &ws);
    assert_eq!(again.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&again.stderr).contains("nothing to commit"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn chat_from_the_command_line_against_both_providers() {
    use llmos_llm::ProviderKind;
    use llmos_llm::testing::{FakeProvider, Script};
    for (name, kind) in [("anthropic", ProviderKind::Anthropic), ("openai", ProviderKind::OpenAi)] {
        let fake = FakeProvider::start().await.unwrap();
        fake.push(Script::reply(["Hello ", "from ", name]));
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("llmos.toml"),
            format!("[llm]\nprovider = \"{name}\"\nmodel = \"cli-model\"\nbase_url = \"{}\"\napi_key_env = \"LLMOS_CLI_TEST_KEY\"\n", fake.base_url(kind)),
        )
        .unwrap();
        let session = dir.path().join("volumes/user/sessions/t.md");
        std::fs::create_dir_all(session.parent().unwrap()).unwrap();
        std::fs::write(&session, "---\ntitle: T\nid: t\n---\n\n<!-- turn: user -->\n\n").unwrap();
        let canary = "sk-canary-0123456789abcdef";
        let out = tokio::process::Command::new(env!("CARGO_BIN_EXE_llmos"))
            .args(["chat", session.to_str().unwrap(), "-m", "Say hello"])
            .env("LLMOS_CLI_TEST_KEY", canary)
            .current_dir(dir.path())
            .output()
            .await
            .unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(out.status.success(), "{name}: {}", String::from_utf8_lossy(&out.stderr));
        assert_eq!(stdout.trim(), format!("Hello from {name}"));
        let text = std::fs::read_to_string(&session).unwrap();
        // usage as the fake reports it: 312 prompt tokens, 200 of them cached, one token per delta
        let cache = if kind == ProviderKind::Anthropic { "200/100" } else { "200/0" };
        assert_eq!(
            text,
            format!(
                "---\ntitle: T\nid: t\n---\n\n<!-- turn: user -->\nSay hello\n\n<!-- turn: assistant model=cli-model tokens=312/3 cache={cache} -->\nHello from {name}\n\n<!-- turn: user -->\n\n"
            )
        );
        // the key went to the provider in the right header and nowhere else
        let req = &fake.requests()[0];
        match kind {
            ProviderKind::Anthropic => assert_eq!(req.header("x-api-key"), Some(canary)),
            ProviderKind::OpenAi => assert_eq!(req.header("authorization"), Some(format!("Bearer {canary}").as_str())),
        }
        assert!(!text.contains(canary) && !stdout.contains(canary));
        // a refused key: exit 2, a clear message, no key in it, the file unchanged
        fake.push(Script::status(401, r#"{"type":"error","error":{"type":"authentication_error","message":"invalid x-api-key"}}"#));
        std::fs::write(&session, "---\ntitle: T\nid: t\n---\n\n<!-- turn: user -->\nAgain\n").unwrap();
        let out = tokio::process::Command::new(env!("CARGO_BIN_EXE_llmos"))
            .args(["chat", session.to_str().unwrap()])
            .env("LLMOS_CLI_TEST_KEY", canary)
            .current_dir(dir.path())
            .output()
            .await
            .unwrap();
        assert_eq!(out.status.code(), Some(2));
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.contains("refused") && !stderr.contains(canary), "{stderr}");
        assert_eq!(std::fs::read_to_string(&session).unwrap(), "---\ntitle: T\nid: t\n---\n\n<!-- turn: user -->\nAgain\n");
    }
}

#[test]
fn migrate_llmos_lite_data_into_a_volume() {
    let lite = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../crates/workspace/tests/data/lite");
    let dir = tempfile::tempdir().unwrap();
    let ws = dir.path().join("ws");
    assert!(llmos(&["init", ws.to_str().unwrap()], dir.path()).status.success());
    let dry = llmos(&["migrate", lite.to_str().unwrap(), "--dry-run", "--format", "json"], &ws);
    assert!(dry.status.success(), "{}", String::from_utf8_lossy(&dry.stderr));
    let report: Value = serde_json::from_slice(&dry.stdout).unwrap();
    assert!(report["sessions"].as_array().unwrap().len() >= 3 && report["skills"].as_array().unwrap().len() >= 3, "{report}");
    assert!(!report["skipped"].as_array().unwrap().is_empty(), "malformed fixtures are skipped with a reason");
    assert_eq!(std::fs::read_dir(ws.join("volumes/user/sessions")).unwrap().count(), 0, "dry run writes nothing");
    let out = llmos(&["migrate", lite.to_str().unwrap()], &ws);
    assert!(out.status.success());
    let check = llmos(&["check", "--format", "json"], &ws);
    let diags: Vec<Value> = serde_json::from_slice(&check.stdout).unwrap();
    assert!(diags.iter().all(|d| d["severity"] != "error"), "{diags:#?}");
    assert_eq!(llmos(&["migrate", "/no/such/place"], &ws).status.code(), Some(2));
    assert_eq!(llmos(&["migrate", lite.to_str().unwrap(), "--volume", "system"], &ws).status.code(), Some(2));
}

#[test]
fn check_survives_bad_files() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("llmos.toml"), "").unwrap();
    let skills = dir.path().join("volumes/user/skills");
    for name in ["latin1", "binary", "empty", "ok"] {
        std::fs::create_dir_all(skills.join(name)).unwrap();
    }
    std::fs::write(skills.join("latin1/SKILL.md"), b"---\nname: latin1\ndescription: caf\xe9\n---\n").unwrap();
    std::fs::write(skills.join("binary/SKILL.md"), b"\x00\x01\x02\x00PNG").unwrap();
    std::fs::write(skills.join("empty/SKILL.md"), b"").unwrap();
    std::fs::write(skills.join("ok/SKILL.md"), b"---\nname: ok\ndescription: Fine. Use when fine.\n---\n").unwrap();
    #[cfg(unix)]
    {
        // a symlink loop inside the skills folder is not followed
        std::os::unix::fs::symlink(&skills, skills.join("loop")).unwrap();
    }
    let out = llmos(&["check", "--format", "json"], dir.path());
    assert_eq!(out.status.code(), Some(1));
    let diags: Vec<Value> = serde_json::from_slice(&out.stdout).unwrap();
    let find = |p: &str| diags.iter().filter(|d| d["path"].as_str().unwrap().contains(p)).map(|d| d["code"].as_str().unwrap().to_string()).collect::<Vec<_>>();
    assert_eq!(find("latin1"), ["file/not-utf8"]);
    assert_eq!(find("binary"), ["file/binary"]);
    assert_eq!(find("empty"), ["frontmatter/missing"]);
    assert!(find("/ok/").is_empty());
}

/// `--volume` and `--since` mean the same in every subcommand and a bad value is refused
/// before anything runs, naming the flag (exit 2, like every usage error).
#[test]
fn volume_and_since_are_one_grammar_across_subcommands() {
    let dir = tempfile::tempdir().unwrap();
    assert!(llmos(&["init", dir.path().to_str().unwrap()], dir.path()).status.success());
    for args in [
        &["history", "--volume", "attic"][..],
        &["evolve", "--volume", "attic", "--dry-run"],
        &["import", "codex", "--volume", "attic", "--dry-run"],
        &["migrate", "nowhere", "--volume", "attic"],
    ] {
        let out = llmos(args, dir.path());
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
        assert!(err.contains("--volume") && err.contains("unknown volume `attic`: user, team or system"), "{args:?}: {err}");
    }
    for args in [&["history", "--since", "soon"][..], &["evolve", "--since", "soon", "--dry-run"], &["import", "codex", "--since", "soon", "--dry-run"]] {
        let out = llmos(args, dir.path());
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
        assert!(err.contains("--since") && err.contains("neither a duration"), "{args:?}: {err}");
    }
    // A date is accepted wherever a duration is.
    for since in ["2020-01-01", "30d"] {
        let out = llmos(&["history", "--since", since, "--format", "json"], dir.path());
        assert!(out.status.success(), "{since}: {}", String::from_utf8_lossy(&out.stderr));
    }
}
