//! Synthetic workspaces for benchmarks and tests: skills spread over the three volumes,
//! sessions that pin those skills, fenced artifacts and links to artifact files.
//!
//! Everything is derived from a seed through a small xorshift generator, so the same
//! seed writes byte-identical files (benchmarks compare like with like across runs and
//! machines). A few artifact links are left dangling on purpose, as in real workspaces,
//! so diagnostics have something to report.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use llmos_documents::VolumeKind;

#[derive(Debug, thiserror::Error)]
pub enum GenerateError {
    #[error("cannot write {path}: {source}")]
    Write { path: PathBuf, source: std::io::Error },
}

/// One generated skill.
#[derive(Debug, Clone, PartialEq)]
pub struct GeneratedSkill {
    pub name: String,
    pub volume: VolumeKind,
    pub path: PathBuf,
}

/// One generated session, with what a benchmark needs to aim a request at it.
#[derive(Debug, Clone, PartialEq)]
pub struct GeneratedSession {
    pub id: String,
    pub volume: VolumeKind,
    pub path: PathBuf,
    pub pinned: Vec<String>,
    /// Link targets as written (`../artifacts/…`) whose file exists.
    pub artifact_links: Vec<String>,
    /// Link targets as written whose file was deliberately not created.
    pub missing_links: Vec<String>,
}

/// What [`generate_workspace`] wrote.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct GeneratedWorkspace {
    pub skills: Vec<GeneratedSkill>,
    pub sessions: Vec<GeneratedSession>,
    /// Artifact files written (link targets that exist).
    pub artifact_files: usize,
}

impl GeneratedWorkspace {
    pub fn skill_names(&self) -> Vec<String> {
        self.skills.iter().map(|s| s.name.clone()).collect()
    }
}

/// xorshift64*: tiny, fast and good enough for shaping test data; not for anything secret.
#[derive(Debug, Clone)]
struct Rng(u64);

impl Rng {
    fn new(seed: u64) -> Self {
        // A zero state would stay zero forever.
        let mixed = seed ^ 0x9E37_79B9_7F4A_7C15;
        Self(if mixed == 0 { 0x2545_F491_4F6C_DD1D } else { mixed })
    }

    fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// Uniform in `lo..=hi`.
    fn range(&mut self, lo: usize, hi: usize) -> usize {
        lo + (self.next() % (hi - lo + 1) as u64) as usize
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        #[allow(clippy::indexing_slicing)] // only ever called on the generator's own non-empty tables
        &items[self.range(0, items.len() - 1)]
    }

    /// True with probability `percent`/100.
    fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }
}

const TOPICS: &[&str] = &[
    "quantum",
    "circuit",
    "plot",
    "csv",
    "sales",
    "forecast",
    "molecule",
    "protein",
    "scene",
    "render",
    "invoice",
    "budget",
    "report",
    "schema",
    "migration",
    "parser",
    "tokenizer",
    "cache",
    "latency",
    "image",
    "resize",
    "audio",
    "spectrum",
    "survey",
    "genome",
    "orbit",
    "weather",
    "pricing",
    "ledger",
    "graph",
];

const VERBS: &[&str] =
    &["builds", "plots", "cleans", "summarises", "validates", "optimises", "renders", "converts", "compares", "explains", "profiles", "tests"];

const WORDS: &[&str] = &[
    "the", "data", "a", "result", "with", "each", "step", "before", "after", "value", "model", "check", "output", "input", "file", "run", "table", "column",
    "row", "error", "fix", "keep", "small", "then", "use", "when", "needed", "first", "last", "every", "sample", "batch", "scale", "mean", "range", "limit",
    "retry", "order", "group", "filter",
];

const LANGUAGES: &[(&str, &str)] = &[("python", "py"), ("rust", "rs"), ("bash", "sh"), ("json", "json"), ("typescript", "ts")];

/// Artifact files a session links to, with the content kind each gets.
const ARTIFACT_KINDS: &[&str] = &["data.csv", "result.py", "bell.circuit.json", "scene.scene.json", "notes.md", "chart.plot.json"];

const MODELS: &[&str] = &["claude-sonnet-4-5", "gpt-5", "llama-3.3-70b"];

