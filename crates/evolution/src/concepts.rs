//! Curated domain synonyms: words that name the same kind of work ("plot", "chart",
//! "graph", "visualise") map to one concept, so sessions phrased without shared words
//! still meet, in detection and in the chat's skill ranker.
//!
//! Why a table and not an embedded model: the engine must stay offline, deterministic,
//! dependency-light and fast at a million records; a small sentence-embedding model
//! would add a runtime and hundreds of megabytes for what, in this domain (software,
//! data and science work at a workbench), a few hundred curated words cover. The table
//! only adds a concept term beside the words, so it can join paraphrases but never
//! removes what the words say; a word listed in no group changes nothing.

use std::collections::HashMap;
use std::sync::OnceLock;

use crate::features::stem;

/// `(concept, words)`: every word (and its inflections, by stem) maps to the concept.
/// Words that are ambiguous across kinds of work ("table", "image", "report", "diagram")
/// are left out on purpose.
const GROUPS: &[(&str, &[&str])] = &[
    (
        "plot",
        &[
            "plot",
            "plots",
            "plotting",
            "plotted",
            "chart",
            "charts",
            "charting",
            "graph",
            "graphs",
            "graphing",
            "visualize",
            "visualise",
            "visualization",
            "visualisation",
            "visualizing",
            "visualising",
            "histogram",
            "scatterplot",
            "scatter",
            "boxplot",
            "heatmap",
            "barplot",
            "piechart",
            "sparkline",
            "matplotlib",
            "seaborn",
            "plotly",
            "ggplot",
            "candlestick",
            "dashboard",
        ],
    ),
    ("sql", &["sql", "query", "queries", "mysql", "postgres", "postgresql", "sqlite", "cte", "join", "joins", "upsert", "tsql", "plpgsql"]),
    (
        "translate",
        &[
            "translate",
            "translation",
            "translating",
            "translator",
            "localize",
            "localise",
            "localization",
            "localisation",
            "l10n",
            "i18n",
            "english",
            "french",
            "german",
            "spanish",
            "portuguese",
            "dutch",
            "polish",
            "italian",
            "japanese",
            "chinese",
            "korean",
            "russian",
        ],
    ),
    (
        "container",
        &["docker", "dockerfile", "container", "containers", "containerize", "containerise", "kubernetes", "k8s", "helm", "compose", "podman", "configmap"],
    ),
    ("email", &["email", "e-mail", "mail", "letter", "reply", "memo", "newsletter", "inbox"]),
    (
        "crash",
        &[
            "crash",
            "crashes",
            "crashing",
            "exception",
            "exeption",
            "stacktrace",
            "traceback",
            "backtrace",
            "panic",
            "panicked",
            "segfault",
            "deadlock",
            "coredump",
            "npe",
        ],
    ),
    ("test", &["test", "tests", "testing", "unittest", "pytest", "jest", "junit", "mock", "mocks", "fixture", "fixtures", "vitest", "mocha"]),
    ("regex", &["regex", "regexp", "regx", "regexes", "regular"]),
    (
        "quantum",
        &[
            "quantum",
            "qubit",
            "qubits",
            "qaoa",
            "vqe",
            "ansatz",
            "hadamard",
            "cnot",
            "toffoli",
            "grover",
            "deutsch",
            "jozsa",
            "qiskit",
            "cirq",
            "entangle",
            "entanglement",
            "superposition",
            "teleportation",
            "ghz",
            "bell",
        ],
    ),
    ("commit", &["commit", "changelog", "msg"]),
    ("http", &["http", "endpoint", "endpoints", "webhook", "rest", "graphql", "paginated", "pagination", "oauth"]),
    ("scene", &["3d", "three.js", "threejs", "mesh", "meshes", "scene", "webgl", "blender", "shader"]),
];

fn table() -> &'static HashMap<String, &'static str> {
    static TABLE: OnceLock<HashMap<String, &'static str>> = OnceLock::new();
    TABLE.get_or_init(|| {
        let mut map = HashMap::new();
        for (concept, words) in GROUPS {
            for word in *words {
                map.insert(word.to_string(), *concept);
                map.insert(stem(word), *concept);
            }
        }
        map
    })
}

/// The concept a lowercase word belongs to, by the word itself or by its stem.
pub fn concept_of(word: &str) -> Option<&'static str> {
    let t = table();
    t.get(word).copied().or_else(|| t.get(&stem(word)).copied())
}

/// The concept of an already stemmed word (the hot path of feature extraction: one
/// lookup, no allocation).
pub(crate) fn concept_of_stem(stemmed: &str) -> Option<&'static str> {
    table().get(stemmed).copied()
}

/// The term a concept adds to a text's words: marked so it cannot collide with a word.
pub fn concept_term(concept: &str) -> String {
    format!("~{concept}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paraphrases_meet() {
        for w in ["plot", "chart", "graphing", "visualise", "visualizations", "histograms"] {
            assert_eq!(concept_of(w), Some("plot"), "{w}");
        }
        assert_eq!(concept_of("table"), None);
        assert_eq!(concept_of("the"), None);
    }
}
