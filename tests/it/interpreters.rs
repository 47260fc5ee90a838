//! Choosing the interpreter at run time: the best wheel of each project for the running
//! interpreter, interpreter constraints, the search for one that fits and the re-exec into it
//! (`docs/format.md`, "Choosing the interpreter").
//!
//! Tests that need particular versions skip, with a note, when this machine lacks them. A
//! search only looks where `PATH` (or `PEX_PYTHON_PATH`) points, so each test makes its own
//! directory of interpreters and runs with it as the whole `PATH`.

use std::io::Read;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use camino::{Utf8Path, Utf8PathBuf};

use crate::support::{Python, TestContext, WheelBuilder, clean_environment, python3, pythons, skip, stdout_of};

/// The local interpreter of version `3.minor`, if there is one.
fn python(minor: u32) -> Option<&'static Python> {
    pythons().iter().find(|python| python.version == (3, minor))
}

/// Each local Python version once.
fn versions() -> Vec<&'static Python> {
    let mut found: Vec<&Python> = Vec::new();
    for python in pythons() {
        if !found.iter().any(|other| other.version == python.version) {
            found.push(python);
        }
    }
    found
}

/// A directory of interpreters under the given names (symlinks), to be the whole `PATH`.
fn bin_dir(context: &TestContext, name: &str, links: &[(&str, &Python)]) -> Utf8PathBuf {
    let dir = context.dir.join(name);
    fs_err::create_dir_all(&dir).unwrap();
    for (link, python) in links {
        std::os::unix::fs::symlink(&python.path, dir.join(link)).unwrap();
    }
    dir
}

/// A pure wheel whose module `which` tells the interpreter that runs it.
fn app_wheel(context: &TestContext) -> Utf8PathBuf {
    WheelBuilder::new("which", "1.0")
        .file("which.py", "import os, sys\nprint(sys.version_info[:2], os.environ.get('__PEX_RS_REEXEC'))\n")
        .build(&context.dir)
}

/// `python PEX -m which` (or `./PEX -m which` without a Python) with only `path` on `PATH`.
fn which(context: &TestContext, python: Option<&Python>, pex: &Utf8Path, path: &Utf8Path) -> Command {
    let mut command = match python {
        Some(python) => {
            let mut command = Command::new(&python.path);
            command.arg(pex);
            command
        }
        None => Command::new(pex),
    };
    clean_environment(&mut command);
    command.args(["-m", "which"]).current_dir(&context.dir).env("PEX_ROOT", &context.pex_root).env("PATH", path);
    command
}

/// What `which` prints when run under `python` (no re-exec variable is left for the application).
fn ran_under(python: &Python) -> String {
    let (major, minor) = python.version;
    format!("({major}, {minor}) None\n")
}

/// Runs the command to its end, or fails the test after two minutes: a re-exec loop would never
/// end (exec keeps the process, so killing it stops the loop).
fn finish(command: &mut Command) -> Output {
    let mut child = command.stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().expect("start the command");
    let read = |mut pipe: Box<dyn Read + Send>| {
        std::thread::spawn(move || {
            let mut bytes = Vec::new();
            pipe.read_to_end(&mut bytes).expect("read a pipe");
            bytes
        })
    };
    let stdout = read(Box::new(child.stdout.take().expect("stdout")));
    let stderr = read(Box::new(child.stderr.take().expect("stderr")));
    let start = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait") {
            break status;
        }
        if start.elapsed() > Duration::from_mins(2) {
            let _ = child.kill();
            panic!("{command:?} ran for two minutes: a re-exec loop?");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    Output { status, stdout: stdout.join().expect("stdout"), stderr: stderr.join().expect("stderr") }
}

/// A boot module of a PEX, as it carries it (`__pex_rs__/<name>.py`).
fn boot_module(pex: &Utf8Path, name: &str) -> String {
    let mut archive = zip::ZipArchive::new(fs_err::File::open(pex).unwrap()).unwrap();
    let mut text = String::new();
    archive.by_name(&format!("__pex_rs__/{name}.py")).unwrap().read_to_string(&mut text).unwrap();
    text
}

