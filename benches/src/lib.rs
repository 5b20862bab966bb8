//! Workloads shared by the criterion benchmarks and the `ratio` report (issue 3's workload):
//! rule `i` allows `https://app{i}.example.org` and `https://*.t{i}.example.com`, methods GET,
//! PUT, POST, headers `content-type`, `x-oss-meta-*`, `authorization`, exposes `ETag` and
//! `x-oss-request-id`, max age 600.

use std::hint::black_box;
use std::time::{Duration, Instant};

use corsmatch::{CorsConfig, CorsRule, Options, Profile, Request, RuleSet, Scratch};

/// The rule counts the benchmarks sweep.
pub const SWEEP: [usize; 5] = [1, 10, 100, 1_000, 10_000];

/// The workload's configuration with `n` rules.
pub fn config(n: usize) -> CorsConfig {
    let rules = (0..n)
        .map(|i| CorsRule {
            id: None,
            allowed_origins: vec![format!("https://app{i}.example.org"), format!("https://*.t{i}.example.com")],
            allowed_methods: vec!["GET".into(), "PUT".into(), "POST".into()],
            allowed_headers: vec!["content-type".into(), "x-oss-meta-*".into(), "authorization".into()],
            expose_headers: vec!["ETag".into(), "x-oss-request-id".into()],
            max_age_seconds: Some(600),
        })
        .collect();
    CorsConfig { rules, response_vary: None }
}

/// OSS semantics with the rule limit raised to `n`.
pub fn options(n: usize) -> Options {
    Options::new(Profile::Oss).max_rules(n.max(1))
}

/// The workload compiled.
pub fn rule_set(n: usize) -> RuleSet {
    options(n).compile(config(n)).expect("the workload is valid")
}

/// The allowed preflight's origin: it matches only the last rule.
pub fn allowed_origin(n: usize) -> String {
    format!("https://www.t{}.example.com", n - 1)
}

/// The allowed preflight: PUT with three headers, from the last rule's wildcard origin.
pub fn allowed(origin: &str) -> Request<'_> {
    Request::preflight(Some(origin), Some("PUT"), Some("content-type,x-oss-meta-author,x-oss-meta-tag"))
}

/// The denied preflight: an origin no rule allows.
pub fn denied() -> Request<'static> {
    Request::preflight(
        Some("https://evil.example.net"),
        Some("PUT"),
        Some("content-type,x-oss-meta-author,x-oss-meta-tag"),
    )
}

/// An actual GET from the last rule's exact origin.
pub fn actual(origin: &str) -> Request<'_> {
    Request::new("GET", Some(origin))
}

/// A whole engine response: the decision, its headers and its body, folded into a number
/// so that nothing is optimised away.
pub fn engine_response(set: &RuleSet, req: &Request<'_>, scratch: &mut Scratch) -> usize {
    let d = set.evaluate(req, scratch);
    let mut n = d.status.unwrap_or(0) as usize + d.rule.unwrap_or(0);
    for (name, value) in d.headers() {
        n += name.len() + value.len();
    }
    if let Some(r) = d.refused {
        n += r.body.len() + r.message.len();
    }
    n
}

/// The reference matcher's whole response, folded the same way.
pub fn reference_response(set: &RuleSet, req: &Request<'_>) -> usize {
    let r = corsmatch::reference::respond(set.config(), set.options(), req);
    let mut n = r.status.unwrap_or(0) as usize + r.rule.unwrap_or(0);
    for (name, value) in &r.headers {
        n += name.len() + value.len();
    }
    if let Some(e) = &r.error {
        n += e.body.len() + e.message.len();
    }
    n
}

/// How many calls of `f` take at least `min_batch` (at most 2^24), long enough for the clock
/// to be precise.
fn batch_size(min_batch: Duration, f: &mut impl FnMut() -> usize) -> u64 {
    let mut per_batch = 1u64;
    loop {
        let t = Instant::now();
        for _ in 0..per_batch {
            black_box(f());
        }
        if t.elapsed() >= min_batch || per_batch >= 1 << 24 {
            return per_batch;
        }
        per_batch *= 2;
    }
}

/// The mean time of one call of `f` over `calls` calls, in ns.
fn batch_ns(calls: u64, f: &mut impl FnMut() -> usize) -> f64 {
    let t = Instant::now();
    for _ in 0..calls {
        black_box(f());
    }
    t.elapsed().as_nanos() as f64 / calls as f64
}

fn median(mut samples: Vec<f64>) -> f64 {
    samples.sort_by(f64::total_cmp);
    samples[samples.len() / 2]
}

/// The median over `batches` batches of the mean time of one call of `f`, in ns. Each batch
/// runs at least `min_batch` (or 2^24 calls).
pub fn median_ns(batches: usize, min_batch: Duration, mut f: impl FnMut() -> usize) -> f64 {
    let calls = batch_size(min_batch, &mut f);
    median((0..batches).map(|_| batch_ns(calls, &mut f)).collect())
}

/// Two functions timed in alternating batches, so that both see the machine at the same speed
/// (this VM's speed drifts by 2x within minutes): the median time of each, and the medians of
/// the per-round ratios `b / a` and differences `b - a`.
#[derive(Debug, Clone, Copy)]
pub struct Paired {
    pub a_ns: f64,
    pub b_ns: f64,
    pub ratio: f64,
    pub diff_ns: f64,
}

/// [`median_ns`] for `a` and `b` at once, one batch of each per round.
pub fn paired_ns(
    rounds: usize,
    min_batch: Duration,
    mut a: impl FnMut() -> usize,
    mut b: impl FnMut() -> usize,
) -> Paired {
    let (calls_a, calls_b) = (batch_size(min_batch, &mut a), batch_size(min_batch, &mut b));
    let rounds: Vec<(f64, f64)> = (0..rounds).map(|_| (batch_ns(calls_a, &mut a), batch_ns(calls_b, &mut b))).collect();
    Paired {
        a_ns: median(rounds.iter().map(|r| r.0).collect()),
        b_ns: median(rounds.iter().map(|r| r.1).collect()),
        ratio: median(rounds.iter().map(|r| r.1 / r.0).collect()),
        diff_ns: median(rounds.iter().map(|r| r.1 - r.0).collect()),
    }
}
