//! Shared helpers of the integration tests: a [`TestContext`] with a private PEX_ROOT and
//! cache, a [`WheelBuilder`] that makes real fixture wheels (METADATA, WHEEL, RECORD with
//! digests), and [`pythons`], the real interpreters on this machine.

use std::io::Write as _;
use std::path::PathBuf;
use std::process::{Command, Output};
use std::sync::OnceLock;

use camino::{Utf8Path, Utf8PathBuf};
use sha2::{Digest, Sha256};

/// A temporary directory with a private `PEX_ROOT` and build cache.
pub(crate) struct TestContext {
    _temp: tempfile::TempDir,
    pub(crate) dir: Utf8PathBuf,
    pub(crate) pex_root: Utf8PathBuf,
    pub(crate) cache_dir: Utf8PathBuf,
}

impl Default for TestContext {
    fn default() -> Self {
        Self::new()
    }
}

impl TestContext {
    pub(crate) fn new() -> Self {
        let temp = tempfile::Builder::new().prefix("pex-rs-test.").tempdir().expect("temp dir");
        let dir = Utf8PathBuf::from_path_buf(temp.path().to_owned()).expect("UTF-8 temp dir");
        let pex_root = dir.join("pex_root");
        let cache_dir = dir.join("cache");
        Self { _temp: temp, dir, pex_root, cache_dir }
    }

    /// The `pex-rs` command with this context's cache, run in its directory.
    pub(crate) fn pex_rs(&self) -> Command {
        let mut command = Command::new(env!("CARGO_BIN_EXE_pex-rs-under-test"));
        command.current_dir(&self.dir).env("PEX_RS_CACHE_DIR", &self.cache_dir);
        self.hermetic(&mut command);
        command
    }

    /// Makes `command` hermetic: no index, proxy, credentials or `SOURCE_DATE_EPOCH` of the
    /// machine running the tests, and no pip configuration.
    pub(crate) fn hermetic<'c>(&self, command: &'c mut Command) -> &'c mut Command {
        for name in [
            "PEX_RS_INDEX_URL",
            "PIP_INDEX_URL",
            "PIP_EXTRA_INDEX_URL",
            "ALL_PROXY",
            "all_proxy",
            "HTTPS_PROXY",
            "https_proxy",
            "HTTP_PROXY",
            "http_proxy",
            "SOURCE_DATE_EPOCH",
        ] {
            command.env_remove(name);
        }
        command.env("PIP_CONFIG_FILE", "/dev/null").env("NETRC", self.dir.join("no-netrc"))
    }

    /// `pex-rs build ARGS`, which must succeed.
    pub(crate) fn build(&self, args: &[&str]) -> Output {
        let output = self.pex_rs().arg("build").args(args).output().expect("run pex-rs");
        assert!(output.status.success(), "pex-rs {args:?} failed:\n{}", String::from_utf8_lossy(&output.stderr));
        output
    }

    /// `python PEX ARGS` with this context's `PEX_ROOT` and a clean `PEX_*` environment.
    pub(crate) fn run_pex(&self, python: &Python, pex: &Utf8Path, args: &[&str]) -> Output {
        self.pex_command(python, pex).args(args).output().expect("run the PEX")
    }

    pub(crate) fn pex_command(&self, python: &Python, pex: &Utf8Path) -> Command {
        let mut command = Command::new(&python.path);
        command.arg(pex).current_dir(&self.dir);
        clean_environment(&mut command);
        command.env("PEX_ROOT", &self.pex_root);
        command
    }
}

/// Removes the variables that would change how a PEX or Python behaves in a test.
pub(crate) fn clean_environment(command: &mut Command) {
    for (name, _) in std::env::vars_os() {
        let name = name.to_string_lossy();
        if name.starts_with("PEX") || (name.starts_with("PYTHON") && name != "PYTHONDONTWRITEBYTECODE") {
            command.env_remove(name.as_ref());
        }
    }
}

