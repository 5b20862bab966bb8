//! Configuration documents: validation in the providers' order and codes, round trips,
//! and hostile documents.

use corsmatch::{ConfigError, CorsConfig, ErrorKind, Limits, Options, Profile, Request, RuleSet};

fn doc(rules: &str) -> String {
    format!("<CORSConfiguration>{rules}</CORSConfiguration>")
}

fn rule(body: &str) -> String {
    format!("<CORSRule>{body}</CORSRule>")
}

const OK: &str = "<AllowedOrigin>https://a.com</AllowedOrigin><AllowedMethod>GET</AllowedMethod>";

fn err(xml: &str, profile: Profile) -> ConfigError {
    CorsConfig::from_xml(xml.as_bytes(), profile).expect_err("must be refused")
}

fn code_msg(xml: &str, profile: Profile) -> (u16, &'static str, String) {
    let e = err(xml, profile);
    (e.status(), e.code(), e.message().to_string())
}

const MALFORMED: &str = "The XML you provided was not well-formed or did not validate against our published schema";

#[test]
fn malformed_documents() {
    for xml in [
        "",
        "<CORSConfiguration>",
        "not xml",
        "<CORS><CORSRule><AllowedOrigin>*</AllowedOrigin><AllowedMethod>GET</AllowedMethod></CORSRule></CORS>",
        &doc(&rule("<AllowedMethod>GET</AllowedMethod>")),
        &doc(&rule("<AllowedOrigin>*</AllowedOrigin>")),
        &doc(&rule(&format!("{OK}<Unknown>x</Unknown>"))),
        &doc(&rule(&format!("{OK}<MaxAgeSeconds>ten</MaxAgeSeconds>"))),
        &doc(&rule(&format!("{OK}<MaxAgeSeconds>1.5</MaxAgeSeconds>"))),
        &doc(&rule(&format!("{OK}<MaxAgeSeconds>99999999999</MaxAgeSeconds>"))),
        &doc(&rule(&format!("{OK}<MaxAgeSeconds>1</MaxAgeSeconds><MaxAgeSeconds>2</MaxAgeSeconds>"))),
        &doc(&rule(&format!("{OK}<AllowedOrigin><b>x</b></AllowedOrigin>"))),
        &doc(&format!("{}text", rule(OK))),
        &doc(""),
        "<CORSConfiguration xmlns=\"urn:other\"><CORSRule><AllowedOrigin>*</AllowedOrigin><AllowedMethod>GET</AllowedMethod></CORSRule></CORSConfiguration>",
    ] {
        for profile in [Profile::Oss, Profile::S3] {
            let (status, code, message) = code_msg(xml, profile);
            assert_eq!((status, code, message.as_str()), (400, "MalformedXML", MALFORMED), "{xml}");
        }
    }
}

#[test]
fn profile_specific_elements() {
    let with_id = doc(&rule(&format!("<ID>r1</ID>{OK}")));
    assert_eq!(err(&with_id, Profile::Oss).code(), "MalformedXML");
    let c = CorsConfig::from_xml(with_id.as_bytes(), Profile::S3).unwrap();
    assert_eq!(c.rules[0].id.as_deref(), Some("r1"));
    let long_id = doc(&rule(&format!("<ID>{}</ID>{OK}", "x".repeat(256))));
    assert_eq!(err(&long_id, Profile::S3).code(), "InvalidArgument");

    let vary = format!("<CORSConfiguration>{}<ResponseVary>true</ResponseVary></CORSConfiguration>", rule(OK));
    assert_eq!(err(&vary, Profile::S3).code(), "MalformedXML");
    assert_eq!(CorsConfig::from_xml(vary.as_bytes(), Profile::Oss).unwrap().response_vary, Some(true));
    let bad_vary = vary.replace("true", "0");
    assert_eq!(err(&bad_vary, Profile::Oss).code(), "MalformedXML");

    let ns = format!(
        "<CORSConfiguration xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">{}</CORSConfiguration>",
        rule(OK)
    );
    assert_eq!(CorsConfig::from_xml(ns.as_bytes(), Profile::S3).unwrap().rules.len(), 1);
}

