//! # corsmatch C ABI
//!
//! Bucket CORS decided as Alibaba Cloud OSS and AWS S3 decide it, for C (and anything that
//! speaks C: Go through cgo, ...). The header `include/corsmatch.h` is generated from this
//! file by cbindgen and checked in.
//!
//! Conventions (rustls-ffi's):
//! - Opaque handles: `corsmatch_ruleset` (immutable, thread-safe), `corsmatch_scratch`
//!   (per-thread working memory), `corsmatch_error` (a refused configuration). Each has a
//!   `_free` function that accepts NULL.
//! - Every fallible function returns a `corsmatch_result`; outputs are written only when it
//!   is `CORSMATCH_OK` (exceptions, documented: a configuration error's handle, and the
//!   needed length on `CORSMATCH_BUFFER_TOO_SMALL`).
//! - Strings cross as pointer + length, never NUL-terminated. An input string given as
//!   `(NULL, 0)` is absent (for a header: not sent); `(ptr, 0)` is present and empty;
//!   `(NULL, n > 0)` is `CORSMATCH_NULL_PARAMETER`. Request strings must be UTF-8
//!   (`CORSMATCH_INVALID_UTF8` otherwise) and must not hold CR, LF or NUL
//!   (`CORSMATCH_INVALID_HEADER_VALUE` otherwise): the library echoes them into response
//!   headers and error bodies, and a CR or LF there would split the response.
//! - A panic inside the library never unwinds into C: the function returns
//!   `CORSMATCH_PANIC` (or an empty/zero value for accessors).
//!
//! Typical use: compile once with [`corsmatch_ruleset_new`], give each thread a
//! [`corsmatch_scratch_new`], and answer requests with [`corsmatch_preflight`] and
//! [`corsmatch_actual`], which allocate nothing once the scratch has grown. Troubleshoot one
//! request with [`corsmatch_explain`]; check a configuration with [`corsmatch_ruleset_lint`].
#![deny(missing_docs)]
#![deny(unsafe_op_in_unsafe_fn)]
#![allow(non_camel_case_types)]

mod abi;
mod boundary;
mod intern;

use std::ffi::c_char;
use std::ptr::{addr_of_mut, NonNull};

use ::corsmatch::render::HEADER_ORDER;
use ::corsmatch::{ConfigError, Decision, Options, Profile, Request, RuleSet, Scratch, Target};
use boundary::{
    ffi_panic_boundary, free_handle, hand_out, try_mut, try_out, try_ref, try_request_str, write_out, Plain,
};

/// Every fallible function returns one of these. Values are stable.
#[repr(u32)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum corsmatch_result {
    /// Success; the outputs are written.
    CORSMATCH_OK = 0,
    /// A required pointer was NULL, or a string was given as NULL with a non-zero length.
    CORSMATCH_NULL_PARAMETER = 1,
    /// A request string (origin, method, ACRM, ACRH, request id, host id) is not UTF-8.
    CORSMATCH_INVALID_UTF8 = 2,
    /// An argument is out of its range: an unknown profile or target, or `OPTIONS` given to
    /// `corsmatch_actual`.
    CORSMATCH_INVALID_ARGUMENT = 3,
    /// A length over `PTRDIFF_MAX`, which cannot describe real memory.
    CORSMATCH_INPUT_TOO_LARGE = 4,
    /// The caller's buffer is too small; the needed length was stored in `*out_len`.
    CORSMATCH_BUFFER_TOO_SMALL = 5,
    /// The provider would refuse the configuration: see the `corsmatch_error` handle.
    CORSMATCH_CONFIG_ERROR = 6,
    /// The library panicked (a bug): nothing was written. Please report it.
    CORSMATCH_PANIC = 7,
    /// A request string (origin, method, ACRM, ACRH, request id, host id) holds a CR (0x0D),
    /// LF (0x0A) or NUL (0x00) byte. Those strings are echoed into response header values
    /// and error bodies, where a CR or LF would split the response (a `Set-Cookie` injected
    /// through the Origin). HTTP parsers refuse such header values; the library refuses them
    /// too rather than rely on the caller's parser. Nothing was written.
    CORSMATCH_INVALID_HEADER_VALUE = 8,
    /// `corsmatch_ruleset_from_json`: the input is not a configuration in one of the JSON
    /// forms (a syntax error, XML, a tool's own refusal, no bucket or several and none named):
    /// see the `corsmatch_error` handle's detail, which says where.
    CORSMATCH_INVALID_DOCUMENT = 9,
}

impl corsmatch_result {
    fn from_u32(code: u32) -> Option<corsmatch_result> {
        use corsmatch_result::*;
        [
            CORSMATCH_OK,
            CORSMATCH_NULL_PARAMETER,
            CORSMATCH_INVALID_UTF8,
            CORSMATCH_INVALID_ARGUMENT,
            CORSMATCH_INPUT_TOO_LARGE,
            CORSMATCH_BUFFER_TOO_SMALL,
            CORSMATCH_CONFIG_ERROR,
            CORSMATCH_PANIC,
            CORSMATCH_INVALID_HEADER_VALUE,
            CORSMATCH_INVALID_DOCUMENT,
        ]
        .into_iter()
        .find(|r| *r as u32 == code)
    }

    fn name(self) -> &'static str {
        use corsmatch_result::*;
        match self {
            CORSMATCH_OK => "CORSMATCH_OK",
            CORSMATCH_NULL_PARAMETER => "CORSMATCH_NULL_PARAMETER",
            CORSMATCH_INVALID_UTF8 => "CORSMATCH_INVALID_UTF8",
            CORSMATCH_INVALID_ARGUMENT => "CORSMATCH_INVALID_ARGUMENT",
            CORSMATCH_INPUT_TOO_LARGE => "CORSMATCH_INPUT_TOO_LARGE",
            CORSMATCH_BUFFER_TOO_SMALL => "CORSMATCH_BUFFER_TOO_SMALL",
            CORSMATCH_CONFIG_ERROR => "CORSMATCH_CONFIG_ERROR",
            CORSMATCH_PANIC => "CORSMATCH_PANIC",
            CORSMATCH_INVALID_HEADER_VALUE => "CORSMATCH_INVALID_HEADER_VALUE",
            CORSMATCH_INVALID_DOCUMENT => "CORSMATCH_INVALID_DOCUMENT",
        }
    }
}

/// Whose behaviour to reproduce: `CORSMATCH_PROFILE_OSS` or `CORSMATCH_PROFILE_S3`.
pub type corsmatch_profile = u32;
/// Alibaba Cloud OSS (the default profile).
pub const CORSMATCH_PROFILE_OSS: corsmatch_profile = 0;
/// AWS S3 and S3-compatible servers.
pub const CORSMATCH_PROFILE_S3: corsmatch_profile = 1;
/// For `corsmatch_ruleset_from_json` only: the provider the file's tool talks to (S3 for the
/// AWS tools, OSS for Alibaba Cloud's Terraform provider).
pub const CORSMATCH_PROFILE_AUTO: corsmatch_profile = 2;

/// What a request addresses: one of the `CORSMATCH_TARGET_*` values.
pub type corsmatch_target = u32;
/// An object key (S3 `ResourceType` `OBJECT`).
pub const CORSMATCH_TARGET_OBJECT: corsmatch_target = 0;
/// The bucket root (S3 `ResourceType` `BUCKET`).
pub const CORSMATCH_TARGET_BUCKET: corsmatch_target = 1;
/// A bucket that does not exist (oss: 404 `NoSuchBucket`; s3: 403).
pub const CORSMATCH_TARGET_MISSING_BUCKET: corsmatch_target = 2;

/// Why a preflight was refused: one of the `CORSMATCH_REFUSAL_*` values.
pub type corsmatch_refusal = u32;
/// Not refused.
pub const CORSMATCH_REFUSAL_NONE: corsmatch_refusal = 0;
/// No `Origin` header: 400 `BadRequest`.
pub const CORSMATCH_REFUSAL_NO_ORIGIN: corsmatch_refusal = 1;
/// An `Access-Control-Request-Method` that is not one of the five methods: 400.
pub const CORSMATCH_REFUSAL_INVALID_ACRM: corsmatch_refusal = 2;
/// The bucket does not exist: 404 (oss) or 403 (s3).
pub const CORSMATCH_REFUSAL_NO_BUCKET: corsmatch_refusal = 3;
/// The bucket has no CORS configuration: 403.
pub const CORSMATCH_REFUSAL_NOT_ENABLED: corsmatch_refusal = 4;
/// No `Access-Control-Request-Method` header: 400.
pub const CORSMATCH_REFUSAL_NO_ACRM: corsmatch_refusal = 5;
/// No rule matched: 403 `AccessForbidden`.
pub const CORSMATCH_REFUSAL_DENIED: corsmatch_refusal = 6;

