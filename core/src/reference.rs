//! The reference matcher: SEMANTICS §3–7 written out plainly, one rule after another.
//!
//! It is the oracle the compiled engine is proven against, so it stays obvious (owned
//! strings, linear scans, no precomputation) and it is independent: it takes nothing from
//! the engine's pattern parsing, matching, rendering or messages, only the parsed
//! configuration and the request and response types, which are the interface. Its glob,
//! method list, ACRH splitting, strict-origin check, messages and XML body writer are its own
//! copies, written from SEMANTICS.md and the README's documented choices;
//! `tests/reference_text.rs` checks the messages against the text of `docs/SEMANTICS.md`.
//! Do not make it clever, and do not make it share code with the engine.

use crate::config::{CorsConfig, CorsRule};
use crate::request::{ErrorResponse, Request, Response, Target};
use crate::{Options, Profile};

/// Why one rule does or does not match a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// The rule matches.
    Matched,
    /// No `AllowedOrigin` matches the request's origin.
    Origin,
    /// The method (ACRM, or the request's own) is not allowed.
    Method,
    /// This requested header (lowercased) matches no `AllowedHeader`.
    Header(String),
}

// The providers' messages (SEMANTICS §1 and §5, README "Semantics"), typos kept.
const NO_ORIGIN: &str = "Insufficient information. Origin request header needed.";
const OSS_NO_ACRM: &str = "Insufficient information. Request Access-Control-Request-Method header needed.";
/// Followed by the ACRM; s3 says `null` when it is absent.
const INVALID_ACRM: &str = "Invalid Access-Control-Request-Method: ";
const OSS_DENIED: &str = "CORSResponse: This CORS request is not allowed. This is usually because the \
     evalution of Origin, request method / Access-Control-Request-Method or Access-Control-Requet-Headers \
     are not whitelisted by the resource's CORS spec.";
const S3_DENIED: &str = "CORSResponse: This CORS request is not allowed. This is usually because the \
     evalution of Origin, request method / Access-Control-Request-Method or Access-Control-Request-Headers \
     are not whitelisted by the resource's CORS spec.";
const S3_NOT_ENABLED: &str = "CORSResponse: CORS is not enabled for this bucket.";
const S3_NO_BUCKET: &str = "CORSResponse: Bucket not found";
const OSS_NO_BUCKET: &str = "The specified bucket does not exist.";

/// The only methods there are (SEMANTICS §2), case-sensitive.
const METHODS: [&str; 5] = ["GET", "PUT", "DELETE", "POST", "HEAD"];

/// S3's `Vary` on a matched CORS response.
const S3_VARY: &str = "Origin, Access-Control-Request-Headers, Access-Control-Request-Method";

/// SEMANTICS §3: `*` alone matches everything; `prefix*suffix` matches a value that starts
/// with the prefix and ends with the suffix, the two not overlapping; no `*` is equality.
fn glob_matches(pattern: &str, value: &str) -> bool {
    if pattern == "*" {
        return true;
    }
    match pattern.split_once('*') {
        None => value == pattern,
        Some((prefix, suffix)) => {
            value.len() >= prefix.len() + suffix.len() && value.starts_with(prefix) && value.ends_with(suffix)
        }
    }
}

/// SEMANTICS §7: `null`, or `scheme "://" host [":" port]` in lowercase ASCII, with no path,
/// userinfo or whitespace. The scheme is a letter then letters, digits, `+`, `-` or `.`; the
/// host is a non-empty name of letters, digits, `-`, `.` and `_` (the URL standard and
/// browsers allow `_` in a host), or an IPv6 literal in brackets; the port is a 16-bit
/// number (the URL standard's), one to five digits.
fn is_serialized_origin(origin: &str) -> bool {
    if origin == "null" {
        return true;
    }
    let Some((scheme, rest)) = origin.split_once("://") else { return false };
    let scheme_ok = scheme.starts_with(|c: char| c.is_ascii_lowercase())
        && scheme.chars().all(|c| matches!(c, 'a'..='z' | '0'..='9' | '+' | '-' | '.'));
    let (host_ok, port) = if let Some(v6) = rest.strip_prefix('[') {
        let Some((inside, after)) = v6.split_once(']') else { return false };
        (!inside.is_empty() && inside.chars().all(|c| matches!(c, '0'..='9' | 'a'..='f' | ':' | '.')), after)
    } else {
        let (host, port) = rest.split_at(rest.find(':').unwrap_or(rest.len()));
        (!host.is_empty() && host.chars().all(|c| matches!(c, 'a'..='z' | '0'..='9' | '-' | '.' | '_')), port)
    };
    let port_ok = port.is_empty()
        || port.strip_prefix(':').is_some_and(|p| {
            (1..=5).contains(&p.len()) && p.chars().all(|c| c.is_ascii_digit()) && p.parse::<u16>().is_ok()
        });
    scheme_ok && host_ok && port_ok
}