/// Where the venvs of the context's only PEX are: `venvs/v1/<pex_hash>`.
fn pex_dir(context: &TestContext) -> Utf8PathBuf {
    let venvs = context.pex_root.join("venvs/v1");
    let mut dirs: Vec<Utf8PathBuf> = fs_err::read_dir(&venvs)
        .unwrap()
        .map(|entry| Utf8PathBuf::from_path_buf(entry.unwrap().path()).unwrap())
        .filter(|path| !path.file_name().unwrap().starts_with('.'))
        .collect();
    assert_eq!(dirs.len(), 1, "one PEX in {venvs}");
    dirs.remove(0)
}

#[test]
fn each_python_installs_the_best_of_several_wheels_of_a_project() {
    if !cfg!(all(target_os = "linux", target_arch = "x86_64", target_env = "gnu")) {
        return skip("each_python_installs_the_best_of_several_wheels_of_a_project", "the wheels are for glibc x86_64");
    }
    let context = TestContext::new();
    let native = |tag: &str| {
        WheelBuilder::new("native", "1.0").tag(tag).file("native.py", format!("WHEEL = {tag:?}\n")).build(&context.dir)
    };
    let pure = native("py3-none-any");
    let versions = versions();
    let mut wheels: Vec<Utf8PathBuf> = versions
        .iter()
        .map(|python| native(&format!("cp3{0}-cp3{0}-manylinux_2_17_x86_64", python.version.1)))
        .collect();
    wheels.push(pure.clone());
    let mut args: Vec<&str> = wheels.iter().map(|wheel| wheel.as_str()).collect();
    args.extend(["--no-transitive", "-o", "native.pex"]);
    context.build(&args);
    let pex = context.dir.join("native.pex");
    let code = ["-c", "import native; print(native.WHEEL)"];
    for python in &versions {
        let minor = python.version.1;
        let expected = format!("cp3{minor}-cp3{minor}-manylinux_2_17_x86_64\n");
        assert_eq!(stdout_of(&context.run_pex(python, &pex, &code)), expected, "{}", python.name);
    }
    // Only the chosen wheels were installed, and each venv's PEX-INFO names its own only.
    let installed: Vec<String> = fs_err::read_dir(context.pex_root.join("installed_wheels/v1"))
        .unwrap()
        .filter_map(|entry| {
            let digest = entry.unwrap().path();
            let wheel = fs_err::read_dir(&digest).ok()?.next()?.unwrap();
            Some(wheel.file_name().to_string_lossy().into_owned())
        })
        .collect();
    assert_eq!(installed.len(), versions.len(), "{installed:?}");
    assert!(!installed.iter().any(|name| name.ends_with("py3-none-any.whl")), "{installed:?}");
    for venv in fs_err::read_dir(pex_dir(&context)).unwrap() {
        let venv = venv.unwrap().path();
        if venv.is_dir() && !venv.file_name().unwrap().to_string_lossy().starts_with('.') {
            let info: serde_json::Value =
                serde_json::from_str(&fs_err::read_to_string(venv.join("PEX-INFO")).unwrap()).unwrap();
            assert_eq!(info["distributions"].as_object().unwrap().len(), 1, "{}", venv.display());
        }
    }

    // The stable ABI of 3.9 and later (PEP 384) ranks above the pure wheel; 3.8 gets the pure one.
    let abi3 = native("cp39-abi3-manylinux_2_17_x86_64");
    context.build(&[abi3.as_str(), pure.as_str(), "--no-transitive", "-o", "abi3.pex"]);
    let pex = context.dir.join("abi3.pex");
    for python in &versions {
        let expected = if python.version < (3, 9) { "py3-none-any\n" } else { "cp39-abi3-manylinux_2_17_x86_64\n" };
        assert_eq!(stdout_of(&context.run_pex(python, &pex, &code)), expected, "{}", python.name);
    }

    // Universal wheels only and no constraints: nothing is decided, no probe runs.
    let universal = WheelBuilder::new("native", "2.0").file("native.py", "WHEEL = 'py3'\n").build(&context.dir);
    context.build(&[universal.as_str(), "-o", "single.pex"]);
    let pex = context.dir.join("single.pex");
    for python in &versions {
        let output = context.pex_command(python, &pex).args(code).env("PEX_VERBOSE", "1").output().unwrap();
        assert_eq!(stdout_of(&output), "py3\n", "{}", python.name);
        let log = String::from_utf8_lossy(&output.stderr);
        assert!(!log.contains("can run it") && !log.contains("probing"), "{log}");
    }

    // A wheel for one Python only (here one nobody has): judged, so the PEX says which
    // interpreters it tried instead of failing on import.
    let other = WheelBuilder::new("native", "2.0")
        .tag("cp37-cp37m-manylinux_2_17_x86_64")
        .file("native.py", "WHEEL = 'cp37m'\n")
        .build(&context.dir);
    context.build(&[other.as_str(), "-o", "cp37.pex"]);
    let output = context.run_pex(python3(), &context.dir.join("cp37.pex"), &code);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success() && stderr.contains("no compatible wheel of `native`"), "{stderr}");
}

