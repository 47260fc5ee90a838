//! Source archives (`.tar.gz`, `.tar`, `.zip`) are untrusted input: they are unpacked by rules
//! stricter than `tar` or `unzip` apply, before any of their code runs.
//!
//! Refused, before anything of the archive is used: a member name that is absolute, escapes the
//! archive root or carries control characters (the one [`crate::fs::enclosed`] check); device
//! files, FIFOs and other special entries; a member written through a symbolic link of the
//! archive, or twice; a symbolic link whose target is absolute, escapes the root (checked by its
//! text, then again on the unpacked tree, so that chains of links cannot escape), or points
//! nowhere; a hard link to anything but a regular file unpacked before it; more than
//! [`allowance`] of content (100 times its size, within 256 MiB to 4 GiB) or [`MAX_MEMBERS`] members (a decompression bomb). Modes
//! are normalized: `0o755` for anything executable, `0o644` otherwise.

use std::collections::HashSet;
use std::io::{self, Read};

use camino::{Utf8Path, Utf8PathBuf};

use super::Error;
use crate::dist::SdistFormat;
use crate::fs::enclosed;

/// The most content an archive may unpack to.
pub(crate) const MAX_UNPACKED_BYTES: u64 = 4 << 30;
/// How many times its own size an archive may unpack to beyond [`MIN_ALLOWANCE`]: source
/// compresses three to ten times, a run of zeros a thousand.
const MAX_RATIO: u64 = 100;
/// What any archive may unpack to, whatever its size.
const MIN_ALLOWANCE: u64 = 256 << 20;

/// The most content an archive of `size` bytes may unpack to.
fn allowance(size: u64) -> u64 {
    size.saturating_mul(MAX_RATIO).clamp(MIN_ALLOWANCE, MAX_UNPACKED_BYTES)
}
/// The most members an archive may have.
pub(crate) const MAX_MEMBERS: usize = 1 << 20;
/// The largest `PKG-INFO` read.
const MAX_PKG_INFO_BYTES: u64 = 1 << 20;

/// Unpacks the source archive at `archive` into the empty directory `destination`, and returns
/// the project root: the archive's one top-level directory, else `destination` itself.
pub(crate) fn unpack(archive: &Utf8Path, format: SdistFormat, destination: &Utf8Path) -> Result<Utf8PathBuf, Error> {
    let name = archive.file_name().unwrap_or(archive.as_str());
    let file = fs_err::File::open(archive).map_err(|source| unpacked_error(name, source))?;
    let size = file.metadata().map_err(|source| unpacked_error(name, source))?.len();
    let mut unpacked = Unpacked::new(name, destination, allowance(size));
    match format {
        SdistFormat::TarGz | SdistFormat::Tar => unpack_tar(tar_stream(file, format), &mut unpacked)?,
        SdistFormat::Zip => unpack_zip(file, &mut unpacked)?,
    }
    unpacked.check_links()?;
    let mut children = fs_err::read_dir(destination).map_err(|source| unpacked_error(name, source))?;
    let first = children.next().transpose().map_err(|source| unpacked_error(name, source))?;
    if let Some(first) = first
        && children.next().is_none()
        && first.file_type().is_ok_and(|kind| kind.is_dir())
    {
        let root = Utf8PathBuf::from_path_buf(first.path()).map_err(|path| Error::UnsafeMember {
            archive: name.to_owned(),
            member: path.display().to_string(),
            reason: "has a name that is not UTF-8",
        })?;
        return Ok(root);
    }
    Ok(destination.to_owned())
}

/// The `PKG-INFO` at the top of the archive's project (`name-1.0/PKG-INFO`), if it has one.
pub(crate) fn read_pkg_info(archive: &Utf8Path, format: SdistFormat) -> Result<Option<Vec<u8>>, Error> {
    read_top_file(archive, format, "PKG-INFO")
}

