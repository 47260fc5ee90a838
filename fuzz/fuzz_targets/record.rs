//! A wheel's RECORD as `pex-rs extract` checks a PEX against it, from any bytes: never panics,
//! and every path it yields stays inside the install (see `pexcore::fuzzing::record`).

#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| pexcore::fuzzing::record(data));
