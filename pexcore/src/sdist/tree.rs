//! A local project as a build input: its files, their digest (an edit always rebuilds, an
//! unchanged tree never does), and a copy of them to build in, so that what a backend leaves
//! behind (setuptools' `build/`, `*.egg-info`) can neither pollute the project nor slip stale
//! files into the next wheel.
//!
//! The files are those the project's `.gitignore` files (and `.git/info/exclude`) do not ignore,
//! whether or not the project is a git repository, minus what is never source: `.git`,
//! `__pycache__`, `*.egg-info`, a top-level `build/` or `dist/`, virtual environments (a
//! directory with a `pyvenv.cfg`), caches (a directory with a `CACHEDIR.TAG`, such as a pex-rs
//! cache kept in the project), and the file the build is writing (`pex-rs build . -o app.pex`
//! must not change the project it builds). `.gitignore` files above the project and the user's
//! global excludes are not read: they differ from machine to machine. Symbolic links are
//! followed: the copy holds what they point to (a link out of the project, `README.md ->
//! ../README.md`, would otherwise dangle there), and the digest covers it.
//!
//! Projects that take their version from git (setuptools-scm, hatch-vcs) need the repository:
//! the copy gets the project's `.git`, and `git describe` (the commit and the nearest tag) is
//! part of the digest, so that a new tag rebuilds.

use std::io::Read as _;

use camino::{Utf8Path, Utf8PathBuf};
use rayon::prelude::*;

use super::Error;
use crate::hash::{Hasher, Sha256Digest};

/// The source files of a project directory.
#[derive(Debug)]
pub(crate) struct TreeFiles {
    root: Utf8PathBuf,
    /// Each file's path in the project, and whether it is executable, sorted.
    files: Vec<(Utf8PathBuf, bool)>,
    digest: Sha256Digest,
}