/// A sentence of `min..=max` words.
fn sentence(rng: &mut Rng, min: usize, max: usize) -> String {
    let words = rng.range(min, max);
    let mut s = String::new();
    for i in 0..words {
        if i > 0 {
            s.push(' ');
        }
        let w = if rng.chance(15) { *rng.pick(TOPICS) } else { *rng.pick(WORDS) };
        if i == 0 {
            let mut c = w.chars();
            if let Some(first) = c.next() {
                s.extend(first.to_uppercase());
                s.push_str(c.as_str());
            }
        } else {
            s.push_str(w);
        }
    }
    s.push('.');
    s
}

fn volume_for(rng: &mut Rng) -> VolumeKind {
    match rng.range(0, 99) {
        0..=44 => VolumeKind::User,
        45..=79 => VolumeKind::Team,
        _ => VolumeKind::System,
    }
}

fn write(path: &Path, contents: &str) -> Result<(), GenerateError> {
    let err = |source| GenerateError::Write { path: path.to_path_buf(), source };
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(err)?;
    }
    std::fs::write(path, contents).map_err(err)
}

/// Files waiting to be written, written in parallel batches: the contents come from one
/// seeded generator in order, but writing 100,000 + 100,000 workspaces one file at a
/// time took minutes.
#[derive(Default)]
struct Files(Vec<(PathBuf, String)>);

impl Files {
    const BATCH: usize = 4096;

    fn add(&mut self, path: PathBuf, contents: String) -> Result<(), GenerateError> {
        self.0.push((path, contents));
        if self.0.len() >= Self::BATCH { self.flush() } else { Ok(()) }
    }

    fn flush(&mut self) -> Result<(), GenerateError> {
        use rayon::prelude::*;
        let batch = std::mem::take(&mut self.0);
        batch.par_iter().try_for_each(|(path, contents)| write(path, contents))
    }
}

fn volume_dir(root: &Path, volume: VolumeKind) -> PathBuf {
    root.join("volumes").join(volume.as_str())
}

/// Writes `skills` skills and `sessions` sessions under `root` (plus an empty
/// `llmos.toml`). Existing files with the same names are overwritten.
pub fn generate_workspace(root: &Path, skills: usize, sessions: usize, seed: u64) -> Result<GeneratedWorkspace, GenerateError> {
    let mut rng = Rng::new(seed);
    write(&root.join(crate::config::FILE_NAME), "")?;
    let mut out = GeneratedWorkspace::default();
    let mut files = Files::default();
    for i in 0..skills {
        let volume = volume_for(&mut rng);
        let name = format!("{}-{}-{i}", rng.pick(TOPICS), rng.pick(TOPICS));
        let path = volume_dir(root, volume).join("skills").join(&name).join("SKILL.md");
        files.add(path.clone(), skill_text(&mut rng, &name))?;
        out.skills.push(GeneratedSkill { name, volume, path });
    }
    let names = out.skill_names();
    for i in 0..sessions {
        let volume = volume_for(&mut rng);
        let id = format!("202611{:02}-{:02}{:02}-s{i}", rng.range(1, 28), rng.range(0, 23), rng.range(0, 59));
        let turns = rng.range(2, 10);
        let session = write_session(root, volume, &id, &mut rng, &names, SessionSize::Turns(turns), &mut files)?;
        out.artifact_files += session.artifact_links.len();
        out.sessions.push(session);
    }
    files.flush()?;
    Ok(out)
}

/// Writes one long session of at least `min_bytes` (many turns, fences, links) into
/// `volume`, pinning some of `skill_names`. For keystroke benchmarks on big transcripts.
pub fn generate_transcript(
    root: &Path,
    volume: VolumeKind,
    id: &str,
    min_bytes: usize,
    skill_names: &[String],
    seed: u64,
) -> Result<GeneratedSession, GenerateError> {
    let mut rng = Rng::new(seed);
    let mut files = Files::default();
    let session = write_session(root, volume, id, &mut rng, skill_names, SessionSize::Bytes(min_bytes), &mut files)?;
    files.flush()?;
    Ok(session)
}

#[derive(Clone, Copy)]
enum SessionSize {
    Turns(usize),
    Bytes(usize),
}

