//! The `http` adapters and the tower layer (`cargo test -p corsmatch --features tower --test http`).
#![cfg(feature = "tower")]

mod common;

use std::convert::Infallible;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Wake, Waker};

use corsmatch::http::{apply, merge_vary, preflight_response, CorsLayer, Lookup, RequestHeaders, NON_UTF8_ORIGIN};
use corsmatch::render::HEADER_ORDER;
use corsmatch::{ErrorResponse, Profile, Response, RuleSet, Scratch, Target};
use http::header::{HeaderMap, HeaderValue};
use http::request::Parts;
use http_body::Body;
use tower_layer::Layer;
use tower_service::Service;

// ---------------------------------------------------------------------------------------
// A tiny executor and an inner service, so that the tests need no runtime.

struct NoopWake;
impl Wake for NoopWake {
    fn wake(self: Arc<Self>) {}
}

fn block_on<F: Future>(f: F) -> F::Output {
    let waker = Waker::from(Arc::new(NoopWake));
    let mut cx = Context::from_waker(&waker);
    let mut f = std::pin::pin!(f);
    loop {
        if let Poll::Ready(v) = f.as_mut().poll(&mut cx) {
            return v;
        }
    }
}

fn body_bytes<B: Body<Data = bytes::Bytes> + Unpin>(mut body: B) -> Vec<u8>
where
    B::Error: std::fmt::Debug,
{
    let mut out = Vec::new();
    block_on(std::future::poll_fn(|cx| loop {
        match Pin::new(&mut body).poll_frame(cx) {
            Poll::Pending => return Poll::Pending,
            Poll::Ready(None) => return Poll::Ready(()),
            Poll::Ready(Some(frame)) => {
                if let Ok(data) = frame.expect("body error").into_data() {
                    out.extend_from_slice(&data);
                }
            }
        }
    }));
    out
}

/// The storage server: answers every request with `status`, its own headers and "stored",
/// and counts the requests it saw.
#[derive(Clone)]
struct Storage {
    calls: Arc<AtomicUsize>,
    status: u16,
    headers: Vec<(&'static str, &'static str)>,
}

impl Storage {
    fn new(status: u16) -> Storage {
        Storage { calls: Arc::new(AtomicUsize::new(0)), status, headers: Vec::new() }
    }
}

impl<B> Service<http::Request<B>> for Storage {
    type Response = http::Response<String>;
    type Error = Infallible;
    type Future = std::future::Ready<Result<http::Response<String>, Infallible>>;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, _: http::Request<B>) -> Self::Future {
        self.calls.fetch_add(1, Ordering::SeqCst);
        let mut r = http::Response::new("stored".to_string());
        *r.status_mut() = http::StatusCode::from_u16(self.status).unwrap();
        for (n, v) in &self.headers {
            r.headers_mut().append(*n, HeaderValue::from_static(v));
        }
        std::future::ready(Ok(r))
    }
}

const UPLOAD: &[u8] = br#"<CORSConfiguration>
  <CORSRule>
    <AllowedOrigin>https://*.example.com</AllowedOrigin>
    <AllowedMethod>PUT</AllowedMethod>
    <AllowedMethod>GET</AllowedMethod>
    <AllowedHeader>content-type</AllowedHeader>
    <AllowedHeader>x-oss-meta-*</AllowedHeader>
    <ExposeHeader>ETag</ExposeHeader>
    <MaxAgeSeconds>600</MaxAgeSeconds>
  </CORSRule>
  <CORSRule>
    <AllowedOrigin>*</AllowedOrigin>
    <AllowedMethod>GET</AllowedMethod>
  </CORSRule>
  <ResponseVary>true</ResponseVary>
</CORSConfiguration>"#;

fn upload_rules(profile: Profile) -> RuleSet {
    let xml = if profile == Profile::S3 {
        String::from_utf8(UPLOAD.to_vec()).unwrap().replace("<ResponseVary>true</ResponseVary>", "")
    } else {
        String::from_utf8(UPLOAD.to_vec()).unwrap()
    };
    RuleSet::from_xml(xml.as_bytes(), profile).unwrap()
}

fn parts(method: &str, uri: &str, headers: &[(&str, &[u8])]) -> Parts {
    let mut b = http::Request::builder().method(method).uri(uri);
    for (n, v) in headers {
        b = b.header(*n, HeaderValue::from_bytes(v).unwrap());
    }
    b.body(()).unwrap().into_parts().0
}

