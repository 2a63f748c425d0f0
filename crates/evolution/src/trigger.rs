//! Would the chat pick this skill? The ranker the chat uses to list relevant
//! skills for a conversation ([`relevance`]), and an offline trigger evaluation
//! built on it: before a skill is written, part of its pattern's prompts is held
//! out; the skill must be picked for held-out members and not for other work.
//!
//! The ranker lives here (not in the server) so the evaluation measures exactly
//! what the chat does; `crates/engine/src/chat/context.rs` calls it.

use std::collections::HashSet;

use serde::{Deserialize, Serialize};

use crate::concepts::{concept_of, concept_term};
use crate::features::is_stop_word;
use crate::record::{Pattern, SessionRecord};

/// A skill as the ranker sees it: name, description and keywords.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SkillCard {
    pub name: String,
    pub description: String,
    pub keywords: Vec<String>,
}

/// A conversation's words, lowercased, longer than two characters, without English
/// function words: "the" or "from" shared with a description says nothing about
/// relevance (the trigger evaluation showed them picking skills for unrelated work).
///
/// Each word that belongs to a curated concept also adds the concept's term, so
/// "visualise the survey" and a skill named `chart-csv` share `~plot`.
pub fn words(text: &str) -> HashSet<String> {
    let mut out: HashSet<String> =
        text.split(|c: char| !c.is_alphanumeric()).filter(|w| w.chars().count() > 2).map(str::to_lowercase).filter(|w| !is_stop_word(w)).collect();
    let concepts: Vec<String> = out.iter().filter_map(|w| concept_of(w)).map(concept_term).collect();
    out.extend(concepts);
    out
}

/// Scores a skill against a conversation: shared words in its name, description and
/// keywords, name words weighing more. 0 means "not relevant".
pub fn relevance(name: &str, description: &str, keywords: &[String], conversation: &HashSet<String>) -> usize {
    let name_hits = words(&name.replace('-', " ")).iter().filter(|w| conversation.contains(*w)).count();
    let desc = words(description).iter().filter(|w| conversation.contains(*w)).count();
    let keys = keywords.iter().flat_map(|k| words(k)).filter(|w| conversation.contains(w)).count();
    name_hits * 3 + desc + keys * 2
}

/// A skill counts as picked when it scores and fewer than this many others score
/// higher: the chat lists relevant skills best first, and the first is the one an
/// agent reads (measured: with the top three, a generic verb such as "write" made a
/// test-writing skill "picked" for SQL and Dockerfile requests).
pub const PICKED_RANK: usize = 1;
/// Share of a pattern's members held out of the skill (newest first).
pub const HOLD_OUT_SHARE: f64 = 0.4;
/// At most this many prompts of other work are tried as negatives.
pub const MAX_NEGATIVES: usize = 400;

/// The evaluation's figures.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TriggerEval {
    /// Held-out member prompts tried, and how many picked the skill.
    pub held_out: usize,
    pub true_positives: usize,
    /// Prompts of other patterns and one-offs tried, and how many picked the skill.
    pub negatives: usize,
    pub false_positives: usize,
}

impl TriggerEval {
    /// Of the prompts that picked the skill, the share that belonged to its pattern
    /// (1 when nothing picked it and there was nothing to pick).
    pub fn precision(&self) -> f64 {
        let picked = self.true_positives + self.false_positives;
        if picked == 0 { if self.held_out == 0 { 1.0 } else { 0.0 } } else { self.true_positives as f64 / picked as f64 }
    }

    /// Of the held-out member prompts, the share that picked the skill.
    pub fn recall(&self) -> f64 {
        if self.held_out == 0 { 0.0 } else { self.true_positives as f64 / self.held_out as f64 }
    }
}

/// How many of a pattern's `n` members are held out: 40 %, at least one, and
/// never all (a pattern of one member has nothing to hold out).
pub fn held_out_count(n: usize) -> usize {
    if n < 2 {
        return 0;
    }
    ((n as f64 * HOLD_OUT_SHARE).ceil() as usize).clamp(1, n - 1)
}

fn picked(card: &SkillCard, competitors: &[SkillCard], prompt: &str) -> bool {
    let conversation = words(prompt);
    let score = relevance(&card.name, &card.description, &card.keywords, &conversation);
    if score == 0 {
        return false;
    }
    let higher = competitors.iter().filter(|c| c.name != card.name && relevance(&c.name, &c.description, &c.keywords, &conversation) > score).count();
    higher < PICKED_RANK
}

/// Removes from a card the words seen only in held-out prompts, so the held-out
/// members test the skill as if they had come after it was written.
pub fn without_words(card: &SkillCard, leaked: &HashSet<String>) -> SkillCard {
    let keep = |text: &str| -> String {
        text.split(|c: char| !c.is_alphanumeric() && c != '-')
            .filter(|w| !w.is_empty())
            .filter(|w| !words(w).iter().any(|x| leaked.contains(x)))
            .collect::<Vec<_>>()
            .join(" ")
    };
    SkillCard {
        name: card.name.split('-').filter(|w| !leaked.contains(&w.to_lowercase())).collect::<Vec<_>>().join("-"),
        description: keep(&card.description),
        keywords: card.keywords.iter().filter(|k| !words(k).iter().any(|w| leaked.contains(w))).cloned().collect(),
    }
}

