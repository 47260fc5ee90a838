//! The `pip_config` fuzz target: `pexcore::fuzzing::pip_config` says what it parses and checks.

#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| pexcore::fuzzing::pip_config(data));