fn request(method: &str, uri: &str, headers: &[(&str, &str)]) -> http::Request<()> {
    let mut b = http::Request::builder().method(method).uri(uri);
    for (n, v) in headers {
        b = b.header(*n, *v);
    }
    b.body(()).unwrap()
}

fn header<'a>(map: &'a HeaderMap, name: &str) -> Option<&'a str> {
    map.get(name).map(|v| v.to_str().unwrap())
}

// ---------------------------------------------------------------------------------------
// RequestHeaders

#[test]
fn request_headers_are_read_and_acrh_lines_joined() {
    let p = parts(
        "OPTIONS",
        "/k",
        &[
            ("origin", b"https://a.example.com"),
            ("access-control-request-method", b"PUT"),
            ("access-control-request-headers", b"X-OSS-Meta-A, content-type"),
            ("access-control-request-headers", b"x-oss-meta-b"),
        ],
    );
    let h = RequestHeaders::from_parts(&p);
    assert_eq!(h.method(), "OPTIONS");
    assert_eq!(h.origin(), Some("https://a.example.com"));
    assert_eq!(h.acrm(), Some("PUT"));
    assert_eq!(h.acrh(), Some("X-OSS-Meta-A, content-type,x-oss-meta-b"));
    let rules = upload_rules(Profile::Oss);
    let mut scratch = Scratch::new();
    let d = rules.evaluate(&h.request(Target::Object), &mut scratch);
    assert_eq!(d.status, Some(200));
    assert_eq!(d.values[2], Some("x-oss-meta-a, content-type, x-oss-meta-b"));

    // A header line that a rule refuses, on the second line, is still seen.
    let p = parts(
        "OPTIONS",
        "/k",
        &[
            ("origin", b"https://a.example.com"),
            ("access-control-request-method", b"PUT"),
            ("access-control-request-headers", b"content-type"),
            ("access-control-request-headers", b"x-secret"),
        ],
    );
    let h = RequestHeaders::from_parts(&p);
    let d = rules.evaluate(&h.request(Target::Object), &mut scratch);
    assert_eq!(d.status, Some(403));
}

#[test]
fn absent_and_empty_headers_differ() {
    let p = parts("GET", "/k", &[]);
    let h = RequestHeaders::from_parts(&p);
    assert_eq!((h.origin(), h.acrm(), h.acrh()), (None, None, None));
    let p = parts("OPTIONS", "/k", &[("origin", b""), ("access-control-request-headers", b"")]);
    let h = RequestHeaders::from_parts(&p);
    assert_eq!((h.origin(), h.acrm(), h.acrh()), (Some(""), None, Some("")));
}

#[test]
fn first_origin_and_acrm_line_wins() {
    let p = parts(
        "OPTIONS",
        "/k",
        &[
            ("origin", b"https://a.example.com"),
            ("origin", b"https://evil.test"),
            ("access-control-request-method", b"PUT"),
            ("access-control-request-method", b"DELETE"),
        ],
    );
    let h = RequestHeaders::from_parts(&p);
    assert_eq!(h.origin(), Some("https://a.example.com"));
    assert_eq!(h.acrm(), Some("PUT"));
}

#[test]
fn non_utf8_origin_matches_only_the_wildcard() {
    let origin: &[u8] = b"https://\xff.example.com";
    let rules = upload_rules(Profile::Oss);
    let mut scratch = Scratch::new();
    // PUT: only the specific-origin rule allows it, whose glob would match these bytes.
    let p = parts("OPTIONS", "/k", &[("origin", origin), ("access-control-request-method", b"PUT")]);
    let h = RequestHeaders::from_parts(&p);
    assert_eq!(h.origin(), Some(NON_UTF8_ORIGIN));
    let d = rules.evaluate(&h.request(Target::Object), &mut scratch);
    assert_eq!(d.status, Some(403));
    assert_eq!(d.refused.unwrap().code, "AccessForbidden");
    // GET: the `*` rule allows it, and `*` is sent back, never the bytes.
    let p = parts("OPTIONS", "/k", &[("origin", origin), ("access-control-request-method", b"GET")]);
    let h = RequestHeaders::from_parts(&p);
    let d = rules.evaluate(&h.request(Target::Object), &mut scratch);
    assert_eq!(d.status, Some(200));
    assert_eq!(d.rule, Some(1));
    assert_eq!(d.values[0], Some("*"));
    // An actual request from it gets no rule's headers (only OSS's Vary).
    let p = parts("PUT", "/k", &[("origin", origin)]);
    let h = RequestHeaders::from_parts(&p);
    let d = rules.evaluate(&h.request(Target::Object), &mut scratch);
    assert_eq!(d.rule, None);
    assert_eq!(d.headers().collect::<Vec<_>>(), vec![("Vary", "Origin")]);
}

