//! The workflows that the CLI and the C ABI share: resolve, lock, build a PEX from wheels,
//! sources or a lock, download, prepare a `run`, and inspect, extract, verify or prune. Each takes an options
//! struct and returns a report; none prints.

mod fetch;
mod lock;
mod locked;
mod run;
mod sources;
mod targets;

pub use fetch::ResolveOptions;
pub use lock::{LockOptions, LockReport, Resolution, lock_requirements, resolve_lock};
pub use run::{PreparedRun, WarmStart, prepare_run};

use std::collections::{BTreeMap, HashSet};
use std::ffi::OsString;
use std::sync::Arc;

use camino::{Utf8Path, Utf8PathBuf};
use rayon::prelude::*;

use crate::build::{self, Contents, EntryPoint, Shebang, UserFile};
use crate::cache::Cache;
use crate::error::Error;
use crate::extract::ExtractReport;
use crate::fs::enclosed;
use crate::hash::{Hasher, Sha256Digest};
use crate::interpreter::{Interpreter, InterpreterConstraint};
use crate::pexinfo::{DEPS_DIR, FORMAT_VERSION, InheritPath, PEX_INFO_ENTRY, PexInfo};
use crate::requirement::{ExtraName, PackageName, is_satisfied_by};
use crate::target::Target;
use crate::wheel::Wheel;

/// What to build. Built with [`BuildOptions::default`] and the `with_*` setters.
#[derive(Clone, Debug, Default)]
pub struct BuildOptions {
    wheels: Vec<Utf8PathBuf>,
    source_directories: Vec<Utf8PathBuf>,
    entry_point: Option<EntryPoint>,
    shebang: Option<Shebang>,
    /// The build cache (interpreter probes, verified wheels, downloads).
    cache: Option<Cache>,
    targets: targets::TargetChoice,
    source_date_epoch: Option<u64>,
    inherit_path: InheritPath,
    keep_pex_env: bool,
    no_compile: bool,
    resolve: ResolveOptions,
    /// A resolution to build from instead of resolving (see [`BuildOptions::with_resolution`]).
    resolution: Option<Resolution>,
    reporter: Reporter,
    depfile: Option<Utf8PathBuf>,
}

/// The [`crate::Reporter`] of a build ([`crate::Silent`] unless set); a newtype so that
/// `BuildOptions` can stay `Debug` and `Default`.
#[derive(Clone)]
struct Reporter(Arc<dyn crate::progress::Reporter>);

impl Default for Reporter {
    fn default() -> Self {
        Self(Arc::new(crate::progress::Silent))
    }
}

impl std::fmt::Debug for Reporter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Reporter")
    }
}

impl BuildOptions {
    /// Wheel files to bundle, as paths. Defaults to none.
    #[must_use]
    pub fn with_wheels(mut self, wheels: Vec<Utf8PathBuf>) -> Self {
        self.wheels = wheels;
        self
    }

    /// Directories whose contents go to the root of the PEX (`-D`). Defaults to none.
    #[must_use]
    pub fn with_source_directories(mut self, directories: Vec<Utf8PathBuf>) -> Self {
        self.source_directories = directories;
        self
    }

    /// What the PEX runs. Defaults to none: the PEX behaves as the interpreter.
    #[must_use]
    pub fn with_entry_point(mut self, entry_point: Option<EntryPoint>) -> Self {
        self.entry_point = entry_point;
        self
    }

    /// The interpreter the PEX's sh header tries first. Defaults to the most specific name
    /// that fits every target (`python3.11` for targets of one version, else `python3`).
    #[must_use]
    pub fn with_shebang(mut self, shebang: Option<Shebang>) -> Self {
        self.shebang = shebang;
        self
    }

    /// The interpreter to resolve for (whose environment evaluates `Requires-Dist` markers),
    /// and the `PATH` value to find it on. Defaults to `python3` on no path.
    #[must_use]
    pub fn with_python(mut self, python: Option<String>, search_path: Option<OsString>) -> Self {
        self.targets.pythons = python.into_iter().collect();
        self.targets.search_path = search_path;
        self
    }

    /// The targets to resolve for, each getting its wheels in the PEX: interpreters (names on
    /// the `PATH` value `search_path`, or paths), abbreviated platforms
    /// (`manylinux2014_x86_64-cp-311-cp311`) and complete platform files. Defaults to `python3`.
    #[must_use]
    pub fn with_targets(
        mut self,
        pythons: Vec<String>,
        platforms: Vec<String>,
        complete_platforms: Vec<Utf8PathBuf>,
        search_path: Option<OsString>,
    ) -> Self {
        self.targets.pythons = pythons;
        self.targets.platforms = platforms;
        self.targets.complete_platforms = complete_platforms;
        self.targets.search_path = search_path;
        self
    }

    /// Interpreters the PEX may run under (OR-ed), recorded in PEX-INFO; with no other target,
    /// every interpreter on `PATH` that they admit becomes one. Defaults to none (any).
    #[must_use]
    pub fn with_interpreter_constraints(mut self, constraints: Vec<InterpreterConstraint>) -> Self {
        self.targets.constraints = constraints;
        self
    }

