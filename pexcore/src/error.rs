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
    #[error("the lock file `{lock}` was made for {environments}, not for `{target}` ({identity})")]
    LockTarget { lock: Utf8PathBuf, target: String, identity: String, environments: String },
    #[error("`{path}` is not a lock file name PEP 751 allows")]
    LockName { path: Utf8PathBuf },
    #[error("failed to fetch what building {project} requires")]
    BuildRequirements {
        project: String,
        #[source]
        source: Box<Error>,
    },
    #[error("the output `{path}` is a directory")]
    OutputIsDirectory { path: Utf8PathBuf },
    #[error("nothing to lock")]
    NothingToLock,
    #[error("the lock file `{lock}` {reason}")]
    LockInvalid { lock: Utf8PathBuf, reason: String },
    #[error("failed to write `{path}`")]
    Write {
        path: Utf8PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{origin}: `{path}` does not exist")]
    NoSuchSource { origin: String, path: Utf8PathBuf },
    #[error(
        "{origin}: `{path}` is neither a project directory (with `pyproject.toml` or `setup.py`), nor a source archive (`.tar.gz`, `.zip`), nor a wheel"
    )]
    NotASource { origin: String, path: String },
    #[error("`{requirement}` is a distribution of `{found}`, not of the project it names")]
    DirectNameMismatch { requirement: String, found: String },
    #[error("a config setting takes `KEY=VALUE`; got `{text}`")]
    ConfigSetting { text: String },
    #[error("{} is not valid: {reason}", binary_option(option))]
    FormatControl { option: crate::requirements_file::BinaryOption, reason: String },
    #[error("{origin}: `{text}` is not a wheel path or URL")]
    NotAWheel { origin: String, text: String },
    #[error("no package index is configured, and {checked}")]
    NoIndex { checked: String },
    #[error(transparent)]
    ResolveTarget(TargetError),
    #[error(transparent)]
    Resolve(#[from] crate::resolve::Error),
    #[error("hash checking is on (a `--hash` or `--require-hashes` was given), but {count} wheels have no `--hash`")]
    MissingHash { count: usize, lines: String },
    #[error(transparent)]
    Target(#[from] crate::target::Error),
    #[error("`{python}` is {version}; PEX files run on Python 3.8 or later")]
    InterpreterTooOld { python: String, version: String },
    #[error("no wheel of `{project}` runs on `{target}` (given: {wheels})")]
    NoWheelForTarget { project: String, target: String, wheels: String },
    #[error("`{python}` ({version}) does not satisfy the interpreter constraints {constraints}")]
    InterpreterNotAdmitted { python: String, version: String, constraints: String },
    #[error("no interpreter on PATH satisfies {constraints} (found: {tried})")]
    NoInterpreterAdmitted { constraints: String, tried: String },
    #[error("no CPython series from {range} satisfies {constraints}, so a universal lock would cover nothing")]
    NoSeriesAdmitted { constraints: String, range: String },
    #[error("failed to start the download threads: {0}")]
    ThreadPool(String),
    #[error("pex-rs's installer failed to set up the environment of `{pex}` with `{python}`: {stderr}")]
    BootInstall { pex: Utf8PathBuf, python: Utf8PathBuf, stderr: String },
    #[error("no PEX_ROOT")]
    NoPexRoot,
    #[error("nothing to build")]
    NothingToBuild,
    #[error("`{requirer}` requires `{requirement}`, which none of the given wheels provides")]
    MissingRequirement { requirer: String, requirement: String, project: String },
    #[error("`{requirer}` requires `{requirement}`, but the given wheel is version {found}")]
    UnsatisfiedRequirement { requirer: String, requirement: String, found: String },
    #[error("two versions of `{project}` were given: `{first}` and `{second}`")]
    ConflictingWheels { project: String, first: String, second: String },
    #[error("the entry point module `{module}` is not in the PEX: no `{expected}` among the sources (`-D`) and wheels")]
    EntryPointNotFound { module: String, expected: String },
    #[error("the entry point `{module}` is a package without a `__main__` module")]
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
    #[error("the source `{name}` would replace the PEX's own `{name}`")]
    ReservedName { name: String },
    #[error("cancelled")]
    Cancelled,
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

/// A coarse classification of [`Error`], stable across releases: every error has exactly one,
/// and a new kind is a breaking change (the CLI's exit code and the C ABI's `pex_result` are
/// derived from it, each with an exhaustive match).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
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
    /// The caller cancelled the operation (through its [`crate::Reporter`]).
    Cancelled,
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
            Self::ResolveTarget(error) => resolve_kind(&error.error),
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
            Self::Cancelled => ErrorKind::Cancelled,
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
        E::Cancelled => ErrorKind::Cancelled,
        E::Shared(inner) => index_kind(inner),
    }
}

