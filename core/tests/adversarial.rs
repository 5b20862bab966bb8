//! Adversarial inputs: the cases of `tests/data/adversarial.json` (origin and header tricks,
//! Unicode case folding, `null` and `file://`, control characters, megabyte values, method
//! case), each with its answer under `oss` and `s3`, strict origins off and on, checked for
//! the compiled engine and the reference matcher alike; and configurations built to blow up
//! compilation, which must compile within the size limit or be refused with
//! `CompiledTooLarge`, and still answer as the reference does.

mod common;

use corsmatch::{
    reference, CorsConfig, CorsRule, ErrorKind, Options, Profile, Request, Response, RuleSet, Scratch, Target,
    DEFAULT_MAX_COMPILED_BYTES,
};
use serde_json::Value;

const PROFILES: [Profile; 2] = [Profile::Oss, Profile::S3];

/// A string of the data: `null`, a string, or a generator
/// `{"repeat": S, "times": N, "prefix"?: P, "suffix"?: Q}` for values too large to write.
fn expand(v: &Value) -> Option<String> {
    match v {
        Value::Null => None,
        Value::String(s) => Some(s.clone()),
        Value::Object(spec) => {
            let part = |k: &str| spec.get(k).and_then(Value::as_str).unwrap_or("");
            let times = spec["times"].as_u64().expect("generator times") as usize;
            Some(format!(
                "{}{}{}",
                part("prefix"),
                spec["repeat"].as_str().expect("generator repeat").repeat(times),
                part("suffix")
            ))
        }
        other => panic!("not a string or a generator: {other}"),
    }
}

fn field(request: &Value, key: &str) -> Option<String> {
    request.get(key).and_then(expand)
}

fn short(s: &str) -> String {
    if s.len() <= 80 {
        format!("{s:?}")
    } else {
        format!("{:?}... ({} bytes)", s.chars().take(60).collect::<String>(), s.len())
    }
}

/// What differs between the expectation and a response.
fn differences(expect: &Value, got: &Response) -> Vec<String> {
    let mut out = Vec::new();
    let status = expect.get("status").and_then(Value::as_u64).map(|s| s as u16);
    if status != got.status {
        out.push(format!("status: want {status:?}, got {:?}", got.status));
    }
    let rule = expect.get("rule").and_then(Value::as_u64).map(|r| r as usize);
    if rule != got.rule {
        out.push(format!("rule: want {rule:?}, got {:?}", got.rule));
    }
    match (expect.get("error").and_then(Value::as_str), &got.error) {
        (None, None) => {}
        (Some(code), Some(e)) if e.code == code => {}
        (want, have) => out.push(format!("error: want {want:?}, got {:?}", have.as_ref().map(|e| &e.code))),
    }
    if let (Some(message), Some(e)) = (expect.get("message").and_then(Value::as_str), &got.error) {
        if e.message != message {
            out.push(format!("message: want {message:?}, got {:?}", e.message));
        }
    }
    if let Some(Value::Object(headers)) = expect.get("headers") {
        for (name, want) in headers {
            let want = expand(want);
            let have = got.header(name);
            if want.as_deref() != have {
                let show = |v: Option<&str>| v.map_or("absent".to_string(), short);
                out.push(format!("{name}: want {}, got {}", show(want.as_deref()), show(have)));
            }
        }
    }
    // Nothing is let in: without a matching rule, no Access-Control-* header at all.
    if rule.is_none() {
        for (name, value) in &got.headers {
            if name.starts_with("Access-Control-") {
                out.push(format!("{name}: {} sent without a matching rule", short(value)));
            }
        }
    }
    out
}

fn compile(case: &Value, options: Options) -> Result<RuleSet, corsmatch::ConfigError> {
    match case.get("config_xml") {
        Some(xml) => options.compile_xml(xml.as_str().expect("config_xml").as_bytes()),
        None => {
            let vary = case.get("response_vary").and_then(Value::as_bool);
            options.compile(common::config_from_json(&case["config"], vary))
        }
    }
}

