//! Open a wheel, verify it, and plan where each of its members is installed.
//!
//! Verification (before any byte of a wheel reaches a PEX; the digest pass is skipped for a
//! wheel whose sha256 the cache's `verified_wheels` bucket has seen pass): the file name parses; the archive
//! is a readable zip; there is exactly one `.dist-info` directory for the project, with
//! `WHEEL` (version 1.x), `METADATA` (whose name and version agree with the file name) and
//! `RECORD`; every member is listed in RECORD and its content matches the recorded digest; no
//! member name escapes the install directory and no member is a symbolic link.
//!
//! Installing follows PEP 427 for a virtual environment whose site-packages is the install
//! directory and whose prefix is `.prefix/` inside it (`docs/format.md` has the table).

use std::collections::{BTreeMap, HashMap, HashSet};
use std::io::{self, Cursor, Read};
use std::sync::Arc;
use unicode_normalization::UnicodeNormalization as _;

use camino::{Utf8Path, Utf8PathBuf};
use rayon::prelude::*;

use crate::cache::{Bucket, Cache};
use crate::dist::{self, CoreMetadata, WheelFilename};
use crate::fs::enclosed;
use crate::hash::Sha256Digest;

/// Why a wheel was refused.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    #[error("failed to read wheel `{path}`")]
    Read {
        path: Utf8PathBuf,
        #[source]
        source: io::Error,
    },
    #[error("`{path}` is not a wheel")]
    Filename {
        path: Utf8PathBuf,
        #[source]
        source: dist::Error,
    },
    #[error("wheel `{path}` is not a valid zip archive (truncated or corrupt?)")]
    Zip {
        path: Utf8PathBuf,
        #[source]
        source: zip::result::ZipError,
    },
    #[error("wheel `{wheel}` is corrupt: member `{member}` cannot be read")]
    Member {
        wheel: String,
        member: String,
        #[source]
        source: io::Error,
    },
    #[error("wheel `{wheel}` has no `.dist-info` directory for project `{project}`")]
    NoDistInfo { wheel: String, project: String },
    #[error("wheel `{wheel}` has several `.dist-info` directories for its project: {found}")]
    SeveralDistInfo { wheel: String, found: String },
    #[error("wheel `{wheel}` lacks `{file}`")]
    MissingFile { wheel: String, file: String },
    #[error("wheel `{wheel}` has an unsupported `Wheel-Version` `{version}` (pex-rs reads 1.x)")]
    WheelVersion { wheel: String, version: String },
    #[error("the METADATA of wheel `{wheel}` is invalid")]
    Metadata {
        wheel: String,
        #[source]
        source: dist::Error,
    },
    #[error("wheel `{wheel}` says in its METADATA that it is `{name} {version}`, which its file name contradicts")]
    MetadataMismatch { wheel: String, name: String, version: String },
    #[error("the RECORD of wheel `{wheel}` is malformed at line {line}: {reason}")]
    RecordSyntax { wheel: String, line: usize, reason: String },
    #[error("wheel `{wheel}` was modified after it was built: `{member}` does not match the digest in its RECORD")]
    RecordMismatch { wheel: String, member: String },
    #[error("wheel `{wheel}` has `{member}`, which its RECORD does not list")]
    Unrecorded { wheel: String, member: String },
    #[error("wheel `{wheel}` has a member whose name is unsafe to extract: `{member}`")]
    UnsafeMember { wheel: String, member: String },
    #[error("wheel `{wheel}` has a symbolic link `{member}`, which wheels may not contain")]
    Symlink { wheel: String, member: String },
    #[error(
        "wheel `{wheel}` has `{member}` in an unknown `.data` scheme (expected purelib, platlib, scripts, data or headers)"
    )]
    DataScheme { wheel: String, member: String },
    #[error("wheel `{wheel}` has a member `{member}` of {actual} bytes that claims {declared} bytes")]
    SizeMismatch { wheel: String, member: String, declared: u64, actual: u64 },
    #[error(
        "wheel `{wheel}` declares the script `{name} = {target}`, which is not a file name and `module:function`; \
         refusing it"
    )]
    EntryPoint { wheel: String, name: String, target: String },
    #[error("wheel `{wheel}` installs two members to `{path}`")]
    Collision { wheel: String, path: String },
    #[error(
        "wheel `{wheel}` has members `{first}` and `{second}`, one file where names ignore case or \
         Unicode normalisation (macOS, Windows); refusing it"
    )]
    FoldedCollision { wheel: String, first: String, second: String },
    #[error(
        "wheel `{wheel}` has {listed} entries in its central directory but {distinct} distinct names: a name is given twice, and which copy is meant cannot be told"
    )]
    DuplicateMember { wheel: String, listed: u64, distinct: usize },
    #[error(
        "wheel `{wheel}` installs both a file `{file}` and files inside it (`{inside}`): one of them cannot be installed"
    )]
    FileAndDirectory { wheel: String, file: String, inside: String },
    #[error("failed to install wheel `{wheel}` into `{path}`")]
    Install {
        wheel: String,
        path: Utf8PathBuf,
        #[source]
        source: io::Error,
    },
}

