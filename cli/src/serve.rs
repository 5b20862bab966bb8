//! `corsmatch serve`: an in-memory object endpoint whose CORS is decided by corsmatch, for
//! trying a configuration from a real browser.
//!
//! - Objects live in memory under path-style keys (`/{key}`): `PUT`, `GET`, `HEAD`, `DELETE`,
//!   `POST /{key}` (raw body) and `POST /` (a PostObject form upload); `GET /` lists them.
//!   Errors are the providers' XML (`NoSuchKey` 404 and the like).
//! - `OPTIONS` and the CORS headers of every other response come from
//!   [`corsmatch::http::CorsLayer`], so what the browser gets is what the bucket would send.
//! - The configuration file is polled every 500 ms and swapped whole when its bytes change;
//!   an invalid document keeps the old rules and its provider error is logged.
//! - `/_corsmatch/` is a page to ask the rules about any request (`/_corsmatch/explain`),
//!   see the configuration (`/_corsmatch/config`) and the decisions made (`/_corsmatch/log`).

use std::collections::{BTreeMap, VecDeque};
use std::io::Write;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use axum::body::{Body, Bytes};
use axum::extract::{Query, Request, State};
use axum::http::header::{self, HeaderName, HeaderValue};
use axum::http::request::Parts;
use axum::http::{Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use axum::Router;
use clap::Args;
use corsmatch::http::{CorsLayer, Lookup};
use corsmatch::{ConfigError, Decision, Options, Profile, RuleSet, Target};
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::Failure;

/// The configuration served without `--config`.
const EXAMPLE: &str = include_str!("../../examples/oss-web-upload.xml");
/// The debug page.
const PAGE: &str = include_str!("serve/page.html");
/// Where the debug page and its endpoints live; object keys may not start with it.
const DEBUG_PREFIX: &str = "/_corsmatch";
/// The largest object, and the most all objects may hold together.
const MAX_OBJECT_BYTES: usize = 32 << 20;
const MAX_STORE_BYTES: usize = 512 << 20;
/// The longest key (OSS's and S3's limit).
const MAX_KEY_BYTES: usize = 1023;
/// How many decisions `/_corsmatch/log` keeps.
const LOG_KEEP: usize = 1000;
/// How often the configuration file is read for changes.
const POLL: Duration = Duration::from_millis(500);
/// A configuration file larger than this is not read (no profile accepts it anyway).
const MAX_CONFIG_FILE_BYTES: u64 = 16 << 20;

/// Arguments of `corsmatch serve`.
#[derive(Args, Debug)]
pub struct ServeArgs {
    /// The CORSConfiguration XML document, reloaded when it changes. Without it, the example
    /// configuration examples/oss-web-upload.xml is served.
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,
    /// The address to listen on.
    #[arg(long, default_value = "127.0.0.1:8080", value_name = "IP:PORT")]
    addr: SocketAddr,
    /// Append every CORS decision to FILE, one JSON object per line.
    #[arg(long, value_name = "FILE")]
    log: Option<PathBuf>,
    #[command(flatten)]
    compile: crate::CompileFlags,
}

/// Runs the server until Ctrl-C or SIGTERM.
pub fn run(args: ServeArgs) -> Result<(), Failure> {
    let options = args.compile.options();
    let (text, source) = match &args.config {
        None => (EXAMPLE.as_bytes().to_vec(), None),
        Some(path) => (
            std::fs::read(path).map_err(|e| Failure::usage(format!("cannot read {}: {e}", path.display())))?,
            Some(path.clone()),
        ),
    };
    let rules = options.compile_xml(&text).map_err(|e| Failure::config(&e))?;
    let log_file = match &args.log {
        None => None,
        Some(path) => Some(
            std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(path)
                .map_err(|e| Failure::usage(format!("cannot open {}: {e}", path.display())))?,
        ),
    };
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| Failure::usage(format!("cannot start the runtime: {e}")))?;
    runtime.block_on(async move {
        let listener = tokio::net::TcpListener::bind(args.addr)
            .await
            .map_err(|e| Failure::usage(format!("cannot listen on {}: {e}", args.addr)))?;
        let addr = listener.local_addr().map_err(|e| Failure::usage(format!("cannot listen: {e}")))?;
        let server = Arc::new(Server::new(options, source.clone(), rules, &text, addr.to_string(), log_file));
        println!("corsmatch serve: listening on http://{addr}");
        println!("  debug page: http://{addr}{DEBUG_PREFIX}/");
        match &source {
            Some(path) => println!(
                "  configuration: {} (profile {}, reloaded when it changes)",
                path.display(),
                options.profile.name()
            ),
            None => println!(
                "  configuration: the example examples/oss-web-upload.xml (profile {})",
                options.profile.name()
            ),
        }
        if let Some(path) = source {
            tokio::spawn(watch(Arc::clone(&server), path, text));
        }
        axum::serve(listener, app(server))
            .with_graceful_shutdown(shutdown_signal())
            .await
            .map_err(|e| Failure::usage(format!("server error: {e}")))?;
        println!("corsmatch serve: stopped");
        Ok(())
    })
}

async fn shutdown_signal() {
    let ctrl_c = async {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = term => {},
    }
    eprintln!("corsmatch serve: shutting down");
}

// ---------------------------------------------------------------------------------------
// State

/// The rule set in force, swapped whole on reload: a request sees one or the other.
struct Loaded {
    rules: RuleSet,
    text: String,
    generation: u64,
}

struct Object {
    data: Bytes,
    content_type: String,
    etag: String,
    meta: Vec<(HeaderName, HeaderValue)>,
}

#[derive(Default)]
struct Store {
    objects: BTreeMap<String, Object>,
    bytes: usize,
}

#[derive(Serialize, Clone)]
struct LoggedError {
    code: String,
    message: String,
}

