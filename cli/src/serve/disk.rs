//! `--data DIR`: buckets, ACLs, CORS documents and objects kept on disk. Every change is
//! written to a temporary file, fsynced, renamed into place and its directory fsynced before
//! the request is acknowledged, so a `kill -9` loses no acknowledged write.
//!
//! ```text
//! DIR/buckets/NAME/bucket.json        {"created_ms":..,"acl":..}
//! DIR/buckets/NAME/cors.xml           the document as PutBucketCors received it
//! DIR/buckets/NAME/objects/SHA256.obj u64 LE length of the metadata JSON, the JSON, the bytes
//! ```
//! Object files are named by the SHA-256 of their key (keys can be 1,024 bytes, longer than
//! a file name may be); the key itself is in the metadata.

use std::fs::{self, File};
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use bytes::Bytes;
use sha2::{Digest, Sha256};

use super::store::{BucketMeta, Object, ObjectMeta};

pub struct Disk {
    root: PathBuf,
}

/// A bucket as read back at start-up.
pub struct LoadedBucket {
    pub name: String,
    pub meta: BucketMeta,
    pub cors: Option<Vec<u8>>,
    pub objects: Vec<Object>,
}

/// Writes `bytes` to `path` atomically and durably: temporary file, fsync, rename, fsync of
/// the directory.
pub fn write_atomic(path: &Path, bytes: &[&[u8]]) -> io::Result<()> {
    let dir = path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    let name = path.file_name().ok_or_else(|| io::Error::other("no file name"))?;
    let tmp = dir.join(format!(".{}.{}.tmp", name.to_string_lossy(), std::process::id()));
    {
        let mut f = File::create(&tmp)?;
        for b in bytes {
            f.write_all(b)?;
        }
        f.sync_all()?;
    }
    fs::rename(&tmp, path)?;
    sync_dir(dir)
}

fn sync_dir(dir: &Path) -> io::Result<()> {
    File::open(dir)?.sync_all()
}

impl Disk {
    /// Opens (creating) DIR and reads back every bucket in it.
    pub fn open(root: &Path) -> io::Result<(Disk, Vec<LoadedBucket>)> {
        let disk = Disk { root: root.to_path_buf() };
        fs::create_dir_all(disk.root.join("buckets"))?;
        let mut loaded = Vec::new();
        for entry in fs::read_dir(disk.root.join("buckets"))? {
            let entry = entry?;
            let name = entry.file_name().to_string_lossy().into_owned();
            let dir = entry.path();
            let meta: BucketMeta = match fs::read(dir.join("bucket.json")) {
                Ok(b) => serde_json::from_slice(&b).map_err(|e| bad(&dir, e))?,
                // A bucket whose creation did not finish was never acknowledged.
                Err(e) if e.kind() == io::ErrorKind::NotFound => continue,
                Err(e) => return Err(e),
            };
            let cors = match fs::read(dir.join("cors.xml")) {
                Ok(b) => Some(b),
                Err(e) if e.kind() == io::ErrorKind::NotFound => None,
                Err(e) => return Err(e),
            };
            let mut objects = Vec::new();
            if let Ok(files) = fs::read_dir(dir.join("objects")) {
                for f in files {
                    let path = f?.path();
                    if path.extension().is_some_and(|e| e == "obj") {
                        objects.push(read_object(&path)?);
                    }
                }
            }
            loaded.push(LoadedBucket { name, meta, cors, objects });
        }
        Ok((disk, loaded))
    }

    fn bucket_dir(&self, name: &str) -> PathBuf {
        self.root.join("buckets").join(name)
    }

    fn object_path(&self, bucket: &str, key: &str) -> PathBuf {
        let name = hex::encode(Sha256::digest(key.as_bytes()));
        self.bucket_dir(bucket).join("objects").join(format!("{name}.obj"))
    }

    pub fn save_bucket(&self, name: &str, meta: &BucketMeta) -> io::Result<()> {
        let dir = self.bucket_dir(name);
        fs::create_dir_all(dir.join("objects"))?;
        let json = serde_json::to_vec(meta).map_err(io::Error::other)?;
        write_atomic(&dir.join("bucket.json"), &[&json])?;
        sync_dir(&self.root.join("buckets"))
    }

