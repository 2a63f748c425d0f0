//! `llmos check` over whole workspaces: sync twins found from the one listing, and the
//! parallel whole-workspace path agreeing with linting each file on its own.

use std::collections::BTreeSet;
use std::path::Path;

use llmos_workspace::check::{check_paths, lint_document};
use llmos_workspace::{Config, Index};
use proptest::prelude::*;

const CONFLICT: &str = "session/sync-conflict";

fn session(id: &str) -> String {
    format!("---\ntitle: t\nid: {id}\nstatus: uncommitted\ncommit: null\ncreated: 2026-11-01T00:00:00Z\n---\n\n<!-- turn: user -->\nhello\n")
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]

    /// Each session id gets a twin or not, and ids are drawn so that some are prefixes of
    /// others (`a` and `a-b`): only an exact `<id>.local-<sha>.md` makes a conflict.
    #[test]
    fn sync_twins_are_found_from_the_listing(
        ids in prop::collection::btree_set("[a-c]{1,2}(-[a-c]{1,2})?", 1..12),
        twin_mask in prop::collection::vec(any::<bool>(), 12),
        sha in "[0-9a-f]{7,12}",
    ) {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("llmos.toml"), "").unwrap();
        let sessions = dir.path().join("volumes/user/sessions");
        std::fs::create_dir_all(&sessions).unwrap();
        let mut expected_remote = BTreeSet::new();
        let mut expected_local = BTreeSet::new();
        for (id, twin) in ids.iter().zip(&twin_mask) {
            std::fs::write(sessions.join(format!("{id}.md")), session(id)).unwrap();
            if *twin {
                let local = format!("{id}.local-{sha}.md");
                std::fs::write(sessions.join(&local), session(id)).unwrap();
                expected_remote.insert(format!("{id}.md"));
                expected_local.insert(local);
            }
        }
        let reports = check_paths(&[dir.path().to_path_buf()], None).unwrap();
        let flagged: BTreeSet<String> = reports
            .iter()
            .filter(|r| r.diagnostics.iter().any(|d| d.rule == CONFLICT))
            .map(|r| r.path.file_name().unwrap().to_string_lossy().into_owned())
            .collect();
        let expected: BTreeSet<String> = expected_remote.union(&expected_local).cloned().collect();
        prop_assert_eq!(&flagged, &expected);
        for r in &reports {
            if let Some(d) = r.diagnostics.iter().find(|d| d.rule == CONFLICT) {
                let name = r.path.file_name().unwrap().to_string_lossy().into_owned();
                if expected_remote.contains(&name) {
                    let stem = name.trim_end_matches(".md");
                    prop_assert!(d.message.contains(&format!("{stem}.local-{sha}.md")), "{}", d.message);
                }
            }
        }
        // Checking one remote file alone finds its twin on disk the same way.
        if let Some(remote) = expected_remote.iter().next() {
            let alone = check_paths(&[sessions.join(remote)], None).unwrap();
            prop_assert!(alone[0].diagnostics.iter().any(|d| d.rule == CONFLICT));
        }
    }
}

#[test]
fn whole_workspace_check_equals_linting_each_file_alone() {
    let dir = tempfile::tempdir().unwrap();
    let g = llmos_workspace::generate::generate_workspace(dir.path(), 80, 120, 11).unwrap();
    // A skill whose name clashes with one in another volume: a cross-file finding.
    let first = &g.skills[0];
    let other = if first.volume == llmos_documents::VolumeKind::User { "team" } else { "user" };
    let clash = dir.path().join(format!("volumes/{other}/skills/{}/SKILL.md", first.name));
    std::fs::create_dir_all(clash.parent().unwrap()).unwrap();
    std::fs::copy(&first.path, &clash).unwrap();
    let reports = check_paths(&[dir.path().to_path_buf()], None).unwrap();
    let (config, _) = Config::load(dir.path());
    let index = Index::build(&config);
    let checked: Vec<&Path> = reports.iter().map(|r| r.path.as_path()).collect();
    let mut listed: Vec<&Path> = g.skills.iter().map(|s| s.path.as_path()).chain(g.sessions.iter().map(|s| s.path.as_path())).collect();
    listed.push(&clash);
    let config_file = dir.path().join("llmos.toml");
    listed.push(&config_file);
    listed.sort();
    assert_eq!(checked, listed);
    let mut findings = 0;
    for r in reports.iter().filter(|r| r.path.extension().is_some_and(|e| e == "md")) {
        let text = std::fs::read_to_string(&r.path).unwrap();
        let alone = lint_document(&config, &index, &r.path, &text, config.profile);
        let key = |d: &llmos_documents::Diagnostic| (d.rule, d.range.clone(), d.message.clone());
        assert_eq!(r.diagnostics.iter().map(key).collect::<Vec<_>>(), alone.iter().map(key).collect::<Vec<_>>(), "{}", r.path.display());
        // Clean files drop their text; files with findings keep it to place them.
        assert_eq!(r.text.is_empty(), r.diagnostics.is_empty() && !text.is_empty(), "{}", r.path.display());
        findings += r.diagnostics.len();
    }
    let dangling: usize = g.sessions.iter().map(|s| s.missing_links.len()).sum();
    assert!(findings >= dangling + 2, "dangling links and the name clash are reported: {findings}");
}
