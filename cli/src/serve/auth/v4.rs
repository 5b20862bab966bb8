//! SigV4: S3's AWS4-HMAC-SHA256 and OSS's OSS4-HMAC-SHA256, which differ in names, in the
//! key's prefix and in how the canonical request is built.

use std::collections::BTreeMap;

use sha2::{Digest, Sha256};

use super::{
    canonical_query, credential_shape, expired, header_list, header_malformed, header_text, header_values, hmac_sha256,
    no_date, query_malformed, uri_encode, within_skew, AuthError, Caller, Ctx, UNRESERVED_AND_SLASH,
};
use crate::serve::clock::{format_iso8601_basic, parse_http_date, parse_iso8601_basic};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum V4 {
    Aws,
    Oss,
}

impl V4 {
    pub(super) fn algorithm(self) -> &'static str {
        match self {
            V4::Aws => "AWS4-HMAC-SHA256",
            V4::Oss => "OSS4-HMAC-SHA256",
        }
    }

    pub(super) fn terminator(self) -> &'static str {
        match self {
            V4::Aws => "aws4_request",
            V4::Oss => "aliyun_v4_request",
        }
    }
}

/// `AK/YYYYMMDD/region/service/terminator`. Any region and service are taken as given:
/// clients sign with their own configured region.
pub(super) struct Scope {
    pub(super) access_key: String,
    date: String,
    region: String,
    service: String,
}

impl Scope {
    pub(super) fn parse(credential: &str, v4: V4) -> Option<Scope> {
        let mut parts = credential.rsplitn(5, '/');
        let terminator = parts.next()?;
        let service = parts.next()?;
        let region = parts.next()?;
        let date = parts.next()?;
        let access_key = parts.next()?;
        let well_formed = terminator == v4.terminator()
            && !access_key.is_empty()
            && !service.is_empty()
            && date.len() == 8
            && date.bytes().all(|b| b.is_ascii_digit());
        well_formed.then(|| Scope {
            access_key: access_key.to_string(),
            date: date.to_string(),
            region: region.to_string(),
            service: service.to_string(),
        })
    }

    fn text(&self, v4: V4) -> String {
        format!("{}/{}/{}/{}", self.date, self.region, self.service, v4.terminator())
    }

    pub(super) fn signing_key(&self, secret: &str, v4: V4) -> [u8; 32] {
        let prefix = match v4 {
            V4::Aws => "AWS4",
            V4::Oss => "aliyun_v4",
        };
        let mut key = hmac_sha256(format!("{prefix}{secret}").as_bytes(), self.date.as_bytes());
        for part in [self.region.as_str(), self.service.as_str(), v4.terminator()] {
            key = hmac_sha256(&key, part.as_bytes());
        }
        key
    }

    fn signature(&self, secret: &str, v4: V4, timestamp: &str, canonical_request: &[u8]) -> String {
        let string_to_sign = format!(
            "{}\n{timestamp}\n{}\n{}",
            v4.algorithm(),
            self.text(v4),
            hex::encode(Sha256::digest(canonical_request))
        );
        hex::encode(hmac_sha256(&self.signing_key(secret, v4), string_to_sign.as_bytes()))
    }
}

/// SHA-256 of an empty body: what a client signs for a bodyless request when it sends no
/// `x-amz-content-sha256` (AWS's test suite does so).
pub(super) const EMPTY_SHA256: &str = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

