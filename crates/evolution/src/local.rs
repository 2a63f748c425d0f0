//! Local pattern detection: offline, deterministic, near-linear in history size.
//!
//! 1. Each record becomes a TF-IDF vector of normalised words (stop words out,
//!    light stemming, identifiers split at case changes), word pairs and artifact
//!    kinds ([`crate::features`]). Terms seen in a single record are left out of
//!    the vector (they cannot show recurrence) but still count in its norm.
//! 2. A k-nearest-neighbour graph links each record to its most similar records
//!    among a bounded set of candidates from an inverted index — records that
//!    share one of its heaviest terms and lie near it in that term's posting
//!    list ([`crate::graph`]). Cost per record is bounded: no all-pairs comparison.
//! 3. Louvain communities of that graph group prompts linked through chains of
//!    shared words, which is how different phrasings of one task meet.
//! 4. Polishing passes move each record to the community around it (its own or
//!    a neighbour's) that it resembles most as a whole, and drop it when none
//!    reaches `member_threshold`. Similarity here is over the full prompt, so a
//!    trivia question that shares one word with a kind of work stays out.
//! 5. Communities of two or more records become [`Pattern`]s, named from their
//!    most telling words, with a confidence from cohesion and support
//!    ([`confidence`]).
//!
//! Parallel steps map records independently (order-preserving) or reduce over
//! fixed-size chunks in chunk order; graph clustering is sequential in record
//! order. The result does not depend on the number of threads.

use std::collections::HashMap;

use rayon::prelude::*;

use crate::features::{
    FeatureVector, ShortMap, TermCounts, TermMap, count_terms, document_frequencies, for_each_word, hash_str, is_stop_word, short_map, stem, term_map, weigh,
};
use crate::graph::{NeighbourSearch, louvain, neighbour_graph};
use crate::record::{Pattern, SessionRecord};
use crate::slug::{MAX_SKILL_NAME_LEN, slugify};

/// Tuning of local detection. The defaults suit short natural-language prompts.
#[derive(Debug, Clone, PartialEq)]
pub struct LocalConfig {
    /// How many of a record's heaviest shared terms are used to find candidates.
    pub top_terms: usize,
    /// Posting entries read on each side of a record, per term: bounds the
    /// candidates to records near it in history.
    pub window: usize,
    /// Candidates compared with a record, at most.
    pub max_candidates: usize,
    /// Neighbours kept per record.
    pub neighbours: usize,
    /// Minimum cosine for two records to be linked.
    pub min_edge_similarity: f32,
    /// Louvain resolution: above 1 splits communities finer.
    pub resolution: f64,
    /// Minimum cosine between a record and the centroid of the rest of its
    /// community for it to stay in the community.
    pub member_threshold: f32,
    /// Passes that move records to the community they fit best.
    pub refine_passes: usize,
}

impl Default for LocalConfig {
    fn default() -> Self {
        LocalConfig {
            top_terms: 6,
            window: 12,
            max_candidates: 16,
            neighbours: 15,
            min_edge_similarity: 0.1,
            resolution: 1.5,
            member_threshold: 0.1,
            refine_passes: 3,
        }
    }
}

/// Cohesion at or below this is no better than unrelated prompts sharing a word.
pub const COHESION_FLOOR: f64 = 0.10;
/// Cohesion at or above this is as tight as paraphrased short prompts get.
pub const COHESION_CEILING: f64 = 0.35;

/// Confidence of a cluster of `occurrences` records whose *cohesion* is the mean
/// cosine between each member and the centroid of the other members, over the
/// terms that recur in the history (leave-one-out, so a member never counts its
/// own similarity):
///
/// ```text
/// quality    = clamp((cohesion - 0.10) / (0.35 - 0.10), 0, 1)
/// support    = 1 - 1 / occurrences
/// confidence = quality · (0.6 + 0.4 · support)
/// ```
///
/// So a perfectly tight pair scores 0.80 (enough for a user volume's 0.7, not for
/// generating a skill at 0.85), three tight records 0.87, ten 0.96; a loose
/// cluster stays low however large it grows. The bounds were set on the
/// evaluation set (`tests/data/eval_prompts.tsv`), where the clusters of
/// paraphrased prompts of one kind of work have cohesion from about 0.3 up.
pub fn confidence(cohesion: f64, occurrences: usize) -> f64 {
    if occurrences == 0 {
        return 0.0;
    }
    let quality = ((cohesion - COHESION_FLOOR) / (COHESION_CEILING - COHESION_FLOOR)).clamp(0.0, 1.0);
    let support = 1.0 - 1.0 / occurrences as f64;
    (quality * (0.6 + 0.4 * support)).clamp(0.0, 1.0)
}

