//! The Rust side of the C ABI benchmark: `RuleSet::evaluate` timed directly on the workload
//! and the requests of `ffi-c/bench/bench.c`, with the same loop (best of 5 rounds), so the
//! difference between the two is the cost of crossing the C boundary.
//!
//! `cargo run --release -p corsmatch-ffi --example evaluate_bench -- WORKLOAD.xml [ITERATIONS [CASE]]`
//! (ffi-c/bench/run.sh runs both).

use std::hint::black_box;
use std::time::Instant;

use corsmatch::{Options, Profile, Scratch};

#[path = "../bench/cases.rs"]
mod cases;

fn main() {
    let mut args = std::env::args().skip(1);
    let path = args.next().expect("usage: evaluate_bench WORKLOAD.xml [ITERATIONS [CASE]]");
    let iterations: u64 = args.next().map_or(2_000_000, |n| n.parse().expect("ITERATIONS is a number"));
    let only = args.next();
    let xml = std::fs::read(&path).expect("read the workload");
    let rules = Options::new(Profile::S3).compile_xml(&xml).expect("the workload compiles");
    let cases = cases::cases();
    let mut scratch = Scratch::new();
    println!("rules: {}, iterations: {iterations}, best of 5 rounds", rules.config().map_or(0, |c| c.rules.len()));
    for case in cases.iter().filter(|c| only.as_deref().is_none_or(|o| o == c.name)) {
        let d = rules.evaluate(&case.req, &mut scratch);
        assert_eq!((d.status, d.rule), (case.status, case.rule), "{}: unexpected answer", case.name);
        let mut best = f64::MAX;
        for _ in 0..5 {
            let start = Instant::now();
            for _ in 0..iterations {
                let d = rules.evaluate(black_box(&case.req), &mut scratch);
                black_box((d.headers().count(), d.status));
            }
            best = best.min(start.elapsed().as_nanos() as f64 / iterations as f64);
        }
        println!("rust  {:<18} {:>8.1} ns/call", case.name, best);
    }
}
