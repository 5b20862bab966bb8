//! Request bodies: read with a size limit and an idle timeout, `aws-chunked` bodies decoded,
//! and the integrity values a client sent (`Content-MD5`, `x-amz-checksum-*`,
//! `x-amz-content-sha256`) verified.

use axum::body::Body;
use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use bytes::{Bytes, BytesMut};
use http_body_util::BodyExt;
use md5::{Digest, Md5};

use super::errors::{ApiResult, Code};
use super::limits::BODY_IDLE_TIMEOUT;
use super::Ctx;

/// The whole body, at most `limit` bytes (more: `too_large`), each read within the idle
/// timeout (`RequestTimeout` otherwise).
pub async fn read(ctx: &Ctx<'_>, body: Body, limit: usize, too_large: Code) -> ApiResult<Bytes> {
    if let Some(len) = ctx.header("content-length").and_then(|v| v.parse::<u64>().ok()) {
        if len > limit as u64 {
            return Err(ctx.err(too_large));
        }
    }
    let mut body = body;
    let mut out = BytesMut::new();
    loop {
        let frame = match tokio::time::timeout(BODY_IDLE_TIMEOUT, body.frame()).await {
            Err(_) => return Err(ctx.err(Code::RequestTimeout)),
            Ok(None) => break,
            Ok(Some(Err(_))) => return Err(ctx.err(Code::IncompleteBody)),
            Ok(Some(Ok(frame))) => frame,
        };
        if let Ok(data) = frame.into_data() {
            if out.len() + data.len() > limit {
                return Err(ctx.err(too_large));
            }
            out.extend_from_slice(&data);
        }
    }
    Ok(out.freeze())
}

/// S3's additional checksums this endpoint computes: the algorithm's name as S3 spells it
/// (`x-amz-checksum-algorithm`, `ChecksumCRC32`) and as its header ends (`x-amz-checksum-crc32`).
/// CRC64NVME is not among them: asking for it is a 501.
pub const ALGORITHMS: [(&str, &str); 4] =
    [("CRC32", "crc32"), ("CRC32C", "crc32c"), ("SHA1", "sha1"), ("SHA256", "sha256")];

/// An object's bytes as the client meant them, with their MD5 and the checksums that were
/// sent and verified.
pub struct Payload {
    pub data: Bytes,
    pub md5: [u8; 16],
    pub checksums: Vec<(String, String)>,
}

/// Reads an object body (PutObject, UploadPart): decodes `aws-chunked`, then verifies.
pub async fn object(ctx: &Ctx<'_>, body: Body, limit: usize) -> ApiResult<Payload> {
    let raw = read(ctx, body, limit.saturating_mul(2), Code::EntityTooLarge).await?;
    let streaming = ctx.provider_header("content-sha256").is_some_and(|v| v.starts_with("STREAMING-"))
        || ctx.header("content-encoding").is_some_and(|v| v.split(',').any(|e| e.trim() == "aws-chunked"));
    let (data, trailers) =
        if streaming { decode_chunked(&raw).ok_or_else(|| ctx.err(Code::IncompleteBody))? } else { (raw, Vec::new()) };
    if data.len() > limit {
        return Err(ctx.err(Code::EntityTooLarge));
    }
    verify(ctx, data, &trailers, !streaming)
}

/// Checks `Content-MD5`, `x-amz-checksum-*` (headers or `aws-chunked` trailers) and a hex
/// `x-amz-content-sha256` against the bytes.
pub fn verify(ctx: &Ctx<'_>, data: Bytes, trailers: &[(String, String)], payload_hash: bool) -> ApiResult<Payload> {
    let md5: [u8; 16] = Md5::digest(&data).into();
    if let Some(sent) = ctx.header("content-md5") {
        let sent =
            B64.decode(sent.trim()).ok().filter(|d| d.len() == 16).ok_or_else(|| ctx.err(Code::InvalidDigest))?;
        if sent != md5 {
            return Err(ctx.err(Code::BadDigest));
        }
    }
    let mut checksums = Vec::new();
    if !ctx.d.oss() {
        for (algo, name) in ALGORITHMS {
            let header = format!("x-amz-checksum-{name}");
            let sent = ctx
                .header(&header)
                .map(str::to_string)
                .or_else(|| trailers.iter().find(|(n, _)| *n == header).map(|(_, v)| v.clone()));
            let Some(sent) = sent else { continue };
            let computed = B64.encode(checksum(name, &data));
            if sent.trim() != computed {
                let message = format!("Value for {header} header is invalid.");
                let err = if B64.decode(sent.trim()).is_err() {
                    ctx.err(Code::InvalidRequest).message(message)
                } else {
                    ctx.err(Code::BadDigest)
                        .message(format!("The {algo} you specified did not match the calculated checksum."))
                };
                return Err(err);
            }
            checksums.push((header, computed));
        }
    }
    if payload_hash {
        if let Some(sent) = ctx.provider_header("content-sha256") {
            if sent.len() == 64 && sent.bytes().all(|b| b.is_ascii_hexdigit()) {
                let computed = hex::encode(sha2::Sha256::digest(&data));
                if !sent.eq_ignore_ascii_case(&computed) {
                    return Err(ctx.err(Code::XAmzContentSHA256Mismatch));
                }
            }
        }
    }
    Ok(Payload { data, md5, checksums })
}

