//! Service and bucket operations: ListBuckets, CreateBucket, HeadBucket, DeleteBucket,
//! ListObjects (V1, V2 and versions), GetBucketLocation, GetBucketVersioning.

use std::sync::Arc;

use axum::body::Body;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use base64::Engine;

use super::errors::{ApiResult, Code};
use super::limits::{MAX_KEYS, MAX_XML_BODY_BYTES};
use super::router::Op;
use super::store::{read, Acl, Object};
use super::xml::{iso8601, Xml};
use super::{acl, body, Ctx};

pub fn list_buckets(ctx: &Ctx<'_>) -> ApiResult<Response> {
    let ns = (!ctx.d.oss()).then_some(ctx.d.namespace);
    let mut x = Xml::new("ListAllMyBucketsResult", ns);
    x.open("Owner").elem("ID", "corsmatch").elem("DisplayName", "corsmatch").close("Owner");
    x.open("Buckets");
    for b in ctx.server.store.buckets() {
        x.open("Bucket").elem("Name", &b.name).elem("CreationDate", iso8601(read(&b.meta).created_ms));
        if ctx.d.oss() {
            x.elem("Location", "oss-cn-hangzhou")
                .elem("ExtranetEndpoint", "localhost")
                .elem("IntranetEndpoint", "localhost")
                .elem("Region", "cn-hangzhou")
                .elem("StorageClass", "Standard");
        }
        x.close("Bucket");
    }
    x.close("Buckets");
    Ok(x.finish("ListAllMyBucketsResult"))
}

pub async fn create(ctx: &Ctx<'_>, body: Body) -> ApiResult<Response> {
    let name = ctx.route().bucket.as_deref().unwrap_or("");
    if !ctx.d.valid_bucket_name(name) {
        return Err(ctx.err(Code::InvalidBucketName).with("BucketName", name));
    }
    let acl = acl::from_header(ctx, false)?.flatten().unwrap_or(Acl::Private);
    // CreateBucketConfiguration (a location) may come along; it must at least be XML.
    let doc = body::read(ctx, body, MAX_XML_BODY_BYTES, Code::MalformedXML).await?;
    if !doc.iter().all(u8::is_ascii_whitespace) && super::xml::parse(&doc).is_none() {
        return Err(ctx.err(Code::MalformedXML));
    }
    if ctx.routed.bucket.is_some() {
        return Err(ctx.server.store.already_exists(name));
    }
    ctx.server.create_bucket(name, acl, None)?;
    let mut r = StatusCode::OK.into_response();
    if let Ok(v) = HeaderValue::from_str(&format!("/{name}")) {
        r.headers_mut().insert(header::LOCATION, v);
    }
    Ok(r)
}

pub fn head(ctx: &Ctx<'_>) -> ApiResult<Response> {
    ctx.bucket()?;
    let mut r = StatusCode::OK.into_response();
    let region = if ctx.d.oss() { "oss-cn-hangzhou" } else { "us-east-1" };
    r.headers_mut().insert(
        if ctx.d.oss() { "x-oss-bucket-region" } else { "x-amz-bucket-region" },
        HeaderValue::from_static(region),
    );
    Ok(r)
}

pub fn delete(ctx: &Ctx<'_>) -> ApiResult<Response> {
    let bucket = ctx.bucket()?;
    let _writing = ctx.server.store.writing();
    if !read(&bucket.objects).is_empty() {
        return Err(ctx.err(Code::BucketNotEmpty).with("BucketName", &bucket.name));
    }
    if let Some(disk) = &ctx.server.store.disk {
        disk.remove_bucket(&bucket.name).map_err(|e| ctx.server.io_error(e))?;
    }
    ctx.server.store.remove_bucket(&bucket.name);
    Ok(StatusCode::NO_CONTENT.into_response())
}

pub fn location(ctx: &Ctx<'_>) -> ApiResult<Response> {
    ctx.bucket()?;
    Ok(if ctx.d.oss() {
        let mut x = Xml::new("LocationConstraint", None);
        x.raw("oss-cn-hangzhou");
        x.finish("LocationConstraint")
    } else {
        Xml::new("LocationConstraint", Some(ctx.d.namespace)).finish("LocationConstraint")
    })
}