fn skill_text(rng: &mut Rng, name: &str) -> String {
    let topic = name.split('-').next().unwrap_or("data");
    let mut t = String::new();
    let keywords: Vec<&str> = (0..rng.range(2, 5)).map(|_| *rng.pick(TOPICS)).collect();
    let _ = writeln!(t, "---\nname: {name}");
    let verb = *rng.pick(VERBS);
    let _ = writeln!(t, "description: {} {topic} data step by step. Use when a task needs {topic} work done reliably.", capitalised(verb));
    let _ = writeln!(t, "keywords: [{}]", keywords.join(", "));
    let _ = writeln!(t, "category: {}", rng.pick(TOPICS));
    let _ = writeln!(t, "version: 1.{}.{}", rng.range(0, 9), rng.range(0, 20));
    t.push_str("---\n\n");
    let _ = writeln!(t, "# {}\n", name.replace('-', " "));
    let target = rng.range(30, 80);
    let mut lines = 2;
    while lines < target {
        match rng.range(0, 5) {
            0 => {
                let _ = writeln!(t, "## {}\n", sentence(rng, 3, 3).trim_end_matches('.'));
                lines += 2;
            }
            1 => {
                for n in 1..=rng.range(2, 5) {
                    let _ = writeln!(t, "{n}. {}", sentence(rng, 4, 10));
                    lines += 1;
                }
                t.push('\n');
                lines += 1;
            }
            2 => {
                let (lang, _) = *rng.pick(LANGUAGES);
                let _ = writeln!(t, "```{lang}");
                for _ in 0..rng.range(2, 6) {
                    let _ = writeln!(t, "{}({})", rng.pick(WORDS), rng.pick(TOPICS));
                    lines += 1;
                }
                t.push_str("```\n\n");
                lines += 3;
            }
            _ => {
                let _ = writeln!(t, "{}\n", sentence(rng, 8, 20));
                lines += 2;
            }
        }
    }
    t
}

fn capitalised(word: &str) -> String {
    let mut c = word.chars();
    c.next().map(|f| f.to_uppercase().chain(c).collect()).unwrap_or_default()
}

fn write_session(
    root: &Path,
    volume: VolumeKind,
    id: &str,
    rng: &mut Rng,
    skill_names: &[String],
    size: SessionSize,
    files: &mut Files,
) -> Result<GeneratedSession, GenerateError> {
    let vol_dir = volume_dir(root, volume);
    let path = vol_dir.join("sessions").join(format!("{id}.md"));
    let mut pinned: Vec<String> = Vec::new();
    if !skill_names.is_empty() {
        for _ in 0..rng.range(0, 3) {
            let name = rng.pick(skill_names).clone();
            if !pinned.contains(&name) {
                pinned.push(name);
            }
        }
    }
    let model = *rng.pick(MODELS);
    let mut t = String::new();
    let _ = writeln!(t, "---\ntitle: {}", sentence(rng, 3, 7).trim_end_matches('.'));
    let _ = writeln!(
        t,
        "id: {id}\nstatus: uncommitted\ncommit: null\ncreated: 2026-11-{:02}T{:02}:{:02}:00Z",
        rng.range(1, 28),
        rng.range(0, 23),
        rng.range(0, 59)
    );
    let _ = writeln!(t, "model: {model}");
    if !pinned.is_empty() {
        let _ = writeln!(t, "skills: [{}]", pinned.join(", "));
    }
    t.push_str("---\n\n");
    let mut artifact_links = Vec::new();
    let mut missing_links = Vec::new();
    let mut turn = 0;
    loop {
        let done = match size {
            SessionSize::Turns(n) => turn >= n,
            SessionSize::Bytes(n) => t.len() >= n,
        };
        if done {
            break;
        }
        if turn % 2 == 0 {
            let _ = writeln!(t, "<!-- turn: user -->\n{}", sentence(rng, 6, 25));
            if rng.chance(30) {
                let _ = writeln!(t, "{}", sentence(rng, 4, 12));
            }
        } else {
            let _ = writeln!(t, "<!-- turn: assistant model={model} -->");
            for _ in 0..rng.range(1, 4) {
                let _ = writeln!(t, "{}\n", sentence(rng, 10, 30));
            }
            if rng.chance(70) {
                let (lang, ext) = *rng.pick(LANGUAGES);
                let _ = writeln!(t, "```{lang} artifact={}_{turn}.{ext}", rng.pick(TOPICS));
                for _ in 0..rng.range(3, 15) {
                    let _ = writeln!(t, "    {} = {}({}, {})", rng.pick(WORDS), rng.pick(TOPICS), rng.pick(WORDS), rng.range(0, 999));
                }
                t.push_str("```\n\n");
            }
            if rng.chance(50) {
                t.push_str("```trace\n$ run\nok in 12 ms\n```\n\n");
            }
            if rng.chance(60) {
                let kind = *rng.pick(ARTIFACT_KINDS);
                let target = format!("../artifacts/{id}/t{turn}-{kind}");
                // About one link in twelve points at a file that was never written.
                if rng.chance(8) {
                    missing_links.push(target.clone());
                } else {
                    let file = vol_dir.join("artifacts").join(id).join(format!("t{turn}-{kind}"));
                    files.add(file, artifact_content(rng, kind))?;
                    artifact_links.push(target.clone());
                }
                let _ = writeln!(t, "See [{}]({target}) for the {}.\n", kind, rng.pick(WORDS));
            }
        }
        t.push('\n');
        turn += 1;
    }
    // An open user turn at the end, as the editor leaves it after a reply.
    if turn % 2 == 0 {
        t.push_str("<!-- turn: user -->\n");
    }
    files.add(path.clone(), t)?;
    Ok(GeneratedSession { id: id.to_string(), volume, path, pinned, artifact_links, missing_links })
}

