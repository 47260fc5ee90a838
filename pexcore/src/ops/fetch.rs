//! From requirements to verified wheel files: gather the requirements (command line,
//! requirements and constraints files), choose the indexes, resolve, download in parallel, and
//! open every wheel (which verifies it).

use std::sync::Arc;

use camino::{Utf8Path, Utf8PathBuf};
use rayon::prelude::*;
use url::Url;

use crate::cache::Cache;
use crate::error::Error;
use crate::index::{FindLinks, Index, IndexOrigin, NetworkOptions, PipConfig, parse_index_url};
use crate::interpreter::Interpreter;
use crate::pexinfo::TargetWheels;
use crate::progress::Reporter;
use crate::requirement::{Requirement, VersionOrUrl, parse_requirement};
use crate::requirements_file::{Entry, EntryKind, RequirementsFile, parse_entry};
use crate::resolve::{self, Pinned, UserRequirement};
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
    pub extra_index_urls: Vec<String>,
    /// Directories or URLs of pages that list wheels (`--find-links`).
    pub find_links: Vec<String>,
    /// Ask no index, only find-links (`--no-index`).
    pub no_index: bool,
    /// Allow pre-releases (`--pre`).
    pub pre: bool,
    /// Take only the named requirements, none of their dependencies (`--no-transitive`).
    pub no_transitive: bool,
    /// Use only the cache (`--offline`).
    pub offline: bool,
    /// Revalidate every cached index page (`--refresh`).
    pub refresh: bool,
    pub network: NetworkOptions,
}

impl ResolveOptions {
    /// `true` when there is something to resolve (requirements or requirements files).
    pub fn is_empty(&self) -> bool {
        self.requirements.is_empty() && self.requirement_files.is_empty()
    }
}

/// A resolution: the chosen wheels (not downloaded yet) and where they come from.
pub(crate) struct Resolution {
    /// Held until the wheels are downloaded, so `pex-rs cache clear` cannot pull them away.
    _lock: crate::cache::CacheLock,
    index: Index,
    pub(crate) pinned: Vec<Pinned>,
    /// The top-level requirements, as PEX-INFO records them.
    pub(crate) requirements: Vec<String>,
    /// The wheel file names of each target, sorted, when the targets got different sets
    /// (PEX-INFO `pex_rs_targets`); empty otherwise.
    pub(crate) per_target: Vec<TargetWheels>,
}

