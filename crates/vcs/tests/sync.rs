//! `Volume::sync` against real bare repositories served by `git daemon` on
//! 127.0.0.1: two people ("alice", "bob") with their own volumes sharing one
//! remote.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Arc, Mutex};

use llmos_github::testing::GitDaemon;
use llmos_vcs::{Credentials, SyncConflict, SyncError, SyncOptions, SyncRemote, SyncReport, Volume};

struct Server {
    root: tempfile::TempDir,
    daemon: GitDaemon,
}

impl Server {
    fn start() -> Server {
        let root = tempfile::tempdir().unwrap();
        let daemon = GitDaemon::start(root.path()).unwrap();
        Server { root, daemon }
    }

    /// A new empty bare repository; returns its `git://` URL.
    fn bare(&self, name: &str) -> String {
        let path = self.bare_path(name);
        let out = Command::new("git").args(["init", "--quiet", "--bare", "--initial-branch=main"]).arg(&path).output().unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        format!("{}{name}.git", self.daemon.url())
    }

    fn bare_path(&self, name: &str) -> PathBuf {
        self.root.path().join(format!("{name}.git"))
    }

    /// The sha of `main` in the bare repository, `None` when it has none.
    fn main_sha(&self, name: &str) -> Option<String> {
        let out = git_output(&self.bare_path(name), &["rev-parse", "--verify", "--quiet", "refs/heads/main"]);
        (!out.is_empty()).then_some(out)
    }

    fn refuse_pushes(&self, name: &str) {
        let hook = self.bare_path(name).join("hooks/pre-receive");
        std::fs::write(&hook, "#!/bin/sh\necho 'pushes are closed today' >&2\nexit 1\n").unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            std::fs::set_permissions(&hook, std::fs::Permissions::from_mode(0o755)).unwrap();
        }
    }
}

struct Person {
    _dir: tempfile::TempDir,
    volume: Volume,
}

impl Person {
    fn new(name: &str) -> Person {
        let dir = tempfile::tempdir().unwrap();
        let (volume, _) = Volume::init(dir.path()).unwrap();
        volume.ensure_identity(name, &format!("{name}@example.com")).unwrap();
        Person { _dir: dir, volume }
    }

    fn path(&self, git_path: &str) -> PathBuf {
        self.volume.workdir().join(git_path)
    }

    fn commit(&self, git_path: &str, content: &str) -> String {
        self.volume.commit_file(&self.path(git_path), content.as_bytes(), &format!("session: {git_path}")).unwrap().sha()
    }

    fn read(&self, git_path: &str) -> Option<String> {
        std::fs::read_to_string(self.path(git_path)).ok()
    }

    fn sync(&self, url: &str) -> Result<SyncReport, SyncError> {
        self.volume.sync(&SyncRemote::new(url), &SyncOptions::default())
    }

    fn head(&self) -> Option<String> {
        self.volume.head().unwrap().map(|id| id.sha())
    }

    fn git(&self, args: &[&str]) -> String {
        git_output(self.volume.workdir(), args)
    }

    /// Branch tip, HEAD, index bytes and every file of the working tree.
    fn snapshot(&self) -> Snapshot {
        let workdir = self.volume.workdir();
        let mut files = BTreeMap::new();
        collect_files(workdir, workdir, &mut files);
        Snapshot {
            head: self.git(&["rev-parse", "--verify", "--quiet", "HEAD"]),
            head_ref: std::fs::read_to_string(workdir.join(".git/HEAD")).unwrap(),
            index: std::fs::read(workdir.join(".git/index")).ok(),
            status: self.git(&["status", "--porcelain"]),
            files,
        }
    }
}

#[derive(Debug, PartialEq, Eq)]
struct Snapshot {
    head: String,
    head_ref: String,
    index: Option<Vec<u8>>,
    status: String,
    files: BTreeMap<String, Vec<u8>>,
}

fn collect_files(root: &Path, dir: &Path, files: &mut BTreeMap<String, Vec<u8>>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.file_name().is_some_and(|name| name == ".git") {
            continue;
        }
        if path.is_dir() {
            collect_files(root, &path, files);
        } else {
            files.insert(path.strip_prefix(root).unwrap().display().to_string(), std::fs::read(&path).unwrap());
        }
    }
}

