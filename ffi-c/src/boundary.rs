//! The two gates every exported function goes through: the panic boundary and the pointer
//! checks. Keeping them in one place is what lets each exported function stay short and its
//! `unsafe` obvious.

use std::ffi::c_char;
use std::ptr::NonNull;

use crate::{corsmatch_result, corsmatch_str};

/// How an exported function's return value is made from its body's `Result`, and what it
/// returns when the body panicked.
pub(crate) trait FfiReturn: Sized {
    /// What the body produces on success.
    type Value;
    fn from_result(r: Result<Self::Value, corsmatch_result>) -> Self;
    fn on_panic() -> Self;
}

/// Fallible functions: `Ok(())` is `CORSMATCH_OK`, an error is its own code.
impl FfiReturn for corsmatch_result {
    type Value = ();
    fn from_result(r: Result<(), corsmatch_result>) -> Self {
        match r {
            Ok(()) => corsmatch_result::CORSMATCH_OK,
            Err(e) => e,
        }
    }
    fn on_panic() -> Self {
        corsmatch_result::CORSMATCH_PANIC
    }
}

/// Accessors: a NULL handle (or a panic) gives the empty string.
impl FfiReturn for corsmatch_str {
    type Value = corsmatch_str;
    fn from_result(r: Result<corsmatch_str, corsmatch_result>) -> Self {
        r.unwrap_or(corsmatch_str::EMPTY)
    }
    fn on_panic() -> Self {
        corsmatch_str::EMPTY
    }
}

/// `_free` functions.
impl FfiReturn for () {
    type Value = ();
    fn from_result(_: Result<(), corsmatch_result>) -> Self {}
    fn on_panic() -> Self {}
}

/// Numeric accessors: a NULL handle (or a panic) gives 0.
macro_rules! zero_on_error {
    ($($t:ty),*) => {$(
        impl FfiReturn for $t {
            type Value = $t;
            fn from_result(r: Result<$t, corsmatch_result>) -> Self {
                r.unwrap_or(0)
            }
            fn on_panic() -> Self {
                0
            }
        }
    )*};
}
zero_on_error!(u16, usize);

/// Runs an exported function's body in a closure returning `Result<_, corsmatch_result>`
/// (so `?` works), converts the result to the function's return type, and turns a panic into
/// that type's panic value (`CORSMATCH_PANIC`, the empty string, 0): no unwind ever crosses
/// into C. Every exported function's whole body is one invocation of this macro.
macro_rules! ffi_panic_boundary {
    ($($body:tt)*) => {{
        let run = || -> ::std::result::Result<_, $crate::corsmatch_result> { $($body)* };
        match ::std::panic::catch_unwind(::std::panic::AssertUnwindSafe(run)) {
            Ok(result) => $crate::boundary::FfiReturn::from_result(result),
            Err(_) => $crate::boundary::FfiReturn::on_panic(),
        }
    }};
}
pub(crate) use ffi_panic_boundary;

/// The one null check. Every pointer received from C goes through here (directly or through
/// the helpers below) before it is dereferenced.
#[inline]
pub(crate) fn non_null<T>(ptr: *const T) -> Result<NonNull<T>, corsmatch_result> {
    NonNull::new(ptr.cast_mut()).ok_or(corsmatch_result::CORSMATCH_NULL_PARAMETER)
}

/// A shared reference to a handle.
///
/// # Safety
/// `ptr` is NULL or points to a live `T` that nobody mutates for `'a`.
#[inline]
pub(crate) unsafe fn try_ref<'a, T>(ptr: *const T) -> Result<&'a T, corsmatch_result> {
    // SAFETY: non-null checked; liveness and aliasing are the caller's contract.
    Ok(unsafe { non_null(ptr)?.as_ref() })
}

/// An exclusive reference to a handle.
///
/// # Safety
/// `ptr` is NULL or points to a live `T` that nothing else accesses for `'a`.
#[inline]
pub(crate) unsafe fn try_mut<'a, T>(ptr: *mut T) -> Result<&'a mut T, corsmatch_result> {
    // SAFETY: non-null checked; exclusivity is the caller's contract (one scratch per thread).
    Ok(unsafe { non_null(ptr)?.as_mut() })
}

