//! Lock files: `pex-rs lock` writes PEP 751 locks (deterministic, several targets, kept pins,
//! upgrades, `--check`), `build --lock` builds from them (ours, uv's and pip's style, pex's JSON)
//! with every file checked, `download` makes a find-links directory for builds without a
//! network, and `--depfile` plus untouched unchanged outputs make `make` exact.

use std::process::Output;

use camino::{Utf8Path, Utf8PathBuf};

use crate::index_server::{IndexServer, ServedFile};
use crate::projects::{Backend, Project};
use crate::support::{TestContext, WheelBuilder, python3, pythons, stdout_of, write_file};

/// A module that prints its project's version when the PEX runs `-c`.
fn library(name: &str, version: &str) -> WheelBuilder {
    WheelBuilder::new(name, version).file(&format!("{name}.py"), format!("VERSION = {version:?}\n"))
}

fn served(wheels: &[&WheelBuilder]) -> Vec<ServedFile> {
    wheels.iter().map(|wheel| ServedFile::from_wheel(wheel)).collect()
}

/// `pex-rs SUBCOMMAND ARGS` in the context's directory.
fn pex_rs(context: &TestContext, args: &[&str]) -> Output {
    context.pex_rs().args(args).output().expect("run pex-rs")
}

fn stderr_of(output: &Output) -> String {
    assert!(!output.status.success(), "expected a failure; stdout:\n{}", String::from_utf8_lossy(&output.stdout));
    String::from_utf8_lossy(&output.stderr).into_owned()
}

fn read(path: &Utf8Path) -> String {
    fs_err::read_to_string(path).unwrap()
}

/// The version of `module` that the PEX at `pex` imports under python3.
fn version_in(context: &TestContext, pex: &str, module: &str) -> String {
    let output = context.run_pex(
        python3(),
        &context.dir.join(pex),
        &["-c", &format!("import {module}; print({module}.VERSION)")],
    );
    stdout_of(&output).trim().to_owned()
}

fn sha256(bytes: &[u8]) -> String {
    format!("{:x}", <sha2::Sha256 as sha2::Digest>::digest(bytes))
}

fn modified(path: &Utf8Path) -> std::time::SystemTime {
    fs_err::metadata(path).unwrap().modified().unwrap()
}

#[test]
fn ok_lock_then_build_is_the_direct_build() {
    let context = TestContext::new();
    let (app, lib) = (library("app", "1.0").requires("lib>=1"), library("lib", "2.0"));
    let lib_file = ServedFile::from_wheel(&lib);
    let server = IndexServer::start(vec![
        ServedFile::from_wheel(&app),
        lib_file.clone(),
        ServedFile::from_wheel(&library("lib", "1.0")),
    ]);
    let index = server.simple_url();
    stdout_of(&pex_rs(&context, &["lock", "app", "--index-url", &index]));
    let lock_path = context.dir.join("pylock.toml");
    let text = read(&lock_path);
    for expected in [
        "lock-version = \"1.0\"",
        "created-by = \"pex-rs\"",
        "name = \"lib\"\nversion = \"2.0\"",
        "upload-time = 2024-05-01T12:00:00.0Z",
        &format!("size = {}", lib_file.bytes().len()),
        &format!("sha256 = \"{}\"", sha256(lib_file.bytes())),
        "[tool.pex-rs]",
    ] {
        assert!(text.contains(expected), "`{expected}` in:\n{text}");
    }
    assert!(!text.contains("lib-1.0"), "only the chosen version's files:\n{text}");
    // The same inputs write the same bytes, and an unchanged lock is not rewritten.
    let before = modified(&lock_path);
    std::thread::sleep(std::time::Duration::from_millis(20));
    stdout_of(&pex_rs(&context, &["lock", "app", "--index-url", &index]));
    assert_eq!(read(&lock_path), text);
    assert_eq!(modified(&lock_path), before);

    stdout_of(&pex_rs(&context, &["build", "--lock", "pylock.toml", "-o", "locked.pex"]));
    stdout_of(&pex_rs(&context, &["build", "app", "--index-url", &index, "-o", "direct.pex"]));
    assert_eq!(
        fs_err::read(context.dir.join("locked.pex")).unwrap(),
        fs_err::read(context.dir.join("direct.pex")).unwrap(),
        "a build from the lock is the direct build, byte for byte"
    );
    assert_eq!(version_in(&context, "locked.pex", "lib"), "2.0");
    // A build from a lock asks no index: no page is fetched.
    server.clear_log();
    let fresh = TestContext::new();
    fs_err::copy(&lock_path, fresh.dir.join("pylock.toml")).unwrap();
    stdout_of(&pex_rs(&fresh, &["build", "--lock", "pylock.toml", "-o", "app.pex"]));
    assert_eq!(server.count(|request| request.path.starts_with("/simple")), 0, "{:?}", server.requests());
    // A subset: the requirement and its locked closure only.
    stdout_of(&pex_rs(&context, &["build", "--lock", "pylock.toml", "lib", "-o", "lib.pex"]));
    let info = stdout_of(&pex_rs(&context, &["info", "--json", "lib.pex"]));
    let info: serde_json::Value = serde_json::from_str(&info).unwrap();
    assert_eq!(info["requirements"], serde_json::json!(["lib"]));
    assert_eq!(info["distributions"].as_object().unwrap().len(), 1, "{info}");
    // A lock pins every file: pip's hash-checking mode is satisfied by it, and still requires a
    // `--hash` of a requirement resolved from an index.
    stdout_of(&pex_rs(&context, &["build", "--lock", "pylock.toml", "--require-hashes", "-o", "hashed.pex"]));
    let error =
        stderr_of(&pex_rs(&context, &["build", "app", "--require-hashes", "--index-url", &index, "-o", "x.pex"]));
    assert!(error.contains("--hash=sha256:"), "{error}");
    // A requirement the lock cannot satisfy is an error naming the project.
    let error = stderr_of(&pex_rs(&context, &["build", "--lock", "pylock.toml", "lib<2", "-o", "bad.pex"]));
    assert!(error.contains("lib"), "{error}");
    let error = stderr_of(&pex_rs(&context, &["build", "--lock", "pylock.toml", "other", "-o", "bad.pex"]));
    assert!(error.contains("the lock file has no version of it"), "{error}");
    assert!(!context.dir.join("bad.pex").exists());
}

