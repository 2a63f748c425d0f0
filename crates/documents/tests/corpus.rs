//! The real published skills vendored in `tests/data/agent-skills` under the strict
//! `agentskills` profile: the verdict must match the Agent Skills reference validator.

use std::path::PathBuf;

use llmos_documents::lint::{DocContext, NoEnv, lint_skill};
use llmos_documents::{Profile, Severity, VolumeKind};

fn corpus() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/data/agent-skills")
}

#[test]
fn agentskills_verdicts_match_the_reference_validator() {
    let dir = corpus();
    let mut checked = 0;
    for entry in std::fs::read_dir(&dir).expect("vendored corpus") {
        let dir = entry.unwrap().path();
        if !dir.is_dir() {
            continue;
        }
        let path = dir.join("SKILL.md");
        let text = std::fs::read_to_string(&path).unwrap();
        let ctx = DocContext { path: &path, volume: Some(VolumeKind::User), profile: Profile::Agentskills };
        let errors: Vec<_> = lint_skill(&text, &ctx, &NoEnv).into_iter().filter(|d| d.severity == Severity::Error).collect();
        let name = path.parent().unwrap().file_name().unwrap().to_str().unwrap().to_string();
        if name == "claude-api" {
            assert_eq!(errors.len(), 1, "{errors:#?}");
            assert_eq!(errors[0].rule, "skill/description-too-long");
            assert!(errors[0].message.contains("1068"), "{}", errors[0].message);
        } else {
            assert!(errors.is_empty(), "{name}: {errors:#?}");
        }
        checked += 1;
    }
    assert_eq!(checked, 12);
}