fn git_output(dir: &Path, args: &[&str]) -> String {
    let out = Command::new("git").arg("-C").arg(dir).args(args).output().unwrap();
    String::from_utf8_lossy(&out.stdout).trim_end().to_owned()
}

fn git_ok(dir: &Path, args: &[&str]) {
    let out = Command::new("git").args(["-c", "user.name=Carol", "-c", "user.email=carol@example.com", "-C"]).arg(dir).args(args).output().unwrap();
    assert!(out.status.success(), "git {args:?}: {}", String::from_utf8_lossy(&out.stderr));
}

/// Every commit has at most one parent.
fn assert_linear(person: &Person) {
    assert_eq!(person.git(&["rev-list", "--merges", "HEAD"]), "", "merge commits in history");
}

fn commit_count(person: &Person) -> usize {
    person.git(&["rev-list", "--count", "HEAD"]).parse().unwrap()
}

/// Alice and Bob share a remote that holds one session from Alice.
fn shared_remote(server: &Server, name: &str) -> (String, Person, Person) {
    let url = server.bare(name);
    let alice = Person::new("alice");
    let bob = Person::new("bob");
    alice.commit("sessions/base.md", "# base\n\nline one\nline two\nline three\n");
    alice.sync(&url).unwrap();
    bob.sync(&url).unwrap();
    (url, alice, bob)
}

#[test]
fn first_sync_creates_the_remote_branch_and_an_empty_volume_pulls_it() {
    let server = Server::start();
    let url = server.bare("team");
    let alice = Person::new("alice");
    let first = alice.commit("sessions/a1.md", "one\n");
    let second = alice.commit("sessions/a2.md", "two\n");

    let report = alice.sync(&url).unwrap();
    assert!(report.created_remote_branch);
    assert!(!report.fetched);
    assert_eq!(report.pushed, 2);
    assert_eq!(report.branch, "main");
    assert_eq!(server.main_sha("team").as_deref(), Some(second.as_str()));

    let bob = Person::new("bob");
    let report = bob.sync(&url).unwrap();
    assert!(report.fetched);
    assert_eq!((report.pulled, report.pushed, report.rebased), (2, 0, 0));
    assert_eq!(report.previous_head, None);
    assert_eq!(bob.head().as_deref(), Some(second.as_str()));
    assert_eq!(bob.read("sessions/a1.md").as_deref(), Some("one\n"));
    assert_eq!(bob.git(&["status", "--porcelain"]), "", "checkout leaves a clean index");
    assert!(bob.git(&["log", "--format=%H"]).contains(&first));

    // Nothing new on either side: nothing to do.
    let report = bob.sync(&url).unwrap();
    assert_eq!((report.pulled, report.pushed, report.rebased), (0, 0, 0));
}

#[test]
fn different_sessions_sync_in_both_orders_into_one_linear_history() {
    for alice_first in [true, false] {
        let server = Server::start();
        let (url, alice, bob) = shared_remote(&server, "team");
        let a = alice.commit("sessions/alice.md", "from alice\n");
        let b = bob.commit("sessions/bob.md", "from bob\n");
        let (first, second) = if alice_first { (&alice, &bob) } else { (&bob, &alice) };

        let report = first.sync(&url).unwrap();
        assert_eq!((report.pushed, report.pulled, report.rebased), (1, 0, 0));
        let report = second.sync(&url).unwrap();
        assert_eq!((report.pushed, report.pulled, report.rebased), (1, 1, 1), "{report:?}");
        assert!(report.conflicts.is_empty());
        let report = first.sync(&url).unwrap();
        assert_eq!((report.pushed, report.pulled), (0, 1));

        for person in [&alice, &bob] {
            assert_eq!(person.head(), server.main_sha("team"));
            assert_eq!(commit_count(person), 3);
            assert_linear(person);
            assert_eq!(person.read("sessions/alice.md").as_deref(), Some("from alice\n"));
            assert_eq!(person.read("sessions/bob.md").as_deref(), Some("from bob\n"));
            assert_eq!(person.git(&["status", "--porcelain"]), "");
        }
        // The replayed commit keeps its author, author time and message.
        let replayed = if alice_first { &b } else { &a };
        let format = "--format=%an <%ae> %at %B";
        assert_eq!(second.git(&["log", "-1", format, "HEAD"]), second.git(&["log", "-1", format, replayed]));
        assert!(second.git(&["log", "-1", "--format=%s", "HEAD"]).starts_with("session: sessions/"));
        assert_ne!(second.head().as_deref(), Some(replayed.as_str()), "a rebase makes a new commit");
        // The old tip is kept in the reflog: nothing lost.
        assert!(second.git(&["reflog", "--format=%H", "main"]).contains(replayed.as_str()));
    }
}

