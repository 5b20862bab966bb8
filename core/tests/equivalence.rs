//! The compiled engine equals the reference matcher on generated rule sets and requests,
//! adversarial shapes included: patterns sharing prefixes and suffixes, empty stars, `*`
//! alone, mixed-case headers, duplicate and empty ACRH items, near-miss origins.

use corsmatch::{reference, CorsConfig, CorsRule, Options, Profile, Request, Scratch, Target};
use proptest::prelude::*;

/// Origin pieces from a small alphabet, so patterns share prefixes and suffixes.
fn piece() -> impl Strategy<Value = String> {
    prop_oneof![
        Just(String::new()),
        Just("https://".to_string()),
        Just("http://".to_string()),
        Just("a".to_string()),
        Just("b".to_string()),
        Just(".".to_string()),
        Just(".a.com".to_string()),
        Just("a.com".to_string()),
        Just(":8080".to_string()),
        "[ab.:/]{1,3}",
    ]
}

fn origin_pattern() -> impl Strategy<Value = String> {
    prop_oneof![
        1 => Just("*".to_string()),
        3 => (piece(), piece()).prop_map(|(a, b)| format!("{a}{b}")),
        5 => (piece(), piece(), piece(), piece()).prop_map(|(a, b, c, d)| format!("{a}{b}*{c}{d}")),
    ]
}

fn header_pattern() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("*".to_string()),
        Just("x-a".to_string()),
        Just("X-A".to_string()),
        Just("x-*".to_string()),
        Just("*-a".to_string()),
        Just("x-*a".to_string()),
        Just("content-type".to_string()),
        Just("Content-*".to_string()),
        Just("x-ab".to_string()),
        Just(String::new()),
        "[xXaAb-]{1,4}",
        "[xa-]{0,2}\\*[ab-]{0,2}",
    ]
}

/// `PROPTEST_CASES` overrides the default of 2000 generated configurations.
fn cases() -> u32 {
    std::env::var("PROPTEST_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(2000)
}

const METHODS: [&str; 5] = ["GET", "PUT", "DELETE", "POST", "HEAD"];

fn rule() -> impl Strategy<Value = CorsRule> {
    (
        prop::collection::vec(origin_pattern(), 1..4),
        prop::collection::vec(prop::sample::select(&METHODS[..]), 1..4),
        prop::collection::vec(header_pattern(), 0..4),
        prop::collection::vec(prop::sample::select(&["ETag", "x-oss-request-id", "X-Custom"][..]), 0..3),
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

/// A request origin: usually derived from one of the configuration's patterns (filled,
/// truncated, extended, case-changed), sometimes from the alphabet.
fn origin_for(patterns: Vec<String>) -> impl Strategy<Value = Option<String>> {
    let n = patterns.len();
    (0..n, 0usize..6, "[ab.:/]{0,3}", piece(), any::<bool>()).prop_map(move |(i, how, fill, extra, none)| {
        if none && how == 0 {
            return None;
        }
        let p = &patterns[i];
        let filled = p.replacen('*', &fill, 1);
        Some(match how {
            0 | 1 => filled,
            2 => filled.chars().skip(1).collect(),
            3 => format!("{filled}{extra}"),
            4 => format!("{extra}{filled}"),
            _ => filled.to_uppercase(),
        })
    })
}

fn acrh() -> impl Strategy<Value = Option<String>> {
    let item = prop_oneof![
        Just("x-a".to_string()),
        Just("X-A".to_string()),
        Just("x-ab".to_string()),
        Just("content-type".to_string()),
        Just("Content-Length".to_string()),
        Just("a-a".to_string()),
        Just(" ".to_string()),
        Just(String::new()),
        Just("\tx-b ".to_string()),
        Just("x-\u{212a}".to_string()),
        "[xXaAb -]{1,4}",
    ];
    prop::option::of(prop::collection::vec(item, 0..5).prop_map(|v| v.join(",")))
}

fn method() -> impl Strategy<Value = String> {
    prop_oneof![
        6 => prop::sample::select(&METHODS[..]).prop_map(str::to_string),
        1 => prop::sample::select(&["get", "PATCH", "OPTIONS", ""][..]).prop_map(str::to_string),
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

fn requests(patterns: Vec<String>) -> impl Strategy<Value = Vec<Req>> {
    let one = (
        prop_oneof![3 => Just("OPTIONS".to_string()), 2 => method()],
        origin_for(patterns),
        prop::option::weighted(0.85, method()),
        acrh(),
        prop::sample::select(&[Target::Object, Target::Bucket, Target::MissingBucket][..]),
    )
        .prop_map(|(method, origin, acrm, acrh, target)| Req { method, origin, acrm, acrh, target });
    prop::collection::vec(one, 1..24)
}

fn setup() -> impl Strategy<Value = (CorsConfig, Options, bool, Vec<Req>)> {
    (
        prop::collection::vec(rule(), 1..200),
        any::<bool>(),
        prop::option::of(any::<bool>()),
        any::<bool>(),
        any::<bool>(),
        any::<u8>(),
    )
        .prop_flat_map(|(rules, s3, vary, strict, creds, no_config)| {
            let profile = if s3 { Profile::S3 } else { Profile::Oss };
            let config = CorsConfig { rules, response_vary: if s3 { None } else { vary } };
            let options = Options::new(profile).max_rules(1000).strict_origins(strict).allow_credentials(creds);
            let patterns: Vec<String> = config.rules.iter().flat_map(|r| r.allowed_origins.clone()).collect();
            (Just(config), Just(options), Just(no_config < 16), requests(patterns))
        })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(), ..ProptestConfig::default() })]

    #[test]
    fn engine_equals_reference((config, options, no_config, reqs) in setup()) {
        let set = if no_config { options.no_config() } else { options.compile(config.clone()).expect("generated configs are valid") };
        let mut scratch = Scratch::new();
        for r in &reqs {
            let req = Request {
                method: &r.method,
                origin: r.origin.as_deref(),
                acrm: r.acrm.as_deref(),
                acrh: r.acrh.as_deref(),
                target: r.target,
                request_id: Some("req-1"),
                host_id: None,
            };
            let engine = set.evaluate(&req, &mut scratch).to_response();
            let oracle = reference::respond(set.config(), &options, &req);
            prop_assert_eq!(engine, oracle, "request {:?}", r);
        }
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
