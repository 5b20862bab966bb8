//! The C ABI called with arbitrary pointer-and-length shapes, NULL handles and outputs,
//! unknown profiles and targets, and every buffer size: right result codes, no panic,
//! outputs written only on success, and the core's answers (see `src/lib.rs`).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| corsmatch_fuzz::ffi_calls(data));