    pub fn remove_bucket(&self, name: &str) -> io::Result<()> {
        let dir = self.bucket_dir(name);
        // The marker first: without it the rest is not a bucket, even if removal stops here.
        match fs::remove_file(dir.join("bucket.json")) {
            Err(e) if e.kind() != io::ErrorKind::NotFound => return Err(e),
            _ => {}
        }
        sync_dir(&dir)?;
        fs::remove_dir_all(&dir)?;
        sync_dir(&self.root.join("buckets"))
    }

    pub fn save_cors(&self, bucket: &str, document: Option<&[u8]>) -> io::Result<()> {
        let path = self.bucket_dir(bucket).join("cors.xml");
        match document {
            Some(doc) => write_atomic(&path, &[doc]),
            None => match fs::remove_file(&path) {
                Err(e) if e.kind() != io::ErrorKind::NotFound => Err(e),
                _ => sync_dir(&self.bucket_dir(bucket)),
            },
        }
    }

    pub fn save_object(&self, bucket: &str, object: &Object) -> io::Result<()> {
        let json = serde_json::to_vec(&object.meta).map_err(io::Error::other)?;
        let len = (json.len() as u64).to_le_bytes();
        write_atomic(&self.object_path(bucket, &object.meta.key), &[&len, &json, &object.data])
    }

    pub fn remove_object(&self, bucket: &str, key: &str) -> io::Result<()> {
        let path = self.object_path(bucket, key);
        match fs::remove_file(&path) {
            Err(e) if e.kind() != io::ErrorKind::NotFound => Err(e),
            _ => sync_dir(path.parent().unwrap_or(&self.root)),
        }
    }
}

fn bad(path: &Path, e: impl std::fmt::Display) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, format!("{}: {e}", path.display()))
}

fn read_object(path: &Path) -> io::Result<Object> {
    let bytes = fs::read(path)?;
    let len =
        bytes.get(..8).and_then(|b| b.try_into().ok()).map(u64::from_le_bytes).ok_or_else(|| bad(path, "truncated"))?;
    let end = usize::try_from(len).ok().and_then(|l| l.checked_add(8)).filter(|&e| e <= bytes.len());
    let end = end.ok_or_else(|| bad(path, "truncated"))?;
    let meta: ObjectMeta = serde_json::from_slice(&bytes[8..end]).map_err(|e| bad(path, e))?;
    Ok(Object { meta, data: Bytes::copy_from_slice(&bytes[end..]) })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::serve::store::Acl;

    #[test]
    fn everything_written_is_read_back() {
        let dir = std::env::temp_dir().join(format!("corsmatch-disk-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        let (disk, loaded) = Disk::open(&dir).unwrap();
        assert!(loaded.is_empty());
        disk.save_bucket("b1", &BucketMeta { created_ms: 5, acl: Acl::PublicRead }).unwrap();
        disk.save_cors("b1", Some(b"<CORSConfiguration/>")).unwrap();
        let meta = ObjectMeta {
            key: "k/".repeat(600),
            etag: "\"x\"".into(),
            content_type: "text/plain".into(),
            modified_ms: 7,
            meta: vec![("x-amz-meta-a".into(), "b".into())],
            checksums: vec![],
            acl: None,
        };
        disk.save_object("b1", &Object { meta: meta.clone(), data: Bytes::from_static(b"\0data") }).unwrap();
        disk.save_object("b1", &Object { meta: ObjectMeta { key: "gone".into(), ..meta.clone() }, data: Bytes::new() })
            .unwrap();
        disk.remove_object("b1", "gone").unwrap();
        disk.save_bucket("b2", &BucketMeta { created_ms: 6, acl: Acl::Private }).unwrap();
        disk.remove_bucket("b2").unwrap();

        let (_, loaded) = Disk::open(&dir).unwrap();
        assert_eq!(loaded.len(), 1);
        let b = &loaded[0];
        assert_eq!((b.name.as_str(), b.meta.acl, b.meta.created_ms), ("b1", Acl::PublicRead, 5));
        assert_eq!(b.cors.as_deref(), Some(&b"<CORSConfiguration/>"[..]));
        assert_eq!(b.objects.len(), 1);
        assert_eq!(b.objects[0].meta.key, meta.key);
        assert_eq!(&b.objects[0].data[..], b"\0data");

        disk.save_cors("b1", None).unwrap();
        let (_, loaded) = Disk::open(&dir).unwrap();
        assert!(loaded[0].cors.is_none());
        fs::remove_dir_all(&dir).unwrap();
    }
}
