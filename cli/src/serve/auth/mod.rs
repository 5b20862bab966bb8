//! Who is asking: signed requests are the owner's, everything else is anonymous.
//!
//! A request is signed when it carries an `Authorization` header or presigned query
//! parameters of one of these schemes:
//!
//! | scheme   | header                            | query                                      | definition followed            |
//! |----------|-----------------------------------|--------------------------------------------|--------------------------------|
//! | S3 SigV4 | `AWS4-HMAC-SHA256 Credential=...` | `X-Amz-Algorithm`, ..., `X-Amz-Signature`  | AWS SigV4 for S3, botocore     |
//! | S3 SigV2 | `AWS AK:sig`                      | `AWSAccessKeyId`, `Signature`, `Expires`   | botocore `HmacV1Auth`          |
//! | OSS v1   | `OSS AK:sig`                      | `OSSAccessKeyId`, `Signature`, `Expires`   | oss2 `Auth`                    |
//! | OSS v2   | `OSS2 AccessKeyId:AK,...`         | `x-oss-signature-version=OSS2`, ...        | oss2 `AuthV2`                  |
//! | OSS v4   | `OSS4-HMAC-SHA256 Credential=...` | `x-oss-signature-version=OSS4-HMAC-SHA256` | oss2 `AuthV4`                  |
//!
//! Every scheme is accepted under both profiles (OSS also takes S3's signatures); the profile
//! only picks the wording of the refusals. The form of a signature is always checked (a
//! malformed one is a 400 whether or not the endpoint has credentials); with credentials the
//! access key, the time and the signature are checked too. Without them nothing else is: the
//! endpoint is a local stand-in and any signed request is taken to be the owner's.
//!
//! This file holds the API, the refusals and the request helpers the schemes share; `v4` has
//! SigV4 and OSS v4, `v1` SigV2, OSS v1 and OSS v2, `post` the PostObject forms. The dates
//! are `clock`'s.

mod post;
mod v1;
mod v4;

use std::time::SystemTime;

// The http crate as axum re-exports it, like the rest of `serve`.
use axum::http;
use hmac::{Hmac, Mac};
use percent_encoding::{percent_decode_str, percent_encode, AsciiSet, NON_ALPHANUMERIC};
use sha1::Sha1;
use sha2::Sha256;

pub use self::post::check_conditions;
use self::v1::V1;
use self::v4::V4;
use super::clock::unix_seconds;

#[derive(Debug, Clone)]
pub struct Credentials {
    pub access_key: String,
    pub secret_key: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Caller {
    Anonymous,
    Owner,
}

/// Why a signed request is refused. The endpoint renders it as the provider's XML error.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthError {
    pub status: u16,
    pub code: &'static str,
    pub message: String,
}

/// The request as the signature schemes see it.
pub struct AuthRequest<'a> {
    /// "GET", "PUT", ...
    pub method: &'a str,
    /// As received: raw (percent-encoded) path and query.
    pub uri: &'a http::Uri,
    pub headers: &'a http::HeaderMap,
    /// The resource for SigV2 and OSS v1 string-to-sign: "/" for the service, "/bucket/" for a
    /// bucket, "/bucket/key" (key percent-DEcoded) for an object; the same for path-style and
    /// virtual-hosted requests (the endpoint computes it).
    pub resource: &'a str,
    /// true for the OSS profile (header prefix x-oss-, OSS schemes), false for S3 (x-amz-).
    pub oss: bool,
}

/// Ok(Owner) when the request carries an Authorization header or presigned query parameters
/// of a known scheme and, when `creds` is Some, the signature verifies; Ok(Anonymous) when
/// it carries none. Without `creds`, a signed request is the owner's and nothing is verified.
pub fn authenticate(req: &AuthRequest<'_>, creds: Option<&Credentials>, now: SystemTime) -> Result<Caller, AuthError> {
    let query = Query::parse(req.uri.query().unwrap_or(""));
    let presigned = Presigned::detect(&query, req.oss);
    let mut authorization = req.headers.get_all(http::header::AUTHORIZATION).iter();
    let header = authorization.next();
    if header.is_some() && (presigned.is_some() || authorization.next().is_some()) {
        return Err(only_one_mechanism());
    }
    let ctx = Ctx { req, query: &query, creds, now: unix_seconds(now), oss: req.oss };
    match (header, presigned) {
        // Lossy: a non-UTF-8 byte can only make the parse or the comparison fail.
        (Some(value), _) => ctx.header(&String::from_utf8_lossy(value.as_bytes())),
        (None, Some(scheme)) => ctx.presigned(scheme),
        (None, None) => Ok(Caller::Anonymous),
    }
}

