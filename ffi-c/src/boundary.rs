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
/// exported function goes through here, or through [`Plain`], which accepts only what this
/// accepts.
///
/// # Safety
/// As [`try_bytes`].
#[inline(always)]
pub(crate) unsafe fn try_request_str<'a>(ptr: *const c_char, len: usize) -> Result<Option<&'a str>, corsmatch_result> {
    // SAFETY: forwarded contract.
    let Some(bytes) = unsafe { try_bytes(ptr, len) }? else { return Ok(None) };
    let mut check = Check::new();
    check.add(bytes);
    if check.plain() {
        // Header values are printable ASCII in practice, and checking that is cheaper than
        // full UTF-8.
        // SAFETY: ASCII is valid UTF-8.
        return Ok(Some(unsafe { std::str::from_utf8_unchecked(bytes) }));
    }
    let text = std::str::from_utf8(bytes).map_err(|_| corsmatch_result::CORSMATCH_INVALID_UTF8)?;
    if bytes.iter().any(|&b| matches!(b, b'\r' | b'\n' | 0)) {
        return Err(corsmatch_result::CORSMATCH_INVALID_HEADER_VALUE);
    }
    Ok(Some(text))
}

/// The request strings of one call, checked together. [`Plain::strs`] gives `Some` (each
/// string as [`try_request_str`] would give it) when every pointer is acceptable and every
/// byte is in 0x0E..=0x7F (ASCII without control characters up to CR), as request strings
/// are in practice; `None` otherwise, and then the caller checks each string with
/// [`try_request_str`] in its own order, which finds the error and its code. One flag for
/// all the strings, and one load or two for a short one, cost fewer instructions than
/// [`try_request_str`] on each (callgrind, ffi-c/bench: the boundary's instructions per call
/// down from 349 to 284 for a matched preflight, 231 to 190 denied, 275 to 241 for an actual
/// request). The strings are added one by one in a closure (rather than given as an array)
/// so that each is checked in straight-line code, its pointer and length in registers.
pub(crate) struct Plain {
    check: Check,
}

impl Plain {
    /// Runs `add_all`, which [`Plain::add`]s each string, and says whether they are all plain.
    #[inline(always)]
    pub(crate) fn strs<'a, const N: usize>(
        add_all: impl FnOnce(&mut Plain) -> Option<[Option<&'a [u8]>; N]>,
    ) -> Option<[Option<&'a str>; N]> {
        let mut plain = Plain { check: Check::new() };
        let all = add_all(&mut plain)?;
        if !plain.check.plain() {
            return None;
        }
        // SAFETY: every byte is ASCII, which is valid UTF-8.
        Some(all.map(|b| b.map(|b| unsafe { std::str::from_utf8_unchecked(b) })))
    }

    /// One string: `None` when [`try_bytes`] refuses it.
    ///
    /// # Safety
    /// As [`try_bytes`].
    #[inline(always)]
    pub(crate) unsafe fn add<'a>(&mut self, ptr: *const c_char, len: usize) -> Option<Option<&'a [u8]>> {
        // SAFETY: forwarded contract.
        let bytes = unsafe { try_bytes(ptr, len) }.ok()?;
        if let Some(b) = bytes {
            self.check.add(b);
        }
        Some(bytes)
    }
}

/// Whether every byte of some strings is in 0x0E..=0x7F: ASCII (so UTF-8) with no byte below
/// 0x0E (where CR, LF and NUL are). A string that fails it is not necessarily refused (a tab,
/// non-ASCII UTF-8): it goes to the exact checks. Each string is read in as few loads as its
/// length allows, all within it (the last overlaps the one before): 16 bytes at a time from
/// 16 bytes on, two words from 8, two half-words from 4, two quarter-words from 2.
struct Check {
    /// A byte's high bit set: that byte, or one below it in the same word, is not plain
    /// (see [`Check::flag`]).
    word: u64,
    /// A byte set: that byte (signed) is below 0x0E, that is below 0x0E or from 0x80 up.
    #[cfg(target_arch = "x86_64")]
    vec: std::arch::x86_64::__m128i,
}

impl Check {
    const ONES: u64 = u64::MAX / 255;
    const HIGH: u64 = Check::ONES * 0x80;

    #[inline(always)]
    fn new() -> Check {
        Check {
            word: 0,
            // SAFETY: SSE2 is part of x86_64.
            #[cfg(target_arch = "x86_64")]
            vec: unsafe { std::arch::x86_64::_mm_setzero_si128() },
        }
    }

