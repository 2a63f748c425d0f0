//! Budget (issue 13): `llmos check` on 10,000 skills + 10,000 sessions in ≤ 1 s, on
//! 100,000 + 100,000 in ≤ 10 s with ≤ 1 GB peak RSS, and linear: 5× the files in ≤ 6×
//! the time. Files in the page cache (one warm-up run per size).
//!
//! Each run is a fresh child process of this binary that runs the CLI's own entry point
//! (`llmos check <root> --format json`, its output thrown away), so the peak RSS
//! (`VmHWM`) is that run's alone and the JSON rendering is counted.
//!
//! Knobs (environment): `LLMOS_BENCH_CHECK_SIZES` (skills = sessions per size,
//! `10000,20000,100000`: the budgets and one pair five times apart), `LLMOS_BENCH_RUNS` (2), `LLMOS_BENCH_SEED` (1),
//! `LLMOS_BENCH_KEEP` (a folder: generated workspaces are kept there and reused, since
//! writing 100,000 + 100,000 takes minutes; without it they go to a temp folder).

mod support;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Instant;

use serde_json::json;
use support::{Stats, env_usize, rss_kib};

const CHILD_ENV: &str = "LLMOS_BENCH_CHECK_CHILD";

/// (files per kind, budget in ms, budget in MB).
const BUDGETS: &[(usize, f64, f64)] = &[(10_000, 1000.0, f64::INFINITY), (100_000, 10_000.0, 1024.0)];

fn main() {
    if let Ok(root) = std::env::var(CHILD_ENV) {
        child(Path::new(&root));
        return;
    }
    let sizes: Vec<usize> =
        std::env::var("LLMOS_BENCH_CHECK_SIZES").unwrap_or_else(|_| "10000,20000,100000".into()).split(',').filter_map(|s| s.trim().parse().ok()).collect();
    let runs = env_usize("LLMOS_BENCH_RUNS", 2).max(1);
    let seed = env_usize("LLMOS_BENCH_SEED", 1) as u64;
    let keep = std::env::var("LLMOS_BENCH_KEEP").ok().map(PathBuf::from);
    let temp = tempfile::Builder::new().prefix("llmos-bench-check-").tempdir().expect("temp dir");
    let exe = std::env::current_exe().expect("own path");
    let mut medians: Vec<(usize, f64, f64)> = Vec::new();
    for &n in &sizes {
        let root = keep.as_deref().unwrap_or(temp.path()).join(format!("ws-{n}-{n}-seed{seed}"));
        prepare(&root, n, seed);
        let mut times = Vec::new();
        let mut cpus = Vec::new();
        let mut peaks = Vec::new();
        for run in 0..=runs {
            let out = Command::new(&exe).env(CHILD_ENV, &root).stdout(Stdio::null()).stderr(Stdio::piped()).output().expect("run child");
            let stderr = String::from_utf8_lossy(&out.stderr);
            let line = stderr.lines().find(|l| l.starts_with('{')).unwrap_or_else(|| panic!("child result line missing: {stderr}"));
            let r: serde_json::Value = serde_json::from_str(line).expect("child json");
            println!("{n}+{n} {} {line}", if run == 0 { "warm-up" } else { "run    " });
            if run > 0 {
                times.push(r["ms"].as_f64().unwrap_or(f64::NAN));
                cpus.push(r["cpu_ms"].as_f64().unwrap_or(f64::NAN));
                peaks.push(r["peak_rss_kib"].as_f64().unwrap_or(f64::NAN) / 1024.0);
            }
        }
        let budget = BUDGETS.iter().find(|(size, _, _)| *size == n);
        let time = Stats::new(times);
        let peak = Stats::new(peaks);
        println!("{}", time.report(&format!("llmos check {n}+{n}"), budget.map(|b| b.1)));
        let cpu = Stats::new(cpus);
        println!("{}", cpu.report(&format!("  CPU time (user+sys, all threads) {n}+{n}"), None));
        let mb_budget = budget.map_or(f64::INFINITY, |b| b.2);
        let verdict = if mb_budget.is_infinite() {
            String::new()
        } else if peak.quantile(1.0) <= mb_budget {
            format!("budget ≤ {mb_budget} MB: OK")
        } else {
            format!("budget ≤ {mb_budget} MB: MISSED")
        };
        println!("peak RSS {n}+{n}: median {:.1} MB, max {:.1} MB {verdict}\n", peak.median(), peak.quantile(1.0));
        medians.push((n, time.median(), cpu.median()));
    }
    // Linearity: every pair of sizes five times apart, in wall and in CPU time.
    for &(small, t_small, c_small) in &medians {
        if let Some(&(big, t_big, c_big)) = medians.iter().find(|(m, _, _)| *m == small * 5) {
            let (ratio, cpu_ratio) = (t_big / t_small, c_big / c_small);
            let verdict = if ratio <= 6.0 { "OK" } else { "MISSED" };
            println!("{big}+{big} vs {small}+{small}: {ratio:.2}× the time ({cpu_ratio:.2}× the CPU time) for 5× the files; budget ≤ 6×: {verdict}");
        }
    }
}

/// Writes the workspace unless a finished one is already there.
fn prepare(root: &Path, n: usize, seed: u64) {
    let done = root.join(".generated");
    if done.is_file() {
        println!("workspace {n}+{n}: reusing {}", root.display());
        return;
    }
    let t = Instant::now();
    let g = llmos_workspace::generate::generate_workspace(root, n, n, seed).expect("generate workspace");
    std::fs::write(&done, "").expect("mark workspace");
    println!("workspace {n}+{n}: {} artifact files, generated in {:.1} s into {}", g.artifact_files, t.elapsed().as_secs_f64(), root.display());
}

/// One measured `llmos check`; prints one JSON line on stderr (stdout is the check's).
fn child(root: &Path) {
    let (base, _) = rss_kib();
    let t = Instant::now();
    let code = llmos_server::cli::check::run(vec![root.to_path_buf()], None, llmos_server::cli::Format::Json);
    let ms = t.elapsed().as_secs_f64() * 1e3;
    let (peak, _) = rss_kib();
    eprintln!("{}", json!({ "ms": ms, "cpu_ms": cpu_ms(), "peak_rss_kib": peak, "base_rss_kib": base, "exit": format!("{code:?}") }));
}

/// CPU time of this process (user + system, all threads) in milliseconds: on the shared
/// 2-core machine wall time swings with other builds, CPU time much less.
fn cpu_ms() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    // Fields after the command name (in parentheses, may hold spaces); utime and stime
    // are the 12th and 13th after it, in 10 ms ticks.
    let rest = stat.rsplit_once(')').map_or("", |(_, r)| r);
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let ticks = |i: usize| fields.get(i).and_then(|v| v.parse::<f64>().ok()).unwrap_or(0.0);
    (ticks(11) + ticks(12)) * 10.0
}
