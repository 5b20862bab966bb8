//! The C ABI's cost over `RuleSet::evaluate`, timed side by side in one process: the library
//! built for C (`libcorsmatch.so`, loaded with `dlopen`) and the core crate called directly
//! run in alternating batches on the workload and requests of `ffi-c/bench/bench.c`, and
//! the gap is the median of the per-round differences. Timing the two in separate processes
//! (`bench.c` against `evaluate_bench`) lets this VM's speed drift between them, by more than
//! the gap itself.
//!
//! `cargo run --release -p corsmatch-ffi --example abi_gap -- LIBCORSMATCH.so WORKLOAD.xml [ROUNDS]`
//! (ffi-c/bench/run.sh runs it after the other two). Linux and other systems whose libc has
//! `dlopen`.

use std::ffi::{c_char, c_int, c_void, CStr, CString};
use std::hint::black_box;
use std::time::Duration;

use corsmatch::{Options, Profile, Request, Scratch, Target};
use corsmatch_benches::paired_ns;

#[path = "../bench/cases.rs"]
mod cases;

/// `corsmatch_str` and the rest of `corsmatch_decision` as `corsmatch.h` lays them out.
#[repr(C)]
#[derive(Clone, Copy)]
struct Str {
    data: *const c_char,
    len: usize,
}

#[repr(C)]
#[derive(Clone, Copy)]
struct Header {
    name: Str,
    value: Str,
}

#[repr(C)]
struct Decision {
    status: u16,
    refused: bool,
    refusal: u32,
    rule: i64,
    header_count: usize,
    headers: [Header; 7],
    error_code: Str,
    error_message: Str,
    error_body: Str,
}

type RulesetNew =
    unsafe extern "C" fn(*const c_char, usize, u32, *const c_void, *mut *const c_void, *mut *const c_void) -> u32;
type ScratchNew = unsafe extern "C" fn(*mut *mut c_void) -> u32;
type Preflight = unsafe extern "C" fn(
    *const c_void,
    *mut c_void,
    *const c_char,
    usize,
    *const c_char,
    usize,
    *const c_char,
    usize,
    u32,
    *const c_char,
    usize,
    *const c_char,
    usize,
    *mut Decision,
) -> u32;
type Actual = unsafe extern "C" fn(
    *const c_void,
    *mut c_void,
    *const c_char,
    usize,
    *const c_char,
    usize,
    *const c_char,
    usize,
    *const c_char,
    usize,
    u32,
    *mut Decision,
) -> u32;

const RTLD_NOW: c_int = 2;
const CORSMATCH_PROFILE_S3: u32 = 1;
const CORSMATCH_TARGET_OBJECT: u32 = 0;

extern "C" {
    fn dlopen(filename: *const c_char, flag: c_int) -> *mut c_void;
    fn dlsym(handle: *mut c_void, symbol: *const c_char) -> *mut c_void;
    fn dlerror() -> *const c_char;
}

/// The C library's entry points this benchmark calls.
struct Lib {
    ruleset_new: RulesetNew,
    scratch_new: ScratchNew,
    preflight: Preflight,
    actual: Actual,
}

impl Lib {
    fn open(path: &str) -> Lib {
        let path = CString::new(path).expect("a path without NUL");
        // SAFETY: a NUL-terminated path; the library stays loaded until the process ends.
        let handle = unsafe { dlopen(path.as_ptr(), RTLD_NOW) };
        if handle.is_null() {
            // SAFETY: dlerror describes the failed dlopen as a C string.
            panic!("dlopen: {}", unsafe { CStr::from_ptr(dlerror()) }.to_string_lossy());
        }
        let sym = |name: &CStr| {
            // SAFETY: a live handle and a NUL-terminated name.
            let p = unsafe { dlsym(handle, name.as_ptr()) };
            assert!(!p.is_null(), "{name:?} is not in the library");
            p
        };
        // SAFETY: each symbol is the exported function of that name, with the signature of
        // corsmatch.h written out above.
        unsafe {
            Lib {
                ruleset_new: std::mem::transmute::<*mut c_void, RulesetNew>(sym(c"corsmatch_ruleset_new")),
                scratch_new: std::mem::transmute::<*mut c_void, ScratchNew>(sym(c"corsmatch_scratch_new")),
                preflight: std::mem::transmute::<*mut c_void, Preflight>(sym(c"corsmatch_preflight")),
                actual: std::mem::transmute::<*mut c_void, Actual>(sym(c"corsmatch_actual")),
            }
        }
    }
}

/// A string argument: `(NULL, 0)` when absent.
fn arg(s: Option<&str>) -> (*const c_char, usize) {
    s.map_or((std::ptr::null(), 0), |s| (s.as_ptr().cast(), s.len()))
}

/// A request's arguments for the C ABI, made once before the timed loop, as `bench.c`
/// measures its lengths once: `method` is `None` for a preflight.
struct CRequest {
    method: Option<(*const c_char, usize)>,
    origin: (*const c_char, usize),
    acrm: (*const c_char, usize),
    acrh: (*const c_char, usize),
}

