//! What a skill says, extracted from the pattern's member sessions (offline,
//! deterministic): a worked example from the most central session, the
//! libraries, APIs, commands and file types that recur across members, the
//! requirements users repeated in follow-up turns, the errors traces showed and
//! what came after them, and the source sessions.
//!
//! The rule that keeps one-off details out: anything stated as a habit must have
//! been seen in at least two member sessions ([`MIN_MEMBERS`]). The worked example
//! is the one place a single session speaks, and it is labelled as an example.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use crate::features::{for_each_word, is_stop_word, stem};
use crate::record::{Pattern, SessionRecord};

/// A detail becomes part of the skill only when this many members show it.
pub const MIN_MEMBERS: usize = 2;
/// The worked example's code is cut to this many lines.
const EXAMPLE_CODE_LINES: usize = 40;
const EXAMPLE_CODE_CHARS: usize = 2_000;
const MAX_TERMS: usize = 12;
const MAX_REQUIREMENTS: usize = 8;
const MAX_ERRORS: usize = 5;
const MAX_SOURCES: usize = 12;
const LINE_CHARS: usize = 200;

/// A code block a session produced (assistant turns only).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CodeBlock {
    /// The fence's language (`python`, `sql`, `bash` …), empty when none.
    pub language: String,
    /// `artifact=NAME` when the block is an artifact.
    pub name: Option<String>,
    pub text: String,
}

/// An error line a trace showed, and what the session did next.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TraceError {
    /// The error line, e.g. `KeyError: 'date'`.
    pub error: String,
    /// The first line of the reply or request that followed the trace.
    pub fix: Option<String>,
}

/// A recurring term and in how many member sessions it was seen.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Recurring {
    pub term: String,
    pub members: usize,
}

/// The worked example: one member session's prompt and main code.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WorkedExample {
    pub prompt: String,
    pub code: Option<CodeBlock>,
    pub source: String,
}

/// Everything a skill body is written from.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Material {
    pub example: Option<WorkedExample>,
    /// Imported libraries (`pandas`, `matplotlib.pyplot`).
    pub libraries: Vec<Recurring>,
    /// Called APIs (`read_csv`, `plt.savefig`).
    pub apis: Vec<Recurring>,
    /// Shell commands (`git`, `pytest`).
    pub commands: Vec<Recurring>,
    /// File types seen in artifact names and prompts (`.csv`, `.png`).
    pub file_types: Vec<Recurring>,
    /// Follow-up requests seen in several members, one representative each.
    pub requirements: Vec<Recurring>,
    /// Error kinds seen in several members' traces, with what followed.
    pub errors: Vec<(Recurring, Option<String>)>,
    /// Where the pattern was seen: session paths (or commit SHAs).
    pub sources: Vec<String>,
    /// Members the material was drawn from.
    pub members: usize,
}

impl Material {
    /// Every recurring term, for checks such as "is this detail in the skill".
    pub fn all_terms(&self) -> Vec<&str> {
        let lists = [&self.libraries, &self.apis, &self.commands, &self.file_types, &self.requirements];
        lists.iter().flat_map(|l| l.iter().map(|r| r.term.as_str())).chain(self.errors.iter().map(|(r, _)| r.term.as_str())).collect()
    }
}

/// The records of a pattern, in the pattern's order (matched by commit SHA).
pub fn members<'a>(records: &'a [SessionRecord], pattern: &Pattern) -> Vec<&'a SessionRecord> {
    pattern.commits.iter().filter_map(|sha| records.iter().find(|r| &r.sha == sha)).collect()
}

fn one_line(text: &str) -> String {
    let collapsed = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if collapsed.chars().count() <= LINE_CHARS {
        return collapsed;
    }
    let mut cut: String = collapsed.chars().take(LINE_CHARS - 1).collect();
    cut.push('…');
    cut
}

/// Counts each term once per member, keeps those seen in at least
/// [`MIN_MEMBERS`], most frequent first (ties alphabetical, so output is stable).
fn recurring(per_member: &[BTreeSet<String>]) -> Vec<Recurring> {
    let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
    for set in per_member {
        for term in set {
            *counts.entry(term.as_str()).or_default() += 1;
        }
    }
    let mut out: Vec<Recurring> =
        counts.into_iter().filter(|(_, n)| *n >= MIN_MEMBERS).map(|(term, members)| Recurring { term: term.to_string(), members }).collect();
    out.sort_by(|a, b| b.members.cmp(&a.members).then(a.term.cmp(&b.term)));
    out.truncate(MAX_TERMS);
    out
}