/// The raw checksum bytes of an `x-amz-checksum-NAME` value.
pub fn checksum(name: &str, data: &[u8]) -> Vec<u8> {
    match name {
        "crc32" => crc32fast::hash(data).to_be_bytes().to_vec(),
        "crc32c" => crc32c::crc32c(data).to_be_bytes().to_vec(),
        "sha1" => sha1::Sha1::digest(data).to_vec(),
        _ => sha2::Sha256::digest(data).to_vec(),
    }
}

/// Decodes an `aws-chunked` body: `hex-size[;chunk-signature=..]\r\n data \r\n` ... a zero
/// chunk, then trailer lines `name:value\r\n` and a blank line. Chunk signatures are not
/// checked (the request's own signature was). `None` when it is not well-formed.
pub fn decode_chunked(raw: &[u8]) -> Option<(Bytes, Vec<(String, String)>)> {
    let mut out = BytesMut::new();
    let mut at = 0;
    loop {
        let line_end = at + memchr::memmem::find(&raw[at..], b"\r\n")?;
        let line = std::str::from_utf8(&raw[at..line_end]).ok()?;
        let size = usize::from_str_radix(line.split(';').next()?.trim(), 16).ok()?;
        at = line_end + 2;
        if size == 0 {
            break;
        }
        let end = at.checked_add(size)?;
        out.extend_from_slice(raw.get(at..end)?);
        if raw.get(end..end + 2)? != b"\r\n" {
            return None;
        }
        at = end + 2;
    }
    let mut trailers = Vec::new();
    for line in std::str::from_utf8(&raw[at..]).ok()?.split("\r\n") {
        if let Some((n, v)) = line.split_once(':') {
            trailers.push((n.trim().to_ascii_lowercase(), v.trim().to_string()));
        }
    }
    Some((out.freeze(), trailers))
}

/// A request body that records whether it was read to its end. A response sent before that
/// leaves the connection unusable, and hyper closes it: the response must say so
/// (`Connection: close`, RFC 9112 §9.6), or the client's next request on it fails.
pub struct Tracked {
    inner: Body,
    done: std::sync::Arc<std::sync::atomic::AtomicBool>,
}

impl Tracked {
    pub fn new(inner: Body) -> (Tracked, std::sync::Arc<std::sync::atomic::AtomicBool>) {
        let done = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(http_body::Body::is_end_stream(&inner)));
        (Tracked { inner, done: std::sync::Arc::clone(&done) }, done)
    }
}

impl http_body::Body for Tracked {
    type Data = Bytes;
    type Error = axum::Error;

    fn poll_frame(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Result<http_body::Frame<Bytes>, axum::Error>>> {
        let polled = std::pin::Pin::new(&mut self.inner).poll_frame(cx);
        if let std::task::Poll::Ready(None) = polled {
            self.done.store(true, std::sync::atomic::Ordering::Relaxed);
        }
        polled
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> http_body::SizeHint {
        self.inner.size_hint()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn aws_chunked() {
        let raw = b"5;chunk-signature=ab\r\nhello\r\n1\r\n!\r\n0\r\nx-amz-checksum-crc32:AAAA\r\n\r\n";
        let (data, trailers) = decode_chunked(raw).unwrap();
        assert_eq!(&data[..], b"hello!");
        assert_eq!(trailers, vec![("x-amz-checksum-crc32".to_string(), "AAAA".to_string())]);
        assert!(decode_chunked(b"5\r\nhel").is_none());
        assert!(decode_chunked(b"zz\r\n").is_none());
        assert!(decode_chunked(b"5\r\nhelloXX0\r\n").is_none());
    }

    #[test]
    fn checksums_are_big_endian() {
        // CRC-32 of "123456789" is 0xCBF43926; CRC-32C is 0xE3069283.
        assert_eq!(checksum("crc32", b"123456789"), vec![0xCB, 0xF4, 0x39, 0x26]);
        assert_eq!(checksum("crc32c", b"123456789"), vec![0xE3, 0x06, 0x92, 0x83]);
    }
}