    /// The build cache (interpreter probes, verified wheels). Defaults to none: nothing is cached.
    #[must_use]
    pub fn with_cache(mut self, cache: Option<Cache>) -> Self {
        self.cache = cache;
        self
    }

    /// The modification time of every entry, in seconds since 1970 (`SOURCE_DATE_EPOCH`).
    /// Defaults to none: 1980-01-01, the earliest time a zip can store.
    #[must_use]
    pub fn with_source_date_epoch(mut self, seconds: Option<u64>) -> Self {
        self.source_date_epoch = seconds;
        self
    }

    /// Whether the host's `sys.path` is kept at run time. Defaults to [`InheritPath::False`].
    #[must_use]
    pub fn with_inherit_path(mut self, inherit_path: InheritPath) -> Self {
        self.inherit_path = inherit_path;
        self
    }

    /// Requirements to resolve against package indexes, and where to look. Defaults to none:
    /// only the given wheels, whose missing dependencies are then resolved.
    #[must_use]
    pub fn with_resolve(mut self, resolve: ResolveOptions) -> Self {
        self.resolve = resolve;
        self
    }

    /// Builds exactly what `resolution` chose (from [`resolve_lock`]), fetching its files and
    /// asking no index, as a build from its lock file would. Defaults to none: the requirements
    /// are resolved.
    #[must_use]
    pub fn with_resolution(mut self, resolution: Option<Resolution>) -> Self {
        self.resolution = resolution;
        self
    }

    /// Whether anything is to be resolved: requirements, requirements files, a lock or a
    /// resolution.
    fn resolves(&self) -> bool {
        !self.resolve.is_empty() || self.resolution.is_some()
    }

    /// Where resolution and downloads report progress. Defaults to [`crate::Silent`].
    #[must_use]
    pub fn with_reporter(mut self, reporter: Arc<dyn crate::progress::Reporter>) -> Self {
        self.reporter = Reporter(reporter);
        self
    }

    /// Keep `PEX_*` variables in the application's environment. Defaults to `false`.
    #[must_use]
    pub fn with_keep_pex_env(mut self, keep: bool) -> Self {
        self.keep_pex_env = keep;
        self
    }

    /// Whether the PEX carries the bytecode of its modules for each target interpreter, so that
    /// a first start does not compile them. Defaults to `true`.
    #[must_use]
    pub fn with_compile(mut self, compile: bool) -> Self {
        self.no_compile = !compile;
        self
    }

    /// Also write a make depfile here: the PEX depends on every file that went into it.
    /// Defaults to none.
    #[must_use]
    pub fn with_depfile(mut self, depfile: Option<Utf8PathBuf>) -> Self {
        self.depfile = depfile;
        self
    }

    /// Fails with [`Error::Cancelled`] when the reporter asks to stop.
    fn check_cancelled(&self) -> Result<(), Error> {
        if self.reporter.0.is_cancelled() { Err(Error::Cancelled) } else { Ok(()) }
    }

    /// The build cache: the chosen one, else the environment's (resolution needs one).
    fn build_cache(&self) -> Result<Cache, Error> {
        match &self.cache {
            Some(cache) => Ok(cache.clone()),
            None => Ok(Cache::from_environment(&self.resolve.environment)?),
        }
    }
}

/// Which Python an installing command uses: a name or path (default `python3`), the `PATH`
/// value to look names up on, and the cache of interpreter probes.
#[derive(Clone, Debug, Default)]
struct PythonChoice {
    python: Option<String>,
    search_path: Option<OsString>,
    cache: Option<Cache>,
}

impl PythonChoice {
    fn find(&self) -> Result<Interpreter, Error> {
        let python = self.python.as_deref().unwrap_or("python3");
        Ok(Interpreter::find(python, self.search_path.as_deref(), self.cache.as_ref())?)
    }
}

/// What a build produced.
#[derive(Clone, Debug)]
pub struct BuildReport {
    /// The PEX's manifest.
    pub pex_info: PexInfo,
    /// The size of the PEX file in bytes.
    pub size: u64,
    /// The files on this machine the PEX was built from (what the depfile lists), sorted.
    pub inputs: Vec<Utf8PathBuf>,
}

