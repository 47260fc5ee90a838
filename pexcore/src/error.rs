//! The crate-level [`Error`]: one arm per module, plus the workflow errors of `ops`, and the
//! [`ErrorKind`] that the CLI exit code and the C ABI result code are both derived from.

use camino::Utf8PathBuf;

/// Every error `pexcore` returns.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A wheel could not be read, or is not what it claims to be.
    #[error(transparent)]
    Wheel(#[from] crate::wheel::Error),
    /// A PEX's manifest could not be read or is invalid.
    #[error(transparent)]
    PexInfo(#[from] crate::pexinfo::Error),
    /// Writing the PEX failed, or its entry point or shebang is invalid.
    #[error(transparent)]
    Build(#[from] crate::build::Error),
    /// A Python interpreter could not be found, run or probed.
    #[error(transparent)]
    Interpreter(#[from] crate::interpreter::Error),
    /// Compiling bytecode with a target interpreter failed.
    #[error(transparent)]
    Bytecode(#[from] crate::bytecode::Error),
    /// The build cache could not be used.
    #[error(transparent)]
    Cache(#[from] crate::cache::Error),
    /// An environment variable pex-rs reads has an invalid value.
    #[error(transparent)]
    Environment(#[from] crate::env::Error),
    /// Installing a PEX into a PEX_ROOT failed, or the PEX is not what it says.
    #[error(transparent)]
    Extract(#[from] crate::extract::Error),
    /// Pruning a PEX_ROOT failed.
    #[error(transparent)]
    Prune(#[from] crate::prune::Error),
    /// A package index, find-links location or file host failed.
    #[error(transparent)]
    Index(#[from] crate::index::Error),
    /// A requirements or constraints file could not be read or parsed.
    #[error(transparent)]
    RequirementsFile(#[from] crate::requirements_file::Error),
    /// Building a wheel from a source distribution or local project failed.
    #[error(transparent)]
    Source(Box<crate::sdist::Error>),
    /// A wheel or sdist file name, or core metadata, is invalid.
    #[error(transparent)]
    Filename(#[from] crate::dist::Error),
    /// A lock file could not be read, parsed or written.
    #[error(transparent)]
    LockFile(#[from] crate::lockfile::Error),
    /// A lock file does not cover a target of the build.
    #[error("the lock file `{lock}` was made for {environments}, not for `{target}` ({identity})")]
    LockTarget {
        /// The lock file.
        lock: Utf8PathBuf,
        /// The target, as messages name it.
        target: String,
        /// The target's marker environment, summarized.
        identity: String,
        /// The environments the lock covers.
        environments: String,
    },
    /// A lock file name that PEP 751 does not allow.
    #[error("`{path}` is not a lock file name PEP 751 allows")]
    LockName {
        /// The path.
        path: Utf8PathBuf,
    },
    /// Fetching what a source build requires failed.
    #[error("failed to fetch what building {project} requires")]
    BuildRequirements {
        /// The project.
        project: String,
        #[source]
        /// The cause.
        source: Box<Error>,
    },
    /// The output path is a directory.
    #[error("the output `{path}` is a directory")]
    OutputIsDirectory {
        /// The path.
        path: Utf8PathBuf,
    },
    /// A lock was asked for without requirements.
    #[error("nothing to lock")]
    NothingToLock,
    /// A lock file is inconsistent, or cannot give what was asked of it.
    #[error("the lock file `{lock}` {reason}")]
    LockInvalid {
        /// The lock file.
        lock: Utf8PathBuf,
        /// Why.
        reason: String,
    },
    /// Writing a file failed.
    #[error("failed to write `{path}`")]
    Write {
        /// The path.
        path: Utf8PathBuf,
        #[source]
        /// The cause.
        source: std::io::Error,
    },
    /// A local path given as a requirement does not exist.
    #[error("{origin}: `{path}` does not exist")]
    NoSuchSource {
        /// Where it was given.
        origin: String,
        /// The path.
        path: Utf8PathBuf,
    },
    /// A local path given as a requirement is no project, archive or wheel.
    #[error(
        "{origin}: `{path}` is neither a project directory (with `pyproject.toml` or `setup.py`), nor a source archive (`.tar.gz`, `.zip`), nor a wheel"
    )]
    NotASource {
        /// Where it was given.
        origin: String,
        /// The path.
        path: String,
    },
    /// A direct reference holds a different project than its requirement names.
    #[error("`{requirement}` is a distribution of `{found}`, not of the project it names")]
    DirectNameMismatch {
        /// The requirement.
        requirement: String,
        /// What was found instead.
        found: String,
    },
    /// A build backend config setting is not `KEY=VALUE`.
    #[error("a config setting takes `KEY=VALUE`; got `{text}`")]
    ConfigSetting {
        /// The text given.
        text: String,
    },
    /// A `no-binary` or `only-binary` value is invalid.
    #[error("{} is not valid: {reason}", binary_option(option))]
    FormatControl {
        /// The option as given.
        option: crate::requirements_file::BinaryOption,
        /// Why.
        reason: String,
    },
    /// A wheel argument is neither a wheel path nor a URL.
    #[error("{origin}: `{text}` is not a wheel path or URL")]
    NotAWheel {
        /// Where it was given.
        origin: String,
        /// The text given.
        text: String,
    },
    /// No package index is configured, and one is needed.
    #[error("no package index is configured, and {checked}")]
    NoIndex {
        /// Where an index was looked for.
        checked: String,
    },
    /// Resolution failed for one target of the build.
    #[error(transparent)]
    ResolveTarget(TargetError),
    /// Resolution failed.
    #[error(transparent)]
    Resolve(#[from] crate::resolve::Error),
    /// Hash-checking mode is on, and some wheels are not pinned by a hash.
    #[error("hash checking is on (a `--hash` or `--require-hashes` was given), but {count} wheels have no `--hash`")]
    MissingHash {
        /// How many.
        count: usize,
        /// The requirement lines, with hashes, to add.
        lines: String,
    },
    /// A platform or complete platform is invalid.
    #[error(transparent)]
    Target(#[from] crate::target::Error),
    /// An interpreter is older than the oldest Python a PEX runs on.
    #[error("`{python}` is {version}; PEX files run on Python 3.8 or later")]
    InterpreterTooOld {
        /// The interpreter.
        python: String,
        /// Its version.
        version: String,
    },
    /// None of the given wheels of a project runs on a target.
    #[error("no wheel of `{project}` runs on `{target}` (given: {wheels})")]
    NoWheelForTarget {
        /// The project.
        project: String,
        /// The target, as messages name it.
        target: String,
        /// The wheels given.
        wheels: String,
    },
    /// An interpreter does not satisfy the interpreter constraints.
    #[error("`{python}` ({version}) does not satisfy the interpreter constraints {constraints}")]
    InterpreterNotAdmitted {
        /// The interpreter.
        python: String,
        /// Its version.
        version: String,
        /// The interpreter constraints.
        constraints: String,
    },
    /// No interpreter on PATH satisfies the interpreter constraints.
    #[error("no interpreter on PATH satisfies {constraints} (found: {tried})")]
    NoInterpreterAdmitted {
        /// The interpreter constraints.
        constraints: String,
        /// The interpreters found.
        tried: String,
    },
    /// The interpreter constraints admit no CPython series of a universal lock.
    #[error("no CPython series from {range} satisfies {constraints}, so a universal lock would cover nothing")]
    NoSeriesAdmitted {
        /// The interpreter constraints.
        constraints: String,
        /// The series considered.
        range: String,
    },
    /// The download threads could not be started.
    #[error("failed to start the download threads: {0}")]
    ThreadPool(String),
    /// pex-rs's boot code failed to install a PEX.
    #[error("pex-rs's installer failed to set up the environment of `{pex}` with `{python}`: {stderr}")]
    BootInstall {
        /// The PEX file.
        pex: Utf8PathBuf,
        /// The interpreter.
        python: Utf8PathBuf,
        /// The last line the installer printed.
        stderr: String,
    },
    /// No PEX_ROOT is set and none can be derived.
    #[error("no PEX_ROOT")]
    NoPexRoot,
    /// A build was asked for without inputs.
    #[error("nothing to build")]
    NothingToBuild,
    /// A given wheel requires a project that none of the given wheels provides.
    #[error("`{requirer}` requires `{requirement}`, which none of the given wheels provides")]
    MissingRequirement {
        /// The wheel that requires it.
        requirer: String,
        /// The requirement.
        requirement: String,
        /// The project.
        project: String,
    },
    /// A given wheel requires a version that the given wheel of the project is not.
    #[error("`{requirer}` requires `{requirement}`, but the given wheel is version {found}")]
    UnsatisfiedRequirement {
        /// The wheel that requires it.
        requirer: String,
        /// The requirement.
        requirement: String,
        /// What was found instead.
        found: String,
    },
    /// Two versions of one project were given.
    #[error("two versions of `{project}` were given: `{first}` and `{second}`")]
    ConflictingWheels {
        /// The project.
        project: String,
        /// The first one.
        first: String,
        /// The second one.
        second: String,
    },
    /// The entry point's module is not in the PEX.
    #[error("the entry point module `{module}` is not in the PEX: no `{expected}` among the sources (`-D`) and wheels")]
    EntryPointNotFound {
        /// The module.
        module: String,
        /// The files looked for.
        expected: String,
    },
    /// The entry point is a package that cannot run as `python -m`.
    #[error("the entry point `{module}` is a package without a `__main__` module")]
    EntryPointPackage {
        /// The module.
        module: String,
    },
    /// No wheel provides the entry point's script.
    #[error("no wheel provides the script `{script}`; the scripts available are: {available}")]
    ScriptNotFound {
        /// The script.
        script: String,
        /// The scripts the wheels provide.
        available: String,
    },
    /// A source directory could not be read.
    #[error("failed to read the source directory `{path}`")]
    SourceDirectory {
        /// The path.
        path: Utf8PathBuf,
        #[source]
        /// The cause.
        source: std::io::Error,
    },
    /// A source file's name cannot be stored in a PEX.
    #[error("the source file `{path}` has a name that is not valid UTF-8 or is unsafe in an archive")]
    SourceName {
        /// The path.
        path: String,
    },
    /// Two sources give the same file.
    #[error("`{name}` is given twice: by `{first}` and by `{second}`")]
    DuplicateFile {
        /// The name in the PEX.
        name: String,
        /// The first one.
        first: String,
        /// The second one.
        second: String,
    },
    /// A source file would replace a file of the PEX itself.
    #[error("the source `{name}` would replace the PEX's own `{name}`")]
    ReservedName {
        /// The name in the PEX.
        name: String,
    },
    /// The caller cancelled the operation through its reporter.
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
    /// A PEM bundle of certificate authorities to trust instead of the system store.
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
    /// A stable `snake_case` name: the keyword argument of the Python binding that changes it,
    /// and in the C ABI the `pex_build_options_set_NAME` setter (`_add_` and the singular for
    /// a list: `requirements` is `pex_build_options_add_requirement`); `output` is the output
    /// argument of the operation itself.
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
            Self::CompletePlatform => "complete_platforms",
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
            Self::Prune(crate::prune::Error::Busy { .. }) => one("prune again when they are done", None),
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
            Self::MissingRequirement { project, .. } => vec![Hint::new(format!("add a wheel of `{project}`"), None)],
            Self::UnsatisfiedRequirement { .. } => one("give a wheel that satisfies it", None),
            Self::ConflictingWheels { .. } => one("keep one of them", None),
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
        E::Network { .. } => {
            vec![Hint::new("check the network, the proxy (`HTTPS_PROXY`) and the index URL", Some(Setting::IndexUrl))]
        }
        E::Unauthorized { .. } => vec![Hint::new(
            "put credentials in the index URL (`https://user:password@host/...`) or in `~/.netrc` (`NETRC`)",
            Some(Setting::IndexUrl),
        )],
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
        E::UrlConstraint { .. } => vec![Hint::new("give the URL as a requirement instead", None)],
        E::UnpinnedSource { digest, .. } => {
            vec![Hint::new(format!("add `--hash=sha256:{digest}` to its requirement"), None)]
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
