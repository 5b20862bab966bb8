//! Lint: every finding on a minimal configuration and on its fixed form, and the shadowing
//! and overlap analysis against a brute-force enumeration of requests.

use std::collections::{BTreeSet, HashMap};

use corsmatch::lint::{self, Finding, Severity};
use corsmatch::reference::{self, Verdict};
use corsmatch::{CorsConfig, CorsRule, Options, Profile, Request, RuleSet};
use proptest::prelude::*;

fn rule(origins: &[&str], methods: &[&str], headers: &[&str]) -> CorsRule {
    CorsRule {
        allowed_origins: origins.iter().map(|s| s.to_string()).collect(),
        allowed_methods: methods.iter().map(|s| s.to_string()).collect(),
        allowed_headers: headers.iter().map(|s| s.to_string()).collect(),
        ..CorsRule::default()
    }
}

fn exposing(mut r: CorsRule, expose: &[&str]) -> CorsRule {
    r.expose_headers = expose.iter().map(|s| s.to_string()).collect();
    r
}

/// An OSS configuration with ResponseVary on, so that only the finding under test shows.
fn config(rules: Vec<CorsRule>) -> CorsConfig {
    CorsConfig { rules, response_vary: Some(true) }
}

fn oss() -> Options {
    Options::new(Profile::Oss)
}

fn findings(c: &CorsConfig) -> Vec<Finding> {
    lint::lint(c, &oss())
}

fn with_id<'a>(fs: &'a [Finding], id: &str) -> Vec<&'a Finding> {
    fs.iter().filter(|f| f.id == id).collect()
}

fn ids(fs: &[Finding]) -> BTreeSet<&'static str> {
    fs.iter().map(|f| f.id).collect()
}

/// The quoted value a fix suggests (`write "https://a.com"`).
fn suggested(fix: &str) -> String {
    let start = fix.find('"').expect("a quoted value") + 1;
    let end = start + fix[start..].find('"').expect("a closing quote");
    fix[start..end].to_string()
}

/// Fires (at this severity, on this rule and item) on `bad`, and not at all on `good`.
fn fires(id: &str, severity: Severity, at: (Option<usize>, Option<usize>), bad: &CorsConfig, good: &CorsConfig) {
    let fs = findings(bad);
    let hits = with_id(&fs, id);
    assert_eq!(hits.len(), 1, "{id} should fire once on {bad:?}: {fs:#?}");
    assert_eq!(hits[0].severity, severity, "{:?}", hits[0]);
    assert_eq!((hits[0].rule, hits[0].item), at, "{:?}", hits[0]);
    assert!(!hits[0].message.is_empty() && !hits[0].fix.is_empty());
    let fs = findings(good);
    assert!(with_id(&fs, id).is_empty(), "{id} should not fire on {good:?}: {fs:#?}");
}

/// An origin finding's fix, applied, makes it go away.
fn origin_fix_works(id: &str, origin: &str) {
    let bad = config(vec![rule(&[origin], &["GET"], &[])]);
    let fs = findings(&bad);
    let hit = with_id(&fs, id);
    assert_eq!(hit.len(), 1, "{id} on {origin}: {fs:#?}");
    assert_eq!(hit[0].element, Some("AllowedOrigin"));
    let fixed = suggested(&hit[0].fix);
    let fs = findings(&config(vec![rule(&[&fixed], &["GET"], &[])]));
    assert!(with_id(&fs, id).is_empty(), "{id} still fires on the fix {fixed:?} of {origin:?}: {fs:#?}");
}

#[test]
fn shadowed_by_one_rule_and_by_a_union_of_methods() {
    let a = "https://a.com";
    fires(
        "shadowed-rule",
        Severity::Warning,
        (Some(2), None),
        &config(vec![rule(&[a], &["GET"], &[]), rule(&[a], &["PUT"], &[]), rule(&[a], &["GET", "PUT"], &[])]),
        &config(vec![rule(&[a], &["GET"], &[]), rule(&[a], &["PUT"], &[]), rule(&[a], &["GET", "PUT", "DELETE"], &[])]),
    );
    let fs =
        findings(&config(vec![rule(&[a], &["GET"], &[]), rule(&[a], &["PUT"], &[]), rule(&[a], &["GET", "PUT"], &[])]));
    assert_eq!(with_id(&fs, "shadowed-rule")[0].related, vec![0, 1]);
}

