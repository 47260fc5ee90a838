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