/// The stdout of a successful run, or a panic that shows what went wrong.
pub(crate) fn stdout_of(output: &Output) -> String {
    assert!(
        output.status.success(),
        "exit {:?}\nstdout:\n{}\nstderr:\n{}",
        output.status.code(),
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// A real Python interpreter on this machine.
#[derive(Clone, Debug)]
pub(crate) struct Python {
    /// The name it was found by (`python3`, `python3.8`, ...).
    pub(crate) name: String,
    /// Its real executable (not a pyenv shim).
    pub(crate) path: PathBuf,
    pub(crate) version: (u32, u32),
}

impl Python {
    /// What this interpreter prints for `expression`, trimmed.
    pub(crate) fn print(&self, expression: &str) -> String {
        let output = Command::new(&self.path).args(["-c", &format!("print({expression})")]).output().unwrap();
        stdout_of(&output).trim().to_owned()
    }

    /// Its `sys.implementation.cache_tag` (`cpython-311`).
    pub(crate) fn cache_tag(&self) -> String {
        self.print("__import__('sys').implementation.cache_tag")
    }
}

/// `python3` and every `python3.8` ... `python3.13` that runs here, each once. A missing one
/// is reported on stderr, once per test binary, and skipped.
pub(crate) fn pythons() -> &'static [Python] {
    static PYTHONS: OnceLock<Vec<Python>> = OnceLock::new();
    PYTHONS.get_or_init(|| {
        let mut found: Vec<Python> = Vec::new();
        for name in ["python3", "python3.8", "python3.9", "python3.10", "python3.11", "python3.12", "python3.13"] {
            match probe(name) {
                Some(python) if found.iter().any(|other| other.path == python.path) => {}
                Some(python) => found.push(python),
                None => {
                    let _ = writeln!(std::io::stderr(), "note: `{name}` is not available here; tests skip it");
                }
            }
        }
        assert!(!found.is_empty(), "no Python interpreter found: the tests need at least `python3`");
        found
    })
}

/// Prints a note that a test is skipped, and why.
pub(crate) fn skip(test: &str, why: &str) {
    let _ = writeln!(std::io::stderr(), "note: skipping `{test}`: {why}");
}

/// The pytest that `.ci/run` installs (`PEX_RS_TEST_PYTEST`, a `pip install --target`
/// directory of pure-Python packages that every Python 3.8+ imports through `PYTHONPATH`), or
/// `None` with a note that `test` skips.
pub(crate) fn pytest(test: &str) -> Option<PathBuf> {
    let directory =
        std::env::var_os("PEX_RS_TEST_PYTEST").map(PathBuf::from).filter(|path| path.join("pytest").is_dir());
    if directory.is_none() {
        skip(test, "pytest is not installed (`.ci/run` installs it into target/pytest)");
    }
    directory
}

/// The default interpreter (`python3`).
pub(crate) fn python3() -> &'static Python {
    &pythons()[0]
}

/// The interpreter `name` finds on PATH, if it runs.
pub(crate) fn probe(name: &str) -> Option<Python> {
    let output = Command::new(name)
        // Python 2 syntax too: the test of old interpreters probes `python2.7`.
        .args([
            "-c",
            "import sys; sys.stdout.write('%s\\n%d %d\\n' % ((sys.executable,) + tuple(sys.version_info[:2])))",
        ])
        .output()
        .ok()?;
    if !output.status.success() {
        return None;
    }
    let text = String::from_utf8(output.stdout).ok()?;
    let mut lines = text.lines();
    let path = PathBuf::from(lines.next()?);
    let mut version = lines.next()?.split(' ').map(str::parse::<u32>);
    let version = (version.next()?.ok()?, version.next()?.ok()?);
    Some(Python { name: name.to_owned(), path, version })
}

/// Builds a real wheel: METADATA, WHEEL, entry points and a RECORD with every digest.
#[derive(Clone, Debug)]
pub(crate) struct WheelBuilder {
    name: String,
    version: String,
    tag: String,
    files: Vec<(String, Vec<u8>, u32)>,
    requires: Vec<String>,
    requires_python: Option<String>,
    console_scripts: Vec<(String, String)>,
}

impl WheelBuilder {
    pub(crate) fn new(name: &str, version: &str) -> Self {
        Self {
            name: name.to_owned(),
            version: version.to_owned(),
            tag: "py3-none-any".to_owned(),
            files: Vec::new(),
            requires: Vec::new(),
            requires_python: None,
            console_scripts: Vec::new(),
        }
    }

