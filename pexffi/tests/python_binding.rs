//! The Python binding (`pexffi/python/pex_rs.py`, ctypes over `libpex.so`), run by `python3`
//! against the library cargo built for this run and a real PEX.

mod common;

use std::process::Command;

use common::{build_pex, library_directory};

#[test]
fn the_python_binding_inspects_a_pex_and_raises_on_a_bad_one() {
    let temp = tempfile::tempdir().unwrap();
    let directory = camino::Utf8Path::from_path(temp.path()).unwrap();
    let pex = build_pex(directory);
    let not_a_pex = directory.join("not.pex");
    fs_err::write(&not_a_pex, b"no zip here").unwrap();
    let script = r#"
import sys
import pex_rs
print(pex_rs.version())
info = pex_rs.inspect(sys.argv[1])
print(len(info["pex_hash"]))
try:
    pex_rs.inspect(sys.argv[2])
except pex_rs.PexError as error:
    print(error.code == pex_rs.PexError.INVALID_ARCHIVE, "not a PEX file" in str(error))
"#;
    let binding = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("python");
    let output = Command::new("python3")
        .args(["-c", script, pex.as_str(), not_a_pex.as_str()])
        .env("PYTHONPATH", binding)
        .env("PEX_RS_LIBRARY", library_directory().join("libpex.so"))
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    assert_eq!(String::from_utf8_lossy(&output.stdout), format!("{}\n64\nTrue True\n", env!("CARGO_PKG_VERSION")));
}
