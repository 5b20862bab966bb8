//! `corsmatch serve`: a local S3 or OSS endpoint whose CORS is decided by corsmatch, for
//! trying configurations with real clients and browsers, and as the reference of how a
//! storage server embeds the engine.
//!
//! One module per concern (after Garage's `src/api/s3/`):
//! - `router`: method, host, path and query to an operation;
//! - `auth`: who is asking (signatures), `acl`: what they may do;
//! - `store` and `disk`: buckets, objects and uploads, in memory and with `--data` on disk;
//! - `cors`: each bucket's compiled configuration, replaced whole, and its version;
//! - `bucket`, `cors_api`, `object`, `multipart`, `post_object`: the operations;
//! - `errors`: the providers' codes and XML; `dialect`: what differs between S3 and OSS;
//! - `debug`: the page at `/_corsmatch/` and the decision log; `record`: the `--record`
//!   file of every request and answer; `limits`: every bound.
//!
//! A request goes through `context` (request id, `Host` check, routing, the bucket's CORS
//! snapshot), then `corsmatch::http::CorsLayer` (answers preflights; adds the CORS headers to
//! every other response, errors included), then `dispatch`.

mod acl;
mod auth;
mod body;
mod bucket;
mod clock;
mod cors;
mod cors_api;
mod debug;
mod dialect;
mod disk;
mod errors;
mod jsonl;
mod limits;
mod multipart;
mod object;
mod post_object;
mod record;
mod router;
mod store;
mod xml;

use std::collections::{BTreeMap, HashMap};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{SystemTime, UNIX_EPOCH};

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::header::{self, HeaderValue};
use axum::http::request::Parts;
use axum::middleware::Next;
use axum::response::Response;
use axum::Router;
use clap::Args;
use corsmatch::http::{CorsLayer, Lookup};
use corsmatch::{Options, Profile, Target};

use self::auth::{Caller, Credentials};
use self::cors::{CorsState, VERSION_HEADER};
use self::dialect::Dialect;
use self::errors::{ApiError, ApiResult, Code};
use self::router::{Op, Route};
use self::store::{Acl, Bucket, BucketMeta, Store};
use crate::Failure;

/// The example configuration of each profile: a bucket `example` holds it when no
/// `--bucket` is given.
const OSS_EXAMPLE: &str = include_str!("../../../examples/oss-web-upload.xml");
const S3_EXAMPLE: &str = include_str!("../../../examples/s3-web-upload.xml");

/// Arguments of `corsmatch serve`.
#[derive(Args, Debug)]
pub struct ServeArgs {
    /// A bucket, with the file that holds its CORS configuration: reloaded when edited,
    /// rewritten by PutBucketCors and DeleteBucketCors when it is XML. The file may also be
    /// the S3 console's or the AWS CLI's JSON, a CloudFormation template or a Terraform plan
    /// or state (the bucket named NAME when it has several). NAME alone: a bucket without one.
    /// Repeatable. Without any, a bucket `example` holds the profile's example configuration.
    #[arg(long = "bucket", value_name = "NAME[=FILE]")]
    buckets: Vec<String>,
    /// The canned ACL of the buckets named on the command line (and `example`) when they are
    /// created: private, public-read or public-read-write (anonymous uploads from a page).
    #[arg(long, default_value = "private", value_parser = ["private", "public-read", "public-read-write"])]
    bucket_acl: String,
    /// The same as `--bucket example=FILE`.
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,
    /// Keep buckets, ACLs, configurations and objects in DIR across restarts; every write is
    /// on disk before it is acknowledged. Without it everything is in memory.
    #[arg(long, value_name = "DIR")]
    data: Option<PathBuf>,
    /// Verify signatures (SigV4 header and query, SigV2 and OSS) with these credentials;
    /// repeatable, each key pair is an owner (conformance suites sign as several users).
    /// Without it, signed requests are the owner's and nothing is verified.
    #[arg(long, value_name = "ACCESS_KEY:SECRET_KEY")]
    credentials: Vec<String>,
    /// The address to listen on.
    #[arg(long, default_value = "127.0.0.1:8080", value_name = "IP:PORT")]
    addr: SocketAddr,
    /// Listen on an address that is not loopback, and accept any Host header.
    #[arg(long)]
    allow_remote: bool,
    /// Append every CORS decision to FILE, one JSON object per line (rotated at 16 MiB).
    #[arg(long, value_name = "FILE")]
    log: Option<PathBuf>,
    /// Append every request to FILE, one JSON object per line: method, path, operation,
    /// Origin, whether it is a preflight, ACRM, ACRH, the request's header names, the status
    /// and the response's header names (rotated at 16 MiB).
    #[arg(long, value_name = "FILE")]
    record: Option<PathBuf>,
    #[command(flatten)]
    compile: crate::CompileFlags,
}

