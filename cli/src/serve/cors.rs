//! The CORS wiring: each bucket's compiled configuration, replaced whole on PutBucketCors,
//! DeleteBucketCors or an edit of its file, with a version number that every response names
//! (`x-corsmatch-config-version`), and the GetBucketCors document.

use std::path::Path;
use std::sync::Arc;

use corsmatch::{ConfigError, Options, RuleSet};

use super::disk::write_atomic;
use super::limits::{MAX_CONFIG_FILE_BYTES, POLL};
use super::store::{write, Bucket, Store};
use super::Server;

/// The response header naming the configuration that decided a response.
pub const VERSION_HEADER: &str = "x-corsmatch-config-version";

/// A bucket's CORS configuration at one version.
pub struct CorsState {
    pub version: u64,
    /// `RuleSet::no_config` when the bucket has none.
    pub rules: RuleSet,
    /// The document as it was received (API) or read (file).
    pub document: Option<Arc<[u8]>>,
    /// Where it came from, for the debug page: `PutBucketCors`, a file, the shipped example.
    pub source: Arc<str>,
}

impl CorsState {
    pub fn none(options: &Options, version: u64) -> CorsState {
        CorsState { version, rules: options.no_config(), document: None, source: Arc::from("none") }
    }
}

/// A file that holds only white space is a bucket without configuration: that is what
/// DeleteBucketCors leaves in a `--bucket NAME=FILE` file.
pub fn is_empty_document(bytes: &[u8]) -> bool {
    bytes.iter().all(u8::is_ascii_whitespace)
}

/// Compiles a document, or `None` for an empty one.
pub fn compile(options: &Options, bytes: &[u8]) -> Result<Option<RuleSet>, ConfigError> {
    if is_empty_document(bytes) {
        return Ok(None);
    }
    options.compile_xml(bytes).map(Some)
}

/// Why a `--bucket` file was not installed.
pub enum FileError {
    /// The provider refuses the document the file stands for.
    Provider(ConfigError),
    /// The file is not a configuration (a JSON syntax error, a tool's own refusal, several
    /// buckets and none named like this one).
    Load(String),
}

impl FileError {
    /// `(code, message)`, as the debug page and the log show it.
    pub fn parts(&self) -> (String, String) {
        match self {
            FileError::Provider(e) => (e.code().to_string(), e.message().to_string()),
            FileError::Load(text) => ("NotAConfiguration".to_string(), text.clone()),
        }
    }

    /// The line the log shows: `400 MalformedXML: ...` for the provider's refusal.
    pub fn describe(&self) -> String {
        match self {
            FileError::Provider(e) => format!("{} {}: {}", e.status(), e.code(), e.message()),
            FileError::Load(text) => format!("NotAConfiguration: {text}"),
        }
    }
}

/// A `--bucket NAME=FILE` file's configuration, or `None` for an empty one, with the XML
/// document it stands for. The file is XML as PutBucketCors takes it, or any form
/// `corsmatch::formats` reads: the S3 console's or the AWS CLI's JSON, a CloudFormation
/// template, a Terraform plan or state. A file with several buckets is read for the one named
/// like this bucket.
pub fn compile_file(options: &Options, bytes: &[u8], bucket: &str) -> Result<Option<(Vec<u8>, RuleSet)>, FileError> {
    if is_empty_document(bytes) {
        return Ok(None);
    }
    let load = |e: corsmatch::formats::LoadError| match e.config_error() {
        Some(c) => FileError::Provider(c.clone()),
        None => FileError::Load(e.to_string()),
    };
    let source = corsmatch::formats::read(bytes, None).map_err(load)?;
    let several = source.resources().len() > 1;
    let chosen = source.select(several.then_some(bucket)).map_err(load)?;
    let (document, rules) = chosen.compile_document(options).map_err(load)?;
    Ok(Some((document.into_owned(), rules)))
}

/// Whether the file at `path` holds XML (or nothing): only then does PutBucketCors rewrite
/// it. A template or a plan is the user's source of truth, not ours to overwrite.
fn rewritable(path: &Path) -> bool {
    match std::fs::read(path) {
        Ok(bytes) => {
            is_empty_document(&bytes) || matches!(corsmatch::formats::detect(&bytes), Ok(corsmatch::formats::Form::Xml))
        }
        Err(_) => true,
    }
}

/// Makes `document` (compiled as `rules`) the bucket's configuration, or removes it; returns
/// the new version. The caller holds the store's write lock when the change is persisted.
pub fn install(
    store: &Store,
    options: &Options,
    bucket: &Bucket,
    document: Option<(&[u8], RuleSet)>,
    source: &str,
) -> u64 {
    let version = store.next_version();
    let state = match document {
        Some((bytes, rules)) => {
            CorsState { version, rules, document: Some(Arc::from(bytes)), source: Arc::from(source) }
        }
        None => CorsState { source: Arc::from(source), ..CorsState::none(options, version) },
    };
    *write(&bucket.cors) = Arc::new(state);
    version
}

