//! The debug page at `/_corsmatch/`: the buckets, their configurations, the engine's
//! explanation of any request against any of them, and the decision log. Read-only, without
//! CORS (no other origin may read it), and behind the same `Host` check as the bucket API.

use std::collections::VecDeque;
use std::path::Path;
use std::sync::{Arc, Mutex};

use axum::extract::{Query, State};
use axum::http::request::Parts;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use axum::Router;
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::jsonl::{cut, JsonlFile};
use super::limits::{LOG_KEEP, LOG_PAGE};
use super::store::lock;
use super::{Routed, Server};
use crate::Failure;

const PAGE: &str = include_str!("page.html");
const PREFIX: &str = "/_corsmatch";

pub fn is_debug(path: &str) -> bool {
    path == PREFIX || path.starts_with("/_corsmatch/")
}

pub fn routes() -> Router<Arc<Server>> {
    Router::new()
        .route(PREFIX, get(|| async { Redirect::permanent("/_corsmatch/") }))
        .route("/_corsmatch/", get(page))
        .route("/_corsmatch/buckets", get(buckets))
        .route("/_corsmatch/config", get(config))
        .route("/_corsmatch/explain", get(explain))
        .route("/_corsmatch/doctor", get(doctor))
        .route("/_corsmatch/log", get(decisions))
}

#[derive(Serialize, Clone)]
pub struct LoggedError {
    pub code: String,
    pub message: String,
}

/// One decision, as `/_corsmatch/log` and `--log` give it. Request values are cut to
/// `LOG_VALUE_BYTES`: a page may send megabyte headers, and the log must not keep them.
#[derive(Serialize, Clone)]
struct Entry {
    seq: u64,
    time_ms: u64,
    request_id: Option<String>,
    bucket: Option<String>,
    version: Option<u64>,
    method: String,
    path: String,
    origin: Option<String>,
    acrm: Option<String>,
    acrh: Option<String>,
    target: &'static str,
    status: Option<u16>,
    rule: Option<usize>,
    headers: Vec<(&'static str, String)>,
    error: Option<LoggedError>,
}

struct LogState {
    next: u64,
    recent: VecDeque<Entry>,
    file: Option<JsonlFile>,
}

pub struct DecisionLog(Mutex<LogState>);

impl DecisionLog {
    pub fn open(path: Option<&Path>) -> Result<DecisionLog, Failure> {
        let file = path.map(JsonlFile::open).transpose()?;
        Ok(DecisionLog(Mutex::new(LogState { next: 1, recent: VecDeque::new(), file })))
    }

