//! The `pex_info` fuzz target: `pexcore::fuzzing::pex_info` says what it parses and checks.

#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| pexcore::fuzzing::pex_info(data));
