//! `Volume::history`: session commits only, newest first, parsed back.

mod common;

use common::TestRepo;
use llmos_vcs::commit_message::{self, render_promotion_subject, render_skill_subject};
use llmos_vcs::{ArtifactRef, ContextMemory, Footer, HistoryOptions};
use time::macros::datetime;

const DAY: i64 = 24 * 60 * 60;
const T0: i64 = 1_763_900_000; // 2025-11-23

fn memory(title: &str, session: &str) -> ContextMemory {
    ContextMemory {
        title: title.to_owned(),
        prompt: format!("prompt of {title}"),
        messages: 4,
        artifacts: vec![ArtifactRef { kind: "code".to_owned(), name: "main.py".to_owned() }],
        traces: 1,
        session: session.to_owned(),
        skills: vec!["python".to_owned()],
        model: Some("m1".to_owned()),
        tokens: None,
    }
}

const LEGACY: &str = "session: Legacy work\n\nPrompt: old prompt\n\nStats:\n- 2 messages\n- 1 artifacts generated\n- 0 traces executed\n\nArtifacts:\n- quantum-circuit: bell_state_circuit\n\n🤖 LLMunix Context Memory\n";

fn mixed_history() -> (TestRepo, Vec<String>) {
    let test = TestRepo::new();
    let shas = vec![
        test.commit_raw(&[("sessions/a.md", "a")], &commit_message::render(&memory("A", "a")), T0),
        test.commit_raw(&[("skills/x/SKILL.md", "x")], &render_skill_subject("x", 3, 0.92), T0 + 10),
        test.commit_raw(&[("sessions/legacy.md", "l")], LEGACY, T0 + 20),
        test.commit_raw(&[("README.md", "r")], "Update readme\n\nsession: not a subject\n", T0 + 30),
        test.commit_raw(&[("skills/x/SKILL.md", "y")], &render_promotion_subject("x", "user", "team"), T0 + 40),
        test.commit_raw(&[("sessions/b.md", "b"), ("sessions/c.md", "c"), ("notes.txt", "n")], &commit_message::render(&memory("B", "b")), T0 + 2 * DAY),
    ];
    (test, shas)
}

#[test]
fn skips_skill_promotion_and_plain_commits_newest_first() {
    let (test, shas) = mixed_history();
    let history = test.volume().history(&HistoryOptions::default()).unwrap();

    let titles: Vec<_> = history.iter().map(|entry| entry.commit.title.as_str()).collect();
    assert_eq!(titles, ["B", "Legacy work", "A"]);
    assert_eq!(history[0].sha, shas[5]);
    assert_eq!(history[2].sha, shas[0]);
    assert_eq!(history[0].author, "Ada Tester");
    assert_eq!(history[0].email, "ada@example.com");
    assert_eq!(history[0].timestamp, T0 + 2 * DAY);
    assert_eq!(history[0].commit.session.as_deref(), Some("b"));
    assert_eq!(history[0].commit.skills, ["python"]);
    assert_eq!(history[0].session_paths, None);
}

#[test]
fn legacy_footer_commits_are_read() {
    let (test, _) = mixed_history();
    let history = test.volume().history(&HistoryOptions::default()).unwrap();
    let legacy = &history[1].commit;
    assert_eq!(legacy.footer, Footer::Llmunix);
    assert_eq!(legacy.session, None);
    assert_eq!(legacy.prompt, "old prompt");
    assert_eq!(legacy.messages, 2);
    assert_eq!(legacy.artifacts, [ArtifactRef { kind: "quantum-circuit".to_owned(), name: "bell_state_circuit".to_owned() }]);
}

#[test]
fn since_and_limit_filter() {
    let (test, _) = mixed_history();
    let volume = test.volume();
    let since = time::OffsetDateTime::from_unix_timestamp(T0 + DAY).unwrap();
    let recent = volume.history(&HistoryOptions { since: Some(since), ..HistoryOptions::default() }).unwrap();
    assert_eq!(recent.len(), 1);
    assert_eq!(recent[0].commit.title, "B");

    let far_future = volume.history(&HistoryOptions { since: Some(datetime!(2100-01-01 0:00 UTC)), ..HistoryOptions::default() }).unwrap();
    assert!(far_future.is_empty());

    let limited = volume.history(&HistoryOptions { limit: Some(2), ..HistoryOptions::default() }).unwrap();
    assert_eq!(limited.len(), 2);
    assert!(volume.history(&HistoryOptions { limit: Some(0), ..HistoryOptions::default() }).unwrap().is_empty());
}

