//! The compiled engine equals the reference matcher on generated rule sets and requests.
//!
//! The generators aim at the engine's index rather than at `*`:
//!
//! - Origin patterns are mostly exact origins and globs (`prefix*`, `*suffix`,
//!   `prefix*suffix`) cut from sites built of a small vocabulary, so that patterns share
//!   prefixes and suffixes and literals collide in length (the length tables, the half
//!   index, the automata). `*` and the empty origin are rare; a few patterns come from a
//!   tiny alphabet (`a*a`-style overlaps, origins that are not URLs).
//! - Rule sets are small more often than large: up to 8 literal lengths per side a set uses
//!   the length tables, past that the automata.
//! - Each request is drawn from one rule: its origin is one of that rule's patterns verbatim,
//!   a glob's instance, a near miss one byte off (changed, inserted or deleted), a prefix or
//!   suffix one byte short, or unrelated; the ACRM is mostly one of the rule's methods; the
//!   ACRH items are mostly instances of its AllowedHeader patterns in mixed case, with blanks,
//!   tabs and empty items. Targets: object most, bucket some, missing bucket rare.
//!
//! `generated_cases_reach_every_path` fails when a fixed-seed sample of these cases stops
//! reaching any path of the engine (see `fuzz/checks/src/reach.rs`).

#[allow(dead_code)]
#[path = "../../fuzz/checks/src/reach.rs"]
mod reach;

use corsmatch::{reference, CorsConfig, CorsRule, Options, Profile, Request, Scratch, Target};
use proptest::prelude::*;
use proptest::sample::{select, Index};
use proptest::strategy::ValueTree;
use proptest::test_runner::{RngAlgorithm, TestRng, TestRunner};

const METHODS: [&str; 5] = ["GET", "PUT", "DELETE", "POST", "HEAD"];

/// The parts of a site: scheme, subdomain, name, top-level domain, port. Few values, several
/// of the same length (`app.`, `api.`, `cdn.`), so literals share prefixes and suffixes and
/// collide in the length tables.
const SCHEMES: [&str; 3] = ["https://", "http://", "https://"];
const SUBS: [&str; 8] = ["", "www.", "app.", "api.", "cdn.", "a.", "app-1.", "x.y."];
const NAMES: [&str; 6] = ["example", "examp1e", "a", "t9.example", "b", "example"];
const TLDS: [&str; 6] = [".com", ".org", ".co", ".com.cn", ".com", ".net"];
const PORTS: [&str; 6] = ["", "", "", ":8080", ":443", ":3000"];

/// The parts a configuration's sites are built of: a few of each, so that its patterns share
/// prefixes and suffixes (and a two-sided glob's suffix is often more shared than its
/// prefix); or every part.
#[derive(Debug, Clone)]
struct Palette {
    subs: Vec<&'static str>,
    names: Vec<&'static str>,
    tlds: Vec<&'static str>,
    ports: Vec<&'static str>,
}

fn palette() -> impl Strategy<Value = Palette> {
    let few = |parts: &'static [&'static str]| prop::sample::subsequence(parts, 1..=3);
    prop_oneof![
        3 => (few(&SUBS), few(&NAMES), few(&TLDS), few(&PORTS))
            .prop_map(|(subs, names, tlds, ports)| Palette { subs, names, tlds, ports }),
        1 => Just(Palette::all()),
    ]
}

impl Palette {
    fn all() -> Palette {
        Palette { subs: SUBS.to_vec(), names: NAMES.to_vec(), tlds: TLDS.to_vec(), ports: PORTS.to_vec() }
    }
}

fn site(p: &Palette) -> impl Strategy<Value = Vec<&'static str>> {
    (
        select(&SCHEMES[..]),
        select(p.subs.clone()),
        select(p.names.clone()),
        select(p.tlds.clone()),
        select(p.ports.clone()),
    )
        .prop_map(|(a, b, c, d, e)| vec![a, b, c, d, e])
}

/// Where a glob cuts a site: at a boundary between its parts (the usual case), or anywhere.
fn cut(parts: &[&str], at: Index, anywhere: bool, boundary: usize) -> usize {
    let s: usize = parts.iter().map(|p| p.len()).sum();
    if anywhere {
        at.index(s + 1)
    } else {
        parts[..boundary.min(parts.len())].iter().map(|p| p.len()).sum()
    }
}