/// The file `file_name` at the top of the project in the source archive `archive` (in its one
/// top directory, or at its root), at most 1 MiB of it; `None` when it has none.
pub(crate) fn read_top_file(
    archive: &Utf8Path,
    format: SdistFormat,
    file_name: &str,
) -> Result<Option<Vec<u8>>, Error> {
    let name = archive.file_name().unwrap_or(archive.as_str());
    let is_pkg_info = |member: &str| {
        let parts: Vec<&str> = member.trim_start_matches("./").split('/').collect();
        matches!(parts.as_slice(), [_, found] | [found] if *found == file_name)
    };
    let file = fs_err::File::open(archive).map_err(|source| unpacked_error(name, source))?;
    let read_limited = |reader: &mut dyn Read| -> Result<Vec<u8>, Error> {
        let mut bytes = Vec::new();
        reader.take(MAX_PKG_INFO_BYTES).read_to_end(&mut bytes).map_err(|source| unpacked_error(name, source))?;
        Ok(bytes)
    };
    if format == SdistFormat::Zip {
        let mut zip = crate::zip_limits::open(io::BufReader::new(file))
            .map_err(|source| unpacked_error(name, io::Error::other(source)))?;
        let found = zip
            .file_names()
            .filter_map(Result::ok)
            .find(|member| is_pkg_info(member))
            .map(std::borrow::Cow::into_owned);
        let Some(found) = found else { return Ok(None) };
        let mut entry = zip.by_name(&found).map_err(|source| unpacked_error(name, io::Error::other(source)))?;
        return Ok(Some(read_limited(&mut entry)?));
    }
    let mut found = None;
    each_tar_member(name, tar_stream(file, format), |member| {
        if member.kind.is_file() && is_pkg_info(&member.path) {
            found = Some(read_limited(member.data)?);
            return Ok(false);
        }
        Ok(true)
    })?;
    Ok(found)
}

/// The decompressed stream of a tar archive, capped (see [`Capped`]). `MultiGzDecoder`: a gzip
/// file may hold several members, which `gzip` and Python's `tarfile` read as one stream.
fn tar_stream(file: fs_err::File, format: SdistFormat) -> Capped<Box<dyn Read>> {
    let reader: Box<dyn Read> = if format == SdistFormat::TarGz {
        Box::new(flate2::read::MultiGzDecoder::new(io::BufReader::new(file)))
    } else {
        Box::new(io::BufReader::new(file))
    };
    // Every member's content, and one header per member.
    Capped { inner: reader, left: MAX_UNPACKED_BYTES + 1024 * MAX_MEMBERS as u64 }
}

/// A reader that fails once more than its allowance was read: a decompression bomb stops
/// after at most that much work, whatever the archive claims its members hold.
struct Capped<R> {
    inner: R,
    left: u64,
}

/// The error [`Capped`] fails with.
#[derive(Debug)]
struct Exhausted;

impl std::fmt::Display for Exhausted {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("the archive is larger than allowed")
    }
}

impl std::error::Error for Exhausted {}

fn is_exhausted(error: &io::Error) -> bool {
    error.get_ref().is_some_and(<dyn std::error::Error + Send + Sync>::is::<Exhausted>)
}

impl<R: Read> Read for Capped<R> {
    fn read(&mut self, buffer: &mut [u8]) -> io::Result<usize> {
        if self.left == 0 {
            let mut probe = [0u8; 1];
            return match self.inner.read(&mut probe)? {
                0 => Ok(0),
                _ => Err(io::Error::other(Exhausted)),
            };
        }
        let wanted = buffer.len().min(usize::try_from(self.left).unwrap_or(usize::MAX));
        let count = self.inner.read(&mut buffer[..wanted])?;
        self.left -= count as u64;
        Ok(count)
    }
}

/// The largest GNU long name or pax header read: real ones are a few hundred bytes.
const MAX_EXTENSION_BYTES: u64 = 64 * 1024;

/// One member of a tar archive, with the names its extension records gave it.
struct TarMember<'a> {
    path: String,
    link: Option<String>,
    kind: tar::EntryType,
    mode: u32,
    data: &'a mut dyn Read,
}

