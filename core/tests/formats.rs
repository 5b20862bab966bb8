//! The case corpus through every input form: each case's configuration written as the S3
//! console's JSON, the AWS CLI's JSON, a CloudFormation template (JSON and YAML), a Terraform
//! plan (`terraform show -json`) and a `.tf.json` file, read back with `corsmatch::formats`
//! and answered; the answers must be the XML's, and the case's own expectation.
//!
//! The JSON forms are written here by an independent writer (serde_json), not by
//! `formats::convert`; the YAML template and the .tf.json file come from `convert`, so its round
//! trip is checked on the corpus too. What a form cannot hold is skipped with the reason, and
//! the count of each reason is asserted: OSS's `ResponseVary` has no place in the S3 forms.
//! What a tool changes on the way is checked as that change: the Terraform providers send
//! `MaxAgeSeconds` 0 for a rule without one (answers must equal the XML's with that 0 added),
//! and the AWS provider's sets reorder rules (answers must equal the XML's of the same rules
//! in the provider's order, with the same rules sent).

mod common;

use common::{check, config_from_json, load, Case};
use corsmatch::formats::{self, Form};
use corsmatch::{CorsConfig, CorsRule, Options, Profile, Request, RuleSet};
use serde_json::{json, Value};

fn corpus() -> Vec<Case> {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/");
    let mut cases = load(&format!("{dir}oss-cases.json"), Profile::Oss);
    cases.extend(load(&format!("{dir}s3-cases.json"), Profile::S3));
    cases.extend(load(&format!("{dir}s3-public.json"), Profile::S3));
    cases
}

/// The adversarial cases' configurations, under both profiles (their answers are compared
/// with the XML's; their expectations are per profile in another schema).
fn adversarial() -> Vec<Case> {
    let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/adversarial.json")).unwrap();
    let raw: Vec<Value> = serde_json::from_str(&text).unwrap();
    let mut out = Vec::new();
    for c in raw {
        let Some(rules) = c.get("config").filter(|v| !v.is_null()) else { continue };
        for profile in [Profile::Oss, Profile::S3] {
            // A case without a request is about the configuration's refusal: method "".
            let r = c.get("request").cloned().unwrap_or_else(|| json!({"method": ""}));
            let s = |k: &str| r.get(k).and_then(Value::as_str).map(str::to_string);
            out.push(Case {
                id: format!("{}/{}", c["id"].as_str().unwrap(), profile.name()),
                profile,
                config: Some(config_from_json(rules, c.get("response_vary").and_then(Value::as_bool))),
                method: s("method").unwrap(),
                origin: s("origin"),
                acrm: s("acrm"),
                acrh: s("acrh"),
                target: r["target"].as_str().unwrap_or("object").parse().unwrap(),
                expect: Value::Null,
                fidelity: None,
            });
        }
    }
    out
}

fn s3_rule(r: &CorsRule, names: [&str; 6]) -> Value {
    let mut m = serde_json::Map::new();
    let [id, headers, methods, origins, expose, age] = names;
    if let Some(v) = &r.id {
        m.insert(id.into(), json!(v));
    }
    for (k, v) in [
        (headers, &r.allowed_headers),
        (methods, &r.allowed_methods),
        (origins, &r.allowed_origins),
        (expose, &r.expose_headers),
    ] {
        if !v.is_empty() {
            m.insert(k.into(), json!(v));
        }
    }
    if let Some(a) = r.max_age_seconds {
        m.insert(age.into(), json!(a));
    }
    Value::Object(m)
}

const S3_NAMES: [&str; 6] =
    ["ID", "AllowedHeaders", "AllowedMethods", "AllowedOrigins", "ExposeHeaders", "MaxAgeSeconds"];
const CFN_NAMES: [&str; 6] = ["Id", "AllowedHeaders", "AllowedMethods", "AllowedOrigins", "ExposedHeaders", "MaxAge"];

fn tf_rule(r: &CorsRule, with_id: bool) -> Value {
    let mut v = json!({
        "allowed_headers": r.allowed_headers,
        "allowed_methods": r.allowed_methods,
        "allowed_origins": r.allowed_origins,
        "expose_headers": r.expose_headers,
        "max_age_seconds": r.max_age_seconds,
    });
    if with_id {
        v["id"] = json!(r.id);
    }
    v
}

