//! Method, host, path and query to an operation (after Garage's `router.rs`): nothing here
//! reads the store or checks who is asking.

use axum::http::{Method, Uri};
use percent_encoding::percent_decode_str;

use super::errors::Code;

/// What a request asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    ListBuckets,
    CreateBucket,
    HeadBucket,
    DeleteBucket,
    ListObjects,
    ListObjectsV2,
    ListObjectVersions,
    ListMultipartUploads,
    GetBucketLocation,
    GetBucketVersioning,
    GetBucketAcl,
    PutBucketAcl,
    PutBucketCors,
    GetBucketCors,
    DeleteBucketCors,
    DeleteObjects,
    PostObject,
    PutObject,
    GetObject,
    HeadObject,
    DeleteObject,
    GetObjectAcl,
    PutObjectAcl,
    CreateMultipartUpload,
    UploadPart,
    CompleteMultipartUpload,
    AbortMultipartUpload,
    ListParts,
    /// `OPTIONS`: a preflight, answered by the CORS layer before any handler.
    Preflight,
    /// A sub-resource or feature this endpoint does not have: 501 `NotImplemented`.
    NotImplemented,
    MethodNotAllowed,
}

impl Op {
    /// The operation's name, as S3 names it (`--record`, the e2e recordings).
    pub fn name(self) -> &'static str {
        match self {
            Op::ListBuckets => "ListBuckets",
            Op::CreateBucket => "CreateBucket",
            Op::HeadBucket => "HeadBucket",
            Op::DeleteBucket => "DeleteBucket",
            Op::ListObjects => "ListObjects",
            Op::ListObjectsV2 => "ListObjectsV2",
            Op::ListObjectVersions => "ListObjectVersions",
            Op::ListMultipartUploads => "ListMultipartUploads",
            Op::GetBucketLocation => "GetBucketLocation",
            Op::GetBucketVersioning => "GetBucketVersioning",
            Op::GetBucketAcl => "GetBucketAcl",
            Op::PutBucketAcl => "PutBucketAcl",
            Op::PutBucketCors => "PutBucketCors",
            Op::GetBucketCors => "GetBucketCors",
            Op::DeleteBucketCors => "DeleteBucketCors",
            Op::DeleteObjects => "DeleteObjects",
            Op::PostObject => "PostObject",
            Op::PutObject => "PutObject",
            Op::GetObject => "GetObject",
            Op::HeadObject => "HeadObject",
            Op::DeleteObject => "DeleteObject",
            Op::GetObjectAcl => "GetObjectAcl",
            Op::PutObjectAcl => "PutObjectAcl",
            Op::CreateMultipartUpload => "CreateMultipartUpload",
            Op::UploadPart => "UploadPart",
            Op::CompleteMultipartUpload => "CompleteMultipartUpload",
            Op::AbortMultipartUpload => "AbortMultipartUpload",
            Op::ListParts => "ListParts",
            Op::Preflight => "Preflight",
            Op::NotImplemented => "NotImplemented",
            Op::MethodNotAllowed => "MethodNotAllowed",
        }
    }
}

/// A request, resolved.
#[derive(Debug, Clone)]
pub struct Route {
    pub bucket: Option<String>,
    /// The object key, percent-decoded; `None` for the service and bucket roots.
    pub key: Option<String>,
    pub op: Op,
    pub query: Query,
}

impl Route {
    /// The SigV2 / OSS v1 canonical resource: `/`, `/bucket/` or `/bucket/key`.
    pub fn resource(&self) -> String {
        match (&self.bucket, &self.key) {
            (None, _) => "/".to_string(),
            (Some(b), None) => format!("/{b}/"),
            (Some(b), Some(k)) => format!("/{b}/{k}"),
        }
    }
}

/// The decoded query: names and values in order (`+` is a space, as in forms).
#[derive(Debug, Clone, Default)]
pub struct Query(Vec<(String, String)>);

impl Query {
    pub fn parse(raw: Option<&str>) -> Query {
        let decode = |s: &str| percent_decode_str(&s.replace('+', " ")).decode_utf8_lossy().into_owned();
        Query(
            raw.unwrap_or("")
                .split('&')
                .filter(|p| !p.is_empty())
                .map(|p| match p.split_once('=') {
                    Some((n, v)) => (decode(n), decode(v)),
                    None => (decode(p), String::new()),
                })
                .collect(),
        )
    }

