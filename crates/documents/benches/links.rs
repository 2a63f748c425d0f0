//! Link extraction stays linear on one long line of links (a quadratic scan took 14× the
//! time for 4× the input and held the workspace lock for seconds). Prints the time per
//! link at 64k and 1M links (both past the CPU caches, which make a small input look
//! faster per link than it is) and fails when 16× the links takes more than 32× the
//! time; a quadratic scan takes about 256×. `LLMOS_BENCH_LINKS=4000,64000` prints more
//! sizes.
//! `cargo bench -p llmos-documents --bench links`

use std::time::{Duration, Instant};

fn time(n: usize) -> Duration {
    let text = "[a](b)".repeat(n);
    (0..5)
        .map(|_| {
            let t = Instant::now();
            let found = llmos_documents::links::extract(&text, 0..text.len()).len();
            assert_eq!(found, n);
            t.elapsed()
        })
        .min()
        .unwrap_or_default()
}

fn main() {
    if let Ok(list) = std::env::var("LLMOS_BENCH_LINKS") {
        for n in list.split(',').filter_map(|n| n.parse::<usize>().ok()) {
            println!("{n} links: {:.1} ns/link", time(n).as_nanos() as f64 / n as f64);
        }
    }
    let small = time(64_000);
    let large = time(1_024_000);
    let ratio = large.as_secs_f64() / small.as_secs_f64().max(1e-9);
    println!(
        "links: 64k {:.1} ns/link, 1M {:.1} ns/link, 16x the links took {ratio:.1}x the time",
        small.as_nanos() as f64 / 64e3,
        large.as_nanos() as f64 / 1024e3
    );
    if ratio > 32.0 {
        eprintln!("link extraction is no longer linear");
        std::process::exit(1);
    }
}
