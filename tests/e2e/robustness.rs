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

fn mkfifo(path: &Path) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    assert!(Command::new("mkfifo").arg(path).status().unwrap().success());
}

/// Runs the CLI with a deadline: a hang fails the test instead of wedging it.
async fn llmos_within(args: &[&str], cwd: &Path, secs: u64) -> Output {
    let child = tokio::process::Command::new(env!("CARGO_BIN_EXE_llmos")).args(args).current_dir(cwd).kill_on_drop(true).output();
    tokio::time::timeout(std::time::Duration::from_secs(secs), child).await.unwrap_or_else(|_| panic!("llmos {args:?} hung")).unwrap()
}

#[tokio::test]
async fn fifos_named_like_sessions_or_config_are_refused_without_blocking() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("llmos.toml"), "").unwrap();
    let fifo = dir.path().join("volumes/user/sessions/x.md");
    mkfifo(&fifo);
    for args in [["commit", "volumes/user/sessions/x.md"], ["chat", "volumes/user/sessions/x.md"]] {
        let out = llmos_within(&args, dir.path(), 20).await;
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(stderr.contains("not a regular file") && stderr.contains("FIFO"), "{args:?}: {stderr}");
    }
    let out = llmos_within(&["check", "volumes/user/sessions/x.md", "--format", "json"], dir.path(), 20).await;
    assert!(String::from_utf8_lossy(&out.stdout).contains("file/not-regular"), "{}", String::from_utf8_lossy(&out.stderr));
    // llmos.toml as a FIFO: check reports it and goes on.
    let dir = tempfile::tempdir().unwrap();
    mkfifo(&dir.path().join("llmos.toml"));
    let skill = dir.path().join("volumes/user/skills/ok/SKILL.md");
    std::fs::create_dir_all(skill.parent().unwrap()).unwrap();
    std::fs::write(&skill, "---\nname: ok\ndescription: Fine. Use when fine.\n---\n").unwrap();
    let out = llmos_within(&["check", "--format", "json"], dir.path(), 20).await;
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("not a regular file"), "{stdout} {}", String::from_utf8_lossy(&out.stderr));
}

