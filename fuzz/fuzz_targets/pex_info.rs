//! PEX-INFO manifests: parsing arbitrary text never panics, and a manifest that parses
//! survives a round trip through its canonical JSON text: the text parses again, to the same
//! manifest, and renders to the same text (so `pex_hash`, a digest of that text, is stable).

#![no_main]

use camino::Utf8Path;
use libfuzzer_sys::fuzz_target;
use pexcore::PexInfo;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(info) = PexInfo::from_json(text, Utf8Path::new("fuzz")) else {
        return;
    };
    let canonical = info.to_json();
    let reparsed = PexInfo::from_json(&canonical, Utf8Path::new("fuzz"))
        .unwrap_or_else(|error| panic!("the canonical text does not parse: {error}\n{canonical}"));
    assert_eq!(reparsed.to_json(), canonical, "the canonical text is not a fixed point");
    // `to_json` sorts these two lists (the canonical text is order-free) while `from_json`
    // keeps the order it reads, so compare with the lists sorted.
    let mut expected = info;
    expected.requirements.sort();
    expected.interpreter_constraints.sort();
    assert_eq!(reparsed, expected, "the canonical text {canonical} reads back differently");
});
