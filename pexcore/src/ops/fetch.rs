//! From requirements to verified wheel files: gather the requirements (command line,
//! requirements and constraints files), choose the indexes, prepare direct references and local
//! projects, resolve, then download wheels in parallel and build the chosen sources, and open
//! every wheel (which verifies it).

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use camino::{Utf8Path, Utf8PathBuf};
use rayon::prelude::*;
use url::Url;

use super::locked::{self, LockedProjects};
use super::sources::{Context, Prepared};
use crate::cache::Cache;
use crate::error::Error;
use crate::index::{FindLinks, Index, IndexOrigin, NetworkOptions, PipConfig, parse_index_url};
use crate::interpreter::Interpreter;
use crate::lockfile::LockFile;
use crate::pexinfo::TargetWheels;
use crate::progress::Reporter;
use crate::requirement::{PackageName, Requirement};
use crate::requirements_file::{BinaryOption, RequirementsFile, parse_entry};
use crate::resolve::{self, Candidate, Pinned};
use crate::target::Target;
use crate::wheel::Wheel;

/// How many downloads run at the same time.
const DOWNLOAD_THREADS: usize = 8;

/// What to resolve and where to look: the pip-style options of `pex-rs build`. Start from
/// [`ResolveOptions::default`] and set the fields.
#[derive(Clone, Debug, Default)]
#[non_exhaustive]
#[expect(clippy::struct_excessive_bools, reason = "pip's flags, one field each")]
pub struct ResolveOptions {
    /// Requirements as given on the command line: PEP 508 strings, wheel paths or wheel URLs.
    pub requirements: Vec<String>,
    /// Requirements files (`-r`).
    pub requirement_files: Vec<Utf8PathBuf>,
    /// Constraints files (`--constraint`).
    pub constraint_files: Vec<Utf8PathBuf>,
    /// The index (`--index-url`); otherwise chosen from the environment (docs/resolve.md).
    pub index_url: Option<String>,
    /// Indexes asked besides the main one (`--extra-index-url`).
    pub extra_index_urls: Vec<String>,
    /// Directories or URLs of pages that list wheels (`--find-links`).
    pub find_links: Vec<String>,
    /// Ask no index, only find-links (`--no-index`).
    pub no_index: bool,
    /// Allow pre-releases (`--pre`).
    pub pre: bool,
    /// pip's hash-checking mode (`--require-hashes`): every file must be pinned by a `--hash`.
    pub require_hashes: bool,
    /// Take only the named requirements, none of their dependencies (`--no-transitive`).
    pub no_transitive: bool,
    /// Use only the cache (`--offline`).
    pub offline: bool,
    /// Revalidate every cached index page (`--refresh`).
    pub refresh: bool,
    /// Certificates, timeouts, retries and credentials of HTTP requests.
    pub network: NetworkOptions,
    /// `--no-binary` and `--only-binary` values (comma-separated names, `:all:` or `:none:`),
    /// in the order given: which projects are built from source rather than taken as wheels,
    /// and which never are.
    pub binary_options: Vec<BinaryOption>,
    /// Prefer an older version that has a wheel to a newer one to build (`--prefer-binary`).
    pub prefer_binary: bool,
    /// Build nothing from source, not even local projects (`--no-build`).
    pub no_build: bool,
    /// Build in the interpreter's own environment instead of one with the build's requirements
    /// (`--no-build-isolation`).
    pub no_build_isolation: bool,
    /// `KEY=VALUE` settings for every build backend (`--config-settings`).
    pub config_settings: Vec<String>,
    /// Constraints files for what builds require (`--build-constraint`).
    pub build_constraint_files: Vec<Utf8PathBuf>,
    /// A lock file to build from (`--lock`): no index is asked, and the requirements, if any,
    /// choose a subset of it.
    pub lock: Option<Utf8PathBuf>,
    /// The environment variables resolution reads: the index (`PEX_RS_INDEX_URL`,
    /// `PIP_INDEX_URL`, pip's configuration files), credentials (`NETRC`), `${NAME}` in
    /// requirements files, the `PATH` of source builds, the default cache. Defaults to none: a
    /// library build sees nothing of the process's environment unless given
    /// [`crate::Environment::from_process`], as the CLI and the C ABI do.
    pub environment: crate::env::Environment,
    /// The extras of the lock to install besides its base packages (`--extra`, PEP 751).
    pub lock_extras: Vec<String>,
    /// The dependency groups of the lock to install (`--group`); none: its `default-groups`.
    pub lock_groups: Vec<String>,
}

