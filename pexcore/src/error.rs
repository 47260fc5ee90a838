//! The crate-level [`Error`]: one arm per module, plus the workflow errors of `ops`, and the
//! [`ErrorKind`] that the CLI exit code and the C ABI result code are both derived from.

use camino::Utf8PathBuf;

/// Every error `pexcore` returns.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    #[error(transparent)]
    Wheel(#[from] crate::wheel::Error),
    #[error(transparent)]
    PexInfo(#[from] crate::pexinfo::Error),
    #[error(transparent)]
    Build(#[from] crate::build::Error),
    #[error(transparent)]
    Interpreter(#[from] crate::interpreter::Error),
    #[error(transparent)]
    Bytecode(#[from] crate::bytecode::Error),
    #[error(transparent)]
    Cache(#[from] crate::cache::Error),
    #[error(transparent)]
    Environment(#[from] crate::env::Error),
    #[error(transparent)]
    Extract(#[from] crate::extract::Error),
    #[error(transparent)]
    Prune(#[from] crate::prune::Error),
    #[error(transparent)]
    Index(#[from] crate::index::Error),
    #[error(transparent)]
    RequirementsFile(#[from] crate::requirements_file::Error),
    #[error(transparent)]
    Source(Box<crate::sdist::Error>),
    #[error(transparent)]
    Filename(#[from] crate::dist::Error),
    #[error(transparent)]
    LockFile(#[from] crate::lockfile::Error),
    #[error(
        "the lock file `{lock}` was made for {environments}, not for `{target}` ({identity}); lock again with this target (`pex-rs lock --python ...` or `--platform ...`)"
    )]
    LockTarget { lock: Utf8PathBuf, target: String, identity: String, environments: String },
    #[error(
        "`{path}` is not a lock file name PEP 751 allows: name it `pylock.toml`, or `pylock.NAME.toml` with a NAME without dots"
    )]
    LockName { path: Utf8PathBuf },
    #[error("failed to fetch what building {project} requires")]
    BuildRequirements {
        project: String,
        #[source]
        source: Box<Error>,
    },
    #[error("`{path}` is a directory; give the PEX a file name in it (`-o {path}/app.pex`)")]
    OutputIsDirectory { path: Utf8PathBuf },
    #[error("nothing to lock: pass requirements, `-r FILE`, or a project directory (`.`)")]
    NothingToLock,
    #[error("the lock file `{lock}` {reason}")]
    LockInvalid { lock: Utf8PathBuf, reason: String },
    #[error("failed to write `{path}`")]
    Write {
        path: Utf8PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{origin}: `{path}` does not exist; give the path of a project directory, a source archive or a wheel")]
    NoSuchSource { origin: String, path: Utf8PathBuf },
    #[error(
        "{origin}: `{path}` is neither a project directory (with `pyproject.toml` or `setup.py`), nor a source archive (`.tar.gz`, `.zip`), nor a wheel"
    )]
    NotASource { origin: String, path: String },
    #[error("`{requirement}` is a distribution of `{found}`, not of the project it names")]
    DirectNameMismatch { requirement: String, found: String },
    #[error("`--config-settings` takes `KEY=VALUE`; got `{text}`")]
    ConfigSetting { text: String },
    #[error("{} is not valid: {reason}", binary_option(option))]
    FormatControl { option: crate::requirements_file::BinaryOption, reason: String },
    #[error("{origin}: `{text}` is not a wheel path or URL; give a `.whl` file or a requirement")]
    NotAWheel { origin: String, text: String },
    #[error(
        "no package index is configured, and {checked}: pass `--index-url URL`, set `PEX_RS_INDEX_URL` or `PIP_INDEX_URL`, or use `--no-index` with `--find-links`"
    )]
    NoIndex { checked: String },
    #[error(transparent)]
    ResolveTarget(TargetError),
    #[error(transparent)]
    Resolve(#[from] crate::resolve::Error),
    #[error(
        "hash checking is on (a `--hash` or `--require-hashes` was given), but {count} wheels have no `--hash`; add these lines to the requirements: {lines}"
    )]
    MissingHash { count: usize, lines: String },
    #[error(transparent)]
    Target(#[from] crate::target::Error),
    #[error("`{python}` is {version}; PEX files run on Python 3.8 or later, so pick a newer `--python`")]
    InterpreterTooOld { python: String, version: String },
    #[error("no wheel of `{project}` runs on `{target}` (given: {wheels}); add one for it, or drop that target")]
    NoWheelForTarget { project: String, target: String, wheels: String },
    #[error(
        "`{python}` ({version}) does not satisfy the interpreter constraints {constraints}; pick another `--python` or widen the constraints"
    )]
    InterpreterNotAdmitted { python: String, version: String, constraints: String },
    #[error(
        "no interpreter on PATH satisfies {constraints} (found: {tried}); install one, add its directory to PATH, or pass `--python`"
    )]
    NoInterpreterAdmitted { constraints: String, tried: String },
    #[error(
        "no CPython series from {range} satisfies {constraints}, so a universal lock would cover nothing; widen the constraints"
    )]
    NoSeriesAdmitted { constraints: String, range: String },
    #[error("failed to start the download threads: {0}")]
    ThreadPool(String),
    #[error("pex-rs's installer failed to set up the environment of `{pex}` with `{python}`: {stderr}")]
    BootInstall { pex: Utf8PathBuf, python: Utf8PathBuf, stderr: String },
    #[error("no PEX_ROOT: set `PEX_ROOT` or `HOME`, or pass `--pex-root`")]
    NoPexRoot,
    #[error("nothing to build: pass requirements, `-r FILE`, wheel files or `-D DIR`")]
    NothingToBuild,
    #[error(
        "`{requirer}` requires `{requirement}`, which none of the given wheels provides; add a wheel of `{project}`"
    )]
    MissingRequirement { requirer: String, requirement: String, project: String },
    #[error(
        "`{requirer}` requires `{requirement}`, but the given wheel is version {found}; give a wheel that satisfies it"
    )]
    UnsatisfiedRequirement { requirer: String, requirement: String, found: String },
    #[error("two versions of `{project}` were given: `{first}` and `{second}`; keep one")]
    ConflictingWheels { project: String, first: String, second: String },
    #[error("the entry point module `{module}` is not in the PEX: no `{expected}` among the sources (`-D`) and wheels")]
    EntryPointNotFound { module: String, expected: String },
    #[error("the entry point `{module}` is a package without a `__main__` module; name a module or `module:function`")]
    EntryPointPackage { module: String },
    #[error("no wheel provides the script `{script}`; the scripts available are: {available}")]
    ScriptNotFound { script: String, available: String },
    #[error("failed to read the source directory `{path}`")]
    SourceDirectory {
        path: Utf8PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("the source file `{path}` has a name that is not valid UTF-8 or is unsafe in an archive")]
    SourceName { path: String },
    #[error("`{name}` is given twice: by `{first}` and by `{second}`")]
    DuplicateFile { name: String, first: String, second: String },
    #[error("the source `{name}` would replace the PEX's own `{name}`; rename it")]
    ReservedName { name: String },
}

