//! Where a build's distributions come from, beyond the wheels an index lists: its sdists,
//! direct references (wheel and sdist URLs and paths, project directories, git), and how a
//! chosen source becomes a wheel for each target.
//!
//! [`Sources`] is both the resolver's [`Source`] (candidates and their metadata) and the
//! builder's [`Requirements`]: what a build requires is resolved like anything else, for the
//! interpreter that builds, against the same indexes and with the same switches, so an sdist-only
//! build requirement is built the same way (a project whose build needs itself is an error).
//!
//! A target that is not an interpreter here (`--platform`, `--complete-platform`) cannot run a
//! backend. Its sources are built with an interpreter that is here (the first interpreter
//! target, else `python3`), and the wheel is used only when its tags fit the target: a
//! pure-Python project builds the same everywhere; anything else is one clear error.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};

use url::Url;

use crate::cache::{Cache, OnceMap};
use crate::dist::{CoreMetadata, SdistFilename};
use crate::error::Error;
use crate::hash::Sha256Digest;
use crate::index::{Artifact, GitReference, Index, IndexFile, Project, SdistFile};
use crate::interpreter::Interpreter;
use crate::progress::Reporter;
use crate::requirement::{PackageName, Requirement, VersionOrUrl, parse_requirement};
use crate::requirements_file::{Entry, EntryKind, FormatControl};
use crate::resolve::{self, Candidate, Pinned, Request, SourceTree, UserRequirement};
use crate::sdist::{self, Builder, Requirements};
use crate::target::Target;
use crate::wheel::Wheel;

/// What the sources of one build share (and the build requirement resolutions nested in it).
pub(crate) struct Context<'a> {
    pub(crate) index: Index,
    pub(crate) cache: Cache,
    pub(crate) builder: Builder,
    pub(crate) format_control: FormatControl,
    pub(crate) prefer_binary: bool,
    /// `--no-build`: no source is built, not even a direct reference.
    pub(crate) no_build: bool,
    /// `--build-constraint`: constraints of every build requirement resolution.
    pub(crate) build_constraints: Vec<Requirement>,
    /// The `--hash` pins of each named requirement.
    pins: HashMap<PackageName, Vec<Sha256Digest>>,
    /// pip's hash-checking mode: no source is built unless a `--hash` pins it.
    hash_checking: bool,
    /// Direct references to archives without a digest (`.../archive/main.zip`): downloaded
    /// again once per run, since their content may move; then `true` here.
    moving: Mutex<HashMap<Url, bool>>,
    /// The first target that is an interpreter: it builds for targets that are not.
    first_interpreter: Option<&'a Interpreter>,
    /// Else `python3`, found on first need.
    fallback: &'a (dyn Fn() -> Option<Interpreter> + Send + Sync),
    found_fallback: OnceLock<Option<Interpreter>>,
    /// The trusted `PKG-INFO` of each sdist (`None`: its metadata needs a build).
    pkg_info: OnceMap<Url, Result<Option<Arc<CoreMetadata>>, Arc<resolve::Error>>>,
    /// Whether the editable note was shown.
    warned_editable: std::sync::atomic::AtomicBool,
    /// The lock a build takes its projects from (`build --lock`); build requirements still
    /// come from the indexes.
    pub(crate) locked: Option<super::locked::LockedProjects>,
}

impl<'a> Context<'a> {
    #[expect(clippy::too_many_arguments, reason = "the parts of a context, each set once")]
    pub(crate) fn new(
        index: Index,
        cache: Cache,
        builder: Builder,
        format_control: FormatControl,
        prefer_binary: bool,
        no_build: bool,
        build_constraints: Vec<Requirement>,
        (pins, hash_checking): (HashMap<PackageName, Vec<Sha256Digest>>, bool),
        first_interpreter: Option<&'a Interpreter>,
        fallback: &'a (dyn Fn() -> Option<Interpreter> + Send + Sync),
    ) -> Self {
        Self {
            index,
            cache,
            builder,
            format_control,
            prefer_binary,
            no_build,
            build_constraints,
            pins,
            hash_checking,
            moving: Mutex::new(HashMap::new()),
            first_interpreter,
            fallback,
            found_fallback: OnceLock::new(),
            pkg_info: OnceMap::default(),
            warned_editable: std::sync::atomic::AtomicBool::new(false),
            locked: None,
        }
    }

