//! Finding skills and sessions by name, title and description (`workspace/symbol`):
//! fuzzy, best first, bounded.

use std::path::PathBuf;

use llmos_documents::VolumeKind;
use llmos_workspace::Index;

/// Scores `candidate` against `query`: every query character must appear in order;
/// contiguous runs and word starts score higher. `None` when it does not match.
pub fn fuzzy_score(query: &str, candidate: &str) -> Option<u32> {
    if query.is_empty() {
        return Some(1);
    }
    let cand: Vec<char> = candidate.chars().flat_map(char::to_lowercase).collect();
    let mut score = 0u32;
    let mut ci = 0;
    let mut prev_match: Option<usize> = None;
    for q in query.chars().flat_map(char::to_lowercase) {
        if q.is_whitespace() {
            continue;
        }
        let found = cand.get(ci..)?.iter().position(|&c| c == q)? + ci;
        score += 1;
        if prev_match == Some(found.wrapping_sub(1)) {
            score += 3;
        }
        if found == 0 || found.checked_sub(1).and_then(|i| cand.get(i)).is_some_and(|c| !c.is_alphanumeric()) {
            score += 2;
        }
        prev_match = Some(found);
        ci = found + 1;
    }
    Some(score)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HitKind {
    Skill,
    Session,
}

/// One skill or session that matches a query.
#[derive(Debug, Clone)]
pub struct Hit {
    pub kind: HitKind,
    /// The skill's name or the session's title.
    pub name: String,
    pub path: PathBuf,
    pub volume: VolumeKind,
    pub score: u32,
}

/// The best `max` skills and sessions for `query`: a skill by its name (or, for queries
/// of three characters or more, its description), a session by its title (or id); a
/// match on the name counts double. Ties go by name.
pub fn search(index: &Index, query: &str, max: usize) -> Vec<Hit> {
    let query = query.trim();
    // Score everything first; build hits (paths, strings) only for the ones returned.
    let mut skills: Vec<(u32, &llmos_workspace::SkillEntry)> = index
        .skills()
        .filter_map(|s| {
            fuzzy_score(query, &s.name).map(|x| x * 2).or_else(|| fuzzy_score(query, &s.description).filter(|_| query.len() >= 3)).map(|sc| (sc, s))
        })
        .collect();
    let mut sessions: Vec<(u32, &llmos_workspace::SessionEntry)> =
        index.sessions().filter_map(|s| fuzzy_score(query, &s.title).map(|x| x * 2).or_else(|| fuzzy_score(query, &s.id)).map(|sc| (sc, s))).collect();
    // Best first, then by name, then by path (the index's order, so ties stay put). Only
    // the best `max` are sorted: an empty query matches all 200,000 entries of a large
    // workspace, and sorting them all took most of a second.
    let by_score = |a: u32, b: u32, an: &str, bn: &str| b.cmp(&a).then_with(|| an.cmp(bn));
    best_first(&mut skills, max, |a, b| by_score(a.0, b.0, &a.1.name, &b.1.name).then_with(|| a.1.path.cmp(&b.1.path)));
    best_first(&mut sessions, max, |a, b| by_score(a.0, b.0, &a.1.title, &b.1.title).then_with(|| a.1.path.cmp(&b.1.path)));
    let mut hits: Vec<Hit> = skills
        .into_iter()
        .map(|(score, s)| Hit { kind: HitKind::Skill, name: s.name.clone(), path: s.path.clone(), volume: s.volume, score })
        .chain(sessions.into_iter().map(|(score, s)| Hit { kind: HitKind::Session, name: s.title.clone(), path: s.path.clone(), volume: s.volume, score }))
        .collect();
    hits.sort_by(|a, b| by_score(a.score, b.score, &a.name, &b.name));
    hits.truncate(max);
    hits
}

/// Keeps the first `max` of `items` in `order`, sorted, in time linear in the number of
/// items.
fn best_first<T>(items: &mut Vec<T>, max: usize, mut order: impl FnMut(&T, &T) -> std::cmp::Ordering) {
    if max == 0 {
        items.clear();
        return;
    }
    if items.len() > max {
        items.select_nth_unstable_by(max - 1, &mut order);
        items.truncate(max);
    }
    items.sort_by(order);
}

#[cfg(test)]
mod tests {
    use super::{best_first, fuzzy_score};
    use proptest::prelude::*;

    #[test]
    fn fuzzy() {
        assert!(fuzzy_score("qcd", "quantum-circuit-design").is_some());
        assert!(fuzzy_score("xyz", "quantum").is_none());
        assert!(fuzzy_score("quan", "quantum").unwrap_or(0) > fuzzy_score("qtm", "quantum").unwrap_or(0));
    }

    proptest! {
        /// The selection keeps exactly what sorting everything and cutting would keep.
        #[test]
        fn best_first_equals_a_full_sort_cut(items in proptest::collection::vec((0u32..4, 0u16..400), 0..700), max in 0usize..300) {
            let order = |a: &(u32, u16), b: &(u32, u16)| b.0.cmp(&a.0).then(a.1.cmp(&b.1));
            let mut expected = items.clone();
            expected.sort_by(order);
            expected.truncate(max);
            let mut got = items;
            best_first(&mut got, max, order);
            prop_assert_eq!(got, expected);
        }

        /// A match exactly when the query's characters (lowercased, spaces dropped) are a
        /// subsequence of the candidate's: checked by a plain two-pointer walk.
        #[test]
        fn matches_iff_subsequence(query in "[a-cA-C é]{0,6}", candidate in "[a-cA-C é-]{0,12}") {
            let q: Vec<char> = query.chars().flat_map(char::to_lowercase).filter(|c| !c.is_whitespace()).collect();
            let c: Vec<char> = candidate.chars().flat_map(char::to_lowercase).collect();
            let mut i = 0;
            for ch in &c {
                if i < q.len() && q[i] == *ch {
                    i += 1;
                }
            }
            let subsequence = i == q.len();
            prop_assert_eq!(fuzzy_score(&query, &candidate).is_some(), subsequence);
        }
    }
}
