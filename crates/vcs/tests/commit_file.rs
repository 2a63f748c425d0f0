//! `Volume::commit_file`: one path committed, nothing else touched, and every
//! refusal leaves the repository and the file as they were.

mod common;

use std::path::Path;

use common::TestRepo;
use git2::Status;
use llmos_vcs::{CommitId, VcsError, Volume};

const SESSION: &str = "sessions/20261123-2201-vqe.md";

#[test]
fn first_commit_in_an_empty_repository() {
    let test = TestRepo::new();
    let volume = test.volume();
    assert_eq!(volume.head().unwrap(), None);

    let id = volume.commit_file(&test.file(SESSION), b"hello\n", "session: first\n").unwrap();

    assert_eq!(test.head_sha(), Some(id.sha()));
    assert_eq!(test.read(SESSION), "hello\n");
    let repo = test.repo();
    assert_eq!(repo.head().unwrap().shorthand().ok(), Some("main"));
    let commit = repo.find_commit(repo.head().unwrap().target().unwrap()).unwrap();
    assert_eq!(commit.parent_count(), 0);
    assert_eq!(commit.message().ok(), Some("session: first\n"));
    assert_eq!(commit.author().name().ok(), Some("Ada Tester"));
    assert_eq!(test.status_of(SESSION), Status::CURRENT);
    if let Some(status) = test.git_status() {
        assert_eq!(status, Vec::<String>::new());
    }
    let leftovers: Vec<_> = std::fs::read_dir(test.path().join(".git"))
        .unwrap()
        .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|name| name.starts_with("index."))
        .collect();
    assert_eq!(leftovers, Vec::<String>::new(), "lock or staging index left behind");
}

#[test]
fn second_commit_has_the_first_as_parent_and_keeps_other_files() {
    let test = TestRepo::new();
    let first = test.commit_raw(&[("README.md", "readme\n")], "plain commit", 1_700_000_000);
    let volume = test.volume();

    let id = volume.commit_file(&test.file(SESSION), b"v1\n", "session: one\n").unwrap();
    let summary = volume.commit_info(&id.sha()).unwrap();
    assert_eq!(summary.parent.as_deref(), Some(first.as_str()));
    assert_eq!(summary.changed_files, vec![SESSION.to_owned()]);
    assert_eq!(summary.subject, "session: one");
    assert_eq!(summary.short, id.short());
    assert_eq!(volume.file_at(&id.sha(), Path::new("README.md")).unwrap(), Some(b"readme\n".to_vec()));

    let second = volume.commit_file(&test.file(SESSION), b"v2\n", "session: two\n").unwrap();
    assert_eq!(volume.commit_info(&second.short()).unwrap().parent, Some(id.sha()));
    assert_eq!(volume.file_at(&id.sha(), Path::new(SESSION)).unwrap(), Some(b"v1\n".to_vec()));
    assert_eq!(volume.blob_at_head(Path::new(SESSION)).unwrap(), Some(b"v2\n".to_vec()));
    if let Some(status) = test.git_status() {
        assert_eq!(status, Vec::<String>::new());
    }
}

#[test]
fn only_the_given_path_is_committed() {
    let test = TestRepo::new();
    test.commit_raw(&[("notes.txt", "original\n"), (SESSION, "old session\n")], "plain commit", 1_700_000_000);
    test.write("notes.txt", "edited but not staged\n");
    test.write("staged.txt", "staged new file\n");
    test.stage("staged.txt");
    test.write("other.txt", "untracked\n");
    let volume = test.volume();

    let id = volume.commit_file(&test.file(SESSION), b"new session\n", "session: s\n").unwrap();

    assert_eq!(volume.commit_info(&id.sha()).unwrap().changed_files, vec![SESSION]);
    assert_eq!(volume.file_at(&id.sha(), Path::new("notes.txt")).unwrap(), Some(b"original\n".to_vec()));
    assert_eq!(volume.file_at(&id.sha(), Path::new("staged.txt")).unwrap(), None);
    assert_eq!(test.read("notes.txt"), "edited but not staged\n");
    assert_eq!(test.status_of(SESSION), Status::CURRENT);
    assert_eq!(test.status_of("notes.txt"), Status::WT_MODIFIED);
    assert_eq!(test.status_of("staged.txt"), Status::INDEX_NEW);
    if let Some(status) = test.git_status() {
        assert_eq!(status, vec![" M notes.txt", "A  staged.txt", "?? other.txt"]);
    }
}

#[test]
fn a_staged_older_version_of_the_path_is_replaced_by_the_commit() {
    let test = TestRepo::new();
    test.commit_raw(&[(SESSION, "v1\n")], "plain", 1_700_000_000);
    test.write(SESSION, "v2 staged\n");
    test.stage(SESSION);
    let volume = test.volume();

    volume.commit_file(&test.file(SESSION), b"v3\n", "session: s\n").unwrap();

    assert_eq!(test.status_of(SESSION), Status::CURRENT);
    if let Some(status) = test.git_status() {
        assert_eq!(status, Vec::<String>::new());
    }
}

