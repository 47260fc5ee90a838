//! Source builds: local projects and sdists built through PEP 517 (a test backend that covers
//! the protocol, and the real setuptools, hatchling and flit-core), build isolation and its
//! requirements, the built-wheel cache, pip's switches, foreign targets, hostile sdists.

use std::process::Output;

use camino::Utf8PathBuf;

use crate::index_server::{IndexServer, ServedFile};
use crate::projects::{Backend, PkgInfo, Project, backend_wheels, raw_tar_gz};
use crate::support::{TestContext, WheelBuilder, python3, pythons, skip, stdout_of, write_file};

/// `pex-rs build ARGS --index-url URL -o app.pex`, with the test backend's log in the context.
fn build(context: &TestContext, server: &IndexServer, args: &[&str]) -> Output {
    context
        .pex_rs()
        .arg("build")
        .args(args)
        .args(["--index-url", &server.simple_url(), "-o", "app.pex"])
        .env("TEST_BACKEND_LOG", context.dir.join("backend.log"))
        .output()
        .expect("run pex-rs")
}

fn stderr_of(output: &Output) -> String {
    assert!(!output.status.success(), "expected a failure; stdout:\n{}", String::from_utf8_lossy(&output.stdout));
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// What the test backend did: one line per hook, `EVENT NAME VERSION`.
fn backend_log(context: &TestContext) -> Vec<String> {
    fs_err::read_to_string(context.dir.join("backend.log")).unwrap_or_default().lines().map(str::to_owned).collect()
}

fn count(log: &[String], line: &str) -> usize {
    log.iter().filter(|entry| *entry == line).count()
}

/// `python app.pex -c CODE` under `python`, its stdout.
fn run_code(context: &TestContext, python: &crate::support::Python, code: &str) -> String {
    stdout_of(&context.run_pex(python, &context.dir.join("app.pex"), &["-c", code]))
}

fn pex_info(context: &TestContext) -> serde_json::Value {
    let text = stdout_of(&context.pex_rs().args(["info", "--json", "app.pex"]).output().unwrap());
    serde_json::from_str(&text).unwrap()
}

/// A project with a console script `NAME` printing `NAME VERSION`.
fn app(name: &str, version: &str, backend: Backend) -> Project {
    let module = name.replace('-', "_");
    Project::new(name, version, backend)
        .file(
            &format!("{module}/__init__.py"),
            &format!("VERSION = {version:?}\ndef main():\n    print({name:?}, VERSION)\n"),
        )
        .script(name, &format!("{module}:main"))
}

/// A library wheel whose module says its version.
fn library(name: &str, version: &str) -> WheelBuilder {
    WheelBuilder::new(name, version).file(&format!("{name}/__init__.py"), format!("VERSION = {version:?}\n"))
}

#[test]
fn ok_local_project_runs_under_every_python() {
    let context = TestContext::new();
    let server = IndexServer::start(vec![ServedFile::from_wheel(&library("lib", "2.0"))]);
    let project = app("app", "1.0", Backend::Test).requires("lib>=2").write(&context.dir);
    stdout_of(&build(&context, &server, &[project.as_str(), "-c", "app"]));
    for python in pythons() {
        let output = stdout_of(&context.run_pex(python, &context.dir.join("app.pex"), &[]));
        assert_eq!(output.trim(), "app 1.0", "{}", python.name);
    }
    let info = pex_info(&context);
    assert_eq!(info["requirements"], serde_json::json!(["app==1.0"]), "a path is a detail of this machine");
    assert_eq!(info["pex_rs_built"], serde_json::json!({"app-1.0-py3-none-any.whl": "local project"}));
    let text = stdout_of(&context.pex_rs().args(["info", "app.pex"]).output().unwrap());
    assert!(text.contains("built from source (1):\n  app-1.0-py3-none-any.whl  from local project"), "{text}");
    // With an extra, its requirements come too.
    let extra = app("tool", "2.0", Backend::Test).requires("lib>=2 ; extra == \"cli\"").write(&context.dir);
    stdout_of(&build(&context, &server, &[&format!("{extra}[cli]")]));
    assert_eq!(run_code(&context, python3(), "import tool, lib; print(lib.VERSION)").trim(), "2.0");
    assert_eq!(pex_info(&context)["requirements"], serde_json::json!(["tool[cli]==2.0"]));
    // The project directory is left as it was: the build ran in a copy.
    let listing: Vec<String> = fs_err::read_dir(&project)
        .unwrap()
        .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert!(!listing.iter().any(|name| name == "build" || name == "dist"), "{listing:?}");
}

#[test]
fn ok_sdist_only_dependency_is_built_for_every_interpreter() {
    let context = TestContext::new();
    let dep = Project::new("dep", "1.0", Backend::Test).setting("tag", "interpreter".into());
    let server = IndexServer::start(vec![dep.sdist(PkgInfo::Static)]);
    let project = app("app", "1.0", Backend::Test).requires("dep").write(&context.dir);
    let mut args = vec![project.as_str().to_owned()];
    for python in pythons() {
        args.extend(["--python".to_owned(), python.path.to_string_lossy().into_owned()]);
    }
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    stdout_of(&build(&context, &server, &args));
    let log = backend_log(&context);
    let mut versions: Vec<(u32, u32)> = pythons().iter().map(|python| python.version).collect();
    versions.sort_unstable();
    versions.dedup();
    assert_eq!(count(&log, "build_wheel dep 1.0"), versions.len(), "once per Python version: {log:#?}");
    assert_eq!(count(&log, "prepare_metadata dep 1.0"), 0, "a static PKG-INFO needs no backend: {log:#?}");
    let info = pex_info(&context);
    for python in pythons() {
        let (major, minor) = python.version;
        let wheel = format!("dep-1.0-cp{major}{minor}-none-any.whl");
        assert!(info["distributions"].get(&wheel).is_some(), "{wheel} in {info}");
        assert_eq!(run_code(&context, python, "import dep; print(dep.VERSION)").trim(), "1.0", "{}", python.name);
    }
}

#[test]
fn ok_dynamic_metadata_comes_from_the_backend() {
    let context = TestContext::new();
    for (dep, hook) in [("dynamic", true), ("nohook", false)] {
        let project = Project::new(dep, "1.0", Backend::Test).requires("lib").setting("metadata_hook", hook.into());
        let server = IndexServer::start(vec![
            project.sdist(if hook { PkgInfo::Dynamic } else { PkgInfo::Legacy }),
            ServedFile::from_wheel(&library("lib", "1.0")),
        ]);
        stdout_of(&build(&context, &server, &[dep]));
        assert_eq!(run_code(&context, python3(), "import lib; print(lib.VERSION)").trim(), "1.0");
        let log = backend_log(&context);
        // With the hook, the metadata comes first, then the wheel; without it, one build
        // serves both.
        assert_eq!(count(&log, &format!("prepare_metadata {dep} 1.0")), usize::from(hook), "{log:#?}");
        assert_eq!(count(&log, &format!("build_wheel {dep} 1.0")), 1, "{log:#?}");
    }
}

#[test]
fn ok_a_version_not_chosen_is_not_built() {
    let context = TestContext::new();
    // dep 2.0 needs a lib that does not exist: its static PKG-INFO says so without a build, and
    // the resolution falls back to 1.0.
    let server = IndexServer::start(vec![
        Project::new("dep", "2.0", Backend::Test).requires("lib>=2").sdist(PkgInfo::Static),
        Project::new("dep", "1.0", Backend::Test).requires("lib").sdist(PkgInfo::Static),
        ServedFile::from_wheel(&library("lib", "1.0")),
    ]);
    stdout_of(&build(&context, &server, &["dep"]));
    let log = backend_log(&context);
    assert!(log.iter().all(|line| !line.ends_with("dep 2.0")), "{log:#?}");
    assert_eq!(run_code(&context, python3(), "import dep; print(dep.VERSION)").trim(), "1.0");
}

#[test]
fn ok_an_edit_rebuilds_and_no_edit_starts_no_backend() {
    let context = TestContext::new();
    let server = IndexServer::start(Vec::new());
    let project = app("app", "1.0", Backend::Test).write(&context.dir);
    stdout_of(&build(&context, &server, &[project.as_str(), "-c", "app"]));
    let first = fs_err::read(context.dir.join("app.pex")).unwrap();
    let log = backend_log(&context);
    assert_eq!(count(&log, "build_wheel app 1.0"), 1, "{log:#?}");

    stdout_of(&build(&context, &server, &[project.as_str(), "-c", "app"]));
    assert_eq!(backend_log(&context), log, "an unchanged project starts no backend");
    assert_eq!(fs_err::read(context.dir.join("app.pex")).unwrap(), first, "and gives the same PEX");

    // What git ignores, and what builds leave behind, changes nothing either.
    write_file(&project, ".gitignore", "*.log\nscratch/\n");
    stdout_of(&build(&context, &server, &[project.as_str(), "-c", "app"]));
    let log = backend_log(&context);
    write_file(&project, "notes.log", "ignored");
    write_file(&project, "scratch/data", "ignored");
    write_file(&project, "build/lib/app/__init__.py", "stale");
    write_file(&project, "app/__pycache__/x.pyc", "bytecode");
    stdout_of(&build(&context, &server, &[project.as_str(), "-c", "app"]));
    assert_eq!(backend_log(&context), log, "ignored files start no backend");

    // Nor does the PEX a build of the project's own directory writes into it.
    let in_project = |context: &TestContext| {
        let output = context
            .pex_rs()
            .args(["build", ".", "-o", "app.pex", "--index-url", &server.simple_url()])
            .current_dir(&project)
            .env("TEST_BACKEND_LOG", context.dir.join("backend.log"))
            .output()
            .unwrap();
        stdout_of(&output);
    };
    in_project(&context);
    let log = backend_log(&context);
    in_project(&context);
    assert_eq!(backend_log(&context), log, "the PEX in the project is not part of it");
    fs_err::remove_file(project.join("app.pex")).unwrap();

    write_file(&project, "app/__init__.py", "VERSION = '1.0'\ndef main():\n    print('edited')\n");
    stdout_of(&build(&context, &server, &[project.as_str(), "-c", "app"]));
    assert_eq!(
        count(&backend_log(&context), "build_wheel app 1.0"),
        3,
        "one build at the first run, one for `.gitignore`, one for the edit"
    );
    let output = stdout_of(&context.run_pex(python3(), &context.dir.join("app.pex"), &[]));
    assert_eq!(output.trim(), "edited");
}

#[test]
fn err_a_failing_build_leaves_nothing() {
    let context = TestContext::new();
    let server = IndexServer::start(Vec::new());
    let project = app("app", "1.0", Backend::Test).setting("fail", true.into()).write(&context.dir);
    let stderr = stderr_of(&build(&context, &server, &[project.as_str()]));
    assert!(stderr.contains("failed in `build_wheel`: RuntimeError: the build failed on purpose"), "{stderr}");
    assert!(stderr.contains("something went wrong while building"), "the build's last lines: {stderr}");
    assert!(!context.dir.join("app.pex").exists());
    let builds = context.cache_dir.join("source_builds/v1");
    let leftovers: Vec<_> = walk(&builds).into_iter().filter(|path| !path.as_str().ends_with(".lock")).collect();
    assert!(leftovers.iter().all(|path| path.is_dir()), "nothing cached: {leftovers:?}");
}

/// Every path under `directory`.
fn walk(directory: &camino::Utf8Path) -> Vec<Utf8PathBuf> {
    let mut found = Vec::new();
    for entry in fs_err::read_dir(directory).into_iter().flatten().flatten() {
        let path = Utf8PathBuf::from_path_buf(entry.path()).unwrap();
        if path.is_dir() {
            found.extend(walk(&path));
        }
        found.push(path);
    }
    found
}

#[test]
fn err_build_requirements_cycle() {
    let context = TestContext::new();
    let server = IndexServer::start(vec![
        Project::new("alpha", "1.0", Backend::Test).build_requires("beta").sdist(PkgInfo::Static),
        Project::new("beta", "1.0", Backend::Test).build_requires("alpha").sdist(PkgInfo::Static),
    ]);
    let stderr = stderr_of(&build(&context, &server, &["alpha"]));
    assert!(stderr.contains("a build requirements cycle"), "{stderr}");
    assert!(stderr.contains("`alpha` needs `beta` needs `alpha`"), "{stderr}");
}

#[test]
fn err_hostile_sdists_are_refused() {
    let context = TestContext::new();
    let setup: &[u8] = b"from setuptools import setup\nsetup()\n";
    for (name, members, reason) in [
        (
            "slip",
            vec![("slip-1.0/setup.py", 0, "", setup), ("slip-1.0/../../escaped.txt", 0, "", b"x".as_slice())],
            "is absolute or escapes the archive",
        ),
        ("absolute", vec![("/tmp/escaped.txt", 0, "", b"x".as_slice())], "is absolute or escapes the archive"),
        (
            "linkout",
            vec![("linkout-1.0/setup.py", 0, "", setup), ("linkout-1.0/link", 2, "../../../..", b"".as_slice())],
            "points outside the archive",
        ),
        (
            "through",
            vec![("through-1.0/dir", 2, ".", b"".as_slice()), ("through-1.0/dir/x", 0, "", b"x".as_slice())],
            "would be written through a symbolic link",
        ),
        ("device", vec![("device-1.0/null", 3, "", b"".as_slice())], "is a device file"),
        (
            "twice",
            vec![("twice-1.0/a", 0, "", b"1".as_slice()), ("twice-1.0/a", 0, "", b"2".as_slice())],
            "appears twice",
        ),
    ] {
        let archive = raw_tar_gz(&members);
        let server = IndexServer::start(vec![ServedFile::new(&format!("{name}-1.0.tar.gz"), archive)]);
        let stderr = stderr_of(&build(&context, &server, &[name]));
        assert!(stderr.contains(reason) && stderr.contains("nothing of it was used"), "{name}: {stderr}");
        assert!(backend_log(&context).is_empty(), "{name}: no backend ran");
        assert!(!context.dir.join("escaped.txt").exists() && !Utf8PathBuf::from("/tmp/escaped.txt").exists());
    }
}

#[test]
fn err_pkg_info_contradicting_the_file_name() {
    let context = TestContext::new();
    let lying = Project::new("dep", "2.0", Backend::Test).sdist(PkgInfo::Static);
    let server = IndexServer::start(vec![ServedFile::new("dep-1.0.tar.gz", served_bytes(&lying))]);
    let stderr = stderr_of(&build(&context, &server, &["dep"]));
    assert!(stderr.contains("the PKG-INFO of `dep-1.0.tar.gz` says it is dep 2.0"), "{stderr}");
}

#[test]
fn err_no_build_and_only_binary() {
    let context = TestContext::new();
    let server = IndexServer::start(vec![Project::new("dep", "1.0", Backend::Test).sdist(PkgInfo::Static)]);
    for flags in [&["--no-build"][..], &["--only-binary", ":all:"], &["--only-binary", "dep"]] {
        let mut args = vec!["dep"];
        args.extend(flags);
        let stderr = stderr_of(&build(&context, &server, &args));
        assert!(
            stderr.contains("only source distributions, and `--only-binary` (or `--no-build`) forbids building them"),
            "{flags:?}: {stderr}"
        );
    }
    let project = app("app", "1.0", Backend::Test).write(&context.dir);
    let stderr = stderr_of(&build(&context, &server, &[project.as_str(), "--no-build"]));
    assert!(stderr.contains("must be built from source, and building from source is turned off"), "{stderr}");
    assert!(stderr.contains("hint: give a wheel of it, or allow building from source (`--no-build`)"), "{stderr}");
    assert!(backend_log(&context).is_empty(), "no backend ran");
}

#[test]
fn ok_binary_options_apply_in_order() {
    let context = TestContext::new();
    let server = IndexServer::start(vec![
        ServedFile::from_wheel(&library("dep", "1.0")),
        Project::new("dep", "1.0", Backend::Test).sdist(PkgInfo::Static),
        ServedFile::from_wheel(&library("other", "1.0")),
        Project::new("other", "1.0", Backend::Test).sdist(PkgInfo::Static),
    ]);
    // pip's order: `:all:` first, then the one exception.
    stdout_of(&build(&context, &server, &["dep", "other", "--only-binary", ":all:", "--no-binary", "dep"]));
    assert_eq!(backend_log(&context).iter().filter(|line| line.starts_with("build_wheel")).count(), 1);
    assert_eq!(count(&backend_log(&context), "build_wheel dep 1.0"), 1, "{:#?}", backend_log(&context));
    // The other way round, `:all:` wins.
    fs_err::remove_file(context.dir.join("backend.log")).unwrap();
    stdout_of(&build(&context, &server, &["dep", "other", "--no-binary", "dep", "--only-binary", ":all:"]));
    assert!(backend_log(&context).is_empty(), "{:#?}", backend_log(&context));
}

#[test]
fn err_hash_checking_builds_only_pinned_sdists() {
    let context = TestContext::new();
    let dep = Project::new("dep", "1.0", Backend::Test).sdist(PkgInfo::Dynamic);
    let digest = {
        use sha2::Digest as _;
        format!("{:x}", sha2::Sha256::digest(served_bytes(&dep)))
    };
    let server = IndexServer::start(vec![dep]);
    write_file(&context.dir, "unpinned.txt", "--require-hashes\ndep==1.0\n");
    let stderr = stderr_of(&build(&context, &server, &["-r", "unpinned.txt"]));
    assert!(stderr.contains("hash checking is on") && stderr.contains("which no `--hash` pins"), "{stderr}");
    assert!(backend_log(&context).is_empty(), "no code of an unpinned sdist ran");
    write_file(&context.dir, "wrong.txt", &format!("dep==1.0 --hash=sha256:{}\n", "0".repeat(64)));
    let stderr = stderr_of(&build(&context, &server, &["-r", "wrong.txt"]));
    assert!(stderr.contains("the `--hash` pin"), "{stderr}");
    assert!(backend_log(&context).is_empty(), "no code of a mismatched sdist ran");
    write_file(&context.dir, "pinned.txt", &format!("dep==1.0 --hash=sha256:{digest}\n"));
    stdout_of(&build(&context, &server, &["-r", "pinned.txt"]));
}

#[test]
fn ok_links_out_of_the_project_and_a_cache_inside_it() {
    let context = TestContext::new();
    let server = IndexServer::start(Vec::new());
    let project = app("app", "1.0", Backend::Test).write(&context.dir);
    let outside = write_file(&context.dir, "common/data.txt", "one");
    std::os::unix::fs::symlink(&outside, project.join("app/data.txt")).unwrap();
    std::os::unix::fs::symlink("../../common/data.txt", project.join("app/relative.txt")).unwrap();
    // The cache inside the project (as CI setups keep it) is not part of the project.
    let cache = project.join(".cache");
    let build_in = |context: &TestContext| {
        let output = context
            .pex_rs()
            .args(["build", project.as_str(), "--cache-dir", cache.as_str(), "--index-url", &server.simple_url()])
            .args(["-o", "app.pex"])
            .env("TEST_BACKEND_LOG", context.dir.join("backend.log"))
            .output()
            .unwrap();
        stdout_of(&output);
    };
    build_in(&context);
    let code = "import app, pathlib; print(pathlib.Path(app.__file__).with_name('relative.txt').read_text())";
    assert_eq!(run_code(&context, python3(), code).trim(), "one");
    build_in(&context);
    assert_eq!(count(&backend_log(&context), "build_wheel app 1.0"), 1, "the cache is not part of the project");
    fs_err::write(&outside, "two").unwrap();
    build_in(&context);
    assert_eq!(count(&backend_log(&context), "build_wheel app 1.0"), 2, "an edit behind a link rebuilds");
    assert_eq!(run_code(&context, python3(), code).trim(), "two");
}

#[test]
fn ok_no_binary_builds_what_has_a_wheel() {
    let context = TestContext::new();
    let server = IndexServer::start(vec![
        ServedFile::from_wheel(&library("dep", "1.0")),
        Project::new("dep", "1.0", Backend::Test).sdist(PkgInfo::Static),
    ]);
    stdout_of(&build(&context, &server, &["dep"]));
    assert!(backend_log(&context).is_empty(), "the wheel is taken");
    stdout_of(&build(&context, &server, &["dep", "--no-binary", "dep"]));
    assert_eq!(count(&backend_log(&context), "build_wheel dep 1.0"), 1);
    assert!(pex_info(&context)["pex_rs_built"].get("dep-1.0-py3-none-any.whl").is_some());
}

#[test]
fn ok_foreign_platform_takes_pure_builds_only() {
    let context = TestContext::new();
    let platform = "manylinux2014_x86_64-cp-311-cp311";
    let pure = Project::new("pure", "1.0", Backend::Test);
    let native = Project::new("native", "1.0", Backend::Test).setting("tag", "cp311-cp311-linux_x86_64".into());
    let server = IndexServer::start(vec![pure.sdist(PkgInfo::Static), native.sdist(PkgInfo::Static)]);
    stdout_of(&build(&context, &server, &["pure", "--platform", platform]));
    assert!(pex_info(&context)["distributions"].get("pure-1.0-py3-none-any.whl").is_some());
    let stderr = stderr_of(&build(&context, &server, &["native", "--platform", platform]));
    assert!(
        stderr.contains("`native 1.0` (sdist `native-1.0.tar.gz`) has only a source distribution, and the wheel built from it here (`native-1.0-cp311-cp311-linux_x86_64.whl`) does not run on `manylinux2014_x86_64-cp-311-cp311`")
            && stderr.contains("--find-links DIR"),
        "{stderr}"
    );
}

#[test]
fn ok_requirements_files_name_directories_and_editables() {
    let context = TestContext::new();
    let server = IndexServer::start(Vec::new());
    app("app", "1.0", Backend::Test).requires("lib").write(&context.dir);
    Project::new("lib", "2.0", Backend::Test).write(&context.dir);
    write_file(&context.dir, "requirements.txt", "-e ./app\n./lib\n");
    let output = build(&context, &server, &["-r", "requirements.txt"]);
    let stderr = String::from_utf8_lossy(&stdout_and(&output)).into_owned();
    assert_eq!(stderr.matches("a PEX is never editable").count(), 1, "{stderr}");
    assert_eq!(run_code(&context, python3(), "import lib; print(lib.VERSION)").trim(), "2.0");
    assert_eq!(pex_info(&context)["requirements"], serde_json::json!(["app==1.0", "lib==2.0"]));
}

/// The stderr of a successful run.
fn stdout_and(output: &Output) -> Vec<u8> {
    stdout_of(output);
    output.stderr.clone()
}

#[test]
fn ok_direct_references_to_sdists_and_directories() {
    let context = TestContext::new();
    let dep = Project::new("dep", "1.0", Backend::Test);
    let other = Project::new("other", "3.0", Backend::Test);
    // A code host's archive: its name tells nothing, its metadata (built) tells all.
    let archive = ServedFile::new("main.tar.gz", served_bytes(&other.sdist(PkgInfo::None)));
    let server = IndexServer::start(vec![dep.sdist(PkgInfo::Static), archive]);
    let local_sdist = context.dir.join("dep-1.0.tar.gz");
    fs_err::write(&local_sdist, served_bytes(&dep.sdist(PkgInfo::Legacy))).unwrap();
    let directory = Project::new("third", "0.5", Backend::Test).write(&context.dir);
    let requirements = [
        format!("dep @ {}/files/dep-1.0.tar.gz", server.url()),
        format!("{}/files/main.tar.gz", server.url()),
        format!("third @ file://{directory}"),
    ];
    let args: Vec<&str> = requirements.iter().map(String::as_str).collect();
    stdout_of(&build(&context, &server, &args));
    let code = "import dep, other, third; print(dep.VERSION, other.VERSION, third.VERSION)";
    assert_eq!(run_code(&context, python3(), code).trim(), "1.0 3.0 0.5");
    let info = pex_info(&context);
    assert_eq!(info["requirements"], serde_json::json!(["dep==1.0", "other==3.0", "third==0.5"]));
    // A local sdist by path, and a direct reference that names the wrong project.
    stdout_of(&build(&context, &server, &[local_sdist.as_str()]));
    let stderr = stderr_of(&build(&context, &server, &[&format!("wrong @ file://{directory}")]));
    assert!(stderr.contains("gave a distribution of `third`, not of `wrong`"), "{stderr}");
    let stderr = stderr_of(&build(&context, &server, &["./missing"]));
    assert!(stderr.contains("/missing` does not exist"), "{stderr}");
}

fn served_bytes(file: &ServedFile) -> Vec<u8> {
    file.bytes().to_vec()
}

#[test]
fn ok_git_references_are_pinned_to_their_commit() {
    let context = TestContext::new();
    let server = IndexServer::start(Vec::new());
    let repository = app("app", "1.0", Backend::Test).write(&context.dir);
    let git = |args: &[&str]| {
        std::process::Command::new("git")
            .args(["-c", "user.name=t", "-c", "user.email=t@t.invalid", "-c", "commit.gpgsign=false"])
            .args(args)
            .current_dir(&repository)
            .output()
    };
    if !git(&["init", "--quiet"]).is_ok_and(|output| output.status.success()) {
        skip("ok_git_references_are_pinned_to_their_commit", "no `git` here");
        return;
    }
    for args in [&["add", "-A"][..], &["commit", "--quiet", "-m", "one"], &["tag", "v1"]] {
        assert!(git(args).unwrap().status.success(), "git {args:?}");
    }
    let commit = String::from_utf8(git(&["rev-parse", "HEAD"]).unwrap().stdout).unwrap().trim().to_owned();
    let requirement = format!("app @ git+file://{repository}@v1");
    stdout_of(&build(&context, &server, &[&requirement, "-c", "app"]));
    let info = pex_info(&context);
    let pinned = format!("app @ git+file://{repository}@{commit}");
    assert_eq!(info["requirements"], serde_json::json!([pinned]));
    assert_eq!(
        info["pex_rs_built"]["app-1.0-py3-none-any.whl"],
        serde_json::json!(format!("git+file://{repository}@{commit}"))
    );
    assert_eq!(stdout_of(&context.run_pex(python3(), &context.dir.join("app.pex"), &[])).trim(), "app 1.0");
    // A lock records the checkout by its commit, and a build from the lock checks that out.
    let index = server.simple_url();
    stdout_of(&context.pex_rs().args(["lock", &requirement, "--index-url", &index]).output().unwrap());
    let lock = fs_err::read_to_string(context.dir.join("pylock.toml")).unwrap();
    let vcs = format!("vcs = {{ type = \"git\", url = \"file://{repository}\", commit-id = \"{commit}\" }}");
    assert!(lock.contains(&vcs), "{lock}");
    let locked = ["build", "--lock", "pylock.toml", "-c", "app", "--index-url", &index, "-o", "locked.pex"];
    stdout_of(&context.pex_rs().args(locked).output().unwrap());
    assert_eq!(stdout_of(&context.run_pex(python3(), &context.dir.join("locked.pex"), &[])).trim(), "app 1.0");
    // Without git, one clear error.
    let python = python3().path.to_string_lossy().into_owned();
    let output = context
        .pex_rs()
        .args(["build", &requirement, "--python", &python, "--index-url", &server.simple_url(), "-o", "app.pex"])
        .env("PATH", "/nonexistent")
        .output()
        .unwrap();
    let stderr = stderr_of(&output);
    assert!(stderr.contains("is a git repository, and `git` is not installed"), "{stderr}");
}

#[test]
fn ok_config_settings_and_source_date_epoch_reach_the_backend() {
    let context = TestContext::new();
    let server = IndexServer::start(Vec::new());
    let project = app("app", "1.0", Backend::Test).setting("record_build", "app/_build.py".into()).write(&context.dir);
    let output = context
        .pex_rs()
        .args(["build", project.as_str(), "-C", "key=value", "--config-settings", "multi=a", "-C", "multi=b"])
        .args(["--index-url", &server.simple_url(), "-o", "app.pex"])
        .env("SOURCE_DATE_EPOCH", "1600000000")
        .output()
        .unwrap();
    stdout_of(&output);
    let recorded = run_code(&context, python3(), "import app._build as b; print(b.CONFIG, b.EPOCH)");
    assert_eq!(recorded.trim(), "{'key': 'value', 'multi': ['a', 'b']} 1600000000");
    // A published sdist is built with the fixed epoch, whatever the build's: a new epoch per
    // commit must not rebuild dependencies.
    let dep = Project::new("dep", "1.0", Backend::Test).setting("record_build", "dep/_build.py".into());
    let server = IndexServer::start(vec![dep.sdist(PkgInfo::Static)]);
    for epoch in ["1600000000", "1700000000"] {
        let output = context
            .pex_rs()
            .args(["build", "dep", "--index-url", &server.simple_url(), "-o", "app.pex", "-v"])
            .env("SOURCE_DATE_EPOCH", epoch)
            .output()
            .unwrap();
        let log = String::from_utf8_lossy(&output.stderr).into_owned();
        stdout_of(&output);
        let recorded = run_code(&context, python3(), "import dep._build as b; print(b.EPOCH)");
        assert_eq!(recorded.trim(), "315532800");
        if epoch == "1700000000" {
            assert!(!log.contains("building "), "the second epoch reuses the built wheel: {log}");
        }
    }
    let stderr = stderr_of(&build(&context, &server, &[project.as_str(), "-C", "novalue"]));
    assert!(stderr.contains("a config setting takes `KEY=VALUE`; got `novalue`"), "{stderr}");
}

#[test]
fn ok_build_isolation_constraints_and_its_absence() {
    let context = TestContext::new();
    let helper =
        |version: &str| WheelBuilder::new("helper", version).file("helper.py", format!("VERSION = {version:?}\n"));
    let server =
        IndexServer::start(vec![ServedFile::from_wheel(&helper("1.0")), ServedFile::from_wheel(&helper("2.0"))]);
    let project = app("app", "1.0", Backend::Test)
        .build_requires("helper")
        .setting("record_build", "app/_build.py".into())
        .setting("record_module", "helper".into())
        .write(&context.dir);
    let recorded = |context: &TestContext| run_code(context, python3(), "import app._build as b; print(b.HELPER)");
    stdout_of(&build(&context, &server, &[project.as_str()]));
    assert_eq!(recorded(&context).trim(), "2.0", "the build environment has the newest helper");
    write_file(&context.dir, "build-constraints.txt", "helper<2\n");
    stdout_of(&build(&context, &server, &[project.as_str(), "--build-constraint", "build-constraints.txt"]));
    assert_eq!(recorded(&context).trim(), "1.0", "the build constraint holds");
    // Without isolation, the build uses what the interpreter has: no helper at all.
    let stderr = stderr_of(&build(&context, &server, &[project.as_str(), "--no-build-isolation"]));
    assert!(stderr.contains("No module named 'helper'"), "{stderr}");
    let plain = app("plain", "1.0", Backend::Test).build_requires("not-on-any-index").write(&context.dir);
    stderr_of(&build(&context, &server, &[plain.as_str()]));
    stdout_of(&build(&context, &server, &[plain.as_str(), "--no-build-isolation"]));
}

#[test]
fn ok_real_backends_build_reproducibly() {
    let Some(backends) = backend_wheels("ok_real_backends_build_reproducibly") else { return };
    for backend in [Backend::Setuptools, Backend::SetuptoolsLegacy, Backend::Hatchling, Backend::FlitCore] {
        let mut pex_files = Vec::new();
        for _ in 0..2 {
            // Fresh caches at different paths each time.
            let context = TestContext::new();
            let server = IndexServer::start(backends.clone());
            let project = app("app", "1.0", backend).write(&context.dir);
            stdout_of(&build(&context, &server, &[project.as_str(), "-c", "app"]));
            let output = stdout_of(&context.run_pex(python3(), &context.dir.join("app.pex"), &[]));
            assert_eq!(output.trim(), "app 1.0", "{backend:?}");
            pex_files.push(fs_err::read(context.dir.join("app.pex")).unwrap());
        }
        assert!(pex_files[0] == pex_files[1], "{backend:?}: two builds from fresh caches differ");
    }
}

#[test]
fn ok_c_extension_and_a_missing_compiler() {
    let Some(backends) = backend_wheels("ok_c_extension_and_a_missing_compiler") else { return };
    let context = TestContext::new();
    let server = IndexServer::start(backends);
    let project = Project::new("ext", "1.0", Backend::SetuptoolsLegacy)
        .file(
            "setup.py",
            "from setuptools import setup, Extension\nsetup(name='ext', version='1.0', packages=['ext'], \
             ext_modules=[Extension('ext._answer', ['answer.c'])])\n",
        )
        .file(
            "answer.c",
            "#include <Python.h>\nstatic PyObject *answer(PyObject *s, PyObject *a) { return PyLong_FromLong(42); }\n\
             static PyMethodDef m[] = {{\"answer\", answer, METH_NOARGS, NULL}, {NULL, NULL, 0, NULL}};\n\
             static struct PyModuleDef d = {PyModuleDef_HEAD_INIT, \"_answer\", NULL, -1, m};\n\
             PyMODINIT_FUNC PyInit__answer(void) { return PyModule_Create(&d); }\n",
        )
        .write(&context.dir);
    let output = context
        .pex_rs()
        .args(["build", project.as_str(), "--index-url", &server.simple_url(), "-o", "app.pex"])
        .env("CC", "/nonexistent/cc")
        .output()
        .unwrap();
    let stderr = stderr_of(&output);
    assert!(
        stderr.contains("cannot build the project at") && stderr.contains("the compiler `/nonexistent/cc` is missing"),
        "{stderr}"
    );
    let output = build(&context, &server, &[project.as_str()]);
    if !output.status.success() {
        skip(
            "ok_c_extension_and_a_missing_compiler",
            &format!("no C compiler or headers: {}", String::from_utf8_lossy(&output.stderr)),
        );
        return;
    }
    assert_eq!(run_code(&context, python3(), "from ext import _answer; print(_answer.answer())").trim(), "42");
}