#[test]
fn shadowed_by_a_union_of_origins() {
    let bad = config(vec![
        rule(&["https://*.a.com"], &["GET"], &["*"]),
        rule(&["https://a.com"], &["GET"], &["*"]),
        rule(&["https://a.com", "https://www.a.com"], &["GET"], &["x-a"]),
    ]);
    let good = config(vec![
        rule(&["https://*.a.com"], &["GET"], &["*"]),
        rule(&["https://a.com"], &["GET"], &["*"]),
        rule(&["https://a.com", "https://www.a.com", "https://a.org"], &["GET"], &["x-a"]),
    ]);
    fires("shadowed-rule", Severity::Warning, (Some(2), None), &bad, &good);
    // https://*a.com also lets https://evila.com in, which rules 0 and 1 do not.
    let star = config(vec![
        rule(&["https://*.a.com"], &["GET"], &[]),
        rule(&["https://a.com"], &["GET"], &[]),
        rule(&["https://*a.com"], &["GET"], &[]),
    ]);
    assert!(with_id(&findings(&star), "shadowed-rule").is_empty());
    // http* matches "http" itself and "httpx:...", which https://* and http://* do not.
    let schemes = |last: &str| {
        config(vec![
            rule(&["https://*"], &["GET"], &[]),
            rule(&["http://*"], &["GET"], &[]),
            rule(&[last], &["GET"], &[]),
        ])
    };
    assert!(with_id(&findings(&schemes("http*")), "shadowed-rule").is_empty());
    assert_eq!(with_id(&findings(&schemes("https://*.com")), "shadowed-rule").len(), 1);
    // The glob's length condition: a*a does not match "a", so "a" and a*a cover a*.
    let globs = config(vec![rule(&["a", "a*a"], &["GET"], &[]), rule(&["a*"], &["GET"], &[])]);
    assert!(with_id(&findings(&globs), "shadowed-rule").is_empty(), "a*b is in a* and not in a or a*a");
    let globs = config(vec![rule(&["a*a"], &["GET"], &[]), rule(&["aa"], &["GET"], &[])]);
    assert_eq!(with_id(&findings(&globs), "shadowed-rule").len(), 1);
}

#[test]
fn headers_must_be_allowed_by_one_earlier_rule_at_once() {
    let o = "https://a.com";
    // Rules 0 and 1 together allow x-a and x-b, but a request asking for both reaches rule 2.
    let split = config(vec![
        rule(&[o], &["GET"], &["x-a"]),
        rule(&[o], &["GET"], &["x-b"]),
        rule(&[o], &["GET"], &["x-a", "x-b"]),
    ]);
    assert!(with_id(&findings(&split), "shadowed-rule").is_empty());
    let one = config(vec![
        rule(&[o], &["GET"], &["x-a"]),
        rule(&[o], &["GET"], &["x-*"]),
        rule(&[o], &["GET"], &["X-A", "x-b"]),
    ]);
    let fs = findings(&one);
    let hit = with_id(&fs, "shadowed-rule");
    assert_eq!(hit.len(), 1, "{fs:#?}");
    assert_eq!(hit[0].related, vec![1]);
    // A rule without AllowedHeader allows only requests without headers: any earlier rule
    // with its origin and method covers it, and it covers nothing but those.
    let empty = config(vec![rule(&[o], &["GET"], &["x-a"]), rule(&[o], &["GET"], &[])]);
    assert_eq!(with_id(&findings(&empty), "shadowed-rule").len(), 1);
    let empty = config(vec![rule(&[o], &["GET"], &[]), rule(&[o], &["GET"], &["x-a"])]);
    assert!(with_id(&findings(&empty), "shadowed-rule").is_empty());
    // AllowedHeader values no parsed header item can match ("a,b", " x") allow nothing more
    // than no header at all.
    let never = config(vec![rule(&[o], &["GET"], &[]), rule(&[o], &["GET"], &["a,b", " x", ""])]);
    assert_eq!(with_id(&findings(&never), "shadowed-rule").len(), 1);
}

