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
            Skipped::Refused(r) => write!(f, "refused before the rules were consulted ({r:?})"),
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
            Verdict::Header(h) => format!("{h:?} matches no AllowedHeader"),
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
                    out.rules.push(RuleExplanation { index, verdict: v });
                }
                None
            }
        };
        out
    }
}