/// Runs one case under one profile and strictness; returns what went wrong.
fn run_case(case: &Value, profile: Profile, strict: bool, scratch: &mut Scratch) -> Vec<String> {
    let expects = &case["expect"];
    let key = format!("{}{}", profile.name(), if strict { "_strict" } else { "" });
    let expect = expects.get(&key).unwrap_or(&expects[profile.name()]);
    let options = Options::new(profile).strict_origins(strict);
    let compiled = compile(case, options);
    if let Some(code) = expect.get("config_error") {
        return match compiled {
            Ok(_) => vec![format!("the configuration was accepted, want {code}")],
            Err(e) => {
                let kind = expect["config_error_kind"].as_str().expect("config_error_kind");
                let mut out = Vec::new();
                if e.code() != code || e.status() != 400 {
                    out.push(format!("want {code}, got {} {}: {e}", e.status(), e.code()));
                }
                if !format!("{:?}", e.kind()).starts_with(kind) {
                    out.push(format!("want kind {kind}, got {:?}", e.kind()));
                }
                out
            }
        };
    }
    let set = match compiled {
        Ok(set) => set,
        Err(e) => return vec![format!("the configuration was refused: {e}")],
    };
    let r = &case["request"];
    let (method, origin, acrm, acrh) = (field(r, "method"), field(r, "origin"), field(r, "acrm"), field(r, "acrh"));
    let req = Request {
        method: method.as_deref().expect("method"),
        origin: origin.as_deref(),
        acrm: acrm.as_deref(),
        acrh: acrh.as_deref(),
        target: r.get("target").and_then(Value::as_str).unwrap_or("object").parse::<Target>().expect("target"),
        request_id: None,
        host_id: None,
    };
    let engine = set.evaluate(&req, scratch).to_response();
    let oracle = reference::respond(set.config(), set.options(), &req);
    let mut out: Vec<String> = differences(expect, &engine).into_iter().map(|d| format!("engine {d}")).collect();
    out.extend(differences(expect, &oracle).into_iter().map(|d| format!("reference {d}")));
    if engine != oracle && out.is_empty() {
        out.push("engine and reference differ outside what the case checks".to_string());
    }
    out
}

fn load() -> Vec<Value> {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/adversarial.json");
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{path}: {e}"));
    serde_json::from_str(&text).expect("adversarial.json is JSON")
}

#[test]
fn adversarial_cases() {
    let cases = load();
    assert!(cases.len() >= 80, "only {} cases", cases.len());
    let mut ids = std::collections::HashSet::new();
    let mut failures = Vec::new();
    let mut scratch = Scratch::new();
    let mut runs = 0;
    for case in &cases {
        let id = case["id"].as_str().expect("id");
        assert!(ids.insert(id), "duplicate id {id}");
        for p in PROFILES {
            assert!(case["expect"].get(p.name()).is_some(), "{id}: no expectation under {}", p.name());
        }
        for profile in PROFILES {
            for strict in [false, true] {
                runs += 1;
                for problem in run_case(case, profile, strict, &mut scratch) {
                    failures.push(format!(
                        "{id} [{}{}]: {problem}",
                        profile.name(),
                        if strict { ", strict" } else { "" }
                    ));
                }
            }
        }
    }
    assert_eq!(runs, cases.len() * 4);
    assert!(failures.is_empty(), "{} problems:\n{}", failures.len(), failures.join("\n"));
}

/// The suite exercises strict origins: some cases answer differently with them, and each
/// such case is let in without them and refused with them.
#[test]
fn strict_origins_close_the_glob_tricks() {
    let cases = load();
    let differing: Vec<&str> = cases
        .iter()
        .filter(|c| c["expect"].get("oss_strict").is_some_and(|s| *s != c["expect"]["oss"]))
        .map(|c| c["id"].as_str().unwrap())
        .collect();
    assert!(differing.len() >= 10, "{differing:?}");
    for id in ["sub-path-trick", "sub-port-trick", "request-crlf-origin-glob", "file-empty"] {
        assert!(differing.contains(&id), "{id}");
    }
}

// ---- configurations that try to blow up compilation

/// `n` origin patterns that share long prefixes and suffixes and differ in the middle: exact
/// origins, `prefix*`, `*suffix` and `prefix*suffix`, so that both sides of the index are full.
fn blowup_pattern(i: usize, len: usize) -> String {
    let fill = len.saturating_sub(30) / 2;
    let (head, tail) = ("a".repeat(fill), "b".repeat(fill));
    match i % 4 {
        0 => format!("https://{head}{i:08}.{tail}.example.com"),
        1 => format!("https://{head}{i:08}{tail}*"),
        2 => format!("*{head}{i:08}{tail}.example.com"),
        _ => format!("https://{head}{i:08}*{i:08}{tail}.example.com"),
    }
}

/// An origin that the pattern `i` matches (and, through the shared parts, almost matches
/// many others).
fn blowup_origin(i: usize, len: usize) -> String {
    let fill = len.saturating_sub(30) / 2;
    let (head, tail) = ("a".repeat(fill), "b".repeat(fill));
    match i % 4 {
        0 => format!("https://{head}{i:08}.{tail}.example.com"),
        1 => format!("https://{head}{i:08}{tail}x"),
        2 => format!("https://x{head}{i:08}{tail}.example.com"),
        _ => format!("https://{head}{i:08}-{i:08}{tail}.example.com"),
    }
}

