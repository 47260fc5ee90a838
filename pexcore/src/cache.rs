//! The build cache: what pex-rs keeps between builds, in versioned buckets.
//!
//! ```text
//! <cache root>/                  --cache-dir, else PEX_RS_CACHE_DIR, else the PEX_ROOT default
//!   CACHEDIR.TAG                 marks the tree as a cache for backup tools
//!   interpreters/v1/<key>.json   interpreter probes, keyed by path, size and mtime
//!   verified_wheels/v1/<sha256>  empty markers: a wheel with these exact bytes passed verification
//! ```
//!
//! Every entry is written to a temporary file in its bucket and renamed into place, so readers
//! never see a partial entry and concurrent pex-rs processes need no lock for these buckets. A
//! format change means a new bucket version (`v2`), recorded in `docs/cache.md`.

use camino::{Utf8Path, Utf8PathBuf};

use crate::env;

/// Why the cache could not be used.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    #[error("no cache directory: set `PEX_RS_CACHE_DIR` or `HOME`, or pass `--cache-dir`")]
    NoDefault,
    #[error("the cache directory `{0}` is not valid UTF-8; choose another with `--cache-dir`")]
    NonUtf8(String),
    #[error("failed to create the cache directory `{path}`; choose another with `--cache-dir`")]
    Create {
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
}

impl Bucket {
    fn directory(self) -> &'static str {
        match self {
            Self::Interpreters => "interpreters/v1",
            Self::VerifiedWheels => "verified_wheels/v1",
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
    /// A cache rooted at `root` (created on first write).
    pub fn new(root: impl Into<Utf8PathBuf>) -> Self {
        Self { root: root.into() }
    }

    /// The cache named by the environment: `PEX_RS_CACHE_DIR`, else `PEX_ROOT`, else
    /// `$XDG_CACHE_HOME/pex-rs` (when absolute), else `~/.cache/pex-rs`.
    pub fn from_env() -> Result<Self, Error> {
        let root = env::var(env::CACHE_DIR).map(Into::into).or_else(env::pex_root).ok_or(Error::NoDefault)?;
        let root = crate::fs::utf8_path(root).map_err(|path| Error::NonUtf8(path.display().to_string()))?;
        Ok(Self::new(root))
    }

    pub fn root(&self) -> &Utf8Path {
        &self.root
    }

    /// Returns the directory of `bucket`, creating it (and the tag at the root) if needed.
    pub(crate) fn bucket(&self, bucket: Bucket) -> Result<Utf8PathBuf, Error> {
        let path = self.root.join(bucket.directory());
        if !path.is_dir() {
            fs_err::create_dir_all(&path).map_err(|source| Error::Create { path: path.clone(), source })?;
            let tag = self.root.join("CACHEDIR.TAG");
            if !tag.exists() {
                // Best effort: the tag only helps backup tools skip the tree.
                let _ = crate::fs::write_atomic(&tag, CACHEDIR_TAG.as_bytes());
            }
        }
        Ok(path)
    }
}
