//! Lock files in the workflows: what each target takes from a lock (`build --lock`, `lock
//! --check`), the versions an existing lock keeps when locking again, and the lock a resolution
//! writes (`pex-rs lock`).
//!
//! A build from a lock does not search: each target takes the packages whose markers hold for it
//! (PEP 751's rule), or, given requirements, only their closure within the lock. The resolver
//! still walks that closure (so extras, markers and `Requires-Dist` are read the same way as in
//! any build, and a lock that misses a dependency is an error rather than a broken PEX), but every
//! project offers exactly one version: the locked one, with the locked files.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use camino::{Utf8Path, Utf8PathBuf};
use url::Url;

use super::fetch::Resolution;
use super::sources::Sources;
use crate::dist::{SdistFilename, WheelFilename};
use crate::error::Error;
use crate::hash::Sha256Digest;
use crate::index::{Index, IndexFile, Project};
use crate::lockfile::{Location, LockFile, LockedFile, LockedPackage, Marker, PackageSource};
use crate::requirement::{PackageName, Version, parse_requirement};
use crate::requirements_file::{Entry, EntryKind};
use crate::resolve::{Candidate, Pinned, UserRequirement};
use crate::target::Target;

/// The projects of a lock, as the resolver sees an index: each with its locked files only.
pub(crate) struct LockedProjects {
    projects: HashMap<PackageName, Arc<Project>>,
}

impl LockedProjects {
    /// The wheels and sdists of every package of `lock` (read from `path`); a file that a
    /// find-links location has is taken from there.
    pub(crate) fn new(lock: &LockFile, path: &Utf8Path, index: &Index) -> Result<Self, Error> {
        let directory = lock_directory(path);
        let mut projects: HashMap<PackageName, Project> = HashMap::new();
        for package in &lock.packages {
            let PackageSource::Files { sdist, wheels } = &package.source else { continue };
            let project = projects.entry(package.name.clone()).or_default();
            for wheel in wheels {
                let filename: WheelFilename = wheel.name.parse().map_err(|_| invalid(path, package, &wheel.name))?;
                if filename.package_name() != &package.name {
                    return Err(invalid(path, package, &wheel.name));
                }
                let mut file = IndexFile::at(filename, locate(wheel, &directory, index, path)?, Some(wheel.sha256));
                file.requires_python.clone_from(&package.requires_python);
                file.size = wheel.size;
                project.wheels.push(file);
            }
            if let Some(sdist) = sdist {
                let filename = match &package.version {
                    Some(version) => SdistFilename::from_parts(&sdist.name, package.name.clone(), version.clone()),
                    None => SdistFilename::parse(&sdist.name, &package.name),
                }
                .map_err(|_| invalid(path, package, &sdist.name))?;
                let mut file = IndexFile::at(filename, locate(sdist, &directory, index, path)?, Some(sdist.sha256));
                file.requires_python.clone_from(&package.requires_python);
                file.size = sdist.size;
                project.sdists.push(file);
            }
        }
        Ok(Self { projects: projects.into_iter().map(|(name, project)| (name, Arc::new(project))).collect() })
    }

    /// The digest of each locked sdist, with its project.
    pub(crate) fn sdist_digests(&self) -> impl Iterator<Item = (PackageName, Sha256Digest)> + '_ {
        self.projects.iter().flat_map(|(name, project)| {
            project.sdists.iter().filter_map(move |file| Some((name.clone(), file.sha256?)))
        })
    }

    /// The locked files of `name` (none when the lock does not have it).
    pub(crate) fn project(&self, name: &PackageName) -> Arc<Project> {
        self.projects.get(name).cloned().unwrap_or_default()
    }
}

fn invalid(path: &Utf8Path, package: &LockedPackage, file: &str) -> Error {
    Error::LockInvalid {
        lock: path.to_owned(),
        reason: format!("names `{file}` as a file of {}, which its name contradicts", package.name),
    }
}

/// The directory a lock's relative paths start from.
fn lock_directory(path: &Utf8Path) -> Utf8PathBuf {
    crate::fs::absolute(path).parent().map(Utf8Path::to_owned).unwrap_or_default()
}

/// Where to fetch a locked file: from find-links when one lists it, else where the lock says.
fn locate(file: &LockedFile, directory: &Utf8Path, index: &Index, lock: &Utf8Path) -> Result<Url, Error> {
    if let Some(url) = index.linked_url(&file.name)? {
        return Ok(url);
    }
    file.location.to_url(directory).map_err(|reason| Error::LockInvalid { lock: lock.to_owned(), reason })
}

