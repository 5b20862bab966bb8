//! The readers on small inputs: what each tool sends, refuses, and where.

use super::*;
use crate::Options;

fn s3() -> Options {
    Options::new(Profile::S3)
}

fn load(text: &str) -> Result<RuleSet, LoadError> {
    read(text.as_bytes(), None)?.select(None)?.compile(&s3())
}

#[test]
fn detection() {
    assert_eq!(detect(b"<CORSConfiguration/>").unwrap(), Form::Xml);
    assert_eq!(detect(b"\xef\xbb\xbf  <x/>").unwrap(), Form::Xml);
    assert_eq!(detect(b"garbage").unwrap(), Form::Xml);
    assert_eq!(detect(b"").unwrap(), Form::Xml);
    assert_eq!(detect(b" [ ]").unwrap(), Form::Json);
    assert_eq!(detect(b"{\"CORSRules\": []}").unwrap(), Form::CliJson);
    assert_eq!(detect(b"{\"Resources\": {}}").unwrap(), Form::CloudFormation);
    assert_eq!(detect(b"Parameters: {}\nResources:\n  B: {}\n").unwrap(), Form::CloudFormation);
    assert_eq!(detect(b"{\"format_version\": \"1.2\", \"planned_values\": {}}").unwrap(), Form::Terraform);
    assert_eq!(detect(b"{\"resource\": {}}").unwrap(), Form::Terraform);
    assert!(matches!(detect(b"{\"x\": 1}").unwrap_err().kind(), LoadErrorKind::Undetected { .. }));
    let e = detect(b"{\"CORSRules\": [}").unwrap_err();
    assert_eq!(e.location().unwrap().pos, Pos { line: 1, column: 16 });
}

#[test]
fn console_and_cli_json_send_the_same_document() {
    let console = r#"[{"AllowedHeaders": ["*"], "AllowedMethods": ["PUT", "GET"],
        "AllowedOrigins": ["https://a.example"], "ExposeHeaders": ["ETag"], "MaxAgeSeconds": 600, "ID": "r1"}]"#;
    let cli = format!("{{\"CORSRules\": {console}}}");
    let a = load(console).unwrap();
    let b = load(&cli).unwrap();
    assert_eq!(a.config(), b.config());
    let r = &a.config().unwrap().rules[0];
    assert_eq!(r.allowed_methods, ["PUT", "GET"]);
    assert_eq!(r.id.as_deref(), Some("r1"));
    assert_eq!(r.max_age_seconds, Some(600));
    let skeleton = format!("{{\"Bucket\": \"b\", \"CORSConfiguration\": {{\"CORSRules\": {console}}}}}");
    assert_eq!(load(&skeleton).unwrap().config(), a.config());
}

