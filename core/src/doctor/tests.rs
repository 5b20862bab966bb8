use super::*;
use crate::Profile;

const ORIGIN: &str = "https://app.example.com";

fn aws() -> &'static SdkProfile {
    SdkProfile::built_in("aws-js-v3").unwrap()
}

fn oss() -> &'static SdkProfile {
    SdkProfile::built_in("ali-oss").unwrap()
}

fn set(profile: Profile, rules: &str) -> RuleSet {
    let xml = format!("<CORSConfiguration>{rules}</CORSConfiguration>");
    RuleSet::from_xml(xml.as_bytes(), profile).unwrap_or_else(|e| panic!("{e}: {xml}"))
}

fn rule(origins: &[&str], methods: &[&str], headers: &[&str], expose: &[&str]) -> String {
    let mut s = String::from("<CORSRule>");
    for (name, list) in
        [("AllowedOrigin", origins), ("AllowedMethod", methods), ("AllowedHeader", headers), ("ExposeHeader", expose)]
    {
        for v in list {
            s.push_str(&format!("<{name}>{v}</{name}>"));
        }
    }
    s + "</CORSRule>"
}

const ALL: &[&str] = &["GET", "PUT", "POST", "DELETE", "HEAD"];

/// Every response header the SDK's operations read, as ExposeHeader values (`ETag` first
/// spelled as people write it), and the XML that adds them all to rule 0.
fn reads(sdk: &SdkProfile) -> (Vec<String>, String) {
    let mut all: Vec<String> = Vec::new();
    for r in sdk.operations.iter().flat_map(|o| &o.requests) {
        for h in &r.reads {
            let h = check::display_header(h);
            if !all.contains(&h) {
                all.push(h);
            }
        }
    }
    assert!(all.contains(&"ETag".to_string()), "{}: multipart reads ETag", sdk.sdk);
    let xml = all.iter().map(|h| format!("<ExposeHeader>{h}</ExposeHeader>")).collect::<String>();
    (all, format!("add to rule 0: {xml}"))
}

fn exposing(sdk: &SdkProfile) -> Vec<&'static str> {
    reads(sdk).0.into_iter().map(|h| &*Box::leak(h.into_boxed_str())).collect()
}

/// The operations that fail, after checking that the fixed configuration makes all work.
fn failing(set: &RuleSet, sdk: &SdkProfile, origin: &str) -> Vec<String> {
    let report = set.doctor(origin, sdk, &[]).unwrap();
    assert_eq!(report.operations.len(), sdk.operations.len());
    for op in &report.operations {
        assert_eq!(op.ok, op.problems.is_empty(), "{op:?}");
        assert_eq!(op.ok, op.requests.iter().all(|r| r.ok), "{op:?}");
        for p in &op.problems {
            assert!(!p.fix.is_empty() && !p.message.is_empty(), "{p:?}");
            assert!(!p.message.contains("Some(") && !p.fix.contains("Some("), "{p:?}");
        }
    }
    if report.ok() {
        assert_eq!(report.fixed_config, None);
    } else {
        let fixed = report.fixed_config.as_deref().expect("a fixed configuration");
        let again = RuleSet::from_xml(fixed.as_bytes(), set.profile()).expect("the fixed configuration is valid");
        let after = again.doctor(origin, sdk, &[]).unwrap();
        assert!(after.ok(), "the fix leaves failures: {}\n{fixed}", after.to_text());
    }
    report.operations.iter().filter(|o| !o.ok).map(|o| o.operation.clone()).collect()
}

#[test]
fn a_correct_configuration_passes_everything() {
    let s3 = set(Profile::S3, &rule(&[ORIGIN], ALL, &["*"], &exposing(aws())));
    assert!(failing(&s3, aws(), ORIGIN).is_empty());
    let oss_set = set(Profile::Oss, &rule(&[ORIGIN], ALL, &["*"], &exposing(oss())));
    assert!(failing(&oss_set, oss(), ORIGIN).is_empty());
    let star = set(Profile::S3, &rule(&["*"], ALL, &["*"], &exposing(aws())));
    assert!(failing(&star, aws(), ORIGIN).is_empty());
}

