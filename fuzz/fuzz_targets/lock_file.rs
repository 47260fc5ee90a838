//! Lock files (PEP 751 `pylock.toml`, and pex's JSON lock): parsing arbitrary text never panics,
//! and a lock that parses is written as a `pylock.toml` that parses again and writes the same
//! bytes (see `pexcore::fuzzing::lock_file`).

#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        pexcore::fuzzing::lock_file(text);
    }
});