/// The most headers a decision carries.
pub const CORSMATCH_MAX_HEADERS: usize = 7;

/// A string from the library: `len` bytes of UTF-8 at `data`, not NUL-terminated. `data` is
/// never NULL (an empty string points to a static empty string). Its lifetime is stated by
/// the function that returns it.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct corsmatch_str {
    /// The first byte.
    pub data: *const c_char,
    /// The length in bytes.
    pub len: usize,
}

impl corsmatch_str {
    const EMPTY: corsmatch_str = corsmatch_str { data: c"".as_ptr(), len: 0 };

    #[inline]
    fn new(s: &str) -> corsmatch_str {
        // An empty `&str` may carry a dangling pointer; C must never see one.
        let data = if s.is_empty() { corsmatch_str::EMPTY.data } else { s.as_ptr().cast() };
        corsmatch_str { data, len: s.len() }
    }

    const fn of_static(s: &'static str) -> corsmatch_str {
        corsmatch_str { data: s.as_ptr().cast(), len: s.len() }
    }
}

/// One response header.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct corsmatch_header {
    /// The header name, e.g. `Access-Control-Allow-Origin` (static).
    pub name: corsmatch_str,
    /// The header value.
    pub value: corsmatch_str,
}

/// The engine's answer to one request, filled by `corsmatch_preflight` and
/// `corsmatch_actual`.
///
/// Lifetime: the strings point into the rule set, the scratch, or the caller's own `origin`
/// buffer (`Access-Control-Allow-Origin` echoes the request's Origin). They stay valid while
/// the rule set, the scratch and that buffer live, and until the next call with the same
/// scratch. Copy them out to keep them longer.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct corsmatch_decision {
    /// The HTTP status of a preflight response (200, 400, 403, 404); 0 for an actual request
    /// (the storage operation decides it).
    pub status: u16,
    /// Whether the preflight was refused; then `refusal`, `error_code`, `error_message` and
    /// `error_body` are set.
    pub refused: bool,
    /// Why the preflight was refused; `CORSMATCH_REFUSAL_NONE` otherwise.
    pub refusal: corsmatch_refusal,
    /// The 0-based index of the matched rule; -1 when no rule matched.
    pub rule: i64,
    /// How many entries of `headers` are set.
    pub header_count: usize,
    /// The headers to send (preflight) or add (actual request), in order. Entries from
    /// `header_count` on are not written.
    pub headers: [corsmatch_header; CORSMATCH_MAX_HEADERS],
    /// The provider's error code (`AccessForbidden`, ...); empty when not refused.
    pub error_code: corsmatch_str,
    /// The provider's error message, verbatim; empty when not refused.
    pub error_message: corsmatch_str,
    /// The XML error body to send with `Content-Type: application/xml`; empty when not
    /// refused.
    pub error_body: corsmatch_str,
}

/// Compilation options. Get the defaults with `corsmatch_options_default`, then change what
/// you need. A limit of 0 means the profile's default.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct corsmatch_options {
    /// The most rules accepted (oss: 10, s3: 100).
    pub max_rules: usize,
    /// The largest document accepted, in bytes (oss: 16 KB, s3: 64 KB).
    pub max_document_bytes: usize,
    /// The largest compiled structure accepted, in bytes (default 64 MiB).
    pub max_compiled_bytes: usize,
    /// Send `Access-Control-Allow-Credentials: true` when Allow-Origin is not `*` (default
    /// true, as S3 does).
    pub allow_credentials: bool,
    /// An `Origin` that is not `scheme://host[:port]` matches only `*` (default false).
    pub strict_origins: bool,
}

/// A compiled, immutable rule set. Thread-safe: one rule set may be evaluated from any
/// number of threads at once (each with its own scratch). Free with
/// `corsmatch_ruleset_free` once no thread uses it.
pub struct corsmatch_ruleset {
    rules: RuleSet,
}

/// Working memory for evaluations. Not thread-safe: use one per thread (it may move between
/// threads, but must not be used by two at once). Free with `corsmatch_scratch_free`.
pub struct corsmatch_scratch {
    scratch: Scratch,
}

/// A configuration the provider would refuse: the provider's HTTP status, code and message,
/// to send back verbatim, and a lowercase explanation for logs. Immutable; free with
/// `corsmatch_error_free`.
pub struct corsmatch_error {
    /// The provider's refusal; `None` for `CORSMATCH_INVALID_DOCUMENT`.
    error: Option<ConfigError>,
    detail: String,
}

fn profile_of(profile: corsmatch_profile) -> Result<Profile, corsmatch_result> {
    match profile {
        CORSMATCH_PROFILE_OSS => Ok(Profile::Oss),
        CORSMATCH_PROFILE_S3 => Ok(Profile::S3),
        _ => Err(corsmatch_result::CORSMATCH_INVALID_ARGUMENT),
    }
}

fn target_of(target: corsmatch_target) -> Result<Target, corsmatch_result> {
    match target {
        CORSMATCH_TARGET_OBJECT => Ok(Target::Object),
        CORSMATCH_TARGET_BUCKET => Ok(Target::Bucket),
        CORSMATCH_TARGET_MISSING_BUCKET => Ok(Target::MissingBucket),
        _ => Err(corsmatch_result::CORSMATCH_INVALID_ARGUMENT),
    }
}

fn refusal_code(r: ::corsmatch::Refusal) -> corsmatch_refusal {
    use ::corsmatch::Refusal;
    match r {
        Refusal::NoOrigin => CORSMATCH_REFUSAL_NO_ORIGIN,
        Refusal::InvalidAcrm => CORSMATCH_REFUSAL_INVALID_ACRM,
        Refusal::NoBucket => CORSMATCH_REFUSAL_NO_BUCKET,
        Refusal::NotEnabled => CORSMATCH_REFUSAL_NOT_ENABLED,
        Refusal::NoAcrm => CORSMATCH_REFUSAL_NO_ACRM,
        Refusal::Denied => CORSMATCH_REFUSAL_DENIED,
    }
}

/// The options of a call: `profile`'s defaults, with the caller's `options` applied when not
/// NULL.
///
/// # Safety
/// `options` is NULL or valid.
unsafe fn options_of(profile: Profile, options: *const corsmatch_options) -> Options {
    let defaults = Options::new(profile);
    // SAFETY: caller's contract.
    let Some(o) = (unsafe { options.as_ref() }) else { return defaults };
    let or_default = |n: usize, d: usize| if n == 0 { d } else { n };
    defaults
        .max_rules(or_default(o.max_rules, defaults.limits.max_rules))
        .max_document_bytes(or_default(o.max_document_bytes, defaults.limits.max_document_bytes))
        .max_compiled_bytes(or_default(o.max_compiled_bytes, defaults.max_compiled_bytes))
        .allow_credentials(o.allow_credentials)
        .strict_origins(o.strict_origins)
}

/// The library's version, e.g. `0.1.0` (static).
///
/// Thread-safe.
#[no_mangle]
pub extern "C" fn corsmatch_version() -> corsmatch_str {
    ffi_panic_boundary! {
        Ok(corsmatch_str::new(::corsmatch::VERSION))
    }
}

/// The name of a result code, e.g. `CORSMATCH_NULL_PARAMETER` (static); `unknown` for a
/// value that is not a `corsmatch_result`.
///
/// Thread-safe.
#[no_mangle]
pub extern "C" fn corsmatch_result_name(result: u32) -> corsmatch_str {
    ffi_panic_boundary! {
        Ok(corsmatch_str::new(corsmatch_result::from_u32(result).map_or("unknown", corsmatch_result::name)))
    }
}

