//! PostObject: the browser form upload (`POST /bucket` with `multipart/form-data`). The form's
//! policy signature makes it the owner's (verified with `--credentials`); without one, the
//! bucket's ACL must allow anonymous writes. The policy's conditions are not enforced.

use axum::body::Body;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use bytes::Bytes;

use super::auth::{self, Caller};
use super::errors::{ApiError, ApiResult, Code};
use super::limits::{MAX_FORM_BYTES, MAX_KEY_BYTES, MAX_OBJECT_BYTES};
use super::object::{self, new_meta};
use super::store::{Acl, Object};
use super::xml::Xml;
use super::{body, Ctx};

/// One part of a form.
#[derive(Debug, PartialEq)]
struct FormPart {
    name: String,
    filename: Option<String>,
    content_type: Option<String>,
    data: Bytes,
}

/// The `boundary` parameter of a `multipart/form-data` content type.
fn boundary(content_type: &str) -> Option<String> {
    let mut params = content_type.split(';');
    if !params.next()?.trim().eq_ignore_ascii_case("multipart/form-data") {
        return None;
    }
    params
        .find_map(|p| {
            let (name, value) = p.split_once('=')?;
            name.trim().eq_ignore_ascii_case("boundary").then(|| value.trim().trim_matches('"').to_string())
        })
        .filter(|b| !b.is_empty() && b.len() <= 200)
}

/// Splits a `multipart/form-data` body (RFC 7578) into its parts, each part's bytes copied
/// out of the request body so that keeping one does not keep the whole body alive.
fn parse_form(body: &[u8], boundary: &str) -> Result<Vec<FormPart>, &'static str> {
    let delimiter = format!("--{boundary}");
    let next_delimiter = memchr::memmem::Finder::new(format!("\r\n--{boundary}").as_bytes()).into_owned();
    let mut at = memchr::memmem::find(body, delimiter.as_bytes()).ok_or("no boundary in the body")? + delimiter.len();
    let mut parts = Vec::new();
    loop {
        let rest = &body[at..];
        if rest.starts_with(b"--") {
            return Ok(parts);
        }
        let rest = rest.strip_prefix(b"\r\n").ok_or("a boundary is not followed by CRLF")?;
        let head_end = memchr::memmem::find(rest, b"\r\n\r\n").ok_or("a part has no end of headers")?;
        let head = std::str::from_utf8(&rest[..head_end]).map_err(|_| "part headers are not UTF-8")?;
        let data_start = body.len() - rest.len() + head_end + 4;
        let data_len = next_delimiter.find(&body[data_start..]).ok_or("a part does not end with a boundary")?;
        let (mut name, mut filename, mut content_type) = (None, None, None);
        for line in head.split("\r\n") {
            let Some((h, v)) = line.split_once(':') else { continue };
            if h.trim().eq_ignore_ascii_case("content-disposition") {
                for param in v.split(';').skip(1) {
                    if let Some((k, val)) = param.split_once('=') {
                        let val = val.trim().trim_matches('"').to_string();
                        match k.trim().to_ascii_lowercase().as_str() {
                            "name" => name = Some(val),
                            "filename" => filename = Some(val),
                            _ => {}
                        }
                    }
                }
            } else if h.trim().eq_ignore_ascii_case("content-type") {
                content_type = Some(v.trim().to_string());
            }
        }
        parts.push(FormPart {
            name: name.ok_or("a part has no name")?,
            filename,
            content_type,
            data: Bytes::copy_from_slice(&body[data_start..data_start + data_len]),
        });
        at = data_start + data_len + 2 + delimiter.len();
    }
}