impl ResolveOptions {
    /// `true` when there is nothing to resolve (no requirements, requirements files or lock).
    pub fn is_empty(&self) -> bool {
        self.requirements.is_empty() && self.requirement_files.is_empty() && self.lock.is_none()
    }

    /// The lock file to build from, read.
    pub(crate) fn read_lock(&self) -> Result<Option<(LockFile, &Utf8Path)>, Error> {
        self.lock.as_deref().map(|path| Ok((LockFile::read(path)?, path))).transpose()
    }
}

/// How a resolution uses a lock file.
#[derive(Clone, Copy)]
pub(crate) enum Locking<'l> {
    /// No lock: the indexes decide (a build without `--lock`, `pex-rs resolve`).
    None,
    /// The indexes decide, and the lock's versions are kept where they still fit (`pex-rs lock`
    /// over an existing lock).
    Prefer(&'l LockFile),
    /// The lock decides: only its packages and files, no index (`build --lock`, `lock
    /// --check`). The path is the lock's, which its relative paths start from.
    Only(&'l LockFile, &'l Utf8Path),
}

/// A resolution: the chosen distributions of each target (not downloaded or built yet) and
/// where they come from.
pub(crate) struct Resolved<'a> {
    /// Held until the wheels are downloaded, so `pex-rs cache clear` cannot pull them away.
    _lock: crate::cache::CacheLock,
    pub(crate) context: Context<'a>,
    /// The projects given as direct references (a path, a URL, a checkout).
    pub(crate) direct: HashMap<PackageName, Candidate>,
    /// What each target resolved to, in the order of the targets.
    pub(crate) per_target: Vec<(&'a Target, Vec<Pinned>)>,
    /// The top-level requirements, as PEX-INFO records them.
    pub(crate) requirements: Vec<String>,
    /// The files on this machine that went into the resolution: requirements, constraints
    /// and lock files, local wheels and sdists.
    pub(crate) inputs: Vec<Utf8PathBuf>,
    /// The local projects built (not checkouts), whose files are inputs too.
    pub(crate) projects: Vec<Utf8PathBuf>,
}