/// A member of a wheel and the place it is installed, relative to the install directory.
#[derive(Clone, Debug)]
pub(crate) struct Member {
    /// The index of the member in the wheel's zip directory.
    pub(crate) index: usize,
    pub(crate) installed_path: Utf8PathBuf,
}

/// A verified wheel, held in memory: its bytes are copied raw into the PEX later.
#[derive(Clone, Debug)]
pub(crate) struct Wheel {
    pub(crate) filename: WheelFilename,
    pub(crate) sha256: Sha256Digest,
    /// The sha256 of its RECORD, which commits to every member: what its install in a
    /// PEX_ROOT is named by (`installed_wheels/v1/<record sha256>`), so that an installer can
    /// check what it writes against the name.
    pub(crate) record_sha256: Sha256Digest,
    pub(crate) metadata: CoreMetadata,
    pub(crate) members: Vec<Member>,
    /// Console and GUI scripts declared in `entry_points.txt`: name and `module:attr` target.
    pub(crate) entry_point_scripts: Vec<(String, String)>,
    /// Script files from the `.data/scripts` directory (installed under `.prefix/bin/`).
    pub(crate) data_scripts: Vec<String>,
    bytes: Arc<[u8]>,
}

/// Where the wheel member at `relative` is installed: as it is, or for a member of the
/// `.data` directory `data_dir` (`name-1.0.data/`), where its scheme says (under `.prefix` for
/// scripts, data and headers); `None` for an unknown scheme.
fn installed_path(relative: &Utf8Path, data_dir: &str, project: &str) -> Option<Utf8PathBuf> {
    let Some(rest) = relative.as_str().strip_prefix(data_dir) else { return Some(relative.to_owned()) };
    let (scheme, path) = rest.split_once('/')?;
    match scheme {
        "purelib" | "platlib" => Some(Utf8PathBuf::from(path)),
        "scripts" => Some(Utf8Path::new(PREFIX_DIR).join("bin").join(path)),
        "data" => Some(Utf8Path::new(PREFIX_DIR).join(path)),
        "headers" => Some(Utf8Path::new(PREFIX_DIR).join("include").join(project).join(path)),
        _ => None,
    }
}

/// What an installed wheel must hold, from its RECORD: each installed path (as
/// [`installed_path`] lays it out) with its digest. RECORD itself and its signatures, which
/// RECORD cannot hash, are left out.
pub(crate) struct InstalledRecord {
    digests: BTreeMap<String, RecordDigest>,
}

impl InstalledRecord {
    /// Reads the RECORD (`bytes`) of the wheel `filename`, whose `.dist-info` is `dist_info`.
    pub(crate) fn parse(filename: &WheelFilename, dist_info: &str, bytes: &[u8]) -> Result<Self, Error> {
        let wheel = filename.to_string();
        let data_dir = format!("{}.data/", dist_info.trim_end_matches(".dist-info"));
        let mut digests = BTreeMap::new();
        for (path, digest) in parse_record(&wheel, bytes)? {
            let unsafe_path = || Error::UnsafeMember { wheel: wheel.clone(), member: path.clone() };
            let relative = enclosed(&path).ok_or_else(unsafe_path)?;
            let installed = installed_path(&relative, &data_dir, filename.name()).ok_or_else(unsafe_path)?;
            digests.insert(installed.into_string(), digest);
        }
        Ok(Self { digests })
    }

