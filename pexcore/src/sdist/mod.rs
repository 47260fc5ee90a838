//! PEP 517 builds: wheels from source distributions and local projects, with the interpreter
//! they are for, cached so that an unchanged source is never built twice.
//!
//! A build unpacks the sdist (untrusted: `archive`) or copies the project's files (`tree`) into
//! a fresh directory, reads its build system (`pyproject`), installs what it requires into a
//! cached virtual environment (`environment`; the requirements are resolved by the caller,
//! through [`Requirements`]), and runs the backend's hooks in one Python process (`hooks`):
//! `get_requires_for_build_wheel`, then `prepare_metadata_for_build_wheel` when only the
//! metadata is wanted, else `build_wheel`. Every backend gets `SOURCE_DATE_EPOCH` and
//! `PYTHONHASHSEED=0`, so reproducible backends give the same bytes everywhere.
//!
//! ```text
//! source_builds/v1/<key>/<python>/<name>-<version>-<tags>.whl   the wheel built by one Python
//! source_builds/v1/<key>/<python>/METADATA                      METADATA a backend prepared
//! ```
//!
//! The key is the sha256 of the source (the sdist's digest, or the digest of a project's files)
//! and of everything that can change the result: build isolation, config settings,
//! `SOURCE_DATE_EPOCH`, build constraints. `<python>` is the building interpreter's
//! implementation, version and threading (`cp311`, `cp313t`, `pp310`): as in pip's wheel cache
//! (pypa/pip#7296), a wheel built by one Python is not used for another, because a `setup.py`
//! may compute other files or dependencies on another Python without saying so in the tags.
//!
//! Builds run one at a time per process (a backend, like the compilers it starts, uses the
//! machine's cores by itself); a build's own requirements are built on the same thread, inside
//! it, which is how a project whose build needs itself is found (see `ops::sources`).

mod archive;
mod environment;
mod hooks;
mod pyproject;
mod tree;

use std::sync::Arc;

use camino::{Utf8Path, Utf8PathBuf};

use crate::cache::{Bucket, Cache, OnceMap};
use crate::dist::{CoreMetadata, SdistFormat, WheelFilename};
use crate::hash::Sha256Digest;
use crate::interpreter::Interpreter;
use crate::progress::Reporter;
use crate::requirement::{PackageName, Requirement, Version, parse_requirement};
use crate::wheel::Wheel;

pub(crate) use archive::{read_pkg_info, unpack};
pub(crate) use pyproject::dependency_group;

/// What building `source` requires, as its `[build-system]` table says (not what its backend
/// adds when asked): for `pex-rs download`, which fetches a build's requirements too.
pub(crate) fn static_build_requirements(source: &Source, project: &str) -> Result<Vec<Requirement>, Error> {
    let system = match source {
        Source::Tree { root } => pyproject::BuildSystem::read(root, project)?,
        Source::Archive { path, format, .. } => {
            let text = archive::read_top_file(path, *format, "pyproject.toml")?;
            let text = text.map(|bytes| String::from_utf8_lossy(&bytes).into_owned());
            pyproject::BuildSystem::parse(text.as_deref(), Utf8Path::new("."), project)?
        }
    };
    Ok(system.requires)
}

/// The source files of the project at `root` that a build of it reads (see `tree`), but for
/// the `excluded` ones: what a make depfile lists for a local project.
pub(crate) fn project_files(root: &Utf8Path, excluded: &[Utf8PathBuf]) -> Result<Vec<Utf8PathBuf>, Error> {
    Ok(tree::TreeFiles::scan(root, excluded)?.paths())
}

