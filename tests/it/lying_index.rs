//! A lying index: every way a package index or a file host can lie or break, on the loopback
//! index. Each gives a clear error or the right result, in bounded memory, and never a cache
//! entry whose content disagrees with its name.

use std::io::Write as _;
use std::process::Command;

use crate::index_server::{IndexServer, Misbehaviour, ServedFile};
use crate::support::{TestContext, WheelBuilder, assert_cache_consistent, deflate_run, measured, stdout_of};

/// The most memory any of these builds may take, in KiB.
const MEMORY_LIMIT_KIB: u64 = 200 * 1024;

const WHEEL: &str = "lib-1.0-py3-none-any.whl";

fn lib() -> ServedFile {
    ServedFile::from_wheel(&WheelBuilder::new("lib", "1.0").file("lib.py", "ANSWER = 42\n"))
}

/// `pex-rs build lib` against `index`, with no retries (a lie does not improve with them).
fn build_command(context: &TestContext, index: &str) -> Command {
    let mut command = context.pex_rs();
    command.args(["build", "lib", "--index-url", index, "--retries", "0", "-o", "app.pex"]);
    command
}

/// Runs the build, which must fail with one error naming `expected`, within the memory limit,
/// leaving no PEX and a consistent cache.
fn refused(context: &TestContext, index: &str, expected: &str) {
    let outcome = measured(&build_command(context, index));
    assert!(!outcome.success, "the build succeeded");
    assert!(outcome.stderr.starts_with("error: "), "{}", outcome.stderr);
    assert!(outcome.stderr.contains(expected), "expected {expected:?} in:\n{}", outcome.stderr);
    assert!(outcome.peak_kib < MEMORY_LIMIT_KIB, "the build took {} KiB", outcome.peak_kib);
    let first = outcome.stderr.lines().next().unwrap_or_default();
    let _ = writeln!(std::io::stderr(), "note: refused in {} KiB: {first}", outcome.peak_kib);
    assert!(!context.dir.join("app.pex").exists());
    assert_cache_consistent(&context.cache_dir);
}

#[test]
fn a_body_that_stops_early() {
    let context = TestContext::new();
    let server =
        IndexServer::builder(vec![lib()]).misbehave(&format!("/files/{WHEEL}"), Misbehaviour::StopsEarly).start();
    refused(&context, &server.simple_url(), WHEEL);
}

#[test]
fn an_endless_body() {
    let context = TestContext::new();
    let server = IndexServer::builder(vec![lib()]).misbehave(&format!("/files/{WHEEL}"), Misbehaviour::Endless).start();
    refused(&context, &server.simple_url(), "bytes the index gives as its size");
}

#[test]
fn a_gzip_bomb_as_content_encoding() {
    // 1 GiB of zeros in about 6 MB, sent as the wheel with `Content-Encoding: gzip`.
    let mut bomb = vec![0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 255];
    bomb.extend(deflate_run(&[0], (1 << 30) - 1, &[]));
    bomb.extend_from_slice(&[0; 8]);
    let context = TestContext::new();
    let server =
        IndexServer::builder(vec![lib()]).misbehave(&format!("/files/{WHEEL}"), Misbehaviour::Gzip(bomb)).start();
    refused(&context, &server.simple_url(), "bytes the index gives as its size");
}

#[test]
fn a_size_smaller_than_the_file() {
    // The JSON page says 100 bytes; the wheel is larger: the download stops at 100.
    let context = TestContext::new();
    let page = format!(
        r#"{{"meta": {{"api-version": "1.1"}}, "name": "lib", "files": [{{"filename": "{WHEEL}", "url": "../../files/{WHEEL}", "hashes": {{}}, "size": 100}}]}}"#
    );
    let server =
        IndexServer::builder(vec![lib()]).misbehave("/simple/lib/", Misbehaviour::Json(page.into_bytes())).start();
    refused(&context, &server.simple_url(), "went on past the 100 bytes the index gives as its size");
}

#[test]
fn an_html_error_page_where_the_wheel_should_be() {
    let context = TestContext::new();
    let server =
        IndexServer::builder(vec![lib()]).misbehave(&format!("/files/{WHEEL}"), Misbehaviour::HtmlPage).start();
    // The page's digest or size catches it, whichever comes first.
    let outcome = measured(&build_command(&context, &server.simple_url()));
    assert!(!outcome.success);
    assert!(
        outcome.stderr.contains("has sha256") || outcome.stderr.contains("gives as its size"),
        "{}",
        outcome.stderr
    );
    assert_cache_consistent(&context.cache_dir);
}

#[test]
fn a_json_page_of_100_mb() {
    let mut page = br#"{"meta": {"api-version": "1.1"}, "name": "lib", "files": [], "padding": ""#.to_vec();
    page.resize(page.len() + (100 << 20), b'a');
    page.extend_from_slice(b"\"}");
    let context = TestContext::new();
    let server = IndexServer::builder(vec![lib()]).misbehave("/simple/lib/", Misbehaviour::Json(page)).start();
    refused(&context, &server.simple_url(), "lib");
}

#[test]
fn a_redirect_loop() {
    let context = TestContext::new();
    let path = format!("/files/{WHEEL}");
    let server = IndexServer::builder(vec![lib()]).misbehave(&path, Misbehaviour::Redirect(path.clone())).start();
    refused(&context, &server.simple_url(), WHEEL);
}

#[test]
fn a_redirect_to_another_host_gets_no_credentials() {
    // The index wants credentials; its file redirects to a host of another name, which must
    // not receive them (the build still gets the right wheel from it).
    let mirror = IndexServer::start(vec![lib()]);
    let mirrored = format!("{}/files/{WHEEL}", mirror.url().replace("127.0.0.1", "localhost"));
    let server = IndexServer::builder(vec![lib()])
        .basic_auth("user", "secret")
        .misbehave(&format!("/files/{WHEEL}"), Misbehaviour::Redirect(mirrored))
        .start();
    let context = TestContext::new();
    let index = server.simple_url().replace("http://", "http://user:secret@");
    let output = build_command(&context, &index).output().unwrap();
    stdout_of(&output);
    let fetched: Vec<_> = mirror.requests().into_iter().filter(|request| request.path.ends_with(WHEEL)).collect();
    assert!(!fetched.is_empty(), "the redirect was followed");
    assert!(fetched.iter().all(|request| request.authorization.is_none()), "credentials went to another host");
    assert_cache_consistent(&context.cache_dir);
}

#[test]
fn pep_658_metadata_that_disagrees_with_the_wheel() {
    // The index's METADATA drops the wheel's dependency: the PEX would lack `dep`.
    let wheel = WheelBuilder::new("lib", "1.0").file("lib.py", "import dep\n").requires("dep");
    let dep = WheelBuilder::new("dep", "1.0").file("dep.py", "");
    let lying = ServedFile::from_wheel(&wheel).metadata_file("Metadata-Version: 2.1\nName: lib\nVersion: 1.0\n");
    let server = IndexServer::start(vec![lying, ServedFile::from_wheel(&dep)]);
    let context = TestContext::new();
    refused(&context, &server.simple_url(), "disagrees with the wheel's own METADATA");
}