#[test]
fn the_same_session_edited_on_both_sides_keeps_both_versions() {
    let server = Server::start();
    let (url, alice, bob) = shared_remote(&server, "team");
    let alice_text = "# base\n\nline one\nALICE\nline three\n";
    let bob_text = "# base\n\nline one\nBOB\nline three\n";
    alice.commit("sessions/base.md", alice_text);
    let bob_commit = bob.commit("sessions/base.md", "# base\n\nline one\nBOB draft\nline three\n");
    bob.commit("sessions/other.md", "bob's other session\n");
    // A later local edit of the same session goes to the same copy.
    bob.commit("sessions/base.md", bob_text);
    alice.sync(&url).unwrap();

    let report = bob.sync(&url).unwrap();
    let kept_as = format!("sessions/base.local-{}.md", &bob_commit[..7]);
    assert_eq!(report.conflicts, vec![SyncConflict { path: "sessions/base.md".to_owned(), kept_as: kept_as.clone() }]);
    assert_eq!(bob.read("sessions/base.md").as_deref(), Some(alice_text));
    assert_eq!(bob.read(&kept_as).as_deref(), Some(bob_text));
    assert_eq!(bob.read("sessions/other.md").as_deref(), Some("bob's other session\n"));
    assert!(bob.git(&["log", "--format=%s"]).contains("sync: keep both versions of sessions/base.md"));
    assert_eq!(bob.git(&["status", "--porcelain"]), "");
    assert_linear(&bob);

    let json = serde_json::to_value(&report).unwrap();
    assert_eq!(json["conflicts"][0]["keptAs"], kept_as.as_str());
    assert_eq!(json["createdRemoteBranch"], false);

    alice.sync(&url).unwrap();
    assert_eq!(alice.head(), bob.head());
    assert_eq!(alice.read(&kept_as).as_deref(), Some(bob_text));
    assert_eq!(alice.read("sessions/base.md").as_deref(), Some(alice_text));
}

#[test]
fn unrelated_histories_replay_the_local_work_on_the_remote() {
    let server = Server::start();
    let url = server.bare("team");
    let alice = Person::new("alice");
    let bob = Person::new("bob");
    alice.commit("llmos.toml", "[volumes]\n");
    alice.commit("sessions/a.md", "alice\n");
    alice.commit("sessions/same-id.md", "alice's take\n");
    bob.commit("llmos.toml", "[volumes]\n");
    bob.commit("sessions/b.md", "bob\n");
    let bob_same = bob.commit("sessions/same-id.md", "bob's take\n");
    alice.sync(&url).unwrap();

    let report = bob.sync(&url).unwrap();
    let kept_as = format!("sessions/same-id.local-{}.md", &bob_same[..7]);
    assert_eq!(report.conflicts, vec![SyncConflict { path: "sessions/same-id.md".to_owned(), kept_as: kept_as.clone() }]);
    assert_eq!(bob.git(&["rev-list", "--max-parents=0", "HEAD"]), alice.git(&["rev-parse", "HEAD~2"]), "one root: alice's");
    assert_linear(&bob);
    assert_eq!(bob.read("sessions/a.md").as_deref(), Some("alice\n"));
    assert_eq!(bob.read("sessions/b.md").as_deref(), Some("bob\n"));
    assert_eq!(bob.read("sessions/same-id.md").as_deref(), Some("alice's take\n"));
    assert_eq!(bob.read(&kept_as).as_deref(), Some("bob's take\n"));
    assert_eq!(bob.head(), server.main_sha("team"));
}