fn is_ident(s: &str) -> bool {
    !s.is_empty() && s.chars().all(|c| c.is_alphanumeric() || c == '_' || c == '.') && s.chars().next().is_some_and(|c| c.is_alphabetic() || c == '_')
}

/// Libraries imported by a code block: Python `import`/`from`, JS `require`/`import … from`,
/// R `library()`, Rust `use`.
fn libraries_in(code: &CodeBlock, out: &mut BTreeSet<String>) {
    for line in code.text.lines().map(str::trim) {
        let mut words = line.split_whitespace();
        match (words.next(), words.next()) {
            (Some("import"), Some(lib)) => {
                // `import numpy as np`, `import a, b`, JS `import x from "lib"`.
                if let Some(from) = line.rsplit_once(" from ").map(|(_, f)| f.trim_matches(|c| c == '"' || c == '\'' || c == ';' || c == ' ')) {
                    if !from.is_empty() {
                        out.insert(from.to_string());
                    }
                } else {
                    for l in line.strip_prefix("import").unwrap_or_default().split(',') {
                        let name = l.split_whitespace().next().unwrap_or("").trim_end_matches(';');
                        if is_ident(name) {
                            out.insert(name.to_string());
                        }
                    }
                    let _ = lib;
                }
            }
            (Some("from"), Some(lib)) if is_ident(lib) && line.contains(" import ") => {
                out.insert(lib.to_string());
            }
            (Some("use"), Some(lib)) => {
                let root = lib.split("::").next().unwrap_or("").trim_end_matches(';');
                if is_ident(root) && !matches!(root, "std" | "crate" | "self" | "super") {
                    out.insert(root.to_string());
                }
            }
            _ => {}
        }
        for call in ["require(", "library("] {
            if let Some((_, rest)) = line.split_once(call) {
                let name: String =
                    rest.trim_start_matches(['"', '\'']).chars().take_while(|c| c.is_alphanumeric() || matches!(c, '_' | '-' | '.' | '/')).collect();
                if !name.is_empty() {
                    out.insert(name);
                }
            }
        }
    }
}

/// APIs called by a code block: `name(` and `a.b(` with the receiver kept when it
/// is a short module alias (`pd.read_csv`, `plt.savefig`), plain `name(` otherwise.
fn apis_in(code: &CodeBlock, out: &mut BTreeSet<String>) {
    const KEYWORDS: &[&str] = &[
        "if", "for", "while", "return", "print", "def", "elif", "and", "or", "not", "in", "with", "len", "range", "str", "int", "float", "list", "dict", "set",
        "tuple", "select", "from", "where", "values", "count", "sum", "fn", "function", "match", "switch", "catch", "new", "await", "async", "lambda",
    ];
    if matches!(code.language.as_str(), "trace" | "text" | "json" | "csv" | "output") {
        return;
    }
    let text = &code.text;
    for (at, _) in text.match_indices('(') {
        // The callee is the run of ASCII identifier bytes and dots just before `(`;
        // being ASCII, it starts on a char boundary.
        let before = text.as_bytes().get(..at).unwrap_or_default();
        let len = before.iter().rev().take_while(|&&c| c.is_ascii_alphanumeric() || c == b'_' || c == b'.').count();
        let Some(callee) = text.get(at - len..at) else { continue };
        let callee = callee.trim_start_matches('.');
        if callee.is_empty() || callee.starts_with(|c: char| c.is_ascii_digit()) {
            continue;
        }
        // Keep at most the last two segments: `df.groupby(...).agg` → `agg`, `plt.savefig` stays.
        let parts: Vec<&str> = callee.split('.').filter(|p| !p.is_empty()).collect();
        let name = match parts.as_slice() {
            [] => continue,
            [one] => one.to_string(),
            // Module-like receivers stay (`pd.read_csv`, `pytest.raises`, `mock.patch`).
            [.., recv, method] if recv.len() <= 8 && recv.chars().all(|c| c.is_ascii_lowercase()) => format!("{recv}.{method}"),
            [.., method] => method.to_string(),
        };
        let last = name.rsplit('.').next().unwrap_or(&name);
        if last.len() < 3 || KEYWORDS.contains(&last.to_ascii_lowercase().as_str()) {
            continue;
        }
        out.insert(name);
    }
}

