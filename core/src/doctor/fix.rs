//! The smallest change that makes a request work, as the XML to add, and the configuration
//! with every change applied.

use super::check::{allows_origin, describe as describe_failure, display_header, lacks, replay, rule_label, Failure};
use super::origin::near_miss;
use super::profile::SdkRequest;
use crate::render::escape_string as esc;
use crate::{CorsConfig, CorsRule, Options, RuleSet};

/// One change to a configuration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Edit {
    /// Write `to` instead of the AllowedOrigin `from` in rule `rule`.
    Replace { rule: usize, from: String, to: String },
    /// Add these values of this element (`AllowedMethod`, ...) to rule `rule`.
    Add { rule: usize, element: &'static str, values: Vec<String> },
    /// Add this rule at the end.
    NewRule(CorsRule),
}

/// One step of the repair: the failure it answered, said on the configuration of that step
/// (the first step's is the original), and the edits.
pub(crate) struct Step {
    pub kind: &'static str,
    pub message: String,
    /// The edits as a sentence with the XML to write.
    pub fix: String,
}

/// The result of repairing a configuration for some requests.
pub(crate) struct Repair {
    pub steps: Vec<Step>,
    /// The repaired configuration, when every request then works and it is valid.
    pub fixed: Option<CorsConfig>,
}

/// Repairs `config` until every request of `requests` works from `origin`: each pass replays
/// the requests, fixes the first failure with the smallest edit, and compiles again.
pub(crate) fn repair(options: &Options, config: Option<&CorsConfig>, origin: &str, requests: &[&SdkRequest]) -> Repair {
    let mut config = config.cloned();
    let mut steps = Vec::new();
    // Each step makes one request work or adds a rule that serves them all; a request can need
    // an origin, a preflight and an expose step, so this bound is never met on a valid input.
    for _ in 0..=3 * requests.len() + 2 {
        let set = match &config {
            None => options.no_config(),
            Some(c) => match options.compile(c.clone()) {
                Ok(set) => set,
                Err(_) => return Repair { steps, fixed: None },
            },
        };
        let first = requests.iter().enumerate().find_map(|(i, r)| replay(&set, origin, r).failure.map(|f| (i, f)));
        let Some((request, failure)) = first else { return Repair { steps, fixed: config } };
        let message = describe_failure(&set, origin, requests[request], &failure);
        let edits = edits_for(&set, origin, requests, requests[request], &failure);
        let fix = describe(config.as_ref(), &edits);
        let c = config.get_or_insert_with(|| CorsConfig { rules: Vec::new(), response_vary: None });
        for e in &edits {
            apply(c, e);
        }
        steps.push(Step { kind: failure.kind(), message, fix });
    }
    Repair { steps, fixed: None }
}

/// The edits that fix `failure` of request `r`; `all` are every request the fix should serve
/// (a new rule carries what they all need).
fn edits_for(set: &RuleSet, origin: &str, all: &[&SdkRequest], r: &SdkRequest, failure: &Failure) -> Vec<Edit> {
    let rules: &[CorsRule] = set.config().map_or(&[], |c| &c.rules);
    match failure {
        Failure::NoConfig => vec![Edit::NewRule(rule_for(origin, all))],
        Failure::Origin => {
            if let Some(m) = near_miss(rules, origin) {
                return vec![if m.replace {
                    Edit::Replace { rule: m.rule, from: m.written, to: m.corrected }
                } else {
                    Edit::Add { rule: m.rule, element: "AllowedOrigin", values: vec![m.corrected] }
                }];
            }
            // The rule that lacks least of what the requests need takes the origin, unless a
            // rule of its own is smaller.
            let new_rule = rule_for(origin, all);
            let own =
                1 + new_rule.allowed_methods.len() + new_rule.allowed_headers.len() + new_rule.expose_headers.len();
            let best = rules.iter().enumerate().map(|(i, rule)| (missing_for(rule, all), i)).min();
            match best {
                Some((cost, i)) if cost < own => {
                    vec![Edit::Add { rule: i, element: "AllowedOrigin", values: vec![origin.to_string()] }]
                }
                _ => vec![Edit::NewRule(new_rule)],
            }
        }
        Failure::Preflight | Failure::Actual => {
            let best = rules
                .iter()
                .enumerate()
                .filter(|(_, rule)| allows_origin(set, rule, origin))
                .map(|(i, rule)| {
                    let (method, headers) = lacks(rule, r);
                    (usize::from(method) + headers.len(), i, method, headers)
                })
                .min_by_key(|(cost, i, ..)| (*cost, *i));
            let Some((_, rule, method, headers)) = best else { return vec![Edit::NewRule(rule_for(origin, all))] };
            let mut edits = Vec::new();
            if method {
                edits.push(Edit::Add { rule, element: "AllowedMethod", values: vec![r.method.clone()] });
            }
            if !headers.is_empty() {
                edits.push(Edit::Add { rule, element: "AllowedHeader", values: headers });
            }
            edits
        }
        Failure::Expose { rule, missing } => vec![Edit::Add {
            rule: *rule,
            element: "ExposeHeader",
            values: missing.iter().map(|h| display_header(h)).collect(),
        }],
    }
}