/// Resolves `options` for each of `targets` (the union of their wheels), with `local_wheels`
/// (wheel files given on the command line) taking part as direct references. `fallback` finds
/// an interpreter whose pip names the default index when no target is an interpreter, and which
/// builds sources for targets that are not interpreters. `output`, the PEX being built, is never
/// part of a local project.
#[expect(clippy::too_many_arguments, reason = "the inputs of a build that resolution and source builds share")]
pub(crate) fn resolve<'a>(
    options: &ResolveOptions,
    local_wheels: &[Utf8PathBuf],
    targets: &'a [Target],
    fallback: &'a (dyn Fn() -> Option<Interpreter> + Send + Sync),
    source_date_epoch: Option<u64>,
    output: Option<&Utf8Path>,
    cache: &Cache,
    reporter: &Arc<dyn Reporter>,
    locking: Locking<'_>,
) -> Result<Resolved<'a>, Error> {
    let lock = cache.lock_shared()?;
    let working_directory = crate::fs::absolute(Utf8Path::new("."));
    let mut gathered = RequirementsFile::default();
    for option in &options.binary_options {
        gathered
            .format_control
            .apply(option)
            .map_err(|reason| Error::FormatControl { option: option.clone(), reason })?;
    }
    for text in &options.requirements {
        gathered.requirements.push(parse_entry(text, &working_directory, crate::requirements_file::COMMAND_LINE)?);
    }
    for path in local_wheels {
        gathered.requirements.push(parse_entry(
            path.as_str(),
            &working_directory,
            crate::requirements_file::COMMAND_LINE,
        )?);
    }
    for path in &options.requirement_files {
        gathered.merge(RequirementsFile::read(path, &options.environment)?);
    }
    for path in &options.constraint_files {
        gathered.merge(RequirementsFile::read_constraints(path, &options.environment)?);
    }
    let constraints: Vec<Requirement> = gathered.constraints.iter().map(constraint_of).collect();
    let mut build_constraints = Vec::new();
    let mut inputs = Vec::new();
    for path in &options.build_constraint_files {
        let file = RequirementsFile::read_constraints(path, &options.environment)?;
        build_constraints.extend(file.constraints.iter().map(constraint_of));
        inputs.extend(file.files);
    }

    let only = matches!(locking, Locking::Only(..));
    let index = open_index(options, &gathered, targets, fallback, cache, reporter, only)?;
    // pip's hash-checking mode: once one requirement carries a `--hash` (or a file says
    // `--require-hashes`), every file must be pinned by one, dependencies included; a project
    // directory or a checkout (pinned by its commit) has no file to hash.
    let hash_checking = options.require_hashes
        || gathered.require_hashes
        || gathered.requirements.iter().any(|entry| !entry.hashes.is_empty());
    let mut pins: HashMap<_, Vec<_>> = HashMap::new();
    for entry in &gathered.requirements {
        if let crate::requirements_file::EntryKind::Requirement(requirement) = &entry.kind {
            pins.entry(requirement.name.clone()).or_default().extend(entry.hashes.iter().copied());
        }
    }
    pins.retain(|_, digests| !digests.is_empty());
    let mut format_control = gathered.format_control.clone();
    if options.no_build {
        format_control.only_binary(":all:").expect("`:all:` is valid");
    }
    let config_settings = options
        .config_settings
        .iter()
        .map(|text| {
            text.split_once('=')
                .filter(|(key, _)| !key.is_empty())
                .map(|(key, value)| (key.to_owned(), value.to_owned()))
                .ok_or_else(|| Error::ConfigSetting { text: text.clone() })
        })
        .collect::<Result<Vec<_>, _>>()?;
    let settings = crate::sdist::BuildSettings {
        isolation: !options.no_build_isolation,
        config_settings,
        source_date_epoch: source_date_epoch.unwrap_or(crate::sdist::DEFAULT_SOURCE_DATE_EPOCH),
        constraints: build_constraints.iter().map(ToString::to_string).collect::<Vec<_>>().join("\n"),
        search_path: options.environment.var(crate::env::PATH).map(ToOwned::to_owned),
        excluded: output.map(crate::fs::absolute).into_iter().collect(),
    };
    let builder = crate::sdist::Builder::new(cache.clone(), settings, Arc::clone(reporter));
    let mut context = Context::new(
        index,
        cache.clone(),
        builder,
        format_control,
        options.prefer_binary || gathered.prefer_binary,
        options.no_build,
        build_constraints,
        (pins, hash_checking),
        targets.iter().find_map(Target::interpreter),
        fallback,
    );
    if let Locking::Only(lock_file, path) = locking {
        let locked = LockedProjects::new(lock_file, path, &context.index)?;
        context.pin_locked(&locked);
        context.locked = Some(locked);
    }
    let sources = context.sources();
    let prepared: Vec<Prepared> =
        gathered.requirements.iter().map(|entry| sources.prepare(entry, targets)).collect::<Result<_, _>>()?;
    let mut direct: HashMap<_, _> = prepared.iter().filter_map(|prepared| prepared.direct.clone()).collect();
    let requirements: Vec<resolve::UserRequirement> =
        prepared.iter().map(|prepared| prepared.requirement.clone()).collect();
    // What each target resolves: the user's requirements (a subset of a lock, when there is
    // one), else everything the lock installs there; and the versions a lock allows or prefers.
    let mut plans = Vec::new();
    for target in targets {
        let plan = match locking {
            Locking::None => locked::Plan::default(),
            Locking::Prefer(lock_file) => locked::Plan::preferring(lock_file, target),
            Locking::Only(lock_file, path) => locked::Plan::only(
                lock_file,
                path,
                target,
                (&options.lock_extras, &options.lock_groups, !requirements.is_empty()),
                &sources,
                &mut direct,
                targets,
            )?,
        };
        plans.push(plan);
    }

    reporter.resolve_started();
    // One resolution per target, in parallel; they share the index and so each page and
    // METADATA file is fetched once.
    let resolutions: Vec<Result<Vec<Pinned>, resolve::Error>> = std::thread::scope(|scope| {
        let handles: Vec<_> = targets
            .iter()
            .zip(&plans)
            .map(|(target, plan)| {
                let request = resolve::Request {
                    requirements: if requirements.is_empty() { plan.roots.clone() } else { requirements.clone() },
                    preferences: plan.preferences.clone(),
                    only: plan.only.clone(),
                    constraints: constraints.clone(),
                    direct: direct.clone(),
                    pre: options.pre || gathered.pre,
                    transitive: !options.no_transitive,
                    format_control: &context.format_control,
                    prefer_binary: context.prefer_binary,
                    target,
                };
                let sources = &sources;
                scope.spawn(move || resolve::resolve(sources, &request))
            })
            .collect();
        handles.into_iter().map(|handle| handle.join().expect("a resolver thread panicked")).collect()
    });
    let mut per_target = Vec::new();
    for (target, resolution) in targets.iter().zip(resolutions) {
        let resolution = resolution.map_err(|error| target_error(target, targets.len(), error))?;
        per_target.push((target, resolution));
    }
    let count = per_target.iter().map(|(_, pinned)| pinned.len()).max().unwrap_or(0);
    reporter.resolve_finished(count);
    tracing::info!("resolved {count} distributions");
    let mut unpinned: Vec<String> = per_target
        .iter()
        .flat_map(|(_, pinned)| pinned)
        // A lock pins each of its files by the digest it gives.
        .filter(|pinned| pinned.hashes.is_empty() && !(only && pinned.candidate.sha256().is_some()))
        .filter(|pinned| !matches!(pinned.candidate, Candidate::Tree(_)))
        .map(|pinned| {
            let digest =
                pinned.candidate.sha256().map_or_else(|| "<its sha256>".to_owned(), |digest| digest.to_string());
            format!("`{}=={} --hash=sha256:{digest}`", pinned.name, pinned.version)
        })
        .collect();
    unpinned.sort();
    unpinned.dedup();
    if hash_checking && !unpinned.is_empty() {
        // All at once, as pip lists them: one run tells everything to add.
        return Err(Error::MissingHash { count: unpinned.len(), lines: unpinned.join(", ") });
    }
    let mut recorded: Vec<String> = prepared.into_iter().map(|prepared| prepared.recorded).collect();
    if recorded.is_empty()
        && let Locking::Only(lock_file, _) = locking
    {
        recorded = locked::recorded_requirements(lock_file, &per_target);
    }
    drop(sources);
    inputs.extend(gathered.files);
    inputs.extend(local_wheels.iter().cloned());
    if let Locking::Only(_, path) = locking {
        inputs.push(path.to_owned());
    }
    let mut projects = Vec::new();
    for (_, pinned) in &per_target {
        for pinned in pinned {
            let url = match &pinned.candidate {
                Candidate::Wheel(file) => &file.url,
                Candidate::Sdist(file) => &file.url,
                Candidate::Tree(tree) => {
                    if tree.git.is_none() && !projects.contains(&tree.root) {
                        projects.push(tree.root.clone());
                    }
                    continue;
                }
            };
            if let Some(path) = url.to_file_path().ok().and_then(|path| Utf8PathBuf::from_path_buf(path).ok()) {
                inputs.push(path);
            }
        }
    }
    inputs.sort();
    inputs.dedup();
    Ok(Resolved { _lock: lock, context, direct, per_target, requirements: recorded, inputs, projects })
}

