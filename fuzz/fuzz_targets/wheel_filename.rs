//! Wheel file names (PEP 427): parsing arbitrary text never panics, and a name that parses
//! displays as itself and parses again to an equal value.

#![no_main]

use libfuzzer_sys::fuzz_target;
use pexcore::WheelFilename;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(filename) = text.parse::<WheelFilename>() else {
        return;
    };
    let displayed = filename.to_string();
    assert_eq!(displayed, text, "a wheel file name displays as it was given");
    let reparsed: WheelFilename =
        displayed.parse().unwrap_or_else(|error| panic!("`{displayed}` was displayed but does not parse: {error}"));
    assert_eq!(reparsed, filename);
});
