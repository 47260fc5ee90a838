//! Entry points for the fuzz targets (`fuzz/`): parsers of outside input that are not public
//! API, each with the property its target checks beyond "never panics". Hidden from the
//! documentation, and not part of the library's API.

use camino::Utf8Path;

/// A lock file (PEP 751 TOML, or pex's JSON): parsing never panics, and a lock that parses
/// writes a `pylock.toml` that parses again and writes the same bytes (the writer's text is a
/// fixed point, so `pex-rs lock` stays byte-reproducible).
pub fn lock_file(text: &str) {
    let Ok(lock) = crate::lockfile::LockFile::parse(text, Utf8Path::new("fuzz")) else { return };
    let written = crate::lockfile::write(&lock);
    let again = crate::lockfile::LockFile::parse(&written, Utf8Path::new("fuzz"))
        .unwrap_or_else(|error| panic!("pex-rs's own lock text does not parse: {error}\n{written}"));
    assert_eq!(crate::lockfile::write(&again), written, "the written lock is not a fixed point");
}

/// A line of a requirements file, or a requirement argument: parsing never panics.
pub fn requirement_line(text: &str) {
    let _ = crate::requirements_file::parse_entry(text, Utf8Path::new("/fuzz"), "fuzz");
}

/// A project page of a package index, HTML (PEP 503, also find-links pages) and JSON (PEP 691):
/// parsing never panics, and every file read from it has a name of its kind.
pub fn index_page(bytes: &[u8]) {
    let base = url::Url::parse("https://index.invalid/simple/project/").expect("a valid URL");
    for parsed in [crate::index::parse_html(bytes, &base), crate::index::parse_json(bytes, &base)] {
        let Ok(files) = parsed else { continue };
        for wheel in &files.wheels {
            let name = camino::Utf8Path::new(wheel.filename.as_str());
            assert!(name.extension().is_some_and(|extension| extension.eq_ignore_ascii_case("whl")), "{name}");
        }
    }
}

/// A wheel's RECORD, as the checks of `pex-rs extract` read it: parsing never panics, and every
/// path it yields is one the installer could write (enclosed in the install).
pub fn record(bytes: &[u8]) {
    let filename: crate::dist::WheelFilename = "demo-1.0-py3-none-any.whl".parse().expect("a valid name");
    let Ok(record) = crate::wheel::InstalledRecord::parse(&filename, "demo-1.0.dist-info", bytes) else { return };
    for path in record.paths() {
        assert!(crate::fs::enclosed(path).is_some_and(|enclosed| enclosed.as_str() == path), "{path:?}");
    }
}

/// A complete platform file (`--complete-platform`): parsing never panics.
pub fn complete_platform(text: &str) {
    let Ok(platform) = serde_json::from_str::<crate::target::CompletePlatform>(text) else { return };
    let _ = crate::tags::Tags::from_ordered(platform.compatible_tags.iter().map(String::as_str));
}