#[test]
fn unrelated_histories_with_a_differing_non_session_file_stop_without_changes() {
    let server = Server::start();
    let url = server.bare("team");
    let alice = Person::new("alice");
    let bob = Person::new("bob");
    alice.commit("llmos.toml", "[volumes.team]\nremote = \"a\"\n");
    bob.commit("llmos.toml", "[volumes.team]\nremote = \"b\"\n");
    bob.commit("sessions/b.md", "bob\n");
    alice.sync(&url).unwrap();
    let remote_before = server.main_sha("team");
    let before = bob.snapshot();

    let error = bob.sync(&url).unwrap_err();
    assert!(matches!(&error, SyncError::Conflict { paths } if paths == &["llmos.toml".to_owned()]), "{error:?}");
    assert!(error.to_string().contains("llmos.toml"), "{error}");
    assert_eq!(bob.snapshot(), before);
    assert_eq!(server.main_sha("team"), remote_before);
}

#[test]
fn a_rejected_push_leaves_the_volume_exactly_as_before() {
    let server = Server::start();
    let (url, alice, bob) = shared_remote(&server, "team");
    alice.commit("sessions/alice.md", "alice\n");
    alice.sync(&url).unwrap();
    bob.commit("sessions/bob.md", "bob\n");
    // Uncommitted work on a file the sync would not touch.
    std::fs::write(bob.path("notes.txt"), "scratch\n").unwrap();
    server.refuse_pushes("team");
    let remote_before = server.main_sha("team");
    let before = bob.snapshot();

    let error = bob.sync(&url).unwrap_err();
    assert!(matches!(error, SyncError::PushRejected { .. }), "{error:?}");
    let message = error.to_string();
    assert!(message.contains("127.0.0.1") && message.contains("main"), "{message}");
    assert_eq!(bob.snapshot(), before);
    assert_eq!(server.main_sha("team"), remote_before);
    assert_eq!(bob.read("sessions/alice.md"), None);
}

#[test]
fn a_dirty_file_the_pull_would_change_is_refused_and_kept() {
    let server = Server::start();
    let (url, alice, bob) = shared_remote(&server, "team");
    alice.commit("sessions/base.md", "alice rewrote it\n");
    alice.sync(&url).unwrap();
    std::fs::write(bob.path("sessions/base.md"), "bob's unsaved work\n").unwrap();
    let before = bob.snapshot();

    let error = bob.sync(&url).unwrap_err();
    assert!(matches!(&error, SyncError::DirtyWorkingTree { paths } if paths == &["sessions/base.md".to_owned()]), "{error:?}");
    assert!(error.to_string().starts_with("dirty working tree: commit or stash"), "{error}");
    assert_eq!(bob.snapshot(), before);
    assert_eq!(bob.read("sessions/base.md").as_deref(), Some("bob's unsaved work\n"));

    // Committed local work plus the dirty file: refused before the push.
    bob.commit("sessions/bob.md", "bob\n");
    let remote_before = server.main_sha("team");
    let before = bob.snapshot();
    assert!(matches!(bob.sync(&url), Err(SyncError::DirtyWorkingTree { .. })));
    assert_eq!(bob.snapshot(), before);
    assert_eq!(server.main_sha("team"), remote_before);
}