    /// Pins every sdist of `locked` by the digest the lock gives, as a `--hash` would: in
    /// hash-checking mode, a locked sdist is pinned.
    pub(crate) fn pin_locked(&mut self, locked: &super::locked::LockedProjects) {
        for (name, digest) in locked.sdist_digests() {
            self.pins.entry(name).or_default().push(digest);
        }
    }

    /// The sources at the top of a build (no build in progress).
    pub(crate) fn sources(&self) -> Sources<'_, 'a> {
        Sources { context: self, chain: Vec::new(), locked: self.locked.is_some() }
    }

    /// The interpreter that builds for `target`: its own, else the first target's, else
    /// `python3`.
    fn builder_for<'x>(&'x self, target: &'x Target, project: &str) -> Result<&'x Interpreter, resolve::Error> {
        if let Some(interpreter) = target.interpreter().or(self.first_interpreter) {
            return Ok(interpreter);
        }
        self.found_fallback.get_or_init(|| (self.fallback)()).as_ref().ok_or_else(|| resolve::Error::NoBuilder {
            project: project.to_owned(),
            target: target.description().to_owned(),
        })
    }

    /// The sdist `file`, downloaded (or local), as a build source; its digest must match the
    /// index and `pins`.
    fn archive<Name: Artifact>(
        &self,
        file: &IndexFile<Name>,
        format: crate::dist::SdistFormat,
        pins: &[Sha256Digest],
    ) -> Result<sdist::Source, resolve::Error> {
        let again = {
            let mut moving = self.moving.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
            moving.get_mut(&file.url).is_some_and(|fetched| !std::mem::replace(fetched, true))
        };
        let downloaded =
            if again { self.index.download_again(file, pins)? } else { self.index.download(file, pins)? };
        let sha256 = if let Some(sha256) = downloaded.sha256.or(file.sha256) {
            sha256
        } else {
            let bytes = fs_err::read(&downloaded.path)
                .map_err(|source| sdist::Error::Source { path: downloaded.path.clone(), source })?;
            Sha256Digest::of(&bytes)
        };
        if !pins.is_empty() && !pins.contains(&sha256) {
            return Err(crate::index::Error::HashMismatch {
                file: file.filename.as_str().to_owned(),
                expected: pins.iter().map(ToString::to_string).collect::<Vec<_>>().join(" or "),
                actual: sha256.to_string(),
                source_of_truth: "the `--hash` pin",
            }
            .into());
        }
        Ok(sdist::Source::Archive { path: downloaded.path, format, sha256 })
    }

    /// The `PKG-INFO` of the sdist `file` when it says what its wheels require (core metadata
    /// 2.2+ without those fields `Dynamic`, PEP 643); `None` when only a build can tell. A
    /// `PKG-INFO` of another project or version than the file name is an error.
    fn static_metadata(&self, file: &SdistFile) -> Result<Option<Arc<CoreMetadata>>, resolve::Error> {
        self.pkg_info
            .get_or_init(&file.url, || {
                let read = || -> Result<Option<Arc<CoreMetadata>>, resolve::Error> {
                    let pins = self.pins.get(file.filename.package_name()).map_or(&[][..], Vec::as_slice);
                    let sdist::Source::Archive { path, format, .. } =
                        self.archive(file, file.filename.format(), pins)?
                    else {
                        unreachable!("an archive is an archive")
                    };
                    let Some(bytes) = sdist::read_pkg_info(&path, format)? else { return Ok(None) };
                    let metadata = match CoreMetadata::parse(&bytes) {
                        Ok(metadata) => metadata,
                        Err(error) => {
                            tracing::debug!("{}: unreadable PKG-INFO ({error}); asking its backend", file.filename);
                            return Ok(None);
                        }
                    };
                    if metadata.package_name() != file.filename.package_name()
                        || metadata.version() != file.filename.version()
                    {
                        return Err(resolve::Error::PkgInfoMismatch {
                            file: file.filename.to_string(),
                            found: format!("{} {}", metadata.name(), metadata.version()),
                        });
                    }
                    Ok(metadata.is_static_for_resolution().then(|| Arc::new(metadata)))
                };
                read().map_err(Arc::new)
            })
            .map_err(resolve::Error::Shared)
    }
}

