use crate::support::{TestContext, WheelBuilder, write_file, write_zip};
use camino::Utf8Path;

/// Runs `pex-rs ARGS`, which must fail with one `error:` line (and its causes) naming
/// `expected`, a non-zero exit code, and no file left in the output directory.
fn assert_refused(context: &TestContext, args: &[&str], expected: &str) -> String {
    let before = listing(&context.dir);
    let output = context.pex_rs().args(args).output().unwrap();
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert!(!output.status.success(), "{args:?} should fail");
    assert!(stderr.starts_with("error: "), "{stderr}");
    assert!(
        stderr.lines().skip(1).all(|line| line.starts_with("  caused by: ") || line.starts_with("  hint: ")),
        "{stderr}"
    );
    assert!(stderr.contains(expected), "expected {expected:?} in:\n{stderr}");
    assert_eq!(listing(&context.dir), before, "a failed command left files behind");
    stderr
}

fn listing(dir: &Utf8Path) -> Vec<String> {
    let mut names: Vec<String> = fs_err::read_dir(dir)
        .unwrap()
        .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|name| name != "cache")
        .collect();
    names.sort();
    names
}

#[test]
fn a_file_that_is_not_a_wheel() {
    let context = TestContext::new();
    write_file(&context.dir, "notes.txt", "hello");
    assert_refused(
        &context,
        &["build", "notes.txt", "-o", "x.pex"],
        "error: `notes.txt` is not a wheel\n  caused by: `notes.txt` is not a wheel file name: it does not end in `.whl`",
    );
    write_file(&context.dir, "fake-1.0-py3-none-any.whl", "not a zip");
    assert_refused(
        &context,
        &["build", "fake-1.0-py3-none-any.whl", "-o", "x.pex"],
        "wheel `fake-1.0-py3-none-any.whl` is not a valid zip archive (truncated or corrupt?)",
    );
    assert_refused(
        &context,
        &["build", "missing-1.0-py3-none-any.whl", "-o", "x.pex"],
        "failed to read wheel `missing-1.0-py3-none-any.whl`",
    );
}

#[test]
fn a_truncated_wheel() {
    let context = TestContext::new();
    let wheel = WheelBuilder::new("cut", "1.0").file("cut.py", "x = 1\n".repeat(1000)).build(&context.dir);
    let bytes = fs_err::read(&wheel).unwrap();
    fs_err::write(&wheel, &bytes[..bytes.len() / 2]).unwrap();
    assert_refused(
        &context,
        &["build", wheel.as_str(), "-o", "x.pex"],
        "is not a valid zip archive (truncated or corrupt?)",
    );
}

#[test]
fn a_wheel_whose_record_does_not_match() {
    let context = TestContext::new();
    let builder = WheelBuilder::new("tampered", "1.0").file("tampered.py", "print('original')\n");
    let mut members = builder.members();
    members[0].1 = b"print('changed')\n".to_vec();
    let path = context.dir.join(builder.filename());
    write_zip(&path, &members);
    assert_refused(
        &context,
        &["build", path.as_str(), "-o", "x.pex"],
        "error: wheel `tampered-1.0-py3-none-any.whl` was modified after it was built: `tampered.py` does not match the digest in its RECORD",
    );

    let mut members = builder.members();
    members.insert(0, ("sneaky.py".to_owned(), b"".to_vec(), 0o644));
    write_zip(&path, &members);
    assert_refused(
        &context,
        &["build", path.as_str(), "-o", "x.pex"],
        "has `sneaky.py`, which its RECORD does not list",
    );

    let members: Vec<_> = builder.members().into_iter().filter(|(name, ..)| !name.ends_with("/METADATA")).collect();
    write_zip(&path, &members);
    assert_refused(&context, &["build", path.as_str(), "-o", "x.pex"], "lacks `tampered-1.0.dist-info/METADATA`");
}

#[test]
fn a_wheel_verified_before_is_verified_again_once_its_bytes_change() {
    let context = TestContext::new();
    let builder = WheelBuilder::new("cached", "1.0").file("cached.py", "print('original')\n");
    let wheel = builder.build(&context.dir);
    context.build(&[wheel.as_str(), "-o", "first.pex"]);
    fs_err::remove_file(context.dir.join("first.pex")).unwrap();
    let markers = fs_err::read_dir(context.cache_dir.join("verified_wheels/v1")).unwrap().count();
    assert_eq!(markers, 1, "a verified wheel is remembered by its sha256");
    let mut members = builder.members();
    members[0].1 = b"print('changed')\n".to_vec();
    write_zip(&wheel, &members);
    assert_refused(&context, &["build", wheel.as_str(), "-o", "x.pex"], "does not match the digest in its RECORD");
}

#[test]
fn a_wheel_member_that_escapes() {
    let context = TestContext::new();
    for evil in ["../escape.py", "/etc/evil.py", "pkg/../../escape.py", "a\\..\\b.py"] {
        let builder = WheelBuilder::new("evil", "1.0").file(evil, "boom\n");
        let path = builder.build(&context.dir);
        // RECORD lists the member, and is read first.
        assert_refused(&context, &["build", path.as_str(), "-o", "x.pex"], &format!("`{evil}` is outside the wheel"));
        fs_err::remove_file(path).unwrap();
    }
}

