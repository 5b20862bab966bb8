//! Writing a configuration in each form (`corsmatch convert`).
//!
//! Every output is read back with this module's own readers and compiled with the same
//! options; what the tool would send differently from the configuration (Terraform's
//! `MaxAgeSeconds` 0, a set's order) is reported in [`Converted::notes`], and what a form
//! cannot say at all (OSS's `ResponseVary` in an S3 form, a repeated value in CloudFormation,
//! an `ID` in Alibaba Cloud's provider) is an error instead of a silent change.

use super::json::quote;
use super::{read, Form};
use crate::{CorsConfig, CorsRule, Options, Profile};

/// A configuration written in a form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Converted {
    /// The file's text.
    pub text: String,
    /// What the form's tool would send differently, read back from `text`; empty when it
    /// sends the same configuration.
    pub notes: Vec<String>,
}

/// Writes `config` in `form`. `name` names the resource in a CloudFormation template
/// (default `Bucket`) or a Terraform file (default `cors`; it is also the bucket's name
/// there, to replace). The options are the ones the configuration was read with: the
/// output is read back and compiled with them.
pub fn convert(config: &CorsConfig, form: Form, options: &Options, name: Option<&str>) -> Result<Converted, String> {
    let s3_forms = matches!(form, Form::Json | Form::CliJson | Form::CloudFormation)
        || (form == Form::Terraform && options.profile == Profile::S3);
    if s3_forms && config.response_vary == Some(true) {
        return Err(format!("ResponseVary is OSS's; {} has no place for it", describe(form, options.profile)));
    }
    let text = match form {
        Form::Xml => config.to_xml(),
        Form::Json => format!("{}\n", json_rules(&config.rules, "")),
        Form::CliJson => format!("{{\n  \"CORSRules\": {}\n}}\n", json_rules(&config.rules, "  ")),
        Form::CloudFormation => cloudformation(config, name.unwrap_or("Bucket"))?,
        Form::Terraform => terraform(config, options.profile, name.unwrap_or("cors"))?,
    };
    // Read it back as its tool would send it.
    let bucket = read(text.as_bytes(), Some(form))
        .and_then(|s| s.select(None))
        .map_err(|e| format!("the {form} written does not read back: {e}"))?;
    let back = bucket.compile(options).map_err(|e| format!("the {form} written is refused: {e}"))?;
    let mut notes = bucket.notes.clone();
    let sent = back.config().cloned().unwrap_or_default();
    let mut want = config.clone();
    if s3_forms {
        want.response_vary = None; // false and absent answer alike
    }
    if sent != want && notes.is_empty() {
        notes.push(format!("{} sends a configuration that differs from this one", describe(form, options.profile)));
    }
    Ok(Converted { text, notes })
}

fn describe(form: Form, profile: Profile) -> &'static str {
    match (form, profile) {
        (Form::Xml, _) => "the XML document",
        (Form::Json, _) => "the S3 console's JSON",
        (Form::CliJson, _) => "the AWS CLI's JSON",
        (Form::CloudFormation, _) => "AWS::S3::Bucket's CorsConfiguration",
        (Form::Terraform, Profile::S3) => "aws_s3_bucket_cors_configuration",
        (Form::Terraform, Profile::Oss) => "alicloud_oss_bucket's cors_rule",
    }
}

/// A JSON list of strings on one line.
fn json_list(values: &[String]) -> String {
    format!("[{}]", values.iter().map(|v| quote(v)).collect::<Vec<_>>().join(", "))
}

/// The rules with S3's JSON names, in the order the console's own examples use.
fn json_rules(rules: &[CorsRule], indent: &str) -> String {
    let mut out = String::from("[");
    for (i, r) in rules.iter().enumerate() {
        out.push_str(if i == 0 { "\n" } else { ",\n" });
        let mut fields = Vec::new();
        if let Some(id) = &r.id {
            fields.push(format!("\"ID\": {}", quote(id)));
        }
        for (name, values) in [
            ("AllowedHeaders", &r.allowed_headers),
            ("AllowedMethods", &r.allowed_methods),
            ("AllowedOrigins", &r.allowed_origins),
            ("ExposeHeaders", &r.expose_headers),
        ] {
            if !values.is_empty() {
                fields.push(format!("\"{name}\": {}", json_list(values)));
            }
        }
        if let Some(age) = r.max_age_seconds {
            fields.push(format!("\"MaxAgeSeconds\": {age}"));
        }
        out.push_str(&format!("{indent}  {{\n"));
        out.push_str(&fields.iter().map(|f| format!("{indent}    {f}")).collect::<Vec<_>>().join(",\n"));
        out.push_str(&format!("\n{indent}  }}"));
    }
    out.push_str(&format!("\n{indent}]"));
    out
}