    /// For each byte of `w`, its high bit is set in the result when the byte is from 0x80
    /// up, or below 0x0E (`w - 0x0E0E..` borrows there and leaves the high bit set). A
    /// borrow may set a wrong byte's high bit, but only above a byte that is rightly set, so
    /// the word as a whole is right: some high bit is set exactly when some byte is not plain.
    #[inline(always)]
    fn flag(w: u64) -> u64 {
        w.wrapping_sub(Check::ONES * 0x0E) | w
    }

    /// [`Check::flag`] for four bytes.
    #[inline(always)]
    fn flag32(w: u32) -> u32 {
        w.wrapping_sub(0x0E0E_0E0E) | w
    }

    #[inline(always)]
    fn plain(&self) -> bool {
        #[cfg(target_arch = "x86_64")]
        // SAFETY: SSE2 is part of x86_64.
        let vec = unsafe { std::arch::x86_64::_mm_movemask_epi8(self.vec) } != 0;
        #[cfg(not(target_arch = "x86_64"))]
        let vec = false;
        self.word & Check::HIGH == 0 && !vec
    }

    #[inline(always)]
    fn add(&mut self, bytes: &[u8]) {
        let n = bytes.len();
        let p = bytes.as_ptr();
        // SAFETY (every read below): `at + size <= n` for a read of `size` bytes at `at`.
        let u64_at = |at: usize| unsafe { p.add(at).cast::<u64>().read_unaligned() };
        let u32_at = |at: usize| u64::from(unsafe { p.add(at).cast::<u32>().read_unaligned() });
        let u16_at = |at: usize| u32::from(unsafe { p.add(at).cast::<u16>().read_unaligned() });
        // Two tests to the long strings (origins, ACRH lists), three to the short (ACRM).
        if n >= 8 {
            if n >= 16 {
                self.add_long(bytes);
            } else {
                self.word |= Check::flag(u64_at(0)) | Check::flag(u64_at(n - 8));
            }
        } else if n >= 4 {
            self.word |= Check::flag(u32_at(0) | u32_at(n - 4) << 32);
        } else if n >= 2 {
            self.word |= u64::from(Check::flag32(u16_at(0) | u16_at(n - 2) << 16));
        } else if n == 1 {
            self.word |= u64::from(Check::flag32(u32::from(bytes[0]) * 0x0101_0101));
        }
    }

    /// [`Check::add`] for 16 bytes or more: 16 at a time, the compare signed, so that bytes
    /// from 0x80 up are below 0x0E too.
    #[cfg(target_arch = "x86_64")]
    #[inline(always)]
    fn add_long(&mut self, bytes: &[u8]) {
        use std::arch::x86_64::{__m128i, _mm_cmplt_epi8, _mm_loadu_si128, _mm_or_si128, _mm_set1_epi8};
        let n = bytes.len();
        debug_assert!(n >= 16);
        // SAFETY: SSE2 is part of x86_64. Every load reads the 16 bytes from `at`, and
        // `at + 16 <= n` holds for each.
        unsafe {
            let limit = _mm_set1_epi8(0x0E);
            let low = |at: usize| _mm_cmplt_epi8(_mm_loadu_si128(bytes.as_ptr().add(at).cast::<__m128i>()), limit);
            let mut v = _mm_or_si128(low(0), low(n - 16));
            // Up to 48 bytes (most origins) without a loop and what it costs to set it up.
            if n > 32 {
                v = _mm_or_si128(v, low(16));
                let mut at = 32;
                while at + 16 < n {
                    v = _mm_or_si128(v, low(at));
                    at += 16;
                }
            }
            self.vec = _mm_or_si128(self.vec, v);
        }
    }

    /// [`Check::add`] for 16 bytes or more on other architectures.
    #[cfg(not(target_arch = "x86_64"))]
    #[inline(always)]
    fn add_long(&mut self, bytes: &[u8]) {
        self.add_words(bytes);
    }

