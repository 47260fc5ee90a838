use std::process::{Command, Stdio};
use std::time::Duration;

use crate::support::{TestContext, WheelBuilder, python3, stdout_of, write_file};
use camino::{Utf8Path, Utf8PathBuf};

/// A PEX with a wheel big enough that installing it takes a while (many small files).
fn big_pex(context: &TestContext) -> Utf8PathBuf {
    let mut builder = WheelBuilder::new("bulky", "1.0").file("bulky/__init__.py", "SIZE = 1500\n");
    for index in 0..1500 {
        builder = builder.file(&format!("bulky/part_{index:04}.py"), format!("VALUE = {index}\n"));
    }
    let small = WheelBuilder::new("small", "1.0").file("small.py", "OK = 'small'\n").build(&context.dir);
    let wheel = builder.build(&context.dir);
    write_file(&context.dir, "src/check.py", "import bulky.part_1499, small\nprint(small.OK, bulky.part_1499.VALUE)\n");
    context.build(&[wheel.as_str(), small.as_str(), "-D", "src", "-e", "check", "-o", "big.pex"]);
    context.dir.join("big.pex")
}

/// The entries of a bucket, split into finished ones and leftovers (`.tmp`, locks).
fn bucket(pex_root: &Utf8Path, name: &str) -> (Vec<String>, Vec<String>) {
    let dir = pex_root.join(name).join("v1");
    let mut finished = Vec::new();
    let mut other = Vec::new();
    for entry in fs_err::read_dir(&dir).unwrap() {
        let name = entry.unwrap().file_name().to_string_lossy().into_owned();
        if name.starts_with('.') { other.push(name) } else { finished.push(name) }
    }
    (finished, other)
}

#[test]
fn concurrent_first_runs_all_succeed_with_one_install() {
    let context = TestContext::new();
    let pex = big_pex(&context);
    let children: Vec<_> = (0..32)
        .map(|_| context.pex_command(python3(), &pex).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap())
        .collect();
    for child in children {
        assert_eq!(stdout_of(&child.wait_with_output().unwrap()), "small 1499\n");
    }
    let (wheels, leftovers) = bucket(&context.pex_root, "installed_wheels");
    assert_eq!(wheels.len(), 2, "one install per wheel: {wheels:?}");
    assert!(leftovers.iter().all(|name| name.ends_with(".lck")), "unexpected leftovers: {leftovers:?}");
    let (code, _) = bucket(&context.pex_root, "user_code");
    assert_eq!(code.len(), 1);
}

#[test]
fn a_run_killed_mid_install_leaves_nothing_trusted() {
    let context = TestContext::new();
    let pex = big_pex(&context);
    // Kill the first run at several points of its install; each time, the next run must work.
    for delay in [40, 80, 160, 320] {
        if context.pex_root.exists() {
            fs_err::remove_dir_all(&context.pex_root).unwrap();
        }
        let mut child =
            context.pex_command(python3(), &pex).stdout(Stdio::null()).stderr(Stdio::null()).spawn().unwrap();
        std::thread::sleep(Duration::from_millis(delay));
        let _ = child.kill(); // SIGKILL: no cleanup handler runs.
        let _ = child.wait();
        if context.pex_root.join("installed_wheels/v1").exists() {
            // Whatever is there is either complete or hidden (a dot-prefixed temp dir).
            let (wheels, _) = bucket(&context.pex_root, "installed_wheels");
            for wheel in wheels {
                let dir = context.pex_root.join("installed_wheels/v1").join(&wheel);
                let whl = fs_err::read_dir(&dir).unwrap().next().unwrap().unwrap().path();
                assert!(
                    whl.join("bulky").exists() || whl.join("small.py").exists(),
                    "partial install published: {dir}"
                );
            }
        }
        let output = context.run_pex(python3(), &pex, &[]);
        assert_eq!(stdout_of(&output), "small 1499\n", "after a kill at {delay} ms");
        let (_, leftovers) = bucket(&context.pex_root, "installed_wheels");
        assert!(leftovers.iter().all(|name| name.ends_with(".lck")), "temp dirs left after recovery: {leftovers:?}");
    }
}

#[test]
fn an_unwritable_pex_root_falls_back_to_a_temporary_one() {
    let context = TestContext::new();
    let pex = big_pex(&context);
    // A PEX_ROOT below a regular file can never be created, even by root.
    write_file(&context.dir, "blocker", "");
    let output = Command::new(&python3().path)
        .arg(&pex)
        .env("PEX_ROOT", context.dir.join("blocker/root"))
        .env_remove("PEX_VERBOSE")
        .output()
        .unwrap();
    assert_eq!(stdout_of(&output), "small 1499\n");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(stderr.lines().count(), 1, "one warning line: {stderr}");
    assert!(stderr.contains("blocker/root"), "the warning names the root: {stderr}");
}

