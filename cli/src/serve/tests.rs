//! The endpoint in process: requests through the whole pipeline (context, CORS layer,
//! dispatch) with tower's `oneshot`. Real clients drive it from outside in e2e/clients.

use std::sync::Arc;

use axum::body::Body;
use axum::response::Response;
use base64::Engine;
use clap::Parser;
use tower::ServiceExt;

use super::*;

#[derive(Parser)]
struct Cmd {
    #[command(flatten)]
    args: ServeArgs,
}

const HOST: &str = "127.0.0.1:9";
const OPEN: &str = "<CORSConfiguration><CORSRule><AllowedOrigin>https://app.test</AllowedOrigin>\
    <AllowedMethod>GET</AllowedMethod><AllowedMethod>PUT</AllowedMethod><AllowedHeader>*</AllowedHeader>\
    <ExposeHeader>ETag</ExposeHeader></CORSRule></CORSConfiguration>";

fn server(flags: &[&str]) -> Arc<Server> {
    let mut argv = vec!["serve"];
    argv.extend_from_slice(flags);
    let cmd = Cmd::try_parse_from(argv).unwrap();
    Arc::new(build(&cmd.args, HOST.parse().unwrap()).unwrap_or_else(|e| panic!("{}", e.text)))
}

async fn send(s: &Arc<Server>, method: &str, uri: &str, headers: &[(&str, &str)], body: &[u8]) -> Response {
    let mut b = axum::http::Request::builder().method(method).uri(uri).header("host", HOST);
    for (n, v) in headers {
        b = b.header(*n, *v);
    }
    app(Arc::clone(s)).oneshot(b.body(Body::from(body.to_vec())).unwrap()).await.unwrap()
}

/// A request signed in a form the endpoint recognises (no `--credentials`: not verified).
const SIGNED: (&str, &str) = (
    "authorization",
    "AWS4-HMAC-SHA256 Credential=AK/20250101/us-east-1/s3/aws4_request, SignedHeaders=host, Signature=00",
);

async fn text(r: Response) -> String {
    String::from_utf8(axum::body::to_bytes(r.into_body(), usize::MAX).await.unwrap().to_vec()).unwrap()
}

fn h<'a>(r: &'a Response, name: &str) -> Option<&'a str> {
    r.headers().get(name).map(|v| v.to_str().unwrap())
}

fn element(body: &str, name: &str) -> Option<String> {
    let (open, close) = (format!("<{name}>"), format!("</{name}>"));
    let start = body.find(&open)? + open.len();
    Some(body[start..start + body[start..].find(&close)?].to_string())
}

async fn code(r: Response) -> (u16, Option<String>) {
    let status = r.status().as_u16();
    (status, element(&text(r).await, "Code"))
}

fn md5_b64(data: &[u8]) -> String {
    use md5::Digest;
    base64::engine::general_purpose::STANDARD.encode(md5::Md5::digest(data))
}

#[tokio::test]
async fn both_profiles_start_with_their_example() {
    for (profile, header) in [("oss", "x-oss-request-id"), ("s3", "x-amz-request-id")] {
        let s = server(&["--profile", profile]);
        let pre = [("origin", "https://www.example.com"), ("access-control-request-method", "PUT")];
        let r = send(&s, "OPTIONS", "/example/photo.jpg", &pre, b"").await;
        assert_eq!(r.status(), 200, "{profile}");
        assert!(h(&r, header).is_some());
        assert!(h(&r, VERSION_HEADER).is_some());
        let r = send(&s, "GET", "/example?cors", &[SIGNED], b"").await;
        assert_eq!(r.status(), 200);
        let doc = text(r).await;
        assert!(doc.contains("<AllowedOrigin>https://*.example.com</AllowedOrigin>"), "{doc}");
        assert_eq!(doc.contains("xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\""), profile == "s3");
    }
}

#[tokio::test]
async fn buckets_through_the_api() {
    let s = server(&["--profile", "s3"]);
    assert_eq!(code(send(&s, "PUT", "/Bad_Name", &[SIGNED], b"").await).await, (400, Some("InvalidBucketName".into())));
    assert_eq!(code(send(&s, "PUT", "/bk1", &[], b"").await).await, (403, Some("AccessDenied".into())), "anonymous");
    let r = send(&s, "PUT", "/bk1", &[SIGNED, ("x-amz-acl", "public-read")], b"").await;
    assert_eq!(r.status(), 200);
    assert_eq!(h(&r, "location"), Some("/bk1"));
    assert_eq!(
        code(send(&s, "PUT", "/bk1", &[SIGNED], b"").await).await,
        (409, Some("BucketAlreadyOwnedByYou".into()))
    );
    assert_eq!(send(&s, "HEAD", "/bk1", &[], b"").await.status(), 200, "public-read: anyone may look");
    assert_eq!(send(&s, "HEAD", "/nope", &[SIGNED], b"").await.status(), 404);
    let list = text(send(&s, "GET", "/", &[SIGNED], b"").await).await;
    assert!(list.contains("<Name>bk1</Name>") && list.contains("<Name>example</Name>"), "{list}");
    assert_eq!(code(send(&s, "GET", "/", &[], b"").await).await.1.as_deref(), Some("AccessDenied"));

    assert_eq!(send(&s, "PUT", "/bk1/a/1", &[SIGNED], b"x").await.status(), 200);
    assert_eq!(send(&s, "PUT", "/bk1/a/2", &[SIGNED], b"y").await.status(), 200);
    assert_eq!(send(&s, "PUT", "/bk1/c", &[SIGNED], b"z").await.status(), 200);
    let l = text(send(&s, "GET", "/bk1?list-type=2&delimiter=/&max-keys=1", &[], b"").await).await;
    assert_eq!(element(&l, "CommonPrefixes").as_deref(), Some("<Prefix>a/</Prefix>"), "{l}");
    assert_eq!(element(&l, "IsTruncated").as_deref(), Some("true"));
    let token = element(&l, "NextContinuationToken").unwrap();
    let l = text(send(&s, "GET", &format!("/bk1?list-type=2&delimiter=/&continuation-token={token}"), &[], b"").await)
        .await;
    assert_eq!(element(&l, "Key").as_deref(), Some("c"), "{l}");
    assert_eq!(element(&l, "KeyCount").as_deref(), Some("1"));
    let r = send(&s, "GET", "/bk1?list-type=2&continuation-token=garbage%21", &[], b"").await;
    assert_eq!(code(r).await, (400, Some("InvalidArgument".into())));
    let r = send(&s, "GET", "/bk1?encoding-type=foo", &[], b"").await;
    assert_eq!(code(r).await, (400, Some("InvalidArgument".into())));
    let l = text(send(&s, "GET", "/bk1?prefix=a/&marker=a/1", &[], b"").await).await;
    assert_eq!(element(&l, "Key").as_deref(), Some("a/2"), "{l}");
    let r = send(&s, "GET", "/bk1?max-keys=x", &[], b"").await;
    assert_eq!(code(r).await.1.as_deref(), Some("InvalidArgument"));

    assert_eq!(code(send(&s, "DELETE", "/bk1", &[SIGNED], b"").await).await, (409, Some("BucketNotEmpty".into())));
    let del = "<Delete><Object><Key>a/1</Key></Object><Object><Key>a/2</Key><VersionId>null</VersionId></Object>\
               <Object><Key>c</Key></Object></Delete>";
    let r = send(&s, "POST", "/bk1?delete", &[SIGNED], del.as_bytes()).await;
    let body = text(r).await;
    assert_eq!(body.matches("<Deleted>").count(), 3, "{body}");
    assert_eq!(send(&s, "DELETE", "/bk1", &[SIGNED], b"").await.status(), 204);
    assert_eq!(
        code(send(&s, "GET", "/bk1?list-type=2", &[SIGNED], b"").await).await.1.as_deref(),
        Some("NoSuchBucket")
    );
}

