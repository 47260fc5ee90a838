//! Fixture projects for source builds: a minimal PEP 517 backend the tests write into each
//! project (`backend-path`), project directories and sdists for it and for the real backends
//! (setuptools, hatchling, flit-core), and those backends' wheels, which `.ci/run` downloads
//! once (pinned, hash-checked) so that the tests serve them from the loopback index.

use std::io::Write as _;

use camino::{Utf8Path, Utf8PathBuf};

use crate::index_server::ServedFile;

/// The test backend: builds a wheel of the files listed in `backend.json`, as that file says,
/// and appends each hook it runs to `$TEST_BACKEND_LOG` (so a test can tell whether a backend
/// ran at all). Python 3.8+, standard library only.
const TEST_BACKEND: &str = r#"
import base64, hashlib, json, os, sys, time, zipfile


def _config():
    with open("backend.json") as f:
        return json.load(f)


def _log(event):
    path = os.environ.get("TEST_BACKEND_LOG")
    if path:
        with open(path, "a") as f:
            f.write("%s %s %s\n" % (event, _config()["name"], _config()["version"]))


_log("import")


def get_requires_for_build_wheel(config_settings=None):
    _log("get_requires")
    return _config().get("get_requires", [])


def _stem(config):
    return "%s-%s" % (config["name"].replace("-", "_"), config["version"])


def _metadata(config):
    lines = ["Metadata-Version: 2.1", "Name: " + config["name"], "Version: " + config["version"]]
    lines += ["Requires-Dist: " + requirement for requirement in config.get("requires", [])]
    return ("\n".join(lines) + "\n").encode()


if _config().get("metadata_hook", True):

    def prepare_metadata_for_build_wheel(metadata_directory, config_settings=None):
        _log("prepare_metadata")
        name = _stem(_config()) + ".dist-info"
        os.mkdir(os.path.join(metadata_directory, name))
        with open(os.path.join(metadata_directory, name, "METADATA"), "wb") as f:
            f.write(_metadata(_config()))
        return name


def build_wheel(wheel_directory, config_settings=None, metadata_directory=None):
    _log("build_wheel")
    config = _config()
    print("building %s %s with Python %d.%d" % ((config["name"], config["version"]) + sys.version_info[:2]))
    if config.get("fail"):
        print("something went wrong while building")
        raise RuntimeError("the build failed on purpose")
    tag = config.get("tag", "py3-none-any")
    if tag == "interpreter":
        tag = "cp%d%d-none-any" % sys.version_info[:2]
    files = {}
    for top in config.get("packages", []):
        for root, dirs, names in os.walk(top):
            dirs.sort()
            for name in sorted(names):
                path = os.path.join(root, name)
                with open(path, "rb") as f:
                    files[path.replace(os.sep, "/")] = f.read()
    if config.get("record_build"):
        helper = None
        if config.get("record_module"):
            helper = __import__(config["record_module"]).VERSION
        record = "CONFIG = %r\nEPOCH = %r\nPYTHON = %r\nHELPER = %r\n" % (
            config_settings,
            os.environ.get("SOURCE_DATE_EPOCH"),
            "%d.%d" % sys.version_info[:2],
            helper,
        )
        files[config["record_build"]] = record.encode()
    dist_info = _stem(config) + ".dist-info"
    files[dist_info + "/METADATA"] = _metadata(config)
    files[dist_info + "/WHEEL"] = (
        "Wheel-Version: 1.0\nGenerator: pex-rs-test-backend\nRoot-Is-Purelib: true\nTag: %s\n" % tag
    ).encode()
    if config.get("scripts"):
        lines = ["%s = %s" % item for item in sorted(config["scripts"].items())]
        files[dist_info + "/entry_points.txt"] = ("[console_scripts]\n" + "\n".join(lines) + "\n").encode()
    record = []
    for path in sorted(files):
        digest = base64.urlsafe_b64encode(hashlib.sha256(files[path]).digest()).rstrip(b"=").decode()
        record.append("%s,sha256=%s,%d" % (path, digest, len(files[path])))
    record.append(dist_info + "/RECORD,,")
    files[dist_info + "/RECORD"] = ("\n".join(record) + "\n").encode()
    epoch = max(int(os.environ.get("SOURCE_DATE_EPOCH", "315532800")), 315532800)
    date = time.gmtime(epoch)[:6]
    name = "%s-%s.whl" % (_stem(config), tag)
    with zipfile.ZipFile(os.path.join(wheel_directory, name), "w", zipfile.ZIP_DEFLATED) as archive:
        for path in sorted(files):
            info = zipfile.ZipInfo(path, date)
            info.external_attr = 0o644 << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, files[path])
    return name
