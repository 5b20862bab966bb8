//! A tight loop over one request at N rules (default 100), for profilers:
//! `perf record -e cpu-clock target/release/profile_loop 100 20000000`, or
//! `valgrind --tool=callgrind target/release/profile_loop 100 20000`. The third argument picks
//! the request: the allowed preflight (default), `deny`, `noacrh` (the allowed preflight
//! without ACRH) or `getx` (a GET from an origin nothing matches).
use std::hint::black_box;

use corsmatch::{Request, Scratch};
use corsmatch_benches::{allowed, allowed_origin, denied, engine_response, rule_set};

fn main() {
    let n: usize = std::env::args().nth(1).and_then(|a| a.parse().ok()).unwrap_or(100);
    let iters: usize = std::env::args().nth(2).and_then(|a| a.parse().ok()).unwrap_or(2_000_000);
    let set = rule_set(n);
    let origin = allowed_origin(n);
    let req = match std::env::args().nth(3).as_deref() {
        Some("deny") => denied(),
        Some("noacrh") => Request::preflight(Some(&origin), Some("PUT"), None),
        Some("getx") => Request::new("GET", Some("x")),
        _ => allowed(&origin),
    };
    let mut scratch = Scratch::new();
    let mut total = 0;
    for _ in 0..iters {
        total += engine_response(&set, black_box(&req), &mut scratch);
    }
    println!("{total}");
}