/// A glob cut from a site: `prefix*`, `*suffix`, or `prefix*suffix`. A two-sided glob's
/// prefix is often more than the scheme, so that some halves go under the prefix.
fn glob(p: &Palette, kind: u8) -> impl Strategy<Value = String> {
    (site(p), 1usize..5, 0usize..3, any::<Index>(), any::<Index>(), prop::bool::weighted(0.25)).prop_map(
        move |(parts, a, d, i, j, anywhere)| {
            let s = parts.concat();
            let last = s.len() - 1;
            match kind {
                0 => format!("{}*", &s[..cut(&parts, i, anywhere, a).clamp(1, last)]),
                1 => format!("*{}", &s[cut(&parts, i, anywhere, a).clamp(1, last)..]),
                _ => {
                    let a = 1 + (a - 1) % 3;
                    let p = cut(&parts, i, anywhere, a).clamp(1, last);
                    let q = cut(&parts, j, anywhere, (a + d).min(4)).clamp(p, last);
                    format!("{}*{}", &s[..p], &s[q..])
                }
            }
        },
    )
}

/// Pieces of a tiny alphabet, for patterns that overlap around the star (`a*a`) and for
/// origins that are not URLs.
fn piece() -> impl Strategy<Value = String> {
    prop_oneof![
        Just(String::new()),
        Just("https://".to_string()),
        Just("a".to_string()),
        Just("b".to_string()),
        Just(".a.com".to_string()),
        Just("a.com".to_string()),
        Just(":8080".to_string()),
        "[ab.:/]{1,3}",
    ]
}

fn origin_pattern(p: &Palette) -> impl Strategy<Value = String> {
    prop_oneof![
        3 => Just("*".to_string()),
        1 => Just(String::new()),
        40 => site(p).prop_map(|p| p.concat()),
        14 => glob(p, 0),
        14 => glob(p, 1),
        28 => glob(p, 2),
        3 => (piece(), piece()).prop_map(|(a, b)| format!("{a}{b}")),
        4 => (piece(), piece(), piece()).prop_map(|(a, b, c)| format!("{a}{b}*{c}")),
    ]
}

/// AllowedHeader globs and names as configurations have them, in mixed case.
const HEADER_GLOBS: [&str; 7] = ["x-amz-*", "x-oss-*", "X-Amz-Meta-*", "content-*", "*-id", "x-*-id", "x-*a"];
const HEADER_NAMES: [&str; 7] =
    ["content-type", "Content-Type", "authorization", "x-amz-date", "X-Requested-With", "x-a", "cache-control"];

fn header_pattern() -> impl Strategy<Value = String> {
    prop_oneof![
        1 => Just("*".to_string()),
        6 => select(&HEADER_GLOBS[..]).prop_map(str::to_string),
        6 => select(&HEADER_NAMES[..]).prop_map(str::to_string),
        1 => Just(String::new()),
        1 => "[xXaAb-]{1,4}",
        1 => "[xa-]{0,2}\\*[ab-]{0,2}",
    ]
}

fn rule(p: &Palette) -> impl Strategy<Value = CorsRule> {
    (
        prop::collection::vec(origin_pattern(p), 1..4),
        prop::collection::vec(select(&METHODS[..]), 1..4),
        prop_oneof![1 => Just(Vec::new()), 3 => prop::collection::vec(header_pattern(), 1..4)],
        prop::collection::vec(select(&["ETag", "x-oss-request-id", "X-Custom"][..]), 0..3),
        prop::option::of(0u32..100_000),
    )
        .prop_map(|(origins, methods, headers, expose, max_age)| CorsRule {
            id: None,
            allowed_origins: origins,
            allowed_methods: methods.into_iter().map(str::to_string).collect(),
            allowed_headers: headers,
            expose_headers: expose.into_iter().map(str::to_string).collect(),
            max_age_seconds: max_age,
        })
}

/// Mostly small sets (length tables), some large ones (automata), up to 200 rules.
fn rules() -> impl Strategy<Value = Vec<CorsRule>> {
    palette().prop_flat_map(|p| {
        prop_oneof![
            5 => prop::collection::vec(rule(&p), 1..8),
            3 => prop::collection::vec(rule(&p), 8..40),
            1 => prop::collection::vec(rule(&p), 40..200),
        ]
    })
}