/// Every file under `dir`: its relative path, mode, size and content digest, plus its
/// modification time when `with_times` (to prove that nothing was written).
fn snapshot(dir: &Utf8Path, with_times: bool) -> Vec<String> {
    use sha2::Digest as _;
    use std::os::unix::fs::MetadataExt;
    let mut lines = Vec::new();
    let mut pending = vec![dir.to_owned()];
    while let Some(current) = pending.pop() {
        for entry in fs_err::read_dir(&current).unwrap() {
            let path = Utf8PathBuf::from_path_buf(entry.unwrap().path()).unwrap();
            let metadata = fs_err::symlink_metadata(&path).unwrap();
            let relative = path.strip_prefix(dir).unwrap();
            let time =
                if with_times { format!(" {}.{}", metadata.mtime(), metadata.mtime_nsec()) } else { String::new() };
            if metadata.is_dir() {
                lines.push(format!("{relative}/{time}"));
                pending.push(path);
            } else if metadata.is_symlink() {
                lines.push(format!("{relative} -> {}{time}", fs_err::read_link(&path).unwrap().display()));
            } else {
                let digest = sha2::Sha256::digest(fs_err::read(&path).unwrap());
                lines.push(format!("{relative} {:o} {} {digest:x}{time}", metadata.mode() & 0o777, metadata.len()));
            }
        }
    }
    lines.sort();
    lines
}

#[test]
fn extract_installs_what_a_first_run_would_and_a_warm_run_writes_nothing() {
    let context = TestContext::new();
    let pex = big_pex(&context);
    let python = python3().path.to_str().unwrap().to_owned();

    // A first run installs into one root, `pex-rs extract` into another: the same trees.
    stdout_of(&context.run_pex(python3(), &pex, &[]));
    let extracted = context.dir.join("extracted");
    let output = context
        .pex_rs()
        .args(["extract", pex.as_str(), "--pex-root", extracted.as_str(), "--python", &python])
        .output()
        .unwrap();
    stdout_of(&output);
    for bucket in ["installed_wheels/v1", "user_code/v1"] {
        let by_run: Vec<String> = snapshot(&context.pex_root.join(bucket), false)
            .into_iter()
            .filter(|line| !line.contains("__pycache__"))
            .collect();
        let by_extract: Vec<String> =
            snapshot(&extracted.join(bucket), false).into_iter().filter(|line| !line.contains("__pycache__")).collect();
        assert_eq!(by_run, by_extract, "{bucket} differs");
    }
    // Bytecode was compiled, so a read-only root needs no writes at all.
    let cached = snapshot(&extracted.join("installed_wheels/v1"), false);
    assert!(cached.iter().any(|line| line.contains("__pycache__/part_1499.")), "no bytecode compiled");

    let before = snapshot(&extracted, true);
    let mut command = Command::new(&pex);
    crate::support::clean_environment(&mut command);
    command.env("PEX_ROOT", &extracted).env_remove("PYTHONDONTWRITEBYTECODE");
    assert_eq!(stdout_of(&command.output().unwrap()), "small 1499\n");
    assert_eq!(snapshot(&extracted, true), before, "a warm run wrote into the PEX_ROOT");
}

/// A PEX whose entry point sleeps for `PEX_TEST_SLEEP` seconds (or not at all).
fn sleepy_pex(context: &TestContext) -> Utf8PathBuf {
    let wheel = WheelBuilder::new("helper", "1.0").file("helper.py", "VALUE = 'helper'\n").build(&context.dir);
    write_file(
        &context.dir,
        "sleepy/sleepy.py",
        "import os, sys, time, helper\nprint(helper.VALUE, flush=True)\ntime.sleep(float(os.environ.get('TEST_SLEEP', '0')))\n",
    );
    context.build(&[wheel.as_str(), "-D", "sleepy", "-e", "sleepy", "-o", "sleepy.pex"]);
    context.dir.join("sleepy.pex")
}

fn prune(context: &TestContext, days: &str) -> std::process::Output {
    context
        .pex_rs()
        .args(["cache", "prune", "--pex-root", context.pex_root.as_str(), "--older-than", days])
        .output()
        .unwrap()
}

