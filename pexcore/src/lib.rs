//! `pexcore`: everything pex-rs knows about Python packaging and PEX files.
//!
//! A PEX file is a zip with a boot script, a manifest (PEX-INFO) and every dependency wheel,
//! executable by any compatible `python`. This crate resolves requirements against package
//! indexes, builds wheels from source, writes PEX files byte for byte reproducibly, and installs
//! them into a `PEX_ROOT` the way their first start would. It is synchronous and prints nothing:
//! each workflow takes an options value and returns a typed report or an [`Error`] whose
//! [`kind`](Error::kind) and [`hints`](Error::hints) are data.
//!
//! # A guide in one example
//!
//! Build a PEX of a module, read its manifest back, and install it ahead of time:
//!
//! ```
//! use camino::Utf8PathBuf;
//! use pexcore::{BuildOptions, EntryPoint, InstallOptions};
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let temporary = tempfile::tempdir()?;
//! let directory = Utf8PathBuf::try_from(temporary.path().to_path_buf())?;
//! std::fs::create_dir(directory.join("src"))?;
//! std::fs::write(directory.join("src/hello.py"), "print('hello from a PEX')\n")?;
//!
//! // The application's own code; `with_resolve` adds requirements from an index.
//! let options = BuildOptions::default()
//!     .with_source_directories(vec![directory.join("src")])
//!     .with_entry_point(Some(EntryPoint::parse_module("hello")?));
//! let pex = directory.join("hello.pex");
//! let report = pexcore::build_pex(&options, &pex)?;
//! assert_eq!(report.inputs, vec![directory.join("src/hello.py")]);
//!
//! // Any PEX's manifest, pex-rs's or pex's.
//! let info = pexcore::inspect_pex(&pex)?;
//! assert_eq!(info.entry_point.as_deref(), Some("hello"));
//!
//! // Install it into a PEX_ROOT, as its first start would, so that it starts warm.
//! let install = InstallOptions::new(directory.join("pex_root"))
//!     .with_python("python3".to_owned(), std::env::var_os("PATH"));
//! let extracted = pexcore::extract_pex(&pex, &install)?;
//! assert!(!extracted.entries.is_empty());
//! # Ok(())
//! # }
//! ```
//!
//! Building from requirements, the steps a caller can stop between (resolve, lock, download,
//! build), errors and hints, progress and cancellation, and what is public and why: see
//! `docs/library.md` in the repository, whose examples the tests also run. `pexcore/examples/`
//! has two programs: `cargo run -p pexcore --example build -- OUTPUT REQUIREMENT...` and
//! `cargo run -p pexcore --example inspect -- FILE.pex`.
//!
//! # Modules
//!
//! The modules are layered: each one uses only the modules listed above it here (a unit test,
//! `layering`, keeps it that way). The command (`pexcli`) and the C ABI (`pexffi`) use only
//! what this file re-exports.
//!
//! | module | owns |
//! | --- | --- |
//! | `env` | every environment variable pex-rs reads |
//! | `fs` | atomic output files, the archive member name check, UTF-8 paths at the edge |
//! | `pex_root` | the layout of a `PEX_ROOT`: every path in it, which the boot code spells alike |
//! | `hash` | sha256 digests and hashing readers |
//! | `boot` | the runtime a PEX carries (its Python boot modules), its loaders, its digest |
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
//! | `extract` | what the tools check before pex-rs's boot code installs a PEX, and where its entries go |
//! | `prune` | remove from `PEX_ROOT` what has not been used for a while |
//! | `error` | the crate-level error and its kinds |
//! | `ops` | the workflows the CLI and the C ABI share: resolve, lock, build, download, inspect, extract, verify, venv, prune |
//!
//! See `docs/format.md` for the file format these modules produce.

#![warn(missing_docs)]

mod env;
mod fs;
mod pex_root;
mod hash;
mod boot;
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

/// The examples of `docs/library.md`, run as doctests (only there: the file is outside the
/// published crate).
#[cfg(doctest)]
#[doc = include_str!("../../docs/library.md")]
struct LibraryGuide;

#[doc(hidden)]
pub mod fuzzing;

pub use build::{EntryPoint, Shebang};
pub use cache::{BucketUsage, Cache};
pub use dist::{CoreMetadata, WheelFilename};
pub use env::{Environment, pex_root, source_date_epoch};
pub use error::{Error, ErrorKind, Hint, Setting};
pub use extract::ExtractReport;
pub use fs::enclosed;
pub use hash::Sha256Digest;
pub use index::{IndexOrigin, NetworkOptions};
pub use interpreter::{ConstraintError, Interpreter, InterpreterConstraint};
pub use ops::{
    BuildOptions, BuildReport, InstallOptions, LockOptions, LockReport, PreparedRun, Resolution, ResolveOptions,
    ResolvedWheel, VenvScope, WarmStart, build_pex, complete_platform, download_distributions, extract_pex,
    inspect_pex, lock_requirements, prepare_run, prune_pex_root, resolve_lock, resolve_requirements, venv_pex,
    verify_pex,
};
pub use pexinfo::{InheritPath, PexInfo, TargetWheels};
pub use progress::{Reporter, Silent};
pub use prune::PruneReport;
pub use requirements_file::BinaryOption;

/// The version of pex-rs, recorded in every PEX it builds.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");
