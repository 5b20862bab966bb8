//! `cargo run --release -p corsmatch-benches --bin buckets -- [--buckets N] [--threads T]`:
//! the rule sets of a storage node with many buckets (default 1,000,000), compiled (a) each
//! separately with `Options::compile_xml` and (b) through one `corsmatch::Interner`. For each it
//! reports the compile time (total and per bucket), the bytes the rule sets hold (counted by
//! this binary's global allocator: live bytes after minus before), the sum of
//! `RuleSet::memory_usage()` (per bucket, and over distinct sets), and the process's resident
//! set (`VmRSS`, `VmHWM`). Each mode runs in a child process of its own (`--only MODE`), so
//! that one mode's freed memory does not show in the other's RSS. It ends with the hit path's
//! cost: an interned compile of a document already interned, next to a parse alone and a plain
//! compile.
//!
//! The mix, per 100 buckets (bucket `i` picks its kind by a hash of `i`), all OSS with the
//! profile's default options:
//!
//! | share | configuration | distinct |
//! |---|---|---|
//! | 30 | public read: `*`, GET and HEAD | 1 |
//! | 20 | one app: `https://app.example.com`, GET/PUT/POST, 3 headers, ETag, max age 3600 | 1 |
//! | 15 | the ratio workload's one-rule set (`corsmatch_benches::config(1)`) | 1 |
//! | 10 | the ratio workload's three-rule set (`config(3)`) | 1 |
//! | 15 | a company template shared by its buckets: `https://www.company{k}.com` and `https://*.company{k}.com`, every method, header `*`; `k` of 1,000 | 1,000 |
//! | 10 | a tenant's own: `https://tenant{i}.example.net` and its subdomains, GET/PUT/HEAD, header `*`, ETag, max age 600 | one per bucket |
//!
//! Each shared configuration comes in three formattings as different tools write them (the
//! compact `to_xml` form; one element per line with the XML declaration; a namespace and a
//! comment), which an interner must treat as one. Documents are generated before the clock
//! and the allocator count start.

use std::alloc::{GlobalAlloc, Layout, System};
use std::hint::black_box;
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use corsmatch::{CorsConfig, CorsRule, Interner, Options, Profile, RuleSet};
use corsmatch_benches::median_ns;

/// Counts the bytes live on the heap, and their peak.
struct Counting;

static LIVE: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

fn grew(by: usize) {
    let now = LIVE.fetch_add(by, Ordering::Relaxed) + by;
    PEAK.fetch_max(now, Ordering::Relaxed);
}

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: forwarded as given.
        let p = unsafe { System.alloc(layout) };
        if !p.is_null() {
            grew(layout.size());
        }
        p
    }
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        // SAFETY: forwarded as given.
        let p = unsafe { System.alloc_zeroed(layout) };
        if !p.is_null() {
            grew(layout.size());
        }
        p
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: forwarded as given.
        unsafe { System.dealloc(ptr, layout) };
        LIVE.fetch_sub(layout.size(), Ordering::Relaxed);
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // SAFETY: forwarded as given.
        let p = unsafe { System.realloc(ptr, layout, new_size) };
        if !p.is_null() {
            LIVE.fetch_sub(layout.size(), Ordering::Relaxed);
            grew(new_size);
        }
        p
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

/// What kind of configuration a bucket has (the rows of the table above).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Public,
    App,
    RatioOne,
    RatioThree,
    Company(u32),
    Tenant,
}

const COMPANIES: u64 = 1_000;

