//! Multipart uploads: create, upload part, complete (S3's ETag: the MD5 of the parts' MD5s
//! and `-N`), abort, list parts, list uploads. Unfinished uploads live in memory only: a
//! restart forgets them, as it would any upload no client was told had finished.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};

use axum::body::Body;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use bytes::BytesMut;
use md5::{Digest, Md5};

use super::errors::{ApiError, ApiResult, Code};
use super::limits::{MAX_OBJECT_BYTES, MAX_PARTS, MAX_UPLOADS, MAX_XML_BODY_BYTES};
use super::object::{self, meta_from_headers};
use super::store::{lock, Object, Part, Upload};
use super::xml::{self, iso8601, Xml};
use super::{body, now_ms, Ctx};

fn upload_id() -> String {
    static NEXT: AtomicU64 = AtomicU64::new(1);
    let n = NEXT.fetch_add(1, Ordering::Relaxed);
    let seed = std::hash::BuildHasher::hash_one(&std::collections::hash_map::RandomState::new(), n);
    format!("{:016X}{:016X}", now_ms() ^ seed.rotate_left(17), seed)
}

fn upload_param<'a>(ctx: &'a Ctx<'_>) -> &'a str {
    ctx.route().query.get("uploadId").unwrap_or("")
}

fn no_such_upload(ctx: &Ctx<'_>) -> ApiError {
    ctx.err(Code::NoSuchUpload).with("UploadId", upload_param(ctx))
}

