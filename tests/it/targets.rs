//! Build targets: several interpreters in one PEX, foreign platforms (musllinux, macOS) from
//! Linux, complete platforms, interpreter constraints, the default shebang.

use crate::index_server::{IndexServer, ServedFile};
use crate::support::{
    TestContext, WheelBuilder, clean_environment, compile_extension, python3, pythons, stdout_of, write_file,
};

/// `native 1.0` for one CPython version and platform: a pure module that says which wheel it
/// came from, under a native wheel's tags.
fn native(tag: &str) -> WheelBuilder {
    WheelBuilder::new("native", "1.0").tag(tag).file("native.py", format!("TAG = {tag:?}\n"))
}

/// The wheel file names of a built PEX.
fn distributions(context: &TestContext, pex: &str) -> Vec<String> {
    let info = stdout_of(&context.pex_rs().args(["info", "--json", pex]).output().unwrap());
    let info: serde_json::Value = serde_json::from_str(&info).unwrap();
    info["distributions"].as_object().unwrap().keys().cloned().collect()
}

fn build(context: &TestContext, server: &IndexServer, args: &[&str]) -> std::process::Output {
    context.pex_rs().arg("build").args(args).args(["--index-url", &server.simple_url()]).output().unwrap()
}

#[test]
fn ok_one_pex_for_every_local_python() {
    // A real C extension per Python (its `answer()` is the minor version), plus a pure wheel.
    let context = TestContext::new();
    let mut wheels = vec![
        WheelBuilder::new("app", "1.0").requires("native").requires("pure").file("app.py", "import native\n"),
        WheelBuilder::new("pure", "1.0").file("pure.py", ""),
    ];
    for python in pythons() {
        let (major, minor) = python.version;
        let Some((file_name, library)) = compile_extension(&context.dir, python, "native", i64::from(minor)) else {
            return;
        };
        wheels.push(
            WheelBuilder::new("native", "1.0")
                .tag(&format!("cp{major}{minor}-cp{major}{minor}-linux_x86_64"))
                .executable(&file_name, library),
        );
    }
    // A wheel for a Python nobody targets must stay out.
    wheels.push(native("cp27-cp27mu-manylinux1_x86_64"));
    let server = IndexServer::start(wheels.iter().map(ServedFile::from_wheel).collect());
    let mut args = vec!["app", "-o", "app.pex"];
    let paths: Vec<String> = pythons().iter().map(|python| python.path.to_string_lossy().into_owned()).collect();
    for path in &paths {
        args.extend(["--python", path.as_str()]);
    }
    stdout_of(&build(&context, &server, &args));
    let found = distributions(&context, "app.pex");
    for python in pythons() {
        let (major, minor) = python.version;
        let wheel = format!("native-1.0-cp{major}{minor}-cp{major}{minor}-linux_x86_64.whl");
        assert!(found.contains(&wheel), "{wheel} missing from {found:?}");
    }
    assert!(!found.iter().any(|wheel| wheel.contains("cp27")), "{found:?}");
    // Each interpreter loads its own extension.
    let pex = context.dir.join("app.pex");
    for python in pythons() {
        let output = context.run_pex(python, &pex, &["-c", "import native, pure; print(native.answer())"]);
        assert_eq!(stdout_of(&output).trim(), python.version.1.to_string(), "{}", python.name);
    }
}

