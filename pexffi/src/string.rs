//! Strings the library hands to C: allocated here as `CString`s, given away with
//! `CString::into_raw`, and taken back only by `pex_string_free`.

use std::ffi::{CString, c_char};

use crate::error::Failure;
use crate::panic::ffi_panic_boundary;
use crate::result::pex_result;

/// Converts `text` into a string owned by the caller, to be freed with `pex_string_free`.
///
/// `what` names the text in the error if it contains a NUL byte, which a C string cannot hold.
pub(crate) fn into_owned_c_string(text: String, what: &str) -> Result<*mut c_char, Failure> {
    c_string(text, what).map(CString::into_raw)
}

/// Stores `text` as an owned string in `*out` when the caller asked for it (`out` not NULL);
/// `what` names it in the error if it holds a NUL byte.
///
/// # Safety
///
/// `out` is NULL or writable.
pub(crate) unsafe fn store_text(out: *mut *mut c_char, text: String, what: &str) -> Result<(), Failure> {
    if out.is_null() {
        return Ok(());
    }
    let text = into_owned_c_string(text, what)?;
    // SAFETY: not NULL, and the caller guarantees it is writable.
    unsafe { out.write(text) };
    Ok(())
}

/// Stores `json` as text in `*out` when the caller asked for it, as [`store_text`] does.
///
/// # Safety
///
/// `out` is NULL or writable.
pub(crate) unsafe fn store_json(out: *mut *mut c_char, json: &serde_json::Value, what: &str) -> Result<(), Failure> {
    // SAFETY: the caller's guarantee is `store_text`'s.
    unsafe { store_text(out, json.to_string(), what) }
}

/// Converts `text` into a C string that a handle keeps, writing each interior NUL byte as the two
/// characters `\0` (so that it cannot fail).
pub(crate) fn c_string_escaped(text: &str) -> CString {
    let text = if text.contains('\0') { text.replace('\0', "\\0") } else { text.to_owned() };
    CString::new(text).unwrap_or_default()
}

/// Converts `text` into a C string, or fails naming `what`, as for [`into_owned_c_string`].
fn c_string(text: String, what: &str) -> Result<CString, Failure> {
    CString::new(text).map_err(|error| {
        Failure::new(
            pex_result::InvalidArchive,
            format!("{what} contains a NUL byte at offset {}, which a C string cannot hold", error.nul_position()),
        )
    })
}

/// Frees a string that a pex function returned to the caller (for example the JSON of
/// `pex_inspect()`). NULL does nothing.
///
/// Never free such a string with `free()`, and never free it twice.
///
/// # Safety
///
/// `string` is NULL, or a string returned to the caller by a pex function that says to free it
/// with `pex_string_free()`, not yet freed and not modified (in particular no NUL byte was
/// written into it). It must not be used after this call.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn pex_string_free(string: *mut c_char) {
    ffi_panic_boundary! {
        if string.is_null() {
            return;
        }
        // SAFETY: the caller guarantees `string` came from `CString::into_raw` (every owned
        // string goes through `into_owned_c_string`), unmodified, and is freed only now.
        drop(unsafe { CString::from_raw(string) });
    }
}

#[cfg(test)]
mod tests {
    use std::ffi::CStr;

    use super::{into_owned_c_string, pex_string_free};
    use crate::result::pex_result;

    #[test]
    fn ok_owned_string_round_trip() {
        let string = into_owned_c_string("{\"a\":1}".to_owned(), "the JSON").unwrap();
        // SAFETY: `string` is a live owned string, read before it is freed once.
        unsafe {
            assert_eq!(CStr::from_ptr(string).to_str().unwrap(), "{\"a\":1}");
            pex_string_free(string);
            pex_string_free(std::ptr::null_mut());
        }
    }

    #[test]
    fn err_interior_nul() {
        let failure = into_owned_c_string("a\0b".to_owned(), "the JSON").unwrap_err();
        assert_eq!(failure.code, pex_result::InvalidArchive);
        assert_eq!(failure.message, "the JSON contains a NUL byte at offset 1, which a C string cannot hold");
    }
}