/// The sources of a build, while the projects in `chain` are being built (outermost first).
pub(crate) struct Sources<'context, 'a> {
    context: &'context Context<'a>,
    chain: Vec<PackageName>,
    /// Whether projects come from the context's lock (the build's own requirements), or from
    /// the indexes (what building a project requires, which a lock does not list).
    locked: bool,
}

/// How messages name a source candidate of `name`.
fn describe(name: &PackageName, candidate: &Candidate) -> String {
    match candidate {
        Candidate::Sdist(file) => format!("`{name} {}` (sdist `{}`)", file.filename.version(), file.filename),
        Candidate::Tree(tree) => format!("`{name} {}` ({})", tree.version, tree.origin),
        Candidate::Wheel(file) => format!("`{}`", file.filename),
    }
}

impl Sources<'_, '_> {
    pub(crate) fn index(&self) -> &Index {
        &self.context.index
    }

    /// The lock this build takes its projects from, unless it is resolving what a build needs.
    fn locked(&self) -> Option<&super::locked::LockedProjects> {
        self.context.locked.as_ref().filter(|_| self.locked)
    }

    /// The build source of a source candidate; an sdist's file must match `pins`, and in
    /// hash-checking mode have some, before any of its code runs.
    fn source_of(&self, candidate: &Candidate, pins: &[Sha256Digest]) -> Result<sdist::Source, resolve::Error> {
        match candidate {
            Candidate::Sdist(file) if self.context.hash_checking && pins.is_empty() => {
                Err(resolve::Error::UnpinnedSource {
                    project: format!("{} {}", file.filename.package_name(), file.filename.version()),
                    file: file.filename.to_string(),
                    digest: file.sha256.map_or_else(|| "<its sha256>".to_owned(), |digest| digest.to_string()),
                })
            }
            Candidate::Sdist(file) => self.context.archive(file, file.filename.format(), pins),
            Candidate::Tree(tree) => Ok(sdist::Source::Tree { root: tree.root.clone() }),
            Candidate::Wheel(_) => unreachable!("a wheel is not built"),
        }
    }

    /// The chain of builds with `name` added, or an error if `name` is being built already.
    fn enter(&self, name: &PackageName, project: &str) -> Result<Vec<PackageName>, resolve::Error> {
        if self.context.no_build {
            return Err(resolve::Error::NoBuild { project: project.to_owned() });
        }
        if self.chain.contains(name) {
            let chain: Vec<String> = self.chain.iter().chain([name]).map(|name| format!("`{name}`")).collect();
            return Err(resolve::Error::BuildCycle { chain: chain.join(" needs "), project: name.to_string() });
        }
        let mut chain = self.chain.clone();
        chain.push(name.clone());
        Ok(chain)
    }