#[test]
fn ok_foreign_platforms_pick_their_wheels() {
    let wheels = [
        native("cp312-cp312-manylinux_2_17_x86_64.manylinux2014_x86_64"),
        native("cp312-cp312-manylinux_2_17_aarch64"),
        native("cp312-cp312-musllinux_1_1_aarch64"),
        native("cp312-cp312-linux_aarch64"),
        native("cp313-cp313-macosx_11_0_arm64"),
        native("cp313-cp313-macosx_10_13_x86_64"),
        WheelBuilder::new("lib", "1.0").file("lib.py", ""),
        WheelBuilder::new("app", "1.0")
            .requires("native")
            .requires("lib")
            .requires("linux-only; sys_platform == 'linux'"),
        WheelBuilder::new("linux-only", "1.0").file("linux_only.py", ""),
    ];
    let server = IndexServer::start(wheels.iter().map(ServedFile::from_wheel).collect());
    let context = TestContext::new();
    let output =
        build(&context, &server, &["app", "--platform", "musllinux_1_2_aarch64-cp-312-cp312", "-o", "musl.pex"]);
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    stdout_of(&output);
    assert!(stderr.contains("were guessed: python_full_version"), "a warning names the guessed markers: {stderr}");
    let found = distributions(&context, "musl.pex");
    assert!(found.contains(&"native-1.0-cp312-cp312-musllinux_1_1_aarch64.whl".to_owned()), "{found:?}");
    assert!(found.contains(&"linux_only-1.0-py3-none-any.whl".to_owned()), "sys_platform is linux: {found:?}");
    assert_eq!(found.iter().filter(|wheel| wheel.starts_with("native-")).count(), 1, "{found:?}");

    stdout_of(&build(&context, &server, &["app", "--platform", "macosx_11_0_arm64-cp-313-cp313", "-o", "mac.pex"]));
    let found = distributions(&context, "mac.pex");
    assert!(found.contains(&"native-1.0-cp313-cp313-macosx_11_0_arm64.whl".to_owned()), "{found:?}");
    assert!(!found.iter().any(|wheel| wheel.starts_with("linux_only")), "not on darwin: {found:?}");

    // Two platforms in one PEX; a `linux_<arch>` wheel never counts for a foreign platform.
    stdout_of(&build(
        &context,
        &server,
        &[
            "app",
            "--platform",
            "manylinux2014_x86_64-cp-312-cp312",
            "--platform",
            "manylinux2014_aarch64-cp-312-cp312",
            "-o",
            "both.pex",
        ],
    ));
    let found = distributions(&context, "both.pex");
    assert!(
        found.contains(&"native-1.0-cp312-cp312-manylinux_2_17_x86_64.manylinux2014_x86_64.whl".to_owned()),
        "{found:?}"
    );
    assert!(found.contains(&"native-1.0-cp312-cp312-manylinux_2_17_aarch64.whl".to_owned()), "{found:?}");
    assert!(!found.iter().any(|wheel| wheel.contains("linux_aarch64.whl") && !wheel.contains("many")), "{found:?}");

    let output = build(&context, &server, &["app", "--platform", "cp312-musllinux", "-o", "bad.pex"]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success() && stderr.contains("PLATFORM-IMPL-VERSION-ABI"), "{stderr}");
}

#[test]
fn ok_complete_platform_round_trip() {
    let python = python3();
    let (major, minor) = python.version;
    let wheels = [
        native(&format!("cp{major}{minor}-cp{major}{minor}-manylinux_2_17_x86_64")),
        native("cp27-cp27mu-manylinux1_x86_64"),
        WheelBuilder::new("app", "1.0").requires("native"),
    ];
    let server = IndexServer::start(wheels.iter().map(ServedFile::from_wheel).collect());
    let context = TestContext::new();
    let path = python.path.to_str().unwrap();
    let platform =
        stdout_of(&context.pex_rs().args(["interpreter", "--complete-platform", "--python", path]).output().unwrap());
    let file = write_file(&context.dir, "platform.json", &platform);
    stdout_of(&build(&context, &server, &["app", "--complete-platform", file.as_str(), "-o", "captured.pex"]));
    stdout_of(&build(&context, &server, &["app", "--python", path, "-o", "local.pex"]));
    assert_eq!(distributions(&context, "captured.pex"), distributions(&context, "local.pex"));
    let bad = write_file(&context.dir, "bad.json", "{\"marker_environment\": {}}");
    let output = build(&context, &server, &["app", "--complete-platform", bad.as_str(), "-o", "bad.pex"]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success() && stderr.contains("pex-rs interpreter --complete-platform"), "{stderr}");
}