#[test]
fn ok_one_lock_for_several_targets() {
    let Some(other) = pythons().iter().find(|python| python.version != python3().version) else {
        crate::support::skip("ok_one_lock_for_several_targets", "needs a second Python version");
        return;
    };
    let context = TestContext::new();
    // `old` only below 3.12; a native wheel per platform, and a pure fallback for the others.
    let app = library("app", "1.0").requires("old ; python_version < '3.12'").requires("native");
    let native_musl = library("native", "1.0").tag("py3-none-musllinux_1_2_x86_64");
    let native_pure = library("native", "1.0");
    let server = IndexServer::start(served(&[&app, &library("old", "1.0"), &native_musl, &native_pure]));
    let index = server.simple_url();
    let musl = "musllinux_1_2_x86_64-cp-311-cp311";
    stdout_of(&pex_rs(
        &context,
        &["lock", "app", "--index-url", &index, "--python", "python3", "--python", &other.name, "--platform", musl],
    ));
    let text = read(&context.dir.join("pylock.toml"));
    assert!(text.matches("python_version == '").count() >= 2, "an environment per target:\n{text}");
    assert!(text.contains("native-1.0-py3-none-musllinux_1_2_x86_64.whl"), "{text}");
    assert!(text.contains("native-1.0-py3-none-any.whl"), "{text}");
    // The musllinux target is 3.11, so `old` is locked; under a marker unless every target is
    // below 3.12.
    let every_below_312 = python3().version < (3, 12) && other.version < (3, 12);
    let marked = text.contains("name = \"old\"\nversion = \"1.0\"\nmarker = ");
    assert!(text.contains("name = \"old\""), "{text}");
    assert_eq!(marked, !every_below_312, "{text}");
    // Each target takes what fits it from the one lock.
    stdout_of(&pex_rs(&context, &["build", "--lock", "pylock.toml", "--platform", musl, "-o", "musl.pex"]));
    let info = stdout_of(&pex_rs(&context, &["info", "musl.pex"]));
    assert!(info.contains("native-1.0-py3-none-musllinux_1_2_x86_64.whl"), "{info}");
    assert!(info.contains("old-1.0"), "3.11 takes `old`: {info}");
    stdout_of(&pex_rs(&context, &["build", "--lock", "pylock.toml", "-o", "python3.pex"]));
    assert_eq!(version_in(&context, "python3.pex", "native"), "1.0");
    stdout_of(&pex_rs(&context, &["build", "--lock", "pylock.toml", "--python", &other.name, "-o", "other.pex"]));
    let output =
        context.run_pex(other, &context.dir.join("other.pex"), &["-c", "import native; print(native.VERSION)"]);
    assert_eq!(stdout_of(&output).trim(), "1.0");
    // A target the lock was not made for is refused, naming what it was made for.
    let error = stderr_of(&pex_rs(
        &context,
        &["build", "--lock", "pylock.toml", "--platform", "win_amd64-cp-311-cp311", "-o", "win.pex"],
    ));
    assert!(error.contains("was made for") && error.contains("win_amd64-cp-311-cp311"), "{error}");
}