/// Why a source could not be built.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    #[error("failed to unpack the source archive `{archive}` (truncated or corrupt?)")]
    Unpack {
        archive: String,
        #[source]
        source: std::io::Error,
    },
    #[error("the source archive `{archive}` has a member `{member}` that {reason}; nothing of it was used")]
    UnsafeMember { archive: String, member: String, reason: &'static str },
    #[error(
        "the source archive `{archive}` unpacks to more than 100 times its size (at least 256 MiB, at most 4 GiB) or a \
         million files; it was refused as a decompression bomb"
    )]
    TooLarge { archive: String },
    #[error("the PKG-INFO of the source archive `{archive}` is invalid")]
    PkgInfo {
        archive: String,
        #[source]
        source: crate::dist::Error,
    },
    #[error("failed to write `{path}`")]
    Write {
        path: Utf8PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("failed to read the project file `{path}`")]
    Source {
        path: Utf8PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{project} has neither a `pyproject.toml` nor a `setup.py`: it is not a Python project")]
    NotAProject { project: String },
    #[error("the `pyproject.toml` of {project} is invalid: {reason}")]
    PyProject { project: String, reason: String },
    #[error("failed to start `{python}` to build")]
    Spawn {
        python: Utf8PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("building {project} failed in `{hook}`: {reason}; the last lines it printed:\n{output}")]
    Hook { project: String, hook: String, reason: String, output: String },
    #[error("cannot build {project}: {missing}")]
    MissingTool { project: String, missing: String },
    #[error("building {project} gave {reason}")]
    BadResult { project: String, reason: String },
    #[error("the wheel built from {project} is invalid")]
    BuiltWheel {
        project: String,
        #[source]
        source: crate::wheel::Error,
    },
    #[error("failed to install a build requirement into a build environment")]
    Environment(#[source] crate::wheel::Error),
    #[error("failed to prepare what building {project} requires")]
    Requirements {
        project: String,
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
    #[error(transparent)]
    Cache(#[from] crate::cache::Error),
    #[error(transparent)]
    Shared(Arc<Error>),
}

/// What a build needs installed, resolved by the layer that can resolve: the wheels that
/// satisfy `requirements` for `interpreter`. `chain` lists the projects being built, outermost
/// first (the caller's, passed through), so that a build that needs itself is an error rather
/// than endless.
pub(crate) trait Requirements: Sync {
    fn wheels_for(
        &self,
        requirements: &[Requirement],
        interpreter: &Interpreter,
        chain: &[PackageName],
    ) -> Result<Vec<Wheel>, Box<dyn std::error::Error + Send + Sync>>;
}

/// A source to build a wheel from.
#[derive(Clone, Debug)]
pub(crate) enum Source {
    /// A source archive on disk (in the cache, or given by path), known by its digest.
    Archive { path: Utf8PathBuf, format: SdistFormat, sha256: Sha256Digest },
    /// A project directory (a local project, or a checkout).
    Tree { root: Utf8PathBuf },
}

/// One source to build, for one interpreter.
pub(crate) struct Request<'a> {
    pub(crate) source: &'a Source,
    /// How messages name it: `` `docopt 0.6.2` (sdist `docopt-0.6.2.tar.gz`) ``.
    pub(crate) project: &'a str,
    /// The project it must turn out to be, when known (also checked for a cached wheel).
    pub(crate) expected: Option<&'a PackageName>,
    pub(crate) interpreter: &'a Interpreter,
    /// Resolves what the build requires.
    pub(crate) requirements: &'a dyn Requirements,
    /// The projects being built around this build, outermost first (see [`Requirements`]).
    pub(crate) chain: &'a [PackageName],
}

/// What every build of one pex-rs run shares.
#[derive(Clone, Debug)]
pub(crate) struct BuildSettings {
    /// Build in an environment of the build's own requirements (the default), rather than in
    /// the interpreter's own environment (`--no-build-isolation`).
    pub(crate) isolation: bool,
    /// `--config-settings KEY=VALUE`, in order; a repeated key passes a list, as pip does.
    pub(crate) config_settings: Vec<(String, String)>,
    /// The timestamp backends stamp their archives with.
    pub(crate) source_date_epoch: u64,
    /// A digest of the build constraints (they change what is built with).
    pub(crate) constraints: String,
    /// The `PATH` builds find programs on (a build environment's `bin` goes first).
    pub(crate) search_path: Option<std::ffi::OsString>,
    /// Files that are never part of a project's source: the PEX being built (absolute).
    pub(crate) excluded: Vec<Utf8PathBuf>,
}

/// The `SOURCE_DATE_EPOCH` of builds when the user sets none: 1980-01-01, the earliest time a
/// zip entry can carry (pex uses the same).
pub(crate) const DEFAULT_SOURCE_DATE_EPOCH: u64 = 315_532_800;

/// Builds wheels from sources, through the cache.
pub(crate) struct Builder {
    cache: Cache,
    settings: BuildSettings,
    reporter: Arc<dyn Reporter>,
    /// Held by the thread that builds (again by the same thread for nested builds): taken
    /// before any of the maps below, so that two threads never wait on each other's entries.
    gate: ReentrantGate,
    trees: OnceMap<Utf8PathBuf, Result<Arc<tree::TreeFiles>, Arc<Error>>>,
    wheels: OnceMap<(Sha256Digest, String), Result<Utf8PathBuf, Arc<Error>>>,
    metadata: OnceMap<(Sha256Digest, String), Result<Arc<CoreMetadata>, Arc<Error>>>,
}

/// A lock the thread holding it can take again: one build at a time, with nested builds.
#[derive(Default)]
struct ReentrantGate {
    holder: std::sync::Mutex<Option<(std::thread::ThreadId, usize)>>,
    released: std::sync::Condvar,
}

impl ReentrantGate {
    fn enter(&self) -> GateGuard<'_> {
        let me = std::thread::current().id();
        let mut holder = self.holder.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        loop {
            match holder.as_mut() {
                None => *holder = Some((me, 1)),
                Some((thread, depth)) if *thread == me => *depth += 1,
                Some(_) => {
                    holder = self.released.wait(holder).unwrap_or_else(std::sync::PoisonError::into_inner);
                    continue;
                }
            }
            return GateGuard(self);
        }
    }
}

struct GateGuard<'a>(&'a ReentrantGate);

