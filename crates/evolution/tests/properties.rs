//! Properties over arbitrary input: parsers and renderers never panic and keep
//! their promises whatever a model, a commit or a person hands them.

use llmos_evolution::{
    DetectError, GenerationState, LlmPattern, Pattern, SessionRecord, generation_state, is_valid_skill_name, parse_detection_response, parse_naming_response,
    pattern_from_llm, render_occurrences_svg, render_skill, slugify,
};
use proptest::prelude::*;

/// Text built from the pieces a model's answer is made of (braces, quotes,
/// escapes, fences, the schema's keys, numbers) and arbitrary Unicode between them.
fn json_ish() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        Just("{".to_string()),
        Just("}".to_string()),
        Just("[".to_string()),
        Just("]".to_string()),
        Just("\"".to_string()),
        Just("\\".to_string()),
        Just(":".to_string()),
        Just(",".to_string()),
        Just("```".to_string()),
        Just("```json\n".to_string()),
        Just("\n".to_string()),
        Just("\"patterns\"".to_string()),
        Just("\"promptIndices\"".to_string()),
        Just("\"name\"".to_string()),
        Just("\"description\"".to_string()),
        Just("\"confidence\"".to_string()),
        "-?[0-9]{1,22}(\\.[0-9])?",
        "\\PC{0,6}",
    ];
    proptest::collection::vec(piece, 0..60).prop_map(|pieces| pieces.concat())
}

/// A prompt index as a model might write it.
#[derive(Debug, Clone)]
enum RawIndex {
    Int(i64),
    Quoted(i64),
    Huge,
    Fraction(i64),
    Word,
    Null,
}

impl RawIndex {
    fn json(&self) -> String {
        match self {
            RawIndex::Int(v) => v.to_string(),
            RawIndex::Quoted(v) => format!("\" {v} \""),
            RawIndex::Huge => "18446744073709551616".into(),
            RawIndex::Fraction(v) => format!("{v}.5"),
            RawIndex::Word => "\"three\"".into(),
            RawIndex::Null => "null".into(),
        }
    }

    /// The 0-based index it stands for in a batch of `n`, if it is a valid one.
    fn expected(&self, n: usize) -> Option<usize> {
        match self {
            RawIndex::Int(v) | RawIndex::Quoted(v) if *v >= 1 && (*v as u64) <= n as u64 => Some(*v as usize - 1),
            _ => None,
        }
    }
}

fn raw_index() -> impl Strategy<Value = RawIndex> {
    prop_oneof![
        6 => (-3i64..25).prop_map(RawIndex::Int),
        2 => (-3i64..25).prop_map(RawIndex::Quoted),
        1 => any::<i64>().prop_map(RawIndex::Int),
        1 => Just(RawIndex::Huge),
        1 => (0i64..5).prop_map(RawIndex::Fraction),
        1 => Just(RawIndex::Word),
        1 => Just(RawIndex::Null),
    ]
}

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
    fn json_ish_answers_err_or_keep_their_promises(text in json_ish(), n in 0usize..20, fenced in any::<bool>()) {
        let text = if fenced { format!("Here:\n```json\n{text}\n```\nDone.") } else { text };
        match parse_detection_response(&text, n) {
            Ok(patterns) => {
                for p in patterns {
                    prop_assert!(is_valid_skill_name(&p.name));
                    prop_assert!(!p.prompt_indices.is_empty());
                    prop_assert!(p.prompt_indices.iter().all(|&i| i < n));
                    prop_assert!(p.prompt_indices.windows(2).all(|w| w[0] < w[1]));
                    prop_assert!((0.0..=1.0).contains(&p.confidence));
                }
            }
            Err(e) => prop_assert!(!e.to_string().is_empty()),
        }
        let _ = parse_naming_response(&text);
    }

    /// Any index outside 1..=n (or not a whole number) makes the answer an error
    /// naming the schema; otherwise the indices come back 0-based, sorted, distinct.
    #[test]
    fn out_of_range_prompt_indices_are_errors(indices in proptest::collection::vec(raw_index(), 0..8), n in 0usize..12, prose in "\\PC{0,20}") {
        let list: Vec<String> = indices.iter().map(RawIndex::json).collect();
        let text = format!(
            "{prose}\n```json\n{{\"patterns\": [{{\"name\": \"x\", \"description\": \"d\", \"promptIndices\": [{}], \"confidence\": 0.5}}]}}\n```",
            list.join(", ")
        );
        let expected: Option<Vec<usize>> = indices.iter().map(|r| r.expected(n)).collect();
        match (parse_detection_response(&text, n), expected) {
            (Ok(patterns), Some(mut want)) if !want.is_empty() => {
                want.sort_unstable();
                want.dedup();
                prop_assert_eq!(patterns.len(), 1);
                prop_assert_eq!(&patterns[0].prompt_indices, &want);
            }
            (Err(DetectError::Schema(_)), Some(want)) if want.is_empty() => {}
            (Err(DetectError::Schema(_)), None) => {}
            (got, want) => prop_assert!(false, "{:?} for {:?} (n = {}): got {:?}", want, list, n, got),
        }
    }

    /// Members a model named that are not in the batch are dropped, never indexed.
    #[test]
    fn llm_patterns_with_any_indices_map_to_batch_commits(indices in proptest::collection::btree_set(any::<usize>().prop_map(|i| i % 16), 1..8), n in 0usize..10) {
        let records: Vec<SessionRecord> =
            (0..n).map(|i| SessionRecord { sha: format!("sha{i}"), prompts: vec![format!("p{i}")], ..SessionRecord::default() }).collect();
        let llm = LlmPattern { name: "x".into(), description: "d".into(), prompt_indices: indices.iter().copied().collect(), confidence: 0.5 };
        let pattern = pattern_from_llm(&records, &llm);
        let want: Vec<String> = indices.iter().filter(|&&i| i < n).map(|i| format!("sha{i}")).collect();
        prop_assert_eq!(pattern.commits, want);
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
