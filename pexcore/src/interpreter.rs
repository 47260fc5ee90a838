//! Find and probe Pythons: the marker environment used to evaluate `Requires-Dist` markers.
//!
//! A probe runs the interpreter once with an embedded script (`interpreter/probe.py`) and is
//! cached in the `interpreters` bucket, keyed by the executable's path, size and modification
//! time, so a later build does not start Python again. A wrapper script (such as a pyenv shim,
//! which picks a different Python depending on the directory and configuration) is never
//! cached: the same file can stand for several interpreters.

use std::process::Command;

use camino::{Utf8Path, Utf8PathBuf};

use crate::cache::{Bucket, Cache};
use crate::hash::Sha256Digest;
use crate::requirement::MarkerEnvironment;

const PROBE: &str = include_str!("interpreter/probe.py");

/// Why an interpreter could not be used.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    #[error("no Python interpreter `{0}` on PATH; install one or pass `--python PATH`")]
    NotFound(String),
    #[error("failed to run the Python interpreter `{path}`")]
    Spawn {
        path: Utf8PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("the Python interpreter `{path}` failed to report its environment: {stderr}")]
    Probe { path: Utf8PathBuf, stderr: String },
    #[error("the Python interpreter `{path}` reported an environment pex-rs cannot read")]
    Parse {
        path: Utf8PathBuf,
        #[source]
        source: serde_json::Error,
    },
}

/// A probed Python interpreter.
#[derive(Clone, Debug)]
pub struct Interpreter {
    path: Utf8PathBuf,
    markers: MarkerEnvironment,
}

#[derive(serde::Serialize, serde::Deserialize)]
struct ProbeResult {
    #[serde(flatten)]
    markers: MarkerEnvironment,
}

impl Interpreter {
    /// Finds `python` (a path, or a name looked up on `search_path`, the value of `PATH`) and
    /// probes it, using `cache` when given.
    pub fn find(python: &str, search_path: Option<&std::ffi::OsStr>, cache: Option<&Cache>) -> Result<Self, Error> {
        let path = locate(python, search_path).ok_or_else(|| Error::NotFound(python.to_owned()))?;
        Self::probe(&path, cache)
    }

    fn probe(path: &Utf8Path, cache: Option<&Cache>) -> Result<Self, Error> {
        let cache_file = cache.and_then(|cache| cache_file(cache, path));
        // A corrupt entry is a miss: probe again and overwrite it.
        if let Some(file) = &cache_file
            && let Ok(text) = fs_err::read_to_string(file)
            && let Ok(result) = serde_json::from_str::<ProbeResult>(&text)
        {
            return Ok(Self::from_probe(path, result));
        }
        let output = Command::new(path.as_std_path())
            .args(["-I", "-c", PROBE])
            .output()
            .map_err(|source| Error::Spawn { path: path.to_owned(), source })?;
        if !output.status.success() {
            let stderr = String::from_utf8_lossy(&output.stderr);
            let stderr = stderr.lines().last().unwrap_or("it exited with an error").to_owned();
            return Err(Error::Probe { path: path.to_owned(), stderr });
        }
        let result: ProbeResult =
            serde_json::from_slice(&output.stdout).map_err(|source| Error::Parse { path: path.to_owned(), source })?;
        if let Some(file) = cache_file {
            tracing::debug!("caching the probe of `{path}` as `{file}`");
            // Best effort: a cache that cannot be written only costs a later probe.
            let _ = crate::fs::write_atomic(&file, &output.stdout);
        }
        Ok(Self::from_probe(path, result))
    }

    fn from_probe(path: &Utf8Path, result: ProbeResult) -> Self {
        Self { path: path.to_owned(), markers: result.markers }
    }

    /// The path the interpreter was found at.
    pub fn path(&self) -> &Utf8Path {
        &self.path
    }

    pub(crate) fn markers(&self) -> &MarkerEnvironment {
        &self.markers
    }
}

/// The cache file for `path`, or `None` when the probe must not be cached (see the module docs).
fn cache_file(cache: &Cache, path: &Utf8Path) -> Option<Utf8PathBuf> {
    use std::io::Read;
    let canonical = fs_err::canonicalize(path).ok()?;
    let metadata = fs_err::metadata(&canonical).ok()?;
    let mut magic = [0u8; 2];
    fs_err::File::open(&canonical).ok()?.read_exact(&mut magic).ok()?;
    if &magic == b"#!" {
        return None;
    }
    let modified = metadata.modified().ok()?.duration_since(std::time::UNIX_EPOCH).ok()?;
    let key = format!(
        "{}\0{}\0{}\0{}\0{}",
        path,
        canonical.display(),
        metadata.len(),
        modified.as_nanos(),
        std::env::consts::ARCH
    );
    let bucket = cache.bucket(Bucket::Interpreters).ok()?;
    Some(bucket.join(format!("{}.json", Sha256Digest::of(key.as_bytes()))))
}

/// Finds `python` as a path (when it contains a `/`) or on `search_path`.
fn locate(python: &str, search_path: Option<&std::ffi::OsStr>) -> Option<Utf8PathBuf> {
    if python.contains('/') {
        let path = Utf8PathBuf::from(python);
        return path.is_file().then_some(path);
    }
    std::env::split_paths(search_path?)
        .map(|directory| directory.join(python))
        .find(|candidate| is_executable(candidate))
        .and_then(|path| Utf8PathBuf::from_path_buf(path).ok())
}

fn is_executable(path: &std::path::Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    fs_err::metadata(path).is_ok_and(|metadata| metadata.is_file() && metadata.permissions().mode() & 0o111 != 0)
}