/// Builds a PEX at `output` from `options`.
#[tracing::instrument(skip_all, fields(output = %output))]
pub fn build_pex(options: &BuildOptions, output: &Utf8Path) -> Result<BuildReport, Error> {
    if options.wheels.is_empty() && options.source_directories.is_empty() && !options.resolves() {
        return Err(Error::NothingToBuild);
    }
    if output.is_dir() {
        return Err(Error::OutputIsDirectory { path: output.to_owned() });
    }
    // A build of sources alone needs no interpreter (and probes none) unless targets are named.
    let targets = if options.wheels.is_empty() && !options.resolves() && !options.targets.is_named() {
        Vec::new()
    } else {
        options.targets.targets(options.cache.as_ref())?
    };
    options.check_cancelled()?;
    let chosen = if targets.is_empty() { Chosen::default() } else { choose_wheels(options, &targets, output)? };
    options.check_cancelled()?;
    let Chosen { wheels, requirements, per_target, built, mut inputs, projects } = chosen;
    let (user_files, source_paths) = collect_sources(&options.source_directories)?;
    if let Some(entry_point) = &options.entry_point {
        check_entry_point(entry_point, &wheels, &user_files)?;
    }

    let mut build_properties = serde_json::Map::new();
    build_properties.insert("pex_rs_version".to_owned(), crate::VERSION.into());
    // The boot code's digest, so that `pex_hash` (over PEX-INFO) covers the boot code too: a
    // rebuild that changes only the boot code gets environments of its own.
    build_properties.insert("pex_rs_boot".to_owned(), crate::boot::digest().into());
    let (entry_point, script) = match &options.entry_point {
        None => (None, None),
        Some(EntryPoint::Module(module)) => (Some(module.clone()), None),
        Some(EntryPoint::Function { module, function }) => (Some(format!("{module}:{function}")), None),
        Some(EntryPoint::Script(script)) => (None, Some(script.clone())),
    };
    let mut pex_info = PexInfo {
        build_properties,
        code_hash: Some(code_hash(&user_files).to_string()),
        distributions: wheels.iter().map(|wheel| (wheel.filename.to_string(), wheel.sha256.to_string())).collect(),
        entry_point,
        script,
        inherit_path: options.inherit_path,
        pex_rs_format: Some(FORMAT_VERSION),
        requirements,
        interpreter_constraints: options.targets.constraints.iter().map(ToString::to_string).collect(),
        pex_rs_targets: per_target,
        pex_rs_built: built,
        pex_rs_installs: wheels
            .iter()
            .map(|wheel| (wheel.filename.to_string(), wheel.record_sha256.to_string()))
            .collect(),
        strip_pex_env: !options.keep_pex_env,
        ..PexInfo::default()
    };
    pex_info.pex_hash = Some(pex_info.compute_pex_hash().to_string());

    // Named targets give the most specific name that fits them all; the implicit `python3`
    // target stays `python3`, which runs wherever the PEX is copied.
    let shebang = options.shebang.clone().unwrap_or_else(|| {
        if options.targets.is_named() { targets::default_shebang(&targets) } else { targets::default_shebang(&[]) }
    });
    let bytecode = if options.no_compile {
        Vec::new()
    } else {
        compile_bytecode(&targets, &wheels, &user_files, &pex_info, options.cache.as_ref())?
    };
    options.check_cancelled()?;
    let contents = Contents {
        shebang: &shebang,
        wheels: &wheels,
        user_files: &user_files,
        bytecode: &bytecode,
        pex_info: &pex_info,
        source_date_epoch: options.source_date_epoch,
    };
    let size = build::write(output, &contents)?;
    inputs.extend(source_paths);
    inputs.extend(options.wheels.iter().cloned());
    inputs.extend(options.targets.complete_platforms.iter().cloned());
    if let Some(depfile) = &options.depfile {
        let excluded = [crate::fs::absolute(output), crate::fs::absolute(depfile)];
        for project in &projects {
            inputs.extend(crate::sdist::project_files(project, &excluded)?);
        }
    }
    inputs.sort();
    inputs.dedup();
    if let Some(depfile) = &options.depfile {
        write_depfile(depfile, output, &inputs)?;
    }
    Ok(BuildReport { pex_info, size, inputs })
}

/// Writes the make rule `OUTPUT: INPUTS...`, and an empty rule per input so that make does
/// not stop when one is deleted (gcc's `-MP`). An unchanged depfile is left untouched.
fn write_depfile(depfile: &Utf8Path, output: &Utf8Path, inputs: &[Utf8PathBuf]) -> Result<(), Error> {
    // Relative to the working directory where they are inside it, as make is usually run there.
    let here = crate::fs::absolute(Utf8Path::new("."));
    let mut inputs: Vec<Utf8PathBuf> = inputs
        .iter()
        .map(|input| {
            let absolute = crate::fs::absolute(input);
            absolute.strip_prefix(&here).map_or(absolute.clone(), Utf8Path::to_owned)
        })
        .collect();
    inputs.sort();
    inputs.dedup();
    // Make reads `$` as a variable, `#` as a comment, and a space as a separator.
    let escape = |path: &Utf8Path| path.as_str().replace('$', "$$").replace('#', "\\#").replace(' ', "\\ ");
    let mut text = format!("{}:", escape(output));
    for input in &inputs {
        text.push_str(" \\\n  ");
        text.push_str(&escape(input));
    }
    text.push('\n');
    for input in &inputs {
        text.push('\n');
        text.push_str(&escape(input));
        text.push_str(":\n");
    }
    if fs_err::read(depfile).is_ok_and(|bytes| bytes == text.as_bytes()) {
        return Ok(());
    }
    crate::fs::write_atomic(depfile, text.as_bytes())
        .map_err(|source| Error::Write { path: depfile.to_owned(), source })
}

