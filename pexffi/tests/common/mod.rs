//! What the tests of the C ABI share: the library cargo built for the run, and a real PEX.

mod build;

use std::path::PathBuf;

pub(crate) use build::build_pex;

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