/// Commands run in shell blocks: the first word of each line (after `$ `, `sudo`).
fn commands_in(code: &CodeBlock, out: &mut BTreeSet<String>) {
    if !matches!(code.language.as_str(), "bash" | "sh" | "shell" | "console" | "zsh" | "powershell") {
        return;
    }
    for line in code.text.lines().map(str::trim) {
        let line = line.trim_start_matches("$ ").trim_start_matches("sudo ");
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let word: String = line.chars().take_while(|c| c.is_alphanumeric() || matches!(c, '-' | '_' | '.')).collect();
        if word.len() >= 2 && !word.contains('=') && !matches!(word.as_str(), "cd" | "echo" | "export" | "then" | "fi" | "do" | "done") {
            out.insert(word);
        }
    }
}

/// File types mentioned: extensions of artifact names and of `x.ext` words in prompts.
fn file_types_in(record: &SessionRecord, out: &mut BTreeSet<String>) {
    let mut add = |name: &str| {
        if let Some((stem, ext)) = name.rsplit_once('.') {
            let ext = ext.trim_end_matches(|c: char| !c.is_alphanumeric()).to_ascii_lowercase();
            if !stem.is_empty() && (1..=5).contains(&ext.len()) && ext.chars().all(|c| c.is_ascii_alphanumeric()) && !ext.chars().all(|c| c.is_ascii_digit()) {
                out.insert(format!(".{ext}"));
            }
        }
    };
    for (_, name) in &record.artifacts {
        add(name);
    }
    for code in &record.code {
        if let Some(name) = &code.name {
            add(name);
        }
    }
    for prompt in &record.prompts {
        for word in prompt.split_whitespace() {
            let word = word.trim_matches(|c: char| matches!(c, ',' | ';' | ':' | '(' | ')' | '`' | '"' | '\'' | '?' | '!'));
            let word = word.strip_suffix('.').unwrap_or(word);
            if word.contains('.') && !word.contains("://") && !word.starts_with('.') {
                add(word);
            }
        }
    }
    // Upper-case format names in prompts ("the CSV log") count too.
    for prompt in &record.prompts {
        for word in prompt.split(|c: char| !c.is_alphanumeric()) {
            let lower = word.to_ascii_lowercase();
            if word.len() >= 3 && word == word.to_ascii_uppercase() && KNOWN_FORMATS.contains(&lower.as_str()) {
                out.insert(format!(".{lower}"));
            }
        }
    }
}

const KNOWN_FORMATS: &[&str] = &["csv", "json", "png", "svg", "pdf", "xlsx", "parquet", "sql", "yaml", "toml", "html", "tsv", "xml", "jpg", "md"];

/// The content words of a follow-up request, stemmed, for comparing requests.
fn request_terms(text: &str) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for_each_word(text, |w| {
        if w.chars().count() > 2 && !is_stop_word(w) {
            out.insert(stem(w));
        }
    });
    out
}