/// SplitMix64: scatters the kinds over the bucket numbers.
fn mix(i: u64) -> u64 {
    let mut z = i.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

fn kind(i: usize) -> Kind {
    let h = mix(i as u64);
    match h % 100 {
        0..30 => Kind::Public,
        30..50 => Kind::App,
        50..65 => Kind::RatioOne,
        65..75 => Kind::RatioThree,
        75..90 => Kind::Company(((h / 100) % COMPANIES) as u32),
        _ => Kind::Tenant,
    }
}

fn strings(v: &[&str]) -> Vec<String> {
    v.iter().map(|s| s.to_string()).collect()
}

fn rule(origins: Vec<String>, methods: &[&str], headers: &[&str], expose: &[&str], max_age: Option<u32>) -> CorsRule {
    CorsRule {
        id: None,
        allowed_origins: origins,
        allowed_methods: strings(methods),
        allowed_headers: strings(headers),
        expose_headers: strings(expose),
        max_age_seconds: max_age,
    }
}

fn config(kind: Kind, i: usize) -> CorsConfig {
    let one = |r| CorsConfig { rules: vec![r], response_vary: None };
    match kind {
        Kind::Public => one(rule(strings(&["*"]), &["GET", "HEAD"], &[], &[], None)),
        Kind::App => one(rule(
            strings(&["https://app.example.com"]),
            &["GET", "PUT", "POST"],
            &["content-type", "authorization", "x-oss-meta-*"],
            &["ETag"],
            Some(3600),
        )),
        Kind::RatioOne => corsmatch_benches::config(1),
        Kind::RatioThree => corsmatch_benches::config(3),
        Kind::Company(k) => one(rule(
            vec![format!("https://www.company{k}.com"), format!("https://*.company{k}.com")],
            &["GET", "PUT", "POST", "DELETE", "HEAD"],
            &["*"],
            &[],
            None,
        )),
        Kind::Tenant => one(rule(
            vec![format!("https://tenant{i}.example.net"), format!("https://*.tenant{i}.example.net")],
            &["GET", "PUT", "HEAD"],
            &["*"],
            &["ETag"],
            Some(600),
        )),
    }
}

/// The document in one of three formattings (none of the mix's values is empty, so the
/// whitespace added between elements never lands inside a value).
fn document(config: &CorsConfig, variant: u64) -> String {
    let compact = config.to_xml();
    match variant % 3 {
        0 => compact,
        1 => compact.replace("><", ">\n  <"),
        _ => compact.split_once('\n').map_or(compact.as_str(), |(_, body)| body).replacen(
            "<CORSConfiguration>",
            "<CORSConfiguration xmlns=\"http://doc.oss-cn-hangzhou.aliyuncs.com\"><!-- managed by the tenant console -->",
            1,
        ),
    }
}

/// The buckets' documents: the shared ones once per formatting, the tenants' one each. The
/// class says which buckets must share a set: the kind's (and company's) for shared
/// configurations, the bucket's own for a tenant.
struct Mix {
    shared: Vec<String>,
    unique: Vec<String>,
    /// Per bucket: (index into `shared`, or `usize::MAX - index into unique`), class.
    buckets: Vec<(usize, usize)>,
    classes: usize,
}

impl Mix {
    fn new(n: usize) -> Mix {
        let shared_classes = 4 + COMPANIES as usize;
        let class_of = |k: Kind| match k {
            Kind::Public => 0,
            Kind::App => 1,
            Kind::RatioOne => 2,
            Kind::RatioThree => 3,
            Kind::Company(c) => 4 + c as usize,
            Kind::Tenant => unreachable!(),
        };
        let mut shared = Vec::with_capacity(shared_classes * 3);
        for class in 0..shared_classes {
            let k = match class {
                0 => Kind::Public,
                1 => Kind::App,
                2 => Kind::RatioOne,
                3 => Kind::RatioThree,
                c => Kind::Company((c - 4) as u32),
            };
            let cfg = config(k, 0);
            for v in 0..3 {
                shared.push(document(&cfg, v));
            }
        }
        let mut unique = Vec::new();
        let mut buckets = Vec::with_capacity(n);
        let mut classes = 0;
        let mut seen = vec![false; shared_classes];
        for i in 0..n {
            match kind(i) {
                Kind::Tenant => {
                    unique.push(document(&config(Kind::Tenant, i), 0));
                    buckets.push((usize::MAX - (unique.len() - 1), shared_classes + unique.len() - 1));
                    classes += 1;
                }
                k => {
                    let class = class_of(k);
                    if !std::mem::replace(&mut seen[class], true) {
                        classes += 1;
                    }
                    buckets.push((class * 3 + (mix(i as u64 ^ 0x5555) % 3) as usize, class));
                }
            }
        }
        Mix { shared, unique, buckets, classes }
    }

    fn doc(&self, bucket: usize) -> &[u8] {
        let (at, _) = self.buckets[bucket];
        if at >= self.shared.len() {
            self.unique[usize::MAX - at].as_bytes()
        } else {
            self.shared[at].as_bytes()
        }
    }
}

/// The process's `VmRSS` and `VmHWM`, in bytes.
fn rss() -> (usize, usize) {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let field = |name: &str| {
        status
            .lines()
            .find_map(|l| l.strip_prefix(name))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<usize>().ok())
            .map_or(0, |kb| kb * 1024)
    };
    (field("VmRSS:"), field("VmHWM:"))
}

