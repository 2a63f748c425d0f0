//! Text features of a session: normalised words, word pairs and artifact kinds,
//! weighted so that rare, telling terms count more than common ones.
//!
//! Terms are identified by a 64-bit hash of their normalised form, so building
//! features for a million prompts allocates no per-word strings. Everything here
//! is a pure function of its input: same text, same features.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

/// Hashes of normalised terms are already well mixed, so maps keyed by them skip
/// re-hashing (SipHash would dominate the profile at a million records).
#[derive(Default)]
pub(crate) struct TermIdHasher(u64);

impl Hasher for TermIdHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0.rotate_left(8) ^ u64::from(b)).wrapping_mul(0x100_0000_01b3);
        }
    }
    fn write_u64(&mut self, n: u64) {
        self.0 = n;
    }
    fn write_u32(&mut self, n: u32) {
        self.0 = mix(u64::from(n));
    }
    fn write_usize(&mut self, n: usize) {
        self.0 = mix(n as u64);
    }
}

pub(crate) type TermMap<V> = HashMap<u64, V, BuildHasherDefault<TermIdHasher>>;

pub(crate) fn term_map<V>() -> TermMap<V> {
    HashMap::with_hasher(BuildHasherDefault::default())
}

/// Term ids inside feature vectors are folded to 32 bits: half the memory per
/// entry, which matters for cache misses at a million records. Two terms of the
/// same pair of records colliding is a one-in-ten-million event that would only
/// nudge one similarity.
pub(crate) type ShortId = u32;

pub(crate) fn short_id(id: u64) -> ShortId {
    (id ^ (id >> 32)) as u32
}

/// Maps keyed by [`ShortId`]; the hasher mixes them (hashbrown needs high bits).
pub(crate) type ShortMap<V> = HashMap<ShortId, V, BuildHasherDefault<TermIdHasher>>;

pub(crate) fn short_map<V>() -> ShortMap<V> {
    HashMap::with_hasher(BuildHasherDefault::default())
}

/// FNV-1a followed by a finaliser: stable across runs and platforms.
pub(crate) fn hash_str(s: &str) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for &b in s.as_bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x100_0000_01b3);
    }
    mix(h)
}

