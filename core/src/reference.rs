//! The reference matcher: SEMANTICS §3–6 written out plainly, one rule after another.
//!
//! It is the oracle the compiled engine is proven against, so it stays obvious: owned
//! strings, linear scans, no precomputation. Do not make it clever.

use crate::config::{CorsConfig, CorsRule};
use crate::pattern::{is_serialized_origin, Method, Pattern};
use crate::render::{self, Refusal};
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

/// `Access-Control-Request-Headers` as a list: split on `,`, spaces and tabs trimmed, empty
/// items dropped, ASCII-lowercased; order and duplicates kept.
pub fn parse_acrh(acrh: Option<&str>) -> Vec<String> {
    match acrh {
        None => Vec::new(),
        Some(list) => list
            .split(',')
            .map(|item| item.trim_matches(|c| c == ' ' || c == '\t'))
            .filter(|item| !item.is_empty())
            .map(|item| item.to_ascii_lowercase())
            .collect(),
    }
}

/// Whether `origin` matches one of `rule`'s origins.
pub fn origin_matches(rule: &CorsRule, origin: &str, strict_origins: bool) -> bool {
    rule.allowed_origins.iter().any(|pattern| {
        let pattern = Pattern::parse(pattern);
        if strict_origins && pattern != Pattern::Any && !is_serialized_origin(origin) {
            return false;
        }
        pattern.matches(origin)
    })
}

/// Whether the lowercased header name matches one of `rule`'s allowed headers.
pub fn header_allowed(rule: &CorsRule, header: &str) -> bool {
    rule.allowed_headers.iter().any(|pattern| Pattern::parse_header(pattern).matches(header))
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

fn vary_everywhere(config: Option<&CorsConfig>, options: &Options) -> bool {
    options.profile == Profile::Oss && config.is_some_and(|c| c.response_vary == Some(true))
}

/// The response the provider sends (preflight) or the headers it adds (actual request).
/// `config` is `None` for a bucket without CORS configuration.
pub fn respond(config: Option<&CorsConfig>, options: &Options, req: &Request<'_>) -> Response {
    let config = if req.target == Target::MissingBucket { None } else { config };
    let mut response = if req.is_preflight() { preflight(config, options, req) } else { actual(config, options, req) };
    if vary_everywhere(config, options) && response.header(render::VARY).is_none() {
        response.headers.push((render::VARY.to_string(), render::OSS_VARY.to_string()));
    }
    response
}

fn preflight(config: Option<&CorsConfig>, options: &Options, req: &Request<'_>) -> Response {
    let Some(origin) = req.origin else { return refuse(Refusal::NoOrigin, options, req) };
    if let Some(acrm) = req.acrm {
        if Method::parse(acrm).is_none() {
            return refuse(Refusal::InvalidAcrm, options, req);
        }
    }
    if req.target == Target::MissingBucket {
        return refuse(Refusal::NoBucket, options, req);
    }
    let Some(config) = config else { return refuse(Refusal::NotEnabled, options, req) };
    let Some(acrm) = req.acrm else { return refuse(Refusal::NoAcrm, options, req) };
    let headers = parse_acrh(req.acrh);
    match first_match(config, options, origin, acrm, &headers) {
        Some(index) => {
            let mut r = allowed(&config.rules[index], index, options, origin, &headers);
            r.status = Some(200);
            r
        }
        None => refuse(Refusal::Denied, options, req),
    }
}

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

fn allowed(rule: &CorsRule, index: usize, options: &Options, origin: &str, headers: &[String]) -> Response {
    let mut out: Vec<(String, String)> = Vec::new();
    let mut add = |name: &str, value: String| out.push((name.to_string(), value));
    let wildcard = rule.allowed_origins.iter().any(|o| o == "*");
    add(render::ALLOW_ORIGIN, if wildcard { "*".to_string() } else { origin.to_string() });
    add(render::ALLOW_METHODS, rule.allowed_methods.join(", "));
    if !headers.is_empty() {
        add(render::ALLOW_HEADERS, headers.join(", "));
    }
    if !rule.expose_headers.is_empty() {
        add(render::EXPOSE_HEADERS, rule.expose_headers.join(", "));
    }
    if let Some(age) = rule.max_age_seconds {
        add(render::MAX_AGE, age.to_string());
    }
    if !wildcard && options.allow_credentials {
        add(render::ALLOW_CREDENTIALS, "true".to_string());
    }
    if options.profile == Profile::S3 {
        add(render::VARY, render::S3_VARY.to_string());
    }
    Response { status: None, headers: out, error: None, rule: Some(index) }
}

fn refuse(refusal: Refusal, options: &Options, req: &Request<'_>) -> Response {
    let profile = options.profile;
    let code = refusal.code(profile);
    let message = match refusal {
        Refusal::InvalidAcrm => format!("Invalid Access-Control-Request-Method: {}", req.acrm.unwrap_or("")),
        other => other.static_message(profile).to_string(),
    };
    let resource_type = match refusal {
        Refusal::Denied => req.target.resource_type(),
        _ => "BUCKET",
    };
    let extras = [("Method", req.acrm.unwrap_or("OPTIONS")), ("ResourceType", resource_type)];
    let extras = if refusal.s3_extras(profile) { &extras[..] } else { &[] };
    let mut body = String::new();
    render::error_body(&mut body, code, &message, extras, req.request_id, req.host_id);
    Response {
        status: Some(refusal.status(profile)),
        headers: Vec::new(),
        error: Some(ErrorResponse { code: code.to_string(), message, body }),
        rule: None,
    }
}
