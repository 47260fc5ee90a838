//! Integration tests of pex-rs: every test builds its own fixture wheels, runs the `pex-rs`
//! command, and runs the PEX files it builds under real `CPython` interpreters.

#![expect(clippy::format_push_string, reason = "fixture text is built line by line")]
#![expect(clippy::case_sensitive_file_extension_comparisons, reason = "pex-rs writes these names itself")]

/// Refusing bad input: one clear error, a non-zero exit, no partial output.
mod bad_input;
/// The bytecode a PEX carries: compiled per target interpreter, cached, used by a first start.
mod bytecode;
/// Building: wheel layout in the PEX, sources, entry points, reproducibility, `info`.
mod build;
/// pex-rs embedded: the C ABI's test program (plain, sanitizers, valgrind) and the Python
/// binding's pytest suite, installed from its wheel.
mod embedding;
/// The user guide: every recipe script runs, every documentation link resolves.
mod guide;
/// The hostile archive catalogue: every attack fed to every reader.
mod hostile;
/// A loopback package index: PEP 503/691 pages, metadata files, ranges, failures, a request log.
mod index_server;
/// Choosing the interpreter: the best wheel for each, constraints, the search and the re-exec.
mod interpreters;
/// The kill harness: builds, extracts, first starts and prunes killed at random points.
mod kill_harness;
/// Opt-in tests against the default package index (`PEX_RS_LIVE_TESTS=1`).
mod live;
/// A lying index: short, endless and inflating bodies, wrong sizes, redirects, pages of 100 MB,
/// PEP 658 metadata that disagrees with the wheel.
mod lying_index;
/// Lock files: `pex-rs lock`, builds from locks (ours, uv's, pip's, pex's), air-gapped builds,
/// and the make workflow (depfiles, untouched outputs).
mod locks;
/// `PEX_ROOT`: concurrent first runs, crashes, read-only and unwritable roots.
mod pex_root;
/// Fixture projects and sdists for source builds: a test PEP 517 backend, the real backends.
mod projects;
/// The Python files of the repository pass ruff.
mod python_code;
/// Resolution against a loopback index: pages, metadata, failures, the cache, offline builds.
mod resolve;
/// Running: entry points, interpreter mode, environment, `sys.path`, under every Python.
mod run;
/// Source builds: local projects, sdists, direct references and git, through PEP 517.
mod sources;
/// Shared helpers: the test context, fixture wheels, the interpreters on this machine.
mod support;
/// Targets: several interpreters, foreign platforms, complete platforms, constraints.
mod targets;
