//! Object operations: PutObject, GetObject (with `Range`), HeadObject, DeleteObject and
//! DeleteObjects; and `store`, which PostObject and CompleteMultipartUpload share.

use axum::body::Body;
use axum::http::{header, HeaderMap, HeaderName, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use bytes::Bytes;

use super::errors::{ApiResult, Code};
use super::limits::{MAX_KEY_BYTES, MAX_OBJECT_BYTES, MAX_XML_BODY_BYTES};
use super::store::{Acl, Bucket, Object, ObjectMeta};
use super::xml::{self, http_date, Xml};
use super::{acl, body, now_ms, Ctx};

/// The key, or the provider's error for one too long.
pub fn key<'a>(ctx: &'a Ctx<'_>) -> ApiResult<&'a str> {
    let key = ctx.key();
    if key.len() > MAX_KEY_BYTES {
        return Err(ctx.err(Code::KeyTooLongError).with("Key", key.chars().take(64).collect::<String>()));
    }
    Ok(key)
}

/// The metadata a new object gets from the request's headers (copied: nothing of the request
/// is kept alive by the object).
pub fn meta_from_headers(ctx: &Ctx<'_>, key: &str, headers: &HeaderMap) -> ApiResult<ObjectMeta> {
    let mut meta = Vec::new();
    let mut bytes = 0;
    for (name, value) in headers {
        if name.as_str().starts_with(ctx.d.meta_prefix) {
            let value = String::from_utf8_lossy(value.as_bytes()).into_owned();
            bytes += name.as_str().len() - ctx.d.meta_prefix.len() + value.len();
            meta.push((name.as_str().to_string(), value));
        }
    }
    if bytes > ctx.d.max_metadata_bytes {
        return Err(ctx.err(Code::MetadataTooLarge));
    }
    let acl = acl::from_header(ctx, true)?.unwrap_or(None);
    let content_type = headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok());
    Ok(new_meta(ctx, key, content_type, meta, acl))
}

pub fn new_meta(
    ctx: &Ctx<'_>,
    key: &str,
    content_type: Option<&str>,
    meta: Vec<(String, String)>,
    acl: Option<Acl>,
) -> ObjectMeta {
    let default_type = if ctx.d.oss() { "application/octet-stream" } else { "binary/octet-stream" };
    ObjectMeta {
        key: key.to_string(),
        etag: String::new(),
        content_type: content_type.unwrap_or(default_type).to_string(),
        modified_ms: now_ms(),
        meta,
        checksums: Vec::new(),
        acl,
    }
}

/// Stores an object: counted against the cap, on disk with `--data`, then in memory.
pub fn store(ctx: &Ctx<'_>, bucket: &Bucket, object: Object) -> ApiResult<()> {
    let server = ctx.server;
    server.store.reserve(object.footprint())?;
    let _writing = server.store.writing();
    if let Some(disk) = &server.store.disk {
        if let Err(e) = disk.save_object(&bucket.name, &object) {
            server.store.release(object.footprint());
            return Err(server.io_error(e));
        }
    }
    server.store.put_object(bucket, object);
    Ok(())
}

/// Adds stored `(name, value)` pairs (metadata, checksums) to a response's headers.
fn add_headers(h: &mut HeaderMap, pairs: &[(String, String)]) {
    for (n, v) in pairs {
        if let (Ok(n), Ok(v)) = (HeaderName::from_bytes(n.as_bytes()), HeaderValue::from_str(v)) {
            h.append(n, v);
        }
    }
}

/// 200 with the ETag and the verified checksums: PutObject's and UploadPart's answer.
pub fn etag_response(etag: &str, checksums: &[(String, String)]) -> Response {
    let mut r = StatusCode::OK.into_response();
    let h = r.headers_mut();
    if let Ok(v) = HeaderValue::from_str(etag) {
        h.insert(header::ETAG, v);
    }
    add_headers(h, checksums);
    r
}