#[tokio::test]
async fn cors_through_the_api_applies_to_the_next_request() {
    let s = server(&["--profile", "s3", "--bucket", "bk1"]);
    let r = send(&s, "GET", "/bk1?cors", &[SIGNED], b"").await;
    assert_eq!(r.status(), 404);
    let body = text(r).await;
    assert_eq!(element(&body, "Code").as_deref(), Some("NoSuchCORSConfiguration"));
    assert_eq!(element(&body, "BucketName").as_deref(), Some("bk1"));

    let pre = [("origin", "https://app.test"), ("access-control-request-method", "PUT")];
    let r = send(&s, "OPTIONS", "/bk1/k", &pre, b"").await;
    assert_eq!(r.status(), 403);
    let before: u64 = h(&r, VERSION_HEADER).unwrap().parse().unwrap();
    assert!(text(r).await.contains("CORS is not enabled for this bucket"));

    let bad = OPEN.replace("<AllowedMethod>PUT", "<AllowedMethod>get");
    let r = send(&s, "PUT", "/bk1?cors", &[SIGNED], bad.as_bytes()).await;
    assert_eq!(r.status(), 400);
    let body = text(r).await;
    assert_eq!(element(&body, "Code").as_deref(), Some("InvalidRequest"));
    assert_eq!(
        element(&body, "Message").as_deref(),
        Some("Found unsupported HTTP method in CORS config. Unsupported method is get")
    );
    let r = send(&s, "PUT", "/bk1?cors", &[SIGNED, ("content-md5", &md5_b64(b"other"))], OPEN.as_bytes()).await;
    assert_eq!(code(r).await, (400, Some("BadDigest".into())));
    let r = send(&s, "PUT", "/bk1?cors", &[SIGNED, ("content-md5", "nope")], OPEN.as_bytes()).await;
    assert_eq!(code(r).await, (400, Some("InvalidDigest".into())));
    assert_eq!(code(send(&s, "PUT", "/bk1?cors", &[], OPEN.as_bytes()).await).await.1.as_deref(), Some("AccessDenied"));

    let r = send(&s, "PUT", "/bk1?cors", &[SIGNED, ("content-md5", &md5_b64(OPEN.as_bytes()))], OPEN.as_bytes()).await;
    assert_eq!(r.status(), 200);
    let installed: u64 = h(&r, VERSION_HEADER).unwrap().parse().unwrap();
    assert!(installed > before);
    let r = send(&s, "OPTIONS", "/bk1/k", &pre, b"").await;
    assert_eq!(r.status(), 200);
    assert_eq!(h(&r, VERSION_HEADER), Some(installed.to_string().as_str()));
    assert_eq!(h(&r, "access-control-allow-origin"), Some("https://app.test"));

    // Error responses of the storage carry the CORS headers the engine decided.
    let r = send(&s, "GET", "/bk1/missing", &[("origin", "https://app.test")], b"").await;
    assert_eq!(r.status(), 403, "private bucket, anonymous");
    assert_eq!(h(&r, "access-control-allow-origin"), Some("https://app.test"));
    assert_eq!(h(&r, "access-control-expose-headers"), Some("ETag"));
    let r = send(&s, "GET", "/bk1/missing", &[SIGNED, ("origin", "https://app.test")], b"").await;
    assert_eq!(r.status(), 404);
    assert_eq!(h(&r, "access-control-allow-origin"), Some("https://app.test"));
    assert_eq!(element(&text(r).await, "Key").as_deref(), Some("missing"));

    let r = send(&s, "GET", "/bk1?cors", &[SIGNED], b"").await;
    assert_eq!(h(&r, VERSION_HEADER), Some(installed.to_string().as_str()));
    let doc = text(r).await;
    assert!(doc.contains("<AllowedOrigin>https://app.test</AllowedOrigin><AllowedMethod>GET</AllowedMethod>"), "{doc}");

    let r = send(&s, "DELETE", "/bk1?cors", &[SIGNED], b"").await;
    assert_eq!(r.status(), 204);
    assert_eq!(send(&s, "OPTIONS", "/bk1/k", &pre, b"").await.status(), 403);
    assert_eq!(send(&s, "DELETE", "/bk1?cors", &[SIGNED], b"").await.status(), 204, "with or without one");

    // A preflight to a bucket that does not exist is the provider's answer.
    let r = send(&s, "OPTIONS", "/nope/k", &pre, b"").await;
    assert_eq!(r.status(), 403);
    assert!(text(r).await.contains("CORSResponse: Bucket not found"));
}

