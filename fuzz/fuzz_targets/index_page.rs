//! Package index pages, HTML (PEP 503 and find-links) and JSON (PEP 691), from any bytes: never
//! panics, and a wheel read from a page has a wheel's name (see `pexcore::fuzzing::index_page`).

#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| pexcore::fuzzing::index_page(data));
