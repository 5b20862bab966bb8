//! `cargo run --release -p corsmatch-benches --bin ratio`: one line per rule count with the
//! engine's and the reference's median time for an allowed and a denied preflight (whole
//! responses), the compile time and the compiled size. The engine and the reference run in
//! alternating batches, and `ratio` is the median of the rounds' ratios: both sides of a
//! ratio are timed at the same machine speed.

use std::hint::black_box;
use std::time::{Duration, Instant};

use corsmatch::Scratch;
use corsmatch_benches::{
    allowed, allowed_origin, config, denied, engine_response, options, paired_ns, reference_response,
};

fn main() {
    for n in [1usize, 3, 10, 100, 1_000, 10_000] {
        let cfg = config(n);
        let opts = options(n);
        let mut compile_samples: Vec<f64> = (0..if n >= 10_000 { 5 } else { 21 })
            .map(|_| {
                let c = cfg.clone();
                let t = Instant::now();
                let set = opts.compile(c).expect("valid");
                let us = t.elapsed().as_nanos() as f64 / 1000.0;
                black_box(set);
                us
            })
            .collect();
        compile_samples.sort_by(f64::total_cmp);
        let compile_us = compile_samples[compile_samples.len() / 2];
        let set = opts.compile(cfg).expect("valid");
        let origin = allowed_origin(n);
        let ok = allowed(&origin);
        let bad = denied();
        let mut scratch = Scratch::new();
        let allow = paired_ns(
            41,
            Duration::from_millis(2),
            || engine_response(&set, black_box(&ok), &mut scratch),
            || reference_response(&set, black_box(&ok)),
        );
        let deny = paired_ns(
            41,
            Duration::from_millis(2),
            || engine_response(&set, black_box(&bad), &mut scratch),
            || reference_response(&set, black_box(&bad)),
        );
        println!(
            "rules={n} engine_ns={:.1} reference_ns={:.1} ratio={:.1} deny_engine_ns={:.1} deny_reference_ns={:.1} deny_ratio={:.1} compile_us={compile_us:.1} bytes={}",
            allow.a_ns,
            allow.b_ns,
            allow.ratio,
            deny.a_ns,
            deny.b_ns,
            deny.ratio,
            set.memory_usage()
        );
    }
}
