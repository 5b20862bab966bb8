//! A tight loop over one preflight (allowed, or denied with a third argument `deny`) at N
//! rules (default 100), for profilers: `valgrind --tool=callgrind target/release/profile_loop 100 20000`.
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