/// The bytecode of the wheels, the user code and the boot code for each target that is an
/// interpreter here (platforms have none to compile with). A wheel is compiled only by the
/// interpreters that may install it: its tags fit, and the interpreter's target set (when the
/// targets got different sets) has it.
fn compile_bytecode(
    targets: &[Target],
    wheels: &[Wheel],
    user_files: &[UserFile],
    pex_info: &PexInfo,
    cache: Option<&Cache>,
) -> Result<Vec<crate::bytecode::Compiled>, Error> {
    use crate::bytecode::{Unit, is_module_source, wheel_sources};

    let local: Vec<(&Target, &Interpreter)> =
        targets.iter().filter_map(|target| target.interpreter().map(|interpreter| (target, interpreter))).collect();
    if local.is_empty() {
        return Ok(Vec::new());
    }
    let installs = |target: &Target, wheel: &Wheel| {
        let name = wheel.filename.to_string();
        target.tags().priority(wheel.filename.tags()).is_some()
            && (pex_info.pex_rs_targets.is_empty()
                || pex_info
                    .pex_rs_targets
                    .iter()
                    .any(|set| set.interpreter == target.interpreter_tag() && set.wheels.contains(&name)))
    };
    let every: Vec<&Interpreter> = local.iter().map(|(_, interpreter)| *interpreter).collect();
    let mut units: Vec<Unit<'_>> = wheels
        .iter()
        .map(|wheel| Unit {
            name: wheel.filename.to_string(),
            digest: wheel.sha256.to_string(),
            prefix: format!("{DEPS_DIR}/{}/", wheel.filename),
            sources: Box::new(move || {
                let members = wheel.members.iter().map(|member| (member.index, &member.installed_path));
                wheel_sources(wheel.filename.as_str(), &mut wheel.archive(), members)
            }),
            interpreters: local
                .iter()
                .filter(|(target, _)| installs(target, wheel))
                .map(|(_, interpreter)| *interpreter)
                .collect(),
        })
        .collect();
    // The boot modules: their bytecode for every interpreter, which a start loads in place of
    // compiling them, and which a PEX's virtual environment keeps of the runner.
    units.push(Unit {
        name: "the boot code".to_owned(),
        digest: crate::boot::digest().to_owned(),
        prefix: format!("{}/", crate::boot::DIRECTORY),
        sources: Box::new(|| {
            Ok(crate::boot::modules()
                .iter()
                .filter(|module| module.is_compiled())
                .map(|module| (format!("{}.py", module.name), module.text.as_bytes().to_vec()))
                .collect())
        }),
        interpreters: every.clone(),
    });
    if user_files.iter().any(|file| is_module_source(&file.name)) {
        units.push(Unit {
            name: "the user code".to_owned(),
            digest: pex_info.code_hash.clone().unwrap_or_default(),
            prefix: String::new(),
            sources: Box::new(move || {
                Ok(user_files
                    .iter()
                    .filter(|file| is_module_source(&file.name))
                    .map(|file| (file.name.clone(), file.bytes.clone()))
                    .collect())
            }),
            interpreters: every,
        });
    }
    Ok(crate::bytecode::compile(&units, cache)?)
}

/// The wheels of a build and the requirements PEX-INFO records. Given only wheel files, they
/// are used as they are when they satisfy each other (no index is asked); otherwise, and for
/// requirements, the missing pieces are resolved (unless `--no-transitive`).
fn choose_wheels(options: &BuildOptions, targets: &[Target], output: &Utf8Path) -> Result<Chosen, Error> {
    let mut wheel_paths = options.wheels.clone();
    wheel_paths.sort();
    wheel_paths.dedup();
    if !options.resolves() {
        let mut wheels: Vec<Wheel> =
            wheel_paths.par_iter().map(|path| Wheel::open(path, options.cache.as_ref())).collect::<Result<_, _>>()?;
        wheels.sort_by(|left, right| left.filename.as_str().cmp(right.filename.as_str()));
        wheels.dedup_by(|left, right| left.filename == right.filename && left.sha256 == right.sha256);
        // Named targets must each find a wheel of every project they run; the implicit
        // `python3` target does not judge tags, so foreign wheels can still be bundled as given.
        if options.targets.is_named() {
            for target in targets {
                check_tags(&wheels, target)?;
            }
        }
        match targets.iter().try_for_each(|target| check_requirements(&wheels, target)) {
            Ok(()) => {
                let requirements = pinned_requirements(&wheels);
                return Ok(Chosen { wheels, requirements, ..Chosen::default() });
            }
            Err(Error::MissingRequirement { .. } | Error::UnsatisfiedRequirement { .. })
                if !options.resolve.no_transitive =>
            {
                tracing::info!("the given wheels miss some of their dependencies; resolving them");
            }
            Err(error) => return Err(error),
        }
    }
    resolved_then(options, targets, &wheel_paths, Some(output), |resolution| {
        let fetched = fetch::download(&resolution)?;
        let mut wheels = fetched.wheels;
        wheels.sort_by(|left, right| left.filename.as_str().cmp(right.filename.as_str()));
        Ok(Chosen {
            wheels,
            requirements: resolution.requirements,
            per_target: fetched.per_target,
            built: fetched.built,
            inputs: resolution.inputs,
            projects: resolution.projects,
        })
    })
}

