//! The `requirement` fuzz target: `pexcore::fuzzing::requirement` says what it parses and checks.

#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| pexcore::fuzzing::requirement(data));