#[test]
fn rule_limits() {
    let eleven = doc(&rule(OK).repeat(11));
    assert_eq!(
        code_msg(&eleven, Profile::Oss),
        (400, "CORSRuleBeyondLimit", "The CORS Rules num is beyond limit.".to_string())
    );
    assert!(CorsConfig::from_xml(eleven.as_bytes(), Profile::S3).is_ok());
    assert!(CorsConfig::from_xml(doc(&rule(OK).repeat(10)).as_bytes(), Profile::Oss).is_ok());
    let many = doc(&rule(OK).repeat(101));
    let e = err(&many, Profile::S3);
    assert_eq!(
        (e.code(), matches!(e.kind(), ErrorKind::TooManyRules { count: 101, limit: 100 })),
        ("InvalidRequest", true)
    );
    // Raised limits, for servers that allow more.
    let opts = Options::new(Profile::S3).max_rules(200);
    assert_eq!(opts.compile_xml(many.as_bytes()).unwrap().config().unwrap().rules.len(), 101);
}

#[test]
fn document_size_limits() {
    let pad = |n: usize| format!("<!--{}-->{}", "x".repeat(n), doc(&rule(OK)));
    assert!(CorsConfig::from_xml(pad(16 * 1024 - 200).as_bytes(), Profile::Oss).is_ok());
    assert_eq!(err(&pad(16 * 1024), Profile::Oss).code(), "MalformedXML");
    assert!(CorsConfig::from_xml(pad(16 * 1024).as_bytes(), Profile::S3).is_ok());
    assert_eq!(err(&pad(64 * 1024), Profile::S3).code(), "MalformedXML");
    let limits = Limits { max_rules: 10, max_document_bytes: 1 << 20 };
    assert!(CorsConfig::from_xml_with_limits(pad(64 * 1024).as_bytes(), Profile::Oss, limits).is_ok());
}

#[test]
fn value_errors_with_provider_messages() {
    let cases: &[(&str, &str, &str)] = &[
        (
            "<AllowedOrigin>*</AllowedOrigin><AllowedMethod>GET</AllowedMethod><AllowedMethod>get</AllowedMethod>",
            "InvalidRequest",
            "Found unsupported HTTP method in CORS config. Unsupported method is get",
        ),
        (
            "<AllowedOrigin>*</AllowedOrigin><AllowedMethod>OPTIONS</AllowedMethod>",
            "InvalidRequest",
            "Found unsupported HTTP method in CORS config. Unsupported method is OPTIONS",
        ),
        (
            "<AllowedOrigin>*</AllowedOrigin><AllowedMethod></AllowedMethod>",
            "InvalidRequest",
            "Found unsupported HTTP method in CORS config. Unsupported method is ",
        ),
        (
            "<AllowedOrigin>*example*.com</AllowedOrigin><AllowedMethod>GET</AllowedMethod>",
            "InvalidRequest",
            "AllowedOrigin \"*example*.com\" can not have more than one wildcard.",
        ),
        (
            "<AllowedOrigin>*</AllowedOrigin><AllowedMethod>GET</AllowedMethod><AllowedHeader>x-*-*</AllowedHeader>",
            "InvalidRequest",
            "AllowedHeader \"x-*-*\" can not have more than one wildcard.",
        ),
        (
            "<AllowedOrigin>*</AllowedOrigin><AllowedMethod>GET</AllowedMethod><ExposeHeader>x-oss-*</ExposeHeader>",
            "InvalidRequest",
            "We currently do not support wildcard for ExposeHeader.",
        ),
        (
            "<AllowedOrigin>*</AllowedOrigin><AllowedMethod>GET</AllowedMethod><MaxAgeSeconds>-1</MaxAgeSeconds>",
            "InvalidArgument",
            "MaxAgeSeconds must not be negative.",
        ),
        (
            "<AllowedOrigin>https://a.com&#10;X-Evil: 1</AllowedOrigin><AllowedMethod>GET</AllowedMethod>",
            "InvalidRequest",
            "AllowedOrigin contains a control character.",
        ),
        (
            "<AllowedOrigin>*</AllowedOrigin><AllowedMethod>GET</AllowedMethod><ExposeHeader>ETag&#13;&#10;Set-Cookie: a=b</ExposeHeader>",
            "InvalidRequest",
            "ExposeHeader contains a control character.",
        ),
    ];
    for (body, code, message) in cases {
        for profile in [Profile::Oss, Profile::S3] {
            let e = err(&doc(&rule(body)), profile);
            assert_eq!((e.status(), e.code(), e.message()), (400, *code, *message), "{body} {profile:?}");
        }
    }
}