#[test]
fn origin_mistakes_fail_every_operation_and_name_the_spelling() {
    for (written, why) in [
        ("https://app.example.com/", "trailing slash"),
        ("https://app.example.com:443", "default port 443"),
        ("app.example.com", "no scheme"),
        ("https://App.Example.com", "capital letters"),
        ("http://app.example.com", "is http and the page is https"),
    ] {
        let s = set(Profile::S3, &rule(&[written], ALL, &["*"], &exposing(aws())));
        let fails = failing(&s, aws(), ORIGIN);
        assert_eq!(fails.len(), aws().operations.len(), "{written}");
        let report = s.doctor(ORIGIN, aws(), &["GetObject"]).unwrap();
        let p = &report.operations[0].problems[0];
        assert_eq!(p.kind, "origin");
        assert!(p.message.contains(why), "{written}: {}", p.message);
        assert!(p.fix.contains("<AllowedOrigin>https://app.example.com</AllowedOrigin>"), "{}", p.fix);
        assert_eq!(report.operations[0].problems.len(), 1, "the origin is all GetObject lacks");
    }
}

#[test]
fn a_missing_method_fails_the_operations_that_use_it() {
    let no_put = set(Profile::S3, &rule(&[ORIGIN], &["GET", "POST", "DELETE", "HEAD"], &["*"], &exposing(aws())));
    assert_eq!(failing(&no_put, aws(), ORIGIN), ["PutObject", "MultipartUpload", "PresignedPut"]);
    let report = no_put.doctor(ORIGIN, aws(), &["PutObject"]).unwrap();
    let p = &report.operations[0].problems[0];
    assert_eq!(p.kind, "preflight");
    assert!(p.message.contains("rule 0 does not allow PUT (AllowedMethod GET, POST, DELETE, HEAD)"), "{}", p.message);
    assert_eq!(p.fix, "add to rule 0: <AllowedMethod>PUT</AllowedMethod>");
    let no_post = set(Profile::S3, &rule(&[ORIGIN], &["GET", "PUT", "DELETE", "HEAD"], &["*"], &exposing(aws())));
    assert_eq!(failing(&no_post, aws(), ORIGIN), ["MultipartUpload", "PostObject"]);
    let presigned = no_post.doctor(ORIGIN, aws(), &["postobject"]).unwrap();
    assert_eq!(presigned.operations[0].problems[0].kind, "actual");
}

#[test]
fn a_header_list_from_before_the_checksums_fails_the_uploads() {
    // The list a Chrome preflight carried in 2024 (seaweedfs#8065).
    let old = [
        "amz-sdk-invocation-id",
        "amz-sdk-request",
        "authorization",
        "x-amz-content-sha256",
        "x-amz-date",
        "x-amz-security-token",
        "x-amz-user-agent",
        "content-type",
    ];
    let s = set(Profile::S3, &rule(&[ORIGIN], ALL, &old, &exposing(aws())));
    let fails = failing(&s, aws(), ORIGIN);
    assert!(fails.contains(&"PutObject".to_string()) && fails.contains(&"MultipartUpload".to_string()), "{fails:?}");
    assert!(!fails.contains(&"PresignedGet".to_string()), "{fails:?}");
    let report = s.doctor(ORIGIN, aws(), &["PutObject"]).unwrap();
    let p = &report.operations[0].problems[0];
    assert!(p.message.contains("but not the header"), "{}", p.message);
    assert!(p.fix.starts_with("add to rule 0: <AllowedHeader>x-amz-"), "{}", p.fix);
}

#[test]
fn etag_not_exposed_fails_the_multipart_upload_only() {
    for (profile, sdk) in [(Profile::S3, aws()), (Profile::Oss, oss())] {
        let s = set(profile, &rule(&[ORIGIN], ALL, &["*"], &["x-oss-request-id"]));
        assert_eq!(failing(&s, sdk, ORIGIN), ["MultipartUpload"], "{}", sdk.sdk);
        let report = s.doctor(ORIGIN, sdk, &["MultipartUpload"]).unwrap();
        let p = &report.operations[0].problems[0];
        assert_eq!(p.kind, "expose");
        assert!(p.message.contains("the SDK reads the response header"), "{}", p.message);
        assert!(p.message.contains("ETag") && p.message.contains("(ExposeHeader x-oss-request-id)"), "{}", p.message);
        assert_eq!(p.fix, reads(sdk).1, "{}", sdk.sdk);
    }
}

