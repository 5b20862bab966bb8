//! The schemes against the AWS examples and against requests recorded from the clients.

use std::time::{Duration, UNIX_EPOCH};

use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine as _;

use super::http::{HeaderMap, HeaderName, HeaderValue, Uri};
use super::v4::EMPTY_SHA256;
use super::*;

/// The secret both clients signed with: '/', '+' and '=' exercise the key's bytes.
const AK_S3: &str = "AKIDCORSMATCH";
const AK_OSS: &str = "LTAIcorsmatch";
const SECRET: &str = "cm/Secret+Key=Example0123456789abcd";

struct Fixture {
    name: &'static str,
    method: &'static str,
    target: &'static str,
    headers: &'static [(&'static str, &'static str)],
    resource: &'static str,
    oss: bool,
    now: u64,
}

struct PostFixture {
    name: &'static str,
    fields: &'static [(&'static str, &'static str)],
    oss: bool,
    now: u64,
}

/// A request to check, owning what `AuthRequest` borrows.
#[derive(Clone)]
struct Req {
    method: String,
    target: String,
    headers: Vec<(String, Vec<u8>)>,
    resource: String,
    oss: bool,
    now: u64,
}

impl Req {
    fn of(fx: &Fixture) -> Req {
        Req {
            method: fx.method.into(),
            target: fx.target.into(),
            headers: fx.headers.iter().map(|(n, v)| (n.to_string(), v.as_bytes().to_vec())).collect(),
            resource: fx.resource.into(),
            oss: fx.oss,
            now: fx.now,
        }
    }

    fn new(method: &str, target: &str, headers: &[(&str, &str)], resource: &str) -> Req {
        Req {
            method: method.into(),
            target: target.into(),
            headers: headers.iter().map(|(n, v)| (n.to_string(), v.as_bytes().to_vec())).collect(),
            resource: resource.into(),
            oss: false,
            now: 0,
        }
    }

    fn header(&self, name: &str) -> Option<String> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| String::from_utf8_lossy(v).into_owned())
    }

    /// Replaces (or adds) a header.
    fn set(mut self, name: &str, value: impl Into<Vec<u8>>) -> Req {
        self.headers.retain(|(n, _)| !n.eq_ignore_ascii_case(name));
        self.headers.push((name.to_string(), value.into()));
        self
    }

    fn at(mut self, now: u64) -> Req {
        self.now = now;
        self
    }

    fn check_at(&self, creds: Option<&Credentials>, now: u64) -> Result<Caller, AuthError> {
        let uri: Uri = self.target.parse().expect("test URIs parse");
        let mut headers = HeaderMap::new();
        for (name, value) in &self.headers {
            let name = HeaderName::from_bytes(name.as_bytes()).expect("test header names are valid");
            let value = HeaderValue::from_bytes(value).expect("test header values are valid");
            headers.append(name, value);
        }
        let req =
            AuthRequest { method: &self.method, uri: &uri, headers: &headers, resource: &self.resource, oss: self.oss };
        authenticate(&req, creds, UNIX_EPOCH + Duration::from_secs(now))
    }

    fn check(&self, creds: Option<&Credentials>) -> Result<Caller, AuthError> {
        self.check_at(creds, self.now)
    }
}

fn creds(access_key: &str, secret_key: &str) -> Credentials {
    Credentials { access_key: access_key.into(), secret_key: secret_key.into() }
}

fn owner_of(fx_oss: bool) -> Credentials {
    creds(if fx_oss { AK_OSS } else { AK_S3 }, SECRET)
}

fn code(result: Result<Caller, AuthError>) -> String {
    match result {
        Ok(caller) => format!("{caller:?}"),
        Err(e) => e.code.to_string(),
    }
}

/// The last ASCII digit of `s` changed (so a date moves by a second or so).
fn bump_last_digit(s: &str) -> String {
    let mut bytes = s.as_bytes().to_vec();
    let i = bytes.iter().rposition(u8::is_ascii_digit).expect("a date has digits");
    bytes[i] = if bytes[i] == b'0' { b'1' } else { bytes[i] - 1 };
    String::from_utf8(bytes).expect("ASCII")
}

/// The request with the time it was signed for moved by a second: the date parameter of
/// a presigned URL, else the date header the scheme reads.
fn tamper_date(r: &Req) -> Req {
    let mut r = r.clone();
    for param in ["X-Amz-Date=", "x-oss-date=", "Expires=", "x-oss-expires="] {
        if let Some(start) = r.target.find(&format!("&{param}")).or_else(|| r.target.find(&format!("?{param}"))) {
            let start = start + 1 + param.len();
            let end = r.target[start..].find('&').map_or(r.target.len(), |e| start + e);
            let value = bump_last_digit(&r.target[start..end]);
            r.target.replace_range(start..end, &value);
            return r;
        }
    }
    for header in ["x-amz-date", "x-oss-date", "date"] {
        if let Some(value) = r.header(header) {
            return r.clone().set(header, bump_last_digit(&value));
        }
    }
    panic!("no date in {}", r.target);
}

/// The request with a header the scheme signs changed or added.
fn tamper_signed_header(r: &Req) -> Req {
    let auth = r.header("authorization").unwrap_or_default();
    if auth.starts_with("AWS4-") || r.target.contains("X-Amz-Signature=") {
        let host = r.header("host").expect("a host");
        r.clone().set("host", format!("{host}0"))
    } else if auth.starts_with("OSS4-") || r.target.contains("x-oss-signature-version=OSS4") {
        r.clone().set("x-oss-meta-tampered", "1")
    } else {
        r.clone().set("content-type", "application/x-tampered")
    }
}

/// The request for another object: one more byte in the path and the resource.
fn tamper_path(r: &Req) -> Req {
    let mut r = r.clone();
    let end = r.target.find('?').unwrap_or(r.target.len());
    r.target.insert(end, 'x');
    r.resource.push('x');
    r
}

fn signature_mismatch_of(r: &Req, result: Result<Caller, AuthError>, what: &str, name: &str) {
    let err = result.expect_err(&format!("{name}: {what} still verifies"));
    assert_eq!(err.code, "SignatureDoesNotMatch", "{name}: {what}: {err:?}");
    assert_eq!(err.status, 403);
    let wording = if r.oss { "provided." } else { "signing method." };
    assert!(err.message.ends_with(wording), "{name}: {}", err.message);
}

#[test]
fn aws_test_suite_get_vanilla() {
    let r = Req::new(
        "GET",
        "/",
        &[
            ("Host", "example.amazonaws.com"),
            ("X-Amz-Date", "20150830T123600Z"),
            ("Authorization", "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;x-amz-date, Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31"),
        ],
        "/",
    )
    .at(1_440_938_160);
    let owner = creds("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY");
    assert_eq!(r.check(Some(&owner)), Ok(Caller::Owner));
    let other = creds("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEz");
    assert_eq!(code(r.check(Some(&other))), "SignatureDoesNotMatch");
    assert_eq!(code(tamper_path(&r).check(Some(&owner))), "SignatureDoesNotMatch");
}

#[test]
fn aws_documented_get_object_with_range() {
    // The GET Object example of S3's "Signature Calculations for the Authorization Header".
    let r = Req::new(
        "GET",
        "/test.txt",
        &[
            ("Host", "examplebucket.s3.amazonaws.com"),
            ("Range", "bytes=0-9"),
            ("x-amz-content-sha256", EMPTY_SHA256),
            ("x-amz-date", "20130524T000000Z"),
            ("Authorization", "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request,SignedHeaders=host;range;x-amz-content-sha256;x-amz-date,Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41"),
        ],
        "/examplebucket/test.txt",
    )
    .at(1_369_353_600);
    let owner = creds("AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY");
    assert_eq!(r.check(Some(&owner)), Ok(Caller::Owner));
    assert_eq!(code(r.clone().set("range", "bytes=0-8").check(Some(&owner))), "SignatureDoesNotMatch");
}

#[test]
fn aws_documented_presigned_url() {
    let r = Req::new(
        "GET",
        "/test.txt?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20130524%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Date=20130524T000000Z&X-Amz-Expires=86400&X-Amz-SignedHeaders=host&X-Amz-Signature=aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404",
        &[("Host", "examplebucket.s3.amazonaws.com")],
        "/examplebucket/test.txt",
    );
    let owner = creds("AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY");
    let signed_at = 1_369_353_600; // 2013-05-24T00:00:00Z
    assert_eq!(r.check_at(Some(&owner), signed_at + 86_400), Ok(Caller::Owner));
    let late = r.check_at(Some(&owner), signed_at + 86_401).expect_err("expired");
    assert_eq!((late.status, late.code, late.message.as_str()), (403, "AccessDenied", "Request has expired"));
    assert_eq!(code(tamper_signed_header(&r).check_at(Some(&owner), signed_at)), "SignatureDoesNotMatch");
}