#[test]
fn expose_header_characters_per_profile() {
    let with = |h: &str| doc(&rule(&format!("{OK}<ExposeHeader>{h}</ExposeHeader>")));
    for h in ["a&lt;b", "a&gt;b", "a&amp;b", "a'b", "a\"b"] {
        assert_eq!(err(&with(h), Profile::Oss).code(), "InvalidRequest", "{h}");
        assert!(CorsConfig::from_xml(with(h).as_bytes(), Profile::S3).is_ok(), "{h}");
    }
    assert_eq!(err(&with("a b"), Profile::S3).code(), "InvalidRequest");
    assert!(CorsConfig::from_xml(with("a b").as_bytes(), Profile::Oss).is_ok());
}

#[test]
fn validation_order_first_failure_wins() {
    // Structure before counts: a malformed 11th rule is MalformedXML, not beyond limit.
    let xml = doc(&format!("{}{}", rule(OK).repeat(10), rule("<AllowedOrigin>*</AllowedOrigin>")));
    assert_eq!(err(&xml, Profile::Oss).code(), "MalformedXML");
    // Counts before values.
    let xml = doc(&format!(
        "{}{}",
        rule("<AllowedOrigin>*</AllowedOrigin><AllowedMethod>BAD</AllowedMethod>"),
        rule(OK).repeat(10)
    ));
    assert_eq!(err(&xml, Profile::Oss).code(), "CORSRuleBeyondLimit");
    // Rules in document order; within a rule, methods before origins before headers.
    let xml = doc(&format!(
        "{}{}",
        rule("<AllowedOrigin>a*b*c</AllowedOrigin><AllowedMethod>BAD</AllowedMethod>"),
        rule("<AllowedOrigin>*</AllowedOrigin><AllowedMethod>WORSE</AllowedMethod>")
    ));
    assert!(err(&xml, Profile::S3).message().ends_with("Unsupported method is BAD"));
    let xml = doc(&rule("<AllowedOrigin>a*b*c</AllowedOrigin><AllowedMethod>GET</AllowedMethod><AllowedHeader>**</AllowedHeader><MaxAgeSeconds>-5</MaxAgeSeconds>"));
    assert!(err(&xml, Profile::S3).message().starts_with("AllowedOrigin"));
    let xml = doc(&rule("<AllowedOrigin>*</AllowedOrigin><AllowedMethod>GET</AllowedMethod><AllowedHeader>**</AllowedHeader><MaxAgeSeconds>-5</MaxAgeSeconds>"));
    assert!(err(&xml, Profile::S3).message().starts_with("AllowedHeader"));
    // ResponseVary is checked after the rules.
    let xml = format!(
        "<CORSConfiguration>{}<ResponseVary>yes</ResponseVary></CORSConfiguration>",
        rule("<AllowedOrigin>*</AllowedOrigin><AllowedMethod>BAD</AllowedMethod>")
    );
    assert_eq!(err(&xml, Profile::Oss).code(), "InvalidRequest");
}

