//! One recorded request replayed through the engine: does the browser let the SDK have the
//! response, and if not, what stops it.

use super::origin::near_miss;
use super::profile::SdkRequest;
use crate::reference::{header_allowed, origin_matches};
use crate::{CorsRule, Request, RuleSet};

/// What stops a request. One per request: the first the browser meets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Failure {
    /// The bucket has no CORS configuration.
    NoConfig,
    /// No rule allows the origin.
    Origin,
    /// The preflight is refused, though rules allow the origin.
    Preflight,
    /// A request sent without preflight gets no CORS headers, though rules allow the origin.
    Actual,
    /// The response headers the SDK reads that the answering rule does not expose.
    Expose { rule: usize, missing: Vec<String> },
}

impl Failure {
    /// The `kind` of the problem: `no-config`, `origin`, `preflight`, `actual`, `expose`.
    pub fn kind(&self) -> &'static str {
        match self {
            Failure::NoConfig => "no-config",
            Failure::Origin => "origin",
            Failure::Preflight => "preflight",
            Failure::Actual => "actual",
            Failure::Expose { .. } => "expose",
        }
    }
}

/// The outcome of one request: the rule that answered the actual request, and what failed.
pub(crate) struct Outcome {
    pub rule: Option<usize>,
    pub failure: Option<Failure>,
}

/// Replays `r` from `origin` as the browser would: the preflight when it sends one, then the
/// actual request, whose CORS headers must let the SDK read what it reads.
pub(crate) fn replay(set: &RuleSet, origin: &str, r: &SdkRequest) -> Outcome {
    let refused = |set: &RuleSet| {
        let failure = match set.config() {
            None => Failure::NoConfig,
            Some(c) if !c.rules.iter().any(|rule| allows_origin(set, rule, origin)) => Failure::Origin,
            Some(_) if r.preflight => Failure::Preflight,
            Some(_) => Failure::Actual,
        };
        Outcome { rule: None, failure: Some(failure) }
    };
    if r.preflight {
        let acrh = r.headers.join(",");
        let pre = set.respond(&Request::preflight(Some(origin), Some(&r.method), Some(&acrh)));
        if pre.status != Some(200) {
            return refused(set);
        }
    }
    let actual = set.respond(&Request::new(&r.method, Some(origin)));
    let Some(rule) = actual.rule else { return refused(set) };
    let exposed: Vec<String> = actual
        .header("Access-Control-Expose-Headers")
        .unwrap_or("")
        .split(',')
        .map(|h| h.trim().to_ascii_lowercase())
        .collect();
    let missing: Vec<String> =
        r.reads.iter().filter(|h| !is_safelisted(h) && !exposed.contains(&h.to_ascii_lowercase())).cloned().collect();
    let failure = (!missing.is_empty()).then_some(Failure::Expose { rule, missing });
    Outcome { rule: Some(rule), failure }
}

/// Whether one of `rule`'s origins matches, as the engine decides (strict origins included).
pub(crate) fn allows_origin(set: &RuleSet, rule: &CorsRule, origin: &str) -> bool {
    origin_matches(rule, origin, set.options().strict_origins)
}

/// Response headers a page may always read (Fetch's CORS-safelisted response-header names).
fn is_safelisted(h: &str) -> bool {
    ["cache-control", "content-language", "content-length", "content-type", "expires", "last-modified", "pragma"]
        .iter()
        .any(|s| s.eq_ignore_ascii_case(h))
}

/// What rule `rule` lacks for `r`: whether its method is missing, and the requested headers
/// no AllowedHeader matches.
pub(crate) fn lacks(rule: &CorsRule, r: &SdkRequest) -> (bool, Vec<String>) {
    let method = !rule.allowed_methods.contains(&r.method);
    let mut headers: Vec<String> = Vec::new();
    for h in &r.headers {
        if !header_allowed(rule, h) && !headers.contains(h) {
            headers.push(h.clone());
        }
    }
    (method, headers)
}

