//! The buckets, their objects and unfinished uploads, in memory, with every byte kept counted
//! against one cap; with `--data`, each change is written to disk (see `disk`) before it is
//! made visible and acknowledged.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, RwLock};

use bytes::Bytes;
use serde::{Deserialize, Serialize};

use super::cors::CorsState;
use super::dialect::Dialect;
use super::disk::Disk;
use super::errors::{ApiError, ApiResult, Code};
use super::limits::{MAX_BUCKETS, MAX_STORE_BYTES};

/// A canned ACL.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Acl {
    Private,
    PublicRead,
    PublicReadWrite,
}

impl Acl {
    /// The header value; `default` (OSS objects) is `None`: the bucket's ACL applies.
    pub fn parse(value: &str) -> Result<Option<Acl>, ()> {
        match value {
            "private" => Ok(Some(Acl::Private)),
            "public-read" => Ok(Some(Acl::PublicRead)),
            "public-read-write" => Ok(Some(Acl::PublicReadWrite)),
            "default" => Ok(None),
            _ => Err(()),
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Acl::Private => "private",
            Acl::PublicRead => "public-read",
            Acl::PublicReadWrite => "public-read-write",
        }
    }

    pub fn allows_read(self) -> bool {
        self != Acl::Private
    }

    pub fn allows_write(self) -> bool {
        self == Acl::PublicReadWrite
    }
}

/// What is kept about an object besides its bytes.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ObjectMeta {
    pub key: String,
    /// Quoted, as sent in `ETag`.
    pub etag: String,
    pub content_type: String,
    pub modified_ms: u64,
    /// User metadata, names lowercased with the provider's prefix.
    pub meta: Vec<(String, String)>,
    /// `x-amz-checksum-*` values that were sent and verified, returned on HEAD and GET.
    pub checksums: Vec<(String, String)>,
    pub acl: Option<Acl>,
}

impl ObjectMeta {
    /// The bytes this metadata keeps in memory, counted against the store's cap.
    pub fn footprint(&self) -> usize {
        let pairs = |v: &[(String, String)]| v.iter().map(|(n, v)| n.len() + v.len()).sum::<usize>();
        self.key.len() + self.etag.len() + self.content_type.len() + pairs(&self.meta) + pairs(&self.checksums) + 64
    }
}

#[derive(Debug, Clone)]
pub struct Object {
    pub meta: ObjectMeta,
    pub data: Bytes,
}

impl Object {
    pub fn footprint(&self) -> usize {
        self.meta.footprint() + self.data.len()
    }
}

/// One uploaded part of a multipart upload.
#[derive(Debug, Clone)]
pub struct Part {
    pub md5: [u8; 16],
    pub data: Bytes,
    pub modified_ms: u64,
    /// `(x-amz-checksum-NAME, base64)`: the ones sent and verified, and the upload's own
    /// algorithm's, computed when the client sent none.
    pub checksums: Vec<(String, String)>,
}

impl Part {
    pub fn etag(&self) -> String {
        format!("\"{}\"", hex::encode(self.md5))
    }
}

/// An unfinished multipart upload; its object's metadata is fixed when it is created.
#[derive(Debug)]
pub struct Upload {
    pub meta: ObjectMeta,
    pub initiated_ms: u64,
    pub parts: BTreeMap<u32, Part>,
    /// S3's `x-amz-checksum-algorithm` of CreateMultipartUpload, lowercase (`crc32`): every
    /// part then has that checksum, and CompleteMultipartUpload must name each one.
    pub checksum_algorithm: Option<&'static str>,
}

impl Upload {
    pub fn footprint(&self) -> usize {
        self.meta.footprint() + self.parts.values().map(|p| p.data.len() + 64).sum::<usize>()
    }
}

/// What `--data` keeps of a bucket besides its objects.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct BucketMeta {
    pub created_ms: u64,
    pub acl: Acl,
}

pub struct Bucket {
    pub name: String,
    pub meta: RwLock<BucketMeta>,
    /// The CORS configuration in force: replaced whole, so a request sees one or the other.
    pub cors: RwLock<Arc<CorsState>>,
    /// `--bucket NAME=FILE`: the configuration's home on disk.
    pub file: Option<PathBuf>,
    pub objects: RwLock<BTreeMap<String, Arc<Object>>>,
    pub uploads: Mutex<BTreeMap<String, Upload>>,
}

impl Bucket {
    pub fn new(name: &str, meta: BucketMeta, file: Option<PathBuf>, cors: CorsState) -> Bucket {
        Bucket {
            name: name.to_string(),
            meta: RwLock::new(meta),
            cors: RwLock::new(Arc::new(cors)),
            file,
            objects: RwLock::default(),
            uploads: Mutex::default(),
        }
    }