fn mix(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

fn pair_id(a: u64, b: u64) -> u64 {
    mix(a.rotate_left(17) ^ b.wrapping_mul(0x9e37_79b9_7f4a_7c15) ^ 0x5bd1_e995)
}

pub(crate) fn concept_id(concept: &str) -> u64 {
    mix(hash_str(concept) ^ 0x2d35_8dcc_aa6c_78a5)
}

pub(crate) fn artifact_kind_id(kind: &str) -> u64 {
    mix(hash_str(&kind.to_lowercase()) ^ 0xa076_1d64_78bd_642f)
}

/// Word pairs say more than either word ("unit test" vs "test"), but as rare terms
/// their IDF is high; damping keeps them from drowning the single words.
const PAIR_FACTOR: f32 = 0.6;
/// Artifact kinds are strong evidence of the kind of work, but a prompt's words
/// still decide: a chart and a circuit can both be `code`.
const ARTIFACT_FACTOR: f32 = 0.8;

/// Generic English function words and chat filler. Deliberately domain-free: a
/// word that names a kind of work never belongs here.
const STOP_WORDS: &[&str] = &[
    "a",
    "able",
    "about",
    "above",
    "actually",
    "after",
    "again",
    "against",
    "all",
    "almost",
    "already",
    "also",
    "always",
    "am",
    "an",
    "and",
    "another",
    "any",
    "anyone",
    "anything",
    "anyway",
    "are",
    "around",
    "as",
    "at",
    "away",
    "be",
    "because",
    "been",
    "before",
    "being",
    "below",
    "best",
    "better",
    "between",
    "bit",
    "both",
    "but",
    "by",
    "can",
    "certain",
    "certainly",
    "come",
    "could",
    "definitely",
    "did",
    "do",
    "does",
    "doing",
    "done",
    "down",
    "during",
    "each",
    "either",
    "else",
    "enough",
    "especially",
    "etc",
    "even",
    "ever",
    "every",
    "few",
    "fine",
    "for",
    "from",
    "further",
    "get",
    "gets",
    "getting",
    "give",
    "go",
    "going",
    "good",
    "got",
    "great",
    "guess",
    "had",
    "has",
    "have",
    "having",
    "he",
    "hello",
    "help",
    "her",
    "here",
    "hers",
    "hey",
    "hi",
    "him",
    "his",
    "how",
    "however",
    "i",
    "if",
    "im",
    "in",
    "into",
    "is",
    "it",
    "its",
    "itself",
    "just",
    "kindly",
    "know",
    "last",
    "least",
    "less",
    "let",
    "lets",
    "like",
    "ll",
    "lot",
    "lots",
    "many",
    "may",
    "maybe",
    "me",
    "mean",
    "might",
    "mine",
    "more",
    "most",
    "much",
    "must",
    "my",
    "myself",
    "need",
    "needs",
    "nice",
    "no",
    "nor",
    "not",
    "now",
    "of",
    "off",
    "often",
    "ok",
    "okay",
    "on",
    "once",
    "one",
    "only",
    "or",
    "other",
    "our",
    "ours",
    "out",
    "over",
    "own",
    "per",
    "perhaps",
    "please",
    "pls",
    "plz",
    "pretty",
    "quick",
    "quickly",
    "rather",
    "re",
    "really",
    "said",
    "same",
    "say",
    "says",
    "see",
    "seem",
    "seems",
    "shall",
    "she",
    "should",
    "since",
    "so",
    "some",
    "someone",
    "something",
    "still",
    "such",
    "sure",
    "take",
    "tell",
    "than",
    "thank",
    "thanks",
    "that",
    "the",
    "their",
    "theirs",
    "them",
    "then",
    "there",
    "these",
    "they",
    "thing",
    "things",
    "think",
    "this",
    "those",
    "though",
    "through",
    "thx",
    "to",
    "too",
    "try",
    "trying",
    "under",
    "until",
    "up",
    "us",
    "usually",
    "ve",
    "very",
    "via",
    "vs",
    "wanna",
    "want",
    "was",
    "we",
    "well",
    "were",
    "what",
    "whatever",
    "whats",
    "when",
    "where",
    "whether",
    "which",
    "while",
    "who",
    "whom",
    "why",
    "will",
    "with",
    "within",
    "without",
    "would",
    "yeah",
    "yes",
    "yet",
    "you",
    "your",
    "yours",
    "yourself",
];

pub(crate) fn is_stop_word(word: &str) -> bool {
    STOP_WORDS.binary_search(&word).is_ok()
}

/// Splits on anything that is not a letter or digit (Unicode-aware), lowercases,
/// and drops pure numbers and one-letter words.
pub(crate) fn for_each_word(text: &str, mut f: impl FnMut(&str)) {
    let mut word = String::with_capacity(32);
    let mut flush = |word: &mut String| {
        let chars = word.chars().count();
        if (2..=40).contains(&chars) && word.chars().any(char::is_alphabetic) {
            f(word);
        }
        word.clear();
    };
    let mut previous = ' ';
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if c.is_alphanumeric() {
            // Identifiers in technical prompts are words too: "NullPointerException"
            // and "HTTPServer" split where the case turns, so "exception" and
            // "error" in "IndexError" count like the plain words.
            let next = chars.peek().copied().unwrap_or(' ');
            let camel_hump = c.is_uppercase() && (previous.is_lowercase() || (previous.is_uppercase() && next.is_lowercase()));
            if camel_hump && !word.is_empty() {
                flush(&mut word);
            }
            if c.is_ascii() {
                word.push(c.to_ascii_lowercase());
            } else {
                word.extend(c.to_lowercase());
            }
        } else if !word.is_empty() {
            flush(&mut word);
        }
        previous = c;
    }
    if !word.is_empty() {
        flush(&mut word);
    }
}

/// Derivational suffixes, longest first, with the shortest stem each may leave.
/// Light on purpose: it only has to make "optimize/optimizing/optimization" meet,
/// not produce dictionary words (names use the surface forms).
const SUFFIXES: &[(&str, usize)] = &[
    ("izations", 3),
    ("isations", 3),
    ("ization", 3),
    ("isation", 3),
    ("nesses", 3),
    ("ations", 3),
    ("ements", 3),
    ("ation", 3),
    ("ement", 3),
    ("ments", 3),
    ("izing", 3),
    ("ising", 3),
    ("izers", 3),
    ("isers", 3),
    ("ities", 3),
    ("ating", 3),
    ("ment", 3),
    ("ness", 3),
    ("izer", 3),
    ("iser", 3),
    ("ized", 3),
    ("ised", 3),
    ("izes", 3),
    ("ises", 3),
    ("ated", 3),
    ("ates", 3),
    ("edly", 3),
    ("ings", 3),
    ("ions", 3),
    ("ize", 3),
    ("ise", 3),
    ("ate", 3),
    ("ing", 3),
    ("ion", 3),
    ("ers", 3),
    ("ity", 3),
    ("ful", 3),
    ("er", 3),
    ("ed", 3),
    ("ly", 4),
];

