//! The `member_name` fuzz target: `pexcore::fuzzing::member_name` says what it parses and checks.

#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| pexcore::fuzzing::member_name(data));