#[test]
fn non_utf8_acrm_and_acrh_are_decoded_lossily() {
    let rules = upload_rules(Profile::Oss);
    let mut scratch = Scratch::new();
    let p =
        parts("OPTIONS", "/k", &[("origin", b"https://a.example.com"), ("access-control-request-method", b"P\xffT")]);
    let h = RequestHeaders::from_parts(&p);
    assert_eq!(h.acrm(), Some("P\u{fffd}T"));
    let d = rules.evaluate(&h.request(Target::Object), &mut scratch);
    assert_eq!(d.status, Some(400));
    assert_eq!(d.refused.unwrap().message, "Invalid Access-Control-Request-Method: P\u{fffd}T");

    let p = parts(
        "OPTIONS",
        "/k",
        &[
            ("origin", b"https://a.example.com"),
            ("access-control-request-method", b"PUT"),
            ("access-control-request-headers", b"x-oss-meta-\xe9t\xe9"),
        ],
    );
    let h = RequestHeaders::from_parts(&p);
    let d = rules.evaluate(&h.request(Target::Object), &mut scratch);
    assert_eq!(d.status, Some(200), "the glob x-oss-meta-* allows it");
    let resp = preflight_response(&d);
    assert_eq!(resp.headers()["access-control-allow-headers"].as_bytes(), "x-oss-meta-\u{fffd}t\u{fffd}".as_bytes());
}

// ---------------------------------------------------------------------------------------
// Writing headers

#[test]
fn vary_is_merged() {
    let v = |s: &'static str| HeaderValue::from_static(s);
    let mut m = HeaderMap::new();
    merge_vary(&mut m, &v("Origin"));
    assert_eq!(header(&m, "vary"), Some("Origin"));

    let mut m = HeaderMap::new();
    m.insert("vary", v("Accept-Encoding"));
    merge_vary(&mut m, &v("Origin, Access-Control-Request-Headers, Access-Control-Request-Method"));
    assert_eq!(
        header(&m, "vary"),
        Some("Accept-Encoding, Origin, Access-Control-Request-Headers, Access-Control-Request-Method")
    );

    let mut m = HeaderMap::new();
    m.append("vary", v("accept-encoding, origin"));
    m.append("vary", v("Accept-Language"));
    merge_vary(&mut m, &v("Origin"));
    assert_eq!(m.get_all("vary").iter().count(), 1);
    assert_eq!(header(&m, "vary"), Some("accept-encoding, origin, Accept-Language"));

    let mut m = HeaderMap::new();
    m.insert("vary", v("*"));
    merge_vary(&mut m, &v("Origin"));
    assert_eq!(header(&m, "vary"), Some("*"));

    let mut m = HeaderMap::new();
    m.insert("vary", v("Origin"));
    merge_vary(&mut m, &v("origin"));
    assert_eq!(header(&m, "vary"), Some("Origin"));
}

#[test]
fn apply_replaces_cors_headers_and_keeps_others() {
    let rules = upload_rules(Profile::S3);
    let mut scratch = Scratch::new();
    let req = corsmatch::Request::new("GET", Some("https://a.example.com"));
    let d = rules.evaluate(&req, &mut scratch);
    let mut m = HeaderMap::new();
    m.insert("access-control-allow-origin", HeaderValue::from_static("https://stale.example"));
    m.insert("etag", HeaderValue::from_static("\"abc\""));
    m.insert("vary", HeaderValue::from_static("Accept-Encoding"));
    apply(&d, &mut m);
    assert_eq!(m.get_all("access-control-allow-origin").iter().count(), 1);
    assert_eq!(header(&m, "access-control-allow-origin"), Some("https://a.example.com"));
    assert_eq!(header(&m, "access-control-allow-methods"), Some("PUT, GET"));
    assert_eq!(header(&m, "access-control-expose-headers"), Some("ETag"));
    assert_eq!(header(&m, "access-control-max-age"), Some("600"));
    assert_eq!(header(&m, "access-control-allow-credentials"), Some("true"));
    assert_eq!(header(&m, "etag"), Some("\"abc\""));
    assert_eq!(
        header(&m, "vary"),
        Some("Accept-Encoding, Origin, Access-Control-Request-Headers, Access-Control-Request-Method")
    );
}