/// Writes the profile's default options to `*out`.
///
/// Returns `CORSMATCH_INVALID_ARGUMENT` for an unknown profile, `CORSMATCH_NULL_PARAMETER`
/// when `out` is NULL. The caller owns `*out`. Thread-safe.
///
/// # Safety
/// `out` is NULL or points to writable memory for one `corsmatch_options`.
#[no_mangle]
pub unsafe extern "C" fn corsmatch_options_default(
    profile: corsmatch_profile,
    out: *mut corsmatch_options,
) -> corsmatch_result {
    ffi_panic_boundary! {
        let out = try_out(out)?;
        let o = Options::new(profile_of(profile)?);
        let value = corsmatch_options {
            max_rules: o.limits.max_rules,
            max_document_bytes: o.limits.max_document_bytes,
            max_compiled_bytes: o.max_compiled_bytes,
            allow_credentials: o.allow_credentials,
            strict_origins: o.strict_origins,
        };
        // SAFETY: `out` is non-null and writable (caller's contract).
        unsafe { out.write(value) };
        Ok(())
    }
}

/// Parses, validates and compiles a `CORSConfiguration` XML document.
///
/// - `xml`, `xml_len`: the document (UTF-8 XML; the library checks, a non-UTF-8 document is
///   `MalformedXML` as the provider answers). `(NULL, 0)` is an empty document. Borrowed for
///   the call only.
/// - `options`: NULL for the profile's defaults; borrowed for the call only.
/// - `out_ruleset`: receives the new rule set on `CORSMATCH_OK`. The caller owns it and frees
///   it with `corsmatch_ruleset_free`.
/// - `out_error`: may be NULL. On `CORSMATCH_CONFIG_ERROR` it receives the error (status,
///   code, message the provider sends); the caller owns it and frees it with
///   `corsmatch_error_free`. Otherwise it is left unchanged.
///
/// Returns `CORSMATCH_CONFIG_ERROR` when the provider would refuse the document,
/// `CORSMATCH_INVALID_ARGUMENT` for an unknown profile, `CORSMATCH_NULL_PARAMETER`,
/// `CORSMATCH_INPUT_TOO_LARGE`. Thread-safe.
///
/// # Safety
/// A non-NULL `xml` points to `xml_len` readable bytes; `options` is NULL or valid; the out
/// pointers are NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn corsmatch_ruleset_new(
    xml: *const c_char,
    xml_len: usize,
    profile: corsmatch_profile,
    options: *const corsmatch_options,
    out_ruleset: *mut *const corsmatch_ruleset,
    out_error: *mut *const corsmatch_error,
) -> corsmatch_result {
    ffi_panic_boundary! {
        // SAFETY: forwarded contract.
        unsafe { compile_xml_into(xml, xml_len, profile, options, out_ruleset, out_error, |o, d| o.compile_xml(d)) }
    }
}

/// The body of `corsmatch_ruleset_new` and `corsmatch_interner_compile`: reads the document
/// and the options, compiles with `compile`, and hands out the rule set or the provider's
/// refusal.
///
/// # Safety
/// As `corsmatch_ruleset_new`.
pub(crate) unsafe fn compile_xml_into(
    xml: *const c_char,
    xml_len: usize,
    profile: corsmatch_profile,
    options: *const corsmatch_options,
    out_ruleset: *mut *const corsmatch_ruleset,
    out_error: *mut *const corsmatch_error,
    compile: impl FnOnce(&Options, &[u8]) -> Result<RuleSet, ConfigError>,
) -> Result<(), corsmatch_result> {
    let out_ruleset = try_out(out_ruleset)?;
    let profile = profile_of(profile)?;
    // SAFETY: caller's contract on `xml`.
    let document = unsafe { boundary::try_bytes(xml, xml_len) }?.unwrap_or(&[]);
    // SAFETY: caller's contract on `options`.
    let options = unsafe { options_of(profile, options) };
    match compile(&options, document) {
        Ok(rules) => {
            // SAFETY: non-null and writable (caller's contract).
            unsafe { hand_out(out_ruleset.cast(), corsmatch_ruleset { rules }) };
            Ok(())
        }
        Err(error) => {
            if let Ok(out_error) = try_out(out_error) {
                let detail = error.to_string();
                // SAFETY: non-null and writable (caller's contract).
                unsafe { hand_out(out_error.cast(), corsmatch_error { error: Some(error), detail }) };
            }
            Err(corsmatch_result::CORSMATCH_CONFIG_ERROR)
        }
    }
}

/// Reads, validates and compiles a configuration kept as JSON: the S3 console's array of
/// rules, the AWS CLI's `{"CORSRules": [...]}`, a CloudFormation template (JSON), or
/// Terraform's plan, state or `.tf.json`.
///
/// - `json`, `json_len`: the file's bytes, borrowed for the call only.
/// - `resource`, `resource_len`: the CloudFormation logical id or Terraform address (or its
///   last part) of the bucket when the file has several; `(NULL, 0)` for the only one.
/// - `profile`: `CORSMATCH_PROFILE_AUTO` for the provider the tool talks to, or a profile.
/// - `options`: NULL for the profile's defaults; limits left at the defaults of `options`'
///   profile follow the profile used.
/// - `out_ruleset`: as `corsmatch_ruleset_new`. `out_profile` (may be NULL) receives the
///   profile used.
/// - `out_error` (may be NULL): on `CORSMATCH_CONFIG_ERROR` the provider's refusal, as
///   `corsmatch_ruleset_new` gives it; on `CORSMATCH_INVALID_DOCUMENT` an error whose status
///   is 0, code empty, and message and detail say what is wrong and where (`3:14: ...`).
///
/// Returns also `CORSMATCH_INVALID_ARGUMENT` (unknown profile), `CORSMATCH_INVALID_UTF8`
/// (`resource`), `CORSMATCH_NULL_PARAMETER`, `CORSMATCH_INPUT_TOO_LARGE`. Thread-safe.
///
/// # Safety
/// Non-NULL `json` and `resource` point to their length in readable bytes; `options` is NULL
/// or valid; the out pointers are NULL or writable.
#[no_mangle]
#[allow(clippy::too_many_arguments)]
pub unsafe extern "C" fn corsmatch_ruleset_from_json(
    json: *const c_char,
    json_len: usize,
    resource: *const c_char,
    resource_len: usize,
    profile: corsmatch_profile,
    options: *const corsmatch_options,
    out_ruleset: *mut *const corsmatch_ruleset,
    out_profile: *mut corsmatch_profile,
    out_error: *mut *const corsmatch_error,
) -> corsmatch_result {
    ffi_panic_boundary! {
        let out_ruleset = try_out(out_ruleset)?;
        let given = if profile == CORSMATCH_PROFILE_AUTO { None } else { Some(profile_of(profile)?) };
        let base = given.unwrap_or_default();
        // SAFETY: caller's contract on `json` and `resource`.
        let document = unsafe { boundary::try_bytes(json, json_len) }?.unwrap_or(&[]);
        let resource = unsafe { try_request_str(resource, resource_len) }?;
        // SAFETY: caller's contract on `options`.
        let options = unsafe { options_of(base, options) };
        match corsmatch::formats::compile_json(document, resource, given, options) {
            Ok(rules) => {
                if let Ok(out_profile) = try_out(out_profile) {
                    let used = match rules.profile() {
                        Profile::Oss => CORSMATCH_PROFILE_OSS,
                        Profile::S3 => CORSMATCH_PROFILE_S3,
                    };
                    // SAFETY: non-null and writable (caller's contract).
                    unsafe { out_profile.as_ptr().write(used) };
                }
                // SAFETY: non-null and writable (caller's contract).
                unsafe { hand_out(out_ruleset.cast(), corsmatch_ruleset { rules }) };
                Ok(())
            }
            Err(e) => {
                let error = e.config_error().cloned();
                let result = if error.is_some() {
                    corsmatch_result::CORSMATCH_CONFIG_ERROR
                } else {
                    corsmatch_result::CORSMATCH_INVALID_DOCUMENT
                };
                if let Ok(out_error) = try_out(out_error) {
                    // SAFETY: non-null and writable (caller's contract).
                    unsafe { hand_out(out_error.cast(), corsmatch_error { error, detail: e.to_string() }) };
                }
                Err(result)
            }
        }
    }
}

