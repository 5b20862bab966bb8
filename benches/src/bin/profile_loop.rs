//! A tight loop over one allowed preflight at 100 rules, for profilers (perf, callgrind).
use std::hint::black_box;

use corsmatch::Scratch;
use corsmatch_benches::{allowed, allowed_origin, engine_response, rule_set};

fn main() {
    let n: usize = std::env::args().nth(1).and_then(|a| a.parse().ok()).unwrap_or(100);
    let iters: usize = std::env::args().nth(2).and_then(|a| a.parse().ok()).unwrap_or(2_000_000);
    let set = rule_set(n);
    let origin = allowed_origin(n);
    let req = allowed(&origin);
    let mut scratch = Scratch::new();
    let mut total = 0;
    for _ in 0..iters {
        total += engine_response(&set, black_box(&req), &mut scratch);
    }
    println!("{total}");
}