/// One decision, as `/_corsmatch/log` and `--log` give it.
#[derive(Serialize, Clone)]
struct Entry {
    seq: u64,
    time_ms: u64,
    request_id: Option<String>,
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

struct DecisionLog {
    next: u64,
    recent: VecDeque<Entry>,
    file: Option<std::fs::File>,
}

/// The request id of one request, set by the outermost middleware.
#[derive(Clone)]
struct RequestId(Arc<str>);

struct Server {
    options: Options,
    source: Option<PathBuf>,
    current: RwLock<Arc<Loaded>>,
    last_error: Mutex<Option<LoggedError>>,
    store: RwLock<Store>,
    log: Mutex<DecisionLog>,
    requests: AtomicU64,
    started: u64,
    host_id: String,
}

fn now_ms() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_millis() as u64)
}

impl Server {
    fn new(
        options: Options,
        source: Option<PathBuf>,
        rules: RuleSet,
        text: &[u8],
        host_id: String,
        file: Option<std::fs::File>,
    ) -> Server {
        let loaded = Loaded { rules, text: String::from_utf8_lossy(text).into_owned(), generation: 1 };
        Server {
            options,
            source,
            current: RwLock::new(Arc::new(loaded)),
            last_error: Mutex::new(None),
            store: RwLock::new(Store::default()),
            log: Mutex::new(DecisionLog { next: 1, recent: VecDeque::new(), file }),
            requests: AtomicU64::new(0),
            started: now_ms() / 1000,
            host_id,
        }
    }

    /// The rules in force; cheap (an `Arc`), and never a mix of two generations.
    fn current(&self) -> Arc<Loaded> {
        Arc::clone(&self.current.read().unwrap_or_else(|e| e.into_inner()))
    }

    fn request_id_header(&self) -> &'static str {
        match self.options.profile {
            Profile::Oss => "x-oss-request-id",
            Profile::S3 => "x-amz-request-id",
        }
    }

    fn next_request_id(&self) -> RequestId {
        let n = self.requests.fetch_add(1, Ordering::Relaxed) + 1;
        RequestId(format!("{:08X}{:016X}", self.started as u32, n).into())
    }

    /// Compiles `text` and, when it is valid, makes it the rules in force. An invalid
    /// document leaves the rules as they were.
    fn reload(&self, text: &[u8]) -> Result<u64, ConfigError> {
        let rules = match self.options.compile_xml(text) {
            Ok(rules) => rules,
            Err(e) => {
                *self.last_error.lock().unwrap_or_else(|e| e.into_inner()) =
                    Some(LoggedError { code: e.code().to_string(), message: e.message().to_string() });
                return Err(e);
            }
        };
        let mut current = self.current.write().unwrap_or_else(|e| e.into_inner());
        let generation = current.generation + 1;
        *current = Arc::new(Loaded { rules, text: String::from_utf8_lossy(text).into_owned(), generation });
        *self.last_error.lock().unwrap_or_else(|e| e.into_inner()) = None;
        Ok(generation)
    }

    fn record(&self, parts: &Parts, req: &corsmatch::Request<'_>, d: &Decision<'_>) {
        let mut log = self.log.lock().unwrap_or_else(|e| e.into_inner());
        let entry = Entry {
            seq: log.next,
            time_ms: now_ms(),
            request_id: parts.extensions.get::<RequestId>().map(|r| r.0.to_string()),
            method: req.method.to_string(),
            path: parts.uri.path().to_string(),
            origin: req.origin.map(str::to_string),
            acrm: req.acrm.map(str::to_string),
            acrh: req.acrh.map(str::to_string),
            target: req.target.name(),
            status: d.status,
            rule: d.rule,
            headers: d.headers().map(|(n, v)| (n, v.to_string())).collect(),
            error: d.refused.map(|r| LoggedError { code: r.code.to_string(), message: r.message.to_string() }),
        };
        log.next += 1;
        if let Some(file) = &mut log.file {
            let mut line = serde_json::to_vec(&entry).expect("serialising an entry cannot fail");
            line.push(b'\n');
            if let Err(e) = file.write_all(&line) {
                eprintln!("corsmatch serve: cannot write the decision log: {e}; no longer writing it");
                log.file = None;
            }
        }
        if log.recent.len() == LOG_KEEP {
            log.recent.pop_front();
        }
        log.recent.push_back(entry);
    }
}

/// Polls the configuration file and reloads it when its bytes change.
async fn watch(server: Arc<Server>, path: PathBuf, mut last: Vec<u8>) {
    let mut tick = tokio::time::interval(POLL);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut last_problem = String::new();
    loop {
        tick.tick().await;
        poll_config(&server, &path, &mut last, &mut last_problem);
    }
}

/// One poll: reads the file and reloads it if its bytes changed. Problems reading it are
/// logged once each, not twice a second.
fn poll_config(server: &Server, path: &Path, last: &mut Vec<u8>, last_problem: &mut String) {
    let read = std::fs::metadata(path).and_then(|m| {
        if m.len() > MAX_CONFIG_FILE_BYTES {
            Err(std::io::Error::other(format!("larger than {MAX_CONFIG_FILE_BYTES} bytes")))
        } else {
            std::fs::read(path)
        }
    });
    let bytes = match read {
        Ok(bytes) => bytes,
        Err(e) => {
            let problem = format!("cannot read {}: {e}; keeping the rules in force", path.display());
            if problem != *last_problem {
                eprintln!("corsmatch serve: {problem}");
                *last_problem = problem;
            }
            return;
        }
    };
    last_problem.clear();
    if bytes == *last {
        return;
    }
    match server.reload(&bytes) {
        Ok(generation) => {
            let rules = server.current().rules.config().map_or(0, |c| c.rules.len());
            eprintln!("corsmatch serve: reloaded {} (generation {generation}, {rules} rules)", path.display());
        }
        Err(e) => eprintln!(
            "corsmatch serve: {}: {} {}: {}; keeping the rules of generation {}",
            path.display(),
            e.status(),
            e.code(),
            e.message(),
            server.current().generation
        ),
    }
    *last = bytes;
}

// ---------------------------------------------------------------------------------------
// The application