/// `--no-binary VALUE`, as the user wrote it.
fn binary_option(option: &crate::requirements_file::BinaryOption) -> String {
    match option {
        crate::requirements_file::BinaryOption::NoBinary(value) => format!("`--no-binary {value}`"),
        crate::requirements_file::BinaryOption::OnlyBinary(value) => format!("`--only-binary {value}`"),
    }
}

/// A resolution (or build) error of one target: it names the target only when the build has
/// several, and its causes are the resolution error's own (it shows that error's text).
#[derive(Debug)]
pub struct TargetError {
    pub(crate) target: String,
    pub(crate) error: Box<crate::resolve::Error>,
    pub(crate) several: bool,
}

impl std::fmt::Display for TargetError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.several { write!(f, "for `{}`: {}", self.target, self.error) } else { write!(f, "{}", self.error) }
    }
}

impl std::error::Error for TargetError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.error.source()
    }
}

impl From<crate::sdist::Error> for Error {
    fn from(error: crate::sdist::Error) -> Self {
        Self::Source(Box::new(error))
    }
}

/// A coarse classification of [`Error`], stable across releases.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ErrorKind {
    /// The user asked for something impossible or inconsistent (arguments, entry points,
    /// requirements that the given wheels do not satisfy).
    InvalidInput,
    /// A wheel or PEX is not what it claims to be (not a zip, missing files, unsafe names).
    InvalidArchive,
    /// A file's content does not match the digest that vouches for it.
    HashMismatch,
    /// A Python interpreter could not be found or probed.
    Interpreter,
    /// Reading or writing the file system failed.
    Io,
    /// A package index or file host could not be reached, refused, or answered something
    /// broken (a bad page, a body past its size).
    Network,
    /// The cache or the PEX_ROOT stayed busy (a build or a running PEX held its lock) for longer
    /// than the wait allowed.
    Lock,
    /// No set of distributions satisfies the requirements, or one that does cannot be built.
    Resolution,
}

