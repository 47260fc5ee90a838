//! The `netrc` fuzz target: `pexcore::fuzzing::netrc` says what it parses and checks.

#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| pexcore::fuzzing::netrc(data));