/// What one target resolves, and how a lock steers it.
#[derive(Clone, Debug, Default)]
pub(crate) struct Plan {
    /// The requirements when the user gave none: everything the lock installs for the target.
    pub(crate) roots: Vec<UserRequirement>,
    /// Versions kept from an existing lock where they fit.
    pub(crate) preferences: HashMap<PackageName, Version>,
    /// The only versions allowed (a build from a lock).
    pub(crate) only: Option<HashMap<PackageName, Version>>,
}

impl Plan {
    /// Locking again over `lock`: its versions for `target` are kept where they still fit.
    pub(crate) fn preferring(lock: &LockFile, target: &Target) -> Self {
        let preferences = lock
            .select(target.markers(), &lock.extras, &lock.dependency_groups)
            .into_iter()
            .filter_map(|(name, packages)| Some((name, packages.first()?.version.clone()?)))
            .collect();
        Self { preferences, ..Self::default() }
    }

    /// Building from `lock` (read from `path`) for `target`: the packages its markers select,
    /// as the only candidates (for a `subset`, those of every extra and group too: the
    /// requirements' closure decides what is taken). Project directories, archives and checkouts
    /// of the lock become direct references (built, or fetched and checked, now).
    pub(crate) fn only(
        lock: &LockFile,
        path: &Utf8Path,
        target: &Target,
        (extras, groups, subset): (&[String], &[String], bool),
        sources: &Sources<'_, '_>,
        direct: &mut HashMap<PackageName, Candidate>,
        targets: &[Target],
    ) -> Result<Self, Error> {
        let markers = target.markers();
        if !lock.admits(markers) {
            let mut environments: Vec<String> =
                lock.environments.iter().map(|environment| format!("`{}`", environment.text)).collect();
            if let Some(requires_python) = &lock.requires_python {
                environments.push(format!("Python `{requires_python}`"));
            }
            return Err(Error::LockTarget {
                lock: path.to_owned(),
                target: target.description().to_owned(),
                identity: format!(
                    "{} {} on {} {}",
                    markers.platform_python_implementation(),
                    markers.python_full_version().string,
                    markers.sys_platform(),
                    markers.platform_machine()
                ),
                environments: environments.join(" and "),
            });
        }
        let directory = lock_directory(path);
        let unknown = |kind: &str, name: &str, known: Vec<String>| Error::LockInvalid {
            lock: path.to_owned(),
            reason: format!(
                "has no {kind} `{name}` (it has: {})",
                if known.is_empty() { "none".to_owned() } else { known.join(", ") }
            ),
        };
        let extras: Vec<crate::requirement::ExtraName> = extras
            .iter()
            .map(|extra| {
                extra
                    .parse()
                    .ok()
                    .filter(|name| lock.extras.contains(name))
                    .ok_or_else(|| unknown("extra", extra, lock.extras.iter().map(ToString::to_string).collect()))
            })
            .collect::<Result<_, _>>()?;
        let groups: Vec<crate::lockfile::GroupName> = if groups.is_empty() {
            lock.default_groups.clone()
        } else {
            groups
                .iter()
                .map(|group| {
                    group.parse().ok().filter(|name| lock.dependency_groups.contains(name)).ok_or_else(|| {
                        unknown(
                            "dependency group",
                            group,
                            lock.dependency_groups.iter().map(ToString::to_string).collect(),
                        )
                    })
                })
                .collect::<Result<_, _>>()?
        };
        let (extras, groups) =
            if subset { (lock.extras.clone(), lock.dependency_groups.clone()) } else { (extras, groups) };
        let mut only = HashMap::new();
        let mut roots = Vec::new();
        for (name, packages) in lock.select(markers, &extras, &groups) {
            let package = best_for(&packages, target);
            let version = match &package.source {
                PackageSource::Files { .. } => package.version.clone().ok_or_else(|| Error::LockInvalid {
                    lock: path.to_owned(),
                    reason: format!("gives no version of {name}"),
                })?,
                source => {
                    if !direct.contains_key(&name) {
                        let entry = direct_entry(&name, source, &directory, sources, path)?;
                        let prepared = sources.prepare(&entry, targets)?;
                        direct.extend(prepared.direct);
                    }
                    let found = direct.get(&name).map(|candidate| candidate.version().clone()).ok_or_else(|| {
                        Error::LockInvalid {
                            lock: path.to_owned(),
                            reason: format!("names {name} for a source that builds another project"),
                        }
                    })?;
                    if let Some(locked) = &package.version
                        && locked != &found
                    {
                        return Err(Error::LockInvalid {
                            lock: path.to_owned(),
                            reason: format!(
                                "has {name} {locked}, but its source is now version {found}; lock again (`pex-rs lock`)"
                            ),
                        });
                    }
                    found
                }
            };
            let requirement = parse_requirement(&format!("{name}=={version}"))
                .expect("a package name and a version make a requirement");
            roots.push(UserRequirement { requirement, hashes: Vec::new() });
            only.insert(name, version);
        }
        Ok(Self { roots, preferences: HashMap::new(), only: Some(only) })
    }
}

