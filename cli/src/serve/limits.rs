//! Every limit and timeout of the endpoint, with the reason for its value. A server on the
//! user's loopback is reachable by any web page, so each bound is one an attacker meets.

use std::time::Duration;

/// The largest object (PutObject, PostObject file, one multipart part): objects live in
/// memory, and a debugging endpoint needs no more.
pub const MAX_OBJECT_BYTES: usize = 64 << 20;
/// Everything kept in memory together: object bytes, keys, metadata, content types and the
/// parts of unfinished multipart uploads.
pub const MAX_STORE_BYTES: usize = 1 << 30;
/// A request body that is not an object (CORS documents, ACLs, CompleteMultipartUpload,
/// DeleteObjects): S3's own cap on such documents is about 1 MiB (DeleteObjects of 1,000 keys).
pub const MAX_XML_BODY_BYTES: usize = 2 << 20;
/// A PostObject form: the file's limit plus room for the fields and the policy.
pub const MAX_FORM_BYTES: usize = MAX_OBJECT_BYTES + (1 << 20);
/// The longest key (OSS's and S3's limit, in bytes).
pub const MAX_KEY_BYTES: usize = 1024;
/// Buckets per server (S3's default account quota is 100; OSS's 100 as well).
pub const MAX_BUCKETS: usize = 1000;
/// Unfinished multipart uploads per bucket: each one holds parts in memory.
pub const MAX_UPLOADS: usize = 1000;
/// Parts per upload (S3's and OSS's limit).
pub const MAX_PARTS: u32 = 10_000;
/// Keys per listing page (S3's and OSS's `max-keys` ceiling).
pub const MAX_KEYS: usize = 1000;
/// Open connections: a page can open many; beyond this they wait in the kernel's backlog.
pub const MAX_CONNECTIONS: usize = 512;
/// A request head (request line and headers) must arrive within this; it also closes idle
/// keep-alive connections, which hyper times the same way.
pub const HEADER_TIMEOUT: Duration = Duration::from_secs(10);
/// A request body may pause at most this long between two reads.
pub const BODY_IDLE_TIMEOUT: Duration = Duration::from_secs(10);
/// The largest request head hyper buffers; a larger one is refused with 431.
pub const MAX_HEAD_BYTES: usize = 64 << 10;
/// The decision log keeps this many entries for the debug page.
pub const LOG_KEEP: usize = 1000;
/// A request value (Origin, ACRH, path) kept in a log entry is cut to this many bytes.
pub const LOG_VALUE_BYTES: usize = 512;
/// Entries in one page of `/_corsmatch/log`.
pub const LOG_PAGE: usize = 100;
/// `--log FILE` is renamed to FILE.1 when it reaches this size, and a new one started.
pub const LOG_FILE_BYTES: u64 = 16 << 20;
/// How often configuration files given with `--bucket NAME=FILE` are read for changes.
pub const POLL: Duration = Duration::from_millis(500);
/// A configuration file larger than this is not read (no profile accepts it anyway).
pub const MAX_CONFIG_FILE_BYTES: u64 = 1 << 20;