/// `Access-Control-Request-Headers` as a list: split on `,`, spaces and tabs trimmed, empty
/// items dropped, ASCII-lowercased; order and duplicates kept.
pub fn parse_acrh(acrh: Option<&str>) -> Vec<String> {
    let mut items = Vec::new();
    for item in acrh.unwrap_or("").split(',') {
        let item = item.trim_matches(|c| c == ' ' || c == '\t');
        if !item.is_empty() {
            items.push(item.to_ascii_lowercase());
        }
    }
    items
}

/// Whether `origin` matches one of `rule`'s origins.
pub fn origin_matches(rule: &CorsRule, origin: &str, strict_origins: bool) -> bool {
    for pattern in &rule.allowed_origins {
        if pattern == "*" {
            return true;
        }
        if strict_origins && !is_serialized_origin(origin) {
            continue;
        }
        if glob_matches(pattern, origin) {
            return true;
        }
    }
    false
}

/// Whether the lowercased header name matches one of `rule`'s allowed headers.
pub fn header_allowed(rule: &CorsRule, header: &str) -> bool {
    let header = header.to_ascii_lowercase();
    rule.allowed_headers.iter().any(|pattern| glob_matches(&pattern.to_ascii_lowercase(), &header))
}

/// Judges one rule: origin first, then method, then each requested header in order.
pub fn verdict(rule: &CorsRule, origin: &str, method: &str, headers: &[String], strict_origins: bool) -> Verdict {
    if !origin_matches(rule, origin, strict_origins) {
        return Verdict::Origin;
    }
    if !rule.allowed_methods.iter().any(|m| m == method) {
        return Verdict::Method;
    }
    for h in headers {
        if !header_allowed(rule, h) {
            return Verdict::Header(h.clone());
        }
    }
    Verdict::Matched
}

/// The response the provider sends (preflight) or the headers it adds (actual request).
/// `config` is `None` for a bucket without CORS configuration.
pub fn respond(config: Option<&CorsConfig>, options: &Options, req: &Request<'_>) -> Response {
    // A bucket that does not exist has no configuration either.
    let config = if req.target == Target::MissingBucket { None } else { config };
    let mut response =
        if req.method == "OPTIONS" { preflight(config, options, req) } else { actual(config, options, req) };
    // oss with ResponseVary: `Vary: Origin` on every response of the bucket (SEMANTICS §1).
    if options.profile == Profile::Oss && config.is_some_and(|c| c.response_vary == Some(true)) {
        response.headers.push(("Vary".to_string(), "Origin".to_string()));
    }
    response
}

/// The preflight refusals of SEMANTICS §5, in its order.
#[derive(Clone, Copy)]
enum Refusal {
    NoOrigin,
    InvalidAcrm,
    NoBucket,
    NotEnabled,
    NoAcrm,
    Denied,
}

/// SEMANTICS §5.
fn preflight(config: Option<&CorsConfig>, options: &Options, req: &Request<'_>) -> Response {
    let Some(origin) = req.origin else { return refuse(Refusal::NoOrigin, options.profile, req) };
    if let Some(acrm) = req.acrm {
        if !METHODS.contains(&acrm) {
            return refuse(Refusal::InvalidAcrm, options.profile, req);
        }
    }
    if req.target == Target::MissingBucket {
        return refuse(Refusal::NoBucket, options.profile, req);
    }
    let Some(config) = config else { return refuse(Refusal::NotEnabled, options.profile, req) };
    let Some(acrm) = req.acrm else { return refuse(Refusal::NoAcrm, options.profile, req) };
    let headers = parse_acrh(req.acrh);
    match first_match(config, options, origin, acrm, &headers) {
        Some(index) => {
            let mut r = allowed(&config.rules[index], index, options, origin, &headers);
            r.status = Some(200);
            r
        }
        None => refuse(Refusal::Denied, options.profile, req),
    }
}

/// SEMANTICS §6: never refused; the matched rule's headers or nothing.
fn actual(config: Option<&CorsConfig>, options: &Options, req: &Request<'_>) -> Response {
    let (Some(origin), Some(config)) = (req.origin, config) else { return Response::default() };
    let method = req.acrm.unwrap_or(req.method);
    let headers = parse_acrh(req.acrh);
    match first_match(config, options, origin, method, &headers) {
        Some(index) => allowed(&config.rules[index], index, options, origin, &headers),
        None => Response::default(),
    }
}

fn first_match(
    config: &CorsConfig,
    options: &Options,
    origin: &str,
    method: &str,
    headers: &[String],
) -> Option<usize> {
    config
        .rules
        .iter()
        .position(|rule| verdict(rule, origin, method, headers, options.strict_origins) == Verdict::Matched)
}

