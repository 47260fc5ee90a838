//! Version solving: `PubGrub` over PEP 440 versions, with the wheels an index offers for one
//! target (an interpreter or a platform); a multi-target build solves once per target.
//!
//! Extras become their own packages (`name[extra]`), which depend on `name` at the same version
//! and on the requirements the extra adds, so `PubGrub` keeps both in step. Constraints narrow
//! every dependency on their project. While the solver works on one package, a pool of threads
//! fetches the pages and METADATA of the packages it will need next, so the network is busy in
//! parallel although the solver itself is sequential.

use std::cmp::Reverse;
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::fmt::{self, Write as _};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, mpsc};

use pubgrub::{Dependencies, DependencyProvider, PackageResolutionStatistics, Ranges};
use url::Url;

use crate::hash::Sha256Digest;
use crate::index::{Index, IndexFile, Project};
use crate::requirement::{ExtraName, Operator, PackageName, Requirement, Version, VersionOrUrl};
use crate::target::Target;

/// How many pages and METADATA files are fetched at the same time.
const PREFETCH_THREADS: usize = 16;

/// Why no set of wheels could be chosen.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    #[error("no set of wheels satisfies the requirements:\n{0}")]
    NoSolution(String),
    #[error(transparent)]
    Index(Box<crate::index::Error>),
    #[error(
        "the constraint on `{constraint}` is a URL (`{url}`); constraints take versions only, give the URL as a requirement"
    )]
    UrlConstraint { constraint: String, url: String },
    #[error("`{requirement}` is a direct reference to `{url}`, which is not a wheel; give a wheel URL or path")]
    DirectNotWheel { requirement: String, url: String },
    #[error("`{requirement}` names `{name}`, but its wheel `{filename}` is of `{found}`")]
    DirectNameMismatch { requirement: String, name: String, filename: String, found: String },
}

impl From<crate::index::Error> for Error {
    fn from(error: crate::index::Error) -> Self {
        Self::Index(Box::new(error))
    }
}

/// A requirement of the user, with the digests a `--hash` allows.
#[derive(Clone, Debug)]
pub(crate) struct UserRequirement {
    pub(crate) requirement: Requirement,
    pub(crate) hashes: Vec<Sha256Digest>,
}

/// What to solve for.
pub(crate) struct Request<'a> {
    pub(crate) requirements: Vec<UserRequirement>,
    pub(crate) constraints: Vec<Requirement>,
    /// Allow pre-releases everywhere (`--pre`); otherwise only where a specifier names one or
    /// nothing else fits, as pip does.
    pub(crate) pre: bool,
    /// Only the requirements themselves, none of their dependencies (`--no-transitive`).
    pub(crate) transitive: bool,
    pub(crate) target: &'a Target,
}

/// One chosen wheel.
#[derive(Clone, Debug)]
pub(crate) struct Pinned {
    pub(crate) name: PackageName,
    pub(crate) version: Version,
    pub(crate) file: IndexFile,
    /// The digests `--hash` allows for it (empty: any).
    pub(crate) hashes: Vec<Sha256Digest>,
}

/// A `PubGrub` package: the user's requirements, a project, or a project with one extra.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
enum Package {
    Root,
    Project(PackageName),
    Extra(PackageName, ExtraName),
}

impl fmt::Display for Package {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Root => f.write_str("the requirements"),
            Self::Project(name) => write!(f, "{name}"),
            Self::Extra(name, extra) => write!(f, "{name}[{extra}]"),
        }
    }
}