/// Normalises a lowercase word to a stem. Non-ASCII words (other scripts,
/// accented words) are kept as they are: stripping English suffixes would damage them.
pub(crate) fn stem(word: &str) -> String {
    let mut out = String::with_capacity(word.len());
    stem_into(word, &mut out);
    out
}

/// [`stem`] into a reused buffer: feature extraction stems every word of a
/// million prompts, and an allocation per word showed in the profile.
pub(crate) fn stem_into(word: &str, w: &mut String) {
    w.clear();
    if !word.is_ascii() || word.len() <= 3 {
        w.push_str(word);
        return;
    }
    w.push_str(strip_plural(word));
    if w.len() > 4 && w.ends_with("ie") && word.ends_with("ies") {
        // "queries" -> "query": the plural step leaves "querie" + restores y.
        w.truncate(w.len() - 2);
        w.push('y');
    }
    for _ in 0..2 {
        let Some(&(suffix, _)) = SUFFIXES.iter().find(|(suffix, min)| w.ends_with(suffix) && w.len() - suffix.len() >= *min) else {
            break;
        };
        w.truncate(w.len() - suffix.len());
    }
    if w.len() >= 4 && w.ends_with('e') {
        w.pop();
    }
    if let [_, _, .., before, last] = w.as_bytes()
        && last == before
        && !matches!(last, b'l' | b's' | b'z' | b'a' | b'e' | b'i' | b'o' | b'u')
    {
        w.pop();
    }
    if w.len() > 2 && w.ends_with('y') {
        w.pop();
        w.push('i');
    }
}

/// Strips a plural ending; "-ies" comes back as "-ie" and is completed by the caller.
fn strip_plural(word: &str) -> &str {
    let cut = if word.len() > 4 && word.ends_with("ies") {
        "s"
    } else if word.ends_with("sses") || ["ches", "shes", "xes", "zes"].iter().any(|s| word.ends_with(s) && word.len() > s.len() + 1) {
        "es"
    } else if !word.ends_with("ss") && !word.ends_with("us") && !word.ends_with("is") {
        "s"
    } else {
        return word;
    };
    word.strip_suffix(cut).unwrap_or(word)
}