impl Drop for GateGuard<'_> {
    fn drop(&mut self) {
        let mut holder = self.0.holder.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some((_, depth)) = holder.as_mut() {
            *depth -= 1;
            if *depth == 0 {
                *holder = None;
                self.0.released.notify_one();
            }
        }
    }
}

/// What a build is asked for.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Goal {
    Metadata,
    Wheel,
}

/// What a build produced.
enum Built {
    Metadata(CoreMetadata),
    Wheel(Utf8PathBuf),
}

impl Builder {
    pub(crate) fn new(cache: Cache, settings: BuildSettings, reporter: Arc<dyn Reporter>) -> Self {
        Self {
            cache,
            settings,
            reporter,
            gate: ReentrantGate::default(),
            trees: OnceMap::default(),
            wheels: OnceMap::default(),
            metadata: OnceMap::default(),
        }
    }

    /// The wheel built from the request's source for its interpreter: from the cache when an
    /// earlier build by the same Python fits it, else built now.
    pub(crate) fn wheel(&self, request: &Request<'_>) -> Result<Utf8PathBuf, Error> {
        let _gate = self.gate.enter();
        let key = self.key(request.source)?;
        let build = || -> Result<Utf8PathBuf, Error> {
            if let Some(path) = self.cached_wheel(key, request.interpreter)? {
                let filename: WheelFilename =
                    path.file_name().unwrap_or_default().parse().map_err(|error: crate::dist::Error| {
                        Error::BadResult { project: request.project.to_owned(), reason: error.to_string() }
                    })?;
                check_name(request.expected, filename.package_name(), request.project)?;
                return Ok(path);
            }
            match self.run(key, request, Goal::Wheel)? {
                Built::Wheel(path) => Ok(path),
                Built::Metadata(_) => unreachable!("a wheel build gives a wheel"),
            }
        };
        self.wheels
            .get_or_init(&(key, request.interpreter.python_tag()), || build().map_err(Arc::new))
            .map_err(Error::Shared)
    }