#[test]
fn ok_interpreter_constraints_choose_targets_and_the_shebang() {
    let Some(python) = pythons().iter().find(|python| python.version != python3().version) else {
        let _ = std::io::Write::write_all(
            &mut std::io::stderr(),
            b"note: ok_interpreter_constraints_choose_targets_and_the_shebang needs a second Python version; skipped\n",
        );
        return;
    };
    let (major, minor) = python.version;
    let wheels = [
        native(&format!("cp{major}{minor}-cp{major}{minor}-manylinux_2_17_x86_64")),
        WheelBuilder::new("app", "1.0").requires("native"),
    ];
    let server = IndexServer::start(wheels.iter().map(ServedFile::from_wheel).collect());
    let context = TestContext::new();
    let constraint = format!("CPython=={major}.{minor}.*");
    // The constraint alone: every matching interpreter on PATH is a target.
    stdout_of(&build(&context, &server, &["app", "--interpreter-constraint", &constraint, "-o", "app.pex"]));
    let info = stdout_of(&context.pex_rs().args(["info", "--json", "app.pex"]).output().unwrap());
    let info: serde_json::Value = serde_json::from_str(&info).unwrap();
    assert_eq!(info["interpreter_constraints"], serde_json::json!([constraint]));
    let header = fs_err::read(context.dir.join("app.pex")).unwrap();
    let header = String::from_utf8_lossy(&header[..2000.min(header.len())]).into_owned();
    assert!(header.contains(&format!("python{major}.{minor}")), "the shebang names the one target's version");
    // An interpreter outside the constraints is refused.
    let output = build(
        &context,
        &server,
        &["app", "--python", python3().path.to_str().unwrap(), "--interpreter-constraint", &constraint, "-o", "x.pex"],
    );
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success() && stderr.contains("does not satisfy the interpreter constraints"), "{stderr}");
    let output = build(&context, &server, &["app", "--interpreter-constraint", "CPython==2.1.*", "-o", "x.pex"]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success() && stderr.contains("no interpreter on PATH satisfies"), "{stderr}");
    let output = build(&context, &server, &["app", "--interpreter-constraint", "Jython>=2", "-o", "x.pex"]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success() && stderr.contains("unknown implementation `Jython`"), "{stderr}");
}

#[test]
fn ok_each_python_installs_its_own_targets_wheels() {
    let find = |minor| pythons().iter().find(|python| python.version == (3, minor));
    let (Some(old), Some(new)) = (find(8), find(12)) else {
        let _ = std::io::Write::write_all(
            &mut std::io::stderr(),
            b"note: ok_each_python_installs_its_own_targets_wheels needs python3.8 and python3.12; skipped\n",
        );
        return;
    };
    // `backport` exists only for 3.8, and only 3.8 needs it: 3.12 must neither want it nor
    // go looking for another interpreter because of it.
    let wheels = [
        WheelBuilder::new("app", "1.0").requires("native").requires("backport; python_version < '3.9'"),
        native("cp38-cp38-manylinux_2_17_x86_64"),
        native("cp312-cp312-manylinux_2_17_x86_64"),
        WheelBuilder::new("backport", "1.0").tag("cp38-cp38-manylinux_2_17_x86_64").file("backport.py", ""),
    ];
    let server = IndexServer::start(wheels.iter().map(ServedFile::from_wheel).collect());
    let context = TestContext::new();
    let (old_path, new_path) = (old.path.to_str().unwrap(), new.path.to_str().unwrap());
    stdout_of(&build(&context, &server, &["app", "--python", old_path, "--python", new_path, "-o", "app.pex"]));
    let pex = context.dir.join("app.pex");
    let probe = "import sys, native, importlib.util as u; print(sys.version_info[:2], native.TAG, bool(u.find_spec('backport')))";
    let output = stdout_of(&context.run_pex(new, &pex, &["-c", probe]));
    assert_eq!(output.trim(), "(3, 12) cp312-cp312-manylinux_2_17_x86_64 False");
    let output = stdout_of(&context.run_pex(old, &pex, &["-c", probe]));
    assert_eq!(output.trim(), "(3, 8) cp38-cp38-manylinux_2_17_x86_64 True");
}

/// The interpreter of `3.minor`, or `None` with a printed note naming `test`.
fn python_3(minor: u32, test: &str) -> Option<&'static crate::support::Python> {
    let found = pythons().iter().find(|python| python.version == (3, minor));
    if found.is_none() {
        let _ = std::io::Write::write_all(
            &mut std::io::stderr(),
            format!("note: {test} needs python3.{minor}; skipped\n").as_bytes(),
        );
    }
    found
}