/// The forms written for a case, with the form each is read as.
fn written(config: &CorsConfig, options: &Options) -> Vec<(&'static str, Form, Result<String, String>)> {
    let vary = config.response_vary == Some(true);
    let s3_only = |text: String| if vary { Err("ResponseVary".to_string()) } else { Ok(text) };
    let console = Value::Array(config.rules.iter().map(|r| s3_rule(r, S3_NAMES)).collect());
    let cli = json!({"CORSRules": console});
    let cfn = json!({"AWSTemplateFormatVersion": "2010-09-09", "Resources": {"B": {"Type": "AWS::S3::Bucket",
        "Properties": {"CorsConfiguration": {"CorsRules": config.rules.iter().map(|r| s3_rule(r, CFN_NAMES)).collect::<Vec<_>>()}}}}});
    let (rtype, with_id) = match options.profile {
        Profile::S3 => ("aws_s3_bucket_cors_configuration", true),
        Profile::Oss => ("alicloud_oss_bucket", false),
    };
    let tf_vary = vary || (!with_id && config.rules.iter().any(|r| r.id.is_some()));
    let plan = json!({"format_version": "1.2", "terraform_version": "1.9.8", "planned_values": {"root_module": {"resources": [
        {"address": format!("{rtype}.b"), "mode": "managed", "type": rtype, "name": "b",
         "values": {"bucket": "b", "cors_rule": config.rules.iter().map(|r| tf_rule(r, with_id)).collect::<Vec<_>>()}}]}}});
    let inline = json!({"format_version": "1.0", "values": {"root_module": {"resources": [
        {"address": "aws_s3_bucket.b", "mode": "managed", "type": "aws_s3_bucket", "name": "b",
         "values": {"bucket": "b", "cors_rule": config.rules.iter().map(|r| tf_rule(r, false)).collect::<Vec<_>>()}}]}}});
    let has_id = config.rules.iter().any(|r| r.id.is_some());
    let convert = |form| formats::convert(config, form, options, None).map(|c| c.text);
    vec![
        ("console json", Form::Json, s3_only(console.to_string())),
        ("cli json", Form::CliJson, s3_only(serde_json::to_string_pretty(&cli).unwrap())),
        ("cloudformation json", Form::CloudFormation, s3_only(serde_json::to_string_pretty(&cfn).unwrap())),
        ("cloudformation yaml (convert)", Form::CloudFormation, convert(Form::CloudFormation)),
        ("terraform plan", Form::Terraform, if tf_vary { Err("ResponseVary".into()) } else { Ok(plan.to_string()) }),
        (
            "terraform state, aws_s3_bucket inline",
            Form::Terraform,
            if vary || has_id { Err("ResponseVary or ID".into()) } else { Ok(inline.to_string()) },
        ),
        ("terraform .tf.json (convert)", Form::Terraform, convert(Form::Terraform)),
    ]
}

fn answer(set: &RuleSet, case: &Case) -> corsmatch::Response {
    let req: Request<'_> = case.request();
    set.respond(&req)
}

/// The configuration as Terraform sends it: MaxAgeSeconds 0 where the rule has none.
fn with_zero_ages(config: &CorsConfig) -> CorsConfig {
    let mut c = config.clone();
    for r in &mut c.rules {
        r.max_age_seconds.get_or_insert(0);
    }
    c
}

fn sorted(mut rules: Vec<CorsRule>) -> Vec<CorsRule> {
    for r in &mut rules {
        for l in [&mut r.allowed_origins, &mut r.allowed_methods, &mut r.allowed_headers, &mut r.expose_headers] {
            l.sort();
            l.dedup();
            l.retain(|s| !s.is_empty());
        }
    }
    rules.sort_by_key(|r| format!("{r:?}"));
    rules.dedup();
    rules
}

#[derive(Default)]
struct Tally {
    runs: usize,
    identical: usize,
    zero_age: usize,
    reordered: usize,
    refused_alike: usize,
    refused_by_tool: usize,
    accepted_by_tool: usize,
    skipped: std::collections::BTreeMap<String, usize>,
}

