//! Promotion of skills through the LSP and the CLI.

use std::process::Command;

use serde_json::json;

use crate::harness::{Options, TestServer};

fn git(dir: &std::path::Path, args: &[&str]) -> String {
    let out = Command::new("git").arg("-C").arg(dir).args(args).output().unwrap();
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

const WS: &str = "//- llmos.toml\n//- volumes/user/skills/vqe/SKILL.md\n---\nname: vqe\ndescription: Builds VQE circuits. Use when simulating molecules.\n---\nSee [ref](references/ansatz.md).\n//- volumes/user/skills/vqe/references/ansatz.md\n# Ansatz\n//- volumes/team/notes.txt\nteam notes, not committed\n";

#[tokio::test]
async fn promote_copies_the_folder_records_provenance_and_commits() {
    let s = TestServer::start_with(WS, Options { git_volumes: vec!["user", "team", "system"], ..Options::default() }).await;
    let uri = s.open("volumes/user/skills/vqe/SKILL.md").await;
    let lenses = s.call("textDocument/codeLens", json!({ "textDocument": { "uri": uri } })).await;
    let promote = lenses.as_array().unwrap().iter().find(|l| l["command"]["title"] == "Promote to team").expect("promote lens");
    let r = s.call("workspace/executeCommand", json!({ "command": promote["command"]["command"], "arguments": promote["command"]["arguments"] })).await;
    assert_eq!(r["to"], "team");
    let team = s.path("volumes/team");
    assert_eq!(git(&team, &["log", "-1", "--format=%s"]), "promote: vqe from user to team");
    assert_eq!(git(&team, &["show", "--name-only", "--format=", "HEAD"]), "skills/vqe/SKILL.md\nskills/vqe/references/ansatz.md");
    let text = std::fs::read_to_string(team.join("skills/vqe/SKILL.md")).unwrap();
    assert!(text.contains("metadata:\n  promoted-from: user\n"), "{text}");
    // the user's unrelated file in the team volume was not swept into the commit
    assert!(git(&team, &["status", "--porcelain"]).contains("?? notes.txt"));
    // again: nothing is overwritten, the answer names both files
    let again = s.request("workspace/executeCommand", json!({ "command": "llmos.skill.promote", "arguments": [{ "uri": uri, "to": "team" }] })).await;
    assert!(again["error"]["message"].as_str().unwrap().contains("already has a skill `vqe`"), "{again}");
    assert_eq!(again["error"]["data"]["conflict"], true);
    assert!(again["error"]["data"]["existing"].as_str().unwrap().ends_with("volumes/team/skills/vqe/SKILL.md"));
    // the system volume is read-only by default
    let team_uri = s.open("volumes/team/skills/vqe/SKILL.md").await;
    let sys = s.request("workspace/executeCommand", json!({ "command": "llmos.skill.promote", "arguments": [{ "uri": team_uri, "to": "system" }] })).await;
    assert!(sys["error"]["message"].as_str().unwrap().contains("read-only"), "{sys}");
    assert!(!s.path("volumes/system/skills/vqe").exists());
    // backwards is refused
    let back = s.request("workspace/executeCommand", json!({ "command": "llmos.skill.promote", "arguments": [{ "uri": team_uri, "to": "user" }] })).await;
    assert!(back.get("error").is_some());
}

#[test]
fn promote_from_the_command_line_to_a_writable_system_volume() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("llmos.toml"), "[volumes.system]\nwritable = true\n").unwrap();
    let skill = dir.path().join("volumes/team/skills/charts.md");
    std::fs::create_dir_all(skill.parent().unwrap()).unwrap();
    std::fs::write(&skill, "---\nname: charts\ndescription: Charts. Use when plotting.\n---\n").unwrap();
    for v in ["team", "system"] {
        crate::harness::init_git(&dir.path().join("volumes").join(v));
    }
    let out = Command::new(env!("CARGO_BIN_EXE_llmos")).args(["promote", "charts", "--to", "system"]).current_dir(dir.path()).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let sys = dir.path().join("volumes/system");
    assert_eq!(git(&sys, &["log", "-1", "--format=%s"]), "promote: charts from team to system");
    assert!(std::fs::read_to_string(sys.join("skills/charts.md")).unwrap().contains("promoted-from: team"));
    let out = Command::new(env!("CARGO_BIN_EXE_llmos")).args(["promote", "no-such-skill", "--to", "system"]).current_dir(dir.path()).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
}