#[test]
fn values_kept_verbatim_and_round_trip() {
    let xml = r#"<?xml version="1.0"?>
<CORSConfiguration>
  <CORSRule>
    <AllowedOrigin>http://test.com:80</AllowedOrigin>
    <AllowedOrigin></AllowedOrigin>
    <AllowedOrigin>http://test.com:80</AllowedOrigin>
    <AllowedMethod>PUT</AllowedMethod><AllowedMethod>GET</AllowedMethod><AllowedMethod>PUT</AllowedMethod>
    <AllowedHeader>x-AMZ-server-SIDE-encryption</AllowedHeader>
    <AllowedHeader><![CDATA[x-a&b]]></AllowedHeader>
    <ExposeHeader>ETag</ExposeHeader>
    <MaxAgeSeconds> 0 </MaxAgeSeconds>
  </CORSRule>
  <CORSRule><AllowedOrigin>a &amp; b</AllowedOrigin><AllowedMethod>HEAD</AllowedMethod></CORSRule>
</CORSConfiguration>"#;
    for profile in [Profile::Oss, Profile::S3] {
        let c = CorsConfig::from_xml(xml.as_bytes(), profile).unwrap();
        let r = &c.rules[0];
        assert_eq!(r.allowed_origins, ["http://test.com:80", "", "http://test.com:80"]);
        assert_eq!(r.allowed_methods, ["PUT", "GET", "PUT"]);
        assert_eq!(r.allowed_headers, ["x-AMZ-server-SIDE-encryption", "x-a&b"]);
        assert_eq!(r.max_age_seconds, Some(0));
        assert_eq!(c.rules[1].allowed_origins, ["a & b"]);
        let again = CorsConfig::from_xml(c.to_xml().as_bytes(), profile).unwrap();
        assert_eq!(again, c);
    }
    let with_vary =
        CorsConfig { response_vary: Some(false), ..CorsConfig::from_xml(xml.as_bytes(), Profile::Oss).unwrap() };
    assert_eq!(CorsConfig::from_xml(with_vary.to_xml().as_bytes(), Profile::Oss).unwrap(), with_vary);
}

#[test]
fn hostile_documents_fail_cleanly() {
    // Not UTF-8.
    let mut bytes = doc(&rule(OK)).into_bytes();
    bytes.insert(30, 0xff);
    assert_eq!(CorsConfig::from_xml(&bytes, Profile::S3).unwrap_err().code(), "MalformedXML");
    // 10 MB: refused by size before parsing, also with a generous limit it parses or fails cleanly.
    let big = format!("<CORSConfiguration>{}</CORSConfiguration>", rule(OK).repeat(10 * 1024 * 1024 / 90));
    assert_eq!(CorsConfig::from_xml(big.as_bytes(), Profile::S3).unwrap_err().code(), "MalformedXML");
    let huge_limits = Limits { max_rules: 100, max_document_bytes: 64 << 20 };
    let e = CorsConfig::from_xml_with_limits(big.as_bytes(), Profile::S3, huge_limits).unwrap_err();
    assert!(matches!(e.kind(), ErrorKind::TooManyRules { .. }));
    // Deep nesting.
    let deep = format!("{}{}", "<a>".repeat(20_000), "</a>".repeat(20_000));
    let limits = Limits { max_rules: 10, max_document_bytes: 1 << 20 };
    assert_eq!(
        CorsConfig::from_xml_with_limits(deep.as_bytes(), Profile::Oss, limits).unwrap_err().code(),
        "MalformedXML"
    );
    let deep_in_rule = doc(&rule(&format!("{OK}{}{}", "<a>".repeat(5000), "</a>".repeat(5000))));
    assert_eq!(CorsConfig::from_xml(deep_in_rule.as_bytes(), Profile::S3).unwrap_err().code(), "MalformedXML");
    // Entities: a DTD is refused outright (no billion laughs), unknown entities are malformed.
    let laughs = r#"<?xml version="1.0"?><!DOCTYPE l [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]><CORSConfiguration><CORSRule><AllowedOrigin>&b;</AllowedOrigin><AllowedMethod>GET</AllowedMethod></CORSRule></CORSConfiguration>"#;
    assert_eq!(CorsConfig::from_xml(laughs.as_bytes(), Profile::S3).unwrap_err().code(), "MalformedXML");
    let unknown = doc(&rule("<AllowedOrigin>&nope;</AllowedOrigin><AllowedMethod>GET</AllowedMethod>"));
    assert_eq!(CorsConfig::from_xml(unknown.as_bytes(), Profile::S3).unwrap_err().code(), "MalformedXML");
    // NUL as a character reference is not XML.
    let nul = doc(&rule("<AllowedOrigin>a&#0;b</AllowedOrigin><AllowedMethod>GET</AllowedMethod>"));
    assert_eq!(CorsConfig::from_xml(nul.as_bytes(), Profile::S3).unwrap_err().code(), "MalformedXML");
}