    /// The metadata of the wheel the request's source would build: from a cached wheel or
    /// cached prepared metadata, else from the backend's `prepare_metadata_for_build_wheel`
    /// (else a whole build).
    pub(crate) fn metadata(&self, request: &Request<'_>) -> Result<Arc<CoreMetadata>, Error> {
        let _gate = self.gate.enter();
        let key = self.key(request.source)?;
        let build = || -> Result<Arc<CoreMetadata>, Error> {
            let metadata = if let Some(path) = self.cached_wheel(key, request.interpreter)? {
                read_wheel_metadata(&path, request.project)?
            } else if let Some(metadata) = self.prepared_metadata(key, request.interpreter)? {
                metadata
            } else {
                match self.run(key, request, Goal::Metadata)? {
                    Built::Metadata(metadata) => metadata,
                    Built::Wheel(path) => read_wheel_metadata(&path, request.project)?,
                }
            };
            check_name(request.expected, metadata.package_name(), request.project)?;
            Ok(Arc::new(metadata))
        };
        self.metadata
            .get_or_init(&(key, request.interpreter.python_tag()), || build().map_err(Arc::new))
            .map_err(Error::Shared)
    }

    /// The METADATA a backend prepared for `interpreter`'s Python, if the cache has it.
    fn prepared_metadata(&self, key: Sha256Digest, interpreter: &Interpreter) -> Result<Option<CoreMetadata>, Error> {
        let prepared = self.builds(key, interpreter)?.join("METADATA");
        let Ok(bytes) = fs_err::read(&prepared) else { return Ok(None) };
        let Ok(metadata) = CoreMetadata::parse(&bytes) else { return Ok(None) };
        crate::cache::touch(&prepared);
        Ok(Some(metadata))
    }

    /// The cache key of `source` with this run's settings.
    fn key(&self, source: &Source) -> Result<Sha256Digest, Error> {
        let identity = match source {
            Source::Archive { sha256, .. } => format!("sdist\0{sha256}"),
            Source::Tree { root } => format!("tree\0{}", self.tree(root)?.digest()),
        };
        let settings = &self.settings;
        let config: Vec<String> =
            settings.config_settings.iter().map(|(key, value)| format!("{key}={value}")).collect();
        let text = format!(
            "{identity}\0isolation={}\0config={}\0epoch={}\0constraints={}",
            settings.isolation,
            config.join("\u{1f}"),
            self.epoch(source),
            settings.constraints
        );
        Ok(Sha256Digest::of(text.as_bytes()))
    }

    /// The `SOURCE_DATE_EPOCH` a build of `source` gets: the build's for a project directory
    /// (the user's code, stamped as the user asks), a constant for a published sdist, whose
    /// wheel is then the same whatever the build's epoch (a make workflow that sets it per commit
    /// must not rebuild its dependencies at every commit).
    fn epoch(&self, source: &Source) -> u64 {
        match source {
            Source::Archive { .. } => DEFAULT_SOURCE_DATE_EPOCH,
            Source::Tree { .. } => self.settings.source_date_epoch,
        }
    }

    fn tree(&self, root: &Utf8Path) -> Result<Arc<tree::TreeFiles>, Error> {
        self.trees
            .get_or_init(&root.to_owned(), || {
                tree::TreeFiles::scan(root, &self.settings.excluded).map(Arc::new).map_err(Arc::new)
            })
            .map_err(Error::Shared)
    }

    /// Where the builds of the source `key` by `interpreter`'s Python go.
    fn builds(&self, key: Sha256Digest, interpreter: &Interpreter) -> Result<Utf8PathBuf, Error> {
        Ok(self.cache.bucket(Bucket::SourceBuilds)?.join(key.to_string()).join(interpreter.python_tag()))
    }