impl CRequest {
    fn new(req: &Request<'static>) -> CRequest {
        assert_eq!(req.target, Target::Object, "the C calls below pass CORSMATCH_TARGET_OBJECT");
        CRequest {
            method: (!req.is_preflight()).then(|| arg(Some(req.method))),
            origin: arg(req.origin),
            acrm: arg(req.acrm),
            acrh: arg(req.acrh),
        }
    }
}

/// One request through the C ABI, as `bench.c`'s `run` makes it.
///
/// # Safety
/// `rules` and `scratch` are live handles of `lib`; the strings of `r` are live.
unsafe fn call(lib: &Lib, rules: *const c_void, scratch: *mut c_void, r: &CRequest, d: *mut Decision) -> u32 {
    let (origin, acrm, acrh) = (r.origin, r.acrm, r.acrh);
    // SAFETY: the caller's handles, strings that live for the call, a writable decision.
    unsafe {
        match r.method {
            None => {
                let none = std::ptr::null();
                (lib.preflight)(
                    rules,
                    scratch,
                    origin.0,
                    origin.1,
                    acrm.0,
                    acrm.1,
                    acrh.0,
                    acrh.1,
                    CORSMATCH_TARGET_OBJECT,
                    none,
                    0,
                    none,
                    0,
                    d,
                )
            }
            Some(method) => (lib.actual)(
                rules,
                scratch,
                method.0,
                method.1,
                origin.0,
                origin.1,
                acrm.0,
                acrm.1,
                acrh.0,
                acrh.1,
                CORSMATCH_TARGET_OBJECT,
                d,
            ),
        }
    }
}

fn text(s: Str) -> String {
    // SAFETY: the library's strings are `len` bytes of UTF-8 at `data`, valid until the next
    // call with the scratch.
    String::from_utf8(unsafe { std::slice::from_raw_parts(s.data.cast::<u8>(), s.len) }.to_vec()).expect("UTF-8")
}

fn main() {
    let mut args = std::env::args().skip(1);
    let usage = "usage: abi_gap LIBCORSMATCH.so WORKLOAD.xml [ROUNDS]";
    let lib = Lib::open(&args.next().expect(usage));
    let xml = std::fs::read(args.next().expect(usage)).expect("read the workload");
    let rounds: usize = args.next().map_or(41, |n| n.parse().expect("ROUNDS is a number"));
    let rules = Options::new(Profile::S3).compile_xml(&xml).expect("the workload compiles");
    let (mut c_rules, mut c_scratch) = (std::ptr::null(), std::ptr::null_mut());
    // SAFETY: the document's bytes, NULL options (the defaults), writable out pointers.
    unsafe {
        assert_eq!(
            (lib.ruleset_new)(
                xml.as_ptr().cast(),
                xml.len(),
                CORSMATCH_PROFILE_S3,
                std::ptr::null(),
                &mut c_rules,
                std::ptr::null_mut()
            ),
            0
        );
        assert_eq!((lib.scratch_new)(&mut c_scratch), 0);
    }
    let mut scratch = Scratch::new();
    let mut out = std::mem::MaybeUninit::<Decision>::uninit();
    println!(
        "rules: {}; {rounds} rounds of at least 2 ms each side; medians",
        rules.config().map_or(0, |c| c.rules.len())
    );
    println!("{:<18} {:>10} {:>10} {:>10} {:>7}", "request", "evaluate", "C ABI", "gap", "ratio");
    for case in cases::cases() {
        // Both answer the same, header by header: the layout above is corsmatch.h's.
        let d = rules.evaluate(&case.req, &mut scratch);
        assert_eq!((d.status, d.rule), (case.status, case.rule), "{}: unexpected answer", case.name);
        let want: Vec<(String, String)> = d.headers().map(|(n, v)| (n.to_string(), v.to_string())).collect();
        // SAFETY: live handles; `out` is written on 0 (CORSMATCH_OK) and read only then.
        let c_req = CRequest::new(&case.req);
        let c = unsafe {
            assert_eq!(call(&lib, c_rules, c_scratch, &c_req, out.as_mut_ptr()), 0, "{}", case.name);
            out.assume_init_ref()
        };
        assert_eq!((c.status, c.rule), (d.status.unwrap_or(0), d.rule.map_or(-1, |r| r as i64)), "{}", case.name);
        let got: Vec<(String, String)> =
            c.headers[..c.header_count].iter().map(|h| (text(h.name), text(h.value))).collect();
        assert_eq!(got, want, "{}", case.name);

        let req = &case.req;
        let p = paired_ns(
            rounds,
            Duration::from_millis(2),
            || {
                let d = rules.evaluate(black_box(req), &mut scratch);
                d.headers().count() + usize::from(d.status.unwrap_or(0))
            },
            || {
                // SAFETY: as above.
                unsafe {
                    call(&lib, c_rules, c_scratch, black_box(&c_req), out.as_mut_ptr());
                    let d = out.assume_init_ref();
                    d.header_count + usize::from(d.status)
                }
            },
        );
        println!("{:<18} {:>7.1} ns {:>7.1} ns {:>7.1} ns {:>7.3}", case.name, p.a_ns, p.b_ns, p.diff_ns, p.ratio);
    }
}
