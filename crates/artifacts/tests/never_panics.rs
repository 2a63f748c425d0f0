//! Property tests: no input makes a preview or a link resolution panic, and no link
//! resolves outside its volume.

use llmos_artifacts::{PreviewOptions, parse_fence_artifact, preview_inline, resolve_link, volume_relative_target};
use proptest::prelude::*;
use std::path::Path;

fn inline(info: &str, content: &str, images: bool) -> String {
    let artifact = parse_fence_artifact(info).unwrap();
    let options = PreviewOptions { images, ..PreviewOptions::default() };
    preview_inline(&artifact, content, &options).markdown
}

/// JSON-ish text: mostly the characters and keys the previews look for.
fn jsonish() -> impl Strategy<Value = String> {
    prop::collection::vec(
        prop_oneof![
            Just("{".to_string()),
            Just("}".to_string()),
            Just("[".to_string()),
            Just("]".to_string()),
            Just(",".to_string()),
            Just(":".to_string()),
            Just("\"numQubits\"".to_string()),
            Just("\"gates\"".to_string()),
            Just("\"type\"".to_string()),
            Just("\"target\"".to_string()),
            Just("\"control\"".to_string()),
            Just("\"time\"".to_string()),
            Just("\"x\"".to_string()),
            Just("\"y\"".to_string()),
            Just("\"data\"".to_string()),
            Just("\"objects\"".to_string()),
            Just("\"position\"".to_string()),
            Just("\"CNOT\"".to_string()),
            (0u64..40).prop_map(|n| n.to_string()),
            Just("-1.5e300".to_string()),
            Just("null".to_string()),
            any::<String>(),
        ],
        0..60,
    )
    .prop_map(|parts| parts.concat())
}

proptest! {
    #[test]
    fn previews_never_panic(text in jsonish(), images in any::<bool>()) {
        for info in [
            "json artifact=a.circuit.json",
            "json artifact=a.scene.json",
            "json artifact=a.plot.json",
            "csv artifact=a.csv",
            "md artifact=a.md",
            "md artifact=SKILL.md",
            "svg artifact=a.svg",
            "python artifact=a.py",
        ] {
            let markdown = inline(info, &text, images);
            prop_assert!(markdown.starts_with("**"));
        }
    }

    #[test]
    fn csv_never_panics(rows in prop::collection::vec("[a-z0-9,;\t\"\\r. -]{0,30}", 0..30)) {
        let text = rows.join("\n");
        let markdown = inline("csv artifact=a.csv", &text, false);
        prop_assert!(markdown.starts_with("**a.csv**"));
    }

    #[test]
    fn fence_info_never_panics(info in any::<String>()) {
        let _ = parse_fence_artifact(&info);
    }

    #[test]
    fn lexical_targets_stay_in_the_volume(
        parts in prop::collection::vec(prop_oneof![
            Just("..".to_string()),
            Just(".".to_string()),
            Just("%2e%2e".to_string()),
            Just("a".to_string()),
            Just("b".to_string()),
            Just("".to_string()),
            Just("\\..".to_string()),
        ], 0..8)
    ) {
        let target = parts.join("/");
        if let Ok(relative) = volume_relative_target(Path::new("/vol"), Path::new("s/d.md"), &target) {
            let joined = Path::new("/vol").join(&relative);
            prop_assert!(joined.starts_with("/vol"));
            prop_assert!(!relative.components().any(|c| c.as_os_str() == ".."), "{relative:?}");
        }
    }

    #[test]
    fn resolved_links_are_inside_the_volume(target in "[./a-z%#?:\\\\]{0,24}") {
        let dir = tempfile::tempdir().unwrap();
        let volume = dir.path().join("vol");
        std::fs::create_dir_all(volume.join("a")).unwrap();
        std::fs::write(volume.join("a/f"), "x").unwrap();
        std::fs::write(dir.path().join("f"), "outside").unwrap();
        if let Ok(path) = resolve_link(&volume, Path::new("a/doc.md"), &target) {
            prop_assert!(path.starts_with(volume.canonicalize().unwrap()), "{target} -> {path:?}");
        }
    }
}
