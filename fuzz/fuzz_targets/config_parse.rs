//! Arbitrary bytes as a `CORSConfiguration` document, the first byte picking the profile:
//! never panics, and an accepted document serialises and parses back to the same rules.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| corsmatch_fuzz_checks::config_parse(data));