    /// Builds (or finds in the cache) the wheel of the source candidate `pinned` for `target`.
    pub(crate) fn build(&self, pinned: &Pinned, target: &Target) -> Result<Wheel, resolve::Error> {
        let project = describe(&pinned.name, &pinned.candidate);
        let chain = self.enter(&pinned.name, &project)?;
        let source = self.source_of(&pinned.candidate, &pinned.hashes)?;
        let interpreter = self.context.builder_for(target, &project)?;
        let path = self.context.builder.wheel(&sdist::Request {
            source: &source,
            project: &project,
            expected: Some(&pinned.name),
            interpreter,
            requirements: self,
            chain: &chain,
        })?;
        // Verified when it entered the cache: the cache's marker spares a second pass.
        let wheel = Wheel::open(&path, Some(&self.context.cache))
            .map_err(|source| sdist::Error::BuiltWheel { project: project.clone(), source })?;
        if wheel.filename.version() != &pinned.version {
            return Err(sdist::Error::BadResult {
                project,
                reason: format!("a wheel of version {}, not {}", wheel.filename.version(), pinned.version),
            }
            .into());
        }
        if target.interpreter().is_none() && target.tags().priority(wheel.filename.tags()).is_none() {
            return Err(resolve::Error::ForeignBuild {
                project,
                wheel: wheel.filename.to_string(),
                target: target.description().to_owned(),
            });
        }
        Ok(wheel)
    }

    /// Makes a direct reference or a local source of the user's ready for the resolver: its
    /// requirement, its one candidate, and how PEX-INFO records it. Project directories are
    /// built here (a local project is always chosen, so its wheel is needed anyway, and its name
    /// may be known only from its metadata); sdists are named by their file or `PKG-INFO`.
    pub(crate) fn prepare(&self, entry: &Entry, targets: &[Target]) -> Result<Prepared, Error> {
        let (url, name, extras, markers) = match &entry.kind {
            EntryKind::Requirement(requirement) => {
                let Some(VersionOrUrl::Url(url)) = &requirement.version_or_url else {
                    return Ok(Prepared {
                        requirement: UserRequirement { requirement: requirement.clone(), hashes: entry.hashes.clone() },
                        direct: None,
                        recorded: requirement.to_string(),
                    });
                };
                let extras: Vec<String> = requirement.extras.iter().map(ToString::to_string).collect();
                let markers = requirement.marker.contents().map(|markers| markers.to_string());
                (Url::clone(&url.to_url()), Some(requirement.name.clone()), extras, markers)
            }
            EntryKind::LocalWheel(path) | EntryKind::LocalSource { path, .. } => {
                if !path.exists() {
                    return Err(Error::NoSuchSource { origin: entry.origin.clone(), path: path.clone() });
                }
                let url = Url::from_file_path(path)
                    .map_err(|()| Error::NotASource { origin: entry.origin.clone(), path: path.to_string() })?;
                let extras: Vec<String> = match &entry.kind {
                    EntryKind::LocalSource { extras, .. } => extras.iter().map(ToString::to_string).collect(),
                    _ => Vec::new(),
                };
                (url, None, extras, None)
            }
            EntryKind::WheelUrl(text) | EntryKind::SourceUrl { url: text, .. } => {
                let url = Url::parse(text)
                    .map_err(|_| Error::NotASource { origin: entry.origin.clone(), path: text.clone() })?;
                (url, None, Vec::new(), None)
            }
        };
        if matches!(
            entry.kind,
            EntryKind::LocalSource { editable: true, .. } | EntryKind::SourceUrl { editable: true, .. }
        ) && !self.context.warned_editable.swap(true, std::sync::atomic::Ordering::Relaxed)
        {
            tracing::warn!("{}: a PEX is never editable; `-e` builds an ordinary wheel of the project", entry.origin);
        }
        let (candidate, pinned_url) =
            self.direct_candidate(&url, name.as_ref(), &entry.hashes, targets, &entry.origin)?;
        let name = match &candidate {
            Candidate::Wheel(file) => file.filename.package_name().clone(),
            Candidate::Sdist(file) => file.filename.package_name().clone(),
            Candidate::Tree(tree) => tree.name.clone(),
        };
        let extras = if extras.is_empty() { String::new() } else { format!("[{}]", extras.join(",")) };
        let markers = markers.map(|markers| format!(" ; {markers}")).unwrap_or_default();
        let text = format!("{name}{extras} @ {url}{markers}");
        let requirement = parse_requirement(&text)
            .map_err(|reason| Error::NotASource { origin: entry.origin.clone(), path: format!("{text}: {reason}") })?;
        // A location is a detail of this machine: PEX-INFO records the version, or the commit.
        let recorded = match pinned_url {
            Some(pinned) => format!("{name}{extras} @ {pinned}{markers}"),
            None => format!("{name}{extras}=={}{markers}", candidate.version()),
        };
        Ok(Prepared {
            requirement: UserRequirement { requirement, hashes: entry.hashes.clone() },
            direct: Some((name, candidate)),
            recorded,
        })
    }