    pub fn get(&self, name: &str) -> Option<&str> {
        self.0.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str())
    }

    pub fn has(&self, name: &str) -> bool {
        self.0.iter().any(|(n, _)| n == name)
    }
}

/// Sub-resources of S3 and OSS that this endpoint does not implement: asking for one is a
/// 501, never a listing or an upload that ignored it.
const UNSUPPORTED: &[&str] = &[
    "accelerate",
    "analytics",
    "append",
    "attributes",
    "bucketInfo",
    "cname",
    "comp",
    "encryption",
    "intelligent-tiering",
    "inventory",
    "legal-hold",
    "lifecycle",
    "logging",
    "metrics",
    "notification",
    "object-lock",
    "ownershipControls",
    "policy",
    "policyStatus",
    "publicAccessBlock",
    "referer",
    "replication",
    "requestPayment",
    "restore",
    "retention",
    "select",
    "stat",
    "symlink",
    "tagging",
    "torrent",
    "website",
    "worm",
    "x-oss-process",
];

/// The bucket a virtual-hosted request names: `{bucket}.localhost[:port]`.
pub fn virtual_bucket(host: &str) -> Option<&str> {
    let name = strip_port(host);
    let bucket = name.strip_suffix(".localhost")?;
    (!bucket.is_empty()).then_some(bucket)
}

/// `host[:port]` without the port; `[::1]:80` keeps its brackets.
pub fn strip_port(host: &str) -> &str {
    if host.starts_with('[') {
        return host.find(']').map_or(host, |i| &host[..=i]);
    }
    host.rsplit_once(':').map_or(host, |(h, _)| h)
}

fn decode(segment: &str) -> Result<String, Code> {
    percent_decode_str(segment).decode_utf8().map(|s| s.into_owned()).map_err(|_| Code::InvalidObjectName)
}

/// Resolves a request. `host` is the `Host` header (already checked by the caller).
pub fn route(method: &Method, host: &str, uri: &Uri) -> Result<Route, Code> {
    let query = Query::parse(uri.query());
    let path = uri.path();
    let path = path.strip_prefix('/').unwrap_or(path);
    let (bucket, key) = match virtual_bucket(host) {
        Some(b) => (Some(b.to_string()), path),
        None => match path.split_once('/') {
            Some((b, k)) => (Some(decode(b)?), k),
            None if path.is_empty() => (None, ""),
            None => (Some(decode(path)?), ""),
        },
    };
    let key = if key.is_empty() { None } else { Some(decode(key)?) };
    let op = operation(method, bucket.is_some(), key.is_some(), &query);
    Ok(Route { bucket, key, op, query })
}

