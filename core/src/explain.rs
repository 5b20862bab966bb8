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
