//! The schemes without a credential scope: S3 SigV2 and OSS v1, and OSS v2, which follows
//! OSS v1's shape with SHA-256 and the query signed.
//!
//! S3 SigV2 and OSS v1: base64 HMAC-SHA1 of
//! METHOD \n Content-MD5 \n Content-Type \n Date-or-Expires \n provider headers + resource.

use std::collections::BTreeMap;

use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine as _;
use percent_encoding::percent_decode_str;

use super::{
    canonical_query, constant_time_eq, expired, header_list, header_text, header_values, hmac_sha1, hmac_sha256,
    no_date, query_malformed, signature_mismatch, uri_encode, within_skew, AuthError, Caller, Credentials, Ctx, Param,
    Query, UNRESERVED,
};
use crate::serve::clock::{parse_http_date, parse_iso8601_basic};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum V1 {
    Aws,
    Oss,
}

/// botocore's `HmacV1Auth.QSAOfInterest`: the parameters SigV2 signs. It holds every one of
/// S3's documented sub-resources.
#[rustfmt::skip]
const AWS_SUBRESOURCES: &[&str] = &[
    "accelerate", "acl", "analytics", "cors", "defaultObjectAcl", "delete", "inventory",
    "lifecycle", "location", "logging", "metrics", "notification", "object-lock", "partNumber",
    "policy", "replication", "requestPayment", "response-cache-control",
    "response-content-disposition", "response-content-encoding", "response-content-language",
    "response-content-type", "response-expires", "restore", "select", "select-type", "storageClass",
    "tagging", "torrent", "uploadId", "uploads", "versionId", "versioning", "versions", "website",
];

/// oss2's `ProviderAuth._subresource_key_set` (oss2 2.19.1).
#[rustfmt::skip]
const OSS_SUBRESOURCES: &[&str] = &[
    "accessPoint", "accessPointPolicy", "acl", "append", "asyncFetch", "bucketArchiveDirectRead",
    "bucketInfo", "callback", "callback-var", "cname", "comp", "continuation-token", "cors",
    "delete", "encryption", "endTime", "group", "httpsConfig", "inventory", "inventoryId",
    "lifecycle", "link", "live", "location", "logging", "metaQuery", "objectInfo", "objectMeta",
    "partNumber", "policy", "position", "publicAccessBlock", "qos", "qosInfo", "qosRequester",
    "redundancyTransition", "referer", "regionList", "replication", "replicationLocation",
    "replicationProgress", "requestPayment", "requesterQosInfo", "resourceGroup", "resourcePool",
    "resourcePoolBuckets", "resourcePoolInfo", "response-cache-control",
    "response-content-disposition", "response-content-encoding", "response-content-language",
    "response-content-type", "response-expires", "restore", "security-token", "sequential",
    "startTime", "stat", "status", "style", "styleName", "symlink", "tagging",
    "transferAcceleration", "uploadId", "uploads", "versionId", "versioning", "versions", "vod",
    "website", "worm", "wormExtend", "wormId", "x-oss-ac-forward-allow", "x-oss-ac-source-ip",
    "x-oss-ac-subnet-mask", "x-oss-ac-vpc-id", "x-oss-access-point-name", "x-oss-async-process",
    "x-oss-process", "x-oss-redundancy-transition-taskid", "x-oss-request-payer",
    "x-oss-target-redundancy-type", "x-oss-traffic-limit", "x-oss-write-get-object-response",
];

impl V1 {
    fn name(self) -> &'static str {
        match self {
            V1::Aws => "AWS",
            V1::Oss => "OSS",
        }
    }

    fn prefix(self) -> &'static str {
        match self {
            V1::Aws => "x-amz-",
            V1::Oss => "x-oss-",
        }
    }

    pub(super) fn key_param(self) -> &'static str {
        match self {
            V1::Aws => "AWSAccessKeyId",
            V1::Oss => "OSSAccessKeyId",
        }
    }

    fn subresources(self) -> &'static [&'static str] {
        match self {
            V1::Aws => AWS_SUBRESOURCES,
            V1::Oss => OSS_SUBRESOURCES,
        }
    }
}