/// Detects patterns with the default configuration. Records without any usable
/// text are ignored; clusters of one record are never patterns.
pub fn detect_local(records: &[SessionRecord]) -> Vec<Pattern> {
    detect_local_with(records, &LocalConfig::default())
}

/// Detects patterns with an explicit configuration.
pub fn detect_local_with(records: &[SessionRecord], config: &LocalConfig) -> Vec<Pattern> {
    let clusters = cluster_records(records, config);
    let stats = CorpusStats { df: clusters.df, n: records.len() };
    let mut names_taken: HashMap<String, usize> = HashMap::new();
    let mut patterns = Vec::new();
    for cluster in &clusters.clusters {
        let naming = name_cluster(records, &cluster.members, &stats);
        let name = unique_name(naming.name, &mut names_taken);
        let mut pattern =
            Pattern::from_members(records, &cluster.members, name, String::new(), confidence(cluster.cohesion, cluster.members.len()), naming.keywords);
        pattern.description = describe(&pattern);
        patterns.push(pattern);
    }
    patterns
}

/// A final cluster: member indices into the records, in history order.
#[derive(Debug, Clone)]
pub(crate) struct Cluster {
    pub members: Vec<usize>,
    pub cohesion: f64,
}

pub(crate) struct Clustering {
    pub clusters: Vec<Cluster>,
    /// Document frequency of every term, for naming.
    pub df: TermMap<u32>,
}

/// Records are processed in chunks of this size when reducing in parallel;
/// fixed so that float sums are added in the same order on any machine.
const CHUNK: usize = 16 * 1024;

pub(crate) fn cluster_records(records: &[SessionRecord], config: &LocalConfig) -> Clustering {
    let counts: Vec<TermCounts> = records
        .par_iter()
        .map(|r| {
            let kinds: Vec<&str> = r.artifacts.iter().map(|(kind, _)| kind.as_str()).collect();
            count_terms(&r.prompts, &r.title, &kinds)
        })
        .collect();
    let df = parallel_document_frequencies(&counts);
    let vectors: Vec<FeatureVector> = counts.par_iter().map(|c| weigh(c, &df, records.len(), config.top_terms)).collect();
    drop(counts);
    let graph = neighbour_graph(
        &vectors,
        NeighbourSearch { k: config.neighbours, min_similarity: config.min_edge_similarity, window: config.window, max_candidates: config.max_candidates },
    );
    let communities = louvain(&graph, config.resolution);
    let mut assignment: Vec<Option<u32>> = communities.into_iter().map(Some).collect();
    for (slot, v) in assignment.iter_mut().zip(&vectors) {
        if v.is_empty() {
            *slot = None;
        }
    }
    // Polish, k-means style: each record moves to whichever community around it
    // (its own or a neighbour's) it resembles most as a whole, or leaves if none
    // reaches `member_threshold`. This is what keeps one-offs that came in
    // through a single weak edge out of patterns.
    for _ in 0..config.refine_passes {
        let centroids = build_centroids(&vectors, &assignment, Scope::Full);
        assignment = vectors
            .par_iter()
            .zip(assignment.par_iter())
            .enumerate()
            .map_init(Vec::new, |candidates: &mut Vec<u32>, (i, (v, own))| {
                candidates.clear();
                candidates.extend(*own);
                for (j, _) in graph.edges(i) {
                    if let Some(c) = assignment.get(j as usize).copied().flatten()
                        && !candidates.contains(&c)
                    {
                        candidates.push(c);
                    }
                }
                let mut best: Option<(u32, f32)> = None;
                for &c in candidates.iter() {
                    // Centroids cover every assigned community.
                    let Some(centroid) = centroids.get(c as usize) else { continue };
                    let sim = if *own == Some(c) { centroid.member_similarity(v) } else { centroid.outsider_similarity(v) };
                    if best.is_none_or(|(_, s)| sim > s) {
                        best = Some((c, sim));
                    }
                }
                best.filter(|(_, s)| *s >= config.member_threshold).map(|(c, _)| c)
            })
            .collect();
    }
    drop(graph);
    let centroids = build_centroids(&vectors, &assignment, Scope::Shared);

    let mut members: Vec<Vec<usize>> = vec![Vec::new(); centroids.len()];
    for (i, slot) in assignment.iter().enumerate() {
        if let Some(m) = slot.and_then(|c| members.get_mut(c as usize)) {
            m.push(i);
        }
    }
    let clusters = members
        .into_iter()
        .zip(&centroids)
        .filter(|(m, _)| m.len() >= 2)
        .map(|(members, centroid)| {
            let total: f64 = members.iter().filter_map(|&i| vectors.get(i)).map(|v| f64::from(centroid.member_similarity(v))).sum();
            Cluster { cohesion: total / members.len() as f64, members }
        })
        .collect();
    Clustering { clusters, df }
}

