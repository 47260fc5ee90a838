//! A local project as a build input: the files git would consider its own, their digest (an
//! edit always rebuilds, an unchanged tree never does), and a copy of them to build in, so that
//! what a backend leaves behind (setuptools' `build/`, `*.egg-info`) can neither pollute the
//! project nor slip stale files into the next wheel.
//!
//! The files are those the project's `.gitignore` files (and `.git/info/exclude`) do not ignore,
//! whether or not the project is a git repository, minus what is never source: `.git`,
//! `__pycache__`, `*.egg-info`, a top-level `build/` or `dist/`, and virtual environments (a
//! directory with a `pyvenv.cfg`), and the file the build is writing (`pex-rs build . -o
//! app.pex` must not change the project it builds). `.gitignore` files above the project and
//! the user's global excludes are not read: they differ from machine to machine.
//!
//! Projects that take their version from git (setuptools-scm, hatch-vcs) need the repository:
//! the copy gets a link to the project's `.git`, and `git describe` (the commit and the nearest
//! tag) is part of the digest, so that a new tag rebuilds.

use std::io::Read as _;

use camino::{Utf8Path, Utf8PathBuf};
use rayon::prelude::*;

use super::Error;
use crate::hash::{Hasher, Sha256Digest};

/// The source files of a project directory.
#[derive(Debug)]
pub(crate) struct TreeFiles {
    root: Utf8PathBuf,
    files: Vec<TreeFile>,
    digest: Sha256Digest,
}

#[derive(Debug)]
struct TreeFile {
    relative: Utf8PathBuf,
    kind: FileKind,
}

#[derive(Debug)]
enum FileKind {
    File { executable: bool },
    Link(String),
}

impl TreeFiles {
    /// Lists and hashes the files of the project at `root`, but for the `excluded` ones
    /// (absolute paths: the build's output, and its temporary files beside it).
    pub(crate) fn scan(root: &Utf8Path, excluded: &[Utf8PathBuf]) -> Result<Self, Error> {
        let read_error = |path: &Utf8Path, source| Error::Source { path: path.to_owned(), source };
        let mut walk = ignore::WalkBuilder::new(root);
        walk.hidden(false)
            .ignore(false)
            .parents(false)
            .git_global(false)
            .git_ignore(true)
            .git_exclude(true)
            .require_git(false)
            .follow_links(false)
            .filter_entry({
                let excluded = excluded.to_vec();
                move |entry| !is_never_source(entry) && !is_excluded(entry.path(), &excluded)
            });
        let mut files = Vec::new();
        for entry in walk.build() {
            let entry = entry.map_err(|error| {
                let path = error_path(&error).unwrap_or_else(|| root.to_owned());
                read_error(&path, std::io::Error::other(error))
            })?;
            let Some(kind) = entry.file_type() else { continue };
            if kind.is_dir() {
                continue;
            }
            let path = Utf8Path::from_path(entry.path()).ok_or_else(|| {
                read_error(root, std::io::Error::other(format!("`{}` is not UTF-8", entry.path().display())))
            })?;
            let relative = path.strip_prefix(root).expect("walked from the root").to_owned();
            let kind = if kind.is_symlink() {
                let target = fs_err::read_link(path).map_err(|source| read_error(path, source))?;
                FileKind::Link(target.to_string_lossy().into_owned())
            } else {
                use std::os::unix::fs::PermissionsExt;
                let metadata = entry.metadata().map_err(|error| read_error(path, std::io::Error::other(error)))?;
                FileKind::File { executable: metadata.permissions().mode() & 0o111 != 0 }
            };
            files.push(TreeFile { relative, kind });
        }
        files.sort_by(|left, right| left.relative.cmp(&right.relative));
        let lines: Vec<String> = files
            .par_iter()
            .map(|file| {
                let (kind, content) = match &file.kind {
                    FileKind::Link(target) => ("l", Sha256Digest::of(target.as_bytes())),
                    FileKind::File { executable } => {
                        let path = root.join(&file.relative);
                        let mut hasher = Hasher::default();
                        let mut reader = fs_err::File::open(&path).map_err(|source| read_error(&path, source))?;
                        let mut buffer = vec![0; 64 * 1024];
                        loop {
                            let count = reader.read(&mut buffer).map_err(|source| read_error(&path, source))?;
                            if count == 0 {
                                break;
                            }
                            hasher.update(&buffer[..count]);
                        }
                        (if *executable { "x" } else { "f" }, hasher.finish())
                    }
                };
                Ok(format!("{}\0{kind}\0{content}\n", file.relative))
            })
            .collect::<Result<_, Error>>()?;
        let mut hasher = Hasher::default();
        for line in &lines {
            hasher.update(line.as_bytes());
        }
        if let Some(description) = git_describe(root) {
            hasher.update(b"git\0");
            hasher.update(description.as_bytes());
        }
        tracing::debug!("`{root}`: {} source files", files.len());
        Ok(Self { root: root.to_owned(), files, digest: hasher.finish() })
    }