/// The endpoint's state, shared by every request.
pub struct Server {
    pub options: Options,
    pub dialect: &'static Dialect,
    pub store: Store,
    /// The key pairs signatures are verified with; none: signatures are not verified.
    pub credentials: Vec<Credentials>,
    /// `<HostId>` of error bodies: the listen address.
    pub host_id: String,
    pub listen: SocketAddr,
    pub allow_remote: bool,
    pub log: debug::DecisionLog,
    pub record: record::Recorder,
    /// The last bytes read from each `--bucket` file.
    pub file_seen: Mutex<HashMap<String, Vec<u8>>>,
    /// The last configuration error of each bucket's file, for the debug page.
    pub last_errors: Mutex<BTreeMap<String, debug::LoggedError>>,
    requests: AtomicU64,
    started: u64,
}

pub fn now_ms() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_millis() as u64)
}

impl Server {
    fn next_request_id(&self) -> String {
        let n = self.requests.fetch_add(1, Ordering::Relaxed) + 1;
        format!("{:08X}{:016X}", self.started as u32, n)
    }

    pub fn set_last_error(&self, bucket: &str, code: String, message: String) {
        let entry = debug::LoggedError { code, message };
        store::lock(&self.last_errors).insert(bucket.to_string(), entry);
    }

    /// A new bucket, in memory and (with `--data`) on disk.
    pub fn create_bucket(&self, name: &str, acl: Acl, file: Option<PathBuf>) -> ApiResult<Arc<Bucket>> {
        let meta = BucketMeta { created_ms: now_ms(), acl };
        let _writing = self.store.writing();
        if self.store.bucket(name).is_some() {
            return Err(self.store.already_exists(name));
        }
        let bucket = Bucket::new(name, meta.clone(), file, CorsState::none(&self.options, self.store.next_version()));
        if let Some(disk) = &self.store.disk {
            disk.save_bucket(name, &meta).map_err(|e| self.io_error(e))?;
        }
        self.store.insert_bucket(bucket)
    }

    /// Who signed a request: `check` is one signature scheme's verdict with one key pair. The
    /// first key pair whose access key the request names decides; none configured: nothing
    /// is verified.
    pub fn authenticate(
        &self,
        check: impl Fn(Option<&Credentials>) -> Result<Caller, auth::AuthError>,
    ) -> ApiResult<Caller> {
        let refused = |e: auth::AuthError| ApiError::custom(e.status, e.code, e.message);
        if self.credentials.is_empty() {
            return check(None).map_err(refused);
        }
        let mut unknown = None;
        for creds in &self.credentials {
            match check(Some(creds)) {
                Err(e) if e.code == "InvalidAccessKeyId" => unknown = Some(e),
                verdict => return verdict.map_err(refused),
            }
        }
        Err(refused(unknown.unwrap_or_else(|| auth::AuthError {
            status: 403,
            code: "InvalidAccessKeyId",
            message: String::new(),
        })))
    }

    /// A write to disk that failed: the request fails, and the change is not made.
    pub fn io_error(&self, e: std::io::Error) -> ApiError {
        eprintln!("corsmatch serve: cannot write to the data directory: {e}");
        ApiError::custom(500, "InternalError", "We encountered an internal error. Please try again.")
    }
}

/// Splits `NAME[=FILE]`.
fn bucket_arg(arg: &str) -> (String, Option<PathBuf>) {
    match arg.split_once('=') {
        Some((name, file)) => (name.to_string(), Some(PathBuf::from(file))),
        None => (arg.to_string(), None),
    }
}

fn is_loopback(addr: &SocketAddr) -> bool {
    addr.ip().is_loopback()
}