fn app(server: Arc<Server>) -> Router {
    let for_lookup = Arc::clone(&server);
    let for_log = Arc::clone(&server);
    let cors = CorsLayer::new(move |parts: &Parts| {
        let path = parts.uri.path();
        if is_debug(path) {
            return None;
        }
        let target = if path == "/" { Target::Bucket } else { Target::Object };
        let mut lookup = Lookup::new(for_lookup.current().rules.clone(), target).with_host_id(&for_lookup.host_id);
        lookup.request_id = parts.extensions.get::<RequestId>().map(|r| r.0.to_string());
        Some(lookup)
    })
    .on_decision(move |parts, req, d| for_log.record(parts, req, d));
    Router::new()
        .route(DEBUG_PREFIX, get(|| async { Redirect::permanent("/_corsmatch/") }))
        .route("/_corsmatch/", get(page))
        .route("/_corsmatch/explain", get(explain))
        .route("/_corsmatch/config", get(config))
        .route("/_corsmatch/log", get(decisions))
        .fallback(storage)
        .layer(cors)
        .layer(axum::middleware::from_fn_with_state(Arc::clone(&server), request_id))
        .with_state(server)
}

fn is_debug(path: &str) -> bool {
    path == DEBUG_PREFIX || path.starts_with("/_corsmatch/")
}

/// Gives every request an id (in error bodies and the decision log) and sends it back in
/// the provider's request-id header.
async fn request_id(State(server): State<Arc<Server>>, mut req: Request, next: Next) -> Response {
    let id = server.next_request_id();
    req.extensions_mut().insert(id.clone());
    let mut response = next.run(req).await;
    if let Ok(v) = HeaderValue::from_str(&id.0) {
        response.headers_mut().insert(server.request_id_header(), v);
    }
    response.headers_mut().insert(header::SERVER, HeaderValue::from_static("corsmatch"));
    response
}

/// The provider's XML error response.
fn xml_error(server: &Server, status: StatusCode, code: &str, message: &str, id: Option<&RequestId>) -> Response {
    let mut body = String::new();
    corsmatch::render::error_body(&mut body, code, message, &[], id.map(|r| &*r.0), Some(&server.host_id));
    (status, [(header::CONTENT_TYPE, "application/xml")], body).into_response()
}

fn json_response(status: StatusCode, value: &serde_json::Value) -> Response {
    let body = serde_json::to_string_pretty(value).expect("serialising JSON cannot fail");
    (status, [(header::CONTENT_TYPE, "application/json")], body).into_response()
}