#[test]
fn a_missing_entry_point() {
    let context = TestContext::new();
    let wheel = WheelBuilder::new("tool", "1.0")
        .file("tool/__init__.py", "")
        .console_script("tool", "tool:main")
        .build(&context.dir);
    write_file(&context.dir, "src/app.py", "");
    assert_refused(
        &context,
        &["build", wheel.as_str(), "-D", "src", "-e", "nothere", "-o", "x.pex"],
        "error: the entry point module `nothere` is not in the PEX: no `nothere.py` or `nothere/__init__.py` among the sources (`-D`) and wheels",
    );
    assert_refused(
        &context,
        &["build", wheel.as_str(), "-e", "tool", "-o", "x.pex"],
        "the entry point `tool` is a package without a `__main__` module",
    );
    assert_refused(
        &context,
        &["build", wheel.as_str(), "-c", "tol", "-o", "x.pex"],
        "error: no wheel provides the script `tol`; the scripts available are: tool",
    );
    assert_refused(
        &context,
        &["build", wheel.as_str(), "-e", "bad-name", "-o", "x.pex"],
        "invalid entry point `bad-name`",
    );
}

#[test]
fn an_unwritable_output_directory() {
    let context = TestContext::new();
    write_file(&context.dir, "src/app.py", "");
    // A missing directory is made, as pex does; one that cannot be made is an error.
    context.build(&["-D", "src", "-o", "new/dir/x.pex"]);
    assert!(context.dir.join("new/dir/x.pex").is_file());
    write_file(&context.dir, "blocked", "a file, not a directory");
    let stderr = assert_refused(
        &context,
        &["build", "-D", "src", "-o", "blocked/dir/x.pex"],
        "failed to write the PEX file `blocked/dir/x.pex`",
    );
    assert!(
        stderr.contains("hint: check that the output's directory exists (or can be made) and is writable"),
        "{stderr}"
    );
    let output = context.pex_rs().args(["build", "-D", "src", "-o", "blocked/dir/x.pex"]).output().unwrap();
    assert_eq!(output.status.code(), Some(2), "I/O failures exit with 2");
    // A directory as the output is named as such, with the fix.
    let stderr = assert_refused(&context, &["build", "-D", "src", "-o", "new"], "the output `new` is a directory");
    assert!(stderr.contains("hint: give the PEX a file name in that directory (`-o`)"), "{stderr}");
}

#[test]
fn info_on_a_file_that_is_not_a_pex() {
    let context = TestContext::new();
    write_file(&context.dir, "plain.txt", "text");
    assert_refused(&context, &["info", "plain.txt"], "error: `plain.txt` is not a PEX file: it is not a zip archive");
    write_zip(&context.dir.join("other.zip"), &[("hello.txt".to_owned(), b"hi".to_vec(), 0o644)]);
    assert_refused(
        &context,
        &["info", "other.zip"],
        "error: `other.zip` is not a PEX file: it has no `PEX-INFO` entry",
    );
    write_zip(&context.dir.join("broken.pex"), &[("PEX-INFO".to_owned(), b"{not json".to_vec(), 0o644)]);
    assert_refused(&context, &["info", "broken.pex"], "error: the PEX-INFO of `broken.pex` is not valid JSON");
    assert_refused(&context, &["info", "absent.pex"], "error: failed to read `absent.pex`");
}

#[test]
fn nothing_to_build_and_bad_options() {
    let context = TestContext::new();
    let stderr = assert_refused(&context, &["build", "-o", "x.pex"], "error: nothing to build\n");
    assert!(stderr.contains("  hint: give requirements, a requirements file, wheel files or a source directory (`REQUIREMENT...`, `-r FILE`, `-D DIR`)\n"), "{stderr}");
    write_file(&context.dir, "src/app.py", "");
    assert_refused(&context, &["build", "-D", "src", "--python-shebang", "a\nb", "-o", "x.pex"], "invalid shebang");
    let output = context
        .pex_rs()
        .args(["build", "-D", "src", "-o", "x.pex"])
        .env("SOURCE_DATE_EPOCH", "yesterday")
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&output.stderr).contains("`SOURCE_DATE_EPOCH` is `yesterday`"));
    write_file(&context.dir, "bad/__main__.py", "");
    assert_refused(
        &context,
        &["build", "-D", "bad", "-o", "x.pex"],
        "the source `__main__.py` would replace the PEX's own `__main__.py`",
    );
}