#[test]
fn ok_universal_lock_covers_every_platform() {
    let context = TestContext::new();
    let app = library("app", "1.0").requires("colorama ; sys_platform == 'win32'").requires("lib");
    let lib_linux = library("lib", "1.0").tag("py3-none-manylinux_2_17_x86_64");
    let lib_any = library("lib", "1.0");
    // A newer release for newer Pythons only: both are locked, split by Python version.
    let tool_new = library("tool", "2.0").requires_python(">=3.12");
    let app = app.requires("tool");
    let server = IndexServer::start(served(&[
        &app,
        &library("colorama", "0.4"),
        &lib_linux,
        &lib_any,
        &library("tool", "1.0"),
        &tool_new,
    ]));
    stdout_of(&pex_rs(
        &context,
        &[
            "lock",
            "app",
            "--universal",
            "--interpreter-constraint",
            "CPython>=3.10",
            "--index-url",
            &server.simple_url(),
        ],
    ));
    let text = read(&context.dir.join("pylock.toml"));
    assert!(text.contains("requires-python = \">=3.10\""), "{text}");
    assert!(!text.contains("environments"), "{text}");
    assert!(text.contains("name = \"colorama\"\nversion = \"0.4\"\nmarker = \"sys_platform == 'win32'\""), "{text}");
    // The newest series stands for the later ones too: no upper bound appears.
    assert!(text.contains("name = \"tool\"\nversion = \"1.0\"\nmarker = \"python_full_version < '3.12'\""), "{text}");
    assert!(text.contains("name = \"tool\"\nversion = \"2.0\"\nmarker = \"python_full_version >= '3.12'\""), "{text}");
    assert!(
        text.contains("lib-1.0-py3-none-any.whl") && text.contains("lib-1.0-py3-none-manylinux_2_17_x86_64.whl"),
        "every wheel of the version:\n{text}"
    );
    stdout_of(&pex_rs(&context, &["build", "--lock", "pylock.toml", "-o", "app.pex"]));
    assert_eq!(version_in(&context, "app.pex", "lib"), "1.0");
}

#[test]
fn ok_lock_keeps_pins_and_upgrades_on_request() {
    let context = TestContext::new();
    let app = library("app", "1.0").requires("lib").requires("other");
    let first = IndexServer::start(served(&[&app, &library("lib", "1.0"), &library("other", "1.0")]));
    stdout_of(&pex_rs(&context, &["lock", "app", "--index-url", &first.simple_url()]));
    let newer = IndexServer::start(served(&[
        &app,
        &library("lib", "1.0"),
        &library("other", "1.0"),
        &library("lib", "2.0"),
        &library("other", "2.0"),
    ]));
    let index = newer.simple_url();
    let versions = |context: &TestContext| {
        let text = read(&context.dir.join("pylock.toml"));
        ["lib", "other"]
            .iter()
            .map(|name| {
                let prefix = format!("name = \"{name}\"\nversion = \"");
                let start = text.find(&prefix).unwrap() + prefix.len();
                text[start..].split('"').next().unwrap().to_owned()
            })
            .collect::<Vec<_>>()
    };
    // Locking again keeps every pin that still fits.
    let check = pex_rs(&context, &["lock", "app", "--index-url", &index, "--check"]);
    assert!(check.status.success(), "{}", String::from_utf8_lossy(&check.stderr));
    stdout_of(&pex_rs(&context, &["lock", "app", "--index-url", &index]));
    assert_eq!(versions(&context), ["1.0", "1.0"]);
    let output = pex_rs(&context, &["lock", "app", "--index-url", &index, "--upgrade-package", "lib"]);
    assert!(String::from_utf8_lossy(&output.stderr).contains("~ lib 1.0 -> 2.0"), "{output:?}");
    assert_eq!(versions(&context), ["2.0", "1.0"]);
    stdout_of(&pex_rs(&context, &["lock", "app", "--index-url", &index, "--upgrade"]));
    assert_eq!(versions(&context), ["2.0", "2.0"]);
    // `--check` fails, with the differences, when the requirements moved; and writes nothing.
    let text = read(&context.dir.join("pylock.toml"));
    let output = pex_rs(&context, &["lock", "app", "lib<2", "--index-url", &index, "--check"]);
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("~ lib 2.0 -> 1.0") && stderr.contains("out of date"), "{stderr}");
    assert_eq!(read(&context.dir.join("pylock.toml")), text);
}

