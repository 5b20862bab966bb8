//! The providers' error codes as one enum, their statuses and messages per profile, and the
//! XML error response. Messages are the providers' own where they are on record (LocalStack's
//! AWS snapshots, the OSS SDKs' tests against the live service).

use std::borrow::Cow;

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};

use super::dialect::Dialect;

macro_rules! codes {
    ($($name:ident $status:literal $s3:literal $oss:literal;)*) => {
        /// An error code of the S3 / OSS API.
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        pub enum Code { $($name),* }

        impl Code {
            pub fn name(self) -> &'static str {
                match self { $(Code::$name => stringify!($name)),* }
            }
            fn status(self) -> u16 {
                match self { $(Code::$name => $status),* }
            }
            fn message(self, oss: bool) -> &'static str {
                match self { $(Code::$name => if oss { $oss } else { $s3 }),* }
            }
        }
    };
}

codes! {
    AccessDenied 403 "Access Denied" "You have no right to access this object because of bucket acl.";
    BadDigest 400 "The Content-MD5 you specified did not match what we received." "The Content-MD5 you specified was invalid.";
    BucketAlreadyExists 409 "The requested bucket name is not available. The bucket namespace is shared by all users of the system. Please select a different name and try again." "The requested bucket name is not available. The bucket namespace is shared by all users of the system. Please select a different name and try again.";
    BucketAlreadyOwnedByYou 409 "Your previous request to create the named bucket succeeded and you already own it." "Your previous request to create the named bucket succeeded and you already own it.";
    BucketNotEmpty 409 "The bucket you tried to delete is not empty" "The bucket has objects. Please delete them first.";
    EntityTooLarge 400 "Your proposed upload exceeds the maximum allowed size" "Your proposed upload exceeds the maximum allowed size.";
    EntityTooSmall 400 "Your proposed upload is smaller than the minimum allowed size" "Your proposed upload smaller than the minimum allowed size.";
    IncompleteBody 400 "You did not provide the number of bytes specified by the Content-Length HTTP header" "You did not provide the number of bytes specified by the Content-Length HTTP header.";
    InsufficientStorage 507 "corsmatch serve keeps objects in memory, and its store is full." "corsmatch serve keeps objects in memory, and its store is full.";
    InvalidArgument 400 "Invalid Argument" "Invalid Argument";
    InvalidBucketName 400 "The specified bucket is not valid." "The specified bucket is not valid.";
    InvalidDigest 400 "The Content-MD5 you specified was invalid." "The Content-MD5 you specified was invalid.";
    InvalidObjectName 400 "The specified key is not valid." "The specified object is not valid.";
    InvalidPart 400 "One or more of the specified parts could not be found.  The part may not have been uploaded, or the specified entity tag may not match the part's entity tag." "One or more of the specified parts could not be found or the specified entity tag might not have matched the part's entity tag.";
    InvalidPartOrder 400 "The list of parts was not in ascending order. Parts must be ordered by part number." "The list of parts was not in ascending order. Parts list must specified in order by part number.";
    InvalidRange 416 "The requested range is not satisfiable" "The requested range cannot be satisfied.";
    InvalidRequest 400 "Invalid Request" "Invalid Request";
    KeyTooLongError 400 "Your key is too long" "Your key is too long.";
    MalformedPOSTRequest 400 "The body of your POST request is not well-formed multipart/form-data." "The body of your POST request is not well-formed multipart/form-data.";
    MalformedXML 400 "The XML you provided was not well-formed or did not validate against our published schema" "The XML you provided was not well-formed or did not validate against our published schema.";
    MetadataTooLarge 400 "Your metadata headers exceed the maximum allowed metadata size." "Your metadata headers exceed the maximum allowed metadata size.";
    MethodNotAllowed 405 "The specified method is not allowed against this resource." "The specified method is not allowed against this resource.";
    NoSuchBucket 404 "The specified bucket does not exist" "The specified bucket does not exist.";
    NoSuchCORSConfiguration 404 "The CORS configuration does not exist" "The CORS Configuration does not exist.";
    NoSuchKey 404 "The specified key does not exist." "The specified key does not exist.";
    NoSuchUpload 404 "The specified upload does not exist. The upload ID may be invalid, or the upload may have been aborted or completed." "The specified upload does not exist. The upload ID may be invalid, or the upload may have been aborted or completed.";
    NotImplemented 501 "A header you provided implies functionality that is not implemented" "A header you provided implies functionality that is not implemented.";
    PreconditionFailed 412 "At least one of the pre-conditions you specified did not hold" "At least one of the pre-conditions you specified did not hold.";
    RequestTimeout 400 "Your socket connection to the server was not read from or written to within the timeout period." "Your socket connection to the server was not read from or written to within the timeout period.";
    TooManyBuckets 400 "You have attempted to create more buckets than allowed" "You have attempted to create more buckets than allowed.";
    XAmzContentSHA256Mismatch 400 "The provided 'x-amz-content-sha256' header does not match what was computed." "The provided 'x-oss-content-sha256' header does not match what was computed.";
}

/// An error answer: status, code, message and the elements after `<Message>`.
#[derive(Debug, Clone)]
pub struct ApiError {
    pub status: u16,
    pub code: Cow<'static, str>,
    pub message: Cow<'static, str>,
    pub extras: Vec<(&'static str, String)>,
}

impl ApiError {
    /// `code` with the dialect's message.
    pub fn new(d: &Dialect, code: Code) -> ApiError {
        ApiError {
            status: code.status(),
            code: Cow::Borrowed(code.name()),
            message: Cow::Borrowed(code.message(d.oss())),
            extras: Vec::new(),
        }
    }

    /// An error whose status, code and message come from elsewhere (the engine's
    /// configuration errors, the signature checks).
    pub fn custom(status: u16, code: impl Into<Cow<'static, str>>, message: impl Into<Cow<'static, str>>) -> ApiError {
        ApiError { status, code: code.into(), message: message.into(), extras: Vec::new() }
    }

    /// Replaces the message.
    pub fn message(mut self, message: impl Into<Cow<'static, str>>) -> ApiError {
        self.message = message.into();
        self
    }

    /// Adds an element after `<Message>` (`Key`, `BucketName`, `UploadId`, ...).
    pub fn with(mut self, name: &'static str, value: impl Into<String>) -> ApiError {
        self.extras.push((name, value.into()));
        self
    }

    /// The XML error response; a `HEAD` gets the status and headers without the body.
    pub fn into_response(self, request_id: &str, host_id: &str, head: bool) -> Response {
        let status = StatusCode::from_u16(self.status).unwrap_or(StatusCode::BAD_REQUEST);
        if head {
            return status.into_response();
        }
        let mut body = String::new();
        let extras: Vec<(&str, &str)> = self.extras.iter().map(|(n, v)| (*n, v.as_str())).collect();
        corsmatch::render::error_body(&mut body, &self.code, &self.message, &extras, Some(request_id), Some(host_id));
        let mut response = (status, body).into_response();
        response.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("application/xml"));
        response
    }
}

impl From<&corsmatch::ConfigError> for ApiError {
    fn from(e: &corsmatch::ConfigError) -> ApiError {
        let mut err = ApiError::custom(e.status(), e.code(), e.message().to_string());
        err.extras = e.extras().into_iter().map(|(n, v)| (n, v.to_string())).collect();
        err
    }
}

pub type ApiResult<T> = Result<T, ApiError>;