fn parallel_document_frequencies(counts: &[TermCounts]) -> TermMap<u32> {
    let partials: Vec<TermMap<u32>> = counts.par_chunks(CHUNK).map(document_frequencies).collect();
    let mut iter = partials.into_iter();
    let mut total = iter.next().unwrap_or_else(term_map);
    for partial in iter {
        for (id, n) in partial {
            *total.entry(id).or_insert(0) += n;
        }
    }
    total
}

/// The sum of a cluster's member vectors in full (terms private to one record
/// included), kept as the shared-term part plus the squared mass of the private
/// parts, which are orthogonal to everything else.
#[derive(Debug, Clone, Default)]
struct Centroid {
    sum: ShortMap<f32>,
    norm_sq: f32,
    private_mass: f32,
    size: u32,
    scope: Scope,
}

/// Which part of a record's vector a centroid compares.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
enum Scope {
    /// All terms, including those private to one record: for membership, so
    /// that a prompt made mostly of its own words needs more than one shared word.
    #[default]
    Full,
    /// Only terms that recur somewhere: for cohesion, which should measure how
    /// consistent the recurring vocabulary is, not how chatty the prompts are.
    Shared,
}

impl Centroid {
    fn coverage(&self, v: &FeatureVector) -> f32 {
        match self.scope {
            Scope::Full => v.coverage,
            Scope::Shared => 1.0,
        }
    }

    /// Cosine between a record that is not a member and the centroid, over full vectors.
    fn outsider_similarity(&self, v: &FeatureVector) -> f32 {
        let norm_sq = self.norm_sq + self.private_mass;
        if self.size < 2 || norm_sq <= 1e-9 {
            return 0.0;
        }
        let dot = self.coverage(v) * v.weights.iter().map(|(id, w)| w * self.sum.get(id).copied().unwrap_or(0.0)).sum::<f32>();
        (dot / norm_sq.sqrt()).clamp(-1.0, 1.0)
    }

    /// Cosine between a member and the centroid of the *other* members, over
    /// full vectors: a record whose words are mostly its own scores low even if
    /// the word it shares is the cluster's main one.
    fn member_similarity(&self, v: &FeatureVector) -> f32 {
        if self.size < 2 {
            return 0.0;
        }
        let f = self.coverage(v);
        let dot = f * v.weights.iter().map(|(id, w)| w * self.sum.get(id).copied().unwrap_or(0.0)).sum::<f32>();
        let own = f * f;
        // |S - x|² with x = f·v (shared part) plus private parts (1 - f²) each.
        let rest_norm_sq = (self.norm_sq - 2.0 * dot + own) + (self.private_mass - (1.0 - own));
        if rest_norm_sq <= 1e-9 {
            return 0.0;
        }
        ((dot - own) / rest_norm_sq.sqrt()).clamp(-1.0, 1.0)
    }
}