#[test]
fn code_built_configs_are_validated_too() {
    let mut c = CorsConfig::from_xml(doc(&rule(OK)).as_bytes(), Profile::S3).unwrap();
    c.rules[0].allowed_origins.push("a\nb".into());
    assert_eq!(Options::new(Profile::S3).compile(c.clone()).unwrap_err().code(), "InvalidRequest");
    c.rules[0].allowed_origins.pop();
    c.rules[0].allowed_headers.push("x-\u{ffff}".into());
    assert_eq!(Options::new(Profile::S3).compile(c.clone()).unwrap_err().code(), "InvalidRequest");
    c.rules[0].allowed_headers.pop();
    c.rules[0].allowed_methods.clear();
    assert_eq!(Options::new(Profile::S3).compile(c.clone()).unwrap_err().code(), "MalformedXML");
    c.rules.clear();
    assert_eq!(Options::new(Profile::S3).compile(c).unwrap_err().code(), "MalformedXML");
}

#[test]
fn config_error_body_is_the_providers() {
    let e = err(&doc(&rule(&format!("{OK}<MaxAgeSeconds>-1</MaxAgeSeconds>"))), Profile::Oss);
    assert_eq!(
        e.to_xml(Some("rid"), None),
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>InvalidArgument</Code><Message>MaxAgeSeconds must not be negative.</Message><ArgumentName>MaxAgeSeconds</ArgumentName><ArgumentValue>-1</ArgumentValue><RequestId>rid</RequestId></Error>"
    );
    assert!(e.to_string().contains("negative"));
}

#[test]
fn megabyte_acrh_of_commas_is_linear_and_correct() {
    let set = RuleSet::from_xml(doc(&rule(&format!("{OK}<AllowedHeader>*</AllowedHeader>"))).as_bytes(), Profile::S3)
        .unwrap();
    let commas = ",".repeat(1 << 20);
    let r = set.respond(&Request::preflight(Some("https://a.com"), Some("GET"), Some(&commas)));
    assert_eq!(r.status, Some(200));
    assert_eq!(r.header("Access-Control-Allow-Headers"), None);
    let names = "x-a,".repeat(1 << 18);
    let r = set.respond(&Request::preflight(Some("https://a.com"), Some("GET"), Some(&names)));
    assert_eq!(r.header("Access-Control-Allow-Headers").map(str::len), Some((1 << 18) * 5 - 2));
    let reference = corsmatch::reference::respond(
        set.config(),
        set.options(),
        &Request::preflight(Some("https://a.com"), Some("GET"), Some(&names)),
    );
    assert_eq!(r, reference);
}