    /// Whether `reader` holds the bytes RECORD vouches for at the installed `path`: `None` when
    /// RECORD does not list the path.
    pub(crate) fn matches(&self, path: &str, reader: impl Read) -> Option<io::Result<bool>> {
        Some(self.digests.get(path)?.matches(reader))
    }

    /// The installed paths RECORD lists.
    pub(crate) fn paths(&self) -> impl Iterator<Item = &str> {
        self.digests.keys().map(String::as_str)
    }
}

/// What tells a file unchanged since it was verified: its size, modification time and inode.
fn file_stamp(path: &Utf8Path) -> Option<String> {
    use std::os::unix::fs::MetadataExt;
    let metadata = fs_err::metadata(path).ok()?;
    Some(format!("{} {} {} {}", metadata.len(), metadata.mtime(), metadata.mtime_nsec(), metadata.ino()))
}

/// The prefix, inside an install directory, that stands for the environment's prefix.
pub(crate) const PREFIX_DIR: &str = ".prefix";

impl Wheel {
    /// Reads and verifies the wheel at `path`.
    pub(crate) fn open(path: &Utf8Path, cache: Option<&Cache>) -> Result<Self, Error> {
        Self::open_hashed(path, cache, None)
    }

    /// [`Wheel::open`] for a download cache entry, which is named by the digest `claimed` and
    /// entered the cache only with bytes of that digest. When the verified marker of that digest
    /// records this very file (size, modification time, inode: git's test of an unchanged file),
    /// nothing is hashed again; otherwise the bytes are hashed and verified as by
    /// [`Wheel::open`], and the caller compares [`Wheel::sha256`] with what it expects.
    pub(crate) fn open_cached(path: &Utf8Path, cache: &Cache, claimed: Sha256Digest) -> Result<Self, Error> {
        let stamp = file_stamp(path);
        let marker = cache.bucket(Bucket::VerifiedWheels).ok().map(|bucket| bucket.join(claimed.to_string()));
        let recorded = marker.as_ref().and_then(|marker| fs_err::read_to_string(marker).ok());
        if stamp.is_some() && recorded == stamp {
            return Self::open_hashed(path, Some(cache), Some(claimed));
        }
        let wheel = Self::open_hashed(path, Some(cache), None)?;
        if wheel.sha256 == claimed
            && let (Some(marker), Some(stamp)) = (marker, stamp)
        {
            // Best effort, as the marker itself.
            let _ = crate::fs::write_atomic(&marker, stamp.as_bytes());
        }
        Ok(wheel)
    }