#[test]
fn ali_oss_needs_its_user_agent_header() {
    let s = set(
        Profile::Oss,
        &rule(&[ORIGIN], ALL, &["authorization", "content-type", "x-oss-date", "content-md5"], &exposing(oss())),
    );
    let fails = failing(&s, oss(), ORIGIN);
    assert!(fails.contains(&"PutObject".to_string()), "{fails:?}");
    let report = s.doctor(ORIGIN, oss(), &["PutObject"]).unwrap();
    assert!(report.operations[0].problems[0].fix.contains("<AllowedHeader>x-oss-user-agent</AllowedHeader>"));
}

#[test]
fn no_configuration_and_unrelated_origins() {
    let none = RuleSet::no_config(Profile::S3);
    assert_eq!(failing(&none, aws(), ORIGIN).len(), 8);
    let r = none.doctor(ORIGIN, aws(), &["PutObject"]).unwrap();
    assert_eq!(r.operations[0].problems[0].kind, "no-config");
    assert!(r.operations[0].problems[0].fix.starts_with("put a CORS configuration with this rule: <CORSRule>"));
    // A rule for another site: the origin joins the rule that lacks least.
    let other = set(
        Profile::S3,
        &(rule(&["https://admin.example.org"], &["GET"], &[], &[])
            + &rule(&["https://www.example.org"], ALL, &["*"], &exposing(aws()))),
    );
    assert_eq!(failing(&other, aws(), ORIGIN).len(), 8);
    let r = other.doctor(ORIGIN, aws(), &["GetObject"]).unwrap();
    let p = &r.operations[0].problems[0];
    assert!(p.message.contains("the rules allow https://admin.example.org, https://www.example.org"), "{}", p.message);
    assert_eq!(p.fix, "add to rule 1: <AllowedOrigin>https://app.example.com</AllowedOrigin>");
}

#[test]
fn fixes_make_every_operation_work_on_many_configurations() {
    // Every combination of a few origins, method sets, header lists and exposes, in one or
    // two rules: the fixed configuration always passes (checked inside `failing`).
    let origins: &[&[&str]] =
        &[&[ORIGIN], &["https://*.example.com"], &["https://app.example.com/"], &["*"], &["https://x.example.org"]];
    let methods: &[&[&str]] = &[ALL, &["GET"], &["PUT", "POST"], &["GET", "HEAD", "DELETE"]];
    let headers: &[&[&str]] =
        &[&["*"], &[], &["x-amz-*", "amz-sdk-*", "authorization"], &["x-oss-*", "authorization", "content-*"]];
    let exposes: &[&[&str]] = &[&["ETag"], &[], &["x-amz-request-id"]];
    let mut n = 0;
    for o in origins {
        for m in methods {
            for h in headers {
                for e in exposes {
                    for profile in [Profile::S3, Profile::Oss] {
                        let sdk = if profile == Profile::S3 { aws() } else { oss() };
                        let one = rule(o, m, h, e);
                        failing(&set(profile, &one), sdk, ORIGIN);
                        let two = rule(&[ORIGIN], &["GET"], &[], &[]) + &one;
                        failing(&set(profile, &two), sdk, ORIGIN);
                        n += 2;
                    }
                }
            }
        }
    }
    assert_eq!(n, 5 * 4 * 4 * 3 * 4);
}

#[test]
fn operations_are_chosen_by_name() {
    let s = set(Profile::S3, &rule(&[ORIGIN], ALL, &["*"], &exposing(aws())));
    let r = s.doctor(ORIGIN, aws(), &["headobject", "PutObject", "HeadObject"]).unwrap();
    let names: Vec<_> = r.operations.iter().map(|o| o.operation.as_str()).collect();
    assert_eq!(names, ["HeadObject", "PutObject"]);
    let err = s.doctor(ORIGIN, aws(), &["Copy"]).unwrap_err();
    assert!(err.contains("unknown operation Copy for aws-js-v3: expected one of PutObject, GetObject"), "{err}");
}

