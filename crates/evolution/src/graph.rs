//! The similarity graph of a history and its communities.
//!
//! Each record is linked to its `k` most similar records among a bounded set of
//! candidates: records that share one of its heaviest terms and lie near it in
//! history (a window over each term's posting list). Every record thus costs
//! O(terms · window) whatever the history's size — no all-pairs comparison.
//! Communities are then found by Louvain modularity optimisation, which joins
//! prompts through chains of shared words ("plot"–"bar chart"–"chart") that no
//! single pair of prompts shows.
//!
//! Neighbour search runs in parallel, one record per task, writing only its own
//! result; community detection is sequential in record order. Results are the
//! same on any number of threads.

use rayon::prelude::*;

use crate::features::{FeatureVector, ShortId, ShortMap, short_map};

/// A symmetric weighted graph in compressed rows; node `i`'s edges are
/// `targets[offsets[i]..offsets[i + 1]]`. Self-loops carry internal weight
/// after aggregation.
#[derive(Debug, Clone, Default)]
pub(crate) struct Graph {
    pub offsets: Vec<usize>,
    pub targets: Vec<u32>,
    pub weights: Vec<f64>,
}

impl Graph {
    pub fn len(&self) -> usize {
        self.offsets.len().saturating_sub(1)
    }

    /// Node `node`'s edges; none for a node outside the graph.
    pub fn edges(&self, node: usize) -> impl Iterator<Item = (u32, f64)> + '_ {
        let range = match self.offsets.get(node..node.saturating_add(2)) {
            Some(&[start, end]) => start..end,
            _ => 0..0,
        };
        let targets = self.targets.get(range.clone()).unwrap_or_default();
        let weights = self.weights.get(range).unwrap_or_default();
        targets.iter().copied().zip(weights.iter().copied())
    }

    /// Builds from per-node adjacency lists (each sorted by target, no duplicates).
    fn from_lists(lists: Vec<Vec<(u32, f64)>>) -> Graph {
        let mut offsets = Vec::with_capacity(lists.len() + 1);
        offsets.push(0);
        let total: usize = lists.iter().map(Vec::len).sum();
        let mut targets = Vec::with_capacity(total);
        let mut weights = Vec::with_capacity(total);
        for list in lists {
            for (t, w) in list {
                targets.push(t);
                weights.push(w);
            }
            offsets.push(targets.len());
        }
        Graph { offsets, targets, weights }
    }
}

/// How neighbours are searched.
#[derive(Debug, Clone, Copy)]
pub(crate) struct NeighbourSearch {
    pub k: usize,
    pub min_similarity: f32,
    /// Posting entries read on each side of the record, per term.
    pub window: usize,
    pub max_candidates: usize,
}

/// Cosine of two unit vectors sorted by term id.
pub(crate) fn sparse_cosine(a: &[(ShortId, f32)], b: &[(ShortId, f32)]) -> f32 {
    let (mut a, mut b, mut dot) = (a, b, 0.0);
    while let ([(ta, wa), a_rest @ ..], [(tb, wb), b_rest @ ..]) = (a, b) {
        match ta.cmp(tb) {
            std::cmp::Ordering::Less => a = a_rest,
            std::cmp::Ordering::Greater => b = b_rest,
            std::cmp::Ordering::Equal => {
                dot += wa * wb;
                a = a_rest;
                b = b_rest;
            }
        }
    }
    dot
}

