//! pex-rs embedded: the C ABI through `pexffi/tests/c/test.c` (every function and every error
//! code, two threads at once), plainly, under the address and undefined-behaviour sanitizers and
//! under valgrind; and the Python binding, installed from its wheel into a fresh virtual
//! environment of every local Python, through its pytest suite. All against a loopback index.
//!
//! Needs a C compiler (`cc`, or `$CC`) with its sanitizer runtime; valgrind and pytest
//! (`PEX_RS_TEST_PYTEST`, installed by `.ci/run`) where present, else those parts skip with a
//! note.

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use camino::{Utf8Path, Utf8PathBuf};

use crate::index_server::{IndexServer, ServedFile};
use crate::support::{Python, TestContext, WheelBuilder, python3, pythons, skip};

/// The fixture index: greet 1.0 (a module and a console script, needing colors), colors 2.0,
/// liar 1.0, whose listed digest is not its content's, and cowsay 6.1 (a console script), for
/// the binding's README.
fn fixture_index() -> IndexServer {
    let greet = WheelBuilder::new("greet", "1.0")
        .file("greet.py", "import colors\n\ndef main():\n    print('hello from greet, in colors ' + colors.VERSION)\n")
        .requires("colors>=2")
        .console_script("greet", "greet:main");
    let colors = WheelBuilder::new("colors", "2.0").file("colors/__init__.py", "VERSION = '2.0'\n");
    let liar = WheelBuilder::new("liar", "1.0").file("liar.py", "");
    let cowsay = WheelBuilder::new("cowsay", "6.1")
        .file("cowsay/__init__.py", "def main():\n    print('moo')\n")
        .console_script("cowsay", "cowsay:main");
    IndexServer::start(vec![
        ServedFile::from_wheel(&greet),
        ServedFile::from_wheel(&colors),
        ServedFile::from_wheel(&liar).lie_about_hash(),
        ServedFile::from_wheel(&cowsay),
    ])
}

/// The URL of a loopback port that nothing listens on.
fn dead_url() -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    drop(listener);
    format!("http://127.0.0.1:{port}/simple/")
}

/// The directory of the `libpex.a` and `libpex.so` cargo built for this run: this test's
/// `deps/` (pexffi is a dependency of the tests), else its parent.
fn library_directory() -> PathBuf {
    let executable = std::env::current_exe().unwrap();
    let deps = executable.parent().unwrap().to_path_buf();
    let candidates = [deps.clone(), deps.parent().unwrap().to_path_buf()];
    candidates
        .iter()
        .find(|directory| directory.join("libpex.a").is_file() && directory.join("libpex.so").is_file())
        .unwrap_or_else(|| panic!("no libpex.a and libpex.so in {candidates:?}; cargo builds them with the tests"))
        .clone()
}

fn pexffi_directory() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../pexffi")
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

/// Compiles `tests/c/test.c` with `flags` against the committed header and `libpex.a`.
fn compile_c_test(directory: &Utf8Path, flags: &[&str]) -> Utf8PathBuf {
    let program = directory.join("test");
    let compiler = std::env::var("CC").unwrap_or_else(|_| "cc".to_owned());
    run(Command::new(compiler)
        .args(["-std=c11", "-Wall", "-Wextra", "-Werror", "-pthread", "-D_DEFAULT_SOURCE"])
        .args(flags)
        .arg("-I")
        .arg(pexffi_directory().join("include"))
        .arg(pexffi_directory().join("tests/c/test.c"))
        .arg(library_directory().join("libpex.a"))
        // What `cargo rustc -p pexffi --lib --crate-type staticlib -- --print native-static-libs`
        // lists on Linux.
        .args(["-lgcc_s", "-lutil", "-lrt", "-lpthread", "-lm", "-ldl", "-lc"])
        .arg("-o")
        .arg(&program));
    program
}