fn operation(method: &Method, bucket: bool, key: bool, q: &Query) -> Op {
    use Op::*;
    if *method == Method::OPTIONS {
        return if bucket { Preflight } else { MethodNotAllowed };
    }
    if !bucket {
        return if *method == Method::GET { ListBuckets } else { MethodNotAllowed };
    }
    if UNSUPPORTED.iter().any(|s| q.has(s)) {
        return NotImplemented;
    }
    let m = method.as_str();
    if !key {
        return match m {
            _ if q.has("cors") => match m {
                "PUT" => PutBucketCors,
                "GET" => GetBucketCors,
                "DELETE" => DeleteBucketCors,
                _ => MethodNotAllowed,
            },
            _ if q.has("acl") => match m {
                "PUT" => PutBucketAcl,
                "GET" => GetBucketAcl,
                _ => MethodNotAllowed,
            },
            "GET" if q.has("uploads") => ListMultipartUploads,
            "GET" if q.has("versions") => ListObjectVersions,
            "GET" if q.has("location") => GetBucketLocation,
            "GET" if q.has("versioning") => GetBucketVersioning,
            _ if q.has("versioning") => NotImplemented,
            "POST" if q.has("delete") => DeleteObjects,
            "GET" if q.get("list-type") == Some("2") => ListObjectsV2,
            "GET" => ListObjects,
            "HEAD" => HeadBucket,
            "PUT" => CreateBucket,
            "DELETE" => DeleteBucket,
            // PostObject; a body that is not a form gets its error there.
            "POST" => PostObject,
            _ => MethodNotAllowed,
        };
    }
    match m {
        _ if q.has("acl") => match m {
            "PUT" => PutObjectAcl,
            "GET" => GetObjectAcl,
            _ => MethodNotAllowed,
        },
        "POST" if q.has("uploads") => CreateMultipartUpload,
        _ if q.has("uploadId") => match m {
            "PUT" if q.has("partNumber") => UploadPart,
            "POST" => CompleteMultipartUpload,
            "DELETE" => AbortMultipartUpload,
            "GET" => ListParts,
            _ => MethodNotAllowed,
        },
        // OSS's GetObjectMeta is a HEAD (or GET) with `objectMeta`: the headers of HeadObject.
        "HEAD" | "GET" if q.has("objectMeta") => HeadObject,
        "PUT" => PutObject,
        "GET" => GetObject,
        "HEAD" => HeadObject,
        "DELETE" => DeleteObject,
        _ => MethodNotAllowed,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn r(method: &str, host: &str, uri: &str) -> Route {
        route(&method.parse().unwrap(), host, &uri.parse().unwrap()).unwrap()
    }

    #[test]
    fn path_and_virtual_hosted_addressing() {
        let a = r("GET", "127.0.0.1:9000", "/b1/dir/a%20b.txt?x-id=GetObject");
        assert_eq!((a.bucket.as_deref(), a.key.as_deref(), a.op), (Some("b1"), Some("dir/a b.txt"), Op::GetObject));
        assert_eq!(a.resource(), "/b1/dir/a b.txt");
        let v = r("GET", "b1.localhost:9000", "/dir/a%20b.txt");
        assert_eq!((v.bucket.as_deref(), v.key.as_deref()), (Some("b1"), Some("dir/a b.txt")));
        let root = r("GET", "b1.localhost:9000", "/?list-type=2&prefix=a+b");
        assert_eq!((root.key, root.op, root.query.get("prefix")), (None, Op::ListObjectsV2, Some("a b")));
        assert_eq!(r("GET", "localhost:9000", "/").op, Op::ListBuckets);
        assert_eq!(r("PUT", "localhost:9000", "/b1").op, Op::CreateBucket);
        assert_eq!(r("PUT", "localhost:9000", "/b1/").op, Op::CreateBucket);
        assert_eq!(r("GET", "[::1]:9000", "/b1/k//x").key.as_deref(), Some("k//x"));
        assert!(route(&Method::GET, "h", &"/b/%FF".parse().unwrap()).is_err());
        assert_eq!(strip_port("[::1]:80"), "[::1]");
        assert_eq!(virtual_bucket("localhost:80"), None);
        assert_eq!(virtual_bucket(".localhost"), None);
    }

    #[test]
    fn sub_resources() {
        assert_eq!(r("PUT", "h", "/b?cors").op, Op::PutBucketCors);
        assert_eq!(r("GET", "h", "/b/?cors=").op, Op::GetBucketCors);
        assert_eq!(r("DELETE", "h", "/b?cors").op, Op::DeleteBucketCors);
        assert_eq!(r("POST", "h", "/b?cors").op, Op::MethodNotAllowed);
        assert_eq!(r("POST", "h", "/b/k?uploads").op, Op::CreateMultipartUpload);
        assert_eq!(r("PUT", "h", "/b/k?partNumber=1&uploadId=x").op, Op::UploadPart);
        assert_eq!(r("POST", "h", "/b/k?uploadId=x").op, Op::CompleteMultipartUpload);
        assert_eq!(r("GET", "h", "/b?website").op, Op::NotImplemented);
        assert_eq!(r("GET", "h", "/b/k?tagging").op, Op::NotImplemented);
        assert_eq!(r("POST", "h", "/b?delete").op, Op::DeleteObjects);
        assert_eq!(r("OPTIONS", "h", "/b/k").op, Op::Preflight);
        assert_eq!(r("OPTIONS", "h", "/").op, Op::MethodNotAllowed);
        assert_eq!(r("CONNECT", "h", "/").op, Op::MethodNotAllowed);
        assert_eq!(r("POST", "h", "/b").op, Op::PostObject);
        assert_eq!(r("POST", "h", "/b/k").op, Op::MethodNotAllowed);
    }
}