/// Decodes `%XX` escapes of a path into a key; `None` when the result is not UTF-8.
fn decode_key(path: &str) -> Option<String> {
    let bytes = path.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |b: u8| (b as char).to_digit(16);
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            if let (Some(h), Some(l)) = (hex(bytes[i + 1]), hex(bytes[i + 2])) {
                out.push((h * 16 + l) as u8);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8(out).ok()
}

/// A quoted, MD5-shaped ETag (two FNV-1a hashes; not MD5).
fn etag(data: &[u8]) -> String {
    let fnv = |seed: u64| data.iter().fold(seed, |h, &b| (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3));
    format!("\"{:016X}{:016X}\"", fnv(0xcbf2_9ce4_8422_2325), fnv(0x6c62_272e_07bb_0142))
}

fn is_meta(name: &str) -> bool {
    let n = name.to_ascii_lowercase();
    n.starts_with("x-oss-meta-") || n.starts_with("x-amz-meta-")
}

/// Everything that is not the debug page: the bucket and its objects.
async fn storage(State(server): State<Arc<Server>>, req: Request) -> Response {
    let id = req.extensions().get::<RequestId>().cloned();
    let id = id.as_ref();
    let path = req.uri().path().to_string();
    if path == "/" {
        return bucket(&server, req, id).await;
    }
    let Some(key) = decode_key(&path[1..]) else {
        return xml_error(&server, StatusCode::BAD_REQUEST, "InvalidObjectName", "The object name is not UTF-8.", id);
    };
    if key.len() > MAX_KEY_BYTES {
        return xml_error(&server, StatusCode::BAD_REQUEST, "KeyTooLong", "Your key is too long.", id);
    }
    match *req.method() {
        Method::GET | Method::HEAD => {
            let head = req.method() == Method::HEAD;
            let store = server.store.read().unwrap_or_else(|e| e.into_inner());
            let Some(object) = store.objects.get(&key) else {
                drop(store);
                if head {
                    return StatusCode::NOT_FOUND.into_response();
                }
                return xml_error(&server, StatusCode::NOT_FOUND, "NoSuchKey", "The specified key does not exist.", id);
            };
            let mut response = if head {
                let mut r = Response::new(Body::empty());
                r.headers_mut().insert(header::CONTENT_LENGTH, HeaderValue::from(object.data.len()));
                r
            } else {
                Response::new(Body::from(object.data.clone()))
            };
            let h = response.headers_mut();
            if let Ok(v) = HeaderValue::from_str(&object.content_type) {
                h.insert(header::CONTENT_TYPE, v);
            }
            if let Ok(v) = HeaderValue::from_str(&object.etag) {
                h.insert(header::ETAG, v);
            }
            for (n, v) in &object.meta {
                h.append(n.clone(), v.clone());
            }
            response
        }
        Method::PUT | Method::POST => {
            let (parts, body) = req.into_parts();
            let data = match read_body(&server, body, id).await {
                Ok(data) => data,
                Err(response) => return *response,
            };
            let content_type = parts
                .headers
                .get(header::CONTENT_TYPE)
                .and_then(|v| v.to_str().ok())
                .unwrap_or("application/octet-stream")
                .to_string();
            let meta = parts.headers.iter().filter(|(n, _)| is_meta(n.as_str())).map(|(n, v)| (n.clone(), v.clone()));
            match put(&server, key, data, content_type, meta.collect(), id) {
                Ok(tag) => (StatusCode::OK, [(header::ETAG, tag)]).into_response(),
                Err(response) => *response,
            }
        }
        Method::DELETE => {
            let mut store = server.store.write().unwrap_or_else(|e| e.into_inner());
            if let Some(old) = store.objects.remove(&key) {
                store.bytes -= old.data.len();
            }
            StatusCode::NO_CONTENT.into_response()
        }
        _ => xml_error(
            &server,
            StatusCode::METHOD_NOT_ALLOWED,
            "MethodNotAllowed",
            "The specified method is not allowed against this resource.",
            id,
        ),
    }
}

/// The whole body; an error response (boxed: it is large) when it cannot be read.
async fn read_body(server: &Server, body: Body, id: Option<&RequestId>) -> Result<Bytes, Box<Response>> {
    axum::body::to_bytes(body, MAX_OBJECT_BYTES).await.map_err(|e| {
        let message =
            format!("The request body could not be read (objects are limited to {MAX_OBJECT_BYTES} bytes): {e}");
        Box::new(xml_error(server, StatusCode::BAD_REQUEST, "InvalidRequest", &message, id))
    })
}

/// Stores an object; returns its ETag, or the error response.
fn put(
    server: &Server,
    key: String,
    data: Bytes,
    content_type: String,
    meta: Vec<(HeaderName, HeaderValue)>,
    id: Option<&RequestId>,
) -> Result<String, Box<Response>> {
    if key.is_empty() || key.starts_with("_corsmatch/") {
        let message = "The object name is empty or under _corsmatch/, which the debug page uses.";
        return Err(Box::new(xml_error(server, StatusCode::BAD_REQUEST, "InvalidObjectName", message, id)));
    }
    let tag = etag(&data);
    let mut store = server.store.write().unwrap_or_else(|e| e.into_inner());
    let replaced = store.objects.get(&key).map_or(0, |o| o.data.len());
    if store.bytes - replaced + data.len() > MAX_STORE_BYTES {
        drop(store);
        let message = format!("corsmatch serve keeps objects in memory and holds at most {MAX_STORE_BYTES} bytes.");
        return Err(Box::new(xml_error(server, StatusCode::INSUFFICIENT_STORAGE, "InsufficientStorage", &message, id)));
    }
    store.bytes = store.bytes - replaced + data.len();
    store.objects.insert(key, Object { data, content_type, etag: tag.clone(), meta });
    Ok(tag)
}

/// The bucket root: `GET` lists, `POST` is a form upload (PostObject).
async fn bucket(server: &Server, req: Request, id: Option<&RequestId>) -> Response {
    match *req.method() {
        Method::GET | Method::HEAD => {
            let store = server.store.read().unwrap_or_else(|e| e.into_inner());
            let mut xml = String::from(
                "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<ListBucketResult><Name>corsmatch</Name><Prefix></Prefix>\
                 <MaxKeys>1000</MaxKeys><IsTruncated>false</IsTruncated>",
            );
            for (key, o) in store.objects.iter().take(1000) {
                xml.push_str("<Contents><Key>");
                corsmatch::render::escape_into(&mut xml, key);
                xml.push_str("</Key><ETag>");
                corsmatch::render::escape_into(&mut xml, &o.etag);
                xml.push_str(&format!("</ETag><Size>{}</Size></Contents>", o.data.len()));
            }
            xml.push_str("</ListBucketResult>");
            (StatusCode::OK, [(header::CONTENT_TYPE, "application/xml")], xml).into_response()
        }
        Method::POST => {
            let (parts, body) = req.into_parts();
            let boundary = parts.headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).and_then(boundary);
            let Some(boundary) = boundary else {
                let message = "Bucket POST must be of the enclosure-type multipart/form-data";
                return xml_error(server, StatusCode::BAD_REQUEST, "InvalidArgument", message, id);
            };
            let data = match read_body(server, body, id).await {
                Ok(data) => data,
                Err(response) => return *response,
            };
            post_object(server, &data, &boundary, id)
        }
        _ => xml_error(
            server,
            StatusCode::METHOD_NOT_ALLOWED,
            "MethodNotAllowed",
            "The specified method is not allowed against this resource.",
            id,
        ),
    }
}

/// The `boundary` parameter of a `multipart/form-data` content type.
fn boundary(content_type: &str) -> Option<String> {
    let mut params = content_type.split(';');
    if !params.next()?.trim().eq_ignore_ascii_case("multipart/form-data") {
        return None;
    }
    params
        .find_map(|p| {
            let (name, value) = p.split_once('=')?;
            name.trim().eq_ignore_ascii_case("boundary").then(|| value.trim().trim_matches('"').to_string())
        })
        .filter(|b| !b.is_empty() && b.len() <= 200)
}

/// One part of a form.
#[derive(Debug, PartialEq)]
struct FormPart {
    name: String,
    filename: Option<String>,
    content_type: Option<String>,
    data: Bytes,
}

/// Splits a `multipart/form-data` body (RFC 7578) into its parts.
fn parse_form(body: &Bytes, boundary: &str) -> Result<Vec<FormPart>, &'static str> {
    let delimiter = format!("--{boundary}");
    let finder = memchr::memmem::Finder::new(delimiter.as_bytes());
    let next_delimiter = memchr::memmem::Finder::new(format!("\r\n--{boundary}").as_bytes()).into_owned();
    let mut at = finder.find(body).ok_or("no boundary in the body")? + delimiter.len();
    let mut parts = Vec::new();
    loop {
        let rest = &body[at..];
        if rest.starts_with(b"--") {
            return Ok(parts);
        }
        let rest = rest.strip_prefix(b"\r\n").ok_or("a boundary is not followed by CRLF")?;
        let head_end = memchr::memmem::find(rest, b"\r\n\r\n").ok_or("a part has no end of headers")?;
        let head = std::str::from_utf8(&rest[..head_end]).map_err(|_| "part headers are not UTF-8")?;
        let data_start = at + (body.len() - at - rest.len()) + head_end + 4;
        let data_len = next_delimiter.find(&body[data_start..]).ok_or("a part does not end with a boundary")?;
        let (mut name, mut filename, mut content_type) = (None, None, None);
        for line in head.split("\r\n") {
            let Some((h, v)) = line.split_once(':') else { continue };
            if h.trim().eq_ignore_ascii_case("content-disposition") {
                for param in v.split(';').skip(1) {
                    if let Some((k, val)) = param.split_once('=') {
                        let val = val.trim().trim_matches('"').to_string();
                        match k.trim().to_ascii_lowercase().as_str() {
                            "name" => name = Some(val),
                            "filename" => filename = Some(val),
                            _ => {}
                        }
                    }
                }
            } else if h.trim().eq_ignore_ascii_case("content-type") {
                content_type = Some(v.trim().to_string());
            }
        }
        parts.push(FormPart {
            name: name.ok_or("a part has no name")?,
            filename,
            content_type,
            data: body.slice(data_start..data_start + data_len),
        });
        at = data_start + data_len + 2 + delimiter.len();
    }
}