/// Makes the rule set of a bucket without CORS configuration: preflights are refused with
/// the provider's 403, actual requests get no headers.
///
/// `out_ruleset` receives it on `CORSMATCH_OK`; the caller owns it and frees it with
/// `corsmatch_ruleset_free`. Returns `CORSMATCH_INVALID_ARGUMENT` for an unknown profile,
/// `CORSMATCH_NULL_PARAMETER` when `out_ruleset` is NULL. Thread-safe.
///
/// # Safety
/// `out_ruleset` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn corsmatch_ruleset_no_config(
    profile: corsmatch_profile,
    out_ruleset: *mut *const corsmatch_ruleset,
) -> corsmatch_result {
    ffi_panic_boundary! {
        let out_ruleset = try_out(out_ruleset)?;
        let rules = RuleSet::no_config(profile_of(profile)?);
        // SAFETY: non-null and writable (caller's contract).
        unsafe { hand_out(out_ruleset.cast(), corsmatch_ruleset { rules }) };
        Ok(())
    }
}

/// Frees a rule set. NULL is accepted and does nothing. No thread may use the rule set, nor
/// any decision taken from it, afterwards.
///
/// # Safety
/// `rules` is NULL or came from `corsmatch_ruleset_new`, `_from_json`, `_no_config` or
/// `corsmatch_interner_compile`, and was not freed.
#[no_mangle]
pub unsafe extern "C" fn corsmatch_ruleset_free(rules: *const corsmatch_ruleset) {
    ffi_panic_boundary! {
        // SAFETY: caller's contract.
        unsafe { free_handle(rules) };
        Ok(())
    }
}

/// The number of rules; 0 for a bucket without configuration (or NULL).
///
/// Thread-safe.
///
/// # Safety
/// `rules` is NULL or a live rule set.
#[no_mangle]
pub unsafe extern "C" fn corsmatch_ruleset_rule_count(rules: *const corsmatch_ruleset) -> usize {
    ffi_panic_boundary! {
        // SAFETY: caller's contract.
        let rules = unsafe { try_ref(rules) }?;
        Ok(rules.rules.config().map_or(0, |c| c.rules.len()))
    }
}

/// Heap bytes held by the compiled rule set (0 for NULL).
///
/// Thread-safe.
///
/// # Safety
/// `rules` is NULL or a live rule set.
#[no_mangle]
pub unsafe extern "C" fn corsmatch_ruleset_memory_usage(rules: *const corsmatch_ruleset) -> usize {
    ffi_panic_boundary! {
        // SAFETY: caller's contract.
        let rules = unsafe { try_ref(rules) }?;
        Ok(rules.rules.memory_usage())
    }
}

/// The provider's HTTP status for a refused configuration (400); 0 for NULL and for
/// `CORSMATCH_INVALID_DOCUMENT`.
///
/// Thread-safe.
///
/// # Safety
/// `error` is NULL or a live error.
#[no_mangle]
pub unsafe extern "C" fn corsmatch_error_status(error: *const corsmatch_error) -> u16 {
    ffi_panic_boundary! {
        // SAFETY: caller's contract.
        Ok(unsafe { try_ref(error) }?.error.as_ref().map_or(0, ConfigError::status))
    }
}

/// The provider's error code, e.g. `MalformedXML`, `InvalidRequest`,
/// `CORSRuleBeyondLimit`; empty for NULL. Valid until the error is freed.
///
/// Thread-safe.
///
/// # Safety
/// `error` is NULL or a live error.
#[no_mangle]
pub unsafe extern "C" fn corsmatch_error_code(error: *const corsmatch_error) -> corsmatch_str {
    ffi_panic_boundary! {
        // SAFETY: caller's contract.
        Ok(corsmatch_str::new(unsafe { try_ref(error) }?.error.as_ref().map_or("", ConfigError::code)))
    }
}

/// The provider's error message, verbatim (for `CORSMATCH_INVALID_DOCUMENT`, what is wrong
/// and where); empty for NULL. Valid until the error is freed.
///
/// Thread-safe.
///
/// # Safety
/// `error` is NULL or a live error.
#[no_mangle]
pub unsafe extern "C" fn corsmatch_error_message(error: *const corsmatch_error) -> corsmatch_str {
    ffi_panic_boundary! {
        // SAFETY: caller's contract.
        let error = unsafe { try_ref(error) }?;
        Ok(corsmatch_str::new(error.error.as_ref().map_or(error.detail.as_str(), ConfigError::message)))
    }
}

/// A lowercase explanation for logs and people (which value, which limit), e.g.
/// `too many rules: 11, the limit is 10 (400 CORSRuleBeyondLimit)`; empty for NULL. Valid
/// until the error is freed.
///
/// Thread-safe.
///
/// # Safety
/// `error` is NULL or a live error.
#[no_mangle]
pub unsafe extern "C" fn corsmatch_error_detail(error: *const corsmatch_error) -> corsmatch_str {
    ffi_panic_boundary! {
        // SAFETY: caller's contract.
        Ok(corsmatch_str::new(&unsafe { try_ref(error) }?.detail))
    }
}

/// Writes the provider's XML error body for a refused configuration into the caller's
/// buffer, with optional `<RequestId>` and `<HostId>` (`(NULL, 0)` omits them); empty for
/// `CORSMATCH_INVALID_DOCUMENT`, which no provider answers.
///
/// `*out_len` always receives the body's length. Returns `CORSMATCH_BUFFER_TOO_SMALL` when
/// `buf_len` is smaller (nothing is written to `buf`; call again with a larger buffer, or ask
/// first with `buf` NULL and `buf_len` 0). The body is not NUL-terminated. A bad `request_id`
/// or `host_id` is `CORSMATCH_NULL_PARAMETER`, `CORSMATCH_INVALID_UTF8`,
/// `CORSMATCH_INVALID_HEADER_VALUE` (a CR, LF or NUL in it) or `CORSMATCH_INPUT_TOO_LARGE`,
/// returned before anything is written. Thread-safe.
///
/// # Safety
/// `error` is NULL or a live error; non-NULL strings point to their length in bytes; a
/// non-NULL `buf` has `buf_len` writable bytes; `out_len` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn corsmatch_error_xml(
    error: *const corsmatch_error,
    request_id: *const c_char,
    request_id_len: usize,
    host_id: *const c_char,
    host_id_len: usize,
    buf: *mut c_char,
    buf_len: usize,
    out_len: *mut usize,
) -> corsmatch_result {
    ffi_panic_boundary! {
        // SAFETY: caller's contract, for each pointer.
        let error = unsafe { try_ref(error) }?;
        let request_id = unsafe { try_request_str(request_id, request_id_len) }?;
        let host_id = unsafe { try_request_str(host_id, host_id_len) }?;
        let body = error.error.as_ref().map_or_else(String::new, |e| e.to_xml(request_id, host_id));
        // SAFETY: caller's contract on `buf` and `out_len`.
        unsafe { write_out(body.as_bytes(), buf, buf_len, out_len) }
    }
}

/// Frees an error. NULL is accepted and does nothing; strings taken from it become invalid.
///
/// # Safety
/// `error` is NULL or came from `corsmatch_ruleset_new` or `corsmatch_ruleset_from_json`
/// and was not freed.
#[no_mangle]
pub unsafe extern "C" fn corsmatch_error_free(error: *const corsmatch_error) {
    ffi_panic_boundary! {
        // SAFETY: caller's contract.
        unsafe { free_handle(error) };
        Ok(())
    }
}

/// Makes a scratch space. It grows to the largest request seen, after which evaluations
/// allocate nothing. The caller owns it (one per thread) and frees it with
/// `corsmatch_scratch_free`.
///
/// Returns `CORSMATCH_NULL_PARAMETER` when `out_scratch` is NULL. Thread-safe.
///
/// # Safety
/// `out_scratch` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn corsmatch_scratch_new(out_scratch: *mut *mut corsmatch_scratch) -> corsmatch_result {
    ffi_panic_boundary! {
        let out = try_out(out_scratch)?;
        // SAFETY: non-null and writable (caller's contract).
        unsafe { hand_out(out, corsmatch_scratch { scratch: Scratch::new() }) };
        Ok(())
    }
}

/// Frees a scratch space. NULL is accepted and does nothing; decisions that used it become
/// invalid.
///
/// # Safety
/// `scratch` is NULL or came from `corsmatch_scratch_new`, was not freed, and no other thread
/// is using it.
#[no_mangle]
pub unsafe extern "C" fn corsmatch_scratch_free(scratch: *mut corsmatch_scratch) {
    ffi_panic_boundary! {
        // SAFETY: caller's contract.
        unsafe { free_handle(scratch) };
        Ok(())
    }
}

// The helpers on the evaluation path are `#[inline(always)]`: inlined into the panic
// boundary's closure they cost half the instructions (callgrind: 130 instead of 290 per call).