    /// The digest of every file's path, kind and content (and of `git describe`).
    pub(crate) fn digest(&self) -> Sha256Digest {
        self.digest
    }

    /// Copies the files into the empty directory `destination`, with normalized modes.
    pub(crate) fn copy_to(&self, destination: &Utf8Path) -> Result<(), Error> {
        let write_error = |path: &Utf8Path, source| Error::Write { path: path.to_owned(), source };
        self.files.par_iter().try_for_each(|file| {
            let target = destination.join(&file.relative);
            if let Some(parent) = target.parent() {
                fs_err::create_dir_all(parent).map_err(|source| write_error(parent, source))?;
            }
            match &file.kind {
                FileKind::Link(link) => {
                    std::os::unix::fs::symlink(link, &target).map_err(|source| write_error(&target, source))
                }
                FileKind::File { executable } => {
                    use std::os::unix::fs::PermissionsExt;
                    let source_path = self.root.join(&file.relative);
                    fs_err::copy(&source_path, &target).map_err(|source| write_error(&target, source))?;
                    let mode = if *executable { 0o755 } else { 0o644 };
                    fs_err::set_permissions(&target, std::fs::Permissions::from_mode(mode))
                        .map_err(|source| write_error(&target, source))
                }
            }
        })?;
        let git = self.root.join(".git");
        if git.exists() {
            let link = destination.join(".git");
            std::os::unix::fs::symlink(&git, &link).map_err(|source| write_error(&link, source))?;
        }
        Ok(())
    }
}

/// Whether a walked entry is never part of the source: see the module docs.
fn is_never_source(entry: &ignore::DirEntry) -> bool {
    let name = entry.file_name().to_string_lossy();
    let is_dir = entry.file_type().is_some_and(|kind| kind.is_dir());
    name == ".git"
        || (is_dir && (name == "__pycache__" || name.ends_with(".egg-info")))
        || (is_dir && entry.depth() == 1 && (name == "build" || name == "dist"))
        || (is_dir && entry.path().join("pyvenv.cfg").is_file())
}

/// Whether `path` is one of `excluded`, or the temporary file of one (`.app.pex.1a2b.tmp`).
fn is_excluded(path: &std::path::Path, excluded: &[Utf8PathBuf]) -> bool {
    excluded.iter().any(|excluded| {
        let temporary = || {
            let name = path.file_name()?.to_str()?;
            let stem = name.strip_prefix('.')?.strip_prefix(excluded.file_name()?)?;
            let is_temporary = stem.starts_with('.') && std::path::Path::new(stem).extension()? == "tmp";
            Some(path.parent()? == excluded.parent()?.as_std_path() && is_temporary)
        };
        path == excluded.as_std_path() || temporary().unwrap_or(false)
    })
}

fn error_path(error: &ignore::Error) -> Option<Utf8PathBuf> {
    match error {
        ignore::Error::WithPath { path, .. } => Utf8PathBuf::from_path_buf(path.clone()).ok(),
        ignore::Error::WithDepth { err, .. } | ignore::Error::WithLineNumber { err, .. } => error_path(err),
        _ => None,
    }
}

/// `git describe --tags --long --always` of a project that is a git checkout, if git answers:
/// the commit and the nearest tag, which VCS-versioned projects turn into their version.
fn git_describe(root: &Utf8Path) -> Option<String> {
    if !root.join(".git").exists() {
        return None;
    }
    let output = std::process::Command::new("git")
        .args(["describe", "--tags", "--long", "--always"])
        .current_dir(root)
        .env("GIT_OPTIONAL_LOCKS", "0")
        .stdin(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .output()
        .ok()?;
    output.status.success().then(|| String::from_utf8_lossy(&output.stdout).trim().to_owned())
}
