//! PostObject: the browser form upload (`POST /bucket` with `multipart/form-data`). The form's
//! policy signature makes it the owner's; without one, the bucket's ACL must allow anonymous
//! writes. With `--credentials` the signature, the policy's expiration and its conditions are
//! verified (`auth`); without, nothing about the policy is. Fields after the file are ignored,
//! as S3 ignores them ("Any fields below it are ignored") and OSS wants the file last.

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

fn is_file(part: &FormPart) -> bool {
    part.name.eq_ignore_ascii_case("file")
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
    let mut parts = parse_form(&raw, &boundary).map_err(malformed)?;
    drop(raw);
    if let Some(file_at) = parts.iter().position(is_file) {
        parts.truncate(file_at + 1);
    }
    let field = |name: &str| {
        parts.iter().find(|p| p.name.eq_ignore_ascii_case(name)).map(|p| String::from_utf8_lossy(&p.data).into_owned())
    };
    let now = std::time::SystemTime::now();
    let caller = ctx.server.authenticate(|creds| auth::authenticate_post(&field, creds, now, ctx.d.oss()))?;
    if caller == Caller::Anonymous && !bucket.acl().allows_write() {
        return Err(ctx.err(Code::AccessDenied));
    }
    let file = parts
        .iter()
        .find(|p| is_file(p))
        .ok_or_else(|| ctx.err(Code::InvalidArgument).message("Bucket POST must contain a field named 'file'."))?;
    if file.data.len() > MAX_OBJECT_BYTES {
        return Err(ctx.err(Code::EntityTooLarge));
    }
    let key = field("key")
        .ok_or_else(|| ctx.err(Code::InvalidArgument).message("Bucket POST must contain a field named 'key'."))?;
    let key = key.replace("${filename}", file.filename.as_deref().unwrap_or(""));
    if !ctx.server.credentials.is_empty() && caller == Caller::Owner {
        // The signature verified: the form must meet its policy. The key is matched as it will
        // be stored, `${filename}` expanded.
        let fields: Vec<(String, String)> = parts
            .iter()
            .filter(|p| !is_file(p))
            .map(|p| {
                let value = if p.name.eq_ignore_ascii_case("key") {
                    key.clone()
                } else {
                    String::from_utf8_lossy(&p.data).into_owned()
                };
                (p.name.clone(), value)
            })
            .collect();
        let policy = field("policy").unwrap_or_default();
        auth::check_conditions(&policy, &fields, &bucket.name, file.data.len(), ctx.d.oss()).map_err(|refusal| {
            let e = refusal.error;
            let error = ApiError::custom(e.status, e.code, e.message);
            refusal.details.into_iter().fold(error, |error, (name, value)| error.with(name, value))
        })?;
    }
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

    // The policy's conditions through the whole pipeline, with `--credentials`. The forms are
    // SigV2 (`AWSAccessKeyId`, `signature`), signed here; `auth` has the conditions' own tests.

    use std::sync::Arc;

    use axum::http::Request;
    use base64::engine::general_purpose::STANDARD as BASE64;
    use base64::Engine as _;
    use clap::Parser;
    use hmac::{Hmac, Mac};
    use tower::ServiceExt;

    use crate::serve::{app, build, ServeArgs, Server};

    const AK: &str = "AKIDPOSTTEST";
    const SECRET: &str = "post/test+secret";

    #[derive(Parser)]
    struct Cmd {
        #[command(flatten)]
        args: ServeArgs,
    }

    fn server(flags: &[&str]) -> Arc<Server> {
        let argv = ["serve", "--bucket", "bk1"].iter().chain(flags);
        let cmd = Cmd::try_parse_from(argv).unwrap();
        Arc::new(build(&cmd.args, "127.0.0.1:9".parse().unwrap()).unwrap_or_else(|e| panic!("{}", e.text)))
    }

    /// A policy of these conditions, good until 2100, and its SigV2 fields.
    fn signed(conditions: &str) -> Vec<(String, String)> {
        let json = format!(r#"{{"expiration": "2100-01-01T00:00:00Z", "conditions": [{conditions}]}}"#);
        let policy = BASE64.encode(json);
        let mut mac = <Hmac<sha1::Sha1> as Mac>::new_from_slice(SECRET.as_bytes()).unwrap();
        mac.update(policy.as_bytes());
        let signature = BASE64.encode(mac.finalize().into_bytes());
        vec![("AWSAccessKeyId".into(), AK.into()), ("policy".into(), policy), ("signature".into(), signature)]
    }

    /// POSTs `fields`, the file `data` (named a.txt), then `after`; (status, body).
    async fn send(s: &Arc<Server>, fields: &[(String, String)], data: &[u8], after: &[(&str, &str)]) -> (u16, String) {
        let mut body = Vec::new();
        let mut part = |name: &str, filename: &str, value: &[u8]| {
            body.extend_from_slice(
                format!("--B\r\nContent-Disposition: form-data; name=\"{name}\"{filename}\r\n\r\n").as_bytes(),
            );
            body.extend_from_slice(value);
            body.extend_from_slice(b"\r\n");
        };
        for (n, v) in fields {
            part(n, "", v.as_bytes());
        }
        part("file", "; filename=\"a.txt\"", data);
        for (n, v) in after {
            part(n, "", v.as_bytes());
        }
        body.extend_from_slice(b"--B--\r\n");
        let request = Request::post("/bk1")
            .header("host", "127.0.0.1:9")
            .header("content-type", "multipart/form-data; boundary=B")
            .body(Body::from(body))
            .unwrap();
        let r = app(Arc::clone(s)).oneshot(request).await.unwrap();
        let status = r.status().as_u16();
        let bytes = axum::body::to_bytes(r.into_body(), usize::MAX).await.unwrap();
        (status, String::from_utf8(bytes.to_vec()).unwrap())
    }

    fn with(mut fields: Vec<(String, String)>, more: &[(&str, &str)]) -> Vec<(String, String)> {
        fields.extend(more.iter().map(|(n, v)| (n.to_string(), v.to_string())));
        fields
    }

    /// `<Code>` and `<Message>` of an error body, unescaped.
    fn error(body: &str) -> (String, String) {
        let element = |name: &str| {
            let (open, close) = (format!("<{name}>"), format!("</{name}>"));
            let start = body.find(&open).map(|at| at + open.len()).unwrap_or(0);
            let end = body[start..].find(&close).map(|at| start + at).unwrap_or(start);
            body[start..end].replace("&quot;", "\"").replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")
        };
        (element("Code"), element("Message"))
    }

    fn refused(code: &str, message: &str) -> (String, String) {
        (code.to_string(), message.to_string())
    }

    /// The object's ACL and data, when it was stored.
    fn stored(s: &Server, key: &str) -> Option<(Option<Acl>, Vec<u8>)> {
        let object = s.store.bucket("bk1")?.object(key)?;
        Some((object.meta.acl, object.data.to_vec()))
    }

    #[tokio::test]
    async fn policy_conditions_are_enforced_with_credentials() {
        let creds = format!("{AK}:{SECRET}");
        let s = server(&["--profile", "s3", "--credentials", &creds]);
        let policy = signed(
            r#"{"bucket": "bk1"}, ["starts-with", "$key", "up/"], {"acl": "public-read"}, ["content-length-range", 1, 10]"#,
        );
        let good = with(policy.clone(), &[("key", "up/${filename}"), ("acl", "public-read")]);
        // A submit button after the file is ignored, as S3 ignores every field after it.
        let (status, body) = send(&s, &good, b"hello", &[("submit", "Upload")]).await;
        assert_eq!(status, 204, "{body}");
        assert_eq!(stored(&s, "up/a.txt"), Some((Some(Acl::PublicRead), b"hello".to_vec())));

        let moved = with(policy.clone(), &[("key", "other/x"), ("acl", "public-read")]);
        let (status, body) = send(&s, &moved, b"x", &[]).await;
        let failed = r#"Invalid according to Policy: Policy Condition failed: ["starts-with", "$key", "up/"]"#;
        assert_eq!((status, error(&body)), (403, refused("AccessDenied", failed)));
        assert_eq!(stored(&s, "other/x"), None);

        let extra = with(good.clone(), &[("x-amz-meta-note", "sneaky")]);
        let (status, body) = send(&s, &extra, b"x", &[]).await;
        let message = "Invalid according to Policy: Extra input fields: x-amz-meta-note";
        assert_eq!((status, error(&body)), (403, refused("AccessDenied", message)));
        assert_eq!(stored(&s, "up/a.txt").map(|(_, data)| data), Some(b"hello".to_vec()), "not replaced");

        let (status, body) = send(&s, &good, b"eleven byte", &[]).await;
        let message = "Your proposed upload exceeds the maximum allowed size";
        assert_eq!((status, error(&body)), (400, refused("EntityTooLarge", message)));
        assert!(body.contains("<ProposedSize>11</ProposedSize><MaxSizeAllowed>10</MaxSizeAllowed>"), "{body}");
        let (status, body) = send(&s, &good, b"", &[]).await;
        let message = "Your proposed upload is smaller than the minimum allowed size";
        assert_eq!((status, error(&body)), (400, refused("EntityTooSmall", message)));
        assert!(body.contains("<ProposedSize>0</ProposedSize><MinSizeAllowed>1</MinSizeAllowed>"), "{body}");

        // The key is matched with `${filename}` expanded, as it is stored.
        let exact = with(signed(r#"{"bucket": "bk1"}, {"key": "exact/a.txt"}"#), &[("key", "exact/${filename}")]);
        let (status, body) = send(&s, &exact, b"x", &[]).await;
        assert_eq!(status, 204, "{body}");
        assert!(stored(&s, "exact/a.txt").is_some());

        // Signed for another bucket.
        let elsewhere = with(signed(r#"{"bucket": "nope"}, ["starts-with", "$key", ""]"#), &[("key", "k")]);
        let (status, body) = send(&s, &elsewhere, b"x", &[]).await;
        let failed = r#"Invalid according to Policy: Policy Condition failed: ["eq", "$bucket", "nope"]"#;
        assert_eq!((status, error(&body)), (403, refused("AccessDenied", failed)));
        // A key after the file is not read.
        let (status, body) = send(&s, &policy, b"x", &[("key", "up/late")]).await;
        assert_eq!(status, 400);
        assert!(error(&body).1.starts_with("Bucket POST must contain a field named 'key'."), "{body}");
        assert_eq!(stored(&s, "up/late"), None);

        // OSS: fields no condition names are accepted; the conditions that are there hold.
        let s = server(&["--profile", "oss", "--credentials", &creds]);
        let (status, body) = send(&s, &extra, b"x", &[]).await;
        assert_eq!(status, 204, "{body}");
        assert_eq!(stored(&s, "up/a.txt").map(|(_, data)| data), Some(b"x".to_vec()));
        let (status, body) = send(&s, &good, b"eleven byte", &[]).await;
        assert_eq!((status, error(&body).0.as_str()), (400, "EntityTooLarge"), "{body}");
    }

    #[tokio::test]
    async fn without_credentials_the_policy_is_not_checked() {
        let s = server(&["--profile", "s3"]);
        let policy = signed(r#"["eq", "$key", "only-this"], ["content-length-range", 0, 1]"#);
        let form = with(policy, &[("key", "up/anything"), ("x-amz-meta-note", "extra")]);
        let (status, body) = send(&s, &form, b"more than a byte", &[]).await;
        assert_eq!(status, 204, "{body}");
        assert_eq!(stored(&s, "up/anything").map(|(_, data)| data), Some(b"more than a byte".to_vec()));
    }
}
