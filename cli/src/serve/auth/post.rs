//! PostObject (browser form upload): the signature of the form's policy, the policy's
//! expiration (`authenticate`), and the policy's conditions (`check_conditions`).
//! `authenticate_post` in the parent documents the fields of each scheme.

use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine as _;

use super::v1::V1;
use super::v4::{Scope, V4};
use super::{credential_shape, hmac_sha1, hmac_sha256, known_key, signature_matches, AuthError, Caller, Credentials};
use crate::serve::clock::parse_iso8601_extended;
use serde_json::Value;

/// The form's caller; `now` in Unix seconds.
pub(super) fn authenticate(
    field: &dyn Fn(&str) -> Option<String>,
    creds: Option<&Credentials>,
    now: i64,
    oss: bool,
) -> Result<Caller, AuthError> {
    let has = |name: &str| field(name).is_some();
    let scheme = if has("x-amz-algorithm") || has("x-amz-credential") || has("x-amz-signature") {
        PostScheme::V4(V4::Aws)
    } else if has("x-oss-signature-version") || has("x-oss-credential") || has("x-oss-signature") {
        PostScheme::V4(V4::Oss)
    } else if has("OSSAccessKeyId") {
        PostScheme::V1(V1::Oss)
    } else if has("AWSAccessKeyId") {
        PostScheme::V1(V1::Aws)
    } else if has("signature") {
        // A signature without a key id: the profile's own scheme, which then names the
        // missing field.
        PostScheme::V1(if oss { V1::Oss } else { V1::Aws })
    } else {
        return Ok(Caller::Anonymous);
    };
    let Some(creds) = creds else { return Ok(Caller::Owner) };
    let required = |name: &'static str| {
        field(name).ok_or_else(|| {
            AuthError::new(
                400,
                "InvalidArgument",
                format!("Bucket POST must contain a field named '{name}'.  If it is specified, please check the order of the fields."),
            )
        })
    };
    match scheme {
        PostScheme::V4(v4) => {
            let (algorithm, credential, date, signature) = match v4 {
                V4::Aws => ("x-amz-algorithm", "x-amz-credential", "x-amz-date", "x-amz-signature"),
                V4::Oss => ("x-oss-signature-version", "x-oss-credential", "x-oss-date", "x-oss-signature"),
            };
            if required(algorithm)? != v4.algorithm() {
                return Err(AuthError::new(
                    400,
                    "InvalidArgument",
                    format!("{algorithm} only supports \"{}\"", v4.algorithm()),
                ));
            }
            let scope = Scope::parse(&required(credential)?, v4)
                .ok_or_else(|| AuthError::new(400, "InvalidArgument", credential_shape(v4)))?;
            // The form's date is required but not signed: the policy's expiration bounds the
            // form's life instead.
            required(date)?;
            let policy = required("policy")?;
            let signature = required(signature)?;
            known_key(creds, &scope.access_key, oss)?;
            let expected = hex::encode(hmac_sha256(&scope.signing_key(&creds.secret_key, v4), policy.as_bytes()));
            signature_matches(expected.as_bytes(), signature.as_bytes(), oss)?;
            policy_in_force(&policy, now)
        }
        PostScheme::V1(v1) => {
            let access_key = required(v1.key_param())?;
            let signature = required("signature")?;
            let policy = required("policy")?;
            known_key(creds, &access_key, oss)?;
            let expected = BASE64.encode(hmac_sha1(creds.secret_key.as_bytes(), policy.as_bytes()));
            signature_matches(expected.as_bytes(), signature.as_bytes(), oss)?;
            policy_in_force(&policy, now)
        }
    }
}

enum PostScheme {
    V4(V4),
    V1(V1),
}

/// The policy's `expiration` has not passed. Only the expiration: the conditions need the
/// whole form, the bucket and the file (`check_conditions`).
fn policy_in_force(policy: &str, now: i64) -> Result<Caller, AuthError> {
    let invalid = |message: String| AuthError::new(400, "InvalidPolicyDocument", message);
    let document: serde_json::Value = BASE64
        .decode(policy.trim())
        .ok()
        .and_then(|bytes| serde_json::from_slice(&bytes).ok())
        .ok_or_else(|| invalid("Invalid Policy: Invalid JSON.".into()))?;
    let expiration = match document.get("expiration") {
        None => return Err(invalid("Invalid Policy: Policy missing expiration.".into())),
        Some(value) => value.as_str().unwrap_or_default(),
    };
    let expires = parse_iso8601_extended(expiration)
        .ok_or_else(|| invalid(format!("Invalid Policy: Invalid 'expiration' value: '{expiration}'")))?;
    if now >= expires {
        return Err(AuthError::new(403, "AccessDenied", "Invalid according to Policy: Policy expired."));
    }
    Ok(Caller::Owner)
}