    /// The best cached wheel of the entry `key` for `interpreter`, if one fits.
    fn cached_wheel(&self, key: Sha256Digest, interpreter: &Interpreter) -> Result<Option<Utf8PathBuf>, Error> {
        let entry = self.builds(key, interpreter)?;
        let Ok(listing) = fs_err::read_dir(&entry) else { return Ok(None) };
        let best = listing
            .filter_map(Result::ok)
            .filter_map(|file| {
                let name = file.file_name().into_string().ok()?;
                let filename: WheelFilename = name.parse().ok()?;
                let priority = interpreter.tags().priority(filename.tags())?;
                Some((priority, entry.join(name)))
            })
            .min();
        if let Some((_, path)) = &best {
            crate::cache::touch(path);
            tracing::debug!("using the built wheel `{path}`");
        }
        Ok(best.map(|(_, path)| path))
    }

    /// Builds the request's source in a fresh directory (see the module docs) for `goal`.
    fn run(&self, key: Sha256Digest, request: &Request<'_>, goal: Goal) -> Result<Built, Error> {
        let Request { source, project, expected, interpreter, requirements, chain } = *request;
        let bucket = self.cache.bucket(Bucket::SourceBuilds)?;
        // Removed when the build ends, whatever happens.
        let work_directory = tempfile::Builder::new()
            .prefix(".build.")
            .tempdir_in(&bucket)
            .map_err(|source| Error::Write { path: bucket.clone(), source })?;
        let work = Utf8Path::from_path(work_directory.path()).expect("a UTF-8 bucket gives UTF-8 temp dirs");
        let unpacked = work.join("source");
        fs_err::create_dir(&unpacked).map_err(|source| Error::Write { path: unpacked.clone(), source })?;
        let root = match source {
            Source::Archive { path, format, .. } => archive::unpack(path, *format, &unpacked)?,
            Source::Tree { root } => {
                self.tree(root)?.copy_to(&unpacked)?;
                unpacked.clone()
            }
        };
        let system = pyproject::BuildSystem::read(&root, project)?;
        let mut installed = self.install(&system.requires, interpreter, requirements, chain, project)?;
        self.reporter.build_started(project);
        let result = (|| {
            let mut runner = self.start(&installed, &root, &system, interpreter, project, self.epoch(source))?;
            let config_settings = self.config_settings();
            let answer = runner.call("get_requires_for_build_wheel", &serde_json::json!([config_settings]))?;
            let extra = requirement_list(answer, project)?;
            let missing: Vec<Requirement> = extra
                .into_iter()
                .filter(|requirement| requirement.evaluate_markers(interpreter.markers(), &[]))
                .filter(|requirement| !installed.satisfies(requirement))
                .collect();
            if self.settings.isolation && !missing.is_empty() {
                // The backend wants more (setuptools < 70.1 asks for `wheel`): an environment
                // with both, and the remaining hooks run there.
                tracing::debug!("{project} also needs {}", display_list(&missing));
                drop(runner);
                let mut all = system.requires.clone();
                all.extend(missing);
                installed = self.install(&all, interpreter, requirements, chain, project)?;
                runner = self.start(&installed, &root, &system, interpreter, project, self.epoch(source))?;
            }
            if goal == Goal::Metadata {
                let directory = work.join("metadata");
                fs_err::create_dir(&directory).map_err(|source| Error::Write { path: directory.clone(), source })?;
                let arguments = serde_json::json!([directory, config_settings]);
                if let hooks::Answer::Returned(name) = runner.call("prepare_metadata_for_build_wheel", &arguments)? {
                    let bytes = read_prepared_metadata(&directory, &name, project)?;
                    let metadata = CoreMetadata::parse(&bytes).map_err(|error| Error::BadResult {
                        project: project.to_owned(),
                        reason: format!("invalid metadata: {error}"),
                    })?;
                    check_name(expected, metadata.package_name(), project)?;
                    let entry = self.builds(key, interpreter)?;
                    fs_err::create_dir_all(&entry).map_err(|source| Error::Write { path: entry.clone(), source })?;
                    let path = entry.join("METADATA");
                    crate::fs::write_atomic(&path, &bytes).map_err(|source| Error::Write { path, source })?;
                    return Ok(Built::Metadata(metadata));
                }
            }
            let directory = work.join("dist");
            fs_err::create_dir(&directory).map_err(|source| Error::Write { path: directory.clone(), source })?;
            let arguments = serde_json::json!([directory, config_settings]);
            let hooks::Answer::Returned(name) = runner.call("build_wheel", &arguments)? else {
                return Err(Error::BadResult {
                    project: project.to_owned(),
                    reason: "no wheel: the backend has no `build_wheel` hook".to_owned(),
                });
            };
            drop(runner);
            self.keep_wheel(&self.builds(key, interpreter)?, &directory, &name, project, expected).map(Built::Wheel)
        })();
        self.reporter.build_finished(project);
        result
    }