    pub fn cors(&self) -> Arc<CorsState> {
        Arc::clone(&read(&self.cors))
    }

    pub fn acl(&self) -> Acl {
        read(&self.meta).acl
    }

    pub fn object(&self, key: &str) -> Option<Arc<Object>> {
        read(&self.objects).get(key).cloned()
    }
}

pub fn read<T>(lock: &RwLock<T>) -> std::sync::RwLockReadGuard<'_, T> {
    lock.read().unwrap_or_else(|e| e.into_inner())
}

pub fn write<T>(lock: &RwLock<T>) -> std::sync::RwLockWriteGuard<'_, T> {
    lock.write().unwrap_or_else(|e| e.into_inner())
}

pub fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

pub struct Store {
    pub dialect: &'static Dialect,
    buckets: RwLock<BTreeMap<String, Arc<Bucket>>>,
    /// Bytes kept: objects, their metadata, and the parts of unfinished uploads.
    bytes: AtomicUsize,
    pub disk: Option<Disk>,
    /// Held across a change's write to disk and its update in memory, so that both see
    /// changes in the same order.
    writing: Mutex<()>,
    /// The version the next CORS configuration installed gets (shared by all buckets).
    next_version: AtomicU64,
}

impl Store {
    pub fn new(dialect: &'static Dialect, disk: Option<Disk>) -> Store {
        Store {
            dialect,
            buckets: RwLock::new(BTreeMap::new()),
            bytes: AtomicUsize::new(0),
            disk,
            writing: Mutex::new(()),
            next_version: AtomicU64::new(1),
        }
    }

    pub fn next_version(&self) -> u64 {
        self.next_version.fetch_add(1, Ordering::Relaxed)
    }

    pub fn bucket(&self, name: &str) -> Option<Arc<Bucket>> {
        read(&self.buckets).get(name).cloned()
    }

    pub fn buckets(&self) -> Vec<Arc<Bucket>> {
        read(&self.buckets).values().cloned().collect()
    }

    pub fn bytes(&self) -> usize {
        self.bytes.load(Ordering::Relaxed)
    }

    /// Serialises changes (disk, then memory).
    pub fn writing(&self) -> MutexGuard<'_, ()> {
        lock(&self.writing)
    }

    /// Counts `n` more bytes kept, or refuses when the cap would be passed.
    pub fn reserve(&self, n: usize) -> ApiResult<()> {
        self.bytes
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |b| b.checked_add(n).filter(|&t| t <= MAX_STORE_BYTES))
            .map(|_| ())
            .map_err(|_| ApiError::new(self.dialect, Code::InsufficientStorage))
    }

    pub fn release(&self, n: usize) {
        let _ = self.bytes.fetch_update(Ordering::AcqRel, Ordering::Acquire, |b| Some(b.saturating_sub(n)));
    }

    /// The answer to creating a bucket that exists (all buckets are the one owner's): S3
    /// `BucketAlreadyOwnedByYou`, OSS `BucketAlreadyExists`.
    pub fn already_exists(&self, name: &str) -> ApiError {
        let code = if self.dialect.oss() { Code::BucketAlreadyExists } else { Code::BucketAlreadyOwnedByYou };
        ApiError::new(self.dialect, code).with("BucketName", name)
    }

    /// Adds a bucket (the caller checked the name); `Err` when it exists.
    pub fn insert_bucket(&self, bucket: Bucket) -> ApiResult<Arc<Bucket>> {
        let mut buckets = write(&self.buckets);
        if buckets.contains_key(&bucket.name) {
            return Err(self.already_exists(&bucket.name));
        }
        if buckets.len() >= MAX_BUCKETS {
            return Err(ApiError::new(self.dialect, Code::TooManyBuckets));
        }
        let bucket = Arc::new(bucket);
        buckets.insert(bucket.name.clone(), Arc::clone(&bucket));
        Ok(bucket)
    }

    pub fn remove_bucket(&self, name: &str) {
        if let Some(b) = write(&self.buckets).remove(name) {
            let uploads: usize = lock(&b.uploads).values().map(Upload::footprint).sum();
            self.release(uploads);
        }
    }

    /// Stores an object in memory (already counted by the caller's `reserve`), releasing the
    /// bytes of the one it replaces.
    pub fn put_object(&self, bucket: &Bucket, object: Object) {
        let old = write(&bucket.objects).insert(object.meta.key.clone(), Arc::new(object));
        if let Some(old) = old {
            self.release(old.footprint());
        }
    }

    pub fn delete_object(&self, bucket: &Bucket, key: &str) -> bool {
        let old = write(&bucket.objects).remove(key);
        if let Some(old) = &old {
            self.release(old.footprint());
        }
        old.is_some()
    }
}
