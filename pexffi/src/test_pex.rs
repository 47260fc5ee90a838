//! A real PEX for the unit tests of the C ABI, built with pexcore.

use camino::{Utf8Path, Utf8PathBuf};

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