#[tokio::test]
async fn the_server_refuses_fifos_and_devices_for_export_commit_and_chat() {
    let s = TestServer::start_with("//- llmos.toml\n", git_options()).await;
    let fifo = s.path("volumes/user/sessions/x.md");
    mkfifo(&fifo);
    let fifo_uri = s.uri("volumes/user/sessions/x.md");
    for uri in [fifo_uri.as_str(), "file:///dev/zero"] {
        for command in ["llmos.session.export", "llmos.session.commit", "llmos.chat.send"] {
            let r = tokio::time::timeout(
                std::time::Duration::from_secs(20),
                s.request("workspace/executeCommand", json!({ "command": command, "arguments": [{ "uri": uri }] })),
            )
            .await
            .unwrap_or_else(|_| panic!("{command} on {uri} hung"));
            let message = r["error"]["message"].as_str().unwrap_or_else(|| panic!("{command} on {uri}: {r}"));
            assert!(message.contains("not a regular file") || message.contains("not a session"), "{command} on {uri}: {message}");
        }
    }
    // A link to a FIFO artifact: hover and definition answer instead of blocking on it.
    mkfifo(&s.path("volumes/user/artifacts/data.csv"));
    let text = "---\ntitle: L\n---\n\n<!-- turn: user -->\nSee [d](../artifacts/data.csv)\n";
    let uri = s.open_text("volumes/user/sessions/l.md", text).await;
    for method in ["textDocument/hover", "textDocument/definition"] {
        let r = tokio::time::timeout(
            std::time::Duration::from_secs(20),
            s.request(method, json!({ "textDocument": { "uri": uri }, "position": { "line": 5, "character": 12 } })),
        )
        .await
        .unwrap_or_else(|_| panic!("{method} on a link to a FIFO hung"));
        assert!(r.get("error").is_none(), "{r}");
    }
    // A file event about the FIFO and opening/closing it do not freeze the server.
    s.notify("workspace/didChangeWatchedFiles", json!({ "changes": [{ "uri": fifo_uri, "type": 2 }] })).await;
    s.notify("textDocument/didOpen", json!({ "textDocument": { "uri": fifo_uri, "languageId": "markdown", "version": 1, "text": "" } })).await;
    s.notify("textDocument/didClose", json!({ "textDocument": { "uri": fifo_uri } })).await;
    let status = tokio::time::timeout(std::time::Duration::from_secs(20), s.request("llmos/status", Value::Null)).await.expect("server answers");
    assert!(status.get("result").is_some(), "{status}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cli_chat_merges_its_reply_into_the_file_as_it_is_at_the_end() {
    use llmos_llm::ProviderKind;
    use llmos_llm::testing::{FakeProvider, Script};
    let fake = FakeProvider::start().await.unwrap();
    fake.push(Script::Reply { chunks: vec!["Slow ".into(), "reply".into()], delay_between: std::time::Duration::from_millis(1500) });
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("llmos.toml"),
        format!(
            "[llm]\nprovider = \"anthropic\"\nmodel = \"m\"\nbase_url = \"{}\"\napi_key_env = \"LLMOS_MERGE_TEST_KEY\"\n",
            fake.base_url(ProviderKind::Anthropic)
        ),
    )
    .unwrap();
    let session = dir.path().join("volumes/user/sessions/t.md");
    std::fs::create_dir_all(session.parent().unwrap()).unwrap();
    std::fs::write(&session, "---\ntitle: T\nid: t\n---\n\n<!-- turn: user -->\nSay hello\n").unwrap();
    let child = tokio::process::Command::new(env!("CARGO_BIN_EXE_llmos"))
        .args(["chat", session.to_str().unwrap()])
        .env("LLMOS_MERGE_TEST_KEY", "sk-merge-test")
        .current_dir(dir.path())
        .kill_on_drop(true)
        .output();
    let edit = async {
        // Wait for the first delta: the CLI has read the file and is streaming.
        while fake.first_delta_sent_at(0).is_none() {
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
        std::fs::write(&session, "---\ntitle: T, renamed while the reply streamed\nid: t\n---\n\n<!-- turn: user -->\nSay hello\n").unwrap();
    };
    let (out, ()) = tokio::join!(child, edit);
    let out = out.unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let text = std::fs::read_to_string(&session).unwrap();
    assert!(text.contains("title: T, renamed while the reply streamed"), "the edit made during the reply was lost: {text}");
    // The marker also carries the usage the fake provider reports (issue 16).
    assert!(text.contains("<!-- turn: assistant model=m tokens=") && text.contains(" -->\nSlow reply\n"), "{text}");
}

#[cfg(unix)]
#[tokio::test]
async fn committing_a_read_only_session_keeps_its_mode() {
    use std::os::unix::fs::PermissionsExt;
    let fixture =
        "//- llmos.toml\n//- volumes/user/sessions/ro.md\n---\ntitle: RO\nid: ro\nstatus: uncommitted\ncommit: null\n---\n\n<!-- turn: user -->\nhello\n";
    let s = TestServer::start_with(fixture, git_options()).await;
    let path = s.path("volumes/user/sessions/ro.md");
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o444)).unwrap();
    let uri = s.uri("volumes/user/sessions/ro.md");
    let r = s.request("workspace/executeCommand", json!({ "command": "llmos.session.commit", "arguments": [{ "uri": uri }] })).await;
    assert!(r.get("error").is_none(), "{r}");
    assert!(std::fs::read_to_string(&path).unwrap().contains("status: committed"));
    assert_eq!(std::fs::metadata(&path).unwrap().permissions().mode() & 0o777, 0o444);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reply_echoing_the_key_never_reaches_the_session_or_the_terminal() {
    use llmos_llm::ProviderKind;
    use llmos_llm::testing::{FakeProvider, Script};
    let canary = "sk-echo-canary-5d1f0a9b3c7e";
    let fake = FakeProvider::start().await.unwrap();
    fake.push(Script::reply(["Your headers: x-api-key: sk-echo-", "canary-5d1f0a9b3c7e. ", "Done."]));
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("llmos.toml"),
        format!(
            "[llm]\nprovider = \"anthropic\"\nmodel = \"m\"\nbase_url = \"{}\"\napi_key_env = \"LLMOS_ECHO_TEST_KEY\"\n",
            fake.base_url(ProviderKind::Anthropic)
        ),
    )
    .unwrap();
    let session = dir.path().join("volumes/user/sessions/t.md");
    std::fs::create_dir_all(session.parent().unwrap()).unwrap();
    std::fs::write(&session, "---\ntitle: T\nid: t\n---\n\n<!-- turn: user -->\nEcho my headers\n").unwrap();
    let out = tokio::process::Command::new(env!("CARGO_BIN_EXE_llmos"))
        .args(["chat", session.to_str().unwrap()])
        .env("LLMOS_ECHO_TEST_KEY", canary)
        .current_dir(dir.path())
        .output()
        .await
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let text = std::fs::read_to_string(&session).unwrap();
    assert!(text.contains("x-api-key: [redacted]. Done."), "{text}");
    assert!(!text.contains(canary) && !String::from_utf8_lossy(&out.stdout).contains(canary) && !String::from_utf8_lossy(&out.stderr).contains(canary));
}

