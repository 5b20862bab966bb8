//! The check of the `ffi_calls` target: the C ABI (`ffi-c/src`, built here as the rlib
//! `corsmatch_ffi`) called as a C program would call it, with every shape of pointer and
//! length (absent, NULL with a length, empty, arbitrary bytes, a length no memory can have),
//! NULL handles and outputs, unknown profiles and targets, and every buffer size. Each call
//! must return the right result code, never `CORSMATCH_PANIC`, write its outputs only on
//! success, and answer exactly as the core crate does.
//!
//! Every string is copied into its own allocation of exactly its length, so that
//! AddressSanitizer sees a read past the length the caller gave.

use std::ffi::c_char;
use std::ptr;

use corsmatch::{ConfigError, Options, Profile, Request, Response, RuleSet, Target};
use corsmatch_ffi::*;

use corsmatch_result::*;

const EXAMPLE: &[u8] = include_bytes!("../../examples/oss-web-upload.xml");
const WORDS: [&str; 12] = [
    "https://www.example.com",
    "https://a.example.com",
    "https://static.example.org",
    "GET",
    "PUT",
    "OPTIONS",
    "content-type",
    "x-oss-meta-a, Content-Type",
    "authorization,,x-oss-x",
    "null",
    "get",
    "",
];

/// Reads the fuzz input; past its end every byte reads as zero.
struct Input<'a>(&'a [u8]);

impl Input<'_> {
    fn byte(&mut self) -> u8 {
        let (&b, rest) = self.0.split_first().unwrap_or((&0, &[]));
        self.0 = rest;
        b
    }

    fn bytes(&mut self, n: usize) -> Vec<u8> {
        let (taken, rest) = self.0.split_at(n.min(self.0.len()));
        self.0 = rest;
        taken.to_vec()
    }
}

/// How one string argument is passed.
enum Arg {
    /// `(NULL, 0)`: the header is absent.
    Absent,
    /// `(NULL, n > 0)`: refused.
    NullWithLength,
    /// A real pointer and a length over `isize::MAX`: refused before any read.
    TooLong(Box<[u8]>),
    /// `(ptr, len)` over exactly `len` bytes of their own (a dangling pointer when empty).
    Bytes(Box<[u8]>),
}

impl Arg {
    fn read(input: &mut Input<'_>) -> Arg {
        match input.byte() % 12 {
            0 | 1 => Arg::Absent,
            2 => Arg::NullWithLength,
            3 => Arg::TooLong(Box::new([b'x'])),
            4 => Arg::Bytes(Box::new([])),
            5..=8 => Arg::Bytes(WORDS[input.byte() as usize % WORDS.len()].as_bytes().into()),
            _ => {
                let len = input.byte() as usize;
                Arg::Bytes(input.bytes(len).into_boxed_slice())
            }
        }
    }

    fn ptr_len(&self) -> (*const c_char, usize) {
        match self {
            Arg::Absent => (ptr::null(), 0),
            Arg::NullWithLength => (ptr::null(), 7),
            Arg::TooLong(b) => (b.as_ptr().cast(), usize::MAX),
            Arg::Bytes(b) if b.is_empty() => (ptr::NonNull::<c_char>::dangling().as_ptr(), 0),
            Arg::Bytes(b) => (b.as_ptr().cast(), b.len()),
        }
    }

    /// The value the library must see, or the result code this argument alone causes.
    fn value(&self) -> Result<Option<&str>, corsmatch_result> {
        match self {
            Arg::Absent => Ok(None),
            Arg::NullWithLength => Err(CORSMATCH_NULL_PARAMETER),
            Arg::TooLong(_) => Err(CORSMATCH_INPUT_TOO_LARGE),
            Arg::Bytes(b) => match std::str::from_utf8(b) {
                Err(_) => Err(CORSMATCH_INVALID_UTF8),
                // Echoed into headers and error bodies: refused (README "Untrusted input").
                Ok(_) if b.iter().any(|&c| matches!(c, b'\r' | b'\n' | 0)) => Err(CORSMATCH_INVALID_HEADER_VALUE),
                Ok(s) => Ok(Some(s)),
            },
        }
    }
}