#[tokio::test]
async fn oss_cors_document_lowercases_allowed_headers_and_names_response_vary() {
    let s = server(&["--bucket", "bk1"]);
    let doc = "<CORSConfiguration><CORSRule><AllowedOrigin>*</AllowedOrigin><AllowedMethod>GET</AllowedMethod>\
               <AllowedHeader>Authorization</AllowedHeader><AllowedHeader>Authorization</AllowedHeader>\
               <ExposeHeader>ETag</ExposeHeader></CORSRule></CORSConfiguration>";
    assert_eq!(send(&s, "PUT", "/bk1/?cors=", &[("authorization", "OSS ak:sig")], doc.as_bytes()).await.status(), 200);
    let got = text(send(&s, "GET", "/bk1/?cors=", &[("authorization", "OSS ak:sig")], b"").await).await;
    assert!(
        got.contains("<AllowedHeader>authorization</AllowedHeader><AllowedHeader>authorization</AllowedHeader>"),
        "{got}"
    );
    assert!(got.contains("<ExposeHeader>ETag</ExposeHeader>"));
    assert!(got.contains("<ResponseVary>false</ResponseVary>"));
    assert!(!got.contains("xmlns"), "oss2 reads no namespaced document");
    let r =
        send(&s, "OPTIONS", "/nope/k", &[("origin", "https://x.test"), ("access-control-request-method", "GET")], b"")
            .await;
    assert_eq!(code(r).await, (404, Some("NoSuchBucket".into())));
}

#[tokio::test]
async fn objects_round_trip() {
    let s = server(&["--profile", "s3", "--bucket", "bk1"]);
    let put = [
        SIGNED,
        ("content-type", "text/html"),
        ("x-amz-meta-author", "ann"),
        ("content-md5", &md5_b64(b"hello world")),
    ];
    let r = send(&s, "PUT", "/bk1/dir/a%20b.txt", &put, b"hello world").await;
    assert_eq!(r.status(), 200);
    assert_eq!(h(&r, "etag"), Some("\"5eb63bbbe01eeed093cb22bb8f5acdc3\""));
    let r = send(&s, "GET", "/bk1/dir/a%20b.txt", &[SIGNED, ("range", "bytes=6-")], b"").await;
    assert_eq!(r.status(), 206);
    assert_eq!(h(&r, "content-range"), Some("bytes 6-10/11"));
    assert_eq!(h(&r, "x-amz-meta-author"), Some("ann"));
    assert_eq!(h(&r, "x-content-type-options"), Some("nosniff"));
    assert!(h(&r, "content-security-policy").unwrap().contains("sandbox"));
    assert_eq!(text(r).await, "world");
    let r = send(&s, "GET", "/bk1/dir/a%20b.txt", &[SIGNED, ("range", "bytes=20-")], b"").await;
    assert_eq!(code(r).await, (416, Some("InvalidRange".into())));
    let r = send(&s, "HEAD", "/bk1/dir/a%20b.txt", &[SIGNED], b"").await;
    assert_eq!((r.status().as_u16(), h(&r, "content-length")), (200, Some("11")));
    assert_eq!(text(r).await, "");
    // The virtual-hosted form of the same object.
    let r = app(Arc::clone(&s))
        .oneshot(
            axum::http::Request::get("/dir/a%20b.txt")
                .header("host", "bk1.localhost:9")
                .header(SIGNED.0, SIGNED.1)
                .body(Body::empty())
                .unwrap(),
        )
        .await
        .unwrap();
    assert_eq!(text(r).await, "hello world");

    let r = send(&s, "PUT", "/bk1/k", &[SIGNED, ("content-md5", &md5_b64(b"other"))], b"x").await;
    assert_eq!(code(r).await, (400, Some("BadDigest".into())));
    let r = send(&s, "PUT", "/bk1/k", &[SIGNED, ("x-amz-checksum-crc32", "AAAAAA==")], b"x").await;
    assert_eq!(code(r).await, (400, Some("BadDigest".into())));
    let crc = base64::engine::general_purpose::STANDARD.encode(crc32fast::hash(b"x").to_be_bytes());
    let r = send(&s, "PUT", "/bk1/k", &[SIGNED, ("x-amz-checksum-crc32", &crc)], b"x").await;
    assert_eq!(h(&r, "x-amz-checksum-crc32"), Some(crc.as_str()));
    let chunked = b"1;chunk-signature=00\r\ny\r\n0\r\n\r\n";
    let r =
        send(&s, "PUT", "/bk1/c", &[SIGNED, ("x-amz-content-sha256", "STREAMING-UNSIGNED-PAYLOAD-TRAILER")], chunked)
            .await;
    assert_eq!(r.status(), 200);
    assert_eq!(text(send(&s, "GET", "/bk1/c", &[SIGNED], b"").await).await, "y");
    let long = format!("/bk1/{}", "k".repeat(1025));
    assert_eq!(code(send(&s, "PUT", &long, &[SIGNED], b"x").await).await.1.as_deref(), Some("KeyTooLongError"));
    assert_eq!(code(send(&s, "GET", "/bk1/%FF", &[SIGNED], b"").await).await.1.as_deref(), Some("InvalidObjectName"));
    assert_eq!(
        code(send(&s, "GET", "/bk1/k?tagging", &[SIGNED], b"").await).await,
        (501, Some("NotImplemented".into()))
    );
    assert_eq!(code(send(&s, "PATCH", "/bk1/k", &[SIGNED], b"").await).await.0, 405);
    assert_eq!(send(&s, "DELETE", "/bk1/dir/a%20b.txt", &[SIGNED], b"").await.status(), 204);
    assert_eq!(send(&s, "HEAD", "/bk1/dir/a%20b.txt", &[SIGNED], b"").await.status(), 404);
}