/// PostObject: fields `key` (with `${filename}`), `file` (last), `Content-Type`,
/// `success_action_status` (200, 201 or 204, the default), `x-oss-meta-*`/`x-amz-meta-*`.
fn post_object(server: &Server, body: &Bytes, boundary: &str, id: Option<&RequestId>) -> Response {
    let bad = |message: &str| xml_error(server, StatusCode::BAD_REQUEST, "MalformedPOSTRequest", message, id);
    let parts = match parse_form(body, boundary) {
        Ok(parts) => parts,
        Err(why) => {
            return bad(&format!("The body of your POST request is not well-formed multipart/form-data: {why}."))
        }
    };
    let field = |name: &str| {
        parts.iter().find(|p| p.name.eq_ignore_ascii_case(name)).map(|p| String::from_utf8_lossy(&p.data).into_owned())
    };
    let Some(file) = parts.iter().find(|p| p.name == "file") else {
        return bad("The form has no file field.");
    };
    let Some(key) = field("key") else {
        return bad("The form has no key field.");
    };
    let key = key.replace("${filename}", file.filename.as_deref().unwrap_or(""));
    if key.len() > MAX_KEY_BYTES {
        return xml_error(server, StatusCode::BAD_REQUEST, "KeyTooLong", "Your key is too long.", id);
    }
    let content_type = field("content-type")
        .or_else(|| file.content_type.clone())
        .unwrap_or_else(|| "application/octet-stream".to_string());
    let meta = parts
        .iter()
        .filter(|p| is_meta(&p.name))
        .filter_map(|p| {
            let name = HeaderName::from_bytes(p.name.to_ascii_lowercase().as_bytes()).ok()?;
            Some((name, HeaderValue::from_bytes(&p.data).ok()?))
        })
        .collect();
    let status = match field("success_action_status").as_deref() {
        Some("200") => StatusCode::OK,
        Some("201") => StatusCode::CREATED,
        _ => StatusCode::NO_CONTENT,
    };
    match put(server, key.clone(), file.data.clone(), content_type, meta, id) {
        Err(response) => *response,
        Ok(tag) if status == StatusCode::CREATED => {
            let mut xml = String::from(
                "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<PostResponse><Bucket>corsmatch</Bucket><Key>",
            );
            corsmatch::render::escape_into(&mut xml, &key);
            xml.push_str("</Key><ETag>");
            corsmatch::render::escape_into(&mut xml, &tag);
            xml.push_str("</ETag></PostResponse>");
            (status, [(header::CONTENT_TYPE, "application/xml".to_string()), (header::ETAG, tag)], xml).into_response()
        }
        Ok(tag) => (status, [(header::ETAG, tag)]).into_response(),
    }
}

// ---------------------------------------------------------------------------------------
// The debug page and its endpoints

async fn page() -> Response {
    ([(header::CONTENT_TYPE, "text/html; charset=utf-8"), (header::CACHE_CONTROL, "no-store")], PAGE).into_response()
}

#[derive(Deserialize)]
struct ExplainQuery {
    method: Option<String>,
    origin: Option<String>,
    acrm: Option<String>,
    acrh: Option<String>,
    target: Option<String>,
}