#[test]
fn every_client_request_verifies() {
    for fx in CLIENTS {
        let r = Req::of(fx);
        assert_eq!(r.check(Some(&owner_of(fx.oss))), Ok(Caller::Owner), "{}", fx.name);
        // Without credentials nothing is verified, not even the key.
        assert_eq!(r.check(Some(&owner_of(fx.oss))).is_ok(), r.check(None).is_ok(), "{}", fx.name);
        assert_eq!(r.check_at(None, fx.now + 10 * 86_400), Ok(Caller::Owner), "{}", fx.name);
    }
}

#[test]
fn one_byte_of_the_secret_changed_fails() {
    for fx in CLIENTS {
        let r = Req::of(fx);
        let mut secret = SECRET.as_bytes().to_vec();
        secret[0] ^= 1;
        let wrong = creds(if fx.oss { AK_OSS } else { AK_S3 }, std::str::from_utf8(&secret).expect("ASCII"));
        signature_mismatch_of(&r, r.check(Some(&wrong)), "another secret", fx.name);
    }
}

#[test]
fn another_access_key_is_unknown() {
    for fx in CLIENTS {
        let r = Req::of(fx);
        let err = r.check(Some(&creds("AKIDSOMEONEELSE", SECRET))).expect_err(fx.name);
        assert_eq!((err.status, err.code), (403, "InvalidAccessKeyId"), "{}", fx.name);
        let provider = if fx.oss { "OSS" } else { "AWS" };
        assert_eq!(err.message, format!("The {provider} Access Key Id you provided does not exist in our records."));
    }
}

#[test]
fn another_path_fails() {
    for fx in CLIENTS {
        let r = tamper_path(&Req::of(fx));
        signature_mismatch_of(&r, r.check(Some(&owner_of(fx.oss))), "another path", fx.name);
    }
}

#[test]
fn a_changed_signed_header_fails() {
    for fx in CLIENTS {
        let r = tamper_signed_header(&Req::of(fx));
        signature_mismatch_of(&r, r.check(Some(&owner_of(fx.oss))), "a changed header", fx.name);
    }
    // One byte of a header's value, for the header schemes that sign Content-MD5 or metadata.
    for (name, header) in [
        ("s3v4_put_cors", "content-md5"),
        ("s3v2_header_put_cors", "content-md5"),
        ("s3v2_header_put_cors", "x-amz-checksum-crc32"),
        ("oss1_put_md5", "x-oss-meta-a"),
        ("oss4_put_md5", "content-md5"),
        ("oss2_put_md5", "content-type"),
    ] {
        let r = Req::of(fixture(name));
        let value = r.header(header).expect("the header is there");
        let r = r.set(header, format!("{value}x"));
        signature_mismatch_of(&r, r.check(Some(&owner_of(r.oss))), header, name);
    }
}

#[test]
fn another_date_fails() {
    for fx in CLIENTS {
        let r = tamper_date(&Req::of(fx));
        signature_mismatch_of(&r, r.check(Some(&owner_of(fx.oss))), "another date", fx.name);
    }
}

#[test]
fn unsigned_headers_and_parameters_do_not_matter() {
    let r = Req::of(fixture("s3v4_get_unicode")).set("user-agent", "x").set("range", "bytes=1-2");
    assert_eq!(r.check(Some(&owner_of(false))), Ok(Caller::Owner));
    let r = Req::of(fixture("oss1_get_unicode")).set("user-agent", "x").set("range", "bytes=1-2");
    assert_eq!(r.check(Some(&owner_of(true))), Ok(Caller::Owner));
}

fn fixture(name: &str) -> &'static Fixture {
    CLIENTS.iter().find(|f| f.name == name).expect("a recorded fixture")
}

fn is_presigned(fx: &Fixture) -> bool {
    !fx.headers.iter().any(|(n, _)| n.eq_ignore_ascii_case("authorization"))
}

#[test]
fn presigned_urls_expire() {
    let presigned: Vec<&Fixture> = CLIENTS.iter().filter(|f| is_presigned(f)).collect();
    assert_eq!(presigned.len(), 6);
    for fx in presigned {
        let r = Req::of(fx);
        let owner = owner_of(fx.oss);
        assert_eq!(r.check_at(Some(&owner), fx.now + 500), Ok(Caller::Owner), "{}", fx.name);
        let err = r.check_at(Some(&owner), fx.now + 3_700).expect_err(fx.name);
        let message = if fx.oss { "Request has expired." } else { "Request has expired" };
        assert_eq!((err.status, err.code, err.message.as_str()), (403, "AccessDenied", message), "{}", fx.name);
    }
}

#[test]
fn header_signatures_allow_fifteen_minutes_of_skew() {
    for fx in CLIENTS.iter().filter(|f| !is_presigned(f)) {
        let r = Req::of(fx);
        let owner = owner_of(fx.oss);
        for now in [fx.now + 14 * 60, fx.now - 14 * 60] {
            assert_eq!(r.check_at(Some(&owner), now), Ok(Caller::Owner), "{}", fx.name);
        }
        for now in [fx.now + 16 * 60, fx.now - 16 * 60] {
            let err = r.check_at(Some(&owner), now).expect_err(fx.name);
            assert_eq!((err.status, err.code), (403, "RequestTimeTooSkewed"), "{}", fx.name);
            assert_eq!(err.message, "The difference between the request time and the current time is too large.");
        }
    }
}

#[test]
fn unsigned_requests_are_anonymous() {
    let owner = creds(AK_S3, SECRET);
    for target in ["/", "/bucket?cors", "/bucket/key?Expires=1&response-content-type=a", "/b?x-oss-process=a"] {
        for oss in [false, true] {
            let mut r = Req::new("GET", target, &[("Host", "localhost")], "/bucket/key");
            r.oss = oss;
            assert_eq!(r.check(Some(&owner)), Ok(Caller::Anonymous), "{target}");
            assert_eq!(r.check(None), Ok(Caller::Anonymous), "{target}");
        }
    }
}

fn refused(r: &Req, creds: Option<&Credentials>) -> (u16, &'static str) {
    let err = r.check(creds).expect_err("refused");
    assert!(!err.message.is_empty());
    (err.status, err.code)
}