#[test]
fn fail_tampered_or_missing_files_leave_nothing() {
    let context = TestContext::new();
    let lib = ServedFile::from_wheel(&library("lib", "1.0"));
    let server = IndexServer::start(vec![lib.clone()]);
    stdout_of(&pex_rs(&context, &["lock", "lib", "--index-url", &server.simple_url()]));
    let text = read(&context.dir.join("pylock.toml"));
    let digest = sha256(lib.bytes());
    assert!(text.contains(&digest), "{text}");
    let tampered = text.replace(&digest, &"0".repeat(64));
    write_file(&context.dir, "tampered.toml", &tampered);
    let error = stderr_of(&pex_rs(&context, &["build", "--lock", "tampered.toml", "-o", "app.pex"]));
    assert!(error.contains("lib-1.0-py3-none-any.whl") && error.contains("the lock file"), "{error}");
    assert!(!context.dir.join("app.pex").exists());
    let wheels = context.cache_dir.join("wheels");
    let cached: Vec<_> = walk(&wheels).into_iter().filter(|path| path.as_str().ends_with(".whl")).collect();
    assert!(cached.is_empty(), "nothing entered the cache: {cached:?}");
    // A wrong size is refused too, though the digest matches.
    let size = format!("size = {}", lib.bytes().len());
    write_file(&context.dir, "sized.toml", &text.replace(&size, "size = 7"));
    let error = stderr_of(&pex_rs(&context, &["build", "--lock", "sized.toml", "-o", "app.pex"]));
    assert!(error.contains("went on past the 7 bytes the lock file gives as its size"), "{error}");
    assert!(!context.dir.join("app.pex").exists());
    // A URL that answers 404 (with a cold cache: the cache serves a file by its digest).
    let cold = TestContext::new();
    write_file(&cold.dir, "gone.toml", &text.replace("/files/lib-1.0", "/files/missing/lib-1.0"));
    let error = stderr_of(&pex_rs(&cold, &["build", "--lock", "gone.toml", "-o", "app.pex"]));
    assert!(error.contains("404"), "{error}");
    assert!(!cold.dir.join("app.pex").exists());
    // A newer major version is refused; an unknown key only warns.
    write_file(&context.dir, "v2.toml", &text.replace("lock-version = \"1.0\"", "lock-version = \"2.0\""));
    let error = stderr_of(&pex_rs(&context, &["build", "--lock", "v2.toml", "-o", "app.pex"]));
    assert!(error.contains("lock-version 2.0"), "{error}");
    write_file(
        &context.dir,
        "v11.toml",
        &text.replace("lock-version = \"1.0\"", "lock-version = \"1.1\"\nfuture-key = 1"),
    );
    let output = pex_rs(&context, &["build", "--lock", "v11.toml", "-o", "app.pex"]);
    stdout_of(&output);
    let warnings = String::from_utf8_lossy(&output.stderr);
    assert!(warnings.contains("newer than the 1.0") && warnings.contains("future-key"), "{warnings}");
}

fn walk(directory: &Utf8Path) -> Vec<Utf8PathBuf> {
    let mut found = Vec::new();
    let mut pending = vec![directory.to_owned()];
    while let Some(directory) = pending.pop() {
        let Ok(entries) = fs_err::read_dir(&directory) else { continue };
        for entry in entries {
            let path = Utf8PathBuf::from_path_buf(entry.unwrap().path()).unwrap();
            if path.is_dir() { pending.push(path) } else { found.push(path) }
        }
    }
    found
}

#[test]
fn ok_air_gapped_builds_from_a_lock() {
    let context = TestContext::new();
    let (app, lib) = (library("app", "1.0").requires("lib"), library("lib", "1.0"));
    let server = IndexServer::start(served(&[&app, &lib]));
    stdout_of(&pex_rs(&context, &["lock", "app", "--index-url", &server.simple_url()]));
    let listed = stdout_of(&pex_rs(&context, &["download", "--lock", "pylock.toml", "-d", "wheels"]));
    assert_eq!(listed.lines().count(), 2, "{listed}");
    assert!(context.dir.join("wheels/lib-1.0-py3-none-any.whl").is_file());
    stdout_of(&pex_rs(&context, &["build", "--lock", "pylock.toml", "-o", "online.pex"]));
    drop(server);
    // The index is gone: the warm cache serves `--offline`, and a fresh cache takes the
    // downloaded directory.
    stdout_of(&pex_rs(&context, &["build", "--lock", "pylock.toml", "--offline", "-o", "offline.pex"]));
    let fresh = TestContext::new();
    fs_err::copy(context.dir.join("pylock.toml"), fresh.dir.join("pylock.toml")).unwrap();
    let wheels = context.dir.join("wheels");
    stdout_of(&pex_rs(
        &fresh,
        &["build", "--lock", "pylock.toml", "--no-index", "--find-links", wheels.as_str(), "-o", "linked.pex"],
    ));
    for pex in ["online.pex", "offline.pex"] {
        assert_eq!(version_in(&context, pex, "lib"), "1.0");
    }
    assert_eq!(version_in(&fresh, "linked.pex", "lib"), "1.0");
    assert_eq!(
        fs_err::read(context.dir.join("online.pex")).unwrap(),
        fs_err::read(fresh.dir.join("linked.pex")).unwrap()
    );
}