#[test]
fn botocore_refuses_before_sending() {
    let e = load(r#"{"CORSRules": [{"AllowedOrigin": ["*"], "AllowedMethods": "GET", "MaxAgeSeconds": "600"}]}"#)
        .unwrap_err();
    let LoadErrorKind::Tool { tool, message } = e.kind() else { panic!("{e:?}") };
    assert_eq!(*tool, "AWS CLI");
    assert_eq!(
        message,
        "Parameter validation failed:\n\
         Missing required parameter in CORSConfiguration.CORSRules[0]: \"AllowedOrigins\"\n\
         Unknown parameter in CORSConfiguration.CORSRules[0]: \"AllowedOrigin\", must be one of: ID, AllowedHeaders, AllowedMethods, AllowedOrigins, ExposeHeaders, MaxAgeSeconds\n\
         Invalid type for parameter CORSConfiguration.CORSRules[0].AllowedMethods, value: GET, type: <class 'str'>, valid types: <class 'list'>, <class 'tuple'>\n\
         Invalid type for parameter CORSConfiguration.CORSRules[0].MaxAgeSeconds, value: 600, type: <class 'str'>, valid types: <class 'int'>"
    );
    assert_eq!(e.location().unwrap().path, "CORSRules[0]");
    // The console sends what it has: S3 answers.
    let e = load(r#"[{"AllowedOrigin": ["*"], "AllowedMethods": ["GET"]}]"#).unwrap_err();
    assert_eq!(e.config_error().unwrap().code(), "MalformedXML");
    assert_eq!(e.location().unwrap().to_string(), "1:3 [0].AllowedOrigin");
}

#[test]
fn provider_errors_point_at_the_value() {
    let text = "{\"CORSRules\": [\n  {\"AllowedOrigins\": [\"*\"], \"AllowedMethods\": [\"GET\"]},\n  {\"AllowedOrigins\": [\"https://a.com\", \"https://*.*.b.com\"],\n   \"AllowedMethods\": [\"GET\"]}\n]}";
    let e = load(text).unwrap_err();
    assert_eq!(
        e.config_error().unwrap().message(),
        "AllowedOrigin \"https://*.*.b.com\" can not have more than one wildcard."
    );
    let at = e.location().unwrap();
    assert_eq!(at.path, "CORSRules[1].AllowedOrigins[1]");
    assert_eq!(at.pos, Pos { line: 3, column: 40 });
    let e = load(r#"[{"AllowedOrigins": ["*"], "AllowedMethods": ["GET"], "MaxAgeSeconds": -5}]"#).unwrap_err();
    assert_eq!(e.config_error().unwrap().code(), "InvalidArgument");
    assert_eq!(e.location().unwrap().path, "[0].MaxAgeSeconds");
    let e = load(r#"[{"AllowedOrigins": ["*"], "AllowedMethods": ["GET"], "ExposeHeaders": ["*"]}]"#).unwrap_err();
    assert_eq!(e.config_error().unwrap().message(), "We currently do not support wildcard for ExposeHeader.");
    assert_eq!(e.location().unwrap().path, "[0].ExposeHeaders[0]");
}

const TEMPLATE: &str = "AWSTemplateFormatVersion: '2010-09-09'
Parameters:
  AppOrigin:
    Type: String
    Default: https://app.example.com
  Extra:
    Type: CommaDelimitedList
    Default: 'https://a.example.com,https://b.example.com'
Resources:
  Logs:
    Type: AWS::S3::Bucket
  Uploads:
    Type: AWS::S3::Bucket
    Properties:
      CorsConfiguration:
        CorsRules:
          - Id: uploads
            AllowedOrigins:
              - !Ref AppOrigin
              - !Sub '${AppOrigin}:8443'
              - !Ref Extra
            AllowedMethods: [PUT, POST]
            AllowedHeaders: ['*']
            ExposedHeaders: [ETag]
            MaxAge: '3000'
  Site:
    Type: AWS::S3::Bucket
    Properties:
      CorsConfiguration:
        CorsRules:
          - AllowedOrigins: ['*']
            AllowedMethods: [GET]
            MaxAge: !Ref AWS::NoValue
";

#[test]
fn cloudformation_template() {
    let source = read(TEMPLATE.as_bytes(), None).unwrap();
    assert_eq!(source.form, Form::CloudFormation);
    assert_eq!(source.resources(), ["Uploads", "Site"]);
    assert!(matches!(source.clone().select(None).unwrap_err().kind(), LoadErrorKind::Ambiguous { .. }));
    let up = source.clone().select(Some("Uploads")).unwrap();
    let rules = up.compile(&s3()).unwrap();
    let r = &rules.config().unwrap().rules[0];
    assert_eq!(
        r.allowed_origins,
        ["https://app.example.com", "https://app.example.com:8443", "https://a.example.com", "https://b.example.com"]
    );
    assert_eq!(r.expose_headers, ["ETag"]);
    assert_eq!(r.max_age_seconds, Some(3000));
    assert_eq!(r.id.as_deref(), Some("uploads"));
    let at = up.locate(0, Some("AllowedOrigin"), Some(1)).unwrap();
    assert_eq!(at.pos, Pos { line: 20, column: 22 });
    assert_eq!(at.resource.as_deref(), Some("Uploads"));
    let site = source.select(Some("Site")).unwrap().compile(&s3()).unwrap();
    assert_eq!(site.config().unwrap().rules[0].max_age_seconds, None);
}

#[test]
fn cloudformation_refusals_are_cloudformations() {
    let t = |rule: &str| {
        format!("Resources:\n  B:\n    Type: AWS::S3::Bucket\n    Properties:\n      CorsConfiguration:\n        CorsRules:\n          - {rule}\n")
    };
    let cases = [
        (
            "{AllowedOrigins: ['*'], AllowedMethods: [FETCH]}",
            "#/CorsConfiguration/CorsRules/0/AllowedMethods/0: FETCH is not a valid enum value",
        ),
        ("{AllowedOrigins: ['*']}", "#/CorsConfiguration/CorsRules/0: required key [AllowedMethods] not found"),
        (
            "{AllowedOrigins: ['*'], AllowedMethods: [GET], MaxAge: -1}",
            "#/CorsConfiguration/CorsRules/0/MaxAge: -1 is not greater or equal to 0",
        ),
        (
            "{AllowedOrigins: ['*'], AllowedMethods: [GET, GET]}",
            "#/CorsConfiguration/CorsRules/0/AllowedMethods: array items are not unique",
        ),
        (
            "{AllowedOrigins: ['*'], AllowedMethods: [GET], ExposeHeaders: [ETag]}",
            "#/CorsConfiguration/CorsRules/0: extraneous key [ExposeHeaders] is not permitted",
        ),
        (
            "{AllowedOrigins: ['*'], AllowedMethods: [GET], MaxAge: soon}",
            "#/CorsConfiguration/CorsRules/0/MaxAge: expected type: Integer, found: String",
        ),
    ];
    for (rule, want) in cases {
        let e = read(t(rule).as_bytes(), None).unwrap_err();
        let LoadErrorKind::Tool { tool: "CloudFormation", message } = e.kind() else { panic!("{rule}: {e:?}") };
        assert_eq!(message, &format!("Properties validation failed for resource B with message: {want}"), "{rule}");
        assert_eq!(e.location().unwrap().pos.line, 7, "{rule}");
    }
    // No ExposedHeaders wildcard check of CloudFormation's own: S3 refuses it.
    let e = read(t("{AllowedOrigins: ['*'], AllowedMethods: [GET], ExposedHeaders: ['*']}").as_bytes(), None)
        .unwrap()
        .select(None)
        .unwrap()
        .compile(&s3())
        .unwrap_err();
    assert_eq!(e.config_error().unwrap().message(), "We currently do not support wildcard for ExposeHeader.");
    assert_eq!(e.location().unwrap().path, "Resources.B.Properties.CorsConfiguration.CorsRules[0].ExposedHeaders[0]");
    // What only the deployment knows.
    let e = read(t("{AllowedOrigins: [!GetAtt Site.Arn], AllowedMethods: [GET]}").as_bytes(), None).unwrap_err();
    assert!(matches!(e.kind(), LoadErrorKind::Unsupported { .. }), "{e:?}");
    assert_eq!(e.location().unwrap().pos, Pos { line: 7, column: 39 });
}

const PLAN: &str = r#"{"format_version": "1.2", "terraform_version": "1.9.8",
 "planned_values": {"root_module": {"resources": [
  {"address": "aws_s3_bucket.b", "mode": "managed", "type": "aws_s3_bucket", "name": "b",
   "values": {"bucket": "b", "cors_rule": []}},
  {"address": "aws_s3_bucket_cors_configuration.b", "mode": "managed", "type": "aws_s3_bucket_cors_configuration", "name": "b",
   "values": {"bucket": "b", "cors_rule": [
     {"allowed_headers": null, "allowed_methods": ["PUT", "GET", "HEAD"], "allowed_origins": ["https://a.example.com"], "expose_headers": ["ETag", ""], "id": null, "max_age_seconds": 600},
     {"allowed_headers": ["*"], "allowed_methods": ["GET"], "allowed_origins": ["*"], "expose_headers": [], "id": "", "max_age_seconds": null}]}}],
  "child_modules": [{"address": "module.oss", "resources": [
   {"address": "module.oss.alicloud_oss_bucket.o", "mode": "managed", "type": "alicloud_oss_bucket", "name": "o",
    "values": {"bucket": "o", "cors_rule": [{"allowed_headers": ["x-oss-meta-*"], "allowed_methods": ["PUT"], "allowed_origins": ["https://a.example.com"], "expose_headers": null, "max_age_seconds": 0}]}}]}]}}}"#;

#[test]
fn terraform_plan() {
    let source = read(PLAN.as_bytes(), None).unwrap();
    assert_eq!(source.form, Form::Terraform);
    assert_eq!(source.resources(), ["aws_s3_bucket_cors_configuration.b", "module.oss.alicloud_oss_bucket.o"]);
    let b = source.clone().select(Some("aws_s3_bucket_cors_configuration.b")).unwrap();
    assert_eq!(b.provider, Some(Profile::S3));
    let rules = b.compile(&s3()).unwrap();
    let cfg = rules.config().unwrap();
    assert_eq!(cfg.rules.len(), 2);
    // Values in set order, the empty string dropped, the missing max age sent as 0.
    let first = cfg.rules.iter().find(|r| r.allowed_origins == ["https://a.example.com"]).unwrap();
    assert_eq!(first.expose_headers, ["ETag"]);
    let mut methods = first.allowed_methods.clone();
    methods.sort();
    assert_eq!(methods, ["GET", "HEAD", "PUT"]);
    let second = cfg.rules.iter().find(|r| r.allowed_origins == ["*"]).unwrap();
    assert_eq!(second.max_age_seconds, Some(0));
    assert_eq!(second.id, None);
    assert!(b.notes.iter().any(|n| n.contains("max_age_seconds")), "{:?}", b.notes);
    let o = source.select(Some("o")).unwrap();
    assert_eq!(o.provider, Some(Profile::Oss));
    assert_eq!(o.resource.as_deref(), Some("module.oss.alicloud_oss_bucket.o"));
    let oss = o.compile(&Options::new(Profile::Oss)).unwrap();
    assert_eq!(oss.config().unwrap().rules[0].max_age_seconds, Some(0));
}

#[test]
fn terraform_locations_name_the_address() {
    let text = PLAN.replace(
        "\"https://a.example.com\"], \"expose_headers\": [\"ETag\", \"\"]",
        "\"https://*.*.a.example.com\"], \"expose_headers\": [\"ETag\", \"\"]",
    );
    let e = read(text.as_bytes(), None).unwrap().select(Some("b")).unwrap().compile(&s3()).unwrap_err();
    let at = e.location().unwrap();
    assert_eq!(at.resource.as_deref(), Some("aws_s3_bucket_cors_configuration.b"));
    assert_eq!(at.path, "cors_rule[0].allowed_origins[0]");
    assert!(
        at.to_string().starts_with("aws_s3_bucket_cors_configuration.b: cors_rule[0].allowed_origins[0] (7:"),
        "{at}"
    );
}

#[test]
fn hostile_input_is_an_error_not_a_panic() {
    for bad in [
        &b"[\xff]"[..],
        b"{\"CORSRules\": \"x\"}",
        b"[1, 2]",
        b"[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[",
        b"Resources:\n  B:\n    Type: AWS::S3::Bucket\n    Properties:\n      CorsConfiguration: &a {CorsRules: *a}\n",
        b"{\"format_version\": \"1\", \"values\": {\"root_module\": {\"resources\": [{\"address\": 1}]}}}",
        b"{\"resource\": {\"aws_s3_bucket_cors_configuration\": {\"x\": {\"cors_rule\": {\"allowed_methods\": [\"GET\"], \"allowed_origins\": [\"${var.o}\"]}}}}}",
    ] {
        let r = read(bad, None).and_then(|s| s.select(None)).and_then(|b| b.compile(&s3()));
        assert!(r.is_err(), "{:?}", String::from_utf8_lossy(bad));
    }
    let mut json = vec![b'['];
    json.resize(MAX_INPUT_BYTES + 1, b' ');
    assert!(matches!(read(&json, None).map(|_| ()).unwrap_err().kind(), LoadErrorKind::TooLarge { .. }));
}

#[test]
fn xml_goes_through_unchanged() {
    let xml = b"<CORSConfiguration><CORSRule><AllowedOrigin>*</AllowedOrigin><AllowedMethod>GET</AllowedMethod></CORSRule></CORSConfiguration>";
    let b = read(xml, None).unwrap().select(None).unwrap();
    assert_eq!(&*b.document(), &xml[..]);
    assert_eq!(b.provider, None);
    assert_eq!(b.compile(&s3()).unwrap().config(), Options::new(Profile::S3).compile_xml(xml).unwrap().config());
    let e = read(b"not xml", None).unwrap().select(None).unwrap().compile(&s3()).unwrap_err();
    assert_eq!(e.config_error().unwrap().code(), "MalformedXML");
    assert_eq!(e.location(), None);
    let at = b.locate(0, Some("AllowedMethod"), Some(0)).unwrap();
    assert_eq!(at.pos, Pos { line: 1, column: 62 });
}

#[test]
fn convert_round_trips() {
    let xml = b"<CORSConfiguration><CORSRule><ID>r</ID><AllowedOrigin>https://${x}.example.com</AllowedOrigin><AllowedMethod>GET</AllowedMethod><AllowedHeader>*</AllowedHeader><ExposeHeader>ETag</ExposeHeader><MaxAgeSeconds>60</MaxAgeSeconds></CORSRule></CORSConfiguration>";
    let cfg = s3().compile_xml(xml).unwrap().config().unwrap().clone();
    for form in Form::ALL {
        let out = convert(&cfg, form, &s3(), None).unwrap();
        assert!(out.notes.is_empty(), "{form}: {:?}", out.notes);
        let back = read(out.text.as_bytes(), None).unwrap();
        assert_eq!(back.form, form, "{}", out.text);
        let rules = back.select(None).unwrap().compile(&s3()).unwrap();
        assert_eq!(rules.config(), Some(&cfg), "{form}:\n{}", out.text);
    }
    let mut vary = cfg.clone();
    vary.response_vary = Some(true);
    vary.rules[0].id = None;
    assert!(convert(&vary, Form::Json, &s3(), None).unwrap_err().contains("ResponseVary"));
    let mut dup = cfg.clone();
    dup.rules[0].allowed_methods.push("GET".into());
    assert!(convert(&dup, Form::CloudFormation, &s3(), None).unwrap_err().contains("twice"));
    let mut no_age = cfg;
    no_age.rules[0].max_age_seconds = None;
    let out = convert(&no_age, Form::Terraform, &s3(), None).unwrap();
    assert!(out.notes[0].contains("MaxAgeSeconds 0"), "{:?}", out.notes);
}

#[test]
fn compile_json_takes_the_json_forms_and_the_tools_provider() {
    let console = br#"[{"AllowedOrigins": ["https://a.example"], "AllowedMethods": ["PUT"]}]"#;
    let set = compile_json(console, None, None, Options::default()).unwrap();
    assert_eq!(set.profile(), Profile::S3, "the S3 console talks to S3");
    assert_eq!(set.config().unwrap().rules[0].allowed_methods, ["PUT"]);
    let oss = compile_json(console, None, Some(Profile::Oss), Options::default()).unwrap();
    assert_eq!(oss.profile(), Profile::Oss);
    let cli = br#"{"CORSRules": [{"AllowedOrigins": ["*"], "AllowedMethods": ["GET"]}]}"#;
    assert!(compile_json(cli, None, None, Options::default()).is_ok());
    let xml = b"<CORSConfiguration><CORSRule><AllowedOrigin>*</AllowedOrigin><AllowedMethod>GET</AllowedMethod></CORSRule></CORSConfiguration>";
    let e = compile_json(xml, None, None, Options::default()).unwrap_err();
    assert!(e.to_string().contains("from_xml"), "{e}");
    let bad = br#"[{"AllowedOrigins": ["https://a.example"], "AllowedMethods": ["COPY"]}]"#;
    assert!(compile_json(bad, None, None, Options::default()).unwrap_err().to_string().contains("COPY"));
    // Eleven rules: over OSS's limit, within S3's, which the console's JSON is for.
    let rule = r#"{"AllowedOrigins": ["https://a.example"], "AllowedMethods": ["PUT"]}"#;
    let eleven = format!("[{}]", [rule; 11].join(","));
    assert_eq!(
        compile_json(eleven.as_bytes(), None, None, Options::default()).unwrap().config().unwrap().rules.len(),
        11
    );
    let e = compile_json(eleven.as_bytes(), None, Some(Profile::Oss), Options::default()).unwrap_err();
    assert_eq!(e.config_error().map(|c| c.code()), Some("CORSRuleBeyondLimit"), "{e}");
    assert!(
        compile_json(eleven.as_bytes(), None, None, Options::default().max_rules(5)).is_err(),
        "a limit given stays"
    );
    let e = compile_json(console, Some("nope"), None, Options::default()).unwrap_err();
    assert!(e.is_selection(), "{e}");
}
