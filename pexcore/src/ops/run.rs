//! `pex-rs run`: the PEX of an invocation, built once into the build cache and named by the
//! invocation's inputs, then reused while it is fresh, as `uvx` and `pipx run` reuse their
//! environments. The caller runs the file.

use std::time::{Duration, SystemTime};

use camino::Utf8PathBuf;

use super::{BuildOptions, build_pex};
use crate::cache::Bucket;
use crate::env;
use crate::error::Error;
use crate::hash::Hasher;
use crate::pex_root::PexRoot;

/// The environment variables that change what a build resolves (the index, pip's configuration
/// files), which interpreters it finds (`PATH`), or the bytes it writes.
const INPUT_VARIABLES: [&str; 9] = [
    env::INDEX_URL,
    env::PIP_INDEX_URL,
    env::PIP_EXTRA_INDEX_URL,
    env::PIP_CONFIG_FILE,
    env::XDG_CONFIG_HOME,
    env::XDG_CONFIG_DIRS,
    env::VIRTUAL_ENV,
    env::PATH,
    env::SOURCE_DATE_EPOCH,
];

/// The PEX of a `pex-rs run`, whether this call built it, and how it starts warm.
#[derive(Clone, Debug)]
pub struct PreparedRun {
    /// The PEX file, in the build cache.
    pub pex: Utf8PathBuf,
    /// Whether this call built it (else it was reused).
    pub built: bool,
    /// The environment the PEX's sh header would exec, when it would take its warm path:
    /// running it directly saves the shell's start.
    pub warm: Option<WarmStart>,
}

/// A PEX's warm start: `python runner PEX ARGS...` (docs/format.md, "The sh header").
#[derive(Clone, Debug)]
pub struct WarmStart {
    /// The interpreter of the PEX's virtual environment.
    pub python: std::path::PathBuf,
    /// The runner script it executes.
    pub runner: std::path::PathBuf,
}

/// The PEX for `options`: the one built before for the same `invocation` (the command line's
/// words that choose what is built) and the same requirements, constraints and lock files (by
/// their contents, with every file they include), when it is younger than `max_age` and
/// `refresh` is not asked for; otherwise built now. An invocation that names a project, a wheel
/// or a source directory of this machine, on the command line or in a requirements file, is
/// built every time: a build from the warm cache checks their contents faster than they could
/// be hashed.
pub fn prepare_run(
    options: &BuildOptions,
    invocation: &[String],
    refresh: bool,
    max_age: Duration,
) -> Result<PreparedRun, Error> {
    let cache = options.cache.clone().map_or_else(crate::cache::Cache::from_env, Ok)?;
    let bucket = cache.bucket(Bucket::Runs)?;
    let (files, mut local) = input_files(options);
    let pex = bucket.join(format!("{}.pex", invocation_key(invocation, &files)));
    local |= !options.wheels.is_empty()
        || !options.source_directories.is_empty()
        || options.resolve.requirements.iter().any(|requirement| camino::Utf8Path::new(requirement).exists());
    let fresh = fs_err::metadata(&pex)
        .and_then(|metadata| metadata.modified())
        .is_ok_and(|built| SystemTime::now().duration_since(built).is_ok_and(|age| age < max_age));
    if fresh && !refresh && !local {
        let warm = warm_start(&pex);
        return Ok(PreparedRun { pex, built: false, warm });
    }
    build_pex(options, &pex)?;
    // The build leaves an unchanged PEX untouched (for make); its age here is the last check.
    if let Ok(file) = std::fs::File::options().append(true).open(&pex) {
        let _ = file.set_modified(SystemTime::now());
    }
    let warm = warm_start(&pex);
    Ok(PreparedRun { pex, built: true, warm })
}

/// What the sh header of the PEX at `pex` execs on a warm start, found as it finds it: no
/// `PEX_PYTHON`, `PEX_PYTHON_PATH`, `PEX_VERIFY` or `PEX_TOOLS`, and the environment named by
/// the header's `venv=$root/venvs/v1/<pex_hash>/sh` line complete in the PEX_ROOT.
fn warm_start(pex: &camino::Utf8Path) -> Option<WarmStart> {
    use std::io::Read as _;
    use std::os::unix::fs::PermissionsExt as _;
    if env::WARM_PATH_STEERING.into_iter().any(|name| env::var(name).is_some()) {
        return None;
    }
    let mut head = Vec::with_capacity(4096);
    fs_err::File::open(pex).ok()?.take(4096).read_to_end(&mut head).ok()?;
    let head = String::from_utf8_lossy(&head);
    // The header's line `venv=$root/venvs/v1/<pex_hash>/sh` names the PEX's hash.
    let (_, rest) = head.split_once(&format!("venv={}/", PexRoot::venvs_in_shell("$root")))?;
    let pex_hash = rest.get(..64).filter(|hash| hash.bytes().all(|byte| byte.is_ascii_hexdigit()))?;
    let root = Utf8PathBuf::from_path_buf(env::pex_root()?).ok()?;
    let venv = PexRoot::new(&root).environments_of(pex_hash).join(crate::pex_root::SH_LINK).into_std_path_buf();
    let (python, runner) = (venv.join("bin").join("python"), venv.join("pex"));
    let executable = fs_err::metadata(&python).is_ok_and(|metadata| metadata.permissions().mode() & 0o111 != 0);
    (executable && runner.is_file()).then_some(WarmStart { python, runner })
}

/// The requirements, constraints and lock files of `options` with every file they include, as
/// (path, contents); and whether they name anything of this machine that only a build checks
/// (a local project or wheel), or could not be read (the build then says why).
fn input_files(options: &BuildOptions) -> (Vec<(String, Vec<u8>)>, bool) {
    use crate::requirements_file::{EntryKind, RequirementsFile};
    let resolve = &options.resolve;
    let mut paths: Vec<camino::Utf8PathBuf> = resolve.lock.iter().cloned().collect();
    let mut local = false;
    let read = resolve.requirement_files.iter().map(|path| RequirementsFile::read(path, &resolve.environment)).chain(
        resolve.constraint_files.iter().map(|path| RequirementsFile::read_constraints(path, &resolve.environment)),
    );
    for file in read {
        let Ok(file) = file else { return (Vec::new(), true) };
        local |= file
            .requirements
            .iter()
            .chain(&file.constraints)
            .any(|entry| matches!(entry.kind, EntryKind::LocalWheel(_) | EntryKind::LocalSource { .. }));
        paths.extend(file.files);
    }
    let mut files = Vec::with_capacity(paths.len());
    for path in paths {
        let Ok(contents) = fs_err::read(&path) else { return (Vec::new(), true) };
        files.push((path.into_string(), contents));
    }
    (files, local)
}

/// The name of an invocation's PEX: its words and input files, the working directory
/// (relative paths), the variables that steer resolution, and this pex-rs's version.
fn invocation_key(invocation: &[String], files: &[(String, Vec<u8>)]) -> String {
    let mut hasher = Hasher::default();
    let mut part = |bytes: &[u8]| {
        hasher.update(&(bytes.len() as u64).to_le_bytes());
        hasher.update(bytes);
    };
    part(crate::VERSION.as_bytes());
    part(std::env::current_dir().map(std::path::PathBuf::into_os_string).unwrap_or_default().as_encoded_bytes());
    for name in INPUT_VARIABLES {
        part(name.as_bytes());
        part(env::var(name).unwrap_or_default().as_encoded_bytes());
    }
    for word in invocation {
        part(word.as_bytes());
    }
    for (path, contents) in files {
        part(path.as_bytes());
        part(contents);
    }
    hasher.finish().to_string()
}
