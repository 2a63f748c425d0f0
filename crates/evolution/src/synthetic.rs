//! A synthetic session history for benchmarks and scale tests: records drawn
//! from templates for a dozen kinds of work, with varied wording, typos,
//! filler, several authors, and a share of one-off prompts. Deterministic for
//! a given seed.

use crate::record::SessionRecord;

/// Small, fast, seedable generator (xorshift64*); quality is plenty for test data.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items.get(self.below(items.len())).copied().unwrap_or_default()
    }
    fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }
}

struct Kind {
    artifact: &'static str,
    verbs: &'static [&'static str],
    objects: &'static [&'static str],
    details: &'static [&'static str],
}

const KINDS: &[Kind] = &[
    Kind {
        artifact: "circuit",
        verbs: &["design", "build", "create", "simulate", "sketch"],
        objects: &["a quantum circuit", "a qubit circuit", "a quantum gate sequence", "an entangling circuit"],
        details: &[
            "for a bell state",
            "for grover search",
            "with hadamard and cnot gates",
            "for a 3 qubit ghz state",
            "for quantum teleportation",
            "for the quantum fourier transform",
        ],
    },
    Kind {
        artifact: "plot",
        verbs: &["plot", "chart", "visualize", "graph", "draw"],
        objects: &["the sales data", "monthly revenue", "the temperature readings", "a histogram of ages", "the csv columns"],
        details: &["as a bar chart", "as a line chart", "with a log scale", "over time", "with labelled axes", "as a scatter plot"],
    },
    Kind {
        artifact: "code",
        verbs: &["write", "compose", "draft", "optimize", "fix"],
        objects: &["a sql query", "a postgres query", "a select statement", "a database query"],
        details: &["joining orders and customers", "with a group by and count", "for the top 10 products", "filtering rows by date", "using a window function"],
    },
    Kind {
        artifact: "code",
        verbs: &["write", "add", "generate", "create", "extend"],
        objects: &["unit tests", "pytest tests", "test cases", "a test suite"],
        details: &["for the parser module", "covering edge cases", "with mocks for the database", "for the login function", "with fixtures"],
    },
    Kind {
        artifact: "code",
        verbs: &["write", "build", "implement", "create"],
        objects: &["a rest api client", "an http client", "a wrapper for the api", "a client for the json endpoint"],
        details: &["with retries", "with bearer token auth", "handling pagination", "in python using requests", "in typescript with fetch"],
    },
    Kind {
        artifact: "code",
        verbs: &["write", "craft", "build", "fix"],
        objects: &["a regex", "a regular expression", "a regex pattern"],
        details: &["to match email addresses", "for iso dates", "that extracts phone numbers", "to validate urls", "for semantic version strings"],
    },
    Kind {
        artifact: "text",
        verbs: &["write", "draft", "generate", "summarize"],
        objects: &["a commit message", "the changelog", "release notes", "a changelog entry"],
        details: &["for these changes", "for version 2.1", "from the git diff", "in conventional commits style"],
    },
    Kind {
        artifact: "config",
        verbs: &["write", "set up", "create", "fix"],
        objects: &["a dockerfile", "a docker compose file", "a kubernetes deployment", "the ci pipeline"],
        details: &["for the python service", "with a postgres container", "for production deploy", "with multi stage build", "with health checks"],
    },
    Kind {
        artifact: "code",
        verbs: &["debug", "fix", "explain", "investigate"],
        objects: &["this stack trace", "the null pointer exception", "this traceback", "the segfault"],
        details: &["in the payment service", "thrown at startup", "from the worker logs", "when saving a file"],
    },
    Kind {
        artifact: "document",
        verbs: &["draft", "write", "compose", "polish"],
        objects: &["an email", "a status report", "a weekly report", "a reply email"],
        details: &["to the client about the delay", "for the team meeting", "summarizing project progress", "declining the invitation politely"],
    },
    Kind {
        artifact: "scene",
        verbs: &["create", "build", "model", "render"],
        objects: &["a 3d scene", "a three js scene", "a 3d model", "a scene with lighting"],
        details: &["with a rotating cube", "of a solar system", "with a camera orbit", "with shadows and fog"],
    },
    Kind {
        artifact: "text",
        verbs: &["translate", "convert", "render"],
        objects: &["this paragraph", "the user manual", "these product descriptions", "the error messages"],
        details: &["into french", "to spanish", "into german", "to japanese"],
    },
];