/// `PROPTEST_CASES` overrides the default number of generated configurations.
fn cases() -> u32 {
    std::env::var("PROPTEST_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(8000)
}

/// How a request origin is drawn from a pattern.
#[derive(Debug, Clone, Copy)]
enum Derive {
    /// The pattern itself, its star filled.
    Instance,
    /// One byte changed, inserted or deleted.
    NearMiss(u8),
    /// The prefix (or the suffix) one byte short.
    Short(bool),
    /// Not drawn from the configuration.
    Unrelated,
    /// No Origin header.
    Absent,
}

fn derive() -> impl Strategy<Value = Derive> {
    prop_oneof![
        14 => Just(Derive::Instance),
        4 => (0u8..3).prop_map(Derive::NearMiss),
        3 => any::<bool>().prop_map(Derive::Short),
        2 => Just(Derive::Unrelated),
        1 => Just(Derive::Absent),
    ]
}

fn fill() -> impl Strategy<Value = String> {
    prop_oneof![
        2 => Just(String::new()),
        3 => select(&["www.", "a", "app-1", "x.y.", "evil.com/", "b.example", ":", "."][..]).prop_map(str::to_string),
        2 => "[a-z0-9.-]{1,6}",
    ]
}

/// A byte for near misses: separators, a capital, the letters the vocabulary uses.
const EDITS: [char; 8] = ['a', '.', '/', ':', '-', 'A', 'e', '1'];

/// The origin `how` derives from `pattern`.
fn derive_origin(pattern: &str, how: Derive, fill: &str, at: Index, edit: char, unrelated: &str) -> Option<String> {
    let (prefix, suffix) = match pattern.split_once('*') {
        // `*` has nothing to derive from.
        Some(("", "")) if !matches!(how, Derive::Absent) => return Some(unrelated.to_string()),
        Some((p, s)) => (p, Some(s)),
        None => (pattern, None),
    };
    // A star at the start stands for the scheme too.
    let fill = &if prefix.is_empty() && suffix.is_some() { format!("https://{fill}") } else { fill.to_string() };
    let instance = || match suffix {
        Some(s) => format!("{prefix}{fill}{s}"),
        None => prefix.to_string(),
    };
    Some(match how {
        Derive::Absent => return None,
        Derive::Unrelated => unrelated.to_string(),
        Derive::Instance => instance(),
        Derive::NearMiss(op) => {
            let mut chars: Vec<char> = instance().chars().collect();
            let i = at.index(chars.len() + 1);
            match op {
                0 if i < chars.len() => chars[i] = if chars[i] == edit { 'b' } else { edit },
                2 if i < chars.len() => {
                    chars.remove(i);
                }
                _ => chars.insert(i, edit),
            }
            chars.into_iter().collect()
        }
        Derive::Short(at_prefix) => {
            let drop_last = |s: &str| s.get(..s.len().saturating_sub(1)).unwrap_or("").to_string();
            let drop_first = |s: &str| s.get(1..).unwrap_or("").to_string();
            match (suffix, at_prefix) {
                (None, true) => drop_last(prefix),
                (None, false) => drop_first(prefix),
                (Some(s), true) => format!("{}{fill}{s}", drop_last(prefix)),
                (Some(s), false) => format!("{prefix}{fill}{}", drop_first(s)),
            }
        }
    })
}

/// A requested header derived from an AllowedHeader pattern: the star filled, the case of
/// each letter flipped by `case` (bit per letter).
fn header_instance(pattern: &str, fill: &str, case: u32) -> String {
    let filled = pattern.replacen('*', fill, 1);
    filled
        .chars()
        .enumerate()
        .map(|(i, c)| if case >> (i % 32) & 1 == 1 && c.is_ascii() { flip(c) } else { c })
        .collect()
}

fn flip(c: char) -> char {
    if c.is_ascii_lowercase() {
        c.to_ascii_uppercase()
    } else {
        c.to_ascii_lowercase()
    }
}

/// What a request needs to know of the rule it is drawn from.
#[derive(Debug, Clone)]
struct Source {
    origins: Vec<String>,
    methods: Vec<String>,
    headers: Vec<String>,
}

/// One ACRH item: from the rule's AllowedHeaders (mixed case), or another name.
fn acrh_item(headers: Vec<String>) -> impl Strategy<Value = String> {
    let n = headers.len();
    let own = (any::<Index>(), "[a-z0-9-]{0,5}", any::<u32>(), prop::bool::weighted(0.5)).prop_map(
        move |(i, fill, case, fold)| {
            if n == 0 {
                return "x-a".to_string();
            }
            header_instance(&headers[i.index(n)], &fill, if fold { case } else { 0 })
        },
    );
    let other = select(
        &["x-other", "Content-Length", "x-amz-date", "X-AMZ-META-a", "x-\u{212a}", "content-type", "a-a", "x-ab"][..],
    )
    .prop_map(str::to_string);
    prop_oneof![if n == 0 { 1 } else { 6 } => own, 2 => other, 1 => "[xXaAb -]{1,4}"]
}

/// ACRH: the items lowercase and joined by bare commas as browsers send them, or in any
/// case joined by commas with blanks, tabs and empty items about them.
fn acrh(headers: Vec<String>) -> impl Strategy<Value = Option<String>> {
    let separators = select(&[",", ",", ", ", " , ", ",\t", ",,", ", ,"][..]);
    let list = (
        prop::collection::vec((acrh_item(headers), separators), 0..4),
        select(&["", "", " ", "\t", ","][..]),
        prop::bool::weighted(0.4),
    )
        .prop_map(|(items, edge, browser)| {
            if browser {
                return items.iter().map(|(item, _)| item.to_ascii_lowercase()).collect::<Vec<_>>().join(",");
            }
            let mut out = edge.to_string();
            for (i, (item, sep)) in items.iter().enumerate() {
                if i > 0 {
                    out.push_str(sep);
                }
                out.push_str(item);
            }
            out
        });
    prop::option::weighted(0.6, list)
}

fn method() -> impl Strategy<Value = String> {
    prop_oneof![
        8 => select(&METHODS[..]).prop_map(str::to_string),
        1 => select(&["get", "PATCH", "OPTIONS", ""][..]).prop_map(str::to_string),
    ]
}

/// The ACRM: mostly one of the rule's methods, sometimes another, invalid or absent.
fn acrm(methods: Vec<String>) -> impl Strategy<Value = Option<String>> {
    let n = methods.len();
    prop_oneof![
        14 => any::<Index>().prop_map(move |i| Some(methods[i.index(n)].clone())),
        4 => method().prop_map(Some),
        1 => Just(None),
    ]
}

#[derive(Debug, Clone)]
struct Req {
    method: String,
    origin: Option<String>,
    acrm: Option<String>,
    acrh: Option<String>,
    target: Target,
}

fn request(sources: Vec<Source>) -> impl Strategy<Value = Req> {
    let n = sources.len();
    any::<Index>().prop_flat_map(move |i| {
        let s = sources[i.index(n)].clone();
        let m = s.origins.len();
        let origins = s.origins.clone();
        let origin = (
            any::<Index>(),
            derive(),
            fill(),
            any::<Index>(),
            select(&EDITS[..]),
            site(&Palette::all()),
            prop::bool::weighted(0.8),
            piece(),
        )
            .prop_map(move |(p, how, fill, at, edit, other, url, piece)| {
                let unrelated = if url { other.concat() } else { piece };
                derive_origin(&origins[p.index(m)], how, &fill, at, edit, &unrelated)
            });
        (
            prop_oneof![13 => Just("OPTIONS".to_string()), 6 => method()],
            origin,
            acrm(s.methods.clone()),
            acrh(s.headers.clone()),
            prop_oneof![15 => Just(Target::Object), 4 => Just(Target::Bucket), 1 => Just(Target::MissingBucket)],
        )
            .prop_map(|(method, origin, acrm, acrh, target)| Req { method, origin, acrm, acrh, target })
    })
}

type Setup = (CorsConfig, Options, bool, Vec<Req>);

fn setup() -> impl Strategy<Value = Setup> {
    (rules(), any::<bool>(), prop::option::of(any::<bool>()), any::<bool>(), any::<bool>(), any::<u8>()).prop_flat_map(
        |(rules, s3, vary, strict, creds, no_config)| {
            let profile = if s3 { Profile::S3 } else { Profile::Oss };
            let config = CorsConfig { rules, response_vary: if s3 { None } else { vary } };
            let options = Options::new(profile).max_rules(1000).strict_origins(strict).allow_credentials(creds);
            let sources: Vec<Source> = config
                .rules
                .iter()
                .map(|r| Source {
                    origins: r.allowed_origins.clone(),
                    methods: r.allowed_methods.clone(),
                    headers: r.allowed_headers.clone(),
                })
                .collect();
            (Just(config), Just(options), Just(no_config < 8), prop::collection::vec(request(sources), 1..24))
        },
    )
}

fn borrow(r: &Req) -> Request<'_> {
    Request {
        method: &r.method,
        origin: r.origin.as_deref(),
        acrm: r.acrm.as_deref(),
        acrh: r.acrh.as_deref(),
        target: r.target,
        request_id: Some("req-1"),
        host_id: None,
    }
}