pub async fn put(ctx: &Ctx<'_>, body: Body) -> ApiResult<Response> {
    let bucket = ctx.bucket()?;
    let key = key(ctx)?;
    if ctx.provider_header("copy-source").is_some() {
        return Err(ctx.err(Code::NotImplemented));
    }
    let mut meta = meta_from_headers(ctx, key, &ctx.parts.headers)?;
    let payload = body::object(ctx, body, MAX_OBJECT_BYTES).await?;
    meta.etag = format!("\"{}\"", hex::encode(payload.md5));
    meta.checksums = payload.checksums;
    let response = etag_response(&meta.etag, &meta.checksums);
    store(ctx, bucket, Object { meta, data: payload.data })?;
    Ok(response)
}

/// A single `bytes=` range: `Ok(None)` for none (or one this endpoint ignores, as S3
/// ignores multiple ranges), `Err` when it cannot be satisfied.
fn range(spec: Option<&str>, len: usize) -> Result<Option<(usize, usize)>, ()> {
    let Some(spec) = spec.and_then(|s| s.trim().strip_prefix("bytes=")) else { return Ok(None) };
    if spec.contains(',') {
        return Ok(None);
    }
    let Some((a, b)) = spec.split_once('-') else { return Ok(None) };
    let (a, b) = (a.trim(), b.trim());
    let parsed = match (a.parse::<usize>(), b.parse::<usize>()) {
        (Ok(start), Ok(end)) if start <= end => Some((start, end.min(len.saturating_sub(1)))),
        (Ok(start), Err(_)) if b.is_empty() => Some((start, len.saturating_sub(1))),
        (Err(_), Ok(n)) if a.is_empty() => {
            if n == 0 {
                return Err(());
            }
            Some((len.saturating_sub(n), len.saturating_sub(1)))
        }
        _ => None,
    };
    match parsed {
        Some((start, _)) if start >= len => Err(()),
        other => Ok(other),
    }
}

pub fn get(ctx: &Ctx<'_>) -> ApiResult<Response> {
    let bucket = ctx.bucket()?;
    let key = key(ctx)?;
    let object = bucket.object(key).ok_or_else(|| ctx.err(Code::NoSuchKey).with("Key", key))?;
    let head = ctx.route().op == super::router::Op::HeadObject;
    let len = object.data.len();
    let range = range(ctx.header("range"), len).map_err(|()| {
        ctx.err(Code::InvalidRange)
            .with("RangeRequested", ctx.header("range").unwrap_or(""))
            .with("ActualObjectSize", len.to_string())
    })?;
    let (status, data) = match range {
        Some((start, end)) => (StatusCode::PARTIAL_CONTENT, object.data.slice(start..=end)),
        None => (StatusCode::OK, object.data.clone()),
    };
    let mut r = if head {
        let mut r = Response::new(Body::empty());
        r.headers_mut().insert(header::CONTENT_LENGTH, HeaderValue::from(data.len()));
        r
    } else {
        Response::new(Body::from(data))
    };
    *r.status_mut() = status;
    let h = r.headers_mut();
    let q = &ctx.route().query;
    let content_type = q.get("response-content-type").unwrap_or(&object.meta.content_type);
    if let Ok(v) = HeaderValue::from_str(content_type) {
        h.insert(header::CONTENT_TYPE, v);
    }
    for (param, name) in [
        ("response-content-disposition", header::CONTENT_DISPOSITION),
        ("response-cache-control", header::CACHE_CONTROL),
        ("response-content-encoding", header::CONTENT_ENCODING),
        ("response-content-language", header::CONTENT_LANGUAGE),
        ("response-expires", header::EXPIRES),
    ] {
        if let Some(v) = q.get(param).and_then(|v| HeaderValue::from_str(v).ok()) {
            h.insert(name, v);
        }
    }
    if let Some((start, end)) = range {
        if let Ok(v) = HeaderValue::from_str(&format!("bytes {start}-{end}/{len}")) {
            h.insert(header::CONTENT_RANGE, v);
        }
    }
    if let Ok(v) = HeaderValue::from_str(&object.meta.etag) {
        h.insert(header::ETAG, v);
    }
    if let Ok(v) = HeaderValue::from_str(&http_date(object.meta.modified_ms)) {
        h.insert(header::LAST_MODIFIED, v);
    }
    h.insert(header::ACCEPT_RANGES, HeaderValue::from_static("bytes"));
    // An object is whatever anyone uploaded: never let it run as a page of this origin.
    h.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    h.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static("sandbox; default-src 'none'"));
    add_headers(h, &object.meta.meta);
    if ctx.d.oss() {
        let kind = if object.meta.etag.contains('-') { "Multipart" } else { "Normal" };
        h.insert("x-oss-object-type", HeaderValue::from_static(kind));
    }
    // Checksums only when asked for and for the whole object, as S3 gives them.
    if range.is_none() && ctx.header("x-amz-checksum-mode").is_some_and(|m| m.eq_ignore_ascii_case("ENABLED")) {
        add_headers(h, &object.meta.checksums);
    }
    Ok(r)
}

