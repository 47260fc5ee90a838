//! Lock files: the standard one, PEP 751 `pylock.toml` (read and written), and pex's JSON lock
//! (read, for users moving from pex). Both become one [`LockFile`]: packages with their version,
//! the marker that says where each is installed, and the files (with sha256 and size) that may
//! be installed for it. Pure data: choosing what a target takes is [`LockFile::select`];
//! downloading and building is `ops`'s work.

mod pex;
mod pylock;

use std::collections::BTreeMap;

use camino::{Utf8Path, Utf8PathBuf};

use crate::hash::Sha256Digest;
use crate::requirement::{ExtraName, MarkerEnvironment, PackageName, Version, VersionSpecifiers};

pub(crate) use pylock::write;

/// The lock version pex-rs writes and fully understands.
pub(crate) const LOCK_VERSION: (u64, u64) = (1, 0);

/// Why a lock file cannot be used.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    #[error("failed to read the lock file `{path}`")]
    Read {
        path: Utf8PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("`{path}` is not a valid lock file: {reason}")]
    Invalid { path: Utf8PathBuf, reason: String },
    #[error(
        "`{path}` has lock-version {found}, a major version this pex-rs does not read (it reads 1.x); upgrade pex-rs or lock again with it"
    )]
    UnsupportedVersion { path: Utf8PathBuf, found: String },
}

/// A lock file, whatever format it was read from.
#[derive(Clone, Debug, Default)]
pub(crate) struct LockFile {
    /// The markers of the environments the lock was made for (none: any).
    pub(crate) environments: Vec<Marker>,
    pub(crate) requires_python: Option<VersionSpecifiers>,
    /// The extras and dependency groups that package markers may name (PEP 751).
    pub(crate) extras: Vec<ExtraName>,
    pub(crate) dependency_groups: Vec<GroupName>,
    /// The groups installed when none is asked for.
    pub(crate) default_groups: Vec<GroupName>,
    pub(crate) created_by: String,
    pub(crate) packages: Vec<LockedPackage>,
    /// The requirements it was made from, when the lock says (pex-rs's `[tool.pex-rs]`, pex's
    /// `requirements`): what PEX-INFO records for a build from it.
    pub(crate) requirements: Vec<String>,
}

pub(crate) use uv_normalize::GroupName;

/// A marker, with its text as the lock spells it (for messages and for writing back).
#[derive(Clone, Debug)]
pub(crate) struct Marker {
    pub(crate) tree: uv_pep508::MarkerTree,
    pub(crate) text: String,
}

impl Marker {
    pub(crate) fn parse(text: &str) -> Result<Self, String> {
        let tree = text.parse::<uv_pep508::MarkerTree>().map_err(|error| format!("marker `{text}`: {error}"))?;
        Ok(Self { tree, text: text.to_owned() })
    }

    pub(crate) fn from_tree(tree: uv_pep508::MarkerTree) -> Option<Self> {
        tree.contents().map(|contents| Self { tree, text: contents.to_string() })
    }
}

/// One package of a lock.
#[derive(Clone, Debug)]
pub(crate) struct LockedPackage {
    pub(crate) name: PackageName,
    pub(crate) version: Option<Version>,
    /// Where it is installed (none: everywhere the lock is used).
    pub(crate) marker: Option<Marker>,
    pub(crate) requires_python: Option<VersionSpecifiers>,
    pub(crate) source: PackageSource,
}

/// Where a package's files come from.
#[derive(Clone, Debug)]
pub(crate) enum PackageSource {
    /// Wheels, and the sdist to build where no wheel fits.
    Files { sdist: Option<LockedFile>, wheels: Vec<LockedFile> },
    /// A source archive at a URL or path (a direct reference).
    Archive { file: LockedFile, subdirectory: Option<String> },
    /// A git repository at a commit.
    Vcs { url: String, commit: String, subdirectory: Option<String> },
    /// A project directory, relative to the lock file.
    Directory { path: String, subdirectory: Option<String> },
}

/// A file a lock names, with what verifies it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct LockedFile {
    pub(crate) name: String,
    pub(crate) location: Location,
    pub(crate) size: Option<u64>,
    /// A TOML date-time, as the index gave it.
    pub(crate) upload_time: Option<String>,
    pub(crate) sha256: Sha256Digest,
}

/// Where a locked file is: a URL, or a path (relative to the lock file, or absolute).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Location {
    Url(String),
    Path(String),
}

impl Location {
    /// The file's name: the last segment of its URL or path, percent-decoded.
    pub(crate) fn file_name(&self) -> String {
        let text = match self {
            Self::Url(url) => url.split(['?', '#']).next().unwrap_or_default(),
            Self::Path(path) => path.as_str(),
        };
        percent_encoding::percent_decode_str(text.rsplit('/').next().unwrap_or_default())
            .decode_utf8_lossy()
            .into_owned()
    }

    /// The file's URL, with a relative path read against the lock's directory.
    pub(crate) fn to_url(&self, lock_directory: &Utf8Path) -> Result<url::Url, String> {
        match self {
            Self::Url(text) => url::Url::parse(text).map_err(|error| format!("`{text}`: {error}")),
            Self::Path(path) => {
                let path = lock_directory.join(path);
                url::Url::from_file_path(crate::fs::absolute(&path)).map_err(|()| format!("`{path}` is not a path"))
            }
        }
    }
}

impl LockFile {
    /// Reads the lock at `path`: PEP 751 TOML, or pex's JSON lock (by its content).
    pub(crate) fn read(path: &Utf8Path) -> Result<Self, Error> {
        let text = fs_err::read_to_string(path).map_err(|source| Error::Read { path: path.to_owned(), source })?;
        Self::parse(&text, path)
    }