// ---------------------------------------------------------------------------------------
// The policy's conditions.
//
// S3's language (AWS's "POST Policy" page, sigv4-HTTPPOSTConstructPolicy): `{"field": "value"}`
// and `["eq", "$field", "value"]` for an exact match, `["starts-with", "$field", "prefix"]`
// ("" allows anything), `["content-length-range", min, max]` for the file's size, bounds
// included. Field names are case-insensitive, values case-sensitive; the form is matched after
// `${filename}` is expanded ("All variables within the form are expanded prior to validating
// the POST policy"): the caller passes the key as it will be stored. `bucket` is the bucket of
// the request, not a form field. A condition on a field the form lacks fails, even
// `starts-with ""` (S3's answer on record). OSS adds `["in", "$field", [...]]` and
// `["not-in", "$field", [...]]` (OSS's PostObject policy appendix and its errors 0006-00000216,
// 0006-00000224).
//
// The wording is S3's where S3's answers are on record (LocalStack's validated snapshots of its
// `TestS3PresignedPost`; captures in client projects' issues, boto3#4514 among them):
// - a failed condition: 403 AccessDenied "Invalid according to Policy: Policy Condition failed:
//   [...]", the condition printed as a JSON array with ", " between items, a simple condition
//   as its `eq`, names as the policy spells them, every operand quoted;
// - an uncovered field: 403 AccessDenied "Invalid according to Policy: Extra input fields: NAME";
// - the size: 400 EntityTooLarge "Your proposed upload exceeds the maximum allowed size" with
//   ProposedSize and MaxSizeAllowed, 400 EntityTooSmall "Your proposed upload is smaller than
//   the minimum allowed size" with ProposedSize and MinSizeAllowed;
// - the document: 400 InvalidPolicyDocument "Invalid Policy: Invalid JSON." (also for a number
//   that is not a whole number, and a null simple condition), "Invalid Policy: Invalid
//   Simple-Condition: Simple-Conditions must have exactly one property specified.", "...: value
//   must be a string.", "Invalid Policy: Invalid Condition: missing operation identifier.".
// Where S3's are not on record the messages are versitygw's (an S3 server modelled on S3's
// answers): "Invalid Policy: Policy missing conditions.", "Invalid Policy: Invalid 'conditions'
// value: must be a List.", "Invalid Policy: Invalid condition test: must be a List or Object.",
// "Invalid Policy: Invalid Condition: unknown operation 'OP'.", "Invalid Policy: Invalid OP:
// wrong number of arguments.". "Invalid Policy: Invalid OP: value must be a List." (OSS's `in`
// and `not-in` with another value) is this module's. OSS documents the same "Invalid according
// to Policy: Policy Condition failed" and "Invalid Simple-Condition" texts; the rest is worded
// as S3 words it under both profiles.

/// Why the conditions refuse a form: the error, and the elements S3 adds after `<Message>`
/// (the sizes of EntityTooLarge and EntityTooSmall).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PolicyRefusal {
    pub error: AuthError,
    pub details: Vec<(&'static str, String)>,
}

impl From<AuthError> for PolicyRefusal {
    fn from(error: AuthError) -> PolicyRefusal {
        PolicyRefusal { error, details: Vec::new() }
    }
}