/// Removes `key` (disk first); a key that is not there is not an error.
fn remove(ctx: &Ctx<'_>, bucket: &Bucket, key: &str) -> ApiResult<()> {
    let server = ctx.server;
    let _writing = server.store.writing();
    if bucket.object(key).is_some() {
        if let Some(disk) = &server.store.disk {
            disk.remove_object(&bucket.name, key).map_err(|e| server.io_error(e))?;
        }
        server.store.delete_object(bucket, key);
    }
    Ok(())
}

pub fn delete(ctx: &Ctx<'_>) -> ApiResult<Response> {
    let bucket = ctx.bucket()?;
    remove(ctx, bucket, key(ctx)?)?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// DeleteObjects (`POST ?delete`): up to 1,000 keys.
pub async fn delete_many(ctx: &Ctx<'_>, body: Body) -> ApiResult<Response> {
    let bucket = ctx.bucket()?;
    let doc: Bytes = body::read(ctx, body, MAX_XML_BODY_BYTES, Code::MalformedXML).await?;
    body::verify(ctx, doc.clone(), &[], true)?;
    let parsed = xml::parse(&doc).ok_or_else(|| ctx.err(Code::MalformedXML))?;
    let root = parsed.root_element();
    if root.tag_name().name() != "Delete" {
        return Err(ctx.err(Code::MalformedXML));
    }
    let quiet = xml::child_text(root, "Quiet").is_some_and(|q| q.trim().eq_ignore_ascii_case("true"));
    let objects: Vec<_> = xml::children(root, "Object").collect();
    if objects.is_empty() || objects.len() > 1000 {
        return Err(ctx.err(Code::MalformedXML));
    }
    let mut x = Xml::new("DeleteResult", (!ctx.d.oss()).then_some(ctx.d.namespace));
    for o in objects {
        let key = xml::child_text(o, "Key").ok_or_else(|| ctx.err(Code::MalformedXML))?;
        remove(ctx, bucket, key)?;
        if !quiet {
            x.open("Deleted").elem("Key", key);
            if let Some(v) = xml::child_text(o, "VersionId") {
                x.elem("VersionId", v);
            }
            x.close("Deleted");
        }
    }
    Ok(x.finish("DeleteResult"))
}

#[cfg(test)]
mod tests {
    use super::range;

    #[test]
    fn ranges() {
        assert_eq!(range(Some("bytes=0-4"), 10), Ok(Some((0, 4))));
        assert_eq!(range(Some("bytes=5-"), 10), Ok(Some((5, 9))));
        assert_eq!(range(Some("bytes=-3"), 10), Ok(Some((7, 9))));
        assert_eq!(range(Some("bytes=-30"), 10), Ok(Some((0, 9))));
        assert_eq!(range(Some("bytes=8-100"), 10), Ok(Some((8, 9))));
        assert_eq!(range(Some("bytes=10-"), 10), Err(()));
        assert_eq!(range(Some("bytes=0-0"), 0), Err(()));
        assert_eq!(range(Some("bytes=0-1,3-4"), 10), Ok(None));
        assert_eq!(range(Some("items=0-1"), 10), Ok(None));
        assert_eq!(range(Some("bytes=4-2"), 10), Ok(None));
        assert_eq!(range(None, 10), Ok(None));
    }
}