/// Sums member vectors per cluster. Chunks of fixed size are reduced in
/// parallel and then merged in chunk order, so sums are reproducible.
fn build_centroids(vectors: &[FeatureVector], assignment: &[Option<u32>], scope: Scope) -> Vec<Centroid> {
    let coverage = |v: &FeatureVector| {
        if scope == Scope::Full { v.coverage } else { 1.0 }
    };
    let n_clusters = assignment.iter().flatten().map(|c| *c as usize + 1).max().unwrap_or(0);
    let partials: Vec<HashMap<u32, ShortMap<f32>>> = vectors
        .par_chunks(CHUNK)
        .zip(assignment.par_chunks(CHUNK))
        .map(|(vs, assigned)| {
            let mut sums: HashMap<u32, ShortMap<f32>> = HashMap::new();
            for (v, slot) in vs.iter().zip(assigned) {
                let Some(c) = slot else { continue };
                let sum = sums.entry(*c).or_insert_with(short_map);
                for (id, w) in &v.weights {
                    *sum.entry(*id).or_insert(0.0) += w * coverage(v);
                }
            }
            sums
        })
        .collect();
    let mut centroids: Vec<Centroid> = (0..n_clusters).map(|_| Centroid { scope, ..Centroid::default() }).collect();
    for (v, slot) in vectors.iter().zip(assignment) {
        // n_clusters is one more than the largest assigned community.
        let Some(centroid) = slot.and_then(|c| centroids.get_mut(c as usize)) else { continue };
        centroid.size += 1;
        centroid.private_mass += 1.0 - coverage(v) * coverage(v);
    }
    for partial in partials {
        let mut keys: Vec<u32> = partial.keys().copied().collect();
        keys.sort_unstable();
        let mut partial = partial;
        for c in keys {
            let Some(sum) = partial.remove(&c) else {
                continue;
            };
            let Some(target) = centroids.get_mut(c as usize).map(|c| &mut c.sum) else {
                continue;
            };
            if target.is_empty() {
                *target = sum;
            } else {
                let mut entries: Vec<(u32, f32)> = sum.into_iter().collect();
                entries.sort_unstable_by_key(|(id, _)| *id);
                for (id, w) in entries {
                    *target.entry(id).or_insert(0.0) += w;
                }
            }
        }
    }
    centroids.par_iter_mut().for_each(|c| {
        let mut values: Vec<(u32, f32)> = c.sum.iter().map(|(id, w)| (*id, *w)).collect();
        values.sort_unstable_by_key(|(id, _)| *id);
        c.norm_sq = values.iter().map(|(_, w)| w * w).sum();
    });
    centroids
}

/// Document frequencies over the whole history, for choosing telling names.
struct CorpusStats {
    df: TermMap<u32>,
    n: usize,
}

struct Naming {
    name: String,
    keywords: Vec<String>,
}

/// Members read for naming; beyond this the surface forms are already settled.
const NAMING_SAMPLE: usize = 400;