    /// [`Wheel::open`] for a file whose sha256 the caller computed from the same bytes as they
    /// were written (a download), so they are not hashed a second time.
    pub(crate) fn open_hashed(
        path: &Utf8Path,
        cache: Option<&Cache>,
        sha256: Option<Sha256Digest>,
    ) -> Result<Self, Error> {
        let filename: WheelFilename = path
            .file_name()
            .unwrap_or(path.as_str())
            .parse()
            .map_err(|source| Error::Filename { path: path.to_owned(), source })?;
        let read_error = |source| Error::Read { path: path.to_owned(), source };
        let mut file = fs_err::File::open(path).map_err(read_error)?;
        crate::zip_limits::check_entries(&mut file).map_err(|source| Error::Zip { path: path.to_owned(), source })?;
        let mut bytes =
            Vec::with_capacity(file.metadata().map_or(0, |metadata| usize::try_from(metadata.len()).unwrap_or(0)));
        file.read_to_end(&mut bytes).map_err(read_error)?;
        let bytes: Arc<[u8]> = bytes.into();
        let sha256 = sha256.unwrap_or_else(|| Sha256Digest::of(&bytes));
        // Its entries were counted above, before the file was read into memory.
        let archive = zip::ZipArchive::new(Cursor::new(Arc::clone(&bytes)))
            .map_err(|source| Error::Zip { path: path.to_owned(), source })?;
        let wheel = filename.to_string();

        let dist_info = find_dist_info(&archive, &filename)?;
        let read = |name: &str| read_member(&archive, &wheel, name);
        let wheel_file = read(&format!("{dist_info}/WHEEL"))?;
        check_wheel_version(&wheel, &wheel_file)?;
        let metadata = CoreMetadata::parse(&read(&format!("{dist_info}/METADATA"))?)
            .map_err(|source| Error::Metadata { wheel: wheel.clone(), source })?;
        check_metadata(&metadata, &filename)?;
        let record_name = format!("{dist_info}/RECORD");
        let record_bytes = read(&record_name)?;
        let record_sha256 = Sha256Digest::of(&record_bytes);
        let record = parse_record(&wheel, &record_bytes)?;
        let entry_point_scripts = match read_optional(&archive, &wheel, &format!("{dist_info}/entry_points.txt"))? {
            Some(text) => scripts_in_entry_points(&String::from_utf8_lossy(&text)),
            None => Vec::new(),
        };
        // A script is a file of the environment's `bin/`, and its target a module to import.
        if let Some((name, target)) =
            entry_point_scripts.iter().find(|(name, target)| !is_script_name(name) || !is_entry_point_target(target))
        {
            return Err(Error::EntryPoint { wheel, name: name.clone(), target: target.clone() });
        }

        let data_dir = format!("{}.data/", dist_info.trim_end_matches(".dist-info"));
        let mut members = Vec::with_capacity(archive.len());
        let mut data_scripts = Vec::new();
        let mut expected_digests = Vec::with_capacity(archive.len());
        for index in 0..archive.len() {
            let mut archive = archive.clone();
            let entry = archive.by_index_raw(index).map_err(|source| Error::Zip { path: path.to_owned(), source })?;
            let name = entry.name().map_err(|source| Error::Zip { path: path.to_owned(), source })?.into_owned();
            if entry.is_dir() {
                continue;
            }
            let unsafe_member = || Error::UnsafeMember { wheel: wheel.clone(), member: name.clone() };
            let relative = enclosed(&name).ok_or_else(unsafe_member)?;
            if entry.is_symlink() {
                return Err(Error::Symlink { wheel, member: name });
            }
            if name == record_name || name.ends_with(".dist-info/RECORD.jws") || name.ends_with(".dist-info/RECORD.p7s")
            {
                expected_digests.push(None);
            } else {
                let digest = record
                    .get(name.as_str())
                    .ok_or_else(|| Error::Unrecorded { wheel: wheel.clone(), member: name.clone() })?;
                expected_digests.push(Some((index, name.clone(), digest.clone())));
            }
            // Members keep the mode the wheel gives them (they are copied raw); the runtime
            // makes `.prefix/bin/` executable, as installers do for scripts.
            let installed_path = installed_path(&relative, &data_dir, filename.name())
                .ok_or_else(|| Error::DataScheme { wheel: wheel.clone(), member: name.clone() })?;
            if let Some(script) = installed_path.strip_prefix(Utf8Path::new(PREFIX_DIR).join("bin")).ok()
                && relative.as_str().starts_with(&data_dir)
            {
                data_scripts.push(script.to_string());
            }
            members.push(Member { index, installed_path });
        }
        // The zip reader keeps one entry per name (the last): count the central directory's own
        // records to see a name given twice.
        if let Some(listed) = crate::zip_limits::declared_entries(&bytes)
            && listed != archive.len() as u64
        {
            return Err(Error::DuplicateMember { wheel, listed, distinct: archive.len() });
        }
        let mut seen = HashSet::with_capacity(members.len());
        for member in &members {
            if !seen.insert(member.installed_path.as_str()) {
                return Err(Error::Collision { wheel, path: member.installed_path.to_string() });
            }
        }
        // Names that differ only by case or Unicode normalisation are one file on the file
        // systems of macOS and Windows: the install would keep one of them.
        let mut folded = HashMap::with_capacity(members.len());
        for member in &members {
            let path = member.installed_path.as_str();
            let key: String = if path.is_ascii() {
                path.to_ascii_lowercase()
            } else {
                path.nfc().flat_map(char::to_lowercase).collect()
            };
            if let Some(first) = folded.insert(key, path) {
                return Err(Error::FoldedCollision { wheel, first: first.to_owned(), second: path.to_owned() });
            }
        }
        // `a` and `a/b`: the file would have to be a directory too.
        for member in &members {
            let mut ancestor = member.installed_path.parent();
            while let Some(directory) = ancestor.filter(|directory| !directory.as_str().is_empty()) {
                if seen.contains(directory.as_str()) {
                    return Err(Error::FileAndDirectory {
                        wheel,
                        file: directory.to_string(),
                        inside: member.installed_path.to_string(),
                    });
                }
                ancestor = directory.parent();
            }
        }

        // Hashing every member is most of the cost of opening a wheel. A wheel whose exact bytes
        // (same sha256) passed before needs no second pass; otherwise spread the work over
        // threads, each with its own cheap clone of the in-memory archive.
        let verified_marker = cache
            .and_then(|cache| cache.bucket(Bucket::VerifiedWheels).ok())
            .map(|bucket| bucket.join(sha256.to_string()));
        if !verified_marker.as_ref().is_some_and(|marker| marker.is_file()) {
            expected_digests.into_par_iter().flatten().try_for_each_init(
                || archive.clone(),
                |archive, (index, name, expected)| verify_member(archive, &wheel, index, &name, &expected),
            )?;
            if let Some(marker) = verified_marker {
                // Best effort: without the marker the next build only verifies again.
                let _ = crate::fs::write_atomic(&marker, b"");
            }
        }

        Ok(Self { filename, sha256, record_sha256, metadata, members, entry_point_scripts, data_scripts, bytes })
    }