#[cfg(unix)]
#[tokio::test]
async fn link_completion_does_not_follow_symlinks_out_of_the_volume() {
    let s = TestServer::start("//- llmos.toml\n//- volumes/user/artifacts/real/inside.csv\nx\n").await;
    let outside = tempfile::tempdir().unwrap();
    std::fs::write(outside.path().join("secret-file.txt"), "x").unwrap();
    std::os::unix::fs::symlink(outside.path(), s.path("volumes/user/artifacts/etcdir")).unwrap();
    let line = "[c](../artifacts/etcdir/";
    let text = format!("---\ntitle: C\n---\n\n<!-- turn: user -->\n{line}\n");
    let uri = s.open_text("volumes/user/sessions/c.md", &text).await;
    let at = |l: &str| json!({ "textDocument": { "uri": uri }, "position": { "line": 5, "character": l.len() } });
    let r = s.request("textDocument/completion", at(line)).await;
    assert!(!r.to_string().contains("secret-file"), "completion listed a folder outside the volume: {r}");
    // The same completion inside the volume still works.
    let inside = "[c](../artifacts/real/";
    s.edit(&uri, text.find(line).unwrap()..text.find(line).unwrap() + line.len(), inside).await;
    let r = s.request("textDocument/completion", at(inside)).await;
    assert!(r.to_string().contains("inside.csv"), "{r}");
}

#[cfg(unix)]
#[test]
fn check_does_not_read_a_session_symlinked_outside() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("llmos.toml"), "").unwrap();
    let outside = tempfile::tempdir().unwrap();
    let private = outside.path().join("private.md");
    std::fs::write(&private, "---\ntitle: PRIVATE-CONTENT-42\n---\nPRIVATE-CONTENT-42\n").unwrap();
    let sessions = dir.path().join("volumes/user/sessions");
    std::fs::create_dir_all(&sessions).unwrap();
    std::os::unix::fs::symlink(&private, sessions.join("leak.md")).unwrap();
    for format in ["json", "text"] {
        let out = llmos(&["check", "volumes/user/sessions/leak.md", "--format", format], dir.path());
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(!stdout.contains("PRIVATE-CONTENT-42"), "{stdout}");
        assert!(stdout.contains("outside the workspace"), "{stdout}");
    }
}