pub async fn post(ctx: &Ctx<'_>, body: Body) -> ApiResult<Response> {
    let bucket = ctx.bucket()?;
    let malformed = |why: &str| {
        ctx.err(Code::MalformedPOSTRequest)
            .message(format!("The body of your POST request is not well-formed multipart/form-data: {why}."))
    };
    let content_type = ctx.header("content-type").unwrap_or("");
    let is_form = content_type.trim_start().to_ascii_lowercase().starts_with("multipart/form-data");
    if !is_form {
        // S3's recorded answer to a POST that is not a form.
        return Err(ctx
            .err(Code::PreconditionFailed)
            .with("Condition", "Bucket POST must be of the enclosure-type multipart/form-data"));
    }
    let boundary = boundary(content_type).ok_or_else(|| malformed("no boundary"))?;
    let raw = body::read(ctx, body, MAX_FORM_BYTES, Code::EntityTooLarge).await?;
    let parts = parse_form(&raw, &boundary).map_err(malformed)?;
    drop(raw);
    let field = |name: &str| {
        parts.iter().find(|p| p.name.eq_ignore_ascii_case(name)).map(|p| String::from_utf8_lossy(&p.data).into_owned())
    };
    let caller =
        auth::authenticate_post(&field, ctx.server.credentials.as_ref(), std::time::SystemTime::now(), ctx.d.oss())
            .map_err(|e| ApiError::custom(e.status, e.code, e.message))?;
    if caller == Caller::Anonymous && !bucket.acl().allows_write() {
        return Err(ctx.err(Code::AccessDenied));
    }
    let file = parts
        .iter()
        .find(|p| p.name.eq_ignore_ascii_case("file"))
        .ok_or_else(|| ctx.err(Code::InvalidArgument).message("Bucket POST must contain a field named 'file'."))?;
    if file.data.len() > MAX_OBJECT_BYTES {
        return Err(ctx.err(Code::EntityTooLarge));
    }
    let key = field("key")
        .ok_or_else(|| ctx.err(Code::InvalidArgument).message("Bucket POST must contain a field named 'key'."))?;
    let key = key.replace("${filename}", file.filename.as_deref().unwrap_or(""));
    if key.is_empty() {
        return Err(ctx.err(Code::InvalidArgument).message("User key must have a length greater than 0."));
    }
    if key.len() > MAX_KEY_BYTES {
        return Err(ctx.err(Code::KeyTooLongError));
    }
    let meta: Vec<(String, String)> = parts
        .iter()
        .filter(|p| p.name.to_ascii_lowercase().starts_with(ctx.d.meta_prefix))
        .map(|p| (p.name.to_ascii_lowercase(), String::from_utf8_lossy(&p.data).into_owned()))
        .collect();
    let meta_bytes: usize = meta.iter().map(|(n, v)| n.len() - ctx.d.meta_prefix.len() + v.len()).sum();
    if meta_bytes > ctx.d.max_metadata_bytes {
        return Err(ctx.err(Code::MetadataTooLarge));
    }
    let acl_field = if ctx.d.oss() { "x-oss-object-acl" } else { "acl" };
    let acl = match field(acl_field) {
        None => None,
        Some(v) => Acl::parse(v.trim()).map_err(|()| ctx.err(Code::InvalidArgument).with("ArgumentName", acl_field))?,
    };
    let content_type = field("content-type").or_else(|| file.content_type.clone());
    let mut meta = new_meta(ctx, &key, content_type.as_deref(), meta, acl);
    let payload = body::verify(ctx, file.data.clone(), &[], false)?;
    meta.etag = format!("\"{}\"", hex::encode(payload.md5));
    let etag = meta.etag.clone();
    object::store(ctx, bucket, Object { meta, data: payload.data })?;
    let status = match field("success_action_status").as_deref().map(str::trim) {
        Some("200") => StatusCode::OK,
        Some("201") => StatusCode::CREATED,
        _ => StatusCode::NO_CONTENT,
    };
    let mut r = if status == StatusCode::CREATED {
        let mut x = Xml::new("PostResponse", None);
        let location = format!("http://{}/{}/{}", ctx.server.listen, bucket.name, key);
        x.elem("Location", location).elem("Bucket", &bucket.name).elem("Key", &key).elem("ETag", &etag);
        let mut r = x.finish("PostResponse");
        *r.status_mut() = status;
        r
    } else {
        status.into_response()
    };
    if let Ok(v) = HeaderValue::from_str(&etag) {
        r.headers_mut().insert(header::ETAG, v);
    }
    Ok(r)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn form_parsing() {
        let body = b"preamble\r\n--b\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\n\r\n--b\r\nContent-Disposition: form-data; name=\"f\"; filename=\"x.bin\"\r\nContent-Type: application/x-thing\r\n\r\n\x00\xff--b\r\n--b--";
        let parts = parse_form(body, "b").unwrap();
        assert_eq!(parts.len(), 2);
        assert_eq!((parts[0].name.as_str(), parts[0].data.as_ref()), ("a", &b""[..]));
        assert_eq!(parts[1].filename.as_deref(), Some("x.bin"));
        assert_eq!(parts[1].content_type.as_deref(), Some("application/x-thing"));
        assert_eq!(parts[1].data.as_ref(), b"\x00\xff--b");
        assert!(parse_form(b"--b\r\nno-end-of-headers", "b").is_err());
        assert!(parse_form(b"--bX", "b").is_err());
        assert!(parse_form(b"nothing", "b").is_err());
        assert_eq!(boundary("multipart/form-data; charset=utf-8; boundary=abc").as_deref(), Some("abc"));
        assert_eq!(boundary("multipart/form-data; boundary=\"q q\"").as_deref(), Some("q q"));
        assert_eq!(boundary("text/plain; boundary=abc"), None);
    }
}
