//! PostObject (browser form upload): the signature of the form's policy, and the policy's
//! expiration. `authenticate_post` in the parent documents the fields of each scheme.

use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine as _;

use super::v1::V1;
use super::v4::{Scope, V4};
use super::{credential_shape, hmac_sha1, hmac_sha256, known_key, signature_matches, AuthError, Caller, Credentials};
use crate::serve::clock::parse_iso8601_extended;

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

/// The policy's `expiration` has not passed. Only the expiration: the conditions are the
/// endpoint's to check against the form.
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
