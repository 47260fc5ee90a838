//! Resolution against a loopback package index: JSON and HTML pages, PEP 658 metadata and
//! range requests, yanked files, requires-python, extras and markers, conflicts, hashes,
//! failures and retries, the cache, offline builds, several indexes, requirements files.

use std::time::Duration;

use crate::index_server::{IndexServer, ServedFile};
use crate::support::{TestContext, WheelBuilder, python3, stdout_of, write_file};

/// A module that prints its project's version when the PEX runs `-c`.
fn library(name: &str, version: &str) -> WheelBuilder {
    WheelBuilder::new(name, version).file(&format!("{name}.py"), format!("VERSION = {version:?}\n"))
}

fn served(wheels: &[&WheelBuilder]) -> Vec<ServedFile> {
    wheels.iter().map(|wheel| ServedFile::from_wheel(wheel)).collect()
}

/// `pex-rs build ARGS --index-url URL -o app.pex`, returning the output.
fn build(context: &TestContext, index: &str, args: &[&str]) -> std::process::Output {
    context.pex_rs().arg("build").args(args).args(["--index-url", index, "-o", "app.pex"]).output().expect("run pex-rs")
}

fn stderr_of(output: &std::process::Output) -> String {
    assert!(!output.status.success(), "expected a failure; stdout:\n{}", String::from_utf8_lossy(&output.stdout));
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// The version of `module` the PEX at `app.pex` imports.
fn version_in_pex(context: &TestContext, module: &str) -> String {
    let pex = context.dir.join("app.pex");
    let output = context.run_pex(python3(), &pex, &["-c", &format!("import {module}; print({module}.VERSION)")]);
    stdout_of(&output).trim().to_owned()
}

#[test]
fn ok_resolves_dependencies_from_json_and_html_indexes() {
    let app = library("app", "1.0").requires("lib>=1");
    let (lib1, lib2) = (library("lib", "1.0"), library("lib", "2.0"));
    for json in [true, false] {
        let context = TestContext::new();
        let server = IndexServer::builder(served(&[&app, &lib1, &lib2])).json(json).start();
        stdout_of(&build(&context, &server.simple_url(), &["app"]));
        assert_eq!(version_in_pex(&context, "lib"), "2.0", "json={json}");
        let accept_json =
            server.count(|request| request.accept.as_deref().is_some_and(|accept| accept.contains("json")));
        assert!(accept_json > 0, "pex-rs asks for the JSON API first");
        let info = stdout_of(&context.pex_rs().args(["info", "--json", "app.pex"]).output().unwrap());
        let info: serde_json::Value = serde_json::from_str(&info).unwrap();
        assert_eq!(info["requirements"], serde_json::json!(["app"]));
        let distributions = info["distributions"].as_object().unwrap();
        assert!(
            distributions.contains_key("lib-2.0-py3-none-any.whl")
                && distributions.contains_key("app-1.0-py3-none-any.whl")
        );
    }
}

#[test]
fn ok_metadata_from_range_requests_without_pep658() {
    let app = library("app", "1.0").requires("lib");
    let lib = library("lib", "1.0");
    let context = TestContext::new();
    let server = IndexServer::builder(served(&[&app, &lib])).metadata(false).start();
    stdout_of(&build(&context, &server.simple_url(), &["app"]));
    assert!(server.count(|request| request.path.ends_with(".metadata")) == 0);
    assert!(server.count(|request| request.range.is_some()) >= 2, "METADATA came through range requests");
    // Without ranges either, the wheel is downloaded whole (once).
    let context = TestContext::new();
    let server = IndexServer::builder(served(&[&app, &lib])).metadata(false).ranges(false).start();
    stdout_of(&build(&context, &server.simple_url(), &["app"]));
    assert_eq!(server.count(|request| request.path == "/files/lib-1.0-py3-none-any.whl"), 1);
    assert_eq!(version_in_pex(&context, "lib"), "1.0");
}

#[test]
fn ok_pep658_metadata_is_used() {
    let app = library("app", "1.0").requires("lib");
    let lib = library("lib", "1.0");
    let context = TestContext::new();
    let server = IndexServer::start(served(&[&app, &lib]));
    stdout_of(&build(&context, &server.simple_url(), &["app"]));
    assert_eq!(server.count(|request| request.path.ends_with(".metadata")), 2);
    assert_eq!(server.count(|request| request.range.is_some()), 0);
}

#[test]
fn ok_extras_markers_and_constraints() {
    let app = library("app", "1.0").requires("lib[fast]").requires("never; python_version < '3'");
    let lib = library("lib", "1.0").requires("speedup; extra == 'fast'").requires("docs; extra == 'docs'");
    let lib2 = library("lib", "2.0").requires("speedup; extra == 'fast'");
    let speedup = library("speedup", "0.1");
    let context = TestContext::new();
    let server = IndexServer::start(served(&[&app, &lib, &lib2, &speedup]));
    let constraints = write_file(&context.dir, "constraints.txt", "lib<2\n");
    stdout_of(&build(&context, &server.simple_url(), &["app", "--constraint", constraints.as_str()]));
    assert_eq!(version_in_pex(&context, "lib"), "1.0");
    assert_eq!(version_in_pex(&context, "speedup"), "0.1");
    assert_eq!(
        server.count(|request| request.path.starts_with("/simple/docs") || request.path.starts_with("/simple/never")),
        0
    );
}

#[test]
fn ok_yanked_requires_python_and_pre_releases() {
    let lib1 = library("lib", "1.0");
    let lib2 = library("lib", "2.0");
    let lib3 = library("lib", "3.0");
    let lib4 = library("lib", "4.0b1");
    let server = IndexServer::start(vec![
        ServedFile::from_wheel(&lib1),
        ServedFile::from_wheel(&lib2).yanked("broken"),
        ServedFile::from_wheel(&lib3).requires_python("<3"),
        ServedFile::from_wheel(&lib4),
    ]);
    for (args, expected) in [
        (&["lib"][..], "1.0"),
        (&["lib==2.0"][..], "2.0"),
        (&["lib", "--pre"][..], "4.0b1"),
        (&["lib>=4.0b1"][..], "4.0b1"),
    ] {
        let context = TestContext::new();
        stdout_of(&build(&context, &server.simple_url(), args));
        assert_eq!(version_in_pex(&context, "lib"), expected, "{args:?}");
    }
}

#[test]
fn err_conflict_is_explained() {
    let app = library("app", "1.0").requires("lib<2");
    let tool = library("tool", "1.0").requires("lib>=2");
    let (lib1, lib2) = (library("lib", "1.0"), library("lib", "2.0"));
    let context = TestContext::new();
    let server = IndexServer::start(served(&[&app, &tool, &lib1, &lib2]));
    let stderr = stderr_of(&build(&context, &server.simple_url(), &["app", "tool"]));
    assert!(stderr.starts_with("error: no set of distributions satisfies the requirements:"), "{stderr}");
    assert!(stderr.contains("app") && stderr.contains("tool") && stderr.contains("lib"), "{stderr}");
    assert!(!context.dir.join("app.pex").exists());
}

#[test]
fn err_missing_project_and_sdist_only() {
    let context = TestContext::new();
    let server = IndexServer::start(vec![ServedFile::new("native-1.0.tar.gz", b"not really".to_vec())]);
    let stderr = stderr_of(&build(&context, &server.simple_url(), &["nowhere"]));
    assert!(stderr.contains("nowhere") && stderr.contains("not found on"), "{stderr}");
    let stderr = stderr_of(&build(&context, &server.simple_url(), &["native", "--no-build"]));
    assert!(stderr.contains("only source distributions, and `--only-binary` (or `--no-build`) forbids"), "{stderr}");
}

#[test]
fn err_hash_mismatch_caches_nothing() {
    let lib = library("lib", "1.0");
    let context = TestContext::new();
    let server = IndexServer::start(vec![ServedFile::from_wheel(&lib).lie_about_hash()]);
    let stderr = stderr_of(&build(&context, &server.simple_url(), &["lib"]));
    assert!(stderr.contains("lib-1.0-py3-none-any.whl") && stderr.contains("sha256"), "{stderr}");
    let wheels = context.cache_dir.join("wheels/v1");
    // Nothing at all: no entry and no leftover temporary download.
    let cached = fs_err::read_dir(&wheels).map_or(0, Iterator::count);
    assert_eq!(cached, 0, "a wheel that does not match its digest is not cached");
    // A `--hash` pin that the served file does not match fails the same way.
    let context = TestContext::new();
    let server = IndexServer::start(served(&[&lib]));
    let requirements =
        write_file(&context.dir, "requirements.txt", &format!("lib==1.0 --hash=sha256:{}\n", "0".repeat(64)));
    let stderr = stderr_of(&build(&context, &server.simple_url(), &["-r", requirements.as_str()]));
    assert!(stderr.contains("`--hash` pin"), "{stderr}");
    // A matching pin builds.
    let digest = {
        use sha2::Digest as _;
        format!("{:x}", sha2::Sha256::digest(lib.bytes()))
    };
    let requirements = write_file(&context.dir, "requirements.txt", &format!("lib==1.0 --hash=sha256:{digest}\n"));
    stdout_of(&build(&context, &server.simple_url(), &["-r", requirements.as_str()]));
    fs_err::remove_file(context.dir.join("app.pex")).unwrap();
    // Hash checking covers dependencies: a pinned requirement whose dependency has no pin fails.
    let app = library("app", "1.0").requires("lib");
    let server = IndexServer::start(served(&[&app, &lib]));
    let digest = {
        use sha2::Digest as _;
        format!("{:x}", sha2::Sha256::digest(app.bytes()))
    };
    let requirements = write_file(&context.dir, "requirements.txt", &format!("app==1.0 --hash=sha256:{digest}\n"));
    let stderr = stderr_of(&build(&context, &server.simple_url(), &["-r", requirements.as_str()]));
    assert!(stderr.contains("1 wheels have no `--hash`") && stderr.contains("`lib==1.0 --hash=sha256:"), "{stderr}");
}

#[test]
fn ok_retries_then_clear_error() {
    let lib = library("lib", "1.0");
    let context = TestContext::new();
    let server = IndexServer::start(served(&[&lib]));
    server.fail_next("/simple/lib/", 2);
    server.fail_next("/files/", 1);
    stdout_of(&build(&context, &server.simple_url(), &["lib", "--retries", "3"]));
    let context = TestContext::new();
    server.fail_next("/simple/", 100);
    let stderr = stderr_of(&build(&context, &server.simple_url(), &["lib", "--retries", "1"]));
    assert!(
        stderr.contains(&format!("{}lib/", server.simple_url()))
            && stderr.contains("after 2 tries")
            && stderr.contains("500"),
        "{stderr}"
    );
    server.fail_next("/simple/", 0);
    server.delay("/simple/", Duration::from_secs(5));
    let stderr = stderr_of(&build(&context, &server.simple_url(), &["lib", "--retries", "0", "--timeout", "0.3"]));
    assert!(stderr.contains("timed out"), "{stderr}");
}

#[test]
fn ok_warm_build_and_offline() {
    let app = library("app", "1.0").requires("lib");
    let lib = library("lib", "1.0");
    let context = TestContext::new();
    let index_url;
    {
        let server = IndexServer::start(served(&[&app, &lib]));
        index_url = server.simple_url();
        stdout_of(&build(&context, &index_url, &["app"]));
        server.clear_log();
        stdout_of(&build(&context, &index_url, &["app"]));
        assert_eq!(server.count(|request| request.path.starts_with("/files/")), 0, "a warm build downloads nothing");
        // Pages are revalidated (the server says `max-age=0`) and not sent again.
        assert!(server.count(|request| request.if_none_match.is_some()) > 0);
    }
    // The server is gone: `--offline` builds from the cache alone.
    fs_err::remove_file(context.dir.join("app.pex")).unwrap();
    stdout_of(&build(&context, &index_url, &["app", "--offline"]));
    assert_eq!(version_in_pex(&context, "lib"), "1.0");
    let stderr = stderr_of(&build(&context, &index_url, &["other", "--offline"]));
    assert!(stderr.contains("other/") && stderr.contains("--offline"), "{stderr}");
}

#[test]
fn ok_corrupt_cache_entry_is_fetched_again() {
    let lib = library("lib", "1.0");
    let context = TestContext::new();
    let server = IndexServer::start(served(&[&lib]));
    stdout_of(&build(&context, &server.simple_url(), &["lib"]));
    let wheels = context.cache_dir.join("wheels/v1");
    let entry = fs_err::read_dir(&wheels)
        .unwrap()
        .filter_map(Result::ok)
        .find(|entry| !entry.file_name().to_string_lossy().starts_with('.'))
        .unwrap();
    let file = entry.path().join("lib-1.0-py3-none-any.whl");
    fs_err::write(&file, b"garbage").unwrap();
    server.clear_log();
    stdout_of(&build(&context, &server.simple_url(), &["lib"]));
    assert_eq!(server.count(|request| request.path == "/files/lib-1.0-py3-none-any.whl"), 1);
    assert_ne!(fs_err::read(&file).unwrap(), b"garbage");
}

#[test]
fn ok_first_index_that_has_a_project_wins() {
    let first = IndexServer::start(served(&[&library("lib", "1.0")]));
    let second = IndexServer::start(served(&[&library("lib", "2.0"), &library("other", "1.0")]));
    let context = TestContext::new();
    let extra = second.simple_url();
    stdout_of(&build(&context, &first.simple_url(), &["lib", "other", "--extra-index-url", &extra]));
    assert_eq!(version_in_pex(&context, "lib"), "1.0", "no mixing: lib comes from the first index only");
    assert_eq!(version_in_pex(&context, "other"), "1.0");
}

#[test]
fn ok_basic_auth_never_printed() {
    let lib = library("lib", "1.0");
    let server = IndexServer::builder(served(&[&lib])).basic_auth("user", "s3cret").start();
    let context = TestContext::new();
    let with_credentials = server.simple_url().replace("http://", "http://user:s3cret@");
    stdout_of(&build(&context, &with_credentials, &["lib"]));
    let context = TestContext::new();
    let wrong = server.simple_url().replace("http://", "http://user:wrong@");
    let stderr = stderr_of(&build(&context, &wrong, &["lib"]));
    assert!(stderr.contains("needs credentials") && !stderr.contains("wrong"), "{stderr}");
    // Credentials from a `.netrc` file.
    let netrc = write_file(&context.dir, "netrc", "machine 127.0.0.1 login user password s3cret\n");
    let output = context
        .pex_rs()
        .env("NETRC", &netrc)
        .arg("build")
        .args(["lib", "--index-url", &server.simple_url(), "-o", "app.pex"])
        .output()
        .unwrap();
    stdout_of(&output);
}

#[test]
fn ok_requirements_file_with_every_line_kind() {
    let context = TestContext::new();
    let app = library("app", "1.0").requires("lib").requires("direct");
    let lib = library("lib", "1.0");
    let lib2 = library("lib", "2.0");
    let local = library("local", "1.0").build(&context.dir);
    let direct = library("direct", "1.0");
    let linked = library("linked", "1.0");
    let extra = library("extra", "1.0");
    let server = IndexServer::start(served(&[&app, &lib, &lib2, &direct]));
    let extra_server = IndexServer::start(served(&[&extra]));
    let links = context.dir.join("links");
    fs_err::create_dir_all(&links).unwrap();
    linked.build(&links);
    let direct_url = format!("{}/files/{}", server.url(), direct.filename());
    write_file(&context.dir, "nested/constraints.txt", "lib<2  # keep lib 1\n");
    write_file(&context.dir, "nested/more.txt", "-c constraints.txt\nextra\n");
    let requirements = write_file(
        &context.dir,
        "requirements.txt",
        &format!(
            "# every line kind\n--index-url {index}\n--extra-index-url {extra}\n--find-links links\n\
             app \\\n  >=1.0\nlib ; python_version >= '3'\nnever ; python_version < '3'\n\
             direct @ {direct_url}\n./{local}\nlinked\n-r nested/more.txt\n",
            index = server.simple_url(),
            extra = extra_server.simple_url(),
            local = local.file_name().unwrap(),
        ),
    );
    let output = context.pex_rs().arg("build").args(["-r", requirements.as_str(), "-o", "app.pex"]).output().unwrap();
    stdout_of(&output);
    for (module, version) in
        [("app", "1.0"), ("lib", "1.0"), ("direct", "1.0"), ("local", "1.0"), ("linked", "1.0"), ("extra", "1.0")]
    {
        assert_eq!(version_in_pex(&context, module), version, "{module}");
    }
}

#[test]
fn ok_find_links_page_without_digests_warm_and_offline() {
    let app = library("app", "1.0").requires("lib");
    let lib = library("lib", "1.0");
    let context = TestContext::new();
    let server = IndexServer::start(served(&[&app, &lib]));
    let links = server.find_links_url();
    let build = |extra: &[&str]| {
        let mut args = vec!["build", "app", "--no-index", "-f", links.as_str(), "-o", "app.pex"];
        args.extend_from_slice(extra);
        context.pex_rs().args(&args).output().unwrap()
    };
    stdout_of(&build(&[]));
    server.clear_log();
    stdout_of(&build(&[]));
    assert_eq!(server.count(|request| request.path.starts_with("/files/")), 0, "known by URL: nothing downloaded");
    drop(server);
    stdout_of(&build(&["--offline"]));
    assert_eq!(version_in_pex(&context, "lib"), "1.0");
}

#[test]
fn ok_hash_pin_selects_the_pinned_wheel_of_a_release() {
    // Two wheels of lib 1.0: a generic `py3` one, and one tagged for this Python's version,
    // which ranks better.
    let generic = library("lib", "1.0");
    let python = python3();
    let best = WheelBuilder::new("lib", "1.0")
        .tag(&format!("py{}{}-none-any", python.version.0, python.version.1))
        .file("lib.py", "VERSION = 'best'\n");
    let context = TestContext::new();
    let server = IndexServer::start(served(&[&generic, &best]));
    let digest = {
        use sha2::Digest as _;
        format!("{:x}", sha2::Sha256::digest(generic.bytes()))
    };
    let requirements = write_file(&context.dir, "requirements.txt", &format!("lib==1.0 --hash=sha256:{digest}\n"));
    stdout_of(&build(&context, &server.simple_url(), &["-r", requirements.as_str()]));
    assert_eq!(version_in_pex(&context, "lib"), "1.0", "the pinned generic wheel, not the better-tagged one");
    let context = TestContext::new();
    stdout_of(&build(&context, &server.simple_url(), &["lib"]));
    assert_eq!(version_in_pex(&context, "lib"), "best", "without a pin, the best tag wins");
}

#[test]
fn err_url_dependencies_yanked_only_and_file_index() {
    let context = TestContext::new();
    let lib = library("lib", "1.0");
    let app = library("app", "1.0").requires("lib @ https://elsewhere.invalid/lib-1.0-py3-none-any.whl");
    let old = library("old", "1.0");
    let server = IndexServer::start(vec![
        ServedFile::from_wheel(&app),
        ServedFile::from_wheel(&lib),
        ServedFile::from_wheel(&old).yanked("bad release"),
    ]);
    let stderr = stderr_of(&build(&context, &server.simple_url(), &["app"]));
    assert!(stderr.contains("give that direct reference as a requirement"), "{stderr}");
    let stderr = stderr_of(&build(&context, &server.simple_url(), &["old"]));
    assert!(stderr.contains("every version with a usable file is yanked (1.0)"), "{stderr}");
    let stderr = stderr_of(&build(&context, &format!("file://{}", context.dir), &["old"]));
    assert!(stderr.contains("pass it with `--find-links DIR`"), "{stderr}");
}

#[test]
fn ok_version_with_invalid_metadata_is_skipped() {
    let good = library("lib", "1.0");
    let broken = library("lib", "2.0").requires("dep (>=1.0 <<broken");
    let context = TestContext::new();
    let server = IndexServer::start(served(&[&good, &broken]));
    stdout_of(&build(&context, &server.simple_url(), &["lib"]));
    assert_eq!(version_in_pex(&context, "lib"), "1.0");
}

#[test]
fn ok_concurrent_builds_share_a_cold_cache() {
    let app = library("app", "1.0").requires("lib");
    let lib = library("lib", "1.0");
    let context = TestContext::new();
    let server = IndexServer::start(served(&[&app, &lib]));
    let children: Vec<_> = (0..4)
        .map(|index| {
            context
                .pex_rs()
                .args(["build", "app", "--index-url", &server.simple_url(), "-o", &format!("app{index}.pex")])
                .stderr(std::process::Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    for child in children {
        let output = child.wait_with_output().unwrap();
        assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    }
    let first = fs_err::read(context.dir.join("app0.pex")).unwrap();
    for index in 1..4 {
        assert_eq!(fs_err::read(context.dir.join(format!("app{index}.pex"))).unwrap(), first, "byte-identical");
    }
}

#[test]
fn ok_proxy_from_the_environment_and_no_proxy() {
    let lib = library("lib", "1.0");
    let server = IndexServer::start(served(&[&lib]));
    // Nothing listens on this port: a request that goes through the proxy fails.
    let dead = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap();
    let proxy = format!("http://{dead}");
    let context = TestContext::new();
    let build = |no_proxy: Option<&str>| {
        let mut command = context.pex_rs();
        command.args(["build", "lib", "--index-url", &server.simple_url(), "--retries", "0", "-o", "app.pex"]);
        command.env("HTTP_PROXY", &proxy).env("ALL_PROXY", &proxy).env_remove("NO_PROXY").env_remove("no_proxy");
        if let Some(hosts) = no_proxy {
            command.env("NO_PROXY", hosts);
        }
        command.output().unwrap()
    };
    let stderr = stderr_of(&build(None));
    assert!(stderr.contains("failed to fetch"), "the proxy was used: {stderr}");
    stdout_of(&build(Some("127.0.0.1")));
}

/// A lying index page: it lists another project's wheel under the project it is asked about, and
/// a `file:` URL that would read this machine's files. Neither is taken.
#[test]
fn ok_a_page_cannot_hand_out_other_projects_or_local_files() {
    let context = TestContext::new();
    let (app, other) = (library("app", "1.0"), library("other", "9.0"));
    let local = library("app", "2.0").build(&context.dir);
    let app_file = ServedFile::from_wheel(&app);
    let other_file = ServedFile::from_wheel(&other);
    let sha = |file: &ServedFile| format!("{:x}", <sha2::Sha256 as sha2::Digest>::digest(file.bytes()));
    let page = format!(
        "<html><body>\n<a href=\"../../files/{}#sha256={}\">app</a>\n<a href=\"../../files/{}#sha256={}\">other</a>\n\
         <a href=\"file://{local}\">app 2.0, on this machine</a>\n</body></html>\n",
        app.filename(),
        sha(&app_file),
        other.filename(),
        sha(&other_file),
    );
    let server = IndexServer::builder(vec![app_file, other_file]).page("app", &page).start();
    let output = build(&context, &server.simple_url(), &["app"]);
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    stdout_of(&output);
    assert!(stderr.contains("lists 1 files of other projects"), "{stderr}");
    assert_eq!(version_in_pex(&context, "app"), "1.0", "the file: link was not taken");
    let info = stdout_of(&context.pex_rs().args(["info", "app.pex"]).output().unwrap());
    assert!(!info.contains("other-9.0"), "{info}");
}
