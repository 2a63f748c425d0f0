//! Every skill llmos writes is a portable Agent Skill. The demo's skills, an evolved
//! skill, its promoted copy and migrated LLMos-Lite skills are checked with the rules of
//! the reference validator (`skills-ref`, PyPI), re-stated here independently of
//! llmos's own lint code; when `LLMOS_AGENTSKILLS` names the validator's binary (CI
//! installs it), the real validator runs too and must accept every skill.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn llmos(args: &[&str], cwd: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_llmos")).args(args).current_dir(cwd).output().unwrap()
}

const ALLOWED: &[&str] = &["name", "description", "license", "allowed-tools", "metadata", "compatibility"];

/// A double-quoted or plain one-line YAML scalar's text (what our writers produce).
fn scalar(raw: &str) -> String {
    let raw = raw.trim();
    let Some(inner) = raw.strip_prefix('"').and_then(|r| r.strip_suffix('"')) else { return raw.to_string() };
    let mut out = String::new();
    let mut chars = inner.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('n') => out.push('\n'),
            Some('t') => out.push('\t'),
            Some('x') => {
                let hex: String = chars.by_ref().take(2).collect();
                out.push(u8::from_str_radix(&hex, 16).map(char::from).unwrap_or('?'));
            }
            Some(other) => out.push(other),
            None => {}
        }
    }
    out
}

/// The reference validator's checks (skills_ref/validator.py and parser.py): the file
/// is split on its first two `---`; only six top-level keys; no flow collections
/// (strictyaml refuses them); `metadata` maps strings to strings; the name is 1–64
/// lowercase letters/digits/hyphens, no hyphen at either end or doubled, equal to the
/// folder; the description is non-empty and at most 1024 characters.
fn reference_errors(skill_md: &Path) -> Vec<String> {
    let text = std::fs::read_to_string(skill_md).unwrap();
    let mut errors = Vec::new();
    if !text.starts_with("---") {
        return vec!["SKILL.md must start with ---".into()];
    }
    let parts: Vec<&str> = text.splitn(3, "---").collect();
    if parts.len() < 3 {
        return vec!["frontmatter not closed".into()];
    }
    let front = parts[1];
    let mut name = None;
    let mut description = None;
    let mut in_metadata = false;
    for line in front.lines().filter(|l| !l.trim().is_empty() && !l.trim_start().starts_with('#')) {
        if line.starts_with(' ') {
            if in_metadata {
                let Some((_, v)) = line.trim().split_once(':') else {
                    errors.push(format!("metadata line is not `key: value`: {line}"));
                    continue;
                };
                if v.trim().is_empty() || v.trim().starts_with(['[', '{']) {
                    errors.push(format!("metadata value is not a string: {line}"));
                }
            }
            continue;
        }
        let Some((key, value)) = line.split_once(':') else {
            errors.push(format!("not a key: {line}"));
            continue;
        };
        in_metadata = key == "metadata";
        if !ALLOWED.contains(&key) {
            errors.push(format!("unexpected field `{key}`"));
        }
        if value.trim().starts_with(['[', '{']) {
            errors.push(format!("flow style (strictyaml refuses it): {line}"));
        }
        let v = value.trim();
        if v.starts_with('"') && (v.len() < 2 || !v.ends_with('"')) {
            errors.push(format!("unterminated quoted scalar (a `---` inside cut it?): {line}"));
        }
        match key {
            "name" => name = Some(scalar(value)),
            "description" => description = Some(scalar(value)),
            _ => {}
        }
    }
    match name {
        None => errors.push("missing name".into()),
        Some(n) => {
            let folder = skill_md.parent().and_then(Path::file_name).and_then(|f| f.to_str()).unwrap_or("");
            let ok_chars = n.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
            if n.is_empty() || n.chars().count() > 64 || !ok_chars || n.starts_with('-') || n.ends_with('-') || n.contains("--") {
                errors.push(format!("bad name `{n}`"));
            }
            if n != folder {
                errors.push(format!("name `{n}` differs from folder `{folder}`"));
            }
        }
    }
    match description {
        None => errors.push("missing description".into()),
        Some(d) if d.trim().is_empty() => errors.push("empty description".into()),
        Some(d) if d.chars().count() > 1024 => errors.push("description over 1024 characters".into()),
        Some(_) => {}
    }
    errors
}