/// A resolution error, naming its target when the build has several.
fn target_error(target: &Target, targets: usize, error: resolve::Error) -> Error {
    Error::ResolveTarget(crate::error::TargetError {
        target: target.description().to_owned(),
        error: Box::new(error),
        several: targets > 1,
    })
}

/// The wheels of a resolution, each target's set of them, and where built ones came from.
pub(crate) struct Fetched {
    pub(crate) wheels: Vec<Wheel>,
    /// The wheel file names of each target, sorted, when the targets got different sets
    /// (PEX-INFO `pex_rs_targets`); empty otherwise.
    pub(crate) per_target: Vec<TargetWheels>,
    /// Wheel file name to what it was built from (PEX-INFO `pex_rs_built`).
    pub(crate) built: BTreeMap<String, String>,
}

/// Downloads the wheels of `resolution` in parallel, builds its sources for the targets that
/// chose them, and opens (verifies) each.
pub(crate) fn download(resolution: &Resolved<'_>) -> Result<Fetched, Error> {
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(DOWNLOAD_THREADS)
        .build()
        .map_err(|error| Error::ThreadPool(error.to_string()))?;
    let context = &resolution.context;
    let mut downloads: Vec<&Pinned> = Vec::new();
    // Each source once, with the targets that chose it: targets of the same Python take the
    // same build.
    let mut builds: Vec<(&Pinned, Vec<usize>)> = Vec::new();
    for (position, (_, pinned)) in resolution.per_target.iter().enumerate() {
        for chosen in pinned {
            match &chosen.candidate {
                Candidate::Wheel(file) => {
                    if !downloads.iter().any(
                        |other| matches!(&other.candidate, Candidate::Wheel(other) if other.filename == file.filename),
                    ) {
                        downloads.push(chosen);
                    }
                }
                Candidate::Sdist(_) | Candidate::Tree(_) => {
                    match builds
                        .iter_mut()
                        .find(|(other, _)| other.name == chosen.name && other.version == chosen.version)
                    {
                        Some((_, positions)) => positions.push(position),
                        None => builds.push((chosen, vec![position])),
                    }
                }
            }
        }
    }
    let mut wheels: Vec<Wheel> = pool.install(|| {
        downloads
            .par_iter()
            .map(|pinned| download_and_open(&context.index, pinned, &context.cache))
            .collect::<Result<Vec<_>, _>>()
    })?;
    // Builds run one at a time (`sdist`), here on this thread rather than in the download pool:
    // a build waits for the builds it needs, which must not be queued behind it.
    let sources = context.sources();
    let built: Vec<Vec<Wheel>> = builds
        .iter()
        .map(|(pinned, positions)| {
            positions
                .iter()
                .map(|&position| {
                    let target = resolution.per_target[position].0;
                    sources
                        .build(pinned, target)
                        .map_err(|error| target_error(target, resolution.per_target.len(), error))
                })
                .collect()
        })
        .collect::<Result<_, _>>()?;
    let mut sets: Vec<Vec<String>> = resolution
        .per_target
        .iter()
        .map(|(_, pinned)| {
            pinned
                .iter()
                .filter_map(|pinned| match &pinned.candidate {
                    Candidate::Wheel(file) => Some(file.filename.to_string()),
                    _ => None,
                })
                .collect()
        })
        .collect();
    let mut provenance = BTreeMap::new();
    for ((pinned, positions), wheels_built) in builds.iter().zip(built) {
        for (position, wheel) in positions.iter().zip(wheels_built) {
            let name = wheel.filename.to_string();
            sets[*position].push(name.clone());
            provenance.insert(name, built_from(&pinned.candidate));
            if !wheels.iter().any(|other| other.filename == wheel.filename) {
                wheels.push(wheel);
            }
        }
    }
    let mut per_target: Vec<TargetWheels> = resolution
        .per_target
        .iter()
        .zip(sets)
        .map(|((target, _), mut set)| {
            set.sort();
            TargetWheels { interpreter: target.interpreter_tag(), wheels: set }
        })
        .collect();
    per_target.sort();
    per_target.dedup();
    let mut distinct: Vec<&Vec<String>> = per_target.iter().map(|target| &target.wheels).collect();
    distinct.sort();
    distinct.dedup();
    if distinct.len() < 2 {
        per_target.clear();
    }
    Ok(Fetched { wheels, per_target, built: provenance })
}