/// Buckets are never versioned here: every object has the version `null`.
pub fn versioning(ctx: &Ctx<'_>) -> ApiResult<Response> {
    ctx.bucket()?;
    Ok(Xml::new("VersioningConfiguration", (!ctx.d.oss()).then_some(ctx.d.namespace)).finish("VersioningConfiguration"))
}

/// One page of a listing.
struct Page {
    objects: Vec<Arc<Object>>,
    prefixes: Vec<String>,
    truncated: bool,
    /// The last key or prefix given: where the next page starts.
    last: Option<String>,
}

/// Keys after `after` that start with `prefix`, grouped at `delimiter`, at most `max`.
fn page(ctx: &Ctx<'_>, prefix: &str, delimiter: &str, after: &str, max: usize) -> ApiResult<Page> {
    let bucket = ctx.bucket()?;
    let objects = read(&bucket.objects);
    let mut page = Page { objects: Vec::new(), prefixes: Vec::new(), truncated: false, last: None };
    let start = if after.is_empty() || after < prefix { prefix } else { after };
    let range = objects.range::<str, _>((std::ops::Bound::Included(start), std::ops::Bound::Unbounded));
    for (key, object) in range {
        if key.as_str() <= after && !after.is_empty() {
            continue;
        }
        if !key.starts_with(prefix) {
            break;
        }
        let common = (!delimiter.is_empty())
            .then(|| key[prefix.len()..].find(delimiter).map(|i| &key[..prefix.len() + i + delimiter.len()]))
            .flatten();
        if let Some(p) = common {
            if page.prefixes.last().is_some_and(|last| last == p) || after.starts_with(p) {
                continue;
            }
        }
        if page.objects.len() + page.prefixes.len() >= max {
            page.truncated = true;
            break;
        }
        match common {
            Some(p) => {
                page.prefixes.push(p.to_string());
                page.last = Some(p.to_string());
            }
            None => {
                page.objects.push(Arc::clone(object));
                page.last = Some(key.clone());
            }
        }
    }
    Ok(page)
}

fn max_keys(ctx: &Ctx<'_>) -> ApiResult<usize> {
    match ctx.route().query.get("max-keys") {
        None => Ok(MAX_KEYS),
        Some(v) => match v.parse::<i64>() {
            Ok(n) if n >= 0 => Ok((n as usize).min(MAX_KEYS)),
            _ => Err(ctx
                .err(Code::InvalidArgument)
                .message("Provided max-keys not an integer or within integer range")
                .with("ArgumentName", "max-keys")
                .with("ArgumentValue", v)),
        },
    }
}

/// `encoding-type=url`: keys and prefixes percent-encoded in the answer; any other encoding
/// is refused.
fn encoder(ctx: &Ctx<'_>) -> ApiResult<impl Fn(&str) -> String> {
    let url = match ctx.route().query.get("encoding-type") {
        None => false,
        Some(e) if e.eq_ignore_ascii_case("url") => true,
        Some(e) => {
            return Err(ctx
                .err(Code::InvalidArgument)
                .message("Invalid Encoding Method specified in Request")
                .with("ArgumentName", "encoding-type")
                .with("ArgumentValue", e))
        }
    };
    Ok(move |s: &str| {
        if url {
            const SET: &percent_encoding::AsciiSet =
                &percent_encoding::NON_ALPHANUMERIC.remove(b'-').remove(b'_').remove(b'.').remove(b'~').remove(b'/');
            percent_encoding::utf8_percent_encode(s, SET).to_string()
        } else {
            s.to_string()
        }
    })
}

/// ListObjectsV2's continuation token: the last key given, opaque to the client.
fn token_for(key: &str) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(key)
}

fn key_of_token(ctx: &Ctx<'_>, token: &str) -> ApiResult<String> {
    base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(token)
        .ok()
        .and_then(|k| String::from_utf8(k).ok())
        .ok_or_else(|| {
            ctx.err(Code::InvalidArgument)
                .message("The continuation token provided is incorrect")
                .with("ArgumentName", "continuation-token")
                .with("ArgumentValue", token)
        })
}