impl Ctx<'_, '_> {
    pub(super) fn v4_header(&self, v4: V4, rest: &str) -> Result<Caller, AuthError> {
        // `Credential=.., SignedHeaders=.., Signature=..` (OSS: `AdditionalHeaders` instead
        // of `SignedHeaders`, and optional), in any order.
        let mut components = BTreeMap::new();
        for part in rest.split(',') {
            let part = part.trim();
            if part.is_empty() {
                continue;
            }
            let (name, value) = part
                .split_once('=')
                .ok_or_else(|| header_malformed(&format!("the authorization component \"{part}\" is malformed.")))?;
            components.insert(name, value);
        }
        let (headers_component, missing) = match v4 {
            V4::Aws => (
                "SignedHeaders",
                "the authorization header requires three components: Credential, SignedHeaders, and Signature.",
            ),
            V4::Oss => {
                ("AdditionalHeaders", "the authorization header requires the Credential and Signature components.")
            }
        };
        let credential = components.get("Credential").ok_or_else(|| header_malformed(missing))?;
        let signature = components.get("Signature").ok_or_else(|| header_malformed(missing))?;
        let scope = Scope::parse(credential, v4).ok_or_else(|| header_malformed(&credential_shape(v4)))?;
        let header_list = match (v4, components.get(headers_component)) {
            (V4::Aws, None) => return Err(header_malformed(missing)),
            (_, list) => header_list(list.copied().unwrap_or_default()),
        };
        if v4 == V4::Aws && header_list.is_empty() {
            return Err(header_malformed("the SignedHeaders component is empty."));
        }
        let Some(creds) = self.creds else { return Ok(Caller::Owner) };
        self.known_key(creds, &scope.access_key)?;

        // The request time: x-amz-date / x-oss-date (ISO 8601 basic), else Date (HTTP date).
        let date_header = match v4 {
            V4::Aws => "x-amz-date",
            V4::Oss => "x-oss-date",
        };
        let (timestamp, time) = match header_text(self.req.headers, date_header) {
            Some(text) => {
                let time = parse_iso8601_basic(&text).ok_or_else(|| no_date(self.oss))?;
                (text, time)
            }
            None => {
                let time = header_text(self.req.headers, "date")
                    .and_then(|d| parse_http_date(&d))
                    .ok_or_else(|| no_date(self.oss))?;
                (format_iso8601_basic(time), time)
            }
        };
        if !timestamp.starts_with(&scope.date) {
            let name = if v4 == V4::Aws { "X-Amz-Date" } else { "x-oss-date" };
            return Err(header_malformed(&format!("Invalid credential date. Date is not the same as {name}.")));
        }
        within_skew(time, self.now)?;

        let canonical = match v4 {
            V4::Aws => {
                let payload =
                    header_text(self.req.headers, "x-amz-content-sha256").unwrap_or_else(|| EMPTY_SHA256.to_string());
                self.aws_canonical_request(&header_list, None, &payload)
            }
            V4::Oss => {
                let payload = header_text(self.req.headers, "x-oss-content-sha256")
                    .unwrap_or_else(|| "UNSIGNED-PAYLOAD".to_string());
                self.oss_canonical_request(&header_list, None, &payload)
            }
        };
        let expected = scope.signature(&creds.secret_key, v4, &timestamp, &canonical);
        self.matches(expected.as_bytes(), signature.as_bytes())
    }

    pub(super) fn v4_query(&self, v4: V4) -> Result<Caller, AuthError> {
        let q = self.query;
        let (algorithm, credential, date, expires, headers, signature) = match v4 {
            V4::Aws => (
                "X-Amz-Algorithm",
                "X-Amz-Credential",
                "X-Amz-Date",
                "X-Amz-Expires",
                "X-Amz-SignedHeaders",
                "X-Amz-Signature",
            ),
            V4::Oss => (
                "x-oss-signature-version",
                "x-oss-credential",
                "x-oss-date",
                "x-oss-expires",
                "x-oss-additional-headers",
                "x-oss-signature",
            ),
        };
        if q.get(algorithm).is_some_and(|a| a != v4.algorithm()) {
            return Err(query_malformed(format!("{algorithm} only supports \"{}\"", v4.algorithm())));
        }
        let missing = || {
            query_malformed(match v4 {
                V4::Aws => "Query-string authentication version 4 requires the X-Amz-Algorithm, X-Amz-Credential, X-Amz-Signature, X-Amz-Date, X-Amz-SignedHeaders, and X-Amz-Expires parameters.",
                V4::Oss => "Query-string authentication version 4 requires the x-oss-signature-version, x-oss-credential, x-oss-signature, x-oss-date and x-oss-expires parameters.",
            })
        };
        let get = |name: &str| q.get(name).ok_or_else(missing);
        let (credential, timestamp, expires_text, signature) =
            (get(credential)?, get(date)?, get(expires)?, get(signature)?);
        // S3 requires the signed headers; OSS's additional headers are optional.
        let header_list = match v4 {
            V4::Aws => header_list(&get(headers)?),
            V4::Oss => header_list(&q.get(headers).unwrap_or_default()),
        };
        let scope = Scope::parse(&credential, v4).ok_or_else(|| {
            query_malformed(format!(
                "Error parsing the {credential_name} parameter; {}",
                credential_shape(v4),
                credential_name = if v4 == V4::Aws { "X-Amz-Credential" } else { "x-oss-credential" }
            ))
        })?;
        let time = parse_iso8601_basic(&timestamp).ok_or_else(|| {
            query_malformed(format!("{date} must be in the ISO8601 Long Format \"yyyyMMdd'T'HHmmss'Z'\""))
        })?;
        let lifetime: i64 =
            expires_text.parse().map_err(|_| query_malformed(format!("{expires} should be a number")))?;
        if lifetime < 0 {
            return Err(query_malformed(format!("{expires} must be non-negative")));
        }
        if lifetime > 604_800 {
            return Err(query_malformed(format!(
                "{expires} must be less than a week (in seconds) that is; 604800 seconds"
            )));
        }
        let Some(creds) = self.creds else { return Ok(Caller::Owner) };
        self.known_key(creds, &scope.access_key)?;
        if !timestamp.starts_with(&scope.date) {
            return Err(query_malformed(format!("Invalid credential date. Date is not the same as {date}.")));
        }
        if self.now > time.saturating_add(lifetime) {
            return Err(expired(self.oss));
        }
        let canonical = match v4 {
            V4::Aws => self.aws_canonical_request(&header_list, Some("X-Amz-Signature"), "UNSIGNED-PAYLOAD"),
            V4::Oss => {
                let payload = header_text(self.req.headers, "x-oss-content-sha256")
                    .unwrap_or_else(|| "UNSIGNED-PAYLOAD".to_string());
                self.oss_canonical_request(&header_list, Some("x-oss-signature"), &payload)
            }
        };
        let expected = scope.signature(&creds.secret_key, v4, &timestamp, &canonical);
        self.matches(expected.as_bytes(), signature.as_bytes())
    }

