//! File system rules shared by every module: the one check that an archive member name stays
//! inside its target, atomic output files (temp file in the same directory, then rename), and
//! the conversion of OS paths to UTF-8 at the edge.

use std::io;

use camino::{Utf8Path, Utf8PathBuf};

/// Returns the member `name` as a relative path that stays inside the directory it is extracted
/// to, or `None` when it must be refused.
///
/// Refused: an empty name, an absolute path or a Windows drive or UNC prefix, a backslash, an
/// empty, `.` or `..` component, a component longer than 255 bytes (more than file systems
/// take), and NUL or any other control character. Wheels, sdists and PEX
/// files are all untrusted; every member name goes through here.
/// A trailing `/` (a directory entry) is accepted and dropped. runner.py's `_bad_name` applies
/// the same rule (`tests/it/hostile.rs` runs both on one corpus).
pub fn enclosed(name: &str) -> Option<Utf8PathBuf> {
    /// The longest file name (one path component) file systems take, in bytes.
    const NAME_MAX: usize = 255;
    let name = name.strip_suffix('/').unwrap_or(name);
    if name.is_empty()
        || name.starts_with('/')
        || name.contains('\\')
        || name.chars().any(char::is_control)
        || name.chars().nth(1) == Some(':')
    {
        return None;
    }
    if name.split('/').any(|part| part.is_empty() || part == "." || part == ".." || part.len() > NAME_MAX) {
        return None;
    }
    Some(Utf8PathBuf::from(name))
}

/// A file being written next to its final path; it appears at the final path only when
/// [`OutputFile::persist`] renames it, and is deleted if dropped before that.
pub(crate) struct OutputFile {
    temp: tempfile::NamedTempFile,
    path: Utf8PathBuf,
}

impl OutputFile {
    /// Creates a temporary file in the directory of `path`, so the final rename is atomic.
    pub(crate) fn create(path: &Utf8Path) -> io::Result<Self> {
        let parent = match path.parent() {
            Some(parent) if !parent.as_str().is_empty() => parent,
            _ => Utf8Path::new("."),
        };
        // `-o dist/app.pex` in a fresh checkout: the directory is made, as pex and pip do.
        std::fs::create_dir_all(parent)?;
        let file_name = path.file_name().unwrap_or("output");
        let temp = tempfile::Builder::new().prefix(&format!(".{file_name}.")).suffix(".tmp").tempfile_in(parent)?;
        Ok(Self { temp, path: path.to_owned() })
    }

    pub(crate) fn file(&mut self) -> &mut std::fs::File {
        self.temp.as_file_mut()
    }

    /// Sets the permissions the final file will have (`0o644` by default from tempfile's `0o600`).
    #[cfg(unix)]
    pub(crate) fn set_mode(&self, mode: u32) -> io::Result<()> {
        use std::os::unix::fs::PermissionsExt;
        self.temp.as_file().set_permissions(std::fs::Permissions::from_mode(mode))
    }

    /// Renames the finished file to its final path.
    pub(crate) fn persist(self) -> io::Result<()> {
        self.temp.persist(&self.path).map(drop).map_err(|error| error.error)
    }

    /// Renames the finished file to its final path, unless a file with the same bytes and
    /// permissions is there already: that one stays, untouched (same inode, same modification
    /// time). Returns whether the file was replaced.
    pub(crate) fn persist_if_changed(mut self) -> io::Result<bool> {
        if self.same_as_existing()? {
            return Ok(false);
        }
        self.persist()?;
        Ok(true)
    }