/// The k-nearest-neighbour graph, made symmetric (an edge exists if either end
/// chose the other).
// Every index is a record id (< vectors.len()), a posting id (< postings.len())
// or a window clamped to its posting, all built in this function.
#[allow(clippy::indexing_slicing)]
pub(crate) fn neighbour_graph(vectors: &[FeatureVector], search: NeighbourSearch) -> Graph {
    // Postings per index term, plus each record's own place in the postings of
    // its terms, so that reading a window needs no search (binary searches over
    // long postings were the cost of this phase: one cache miss per step).
    let mut term_ids: ShortMap<u32> = short_map();
    let mut postings: Vec<Vec<u32>> = Vec::new();
    let mut keys: Vec<(u32, u32)> = Vec::with_capacity(vectors.len() * 6);
    let mut key_offsets: Vec<usize> = Vec::with_capacity(vectors.len() + 1);
    key_offsets.push(0);
    for (i, v) in vectors.iter().enumerate() {
        for term in &v.top_terms {
            let next = postings.len() as u32;
            let id = *term_ids.entry(*term).or_insert(next);
            if id == next {
                postings.push(Vec::new());
            }
            let posting = &mut postings[id as usize];
            keys.push((id, posting.len() as u32));
            posting.push(i as u32);
        }
        key_offsets.push(keys.len());
    }
    drop(term_ids);
    let chosen: Vec<Vec<(u32, f32)>> = (0..vectors.len())
        .into_par_iter()
        .map_init(
            || (Vec::new(), Vec::new()),
            |(seen, hits): &mut (Vec<u32>, Vec<(u32, u32)>), i| {
                let v = &vectors[i];
                if v.is_empty() {
                    return Vec::new();
                }
                seen.clear();
                for &(term, at) in &keys[key_offsets[i]..key_offsets[i + 1]] {
                    let posting = &postings[term as usize];
                    let at = at as usize;
                    let from = at.saturating_sub(search.window);
                    let to = (at + 1 + search.window).min(posting.len());
                    seen.extend(posting[from..to].iter().copied().filter(|&d| d as usize != i));
                }
                // Count how many index terms each candidate shares with the record.
                seen.sort_unstable();
                hits.clear();
                for &d in seen.iter() {
                    match hits.last_mut() {
                        Some((last, n)) if *last == d => *n += 1,
                        _ => hits.push((d, 1)),
                    }
                }
                // Most shared terms first, then nearest in history.
                let distance = |d: u32| (i64::from(d) - i as i64).unsigned_abs();
                let order = |a: &(u32, u32), b: &(u32, u32)| b.1.cmp(&a.1).then(distance(a.0).cmp(&distance(b.0))).then(a.0.cmp(&b.0));
                if hits.len() > search.max_candidates {
                    hits.select_nth_unstable_by(search.max_candidates, order);
                    hits.truncate(search.max_candidates);
                }
                let mut scored: Vec<(u32, f32)> = hits
                    .iter()
                    .map(|&(d, _)| (d, sparse_cosine(&v.weights, &vectors[d as usize].weights)))
                    .filter(|(_, s)| *s >= search.min_similarity)
                    .collect();
                scored.sort_unstable_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
                scored.truncate(search.k);
                scored
            },
        )
        .collect();
    let mut degree = vec![0usize; vectors.len()];
    for (i, list) in chosen.iter().enumerate() {
        degree[i] += list.len();
        for (j, _) in list {
            degree[*j as usize] += 1;
        }
    }
    let mut lists: Vec<Vec<(u32, f64)>> = degree.iter().map(|d| Vec::with_capacity(*d)).collect();
    for (i, list) in chosen.iter().enumerate() {
        for &(j, w) in list {
            lists[i].push((j, f64::from(w)));
            lists[j as usize].push((i as u32, f64::from(w)));
        }
    }
    lists.par_iter_mut().for_each(|list| {
        list.sort_unstable_by(|a, b| a.0.cmp(&b.0).then(b.1.total_cmp(&a.1)));
        list.dedup_by_key(|(t, _)| *t);
    });
    Graph::from_lists(lists)
}

/// Louvain community detection (local moving + aggregation, repeated while it
/// improves modularity). `resolution` > 1 gives smaller communities.
/// Returns a community id per node; isolated nodes are their own community.
// Membership values are node ids of the current level, and `communities` has one entry per node.
#[allow(clippy::indexing_slicing)]
pub(crate) fn louvain(graph: &Graph, resolution: f64) -> Vec<u32> {
    let mut membership: Vec<u32> = (0..graph.len() as u32).collect();
    let mut level = graph.clone();
    for _ in 0..10 {
        let (communities, moved) = local_moving(&level, resolution);
        if !moved {
            break;
        }
        for m in membership.iter_mut() {
            *m = communities[*m as usize];
        }
        level = aggregate(&level, &communities);
    }
    membership
}

