//! Requirement lines and arguments (PEP 508 requirements, paths, URLs, `name @ URL`, extras,
//! markers, `--hash` options): parsing arbitrary text never panics.

#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        pexcore::fuzzing::requirement_line(text);
    }
});
