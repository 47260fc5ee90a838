//! The `record` fuzz target: `pexcore::fuzzing::record` says what it parses and checks.

#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| pexcore::fuzzing::record(data));
