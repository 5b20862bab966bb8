//! The reference matcher's messages and error bodies, checked against the text they come
//! from: docs/SEMANTICS.md (quoted messages, the body template, the codes and statuses) and
//! the README's "Semantics" choices. The reference keeps its own copies of the providers'
//! strings, so this is what ties them, and through engine == reference the engine's, to the
//! contract.

use corsmatch::{reference, CorsConfig, CorsRule, Options, Profile, Request, Response, Target};

const SEMANTICS: &str = include_str!("../../docs/SEMANTICS.md");
const README: &str = include_str!("../../README.md");

/// The markdown with each list item's continuation lines joined to it, so that a sentence
/// (and a quote) broken over lines is on one line.
fn unwrapped(md: &str) -> Vec<String> {
    let mut lines: Vec<String> = Vec::new();
    for line in md.lines() {
        match lines.last_mut() {
            Some(last) if line.starts_with("  ") && !last.is_empty() => {
                last.push(' ');
                last.push_str(line.trim_start());
            }
            _ => lines.push(line.to_string()),
        }
    }
    lines
}

/// Every `"…"` quote of the text, line by line.
fn quotes(md: &str) -> Vec<String> {
    unwrapped(md)
        .iter()
        .flat_map(|line| line.split('"').skip(1).step_by(2).map(str::to_string).collect::<Vec<_>>())
        .collect()
}

/// Every `` `…` `` span of the text, line by line.
fn code_spans(md: &str) -> Vec<String> {
    unwrapped(md)
        .iter()
        .flat_map(|line| line.split('`').skip(1).step_by(2).map(str::to_string).collect::<Vec<_>>())
        .collect()
}

/// The one quote of SEMANTICS.md that starts with `prefix`.
fn quote(prefix: &str) -> String {
    let found: Vec<String> = quotes(SEMANTICS).into_iter().filter(|q| q.starts_with(prefix)).collect();
    assert_eq!(found.len(), 1, "SEMANTICS.md should quote exactly one message starting {prefix:?}: {found:?}");
    found[0].clone()
}

/// The one (unwrapped) line of SEMANTICS.md holding `anchor`.
fn line_with(anchor: &str) -> String {
    let found: Vec<String> = unwrapped(SEMANTICS).into_iter().filter(|l| l.contains(anchor)).collect();
    assert_eq!(found.len(), 1, "SEMANTICS.md should hold {anchor:?} on exactly one line: {found:?}");
    found[0].clone()
}

/// The no-match message, for oss (the seed's text) and s3 (the row's one correction).
fn denied(profile: Profile) -> String {
    let oss = quote("CORSResponse: This CORS request is not allowed.");
    match profile {
        Profile::Oss => oss,
        Profile::S3 => {
            let row = line_with(&oss);
            assert!(row.contains(
                r#"the same sentence with "Access-Control-Request-Headers" spelled right ("evalution" kept)"#
            ));
            assert!(oss.contains("Access-Control-Requet-Headers") && oss.contains("evalution"), "typos kept");
            oss.replace("Access-Control-Requet-Headers", "Access-Control-Request-Headers")
        }
    }
}

fn config() -> CorsConfig {
    let rule = CorsRule {
        allowed_origins: vec!["https://www.example.com".into()],
        allowed_methods: vec!["GET".into()],
        ..CorsRule::default()
    };
    CorsConfig { rules: vec![rule], response_vary: None }
}

/// One refusal: the request, whether the bucket has a configuration, and what SEMANTICS.md
/// says of it: the message, and a phrase on the line that gives its status and code.
struct Refusal {
    name: &'static str,
    configured: bool,
    request: Request<'static>,
    status: u16,
    code: &'static str,
    message: String,
    status_line: String,
}

