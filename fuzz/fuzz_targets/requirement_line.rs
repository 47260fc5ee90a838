//! The `requirement_line` fuzz target: `pexcore::fuzzing::requirement_line` says what it parses and checks.

#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| pexcore::fuzzing::requirement_line(data));