#[test]
fn prune_waits_for_running_pex_files_and_removes_what_is_unused() {
    let context = TestContext::new();
    let pex = sleepy_pex(&context);
    assert_eq!(stdout_of(&context.run_pex(python3(), &pex, &[])), "helper\n");

    // Nothing is older than 14 days.
    assert_eq!(stdout_of(&prune(&context, "14")), "removed 0 entries, 0.0 MB\nremoved 0 build cache entries, 0.0 MB\n");

    // A running PEX holds the root: a prune of everything waits for it to finish.
    let mut running =
        context.pex_command(python3(), &pex).env("TEST_SLEEP", "3").stdout(Stdio::piped()).spawn().unwrap();
    let mut first_line = [0u8; 7];
    std::io::Read::read_exact(running.stdout.as_mut().unwrap(), &mut first_line).unwrap();
    let started = std::time::Instant::now();
    let output = prune(&context, "0");
    assert!(started.elapsed() >= Duration::from_millis(1500), "prune did not wait for the running PEX");
    assert!(running.wait().unwrap().success(), "the running PEX was disturbed");
    let text = stdout_of(&output);
    assert!(text.starts_with("removed 4 entries"), "the venv dir, its PEX dir, the wheel and the code: {text}");
    let (wheels, _) = bucket(&context.pex_root, "installed_wheels");
    assert!(wheels.is_empty(), "{wheels:?}");
    assert!(
        !context.pex_root.join("venvs/v1").read_dir().unwrap().any(|entry| !entry
            .unwrap()
            .file_name()
            .to_string_lossy()
            .starts_with('.'))
    );

    // And the PEX installs itself again.
    assert_eq!(stdout_of(&context.run_pex(python3(), &pex, &[])), "helper\n");
}

#[test]
fn prune_gives_up_when_the_root_or_the_cache_stays_busy() {
    let context = TestContext::new();
    let pex = sleepy_pex(&context);
    assert_eq!(stdout_of(&context.run_pex(python3(), &pex, &[])), "helper\n");
    let prune_with = |args: &[&str]| {
        let mut command = context.pex_rs();
        command.args(["cache", "prune", "--pex-root", context.pex_root.as_str(), "--older-than", "0"]).args(args);
        command.output().unwrap()
    };
    // A running PEX holds the root (a shared lock on `.access.lck`), for longer than prune waits.
    let root_lock = std::fs::File::options().write(true).open(context.pex_root.join(".access.lck")).unwrap();
    root_lock.lock_shared().unwrap();
    let output = prune_with(&["--no-wait"]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success() && stderr.contains("PEX files are running from"), "{stderr}");
    let started = std::time::Instant::now();
    let output = prune_with(&["--wait", "0.5"]);
    assert!(!output.status.success() && started.elapsed() >= Duration::from_millis(500), "{output:?}");
    assert!(String::from_utf8_lossy(&output.stderr).contains("waiting for them to exit"), "{output:?}");
    drop(root_lock);
    let (wheels, _) = bucket(&context.pex_root, "installed_wheels");
    assert!(!wheels.is_empty(), "nothing was removed while busy");
    // A build holds the build cache (shared), which a prune must not pull away under it.
    fs_err::create_dir_all(&context.cache_dir).unwrap();
    let cache_lock = std::fs::File::options()
        .create(true)
        .truncate(false)
        .write(true)
        .open(context.cache_dir.join(".lock"))
        .unwrap();
    cache_lock.lock_shared().unwrap();
    let output = prune_with(&["--no-wait"]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success() && stderr.contains("is in use by a running build"), "{stderr}");
    drop(cache_lock);
    stdout_of(&prune_with(&["--no-wait"]));
}

#[test]
fn prune_keeps_every_install_when_an_environment_is_unreadable() {
    let context = TestContext::new();
    let pex = sleepy_pex(&context);
    assert_eq!(stdout_of(&context.run_pex(python3(), &pex, &[])), "helper\n");
    // Another environment, in use, whose PEX-INFO cannot be read: it may use any install.
    let venvs = context.pex_root.join("venvs/v1");
    let other = venvs.join("f".repeat(64)).join("cp311");
    fs_err::create_dir_all(&other).unwrap();
    fs_err::write(other.join("PEX-INFO"), "{ not json").unwrap();
    fs_err::write(other.join(".last-access"), "").unwrap();
    // The sleepy PEX's own environment is old; the unreadable one is fresh.
    let old = std::time::SystemTime::now() - Duration::from_hours(30 * 24);
    for entry in fs_err::read_dir(&venvs).unwrap() {
        let path = entry.unwrap().path();
        if path.file_name().unwrap().to_string_lossy().starts_with('f') {
            continue;
        }
        for venv in fs_err::read_dir(&path).unwrap() {
            let venv = venv.unwrap().path();
            if venv.is_dir() && !venv.is_symlink() {
                let marker =
                    std::fs::File::options().create(true).append(true).open(venv.join(".last-access")).unwrap();
                marker.set_modified(old).unwrap();
            }
        }
    }
    let output = context
        .pex_rs()
        .args(["cache", "prune", "--pex-root", context.pex_root.as_str(), "--older-than", "7"])
        .output()
        .unwrap();
    stdout_of(&output);
    assert!(String::from_utf8_lossy(&output.stderr).contains("cannot be read"), "{output:?}");
    let (wheels, _) = bucket(&context.pex_root, "installed_wheels");
    assert!(!wheels.is_empty(), "the installs stay while an environment's references are unknown");
}