#[test]
fn ok_each_target_keeps_its_markers_and_versions() {
    let test = "ok_each_target_keeps_its_markers_and_versions";
    let (Some(old), Some(new)) = (python_3(8, test), python_3(12, test)) else { return };
    // `tomli` only below 3.11; `lib` 10 needs 3.9, so 3.8 must keep lib 9.
    let wheels = [
        WheelBuilder::new("app", "1.0").requires("lib").requires("tomli; python_version < '3.11'"),
        WheelBuilder::new("tomli", "2.0").file("tomli.py", ""),
        WheelBuilder::new("lib", "9.0").file("lib.py", "VERSION = '9.0'\n"),
        WheelBuilder::new("lib", "10.0").requires_python(">=3.9").file("lib.py", "VERSION = '10.0'\n"),
    ];
    let server = IndexServer::start(wheels.iter().map(ServedFile::from_wheel).collect());
    let context = TestContext::new();
    let (old_path, new_path) = (old.path.to_str().unwrap(), new.path.to_str().unwrap());
    stdout_of(&build(&context, &server, &["app", "--python", old_path, "--python", new_path, "-o", "app.pex"]));
    let pex = context.dir.join("app.pex");
    let probe = "import lib, importlib.util as u; print(lib.VERSION, bool(u.find_spec('tomli')))";
    assert_eq!(stdout_of(&context.run_pex(old, &pex, &["-c", probe])).trim(), "9.0 True");
    assert_eq!(stdout_of(&context.run_pex(new, &pex, &["-c", probe])).trim(), "10.0 False");
}

#[test]
fn ok_a_re_exec_into_an_older_python_drops_options_it_does_not_know() {
    let test = "ok_a_re_exec_into_an_older_python_drops_options_it_does_not_know";
    let (Some(old), Some(new)) = (python_3(10, test), python_3(12, test)) else { return };
    let server = IndexServer::start(vec![ServedFile::from_wheel(&WheelBuilder::new("lib", "1.0").file("lib.py", ""))]);
    let context = TestContext::new();
    stdout_of(&build(&context, &server, &["lib", "--interpreter-constraint", "CPython==3.10.*", "-o", "app.pex"]));
    // `-I` on 3.11+ implies `-P`, which 3.10 does not know.
    let mut command = std::process::Command::new(&new.path);
    clean_environment(&mut command);
    command
        .arg("-I")
        .arg(context.dir.join("app.pex"))
        .args(["-c", "import sys, lib; print(sys.version_info[:2])"])
        .env("PEX_ROOT", &context.pex_root)
        .current_dir(&context.dir);
    let output = stdout_of(&command.output().unwrap());
    assert_eq!(output.trim(), format!("({}, {})", old.version.0, old.version.1));
}

#[test]
fn err_platform_outside_the_constraints() {
    let server = IndexServer::start(vec![ServedFile::from_wheel(&WheelBuilder::new("lib", "1.0").file("lib.py", ""))]);
    let context = TestContext::new();
    let output = build(
        &context,
        &server,
        &[
            "lib",
            "--interpreter-constraint",
            "CPython==3.12.*",
            "--platform",
            "manylinux2014_x86_64-cp-311-cp311",
            "-o",
            "x.pex",
        ],
    );
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success() && stderr.contains("does not satisfy the interpreter constraints"), "{stderr}");
}

#[test]
fn err_given_wheels_must_suit_every_named_target() {
    let context = TestContext::new();
    let windows =
        WheelBuilder::new("winonly", "1.0").tag("cp312-cp312-win_amd64").file("winonly.py", "").build(&context.dir);
    let python = python3().path.to_str().unwrap();
    let output =
        context.pex_rs().args(["build", windows.as_str(), "--python", python, "-o", "x.pex"]).output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success() && stderr.contains("no wheel of `winonly` runs on"), "{stderr}");
    assert!(!context.dir.join("x.pex").exists());
    // Without a named target, wheels are bundled as given (a foreign wheel is the user's call).
    stdout_of(&context.pex_rs().args(["build", windows.as_str(), "-o", "x.pex"]).output().unwrap());
}