/// Solves `request` against `index`; the result is sorted by project name.
pub(crate) fn resolve(index: &Index, request: &Request<'_>) -> Result<Vec<Pinned>, Error> {
    let markers = request.target.markers();
    let mut direct = HashMap::new();
    let mut root = Vec::new();
    let mut hashes: HashMap<PackageName, Vec<Sha256Digest>> = HashMap::new();
    let mut prerelease_named = HashSet::new();
    for user in &request.requirements {
        let requirement = &user.requirement;
        if !requirement.evaluate_markers(markers, &[]) {
            tracing::debug!("skipping `{requirement}`: its markers do not apply");
            continue;
        }
        if let Some(VersionOrUrl::Url(url)) = &requirement.version_or_url {
            direct.insert(requirement.name.clone(), direct_file(requirement, &url.to_url())?);
        }
        if !user.hashes.is_empty() {
            hashes.entry(requirement.name.clone()).or_default().extend(user.hashes.iter().copied());
        }
        root.extend(dependencies_of(requirement, None));
    }
    let mut constraints: HashMap<PackageName, Ranges<Version>> = HashMap::new();
    for constraint in request.constraints.iter().filter(|constraint| constraint.evaluate_markers(markers, &[])) {
        if let Some(VersionOrUrl::Url(url)) = &constraint.version_or_url {
            return Err(Error::UrlConstraint {
                constraint: constraint.name.to_string(),
                url: redact_url(&url.to_url()),
            });
        }
        let range = range_of(constraint);
        constraints
            .entry(constraint.name.clone())
            .and_modify(|existing| *existing = existing.intersection(&range))
            .or_insert(range);
    }
    let mut exactly_pinned = HashSet::new();
    for requirement in request.requirements.iter().map(|user| &user.requirement).chain(&request.constraints) {
        let Some(VersionOrUrl::VersionSpecifier(specifiers)) = &requirement.version_or_url else { continue };
        if specifiers.iter().any(|specifier| specifier.version().any_prerelease()) {
            prerelease_named.insert(requirement.name.clone());
        }
        // pip takes a yanked file only when a requirement pins it with `==` or `===`.
        if specifiers.iter().any(|specifier| matches!(specifier.operator(), Operator::Equal | Operator::ExactEqual)) {
            exactly_pinned.insert(requirement.name.clone());
        }
    }
    let (sender, receiver) = mpsc::channel::<Prefetch>();
    let receiver = Mutex::new(receiver);
    let provider = Provider {
        pins: hashes.clone(),
        cancelled: AtomicBool::new(false),
        index,
        target: request.target,
        python_version: request.target.python_version().clone(),
        pre: request.pre,
        transitive: request.transitive,
        root,
        constraints,
        direct,
        prerelease_named,
        exactly_pinned,
        candidates: Mutex::new(HashMap::new()),
        notes: Mutex::new(BTreeMap::new()),
        unusable: Mutex::new(HashMap::new()),
        warned_extras: Mutex::new(HashSet::new()),
        prefetch: Mutex::new(Some(sender)),
        prefetched: Mutex::new(HashSet::new()),
    };
    let outcome = std::thread::scope(|scope| {
        for _ in 0..PREFETCH_THREADS {
            scope.spawn(|| {
                loop {
                    let next = receiver.lock().unwrap_or_else(std::sync::PoisonError::into_inner).recv();
                    let Ok((name, range)) = next else { break };
                    provider.warm(&name, &range);
                }
            });
        }
        // Closes the channel and cancels queued work when the solver returns or panics, so the
        // prefetch threads end at once and the scope can join them.
        let _stop = StopPrefetch(&provider);
        // Boxed: the failure holds the whole derivation tree.
        pubgrub::resolve(&provider, Package::Root, Version::new([0])).map_err(Box::new)
    });
    let selected = match outcome.map_err(|error| *error) {
        Ok(selected) => selected,
        Err(pubgrub::PubGrubError::NoSolution(mut tree)) => {
            tree.collapse_no_versions();
            let mut report = readable(&<pubgrub::DefaultStringReporter as pubgrub::Reporter<_, _, _>>::report(&tree));
            let notes = provider.notes.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
            for (name, note) in notes.iter() {
                let _ = write!(report, "\nnote: {name}: {note}");
            }
            return Err(Error::NoSolution(report));
        }
        Err(
            pubgrub::PubGrubError::ErrorRetrievingDependencies { source, .. }
            | pubgrub::PubGrubError::ErrorChoosingVersion { source, .. }
            | pubgrub::PubGrubError::ErrorInShouldCancel(source),
        ) => return Err(source),
    };
    let mut pinned = Vec::new();
    for (package, version) in selected {
        let Package::Project(name) = package else { continue };
        let file = provider.file_for(&name, &version)?.expect("the solver only picks versions that have a wheel");
        pinned.push(Pinned { hashes: hashes.remove(&name).unwrap_or_default(), name, version, file });
    }
    pinned.sort_by(|left, right| left.name.cmp(&right.name));
    Ok(pinned)
}

/// The versions of one project that have a wheel for the target: the best wheel of each,
/// highest version first, and whether it is yanked.
type Candidates = Arc<Vec<(Version, IndexFile)>>;

