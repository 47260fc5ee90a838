//! What the tests of the C ABI share: the library cargo built for the run, and a real PEX.

use std::path::PathBuf;

use camino::{Utf8Path, Utf8PathBuf};

/// The directory holding the `libpex.a` that cargo built for this test run: cargo hard-links
/// it into `target/<profile>/`, the parent of the `deps/` directory this test runs from, and
/// leaves the original in `deps/`.
pub(crate) fn library_directory() -> PathBuf {
    let executable = std::env::current_exe().unwrap();
    let deps = executable.parent().unwrap();
    let candidates = [deps.parent().unwrap(), deps];
    candidates
        .iter()
        .find(|directory| directory.join("libpex.a").is_file())
        .unwrap_or_else(|| panic!("no libpex.a in {candidates:?}; `cargo test -p pexffi` builds it"))
        .to_path_buf()
}

/// Builds a PEX holding one module, with pexcore, in `directory`.
pub(crate) fn build_pex(directory: &Utf8Path) -> Utf8PathBuf {
    let sources = directory.join("src");
    fs_err::create_dir_all(&sources).unwrap();
    fs_err::write(sources.join("hello.py"), "print('hello')\n").unwrap();
    let output = directory.join("hello.pex");
    let options = pexcore::BuildOptions::default().with_source_directories(vec![sources]);
    pexcore::build_pex(&options, &output).unwrap();
    output
}
