//! `RuleSet::memory_usage` is an honest count: a counting global allocator measures the bytes
//! a compiled set keeps live (its configuration included), and the count must equal them
//! where the set holds only our own structures, and come close where it holds automata.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

use corsmatch::{CorsConfig, CorsRule, Options, Profile, RuleSet};

struct Counting;

thread_local! {
    static LIVE: Cell<isize> = const { Cell::new(0) };
}

fn add(n: isize) {
    let _ = LIVE.try_with(|l| l.set(l.get() + n));
}

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        add(layout.size() as isize);
        // SAFETY: forwarded unchanged to the system allocator.
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        add(-(layout.size() as isize));
        // SAFETY: forwarded unchanged to the system allocator.
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        add(new_size as isize - layout.size() as isize);
        // SAFETY: forwarded unchanged to the system allocator.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

fn live() -> isize {
    LIVE.with(Cell::get)
}

/// The bench workload's rule `i` (`benches/src/lib.rs`).
fn workload_rule(i: usize) -> CorsRule {
    CorsRule {
        id: None,
        allowed_origins: vec![format!("https://app{i}.example.org"), format!("https://*.t{i}.example.com")],
        allowed_methods: vec!["GET".into(), "PUT".into(), "POST".into()],
        allowed_headers: vec!["content-type".into(), "x-oss-meta-*".into(), "authorization".into()],
        expose_headers: vec!["ETag".into(), "x-oss-request-id".into()],
        max_age_seconds: Some(600),
    }
}

/// Rules whose origins have many distinct lengths, so that the index uses automata.
fn diverse_rule(i: usize) -> CorsRule {
    let pad = "x".repeat(i % 23);
    CorsRule {
        id: Some(format!("rule-{i}")),
        allowed_origins: vec![format!("https://{pad}a{i}.example.org"), format!("https://*.{pad}t{i}.example.com")],
        allowed_methods: vec!["GET".into()],
        allowed_headers: vec![],
        expose_headers: vec![],
        max_age_seconds: None,
    }
}

/// The bytes a set built by `make` keeps, measured from before its configuration exists to
/// after everything else the build made is gone; and its own count.
fn kept(make: impl Fn() -> RuleSet) -> (usize, usize) {
    drop(make()); // warm-ups (foldhash's seed, thread-locals)
    let before = live();
    let set = make();
    let measured = (live() - before) as usize;
    eprintln!("kept {measured} bytes, counted {}", set.memory_usage());
    (measured, set.memory_usage())
}

fn compile(rules: Vec<CorsRule>, profile: Profile) -> RuleSet {
    let n = rules.len();
    // Spare capacity in the configuration, as a parser leaves it.
    let mut rules = rules;
    rules.reserve(7);
    for r in &mut rules {
        r.allowed_origins.reserve(3);
        r.allowed_origins.iter_mut().for_each(|o| o.reserve(5));
    }
    Options::new(profile).max_rules(n.max(1)).compile(CorsConfig { rules, response_vary: None }).unwrap()
}

#[test]
fn memory_usage_counts_what_the_set_keeps() {
    for n in [1usize, 2, 3, 4, 5, 10, 100, 1_000] {
        let (measured, counted) = kept(|| compile((0..n).map(workload_rule).collect(), Profile::Oss));
        assert_eq!(counted, measured, "{n} workload rules");
    }
    let (measured, counted) = kept(|| RuleSet::no_config(Profile::S3));
    assert_eq!(counted, measured, "no configuration");
    let xml = br"<CORSConfiguration><CORSRule><AllowedOrigin>*</AllowedOrigin><AllowedMethod>GET</AllowedMethod></CORSRule></CORSConfiguration>";
    let (measured, counted) = kept(|| RuleSet::from_xml(xml, Profile::S3).unwrap());
    assert_eq!(counted, measured, "* and GET from XML");
}

#[test]
fn memory_usage_of_automata_is_close() {
    for n in [50usize, 400] {
        let (measured, counted) = kept(|| compile((0..n).map(diverse_rule).collect(), Profile::S3));
        let (lo, hi) = (measured - measured / 20, measured + measured / 20);
        assert!((lo..=hi).contains(&counted), "{n} diverse rules: counted {counted}, measured {measured}");
    }
}

/// Small sets are small (issue 16): the fixed overhead is close to the rules' own bytes.
#[test]
fn small_sets_are_small() {
    let one = compile(vec![workload_rule(0)], Profile::Oss).memory_usage();
    assert!(one <= 1024, "one workload rule: {one} bytes");
    let xml = br"<CORSConfiguration><CORSRule><AllowedOrigin>*</AllowedOrigin><AllowedMethod>GET</AllowedMethod></CORSRule></CORSConfiguration>";
    let any = RuleSet::from_xml(xml, Profile::S3).unwrap().memory_usage();
    assert!(any <= 512, "* and GET: {any} bytes");
}
