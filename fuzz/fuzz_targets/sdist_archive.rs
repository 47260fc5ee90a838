//! The `sdist_archive` fuzz target: `pexcore::fuzzing::sdist_archive` says what it parses and checks.

#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| pexcore::fuzzing::sdist_archive(data));
