//! A labelled evaluation set of whole sessions — prompts phrased with different words,
//! follow-up corrections, code artifacts, traces — generated deterministically here.
//! Each kind of work has known recurring specifics (libraries, calls, a requirement
//! users repeat, an error and its fix) and every session carries one-off details
//! (a unique call, a unique follow-up) that must never become a rule.
//!
//! The vocabulary here was written without looking at the concept table's misses on
//! `eval_prompts.tsv`, so this set is the held-out check of detection (the concept
//! table was tuned on the prompt set). Run with
//! `cargo test -p llmos-evolution --test sessions -- --nocapture` to see the figures.

use std::collections::BTreeMap;

use llmos_evolution::distill::{CodeBlock, TraceError};
use llmos_evolution::trigger::{self, SkillCard, TriggerEval};
use llmos_evolution::{SessionRecord, Thresholds, VolumeKind, detect_local, distill, render_distilled};

struct Kind {
    label: &'static str,
    /// Paraphrased openings: the same work asked for with other words.
    verbs: &'static [&'static str],
    subjects: &'static [&'static str],
    language: &'static str,
    imports: &'static [&'static str],
    calls: &'static [&'static str],
    /// The same requirement in different words, asked in follow-up turns.
    requirement: &'static [&'static str],
    requirement_key: &'static str,
    error: &'static str,
    fix: &'static str,
    /// What must appear in the written skill (independently known, not computed).
    specifics: &'static [&'static str],
}

const KINDS: &[Kind] = &[
    Kind {
        label: "plot",
        verbs: &["Plot", "Chart", "Visualise", "Graph", "Draw a figure of"],
        subjects: &[
            "monthly revenue from sales.csv",
            "daily temperatures in weather.csv",
            "signups per week from signups.csv",
            "latency percentiles from latency.csv",
        ],
        language: "python",
        imports: &["import pandas as pd", "import matplotlib.pyplot as plt"],
        calls: &["df = pd.read_csv(path)", "fig, ax = plt.subplots()", "plt.savefig(out)"],
        requirement: &["Label the axes with units.", "Please put units on the axis labels.", "Axis labels need units."],
        requirement_key: "units",
        error: "KeyError: 'date'",
        fix: "Use the column names from the CSV header; parse_dates on the real date column.",
        specifics: &["pandas", "matplotlib.pyplot", "pd.read_csv", "plt.savefig", "units", "KeyError"],
    },
    Kind {
        label: "sql",
        verbs: &["Write a query for", "Give me SQL returning", "Query the warehouse for", "Select"],
        subjects: &["top customers by order value", "weekly active users", "orders without invoices", "revenue per region last quarter"],
        language: "sql",
        imports: &[],
        calls: &[
            "SELECT customer_id, SUM(total) FROM orders GROUP BY 1",
            "WITH recent AS (SELECT * FROM events WHERE ts > now() - interval '7 days')",
            "ORDER BY 2 DESC LIMIT 10",
        ],
        requirement: &["Use explicit column lists, no SELECT *.", "Avoid SELECT star, list the columns.", "List the columns explicitly instead of star."],
        requirement_key: "column",
        error: "ERROR: column \"total\" does not exist",
        fix: "The column is order_total in the orders table.",
        specifics: &["column"],
    },
    Kind {
        label: "docker",
        verbs: &["Containerize", "Write a Dockerfile for", "Package in a container", "Dockerize"],
        subjects: &["the Flask API", "the Node worker", "the Rust CLI", "the Django admin"],
        language: "dockerfile",
        imports: &[],
        calls: &["FROM python:3.12-slim AS build", "RUN pip install --no-cache-dir -r requirements.txt", "HEALTHCHECK CMD curl -f http://localhost/ || exit 1"],
        requirement: &["Run as a non-root user.", "Do not run the container as root.", "Make it run under a non-root user please."],
        requirement_key: "root",
        error: "ERROR: failed to solve: process \"/bin/sh -c pip install\" did not complete successfully",
        fix: "Install build-essential in the build stage before pip install.",
        specifics: &["root"],
    },
    Kind {
        label: "tests",
        verbs: &["Write unit tests for", "Add pytest cases covering", "Test", "Cover with tests"],
        subjects: &["the invoice parser", "the date helpers", "the retry decorator", "the config loader"],
        language: "python",
        imports: &["import pytest", "from unittest import mock"],
        calls: &["@pytest.mark.parametrize('value', CASES)", "mock.patch('app.clock.now')", "pytest.raises(ValueError)"],
        requirement: &["Also cover the error paths.", "Add tests for the failure cases too.", "Include the error cases as well."],
        requirement_key: "error",
        error: "AssertionError: assert 3 == 4",
        fix: "The fixture's expected count was off by one; compute it from the input.",
        specifics: &["pytest", "pytest.raises", "mock.patch", "AssertionError"],
    },
];