/// Runs the C test program (through `wrapper`, if any) against a fresh fixture index.
fn run_c_test(flags: &[&str], wrapper: &[&str]) {
    let context = TestContext::new();
    let index = fixture_index();
    let program = compile_c_test(&context.dir, flags);
    let scratch = context.dir.join("scratch");
    fs_err::create_dir_all(&scratch).unwrap();
    let complete_platform = context.dir.join("complete-platform.json");
    let platform = run(context.pex_rs().args(["interpreter", "--complete-platform", "--python"]).arg(&python3().path));
    fs_err::write(&complete_platform, &platform.stdout).unwrap();
    let cert = ["/etc/ssl/certs/ca-certificates.crt", "/etc/pki/tls/certs/ca-bundle.crt", "/etc/ssl/cert.pem"]
        .into_iter()
        .find(|path| Path::new(path).is_file())
        .expect("a system bundle of certificate authorities");
    let mut command = match wrapper.split_first() {
        Some((first, rest)) => {
            let mut command = Command::new(first);
            command.args(rest).arg(&program);
            command
        }
        None => Command::new(&program),
    };
    context
        .hermetic(&mut command)
        .env_remove("PEX_ROOT")
        .env("PEX_RS_CACHE_DIR", context.dir.join("default-cache"))
        .env("PEX_TEST_DIR", &scratch)
        .env("PEX_TEST_INDEX", index.simple_url())
        .env("PEX_TEST_DEAD", dead_url())
        .env("PEX_TEST_PYTHON", &python3().path)
        .env("PEX_TEST_CERT", cert)
        .env("PEX_TEST_COMPLETE_PLATFORM", &complete_platform);
    let output = run(&mut command);
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(stdout.lines().last().is_some_and(|line| line.ends_with(" checks")), "{stdout}");
    assert!(stdout.contains("ok: two builds on two threads"), "{stdout}");
}

#[test]
fn the_c_program_uses_every_function() {
    run_c_test(&[], &[]);
}

/// Leaks across the boundary are found too: the Rust side uses the system allocator.
#[test]
fn the_c_program_passes_under_the_sanitizers() {
    run_c_test(&["-fsanitize=address,undefined", "-fno-omit-frame-pointer", "-g"], &[]);
}

#[test]
fn the_c_program_passes_under_valgrind_without_leaks() {
    if Command::new("valgrind").arg("--version").output().is_err() {
        skip("the_c_program_passes_under_valgrind_without_leaks", "valgrind is not installed");
        return;
    }
    run_c_test(
        &["-g"],
        &[
            "valgrind",
            "--quiet",
            "--error-exitcode=99",
            "--leak-check=full",
            "--errors-for-leak-kinds=definite,indirect",
        ],
    );
}

/// The library's pipeline, stopped between its steps: resolve into a `Resolution` (the lock
/// `pex-rs lock` would write), look at it, then build exactly it with the index gone.
#[test]
fn the_library_resolves_then_builds_from_the_resolution() {
    let context = TestContext::new();
    let index = fixture_index();
    let cache = pexcore::Cache::new(context.cache_dir.clone());
    let python = python3().path.to_string_lossy().into_owned();
    let options = |index_url: String| {
        let mut resolve = pexcore::ResolveOptions::default();
        resolve.requirements = vec!["greet".to_owned()];
        resolve.index_url = Some(index_url);
        resolve.network.retries = 0;
        pexcore::BuildOptions::default().with_resolve(resolve).with_cache(Some(cache.clone())).with_targets(
            vec![python.clone()],
            Vec::new(),
            Vec::new(),
            None,
        )
    };
    let lock_options = pexcore::LockOptions::new(context.dir.join("pylock.toml"));
    let resolution = pexcore::resolve_lock(&options(index.simple_url()), &lock_options).unwrap();
    let chosen: Vec<(String, String)> =
        resolution.packages().into_iter().map(|wheel| (wheel.name, wheel.version)).collect();
    assert_eq!(chosen, [("colors".to_owned(), "2.0".to_owned()), ("greet".to_owned(), "1.0".to_owned())]);
    assert!(resolution.to_toml().contains("name = \"greet\""), "{}", resolution.to_toml());
    assert!(!context.dir.join("pylock.toml").exists(), "resolving writes nothing");

    let pex = context.dir.join("app.pex");
    let build = options(dead_url())
        .with_resolution(Some(resolution))
        .with_entry_point(Some(pexcore::EntryPoint::parse_module("greet:main").unwrap()));
    let report = pexcore::build_pex(&build, &pex).unwrap();
    assert_eq!(report.pex_info.distributions.len(), 2);
    let output = context.run_pex(python3(), &pex, &[]);
    assert_eq!(String::from_utf8_lossy(&output.stdout), "hello from greet, in colors 2.0\n");
}