#[test]
fn overlap_shows_a_request_both_rules_match() {
    let bad = config(vec![rule(&["*"], &["GET"], &[]), rule(&["https://a.com"], &["GET", "PUT"], &[])]);
    let good = config(vec![rule(&["*"], &["GET"], &[]), rule(&["https://a.com"], &["PUT"], &[])]);
    fires("overlap", Severity::Warning, (Some(1), None), &bad, &good);
    let fs = findings(&bad);
    let hit = with_id(&fs, "overlap")[0];
    assert_eq!(hit.related, vec![0]);
    let ex = hit.example.as_ref().expect("an example request");
    assert_eq!((ex.origin.as_str(), ex.method.as_str()), ("https://a.com", "GET"));
    // The specific rule first: the overlap is only worth knowing.
    let ordered = config(vec![rule(&["https://a.com"], &["GET", "PUT"], &[]), rule(&["*"], &["GET"], &[])]);
    let fs = findings(&ordered);
    assert_eq!(with_id(&fs, "overlap").len(), 1);
    assert_eq!(with_id(&fs, "overlap")[0].severity, Severity::Info);
    assert!(!lint::has_problems(&fs), "{fs:#?}");
    // Same answers: nothing to report.
    let same =
        config(vec![rule(&["https://*.a.com"], &["GET"], &["x-a"]), rule(&["https://www.*"], &["GET"], &["x-b"])]);
    assert!(with_id(&findings(&same), "overlap").is_empty());
    // A max age of its own: reported, with a request both rules match.
    let mut aged = same.clone();
    aged.rules[1].max_age_seconds = Some(60);
    let fs = findings(&aged);
    let hit = with_id(&fs, "overlap");
    assert_eq!(hit.len(), 1, "{fs:#?}");
    let ex = hit[0].example.as_ref().unwrap();
    for r in &aged.rules {
        assert_eq!(reference::verdict(r, &ex.origin, &ex.method, &ex.headers, false), Verdict::Matched, "{ex:?}");
    }
    assert!(corsmatch::pattern::is_serialized_origin(&ex.origin), "{ex:?}");
}

#[test]
fn origin_findings() {
    let one = |o: &str| config(vec![rule(&[o], &["GET"], &[])]);
    let at = (Some(0), Some(0));
    fires("origin-no-scheme", Severity::Warning, at, &one("www.example.com"), &one("https://www.example.com"));
    fires("origin-no-scheme", Severity::Warning, at, &one("example.*"), &one("http*"));
    fires("origin-has-path", Severity::Warning, at, &one("https://a.com/"), &one("https://a.com"));
    fires("origin-has-path", Severity::Warning, at, &one("https://a.com/app"), &one("https://a.com:8080"));
    fires("origin-has-path", Severity::Warning, at, &one("https://*.a.com/x?y"), &one("https://*.a.com"));
    fires("origin-default-port", Severity::Warning, at, &one("https://a.com:443"), &one("https://a.com:8443"));
    fires("origin-default-port", Severity::Warning, at, &one("http://*.a.com:80"), &one("https://a.com:80"));
    fires("origin-uppercase", Severity::Warning, at, &one("https://WWW.a.com"), &one("https://www.a.com"));
    for (id, origin) in [
        ("origin-no-scheme", "www.example.com"),
        ("origin-has-path", "https://a.com/"),
        ("origin-has-path", "https://*.a.com/app/*"),
        ("origin-default-port", "https://a.com:443"),
        ("origin-default-port", "http://a.com:80"),
        ("origin-uppercase", "HTTPS://A.com"),
    ] {
        origin_fix_works(id, origin);
    }
    let both = ids(&findings(&one("HTTPS://a.com:443")));
    assert!(both.contains("origin-uppercase") && both.contains("origin-default-port"), "{both:?}");
    // `null` (sandboxed documents) is what browsers send; `*` is no item finding.
    assert!(findings(&one("null")).is_empty());
    assert!(findings(&config(vec![rule(&["*"], &["GET"], &[])])).is_empty());
}

