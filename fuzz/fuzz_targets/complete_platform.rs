//! Complete platform files (`--complete-platform`), from any UTF-8 text: never panics.

#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        pexcore::fuzzing::complete_platform(text);
    }
});
