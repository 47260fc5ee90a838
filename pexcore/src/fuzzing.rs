//! Entry points for the fuzz targets (`fuzz/`): every parser of outside input, each with the
//! property its target checks beyond "never panics". [`TARGETS`] lists them by name; each
//! `fuzz/fuzz_targets/<name>.rs` calls the function of its name, and the smoke test of this
//! module runs all of them on the committed seeds and mutations of them, in every `cargo test`.
//! Hidden from the documentation, and not part of the library's API.

use std::str::FromStr;

use camino::{Utf8Component, Utf8Path};

/// A fuzz target: its name (the file in `fuzz/fuzz_targets/` and the directory of its seeds in
/// `fuzz/seeds/`) and its function.
pub type Target = (&'static str, fn(&[u8]));

/// Every fuzz target.
pub const TARGETS: &[Target] = &[
    ("wheel_filename", wheel_filename),
    ("pex_info", pex_info),
    ("member_name", member_name),
    ("lock_file", lock_file),
    ("requirement_line", requirement_line),
    ("requirements_file", requirements_file),
    ("requirement", requirement),
    ("index_page", index_page),
    ("record", record),
    ("core_metadata", core_metadata),
    ("entry_points", entry_points),
    ("wheel", wheel),
    ("pex_archive", pex_archive),
    ("sdist_archive", sdist_archive),
    ("complete_platform", complete_platform),
    ("pip_config", pip_config),
    ("netrc", netrc),
];

/// The input as text, when it is UTF-8 (the parsers of text take nothing else).
fn text(bytes: &[u8]) -> Option<&str> {
    std::str::from_utf8(bytes).ok()
}

/// A wheel file name (PEP 427): a name that parses displays as itself and parses again to an
/// equal value.
pub fn wheel_filename(bytes: &[u8]) {
    let Some(text) = text(bytes) else { return };
    let Ok(filename) = text.parse::<crate::WheelFilename>() else { return };
    let displayed = filename.to_string();
    assert_eq!(displayed, text, "a wheel file name displays as it was given");
    let reparsed: crate::WheelFilename =
        displayed.parse().unwrap_or_else(|error| panic!("`{displayed}` was displayed but does not parse: {error}"));
    assert_eq!(reparsed, filename);
}

/// PEX-INFO: the canonical text (`to_json`) parses again to the same manifest and renders to
/// the same text.
pub fn pex_info(bytes: &[u8]) {
    let Some(text) = text(bytes) else { return };
    let Ok(info) = crate::PexInfo::from_json(text, Utf8Path::new("fuzz")) else { return };
    let canonical = info.to_json();
    let reparsed = crate::PexInfo::from_json(&canonical, Utf8Path::new("fuzz"))
        .unwrap_or_else(|error| panic!("the canonical text does not parse: {error}\n{canonical}"));
    assert_eq!(reparsed.to_json(), canonical, "the canonical text is not a fixed point");
    // `to_json` sorts these two lists (the canonical text is order-free) while `from_json`
    // keeps the order it reads, so compare with the lists sorted.
    let mut expected = info;
    expected.requirements.sort();
    expected.interpreter_constraints.sort();
    assert_eq!(reparsed, expected, "the canonical text {canonical} reads back differently");
}

/// An archive member name (`enclosed`): refused, or a relative path of plain components with no
/// control character, which the check accepts again unchanged.
pub fn member_name(bytes: &[u8]) {
    let Some(name) = text(bytes) else { return };
    let Some(path) = crate::enclosed(name) else { return };
    assert!(path.is_relative(), "{name:?} became {path:?}, which is not relative");
    assert!(
        path.components().all(|component| matches!(component, Utf8Component::Normal(_))),
        "{name:?} became {path:?}, which has a root, prefix, `.` or `..` component"
    );
    // `components()` quietly drops inner `.` and empty parts, so look at the text too.
    assert!(
        path.as_str().split('/').all(|part| !matches!(part, "" | "." | "..")),
        "{name:?} became {path:?}, which has an empty, `.` or `..` part"
    );
    assert!(!path.as_str().chars().any(char::is_control), "{name:?} became {path:?}, which has a control character");
    assert_eq!(crate::enclosed(path.as_str()).as_ref(), Some(&path), "{name:?} is not accepted again unchanged");
}

/// A lock file (PEP 751 TOML, or pex's JSON): a lock that parses writes a `pylock.toml` that
/// parses again and writes the same bytes (the writer's text is a fixed point, so `pex-rs lock`
/// stays byte-reproducible).
pub fn lock_file(bytes: &[u8]) {
    let Some(text) = text(bytes) else { return };
    let Ok(lock) = crate::lockfile::LockFile::parse(text, Utf8Path::new("fuzz")) else { return };
    let written = crate::lockfile::write(&lock);
    let again = crate::lockfile::LockFile::parse(&written, Utf8Path::new("fuzz"))
        .unwrap_or_else(|error| panic!("pex-rs's own lock text does not parse: {error}\n{written}"));
    assert_eq!(crate::lockfile::write(&again), written, "the written lock is not a fixed point");
}

/// A line of a requirements file, or a requirement argument: parsing never panics.
pub fn requirement_line(bytes: &[u8]) {
    let Some(text) = text(bytes) else { return };
    let _ = crate::requirements_file::parse_entry(text, Utf8Path::new("/fuzz"), "fuzz");
}

/// A whole requirements file (continuations, comments, options, `${VARIABLES}`), without
/// reading the files it includes: parsing never panics.
pub fn requirements_file(bytes: &[u8]) {
    let Some(text) = text(bytes) else { return };
    let _ = crate::requirements_file::parse_text(text, Utf8Path::new("/fuzz"));
}

/// A PEP 508 requirement, as METADATA's `Requires-Dist` and lock files give them (name,
/// extras, PEP 440 specifiers, URL, markers): one that parses displays as text that parses
/// again, and the text settles: read and displayed again, it stays (credentials in a URL
/// display redacted, on purpose).
pub fn requirement(bytes: &[u8]) {
    let Some(text) = text(bytes) else { return };
    let Ok(requirement) = crate::requirement::parse_requirement(text) else { return };
    if let Some(crate::requirement::VersionOrUrl::Url(url)) = &requirement.version_or_url
        && (!url.username().is_empty() || url.password().is_some())
    {
        return; // displayed with the credentials redacted, on purpose: they never reach a file
    }
    let displayed = requirement.to_string();
    let again = crate::requirement::parse_requirement(&displayed)
        .unwrap_or_else(|error| panic!("{text:?} displays as {displayed:?}, which does not parse: {error}"));
    // The text settles: what pex-rs writes from text it wrote is that text. The first round
    // may still move (a marker that can never hold, `python_version >= "in32"`, displays as
    // `python_version < '0'`, which reads back as `python_full_version < '0'`: all never true).
    let settled = again.to_string();
    let third = crate::requirement::parse_requirement(&settled)
        .unwrap_or_else(|error| panic!("{text:?} settles as {settled:?}, which does not parse: {error}"));
    assert_eq!(third.to_string(), settled, "{text:?} does not settle: {displayed:?}, then {settled:?}");
}

/// A project page of a package index, HTML (PEP 503, also find-links pages) and JSON (PEP 691):
/// every file read from it has a name of its kind.
pub fn index_page(bytes: &[u8]) {
    let base = url::Url::parse("https://index.invalid/simple/project/").expect("a valid URL");
    for parsed in [crate::index::parse_html(bytes, &base), crate::index::parse_json(bytes, &base)] {
        let Ok(files) = parsed else { continue };
        for wheel in &files.wheels {
            let name = Utf8Path::new(wheel.filename.as_str());
            assert!(name.extension().is_some_and(|extension| extension.eq_ignore_ascii_case("whl")), "{name}");
        }
    }
}

/// A wheel's RECORD, as the checks of `pex-rs extract` read it: every path it yields is one the
/// installer could write (enclosed in the install).
pub fn record(bytes: &[u8]) {
    let filename: crate::dist::WheelFilename = "demo-1.0-py3-none-any.whl".parse().expect("a valid name");
    let Ok(record) = crate::wheel::InstalledRecord::parse(&filename, "demo-1.0.dist-info", bytes) else { return };
    for path in record.paths() {
        assert!(crate::fs::enclosed(path).is_some_and(|enclosed| enclosed.as_str() == path), "{path:?}");
    }
}

/// Core metadata, `METADATA` of a wheel, `PKG-INFO` of an sdist, or a PEP 658 metadata file:
/// the name and version it gives display as text that parses to the same values.
pub fn core_metadata(bytes: &[u8]) {
    use crate::requirement::{PackageName, Version};
    let Ok(metadata) = crate::dist::CoreMetadata::parse(bytes) else { return };
    let name = metadata.name();
    assert_eq!(PackageName::from_str(name).as_ref(), Ok(metadata.package_name()), "{name:?}");
    let version = metadata.version().to_string();
    assert_eq!(Version::from_str(&version).as_ref(), Ok(metadata.version()), "{version:?}");
}

/// A wheel's `entry_points.txt`: every script has a trimmed name and a target without extras.
pub fn entry_points(bytes: &[u8]) {
    let Some(text) = text(bytes) else { return };
    for (name, target) in crate::wheel::scripts_in_entry_points(text) {
        assert_eq!(name, name.trim(), "{text:?}");
        assert!(!target.contains('['), "{target:?} keeps its extras");
    }
}

/// A temporary directory for the targets that read files, with the input written as `name`.
fn input_file(bytes: &[u8], name: &str) -> (tempfile::TempDir, camino::Utf8PathBuf) {
    let temp = tempfile::tempdir().expect("a temporary directory");
    let dir = Utf8Path::from_path(temp.path()).expect("a UTF-8 temporary directory").to_owned();
    let path = dir.join(name);
    fs_err::write(&path, bytes).expect("the input written");
    (temp, path)
}

/// A whole wheel: the zip reader, `WHEEL`, `METADATA`, `RECORD` (every member checked against
/// it), `entry_points.txt` and the member names: a wheel that opens installs only enclosed paths.
pub fn wheel(bytes: &[u8]) {
    let (_temp, path) = input_file(bytes, "demo-1.0-py3-none-any.whl");
    let Ok(wheel) = crate::wheel::Wheel::open(&path, None) else { return };
    for member in &wheel.members {
        let installed = member.installed_path.as_str();
        assert!(crate::fs::enclosed(installed).is_some_and(|enclosed| enclosed.as_str() == installed), "{installed:?}");
    }
}

/// A PEX file from anywhere, as `pex-rs info` reads it and as `extract`, `verify` and `venv`
/// check it before installing anything (the zip's directory, PEX-INFO, boot code, RECORDs):
/// never panics.
pub fn pex_archive(bytes: &[u8]) {
    let (_temp, path) = input_file(bytes, "fuzz.pex");
    let Ok(info) = crate::PexInfo::read_from_pex(&path) else { return };
    let _ = crate::extract::check_archive(&path, &info);
}

/// An sdist, as source builds unpack it: the first byte picks the format (`.tar.gz`, `.tar` or
/// `.zip`), the rest is the archive. Nothing is written outside the destination, and every
/// symbolic link left there points inside it.
pub fn sdist_archive(bytes: &[u8]) {
    let Some((&kind, archive)) = bytes.split_first() else { return };
    let (format, name) = match kind % 3 {
        0 => (crate::dist::SdistFormat::TarGz, "demo-1.0.tar.gz"),
        1 => (crate::dist::SdistFormat::Tar, "demo-1.0.tar"),
        _ => (crate::dist::SdistFormat::Zip, "demo-1.0.zip"),
    };
    let (temp, path) = input_file(archive, name);
    let destination = path.with_file_name("unpacked");
    fs_err::create_dir(&destination).expect("the destination made");
    let _ = crate::sdist::unpack(&path, format, &destination);
    let root = fs_err::canonicalize(&destination).expect("the destination exists");
    for entry in fs_err::read_dir(temp.path()).expect("the temporary directory") {
        let entry = entry.expect("an entry");
        assert!(
            entry.file_name() == "unpacked" || entry.path() == path.as_std_path(),
            "{} was written outside the destination",
            entry.path().display()
        );
    }
    let mut directories = vec![root.clone()];
    while let Some(directory) = directories.pop() {
        for entry in fs_err::read_dir(&directory).expect("an unpacked directory") {
            let path = entry.expect("an entry").path();
            let kind = fs_err::symlink_metadata(&path).expect("an entry's metadata").file_type();
            if kind.is_dir() {
                directories.push(path);
            } else if kind.is_symlink()
                && let Ok(target) = std::fs::canonicalize(&path)
            {
                assert!(
                    target.starts_with(&root),
                    "{} points outside the destination, at {}",
                    path.display(),
                    target.display()
                );
            }
        }
    }
}

/// A complete platform file (`--complete-platform`): parsing never panics.
pub fn complete_platform(bytes: &[u8]) {
    let Some(text) = text(bytes) else { return };
    let Ok(platform) = serde_json::from_str::<crate::target::CompletePlatform>(text) else { return };
    let _ = crate::tags::Tags::from_ordered(platform.compatible_tags.iter().map(String::as_str));
}

/// A pip configuration file (`pip.conf`): an index URL it sets is made of words of the file
/// (continuation lines join with a space).
pub fn pip_config(bytes: &[u8]) {
    let Some(text) = text(bytes) else { return };
    let mut config = crate::index::PipConfig::default();
    config.apply(text, Utf8Path::new("pip.conf"));
    for url in config.index_url.iter().map(|(url, _)| url).chain(&config.extra_index_urls) {
        assert!(!url.is_empty() && url.split_whitespace().all(|word| text.contains(word)), "{url:?}");
    }
}

/// A `.netrc` file: every credential names a host, one the file names after `machine`.
pub fn netrc(bytes: &[u8]) {
    let Some(text) = text(bytes) else { return };
    for credential in crate::index::parse_netrc(text) {
        assert!(!credential.host.is_empty());
        assert!(text.split_whitespace().any(|token| token == credential.host), "{:?}", credential.host);
    }
}

/// A small seeded generator (`SplitMix64`), for randomized tests that must replay by their seed:
/// the smoke run of the fuzz targets and the kill harness of the integration tests.
pub struct Random(pub u64);

impl Random {
    /// The next number of the sequence.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number below `bound` (0 when `bound` is 0).
    pub fn below(&mut self, bound: usize) -> usize {
        usize::try_from(self.next_u64() % (bound.max(1) as u64)).expect("below a usize")
    }
}

#[cfg(test)]
mod tests {
    //! The smoke run of every fuzz target, in every `cargo test`: the committed seeds, then a
    //! fixed number of mutations of each (deterministic, so a failure reproduces). The
    //! coverage-guided runs are `cargo fuzz` (fuzz/README.md).

    use camino::Utf8PathBuf;

    use super::{Random, TARGETS};

    /// Mutations per seed: enough to catch a target that breaks on near-valid input, few
    /// enough for the whole run to take seconds.
    const MUTATIONS: u64 = 1000;

    fn fuzz_dir() -> Utf8PathBuf {
        Utf8PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../fuzz")
    }

    /// Mutations from a seeded generator: the same ones on every run.
    struct Mutator(Random);

    impl Mutator {
        fn below(&mut self, bound: usize) -> usize {
            self.0.below(bound)
        }

        /// One of: flip a byte, insert an interesting byte, delete a span, duplicate a span,
        /// truncate.
        fn mutate(&mut self, seed: &[u8]) -> Vec<u8> {
            const INTERESTING: &[u8] = b"\0\n\r\t \"'\\/:;=[]{}<>.-_#@$%~\x7f\xff\x80";
            let mut bytes = seed.to_vec();
            for _ in 0..=self.below(3) {
                let at = self.below(bytes.len() + 1);
                match self.below(5) {
                    0 if at < bytes.len() => bytes[at] ^= 1 << self.below(8),
                    1 => bytes.insert(at, INTERESTING[self.below(INTERESTING.len())]),
                    2 if at < bytes.len() => {
                        let end = (at + 1 + self.below(16)).min(bytes.len());
                        bytes.drain(at..end);
                    }
                    3 if at < bytes.len() => {
                        let end = (at + 1 + self.below(64)).min(bytes.len());
                        let span = bytes[at..end].to_vec();
                        bytes.splice(at..at, span);
                    }
                    _ => bytes.truncate(at),
                }
            }
            bytes
        }
    }

    #[test]
    fn ok_every_target_has_its_file_and_seeds() {
        for (name, _) in TARGETS {
            assert!(fuzz_dir().join(format!("fuzz_targets/{name}.rs")).is_file(), "fuzz/fuzz_targets/{name}.rs");
            let seeds = fuzz_dir().join("seeds").join(name);
            assert!(fs_err::read_dir(&seeds).is_ok_and(|mut entries| entries.next().is_some()), "{seeds} is empty");
        }
    }

    #[test]
    fn ok_smoke_run_of_every_target() {
        for (name, target) in TARGETS {
            let mut seeds: Vec<_> = fs_err::read_dir(fuzz_dir().join("seeds").join(name))
                .unwrap()
                .map(|entry| entry.unwrap().path())
                .collect();
            seeds.sort();
            let mut mutator = Mutator(Random(seeds.len() as u64));
            for seed in seeds {
                let bytes = fs_err::read(&seed).unwrap();
                target(&bytes);
                for _ in 0..MUTATIONS {
                    target(&mutator.mutate(&bytes));
                }
            }
        }
    }
}