/// One Louvain phase: nodes move, in index order, to the neighbouring
/// community with the best modularity gain until a sweep moves nothing.
/// Returns communities renumbered 0.. in order of first appearance.
// Nodes and communities are both ids below n (a community is named after a node), the length of every array here.
#[allow(clippy::indexing_slicing)]
fn local_moving(graph: &Graph, resolution: f64) -> (Vec<u32>, bool) {
    let n = graph.len();
    let degree: Vec<f64> = (0..n).map(|i| graph.edges(i).map(|(_, w)| w).sum()).collect();
    let two_m: f64 = degree.iter().sum();
    let mut community: Vec<u32> = (0..n as u32).collect();
    if two_m <= 0.0 {
        return (community, false);
    }
    let mut total: Vec<f64> = degree.clone();
    let mut link = vec![0.0f64; n];
    let mut stamp = vec![usize::MAX; n];
    let mut touched: Vec<u32> = Vec::new();
    let mut moved_any = false;
    for _sweep in 0..32 {
        let mut moved = 0usize;
        for i in 0..n {
            if degree[i] <= 0.0 {
                continue;
            }
            let current = community[i];
            touched.clear();
            stamp[current as usize] = i;
            link[current as usize] = 0.0;
            touched.push(current);
            for (j, w) in graph.edges(i) {
                if j as usize == i {
                    continue;
                }
                let c = community[j as usize];
                if stamp[c as usize] != i {
                    stamp[c as usize] = i;
                    link[c as usize] = 0.0;
                    touched.push(c);
                }
                link[c as usize] += w;
            }
            total[current as usize] -= degree[i];
            // Gain of joining c, up to terms that are the same for every c.
            let gain = |c: u32| link[c as usize] - resolution * degree[i] * total[c as usize] / two_m;
            let mut best = current;
            let mut best_gain = gain(current);
            for &c in &touched[1..] {
                let g = gain(c);
                if g > best_gain + 1e-12 {
                    best = c;
                    best_gain = g;
                }
            }
            total[best as usize] += degree[i];
            if best != current {
                community[i] = best;
                moved += 1;
                moved_any = true;
            }
        }
        // Late sweeps move a handful of nodes for a negligible gain; stopping
        // at 0.1% keeps the phase linear in practice.
        if moved == 0 || moved * 1000 < n {
            break;
        }
    }
    let mut renumber = vec![u32::MAX; n];
    let mut next = 0u32;
    for c in community.iter_mut() {
        if renumber[*c as usize] == u32::MAX {
            renumber[*c as usize] = next;
            next += 1;
        }
        *c = renumber[*c as usize];
    }
    (community, moved_any)
}

/// Collapses each community into one node; edges between communities add up
/// and edges inside become a self-loop.
// Community ids are below n_communities (computed from their maximum); targets are node ids of `graph`, as is `community`'s length.
#[allow(clippy::indexing_slicing)]
fn aggregate(graph: &Graph, community: &[u32]) -> Graph {
    let n_communities = community.iter().map(|c| *c as usize + 1).max().unwrap_or(0);
    let mut members: Vec<Vec<usize>> = vec![Vec::new(); n_communities];
    for (i, c) in community.iter().enumerate() {
        members[*c as usize].push(i);
    }
    let mut scratch = vec![0.0f64; n_communities];
    let mut touched: Vec<u32> = Vec::new();
    let mut lists = Vec::with_capacity(n_communities);
    for nodes in &members {
        touched.clear();
        for &i in nodes {
            for (j, w) in graph.edges(i) {
                let d = community[j as usize];
                if scratch[d as usize] == 0.0 {
                    touched.push(d);
                }
                scratch[d as usize] += w;
            }
        }
        touched.sort_unstable();
        touched.dedup();
        let list: Vec<(u32, f64)> = touched.iter().map(|&d| (d, scratch[d as usize])).collect();
        for &d in &touched {
            scratch[d as usize] = 0.0;
        }
        lists.push(list);
    }
    Graph::from_lists(lists)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn graph(n: usize, edges: &[(u32, u32, f64)]) -> Graph {
        let mut lists: Vec<Vec<(u32, f64)>> = vec![Vec::new(); n];
        for &(a, b, w) in edges {
            lists[a as usize].push((b, w));
            lists[b as usize].push((a, w));
        }
        for list in &mut lists {
            list.sort_by_key(|a| a.0);
        }
        Graph::from_lists(lists)
    }

    #[test]
    fn two_triangles_joined_by_a_weak_edge_are_two_communities() {
        let g = graph(7, &[(0, 1, 1.0), (1, 2, 1.0), (0, 2, 1.0), (3, 4, 1.0), (4, 5, 1.0), (3, 5, 1.0), (2, 3, 0.1)]);
        let c = louvain(&g, 1.0);
        assert_eq!(c[0], c[1]);
        assert_eq!(c[1], c[2]);
        assert_eq!(c[3], c[4]);
        assert_eq!(c[4], c[5]);
        assert_ne!(c[0], c[3]);
        // Node 6 has no edges: alone.
        assert!(c[..6].iter().all(|x| *x != c[6]));
    }

    #[test]
    fn empty_graph() {
        assert!(louvain(&Graph::from_lists(Vec::new()), 1.0).is_empty());
    }
}
