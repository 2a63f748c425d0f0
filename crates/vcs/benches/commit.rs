//! Budgets of docs/design.md §11 for the git layer:
//! - commit a session in a repository with 100,000 commits: ≤ 50 ms;
//! - read and parse the session history of 100,000 commits: well under the
//!   5 s evolution budget, which also has to detect patterns.
//!
//! The repository is built once with `git fast-import` (needs `git` on PATH)
//! and cached under the target directory; each run resets its branch first.

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use criterion::{Criterion, criterion_group, criterion_main};
use llmos_vcs::commit_message::{render, render_skill_subject};
use llmos_vcs::{ArtifactRef, CommitId, ContextMemory, HistoryOptions, Volume};

const COMMITS: usize = 100_000;
const SESSION_FILES: usize = 500;
const START_TIME: i64 = 1_700_000_000;

fn git(dir: &Path, args: &[&str]) {
    let status = Command::new("git").arg("-C").arg(dir).args(args).status().expect("git must be on PATH for this benchmark");
    assert!(status.success(), "git {args:?} failed");
}

fn memory(index: usize) -> ContextMemory {
    ContextMemory {
        title: format!("Session {index} about topic {}", index % 37),
        prompt: format!("Create a circuit number {index} for molecule {} with an ansatz and an optimizer", index % 91),
        messages: 2 + index % 20,
        artifacts: vec![
            ArtifactRef { kind: "code".to_owned(), name: format!("file_{index}.py") },
            ArtifactRef { kind: "quantum-circuit".to_owned(), name: format!("circuit_{}", index % 13) },
        ],
        traces: index % 7,
        session: format!("s{}", index % SESSION_FILES),
        skills: vec!["quantum-optimization".to_owned()],
        model: Some("claude-sonnet-4-5".to_owned()),
        tokens: None,
    }
}

/// The cached 100,000-commit repository and its original tip.
fn big_repository() -> (PathBuf, String) {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("llmos-vcs-bench-100k");
    let ready = dir.join(".git/llmos-bench-base");
    if let Ok(base) = std::fs::read_to_string(&ready) {
        return (dir, base.trim().to_owned());
    }
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    git(&dir, &["init", "-q", "-b", "main"]);
    git(&dir, &["config", "user.name", "Bench"]);
    git(&dir, &["config", "user.email", "bench@example.com"]);

    let started = std::time::Instant::now();
    let mut import = Command::new("git").arg("-C").arg(&dir).args(["fast-import", "--quiet"]).stdin(Stdio::piped()).spawn().unwrap();
    let mut stream = std::io::BufWriter::new(import.stdin.take().unwrap());
    for index in 0..COMMITS {
        // One commit in ten is not a session, as in a volume where skills evolve.
        let message = if index % 10 == 9 { render_skill_subject(&format!("skill-{}", index % 50), 3, 0.9) } else { render(&memory(index)) };
        let time = START_TIME + index as i64 * 60;
        let content = format!("---\ntitle: Session {index}\n---\n\n<!-- turn: user -->\nprompt {index}\n");
        write!(stream, "commit refs/heads/main\nmark :{}\ncommitter Bench <bench@example.com> {time} +0000\ndata {}\n{message}\n", index + 1, message.len())
            .unwrap();
        if index > 0 {
            writeln!(stream, "from :{index}").unwrap();
        }
        write!(stream, "M 100644 inline sessions/s{}.md\ndata {}\n{content}\n", index % SESSION_FILES, content.len()).unwrap();
    }
    drop(stream);
    assert!(import.wait().unwrap().success(), "git fast-import failed");
    git(&dir, &["reset", "-q", "--hard", "main"]);
    let volume = Volume::open(&dir).unwrap();
    let base = volume.head().unwrap().unwrap().sha();
    std::fs::write(&ready, &base).unwrap();
    eprintln!("built {COMMITS} commits in {:?}", started.elapsed());
    (dir, base)
}

fn benches(c: &mut Criterion) {
    let (dir, base) = big_repository();
    git(&dir, &["reset", "-q", "--hard", &base]);
    let volume = Volume::open(&dir).unwrap();
    let session = dir.join("sessions/bench-session.md");
    let message = render(&memory(7));

    let mut round = 0usize;
    c.bench_function("commit_file session, 100k-commit repo (budget 50 ms)", |b| {
        b.iter(|| {
            round += 1;
            volume
                .commit_file_with(&session, &message, |base: Option<&CommitId>| {
                    let base = base.map_or("null".to_owned(), CommitId::sha);
                    format!("---\ntitle: Bench\nstatus: committed\ncommit: {base}\n---\n\n<!-- turn: user -->\nround {round}\n").into_bytes()
                })
                .unwrap()
        })
    });
    git(&dir, &["reset", "-q", "--hard", &base]);

    let mut group = c.benchmark_group("history");
    group.sample_size(10);
    group.bench_function("100k commits, parse all", |b| {
        b.iter(|| {
            let entries = volume.history(&HistoryOptions::default()).unwrap();
            assert_eq!(entries.len(), COMMITS / 10 * 9);
            entries
        })
    });
    // Touched paths cost a tree comparison per commit; measured on the
    // newest 10,000 session commits to keep the run short.
    group.bench_function("10k session commits + session paths", |b| {
        b.iter(|| volume.history(&HistoryOptions { session_paths: true, limit: Some(10_000), ..HistoryOptions::default() }).unwrap())
    });
    group.finish();
}

criterion_group!(commit, benches);
criterion_main!(commit);