/// An output location, checked but not read (it may be uninitialised); write with
/// [`NonNull::write`].
#[inline]
pub(crate) fn try_out<T>(ptr: *mut T) -> Result<NonNull<T>, corsmatch_result> {
    non_null(ptr)
}

/// Moves `value` to the heap and writes its address to `out`: a handle the caller gives back
/// to the matching `_free`, which calls [`free_handle`].
///
/// # Safety
/// `out` is writable.
#[inline]
pub(crate) unsafe fn hand_out<T>(out: NonNull<*mut T>, value: T) {
    // SAFETY: writable (caller's contract).
    unsafe { out.write(Box::into_raw(Box::new(value))) };
}

/// Frees a handle made by [`hand_out`]; NULL is a no-op.
///
/// # Safety
/// `handle` is NULL or came from `hand_out` and is freed once, and not used after.
#[inline]
pub(crate) unsafe fn free_handle<T>(handle: *const T) {
    if let Ok(handle) = non_null(handle) {
        // SAFETY: it came from `Box::into_raw` (caller's contract) and is dropped once.
        drop(unsafe { Box::from_raw(handle.as_ptr()) });
    }
}

/// Bytes given as pointer + length. `(NULL, 0)` is `None` (absent); `(NULL, n > 0)` is an
/// error; a length over `isize::MAX` cannot describe real memory and is refused before any
/// slice is formed.
///
/// # Safety
/// A non-NULL `ptr` points to `len` readable bytes that stay unchanged for `'a`.
#[inline(always)]
pub(crate) unsafe fn try_bytes<'a>(ptr: *const c_char, len: usize) -> Result<Option<&'a [u8]>, corsmatch_result> {
    let ptr = match non_null(ptr) {
        Ok(p) => p,
        Err(_) if len == 0 => return Ok(None),
        Err(e) => return Err(e),
    };
    if len > isize::MAX as usize {
        return Err(corsmatch_result::CORSMATCH_INPUT_TOO_LARGE);
    }
    // SAFETY: non-null, length within isize::MAX, and the caller promises `len` readable bytes.
    Ok(Some(unsafe { std::slice::from_raw_parts(ptr.as_ptr().cast::<u8>(), len) }))
}

/// A request string given as pointer + length; `None` when absent (`NULL`, 0). It must be
/// UTF-8 (`CORSMATCH_INVALID_UTF8`, checked first) and hold no CR, LF or NUL
/// (`CORSMATCH_INVALID_HEADER_VALUE`): request strings are echoed into response headers and
/// error bodies, where CR or LF would split the response. Every request string of every
/// exported function goes through here.
///
/// # Safety
/// As [`try_bytes`].
#[inline(always)]
pub(crate) unsafe fn try_request_str<'a>(ptr: *const c_char, len: usize) -> Result<Option<&'a str>, corsmatch_result> {
    // SAFETY: forwarded contract.
    let Some(bytes) = unsafe { try_bytes(ptr, len) }? else { return Ok(None) };
    let scan = Scan::of(bytes);
    let text = if scan.ascii {
        // Header values are ASCII in practice, and checking that is cheaper than full UTF-8.
        // SAFETY: ASCII is valid UTF-8.
        unsafe { std::str::from_utf8_unchecked(bytes) }
    } else {
        std::str::from_utf8(bytes).map_err(|_| corsmatch_result::CORSMATCH_INVALID_UTF8)?
    };
    // Bytes below 0x0E are rare (a tab, at most): only then is each byte looked at.
    if scan.low && bytes.iter().any(|&b| matches!(b, b'\r' | b'\n' | 0)) {
        return Err(corsmatch_result::CORSMATCH_INVALID_HEADER_VALUE);
    }
    Ok(Some(text))
}

/// One pass over a request string, eight bytes at a time: whether it is ASCII, and whether
/// any byte is below 0x0E (where CR, LF and NUL are). It replaces the `is_ascii` check that
/// was here before: callgrind counts the same instructions for a matched preflight of
/// ffi-c/bench (1,919 against 1,920 per call), and about 25 more for a denied preflight or
/// an actual request.
struct Scan {
    ascii: bool,
    low: bool,
}