#[test]
fn wildcards_that_let_other_sites_in() {
    let one = |o: &str| config(vec![rule(&[o], &["GET"], &[])]);
    let at = (Some(0), Some(0));
    for bad in
        ["https://*example.com", "https://example.*", "https://*", "https://*.com", "https://*.com.cn", "*example.com"]
    {
        fires("wildcard-registrable-domain", Severity::Warning, at, &one(bad), &one("https://*.example.com"));
        fires("wildcard-all-with-credentials", Severity::Error, at, &one(bad), &one("https://*.example.com"));
    }
    for ok in ["https://*.example.com", "*.example.co.uk", "https://a*b.example.com", "http://localhost:*", "*://a.com"]
    {
        assert!(findings(&one(ok)).is_empty(), "{ok}: {:#?}", findings(&one(ok)));
    }
    // Credentials off, or the rule answered with `*`: the pattern is still too wide, but no
    // credentials go with it.
    let bad = one("https://*example.com");
    let fs = lint::lint(&bad, &oss().allow_credentials(false));
    assert_eq!(ids(&fs), BTreeSet::from(["wildcard-registrable-domain"]));
    let starred = config(vec![rule(&["https://*example.com", "*"], &["GET"], &[])]);
    assert!(with_id(&findings(&starred), "wildcard-all-with-credentials").is_empty());
}

#[test]
fn vary_missing_when_origins_are_echoed() {
    let echo = vec![rule(&["https://a.com"], &["GET"], &[])];
    let off = CorsConfig { rules: echo.clone(), response_vary: None };
    fires("vary-missing", Severity::Warning, (None, None), &off, &config(echo.clone()));
    let fs = findings(&CorsConfig { rules: echo.clone(), response_vary: Some(false) });
    assert_eq!(with_id(&fs, "vary-missing")[0].related, vec![0]);
    // `*` answers the same to everyone; S3 always sends Vary.
    let star = CorsConfig { rules: vec![rule(&["*"], &["GET"], &[])], response_vary: None };
    assert!(findings(&star).is_empty());
    let s3 = CorsConfig { rules: echo, response_vary: None };
    assert!(lint::lint(&s3, &Options::new(Profile::S3)).is_empty());
}

#[test]
fn duplicates() {
    let o = ["https://a.com"];
    let headers = |h: &[&str]| config(vec![rule(&o, &["GET"], h)]);
    fires("header-duplicate", Severity::Info, (Some(0), Some(1)), &headers(&["x-a", "X-A"]), &headers(&["x-a", "x-b"]));
    fires("header-duplicate", Severity::Info, (Some(0), Some(1)), &headers(&["x-*", "x-a"]), &headers(&["x-*", "y-a"]));
    fires("header-duplicate", Severity::Info, (Some(0), Some(0)), &headers(&["x-a", "*"]), &headers(&["*"]));
    let expose = |e: &[&str]| config(vec![exposing(rule(&o, &["GET"], &[]), e)]);
    fires("header-duplicate", Severity::Info, (Some(0), Some(1)), &expose(&["ETag", "etag"]), &expose(&["ETag"]));
    let fs = findings(&expose(&["ETag", "etag"]));
    assert_eq!(with_id(&fs, "header-duplicate")[0].element, Some("ExposeHeader"));
    let methods = |m: &[&str]| config(vec![rule(&o, m, &[])]);
    fires(
        "method-duplicate",
        Severity::Info,
        (Some(0), Some(2)),
        &methods(&["GET", "PUT", "GET"]),
        &methods(&["GET", "PUT"]),
    );
}