/// What PEX-INFO says a built wheel came from: nothing of this machine (no paths).
fn built_from(candidate: &Candidate) -> String {
    match candidate {
        Candidate::Sdist(file) => match file.sha256 {
            Some(digest) => format!("sdist {} sha256:{digest}", file.filename),
            None => format!("sdist {}", file.filename),
        },
        Candidate::Tree(tree) if tree.git.is_some() => tree.origin.clone(),
        Candidate::Tree(_) => "local project".to_owned(),
        Candidate::Wheel(file) => file.filename.to_string(),
    }
}

/// Downloads (or finds in the cache) and opens one chosen wheel. A cache entry whose bytes no
/// longer match is discarded and downloaded again, once.
pub(crate) fn download_and_open(index: &Index, pinned: &Pinned, cache: &Cache) -> Result<Wheel, Error> {
    let Candidate::Wheel(file) = &pinned.candidate else { unreachable!("only wheels are downloaded") };
    let expected = file.sha256;
    for attempt in 0..2 {
        let downloaded = index.download(file, &pinned.hashes)?;
        // A cache entry found by the digest the index or lock gave need not be hashed again
        // while it is the file that was verified.
        let opened = match (downloaded.sha256, expected) {
            (None, Some(claimed)) if downloaded.cached => Wheel::open_cached(&downloaded.path, cache, claimed),
            (computed, _) => Wheel::open_hashed(&downloaded.path, Some(cache), computed),
        };
        let wheel = match opened {
            Ok(wheel) => wheel,
            // A damaged cache entry (truncated, overwritten) is fetched again.
            Err(error) if downloaded.cached && attempt == 0 => {
                tracing::debug!("the cached `{}` is damaged ({error})", downloaded.path);
                Index::discard(&downloaded);
                continue;
            }
            Err(error) => return Err(error.into()),
        };
        let matches = expected.is_none_or(|expected| expected == wheel.sha256)
            && (pinned.hashes.is_empty() || pinned.hashes.contains(&wheel.sha256));
        if matches {
            index.check_size(file, &downloaded.path)?;
            index.check_resolved_metadata(file, &wheel.metadata)?;
            return Ok(wheel);
        }
        if !downloaded.cached || attempt == 1 {
            return Err(crate::index::Error::HashMismatch {
                file: file.filename.to_string(),
                expected: expected.map_or_else(|| "a `--hash` pin".to_owned(), |digest| digest.to_string()),
                actual: wheel.sha256.to_string(),
                source_of_truth: if expected.is_some() { index.vouched_by() } else { "the `--hash` pin" },
            }
            .into());
        }
        Index::discard(&downloaded);
    }
    unreachable!("the loop returns on its second pass")
}