impl Scan {
    #[inline(always)]
    fn of(bytes: &[u8]) -> Scan {
        const ONES: u64 = u64::MAX / 255;
        const HIGH: u64 = ONES * 0x80;
        let n = bytes.len();
        #[cfg(target_arch = "x86_64")]
        if n >= 16 {
            return Scan::of_sse2(bytes);
        }
        if n < 8 {
            let (mut high, mut low) = (0u8, false);
            for &b in bytes {
                high |= b;
                low |= b < 0x0E;
            }
            return Scan { ascii: high < 0x80, low };
        }
        // SAFETY: `at + 8 <= n` for every read below.
        let word = |at: usize| unsafe { bytes.as_ptr().add(at).cast::<u64>().read_unaligned() };
        // `(w - 0x0E0E..) & !w & 0x8080..` is non-zero exactly when some byte of `w` is below
        // 0x0E (`hasless(w, 14)` of Bit Twiddling Hacks: a borrow can flag a wrong byte, but
        // only after a right one); OR-ing the words' results keeps that. The last word
        // overlaps the one before it.
        let (mut all, mut below) = (0u64, 0u64);
        let mut at = 0;
        loop {
            let w = word(at);
            all |= w;
            below |= w.wrapping_sub(ONES * 0x0E) & !w;
            at += 8;
            if at >= n {
                break;
            }
            at = at.min(n - 8);
        }
        Scan { ascii: all & HIGH == 0, low: below & HIGH != 0 }
    }

    /// [`Scan::of`] sixteen bytes at a time, for strings of 16 bytes or more (origins and
    /// ACRH lists are). The compare is signed, so bytes from 0x80 up count as low too: `low`
    /// only sends a string to the exact byte check, which then finds no CR, LF or NUL.
    /// callgrind: 1,862 instead of 1,894 instructions per matched preflight of ffi-c/bench,
    /// 1,008 instead of 1,027 per actual request.
    #[cfg(target_arch = "x86_64")]
    #[inline(always)]
    fn of_sse2(bytes: &[u8]) -> Scan {
        use std::arch::x86_64::{
            __m128i, _mm_cmplt_epi8, _mm_loadu_si128, _mm_movemask_epi8, _mm_or_si128, _mm_set1_epi8, _mm_setzero_si128,
        };
        let n = bytes.len();
        debug_assert!(n >= 16);
        // SAFETY: SSE2 is part of x86_64. Every load reads the 16 bytes from `at`, and
        // `at + 16 <= n` holds for each (the last load overlaps the one before it).
        unsafe {
            let limit = _mm_set1_epi8(0x0E);
            let (mut all, mut below) = (_mm_setzero_si128(), _mm_setzero_si128());
            let mut at = 0;
            loop {
                let v = _mm_loadu_si128(bytes.as_ptr().add(at).cast::<__m128i>());
                all = _mm_or_si128(all, v);
                below = _mm_or_si128(below, _mm_cmplt_epi8(v, limit));
                at += 16;
                if at >= n {
                    break;
                }
                at = at.min(n - 16);
            }
            Scan { ascii: _mm_movemask_epi8(all) == 0, low: _mm_movemask_epi8(below) != 0 }
        }
    }
}