#[test]
fn sensitive_exposed_headers() {
    let expose = |e: &[&str]| config(vec![exposing(rule(&["https://a.com"], &["GET"], &[]), e)]);
    for bad in ["x-oss-security-token", "X-Amz-Security-Token", "Authorization", "Set-Cookie", "x-csrf-token"] {
        fires("expose-sensitive", Severity::Warning, (Some(0), Some(1)), &expose(&["ETag", bad]), &expose(&["ETag"]));
    }
    assert!(findings(&expose(&["ETag", "x-oss-request-id", "Content-Length"])).is_empty());
}

#[test]
fn many_origins() {
    fires(
        "many-origins-in-rule",
        Severity::Info,
        (Some(0), None),
        &config(vec![rule(&["https://a.com", "https://b.com"], &["GET"], &[])]),
        &config(vec![rule(&["https://a.com"], &["GET"], &[]), rule(&["https://b.com"], &["GET"], &[])]),
    );
}

#[test]
fn a_large_configuration_finishes() {
    // 100 rules of 30 origins each, then two rules the analysis must see through: the cost
    // is quadratic in the number of patterns, at worst.
    let mut rules = Vec::new();
    for r in 0..100 {
        let origins: Vec<String> = (0..30).map(|o| format!("https://*.h{r}x{o}.example.com")).collect();
        let origins: Vec<&str> = origins.iter().map(String::as_str).collect();
        rules.push(rule(&origins, &["GET", "PUT"], &["x-*"]));
    }
    rules.push(rule(&["https://*.example.com"], &["GET"], &["*"]));
    rules.push(rule(&["https://*.h3x4.example.com"], &["PUT"], &["x-y"]));
    let c = CorsConfig { rules, response_vary: None };
    let fs = lint::lint(&c, &Options::new(Profile::S3));
    let shadowed: Vec<_> = with_id(&fs, "shadowed-rule").iter().map(|f| f.rule).collect();
    assert_eq!(shadowed, vec![Some(101)]);
}

#[test]
fn every_id_is_tested_and_documented() {
    // Each id fires on some configuration of this file; the table is what bindings list.
    let examples = [
        config(vec![rule(&["https://a.com"], &["GET"], &[]), rule(&["https://a.com"], &["GET"], &[])]),
        config(vec![rule(&["*"], &["GET"], &[]), rule(&["https://a.com"], &["GET", "PUT"], &[])]),
        config(vec![rule(&["a.com", "https://a.com/", "https://a.com:443", "https://A.com"], &["GET", "GET"], &[])]),
        config(vec![exposing(rule(&["https://*a.com"], &["GET"], &["x-a", "x-a"]), &["set-cookie"])]),
        CorsConfig { rules: vec![rule(&["https://a.com"], &["GET"], &[])], response_vary: None },
    ];
    let seen: BTreeSet<&str> = examples.iter().flat_map(|c| ids(&findings(c))).collect();
    assert_eq!(seen, lint::IDS.iter().copied().collect::<BTreeSet<_>>());
    let doc = include_str!("../src/lint.rs");
    for id in lint::IDS {
        assert!(doc.contains(&format!("//! | `{id}` |")), "{id} is missing from the module's table");
    }
}

#[test]
fn display_and_problems() {
    let fs = findings(&config(vec![rule(&["https://a.com/"], &["GET"], &["x-a", "X-A"])]));
    let lines: Vec<String> = fs.iter().map(Finding::to_string).collect();
    assert_eq!(
        lines,
        vec![
            "warning origin-has-path rule 0 item 0: origin \"https://a.com/\" ends with a slash; browsers send \
             origins without one, so it never matches (fix: write \"https://a.com\")",
            "info header-duplicate rule 0 item 1: AllowedHeader \"X-A\" repeats \"x-a\" (header names ignore case) \
             (fix: remove \"X-A\")",
        ]
    );
    assert!(lint::has_problems(&fs));
    assert!(!lint::has_problems(&fs[1..]));
    let vary = findings(&CorsConfig { rules: vec![rule(&["https://a.com"], &["GET"], &[])], response_vary: None });
    assert!(vary[0].to_string().starts_with("warning vary-missing config: "));
    assert!(Severity::Info < Severity::Warning && Severity::Warning < Severity::Error);
}