#[test]
fn unchanged_content_is_nothing_to_commit() {
    let test = TestRepo::new();
    let volume = test.volume();
    volume.commit_file(&test.file(SESSION), b"same\n", "session: s\n").unwrap();
    let head = test.head_sha();

    let error = volume.commit_file(&test.file(SESSION), b"same\n", "session: s\n").unwrap_err();

    assert!(matches!(error, VcsError::NothingToCommit { .. }), "{error}");
    assert!(error.to_string().starts_with("nothing to commit"));
    assert_eq!(test.head_sha(), head);
    assert!(!test.path().join(".git/index.lock").exists());
}

#[test]
fn detached_head_is_refused_and_nothing_changes() {
    let test = TestRepo::new();
    let first = test.commit_raw(&[(SESSION, "committed\n")], "plain", 1_700_000_000);
    let repo = test.repo();
    repo.set_head_detached(git2::Oid::from_str(&first).unwrap()).unwrap();
    test.write(SESSION, "on disk\n");

    let error = test.volume().commit_file(&test.file(SESSION), b"new\n", "session: s\n").unwrap_err();

    assert!(matches!(error, VcsError::DetachedHead));
    assert_eq!(error.to_string(), "HEAD is detached; check out a branch");
    assert_eq!(test.read(SESSION), "on disk\n");
    assert_eq!(test.head_sha(), Some(first));
    assert!(!test.path().join(".git/index.lock").exists());
}

#[test]
fn locked_index_is_reported_and_nothing_changes() {
    let test = TestRepo::new();
    let first = test.commit_raw(&[(SESSION, "committed\n")], "plain", 1_700_000_000);
    let lock = test.path().join(".git/index.lock");
    std::fs::write(&lock, "").unwrap();

    let error = test.volume().commit_file(&test.file(SESSION), b"new\n", "session: s\n").unwrap_err();

    assert!(matches!(error, VcsError::IndexLocked(_)), "{error}");
    assert!(error.to_string().contains("another git process is running"));
    assert_eq!(test.read(SESSION), "committed\n");
    assert_eq!(test.head_sha(), Some(first));
    assert!(lock.exists(), "someone else's lock must not be removed");
}

#[test]
fn commit_with_base_records_the_parent_and_disk_equals_head() {
    let test = TestRepo::new();
    let volume = test.volume();
    let stamp = |base: Option<&CommitId>| {
        let base = base.map_or("null".to_owned(), CommitId::sha);
        format!("---\nstatus: committed\ncommit: {base}\n---\nbody\n").into_bytes()
    };

    let first = volume.commit_file_with(&test.file(SESSION), "session: s\n", stamp).unwrap();
    assert!(test.read(SESSION).contains("commit: null"));

    test.write(SESSION, "---\nstatus: uncommitted\ncommit: null\n---\nbody edited\n");
    let second = volume.commit_file_with(&test.file(SESSION), "session: s\n", stamp).unwrap();

    let on_disk = std::fs::read(test.file(SESSION)).unwrap();
    assert!(String::from_utf8_lossy(&on_disk).contains(&format!("commit: {first}")));
    assert_eq!(volume.blob_at_head(&test.file(SESSION)).unwrap(), Some(on_disk));
    let own = volume.last_commit_touching(&test.file(SESSION)).unwrap().unwrap();
    assert_eq!(own.sha, second.sha());
    assert_eq!(own.parent, Some(first.sha()));
    if let Some(status) = test.git_status() {
        assert_eq!(status, Vec::<String>::new());
    }
}

#[test]
fn a_branch_moved_during_the_commit_is_detected_and_the_file_kept() {
    let test = TestRepo::new();
    test.commit_raw(&[(SESSION, "committed\n")], "plain", 1_700_000_000);
    let volume = test.volume();
    let other = test.repo();

    let error = volume
        .commit_file_with(&test.file(SESSION), "session: s\n", |_| {
            // Another program commits on the branch meanwhile.
            let head = other.head().unwrap().peel_to_commit().unwrap();
            let signature = other.signature().unwrap();
            other.commit(Some("HEAD"), &signature, &signature, "racing", &head.tree().unwrap(), &[&head]).unwrap();
            b"mine\n".to_vec()
        })
        .unwrap_err();

    assert!(matches!(error, VcsError::HeadMoved), "{error}");
    assert_eq!(test.read(SESSION), "committed\n");
    assert!(!test.path().join(".git/index.lock").exists());
}

