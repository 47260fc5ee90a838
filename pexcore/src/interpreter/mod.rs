//! Find and probe Pythons: the marker environment used to evaluate `Requires-Dist` markers, and
//! the PEP 425 tags that decide which wheels the interpreter can install.
//!
//! A probe runs the interpreter once with an embedded script (`interpreter/probe.py`) and is
//! cached in the `interpreters` bucket, keyed by the executable's path, size and modification
//! time, so a later build does not start Python again. A wrapper script (such as a pyenv shim,
//! which picks a different Python depending on the directory and configuration) is never
//! cached: the same file can stand for several interpreters.

mod constraint;

pub use constraint::{ConstraintError, InterpreterConstraint};

use std::process::Command;

use camino::{Utf8Path, Utf8PathBuf};

use crate::cache::{Bucket, Cache};
use crate::hash::Sha256Digest;
use crate::requirement::MarkerEnvironment;
use crate::tags::{TagEnvironment, Tags};

/// The probe: the boot code's interpreter fit (which detects the platform), then `probe.py`, which
/// prints what pexcore needs as JSON.
fn probe_script() -> &'static str {
    static SCRIPT: std::sync::LazyLock<String> =
        std::sync::LazyLock::new(|| format!("{}\n\n{}", crate::boot::fit(), include_str!("probe.py")));
    &SCRIPT
}

/// Why an interpreter could not be used.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    #[error("no Python interpreter `{0}` on PATH")]
    NotFound(String),
    #[error("`{0}` is not an executable file")]
    NoSuchFile(String),
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
    tags: Tags,
    pip_index_url: Option<String>,
    executable: Utf8PathBuf,
    bytecode: Option<BytecodeFormat>,
}

/// The bytecode an interpreter reads: the tag in its `.pyc` file names (`cpython-311`) and the
/// magic number they start with, in hex. Interpreters that cache no bytecode have none.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub(crate) struct BytecodeFormat {
    pub(crate) cache_tag: String,
    pub(crate) magic: String,
}

#[derive(serde::Serialize, serde::Deserialize)]
struct ProbeResult {
    #[serde(flatten)]
    markers: MarkerEnvironment,
    tags: TagEnvironment,
    /// The default index of the interpreter's own pip, if it has pip.
    pip_index_url: Option<String>,
    executable: Utf8PathBuf,
    bytecode: Option<BytecodeFormat>,
}