#[test]
fn the_example_configuration_has_no_problems() {
    let xml = std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/../examples/oss-web-upload.xml")).unwrap();
    let set = RuleSet::from_xml(&xml, Profile::Oss).unwrap();
    let fs = set.lint();
    assert!(!lint::has_problems(&fs), "{fs:#?}");
    assert_eq!(ids(&fs), BTreeSet::from(["many-origins-in-rule", "overlap"]));
    assert!(RuleSet::no_config(Profile::Oss).lint().is_empty());
}

// ---------------------------------------------------------------------------------------
// Brute force
//
// Patterns are at most three characters long (besides the star) over a small alphabet.
// Whether a pattern matches a string then depends only on the string's first three and last
// three characters and on whether it is longer than six, and every character outside the
// patterns' alphabet behaves alike. So all strings of length up to 7 over the alphabet and
// one extra character ("c") meet every combination of patterns any string meets: the
// enumeration is complete. Header lists: a rule's verdict depends only on which rules allow
// each item, so one item per such combination suffices, and a request that reaches rule i
// first still does with only one item kept per earlier rule it must avoid, so lists of up to
// three items (four rules) are complete too.

fn strings(alphabet: &[char], max_len: usize) -> Vec<String> {
    let mut out = vec![String::new()];
    let mut layer = vec![String::new()];
    for _ in 0..max_len {
        layer = layer.iter().flat_map(|s| alphabet.iter().map(move |c| format!("{s}{c}"))).collect();
        out.extend(layer.iter().cloned());
    }
    out
}

struct Brute {
    /// Per rule: whether some request is first matched by it.
    reached: Vec<bool>,
    /// Per pair (i, k): whether some request is matched by both.
    both: HashMap<(usize, usize), bool>,
}

fn brute_force(c: &CorsConfig, origins: &[String], items: &[String]) -> Brute {
    let n = c.rules.len();
    // One origin per combination of rules it matches, one item per combination of rules
    // allowing it.
    let mut origin_reps: HashMap<Vec<bool>, &str> = HashMap::new();
    for o in origins {
        let sig = c.rules.iter().map(|r| reference::origin_matches(r, o, false)).collect();
        origin_reps.entry(sig).or_insert(o);
    }
    let mut item_reps: HashMap<Vec<bool>, &str> = HashMap::new();
    for h in items {
        let sig = c.rules.iter().map(|r| reference::header_allowed(r, h)).collect();
        item_reps.entry(sig).or_insert(h);
    }
    let reps: Vec<&str> = item_reps.into_values().collect();
    let mut lists: Vec<Vec<&str>> = vec![vec![]];
    for a in 0..reps.len() {
        lists.push(vec![reps[a]]);
        for b in a + 1..reps.len() {
            lists.push(vec![reps[a], reps[b]]);
            for d in b + 1..reps.len() {
                lists.push(vec![reps[a], reps[b], reps[d]]);
            }
        }
    }
    let methods: BTreeSet<&str> = c.rules.iter().flat_map(|r| r.allowed_methods.iter().map(String::as_str)).collect();
    let mut reached = vec![false; n];
    let mut both = HashMap::new();
    let options = Options::new(Profile::Oss);
    for origin in origin_reps.values() {
        for m in &methods {
            for list in &lists {
                let acrh = list.join(", ");
                let req = Request::preflight(Some(origin), Some(m), Some(&acrh));
                if let Some(first) = reference::respond(Some(c), &options, &req).rule {
                    reached[first] = true;
                }
                let headers = reference::parse_acrh(Some(&acrh));
                let matched: Vec<bool> = c
                    .rules
                    .iter()
                    .map(|r| reference::verdict(r, origin, m, &headers, false) == Verdict::Matched)
                    .collect();
                for i in 0..n {
                    for k in i + 1..n {
                        *both.entry((i, k)).or_insert(false) |= matched[i] && matched[k];
                    }
                }
            }
        }
    }
    Brute { reached, both }
}