    /// The `python-abi-platform` tag. Defaults to `py3-none-any`.
    #[must_use]
    pub(crate) fn tag(mut self, tag: &str) -> Self {
        tag.clone_into(&mut self.tag);
        self
    }

    /// A file at `path` inside the wheel (a `.data/` path is relocated by installers).
    #[must_use]
    pub(crate) fn file(mut self, path: &str, contents: impl AsRef<[u8]>) -> Self {
        self.files.push((path.to_owned(), contents.as_ref().to_vec(), 0o644));
        self
    }

    /// An executable file at `path`.
    #[must_use]
    pub(crate) fn executable(mut self, path: &str, contents: impl AsRef<[u8]>) -> Self {
        self.files.push((path.to_owned(), contents.as_ref().to_vec(), 0o755));
        self
    }

    /// A `Requires-Dist` line.
    #[must_use]
    pub(crate) fn requires(mut self, requirement: &str) -> Self {
        self.requires.push(requirement.to_owned());
        self
    }

    /// The `Requires-Python` specifier, such as `>=3.8`.
    #[must_use]
    pub(crate) fn requires_python(mut self, specifier: &str) -> Self {
        self.requires_python = Some(specifier.to_owned());
        self
    }

    /// A `console_scripts` entry point.
    #[must_use]
    pub(crate) fn console_script(mut self, name: &str, target: &str) -> Self {
        self.console_scripts.push((name.to_owned(), target.to_owned()));
        self
    }

    /// The escaped `{name}-{version}` of file names and `.dist-info` (PEP 427).
    pub(crate) fn stem(&self) -> String {
        format!("{}-{}", self.name.replace(['-', '.'], "_"), self.version)
    }

    pub(crate) fn filename(&self) -> String {
        format!("{}-{}.whl", self.stem(), self.tag)
    }

    /// The members of the finished wheel, RECORD last.
    pub(crate) fn members(&self) -> Vec<(String, Vec<u8>, u32)> {
        let dist_info = format!("{}.dist-info", self.stem());
        let mut metadata = format!("Metadata-Version: 2.1\nName: {}\nVersion: {}\n", self.name, self.version);
        if let Some(specifier) = &self.requires_python {
            metadata.push_str(&format!("Requires-Python: {specifier}\n"));
        }
        for requirement in &self.requires {
            metadata.push_str(&format!("Requires-Dist: {requirement}\n"));
        }
        let mut members = self.files.clone();
        members.push((format!("{dist_info}/METADATA"), metadata.into_bytes(), 0o644));
        members.push((
            format!("{dist_info}/WHEEL"),
            format!("Wheel-Version: 1.0\nGenerator: pex-rs-tests\nRoot-Is-Purelib: true\nTag: {}\n", self.tag)
                .into_bytes(),
            0o644,
        ));
        if !self.console_scripts.is_empty() {
            let mut text = String::from("[console_scripts]\n");
            for (name, target) in &self.console_scripts {
                text.push_str(&format!("{name} = {target}\n"));
            }
            members.push((format!("{dist_info}/entry_points.txt"), text.into_bytes(), 0o644));
        }
        let mut record = String::new();
        for (path, contents, _) in &members {
            let digest = urlsafe_base64(&Sha256::digest(contents));
            record.push_str(&format!("{path},sha256={digest},{}\n", contents.len()));
        }
        record.push_str(&format!("{dist_info}/RECORD,,\n"));
        members.push((format!("{dist_info}/RECORD"), record.into_bytes(), 0o644));
        members
    }

    /// The finished wheel's bytes.
    pub(crate) fn bytes(&self) -> Vec<u8> {
        zip_bytes(&self.members())
    }

    /// Writes the wheel into `dir` and returns its path.
    pub(crate) fn build(&self, dir: &Utf8Path) -> Utf8PathBuf {
        let path = dir.join(self.filename());
        fs_err::write(&path, self.bytes()).expect("write wheel");
        path
    }
}

/// Writes a zip of `members` (name, contents, mode), deflated.
pub(crate) fn write_zip(path: &Utf8Path, members: &[(String, Vec<u8>, u32)]) {
    fs_err::write(path, zip_bytes(members)).expect("write zip");
}