#[test]
fn an_untracked_file_in_the_way_is_refused_and_dirty_files_elsewhere_survive() {
    let server = Server::start();
    let (url, alice, bob) = shared_remote(&server, "team");
    alice.commit("sessions/new.md", "alice's new session\n");
    alice.sync(&url).unwrap();
    std::fs::write(bob.path("sessions/new.md"), "bob's untracked file\n").unwrap();
    let error = bob.sync(&url).unwrap_err();
    assert!(matches!(error, SyncError::DirtyWorkingTree { .. }), "{error:?}");
    assert_eq!(bob.read("sessions/new.md").as_deref(), Some("bob's untracked file\n"));

    std::fs::remove_file(bob.path("sessions/new.md")).unwrap();
    std::fs::write(bob.path("sessions/base.md"), "bob's unsaved edit\n").unwrap();
    std::fs::write(bob.path("scratch.txt"), "untracked\n").unwrap();
    let report = bob.sync(&url).unwrap();
    assert_eq!(report.pulled, 1);
    assert_eq!(bob.read("sessions/new.md").as_deref(), Some("alice's new session\n"));
    assert_eq!(bob.read("sessions/base.md").as_deref(), Some("bob's unsaved edit\n"));
    assert_eq!(bob.read("scratch.txt").as_deref(), Some("untracked\n"));
    assert_eq!(bob.git(&["status", "--porcelain"]), " M sessions/base.md\n?? scratch.txt");
}

