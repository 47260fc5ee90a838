//! `pex_inspect`: read the PEX-INFO manifest of a PEX and hand it to C as JSON.

use std::ffi::c_char;

use camino::Utf8Path;

use crate::error::pex_error;
use crate::ffi::{try_c_str, utf8_argument};
use crate::panic::ffi_panic_boundary;
use crate::result::pex_result;
use crate::string::store_text;

/// Reads the PEX-INFO manifest of the PEX at `path` and returns it as JSON.
///
/// `path` is a NUL-terminated UTF-8 file name: a PEX file, or a PEX directory (pex's `packed`
/// and `loose` layouts). The JSON is the manifest's canonical text (sorted keys, no white
/// space), as pex writes it; fields pex-rs does not know are kept.
///
/// On success returns `PEX_RESULT_OK` and stores in `*out_json` (if not NULL: then the call only
/// checks the manifest) a new NUL-terminated UTF-8 string, which the caller owns and frees with
/// `pex_string_free()`. On failure `*out_json` is
/// not written, and the code and message are stored in `error` if it is not NULL. The codes:
///
/// - `PEX_RESULT_NULL_PARAMETER`: `path` is NULL.
/// - `PEX_RESULT_INVALID_UTF8`: `path` is not UTF-8.
/// - `PEX_RESULT_INVALID_ARGUMENT`: there is no file at `path`.
/// - `PEX_RESULT_INVALID_ARCHIVE`: the file is not a zip, has no `PEX-INFO`, or its `PEX-INFO`
///   is not a valid manifest.
/// - `PEX_RESULT_IO`: the file could not be read.
///
/// May be called from several threads at once, each with its own error object (or NULL).
///
/// # Safety
///
/// `path` is NULL or a NUL-terminated string that stays unchanged during the call. `out_json`
/// is NULL or points to a writable `char *`. `error` is NULL or a live object from
/// `pex_error_new()` that no other thread is using.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn pex_inspect(
    path: *const c_char,
    out_json: *mut *mut c_char,
    error: *mut pex_error,
) -> pex_result {
    ffi_panic_boundary! { error: error;
        let path = try_c_str!(path);
        let path = Utf8Path::new(utf8_argument("path", path)?);
        let info = pexcore::inspect_pex(path)?;
        // serde_json escapes control characters, so the JSON never holds a NUL byte; the check
        // stays because a C string could not carry one.
        // SAFETY: the caller guarantees `out_json` is NULL or points to a writable `char *`. This
        // is the last step, so the out-parameter is written only on success.
        unsafe { store_text(out_json, info.to_json(), &format!("the PEX-INFO of `{path}`")) }
    }
}

#[cfg(test)]
mod tests {
    use std::ffi::{CStr, CString, c_char};
    use std::ptr;

    use camino::Utf8Path;

    use super::pex_inspect;
    use crate::error::{pex_error, pex_error_code, pex_error_free, pex_error_message, pex_error_new};
    use crate::result::pex_result;
    use crate::string::pex_string_free;
    use crate::test_pex::build_pex;

    /// Calls `pex_inspect` on `path` with a fresh error object; returns the code, the JSON on
    /// success, and the error message.
    fn inspect(path: *const c_char) -> (pex_result, Option<String>, String) {
        let error = pex_error_new();
        let mut json: *mut c_char = ptr::null_mut();
        // SAFETY: `path` is NULL or a C string owned by the caller, `json` is writable, `error`
        // is live until freed; the strings are copied before they are freed.
        unsafe {
            let code = pex_inspect(path, &raw mut json, error);
            assert_eq!(pex_error_code(error), if code == pex_result::Ok { pex_result::Ok } else { code });
            let message = CStr::from_ptr(pex_error_message(error)).to_str().unwrap().to_owned();
            pex_error_free(error);
            let json = (!json.is_null()).then(|| {
                let text = CStr::from_ptr(json).to_str().unwrap().to_owned();
                pex_string_free(json);
                text
            });
            (code, json, message)
        }
    }

    fn c_path(path: &Utf8Path) -> CString {
        CString::new(path.as_str()).unwrap()
    }

    #[test]
    fn ok_inspect() {
        let directory = tempfile::tempdir().unwrap();
        let directory = Utf8Path::from_path(directory.path()).unwrap();
        let pex = build_pex(directory);
        let (code, json, message) = inspect(c_path(&pex).as_ptr());
        assert_eq!(code, pex_result::Ok, "{message}");
        let json = json.unwrap();
        assert_eq!(json, pexcore::inspect_pex(&pex).unwrap().to_json());
        assert!(json.contains("\"pex_hash\":"), "{json}");
        assert_eq!(message, "");
    }

    #[test]
    fn err_inspect() {
        let directory = tempfile::tempdir().unwrap();
        let directory = Utf8Path::from_path(directory.path()).unwrap();
        let not_pex = directory.join("not-a.pex");
        fs_err::write(&not_pex, "print('hello')\n").unwrap();
        let missing = directory.join("missing.pex");

        let (code, json, message) = inspect(c_path(&not_pex).as_ptr());
        assert_eq!((code, json), (pex_result::InvalidArchive, None));
        assert!(message.starts_with(&format!("`{not_pex}` is not a PEX file: it is not a zip archive: ")), "{message}");

        let (code, json, message) = inspect(c_path(&missing).as_ptr());
        assert_eq!((code, json), (pex_result::InvalidArgument, None));
        assert!(message.starts_with(&format!("failed to read `{missing}`: ")), "{message}");

        let (code, json, message) = inspect(ptr::null());
        assert_eq!((code, json, message.as_str()), (pex_result::NullParameter, None, "the `path` argument is NULL"));

        let (code, json, message) = inspect(c"caf\xe9.pex".as_ptr());
        assert_eq!(
            (code, json, message.as_str()),
            (pex_result::InvalidUtf8, None, "the `path` argument `caf\u{fffd}.pex` is not valid UTF-8")
        );
    }

    #[test]
    fn ok_inspect_null_out_only_checks_and_null_error() {
        let directory = tempfile::tempdir().unwrap();
        let pex = build_pex(Utf8Path::from_path(directory.path()).unwrap());
        let pex = CString::new(pex.as_str()).unwrap();
        let error = pex_error_new();
        // SAFETY: the paths are C strings alive for the calls and `error` is live until freed; a
        // NULL out-parameter and a NULL error object are allowed.
        unsafe {
            assert_eq!(pex_inspect(pex.as_ptr(), ptr::null_mut(), error), pex_result::Ok, "a NULL out only checks");
            assert_eq!(pex_inspect(c"x.pex".as_ptr(), ptr::null_mut(), error), pex_result::InvalidArgument);
            let message = CStr::from_ptr(pex_error_message(error)).to_str().unwrap();
            assert!(message.starts_with("failed to read `x.pex`"), "{message}");
            pex_error_free(error);
            let mut json: *mut c_char = ptr::null_mut();
            let no_error: *mut pex_error = ptr::null_mut();
            assert_eq!(
                pex_inspect(c"/nonexistent/x.pex".as_ptr(), &raw mut json, no_error),
                pex_result::InvalidArgument
            );
            assert!(json.is_null(), "the out-parameter is written only on success");
        }
    }
}