/// Of several entries of one project that all apply (a pex lock with a resolve per platform),
/// the one with the best wheel for `target`.
fn best_for<'l>(packages: &[&'l LockedPackage], target: &Target) -> &'l LockedPackage {
    let rank = |package: &&&LockedPackage| match &package.source {
        PackageSource::Files { wheels, .. } => wheels
            .iter()
            .filter_map(|wheel| wheel.name.parse::<WheelFilename>().ok())
            .filter_map(|wheel| target.tags().priority(wheel.tags()))
            .min()
            .unwrap_or(usize::MAX),
        _ => usize::MAX,
    };
    packages.iter().min_by_key(rank).copied().expect("a selected project has an entry")
}

/// The requirement entry that makes a lock's archive, checkout or directory a direct reference.
fn direct_entry(
    name: &PackageName,
    source: &PackageSource,
    directory: &Utf8Path,
    sources: &Sources<'_, '_>,
    lock: &Utf8Path,
) -> Result<Entry, Error> {
    let origin = format!("{lock}: {name}");
    let bad = |reason: String| Error::LockInvalid { lock: lock.to_owned(), reason };
    let requirement = |text: String| parse_requirement(&text).map_err(|reason| bad(format!("{name}: {reason}")));
    let kind = match source {
        PackageSource::Archive { file, subdirectory } => {
            let mut url = locate(file, directory, sources.index(), lock)?;
            if let Some(subdirectory) = subdirectory {
                url.set_fragment(Some(&format!("subdirectory={subdirectory}")));
            }
            return Ok(Entry {
                kind: EntryKind::Requirement(requirement(format!("{name} @ {url}"))?),
                hashes: vec![file.sha256],
                origin,
            });
        }
        PackageSource::Vcs { url, commit, subdirectory } => {
            let url = if url.starts_with("git+") { url.clone() } else { format!("git+{url}") };
            let fragment =
                subdirectory.as_ref().map(|directory| format!("#subdirectory={directory}")).unwrap_or_default();
            EntryKind::Requirement(requirement(format!("{name} @ {url}@{commit}{fragment}"))?)
        }
        PackageSource::Directory { path, subdirectory } => {
            let mut path = directory.join(path);
            if let Some(subdirectory) = subdirectory {
                path.push(subdirectory);
            }
            EntryKind::LocalSource { path, extras: Vec::new(), editable: false }
        }
        PackageSource::Files { .. } => unreachable!("files are not direct references"),
    };
    Ok(Entry { kind, hashes: Vec::new(), origin })
}

/// What PEX-INFO records for a build of a whole lock: the requirements the lock was made from
/// when it says, else each chosen `name==version`.
pub(crate) fn recorded_requirements(lock: &LockFile, per_target: &[(&Target, Vec<Pinned>)]) -> Vec<String> {
    if !lock.requirements.is_empty() {
        return lock.requirements.clone();
    }
    let mut recorded: Vec<String> = per_target
        .iter()
        .flat_map(|(_, pinned)| pinned.iter().map(|pinned| format!("{}=={}", pinned.name, pinned.version)))
        .collect();
    recorded.sort();
    recorded.dedup();
    recorded
}