/// # Safety
/// `s` points to `len` bytes that live as long as `'a`.
unsafe fn text<'a>(s: corsmatch_str) -> &'a str {
    assert!(!s.data.is_null(), "a corsmatch_str with a NULL pointer");
    let bytes = unsafe { std::slice::from_raw_parts(s.data.cast::<u8>(), s.len) };
    std::str::from_utf8(bytes).expect("a corsmatch_str that is not UTF-8")
}

/// Checks a call's result against the errors its arguments cause: none means success.
fn expect(result: corsmatch_result, errors: &[corsmatch_result], call: &str) -> bool {
    assert_ne!(result, CORSMATCH_PANIC, "{call} panicked");
    if errors.is_empty() {
        assert_eq!(result, CORSMATCH_OK, "{call} refused valid arguments");
    } else {
        assert!(errors.contains(&result), "{call} returned {result:?}, want one of {errors:?}");
    }
    result == CORSMATCH_OK
}

fn profile_of(raw: u32) -> Option<Profile> {
    [Profile::Oss, Profile::S3].get(raw as usize).copied()
}

fn target_of(raw: u32) -> Result<Target, corsmatch_result> {
    [Target::Object, Target::Bucket, Target::MissingBucket].get(raw as usize).copied().ok_or(CORSMATCH_INVALID_ARGUMENT)
}

/// The core's options for C options, "0 means the profile's default" as documented.
fn core_options(profile: Profile, o: Option<&corsmatch_options>) -> Options {
    let d = Options::new(profile);
    let Some(o) = o else { return d };
    let or = |n: usize, default: usize| if n == 0 { default } else { n };
    d.max_rules(or(o.max_rules, d.limits.max_rules))
        .max_document_bytes(or(o.max_document_bytes, d.limits.max_document_bytes))
        .max_compiled_bytes(or(o.max_compiled_bytes, d.max_compiled_bytes))
        .allow_credentials(o.allow_credentials)
        .strict_origins(o.strict_origins)
}

/// A decision as the core's owned response, its strings read through their pointers.
fn response_of(d: &corsmatch_decision, preflight: bool) -> Response {
    assert!(d.header_count <= CORSMATCH_MAX_HEADERS);
    // SAFETY: the decision's strings live while the rule set and the scratch do.
    let headers = d.headers[..d.header_count]
        .iter()
        .map(|h| unsafe { (text(h.name).to_string(), text(h.value).to_string()) })
        .collect();
    let error = d.refused.then(|| unsafe {
        corsmatch::ErrorResponse {
            code: text(d.error_code).to_string(),
            message: text(d.error_message).to_string(),
            body: text(d.error_body).to_string(),
        }
    });
    assert_eq!(d.refused, d.refusal != CORSMATCH_REFUSAL_NONE);
    let status = if preflight { Some(d.status) } else { (d.status != 0).then_some(d.status) };
    Response { status, headers, error, rule: (d.rule >= 0).then_some(d.rule as usize) }
}

/// Writes into a caller's buffer the way C does it: ask the length with `(NULL, 0)`, try
/// one byte short, then the exact size. Returns the text when the arguments are valid.
fn read_buffer(
    errors: &[corsmatch_result],
    call: &str,
    mut f: impl FnMut(*mut c_char, usize, *mut usize) -> corsmatch_result,
) -> Option<String> {
    let mut needed = usize::MAX;
    let r = f(ptr::null_mut(), 0, &mut needed);
    if !errors.is_empty() {
        return expect(r, errors, call).then(String::new);
    }
    assert_eq!(r, CORSMATCH_BUFFER_TOO_SMALL, "{call} with no buffer");
    assert!(needed > 0 && needed < usize::MAX, "{call}: needed length {needed}");
    assert_eq!(f(ptr::null_mut(), needed, &mut 0), CORSMATCH_NULL_PARAMETER, "{call} with a NULL buffer");
    assert_eq!(f(ptr::null_mut(), 0, ptr::null_mut()), CORSMATCH_NULL_PARAMETER, "{call} with NULL out_len");
    let mut short = vec![0xa5u8; needed - 1].into_boxed_slice();
    assert_eq!(f(short.as_mut_ptr().cast(), short.len(), &mut 0), CORSMATCH_BUFFER_TOO_SMALL, "{call} short");
    assert!(short.iter().all(|&b| b == 0xa5), "{call} wrote into a buffer too small");
    let mut buf = vec![0u8; needed].into_boxed_slice();
    let mut len = 0;
    assert_eq!(f(buf.as_mut_ptr().cast(), buf.len(), &mut len), CORSMATCH_OK, "{call} with the exact size");
    assert_eq!(len, needed);
    Some(String::from_utf8(buf.into_vec()).expect("UTF-8 output"))
}