/// The kind of a source build error; every variant is named, so a new one must be classified.
fn source_kind(error: &crate::sdist::Error) -> ErrorKind {
    use crate::sdist::Error as E;
    match error {
        E::Unpack { .. } | E::UnsafeMember { .. } | E::TooLarge { .. } | E::PkgInfo { .. } => ErrorKind::InvalidArchive,
        E::Write { .. } | E::Source { .. } | E::Cache(_) => ErrorKind::Io,
        E::Spawn { .. } => ErrorKind::Interpreter,
        E::NotAProject { .. }
        | E::PyProject { .. }
        | E::Hook { .. }
        | E::MissingTool { .. }
        | E::BadResult { .. }
        | E::BuiltWheel { .. }
        | E::Environment(_) => ErrorKind::InvalidInput,
        // What a build requires is fetched by the layer above, whose error keeps its own kind.
        E::Requirements { source, .. } => source.downcast_ref::<Error>().map_or(ErrorKind::InvalidInput, Error::kind),
        E::Shared(inner) => source_kind(inner),
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
        E::Cancelled => ErrorKind::Cancelled,
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

/// A setting of pex-rs that a [`Hint`] asks to change. Each front end names it its own way:
/// the CLI as a flag (`--cache-dir`), the C ABI as a setter (`pex_build_options_set_cache_dir`),
/// the Python binding as a keyword argument (`cache_dir=`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Setting {
    /// The build cache directory.
    CacheDirectory,
    /// The `PEX_ROOT` that PEX files install into.
    PexRoot,
    /// The Python interpreter to build for or run with.
    Python,
    /// The file the PEX (or lock) is written to.
    Output,
    /// The requirements to resolve, requirements files, wheels or source directories.
    Inputs,
    /// The package index URL.
    IndexUrl,
    /// Directories or pages of distributions to use besides (or instead of) an index.
    FindLinks,
    /// Working from the cache alone, without the network.
    Offline,
    /// A PEM bundle of certificate authorities to trust besides the system store.
    Certificate,
    /// Building distributions from source (turned off by `no_build`).
    NoBuild,
    /// Whether the PEX carries bytecode.
    Compile,
    /// A complete platform file instead of an abbreviated platform.
    CompletePlatform,
    /// The interpreter constraints of the PEX.
    InterpreterConstraints,
    /// The entry point of the PEX.
    EntryPoint,
}

impl Setting {
    /// A stable `snake_case` name, for front ends that have no better one.
    pub fn name(self) -> &'static str {
        match self {
            Self::CacheDirectory => "cache_dir",
            Self::PexRoot => "pex_root",
            Self::Python => "python",
            Self::Output => "output",
            Self::Inputs => "requirements",
            Self::IndexUrl => "index_url",
            Self::FindLinks => "find_links",
            Self::Offline => "offline",
            Self::Certificate => "cert",
            Self::NoBuild => "no_build",
            Self::Compile => "compile",
            Self::CompletePlatform => "complete_platform",
            Self::InterpreterConstraints => "interpreter_constraints",
            Self::EntryPoint => "entry_point",
        }
    }
}