#[test]
fn session_paths_list_the_session_files_a_commit_changed() {
    let (test, shas) = mixed_history();
    let volume = test.volume();
    let history = volume.history(&HistoryOptions { session_paths: true, ..HistoryOptions::default() }).unwrap();
    assert_eq!(history[0].session_paths.as_deref(), Some(&["sessions/b.md".to_owned(), "sessions/c.md".to_owned()][..]));
    assert_eq!(history[1].session_paths.as_deref(), Some(&["sessions/legacy.md".to_owned()][..]));
    assert_eq!(history[2].session_paths.as_deref(), Some(&["sessions/a.md".to_owned()][..]));
    let content = volume.file_at(&shas[0], std::path::Path::new("sessions/a.md")).unwrap();
    assert_eq!(content.as_deref(), Some(&b"a"[..]));
}

#[test]
fn empty_repository_has_no_history() {
    let test = TestRepo::new();
    assert!(test.volume().history(&HistoryOptions::default()).unwrap().is_empty());
}

#[test]
fn history_entry_serialises_for_llmos_history_json() {
    let (test, shas) = mixed_history();
    let history = test.volume().history(&HistoryOptions::default()).unwrap();
    let json = serde_json::to_value(&history[2]).unwrap();
    assert_eq!(json["sha"], shas[0]);
    assert_eq!(json["author"], "Ada Tester");
    assert_eq!(json["email"], "ada@example.com");
    assert_eq!(json["time"], "2025-11-23T13:13:20+01:00");
    assert_eq!(json["title"], "A");
    assert_eq!(json["prompt"], "prompt of A");
    assert_eq!(json["messages"], 4);
    assert_eq!(json["artifacts"], serde_json::json!([{"type": "code", "name": "main.py"}]));
    assert_eq!(json["traces"], 1);
    assert_eq!(json["skills"], serde_json::json!(["python"]));
    assert_eq!(json["session"], "a");
    assert_eq!(json["model"], "m1");
    assert!(json.get("sessionPaths").is_none());
}

#[test]
fn session_paths_follow_git_tree_order_with_neighbouring_names() {
    let test = TestRepo::new();
    test.commit_raw(&[("sessions/a.md", "1"), ("sessions/a/b.md", "1"), ("sessions/a0.md", "1"), ("sessions/z.md", "1")], "plain", T0);
    test.commit_raw(&[("sessions/a0.md", "2"), ("sessions/a-.md", "new"), ("sessions/a/b.md", "2")], &commit_message::render(&memory("N", "n")), T0 + 1);
    let history = test.volume().history(&HistoryOptions { session_paths: true, ..HistoryOptions::default() }).unwrap();
    assert_eq!(history[0].session_paths.as_deref(), Some(&["sessions/a-.md".to_owned(), "sessions/a0.md".to_owned()][..]));
}

#[test]
fn session_git_path_points_at_the_trailer_session_file() {
    let (test, shas) = mixed_history();
    let volume = test.volume();
    let history = volume.history(&HistoryOptions::default()).unwrap();
    let id = history[2].commit.session.as_deref().unwrap();
    let path = volume.session_git_path(id);
    assert_eq!(path, "sessions/a.md");
    assert_eq!(volume.file_at(&shas[0], std::path::Path::new(&path)).unwrap().as_deref(), Some(&b"a"[..]));
}

#[test]
fn merged_branches_are_walked_once_newest_first() {
    let test = TestRepo::new();
    let base = test.commit_raw(&[("sessions/base.md", "0")], &commit_message::render(&memory("base", "base")), T0);
    let main_tip = test.commit_raw(&[("sessions/m.md", "m")], &commit_message::render(&memory("main", "m")), T0 + 30);
    let repo = test.repo();
    let signature = git2::Signature::new("Bo", "bo@example.com", &git2::Time::new(T0 + 20, 0)).unwrap();
    let base_commit = repo.find_commit(git2::Oid::from_str(&base).unwrap()).unwrap();
    let side = repo.commit(None, &signature, &signature, &commit_message::render(&memory("side", "s")), &base_commit.tree().unwrap(), &[&base_commit]).unwrap();
    let main_commit = repo.find_commit(git2::Oid::from_str(&main_tip).unwrap()).unwrap();
    let side_commit = repo.find_commit(side).unwrap();
    let merge_signature = git2::Signature::new("Ada", "ada@example.com", &git2::Time::new(T0 + 40, 0)).unwrap();
    repo.commit(Some("HEAD"), &merge_signature, &merge_signature, "Merge branch 'side'\n", &main_commit.tree().unwrap(), &[&main_commit, &side_commit])
        .unwrap();

    let history = test.volume().history(&HistoryOptions::default()).unwrap();
    let titles: Vec<_> = history.iter().map(|entry| entry.commit.title.as_str()).collect();
    assert_eq!(titles, ["main", "side", "base"]);
    assert_eq!(history[1].author, "Bo");
}
