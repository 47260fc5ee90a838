//! The build cache: what pex-rs keeps between builds, in versioned buckets.
//!
//! ```text
//! <cache root>/                  --cache-dir, else PEX_RS_CACHE_DIR, else the PEX_ROOT default
//!   CACHEDIR.TAG                 marks the tree as a cache for backup tools
//!   interpreters/v3/<key>.json   interpreter probes, keyed by path, size and mtime
//!   verified_wheels/v1/<sha256>  empty markers: a wheel with these exact bytes passed verification
//!   simple/v1/<sha256(url)>      index pages with their validators (see `index`)
//!   metadata/v1/<sha256>         METADATA files of wheels, by the wheel's digest
//!   wheels/v1/<sha256>/<file>    downloaded wheels, by digest
//!   sdists/v1/<sha256>/<file>    downloaded source distributions, by digest
//!   wheel_urls/v1/<sha256(url)>  the digest of a wheel or sdist whose index gave none
//!   bytecode/v1/<unit>.<format>.zip  the .pyc files of a wheel or of user code, per bytecode format
//!   source_builds/v1/<key>/      wheels built from one source (and its build settings), and
//!                                the METADATA a backend prepared, per interpreter
//!   build_envs/v1/<key>/         virtual environments with a build's requirements
//!   checkouts/v1/<key>/          git checkouts, by repository and commit
//! ```
//!
//! Every entry is written to a temporary file in its bucket and renamed into place, so readers
//! never see a partial entry and concurrent pex-rs processes need no lock for these buckets. A
//! format change means a new bucket version (`v2`), recorded in `docs/cache.md`.

use std::collections::HashMap;
use std::hash::Hash;
use std::sync::{Arc, Mutex, OnceLock};

use camino::{Utf8Path, Utf8PathBuf};

use crate::env;

/// Why the cache could not be used.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    #[error("no cache directory")]
    NoDefault,
    #[error("the cache directory `{0}` is not valid UTF-8")]
    NonUtf8(String),
    #[error("failed to create the cache directory `{path}`")]
    Create {
        path: Utf8PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("failed to lock the build cache (`{path}`)")]
    Lock {
        path: Utf8PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("the build cache `{root}` is in use by a running build, which did not finish within {waited} s")]
    Busy { root: Utf8PathBuf, waited: u64 },
    #[error("failed to remove `{path}` from the cache")]
    Remove {
        path: Utf8PathBuf,
        #[source]
        source: std::io::Error,
    },
}

/// A cache bucket; its directory name carries its format version.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Bucket {
    Interpreters,
    VerifiedWheels,
    Simple,
    Metadata,
    Wheels,
    Sdists,
    WheelUrls,
    Bytecode,
    SourceBuilds,
    BuildEnvironments,
    Checkouts,
    /// The PEX files of `pex-rs run`, by the invocation they were built for.
    Runs,
}

impl Bucket {
    fn directory(self) -> &'static str {
        match self {
            Self::Interpreters => "interpreters/v3",
            Self::VerifiedWheels => "verified_wheels/v1",
            Self::Simple => "simple/v1",
            Self::Metadata => "metadata/v1",
            Self::Wheels => "wheels/v1",
            Self::Sdists => "sdists/v1",
            Self::WheelUrls => "wheel_urls/v1",
            Self::Bytecode => "bytecode/v1",
            Self::SourceBuilds => "source_builds/v1",
            Self::BuildEnvironments => "build_envs/v1",
            Self::Checkouts => "checkouts/v1",
            Self::Runs => "runs/v1",
        }
    }
}

/// The build cache root.
#[derive(Clone, Debug)]
pub struct Cache {
    root: Utf8PathBuf,
}

const CACHEDIR_TAG: &str = "Signature: 8a477f597d28d172789f06886806bc55\n\
    # This file is a cache directory tag created by pex-rs.\n\
    # For information about cache directory tags see https://bford.info/cachedir/\n";

impl Cache {
    /// A cache rooted at `root` (created on first write), made absolute: builds run programs
    /// from it in other working directories.
    pub fn new(root: impl Into<Utf8PathBuf>) -> Self {
        Self { root: crate::fs::absolute(&root.into()) }
    }

    /// The cache named by the process's environment: `PEX_RS_CACHE_DIR`, else `PEX_ROOT`, else
    /// `$XDG_CACHE_HOME/pex-rs` (when absolute), else `~/.cache/pex-rs`.
    pub fn from_env() -> Result<Self, Error> {
        Self::from_environment(&env::Environment::from_process())
    }

    /// The cache that `environment` names, as [`Cache::from_env`] reads the process's.
    pub fn from_environment(environment: &env::Environment) -> Result<Self, Error> {
        let root = environment
            .var(env::CACHE_DIR)
            .map(Into::into)
            .or_else(|| environment.pex_root())
            .ok_or(Error::NoDefault)?;
        let root = crate::fs::utf8_path(root).map_err(|path| Error::NonUtf8(path.display().to_string()))?;
        Ok(Self::new(root))
    }

