//! The `complete_platform` fuzz target: `pexcore::fuzzing::complete_platform` says what it parses and checks.

#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| pexcore::fuzzing::complete_platform(data));
