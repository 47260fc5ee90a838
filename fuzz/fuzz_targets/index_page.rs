//! The `index_page` fuzz target: `pexcore::fuzzing::index_page` says what it parses and checks.

#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| pexcore::fuzzing::index_page(data));