#[test]
fn preflight_responses_carry_length_type_and_body() {
    let rules = upload_rules(Profile::S3);
    let mut scratch = Scratch::new();
    let ok = corsmatch::Request::preflight(Some("https://a.example.com"), Some("PUT"), None);
    let r = preflight_response(&rules.evaluate(&ok, &mut scratch));
    assert_eq!(r.status(), 200);
    assert_eq!(header(r.headers(), "content-length"), Some("0"));
    assert_eq!(header(r.headers(), "content-type"), None);
    assert!(r.body().is_empty());

    let mut denied = corsmatch::Request::preflight(Some("https://a.example.com"), Some("DELETE"), None);
    denied.request_id = Some("REQ1");
    let d = rules.evaluate(&denied, &mut scratch);
    let want_body = d.refused.unwrap().body.to_string();
    let r = preflight_response(&d);
    assert_eq!(r.status(), 403);
    assert_eq!(header(r.headers(), "content-type"), Some("application/xml"));
    assert_eq!(header(r.headers(), "content-length"), Some(want_body.len().to_string().as_str()));
    assert_eq!(r.body().as_ref(), want_body.as_bytes());
    assert!(want_body.contains("<Code>AccessForbidden</Code>"));
    assert!(want_body.contains("<Method>DELETE</Method><ResourceType>OBJECT</ResourceType><RequestId>REQ1</RequestId>"));
    assert!(r.headers().keys().all(|k| !k.as_str().starts_with("access-control-")));
}

// ---------------------------------------------------------------------------------------
// The layer

type Seen = Arc<Mutex<Vec<(String, Option<String>, Option<usize>, Option<u16>)>>>;

fn layer_over(
    storage: Storage,
    rules: RuleSet,
) -> (
    impl Service<http::Request<()>, Response = http::Response<corsmatch::http::CorsBody<String>>, Error = Infallible>,
    Seen,
) {
    let seen: Seen = Arc::default();
    let log = seen.clone();
    let layer = CorsLayer::new(move |p: &Parts| match p.uri.path() {
        "/healthz" => None,
        "/" => Some(Lookup::bucket(rules.clone())),
        path if path.starts_with("/missing/") => Some(Lookup::missing_bucket(rules.profile())),
        _ => Some(Lookup::object(rules.clone()).with_request_id("RID-7").with_host_id("host-1")),
    })
    .on_decision(move |parts, req, d| {
        log.lock().unwrap().push((parts.uri.path().to_string(), req.acrh.map(str::to_string), d.rule, d.status));
    });
    (layer.layer(storage), seen)
}

