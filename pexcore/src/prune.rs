//! PEX_ROOT garbage collection: remove the virtual environments not used for a while, then the
//! wheel and user code installs that no remaining environment uses.
//!
//! A running PEX holds a shared lock on `$PEX_ROOT/.access.lck` for its whole life; pruning
//! takes it exclusively, so it waits until no PEX runs and no PEX can start while it deletes.
//! A virtual environment's last use is the modification time of its `.last-access` file, which
//! the runtime refreshes at most once an hour (`docs/format.md`, "PEX_ROOT layout"). Entries are
//! renamed to a hidden temporary name before they are deleted, so an interrupted prune leaves
//! nothing that looks installed.

use std::collections::HashSet;
use std::time::{Duration, SystemTime};

use camino::{Utf8Path, Utf8PathBuf};

use crate::pex_root::{Bucket, PexRoot};
use crate::pexinfo::PexInfo;

/// Why a PEX_ROOT could not be pruned.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    #[error("failed to prune `{path}`")]
    Io {
        path: Utf8PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("PEX files are running from `{root}`, and did not exit within {waited} s")]
    Busy { root: Utf8PathBuf, waited: u64 },
}

/// What a prune removed.
#[derive(Clone, Debug, Default)]
pub struct PruneReport {
    /// The removed directories.
    pub removed: Vec<Utf8PathBuf>,
    /// How many bytes they held.
    pub bytes: u64,
}

/// Removes what `pex_root` holds that was not used within `older_than`, once no PEX runs from
/// it; waits at most `wait` for running ones to exit.
pub(crate) fn prune(pex_root: &Utf8Path, older_than: Duration, wait: Duration) -> Result<PruneReport, Error> {
    let io = |path: &Utf8Path| {
        let path = path.to_owned();
        move |source| Error::Io { path, source }
    };
    let mut report = PruneReport::default();
    if !pex_root.is_dir() {
        return Ok(report);
    }
    let root = PexRoot::new(pex_root);
    let lock_path = root.access_lock();
    let lock =
        fs_err::OpenOptions::new().create(true).truncate(false).write(true).open(&lock_path).map_err(io(&lock_path))?;
    // A running PEX holds the root; say why prune waits, rather than hang in silence.
    let locked = crate::fs::lock_exclusive_within(lock.file(), wait, || {
        tracing::warn!("PEX files are running from `{pex_root}`; waiting for them to exit before pruning");
    })
    .map_err(io(&lock_path))?;
    if !locked {
        return Err(Error::Busy { root: pex_root.to_owned(), waited: wait.as_secs() });
    }
    let cutoff = SystemTime::now().checked_sub(older_than).unwrap_or(SystemTime::UNIX_EPOCH);

    let mut referenced: HashSet<String> = HashSet::new();
    // An environment whose PEX-INFO cannot be read may use any install: then none is removed.
    let mut unknown_references = false;
    let venvs = root.venvs();
    for pex_dir in visible_children(&venvs)? {
        let mut remaining = 0;
        for venv in visible_children(&pex_dir)? {
            if !venv.is_dir() || venv.is_symlink() {
                continue; // the `sh` link: removed with its directory below
            }
            let last_use = modified(&PexRoot::last_access(&venv)).or_else(|| modified(&venv));
            if last_use.is_some_and(|time| time < cutoff) {
                remove(&venv, &mut report)?;
                continue;
            }
            remaining += 1;
            let info = fs_err::read_to_string(venv.join("PEX-INFO"))
                .ok()
                .and_then(|text| PexInfo::from_json(&text, &venv).ok());
            if let Some(info) = info {
                referenced.extend(info.distributions.into_values());
                referenced.extend(info.pex_rs_installs.into_values());
                referenced.extend(info.code_hash);
            } else {
                tracing::warn!(
                    "the PEX-INFO of `{venv}` cannot be read, so any install may be in use: keeping every install"
                );
                unknown_references = true;
            }
        }
        if remaining == 0 {
            remove(&pex_dir, &mut report)?;
        }
    }
    for bucket in Bucket::ALL {
        let bucket = root.bucket(bucket);
        for entry in visible_children(&bucket)? {
            let name = entry.file_name().unwrap_or_default();
            let is_old = modified(&entry).is_some_and(|time| time < cutoff);
            if !unknown_references && !referenced.contains(name) && is_old {
                remove(&entry, &mut report)?;
            }
        }
        remove_abandoned(&bucket);
    }
    remove_abandoned(&venvs);
    for pex_dir in visible_children(&venvs)? {
        remove_abandoned(&pex_dir);
    }
    Ok(report)
}