"#;

/// Which backend a fixture project is built with.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Backend {
    /// The test backend above, in the project (`backend-path = ["_backend"]`), which needs no
    /// build requirement unless `build_requires` names some.
    Test,
    /// setuptools through `pyproject.toml` (`[project]` table).
    Setuptools,
    /// setuptools through a `setup.py` and no `pyproject.toml` (pip's legacy path).
    SetuptoolsLegacy,
    Hatchling,
    FlitCore,
}

/// A Python project: a package `name` (importable as `name` with `-` as `_`) whose module
/// `VERSION` is its version, with dependencies, for one backend.
#[derive(Clone, Debug)]
pub(crate) struct Project {
    name: String,
    version: String,
    backend: Backend,
    requires: Vec<String>,
    build_requires: Vec<String>,
    /// The test backend's own settings (`backend.json`), beyond name, version and requires.
    settings: serde_json::Map<String, serde_json::Value>,
    files: Vec<(String, String)>,
    scripts: Vec<(String, String)>,
}

impl Project {
    pub(crate) fn new(name: &str, version: &str, backend: Backend) -> Self {
        let module = name.replace('-', "_");
        let files = vec![(format!("{module}/__init__.py"), format!("VERSION = {version:?}\n"))];
        Self {
            name: name.to_owned(),
            version: version.to_owned(),
            backend,
            requires: Vec::new(),
            build_requires: Vec::new(),
            settings: serde_json::Map::new(),
            files,
            scripts: Vec::new(),
        }
    }

    /// A runtime dependency.
    #[must_use]
    pub(crate) fn requires(mut self, requirement: &str) -> Self {
        self.requires.push(requirement.to_owned());
        self
    }

    /// A build requirement (`[build-system] requires`).
    #[must_use]
    pub(crate) fn build_requires(mut self, requirement: &str) -> Self {
        self.build_requires.push(requirement.to_owned());
        self
    }

    /// A setting of the test backend (`backend.json`): `tag`, `fail`, `metadata_hook`,
    /// `get_requires`, `record_build`.
    #[must_use]
    pub(crate) fn setting(mut self, key: &str, value: serde_json::Value) -> Self {
        self.settings.insert(key.to_owned(), value);
        self
    }

    /// Another file of the project.
    #[must_use]
    pub(crate) fn file(mut self, path: &str, contents: &str) -> Self {
        self.files.retain(|(existing, _)| existing != path);
        self.files.push((path.to_owned(), contents.to_owned()));
        self
    }

    /// A console script `name = module:function`.
    #[must_use]
    pub(crate) fn script(mut self, name: &str, target: &str) -> Self {
        self.scripts.push((name.to_owned(), target.to_owned()));
        self
    }

    fn module(&self) -> String {
        self.name.replace('-', "_")
    }