/// The request strings, each checked and decoded.
struct Strings<'a> {
    origin: Option<&'a str>,
    acrm: Option<&'a str>,
    acrh: Option<&'a str>,
}

/// # Safety
/// Each non-NULL pointer points to its length in readable bytes that outlive `'a`.
#[inline(always)]
unsafe fn strings<'a>(
    origin: *const c_char,
    origin_len: usize,
    acrm: *const c_char,
    acrm_len: usize,
    acrh: *const c_char,
    acrh_len: usize,
) -> Result<Strings<'a>, corsmatch_result> {
    // SAFETY: forwarded contract.
    unsafe {
        Ok(Strings {
            origin: try_request_str(origin, origin_len)?,
            acrm: try_request_str(acrm, acrm_len)?,
            acrh: try_request_str(acrh, acrh_len)?,
        })
    }
}

/// Static strings for C. `corsmatch_str` holds a raw pointer, so it is not `Sync` by
/// itself; these point to immutable `'static` text, which any thread may read.
struct StaticStrs<const N: usize>([corsmatch_str; N]);

// SAFETY: the pointers are to `'static` string literals, never written.
unsafe impl<const N: usize> Sync for StaticStrs<N> {}

/// The header names in the order of `Decision::values`, ready for C. A `static` (not a
/// `const`), copied with `copy_nonoverlapping`: each name then takes one 16-byte load and
/// store, where a `const` name is built from an address and a length in three instructions.
static HEADER_NAMES: StaticStrs<CORSMATCH_MAX_HEADERS> = StaticStrs({
    let mut names = [corsmatch_str::EMPTY; CORSMATCH_MAX_HEADERS];
    let mut i = 0;
    while i < CORSMATCH_MAX_HEADERS {
        names[i] = corsmatch_str::of_static(HEADER_ORDER[i]);
        i += 1;
    }
    names
});

/// `error_code`, `error_message` and `error_body` of a decision that is not refused, copied
/// in one go: the three fields follow each other (checked below).
static NO_ERROR: StaticStrs<3> = StaticStrs([corsmatch_str::EMPTY; 3]);

const _: () = {
    use std::mem::{offset_of, size_of};
    let code = offset_of!(corsmatch_decision, error_code);
    assert!(offset_of!(corsmatch_decision, error_message) == code + size_of::<corsmatch_str>());
    assert!(offset_of!(corsmatch_decision, error_body) == code + 2 * size_of::<corsmatch_str>());
};

/// Writes a decision field by field into the caller's memory: no temporary copy, and only
/// the first `header_count` header slots (the rest are left as they were).
///
/// # Safety
/// `out` is writable for one `corsmatch_decision` (it may be uninitialised).
#[inline(always)]
unsafe fn write_decision(out: NonNull<corsmatch_decision>, d: &Decision<'_>) {
    let p = out.as_ptr();
    // SAFETY: `p` is valid for writes (caller's contract); every write goes through a raw
    // field pointer, so no reference to possibly uninitialised memory is ever formed, and the
    // header writes stay below CORSMATCH_MAX_HEADERS (one per slot of `d.values`, which has
    // exactly that many).
    unsafe {
        addr_of_mut!((*p).status).write(d.status.unwrap_or(0));
        addr_of_mut!((*p).rule).write(d.rule.map_or(-1, |r| r as i64));
        match &d.refused {
            Some(r) => {
                addr_of_mut!((*p).refused).write(true);
                addr_of_mut!((*p).refusal).write(refusal_code(r.reason));
                addr_of_mut!((*p).error_code).write(corsmatch_str::new(r.code));
                addr_of_mut!((*p).error_message).write(corsmatch_str::new(r.message));
                addr_of_mut!((*p).error_body).write(corsmatch_str::new(r.body));
            }
            None => {
                addr_of_mut!((*p).refused).write(false);
                addr_of_mut!((*p).refusal).write(CORSMATCH_REFUSAL_NONE);
                // The three error fields, contiguous (checked at compile time above).
                let errors = addr_of_mut!((*p).error_code).cast::<[corsmatch_str; 3]>();
                std::ptr::copy_nonoverlapping(&NO_ERROR.0, errors, 1);
            }
        }
        let first = addr_of_mut!((*p).headers).cast::<corsmatch_header>();
        let mut next = first;
        for (name, value) in HEADER_NAMES.0.iter().zip(d.values.iter()) {
            if let Some(value) = value {
                std::ptr::copy_nonoverlapping(name, addr_of_mut!((*next).name), 1);
                addr_of_mut!((*next).value).write(corsmatch_str { data: value.as_ptr().cast(), len: value.len() });
                if value.is_empty() {
                    empty_value(next);
                }
                next = next.add(1);
            }
        }
        addr_of_mut!((*p).header_count).write(next.offset_from(first) as usize);
    }
}

/// Points an empty header value at the static empty string, as `corsmatch_str::new` does
/// (an empty `&str` may carry a dangling pointer). Out of line: header values are hardly
/// ever empty, and a branch to here costs one instruction less per header than the
/// conditional move `corsmatch_str::new` compiles to.
///
/// # Safety
/// `header` is writable.
#[cold]
#[inline(never)]
unsafe fn empty_value(header: *mut corsmatch_header) {
    // SAFETY: writable (caller's contract).
    unsafe { addr_of_mut!((*header).value).write(corsmatch_str::EMPTY) };
}

/// Evaluates one request and writes the decision. Shared by the two entry points.
///
/// # Safety
/// `rules` and `scratch` are NULL or live, `scratch` used by no other thread; `out` is NULL
/// or writable.
#[inline(always)]
unsafe fn evaluate(
    rules: *const corsmatch_ruleset,
    scratch: *mut corsmatch_scratch,
    req: Request<'_>,
    out: *mut corsmatch_decision,
) -> Result<(), corsmatch_result> {
    let out = try_out(out)?;
    // SAFETY: caller's contract on both handles; the scratch is used by this thread only.
    let (rules, scratch) = unsafe { (try_ref(rules)?, try_mut(scratch)?) };
    let decision = rules.rules.evaluate(&req, &mut scratch.scratch);
    // SAFETY: non-null and writable (caller's contract).
    unsafe { write_decision(out, &decision) };
    Ok(())
}

/// The method of `corsmatch_actual`: required, and not `OPTIONS` (a preflight has its own
/// entry point).
#[inline(always)]
fn actual_method(method: Option<&str>) -> Result<&str, corsmatch_result> {
    match method {
        None => Err(corsmatch_result::CORSMATCH_NULL_PARAMETER),
        Some("OPTIONS") => Err(corsmatch_result::CORSMATCH_INVALID_ARGUMENT),
        Some(m) => Ok(m),
    }
}

/// Answers a preflight (`OPTIONS`) request: the status, the headers in order, and for a
/// refusal the provider's code, message and XML body.
///
/// - `rules`: the rule set, shared with other threads.
/// - `scratch`: this thread's scratch; the decision borrows it until the next call with it.
/// - `origin`, `acrm` (`Access-Control-Request-Method`), `acrh`
///   (`Access-Control-Request-Headers`): pointer + length, `(NULL, 0)` when the header is
///   absent. Borrowed: `Access-Control-Allow-Origin` may point into `origin`.
/// - `target`: a `CORSMATCH_TARGET_*` value.
/// - `request_id`, `host_id`: put into an error body as `<RequestId>` and `<HostId>`;
///   `(NULL, 0)` to omit.
/// - `out`: receives the decision on `CORSMATCH_OK` (see `corsmatch_decision` for how long its
///   strings live).
///
/// Returns `CORSMATCH_NULL_PARAMETER`, `CORSMATCH_INVALID_UTF8`,
/// `CORSMATCH_INVALID_HEADER_VALUE` (a CR, LF or NUL in any of the strings),
/// `CORSMATCH_INVALID_ARGUMENT` (unknown target) or `CORSMATCH_INPUT_TOO_LARGE` without
/// writing `out`. Allocates nothing once the scratch has grown to the request's size. Any
/// number of threads may call it at once on one rule set, each with its own scratch.
///
/// # Safety
/// Handles are NULL or live; each non-NULL string points to its length in readable bytes;
/// `out` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn corsmatch_preflight(
    rules: *const corsmatch_ruleset,
    scratch: *mut corsmatch_scratch,
    origin: *const c_char,
    origin_len: usize,
    acrm: *const c_char,
    acrm_len: usize,
    acrh: *const c_char,
    acrh_len: usize,
    target: corsmatch_target,
    request_id: *const c_char,
    request_id_len: usize,
    host_id: *const c_char,
    host_id_len: usize,
    out: *mut corsmatch_decision,
) -> corsmatch_result {
    ffi_panic_boundary! {
        // SAFETY: caller's contract, for each pointer.
        let plain = Plain::strs(|p| unsafe {
            Some([
                p.add(origin, origin_len)?,
                p.add(acrm, acrm_len)?,
                p.add(acrh, acrh_len)?,
                p.add(request_id, request_id_len)?,
                p.add(host_id, host_id_len)?,
            ])
        });
        // SAFETY: as above.
        let [origin, acrm, acrh, request_id, host_id] = match plain {
            Some(all) => all,
            // Not all plain: each string checked in order, so that the first one's error wins.
            None => unsafe {
                let s = strings(origin, origin_len, acrm, acrm_len, acrh, acrh_len)?;
                let request_id = try_request_str(request_id, request_id_len)?;
                [s.origin, s.acrm, s.acrh, request_id, try_request_str(host_id, host_id_len)?]
            },
        };
        let req = Request {
            method: "OPTIONS",
            origin,
            acrm,
            acrh,
            target: target_of(target)?,
            request_id,
            host_id,
        };
        // SAFETY: caller's contract.
        unsafe { evaluate(rules, scratch, req, out) }
    }
}

