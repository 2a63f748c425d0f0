//! `workspace/symbol`: skills and sessions by name, title and description, fuzzy, with
//! the volume in the detail.

use tower_lsp_server::ls_types::*;

use crate::lsp::Backend;
use crate::lsp::convert::path_to_uri;

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
        let found = cand[ci..].iter().position(|&c| c == q)? + ci;
        score += 1;
        if prev_match == Some(found.wrapping_sub(1)) {
            score += 3;
        }
        if found == 0 || !cand[found - 1].is_alphanumeric() {
            score += 2;
        }
        prev_match = Some(found);
        ci = found + 1;
    }
    Some(score)
}

const MAX_SYMBOLS: usize = 256;

#[allow(deprecated)] // `deprecated` is a required field of SymbolInformation
pub fn symbol(backend: &Backend, params: WorkspaceSymbolParams) -> Option<WorkspaceSymbolResponse> {
    let query = params.query.trim();
    let ws = backend.ws_read();
    // Score everything first; build symbols (URIs, strings) only for the ones returned.
    let mut skills: Vec<(u32, &llmos_workspace::SkillEntry)> = ws
        .index
        .skills()
        .filter_map(|s| {
            fuzzy_score(query, &s.name).map(|x| x * 2).or_else(|| fuzzy_score(query, &s.description).filter(|_| query.len() >= 3)).map(|sc| (sc, s))
        })
        .collect();
    let mut sessions: Vec<(u32, &llmos_workspace::SessionEntry)> =
        ws.index.sessions().filter_map(|s| fuzzy_score(query, &s.title).map(|x| x * 2).or_else(|| fuzzy_score(query, &s.id)).map(|sc| (sc, s))).collect();
    // Best first, then by name, then by path (the index's order, so ties stay put). Only
    // the best MAX_SYMBOLS are sorted: an empty query matches all 200,000 entries of a
    // large workspace, and sorting them all took most of a second.
    let by_score = |a: u32, b: u32, an: &str, bn: &str| b.cmp(&a).then_with(|| an.cmp(bn));
    best_first(&mut skills, |a, b| by_score(a.0, b.0, &a.1.name, &b.1.name).then_with(|| a.1.path.cmp(&b.1.path)));
    best_first(&mut sessions, |a, b| by_score(a.0, b.0, &a.1.title, &b.1.title).then_with(|| a.1.path.cmp(&b.1.path)));
    let at_start = Range::default();
    let mut hits: Vec<(u32, SymbolInformation)> = Vec::with_capacity(skills.len() + sessions.len());
    for (score, s) in skills {
        if let Some(uri) = path_to_uri(&s.path) {
            hits.push((
                score,
                SymbolInformation {
                    name: s.name.clone(),
                    kind: SymbolKind::MODULE,
                    tags: None,
                    deprecated: None,
                    location: Location { uri, range: at_start },
                    container_name: Some(format!("{} skill", s.volume)),
                },
            ));
        }
    }
    for (score, s) in sessions {
        if let Some(uri) = path_to_uri(&s.path) {
            hits.push((
                score,
                SymbolInformation {
                    name: s.title.clone(),
                    kind: SymbolKind::FILE,
                    tags: None,
                    deprecated: None,
                    location: Location { uri, range: at_start },
                    container_name: Some(format!("{} session", s.volume)),
                },
            ));
        }
    }
    hits.sort_by(|a, b| b.0.cmp(&a.0).then_with(|| a.1.name.cmp(&b.1.name)));
    hits.truncate(MAX_SYMBOLS);
    Some(WorkspaceSymbolResponse::Flat(hits.into_iter().map(|(_, s)| s).collect()))
}

/// Keeps the first `MAX_SYMBOLS` of `items` in `order`, sorted, in time linear in the
/// number of items.
fn best_first<T>(items: &mut Vec<T>, mut order: impl FnMut(&T, &T) -> std::cmp::Ordering) {
    if items.len() > MAX_SYMBOLS {
        items.select_nth_unstable_by(MAX_SYMBOLS - 1, &mut order);
        items.truncate(MAX_SYMBOLS);
    }
    items.sort_by(order);
}

#[cfg(test)]
mod tests {
    use super::fuzzy_score;

    #[test]
    fn fuzzy() {
        assert!(fuzzy_score("qcd", "quantum-circuit-design").is_some());
        assert!(fuzzy_score("xyz", "quantum").is_none());
        assert!(fuzzy_score("quan", "quantum").unwrap() > fuzzy_score("qtm", "quantum").unwrap());
    }
}

#[cfg(test)]
mod best_first_tests {
    use proptest::prelude::*;

    use super::{MAX_SYMBOLS, best_first};

    proptest! {
        /// The selection keeps exactly what sorting everything and cutting would keep.
        #[test]
        fn equals_a_full_sort_cut(items in prop::collection::vec((0u32..4, 0u16..400), 0..700)) {
            let order = |a: &(u32, u16), b: &(u32, u16)| b.0.cmp(&a.0).then(a.1.cmp(&b.1));
            let mut expected = items.clone();
            expected.sort_by(order);
            expected.truncate(MAX_SYMBOLS);
            let mut got = items;
            best_first(&mut got, order);
            prop_assert_eq!(got, expected);
        }
    }
}