#[test]
fn error_body_escapes_values() {
    let set = RuleSet::from_xml(doc(&rule(OK)).as_bytes(), Profile::S3).unwrap();
    let mut req = Request::preflight(Some("https://a.com"), Some("<x>&"), None);
    req.request_id = Some("r<1>");
    let r = set.respond(&req);
    let body = r.error.unwrap().body;
    assert_eq!(
        body,
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>BadRequest</Code><Message>Invalid Access-Control-Request-Method: &lt;x&gt;&amp;</Message><RequestId>r&lt;1&gt;</RequestId></Error>"
    );
}

#[test]
fn rule_set_is_send_sync_and_cheap_to_clone() {
    fn assert_send_sync<T: Send + Sync + Clone + 'static>() {}
    assert_send_sync::<RuleSet>();
    assert_send_sync::<Options>();
    assert_send_sync::<CorsConfig>();
    assert_send_sync::<ConfigError>();
    let set = RuleSet::from_xml(doc(&rule(OK)).as_bytes(), Profile::Oss).unwrap();
    let clone = set.clone();
    assert!(std::ptr::eq(set.config().unwrap(), clone.config().unwrap()));
    assert!(set.memory_usage() > 0);
}

#[test]
fn code_built_configs_are_checked_in_the_documents_order() {
    let rule = |origins: &[&str], methods: &[&str]| corsmatch::CorsRule {
        allowed_origins: origins.iter().map(|s| s.to_string()).collect(),
        allowed_methods: methods.iter().map(|s| s.to_string()).collect(),
        ..corsmatch::CorsRule::default()
    };
    // A rule without a method (schema, step 1) wins over an earlier bad method (step 3).
    let c = CorsConfig { rules: vec![rule(&["a"], &["get"]), rule(&["a"], &[])], response_vary: None };
    assert_eq!(Options::new(Profile::S3).compile(c.clone()).unwrap_err().code(), "MalformedXML");
    let doc = c.to_xml();
    assert_eq!(CorsConfig::from_xml(doc.as_bytes(), Profile::S3).unwrap_err().code(), "MalformedXML");
    // ResponseVary under s3 is a schema error too, before the bad method.
    let c = CorsConfig { rules: vec![rule(&["a"], &["get"])], response_vary: Some(true) };
    assert_eq!(Options::new(Profile::S3).compile(c).unwrap_err().code(), "MalformedXML");
}

#[test]
fn only_xml_whitespace_is_whitespace() {
    for (xml, code) in [
        (doc(&format!("\u{a0}{}", rule(OK))), Some("MalformedXML")),
        (doc(&rule(&format!("{OK}<MaxAgeSeconds>\u{3000}5</MaxAgeSeconds>"))), Some("MalformedXML")),
        (doc(&rule(&format!("{OK}<MaxAgeSeconds>\n\t5 </MaxAgeSeconds>"))), None),
        (format!("<CORSConfiguration>{}<ResponseVary> true\n</ResponseVary></CORSConfiguration>", rule(OK)), None),
    ] {
        let got = CorsConfig::from_xml(xml.as_bytes(), Profile::Oss);
        assert_eq!(got.as_ref().err().map(|e| e.code()), code, "{xml:?}");
    }
}

#[test]
fn error_bodies_are_well_formed_whatever_the_request_holds() {
    let set = RuleSet::from_xml(doc(&rule(OK)).as_bytes(), Profile::S3).unwrap();
    let mut req = Request::preflight(Some("https://a.com"), Some("GE\u{1b}T\u{0}\u{ffff}"), None);
    req.request_id = Some("id\u{1}<&>");
    let body = set.respond(&req).error.unwrap().body;
    assert!(body.contains("Invalid Access-Control-Request-Method: GE\u{fffd}T\u{fffd}\u{fffd}</Message>"), "{body}");
    assert!(body.contains("<RequestId>id\u{fffd}&lt;&amp;&gt;</RequestId>"), "{body}");
    assert!(body.chars().all(|c| c >= ' ' || c == '\n'), "{body:?}");
}