/// Builds the server from the arguments: buckets from `--data`, then `--bucket` (and the
/// example), each with its configuration compiled; an invalid one stops the start.
fn build(args: &ServeArgs, listen: SocketAddr) -> Result<Server, Failure> {
    let options = args.compile.options();
    let dialect = Dialect::of(options.profile);
    let mut credentials = Vec::new();
    for pair in &args.credentials {
        match pair.split_once(':') {
            Some((a, k)) if !a.is_empty() && !k.is_empty() => {
                credentials.push(Credentials { access_key: a.to_string(), secret_key: k.to_string() })
            }
            _ => return Err(Failure::usage("--credentials must be ACCESS_KEY:SECRET_KEY")),
        }
    }
    let (disk, loaded) = match &args.data {
        None => (None, Vec::new()),
        Some(dir) => {
            let (disk, loaded) = disk::Disk::open(dir)
                .map_err(|e| Failure::usage(format!("cannot use --data {}: {e}", dir.display())))?;
            (Some(disk), loaded)
        }
    };
    let log = debug::DecisionLog::open(args.log.as_deref())?;
    let record = record::Recorder::open(args.record.as_deref())?;
    let server = Server {
        options,
        dialect,
        store: Store::new(dialect, disk),
        credentials,
        host_id: listen.to_string(),
        listen,
        allow_remote: args.allow_remote,
        log,
        record,
        file_seen: Mutex::default(),
        last_errors: Mutex::default(),
        requests: AtomicU64::new(0),
        started: now_ms() / 1000,
    };
    let invalid = |what: &str, e: &corsmatch::ConfigError| {
        eprintln!("corsmatch serve: {what}: {} {}: {}", e.status(), e.code(), e.message());
        Failure::config(e)
    };
    let mut wanted: Vec<(String, Option<PathBuf>)> = args.buckets.iter().map(|a| bucket_arg(a)).collect();
    if let Some(path) = &args.config {
        wanted.push(("example".to_string(), Some(path.clone())));
    }
    let example = wanted.is_empty() && loaded.is_empty();
    if example {
        wanted.push(("example".to_string(), None));
    }
    for b in loaded {
        // A bucket kept in --data that is also named on the command line takes its file.
        let file = wanted.iter().find(|(n, _)| *n == b.name).and_then(|(_, f)| f.clone());
        let cors = CorsState::none(&options, server.store.next_version());
        let bucket = server
            .store
            .insert_bucket(Bucket::new(&b.name, b.meta, file, cors))
            .map_err(|e| Failure::usage(e.message.to_string()))?;
        if let Some(doc) = b.cors {
            let rules = cors::compile(&options, &doc).map_err(|e| invalid(&format!("--data bucket {}", b.name), &e))?;
            let source = format!("kept in --data {}", args.data.as_deref().unwrap_or(Path::new("")).display());
            cors::install(&server.store, &options, &bucket, rules.map(|r| (doc.as_slice(), r)), &source);
        }
        for object in b.objects {
            server.store.reserve(object.footprint()).map_err(|e| Failure::usage(e.message.to_string()))?;
            server.store.put_object(&bucket, object);
        }
    }
    for (name, file) in wanted {
        if !dialect.valid_bucket_name(&name) {
            return Err(Failure::usage(format!("--bucket {name}: not a valid {} bucket name", options.profile.name())));
        }
        let text: Option<Vec<u8>> = match &file {
            Some(path) => {
                Some(std::fs::read(path).map_err(|e| Failure::usage(format!("cannot read {}: {e}", path.display())))?)
            }
            None if example => Some(match options.profile {
                Profile::Oss => OSS_EXAMPLE.as_bytes().to_vec(),
                Profile::S3 => S3_EXAMPLE.as_bytes().to_vec(),
            }),
            None => None,
        };
        let bucket = match server.store.bucket(&name) {
            Some(kept) => kept,
            None => {
                let acl = Acl::parse(&args.bucket_acl).ok().flatten().unwrap_or(Acl::Private);
                server.create_bucket(&name, acl, file.clone()).map_err(|e| Failure::usage(e.message.to_string()))?
            }
        };
        if let Some(text) = text {
            let compiled = cors::compile_file(&options, &text, &name).map_err(|e| match e {
                cors::FileError::Provider(e) => invalid(&format!("bucket {name}"), &e),
                cors::FileError::Load(text) => Failure::usage(format!("bucket {name}: {text}")),
            })?;
            let document = compiled.as_ref().map(|(xml, r)| (xml.as_slice(), r.clone()));
            let source = match (&file, options.profile) {
                (Some(path), _) => format!("{} (reloaded when it changes)", path.display()),
                (None, Profile::Oss) => "the shipped example, examples/oss-web-upload.xml".to_string(),
                (None, Profile::S3) => "the shipped example, examples/s3-web-upload.xml".to_string(),
            };
            let doc = document.as_ref().map(|(xml, _)| *xml);
            cors::install(&server.store, &options, &bucket, document.clone(), &source);
            if let Some(path) = &file {
                store::lock(&server.file_seen).insert(name.clone(), text.clone());
                if let Some(disk) = &server.store.disk {
                    disk.save_cors(&name, doc)
                        .map_err(|e| Failure::usage(format!("cannot save {}: {e}", path.display())))?;
                }
            }
        }
    }
    Ok(server)
}

