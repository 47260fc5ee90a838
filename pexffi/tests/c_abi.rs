//! The C ABI from the outside, as a C user gets it:
//!
//! - the committed `include/pex.h` is exactly what the pinned cbindgen generates now;
//! - its version macros match Cargo.toml.
//!
//! The C program that uses the header (`tests/c/test.c`) runs in the workspace's integration
//! tests (`tests/it/embedding.rs`), next to the loopback index it builds from.
//!
//! Needs on `PATH`: cbindgen (the exact version in [`CBINDGEN_VERSION`], installed with
//! [`CBINDGEN_INSTALL`]).

use std::path::Path;
use std::process::{Command, Output};

/// The cbindgen that generated the committed header (it records itself in the header).
const CBINDGEN_VERSION: &str = "0.29.4";
const CBINDGEN_INSTALL: &str = "cargo install cbindgen --version 0.29.4 --locked";
const REGENERATE: &str = "cd pexffi && cbindgen --config cbindgen.toml --output include/pex.h";

fn crate_dir() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn committed_header() -> String {
    let path = crate_dir().join("include/pex.h");
    fs_err::read_to_string(&path).unwrap_or_else(|error| panic!("{error}; generate it with `{REGENERATE}`"))
}

/// Runs `command`, failing the test with its output unless it succeeds.
fn run(command: &mut Command) -> Output {
    let description = format!("{command:?}");
    let output = command.output().unwrap_or_else(|error| panic!("failed to run {description}: {error}"));
    assert!(
        output.status.success(),
        "{description} failed ({}):\n--- stdout\n{}\n--- stderr\n{}",
        output.status,
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr),
    );
    output
}

/// Checks that the pinned cbindgen is on `PATH`; never skips.
fn require_cbindgen() {
    let output = match Command::new("cbindgen").arg("--version").output() {
        Ok(output) => output,
        Err(error) => panic!(
            "cannot run `cbindgen` ({error}): this test needs cbindgen {CBINDGEN_VERSION} on PATH; \
             install it with `{CBINDGEN_INSTALL}`"
        ),
    };
    let version = String::from_utf8_lossy(&output.stdout);
    assert_eq!(
        version.trim(),
        format!("cbindgen {CBINDGEN_VERSION}"),
        "the header is generated with cbindgen {CBINDGEN_VERSION}; install it with `{CBINDGEN_INSTALL}`",
    );
}

#[test]
fn header_is_up_to_date() {
    require_cbindgen();
    let directory = tempfile::tempdir().unwrap();
    let generated = directory.path().join("pex.h");
    run(Command::new("cbindgen")
        .current_dir(crate_dir())
        .args(["--quiet", "--config", "cbindgen.toml", "--output"])
        .arg(&generated));
    let generated = fs_err::read_to_string(&generated).unwrap();
    let committed = committed_header();
    if generated != committed {
        let (generated_lines, committed_lines): (Vec<_>, Vec<_>) =
            (generated.lines().collect(), committed.lines().collect());
        let line = (0..generated_lines.len().max(committed_lines.len()))
            .find(|&line| generated_lines.get(line) != committed_lines.get(line))
            .unwrap_or(0);
        let at = |lines: &[&str]| lines.get(line).copied().unwrap_or("<end of file>").to_owned();
        let (theirs, ours) = (at(&generated_lines), at(&committed_lines));
        panic!(
            "pexffi/include/pex.h is out of date: it differs from what cbindgen generates from \
             pexffi/src, first at line {}:\n  committed: {ours}\n  generated: {theirs}\n\
             regenerate it with `{REGENERATE}` and commit the result",
            line + 1,
        );
    }
}

#[test]
fn header_version_matches_cargo() {
    let header = committed_header();
    let define = |name: &str| {
        header
            .lines()
            .find_map(|line| line.strip_prefix("#define ")?.strip_prefix(name)?.strip_prefix(' '))
            .unwrap_or_else(|| panic!("pex.h defines no `{name}`"))
            .trim()
            .to_owned()
    };
    let expected = [
        ("PEX_VERSION_MAJOR", env!("CARGO_PKG_VERSION_MAJOR").to_owned()),
        ("PEX_VERSION_MINOR", env!("CARGO_PKG_VERSION_MINOR").to_owned()),
        ("PEX_VERSION_PATCH", env!("CARGO_PKG_VERSION_PATCH").to_owned()),
        ("PEX_VERSION", format!("\"{}\"", env!("CARGO_PKG_VERSION"))),
    ];
    for (name, value) in expected {
        assert_eq!(
            define(name),
            value,
            "`{name}` in pex.h differs from the version in Cargo.toml; update `after_includes` in \
             pexffi/cbindgen.toml and regenerate the header with `{REGENERATE}`",
        );
    }
}

/// `tests/c/test.c` (run by the workspace's integration tests) calls every function the header
/// declares.
#[test]
fn every_function_is_called_by_the_c_test() {
    let test = fs_err::read_to_string(crate_dir().join("tests/c/test.c")).unwrap();
    let header = committed_header();
    let functions: Vec<&str> = header
        .lines()
        .filter(|line| {
            line.contains('(') && !line.starts_with("//") && !line.starts_with(' ') && !line.starts_with("typedef")
        })
        .filter_map(|line| line.split('(').next()?.rsplit([' ', '*']).next())
        .filter(|name| name.starts_with("pex_"))
        .collect();
    assert!(functions.len() > 50, "the header declares only {functions:?}");
    let missing: Vec<&&str> = functions.iter().filter(|name| !test.contains(&format!("{name}("))).collect();
    assert!(missing.is_empty(), "tests/c/test.c calls none of {missing:?}");
}