/// Removes the temporary directories (`.<name>.<random>.tmp`) of installs that died. One whose
/// entry lock (`.<name>.lck`) is held belongs to an installer at work that does not take the
/// access lock (an older pex-rs, say): it stays.
fn remove_abandoned(dir: &Utf8Path) {
    let Ok(children) = fs_err::read_dir(dir) else { return };
    for child in children.flatten() {
        let name = child.file_name().to_string_lossy().into_owned();
        let Some(stem) = name.strip_prefix('.').and_then(|rest| rest.strip_suffix(".tmp")) else { continue };
        let entry = stem.split('.').next().unwrap_or_default();
        let lock = fs_err::OpenOptions::new().read(true).open(dir.join(format!(".{entry}.lck")));
        if let Ok(lock) = &lock
            && lock.file().try_lock().is_err()
        {
            continue;
        }
        let _ = fs_err::remove_dir_all(child.path());
    }
}

/// The children of `dir` whose names do not start with a dot (locks, temporary directories).
fn visible_children(dir: &Utf8Path) -> Result<Vec<Utf8PathBuf>, Error> {
    let entries = match fs_err::read_dir(dir) {
        Ok(entries) => entries,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(source) => return Err(Error::Io { path: dir.to_owned(), source }),
    };
    let mut children = Vec::new();
    for entry in entries {
        let entry = entry.map_err(|source| Error::Io { path: dir.to_owned(), source })?;
        let name = entry.file_name().to_string_lossy().into_owned();
        if !name.starts_with('.') {
            children.push(dir.join(name));
        }
    }
    children.sort();
    Ok(children)
}

fn modified(path: &Utf8Path) -> Option<SystemTime> {
    fs_err::symlink_metadata(path).ok()?.modified().ok()
}

/// Renames `path` to a hidden temporary name (so it stops counting as installed at once), then
/// deletes it.
fn remove(path: &Utf8Path, report: &mut PruneReport) -> Result<(), Error> {
    let parent = path.parent().unwrap_or(Utf8Path::new("."));
    let name = path.file_name().unwrap_or_default();
    // Unique per process and moment: a doomed directory a crashed prune left must not block this.
    let nanos = SystemTime::now().duration_since(SystemTime::UNIX_EPOCH).map_or(0, |elapsed| elapsed.as_nanos());
    let doomed = parent.join(format!(".{name}.{}-{nanos}.tmp", std::process::id()));
    fs_err::rename(path, &doomed).map_err(|source| Error::Io { path: path.to_owned(), source })?;
    report.bytes += disk_usage(&doomed);
    fs_err::remove_dir_all(&doomed).map_err(|source| Error::Io { path: doomed.clone(), source })?;
    report.removed.push(path.to_owned());
    Ok(())
}

fn disk_usage(path: &Utf8Path) -> u64 {
    let Ok(metadata) = fs_err::symlink_metadata(path) else { return 0 };
    if !metadata.is_dir() {
        return metadata.len();
    }
    fs_err::read_dir(path).map_or(0, |entries| {
        entries
            .flatten()
            .filter_map(|entry| Utf8PathBuf::from_path_buf(entry.path()).ok())
            .map(|child| disk_usage(&child))
            .sum()
    })
}