pub fn list_objects(ctx: &Ctx<'_>) -> ApiResult<Response> {
    let q = &ctx.route().query;
    let v2 = ctx.route().op == Op::ListObjectsV2;
    let prefix = q.get("prefix").unwrap_or("");
    let delimiter = q.get("delimiter").unwrap_or("");
    let max = max_keys(ctx)?;
    let token = q.get("continuation-token");
    let enc = encoder(ctx)?;
    let after = match (v2, token) {
        (true, Some(t)) => key_of_token(ctx, t)?,
        (true, None) => q.get("start-after").unwrap_or("").to_string(),
        (false, _) => q.get("marker").unwrap_or("").to_string(),
    };
    let after = after.as_str();
    let page = page(ctx, prefix, delimiter, after, max)?;
    let ns = (!ctx.d.oss()).then_some(ctx.d.namespace);
    let mut x = Xml::new("ListBucketResult", ns);
    x.elem("Name", &ctx.bucket()?.name).elem("Prefix", enc(prefix));
    if v2 {
        if let Some(t) = token {
            x.elem("ContinuationToken", t);
        }
        if let Some(s) = q.get("start-after") {
            x.elem("StartAfter", enc(s));
        }
        x.elem("KeyCount", (page.objects.len() + page.prefixes.len()).to_string());
    } else {
        x.elem("Marker", enc(after));
    }
    x.elem("MaxKeys", max.to_string());
    if !delimiter.is_empty() {
        x.elem("Delimiter", enc(delimiter));
    }
    if q.get("encoding-type") == Some("url") {
        x.elem("EncodingType", "url");
    }
    x.elem("IsTruncated", page.truncated.to_string());
    if page.truncated {
        let next = page.last.clone().unwrap_or_default();
        if v2 {
            x.elem("NextContinuationToken", token_for(&next));
        } else {
            x.elem("NextMarker", enc(&next));
        }
    }
    for o in &page.objects {
        x.open("Contents")
            .elem("Key", enc(&o.meta.key))
            .elem("LastModified", iso8601(o.meta.modified_ms))
            .elem("ETag", &o.meta.etag);
        if ctx.d.oss() {
            x.elem("Type", if o.meta.etag.contains('-') { "Multipart" } else { "Normal" });
        }
        x.elem("Size", o.data.len().to_string()).elem("StorageClass", "STANDARD");
        if !v2 {
            x.open("Owner").elem("ID", "corsmatch").elem("DisplayName", "corsmatch").close("Owner");
        }
        x.close("Contents");
    }
    for p in &page.prefixes {
        x.open("CommonPrefixes").elem("Prefix", enc(p)).close("CommonPrefixes");
    }
    Ok(x.finish("ListBucketResult"))
}

/// `?versions`: buckets are not versioned, so each object is its one version, `null`.
pub fn list_versions(ctx: &Ctx<'_>) -> ApiResult<Response> {
    let q = &ctx.route().query;
    let prefix = q.get("prefix").unwrap_or("");
    let delimiter = q.get("delimiter").unwrap_or("");
    let after = q.get("key-marker").unwrap_or("");
    let max = max_keys(ctx)?;
    let enc = encoder(ctx)?;
    let page = page(ctx, prefix, delimiter, after, max)?;
    let mut x = Xml::new("ListVersionsResult", (!ctx.d.oss()).then_some(ctx.d.namespace));
    x.elem("Name", &ctx.bucket()?.name)
        .elem("Prefix", enc(prefix))
        .elem("KeyMarker", enc(after))
        .elem("VersionIdMarker", "")
        .elem("MaxKeys", max.to_string());
    if !delimiter.is_empty() {
        x.elem("Delimiter", delimiter);
    }
    x.elem("IsTruncated", page.truncated.to_string());
    if page.truncated {
        x.elem("NextKeyMarker", enc(page.last.as_deref().unwrap_or_default())).elem("NextVersionIdMarker", "null");
    }
    for o in &page.objects {
        x.open("Version")
            .elem("Key", enc(&o.meta.key))
            .elem("VersionId", "null")
            .elem("IsLatest", "true")
            .elem("LastModified", iso8601(o.meta.modified_ms))
            .elem("ETag", &o.meta.etag)
            .elem("Size", o.data.len().to_string())
            .elem("StorageClass", "STANDARD");
        x.open("Owner").elem("ID", "corsmatch").elem("DisplayName", "corsmatch").close("Owner");
        x.close("Version");
    }
    if q.get("encoding-type") == Some("url") {
        x.elem("EncodingType", "url");
    }
    for p in &page.prefixes {
        x.open("CommonPrefixes").elem("Prefix", enc(p)).close("CommonPrefixes");
    }
    Ok(x.finish("ListVersionsResult"))
}
