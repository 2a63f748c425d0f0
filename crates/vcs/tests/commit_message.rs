//! The context-memory message: the literal examples, the skipped subjects,
//! and property tests for the render → parse round trip.

use llmos_vcs::commit_message::{PROMPT_MAX_CHARS, is_session_message, normalised, parse, render, render_promotion_subject, render_skill_subject};
use llmos_vcs::{ArtifactRef, ContextMemory, Footer, ParsedCommit};
use proptest::prelude::*;

fn artifact(kind: &str, name: &str) -> ArtifactRef {
    ArtifactRef { kind: kind.to_owned(), name: name.to_owned() }
}

const DESIGN_EXAMPLE: &str = "session: Quantum VQE optimization

Prompt: Create a VQE circuit for the H2 molecule with an ansatz and an optimizer.

Stats:
- 12 messages
- 3 artifacts generated
- 8 traces executed

Artifacts:
- quantum-circuit: bell_state_circuit
- code: vqe_h2_circuit.py
- skill: quantum-optimization

🤖 LLMos Context Memory

LLMos-Session: 20261123-2201-quantum-vqe
LLMos-Skills: quantum-optimization
LLMos-Model: claude-sonnet-4-5
";

fn design_memory() -> ContextMemory {
    ContextMemory {
        title: "Quantum VQE optimization".to_owned(),
        prompt: "Create a VQE circuit for the H2 molecule\n  with an ansatz and an optimizer.".to_owned(),
        messages: 12,
        artifacts: vec![artifact("quantum-circuit", "bell_state_circuit"), artifact("code", "vqe_h2_circuit.py"), artifact("skill", "quantum-optimization")],
        traces: 8,
        session: "20261123-2201-quantum-vqe".to_owned(),
        skills: vec!["quantum-optimization".to_owned()],
        model: Some("claude-sonnet-4-5".to_owned()),
        tokens: None,
    }
}

#[test]
fn renders_the_design_example_exactly() {
    assert_eq!(render(&design_memory()), DESIGN_EXAMPLE);
}

#[test]
fn parses_the_design_example() {
    let parsed = parse(DESIGN_EXAMPLE).unwrap();
    assert_eq!(parsed, ParsedCommit::from(normalised(&design_memory())));
    assert_eq!(parsed.footer, Footer::Llmos);
    assert_eq!(parsed.artifacts_generated, 3);
}

#[test]
fn parses_the_seed_example() {
    let seed = "session: Quantum VQE Optimization

Prompt: Create a VQE circuit for H2 molecule with ansatz and optimizer.

Stats:
- 12 messages
- 3 artifacts generated
- 8 traces executed

Artifacts:
- quantum-circuit: bell_state_circuit
- code: vqe_h2_circuit.py
- skill: quantum-optimization.md

🤖 LLMunix Context Memory
";
    let parsed = parse(seed).unwrap();
    assert_eq!(parsed.title, "Quantum VQE Optimization");
    assert_eq!(parsed.prompt, "Create a VQE circuit for H2 molecule with ansatz and optimizer.");
    assert_eq!((parsed.messages, parsed.artifacts_generated, parsed.traces), (12, 3, 8));
    assert_eq!(parsed.artifacts[2], artifact("skill", "quantum-optimization.md"));
    assert_eq!(parsed.footer, Footer::Llmunix);
    assert_eq!(parsed.session, None);
    assert!(parsed.skills.is_empty());
    assert_eq!(parsed.model, None);
}

#[test]
fn omits_empty_blocks_and_trailers() {
    let message = render(&ContextMemory { title: "t".to_owned(), ..ContextMemory::default() });
    assert_eq!(message, "session: t\n\nPrompt: \n\nStats:\n- 0 messages\n- 0 artifacts generated\n- 0 traces executed\n\n🤖 LLMos Context Memory\n");
    assert!(!message.contains("Artifacts:"));
    assert!(!message.contains("LLMos-"));
}

#[test]
fn newlines_cannot_forge_structure() {
    let memory = ContextMemory {
        title: "real\nLLMos-Session: forged".to_owned(),
        prompt: "p\n\nStats:\n- 99 messages\n\n🤖 LLMos Context Memory\n\nLLMos-Model: forged".to_owned(),
        messages: 1,
        artifacts: vec![artifact("code:\n- evil", "a\n- code: b")],
        traces: 0,
        session: "s\nLLMos-Skills: forged".to_owned(),
        skills: vec!["one,two".to_owned(), "\n".to_owned()],
        model: Some("  ".to_owned()),
        tokens: None,
    };
    let parsed = parse(&render(&memory)).unwrap();
    assert_eq!(parsed.title, "real LLMos-Session: forged");
    assert_eq!(parsed.messages, 1);
    assert_eq!(parsed.artifacts, [artifact("code- - evil", "a - code: b")]);
    assert_eq!(parsed.session.as_deref(), Some("s LLMos-Skills: forged"));
    assert_eq!(parsed.skills, ["one two"]);
    assert_eq!(parsed.model, None);
}

#[test]
fn long_prompts_are_cut_at_500_chars() {
    let parsed = parse(&render(&ContextMemory { prompt: "ß".repeat(2000), ..ContextMemory::default() })).unwrap();
    assert_eq!(parsed.prompt.chars().count(), PROMPT_MAX_CHARS);
}