fn ns(ctx: &Ctx<'_>) -> Option<&'static str> {
    (!ctx.d.oss()).then_some(ctx.d.namespace)
}

/// S3's `x-amz-checksum-algorithm` of CreateMultipartUpload, as `(CRC32, crc32)`.
fn checksum_algorithm(ctx: &Ctx<'_>) -> ApiResult<Option<(&'static str, &'static str)>> {
    if ctx.d.oss() {
        return Ok(None);
    }
    let Some(sent) = ctx.header("x-amz-checksum-algorithm") else { return Ok(None) };
    let sent = sent.trim();
    if let Some(found) = body::ALGORITHMS.iter().find(|(algo, _)| algo.eq_ignore_ascii_case(sent)) {
        return Ok(Some(*found));
    }
    if sent.eq_ignore_ascii_case("CRC64NVME") {
        return Err(ctx.err(Code::NotImplemented));
    }
    Err(ctx.err(Code::InvalidRequest).message(
        "Checksum algorithm provided is unsupported. Please try again with any of the valid types: [CRC32, CRC32C, CRC64NVME, SHA1, SHA256]",
    ))
}

/// CreateMultipartUpload. With `x-amz-checksum-algorithm` the upload's parts carry that
/// checksum and CompleteMultipartUpload must name each one (S3's composite checksums): the
/// AWS SDK for JavaScript asks for CRC32 since 3.729, and in a browser it can only name a
/// part's checksum when the bucket's CORS exposes `x-amz-checksum-crc32`.
pub fn create(ctx: &Ctx<'_>) -> ApiResult<Response> {
    let bucket = ctx.bucket()?;
    let key = object::key(ctx)?;
    let meta = meta_from_headers(ctx, key, &ctx.parts.headers)?;
    let algorithm = checksum_algorithm(ctx)?;
    let upload =
        Upload { meta, initiated_ms: now_ms(), parts: BTreeMap::new(), checksum_algorithm: algorithm.map(|(_, n)| n) };
    ctx.server.store.reserve(upload.footprint())?;
    let id = upload_id();
    {
        let mut uploads = lock(&bucket.uploads);
        if uploads.len() >= MAX_UPLOADS {
            ctx.server.store.release(upload.footprint());
            return Err(ctx.err(Code::InvalidRequest).message(format!(
                "corsmatch serve keeps at most {MAX_UPLOADS} unfinished multipart uploads per bucket."
            )));
        }
        uploads.insert(id.clone(), upload);
    }
    let mut x = Xml::new("InitiateMultipartUploadResult", ns(ctx));
    x.elem("Bucket", &bucket.name).elem("Key", key).elem("UploadId", &id);
    let mut r = x.finish("InitiateMultipartUploadResult");
    if let Some((algo, _)) = algorithm {
        let h = r.headers_mut();
        h.insert("x-amz-checksum-algorithm", HeaderValue::from_static(algo));
        h.insert("x-amz-checksum-type", HeaderValue::from_static("COMPOSITE"));
    }
    Ok(r)
}

pub async fn upload_part(ctx: &Ctx<'_>, body: Body) -> ApiResult<Response> {
    let bucket = ctx.bucket()?;
    let number =
        ctx.route().query.get("partNumber").and_then(|n| n.parse::<u32>().ok()).filter(|n| (1..=MAX_PARTS).contains(n));
    let Some(number) = number else {
        return Err(ctx
            .err(Code::InvalidArgument)
            .message("Part number must be an integer between 1 and 10000, inclusive")
            .with("ArgumentName", "partNumber")
            .with("ArgumentValue", ctx.route().query.get("partNumber").unwrap_or("")));
    };
    let algorithm = match lock(&bucket.uploads).get(upload_param(ctx)) {
        None => return Err(no_such_upload(ctx)),
        Some(upload) => upload.checksum_algorithm,
    };
    let payload = body::object(ctx, body, MAX_OBJECT_BYTES).await?;
    let mut checksums = payload.checksums;
    if let Some(name) = algorithm {
        // A part checksummed otherwise than its upload is refused (S3's wording); one sent
        // without a checksum gets the upload's, computed here.
        let header = format!("x-amz-checksum-{name}");
        if let Some((other, _)) = checksums.iter().find(|(h, _)| *h != header) {
            let other = other.trim_start_matches("x-amz-checksum-");
            return Err(ctx.err(Code::InvalidRequest).message(format!(
                "Checksum Type mismatch occurred, expected checksum Type: {name}, actual checksum Type: {other}"
            )));
        }
        if checksums.is_empty() {
            checksums.push((header, B64.encode(body::checksum(name, &payload.data))));
        }
    }
    let part = Part { md5: payload.md5, data: payload.data, modified_ms: now_ms(), checksums };
    let size = part.data.len() + 64;
    ctx.server.store.reserve(size)?;
    let etag = part.etag();
    let answered = part.checksums.clone();
    {
        let mut uploads = lock(&bucket.uploads);
        let Some(upload) = uploads.get_mut(upload_param(ctx)) else {
            ctx.server.store.release(size);
            return Err(no_such_upload(ctx));
        };
        if let Some(old) = upload.parts.insert(number, part) {
            ctx.server.store.release(old.data.len() + 64);
        }
    }
    Ok(object::etag_response(&etag, &answered))
}

/// The elements that name a part's checksum in CompleteMultipartUpload, by algorithm.
const CHECKSUM_ELEMENTS: [(&str, &str); 4] =
    [("crc32", "ChecksumCRC32"), ("crc32c", "ChecksumCRC32C"), ("sha1", "ChecksumSHA1"), ("sha256", "ChecksumSHA256")];

fn unquote(etag: &str) -> &str {
    etag.trim().trim_matches('"')
}

pub async fn complete(ctx: &Ctx<'_>, body: Body) -> ApiResult<Response> {
    let bucket = ctx.bucket()?;
    let key = object::key(ctx)?;
    let doc = body::read(ctx, body, MAX_XML_BODY_BYTES, Code::MalformedXML).await?;
    let parsed = xml::parse(&doc).ok_or_else(|| ctx.err(Code::MalformedXML))?;
    let root = parsed.root_element();
    if root.tag_name().name() != "CompleteMultipartUpload" {
        return Err(ctx.err(Code::MalformedXML));
    }
    // (number, ETag, the part's checksums as named: (x-amz-checksum-NAME, value))
    let mut wanted = Vec::new();
    for p in xml::children(root, "Part") {
        let number = xml::child_text(p, "PartNumber").and_then(|n| n.trim().parse::<u32>().ok());
        let etag = xml::child_text(p, "ETag");
        let named: Vec<(String, String)> = CHECKSUM_ELEMENTS
            .iter()
            .filter_map(|(name, element)| {
                let value = xml::child_text(p, element)?;
                Some((format!("x-amz-checksum-{name}"), value.trim().to_string()))
            })
            .collect();
        match (number, etag) {
            (Some(n), Some(e)) => wanted.push((n, unquote(e).to_ascii_lowercase(), named)),
            _ => return Err(ctx.err(Code::MalformedXML)),
        }
    }
    if wanted.is_empty() {
        return Err(ctx.err(Code::MalformedXML));
    }
    if wanted.windows(2).any(|w| w[0].0 >= w[1].0) {
        return Err(ctx.err(Code::InvalidPartOrder).with("UploadId", upload_param(ctx)));
    }
    let upload = {
        let mut uploads = lock(&bucket.uploads);
        let upload = uploads.get(upload_param(ctx)).ok_or_else(|| no_such_upload(ctx))?;
        for (i, (n, etag, named)) in wanted.iter().enumerate() {
            let invalid_part =
                || ctx.err(Code::InvalidPart).with("UploadId", upload_param(ctx)).with("PartNumber", n.to_string());
            let part = upload.parts.get(n).filter(|p| hex::encode(p.md5) == *etag);
            let Some(part) = part else {
                return Err(invalid_part());
            };
            if let Some(name) = upload.checksum_algorithm {
                // S3's answer when a browser could not read the parts' checksum headers.
                let header = format!("x-amz-checksum-{name}");
                let Some((_, given)) = named.iter().find(|(h, _)| *h == header) else {
                    return Err(ctx.err(Code::InvalidRequest).message(format!(
                        "The upload was created using a {name} checksum. The complete request must include the checksum for each part. It was missing for part {n} in the request."
                    )));
                };
                if !part.checksums.iter().any(|(h, v)| *h == header && v == given) {
                    return Err(invalid_part());
                }
            }
            if i + 1 < wanted.len() && part.data.len() < ctx.d.min_part_size {
                return Err(ctx
                    .err(Code::EntityTooSmall)
                    .with("ProposedSize", part.data.len().to_string())
                    .with("MinSizeAllowed", ctx.d.min_part_size.to_string()));
            }
        }
        uploads.remove(upload_param(ctx)).ok_or_else(|| no_such_upload(ctx))?
    };
    let released = upload.footprint();
    let mut data = BytesMut::new();
    let mut md5s = Md5::new();
    // S3's composite checksum: the checksum of the parts' raw checksums, then `-N`.
    let mut raw_checksums = Vec::new();
    for (n, _, _) in &wanted {
        let part = &upload.parts[n];
        data.extend_from_slice(&part.data);
        md5s.update(part.md5);
        if let Some(name) = upload.checksum_algorithm {
            let header = format!("x-amz-checksum-{name}");
            if let Some((_, v)) = part.checksums.iter().find(|(h, _)| *h == header) {
                raw_checksums.extend(B64.decode(v).unwrap_or_default());
            }
        }
    }
    let mut meta = upload.meta;
    meta.key = key.to_string();
    meta.modified_ms = now_ms();
    meta.etag = format!("\"{}-{}\"", hex::encode(md5s.finalize()), wanted.len());
    let composite = upload.checksum_algorithm.map(|name| {
        let value = format!("{}-{}", B64.encode(body::checksum(name, &raw_checksums)), wanted.len());
        (name, value)
    });
    if let Some((name, value)) = &composite {
        meta.checksums = vec![(format!("x-amz-checksum-{name}"), value.clone())];
    }
    let etag = meta.etag.clone();
    let stored = object::store(ctx, bucket, Object { meta, data: data.freeze() });
    ctx.server.store.release(released);
    stored?;
    let mut x = Xml::new("CompleteMultipartUploadResult", ns(ctx));
    let location = format!("http://{}/{}/{}", ctx.server.listen, bucket.name, key);
    x.elem("Location", location).elem("Bucket", &bucket.name).elem("Key", key).elem("ETag", &etag);
    if let Some((name, value)) = &composite {
        let element = CHECKSUM_ELEMENTS.iter().find(|(n, _)| n == name).map_or("Checksum", |(_, e)| *e);
        x.elem(element, value).elem("ChecksumType", "COMPOSITE");
    }
    let mut r = x.finish("CompleteMultipartUploadResult");
    // OSS also names the ETag in a header, the only place oss2 reads it; S3 in the body only.
    if ctx.d.oss() {
        if let Ok(v) = HeaderValue::from_str(&etag) {
            r.headers_mut().insert(header::ETAG, v);
        }
    }
    Ok(r)
}

pub fn abort(ctx: &Ctx<'_>) -> ApiResult<Response> {
    let bucket = ctx.bucket()?;
    let upload = lock(&bucket.uploads).remove(upload_param(ctx)).ok_or_else(|| no_such_upload(ctx))?;
    ctx.server.store.release(upload.footprint());
    Ok(StatusCode::NO_CONTENT.into_response())
}

pub fn list_parts(ctx: &Ctx<'_>) -> ApiResult<Response> {
    let bucket = ctx.bucket()?;
    let q = &ctx.route().query;
    let marker = q.get("part-number-marker").and_then(|m| m.parse::<u32>().ok()).unwrap_or(0);
    let max = q.get("max-parts").and_then(|m| m.parse::<usize>().ok()).unwrap_or(1000).min(1000);
    let uploads = lock(&bucket.uploads);
    let upload = uploads.get(upload_param(ctx)).ok_or_else(|| no_such_upload(ctx))?;
    let parts: Vec<_> = upload.parts.range(marker + 1..).take(max + 1).collect();
    let truncated = parts.len() > max;
    let mut x = Xml::new("ListPartsResult", ns(ctx));
    x.elem("Bucket", &bucket.name)
        .elem("Key", &upload.meta.key)
        .elem("UploadId", upload_param(ctx))
        .elem("PartNumberMarker", marker.to_string());
    if let Some((n, _)) = parts.iter().take(max).next_back() {
        x.elem("NextPartNumberMarker", n.to_string());
    }
    x.elem("MaxParts", max.to_string()).elem("IsTruncated", truncated.to_string());
    for (n, p) in parts.iter().take(max) {
        x.open("Part")
            .elem("PartNumber", n.to_string())
            .elem("LastModified", iso8601(p.modified_ms))
            .elem("ETag", p.etag())
            .elem("Size", p.data.len().to_string())
            .close("Part");
    }
    Ok(x.finish("ListPartsResult"))
}

pub fn list_uploads(ctx: &Ctx<'_>) -> ApiResult<Response> {
    let bucket = ctx.bucket()?;
    let prefix = ctx.route().query.get("prefix").unwrap_or("");
    let uploads = lock(&bucket.uploads);
    let mut x = Xml::new("ListMultipartUploadsResult", ns(ctx));
    x.elem("Bucket", &bucket.name)
        .elem("KeyMarker", "")
        .elem("UploadIdMarker", "")
        .elem("Prefix", prefix)
        .elem("MaxUploads", "1000")
        .elem("IsTruncated", "false");
    for (id, u) in uploads.iter().filter(|(_, u)| u.meta.key.starts_with(prefix)).take(1000) {
        x.open("Upload")
            .elem("Key", &u.meta.key)
            .elem("UploadId", id)
            .elem("StorageClass", "STANDARD")
            .elem("Initiated", iso8601(u.initiated_ms))
            .close("Upload");
    }
    Ok(x.finish("ListMultipartUploadsResult"))
}
