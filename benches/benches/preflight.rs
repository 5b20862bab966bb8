//! An allowed and a denied preflight, engine against reference, by rule count.

use corsmatch::Scratch;
use corsmatch_benches::{allowed, allowed_origin, denied, engine_response, reference_response, rule_set, SWEEP};
use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion};

fn preflight(c: &mut Criterion) {
    let mut g = c.benchmark_group("preflight");
    for n in SWEEP {
        let set = rule_set(n);
        let origin = allowed_origin(n);
        let ok = allowed(&origin);
        let bad = denied();
        let mut scratch = Scratch::new();
        g.bench_with_input(BenchmarkId::new("engine/allowed", n), &n, |b, _| {
            b.iter(|| engine_response(&set, &ok, &mut scratch))
        });
        g.bench_with_input(BenchmarkId::new("engine/denied", n), &n, |b, _| {
            b.iter(|| engine_response(&set, &bad, &mut scratch))
        });
        if n <= 1_000 {
            g.bench_with_input(BenchmarkId::new("reference/allowed", n), &n, |b, _| {
                b.iter(|| reference_response(&set, &ok))
            });
            g.bench_with_input(BenchmarkId::new("reference/denied", n), &n, |b, _| {
                b.iter(|| reference_response(&set, &bad))
            });
        }
    }
    g.finish();
}

criterion_group!(benches, preflight);
criterion_main!(benches);