    /// The one candidate of a direct reference to `url`, and for a git reference its pinned URL.
    fn direct_candidate(
        &self,
        url: &Url,
        expected: Option<&PackageName>,
        pins: &[Sha256Digest],
        targets: &[Target],
        origin: &str,
    ) -> Result<(Candidate, Option<String>), Error> {
        let mismatch = |found: &PackageName| Error::DirectNameMismatch {
            requirement: format!(
                "{} @ {}",
                expected.map(ToString::to_string).unwrap_or_default(),
                crate::index::redact(url)
            ),
            found: found.to_string(),
        };
        if url.scheme().starts_with("git+") {
            let checkout = self.context.index.checkout(&GitReference::parse(url)?)?;
            let tree =
                self.prepare_tree(&checkout.root, checkout.pinned.clone(), Some(checkout.commit), expected, targets)?;
            return Ok((Candidate::Tree(tree), Some(checkout.pinned)));
        }
        let mut plain = url.clone();
        plain.set_fragment(None);
        let sha256 =
            url.fragment().and_then(|fragment| fragment.strip_prefix("sha256=")).and_then(Sha256Digest::from_hex);
        let last = plain.path_segments().and_then(|mut segments| segments.next_back()).unwrap_or_default();
        let filename = crate::index::percent_decoded(last);
        if let Some(wheel) = crate::index::wheel_filename_of(&plain) {
            if expected.is_some_and(|name| name != wheel.package_name()) {
                return Err(mismatch(wheel.package_name()));
            }
            let file = IndexFile::at(wheel, plain, sha256);
            return Ok((Candidate::Wheel(file), None));
        }
        if plain.scheme() == "file" {
            let path = plain.to_file_path().ok().and_then(|path| camino::Utf8PathBuf::from_path_buf(path).ok());
            let path = path.ok_or_else(|| Error::NotASource { origin: origin.to_owned(), path: url.to_string() })?;
            if path.is_dir() {
                let tree = self.prepare_tree(&path, format!("the project at `{path}`"), None, expected, targets)?;
                return Ok((Candidate::Tree(tree), None));
            }
            if !path.is_file() {
                return Err(Error::NoSuchSource { origin: origin.to_owned(), path });
            }
        }
        if !SdistFilename::is_archive_name(&filename) {
            return Err(Error::NotASource { origin: origin.to_owned(), path: crate::index::redact(url) });
        }
        if sha256.is_none() && plain.scheme() != "file" {
            let mut moving = self.context.moving.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
            moving.entry(plain.clone()).or_insert(false);
        }
        let raw = IndexFile::at(filename.clone(), plain, sha256);
        // Named by its file when that reads as the expected project's sdist; else by its
        // metadata (`PKG-INFO`, or a build's).
        if let Some(name) = expected
            && let Ok(parsed) = SdistFilename::parse(&filename, name)
        {
            return Ok((Candidate::Sdist(raw.renamed(parsed)), None));
        }
        let format = SdistFilename::format_of(&filename)?;
        let source = self.context.archive(&raw, format, pins)?;
        let metadata = if let Some(metadata) = archive_pkg_info(&source)? {
            metadata
        } else {
            let project = format!("`{filename}`");
            let interpreter = self.context.builder_for(&targets[0], &project)?;
            self.context.builder.metadata(&sdist::Request {
                source: &source,
                project: &project,
                expected,
                interpreter,
                requirements: self,
                chain: &self.chain,
            })?
        };
        if expected.is_some_and(|name| name != metadata.package_name()) {
            return Err(mismatch(metadata.package_name()));
        }
        let parsed = SdistFilename::from_parts(&filename, metadata.package_name().clone(), metadata.version().clone())?;
        Ok((Candidate::Sdist(raw.renamed(parsed)), None))
    }