impl Ctx<'_, '_> {
    pub(super) fn v1_header(&self, v1: V1, rest: &str) -> Result<Caller, AuthError> {
        let (access_key, signature) = rest
            .trim()
            .rsplit_once(':')
            .filter(|(key, signature)| !key.is_empty() && !signature.is_empty())
            .ok_or_else(|| {
                let name = v1.name();
                let key = if v1 == V1::Aws { "AwsAccessKeyId" } else { "OSSAccessKeyId" };
                AuthError::new(
                    400,
                    "InvalidArgument",
                    format!("{name} authorization header is invalid.  Expected {key}:signature"),
                )
            })?;
        let Some(creds) = self.creds else { return Ok(Caller::Owner) };
        self.known_key(creds, access_key)?;

        // The Date line: S3 leaves it empty when x-amz-date is sent (and signs that header
        // among the others); oss2 puts x-oss-date there instead of Date.
        let headers = self.req.headers;
        let provider_date = header_text(headers, &format!("{}date", v1.prefix())).filter(|d| !d.is_empty());
        let date = header_text(headers, "date");
        let (date_line, time_text) = match (v1, provider_date) {
            (V1::Aws, Some(amz)) => (String::new(), Some(amz)),
            (V1::Oss, Some(oss)) => (oss.clone(), Some(oss)),
            (_, None) => (date.clone().unwrap_or_default(), date),
        };
        let time = time_text
            .and_then(|t| parse_http_date(&t).or_else(|| parse_iso8601_basic(&t)))
            .ok_or_else(|| no_date(self.oss))?;
        within_skew(time, self.now)?;
        self.v1_verify(v1, creds, &date_line, false, signature)
    }

    pub(super) fn v1_query(&self, v1: V1) -> Result<Caller, AuthError> {
        let q = self.query;
        let (Some(access_key), Some(signature), Some(expires)) =
            (q.get(v1.key_param()), q.get("Signature"), q.get("Expires"))
        else {
            return Err(AuthError::new(
                403,
                "AccessDenied",
                format!(
                    "Query-string authentication requires the Signature, Expires and {} parameters",
                    v1.key_param()
                ),
            ));
        };
        let expires_at: i64 = expires.parse().map_err(|_| {
            AuthError::new(403, "AccessDenied", format!("Invalid date (should be seconds since epoch): {expires}"))
        })?;
        let Some(creds) = self.creds else { return Ok(Caller::Owner) };
        self.known_key(creds, &access_key)?;
        if self.now > expires_at {
            return Err(expired(self.oss));
        }
        self.v1_verify(v1, creds, &expires, true, &signature)
    }

    fn v1_verify(
        &self,
        v1: V1,
        creds: &Credentials,
        date_line: &str,
        presigned: bool,
        signature: &str,
    ) -> Result<Caller, AuthError> {
        let head = self.v1_head(v1, date_line, presigned);
        let subresources = v1_subresources(self.query, v1);
        for resource in self.v1_resources(v1) {
            let mut string_to_sign = head.clone();
            string_to_sign.extend_from_slice(resource.as_bytes());
            string_to_sign.extend_from_slice(&subresources);
            let expected = BASE64.encode(hmac_sha1(creds.secret_key.as_bytes(), &string_to_sign));
            if constant_time_eq(expected.as_bytes(), signature.as_bytes()) {
                return Ok(Caller::Owner);
            }
        }
        Err(signature_mismatch(self.oss))
    }

