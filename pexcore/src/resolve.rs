//! Version solving: `PubGrub` over PEP 440 versions, with the distributions a [`Source`] offers
//! for one target (an interpreter or a platform); a multi-target build solves once per target.
//!
//! A version's candidate is its best wheel for the target; a version without one is a source
//! distribution, ranked after every version that has a wheel only with `--prefer-binary`
//! (pip's and uv's rule); `--no-binary` / `--only-binary` choose per project. Direct
//! references (a wheel, an sdist, a project directory or a checkout) are the only candidate of
//! their project. The resolver never builds: it asks the [`Source`] for metadata, which reads an
//! sdist's `PKG-INFO` when it can be trusted and runs a backend otherwise.
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

use camino::Utf8PathBuf;
use pubgrub::{Dependencies, DependencyProvider, PackageResolutionStatistics, Ranges};

use crate::dist::CoreMetadata;
use crate::hash::Sha256Digest;
use crate::index::{IndexFile, Project, SdistFile};
use crate::progress::Reporter;
use crate::requirement::{ExtraName, Operator, PackageName, Requirement, Version, VersionOrUrl};
use crate::requirements_file::FormatControl;
use crate::target::Target;

/// How many pages and METADATA files are fetched at the same time.
const PREFETCH_THREADS: usize = 16;

/// Why no set of distributions could be chosen.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    #[error("no set of distributions satisfies the requirements:\n{0}")]
    NoSolution(String),
    #[error(transparent)]
    Index(Box<crate::index::Error>),
    #[error(transparent)]
    Build(Box<crate::sdist::Error>),
    #[error("the constraint on `{constraint}` is a URL (`{url}`); constraints take versions only")]
    UrlConstraint { constraint: String, url: String },
    #[error("{project} has only a source distribution, and no Python here can build it for `{target}`")]
    NoBuilder { project: String, target: String },
    #[error(
        "{project} has only a source distribution, and the wheel built from it here (`{wheel}`) does not run on `{target}`"
    )]
    ForeignBuild { project: String, wheel: String, target: String },
    #[error("{project} must be built from source, and building from source is turned off")]
    NoBuild { project: String },
    #[error("building `{project}` needs `{project}` itself ({chain}): a build requirements cycle")]
    BuildCycle { project: String, chain: String },
    #[error(
        "hash checking is on (a `--hash` or `--require-hashes` was given), and {project} would be built from `{file}`, which no `--hash` pins"
    )]
    UnpinnedSource { project: String, file: String, digest: String },
    #[error("cancelled")]
    Cancelled,
    #[error("the PKG-INFO of `{file}` says it is {found}, which its file name contradicts")]
    PkgInfoMismatch { file: String, found: String },
    #[error(transparent)]
    Shared(Arc<Error>),
}

impl From<crate::index::Error> for Error {
    fn from(error: crate::index::Error) -> Self {
        Self::Index(Box::new(error))
    }
}

impl From<crate::sdist::Error> for Error {
    fn from(error: crate::sdist::Error) -> Self {
        Self::Build(Box::new(error))
    }
}

impl Error {
    /// `true` when the error is a METADATA file that cannot be read (so that version is
    /// unusable), as opposed to a failure to fetch or build it.
    fn is_invalid_metadata(&self) -> bool {
        match self {
            Self::Index(error) => error.is_invalid_metadata(),
            Self::Shared(error) => error.is_invalid_metadata(),
            _ => false,
        }
    }
}

/// Where candidates and their metadata come from: package indexes with builds of their sdists
/// (`ops`), a lock file, or fixtures.
pub(crate) trait Source: Sync {
    /// The files `name` has.
    fn project(&self, name: &PackageName) -> Result<Arc<Project>, Error>;
    /// The metadata of `candidate` for `target` (a source's may depend on the interpreter that
    /// builds it).
    fn metadata(&self, candidate: &Candidate, target: &Target) -> Result<Arc<CoreMetadata>, Error>;
    /// Fetches ahead what [`Source::metadata`] will need, when that is cheap: never a build.
    fn prefetch(&self, candidate: &Candidate);
    /// The places asked, for "not found on ..." notes.
    fn describe(&self) -> String;
    /// Where progress goes.
    fn reporter(&self) -> &dyn Reporter;
}

