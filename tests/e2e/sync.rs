//! Sync between two people through a GitHub stand-in and a real `git daemon` on
//! 127.0.0.1: the repository is created on first sync, both commit sessions and sync in
//! both orders, a session edited on both sides keeps both versions, and the token
//! appears nowhere.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use llmos_github::testing::{FakeGithub, GitDaemon};
use serde_json::Value;

const ALICE_TOKEN: &str = "ghp_canaryALICE0123456789";
const BOB_TOKEN: &str = "ghp_canaryBOB0123456789";

fn llmos(ws: &Path, token: &str, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_llmos"))
        .args(args)
        .current_dir(ws)
        .env("GITHUB_TOKEN", token)
        .env_remove("GH_TOKEN")
        .env("LLMOS_CONFIG_DIR", ws.join("no-config"))
        .output()
        .unwrap()
}

fn workspace(root: &Path, name: &str, api: &str, git: &str) -> PathBuf {
    let ws = root.join(name);
    let out = Command::new(env!("CARGO_BIN_EXE_llmos")).args(["init", ws.to_str().unwrap()]).output().unwrap();
    assert!(out.status.success());
    std::fs::write(ws.join("llmos.toml"), format!("[volumes.team]\nremote = \"github:acme/team\"\n[github]\napi_url = \"{api}\"\ngit_url = \"{git}\"\n"))
        .unwrap();
    let repo = llmos_vcs::Volume::open(&ws.join("volumes/team")).unwrap();
    let _ = Command::new("git").arg("-C").arg(ws.join("volumes/team")).args(["config", "user.name", name]).output();
    let _ = Command::new("git").arg("-C").arg(ws.join("volumes/team")).args(["config", "user.email", &format!("{name}@example.com")]).output();
    drop(repo);
    ws
}

