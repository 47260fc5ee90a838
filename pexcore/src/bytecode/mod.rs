//! The bytecode a PEX carries: the `.pyc` files of its wheels and user code, compiled by each
//! interpreter the PEX is built for, so that a first start imports modules instead of compiling
//! them (`docs/format.md`, "Bytecode").
//!
//! Bytecode belongs to one Python version, so the target interpreter compiles it, in worker
//! processes running `bytecode/compile.py`, a few hundred files each. The `.pyc` files are PEP 552
//! hash-based and unchecked, and a function of the sources and the interpreter version alone, so
//! builds stay reproducible. The result for one unit (a wheel, or the user code) and one bytecode
//! format is cached as `bytecode/v1/<unit digest>.<format digest>.zip`: the sha256 of a zip of
//! deflated `.pyc` members named inside the unit, then that zip, which the build copies raw into
//! the PEX.

use std::io::{self, Cursor, Read, Write};
use std::process::{Command, Stdio};
use std::sync::Arc;

use camino::{Utf8Path, Utf8PathBuf};
use rayon::prelude::*;
use zip::write::SimpleFileOptions;

use crate::cache::{Bucket, Cache};
use crate::hash::Sha256Digest;
use crate::interpreter::Interpreter;

const COMPILE: &str = include_str!("compile.py");

/// Sources given to one worker process: enough to amortise its start, few enough that a big
/// wheel (pandas: 1,500 modules) is shared out between processes.
const FILES_PER_WORKER: usize = 200;

/// Why bytecode could not be compiled.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    #[error("failed to run the Python interpreter `{python}` to compile bytecode")]
    Spawn {
        python: Utf8PathBuf,
        #[source]
        source: io::Error,
    },
    #[error("the Python interpreter `{python}` failed to compile the bytecode of `{unit}`: {reason}")]
    Compile { python: Utf8PathBuf, unit: String, reason: String },
    #[error("failed to read `{unit}` to compile its bytecode")]
    Read {
        unit: String,
        #[source]
        source: zip::result::ZipError,
    },
}

/// The sources of one unit, read only when its bytecode is not cached.
pub(crate) type SourceReader<'a> = Box<dyn Fn() -> Result<Vec<(String, Vec<u8>)>, Error> + Send + Sync + 'a>;

/// A wheel or the user code of a PEX: files whose bytecode is compiled and cached together.
pub(crate) struct Unit<'a> {
    /// How messages name it: the wheel file name, or `the user code`.
    pub(crate) name: String,
    /// What its sources are: the wheel's sha256, or the user code's `code_hash`.
    pub(crate) digest: String,
    /// Where its files are in the PEX: `.deps/<wheel>/`, or empty for user code.
    pub(crate) prefix: String,
    /// Its module sources as (path inside the unit, bytes).
    pub(crate) sources: SourceReader<'a>,
    /// The interpreters that compile it: those that may run it.
    pub(crate) interpreters: Vec<&'a Interpreter>,
}

/// The `.pyc` files of one unit for one interpreter.
pub(crate) struct Compiled {
    /// Where the unit's files are in the PEX (see [`Unit::prefix`]).
    pub(crate) prefix: String,
    /// A zip of the `.pyc` files, named inside the unit, sorted.
    pub(crate) archive: Arc<[u8]>,
}

impl Compiled {
    /// The `.pyc` files as a zip archive, to copy their raw bytes into the PEX.
    pub(crate) fn reader(&self) -> zip::ZipArchive<Cursor<Arc<[u8]>>> {
        // Checked when it was read from the cache or written.
        zip::ZipArchive::new(Cursor::new(Arc::clone(&self.archive))).expect("the bytecode archive was checked")
    }
}