/// A distribution the resolver may choose for one version of a project.
#[derive(Clone, Debug)]
pub(crate) enum Candidate {
    /// A wheel: from an index, find-links or a direct reference.
    Wheel(IndexFile),
    /// A source distribution, built into a wheel for each target that chooses it.
    Sdist(SdistFile),
    /// A project directory or a git checkout, named and versioned before resolution.
    Tree(Arc<SourceTree>),
}

/// A project directory to build: a local project or a git checkout.
#[derive(Debug)]
pub(crate) struct SourceTree {
    pub(crate) name: PackageName,
    pub(crate) version: Version,
    pub(crate) root: Utf8PathBuf,
    /// How messages and PEX-INFO name it: `the project at ./app`, `git+https://host/x.git@<commit>`.
    pub(crate) origin: String,
    /// The commit of a checkout, which PEX-INFO pins (`name @ git+URL@commit`).
    pub(crate) git: Option<String>,
}

impl Candidate {
    pub(crate) fn version(&self) -> &Version {
        match self {
            Self::Wheel(file) => file.filename.version(),
            Self::Sdist(file) => file.filename.version(),
            Self::Tree(tree) => &tree.version,
        }
    }

    /// The file name (or the tree's origin), for messages.
    pub(crate) fn describe(&self) -> String {
        match self {
            Self::Wheel(file) => file.filename.to_string(),
            Self::Sdist(file) => file.filename.to_string(),
            Self::Tree(tree) => tree.origin.clone(),
        }
    }

    fn yanked(&self) -> bool {
        match self {
            Self::Wheel(file) => file.yanked.is_some(),
            Self::Sdist(file) => file.yanked.is_some(),
            Self::Tree(_) => false,
        }
    }

