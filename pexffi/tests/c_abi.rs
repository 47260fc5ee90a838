//! The C ABI from the outside, as a C user gets it:
//!
//! - the committed `include/pex.h` is exactly what the pinned cbindgen generates now;
//! - its version macros match Cargo.toml;
//! - `tests/c/test.c`, compiled against that header with `-Wall -Werror` and linked to the
//!   freshly built `libpex.a`, runs and passes against a real PEX built here with pexcore, once
//!   plainly and once under the address sanitizer, which also finds leaks across the boundary.
//!
//! Needs on `PATH`: cbindgen (the exact version in [`CBINDGEN_VERSION`], installed with
//! [`CBINDGEN_INSTALL`]) and a C compiler with its sanitizer runtime (`cc`, or `$CC`).
//! `PEXFFI_CFLAGS` adds flags to both C builds.

mod common;

use std::path::Path;

use common::{build_pex, library_directory};
use std::process::{Command, Output};

use camino::Utf8Path;

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

/// Compiles `tests/c/test.c` with `flags` against the committed header and `libpex.a`, and
/// runs it on a real PEX, a file that is not a PEX, and a missing file.
#[cfg(target_os = "linux")]
fn compile_and_run_c_program(flags: &[&str]) {
    let directory = tempfile::tempdir().unwrap();
    let directory = Utf8Path::from_path(directory.path()).unwrap();
    let valid_pex = build_pex(directory);
    let not_a_pex = directory.join("not-a.pex");
    fs_err::write(&not_a_pex, "print('not a zip')\n").unwrap();
    let missing = directory.join("missing.pex");

    let program = directory.join("test");
    let compiler = std::env::var("CC").unwrap_or_else(|_| "cc".to_owned());
    let extra_flags = std::env::var("PEXFFI_CFLAGS").unwrap_or_default();
    let mut compile = Command::new(&compiler);
    compile
        .args(["-std=c11", "-Wall", "-Wextra", "-Werror"])
        .args(flags)
        .args(extra_flags.split_whitespace())
        .arg("-I")
        .arg(crate_dir().join("include"))
        .arg(crate_dir().join("tests/c/test.c"))
        .arg(library_directory().join("libpex.a"))
        // What `cargo rustc -p pexffi --lib --crate-type staticlib -- --print native-static-libs`
        // lists on Linux.
        .args(["-lgcc_s", "-lutil", "-lrt", "-lpthread", "-lm", "-ldl", "-lc"])
        .arg("-o")
        .arg(&program);
    run(&mut compile);

    let output = run(Command::new(&program).args([&valid_pex, &not_a_pex, &missing]));
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(stdout.lines().last().is_some_and(|line| line.ends_with(" checks")), "{stdout}");
}

#[cfg(target_os = "linux")]
#[test]
fn c_program_passes() {
    compile_and_run_c_program(&[]);
}

/// The same program under the address and undefined-behaviour sanitizers: the Rust side uses
/// the system allocator, so the leak checker also catches a string or error object that is never freed.
/// Needs the compiler's sanitizer runtime (libasan, which Debian's gcc depends on).
#[cfg(target_os = "linux")]
#[test]
fn c_program_passes_under_asan() {
    compile_and_run_c_program(&["-fsanitize=address,undefined", "-fno-omit-frame-pointer", "-g"]);
}