fn refusals(profile: Profile) -> Vec<Refusal> {
    let pf = |origin, acrm| Request::preflight(origin, acrm, None);
    let site = Some("https://www.example.com");
    let oss = profile == Profile::Oss;
    let invalid = quote("Invalid Access-Control-Request-Method: X");
    let no_acrm = if oss {
        quote("Insufficient information. Request")
    } else {
        quote("Invalid Access-Control-Request-Method: null")
    };
    let not_enabled = if oss { denied(profile) } else { quote("CORSResponse: CORS is not enabled") };
    vec![
        Refusal {
            name: "no Origin",
            configured: true,
            request: pf(None, Some("GET")),
            status: 400,
            code: "BadRequest",
            message: quote("Insufficient information. Origin"),
            status_line: quote("Insufficient information. Origin"),
        },
        Refusal {
            name: "invalid ACRM",
            configured: true,
            request: pf(site, Some("get")),
            status: 400,
            code: "BadRequest",
            message: invalid.replace(": X", ": get"),
            status_line: invalid,
        },
        Refusal {
            name: "no configuration",
            configured: false,
            request: pf(site, Some("GET")),
            status: 403,
            code: "AccessForbidden",
            message: not_enabled.clone(),
            status_line: if oss { "| preflight, no CORS config |".to_string() } else { not_enabled },
        },
        Refusal {
            name: "no ACRM",
            configured: true,
            request: pf(site, None),
            status: 400,
            code: "BadRequest",
            message: no_acrm.clone(),
            status_line: no_acrm,
        },
        Refusal {
            name: "no rule matches",
            configured: true,
            request: pf(Some("https://other.example.com"), Some("GET")),
            status: 403,
            code: "AccessForbidden",
            message: denied(profile),
            status_line: "no rule matches →".to_string(),
        },
    ]
}

fn respond(profile: Profile, configured: bool, request: &Request<'_>) -> Response {
    let config = config();
    reference::respond(configured.then_some(&config), &Options::new(profile), request)
}

#[test]
fn refusals_say_what_semantics_says() {
    for profile in [Profile::Oss, Profile::S3] {
        for case in refusals(profile) {
            let what = format!("{profile:?}, {}", case.name);
            let line = line_with(&case.status_line);
            assert!(line.contains(&format!("{} `{}`", case.status, case.code)), "{what}: {line}");
            let got = respond(profile, case.configured, &case.request);
            assert_eq!(got.status, Some(case.status), "{what}");
            assert!(got.headers.is_empty(), "{what}: 400/403 responses carry no Access-Control-* header");
            let error = got.error.expect(&what);
            assert_eq!((error.code.as_str(), error.message.as_str()), (case.code, case.message.as_str()), "{what}");
        }
    }
}

/// README: "A bucket that does not exist is answered `404 NoSuchBucket` by oss and
/// `403 CORSResponse: Bucket not found` by s3." The oss message is written in neither text;
/// the pure-Python oracle and the recorded case oss-16 hold it.
#[test]
fn a_missing_bucket_says_what_the_readme_says() {
    let spans = code_spans(README);
    let oracle = include_str!("../../py/tests/oracle.py");
    let req = Request {
        target: Target::MissingBucket,
        ..Request::preflight(Some("https://www.example.com"), Some("GET"), None)
    };
    let oss = respond(Profile::Oss, true, &req);
    let error = oss.error.unwrap();
    assert!(spans.contains(&format!("{} {}", oss.status.unwrap(), error.code)), "{error:?}");
    assert!(oracle.contains(&format!("OSS_NO_BUCKET = {:?}", error.message)), "{error:?}");
    let s3 = respond(Profile::S3, true, &req);
    let error = s3.error.unwrap();
    assert_eq!(error.code, "AccessForbidden");
    assert!(spans.contains(&format!("{} {}", s3.status.unwrap(), error.message)), "{error:?}");
}