/// Resolves `options` for each of `targets` (the union of their wheels), with `local_wheels`
/// (wheel files given on the command line) taking part as direct references. `fallback` finds
/// an interpreter whose pip names the default index when no target is an interpreter.
pub(crate) fn resolve(
    options: &ResolveOptions,
    local_wheels: &[Utf8PathBuf],
    targets: &[Target],
    fallback: &dyn Fn() -> Option<Interpreter>,
    cache: &Cache,
    reporter: &Arc<dyn Reporter>,
) -> Result<Resolution, Error> {
    let lock = cache.lock_shared()?;
    let working_directory = crate::fs::absolute(Utf8Path::new("."));
    let mut gathered = RequirementsFile::default();
    for text in &options.requirements {
        gathered.requirements.push(parse_entry(text, &working_directory, "the command line")?);
    }
    for path in local_wheels {
        gathered.requirements.push(parse_entry(path.as_str(), &working_directory, "the command line")?);
    }
    for path in &options.requirement_files {
        gathered.merge(RequirementsFile::read(path)?);
    }
    for path in &options.constraint_files {
        gathered.merge(RequirementsFile::read_constraints(path)?);
    }
    let requirements: Vec<UserRequirement> = gathered
        .requirements
        .iter()
        .map(|entry| Ok(UserRequirement { requirement: to_requirement(entry)?, hashes: entry.hashes.clone() }))
        .collect::<Result<_, Error>>()?;
    let constraints: Vec<Requirement> = gathered.constraints.iter().map(to_requirement).collect::<Result<_, _>>()?;

    let index = open_index(options, &gathered, targets, fallback, cache, reporter)?;
    reporter.resolve_started();
    // One resolution per target, in parallel; they share the index and so each page and
    // METADATA file is fetched once.
    let resolutions: Vec<Result<Vec<Pinned>, resolve::Error>> = std::thread::scope(|scope| {
        let handles: Vec<_> = targets
            .iter()
            .map(|target| {
                let request = resolve::Request {
                    requirements: requirements.clone(),
                    constraints: constraints.clone(),
                    pre: options.pre || gathered.pre,
                    transitive: !options.no_transitive,
                    target,
                };
                let index = &index;
                scope.spawn(move || resolve::resolve(index, &request))
            })
            .collect();
        handles.into_iter().map(|handle| handle.join().expect("a resolver thread panicked")).collect()
    });
    let mut pinned: Vec<Pinned> = Vec::new();
    let mut per_target: Vec<TargetWheels> = Vec::new();
    for (target, resolution) in targets.iter().zip(resolutions) {
        let resolution = resolution.map_err(|source| Error::ResolveTarget {
            target: target.description().to_owned(),
            error: Box::new(source),
            several: targets.len() > 1,
        })?;
        let mut set: Vec<String> = resolution.iter().map(|chosen| chosen.file.filename.to_string()).collect();
        set.sort();
        per_target.push(TargetWheels { interpreter: target.interpreter_tag(), wheels: set });
        for chosen in resolution {
            if !pinned.iter().any(|existing| existing.file.filename == chosen.file.filename) {
                pinned.push(chosen);
            }
        }
    }
    pinned.sort_by(|left, right| left.file.filename.as_str().cmp(right.file.filename.as_str()));
    reporter.resolve_finished(pinned.len());
    tracing::info!("resolved {} wheels", pinned.len());
    // pip's hash-checking mode: once one requirement carries a `--hash` (or a file says
    // `--require-hashes`), every wheel must be pinned by one, dependencies included.
    let hash_checking = gathered.require_hashes || requirements.iter().any(|user| !user.hashes.is_empty());
    let unpinned: Vec<String> = pinned
        .iter()
        .filter(|pinned| pinned.hashes.is_empty())
        .map(|pinned| {
            let digest = pinned.file.sha256.map_or_else(|| "<its sha256>".to_owned(), |digest| digest.to_string());
            format!("`{}=={} --hash=sha256:{digest}`", pinned.name, pinned.version)
        })
        .collect();
    if hash_checking && !unpinned.is_empty() {
        // All at once, as pip lists them: one run tells everything to add.
        return Err(Error::MissingHash { count: unpinned.len(), lines: unpinned.join(", ") });
    }
    // A wheel given by path or URL is recorded as `name==version`: its location is a detail of
    // this build machine, and would make the PEX differ between checkouts.
    let recorded = gathered
        .requirements
        .iter()
        .zip(&requirements)
        .map(|(entry, user)| match (&entry.kind, &user.requirement.version_or_url) {
            (EntryKind::Requirement(_), _) | (_, None | Some(VersionOrUrl::VersionSpecifier(_))) => {
                user.requirement.to_string()
            }
            (_, Some(VersionOrUrl::Url(url))) => crate::index::wheel_filename_of(&url.to_url()).map_or_else(
                || user.requirement.to_string(),
                |filename| format!("{}=={}", filename.name(), filename.version()),
            ),
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
    Ok(Resolution { _lock: lock, index, pinned, requirements: recorded, per_target })
}

/// Downloads the wheels of `resolution` in parallel and opens (verifies) each.
pub(crate) fn download(resolution: &Resolution, cache: &Cache) -> Result<Vec<Wheel>, Error> {
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(DOWNLOAD_THREADS)
        .build()
        .map_err(|error| Error::ThreadPool(error.to_string()))?;
    pool.install(|| {
        resolution.pinned.par_iter().map(|pinned| download_and_open(&resolution.index, pinned, cache)).collect()
    })
}

/// Downloads (or finds in the cache) and opens one wheel. A cache entry whose bytes no longer
/// match is discarded and downloaded again, once.
fn download_and_open(index: &Index, pinned: &Pinned, cache: &Cache) -> Result<Wheel, Error> {
    let expected = pinned.file.sha256;
    for attempt in 0..2 {
        let downloaded = index.download(&pinned.file, &pinned.hashes)?;
        let wheel = match Wheel::open_hashed(&downloaded.path, Some(cache), downloaded.sha256) {
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
            return Ok(wheel);
        }
        if !downloaded.cached || attempt == 1 {
            return Err(crate::index::Error::HashMismatch {
                file: pinned.file.filename.to_string(),
                expected: expected.map_or_else(|| "a `--hash` pin".to_owned(), |digest| digest.to_string()),
                actual: wheel.sha256.to_string(),
                source_of_truth: if expected.is_some() { "the index" } else { "the `--hash` pin" },
            }
            .into());
        }
        Index::discard(&downloaded);
    }
    unreachable!("the loop returns on its second pass")
}

/// A requirement for an entry: a wheel path or URL becomes `name @ URL`.
fn to_requirement(entry: &Entry) -> Result<Requirement, Error> {
    let url = match &entry.kind {
        EntryKind::Requirement(requirement) => return Ok(requirement.clone()),
        EntryKind::LocalWheel(path) => Url::from_file_path(path)
            .map_err(|()| Error::NotAWheel { origin: entry.origin.clone(), text: path.to_string() })?,
        EntryKind::WheelUrl(text) => {
            Url::parse(text).map_err(|_| Error::NotAWheel { origin: entry.origin.clone(), text: text.clone() })?
        }
    };
    let filename = crate::index::wheel_filename_of(&url)
        .ok_or_else(|| Error::NotAWheel { origin: entry.origin.clone(), text: url.to_string() })?;
    parse_requirement(&format!("{} @ {url}", filename.name()))
        .map_err(|reason| Error::NotAWheel { origin: entry.origin.clone(), text: format!("{url}: {reason}") })
}

/// Opens the indexes in the order DESIGN.md fixes (see `index::config`).
fn open_index(
    options: &ResolveOptions,
    gathered: &RequirementsFile,
    targets: &[Target],
    fallback: &dyn Fn() -> Option<Interpreter>,
    cache: &Cache,
    reporter: &Arc<dyn Reporter>,
) -> Result<Index, Error> {
    let no_index = options.no_index || gathered.no_index;
    let mut indexes = Vec::new();
    if !no_index {
        let (primary, origin) = choose_index_url(options, gathered, targets, fallback)?;
        indexes.push(parse_index_url(&primary)?);
        let mut extras: Vec<String> =
            options.extra_index_urls.iter().chain(&gathered.extra_index_urls).cloned().collect();
        // pip's configured extra indexes join only an index that pip's configuration chose too,
        // so `--index-url` (or `PEX_RS_INDEX_URL`) alone decides where projects come from.
        if !matches!(origin, IndexOrigin::CommandLine | IndexOrigin::Environment(crate::env::INDEX_URL)) {
            extras.extend(PipConfig::load().extra_index_urls);
        }
        for extra in extras {
            let url = parse_index_url(&extra)?;
            if !indexes.contains(&url) {
                indexes.push(url);
            }
        }
        tracing::debug!("package index from {origin:?}");
    }
    let find_links = options
        .find_links
        .iter()
        .chain(&gathered.find_links)
        .map(|text| FindLinks::parse(text))
        .collect::<Result<Vec<_>, _>>()?;
    let mut network = options.network.clone();
    if network.netrc.is_none() {
        network.netrc = crate::env::var(crate::env::NETRC)
            .map(std::path::PathBuf::from)
            .or_else(|| crate::env::var(crate::env::HOME).map(|home| std::path::PathBuf::from(home).join(".netrc")))
            .and_then(|path| Utf8PathBuf::from_path_buf(path).ok());
    }
    Ok(Index::new(
        indexes,
        find_links,
        &network,
        cache.clone(),
        options.offline,
        options.refresh,
        Arc::clone(reporter),
    )?)
}

/// The primary index URL and where it came from.
fn choose_index_url(
    options: &ResolveOptions,
    gathered: &RequirementsFile,
    targets: &[Target],
    fallback: &dyn Fn() -> Option<Interpreter>,
) -> Result<(String, IndexOrigin), Error> {
    if let Some(url) = options.index_url.clone().or_else(|| gathered.index_url.clone()) {
        return Ok((url, IndexOrigin::CommandLine));
    }
    for name in [crate::env::INDEX_URL, crate::env::PIP_INDEX_URL] {
        if let Some(value) = crate::env::var(name) {
            return Ok((value.to_string_lossy().into_owned(), IndexOrigin::Environment(name)));
        }
    }
    if let Some((url, path)) = PipConfig::load().index_url {
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
