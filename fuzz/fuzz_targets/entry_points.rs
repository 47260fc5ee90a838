//! The `entry_points` fuzz target: `pexcore::fuzzing::entry_points` says what it parses and checks.

#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| pexcore::fuzzing::entry_points(data));