#[test]
fn json_has_the_documented_shape() {
    let s = set(Profile::S3, &rule(&[ORIGIN], ALL, &["*"], &[]));
    let v: serde_json::Value = serde_json::from_str(&s.doctor(ORIGIN, aws(), &[]).unwrap().to_json()).unwrap();
    assert_eq!(v["sdk"], "aws-js-v3");
    assert_eq!(v["origin"], ORIGIN);
    let ops = v["operations"].as_array().unwrap();
    assert_eq!(ops.len(), 8);
    let multipart = ops.iter().find(|o| o["operation"] == "MultipartUpload").unwrap();
    assert_eq!(multipart["ok"], false);
    assert!(multipart["requests"].as_array().unwrap().len() >= 2);
    let p = &multipart["problems"][0];
    assert_eq!((p["kind"].as_str(), p["fix"].as_str()), (Some("expose"), Some(reads(aws()).1.as_str())));
    assert!(v["fixed_config"].as_str().unwrap().contains("<ExposeHeader>ETag</ExposeHeader>"));
}

#[test]
fn findings_name_the_operations_a_problem_breaks() {
    let s = set(Profile::S3, &rule(&["https://app.example.com/"], ALL, &["*"], &[]));
    let report = s.doctor(ORIGIN, aws(), &[]).unwrap();
    let findings = report.findings();
    let ids: Vec<_> = findings.iter().map(|f| f.id).collect();
    // Once the origin is fixed, the multipart upload still needs ETag.
    assert_eq!(ids, ["sdk-origin", "sdk-expose"], "{findings:?}");
    assert!(findings[0].message.contains("PresignedPut, PostObject fail: origin"), "{}", findings[0].message);
    assert!(
        findings[1].message.contains(": MultipartUpload fails: UploadPart: the SDK reads"),
        "{}",
        findings[1].message
    );
    assert_eq!(findings[1].fix, reads(aws()).1);
    assert!(findings[0]
        .message
        .starts_with("aws-js-v3 from https://app.example.com: PutObject, GetObject, HeadObject"));
    assert!(findings[0].is_problem());
    for id in FINDING_IDS {
        assert_eq!(&id[..4], "sdk-");
    }
}

#[test]
fn the_text_report_names_each_problem_once_and_prints_the_fixed_configuration() {
    let s = set(Profile::S3, &rule(&["https://app.example.com/"], ALL, &["*"], &[]));
    let text = s.doctor(ORIGIN, aws(), &[]).unwrap().to_text();
    assert!(
        text.starts_with("aws-js-v3 from https://app.example.com: 8 of 8 operations fail\n  FAIL  PutObject\n"),
        "{text}"
    );
    assert_eq!(text.matches("has a trailing slash").count(), 1, "{text}");
    assert!(text.contains("\n1. PutObject, GetObject, HeadObject, DeleteObject, MultipartUpload, PresignedGet, PresignedPut, PostObject: origin"), "{text}");
    assert!(text.contains("\n2. MultipartUpload: UploadPart: the SDK reads"), "{text}");
    let fixed = text.split_once("The configuration with every fix:\n").unwrap().1;
    assert!(fixed.starts_with("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<CORSConfiguration>\n  <CORSRule>\n    <AllowedOrigin>https://app.example.com</AllowedOrigin>\n"), "{fixed}");
    assert!(fixed.ends_with("  </CORSRule>\n</CORSConfiguration>\n"), "{fixed}");
    assert!(RuleSet::from_xml(fixed.as_bytes(), Profile::S3).unwrap().doctor(ORIGIN, aws(), &[]).unwrap().ok());
    let good = RuleSet::from_xml(fixed.as_bytes(), Profile::S3).unwrap();
    assert_eq!(
        good.doctor(ORIGIN, aws(), &["GetObject"]).unwrap().to_text(),
        "aws-js-v3 from https://app.example.com: every operation works\n  ok    GetObject\n"
    );
}