fn artifact_content(rng: &mut Rng, kind: &str) -> String {
    let mut s = String::new();
    if kind.ends_with(".csv") {
        s.push_str("x,y\n");
        for x in 0..rng.range(5, 40) {
            let _ = writeln!(s, "{x},{}", rng.range(0, 100));
        }
    } else if kind.ends_with(".circuit.json") {
        s.push_str(r#"{"numQubits": 2, "gates": [{"type": "H", "target": 0, "time": 0}, {"type": "CNOT", "control": 0, "target": 1, "time": 1}], "measurements": [0, 1]}"#);
    } else if kind.ends_with(".scene.json") {
        s.push_str(r#"{"objects": [{"type": "cube", "name": "box", "position": [0, 0, 0]}, {"type": "sphere", "name": "ball", "position": [1, 2, 3]}]}"#);
    } else if kind.ends_with(".plot.json") {
        let ys: Vec<String> = (0..rng.range(5, 20)).map(|_| rng.range(0, 50).to_string()).collect();
        let _ = write!(s, r#"{{"type": "line", "y": [{}]}}"#, ys.join(", "));
    } else {
        for _ in 0..rng.range(5, 30) {
            let _ = writeln!(s, "{}", sentence(rng, 5, 12));
        }
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Config, Index};

    fn files_under(dir: &Path) -> Vec<(PathBuf, Vec<u8>)> {
        let mut out: Vec<(PathBuf, Vec<u8>)> = walkdir::WalkDir::new(dir)
            .into_iter()
            .filter_map(Result::ok)
            .filter(|e| e.file_type().is_file())
            .map(|e| (e.path().strip_prefix(dir).unwrap().to_path_buf(), std::fs::read(e.path()).unwrap()))
            .collect();
        out.sort();
        out
    }

    #[test]
    fn counts_volumes_pins_and_links() {
        let dir = tempfile::tempdir().unwrap();
        let g = generate_workspace(dir.path(), 120, 90, 7).unwrap();
        assert_eq!(g.skills.len(), 120);
        assert_eq!(g.sessions.len(), 90);
        for kind in VolumeKind::ALL {
            assert!(g.skills.iter().any(|s| s.volume == kind), "no skill in {kind:?}");
            assert!(g.sessions.iter().any(|s| s.volume == kind), "no session in {kind:?}");
        }
        let names = g.skill_names();
        assert!(g.sessions.iter().flat_map(|s| &s.pinned).all(|p| names.contains(p)), "pins name existing skills");
        assert!(g.sessions.iter().any(|s| !s.pinned.is_empty()));
        let existing: usize = g.sessions.iter().map(|s| s.artifact_links.len()).sum();
        let missing: usize = g.sessions.iter().map(|s| s.missing_links.len()).sum();
        assert_eq!(existing, g.artifact_files);
        assert!(missing > 0 && missing < existing, "a few links dangle: {missing} of {}", existing + missing);
        for s in &g.sessions {
            let dir = s.path.parent().unwrap();
            for l in &s.artifact_links {
                assert!(dir.join(l).is_file(), "{l} should exist");
            }
            for l in &s.missing_links {
                assert!(!dir.join(l).exists(), "{l} should be missing");
            }
        }
        for s in &g.skills {
            let lines = std::fs::read_to_string(&s.path).unwrap().lines().count();
            assert!((30..=100).contains(&lines), "{} has {lines} lines", s.name);
        }
    }

    #[test]
    fn same_seed_same_bytes_other_seed_differs() {
        let (a, b, c) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
        generate_workspace(a.path(), 30, 30, 42).unwrap();
        generate_workspace(b.path(), 30, 30, 42).unwrap();
        generate_workspace(c.path(), 30, 30, 43).unwrap();
        assert_eq!(files_under(a.path()), files_under(b.path()));
        assert_ne!(files_under(a.path()), files_under(c.path()));
    }

    #[test]
    fn the_index_sees_every_document_with_its_pins() {
        let dir = tempfile::tempdir().unwrap();
        let g = generate_workspace(dir.path(), 60, 50, 1).unwrap();
        let (config, diags) = Config::load(dir.path());
        assert!(diags.is_empty(), "{diags:?}");
        let index = Index::build(&config);
        assert_eq!(index.skill_count(), 60);
        assert_eq!(index.session_count(), 50);
        for s in &g.skills {
            assert_eq!(index.skill_at(&s.path).map(|e| e.name.as_str()), Some(s.name.as_str()));
        }
        for s in &g.sessions {
            let entry = index.session_at(&s.path).unwrap();
            assert_eq!(entry.id, s.id);
            assert_eq!(entry.pinned, s.pinned);
            assert!(entry.first_prompt.is_some());
        }
    }

    #[test]
    fn generated_documents_lint_without_errors_except_dangling_links() {
        let dir = tempfile::tempdir().unwrap();
        let g = generate_workspace(dir.path(), 20, 20, 3).unwrap();
        let (config, _) = Config::load(dir.path());
        let index = Index::build(&config);
        let profile = config.profile;
        for path in g.skills.iter().map(|s| &s.path).chain(g.sessions.iter().map(|s| &s.path)) {
            let text = std::fs::read_to_string(path).unwrap();
            let errors: Vec<_> = crate::check::lint_document(&config, &index, path, &text, profile)
                .into_iter()
                .filter(|d| d.severity == llmos_documents::Severity::Error && d.rule != "session/broken-artifact")
                .collect();
            assert!(errors.is_empty(), "{}: {errors:?}", path.display());
        }
        let dangling: usize = g.sessions.iter().map(|s| s.missing_links.len()).sum();
        let reported: usize = g
            .sessions
            .iter()
            .map(|s| {
                let text = std::fs::read_to_string(&s.path).unwrap();
                crate::check::lint_document(&config, &index, &s.path, &text, profile).iter().filter(|d| d.rule == "session/broken-artifact").count()
            })
            .sum();
        assert_eq!(dangling, reported);
    }

    #[test]
    fn transcript_reaches_its_size_and_parses() {
        let dir = tempfile::tempdir().unwrap();
        let names = vec!["plot-csv-1".to_string(), "quantum-orbit-2".to_string()];
        let s = generate_transcript(dir.path(), VolumeKind::User, "big", 200_000, &names, 9).unwrap();
        let text = std::fs::read_to_string(&s.path).unwrap();
        assert!(text.len() >= 200_000 && text.len() < 210_000, "{}", text.len());
        let doc = llmos_documents::SessionDoc::parse(&text);
        assert!(doc.turns.len() > 100);
        assert!(doc.fences.iter().any(|f| f.artifact.is_some()));
        assert!(!s.artifact_links.is_empty() && !s.missing_links.is_empty());
    }

    #[test]
    fn an_unwritable_root_is_an_error_not_a_panic() {
        let dir = tempfile::tempdir().unwrap();
        let blocker = dir.path().join("file");
        std::fs::write(&blocker, "not a directory").unwrap();
        let err = generate_workspace(&blocker.join("ws"), 1, 1, 0).unwrap_err();
        assert!(err.to_string().contains("cannot write"), "{err}");
    }

    #[test]
    fn empty_requests_write_only_the_config() {
        let dir = tempfile::tempdir().unwrap();
        let g = generate_workspace(dir.path(), 0, 3, 5).unwrap();
        assert!(g.skills.is_empty());
        assert!(g.sessions.iter().all(|s| s.pinned.is_empty()), "nothing to pin without skills");
        assert!(dir.path().join("llmos.toml").is_file());
    }
}