/// PostObject (browser form upload): the form's fields by name (case-insensitive lookup is
/// the caller's job; pass a closure). Verifies the policy signature when `creds` is Some:
/// SigV4 (`x-amz-algorithm`=AWS4-HMAC-SHA256, `x-amz-credential`, `x-amz-date`,
/// `x-amz-signature` = hex HMAC of the base64 `policy` with the SigV4 signing key), SigV2
/// (`AWSAccessKeyId`, `signature` = base64 HMAC-SHA1(secret, policy)), OSS
/// (`OSSAccessKeyId`, `Signature` same as SigV2; also OSS V4 `x-oss-signature-version`=OSS4-HMAC-SHA256,
/// `x-oss-credential`, `x-oss-date`, `x-oss-signature`, as OSS's PostObject V4 page defines it).
/// No signature fields: Anonymous. Also checks the policy's `expiration` (ISO 8601) when
/// verifying: expired -> AccessDenied "Invalid according to Policy: Policy expired.". The
/// policy's conditions are `check_conditions`'s, once the signature verified.
pub fn authenticate_post(
    field: &dyn Fn(&str) -> Option<String>,
    creds: Option<&Credentials>,
    now: SystemTime,
    oss: bool,
) -> Result<Caller, AuthError> {
    post::authenticate(field, creds, unix_seconds(now), oss)
}

// ---------------------------------------------------------------------------------------
// Errors. The wording is S3's where S3's is on record (LocalStack's snapshots, versitygw,
// other S3 emulators). The OSS profile words InvalidAccessKeyId and SignatureDoesNotMatch as
// OSS does; its "Request has expired." and "OSS authentication requires a valid Date." are
// this module's choices, as are the messages of the OSS-only schemes' malformed forms.

impl AuthError {
    fn new(status: u16, code: &'static str, message: impl Into<String>) -> AuthError {
        AuthError { status, code, message: message.into() }
    }
}

fn only_one_mechanism() -> AuthError {
    AuthError::new(
        400,
        "InvalidArgument",
        "Only one auth mechanism allowed; only the X-Amz-Algorithm query parameter, Signature query string parameter or the Authorization header should be specified",
    )
}

fn header_malformed(detail: &str) -> AuthError {
    AuthError::new(400, "AuthorizationHeaderMalformed", format!("The authorization header is malformed; {detail}"))
}

fn query_malformed(message: impl Into<String>) -> AuthError {
    AuthError::new(400, "AuthorizationQueryParametersError", message)
}

fn credential_shape(v4: V4) -> String {
    format!("the Credential is mal-formed; expecting \"<YOUR-AKID>/YYYYMMDD/REGION/SERVICE/{}\".", v4.terminator())
}

fn known_key(creds: &Credentials, access_key: &str, oss: bool) -> Result<(), AuthError> {
    if constant_time_eq(access_key.as_bytes(), creds.access_key.as_bytes()) {
        return Ok(());
    }
    let provider = if oss { "OSS" } else { "AWS" };
    Err(AuthError::new(
        403,
        "InvalidAccessKeyId",
        format!("The {provider} Access Key Id you provided does not exist in our records."),
    ))
}

fn signature_mismatch(oss: bool) -> AuthError {
    let message = if oss {
        "The request signature we calculated does not match the signature you provided."
    } else {
        "The request signature we calculated does not match the signature you provided. Check your key and signing method."
    };
    AuthError::new(403, "SignatureDoesNotMatch", message)
}

fn signature_matches(expected: &[u8], given: &[u8], oss: bool) -> Result<Caller, AuthError> {
    if constant_time_eq(expected, given) {
        Ok(Caller::Owner)
    } else {
        Err(signature_mismatch(oss))
    }
}