struct Provider<'a> {
    index: &'a Index,
    target: &'a Target,
    python_version: Version,
    pre: bool,
    transitive: bool,
    root: Vec<(Package, Ranges<Version>)>,
    constraints: HashMap<PackageName, Ranges<Version>>,
    direct: HashMap<PackageName, IndexFile>,
    prerelease_named: HashSet<PackageName>,
    exactly_pinned: HashSet<PackageName>,
    candidates: Mutex<HashMap<PackageName, Candidates>>,
    /// The unknown extras already warned about.
    warned_extras: Mutex<HashSet<(PackageName, ExtraName)>>,
    /// Per project, the versions whose wheels all need another Python (requires-python), and
    /// those whose wheels are all for other Pythons or platforms (tags): why a range is empty.
    unusable: Mutex<HashMap<PackageName, Unusable>>,
    /// Why a project had no usable wheel, for the conflict report.
    notes: Mutex<BTreeMap<PackageName, String>>,
    /// Closed (`None`) when the solver is done.
    prefetch: Mutex<Option<mpsc::Sender<Prefetch>>>,
    prefetched: Mutex<HashSet<PackageName>>,
    /// Set when the solver is done: queued prefetches are dropped.
    cancelled: AtomicBool,
    /// The digests `--hash` pins allow, per project: only those files are candidates.
    pins: HashMap<PackageName, Vec<Sha256Digest>>,
}

/// Versions of a project that need another Python (requires-python), and versions whose
/// wheels are all for other Pythons or platforms.
type Unusable = (BTreeSet<Version>, BTreeSet<Version>);

/// A project to fetch ahead, with the range the solver will ask about.
type Prefetch = (PackageName, Ranges<Version>);

/// Stops the prefetch threads when dropped (see `resolve`).
struct StopPrefetch<'a, 'b>(&'a Provider<'b>);

impl Drop for StopPrefetch<'_, '_> {
    fn drop(&mut self) {
        self.0.cancelled.store(true, Ordering::Relaxed);
        self.0.prefetch.lock().unwrap_or_else(std::sync::PoisonError::into_inner).take();
    }
}

