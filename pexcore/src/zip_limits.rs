//! Zip archives from outside (wheels, PEX files), measured before they are parsed: parsing a
//! central directory costs memory for every entry it declares, so a directory of a million
//! entries (a zip bomb by entry count) is refused from its end records alone.

use std::io::{self, Read, Seek, SeekFrom};

use zip::ZipArchive;
use zip::result::{ZipError, ZipResult};

/// The most entries pex-rs reads from one archive: a quarter of a million (the largest PEX
/// files seen have tens of thousands), which parse in well under 100 MB.
pub(crate) const MAX_ENTRIES: u64 = 1 << 18;

/// The classic end record: 22 bytes, then a comment of up to 65,535 bytes.
const END_RECORD: usize = 22;
/// How far from the end of an archive its classic end record can start.
const TAIL: usize = END_RECORD + u16::MAX as usize;

/// The number of entries the central directory of the zip archive `bytes` declares (its end
/// record, or the zip64 one), or `None` when the records cannot be found.
pub(crate) fn declared_entries(bytes: &[u8]) -> Option<u64> {
    let (end, entries) = classic_end(bytes)?;
    if entries != u16::MAX {
        return Some(u64::from(entries));
    }
    let zip64_end = usize::try_from(zip64_end_offset(bytes, end)?).ok()?;
    zip64_count(bytes.get(zip64_end..)?)
}

/// Opens the zip archive `reader` holds, unless it declares more than [`MAX_ENTRIES`] entries:
/// every reader of an archive from outside opens it here, not with `ZipArchive::new`.
pub(crate) fn open<R: Read + Seek>(mut reader: R) -> ZipResult<ZipArchive<R>> {
    check_entries(&mut reader)?;
    ZipArchive::new(reader)
}

/// Refuses the archive `reader` holds when it declares more than [`MAX_ENTRIES`] entries; for
/// a reader that loads the whole file afterwards, so it can refuse before that.
pub(crate) fn check_entries(reader: &mut (impl Read + Seek)) -> ZipResult<()> {
    match too_many_entries(reader)? {
        Some(entries) => Err(ZipError::InvalidArchive(
            format!("it declares {entries} entries, more than pex-rs reads from one archive ({MAX_ENTRIES})").into(),
        )),
        None => Ok(()),
    }
}

/// The entries the archive in `file` declares, when that is more than [`MAX_ENTRIES`]: `None`
/// when it is not, or when the records cannot be found (the zip reader then says what is
/// wrong). Reads only the archive's tail, and the zip64 end record where it points.
fn too_many_entries(file: &mut (impl Read + Seek)) -> io::Result<Option<u64>> {
    let length = file.seek(SeekFrom::End(0))?;
    file.seek(SeekFrom::Start(length.saturating_sub(TAIL as u64)))?;
    let mut tail = Vec::with_capacity(TAIL);
    file.read_to_end(&mut tail)?;
    let declared = match classic_end(&tail) {
        None => None,
        Some((_, entries)) if entries != u16::MAX => Some(u64::from(entries)),
        Some((end, _)) => match zip64_end_offset(&tail, end) {
            None => None,
            Some(offset) => {
                let mut record = Vec::with_capacity(40);
                file.seek(SeekFrom::Start(offset))?;
                file.by_ref().take(40).read_to_end(&mut record)?;
                zip64_count(&record)
            }
        },
    };
    file.seek(SeekFrom::Start(0))?;
    Ok(declared.filter(|entries| *entries > MAX_ENTRIES))
}

/// Where the classic end record starts in `bytes` (the end of an archive), and its entry count.
fn classic_end(bytes: &[u8]) -> Option<(usize, u16)> {
    let last = bytes.len().checked_sub(END_RECORD)?;
    let end =
        (last.saturating_sub(usize::from(u16::MAX))..=last).rev().find(|&at| bytes[at..].starts_with(b"PK\x05\x06"))?;
    Some((end, u16::from_le_bytes(bytes.get(end + 10..end + 12)?.try_into().ok()?)))
}

/// The offset of the zip64 end record, from the locator just before the classic end record.
fn zip64_end_offset(bytes: &[u8], end: usize) -> Option<u64> {
    let locator = bytes.get(end.checked_sub(20)?..end)?;
    locator.starts_with(b"PK\x06\x07").then(|| u64::from_le_bytes(locator[8..16].try_into().expect("eight bytes")))
}

/// The entry count of the zip64 end record that `record` starts with.
fn zip64_count(record: &[u8]) -> Option<u64> {
    let record = record.get(..40).filter(|record| record.starts_with(b"PK\x06\x06"))?;
    Some(u64::from_le_bytes(record[32..40].try_into().ok()?))
}
