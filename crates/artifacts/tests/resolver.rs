//! `LinkResolver` must answer exactly as `resolve_link` (which canonicalises every
//! path) on any tree of folders, files and symlinks, in any order of questions: its
//! folder memory must never change an answer.

#![cfg(unix)]

use std::fs;
use std::os::unix::fs::symlink;
use std::path::{Path, PathBuf};

use llmos_artifacts::{LinkResolver, resolve_link};
use proptest::prelude::*;

/// What one name in the tree is.
#[derive(Debug, Clone, Copy)]
enum Node {
    Folder,
    File,
    LinkToInsideFolder,
    LinkToInsideFile,
    LinkOut,
    Dangling,
    Loop,
    Socket,
}

const NAMES: &[&str] = &["a", "b", "c", "d"];
const SEGMENTS: &[&str] = &["..", ".", "a", "b", "c", "d", "f.txt", "missing", "", "x%20y", "q#frag"];

fn node() -> impl Strategy<Value = Node> {
    prop_oneof![
        3 => Just(Node::Folder),
        2 => Just(Node::File),
        1 => Just(Node::LinkToInsideFolder),
        1 => Just(Node::LinkToInsideFile),
        1 => Just(Node::LinkOut),
        1 => Just(Node::Dangling),
        1 => Just(Node::Loop),
        1 => Just(Node::Socket),
    ]
}

/// Makes `dir/name` as `node` says. Folders get a file `f.txt` and a folder `x y`.
fn make(volume: &Path, outside: &Path, dir: &Path, name: &str, node: Node, keep: &mut Vec<std::os::unix::net::UnixListener>) {
    let path = dir.join(name);
    match node {
        Node::Folder => {
            fs::create_dir_all(path.join("x y")).unwrap();
            fs::write(path.join("f.txt"), "x").unwrap();
        }
        Node::File => fs::write(&path, "x").unwrap(),
        Node::LinkToInsideFolder => symlink(volume.join("real"), &path).unwrap(),
        Node::LinkToInsideFile => symlink(volume.join("real/f.txt"), &path).unwrap(),
        Node::LinkOut => symlink(outside, &path).unwrap(),
        Node::Dangling => symlink(volume.join("nowhere"), &path).unwrap(),
        Node::Loop => symlink(&path, &path).unwrap(),
        Node::Socket => keep.push(std::os::unix::net::UnixListener::bind(&path).unwrap()),
    }
}

fn target() -> impl Strategy<Value = String> {
    prop::collection::vec(prop::sample::select(SEGMENTS), 1..6).prop_map(|s| s.join("/"))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn answers_as_resolve_link(
        top in prop::collection::vec(node(), NAMES.len()),
        nested in prop::collection::vec(node(), NAMES.len()),
        targets in prop::collection::vec(target(), 1..40),
        through_alias in any::<bool>(),
        absolute_document in any::<bool>(),
    ) {
        let dir = tempfile::tempdir().unwrap();
        let volume = dir.path().join("vol");
        let outside = dir.path().join("outside");
        fs::create_dir_all(outside.join("a")).unwrap();
        fs::write(outside.join("f.txt"), "secret").unwrap();
        fs::create_dir_all(volume.join("real")).unwrap();
        fs::write(volume.join("real/f.txt"), "x").unwrap();
        let mut sockets = Vec::new();
        for (name, node) in NAMES.iter().zip(&top) {
            make(&volume, &outside, &volume, name, *node, &mut sockets);
        }
        // One level down, inside the first top-level name when it is a real folder.
        if matches!(top[0], Node::Folder) {
            for (name, node) in NAMES.iter().skip(1).zip(&nested) {
                make(&volume, &outside, &volume.join("a"), name, *node, &mut sockets);
            }
        }
        let root: PathBuf = if through_alias {
            let alias = dir.path().join("alias");
            symlink(&volume, &alias).unwrap();
            alias
        } else {
            volume.clone()
        };
        let resolver = LinkResolver::new(&root);
        for document in ["doc.md", "a/doc.md", "a/b/doc.md", "real/doc.md"] {
            let document = if absolute_document { volume.canonicalize().unwrap().join(document) } else { PathBuf::from(document) };
            for t in &targets {
                prop_assert_eq!(resolver.resolve(&document, t), resolve_link(&root, &document, t), "document {:?}, target {:?}", document, t);
            }
            let all: Vec<&str> = targets.iter().map(String::as_str).collect();
            let one_by_one: Vec<_> = all.iter().map(|t| resolve_link(&root, &document, t)).collect();
            prop_assert_eq!(resolver.resolve_all(&document, &all), one_by_one, "document {:?}, all targets at once", document);
        }
    }
}

#[test]
fn an_unreadable_root_is_reported_as_resolve_link_does() {
    let root = Path::new("/nonexistent/llmos-volume");
    let resolver = LinkResolver::new(root);
    assert_eq!(resolver.resolve(Path::new("s.md"), "x.py"), resolve_link(root, Path::new("s.md"), "x.py"));
    assert!(resolver.resolve(Path::new("s.md"), "x.py").is_err());
}

#[test]
fn a_folder_replaced_by_a_symlink_out_is_caught_by_a_new_resolver() {
    let dir = tempfile::tempdir().unwrap();
    let volume = dir.path().join("vol");
    let outside = dir.path().join("outside");
    fs::create_dir_all(volume.join("art")).unwrap();
    fs::create_dir_all(&outside).unwrap();
    fs::write(volume.join("art/f.txt"), "x").unwrap();
    fs::write(outside.join("f.txt"), "secret").unwrap();
    assert!(LinkResolver::new(&volume).resolve(Path::new("doc.md"), "art/f.txt").is_ok());
    fs::remove_dir_all(volume.join("art")).unwrap();
    symlink(&outside, volume.join("art")).unwrap();
    assert_eq!(LinkResolver::new(&volume).resolve(Path::new("doc.md"), "art/f.txt"), Err(llmos_artifacts::LinkError::OutsideVolume));
}