#[test]
fn layer_answers_preflights_without_the_inner_service() {
    let storage = Storage::new(200);
    let calls = storage.calls.clone();
    let (mut svc, seen) = layer_over(storage, upload_rules(Profile::Oss));
    let req = request(
        "OPTIONS",
        "/photo.jpg",
        &[
            ("Origin", "https://www.example.com"),
            ("Access-Control-Request-Method", "PUT"),
            ("Access-Control-Request-Headers", "content-type,x-oss-meta-author"),
        ],
    );
    let r = block_on(svc.call(req)).unwrap();
    assert_eq!(r.status(), 200);
    let h = r.headers();
    assert_eq!(header(h, "access-control-allow-origin"), Some("https://www.example.com"));
    assert_eq!(header(h, "access-control-allow-methods"), Some("PUT, GET"));
    assert_eq!(header(h, "access-control-allow-headers"), Some("content-type, x-oss-meta-author"));
    assert_eq!(header(h, "access-control-expose-headers"), Some("ETag"));
    assert_eq!(header(h, "access-control-max-age"), Some("600"));
    assert_eq!(header(h, "access-control-allow-credentials"), Some("true"));
    assert_eq!(header(h, "vary"), Some("Origin"));
    assert_eq!(header(h, "content-length"), Some("0"));
    assert_eq!(r.body().size_hint().exact(), Some(0));
    assert!(r.body().is_end_stream());
    assert!(body_bytes(r.into_body()).is_empty());
    assert_eq!(calls.load(Ordering::SeqCst), 0);

    let req = request(
        "OPTIONS",
        "/photo.jpg",
        &[("Origin", "https://www.example.com"), ("Access-Control-Request-Method", "DELETE")],
    );
    let r = block_on(svc.call(req)).unwrap();
    assert_eq!(r.status(), 403);
    assert_eq!(header(r.headers(), "content-type"), Some("application/xml"));
    assert_eq!(header(r.headers(), "vary"), Some("Origin"), "OSS ResponseVary: on every response");
    assert!(r.headers().get("access-control-allow-origin").is_none());
    let len: u64 = header(r.headers(), "content-length").unwrap().parse().unwrap();
    assert_eq!(r.body().size_hint().exact(), Some(len));
    let body = String::from_utf8(body_bytes(r.into_body())).unwrap();
    assert_eq!(body.len() as u64, len);
    assert_eq!(common::element(&body, "Code").as_deref(), Some("AccessForbidden"));
    assert_eq!(common::element(&body, "RequestId").as_deref(), Some("RID-7"));
    assert_eq!(common::element(&body, "HostId").as_deref(), Some("host-1"));
    assert_eq!(calls.load(Ordering::SeqCst), 0);

    let seen = seen.lock().unwrap();
    assert_eq!(seen.len(), 2);
    assert_eq!(seen[0], ("/photo.jpg".into(), Some("content-type,x-oss-meta-author".into()), Some(0), Some(200)));
    assert_eq!(seen[1], ("/photo.jpg".into(), None, None, Some(403)));
}

#[test]
fn layer_adds_headers_to_actual_responses_errors_included() {
    for status in [200, 404, 403, 500] {
        let mut storage = Storage::new(status);
        storage.headers = vec![("vary", "Accept-Encoding"), ("etag", "\"e\"")];
        let calls = storage.calls.clone();
        let (mut svc, _) = layer_over(storage, upload_rules(Profile::S3));
        let r = block_on(svc.call(request("GET", "/photo.jpg", &[("Origin", "https://a.example.com")]))).unwrap();
        assert_eq!(r.status(), status);
        assert_eq!(calls.load(Ordering::SeqCst), 1);
        let h = r.headers();
        assert_eq!(header(h, "access-control-allow-origin"), Some("https://a.example.com"), "status {status}");
        assert_eq!(header(h, "access-control-allow-credentials"), Some("true"));
        assert_eq!(header(h, "etag"), Some("\"e\""));
        assert_eq!(
            header(h, "vary"),
            Some("Accept-Encoding, Origin, Access-Control-Request-Headers, Access-Control-Request-Method")
        );
        assert_eq!(body_bytes(r.into_body()), b"stored");
    }
}

#[test]
fn layer_leaves_unmatched_and_unlooked_up_requests_alone() {
    let storage = Storage::new(200);
    let calls = storage.calls.clone();
    let (mut svc, seen) = layer_over(storage, upload_rules(Profile::S3));
    // No rule allows DELETE: nothing added, the request still goes through (never refused).
    let r = block_on(svc.call(request("DELETE", "/k", &[("Origin", "https://a.example.com")]))).unwrap();
    assert_eq!(r.status(), 200);
    assert!(r.headers().is_empty(), "{:?}", r.headers());
    // Not a bucket request: even OPTIONS reaches the inner service, and no decision is made.
    let r = block_on(svc.call(request(
        "OPTIONS",
        "/healthz",
        &[("Origin", "https://a.example.com"), ("Access-Control-Request-Method", "GET")],
    )))
    .unwrap();
    assert_eq!(r.status(), 200);
    assert!(r.headers().is_empty());
    assert_eq!(body_bytes(r.into_body()), b"stored");
    assert_eq!(calls.load(Ordering::SeqCst), 2);
    assert_eq!(seen.lock().unwrap().len(), 1);
}