    /// Parses the text of a lock (`path` names it in errors).
    pub(crate) fn parse(text: &str, path: &Utf8Path) -> Result<Self, Error> {
        if text.trim_start().starts_with('{') {
            return pex::parse(text).map_err(|reason| Error::Invalid { path: path.to_owned(), reason });
        }
        pylock::parse(text, path)
    }

    /// `true` when the lock admits an environment with `markers` (its `environments`, if any,
    /// and its `requires-python`).
    pub(crate) fn admits(&self, markers: &MarkerEnvironment) -> bool {
        let python = &markers.python_full_version().version;
        self.requires_python.as_ref().is_none_or(|specifiers| specifiers.contains(python))
            && (self.environments.is_empty()
                || self.environments.iter().any(|environment| environment.tree.evaluate(markers, &[])))
    }

    /// The packages an environment with `markers` installs (PEP 751: those whose marker holds,
    /// with `extras` and `groups`), by name. A name with several matching entries (a pex lock
    /// with one resolve per platform) keeps them all: the caller picks the one whose wheels fit.
    pub(crate) fn select(
        &self,
        markers: &MarkerEnvironment,
        extras: &[ExtraName],
        groups: &[GroupName],
    ) -> BTreeMap<PackageName, Vec<&LockedPackage>> {
        let mut selected: BTreeMap<PackageName, Vec<&LockedPackage>> = BTreeMap::new();
        for package in &self.packages {
            let applies =
                package.marker.as_ref().is_none_or(|marker| marker.tree.evaluate_pep751(markers, extras, groups));
            let python = &markers.python_full_version().version;
            if applies && package.requires_python.as_ref().is_none_or(|specifiers| specifiers.contains(python)) {
                selected.entry(package.name.clone()).or_default().push(package);
            }
        }
        selected
    }
}

/// Whether `text` names a lock-version this reader accepts: `Ok(true)` for a newer minor
/// version (read, with a warning), an error for another major version.
fn check_version(text: &str, path: &Utf8Path) -> Result<bool, Error> {
    let unsupported = || Error::UnsupportedVersion { path: path.to_owned(), found: text.to_owned() };
    let mut parts = text.split('.');
    let major: u64 = parts.next().and_then(|part| part.parse().ok()).ok_or_else(unsupported)?;
    let minor: u64 = parts.next().map_or(Some(0), |part| part.parse().ok()).ok_or_else(unsupported)?;
    if major != LOCK_VERSION.0 {
        return Err(unsupported());
    }
    Ok(minor > LOCK_VERSION.1)
}

#[cfg(test)]
mod tests {
    use std::str::FromStr;

    use super::*;

    const DIGEST: &str = "0000000000000000000000000000000000000000000000000000000000000001";

    fn environment(python: &str, platform: &str) -> MarkerEnvironment {
        let builder = uv_pep508::MarkerEnvironmentBuilder {
            implementation_name: "cpython",
            implementation_version: python,
            os_name: "posix",
            platform_machine: "x86_64",
            platform_python_implementation: "CPython",
            platform_release: "",
            platform_system: "Linux",
            platform_version: "",
            python_full_version: python,
            python_version: &python[..python.rfind('.').unwrap()],
            sys_platform: platform,
        };
        MarkerEnvironment::try_from(builder).unwrap()
    }

    #[test]
    fn ok_select_follows_markers_extras_and_groups() {
        let text = format!(
            r#"lock-version = "1.0"
environments = ["sys_platform == 'linux'"]
extras = ["cli"]
dependency-groups = ["dev"]
default-groups = []
created-by = "test"
[[packages]]
name = "base"
version = "1"
wheels = [{{ url = "https://h/base-1-py3-none-any.whl", hashes = {{ sha256 = "{DIGEST}" }} }}]
[[packages]]
name = "old"
version = "1"
marker = "python_version < '3.12'"
wheels = [{{ url = "https://h/old-1-py3-none-any.whl", hashes = {{ sha256 = "{DIGEST}" }} }}]
[[packages]]
name = "cli-only"
version = "1"
marker = "'cli' in extras"
wheels = [{{ url = "https://h/cli_only-1-py3-none-any.whl", hashes = {{ sha256 = "{DIGEST}" }} }}]
[[packages]]
name = "dev-only"
version = "1"
marker = "'dev' in dependency_groups"
wheels = [{{ url = "https://h/dev_only-1-py3-none-any.whl", hashes = {{ sha256 = "{DIGEST}" }} }}]
"#
        );
        let lock = pylock::parse(&text, Utf8Path::new("pylock.toml")).unwrap();
        let names = |markers: &MarkerEnvironment, extras: &[&str], groups: &[&str]| {
            let extras: Vec<ExtraName> = extras.iter().map(|name| ExtraName::from_str(name).unwrap()).collect();
            let groups: Vec<GroupName> = groups.iter().map(|name| GroupName::from_str(name).unwrap()).collect();
            lock.select(markers, &extras, &groups).into_keys().map(|name| name.to_string()).collect::<Vec<_>>()
        };
        let (linux_311, linux_312) = (environment("3.11.4", "linux"), environment("3.12.1", "linux"));
        assert_eq!(names(&linux_311, &[], &[]), ["base", "old"]);
        assert_eq!(names(&linux_312, &[], &[]), ["base"]);
        assert_eq!(names(&linux_312, &["cli"], &["dev"]), ["base", "cli-only", "dev-only"]);
        assert!(lock.admits(&linux_311));
        assert!(!lock.admits(&environment("3.11.4", "darwin")), "the lock's environments exclude macOS");
    }
}