#[test]
fn malformed_signatures_are_refused_with_or_without_credentials() {
    let owner = creds(AK_S3, SECRET);
    let header_cases: &[(&str, (u16, &str))] = &[
        ("AWS4-HMAC-SHA256 Credential=", (400, "AuthorizationHeaderMalformed")),
        ("AWS4-HMAC-SHA256", (400, "AuthorizationHeaderMalformed")),
        ("AWS4-HMAC-SHA256 Credential=AK/20250101/us-east-1/s3/aws4_request", (400, "AuthorizationHeaderMalformed")),
        (
            "AWS4-HMAC-SHA256 Credential=AK/2025/us-east-1/s3/aws4_request, SignedHeaders=host, Signature=00",
            (400, "AuthorizationHeaderMalformed"),
        ),
        (
            "AWS4-HMAC-SHA256 Credential=AK/20250101/us-east-1/s3/aws4_request, SignedHeaders=, Signature=00",
            (400, "AuthorizationHeaderMalformed"),
        ),
        (
            "AWS4-HMAC-SHA256 Credential=AK/20250101/us-east-1/s3/wrong, SignedHeaders=host, Signature=00",
            (400, "AuthorizationHeaderMalformed"),
        ),
        ("AWS4-HMAC-SHA256 garbage", (400, "AuthorizationHeaderMalformed")),
        (
            "OSS4-HMAC-SHA256 Credential=AK/20250101/cn-hangzhou/oss/aws4_request, Signature=00",
            (400, "AuthorizationHeaderMalformed"),
        ),
        ("Bearer abc", (400, "InvalidArgument")),
        ("", (400, "InvalidArgument")),
        ("aws AK:sig", (400, "InvalidArgument")),
        ("AWS AKnosignature", (400, "InvalidArgument")),
        ("AWS :sig", (400, "InvalidArgument")),
        ("OSS AK:", (400, "InvalidArgument")),
        ("OSS2 Signature:abc", (400, "InvalidArgument")),
    ];
    for (value, expected) in header_cases {
        let r = Req::new("GET", "/bucket/key", &[("Host", "localhost"), ("Authorization", value)], "/bucket/key");
        assert_eq!(refused(&r, Some(&owner)), *expected, "{value}");
        assert_eq!(refused(&r, None), *expected, "{value}");
    }
    let err = Req::new("GET", "/", &[("Authorization", "AWS4-HMAC-SHA256 Credential=")], "/").check(None).unwrap_err();
    assert!(err.message.starts_with("The authorization header is malformed;"), "{}", err.message);
    let err = Req::new("GET", "/", &[("Authorization", "Bearer x")], "/").check(None).unwrap_err();
    assert_eq!(err.message, "Unsupported Authorization Type");

    let v4 = "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AK%2F20250101%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Date=20250101T000000Z&X-Amz-SignedHeaders=host&X-Amz-Signature=00";
    let query_cases: &[(String, (u16, &str))] = &[
        ("X-Amz-Algorithm=AWS4-HMAC-SHA256".to_string(), (400, "AuthorizationQueryParametersError")),
        ("X-Amz-Signature=00".to_string(), (400, "AuthorizationQueryParametersError")),
        (format!("{v4}&X-Amz-Expires=abc"), (400, "AuthorizationQueryParametersError")),
        (format!("{v4}&X-Amz-Expires=-1"), (400, "AuthorizationQueryParametersError")),
        (format!("{v4}&X-Amz-Expires=604801"), (400, "AuthorizationQueryParametersError")),
        (
            format!("{}&X-Amz-Expires=60", v4.replace("20250101T000000Z", "2025-01-01")),
            (400, "AuthorizationQueryParametersError"),
        ),
        (format!("{}&X-Amz-Expires=60", v4.replace("aws4_request", "x")), (400, "AuthorizationQueryParametersError")),
        (
            format!("{}&X-Amz-Expires=60", v4.replace("AWS4-HMAC-SHA256", "AWS4-HMAC-SHA1")),
            (400, "AuthorizationQueryParametersError"),
        ),
        (
            "x-oss-signature-version=OSS4-HMAC-SHA256&x-oss-signature=00".to_string(),
            (400, "AuthorizationQueryParametersError"),
        ),
        ("x-oss-signature-version=OSS2&x-oss-signature=00".to_string(), (400, "AuthorizationQueryParametersError")),
        ("AWSAccessKeyId=AK&Signature=abc".to_string(), (403, "AccessDenied")),
        ("Signature=abc&Expires=1".to_string(), (403, "AccessDenied")),
        ("OSSAccessKeyId=AK&Signature=abc&Expires=soon".to_string(), (403, "AccessDenied")),
    ];
    for (query, expected) in query_cases {
        let r = Req::new("GET", &format!("/bucket/key?{query}"), &[("Host", "localhost")], "/bucket/key");
        assert_eq!(refused(&r, Some(&owner)), *expected, "{query}");
        assert_eq!(refused(&r, None), *expected, "{query}");
    }
}

#[test]
fn two_mechanisms_at_once_are_refused() {
    let presigned = Req::of(fixture("s3v4_presigned_get"));
    let both = presigned.clone().set("authorization", "AWS AK:sig");
    assert_eq!(refused(&both, None), (400, "InvalidArgument"));
    let mut twice = Req::of(fixture("s3v2_header_put_cors"));
    twice.headers.push(("authorization".into(), b"AWS AK:sig".to_vec()));
    assert_eq!(refused(&twice, Some(&owner_of(false))), (400, "InvalidArgument"));
}

#[test]
fn a_header_signature_needs_a_date() {
    let r = Req::of(fixture("s3v2_header_put_cors")).set("date", "yesterday");
    assert_eq!(refused(&r, Some(&owner_of(false))), (403, "AccessDenied"));
    let mut r = Req::of(fixture("s3v4_get_unicode"));
    r.headers.retain(|(n, _)| !n.eq_ignore_ascii_case("x-amz-date"));
    assert_eq!(refused(&r, Some(&owner_of(false))), (403, "AccessDenied"));
    // A credential scope for another day than the request's.
    let r = Req::of(fixture("s3v4_get_unicode")).set("x-amz-date", "20261201T000000Z");
    assert_eq!(refused(&r.at(1_796_083_200), Some(&owner_of(false))), (400, "AuthorizationHeaderMalformed"));
}

#[test]
fn non_utf8_and_huge_input_does_not_panic() {
    let owner = creds(AK_S3, SECRET);
    let mut bytes = b"AWS4-HMAC-SHA256 Credential=AK\xff\xfe/20250101/us-east-1/s3/aws4_request, SignedHeaders=host;x-amz-date, Signature=\x80".to_vec();
    let r = Req::new("GET", "/", &[("Host", "localhost"), ("x-amz-date", "20250101T000000Z")], "/")
        .set("authorization", bytes.clone());
    assert_eq!(code(r.check(None)), "Owner");
    assert_eq!(code(r.check(Some(&owner))), "InvalidAccessKeyId");
    bytes.truncate(20);
    for value in [&b"\xff\xfe"[..], b"OSS \xff:\xff", b"OSS2 AccessKeyId:\xff,Signature:\xff", b"AWS \xc3:\xa9"] {
        let r = Req::new("GET", "/", &[("Host", "localhost")], "/").set("authorization", value);
        let _ = r.check(Some(&owner));
        let _ = r.check(None);
    }
    // Non-UTF-8 in signed headers, dates and the query.
    for fx in CLIENTS {
        let r = Req::of(fx)
            .set("date", b"\xff\xff".to_vec())
            .set("x-amz-date", b"2026\xff".to_vec())
            .set("x-oss-meta-z", b"\xe9".to_vec());
        let _ = r.check(Some(&owner_of(fx.oss)));
    }
    for query in [
        "X-Amz-Credential=%FF%FE&X-Amz-Signature=%C3",
        "AWSAccessKeyId=%FF&Signature=%FF&Expires=%FF",
        "x-oss-signature-version=%FF&x-oss-credential=%FF",
    ] {
        let r = Req::new("GET", &format!("/%FF?{query}"), &[("Host", "localhost")], "/\u{fffd}");
        let _ = r.check(Some(&owner));
    }
    // Every prefix of every recorded Authorization header and query.
    for fx in CLIENTS {
        let r = Req::of(fx);
        let owner = owner_of(fx.oss);
        if let Some(auth) = r.header("authorization") {
            for end in 0..auth.len() {
                let _ = r.clone().set("authorization", &auth.as_bytes()[..end]).check(Some(&owner));
            }
        }
        for end in 0..r.target.len() {
            let mut cut = r.clone();
            cut.target.truncate(end);
            if cut.target.parse::<Uri>().is_ok() && !cut.target.is_empty() {
                let _ = cut.check(Some(&owner));
            }
        }
    }
    // Huge values.
    let huge = "A".repeat(1 << 20);
    let r = Req::new(
        "GET",
        "/",
        &[("Authorization", &format!("AWS4-HMAC-SHA256 Credential={huge}, SignedHeaders={huge}, Signature={huge}"))],
        "/",
    );
    assert_eq!(code(r.check(Some(&owner))), "AuthorizationHeaderMalformed");
    let r = Req::new("GET", "/", &[("Authorization", &format!("AWS {huge}:{huge}")), ("Date", &huge)], "/");
    assert_eq!(code(r.check(Some(&owner))), "InvalidAccessKeyId");
}

fn post(fields: &[(&str, String)], creds: Option<&Credentials>, now: u64, oss: bool) -> Result<Caller, AuthError> {
    let field = |name: &str| fields.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v.clone());
    authenticate_post(&field, creds, UNIX_EPOCH + Duration::from_secs(now), oss)
}

fn post_fields(fx: &PostFixture) -> Vec<(&'static str, String)> {
    fx.fields.iter().map(|(n, v)| (*n, v.to_string())).collect()
}