    /// Everything before the resource.
    fn v1_head(&self, v1: V1, date_line: &str, presigned: bool) -> Vec<u8> {
        let headers = self.req.headers;
        // botocore moves Content-MD5, Content-Type and x-amz-* headers into the query of a
        // presigned SigV2 URL; S3 reads them from there.
        let from_query = presigned && v1 == V1::Aws;
        let query_value = |name: &str| -> Option<Vec<u8>> {
            self.query
                .0
                .iter()
                .find(|p| p.name.eq_ignore_ascii_case(name.as_bytes()))
                .map(|p| p.value.clone().unwrap_or_default())
        };
        let standard = |name: &str| {
            header_values(headers, name)
                .or_else(|| if from_query { query_value(name) } else { None })
                .unwrap_or_default()
        };
        let mut out = Vec::new();
        out.extend_from_slice(self.req.method.as_bytes());
        out.push(b'\n');
        out.extend_from_slice(&standard("content-md5"));
        out.push(b'\n');
        out.extend_from_slice(&standard("content-type"));
        out.push(b'\n');
        out.extend_from_slice(date_line.as_bytes());
        out.push(b'\n');

        let prefix = v1.prefix();
        let mut provider: BTreeMap<String, Vec<Vec<u8>>> = BTreeMap::new();
        for name in headers.keys().map(|n| n.as_str()).filter(|n| n.starts_with(prefix)) {
            let values = headers.get_all(name).iter().map(|v| v.as_bytes().trim_ascii().to_vec());
            provider.entry(name.to_string()).or_default().extend(values);
        }
        if from_query {
            for p in &self.query.0 {
                let name = String::from_utf8_lossy(&p.name).to_ascii_lowercase();
                if name.starts_with(prefix) {
                    let value = p.value.as_deref().unwrap_or_default().trim_ascii().to_vec();
                    provider.entry(name).or_default().push(value);
                }
            }
        }
        for (name, values) in provider {
            out.extend_from_slice(name.as_bytes());
            out.push(b':');
            out.extend_from_slice(&values.join(&b','));
            out.push(b'\n');
        }
        out
    }

    /// The resources a client may have signed. oss2 signs the decoded key (`resource`).
    /// botocore signs the path as sent, with `/bucket` put in front for a virtual-hosted
    /// request, and without a trailing slash for a path-style bucket (`/bucket?cors`).
    fn v1_resources(&self, v1: V1) -> Vec<String> {
        let resource = self.req.resource.to_string();
        if v1 == V1::Oss {
            return vec![resource];
        }
        let raw = match self.req.uri.path() {
            "" => "/",
            path => path,
        };
        let decoded = percent_decode_str(raw).decode_utf8_lossy();
        let mut out = Vec::new();
        if let Some(bucket) = resource.strip_suffix(decoded.as_ref()).filter(|b| !b.is_empty()) {
            out.push(format!("{bucket}{raw}"));
        }
        for candidate in [raw.to_string(), resource] {
            if !out.contains(&candidate) {
                out.push(candidate);
            }
        }
        out
    }
}

/// The sub-resources present, sorted by name: `?a&b=v`. botocore keeps the '=' of an empty
/// value (`?acl=`), oss2 drops it.
fn v1_subresources(q: &Query, v1: V1) -> Vec<u8> {
    let list = v1.subresources();
    let mut chosen: Vec<&Param> =
        q.0.iter().filter(|p| std::str::from_utf8(&p.name).is_ok_and(|n| list.contains(&n))).collect();
    if chosen.is_empty() {
        return Vec::new();
    }
    chosen.sort_by(|a, b| a.name.cmp(&b.name));
    let mut out = vec![b'?'];
    for (i, p) in chosen.into_iter().enumerate() {
        if i > 0 {
            out.push(b'&');
        }
        out.extend_from_slice(&p.name);
        match (&p.value, v1) {
            (Some(value), V1::Aws) => {
                out.push(b'=');
                out.extend_from_slice(value);
            }
            (Some(value), V1::Oss) if !value.is_empty() => {
                out.push(b'=');
                out.extend_from_slice(value);
            }
            _ => {}
        }
    }
    out
}

// ---------------------------------------------------------------------------------------
// OSS v2 (oss2 `AuthV2`): base64 HMAC-SHA256 of
// METHOD \n Content-MD5 \n Content-Type \n Date \n x-oss- and additional headers
// + additional header names \n + encoded resource + every query parameter.

