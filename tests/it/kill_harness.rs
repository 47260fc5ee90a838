//! The kill harness: builds, extracts, first starts and prunes killed (SIGKILL, with every
//! process they started) at random points, each followed by the same command run to the end,
//! which must succeed, and by a check that no entry of the cache or the PEX_ROOT has content
//! that disagrees with its name. Seeded and reproducible: `PEX_RS_KILL_SEED` (default 1) and
//! `PEX_RS_KILL_ITERATIONS` (default 24; run more by hand).

use std::io::Write as _;
use std::os::unix::process::CommandExt as _;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use camino::Utf8Path;
use pexcore::fuzzing::Random;
use sha2::{Digest, Sha256};

use crate::index_server::{IndexServer, ServedFile};
use crate::support::{TestContext, WheelBuilder, assert_cache_consistent, clean_environment, python3, stdout_of};

/// The operations the harness kills.
#[derive(Clone, Copy, Debug)]
enum Operation {
    Build,
    Extract,
    FirstStart,
    Prune,
}

fn setting(name: &str, default: u64) -> u64 {
    std::env::var(name).ok().and_then(|value| value.parse().ok()).unwrap_or(default)
}

/// A wheel of `files` modules, so that installs and downloads take long enough to be cut.
fn library(name: &str, files: usize) -> WheelBuilder {
    let mut wheel = WheelBuilder::new(name, "1.0").file(&format!("{name}/__init__.py"), "ANSWER = 42\n");
    for index in 0..files {
        wheel = wheel.file(&format!("{name}/m{index}.py"), format!("VALUE = {index}\n").repeat(20));
    }
    wheel
}

struct Harness {
    context: TestContext,
    index: String,
}

impl Harness {
    fn command(&self, operation: Operation) -> Command {
        let pex = self.context.dir.join("app.pex");
        let mut command = match operation {
            Operation::Build => {
                let mut command = self.context.pex_rs();
                command.args(["build", "app", "--index-url", &self.index, "-o", "app.pex"]);
                command
            }
            Operation::Extract => {
                let mut command = self.context.pex_rs();
                command.args(["extract", pex.as_str()]);
                command
            }
            Operation::FirstStart => {
                let mut command = Command::new(&python3().path);
                command.arg(&pex).args(["-c", "import app, lib; print(app.ANSWER + lib.ANSWER)"]);
                clean_environment(&mut command);
                command
            }
            Operation::Prune => {
                let mut command = self.context.pex_rs();
                command.args(["cache", "prune", "--older-than", "0", "--no-wait"]);
                command.args([
                    "--cache-dir",
                    self.context.cache_dir.as_str(),
                    "--pex-root",
                    self.context.pex_root.as_str(),
                ]);
                command
            }
        };
        command.env("PEX_ROOT", &self.context.pex_root).current_dir(&self.context.dir);
        command
    }

    /// Runs `operation` to the end; it must succeed.
    fn complete(&self, operation: Operation, what: &str) {
        let output = self.command(operation).output().unwrap();
        assert!(
            output.status.success(),
            "{what}: the {operation:?} after it failed:\n{}",
            String::from_utf8_lossy(&output.stderr)
        );
        if let Operation::FirstStart = operation {
            assert_eq!(stdout_of(&output), "84\n", "{what}");
        }
    }

    /// Starts `operation` in its own process group and kills the group after `delay`.
    fn kill_after(&self, operation: Operation, delay: Duration) {
        let mut command = self.command(operation);
        command.stdout(Stdio::null()).stderr(Stdio::null()).process_group(0);
        let mut child = command.spawn().unwrap();
        std::thread::sleep(delay);
        // The group: the python processes a first start or an extract forks die with it, as
        // they would when the machine loses power.
        let _ = Command::new("kill").args(["-KILL", "--", &format!("-{}", child.id())]).status();
        let _ = child.wait();
    }
}