    /// The environment a build runs in: its requirements installed (isolated builds), or the
    /// interpreter's own.
    fn install(
        &self,
        requires: &[Requirement],
        interpreter: &Interpreter,
        requirements: &dyn Requirements,
        chain: &[PackageName],
        project: &str,
    ) -> Result<Installed, Error> {
        if !self.settings.isolation {
            return Ok(Installed { environment: None, wheels: Vec::new() });
        }
        let wheels = requirements
            .wheels_for(requires, interpreter, chain)
            .map_err(|source| Error::Requirements { project: project.to_owned(), source })?;
        let environment = environment::Environment::with_wheels(&self.cache, interpreter, &wheels)?;
        let wheels = wheels
            .iter()
            .map(|wheel| (wheel.filename.package_name().clone(), wheel.filename.version().clone()))
            .collect();
        Ok(Installed { environment: Some(environment), wheels })
    }

    /// Starts the hook runner in `installed`.
    fn start(
        &self,
        installed: &Installed,
        root: &Utf8Path,
        system: &pyproject::BuildSystem,
        interpreter: &Interpreter,
        project: &str,
        epoch: u64,
    ) -> Result<hooks::Runner, Error> {
        let path = self.settings.search_path.clone().unwrap_or_default();
        let (python, path) = match &installed.environment {
            Some(environment) => {
                let mut directories = vec![environment.bin().into_std_path_buf()];
                directories.extend(std::env::split_paths(&path));
                (environment.python(), std::env::join_paths(directories).unwrap_or(path))
            }
            None => (interpreter.executable().to_owned(), path),
        };
        let mut variables = vec![
            ("SOURCE_DATE_EPOCH", epoch.to_string()),
            ("PYTHONHASHSEED", "0".to_owned()),
            ("GIT_OPTIONAL_LOCKS", "0".to_owned()),
            ("PATH", path.to_string_lossy().into_owned()),
        ];
        if installed.environment.is_some() {
            variables.push(("PYTHONNOUSERSITE", "1".to_owned()));
        }
        hooks::Runner::start(&python, root, system, &variables, &self.reporter, project)
    }

    /// The config settings as the hooks take them: a dict, a repeated key giving a list.
    fn config_settings(&self) -> serde_json::Value {
        if self.settings.config_settings.is_empty() {
            return serde_json::Value::Null;
        }
        let mut settings = serde_json::Map::new();
        for (key, value) in &self.settings.config_settings {
            match settings.get_mut(key) {
                None => {
                    settings.insert(key.clone(), value.clone().into());
                }
                Some(serde_json::Value::Array(values)) => values.push(value.clone().into()),
                Some(existing) => *existing = serde_json::json!([existing.clone(), value]),
            }
        }
        serde_json::Value::Object(settings)
    }