fn compile((config, options, no_config, _): &Setup) -> corsmatch::RuleSet {
    if *no_config {
        options.no_config()
    } else {
        options.compile(config.clone()).expect("generated configs are valid")
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(), ..ProptestConfig::default() })]

    #[test]
    fn engine_equals_reference(case in setup()) {
        let set = compile(&case);
        let (_, options, _, reqs) = &case;
        let mut scratch = Scratch::new();
        for r in reqs {
            let req = borrow(r);
            let engine = set.evaluate(&req, &mut scratch).to_response();
            let oracle = reference::respond(set.config(), options, &req);
            prop_assert_eq!(engine, oracle, "request {:?}", r);
        }
    }
}

/// The generated cases reach every path of the engine: a fixed-seed sample of the same
/// strategies, each request classified by how it was answered (`reach.rs`), must hold at
/// least 5% of matches won through an exact origin, through a one-sided glob, through a
/// two-sided glob and through `*`, and of refusals by origin, by method and by header.
#[test]
fn generated_cases_reach_every_path() {
    let seed = [0x5e; 32];
    let mut runner =
        TestRunner::new_with_rng(ProptestConfig::default(), TestRng::from_seed(RngAlgorithm::ChaCha, &seed));
    let strategy = setup();
    let mut r = reach::Reach::default();
    let mut requests = 0;
    while requests < 6000 {
        let case = strategy.new_tree(&mut runner).expect("a generated case").current();
        let set = compile(&case);
        let layout = reach::Layout::of(set.config());
        r.case();
        for q in &case.3 {
            r.record(&set, &layout, &borrow(q));
            requests += 1;
        }
    }
    if let Err(e) = r.check(&reach::FLOORS) {
        panic!("{e}");
    }
    println!("{r}");
}