#[test]
fn extract_installs_every_wheel_of_a_project_and_the_venv_of_its_python() {
    // A first start installs only the wheel its interpreter chooses; `pex-rs extract` (the same
    // installer, in install-only mode) fills the root for any interpreter.
    let context = TestContext::new();
    let native = |tag: &str| {
        WheelBuilder::new("native", "1.0").tag(tag).file("native.py", format!("WHEEL = {tag:?}\n")).build(&context.dir)
    };
    let wheels = [native("py3-none-any"), native("cp39-abi3-manylinux_2_17_x86_64")];
    context.build(&[wheels[0].as_str(), wheels[1].as_str(), "--no-transitive", "-o", "native.pex"]);
    let pex = context.dir.join("native.pex");
    let python = python3();
    let output = context
        .pex_rs()
        .args(["extract", pex.as_str(), "--python", python.path.to_str().unwrap()])
        .env("PEX_ROOT", &context.pex_root)
        .output()
        .unwrap();
    stdout_of(&output);
    let installed = fs_err::read_dir(context.pex_root.join("installed_wheels/v1"))
        .unwrap()
        .filter(|entry| !entry.as_ref().unwrap().file_name().to_string_lossy().starts_with('.'))
        .count();
    assert_eq!(installed, 2, "both wheels of `native` are installed");
    let venvs = fs_err::read_dir(pex_dir(&context))
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.is_dir() && !path.is_symlink() && path.join("pex").is_file())
        .count();
    assert_eq!(venvs, 1, "the venv of the given python");
}

#[test]
fn an_interpreter_outside_the_constraints_re_executes_into_one_inside() {
    let (Some(py311), Some(py312)) = (python(11), python(12)) else {
        return skip(
            "an_interpreter_outside_the_constraints_re_executes_into_one_inside",
            "needs Python 3.11 and 3.12",
        );
    };
    let context = TestContext::new();
    let wheel = app_wheel(&context);
    // The sh header's own choice is 3.11, which does not fit.
    let shebang = format!("--python-shebang={}", py311.path.display());
    context.build(&[wheel.as_str(), "--interpreter-constraint", "CPython==3.12.*", &shebang, "-o", "app.pex"]);
    let pex = context.dir.join("app.pex");
    let bin = bin_dir(&context, "bin", &[("python3", py311), ("python3.12", py312)]);

    assert_eq!(stdout_of(&finish(&mut which(&context, Some(py311), &pex, &bin))), ran_under(py312));
    let sh = pex_dir(&context).join("sh");
    assert!(!sh.exists(), "`python3.11 app.pex` is a one-off choice: it leaves `sh` alone");

    // Through the header: its 3.11 re-executes into 3.12, whose environment `sh` then names.
    assert_eq!(stdout_of(&finish(&mut which(&context, None, &pex, &bin))), ran_under(py312));
    let sh_python = fs_err::canonicalize(sh.join("bin/python")).unwrap();
    assert_eq!(sh_python, fs_err::canonicalize(&py312.path).unwrap());

    // The header's warm path runs it: the boot code does not run, nothing is probed.
    let output = finish(which(&context, None, &pex, &bin).env("PEX_VERBOSE", "1"));
    assert_eq!(stdout_of(&output), ran_under(py312));
    let log = String::from_utf8_lossy(&output.stderr);
    assert!(!log.contains("pex-rs: PEX ") && !log.contains("probing"), "{log}");

    // And 3.11 runs what `sh` names, without probing either.
    let output = finish(which(&context, Some(py311), &pex, &bin).env("PEX_VERBOSE", "1"));
    assert_eq!(stdout_of(&output), ran_under(py312));
    let log = String::from_utf8_lossy(&output.stderr);
    assert!(!log.contains("probing"), "{log}");
}