    /// The wheel file's bytes.
    pub(crate) fn bytes(&self) -> &[u8] {
        &self.bytes
    }

    /// Returns the wheel as a zip archive, to copy its members' raw bytes.
    pub(crate) fn archive(&self) -> zip::ZipArchive<Cursor<Arc<[u8]>>> {
        // The archive was parsed once in `open`; parsing the in-memory directory again is cheap
        // and keeps `Wheel` free of a self-referential reader.
        zip::ZipArchive::new(Cursor::new(Arc::clone(&self.bytes))).expect("the wheel was parsed when it was opened")
    }
}

impl Wheel {
    /// Writes the wheel as an installer would into a virtual environment whose site-packages is
    /// `site_packages` and whose prefix is `prefix`, by the plan of [`Member::installed_path`]:
    /// what is under `.prefix/` goes to the prefix, the rest to site-packages. Scripts
    /// (`.prefix/bin/`) are made executable, and a `#!python` shebang becomes `shebang`, as pip
    /// rewrites it. Console scripts are the environment's to write (they need every wheel).
    pub(crate) fn install_into(&self, site_packages: &Utf8Path, prefix: &Utf8Path, shebang: &str) -> Result<(), Error> {
        let wheel = self.filename.to_string();
        let mut archive = self.archive();
        for member in &self.members {
            let (destination, is_script) = match member.installed_path.strip_prefix(PREFIX_DIR) {
                Ok(rest) => (prefix.join(rest), rest.starts_with("bin")),
                Err(_) => (site_packages.join(&member.installed_path), false),
            };
            let install_error = |source| Error::Install { wheel: wheel.clone(), path: destination.clone(), source };
            let mut entry = archive.by_index(member.index).map_err(|error| install_error(io::Error::other(error)))?;
            let mode = entry.unix_mode().unwrap_or(0o644);
            // The declared size is a hint, not a promise: never reserve more than a little.
            let mut bytes = Vec::with_capacity(usize::try_from(entry.size().min(1 << 20)).unwrap_or(0));
            entry.read_to_end(&mut bytes).map_err(install_error)?;
            if is_script && bytes.starts_with(b"#!python") {
                let rest = bytes.iter().position(|byte| *byte == b'\n').map_or(&[][..], |end| &bytes[end + 1..]);
                bytes = [shebang.as_bytes(), rest].concat();
            }
            if let Some(parent) = destination.parent() {
                fs_err::create_dir_all(parent).map_err(install_error)?;
            }
            fs_err::write(&destination, &bytes).map_err(install_error)?;
            if is_script || mode & 0o111 != 0 {
                use std::os::unix::fs::PermissionsExt;
                fs_err::set_permissions(&destination, std::fs::Permissions::from_mode(0o755)).map_err(install_error)?;
            }
        }
        Ok(())
    }
}

type Archive = zip::ZipArchive<Cursor<Arc<[u8]>>>;