/// Follow-up requests (user turns after the first) that recur: two requests of
/// different members sharing at least two content words (or their only one) are
/// the same requirement. Each requirement is stated by its shortest wording.
fn recurring_requests(members: &[&SessionRecord]) -> Vec<Recurring> {
    /// (member, one-line wording, stemmed content words).
    type Request = (usize, String, BTreeSet<String>);
    let mut requests: Vec<Request> = Vec::new();
    for (m, record) in members.iter().enumerate() {
        for prompt in record.prompts.iter().skip(1) {
            for sentence in prompt.split(['.', '!', '?', '\n', ';']) {
                let line = one_line(sentence);
                let terms = request_terms(&line);
                if !terms.is_empty() {
                    requests.push((m, line, terms));
                }
            }
        }
    }
    let same = |a: &BTreeSet<String>, b: &BTreeSet<String>| {
        let shared = a.intersection(b).count();
        shared >= 2 || (shared == 1 && (a.len() == 1 || b.len() == 1))
    };
    let mut out: Vec<Recurring> = Vec::new();
    let mut used = vec![false; requests.len()];
    for (i, (_, _, terms_i)) in requests.iter().enumerate() {
        if used.get(i) != Some(&false) {
            continue;
        }
        let group: Vec<(usize, &Request)> = requests.iter().enumerate().skip(i).filter(|(j, r)| used.get(*j) == Some(&false) && same(terms_i, &r.2)).collect();
        let distinct: BTreeSet<usize> = group.iter().map(|(_, r)| r.0).collect();
        if distinct.len() < MIN_MEMBERS {
            continue;
        }
        for (j, _) in &group {
            if let Some(u) = used.get_mut(*j) {
                *u = true;
            }
        }
        // A term only one member used is a one-off detail ("name it zephyr3"), not part
        // of the requirement: prefer the wording with fewest such terms, then mask them.
        let mut members_of: BTreeMap<&str, BTreeSet<usize>> = BTreeMap::new();
        for (_, (member, _, terms)) in &group {
            for t in terms {
                members_of.entry(t.as_str()).or_default().insert(*member);
            }
        }
        let single = |t: &String| members_of.get(t.as_str()).is_none_or(|m| m.len() < MIN_MEMBERS);
        let Some((_, best)) = group.iter().min_by_key(|(_, r)| (r.2.iter().filter(|t| single(t)).count(), r.1.chars().count(), r.1.clone())) else {
            continue;
        };
        let wording = best
            .1
            .split_whitespace()
            .map(|w| {
                let terms = request_terms(w);
                if !terms.is_empty() && terms.iter().all(single) { "…" } else { w }
            })
            .collect::<Vec<_>>()
            .join(" ");
        out.push(Recurring { term: wording, members: distinct.len() });
    }
    out.sort_by(|a, b| b.members.cmp(&a.members).then(a.term.cmp(&b.term)));
    out.truncate(MAX_REQUIREMENTS);
    out
}

/// The error kind of an error line: `KeyError: 'date'` → `KeyError`,
/// `error[E0382]: borrow …` → `error[E0382]`, else the line without digits.
fn error_kind(line: &str) -> String {
    let named = line
        .split(|c: char| c.is_whitespace() || matches!(c, ':' | '.' | '(' | ')' | ','))
        .find(|w| w.len() > 5 && (w.ends_with("Error") || w.ends_with("Exception") || (w.starts_with("error[") && w.ends_with(']'))));
    if let Some(name) = named {
        return name.to_string();
    }
    let head = line.split(':').next().unwrap_or(line).trim();
    let last = head.rsplit(['.', ' ']).next().unwrap_or(head);
    if !last.is_empty() && last.len() <= 60 && !last.contains(char::is_whitespace) {
        return last.to_string();
    }
    one_line(&line.chars().filter(|c| !c.is_ascii_digit()).collect::<String>())
}

/// The member whose prompts share the most content words with the other
/// members (the earliest on ties): the most central session.
fn central_member(members: &[&SessionRecord]) -> Option<usize> {
    let terms: Vec<BTreeSet<String>> = members.iter().map(|r| request_terms(r.main_prompt())).collect();
    // Prefer sessions that produced code, then centrality.
    let keys: Vec<(bool, usize)> = members
        .iter()
        .zip(&terms)
        .enumerate()
        .map(|(i, (r, own))| (!r.code.is_empty(), terms.iter().enumerate().filter(|(j, _)| *j != i).map(|(_, other)| own.intersection(other).count()).sum()))
        .collect();
    // Earlier wins ties.
    keys.iter().enumerate().max_by(|(a, ka), (b, kb)| ka.cmp(kb).then(b.cmp(a))).map(|(i, _)| i)
}

/// The main code of a session: its largest artifact, else its largest code block.
fn main_code(record: &SessionRecord) -> Option<CodeBlock> {
    let artifacts = record.code.iter().filter(|c| c.name.is_some() && c.language != "trace");
    let best = artifacts.max_by_key(|c| c.text.len()).or_else(|| record.code.iter().filter(|c| c.language != "trace").max_by_key(|c| c.text.len()))?;
    let mut text: String = best.text.lines().take(EXAMPLE_CODE_LINES).collect::<Vec<_>>().join("\n");
    if text.chars().count() > EXAMPLE_CODE_CHARS {
        text = text.chars().take(EXAMPLE_CODE_CHARS).collect();
    }
    if best.text.lines().count() > EXAMPLE_CODE_LINES || best.text.chars().count() > EXAMPLE_CODE_CHARS {
        text.push_str("\n# … (cut)");
    }
    Some(CodeBlock { language: best.language.clone(), name: best.name.clone(), text })
}