impl Provider<'_> {
    fn candidates(&self, name: &PackageName) -> Result<Candidates, Error> {
        if let Some(candidates) = self.candidates.lock().unwrap_or_else(std::sync::PoisonError::into_inner).get(name) {
            return Ok(Arc::clone(candidates));
        }
        let project = match self.direct.get(name) {
            Some(file) => Arc::new(Project { wheels: vec![file.clone()], other_files: 0 }),
            None => self.index.project(name)?,
        };
        let tags = self.target.tags();
        let mut best: BTreeMap<Version, (usize, IndexFile)> = BTreeMap::new();
        let mut python_mismatch = 0;
        let mut needs_other_python: BTreeSet<Version> = BTreeSet::new();
        let mut other_tags: BTreeSet<Version> = BTreeSet::new();
        let pins = self.pins.get(name);
        let mut unpinned = 0;
        let mut pinned_files: Vec<&str> = Vec::new();
        for file in &project.wheels {
            // With `--hash` pins, only the pinned files are candidates (as in pip), so a pin on
            // one of a release's wheels selects that wheel.
            if let (Some(pins), Some(digest)) = (pins, file.sha256)
                && !pins.contains(&digest)
            {
                unpinned += 1;
                continue;
            }
            if pins.is_some() {
                pinned_files.push(file.filename.as_str());
            }
            let Some(priority) = tags.priority(file.filename.tags()) else {
                other_tags.insert(file.filename.version().clone());
                continue;
            };
            if file.requires_python.as_ref().is_some_and(|specifiers| !specifiers.contains(&self.python_version)) {
                python_mismatch += 1;
                needs_other_python.insert(file.filename.version().clone());
                continue;
            }
            let version = file.filename.version().clone();
            if best.get(&version).is_none_or(|(existing, _)| priority < *existing) {
                best.insert(version, (priority, file.clone()));
            }
        }
        if !best.is_empty() && best.values().all(|(_, file)| file.yanked.is_some()) {
            let versions = best.keys().map(ToString::to_string).collect::<Vec<_>>().join(", ");
            let note = format!("every version with a usable wheel is yanked ({versions}); pin one with `==` to use it");
            self.notes.lock().unwrap_or_else(std::sync::PoisonError::into_inner).insert(name.clone(), note);
        }
        if best.is_empty() {
            let note = if project.wheels.is_empty() && project.other_files == 0 {
                format!("not found on {}", self.index.describe())
            } else if project.wheels.is_empty() {
                "the index has only source distributions, which pex-rs cannot build yet (source builds come with `--build`); give a wheel".to_owned()
            } else if unpinned == project.wheels.len() {
                "none of its wheels has a digest that the `--hash` pins allow".to_owned()
            } else if pins.is_some() {
                format!(
                    "the `--hash` pins allow only {}, which does not run on `{}`; pin a wheel for it too",
                    pinned_files.join(", "),
                    self.target.description()
                )
            } else if python_mismatch > 0 {
                format!("no wheel supports Python {}", self.python_version)
            } else {
                format!("none of its wheels is compatible with `{}`", self.target.description())
            };
            self.notes.lock().unwrap_or_else(std::sync::PoisonError::into_inner).insert(name.clone(), note);
        }
        for version in best.keys() {
            needs_other_python.remove(version);
            other_tags.remove(version);
        }
        let mut unusable = self.unusable.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        unusable.insert(name.clone(), (needs_other_python, other_tags));
        drop(unusable);
        let candidates: Candidates =
            Arc::new(best.into_iter().rev().map(|(version, (_, file))| (version, file)).collect());
        self.candidates
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .insert(name.clone(), Arc::clone(&candidates));
        Ok(candidates)
    }

    /// The version the solver would pick for `name` within `range`, and its wheel.
    fn pick(&self, name: &PackageName, range: &Ranges<Version>) -> Result<Option<(Version, IndexFile)>, Error> {
        let candidates = self.candidates(name)?;
        let allow_pre = self.pre || self.prerelease_named.contains(name);
        let pinned = self.exactly_pinned.contains(name);
        let usable =
            |(version, file): &&(Version, IndexFile)| range.contains(version) && (file.yanked.is_none() || pinned);
        // Final releases first unless pre-releases are allowed; pre-releases when nothing else fits.
        let found = candidates
            .iter()
            .filter(usable)
            .find(|(version, _)| allow_pre || !version.any_prerelease())
            .or_else(|| candidates.iter().find(usable));
        Ok(found.cloned())
    }

    /// Notes why no version of `name` in `range` can be chosen, for the conflict report (unless
    /// the project already has a note, such as "not found").
    fn explain_no_version(&self, name: &PackageName, range: &Ranges<Version>) -> Result<(), Error> {
        let candidates = self.candidates(name)?;
        let mut notes = self.notes.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if notes.contains_key(name) || candidates.is_empty() {
            return Ok(());
        }
        let shown = readable(&range.to_string());
        if let Some(file) = self.direct.get(name) {
            let note = format!(
                "only its direct reference is considered ({}, version {}), which is not in `{shown}`",
                file.filename,
                file.filename.version()
            );
            notes.insert(name.clone(), note);
            return Ok(());
        }
        let mut note = format!(
            "no version in `{shown}` has a wheel for `{}`; the newest that has one is {}",
            self.target.description(),
            candidates[0].0
        );
        let unusable = self.unusable.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some((needs_other_python, other_tags)) = unusable.get(name) {
            let in_range = |versions: &BTreeSet<Version>| -> Vec<String> {
                versions.iter().filter(|version| range.contains(*version)).map(ToString::to_string).collect()
            };
            let count = |versions: &[String]| {
                if versions.len() == 1 { "1 version".to_owned() } else { format!("{} versions", versions.len()) }
            };
            let python = in_range(needs_other_python);
            if let Some(newest) = python.last() {
                let _ = write!(
                    note,
                    "; {} in range need another Python than {} (requires-python), such as {newest}",
                    count(&python),
                    self.python_version
                );
            }
            let tagged = in_range(other_tags);
            if let Some(newest) = tagged.last() {
                let _ = write!(
                    note,
                    "; {} in range have wheels only for other Pythons or platforms, such as {newest}",
                    count(&tagged)
                );
            }
        }
        if let Ok(project) = self.index.project(name)
            && project.other_files > 0
        {
            let _ = write!(
                note,
                "; the index also has {} source distributions, which pex-rs cannot build yet",
                project.other_files
            );
        }
        if candidates.iter().any(|(version, file)| range.contains(version) && file.yanked.is_some()) {
            note.push_str("; the versions in range are yanked (pin one with `==` to use it)");
        }
        notes.insert(name.clone(), note);
        Ok(())
    }

    fn file_for(&self, name: &PackageName, version: &Version) -> Result<Option<IndexFile>, Error> {
        Ok(self.candidates(name)?.iter().find(|(candidate, _)| candidate == version).map(|(_, file)| file.clone()))
    }

    /// Fetches (on a prefetch thread) what the solver will soon ask about `name`.
    fn warm(&self, name: &PackageName, range: &Ranges<Version>) {
        if self.cancelled.load(Ordering::Relaxed) {
            return;
        }
        if let Ok(Some((_, file))) = self.pick(name, range) {
            let _ = self.index.metadata(&file);
        }
    }

    fn queue_prefetch(&self, dependencies: &[(Package, Ranges<Version>)]) {
        let mut prefetched = self.prefetched.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let sender = self.prefetch.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let Some(sender) = sender.as_ref() else { return };
        for (package, range) in dependencies {
            if let Package::Project(name) = package
                && prefetched.insert(name.clone())
            {
                let _ = sender.send((name.clone(), range.clone()));
            }
        }
    }

    fn requirements_of(
        &self,
        name: &PackageName,
        version: &Version,
        extra: Option<&ExtraName>,
    ) -> Result<Dependencies<Package, Ranges<Version>, String>, Error> {
        let Some(file) = self.file_for(name, version)? else {
            return Ok(Dependencies::Unavailable("no wheel".to_owned()));
        };
        let metadata = match self.index.metadata(&file) {
            Ok(metadata) => metadata,
            // A version whose METADATA is broken is skipped, as uv and pip do.
            Err(error) if error.is_invalid_metadata() => {
                return Ok(Dependencies::Unavailable(format!("its METADATA is invalid ({error})")));
            }
            Err(error) => return Err(error.into()),
        };
        if let Some(requires_python) = metadata.requires_python()
            && let Ok(specifiers) = requires_python.parse::<crate::requirement::VersionSpecifiers>()
            && !specifiers.contains(&self.python_version)
        {
            return Ok(Dependencies::Unavailable(format!("it requires Python {requires_python}")));
        }
        if let Some(extra) = extra
            && !metadata.provides_extra().is_empty()
            && !metadata.provides_extra().contains(extra)
            && self
                .warned_extras
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .insert((name.clone(), extra.clone()))
        {
            // pip and uv warn too: a misspelt extra would otherwise leave its packages out silently.
            tracing::warn!("{name} {version} has no extra `{extra}`; it adds nothing");
        }
        let mut dependencies = Vec::new();
        if extra.is_some() {
            dependencies.push((Package::Project(name.clone()), Ranges::singleton(version.clone())));
        }
        if self.transitive {
            let extras: Vec<ExtraName> = extra.into_iter().cloned().collect();
            for requirement in metadata.requires_dist() {
                if &requirement.name == name && requirement.extras.is_empty() {
                    continue;
                }
                if !requirement.evaluate_markers(self.target.markers(), &extras) {
                    continue;
                }
                // A dependency on a URL is taken only when the user gave that project as a
                // direct reference too (as uv does); never silently from an index instead.
                if let Some(VersionOrUrl::Url(url)) = &requirement.version_or_url
                    && !self.direct.contains_key(&requirement.name)
                {
                    return Ok(Dependencies::Unavailable(format!(
                        "it depends on `{} @ {}`; give that direct reference as a requirement to allow it",
                        requirement.name,
                        redact_url(&url.to_url())
                    )));
                }
                dependencies.extend(dependencies_of(requirement, self.constraints.get(&requirement.name)));
            }
        }
        self.queue_prefetch(&dependencies);
        Ok(Dependencies::Available(dependencies.into_iter().collect()))
    }
}