fn blowup_rule(i: usize, origins: Vec<String>) -> CorsRule {
    CorsRule {
        allowed_origins: origins,
        allowed_methods: vec![["GET", "PUT", "POST"][i % 3].to_string()],
        allowed_headers: vec![format!("x-{i}-*"), "content-type".to_string()],
        ..CorsRule::default()
    }
}

/// The engine answers a few requests against the set as the reference does, and the ones
/// aimed at rule `i` with its method are answered by the first rule that allows them.
fn engine_agrees(set: &RuleSet, probes: &[usize], len: usize) {
    let rules = &set.config().expect("a configuration").rules;
    let mut scratch = Scratch::new();
    let mut matched = 0;
    for &i in probes {
        let origin = blowup_origin(i, len);
        let near = format!("{origin}.evil.net");
        let header = format!("X-{i}-Meta");
        let method = rules[i].allowed_methods[0].as_str();
        for origin in [origin.as_str(), near.as_str()] {
            for acrh in [None, Some("content-type"), Some(header.as_str()), Some("x-other")] {
                let req = Request::preflight(Some(origin), Some(method), acrh);
                let engine = set.evaluate(&req, &mut scratch).to_response();
                let oracle = reference::respond(set.config(), set.options(), &req);
                assert_eq!(engine, oracle, "rule {i}, origin {}, acrh {acrh:?}", short(origin));
                if let Some(rule) = engine.rule {
                    assert!(rule <= i || acrh == Some("x-other"), "rule {i} answered by {rule}");
                    matched += 1;
                }
            }
        }
    }
    assert!(matched >= probes.len(), "only {matched} of the requests aimed at a rule matched");
}

/// Compiles with no size limit, then checks that the limit is enforced to the byte: one
/// byte less is refused cleanly with `CompiledTooLarge`, the exact size is accepted, and a
/// small limit is refused too.
fn compile_against_limits(options: Options, config: &CorsConfig) -> RuleSet {
    let set = options.max_compiled_bytes(usize::MAX).compile(config.clone()).expect("compiles without a limit");
    let size = set.memory_usage();
    assert!(size > 0);
    for limit in [size - 1, size / 2] {
        let err = options.max_compiled_bytes(limit).compile(config.clone()).expect_err("over the limit");
        assert_eq!(err.kind(), &ErrorKind::CompiledTooLarge { size, limit }, "{err}");
        assert_eq!((err.status(), err.code()), (400, "InvalidRequest"));
    }
    options.max_compiled_bytes(size).compile(config.clone()).expect("exactly at the limit");
    // Under the default limit it either compiles or is refused cleanly, never anything else.
    match options.compile(config.clone()) {
        Ok(set) => assert!(set.memory_usage() <= DEFAULT_MAX_COMPILED_BYTES),
        Err(e) => assert!(matches!(e.kind(), ErrorKind::CompiledTooLarge { .. }), "{e}"),
    }
    set
}

/// The largest document each profile accepts, full of rules whose origin patterns share
/// long prefixes and suffixes.
#[test]
fn blowup_at_the_document_size_limit() {
    for profile in PROFILES {
        let max = profile.max_document_bytes();
        let rules = profile.max_rules();
        let len = 200;
        // Grow the number of patterns until the document is as large as the profile allows.
        let build = |n: usize| {
            let per_rule = n.div_ceil(rules);
            let rules = (0..rules)
                .map(|r| blowup_rule(r, (0..per_rule).map(|k| blowup_pattern(r * per_rule + k, len)).collect()))
                .collect();
            CorsConfig { rules, response_vary: None }
        };
        let mut n = rules;
        while build(n + rules).to_xml().len() <= max {
            n += rules;
        }
        let config = build(n);
        let xml = config.to_xml();
        assert!(xml.len() <= max && xml.len() > max - 2 * rules * (len + 40), "{} bytes", xml.len());
        let parsed = RuleSet::from_xml(xml.as_bytes(), profile).expect("the largest document compiles by default");
        assert_eq!(parsed.config(), Some(&config));
        assert!(parsed.memory_usage() <= DEFAULT_MAX_COMPILED_BYTES);
        let set = compile_against_limits(Options::new(profile), &config);
        // The probes address the first pattern of a few rules.
        let per_rule = config.rules[0].allowed_origins.len();
        let probes: Vec<usize> = [0, 1, rules / 2, rules - 1].iter().map(|r| r * per_rule).collect();
        let owners: Vec<usize> = probes.iter().map(|p| p / per_rule).collect();
        let mut scratch = Scratch::new();
        for (&p, &owner) in probes.iter().zip(&owners) {
            let origin = blowup_origin(p, len);
            let method = config.rules[owner].allowed_methods[0].as_str();
            let req = Request::preflight(Some(&origin), Some(method), Some("Content-Type"));
            let engine = set.evaluate(&req, &mut scratch).to_response();
            assert_eq!(engine, reference::respond(set.config(), set.options(), &req));
            assert_eq!(engine.status, Some(200), "{}", short(&origin));
            assert!(engine.rule.is_some_and(|r| r <= owner));
        }
    }
}

