//! `pexcore`: everything pex-rs knows about Python packaging and PEX files.
//!
//! The modules are layered: each one uses only the modules listed above it here (a unit test,
//! `layering`, keeps it that way). The command (`pexcli`) and the C ABI (`pexffi`) use only
//! what this file re-exports.
//!
//! | module | owns |
//! | --- | --- |
//! | `env` | every environment variable pex-rs reads |
//! | `fs` | atomic output files, the archive member name check, UTF-8 paths at the edge |
//! | `hash` | sha256 digests and hashing readers |
//! | `zip_limits` | the entry count of a zip archive from outside, read before it is parsed |
//! | `progress` | the `Reporter` that long operations report through |
//! | `requirement` | package names, PEP 440 versions, PEP 508 requirements and markers |
//! | `tags` | PEP 425 compatibility tags: what a target supports, best first, and wheel ranking |
//! | `dist` | wheel and sdist file names and core metadata (METADATA, PKG-INFO) |
//! | `requirements_file` | pip's requirements and constraints files, requirement arguments, `--no-binary` |
//! | `lockfile` | lock files: PEP 751 `pylock.toml` (read, write) and pex's JSON lock (read) |
//! | `pexinfo` | the PEX-INFO manifest, and reading it out of a PEX file |
//! | `cache` | the build cache: versioned buckets, written by rename; info, clear, prune |
//! | `wheel` | open a wheel, verify its RECORD, plan where each member is installed |
//! | `interpreter` | probe a Python for its marker environment and tag inputs (probe cached) |
//! | `target` | what a build resolves for: an interpreter, a platform, a complete platform |
//! | `index` | package indexes: the Simple API over HTTP, find-links, the page and METADATA caches |
//! | `sdist` | PEP 517 builds of source distributions and local projects (cached) |
//! | `resolve` | choose one version of each project for a target (`PubGrub`) |
//! | `bytecode` | compile the `.pyc` files a PEX carries, with each target interpreter (cached) |
//! | `build` | write the PEX file deterministically |
//! | `extract` | install a PEX into `PEX_ROOT` ahead of time, as its boot code would |
//! | `prune` | remove from `PEX_ROOT` what has not been used for a while |
//! | `error` | the crate-level error and its kinds |
//! | `ops` | the workflows the CLI and the C ABI share: resolve, lock, build, download, inspect, extract, verify, venv, prune |
//!
//! See `docs/format.md` for the file format these modules produce.

mod env;
mod fs;
mod hash;
mod zip_limits;
mod progress;
mod requirement;
mod tags;
mod dist;
mod requirements_file;
mod lockfile;
mod pexinfo;
mod cache;
mod wheel;
mod interpreter;
mod target;
mod index;
mod sdist;
mod resolve;
mod bytecode;
mod build;
mod extract;
mod prune;
mod error;
mod ops;

#[cfg(test)]
mod layering;

#[doc(hidden)]
pub mod fuzzing;

pub use build::{EntryPoint, Shebang};
pub use cache::{BucketUsage, Cache};
pub use dist::{CoreMetadata, WheelFilename};
pub use env::{pex_root, source_date_epoch};
pub use error::{Error, ErrorKind, Hint, Setting};
pub use extract::ExtractReport;
pub use fs::enclosed;
pub use hash::Sha256Digest;
pub use index::{IndexOrigin, NetworkOptions};
pub use interpreter::{ConstraintError, Interpreter, InterpreterConstraint};
pub use ops::{
    BuildOptions, BuildReport, InstallOptions, LockOptions, LockReport, PreparedRun, ResolveOptions, ResolvedWheel,
    VenvScope, WarmStart, build_pex, complete_platform, download_distributions, extract_pex, inspect_pex,
    lock_requirements, prepare_run, prune_pex_root, resolve_requirements, venv_pex, verify_pex,
};
pub use pexinfo::{InheritPath, PexInfo, TargetWheels};
pub use progress::{Reporter, Silent};
pub use prune::PruneReport;
pub use requirements_file::BinaryOption;

/// The version of pex-rs, recorded in every PEX it builds.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");