const ONE_OFFS: &[&str] = &[
    "What is the capital of Australia?",
    "Suggest a name for my cat",
    "How many ounces are in a pound?",
    "Recommend a novel set in Lisbon",
    "Convert 30 degrees Celsius to Fahrenheit",
    "Who painted the Night Watch?",
    "Give me a pasta recipe with lemon",
    "How long do I boil an egg?",
];

/// A tiny deterministic generator (xorshift), so the set is the same on every machine.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn pick<'a>(&mut self, items: &'a [&'a str]) -> &'a str {
        items[(self.next() % items.len() as u64) as usize]
    }
    fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }
}

struct Labelled {
    label: &'static str,
    record: SessionRecord,
    /// Details only this session has.
    one_off: Vec<String>,
}

fn generate(seed: u64, per_kind: usize) -> Vec<Labelled> {
    let mut rng = Rng(seed | 1);
    let mut out = Vec::new();
    let mut i = 0usize;
    for round in 0..per_kind {
        for kind in KINDS {
            let unique_call = format!("tweak_{}_{seed}_{round}", kind.label);
            let unique_ask = format!("Name the output file zephyr{seed}x{round}.");
            let prompt = format!("{} {}", rng.pick(kind.verbs), rng.pick(kind.subjects));
            let mut prompts = vec![prompt];
            if rng.chance(70) {
                prompts.push(rng.pick(kind.requirement).to_string());
            }
            prompts.push(unique_ask.clone());
            let mut code = String::new();
            for line in kind.imports {
                code.push_str(line);
                code.push('\n');
            }
            for line in kind.calls {
                code.push_str(line);
                code.push('\n');
            }
            code.push_str(&format!("{unique_call}(result)\n"));
            let errors = if rng.chance(60) { vec![TraceError { error: kind.error.into(), fix: Some(kind.fix.into()) }] } else { Vec::new() };
            out.push(Labelled {
                label: kind.label,
                record: SessionRecord {
                    sha: format!("{:040x}", seed * 1_000_003 + i as u64),
                    author: ["ada", "bob"][i % 2].into(),
                    time: 1_760_000_000 + i as i64 * 3600,
                    title: prompts[0].clone(),
                    prompts,
                    artifacts: vec![("code".into(), format!("{}_{round}.{}", kind.label, if kind.language == "python" { "py" } else { kind.language }))],
                    code: vec![CodeBlock { language: kind.language.into(), name: Some(format!("{}_{round}", kind.label)), text: code }],
                    errors,
                    session_path: Some(format!("sessions/s{seed}-{i}.md")),
                    ..SessionRecord::default()
                },
                one_off: vec![unique_call, format!("zephyr{seed}x{round}")],
            });
            i += 1;
        }
        let one = ONE_OFFS[round % ONE_OFFS.len()];
        out.push(Labelled {
            label: "-",
            record: SessionRecord {
                sha: format!("{:040x}", seed * 1_000_003 + i as u64),
                time: 1_760_000_000 + i as i64 * 3600,
                prompts: vec![one.into()],
                title: one.into(),
                ..SessionRecord::default()
            },
            one_off: vec![],
        });
        i += 1;
    }
    out
}

#[derive(Debug, Default)]
struct Figures {
    kinds_found: usize,
    purity: f64,
    one_offs_in_patterns: usize,
    specifics_recalled: usize,
    specifics_expected: usize,
    leaked_outside_example: usize,
    trigger: TriggerEval,
}