/// Resolves `options` for `targets`, with `wheels` (given files) taking part, from its lock
/// file when it has one, and hands the resolution to `then` (it borrows what this sets up).
fn resolved_then<T>(
    options: &BuildOptions,
    targets: &[Target],
    wheels: &[Utf8PathBuf],
    output: Option<&Utf8Path>,
    then: impl FnOnce(fetch::Resolved<'_>) -> Result<T, Error>,
) -> Result<T, Error> {
    let cache = options.build_cache()?;
    let python3 = || options.targets.python3(options.cache.as_ref());
    let lock = options.resolve.read_lock()?;
    let locking = match (&options.resolution, &lock) {
        (Some(resolution), _) => fetch::Locking::Only(&resolution.lock, &resolution.path),
        (None, Some((lock, path))) => fetch::Locking::Only(lock, path),
        (None, None) => fetch::Locking::None,
    };
    let resolution = fetch::resolve(
        &options.resolve,
        wheels,
        targets,
        &python3,
        options.source_date_epoch,
        output,
        &cache,
        &options.reporter.0,
        locking,
    )?;
    then(resolution)
}

/// The wheels of a build, the requirements PEX-INFO records, each target's wheel set, and what
/// built wheels were built from.
#[derive(Default)]
struct Chosen {
    wheels: Vec<Wheel>,
    requirements: Vec<String>,
    per_target: Vec<crate::pexinfo::TargetWheels>,
    built: BTreeMap<String, String>,
    /// The files of this machine that went in (see [`BuildReport::inputs`]).
    inputs: Vec<Utf8PathBuf>,
    /// The local projects built, whose files are inputs too.
    projects: Vec<Utf8PathBuf>,
}

/// A distribution that a resolution chose.
#[derive(Clone, Debug)]
pub struct ResolvedWheel {
    /// The project's name, as its metadata writes it.
    pub name: String,
    /// The version chosen.
    pub version: String,
    /// The wheel or sdist file name, or the project directory or checkout it is built from.
    pub filename: String,
}

/// Resolves the requirements of `options` (as [`build_pex`] would) without downloading the
/// wheels; sorted by project name.
pub fn resolve_requirements(options: &BuildOptions) -> Result<Vec<ResolvedWheel>, Error> {
    let targets = options.targets.targets(options.cache.as_ref())?;
    resolved_then(options, &targets, &options.wheels, None, |resolution| {
        let mut pinned: Vec<&crate::resolve::Pinned> =
            resolution.per_target.iter().flat_map(|(_, pinned)| pinned).collect();
        pinned.sort_by(|left, right| left.name.cmp(&right.name).then_with(|| left.version.cmp(&right.version)));
        pinned.dedup_by(|left, right| left.name == right.name && left.version == right.version);
        Ok(pinned
            .into_iter()
            .map(|pinned| ResolvedWheel {
                name: pinned.name.to_string(),
                version: pinned.version.to_string(),
                filename: pinned.candidate.describe(),
            })
            .collect())
    })
}

/// Resolves `options` (from its lock file, if it has one) and copies the chosen wheels and
/// sdists into `directory`, each checked against its digest: for `--find-links DIR --no-index`
/// builds on machines without a network. Returns the files' paths, sorted.
pub fn download_distributions(options: &BuildOptions, directory: &Utf8Path) -> Result<Vec<Utf8PathBuf>, Error> {
    if !options.resolves() {
        return Err(Error::NothingToBuild);
    }
    let targets = options.targets.targets(options.cache.as_ref())?;
    resolved_then(options, &targets, &options.wheels, None, |resolution| fetch::copy_files(&resolution, directory))
}

/// `name==version` of each wheel: the requirements of a PEX built from wheel files.
fn pinned_requirements(wheels: &[Wheel]) -> Vec<String> {
    let mut requirements: Vec<String> =
        wheels.iter().map(|wheel| format!("{}=={}", wheel.metadata.name(), wheel.metadata.version())).collect();
    requirements.dedup();
    requirements
}

/// How to install a PEX into a PEX_ROOT (`extract`, `verify`, `venv`). Built with
/// [`InstallOptions::new`] and the `with_*` setters.
#[derive(Clone, Debug)]
pub struct InstallOptions {
    pex_root: Utf8PathBuf,
    python: PythonChoice,
    compile: bool,
}

impl InstallOptions {
    /// Installs into `pex_root` (see [`crate::pex_root`] for the environment's choice).
    pub fn new(pex_root: Utf8PathBuf) -> Self {
        Self { pex_root, python: PythonChoice::default(), compile: true }
    }

    /// The interpreter the PEX will run under, and the `PATH` value to find it on. Defaults to
    /// `python3` on no path.
    #[must_use]
    pub fn with_python(mut self, python: String, search_path: Option<OsString>) -> Self {
        self.python.python = Some(python);
        self.python.search_path = search_path;
        self
    }

    /// The build cache (interpreter probes). Defaults to none.
    #[must_use]
    pub fn with_cache(mut self, cache: Option<Cache>) -> Self {
        self.python.cache = cache;
        self
    }

    /// Compile the bytecode of everything installed, as pip does on install. Defaults to `true`.
    #[must_use]
    pub fn with_compile(mut self, compile: bool) -> Self {
        self.compile = compile;
        self
    }
}

/// The scope of [`venv_pex`]: what goes into the virtual environment.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum VenvScope {
    /// The interpreter, the wheels and the user code.
    All,
    /// The interpreter and the wheels (a layer that changes when the requirements do).
    Dependencies,
    /// The user code and the runner, added to a venv made with [`VenvScope::Dependencies`].
    Sources,
}

