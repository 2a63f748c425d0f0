use llmos_artifacts::{LinkError, resolve_link, volume_relative_target};
use std::fs;
use std::path::{Path, PathBuf};
use tempfile::TempDir;

/// A workspace with a volume and a secret file next to it.
struct Fixture {
    _dir: TempDir,
    volume: PathBuf,
    outside: PathBuf,
}

fn fixture() -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let volume = dir.path().join("volumes/user");
    fs::create_dir_all(volume.join("sessions")).unwrap();
    fs::create_dir_all(volume.join("artifacts/plots")).unwrap();
    fs::write(volume.join("artifacts/vqe.py"), "print('hi')\n").unwrap();
    fs::write(volume.join("artifacts/plots/loss curve.csv"), "x,y\n1,2\n").unwrap();
    fs::write(volume.join("artifacts/a#b.txt"), "hash").unwrap();
    let outside = dir.path().join("secret.txt");
    fs::write(&outside, "do not read").unwrap();
    Fixture { _dir: dir, volume, outside }
}

fn resolve(fixture: &Fixture, target: &str) -> Result<PathBuf, LinkError> {
    resolve_link(&fixture.volume, Path::new("sessions/s1.md"), target)
}

fn canonical(fixture: &Fixture, relative: &str) -> PathBuf {
    fixture.volume.join(relative).canonicalize().unwrap()
}

#[test]
fn relative_links_resolve_inside_the_volume() {
    let f = fixture();
    assert_eq!(resolve(&f, "../artifacts/vqe.py").unwrap(), canonical(&f, "artifacts/vqe.py"));
    assert_eq!(resolve(&f, "./../artifacts/./vqe.py").unwrap(), canonical(&f, "artifacts/vqe.py"));
    assert_eq!(resolve(&f, "<../artifacts/vqe.py>").unwrap(), canonical(&f, "artifacts/vqe.py"));
    assert_eq!(resolve(&f, "..\\artifacts\\vqe.py").unwrap(), canonical(&f, "artifacts/vqe.py"));
}

#[test]
fn absolute_document_paths_work_too() {
    let f = fixture();
    let document = f.volume.join("sessions/s1.md");
    assert_eq!(resolve_link(&f.volume, &document, "../artifacts/vqe.py").unwrap(), canonical(&f, "artifacts/vqe.py"));
}

#[test]
fn fragments_queries_and_percent_escapes() {
    let f = fixture();
    let vqe = canonical(&f, "artifacts/vqe.py");
    assert_eq!(resolve(&f, "../artifacts/vqe.py#L10").unwrap(), vqe);
    assert_eq!(resolve(&f, "../artifacts/vqe.py?plain=1").unwrap(), vqe);
    assert_eq!(resolve(&f, "../artifacts/plots/loss%20curve.csv").unwrap(), canonical(&f, "artifacts/plots/loss curve.csv"));
    // %23 is a literal '#', decoded after the fragment is cut
    assert_eq!(resolve(&f, "../artifacts/a%23b.txt").unwrap(), canonical(&f, "artifacts/a#b.txt"));
    assert_eq!(resolve(&f, "../artifacts/vqe%2Epy").unwrap(), vqe);
    assert_eq!(resolve(&f, "../artifacts/%zz.py"), Err(LinkError::BadEscape));
    assert_eq!(resolve(&f, "../artifacts/%+1.py"), Err(LinkError::BadEscape));
    assert_eq!(resolve(&f, "../artifacts/%4"), Err(LinkError::BadEscape));
    assert_eq!(resolve(&f, "../artifacts/%ff.py"), Err(LinkError::BadEscape));
    assert_eq!(resolve(&f, "../artifacts/vqe.py%00"), Err(LinkError::BadEscape));
}

#[test]
fn urls_are_not_local() {
    let f = fixture();
    for target in
        ["https://example.com/a.png", "http://localhost/x", "mailto:someone@example.com", "file:///etc/passwd", "//example.com/a.png", "vscode://file/x"]
    {
        assert!(matches!(resolve(&f, target), Err(LinkError::NotLocal { .. })), "{target}");
    }
    let err = resolve(&f, "mailto:a@b.c").unwrap_err();
    assert_eq!(err.to_string(), "not a file in the volume: mailto:a@b.c");
}

#[test]
fn dot_dot_chains_that_leave_the_volume_are_refused() {
    let f = fixture();
    for target in [
        "../../secret.txt",
        "../../../secret.txt",
        "../../../../../../../../etc/passwd",
        "../artifacts/../../secret.txt",
        // leaves and comes back in: still refused, the path left the volume on the way
        "../../user/artifacts/vqe.py",
        "..%2F..%2Fsecret.txt",
        "..\\..\\secret.txt",
    ] {
        assert_eq!(resolve(&f, target), Err(LinkError::OutsideVolume), "{target}");
    }
    assert_eq!(LinkError::OutsideVolume.to_string(), "link leaves the volume");
}

#[test]
fn absolute_paths_are_refused() {
    let f = fixture();
    let inside = f.volume.join("artifacts/vqe.py");
    for target in [f.outside.to_str().unwrap(), inside.to_str().unwrap(), "/etc/passwd", "%2Fetc%2Fpasswd", "C:\\Windows\\win.ini", "c:/x"] {
        assert_eq!(resolve(&f, target), Err(LinkError::OutsideVolume), "{target}");
    }
}