/// `RuleSet::explain` for the request given in the query; an absent parameter is an absent
/// header, an empty one an empty header.
async fn explain(State(server): State<Arc<Server>>, Query(q): Query<ExplainQuery>) -> Response {
    let target = match q.target.as_deref().unwrap_or("object").parse::<Target>() {
        Ok(t) => t,
        Err(e) => return json_response(StatusCode::BAD_REQUEST, &json!({"error": e})),
    };
    let loaded = server.current();
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
    let e = loaded.rules.explain(&req);
    let config = loaded.rules.config();
    let rules: Vec<_> = e
        .rules
        .iter()
        .map(|r| {
            let verdict = &r.verdict;
            let mut v = json!({"result": verdict.result(), "header": verdict.header(), "detail": verdict.detail()});
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
        "generation": loaded.generation,
        "request": {"method": method, "origin": req.origin, "acrm": req.acrm, "acrh": req.acrh, "target": target.name()},
        "method": e.method,
        "headers": e.headers,
        "skipped": e.skipped.map(|s| s.to_string()),
        "rules": rules,
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

/// The configuration in force, its generation, and the last reload error.
async fn config(State(server): State<Arc<Server>>) -> Response {
    let loaded = server.current();
    let last_error = server.last_error.lock().unwrap_or_else(|e| e.into_inner()).clone();
    let source = match &server.source {
        Some(p) => p.display().to_string(),
        None => "examples/oss-web-upload.xml (embedded)".to_string(),
    };
    let body = json!({
        "source": source,
        "profile": server.options.profile.name(),
        "generation": loaded.generation,
        "rules": loaded.rules.config().map_or(0, |c| c.rules.len()),
        "response_vary": loaded.rules.config().and_then(|c| c.response_vary).unwrap_or(false),
        "text": loaded.text,
        "last_error": last_error,
    });
    json_response(StatusCode::OK, &body)
}

#[derive(Deserialize)]
struct LogQuery {
    since: Option<u64>,
}

/// The decisions made after `since` (a `seq`), oldest first; the last 1000 are kept.
async fn decisions(State(server): State<Arc<Server>>, Query(q): Query<LogQuery>) -> Response {
    let since = q.since.unwrap_or(0);
    let entries: Vec<Entry> = {
        let log = server.log.lock().unwrap_or_else(|e| e.into_inner());
        log.recent.iter().filter(|e| e.seq > since).cloned().collect()
    };
    json_response(StatusCode::OK, &json!(entries))
}

#[cfg(test)]
mod tests {
    use super::*;
    use tower::ServiceExt;

    fn server_with(xml: &str, profile: Profile) -> Arc<Server> {
        let options = Options::new(profile);
        let rules = options.compile_xml(xml.as_bytes()).unwrap();
        Arc::new(Server::new(options, None, rules, xml.as_bytes(), "127.0.0.1:1".into(), None))
    }

    fn example() -> Arc<Server> {
        server_with(EXAMPLE, Profile::Oss)
    }

    async fn send(server: &Arc<Server>, method: &str, uri: &str, headers: &[(&str, &str)], body: &[u8]) -> Response {
        let mut b = axum::http::Request::builder().method(method).uri(uri);
        for (n, v) in headers {
            b = b.header(*n, *v);
        }
        app(Arc::clone(server)).oneshot(b.body(Body::from(body.to_vec())).unwrap()).await.unwrap()
    }

    async fn text(r: Response) -> String {
        String::from_utf8(axum::body::to_bytes(r.into_body(), usize::MAX).await.unwrap().to_vec()).unwrap()
    }

    fn h<'a>(r: &'a Response, name: &str) -> Option<&'a str> {
        r.headers().get(name).map(|v| v.to_str().unwrap())
    }

    fn element(body: &str, name: &str) -> Option<String> {
        let (open, close) = (format!("<{name}>"), format!("</{name}>"));
        let start = body.find(&open)? + open.len();
        Some(body[start..start + body[start..].find(&close)?].to_string())
    }

    #[tokio::test]
    async fn objects_round_trip_with_metadata() {
        let s = example();
        let put_headers = [("content-type", "text/plain"), ("x-oss-meta-author", "ann")];
        let r = send(&s, "PUT", "/dir/a%20b.txt", &put_headers, b"hello").await;
        assert_eq!(r.status(), 200);
        let tag = h(&r, "etag").unwrap().to_string();
        assert_eq!(tag, etag(b"hello"));
        assert!(h(&r, "x-oss-request-id").is_some_and(|id| id.len() == 24));

        let r = send(&s, "GET", "/dir/a%20b.txt", &[], b"").await;
        assert_eq!(r.status(), 200);
        assert_eq!(h(&r, "etag"), Some(tag.as_str()));
        assert_eq!(h(&r, "content-type"), Some("text/plain"));
        assert_eq!(h(&r, "x-oss-meta-author"), Some("ann"));
        assert_eq!(text(r).await, "hello");

        let r = send(&s, "HEAD", "/dir/a%20b.txt", &[], b"").await;
        assert_eq!((r.status(), h(&r, "content-length")), (StatusCode::OK, Some("5")));
        assert_eq!(text(r).await, "");

        let r = send(&s, "GET", "/", &[], b"").await;
        let list = text(r).await;
        assert!(list.contains("<Key>dir/a b.txt</Key>"), "{list}");
        assert!(list.contains("<Size>5</Size>"));

        let r = send(&s, "POST", "/raw", &[], b"posted").await;
        assert_eq!(r.status(), 200);
        assert_eq!(text(send(&s, "GET", "/raw", &[], b"").await).await, "posted");

        assert_eq!(send(&s, "DELETE", "/dir/a%20b.txt", &[], b"").await.status(), 204);
        assert_eq!(send(&s, "HEAD", "/dir/a%20b.txt", &[], b"").await.status(), 404);
        assert_eq!(s.store.read().unwrap().bytes, 6);
    }

    #[tokio::test]
    async fn errors_are_the_providers_xml() {
        let s = example();
        let r = send(&s, "GET", "/missing", &[], b"").await;
        assert_eq!(r.status(), 404);
        assert_eq!(h(&r, "content-type"), Some("application/xml"));
        let id = h(&r, "x-oss-request-id").unwrap().to_string();
        let body = text(r).await;
        assert_eq!(element(&body, "Code").as_deref(), Some("NoSuchKey"));
        assert_eq!(element(&body, "RequestId"), Some(id));
        assert_eq!(element(&body, "HostId").as_deref(), Some("127.0.0.1:1"));

        let r = send(&s, "PATCH", "/k", &[], b"").await;
        assert_eq!(r.status(), 405);
        assert_eq!(element(&text(r).await, "Code").as_deref(), Some("MethodNotAllowed"));
        let r = send(&s, "GET", "/%FF", &[], b"").await;
        assert_eq!(element(&text(r).await, "Code").as_deref(), Some("InvalidObjectName"));
        let r = send(&s, "POST", "/", &[("content-type", "text/plain")], b"x").await;
        assert_eq!(element(&text(r).await, "Code").as_deref(), Some("InvalidArgument"));
        let long = format!("/{}", "k".repeat(1024));
        let r = send(&s, "PUT", &long, &[], b"x").await;
        assert_eq!(element(&text(r).await, "Code").as_deref(), Some("KeyTooLong"));
    }

    #[tokio::test]
    async fn s3_profile_uses_its_request_id_header() {
        let xml = "<CORSConfiguration><CORSRule><AllowedOrigin>*</AllowedOrigin><AllowedMethod>GET</AllowedMethod></CORSRule></CORSConfiguration>";
        let s = server_with(xml, Profile::S3);
        let r = send(&s, "GET", "/k", &[("origin", "http://x.test")], b"").await;
        assert!(h(&r, "x-amz-request-id").is_some());
        assert!(h(&r, "x-oss-request-id").is_none());
        assert_eq!(h(&r, "access-control-allow-origin"), Some("*"));
        assert_eq!(h(&r, "vary"), Some("Origin, Access-Control-Request-Headers, Access-Control-Request-Method"));
    }

    #[tokio::test]
    async fn cors_comes_from_the_layer() {
        let s = example();
        let pre = [
            ("origin", "https://www.example.com"),
            ("access-control-request-method", "PUT"),
            ("access-control-request-headers", "content-type,x-oss-meta-author"),
        ];
        let r = send(&s, "OPTIONS", "/photo.jpg", &pre, b"").await;
        assert_eq!(r.status(), 200);
        assert_eq!(h(&r, "access-control-allow-origin"), Some("https://www.example.com"));
        assert_eq!(h(&r, "access-control-allow-headers"), Some("content-type, x-oss-meta-author"));
        assert_eq!(h(&r, "access-control-expose-headers"), Some("ETag, x-oss-request-id"));
        assert_eq!(h(&r, "vary"), Some("Origin"));
        assert!(h(&r, "x-oss-request-id").is_some());

        let denied = [("origin", "https://evil.test"), ("access-control-request-method", "PUT")];
        let r = send(&s, "OPTIONS", "/photo.jpg", &denied, b"").await;
        assert_eq!(r.status(), 403);
        let id = h(&r, "x-oss-request-id").unwrap().to_string();
        let body = text(r).await;
        assert_eq!(element(&body, "Code").as_deref(), Some("AccessForbidden"));
        assert_eq!(element(&body, "RequestId"), Some(id));

        // Actual requests, error responses included, get the headers of the `*` rule.
        let r = send(&s, "GET", "/nothing-here", &[("origin", "https://evil.test")], b"").await;
        assert_eq!(r.status(), 404);
        assert_eq!(h(&r, "access-control-allow-origin"), Some("*"));
        assert_eq!(h(&r, "access-control-allow-methods"), Some("GET, HEAD"));

        // The debug endpoints are not the bucket: no CORS at all.
        let r = send(&s, "GET", "/_corsmatch/config", &[("origin", "https://www.example.com")], b"").await;
        assert!(h(&r, "access-control-allow-origin").is_none());
        assert!(h(&r, "vary").is_none());

        // Every decision is logged, with the request as the engine saw it.
        let r = send(&s, "GET", "/_corsmatch/log?since=1", &[], b"").await;
        let log: serde_json::Value = serde_json::from_str(&text(r).await).unwrap();
        let log = log.as_array().unwrap();
        assert_eq!(log.len(), 2, "{log:?}");
        assert_eq!(log[0]["seq"], 2);
        assert_eq!(log[0]["status"], 403);
        assert_eq!(log[0]["error"]["code"], "AccessForbidden");
        assert_eq!(log[1]["method"], "GET");
        assert_eq!(log[1]["rule"], 1);
        assert_eq!(log[1]["status"], serde_json::Value::Null);
        let first = &s.log.lock().unwrap().recent[0];
        assert_eq!(first.acrh.as_deref(), Some("content-type,x-oss-meta-author"));
        assert_eq!(first.path, "/photo.jpg");
    }

    #[tokio::test]
    async fn post_object_form_upload() {
        let s = example();
        let body = "--XyZ\r\nContent-Disposition: form-data; name=\"key\"\r\n\r\nuploads/${filename}\r\n\
                    --XyZ\r\nContent-Disposition: form-data; name=\"x-oss-meta-tag\"\r\n\r\nblue\r\n\
                    --XyZ\r\nContent-Disposition: form-data; name=\"success_action_status\"\r\n\r\n201\r\n\
                    --XyZ\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.txt\"\r\n\
                    Content-Type: text/plain\r\n\r\nline1\r\n--not-the-boundary\r\n--XyZ--\r\n";
        let r =
            send(&s, "POST", "/", &[("content-type", "multipart/form-data; boundary=\"XyZ\"")], body.as_bytes()).await;
        assert_eq!(r.status(), 201);
        let xml = text(r).await;
        assert_eq!(element(&xml, "Key").as_deref(), Some("uploads/a.txt"));
        let r = send(&s, "GET", "/uploads/a.txt", &[], b"").await;
        assert_eq!(h(&r, "content-type"), Some("text/plain"));
        assert_eq!(h(&r, "x-oss-meta-tag"), Some("blue"));
        assert_eq!(text(r).await, "line1\r\n--not-the-boundary");

        for bad in ["--XyZ\r\nContent-Disposition: form-data; name=\"key\"\r\n\r\nk", "nothing", "--XyZ--"] {
            let r =
                send(&s, "POST", "/", &[("content-type", "multipart/form-data; boundary=XyZ")], bad.as_bytes()).await;
            assert_eq!(r.status(), 400, "{bad:?}");
            assert_eq!(element(&text(r).await, "Code").as_deref(), Some("MalformedPOSTRequest"));
        }
    }

    #[test]
    fn form_parsing() {
        let body = Bytes::from_static(b"preamble\r\n--b\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\n\r\n--b\r\nContent-Disposition: form-data; name=\"f\"; filename=\"x.bin\"\r\nContent-Type: application/x-thing\r\n\r\n\x00\xff--b\r\n--b--");
        let parts = parse_form(&body, "b").unwrap();
        assert_eq!(parts.len(), 2);
        assert_eq!((parts[0].name.as_str(), parts[0].data.as_ref()), ("a", &b""[..]));
        assert_eq!(parts[1].filename.as_deref(), Some("x.bin"));
        assert_eq!(parts[1].content_type.as_deref(), Some("application/x-thing"));
        assert_eq!(parts[1].data.as_ref(), b"\x00\xff--b");
        assert!(parse_form(&Bytes::from_static(b"--b\r\nno-end-of-headers"), "b").is_err());
        assert!(parse_form(&Bytes::from_static(b"--bX"), "b").is_err());
        assert_eq!(boundary("multipart/form-data; charset=utf-8; boundary=abc").as_deref(), Some("abc"));
        assert_eq!(boundary("text/plain; boundary=abc"), None);
    }

    #[test]
    fn keys_are_percent_decoded() {
        assert_eq!(decode_key("a%20b%2Fc").as_deref(), Some("a b/c"));
        assert_eq!(decode_key("100%").as_deref(), Some("100%"));
        assert_eq!(decode_key("%4").as_deref(), Some("%4"));
        assert_eq!(decode_key("%zz%41").as_deref(), Some("%zzA"));
        assert_eq!(decode_key("%C3%A9").as_deref(), Some("é"));
        assert_eq!(decode_key("%FF"), None);
    }

    #[tokio::test]
    async fn reload_swaps_whole_rule_sets_and_keeps_the_old_on_error() {
        let dir = std::env::temp_dir().join(format!("corsmatch-serve-test-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("cors.xml");
        std::fs::write(&path, EXAMPLE).unwrap();
        let s = example();
        let (mut last, mut problem) = (EXAMPLE.as_bytes().to_vec(), String::new());
        let preflight = [("origin", "https://app.test"), ("access-control-request-method", "DELETE")];

        poll_config(&s, &path, &mut last, &mut problem);
        assert_eq!(s.current().generation, 1, "unchanged bytes: no reload");
        assert_eq!(send(&s, "OPTIONS", "/k", &preflight, b"").await.status(), 403);

        let allow = "<CORSConfiguration><CORSRule><AllowedOrigin>https://app.test</AllowedOrigin>\
                     <AllowedMethod>DELETE</AllowedMethod></CORSRule></CORSConfiguration>";
        std::fs::write(&path, allow).unwrap();
        poll_config(&s, &path, &mut last, &mut problem);
        assert_eq!(s.current().generation, 2);
        assert_eq!(send(&s, "OPTIONS", "/k", &preflight, b"").await.status(), 200);

        std::fs::write(&path, "<CORSConfiguration><CORSRule>").unwrap();
        poll_config(&s, &path, &mut last, &mut problem);
        assert_eq!(s.current().generation, 2, "an invalid document keeps the old rules");
        assert_eq!(send(&s, "OPTIONS", "/k", &preflight, b"").await.status(), 200);
        let r = send(&s, "GET", "/_corsmatch/config", &[], b"").await;
        let c: serde_json::Value = serde_json::from_str(&text(r).await).unwrap();
        assert_eq!(c["generation"], 2);
        assert_eq!(c["last_error"]["code"], "MalformedXML");
        assert_eq!(c["text"], allow);

        std::fs::remove_file(&path).unwrap();
        poll_config(&s, &path, &mut last, &mut problem);
        assert!(problem.contains("cannot read"), "{problem}");
        assert_eq!(s.current().generation, 2);

        std::fs::write(&path, EXAMPLE).unwrap();
        poll_config(&s, &path, &mut last, &mut problem);
        assert_eq!(s.current().generation, 3);
        assert!(problem.is_empty());
        let r = send(&s, "GET", "/_corsmatch/config", &[], b"").await;
        let c: serde_json::Value = serde_json::from_str(&text(r).await).unwrap();
        assert_eq!(c["last_error"], serde_json::Value::Null);
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[tokio::test]
    async fn explain_endpoint() {
        let s = example();
        let q = "/_corsmatch/explain?method=OPTIONS&origin=https%3A%2F%2Fa.example.com&acrm=PUT&acrh=x-secret";
        let r = send(&s, "GET", q, &[], b"").await;
        assert_eq!(r.status(), 200);
        let e: serde_json::Value = serde_json::from_str(&text(r).await).unwrap();
        assert_eq!(e["rules"][0]["result"], "header");
        assert_eq!(e["rules"][0]["header"], "x-secret");
        assert_eq!(e["rules"][1]["result"], "method");
        assert_eq!(e["winner"], serde_json::Value::Null);
        assert_eq!(e["response"]["status"], 403);
        assert_eq!(e["response"]["error"]["code"], "AccessForbidden");

        let r = send(&s, "GET", "/_corsmatch/explain?method=GET&origin=http%3A%2F%2Fx", &[], b"").await;
        let e: serde_json::Value = serde_json::from_str(&text(r).await).unwrap();
        assert_eq!(e["winner"], 1);
        assert_eq!(e["response"]["headers"][0], json!(["Access-Control-Allow-Origin", "*"]));

        let r = send(&s, "GET", "/_corsmatch/explain?target=nowhere", &[], b"").await;
        assert_eq!(r.status(), 400);
        let r = send(&s, "GET", "/_corsmatch/", &[], b"").await;
        assert_eq!(h(&r, "content-type"), Some("text/html; charset=utf-8"));
        assert!(text(r).await.contains("/_corsmatch/explain"));
        let r = send(&s, "GET", "/_corsmatch", &[], b"").await;
        assert_eq!(h(&r, "location"), Some("/_corsmatch/"));
    }

    #[test]
    fn log_file_gets_one_json_line_per_decision() {
        let path = std::env::temp_dir().join(format!("corsmatch-serve-log-{}.jsonl", std::process::id()));
        let file = std::fs::File::create(&path).unwrap();
        let options = Options::new(Profile::Oss);
        let s = Arc::new(Server::new(
            options,
            None,
            options.compile_xml(EXAMPLE.as_bytes()).unwrap(),
            EXAMPLE.as_bytes(),
            "h".into(),
            Some(file),
        ));
        let rt = tokio::runtime::Builder::new_current_thread().build().unwrap();
        rt.block_on(async {
            send(&s, "PUT", "/a", &[("origin", "https://www.example.com")], b"x").await;
            send(&s, "GET", "/a", &[], b"").await;
        });
        let text = std::fs::read_to_string(&path).unwrap();
        let lines: Vec<serde_json::Value> = text.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
        assert_eq!(lines.len(), 2);
        assert_eq!(lines[0]["origin"], "https://www.example.com");
        assert_eq!(lines[0]["rule"], 0);
        assert_eq!(lines[1]["origin"], serde_json::Value::Null);
        std::fs::remove_file(&path).unwrap();
    }
}
