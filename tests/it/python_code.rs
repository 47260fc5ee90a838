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
    // The boot code as __main__.py has it, runner.py then boot.py: every name boot.py uses exists.
    let boot = repository.join("pexcore/src/boot");
    let joined = format!(
        "{}\n\n{}",
        fs_err::read_to_string(boot.join("runner.py")).unwrap(),
        fs_err::read_to_string(boot.join("boot.py")).unwrap()
    );
    let mut child = Command::new(&ruff)
        .args(["check", "--no-cache", "--isolated", "--target-version", "py38", "--line-length", "120"])
        .args(["--select", "E,F,W,B,PLE", "--ignore", "B904", "--stdin-filename", "boot_code.py", "-"])
        .current_dir(&repository)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    std::io::Write::write_all(&mut child.stdin.take().unwrap(), joined.as_bytes()).unwrap();
    let output = child.wait_with_output().unwrap();
    assert!(
        output.status.success(),
        "ruff check of runner.py + boot.py failed:\n{}",
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