fn mib(bytes: usize) -> String {
    format!("{:.1} MiB", bytes as f64 / (1 << 20) as f64)
}

/// Compiles every bucket in one mode and prints one report.
fn run(mode: &str, n: usize, threads: usize) {
    let options = Options::new(Profile::Oss);
    let mix = Mix::new(n);
    let (rss_before, _) = rss();
    let live_before = LIVE.load(Ordering::Relaxed);
    PEAK.store(live_before, Ordering::Relaxed);
    let interner = Interner::new();
    let start = Instant::now();
    let chunk = n.div_ceil(threads.max(1)).max(1);
    let sets: Vec<RuleSet> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..n)
            .step_by(chunk)
            .map(|from| {
                let (mix, interner, options) = (&mix, &interner, &options);
                s.spawn(move || {
                    (from..(from + chunk).min(n))
                        .map(|b| match mode {
                            "separate" => options.compile_xml(mix.doc(b)),
                            _ => interner.compile_xml(options, mix.doc(b)),
                        })
                        .collect::<Result<Vec<RuleSet>, _>>()
                        .expect("the mix is valid")
                })
            })
            .collect();
        handles.into_iter().flat_map(|h| h.join().expect("no panic")).collect()
    });
    let elapsed = start.elapsed();
    let live = LIVE.load(Ordering::Relaxed) - live_before;
    let peak = PEAK.load(Ordering::Relaxed) - live_before;
    let (rss_after, hwm) = rss();
    // memory_usage() per bucket, and once per distinct set (the first bucket of each class).
    let per_bucket: usize = sets.iter().map(RuleSet::memory_usage).sum();
    let mut first = vec![false; mix.classes.max(4 + COMPANIES as usize + mix.unique.len())];
    let distinct: usize = sets
        .iter()
        .zip(&mix.buckets)
        .filter(|(_, (_, class))| !std::mem::replace(&mut first[*class], true))
        .map(|(s, _)| s.memory_usage())
        .sum();
    let vec_bytes = sets.capacity() * std::mem::size_of::<RuleSet>();
    println!("== {mode}: {n} buckets, {threads} thread(s), {} distinct configurations", mix.classes);
    println!(
        "compile: {:.3} s total, {:.0} ns per bucket",
        elapsed.as_secs_f64(),
        elapsed.as_nanos() as f64 / n as f64
    );
    println!(
        "heap held by the rule sets: {} ({:.0} B per bucket; the Vec of handles, {}, included); peak during {}",
        mib(live),
        live as f64 / n as f64,
        mib(vec_bytes),
        mib(peak)
    );
    println!(
        "sum of memory_usage(): {} per bucket summed ({:.0} B per bucket), {} over distinct sets",
        mib(per_bucket),
        per_bucket as f64 / n as f64,
        mib(distinct)
    );
    println!(
        "VmRSS: {} before, {} after (+{}, {:.0} B per bucket); VmHWM {}",
        mib(rss_before),
        mib(rss_after),
        mib(rss_after.saturating_sub(rss_before)),
        rss_after.saturating_sub(rss_before) as f64 / n as f64,
        mib(hwm)
    );
    if mode == "interned" {
        let s = interner.stats();
        println!("interner: {} hits, {} misses, {} sets alive, {} entries", s.hits, s.misses, s.sets, s.entries);
        assert_eq!(s.sets, mix.classes, "the interner shares exactly the configurations that are the same");
    }
    black_box(&sets);
}