/// A zip of `members` (name, contents, mode), deflated.
fn zip_bytes(members: &[(String, Vec<u8>, u32)]) -> Vec<u8> {
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    for (name, contents, mode) in members {
        let options = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Deflated)
            .unix_permissions(*mode);
        zip.start_file(name.as_str(), options).expect("zip entry");
        zip.write_all(contents).expect("zip write");
    }
    zip.finish().expect("zip finish").into_inner()
}

/// Unpadded URL-safe base64, as in RECORD digests (PEP 376).
fn urlsafe_base64(bytes: &[u8]) -> String {
    base64(bytes, b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_", false)
}

/// Padded standard base64, as in HTTP basic credentials (RFC 7617).
pub(crate) fn standard_base64(bytes: &[u8]) -> String {
    base64(bytes, b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/", true)
}

fn base64(bytes: &[u8], alphabet: &[u8; 64], padded: bool) -> String {
    let mut text = String::new();
    for chunk in bytes.chunks(3) {
        let buffer =
            chunk.iter().enumerate().fold(0u32, |buffer, (index, byte)| buffer | u32::from(*byte) << (16 - 8 * index));
        for index in 0..=chunk.len() {
            text.push(alphabet[(buffer >> (18 - 6 * index) & 63) as usize] as char);
        }
        if padded {
            text.extend(std::iter::repeat_n('=', 3 - chunk.len()));
        }
    }
    text
}

/// Compiles, for `python`, a C extension module `name` whose `answer()` returns `answer`, in
/// `dir`; returns its file name (with the interpreter's suffix) and bytes, or `None` with a
/// printed note where there is no C compiler or no Python headers.
pub(crate) fn compile_extension(dir: &Utf8Path, python: &Python, name: &str, answer: i64) -> Option<(String, Vec<u8>)> {
    let query =
        "import sysconfig; print(sysconfig.get_paths()['include']); print(sysconfig.get_config_var('EXT_SUFFIX'))";
    let output = Command::new(&python.path).args(["-c", query]).output().ok()?;
    let text = String::from_utf8(output.stdout).ok()?;
    let mut lines = text.lines();
    let (include, suffix) = (lines.next()?, lines.next()?);
    let source = write_file(
        dir,
        &format!("{name}-{}{}.c", python.version.0, python.version.1),
        &format!(
            "#include <Python.h>\nstatic PyObject *answer(PyObject *self, PyObject *args) {{ return PyLong_FromLong({answer}); }}\n\
             static PyMethodDef methods[] = {{{{\"answer\", answer, METH_NOARGS, NULL}}, {{NULL, NULL, 0, NULL}}}};\n\
             static struct PyModuleDef module = {{PyModuleDef_HEAD_INIT, \"{name}\", NULL, -1, methods}};\n\
             PyMODINIT_FUNC PyInit_{name}(void) {{ return PyModule_Create(&module); }}\n"
        ),
    );
    let file_name = format!("{name}{suffix}");
    let library = dir.join(format!("{}.{file_name}", python.name));
    let compiled =
        Command::new("cc").args(["-shared", "-fPIC", "-o", library.as_str(), "-I", include, source.as_str()]).status();
    if !compiled.is_ok_and(|status| status.success()) {
        let _ = writeln!(std::io::stderr(), "note: no C compiler or Python headers for {}; skipping", python.name);
        return None;
    }
    Some((file_name, fs_err::read(&library).ok()?))
}

/// Writes `contents` to `dir/relative`, creating parent directories.
pub(crate) fn write_file(dir: &Utf8Path, relative: &str, contents: &str) -> Utf8PathBuf {
    let path = dir.join(relative);
    fs_err::create_dir_all(path.parent().expect("a parent")).expect("create dirs");
    fs_err::write(&path, contents).expect("write file");
    path
}

/// Runs the Python `script` with `python3` and `args` (`sys.argv[1:]`); it must succeed. For
/// fixtures that Python's own libraries make best (zip archives with a name twice, say).
pub(crate) fn run_python_script(script: &str, args: &[&str]) {
    let status = Command::new(&python3().path).args(["-c", script]).args(args).status().expect("run python3");
    assert!(status.success(), "a fixture script failed");
}

/// What a measured command did.
pub(crate) struct Outcome {
    pub(crate) success: bool,
    pub(crate) stderr: String,
    /// The peak resident set of the command and its children, in KiB.
    pub(crate) peak_kib: u64,
}

/// Runs `command` under a Python wrapper that reports its children's peak resident set.
pub(crate) fn measured(command: &Command) -> Outcome {
    const WRAPPER: &str = "import resource, subprocess, sys\n\
        code = subprocess.call(sys.argv[1:])\n\
        sys.stderr.write('\\npeak-kib=%d\\n' % resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)\n\
        sys.exit(code)\n";
    let program = command.get_program().to_owned();
    let args: Vec<_> = command.get_args().map(std::ffi::OsStr::to_owned).collect();
    let mut wrapped = Command::new(&python3().path);
    wrapped.arg("-c").arg(WRAPPER).arg(program).args(args);
    for (name, value) in command.get_envs() {
        match value {
            Some(value) => wrapped.env(name, value),
            None => wrapped.env_remove(name),
        };
    }
    if let Some(dir) = command.get_current_dir() {
        wrapped.current_dir(dir);
    }
    let output = wrapped.output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    let (stderr, peak) = stderr.rsplit_once("\npeak-kib=").expect("the wrapper's report");
    Outcome {
        success: output.status.success(),
        stderr: stderr.trim_end().to_owned(),
        peak_kib: peak.trim().parse().unwrap(),
    }
}

/// A raw deflate stream (one block, fixed Huffman codes) of `prefix`, then `run` more copies of
/// its last byte, then `suffix`: how a 1 GB member fits in about 6 MB, written without
/// compressing a gigabyte. Bytes of the prefix and suffix must be below 144 (one code length).
pub(crate) fn deflate_run(prefix: &[u8], run: usize, suffix: &[u8]) -> Vec<u8> {
    struct Bits {
        out: Vec<u8>,
        value: u64,
        count: u32,
    }
    impl Bits {
        fn put(&mut self, value: u32, count: u32) {
            self.value |= u64::from(value) << self.count;
            self.count += count;
            while self.count >= 8 {
                self.out.push(self.value.to_le_bytes()[0]);
                self.value >>= 8;
                self.count -= 8;
            }
        }
        /// A Huffman code goes in most significant bit first.
        fn code(&mut self, code: u32, length: u32) {
            self.put(code.reverse_bits() >> (32 - length), length);
        }
        fn literal(&mut self, byte: u8) {
            assert!(byte < 144, "one code length only");
            self.code(0x30 + u32::from(byte), 8);
        }
    }
    let mut bits = Bits { out: Vec::new(), value: 0, count: 0 };
    bits.put(1, 1); // the final block
    bits.put(1, 2); // fixed Huffman codes
    for byte in prefix {
        bits.literal(*byte);
    }
    for _ in 0..run / 258 {
        bits.code(0xC5, 8); // length 258 (code 285)
        bits.code(0, 5); // distance 1
    }
    (0..run % 258).for_each(|_| bits.literal(*prefix.last().unwrap()));
    for byte in suffix {
        bits.literal(*byte);
    }
    bits.code(0, 7); // end of block
    bits.put(0, 7);
    bits.out
}

/// Every wheel or sdist in the cache is at `<bucket>/v1/<sha256>/<name>` with that digest, and
/// no download is left half-written under its final name.
pub(crate) fn assert_cache_consistent(cache: &Utf8Path) {
    for bucket in ["wheels", "sdists"] {
        let Ok(digests) = fs_err::read_dir(cache.join(bucket).join("v1")) else { continue };
        for digest in digests {
            let digest = digest.unwrap();
            let name = digest.file_name().to_string_lossy().into_owned();
            if !digest.file_type().unwrap().is_dir() {
                continue; // lock files and unfinished downloads (`.download.*`)
            }
            for file in fs_err::read_dir(digest.path()).unwrap() {
                let bytes = fs_err::read(file.unwrap().path()).unwrap();
                let actual = format!("{:x}", Sha256::digest(&bytes));
                assert_eq!(actual, name, "a cache entry disagrees with its name");
            }
        }
    }
}