fn check_error(error: *const corsmatch_error, want: &ConfigError, input: &mut Input<'_>) {
    // SAFETY: a live error handle; its strings live until it is freed, below.
    unsafe {
        assert_eq!(corsmatch_error_status(error), want.status());
        assert_eq!(text(corsmatch_error_code(error)), want.code());
        assert_eq!(text(corsmatch_error_message(error)), want.message());
        assert_eq!(text(corsmatch_error_detail(error)), want.to_string());
    }
    let (rid, hid) = (Arg::read(input), Arg::read(input));
    let errors: Vec<_> = [rid.value().err(), hid.value().err()].into_iter().flatten().collect();
    let ((rp, rl), (hp, hl)) = (rid.ptr_len(), hid.ptr_len());
    // SAFETY: the strings point to their lengths (or are refused before any read).
    let xml = read_buffer(&errors, "corsmatch_error_xml", |b, n, out| unsafe {
        corsmatch_error_xml(error, rp, rl, hp, hl, b, n, out)
    });
    if let (Some(xml), Ok(r), Ok(h)) = (xml, rid.value(), hid.value()) {
        assert_eq!(xml, want.to_xml(r, h));
    }
}

/// The `ffi_calls` check.
pub fn ffi_calls(data: &[u8]) {
    let mut input = Input(data);
    let raw_profile = match input.byte() % 8 {
        0..=3 => CORSMATCH_PROFILE_OSS,
        4..=6 => CORSMATCH_PROFILE_S3,
        _ => 2 + input.byte() as u32,
    };
    let profile = profile_of(raw_profile);
    let mut options = None;
    let mut defaults = std::mem::MaybeUninit::<corsmatch_options>::uninit();
    // SAFETY: `defaults` is writable memory for one options struct.
    let r = unsafe { corsmatch_options_default(raw_profile, defaults.as_mut_ptr()) };
    if expect(r, if profile.is_some() { &[] } else { &[CORSMATCH_INVALID_ARGUMENT] }, "corsmatch_options_default") {
        // SAFETY: written on success.
        let d = unsafe { defaults.assume_init() };
        assert_eq!((d.max_rules, d.allow_credentials, d.strict_origins), (profile.unwrap().max_rules(), true, false));
        options = match input.byte() % 3 {
            0 => None,
            1 => Some(d),
            _ => Some(corsmatch_options {
                max_rules: input.byte() as usize,
                max_document_bytes: (input.byte() as usize) << 8,
                max_compiled_bytes: (input.byte() as usize) << 14,
                allow_credentials: input.byte() & 1 == 1,
                strict_origins: input.byte() & 1 == 1,
            }),
        };
    }
    let document = match input.byte() % 4 {
        0 => Arg::Bytes(EXAMPLE.into()),
        1 => Arg::Absent,
        2 => Arg::NullWithLength,
        _ => {
            let len = u16::from_le_bytes([input.byte(), input.byte()]) as usize;
            Arg::Bytes(input.bytes(len).into_boxed_slice())
        }
    };
    let (xml, xml_len) = document.ptr_len();
    let (want_rules, want_error) = (input.byte() % 8 != 0, input.byte() % 4 != 0);
    let sentinel = ptr::NonNull::<corsmatch_ruleset>::dangling().as_ptr().cast_const();
    let (mut rules, mut error) = (sentinel, ptr::null());
    let opt_ptr = options.as_ref().map_or(ptr::null(), |o| o as *const corsmatch_options);
    let out_rules = if want_rules { &mut rules as *mut _ } else { ptr::null_mut() };
    let out_error = if want_error { &mut error as *mut _ } else { ptr::null_mut() };
    // SAFETY: the document points to its length; the options and the outputs are valid.
    let r = unsafe { corsmatch_ruleset_new(xml, xml_len, raw_profile, opt_ptr, out_rules, out_error) };
    // What the core answers for the same document.
    let doc_value = match &document {
        Arg::Absent => Ok(&[][..]),
        Arg::Bytes(b) => Ok(&b[..]),
        other => Err(other.value().unwrap_err()),
    };
    let mut errors = Vec::new();
    errors.extend(doc_value.err());
    if profile.is_none() {
        errors.push(CORSMATCH_INVALID_ARGUMENT);
    }
    if !want_rules {
        errors.push(CORSMATCH_NULL_PARAMETER);
    }
    let core = match (profile, doc_value) {
        (Some(p), Ok(bytes)) => Some(core_options(p, options.as_ref()).compile_xml(bytes)),
        _ => None,
    };
    if errors.is_empty() {
        if let Some(Err(e)) = &core {
            assert_eq!(r, CORSMATCH_CONFIG_ERROR, "corsmatch_ruleset_new accepted what the core refuses: {e}");
            assert_eq!(rules, sentinel, "out_ruleset written on an error");
            if want_error {
                check_error(error, e, &mut input);
            }
            // SAFETY: NULL or the handle just received.
            unsafe { corsmatch_error_free(error) };
            rules = ptr::null();
        }
    }
    let core = match core {
        Some(Ok(set)) if errors.is_empty() => {
            assert!(expect(r, &[], "corsmatch_ruleset_new"));
            assert_eq!(error, ptr::null(), "out_error written on success");
            // SAFETY: a live rule set.
            unsafe {
                assert_eq!(corsmatch_ruleset_rule_count(rules), set.config().map_or(0, |c| c.rules.len()));
                assert_eq!(corsmatch_ruleset_memory_usage(rules), set.memory_usage());
            }
            Some(set)
        }
        _ => {
            if !errors.is_empty() {
                expect(r, &errors, "corsmatch_ruleset_new");
                assert_eq!((rules, error), (sentinel, ptr::null()), "outputs written on an error");
                rules = ptr::null();
            }
            // Fall back on a bucket without configuration, or no handle at all.
            match profile.filter(|_| input.byte() % 4 != 0) {
                Some(p) => {
                    // SAFETY: `rules` is writable.
                    assert_eq!(unsafe { corsmatch_ruleset_no_config(raw_profile, &mut rules) }, CORSMATCH_OK);
                    Some(RuleSet::no_config(p))
                }
                None => None,
            }
        }
    };
    let mut scratch = ptr::null_mut();
    // SAFETY: `scratch` is writable.
    assert_eq!(unsafe { corsmatch_scratch_new(&mut scratch) }, CORSMATCH_OK);
    while !input.0.is_empty() {
        calls(&mut input, rules, scratch, core.as_ref());
    }
    // SAFETY: handles from this function, freed once; NULL is accepted.
    unsafe {
        corsmatch_scratch_free(scratch);
        corsmatch_ruleset_free(rules);
        corsmatch_scratch_free(ptr::null_mut());
        corsmatch_ruleset_free(ptr::null());
        corsmatch_error_free(ptr::null());
        assert_eq!(corsmatch_ruleset_rule_count(ptr::null()), 0);
        assert_eq!(text(corsmatch_error_code(ptr::null())), "");
        assert_eq!(text(corsmatch_version()), corsmatch::VERSION);
        let name = text(corsmatch_result_name(data.len() as u32 % 10));
        assert!(name == "unknown" || name.starts_with("CORSMATCH_"), "{name}");
    }
}