    /// The cache's directory.
    pub fn root(&self) -> &Utf8Path {
        &self.root
    }

    /// Returns the directory of `bucket`, creating it (and the tag at the root) if needed.
    pub(crate) fn bucket(&self, bucket: Bucket) -> Result<Utf8PathBuf, Error> {
        let path = self.root.join(bucket.directory());
        if !path.is_dir() {
            fs_err::create_dir_all(&path).map_err(|source| Error::Create { path: path.clone(), source })?;
            self.tag();
        }
        Ok(path)
    }

    /// Writes `CACHEDIR.TAG` at the root unless it is there: backup tools skip the tree, and so
    /// does a build of a project that keeps its cache inside it.
    fn tag(&self) {
        let tag = self.root.join("CACHEDIR.TAG");
        if !tag.exists() {
            // Best effort: the tag only helps others skip the tree.
            let _ = crate::fs::write_atomic(&tag, CACHEDIR_TAG.as_bytes());
        }
    }
}

/// A map whose values are computed once, even when many threads ask at the same time (the
/// others wait for the first).
pub(crate) struct OnceMap<K, V> {
    cells: Mutex<HashMap<K, Arc<OnceLock<V>>>>,
}

impl<K, V> Default for OnceMap<K, V> {
    fn default() -> Self {
        Self { cells: Mutex::new(HashMap::new()) }
    }
}

impl<K: Eq + Hash + Clone, V: Clone> OnceMap<K, V> {
    /// The value for `key`, when one was computed.
    pub(crate) fn get(&self, key: &K) -> Option<V> {
        let cells = self.cells.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        cells.get(key).and_then(|cell| cell.get().cloned())
    }

    pub(crate) fn get_or_init(&self, key: &K, init: impl FnOnce() -> V) -> V {
        let cell = {
            let mut cells = self.cells.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
            Arc::clone(cells.entry(key.clone()).or_default())
        };
        cell.get_or_init(init).clone()
    }
}

/// The build cache's buckets, for `pex-rs cache info|clear|prune`.
const BUCKETS: [Bucket; 12] = [
    Bucket::Interpreters,
    Bucket::VerifiedWheels,
    Bucket::Simple,
    Bucket::Metadata,
    Bucket::Wheels,
    Bucket::Sdists,
    Bucket::WheelUrls,
    Bucket::Bytecode,
    Bucket::SourceBuilds,
    Bucket::BuildEnvironments,
    Bucket::Checkouts,
    Bucket::Runs,
];

/// The size of one bucket.
#[derive(Clone, Debug)]
pub struct BucketUsage {
    /// The bucket's directory under the cache root, such as `wheels/v1`.
    pub name: &'static str,
    /// How many entries it holds.
    pub entries: u64,
    /// How many bytes its files take.
    pub bytes: u64,
}

impl Cache {
    /// The size of each bucket of the build cache.
    pub fn usage(&self) -> Vec<BucketUsage> {
        BUCKETS
            .iter()
            .map(|bucket| {
                let directory = self.root.join(bucket.directory());
                let entries = entries_of(&directory);
                BucketUsage {
                    name: bucket.directory(),
                    entries: entries.len() as u64,
                    bytes: entries.iter().map(|entry| size_of(entry.as_std_path())).sum(),
                }
            })
            .collect()
    }

    /// Holds the cache for a build: [`Cache::clear`] waits until no build holds it.
    pub(crate) fn lock_shared(&self) -> Result<CacheLock, Error> {
        let file = self.lock_file()?;
        file.lock_shared().map_err(|source| Error::Lock { path: self.root.join(".lock"), source })?;
        Ok(CacheLock(file))
    }

    fn lock_file(&self) -> Result<std::fs::File, Error> {
        let path = self.root.join(".lock");
        fs_err::create_dir_all(&self.root).map_err(|source| Error::Create { path: self.root.clone(), source })?;
        self.tag();
        std::fs::File::options()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
            .map_err(|source| Error::Create { path, source })
    }

    /// Removes every build cache bucket (never the runtime installs of a PEX_ROOT that shares
    /// the directory); returns the bytes freed. Waits for running builds (they hold the cache
    /// shared), and renames each bucket away before deleting it.
    pub fn clear(&self) -> Result<u64, Error> {
        let lock = self.lock_file()?;
        lock.lock().map_err(|source| Error::Lock { path: self.root.join(".lock"), source })?;
        let mut freed = 0;
        for bucket in BUCKETS {
            let directory = self.root.join(bucket.directory());
            if !directory.exists() {
                continue;
            }
            freed += size_of(directory.as_std_path());
            let doomed =
                self.root.join(format!(".{}.doomed.{}", bucket.directory().replace('/', "-"), std::process::id()));
            fs_err::rename(&directory, &doomed)
                .and_then(|()| fs_err::remove_dir_all(&doomed))
                .map_err(|source| Error::Remove { path: directory.clone(), source })?;
        }
        Ok(freed)
    }