#[cfg(unix)]
#[tokio::test]
async fn promote_refuses_sessions_and_skills_that_lead_outside_the_volume() {
    let s = TestServer::start_with(
        "//- llmos.toml\n//- volumes/user/sessions/s.md\n---\ntitle: S\n---\n\n<!-- turn: user -->\nprivate transcript\n",
        Options { git_volumes: vec!["user", "team"], ..Options::default() },
    )
    .await;
    let outside = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(outside.path().join("references")).unwrap();
    std::fs::write(outside.path().join("SKILL.md"), "---\nname: linked\ndescription: Linked. Use when linking.\n---\n").unwrap();
    std::fs::write(outside.path().join("references/private.md"), "private").unwrap();
    std::fs::create_dir_all(s.path("volumes/user/skills")).unwrap();
    std::os::unix::fs::symlink(outside.path(), s.path("volumes/user/skills/linked")).unwrap();
    // A real skill folder holding a symlinked file that leads out.
    std::fs::create_dir_all(s.path("volumes/user/skills/mixed")).unwrap();
    std::fs::write(s.path("volumes/user/skills/mixed/SKILL.md"), "---\nname: mixed\ndescription: Mixed. Use when mixing.\n---\n").unwrap();
    std::os::unix::fs::symlink(outside.path().join("references/private.md"), s.path("volumes/user/skills/mixed/notes.md")).unwrap();
    let team_head = || Command::new("git").arg("-C").arg(s.path("volumes/team")).args(["rev-list", "--all", "--count"]).output().unwrap().stdout;
    let before = team_head();
    for rel in ["volumes/user/sessions/s.md", "volumes/user/skills/linked/SKILL.md", "volumes/user/skills/mixed/SKILL.md"] {
        let r = s.request("workspace/executeCommand", json!({ "command": "llmos.skill.promote", "arguments": [{ "uri": s.uri(rel), "to": "team" }] })).await;
        let message = r["error"]["message"].as_str().unwrap_or_else(|| panic!("{rel} was promoted: {r}"));
        assert!(message.contains("not a skill") || message.contains("outside the user volume"), "{rel}: {message}");
    }
    // The CLI path too.
    for what in ["volumes/user/sessions/s.md", "volumes/user/skills/linked"] {
        let out = llmos(&["promote", what, "--to", "team"], s.path("").as_path());
        assert_eq!(out.status.code(), Some(2), "{what}: {}", String::from_utf8_lossy(&out.stdout));
    }
    assert_eq!(team_head(), before, "nothing was committed into the team volume");
    assert!(!s.path("volumes/team/skills").exists());
}

#[test]
fn evolve_never_overwrites_a_proposal_a_person_wrote_into() {
    let dir = tempfile::tempdir().unwrap();
    let ws = dir.path().join("ws");
    assert!(llmos(&["init", ws.to_str().unwrap(), "--demo"], dir.path()).status.success());
    let user = ws.join("volumes/user");
    let out = llmos(&["evolve", "--format", "json"], &ws);
    let result: Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stderr)));
    let created = result["skills"].as_array().unwrap().iter().find(|s| s["action"] == "created").expect("a created skill");
    let skill_path = Path::new(created["path"].as_str().unwrap()).to_path_buf();
    // A person edits the skill, then new evidence arrives: a proposal is written beside it.
    let skill = std::fs::read_to_string(&skill_path).unwrap();
    std::fs::write(&skill_path, skill.replace("## Purpose", "## Purpose\n\nMy own note.")).unwrap();
    let evidence = |n: u32| {
        let extra = user.join(format!("sessions/extra-chart-{n}.md"));
        std::fs::write(&extra, format!("---\ntitle: Chart {n}\nid: extra-chart-{n}\nstatus: uncommitted\ncommit: null\n---\n\n<!-- turn: user -->\nPlot quarterly revenue {n} from the CSV as a line chart with labelled axes.\n")).unwrap();
        assert!(llmos(&["commit", extra.to_str().unwrap()], &ws).status.success());
        let out = llmos(&["evolve", "--since", "30d", "--format", "json"], &ws);
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    };
    evidence(1);
    let proposal = skill_path.with_file_name("SKILL.proposed.md");
    let first = std::fs::read_to_string(&proposal).expect("a proposal");
    // The person writes notes into the proposal (never committed); the next run has the
    // same evidence to propose again.
    let noted = format!("{first}\n\nMY NOTES ON THIS PROPOSAL\n");
    std::fs::write(&proposal, &noted).unwrap();
    let rerun = || {
        let out = llmos(&["evolve", "--since", "30d", "--format", "json"], &ws);
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8_lossy(&out.stdout).to_string()
    };
    let run = rerun();
    assert_eq!(std::fs::read_to_string(&proposal).unwrap(), noted, "the notes in the proposal were overwritten");
    let second = skill_path.with_file_name("SKILL.proposed-2.md");
    assert_eq!(std::fs::read_to_string(&second).unwrap_or_default(), first, "the new proposal goes to the next free name: {run}");
    // The same proposal again is not written a third time.
    rerun();
    assert!(!skill_path.with_file_name("SKILL.proposed-3.md").exists());
    assert!(std::fs::read_to_string(&skill_path).unwrap().contains("My own note."));
}