impl DependencyProvider for Provider<'_> {
    type P = Package;
    type V = Version;
    type VS = Ranges<Version>;
    type M = String;
    type Err = Error;
    /// Conflicted packages first, then those pinned to one version, then the rest.
    type Priority = (u32, bool, Reverse<usize>);

    fn prioritize(
        &self,
        package: &Package,
        range: &Ranges<Version>,
        statistics: &PackageResolutionStatistics,
    ) -> Self::Priority {
        let order = match package {
            Package::Root => 0,
            Package::Project(name) | Package::Extra(name, _) => usize::from(!self.direct.contains_key(name)),
        };
        (statistics.conflict_count(), range.as_singleton().is_some(), Reverse(order))
    }

    fn choose_version(&self, package: &Package, range: &Ranges<Version>) -> Result<Option<Version>, Error> {
        match package {
            Package::Root => Ok(Some(Version::new([0]))),
            Package::Project(name) => {
                let picked = self.pick(name, range)?.map(|(version, _)| version);
                match &picked {
                    Some(version) => self.index.reporter().resolve_chose(name.as_str(), &version.to_string()),
                    None => self.explain_no_version(name, range)?,
                }
                Ok(picked)
            }
            Package::Extra(name, _) => Ok(self.pick(name, range)?.map(|(version, _)| version)),
        }
    }

    fn get_dependencies(
        &self,
        package: &Package,
        version: &Version,
    ) -> Result<Dependencies<Package, Ranges<Version>, String>, Error> {
        match package {
            Package::Root => {
                let mut root = self.root.clone();
                for (package, range) in &mut root {
                    if let Package::Project(name) | Package::Extra(name, _) = package
                        && let Some(constraint) = self.constraints.get(name)
                    {
                        *range = range.intersection(constraint);
                    }
                }
                self.queue_prefetch(&root);
                Ok(Dependencies::Available(root.into_iter().collect()))
            }
            Package::Project(name) => self.requirements_of(name, version, None),
            Package::Extra(name, extra) => self.requirements_of(name, version, Some(extra)),
        }
    }
}