    fn same_as_existing(&mut self) -> io::Result<bool> {
        use std::io::{Read, Seek};
        let Ok(existing) = std::fs::File::open(&self.path) else { return Ok(false) };
        let (new_metadata, old_metadata) = (self.temp.as_file().metadata()?, existing.metadata()?);
        if new_metadata.len() != old_metadata.len() || new_metadata.permissions() != old_metadata.permissions() {
            return Ok(false);
        }
        let new = self.temp.as_file_mut();
        new.rewind()?;
        let mut new = io::BufReader::with_capacity(1 << 20, &*new);
        let mut old = io::BufReader::with_capacity(1 << 20, existing);
        let (mut left, mut right) = (vec![0u8; 1 << 16], vec![0u8; 1 << 16]);
        loop {
            let count = new.read(&mut left)?;
            if count == 0 {
                return Ok(true);
            }
            if old.read_exact(&mut right[..count]).is_err() || left[..count] != right[..count] {
                return Ok(false);
            }
        }
    }
}

/// Takes an exclusive lock on `file`, waiting at most `wait` for the holders of shared locks
/// (running builds, running PEX files) to let go; `on_wait` runs once if it has to wait.
/// `Ok(false)`: the wait ran out, and nothing is locked.
pub(crate) fn lock_exclusive_within(
    file: &std::fs::File,
    wait: std::time::Duration,
    on_wait: impl FnOnce(),
) -> io::Result<bool> {
    // A wait too long to add to the clock (a caller's "forever") has no deadline.
    let deadline = std::time::Instant::now().checked_add(wait);
    let mut on_wait = Some(on_wait);
    let mut pause = std::time::Duration::from_millis(10);
    loop {
        match file.try_lock() {
            Ok(()) => return Ok(true),
            Err(std::fs::TryLockError::Error(error)) => return Err(error),
            Err(std::fs::TryLockError::WouldBlock) => {}
        }
        let now = std::time::Instant::now();
        if deadline.is_some_and(|deadline| now >= deadline) {
            return Ok(false);
        }
        if let Some(on_wait) = on_wait.take() {
            on_wait();
        }
        std::thread::sleep(deadline.map_or(pause, |deadline| pause.min(deadline - now)));
        pause = (pause * 2).min(std::time::Duration::from_millis(250));
    }
}

/// Writes `bytes` to `path` atomically (temp file in the same directory, then rename).
pub(crate) fn write_atomic(path: &Utf8Path, bytes: &[u8]) -> io::Result<()> {
    use std::io::Write;
    let mut output = OutputFile::create(path)?;
    output.file().write_all(bytes)?;
    #[cfg(unix)]
    output.set_mode(0o644)?;
    output.persist()
}

/// Returns `path` made absolute against the working directory (without resolving links).
pub(crate) fn absolute(path: &Utf8Path) -> Utf8PathBuf {
    std::path::absolute(path)
        .ok()
        .and_then(|path| Utf8PathBuf::from_path_buf(path).ok())
        .unwrap_or_else(|| path.to_owned())
}

/// Converts an OS path to UTF-8, or returns it back for a `NonUtf8Path` error.
pub(crate) fn utf8_path(path: std::path::PathBuf) -> Result<Utf8PathBuf, std::path::PathBuf> {
    Utf8PathBuf::from_path_buf(path)
}

#[cfg(test)]
mod tests {
    use super::enclosed;

    #[test]
    fn ok_enclosed() {
        for (name, expected) in [
            ("a", "a"),
            ("a/b.py", "a/b.py"),
            ("pkg/", "pkg"),
            ("a..b/c", "a..b/c"),
            (".deps/x-1.0-py3-none-any.whl/x.py", ".deps/x-1.0-py3-none-any.whl/x.py"),
            ("naïve/ünïcode.txt", "naïve/ünïcode.txt"),
        ] {
            assert_eq!(enclosed(name).as_deref().map(camino::Utf8Path::as_str), Some(expected), "{name}");
        }
    }

    #[test]
    fn err_enclosed() {
        for name in [
            "",
            "/",
            "/etc/passwd",
            "../x",
            "a/../../x",
            "a/..",
            "./a",
            "a/./b",
            "a//b",
            "a\\b",
            "..\\x",
            "C:/x",
            "c:x",
            "a\0b",
            "a\nb",
            "a\u{7f}b",
            "\u{1b}[31m",
        ] {
            assert_eq!(enclosed(name), None, "{name:?} must be refused");
        }
    }
}