async fn lint_runs(s: &TestServer) -> u64 {
    s.call("llmos/status", json!(null)).await["lintRuns"].as_u64().unwrap()
}

fn codes(diags: &[Value]) -> Vec<&str> {
    diags.iter().filter_map(|d| d["code"].as_str()).collect()
}

/// A session of exactly `bytes` bytes (mostly two-byte `é`, so bytes and characters
/// differ) with a link to a missing artifact and a turn to list as a symbol.
fn session_of(bytes: usize) -> String {
    let head = "---\ntitle: Big\n---\n\n<!-- turn: user -->\nSee [data](../artifacts/missing.csv) here.\n";
    let room = bytes - head.len() - 1;
    format!("{head}{}{}\n", "é".repeat(room / 2), "x".repeat(room % 2))
}

/// didOpen and didChange of a buffer over `max_file_size` (the cap every file read and
/// `llmos check` use): the text is kept, but the document gets one `file/too-large`
/// diagnostic and is neither linted nor parsed for hover, symbols, folding, completion
/// or code actions. One byte less is analysed as usual, and an edit crossing the cap
/// either way switches between the two.
#[tokio::test]
async fn a_document_over_the_size_cap_is_kept_but_not_analysed() {
    const CAP: usize = 4096;
    let s = TestServer::start(&format!("//- llmos.toml\nmax_file_size = {CAP}\n")).await;
    let symbols = |uri: &str| json!({ "textDocument": { "uri": uri } });
    let at_link = |uri: &str, text: &str| json!({ "textDocument": { "uri": uri }, "position": crate::harness::pos(text, text.find("missing").unwrap()) });

    // Just under (exactly the cap): analysed.
    let under = session_of(CAP);
    assert_eq!(under.len(), CAP);
    let small = s.open_text("volumes/user/sessions/small.md", &under).await;
    assert!(codes(&s.current_diagnostics(&small).await).contains(&"session/broken-artifact"));
    let listed = s.call("textDocument/documentSymbol", symbols(&small)).await;
    assert!(listed.as_array().is_some_and(|a| !a.is_empty()), "{listed}");

    // Just over: one diagnostic, the same through a pull, and no analysis.
    let over = session_of(CAP + 1);
    let big = s.open_text("volumes/user/sessions/big.md", &over).await;
    let diags = s.current_diagnostics(&big).await;
    assert_eq!(codes(&diags), ["file/too-large"], "{diags:?}");
    assert!(diags[0]["message"].as_str().unwrap().contains(&format!("{} bytes", CAP + 1)), "{diags:?}");
    let pulled = s.call("textDocument/diagnostic", symbols(&big)).await;
    assert_eq!(codes(pulled["items"].as_array().unwrap()), ["file/too-large"], "{pulled}");
    let runs = lint_runs(&s).await;
    let listed = s.call("textDocument/documentSymbol", symbols(&big)).await;
    assert!(listed.is_null() || listed.as_array().is_some_and(|a| a.is_empty()), "{listed}");
    let folds = s.call("textDocument/foldingRange", symbols(&big)).await;
    assert!(folds.is_null() || folds.as_array().is_some_and(|a| a.is_empty()), "{folds}");
    assert!(s.call("textDocument/hover", at_link(&big, &over)).await.is_null());
    let completion = s.call("textDocument/completion", at_link(&big, &over)).await;
    assert!(completion.is_null() || completion.as_array().is_some_and(|a| a.is_empty()), "{completion}");
    let whole = json!({ "start": { "line": 0, "character": 0 }, "end": { "line": 6, "character": 0 } });
    let actions = s.call("textDocument/codeAction", json!({ "textDocument": { "uri": big }, "range": whole, "context": { "diagnostics": [] } })).await;
    assert!(actions.is_null() || actions.as_array().is_some_and(|a| a.is_empty()), "{actions}");

    // Edits on the large buffer apply (the editor owns it) without a lint each.
    for _ in 0..5 {
        s.edit(&big, 0..0, "").await;
        s.edit(&big, over.len()..over.len(), "é").await;
        assert_eq!(codes(&s.current_diagnostics(&big).await), ["file/too-large"]);
    }
    assert_eq!(lint_runs(&s).await, runs, "nothing over the cap was linted");

    // Back under the cap by an edit: analysed again, on the text the editor has.
    let text = s.text(&big);
    let cut = (0..CAP).rev().find(|&i| text.is_char_boundary(i)).unwrap();
    s.edit(&big, cut..text.len(), "").await;
    let text = s.text(&big);
    assert!(text.len() <= CAP);
    let diags = s.current_diagnostics(&big).await;
    let broken = diags.iter().find(|d| d["code"] == "session/broken-artifact").unwrap_or_else(|| panic!("{diags:?}"));
    let (a, b) = (crate::harness::offset(&text, &broken["range"]["start"]), crate::harness::offset(&text, &broken["range"]["end"]));
    assert_eq!(&text[a..b], "../artifacts/missing.csv");

    // And over again by typing one line at the end.
    s.edit(&big, text.len()..text.len(), &"é".repeat(CAP)).await;
    assert_eq!(codes(&s.current_diagnostics(&big).await), ["file/too-large"]);
    s.shutdown().await;
}