#[tokio::test]
async fn canned_acls_decide_anonymous_requests() {
    let s = server(&["--profile", "s3", "--bucket", "bk1"]);
    send(&s, "PUT", "/bk1/secret", &[SIGNED], b"s").await;
    send(&s, "PUT", "/bk1/open", &[SIGNED, ("x-amz-acl", "public-read")], b"o").await;
    assert_eq!(code(send(&s, "GET", "/bk1/secret", &[], b"").await).await, (403, Some("AccessDenied".into())));
    assert_eq!(send(&s, "GET", "/bk1/open", &[], b"").await.status(), 200);
    assert_eq!(code(send(&s, "GET", "/bk1/missing", &[], b"").await).await.1.as_deref(), Some("AccessDenied"));
    assert_eq!(code(send(&s, "PUT", "/bk1/new", &[], b"n").await).await.1.as_deref(), Some("AccessDenied"));
    assert_eq!(send(&s, "PUT", "/bk1?acl", &[SIGNED, ("x-amz-acl", "public-read-write")], b"").await.status(), 200);
    assert_eq!(send(&s, "PUT", "/bk1/new", &[], b"n").await.status(), 200);
    assert_eq!(code(send(&s, "GET", "/bk1/missing", &[], b"").await).await.1.as_deref(), Some("NoSuchKey"));
    let acl = text(send(&s, "GET", "/bk1?acl", &[SIGNED], b"").await).await;
    assert!(acl.contains("<Permission>WRITE</Permission>"), "{acl}");
    let r = send(&s, "PUT", "/bk1?acl", &[SIGNED, ("x-amz-acl", "everyone")], b"").await;
    assert_eq!(code(r).await.1.as_deref(), Some("InvalidArgument"));
}

#[tokio::test]
async fn multipart_uploads() {
    let s = server(&["--bucket", "bk1"]);
    let auth = ("authorization", "OSS ak:sig");
    let r = send(&s, "POST", "/bk1/big?uploads", &[auth], b"").await;
    let id = element(&text(r).await, "UploadId").unwrap();
    let part1 = vec![b'a'; 100 << 10];
    let r = send(&s, "PUT", &format!("/bk1/big?partNumber=1&uploadId={id}"), &[auth], &part1).await;
    let etag1 = h(&r, "etag").unwrap().to_string();
    let r = send(&s, "PUT", &format!("/bk1/big?partNumber=2&uploadId={id}"), &[auth], b"tail").await;
    let etag2 = h(&r, "etag").unwrap().to_string();
    let parts = text(send(&s, "GET", &format!("/bk1/big?uploadId={id}"), &[auth], b"").await).await;
    assert_eq!(parts.matches("<Part>").count(), 2, "{parts}");
    let complete = |a: (u32, &str), b: (u32, &str)| {
        format!(
            "<CompleteMultipartUpload><Part><PartNumber>{}</PartNumber><ETag>{}</ETag></Part>\
             <Part><PartNumber>{}</PartNumber><ETag>{}</ETag></Part></CompleteMultipartUpload>",
            a.0, a.1, b.0, b.1
        )
    };
    let uri = format!("/bk1/big?uploadId={id}");
    let r = send(&s, "POST", &uri, &[auth], complete((2, &etag2), (1, &etag1)).as_bytes()).await;
    assert_eq!(code(r).await.1.as_deref(), Some("InvalidPartOrder"));
    let r = send(&s, "POST", &uri, &[auth], complete((1, &etag1), (3, &etag2)).as_bytes()).await;
    assert_eq!(code(r).await.1.as_deref(), Some("InvalidPart"));
    let r = send(&s, "POST", &uri, &[auth], complete((1, &etag2), (2, &etag2)).as_bytes()).await;
    assert_eq!(code(r).await.1.as_deref(), Some("InvalidPart"), "wrong ETag");
    let r = send(&s, "POST", &uri, &[auth], complete((1, &etag1), (2, &etag2)).as_bytes()).await;
    assert_eq!(r.status(), 200);
    let header_etag = h(&r, "etag").map(str::to_string);
    let etag = element(&text(r).await, "ETag").unwrap();
    assert_eq!(header_etag.as_deref(), Some(etag.as_str()), "oss2 reads the header");
    assert!(etag.ends_with("-2\""), "{etag}");
    let r = send(&s, "GET", "/bk1/big", &[auth], b"").await;
    assert_eq!(h(&r, "x-oss-object-type"), Some("Multipart"));
    assert_eq!(text(r).await.len(), (100 << 10) + 4);
    assert_eq!(code(send(&s, "DELETE", &uri, &[auth], b"").await).await, (404, Some("NoSuchUpload".into())));

    // Parts other than the last must be the provider's minimum size.
    let r = send(&s, "POST", "/bk1/small?uploads", &[auth], b"").await;
    let id = element(&text(r).await, "UploadId").unwrap();
    let e1 = h(&send(&s, "PUT", &format!("/bk1/small?partNumber=1&uploadId={id}"), &[auth], b"a").await, "etag")
        .unwrap()
        .to_string();
    let e2 = h(&send(&s, "PUT", &format!("/bk1/small?partNumber=2&uploadId={id}"), &[auth], b"b").await, "etag")
        .unwrap()
        .to_string();
    let r =
        send(&s, "POST", &format!("/bk1/small?uploadId={id}"), &[auth], complete((1, &e1), (2, &e2)).as_bytes()).await;
    assert_eq!(code(r).await.1.as_deref(), Some("EntityTooSmall"));
    assert_eq!(send(&s, "DELETE", &format!("/bk1/small?uploadId={id}"), &[auth], b"").await.status(), 204);
    let r = send(&s, "PUT", &format!("/bk1/small?partNumber=0&uploadId={id}"), &[auth], b"a").await;
    assert_eq!(code(r).await.1.as_deref(), Some("InvalidArgument"));
}