fn find_dist_info<R: io::Read + io::Seek>(
    archive: &zip::ZipArchive<R>,
    filename: &WheelFilename,
) -> Result<String, Error> {
    let names: Vec<String> = archive.file_names().filter_map(Result::ok).map(std::borrow::Cow::into_owned).collect();
    let mut found: Vec<&str> = names
        .iter()
        .filter_map(|name| name.split_once('/').map(|(top, _)| top))
        .filter(|top| {
            top.strip_suffix(".dist-info")
                .and_then(|stem| stem.rsplit_once('-'))
                .and_then(|(name, _)| name.parse::<uv_normalize::PackageName>().ok())
                .is_some_and(|name| &name == filename.package_name())
        })
        .collect();
    found.sort_unstable();
    found.dedup();
    match found.as_slice() {
        [one] => Ok((*one).to_owned()),
        [] => Err(Error::NoDistInfo { wheel: filename.to_string(), project: filename.name().to_owned() }),
        several => Err(Error::SeveralDistInfo { wheel: filename.to_string(), found: several.join(", ") }),
    }
}

/// Reads, parses and checks the METADATA (returned with its bytes) of the wheel `filename` from `reader` (a local file or a
/// remote one read through range requests), without verifying the rest of the wheel.
pub(crate) fn read_metadata<R: io::Read + io::Seek>(
    reader: R,
    filename: &WheelFilename,
) -> Result<(CoreMetadata, Vec<u8>), Error> {
    let wheel = filename.to_string();
    let mut archive = crate::zip_limits::open(reader)
        .map_err(|source| Error::Zip { path: Utf8PathBuf::from(wheel.as_str()), source })?;
    let name = format!("{}/METADATA", find_dist_info(&archive, filename)?);
    let mut bytes = Vec::new();
    archive
        .by_name(&name)
        .map_err(io::Error::other)
        .and_then(|mut entry| io::Read::read_to_end(&mut entry, &mut bytes))
        .map_err(|source| Error::Member { wheel: wheel.clone(), member: name.clone(), source })?;
    let metadata = CoreMetadata::parse(&bytes).map_err(|source| Error::Metadata { wheel: wheel.clone(), source })?;
    check_metadata(&metadata, filename)?;
    Ok((metadata, bytes))
}

/// A METADATA that names another project or version than its wheel's file name is refused.
pub(crate) fn check_metadata(metadata: &CoreMetadata, filename: &WheelFilename) -> Result<(), Error> {
    if metadata.package_name() != filename.package_name() || metadata.version() != filename.version() {
        return Err(Error::MetadataMismatch {
            wheel: filename.to_string(),
            name: metadata.name().to_owned(),
            version: metadata.version().to_string(),
        });
    }
    Ok(())
}

fn read_optional(archive: &Archive, wheel: &str, name: &str) -> Result<Option<Vec<u8>>, Error> {
    let mut archive = archive.clone();
    let mut entry = match archive.by_name(name) {
        Ok(entry) => entry,
        Err(zip::result::ZipError::FileNotFound) => return Ok(None),
        Err(error) => {
            return Err(Error::Member {
                wheel: wheel.to_owned(),
                member: name.to_owned(),
                source: io::Error::other(error),
            });
        }
    };
    let mut bytes = Vec::with_capacity(usize::try_from(entry.size()).unwrap_or(0));
    entry.read_to_end(&mut bytes).map_err(|source| Error::Member {
        wheel: wheel.to_owned(),
        member: name.to_owned(),
        source,
    })?;
    Ok(Some(bytes))
}

fn read_member(archive: &Archive, wheel: &str, name: &str) -> Result<Vec<u8>, Error> {
    read_optional(archive, wheel, name)?
        .ok_or_else(|| Error::MissingFile { wheel: wheel.to_owned(), file: name.to_owned() })
}

fn check_wheel_version(wheel: &str, wheel_file: &[u8]) -> Result<(), Error> {
    let text = String::from_utf8_lossy(wheel_file);
    let version = text
        .lines()
        .find_map(|line| line.strip_prefix("Wheel-Version:"))
        .map(str::trim)
        .ok_or_else(|| Error::WheelVersion { wheel: wheel.to_owned(), version: "(missing)".to_owned() })?;
    if version.split('.').next() == Some("1") {
        Ok(())
    } else {
        Err(Error::WheelVersion { wheel: wheel.to_owned(), version: version.to_owned() })
    }
}

/// A digest from RECORD: the algorithm and the raw digest bytes.
#[derive(Clone, Debug)]
struct RecordDigest {
    algorithm: Algorithm,
    digest: Vec<u8>,
}

