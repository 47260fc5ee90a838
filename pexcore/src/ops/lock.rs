//! `pex-rs lock`: resolve, then write what was chosen as a PEP 751 lock. Each target (or, with
//! `--universal`, each Python series on each common platform) is resolved; what they chose is
//! merged, package by package, under the marker of the targets (and extras and dependency
//! groups) that chose it, simplified against the environments the lock covers. An existing lock
//! steers the resolution (its versions are preferred) unless `--upgrade` says otherwise.

use std::collections::BTreeMap;

use camino::{Utf8Path, Utf8PathBuf};
use url::Url;

use super::fetch::Resolved;
use super::locked::lock_directory;
use super::sources::Sources;
use crate::error::Error;
use crate::hash::Sha256Digest;
use crate::index::{Index, IndexFile};
use crate::lockfile::{Location, LockFile, LockedFile, LockedPackage, Marker, PackageSource};
use crate::requirement::{PackageName, Version};
use crate::resolve::{Candidate, Pinned};
use crate::target::Target;

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
pub(crate) type Variant<'r, 'a> = (&'r Resolved<'a>, uv_pep508::MarkerTree);

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
    let mut chosen: BTreeMap<(PackageName, Version), (uv_pep508::MarkerTree, &Pinned, &Resolved<'_>)> = BTreeMap::new();
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
    resolution: &Resolved<'_>,
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
            let project = index.project(&pinned.name)?;
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

/// A resolution of a build's requirements for its targets, held in memory: the PEP 751 lock that
/// [`lock_requirements`] writes. A build given it ([`super::BuildOptions::with_resolution`])
/// fetches exactly its files and asks no index, so a caller can stop between resolving and
/// building, look at what was chosen, keep it or write it.
#[derive(Clone, Debug)]
pub struct Resolution {
    pub(crate) lock: LockFile,
    /// The lock file this resolution is for: its relative paths start from its directory.
    pub(crate) path: Utf8PathBuf,
}

impl Resolution {
    /// The chosen distributions, sorted by project name (a project locked for several
    /// environments appears once per version).
    pub fn packages(&self) -> Vec<super::ResolvedWheel> {
        let mut packages: Vec<super::ResolvedWheel> = self
            .lock
            .packages
            .iter()
            .map(|package| super::ResolvedWheel {
                name: package.name.to_string(),
                version: package.version.as_ref().map(ToString::to_string).unwrap_or_default(),
                filename: match &package.source {
                    PackageSource::Files { wheels, sdist } => {
                        wheels.first().or(sdist.as_ref()).map(|file| file.name.clone()).unwrap_or_default()
                    }
                    PackageSource::Archive { file, .. } => file.name.clone(),
                    PackageSource::Vcs { url, commit, .. } => format!("{url}@{commit}"),
                    PackageSource::Directory { path, .. } => path.clone(),
                },
            })
            .collect();
        packages.sort_by(|left, right| left.name.cmp(&right.name).then_with(|| left.version.cmp(&right.version)));
        packages.dedup_by(|left, right| left.name == right.name && left.version == right.version);
        packages
    }

    /// The lock as PEP 751 TOML, as `pex-rs lock` writes it.
    pub fn to_toml(&self) -> String {
        crate::lockfile::write(&self.lock)
    }

    /// The lock file this resolution is for (see [`LockOptions::new`]).
    pub fn path(&self) -> &Utf8Path {
        &self.path
    }
}

/// Resolves `options` into the lock that `lock` describes, without writing it: the first half
/// of [`lock_requirements`].
pub fn resolve_lock(options: &super::BuildOptions, lock: &LockOptions) -> Result<Resolution, Error> {
    Ok(Resolution { lock: locked(options, lock, read_existing(lock)?.as_ref())?, path: lock.output.clone() })
}

/// The lock already at the path `lock` writes to, if any.
fn read_existing(lock: &LockOptions) -> Result<Option<LockFile>, Error> {
    if lock.output.exists() { Ok(Some(LockFile::read(&lock.output)?)) } else { Ok(None) }
}

/// Resolves `options` and writes the PEP 751 lock that `lock` describes.
pub fn lock_requirements(options: &super::BuildOptions, lock: &LockOptions) -> Result<LockReport, Error> {
    let existing = read_existing(lock)?;
    let locked = locked(options, lock, existing.as_ref())?;
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

/// The lock of `options` as `lock` describes it, keeping the versions of `existing` where they
/// still fit (unless upgrading).
fn locked(options: &super::BuildOptions, lock: &LockOptions, existing: Option<&LockFile>) -> Result<LockFile, Error> {
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
    let cache = options.build_cache()?;
    let (targets, requires_python) = if lock.universal {
        let (targets, requires_python) = options.targets.universal()?;
        (targets, Some(requires_python))
    } else {
        (options.targets.targets(options.cache.as_ref())?, None)
    };
    let kept = existing.filter(|_| !lock.upgrade).map(|existing| {
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
    Ok(locked)
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