/// With raised limits: 10,000 rules of 200-byte patterns, built in code and as a document.
#[test]
fn blowup_ten_thousand_rules_with_raised_limits() {
    let (count, len) = (10_000, 200);
    let config = CorsConfig {
        rules: (0..count).map(|i| blowup_rule(i, vec![blowup_pattern(i, len)])).collect(),
        response_vary: None,
    };
    assert!(config.rules.iter().all(|r| r.allowed_origins[0].len() >= len - 20));
    let options = Options::new(Profile::S3).max_rules(count).max_document_bytes(16 << 20);
    let set = compile_against_limits(options, &config);
    engine_agrees(&set, &[0, 1, 2, 3, 4_999, 5_002, 9_998, 9_999], len);
    // The same through the XML parser.
    let xml = config.to_xml();
    assert!(xml.len() > count * len);
    let parsed = options.max_compiled_bytes(usize::MAX).compile_xml(xml.as_bytes()).expect("the document compiles");
    assert_eq!(parsed.config(), Some(&config));
    assert_eq!(parsed.memory_usage(), set.memory_usage());
    // One rule too many is refused with the provider's error.
    let err = options.max_rules(count - 1).compile_xml(xml.as_bytes()).expect_err("too many rules");
    assert_eq!(err.kind(), &ErrorKind::TooManyRules { count, limit: count - 1 });
}

/// Counts the bytes each thread has live, and the peak since [`peak_from_here`], so that a
/// test can bound the memory a compilation takes while it runs, not only what it keeps.
struct Counting;

std::thread_local! {
    static LIVE: std::cell::Cell<isize> = const { std::cell::Cell::new(0) };
    static PEAK: std::cell::Cell<isize> = const { std::cell::Cell::new(0) };
}

fn note(delta: isize) {
    let _ = LIVE.try_with(|live| {
        let now = live.get().wrapping_add(delta);
        live.set(now);
        let _ = PEAK.try_with(|peak| peak.set(peak.get().max(now)));
    });
}

// SAFETY: every call is forwarded to the system allocator unchanged; only sizes are noted.
unsafe impl std::alloc::GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: std::alloc::Layout) -> *mut u8 {
        let p = std::alloc::System.alloc(layout);
        if !p.is_null() {
            note(layout.size() as isize);
        }
        p
    }

    unsafe fn dealloc(&self, p: *mut u8, layout: std::alloc::Layout) {
        std::alloc::System.dealloc(p, layout);
        note(-(layout.size() as isize));
    }

    unsafe fn realloc(&self, p: *mut u8, layout: std::alloc::Layout, size: usize) -> *mut u8 {
        let q = std::alloc::System.realloc(p, layout, size);
        if !q.is_null() {
            note(size as isize - layout.size() as isize);
        }
        q
    }
}

#[global_allocator]
static COUNTING: Counting = Counting;

/// Runs `f` and returns its result with the most bytes it had allocated at once.
fn peak_bytes<T>(f: impl FnOnce() -> T) -> (T, usize) {
    let start = LIVE.with(|l| l.get());
    PEAK.with(|p| p.set(start));
    let out = f();
    (out, (PEAK.with(|p| p.get()) - start).max(0) as usize)
}

/// `count` origins of `len` bytes drawn from a wide alphabet (ASCII and UTF-8 of every
/// length), sharing nothing: the worst case for an automaton's size per pattern byte.
fn diverse_origins(count: usize, len: usize) -> Vec<String> {
    let alphabet: Vec<char> = (0x21u8..0x7f)
        .map(char::from)
        .filter(|c| !"*<>&".contains(*c))
        .chain((0x80u32..0x800).step_by(7).filter_map(char::from_u32))
        .chain((0x800u32..0x1_0000).step_by(4099).filter_map(char::from_u32))
        .chain(['\u{10000}', '\u{40000}', '\u{100000}'])
        .collect();
    let mut state = 0x2545_f491_4f6c_dd1du64;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    (0..count)
        .map(|_| {
            let mut s = String::from("https://");
            while s.len() < len {
                s.push(alphabet[(next() % alphabet.len() as u64) as usize]);
            }
            s
        })
        .collect()
}