    /// [`Check::add`] for 8 bytes or more, a word at a time: `add_long` of the other
    /// architectures (tested on all).
    #[cfg_attr(all(target_arch = "x86_64", not(test)), allow(dead_code))]
    #[inline(always)]
    fn add_words(&mut self, bytes: &[u8]) {
        let n = bytes.len();
        debug_assert!(n >= 8);
        // SAFETY: `at + 8 <= n` for every read.
        let u64_at = |at: usize| unsafe { bytes.as_ptr().add(at).cast::<u64>().read_unaligned() };
        let mut w = Check::flag(u64_at(n - 8));
        let mut at = 0;
        while at + 8 < n {
            w |= Check::flag(u64_at(at));
            at += 8;
        }
        self.word |= w;
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

    fn plain(bytes: &[u8]) -> bool {
        let mut check = Check::new();
        check.add(bytes);
        check.plain()
    }

    /// Every byte value at every position of strings of 1 to 70 bytes (each length takes its
    /// own way through `Check::add`): a string is plain exactly when each of its bytes is in
    /// 0x0E..=0x7F.
    #[test]
    fn the_plain_check_agrees_with_a_byte_by_byte_check() {
        let base = b"https://www.example.com:8443/abcdefghijklmnopqrstuvwxyz0123456789ABCDEFGH";
        for len in 1..=70 {
            assert!(plain(&base[..len]), "{len}");
            for at in 0..len {
                for byte in 0..=255u8 {
                    let mut bytes = base[..len].to_vec();
                    bytes[at] = byte;
                    assert_eq!(plain(&bytes), (0x0E..=0x7F).contains(&byte), "{byte:#x} at {at} of {len}");
                }
            }
        }
        assert!(plain(b""));
    }

    /// The word-at-a-time check of the other architectures, run here too: every byte value at
    /// every position of strings of 8 to 40 bytes.
    #[test]
    fn the_word_check_agrees_with_a_byte_by_byte_check() {
        let base = b"https://www.example.com:8443/abcdefghijk";
        for len in 8..=40 {
            for at in 0..len {
                for byte in 0..=255u8 {
                    let mut bytes = base[..len].to_vec();
                    bytes[at] = byte;
                    let mut check = Check::new();
                    check.add_words(&bytes);
                    assert_eq!(check.plain(), (0x0E..=0x7F).contains(&byte), "{byte:#x} at {at} of {len}");
                }
            }
        }
    }

    /// Two bytes changed at once, so that a borrow out of one byte reaches the other: the word
    /// checks still flag exactly the strings with a byte that is not plain.
    #[test]
    fn the_plain_check_is_right_for_two_bytes_at_once() {
        let values = [0u8, 1, 0x0A, 0x0D, 0x0E, 0x0F, 0x1F, b'a', 0x7F, 0x80, 0x8E, 0xC3, 0xFF];
        for len in 2..=34 {
            for i in 0..len {
                for j in i + 1..len {
                    for &x in &values {
                        for &y in &values {
                            let mut bytes = vec![b'a'; len];
                            (bytes[i], bytes[j]) = (x, y);
                            let want = bytes.iter().all(|b| (0x0E..=0x7F).contains(b));
                            assert_eq!(plain(&bytes), want, "{bytes:?}");
                        }
                    }
                }
            }
        }
    }

    /// Several strings checked together: `Some` with what `try_request_str` gives for each when
    /// all are plain; `None` when any one is not, or is refused for its pointer or length.
    #[test]
    fn plain_strs_agree_with_try_request_str() {
        let origin = "https://upload.tenant99.example.net";
        let strings: [&[u8]; 5] = [origin.as_bytes(), b"PUT", b"content-type, x-amz-date", b"", b"host-id-12345678"];
        let args = |s: &[Vec<u8>]| -> [(*const c_char, usize); 5] {
            std::array::from_fn(|i| if i == 3 { (std::ptr::null(), 0) } else { (s[i].as_ptr().cast(), s[i].len()) })
        };
        let check = |a: [(*const c_char, usize); 5]| {
            // SAFETY: each pointer is NULL or points to its length in bytes (or is never read:
            // the length is refused first).
            unsafe {
                Plain::strs(|p| {
                    Some([
                        p.add(a[0].0, a[0].1)?,
                        p.add(a[1].0, a[1].1)?,
                        p.add(a[2].0, a[2].1)?,
                        p.add(a[3].0, a[3].1)?,
                        p.add(a[4].0, a[4].1)?,
                    ])
                })
            }
        };
        let owned: Vec<Vec<u8>> = strings.iter().map(|s| s.to_vec()).collect();
        let a = args(&owned);
        // SAFETY: as above.
        let want: Vec<_> = a.iter().map(|&(p, n)| unsafe { try_request_str(p, n) }.unwrap()).collect();
        assert_eq!(check(a).map(|s| s.to_vec()), Some(want));
        for k in [0, 1, 2, 4] {
            for at in [0, owned[k].len() / 2, owned[k].len() - 1] {
                for bad in [0u8, b'\t', b'\n', b'\r', 0x80, 0xC3, 0xFF] {
                    let mut s = owned.clone();
                    s[k][at] = bad;
                    assert_eq!(check(args(&s)), None, "{bad:#x} at {at} of string {k}");
                }
            }
            let mut a = args(&owned);
            a[k].0 = std::ptr::null();
            assert_eq!(check(a), None, "NULL with a length, string {k}");
            let mut a = args(&owned);
            a[k].1 = isize::MAX as usize + 1;
            assert_eq!(check(a), None, "too long, string {k}");
        }
        // Present and empty is not absent.
        let mut a = args(&owned);
        a[3] = (origin.as_ptr().cast(), 0);
        assert_eq!(check(a).map(|s| s[3]), Some(Some("")));
    }
}
