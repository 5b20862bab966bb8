//! `--record FILE`: one JSON line per request, as the client sent it and as it was answered:
//! what a browser SDK actually does, for e2e/sdk's recorder and for anyone asking "what did
//! my page send?". The decision log (`--log`) has the engine's side; this has the wire's.
//!
//! A line: `{"seq", "method", "path", "query", "operation", "origin", "preflight",
//! "preflight_for", "acrm", "acrh", "request_headers", "status", "response_headers"}`.
//! - `operation` is the router's name for the request (`Preflight` for an `OPTIONS`), or null
//!   when it was refused before routing (a bad `Host`, a bad path);
//! - `preflight` is true for an `OPTIONS` with `Access-Control-Request-Method`, and
//!   `preflight_for` names the operation the preflight asks about (the ACRM on the same URL);
//! - `acrh` is the header as sent; header names are lowercase, in the order received, each
//!   once. `response_headers` are the ones the endpoint set; hyper adds `date` and the body's
//!   framing (`content-length` or `transfer-encoding`) when it writes them.
//!
//! Values are cut to `LOG_VALUE_BYTES`, and the file is rotated at `LOG_FILE_BYTES`, as the
//! decision log's: any web page can send to this server.

use std::path::Path;
use std::sync::Mutex;

use axum::http::{HeaderMap, Method, Uri};
use serde::Serialize;

use super::jsonl::{cut, JsonlFile};
use super::router::{self, Op};
use super::store::lock;
use crate::Failure;

/// One request and its answer.
#[derive(Serialize)]
struct Line<'a> {
    seq: u64,
    method: &'a str,
    path: String,
    query: Option<String>,
    operation: Option<&'static str>,
    origin: Option<String>,
    preflight: bool,
    preflight_for: Option<&'static str>,
    acrm: Option<String>,
    acrh: Option<String>,
    request_headers: Vec<&'a str>,
    status: u16,
    response_headers: Vec<&'a str>,
}

/// What `context` knows about a request before it is answered.
pub struct Seen {
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    host: String,
}

impl Seen {
    /// Keeps the request's head: the handlers consume the request.
    pub fn new(method: &Method, uri: &Uri, headers: &HeaderMap, host: &str) -> Seen {
        Seen { method: method.clone(), uri: uri.clone(), headers: headers.clone(), host: host.to_string() }
    }
}

struct State {
    file: JsonlFile,
    next: u64,
}

/// The `--record` file.
pub struct Recorder(Mutex<Option<State>>);

/// Header names, each once, in the order they first appear.
fn names(headers: &HeaderMap) -> Vec<&str> {
    let mut out: Vec<&str> = Vec::new();
    for name in headers.keys() {
        if !out.contains(&name.as_str()) {
            out.push(name.as_str());
        }
    }
    out
}

impl Recorder {
    pub fn open(path: Option<&Path>) -> Result<Recorder, Failure> {
        let state = path.map(JsonlFile::open).transpose()?.map(|file| State { file, next: 1 });
        Ok(Recorder(Mutex::new(state)))
    }

    pub fn enabled(&self) -> bool {
        lock(&self.0).is_some()
    }

    /// Writes the line of one answered request. `op` is the router's verdict, when it routed.
    pub fn record(&self, seen: &Seen, op: Option<Op>, status: u16, response: &HeaderMap) {
        let text = |name: &str| seen.headers.get(name).map(|v| cut(&String::from_utf8_lossy(v.as_bytes())));
        let acrm = text("access-control-request-method");
        let preflight = seen.method == Method::OPTIONS && acrm.is_some();
        // The operation the preflight asks about: the same URL with the ACRM as its method.
        let preflight_for = match (&acrm, op) {
            (Some(m), Some(Op::Preflight)) if preflight => Method::from_bytes(m.as_bytes())
                .ok()
                .and_then(|m| router::route(&m, &seen.host, &seen.uri).ok())
                .map(|r| r.op.name()),
            _ => None,
        };
        let mut guard = lock(&self.0);
        let Some(state) = guard.as_mut() else { return };
        let line = Line {
            seq: state.next,
            method: seen.method.as_str(),
            path: cut(seen.uri.path()),
            query: seen.uri.query().map(cut),
            operation: op.map(Op::name),
            origin: text("origin"),
            preflight,
            preflight_for,
            acrm,
            acrh: text("access-control-request-headers"),
            request_headers: names(&seen.headers),
            status,
            response_headers: names(response),
        };
        state.next += 1;
        if let Err(e) = state.file.append(&line) {
            eprintln!("corsmatch serve: cannot write {}: {e}; no longer recording", state.file.path().display());
            *guard = None;
        }
    }
}