/// Each install in the PEX_ROOT is named by the sha256 of its RECORD, and holds the files that
/// RECORD lists, with their digests; returns how many installs it checked.
fn assert_pex_root_consistent(pex_root: &Utf8Path, what: &str) -> usize {
    let mut checked = 0;
    let Ok(digests) = fs_err::read_dir(pex_root.join("installed_wheels/v1")) else { return checked };
    for digest in digests {
        let digest = digest.unwrap();
        let name = digest.file_name().to_string_lossy().into_owned();
        if name.starts_with('.') || !digest.file_type().unwrap().is_dir() {
            continue; // lock files and unfinished installs
        }
        for install in fs_err::read_dir(digest.path()).unwrap() {
            let install = camino::Utf8PathBuf::try_from(install.unwrap().path()).unwrap();
            let record = fs_err::read_dir(&install)
                .unwrap()
                .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
                .find(|entry| entry.ends_with(".dist-info"))
                .map_or_else(
                    || panic!("{what}: {install} has no dist-info"),
                    |dist_info| install.join(dist_info).join("RECORD"),
                );
            let text = fs_err::read_to_string(&record).unwrap();
            assert_eq!(format!("{:x}", Sha256::digest(text.as_bytes())), name, "{what}: {record} is not what names it");
            for line in text.lines() {
                let mut fields = line.split(',');
                let (Some(path), Some(hash)) = (fields.next(), fields.next()) else { continue };
                let Some(encoded) = hash.strip_prefix("sha256=") else { continue };
                let bytes = fs_err::read(install.join(path)).unwrap_or_else(|_| panic!("{what}: {path} is missing"));
                let actual = crate::support::standard_base64(&Sha256::digest(&bytes));
                let actual = actual.trim_end_matches('=').replace('+', "-").replace('/', "_");
                assert_eq!(actual, encoded, "{what}: {install}/{path} disagrees with its RECORD");
            }
            checked += 1;
        }
    }
    checked
}

#[test]
fn killed_builds_extracts_starts_and_prunes_leave_nothing_wrong() {
    let seed = setting("PEX_RS_KILL_SEED", 1);
    let iterations = setting("PEX_RS_KILL_ITERATIONS", 24);
    let app = library("app", 50).requires("lib");
    let lib = library("lib", 300);
    let server = IndexServer::start(vec![ServedFile::from_wheel(&app), ServedFile::from_wheel(&lib)]);
    let harness = Harness { context: TestContext::new(), index: server.simple_url() };
    // How long each operation takes uncut, cold, bounds where it is cut.
    let mut durations = Vec::new();
    for operation in [Operation::Build, Operation::Extract, Operation::Prune, Operation::FirstStart] {
        let started = Instant::now();
        harness.complete(operation, "the first, uncut run");
        durations.push((operation, started.elapsed()));
    }
    let mut random = Random(seed);
    let mut installs_checked = 0;
    for iteration in 0..iterations {
        let (operation, duration) = durations[random.below(durations.len())];
        let millis = u64::try_from(duration.as_millis()).unwrap().max(1);
        let delay = Duration::from_millis(random.next_u64() % millis);
        let what = format!("seed {seed}, iteration {iteration}: {operation:?} killed after {delay:?}");
        if !harness.context.dir.join("app.pex").exists() {
            harness.complete(Operation::Build, &what);
        }
        harness.kill_after(operation, delay);
        assert_cache_consistent(&harness.context.cache_dir);
        installs_checked += assert_pex_root_consistent(&harness.context.pex_root, &what);
        harness.complete(operation, &what);
        if !matches!(operation, Operation::FirstStart | Operation::Prune) {
            harness.complete(Operation::FirstStart, &what);
        }
        assert_cache_consistent(&harness.context.cache_dir);
        installs_checked += assert_pex_root_consistent(&harness.context.pex_root, &what);
    }
    assert!(installs_checked > 0, "the checks saw no install");
    let _ = writeln!(
        std::io::stderr(),
        "note: {iterations} kills (seed {seed}), {installs_checked} installs checked, none disagreed with its name"
    );
}
