//! Glue for servers built on the [`http`] crate (feature `http`) and on tower
//! (feature `tower`).
//!
//! - [`RequestHeaders`] reads `Origin`, `Access-Control-Request-Method` and
//!   `Access-Control-Request-Headers` from a request's [`Parts`] or a [`HeaderMap`] and gives
//!   the engine's [`Request`].
//! - [`ResponseHeaders`] (and the shortcut [`apply`]) writes a decision's headers into a
//!   [`HeaderMap`], merging `Vary` with the one already there.
//! - [`preflight_response`] builds the whole answer to a preflight: status, headers and the
//!   provider's XML error body.
//! - With the `tower` feature, `CorsLayer` does all of this around a service.
//!
//! ```
//! use corsmatch::http::{apply, preflight_response, RequestHeaders};
//! use corsmatch::{Profile, RuleSet, Scratch, Target};
//!
//! let rules = RuleSet::from_xml(br#"<CORSConfiguration><CORSRule>
//!     <AllowedOrigin>https://*.example.com</AllowedOrigin>
//!     <AllowedMethod>PUT</AllowedMethod>
//!     <AllowedHeader>x-oss-meta-*</AllowedHeader>
//! </CORSRule></CORSConfiguration>"#, Profile::Oss)?;
//!
//! let request = http::Request::builder()
//!     .method("OPTIONS")
//!     .uri("/photo.jpg")
//!     .header("Origin", "https://www.example.com")
//!     .header("Access-Control-Request-Method", "PUT")
//!     .header("Access-Control-Request-Headers", "x-oss-meta-author")
//!     .header("Access-Control-Request-Headers", "X-OSS-Meta-Color") // lines are one list
//!     .body(())
//!     .unwrap();
//! let (parts, ()) = request.into_parts();
//! let headers = RequestHeaders::from_parts(&parts);
//! let mut scratch = Scratch::new();
//! let decision = rules.evaluate(&headers.request(Target::Object), &mut scratch);
//! let response = preflight_response(&decision);
//! assert_eq!(response.status(), 200);
//! assert_eq!(response.headers()["access-control-allow-headers"], "x-oss-meta-author, x-oss-meta-color");
//!
//! // An actual request: add the headers to the storage server's own response.
//! let get = http::Request::get("/photo.jpg").header("Origin", "https://a.example.com").body(()).unwrap();
//! let (parts, ()) = get.into_parts();
//! let headers = RequestHeaders::from_parts(&parts);
//! let decision = rules.evaluate(&headers.request(Target::Object), &mut scratch);
//! let mut response = http::Response::new(());
//! apply(&decision, response.headers_mut());
//! assert!(response.headers().get("access-control-allow-origin").is_none()); // GET is not allowed
//! # Ok::<(), corsmatch::ConfigError>(())
//! ```
//!
//! ## Header values that are not UTF-8
//!
//! The engine works on `&str`; header values are bytes. Nothing here panics on any value:
//!
//! - An `Origin` that is not UTF-8 is kept present but made unmatchable by any pattern
//!   except `*`: it becomes [`NON_UTF8_ORIGIN`] (a NUL byte, which no configuration can hold and
//!   no HTTP header value can carry). A preflight from it is refused with 403 unless a rule
//!   allows the origin `*`, and `*` is then what is sent back: the bytes are never echoed.
//!   Browsers only send ASCII origins.
//! - In `Access-Control-Request-Method` and `Access-Control-Request-Headers`, bytes that are
//!   not UTF-8 become U+FFFD (lossy decoding). Such a method is never one of the five, so the
//!   preflight gets the provider's 400 `Invalid Access-Control-Request-Method`; such a header
//!   name can only be allowed by a glob (`x-*` or `*`).
//! - When a header appears on several lines, `Origin` and `Access-Control-Request-Method` are
//!   taken from the first line (neither is a list), and the lines of
//!   `Access-Control-Request-Headers` are joined with `,` (RFC 9110 §5.3: they are one list).

use std::borrow::Cow;