/// Says which CORS headers to add to the response of an actual (non-`OPTIONS`) request. An
/// actual request is never refused: `status` is 0, `refused` false.
///
/// - `method`: the request's method, required (`OPTIONS` is `CORSMATCH_INVALID_ARGUMENT`:
///   use `corsmatch_preflight`).
/// - Everything else as for `corsmatch_preflight`. `acrm` and `acrh`, when the request
///   carries them, are matched instead of the method and checked as in a preflight.
///
/// Same result codes (`CORSMATCH_INVALID_HEADER_VALUE` for a CR, LF or NUL in `method` too),
/// lifetimes, allocation and thread-safety as `corsmatch_preflight`.
///
/// # Safety
/// As `corsmatch_preflight`.
#[no_mangle]
pub unsafe extern "C" fn corsmatch_actual(
    rules: *const corsmatch_ruleset,
    scratch: *mut corsmatch_scratch,
    method: *const c_char,
    method_len: usize,
    origin: *const c_char,
    origin_len: usize,
    acrm: *const c_char,
    acrm_len: usize,
    acrh: *const c_char,
    acrh_len: usize,
    target: corsmatch_target,
    out: *mut corsmatch_decision,
) -> corsmatch_result {
    ffi_panic_boundary! {
        // SAFETY: caller's contract, for each pointer.
        let plain = Plain::strs(|p| unsafe {
            Some([p.add(method, method_len)?, p.add(origin, origin_len)?, p.add(acrm, acrm_len)?, p.add(acrh, acrh_len)?])
        });
        // SAFETY: as above.
        let [method, origin, acrm, acrh] = match plain {
            Some(all) => all,
            // Not all plain: the method first, then each string in order; the first error wins.
            None => unsafe {
                let method = actual_method(try_request_str(method, method_len)?)?;
                let s = strings(origin, origin_len, acrm, acrm_len, acrh, acrh_len)?;
                [Some(method), s.origin, s.acrm, s.acrh]
            },
        };
        // When all are plain, the method's own errors are the only ones left (checked again,
        // and passed, otherwise).
        let method = actual_method(method)?;
        let req = Request {
            method,
            origin,
            acrm,
            acrh,
            target: target_of(target)?,
            request_id: None,
            host_id: None,
        };
        // SAFETY: caller's contract.
        unsafe { evaluate(rules, scratch, req, out) }
    }
}

fn explain_json(rules: &RuleSet, req: &Request<'_>) -> String {
    use serde_json::json;
    let e = rules.explain(req);
    let verdicts: Vec<_> = e
        .rules
        .iter()
        .map(|r| {
            let v = &r.verdict;
            json!({"rule": r.index, "result": v.result(), "header": v.header(), "detail": v.detail()})
        })
        .collect();
    let skipped = e.skipped.map(|s| s.to_string());
    let resp = &e.response;
    let response = json!({
        "status": resp.status,
        "headers": resp.headers,
        "error": resp.error.as_ref().map(|x| json!({"code": x.code, "message": x.message, "body": x.body})),
        "rule": resp.rule,
    });
    json!({
        "method": e.method,
        "headers": e.headers,
        "skipped": skipped,
        "rules": verdicts,
        "winner": e.winner,
        "response": response,
    })
    .to_string()
}

/// Explains a request: for each rule the item that decided it, the winner, and the response,
/// as one JSON object (the shape of `corsmatch explain --json`: `method`, `headers`,
/// `skipped`, `rules: [{rule, result, header, detail}]`, `winner`, `response: {status,
/// headers, error, rule}`), written into the caller's buffer, not NUL-terminated.
///
/// `method` is required (`OPTIONS` explains a preflight); the other strings as for
/// `corsmatch_actual`. `*out_len` always receives the JSON's length on `CORSMATCH_OK` and
/// `CORSMATCH_BUFFER_TOO_SMALL` (then nothing is written to `buf`: call again with a larger
/// buffer, or ask first with `buf` NULL and `buf_len` 0). A bad string is
/// `CORSMATCH_NULL_PARAMETER`, `CORSMATCH_INVALID_UTF8`, `CORSMATCH_INVALID_HEADER_VALUE` (a
/// CR, LF or NUL in it) or `CORSMATCH_INPUT_TOO_LARGE`, and an unknown target
/// `CORSMATCH_INVALID_ARGUMENT`, returned before anything is written. Meant for
/// troubleshooting, not the hot path: it allocates. Thread-safe.
///
/// # Safety
/// `rules` is NULL or live; each non-NULL string points to its length in readable bytes; a
/// non-NULL `buf` has `buf_len` writable bytes; `out_len` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn corsmatch_explain(
    rules: *const corsmatch_ruleset,
    method: *const c_char,
    method_len: usize,
    origin: *const c_char,
    origin_len: usize,
    acrm: *const c_char,
    acrm_len: usize,
    acrh: *const c_char,
    acrh_len: usize,
    target: corsmatch_target,
    buf: *mut c_char,
    buf_len: usize,
    out_len: *mut usize,
) -> corsmatch_result {
    ffi_panic_boundary! {
        // SAFETY: caller's contract, for each pointer.
        let rules = unsafe { try_ref(rules) }?;
        let method = unsafe { try_request_str(method, method_len) }?.ok_or(corsmatch_result::CORSMATCH_NULL_PARAMETER)?;
        let s = unsafe { strings(origin, origin_len, acrm, acrm_len, acrh, acrh_len) }?;
        let req = Request {
            method,
            origin: s.origin,
            acrm: s.acrm,
            acrh: s.acrh,
            target: target_of(target)?,
            request_id: None,
            host_id: None,
        };
        let json = explain_json(&rules.rules, &req);
        // SAFETY: caller's contract on `buf` and `out_len`.
        unsafe { write_out(json.as_bytes(), buf, buf_len, out_len) }
    }
}