/// A wheel whose members are `files` (name, text), with a RECORD that vouches for each, written by
/// Python's zipfile, which (unlike the zip crate) writes a name twice when asked.
fn python_written_wheel(dir: &Utf8Path, files: &[(&str, &str)]) -> camino::Utf8PathBuf {
    let path = dir.join("dup-1.0-py3-none-any.whl");
    let script = r#"
import base64, hashlib, json, sys, warnings, zipfile
warnings.simplefilter("ignore")
path, files = sys.argv[1], json.loads(sys.argv[2])
files = [(name, text.encode()) for name, text in files]
files.append(("dup-1.0.dist-info/METADATA", b"Metadata-Version: 2.1\nName: dup\nVersion: 1.0\n"))
files.append(("dup-1.0.dist-info/WHEEL", b"Wheel-Version: 1.0\nGenerator: test\nRoot-Is-Purelib: true\nTag: py3-none-any\n"))
digest = lambda data: base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
record = "".join("%s,sha256=%s,%d\n" % (name, digest(data), len(data)) for name, data in files)
with zipfile.ZipFile(path, "w") as archive:
    for name, data in files:
        archive.writestr(name, data)
    archive.writestr("dup-1.0.dist-info/RECORD", record + "dup-1.0.dist-info/RECORD,,\n")
"#;
    let files = serde_json::to_string(&files).unwrap();
    crate::support::run_python_script(script, &[path.as_str(), &files]);
    path
}

#[test]
fn a_wheel_with_a_name_twice_or_a_file_that_is_a_directory() {
    let context = TestContext::new();
    let wheels = context.dir.join("wheels");
    fs_err::create_dir_all(&wheels).unwrap();
    let twice = python_written_wheel(&wheels, &[("dup.py", "X = 1\n"), ("dup.py", "X = 2\n")]);
    assert_refused(
        &context,
        &["build", twice.as_str(), "-o", "app.pex"],
        "has 5 entries in its central directory but 4 distinct names",
    );
    let both = python_written_wheel(&wheels, &[("pkg", "a file\n"), ("pkg/mod.py", "X = 1\n")]);
    assert_refused(
        &context,
        &["build", both.as_str(), "-o", "app.pex"],
        "installs both a file `pkg` and files inside it (`pkg/mod.py`)",
    );
}

#[test]
fn pex_flags_are_accepted_or_answered_in_one_line() {
    let context = TestContext::new();
    let wheel = WheelBuilder::new("hello", "1.0").file("hello.py", "print('hello')\n").build(&context.dir);
    // Flags whose meaning pex-rs always has: a note each, and the build goes on (`-m` is `-e`).
    let output = context.build(&[
        wheel.as_str(),
        "-m",
        "hello",
        "--venv",
        "--sh-boot",
        "--compile",
        "--layout",
        "zipapp",
        "--pex-root",
        context.cache_dir.as_str(),
        "-o",
        "app.pex",
    ]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    for flag in ["--venv", "--sh-boot", "--compile"] {
        assert!(stderr.contains(&format!("note: `{flag}`")), "{flag}: {stderr}");
    }
    let run = context.run_pex(crate::support::python3(), &context.dir.join("app.pex"), &[]);
    assert_eq!(crate::support::stdout_of(&run), "hello\n");
    // pex's tools entry is answered, not handed to the application as its arguments.
    let tools = context
        .pex_command(crate::support::python3(), &context.dir.join("app.pex"))
        .args(["venv", "x"])
        .env("PEX_TOOLS", "1")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&tools.stderr);
    assert!(!tools.status.success() && stderr.starts_with("pex-rs: error: PEX_TOOLS is pex's"), "{stderr}");
    assert!(!stderr.contains("hello") && !String::from_utf8_lossy(&tools.stdout).contains("hello"));
    // Through the sh header too, though the environment exists now (the warm path steps aside).
    let mut command = std::process::Command::new(context.dir.join("app.pex"));
    crate::support::clean_environment(&mut command);
    let tools = command.args(["venv", "x"]).env("PEX_ROOT", &context.pex_root).env("PEX_TOOLS", "1").output().unwrap();
    assert!(String::from_utf8_lossy(&tools.stderr).starts_with("pex-rs: error: PEX_TOOLS is pex's"));
    fs_err::remove_file(context.dir.join("app.pex")).unwrap();
    // The others: one line saying what pex-rs does instead, and no PEX.
    for (flags, expected) in [
        (&["--scie", "eager"][..], "`--scie` is pex's"),
        (&["--no-compress"], "`--no-compress` is pex's"),
        (&["--include-tools"], "`--include-tools` is pex's"),
        (&["--layout", "packed"], "`--layout packed`: pex-rs writes one file"),
    ] {
        let mut args = vec!["build", wheel.as_str(), "-o", "app.pex"];
        args.extend(flags);
        assert_refused(&context, &args, expected);
    }
}

#[test]
fn completions_for_each_shell_and_the_version() {
    let context = TestContext::new();
    let version = crate::support::stdout_of(&context.pex_rs().arg("--version").output().unwrap());
    assert!(version.starts_with(&format!("pex-rs {} ", env!("CARGO_PKG_VERSION"))), "{version}");
    if Utf8Path::new(env!("CARGO_MANIFEST_DIR")).join("../.git").exists() {
        assert!(version.contains("(commit "), "a build from a checkout names its commit: {version}");
    }
    for shell in ["bash", "zsh", "fish", "powershell", "elvish"] {
        let output = context.pex_rs().args(["completions", shell]).output().unwrap();
        let script = crate::support::stdout_of(&output);
        assert!(script.contains("pex-rs") && script.contains("build"), "{shell}: {script}");
    }
}