#[test]
fn verify_repairs_a_damaged_install() {
    let context = TestContext::new();
    let pex = sleepy_pex(&context);
    assert_eq!(stdout_of(&context.run_pex(python3(), &pex, &[])), "helper\n");
    let python = python3().path.to_str().unwrap().to_owned();
    let verify = || {
        let output = context
            .pex_rs()
            .args(["verify", pex.as_str(), "--pex-root", context.pex_root.as_str(), "--python", &python])
            .output()
            .unwrap();
        stdout_of(&output)
    };
    let text = verify();
    assert_eq!(text.lines().filter(|line| line.starts_with("ok ")).count(), 3, "wheel, code, venv: {text}");

    // Damage the installed wheel: the next verify puts the original back.
    let (wheels, _) = bucket(&context.pex_root, "installed_wheels");
    let module =
        context.pex_root.join("installed_wheels/v1").join(&wheels[0]).join("helper-1.0-py3-none-any.whl/helper.py");
    fs_err::write(&module, "VALUE = 'tampered'\n").unwrap();
    let text = verify();
    assert!(text.contains("repaired ") && text.contains("helper.py"), "{text}");
    assert_eq!(fs_err::read_to_string(&module).unwrap(), "VALUE = 'helper'\n");
    assert_eq!(stdout_of(&context.run_pex(python3(), &pex, &[])), "helper\n");

    // Damaged user code (which the environment does not link to) is put back too.
    let (code, _) = bucket(&context.pex_root, "user_code");
    let source = context.pex_root.join("user_code/v1").join(&code[0]).join("sleepy.py");
    fs_err::write(&source, "raise SystemExit('tampered')\n").unwrap();
    let text = verify();
    assert!(text.contains("repaired ") && text.contains("sleepy.py"), "{text}");
    assert_eq!(stdout_of(&context.run_pex(python3(), &pex, &[])), "helper\n");

    // PEX_VERIFY=1 does the same on a normal run, and says so on stderr.
    fs_err::remove_file(&module).unwrap();
    let output = context.pex_command(python3(), &pex).env("PEX_VERIFY", "1").output().unwrap();
    assert_eq!(stdout_of(&output), "helper\n");
    assert!(String::from_utf8_lossy(&output.stderr).contains("pex-rs: repairing "), "{output:?}");
}

#[test]
fn venv_installs_a_standalone_environment_in_layers() {
    let context = TestContext::new();
    let wheel = WheelBuilder::new("tool", "2.0")
        .file("tool/__init__.py", "def main():\n    print('tool main')\n")
        .console_script("tool", "tool:main")
        .build(&context.dir);
    write_file(&context.dir, "src/app.py", "import sys, tool\nprint('app', sys.argv[1:], sys.executable)\n");
    context.build(&[wheel.as_str(), "-D", "src", "-e", "app", "-o", "app.pex"]);
    let python = python3().path.to_str().unwrap().to_owned();
    let venv = |destination: &str, scope: &str| {
        let output = context
            .pex_rs()
            .args([
                "venv",
                "app.pex",
                destination,
                "--scope",
                scope,
                "--pex-root",
                context.pex_root.as_str(),
                "--python",
                &python,
            ])
            .output()
            .unwrap();
        stdout_of(&output);
    };
    venv("all", "all");
    venv("layered", "deps");
    assert!(!context.dir.join("layered/pex").exists(), "the deps layer has no sources and no runner");
    venv("layered", "srcs");
    // Nothing links into the PEX_ROOT: remove it, and the environments still work.
    fs_err::remove_dir_all(&context.pex_root).unwrap();
    for destination in ["all", "layered"] {
        let dir = context.dir.join(destination);
        let output = Command::new(dir.join("pex")).arg("x").output().unwrap();
        assert_eq!(stdout_of(&output), format!("app ['x'] {dir}/bin/python\n"));
        let output = Command::new(dir.join("bin/tool")).output().unwrap();
        assert_eq!(stdout_of(&output), "tool main\n");
    }
    let output = context.pex_rs().args(["venv", "app.pex", "all", "--python", &python]).output().unwrap();
    assert!(String::from_utf8_lossy(&output.stderr).contains("exists and is not empty"), "{output:?}");
}