#[test]
fn no_interpreter_that_fits_is_one_error_naming_each_one_tried() {
    let context = TestContext::new();
    let wheel = app_wheel(&context);
    // A build needs a target that satisfies the constraint: a platform stands in for Python 3.99.
    context.build(&[
        wheel.as_str(),
        "--interpreter-constraint",
        "CPython==3.99.*",
        "--platform",
        "manylinux2014_x86_64-cp-399-cp399",
        "-o",
        "app.pex",
    ]);
    let pex = context.dir.join("app.pex");
    let mut links = vec![("python3", python3())];
    let newest = versions().into_iter().max_by_key(|python| python.version).unwrap();
    let newest_name = format!("python3.{}", newest.version.1);
    if newest.version != python3().version {
        links.push((&newest_name, newest));
    }
    let bin = bin_dir(&context, "bin", &links);
    write_executable(&bin.join("python"), "#!/bin/sh\necho 'not a Python' >&2\nexit 3\n");

    for python in [Some(python3()), None] {
        let output = finish(&mut which(&context, python, &pex, &bin));
        assert_eq!(output.status.code(), Some(1));
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(stderr.lines().count(), 1, "one message: {stderr}");
        assert!(stderr.starts_with("pex-rs: error: no interpreter found that can run"), "{stderr}");
        for (_, python) in &links {
            let real = fs_err::canonicalize(&python.path).unwrap();
            let version = interpreter_version(python);
            let refusal = format!("{} (CPython {version}): does not satisfy CPython==3.99.*", real.display());
            assert_eq!(stderr.matches(&refusal).count(), 1, "{refusal} once in: {stderr}");
        }
        assert!(stderr.contains(&format!("{bin}/python: cannot run it: not a Python")), "{stderr}");
    }
    assert!(!context.pex_root.join("venvs").exists(), "nothing was installed");
}

#[test]
fn pex_python_steers_the_search_and_a_re_exec_never_searches_again() {
    let (Some(py311), Some(py312), Some(py313)) = (python(11), python(12), python(13)) else {
        return skip(
            "pex_python_steers_the_search_and_a_re_exec_never_searches_again",
            "needs Python 3.11, 3.12 and 3.13",
        );
    };
    let context = TestContext::new();
    let wheel = app_wheel(&context);
    context.build(&[wheel.as_str(), "--interpreter-constraint", "CPython>=3.12", "-o", "app.pex"]);
    let pex = context.dir.join("app.pex");
    let bin = bin_dir(&context, "bin", &[("python3", py311), ("python3.12", py312), ("python3.13", py313)]);
    let only_312 = bin_dir(&context, "only-312", &[("python3.12", py312)]);
    let run = |python: Option<&Python>, variables: &[(&str, &str)]| {
        stdout_of(&finish(which(&context, python, &pex, &bin).envs(variables.iter().copied())))
    };

    // The search takes the newest first, unless PEX_PYTHON names another that fits.
    assert_eq!(run(Some(py311), &[]), ran_under(py313));
    assert_eq!(run(Some(py311), &[("PEX_PYTHON", "python3.12")]), ran_under(py312));
    // PEX_PYTHON_PATH replaces PATH as the place to search.
    assert_eq!(run(Some(py311), &[("PEX_PYTHON_PATH", only_312.as_str())]), ran_under(py312));
    // PEX_PYTHON names the interpreter that runs the PEX (pex's rule), even when the one that
    // started it fits.
    assert_eq!(run(Some(py312), &[("PEX_PYTHON", "python3.13")]), ran_under(py313));
    assert!(!pex_dir(&context).join("sh").exists(), "a PEX_PYTHON start does not set `sh`");

    // PEX_PYTHON naming one that does not fit, or none at all, is an error, not a fallback.
    let py311_path = py311.path.to_str().unwrap();
    for python in [None, Some(py313)] {
        let output = finish(which(&context, python, &pex, &bin).env("PEX_PYTHON", py311_path));
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(1), "{stderr}");
        assert!(stderr.starts_with("pex-rs: error: PEX_PYTHON names ") && stderr.contains("cannot run"), "{stderr}");
        assert_eq!(stderr.lines().count(), 1, "{stderr}");
    }
    let output = finish(which(&context, Some(py312), &pex, &bin).env("PEX_PYTHON", "python3.99"));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("PEX_PYTHON is python3.99, which is not on PATH"), "{stderr}");

    // A start made by a re-exec that does not fit fails instead of searching again.
    let output = finish(which(&context, Some(py311), &pex, &bin).env("__PEX_RS_REEXEC", "1/elsewhere/python3"));
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("does not satisfy CPython>=3.12 (although /elsewhere/python3 found that it could)"),
        "{stderr}"
    );
}