/// A configuration the provider refuses as XML: every form is refused too, by the provider
/// with the same code and message, or first by the form's tool.
fn refused_alike(
    case: &Case,
    config: &CorsConfig,
    options: &Options,
    refusal: &corsmatch::ConfigError,
    t: &mut Tally,
    failures: &mut Vec<String>,
) {
    for (name, _, text) in written(config, options) {
        let Ok(text) = text else { continue };
        t.runs += 1;
        let got = formats::read(text.as_bytes(), None).and_then(|s| s.select(None)).and_then(|b| b.compile(options));
        match got {
            Err(e) => match e.config_error() {
                Some(c) if c.code() == refusal.code() && c.message() == refusal.message() => t.refused_alike += 1,
                None if matches!(e.kind(), formats::LoadErrorKind::Tool { .. }) => t.refused_by_tool += 1,
                _ => failures.push(format!("{} {name}: refused with {e}, XML with {refusal}", case.id)),
            },
            // Terraform drops what S3 would refuse in a set (an empty origin) or the AWS
            // provider's sets may merge duplicates; nothing else may pass.
            Ok(_) if name.starts_with("terraform") => t.accepted_by_tool += 1,
            Ok(_) => failures.push(format!("{} {name}: accepted, XML refused with {refusal}", case.id)),
        }
    }
}

fn run(cases: &[Case], check_expectation: bool) -> Tally {
    let mut t = Tally::default();
    let mut failures = Vec::new();
    for case in cases {
        let Some(config) = &case.config else { continue };
        let options = case.options();
        let xml_set = match options.compile_xml(config.to_xml().as_bytes()) {
            Ok(set) => set,
            Err(refusal) => {
                refused_alike(case, config, &options, &refusal, &mut t, &mut failures);
                continue;
            }
        };
        let xml_answer = answer(&xml_set, case);
        for (name, form, text) in written(config, &options) {
            let text = match text {
                Ok(t) => t,
                Err(why) => {
                    *t.skipped.entry(format!("{name}: {why}")).or_default() += 1;
                    continue;
                }
            };
            t.runs += 1;
            let read = formats::read(text.as_bytes(), None).and_then(|s| {
                assert_eq!(s.form, form, "{}: {name} detected as {}", case.id, s.form);
                s.select(None)
            });
            let set = match read.and_then(|b| b.compile(&options)) {
                Ok(s) => s,
                // The AWS provider drops empty strings from its sets: an empty origin leaves
                // the rule without one, which S3 refuses.
                Err(e)
                    if form == Form::Terraform
                        && options.profile == Profile::S3
                        && e.config_error().is_some_and(|c| c.code() == "MalformedXML")
                        && config.rules.iter().any(|r| r.allowed_origins.iter().any(String::is_empty)) =>
                {
                    *t.skipped
                        .entry(format!("{name}: refused, the aws provider drops the empty origin"))
                        .or_default() += 1;
                    t.runs -= 1;
                    continue;
                }
                Err(e) => {
                    failures.push(format!("{} {name}: {e}\n{text}", case.id));
                    continue;
                }
            };
            if case.method.is_empty() {
                continue;
            }
            let sent = set.config().unwrap().clone();
            let got = answer(&set, case);
            let tool_changed = form == Form::Terraform && sent != *config;
            if !tool_changed {
                t.identical += 1;
                if got != xml_answer {
                    failures.push(format!("{} {name}: {got:?} != XML {xml_answer:?}", case.id));
                }
                if check_expectation {
                    if let Err(e) = check(case, &got) {
                        failures.push(format!("{name}: {e}"));
                    }
                }
                continue;
            }
            // Terraform: the same rules (as sets for the AWS provider), MaxAgeSeconds 0 added.
            let zero = with_zero_ages(config);
            if sent.rules == zero.rules {
                t.zero_age += 1;
                let want = answer(&options.compile(zero).unwrap(), case);
                if got != want {
                    failures.push(format!("{} {name}: {got:?} != XML with MaxAgeSeconds 0 {want:?}", case.id));
                }
            } else if sorted(sent.rules.clone()) == sorted(zero.rules.clone()) {
                t.reordered += 1;
                let want = answer(&options.compile(sent.clone()).unwrap(), case);
                if got != want {
                    failures.push(format!("{} {name}: answers differ from the rules sent", case.id));
                }
            } else {
                failures.push(format!("{} {name}: sent {sent:?}, configured {config:?}", case.id));
            }
        }
    }
    assert!(failures.is_empty(), "{} failures:\n{}", failures.len(), failures.join("\n"));
    t
}