/// Whether the file at `path` (inside an installed wheel or the user code) is a module source
/// whose bytecode the PEX carries: not a script or data file under `.prefix/`, and not in a
/// `tests` or `test` package, which an application does not import (pandas ships 1,400 test
/// modules, 70 % of its sources); Python compiles such a module if it is ever imported.
#[expect(clippy::case_sensitive_file_extension_comparisons, reason = "Python imports `.py` files only")]
pub(crate) fn is_module_source(path: &str) -> bool {
    let mut directories = path.split('/').rev().skip(1);
    path.ends_with(".py")
        && !path.starts_with(".prefix/")
        && !directories.any(|part| matches!(part, "__pycache__" | "tests" | "test"))
}

/// The bytecode of every unit for each of its interpreters that caches bytecode, from the cache
/// where it is there; interpreters of the same bytecode format compile once.
pub(crate) fn compile(units: &[Unit<'_>], cache: Option<&Cache>) -> Result<Vec<Compiled>, Error> {
    let bucket = cache.and_then(|cache| cache.bucket(Bucket::Bytecode).ok());
    let mut jobs: Vec<(&Unit<'_>, String, &Interpreter)> = Vec::new();
    for unit in units {
        // One compilation per `.pyc` file name (cache tag): two interpreters of one tag (pyenv's
        // 3.11.7 and the system's 3.11.2) would write the same members; the first one's serve
        // both, as the tag's magic number is the same.
        let mut tags: Vec<&str> = Vec::new();
        for interpreter in &unit.interpreters {
            if let (Some(format), Some(key)) = (interpreter.bytecode(), format_key(interpreter))
                && !tags.contains(&format.cache_tag.as_str())
            {
                tags.push(&format.cache_tag);
                jobs.push((unit, key, interpreter));
            }
        }
    }
    jobs.par_iter()
        .map(|(unit, key, interpreter)| {
            let cached = bucket.as_ref().map(|bucket| bucket.join(format!("{}.{key}.zip", unit.digest)));
            // An entry is the sha256 of the zip, then the zip: its members are copied raw into
            // PEX files, so a damaged entry must be noticed here, not at a first start.
            if let Some(path) = &cached
                && let Ok(entry) = fs_err::read(path)
                && let Some((digest, archive)) = entry.split_at_checked(32)
                && Sha256Digest::of(archive).as_bytes().as_slice() == digest
                && zip::ZipArchive::new(Cursor::new(archive)).is_ok()
            {
                crate::cache::touch(path);
                return Ok(Compiled { prefix: unit.prefix.clone(), archive: archive.into() });
            }
            let archive = compile_unit(unit, interpreter)?;
            if let Some(path) = &cached {
                let mut entry = Sha256Digest::of(&archive).as_bytes().to_vec();
                entry.extend_from_slice(&archive);
                // Best effort: a cache that cannot be written only costs compiling again.
                let _ = crate::fs::write_atomic(path, &entry);
            }
            Ok(Compiled { prefix: unit.prefix.clone(), archive: archive.into() })
        })
        .collect()
}

/// What names a bytecode format in the cache: the magic number, the cache tag, and the
/// interpreter's version (the compiler may change between patch releases of one magic number).
fn format_key(interpreter: &Interpreter) -> Option<String> {
    let format = interpreter.bytecode()?;
    let markers = interpreter.markers();
    let text = format!(
        "{}\0{}\0{}\0{}",
        format.magic,
        format.cache_tag,
        markers.implementation_name(),
        markers.python_full_version().string
    );
    Some(Sha256Digest::of(text.as_bytes()).to_string()[..16].to_owned())
}

/// Compiles one unit with one interpreter into the zip that [`Compiled::archive`] holds.
fn compile_unit(unit: &Unit<'_>, interpreter: &Interpreter) -> Result<Vec<u8>, Error> {
    let sources = (unit.sources)()?;
    let chunks: Vec<&[(String, Vec<u8>)]> = sources.chunks(FILES_PER_WORKER).collect();
    let outputs: Vec<Vec<(String, Vec<u8>)>> =
        chunks.par_iter().map(|chunk| run_worker(unit, interpreter, chunk)).collect::<Result<_, _>>()?;
    let mut files: Vec<(String, Vec<u8>)> = outputs.into_iter().flatten().collect();
    files.sort_unstable_by(|left, right| left.0.cmp(&right.0));
    tracing::debug!(
        "compiled {} of {} modules of {} with {}",
        files.len(),
        sources.len(),
        unit.name,
        interpreter.path()
    );

    let mut writer = zip::ZipWriter::new(Cursor::new(Vec::new()));
    let options = SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated)
        .compression_level(Some(6))
        .last_modified_time(zip::DateTime::default())
        .unix_permissions(0o644);
    let failed =
        |reason: String| Error::Compile { python: interpreter.path().to_owned(), unit: unit.name.clone(), reason };
    for (name, bytes) in &files {
        writer.start_file(name.as_str(), options).map_err(|error| failed(error.to_string()))?;
        writer.write_all(bytes).map_err(|error| failed(error.to_string()))?;
    }
    Ok(writer.finish().map_err(|error| failed(error.to_string()))?.into_inner())
}

/// Runs one worker process of `interpreter` on `sources`; returns the `.pyc` files it wrote.
fn run_worker(
    unit: &Unit<'_>,
    interpreter: &Interpreter,
    sources: &[(String, Vec<u8>)],
) -> Result<Vec<(String, Vec<u8>)>, Error> {
    let python = real_executable(interpreter);
    let failed = |reason: String| Error::Compile { python: python.to_owned(), unit: unit.name.clone(), reason };
    let mut input = Vec::new();
    for (path, bytes) in sources {
        for field in [path.as_bytes(), bytes.as_slice()] {
            let size = u32::try_from(field.len()).map_err(|_| failed(format!("`{path}` is larger than 4 GiB")))?;
            input.extend_from_slice(&size.to_be_bytes());
            input.extend_from_slice(field);
        }
    }
    let mut child = compile_command(python, "sources")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|source| Error::Spawn { python: python.to_owned(), source })?;
    let mut stdin = child.stdin.take().expect("stdin is piped");
    // Written from another thread: the worker answers while it reads, and both pipes are finite.
    let output = std::thread::scope(|scope| {
        let writer = scope.spawn(move || stdin.write_all(&input));
        let output = child.wait_with_output();
        let _ = writer.join();
        output
    })
    .map_err(|source| Error::Spawn { python: python.to_owned(), source })?;
    if !output.status.success() {
        let stderr = String::from_utf8_lossy(&output.stderr);
        let last = stderr.lines().rfind(|line| !line.trim().is_empty()).unwrap_or("it exited with an error");
        return Err(failed(last.trim().to_owned()));
    }
    read_records(&output.stdout).ok_or_else(|| failed("it wrote output pex-rs cannot read".to_owned()))
}

