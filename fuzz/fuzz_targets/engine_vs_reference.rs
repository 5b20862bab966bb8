//! A structured case (profile, strict origins, credentials, rules over small alphabets,
//! requests): the compiled engine answers every request exactly as the reference matcher.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| corsmatch_fuzz_checks::engine_vs_reference(data));