fn evaluate(data: &[Labelled]) -> Figures {
    let records: Vec<SessionRecord> = data.iter().map(|d| d.record.clone()).collect();
    let label_of: BTreeMap<&str, &Labelled> = data.iter().map(|d| (d.record.sha.as_str(), d)).collect();
    let thresholds = Thresholds::for_volume(VolumeKind::User);
    let patterns = thresholds.filter(detect_local(&records));
    let competitors: Vec<SkillCard> = patterns.iter().map(trigger::card_of).collect();
    let mut f = Figures::default();
    let (mut clustered, mut majority_total) = (0usize, 0usize);
    let mut found = std::collections::BTreeSet::new();
    for p in &patterns {
        let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
        for sha in &p.commits {
            *counts.entry(label_of[sha.as_str()].label).or_default() += 1;
        }
        let (majority, count) = counts.iter().max_by(|a, b| a.1.cmp(b.1).then(b.0.cmp(a.0))).map(|(l, c)| (*l, *c)).unwrap_or(("-", 0));
        clustered += p.commits.len();
        majority_total += count;
        f.one_offs_in_patterns += counts.get("-").copied().unwrap_or(0);
        let Some(kind) = KINDS.iter().find(|k| k.label == majority) else { continue };
        found.insert(majority);

        let members = llmos_evolution::distill::members(&records, p);
        let material = distill(&members);
        let eval = trigger::evaluate_pattern(p, &records, &competitors);
        f.trigger.held_out += eval.held_out;
        f.trigger.true_positives += eval.true_positives;
        f.trigger.negatives += eval.negatives;
        f.trigger.false_positives += eval.false_positives;
        let skill = render_distilled(p, &material, Some(&eval), "2026-12-01");
        // The worked example shows one session on purpose; rules are everything else.
        let rules: String = {
            let before = skill.split("## Example\n").next().unwrap_or_default();
            let after = skill.split("## Example prompts").nth(1).unwrap_or_default();
            format!("{before}{after}")
        };
        for s in kind.specifics.iter().chain(std::iter::once(&kind.requirement_key)) {
            f.specifics_expected += 1;
            if rules.contains(s) {
                f.specifics_recalled += 1;
            } else {
                println!("  {}: missing recurring specific {s:?}", p.name);
            }
        }
        for sha in &p.commits {
            for detail in &label_of[sha.as_str()].one_off {
                if rules.contains(detail.as_str()) {
                    f.leaked_outside_example += 1;
                    println!("  {}: leaked one-off {detail:?}", p.name);
                }
            }
        }
        println!("{:<32} n={:<3} majority={majority:<7} {:?} trigger P={:.2} R={:.2}", p.name, p.occurrences, counts, eval.precision(), eval.recall());
    }
    f.kinds_found = found.len();
    f.purity = if clustered == 0 { 0.0 } else { majority_total as f64 / clustered as f64 };
    f
}

fn report(name: &str, f: &Figures) {
    println!(
        "{name}: kinds found {}/{}, purity {:.3}, one-offs in patterns {}, recurring specifics in skills {}/{} ({:.2}), one-off details leaked into rules {}, trigger precision {:.2} recall {:.2} ({} held out, {} negatives)",
        f.kinds_found,
        KINDS.len(),
        f.purity,
        f.one_offs_in_patterns,
        f.specifics_recalled,
        f.specifics_expected,
        f.specifics_recalled as f64 / f.specifics_expected.max(1) as f64,
        f.leaked_outside_example,
        f.trigger.precision(),
        f.trigger.recall(),
        f.trigger.held_out,
        f.trigger.negatives,
    );
}

#[test]
fn whole_sessions_become_distilled_skills_that_trigger() {
    for (name, seed) in [("seed 7", 7u64), ("seed 1234 (other phrasing draws)", 1234)] {
        let data = generate(seed, 8);
        let f = evaluate(&data);
        report(name, &f);
        assert_eq!(f.kinds_found, KINDS.len(), "{name}");
        assert!(f.purity >= 0.9, "{name}: purity {:.3}", f.purity);
        assert_eq!(f.one_offs_in_patterns, 0, "{name}");
        assert!(f.specifics_recalled * 10 >= f.specifics_expected * 9, "{name}: {f:?}");
        assert_eq!(f.leaked_outside_example, 0, "{name}");
        assert!(f.trigger.recall() >= 0.8 && f.trigger.precision() >= 0.8, "{name}: {:?}", f.trigger);
    }
}

#[test]
fn the_set_is_deterministic() {
    let a: Vec<_> = generate(7, 3).into_iter().map(|d| d.record).collect();
    let b: Vec<_> = generate(7, 3).into_iter().map(|d| d.record).collect();
    assert_eq!(a, b);
}