fn origin_pattern() -> impl Strategy<Value = String> {
    prop_oneof![
        1 => Just("*".to_string()),
        8 => (proptest::collection::vec(prop::sample::select(vec!['a', 'b']), 0..=3), any::<prop::sample::Index>(), any::<bool>())
            .prop_map(|(chars, at, star)| {
                let mut s: String = chars.iter().collect();
                if star {
                    s.insert(at.index(s.len() + 1), '*');
                }
                s
            }),
    ]
}

fn header_pattern() -> impl Strategy<Value = String> {
    prop_oneof![
        1 => Just("*".to_string()),
        8 => (proptest::collection::vec(prop::sample::select(vec!['a', 'b', 'A', ' ', ',']), 0..=3), any::<prop::sample::Index>(), any::<bool>())
            .prop_map(|(chars, at, star)| {
                let mut s: String = chars.iter().collect();
                if star {
                    s.insert(at.index(s.len() + 1), '*');
                }
                s
            }),
    ]
}

fn small_rule() -> impl Strategy<Value = CorsRule> {
    (
        proptest::collection::vec(origin_pattern(), 1..=3),
        proptest::collection::vec(prop::sample::select(vec!["GET", "PUT", "POST"]), 1..=2),
        proptest::collection::vec(header_pattern(), 0..=2),
        proptest::option::of(prop::sample::select(vec![60u32, 600])),
    )
        .prop_map(|(origins, methods, headers, max_age)| CorsRule {
            allowed_origins: origins,
            allowed_methods: methods.into_iter().map(str::to_string).collect(),
            allowed_headers: headers,
            max_age_seconds: max_age,
            ..CorsRule::default()
        })
}

fn small_config() -> impl Strategy<Value = CorsConfig> {
    proptest::collection::vec(small_rule(), 1..=4).prop_map(|rules| CorsConfig { rules, response_vary: Some(true) })
}

struct Universe {
    origins: Vec<String>,
    items: Vec<String>,
}

fn universe() -> Universe {
    let origins = strings(&['a', 'b', 'c'], 7);
    // Header items are lowercase; a space may sit inside one; a comma never can.
    let items = strings(&['a', 'b', ' ', 'c'], 7)
        .into_iter()
        .filter(|s| reference::parse_acrh(Some(s)) == vec![s.clone()])
        .collect();
    Universe { origins, items }
}

/// Compares the lint's shadowed-rule and overlap findings with the brute force; returns the
/// shadowed and overlapping counts.
fn compare(c: &CorsConfig, u: &Universe) -> Result<(usize, usize), TestCaseError> {
    let fs = findings(c);
    let brute = brute_force(c, &u.origins, &u.items);
    let shadowed: Vec<bool> =
        (0..c.rules.len()).map(|i| fs.iter().any(|f| f.id == "shadowed-rule" && f.rule == Some(i))).collect();
    for (i, s) in shadowed.iter().enumerate() {
        prop_assert_eq!(*s, !brute.reached[i], "rule {}: lint says shadowed={}, {:#?}", i, s, c);
    }
    for f in with_id(&fs, "shadowed-rule") {
        prop_assert!(f.related.iter().all(|&j| j < f.rule.unwrap()));
    }
    let mut overlaps = 0;
    for k in 0..c.rules.len() {
        for i in 0..k {
            let reported = fs.iter().any(|f| f.id == "overlap" && f.rule == Some(k) && f.related == [i]);
            let differ = {
                let a = (&c.rules[i], &c.rules[k]);
                let wild = |r: &CorsRule| r.allowed_origins.iter().any(|o| o == "*");
                wild(a.0) != wild(a.1)
                    || a.0.allowed_methods != a.1.allowed_methods
                    || a.0.expose_headers != a.1.expose_headers
                    || a.0.max_age_seconds != a.1.max_age_seconds
            };
            let expected = brute.both[&(i, k)] && differ && !shadowed[i] && !shadowed[k];
            prop_assert_eq!(reported, expected, "overlap {} {}: {:#?}", i, k, c);
            if reported {
                overlaps += 1;
                let f = fs.iter().find(|f| f.id == "overlap" && f.rule == Some(k) && f.related == [i]).unwrap();
                let ex = f.example.as_ref().unwrap();
                for r in [&c.rules[i], &c.rules[k]] {
                    prop_assert_eq!(
                        reference::verdict(r, &ex.origin, &ex.method, &ex.headers, false),
                        Verdict::Matched
                    );
                }
            }
        }
    }
    Ok((shadowed.iter().filter(|s| **s).count(), overlaps))
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 160, ..ProptestConfig::default() })]

    #[test]
    fn shadowing_and_overlap_match_brute_force(c in small_config()) {
        thread_local!(static U: Universe = universe());
        U.with(|u| compare(&c, u))?;
    }
}