impl Ctx<'_, '_> {
    pub(super) fn oss2_header(&self, rest: &str) -> Result<Caller, AuthError> {
        let mut fields = BTreeMap::new();
        for part in rest.split(',') {
            if let Some((name, value)) = part.trim().split_once(':') {
                fields.insert(name, value);
            }
        }
        let (Some(access_key), Some(signature)) = (fields.get("AccessKeyId"), fields.get("Signature")) else {
            return Err(AuthError::new(
                400,
                "InvalidArgument",
                "OSS2 authorization header is invalid.  Expected AccessKeyId and Signature",
            ));
        };
        let additional = header_list(fields.get("AdditionalHeaders").copied().unwrap_or_default());
        let Some(creds) = self.creds else { return Ok(Caller::Owner) };
        self.known_key(creds, access_key)?;
        let date = header_text(self.req.headers, "date").unwrap_or_default();
        let time = parse_http_date(&date).ok_or_else(|| no_date(self.oss))?;
        within_skew(time, self.now)?;
        let expected =
            BASE64.encode(hmac_sha256(creds.secret_key.as_bytes(), &self.oss2_string_to_sign(&date, &additional)));
        self.matches(expected.as_bytes(), signature.as_bytes())
    }

    pub(super) fn oss2_query(&self) -> Result<Caller, AuthError> {
        let q = self.query;
        let (Some(access_key), Some(expires), Some(signature)) =
            (q.get("x-oss-access-key-id"), q.get("x-oss-expires"), q.get("x-oss-signature"))
        else {
            return Err(query_malformed(
                "Query-string authentication version 2 requires the x-oss-signature-version, x-oss-access-key-id, x-oss-expires and x-oss-signature parameters.",
            ));
        };
        let expires_at: i64 = expires.parse().map_err(|_| query_malformed("x-oss-expires should be a number"))?;
        let additional = header_list(&q.get("x-oss-additional-headers").unwrap_or_default());
        let Some(creds) = self.creds else { return Ok(Caller::Owner) };
        self.known_key(creds, &access_key)?;
        if self.now > expires_at {
            return Err(expired(self.oss));
        }
        let expected =
            BASE64.encode(hmac_sha256(creds.secret_key.as_bytes(), &self.oss2_string_to_sign(&expires, &additional)));
        self.matches(expected.as_bytes(), signature.as_bytes())
    }

    fn oss2_string_to_sign(&self, date_line: &str, additional: &[String]) -> Vec<u8> {
        let headers = self.req.headers;
        let mut additional: Vec<String> = additional.to_vec();
        additional.sort();
        additional.dedup();
        let mut out = Vec::new();
        out.extend_from_slice(self.req.method.as_bytes());
        out.push(b'\n');
        for name in ["content-md5", "content-type"] {
            out.extend_from_slice(&header_values(headers, name).unwrap_or_default());
            out.push(b'\n');
        }
        out.extend_from_slice(date_line.as_bytes());
        out.push(b'\n');
        let mut signed: Vec<&str> = headers
            .keys()
            .map(|n| n.as_str())
            .filter(|n| n.starts_with("x-oss-") || additional.iter().any(|a| a == n))
            .collect();
        signed.sort_unstable();
        for name in signed {
            out.extend_from_slice(name.as_bytes());
            out.push(b':');
            out.extend_from_slice(&header_values(headers, name).unwrap_or_default());
            out.push(b'\n');
        }
        out.extend_from_slice(additional.join(";").as_bytes());
        out.push(b'\n');
        // OSS v2 encodes the resource's slashes too.
        out.extend_from_slice(uri_encode(self.req.resource.as_bytes(), UNRESERVED).as_bytes());
        let query = canonical_query(self.query, Some("x-oss-signature"), true);
        if !query.is_empty() {
            out.push(b'?');
            out.extend_from_slice(query.as_bytes());
        }
        out
    }
}
