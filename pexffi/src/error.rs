//! The error object `pex_error`, which carries a failure's code and its whole message chain to
//! C, and [`Failure`], the internal value that fills it.
//!
//! Following regex-capi, the caller creates the object, passes it last to fallible calls (or
//! passes NULL for "no details"), and reads it after a failure. The message is rendered once,
//! when the failure is recorded, as "top: cause: cause", and is owned by the object, so
//! `pex_error_message()` hands out a pointer without allocating. There is no thread-local
//! "last error".

use std::ffi::{CString, c_char};
use std::marker::{PhantomData, PhantomPinned};

use crate::ffi::{Castable, OwnershipBox, free_box, to_boxed_mut_ptr, try_ref};
use crate::panic::{ffi_panic_boundary, panic_message};
use crate::result::pex_result;

/// Why a call failed: a code and a message, before they are stored in a [`pex_error`].
#[derive(Debug)]
pub(crate) struct Failure {
    pub(crate) code: pex_result,
    pub(crate) message: String,
    /// How to fix it, one line per hint (see `pex_error_hints`).
    pub(crate) hints: String,
}

impl Failure {
    pub(crate) fn new(code: pex_result, message: impl Into<String>) -> Self {
        debug_assert_ne!(code, pex_result::Ok, "a failure needs a failing code");
        Self { code, message: message.into(), hints: String::new() }
    }

    /// A NULL pointer was passed for `argument`.
    pub(crate) fn null_parameter(argument: &str) -> Self {
        Self::new(pex_result::NullParameter, format!("the `{argument}` argument is NULL"))
    }

    /// The body of an export panicked with `payload`.
    pub(crate) fn from_panic(payload: &(dyn std::any::Any + Send)) -> Self {
        Self::new(
            pex_result::Panic,
            format!("pex-rs panicked: {}; this is a bug in pex-rs, please report it", panic_message(payload)),
        )
    }
}

impl From<pexcore::Error> for Failure {
    fn from(error: pexcore::Error) -> Self {
        let mut failure = Self::new(pex_result::from_error(&error), render_chain(&error));
        failure.hints = render_hints(&error.hints());
        failure
    }
}

/// Renders an error and its sources as "top: cause: cause".
///
/// pexcore's messages describe only their own level (the cause is a `source()`), so joining the levels
/// repeats nothing.
pub(crate) fn render_chain(error: &dyn std::error::Error) -> String {
    let mut message = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        message.push_str(": ");
        message.push_str(&cause.to_string());
        source = cause.source();
    }
    message
}

/// Renders hints one per line, each setting named as the options setter that changes it
/// (`pex_build_options_set_cache_dir` is named `cache_dir`).
fn render_hints(hints: &[pexcore::Hint]) -> String {
    let mut text = String::new();
    for hint in hints {
        text.push_str(&hint.text);
        if let Some(setting) = hint.setting {
            text.push_str(" (`");
            text.push_str(setting.name());
            text.push_str("`)");
        }
        text.push('\n');
    }
    text
}

/// What a `pex_error` holds.
pub(crate) struct ErrorState {
    code: pex_result,
    message: CString,
    hints: CString,
}

impl ErrorState {
    fn set(&mut self, failure: &Failure) {
        self.message = crate::string::c_string_escaped(&failure.message);
        self.hints = crate::string::c_string_escaped(&failure.hints);
        self.code = failure.code;
    }
}

/// An error object: the code and message of the last failure of a call it was passed to.
///
/// Create it with `pex_error_new()`, pass it as the last argument of fallible calls (or pass
/// NULL when the details are not wanted), read it with `pex_error_code()` and
/// `pex_error_message()` after a call fails, and free it with `pex_error_free()`. One object may
/// be reused for any number of calls.
///
/// A failing call overwrites the object; a successful call leaves it as it was, so read it only
/// after a call returned something other than `PEX_RESULT_OK`.
///
/// Thread safety: a `pex_error` may be moved to another thread, but is not safe for concurrent
/// use: two threads must not pass the same object to calls at the same time. Give each thread
/// its own.
pub struct pex_error {
    _private: [u8; 0],
    _not_send_sync_unpin: PhantomData<(*mut u8, PhantomPinned)>,
}

impl Castable for pex_error {
    type Ownership = OwnershipBox;
    type RustType = ErrorState;
}

/// Records the outcome of a fallible export in `error` (NULL allowed) and returns its code.
///
/// # Safety
///
/// `error` is NULL or a live `pex_error` that no other thread is using.
pub(crate) unsafe fn record(error: *mut pex_error, result: Result<(), Failure>) -> pex_result {
    let failure = match result {
        Ok(()) => return pex_result::Ok,
        Err(failure) => failure,
    };
    let code = failure.code;
    // SAFETY: the caller guarantees `error` is NULL or a live, unshared `pex_error`.
    if let Some(state) = unsafe { crate::ffi::try_from_mut(error) } {
        state.set(&failure);
    }
    code
}

/// Creates an empty error object: its code is `PEX_RESULT_OK` and its message is "".
///
/// Free it with `pex_error_free()`. Returns NULL only if pex-rs panicked.
///
/// # Safety
///
/// Always safe to call.
#[unsafe(no_mangle)]
pub extern "C" fn pex_error_new() -> *mut pex_error {
    ffi_panic_boundary! {
        to_boxed_mut_ptr::<pex_error>(ErrorState {
            code: pex_result::Ok,
            message: CString::default(),
            hints: CString::default(),
        })
    }
}