/// S3's composite checksums, as the AWS SDK for JavaScript uses them since 3.729: an upload
/// created with `x-amz-checksum-algorithm` completes only when every part's checksum is named
/// (a browser names them only when CORS exposes `x-amz-checksum-crc32`).
#[tokio::test]
async fn multipart_checksums_must_be_named_when_the_upload_asked_for_them() {
    let s = server(&["--profile", "s3", "--bucket", "bk1"]);
    let b64 = |data: &[u8]| base64::engine::general_purpose::STANDARD.encode(body::checksum("crc32", data));
    let r = send(&s, "POST", "/bk1/big?uploads", &[SIGNED, ("x-amz-checksum-algorithm", "CRC32")], b"").await;
    assert_eq!((h(&r, "x-amz-checksum-algorithm"), h(&r, "x-amz-checksum-type")), (Some("CRC32"), Some("COMPOSITE")));
    let id = element(&text(r).await, "UploadId").unwrap();
    let part1 = vec![b'a'; 5 << 20];
    let sent = b64(&part1);
    let crc = [SIGNED, ("x-amz-checksum-crc32", sent.as_str())];
    let r = send(&s, "PUT", &format!("/bk1/big?partNumber=1&uploadId={id}"), &crc, &part1).await;
    assert_eq!(h(&r, "x-amz-checksum-crc32"), Some(sent.as_str()));
    let etag1 = h(&r, "etag").unwrap().to_string();
    // A part sent without a checksum gets the upload's, computed; another algorithm is refused.
    let r = send(&s, "PUT", &format!("/bk1/big?partNumber=2&uploadId={id}"), &[SIGNED], b"tail").await;
    let tail_crc = b64(b"tail");
    assert_eq!(h(&r, "x-amz-checksum-crc32"), Some(tail_crc.as_str()));
    let etag2 = h(&r, "etag").unwrap().to_string();
    let sha = base64::engine::general_purpose::STANDARD.encode(body::checksum("sha256", b"x"));
    let r = send(
        &s,
        "PUT",
        &format!("/bk1/big?partNumber=3&uploadId={id}"),
        &[SIGNED, ("x-amz-checksum-sha256", &sha)],
        b"x",
    )
    .await;
    let message = element(&text(r).await, "Message").unwrap();
    assert_eq!(message, "Checksum Type mismatch occurred, expected checksum Type: crc32, actual checksum Type: sha256");

    let uri = format!("/bk1/big?uploadId={id}");
    let part = |n: u32, etag: &str, crc: Option<&str>| {
        let crc = crc.map_or(String::new(), |c| format!("<ChecksumCRC32>{c}</ChecksumCRC32>"));
        format!("<Part><PartNumber>{n}</PartNumber><ETag>{etag}</ETag>{crc}</Part>")
    };
    let complete = |parts: &[String]| format!("<CompleteMultipartUpload>{}</CompleteMultipartUpload>", parts.concat());
    let without = complete(&[part(1, &etag1, None), part(2, &etag2, None)]);
    let r = send(&s, "POST", &uri, &[SIGNED], without.as_bytes()).await;
    assert_eq!(r.status(), 400);
    assert_eq!(
        element(&text(r).await, "Message").unwrap(),
        "The upload was created using a crc32 checksum. The complete request must include the checksum for each part. \
         It was missing for part 1 in the request."
    );
    let wrong = complete(&[part(1, &etag1, Some(&sent)), part(2, &etag2, Some(&sent))]);
    assert_eq!(code(send(&s, "POST", &uri, &[SIGNED], wrong.as_bytes()).await).await.1.as_deref(), Some("InvalidPart"));
    let named = complete(&[part(1, &etag1, Some(&sent)), part(2, &etag2, Some(&tail_crc))]);
    let r = send(&s, "POST", &uri, &[SIGNED], named.as_bytes()).await;
    assert_eq!(r.status(), 200);
    let body = text(r).await;
    let raw: Vec<u8> = [&part1[..], b"tail"].iter().flat_map(|p| body::checksum("crc32", p)).collect();
    let composite = format!("{}-2", b64_raw(&body::checksum("crc32", &raw)));
    assert_eq!(element(&body, "ChecksumCRC32"), Some(composite.clone()), "{body}");
    let r = send(&s, "GET", "/bk1/big", &[SIGNED, ("x-amz-checksum-mode", "ENABLED")], b"").await;
    assert_eq!(h(&r, "x-amz-checksum-crc32"), Some(composite.as_str()));

    // Without an algorithm nothing is required (boto3's low-level calls), and CRC64NVME,
    // which this endpoint does not compute, is a 501 rather than a wrong checksum.
    let r = send(&s, "POST", "/bk1/plain?uploads", &[SIGNED], b"").await;
    assert!(h(&r, "x-amz-checksum-algorithm").is_none());
    let r = send(&s, "POST", "/bk1/k?uploads", &[SIGNED, ("x-amz-checksum-algorithm", "CRC64NVME")], b"").await;
    assert_eq!(r.status(), 501);
    let r = send(&s, "POST", "/bk1/k?uploads", &[SIGNED, ("x-amz-checksum-algorithm", "MD5")], b"").await;
    assert_eq!(code(r).await.1.as_deref(), Some("InvalidRequest"));
}

fn b64_raw(data: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(data)
}

/// The AWS SDK's presigner (3.729 on) puts the CRC32 of an empty body in a presigned PUT's
/// query (`x-amz-checksum-crc32=AAAAAA==`). S3 ignores checksums in a presigned URL's query
/// (AWS's user guide; LocalStack ignores them likewise), so the upload of real bytes succeeds.
#[tokio::test]
async fn checksums_in_a_presigned_query_are_ignored() {
    let s = server(&["--profile", "s3", "--bucket", "bk1"]);
    let uri = "/bk1/p?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AK%2F20250101%2Fus-east-1%2Fs3%2Faws4_request\
               &X-Amz-Date=20250101T000000Z&X-Amz-Expires=600&X-Amz-SignedHeaders=host&X-Amz-Signature=00\
               &x-amz-checksum-crc32=AAAAAA%3D%3D&x-amz-sdk-checksum-algorithm=CRC32&x-id=PutObject";
    let r = send(&s, "PUT", uri, &[], b"not empty").await;
    assert_eq!(r.status(), 200);
    assert_eq!(text(send(&s, "GET", "/bk1/p", &[SIGNED], b"").await).await, "not empty");
}