/// Every file under `dir`, following links (to see what leaked through them).
#[cfg(unix)]
fn files_under(dir: &Path) -> Vec<std::path::PathBuf> {
    walkdir::WalkDir::new(dir).follow_links(true).into_iter().flatten().filter(|e| e.file_type().is_file()).map(|e| e.into_path()).collect()
}

/// A demo workspace whose `llmos evolve` writes a skill, and the names it would write.
#[cfg(unix)]
fn demo_for_evolution() -> (tempfile::TempDir, std::path::PathBuf, Vec<String>) {
    let dir = tempfile::tempdir().unwrap();
    let ws = dir.path().join("ws");
    assert!(llmos(&["init", ws.to_str().unwrap(), "--demo"], dir.path()).status.success());
    let out = llmos(&["evolve", "--dry-run", "--format", "json"], &ws);
    let plan: Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stderr)));
    let names: Vec<String> = plan["skills"].as_array().unwrap().iter().map(|s| s["name"].as_str().unwrap().to_string()).collect();
    assert!(!names.is_empty(), "{plan}");
    (dir, ws, names)
}

/// Evolution writes skills into `skills/`, proposals beside them and reports into
/// `.llmos/reports/`: when any of those is a link leading outside, nothing is written
/// (or read) there, and the run says why.
#[cfg(unix)]
#[test]
fn evolve_writes_nothing_through_links_leading_outside() {
    for linked in ["volumes/user/skills", "skill folder", ".llmos", ".llmos/reports"] {
        let (_dir, ws, names) = demo_for_evolution();
        let outside = tempfile::tempdir().unwrap();
        let link = match linked {
            "skill folder" => ws.join("volumes/user/skills").join(&names[0]),
            other => ws.join(other),
        };
        if link.is_dir() {
            std::fs::remove_dir_all(&link).unwrap();
        }
        std::fs::create_dir_all(link.parent().unwrap()).unwrap();
        std::os::unix::fs::symlink(outside.path(), &link).unwrap();
        let out = llmos(&["evolve", "--format", "json"], &ws);
        let said = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
        assert_eq!(files_under(outside.path()), Vec::<std::path::PathBuf>::new(), "{linked}: written outside: {said}");
        assert!(said.contains("symbolic link leading outside"), "{linked}: no clear reason: {said}");
    }
}