/// The packages a requirement adds: the project, and one package per extra.
fn dependencies_of(requirement: &Requirement, constraint: Option<&Ranges<Version>>) -> Vec<(Package, Ranges<Version>)> {
    let mut range = range_of(requirement);
    if let Some(constraint) = constraint {
        range = range.intersection(constraint);
    }
    let mut packages = vec![(Package::Project(requirement.name.clone()), range.clone())];
    packages.extend(
        requirement.extras.iter().map(|extra| (Package::Extra(requirement.name.clone(), extra.clone()), range.clone())),
    );
    packages
}

fn range_of(requirement: &Requirement) -> Ranges<Version> {
    match &requirement.version_or_url {
        Some(VersionOrUrl::VersionSpecifier(specifiers)) => Ranges::from(specifiers.clone()),
        None | Some(VersionOrUrl::Url(_)) => Ranges::full(),
    }
}

/// The one candidate of a direct reference (`name @ URL`), which must be a wheel of `name`.
fn direct_file(requirement: &Requirement, url: &Url) -> Result<IndexFile, Error> {
    let filename = crate::index::wheel_filename_of(url)
        .ok_or_else(|| Error::DirectNotWheel { requirement: requirement.name.to_string(), url: redact_url(url) })?;
    if filename.package_name() != &requirement.name {
        return Err(Error::DirectNameMismatch {
            requirement: format!("{} @ {}", requirement.name, redact_url(url)),
            name: requirement.name.to_string(),
            filename: filename.to_string(),
            found: filename.name().to_owned(),
        });
    }
    let sha256 = url.fragment().and_then(|fragment| fragment.strip_prefix("sha256=")).and_then(Sha256Digest::from_hex);
    let mut url = url.clone();
    url.set_fragment(None);
    Ok(IndexFile { filename, url, sha256, requires_python: None, yanked: None, metadata: None })
}

/// A URL for messages, without credentials.
fn redact_url(url: &Url) -> String {
    crate::index::redact(url)
}

/// Rewrites `PubGrub`'s report for people: the root has no version, and `==1.0` reads as such
/// rather than as the range `>=1.0, <1.0+` that excludes local versions.
fn readable(report: &str) -> String {
    let mut text = report
        .replace("the requirements 0 ", "the requirements ")
        .replace("the requirements depends on", "the requirements depend on")
        .replace("the requirements is forbidden", "the requirements cannot be satisfied");
    let mut searched = 0;
    while let Some(found) = text[searched..].find(">=") {
        let start = searched + found;
        let rest = &text[start + 2..];
        let version_end =
            rest.find(|character: char| character == ',' || character.is_whitespace()).unwrap_or(rest.len());
        let version = &rest[..version_end];
        let pinned = format!(">={version}, <{version}+");
        if !version.is_empty() && text[start..].starts_with(&pinned) {
            text.replace_range(start..start + pinned.len(), &format!("=={version}"));
        }
        searched = start + 2;
    }
    text
}

#[cfg(test)]
mod tests {
    use super::readable;

    #[test]
    fn ok_readable_report() {
        assert_eq!(
            readable("the requirements 0 depends on lib >=2.0, <2.0+ and tool >=1, <2"),
            "the requirements depend on lib ==2.0 and tool >=1, <2"
        );
    }
}