    /// Builds the project directory `root` with the first target's interpreter, for its name
    /// and version (and the wheel that target will take).
    fn prepare_tree(
        &self,
        root: &camino::Utf8Path,
        origin: String,
        git: Option<String>,
        expected: Option<&PackageName>,
        targets: &[Target],
    ) -> Result<Arc<SourceTree>, Error> {
        if self.context.no_build {
            return Err(resolve::Error::NoBuild { project: origin }.into());
        }
        let interpreter = self.context.builder_for(&targets[0], &origin)?;
        let source = sdist::Source::Tree { root: root.to_owned() };
        let path = self.context.builder.wheel(&sdist::Request {
            source: &source,
            project: &origin,
            expected,
            interpreter,
            requirements: self,
            chain: &self.chain,
        })?;
        // The wheel's name says which project it is (it was verified when it entered the
        // cache); it is opened once, when the target that chose it takes it.
        let filename: crate::dist::WheelFilename = path.file_name().unwrap_or_default().parse()?;
        Ok(Arc::new(SourceTree {
            name: filename.package_name().clone(),
            version: filename.version().clone(),
            root: root.to_owned(),
            origin,
            git,
        }))
    }
}

/// The `PKG-INFO` of an archive given by the user, if it has a readable one.
fn archive_pkg_info(source: &sdist::Source) -> Result<Option<Arc<CoreMetadata>>, Error> {
    let sdist::Source::Archive { path, format, .. } = source else { return Ok(None) };
    let bytes = sdist::read_pkg_info(path, *format)?;
    Ok(bytes.and_then(|bytes| CoreMetadata::parse(&bytes).ok()).map(Arc::new))
}

/// A requirement of the user, ready for the resolver.
pub(crate) struct Prepared {
    pub(crate) requirement: UserRequirement,
    /// The one candidate of a direct reference or local source.
    pub(crate) direct: Option<(PackageName, Candidate)>,
    /// The requirement as PEX-INFO records it.
    pub(crate) recorded: String,
}

impl resolve::Source for Sources<'_, '_> {
    fn project(&self, name: &PackageName) -> Result<Arc<Project>, resolve::Error> {
        if let Some(locked) = self.locked() {
            return Ok(locked.project(name));
        }
        Ok(self.context.index.project(name)?)
    }

    fn metadata(&self, candidate: &Candidate, target: &Target) -> Result<Arc<CoreMetadata>, resolve::Error> {
        let (name, expected_version) = match candidate {
            Candidate::Wheel(file) => {
                // A locked wheel is needed whole anyway: fetched (and checked) first, its
                // METADATA is then read from the file rather than asked for separately.
                if self.locked().is_some() {
                    self.context.index.download(file, &[])?;
                }
                return Ok(self.context.index.metadata(file)?);
            }
            Candidate::Sdist(file) => {
                if let Some(metadata) = self.context.static_metadata(file)? {
                    return Ok(metadata);
                }
                (file.filename.package_name(), file.filename.version())
            }
            Candidate::Tree(tree) => (&tree.name, &tree.version),
        };
        let project = describe(name, candidate);
        let chain = self.enter(name, &project)?;
        let source = self.source_of(candidate, self.context.pins.get(name).map_or(&[][..], Vec::as_slice))?;
        let interpreter = self.context.builder_for(target, &project)?;
        let metadata = self.context.builder.metadata(&sdist::Request {
            source: &source,
            project: &project,
            expected: Some(name),
            interpreter,
            requirements: self,
            chain: &chain,
        })?;
        if metadata.version() != expected_version {
            return Err(sdist::Error::BadResult {
                project,
                reason: format!("metadata of version {}, not {expected_version}", metadata.version()),
            }
            .into());
        }
        Ok(metadata)
    }

