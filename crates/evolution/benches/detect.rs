//! Local detection over generated histories (docs/design.md §11: the whole pipeline
//! over 100,000 session commits ≤ 5 s, 10× commits ≤ 12× time; detection's
//! share is aimed at ≤ 2 s on 2 cores).

use criterion::{Criterion, criterion_group, criterion_main};
use llmos_evolution::{detect_local, synthetic::generate_history};

fn local_detection(c: &mut Criterion) {
    let mut group = c.benchmark_group("detect_local");
    group.sample_size(10);
    // 1M records take ~15 s per iteration and criterion wants ten: opt in with
    // LLMOS_BENCH_1M=1, or use `--example detect_scaling` for a one-shot figure.
    let mut sizes = vec![100_000usize];
    if std::env::var_os("LLMOS_BENCH_1M").is_some() {
        sizes.push(1_000_000);
    }
    for n in sizes {
        let records = generate_history(n, 42, 5);
        group.bench_function(format!("{n}"), |b| b.iter(|| detect_local(std::hint::black_box(&records))));
    }
    group.finish();
}

criterion_group!(benches, local_detection);
criterion_main!(benches);