#[test]
fn boot_tags_are_packaging_sys_tags_on_every_python() {
    let context = TestContext::new();
    let wheel = app_wheel(&context);
    context.build(&[wheel.as_str(), "-o", "app.pex"]);
    fs_err::write(context.dir.join("fit.py"), boot_module(&context.dir.join("app.pex"), "fit")).unwrap();
    // packaging itself, or the copy pip vendors (the same code).
    let script = "
import json, sys
fit = {}
exec(open(sys.argv[1]).read(), fit)
try:
    import packaging
    from packaging import tags
except ImportError:
    from pip._vendor import packaging
    from pip._vendor.packaging import tags
ours = fit['_sys_tags'](fit['_platform_tags']())
print(json.dumps({'version': packaging.__version__, 'ours': ours, 'theirs': [str(t) for t in tags.sys_tags()]}))
";
    for python in pythons() {
        let output = Command::new(&python.path).args(["-I", "-c", script, "fit.py"]).current_dir(&context.dir).output();
        let output = output.unwrap();
        if !output.status.success() {
            skip(&python.name, &format!("no packaging: {}", String::from_utf8_lossy(&output.stderr)));
            continue;
        }
        let answer: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
        let version = answer["version"].as_str().unwrap();
        let major: u32 = version.split('.').next().unwrap().parse().unwrap();
        if major >= 26 {
            skip(&python.name, &format!("packaging {version} orders tags differently"));
            continue;
        }
        let strings = |key: &str| -> Vec<String> {
            answer[key].as_array().unwrap().iter().map(|tag| tag.as_str().unwrap().to_owned()).collect()
        };
        let mut ours = strings("ours");
        if major < 22 {
            // packaging before 22.0 lacks CPython's `cpXY-none-any` (pypa/packaging#541).
            ours.retain(|tag| !(tag.starts_with("cp") && tag.ends_with("-none-any")));
        }
        let theirs = strings("theirs");
        let first_difference = ours.iter().zip(&theirs).position(|(ours, theirs)| ours != theirs);
        assert!(
            ours == theirs,
            "{} (packaging {version}): {} tags against {}, first difference at {first_difference:?}",
            python.name,
            ours.len(),
            theirs.len()
        );
    }
}

