//! Property tests over every parser and pass that reads user data: frontmatter, the YAML
//! tree, skill and session parsing, every lint rule, links and positions. Whatever the
//! text, nothing panics, spans stay inside the text on char boundaries, and parsing is
//! deterministic. Cases: 256 by default, `PROPTEST_CASES=N` for the long fuzz mode.

use std::path::Path;

use llmos_documents::line_index::ColumnUnit;
use llmos_documents::lint::{DocContext, NoEnv, lint_encoding, lint_session, lint_skill};
use llmos_documents::{LineIndex, Profile, SessionDoc, SkillDoc, VolumeKind, frontmatter::Frontmatter, links, yaml};
use proptest::prelude::*;

/// Pieces of hostile documents: frontmatter keys with multi-byte values cut where the
/// lints slice (`created: 2026-11-23é`), nesting, markers, fences, links, every line
/// terminator, surrogate-width characters, and arbitrary text.
fn piece() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("---\n".to_string()),
        Just("---\r\n".to_string()),
        Just("name: ".to_string()),
        Just("description: ".to_string()),
        Just("created: 2026-11-23".to_string()),
        Just("metadata:\n  ".to_string()),
        Just("commit: ".to_string()),
        Just("skills: [".to_string()),
        Just("- ".to_string()),
        Just("  ".to_string()),
        Just("<!-- turn: user -->\n".to_string()),
        Just("<!-- turn: assistant model=m -->\n".to_string()),
        Just("<!-- turn".to_string()),
        Just("```python artifact=x.py\n".to_string()),
        Just("```\n".to_string()),
        Just("[a](../artifacts/b.csv)".to_string()),
        Just("![i](<x y.png>)".to_string()),
        Just("](".to_string()),
        Just("[".to_string()),
        Just("`".to_string()),
        Just("\n".to_string()),
        Just("\r\n".to_string()),
        Just("\r".to_string()),
        Just("\u{2028}".to_string()),
        Just("\u{85}".to_string()),
        Just("é".to_string()),
        Just("—".to_string()),
        Just("😀".to_string()),
        Just("\u{feff}".to_string()),
        Just("\"".to_string()),
        Just("'".to_string()),
        Just(":".to_string()),
        Just("{".to_string()),
        Just("&a ".to_string()),
        Just("*a".to_string()),
        Just("T12:".to_string()),
        "[0-9a-z -]{0,12}",
        any::<String>(),
    ]
}

fn document() -> impl Strategy<Value = String> {
    prop::collection::vec(piece(), 0..40).prop_map(|p| p.concat())
}

fn check_span(text: &str, span: &std::ops::Range<usize>) -> Result<(), TestCaseError> {
    prop_assert!(span.start <= span.end && span.end <= text.len(), "span {span:?} outside a text of {} bytes", text.len());
    prop_assert!(text.is_char_boundary(span.start) && text.is_char_boundary(span.end), "span {span:?} splits a character");
    Ok(())
}

proptest! {
    #[test]
    fn frontmatter_and_yaml_never_panic(text in document()) {
        let fm = Frontmatter::parse(&text);
        prop_assert!(fm.body_start <= text.len());
        let _ = yaml::parse(&text, 0..text.len());
    }

    #[test]
    fn skills_parse_and_lint_without_panicking(text in document(), flat in any::<bool>()) {
        let doc = SkillDoc::parse(&text);
        for link in doc.links(&text) {
            check_span(&text, &link.target_range)?;
        }
        let path = if flat { Path::new("/w/volumes/user/skills/x.md") } else { Path::new("/w/volumes/user/skills/x/SKILL.md") };
        for profile in [Profile::Agentskills, Profile::Llmos] {
            let ctx = DocContext { path, volume: Some(VolumeKind::User), profile };
            for d in lint_skill(&text, &ctx, &NoEnv) {
                check_span(&text, &d.range)?;
                for fix in &d.fixes {
                    for edit in &fix.edits {
                        check_span(&text, &edit.range)?;
                    }
                }
            }
        }
    }

    #[test]
    fn sessions_parse_and_lint_without_panicking(text in document()) {
        let doc = SessionDoc::parse(&text);
        for link in &doc.links {
            check_span(&text, &link.range)?;
            check_span(&text, &link.target_range)?;
        }
        for turn in &doc.turns {
            check_span(&text, &turn.marker)?;
            check_span(&text, &turn.content)?;
        }
        let _ = (doc.first_prompt(&text), doc.user_prompts(&text), doc.message_count(&text), doc.pinned_skills());
        let ctx = DocContext { path: Path::new("/w/volumes/user/sessions/s.md"), volume: Some(VolumeKind::User), profile: Profile::Llmos };
        for d in lint_session(&text, &ctx, &NoEnv) {
            check_span(&text, &d.range)?;
        }
    }

    #[test]
    fn bytes_are_checked_for_encoding_without_panicking(bytes in prop::collection::vec(any::<u8>(), 0..256)) {
        let _ = lint_encoding(&bytes);
    }

    #[test]
    fn links_and_positions_stay_inside_the_text(text in document(), at in any::<usize>()) {
        for l in links::extract(&text, 0..text.len()) {
            check_span(&text, &l.range)?;
            check_span(&text, &l.target_range)?;
        }
        let idx = LineIndex::new(&text);
        let off = at % (text.len() + 1);
        for unit in [ColumnUnit::Utf8, ColumnUnit::Utf16, ColumnUnit::Chars] {
            let (line, col) = idx.position(&text, off, unit);
            let back = idx.offset(&text, line, col, unit);
            prop_assert!(back <= text.len() && text.is_char_boundary(back));
        }
    }
}