/// How to fix an error: what to do, in words that name no front end's flag, and the
/// [`Setting`] it concerns if any. The CLI prints each as a `hint:` line with its flag.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Hint {
    /// What to do, as a sentence without a final period.
    pub text: String,
    /// The setting to change, if the fix is one.
    pub setting: Option<Setting>,
}

impl Hint {
    fn new(text: impl Into<String>, setting: Option<Setting>) -> Self {
        Self { text: text.into(), setting }
    }
}

impl Error {
    /// How to fix this error, best first; empty when the message says all there is.
    pub fn hints(&self) -> Vec<Hint> {
        use Setting as S;
        let one = |text: &str, setting: Option<Setting>| vec![Hint::new(text, setting)];
        match self {
            Self::Cache(error) => cache_hints(error),
            Self::Extract(crate::extract::Error::Install { .. }) => {
                one("check that the PEX_ROOT is writable, or choose another PEX_ROOT", Some(S::PexRoot))
            }
            Self::Extract(crate::extract::Error::CorruptMember { .. }) => {
                one("rebuild the PEX, or download it again", None)
            }
            Self::Wheel(crate::wheel::Error::Zip { .. } | crate::wheel::Error::Member { .. }) => {
                one("download the wheel again", None)
            }
            Self::Build(crate::build::Error::Output { .. }) => {
                one("check that the output's directory exists (or can be made) and is writable", Some(S::Output))
            }
            Self::Interpreter(error) => interpreter_hints(error),
            Self::Bytecode(crate::bytecode::Error::Compile { .. }) => {
                one("build without bytecode to skip compiling", Some(S::Compile))
            }
            Self::Index(error) => index_hints(error),
            Self::Resolve(error) => resolve_hints(error),
            Self::ResolveTarget(error) => resolve_hints(&error.error),
            Self::BuildRequirements { source, .. } => source.hints(),
            Self::Environment(_) => one("unset `SOURCE_DATE_EPOCH`, or make it a whole number of seconds", None),
            Self::Target(crate::target::Error::CompletePlatform { .. }) => one(
                "write one on the target machine with `pex-rs interpreter --complete-platform`",
                Some(S::CompletePlatform),
            ),
            Self::LockTarget { .. } => one("lock again with this target among the lock's targets", Some(S::Python)),
            Self::LockName { .. } => {
                one("name it `pylock.toml`, or `pylock.NAME.toml` with a NAME without dots", Some(S::Output))
            }
            Self::OutputIsDirectory { .. } => one("give the PEX a file name in that directory", Some(S::Output)),
            Self::NothingToLock => {
                one("give requirements, a requirements file, or a project directory (`.`)", Some(S::Inputs))
            }
            Self::NothingToBuild => {
                one("give requirements, a requirements file, wheel files or a source directory", Some(S::Inputs))
            }
            Self::NoSuchSource { .. } => {
                one("give the path of a project directory, a source archive or a wheel", Some(S::Inputs))
            }
            Self::NotAWheel { .. } => one("give a `.whl` file or a requirement", Some(S::Inputs)),
            Self::NoIndex { .. } => vec![
                Hint::new("give an index URL, or set `PEX_RS_INDEX_URL` or `PIP_INDEX_URL`", Some(S::IndexUrl)),
                Hint::new("or use no index, with directories of wheels", Some(S::FindLinks)),
            ],
            Self::MissingHash { lines, .. } => {
                vec![Hint::new(format!("add these lines to the requirements: {lines}"), None)]
            }
            Self::InterpreterTooOld { .. } => one("choose Python 3.8 or newer", Some(S::Python)),
            Self::NoWheelForTarget { .. } => one("add a wheel for that target, or drop the target", None),
            Self::InterpreterNotAdmitted { .. } => {
                one("choose another interpreter, or widen the interpreter constraints", Some(S::Python))
            }
            Self::NoInterpreterAdmitted { .. } => {
                one("install one, add its directory to PATH, or name an interpreter", Some(S::Python))
            }
            Self::NoSeriesAdmitted { .. } => one("widen the interpreter constraints", Some(S::InterpreterConstraints)),
            Self::NoPexRoot => one("set `PEX_ROOT` or `HOME`, or choose a PEX_ROOT", Some(S::PexRoot)),
            Self::MissingRequirement { project, .. } => {
                vec![Hint::new(format!("add a wheel of `{project}`, or let pex-rs resolve it"), Some(S::Inputs))]
            }
            Self::UnsatisfiedRequirement { .. } => one("give a wheel that satisfies it", Some(S::Inputs)),
            Self::ConflictingWheels { .. } => one("keep one of them", Some(S::Inputs)),
            Self::EntryPointPackage { .. } => one("name a module, or `module:function`", Some(S::EntryPoint)),
            Self::ReservedName { .. } => one("rename the source file", None),
            _ => Vec::new(),
        }
    }
}