/// A lock as uv writes it (`uv pip compile --format pylock.toml`): no file names, `index`, a
/// header comment; and one as pip writes it (`pip lock`): arrays of tables.
#[test]
fn ok_reads_uv_and_pip_style_locks() {
    let context = TestContext::new();
    let app = ServedFile::from_wheel(&library("app", "1.0").requires("lib"));
    let lib = ServedFile::from_wheel(&library("lib", "1.0"));
    let server = IndexServer::start(vec![app.clone(), lib.clone()]);
    let digest = |file: &ServedFile| sha256(file.bytes());
    let files = format!("{}/files", server.url().trim_end_matches('/'));
    for golden in ["pylock.uv.toml", "pylock.pip.toml"] {
        let template = read(&Utf8Path::new(env!("CARGO_MANIFEST_DIR")).join("data/locks").join(golden));
        let text = template
            .replace("@FILES@", &files)
            .replace("@INDEX@", &server.simple_url())
            .replace("@APP_SHA256@", &digest(&app))
            .replace("@LIB_SHA256@", &digest(&lib))
            .replace("@APP_SIZE@", &app.bytes().len().to_string())
            .replace("@LIB_SIZE@", &lib.bytes().len().to_string());
        write_file(&context.dir, golden, &text);
        stdout_of(&pex_rs(&context, &["build", "--lock", golden, "-o", "app.pex"]));
        assert_eq!(version_in(&context, "app.pex", "lib"), "1.0", "{golden}");
        let info = stdout_of(&pex_rs(&context, &["info", "--json", "app.pex"]));
        let info: serde_json::Value = serde_json::from_str(&info).unwrap();
        assert_eq!(info["requirements"], serde_json::json!(["app==1.0", "lib==1.0"]), "{golden}");
    }
    // pex's JSON lock, for users moving from pex.
    let pex_lock = serde_json::json!({
        "pex_version": "2.33.0", "style": "strict", "requirements": ["app"], "resolver_version": "pip-2020-resolver",
        "locked_resolves": [{"platform_tag": null, "marker": null, "locked_requirements": [
            {"project_name": "app", "version": "1.0", "requires_dists": ["lib"], "requires_python": null,
             "artifacts": [{"url": format!("{files}/app-1.0-py3-none-any.whl"), "algorithm": "sha256", "hash": digest(&app)}]},
            {"project_name": "lib", "version": "1.0", "requires_dists": [], "requires_python": null,
             "artifacts": [{"url": format!("{files}/lib-1.0-py3-none-any.whl"), "algorithm": "sha256", "hash": digest(&lib)}]}
        ]}]
    });
    write_file(&context.dir, "pex.lock", &pex_lock.to_string());
    stdout_of(&pex_rs(&context, &["build", "--lock", "pex.lock", "-o", "pex.pex"]));
    let info = stdout_of(&pex_rs(&context, &["info", "--json", "pex.pex"]));
    let info: serde_json::Value = serde_json::from_str(&info).unwrap();
    assert_eq!(info["requirements"], serde_json::json!(["app"]), "pex's lock records what it was made from");
    assert_eq!(version_in(&context, "pex.pex", "lib"), "1.0");
}

#[test]
fn ok_local_project_lock_and_depfile() {
    let context = TestContext::new();
    let server = IndexServer::start(served(&[&library("lib", "1.0")]));
    let project = Project::new("app", "1.0", Backend::Test).requires("lib").write(&context.dir);
    let index = server.simple_url();
    stdout_of(&pex_rs(&context, &["lock", project.as_str(), "--index-url", &index]));
    let text = read(&context.dir.join("pylock.toml"));
    assert!(text.contains("name = \"app\"\nversion = \"1.0\"\ndirectory = { path = \"app\" }"), "{text}");
    let depfile = context.dir.join("app.pex.d");
    let build = |context: &TestContext| {
        stdout_of(&pex_rs(context, &["build", "--lock", "pylock.toml", "-o", "app.pex", "--depfile", depfile.as_str()]))
    };
    build(&context);
    let pex = context.dir.join("app.pex");
    // `OUTPUT: INPUT...`, then an empty rule per input.
    let rules = read(&depfile);
    assert!(rules.starts_with("app.pex: \\\n"), "{rules}");
    let inputs = ["pylock.toml", "app/pyproject.toml", "app/app/__init__.py"];
    for input in &inputs {
        assert!(rules.contains(&format!("  {input}")), "{input} in:\n{rules}");
        assert!(rules.contains(&format!("\n{input}:\n")), "{input} in:\n{rules}");
    }
    assert!(!rules.contains("app.pex.d") && !rules.contains("  app.pex"), "{rules}");
    // A rebuild with nothing changed leaves the PEX and the depfile untouched.
    let (pex_time, depfile_time) = (modified(&pex), modified(&depfile));
    std::thread::sleep(std::time::Duration::from_millis(20));
    build(&context);
    assert_eq!((modified(&pex), modified(&depfile)), (pex_time, depfile_time));
    // An edit rebuilds (and the lock then says the version moved, if it did).
    write_file(&project, "app/extra.py", "X = 1\n");
    build(&context);
    assert_ne!(modified(&pex), pex_time);
    assert!(read(&depfile).contains("  app/app/extra.py"));
}