#[test]
fn last_commit_touching_finds_the_commit_that_set_the_content() {
    let test = TestRepo::new();
    let introduced = test.commit_raw(&[(SESSION, "v1\n")], "plain", 1_700_000_000);
    test.commit_raw(&[("other.txt", "x\n")], "plain 2", 1_700_000_100);
    let volume = test.volume();

    let found = volume.last_commit_touching(Path::new(SESSION)).unwrap().unwrap();
    assert_eq!(found.sha, introduced);
    assert_eq!(found.author, "Ada Tester");
    assert_eq!(found.timestamp, 1_700_000_000);
    assert_eq!(found.time, "2023-11-14T23:13:20+01:00");
    assert_eq!(volume.last_commit_touching(Path::new("missing.md")).unwrap(), None);
}

#[test]
fn volume_inside_a_larger_repository_uses_git_paths_from_the_root() {
    let test = TestRepo::new();
    let volume_dir = test.path().join("volumes/user");
    std::fs::create_dir_all(&volume_dir).unwrap();
    let volume = Volume::open(&volume_dir).unwrap();
    assert_eq!(volume.prefix(), "volumes/user");

    let file = volume_dir.join(SESSION);
    let id = volume.commit_file(&file, b"x\n", "session: nested\n").unwrap();

    let git_path = format!("volumes/user/{SESSION}");
    assert_eq!(volume.git_path(&file).unwrap(), git_path);
    assert_eq!(volume.commit_info(&id.sha()).unwrap().changed_files, vec![git_path.clone()]);
    assert_eq!(test.status_of(&git_path), Status::CURRENT);
}

#[test]
fn a_file_where_a_directory_is_needed_is_a_path_conflict() {
    let test = TestRepo::new();
    test.commit_raw(&[("sessions", "a file\n")], "plain", 1_700_000_000);
    std::fs::remove_file(test.file("sessions")).unwrap();

    let error = test.volume().commit_file(&test.file(SESSION), b"x\n", "session: s\n").unwrap_err();

    assert!(matches!(error, VcsError::PathConflict { .. }), "{error}");
    assert!(error.to_string().contains("sessions is a file in HEAD"));
}

#[test]
fn paths_outside_the_working_tree_or_in_git_dir_are_refused() {
    let test = TestRepo::new();
    let volume = test.volume();
    let elsewhere = tempfile::tempdir().unwrap();

    let outside = volume.commit_file(&elsewhere.path().join("x.md"), b"x", "session: s\n");
    assert!(matches!(outside, Err(VcsError::OutsideRepository { .. })), "{outside:?}");
    let in_git = volume.commit_file(&test.path().join(".git/config"), b"x", "session: s\n");
    assert!(matches!(in_git, Err(VcsError::UnsupportedPath(_))), "{in_git:?}");
    let dotdot = volume.git_path(Path::new("../x.md"));
    assert!(matches!(dotdot, Err(VcsError::UnsupportedPath(_))), "{dotdot:?}");
    assert_eq!(test.head_sha(), None);
}

#[test]
fn a_directory_outside_any_repository_is_not_a_repository() {
    let dir = tempfile::tempdir().unwrap();
    let error = Volume::open(dir.path()).unwrap_err();
    assert!(matches!(error, VcsError::NotARepository(_)), "{error}");
    assert!(error.to_string().contains("git init"));
}

#[test]
fn init_creates_main_once() {
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("volumes/team");
    let (_, first) = Volume::init(&target).unwrap();
    let (volume, second) = Volume::init(&target).unwrap();
    assert_eq!(first, llmos_vcs::InitOutcome::Created);
    assert_eq!(second, llmos_vcs::InitOutcome::AlreadyRepository);
    assert_eq!(volume.prefix(), "");
    let repo = git2::Repository::open(&target).unwrap();
    let head = repo.find_reference("HEAD").unwrap();
    assert_eq!(head.symbolic_target().unwrap(), Some("refs/heads/main"));
}

#[test]
fn unknown_commits_are_reported() {
    let test = TestRepo::new();
    test.commit_raw(&[("a", "a")], "plain", 1_700_000_000);
    let volume = test.volume();
    assert!(matches!(volume.commit_info("deadbeef"), Err(VcsError::UnknownCommit(_))));
    assert!(matches!(volume.file_at("no such rev", Path::new("a")), Err(VcsError::UnknownCommit(_))));
    assert!("abc".parse::<CommitId>().is_err());
    assert!("zz".repeat(20).parse::<CommitId>().is_err());
}

#[test]
fn commit_at_an_explicit_time_uses_it_for_author_and_committer() {
    let test = TestRepo::new();
    let volume = test.volume();
    let id = volume.commit_file_at(&test.file(SESSION), b"old\n", "session: imported\n", Some(1_600_000_000)).unwrap();
    let repo = test.repo();
    let commit = repo.find_commit(git2::Oid::from_str(&id.sha()).unwrap()).unwrap();
    assert_eq!(commit.author().when().seconds(), 1_600_000_000);
    assert_eq!(commit.committer().when().seconds(), 1_600_000_000);
    assert_eq!(commit.author().name().ok(), Some("Ada Tester"));
}
