//! Doctor: will a browser SDK's operations work from this origin, and if not, why and what
//! to add.
//!
//! The SDKs' requests are recorded in Chromium ([`SdkProfile`], the files in `core/sdk/`):
//! for each operation, the preflights the browser sent (method and
//! `Access-Control-Request-Headers`), the requests it sent without one, and the response
//! headers the operation cannot do without. [`RuleSet::doctor`] replays them through the
//! engine: a refused preflight, an actual request left without CORS headers, or a needed
//! response header the answering rule does not expose is a [`Problem`], with the smallest
//! change that fixes it as the XML to add. Problems come in the order a user meets them:
//! the first is what fails now, each next one what still fails once the fixes before it are
//! made. The report also carries the configuration with
//! every fix applied, checked to make every operation work.
//!
//! ```
//! use corsmatch::doctor::SdkProfile;
//! use corsmatch::{Profile, RuleSet};
//!
//! let xml = br#"<CORSConfiguration><CORSRule>
//!     <AllowedOrigin>https://app.example.com/</AllowedOrigin>
//!     <AllowedMethod>GET</AllowedMethod><AllowedMethod>PUT</AllowedMethod>
//!     <AllowedHeader>*</AllowedHeader>
//! </CORSRule></CORSConfiguration>"#;
//! let set = RuleSet::from_xml(xml, Profile::S3)?;
//! let sdk = SdkProfile::built_in("aws-js-v3").unwrap();
//! let report = set.doctor("https://app.example.com", sdk, &["PutObject"]).unwrap();
//! assert!(!report.ok());
//! let problem = &report.operations[0].problems[0];
//! assert_eq!(problem.kind, "origin");
//! assert!(problem.message.contains("trailing slash"));
//! assert_eq!(
//!     problem.fix,
//!     "in rule 0, write <AllowedOrigin>https://app.example.com</AllowedOrigin> instead of \
//!      <AllowedOrigin>https://app.example.com/</AllowedOrigin>"
//! );
//! # Ok::<(), corsmatch::ConfigError>(())
//! ```

mod check;
mod fix;
mod origin;
mod profile;

use serde::Serialize;

pub(crate) use self::origin::near_miss;
pub use self::profile::{SdkOperation, SdkProfile, SdkRequest};
use crate::lint::{Finding, Severity};
use crate::RuleSet;

/// The ids of the findings [`Report::findings`] gives, one per problem kind.
pub const FINDING_IDS: [&str; 5] = ["sdk-no-config", "sdk-origin", "sdk-preflight", "sdk-actual", "sdk-expose"];

/// Why an operation does not work, and the change that makes it work.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Problem {
    /// `no-config`, `origin` (no AllowedOrigin matches), `preflight` (refused), `actual` (a
    /// request without preflight gets no CORS headers) or `expose` (a response header the
    /// SDK reads is not exposed).
    pub kind: &'static str,
    /// What fails, naming the request, the rule and the items.
    pub message: String,
    /// The smallest change that fixes it, with the XML to write.
    pub fix: String,
}

/// One replayed request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RequestReport {
    /// The storage operation.
    pub api: String,
    /// The actual request's method.
    pub method: String,
    /// Whether the browser preflights it.
    pub preflight: bool,
    /// The preflight's requested headers.
    pub headers: Vec<String>,
    /// The response headers the SDK reads.
    pub reads: Vec<String>,
    /// Whether the browser lets the SDK have what it needs.
    pub ok: bool,
    /// The rule that answers the actual request.
    pub rule: Option<usize>,
}

/// One operation's verdict.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OperationReport {
    /// Its name (`PutObject`, `MultipartUpload`, ...).
    pub operation: String,
    /// Whether it works from the origin.
    pub ok: bool,
    /// Its requests, replayed.
    pub requests: Vec<RequestReport>,
    /// Why it does not work; empty when it does.
    pub problems: Vec<Problem>,
}

/// The doctor's report for one SDK and origin.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Report {
    /// The SDK's name.
    pub sdk: String,
    /// The page's origin.
    pub origin: String,
    /// The operations, in the SDK profile's order.
    pub operations: Vec<OperationReport>,
    /// The configuration with every fix applied (`None` when nothing needs fixing, or when the
    /// fixes would not make a valid configuration that works).
    pub fixed_config: Option<String>,
}

impl Report {
    /// Whether every operation works.
    pub fn ok(&self) -> bool {
        self.operations.iter().all(|o| o.ok)
    }