/// The marker of the environment `target` stands for: its Python series, implementation,
/// operating system and machine. Locks name environments this coarsely so that one lock serves
/// every patch release and every machine of a kind. With `and_later`, the series and every
/// later one (a universal lock's newest series stands for the Pythons released after it, which
/// its `requires-python` admits too).
pub(crate) fn environment_marker(target: &Target, and_later: bool) -> Marker {
    let markers = target.markers();
    let text = format!(
        "python_version {} '{}' and implementation_name == '{}' and sys_platform == '{}' and platform_machine == '{}'",
        if and_later { ">=" } else { "==" },
        markers.python_version().string,
        markers.implementation_name(),
        markers.sys_platform(),
        markers.platform_machine()
    );
    Marker::parse(&text).expect("the markers of an environment parse")
}

/// Whether the lock keeps every wheel of a chosen version (a universal lock) or only those
/// that fit one of the targets.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Wheels {
    All,
    ForTargets,
}

/// A resolution that a lock records, with the marker of what it stands for: the base
/// requirements (`true`), an extra (`'x' in extras`) or a dependency group.
pub(crate) type Variant<'r, 'a> = (&'r Resolution<'a>, uv_pep508::MarkerTree);

/// The lock of `variants` (resolutions for the same targets), written to `output`: every chosen
/// version with its files (their paths relative to `output`'s directory), under the marker of
/// the targets and variants that chose it.
pub(crate) fn lock_of(
    variants: &[Variant<'_, '_>],
    output: &Utf8Path,
    wheels: Wheels,
    environments: Vec<Marker>,
    requires_python: Option<crate::requirement::VersionSpecifiers>,
) -> Result<LockFile, Error> {
    let directory = lock_directory(output);
    let (base, _) = variants[0];
    let targets: Vec<&Target> = base.per_target.iter().map(|(target, _)| *target).collect();
    // A universal lock covers the Pythons after its newest series too.
    let newest =
        targets.iter().map(|target| target.python_version().release().get(..2).map(<[u64]>::to_vec)).max().flatten();
    let target_markers: Vec<Marker> = targets
        .iter()
        .map(|target| {
            let series = target.python_version().release().get(..2).map(<[u64]>::to_vec);
            environment_marker(target, wheels == Wheels::All && series == newest)
        })
        .collect();
    let universe = target_markers.iter().fold(uv_pep508::MarkerTree::FALSE, |all, marker| all.or(marker.tree));
    // Each chosen (project, version), where it was chosen (target and variant), and by which
    // resolution first.
    let mut chosen: BTreeMap<(PackageName, Version), (uv_pep508::MarkerTree, &Pinned, &Resolution<'_>)> =
        BTreeMap::new();
    for (resolution, variant) in variants {
        for (position, (_, pinned)) in resolution.per_target.iter().enumerate() {
            let here = target_markers[position].tree.and(*variant);
            for pinned in pinned {
                let entry = chosen.entry((pinned.name.clone(), pinned.version.clone())).or_insert((
                    uv_pep508::MarkerTree::FALSE,
                    pinned,
                    resolution,
                ));
                entry.0 = entry.0.or(here);
            }
        }
    }
    let mut packages: Vec<LockedPackage> = Vec::new();
    for ((name, version), (marker, pinned, resolution)) in &chosen {
        let marker = marker.restrict(universe);
        if let Some(other) = packages.iter().find(|other| {
            &other.name == name
                && !other.marker.as_ref().map_or(uv_pep508::MarkerTree::TRUE, |other| other.tree).is_disjoint(marker)
        }) {
            return Err(Error::LockInvalid {
                lock: output.to_owned(),
                reason: format!(
                    "cannot be written: targets or extras that no marker tells apart need {name} {} and {name} {version}; pin one version of {name} (in a constraints file)",
                    other.version.as_ref().map(ToString::to_string).unwrap_or_default()
                ),
            });
        }
        let sources = resolution.context.sources();
        let (requires_python, source) = locked_source(resolution, &sources, pinned, &targets, wheels, &directory)?;
        packages.push(LockedPackage {
            name: name.clone(),
            version: Some(version.clone()),
            marker: Marker::from_tree(marker),
            requires_python,
            source,
        });
    }
    Ok(LockFile {
        environments,
        requires_python,
        created_by: "pex-rs".to_owned(),
        packages,
        requirements: base.requirements.clone(),
        ..LockFile::default()
    })
}

/// Where the lock says `pinned` comes from, and the Python versions its files need.
fn locked_source(
    resolution: &Resolution<'_>,
    sources: &Sources<'_, '_>,
    pinned: &Pinned,
    targets: &[&Target],
    wheels: Wheels,
    directory: &Utf8Path,
) -> Result<(Option<crate::requirement::VersionSpecifiers>, PackageSource), Error> {
    let index = sources.index();
    let direct = resolution.direct.contains_key(&pinned.name);
    let source = match &pinned.candidate {
        Candidate::Tree(tree) => match &tree.git {
            Some(commit) => {
                let (url, subdirectory) =
                    crate::index::GitReference::parse(&Url::parse(&tree.origin).map_err(|error| {
                        Error::LockInvalid { lock: directory.to_owned(), reason: format!("{}: {error}", tree.origin) }
                    })?)?
                    .repository_and_subdirectory();
                PackageSource::Vcs { url, commit: commit.clone(), subdirectory }
            }
            None => PackageSource::Directory { path: relative_to(&tree.root, directory), subdirectory: None },
        },
        Candidate::Sdist(file) if direct => {
            PackageSource::Archive { file: locked_file(index, file, directory)?, subdirectory: None }
        }
        Candidate::Wheel(file) if direct => {
            PackageSource::Files { sdist: None, wheels: vec![locked_file(index, file, directory)?] }
        }
        candidate => {
            let project = sources.project_files(&pinned.name)?;
            let mut locked_wheels = Vec::new();
            for file in project.wheels.iter().filter(|file| file.filename.version() == &pinned.version) {
                let fits = wheels == Wheels::All
                    || targets.iter().any(|target| target.tags().priority(file.filename.tags()).is_some());
                if fits && !locked_wheels.iter().any(|other: &LockedFile| other.name == file.filename.as_str()) {
                    locked_wheels.push(locked_file(index, file, directory)?);
                }
            }
            let sdist = match candidate {
                Candidate::Sdist(file) => Some(locked_file(index, file, directory)?),
                _ if wheels == Wheels::All => project
                    .sdists
                    .iter()
                    .find(|file| file.filename.version() == &pinned.version)
                    .map(|file| locked_file(index, file, directory))
                    .transpose()?,
                _ => None,
            };
            PackageSource::Files { sdist, wheels: locked_wheels }
        }
    };
    let requires_python = match &pinned.candidate {
        Candidate::Wheel(file) => file.requires_python.clone(),
        Candidate::Sdist(file) => file.requires_python.clone(),
        Candidate::Tree(_) => None,
    };
    Ok((requires_python, source))
}

/// A file as a lock records it: where it is (a URL without credentials, or a path relative to
/// the lock), its size, upload time and sha256 (hashed here when the index gave none).
fn locked_file<Name: crate::index::Artifact>(
    index: &Index,
    file: &IndexFile<Name>,
    directory: &Utf8Path,
) -> Result<LockedFile, Error> {
    let (sha256, size) = if let Some(sha256) = file.sha256 {
        (sha256, file.size)
    } else {
        let downloaded = index.download(file, &[])?;
        let bytes = fs_err::read(&downloaded.path)
            .map_err(|source| crate::index::Error::ReadFile { path: downloaded.path.clone(), source })?;
        (Sha256Digest::of(&bytes), Some(bytes.len() as u64))
    };
    let location = if file.url.scheme() == "file" {
        let path =
            file.url.to_file_path().ok().and_then(|path| Utf8PathBuf::from_path_buf(path).ok()).unwrap_or_default();
        let size = size.or_else(|| fs_err::metadata(&path).ok().map(|metadata| metadata.len()));
        return Ok(LockedFile {
            name: file.filename.as_str().to_owned(),
            location: Location::Path(relative_to(&path, directory)),
            size,
            upload_time: None,
            sha256,
        });
    } else {
        let mut url = file.url.clone();
        let _ = url.set_password(None);
        let _ = url.set_username("");
        url.set_fragment(None);
        Location::Url(url.to_string())
    };
    let upload_time = file
        .upload_time
        .as_deref()
        .and_then(|time| time.parse::<toml::value::Datetime>().ok())
        .map(|time| time.to_string());
    Ok(LockedFile { name: file.filename.as_str().to_owned(), location, size, upload_time, sha256 })
}

/// `path` relative to `directory` (`.` for the directory itself, `../x` beside it), so that a
/// lock next to its project stays valid wherever the checkout is; absolute only when they share
/// nothing but the root.
fn relative_to(path: &Utf8Path, directory: &Utf8Path) -> String {
    let path = crate::fs::absolute(path);
    let directory = crate::fs::absolute(directory);
    let (mut path_parts, mut directory_parts) = (path.components().peekable(), directory.components().peekable());
    let mut shared = 0;
    while let (Some(left), Some(right)) = (path_parts.peek(), directory_parts.peek()) {
        if left != right {
            break;
        }
        path_parts.next();
        directory_parts.next();
        shared += 1;
    }
    if shared <= 1 {
        return path.to_string();
    }
    let mut relative = Utf8PathBuf::new();
    for _ in directory_parts {
        relative.push("..");
    }
    for part in path_parts {
        relative.push(part);
    }
    if relative.as_str().is_empty() { ".".to_owned() } else { relative.to_string() }
}

/// How to lock: where the lock goes, and how much of an existing one to keep. Built with
/// [`LockOptions::new`] and the `with_*` setters.
#[derive(Clone, Debug)]
pub struct LockOptions {
    output: Utf8PathBuf,
    universal: bool,
    upgrade: bool,
    upgrade_packages: Vec<String>,
    check: bool,
    extras: Vec<String>,
    groups: Vec<String>,
}

impl LockOptions {
    /// Locks into `output` (`pylock.toml`); its pins are kept where they still fit.
    pub fn new(output: Utf8PathBuf) -> Self {
        Self {
            output,
            universal: false,
            upgrade: false,
            upgrade_packages: Vec::new(),
            check: false,
            extras: Vec::new(),
            groups: Vec::new(),
        }
    }

    /// Also lock these extras of the local project, under `'NAME' in extras` markers, for
    /// `build --lock --extra NAME`.
    #[must_use]
    pub fn with_extras(mut self, extras: Vec<String>) -> Self {
        self.extras = extras;
        self
    }

    /// Also lock these dependency groups (PEP 735) of the local project's `pyproject.toml`,
    /// under `'NAME' in dependency_groups` markers, for `build --lock --group NAME`.
    #[must_use]
    pub fn with_groups(mut self, groups: Vec<String>) -> Self {
        self.groups = groups;
        self
    }

    /// One lock for every CPython the interpreter constraints admit (3.8 and later without
    /// them) on Linux, macOS and Windows, rather than for the build's targets.
    #[must_use]
    pub fn with_universal(mut self, universal: bool) -> Self {
        self.universal = universal;
        self
    }

    /// Resolve afresh: keep none of the existing lock's versions.
    #[must_use]
    pub fn with_upgrade(mut self, upgrade: bool) -> Self {
        self.upgrade = upgrade;
        self
    }

    /// Resolve these projects afresh, keeping every other version of the existing lock.
    #[must_use]
    pub fn with_upgrade_packages(mut self, names: Vec<String>) -> Self {
        self.upgrade_packages = names;
        self
    }

    /// Write nothing: report whether the lock still matches the requirements.
    #[must_use]
    pub fn with_check(mut self, check: bool) -> Self {
        self.check = check;
        self
    }
}

/// What locking did, or (with `check`) would do.
#[derive(Clone, Debug)]
pub struct LockReport {
    /// How many packages the lock has.
    pub packages: usize,
    /// The differences from the existing lock, one per project: `+ name 1.0` (added),
    /// `- name 1.0` (removed), `~ name 1.0 -> 1.1` (changed); empty when none.
    pub changes: Vec<String>,
    /// Whether the lock file was written (an unchanged lock is left untouched).
    pub written: bool,
}

/// What a variant of a lock adds to the base requirements.
enum VariantName {
    Extra(crate::requirement::ExtraName),
    Group(crate::lockfile::GroupName),
}

/// The extras and dependency groups `lock` asks for: each with its name, its marker in the lock
/// (`'x' in extras`, `'g' in dependency_groups`) and the requirements it adds. They are the
/// extras and groups of the first local project among the requirements (else of `./`).
fn variants(
    options: &super::BuildOptions,
    lock: &LockOptions,
) -> Result<Vec<(VariantName, uv_pep508::MarkerTree, Vec<String>)>, Error> {
    if lock.extras.is_empty() && lock.groups.is_empty() {
        return Ok(Vec::new());
    }
    let project = options
        .resolve
        .requirements
        .iter()
        .find(|text| Utf8Path::new(text.split('[').next().unwrap_or_default()).is_dir())
        .cloned();
    let invalid = |reason: String| Error::LockInvalid { lock: lock.output.clone(), reason };
    let mut variants = Vec::new();
    for extra in &lock.extras {
        let name: crate::requirement::ExtraName =
            extra.parse().map_err(|error| invalid(format!("cannot have the extra `{extra}`: {error}")))?;
        let Some(project) = &project else {
            return Err(invalid(format!(
                "cannot have the extra `{extra}`: extras are a local project's, and no requirement is a project directory"
            )));
        };
        let requirement = match project.strip_suffix(']') {
            Some(listed) => format!("{listed},{name}]"),
            None => format!("{project}[{name}]"),
        };
        let marker = format!("'{name}' in extras").parse().expect("an extra name makes a marker");
        variants.push((VariantName::Extra(name), marker, vec![requirement]));
    }
    let root = project.as_deref().map_or(".", |text| text.split('[').next().unwrap_or(".")).to_owned();
    for group in &lock.groups {
        let name: crate::lockfile::GroupName =
            group.parse().map_err(|error| invalid(format!("cannot have the group `{group}`: {error}")))?;
        let requirements = crate::sdist::dependency_group(Utf8Path::new(&root), &root, group)?;
        let marker = format!("'{name}' in dependency_groups").parse().expect("a group name makes a marker");
        variants.push((VariantName::Group(name), marker, requirements));
    }
    Ok(variants)
}

/// Resolves `options` and writes the PEP 751 lock that `lock` describes.
pub fn lock_requirements(options: &super::BuildOptions, lock: &LockOptions) -> Result<LockReport, Error> {
    if options.resolve.requirements.is_empty() && options.resolve.requirement_files.is_empty() {
        return Err(Error::NothingToBuild);
    }
    let file_name = lock.output.file_name().unwrap_or_default();
    let valid_name = file_name == "pylock.toml"
        || file_name
            .strip_prefix("pylock.")
            .and_then(|rest| rest.strip_suffix(".toml"))
            .is_some_and(|name| !name.is_empty() && !name.contains('.'));
    if !valid_name {
        return Err(Error::LockName { path: lock.output.clone() });
    }
    let existing = if lock.output.exists() { Some(LockFile::read(&lock.output)?) } else { None };
    let cache = options.build_cache()?;
    let (targets, requires_python) = if lock.universal {
        let (targets, requires_python) = options.targets.universal()?;
        (targets, Some(requires_python))
    } else {
        (options.targets.targets(options.cache.as_ref())?, None)
    };
    let kept = existing.as_ref().filter(|_| !lock.upgrade).map(|existing| {
        let upgraded: Vec<PackageName> =
            lock.upgrade_packages.iter().filter_map(|name| name.parse::<PackageName>().ok()).collect();
        let mut kept = existing.clone();
        kept.packages.retain(|package| !upgraded.contains(&package.name));
        kept
    });
    let (wheels, environments) = if lock.universal {
        (Wheels::All, Vec::new())
    } else {
        let mut environments: Vec<Marker> = targets.iter().map(|target| environment_marker(target, false)).collect();
        environments.sort_by(|left, right| left.text.cmp(&right.text));
        environments.dedup_by(|left, right| left.text == right.text);
        (Wheels::ForTargets, environments)
    };
    let python3 = || options.targets.python3(options.cache.as_ref());
    let resolve = |requirements: Vec<String>, locking: super::fetch::Locking<'_>| {
        let mut resolve_options = options.resolve.clone();
        resolve_options.requirements = requirements;
        super::fetch::resolve(
            &resolve_options,
            &options.wheels,
            &targets,
            &python3,
            options.source_date_epoch,
            Some(&lock.output),
            &cache,
            &options.reporter.0,
            locking,
        )
    };
    let kept_locking = kept.as_ref().map_or(super::fetch::Locking::None, super::fetch::Locking::Prefer);
    let variants = variants(options, lock)?;
    let mut locked = if variants.is_empty() {
        let resolution = resolve(options.resolve.requirements.clone(), kept_locking)?;
        lock_of(&[(&resolution, uv_pep508::MarkerTree::TRUE)], &lock.output, wheels, environments, requires_python)?
    } else {
        // One resolution of everything together chooses the versions; each extra and group is
        // then resolved keeping them, to learn which packages it alone needs.
        let mut everything = options.resolve.requirements.clone();
        everything.extend(variants.iter().flat_map(|(_, _, requirements)| requirements.iter().cloned()));
        let together = resolve(everything, kept_locking)?;
        let chosen = lock_of(
            &[(&together, uv_pep508::MarkerTree::TRUE)],
            &lock.output,
            wheels,
            environments.clone(),
            requires_python.clone(),
        )?;
        let prefer = super::fetch::Locking::Prefer(&chosen);
        let base = resolve(options.resolve.requirements.clone(), prefer)?;
        let mut resolutions = Vec::new();
        for (_, marker, requirements) in &variants {
            let mut with = options.resolve.requirements.clone();
            with.extend(requirements.iter().cloned());
            resolutions.push((resolve(with, prefer)?, *marker));
        }
        let mut all: Vec<Variant<'_, '_>> = vec![(&base, uv_pep508::MarkerTree::TRUE)];
        all.extend(resolutions.iter().map(|(resolution, marker)| (resolution, *marker)));
        let mut locked = lock_of(&all, &lock.output, wheels, environments, requires_python)?;
        for (name, _, _) in &variants {
            match name {
                VariantName::Extra(extra) => locked.extras.push(extra.clone()),
                VariantName::Group(group) => locked.dependency_groups.push(group.clone()),
            }
        }
        locked
    };
    locked.extras.sort();
    locked.dependency_groups.sort();
    let text = crate::lockfile::write(&locked);
    let mut changes = existing.as_ref().map_or_else(
        || locked.packages.iter().map(|package| format!("+ {}", describe(package))).collect(),
        |existing| changes(existing, &locked),
    );
    // A build from the lock records the requirements it was made from: new ones are a change
    // even when every version stays.
    if let Some(existing) = &existing
        && existing.requirements != locked.requirements
    {
        changes.push(format!(
            "~ requirements: {} -> {}",
            existing.requirements.join(", "),
            locked.requirements.join(", ")
        ));
    }
    let unchanged = fs_err::read(&lock.output).is_ok_and(|bytes| bytes == text.as_bytes());
    let written = !lock.check && !unchanged;
    if written {
        crate::fs::write_atomic(&lock.output, text.as_bytes())
            .map_err(|source| Error::Write { path: lock.output.clone(), source })?;
    }
    Ok(LockReport { packages: locked.packages.len(), changes, written })
}

