//! Properties over arbitrary input: parsers and renderers never panic and keep
//! their promises whatever a model, a commit or a person hands them.

use llmos_evolution::{
    GenerationState, Pattern, SessionRecord, generation_state, is_valid_skill_name, parse_detection_response, parse_naming_response, render_occurrences_svg,
    render_skill, slugify,
};
use proptest::prelude::*;

fn pattern(name: String, description: String, prompts: Vec<String>, keywords: Vec<String>) -> Pattern {
    let n = prompts.len();
    Pattern {
        name,
        description,
        occurrences: n,
        confidence: 0.9,
        commits: (0..n).map(|i| format!("{i:040x}")).collect(),
        times: (0..n as i64).map(|i| 1_700_000_000 + i * 86_400).collect(),
        prompts,
        authors: vec!["ada".into()],
        artifact_kinds: vec![],
        first_seen: 1_700_000_000,
        last_seen: 1_700_000_000 + n as i64 * 86_400,
        keywords,
    }
}

proptest! {
    #[test]
    fn model_answers_never_panic_and_indices_stay_in_range(text in ".{0,400}", n in 0usize..20) {
        if let Ok(patterns) = parse_detection_response(&text, n) {
            for p in patterns {
                prop_assert!(is_valid_skill_name(&p.name));
                prop_assert!(p.prompt_indices.iter().all(|&i| i < n));
                prop_assert!((0.0..=1.0).contains(&p.confidence));
            }
        }
        let _ = parse_naming_response(&text);
    }

    #[test]
    fn slugs_are_valid_or_absent(text in ".{0,200}") {
        if let Some(slug) = slugify(&text) {
            prop_assert!(is_valid_skill_name(&slug));
        }
    }

    #[test]
    fn rendered_skills_are_sealed_and_quoted(
        description in ".{0,300}",
        prompts in proptest::collection::vec(".{0,80}", 1..5),
        keywords in proptest::collection::vec("[a-z#: \"]{1,12}", 0..4),
    ) {
        let text = render_skill(&pattern("some-skill".into(), description, prompts, keywords), "2026-11-23");
        prop_assert_eq!(generation_state(&text), GenerationState::Unedited);
        // Every frontmatter line is a key, a list item or the fence: no value
        // spilled onto its own line.
        let front: Vec<&str> = text.lines().skip(1).take_while(|l| *l != "---").collect();
        for line in front {
            prop_assert!(line.starts_with("  - \"") || line.split_once(": ").is_some() || line.ends_with(':'), "{}", line);
        }
    }

    #[test]
    fn svg_text_is_escaped(name in ".{0,40}") {
        let svg = render_occurrences_svg(&[pattern(name, String::new(), vec!["x".into(), "y".into()], vec![])]);
        // Raw angle brackets only delimit tags, and every ampersand starts an entity.
        prop_assert_eq!(svg.matches('<').count(), svg.matches('>').count());
        for (at, _) in svg.match_indices('&') {
            let rest = &svg[at..];
            prop_assert!(["&amp;", "&lt;", "&gt;", "&quot;", "&apos;"].iter().any(|e| rest.starts_with(e)));
        }
    }

    #[test]
    fn detection_never_panics_on_odd_text(prompts in proptest::collection::vec(".{0,60}", 0..30)) {
        let records: Vec<SessionRecord> = prompts
            .into_iter()
            .enumerate()
            .map(|(i, p)| SessionRecord { sha: i.to_string(), prompts: vec![p], ..SessionRecord::default() })
            .collect();
        for p in llmos_evolution::detect_local(&records) {
            prop_assert!(p.occurrences >= 2);
            prop_assert!(is_valid_skill_name(&p.name));
            prop_assert!((0.0..=1.0).contains(&p.confidence));
        }
    }
}