/// What a hit costs: the interned compile of a document already interned, next to parsing
/// and validating alone (which a hit does too) and a plain compile.
fn hit_path() {
    let options = Options::new(Profile::Oss);
    println!("== hit path (median ns per call)");
    for (name, cfg) in [
        ("public read", config(Kind::Public, 0)),
        ("ratio 3 rules", corsmatch_benches::config(3)),
        ("company", config(Kind::Company(7), 0)),
    ] {
        let doc = document(&cfg, 1);
        let interner = Interner::new();
        let keep = interner.compile_xml(&options, doc.as_bytes()).expect("valid");
        // Alternated and repeated, the least of five medians each: the machine is shared.
        let (mut parse, mut hit, mut plain) = (f64::MAX, f64::MAX, f64::MAX);
        for _ in 0..5 {
            parse = parse.min(median_ns(11, Duration::from_millis(5), || {
                CorsConfig::from_xml_with_limits(doc.as_bytes(), options.profile, options.limits)
                    .expect("valid")
                    .rules
                    .len()
            }));
            hit = hit.min(median_ns(11, Duration::from_millis(5), || {
                interner.compile_xml(&options, doc.as_bytes()).expect("valid").profile() as usize
            }));
            plain = plain.min(median_ns(11, Duration::from_millis(5), || {
                options.compile_xml(doc.as_bytes()).expect("valid").profile() as usize
            }));
        }
        println!(
            "{name:>14}: parse+validate {parse:.0}, interned hit {hit:.0} (+{:.0}), plain compile {plain:.0}",
            hit - parse
        );
        drop(keep);
    }
}

fn main() {
    let mut n = 1_000_000;
    let mut threads = 1;
    let mut only: Option<String> = None;
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        let mut value = || args.next().unwrap_or_else(|| panic!("{a} needs a value"));
        match a.as_str() {
            "--buckets" => n = value().parse().expect("--buckets N"),
            "--threads" => threads = value().parse().expect("--threads T"),
            "--only" => only = Some(value()),
            other => panic!("unknown argument {other:?}: --buckets N, --threads T, --only separate|interned|hit"),
        }
    }
    match only.as_deref() {
        Some("hit") => hit_path(),
        Some(mode @ ("separate" | "interned")) => run(mode, n, threads),
        Some(other) => panic!("--only {other:?}: separate, interned or hit"),
        None => {
            let exe = std::env::current_exe().expect("the binary's path");
            for mode in ["separate", "interned", "hit"] {
                let status = Command::new(&exe)
                    .args(["--buckets", &n.to_string(), "--threads", &threads.to_string(), "--only", mode])
                    .status()
                    .expect("run the binary again");
                assert!(status.success(), "--only {mode} failed");
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_mix_has_the_documented_shares_and_valid_documents() {
        let n = 20_000;
        let mix = Mix::new(n);
        let count = |f: fn(Kind) -> bool| (0..n).filter(|&i| f(kind(i))).count() as f64 / n as f64;
        assert!((count(|k| k == Kind::Public) - 0.30).abs() < 0.02);
        assert!((count(|k| k == Kind::Tenant) - 0.10).abs() < 0.02);
        assert!((count(|k| matches!(k, Kind::Company(_))) - 0.15).abs() < 0.02);
        let options = Options::new(Profile::Oss);
        // Each formatting of a shared configuration parses to that configuration.
        for (at, doc) in mix.shared.iter().enumerate() {
            let parsed = options.compile_xml(doc.as_bytes()).unwrap();
            let first = options.compile_xml(mix.shared[at / 3 * 3].as_bytes()).unwrap();
            assert_eq!(parsed.config(), first.config(), "{doc}");
        }
        for b in (0..n).step_by(97) {
            options.compile_xml(mix.doc(b)).unwrap();
        }
        assert_eq!(mix.unique.len(), (0..n).filter(|&i| kind(i) == Kind::Tenant).count());
    }
}