#[test]
fn post_policies_verify() {
    for fx in POSTS {
        let fields = post_fields(fx);
        let owner = owner_of(fx.oss);
        assert_eq!(post(&fields, Some(&owner), fx.now, fx.oss), Ok(Caller::Owner), "{}", fx.name);
        assert_eq!(post(&fields, None, fx.now, fx.oss), Ok(Caller::Owner), "{}", fx.name);

        let wrong = creds(&owner.access_key, "cm/Secret+Key=Example0123456789abce");
        let err = post(&fields, Some(&wrong), fx.now, fx.oss).expect_err(fx.name);
        assert_eq!(err.code, "SignatureDoesNotMatch", "{}", fx.name);
        let err = post(&fields, Some(&creds("AKIDOTHER", SECRET)), fx.now, fx.oss).expect_err(fx.name);
        assert_eq!(err.code, "InvalidAccessKeyId", "{}", fx.name);

        // The policies expire an hour after they were made.
        let err = post(&fields, Some(&owner), fx.now + 3_601, fx.oss).expect_err(fx.name);
        assert_eq!(
            (err.status, err.code, err.message.as_str()),
            (403, "AccessDenied", "Invalid according to Policy: Policy expired."),
            "{}",
            fx.name
        );

        // Another policy under the same signature.
        let mut other = fields.clone();
        for (name, value) in &mut other {
            if name.eq_ignore_ascii_case("policy") {
                let mut bytes = value.clone().into_bytes();
                bytes[1] = if bytes[1] == b'A' { b'B' } else { b'A' };
                *value = String::from_utf8(bytes).expect("ASCII");
            }
        }
        assert_eq!(code(post(&other, Some(&owner), fx.now, fx.oss)), "SignatureDoesNotMatch", "{}", fx.name);

        // A signed form without its policy.
        let without: Vec<(&str, String)> = fields.iter().filter(|(n, _)| *n != "policy").cloned().collect();
        let err = post(&without, Some(&owner), fx.now, fx.oss).expect_err(fx.name);
        assert_eq!(err.code, "InvalidArgument");
        assert!(err.message.starts_with("Bucket POST must contain a field named 'policy'."), "{}", err.message);
    }
}

#[test]
fn post_without_signature_is_anonymous() {
    let fields = vec![("key", "a.txt".to_string()), ("policy", "e30=".to_string())];
    assert_eq!(post(&fields, Some(&owner_of(false)), 0, false), Ok(Caller::Anonymous));
    assert_eq!(post(&fields, None, 0, true), Ok(Caller::Anonymous));
    assert_eq!(post(&[], None, 0, true), Ok(Caller::Anonymous));
}

