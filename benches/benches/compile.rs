//! How long compiling a configuration takes, by rule count.

use corsmatch_benches::{config, options, SWEEP};
use criterion::{criterion_group, criterion_main, BatchSize, BenchmarkId, Criterion};

fn compile(c: &mut Criterion) {
    let mut g = c.benchmark_group("compile");
    g.sample_size(10);
    for n in SWEEP {
        let cfg = config(n);
        let opts = options(n);
        g.bench_with_input(BenchmarkId::new("engine", n), &n, |b, _| {
            b.iter_batched(|| cfg.clone(), |c| opts.compile(c).expect("valid"), BatchSize::LargeInput)
        });
    }
    g.finish();
}

criterion_group!(benches, compile);
criterion_main!(benches);
