//! Build environments: virtual environments holding what a build requires, made by pex-rs from
//! verified wheels (the runtime's install plan, [`Wheel::install_into`]) and kept in the build
//! cache by content:
//!
//! ```text
//! build_envs/v1/<sha256(interpreter, wheel digests)>/
//!   pyvenv.cfg, bin/python -> the interpreter, bin/<console scripts>
//!   lib/pythonX.Y/site-packages/...
//! ```
//!
//! Builds only read them, so one environment serves every build that needs the same wheels,
//! concurrently, and Python caches its bytecode there: a second build imports its backend
//! already compiled. A real virtual environment rather than a path list, because backends run
//! `sys.executable` and tools from `bin/` (cmake, ninja) in subprocesses.

use camino::{Utf8Path, Utf8PathBuf};

use super::Error;
use crate::cache::{Bucket, Cache};
use crate::hash::Sha256Digest;
use crate::interpreter::Interpreter;
use crate::wheel::Wheel;

/// A virtual environment to run build hooks in.
#[derive(Clone, Debug)]
pub(crate) struct Environment {
    root: Utf8PathBuf,
}

impl Environment {
    /// The environment with exactly `wheels` installed for `interpreter`, made now unless the
    /// cache has it.
    pub(crate) fn with_wheels(cache: &Cache, interpreter: &Interpreter, wheels: &[Wheel]) -> Result<Self, Error> {
        let executable = base_executable(interpreter);
        let mut digests: Vec<String> = wheels.iter().map(|wheel| wheel.sha256.to_string()).collect();
        digests.sort();
        digests.dedup();
        let key =
            Sha256Digest::of(format!("{executable}\0{}\0{}", interpreter.describe(), digests.join("\0")).as_bytes());
        let bucket = cache.bucket(Bucket::BuildEnvironments)?;
        let root = bucket.join(key.to_string());
        if root.join("pyvenv.cfg").is_file() {
            if root.join("bin/python").exists() {
                crate::cache::touch(&root.join("pyvenv.cfg"));
                return Ok(Self { root });
            }
            // Its interpreter is gone (uninstalled, or a venv removed): make it again.
            tracing::debug!("`{root}` lost its interpreter; making it again");
            let _ = fs_err::remove_dir_all(&root);
        }
        let write_error = |path: &Utf8Path, source| Error::Write { path: path.to_owned(), source };
        let temp = tempfile::Builder::new()
            .prefix(&format!(".{key}."))
            .suffix(".tmp")
            .tempdir_in(&bucket)
            .map_err(|source| write_error(&bucket, source))?;
        let temp_path = Utf8Path::from_path(temp.path()).expect("a UTF-8 bucket gives UTF-8 temp dirs");
        lay_out(temp_path, &root, interpreter, &executable, wheels)?;
        match fs_err::rename(temp_path, &root) {
            Ok(()) => {
                let _ = temp.keep();
            }
            // Another build made the same environment meanwhile: use it (the temp dir goes).
            Err(_) if root.join("pyvenv.cfg").is_file() => {}
            Err(source) => return Err(write_error(&root, source)),
        }
        Ok(Self { root })
    }

    /// The environment's interpreter.
    pub(crate) fn python(&self) -> Utf8PathBuf {
        self.root.join("bin").join("python")
    }

    /// Its `bin` directory, for `PATH`.
    pub(crate) fn bin(&self) -> Utf8PathBuf {
        self.root.join("bin")
    }
}

/// The real executable behind `interpreter` (through a virtual environment's link or a shim),
/// which a new environment links to, as the runtime does.
pub(crate) fn base_executable(interpreter: &Interpreter) -> Utf8PathBuf {
    fs_err::canonicalize(interpreter.executable())
        .ok()
        .and_then(|path| Utf8PathBuf::from_path_buf(path).ok())
        .unwrap_or_else(|| interpreter.executable().to_owned())
}

/// Lays the environment out in `temp`; absolute paths written into it name `root`.
fn lay_out(
    temp: &Utf8Path,
    root: &Utf8Path,
    interpreter: &Interpreter,
    executable: &Utf8Path,
    wheels: &[Wheel],
) -> Result<(), Error> {
    use std::os::unix::fs::PermissionsExt;
    let write_error = |path: &Utf8Path, source| Error::Write { path: path.to_owned(), source };
    let version = interpreter.python_version();
    let release = version.release();
    let (major, minor) = (release.first().copied().unwrap_or(3), release.get(1).copied().unwrap_or(0));
    let site_packages = temp.join(interpreter.venv_site_packages());
    let bin = temp.join("bin");
    fs_err::create_dir_all(&site_packages).map_err(|source| write_error(&site_packages, source))?;
    fs_err::create_dir_all(&bin).map_err(|source| write_error(&bin, source))?;
    let home = executable.parent().unwrap_or(executable);
    let config = format!("home = {home}\ninclude-system-site-packages = false\nversion = {version}\n");
    let config_path = temp.join("pyvenv.cfg");
    for name in ["python".to_owned(), "python3".to_owned(), format!("python{major}.{minor}")] {
        let link = bin.join(&name);
        std::os::unix::fs::symlink(executable, &link).map_err(|source| write_error(&link, source))?;
    }
    let python = root.join("bin/python");
    let shebang = shebang(&python);
    for wheel in wheels {
        wheel.install_into(&site_packages, temp, &shebang).map_err(Error::Environment)?;
    }
    // Console scripts as pip writes them, the first wheel to declare a name winning.
    let mut written = std::collections::HashSet::new();
    for (name, target) in wheels.iter().flat_map(|wheel| &wheel.entry_point_scripts) {
        let Some((module, attributes)) = target.split_once(':') else { continue };
        if name.contains('/') || !written.insert(name.clone()) {
            continue;
        }
        let head = attributes.split('.').next().unwrap_or(attributes);
        let script = format!(
            "{shebang}# -*- coding: utf-8 -*-\nimport sys\nfrom {module} import {head}\nif __name__ == \"__main__\":\n    sys.exit({attributes}())\n"
        );
        let path = bin.join(name);
        fs_err::write(&path, script).map_err(|source| write_error(&path, source))?;
        fs_err::set_permissions(&path, std::fs::Permissions::from_mode(0o755))
            .map_err(|source| write_error(&path, source))?;
    }
    // Last: its presence marks a finished environment.
    fs_err::write(&config_path, config).map_err(|source| write_error(&config_path, source))
}

/// A shebang line running `python`; through `/bin/sh` when the kernel would truncate it or a
/// space would split it (as pip writes them).
fn shebang(python: &Utf8Path) -> String {
    if !python.as_str().contains(' ') && python.as_str().len() + 3 <= 127 {
        format!("#!{python}\n")
    } else {
        format!("#!/bin/sh\n'''exec' \"{python}\" \"$0\" \"$@\"\n' '''\n")
    }
}