fn cache_hints(error: &crate::cache::Error) -> Vec<Hint> {
    use crate::cache::Error as E;
    match error {
        E::NoDefault => vec![Hint::new(
            "set `PEX_RS_CACHE_DIR` or `HOME`, or choose a cache directory",
            Some(Setting::CacheDirectory),
        )],
        E::NonUtf8(_) | E::Create { .. } => {
            vec![Hint::new("choose another cache directory", Some(Setting::CacheDirectory))]
        }
        E::Remove { .. } => vec![Hint::new("check the permissions of the cache directory", None)],
        E::Busy { .. } => vec![Hint::new("try again when the build is done", None)],
        _ => Vec::new(),
    }
}

fn interpreter_hints(error: &crate::interpreter::Error) -> Vec<Hint> {
    use crate::interpreter::Error as E;
    match error {
        E::NotFound(_) => vec![Hint::new("install it, or name an interpreter by its path", Some(Setting::Python))],
        E::NoSuchFile(_) => vec![Hint::new("give the path of a Python interpreter", Some(Setting::Python))],
        _ => Vec::new(),
    }
}

fn index_hints(error: &crate::index::Error) -> Vec<Hint> {
    use crate::index::Error as E;
    match error {
        E::Tls { .. } => vec![Hint::new(
            "if a proxy re-signs TLS, add its certificate authority to the system store, or give a bundle of it",
            Some(Setting::Certificate),
        )],
        E::Offline { .. } => vec![Hint::new("fetch it once while online", Some(Setting::Offline))],
        E::Cert { .. } | E::CertEmpty { .. } => {
            vec![Hint::new("give a file of PEM certificates", Some(Setting::Certificate))]
        }
        E::TooLarge { .. } => vec![Hint::new("check the index URL", Some(Setting::IndexUrl))],
        E::GitMissing { .. } => vec![Hint::new("install git, or give a wheel or sdist", None)],
        E::Shared(inner) => index_hints(inner),
        _ => Vec::new(),
    }
}

fn resolve_hints(error: &crate::resolve::Error) -> Vec<Hint> {
    use crate::resolve::Error as E;
    match error {
        E::NoBuilder { .. } | E::ForeignBuild { .. } => vec![Hint::new(
            "build its wheel on a machine of that target, and give the directory of it",
            Some(Setting::FindLinks),
        )],
        E::NoBuild { .. } => {
            vec![Hint::new("give a wheel of it, or allow building from source", Some(Setting::NoBuild))]
        }
        E::BuildCycle { .. } => {
            vec![Hint::new("give a wheel of one of them, in a directory of wheels", Some(Setting::FindLinks))]
        }
        E::Index(inner) => index_hints(inner),
        E::Shared(inner) => resolve_hints(inner),
        _ => Vec::new(),
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