    /// Verifies the wheel a backend wrote and moves it into the cache `entry`.
    fn keep_wheel(
        &self,
        entry: &Utf8Path,
        directory: &Utf8Path,
        name: &serde_json::Value,
        project: &str,
        expected: Option<&PackageName>,
    ) -> Result<Utf8PathBuf, Error> {
        let bad = |reason: String| Error::BadResult { project: project.to_owned(), reason };
        let name = name.as_str().ok_or_else(|| bad(format!("`{name}` instead of a wheel file name")))?;
        let filename: WheelFilename = name.parse().map_err(|error| bad(format!("no wheel: {error}")))?;
        let built = directory.join(filename.as_str());
        if !built.is_file() {
            return Err(bad(format!("no file `{name}`, which `build_wheel` named")));
        }
        let wheel = Wheel::open(&built, Some(&self.cache))
            .map_err(|source| Error::BuiltWheel { project: project.to_owned(), source })?;
        check_name(expected, wheel.filename.package_name(), project)?;
        fs_err::create_dir_all(entry).map_err(|source| Error::Write { path: entry.to_owned(), source })?;
        let path = entry.join(filename.as_str());
        fs_err::rename(&built, &path).map_err(|source| Error::Write { path: path.clone(), source })?;
        tracing::debug!("built `{path}`");
        Ok(path)
    }
}

/// What a build environment holds.
struct Installed {
    environment: Option<environment::Environment>,
    wheels: Vec<(PackageName, Version)>,
}

impl Installed {
    /// Returns `true` if the environment has a version of the project that `requirement` accepts.
    fn satisfies(&self, requirement: &Requirement) -> bool {
        self.wheels.iter().any(|(name, version)| {
            *name == requirement.name && crate::requirement::is_satisfied_by(requirement, version)
        })
    }
}

/// `get_requires_for_build_wheel`'s answer: a list of requirement strings.
fn requirement_list(answer: hooks::Answer, project: &str) -> Result<Vec<Requirement>, Error> {
    let bad = |reason: String| Error::BadResult { project: project.to_owned(), reason };
    let hooks::Answer::Returned(value) = answer else { return Ok(Vec::new()) };
    let Some(items) = value.as_array() else {
        return Err(bad(format!("`{value}` from `get_requires_for_build_wheel`, which is not a list")));
    };
    items
        .iter()
        .map(|item| {
            let text = item.as_str().ok_or_else(|| bad(format!("`{item}` as a build requirement")))?;
            parse_requirement(text).map_err(|reason| bad(format!("the build requirement `{text}`: {reason}")))
        })
        .collect()
}

/// The METADATA of `prepare_metadata_for_build_wheel`: `<directory>/<name>/METADATA`.
fn read_prepared_metadata(directory: &Utf8Path, name: &serde_json::Value, project: &str) -> Result<Vec<u8>, Error> {
    let bad = |reason: String| Error::BadResult { project: project.to_owned(), reason };
    let name = name.as_str().and_then(crate::fs::enclosed).filter(|name| name.components().count() == 1);
    let name = name.ok_or_else(|| bad("a metadata directory name that is not one plain name".to_owned()))?;
    let path = directory.join(name).join("METADATA");
    fs_err::read(&path).map_err(|_| bad(format!("no `{path}`, which `prepare_metadata_for_build_wheel` promised")))
}

/// The METADATA of a built wheel.
fn read_wheel_metadata(path: &Utf8Path, project: &str) -> Result<CoreMetadata, Error> {
    let filename: WheelFilename =
        path.file_name().unwrap_or_default().parse().map_err(|error: crate::dist::Error| Error::BadResult {
            project: project.to_owned(),
            reason: error.to_string(),
        })?;
    let file = fs_err::File::open(path).map_err(|source| Error::Source { path: path.to_owned(), source })?;
    crate::wheel::read_metadata(std::io::BufReader::new(file), &filename)
        .map(|(metadata, _)| metadata)
        .map_err(|source| Error::BuiltWheel { project: project.to_owned(), source })
}

/// A build of one project that turned out to be another is refused.
fn check_name(expected: Option<&PackageName>, found: &PackageName, project: &str) -> Result<(), Error> {
    match expected {
        Some(expected) if expected != found => Err(Error::BadResult {
            project: project.to_owned(),
            reason: format!("a distribution of `{found}`, not of `{expected}`"),
        }),
        _ => Ok(()),
    }
}

fn display_list(requirements: &[Requirement]) -> String {
    requirements.iter().map(|requirement| format!("`{requirement}`")).collect::<Vec<_>>().join(", ")
}