/// A constraint's requirement.
fn constraint_of(entry: &crate::requirements_file::Entry) -> Requirement {
    match &entry.kind {
        crate::requirements_file::EntryKind::Requirement(requirement) => requirement.clone(),
        // The reader refuses constraints that do not name their project.
        _ => unreachable!("a constraint names its project: {}", entry.origin),
    }
}

/// Opens the indexes in the order `docs/resolve.md` gives (see `index::config`).
fn open_index(
    options: &ResolveOptions,
    gathered: &RequirementsFile,
    targets: &[Target],
    fallback: &(dyn Fn() -> Option<Interpreter> + Send + Sync),
    cache: &Cache,
    reporter: &Arc<dyn Reporter>,
    from_lock: bool,
) -> Result<Index, Error> {
    let indexes = index_urls(options, gathered, targets, fallback, from_lock)?;
    let find_links = options
        .find_links
        .iter()
        .chain(&gathered.find_links)
        .map(|text| FindLinks::parse(text))
        .collect::<Result<Vec<_>, _>>()?;
    let mut network = options.network.clone();
    if network.netrc.is_none() {
        let environment = &options.environment;
        network.netrc = environment
            .var(crate::env::NETRC)
            .map(std::path::PathBuf::from)
            .or_else(|| environment.var(crate::env::HOME).map(|home| std::path::PathBuf::from(home).join(".netrc")))
            .and_then(|path| Utf8PathBuf::from_path_buf(path).ok());
    }
    let index = Index::new(
        indexes,
        find_links,
        &network,
        cache.clone(),
        options.offline,
        options.refresh,
        Arc::clone(reporter),
    )?;
    Ok(if from_lock { index.vouched_by_lock() } else { index })
}

/// The index URLs: the primary, then the extra ones; none with `--no-index`.
fn index_urls(
    options: &ResolveOptions,
    gathered: &RequirementsFile,
    targets: &[Target],
    fallback: &(dyn Fn() -> Option<Interpreter> + Send + Sync),
    from_lock: bool,
) -> Result<Vec<Url>, Error> {
    if options.no_index || gathered.no_index {
        return Ok(Vec::new());
    }
    // A build from a lock takes the lock's projects from the lock alone; an index serves only
    // what building a local project or sdist requires (which a lock does not list), so a build
    // from a lock needs none when nothing is built.
    let (primary, origin) = match choose_index_url(options, gathered, targets, fallback) {
        Err(Error::NoIndex { .. }) if from_lock => {
            tracing::debug!("no index: a build from the lock can build nothing from source");
            return Ok(Vec::new());
        }
        chosen => chosen?,
    };
    let mut indexes = vec![parse_index_url(&primary)?];
    let mut extras: Vec<String> = options.extra_index_urls.iter().chain(&gathered.extra_index_urls).cloned().collect();
    // pip's configured extra indexes join only an index that pip's configuration chose too,
    // so `--index-url` (or `PEX_RS_INDEX_URL`) alone decides where projects come from.
    if !matches!(origin, IndexOrigin::CommandLine | IndexOrigin::Environment(crate::env::INDEX_URL)) {
        extras.extend(PipConfig::load(&options.environment).extra_index_urls);
    }
    for extra in extras {
        let url = parse_index_url(&extra)?;
        if !indexes.contains(&url) {
            indexes.push(url);
        }
    }
    tracing::debug!("package index from {origin:?}");
    Ok(indexes)
}

