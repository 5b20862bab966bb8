//! `?cors`: PutBucketCors (the engine's validation, the provider's codes and messages),
//! GetBucketCors and DeleteBucketCors.

use axum::body::Body;
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};

use super::cors::{self, VERSION_HEADER};
use super::errors::{ApiError, ApiResult, Code};
use super::limits::MAX_XML_BODY_BYTES;
use super::xml::xml_response;
use super::{body, Ctx};

/// The response of a change: its status, naming the version it installed.
fn installed(status: StatusCode, version: u64) -> Response {
    let mut r = status.into_response();
    r.headers_mut().insert(VERSION_HEADER, HeaderValue::from(version));
    r
}

pub async fn put(ctx: &Ctx<'_>, body: Body) -> ApiResult<Response> {
    let bucket = ctx.bucket()?;
    let document = body::read(ctx, body, MAX_XML_BODY_BYTES, Code::MalformedXML).await?;
    body::verify(ctx, document.clone(), &[], true)?;
    let server = ctx.server;
    let rules = match cors::compile(&server.options, &document) {
        Ok(Some(rules)) => rules,
        // An empty body is no document at all.
        Ok(None) => return Err(ctx.err(Code::MalformedXML)),
        Err(e) => return Err(ApiError::from(&e)),
    };
    let _writing = server.store.writing();
    cors::persist(&server.store, bucket, Some(&document)).map_err(|e| server.io_error(e))?;
    let version = cors::install(&server.store, &server.options, bucket, Some((&document, rules)), "PutBucketCors");
    super::store::lock(&server.last_errors).remove(&bucket.name);
    if bucket.file.is_some() {
        super::store::lock(&server.file_seen).insert(bucket.name.clone(), document.to_vec());
    }
    Ok(installed(StatusCode::OK, version))
}

pub fn get(ctx: &Ctx<'_>) -> ApiResult<Response> {
    let bucket = ctx.bucket()?;
    // The snapshot this request was routed with, so the body and the version header agree.
    let state = ctx.routed.cors.clone().unwrap_or_else(|| bucket.cors());
    if state.document.is_none() {
        return Err(ctx.err(Code::NoSuchCORSConfiguration).with("BucketName", &bucket.name));
    }
    Ok(xml_response(StatusCode::OK, cors::document(ctx.server, &state.rules)))
}

pub fn delete(ctx: &Ctx<'_>) -> ApiResult<Response> {
    let bucket = ctx.bucket()?;
    let server = ctx.server;
    let _writing = server.store.writing();
    cors::persist(&server.store, bucket, None).map_err(|e| server.io_error(e))?;
    let version = cors::install(&server.store, &server.options, bucket, None, "DeleteBucketCors");
    super::store::lock(&server.last_errors).remove(&bucket.name);
    if bucket.file.is_some() {
        super::store::lock(&server.file_seen).insert(bucket.name.clone(), Vec::new());
    }
    Ok(installed(StatusCode::NO_CONTENT, version))
}