use ::http::header::{self, HeaderMap, HeaderName, HeaderValue};
use ::http::request::Parts;
use ::http::Method;
use bytes::Bytes;

use crate::{Decision, Request, Target};

#[cfg(feature = "tower")]
mod layer;

#[cfg(feature = "tower")]
pub use layer::{Cors, CorsBody, CorsLayer, Lookup, ResponseFuture};

/// What an `Origin` that is not valid UTF-8 is replaced with: a NUL byte. No pattern can
/// contain it (configurations refuse control characters) and no header value can either, so
/// it matches only the pattern `*` and can never be confused with a real origin.
pub const NON_UTF8_ORIGIN: &str = "\0";

/// The CORS headers of one request, read from the `http` crate's types; borrowed where the
/// values are UTF-8 on one line, owned otherwise. See the [module docs](self) for the
/// handling of values that are not UTF-8 and of repeated lines.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestHeaders<'a> {
    method: &'a str,
    origin: Option<&'a str>,
    acrm: Option<Cow<'a, str>>,
    acrh: Option<Cow<'a, str>>,
}

impl<'a> RequestHeaders<'a> {
    /// Reads the method and the CORS headers.
    pub fn new(method: &'a Method, headers: &'a HeaderMap) -> RequestHeaders<'a> {
        let origin = headers.get(header::ORIGIN).map(|v| std::str::from_utf8(v.as_bytes()).unwrap_or(NON_UTF8_ORIGIN));
        let acrm = headers.get(header::ACCESS_CONTROL_REQUEST_METHOD).map(|v| String::from_utf8_lossy(v.as_bytes()));
        let mut lines = headers.get_all(header::ACCESS_CONTROL_REQUEST_HEADERS).iter();
        let acrh = lines.next().map(|first| {
            let mut joined = String::from_utf8_lossy(first.as_bytes());
            for line in lines {
                let list = joined.to_mut();
                list.push(',');
                list.push_str(&String::from_utf8_lossy(line.as_bytes()));
            }
            joined
        });
        RequestHeaders { method: method.as_str(), origin, acrm, acrh }
    }

    /// Reads the method and the CORS headers of a request's head.
    pub fn from_parts(parts: &'a Parts) -> RequestHeaders<'a> {
        RequestHeaders::new(&parts.method, &parts.headers)
    }

    /// The request for the engine, addressing `target`. Set `request_id` and `host_id` on
    /// the result to have them in error bodies.
    pub fn request(&self, target: Target) -> Request<'_> {
        Request {
            method: self.method,
            origin: self.origin,
            acrm: self.acrm.as_deref(),
            acrh: self.acrh.as_deref(),
            target,
            request_id: None,
            host_id: None,
        }
    }

    /// The method.
    pub fn method(&self) -> &str {
        self.method
    }

    /// `Origin`, [`NON_UTF8_ORIGIN`] when it is not UTF-8.
    pub fn origin(&self) -> Option<&str> {
        self.origin
    }

    /// `Access-Control-Request-Method`.
    pub fn acrm(&self) -> Option<&str> {
        self.acrm.as_deref()
    }

    /// `Access-Control-Request-Headers`, its lines joined with `,`.
    pub fn acrh(&self) -> Option<&str> {
        self.acrh.as_deref()
    }
}

/// The header names of [`crate::render::HEADER_ORDER`], as `http` constants.
const NAMES: [HeaderName; 7] = [
    header::ACCESS_CONTROL_ALLOW_ORIGIN,
    header::ACCESS_CONTROL_ALLOW_METHODS,
    header::ACCESS_CONTROL_ALLOW_HEADERS,
    header::ACCESS_CONTROL_EXPOSE_HEADERS,
    header::ACCESS_CONTROL_MAX_AGE,
    header::ACCESS_CONTROL_ALLOW_CREDENTIALS,
    header::VARY,
];

/// A decision's response headers, owned: compute them before the request is handed on, and
/// apply them to the response when it comes back.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ResponseHeaders {
    values: [Option<HeaderValue>; 7],
}