/// Calls `visit` with each member of the tar stream `reader` until it returns `false`. The
/// stream is read raw: GNU long names and pax `path`/`linkpath` records are applied here, each
/// read with a cap, where the tar crate would read one of any claimed size into memory.
fn each_tar_member(
    archive: &str,
    reader: impl Read,
    mut visit: impl FnMut(TarMember<'_>) -> Result<bool, Error>,
) -> Result<(), Error> {
    use tar::EntryType;
    let refuse = |member: &str, reason| Error::UnsafeMember {
        archive: archive.to_owned(),
        member: member.escape_debug().to_string(),
        reason,
    };
    let error = |source: io::Error| unpacked_error(archive, source);
    let mut tar = tar::Archive::new(reader);
    let (mut long_path, mut long_link): (Option<String>, Option<String>) = (None, None);
    for entry in tar.entries().map_err(error)?.raw(true) {
        let mut entry = entry.map_err(error)?;
        let kind = entry.header().entry_type();
        let header_path = String::from_utf8_lossy(&entry.path_bytes()).into_owned();
        if matches!(
            kind,
            EntryType::GNULongName | EntryType::GNULongLink | EntryType::XHeader | EntryType::XGlobalHeader
        ) {
            let mut data = Vec::new();
            entry.by_ref().take(MAX_EXTENSION_BYTES + 1).read_to_end(&mut data).map_err(error)?;
            if data.len() as u64 > MAX_EXTENSION_BYTES {
                return Err(refuse(&header_path, "is a name or pax record larger than 64 KiB"));
            }
            let text = || String::from_utf8(data.clone()).map(|text| text.trim_end_matches('\0').to_owned());
            match kind {
                EntryType::GNULongName => long_path = Some(text().map_err(|_| refuse(&header_path, NOT_UTF8))?),
                EntryType::GNULongLink => long_link = Some(text().map_err(|_| refuse(&header_path, NOT_UTF8))?),
                EntryType::XHeader => {
                    for (key, value) in
                        pax_records(&data).ok_or_else(|| refuse(&header_path, "is a malformed pax header"))?
                    {
                        match key {
                            "path" => long_path = Some(value.to_owned()),
                            "linkpath" => long_link = Some(value.to_owned()),
                            // Sizes past the header's 8 GiB are past every limit here, and
                            // would be applied to the next member's data by the tar reader
                            // only when not reading raw.
                            "size" => return Err(Error::TooLarge { archive: archive.to_owned() }),
                            _ => {}
                        }
                    }
                }
                _ => {}
            }
            continue;
        }
        let path = match long_path.take() {
            Some(path) => path,
            None => String::from_utf8(entry.path_bytes().into_owned()).map_err(|_| refuse(&header_path, NOT_UTF8))?,
        };
        let link = long_link
            .take()
            .or_else(|| entry.header().link_name_bytes().map(|target| String::from_utf8_lossy(&target).into_owned()));
        let mode = entry.header().mode().unwrap_or(0o644);
        if !visit(TarMember { path, link, kind, mode, data: &mut entry })? {
            break;
        }
    }
    Ok(())
}

const NOT_UTF8: &str = "has a name that is not UTF-8";

/// The `key=value` records of a pax header (`LENGTH key=value\n` each).
fn pax_records(data: &[u8]) -> Option<Vec<(&str, &str)>> {
    let mut records = Vec::new();
    let mut rest = data;
    while !rest.is_empty() {
        let space = rest.iter().position(|byte| *byte == b' ')?;
        let length: usize = std::str::from_utf8(&rest[..space]).ok()?.parse().ok()?;
        let record = rest.get(space + 1..length)?;
        let record = std::str::from_utf8(record.strip_suffix(b"\n")?).ok()?;
        let (key, value) = record.split_once('=')?;
        records.push((key, value));
        rest = &rest[length..];
    }
    Some(records)
}

/// The error of a failed read of `archive`: a decompression bomb (see [`Capped`]), or a
/// truncated or corrupt archive.
fn unpacked_error(archive: &str, source: io::Error) -> Error {
    if is_exhausted(&source) {
        return Error::TooLarge { archive: archive.to_owned() };
    }
    Error::Unpack { archive: archive.to_owned(), source }
}

fn unpack_tar(reader: impl Read, unpacked: &mut Unpacked<'_>) -> Result<(), Error> {
    use tar::EntryType;
    let archive = unpacked.archive;
    each_tar_member(archive, reader, |member| {
        let name = member.path.trim_start_matches("./").to_owned();
        if name.is_empty() {
            return Ok(true); // `./` itself
        }
        let relative = unpacked.member_path(&name)?;
        match member.kind {
            EntryType::Regular | EntryType::Continuous => {
                unpacked.file(&name, &relative, member.data, member.mode & 0o111 != 0)?;
            }
            EntryType::Directory => unpacked.directory(&name, &relative)?,
            EntryType::Symlink => unpacked.symlink(&name, &relative, member.link.as_deref().unwrap_or_default())?,
            EntryType::Link => unpacked.hard_link(&name, &relative, member.link.as_deref().unwrap_or_default())?,
            _ => return Err(unpacked.refuse(&name, "is a device file, a FIFO or another special file")),
        }
        Ok(true)
    })
}

fn unpack_zip(file: fs_err::File, unpacked: &mut Unpacked<'_>) -> Result<(), Error> {
    let mut archive =
        crate::zip_limits::open(io::BufReader::new(file)).map_err(|source| unpacked.error(io::Error::other(source)))?;
    for index in 0..archive.len() {
        let mut entry = archive.by_index(index).map_err(|source| unpacked.error(io::Error::other(source)))?;
        let member = entry.name().map_err(|source| unpacked.error(io::Error::other(source)))?.into_owned();
        let relative = unpacked.member_path(&member)?;
        let mode = entry.unix_mode().unwrap_or(0);
        match mode & 0o170_000 {
            0o120_000 => {
                let mut target = String::new();
                entry.by_ref().take(4096).read_to_string(&mut target).map_err(|source| unpacked.error(source))?;
                unpacked.symlink(&member, &relative, &target)?;
            }
            0o040_000 => unpacked.directory(&member, &relative)?,
            0 | 0o100_000 if entry.is_dir() => unpacked.directory(&member, &relative)?,
            0 | 0o100_000 => unpacked.file(&member, &relative, &mut entry, mode & 0o111 != 0)?,
            _ => return Err(unpacked.refuse(&member, "is a device file, a FIFO or another special file")),
        }
    }
    Ok(())
}

/// What has been unpacked so far, to refuse what would write through a link or twice.
struct Unpacked<'a> {
    archive: &'a str,
    destination: &'a Utf8Path,
    files: HashSet<Utf8PathBuf>,
    links: Vec<Utf8PathBuf>,
    members: usize,
    bytes: u64,
    /// The most content it may unpack to ([`allowance`]).
    allowed: u64,
}