/// Frees an error object. NULL does nothing.
///
/// Pointers returned by `pex_error_message()` for this object become invalid.
///
/// # Safety
///
/// `error` is NULL or was returned by `pex_error_new()` and not yet freed; it is freed at most
/// once, and no other thread is using it.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn pex_error_free(error: *mut pex_error) {
    ffi_panic_boundary! {
        // SAFETY: the caller guarantees `error` is NULL or a live handle from `pex_error_new`,
        // freed only now.
        unsafe { free_box(error) }
    }
}

/// Returns the code of the last failure recorded in `error`, or `PEX_RESULT_OK` if none was.
///
/// Returns `PEX_RESULT_NULL_PARAMETER` if `error` is NULL.
///
/// # Safety
///
/// `error` is NULL or a live object from `pex_error_new()` that no other thread is writing.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn pex_error_code(error: *const pex_error) -> pex_result {
    ffi_panic_boundary! {
        try_ref!(error).code
    }
}

/// Returns the message of the last failure recorded in `error`: the whole chain of causes as
/// "what failed: why: why", in UTF-8, NUL-terminated. It is "" if no failure was recorded. An
/// interior NUL byte is written as the two characters `\0`.
///
/// The string is owned by `error`: do not free or modify it. It stays valid until `error` is
/// passed to a call that fails (which overwrites it) or is freed; copy it to keep it longer.
///
/// Returns NULL if `error` is NULL.
///
/// # Safety
///
/// `error` is NULL or a live object from `pex_error_new()` that no other thread is writing.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn pex_error_message(error: *const pex_error) -> *const c_char {
    ffi_panic_boundary! {
        try_ref!(error).message.as_ptr()
    }
}

/// Returns how to fix the last failure recorded in `error`: one hint per line, each ending in a
/// line break, in UTF-8, NUL-terminated; "" when there is none. A hint that is a setting to
/// change ends in its name in backquotes, the name of the options setter that changes it
/// (`cache_dir` for `pex_build_options_set_cache_dir()`).
///
/// The string is owned by `error`, like the one of `pex_error_message()`.
///
/// Returns NULL if `error` is NULL.
///
/// # Safety
///
/// `error` is NULL or a live object from `pex_error_new()` that no other thread is writing.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn pex_error_hints(error: *const pex_error) -> *const c_char {
    ffi_panic_boundary! {
        try_ref!(error).hints.as_ptr()
    }
}

#[cfg(test)]
mod tests {
    use std::ffi::CStr;
    use std::ptr;

    use super::{Failure, pex_error_code, pex_error_free, pex_error_message, pex_error_new, record, render_chain};
    use crate::result::pex_result;

    /// A three-level error chain, built by hand.
    #[derive(Debug)]
    struct Level(&'static str, Option<Box<Level>>);

    impl std::fmt::Display for Level {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str(self.0)
        }
    }

    impl std::error::Error for Level {
        fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
            self.1.as_deref().map(|level| level as _)
        }
    }

    /// Reads the message of a live error object.
    fn message(error: *const super::pex_error) -> String {
        // SAFETY: the callers pass a live error object and copy the message before reusing it.
        unsafe { CStr::from_ptr(pex_error_message(error)) }.to_str().unwrap().to_owned()
    }

    #[test]
    fn ok_new_is_empty() {
        let error = pex_error_new();
        assert!(!error.is_null());
        // SAFETY: `error` is live until freed at the end.
        unsafe {
            assert_eq!(pex_error_code(error), pex_result::Ok);
            assert_eq!(message(error), "");
            pex_error_free(error);
        }
    }

    #[test]
    fn ok_null_is_harmless() {
        // SAFETY: NULL is allowed everywhere here.
        unsafe {
            pex_error_free(ptr::null_mut());
            assert_eq!(pex_error_code(ptr::null()), pex_result::NullParameter);
            assert!(pex_error_message(ptr::null()).is_null());
            assert_eq!(record(ptr::null_mut(), Err(Failure::null_parameter("path"))), pex_result::NullParameter);
        }
    }

    #[test]
    fn ok_record_chain_and_reuse() {
        let chain = Level(
            "failed to read `a.pex`",
            Some(Box::new(Level("permission denied", Some(Box::new(Level("os error 13", None)))))),
        );
        assert_eq!(render_chain(&chain), "failed to read `a.pex`: permission denied: os error 13");
        let error = pex_error_new();
        // SAFETY: `error` is live until freed at the end.
        unsafe {
            assert_eq!(record(error, Err(Failure::new(pex_result::Io, render_chain(&chain)))), pex_result::Io);
            assert_eq!(pex_error_code(error), pex_result::Io);
            assert_eq!(message(error), "failed to read `a.pex`: permission denied: os error 13");
            // Success leaves the object alone.
            assert_eq!(record(error, Ok(())), pex_result::Ok);
            assert_eq!(pex_error_code(error), pex_result::Io);
            // A later failure overwrites it.
            assert_eq!(record(error, Err(Failure::null_parameter("path"))), pex_result::NullParameter);
            assert_eq!(message(error), "the `path` argument is NULL");
            pex_error_free(error);
        }
    }

    #[test]
    fn ok_interior_nul_is_escaped() {
        let error = pex_error_new();
        // SAFETY: `error` is live until freed at the end.
        unsafe {
            record(error, Err(Failure::new(pex_result::InvalidArchive, "bad name `a\0b`: end")));
            assert_eq!(message(error), "bad name `a\\0b`: end");
            pex_error_free(error);
        }
    }
}
