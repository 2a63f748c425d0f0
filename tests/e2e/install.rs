//! `llmos install` / `llmos uninstall` through the built binary, into a temporary HOME
//! and project, for both targets.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn llmos(args: &[&str], cwd: &Path, home: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_llmos")).args(args).current_dir(cwd).env("HOME", home).output().unwrap()
}

fn text(out: &Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr))
}

const SKILL: &str = "---\nname: pdf-tools\ndescription: Fill and merge PDF forms. Use when the user asks to fill, merge or split PDF files.\n---\n\n# PDF tools\n\nRun `scripts/fill.py`.\n";

fn make_skill(root: &Path, name: &str, text: &str) -> PathBuf {
    let dir = root.join(name);
    std::fs::create_dir_all(dir.join("scripts")).unwrap();
    std::fs::create_dir_all(dir.join(".git")).unwrap();
    std::fs::write(dir.join("SKILL.md"), text).unwrap();
    std::fs::write(dir.join("scripts/fill.py"), "print('fill')\n").unwrap();
    std::fs::write(dir.join(".git/HEAD"), "ref: x\n").unwrap();
    dir
}

#[test]
fn install_copy_link_refuse_force_and_uninstall() {
    let tmp = tempfile::tempdir().unwrap();
    let home = tmp.path().join("home");
    let project = tmp.path().join("project");
    std::fs::create_dir_all(&home).unwrap();
    std::fs::create_dir_all(&project).unwrap();
    let src = make_skill(&tmp.path().join("src"), "pdf-tools", SKILL);
    let src_arg = src.to_str().unwrap();

    // a copy into ~/.claude/skills
    let out = llmos(&["install", src_arg, "--to", "claude-code"], tmp.path(), &home);
    assert!(out.status.success(), "{}", text(&out));
    let dest = home.join(".claude/skills/pdf-tools");
    assert_eq!(std::fs::read_to_string(dest.join("SKILL.md")).unwrap(), SKILL);
    assert_eq!(std::fs::read_to_string(dest.join("scripts/fill.py")).unwrap(), "print('fill')\n");
    assert!(!dest.join(".git").exists(), "no VCS folder in an installed skill");
    assert!(!std::fs::symlink_metadata(&dest).unwrap().file_type().is_symlink());
    // again: the same skill is updated in place
    std::fs::write(src.join("SKILL.md"), SKILL.replace("# PDF tools", "# PDF tools v2")).unwrap();
    let out = llmos(&["install", src_arg, "--to", "claude-code"], tmp.path(), &home);
    assert!(text(&out).starts_with("updated pdf-tools"), "{}", text(&out));
    assert!(std::fs::read_to_string(dest.join("SKILL.md")).unwrap().contains("v2"));

    // into a project for the Agent Skills convention, and as a symlink for Claude Code
    let out = llmos(&["install", src_arg, "--to", "agents", "--project", project.to_str().unwrap()], tmp.path(), &home);
    assert!(out.status.success(), "{}", text(&out));
    assert!(project.join(".agents/skills/pdf-tools/SKILL.md").is_file());
    let out = llmos(&["install", src_arg, "--to", "claude-code", "--project", project.to_str().unwrap(), "--link"], tmp.path(), &home);
    assert!(out.status.success(), "{}", text(&out));
    let linked = project.join(".claude/skills/pdf-tools");
    assert_eq!(std::fs::read_link(&linked).unwrap(), std::fs::canonicalize(&src).unwrap());

    // a different skill of the same name is not replaced without --force
    let other = make_skill(&tmp.path().join("other"), "pdf-tools", &SKILL.replace("Fill and merge", "Another"));
    let other_arg = other.to_str().unwrap();
    let out = llmos(&["install", other_arg, "--to", "claude-code"], tmp.path(), &home);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(text(&out).contains("another skill named `pdf-tools`"), "{}", text(&out));
    assert!(std::fs::read_to_string(dest.join("SKILL.md")).unwrap().contains("v2"), "left alone");
    let foreign = home.join(".claude/skills/hand-made");
    std::fs::create_dir_all(&foreign).unwrap();
    std::fs::write(foreign.join("SKILL.md"), "mine").unwrap();
    let hand = make_skill(&tmp.path().join("h"), "hand-made", &SKILL.replace("pdf-tools", "hand-made"));
    let out = llmos(&["install", hand.to_str().unwrap(), "--to", "claude-code"], tmp.path(), &home);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out).contains("llmos did not install"), "{}", text(&out));
    assert_eq!(std::fs::read_to_string(foreign.join("SKILL.md")).unwrap(), "mine");
    let out = llmos(&["install", other_arg, "--to", "claude-code", "--force"], tmp.path(), &home);
    assert!(text(&out).starts_with("replaced pdf-tools"), "{}", text(&out));
    assert!(std::fs::read_to_string(dest.join("SKILL.md")).unwrap().contains("Another"));

    // a skill that fails the agentskills profile is not installed
    let bad = make_skill(&tmp.path().join("bad"), "Bad_Skill", "---\nname: Bad_Skill\ndescription: x\n---\n");
    let out = llmos(&["install", bad.to_str().unwrap(), "--to", "agents"], tmp.path(), &home);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(text(&out).contains("agentskills profile"), "{}", text(&out));
    assert!(!home.join(".agents/skills").exists());

    // uninstall: only what llmos installed, unless forced
    let out = llmos(&["uninstall", "pdf-tools", "--from", "claude-code"], tmp.path(), &home);
    assert!(out.status.success(), "{}", text(&out));
    assert!(!dest.exists());
    let out = llmos(&["uninstall", "pdf-tools", "--from", "claude-code", "--project", project.to_str().unwrap()], tmp.path(), &home);
    assert!(out.status.success(), "{}", text(&out));
    assert!(std::fs::symlink_metadata(&linked).is_err(), "the symlink is gone");
    assert!(src.join("SKILL.md").is_file(), "not what it pointed to");
    assert_eq!(llmos(&["uninstall", "hand-made", "--from", "claude-code"], tmp.path(), &home).status.code(), Some(2));
    assert!(foreign.join("SKILL.md").is_file());
    assert_eq!(llmos(&["uninstall", "nothing-here", "--from", "agents"], tmp.path(), &home).status.code(), Some(2));
    assert_eq!(llmos(&["uninstall", "../x", "--from", "agents"], tmp.path(), &home).status.code(), Some(2));
}

#[test]
fn install_a_workspace_skill_by_name() {
    let tmp = tempfile::tempdir().unwrap();
    let home = tmp.path().join("home");
    std::fs::create_dir_all(&home).unwrap();
    assert!(llmos(&["init", "ws"], tmp.path(), &home).status.success());
    let ws = tmp.path().join("ws");
    make_skill(&ws.join("volumes/user/skills"), "pdf-tools", SKILL);
    let out = llmos(&["install", "pdf-tools", "--to", "agents", "--format", "json"], &ws, &home);
    assert!(out.status.success(), "{}", text(&out));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["action"], "installed");
    assert_eq!(std::fs::read_to_string(home.join(".agents/skills/pdf-tools/SKILL.md")).unwrap(), SKILL);
    assert_eq!(llmos(&["install", "no-such-skill", "--to", "agents"], &ws, &home).status.code(), Some(2));
}