/// Runs the server until Ctrl-C or SIGTERM.
pub fn run(args: ServeArgs) -> Result<(), Failure> {
    if !args.allow_remote && !is_loopback(&args.addr) {
        return Err(Failure::usage(format!(
            "{} is not a loopback address; corsmatch serve is a debugging tool: add --allow-remote to listen there",
            args.addr
        )));
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| Failure::usage(format!("cannot start the runtime: {e}")))?;
    runtime.block_on(async move {
        let listener = tokio::net::TcpListener::bind(args.addr)
            .await
            .map_err(|e| Failure::usage(format!("cannot listen on {}: {e}", args.addr)))?;
        let addr = listener.local_addr().map_err(|e| Failure::usage(format!("cannot listen: {e}")))?;
        let server = Arc::new(build(&args, addr)?);
        let profile = server.options.profile.name();
        println!("corsmatch serve: listening on http://{addr}");
        println!(
            "  profile {profile}; path style http://{addr}/BUCKET/KEY, virtual-hosted http://BUCKET.localhost:{}/KEY",
            addr.port()
        );
        println!("  debug page: http://{addr}/_corsmatch/");
        for b in server.store.buckets() {
            let cors = b.cors();
            let source = if cors.document.is_some() { &*cors.source } else { "no CORS configuration" };
            println!("  bucket {} ({}): {source}", b.name, b.acl().name());
        }
        if server.credentials.is_empty() {
            println!("  signatures are not verified (no --credentials): a signed request is the owner's");
        }
        for c in &server.credentials {
            println!("  signatures verified for access key {}", c.access_key);
        }
        if args.allow_remote {
            println!("  --allow-remote: any Host is accepted; this is a debugging tool, not a storage server");
        }
        tokio::spawn(cors::watch(Arc::clone(&server)));
        listen::serve(listener, app(server), shutdown_signal()).await;
        println!("corsmatch serve: stopped");
        Ok(())
    })
}

mod listen;

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
// The request pipeline

/// What `context` found out about a request, for the CORS layer and the handlers.
pub struct Routed {
    pub route: Route,
    pub bucket: Option<Arc<Bucket>>,
    /// The bucket's configuration when the request arrived: the one every part of the
    /// answer is decided by.
    pub cors: Option<Arc<CorsState>>,
    pub request_id: String,
}

pub fn app(server: Arc<Server>) -> Router {
    let for_log = Arc::clone(&server);
    let host_id = server.host_id.clone();
    let profile = server.options.profile;
    let cors = CorsLayer::new(move |parts: &Parts| {
        let routed = parts.extensions.get::<Arc<Routed>>()?;
        routed.route.bucket.as_ref()?;
        let mut lookup = match (&routed.cors, &routed.route.key) {
            (None, _) => Lookup::missing_bucket(profile),
            (Some(c), None) => Lookup::new(c.rules.clone(), Target::Bucket),
            (Some(c), Some(_)) => Lookup::new(c.rules.clone(), Target::Object),
        };
        lookup.request_id = Some(routed.request_id.clone());
        lookup.host_id = Some(host_id.clone());
        Some(lookup)
    })
    .on_decision(move |parts, req, d| for_log.log.record(parts, req, d));
    debug::routes()
        .fallback(dispatch)
        .layer(cors)
        .layer(axum::middleware::from_fn_with_state(Arc::clone(&server), context))
        .with_state(server)
}

