//! The `lock_file` fuzz target: `pexcore::fuzzing::lock_file` says what it parses and checks.

#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| pexcore::fuzzing::lock_file(data));
