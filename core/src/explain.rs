//! Explain: for one request, what each rule made of it and which rule won.

use crate::reference::{parse_acrh, verdict, Verdict};
use crate::render::Refusal;
use crate::request::{Request, Response, Target};
use crate::RuleSet;

/// Why the rules were not consulted at all.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Skipped {
    /// An actual request without `Origin`: not a CORS request.
    NoOrigin,
    /// The bucket has no CORS configuration (or does not exist).
    NoConfig,
    /// The preflight was refused before the rules (this reason).
    Refused(Refusal),
}

impl Skipped {
    /// Its name: `no-origin`, `no-config` or `refused`.
    pub fn name(&self) -> &'static str {
        match self {
            Skipped::NoOrigin => "no-origin",
            Skipped::NoConfig => "no-config",
            Skipped::Refused(_) => "refused",
        }
    }
}

/// A sentence saying why the rules were skipped, as every front end prints it.
impl std::fmt::Display for Skipped {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Skipped::NoOrigin => f.write_str("no Origin: not a CORS request, no rule consulted"),
            Skipped::NoConfig => f.write_str("the bucket has no CORS configuration"),
            Skipped::Refused(r) => {
                let why = match r {
                    Refusal::NoOrigin => "no Origin header; a browser's preflight always carries one",
                    Refusal::InvalidAcrm => {
                        "Access-Control-Request-Method is not GET, PUT, POST, DELETE or HEAD (in capitals)"
                    }
                    Refusal::NoBucket => "the bucket does not exist",
                    Refusal::NotEnabled => "the bucket has no CORS configuration",
                    Refusal::NoAcrm => {
                        "no Access-Control-Request-Method header; a browser's preflight always carries one"
                    }
                    Refusal::Denied => "no rule matches",
                };
                write!(f, "refused before the rules were consulted: {why}")
            }
        }
    }
}

impl Verdict {
    /// Its name: `match`, `origin`, `method` or `header`.
    pub fn result(&self) -> &'static str {
        match self {
            Verdict::Matched => "match",
            Verdict::Origin => "origin",
            Verdict::Method => "method",
            Verdict::Header(_) => "header",
        }
    }

    /// The requested header that no `AllowedHeader` matched, for [`Verdict::Header`].
    pub fn header(&self) -> Option<&str> {
        match self {
            Verdict::Header(h) => Some(h),
            _ => None,
        }
    }

    /// A sentence saying why the rule does not match; empty for a match.
    pub fn detail(&self) -> String {
        match self {
            Verdict::Matched => String::new(),
            Verdict::Origin => "no AllowedOrigin matches the Origin".to_string(),
            Verdict::Method => "the method is not an AllowedMethod".to_string(),
            Verdict::Header(h) => format!("the header {h} matches no AllowedHeader"),
        }
    }
}

/// What one rule made of the request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuleExplanation {
    /// The rule's 0-based index.
    pub index: usize,
    /// The verdict: matched, or the first item that failed.
    pub verdict: Verdict,
    /// Why it does not match, naming the request's failing item and the rule's allowed
    /// values (`origin https://a.example.org: AllowedOrigin https://a.example.org/ has a
    /// trailing slash; a browser never sends one`); empty for a match.
    pub detail: String,
}

/// The explanation of one request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Explanation {
    /// The method the rules were asked about (ACRM, or the request's own).
    pub method: Option<String>,
    /// The requested headers as the rules saw them (lowercased, empty items dropped).
    pub headers: Vec<String>,
    /// Set when the rules were not consulted.
    pub skipped: Option<Skipped>,
    /// One entry per rule, in order (empty when skipped).
    pub rules: Vec<RuleExplanation>,
    /// The winning rule: the first that matched.
    pub winner: Option<usize>,
    /// The response itself.
    pub response: Response,
}

impl RuleSet {
    /// Explains a request: each rule's verdict, the winner, and the response.
    pub fn explain(&self, req: &Request<'_>) -> Explanation {
        let mut scratch = crate::Scratch::new();
        let decision = self.evaluate(req, &mut scratch);
        let refused = decision.refused.map(|r| r.reason).filter(|r| *r != Refusal::Denied);
        let response = decision.to_response();
        let headers = parse_acrh(req.acrh);
        let method = if req.is_preflight() { req.acrm } else { Some(req.acrm.unwrap_or(req.method)) };
        let mut out = Explanation {
            method: method.map(str::to_string),
            headers,
            skipped: None,
            rules: Vec::new(),
            winner: None,
            response,
        };
        let config = self.config().filter(|_| req.target != Target::MissingBucket);
        out.skipped = match (req.origin, config, refused) {
            (_, _, Some(r)) => Some(Skipped::Refused(r)),
            (None, _, None) => Some(Skipped::NoOrigin),
            (Some(_), None, None) => Some(Skipped::NoConfig),
            (Some(origin), Some(config), None) => {
                let method = method.unwrap_or("");
                for (index, rule) in config.rules.iter().enumerate() {
                    let v = verdict(rule, origin, method, &out.headers, self.options().strict_origins);
                    if v == Verdict::Matched && out.winner.is_none() {
                        out.winner = Some(index);
                    }
                    let detail = advice(rule, &v, origin, method);
                    out.rules.push(RuleExplanation { index, verdict: v, detail });
                }
                None
            }
        };
        out
    }
}

/// Why `rule` does not match, as advice: the failing item of the request and what the rule
/// allows, and for an origin a spelling of the rule's that a browser never sends.
fn advice(rule: &crate::CorsRule, verdict: &Verdict, origin: &str, method: &str) -> String {
    let list = |values: &[String]| values.join(", ");
    match verdict {
        Verdict::Matched => String::new(),
        Verdict::Origin => match crate::doctor::near_miss(std::slice::from_ref(rule), origin) {
            Some(m) => {
                format!("origin {origin}: AllowedOrigin {} {}", m.written, m.why.strip_prefix("it ").unwrap_or(&m.why))
            }
            None => format!("origin {origin} matches no AllowedOrigin ({})", list(&rule.allowed_origins)),
        },
        Verdict::Method => format!("method {method} is not an AllowedMethod ({})", list(&rule.allowed_methods)),
        Verdict::Header(h) if rule.allowed_headers.is_empty() => {
            format!("header {h} is requested and the rule has no AllowedHeader, so it allows none")
        }
        Verdict::Header(h) => format!("header {h} matches no AllowedHeader ({})", list(&rule.allowed_headers)),
    }
}