#[test]
fn the_generated_configurations_are_not_trivial() {
    // The brute-force comparison means something only if both answers occur often.
    use proptest::strategy::ValueTree;
    use proptest::test_runner::TestRunner;
    let u = universe();
    let mut runner = TestRunner::deterministic();
    let strategy = small_config();
    let (mut rules, mut shadowed, mut overlaps) = (0, 0, 0);
    for _ in 0..60 {
        let c = strategy.new_tree(&mut runner).unwrap().current();
        let (s, o) = compare(&c, &u).unwrap_or_else(|e| panic!("{e}"));
        rules += c.rules.len() - 1;
        shadowed += s;
        overlaps += o;
    }
    eprintln!("{rules} later rules, {shadowed} shadowed, {overlaps} overlaps");
    assert!(
        shadowed >= 5 && rules - shadowed >= 5 && overlaps >= 5,
        "{rules} later rules, {shadowed} shadowed, {overlaps} overlaps"
    );
}

#[test]
fn json_is_an_array_of_findings() {
    let mut c =
        config(vec![rule(&["*"], &["GET"], &[]), rule(&["https://a.com/\"\\\t\u{1}"], &["GET", "PUT"], &["x-a"])]);
    c.response_vary = None;
    let fs = findings(&c);
    assert!(fs.len() >= 3, "{fs:#?}");
    let v: serde_json::Value = serde_json::from_str(&lint::to_json(&fs)).expect("valid JSON");
    let list = v.as_array().unwrap();
    assert_eq!(list.len(), fs.len());
    for (j, f) in list.iter().zip(&fs) {
        assert_eq!(j["id"], f.id);
        assert_eq!(j["severity"], f.severity.name());
        assert_eq!(j["rule"].as_u64().map(|n| n as usize), f.rule);
        assert_eq!(j["element"].as_str(), f.element);
        assert_eq!(j["item"].as_u64().map(|n| n as usize), f.item);
        assert_eq!(j["message"], f.message.as_str());
        assert_eq!(j["fix"], f.fix.as_str());
        let related: Vec<usize> =
            j["related"].as_array().unwrap().iter().map(|n| n.as_u64().unwrap() as usize).collect();
        assert_eq!(related, f.related);
        match &f.example {
            None => assert!(j["example"].is_null()),
            Some(e) => {
                assert_eq!(j["example"]["origin"], e.origin.as_str());
                assert_eq!(j["example"]["method"], e.method.as_str());
                assert_eq!(j["example"]["headers"], serde_json::json!(e.headers));
            }
        }
    }
    // The example holds the quote, backslash, tab and control character of the origin.
    assert!(fs.iter().any(|f| f.example.as_ref().is_some_and(|e| e.origin.ends_with("\"\\\t\u{1}"))));
    assert_eq!(lint::to_json(&[]), "[]");
}
