//! Integration tests of pex-rs: every test builds its own fixture wheels, runs the `pex-rs`
//! command, and runs the PEX files it builds under real CPython interpreters.

/// Shared helpers: the test context, fixture wheels, the interpreters on this machine.
mod support;
/// Building: wheel layout in the PEX, sources, entry points, reproducibility, `info`.
mod build;
/// Refusing bad input: one clear error, a non-zero exit, no partial output.
mod bad_input;
/// Running: entry points, interpreter mode, environment, `sys.path`, under every Python.
mod run;
/// PEX_ROOT: concurrent first runs, crashes, read-only and unwritable roots.
mod pex_root;