#[test]
fn a_read_only_pex_root_holding_the_install_is_used_as_is() {
    // Root ignores permissions, so the PEX runs as `nobody` from a root that only root can
    // write, with the system Python (pyenv's live under /root, which `nobody` cannot enter).
    let system_python = Utf8Path::new("/usr/bin/python3");
    let is_root = Command::new("id").arg("-u").output().is_ok_and(|output| output.stdout == b"0\n");
    if !is_root || !system_python.exists() || Command::new("setpriv").arg("--help").output().is_err() {
        let _ = std::io::Write::write_all(
            &mut std::io::stderr(),
            b"note: needs root, setpriv and /usr/bin/python3; skipping the read-only PEX_ROOT test\n",
        );
        return;
    }
    let context = TestContext::new();
    let pex = sleepy_pex(&context);
    let output = context
        .pex_rs()
        .args(["extract", pex.as_str(), "--pex-root", context.pex_root.as_str(), "--python", system_python.as_str()])
        .output()
        .unwrap();
    stdout_of(&output);
    // `nobody` may read and enter everything, and write nothing.
    let status = Command::new("chmod").args(["-R", "go+rX,go-w", context.dir.as_str()]).status().unwrap();
    assert!(status.success());
    let before = snapshot(&context.pex_root, true);
    let as_nobody = |extra: &[(&str, &str)]| {
        let mut command = Command::new("setpriv");
        command.args(["--reuid=65534", "--regid=65534", "--clear-groups", pex.as_str()]);
        crate::support::clean_environment(&mut command);
        command
            .env("PEX_ROOT", &context.pex_root)
            .env("HOME", "/nonexistent")
            .env("PATH", "/usr/bin:/bin")
            .envs(extra.iter().copied());
        command.output().unwrap()
    };
    let output = as_nobody(&[]);
    assert_eq!(stdout_of(&output), "helper\n");
    assert_eq!(String::from_utf8_lossy(&output.stderr), "", "no warning for a complete read-only root");
    assert_eq!(snapshot(&context.pex_root, true), before, "the read-only root was written");

    // A root that cannot be written and lacks the install: a private temporary root, one warning.
    let empty_root = context.dir.join("empty-root");
    fs_err::create_dir(&empty_root).unwrap();
    let output = as_nobody(&[("PEX_ROOT", empty_root.as_str())]);
    assert_eq!(stdout_of(&output), "helper\n");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.starts_with("pex-rs: warning: PEX_ROOT ") && stderr.lines().count() == 1, "{stderr}");
    assert_eq!(fs_err::read_dir(&empty_root).unwrap().count(), 0);
}

#[test]
fn two_pex_files_sharing_a_wheel_store_it_once() {
    let context = TestContext::new();
    let shared = WheelBuilder::new("shared", "1.0").file("shared.py", "NAME = 'shared'\n").build(&context.dir);
    write_file(&context.dir, "one/one.py", "import shared\nprint('one', shared.NAME)\n");
    write_file(&context.dir, "two/two.py", "import shared\nprint('two', shared.NAME)\n");
    context.build(&[shared.as_str(), "-D", "one", "-e", "one", "-o", "one.pex"]);
    context.build(&[shared.as_str(), "-D", "two", "-e", "two", "-o", "two.pex"]);
    assert_eq!(stdout_of(&context.run_pex(python3(), &context.dir.join("one.pex"), &[])), "one shared\n");
    assert_eq!(stdout_of(&context.run_pex(python3(), &context.dir.join("two.pex"), &[])), "two shared\n");
    let (wheels, _) = bucket(&context.pex_root, "installed_wheels");
    assert_eq!(wheels.len(), 1, "the shared wheel is installed once: {wheels:?}");
    let (code, _) = bucket(&context.pex_root, "user_code");
    assert_eq!(code.len(), 2);
}