/// Runs pex-rs's own boot code on the PEX with `interpreter`, steered by `variables` (internal
/// modes of `docs/format.md`), and returns its stdout. One implementation of the PEX_ROOT layout
/// (the boot code's) serves a first run and these commands alike; the PEX's own code never runs.
fn run_boot(
    pex: &Utf8Path,
    interpreter: &Interpreter,
    options: &InstallOptions,
    variables: &[(&str, &str)],
) -> Result<String, Error> {
    // The target interpreter's defaults, not this process's (no `PEX_*` steering), then this
    // call's own variables. Through the loader, as the sh header does: `zipimport` cannot read
    // large (ZIP64) PEX files before Python 3.13.
    let spawn_error = |source| crate::interpreter::Error::Spawn { path: interpreter.path().to_owned(), source };
    let mut child = crate::interpreter::clean_command(interpreter.path(), |name| name.starts_with("PEX"))
        .args(["-S", "-c", crate::boot::TOOL_LOADER])
        .arg(pex)
        .envs(variables.iter().copied())
        .env("PEX_ROOT", &options.pex_root)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .map_err(spawn_error)?;
    // pex-rs's own boot code, never the archive's: a crafted PEX must not run anything when it is
    // only installed or checked.
    let mut stdin = child.stdin.take().expect("stdin is piped");
    let written = std::io::Write::write_all(&mut stdin, crate::boot::tool_input().as_bytes());
    drop(stdin);
    let output = child.wait_with_output().map_err(spawn_error)?;
    written.map_err(spawn_error)?;
    if output.status.success() {
        return Ok(String::from_utf8_lossy(&output.stdout).into_owned());
    }
    let stderr = String::from_utf8_lossy(&output.stderr);
    let stderr = stderr.lines().last().unwrap_or("it exited with an error");
    Err(Error::BootInstall {
        pex: pex.to_owned(),
        python: interpreter.path().to_owned(),
        stderr: stderr.strip_prefix("pex-rs: error: ").unwrap_or(stderr).to_owned(),
    })
}

/// Installs the PEX at `pex` into a PEX_ROOT ahead of time, as its first start would: pex-rs's
/// boot code, run once with the target interpreter in install-only mode, installs every wheel
/// and the user code and makes the virtual environment; then the bytecode of all of it is
/// compiled, so that a read-only root starts as fast as a warm writable one.
#[tracing::instrument(skip_all, fields(pex = %pex))]
pub fn extract_pex(pex: &Utf8Path, options: &InstallOptions) -> Result<ExtractReport, Error> {
    let pex_info = PexInfo::read_from_pex(pex)?;
    crate::extract::check_archive(pex, &pex_info)?;
    let entries = crate::extract::entries(pex, &pex_info, &options.pex_root)?;
    let interpreter = options.python.find()?;
    // Held until the end, so a prune cannot take away what this extraction installs.
    let _access = crate::extract::AccessLock::acquire(&options.pex_root)?;
    let present: Vec<bool> = entries.iter().map(|entry| entry.is_dir()).collect();
    run_boot(pex, &interpreter, options, &[("__PEX_RS_INSTALL_ONLY", "1")])?;
    // Checked on disk: the boot code installs every entry in this mode, or fails.
    if let Some(missing) = entries.iter().find(|entry| !entry.is_dir()) {
        let source = std::io::Error::new(std::io::ErrorKind::NotFound, "the boot code did not install it");
        return Err(crate::extract::Error::Install { path: missing.clone(), source }.into());
    }
    if options.compile {
        let root = crate::pex_root::PexRoot::new(&options.pex_root);
        let venvs = root.environments_of(pex_info.pex_hash.as_deref().unwrap_or_default());
        let mut directories = entries.clone();
        directories.push(venvs);
        crate::bytecode::compile_tree(&interpreter, &directories)?;
    }
    // Installed by this call: what was not there before (or by a process that raced it).
    let installed = entries.iter().zip(present).filter(|(_, present)| !present).map(|(entry, _)| entry.clone());
    Ok(ExtractReport { installed: installed.collect(), entries })
}

/// Checks what a PEX_ROOT holds for the PEX at `pex` against the PEX, file by file, and
/// repairs what differs (`PEX_VERIFY=1`); returns one line per entry: `ok PATH` or
/// `repaired PATH: WHAT`.
pub fn verify_pex(pex: &Utf8Path, options: &InstallOptions) -> Result<Vec<String>, Error> {
    let pex_info = PexInfo::read_from_pex(pex)?;
    crate::extract::check_archive(pex, &pex_info)?;
    let interpreter = options.python.find()?;
    let stdout = run_boot(pex, &interpreter, options, &[("__PEX_RS_INSTALL_ONLY", "1"), ("PEX_VERIFY", "1")])?;
    Ok(stdout.lines().map(str::to_owned).collect())
}

