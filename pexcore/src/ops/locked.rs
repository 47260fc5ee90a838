//! Building from a lock file (`build --lock`, `download --lock`): what each target takes from it,
//! and the versions an existing lock keeps when locking again (`pex-rs lock` is in `lock`).
//!
//! A build from a lock does not search: each target takes the packages whose markers hold for it
//! (PEP 751's rule), or, given requirements, only their closure within the lock. The resolver
//! still walks that closure (so extras, markers and `Requires-Dist` are read the same way as in
//! any build, and a lock that misses a dependency is an error rather than a broken PEX), but every
//! project offers exactly one version: the locked one, with the locked files.

use std::collections::HashMap;
use std::sync::Arc;

use camino::{Utf8Path, Utf8PathBuf};
use url::Url;

use super::sources::Sources;
use crate::dist::{SdistFilename, WheelFilename};
use crate::error::Error;
use crate::hash::Sha256Digest;
use crate::index::{Index, IndexFile, Project};
use crate::lockfile::{LockFile, LockedFile, LockedPackage, PackageSource};
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
pub(super) fn lock_directory(path: &Utf8Path) -> Utf8PathBuf {
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