impl Interpreter {
    /// Finds `python` (a path, or a name looked up on `search_path`, the value of `PATH`) and
    /// probes it, using `cache` when given.
    pub fn find(python: &str, search_path: Option<&std::ffi::OsStr>, cache: Option<&Cache>) -> Result<Self, Error> {
        let path = locate(python, search_path).ok_or_else(|| {
            if python.contains('/') { Error::NoSuchFile(python.to_owned()) } else { Error::NotFound(python.to_owned()) }
        })?;
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
            .args(["-I", "-c", probe_script()])
            .output()
            .map_err(|source| Error::Spawn { path: path.to_owned(), source })?;
        if !output.status.success() {
            // All of it on one line: a wrapper such as pyenv's explains itself over several.
            let stderr = String::from_utf8_lossy(&output.stderr);
            let lines: Vec<&str> = stderr.lines().map(str::trim).filter(|line| !line.is_empty()).collect();
            let mut stderr = if lines.is_empty() { "it exited with an error".to_owned() } else { lines.join(" ") };
            if stderr.len() > 400 {
                stderr.truncate(stderr.floor_char_boundary(400));
                stderr.push_str(" ...");
            }
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
        tracing::debug!("`{path}` is a {} interpreter", result.tags);
        Self {
            path: path.to_owned(),
            markers: result.markers,
            tags: Tags::new(&result.tags),
            pip_index_url: result.pip_index_url,
            executable: result.executable,
            bytecode: result.bytecode,
        }
    }

    /// The path the interpreter was found at.
    pub fn path(&self) -> &Utf8Path {
        &self.path
    }

    pub(crate) fn markers(&self) -> &MarkerEnvironment {
        &self.markers
    }

    /// `CPython 3.11.7`: the implementation and version, for messages.
    pub fn describe(&self) -> String {
        format!("{} {}", self.markers.platform_python_implementation(), self.markers.python_full_version().string)
    }

    /// The interpreter's version (`python_full_version`).
    pub(crate) fn python_version(&self) -> &crate::requirement::Version {
        &self.markers.python_full_version().version
    }

    /// `cp311`, `pp310`, `cp313t`: the implementation, the version and the threading of the
    /// interpreter, which separate the wheels built from one sdist as pip's wheel cache does
    /// (pypa/pip#7296: a `setup.py` may build different wheels on different Pythons without
    /// saying so in their tags).
    pub(crate) fn python_tag(&self) -> String {
        let threading = if self.is_free_threaded() { "t" } else { "" };
        format!("{}{threading}", interpreter_tag(&self.markers))
    }

    /// The site-packages directory of a virtual environment for this interpreter, relative to
    /// the environment: `lib/python3.11/site-packages` (`python3.13t` free-threaded, `pypy3.10`).
    pub(crate) fn venv_site_packages(&self) -> String {
        let release = self.python_version().release();
        let (major, minor) = (release.first().copied().unwrap_or(3), release.get(1).copied().unwrap_or(0));
        let name = if self.markers.implementation_name() == "pypy" { "pypy" } else { "python" };
        let threading = if self.is_free_threaded() { "t" } else { "" };
        format!("lib/{name}{major}.{minor}{threading}/site-packages")
    }

    /// A free-threaded build (its best tag's ABI ends in `t`, as `cp313t`).
    fn is_free_threaded(&self) -> bool {
        self.tags
            .iter()
            .next()
            .is_some_and(|tag| tag.to_string().split('-').nth(1).is_some_and(|abi| abi.ends_with('t')))
    }

    /// The index the interpreter's pip uses by default (the last choice of `index::config`).
    pub(crate) fn pip_index_url(&self) -> Option<&str> {
        self.pip_index_url.as_deref()
    }

    /// The real executable behind the path it was found at (a pyenv shim runs another program).
    pub(crate) fn executable(&self) -> &Utf8Path {
        &self.executable
    }

    /// The bytecode the interpreter reads, if it caches any.
    pub(crate) fn bytecode(&self) -> Option<&BytecodeFormat> {
        self.bytecode.as_ref()
    }

    /// The wheel tags the interpreter supports, best first, as `packaging.tags.sys_tags()` lists
    /// them.
    pub(crate) fn tags(&self) -> &Tags {
        &self.tags
    }
}

/// The PEP 425 interpreter tag of a marker environment's Python: `cp311`, `pp310`.
pub(crate) fn interpreter_tag(markers: &MarkerEnvironment) -> String {
    let short = match markers.implementation_name() {
        "cpython" => "cp",
        "pypy" => "pp",
        other => other,
    };
    let release = markers.python_full_version().version.release();
    format!("{short}{}{}", release.first().copied().unwrap_or(3), release.get(1).copied().unwrap_or(0))
}

/// A command that runs `python` without this process's `PYTHON*` variables, nor the ones
/// `also_removed` picks: the caller's Python settings must not steer what pex-rs runs.
pub(crate) fn clean_command(python: &Utf8Path, also_removed: impl Fn(&str) -> bool) -> Command {
    let mut command = Command::new(python.as_std_path());
    for (name, _) in std::env::vars_os() {
        let text = name.to_string_lossy();
        if text.starts_with("PYTHON") || also_removed(&text) {
            command.env_remove(&name);
        }
    }
    command
}

/// Every distinct interpreter on `search_path` named `python3.X` (for the `X` from 30 down to 0
/// that `wanted_minor(3, X)` allows), `python3` or `python`, each probed once (through the
/// cache) and kept once per real executable. Names that fail to probe are skipped.
pub(crate) fn find_all(
    search_path: Option<&std::ffi::OsStr>,
    cache: Option<&Cache>,
    wanted_minor: impl Fn(u64, u64) -> bool,
) -> Vec<Interpreter> {
    let mut names: Vec<String> =
        (0..=30u64).rev().filter(|minor| wanted_minor(3, *minor)).map(|minor| format!("python3.{minor}")).collect();
    names.extend(["python3".to_owned(), "python".to_owned()]);
    let mut found: Vec<Interpreter> = Vec::new();
    let directories: Vec<std::path::PathBuf> =
        search_path.map(|path| std::env::split_paths(path).collect()).unwrap_or_default();
    for directory in &directories {
        for name in &names {
            let candidate = directory.join(name);
            if !is_executable(&candidate) {
                continue;
            }
            let Some(path) = candidate.to_str().map(Utf8PathBuf::from) else { continue };
            match Interpreter::probe(&path, cache) {
                // One target per real executable: `/bin` may be `/usr/bin`, a shim may be anything.
                Ok(interpreter) if !found.iter().any(|other| same_file(&other.executable, &interpreter.executable)) => {
                    found.push(interpreter);
                }
                Ok(_) => {}
                Err(error) => tracing::debug!("skipping `{path}`: {error}"),
            }
        }
    }
    found
}

/// `true` when both paths lead to the same file (after links).
fn same_file(left: &Utf8Path, right: &Utf8Path) -> bool {
    left == right
        || matches!((fs_err::canonicalize(left), fs_err::canonicalize(right)), (Ok(left), Ok(right)) if left == right)
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
    // The probe's own text too: a pex-rs whose probe detects differently asks again.
    let key = format!(
        "{}\0{}\0{}\0{}\0{}\0{}",
        path,
        canonical.display(),
        metadata.len(),
        modified.as_nanos(),
        std::env::consts::ARCH,
        Sha256Digest::of(probe_script().as_bytes())
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

#[cfg(test)]
mod tests {
    use super::*;

    /// Prints `packaging.tags.sys_tags()` and packaging's version, from packaging or else from
    /// the copy pip vendors (the same code).
    const SYS_TAGS: &str = "
import json
try:
    import packaging
    from packaging import tags
except ImportError:
    from pip._vendor import packaging
    from pip._vendor.packaging import tags
print(json.dumps({'version': packaging.__version__, 'tags': [str(tag) for tag in tags.sys_tags()]}))
";

    #[derive(serde::Deserialize)]
    struct Reference {
        version: String,
        tags: Vec<String>,
    }

    /// Each local Python's tags must be packaging's, tag for tag. A Python that is missing or
    /// lacks packaging is skipped with a note; under pyenv, list the versions in `PYENV_VERSION`
    /// (`3.11.7:3.8.18:...`) so that each `python3.X` shim resolves.
    #[test]
    #[expect(clippy::print_stderr, reason = "notes on the interpreters this test skips")]
    fn ok_tags_match_packaging_on_local_pythons() {
        let search_path = std::env::var_os("PATH");
        let names = ["python3", "python3.8", "python3.9", "python3.10", "python3.11", "python3.12", "python3.13"];
        for name in names {
            let interpreter = match Interpreter::find(name, search_path.as_deref(), None) {
                Ok(interpreter) => interpreter,
                Err(error) => {
                    eprintln!("note: skipping `{name}`: {error}");
                    continue;
                }
            };
            let output = Command::new(interpreter.path().as_std_path()).args(["-I", "-c", SYS_TAGS]).output().unwrap();
            if !output.status.success() {
                eprintln!("note: skipping `{name}`: it has neither packaging nor pip");
                continue;
            }
            let reference: Reference = serde_json::from_slice(&output.stdout).unwrap();
            let major: u32 = reference.version.split('.').next().and_then(|major| major.parse().ok()).unwrap();
            if major >= 26 {
                eprintln!("note: skipping `{name}`: packaging {} orders tags differently", reference.version);
                continue;
            }
            let mut ours: Vec<String> = interpreter.tags().iter().map(ToString::to_string).collect();
            if major < 22 {
                // packaging before 22.0 lacks CPython's `cpXY-none-any` (pypa/packaging#541).
                ours.retain(|tag| !(tag.starts_with("cp") && tag.ends_with("-none-any")));
            }
            let first_difference = ours.iter().zip(&reference.tags).position(|(ours, theirs)| ours != theirs);
            assert!(
                ours == reference.tags,
                "`{name}` (packaging {}): {} tags against packaging's {}, first difference at {first_difference:?}: \
                 {:?} against {:?}",
                reference.version,
                ours.len(),
                reference.tags.len(),
                first_difference.map(|index| &ours[index]),
                first_difference.map(|index| &reference.tags[index]),
            );
            eprintln!("note: `{name}` matches packaging {} ({} tags)", reference.version, ours.len());
        }
    }
}