/// One preflight, actual request or explanation with arguments of every shape.
fn calls(
    input: &mut Input<'_>,
    rules: *const corsmatch_ruleset,
    scratch: *mut corsmatch_scratch,
    core: Option<&RuleSet>,
) {
    let kind = input.byte() % 3;
    let args: Vec<Arg> = (0..6).map(|_| Arg::read(input)).collect();
    let [method, origin, acrm, acrh, rid, hid] = &args[..] else { unreachable!() };
    let raw_target = match input.byte() % 8 {
        7 => 3 + input.byte() as u32,
        t => t as u32 % 3,
    };
    let flags = input.byte();
    let rules = if flags & 1 == 0 { rules } else { ptr::null() };
    let scratch = if flags & 2 == 0 { scratch } else { ptr::null_mut() };
    let mut errors: Vec<corsmatch_result> = [origin, acrm, acrh].iter().filter_map(|a| a.value().err()).collect();
    errors.extend(target_of(raw_target).err());
    if rules.is_null() {
        errors.push(CORSMATCH_NULL_PARAMETER);
    }
    let ((op, ol), (ap, al), (hp, hl)) = (origin.ptr_len(), acrm.ptr_len(), acrh.ptr_len());
    let (mp, ml) = method.ptr_len();
    let method_value = match kind {
        0 => Ok(Some("OPTIONS")),
        _ => method.value(),
    };
    match method_value {
        Err(e) => errors.push(e),
        Ok(None) if kind != 0 => errors.push(CORSMATCH_NULL_PARAMETER),
        Ok(Some("OPTIONS")) if kind == 1 => errors.push(CORSMATCH_INVALID_ARGUMENT),
        _ => {}
    }
    fn valid(a: &Arg) -> Option<&str> {
        a.value().ok().flatten()
    }
    let req = Request {
        method: method_value.ok().flatten().unwrap_or(""),
        origin: valid(origin),
        acrm: valid(acrm),
        acrh: valid(acrh),
        target: target_of(raw_target).unwrap_or_default(),
        request_id: if kind == 0 { valid(rid) } else { None },
        host_id: if kind == 0 { valid(hid) } else { None },
    };
    if kind == 2 {
        // SAFETY: the strings point to their lengths; buffers as `read_buffer` passes them.
        let json = read_buffer(&errors, "corsmatch_explain", |b, n, out| unsafe {
            corsmatch_explain(rules, mp, ml, op, ol, ap, al, hp, hl, raw_target, b, n, out)
        });
        if let (Some(json), Some(set)) = (json.filter(|_| errors.is_empty()), core) {
            let winner = set.explain(&req).winner.map_or("null".to_string(), |w| w.to_string());
            assert!(json.contains(&format!("\"winner\":{winner}")), "{json}");
        }
        return;
    }
    if kind == 0 {
        errors.extend([rid, hid].iter().filter_map(|a| a.value().err()));
    }
    if scratch.is_null() {
        errors.push(CORSMATCH_NULL_PARAMETER);
    }
    let with_out = flags & 4 == 0;
    if !with_out {
        errors.push(CORSMATCH_NULL_PARAMETER);
    }
    let mut out = std::mem::MaybeUninit::<corsmatch_decision>::uninit();
    // SAFETY: a byte pattern to see whether the call wrote anything.
    unsafe { ptr::write_bytes(out.as_mut_ptr().cast::<u8>(), 0xa5, std::mem::size_of::<corsmatch_decision>()) };
    let out_ptr = if with_out { out.as_mut_ptr() } else { ptr::null_mut() };
    let ((rp, rl), (hp2, hl2)) = (rid.ptr_len(), hid.ptr_len());
    // SAFETY: the handles are live or NULL; the strings point to their lengths.
    let r = unsafe {
        match kind {
            0 => corsmatch_preflight(rules, scratch, op, ol, ap, al, hp, hl, raw_target, rp, rl, hp2, hl2, out_ptr),
            _ => corsmatch_actual(rules, scratch, mp, ml, op, ol, ap, al, hp, hl, raw_target, out_ptr),
        }
    };
    if !expect(r, &errors, if kind == 0 { "corsmatch_preflight" } else { "corsmatch_actual" }) {
        // SAFETY: reading the bytes of the struct as the pattern written above.
        let bytes =
            unsafe { std::slice::from_raw_parts(out.as_ptr().cast::<u8>(), std::mem::size_of::<corsmatch_decision>()) };
        assert!(bytes.iter().all(|&b| b == 0xa5), "the decision was written on an error");
        return;
    }
    // SAFETY: written on success.
    let decision = unsafe { out.assume_init() };
    let set = core.expect("a rule set whenever a call succeeds");
    assert_eq!(response_of(&decision, kind == 0), set.respond(&req), "for {req:?}");
}