/// The form's fields (every part before the file but the file itself, names as sent, the
/// key with `${filename}` expanded) against the conditions of the base64 `policy_b64`, for
/// the request's `bucket` and a file of `file_len` bytes. The field conditions are checked
/// in the policy's order, then (S3) the fields no condition names, then the size; a policy
/// that is not well formed is refused before any of them.
///
/// S3: "Each form field that you specify in a form (except x-amz-signature, file, policy, and
/// field names that have an x-ignore- prefix) must appear in the list of conditions", and for
/// SigV2 "(except AWSAccessKeyId, signature, file, policy, and field names that have an
/// x-ignore- prefix)". The OSS schemes' own key and signature fields, which this endpoint also
/// takes under the S3 profile, are exempt in the same way.
/// OSS (`oss`): no such rule. Its PostObject page lists the conditions a policy may hold and
/// checks those; it never requires every field to appear in one, and its own example forms
/// send fields the policy does not name (the form of error 0006-00000004 sends `name`, `key`
/// and `success_action_status` under a policy holding only `content-length-range`). Fields no
/// condition names are accepted.
pub fn check_conditions(
    policy_b64: &str,
    fields: &[(String, String)],
    bucket: &str,
    file_len: usize,
    oss: bool,
) -> Result<(), PolicyRefusal> {
    let document: Value = BASE64
        .decode(policy_b64.trim())
        .ok()
        .and_then(|bytes| serde_json::from_slice(&bytes).ok())
        .ok_or_else(|| invalid_policy("Invalid JSON."))?;
    let conditions = match document.get("conditions") {
        None => return Err(invalid_policy("Policy missing conditions.").into()),
        Some(Value::Array(list)) => list,
        Some(_) => return Err(invalid_policy("Invalid 'conditions' value: must be a List.").into()),
    };
    let checks = conditions.iter().map(|c| Check::parse(c, oss)).collect::<Result<Vec<_>, _>>()?;

    // The fields, by lower-cased name; repeated fields are one value, comma-separated (S3:
    // "If you have multiple fields with the same name, the values must be separated by commas").
    let value_of = |name: &str| -> Option<String> {
        if name == "bucket" {
            return Some(bucket.to_string());
        }
        let values: Vec<&str> =
            fields.iter().filter(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str()).collect();
        (!values.is_empty()).then(|| values.join(","))
    };
    for check in &checks {
        let passes = match &check.test {
            Test::Field { name, matcher } => matcher.accepts(value_of(name).as_deref(), name, oss),
            Test::Fails => false,
            Test::Size { .. } => true,
        };
        if !passes {
            return Err(AuthError::new(
                403,
                "AccessDenied",
                format!("Invalid according to Policy: Policy Condition failed: {}", check.shown),
            )
            .into());
        }
    }

    if !oss {
        let covered: Vec<&str> = checks
            .iter()
            .filter_map(|c| match &c.test {
                Test::Field { name, .. } => Some(name.as_str()),
                _ => None,
            })
            .collect();
        let mut extra: Vec<&str> = Vec::new();
        for (name, _) in fields {
            let lower = name.to_ascii_lowercase();
            let exempt = EXEMPT_FROM_CONDITIONS.contains(&lower.as_str()) || lower.starts_with("x-ignore-");
            if !exempt && !covered.contains(&lower.as_str()) && !extra.iter().any(|e| e.eq_ignore_ascii_case(name)) {
                extra.push(name);
            }
        }
        if !extra.is_empty() {
            return Err(AuthError::new(
                403,
                "AccessDenied",
                format!("Invalid according to Policy: Extra input fields: {}", extra.join(", ")),
            )
            .into());
        }
    }

    let size = file_len as u64;
    for check in &checks {
        let Test::Size { min, max } = check.test else { continue };
        if size > max {
            return Err(PolicyRefusal {
                error: AuthError::new(400, "EntityTooLarge", "Your proposed upload exceeds the maximum allowed size"),
                details: vec![("ProposedSize", size.to_string()), ("MaxSizeAllowed", max.to_string())],
            });
        }
        if size < min {
            return Err(PolicyRefusal {
                error: AuthError::new(
                    400,
                    "EntityTooSmall",
                    "Your proposed upload is smaller than the minimum allowed size",
                ),
                details: vec![("ProposedSize", size.to_string()), ("MinSizeAllowed", min.to_string())],
            });
        }
    }
    Ok(())
}

/// The fields S3 does not require a condition for (lower-cased); `x-ignore-*` too.
const EXEMPT_FROM_CONDITIONS: &[&str] =
    &["file", "policy", "x-amz-signature", "signature", "awsaccesskeyid", "ossaccesskeyid", "x-oss-signature"];

fn invalid_policy(why: &str) -> AuthError {
    AuthError::new(400, "InvalidPolicyDocument", format!("Invalid Policy: {why}"))
}

/// One condition: what it tests, and how a refusal prints it.
struct Check<'p> {
    test: Test<'p>,
    shown: String,
}

enum Test<'p> {
    /// A form field (`name` lower-cased, without its `$`).
    Field { name: String, matcher: Matcher<'p> },
    /// A condition that no form meets: an `eq` or `starts-with` whose field lacks its `$`,
    /// a `content-length-range` whose bound is a string but not a number (S3's answers).
    Fails,
    /// `content-length-range`, bounds included.
    Size { min: u64, max: u64 },
}