impl Error {
    /// Returns the kind of this error.
    pub fn kind(&self) -> ErrorKind {
        use crate::wheel::Error as WheelError;
        match self {
            Self::Cache(crate::cache::Error::Busy { .. }) | Self::Prune(crate::prune::Error::Busy { .. }) => {
                ErrorKind::Lock
            }
            Self::Wheel(WheelError::Read { .. }) | Self::PexInfo(crate::pexinfo::Error::Read { .. }) => {
                if self.is_not_found() { ErrorKind::InvalidInput } else { ErrorKind::Io }
            }
            Self::Wheel(WheelError::RecordMismatch { .. }) => ErrorKind::HashMismatch,
            Self::Extract(
                crate::extract::Error::Zip { .. }
                | crate::extract::Error::UnsafeMember { .. }
                | crate::extract::Error::CorruptMember { .. }
                | crate::extract::Error::Identity { .. }
                | crate::extract::Error::Digest { .. },
            )
            | Self::Wheel(_)
            | Self::PexInfo(_) => ErrorKind::InvalidArchive,
            Self::Build(crate::build::Error::Output { .. } | crate::build::Error::Zip { .. })
            | Self::Extract(_)
            | Self::Prune(_)
            | Self::BootInstall { .. }
            | Self::Cache(_)
            | Self::SourceDirectory { .. }
            | Self::ThreadPool(_)
            | Self::Write { .. } => ErrorKind::Io,
            Self::Index(error) => index_kind(error),
            Self::Resolve(error) => resolve_kind(error),
            Self::BuildRequirements { source, .. } => source.kind(),
            Self::Interpreter(_) | Self::Bytecode(_) | Self::NoInterpreterAdmitted { .. } => ErrorKind::Interpreter,
            Self::Source(error) => source_kind(error),
            Self::NoWheelForTarget { .. } => ErrorKind::Resolution,
            // Named one by one (no catch-all), so that a new variant must be classified.
            Self::Build(_)
            | Self::Environment(_)
            | Self::RequirementsFile(_)
            | Self::Filename(_)
            | Self::LockFile(_)
            | Self::LockTarget { .. }
            | Self::LockName { .. }
            | Self::OutputIsDirectory { .. }
            | Self::NothingToLock
            | Self::LockInvalid { .. }
            | Self::NoSuchSource { .. }
            | Self::NotASource { .. }
            | Self::DirectNameMismatch { .. }
            | Self::ConfigSetting { .. }
            | Self::FormatControl { .. }
            | Self::NotAWheel { .. }
            | Self::NoIndex { .. }
            | Self::ResolveTarget(_)
            | Self::MissingHash { .. }
            | Self::Target(_)
            | Self::InterpreterTooOld { .. }
            | Self::InterpreterNotAdmitted { .. }
            | Self::NoSeriesAdmitted { .. }
            | Self::NoPexRoot
            | Self::NothingToBuild
            | Self::MissingRequirement { .. }
            | Self::UnsatisfiedRequirement { .. }
            | Self::ConflictingWheels { .. }
            | Self::EntryPointNotFound { .. }
            | Self::EntryPointPackage { .. }
            | Self::ScriptNotFound { .. }
            | Self::SourceName { .. }
            | Self::DuplicateFile { .. }
            | Self::ReservedName { .. } => ErrorKind::InvalidInput,
        }
    }
}