    /// Removes the build cache entries not used for `older_than` (a wheel or a page is used
    /// when a build reads it; see `docs/cache.md`); returns the entries removed and the bytes.
    /// Running builds hold the cache: prune waits at most `wait` for them, then gives up.
    pub fn prune(&self, older_than: std::time::Duration, wait: std::time::Duration) -> Result<(u64, u64), Error> {
        let lock = self.lock_file()?;
        let lock_error = |source| Error::Lock { path: self.root.join(".lock"), source };
        let locked = crate::fs::lock_exclusive_within(&lock, wait, || {
            tracing::warn!("a build is using the build cache `{}`; waiting for it to finish", self.root);
        })
        .map_err(lock_error)?;
        if !locked {
            return Err(Error::Busy { root: self.root.clone(), waited: wait.as_secs() });
        }
        let cutoff = std::time::SystemTime::now().checked_sub(older_than).unwrap_or(std::time::UNIX_EPOCH);
        let (mut removed, mut freed) = (0, 0);
        // What a crashed process left: temporary downloads and half-deleted buckets.
        let leftover_cutoff = cutoff.min(std::time::SystemTime::now() - std::time::Duration::from_hours(24));
        let mut leftovers: Vec<Utf8PathBuf> =
            BUCKETS.iter().flat_map(|bucket| hidden_entries(&self.root.join(bucket.directory()))).collect();
        leftovers.extend(hidden_entries(&self.root).into_iter().filter(|path| path.as_str().contains(".doomed.")));
        for leftover in leftovers {
            if last_use(leftover.as_std_path()).is_some_and(|used| used < leftover_cutoff) {
                freed += size_of(leftover.as_std_path());
                let _ =
                    if leftover.is_dir() { fs_err::remove_dir_all(&leftover) } else { fs_err::remove_file(&leftover) };
            }
        }
        for bucket in BUCKETS {
            for entry in entries_of(&self.root.join(bucket.directory())) {
                if last_use(entry.as_std_path()).is_some_and(|used| used >= cutoff) {
                    continue;
                }
                let bytes = size_of(entry.as_std_path());
                let result = if entry.is_dir() { fs_err::remove_dir_all(&entry) } else { fs_err::remove_file(&entry) };
                match result {
                    Ok(()) => {
                        removed += 1;
                        freed += bytes;
                    }
                    Err(error) if error.kind() == std::io::ErrorKind::NotFound => {}
                    Err(source) => return Err(Error::Remove { path: entry, source }),
                }
            }
        }
        Ok((removed, freed))
    }
}

/// A shared hold on the cache (see [`Cache::lock_shared`]), released when dropped.
#[derive(Debug)]
pub(crate) struct CacheLock(#[expect(dead_code, reason = "held for its lock, never read")] std::fs::File);

/// Marks a cache entry as used now, for [`Cache::prune`]; at most once an hour, so a warm
/// build rarely writes.
pub(crate) fn touch(path: &Utf8Path) {
    let stale = fs_err::metadata(path)
        .and_then(|metadata| metadata.modified())
        .is_ok_and(|modified| modified.elapsed().is_ok_and(|age| age > std::time::Duration::from_hours(1)));
    if stale && let Ok(file) = std::fs::File::options().append(true).open(path) {
        let _ = file.set_modified(std::time::SystemTime::now());
    }
}

/// The entries of a bucket: its children, without the temporary files of writers at work.
fn entries_of(directory: &Utf8Path) -> Vec<Utf8PathBuf> {
    let Ok(read) = fs_err::read_dir(directory) else { return Vec::new() };
    read.filter_map(Result::ok)
        .filter(|entry| !entry.file_name().to_string_lossy().starts_with('.'))
        .filter_map(|entry| Utf8PathBuf::from_path_buf(entry.path()).ok())
        .collect()
}

/// The hidden (`.`-prefixed) children of `directory`: temporary files of writers.
fn hidden_entries(directory: &Utf8Path) -> Vec<Utf8PathBuf> {
    let Ok(read) = fs_err::read_dir(directory) else { return Vec::new() };
    read.filter_map(Result::ok)
        .filter(|entry| entry.file_name().to_string_lossy().starts_with('.'))
        .filter_map(|entry| Utf8PathBuf::from_path_buf(entry.path()).ok())
        .collect()
}

/// The latest modification time in the tree at `path`: builds touch what they use.
fn last_use(path: &std::path::Path) -> Option<std::time::SystemTime> {
    let metadata = fs_err::symlink_metadata(path).ok()?;
    let mut latest = metadata.modified().ok()?;
    if metadata.is_dir() {
        for entry in fs_err::read_dir(path).ok()?.filter_map(Result::ok) {
            if let Some(time) = last_use(&entry.path()) {
                latest = latest.max(time);
            }
        }
    }
    Some(latest)
}

fn size_of(path: &std::path::Path) -> u64 {
    let Ok(metadata) = fs_err::symlink_metadata(path) else { return 0 };
    if !metadata.is_dir() {
        return metadata.len();
    }
    fs_err::read_dir(path).map_or(0, |entries| entries.filter_map(Result::ok).map(|entry| size_of(&entry.path())).sum())
}