/// `--record FILE`: one line per request, preflights paired with the operation they ask about.
#[tokio::test]
async fn record_writes_one_line_per_request() {
    let dir = std::env::temp_dir().join(format!("corsmatch-serve-record-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("record.jsonl");
    let config = dir.join("open.xml");
    std::fs::write(&config, OPEN).unwrap();
    let bucket = format!("bk1={}", config.display());
    let s = server(&["--profile", "s3", "--bucket", &bucket, "--record", file.to_str().unwrap()]);
    let pre = [
        ("origin", "https://app.test"),
        ("access-control-request-method", "PUT"),
        ("access-control-request-headers", "x-amz-date,authorization"),
    ];
    assert_eq!(send(&s, "OPTIONS", "/bk1/k?partNumber=1&uploadId=u", &pre, b"").await.status(), 200);
    let put = [SIGNED, ("origin", "https://app.test"), ("x-amz-date", "20250101T000000Z")];
    assert_eq!(send(&s, "PUT", "/bk1/k", &put, b"data").await.status(), 200);
    send(&s, "GET", "/_corsmatch/buckets", &[], b"").await;
    let evil = axum::http::Request::get("/bk1/k").header("host", "evil.test").body(Body::empty()).unwrap();
    assert_eq!(app(Arc::clone(&s)).oneshot(evil).await.unwrap().status(), 400);
    let lines: Vec<serde_json::Value> =
        std::fs::read_to_string(&file).unwrap().lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(lines.len(), 3, "the debug page's requests are not recorded: {lines:?}");
    let refused = &lines[2];
    assert_eq!((refused["operation"].is_null(), refused["status"].as_u64()), (true, Some(400)), "routed nowhere");
    let (p, a) = (&lines[0], &lines[1]);
    assert_eq!(
        (p["seq"].as_u64(), p["method"].as_str(), p["operation"].as_str()),
        (Some(1), Some("OPTIONS"), Some("Preflight"))
    );
    assert_eq!((p["preflight"].as_bool(), p["preflight_for"].as_str()), (Some(true), Some("UploadPart")));
    assert_eq!(p["query"], "partNumber=1&uploadId=u");
    assert_eq!((p["acrm"].as_str(), p["acrh"].as_str()), (Some("PUT"), Some("x-amz-date,authorization")));
    assert_eq!(p["status"], 200);
    let names = |v: &serde_json::Value| -> Vec<String> {
        v.as_array().unwrap().iter().map(|n| n.as_str().unwrap().to_string()).collect()
    };
    assert!(names(&p["response_headers"]).contains(&"access-control-allow-headers".to_string()));
    assert_eq!(
        (a["operation"].as_str(), a["preflight"].as_bool(), a["preflight_for"].as_str()),
        (Some("PutObject"), Some(false), None)
    );
    assert_eq!(
        (a["path"].as_str(), a["query"].as_str(), a["origin"].as_str()),
        (Some("/bk1/k"), None, Some("https://app.test"))
    );
    assert_eq!(names(&a["request_headers"]), ["host", "authorization", "origin", "x-amz-date"]);
    let response = names(&a["response_headers"]);
    for expected in
        ["etag", "access-control-allow-origin", "access-control-expose-headers", VERSION_HEADER, "x-amz-request-id"]
    {
        assert!(response.contains(&expected.to_string()), "{expected} in {response:?}");
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

#[tokio::test]
async fn post_object_form() {
    let s = server(&["--bucket", "bk1", "--bucket-acl", "public-read-write"]);
    let body = "--XyZ\r\nContent-Disposition: form-data; name=\"key\"\r\n\r\nuploads/${filename}\r\n\
                --XyZ\r\nContent-Disposition: form-data; name=\"x-oss-meta-tag\"\r\n\r\nblue\r\n\
                --XyZ\r\nContent-Disposition: form-data; name=\"success_action_status\"\r\n\r\n201\r\n\
                --XyZ\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.txt\"\r\n\
                Content-Type: text/plain\r\n\r\nline1\r\n--not-the-boundary\r\n--XyZ--\r\n";
    let ct = ("content-type", "multipart/form-data; boundary=\"XyZ\"");
    let r = send(&s, "POST", "/bk1", &[ct], body.as_bytes()).await;
    assert_eq!(r.status(), 201);
    assert_eq!(element(&text(r).await, "Key").as_deref(), Some("uploads/a.txt"));
    let r = send(&s, "GET", "/bk1/uploads/a.txt", &[], b"").await;
    assert_eq!(h(&r, "content-type"), Some("text/plain"));
    assert_eq!(h(&r, "x-oss-meta-tag"), Some("blue"));
    assert_eq!(text(r).await, "line1\r\n--not-the-boundary");
    for bad in ["--XyZ\r\nContent-Disposition: form-data; name=\"key\"\r\n\r\nk", "nothing", "--XyZ--"] {
        let r = send(&s, "POST", "/bk1", &[ct], bad.as_bytes()).await;
        assert_eq!(r.status(), 400, "{bad:?}");
    }
    let r = send(&s, "POST", "/bk1", &[("content-type", "application/x-www-form-urlencoded")], b"key=k&file=x").await;
    assert_eq!(code(r).await, (412, Some("PreconditionFailed".into())));
    let private = server(&["--bucket", "bk1"]);
    assert_eq!(
        code(send(&private, "POST", "/bk1", &[ct], body.as_bytes()).await).await.1.as_deref(),
        Some("AccessDenied")
    );
}

#[tokio::test]
async fn host_is_checked_and_odd_requests_get_errors() {
    let s = server(&[]);
    for host in ["evil.example:9", "127.0.0.1:10", "localhost", ""] {
        let r = app(Arc::clone(&s))
            .oneshot(axum::http::Request::get("/example/k").header("host", host).body(Body::empty()).unwrap())
            .await
            .unwrap();
        assert_eq!(r.status(), 400, "{host}");
    }
    for host in ["localhost:9", "[::1]:9", "example.localhost:9", "127.0.0.1:9"] {
        let r = app(Arc::clone(&s))
            .oneshot(axum::http::Request::get("/_corsmatch/buckets").header("host", host).body(Body::empty()).unwrap())
            .await
            .unwrap();
        assert_eq!(r.status(), 200, "{host}");
    }
    let connect = axum::http::Request::builder().method("CONNECT").uri("example.com:80").header("host", HOST);
    let r = app(Arc::clone(&s)).oneshot(connect.body(Body::empty()).unwrap()).await.unwrap();
    assert_eq!(r.status(), 405);
    assert_eq!(send(&s, "OPTIONS", "/", &[("origin", "https://x.test")], b"").await.status(), 405);
    // An answer that leaves the body unread says the connection ends with it.
    let r = send(&s, "PUT", "/example?cors", &[], b"<CORSConfiguration/>").await;
    assert_eq!((r.status().as_u16(), h(&r, "connection")), (403, Some("close")));
    let r = send(&s, "GET", "/example/k", &[], b"").await;
    assert_eq!(h(&r, "connection"), None);
}

#[tokio::test]
async fn bucket_files_are_reloaded_and_rewritten() {
    let dir = std::env::temp_dir().join(format!("corsmatch-serve-files-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("cors.xml");
    std::fs::write(&file, OPEN).unwrap();
    let arg = format!("bk1={}", file.display());
    let s = server(&["--profile", "s3", "--bucket", &arg]);
    let bucket = s.store.bucket("bk1").unwrap();
    let pre = [("origin", "https://app.test"), ("access-control-request-method", "PUT")];
    assert_eq!(send(&s, "OPTIONS", "/bk1/k", &pre, b"").await.status(), 200);

    let get_only = OPEN.replace("<AllowedMethod>PUT</AllowedMethod>", "");
    std::fs::write(&file, &get_only).unwrap();
    cors::poll_file(&s, &bucket, &file);
    assert_eq!(send(&s, "OPTIONS", "/bk1/k", &pre, b"").await.status(), 403);
    let version = bucket.cors().version;

    std::fs::write(&file, "<CORSConfiguration><CORSRule>").unwrap();
    cors::poll_file(&s, &bucket, &file);
    assert_eq!(bucket.cors().version, version, "an invalid file keeps the rules");
    let c = text(send(&s, "GET", "/_corsmatch/config?bucket=bk1", &[], b"").await).await;
    assert!(c.contains("MalformedXML"), "{c}");

    assert_eq!(send(&s, "PUT", "/bk1?cors", &[SIGNED], OPEN.as_bytes()).await.status(), 200);
    assert_eq!(std::fs::read_to_string(&file).unwrap(), OPEN, "PutBucketCors rewrites the file");
    cors::poll_file(&s, &bucket, &file);
    assert_eq!(send(&s, "OPTIONS", "/bk1/k", &pre, b"").await.status(), 200);
    assert_eq!(send(&s, "DELETE", "/bk1?cors", &[SIGNED], b"").await.status(), 204);
    assert_eq!(std::fs::read_to_string(&file).unwrap(), "");
    cors::poll_file(&s, &bucket, &file);
    assert!(bucket.cors().document.is_none());
    std::fs::remove_dir_all(&dir).unwrap();
}

#[tokio::test]
async fn data_survives_a_restart() {
    let dir = std::env::temp_dir().join(format!("corsmatch-serve-data-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let data = dir.display().to_string();
    {
        let s = server(&["--profile", "s3", "--data", &data]);
        send(&s, "PUT", "/kept", &[SIGNED, ("x-amz-acl", "public-read")], b"").await;
        send(&s, "PUT", "/kept?cors", &[SIGNED], OPEN.as_bytes()).await;
        send(&s, "PUT", "/kept/k", &[SIGNED, ("x-amz-meta-a", "1")], b"bytes").await;
        send(&s, "PUT", "/kept/gone", &[SIGNED], b"x").await;
        send(&s, "DELETE", "/kept/gone", &[SIGNED], b"").await;
    }
    let s = server(&["--profile", "s3", "--data", &data]);
    assert!(s.store.bucket("example").is_some(), "the example bucket was kept too");
    let r = send(&s, "GET", "/kept/k", &[], b"").await;
    assert_eq!(r.status(), 403, "objects stay private");
    let r = send(&s, "GET", "/kept/k", &[SIGNED], b"").await;
    assert_eq!(h(&r, "x-amz-meta-a"), Some("1"));
    assert_eq!(text(r).await, "bytes");
    assert_eq!(send(&s, "GET", "/kept/gone", &[SIGNED], b"").await.status(), 404);
    let pre = [("origin", "https://app.test"), ("access-control-request-method", "PUT")];
    assert_eq!(send(&s, "OPTIONS", "/kept/k", &pre, b"").await.status(), 200);
    drop(s);

    // Named on the command line with a file, a kept bucket keeps its objects and takes the file.
    let file = dir.join("cors.xml");
    std::fs::write(&file, OPEN.replace("<AllowedMethod>PUT</AllowedMethod>", "")).unwrap();
    let arg = format!("kept={}", file.display());
    let s = server(&["--profile", "s3", "--data", &data, "--bucket", &arg]);
    assert_eq!(text(send(&s, "GET", "/kept/k", &[SIGNED], b"").await).await, "bytes");
    assert_eq!(send(&s, "OPTIONS", "/kept/k", &pre, b"").await.status(), 403, "the file's rules");
    assert!(s.store.bucket("kept").unwrap().file.is_some());
    std::fs::remove_dir_all(&dir).unwrap();
}

#[tokio::test]
async fn the_log_keeps_short_values_and_is_paged() {
    let s = server(&[]);
    let origin = format!("https://{}.test", "a".repeat(5000));
    for _ in 0..(limits::LOG_PAGE + 5) {
        send(&s, "GET", "/example/k", &[("origin", &origin)], b"").await;
    }
    let page: serde_json::Value =
        serde_json::from_str(&text(send(&s, "GET", "/_corsmatch/log", &[], b"").await).await).unwrap();
    let page = page.as_array().unwrap();
    assert_eq!(page.len(), limits::LOG_PAGE);
    assert!(page[0]["origin"].as_str().unwrap().len() <= limits::LOG_VALUE_BYTES + 4);
    assert_eq!(page[0]["bucket"], "example");
    let tail: serde_json::Value =
        serde_json::from_str(&text(send(&s, "GET", "/_corsmatch/log?tail=3", &[], b"").await).await).unwrap();
    assert_eq!(tail.as_array().unwrap().len(), 3);
    let r = send(
        &s,
        "GET",
        "/_corsmatch/explain?bucket=example&method=OPTIONS&origin=https%3A%2F%2Fa.example.com&acrm=PUT&acrh=x-secret",
        &[("origin", "https://www.example.com")],
        b"",
    )
    .await;
    assert!(h(&r, "access-control-allow-origin").is_none(), "the debug API has no CORS");
    let e: serde_json::Value = serde_json::from_str(&text(r).await).unwrap();
    assert_eq!(e["rules"][0]["result"], "header");
    assert_eq!(e["response"]["status"], 403);
}

#[tokio::test]
async fn debug_doctor_replays_an_sdk_against_a_bucket() {
    let s = server(&["--profile", "s3"]);
    let get = |q: &str| format!("/_corsmatch/doctor?bucket=example&{q}");
    let r = send(&s, "GET", &get("sdk=aws-js-v3&origin=https%3A%2F%2Fwww.example.com"), &[], b"").await;
    assert_eq!(r.status(), 200);
    let v: serde_json::Value = serde_json::from_str(&text(r).await).unwrap();
    assert_eq!(v["sdk"], "aws-js-v3");
    assert_eq!(v["operations"].as_array().unwrap().len(), 8);
    // The shipped S3 example is written for the AWS SDK: every operation works from its origin.
    assert!(v["operations"].as_array().unwrap().iter().all(|o| o["ok"] == true), "{v}");
    assert_eq!(v["fixed_config"], serde_json::Value::Null);
    for bad in
        ["sdk=boto3&origin=https%3A%2F%2Fa.test", "sdk=aws-js-v3&origin=https%3A%2F%2Fa.test%2F", "sdk=aws-js-v3"]
    {
        let r = send(&s, "GET", &get(bad), &[], b"").await;
        assert_eq!(r.status(), 400, "{bad}");
        let v: serde_json::Value = serde_json::from_str(&text(r).await).unwrap();
        assert!(v["error"].is_string(), "{bad}");
    }
}

#[tokio::test]
async fn bucket_files_in_other_forms_are_read_and_never_overwritten() {
    let dir = std::env::temp_dir().join(format!("corsmatch-serve-forms-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let data = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../core/tests/data/formats");
    let console = dir.join("cors.json");
    std::fs::copy(data.join("console.json"), &console).unwrap();
    let plan = dir.join("plan.json");
    std::fs::copy(data.join("plan.json"), &plan).unwrap();
    let (a, b) = (format!("console={}", console.display()), format!("uploads={}", plan.display()));
    let s = server(&["--profile", "s3", "--bucket", &a, "--bucket", &b]);
    let get = [("origin", "https://www.example.com"), ("access-control-request-method", "GET")];
    for bucket in ["console", "uploads"] {
        let r = send(&s, "OPTIONS", &format!("/{bucket}/k"), &get, b"").await;
        assert_eq!(r.status(), 200, "{bucket}");
        let xml = text(send(&s, "GET", &format!("/{bucket}?cors"), &[SIGNED], b"").await).await;
        assert!(xml.contains("<AllowedOrigin>https://www.example.com</AllowedOrigin>"), "{bucket}: {xml}");
    }

    // PutBucketCors installs the rules but leaves the user's JSON as it is.
    let before = std::fs::read(&console).unwrap();
    assert_eq!(send(&s, "PUT", "/console?cors", &[SIGNED], OPEN.as_bytes()).await.status(), 200);
    assert_eq!(std::fs::read(&console).unwrap(), before, "a JSON file is not overwritten with XML");
    let app = [("origin", "https://app.test"), ("access-control-request-method", "PUT")];
    assert_eq!(send(&s, "OPTIONS", "/console/k", &app, b"").await.status(), 200);

    // An edit of the JSON is reloaded; an invalid one keeps the rules and says why.
    let bucket = s.store.bucket("console").unwrap();
    std::fs::write(&console, r#"[{"AllowedOrigins": ["https://app.test"], "AllowedMethods": ["GET"]}]"#).unwrap();
    cors::poll_file(&s, &bucket, &console);
    assert_eq!(send(&s, "OPTIONS", "/console/k", &app, b"").await.status(), 403);
    let version = bucket.cors().version;
    std::fs::write(&console, r#"[{"AllowedOrigins": ["https://app.test"], "AllowedMethods": ["GET"]"#).unwrap();
    cors::poll_file(&s, &bucket, &console);
    assert_eq!(bucket.cors().version, version, "an invalid file keeps the rules");
    let c = text(send(&s, "GET", "/_corsmatch/config?bucket=console", &[], b"").await).await;
    assert!(c.contains("NotAConfiguration"), "{c}");
    std::fs::write(&console, r#"[{"AllowedOrigins": ["https://app.test"], "AllowedMethods": ["COPY"]}]"#).unwrap();
    cors::poll_file(&s, &bucket, &console);
    let c = text(send(&s, "GET", "/_corsmatch/config?bucket=console", &[], b"").await).await;
    assert!(c.contains("COPY"), "the tool's or the provider's refusal is named: {c}");
    assert_eq!(bucket.cors().version, version);
    std::fs::remove_dir_all(&dir).unwrap();
}