/// Lints the rule set's configuration: rules that never apply (`shadowed-rule`), rules that
/// overlap, origins no browser sends, wildcards that let other sites in, and the rest of the
/// ids of `corsmatch lint`. Writes the findings into the caller's buffer as one JSON array,
/// exactly what `corsmatch lint --json` prints (without its final newline), not
/// NUL-terminated: one object per finding with `id`, `severity` (`info`, `warning`,
/// `error`), `rule`, `element`, `item` (numbers, strings or null), `message`, `fix`,
/// `related` (rule indexes) and `example` (`{"origin", "method", "headers"}` or null). A
/// bucket without configuration gives `[]`.
///
/// - `out_len`: always receives the JSON's length on `CORSMATCH_OK` and
///   `CORSMATCH_BUFFER_TOO_SMALL` (then nothing is written to `buf`: call again with a larger
///   buffer, or ask first with `buf` NULL and `buf_len` 0).
/// - `out_problems`: may be NULL. On `CORSMATCH_OK` it receives the number of findings that
///   are problems (severity `warning` or `error`: the command line exits 1 when there is
///   one); otherwise it is left unchanged.
///
/// Returns `CORSMATCH_NULL_PARAMETER` when `rules` or `out_len` is NULL, or `buf` is NULL
/// with a `buf_len` the JSON fits in. Meant for checking a configuration, not the hot path:
/// it allocates, and takes time quadratic in the document's size. Thread-safe.
///
/// # Safety
/// `rules` is NULL or live; a non-NULL `buf` has `buf_len` writable bytes; `out_len` and
/// `out_problems` are NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn corsmatch_ruleset_lint(
    rules: *const corsmatch_ruleset,
    buf: *mut c_char,
    buf_len: usize,
    out_len: *mut usize,
    out_problems: *mut usize,
) -> corsmatch_result {
    ffi_panic_boundary! {
        // SAFETY: caller's contract.
        let rules = unsafe { try_ref(rules) }?;
        let findings = rules.rules.lint();
        let json = ::corsmatch::lint::to_json(&findings);
        // SAFETY: caller's contract on `buf` and `out_len`.
        unsafe { write_out(json.as_bytes(), buf, buf_len, out_len) }?;
        if let Ok(out_problems) = try_out(out_problems) {
            let problems = findings.iter().filter(|f| f.is_problem()).count();
            // SAFETY: non-null and writable (caller's contract).
            unsafe { out_problems.write(problems) };
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn handles_are_send_and_sync_where_documented() {
        fn send_sync<T: Send + Sync>() {}
        fn send<T: Send>() {}
        send_sync::<corsmatch_ruleset>();
        send_sync::<corsmatch_error>();
        send::<corsmatch_scratch>();
    }

    #[test]
    fn result_names_round_trip() {
        for code in 0..10 {
            let r = corsmatch_result::from_u32(code).expect("every code below 10 is a result");
            assert_eq!(r as u32, code);
            assert!(r.name().starts_with("CORSMATCH_"));
        }
        assert_eq!(corsmatch_result::from_u32(10), None);
        assert_eq!(corsmatch_result::CORSMATCH_INVALID_DOCUMENT.name(), "CORSMATCH_INVALID_DOCUMENT");
        assert_eq!(corsmatch_result::CORSMATCH_PANIC as u32, 7);
        assert_eq!(corsmatch_result::CORSMATCH_INVALID_HEADER_VALUE.name(), "CORSMATCH_INVALID_HEADER_VALUE");
    }

    /// Counts this thread's allocations, to show that the C boundary adds none.
    struct Counting;

    thread_local! {
        static ALLOCATIONS: std::cell::Cell<usize> = const { std::cell::Cell::new(0) };
    }

    // SAFETY: forwards to the system allocator; the counter is a const thread-local without
    // destructor, which never allocates.
    unsafe impl std::alloc::GlobalAlloc for Counting {
        unsafe fn alloc(&self, layout: std::alloc::Layout) -> *mut u8 {
            ALLOCATIONS.with(|n| n.set(n.get() + 1));
            // SAFETY: forwarded contract.
            unsafe { std::alloc::System.alloc(layout) }
        }
        unsafe fn dealloc(&self, ptr: *mut u8, layout: std::alloc::Layout) {
            // SAFETY: forwarded contract.
            unsafe { std::alloc::System.dealloc(ptr, layout) }
        }
    }

    #[global_allocator]
    static COUNTING: Counting = Counting;

    /// A rule set compiled through the C ABI, and a scratch; the caller frees both.
    fn compiled(xml: &[u8], profile: corsmatch_profile) -> (*const corsmatch_ruleset, *mut corsmatch_scratch) {
        let mut rules: *const corsmatch_ruleset = std::ptr::null();
        let mut scratch: *mut corsmatch_scratch = std::ptr::null_mut();
        // SAFETY: valid pointers and lengths; the out pointers are writable.
        unsafe {
            let r = corsmatch_ruleset_new(
                xml.as_ptr().cast(),
                xml.len(),
                profile,
                std::ptr::null(),
                &mut rules,
                std::ptr::null_mut(),
            );
            assert_eq!(r, corsmatch_result::CORSMATCH_OK);
            assert_eq!(corsmatch_scratch_new(&mut scratch), corsmatch_result::CORSMATCH_OK);
        }
        (rules, scratch)
    }

    #[test]
    fn evaluation_through_the_c_abi_allocates_nothing_once_warm() {
        let xml = b"<CORSConfiguration><CORSRule><AllowedOrigin>https://*.example.com</AllowedOrigin>\
            <AllowedMethod>PUT</AllowedMethod><AllowedHeader>x-amz-*</AllowedHeader>\
            <ExposeHeader>ETag</ExposeHeader></CORSRule></CORSConfiguration>";
        let (rules, scratch) = compiled(xml, CORSMATCH_PROFILE_S3);
        let mut d = std::mem::MaybeUninit::<corsmatch_decision>::uninit();
        // SAFETY: valid pointers and lengths throughout; handles freed once at the end.
        unsafe {
            let s = |t: &str| (t.as_ptr().cast::<c_char>(), t.len());
            let run = |d: *mut corsmatch_decision, origin: &str, acrm: &str, acrh: &str| {
                let ((o, ol), (m, ml), (h, hl), (i, il)) = (s(origin), s(acrm), s(acrh), s("request-id"));
                let r = corsmatch_preflight(rules, scratch, o, ol, m, ml, h, hl, 0, i, il, i, il, d);
                assert_eq!(r, corsmatch_result::CORSMATCH_OK);
                let r = corsmatch_actual(rules, scratch, m, ml, o, ol, std::ptr::null(), 0, h, hl, 0, d);
                assert_eq!(r, corsmatch_result::CORSMATCH_OK);
            };
            let requests = [
                ("https://a.example.com", "PUT", "X-Amz-Date, x-amz-meta-a"),
                ("https://evil.example.org", "PUT", ""),
                ("https://b.example.com", "GET", "content-type"),
                ("https://b.example.com", "PATCH", ""),
            ];
            for (o, m, h) in requests {
                run(d.as_mut_ptr(), o, m, h);
            }
            let before = ALLOCATIONS.with(|n| n.get());
            for _ in 0..3 {
                for (o, m, h) in requests {
                    run(d.as_mut_ptr(), o, m, h);
                }
            }
            assert_eq!(ALLOCATIONS.with(|n| n.get()), before, "an evaluation allocated");
            corsmatch_scratch_free(scratch);
            corsmatch_ruleset_free(rules);
        }
    }

    #[test]
    fn lint_writes_the_json_of_the_core_and_counts_problems() {
        let xml = "<CORSConfiguration>\
            <CORSRule><AllowedOrigin>https://*.example.com</AllowedOrigin><AllowedMethod>GET</AllowedMethod></CORSRule>\
            <CORSRule><AllowedOrigin>https://www.example.com</AllowedOrigin><AllowedMethod>GET</AllowedMethod>\
            <AllowedMethod>GET</AllowedMethod></CORSRule>\
            <ResponseVary>true</ResponseVary></CORSConfiguration>";
        let core = RuleSet::from_xml(xml.as_bytes(), Profile::Oss).expect("valid");
        let want = ::corsmatch::lint::to_json(&core.lint());
        assert!(want.contains("\"shadowed-rule\"") && want.contains("\"method-duplicate\""), "{want}");
        let (rules, scratch) = compiled(xml.as_bytes(), CORSMATCH_PROFILE_OSS);
        let (mut len, mut problems) = (0usize, usize::MAX);
        // SAFETY: valid pointers and lengths throughout; the handles are freed once at the end.
        unsafe {
            let r = corsmatch_ruleset_lint(rules, std::ptr::null_mut(), 0, &mut len, &mut problems);
            assert_eq!((r, len, problems), (corsmatch_result::CORSMATCH_BUFFER_TOO_SMALL, want.len(), usize::MAX));
            let mut buf = vec![0u8; len];
            let r = corsmatch_ruleset_lint(rules, buf.as_mut_ptr().cast(), buf.len(), &mut len, &mut problems);
            assert_eq!(r, corsmatch_result::CORSMATCH_OK);
            assert_eq!(std::str::from_utf8(&buf[..len]), Ok(want.as_str()));
            // shadowed-rule is a warning, method-duplicate only information.
            assert_eq!(problems, 1);
            let r = corsmatch_ruleset_lint(rules, buf.as_mut_ptr().cast(), buf.len(), &mut len, std::ptr::null_mut());
            assert_eq!(r, corsmatch_result::CORSMATCH_OK);
            corsmatch_scratch_free(scratch);
            corsmatch_ruleset_free(rules);
        }
    }

    /// Every mix of good and bad request strings (absent, empty, NULL with a length, a tab,
    /// non-ASCII UTF-8, invalid UTF-8, CR, invalid UTF-8 then LF, "OPTIONS"): the entry points
    /// return what checking each string in order with `try_request_str` gives, the method's
    /// own errors first for `corsmatch_actual`, and on success the decision of
    /// `RuleSet::evaluate`.
    #[test]
    fn request_strings_are_refused_in_order_with_the_first_error() {
        let xml = b"<CORSConfiguration><CORSRule><AllowedOrigin>*</AllowedOrigin><AllowedMethod>GET</AllowedMethod>\
            <AllowedMethod>PUT</AllowedMethod><AllowedHeader>*</AllowedHeader></CORSRule></CORSConfiguration>";
        let core = RuleSet::from_xml(xml, Profile::S3).expect("valid");
        let mut core_scratch = Scratch::new();
        let variants: [Option<&[u8]>; 10] = [
            Some(b"https://a.example.com"),
            Some(b"PUT"),
            None,
            Some(b""),
            Some(b"a\tb"),
            Some("caf\u{e9}, x-\u{e9}t\u{e9}-long-enough-for-sixteen".as_bytes()),
            Some(b"\xffPUT"),
            Some(b"https://a.example.com\r\nSet-Cookie: a=b"),
            Some(b"\xc3\nx"),
            Some(b"OPTIONS"),
        ];
        // Variant 10: NULL with a length.
        let arg = |v: usize| -> (*const c_char, usize) {
            match variants.get(v) {
                Some(Some(b)) => (b.as_ptr().cast(), b.len()),
                Some(None) => (std::ptr::null(), 0),
                None => (std::ptr::null(), 3),
            }
        };
        let (rules, scratch) = compiled(xml, CORSMATCH_PROFILE_S3);
        let mut d = std::mem::MaybeUninit::<corsmatch_decision>::uninit();
        // SAFETY: valid pointers and lengths throughout; handles freed once at the end.
        unsafe {
            let in_order = |args: &[(*const c_char, usize)]| -> Result<Vec<Option<&str>>, corsmatch_result> {
                args.iter().map(|&(p, n)| try_request_str(p, n)).collect()
            };
            let same_decision = |d: &corsmatch_decision, want: &Decision<'_>| {
                assert_eq!(d.status, want.status.unwrap_or(0));
                assert_eq!(d.rule, want.rule.map_or(-1, |r| r as i64));
                assert_eq!(d.header_count, want.headers().count());
            };
            let n = variants.len() + 1;
            for k in 0..n.pow(4) {
                let v: Vec<usize> = (0..4).map(|i| k / n.pow(i) % n).collect();
                // Preflight: origin, ACRM, ACRH, request id (host id as the origin).
                let a = [arg(v[0]), arg(v[1]), arg(v[2]), arg(v[3]), arg(v[0])];
                let got = corsmatch_preflight(
                    rules,
                    scratch,
                    a[0].0,
                    a[0].1,
                    a[1].0,
                    a[1].1,
                    a[2].0,
                    a[2].1,
                    0,
                    a[3].0,
                    a[3].1,
                    a[4].0,
                    a[4].1,
                    d.as_mut_ptr(),
                );
                match in_order(&a) {
                    Err(e) => assert_eq!(got, e, "preflight {v:?}"),
                    Ok(s) => {
                        assert_eq!(got, corsmatch_result::CORSMATCH_OK, "preflight {v:?}");
                        let mut req = Request::preflight(s[0], s[1], s[2]);
                        (req.request_id, req.host_id) = (s[3], s[4]);
                        same_decision(d.assume_init_ref(), &core.evaluate(&req, &mut core_scratch));
                    }
                }
                // Actual: method, origin, ACRM, ACRH.
                let a = [arg(v[0]), arg(v[1]), arg(v[2]), arg(v[3])];
                let got = corsmatch_actual(
                    rules,
                    scratch,
                    a[0].0,
                    a[0].1,
                    a[1].0,
                    a[1].1,
                    a[2].0,
                    a[2].1,
                    a[3].0,
                    a[3].1,
                    0,
                    d.as_mut_ptr(),
                );
                let want = in_order(&a[..1]).and_then(|m| match m[0] {
                    None => Err(corsmatch_result::CORSMATCH_NULL_PARAMETER),
                    Some("OPTIONS") => Err(corsmatch_result::CORSMATCH_INVALID_ARGUMENT),
                    Some(_) => in_order(&a),
                });
                match want {
                    Err(e) => assert_eq!(got, e, "actual {v:?}"),
                    Ok(s) => {
                        assert_eq!(got, corsmatch_result::CORSMATCH_OK, "actual {v:?}");
                        let mut req = Request::new(s[0].unwrap(), s[1]);
                        (req.acrm, req.acrh) = (s[2], s[3]);
                        same_decision(d.assume_init_ref(), &core.evaluate(&req, &mut core_scratch));
                    }
                }
            }
            corsmatch_scratch_free(scratch);
            corsmatch_ruleset_free(rules);
        }
    }

    /// `write_decision` on its own: the headers that are set, in order, from the first slot;
    /// the slots after them untouched; an empty value pointing to the static empty string;
    /// the error fields empty unless refused.
    #[test]
    fn write_decision_writes_what_the_header_says() {
        use std::ptr::addr_of;
        let body = String::from("<Error>...</Error>");
        let mut d = Decision {
            status: Some(200),
            rule: Some(3),
            values: [Some("https://a.example.com"), None, Some(""), None, Some("600"), None, Some("Origin")],
            refused: None,
        };
        let mut out = std::mem::MaybeUninit::<corsmatch_decision>::uninit();
        let text = |s: corsmatch_str| {
            // SAFETY: the library's strings are `len` bytes at `data`, never NULL.
            std::str::from_utf8(unsafe { std::slice::from_raw_parts(s.data.cast::<u8>(), s.len) }).unwrap()
        };
        for refused in [false, true] {
            if refused {
                d.refused = Some(::corsmatch::Refused {
                    reason: ::corsmatch::Refusal::Denied,
                    code: "AccessForbidden",
                    message: "CORSResponse: This CORS request is not allowed.",
                    body: &body,
                });
                (d.status, d.rule, d.values) = (Some(403), None, [None; 7]);
            }
            // SAFETY: `out` is writable, and read only where written (or filled first).
            unsafe {
                std::ptr::write_bytes(out.as_mut_ptr(), 0xAB, 1);
                write_decision(NonNull::new(out.as_mut_ptr()).unwrap(), &d);
                let o = out.as_ptr();
                assert_eq!((*o).status, d.status.unwrap());
                assert_eq!((*o).rule, d.rule.map_or(-1, |r| r as i64));
                assert_eq!((*o).refused, refused);
                let headers: Vec<_> = d.headers().collect();
                assert_eq!((*o).header_count, headers.len());
                for (i, (name, value)) in headers.iter().enumerate() {
                    let h = (*o).headers[i];
                    assert_eq!((text(h.name), text(h.value)), (*name, *value));
                    if value.is_empty() {
                        assert_eq!(h.value.data, corsmatch_str::EMPTY.data);
                    }
                }
                let rest = addr_of!((*o).headers).cast::<corsmatch_header>().add(headers.len()).cast::<u8>();
                let rest_len = (CORSMATCH_MAX_HEADERS - headers.len()) * std::mem::size_of::<corsmatch_header>();
                assert!(std::slice::from_raw_parts(rest, rest_len).iter().all(|&b| b == 0xAB));
                let errors = [(*o).error_code, (*o).error_message, (*o).error_body].map(text);
                if refused {
                    assert_eq!((*o).refusal, CORSMATCH_REFUSAL_DENIED);
                    let r = d.refused.unwrap();
                    assert_eq!(errors, [r.code, r.message, r.body]);
                } else {
                    assert_eq!((*o).refusal, CORSMATCH_REFUSAL_NONE);
                    assert_eq!(errors, ["", "", ""]);
                }
            }
        }
    }

    #[test]
    fn a_panic_becomes_a_result_code() {
        fn boom() -> corsmatch_result {
            ffi_panic_boundary! {
                if std::hint::black_box(true) {
                    panic!("test panic");
                }
                Ok(())
            }
        }
        assert_eq!(boom(), corsmatch_result::CORSMATCH_PANIC);
    }
}
