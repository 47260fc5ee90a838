//! The Python files of the repository, as code: every one passes `ruff check` with the
//! repository's `ruff.toml` (the boot code, the interpreter probe, the build hooks, the bytecode
//! compiler, the Python binding, the bench).

use std::path::PathBuf;
use std::process::Command;

use crate::support::skip;

/// The ruff that `.ci/run` installs (`PEX_RS_TEST_RUFF`, a `pip install --target` directory).
fn ruff(test: &str) -> Option<PathBuf> {
    let ruff = std::env::var_os("PEX_RS_TEST_RUFF").map(|directory| PathBuf::from(directory).join("bin/ruff"));
    let ruff = ruff.filter(|path| path.is_file());
    if ruff.is_none() {
        skip(test, "ruff is not installed (`.ci/run` installs it into target/ruff)");
    }
    ruff
}

#[test]
fn every_python_file_passes_ruff() {
    let Some(ruff) = ruff("every_python_file_passes_ruff") else { return };
    let repository = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..");
    let listed = Command::new("git").args(["ls-files", "*.py"]).current_dir(&repository).output().unwrap();
    let files: Vec<String> = String::from_utf8(listed.stdout).unwrap().lines().map(str::to_owned).collect();
    assert!(files.iter().any(|file| file == "pexcore/src/boot/boot.py"), "git lists no Python files: {files:?}");
    let output = Command::new(&ruff)
        .args(["check", "--no-cache", "--config", "ruff.toml"])
        .args(&files)
        .current_dir(&repository)
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "ruff check failed:\n{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    // The boot modules in the one namespace __main__.py (main.py) loads them into: every name
    // that one of them uses exists in one of them, and none defines a name another does.
    ruff_joined(
        &ruff,
        &["boot/runner.py", "boot/main.py", "boot/boot.py", "boot/search.py", "boot/fit.py", "boot/tools.py"],
    );
    // The interpreter probe, which follows the fit in one text.
    ruff_joined(&ruff, &["boot/fit.py", "interpreter/probe.py"]);
}

/// `ruff check` of the files of `pexcore/src` joined in order into one text, as the boot code and
/// the probe run them. Each file imports os and sys for itself; joined, only the first one's
/// imports stay, and later imports are not at the top (E402).
fn ruff_joined(ruff: &std::path::Path, files: &[&str]) {
    let source = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../pexcore/src");
    let mut joined = String::new();
    for (index, name) in files.iter().enumerate() {
        let text = fs_err::read_to_string(source.join(name)).unwrap();
        let lines = text.lines().filter(|line| index == 0 || !matches!(*line, "import os" | "import sys"));
        joined.extend(lines.map(|line| format!("{line}\n")));
        joined.push_str("\n\n");
    }
    let mut child = Command::new(ruff)
        .args(["check", "--no-cache", "--isolated", "--target-version", "py38", "--line-length", "120"])
        .args(["--select", "E,F,W,B,PLE", "--ignore", "B904,E402", "--stdin-filename", "joined.py", "-"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    std::io::Write::write_all(&mut child.stdin.take().unwrap(), joined.as_bytes()).unwrap();
    let output = child.wait_with_output().unwrap();
    assert!(
        output.status.success(),
        "ruff check of {files:?} joined failed:\n{}",
        String::from_utf8_lossy(&output.stdout)
    );
}

/// The boot code's own unit tests (`pexcore/src/boot/tests/`), under every local Python 3.8+.
#[test]
fn the_boot_code_passes_its_unit_tests_under_every_python() {
    let Some(pytest) = crate::support::pytest("the_boot_code_passes_its_unit_tests_under_every_python") else {
        return;
    };
    let tests = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../pexcore/src/boot/tests");
    for python in crate::support::pythons().iter().filter(|python| python.version >= (3, 8)) {
        let output = Command::new(&python.path)
            .args(["-m", "pytest", "-q", "-p", "no:cacheprovider"])
            .arg(&tests)
            .env("PYTHONPATH", &pytest)
            .env("PYTHONDONTWRITEBYTECODE", "1")
            .output()
            .unwrap();
        let stdout = String::from_utf8_lossy(&output.stdout);
        assert!(output.status.success() && stdout.contains(" passed"), "{}:\n{stdout}", python.name);
    }
}