#[test]
fn connection_refused_names_the_host_and_changes_nothing() {
    let port = {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    let alice = Person::new("alice");
    alice.commit("sessions/a.md", "a\n");
    let before = alice.snapshot();
    let error = alice.sync(&format!("git://127.0.0.1:{port}/team.git")).unwrap_err();
    assert!(matches!(error, SyncError::Unreachable { .. }), "{error:?}");
    let message = error.to_string();
    assert!(message.contains(&format!("127.0.0.1:{port}")), "{message}");
    assert_eq!(alice.snapshot(), before);
    assert_eq!(alice.volume.ahead_behind(&SyncRemote::new("unused")).unwrap(), None);
}

#[test]
fn a_detached_head_is_refused() {
    let server = Server::start();
    let (url, alice, _bob) = shared_remote(&server, "team");
    alice.git(&["checkout", "--quiet", "--detach"]);
    let error = alice.sync(&url).unwrap_err();
    assert_eq!(error.to_string(), "HEAD is detached; check out a branch");
}

#[test]
fn a_merge_in_progress_is_refused_without_changes() {
    let server = Server::start();
    let (url, alice, bob) = shared_remote(&server, "team");
    alice.commit("sessions/a.md", "a\n");
    alice.sync(&url).unwrap();
    let head = bob.head().unwrap();
    std::fs::write(bob.volume.workdir().join(".git/MERGE_HEAD"), format!("{head}\n")).unwrap();
    let before = bob.snapshot();
    let error = bob.sync(&url).unwrap_err();
    assert!(error.to_string().contains("merge is in progress"), "{error}");
    assert_eq!(bob.snapshot(), before);
}

#[test]
fn an_invalid_branch_name_is_refused_before_any_network() {
    let alice = Person::new("alice");
    let remote = SyncRemote { url: "git://127.0.0.1:1/x.git".to_owned(), branch: Some("bad..name".to_owned()), credentials: None };
    let error = alice.volume.sync(&remote, &SyncOptions::default()).unwrap_err();
    assert!(matches!(error, SyncError::InvalidBranch(_)), "{error:?}");
}

#[test]
fn a_named_branch_other_than_main_is_created_and_synced() {
    let server = Server::start();
    let url = server.bare("team");
    let alice = Person::new("alice");
    alice.commit("sessions/a.md", "a\n");
    let remote = SyncRemote { url: url.clone(), branch: Some("shared".to_owned()), credentials: None };
    let report = alice.volume.sync(&remote, &SyncOptions::default()).unwrap();
    assert!(report.created_remote_branch);
    assert_eq!(git_output(&server.bare_path("team"), &["rev-parse", "refs/heads/shared"]), alice.head().unwrap());
    assert_eq!(server.main_sha("team"), None);
}

#[test]
fn a_remote_that_rewrote_its_history_gets_the_local_commits_replayed() {
    let server = Server::start();
    let (url, alice, _bob) = shared_remote(&server, "team");
    alice.commit("sessions/pushed.md", "pushed before the rewrite\n");
    alice.sync(&url).unwrap();
    alice.commit("sessions/unpushed.md", "not pushed yet\n");

    // Carol rewrites the remote: drops alice's last commit and force-pushes.
    let carol = tempfile::tempdir().unwrap();
    git_ok(carol.path(), &["clone", "--quiet", &url, "."]);
    git_ok(carol.path(), &["reset", "--quiet", "--hard", "HEAD~1"]);
    std::fs::write(carol.path().join("sessions/carol.md"), "carol\n").unwrap();
    git_ok(carol.path(), &["add", "sessions/carol.md"]);
    git_ok(carol.path(), &["commit", "--quiet", "-m", "carol rewrites"]);
    git_ok(carol.path(), &["push", "--quiet", "--force", "origin", "main"]);

    let report = alice.sync(&url).unwrap();
    assert_eq!(report.rebased, 2, "{report:?}");
    assert_eq!(report.pulled, 1);
    assert_linear(&alice);
    assert_eq!(alice.read("sessions/pushed.md").as_deref(), Some("pushed before the rewrite\n"));
    assert_eq!(alice.read("sessions/unpushed.md").as_deref(), Some("not pushed yet\n"));
    assert_eq!(alice.read("sessions/carol.md").as_deref(), Some("carol\n"));
    assert_eq!(alice.head(), server.main_sha("team"));
}

#[test]
fn ahead_behind_counts_against_the_last_fetch_without_network() {
    let server = Server::start();
    let (url, alice, bob) = shared_remote(&server, "team");
    let remote = SyncRemote::new(url.clone());
    assert_eq!(alice.volume.ahead_behind(&remote).unwrap(), Some((0, 0)));
    alice.commit("sessions/a1.md", "1\n");
    alice.commit("sessions/a2.md", "2\n");
    assert_eq!(alice.volume.ahead_behind(&remote).unwrap(), Some((2, 0)));

    bob.commit("sessions/b.md", "b\n");
    bob.sync(&url).unwrap();
    // Not fetched yet: still the old view.
    assert_eq!(alice.volume.ahead_behind(&remote).unwrap(), Some((2, 0)));
    drop(server);
    assert_eq!(alice.volume.ahead_behind(&remote).unwrap(), Some((2, 0)), "needs no server");

    let fresh = Person::new("carol");
    assert_eq!(fresh.volume.ahead_behind(&remote).unwrap(), None);
}

#[test]
fn without_push_a_behind_volume_fast_forwards_and_local_commits_stay_local() {
    let server = Server::start();
    let (url, alice, bob) = shared_remote(&server, "team");
    alice.commit("sessions/a.md", "a\n");
    alice.sync(&url).unwrap();
    let fetch_only = SyncOptions { push: false };
    let report = bob.volume.sync(&SyncRemote::new(url.clone()), &fetch_only).unwrap();
    assert_eq!(report.pulled, 1);
    assert_eq!(bob.read("sessions/a.md").as_deref(), Some("a\n"));

    bob.commit("sessions/b.md", "b\n");
    let remote_before = server.main_sha("team");
    let report = bob.volume.sync(&SyncRemote::new(url), &fetch_only).unwrap();
    assert_eq!(report.pushed, 0);
    assert_eq!(server.main_sha("team"), remote_before);
}

/// A canary token handed over as credentials must end up nowhere in the
/// repository and in no error. `git://` never asks for credentials, so a
/// loopback HTTP server that answers 401 to everything checks that the token
/// is sent (through the callback) and that the refusal is reported cleanly.
#[test]
fn a_canary_token_is_sent_only_through_the_callback_and_stored_nowhere() {
    const CANARY: &str = "ghp_CANARYtoken0123456789";
    let credentials = Some(Credentials { username: "x-access-token".to_owned(), token: CANARY.to_owned() });

    let server = Server::start();
    let url = server.bare("team");
    let alice = Person::new("alice");
    alice.commit("sessions/a.md", "a\n");
    let remote = SyncRemote { url: url.clone(), branch: None, credentials: credentials.clone() };
    alice.volume.sync(&remote, &SyncOptions::default()).unwrap();
    assert!(!format!("{remote:?}").contains(CANARY));

    let (http_url, authorizations) = refusing_http_server();
    let remote = SyncRemote { url: http_url.clone(), branch: None, credentials };
    let error = alice.volume.sync(&remote, &SyncOptions::default()).unwrap_err();
    assert!(matches!(error, SyncError::AuthenticationFailed { .. }), "{error:?}");
    assert!(!error.to_string().contains(CANARY) && !format!("{error:?}").contains(CANARY), "{error:?}");
    assert!(error.to_string().contains("127.0.0.1"), "{error}");
    let expected = format!("Basic {}", base64(format!("x-access-token:{CANARY}").as_bytes()));
    assert!(authorizations.lock().unwrap().contains(&expected), "the token was never offered: {:?}", authorizations.lock().unwrap());

    let anonymous = SyncRemote { url: http_url, branch: None, credentials: None };
    let error = alice.volume.sync(&anonymous, &SyncOptions::default()).unwrap_err();
    assert!(matches!(error, SyncError::CredentialsMissing { .. }), "{error:?}");

    let unreachable = SyncRemote { url: "git://127.0.0.1:1/team.git".to_owned(), ..remote };
    let error = alice.volume.sync(&unreachable, &SyncOptions::default()).unwrap_err();
    assert!(!format!("{error} {error:?}").contains(CANARY));

    let mut stored = BTreeMap::new();
    collect_all(&alice.volume.workdir().join(".git"), &mut stored);
    assert!(stored.len() > 5, "walked the .git directory");
    for (path, content) in stored {
        assert!(!String::from_utf8_lossy(&content).contains(CANARY), "the token is in {path}");
    }
    assert!(!alice.git(&["config", "--local", "--list"]).contains("remote."), "no remote written to the config");
}

fn collect_all(dir: &Path, files: &mut BTreeMap<String, Vec<u8>>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            collect_all(&path, files);
        } else {
            files.insert(path.display().to_string(), std::fs::read(&path).unwrap());
        }
    }
}