#[test]
fn a_damaged_archive_installs_nothing() {
    let context = TestContext::new();
    let pex = big_pex(&context);
    // Flip a byte inside the compressed data of one module: the first start must notice (the
    // CRC-32 of the archive, or zlib) rather than install what it reads.
    let offset = {
        let mut archive = zip::ZipArchive::new(fs_err::File::open(&pex).unwrap()).unwrap();
        let member = archive.by_name(".deps/bulky-1.0-py3-none-any.whl/bulky/part_0700.py").unwrap();
        usize::try_from(member.data_start().unwrap()).unwrap()
    };
    let mut bytes = fs_err::read(&pex).unwrap();
    bytes[offset + 2] ^= 0x55;
    fs_err::write(&pex, bytes).unwrap();
    let output = context.run_pex(python3(), &pex, &[]);
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("is corrupt") && stderr.contains("rebuild or download it again"), "{stderr}");
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    let (finished, _) = bucket(&context.pex_root, "installed_wheels");
    assert!(
        !finished.iter().any(|digest| fs_err::read_dir(context.pex_root.join("installed_wheels/v1").join(digest))
            .unwrap()
            .any(|entry| entry.unwrap().file_name().to_string_lossy().starts_with("bulky"))),
        "{finished:?}"
    );
    let (_, leftovers) = bucket(&context.pex_root, "installed_wheels");
    assert!(leftovers.iter().all(|name| name.ends_with(".lck")), "{leftovers:?}");
    // `pex-rs extract` names the member, and blames the archive, not the PEX_ROOT.
    let extracted = context.dir.join("extracted");
    let output = context.pex_rs().args(["extract", pex.as_str(), "--pex-root", extracted.as_str()]).output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success(), "{stderr}");
    assert!(
        stderr.contains("is corrupt: its member `.deps/bulky-1.0-py3-none-any.whl/bulky/part_0700.py`"),
        "{stderr}"
    );
    assert!(!stderr.contains("PEX_ROOT is writable"), "{stderr}");
}

#[test]
fn a_member_larger_than_its_directory_entry_is_refused() {
    let context = TestContext::new();
    let big = "x = 1\n".repeat(50_000);
    let wheel = WheelBuilder::new("bomb", "1.0").file("bomb.py", &big).build(&context.dir);
    context.build(&[wheel.as_str(), "--no-compile", "-o", "bomb.pex"]);
    let pex = context.dir.join("bomb.pex");
    // Claim in the central directory that the member is 10 bytes long: a hostile archive must
    // not make the runtime inflate (or write) more than it claims.
    let mut bytes = fs_err::read(&pex).unwrap();
    let name = b".deps/bomb-1.0-py3-none-any.whl/bomb.py";
    let at = bytes.windows(name.len()).rposition(|window| window == name).unwrap() - 46;
    assert_eq!(&bytes[at..at + 4], b"PK\x01\x02", "the central directory entry");
    bytes[at + 24..at + 28].copy_from_slice(&10u32.to_le_bytes());
    fs_err::write(&pex, bytes).unwrap();
    let output = context.run_pex(python3(), &pex, &["-c", "pass"]);
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("is corrupt"), "{stderr}");
    let (finished, _) = bucket(&context.pex_root, "installed_wheels");
    assert!(finished.is_empty(), "{finished:?}");
    // `pex-rs extract` refuses it the same way.
    let output =
        context.pex_rs().args(["extract", pex.as_str(), "--pex-root", context.pex_root.as_str()]).output().unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("is corrupt: its member `.deps/bomb-1.0-py3-none-any.whl/bomb.py`")
            && stderr.contains("larger than its declared"),
        "{stderr}"
    );
    let (finished, _) = bucket(&context.pex_root, "installed_wheels");
    assert!(finished.is_empty(), "{finished:?}");
}

/// A copy of the PEX at `pex` (without its sh header) with the members `replaced` (name, bytes).
fn tampered_copy(pex: &Utf8Path, destination: &Utf8Path, replaced: &[(&str, Vec<u8>)]) {
    let script = r#"
import base64, json, sys, zipfile
source, destination = sys.argv[1], sys.argv[2]
with open(sys.argv[3]) as f:
    replaced = json.load(f)
replaced = {name: base64.b64decode(data) for name, data in replaced.items()}
with zipfile.ZipFile(source) as old, zipfile.ZipFile(destination, "w") as new:
    for info in old.infolist():
        new.writestr(info, replaced.get(info.filename, old.read(info)))
"#;
    let replaced: serde_json::Map<String, serde_json::Value> = replaced
        .iter()
        .map(|(name, bytes)| ((*name).to_owned(), serde_json::Value::String(crate::support::standard_base64(bytes))))
        .collect();
    // In a file: the boot code alone is more than one command-line argument may hold (128 KiB).
    let replaced_file = destination.with_extension("replaced.json");
    fs_err::write(&replaced_file, serde_json::Value::Object(replaced).to_string()).unwrap();
    crate::support::run_python_script(script, &[pex.as_str(), destination.as_str(), replaced_file.as_str()]);
    fs_err::remove_file(&replaced_file).unwrap();
}