fn expired(oss: bool) -> AuthError {
    AuthError::new(403, "AccessDenied", if oss { "Request has expired." } else { "Request has expired" })
}

/// Requests signed in a header may be this far from the server's clock, either way.
const MAX_SKEW_SECONDS: i64 = 15 * 60;

fn within_skew(request_time: i64, now: i64) -> Result<(), AuthError> {
    if request_time.abs_diff(now) > MAX_SKEW_SECONDS as u64 {
        return Err(AuthError::new(
            403,
            "RequestTimeTooSkewed",
            "The difference between the request time and the current time is too large.",
        ));
    }
    Ok(())
}

fn no_date(oss: bool) -> AuthError {
    let message = if oss {
        "OSS authentication requires a valid Date."
    } else {
        "AWS authentication requires a valid Date or x-amz-date header"
    };
    AuthError::new(403, "AccessDenied", message)
}

/// Byte comparison whose time does not depend on where the first difference is, so that a
/// signature cannot be guessed byte by byte from response times.
fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

// ---------------------------------------------------------------------------------------
// The request.

/// One query parameter, decoded. `value` is None for a bare name (`?acl`), which SigV2
/// signs differently from an empty value (`?acl=`).
struct Param {
    name: Vec<u8>,
    value: Option<Vec<u8>>,
}

struct Query(Vec<Param>);

impl Query {
    fn parse(raw: &str) -> Query {
        let params = raw
            .split('&')
            .filter(|piece| !piece.is_empty())
            .map(|piece| match piece.split_once('=') {
                Some((name, value)) => Param { name: form_decode(name), value: Some(form_decode(value)) },
                None => Param { name: form_decode(piece), value: None },
            })
            .collect();
        Query(params)
    }

    /// The first value of `name` (case-sensitive, as S3 and OSS read them), "" for a bare name.
    fn get(&self, name: &str) -> Option<String> {
        self.0
            .iter()
            .find(|p| p.name == name.as_bytes())
            .map(|p| String::from_utf8_lossy(p.value.as_deref().unwrap_or_default()).into_owned())
    }

    fn has(&self, name: &str) -> bool {
        self.0.iter().any(|p| p.name == name.as_bytes())
    }
}

/// Form decoding: '+' is a space (only in the query), then %XX.
fn form_decode(s: &str) -> Vec<u8> {
    percent_decode_str(&s.replace('+', " ")).collect()
}

/// SigV4's URI encoding: everything but the unreserved characters, with upper-case hex.
const UNRESERVED: &AsciiSet = &NON_ALPHANUMERIC.remove(b'-').remove(b'_').remove(b'.').remove(b'~');
/// OSS v4 encodes the resource path with its slashes kept.
const UNRESERVED_AND_SLASH: &AsciiSet = &UNRESERVED.remove(b'/');

fn uri_encode(bytes: &[u8], set: &'static AsciiSet) -> String {
    percent_encode(bytes, set).to_string()
}

/// The values of a header, each trimmed, joined with ','. None when absent.
fn header_values(headers: &http::HeaderMap, name: &str) -> Option<Vec<u8>> {
    let mut values = headers.get_all(name).iter().peekable();
    values.peek()?;
    let mut out = Vec::new();
    for (i, value) in values.enumerate() {
        if i > 0 {
            out.push(b',');
        }
        out.extend_from_slice(value.as_bytes().trim_ascii());
    }
    Some(out)
}

/// A header's first value as text (lossy), trimmed.
fn header_text(headers: &http::HeaderMap, name: &str) -> Option<String> {
    headers.get(name).map(|v| String::from_utf8_lossy(v.as_bytes()).trim().to_string())
}

/// `a;b;c`, lower-cased, empty items dropped.
fn header_list(list: &str) -> Vec<String> {
    list.split(';').map(|h| h.trim().to_ascii_lowercase()).filter(|h| !h.is_empty()).collect()
}