/// Answers every request with `401` and records its `Authorization` header.
fn refusing_http_server() -> (String, Arc<Mutex<Vec<String>>>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://127.0.0.1:{}/team.git", listener.local_addr().unwrap().port());
    let seen = Arc::new(Mutex::new(Vec::new()));
    let record = Arc::clone(&seen);
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { return };
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            loop {
                let mut line = String::new();
                if reader.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" {
                    break;
                }
                if let Some((name, value)) = line.split_once(':')
                    && name.eq_ignore_ascii_case("authorization")
                {
                    record.lock().unwrap().push(value.trim().to_owned());
                }
            }
            let _ = stream.write_all(b"HTTP/1.1 401 Unauthorized\r\nWWW-Authenticate: Basic realm=\"git\"\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
        }
    });
    (url, seen)
}

fn base64(bytes: &[u8]) -> String {
    const TABLE: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let b = [chunk[0], *chunk.get(1).unwrap_or(&0), *chunk.get(2).unwrap_or(&0)];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(TABLE[(n >> (18 - 6 * i)) as usize & 63] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// Someone pushes between our fetch and our push: the push is refused
/// client-side as not a fast-forward, and the sync starts over with a fresh
/// fetch. A `git daemon --access-hook` makes the push happen exactly when
/// the first push connection opens.
#[test]
fn a_push_racing_ours_makes_the_sync_start_over_and_lose_nothing() {
    let root = tempfile::tempdir().unwrap();
    let bare = root.path().join("team.git");
    git_ok(root.path(), &["init", "--quiet", "--bare", "--initial-branch=main", bare.to_str().unwrap()]);
    let port = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let hook = root.path().join("access-hook");
    let marker = root.path().join("raced");
    let carol = tempfile::tempdir().unwrap();
    std::fs::write(
        &hook,
        format!(
            "#!/bin/sh\nunset GIT_DIR\nif [ \"$1\" = receive-pack ] && [ -e '{carol}/ready' ] && [ ! -e '{marker}' ]; then\n  touch '{marker}'\n  git -C '{carol}' push --quiet '{bare}' HEAD:main >/dev/null 2>&1 || exit 1\nfi\nexit 0\n",
            carol = carol.path().display(),
            marker = marker.display(),
            bare = bare.display()
        ),
    )
    .unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        std::fs::set_permissions(&hook, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    // Its own process group: `git daemon` forks `git-daemon`, which outlives a kill of
    // the wrapper alone; the whole group is ended below.
    let mut daemon = std::os::unix::process::CommandExt::process_group(&mut Command::new("git"), 0)
        .args(["daemon", "--reuseaddr", "--listen=127.0.0.1", "--export-all", "--enable=receive-pack"])
        .arg(format!("--port={port}"))
        .arg(format!("--access-hook={}", hook.display()))
        .arg(format!("--base-path={}", root.path().display()))
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(std::time::Instant::now() < deadline, "git daemon did not start");
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    let url = format!("git://127.0.0.1:{port}/team.git");

    let alice = Person::new("alice");
    alice.commit("sessions/base.md", "base\n");
    alice.sync(&url).unwrap();
    git_ok(carol.path(), &["clone", "--quiet", &url, "."]);
    std::fs::write(carol.path().join("sessions/carol.md"), "carol\n").unwrap();
    git_ok(carol.path(), &["add", "sessions/carol.md"]);
    git_ok(carol.path(), &["commit", "--quiet", "-m", "carol"]);
    std::fs::write(carol.path().join("ready"), "").unwrap();

    alice.commit("sessions/alice.md", "alice\n");
    let result = alice.sync(&url);
    let _ = Command::new("kill").args(["-KILL", "--", &format!("-{}", daemon.id())]).status();
    let _ = daemon.kill();
    let _ = daemon.wait();
    let report = result.unwrap();
    assert!(marker.exists(), "the racing push happened");
    assert_eq!((report.pulled, report.pushed, report.rebased), (1, 1, 1), "{report:?}");
    assert_eq!(alice.read("sessions/carol.md").as_deref(), Some("carol\n"));
    assert_eq!(alice.read("sessions/alice.md").as_deref(), Some("alice\n"));
    assert_eq!(alice.head().unwrap(), git_output(&bare, &["rev-parse", "refs/heads/main"]));
    assert_linear(&alice);
}

/// Every file under `dir`, following links (to see what leaked through them).
#[cfg(unix)]
fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let Ok(entries) = std::fs::read_dir(dir) else { return out };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            out.extend(files_under(&path));
        } else {
            out.push(path);
        }
    }
    out
}