#[test]
fn extract_verify_and_venv_never_run_the_archives_code() {
    let context = TestContext::new();
    let pex = sleepy_pex(&context);
    let marker = context.dir.join("pwned");
    let python = python3().path.to_str().unwrap().to_owned();
    let tools = |pex: &Utf8Path, root: &str| -> Vec<std::process::Output> {
        let root = context.dir.join(root);
        let mut outputs = Vec::new();
        for command in ["extract", "verify"] {
            let args = [command, pex.as_str(), "--pex-root", root.as_str(), "--python", &python];
            outputs.push(context.pex_rs().args(args).output().unwrap());
        }
        let venv = context.dir.join(format!("{}-venv", pex.file_stem().unwrap()));
        let args = ["venv", pex.as_str(), venv.as_str(), "--pex-root", root.as_str(), "--python", &python];
        outputs.push(context.pex_rs().args(args).output().unwrap());
        outputs
    };
    // A `__main__.py` that runs code of its own before the boot code: refused, and not run.
    let mut archive = zip::ZipArchive::new(fs_err::File::open(&pex).unwrap()).unwrap();
    let mut main = String::new();
    std::io::Read::read_to_string(&mut archive.by_name("__main__.py").unwrap(), &mut main).unwrap();
    let payload = format!("open({:?}, 'w').write('ran')\n", marker.as_str());
    let hostile = context.dir.join("hostile.pex");
    tampered_copy(&pex, &hostile, &[("__main__.py", format!("{payload}{main}").into_bytes())]);
    for output in tools(&hostile, "root-1") {
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(!output.status.success() && stderr.contains("is not what its PEX-INFO says"), "{stderr}");
    }
    assert!(!marker.exists(), "a tool ran the archive's __main__.py");
    // Genuine boot code, but bytecode of it that runs code of its own: the tools never run the
    // archive's bytecode, and the environment they make compiles its own.
    let tag = {
        let output =
            Command::new(&python3().path).args(["-c", "import sys; print(sys.implementation.cache_tag)"]).output();
        String::from_utf8(output.unwrap().stdout).unwrap().trim().to_owned()
    };
    let compiled = context.dir.join("payload.pyc");
    let compile = format!(
        "import py_compile, sys; open(sys.argv[1] + '.py', 'w').write({payload:?}); py_compile.compile(sys.argv[1] + '.py', cfile=sys.argv[1])"
    );
    assert!(Command::new(&python3().path).args(["-c", &compile, compiled.as_str()]).status().unwrap().success());
    let bytecode = fs_err::read(&compiled).unwrap();
    let member = format!("__pycache__/__pex_rs_boot__.{tag}.pyc");
    let sneaky = context.dir.join("sneaky.pex");
    tampered_copy(&pex, &sneaky, &[(member.as_str(), bytecode.clone())]);
    for output in tools(&sneaky, "root-2") {
        stdout_of(&output);
    }
    assert!(!marker.exists(), "a tool ran the archive's bytecode");
    // The environment extract made runs the application without that bytecode.
    let mut command = Command::new(&python3().path);
    crate::support::clean_environment(&mut command);
    let output = command.arg(&pex).env("PEX_ROOT", context.dir.join("root-2")).output().unwrap();
    assert_eq!(stdout_of(&output), "helper\n");
    assert!(!marker.exists(), "the extracted environment kept the archive's bytecode");
}

#[test]
fn a_pex_root_that_is_not_utf8_is_one_line() {
    use std::os::unix::ffi::OsStringExt;
    let context = TestContext::new();
    let pex = sleepy_pex(&context);
    let mut root = context.dir.as_str().as_bytes().to_vec();
    root.extend_from_slice(b"/root-\xff");
    let mut command = Command::new(&python3().path);
    crate::support::clean_environment(&mut command);
    let output = command.arg(&pex).env("PEX_ROOT", std::ffi::OsString::from_vec(root)).output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success(), "{stderr}");
    assert!(stderr.starts_with("pex-rs: error: PEX_ROOT ") && stderr.contains("is not valid UTF-8"), "{stderr}");
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
}

#[test]
fn ctrl_c_during_a_first_start_is_one_line() {
    let context = TestContext::new();
    let pex = big_pex(&context);
    let mut command = Command::new(&python3().path);
    crate::support::clean_environment(&mut command);
    let child = command.arg(&pex).env("PEX_ROOT", &context.pex_root).stderr(Stdio::piped()).spawn().unwrap();
    // Interrupt once the install has begun (a temporary directory appears), not before.
    let wheels = context.pex_root.join("installed_wheels/v1");
    let started = std::time::Instant::now();
    while started.elapsed() < Duration::from_secs(20) {
        let installing = fs_err::read_dir(&wheels).is_ok_and(|mut entries| {
            entries.any(|entry| entry.is_ok_and(|entry| entry.file_name().to_string_lossy().ends_with(".tmp")))
        });
        if installing {
            break;
        }
        std::thread::sleep(Duration::from_millis(2));
    }
    assert!(Command::new("kill").args(["-INT", &child.id().to_string()]).status().unwrap().success());
    let output = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!stderr.contains("Traceback"), "{stderr}");
    if !output.status.success() {
        assert!(stderr.starts_with("pex-rs: error: interrupted"), "{stderr}");
        assert_eq!(output.status.code(), Some(130), "{stderr}");
    }
    // The next start finishes the install.
    let mut command = Command::new(&python3().path);
    crate::support::clean_environment(&mut command);
    let output = command.arg(&pex).env("PEX_ROOT", &context.pex_root).output().unwrap();
    assert_eq!(stdout_of(&output), "small 1499\n");
}

