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

/// A UTF-8 string given as pointer + length; `None` when absent (`NULL`, 0).
///
/// # Safety
/// As [`try_bytes`].
#[inline(always)]
pub(crate) unsafe fn try_str<'a>(ptr: *const c_char, len: usize) -> Result<Option<&'a str>, corsmatch_result> {
    // SAFETY: forwarded contract.
    match unsafe { try_bytes(ptr, len) }? {
        None => Ok(None),
        // Header values are ASCII in practice, and checking that is cheaper than full UTF-8.
        // SAFETY: ASCII is valid UTF-8.
        Some(bytes) if bytes.is_ascii() => Ok(Some(unsafe { std::str::from_utf8_unchecked(bytes) })),
        Some(bytes) => std::str::from_utf8(bytes).map(Some).map_err(|_| corsmatch_result::CORSMATCH_INVALID_UTF8),
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