#[test]
fn a_document_outside_the_volume_vouches_for_nothing() {
    let f = fixture();
    assert_eq!(resolve_link(&f.volume, Path::new("../other/s.md"), "x.py"), Err(LinkError::OutsideVolume));
    assert_eq!(resolve_link(&f.volume, &f.outside, "volumes/user/artifacts/vqe.py"), Err(LinkError::OutsideVolume));
}

#[test]
fn missing_files_directories_and_empty_links() {
    let f = fixture();
    let missing = resolve(&f, "../artifacts/nope.py").unwrap_err();
    assert_eq!(missing, LinkError::Missing { path: "artifacts/nope.py".into() });
    assert_eq!(missing.to_string(), "file not found: artifacts/nope.py");
    assert_eq!(resolve(&f, "../artifacts/vqe.py/child"), Err(LinkError::Missing { path: "artifacts/vqe.py/child".into() }));
    let directory = resolve(&f, "../artifacts/plots").unwrap_err();
    assert_eq!(directory.to_string(), "is a directory: artifacts/plots");
    assert!(matches!(resolve(&f, ".."), Err(LinkError::IsDirectory { .. })));
    assert_eq!(resolve(&f, ""), Err(LinkError::Empty));
    assert_eq!(resolve(&f, "   "), Err(LinkError::Empty));
    assert_eq!(resolve(&f, "#section"), Err(LinkError::Empty));
}

#[test]
fn the_lexical_check_needs_no_file_system() {
    let relative = volume_relative_target(Path::new("/nonexistent/vol"), Path::new("sessions/a/b.md"), "../../artifacts/x.csv").unwrap();
    assert_eq!(relative, PathBuf::from("artifacts/x.csv"));
    assert_eq!(volume_relative_target(Path::new("/nonexistent/vol"), Path::new("s.md"), "../x"), Err(LinkError::OutsideVolume));
}

#[test]
fn a_missing_volume_is_unreadable_not_a_panic() {
    let err = resolve_link(Path::new("/nonexistent/llmos-volume"), Path::new("s.md"), "x.py").unwrap_err();
    assert!(matches!(err, LinkError::Unreadable { .. }), "{err:?}");
}

#[cfg(unix)]
mod symlinks {
    use super::*;
    use std::os::unix::fs::symlink;

    #[test]
    fn a_symlink_to_a_file_outside_is_refused() {
        let f = fixture();
        symlink(&f.outside, f.volume.join("artifacts/innocent.py")).unwrap();
        assert_eq!(resolve(&f, "../artifacts/innocent.py"), Err(LinkError::OutsideVolume));
    }

    #[test]
    fn a_symlinked_folder_pointing_outside_is_refused() {
        let f = fixture();
        let parent = f.outside.parent().unwrap().to_path_buf();
        symlink(&parent, f.volume.join("artifacts/escape")).unwrap();
        assert_eq!(resolve(&f, "../artifacts/escape/secret.txt"), Err(LinkError::OutsideVolume));
        // what counts is where the link lands: through the loop back into the volume is
        // the volume's own file, so reading it reads nothing outside
        assert_eq!(resolve(&f, "../artifacts/escape/volumes/user/artifacts/vqe.py").unwrap(), canonical(&f, "artifacts/vqe.py"));
    }

    #[test]
    fn a_symlink_inside_the_volume_is_followed() {
        let f = fixture();
        symlink(f.volume.join("artifacts/vqe.py"), f.volume.join("artifacts/latest.py")).unwrap();
        assert_eq!(resolve(&f, "../artifacts/latest.py").unwrap(), canonical(&f, "artifacts/vqe.py"));
    }

    #[test]
    fn a_volume_reached_through_a_symlink_still_works() {
        let f = fixture();
        let alias = f.volume.parent().unwrap().join("alias");
        symlink(&f.volume, &alias).unwrap();
        let resolved = resolve_link(&alias, Path::new("sessions/s1.md"), "../artifacts/vqe.py");
        assert_eq!(resolved.unwrap(), canonical(&f, "artifacts/vqe.py"));
    }

    #[test]
    fn a_canonical_document_path_under_a_symlinked_root_is_accepted() {
        let f = fixture();
        let alias = f.volume.parent().unwrap().join("alias");
        symlink(&f.volume, &alias).unwrap();
        let real_document = f.volume.canonicalize().unwrap().join("sessions/s1.md");
        let resolved = resolve_link(&alias, &real_document, "../artifacts/vqe.py");
        assert_eq!(resolved.unwrap(), canonical(&f, "artifacts/vqe.py"));
        // the second chance does not excuse a chain that leaves the volume
        assert_eq!(resolve_link(&alias, &real_document, "../../secret.txt"), Err(LinkError::OutsideVolume));
        // nor a document that really is elsewhere
        assert_eq!(resolve_link(&alias, &f.outside, "volumes/user/artifacts/vqe.py"), Err(LinkError::OutsideVolume));
    }

    #[test]
    fn symlink_loops_and_dangling_links_give_errors() {
        let f = fixture();
        symlink(f.volume.join("artifacts/loop_b"), f.volume.join("artifacts/loop_a")).unwrap();
        symlink(f.volume.join("artifacts/loop_a"), f.volume.join("artifacts/loop_b")).unwrap();
        let err = resolve(&f, "../artifacts/loop_a").unwrap_err();
        assert!(matches!(err, LinkError::Unreadable { .. }), "{err:?}");

        symlink(f.volume.join("artifacts/gone"), f.volume.join("artifacts/dangling")).unwrap();
        assert!(matches!(resolve(&f, "../artifacts/dangling"), Err(LinkError::Missing { .. })));
    }
}