#[test]
fn the_corpus_through_every_form() {
    let cases = corpus();
    let t = run(&cases, true);
    let with_config = cases.iter().filter(|c| c.config.is_some()).count();
    // Every case with a configuration runs through 7 writings, less the ones with ResponseVary
    // (5 cases of oss-cases.json have it on; it has no place in the S3 forms nor in
    // alicloud_oss_bucket) and the ID cases for the inline aws_s3_bucket.
    assert!(with_config > 90, "{with_config}");
    assert_eq!(t.runs + t.skipped.values().sum::<usize>(), with_config * 7, "{} {:?}", t.runs, t.skipped);
    let vary_cases = cases.iter().filter(|c| c.config.as_ref().is_some_and(|c| c.response_vary == Some(true))).count();
    assert_eq!(t.skipped.get("console json: ResponseVary"), Some(&vary_cases));
    assert_eq!(t.skipped.get("cloudformation json: ResponseVary"), Some(&vary_cases));
    // Most runs answer exactly as the XML; the rest are Terraform's documented changes.
    assert!(t.identical > t.runs * 6 / 10, "{} of {}", t.identical, t.runs);
    assert!(t.zero_age > 0 && t.reordered > 0, "zero-age {} reordered {}", t.zero_age, t.reordered);
    eprintln!(
        "corpus: {} runs, {} identical to the XML, {} with Terraform's MaxAgeSeconds 0, {} reordered by its sets; skipped {:?}",
        t.runs, t.identical, t.zero_age, t.reordered, t.skipped
    );
}

#[test]
fn adversarial_configurations_through_every_form() {
    let t = run(&adversarial(), false);
    assert!(t.runs > 500, "{}", t.runs);
    // The refused configurations are refused through every form, with S3's or OSS's own
    // code and message unless the form's tool refuses first.
    assert!(t.refused_alike > 50, "{}", t.refused_alike);
    assert_eq!(t.accepted_by_tool, 0);
    eprintln!(
        "adversarial: {} runs, {} identical, {} zero-age, {} reordered; refused: {} alike, {} by the tool first",
        t.runs, t.identical, t.zero_age, t.reordered, t.refused_alike, t.refused_by_tool
    );
}

/// The test data kept in `tests/data/formats/`: one file of each form (see its README), read
/// and answered as the XML document they all state.
#[test]
fn kept_files_of_each_form_answer_as_their_xml() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/formats/");
    let xml = std::fs::read(format!("{dir}uploads.xml")).unwrap();
    let s3 = Options::new(Profile::S3);
    let want = s3.compile_xml(&xml).unwrap();
    let files = [
        ("console.json", Form::Json, None),
        ("cli.json", Form::CliJson, None),
        ("cli-skeleton.json", Form::CliJson, None),
        ("template.yaml", Form::CloudFormation, Some("Uploads")),
        ("template.flipped.json", Form::CloudFormation, Some("Uploads")),
        ("plan.json", Form::Terraform, Some("aws_s3_bucket_cors_configuration.uploads")),
        ("state.json", Form::Terraform, Some("aws_s3_bucket.uploads")),
        ("uploads.tf.json", Form::Terraform, None),
    ];
    let requests = [
        ("OPTIONS", Some("https://app.example.com"), Some("PUT"), Some("content-type, x-amz-meta-author")),
        ("OPTIONS", Some("https://evil.example"), Some("PUT"), None),
        ("OPTIONS", Some("https://www.example.com"), Some("GET"), None),
        ("GET", Some("https://app.example.com"), None, None),
    ];
    for (file, form, resource) in files {
        let bytes = std::fs::read(format!("{dir}{file}")).unwrap_or_else(|e| panic!("{file}: {e}"));
        let source = formats::read(&bytes, None).unwrap_or_else(|e| panic!("{file}: {e}"));
        assert_eq!(source.form, form, "{file}");
        let bucket = source.select(resource).unwrap_or_else(|e| panic!("{file}: {e}"));
        assert_eq!(bucket.provider, Some(Profile::S3), "{file}");
        let set = bucket.compile(&s3).unwrap_or_else(|e| panic!("{file}: {e}"));
        assert_eq!(set.config().map(|c| c.rules.len()), want.config().map(|c| c.rules.len()), "{file}");
        for (method, origin, acrm, acrh) in requests {
            let req = Request { method, origin, acrm, acrh, ..Request::preflight(None, None, None) };
            assert_eq!(set.respond(&req), want.respond(&req), "{file}: {method} {origin:?} {acrm:?}");
        }
    }
}
