//! What an anonymous request may do, by canned ACL; and the `?acl` operations. A signed
//! request is the owner's and may do anything (`auth` decides who is signed).

use axum::body::Body;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

use super::errors::{ApiResult, Code};
use super::router::Op;
use super::store::{write, Acl, Bucket, Object};
use super::xml::Xml;
use super::Ctx;

/// The owner every ACL names.
const OWNER: &str = "corsmatch";

/// An object's ACL in force: its own, else the bucket's on OSS (`default`), else private.
pub fn effective(ctx: &Ctx<'_>, bucket: &Bucket, object: &Object) -> Acl {
    match object.meta.acl {
        Some(acl) => acl,
        None if ctx.d.object_acl_inherits => bucket.acl(),
        None => Acl::Private,
    }
}

/// Refuses an anonymous request its ACLs do not allow: `AccessDenied`, or `NoSuchBucket`
/// first when the bucket does not exist (as S3 answers anyone).
pub fn check(ctx: &Ctx<'_>) -> ApiResult<()> {
    use Op::*;
    let op = ctx.route().op;
    if ctx.is_owner() || matches!(op, NotImplemented | MethodNotAllowed | Preflight | PostObject) {
        return Ok(());
    }
    let denied = || Err(ctx.err(Code::AccessDenied));
    if matches!(op, ListBuckets | CreateBucket) {
        return denied();
    }
    let bucket = ctx.bucket()?;
    let acl = bucket.acl();
    let allowed = match op {
        ListObjects | ListObjectsV2 | HeadBucket => acl.allows_read(),
        GetObject | HeadObject => match bucket.object(ctx.key()) {
            Some(object) => effective(ctx, bucket, &object).allows_read(),
            // Without the right to list, a missing key is not told apart from a hidden one.
            None => acl.allows_read(),
        },
        PutObject
        | DeleteObject
        | DeleteObjects
        | CreateMultipartUpload
        | UploadPart
        | CompleteMultipartUpload
        | AbortMultipartUpload
        | ListParts => acl.allows_write(),
        _ => false,
    };
    if allowed {
        Ok(())
    } else {
        denied()
    }
}

/// The canned ACL a request sets (`x-amz-acl`, `x-oss-acl`, `x-oss-object-acl`); `Ok(None)`
/// when it sets none; `InvalidArgument` for an unknown one.
pub fn from_header(ctx: &Ctx<'_>, object: bool) -> ApiResult<Option<Option<Acl>>> {
    let Some(value) = ctx.header(ctx.d.acl_header_for(object)) else { return Ok(None) };
    match Acl::parse(value.trim()) {
        Ok(None) if !object || !ctx.d.object_acl_inherits => Err(bad_acl(ctx, value)),
        Ok(acl) => Ok(Some(acl)),
        Err(()) => Err(bad_acl(ctx, value)),
    }
}

fn bad_acl(ctx: &Ctx<'_>, value: &str) -> super::errors::ApiError {
    let e = ctx.err(Code::InvalidArgument);
    if ctx.d.oss() {
        e.message("no such bucket access control exists")
            .with("ArgumentName", ctx.d.acl_header)
            .with("ArgumentValue", value)
    } else {
        e.message("").with("ArgumentName", "x-amz-acl").with("ArgumentValue", value)
    }
}

fn policy(ctx: &Ctx<'_>, acl: Acl) -> Response {
    let ns = (!ctx.d.oss()).then_some(ctx.d.namespace);
    let mut x = Xml::new("AccessControlPolicy", ns);
    x.open("Owner").elem("ID", OWNER).elem("DisplayName", OWNER).close("Owner");
    x.open("AccessControlList");
    if ctx.d.oss() {
        x.elem("Grant", acl.name());
    } else {
        let xsi = "xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\"";
        x.raw(&format!("<Grant><Grantee {xsi} xsi:type=\"CanonicalUser\">"))
            .elem("ID", OWNER)
            .elem("DisplayName", OWNER)
            .raw("</Grantee><Permission>FULL_CONTROL</Permission></Grant>");
        let all_users = "<URI>http://acs.amazonaws.com/groups/global/AllUsers</URI></Grantee>";
        if acl.allows_read() {
            x.raw(&format!(
                "<Grant><Grantee {xsi} xsi:type=\"Group\">{all_users}<Permission>READ</Permission></Grant>"
            ));
        }
        if acl.allows_write() {
            x.raw(&format!(
                "<Grant><Grantee {xsi} xsi:type=\"Group\">{all_users}<Permission>WRITE</Permission></Grant>"
            ));
        }
    }
    x.close("AccessControlList");
    x.finish("AccessControlPolicy")
}

pub fn get_bucket(ctx: &Ctx<'_>) -> ApiResult<Response> {
    Ok(policy(ctx, ctx.bucket()?.acl()))
}

pub fn get_object(ctx: &Ctx<'_>) -> ApiResult<Response> {
    let bucket = ctx.bucket()?;
    let object = bucket.object(ctx.key()).ok_or_else(|| ctx.err(Code::NoSuchKey).with("Key", ctx.key()))?;
    if ctx.d.oss() && object.meta.acl.is_none() {
        let mut x = Xml::new("AccessControlPolicy", None);
        x.open("Owner").elem("ID", OWNER).elem("DisplayName", OWNER).close("Owner");
        x.open("AccessControlList").elem("Grant", "default").close("AccessControlList");
        return Ok(x.finish("AccessControlPolicy"));
    }
    Ok(policy(ctx, effective(ctx, bucket, &object)))
}

/// `?acl` PUT on a bucket: the canned ACL header (an `AccessControlPolicy` body with grants
/// is not implemented).
pub async fn put_bucket(ctx: &Ctx<'_>, _body: Body) -> ApiResult<Response> {
    let bucket = ctx.bucket()?;
    let Some(Some(acl)) = from_header(ctx, false)? else { return Err(ctx.err(Code::NotImplemented)) };
    let _writing = ctx.server.store.writing();
    let meta = {
        let mut m = bucket.meta.read().unwrap_or_else(|e| e.into_inner()).clone();
        m.acl = acl;
        m
    };
    if let Some(disk) = &ctx.server.store.disk {
        disk.save_bucket(&bucket.name, &meta).map_err(|e| ctx.server.io_error(e))?;
    }
    *write(&bucket.meta) = meta;
    Ok(StatusCode::OK.into_response())
}

pub async fn put_object(ctx: &Ctx<'_>, _body: Body) -> ApiResult<Response> {
    let bucket = ctx.bucket()?;
    let Some(acl) = from_header(ctx, true)? else { return Err(ctx.err(Code::NotImplemented)) };
    let _writing = ctx.server.store.writing();
    let object = bucket.object(ctx.key()).ok_or_else(|| ctx.err(Code::NoSuchKey).with("Key", ctx.key()))?;
    let mut updated = (*object).clone();
    updated.meta.acl = acl;
    if let Some(disk) = &ctx.server.store.disk {
        disk.save_object(&bucket.name, &updated).map_err(|e| ctx.server.io_error(e))?;
    }
    ctx.server.store.reserve(updated.footprint())?;
    ctx.server.store.put_object(bucket, updated);
    Ok(StatusCode::OK.into_response())
}