/// The primary index URL and where it came from.
fn choose_index_url(
    options: &ResolveOptions,
    gathered: &RequirementsFile,
    targets: &[Target],
    fallback: &(dyn Fn() -> Option<Interpreter> + Send + Sync),
) -> Result<(String, IndexOrigin), Error> {
    if let Some(url) = options.index_url.clone().or_else(|| gathered.index_url.clone()) {
        return Ok((url, IndexOrigin::CommandLine));
    }
    for name in [crate::env::INDEX_URL, crate::env::PIP_INDEX_URL] {
        if let Some(value) = options.environment.var(name) {
            return Ok((value.to_string_lossy().into_owned(), IndexOrigin::Environment(name)));
        }
    }
    if let Some((url, path)) = PipConfig::load(&options.environment).index_url {
        return Ok((url, IndexOrigin::PipConfig(path)));
    }
    // The targets' own pip first; a build for platforms alone asks the `python3` on PATH.
    let mut asked: Vec<Interpreter> = targets.iter().filter_map(Target::interpreter).cloned().collect();
    if asked.is_empty() {
        asked.extend(fallback());
    }
    if let Some(url) = asked.iter().find_map(Interpreter::pip_index_url) {
        return Ok((url.to_owned(), IndexOrigin::PipDefault));
    }
    let checked = if asked.is_empty() {
        "no Python on PATH could be asked for pip's default".to_owned()
    } else {
        let names = asked.iter().map(|interpreter| format!("`{}`", interpreter.path())).collect::<Vec<_>>();
        format!("{} has no pip to ask", names.join(", "))
    };
    Err(Error::NoIndex { checked })
}

/// Copies the file of every wheel and sdist `resolution` chose into `directory` (created if
/// need be), each checked against its digest on the way, with the wheels that building its
/// sources requires (their `[build-system]` requirements): a directory that `--find-links DIR
/// --no-index` serves to pex-rs, pip and uv on a machine without a network. Returns the files'
/// paths, sorted. A local project or checkout has no file: only what building it requires is
/// copied (with a note).
pub(crate) fn copy_files(resolution: &Resolved<'_>, directory: &Utf8Path) -> Result<Vec<Utf8PathBuf>, Error> {
    let index = &resolution.context.index;
    let sources = resolution.context.sources();
    // Downloads are copied from the cache file by file; the few build requirement wheels are
    // in memory already.
    let mut files: BTreeMap<String, Result<Utf8PathBuf, Wheel>> = BTreeMap::new();
    for (target, pinned) in &resolution.per_target {
        for pinned in pinned {
            match &pinned.candidate {
                Candidate::Wheel(file) => {
                    let downloaded = index.download(file, &pinned.hashes)?;
                    index.check_size(file, &downloaded.path)?;
                    files.insert(file.filename.to_string(), Ok(downloaded.path));
                    continue;
                }
                Candidate::Sdist(file) => {
                    let downloaded = index.download(file, &pinned.hashes)?;
                    index.check_size(file, &downloaded.path)?;
                    files.insert(file.filename.to_string(), Ok(downloaded.path));
                }
                Candidate::Tree(tree) => {
                    tracing::warn!(
                        "{} is a directory, not a file: only what building it requires is copied",
                        tree.origin
                    );
                }
            }
            let wheels = sources.build_requirement_wheels(pinned, target).map_err(|error| {
                Error::BuildRequirements { project: pinned.candidate.describe(), source: Box::new(error) }
            })?;
            for wheel in wheels {
                files.entry(wheel.filename.to_string()).or_insert(Err(wheel));
            }
        }
    }
    fs_err::create_dir_all(directory).map_err(|source| Error::Write { path: directory.to_owned(), source })?;
    files
        .par_iter()
        .map(|(name, content)| {
            let destination = directory.join(name);
            let copied = match content {
                Ok(path) => crate::fs::OutputFile::create(&destination).and_then(|mut output| {
                    std::io::copy(&mut fs_err::File::open(path)?, output.file())?;
                    output.set_mode(0o644)?;
                    output.persist()
                }),
                Err(wheel) => crate::fs::write_atomic(&destination, wheel.bytes()),
            };
            copied.map_err(|source| Error::Write { path: destination.clone(), source })?;
            Ok(destination)
        })
        .collect()
}