    /// The digest the index gave (for `--hash` pins), if any.
    pub(crate) fn sha256(&self) -> Option<Sha256Digest> {
        match self {
            Self::Wheel(file) => file.sha256,
            Self::Sdist(file) => file.sha256,
            Self::Tree(_) => None,
        }
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
    /// The only candidate of each project given as a direct reference (`name @ URL`, a path).
    pub(crate) direct: HashMap<PackageName, Candidate>,
    /// Allow pre-releases everywhere (`--pre`); otherwise only where a specifier names one or
    /// nothing else fits, as pip does.
    pub(crate) pre: bool,
    /// Only the requirements themselves, none of their dependencies (`--no-transitive`).
    pub(crate) transitive: bool,
    /// Which projects may be wheels and which built (`--no-binary`, `--only-binary`).
    pub(crate) format_control: &'a FormatControl,
    /// Prefer an older version with a wheel to a newer one to build (`--prefer-binary`).
    pub(crate) prefer_binary: bool,
    pub(crate) target: &'a Target,
    /// Versions to choose when they fit (an existing lock's pins, kept unless upgraded).
    pub(crate) preferences: HashMap<PackageName, Version>,
    /// The only version of each project that may be chosen, and no other project (a build
    /// from a lock file); `None`: any.
    pub(crate) only: Option<HashMap<PackageName, Version>>,
}

/// One chosen distribution.
#[derive(Clone, Debug)]
pub(crate) struct Pinned {
    pub(crate) name: PackageName,
    pub(crate) version: Version,
    pub(crate) candidate: Candidate,
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

/// Solves `request` with the candidates of `source`; the result is sorted by project name.
pub(crate) fn resolve(source: &dyn Source, request: &Request<'_>) -> Result<Vec<Pinned>, Error> {
    let markers = request.target.markers();
    let mut root = Vec::new();
    let mut hashes: HashMap<PackageName, Vec<Sha256Digest>> = HashMap::new();
    let mut prerelease_named = HashSet::new();
    for user in &request.requirements {
        let requirement = &user.requirement;
        if !requirement.evaluate_markers(markers, &[]) {
            tracing::debug!("skipping `{requirement}`: its markers do not apply");
            continue;
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
                url: crate::index::redact(&url.to_url()),
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
        source,
        target: request.target,
        python_version: request.target.python_version().clone(),
        pre: request.pre,
        transitive: request.transitive,
        format_control: request.format_control,
        prefer_binary: request.prefer_binary,
        root,
        constraints,
        direct: &request.direct,
        preferences: &request.preferences,
        only: request.only.as_ref(),
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
        let candidate =
            provider.candidate_for(&name, &version)?.expect("the solver only picks versions that have a candidate");
        pinned.push(Pinned { hashes: hashes.remove(&name).unwrap_or_default(), name, version, candidate });
    }
    pinned.sort_by(|left, right| left.name.cmp(&right.name));
    Ok(pinned)
}

/// The versions of one project that have a candidate for the target, highest first: the best
/// wheel of each, else its source distribution.
type Candidates = Arc<Vec<(Version, Candidate)>>;

struct Provider<'a> {
    source: &'a dyn Source,
    target: &'a Target,
    python_version: Version,
    pre: bool,
    transitive: bool,
    format_control: &'a FormatControl,
    prefer_binary: bool,
    root: Vec<(Package, Ranges<Version>)>,
    constraints: HashMap<PackageName, Ranges<Version>>,
    direct: &'a HashMap<PackageName, Candidate>,
    preferences: &'a HashMap<PackageName, Version>,
    only: Option<&'a HashMap<PackageName, Version>>,
    prerelease_named: HashSet<PackageName>,
    exactly_pinned: HashSet<PackageName>,
    candidates: Mutex<HashMap<PackageName, Candidates>>,
    /// The unknown extras already warned about.
    warned_extras: Mutex<HashSet<(PackageName, ExtraName)>>,
    /// Per project, the versions whose files all need another Python (requires-python), and
    /// those whose wheels are all for other Pythons or platforms (tags): why a range is empty.
    unusable: Mutex<HashMap<PackageName, Unusable>>,
    /// Why a project had no usable candidate, for the conflict report.
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

/// How the files of one project sorted out, for the notes of a conflict report.
#[derive(Default)]
struct Sorting {
    python_mismatch: usize,
    needs_other_python: BTreeSet<Version>,
    other_tags: BTreeSet<Version>,
    unpinned: usize,
    pinned_files: Vec<String>,
}

impl Provider<'_> {
    /// Whether a file passes the `--hash` pins of its project (recording why not).
    fn passes_pins(
        &self,
        name: &PackageName,
        filename: &str,
        sha256: Option<Sha256Digest>,
        sorting: &mut Sorting,
    ) -> bool {
        let Some(pins) = self.pins.get(name) else { return true };
        // With `--hash` pins, only the pinned files are candidates (as in pip), so a pin on
        // one of a release's files selects that file.
        if let Some(digest) = sha256
            && !pins.contains(&digest)
        {
            sorting.unpinned += 1;
            return false;
        }
        sorting.pinned_files.push(filename.to_owned());
        true
    }

    fn fits_python(
        &self,
        requires_python: Option<&crate::requirement::VersionSpecifiers>,
        version: &Version,
        sorting: &mut Sorting,
    ) -> bool {
        if requires_python.is_some_and(|specifiers| !specifiers.contains(&self.python_version)) {
            sorting.python_mismatch += 1;
            sorting.needs_other_python.insert(version.clone());
            return false;
        }
        true
    }

    fn candidates(&self, name: &PackageName) -> Result<Candidates, Error> {
        if let Some(candidates) = self.candidates.lock().unwrap_or_else(std::sync::PoisonError::into_inner).get(name) {
            return Ok(Arc::clone(candidates));
        }
        if self.only.is_some_and(|only| !only.contains_key(name)) {
            let note = format!("the lock file has no version of it for `{}`", self.target.description());
            self.notes.lock().unwrap_or_else(std::sync::PoisonError::into_inner).insert(name.clone(), note);
            return Ok(self.remember(name, Vec::new()));
        }
        if let Some(candidate) = self.direct.get(name) {
            return Ok(self.remember(name, vec![(candidate.version().clone(), candidate.clone())]));
        }
        let project = self.source.project(name)?;
        let tags = self.target.tags();
        let mut sorting = Sorting::default();
        let mut wheels: BTreeMap<Version, (usize, IndexFile)> = BTreeMap::new();
        let allows_wheel = self.format_control.allows_wheel(name);
        for file in project.wheels.iter().filter(|_| allows_wheel) {
            if !self.passes_pins(name, file.filename.as_str(), file.sha256, &mut sorting) {
                continue;
            }
            let Some(priority) = tags.priority(file.filename.tags()) else {
                sorting.other_tags.insert(file.filename.version().clone());
                continue;
            };
            let version = file.filename.version();
            if !self.fits_python(file.requires_python.as_ref(), version, &mut sorting) {
                continue;
            }
            if wheels.get(version).is_none_or(|(existing, _)| priority < *existing) {
                wheels.insert(version.clone(), (priority, file.clone()));
            }
        }
        let mut sdists: BTreeMap<Version, SdistFile> = BTreeMap::new();
        let allows_source = self.format_control.allows_source(name);
        for file in project.sdists.iter().filter(|_| allows_source) {
            let version = file.filename.version();
            if wheels.contains_key(version)
                || !self.passes_pins(name, file.filename.as_str(), file.sha256, &mut sorting)
                || !self.fits_python(file.requires_python.as_ref(), version, &mut sorting)
            {
                continue;
            }
            // One archive per version; `.tar.gz` (the standard form) over `.zip`.
            let preferred = |file: &SdistFile| file.filename.format() == crate::dist::SdistFormat::TarGz;
            if sdists.get(version).is_none_or(|existing| !preferred(existing) && preferred(file)) {
                sdists.insert(version.clone(), file.clone());
            }
        }
        let mut best: BTreeMap<Version, Candidate> = BTreeMap::new();
        best.extend(wheels.into_iter().map(|(version, (_, file))| (version, Candidate::Wheel(file))));
        best.extend(sdists.into_iter().map(|(version, file)| (version, Candidate::Sdist(file))));
        if let Some(locked) = self.only.and_then(|only| only.get(name)) {
            best.retain(|version, _| version == locked);
        }
        if !best.is_empty() && best.values().all(Candidate::yanked) {
            let versions = best.keys().map(ToString::to_string).collect::<Vec<_>>().join(", ");
            let note = format!("every version with a usable file is yanked ({versions}); pin one with `==` to use it");
            self.notes.lock().unwrap_or_else(std::sync::PoisonError::into_inner).insert(name.clone(), note);
        }
        if best.is_empty() {
            let note = self.empty_note(name, &project, &sorting, allows_wheel, allows_source);
            self.notes.lock().unwrap_or_else(std::sync::PoisonError::into_inner).insert(name.clone(), note);
        }
        for version in best.keys() {
            sorting.needs_other_python.remove(version);
            sorting.other_tags.remove(version);
        }
        let mut unusable = self.unusable.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        unusable.insert(name.clone(), (sorting.needs_other_python, sorting.other_tags));
        drop(unusable);
        Ok(self.remember(name, best.into_iter().rev().collect()))
    }

    /// Keeps the candidates of `name` for the next question about it.
    fn remember(&self, name: &PackageName, candidates: Vec<(Version, Candidate)>) -> Candidates {
        let candidates: Candidates = Arc::new(candidates);
        self.candidates
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .insert(name.clone(), Arc::clone(&candidates));
        candidates
    }

    /// Why a project has no candidate at all.
    fn empty_note(
        &self,
        name: &PackageName,
        project: &Project,
        sorting: &Sorting,
        allows_wheel: bool,
        allows_source: bool,
    ) -> String {
        let files = project.wheels.len() + project.sdists.len();
        if files == 0 && project.other_files == 0 {
            format!("not found on {}", self.source.describe())
        } else if files == 0 {
            format!("the index has {} files, but no wheel and no sdist pex-rs can unpack", project.other_files)
        } else if project.wheels.is_empty() && !allows_source {
            "the index has only source distributions, and `--only-binary` (or `--no-build`) forbids building them; give a wheel".to_owned()
        } else if project.sdists.is_empty() && !allows_wheel {
            "the index has only wheels, and `--no-binary` asks to build it from source".to_owned()
        } else if sorting.unpinned
            == usize::from(allows_wheel) * project.wheels.len() + usize::from(allows_source) * project.sdists.len()
        {
            "none of its files has a digest that the `--hash` pins allow".to_owned()
        } else if self.pins.contains_key(name) {
            format!(
                "the `--hash` pins allow only {}, which does not run on `{}`; pin a wheel for it too",
                sorting.pinned_files.join(", "),
                self.target.description()
            )
        } else if sorting.python_mismatch > 0 {
            format!("no wheel or sdist supports Python {}", self.python_version)
        } else {
            format!("none of its wheels is compatible with `{}`", self.target.description())
        }
    }

    /// The version the solver would pick for `name` within `range`, and its candidate.
    fn pick(&self, name: &PackageName, range: &Ranges<Version>) -> Result<Option<(Version, Candidate)>, Error> {
        let candidates = self.candidates(name)?;
        let allow_pre = self.pre || self.prerelease_named.contains(name);
        let pinned = self.exactly_pinned.contains(name);
        let usable =
            |(version, candidate): &&(Version, Candidate)| range.contains(version) && (!candidate.yanked() || pinned);
        let is_wheel = |(_, candidate): &&(Version, Candidate)| matches!(candidate, Candidate::Wheel(_));
        // Final releases first unless pre-releases are allowed; pre-releases when nothing else
        // fits. With `--prefer-binary`, versions with a wheel before all others.
        let final_release = |(version, _): &&(Version, Candidate)| allow_pre || !version.any_prerelease();
        let preferred = |(version, _): &&(Version, Candidate)| self.preferences.get(name) == Some(version);
        let found = candidates
            .iter()
            .filter(usable)
            .find(preferred)
            .or_else(|| {
                self.prefer_binary
                    .then(|| candidates.iter().filter(usable).filter(is_wheel).find(final_release))
                    .flatten()
            })
            .or_else(|| candidates.iter().filter(usable).find(final_release))
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
        if let Some(candidate) = self.direct.get(name) {
            let note = format!(
                "only its direct reference is considered ({}, version {}), which is not in `{shown}`",
                candidate.describe(),
                candidate.version()
            );
            notes.insert(name.clone(), note);
            return Ok(());
        }
        let mut note = format!(
            "no version in `{shown}` has a wheel or sdist for `{}`; the newest that has one is {}",
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
        if let Ok(project) = self.source.project(name)
            && !project.sdists.is_empty()
            && !self.format_control.allows_source(name)
        {
            let _ = write!(
                note,
                "; the index also has {} source distributions, which `--only-binary` (or `--no-build`) forbids building",
                project.sdists.len()
            );
        }
        if candidates.iter().any(|(version, candidate)| range.contains(version) && candidate.yanked()) {
            note.push_str("; the versions in range are yanked (pin one with `==` to use it)");
        }
        notes.insert(name.clone(), note);
        Ok(())
    }

    fn candidate_for(&self, name: &PackageName, version: &Version) -> Result<Option<Candidate>, Error> {
        Ok(self
            .candidates(name)?
            .iter()
            .find(|(candidate, _)| candidate == version)
            .map(|(_, candidate)| candidate.clone()))
    }

    /// Fetches (on a prefetch thread) what the solver will soon ask about `name`.
    fn warm(&self, name: &PackageName, range: &Ranges<Version>) {
        if self.cancelled.load(Ordering::Relaxed) {
            return;
        }
        if let Ok(Some((_, candidate))) = self.pick(name, range) {
            self.source.prefetch(&candidate);
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
        let Some(candidate) = self.candidate_for(name, version)? else {
            return Ok(Dependencies::Unavailable("no wheel or sdist".to_owned()));
        };
        let metadata = match self.source.metadata(&candidate, self.target) {
            Ok(metadata) => metadata,
            // A version whose METADATA is broken is skipped, as uv and pip do.
            Err(error) if error.is_invalid_metadata() => {
                return Ok(Dependencies::Unavailable(format!("its METADATA is invalid ({error})")));
            }
            Err(error) => return Err(error),
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
                        crate::index::redact(&url.to_url())
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
                if self.source.reporter().is_cancelled() {
                    return Err(Error::Cancelled);
                }
                let picked = self.pick(name, range)?.map(|(version, _)| version);
                match &picked {
                    Some(version) => self.source.reporter().resolve_chose(name.as_str(), &version.to_string()),
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