/// The body template of SEMANTICS §5 with its `…` filled in, escaped by hand.
fn template_body(s3_extras: Option<(&str, &str)>, values: &[&str], ids: bool) -> String {
    let template = code_spans(SEMANTICS).into_iter().find(|s| s.starts_with("<?xml")).expect("the body template");
    let mut template = template.replace("\\n", "\n");
    let open = template.find("[s3: ").unwrap();
    let close = open + template[open..].find(']').unwrap();
    let inner = template[open + "[s3: ".len()..close].to_string();
    template.replace_range(open..=close, if s3_extras.is_some() { &inner } else { "" });
    if !ids {
        template = template.replace("<RequestId>…</RequestId><HostId>…</HostId>", "");
    }
    let mut values: Vec<&str> = values.to_vec();
    if let Some((method, resource_type)) = s3_extras {
        values.splice(2..2, [method, resource_type]);
    }
    let pieces: Vec<&str> = template.split('…').collect();
    assert_eq!(pieces.len(), values.len() + 1, "{template}");
    let mut body = pieces[0].to_string();
    for (value, piece) in values.iter().zip(&pieces[1..]) {
        body.push_str(value);
        body.push_str(piece);
    }
    body
}

#[test]
fn bodies_follow_the_template() {
    let denied_oss = denied(Profile::Oss);
    let denied_s3 = denied(Profile::S3);
    // XML escaping as text: `&`, `<` and `>` only, the apostrophe of "resource's" kept.
    assert!(denied_oss.contains('\''));
    let cases = [
        (Profile::Oss, Target::Object, None, denied_oss.as_str()),
        (Profile::Oss, Target::Bucket, None, denied_oss.as_str()),
        (Profile::S3, Target::Object, Some(("PUT", "OBJECT")), denied_s3.as_str()),
        (Profile::S3, Target::Bucket, Some(("PUT", "BUCKET")), denied_s3.as_str()),
    ];
    for (profile, target, extras, message) in cases {
        for ids in [false, true] {
            let mut config = config();
            config.rules[0].allowed_methods = vec!["GET".into(), "PUT".into()];
            let mut req = Request { target, ..Request::preflight(Some("https://x"), Some("PUT"), None) };
            if ids {
                (req.request_id, req.host_id) = (Some("R1&<2>"), Some("h'o\"st"));
            }
            let got = reference::respond(Some(&config), &Options::new(profile), &req);
            let values: &[&str] = if ids {
                &["AccessForbidden", message, "R1&amp;&lt;2&gt;", "h'o\"st"]
            } else {
                &["AccessForbidden", message]
            };
            assert_eq!(got.error.unwrap().body, template_body(extras, values, ids), "{profile:?} {target:?} {ids}");
        }
    }
}

/// S3's 403 bodies name the ACRM (`OPTIONS` when absent) and `BUCKET` for a bucket without
/// configuration even at an object (README, vector ls-02); its 400 bodies have no extras
/// (the recorded vectors ls-01 and ls-08 carry none).
#[test]
fn s3_extras() {
    let no_config = Request::preflight(Some("https://x"), None, None);
    let got = respond(Profile::S3, false, &no_config).error.unwrap();
    assert!(got.body.contains("<Message>CORSResponse: CORS is not enabled for this bucket.</Message><Method>OPTIONS</Method><ResourceType>BUCKET</ResourceType></Error>"), "{}", got.body);
    let bad = Request::preflight(Some("https://x"), Some("BLAH&"), None);
    let got = respond(Profile::S3, true, &bad).error.unwrap();
    assert!(
        got.body.ends_with("<Message>Invalid Access-Control-Request-Method: BLAH&amp;</Message></Error>"),
        "{}",
        got.body
    );
}

