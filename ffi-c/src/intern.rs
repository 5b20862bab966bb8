//! `corsmatch_interner`: one compiled rule set shared by the buckets whose documents say the
//! same thing (`corsmatch::intern`).

use std::ffi::c_char;

use ::corsmatch::Interner;

use crate::boundary::{self, ffi_panic_boundary, free_handle, hand_out, try_out, try_ref};
use crate::{
    compile_xml_into, corsmatch_error, corsmatch_options, corsmatch_profile, corsmatch_result, corsmatch_ruleset,
};

/// Hands out one compiled rule set for all the documents that parse to the same
/// configuration under the same profile and options (formatting, comments and the XML
/// declaration do not matter; values are compared as the provider keeps them). It holds the
/// sets weakly: a set is freed when the last rule set handle to it is. Thread-safe: one
/// interner may be used from any number of threads at once. Free with
/// `corsmatch_interner_free`.
pub struct corsmatch_interner {
    interner: Interner,
}

/// What `corsmatch_interner_stats` counts.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct corsmatch_interner_counts {
    /// Calls answered with a set already compiled.
    pub hits: u64,
    /// Calls that compiled a set (refused documents are not counted).
    pub misses: u64,
    /// Distinct sets alive now.
    pub sets: usize,
    /// Entries the interner keeps, those of sets freed but not yet pruned included.
    pub entries: usize,
}

/// Predicates: a NULL handle (or a panic) gives false.
impl boundary::FfiReturn for bool {
    type Value = bool;
    fn from_result(r: Result<bool, corsmatch_result>) -> Self {
        r.unwrap_or(false)
    }
    fn on_panic() -> Self {
        false
    }
}

/// Makes an empty interner.
///
/// `out_interner` receives it on `CORSMATCH_OK`; the caller owns it and frees it with
/// `corsmatch_interner_free`. Returns `CORSMATCH_NULL_PARAMETER` when `out_interner` is NULL.
/// Thread-safe.
///
/// # Safety
/// `out_interner` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn corsmatch_interner_new(out_interner: *mut *const corsmatch_interner) -> corsmatch_result {
    ffi_panic_boundary! {
        let out_interner = try_out(out_interner)?;
        // SAFETY: non-null and writable (caller's contract).
        unsafe { hand_out(out_interner.cast(), corsmatch_interner { interner: Interner::new() }) };
        Ok(())
    }
}

/// Frees an interner. NULL is accepted and does nothing. The rule sets it handed out stay
/// valid (each is freed with `corsmatch_ruleset_free`). No thread may use the interner
/// afterwards.
///
/// # Safety
/// `interner` is NULL or came from `corsmatch_interner_new` and was not freed.
#[no_mangle]
pub unsafe extern "C" fn corsmatch_interner_free(interner: *const corsmatch_interner) {
    ffi_panic_boundary! {
        // SAFETY: caller's contract.
        unsafe { free_handle(interner) };
        Ok(())
    }
}

/// As `corsmatch_ruleset_new`, through the interner: the document is parsed and validated
/// (the same errors, the same result codes), and when a live set was compiled for the same
/// configuration, profile and options, the new handle shares it instead of compiling again.
///
/// - `interner`: borrowed for the call only.
/// - `xml`, `xml_len`, `profile`, `options`, `out_error`: as `corsmatch_ruleset_new`.
/// - `out_ruleset`: receives a new handle on `CORSMATCH_OK`, owned by the caller and freed
///   with `corsmatch_ruleset_free` as any other (the compiled set is freed with its last
///   handle).
///
/// Returns `CORSMATCH_CONFIG_ERROR`, `CORSMATCH_INVALID_ARGUMENT`, `CORSMATCH_NULL_PARAMETER`
/// (also for a NULL `interner`), `CORSMATCH_INPUT_TOO_LARGE`. Thread-safe.
///
/// # Safety
/// `interner` is NULL or a live interner; a non-NULL `xml` points to `xml_len` readable
/// bytes; `options` is NULL or valid; the out pointers are NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn corsmatch_interner_compile(
    interner: *const corsmatch_interner,
    xml: *const c_char,
    xml_len: usize,
    profile: corsmatch_profile,
    options: *const corsmatch_options,
    out_ruleset: *mut *const corsmatch_ruleset,
    out_error: *mut *const corsmatch_error,
) -> corsmatch_result {
    ffi_panic_boundary! {
        // SAFETY: caller's contract.
        let interner = unsafe { try_ref(interner) }?;
        // SAFETY: forwarded contract.
        unsafe {
            compile_xml_into(xml, xml_len, profile, options, out_ruleset, out_error, |o, d| {
                interner.interner.compile_xml(o, d)
            })
        }
    }
}

/// Writes the interner's counts to `*out`: hits, misses, the distinct sets alive, the entries
/// kept. It walks every entry, under locks: call it for monitoring, not per request.
///
/// Returns `CORSMATCH_NULL_PARAMETER` when `interner` or `out` is NULL. Thread-safe.
///
/// # Safety
/// `interner` is NULL or a live interner; `out` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn corsmatch_interner_stats(
    interner: *const corsmatch_interner,
    out: *mut corsmatch_interner_counts,
) -> corsmatch_result {
    ffi_panic_boundary! {
        // SAFETY: caller's contract.
        let interner = unsafe { try_ref(interner) }?;
        let out = try_out(out)?;
        let s = interner.interner.stats();
        let value = corsmatch_interner_counts { hits: s.hits, misses: s.misses, sets: s.sets, entries: s.entries };
        // SAFETY: non-null and writable (caller's contract).
        unsafe { out.write(value) };
        Ok(())
    }
}

/// Whether two rule sets are one compiled set (as an interner hands out) rather than two
/// equal ones; false when either is NULL.
///
/// Thread-safe.
///
/// # Safety
/// `a` and `b` are NULL or live rule sets.
#[no_mangle]
pub unsafe extern "C" fn corsmatch_ruleset_shares_with(
    a: *const corsmatch_ruleset,
    b: *const corsmatch_ruleset,
) -> bool {
    ffi_panic_boundary! {
        // SAFETY: caller's contract.
        let (a, b) = unsafe { (try_ref(a)?, try_ref(b)?) };
        Ok(a.rules.shares_with(&b.rules))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_interner_handle_is_send_and_sync_as_documented() {
        fn send_sync<T: Send + Sync>() {}
        send_sync::<corsmatch_interner>();
    }
}