/// The interpreter's real executable: a pyenv shim would cost a shell script per worker.
fn real_executable(interpreter: &Interpreter) -> &Utf8Path {
    if interpreter.executable().is_file() { interpreter.executable() } else { interpreter.path() }
}

/// `python compile.py MODE`: no site (nothing it adds is needed) and none of the caller's
/// PYTHON* settings, but a fixed hash seed (which -I would drop too).
fn compile_command(python: &Utf8Path, mode: &str) -> Command {
    let mut command = crate::interpreter::clean_command(python, |_| false);
    command.args(["-S", "-s", "-B", "-c", COMPILE, mode]).env("PYTHONHASHSEED", "0");
    command
}

/// Parses the worker's output: (`.pyc` path, bytes) records, each path a safe name under a
/// `__pycache__` directory.
#[expect(clippy::case_sensitive_file_extension_comparisons, reason = "the names compile.py writes")]
fn read_records(mut data: &[u8]) -> Option<Vec<(String, Vec<u8>)>> {
    let field = |data: &mut &[u8]| -> Option<Vec<u8>> {
        let size = usize::try_from(u32::from_be_bytes(data.get(..4)?.try_into().ok()?)).ok()?;
        let bytes = data.get(4..4 + size)?.to_vec();
        *data = &data[4 + size..];
        Some(bytes)
    };
    let mut records = Vec::new();
    while !data.is_empty() {
        let name = String::from_utf8(field(&mut data)?).ok()?;
        let bytes = field(&mut data)?;
        let safe = crate::fs::enclosed(&name).is_some_and(|path| path.as_str() == name);
        if !safe || !name.ends_with(".pyc") || !name.contains("__pycache__/") {
            return None;
        }
        records.push((name, bytes));
    }
    Some(records)
}