/// The headers of a match, in the order of the table in SEMANTICS §5 (oss's `Vary` is added
/// by `respond`).
fn allowed(rule: &CorsRule, index: usize, options: &Options, origin: &str, headers: &[String]) -> Response {
    let mut out: Vec<(String, String)> = Vec::new();
    let mut add = |name: &str, value: String| out.push((name.to_string(), value));
    // A rule listing `*` among other origins still answers `*` (README).
    let wildcard = rule.allowed_origins.iter().any(|o| o == "*");
    add("Access-Control-Allow-Origin", if wildcard { "*".to_string() } else { origin.to_string() });
    add("Access-Control-Allow-Methods", rule.allowed_methods.join(", "));
    if !headers.is_empty() {
        add("Access-Control-Allow-Headers", headers.join(", "));
    }
    if !rule.expose_headers.is_empty() {
        add("Access-Control-Expose-Headers", rule.expose_headers.join(", "));
    }
    if let Some(age) = rule.max_age_seconds {
        add("Access-Control-Max-Age", age.to_string());
    }
    if !wildcard && options.allow_credentials {
        add("Access-Control-Allow-Credentials", "true".to_string());
    }
    if options.profile == Profile::S3 {
        add("Vary", S3_VARY.to_string());
    }
    Response { status: None, headers: out, error: None, rule: Some(index) }
}

/// A refused preflight: status, code, message and body per profile (SEMANTICS §1 and §5,
/// README "Semantics"). S3 adds `<Method>` and `<ResourceType>` to its 403 bodies.
fn refuse(refusal: Refusal, profile: Profile, req: &Request<'_>) -> Response {
    let acrm = req.acrm.unwrap_or("OPTIONS");
    let resource_type = match refusal {
        Refusal::Denied if req.target == Target::Object => "OBJECT",
        _ => "BUCKET",
    };
    let s3_extras = [("Method", acrm), ("ResourceType", resource_type)];
    let (status, code, message, extras): (u16, &str, String, &[(&str, &str)]) = match (refusal, profile) {
        (Refusal::NoOrigin, _) => (400, "BadRequest", NO_ORIGIN.to_string(), &[]),
        // oss answers an invalid ACRM as s3 does (README).
        (Refusal::InvalidAcrm, _) => {
            (400, "BadRequest", format!("{INVALID_ACRM}{}", req.acrm.unwrap_or_default()), &[])
        }
        (Refusal::NoBucket, Profile::Oss) => (404, "NoSuchBucket", OSS_NO_BUCKET.to_string(), &[]),
        (Refusal::NoBucket, Profile::S3) => (403, "AccessForbidden", S3_NO_BUCKET.to_string(), &s3_extras),
        // oss: the same answer as "no rule matched"; s3 names BUCKET even for an object.
        (Refusal::NotEnabled, Profile::Oss) => (403, "AccessForbidden", OSS_DENIED.to_string(), &[]),
        (Refusal::NotEnabled, Profile::S3) => (403, "AccessForbidden", S3_NOT_ENABLED.to_string(), &s3_extras),
        (Refusal::NoAcrm, Profile::Oss) => (400, "BadRequest", OSS_NO_ACRM.to_string(), &[]),
        (Refusal::NoAcrm, Profile::S3) => (400, "BadRequest", format!("{INVALID_ACRM}null"), &[]),
        (Refusal::Denied, Profile::Oss) => (403, "AccessForbidden", OSS_DENIED.to_string(), &[]),
        (Refusal::Denied, Profile::S3) => (403, "AccessForbidden", S3_DENIED.to_string(), &s3_extras),
    };
    let body = error_body(code, &message, extras, req);
    Response {
        status: Some(status),
        headers: Vec::new(),
        error: Some(ErrorResponse { code: code.to_string(), message, body }),
        rule: None,
    }
}

/// The XML error body of SEMANTICS §5; RequestId and HostId only when the caller gave them.
fn error_body(code: &str, message: &str, extras: &[(&str, &str)], req: &Request<'_>) -> String {
    let mut body = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error>");
    element(&mut body, "Code", code);
    element(&mut body, "Message", message);
    for (name, value) in extras {
        element(&mut body, name, value);
    }
    if let Some(id) = req.request_id {
        element(&mut body, "RequestId", id);
    }
    if let Some(id) = req.host_id {
        element(&mut body, "HostId", id);
    }
    body.push_str("</Error>");
    body
}

/// `<name>value</name>`, the value escaped as XML text: `&`, `<` and `>` as entities (the
/// apostrophe and quote stay as they are), and a character XML 1.0 cannot hold as U+FFFD
/// (README "Semantics").
fn element(out: &mut String, name: &str, value: &str) {
    out.push_str(&format!("<{name}>"));
    for c in value.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            c if is_xml_char(c) => out.push(c),
            _ => out.push('\u{FFFD}'),
        }
    }
    out.push_str(&format!("</{name}>"));
}

/// XML 1.0's `Char`: tab, LF, CR, and everything from U+0020 up except U+FFFE and U+FFFF
/// (surrogates cannot occur in a Rust string).
fn is_xml_char(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\r' | '\u{20}'..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}' | '\u{10000}'..)
}
