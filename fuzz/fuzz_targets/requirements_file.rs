//! The `requirements_file` fuzz target: `pexcore::fuzzing::requirements_file` says what it parses and checks.

#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| pexcore::fuzzing::requirements_file(data));
