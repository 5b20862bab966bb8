//! The hot path allocates nothing once the scratch space has grown: a counting global
//! allocator watches every evaluation after a warm-up.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

use corsmatch::{CorsConfig, CorsRule, Options, Profile, Request, Scratch, Target};

struct Counting;

thread_local! {
    static COUNT: Cell<usize> = const { Cell::new(0) };
}

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let _ = COUNT.try_with(|c| c.set(c.get() + 1));
        // SAFETY: forwarded unchanged to the system allocator.
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: forwarded unchanged to the system allocator.
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let _ = COUNT.try_with(|c| c.set(c.get() + 1));
        // SAFETY: forwarded unchanged to the system allocator.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

fn allocations() -> usize {
    COUNT.with(Cell::get)
}

fn workload(n: usize, profile: Profile, vary: bool) -> corsmatch::RuleSet {
    let rules = (0..n)
        .map(|i| CorsRule {
            allowed_origins: vec![format!("https://app{i}.example.org"), format!("https://*.t{i}.example.com")],
            allowed_methods: vec!["GET".into(), "PUT".into(), "POST".into()],
            allowed_headers: vec!["content-type".into(), "x-oss-meta-*".into(), "authorization".into()],
            expose_headers: vec!["ETag".into(), "x-oss-request-id".into()],
            max_age_seconds: Some(600),
            ..CorsRule::default()
        })
        .collect();
    let config = CorsConfig { rules, response_vary: (profile == Profile::Oss).then_some(vary) };
    Options::new(profile).max_rules(n).compile(config).unwrap()
}

#[test]
fn evaluation_does_not_allocate_after_warm_up() {
    let before = allocations();
    drop(std::hint::black_box(vec![0u8; 64]));
    assert!(allocations() > before, "the counting allocator must see allocations");
    let acrh = "content-type,x-oss-meta-author,X-OSS-Meta-Tag";
    for n in [1usize, 10, 100, 10_000] {
        for (profile, vary) in [(Profile::Oss, true), (Profile::Oss, false), (Profile::S3, false)] {
            let set = workload(n, profile, vary);
            let last = format!("https://www.t{}.example.com", n - 1);
            let exact = format!("https://app{}.example.org", n / 2);
            let requests = [
                Request::preflight(Some(&last), Some("PUT"), Some(acrh)),
                Request::preflight(Some(&exact), Some("GET"), None),
                Request::preflight(Some("https://evil.example.net"), Some("PUT"), Some(acrh)),
                Request::preflight(Some(&last), Some("DELETE"), None),
                Request::preflight(Some(&last), Some("BLAH"), None),
                Request::preflight(Some(&last), None, None),
                Request::preflight(None, Some("PUT"), None),
                Request { target: Target::MissingBucket, ..Request::preflight(Some(&last), Some("PUT"), None) },
                Request {
                    request_id: Some("id-1"),
                    host_id: Some("host"),
                    ..Request::preflight(Some("x"), Some("PUT"), None)
                },
                Request::new("GET", Some(&last)),
                Request { acrh: Some(acrh), ..Request::new("PUT", Some(&exact)) },
                Request::new("GET", None),
            ];
            let mut scratch = Scratch::new();
            for r in &requests {
                let _ = set.evaluate(r, &mut scratch);
            }
            for r in &requests {
                let before = allocations();
                let d = set.evaluate(r, &mut scratch);
                let count = d.headers().count();
                let after = allocations();
                assert_eq!(after - before, 0, "{n} rules, {profile:?}: {r:?} allocated");
                assert!(count > 0 || d.refused.is_some() || r.origin.is_none(), "{r:?} produced nothing");
            }
        }
    }
}
