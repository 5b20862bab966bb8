//! An actual GET from an allowed origin (the headers to add), engine against reference.

use corsmatch::Scratch;
use corsmatch_benches::{actual, engine_response, reference_response, rule_set, SWEEP};
use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion};

fn actual_request(c: &mut Criterion) {
    let mut g = c.benchmark_group("actual");
    for n in SWEEP {
        let set = rule_set(n);
        let origin = format!("https://app{}.example.org", n - 1);
        let req = actual(&origin);
        let mut scratch = Scratch::new();
        g.bench_with_input(BenchmarkId::new("engine", n), &n, |b, _| {
            b.iter(|| engine_response(&set, &req, &mut scratch))
        });
        if n <= 1_000 {
            g.bench_with_input(BenchmarkId::new("reference", n), &n, |b, _| b.iter(|| reference_response(&set, &req)));
        }
    }
    g.finish();
}

criterion_group!(benches, actual_request);
criterion_main!(benches);