/// Picks the cluster's most telling words: frequent inside the cluster, rare
/// outside (`share in cluster · ln(N / df)`), shown in their most common spelling.
fn name_cluster(records: &[SessionRecord], members: &[usize], stats: &CorpusStats) -> Naming {
    struct Term {
        in_members: u32,
        surfaces: HashMap<String, u32>,
        /// Sum of the word's first position in each prompt, to order name words
        /// as people write them ("quantum circuit", not "circuit quantum").
        position_sum: f64,
    }
    let mut terms: TermMap<Term> = term_map();
    let sample: Vec<usize> = if members.len() <= NAMING_SAMPLE {
        members.to_vec()
    } else {
        // Spread the sample over the cluster's whole history.
        (0..NAMING_SAMPLE).filter_map(|k| members.get(k * members.len() / NAMING_SAMPLE).copied()).collect()
    };
    for &i in &sample {
        let Some(record) = records.get(i) else {
            continue;
        };
        let mut seen: Vec<u64> = Vec::new();
        let mut visit = |text: &str| {
            let mut position = 0usize;
            for_each_word(text, |word| {
                if is_stop_word(word) {
                    return;
                }
                let id = hash_str(&stem(word));
                let term = terms.entry(id).or_insert_with(|| Term { in_members: 0, surfaces: HashMap::new(), position_sum: 0.0 });
                *term.surfaces.entry(word.to_string()).or_insert(0) += 1;
                if !seen.contains(&id) {
                    seen.push(id);
                    term.in_members += 1;
                    term.position_sum += position as f64;
                }
                position += 1;
            });
        };
        if record.prompts.iter().any(|p| !p.trim().is_empty()) {
            for prompt in &record.prompts {
                visit(prompt);
            }
        } else {
            visit(&record.title);
        }
    }
    let n_sample = sample.len().max(1) as f64;
    let corpus = stats.n.max(1) as f64;
    // (score, surface, mean position)
    let mut scored: Vec<(f64, String, f64)> = terms
        .into_values()
        .filter_map(|term| {
            // Words in a single prompt of the cluster say nothing about the cluster.
            if term.in_members < 2 {
                return None;
            }
            let share = f64::from(term.in_members) / n_sample;
            let mean_position = term.position_sum / f64::from(term.in_members);
            let surface = term.surfaces.into_iter().max_by(|a, b| a.1.cmp(&b.1).then(b.0.len().cmp(&a.0.len())).then(b.0.cmp(&a.0)))?.0;
            let id = hash_str(&stem(&surface));
            let df = f64::from(stats.df.get(&id).copied().unwrap_or(1).max(1));
            Some((share * (corpus / df).ln().max(0.05), surface, mean_position))
        })
        .collect();
    scored.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
    let keywords: Vec<String> = scored.iter().take(8).map(|(_, s, _)| s.clone()).collect();
    let best = scored.first().map(|(s, _, _)| *s).unwrap_or(0.0);
    let mut name_terms: Vec<&(f64, String, f64)> = scored.iter().take(3).filter(|(score, _, _)| *score >= 0.4 * best).collect();
    name_terms.sort_by(|a, b| a.2.total_cmp(&b.2).then(a.1.cmp(&b.1)));
    let name_words: Vec<&str> = name_terms.iter().map(|(_, s, _)| s.as_str()).collect();
    let name = slugify(&name_words.join(" ")).unwrap_or_else(|| "recurring-work".to_string());
    Naming { name, keywords }
}

fn unique_name(name: String, taken: &mut HashMap<String, usize>) -> String {
    let count = taken.entry(name.clone()).or_insert(0);
    *count += 1;
    if *count == 1 {
        return name;
    }
    let suffix = format!("-{count}");
    let mut base = name;
    while base.len() + suffix.len() > MAX_SKILL_NAME_LEN {
        base.pop();
    }
    let base = base.trim_end_matches('-');
    format!("{base}{suffix}")
}

fn join_words(words: &[String], last_joiner: &str) -> String {
    match words {
        [] => String::new(),
        [one] => one.clone(),
        [init @ .., last] => format!("{} {last_joiner} {last}", init.join(", ")),
    }
}