fn cloudformation(config: &CorsConfig, name: &str) -> Result<String, String> {
    if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric()) {
        return Err(format!("{name:?} is not a CloudFormation logical id (letters and digits only)"));
    }
    let mut out = format!(
        "AWSTemplateFormatVersion: \"2010-09-09\"\nResources:\n  {name}:\n    Type: AWS::S3::Bucket\n    Properties:\n      CorsConfiguration:\n        CorsRules:\n"
    );
    for (i, r) in config.rules.iter().enumerate() {
        let mut first = true;
        let mut field = |out: &mut String, text: String| {
            out.push_str(if first { "          - " } else { "            " });
            first = false;
            out.push_str(&text);
            out.push('\n');
        };
        if let Some(id) = &r.id {
            field(&mut out, format!("Id: {}", quote(id)));
        }
        for (prop, element, values) in [
            ("AllowedHeaders", "AllowedHeader", &r.allowed_headers),
            ("AllowedMethods", "AllowedMethod", &r.allowed_methods),
            ("AllowedOrigins", "AllowedOrigin", &r.allowed_origins),
            ("ExposedHeaders", "ExposeHeader", &r.expose_headers),
        ] {
            if values.is_empty() {
                continue;
            }
            if let Some(dup) = values.iter().enumerate().find(|(k, v)| values[..*k].contains(v)) {
                return Err(format!(
                    "rule {i} lists {element} {:?} twice; CloudFormation's schema refuses repeated items (uniqueItems): remove the repeat first",
                    dup.1
                ));
            }
            field(&mut out, format!("{prop}: {}", json_list(values)));
        }
        if let Some(age) = r.max_age_seconds {
            field(&mut out, format!("MaxAge: {age}"));
        }
    }
    Ok(out)
}

fn terraform(config: &CorsConfig, profile: Profile, name: &str) -> Result<String, String> {
    let ok_name = name.chars().next().is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
    if !ok_name {
        return Err(format!("{name:?} is not a Terraform resource name"));
    }
    if profile == Profile::Oss && config.response_vary == Some(true) {
        return Err("ResponseVary is not an argument of alicloud_oss_bucket's cors_rule".into());
    }
    // In Terraform's JSON syntax "${" and "%{" start expressions; "$${" and "%%{" are literal.
    let tf = |s: &str| quote(&s.replace("${", "$${").replace("%{", "%%{"));
    let list = |values: &[String]| format!("[{}]", values.iter().map(|v| tf(v)).collect::<Vec<_>>().join(", "));
    let rtype = match profile {
        Profile::S3 => "aws_s3_bucket_cors_configuration",
        Profile::Oss => "alicloud_oss_bucket",
    };
    let mut rules = Vec::new();
    for r in &config.rules {
        let mut fields = Vec::new();
        if let Some(id) = &r.id {
            if profile == Profile::Oss {
                return Err("alicloud_oss_bucket's cors_rule has no id".into());
            }
            fields.push(format!("\"id\": {}", tf(id)));
        }
        for (attr, values) in [
            ("allowed_headers", &r.allowed_headers),
            ("allowed_methods", &r.allowed_methods),
            ("allowed_origins", &r.allowed_origins),
            ("expose_headers", &r.expose_headers),
        ] {
            if !values.is_empty() {
                fields.push(format!("\"{attr}\": {}", list(values)));
            }
        }
        if let Some(age) = r.max_age_seconds {
            fields.push(format!("\"max_age_seconds\": {age}"));
        }
        rules.push(format!("          {{\n            {}\n          }}", fields.join(",\n            ")));
    }
    Ok(format!(
        "{{\n  \"resource\": {{\n    \"{rtype}\": {{\n      \"{name}\": {{\n        \"bucket\": {},\n        \"cors_rule\": [\n{}\n        ]\n      }}\n    }}\n  }}\n}}\n",
        quote(name),
        rules.join(",\n")
    ))
}