    pub fn record(&self, parts: &Parts, req: &corsmatch::Request<'_>, d: &corsmatch::Decision<'_>) {
        let routed = parts.extensions.get::<Arc<Routed>>();
        let opt = |s: Option<&str>| s.map(cut);
        let mut log = lock(&self.0);
        let entry = Entry {
            seq: log.next,
            time_ms: super::now_ms(),
            request_id: routed.map(|r| r.request_id.clone()),
            bucket: routed.and_then(|r| r.route.bucket.as_deref()).map(cut),
            version: routed.and_then(|r| r.cors.as_ref()).map(|c| c.version),
            method: cut(req.method),
            path: cut(parts.uri.path()),
            origin: opt(req.origin),
            acrm: opt(req.acrm),
            acrh: opt(req.acrh),
            target: req.target.name(),
            status: d.status,
            rule: d.rule,
            headers: d.headers().map(|(n, v)| (n, cut(v))).collect(),
            error: d.refused.map(|r| LoggedError { code: r.code.to_string(), message: r.message.to_string() }),
        };
        log.next += 1;
        if let Some(file) = &mut log.file {
            if let Err(e) = file.append(&entry) {
                eprintln!(
                    "corsmatch serve: cannot write {}: {e}; no longer writing the decision log",
                    file.path().display()
                );
                log.file = None;
            }
        }
        if log.recent.len() == LOG_KEEP {
            log.recent.pop_front();
        }
        log.recent.push_back(entry);
    }
}

fn json_response(status: StatusCode, value: &serde_json::Value) -> Response {
    let body = serde_json::to_string_pretty(value).unwrap_or_default();
    (status, [(header::CONTENT_TYPE, "application/json"), (header::CACHE_CONTROL, "no-store")], body).into_response()
}

async fn page() -> Response {
    let headers = [
        (header::CONTENT_TYPE, "text/html; charset=utf-8"),
        (header::CACHE_CONTROL, "no-store"),
        (header::X_FRAME_OPTIONS, "DENY"),
    ];
    (headers, PAGE).into_response()
}

async fn buckets(State(server): State<Arc<Server>>) -> Response {
    let list: Vec<_> = server
        .store
        .buckets()
        .iter()
        .map(|b| {
            let cors = b.cors();
            json!({
                "name": b.name,
                "acl": b.acl().name(),
                "version": cors.version,
                "configured": cors.document.is_some(),
                "objects": super::store::read(&b.objects).len(),
                "file": b.file.as_ref().map(|p| p.display().to_string()),
            })
        })
        .collect();
    json_response(
        StatusCode::OK,
        &json!({"profile": server.options.profile.name(), "bytes": server.store.bytes(), "buckets": list}),
    )
}

#[derive(Deserialize)]
struct BucketQuery {
    bucket: Option<String>,
}

fn find(server: &Server, name: Option<&str>) -> Result<Arc<super::store::Bucket>, Box<Response>> {
    let name = name.unwrap_or("");
    let missing = || Box::new(json_response(StatusCode::NOT_FOUND, &json!({"error": format!("no bucket {name:?}")})));
    server.store.bucket(name).ok_or_else(missing)
}

/// A bucket's configuration in force, its version, and its file's last error.
async fn config(State(server): State<Arc<Server>>, Query(q): Query<BucketQuery>) -> Response {
    let bucket = match find(&server, q.bucket.as_deref()) {
        Ok(b) => b,
        Err(r) => return *r,
    };
    let cors = bucket.cors();
    let source = match (&bucket.file, &cors.document) {
        (Some(p), None) => format!("{} (empty: no CORS configuration)", p.display()),
        (None, None) => "no CORS configuration".to_string(),
        (_, Some(_)) => cors.source.to_string(),
    };
    let config = cors.rules.config();
    let body = json!({
        "bucket": bucket.name,
        "source": source,
        "profile": server.options.profile.name(),
        "version": cors.version,
        "rules": config.map_or(0, |c| c.rules.len()),
        "response_vary": config.and_then(|c| c.response_vary).unwrap_or(false),
        "text": cors.document.as_deref().map(String::from_utf8_lossy),
        "last_error": lock(&server.last_errors).get(&bucket.name).cloned(),
    });
    json_response(StatusCode::OK, &body)
}

#[derive(Deserialize)]
struct DoctorQuery {
    bucket: Option<String>,
    sdk: Option<String>,
    origin: Option<String>,
}

/// `RuleSet::doctor` against a bucket's rules: will the SDK's operations work from the
/// origin? The report is `corsmatch doctor --json`'s.
async fn doctor(State(server): State<Arc<Server>>, Query(q): Query<DoctorQuery>) -> Response {
    let bucket = match find(&server, q.bucket.as_deref()) {
        Ok(b) => b,
        Err(r) => return *r,
    };
    let name = q.sdk.as_deref().unwrap_or_default();
    let Some(sdk) = corsmatch::doctor::SdkProfile::built_in(name) else {
        let known: Vec<&str> = corsmatch::doctor::SdkProfile::names().collect();
        return json_response(
            StatusCode::BAD_REQUEST,
            &json!({"error": format!("unknown SDK {}: expected one of {}", cut(name), known.join(", "))}),
        );
    };
    let cors = bucket.cors();
    match cors.rules.doctor(q.origin.as_deref().unwrap_or_default(), sdk, &[]) {
        Ok(report) => match serde_json::to_value(&report) {
            Ok(v) => json_response(StatusCode::OK, &v),
            Err(e) => json_response(StatusCode::INTERNAL_SERVER_ERROR, &json!({"error": e.to_string()})),
        },
        Err(e) => json_response(StatusCode::BAD_REQUEST, &json!({"error": cut(&e)})),
    }
}

#[derive(Deserialize)]
struct ExplainQuery {
    bucket: Option<String>,
    method: Option<String>,
    origin: Option<String>,
    acrm: Option<String>,
    acrh: Option<String>,
    target: Option<String>,
}

/// `RuleSet::explain` for the request given in the query against a bucket's rules; an
/// absent parameter is an absent header, an empty one an empty header.
async fn explain(State(server): State<Arc<Server>>, Query(q): Query<ExplainQuery>) -> Response {
    let target = match q.target.as_deref().unwrap_or("object").parse::<corsmatch::Target>() {
        Ok(t) => t,
        Err(e) => return json_response(StatusCode::BAD_REQUEST, &json!({"error": e})),
    };
    let bucket = match find(&server, q.bucket.as_deref()) {
        Ok(b) => b,
        Err(r) => return *r,
    };
    let cors = bucket.cors();
    let method = q.method.as_deref().filter(|m| !m.is_empty()).unwrap_or("OPTIONS");
    let req = corsmatch::Request {
        method,
        origin: q.origin.as_deref(),
        acrm: q.acrm.as_deref(),
        acrh: q.acrh.as_deref(),
        target,
        request_id: None,
        host_id: None,
    };
    let rules =
        if target == corsmatch::Target::MissingBucket { server.options.no_config() } else { cors.rules.clone() };
    let e = rules.explain(&req);
    let config = rules.config();
    let verdicts: Vec<_> = e
        .rules
        .iter()
        .map(|r| {
            let verdict = &r.verdict;
            let mut v = json!({"result": verdict.result(), "header": verdict.header(), "detail": r.detail});
            if let Some(rule) = config.and_then(|c| c.rules.get(r.index)) {
                v["rule"] = json!(r.index);
                v["allowed_origins"] = json!(rule.allowed_origins);
                v["allowed_methods"] = json!(rule.allowed_methods);
                v["allowed_headers"] = json!(rule.allowed_headers);
            }
            v
        })
        .collect();
    let resp = &e.response;
    let body = json!({
        "bucket": bucket.name,
        "version": cors.version,
        "request": {"method": method, "origin": req.origin, "acrm": req.acrm, "acrh": req.acrh, "target": target.name()},
        "method": e.method,
        "headers": e.headers,
        "skipped": e.skipped.map(|s| s.to_string()),
        "rules": verdicts,
        "winner": e.winner,
        "response": {
            "status": resp.status,
            "headers": resp.headers,
            "error": resp.error.as_ref().map(|x| json!({"code": x.code, "message": x.message, "body": x.body})),
            "rule": resp.rule,
        },
    });
    json_response(StatusCode::OK, &body)
}

#[derive(Deserialize)]
struct LogQuery {
    since: Option<u64>,
    tail: Option<usize>,
}

/// A page of the decision log, oldest first: the first `LOG_PAGE` entries after `since`
/// (a `seq`), or with `tail=N` the newest N (at most `LOG_PAGE`).
async fn decisions(State(server): State<Arc<Server>>, Query(q): Query<LogQuery>) -> Response {
    let since = q.since.unwrap_or(0);
    let entries: Vec<Entry> = {
        let log = lock(&server.log.0);
        match q.tail {
            Some(n) => {
                let n = n.min(LOG_PAGE);
                log.recent.iter().skip(log.recent.len().saturating_sub(n)).filter(|e| e.seq > since).cloned().collect()
            }
            None => log.recent.iter().filter(|e| e.seq > since).take(LOG_PAGE).cloned().collect(),
        }
    };
    json_response(StatusCode::OK, &json!(entries))
}