    /// The report as JSON: `{"sdk", "origin", "operations": [{"operation", "ok", "requests",
    /// "problems": [{"kind", "message", "fix"}]}], "fixed_config"}`.
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).expect("the report serialises")
    }

    /// Each distinct problem once, in first-seen order, with the operations it breaks.
    fn distinct_problems(&self) -> Vec<(Vec<&str>, &Problem)> {
        let mut out: Vec<(Vec<&str>, &Problem)> = Vec::new();
        for op in &self.operations {
            for p in &op.problems {
                match out.iter_mut().find(|(_, q)| *q == p) {
                    Some((ops, _)) => ops.push(&op.operation),
                    None => out.push((vec![&op.operation], p)),
                }
            }
        }
        out
    }

    /// The problems as lint findings (`lint --sdk`), one per distinct problem, naming the
    /// operations it breaks: id `sdk-` and the problem's kind (one of [`FINDING_IDS`]),
    /// severity error.
    pub fn findings(&self) -> Vec<Finding> {
        self.distinct_problems()
            .into_iter()
            .map(|(ops, p)| Finding {
                id: FINDING_IDS.iter().find(|id| id[4..] == *p.kind).copied().unwrap_or("sdk-preflight"),
                severity: Severity::Error,
                rule: None,
                element: None,
                item: None,
                message: format!(
                    "{} from {}: {} fail{}: {}",
                    self.sdk,
                    self.origin,
                    ops.join(", "),
                    if ops.len() == 1 { "s" } else { "" },
                    p.message
                ),
                fix: p.fix.clone(),
                related: Vec::new(),
                example: None,
            })
            .collect()
    }

    /// The report as text: one line per operation, then each distinct problem once, with
    /// the operations it breaks and its fix, then the configuration with every fix.
    pub fn to_text(&self) -> String {
        let failing = self.operations.iter().filter(|o| !o.ok).count();
        let mut out = if failing == 0 {
            format!("{} from {}: every operation works\n", self.sdk, self.origin)
        } else {
            format!("{} from {}: {failing} of {} operations fail\n", self.sdk, self.origin, self.operations.len())
        };
        for op in &self.operations {
            out.push_str(&format!("  {:<4}  {}\n", if op.ok { "ok" } else { "FAIL" }, op.operation));
        }
        for (n, (ops, p)) in self.distinct_problems().iter().enumerate() {
            out.push_str(&format!("\n{}. {}: {}\n   fix: {}\n", n + 1, ops.join(", "), p.message, p.fix));
        }
        if let Some(fixed) = &self.fixed_config {
            out.push_str("\nThe configuration with every fix:\n");
            out.push_str(fixed);
        }
        out
    }
}

impl RuleSet {
    /// Replays `sdk`'s recorded requests for `operations` (all of them when empty, names
    /// compared ignoring ASCII case) from a page at `origin`, and says which work and, for
    /// those that do not, why and what to add. An unknown operation name is an error naming
    /// the known ones.
    ///
    /// `origin` must be one a page can have: `scheme://host[:port]` as browsers send it.
    pub fn doctor(&self, origin: &str, sdk: &SdkProfile, operations: &[&str]) -> Result<Report, String> {
        if !crate::pattern::is_serialized_origin(origin) || origin == "null" {
            return Err(format!(
                "{origin} is not an origin a page has: write scheme://host[:port], as the browser sends it"
            ));
        }
        let mut chosen: Vec<&SdkOperation> = Vec::new();
        for name in operations {
            let op = sdk.operation(name).ok_or_else(|| {
                format!(
                    "unknown operation {name} for {}: expected one of {}",
                    sdk.sdk,
                    sdk.operation_names().join(", ")
                )
            })?;
            if !chosen.iter().any(|o| o.operation == op.operation) {
                chosen.push(op);
            }
        }
        if chosen.is_empty() {
            chosen = sdk.operations.iter().collect();
        }
        let config = self.config();
        let mut reports = Vec::new();
        for op in &chosen {
            let requests: Vec<&SdkRequest> = op.requests.iter().collect();
            let mut report = OperationReport {
                operation: op.operation.clone(),
                ok: true,
                requests: Vec::new(),
                problems: Vec::new(),
            };
            let mut failures = Vec::new();
            for r in &requests {
                let outcome = check::replay(self, origin, r);
                report.requests.push(RequestReport {
                    api: r.api.clone(),
                    method: r.method.clone(),
                    preflight: r.preflight,
                    headers: r.headers.clone(),
                    reads: r.reads.clone(),
                    ok: outcome.failure.is_none(),
                    rule: outcome.rule,
                });
                if let Some(f) = outcome.failure {
                    failures.push(f);
                }
            }
            report.ok = failures.is_empty();
            if !report.ok {
                // One problem per repair step: the first is what fails now, each next one what
                // fails once the fixes before it are made.
                for step in fix::repair(self.options(), config, origin, &requests).steps {
                    report.problems.push(Problem { kind: step.kind, message: step.message, fix: step.fix });
                }
            }
            reports.push(report);
        }
        let fixed_config = if reports.iter().all(|r| r.ok) {
            None
        } else {
            let every: Vec<&SdkRequest> = chosen.iter().flat_map(|o| o.requests.iter()).collect();
            fix::repair(self.options(), config, origin, &every).fixed.map(|c| pretty_xml(&c))
        };
        Ok(Report { sdk: sdk.sdk.clone(), origin: origin.to_string(), operations: reports, fixed_config })
    }
}

/// `CorsConfig::to_xml`, one element per line, indented.
fn pretty_xml(config: &crate::CorsConfig) -> String {
    let mut out = String::new();
    for piece in config.to_xml().split_inclusive('>') {
        let piece = piece.trim_start();
        if piece.is_empty() {
            continue;
        }
        let depth = |tag: &str| match tag {
            "CORSConfiguration" => 0,
            "CORSRule" | "ResponseVary" => 1,
            _ => 2,
        };
        if let Some(close) = piece.strip_prefix("</") {
            let tag = close.trim_end_matches('>');
            if matches!(tag, "CORSRule" | "CORSConfiguration") {
                out.push_str(&format!("{}{piece}\n", "  ".repeat(depth(tag))));
            } else {
                out.push_str(piece);
                out.push('\n');
            }
        } else if let Some(open) = piece.strip_prefix('<').filter(|p| !p.starts_with('?')) {
            let tag = open.trim_end_matches('>');
            out.push_str(&"  ".repeat(depth(tag)));
            out.push_str(piece);
            if matches!(tag, "CORSRule" | "CORSConfiguration") {
                out.push('\n');
            }
        } else if piece.starts_with("<?") {
            out.push_str(piece.trim());
            out.push('\n');
        } else {
            // A value and its closing tag.
            out.push_str(piece);
            out.push('\n');
        }
    }
    out
}

#[cfg(test)]
mod tests;