#[test]
fn layer_answers_for_the_bucket_root_and_missing_buckets() {
    for (profile, status, code) in [(Profile::Oss, 404, "NoSuchBucket"), (Profile::S3, 403, "AccessForbidden")] {
        let (mut svc, _) = layer_over(Storage::new(200), upload_rules(profile));
        let pre = |path: &str, acrm: &str| {
            request("OPTIONS", path, &[("Origin", "https://a.example.com"), ("Access-Control-Request-Method", acrm)])
        };
        let r = block_on(svc.call(pre("/missing/k", "PUT"))).unwrap();
        assert_eq!(r.status(), status);
        let body = String::from_utf8(body_bytes(r.into_body())).unwrap();
        assert_eq!(common::element(&body, "Code").as_deref(), Some(code));

        let r = block_on(svc.call(pre("/", "DELETE"))).unwrap();
        assert_eq!(r.status(), 403);
        let body = String::from_utf8(body_bytes(r.into_body())).unwrap();
        let resource = common::element(&body, "ResourceType");
        assert_eq!(resource.as_deref(), (profile == Profile::S3).then_some("BUCKET"));
    }
}

#[test]
fn layer_is_clone_send_and_sync() {
    fn check<T: Clone + Send + Sync + 'static>(_: &T) {}
    let rules = upload_rules(Profile::Oss);
    let layer = CorsLayer::new(move |_: &Parts| Some(Lookup::object(rules.clone())));
    check(&layer);
    check(&layer.layer(Storage::new(200)));
}

/// Every case of the corpus, sent through the layer as HTTP, gets what the engine gives.
#[test]
fn corpus_through_the_layer() {
    let mut ran = 0;
    let mut not_http = Vec::new();
    for (file, default) in
        [("s3-public.json", Profile::S3), ("oss-cases.json", Profile::Oss), ("s3-cases.json", Profile::S3)]
    {
        let path = format!("{}/tests/data/{file}", env!("CARGO_MANIFEST_DIR"));
        for case in common::load(&path, default) {
            // A method or value that HTTP cannot carry cannot arrive through `http`.
            let Ok(method) = http::Method::from_bytes(case.method.as_bytes()) else {
                not_http.push(case.id.clone());
                continue;
            };
            let mut b = http::Request::builder().method(method).uri("/object-key");
            let mut representable = true;
            for (name, value) in [
                ("origin", &case.origin),
                ("access-control-request-method", &case.acrm),
                ("access-control-request-headers", &case.acrh),
            ] {
                if let Some(v) = value {
                    match HeaderValue::from_str(v) {
                        Ok(v) => b = b.header(name, v),
                        Err(_) => representable = false,
                    }
                }
            }
            if !representable {
                not_http.push(case.id.clone());
                continue;
            }
            let rules = case.rule_set();
            let target = case.target;
            let rule = Arc::new(Mutex::new(None));
            let rule_seen = rule.clone();
            let layer = CorsLayer::new(move |_: &Parts| Some(Lookup::new(rules.clone(), target)))
                .on_decision(move |_, _, d| *rule_seen.lock().unwrap() = Some(d.rule));
            let mut svc = layer.layer(Storage::new(200));
            let r = block_on(svc.call(b.body(()).unwrap())).unwrap();
            let preflight = case.method == "OPTIONS";
            let status = preflight.then_some(r.status().as_u16());
            let headers: Vec<(String, String)> = HEADER_ORDER
                .iter()
                .filter_map(|n| r.headers().get(*n).map(|v| (n.to_string(), v.to_str().unwrap().to_string())))
                .collect();
            let body = String::from_utf8(body_bytes(r.into_body())).unwrap();
            let error = (preflight && status != Some(200)).then(|| ErrorResponse {
                code: common::element(&body, "Code").unwrap_or_default(),
                message: common::element(&body, "Message").unwrap_or_default(),
                body: body.clone(),
            });
            let got = Response { status, headers, error, rule: rule.lock().unwrap().expect("a decision was made") };
            common::check(&case, &got).unwrap();
            let want = case.rule_set().respond(&case.request());
            assert_eq!(got.status, want.status, "{}", case.id);
            assert_eq!(got.headers, want.headers, "{}", case.id);
            assert_eq!(got.error.map(|e| e.body), want.error.map(|e| e.body), "{}", case.id);
            ran += 1;
        }
    }
    assert!(ran >= 100, "only {ran} cases ran");
    // Only cases whose values HTTP cannot carry (control characters) may be left out.
    assert!(not_http.len() * 20 <= ran, "too many cases not sent: {not_http:?}");
}
