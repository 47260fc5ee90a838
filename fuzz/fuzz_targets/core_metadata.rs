//! The `core_metadata` fuzz target: `pexcore::fuzzing::core_metadata` says what it parses and checks.

#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| pexcore::fuzzing::core_metadata(data));