/// Compiles, with `interpreter`, the module sources under `directories` that have no bytecode
/// for it yet, writing the `.pyc` files in place (`pex-rs extract` and `pex-rs venv`).
pub(crate) fn compile_tree(interpreter: &Interpreter, directories: &[Utf8PathBuf]) -> Result<(), Error> {
    let python = real_executable(interpreter);
    let output = compile_command(python, "tree")
        .args(directories)
        .stdin(Stdio::null())
        .output()
        .map_err(|source| Error::Spawn { python: python.to_owned(), source })?;
    if output.status.success() {
        return Ok(());
    }
    let stderr = String::from_utf8_lossy(&output.stderr);
    let last = stderr.lines().rfind(|line| !line.trim().is_empty()).unwrap_or("it exited with an error");
    let unit = directories.iter().map(|directory| directory.as_str()).collect::<Vec<_>>().join(", ");
    Err(Error::Compile { python: python.to_owned(), unit, reason: last.trim().to_owned() })
}

/// Reads the module sources of a wheel (through [`Unit::sources`]).
pub(crate) fn wheel_sources<R: Read + io::Seek>(
    wheel_name: &str,
    archive: &mut zip::ZipArchive<R>,
    members: impl Iterator<Item = (usize, impl AsRef<Utf8Path>)>,
) -> Result<Vec<(String, Vec<u8>)>, Error> {
    let mut sources = Vec::new();
    for (index, installed_path) in members {
        let installed_path = installed_path.as_ref();
        if !is_module_source(installed_path.as_str()) {
            continue;
        }
        let read_error = |source| Error::Read { unit: wheel_name.to_owned(), source };
        let mut member = archive.by_index(index).map_err(read_error)?;
        let mut bytes = Vec::with_capacity(usize::try_from(member.size()).unwrap_or(0));
        member.read_to_end(&mut bytes).map_err(|error| read_error(error.into()))?;
        sources.push((installed_path.to_string(), bytes));
    }
    Ok(sources)
}

#[cfg(test)]
mod tests {
    use super::{is_module_source, read_records};

    #[test]
    fn ok_module_sources() {
        assert!(is_module_source("six.py"));
        assert!(is_module_source("botocore/session.py"));
        assert!(!is_module_source(".prefix/bin/tool.py"));
        assert!(!is_module_source("pkg/__pycache__/x.py"));
        assert!(!is_module_source("pkg/data.json"));
        assert!(!is_module_source("pandas/tests/frame/test_api.py"));
        assert!(!is_module_source("test/util.py"));
        assert!(is_module_source("pkg/test.py"));
        assert!(is_module_source("numpy/testing/__init__.py"));
    }

    #[test]
    fn bad_worker_output_is_refused() {
        let record = |name: &str, bytes: &[u8]| {
            let mut data = Vec::new();
            for field in [name.as_bytes(), bytes] {
                data.extend_from_slice(&u32::try_from(field.len()).unwrap().to_be_bytes());
                data.extend_from_slice(field);
            }
            data
        };
        let good = record("a/__pycache__/b.cpython-311.pyc", b"pyc");
        assert_eq!(read_records(&good).unwrap(), vec![("a/__pycache__/b.cpython-311.pyc".to_owned(), b"pyc".to_vec())]);
        assert!(read_records(&record("../__pycache__/b.cpython-311.pyc", b"x")).is_none());
        assert!(read_records(&record("a/b.py", b"x")).is_none());
        assert!(read_records(&good[..good.len() - 1]).is_none());
    }
}
