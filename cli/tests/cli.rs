//! The command line's contract: JSON shapes, streaming, exit codes.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use serde_json::{json, Value};

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_corsmatch"))
}

fn example() -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../examples/oss-web-upload.xml"))
}

fn run(args: &[&str]) -> Output {
    bin().args(args).output().expect("the binary runs")
}

fn json_out(out: &Output) -> Value {
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stdout)))
}

fn temp(name: &str, content: &[u8]) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("corsmatch-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(name);
    std::fs::write(&path, content).unwrap();
    path
}

#[test]
fn eval_prints_the_response_object() {
    let cfg = example();
    let out = run(&[
        "eval",
        "--config",
        cfg.to_str().unwrap(),
        "--method",
        "OPTIONS",
        "--origin",
        "https://www.example.com",
        "--acrm",
        "PUT",
        "--acrh",
        "Content-Type",
    ]);
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(
        json_out(&out),
        json!({
            "status": 200,
            "headers": [
                ["Access-Control-Allow-Origin", "https://www.example.com"],
                ["Access-Control-Allow-Methods", "GET, PUT, POST, HEAD"],
                ["Access-Control-Allow-Headers", "content-type"],
                ["Access-Control-Expose-Headers", "ETag, x-oss-request-id"],
                ["Access-Control-Max-Age", "600"],
                ["Access-Control-Allow-Credentials", "true"],
                ["Vary", "Origin"]
            ],
            "error": null,
            "rule": 0
        })
    );
    // Keys come in the contract's order.
    let text = String::from_utf8(out.stdout).unwrap();
    let pos = |k: &str| text.find(k).unwrap();
    assert!(
        pos("\"status\"") < pos("\"headers\"")
            && pos("\"headers\"") < pos("\"error\"")
            && pos("\"error\"") < pos("\"rule\"")
    );
}

#[test]
fn eval_refusal_and_actual_request() {
    let cfg = example();
    let cfg = cfg.to_str().unwrap();
    let out = run(&[
        "eval",
        "--config",
        cfg,
        "--profile",
        "s3",
        "--method",
        "OPTIONS",
        "--origin",
        "https://x.org",
        "--acrm",
        "PUT",
        "--target",
        "bucket",
    ]);
    // ResponseVary is not part of the S3 schema.
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(json_out(&out)["code"], "MalformedXML");

    let out = run(&["eval", "--config", cfg, "--method", "OPTIONS", "--origin", "https://x.org", "--acrm", "PUT"]);
    let v = json_out(&out);
    assert_eq!(v["status"], 403);
    assert_eq!(v["error"]["code"], "AccessForbidden");
    assert!(v["error"]["body"].as_str().unwrap().starts_with("<?xml"));
    assert_eq!(v["rule"], Value::Null);

    let out = run(&["eval", "--config", cfg, "--method", "GET", "--origin", "https://static.example.org"]);
    let v = json_out(&out);
    assert_eq!(v["status"], Value::Null);
    assert_eq!(v["rule"], 1);
    assert_eq!(v["headers"][0], json!(["Access-Control-Allow-Origin", "*"]));
}

#[test]
fn no_config_answers_as_the_provider() {
    let out = run(&["eval", "--no-config", "--profile", "s3", "--method", "OPTIONS", "--origin", "o", "--acrm", "GET"]);
    let v = json_out(&out);
    assert_eq!(v["status"], 403);
    assert_eq!(v["error"]["message"], "CORSResponse: CORS is not enabled for this bucket.");
    assert!(v["error"]["body"].as_str().unwrap().contains("<ResourceType>BUCKET</ResourceType>"));
}