enum Matcher<'p> {
    Eq(&'p str),
    StartsWith(&'p str),
    In(Vec<&'p str>),
    NotIn(Vec<&'p str>),
}

impl Matcher<'_> {
    /// `value` is None for a field the form lacks.
    fn accepts(&self, value: Option<&str>, name: &str, oss: bool) -> bool {
        match (self, value) {
            // An absent field is in no list.
            (Matcher::NotIn(_), None) => true,
            (_, None) => false,
            (Matcher::Eq(want), Some(v)) => v == *want,
            // S3: "Content-Types values for a starts-with condition that include commas are
            // interpreted as lists. Each value in the list must meet the condition".
            (Matcher::StartsWith(prefix), Some(v)) if name == "content-type" && !oss => {
                v.split(',').all(|item| item.trim_start().starts_with(prefix))
            }
            (Matcher::StartsWith(prefix), Some(v)) => v.starts_with(prefix),
            (Matcher::In(list), Some(v)) => list.contains(&v),
            (Matcher::NotIn(list), Some(v)) => !list.contains(&v),
        }
    }
}

impl<'p> Check<'p> {
    fn parse(condition: &'p Value, oss: bool) -> Result<Check<'p>, AuthError> {
        match condition {
            Value::Object(map) => {
                let mut properties = map.iter();
                let (Some((name, value)), None) = (properties.next(), properties.next()) else {
                    return Err(invalid_policy(
                        "Invalid Simple-Condition: Simple-Conditions must have exactly one property specified.",
                    ));
                };
                let want = match value {
                    Value::String(s) => s.as_str(),
                    Value::Null => return Err(invalid_policy("Invalid JSON.")),
                    _ => return Err(invalid_policy("Invalid Simple-Condition: value must be a string.")),
                };
                Ok(Check {
                    test: Test::Field { name: name.to_ascii_lowercase(), matcher: Matcher::Eq(want) },
                    shown: shown(&["eq".into(), Value::String(format!("${name}")), value.clone()]),
                })
            }
            Value::Array(items) => {
                let Some(Value::String(op)) = items.first() else {
                    return Err(invalid_policy("Invalid Condition: missing operation identifier."));
                };
                let lower = op.to_ascii_lowercase();
                let known = match lower.as_str() {
                    "eq" | "starts-with" | "content-length-range" => true,
                    "in" | "not-in" => oss,
                    _ => false,
                };
                if !known {
                    return Err(invalid_policy(&format!("Invalid Condition: unknown operation '{op}'.")));
                }
                if items.len() != 3 {
                    return Err(invalid_policy(&format!("Invalid {op}: wrong number of arguments.")));
                }
                let shown = shown(items);
                if lower == "content-length-range" {
                    let (Some(min), Some(max)) = (size_bound(&items[1])?, size_bound(&items[2])?) else {
                        return Ok(Check { test: Test::Fails, shown });
                    };
                    return Ok(Check { test: Test::Size { min, max }, shown });
                }
                let Value::String(field) = &items[1] else { return Err(invalid_policy("Invalid JSON.")) };
                let matcher = match (lower.as_str(), &items[2]) {
                    ("eq", Value::String(v)) => Matcher::Eq(v),
                    ("starts-with", Value::String(v)) => Matcher::StartsWith(v),
                    ("in" | "not-in", Value::Array(list)) => {
                        let list = list
                            .iter()
                            .map(|v| v.as_str().ok_or_else(|| invalid_policy("Invalid JSON.")))
                            .collect::<Result<Vec<_>, _>>()?;
                        if lower == "in" {
                            Matcher::In(list)
                        } else {
                            Matcher::NotIn(list)
                        }
                    }
                    ("in" | "not-in", _) => {
                        return Err(invalid_policy(&format!("Invalid {op}: value must be a List.")))
                    }
                    _ => return Err(invalid_policy("Invalid JSON.")),
                };
                let test = match field.strip_prefix('$') {
                    Some(name) => Test::Field { name: name.to_ascii_lowercase(), matcher },
                    None => Test::Fails,
                };
                Ok(Check { test, shown })
            }
            _ => Err(invalid_policy("Invalid condition test: must be a List or Object.")),
        }
    }
}

/// A `content-length-range` bound: a whole number, or a string holding one (S3 takes both).
/// Ok(None) for another string (the condition fails); another number is not JSON to S3.
fn size_bound(value: &Value) -> Result<Option<u64>, AuthError> {
    match value {
        Value::Number(n) => n.as_u64().map(Some).ok_or_else(|| invalid_policy("Invalid JSON.")),
        Value::String(s) => Ok(s.trim().parse().ok()),
        _ => Err(invalid_policy("Invalid JSON.")),
    }
}

/// A condition as a refusal prints it, `["eq", "$key", "a.txt"]`: strings and numbers as JSON
/// strings (S3 prints `["content-length-range", "test", "10"]`), an `in` list as JSON.
fn shown(items: &[Value]) -> String {
    let quoted: Vec<String> = items
        .iter()
        .map(|item| match item {
            Value::Number(n) => Value::String(n.to_string()).to_string(),
            other => other.to_string(),
        })
        .collect();
    format!("[{}]", quoted.join(", "))
}