/// Every parameter but `skip`, name and value decoded and encoded again the SigV4 way,
/// sorted by name then value. OSS writes an empty value as the bare name.
fn canonical_query(q: &Query, skip: Option<&str>, bare_empty: bool) -> String {
    let mut pairs: Vec<(String, String)> =
        q.0.iter()
            .filter(|p| skip.is_none_or(|s| p.name != s.as_bytes()))
            .map(|p| (uri_encode(&p.name, UNRESERVED), uri_encode(p.value.as_deref().unwrap_or_default(), UNRESERVED)))
            .collect();
    pairs.sort();
    let items: Vec<String> = pairs
        .into_iter()
        .map(|(name, value)| if bare_empty && value.is_empty() { name } else { format!("{name}={value}") })
        .collect();
    items.join("&")
}

// ---------------------------------------------------------------------------------------
// Which scheme, and the checks common to all of them.

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Presigned {
    V4(V4),
    V1(V1),
    Oss2,
}

impl Presigned {
    fn detect(q: &Query, oss: bool) -> Option<Presigned> {
        if q.has("X-Amz-Algorithm") || q.has("X-Amz-Credential") || q.has("X-Amz-Signature") {
            return Some(Presigned::V4(V4::Aws));
        }
        if let Some(version) = q.get("x-oss-signature-version") {
            return Some(if version == "OSS2" { Presigned::Oss2 } else { Presigned::V4(V4::Oss) });
        }
        if q.has("x-oss-credential") {
            return Some(Presigned::V4(V4::Oss));
        }
        if q.has("x-oss-signature") {
            return Some(Presigned::Oss2);
        }
        if q.has("OSSAccessKeyId") {
            return Some(Presigned::V1(V1::Oss));
        }
        if q.has("AWSAccessKeyId") {
            return Some(Presigned::V1(V1::Aws));
        }
        if q.has("Signature") {
            return Some(Presigned::V1(if oss { V1::Oss } else { V1::Aws }));
        }
        None
    }
}

struct Ctx<'r, 'a> {
    req: &'r AuthRequest<'a>,
    query: &'r Query,
    creds: Option<&'r Credentials>,
    now: i64,
    /// The profile: it words the refusals.
    oss: bool,
}

impl Ctx<'_, '_> {
    fn header(&self, value: &str) -> Result<Caller, AuthError> {
        let (scheme, rest) = value.split_once(' ').unwrap_or((value, ""));
        match scheme {
            "AWS4-HMAC-SHA256" => self.v4_header(V4::Aws, rest),
            "OSS4-HMAC-SHA256" => self.v4_header(V4::Oss, rest),
            "AWS" => self.v1_header(V1::Aws, rest),
            "OSS" => self.v1_header(V1::Oss, rest),
            "OSS2" => self.oss2_header(rest),
            _ => Err(AuthError::new(400, "InvalidArgument", "Unsupported Authorization Type")),
        }
    }

    fn presigned(&self, scheme: Presigned) -> Result<Caller, AuthError> {
        match scheme {
            Presigned::V4(v4) => self.v4_query(v4),
            Presigned::V1(v1) => self.v1_query(v1),
            Presigned::Oss2 => self.oss2_query(),
        }
    }

    fn known_key(&self, creds: &Credentials, access_key: &str) -> Result<(), AuthError> {
        known_key(creds, access_key, self.oss)
    }

    fn matches(&self, expected: &[u8], given: &[u8]) -> Result<Caller, AuthError> {
        signature_matches(expected, given, self.oss)
    }
}

// ---------------------------------------------------------------------------------------
// HMAC.

fn hmac_sha256(key: &[u8], data: &[u8]) -> [u8; 32] {
    // HMAC takes a key of any length: `new_from_slice` cannot fail here.
    let Ok(mut mac) = <Hmac<Sha256> as Mac>::new_from_slice(key) else { return [0; 32] };
    mac.update(data);
    mac.finalize().into_bytes().into()
}

fn hmac_sha1(key: &[u8], data: &[u8]) -> [u8; 20] {
    let Ok(mut mac) = <Hmac<Sha1> as Mac>::new_from_slice(key) else { return [0; 20] };
    mac.update(data);
    mac.finalize().into_bytes().into()
}

#[cfg(test)]
mod tests;
