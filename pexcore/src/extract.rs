//! PEX_ROOT from Rust: what the tools (`pex-rs extract`, `verify`, `venv`) check before they let
//! pex-rs's boot code install a PEX into a PEX_ROOT, and where its entries go.
//!
//! The install protocol itself has one implementation, the boot code's (`docs/format.md`, "What
//! the runtime does"), which the tools run with the target interpreter (`ops::run_boot`): a root
//! prepared by `pex-rs extract` and one prepared by a first run are the same by construction.
//!
//! This module is on the runtime side of the layering: it never uses `build` or resolution.

use std::collections::BTreeMap;
use std::io::{self, BufReader, Read};

use camino::{Utf8Path, Utf8PathBuf};
use rayon::prelude::*;

use crate::fs::enclosed;
use crate::hash::Sha256Digest;
use crate::pex_root::{Bucket, PexRoot};
use crate::pexinfo::{DEPS_DIR, PexInfo};

/// Why a PEX could not be installed into a PEX_ROOT.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    #[error("failed to read `{path}`")]
    Read {
        path: Utf8PathBuf,
        #[source]
        source: io::Error,
    },
    #[error("`{path}` is not a PEX file: it is not a zip archive")]
    Zip {
        path: Utf8PathBuf,
        #[source]
        source: zip::result::ZipError,
    },
    #[error("`{pex}` is corrupt: its member `{member}` cannot be read")]
    CorruptMember {
        pex: Utf8PathBuf,
        member: String,
        #[source]
        source: io::Error,
    },
    #[error("the PEX-INFO of `{pex}` lists `{name}` with an invalid digest `{digest}`")]
    Digest { pex: Utf8PathBuf, name: String, digest: String },
    #[error(
        "`{pex}` is not what its PEX-INFO says: {reason}; it was changed after it was built, so nothing of it is used"
    )]
    Identity { pex: Utf8PathBuf, reason: String },
    #[error("failed to install into `{path}`")]
    Install {
        path: Utf8PathBuf,
        #[source]
        source: io::Error,
    },
}

/// What an extraction did.
#[derive(Clone, Debug, Default)]
pub struct ExtractReport {
    /// Entries installed by this call (the others were already there).
    pub installed: Vec<Utf8PathBuf>,
    /// Every entry of the PEX, installed now or before.
    pub entries: Vec<Utf8PathBuf>,
}

/// Checks that the PEX at `pex` is what its PEX-INFO says, before a tool (`extract`, `verify`,
/// `venv`) installs any of it into a PEX_ROOT that other PEX files may share: its boot code and
/// every file of its wheels commit to the names their installs get. Nothing of the PEX is run:
/// the tools run pex-rs's own boot code.
pub(crate) fn check_archive(pex: &Utf8Path, pex_info: &PexInfo) -> Result<(), Error> {
    // One read of the archive's directory (a large one takes long to parse) serves both checks.
    let file = fs_err::File::open(pex).map_err(|source| Error::Read { path: pex.to_owned(), source })?;
    let mut archive =
        crate::zip_limits::open(BufReader::new(file)).map_err(|source| Error::Zip { path: pex.to_owned(), source })?;
    check_boot_code(pex, pex_info, &mut archive)?;
    check_wheels(pex, pex_info, &mut archive)
}

/// A PEX file's archive, as the checks read it.
type Archive = zip::ZipArchive<BufReader<fs_err::File>>;