impl<'a> Unpacked<'a> {
    fn new(archive: &'a str, destination: &'a Utf8Path, allowed: u64) -> Self {
        Self { archive, destination, files: HashSet::new(), links: Vec::new(), members: 0, bytes: 0, allowed }
    }

    fn error(&self, source: io::Error) -> Error {
        unpacked_error(self.archive, source)
    }

    fn refuse(&self, member: &str, reason: &'static str) -> Error {
        Error::UnsafeMember { archive: self.archive.to_owned(), member: member.escape_debug().to_string(), reason }
    }

    /// The member's path, checked: enclosed, not below a link of the archive, within limits.
    fn member_path(&mut self, member: &str) -> Result<Utf8PathBuf, Error> {
        self.members += 1;
        if self.members > MAX_MEMBERS {
            return Err(Error::TooLarge { archive: self.archive.to_owned() });
        }
        let relative = enclosed(member).ok_or_else(|| self.refuse(member, "is absolute or escapes the archive"))?;
        if self.links.iter().any(|link| relative.starts_with(link) && relative != *link) {
            return Err(self.refuse(member, "would be written through a symbolic link of the archive"));
        }
        Ok(relative)
    }

    /// Creates the directories above `path`, none of which may be a link: checked on the disk,
    /// not only by name, since a case-insensitive file system makes `C/x` go through a link
    /// named `c`.
    fn create_parent(&self, member: &str, path: &Utf8Path) -> Result<(), Error> {
        let Some(parent) = path.parent() else { return Ok(()) };
        let relative = parent.strip_prefix(self.destination).unwrap_or(Utf8Path::new(""));
        let mut current = self.destination.to_owned();
        for component in relative.components() {
            current.push(component);
            if fs_err::symlink_metadata(&current).is_ok_and(|metadata| metadata.file_type().is_symlink()) {
                return Err(self.refuse(member, "would be written through a symbolic link of the archive"));
            }
        }
        fs_err::create_dir_all(parent).map_err(|source| match source.kind() {
            io::ErrorKind::NotADirectory | io::ErrorKind::AlreadyExists => {
                self.refuse(member, "is inside a path that is also a file")
            }
            _ => Error::Write { path: parent.to_owned(), source },
        })
    }