/// Random edits that take a session back and forth across `max_file_size`: after each,
/// the diagnostics say `file/too-large` exactly when the editor's text (a plain string
/// here, its length counted in bytes by the test) is over the cap, every feature answers
/// without an error, and below the cap the session's turn ends where that string ends,
/// so no edit made while the server was not analysing was lost or misplaced.
/// `LLMOS_FUZZ_CASES` sets the number of edits (default 60).
#[tokio::test]
async fn random_edits_across_the_size_cap_keep_text_and_verdict_right() {
    use proptest::strategy::{Strategy, ValueTree};
    const CAP: usize = 200;
    let edits: u32 = std::env::var("LLMOS_FUZZ_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(60);
    let s = TestServer::start(&format!("//- llmos.toml\nmax_file_size = {CAP}\n")).await;
    let head = "---\ntitle: Cap\n---\n\n<!-- turn: user -->\n";
    let mut text = format!("{head}start é😀\n");
    let uri = s.open_text("volumes/user/sessions/cap.md", &text).await;
    let pieces = ["a", "é", "😀", "\n", "\r\n", "x".repeat(40).leak() as &str, "é".repeat(30).leak() as &str, "[l](m.md)"];
    let strategy = (0usize..1000, 0usize..80, proptest::collection::vec(proptest::sample::select(pieces.to_vec()), 0..5), any_bool());
    let mut runner = proptest::test_runner::TestRunner::deterministic();
    let (mut over, mut under) = (0, 0);
    for _ in 0..edits {
        let (at, len, inserted, shrink) = strategy.new_tree(&mut runner).unwrap().current();
        // Edits stay after the turn marker, on char boundaries, never splitting a CRLF.
        let boundary = |mut i: usize, text: &str| {
            while !text.is_char_boundary(i) || (i > 0 && text.as_bytes()[i - 1] == b'\r' && text.as_bytes().get(i) == Some(&b'\n')) {
                i -= 1;
            }
            i
        };
        let start = boundary(head.len() + at % (text.len() - head.len() + 1), &text).max(head.len());
        let end = if shrink { boundary((start + len * 4).min(text.len()), &text).max(start) } else { start };
        let new_text = if shrink { String::new() } else { inserted.concat() };
        s.edit(&uri, start..end, &new_text).await;
        text = s.text(&uri);
        let diags = s.current_diagnostics(&uri).await;
        let too_large = codes(&diags) == ["file/too-large"];
        assert_eq!(too_large, text.len() > CAP, "{} bytes: {diags:?}", text.len());
        if too_large {
            over += 1;
        } else {
            under += 1;
        }
        let doc = json!({ "uri": uri });
        let at = crate::harness::pos(&text, text.len());
        for (method, params) in [
            ("textDocument/hover", json!({ "textDocument": doc, "position": at })),
            ("textDocument/completion", json!({ "textDocument": doc, "position": at })),
            ("textDocument/foldingRange", json!({ "textDocument": doc })),
            ("textDocument/diagnostic", json!({ "textDocument": doc })),
            ("textDocument/codeAction", json!({ "textDocument": doc, "range": { "start": at, "end": at }, "context": { "diagnostics": [] } })),
        ] {
            let r = s.request(method, params).await;
            assert!(r.get("error").is_none(), "{method}: {r}");
        }
        let symbols = s.call("textDocument/documentSymbol", json!({ "textDocument": doc })).await;
        if !too_large {
            assert_eq!(symbols[0]["range"]["end"], at, "the server's text ends where the editor's does: {text:?}");
        } else {
            assert!(symbols.is_null() || symbols.as_array().is_some_and(|a| a.is_empty()), "{symbols}");
        }
    }
    eprintln!("size cap fuzz: {edits} edits, {over} over the cap, {under} under");
    assert!(over > 0 && under > 0, "the edits crossed the cap both ways ({over} over, {under} under)");
}

fn any_bool() -> proptest::bool::Any {
    proptest::bool::ANY
}

/// `llmos migrate` into a volume whose `sessions/` is a link leading outside: refused
/// with the link named, exit code 2, nothing written there (or anywhere in the volume).
#[cfg(unix)]
#[test]
fn migrate_refuses_a_sessions_folder_linked_outside_the_volume() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("llmos.toml"), "").unwrap();
    let user = dir.path().join("volumes/user");
    std::fs::create_dir_all(&user).unwrap();
    let outside = tempfile::tempdir().unwrap();
    std::os::unix::fs::symlink(outside.path(), user.join("sessions")).unwrap();
    let lite = Path::new(env!("CARGO_MANIFEST_DIR")).join("../crates/workspace/tests/data/lite");
    for extra in [&["--dry-run"][..], &[]] {
        let mut args = vec!["migrate", lite.to_str().unwrap()];
        args.extend_from_slice(extra);
        let out = llmos(&args, dir.path());
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{extra:?}: {stderr}");
        assert!(stderr.contains("symbolic link leading outside") && stderr.contains("sessions"), "{stderr}");
    }
    assert_eq!(files_under(outside.path()), Vec::<std::path::PathBuf>::new());
    assert_eq!(files_under(&user), Vec::<std::path::PathBuf>::new());
}