    /// S3's canonical request. The path is the one received, neither normalised nor encoded
    /// again (S3 differs from the other AWS services there).
    fn aws_canonical_request(&self, signed: &[String], skip: Option<&str>, payload: &str) -> Vec<u8> {
        let mut out = Vec::new();
        out.extend_from_slice(self.req.method.as_bytes());
        out.push(b'\n');
        let path = self.req.uri.path();
        out.extend_from_slice(if path.is_empty() { b"/" } else { path.as_bytes() });
        out.push(b'\n');
        out.extend_from_slice(canonical_query(self.query, skip, false).as_bytes());
        out.push(b'\n');
        for name in signed {
            out.extend_from_slice(name.as_bytes());
            out.push(b':');
            // Values trimmed and inner runs of whitespace collapsed (botocore, AWS's spec).
            let value = self.header_or_host(name).unwrap_or_default();
            let words: Vec<&[u8]> = value.split(u8::is_ascii_whitespace).filter(|w| !w.is_empty()).collect();
            out.extend_from_slice(&words.join(&b' '));
            out.push(b'\n');
        }
        out.push(b'\n');
        out.extend_from_slice(signed.join(";").as_bytes());
        out.push(b'\n');
        out.extend_from_slice(payload.as_bytes());
        out
    }

    /// OSS's canonical request (oss2 `AuthV4`): the resource with the bucket in it whatever
    /// the addressing, every `x-oss-` header plus Content-Type and Content-MD5 plus the
    /// additional headers, and empty query values without '='.
    fn oss_canonical_request(&self, additional: &[String], skip: Option<&str>, payload: &str) -> Vec<u8> {
        let additional = oss_additional(additional);
        let mut out = Vec::new();
        out.extend_from_slice(self.req.method.as_bytes());
        out.push(b'\n');
        out.extend_from_slice(uri_encode(self.req.resource.as_bytes(), UNRESERVED_AND_SLASH).as_bytes());
        out.push(b'\n');
        out.extend_from_slice(canonical_query(self.query, skip, true).as_bytes());
        out.push(b'\n');
        let signed = |name: &str| {
            name.starts_with("x-oss-")
                || name == "content-type"
                || name == "content-md5"
                || additional.iter().any(|a| a == name)
        };
        let mut headers: BTreeMap<String, Vec<u8>> = BTreeMap::new();
        for name in self.req.headers.keys().map(|n| n.as_str()).filter(|n| signed(n)) {
            headers.insert(name.to_string(), header_values(self.req.headers, name).unwrap_or_default());
        }
        for (name, value) in headers {
            out.extend_from_slice(name.as_bytes());
            out.push(b':');
            out.extend_from_slice(&value);
            out.push(b'\n');
        }
        out.push(b'\n');
        out.extend_from_slice(additional.join(";").as_bytes());
        out.push(b'\n');
        out.extend_from_slice(payload.as_bytes());
        out
    }

    /// A header's values; `host` falls back to the URI's authority (an HTTP/1.0 request
    /// may have no Host header).
    fn header_or_host(&self, name: &str) -> Option<Vec<u8>> {
        let value = header_values(self.req.headers, name);
        if value.is_none() && name == "host" {
            return self.req.uri.authority().map(|a| a.as_str().as_bytes().to_vec());
        }
        value
    }
}

/// OSS's additional headers leave out the ones it signs anyway, and are sorted (oss2).
fn oss_additional(list: &[String]) -> Vec<String> {
    let mut out: Vec<String> = list
        .iter()
        .filter(|h| !h.starts_with("x-oss-") && *h != "content-type" && *h != "content-md5")
        .cloned()
        .collect();
    out.sort();
    out.dedup();
    out
}
