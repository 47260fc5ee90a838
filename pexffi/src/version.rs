//! `pex_version`: the library's version as a static C string.

use std::ffi::{CStr, c_char};

use crate::panic::ffi_panic_boundary;

/// Returns the version of this library, such as "0.1.0": the same text as `PEX_VERSION` in the
/// header it was built with. Compare the two at start-up: there is no ABI stability between
/// versions before 1.0.
///
/// The string is static: do not free or modify it. It may be read from any thread.
///
/// # Safety
///
/// Always safe to call.
#[unsafe(no_mangle)]
pub extern "C" fn pex_version() -> *const c_char {
    // Inside the function so that cbindgen, which reads only items, does not see it.
    const VERSION: &CStr = match CStr::from_bytes_with_nul(concat!(env!("CARGO_PKG_VERSION"), "\0").as_bytes()) {
        Ok(version) => version,
        Err(_) => panic!("the crate version contains a NUL byte"),
    };
    ffi_panic_boundary! {
        VERSION.as_ptr()
    }
}

#[cfg(test)]
mod tests {
    use std::ffi::CStr;

    use super::pex_version;

    #[test]
    fn ok_version() {
        // SAFETY: `pex_version` returns a static NUL-terminated string.
        let version = unsafe { CStr::from_ptr(pex_version()) };
        assert_eq!(version.to_str().unwrap(), env!("CARGO_PKG_VERSION"));
        assert_eq!(version.to_str().unwrap(), pexcore::VERSION);
    }
}
