//! One-shot timing of local detection at 100,000 and 1,000,000 generated
//! records (criterion needs many samples, which at 1M takes minutes):
//! `cargo run --release -p llmos-evolution --example detect_scaling [N...]`.

use std::time::Instant;

use llmos_evolution::{Thresholds, VolumeKind, detect_local, synthetic::generate_history};

fn main() {
    let sizes: Vec<usize> = std::env::args().skip(1).filter_map(|a| a.parse().ok()).collect();
    let sizes = if sizes.is_empty() { vec![100_000, 1_000_000] } else { sizes };
    let mut previous: Option<(usize, f64)> = None;
    for n in sizes {
        let records = generate_history(n, 42, 5);
        let cpu_before = cpu_seconds();
        let start = Instant::now();
        let patterns = detect_local(&records);
        let seconds = start.elapsed().as_secs_f64();
        let cpu = cpu_seconds() - cpu_before;
        let kept = Thresholds::for_volume(VolumeKind::Team).filter(patterns.clone());
        println!(
            "{n} records: {seconds:.2} s wall, {cpu:.2} s CPU, {} clusters, {} kept (team thresholds), threads {}",
            patterns.len(),
            kept.len(),
            rayon::current_num_threads()
        );
        let one_offs = records.iter().filter(|r| llmos_evolution::synthetic::is_one_off(r.main_prompt())).count();
        let one_offs_kept: usize = kept.iter().flat_map(|p| p.prompts.iter()).filter(|q| llmos_evolution::synthetic::is_one_off(q)).count();
        println!("  one-offs in kept patterns: {one_offs_kept} of {one_offs}");
        for p in kept.iter().take(15) {
            println!("  {:<40} {:>7} {:.2}", p.name, p.occurrences, p.confidence);
        }
        if let Some((m, t)) = previous {
            println!("  {}x records -> {:.1}x time", n / m.max(1), seconds / t);
        }
        previous = Some((n, seconds));
    }
}

/// CPU time of this process (user + system), from /proc on Linux; 0 elsewhere.
/// Wall time on a shared machine says little; CPU time shows the work done.
fn cpu_seconds() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    let fields: Vec<&str> = stat.rsplit(')').next().unwrap_or("").split_whitespace().collect();
    let ticks = |i: usize| fields.get(i).and_then(|f| f.parse::<f64>().ok()).unwrap_or(0.0);
    (ticks(11) + ticks(12)) / 100.0
}