/// Writes a configuration change where the bucket keeps it: its `--bucket` file (an empty
/// file for none) and the `--data` directory.
pub fn persist(store: &Store, bucket: &Bucket, document: Option<&[u8]>) -> std::io::Result<()> {
    if let Some(path) = &bucket.file {
        if rewritable(path) {
            write_atomic(path, &[document.unwrap_or(b"")])?;
        } else {
            eprintln!(
                "corsmatch serve: bucket {}: {} is not XML, so it is left as it is; the new configuration \
                 holds until the file changes or serve restarts",
                bucket.name,
                path.display()
            );
        }
    }
    if let Some(disk) = &store.disk {
        disk.save_cors(&bucket.name, document)?;
    }
    Ok(())
}

/// The GetBucketCors document.
/// - S3 returns the rules as stored, in its namespace, `ID` included.
/// - OSS lowercases AllowedHeader, keeps everything else as sent (duplicates too), and always
///   names `ResponseVary`, `false` when the PUT left it out.
pub fn document(server: &Server, rules: &RuleSet) -> String {
    let Some(config) = rules.config() else { return String::new() };
    if server.dialect.oss() {
        let mut config = config.clone();
        for rule in &mut config.rules {
            for h in &mut rule.allowed_headers {
                h.make_ascii_lowercase();
            }
        }
        config.response_vary = Some(config.response_vary.unwrap_or(false));
        config.to_xml()
    } else {
        let root = format!("<CORSConfiguration xmlns=\"{}\">", server.dialect.namespace);
        config.to_xml().replacen("<CORSConfiguration>", &root, 1)
    }
}

/// Polls the `--bucket NAME=FILE` files and installs a file's document when its bytes
/// change. An invalid document keeps the configuration in force; its error is logged once.
pub async fn watch(server: Arc<Server>) {
    let mut tick = tokio::time::interval(POLL);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        for bucket in server.store.buckets() {
            if let Some(path) = &bucket.file {
                poll_file(&server, &bucket, path);
            }
        }
    }
}

/// One poll of one file.
pub fn poll_file(server: &Server, bucket: &Bucket, path: &Path) {
    let read = std::fs::metadata(path).and_then(|m| {
        if m.len() > MAX_CONFIG_FILE_BYTES {
            Err(std::io::Error::other(format!("larger than {MAX_CONFIG_FILE_BYTES} bytes")))
        } else {
            std::fs::read(path)
        }
    });
    let mut seen = super::store::lock(&server.file_seen);
    let last = seen.entry(bucket.name.clone()).or_default();
    let bytes = match read {
        Ok(bytes) => bytes,
        Err(e) => {
            let problem = format!("cannot read {}: {e}; keeping the rules in force", path.display()).into_bytes();
            if *last != problem {
                eprintln!("corsmatch serve: {}", String::from_utf8_lossy(&problem));
                *last = problem;
            }
            return;
        }
    };
    if bytes == *last {
        return;
    }
    *last = bytes.clone();
    drop(seen);
    let _writing = server.store.writing();
    // A PutBucketCors that rewrote the file already installed these bytes.
    let current = bucket.cors();
    if current.document.as_deref().unwrap_or(b"") == bytes.as_slice() {
        return;
    }
    match compile_file(&server.options, &bytes, &bucket.name) {
        Ok(compiled) => {
            let document = compiled.as_ref().map(|(xml, r)| (xml.as_slice(), r.clone()));
            let count = document.as_ref().and_then(|(_, r)| r.config()).map_or(0, |c| c.rules.len());
            if let Some(disk) = &server.store.disk {
                if let Err(e) = disk.save_cors(&bucket.name, document.as_ref().map(|(b, _)| *b)) {
                    eprintln!("corsmatch serve: cannot save {}'s configuration in --data: {e}", bucket.name);
                }
            }
            let source = format!("{} (reloaded when it changes)", path.display());
            let version = install(&server.store, &server.options, bucket, document, &source);
            super::store::lock(&server.last_errors).remove(&bucket.name);
            eprintln!(
                "corsmatch serve: bucket {}: reloaded {} (version {version}, {count} rules)",
                bucket.name,
                path.display()
            );
        }
        Err(e) => {
            eprintln!(
                "corsmatch serve: bucket {}: {}: {}; keeping version {}",
                bucket.name,
                path.display(),
                e.describe(),
                current.version
            );
            let (code, message) = e.parts();
            server.set_last_error(&bucket.name, code, message);
        }
    }
}