/// The private venv with uv and pip that `.ci/run` installs (`PEX_RS_TEST_LOCK_TOOLS`).
fn lock_tools(test: &str) -> Option<Utf8PathBuf> {
    let bin = std::env::var_os("PEX_RS_TEST_LOCK_TOOLS")
        .map(|directory| Utf8PathBuf::from(directory.to_string_lossy().into_owned()).join("bin"))
        .filter(|bin| bin.join("uv").is_file() && bin.join("pip").is_file());
    if bin.is_none() {
        crate::support::skip(test, "uv and pip are not installed (`.ci/run` installs them into target/lock-tools)");
    }
    bin
}

/// A command of the lock tools, kept off the machine's configuration and caches.
fn tool(context: &TestContext, program: &Utf8Path) -> std::process::Command {
    let mut command = std::process::Command::new(program);
    command
        .current_dir(&context.dir)
        .env("PIP_CONFIG_FILE", "/dev/null")
        .env("UV_NO_CONFIG", "1")
        .env("UV_CACHE_DIR", context.dir.join("uv-cache"))
        .env("PIP_CACHE_DIR", context.dir.join("pip-cache"))
        .env("PIP_DISABLE_PIP_VERSION_CHECK", "1");
    for name in ["PIP_INDEX_URL", "UV_INDEX_URL", "UV_DEFAULT_INDEX", "PEX_RS_INDEX_URL"] {
        command.env_remove(name);
    }
    command
}

#[test]
fn ok_interop_with_uv_and_pip() {
    let Some(bin) = lock_tools("ok_interop_with_uv_and_pip") else { return };
    let context = TestContext::new();
    let (app, lib) = (library("app", "1.0").requires("lib"), library("lib", "1.0"));
    let server = IndexServer::start(served(&[&app, &lib]));
    let index = server.simple_url();
    write_file(&context.dir, "requirements.in", "app\n");
    // uv and pip write locks that pex-rs builds from.
    let python = format!("{}.{}", python3().version.0, python3().version.1);
    let uv = tool(&context, &bin.join("uv"))
        .args(["pip", "compile", "--format", "pylock.toml", "requirements.in", "-o", "pylock.uv.toml"])
        .args(["--python-version", &python, "--index-url", &index])
        .output()
        .unwrap();
    assert!(uv.status.success(), "{}", String::from_utf8_lossy(&uv.stderr));
    let pip = tool(&context, &bin.join("pip"))
        .args(["lock", "app", "-o", "pylock.pip.toml", "--index-url", &index])
        .output()
        .unwrap();
    assert!(pip.status.success(), "{}", String::from_utf8_lossy(&pip.stderr));
    for lock in ["pylock.uv.toml", "pylock.pip.toml"] {
        stdout_of(&pex_rs(&context, &["build", "--lock", lock, "-o", "app.pex"]));
        assert_eq!(version_in(&context, "app.pex", "lib"), "1.0", "{lock}");
    }
    // uv and pip install pex-rs's lock.
    stdout_of(&pex_rs(&context, &["lock", "app", "--index-url", &index]));
    let venv = context.dir.join("venv");
    let created = tool(&context, &bin.join("uv"))
        .args(["venv", "--quiet", venv.as_str(), "--python"])
        .arg(&python3().path)
        .output()
        .unwrap();
    assert!(created.status.success(), "{}", String::from_utf8_lossy(&created.stderr));
    let installed = tool(&context, &bin.join("uv"))
        .args(["pip", "install", "--python", venv.join("bin/python").as_str(), "-r", "pylock.toml"])
        .output()
        .unwrap();
    assert!(installed.status.success(), "uv reads pex-rs's lock: {}", String::from_utf8_lossy(&installed.stderr));
    let pip_target = context.dir.join("pip-target");
    let installed = tool(&context, &bin.join("pip"))
        .args(["install", "--no-deps", "--target", pip_target.as_str(), "-r", "pylock.toml"])
        .output()
        .unwrap();
    assert!(installed.status.success(), "pip reads pex-rs's lock: {}", String::from_utf8_lossy(&installed.stderr));
    for site in [venv.join(format!("lib/python{python}/site-packages")), pip_target] {
        assert!(site.join("lib.py").is_file() && site.join("app.py").is_file(), "{site}");
    }
}

