//! `llmos import` through the built binary: agent transcripts → committed sessions in a
//! volume → `llmos history` → `llmos evolve`; secrets never reach a file or a git
//! object; a second run imports nothing; a grown transcript updates its session.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

fn llmos(args: &[&str], cwd: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_llmos")).args(args).current_dir(cwd).env("HOME", cwd).env_remove("CODEX_HOME").output().unwrap()
}

fn ok(out: &Output) -> String {
    assert!(out.status.success(), "exit {:?}\n{}\n{}", out.status, String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// `llmos init` in `dir`, with a git identity that does not depend on the HOME the
/// tests replace.
fn init(dir: &Path) -> PathBuf {
    ok(&llmos(&["init", "ws"], dir));
    let ws = dir.join("ws");
    for (k, v) in [("user.name", "Ada"), ("user.email", "ada@example.com")] {
        assert!(Command::new("git").args(["config", k, v]).current_dir(ws.join("volumes/user")).status().unwrap().success());
    }
    ws
}

fn fixtures() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../crates/import/tests/data")
}

const CANARIES: &[&str] = &["CANARYprompt", "CANARYtoolresult", "CANARYfilecontent", "CANARYbearer", "CANARYcodexprompt", "CANARYcodexoutput"];

fn copy_dir(from: &Path, to: &Path) {
    for entry in walkdir::WalkDir::new(from) {
        let entry = entry.unwrap();
        let target = to.join(entry.path().strip_prefix(from).unwrap());
        if entry.file_type().is_dir() {
            std::fs::create_dir_all(&target).unwrap();
        } else {
            std::fs::copy(entry.path(), &target).unwrap();
        }
    }
}

/// Every file in the volume's work tree and every object git holds, as text.
fn everything_in(volume: &Path) -> String {
    let mut all = String::new();
    for entry in walkdir::WalkDir::new(volume).into_iter().filter_entry(|e| e.file_name() != ".git") {
        let entry = entry.unwrap();
        if entry.file_type().is_file() {
            all.push_str(&String::from_utf8_lossy(&std::fs::read(entry.path()).unwrap()));
        }
    }
    let objects = Command::new("git").args(["cat-file", "--batch-all-objects", "--batch"]).current_dir(volume).output().unwrap();
    assert!(objects.status.success());
    all.push_str(&String::from_utf8_lossy(&objects.stdout));
    all
}

#[test]
fn import_history_evolve_scrub_and_reimport() {
    let dir = tempfile::tempdir().unwrap();
    let ws = init(dir.path());
    let volume = ws.join("volumes/user");
    // The default locations under HOME: ~/.claude/projects and ~/.codex/sessions.
    copy_dir(&fixtures().join("claude-code/projects"), &ws.join(".claude/projects"));
    copy_dir(&fixtures().join("codex/sessions"), &ws.join(".codex/sessions"));

    let dry = ok(&llmos(&["import", "claude-code", "--dry-run"], &ws));
    assert!(dry.contains("would import -home-ada-work-parser/1111aaaa-2222-4333-8444-555566667777.jsonl"), "{dry}");
    assert!(!volume.join("sessions").exists() || std::fs::read_dir(volume.join("sessions")).unwrap().count() == 0, "a dry run writes nothing");

    let out = ok(&llmos(&["import", "claude-code", "--format", "json"], &ws));
    let report: Value = serde_json::from_str(&out).unwrap();
    let imported = report["imported"].as_array().unwrap();
    assert_eq!(imported.len(), 6, "{report:#}");
    assert!(imported.iter().all(|s| s["status"] == "new" && s["commit"].is_string()));
    assert_eq!(report["secretsScrubbed"], 4);
    assert_eq!(report["malformedLines"], 3, "two in the full transcript, one in the empty one");
    assert_eq!(report["skipped"].as_array().unwrap().len(), 1, "the transcript without a prompt");
    let out = ok(&llmos(&["import", "codex", "--format", "json"], &ws));
    let report: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(report["imported"].as_array().unwrap().len(), 2, "{report:#}");
    assert_eq!(report["secretsScrubbed"], 2);

    // history: eight sessions, dated at the end of their original work
    let history: Vec<Value> = serde_json::from_str(&ok(&llmos(&["history", "--format", "json"], &ws))).unwrap();
    let mut dated: Vec<(String, String)> =
        history.iter().map(|e| (e["time"].as_str().unwrap().to_string(), e["title"].as_str().unwrap().to_string())).collect();
    dated.sort();
    assert_eq!(dated[0], ("2025-03-04T11:00:45Z".to_string(), "Tokenizer unit tests".to_string()));
    assert_eq!(
        dated.iter().map(|(t, _)| &t[..10]).collect::<Vec<_>>(),
        ["2025-03-04", "2025-03-06", "2025-03-08", "2025-03-09", "2025-03-10", "2025-03-11", "2025-03-12", "2025-03-13"]
    );
    let tokenizer = history.iter().find(|e| e["title"] == "Tokenizer unit tests").unwrap();
    assert_eq!(tokenizer["traces"], 3);
    assert!(tokenizer["artifacts"].as_array().unwrap().iter().any(|a| a["name"] == "tests/test_tokenizer.py"), "{tokenizer}");
    assert_eq!(tokenizer["model"], "claude-sonnet-4-5-20250929");
    // the recorded usage is kept: per reply, input + cache reads + cache writes (see the fixture)
    let input = (12 + 1000 + 200) + (30 + 1340) + (8 + 1760) + (9 + 1800) + (20 + 1900) + (4 + 2000) + (6 + 2100);
    let output = 340 + 420 + 60 + 80 + 50 + 30 + 20;
    assert_eq!(tokenizer["tokens"], serde_json::json!({"input": input, "output": output}), "{tokenizer}");

    // no canary anywhere: work tree, commit messages, blobs, trees
    let all = everything_in(&volume);
    assert!(all.contains("Tokenizer unit tests"), "the oracle reads the objects");
    for canary in CANARIES {
        assert!(!all.contains(canary), "{canary} reached the volume");
    }

    // the imported sessions lint clean
    let check = llmos(&["check"], &ws);
    assert_eq!(check.status.code(), Some(0), "{}", String::from_utf8_lossy(&check.stdout));

    // evolution finds the recurring "write pytest unit tests" work (4 of the 8 sessions)
    let evolved: Value = serde_json::from_str(&ok(&llmos(&["evolve", "--since", "36500d", "--dry-run", "--format", "json"], &ws))).unwrap();
    let patterns = evolved["patterns"].as_array().unwrap();
    assert!(patterns.iter().any(|p| p["occurrences"].as_u64() == Some(4)), "{evolved:#}");

    // a second run imports nothing
    let again = ok(&llmos(&["import", "claude-code"], &ws));
    assert!(again.contains("0 new, 0 updated, 6 unchanged"), "{again}");
    let again = ok(&llmos(&["import", "codex"], &ws));
    assert!(again.contains("0 new, 0 updated, 2 unchanged"), "{again}");
    let history_again: Vec<Value> = serde_json::from_str(&ok(&llmos(&["history", "--format", "json"], &ws))).unwrap();
    assert_eq!(history_again.len(), history.len());

    // with `[evolution] install`, the new skill lands where Claude Code reads skills
    let toml = std::fs::read_to_string(ws.join("llmos.toml")).unwrap();
    std::fs::write(ws.join("llmos.toml"), format!("{toml}\n[evolution]\ninstall = [\"claude-code\"]\n")).unwrap();
    let evolved: Value = serde_json::from_str(&ok(&llmos(&["evolve", "--since", "36500d", "--format", "json"], &ws))).unwrap();
    let created: Vec<&str> = evolved["skills"].as_array().unwrap().iter().filter(|s| s["action"] == "created").map(|s| s["name"].as_str().unwrap()).collect();
    assert!(!created.is_empty(), "{evolved:#}");
    for name in created {
        let installed = ws.join(".claude/skills").join(name);
        assert!(installed.join("SKILL.md").is_file(), "{name}: {evolved:#}");
        // llmos's own keys went under `metadata`, so the standard's validator accepts it
        let check = llmos(&["check", installed.to_str().unwrap(), "--profile", "agentskills"], &ws);
        assert_eq!(check.status.code(), Some(0), "{}", String::from_utf8_lossy(&check.stdout));
        assert!(std::fs::read_to_string(installed.join("SKILL.md")).unwrap().contains("\nmetadata:\n"));
    }
}

#[test]
fn a_grown_transcript_updates_its_session() {
    let dir = tempfile::tempdir().unwrap();
    let ws = init(dir.path());
    let source = dir.path().join("t.jsonl");
    let line = |uuid: &str, parent: Option<&str>, kind: &str, text: &str, t: &str| {
        serde_json::json!({"type": kind, "uuid": uuid, "parentUuid": parent, "sessionId": "feedbeef-0000-4000-8000-00000000abcd", "cwd": "/p", "timestamp": t,
            "message": {"role": kind, "content": text}})
        .to_string()
            + "\n"
    };
    std::fs::write(
        &source,
        line("u1", None, "user", "Summarise the release notes", "2025-05-01T10:00:00Z")
            + &line("a1", Some("u1"), "assistant", "Here they are.", "2025-05-01T10:00:05Z"),
    )
    .unwrap();
    let first = ok(&llmos(&["import", "claude-code", source.to_str().unwrap()], &ws));
    assert!(first.contains("1 new"), "{first}");
    let mut grown = std::fs::read_to_string(&source).unwrap();
    grown += &line("u2", Some("a1"), "user", "Now as a tweet", "2025-05-02T09:00:00Z");
    grown += &line("a2", Some("u2"), "assistant", "Release out now!", "2025-05-02T09:00:04Z");
    std::fs::write(&source, grown).unwrap();
    let second = ok(&llmos(&["import", "claude-code", source.to_str().unwrap()], &ws));
    assert!(second.contains("0 new, 1 updated"), "{second}");
    let sessions: Vec<PathBuf> = std::fs::read_dir(ws.join("volumes/user/sessions")).unwrap().map(|e| e.unwrap().path()).collect();
    assert_eq!(sessions.len(), 1, "the same session, updated");
    let text = std::fs::read_to_string(&sessions[0]).unwrap();
    assert!(text.contains("Release out now!") && text.contains("status: committed"), "{text}");
    let history: Vec<Value> = serde_json::from_str(&ok(&llmos(&["history", "--format", "json"], &ws))).unwrap();
    assert_eq!(history.len(), 2);
    assert_eq!(history[0]["time"], "2025-05-02T09:00:04Z");
    assert!(ok(&llmos(&["import", "claude-code", source.to_str().unwrap()], &ws)).contains("1 unchanged"));

    // a session edited by hand is not overwritten when its transcript grows again
    std::fs::write(&sessions[0], text.replace("Release out now!", "my own words")).unwrap();
    std::fs::write(&source, std::fs::read_to_string(&source).unwrap() + &line("u3", Some("a2"), "user", "Shorter", "2025-05-03T09:00:00Z")).unwrap();
    let third = ok(&llmos(&["import", "claude-code", source.to_str().unwrap()], &ws));
    assert!(third.contains("not committed; commit or discard them first"), "{third}");
    assert!(std::fs::read_to_string(&sessions[0]).unwrap().contains("my own words"));
}

#[test]
fn import_filters_and_bad_input() {
    let dir = tempfile::tempdir().unwrap();
    let ws = init(dir.path());
    let projects = fixtures().join("claude-code/projects");
    let only_site = ok(&llmos(&["import", "claude-code", projects.to_str().unwrap(), "--project", "work/site", "--dry-run"], &ws));
    assert!(only_site.contains("4 new, 0 updated"), "{only_site}");
    assert!(only_site.contains("change-the-landing-page"), "{only_site}");
    let since = ok(&llmos(&["import", "claude-code", projects.to_str().unwrap(), "--since", "2025-03-05", "--dry-run"], &ws));
    assert!(since.contains("5 new"), "{since}");
    let missing = llmos(&["import", "claude-code", "no/such/folder"], &ws);
    assert_eq!(missing.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&missing.stderr).contains("does not exist"));
    assert_eq!(llmos(&["import", "claude-code", "--since", "soon"], &ws).status.code(), Some(2));
    // binary and non-UTF-8 files are skipped, not fatal
    let junk = dir.path().join("junk");
    std::fs::create_dir_all(&junk).unwrap();
    std::fs::write(junk.join("a.jsonl"), [0u8, 159, 146, 150, 255, b'\n']).unwrap();
    let out = ok(&llmos(&["import", "codex", junk.to_str().unwrap()], &ws));
    assert!(out.contains("0 new, 0 updated, 0 unchanged, 1 skipped"), "{out}");
}