/// How many items `rule` lacks for the requests, were the origin its own.
fn missing_for(rule: &CorsRule, all: &[&SdkRequest]) -> usize {
    let need = rule_for("", all);
    let methods = need.allowed_methods.iter().filter(|m| !rule.allowed_methods.contains(m)).count();
    let probe = SdkRequest {
        api: String::new(),
        method: String::new(),
        preflight: true,
        headers: need.allowed_headers,
        reads: Vec::new(),
    };
    let headers = lacks(rule, &probe).1.len();
    let exposed =
        need.expose_headers.iter().filter(|h| !rule.expose_headers.iter().any(|e| e.eq_ignore_ascii_case(h))).count();
    methods + headers + exposed
}

/// A rule of its own for `origin` with every method, header and exposed header the requests
/// need.
fn rule_for(origin: &str, all: &[&SdkRequest]) -> CorsRule {
    let mut rule = CorsRule { allowed_origins: vec![origin.to_string()], ..CorsRule::default() };
    for r in all {
        push_new(&mut rule.allowed_methods, &r.method);
        for h in &r.headers {
            push_new(&mut rule.allowed_headers, h);
        }
        for h in &r.reads {
            push_new(&mut rule.expose_headers, &display_header(h));
        }
    }
    rule
}

fn push_new(list: &mut Vec<String>, value: &str) {
    if !list.iter().any(|v| v.eq_ignore_ascii_case(value)) {
        list.push(value.to_string());
    }
}

fn apply(config: &mut CorsConfig, edit: &Edit) {
    match edit {
        Edit::Replace { rule, from, to } => {
            if let Some(o) = config.rules.get_mut(*rule).and_then(|r| r.allowed_origins.iter_mut().find(|o| *o == from))
            {
                *o = to.clone();
            }
        }
        Edit::Add { rule, element, values } => {
            let Some(r) = config.rules.get_mut(*rule) else { return };
            let list = match *element {
                "AllowedOrigin" => &mut r.allowed_origins,
                "AllowedMethod" => &mut r.allowed_methods,
                "AllowedHeader" => &mut r.allowed_headers,
                _ => &mut r.expose_headers,
            };
            for v in values {
                push_new(list, v);
            }
        }
        Edit::NewRule(rule) => config.rules.push(rule.clone()),
    }
}

/// The edits as a sentence with the XML to write: `add to rule 0: <AllowedMethod>PUT</AllowedMethod>`.
fn describe(config: Option<&CorsConfig>, edits: &[Edit]) -> String {
    let label = |i: usize| rule_label(config.and_then(|c| c.rules.get(i)), i);
    let mut parts: Vec<String> = Vec::new();
    let mut adds: Vec<(usize, String)> = Vec::new();
    for e in edits {
        match e {
            Edit::Replace { rule, from, to } => parts.push(format!(
                "in {}, write <AllowedOrigin>{}</AllowedOrigin> instead of <AllowedOrigin>{}</AllowedOrigin>",
                label(*rule),
                esc(to),
                esc(from)
            )),
            Edit::Add { rule, element, values } => {
                let xml: String = values.iter().map(|v| format!("<{element}>{}</{element}>", esc(v))).collect();
                match adds.iter_mut().find(|(r, _)| r == rule) {
                    Some((_, text)) => text.push_str(&xml),
                    None => adds.push((*rule, xml)),
                }
            }
            Edit::NewRule(rule) => {
                let one = CorsConfig { rules: vec![rule.clone()], response_vary: None }.to_xml();
                let inner = one.split_once("<CORSConfiguration>").map_or("", |(_, rest)| rest);
                let inner = inner.trim_end().trim_end_matches("</CORSConfiguration>");
                parts.push(if config.is_none() {
                    format!("put a CORS configuration with this rule: {inner}")
                } else {
                    format!("add this rule: {inner}")
                });
            }
        }
    }
    for (rule, xml) in adds {
        parts.push(format!("add to {}: {xml}", label(rule)));
    }
    parts.join("; ")
}