#[test]
fn requests_are_streamed_one_result_per_line() {
    let cfg = example();
    let mut lines = String::new();
    let n = 20_000;
    for i in 0..n {
        match i % 4 {
            0 => lines.push_str("{\"method\":\"OPTIONS\",\"origin\":\"https://www.example.com\",\"acrm\":\"PUT\",\"acrh\":\"x-oss-meta-a\"}\n"),
            1 => lines.push_str("{\"method\":\"GET\",\"origin\":null}\n"),
            2 => lines.push_str("{\"method\":\"OPTIONS\",\"origin\":\"https://evil.net\",\"acrm\":\"GET\",\"target\":\"bucket\"}\n"),
            _ => lines.push_str("\n{\"method\":\"OPTIONS\"}\n"),
        }
    }
    let path = temp("requests.jsonl", lines.as_bytes());
    let out = run(&["eval", "--config", cfg.to_str().unwrap(), "--requests", path.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let results: Vec<Value> = out
        .stdout
        .split(|&b| b == b'\n')
        .filter(|l| !l.is_empty())
        .map(|l| serde_json::from_slice(l).unwrap())
        .collect();
    assert_eq!(results.len(), n);
    for (i, r) in results.iter().enumerate() {
        let want = match i % 4 {
            0 => json!(200),
            1 => Value::Null,
            2 => json!(200),
            _ => json!(400),
        };
        assert_eq!(r["status"], want, "line {i}");
    }
    // Standard input too.
    let mut child = bin()
        .args(["eval", "--config", cfg.to_str().unwrap(), "--requests", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(b"{\"method\":\"GET\",\"origin\":\"https://a.example.com\"}\n").unwrap();
    let out = child.wait_with_output().unwrap();
    assert_eq!(json_out(&out)["rule"], 0);
}

#[test]
fn bad_request_lines_and_files_are_usage_errors() {
    let cfg = example();
    let path = temp("bad.jsonl", b"{\"method\":\"GET\"}\n{not json}\n");
    let out = run(&["eval", "--config", cfg.to_str().unwrap(), "--requests", path.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("line 2"));
    let out = run(&["eval", "--config", "/nonexistent/cors.xml", "--method", "GET"]);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(String::from_utf8_lossy(&out.stderr).lines().count(), 1);
    let out = run(&["eval", "--config", cfg.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    let out = run(&["eval", "--config", cfg.to_str().unwrap(), "--method", "GET", "--profile", "gcs"]);
    assert_eq!(out.status.code(), Some(2));
    let out = run(&["frobnicate"]);
    assert_eq!(out.status.code(), Some(2));
    for args in
        [&["frobnicate"][..], &["eval", "--config", "x.xml"], &["check"], &["eval", "--method", "GET", "--nope"]]
    {
        let out = run(args);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(err.lines().count(), 1, "{args:?}: {err}");
        assert!(err.starts_with("corsmatch: "), "{err}");
    }
    let help = run(&["--help"]);
    assert_eq!(help.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&help.stdout).contains("eval"));
}

#[test]
fn check_valid_and_invalid() {
    let out = run(&["check", "--config", example().to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0));
    let v = json_out(&out);
    assert_eq!(v["rules"].as_array().unwrap().len(), 2);
    assert_eq!(v["response_vary"], true);

    let too_many = format!(
        "<CORSConfiguration>{}</CORSConfiguration>",
        "<CORSRule><AllowedOrigin>*</AllowedOrigin><AllowedMethod>GET</AllowedMethod></CORSRule>".repeat(11)
    );
    let path = temp("eleven.xml", too_many.as_bytes());
    let out = run(&["check", "--config", path.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        json_out(&out),
        json!({"code": "CORSRuleBeyondLimit", "message": "The CORS Rules num is beyond limit."})
    );
    let out = run(&["check", "--config", path.to_str().unwrap(), "--profile", "s3"]);
    assert_eq!(out.status.code(), Some(0));
    let out = run(&["check", "--config", path.to_str().unwrap(), "--max-rules", "20"]);
    assert_eq!(out.status.code(), Some(0));

    let path = temp("binary.xml", &[0xff, 0xfe, 0x00, 0x3c]);
    let out = run(&["check", "--config", path.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(json_out(&out)["code"], "MalformedXML");
}

#[test]
fn explain_table_and_json() {
    let cfg = example();
    let args = [
        "explain",
        "--config",
        cfg.to_str().unwrap(),
        "--method",
        "OPTIONS",
        "--origin",
        "https://static.example.org",
        "--acrm",
        "GET",
        "--acrh",
        "x-custom",
    ];
    let out = run(&args);
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("origin"), "{text}");
    assert!(
        text.contains("header x-custom is requested and the rule has no AllowedHeader, so it allows none"),
        "{text}"
    );
    assert!(!text.contains("Some(") && !text.contains('"'), "no debug syntax: {text}");
    assert!(text.contains("decision: 403"), "{text}");

    let mut json_args = args.to_vec();
    json_args.push("--json");
    let v = json_out(&run(&json_args));
    assert_eq!(v["rules"][0]["result"], "origin");
    assert_eq!(v["rules"][1]["result"], "header");
    assert_eq!(v["rules"][1]["header"], "x-custom");
    assert_eq!(v["winner"], Value::Null);
    assert_eq!(v["response"]["status"], 403);

    let v = json_out(&run(&["explain", "--config", cfg.to_str().unwrap(), "--method", "OPTIONS", "--json"]));
    assert_eq!(
        v["skipped"],
        "refused before the rules were consulted: no Origin header; a browser's preflight always carries one"
    );
}

#[test]
fn strict_origins_and_no_credentials_flags() {
    let cfg = example();
    let cfg = cfg.to_str().unwrap();
    let trick = ["eval", "--config", cfg, "--method", "GET", "--origin", "https://evil.com/.example.com"];
    assert_eq!(json_out(&run(&trick))["rule"], 0);
    let mut strict = trick.to_vec();
    strict.push("--strict-origins");
    assert_eq!(json_out(&run(&strict))["rule"], 1, "only the `*` rule is left");
    let out =
        run(&["eval", "--config", cfg, "--method", "GET", "--origin", "https://a.example.com", "--no-credentials"]);
    let headers = json_out(&out)["headers"].clone();
    assert!(!headers.as_array().unwrap().iter().any(|h| h[0] == "Access-Control-Allow-Credentials"));
}

#[test]
fn target_flag_is_the_default_for_request_lines() {
    let path = temp("target.jsonl", b"{\"method\":\"OPTIONS\",\"origin\":\"https://x.org\",\"acrm\":\"GET\"}\n{\"method\":\"OPTIONS\",\"origin\":\"https://x.org\",\"acrm\":\"GET\",\"target\":\"object\"}\n");
    let cfg = temp("s3.xml", b"<CORSConfiguration><CORSRule><AllowedOrigin>https://a.org</AllowedOrigin><AllowedMethod>GET</AllowedMethod></CORSRule></CORSConfiguration>");
    let out = run(&[
        "eval",
        "--profile",
        "s3",
        "--config",
        cfg.to_str().unwrap(),
        "--target",
        "bucket",
        "--requests",
        path.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8(out.stdout).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert!(lines[0].contains("<ResourceType>BUCKET</ResourceType>"), "{}", lines[0]);
    assert!(lines[1].contains("<ResourceType>OBJECT</ResourceType>"), "{}", lines[1]);
}

#[test]
fn doctor_text_json_exit_codes_and_lint_sdk() {
    let cfg = temp(
        "doctor-broken.xml",
        b"<CORSConfiguration><CORSRule><AllowedOrigin>https://app.example.com/</AllowedOrigin>\
         <AllowedMethod>GET</AllowedMethod><AllowedMethod>PUT</AllowedMethod><AllowedHeader>*</AllowedHeader>\
         </CORSRule></CORSConfiguration>",
    );
    let c = cfg.to_str().unwrap();
    let base = ["doctor", "--config", c, "--origin", "https://app.example.com", "--sdk", "aws-js-v3"];
    let out = run(&base);
    assert_eq!(out.status.code(), Some(1));
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("FAIL  PutObject\n"), "{text}");
    assert!(
        text.contains("rule 0's https://app.example.com/ has a trailing slash; a browser never sends one"),
        "{text}"
    );
    assert!(text.contains("8 of 8 operations fail"), "{text}");
    assert!(text.contains("The configuration with every fix:\n<?xml"), "{text}");

    let mut json_args = base.to_vec();
    json_args.extend(["--json", "--ops", "PutObject,MultipartUpload"]);
    let v = json_out(&run(&json_args));
    assert_eq!(v["sdk"], "aws-js-v3");
    let ops: Vec<_> = v["operations"].as_array().unwrap().iter().map(|o| o["operation"].as_str().unwrap()).collect();
    assert_eq!(ops, ["PutObject", "MultipartUpload"]);
    let fixed = temp("doctor-fixed.xml", v["fixed_config"].as_str().unwrap().as_bytes());
    let f = fixed.to_str().unwrap();
    let ok = run(&[
        "doctor",
        "--config",
        f,
        "--origin",
        "https://app.example.com",
        "--sdk",
        "aws-js-v3",
        "--ops",
        "PutObject,MultipartUpload",
    ]);
    assert_eq!(ok.status.code(), Some(0), "{}", String::from_utf8_lossy(&ok.stdout));

    for bad in [
        vec!["doctor", "--config", c, "--origin", "https://app.example.com/", "--sdk", "aws-js-v3"],
        vec!["doctor", "--config", c, "--origin", "https://app.example.com", "--sdk", "boto3"],
        vec!["doctor", "--config", c, "--origin", "https://app.example.com", "--sdk", "ali-oss", "--ops", "Copy"],
        vec!["doctor", "--config", c, "--sdk", "ali-oss"],
    ] {
        assert_eq!(run(&bad).status.code(), Some(2), "{bad:?}");
    }

    let lint = run(&[
        "lint",
        "--profile",
        "s3",
        "--config",
        c,
        "--sdk",
        "aws-js-v3",
        "--origin",
        "https://app.example.com",
        "--json",
    ]);
    assert_eq!(lint.status.code(), Some(1));
    let v = json_out(&lint);
    let ids: Vec<_> = v.as_array().unwrap().iter().map(|f| f["id"].as_str().unwrap()).collect();
    assert!(ids.contains(&"origin-has-path") && ids.contains(&"sdk-origin"), "{ids:?}");
    assert_eq!(run(&["lint", "--config", c, "--sdk", "aws-js-v3"]).status.code(), Some(2));
}

// ---------------------------------------------------------------------------------------
// The other forms (core/tests/data/formats/)

fn form_file(name: &str) -> String {
    format!("{}/../core/tests/data/formats/{name}", env!("CARGO_MANIFEST_DIR"))
}

#[test]
fn every_command_reads_every_form() {
    for file in ["console.json", "cli.json", "template.yaml", "template.flipped.json", "plan.json", "state.json"] {
        let f = form_file(file);
        let out = run(&["check", "--config", &f]);
        assert_eq!(out.status.code(), Some(0), "{file}: {}", String::from_utf8_lossy(&out.stdout));
        let v = json_out(&out);
        // The AWS forms are S3's: the profile follows the tool.
        assert_eq!(v["profile"], "s3", "{file}");
        assert_eq!(v["rules"].as_array().unwrap().len(), 2, "{file}");
        assert!(v["source"]["tool"].is_string(), "{file}");
        let out = run(&[
            "eval",
            "--config",
            &f,
            "--method",
            "OPTIONS",
            "--origin",
            "https://www.example.com",
            "--acrm",
            "GET",
        ]);
        assert_eq!(json_out(&out)["status"], 200, "{file}");
    }
    // The XML's check output is as it was: no source.
    let out = run(&["check", "--config", &form_file("uploads.xml"), "--profile", "s3"]);
    assert!(json_out(&out).get("source").is_none());
}

#[test]
fn errors_point_into_the_users_file() {
    let bad = temp(
        "bad-console.json",
        b"[\n  {\"AllowedOrigins\": [\"*\"],\n   \"AllowedMethods\": [\"GET\", \"FETCH\"]}\n]\n",
    );
    let out = run(&["check", "--config", bad.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    let v = json_out(&out);
    assert_eq!(v["code"], "InvalidRequest");
    assert_eq!(v["message"], "Found unsupported HTTP method in CORS config. Unsupported method is FETCH");
    assert_eq!(v["at"], json!({"resource": null, "path": "[0].AllowedMethods[1]", "line": 3, "column": 30}));
    let bad = temp(
        "bad-cli.json",
        b"{\"CORSRules\": [{\"AllowedOrigins\": [\"*\"], \"AllowedMethods\": [\"GET\"], \"MaxAgeSeconds\": \"60\"}]}",
    );
    let out = run(&["check", "--config", bad.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    let v = json_out(&out);
    assert_eq!(v["refused_by"], "AWS CLI");
    assert!(v["message"].as_str().unwrap().starts_with(
        "Parameter validation failed:\nInvalid type for parameter CORSConfiguration.CORSRules[0].MaxAgeSeconds"
    ));
    // Several buckets: --resource chooses, and an unknown one is a usage error.
    let plan = form_file("plan.json");
    let out = run(&["check", "--config", &plan, "--resource", "nope"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("aws_s3_bucket_cors_configuration.uploads"));
}

#[test]
fn lint_formats_for_ci() {
    let cfg = temp(
        "lint-template.yaml",
        b"Resources:\n  Site:\n    Type: AWS::S3::Bucket\n    Properties:\n      CorsConfiguration:\n        CorsRules:\n          - AllowedOrigins: ['https://*.example.com']\n            AllowedMethods: [GET]\n          - AllowedOrigins: ['https://www.example.com']\n            AllowedMethods: [GET]\n",
    );
    let path = cfg.to_str().unwrap();
    let out = run(&["lint", "--config", path]);
    assert_eq!(out.status.code(), Some(1));
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.starts_with(&format!(
            "{path}:9:13: Site Resources.Site.Properties.CorsConfiguration.CorsRules[1]: warning shadowed-rule rule 1:"
        )),
        "{text}"
    );
    let out = run(&["lint", "--config", path, "--format", "github"]);
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.starts_with(&format!("::warning file={path},line=9,col=13,title=corsmatch shadowed-rule::Site: rule 1: ")),
        "{text}"
    );
    let out = run(&["lint", "--config", path, "--format", "sarif"]);
    assert_eq!(out.status.code(), Some(1));
    let v = json_out(&out);
    assert_eq!(v["version"], "2.1.0");
    let result = &v["runs"][0]["results"][0];
    assert_eq!(result["ruleId"], "shadowed-rule");
    assert_eq!(result["level"], "warning");
    assert_eq!(result["locations"][0]["physicalLocation"]["region"], json!({"startLine": 9, "startColumn": 13}));
    assert_eq!(v["runs"][0]["tool"]["driver"]["rules"][0]["id"], "shadowed-rule");
    let out = run(&["lint", "--config", path, "--json"]);
    let v = json_out(&out);
    assert_eq!(v[0]["location"]["line"], 9);
    assert_eq!(v[0]["location"]["resource"], "Site");
}

#[test]
fn convert_between_forms() {
    let xml = form_file("uploads.xml");
    for to in ["json", "cli-json", "cloudformation", "terraform", "xml"] {
        let out = run(&["convert", "--config", &xml, "--profile", "s3", "--to", to]);
        assert_eq!(out.status.code(), Some(0), "{to}: {}", String::from_utf8_lossy(&out.stderr));
        let back = temp(&format!("converted.{to}"), &out.stdout);
        let a = run(&["check", "--config", back.to_str().unwrap(), "--profile", "s3"]);
        let b = run(&["check", "--config", &xml, "--profile", "s3"]);
        assert_eq!(json_out(&a)["rules"], json_out(&b)["rules"], "{to}");
    }
    // ResponseVary has no place in an S3 form.
    let out = run(&["convert", "--config", example().to_str().unwrap(), "--to", "json"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(out.stdout.is_empty());
    assert!(String::from_utf8_lossy(&out.stderr).contains("ResponseVary"));
}

#[test]
fn the_readme_doctor_transcript_is_what_the_doctor_prints() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let readme = std::fs::read_to_string(root.join("README.md")).unwrap();
    let command =
        "$ corsmatch doctor --config examples/s3-sdk-broken.xml --origin https://app.example.com --sdk aws-js-v3\n";
    let start =
        readme.find(command).expect("the README shows the doctor on examples/s3-sdk-broken.xml") + command.len();
    let shown = &readme[start..start + readme[start..].find("```").unwrap()];
    let config = root.join("examples/s3-sdk-broken.xml");
    let out = run(&[
        "doctor",
        "--config",
        config.to_str().unwrap(),
        "--origin",
        "https://app.example.com",
        "--sdk",
        "aws-js-v3",
    ]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(shown, String::from_utf8(out.stdout).unwrap(), "README's transcript is stale: run the command again");
}

#[test]
fn format_forces_the_input_form_too() {
    let data = Path::new(env!("CARGO_MANIFEST_DIR")).join("../core/tests/data/formats");
    let console = data.join("console.json");
    let c = console.to_str().unwrap();
    // --format json is the S3 console's JSON for check; cloudformation on it is refused as such.
    let out = run(&["check", "--config", c, "--format", "json"]);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(json_out(&out)["profile"], "s3");
    let out = run(&["check", "--config", c, "--format=cloudformation"]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(json_out(&out)["refused_by"], "CloudFormation");
    // On lint, an input form forces the form, and json stays the output format.
    let template = data.join("template.yaml");
    let t = template.to_str().unwrap();
    assert_eq!(run(&["lint", "--config", t, "--format", "cloudformation"]).status.code(), Some(0));
    assert_eq!(
        run(&["lint", "--config", t, "--format", "terraform"]).status.code(),
        Some(1),
        "YAML is not Terraform JSON"
    );
    assert_eq!(json_out(&run(&["lint", "--config", t, "--format", "json"])), json!([]));
}

#[test]
fn a_closed_standard_output_ends_the_command_without_a_panic() {
    let cfg = example();
    let mut child = bin()
        .args(["eval", "--config", cfg.to_str().unwrap(), "--requests", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take());
    let line = b"{\"method\":\"OPTIONS\",\"origin\":\"https://www.example.com\",\"acrm\":\"GET\"}\n".repeat(20_000);
    let _ = child.stdin.take().unwrap().write_all(&line);
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains("panicked"), "{stderr}");
}