    fn prefetch(&self, candidate: &Candidate) {
        match candidate {
            Candidate::Wheel(file) if self.locked().is_some() => drop(self.context.index.download(file, &[])),
            Candidate::Wheel(file) => drop(self.context.index.metadata(file)),
            Candidate::Sdist(file) => drop(self.context.static_metadata(file)),
            Candidate::Tree(_) => {}
        }
    }

    fn describe(&self) -> String {
        self.context.index.describe()
    }

    fn reporter(&self) -> &dyn Reporter {
        self.context.index.reporter()
    }
}

impl Requirements for Sources<'_, '_> {
    fn wheels_for(
        &self,
        requirements: &[Requirement],
        interpreter: &Interpreter,
        chain: &[PackageName],
    ) -> Result<Vec<Wheel>, Box<dyn std::error::Error + Send + Sync>> {
        self.requirement_wheels(requirements, interpreter, chain).map_err(Into::into)
    }
}

impl Sources<'_, '_> {
    /// The wheels of `requirements` for `interpreter` (what a build needs installed), resolved
    /// against the indexes, never a lock, while the projects in `chain` are being built.
    fn requirement_wheels(
        &self,
        requirements: &[Requirement],
        interpreter: &Interpreter,
        chain: &[PackageName],
    ) -> Result<Vec<Wheel>, Error> {
        let nested = Sources { context: self.context, chain: chain.to_vec(), locked: false };
        let target = Target::from_interpreter(interpreter.clone());
        let request = Request {
            requirements: requirements
                .iter()
                .map(|requirement| UserRequirement { requirement: requirement.clone(), hashes: Vec::new() })
                .collect(),
            constraints: self.context.build_constraints.clone(),
            direct: HashMap::new(),
            pre: false,
            transitive: true,
            format_control: &self.context.format_control,
            prefer_binary: self.context.prefer_binary,
            target: &target,
            preferences: HashMap::new(),
            only: None,
        };
        let pinned = resolve::resolve(&nested, &request)?;
        tracing::debug!(
            "build requirements for {}: {}",
            interpreter.path(),
            pinned.iter().map(|pinned| format!("{}=={}", pinned.name, pinned.version)).collect::<Vec<_>>().join(" ")
        );
        pinned
            .iter()
            .map(|pinned| match &pinned.candidate {
                Candidate::Wheel(_) => {
                    super::fetch::download_and_open(&self.context.index, pinned, &self.context.cache)
                }
                _ => Ok(nested.build(pinned, &target)?),
            })
            .collect()
    }

    /// The wheels that building the source `pinned` for `target` requires, as its
    /// `[build-system]` table lists them (with what they require): what `pex-rs download`
    /// adds so that a machine without a network can build it too.
    pub(crate) fn build_requirement_wheels(&self, pinned: &Pinned, target: &Target) -> Result<Vec<Wheel>, Error> {
        let project = describe(&pinned.name, &pinned.candidate);
        let source = self.source_of(&pinned.candidate, &pinned.hashes)?;
        let requires = sdist::static_build_requirements(&source, &project)?;
        let interpreter = self.context.builder_for(target, &project)?;
        self.requirement_wheels(&requires, interpreter, std::slice::from_ref(&pinned.name))
    }
}