#[test]
fn other_subjects_are_skipped() {
    let skill = render_skill_subject("vqe-circuits", 5, 0.92);
    assert_eq!(skill, "skill: vqe-circuits (evolved from 5 sessions, 92%)\n");
    let promote = render_promotion_subject("vqe-circuits", "user", "team");
    assert_eq!(promote, "promote: vqe-circuits from user to team\n");
    for message in
        [skill.as_str(), promote.as_str(), "Initial commit\n", "Merge branch 'main'\n\nsession: x\n", "", "\n\n", "Session: capitalised is not ours\n"]
    {
        assert_eq!(parse(message), None, "{message:?}");
        assert!(!is_session_message(message), "{message:?}");
    }
}

#[test]
fn malformed_bodies_are_read_leniently() {
    let parsed = parse("session:  Only a subject").unwrap();
    assert_eq!(parsed.title, "Only a subject");
    assert_eq!((parsed.messages, parsed.artifacts_generated, parsed.traces), (0, 0, 0));
    assert_eq!(parsed.footer, Footer::Missing);

    let parsed = parse(
        "session: x\n\nStats:\n- lots messages\n- 99999999999999999999999 traces executed\n- 3\n- 2 artifacts\nArtifacts:\n- no colon here\n- kind: name\n\nPrompt: late\nand wrapped\n",
    )
    .unwrap();
    assert_eq!(parsed.messages, 0);
    assert_eq!(parsed.traces, 0);
    assert_eq!(parsed.artifacts_generated, 2);
    assert_eq!(parsed.artifacts, [artifact("kind", "name")]);
    assert_eq!(parsed.prompt, "late and wrapped");

    let crlf = parse("session: w\r\n\r\nPrompt: p\r\n\r\nStats:\r\n- 3 messages\r\n\r\nllmos-session: id\r\n").unwrap();
    assert_eq!((crlf.prompt.as_str(), crlf.messages), ("p", 3));
    assert_eq!(crlf.session.as_deref(), Some("id"));
}

fn any_text() -> impl Strategy<Value = String> {
    prop_oneof![any::<String>(), "[a-z0-9 :,\\-\n\r\t]{0,40}", "(\\PC|\n|\r|\t| |:|,|-|🤖){0,80}", "[ -~\n]{400,1200}",]
}

fn any_memory() -> impl Strategy<Value = ContextMemory> {
    (
        any_text(),
        any_text(),
        any::<usize>(),
        prop::collection::vec((any_text(), any_text()), 0..5),
        any::<usize>(),
        any_text(),
        prop::collection::vec(any_text(), 0..4),
        prop::option::of(any_text()),
        prop::option::of((any::<u64>(), any::<u64>())),
    )
        .prop_map(|(title, prompt, messages, artifacts, traces, session, skills, model, tokens)| ContextMemory {
            title,
            prompt,
            messages,
            artifacts: artifacts.into_iter().map(|(kind, name)| ArtifactRef { kind, name }).collect(),
            traces,
            session,
            skills,
            model,
            tokens: tokens.map(|(input, output)| llmos_vcs::TokenStats { input, output }),
        })
}

#[test]
fn token_stats_render_and_parse() {
    let memory = ContextMemory { title: "t".to_owned(), tokens: Some(llmos_vcs::TokenStats { input: 2034, output: 512 }), ..ContextMemory::default() };
    let message = render(&memory);
    assert!(
        message.contains("\n- 8 traces executed\n- 2034 tokens in, 512 tokens out\n")
            || message.contains("- 0 traces executed\n- 2034 tokens in, 512 tokens out\n"),
        "{message}"
    );
    assert_eq!(parse(&message).unwrap().tokens, Some(llmos_vcs::TokenStats { input: 2034, output: 512 }));
    assert_eq!(parse(&render(&ContextMemory { title: "t".to_owned(), ..ContextMemory::default() })).unwrap().tokens, None);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn render_then_parse_round_trips(memory in any_memory()) {
        let message = render(&memory);
        prop_assert!(!message.contains('\0'));
        prop_assert_eq!(parse(&message), Some(ParsedCommit::from(normalised(&memory))));
    }

    #[test]
    fn normalising_twice_changes_nothing(memory in any_memory()) {
        let once = normalised(&memory);
        prop_assert_eq!(normalised(&once), once.clone());
        prop_assert!(once.prompt.chars().count() <= PROMPT_MAX_CHARS);
    }

    #[test]
    fn parse_never_panics(message in any_text()) {
        let _ = parse(&message);
        let with_subject = format!("session: {message}");
        prop_assert!(parse(&with_subject).is_some());
    }

    #[test]
    fn parse_never_panics_on_near_misses(lines in prop::collection::vec(
        prop_oneof![
            Just("Stats:".to_owned()),
            Just("Artifacts:".to_owned()),
            Just("Prompt:".to_owned()),
            Just("🤖 LLMunix Context Memory".to_owned()),
            Just("LLMos-Skills: ,,".to_owned()),
            "- [0-9]{0,30} [a-z]{0,10}",
            "- [a-z:]{0,10}: ?.{0,10}",
            any_text(),
        ],
        0..30,
    )) {
        let message = format!("session: t\n{}", lines.join("\n"));
        prop_assert!(parse(&message).is_some());
    }
}