fn session(ws: &Path, token: &str, id: &str, prompt: &str) {
    let path = ws.join(format!("volumes/team/sessions/{id}.md"));
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(&path, format!("---\ntitle: {id}\nid: {id}\nstatus: uncommitted\ncommit: null\n---\n\n<!-- turn: user -->\n{prompt}\n")).unwrap();
    let out = llmos(ws, token, &["commit", path.to_str().unwrap()]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
}

fn sync(ws: &Path, token: &str) -> Value {
    let out = llmos(ws, token, &["sync", "team", "--format", "json"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "sync failed: {stderr}");
    assert!(!stderr.contains(token) && !String::from_utf8_lossy(&out.stdout).contains(token));
    serde_json::from_slice::<Vec<Value>>(&out.stdout).unwrap().remove(0)
}

fn files(ws: &Path) -> Vec<String> {
    let mut v: Vec<String> =
        std::fs::read_dir(ws.join("volumes/team/sessions")).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().to_string()).collect();
    v.sort();
    v
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn alice_and_bob_share_a_team_volume() {
    let root = tempfile::tempdir().unwrap();
    let fake = FakeGithub::start(root.path().join("repos")).await.unwrap();
    fake.add_user("alice", ALICE_TOKEN);
    fake.add_user("bob", BOB_TOKEN);
    fake.add_org("acme", &["alice", "bob"]);
    let daemon = tokio::task::spawn_blocking({
        let repos = fake.repos_root();
        move || GitDaemon::start(&repos).unwrap()
    })
    .await
    .unwrap();
    fake.set_git_base(&daemon.url());
    let alice = workspace(root.path(), "alice", &fake.url(), daemon.url().trim_end_matches('/'));
    let bob = workspace(root.path(), "bob", &fake.url(), daemon.url().trim_end_matches('/'));

    // Alice's first sync creates the repository under the organisation and pushes.
    session(&alice, ALICE_TOKEN, "a1", "Alice's first session");
    let first = tokio::task::spawn_blocking({
        let alice = alice.clone();
        move || sync(&alice, ALICE_TOKEN)
    })
    .await
    .unwrap();
    assert_eq!(first["createdRepository"], true, "{first}");
    assert!(fake.repo_exists("acme", "team"));
    // Bob has unrelated history of his own (he ran llmos init too) and a session: replayed on top.
    session(&bob, BOB_TOKEN, "b1", "Bob's first session");
    let b = tokio::task::spawn_blocking({
        let bob = bob.clone();
        move || sync(&bob, BOB_TOKEN)
    })
    .await
    .unwrap();
    assert_eq!(b["createdRepository"], false);
    assert_eq!(files(&bob), ["a1.md", "b1.md"]);
    // Both edit the same session; Alice syncs first, then Bob: both versions kept.
    let (a2, b2) = (alice.clone(), bob.clone());
    tokio::task::spawn_blocking(move || {
        let _ = sync(&a2, ALICE_TOKEN);
        std::fs::write(
            a2.join("volumes/team/sessions/b1.md"),
            "---\ntitle: b1\nid: b1\nstatus: uncommitted\ncommit: null\n---\n\n<!-- turn: user -->\nAlice's take\n",
        )
        .unwrap();
        let out = llmos(&a2, ALICE_TOKEN, &["commit", a2.join("volumes/team/sessions/b1.md").to_str().unwrap()]);
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        std::fs::write(
            b2.join("volumes/team/sessions/b1.md"),
            "---\ntitle: b1\nid: b1\nstatus: uncommitted\ncommit: null\n---\n\n<!-- turn: user -->\nBob's take\n",
        )
        .unwrap();
        let out = llmos(&b2, BOB_TOKEN, &["commit", b2.join("volumes/team/sessions/b1.md").to_str().unwrap()]);
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        let _ = sync(&a2, ALICE_TOKEN);
        let r = sync(&b2, BOB_TOKEN);
        assert_eq!(r["report"]["conflicts"].as_array().unwrap().len(), 1, "{r}");
        let _ = sync(&a2, ALICE_TOKEN);
    })
    .await
    .unwrap();
    let bob_files = files(&bob);
    assert_eq!(bob_files.len(), 3, "{bob_files:?}");
    let local = bob_files.iter().find(|f| f.starts_with("b1.local-")).expect("Bob's version kept beside");
    assert!(std::fs::read_to_string(bob.join("volumes/team/sessions/b1.md")).unwrap().contains("Alice's take"));
    assert!(std::fs::read_to_string(bob.join("volumes/team/sessions").join(local)).unwrap().contains("Bob's take"));
    assert_eq!(files(&alice), bob_files, "Alice received both versions too");
    // llmos check reports the conflict on both files
    let check = llmos(&bob, BOB_TOKEN, &["check", "--format", "json"]);
    let diags: Vec<Value> = serde_json::from_slice(&check.stdout).unwrap();
    let conflicts: Vec<&Value> = diags.iter().filter(|d| d["code"] == "session/sync-conflict").collect();
    assert_eq!(conflicts.len(), 2, "{diags:#?}");
    // the tokens appear in no file (git config and objects included)
    assert!(!crate::harness::contains_anywhere(&alice, ALICE_TOKEN));
    assert!(!crate::harness::contains_anywhere(&bob, BOB_TOKEN));
    // status shows the remote and ahead/behind, without network
    let status = Command::new(env!("CARGO_BIN_EXE_llmos")).args(["status", "--format", "json"]).current_dir(&bob).output().unwrap();
    let status: Value = serde_json::from_slice(&status.stdout).unwrap();
    let team = status["volumes"].as_array().unwrap().iter().find(|v| v["name"] == "team").unwrap().clone();
    assert_eq!(team["remote"], "github:acme/team");
    drop(daemon);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sync_failures_lose_nothing() {
    let root = tempfile::tempdir().unwrap();
    let fake = FakeGithub::start(root.path().join("repos")).await.unwrap();
    fake.add_user("alice", ALICE_TOKEN);
    fake.add_org("acme", &["alice"]);
    let ws = workspace(root.path(), "alice", &fake.url(), "git://127.0.0.1:9");
    session(&ws, ALICE_TOKEN, "s1", "hello");
    let head_before =
        String::from_utf8_lossy(&Command::new("git").arg("-C").arg(ws.join("volumes/team")).args(["rev-parse", "HEAD"]).output().unwrap().stdout).to_string();
    // a refused token
    let w = ws.clone();
    let out = tokio::task::spawn_blocking(move || llmos(&w, "ghp_canaryREFUSED000", &["sync", "team"])).await.unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("refused") && !err.contains("ghp_canaryREFUSED000"), "{err}");
    // no network: the git server is not there
    let w = ws.clone();
    let out = tokio::task::spawn_blocking(move || llmos(&w, ALICE_TOKEN, &["sync", "team"])).await.unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("127.0.0.1"), "{}", String::from_utf8_lossy(&out.stderr));
    let head_after =
        String::from_utf8_lossy(&Command::new("git").arg("-C").arg(ws.join("volumes/team")).args(["rev-parse", "HEAD"]).output().unwrap().stdout).to_string();
    assert_eq!(head_before, head_after);
    // a volume without a remote
    let w = ws.clone();
    let out = tokio::task::spawn_blocking(move || llmos(&w, ALICE_TOKEN, &["sync", "user"])).await.unwrap();
    assert!(String::from_utf8_lossy(&out.stderr).contains("has no remote"));
}

#[tokio::test]
async fn sync_through_the_lsp_and_ahead_behind_in_status() {
    use crate::harness::{Options, TestServer};
    let bare = tempfile::tempdir().unwrap();
    assert!(Command::new("git").args(["init", "-q", "--bare", "--initial-branch=main"]).arg(bare.path()).status().unwrap().success());
    let fixture = format!(
        "//- llmos.toml\n[volumes.user]\nremote = \"{}\"\n//- volumes/user/sessions/x.md\n---\ntitle: X\nid: x\nstatus: uncommitted\ncommit: null\n---\n<!-- turn: user -->\nhi\n",
        bare.path().display()
    );
    let s = TestServer::start_with(&fixture, Options { git_volumes: vec!["user"], ..Options::default() }).await;
    let uri = s.open("volumes/user/sessions/x.md").await;
    s.call("workspace/executeCommand", serde_json::json!({ "command": "llmos.session.commit", "arguments": [{ "uri": uri }] })).await;
    let r = s.call("workspace/executeCommand", serde_json::json!({ "command": "llmos.volume.sync", "arguments": [{}] })).await;
    assert_eq!(r["volumes"][0]["report"]["createdRemoteBranch"], true, "{r}");
    let log = Command::new("git").arg("-C").arg(bare.path()).args(["log", "--format=%s", "main"]).output().unwrap();
    assert_eq!(String::from_utf8_lossy(&log.stdout).trim(), "session: X");
    let status = s.call("llmos/status", serde_json::json!(null)).await;
    let user = status["volumes"].as_array().unwrap().iter().find(|v| v["name"] == "user").unwrap().clone();
    assert_eq!(user["aheadBehind"], serde_json::json!({ "ahead": 0, "behind": 0 }), "{user}");
    // no remote on the team volume
    let bad = s.request("workspace/executeCommand", serde_json::json!({ "command": "llmos.volume.sync", "arguments": [{ "volume": "team" }] })).await;
    assert!(bad["error"]["message"].as_str().unwrap().contains("has no remote"), "{bad}");
}