fn two_per_rule(origins: &[String]) -> CorsConfig {
    let rules = origins
        .chunks(2)
        .enumerate()
        .map(|(i, pair)| CorsRule { allowed_origins: pair.to_vec(), ..blowup_rule(i, Vec::new()) })
        .collect();
    CorsConfig { rules, response_vary: None }
}

/// 200 diverse origins, two per rule, as long
/// as the s3 document size allows.
fn largest_diverse_document() -> (Vec<String>, CorsConfig, String) {
    let mut len = 400;
    loop {
        let origins = diverse_origins(200, len);
        let config = two_per_rule(&origins);
        let xml = config.to_xml();
        if xml.len() <= Profile::S3.max_document_bytes() {
            return (origins, config, xml);
        }
        len -= 5;
    }
}

/// The largest s3 document of long patterns that share nothing compiles under the default
/// limit, and answers as the reference does.
#[test]
fn blowup_diverse_patterns_at_the_document_size_limit() {
    let (origins, config, xml) = largest_diverse_document();
    assert!(xml.len() <= Profile::S3.max_document_bytes() && xml.len() > 60_000, "{} bytes", xml.len());
    let set = RuleSet::from_xml(xml.as_bytes(), Profile::S3).expect("compiles under the default limit");
    assert!(set.memory_usage() <= DEFAULT_MAX_COMPILED_BYTES);
    eprintln!("a {} byte s3 document of 200 diverse patterns compiles to {} bytes", xml.len(), set.memory_usage());
    let mut scratch = Scratch::new();
    for (i, origin) in origins.iter().enumerate().step_by(37) {
        let near = format!("{}x", &origin[..origin.len() - origin.chars().last().unwrap().len_utf8()]);
        for (o, want) in [(origin.as_str(), Some(i / 2)), (near.as_str(), None)] {
            let method = config.rules[i / 2].allowed_methods[0].as_str();
            let req = Request::preflight(Some(o), Some(method), None);
            let engine = set.evaluate(&req, &mut scratch).to_response();
            assert_eq!(engine, reference::respond(set.config(), set.options(), &req));
            assert_eq!(engine.rule, want, "{}", short(o));
        }
    }
}

/// A compilation refused as too large must not have used much more memory than the limit
/// (and the document) on the way: the limit is what bounds the memory of a server that
/// compiles untrusted configurations.
#[test]
fn compile_memory_is_bounded_before_a_refusal() {
    let (_, _, xml) = largest_diverse_document();
    let size = RuleSet::from_xml(xml.as_bytes(), Profile::S3).expect("compiles").memory_usage();
    let limit = size / 2;
    let options = Options::new(Profile::S3).max_compiled_bytes(limit);
    let (result, peak) = peak_bytes(|| options.compile_xml(xml.as_bytes()));
    let err = result.expect_err("over half its own size");
    assert!(matches!(err.kind(), ErrorKind::CompiledTooLarge { .. }), "{err}");
    let bound = limit + 64 * xml.len();
    assert!(
        peak <= bound,
        "compiling a {} byte document refused at {limit} bytes allocated {peak} bytes at once (bound {bound}): {err}",
        xml.len()
    );
}

/// A configuration whose own strings are over `max_compiled_bytes` is refused before the
/// automata are built, so its compilation allocates little more than the limit.
#[test]
fn oversized_code_built_configs_are_refused_before_building() {
    let rules: Vec<CorsRule> = (0..2000)
        .map(|i| CorsRule {
            allowed_origins: (0..20).map(|j| format!("https://{}{i}-{j}*.example.com", "x".repeat(40))).collect(),
            allowed_methods: vec!["GET".into()],
            ..CorsRule::default()
        })
        .collect();
    let config = CorsConfig { rules, response_vary: None };
    let limit = 1 << 20;
    // Without the early refusal it allocated about 25 MB before refusing.
    let options = Options::new(Profile::S3).max_rules(10_000).max_compiled_bytes(limit);
    let (result, peak) = peak_bytes(|| options.compile(config));
    let err = result.expect_err("about 4 MB of patterns, over 1 MiB");
    assert!(matches!(err.kind(), ErrorKind::CompiledTooLarge { .. }), "{err}");
    assert!(peak <= 2 * limit, "a refused compilation allocated {peak} bytes at once");
}