#[test]
fn ok_extras_and_dependency_groups() {
    let context = TestContext::new();
    let server =
        IndexServer::start(served(&[&library("lib", "1.0"), &library("clickish", "1.0"), &library("devtool", "1.0")]));
    let project = Project::new("app", "1.0", Backend::Test)
        .requires("lib")
        .requires("clickish ; extra == \"cli\"")
        .write(&context.dir);
    let pyproject = project.join("pyproject.toml");
    let text = read(&pyproject) + "\n[dependency-groups]\ndev = [\"devtool\"]\nall = [{include-group = \"dev\"}]\n";
    write_file(&project, "pyproject.toml", &text);
    let index = server.simple_url();
    stdout_of(&pex_rs(&context, &["lock", "./app", "--extra", "cli", "--group", "dev", "--index-url", &index]));
    let lock = read(&context.dir.join("pylock.toml"));
    assert!(lock.contains("extras = [\"cli\"]") && lock.contains("dependency-groups = [\"dev\"]"), "{lock}");
    assert!(lock.contains("name = \"clickish\"\nversion = \"1.0\"\nmarker = \"'cli' in extras\""), "{lock}");
    assert!(lock.contains("name = \"devtool\"\nversion = \"1.0\"\nmarker = \"'dev' in dependency_groups\""), "{lock}");
    assert!(lock.contains("name = \"lib\"\nversion = \"1.0\"\nwheels"), "the base has no marker:\n{lock}");
    let distributions = |pex: &str| {
        let info = stdout_of(&pex_rs(&context, &["info", "--json", pex]));
        let info: serde_json::Value = serde_json::from_str(&info).unwrap();
        let mut names: Vec<String> = info["distributions"].as_object().unwrap().keys().cloned().collect();
        names.sort();
        names.iter().map(|name| name.split('-').next().unwrap().to_owned()).collect::<Vec<_>>()
    };
    stdout_of(&pex_rs(&context, &["build", "--lock", "pylock.toml", "-o", "base.pex"]));
    assert_eq!(distributions("base.pex"), ["app", "lib"]);
    stdout_of(&pex_rs(
        &context,
        &["build", "--lock", "pylock.toml", "--extra", "cli", "--group", "dev", "-o", "all.pex"],
    ));
    assert_eq!(distributions("all.pex"), ["app", "clickish", "devtool", "lib"]);
    // A subset takes what its requirements need, extras included.
    stdout_of(&pex_rs(&context, &["build", "--lock", "pylock.toml", "./app[cli]", "-o", "subset.pex"]));
    assert_eq!(distributions("subset.pex"), ["app", "clickish", "lib"]);
    let error = stderr_of(&pex_rs(&context, &["build", "--lock", "pylock.toml", "--extra", "nope", "-o", "x.pex"]));
    assert!(error.contains("has no extra `nope` (it has: cli)"), "{error}");
    // A group that includes another resolves through it.
    stdout_of(&pex_rs(&context, &["lock", "./app", "--group", "all", "--index-url", &index, "-o", "pylock.all.toml"]));
    assert!(read(&context.dir.join("pylock.all.toml")).contains("'all' in dependency_groups"));
    let error = stderr_of(&pex_rs(&context, &["lock", "./app", "--index-url", &index, "-o", "locked.toml"]));
    assert!(error.contains("pylock.NAME.toml"), "{error}");
}