#[test]
fn post_policy_documents_are_checked() {
    let owner = owner_of(false);
    let signed = |policy: &str| {
        let signature = BASE64.encode(hmac_sha1(SECRET.as_bytes(), policy.as_bytes()));
        vec![("AWSAccessKeyId", AK_S3.to_string()), ("policy", policy.to_string()), ("signature", signature)]
    };
    let encode = |json: &str| BASE64.encode(json);
    let cases = [
        ("not base64!".to_string(), "Invalid Policy: Invalid JSON."),
        (encode("{not json"), "Invalid Policy: Invalid JSON."),
        (encode(r#"{"conditions":[]}"#), "Invalid Policy: Policy missing expiration."),
        (encode(r#"{"expiration":"tomorrow"}"#), "Invalid Policy: Invalid 'expiration' value: 'tomorrow'"),
        (encode(r#"{"expiration":12}"#), "Invalid Policy: Invalid 'expiration' value: ''"),
    ];
    for (policy, message) in cases {
        let err = post(&signed(&policy), Some(&owner), 0, false).expect_err(message);
        assert_eq!((err.status, err.code, err.message.as_str()), (400, "InvalidPolicyDocument", message));
    }
    let fine = encode(r#"{"expiration":"2030-01-01T00:00:00Z","conditions":[]}"#);
    assert_eq!(post(&signed(&fine), Some(&owner), 1_800_000_000, false), Ok(Caller::Owner));
    let err = post(&signed(&fine), Some(&owner), 1_893_456_000, false).unwrap_err();
    assert_eq!(err.code, "AccessDenied");
    // A bare `signature` names the profile's missing key field.
    let bare = vec![("signature", "abc".to_string()), ("policy", fine)];
    let err = post(&bare, Some(&owner), 0, true).unwrap_err();
    assert!(err.message.contains("'OSSAccessKeyId'"), "{}", err.message);
    let err = post(&bare, Some(&owner), 0, false).unwrap_err();
    assert!(err.message.contains("'AWSAccessKeyId'"), "{}", err.message);
}

// ---------------------------------------------------------------------------------------
// PostObject: the policy's conditions (`post::check_conditions`).

fn conditions(
    policy: &str,
    fields: &[(&str, &str)],
    bucket: &str,
    file_len: usize,
    oss: bool,
) -> Result<(), super::post::PolicyRefusal> {
    let fields: Vec<(String, String)> = fields.iter().map(|(n, v)| (n.to_string(), v.to_string())).collect();
    super::post::check_conditions(policy, &fields, bucket, file_len, oss)
}

/// A policy of these conditions (a JSON array's insides).
fn policy_of(conditions: &str) -> String {
    BASE64.encode(format!(r#"{{"expiration": "2030-01-01T00:00:00Z", "conditions": [{conditions}]}}"#))
}

/// (status, code, message) of a refusal, or "ok".
fn refusal(result: Result<(), super::post::PolicyRefusal>) -> (u16, String, String) {
    match result {
        Ok(()) => (0, "ok".into(), String::new()),
        Err(r) => (r.error.status, r.error.code.to_string(), r.error.message),
    }
}

fn failed(condition: &str) -> (u16, String, String) {
    (403, "AccessDenied".into(), format!("Invalid according to Policy: Policy Condition failed: {condition}"))
}

fn extra(names: &str) -> (u16, String, String) {
    (403, "AccessDenied".into(), format!("Invalid according to Policy: Extra input fields: {names}"))
}

fn malformed(message: &str) -> (u16, String, String) {
    (400, "InvalidPolicyDocument".into(), message.into())
}

/// The recorded boto3 forms (`POSTS`): their conditions are bucket "bucket", a key starting
/// with "uploads/" and, SigV4, the algorithm, credential and date fields.
#[test]
fn boto3_forms_meet_their_conditions_and_tampered_ones_do_not() {
    for fx in POSTS.iter().filter(|fx| !fx.oss) {
        let policy = fx.fields.iter().find(|(n, _)| *n == "policy").map(|(_, v)| *v).unwrap();
        // The key as stored: `uploads/${filename}` with the file's name.
        let fields: Vec<(&str, &str)> =
            fx.fields.iter().map(|&(n, v)| if n == "key" { (n, "uploads/a.txt") } else { (n, v) }).collect();
        assert_eq!(refusal(conditions(policy, &fields, "bucket", 5, false)).1, "ok", "{}", fx.name);
        // Signed for another bucket.
        assert_eq!(
            refusal(conditions(policy, &fields, "other", 5, false)),
            failed(r#"["eq", "$bucket", "bucket"]"#),
            "{}",
            fx.name
        );
        // Another key.
        let moved: Vec<(&str, &str)> =
            fields.iter().map(|&(n, v)| if n == "key" { (n, "elsewhere/a.txt") } else { (n, v) }).collect();
        assert_eq!(
            refusal(conditions(policy, &moved, "bucket", 5, false)),
            failed(r#"["starts-with", "$key", "uploads/"]"#),
            "{}",
            fx.name
        );
        // A field the policy does not name; `x-ignore-` fields and the exempt ones are fine.
        let mut more = fields.clone();
        more.push(("x-ignore-tracker", "1"));
        assert_eq!(refusal(conditions(policy, &more, "bucket", 5, false)).1, "ok", "{}", fx.name);
        more.push(("acl", "public-read"));
        more.push(("X-Amz-Meta-Note", "hi"));
        more.push(("ACL", "private"));
        assert_eq!(
            refusal(conditions(policy, &more, "bucket", 5, false)),
            extra("acl, X-Amz-Meta-Note"),
            "{}",
            fx.name
        );
        // OSS does not ask for every field to be named.
        assert_eq!(refusal(conditions(policy, &more, "bucket", 5, true)).1, "ok", "{}", fx.name);
    }
    // SigV4: the date the policy names must be the form's.
    let fx = &POSTS[0];
    let policy = fx.fields.iter().find(|(n, _)| *n == "policy").map(|(_, v)| *v).unwrap();
    let fields: Vec<(&str, &str)> = fx
        .fields
        .iter()
        .filter(|(n, _)| *n != "x-amz-date")
        .map(|&(n, v)| if n == "key" { (n, "uploads/a.txt") } else { (n, v) })
        .collect();
    assert_eq!(
        refusal(conditions(policy, &fields, "bucket", 5, false)),
        failed(r#"["eq", "$x-amz-date", "20261130T201929Z"]"#)
    );
}

#[test]
fn each_kind_of_condition() {
    let policy = policy_of(
        r#"{"AcL": "public-read"}, ["EQ", "$Key", "a.txt"], ["starts-with", "$Content-Type", "image/"],
           ["starts-with", "$x-amz-meta-tag", ""], ["content-length-range", 1, "10"], {"bucket": "bk"}"#,
    );
    let good = [("key", "a.txt"), ("ACL", "public-read"), ("content-type", "image/png"), ("X-Amz-Meta-Tag", "")];
    for len in [1, 10] {
        assert_eq!(refusal(conditions(&policy, &good, "bk", len, false)).1, "ok", "{len}");
    }
    let with = |name: &str, value: &'static str| -> Vec<(String, String)> {
        good.iter()
            .map(|&(n, v)| (n.to_string(), if n.eq_ignore_ascii_case(name) { value } else { v }.to_string()))
            .collect()
    };
    let check =
        |fields: Vec<(String, String)>| refusal(super::post::check_conditions(&policy, &fields, "bk", 5, false));
    // Values are case-sensitive.
    assert_eq!(check(with("acl", "PUBLIC-READ")), failed(r#"["eq", "$AcL", "public-read"]"#));
    assert_eq!(check(with("key", "b.txt")), failed(r#"["EQ", "$Key", "a.txt"]"#));
    assert_eq!(check(with("content-type", "text/plain")), failed(r#"["starts-with", "$Content-Type", "image/"]"#));
    // A list of content types: each must start with the prefix.
    assert_eq!(check(with("content-type", "image/jpg,image/gif")).1, "ok");
    assert_eq!(check(with("content-type", "image/jpg,text/plain")).1, "AccessDenied");
    // A field the form lacks fails its condition, even `starts-with ""`.
    let without: Vec<(String, String)> =
        good.iter().filter(|(n, _)| *n != "X-Amz-Meta-Tag").map(|&(n, v)| (n.into(), v.into())).collect();
    assert_eq!(check(without), failed(r#"["starts-with", "$x-amz-meta-tag", ""]"#));
    // Repeated fields are matched comma-separated.
    let mut twice = with("key", "a.txt");
    twice.push(("key".into(), "b.txt".into()));
    assert_eq!(check(twice), failed(r#"["EQ", "$Key", "a.txt"]"#));
    // The bucket is the request's, whatever a `bucket` field says.
    let mut named = with("key", "a.txt");
    named.push(("bucket".into(), "bk".into()));
    assert_eq!(
        refusal(super::post::check_conditions(&policy, &named, "other", 5, false)),
        failed(r#"["eq", "$bucket", "bk"]"#)
    );
    assert_eq!(refusal(super::post::check_conditions(&policy, &named, "bk", 5, false)).1, "ok");

    // The size, with the elements S3 adds.
    let too_big = conditions(&policy, &good, "bk", 11, false).unwrap_err();
    assert_eq!(
        (too_big.error.status, too_big.error.code, too_big.error.message.as_str()),
        (400, "EntityTooLarge", "Your proposed upload exceeds the maximum allowed size")
    );
    assert_eq!(too_big.details, vec![("ProposedSize", "11".to_string()), ("MaxSizeAllowed", "10".to_string())]);
    let too_small = conditions(&policy, &good, "bk", 0, true).unwrap_err();
    assert_eq!(
        (too_small.error.status, too_small.error.code, too_small.error.message.as_str()),
        (400, "EntityTooSmall", "Your proposed upload is smaller than the minimum allowed size")
    );
    assert_eq!(too_small.details, vec![("ProposedSize", "0".to_string()), ("MinSizeAllowed", "1".to_string())]);
    // Field conditions come before the size.
    let key_and_size =
        [("key", "b.txt"), ("ACL", "public-read"), ("content-type", "image/png"), ("X-Amz-Meta-Tag", "")];
    assert_eq!(refusal(conditions(&policy, &key_and_size, "bk", 11, false)).1, "AccessDenied");
}

#[test]
fn odd_conditions() {
    let ok =
        |conds: &str, fields: &[(&str, &str)], oss: bool| refusal(conditions(&policy_of(conds), fields, "bk", 3, oss));
    // A name without its `$` names no field: the condition fails.
    assert_eq!(ok(r#"["eq", "key", "k"]"#, &[("key", "k")], false), failed(r#"["eq", "key", "k"]"#));
    // A bound that is a string but not a number.
    assert_eq!(
        ok(r#"["content-length-range", "test", 10]"#, &[], false),
        failed(r#"["content-length-range", "test", "10"]"#)
    );
    // Quotes in a value are escaped in the message.
    assert_eq!(
        ok(r#"{"Content-Disposition": "filename=\"a.png\""}"#, &[("content-disposition", "inline")], false),
        failed(r#"["eq", "$Content-Disposition", "filename=\"a.png\""]"#)
    );
    // OSS's `in` and `not-in`; S3 does not have them.
    let in_list = r#"["in", "$content-type", ["image/png", "image/jpeg"]], ["not-in", "$cache-control", ["no-cache"]]"#;
    assert_eq!(ok(in_list, &[("content-type", "image/png")], true).1, "ok");
    assert_eq!(ok(in_list, &[("content-type", "image/png"), ("cache-control", "max-age=1")], true).1, "ok");
    assert_eq!(
        ok(in_list, &[("content-type", "image/png"), ("cache-control", "no-cache")], true),
        failed(r#"["not-in", "$cache-control", ["no-cache"]]"#)
    );
    assert_eq!(
        ok(in_list, &[("content-type", "image/gif")], true),
        failed(r#"["in", "$content-type", ["image/png","image/jpeg"]]"#)
    );
    assert_eq!(
        ok(in_list, &[("content-type", "image/png")], false),
        malformed("Invalid Policy: Invalid Condition: unknown operation 'in'.")
    );
    assert_eq!(
        ok(r#"["not-in", "$cache-control", "no-cache"]"#, &[], true),
        malformed("Invalid Policy: Invalid not-in: value must be a List.")
    );
}

#[test]
fn malformed_policies_are_refused_before_any_condition() {
    let encode = |json: &str| BASE64.encode(json);
    let cases = [
        ("not base64!".to_string(), "Invalid Policy: Invalid JSON."),
        (encode("{not json"), "Invalid Policy: Invalid JSON."),
        (encode(r#"{"expiration": "2030-01-01T00:00:00Z"}"#), "Invalid Policy: Policy missing conditions."),
        (
            encode(r#"{"expiration": "2030-01-01T00:00:00Z", "CONDITIONS": []}"#),
            "Invalid Policy: Policy missing conditions.",
        ),
        (
            encode(r#"{"expiration": "2030-01-01T00:00:00Z", "conditions": {}}"#),
            "Invalid Policy: Invalid 'conditions' value: must be a List.",
        ),
        (
            policy_of(r#"{"bucket": "bk", "key": "k"}"#),
            "Invalid Policy: Invalid Simple-Condition: Simple-Conditions must have exactly one property specified.",
        ),
        (
            policy_of("{}"),
            "Invalid Policy: Invalid Simple-Condition: Simple-Conditions must have exactly one property specified.",
        ),
        (
            policy_of(r#"{"Content-Length": 6199034}"#),
            "Invalid Policy: Invalid Simple-Condition: value must be a string.",
        ),
        (policy_of(r#"{"success_action_redirect": null}"#), "Invalid Policy: Invalid JSON."),
        (policy_of(r#"["content-length-range", 0, 512.0]"#), "Invalid Policy: Invalid JSON."),
        (policy_of(r#"["content-length-range", -1, 0]"#), "Invalid Policy: Invalid JSON."),
        (
            policy_of(r#"["content-length-range", 0]"#),
            "Invalid Policy: Invalid content-length-range: wrong number of arguments.",
        ),
        (policy_of(r#"["eq", "$key"]"#), "Invalid Policy: Invalid eq: wrong number of arguments."),
        (policy_of(r#"["eq", "$key", 5]"#), "Invalid Policy: Invalid JSON."),
        (policy_of("[]"), "Invalid Policy: Invalid Condition: missing operation identifier."),
        (policy_of(r#"["matches", "$key", "k"]"#), "Invalid Policy: Invalid Condition: unknown operation 'matches'."),
        (policy_of("123"), "Invalid Policy: Invalid condition test: must be a List or Object."),
    ];
    for (policy, message) in cases {
        for oss in [false, true] {
            let r = refusal(conditions(&policy, &[("key", "k")], "bk", 3, oss));
            assert_eq!(r, malformed(message), "{message}");
        }
    }
    // The whole document is read before any condition is checked.
    let late = policy_of(r#"["eq", "$key", "other"], ["content-length-range", 0]"#);
    assert_eq!(
        refusal(conditions(&late, &[("key", "k")], "bk", 3, false)),
        malformed("Invalid Policy: Invalid content-length-range: wrong number of arguments.")
    );
    // A policy that names nothing: S3 wants every field named, OSS does not.
    let empty = policy_of("");
    assert_eq!(
        refusal(conditions(&empty, &[("key", "k"), ("policy", "p"), ("signature", "s")], "bk", 3, false)),
        extra("key")
    );
    assert_eq!(refusal(conditions(&empty, &[("key", "k")], "bk", 3, true)).1, "ok");
}

#[test]
fn the_canonical_query_is_encoded_again_and_sorted() {
    let q = Query::parse("b=2&a=%7e+x&a=1&c&list-type=2&prefix=a%2fb%C3%BC");
    assert_eq!(canonical_query(&q, None, false), "a=1&a=~%20x&b=2&c=&list-type=2&prefix=a%2Fb%C3%BC");
    assert_eq!(canonical_query(&q, Some("b"), true), "a=1&a=~%20x&c&list-type=2&prefix=a%2Fb%C3%BC");
}

#[test]
fn comparison_is_exact() {
    assert!(constant_time_eq(b"abc", b"abc"));
    assert!(!constant_time_eq(b"abc", b"abd"));
    assert!(!constant_time_eq(b"abc", b"ab"));
    assert!(constant_time_eq(b"", b""));
}

/// Recorded from boto3 1.44.8 (botocore) and oss2 2.19.1: each client sent its request to
/// a loopback Python `http.server` that logged the request target and headers as they
/// arrived; presigned URLs were fetched with urllib. Headers that no scheme signs
/// (User-Agent, Accept-Encoding, Content-Length, ...) are left out. `now` is the second
/// the request was made.
const CLIENTS: &[Fixture] = &[
    Fixture {
        name: "s3v4_put_cors",
        method: "PUT",
        target: "/bucket?cors",
        headers: &[
            ("Host", "127.0.0.1:34131"),
            ("Content-MD5", "8alqrbXMPQqTnk2/Sr7qJw=="),
            ("x-amz-checksum-crc32", "QcLIaQ=="),
            ("x-amz-sdk-checksum-algorithm", "CRC32"),
            ("X-Amz-Date", "20261130T201928Z"),
            ("X-Amz-Content-SHA256", "946c8dc7dd664e2b9abd900129de887087ab072d9c5f62d86963c518b751a462"),
            ("Authorization", "AWS4-HMAC-SHA256 Credential=AKIDCORSMATCH/20261130/us-east-1/s3/aws4_request, SignedHeaders=content-md5;host;x-amz-checksum-crc32;x-amz-content-sha256;x-amz-date;x-amz-sdk-checksum-algorithm, Signature=122c7f38d81478320a97efa6091b2f0b6531ca58bb9d53272f2e09caed227893"),
        ],
        resource: "/bucket/",
        oss: false,
        now: 1796069968,
    },
    Fixture {
        name: "s3v4_get_unicode",
        method: "GET",
        target: "/bucket/dir/a%20b/%C3%BCn%C3%AF%2B%C3%A7.txt",
        headers: &[
            ("Host", "127.0.0.1:34131"),
            ("x-amz-checksum-mode", "ENABLED"),
            ("X-Amz-Date", "20261130T201928Z"),
            ("X-Amz-Content-SHA256", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
            ("Authorization", "AWS4-HMAC-SHA256 Credential=AKIDCORSMATCH/20261130/us-east-1/s3/aws4_request, SignedHeaders=host;x-amz-checksum-mode;x-amz-content-sha256;x-amz-date, Signature=b4289d53c8903598f9ca5d3296c49ca1515aa94b5a05301256952ee7241ad0c8"),
        ],
        resource: "/bucket/dir/a b/ünï+ç.txt",
        oss: false,
        now: 1796069968,
    },
    Fixture {
        name: "s3v4_upload_part",
        method: "PUT",
        target: "/bucket/big.bin?partNumber=1&uploadId=x",
        headers: &[
            ("Host", "127.0.0.1:34131"),
            ("x-amz-checksum-crc32", "NhCmhg=="),
            ("x-amz-sdk-checksum-algorithm", "CRC32"),
            ("X-Amz-Date", "20261130T201929Z"),
            ("X-Amz-Content-SHA256", "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824"),
            ("Authorization", "AWS4-HMAC-SHA256 Credential=AKIDCORSMATCH/20261130/us-east-1/s3/aws4_request, SignedHeaders=host;x-amz-checksum-crc32;x-amz-content-sha256;x-amz-date;x-amz-sdk-checksum-algorithm, Signature=42d52ef80837f706d758e7663717ed7a18baea2239efb6c5cb726b7d927e6828"),
        ],
        resource: "/bucket/big.bin",
        oss: false,
        now: 1796069969,
    },
    Fixture {
        name: "s3v4_list_prefix",
        method: "GET",
        target: "/bucket?list-type=2&prefix=a%20b%2F%C3%BC%2B&delimiter=%2F&encoding-type=url",
        headers: &[
            ("Host", "127.0.0.1:34131"),
            ("X-Amz-Date", "20261130T201929Z"),
            ("X-Amz-Content-SHA256", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
            ("Authorization", "AWS4-HMAC-SHA256 Credential=AKIDCORSMATCH/20261130/us-east-1/s3/aws4_request, SignedHeaders=host;x-amz-content-sha256;x-amz-date, Signature=6f10086fdc9afb640b31c904883590590e26d50dd8bae35c3f1bef9a5b3ee7a5"),
        ],
        resource: "/bucket/",
        oss: false,
        now: 1796069969,
    },
    Fixture {
        name: "s3v4_virtual_get",
        method: "GET",
        target: "/a%20b.txt",
        headers: &[
            ("Host", "bucket.localhost:34131"),
            ("Range", "bytes=0-1"),
            ("x-amz-checksum-mode", "ENABLED"),
            ("X-Amz-Date", "20261130T201929Z"),
            ("X-Amz-Content-SHA256", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
            ("Authorization", "AWS4-HMAC-SHA256 Credential=AKIDCORSMATCH/20261130/us-east-1/s3/aws4_request, SignedHeaders=host;range;x-amz-checksum-mode;x-amz-content-sha256;x-amz-date, Signature=b2795e51b7519bf6013370b05a2d261896c125d84b8dfa8711e4e04308baf71a"),
        ],
        resource: "/bucket/a b.txt",
        oss: false,
        now: 1796069969,
    },
    Fixture {
        name: "s3v4_presigned_get",
        method: "GET",
        target: "/bucket/dir/a%20b/%C3%BCn%C3%AF%2B%C3%A7.txt?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIDCORSMATCH%2F20261130%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Date=20261130T201929Z&X-Amz-Expires=3600&X-Amz-SignedHeaders=host&X-Amz-Signature=e02a461715fcd22b4457d510120ab09557c7b8766e1984b84c0dec671f57a577",
        headers: &[
            ("Host", "127.0.0.1:34131"),
        ],
        resource: "/bucket/dir/a b/ünï+ç.txt",
        oss: false,
        now: 1796069969,
    },
    Fixture {
        name: "s3v4_presigned_virtual_put",
        method: "PUT",
        target: "/up%20load.txt?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIDCORSMATCH%2F20261130%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Date=20261130T201929Z&X-Amz-Expires=600&X-Amz-SignedHeaders=host&X-Amz-Signature=d20434df4cca3e4bbaa874ba75b2ce46997a3cdee0d71270612b05da7ab053b8",
        headers: &[
            ("Content-Type", "application/x-www-form-urlencoded"),
            ("Host", "bucket.localhost:34131"),
        ],
        resource: "/bucket/up load.txt",
        oss: false,
        now: 1796069969,
    },
    Fixture {
        name: "s3v2_presigned_get",
        method: "GET",
        target: "/bucket/dir/a%20b/%C3%BCn%C3%AF%2B%C3%A7.txt?response-content-type=text%2Fplain%3B%20charset%3Dutf-8&AWSAccessKeyId=AKIDCORSMATCH&Signature=AJzMCmMx3837Hy3b4jDiq%2BDNnc8%3D&Expires=1796073569",
        headers: &[
            ("Host", "127.0.0.1:34131"),
        ],
        resource: "/bucket/dir/a b/ünï+ç.txt",
        oss: false,
        now: 1796069969,
    },
    Fixture {
        name: "s3v2_header_put_cors",
        method: "PUT",
        target: "/bucket?cors",
        headers: &[
            ("Host", "127.0.0.1:34131"),
            ("Content-MD5", "8alqrbXMPQqTnk2/Sr7qJw=="),
            ("x-amz-checksum-crc32", "QcLIaQ=="),
            ("x-amz-sdk-checksum-algorithm", "CRC32"),
            ("Date", "Mon, 30 Nov 2026 20:19:29 GMT"),
            ("Authorization", "AWS AKIDCORSMATCH:wLB5P7mftxwdGYRAACFPBVefTnI="),
        ],
        resource: "/bucket/",
        oss: false,
        now: 1796069969,
    },
    Fixture {
        name: "s3v2_header_upload_part",
        method: "PUT",
        target: "/bucket/dir/a%20b/%C3%BCn%C3%AF%2B%C3%A7.txt?partNumber=1&uploadId=x",
        headers: &[
            ("Host", "127.0.0.1:34131"),
            ("x-amz-checksum-crc32", "NhCmhg=="),
            ("x-amz-sdk-checksum-algorithm", "CRC32"),
            ("Date", "Mon, 30 Nov 2026 20:19:29 GMT"),
            ("Authorization", "AWS AKIDCORSMATCH:4bLgfYsNGzxnT0bxcviPND3wJVk="),
        ],
        resource: "/bucket/dir/a b/ünï+ç.txt",
        oss: false,
        now: 1796069969,
    },
    Fixture {
        name: "s3v2_header_virtual_get",
        method: "GET",
        target: "/dir/a%20b/%C3%BCn%C3%AF%2B%C3%A7.txt",
        headers: &[
            ("Host", "bucket.localhost:34131"),
            ("x-amz-checksum-mode", "ENABLED"),
            ("Date", "Mon, 30 Nov 2026 20:19:29 GMT"),
            ("Authorization", "AWS AKIDCORSMATCH:0V8Bk1QMmlpC61bfJ6dbYCJ5Qgc="),
        ],
        resource: "/bucket/dir/a b/ünï+ç.txt",
        oss: false,
        now: 1796069969,
    },
    Fixture {
        name: "oss1_put_cors",
        method: "PUT",
        target: "/bucket/?cors=",
        headers: &[
            ("Host", "127.0.0.1:34131"),
            ("date", "Mon, 30 Nov 2026 20:19:30 GMT"),
            ("authorization", "OSS LTAIcorsmatch:NV8GJxtPE9+j2Ax1BmWJvmo9BOY="),
        ],
        resource: "/bucket/",
        oss: true,
        now: 1796069970,
    },
    Fixture {
        name: "oss1_put_md5",
        method: "PUT",
        target: "/bucket/dir%2Fa%20b%2F%C3%BCn%C3%AF%2B%C3%A7.txt",
        headers: &[
            ("Host", "127.0.0.1:34131"),
            ("Content-MD5", "XUFAKrxLKna5cZ2REBfFkg=="),
            ("Content-Type", "text/plain"),
            ("x-oss-meta-a", "b"),
            ("x-oss-object-acl", "private"),
            ("date", "Mon, 30 Nov 2026 20:19:30 GMT"),
            ("authorization", "OSS LTAIcorsmatch:kXeqQPWR97ciep8Hr5X2rUQFRUQ="),
        ],
        resource: "/bucket/dir/a b/ünï+ç.txt",
        oss: true,
        now: 1796069970,
    },
    Fixture {
        name: "oss1_get_unicode",
        method: "GET",
        target: "/bucket/dir%2Fa%20b%2F%C3%BCn%C3%AF%2B%C3%A7.txt",
        headers: &[
            ("Host", "127.0.0.1:34131"),
            ("date", "Mon, 30 Nov 2026 20:19:30 GMT"),
            ("authorization", "OSS LTAIcorsmatch:YRyGZCEcjeOQNb64mI0uDcIpfRQ="),
        ],
        resource: "/bucket/dir/a b/ünï+ç.txt",
        oss: true,
        now: 1796069970,
    },
    Fixture {
        name: "oss1_upload_part",
        method: "PUT",
        target: "/bucket/big.bin?uploadId=x&partNumber=1",
        headers: &[
            ("Host", "127.0.0.1:34131"),
            ("date", "Mon, 30 Nov 2026 20:19:30 GMT"),
            ("authorization", "OSS LTAIcorsmatch:HEbk0O4SsF/Y/zPSJdwzlN2lDP8="),
        ],
        resource: "/bucket/big.bin",
        oss: true,
        now: 1796069970,
    },
    Fixture {
        name: "oss1_get_process",
        method: "GET",
        target: "/bucket/a.jpg?x-oss-process=image%2Fresize%2Cw_100",
        headers: &[
            ("Host", "127.0.0.1:34131"),
            ("x-oss-traffic-limit", "819200"),
            ("date", "Mon, 30 Nov 2026 20:19:30 GMT"),
            ("authorization", "OSS LTAIcorsmatch:oudL2bw48iy+6YR1whf93INT73A="),
        ],
        resource: "/bucket/a.jpg",
        oss: true,
        now: 1796069970,
    },
    Fixture {
        name: "oss1_virtual_get",
        method: "GET",
        target: "/dir%2Fa%20b%2F%C3%BCn%C3%AF%2B%C3%A7.txt",
        headers: &[
            ("Host", "bucket.oss-local.localhost:34131"),
            ("range", "bytes=0-1"),
            ("date", "Mon, 30 Nov 2026 20:19:30 GMT"),
            ("authorization", "OSS LTAIcorsmatch:YRyGZCEcjeOQNb64mI0uDcIpfRQ="),
        ],
        resource: "/bucket/dir/a b/ünï+ç.txt",
        oss: true,
        now: 1796069970,
    },
    Fixture {
        name: "oss1_sign_url",
        method: "GET",
        target: "/bucket/dir%2Fa%20b%2F%C3%BCn%C3%AF%2B%C3%A7.txt?response-content-type=text%2Fplain&OSSAccessKeyId=LTAIcorsmatch&Expires=1796073570&Signature=Z9z4BfCSS2OOcTVfooDIijgXwxQ%3D",
        headers: &[
            ("Host", "127.0.0.1:34131"),
        ],
        resource: "/bucket/dir/a b/ünï+ç.txt",
        oss: true,
        now: 1796069970,
    },
    Fixture {
        name: "oss4_put_cors",
        method: "PUT",
        target: "/bucket/?cors=",
        headers: &[
            ("Host", "127.0.0.1:34131"),
            ("x-oss-date", "20261130T201930Z"),
            ("x-oss-content-sha256", "UNSIGNED-PAYLOAD"),
            ("authorization", "OSS4-HMAC-SHA256 Credential=LTAIcorsmatch/20261130/cn-hangzhou/oss/aliyun_v4_request, Signature=5f34a4cfea38ba4ed947abb7726b5e4d8d47b4b4e937880dd5e020053f015684"),
        ],
        resource: "/bucket/",
        oss: true,
        now: 1796069970,
    },
    Fixture {
        name: "oss4_put_md5",
        method: "PUT",
        target: "/bucket/dir%2Fa%20b%2F%C3%BCn%C3%AF%2B%C3%A7.txt",
        headers: &[
            ("Host", "127.0.0.1:34131"),
            ("Content-MD5", "XUFAKrxLKna5cZ2REBfFkg=="),
            ("Content-Type", "text/plain"),
            ("x-oss-meta-a", "b"),
            ("x-oss-object-acl", "private"),
            ("x-oss-date", "20261130T201930Z"),
            ("x-oss-content-sha256", "UNSIGNED-PAYLOAD"),
            ("authorization", "OSS4-HMAC-SHA256 Credential=LTAIcorsmatch/20261130/cn-hangzhou/oss/aliyun_v4_request, Signature=59294416a5d55d197bfcc21ddad445efd5aa488d6af1fbc64aebf1cf71d613e9"),
        ],
        resource: "/bucket/dir/a b/ünï+ç.txt",
        oss: true,
        now: 1796069970,
    },
    Fixture {
        name: "oss4_get_unicode",
        method: "GET",
        target: "/bucket/dir%2Fa%20b%2F%C3%BCn%C3%AF%2B%C3%A7.txt",
        headers: &[
            ("Host", "127.0.0.1:34131"),
            ("x-oss-meta-x", "1"),
            ("If-None-Match", "abc"),
            ("x-oss-date", "20261130T201930Z"),
            ("x-oss-content-sha256", "UNSIGNED-PAYLOAD"),
            ("authorization", "OSS4-HMAC-SHA256 Credential=LTAIcorsmatch/20261130/cn-hangzhou/oss/aliyun_v4_request, Signature=ce043c9d267d30f681e04278d940b7b6eb197cf33e4044caceff4e7701f7f46d"),
        ],
        resource: "/bucket/dir/a b/ünï+ç.txt",
        oss: true,
        now: 1796069970,
    },
    Fixture {
        name: "oss4_upload_part",
        method: "PUT",
        target: "/bucket/big.bin?uploadId=x&partNumber=1",
        headers: &[
            ("Host", "127.0.0.1:34131"),
            ("x-oss-date", "20261130T201930Z"),
            ("x-oss-content-sha256", "UNSIGNED-PAYLOAD"),
            ("authorization", "OSS4-HMAC-SHA256 Credential=LTAIcorsmatch/20261130/cn-hangzhou/oss/aliyun_v4_request, Signature=d557e5bedb85f10e63a5c7c263c56ac9c3f3a679fcc9d7a7fbd12e9f08b3e965"),
        ],
        resource: "/bucket/big.bin",
        oss: true,
        now: 1796069970,
    },
    Fixture {
        name: "oss4_virtual_get",
        method: "GET",
        target: "/dir%2Fa%20b%2F%C3%BCn%C3%AF%2B%C3%A7.txt",
        headers: &[
            ("Host", "bucket.oss-local.localhost:34131"),
            ("x-oss-date", "20261130T201930Z"),
            ("x-oss-content-sha256", "UNSIGNED-PAYLOAD"),
            ("authorization", "OSS4-HMAC-SHA256 Credential=LTAIcorsmatch/20261130/cn-hangzhou/oss/aliyun_v4_request, Signature=d214d145828a7cdf6d6a711bcb08a094f70c442036f8cc901d3c7c96e6981fa2"),
        ],
        resource: "/bucket/dir/a b/ünï+ç.txt",
        oss: true,
        now: 1796069970,
    },
    Fixture {
        name: "oss4_sign_url",
        method: "GET",
        target: "/bucket/dir%2Fa%20b%2F%C3%BCn%C3%AF%2B%C3%A7.txt?response-content-type=text%2Fplain&x-oss-date=20261130T201930Z&x-oss-expires=3600&x-oss-signature-version=OSS4-HMAC-SHA256&x-oss-credential=LTAIcorsmatch%2F20261130%2Fcn-hangzhou%2Foss%2Faliyun_v4_request&x-oss-signature=e75d9ca513a3f136094ed4947d8dcd0dde676bb80c318907bab1319702a53e6b",
        headers: &[
            ("Host", "127.0.0.1:34131"),
        ],
        resource: "/bucket/dir/a b/ünï+ç.txt",
        oss: true,
        now: 1796069970,
    },
    Fixture {
        name: "oss2_get_unicode",
        method: "GET",
        target: "/bucket/dir%2Fa%20b%2F%C3%BCn%C3%AF%2B%C3%A7.txt",
        headers: &[
            ("Host", "127.0.0.1:34131"),
            ("range", "bytes=0-1"),
            ("date", "Mon, 30 Nov 2026 20:19:30 GMT"),
            ("authorization", "OSS2 AccessKeyId:LTAIcorsmatch,AdditionalHeaders:range,Signature:wubc0RCg/eJEbrKWw5j1XenfVBaEtmQc/mGt43HQNok="),
        ],
        resource: "/bucket/dir/a b/ünï+ç.txt",
        oss: true,
        now: 1796069970,
    },
    Fixture {
        name: "oss2_put_md5",
        method: "PUT",
        target: "/bucket/dir%2Fa%20b%2F%C3%BCn%C3%AF%2B%C3%A7.txt",
        headers: &[
            ("Host", "127.0.0.1:34131"),
            ("Content-MD5", "XUFAKrxLKna5cZ2REBfFkg=="),
            ("Content-Type", "text/plain"),
            ("x-oss-meta-a", "b"),
            ("x-oss-object-acl", "private"),
            ("date", "Mon, 30 Nov 2026 20:19:30 GMT"),
            ("authorization", "OSS2 AccessKeyId:LTAIcorsmatch,Signature:qoG5F3OZ64M5FoJ8H+ffr/OKA2x5KC/tLx/TYJ5b3wI="),
        ],
        resource: "/bucket/dir/a b/ünï+ç.txt",
        oss: true,
        now: 1796069970,
    },
    Fixture {
        name: "oss2_put_cors",
        method: "PUT",
        target: "/bucket/?cors=",
        headers: &[
            ("Host", "127.0.0.1:34131"),
            ("date", "Mon, 30 Nov 2026 20:19:30 GMT"),
            ("authorization", "OSS2 AccessKeyId:LTAIcorsmatch,Signature:z3bHif8wRTpXBVjtX67gwAocpA1S1eajv2KrWIdUMMI="),
        ],
        resource: "/bucket/",
        oss: true,
        now: 1796069970,
    },
    Fixture {
        name: "oss2_sign_url",
        method: "GET",
        target: "/bucket/dir%2Fa%20b%2F%C3%BCn%C3%AF%2B%C3%A7.txt?x-oss-signature-version=OSS2&x-oss-expires=1796073570&x-oss-access-key-id=LTAIcorsmatch&x-oss-signature=apFAsTnr0RFVRuSm%2Fe1LTOXN%2F3Md067phghDexGISr8%3D",
        headers: &[
            ("Host", "127.0.0.1:34131"),
        ],
        resource: "/bucket/dir/a b/ünï+ç.txt",
        oss: true,
        now: 1796069970,
    },
];

/// PostObject forms: boto3 `generate_presigned_post` (SigV4, SigV2), and OSS forms signed
/// as OSS's PostObject pages define them (oss2 has no helper).
const POSTS: &[PostFixture] = &[
    PostFixture {
        name: "s3v4_post",
        fields: &[
            ("key", "uploads/${filename}"),
            ("x-amz-algorithm", "AWS4-HMAC-SHA256"),
            ("x-amz-credential", "AKIDCORSMATCH/20261130/us-east-1/s3/aws4_request"),
            ("x-amz-date", "20261130T201929Z"),
            ("policy", "eyJleHBpcmF0aW9uIjogIjIwMjYtMTEtMzBUMjE6MTk6MjlaIiwgImNvbmRpdGlvbnMiOiBbeyJidWNrZXQiOiAiYnVja2V0In0sIFsic3RhcnRzLXdpdGgiLCAiJGtleSIsICJ1cGxvYWRzLyJdLCB7IngtYW16LWFsZ29yaXRobSI6ICJBV1M0LUhNQUMtU0hBMjU2In0sIHsieC1hbXotY3JlZGVudGlhbCI6ICJBS0lEQ09SU01BVENILzIwMjYxMTMwL3VzLWVhc3QtMS9zMy9hd3M0X3JlcXVlc3QifSwgeyJ4LWFtei1kYXRlIjogIjIwMjYxMTMwVDIwMTkyOVoifV19"),
            ("x-amz-signature", "e6a23f52dd8e1896847e850b6af8a5b052abd93cb8ee242ea9be1647add159d9"),
        ],
        oss: false,
        now: 1796069969,
    },
    PostFixture {
        name: "s3v2_post",
        fields: &[
            ("key", "uploads/${filename}"),
            ("AWSAccessKeyId", "AKIDCORSMATCH"),
            ("policy", "eyJleHBpcmF0aW9uIjogIjIwMjYtMTEtMzBUMjE6MTk6MjlaIiwgImNvbmRpdGlvbnMiOiBbeyJidWNrZXQiOiAiYnVja2V0In0sIFsic3RhcnRzLXdpdGgiLCAiJGtleSIsICJ1cGxvYWRzLyJdXX0="),
            ("signature", "e3UKIkyDIRP4JOqGdSMPBJNQazA="),
        ],
        oss: false,
        now: 1796069969,
    },
    PostFixture {
        name: "oss1_post",
        fields: &[
            ("key", "uploads/a.txt"),
            ("OSSAccessKeyId", "LTAIcorsmatch"),
            ("policy", "eyJleHBpcmF0aW9uIjogIjIwMjYtMTEtMzBUMjE6MTk6MzAuMDAwWiIsICJjb25kaXRpb25zIjogW1sic3RhcnRzLXdpdGgiLCAiJGtleSIsICJ1cGxvYWRzLyJdXX0="),
            ("Signature", "vZA9X0RPrpdzte7uD1t7hUNgMS0="),
        ],
        oss: true,
        now: 1796069970,
    },
    PostFixture {
        name: "oss4_post",
        fields: &[
            ("key", "uploads/a.txt"),
            ("policy", "eyJleHBpcmF0aW9uIjogIjIwMjYtMTEtMzBUMjE6MTk6MzAuMDAwWiIsICJjb25kaXRpb25zIjogW1sic3RhcnRzLXdpdGgiLCAiJGtleSIsICJ1cGxvYWRzLyJdXX0="),
            ("x-oss-signature-version", "OSS4-HMAC-SHA256"),
            ("x-oss-credential", "LTAIcorsmatch/20261130/cn-hangzhou/oss/aliyun_v4_request"),
            ("x-oss-date", "20261130T201930Z"),
            ("x-oss-signature", "4ad183bbf3633a82791a773c31f1a967909c2169ad4ff8c7178d19ab72f4cb84"),
        ],
        oss: true,
        now: 1796069970,
    },
];