fn describe(package: &LockedPackage) -> String {
    let version = package.version.as_ref().map(ToString::to_string).unwrap_or_default();
    match &package.marker {
        Some(marker) => format!("{} {version} ; {}", package.name, marker.text),
        None => format!("{} {version}", package.name),
    }
}

/// The differences between two locks, by project: versions added, removed and changed.
fn changes(old: &LockFile, new: &LockFile) -> Vec<String> {
    let versions = |lock: &LockFile| {
        let mut versions: BTreeMap<PackageName, Vec<String>> = BTreeMap::new();
        for package in &lock.packages {
            versions.entry(package.name.clone()).or_default().push(describe(package));
        }
        for list in versions.values_mut() {
            list.sort();
        }
        versions
    };
    let (old, new) = (versions(old), versions(new));
    let mut lines = Vec::new();
    for (name, before) in &old {
        match new.get(name) {
            None => lines.extend(before.iter().map(|line| format!("- {line}"))),
            Some(after) if after != before => {
                let strip = |list: &[String]| {
                    list.iter()
                        .map(|line| line.strip_prefix(&format!("{name} ")).unwrap_or(line).to_owned())
                        .collect::<Vec<_>>()
                };
                lines.push(format!("~ {name} {} -> {}", strip(before).join(", "), strip(after).join(", ")));
            }
            Some(_) => {}
        }
    }
    for (name, after) in &new {
        if !old.contains_key(name) {
            lines.extend(after.iter().map(|line| format!("+ {line}")));
        }
    }
    lines
}

#[cfg(test)]
mod tests {
    use camino::Utf8Path;

    #[test]
    fn ok_relative_to() {
        let relative = |path: &str, directory: &str| super::relative_to(Utf8Path::new(path), Utf8Path::new(directory));
        assert_eq!(relative("/a/b", "/a/b"), ".");
        assert_eq!(relative("/a/b/c/d.whl", "/a/b"), "c/d.whl");
        assert_eq!(relative("/a/app", "/a/locks"), "../app");
        assert_eq!(relative("/x/app", "/a/locks"), "/x/app");
    }
}