/// `examples/make-docker`, driven as its README says, against the loopback index: `PyYAML` is a
/// fixture wheel tagged for this interpreter only (a native wheel as far as choosing goes), and
/// hatchling, the project's backend, is the real one.
#[test]
fn ok_make_workflow_example() {
    let test = "ok_make_workflow_example";
    if std::process::Command::new("make").arg("--version").output().is_err() {
        crate::support::skip(test, "`make` is not installed");
        return;
    }
    let Some(mut files) = crate::projects::backend_wheels(test) else { return };
    let python = python3();
    let abi = format!("cp{}{}", python.version.0, python.version.1);
    let yaml = WheelBuilder::new("PyYAML", "6.0")
        .tag(&format!("{abi}-{abi}-manylinux_2_17_x86_64"))
        .tag(&format!("{abi}-{abi}-linux_x86_64"))
        .file(
            "yaml/__init__.py",
            "def safe_load(stream):\n    pairs = (line.split(':', 1) for line in stream.read().splitlines() if line)\n    \
             return {key.strip(): int(value) if value.strip().isdigit() else value.strip() for key, value in pairs}\n",
        );
    files.push(ServedFile::from_wheel(&yaml));
    let server = IndexServer::start(files);
    let context = TestContext::new();
    let example = Utf8Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/make-docker");
    let project = context.dir.join("yamlq");
    for relative in ["Makefile", "Dockerfile", "pyproject.toml", ".gitignore", "src/yamlq/__init__.py"] {
        write_file(&project, relative, &read(&example.join(relative)));
    }
    let index = server.simple_url();
    let make = |args: &[&str]| {
        let mut command = std::process::Command::new("make");
        command
            .current_dir(&project)
            .args(args)
            .env("PEX_RS", env!("CARGO_BIN_EXE_pex-rs-under-test"))
            .env("PEX_RS_INDEX_URL", &index)
            .env("PEX_RS_CACHE_DIR", &context.cache_dir)
            .env("PEX_ROOT", &context.pex_root)
            .env("PIP_CONFIG_FILE", "/dev/null")
            .env_remove("MAKEFLAGS");
        command.output().expect("run make")
    };
    let help = stdout_of(&make(&[]));
    for target in ["help", "lock", "pex", "test", "image", "clean"] {
        assert!(help.contains(&format!("make {target}")), "{help}");
    }
    let missing = make(&["pex"]);
    assert!(String::from_utf8_lossy(&missing.stderr).contains("run `make lock`"), "{missing:?}");
    stdout_of(&make(&["lock"]));
    assert!(read(&project.join("pylock.toml")).contains("name = \"pyyaml\""));
    stdout_of(&make(&["pex"]));
    let pex = project.join("dist/yamlq.pex");
    assert!(stdout_of(&make(&["test"])).contains("ok: dist/yamlq.pex"));
    // Nothing changed: make has nothing to do (`-q` exits 0 when the target is up to date).
    assert_eq!(make(&["-q", "pex"]).status.code(), Some(0), "up to date after a build");
    let built = modified(&pex);
    std::thread::sleep(std::time::Duration::from_millis(20));
    // An edit of the project rebuilds, and the PEX then runs the edited code.
    let source = project.join("src/yamlq/__init__.py");
    write_file(
        &project,
        "src/yamlq/__init__.py",
        &read(&source).replace("sort_keys=True", "sort_keys=True, indent=None"),
    );
    assert_eq!(make(&["-q", "pex"]).status.code(), Some(1), "the edit makes the PEX out of date");
    stdout_of(&make(&["pex"]));
    assert!(modified(&pex) > built);
    // A lock again that changes nothing leaves the lock, and so the PEX, as they were.
    let (lock_time, pex_time) = (modified(&project.join("pylock.toml")), modified(&pex));
    stdout_of(&make(&["lock"]));
    assert_eq!(make(&["-q", "pex"]).status.code(), Some(0));
    assert_eq!((modified(&project.join("pylock.toml")), modified(&pex)), (lock_time, pex_time));
    if std::process::Command::new("docker").arg("info").output().is_ok_and(|output| output.status.success()) {
        stdout_of(&make(&["image", "IMAGE=pex-rs-test-yamlq:latest"]));
    } else {
        crate::support::skip(test, "docker is not running here: the `make image` step was not run");
    }
    // Air-gapped: the files of the lock and what building the project requires (hatchling
    // and its requirements) into a directory; then a build with no index and a fresh cache.
    let downloaded = stdout_of(
        &context
            .pex_rs()
            .current_dir(&project)
            .env("PEX_RS_INDEX_URL", server.simple_url())
            .args(["download", "--lock", "pylock.toml", "-d", "wheels"])
            .output()
            .unwrap(),
    );
    assert!(downloaded.contains("hatchling-") && downloaded.contains("PyYAML-6.0"), "{downloaded}");
    drop(server);
    let fresh = TestContext::new();
    stdout_of(
        &fresh
            .pex_rs()
            .current_dir(&project)
            .args(["build", "--lock", "pylock.toml", "--no-index", "--find-links", "wheels", "-o", "dist/offline.pex"])
            .output()
            .unwrap(),
    );
    let output = fresh.run_pex(python, &project.join("dist/offline.pex"), &["-c", "import yamlq, yaml"]);
    stdout_of(&output);
    stdout_of(&make(&["clean"]));
    assert!(!project.join("dist").exists());
}
