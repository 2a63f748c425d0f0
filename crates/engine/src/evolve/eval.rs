//! `llmos evolve --eval`: the skill-creator style check of a new skill. The newest
//! members of its pattern (held out, as in the trigger evaluation) are asked again
//! without the skill and with it; the LLM judges each pair against the answer the
//! session accepted. Order alternates between pairs so the judge's position bias
//! cancels out. Tokens are estimated from characters (the ask interface returns text).

use llmos_evolution::writer::{self, Verdict};
use llmos_evolution::{LlmEval, Pattern, SessionRecord};

use super::Ask;

/// The most held-out prompts tried per skill: each costs three LLM calls.
const MAX_TRIALS: usize = 5;
/// How much of the skill and the answers go into a prompt.
const MAX_CHARS: usize = 8_000;

fn cap(text: &str) -> String {
    text.chars().take(MAX_CHARS).collect()
}

pub fn judge_skill(ask: Ask<'_>, pattern: &Pattern, records: &[SessionRecord], skill: &str) -> LlmEval {
    let mut members: Vec<&SessionRecord> = llmos_evolution::distill::members(records, pattern);
    members.sort_by_key(|r| std::cmp::Reverse(r.time));
    let held = llmos_evolution::trigger::held_out_count(members.len());
    let mut e = LlmEval::default();
    for (i, record) in members.iter().take(held).filter(|r| r.answer.is_some()).take(MAX_TRIALS).enumerate() {
        let (Some(accepted), request) = (record.answer.as_deref(), record.main_prompt()) else { continue };
        e.trials += 1;
        let with_prompt = format!("Follow this skill where it applies.\n\n{}\n\n---\n\nRequest: {request}", cap(skill));
        let without = ask(request);
        let with = ask(&with_prompt);
        let (Ok(without), Ok(with)) = (without, with) else {
            e.failed += 1;
            continue;
        };
        e.tokens_without += writer::estimated_tokens(request.chars().count() + without.chars().count());
        e.tokens_with += writer::estimated_tokens(with_prompt.chars().count() + with.chars().count());
        let skill_first = i % 2 == 0;
        let (a, b) = if skill_first { (&with, &without) } else { (&without, &with) };
        let judge = writer::build_judge_prompt(request, &cap(accepted), &cap(a), &cap(b));
        let verdict = ask(&judge);
        if let Ok(v) = &verdict {
            e.tokens_judge += writer::estimated_tokens(judge.chars().count() + v.chars().count());
        }
        match verdict.map(|v| writer::parse_verdict(&v)) {
            Ok(Ok(Verdict::Tie)) => e.ties += 1,
            Ok(Ok(Verdict::A)) if skill_first => e.wins += 1,
            Ok(Ok(Verdict::B)) if !skill_first => e.wins += 1,
            Ok(Ok(_)) => e.losses += 1,
            _ => e.failed += 1,
        }
    }
    e
}