/// One sentence saying what the work is (the name's words and a typical
/// request) and when it applies (the most telling words, the artifacts made).
fn describe(pattern: &Pattern) -> String {
    let topic = pattern.name.replace('-', " ");
    let when = join_words(pattern.keywords.get(..3).unwrap_or(&pattern.keywords), "or");
    let artifacts = if pattern.artifact_kinds.is_empty() {
        String::new()
    } else {
        let kinds: Vec<String> = pattern.artifact_kinds.iter().take(3).cloned().collect();
        format!(", typically producing {} artifacts", join_words(&kinds, "and"))
    };
    let example: String = pattern.typical_prompt().split_whitespace().collect::<Vec<_>>().join(" ");
    let example = if example.chars().count() > 80 { format!("{}…", example.chars().take(79).collect::<String>()) } else { example };
    let such_as = if example.is_empty() { String::new() } else { format!(", such as \"{example}\"") };
    if when.is_empty() {
        return format!("Recurring work seen in {} sessions{such_as}; use when a request resembles its example prompts{artifacts}.", pattern.occurrences);
    }
    format!("Recurring work on {topic} ({} sessions){such_as}; use when a request involves {when}{artifacts}.", pattern.occurrences)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(i: usize, prompt: &str) -> SessionRecord {
        SessionRecord {
            sha: format!("{i:040x}"),
            author: "ada".into(),
            time: 1_700_000_000 + i as i64 * 3600,
            prompts: vec![prompt.into()],
            ..SessionRecord::default()
        }
    }

    #[test]
    fn confidence_formula() {
        assert!((confidence(0.9, 2) - 0.8).abs() < 1e-9);
        assert!(confidence(0.9, 3) > 0.85);
        assert!(confidence(0.9, 100) > 0.99);
        assert_eq!(confidence(0.05, 50), 0.0);
        assert_eq!(confidence(0.9, 0), 0.0);
        assert!(confidence(0.3, 10) < confidence(0.4, 10));
    }

    #[test]
    fn empty_history_gives_no_patterns() {
        assert!(detect_local(&[]).is_empty());
        let blank = vec![record(0, ""), record(1, "   "), record(2, "the of a")];
        assert!(detect_local(&blank).is_empty());
    }

    #[test]
    fn single_prompts_are_not_patterns() {
        let records = vec![record(0, "what's the weather in Paris"), record(1, "tell me a joke"), record(2, "who won the world cup in 1998")];
        assert!(detect_local(&records).is_empty());
    }

    #[test]
    fn repeated_work_becomes_a_named_pattern() {
        let prompts = [
            "design a quantum circuit for a bell state",
            "build a quantum circuit that makes a GHZ state on 3 qubits",
            "quantum circuit for grover search with 2 qubits",
            "plot monthly sales as a bar chart",
            "plot the temperature data as a line chart",
            "what is the capital of Peru",
        ];
        let records: Vec<_> = prompts.iter().enumerate().map(|(i, p)| record(i, p)).collect();
        let patterns = detect_local(&records);
        assert_eq!(patterns.len(), 2, "{patterns:#?}");
        let quantum = patterns.iter().find(|p| p.keywords.iter().any(|k| k == "quantum")).unwrap();
        assert!(quantum.name.contains("circuit"), "{}", quantum.name);
        assert_eq!(quantum.occurrences, 3);
        assert_eq!(quantum.commits, vec![records[0].sha.clone(), records[1].sha.clone(), records[2].sha.clone()]);
        assert!(crate::slug::is_valid_skill_name(&quantum.name));
        assert!(quantum.description.starts_with("Recurring work on"));
        assert!(quantum.confidence > 0.0 && quantum.confidence <= 1.0);
        assert!(patterns.iter().all(|p| !p.prompts.iter().any(|q| q.contains("Peru"))));
    }

    #[test]
    fn a_question_sharing_one_word_stays_out() {
        let prompts = [
            "create a 3d scene of the earth and moon",
            "build a 3d scene with a rotating cube and soft shadows",
            "render a 3d scene of a forest with fog",
            "make a 3d scene with a camera orbit",
            "when is the next full moon",
        ];
        let records: Vec<_> = prompts.iter().enumerate().map(|(i, p)| record(i, p)).collect();
        let patterns = detect_local(&records);
        assert_eq!(patterns.len(), 1, "{patterns:#?}");
        assert_eq!(patterns[0].occurrences, 4, "{:#?}", patterns[0].prompts);
    }

    #[test]
    fn synthetic_history_gives_confident_patterns_without_one_offs() {
        let records = crate::synthetic::generate_history(3000, 1, 5);
        let patterns = detect_local(&records);
        assert!(patterns.len() >= 8, "{}", patterns.len());
        let covered: usize = patterns.iter().map(|p| p.occurrences).sum();
        assert!(covered * 10 >= records.len() * 8, "only {covered} of {} records in patterns", records.len());
        for p in &patterns {
            let trivia = p.prompts.iter().filter(|q| crate::synthetic::is_one_off(q)).count();
            // The generator's one-offs share templates ("who invented the …"), so
            // they may form a pattern of their own, but never mix into work.
            let mixed = trivia * 10 > p.occurrences && trivia * 10 < p.occurrences * 9;
            assert!(!mixed, "{}: {trivia} one-off prompts of {}", p.name, p.occurrences);
            assert!(crate::slug::is_valid_skill_name(&p.name));
        }
    }

    #[test]
    fn names_are_unique() {
        let mut taken = HashMap::new();
        assert_eq!(unique_name("a".into(), &mut taken), "a");
        assert_eq!(unique_name("a".into(), &mut taken), "a-2");
        let long = "x".repeat(64);
        let second = unique_name(long.clone(), &mut taken);
        assert_eq!(unique_name(long, &mut taken).len(), 64);
        assert_eq!(second.len(), 64);
    }
}