/// A pull that would write `skills/…` into a volume whose `skills/` (or the skill's own
/// folder) is a link leading outside: nothing is written there, the volume is left as it
/// was, and the error names the link.
#[cfg(unix)]
#[test]
fn a_pull_through_a_folder_linked_outside_the_volume_writes_nothing_there() {
    for (linked, local_work) in [("skills", false), ("skills/charts", false), ("skills", true), ("skills/charts", true)] {
        let server = Server::start();
        let (url, alice, bob) = shared_remote(&server, "team");
        alice.commit("skills/charts/SKILL.md", "---\nname: charts\ndescription: Charts. Use when charting.\n---\n");
        alice.commit("sessions/next.md", "next\n");
        alice.sync(&url).unwrap();
        let outside = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(bob.path(linked).parent().unwrap()).unwrap();
        std::os::unix::fs::symlink(outside.path(), bob.path(linked)).unwrap();
        if local_work {
            // Replayed on the remote tip: refused before the push, not after it.
            bob.commit("sessions/bob.md", "bob\n");
        }
        let remote_before = server.main_sha("team");
        let before = bob.snapshot();
        let error = bob.sync(&url).unwrap_err();
        assert_eq!(files_under(outside.path()), Vec::<PathBuf>::new(), "{linked}: the pull wrote outside the volume");
        assert!(error.to_string().contains("symbolic link leading outside"), "{linked}: {error}");
        assert!(error.to_string().contains(linked), "{linked}: the link is named: {error}");
        assert_eq!(bob.snapshot(), before, "{linked}: the volume is left as it was");
        assert_eq!(server.main_sha("team"), remote_before, "{linked}: nothing was pushed");
    }
}