impl RecordDigest {
    /// Whether the bytes `reader` yields have this digest.
    fn matches(&self, reader: impl Read) -> io::Result<bool> {
        let actual = match self.algorithm {
            Algorithm::Sha256 => digest_of::<sha2::Sha256>(reader),
            Algorithm::Sha384 => digest_of::<sha2::Sha384>(reader),
            Algorithm::Sha512 => digest_of::<sha2::Sha512>(reader),
        }?;
        Ok(actual == self.digest)
    }
}

#[derive(Clone, Copy, Debug)]
enum Algorithm {
    Sha256,
    Sha384,
    Sha512,
}

/// Parses RECORD (PEP 376: CSV rows `path,algorithm=urlsafe-b64-digest,size`). Rows without a
/// digest (RECORD itself, signatures) are skipped; callers decide whether a member may lack one.
fn parse_record(wheel: &str, bytes: &[u8]) -> Result<BTreeMap<String, RecordDigest>, Error> {
    let syntax = |line, reason: &str| Error::RecordSyntax { wheel: wheel.to_owned(), line, reason: reason.to_owned() };
    let text = std::str::from_utf8(bytes).map_err(|_| syntax(0, "it is not UTF-8"))?;
    let mut digests = BTreeMap::new();
    for (number, line) in text.lines().enumerate().map(|(index, line)| (index + 1, line)) {
        if line.trim().is_empty() {
            continue;
        }
        let fields = split_csv_line(line).ok_or_else(|| syntax(number, "unbalanced quotes"))?;
        let [path, hash, ..] = fields.as_slice() else {
            return Err(syntax(number, "expected `path,hash,size`"));
        };
        if enclosed(path).is_none() {
            return Err(syntax(number, &format!("`{path}` is outside the wheel (or not a file name pex-rs accepts)")));
        }
        if hash.is_empty() {
            continue;
        }
        let (algorithm, encoded) =
            hash.split_once('=').ok_or_else(|| syntax(number, "the hash is not `algorithm=digest`"))?;
        let algorithm = match algorithm {
            "sha256" => Algorithm::Sha256,
            "sha384" => Algorithm::Sha384,
            "sha512" => Algorithm::Sha512,
            _ => return Err(syntax(number, "the hash algorithm is not sha256, sha384 or sha512")),
        };
        let digest = crate::hash::decode_urlsafe_base64(encoded)
            .ok_or_else(|| syntax(number, "the digest is not urlsafe base64"))?;
        digests.insert(path.clone(), RecordDigest { algorithm, digest });
    }
    Ok(digests)
}

/// Splits one CSV line (the dialect Python's `csv` module writes: `,` separators, `"` quotes,
/// `""` for a quote inside quotes). Returns `None` for unbalanced quotes.
fn split_csv_line(line: &str) -> Option<Vec<String>> {
    let mut fields = Vec::new();
    let mut field = String::new();
    let mut characters = line.chars().peekable();
    let mut in_quotes = false;
    while let Some(character) = characters.next() {
        match (character, in_quotes) {
            ('"', true) if characters.peek() == Some(&'"') => {
                field.push('"');
                characters.next();
            }
            ('"', _) => in_quotes = !in_quotes,
            (',', false) => fields.push(std::mem::take(&mut field)),
            _ => field.push(character),
        }
    }
    if in_quotes {
        return None;
    }
    fields.push(field);
    Some(fields)
}

fn verify_member(
    archive: &mut Archive,
    wheel: &str,
    index: usize,
    name: &str,
    expected: &RecordDigest,
) -> Result<(), Error> {
    let member_error = |source| Error::Member { wheel: wheel.to_owned(), member: name.to_owned(), source };
    let entry = archive.by_index(index).map_err(|error| member_error(io::Error::other(error)))?;
    // A size the headers claim and the data does not have (a zip bomb by size) would mislead
    // whoever trusts it later: the member must be exactly as long as it says.
    let declared = entry.size();
    let mut counted = CountingReader { inner: entry, count: 0 };
    if !expected.matches(&mut counted).map_err(member_error)? {
        return Err(Error::RecordMismatch { wheel: wheel.to_owned(), member: name.to_owned() });
    }
    if counted.count != declared {
        return Err(Error::SizeMismatch {
            wheel: wheel.to_owned(),
            member: name.to_owned(),
            declared,
            actual: counted.count,
        });
    }
    Ok(())
}