/// The kind of an index error; every variant is named, so a new one must be classified.
fn index_kind(error: &crate::index::Error) -> ErrorKind {
    use crate::index::Error as E;
    match error {
        E::Network { .. }
        | E::Status { .. }
        | E::Unauthorized { .. }
        | E::Tls { .. }
        | E::TooLarge { .. }
        | E::Parse { .. }
        | E::LargerThanSaid { .. }
        | E::Git { .. } => ErrorKind::Network,
        E::HashMismatch { .. } | E::SizeMismatch { .. } | E::MetadataDisagrees { .. } => ErrorKind::HashMismatch,
        E::BadUrl { .. } | E::Offline { .. } | E::CertEmpty { .. } | E::GitMissing { .. } => ErrorKind::InvalidInput,
        E::Metadata { .. } => ErrorKind::InvalidArchive,
        E::Cert { .. } | E::FindLinks { .. } | E::ReadFile { .. } | E::CacheWrite { .. } | E::Cache(_) => ErrorKind::Io,
        E::Shared(inner) => index_kind(inner),
    }
}

/// The kind of a source build error.
fn source_kind(error: &crate::sdist::Error) -> ErrorKind {
    match error {
        crate::sdist::Error::Unpack { .. }
        | crate::sdist::Error::UnsafeMember { .. }
        | crate::sdist::Error::TooLarge { .. }
        | crate::sdist::Error::PkgInfo { .. } => ErrorKind::InvalidArchive,
        crate::sdist::Error::Write { .. } | crate::sdist::Error::Source { .. } | crate::sdist::Error::Cache(_) => {
            ErrorKind::Io
        }
        crate::sdist::Error::Spawn { .. } => ErrorKind::Interpreter,
        _ => ErrorKind::InvalidInput,
    }
}

/// The kind of a resolution error; every variant is named, so a new one must be classified.
fn resolve_kind(error: &crate::resolve::Error) -> ErrorKind {
    use crate::resolve::Error as E;
    match error {
        E::NoSolution(_) | E::NoBuilder { .. } | E::ForeignBuild { .. } | E::NoBuild { .. } | E::BuildCycle { .. } => {
            ErrorKind::Resolution
        }
        E::Index(inner) => index_kind(inner),
        E::Build(inner) => source_kind(inner),
        E::UrlConstraint { .. } | E::UnpinnedSource { .. } => ErrorKind::InvalidInput,
        E::PkgInfoMismatch { .. } => ErrorKind::InvalidArchive,
        E::Shared(inner) => resolve_kind(inner),
    }
}

impl Error {
    /// Returns `true` if the error is a file that does not exist.
    pub fn is_not_found(&self) -> bool {
        let (Self::Wheel(crate::wheel::Error::Read { source, .. })
        | Self::PexInfo(crate::pexinfo::Error::Read { source, .. })
        | Self::SourceDirectory { source, .. }) = self
        else {
            return false;
        };
        source.kind() == std::io::ErrorKind::NotFound
    }
}

#[cfg(test)]
mod tests {
    use camino::Utf8PathBuf;

    use super::{Error, ErrorKind};

    #[test]
    fn ok_kinds_of_the_environment_and_of_resolution() {
        let network =
            crate::index::Error::Network { url: "https://index.invalid/".into(), reason: "refused".into(), tries: 1 };
        assert_eq!(Error::Index(network).kind(), ErrorKind::Network);
        let shared = crate::index::Error::Shared(std::sync::Arc::new(crate::index::Error::Status {
            url: "https://index.invalid/".into(),
            status: 503,
        }));
        assert_eq!(Error::Index(shared).kind(), ErrorKind::Network);
        let busy = crate::cache::Error::Busy { root: Utf8PathBuf::from("/cache"), waited: 60 };
        assert_eq!(Error::Cache(busy).kind(), ErrorKind::Lock);
        assert_eq!(Error::Resolve(crate::resolve::Error::NoSolution("x".into())).kind(), ErrorKind::Resolution);
        let offline = crate::index::Error::Offline { file: "x.whl".into() };
        assert_eq!(Error::Resolve(crate::resolve::Error::Index(Box::new(offline))).kind(), ErrorKind::InvalidInput);
    }
}