/// The wheels a PEX carries, checked against the names their installs get: each wheel's RECORD
/// must hash to its `pex_rs_installs` digest, and every file of it (but the bytecode pex-rs
/// added, which installers compile again) must be what RECORD vouches for, and be there. An
/// install named by that digest then holds what the name commits to, whoever made it.
fn check_wheels(pex: &Utf8Path, pex_info: &PexInfo, archive: &mut Archive) -> Result<(), Error> {
    let identity = |reason: String| Error::Identity { pex: pex.to_owned(), reason };
    let mut members: BTreeMap<String, Vec<(usize, String)>> = BTreeMap::new();
    for index in 0..archive.len() {
        let Some(Ok(name)) = archive.name_for_index(index) else { continue };
        if let Some((wheel, rest)) = name.strip_prefix(&format!("{DEPS_DIR}/")).and_then(|rest| rest.split_once('/'))
            && !rest.is_empty()
            && !rest.ends_with('/')
            && !is_added_bytecode(rest)
        {
            members.entry(wheel.to_owned()).or_default().push((index, rest.to_owned()));
        }
    }
    // Each RECORD first, then every file against its RECORD, in parallel: hashing the files is
    // most of the time `pex-rs extract` takes for a PEX of large wheels.
    let mut records = Vec::new();
    let mut checks = Vec::new();
    for wheel in pex_info.distributions.keys() {
        let Some(key) = pex_info.pex_rs_installs.get(wheel) else {
            return Err(identity(format!(
                "its PEX-INFO names no RECORD digest for `{wheel}` (it was built by an earlier pex-rs); rebuild it"
            )));
        };
        let filename: crate::dist::WheelFilename =
            wheel.parse().map_err(|_| identity(format!("`{wheel}` is not a wheel file name")))?;
        let files = members.remove(wheel).unwrap_or_default();
        let found: Vec<&(usize, String)> = files
            .iter()
            .filter(|(_, path)| {
                path.strip_suffix("/RECORD").is_some_and(|dir| dir.ends_with(".dist-info") && !dir.contains('/'))
            })
            .collect();
        let [(record_index, record_path)] = found.as_slice() else {
            return Err(identity(format!("`{wheel}` has {} RECORD files, not one", found.len())));
        };
        let mut bytes = Vec::new();
        archive
            .by_index(*record_index)
            .map_err(|source| Error::Zip { path: pex.to_owned(), source })?
            .take(64 << 20)
            .read_to_end(&mut bytes)
            .map_err(|source| Error::CorruptMember { pex: pex.to_owned(), member: record_path.clone(), source })?;
        let digest = Sha256Digest::of(&bytes).to_string();
        if &digest != key {
            return Err(identity(format!("the RECORD of `{wheel}` hashes to `{digest}`, not to `{key}`")));
        }
        let dist_info = record_path.trim_end_matches("/RECORD");
        let record = crate::wheel::InstalledRecord::parse(&filename, dist_info, &bytes)
            .map_err(|error| identity(format!("the RECORD of `{wheel}`: {error}")))?;
        for (index, path) in &files {
            let signature = path.ends_with(".dist-info/RECORD.jws") || path.ends_with(".dist-info/RECORD.p7s");
            if path != record_path && !signature {
                checks.push((records.len(), *index, path.clone()));
            }
        }
        records.push((wheel, record));
    }
    let open = || -> Result<Archive, Error> {
        let file = fs_err::File::open(pex).map_err(|source| Error::Read { path: pex.to_owned(), source })?;
        crate::zip_limits::open(BufReader::new(file)).map_err(|source| Error::Zip { path: pex.to_owned(), source })
    };
    let present = checks
        .par_iter()
        .map_init(
            || None,
            |archive, (position, index, path)| {
                if archive.is_none() {
                    *archive = Some(open()?);
                }
                let archive = archive.as_mut().expect("opened above");
                let (wheel, record) = &records[*position];
                let member = archive.by_index(*index).map_err(|source| Error::Zip { path: pex.to_owned(), source })?;
                match record.matches(path, member) {
                    None => Err(identity(format!("`{wheel}` holds `{path}`, which its RECORD does not list"))),
                    Some(Err(source)) => Err(Error::CorruptMember {
                        pex: pex.to_owned(),
                        member: format!("{DEPS_DIR}/{wheel}/{path}"),
                        source,
                    }),
                    Some(Ok(false)) => {
                        Err(identity(format!("`{wheel}`'s `{path}` is not what its RECORD vouches for")))
                    }
                    Some(Ok(true)) => Ok((*position, path.as_str())),
                }
            },
        )
        .collect::<Result<std::collections::HashSet<_>, _>>()?;
    for (position, (wheel, record)) in records.iter().enumerate() {
        if let Some(missing) = record.paths().find(|path| !present.contains(&(position, *path))) {
            return Err(identity(format!("`{wheel}` lacks `{missing}`, which its RECORD lists")));
        }
    }
    Ok(())
}

/// Bytecode that pex-rs adds to a wheel's files (`__pycache__/*.pyc`): not in RECORD, so not
/// installed from an archive that is only extracted; it is compiled again.
fn is_added_bytecode(path: &str) -> bool {
    // The boot code skips exactly these too (`_member_groups`): the same rule on both sides.
    Utf8Path::new(path).extension() == Some("pyc") && path.contains("__pycache__/")
}