    fn claim(&mut self, member: &str, relative: &Utf8Path) -> Result<Utf8PathBuf, Error> {
        if !self.files.insert(relative.to_owned()) {
            return Err(self.refuse(member, "appears twice"));
        }
        let path = self.destination.join(relative);
        self.create_parent(member, &path)?;
        Ok(path)
    }

    fn file(
        &mut self,
        member: &str,
        relative: &Utf8Path,
        reader: &mut dyn Read,
        executable: bool,
    ) -> Result<(), Error> {
        let path = self.claim(member, relative)?;
        let write_error = |source| Error::Write { path: path.clone(), source };
        let mut file = fs_err::OpenOptions::new().write(true).create_new(true).open(&path).map_err(|source| {
            if source.kind() == io::ErrorKind::AlreadyExists {
                self.refuse(member, "has the name of a directory of the archive")
            } else {
                write_error(source)
            }
        })?;
        let allowed = self.allowed - self.bytes;
        let copied = io::copy(&mut reader.take(allowed + 1), &mut file).map_err(|source| {
            let is_read_error = source.kind() == io::ErrorKind::InvalidData
                || source.kind() == io::ErrorKind::UnexpectedEof
                || is_exhausted(&source);
            if is_read_error { self.error(source) } else { write_error(source) }
        })?;
        if copied > allowed {
            return Err(Error::TooLarge { archive: self.archive.to_owned() });
        }
        self.bytes += copied;
        set_mode(file.file(), if executable { 0o755 } else { 0o644 }).map_err(write_error)
    }

    fn directory(&mut self, member: &str, relative: &Utf8Path) -> Result<(), Error> {
        if self.files.contains(relative) {
            return Err(self.refuse(member, "is a directory with the name of a file of the archive"));
        }
        let path = self.destination.join(relative);
        self.create_parent(member, &path)?;
        match fs_err::create_dir(&path) {
            Ok(()) => Ok(()),
            Err(error) if error.kind() == io::ErrorKind::AlreadyExists && path.is_dir() => Ok(()),
            Err(source) => Err(Error::Write { path, source }),
        }
    }

    fn symlink(&mut self, member: &str, relative: &Utf8Path, target: &str) -> Result<(), Error> {
        let escapes = || self.refuse(member, "is a symbolic link that points outside the archive");
        if target.is_empty() || target.starts_with('/') || target.contains('\0') {
            return Err(escapes());
        }
        // Lexically first: `dir/../..` from the link's directory must stay inside.
        let mut depth = relative.components().count() - 1;
        for part in target.split('/') {
            match part {
                "" | "." => {}
                ".." => depth = depth.checked_sub(1).ok_or_else(escapes)?,
                _ => depth += 1,
            }
        }
        let path = self.claim(member, relative)?;
        std::os::unix::fs::symlink(target, &path).map_err(|source| Error::Write { path: path.clone(), source })?;
        self.links.push(relative.to_owned());
        Ok(())
    }

    fn hard_link(&mut self, member: &str, relative: &Utf8Path, target: &str) -> Result<(), Error> {
        let target = enclosed(target.trim_start_matches("./"))
            .filter(|target| self.files.contains(target) && !self.links.contains(target))
            .ok_or_else(|| self.refuse(member, "is a hard link to something other than a file before it"))?;
        let source = self.destination.join(&target);
        let size =
            fs_err::metadata(&source).map_err(|error| Error::Write { path: source.clone(), source: error })?.len();
        if self.bytes + size > self.allowed {
            return Err(Error::TooLarge { archive: self.archive.to_owned() });
        }
        let path = self.claim(member, relative)?;
        fs_err::copy(&source, &path).map_err(|error| Error::Write { path: path.clone(), source: error })?;
        self.bytes += size;
        Ok(())
    }

    /// Follows every link of the unpacked tree: each must lead to something inside it.
    fn check_links(&self) -> Result<(), Error> {
        let root = fs_err::canonicalize(self.destination).map_err(|source| self.error(source))?;
        for link in &self.links {
            let resolved = fs_err::canonicalize(self.destination.join(link));
            if !resolved.is_ok_and(|resolved| resolved.starts_with(&root)) {
                return Err(self.refuse(link.as_str(), "is a symbolic link that points outside the archive or nowhere"));
            }
        }
        Ok(())
    }
}

fn set_mode(file: &std::fs::File, mode: u32) -> io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    file.set_permissions(std::fs::Permissions::from_mode(mode))
}
