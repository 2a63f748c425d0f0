//! Budget (docs/design.md §11): evolution with local detection over 100,000 session commits,
//! end to end — read the history, parse the messages and the session files, detect,
//! `--dry-run` — in ≤ 5 s; and 10× the commits in ≤ 12× the time.
//!
//! `cargo bench -p llmos --bench evolution` runs 100,000 commits;
//! `LLMOS_BENCH_SCALE=1` also runs 1,000,000 and prints the ratio. The repositories are
//! built once with `git fast-import` and cached under the target directory.

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use llmos_documents::VolumeKind;
use llmos_engine::evolve::{RunOptions, run};
use llmos_vcs::commit_message::render;
use llmos_vcs::{ArtifactRef, ContextMemory};

const START_TIME: i64 = 1_700_000_000;

fn cache_dir() -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR").map(PathBuf::from).unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target"));
    target.join("llmos-bench")
}

/// Distinct session files. A session is committed many times as it grows, and one
/// folder of 100,000 files would make every commit rewrite a huge tree (fast-import
/// then takes hours); 2,000 sessions committed 50 times each is also closer to real use.
const SESSIONS: usize = 2_000;

/// A workspace whose user volume holds `n` session commits over [`SESSIONS`] files.
fn workspace(n: usize) -> PathBuf {
    let root = cache_dir().join(format!("evolution-{n}"));
    let repo = root.join("volumes/user");
    if repo.join(".git/llmos-bench-complete").exists() {
        return root;
    }
    let _ = std::fs::remove_dir_all(&root);
    std::fs::create_dir_all(&repo).unwrap();
    let ok = Command::new("git").arg("-C").arg(&repo).args(["init", "-q", "--initial-branch=main"]).status().unwrap().success();
    assert!(ok, "git init");
    let records = llmos_evolution::synthetic::generate_history(n, 7, 10);
    let mut import = Command::new("git").arg("-C").arg(&repo).args(["fast-import", "--quiet"]).stdin(Stdio::piped()).spawn().expect("git fast-import");
    {
        let mut w = std::io::BufWriter::new(import.stdin.take().unwrap());
        for (i, r) in records.iter().enumerate() {
            let id = format!("s{}", i % SESSIONS);
            let memory = ContextMemory {
                title: r.title.clone(),
                prompt: r.prompts.first().cloned().unwrap_or_default(),
                messages: 2,
                artifacts: r.artifacts.iter().map(|(k, n)| ArtifactRef { kind: k.clone(), name: n.clone() }).collect(),
                traces: r.traces,
                session: id.clone(),
                skills: r.skills.clone(),
                model: Some("m".into()),
                tokens: None,
            };
            let message = render(&memory);
            let mut file = format!(
                "---\ntitle: {}\nid: {id}\nstatus: committed\n---\n\n<!-- turn: user -->\n{}\n\n<!-- turn: assistant -->\nDone.\n",
                r.title.replace(':', " "),
                memory.prompt
            );
            for extra in r.prompts.iter().skip(1) {
                file.push_str(&format!("\n<!-- turn: user -->\n{extra}\n\n<!-- turn: assistant -->\nOk.\n"));
            }
            let time = START_TIME + i as i64 * 60;
            writeln!(w, "commit refs/heads/main\ncommitter Bench <bench@example.com> {time} +0000\ndata {}\n{message}", message.len()).unwrap();
            writeln!(w, "M 100644 inline sessions/{id}.md\ndata {}\n{file}", file.len()).unwrap();
        }
    }
    assert!(import.wait().unwrap().success(), "fast-import");
    let _ = Command::new("git").arg("-C").arg(&repo).args(["repack", "-adq"]).status();
    std::fs::write(repo.join(".git/llmos-bench-complete"), "").unwrap();
    std::fs::write(root.join("llmos.toml"), "").unwrap();
    root
}

fn measure(root: &Path, runs: usize) -> (Duration, usize, usize) {
    let (config, _) = llmos_workspace::Config::load(root);
    let options = RunOptions {
        volume: VolumeKind::User,
        since: Some(time::OffsetDateTime::now_utc() - Duration::from_secs(100 * 365 * 86_400)),
        dry_run: true,
        detector: Some("local".into()),
    };
    let mut times = Vec::new();
    let mut last = (0, 0);
    for _ in 0..runs {
        let t = Instant::now();
        let out = run(&config, &options, None, &|_| {}, &|| false).expect("evolution runs");
        times.push(t.elapsed());
        last = (out.result.commits_analyzed, out.result.patterns.len());
    }
    times.sort();
    (times[times.len() / 2], last.0, last.1)
}

fn main() {
    if std::env::args().any(|a| a == "--list") {
        println!("evolution: benchmark");
        return;
    }
    let n = 100_000;
    let t = Instant::now();
    let root = workspace(n);
    eprintln!("workspace ready in {:.1?}", t.elapsed());
    let (median, commits, patterns) = measure(&root, 3);
    println!(
        "evolution, local detection, {commits} session commits, end to end (--dry-run): median {:.2} s ({patterns} patterns) — budget ≤ 5 s",
        median.as_secs_f64()
    );
    if std::env::var_os("LLMOS_BENCH_SCALE").is_some() {
        let big = workspace(10 * n);
        let (big_median, big_commits, _) = measure(&big, 1);
        println!(
            "evolution, {big_commits} session commits: {:.2} s; ratio {:.1}× for 10× the commits — budget ≤ 12×",
            big_median.as_secs_f64(),
            big_median.as_secs_f64() / median.as_secs_f64()
        );
    }
}