/// The boot code a PEX carries (`__main__.py` and the modules under `__pex_rs__/`), checked
/// against its PEX-INFO: `pex_hash` is the digest of PEX-INFO, which records the boot code's
/// digest (`build_properties.pex_rs_boot`). A PEX that passes can have its runner kept in a
/// virtual environment named by its `pex_hash` without that name ever meaning other code. A PEX
/// that records no digest passes only with this pex-rs's own boot code.
fn check_boot_code(pex: &Utf8Path, pex_info: &PexInfo, archive: &mut Archive) -> Result<(), Error> {
    let identity = |reason: String| Error::Identity { pex: pex.to_owned(), reason };
    let claimed = pex_info.pex_hash.as_deref().unwrap_or_default();
    let computed = pex_info.compute_pex_hash().to_string();
    if claimed != computed {
        return Err(identity(format!("its pex_hash is `{claimed}`, but its PEX-INFO hashes to `{computed}`")));
    }
    let mut names: Vec<String> = (0..archive.len())
        .filter_map(|index| match archive.name_for_index(index) {
            Some(Ok(name)) if crate::boot::is_boot_source(&name) => Some(name.into_owned()),
            _ => None,
        })
        .collect();
    names.sort();
    if !names.iter().any(|name| name.starts_with(crate::boot::DIRECTORY)) {
        return Err(identity(format!(
            "it has no `{}/` boot modules (a PEX made by an older pex-rs); rebuild it with this pex-rs",
            crate::boot::DIRECTORY
        )));
    }
    let mut files = Vec::new();
    for name in names {
        let mut bytes = Vec::new();
        archive
            .by_name(&name)
            .map_err(|source| Error::Zip { path: pex.to_owned(), source })?
            .take(64 << 20)
            .read_to_end(&mut bytes)
            .map_err(|source| Error::Read { path: pex.to_owned(), source })?;
        files.push((name, bytes));
    }
    let digest = crate::boot::digest_of(files.iter().map(|(name, bytes)| (name.as_str(), bytes.as_slice())));
    match pex_info.build_properties.get("pex_rs_boot").and_then(serde_json::Value::as_str) {
        Some(recorded) if recorded == digest => Ok(()),
        Some(recorded) => {
            Err(identity(format!("its boot code hashes to `{digest}`, but its PEX-INFO records `{recorded}`")))
        }
        None if digest == crate::boot::digest() => Ok(()),
        None => Err(identity(
            "its PEX-INFO records no digest of its boot code, which is not this pex-rs's; rebuild it with this pex-rs"
                .to_owned(),
        )),
    }
}

/// The digest of empty input: the `code_hash` of a PEX without user code.
fn empty_code_hash() -> String {
    Sha256Digest::of(b"").to_string()
}

/// Holds a shared lock on `<pex_root>/.access.lck` while it lives, as a running PEX does, so that
/// `pex-rs cache prune` (which takes it exclusively) never deletes an install in progress.
pub(crate) struct AccessLock(#[expect(dead_code, reason = "held for its lock")] fs_err::File);

impl AccessLock {
    pub(crate) fn acquire(pex_root: &Utf8Path) -> Result<Self, Error> {
        let install_error = |source| Error::Install { path: pex_root.to_owned(), source };
        fs_err::create_dir_all(pex_root).map_err(install_error)?;
        let file = fs_err::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(PexRoot::new(pex_root).access_lock())
            .map_err(install_error)?;
        file.file().lock_shared().map_err(install_error)?;
        Ok(Self(file))
    }
}

/// Where the entries of the PEX (each wheel, and the user code) are installed in `pex_root`:
/// `installed_wheels/v1/<install digest>/<wheel>` and `user_code/v1/<code_hash>`.
pub(crate) fn entries(pex: &Utf8Path, pex_info: &PexInfo, pex_root: &Utf8Path) -> Result<Vec<Utf8PathBuf>, Error> {
    let root = PexRoot::new(pex_root);
    let mut entries = Vec::new();
    for (name, digest) in &pex_info.distributions {
        // Named by the RECORD digest that `check_archive` checked the files against.
        let digest = pex_info.pex_rs_installs.get(name).unwrap_or(digest);
        if Sha256Digest::from_canonical(digest).is_none() || enclosed(name).is_none_or(|path| path.as_str() != name) {
            return Err(Error::Digest { pex: pex.to_owned(), name: name.clone(), digest: digest.clone() });
        }
        entries.push(root.bucket(Bucket::InstalledWheels).join(digest).join(name));
    }
    let code_hash = pex_info.code_hash.clone().unwrap_or_else(empty_code_hash);
    if code_hash != empty_code_hash() {
        if Sha256Digest::from_canonical(&code_hash).is_none() {
            return Err(Error::Digest { pex: pex.to_owned(), name: "code_hash".to_owned(), digest: code_hash });
        }
        entries.push(root.bucket(Bucket::UserCode).join(code_hash));
    }
    Ok(entries)
}