/// Copies `text` into the caller's buffer. Always stores the needed length in `out_len`
/// (when non-NULL), so a caller can ask with a NULL buffer and size 0 first.
///
/// # Safety
/// A non-NULL `buf` points to `buf_len` writable bytes.
pub(crate) unsafe fn write_out(
    text: &[u8],
    buf: *mut c_char,
    buf_len: usize,
    out_len: *mut usize,
) -> Result<(), corsmatch_result> {
    let out_len = try_out(out_len)?;
    // SAFETY: checked non-null; a usize needs no initialised memory to be overwritten.
    unsafe { out_len.write(text.len()) };
    if text.len() > buf_len {
        return Err(corsmatch_result::CORSMATCH_BUFFER_TOO_SMALL);
    }
    if text.is_empty() {
        return Ok(());
    }
    let buf = non_null(buf)?;
    // SAFETY: `buf` has `buf_len >= text.len()` writable bytes (caller's contract), and Rust
    // memory cannot overlap a buffer the caller owns and lent us as writable.
    unsafe { std::ptr::copy_nonoverlapping(text.as_ptr(), buf.as_ptr().cast::<u8>(), text.len()) };
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every byte value at every position of strings of 1 to 40 bytes (ASCII or not): the
    /// word-at-a-time scan answers as a byte-by-byte check does.
    #[test]
    fn the_scan_agrees_with_a_byte_by_byte_check() {
        let base: Vec<u8> = "https://\u{e9}.example.com/\u{1f600}/abcdefghijklm".bytes().collect();
        for len in 1..=40 {
            for at in 0..len {
                for byte in 0..=255u8 {
                    let mut bytes = base[..len].to_vec();
                    bytes[at] = byte;
                    let want = match std::str::from_utf8(&bytes) {
                        Err(_) => Err(corsmatch_result::CORSMATCH_INVALID_UTF8),
                        Ok(_) if bytes.iter().any(|&b| b == b'\r' || b == b'\n' || b == 0) => {
                            Err(corsmatch_result::CORSMATCH_INVALID_HEADER_VALUE)
                        }
                        Ok(text) => Ok(Some(text)),
                    };
                    // SAFETY: `bytes` is `len` readable bytes.
                    let got = unsafe { try_request_str(bytes.as_ptr().cast(), len) };
                    assert_eq!(got, want, "{bytes:?}");
                }
            }
        }
    }

    #[test]
    fn request_strings_refuse_cr_lf_and_nul_anywhere() {
        let base = "https://www.example.com/".repeat(5); // 120 bytes
        for len in [1, 2, 7, 8, 9, 15, 16, 17, 31, 32, 33, 64, 100, base.len()] {
            let text = &base[..len];
            // SAFETY: `text` is `len` readable bytes.
            assert_eq!(unsafe { try_request_str(text.as_ptr().cast(), len) }, Ok(Some(text)));
            for bad in [b'\r', b'\n', 0] {
                for at in [0, len / 2, len - 1] {
                    let mut bytes = text.as_bytes().to_vec();
                    bytes[at] = bad;
                    // SAFETY: `bytes` is `len` readable bytes.
                    let r = unsafe { try_request_str(bytes.as_ptr().cast(), len) };
                    assert_eq!(r, Err(corsmatch_result::CORSMATCH_INVALID_HEADER_VALUE), "{bad:#x} at {at} of {len}");
                }
            }
        }
        // Other control characters are not this check's business, short or long, nor is
        // non-ASCII text; invalid UTF-8 is named first.
        let long_ok = format!("{base}\t\u{1}\u{b}\u{c}\u{e}\u{7f}caf\u{e9}\u{10ffff}");
        for ok in ["a\tb", "a\u{1}b", "a\u{7f}b", "caf\u{e9}", "\u{e9}\u{e9}\u{e9}\u{e9}\u{e9}", &long_ok] {
            // SAFETY: as above.
            assert_eq!(unsafe { try_request_str(ok.as_ptr().cast(), ok.len()) }, Ok(Some(ok)));
        }
        for bad in [format!("{long_ok}\r"), format!("\u{e9}\u{e9}\u{e9}\u{e9}\n{long_ok}"), "caf\u{e9}\0".to_string()] {
            // SAFETY: as above.
            let r = unsafe { try_request_str(bad.as_ptr().cast(), bad.len()) };
            assert_eq!(r, Err(corsmatch_result::CORSMATCH_INVALID_HEADER_VALUE), "{bad:?}");
        }
        let both = b"\xff\r\n";
        // SAFETY: as above.
        let r = unsafe { try_request_str(both.as_ptr().cast(), both.len()) };
        assert_eq!(r, Err(corsmatch_result::CORSMATCH_INVALID_UTF8));
    }
}