/// Runs the evaluation: `training` and `held_out` are the pattern's prompts
/// (split by the caller, newest held out), `negatives` prompts of other work,
/// `competitors` the other skills the chat could pick instead.
pub fn evaluate(card: &SkillCard, training: &[String], held_out: &[String], negatives: &[String], competitors: &[SkillCard]) -> TriggerEval {
    let seen: HashSet<String> = training.iter().flat_map(|p| words(p)).collect();
    let leaked: HashSet<String> = held_out.iter().flat_map(|p| words(p)).filter(|w| !seen.contains(w)).collect();
    let card = without_words(card, &leaked);
    let negatives = negatives.get(..MAX_NEGATIVES).unwrap_or(negatives);
    TriggerEval {
        held_out: held_out.len(),
        true_positives: held_out.iter().filter(|p| picked(&card, competitors, p)).count(),
        negatives: negatives.len(),
        false_positives: negatives.iter().filter(|p| picked(&card, competitors, p)).count(),
    }
}

/// The card a pattern's skill will have.
pub fn card_of(p: &Pattern) -> SkillCard {
    SkillCard { name: p.name.clone(), description: p.description.clone(), keywords: p.keywords.clone() }
}

/// The held-out trigger evaluation of a pattern's skill: its newest members
/// ([`held_out_count`]) are held out; the main prompts of every record outside the
/// pattern (other patterns' members and one-offs) are the negatives.
pub fn evaluate_pattern(p: &Pattern, records: &[SessionRecord], competitors: &[SkillCard]) -> TriggerEval {
    let mut order: Vec<usize> = (0..p.prompts.len()).collect();
    order.sort_by_key(|&i| (p.times.get(i).copied().unwrap_or(0), i));
    let held = held_out_count(order.len());
    let (training, held_out) = order.split_at(order.len() - held);
    let prompts = |idx: &[usize]| idx.iter().filter_map(|&i| p.prompts.get(i).cloned()).collect::<Vec<_>>();
    let negatives: Vec<String> = records.iter().filter(|r| !p.commits.contains(&r.sha)).map(|r| r.main_prompt().to_string()).collect();
    evaluate(&card_of(p), &prompts(training), &prompts(held_out), &negatives, competitors)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn card(name: &str, description: &str, keywords: &[&str]) -> SkillCard {
        SkillCard { name: name.into(), description: description.into(), keywords: keywords.iter().map(|k| k.to_string()).collect() }
    }

    #[test]
    fn ranker_weighs_name_words_most() {
        let conv = words("Plot the CSV with labelled axes");
        // plot, csv and the concept term ~plot, each ×3 in the name.
        assert_eq!(relevance("plot-csv", "", &[], &conv), 9);
        assert_eq!(relevance("x", "Plot a CSV file", &[], &conv), 3);
        assert_eq!(relevance("x", "", &["axes".into()], &conv), 2);
        assert_eq!(relevance("sql-query", "Write SQL", &["join".into()], &conv), 0);
        // A paraphrase meets through the concept term: "visualise" ~ "plot".
        let para = words("visualise the survey results");
        assert!(relevance("chart-csv", "", &[], &para) > 0);
        assert_eq!(relevance("sql-query", "", &[], &para), 0);
    }

    #[test]
    fn held_out_words_do_not_help_the_skill() {
        let c = card("chart-csv", "Charts of csv data; use when asked for a chart", &["csv", "gizmo"]);
        // "gizmo" appears only in the held-out prompt: it must not count.
        let e = evaluate(&c, &["chart this csv".into()], &["gizmo please".into()], &[], &[]);
        assert_eq!((e.held_out, e.true_positives), (1, 0));
        let e = evaluate(&c, &["chart this csv".into()], &["chart revenue".into()], &["what is the capital of peru".into()], &[]);
        assert_eq!((e.true_positives, e.false_positives, e.negatives), (1, 0, 1));
        assert_eq!((e.precision(), e.recall()), (1.0, 1.0));
    }

    #[test]
    fn a_stronger_competitor_takes_the_prompt() {
        let c = card("chart-csv", "csv charts", &[]);
        let others: Vec<SkillCard> = (0..PICKED_RANK).map(|i| card(&format!("csv-chart-{i}"), "csv chart csv chart", &["csv", "chart"])).collect();
        let e = evaluate(&c, &["csv chart".into()], &["csv chart now".into()], &[], &others);
        assert_eq!(e.true_positives, 0);
        assert_eq!(e.precision(), 0.0);
    }

    #[test]
    fn split_sizes() {
        assert_eq!((0..6).map(held_out_count).collect::<Vec<_>>(), [0, 0, 1, 2, 2, 2]);
        assert_eq!(held_out_count(10), 4);
    }
}