/// README: "Request values that XML 1.0 cannot hold (control characters) become U+FFFD in
/// error bodies, so a body is always well-formed"; U+FFFE and U+FFFF are not XML characters
/// either. The message field itself keeps the value.
#[test]
fn characters_xml_cannot_hold_become_replacement_characters() {
    let req = Request {
        request_id: Some("a\u{0}b\u{1f}c\u{FFFE}d\u{FFFF}e\u{FFFD}f\u{1F600}"),
        ..Request::preflight(Some("https://x"), Some("P\u{7}UT"), None)
    };
    let got = respond(Profile::Oss, true, &req).error.unwrap();
    assert_eq!(got.message, "Invalid Access-Control-Request-Method: P\u{7}UT");
    assert!(
        got.body.contains("<Message>Invalid Access-Control-Request-Method: P\u{FFFD}UT</Message>"),
        "{:?}",
        got.body
    );
    assert!(
        got.body.contains("<RequestId>a\u{FFFD}b\u{FFFD}c\u{FFFD}d\u{FFFD}e\u{FFFD}f\u{1F600}</RequestId>"),
        "{:?}",
        got.body
    );
}

/// A match answers the headers of the table in SEMANTICS §5, in its order, with §1's `Vary`.
#[test]
fn a_match_sends_the_tables_headers() {
    let section = SEMANTICS.split("## 5.").nth(1).unwrap().split("## 6.").next().unwrap();
    let names: Vec<String> =
        section.lines().filter(|l| l.starts_with("| `")).map(|l| l.split('`').nth(1).unwrap().to_string()).collect();
    assert_eq!(names.len(), 7, "{names:?}");
    let spans = code_spans(SEMANTICS);
    let mut config = config();
    let rule = &mut config.rules[0];
    rule.allowed_methods = vec!["PUT".into(), "GET".into()];
    rule.allowed_headers = vec!["X-Amz-*".into()];
    rule.expose_headers = vec!["ETag".into(), "x-amz-id-2".into()];
    rule.max_age_seconds = Some(600);
    config.response_vary = Some(true);
    let req = Request::preflight(Some("https://www.example.com"), Some("GET"), Some(" X-Amz-Date,,x-amz-acl\t"));
    for profile in [Profile::Oss, Profile::S3] {
        let got = reference::respond(Some(&config), &Options::new(profile), &req);
        assert_eq!((got.status, got.rule), (Some(200), Some(0)));
        let got_names: Vec<&str> = got.headers.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(got_names, names, "{profile:?}");
        let values: Vec<&str> = got.headers.iter().map(|(_, v)| v.as_str()).collect();
        assert_eq!(
            values[..6],
            ["https://www.example.com", "PUT, GET", "x-amz-date, x-amz-acl", "ETag, x-amz-id-2", "600", "true"]
        );
        match profile {
            Profile::Oss => assert!(spans.contains(&format!("Vary: {}", values[6]))),
            Profile::S3 => {
                assert!(line_with("| Vary on a matched CORS response |").contains(&format!("always `{}`", values[6])))
            }
        }
    }
}

/// SEMANTICS §7's examples: under strict origins an Origin that is not `scheme://host[:port]`
/// (lowercase ASCII, no path, userinfo or whitespace) or `null` matches only `*`.
#[test]
fn strict_origins() {
    let rule = |origins: &[&str]| CorsRule {
        allowed_origins: origins.iter().map(|o| o.to_string()).collect(),
        allowed_methods: vec!["GET".into()],
        ..CorsRule::default()
    };
    let glob = rule(&["https://*.example.com"]);
    let matches = |origin: &str, strict: bool| reference::origin_matches(&glob, origin, strict);
    for origin in [
        "https://evil.com/.example.com",
        "https://user@evil.example.com",
        "https://WWW.example.com",
        "https://a .example.com",
    ] {
        assert!(matches(origin, false) && !matches(origin, true), "{origin}");
        assert!(reference::origin_matches(&rule(&["x", "*"]), origin, true), "{origin}: `*` still matches");
    }
    for origin in ["https://www.example.com", "https://www.example.com:8443", "http://evil.com", "https://[::1]:443"] {
        assert_eq!(matches(origin, false), matches(origin, true), "{origin}");
        assert!(reference::origin_matches(&rule(&[origin]), origin, true), "{origin}");
    }
    assert!(reference::origin_matches(&rule(&["null"]), "null", true));
}
