//! The language-neutral case corpus (`tests/data/*.json`, schema in README "Test corpus"),
//! read and checked the same way for the engine and the reference matcher.
#![allow(dead_code)]

use corsmatch::{CorsConfig, CorsRule, Options, Profile, Request, Response, RuleSet, Target};
use serde_json::Value;

#[derive(Clone)]
pub struct Case {
    pub id: String,
    pub profile: Profile,
    pub config: Option<CorsConfig>,
    pub method: String,
    pub origin: Option<String>,
    pub acrm: Option<String>,
    pub acrh: Option<String>,
    pub target: Target,
    pub expect: Value,
    /// Where a recorded vector comes from (`s3-public.json` only): `aws-recorded` or
    /// `s3-tests` (see [`Case::body_unrecorded`]).
    pub fidelity: Option<String>,
}

fn strings(v: &Value, key: &str) -> Vec<String> {
    match v.get(key) {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(a)) => a.iter().map(|s| s.as_str().expect("string item").to_string()).collect(),
        Some(Value::String(s)) => vec![s.clone()],
        Some(other) => panic!("{key}: unexpected {other}"),
    }
}

fn opt_str(v: &Value, key: &str) -> Option<String> {
    v.get(key).and_then(Value::as_str).map(str::to_string)
}

pub fn config_from_json(rules: &Value, response_vary: Option<bool>) -> CorsConfig {
    let rules = rules
        .as_array()
        .expect("config is a list of rules")
        .iter()
        .map(|r| CorsRule {
            id: opt_str(r, "ID"),
            allowed_origins: strings(r, "AllowedOrigin"),
            allowed_methods: strings(r, "AllowedMethod"),
            allowed_headers: strings(r, "AllowedHeader"),
            expose_headers: strings(r, "ExposeHeader"),
            max_age_seconds: r.get("MaxAgeSeconds").and_then(Value::as_u64).map(|n| n as u32),
        })
        .collect();
    CorsConfig { rules, response_vary }
}

pub fn load(path: &str, default_profile: Profile) -> Vec<Case> {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{path}: {e}"));
    let cases: Vec<Value> = serde_json::from_str(&text).expect("corpus is JSON");
    cases
        .into_iter()
        .map(|c| {
            let profile = match c.get("profile").and_then(Value::as_str) {
                Some(p) => p.parse().expect("profile"),
                None => default_profile,
            };
            let vary = c.get("response_vary").and_then(Value::as_bool);
            let config = match c.get("config") {
                None | Some(Value::Null) => None,
                Some(rules) => Some(config_from_json(rules, vary)),
            };
            let r = &c["request"];
            Case {
                id: c["id"].as_str().expect("id").to_string(),
                profile,
                config,
                method: r["method"].as_str().expect("method").to_string(),
                origin: opt_str(r, "origin"),
                acrm: opt_str(r, "acrm"),
                acrh: opt_str(r, "acrh"),
                target: r["target"].as_str().unwrap_or("object").parse().expect("target"),
                expect: c["expect"].clone(),
                fidelity: opt_str(&c, "fidelity"),
            }
        })
        .collect()
}

impl Case {
    /// A preflight the case expects refused (status 400, 403 or 404).
    pub fn refused(&self) -> bool {
        self.method == "OPTIONS" && self.expect.get("status").and_then(Value::as_u64).is_some_and(|s| s >= 400)
    }

    /// A vector of ceph/s3-tests (`"fidelity": "s3-tests"` in `s3-public.json`): that suite
    /// checks the status and the headers only, so the recorded case has no error body to
    /// state. Every other refused case names its error; see [`check`].
    pub fn body_unrecorded(&self) -> bool {
        self.fidelity.as_deref() == Some("s3-tests")
    }

    pub fn request(&self) -> Request<'_> {
        Request {
            method: &self.method,
            origin: self.origin.as_deref(),
            acrm: self.acrm.as_deref(),
            acrh: self.acrh.as_deref(),
            target: self.target,
            request_id: None,
            host_id: None,
        }
    }

    pub fn options(&self) -> Options {
        Options::new(self.profile)
    }

    pub fn rule_set(&self) -> RuleSet {
        match &self.config {
            None => self.options().no_config(),
            Some(c) => self.options().compile(c.clone()).unwrap_or_else(|e| panic!("{}: {e}", self.id)),
        }
    }
}

/// Text of `<name>` in an XML body (values in the corpus have no markup).
pub fn element(body: &str, name: &str) -> Option<String> {
    let open = format!("<{name}>");
    let close = format!("</{name}>");
    let start = body.find(&open)? + open.len();
    let end = body[start..].find(&close)? + start;
    Some(body[start..end].replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&"))
}

/// Checks a response against a case's `expect`; returns what differs.
pub fn check(case: &Case, got: &Response) -> Result<(), String> {
    let expect = &case.expect;
    let mut problems = Vec::new();
    if case.method == "OPTIONS" {
        let want = expect.get("status").and_then(Value::as_u64).map(|s| s as u16);
        if want.is_some() && want != got.status {
            problems.push(format!("status: want {want:?}, got {:?}", got.status));
        }
    } else if got.status.is_some() {
        problems.push(format!("actual request got a status {:?}", got.status));
    }
    if let Some(Value::Object(headers)) = expect.get("headers") {
        for (name, want) in headers {
            let have = got.header(name);
            match want {
                Value::Null if have.is_some() => problems.push(format!("{name}: want absent, got {have:?}")),
                Value::String(w) if have != Some(w.as_str()) => {
                    problems.push(format!("{name}: want {w:?}, got {have:?}"))
                }
                _ => {}
            }
        }
    }
    if let Some(want) = expect.get("headers_exact").and_then(Value::as_array) {
        let want: Vec<(String, String)> =
            want.iter().map(|p| (p[0].as_str().unwrap().to_string(), p[1].as_str().unwrap().to_string())).collect();
        if want != got.headers {
            problems.push(format!("headers: want {want:?}, got {:?}", got.headers));
        }
    }
    match (expect.get("error"), &got.error) {
        // A refused case states its error, so that none is taken on trust.
        (None, _) if case.refused() && !case.body_unrecorded() => {
            problems.push("a refused case must name its error (expect.error)".to_string())
        }
        (None | Some(Value::Null), None) => {}
        // Recorded without a body: the status and headers are checked, and the error is
        // compared with the reference matcher's by the caller.
        (None, Some(_)) if case.body_unrecorded() => {}
        (None, Some(e)) => problems.push(format!("refused with {}, but the case names no error", e.code)),
        (Some(Value::Null), Some(e)) => problems.push(format!("want no error, got {}", e.code)),
        (Some(_), None) => problems.push("want an error, got none".to_string()),
        (Some(want), Some(e)) => {
            for key in ["Code", "Message", "Method", "ResourceType"] {
                let w = want.get(key).and_then(Value::as_str).map(str::to_string);
                let have = element(&e.body, key);
                if w != have {
                    problems.push(format!("body {key}: want {w:?}, got {have:?}"));
                }
            }
            if element(&e.body, "Code").as_deref() != Some(e.code.as_str())
                || element(&e.body, "Message").as_deref() != Some(e.message.as_str())
            {
                problems.push("code/message fields differ from the body".to_string());
            }
        }
    }
    if let Some(rule) = expect.get("rule") {
        let want = rule.as_u64().map(|r| r as usize);
        if want != got.rule {
            problems.push(format!("rule: want {want:?}, got {:?}", got.rule));
        }
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(format!("{}: {}", case.id, problems.join("; ")))
    }
}