const FILLERS: &[&str] = &["please", "quickly", "again", "for me", "thanks", "asap", "like last time", "if possible"];
const AUTHORS: &[&str] = &["ada", "bob", "chen", "dana", "eli"];
const ONE_OFF_STARTS: &[&str] = &["what is", "tell me about", "who invented", "how tall is", "why is", "when was"];
const SYLLABLES: &[&str] = &["ka", "lo", "mi", "ren", "tus", "vo", "zan", "qui", "bel", "dor", "fa", "gri", "hun", "jep", "nox", "pra"];

/// Whether a generated prompt is one of the one-offs (they start like trivia questions).
pub fn is_one_off(prompt: &str) -> bool {
    ONE_OFF_STARTS.iter().any(|start| prompt.starts_with(start))
}

/// A made-up name, so that most one-offs are about something nobody asks again.
fn pseudo_word(rng: &mut Rng) -> String {
    (0..2 + rng.below(2)).map(|_| rng.pick(SYLLABLES)).collect()
}
/// Everyday topics for one-off prompts.
const ONE_OFF_WORDS: &[&str] = &[
    "weather",
    "paris",
    "everest",
    "moon",
    "pizza",
    "chess",
    "violin",
    "tiger",
    "volcano",
    "coffee",
    "soccer",
    "opera",
    "glacier",
    "samurai",
    "tulip",
    "pyramid",
    "jazz",
    "rainbow",
    "penguin",
    "saturn",
    "marathon",
    "origami",
    "sushi",
    "lighthouse",
    "dinosaur",
    "banjo",
    "cactus",
    "nebula",
    "yoga",
    "kayak",
];

fn typo(word: &str, rng: &mut Rng) -> String {
    let mut chars: Vec<char> = word.chars().collect();
    if chars.len() > 3 {
        let i = 1 + rng.below(chars.len() - 2);
        chars.swap(i, i - 1);
    }
    chars.into_iter().collect()
}

/// `n` records with one-offs at `one_off_percent`, reproducible from `seed`.
/// Records are one hour apart, ending at a fixed date.
pub fn generate_history(n: usize, seed: u64, one_off_percent: u64) -> Vec<SessionRecord> {
    let mut rng = Rng(seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1);
    let start = 1_750_000_000 - n as i64 * 3600;
    (0..n)
        .map(|i| {
            let author = rng.pick(AUTHORS);
            let (prompt, artifacts) = if rng.chance(one_off_percent) {
                let start = rng.pick(ONE_OFF_STARTS);
                let topic = rng.pick(ONE_OFF_WORDS);
                let prompt = format!("{start} the {topic} of {} {}", pseudo_word(&mut rng), pseudo_word(&mut rng));
                (prompt, Vec::new())
            } else if let Some(kind) = KINDS.get(rng.below(KINDS.len())) {
                let mut words = vec![rng.pick(kind.verbs).to_string(), rng.pick(kind.objects).to_string()];
                if rng.chance(80) {
                    words.push(rng.pick(kind.details).to_string());
                }
                if rng.chance(30) {
                    words.push(rng.pick(FILLERS).to_string());
                }
                let mut prompt = words.join(" ");
                if rng.chance(10) {
                    let parts: Vec<String> = prompt.split(' ').map(|w| if rng.chance(20) { typo(w, &mut rng) } else { w.to_string() }).collect();
                    prompt = parts.join(" ");
                }
                let artifacts = if rng.chance(70) { vec![(kind.artifact.to_string(), format!("artifact-{i}"))] } else { Vec::new() };
                (prompt, artifacts)
            } else {
                // KINDS is a non-empty constant: never taken.
                (String::new(), Vec::new())
            };
            SessionRecord {
                sha: format!("{:040x}", (i as u128).wrapping_mul(0x9e37_79b9_7f4a_7c15_f39c_c060_5ced_c835) ^ u128::from(seed)),
                author: author.to_string(),
                email: format!("{author}@example.com"),
                time: start + i as i64 * 3600,
                title: prompt.chars().take(60).collect(),
                prompts: vec![prompt],
                artifacts,
                traces: rng.below(4),
                skills: Vec::new(),
                ..SessionRecord::default()
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_seed_same_history() {
        let a = generate_history(50, 7, 5);
        let b = generate_history(50, 7, 5);
        assert_eq!(a, b);
        assert_ne!(a, generate_history(50, 8, 5));
        assert_eq!(a.len(), 50);
        assert!(a.windows(2).all(|w| w[0].time < w[1].time));
    }
}