/// A copy of the PEX at `pex` (without its sh header) whose `helper.py` says `hostile`; with
/// `record`, its RECORD line agrees; with `info` too, so does PEX-INFO (`pex_rs_installs` and
/// `pex_hash`): a forgery consistent everywhere but in the digest it would need to claim.
fn forged_helper(pex: &Utf8Path, destination: &Utf8Path, record: bool, info: bool) {
    let script = r#"
import base64, hashlib, json, sys, zipfile
source, destination, record, info = sys.argv[1], sys.argv[2], sys.argv[3] == "1", sys.argv[4] == "1"
wheel = ".deps/helper-1.0-py3-none-any.whl/"
hostile = b"VALUE = 'hostile'\n"
digest = lambda data: base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
with zipfile.ZipFile(source) as old:
    members = {i.filename: (i, old.read(i)) for i in old.infolist()}
members[wheel + "helper.py"] = (members[wheel + "helper.py"][0], hostile)
record_name = wheel + "helper-1.0.dist-info/RECORD"
if record:
    lines = members[record_name][1].decode().splitlines()
    lines = ["helper.py,sha256=%s,%d" % (digest(hostile), len(hostile)) if l.startswith("helper.py,") else l for l in lines]
    members[record_name] = (members[record_name][0], ("\n".join(lines) + "\n").encode())
if info:
    pex_info = json.loads(members["PEX-INFO"][1])
    pex_info["pex_rs_installs"]["helper-1.0-py3-none-any.whl"] = hashlib.sha256(members[record_name][1]).hexdigest()
    del pex_info["pex_hash"]
    pex_info["pex_hash"] = hashlib.sha256(json.dumps(pex_info, sort_keys=True, separators=(",", ":")).encode()).hexdigest()
    members["PEX-INFO"] = (members["PEX-INFO"][0], json.dumps(pex_info, sort_keys=True, separators=(",", ":")).encode())
with zipfile.ZipFile(destination, "w") as new:
    for info_, data in members.values():
        new.writestr(info_, data)
"#;
    let flag = |on: bool| if on { "1" } else { "0" };
    crate::support::run_python_script(script, &[pex.as_str(), destination.as_str(), flag(record), flag(info)]);
}

#[test]
fn an_extracted_pex_cannot_take_a_genuine_wheels_install() {
    let context = TestContext::new();
    let pex = sleepy_pex(&context);
    let shared = context.dir.join("shared");
    let python = python3().path.to_str().unwrap().to_owned();
    let extract = |pex: &Utf8Path| {
        context
            .pex_rs()
            .args(["extract", pex.as_str(), "--pex-root", shared.as_str(), "--python", &python])
            .output()
            .unwrap()
    };
    // A changed file that RECORD does not vouch for, or a RECORD that is not the one claimed.
    for (record, expected) in [(false, "is not what its RECORD vouches for"), (true, "hashes to")] {
        let forged = context.dir.join(format!("forged-{record}.pex"));
        forged_helper(&pex, &forged, record, false);
        let output = extract(&forged);
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(!output.status.success() && stderr.contains(expected), "{stderr}");
        assert!(!shared.join("installed_wheels/v1").exists() || bucket(&shared, "installed_wheels").0.is_empty());
    }
    // Consistent everywhere: it installs, but under its own RECORD's digest, so the genuine PEX
    // extracted (or run) into the same root gets its own files.
    let forged = context.dir.join("forged-consistent.pex");
    forged_helper(&pex, &forged, true, true);
    stdout_of(&extract(&forged));
    stdout_of(&extract(&pex));
    assert_eq!(bucket(&shared, "installed_wheels").0.len(), 2, "two installs, one per RECORD");
    let mut command = Command::new(&python3().path);
    crate::support::clean_environment(&mut command);
    let output = command.arg(&pex).env("PEX_ROOT", &shared).output().unwrap();
    assert_eq!(stdout_of(&output), "helper\n");
}