/// Whether `Host` names this server: loopback names and `*.localhost` on its port (a DNS
/// rebinding page sends its own host name). Any host with `--allow-remote`.
fn host_allowed(server: &Server, host: &str) -> bool {
    if server.allow_remote {
        return true;
    }
    let name = router::strip_port(host);
    let port = &host[name.len()..];
    let port_ok = match port.strip_prefix(':') {
        Some(p) => p.parse::<u16>().ok() == Some(server.listen.port()),
        None => port.is_empty() && server.listen.port() == 80,
    };
    let name = name.to_ascii_lowercase();
    let name_ok = matches!(name.as_str(), "localhost" | "127.0.0.1" | "[::1]")
        || name.ends_with(".localhost")
        || name == server.listen.ip().to_string();
    port_ok && name_ok
}

/// Gives each request its id, checks `Host`, routes it and takes the bucket's CORS snapshot;
/// names the id and the configuration's version in the response.
async fn context(State(server): State<Arc<Server>>, req: Request, next: Next) -> Response {
    let id = server.next_request_id();
    let (parts, body) = req.into_parts();
    let (body, body_read) = body::Tracked::new(body);
    let mut req = Request::from_parts(parts, Body::new(body));
    let host = req.headers().get(header::HOST).and_then(|v| v.to_str().ok()).unwrap_or("").to_string();
    // The debug page's own polling is not the API's traffic: not recorded.
    let seen = (server.record.enabled() && !debug::is_debug(req.uri().path()))
        .then(|| record::Seen::new(req.method(), req.uri(), req.headers(), &host));
    let mut op = None;
    let mut version = None;
    let mut response = if !host_allowed(&server, &host) {
        bad_host(&server, &host, &id)
    } else if debug::is_debug(req.uri().path()) {
        next.run(req).await
    } else {
        match router::route(req.method(), &host, req.uri()) {
            Err(code) => ApiError::new(server.dialect, code).into_response(&id, &server.host_id, false),
            Ok(route) => {
                op = Some(route.op);
                let bucket = route.bucket.as_deref().and_then(|b| server.store.bucket(b));
                let cors = bucket.as_ref().map(|b| b.cors());
                version = Some(cors.as_ref().map_or(0, |c| c.version));
                let routed = Routed { route, bucket, cors, request_id: id.clone() };
                req.extensions_mut().insert(Arc::new(routed));
                next.run(req).await
            }
        }
    };
    let headers = response.headers_mut();
    if let Ok(v) = HeaderValue::from_str(&id) {
        headers.insert(server.dialect.request_id_header, v);
    }
    // A configuration change names the version it installed; every other response the one
    // that decided it.
    if let Some(v) = version {
        headers.entry(VERSION_HEADER).or_insert(HeaderValue::from(v));
    }
    headers.insert(header::SERVER, HeaderValue::from_static("corsmatch"));
    if !body_read.load(Ordering::Relaxed) {
        headers.insert(header::CONNECTION, HeaderValue::from_static("close"));
    }
    if let Some(seen) = &seen {
        server.record.record(seen, op, response.status().as_u16(), response.headers());
    }
    response
}

fn bad_host(server: &Server, host: &str, id: &str) -> Response {
    let message = format!(
        "Host {host:?} is not this server: use 127.0.0.1:{port}, localhost:{port} or BUCKET.localhost:{port} \
         (corsmatch serve refuses other names, as a DNS-rebinding page would send; --allow-remote accepts any)",
        port = server.listen.port()
    );
    ApiError::new(server.dialect, Code::InvalidArgument).message(message).into_response(id, &server.host_id, false)
}

/// What a handler gets: the request's head, who is asking, and the bucket.
pub struct Ctx<'a> {
    pub server: &'a Server,
    pub d: &'static Dialect,
    pub parts: &'a Parts,
    pub routed: &'a Routed,
    pub caller: Caller,
}