/// The complete program of `docs/ffi.md`, compiled and run as written, against the fixture
/// index given as the configured one.
#[test]
fn the_program_in_the_ffi_docs_builds_a_pex() {
    let context = TestContext::new();
    let index = fixture_index();
    let docs = fs_err::read_to_string(pexffi_directory().join("../docs/ffi.md")).unwrap();
    let program =
        docs.split("```c\n").nth(1).and_then(|rest| rest.split("```").next()).expect("docs/ffi.md has a ```c block");
    let source = context.dir.join("app.c");
    fs_err::write(&source, program).unwrap();
    let executable = context.dir.join("app");
    let compiler = std::env::var("CC").unwrap_or_else(|_| "cc".to_owned());
    run(Command::new(compiler)
        .args(["-std=c11", "-Wall", "-Werror", "-I"])
        .arg(pexffi_directory().join("include"))
        .arg(&source)
        .arg(library_directory().join("libpex.a"))
        .args(["-lpthread", "-ldl", "-lm"])
        .arg("-o")
        .arg(&executable));
    let mut command = Command::new(&executable);
    context
        .hermetic(&mut command)
        .current_dir(&context.dir)
        .env("PEX_RS_INDEX_URL", index.simple_url())
        .env("PEX_RS_CACHE_DIR", &context.cache_dir);
    let output = run(&mut command);
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(stdout.starts_with("built cowsay.pex: "), "{stdout}");
    assert!(stdout.contains("PEX-INFO: {") && stdout.contains("\"script\":\"cowsay\""), "{stdout}");
    assert!(String::from_utf8_lossy(&output.stderr).contains("downloading cowsay-6.1-py3-none-any.whl"));
    let moo = Command::new(&python3().path).arg(context.dir.join("cowsay.pex")).output().unwrap();
    assert_eq!(String::from_utf8_lossy(&moo.stdout), "moo\n");
}

/// Builds the binding's wheel, with `libpex.so` (its debug information stripped, as in a
/// release build, else the test library weighs 150 MB), into `directory`.
fn build_binding_wheel(directory: &Utf8Path) -> Utf8PathBuf {
    let library = directory.join("libpex.so");
    let stripped = Command::new("objcopy")
        .arg("--strip-debug")
        .arg(library_directory().join("libpex.so"))
        .arg(&library)
        .status()
        .is_ok_and(|status| status.success());
    if !stripped {
        fs_err::copy(library_directory().join("libpex.so"), &library).unwrap();
    }
    let output = run(Command::new(&python3().path)
        .arg(pexffi_directory().join("python/build_wheel.py"))
        .arg("--library")
        .arg(&library)
        .arg("--output")
        .arg(directory));
    let wheel = String::from_utf8_lossy(&output.stdout).trim().to_owned();
    assert!(wheel.ends_with(".whl") && Utf8Path::new(&wheel).is_file(), "build_wheel.py printed {wheel}");
    Utf8PathBuf::from(wheel)
}

/// Installs the binding's wheel into a fresh virtual environment of `python` and returns its
/// interpreter.
fn install_binding(python: &Python, wheel: &Utf8Path, directory: &Utf8Path) -> Utf8PathBuf {
    let venv = directory.join(format!("venv-{}.{}", python.version.0, python.version.1));
    run(Command::new(&python.path).args(["-m", "venv"]).arg(&venv));
    let interpreter = venv.join("bin/python");
    run(Command::new(&interpreter)
        .args(["-m", "pip", "install", "--quiet", "--no-index", "--disable-pip-version-check"])
        .arg(wheel));
    interpreter
}

/// `pip install` of the binding's wheel into a fresh venv, then its pytest suite, under every
/// local Python 3.8+, against the fixture index.
#[test]
fn the_python_binding_installs_from_its_wheel_and_passes_its_tests() {
    let test = "the_python_binding_installs_from_its_wheel_and_passes_its_tests";
    let Some(pytest) = crate::support::pytest(test) else { return };
    let context = TestContext::new();
    let index = fixture_index();
    let wheel = build_binding_wheel(&context.dir);
    for python in pythons().iter().filter(|python| python.version >= (3, 8)) {
        let interpreter = install_binding(python, &wheel, &context.dir);
        let mut command = Command::new(&interpreter);
        context
            .hermetic(&mut command)
            .env_remove("PEX_ROOT")
            .env_remove("PEX_RS_LIBRARY")
            .args(["-m", "pytest", "-q", "-p", "no:cacheprovider"])
            .arg(pexffi_directory().join("python/tests"))
            .env("PYTHONPATH", &pytest)
            .env("PEX_TEST_INDEX", index.simple_url())
            .env("PEX_TEST_DEAD", dead_url())
            .env("PEX_TEST_PYTHON", &python.path)
            .env("PEX_RS_CACHE_DIR", context.dir.join("default-cache"));
        let output = run(&mut command);
        let stdout = String::from_utf8_lossy(&output.stdout);
        assert!(stdout.contains(" passed"), "{}: {stdout}", python.name);
        let summary = stdout.lines().last().unwrap_or_default();
        let _ = writeln!(std::io::stderr(), "{}: {summary}", python.name);
    }
}
