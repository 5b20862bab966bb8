//! `cargo run --release -p corsmatch-benches --bin breakdown`: where an engine call's time
//! goes, by taking parts away (no ACRH, an origin that no automaton follows, actual
//! requests) on the 100-rule workload. Best of 15 runs of 200,000 calls each.
use corsmatch::{Request, Scratch};
use corsmatch_benches::*;
use std::hint::black_box;
use std::time::Instant;
/// Best per-call time over 15 runs.
fn t(name: &str, set: &corsmatch::RuleSet, req: &Request<'_>) {
    let mut s = Scratch::new();
    let mut best = f64::MAX;
    for _ in 0..15 {
        let n = 200_000;
        let t0 = Instant::now();
        for _ in 0..n {
            black_box(engine_response(set, black_box(req), &mut s));
        }
        best = best.min(t0.elapsed().as_nanos() as f64 / n as f64);
    }
    println!("{name}: {best:.1} ns");
}
fn main() {
    let set = rule_set(100);
    let o = allowed_origin(100);
    t("allowed full", &set, &allowed(&o));
    t("allowed no acrh", &set, &Request::preflight(Some(&o), Some("PUT"), None));
    t(
        "origin x, acrh",
        &set,
        &Request::preflight(Some("x"), Some("PUT"), Some("content-type,x-oss-meta-author,x-oss-meta-tag")),
    );
    t("origin x no acrh (denied render)", &set, &Request::preflight(Some("x"), Some("PUT"), None));
    t("actual GET x (no match, nothing)", &set, &Request::new("GET", Some("x")));
    t("actual GET allowed origin", &set, &Request::new("GET", Some(&o)));
    t("actual GET https://app50.example.org", &set, &Request::new("GET", Some("https://app50.example.org")));
}