/// A reader that counts the bytes read through it.
struct CountingReader<R> {
    inner: R,
    count: u64,
}

impl<R: Read> Read for CountingReader<R> {
    fn read(&mut self, buffer: &mut [u8]) -> io::Result<usize> {
        let read = self.inner.read(buffer)?;
        self.count += read as u64;
        Ok(read)
    }
}

fn digest_of<D: sha2::Digest + io::Write>(mut reader: impl Read) -> io::Result<Vec<u8>> {
    let mut hasher = D::new();
    // The zip reader checks the CRC-32 at the end of the stream, so a corrupt member surfaces
    // here as an error even when RECORD would not catch it.
    io::copy(&mut reader, &mut hasher)?;
    Ok(hasher.finalize().to_vec())
}

/// A script name a `bin/` directory can hold: one file name, no path.
fn is_script_name(name: &str) -> bool {
    !name.contains('/') && enclosed(name).is_some()
}

/// `module` or `module:attribute`, each a dotted path of Python identifiers.
fn is_entry_point_target(target: &str) -> bool {
    let is_identifier = |part: &str| {
        let mut characters = part.chars();
        characters.next().is_some_and(|first| first.is_alphabetic() || first == '_')
            && characters.all(|character| character.is_alphanumeric() || character == '_')
    };
    let is_dotted = |path: &str| path.split('.').all(is_identifier);
    match target.split_once(':') {
        Some((module, attribute)) => is_dotted(module.trim()) && is_dotted(attribute.trim()),
        None => is_dotted(target.trim()),
    }
}

/// Returns the scripts declared under `[console_scripts]` and `[gui_scripts]` in an
/// `entry_points.txt` (an INI file; values are `module:attr [extras]`): each name with its
/// `module:attr`, extras dropped.
pub(crate) fn scripts_in_entry_points(text: &str) -> Vec<(String, String)> {
    let mut scripts = Vec::new();
    let mut in_scripts = false;
    for line in text.lines().map(str::trim) {
        if line.starts_with('[') {
            in_scripts = matches!(line, "[console_scripts]" | "[gui_scripts]");
        } else if in_scripts
            && !line.starts_with(['#', ';'])
            && let Some((name, target)) = line.split_once('=')
        {
            let target = target.split('[').next().unwrap_or_default().trim();
            scripts.push((name.trim().to_owned(), target.to_owned()));
        }
    }
    scripts
}

#[cfg(test)]
mod tests {
    use super::{is_entry_point_target, is_script_name, scripts_in_entry_points, split_csv_line};

    #[test]
    fn ok_entry_point_targets_and_script_names() {
        for target in ["pkg.cli:main", "pkg:App.run", "pkg.__main__", "caf\u{e9}:main", "mod : main"] {
            assert!(is_entry_point_target(target), "{target}");
        }
        for target in ["../evil:main", "pkg/cli:main", "pkg.:main", "pkg:", ":main", "a b:main", "1pkg:main", ""] {
            assert!(!is_entry_point_target(target), "{target}");
        }
        assert!(is_script_name("black") && is_script_name("tool-3.11") && is_script_name("x.exe"));
        assert!(
            !is_script_name("../escaped") && !is_script_name("bin/x") && !is_script_name("a\\b") && !is_script_name("")
        );
    }

    #[test]
    fn ok_csv() {
        assert_eq!(split_csv_line("a/b.py,sha256=x,12").unwrap(), ["a/b.py", "sha256=x", "12"]);
        assert_eq!(split_csv_line("\"a,b.py\",,").unwrap(), ["a,b.py", "", ""]);
        assert_eq!(split_csv_line("\"a\"\"b\",h,1").unwrap(), ["a\"b", "h", "1"]);
        assert_eq!(split_csv_line("\"a,b"), None);
    }

    #[test]
    fn ok_entry_point_scripts() {
        let text = "[console_scripts]\nblack = black:patched_main\nblackd = blackd:patched_main [d]\n\n[gui_scripts]\nviewer=app.gui:main\n[other]\nx = y:z\n";
        let scripts = scripts_in_entry_points(text);
        let names: Vec<&str> = scripts.iter().map(|(name, _)| name.as_str()).collect();
        assert_eq!(names, ["black", "blackd", "viewer"]);
        assert_eq!(scripts[1].1, "blackd:patched_main");
    }
}