    /// Every file of the project directory, sorted.
    pub(crate) fn files(&self) -> Vec<(String, String)> {
        let mut files = self.files.clone();
        let quoted = |items: &[String]| items.iter().map(|item| format!("{item:?}")).collect::<Vec<_>>().join(", ");
        let scripts = self.scripts.iter().fold(String::new(), |mut text, (name, target)| {
            text.push_str(&format!("{name} = {target:?}\n"));
            text
        });
        let (name, version, requires) = (&self.name, &self.version, quoted(&self.requires));
        let project_table = format!(
            "[project]\nname = {name:?}\nversion = {version:?}\ndependencies = [{requires}]\nrequires-python = \">=3.8\"\n{}",
            if scripts.is_empty() { String::new() } else { format!("\n[project.scripts]\n{scripts}") }
        );
        let build_system = |requires: &[String], backend: &str| {
            let mut all = self.build_requires.clone();
            all.extend(requires.iter().cloned());
            format!("[build-system]\nrequires = [{}]\nbuild-backend = {backend:?}\n", quoted(&all))
        };
        match self.backend {
            Backend::Test => {
                let mut config = self.settings.clone();
                config.insert("name".to_owned(), name.clone().into());
                config.insert("version".to_owned(), version.clone().into());
                config.insert("requires".to_owned(), self.requires.clone().into());
                config.insert("packages".to_owned(), vec![self.module()].into());
                if !self.scripts.is_empty() {
                    let scripts: serde_json::Map<String, serde_json::Value> =
                        self.scripts.iter().map(|(name, target)| (name.clone(), target.clone().into())).collect();
                    config.insert("scripts".to_owned(), scripts.into());
                }
                files.push(("backend.json".to_owned(), serde_json::Value::Object(config).to_string()));
                files.push(("_backend/test_backend.py".to_owned(), TEST_BACKEND.to_owned()));
                let system = build_system(&[], "test_backend");
                files.push(("pyproject.toml".to_owned(), format!("{system}backend-path = [\"_backend\"]\n")));
            }
            Backend::Setuptools => {
                let system = build_system(&["setuptools>=61".to_owned()], "setuptools.build_meta");
                files.push(("pyproject.toml".to_owned(), format!("{system}\n{project_table}")));
            }
            Backend::SetuptoolsLegacy if self.files.iter().any(|(path, _)| path == "setup.py") => {}
            Backend::SetuptoolsLegacy => {
                let entry_points =
                    self.scripts.iter().map(|(name, target)| format!("{name} = {target}")).collect::<Vec<_>>();
                files.push((
                    "setup.py".to_owned(),
                    format!(
                        "from setuptools import setup\nsetup(name={name:?}, version={version:?}, packages=[{:?}], \
                         install_requires=[{requires}], entry_points={{'console_scripts': {entry_points:?}}})\n",
                        self.module()
                    ),
                ));
            }
            Backend::Hatchling => {
                let system = build_system(&["hatchling".to_owned()], "hatchling.build");
                files.push(("pyproject.toml".to_owned(), format!("{system}\n{project_table}")));
            }
            Backend::FlitCore => {
                let system = build_system(&["flit_core>=3.4".to_owned()], "flit_core.buildapi");
                let table = project_table.replace("[project]\n", "[project]\ndescription = \"A fixture\"\n");
                files.push(("pyproject.toml".to_owned(), format!("{system}\n{table}")));
            }
        }
        files.sort();
        files
    }

    /// Writes the project directory into `dir/<name>` and returns it.
    pub(crate) fn write(&self, dir: &Utf8Path) -> Utf8PathBuf {
        let root = dir.join(&self.name);
        for (path, contents) in self.files() {
            crate::support::write_file(&root, &path, &contents);
        }
        root
    }

    /// The sdist of the project, `{name}-{version}.tar.gz`, with a `PKG-INFO` as `pkg_info` says.
    pub(crate) fn sdist(&self, pkg_info: PkgInfo) -> ServedFile {
        let stem = format!("{}-{}", self.name.replace('-', "_"), self.version);
        let mut files = self.files();
        let mut metadata = match pkg_info {
            PkgInfo::Static => "Metadata-Version: 2.2\n",
            PkgInfo::Dynamic => "Metadata-Version: 2.2\nDynamic: Requires-Dist\n",
            PkgInfo::Legacy => "Metadata-Version: 1.0\n",
            PkgInfo::None => "",
        }
        .to_owned();
        if pkg_info != PkgInfo::None {
            metadata.push_str(&format!("Name: {}\nVersion: {}\n", self.name, self.version));
            if pkg_info == PkgInfo::Static {
                for requirement in &self.requires {
                    metadata.push_str(&format!("Requires-Dist: {requirement}\n"));
                }
            }
            files.push(("PKG-INFO".to_owned(), metadata));
        }
        let members: Vec<(String, Vec<u8>)> =
            files.into_iter().map(|(path, contents)| (format!("{stem}/{path}"), contents.into_bytes())).collect();
        ServedFile::new(&format!("{stem}.tar.gz"), tar_gz(&members))
    }
}