fn source_of(record: &SessionRecord) -> String {
    record.session_path.clone().unwrap_or_else(|| format!("commit {}", record.sha.chars().take(12).collect::<String>()))
}

/// Extracts the material for a pattern from its member records.
pub fn distill(members: &[&SessionRecord]) -> Material {
    let code_sets = |f: fn(&CodeBlock, &mut BTreeSet<String>)| -> Vec<BTreeSet<String>> {
        members
            .iter()
            .map(|r| {
                let mut set = BTreeSet::new();
                for c in &r.code {
                    f(c, &mut set);
                }
                set
            })
            .collect()
    };
    let libraries = recurring(&code_sets(libraries_in));
    let mut apis = recurring(&code_sets(apis_in));
    // A library's own name called as a function adds nothing.
    apis.retain(|a| !libraries.iter().any(|l| l.term == a.term));
    let commands = recurring(&code_sets(commands_in));
    let file_types = recurring(
        &members
            .iter()
            .map(|r| {
                let mut set = BTreeSet::new();
                file_types_in(r, &mut set);
                set
            })
            .collect::<Vec<_>>(),
    );
    let requirements = recurring_requests(members);

    let mut error_sets: Vec<BTreeSet<String>> = Vec::new();
    let mut fixes: BTreeMap<String, String> = BTreeMap::new();
    for record in members {
        let mut set = BTreeSet::new();
        for e in &record.errors {
            let kind = error_kind(&e.error);
            if let Some(fix) = &e.fix {
                fixes.entry(kind.clone()).or_insert_with(|| one_line(fix));
            }
            set.insert(kind);
        }
        error_sets.push(set);
    }
    let mut errors: Vec<(Recurring, Option<String>)> = recurring(&error_sets).into_iter().map(|r| (r.clone(), fixes.get(&r.term).cloned())).collect();
    errors.truncate(MAX_ERRORS);

    let example = central_member(members).and_then(|i| members.get(i)).map(|r| WorkedExample {
        prompt: one_line(r.main_prompt()),
        code: main_code(r),
        source: source_of(r),
    });
    let mut sources: Vec<String> = Vec::new();
    for r in members {
        let s = source_of(r);
        if !sources.contains(&s) && sources.len() < MAX_SOURCES {
            sources.push(s);
        }
    }
    Material { example, libraries, apis, commands, file_types, requirements, errors, sources, members: members.len() }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    fn block(language: &str, text: &str) -> CodeBlock {
        CodeBlock { language: language.into(), name: None, text: text.into() }
    }

    proptest! {
        /// Arbitrary text around generated calls: every generated `recv.method(` is
        /// found as the oracle names it, and everything found is a call in the text.
        #[test]
        fn apis_are_found_in_arbitrary_unicode(
            calls in proptest::collection::vec(("[a-z]{1,8}|[A-Z][a-z]{9,12}", "zz[a-z_]{1,8}", "\\PC{0,12}"), 0..6),
            language in "(python|trace|)",
        ) {
            let mut text = String::new();
            for (recv, method, noise) in &calls {
                text.push_str(noise);
                text.push_str(&format!("\n{recv}.{method}(x)\n"));
            }
            let mut found = BTreeSet::new();
            apis_in(&block(&language, &text), &mut found);
            if language == "trace" {
                prop_assert!(found.is_empty());
                return Ok(());
            }
            for (recv, method, _) in &calls {
                // Short all-lowercase receivers are module aliases and stay.
                let expected = if recv.chars().count() <= 8 && recv.chars().all(|c| c.is_ascii_lowercase()) { format!("{recv}.{method}") } else { method.clone() };
                prop_assert!(found.contains(&expected), "{:?} not in {:?}", expected, found);
            }
            for name in &found {
                let last = name.rsplit('.').next().unwrap_or(name);
                prop_assert!(text.contains(&format!("{last}(")), "{:?} is no call in {:?}", name, text);
            }
        }

        /// Imports and require/library calls among arbitrary lines.
        #[test]
        fn libraries_are_found_in_arbitrary_unicode(
            libs in proptest::collection::vec(("[a-z][a-z0-9_]{0,10}", 0..4usize, "\\PC{0,16}"), 0..6),
        ) {
            let mut text = String::new();
            for (lib, form, noise) in &libs {
                text.push_str(noise);
                text.push('\n');
                text.push_str(&match form {
                    0 => format!("import {lib}\n"),
                    1 => format!("from {lib} import x\n"),
                    2 => format!("const x = require(\"{lib}\");\n"),
                    _ => format!("library({lib})\n"),
                });
            }
            let mut found = BTreeSet::new();
            libraries_in(&block("python", &text), &mut found);
            for (lib, _, _) in &libs {
                prop_assert!(found.contains(lib), "{:?} not in {:?}", lib, found);
            }
        }

        #[test]
        fn distilling_arbitrary_sessions_never_panics(
            prompts in proptest::collection::vec("\\PC{0,40}", 1..4),
            code in proptest::collection::vec(("(python|bash|trace|)", "\\PC{0,60}"), 0..4),
        ) {
            let prompts: Vec<&str> = prompts.iter().map(String::as_str).collect();
            let code: Vec<(&str, Option<&str>, &str)> = code.iter().map(|(l, t)| (l.as_str(), None, t.as_str())).collect();
            let a = record("a", &prompts, &code);
            let b = record("b", &prompts, &code);
            let m = distill(&[&a, &b]);
            prop_assert_eq!(m.members, 2);
        }
    }

    fn record(sha: &str, prompts: &[&str], code: &[(&str, Option<&str>, &str)]) -> SessionRecord {
        SessionRecord {
            sha: sha.into(),
            prompts: prompts.iter().map(|p| p.to_string()).collect(),
            code: code.iter().map(|(l, n, t)| CodeBlock { language: l.to_string(), name: n.map(str::to_string), text: t.to_string() }).collect(),
            session_path: Some(format!("sessions/{sha}.md")),
            ..SessionRecord::default()
        }
    }

    #[test]
    fn only_details_of_two_members_become_rules() {
        let a = record(
            "a",
            &["Plot sales.csv as a line chart", "label the axes please"],
            &[("python", Some("a.py"), "import pandas as pd\nimport seaborn\ndf = pd.read_csv('sales.csv')\nplt.savefig('a.png')\n")],
        );
        let b = record(
            "b",
            &["Chart revenue from revenue.csv", "Please label the axes."],
            &[("python", Some("b.py"), "import pandas as pd\ndf = pd.read_csv('revenue.csv')\ndf.rolling(7).mean()\nplt.savefig('b.png')\n")],
        );
        let c = record("c", &["graph the csv"], &[]);
        let m = distill(&[&a, &b, &c]);
        let terms = |l: &[Recurring]| l.iter().map(|r| r.term.clone()).collect::<Vec<_>>();
        assert_eq!(terms(&m.libraries), ["pandas"]);
        assert!(terms(&m.apis).contains(&"pd.read_csv".to_string()), "{:?}", m.apis);
        assert!(terms(&m.apis).contains(&"plt.savefig".to_string()));
        assert!(!terms(&m.apis).iter().any(|t| t.contains("rolling")), "one member only: {:?}", m.apis);
        assert!(terms(&m.file_types).contains(&".csv".to_string()));
        assert_eq!(m.requirements.len(), 1, "{:?}", m.requirements);
        assert!(m.requirements[0].term.to_lowercase().contains("label the axes"));
        assert_eq!(m.example.as_ref().map(|e| e.source.as_str()), Some("sessions/a.md"));
        assert_eq!(m.sources.len(), 3);
    }

    #[test]
    fn errors_recur_with_their_fix() {
        let mut a = record("a", &["x"], &[]);
        a.errors.push(TraceError { error: "KeyError: 'date'".into(), fix: Some("Parse the date column first".into()) });
        let mut b = record("b", &["y"], &[]);
        b.errors.push(TraceError { error: "Traceback: pandas.errors.KeyError: 'day'".into(), fix: None });
        b.errors.push(TraceError { error: "ZeroDivisionError: x".into(), fix: None });
        let m = distill(&[&a, &b]);
        assert_eq!(m.errors.len(), 1, "{:?}", m.errors);
        assert_eq!(m.errors[0].0.term, "KeyError");
        assert_eq!(m.errors[0].1.as_deref(), Some("Parse the date column first"));
    }

    #[test]
    fn empty_and_odd_input_is_fine() {
        let m = distill(&[]);
        assert!(m.example.is_none() && m.all_terms().is_empty());
        let weird = record("w", &["", "((((", "a.b.c.d"], &[("", None, "(((.(a)(\u{0}é(")]);
        let _ = distill(&[&weird, &weird]);
    }
}