fn skill_files(root: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap().flatten() {
            let path = entry.path();
            if path.is_dir() && path.file_name().is_some_and(|n| n != ".git") {
                stack.push(path);
            } else if path.file_name().is_some_and(|n| n == "SKILL.md") {
                out.push(path);
            }
        }
    }
    out.sort();
    out
}

#[test]
fn every_skill_llmos_writes_passes_the_reference_validator_rules() {
    let dir = tempfile::tempdir().unwrap();
    let ws = dir.path().join("ws");
    assert!(llmos(&["init", ws.to_str().unwrap(), "--demo"], dir.path()).status.success());
    let out = llmos(&["evolve", "--format", "json"], &ws);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let result: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let evolved = result["skills"].as_array().unwrap().iter().find(|s| s["action"] == "created").expect("an evolved skill");
    let name = evolved["name"].as_str().unwrap();
    let out = llmos(&["promote", name, "--to", "team"], &ws);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    // A skill written by hand the old way, with llmos provenance at the top level, promoted.
    let legacy = ws.join("volumes/user/skills/old-evolved/SKILL.md");
    std::fs::create_dir_all(legacy.parent().unwrap()).unwrap();
    std::fs::write(&legacy, "---\nname: old-evolved\ndescription: Old. Use when testing.\nsource: evolution\nconfidence: 0.9\ncommits:\n  - abc\nkeywords: [a, b]\nauthor: ann\n---\n\nBody.\n").unwrap();
    let out = llmos(&["promote", "old-evolved", "--to", "team"], &ws);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let lite = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../crates/workspace/tests/data/lite/skills");
    let out = llmos(&["migrate", lite.to_str().unwrap(), "--volume", "team"], &ws);
    assert!(out.status.success(), "{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));

    let mut skills = skill_files(&ws.join("volumes"));
    skills.retain(|p| p != &legacy); // the hand-written input, not something llmos wrote
    assert!(skills.len() >= 10, "{skills:?}");
    let mut failures = Vec::new();
    for skill in &skills {
        let errors = reference_errors(skill);
        if !errors.is_empty() {
            failures.push(format!("{}: {errors:?}\n{}", skill.display(), std::fs::read_to_string(skill).unwrap()));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
    let promoted = std::fs::read_to_string(ws.join("volumes/team/skills/old-evolved/SKILL.md")).unwrap();
    assert!(promoted.contains("  llmos-source: \"evolution\"\n") && promoted.contains("  llmos-commits: \"abc\"\n"), "{promoted}");
    assert!(promoted.contains("  llmos-keywords: \"a, b\"\n") && promoted.contains("  promoted-from: user\n"), "{promoted}");

    // llmos's own strict profile agrees.
    let out = llmos(&["check", "--profile", "agentskills", ws.join("volumes/team/skills").to_str().unwrap()], &ws);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stdout));

    // The real validator, when CI provides it.
    if let Some(bin) = std::env::var_os("LLMOS_AGENTSKILLS") {
        for skill in &skills {
            let dir = skill.parent().unwrap();
            let out = Command::new(&bin).arg("validate").arg(dir).output().expect("LLMOS_AGENTSKILLS runs");
            assert!(
                out.status.success(),
                "agentskills validate {}: {}{}",
                dir.display(),
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            );
        }
    }
}

#[test]
fn the_oracle_rejects_what_the_reference_validator_rejects() {
    let dir = tempfile::tempdir().unwrap();
    let write = |name: &str, text: &str| {
        let p = dir.path().join(name).join("SKILL.md");
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(&p, text).unwrap();
        reference_errors(&p)
    };
    assert!(write("ok", "---\nname: ok\ndescription: \"Fine -\\x2d- here\"\nmetadata:\n  a: \"1\"\n---\nx\n").is_empty());
    assert!(!write("a", "---\nname: a\ndescription: d\nsource: evolution\n---\n").is_empty());
    assert!(!write("b", "---\nname: b\ndescription: d\nmetadata: {}\n---\n").is_empty());
    assert!(!write("c", "---\nname: c\ndescription: \"a --- b\"\n---\n").is_empty());
    assert!(!write("d", "---\nname: x\ndescription: d\n---\n").is_empty());
    assert!(!write("e", "---\nname: e\ndescription: d\nmetadata:\n  k: [1]\n---\n").is_empty());
}