#[test]
fn constraints_match_as_pep_440_says() {
    let context = TestContext::new();
    let wheel = app_wheel(&context);
    context.build(&[wheel.as_str(), "-o", "app.pex"]);
    fs_err::write(context.dir.join("fit.py"), boot_module(&context.dir.join("app.pex"), "fit")).unwrap();
    // (constraint, implementation, version, admitted)
    let table = [
        ("CPython>=3.9,<3.14", "CPython", "3.13.1", true),
        ("CPython>=3.9,<3.14", "CPython", "3.14.0", false),
        ("cpython==3.12.*", "CPython", "3.12.7", true),
        ("CPython==3.12.*", "PyPy", "3.12.7", false),
        (">=3.8", "PyPy", "3.10.14", true),
        (">=3.8", "CPython", "3.7.17", false),
        ("PyPy", "PyPy", "3.9.0", true),
        ("PyPy", "CPython", "3.9.0", false),
        ("==3.12", "CPython", "3.12.0", true),
        ("==3.12", "CPython", "3.12.1", false),
        ("==3.12.0.*", "CPython", "3.12.0", true),
        ("!=3.12.*", "CPython", "3.12.3", false),
        ("!=3.12.1", "CPython", "3.12.3", true),
        ("~=3.12", "CPython", "3.13.0", true),
        ("~=3.12.1", "CPython", "3.13.0", false),
        ("~=3.12.1", "CPython", "3.12.0", false),
        ("~=3.12.1", "CPython", "3.12.5", true),
        (">3.12.0rc1", "CPython", "3.12.0", true),
        ("<3.13.0rc1", "CPython", "3.13.0", false),
        ("<=3.12", "CPython", "3.12.0", true),
        ("<=3.12", "CPython", "3.12.1", false),
        ("===3.12.1", "CPython", "3.12.1", true),
        (">=3.9.5, <3.12.1", "CPython", "3.9.4", false),
    ];
    let rows: Vec<String> = table
        .iter()
        .map(|(constraint, implementation, version, _)| format!("({constraint:?}, {implementation:?}, {version:?})"))
        .collect();
    let script = format!(
        "import sys\nfit = {{}}\nexec(open('fit.py').read(), fit)\n\
         for c, i, v in [{}]:\n    print(fit['_satisfies'](fit['_constraint'](c), i, v))\n\
         for c in ['', 'CPython>=three', '>=3.12.post1', '~=3', '<3.12.*']:\n    \
         try:\n        fit['_constraint'](c)\n        print('read', c)\n    except ValueError:\n        print('refused')\n",
        rows.join(", ")
    );
    let output = Command::new(&python3().path).args(["-I", "-c", &script]).current_dir(&context.dir).output().unwrap();
    let text = stdout_of(&output);
    let lines: Vec<&str> = text.lines().collect();
    for (row, line) in table.iter().zip(&lines) {
        assert_eq!(*line, if row.3 { "True" } else { "False" }, "{row:?}");
    }
    assert_eq!(lines[table.len()..].to_vec(), vec!["refused"; 5]);
}

#[test]
fn the_re_exec_uses_the_sh_header_s_loader() {
    let context = TestContext::new();
    let wheel = app_wheel(&context);
    context.build(&[wheel.as_str(), "-o", "app.pex"]);
    let pex = context.dir.join("app.pex");
    fs_err::write(context.dir.join("boot.py"), boot_module(&pex, "boot")).unwrap();
    let script = "boot = {}\nexec(open('boot.py').read(), boot)\nprint(boot['_LOADER'])";
    let output = Command::new(&python3().path).args(["-I", "-c", script]).current_dir(&context.dir).output().unwrap();
    let loader = stdout_of(&output);
    let header = String::from_utf8_lossy(&fs_err::read(&pex).unwrap()[..4096]).into_owned();
    let exec = format!("exec \"$python\" -S -c \"{}\" \"$0\" \"$@\"", loader.trim_end());
    assert!(header.contains(&exec), "{exec}\nnot in the header:\n{header}");
}

/// The `X.Y.Z` version of an interpreter.
fn interpreter_version(python: &Python) -> String {
    let output = Command::new(&python.path).args(["-c", "import platform; print(platform.python_version())"]).output();
    stdout_of(&output.unwrap()).trim().to_owned()
}

fn write_executable(path: &Utf8Path, text: &str) {
    use std::os::unix::fs::PermissionsExt;
    fs_err::write(path, text).unwrap();
    fs_err::set_permissions(path, std::fs::Permissions::from_mode(0o755)).unwrap();
}
