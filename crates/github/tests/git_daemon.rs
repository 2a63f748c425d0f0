//! The fake's "create repository" makes a bare repository that `git daemon` serves:
//! the command-line git can clone it, push to it, and a second clone sees the push.

use std::path::Path;
use std::process::Command;

use llmos_github::testing::{FakeGithub, GitDaemon, git_daemon_available};
use llmos_github::{GithubClient, ResolvedRemote, Token, resolve_remote};

fn git(dir: &Path, args: &[&str]) -> String {
    let out = Command::new("git")
        .args(["-c", "user.name=Test", "-c", "user.email=test@example.invalid", "-c", "commit.gpgsign=false"])
        .args(args)
        .current_dir(dir)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_TERMINAL_PROMPT", "0")
        .output()
        .unwrap();
    assert!(out.status.success(), "git {args:?} failed: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[tokio::test]
async fn created_repository_can_be_cloned_and_pushed_over_git_daemon() {
    assert!(git_daemon_available(), "`git daemon` is needed for the remote tests");
    let root = tempfile::tempdir().unwrap();
    let fake = FakeGithub::start(root.path().join("repos")).await.unwrap();
    fake.add_user("alice", "ghp_alice");
    let daemon = GitDaemon::start(&fake.repos_root()).unwrap();
    fake.set_git_base(&daemon.url());
    let cfg = fake.config();

    let ResolvedRemote::Github(spec) = resolve_remote("github:alice/llmunix-user-alice", &cfg).unwrap() else { panic!() };
    assert_eq!(spec.git_url, format!("git://127.0.0.1:{}/alice/llmunix-user-alice.git", daemon.port()));
    let gh = GithubClient::new(&cfg, Token::new("ghp_alice").unwrap()).unwrap();
    let ensured = gh.ensure_repository(&spec.owner, &spec.repo, true).await.unwrap();
    assert_eq!(ensured.repo.clone_url, spec.git_url);

    let work = root.path().join("work");
    std::fs::create_dir(&work).unwrap();
    git(&work, &["clone", "--quiet", &spec.git_url, "alice"]);
    let alice = work.join("alice");
    std::fs::write(alice.join("session.md"), "# hello\n").unwrap();
    git(&alice, &["add", "session.md"]);
    git(&alice, &["commit", "--quiet", "-m", "session: hello"]);
    git(&alice, &["push", "--quiet", "origin", "HEAD:main"]);

    git(&work, &["clone", "--quiet", &spec.git_url, "bob"]);
    assert_eq!(std::fs::read_to_string(work.join("bob/session.md")).unwrap(), "# hello\n");
    let log = git(&work.join("bob"), &["log", "--format=%s"]);
    assert_eq!(log.trim(), "session: hello");

    // Nothing of the token reached the repository or its configuration.
    let config = std::fs::read_to_string(alice.join(".git/config")).unwrap();
    assert!(!config.contains("ghp_alice"));
}

#[tokio::test]
async fn clone_of_a_missing_repository_fails_cleanly() {
    let root = tempfile::tempdir().unwrap();
    let daemon = GitDaemon::start(root.path()).unwrap();
    let out = Command::new("git")
        .args(["clone", "--quiet", &format!("{}nobody/none.git", daemon.url()), "x"])
        .current_dir(root.path())
        .env("GIT_TERMINAL_PROMPT", "0")
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(!root.path().join("x").exists());
}

#[test]
fn dropping_the_daemon_leaves_no_process_behind() {
    assert!(git_daemon_available(), "`git daemon` is needed for the remote tests");
    let root = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(root.path().join("repos")).unwrap();
    let daemon = GitDaemon::start(&root.path().join("repos")).unwrap();
    // A connection makes the daemon fork a child of its own.
    let _ = std::net::TcpStream::connect(("127.0.0.1", daemon.port()));
    let group = daemon.process_group();
    assert!(llmos_github::testing::process_group_alive(group), "the daemon runs in its own process group");
    drop(daemon);
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
    while llmos_github::testing::process_group_alive(group) {
        assert!(std::time::Instant::now() < deadline, "processes of the daemon's group outlived it");
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
}
