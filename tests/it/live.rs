//! Opt-in tests against the default package index (`PEX_RS_LIVE_TESTS=1`): real projects
//! resolved and downloaded through the machine's own index configuration, built, and run, as
//! a user would by hand.

use std::process::Command;

use crate::support::{TestContext, clean_environment, python3, stdout_of};

/// `true` when live tests were asked for; otherwise prints why they are skipped.
fn enabled(test: &str) -> bool {
    if std::env::var_os("PEX_RS_LIVE_TESTS").is_some_and(|value| value == "1") {
        return true;
    }
    let _ = std::io::Write::write_all(
        &mut std::io::stderr(),
        format!("note: {test} needs the network; set PEX_RS_LIVE_TESTS=1 to run it\n").as_bytes(),
    );
    false
}

/// `pex-rs ARGS` with the machine's index configuration (unlike `TestContext::pex_rs`).
fn pex_rs(context: &TestContext, args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_pex-rs-under-test"))
        .current_dir(&context.dir)
        .env("PEX_RS_CACHE_DIR", &context.cache_dir)
        .args(args)
        .output()
        .expect("run pex-rs")
}

#[test]
fn live_build_and_run_real_projects() {
    if !enabled("live_build_and_run_real_projects") {
        return;
    }
    let context = TestContext::new();
    let python = python3().path.to_str().unwrap();
    for (requirements, flags, run, expected) in [
        (&["cowsay==6.1"][..], &["-c", "cowsay"][..], &["-t", "hello-live"][..], "hello-live"),
        (&["requests"][..], &[][..], &["-c", "import requests; print(requests.get.__module__)"][..], "requests.api"),
        (&["pyyaml"][..], &[][..], &["-c", "import yaml; print('libyaml', yaml.__with_libyaml__)"][..], "libyaml True"),
    ] {
        let pex = context.dir.join("live.pex");
        let mut args = vec!["build"];
        args.extend_from_slice(requirements);
        args.extend_from_slice(flags);
        args.extend_from_slice(&["--python", python, "-o", pex.as_str()]);
        stdout_of(&pex_rs(&context, &args));
        let mut command = Command::new(&pex);
        clean_environment(&mut command);
        let output = command.args(run).env("PEX_ROOT", &context.pex_root).output().unwrap();
        assert!(stdout_of(&output).contains(expected), "{requirements:?}");
        // A warm rebuild, then one from the cache alone.
        stdout_of(&pex_rs(&context, &args));
        args.push("--offline");
        stdout_of(&pex_rs(&context, &args));
    }
}

#[test]
fn live_source_builds() {
    if !enabled("live_source_builds") {
        return;
    }
    let context = TestContext::new();
    let python = python3().path.to_str().unwrap();
    // A local setuptools project whose one dependency (docopt) has only an sdist on the index;
    // its build requirements come from the index too.
    let project = crate::support::write_file(
        &context.dir,
        "tool/pyproject.toml",
        "[build-system]\nrequires = [\"setuptools>=61\"]\nbuild-backend = \"setuptools.build_meta\"\n\n\
         [project]\nname = \"tool\"\nversion = \"0.1.0\"\ndependencies = [\"docopt==0.6.2\"]\n\n\
         [project.scripts]\ntool = \"tool:main\"\n",
    );
    crate::support::write_file(
        &context.dir,
        "tool/tool/__init__.py",
        "\"\"\"Usage: tool [--name=NAME]\"\"\"\nfrom docopt import docopt\n\n\ndef main():\n    print('hi', docopt(__doc__)['--name'])\n",
    );
    let project = project.parent().unwrap().to_string();
    let pex = context.dir.join("tool.pex");
    let args = ["build", project.as_str(), "-c", "tool", "--python", python, "-o", pex.as_str()];
    stdout_of(&pex_rs(&context, &args));
    let mut command = Command::new(&pex);
    clean_environment(&mut command);
    let output = command.arg("--name=live").env("PEX_ROOT", &context.pex_root).output().unwrap();
    assert_eq!(stdout_of(&output).trim(), "hi live");
    let info = stdout_of(&pex_rs(&context, &["info", pex.as_str()]));
    assert!(info.contains("from sdist docopt-0.6.2.tar.gz"), "{info}");
    // Warm and offline: nothing is built again.
    stdout_of(&pex_rs(&context, &args));
    let mut offline = args.to_vec();
    offline.push("--offline");
    stdout_of(&pex_rs(&context, &offline));
}

#[test]
fn live_resolve_prints_pins() {
    if !enabled("live_resolve_prints_pins") {
        return;
    }
    let context = TestContext::new();
    let python = python3().path.to_str().unwrap();
    let pins = stdout_of(&pex_rs(&context, &["resolve", "black", "--python", python]));
    assert!(pins.lines().any(|line| line.starts_with("black==")), "{pins}");
    assert!(pins.lines().any(|line| line.starts_with("click==")), "{pins}");
}

#[test]
fn live_universal_lock_builds_for_old_and_new_pythons() {
    if !enabled("live_universal_lock_builds_for_old_and_new_pythons") {
        return;
    }
    let context = TestContext::new();
    // black dropped Python 3.8 and 3.9 in later releases: the lock splits it by Python version.
    stdout_of(&pex_rs(&context, &["lock", "black", "--universal"]));
    let lock = fs_err::read_to_string(context.dir.join("pylock.toml")).unwrap();
    assert!(lock.contains("requires-python = \">=3.8\"") && lock.contains("marker = \"python_full_version"), "{lock}");
    for python in crate::support::pythons() {
        let name = python.path.to_str().unwrap();
        stdout_of(&pex_rs(
            &context,
            &["build", "--lock", "pylock.toml", "-c", "black", "--python", name, "-o", "b.pex"],
        ));
        let mut command = Command::new(&python.path);
        clean_environment(&mut command);
        let output =
            command.arg(context.dir.join("b.pex")).arg("--version").env("PEX_ROOT", &context.pex_root).output();
        assert!(stdout_of(&output.unwrap()).contains("(compiled: "), "{}", python.name);
    }
}
