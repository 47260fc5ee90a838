//! `pex_result`, the status code of every fallible export, and [`pex_result::from_error`], the
//! one place a `pexcore` error becomes a code (through `pexcore::Error::kind`, like the CLI's
//! exit code).
//!
//! Values are grouped in ranges by who can act on them and are never renumbered. A retired
//! value stays behind in a comment so it is never reused; new codes take the next free value of
//! their range.

use pexcore::ErrorKind;

/// The status of a fallible call: `PEX_RESULT_OK` (0) or the reason it failed. The detail is
/// in the error object, if one was passed (see `pex_error_message()`).
///
/// The values are fixed and never renumbered, so a program may store or compare them. They are
/// grouped in ranges:
///
/// - 0: success.
/// - 100-199: the call itself was wrong (a NULL pointer, a bad argument, text that is not
///   UTF-8).
/// - 200-299: the environment failed (file system, network, locks, the Python interpreter).
/// - 300-399: the input's content is wrong (requirements that cannot be met, archives that are
///   not what they claim, digests that do not match).
/// - 400: the caller cancelled the operation.
/// - 900: a bug in pex-rs.
#[repr(u32)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum pex_result {
    /// Success.
    Ok = 0,
    /// A pointer argument that must not be NULL was NULL.
    NullParameter = 100,
    /// An argument is well-formed but unusable: a file that does not exist, an entry point that
    /// is not in the PEX, requirements that the given wheels do not satisfy.
    InvalidArgument = 101,
    /// A string argument is not valid UTF-8.
    InvalidUtf8 = 102,
    /// Reading or writing the file system failed.
    Io = 200,
    /// A network request failed.
    Network = 201,
    /// A lock (on the cache or `PEX_ROOT`) could not be taken in time.
    LockTimeout = 202,
    /// A Python interpreter could not be found, run or probed.
    Interpreter = 203,
    /// The requirements could not be resolved to a set of distributions.
    ResolutionFailed = 300,
    /// A wheel or PEX is not what it claims to be: not a zip, missing entries, unsafe member
    /// names, an invalid PEX-INFO.
    InvalidArchive = 301,
    /// A file's content does not match the digest that vouches for it.
    HashMismatch = 302,
    /// The operation was cancelled through its `pex_cancel` flag.
    Cancelled = 400,
    /// pex-rs panicked: a bug; please report it with the message.
    Panic = 900,
}

impl pex_result {
    /// The code for a `pexcore` error: the one mapping from [`ErrorKind`].
    pub(crate) fn from_error(error: &pexcore::Error) -> Self {
        match error.kind() {
            ErrorKind::InvalidInput => Self::InvalidArgument,
            ErrorKind::InvalidArchive => Self::InvalidArchive,
            ErrorKind::HashMismatch => Self::HashMismatch,
            ErrorKind::Interpreter => Self::Interpreter,
            ErrorKind::Io => Self::Io,
            ErrorKind::Network => Self::Network,
            ErrorKind::Lock => Self::LockTimeout,
            ErrorKind::Resolution => Self::ResolutionFailed,
            ErrorKind::Cancelled => Self::Cancelled,
        }
    }
}

#[cfg(test)]
mod tests {
    use camino::Utf8Path;

    use super::pex_result;

    /// The values are ABI: this table may only grow.
    #[test]
    fn ok_values_are_fixed() {
        for (code, value) in [
            (pex_result::Ok, 0),
            (pex_result::NullParameter, 100),
            (pex_result::InvalidArgument, 101),
            (pex_result::InvalidUtf8, 102),
            (pex_result::Io, 200),
            (pex_result::Network, 201),
            (pex_result::LockTimeout, 202),
            (pex_result::Interpreter, 203),
            (pex_result::ResolutionFailed, 300),
            (pex_result::InvalidArchive, 301),
            (pex_result::HashMismatch, 302),
            (pex_result::Cancelled, 400),
            (pex_result::Panic, 900),
        ] {
            assert_eq!(code as u32, value, "{code:?}");
        }
    }

    #[test]
    fn ok_from_error() {
        let directory = tempfile::tempdir().unwrap();
        let root = Utf8Path::from_path(directory.path()).unwrap();
        let missing = pexcore::inspect_pex(&root.join("missing.pex")).unwrap_err();
        assert_eq!(pex_result::from_error(&missing), pex_result::InvalidArgument);
        let not_zip = root.join("not-a.pex");
        fs_err::write(&not_zip, "print('hello')\n").unwrap();
        let not_zip = pexcore::inspect_pex(&not_zip).unwrap_err();
        assert_eq!(pex_result::from_error(&not_zip), pex_result::InvalidArchive);
        assert_eq!(pex_result::from_error(&pexcore::Error::NothingToBuild), pex_result::InvalidArgument);
    }
}