/// The raw terms of one record before weighting: `(term id, count)`, sorted by id.
#[derive(Debug, Clone, Default)]
pub(crate) struct TermCounts {
    pub terms: Vec<(u64, u32, TermKind)>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TermKind {
    Word,
    Pair,
    Artifact,
}

impl TermKind {
    fn factor(self) -> f32 {
        match self {
            TermKind::Word => 1.0,
            TermKind::Pair => PAIR_FACTOR,
            TermKind::Artifact => ARTIFACT_FACTOR,
        }
    }
}

/// Counts the terms of a record's prompts (or its title when it has none) and
/// its artifact kinds.
pub(crate) fn count_terms(prompts: &[String], title: &str, artifact_kinds: &[&str]) -> TermCounts {
    let mut raw: Vec<(u64, TermKind)> = Vec::with_capacity(32);
    let mut stemmed = String::with_capacity(32);
    let mut add_text = |text: &str, raw: &mut Vec<(u64, TermKind)>| {
        let mut previous: Option<u64> = None;
        for_each_word(text, |word| {
            if is_stop_word(word) {
                return;
            }
            stem_into(word, &mut stemmed);
            let id = hash_str(&stemmed);
            raw.push((id, TermKind::Word));
            // A paraphrase ("chart" for "plot") shares the concept term with the word it stands for.
            if let Some(concept) = crate::concepts::concept_of_stem(&stemmed) {
                raw.push((concept_id(concept), TermKind::Word));
            }
            if let Some(prev) = previous
                && prev != id
            {
                raw.push((pair_id(prev, id), TermKind::Pair));
            }
            previous = Some(id);
        });
    };
    let has_prompt = prompts.iter().any(|p| !p.trim().is_empty());
    if has_prompt {
        for prompt in prompts {
            add_text(prompt, &mut raw);
        }
    } else {
        add_text(title, &mut raw);
    }
    for kind in artifact_kinds {
        raw.push((artifact_kind_id(kind), TermKind::Artifact));
    }
    raw.sort_unstable_by_key(|(id, _)| *id);
    let mut terms: Vec<(u64, u32, TermKind)> = Vec::with_capacity(raw.len());
    for (id, kind) in raw {
        match terms.last_mut() {
            Some((last, count, _)) if *last == id => {
                // Artifact kinds count once per session however many files it made.
                if kind != TermKind::Artifact {
                    *count += 1;
                }
            }
            _ => terms.push((id, 1, kind)),
        }
    }
    TermCounts { terms }
}

/// A record's weighted, L2-normalised feature vector.
#[derive(Debug, Clone, Default)]
pub(crate) struct FeatureVector {
    /// `(term id, weight)` sorted by id.
    pub weights: Vec<(ShortId, f32)>,
    /// The heaviest terms, heaviest first: the record's keys into the candidate index.
    pub top_terms: Vec<ShortId>,
    /// Norm of the shared terms over the norm of all terms (0..=1): how much of
    /// the record is made of words that recur at all.
    pub coverage: f32,
}

impl FeatureVector {
    pub fn is_empty(&self) -> bool {
        self.weights.is_empty()
    }
}

/// Document frequency of each term over the whole history.
pub(crate) fn document_frequencies(counts: &[TermCounts]) -> TermMap<u32> {
    let mut df: TermMap<u32> = term_map();
    for record in counts {
        for &(id, _, _) in &record.terms {
            *df.entry(id).or_insert(0) += 1;
        }
    }
    df
}

/// TF-IDF with sublinear term frequency: `(1 + ln tf) · ln(1 + N / df) · factor`.
pub(crate) fn weigh(counts: &TermCounts, df: &TermMap<u32>, n_records: usize, top_k: usize) -> FeatureVector {
    let n = n_records.max(1) as f32;
    let mut weights: Vec<(ShortId, f32)> = Vec::with_capacity(counts.terms.len());
    let mut private_sq = 0.0f32;
    for &(id, tf, kind) in &counts.terms {
        let doc_freq = df.get(&id).copied().unwrap_or(1).max(1);
        let idf = (1.0 + n / doc_freq as f32).ln();
        let w = (1.0 + (tf as f32).ln()) * idf * kind.factor();
        // A term seen in one record only cannot show recurrence; in the vector it
        // would only dilute the record's similarity to everything else. Its
        // weight still counts in `coverage`.
        if doc_freq < 2 {
            private_sq += w * w;
        } else {
            weights.push((short_id(id), w));
        }
    }
    weights.sort_unstable_by_key(|(id, _)| *id);
    let shared_sq = weights.iter().map(|(_, w)| w * w).sum::<f32>();
    let norm = shared_sq.sqrt();
    if norm > 0.0 {
        for (_, w) in &mut weights {
            *w /= norm;
        }
    }
    let coverage = if shared_sq > 0.0 { (shared_sq / (shared_sq + private_sq)).sqrt() } else { 0.0 };
    let mut shared = weights.clone();
    shared.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
    shared.truncate(top_k);
    FeatureVector { weights, top_terms: shared.into_iter().map(|(id, _)| id).collect(), coverage }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    /// The stemmer's rules restated over a `Vec<char>`, sharing only the suffix table.
    fn char_stem(word: &str) -> String {
        let original: Vec<char> = word.chars().collect();
        if !original.iter().all(char::is_ascii) || original.len() <= 3 {
            return word.to_string();
        }
        let ends = |w: &[char], s: &str| {
            let s: Vec<char> = s.chars().collect();
            w.len() >= s.len() && w[w.len() - s.len()..] == s[..]
        };
        let mut w = original.clone();
        let n = w.len();
        if n > 4 && ends(&w, "ies") {
            w.truncate(n - 1);
        } else if ends(&w, "sses") || ["ches", "shes", "xes", "zes"].iter().any(|s| ends(&w, s) && n > s.chars().count() + 1) {
            w.truncate(n - 2);
        } else if ends(&w, "s") && !ends(&w, "ss") && !ends(&w, "us") && !ends(&w, "is") {
            w.truncate(n - 1);
        }
        if w.len() > 4 && ends(&w, "ie") && ends(&original, "ies") {
            w.truncate(w.len() - 2);
            w.push('y');
        }
        for _ in 0..2 {
            match SUFFIXES.iter().find(|(s, min)| ends(&w, s) && w.len() - s.chars().count() >= *min) {
                Some((s, _)) => w.truncate(w.len() - s.chars().count()),
                None => break,
            }
        }
        if w.len() >= 4 && w.last() == Some(&'e') {
            w.pop();
        }
        if w.len() > 3 && w[w.len() - 1] == w[w.len() - 2] && !"lszaeiou".contains(w[w.len() - 1]) {
            w.pop();
        }
        if w.len() > 2 && w.last() == Some(&'y') {
            w.pop();
            w.push('i');
        }
        w.into_iter().collect()
    }

    fn word() -> impl Strategy<Value = String> {
        prop_oneof![
            "\\PC{0,12}",
            "[a-z]{0,7}(ies|sses|ches|shes|xes|zes|s|ss|us|is|izations|ization|ations|ements|ness|ing|ed|ly|ies|y|e|ll|tt|ff)",
            // Short stems with a doubled letter: the edge of the undoubling rule.
            "[a-z]{0,2}(a|e|o)(bb|dd|gg|ll|ss|tt|zz)(ed|ing|er|s|)",
            "[a-zé]{0,6}(ies|s|ing)",
        ]
    }

    proptest! {
        #[test]
        fn stem_matches_a_char_based_reading_of_its_rules(word in word()) {
            prop_assert_eq!(stem(&word), char_stem(&word));
        }
    }

    #[test]
    fn stop_words_are_sorted_for_binary_search() {
        assert!(STOP_WORDS.windows(2).all(|w| w[0] < w[1]), "STOP_WORDS must stay sorted");
    }

    #[test]
    fn inflections_meet() {
        for group in [
            &["optimize", "optimizing", "optimization", "optimise", "optimisation"][..],
            &["visualize", "visualization", "visualisation", "visualizing"],
            &["plot", "plots", "plotting", "plotted"],
            &["query", "queries"],
            &["test", "tests", "testing"],
            &["translate", "translation", "translating", "translated"],
            &["configure", "configuration", "configuring"],
            &["deploy", "deployment", "deploying", "deploys"],
            &["filter", "filtering", "filters"],
        ] {
            let stems: Vec<String> = group.iter().map(|w| stem(w)).collect();
            assert!(stems.windows(2).all(|w| w[0] == w[1]), "{group:?} -> {stems:?}");
        }
    }

    #[test]
    fn short_and_non_ascii_words_are_untouched() {
        assert_eq!(stem("sql"), "sql");
        assert_eq!(stem("größe"), "größe");
        assert_eq!(stem("class"), "class");
        assert_eq!(stem("status"), "status");
    }

    #[test]
    fn tokeniser_splits_on_unicode_boundaries_and_drops_numbers() {
        let mut words = Vec::new();
        for_each_word("Plot Größe-vs-time, 2024 data! 3D_scene NullPointerException HTTPServer", |w| words.push(w.to_string()));
        assert_eq!(words, ["plot", "größe", "vs", "time", "data", "3d", "scene", "null", "pointer", "exception", "http", "server"]);
    }

    #[test]
    fn empty_text_has_no_terms() {
        let counts = count_terms(&[String::new()], "", &[]);
        assert!(counts.terms.is_empty());
        let counts = count_terms(&["the of and".to_string()], "", &[]);
        assert!(counts.terms.is_empty());
    }

    #[test]
    fn weights_are_normalised_and_rare_terms_weigh_more() {
        // Words outside the concept table, so only the words themselves count.
        let a = count_terms(&["drill sales bolt".into()], "", &[]);
        let b = count_terms(&["drill revenue bolt".into()], "", &[]);
        let c = count_terms(&["drill costs".into()], "", &[]);
        let all = [a, b, c];
        let df = document_frequencies(&all);
        let v = weigh(&all[0], &df, 3, 4);
        let norm: f32 = v.weights.iter().map(|(_, w)| w * w).sum();
        assert!((norm - 1.0).abs() < 1e-5);
        let plot = hash_str(&stem("drill"));
        let sales = hash_str(&stem("sales"));
        let w = |id| v.weights.iter().find(|(t, _)| *t == short_id(id)).map(|(_, w)| *w);
        // "sales" is in one record only: it cannot show recurrence.
        assert_eq!(w(sales), None);
        assert!(w(plot).is_some());
        let chart = hash_str(&stem("bolt"));
        // The rarer shared term is the heavier key.
        assert_eq!(v.top_terms, vec![short_id(chart), short_id(plot)]);
    }

    #[test]
    fn paraphrases_share_a_concept_term() {
        let a = count_terms(&["chart the sales".into()], "", &[]);
        let b = count_terms(&["visualise revenue".into()], "", &[]);
        let shared: Vec<u64> = a.terms.iter().map(|t| t.0).filter(|id| b.terms.iter().any(|u| u.0 == *id)).collect();
        assert_eq!(shared, [concept_id("plot")]);
    }
}