/// What an sdist says in its `PKG-INFO`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum PkgInfo {
    /// Metadata 2.2 with the requirements, none dynamic: trusted without a build (PEP 643).
    Static,
    /// Metadata 2.2 with `Dynamic: Requires-Dist`: the backend must say.
    Dynamic,
    /// Metadata 1.0, which promises nothing.
    Legacy,
    /// No `PKG-INFO` at all.
    None,
}

/// A deterministic `.tar.gz` of `members` (regular files, mode 0644).
pub(crate) fn tar_gz(members: &[(String, Vec<u8>)]) -> Vec<u8> {
    let mut builder = tar::Builder::new(Vec::new());
    for (path, contents) in members {
        let mut header = tar::Header::new_gnu();
        header.set_size(contents.len() as u64);
        header.set_mode(0o644);
        header.set_mtime(315_532_800);
        header.set_entry_type(tar::EntryType::Regular);
        header.set_path(path).expect("a plain member path");
        header.set_cksum();
        builder.append(&header, contents.as_slice()).expect("append to tar");
    }
    gzip(&builder.into_inner().expect("finish tar"))
}

/// A `.tar.gz` whose members are written as given, unchecked (for hostile archives): each is a
/// name, a type (`0` file, `2` symlink, `1` hard link), a link target and contents.
pub(crate) fn raw_tar_gz(members: &[(&str, u8, &str, &[u8])]) -> Vec<u8> {
    let mut bytes = Vec::new();
    for (name, kind, link, contents) in members {
        let mut header = [0u8; 512];
        header[..name.len()].copy_from_slice(name.as_bytes());
        header[100..107].copy_from_slice(b"0000644");
        header[108..115].copy_from_slice(b"0000000");
        header[116..123].copy_from_slice(b"0000000");
        header[124..135].copy_from_slice(format!("{:011o}", contents.len()).as_bytes());
        header[136..147].copy_from_slice(b"00000000000");
        header[156] = b'0' + kind;
        header[157..157 + link.len()].copy_from_slice(link.as_bytes());
        header[257..263].copy_from_slice(b"ustar\0");
        header[263..265].copy_from_slice(b"00");
        header[148..156].copy_from_slice(b"        ");
        let checksum: u32 = header.iter().map(|byte| u32::from(*byte)).sum();
        header[148..155].copy_from_slice(format!("{checksum:06o}\0").as_bytes());
        bytes.extend_from_slice(&header);
        bytes.extend_from_slice(contents);
        bytes.resize(bytes.len().div_ceil(512) * 512, 0);
    }
    bytes.resize(bytes.len() + 1024, 0);
    gzip(&bytes)
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut encoder = flate2::GzBuilder::new().mtime(0).write(Vec::new(), flate2::Compression::default());
    encoder.write_all(bytes).expect("gzip");
    encoder.finish().expect("gzip")
}

/// The real backends' wheels that `.ci/run` downloaded (`PEX_RS_TEST_BACKENDS`, else
/// `target/test-backends`), to serve from the loopback index; `None` (with a note) when they
/// are not there, for a `cargo test` run without `.ci/run`.
pub(crate) fn backend_wheels(test: &str) -> Option<Vec<ServedFile>> {
    let directory = std::env::var_os("PEX_RS_TEST_BACKENDS").map_or_else(
        || Utf8Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/test-backends"),
        |path| Utf8PathBuf::from(path.to_string_lossy().into_owned()),
    );
    let mut wheels = Vec::new();
    for entry in fs_err::read_dir(&directory).into_iter().flatten().flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        if name.ends_with(".whl") {
            wheels.push(ServedFile::new(&name, fs_err::read(entry.path()).expect("read a backend wheel")));
        }
    }
    if wheels.is_empty() {
        crate::support::skip(test, &format!("no backend wheels in `{directory}`; `.ci/run` downloads them"));
        return None;
    }
    Some(wheels)
}
