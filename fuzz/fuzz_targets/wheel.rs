//! The `wheel` fuzz target: `pexcore::fuzzing::wheel` says what it parses and checks.

#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| pexcore::fuzzing::wheel(data));