/// Installs the PEX at `pex` as a standalone virtual environment at `destination` (copies, no
/// link into the PEX_ROOT), so a container image can hold it, dependencies and sources in
/// separate layers with [`VenvScope`].
pub fn venv_pex(
    pex: &Utf8Path,
    destination: &Utf8Path,
    scope: VenvScope,
    options: &InstallOptions,
) -> Result<(), Error> {
    let pex_info = PexInfo::read_from_pex(pex)?;
    crate::extract::check_archive(pex, &pex_info)?;
    let interpreter = options.python.find()?;
    let scope_name = match scope {
        VenvScope::All => "all",
        VenvScope::Dependencies => "deps",
        VenvScope::Sources => "srcs",
    };
    let destination = crate::fs::absolute(destination);
    run_boot(
        pex,
        &interpreter,
        options,
        &[("__PEX_RS_VENV", destination.as_str()), ("__PEX_RS_VENV_SCOPE", scope_name)],
    )?;
    // Success is what is on disk, not an exit status.
    if !destination.is_dir() || (scope != VenvScope::Sources && !destination.join("bin/python").exists()) {
        return Err(Error::BootInstall {
            pex: pex.to_owned(),
            python: interpreter.path().to_owned(),
            stderr: format!("it exited with success, but `{destination}` holds no virtual environment"),
        });
    }
    if options.compile {
        crate::bytecode::compile_tree(&interpreter, &[destination.join("lib")])?;
    }
    Ok(())
}

/// Removes from `pex_root` the virtual environments not used within `older_than`, then the
/// installs no remaining environment uses; first waits (at most `wait`) until no PEX runs from
/// that root.
pub fn prune_pex_root(
    pex_root: &Utf8Path,
    older_than: std::time::Duration,
    wait: std::time::Duration,
) -> Result<crate::PruneReport, Error> {
    Ok(crate::prune::prune(pex_root, older_than, wait)?)
}

/// The complete platform of the interpreter `python` (a name on the `PATH` value
/// `search_path`, or a path): its marker environment and tags, as JSON that
/// `--complete-platform` reads, so a machine can be captured once and built for anywhere.
pub fn complete_platform(
    python: &str,
    search_path: Option<&std::ffi::OsStr>,
    cache: Option<&Cache>,
) -> Result<String, Error> {
    let interpreter = Interpreter::find(python, search_path, cache)?;
    let platform = crate::target::complete_platform(&interpreter);
    Ok(serde_json::to_string_pretty(&platform).expect("a marker environment and strings serialize"))
}

/// Reads the manifest of the PEX at `path` (made by pex-rs or by pex).
pub fn inspect_pex(path: &Utf8Path) -> Result<PexInfo, Error> {
    Ok(PexInfo::read_from_pex(path)?)
}

/// Checks that every project among `wheels` has a wheel that `target` can install.
fn check_tags(wheels: &[Wheel], target: &Target) -> Result<(), Error> {
    let mut projects: BTreeMap<&PackageName, Vec<&Wheel>> = BTreeMap::new();
    for wheel in wheels {
        projects.entry(wheel.filename.package_name()).or_default().push(wheel);
    }
    for (project, wheels) in projects {
        if !wheels.iter().any(|wheel| target.tags().priority(wheel.filename.tags()).is_some()) {
            return Err(Error::NoWheelForTarget {
                project: project.to_string(),
                target: target.description().to_owned(),
                wheels: wheels.iter().map(|wheel| wheel.filename.to_string()).collect::<Vec<_>>().join(", "),
            });
        }
    }
    Ok(())
}

/// Checks that the wheels satisfy each other's `Requires-Dist`, following extras, with markers
/// evaluated for `target`.
fn check_requirements(wheels: &[Wheel], target: &Target) -> Result<(), Error> {
    let mut by_name: BTreeMap<&PackageName, &Wheel> = BTreeMap::new();
    for wheel in wheels {
        if let Some(other) = by_name.insert(wheel.filename.package_name(), wheel) {
            // Several wheels of one release (say, for different Pythons) are fine; several
            // releases of one project cannot all be installed.
            if other.filename.version() != wheel.filename.version() {
                return Err(Error::ConflictingWheels {
                    project: wheel.metadata.name().to_owned(),
                    first: other.filename.to_string(),
                    second: wheel.filename.to_string(),
                });
            }
        }
    }

    // Breadth-first over (project, extra) pairs: a requirement on `a[x]` activates the
    // `extra == "x"` requirements of `a`.
    let mut queue: Vec<(&Wheel, Option<ExtraName>)> = wheels.iter().map(|wheel| (wheel, None)).collect();
    let mut seen: HashSet<(PackageName, Option<ExtraName>)> = HashSet::new();
    while let Some((wheel, extra)) = queue.pop() {
        if !seen.insert((wheel.filename.package_name().clone(), extra.clone())) {
            continue;
        }
        let extras: Vec<ExtraName> = extra.iter().cloned().collect();
        let applies = |requirement: &crate::requirement::Requirement, extras: &[ExtraName]| {
            requirement.evaluate_markers(target.markers(), extras)
        };
        for requirement in wheel.metadata.requires_dist() {
            // With an extra, only the requirements that the extra enables are new: the others
            // were checked when the project itself was.
            if !applies(requirement, &extras) || (extra.is_some() && applies(requirement, &[])) {
                continue;
            }
            let requirer = wheel.filename.to_string();
            let Some(provider) = by_name.get(&requirement.name) else {
                return Err(Error::MissingRequirement {
                    requirer,
                    requirement: requirement.to_string(),
                    project: requirement.name.to_string(),
                });
            };
            if !is_satisfied_by(requirement, provider.filename.version()) {
                return Err(Error::UnsatisfiedRequirement {
                    requirer,
                    requirement: requirement.to_string(),
                    found: provider.filename.version().to_string(),
                });
            }
            queue.push((provider, None));
            queue.extend(requirement.extras.iter().map(|extra| (*provider, Some(extra.clone()))));
        }
    }
    Ok(())
}