impl TreeFiles {
    /// Lists and hashes the files of the project at `root`, but for the `excluded` ones
    /// (absolute paths: the build's output, and its temporary files beside it).
    pub(crate) fn scan(root: &Utf8Path, excluded: &[Utf8PathBuf]) -> Result<Self, Error> {
        use std::os::unix::fs::PermissionsExt;
        let read_error = |path: &Utf8Path, source| Error::Source { path: path.to_owned(), source };
        // Compared inside the project, whatever spelling (`..`, links) named them.
        let canonical_root = fs_err::canonicalize(root).map_err(|source| read_error(root, source))?;
        let excluded: Vec<Utf8PathBuf> = excluded
            .iter()
            .filter_map(|path| {
                let parent = fs_err::canonicalize(path.parent()?).ok()?;
                let relative = parent.join(path.file_name()?).strip_prefix(&canonical_root).ok()?.to_owned();
                Utf8PathBuf::from_path_buf(relative).ok()
            })
            .collect();
        let mut walk = ignore::WalkBuilder::new(root);
        walk.hidden(false)
            .ignore(false)
            .parents(false)
            .git_global(false)
            .git_ignore(true)
            .git_exclude(true)
            .require_git(false)
            .follow_links(true)
            .filter_entry({
                let root = root.to_owned();
                move |entry| {
                    let relative = entry.path().strip_prefix(&root).unwrap_or(entry.path());
                    !is_never_source(entry) && !is_excluded(relative, &excluded)
                }
            });
        let mut files = Vec::new();
        for entry in walk.build() {
            let entry = match entry {
                Ok(entry) => entry,
                // A link to nothing: there is nothing to build from it.
                Err(error) if error.io_error().is_some_and(|error| error.kind() == std::io::ErrorKind::NotFound) => {
                    tracing::debug!("skipping {error}");
                    continue;
                }
                Err(error) => {
                    let path = error_path(&error).unwrap_or_else(|| root.to_owned());
                    return Err(read_error(&path, std::io::Error::other(error)));
                }
            };
            if entry.file_type().is_none_or(|kind| kind.is_dir()) {
                continue;
            }
            let path = Utf8Path::from_path(entry.path()).ok_or_else(|| {
                read_error(root, std::io::Error::other(format!("`{}` is not UTF-8", entry.path().display())))
            })?;
            let relative = path.strip_prefix(root).expect("walked from the root").to_owned();
            let metadata = fs_err::metadata(path).map_err(|source| read_error(path, source))?;
            files.push((relative, metadata.permissions().mode() & 0o111 != 0));
        }
        files.sort();
        let lines: Vec<String> = files
            .par_iter()
            .map(|(relative, executable)| {
                let path = root.join(relative);
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
                let kind = if *executable { "x" } else { "f" };
                Ok(format!("{relative}\0{kind}\0{}\n", hasher.finish()))
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

    /// The files' paths (the project directory joined with each file's path in it).
    pub(crate) fn paths(&self) -> Vec<Utf8PathBuf> {
        self.files.iter().map(|(relative, _)| self.root.join(relative)).collect()
    }

    /// The digest of every file's path, mode and content (and of `git describe`).
    pub(crate) fn digest(&self) -> Sha256Digest {
        self.digest
    }

    /// Copies the files into the empty directory `destination`, with normalized modes.
    pub(crate) fn copy_to(&self, destination: &Utf8Path) -> Result<(), Error> {
        use std::os::unix::fs::PermissionsExt;
        let write_error = |path: &Utf8Path, source| Error::Write { path: path.to_owned(), source };
        self.files.par_iter().try_for_each(|(relative, executable)| {
            let target = destination.join(relative);
            if let Some(parent) = target.parent() {
                fs_err::create_dir_all(parent).map_err(|source| write_error(parent, source))?;
            }
            fs_err::copy(self.root.join(relative), &target).map_err(|source| write_error(&target, source))?;
            let mode = if *executable { 0o755 } else { 0o644 };
            fs_err::set_permissions(&target, std::fs::Permissions::from_mode(mode))
                .map_err(|source| write_error(&target, source))
        })?;
        link_repository(&self.root, destination)
    }
}

/// Gives the copy at `destination` the git repository of the project at `root`: a link to its
/// `.git` directory, or, for a submodule or worktree (a `.git` file naming its repository,
/// often relatively), a `.git` file naming it absolutely.
fn link_repository(root: &Utf8Path, destination: &Utf8Path) -> Result<(), Error> {
    let git = root.join(".git");
    let link = destination.join(".git");
    let write_error = |source| Error::Write { path: link.clone(), source };
    if git.is_dir() {
        return std::os::unix::fs::symlink(&git, &link).map_err(write_error);
    }
    let Ok(text) = fs_err::read_to_string(&git) else { return Ok(()) };
    let Some(directory) = text.trim().strip_prefix("gitdir:") else { return Ok(()) };
    let directory = root.join(directory.trim());
    fs_err::write(&link, format!("gitdir: {directory}\n")).map_err(write_error)
}

/// Whether a walked entry is never part of the source: see the module docs.
fn is_never_source(entry: &ignore::DirEntry) -> bool {
    let name = entry.file_name().to_string_lossy();
    let is_dir = entry.file_type().is_some_and(|kind| kind.is_dir());
    name == ".git"
        || (is_dir && (name == "__pycache__" || name.ends_with(".egg-info")))
        || (is_dir && entry.depth() == 1 && (name == "build" || name == "dist"))
        || (is_dir && (entry.path().join("pyvenv.cfg").is_file() || entry.path().join("CACHEDIR.TAG").is_file()))
}

/// Whether `relative` (a path in the project) is one of `excluded`, or the temporary file of one
/// (`.app.pex.1a2b.tmp`).
fn is_excluded(relative: &std::path::Path, excluded: &[Utf8PathBuf]) -> bool {
    excluded.iter().any(|excluded| {
        let temporary = || {
            let name = relative.file_name()?.to_str()?;
            let stem = name.strip_prefix('.')?.strip_prefix(excluded.file_name()?)?;
            let is_temporary = stem.starts_with('.') && std::path::Path::new(stem).extension()? == "tmp";
            Some(relative.parent()? == excluded.parent()?.as_std_path() && is_temporary)
        };
        relative == excluded.as_std_path() || temporary().unwrap_or(false)
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