/// A sentence saying what stops the request, naming the items that fail and the rules'
/// allowed values.
pub(crate) fn describe(set: &RuleSet, origin: &str, r: &SdkRequest, failure: &Failure) -> String {
    const NO_CONFIG: &str = "the bucket has no CORS configuration: the browser refuses every cross-origin request";
    let what = request_label(r);
    let Some(config) = set.config() else { return NO_CONFIG.to_string() };
    match failure {
        Failure::NoConfig => NO_CONFIG.to_string(),
        Failure::Origin => match near_miss(&config.rules, origin) {
            Some(m) => format!(
                "origin {origin} matches no AllowedOrigin: {}'s {} {}",
                rule_label(config.rules.get(m.rule), m.rule),
                m.written,
                m.why.strip_prefix("it ").unwrap_or(&m.why)
            ),
            None => {
                let all: Vec<&str> =
                    config.rules.iter().flat_map(|r| r.allowed_origins.iter().map(String::as_str)).collect();
                format!("origin {origin} matches no AllowedOrigin (the rules allow {})", all.join(", "))
            }
        },
        Failure::Preflight | Failure::Actual => {
            let mut why = Vec::new();
            for (i, rule) in config.rules.iter().enumerate().filter(|(_, rule)| allows_origin(set, rule, origin)) {
                let (method, headers) = lacks(rule, r);
                let label = rule_label(Some(rule), i);
                if method {
                    why.push(format!(
                        "{label} does not allow {} (AllowedMethod {})",
                        r.method,
                        rule.allowed_methods.join(", ")
                    ));
                } else if !headers.is_empty() {
                    let allowed = if rule.allowed_headers.is_empty() {
                        "none".to_string()
                    } else {
                        rule.allowed_headers.join(", ")
                    };
                    why.push(format!(
                        "{label} allows {} but not the header{} {} (AllowedHeader {allowed})",
                        r.method,
                        if headers.len() == 1 { "" } else { "s" },
                        headers.join(", ")
                    ));
                }
            }
            if matches!(failure, Failure::Preflight) {
                format!("the preflight of {what} is refused: {}", why.join("; "))
            } else {
                format!("{what} gets no CORS headers, so the browser hides the response: {}", why.join("; "))
            }
        }
        Failure::Expose { rule, missing } => format!(
            "{}: the SDK reads the response header{} {}, and {} does not expose {} (ExposeHeader {})",
            r.api,
            if missing.len() == 1 { "" } else { "s" },
            missing.iter().map(|h| display_header(h)).collect::<Vec<_>>().join(", "),
            rule_label(config.rules.get(*rule), *rule),
            if missing.len() == 1 { "it" } else { "them" },
            config.rules.get(*rule).map_or(String::new(), |r| {
                if r.expose_headers.is_empty() {
                    "none".to_string()
                } else {
                    r.expose_headers.join(", ")
                }
            }),
        ),
    }
}

/// `UploadPart (PUT)` or `GetObject (GET, sent without a preflight)`.
pub(crate) fn request_label(r: &SdkRequest) -> String {
    if r.preflight {
        format!("{} ({})", r.api, r.method)
    } else {
        format!("{} ({}, sent without a preflight)", r.api, r.method)
    }
}

/// `rule 0`, or `rule 0 (ID web-upload)`.
pub(crate) fn rule_label(rule: Option<&CorsRule>, index: usize) -> String {
    match rule.and_then(|r| r.id.as_deref()) {
        Some(id) => format!("rule {index} (ID {id})"),
        None => format!("rule {index}"),
    }
}

/// A response header name as people write it: `ETag` for `etag`, others as recorded.
pub(crate) fn display_header(h: &str) -> String {
    if h.eq_ignore_ascii_case("etag") {
        "ETag".to_string()
    } else {
        h.to_string()
    }
}