/// Reads every file under the source directories, named by its path relative to its
/// directory; bytecode caches are left out (they are rebuilt at run time and not reproducible).
/// Also returns where each file was read.
fn collect_sources(directories: &[Utf8PathBuf]) -> Result<(Vec<UserFile>, Vec<Utf8PathBuf>), Error> {
    let mut files: BTreeMap<String, (UserFile, Utf8PathBuf)> = BTreeMap::new();
    for directory in directories {
        let mut pending = vec![directory.clone()];
        while let Some(current) = pending.pop() {
            let source_error = |source| Error::SourceDirectory { path: current.clone(), source };
            for entry in fs_err::read_dir(&current).map_err(source_error)? {
                let entry = entry.map_err(source_error)?;
                let path = crate::fs::utf8_path(entry.path())
                    .map_err(|path| Error::SourceName { path: path.display().to_string() })?;
                // Follow symbolic links, as `cp -L` would: the PEX holds the files they point to.
                let metadata =
                    fs_err::metadata(&path).map_err(|source| Error::SourceDirectory { path: path.clone(), source })?;
                let file_name = path.file_name().unwrap_or_default();
                if metadata.is_dir() {
                    if file_name != "__pycache__" {
                        pending.push(path);
                    }
                    continue;
                }
                if path.extension() == Some("pyc") {
                    continue;
                }
                let relative = path.strip_prefix(directory).expect("walked from the directory").as_str().to_owned();
                let name =
                    enclosed(&relative).ok_or_else(|| Error::SourceName { path: path.to_string() })?.into_string();
                if name == crate::boot::MAIN_ENTRY
                    || name == PEX_INFO_ENTRY
                    || name.starts_with(&format!("{}/", crate::boot::DIRECTORY))
                    || name.starts_with(&format!("{DEPS_DIR}/"))
                {
                    return Err(Error::ReservedName { name });
                }
                let bytes =
                    fs_err::read(&path).map_err(|source| Error::SourceDirectory { path: path.clone(), source })?;
                let is_executable = {
                    use std::os::unix::fs::PermissionsExt;
                    metadata.permissions().mode() & 0o111 != 0
                };
                let user_file = UserFile { name: name.clone(), bytes, is_executable };
                if let Some((_, first)) = files.insert(name.clone(), (user_file, path.clone())) {
                    return Err(Error::DuplicateFile { name, first: first.to_string(), second: path.to_string() });
                }
            }
        }
    }
    Ok(files.into_values().unzip())
}

/// The `code_hash` of `docs/format.md`: name, NUL, size, NUL, bytes, for each file by name.
fn code_hash(files: &[UserFile]) -> Sha256Digest {
    let mut hasher = Hasher::default();
    for file in files {
        hasher.update(file.name.as_bytes());
        hasher.update(b"\0");
        hasher.update(file.bytes.len().to_string().as_bytes());
        hasher.update(b"\0");
        hasher.update(&file.bytes);
    }
    hasher.finish()
}

/// Checks that the module an entry point imports, or the script it runs, is in the PEX. The
/// function of `module:function` is not checked: that would need running the module.
fn check_entry_point(entry_point: &EntryPoint, wheels: &[Wheel], user_files: &[UserFile]) -> Result<(), Error> {
    let mut paths: HashSet<&str> = user_files.iter().map(|file| file.name.as_str()).collect();
    paths.extend(wheels.iter().flat_map(|wheel| wheel.members.iter().map(|member| member.installed_path.as_str())));

    if let EntryPoint::Script(script) = entry_point {
        let mut available: Vec<&str> = wheels
            .iter()
            .flat_map(|wheel| wheel.entry_point_scripts.iter().map(|(name, _)| name).chain(&wheel.data_scripts))
            .map(String::as_str)
            .collect();
        if available.contains(&script.as_str()) {
            return Ok(());
        }
        available.sort_unstable();
        available.dedup();
        let available = if available.is_empty() { "none".to_owned() } else { available.join(", ") };
        return Err(Error::ScriptNotFound { script: script.clone(), available });
    }
    let module = entry_point.module().expect("not a script");
    let base = module.replace('.', "/");
    let is_module = paths.contains(format!("{base}.py").as_str())
        || paths.contains(format!("{base}.pyc").as_str())
        || paths.iter().any(|path| {
            path.strip_prefix(&base)
                .and_then(|rest| rest.strip_prefix('.'))
                .is_some_and(|suffix| !suffix.contains('/') && (suffix.ends_with("so") || suffix.ends_with("pyd")))
        });
    let is_package = paths.contains(format!("{base}/__init__.py").as_str());
    if is_module {
        return Ok(());
    }
    if is_package {
        let runs_as_main = matches!(entry_point, EntryPoint::Function { .. })
            || paths.contains(format!("{base}/__main__.py").as_str());
        return if runs_as_main { Ok(()) } else { Err(Error::EntryPointPackage { module: module.to_owned() }) };
    }
    Err(Error::EntryPointNotFound { module: module.to_owned(), expected: format!("{base}.py` or `{base}/__init__.py") })
}