impl Ctx<'_> {
    pub fn route(&self) -> &Route {
        &self.routed.route
    }

    pub fn err(&self, code: Code) -> ApiError {
        ApiError::new(self.d, code)
    }

    /// The bucket, or `NoSuchBucket`.
    pub fn bucket(&self) -> ApiResult<&Arc<Bucket>> {
        let name = self.route().bucket.as_deref().unwrap_or("");
        self.routed.bucket.as_ref().ok_or_else(|| self.err(Code::NoSuchBucket).with("BucketName", name))
    }

    pub fn key(&self) -> &str {
        self.route().key.as_deref().unwrap_or("")
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.parts.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// The provider's header `x-amz-NAME` / `x-oss-NAME`.
    pub fn provider_header(&self, name: &str) -> Option<&str> {
        self.header(&format!("{}{name}", self.d.prefix))
    }

    pub fn is_owner(&self) -> bool {
        self.caller == Caller::Owner
    }
}

/// Every bucket and object operation: who is asking, then the operation.
async fn dispatch(State(server): State<Arc<Server>>, req: Request) -> Response {
    let (parts, body) = req.into_parts();
    let Some(routed) = parts.extensions.get::<Arc<Routed>>().cloned() else {
        return ApiError::new(server.dialect, Code::MethodNotAllowed).into_response("", &server.host_id, false);
    };
    let head = parts.method == axum::http::Method::HEAD;
    let result = handle(&server, &parts, &routed, body).await;
    match result {
        Ok(response) => response,
        Err(e) => e.into_response(&routed.request_id, &server.host_id, head),
    }
}

async fn handle(server: &Server, parts: &Parts, routed: &Routed, body: Body) -> ApiResult<Response> {
    let d = server.dialect;
    let route = &routed.route;
    let caller = if route.op == Op::PostObject {
        Caller::Anonymous // the form's policy signature decides, in post_object
    } else {
        let auth_req = auth::AuthRequest {
            method: parts.method.as_str(),
            uri: &parts.uri,
            headers: &parts.headers,
            resource: &route.resource(),
            oss: d.oss(),
        };
        server.authenticate(|creds| auth::authenticate(&auth_req, creds, SystemTime::now()))?
    };
    let ctx = Ctx { server, d, parts, routed, caller };
    acl::check(&ctx)?;
    use Op::*;
    match route.op {
        ListBuckets => bucket::list_buckets(&ctx),
        CreateBucket => bucket::create(&ctx, body).await,
        HeadBucket => bucket::head(&ctx),
        DeleteBucket => bucket::delete(&ctx),
        ListObjects | ListObjectsV2 => bucket::list_objects(&ctx),
        ListObjectVersions => bucket::list_versions(&ctx),
        ListMultipartUploads => multipart::list_uploads(&ctx),
        GetBucketLocation => bucket::location(&ctx),
        GetBucketVersioning => bucket::versioning(&ctx),
        GetBucketAcl => acl::get_bucket(&ctx),
        PutBucketAcl => acl::put_bucket(&ctx, body).await,
        PutBucketCors => cors_api::put(&ctx, body).await,
        GetBucketCors => cors_api::get(&ctx),
        DeleteBucketCors => cors_api::delete(&ctx),
        DeleteObjects => object::delete_many(&ctx, body).await,
        PostObject => post_object::post(&ctx, body).await,
        PutObject => object::put(&ctx, body).await,
        GetObject | HeadObject => object::get(&ctx),
        DeleteObject => object::delete(&ctx),
        GetObjectAcl => acl::get_object(&ctx),
        PutObjectAcl => acl::put_object(&ctx, body).await,
        CreateMultipartUpload => multipart::create(&ctx),
        UploadPart => multipart::upload_part(&ctx, body).await,
        CompleteMultipartUpload => multipart::complete(&ctx, body).await,
        AbortMultipartUpload => multipart::abort(&ctx),
        ListParts => multipart::list_parts(&ctx),
        NotImplemented => Err(ctx.err(Code::NotImplemented)),
        // Preflights are answered by the CORS layer; one that reaches here is for the
        // service root, which has no CORS.
        Preflight | MethodNotAllowed => Err(ctx.err(Code::MethodNotAllowed)),
    }
}

#[cfg(test)]
mod tests;
