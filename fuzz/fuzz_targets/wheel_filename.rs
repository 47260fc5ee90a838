//! The `wheel_filename` fuzz target: `pexcore::fuzzing::wheel_filename` says what it parses and checks.

#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| pexcore::fuzzing::wheel_filename(data));
