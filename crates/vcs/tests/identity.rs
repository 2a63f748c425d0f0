//! A commit without a configured identity. This file is its own test process:
//! it points libgit2's global, XDG and system config at an empty directory,
//! which would race with tests that rely on the user's global config.

mod common;

use std::sync::Once;

use common::TestRepo;
use git2::ConfigLevel;
use llmos_vcs::VcsError;

fn without_user_config() {
    static ISOLATE: Once = Once::new();
    ISOLATE.call_once(|| {
        let empty = std::env::temp_dir().join(format!("llmos-vcs-no-config-{}", std::process::id()));
        std::fs::create_dir_all(&empty).unwrap();
        for level in [ConfigLevel::Global, ConfigLevel::XDG, ConfigLevel::System, ConfigLevel::ProgramData] {
            // Safety: called once, before any other libgit2 use in this process.
            unsafe { git2::opts::set_search_path(level, &empty).unwrap() };
        }
    });
}

#[test]
fn missing_identity_says_how_to_set_one_and_changes_nothing() {
    without_user_config();
    let test = TestRepo::new();
    let repo = test.repo();
    let mut config = repo.config().unwrap().open_level(ConfigLevel::Local).unwrap();
    config.remove("user.name").unwrap();
    config.remove("user.email").unwrap();
    test.write("sessions/s.md", "on disk\n");

    let error = test.volume().commit_file(&test.file("sessions/s.md"), b"new\n", "session: s\n").unwrap_err();

    assert!(matches!(error, VcsError::MissingIdentity { .. }), "{error}");
    let message = error.to_string();
    assert!(message.contains("config user.name"), "{message}");
    assert!(message.contains("config user.email"), "{message}");
    assert!(message.contains(&test.volume().dir().display().to_string()), "{message}");
    assert_eq!(test.read("sessions/s.md"), "on disk\n");
    assert_eq!(test.head_sha(), None);
    assert!(!test.path().join(".git/index.lock").exists());
}

#[test]
fn repository_identity_is_used_when_present() {
    without_user_config();
    let test = TestRepo::new();
    let id = test.volume().commit_file(&test.file("sessions/s.md"), b"new\n", "session: s\n").unwrap();
    let summary = test.volume().commit_info(&id.sha()).unwrap();
    assert_eq!((summary.author.as_str(), summary.email.as_str()), ("Ada Tester", "ada@example.com"));
}

#[test]
fn ensure_identity_fills_a_missing_identity_but_never_overrides_one() {
    without_user_config();
    let test = TestRepo::new();
    let volume = test.volume();
    volume.ensure_identity("Other", "other@example.com").unwrap();
    let config = test.repo().config().unwrap();
    assert_eq!(config.get_string("user.name").unwrap(), "Ada Tester");

    let mut local = config.open_level(ConfigLevel::Local).unwrap();
    local.remove("user.name").unwrap();
    local.remove("user.email").unwrap();
    let volume = test.volume();
    volume.ensure_identity("Demo", "demo@example.com").unwrap();
    let id = volume.commit_file(&test.file("sessions/s.md"), b"x\n", "session: s\n").unwrap();
    assert_eq!(volume.commit_info(&id.sha()).unwrap().author, "Demo");
}