impl ResponseHeaders {
    /// The headers of `decision`. A value that cannot be a header value is left out; values
    /// from a validated configuration and from a request's own headers always can.
    pub fn from_decision(decision: &Decision<'_>) -> ResponseHeaders {
        let mut out = ResponseHeaders::default();
        for (slot, value) in out.values.iter_mut().zip(decision.values.iter()) {
            *slot = value.and_then(|v| HeaderValue::from_bytes(v.as_bytes()).ok());
        }
        out
    }

    /// Whether there is nothing to add.
    pub fn is_empty(&self) -> bool {
        self.values.iter().all(Option::is_none)
    }

    /// The headers, in the order they are sent.
    pub fn iter(&self) -> impl Iterator<Item = (&HeaderName, &HeaderValue)> + '_ {
        NAMES.iter().zip(self.values.iter()).filter_map(|(n, v)| v.as_ref().map(|v| (n, v)))
    }

    /// Writes the headers into `headers`. Each `Access-Control-*` header replaces any value
    /// already there (two `Access-Control-Allow-Origin` lines make browsers refuse the
    /// response); `Vary` is merged with the existing one by [`merge_vary`].
    pub fn apply_to(&self, headers: &mut HeaderMap) {
        for (i, (name, value)) in NAMES.iter().zip(self.values.iter()).enumerate() {
            let Some(value) = value else { continue };
            // With no `Vary` there yet, the decision's own (a list without repeats) is the merge.
            if i == crate::render::slot::VARY && headers.contains_key(header::VARY) {
                merge_vary(headers, value);
            } else {
                headers.insert(name.clone(), value.clone());
            }
        }
    }
}

/// Writes `decision`'s headers into `headers`, as [`ResponseHeaders::apply_to`] does.
pub fn apply(decision: &Decision<'_>, headers: &mut HeaderMap) {
    ResponseHeaders::from_decision(decision).apply_to(headers);
}

/// Adds the field names of `value` (a `Vary` list) to the `Vary` of `headers`: names already
/// there (ASCII case ignored) are not repeated, a `Vary: *` is left alone, and several `Vary`
/// lines become one.
pub fn merge_vary(headers: &mut HeaderMap, value: &HeaderValue) {
    fn items(v: &HeaderValue) -> impl Iterator<Item = &[u8]> {
        v.as_bytes().split(|&b| b == b',').map(<[u8]>::trim_ascii).filter(|item| !item.is_empty())
    }
    let mut existing: Vec<&[u8]> = headers.get_all(header::VARY).iter().flat_map(items).collect();
    if existing.iter().any(|item| item == b"*") {
        return;
    }
    let lines = headers.get_all(header::VARY).iter().count();
    let mut added = false;
    for item in items(value) {
        if !existing.iter().any(|e| e.eq_ignore_ascii_case(item)) {
            existing.push(item);
            added = true;
        }
    }
    if !added && lines <= 1 {
        return;
    }
    let merged = existing.join(&b", "[..]);
    // Every byte came from a valid header value, and ", " is valid, so this cannot fail;
    // if it somehow did, the headers are left as they were.
    if let Ok(merged) = HeaderValue::from_bytes(&merged) {
        headers.insert(header::VARY, merged);
    }
}

/// The whole response to a preflight: the decision's status (200 when it has none), its
/// headers, and for a refusal the provider's XML error body with `Content-Type:
/// application/xml`. `Content-Length` is always set.
pub fn preflight_response(decision: &Decision<'_>) -> ::http::Response<Bytes> {
    let body = decision.refused.map_or_else(Bytes::new, |r| Bytes::copy_from_slice(r.body.as_bytes()));
    let mut response = ::http::Response::new(Bytes::new());
    *response.status_mut() =
        decision.status.and_then(|s| ::http::StatusCode::from_u16(s).ok()).unwrap_or(::http::StatusCode::OK);
    let headers = response.headers_mut();
    apply(decision, headers);
    if decision.refused.is_some() {
        headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("application/xml"));
    }
    headers.insert(header::CONTENT_LENGTH, HeaderValue::from(body.len()));
    *response.body_mut() = body;
    response
}