/// What the generators found, shrunk by hand: the engine answers as the reference does.
#[test]
fn found_by_the_generators() {
    // Strict origins: `:80080` is no port, so the origin is not serialized and only `*` may
    // match it (the engine took any five digits; found by a glob instance `...:8*080`).
    let config = CorsConfig {
        rules: vec![CorsRule {
            allowed_origins: vec!["http://a.com:*".to_string()],
            allowed_methods: vec!["GET".to_string()],
            ..CorsRule::default()
        }],
        response_vary: None,
    };
    let options = Options::new(Profile::Oss).strict_origins(true);
    let set = options.compile(config).unwrap();
    for (port, status) in [("8080", 200), ("65535", 200), ("65536", 403), ("80080", 403)] {
        let origin = format!("http://a.com:{port}");
        let req = Request::preflight(Some(&origin), Some("GET"), None);
        let engine = set.respond(&req);
        assert_eq!(engine, reference::respond(set.config(), &options, &req), "{origin}");
        assert_eq!(engine.status, Some(status), "{origin}");
    }
}

/// A deterministic heavy case: many rules whose patterns all share prefixes and suffixes.
#[test]
fn shared_prefixes_and_suffixes_at_scale() {
    let mut rules = Vec::new();
    for i in 0..2000 {
        rules.push(CorsRule {
            allowed_origins: vec![
                format!("https://{}*.example.com", "a".repeat(i % 7)),
                format!("https://*{}.example.com", "a".repeat(i % 5)),
                format!("https://x{i}.example.com"),
            ],
            allowed_methods: vec![METHODS[i % 5].to_string()],
            allowed_headers: vec![format!("x-h{}", i % 3)],
            ..CorsRule::default()
        });
    }
    let options = Options::new(Profile::S3).max_rules(10_000);
    let config = CorsConfig { rules, response_vary: None };
    let set = options.compile(config).unwrap();
    let mut scratch = Scratch::new();
    for origin in
        ["https://aaaa.example.com", "https://x1999.example.com", "https://.example.com", "https://a.example.co"]
    {
        for m in METHODS {
            for h in [None, Some("x-h2"), Some("x-h1,X-H0")] {
                let req = Request { acrh: h, ..Request::preflight(Some(origin), Some(m), h) };
                let engine = set.evaluate(&req, &mut scratch).to_response();
                assert_eq!(engine, reference::respond(set.config(), &options, &req), "{origin} {m} {h:?}");
            }
        }
    }
}
