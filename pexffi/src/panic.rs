//! The panic boundary around every exported body.
//!
//! Since Rust 1.81 a panic that reaches an `extern "C"` function aborts the process, and the
//! host may be a Python interpreter, so no panic may get that far. [`ffi_panic_boundary!`]
//! wraps a body in `catch_unwind` and turns a panic into a neutral value: `PEX_RESULT_PANIC`
//! for a function returning [`pex_result`], `NULL` for one returning a pointer, nothing for
//! one returning `void` ([`PanicOrDefault`]). For a fallible function that takes an error
//! object, the panic's message is also recorded in it.
//!
//! The library must therefore never be built with `panic = "abort"`.

use std::ptr;

use crate::result::pex_result;

/// The value an export returns when its body panicked.
pub(crate) trait PanicOrDefault {
    fn panic_or_default() -> Self;
}

impl PanicOrDefault for pex_result {
    fn panic_or_default() -> Self {
        pex_result::Panic
    }
}

impl<T> PanicOrDefault for *mut T {
    fn panic_or_default() -> Self {
        ptr::null_mut()
    }
}

impl<T> PanicOrDefault for *const T {
    fn panic_or_default() -> Self {
        ptr::null()
    }
}

impl PanicOrDefault for () {
    fn panic_or_default() -> Self {}
}

impl PanicOrDefault for u64 {
    fn panic_or_default() -> Self {
        0
    }
}

impl PanicOrDefault for usize {
    fn panic_or_default() -> Self {
        0
    }
}

/// Runs an exported body, catching any panic.
///
/// Two forms:
///
/// - `ffi_panic_boundary! { body }`: `body` evaluates to the export's return type; a panic
///   returns [`PanicOrDefault::panic_or_default`].
/// - `ffi_panic_boundary! { error: error_ptr; body }`: for a fallible export. `body` evaluates
///   to `Result<(), Failure>`, and may use `?` and the `try_*!` macros; a panic becomes a
///   `PEX_RESULT_PANIC` failure. A failure is recorded in the error object `error_ptr` (which
///   may be NULL) and its code returned; success returns `PEX_RESULT_OK` and leaves the error
///   object alone. The export's "# Safety" section must require `error_ptr` to be NULL or a
///   live `pex_error`.
///
/// `return` inside `body` returns from the body, not from the export, which is what the
/// `try_*!` macros rely on.
macro_rules! ffi_panic_boundary {
    (error: $error:ident; $($body:tt)*) => {{
        let error_object: *mut $crate::error::pex_error = $error;
        match ::std::panic::catch_unwind(move || {
            let result = ::std::panic::catch_unwind(
                move || -> ::core::result::Result<(), $crate::error::Failure> { $($body)* },
            )
            .unwrap_or_else(|payload| {
                let failure = $crate::error::Failure::from_panic(&*payload);
                ::std::mem::forget(payload);
                Err(failure)
            });
            // SAFETY: the export's "# Safety" section requires its error object to be NULL or
            // a live `pex_error` that no other thread is using (see this macro's docs).
            unsafe { $crate::error::record(error_object, result) }
        }) {
            Ok(code) => code,
            Err(payload) => {
                // Dropping a payload may itself panic, outside any boundary: leak it instead.
                ::std::mem::forget(payload);
                $crate::result::pex_result::Panic
            }
        }
    }};
    ($($body:tt)*) => {
        match ::std::panic::catch_unwind(move || { $($body)* }) {
            Ok(value) => value,
            Err(payload) => {
                // Dropping a payload may itself panic, outside any boundary: leak it instead.
                ::std::mem::forget(payload);
                $crate::panic::PanicOrDefault::panic_or_default()
            }
        }
    };
}

pub(crate) use ffi_panic_boundary;

/// Returns the message a panic was started with, if it is text.
pub(crate) fn panic_message(payload: &(dyn std::any::Any + Send)) -> &str {
    if let Some(message) = payload.downcast_ref::<&str>() {
        message
    } else if let Some(message) = payload.downcast_ref::<String>() {
        message
    } else {
        "(no message)"
    }
}

#[cfg(test)]
mod tests {
    use std::ffi::CStr;
    use std::ptr;

    use crate::error::{pex_error, pex_error_code, pex_error_free, pex_error_message, pex_error_new};
    use crate::result::pex_result;

    /// A fallible export whose body panics.
    unsafe extern "C" fn fallible_panics(error: *mut pex_error) -> pex_result {
        ffi_panic_boundary! { error: error;
            panic!("boom at the boundary");
        }
    }

    extern "C" fn pointer_panics() -> *const u8 {
        ffi_panic_boundary! {
            panic!("boom");
        }
    }

    extern "C" fn void_panics() {
        ffi_panic_boundary! {
            panic!("boom");
        }
    }

    #[test]
    fn err_panic_becomes_code_and_message() {
        let error = pex_error_new();
        // SAFETY: `error` is a live error object.
        let code = unsafe { fallible_panics(error) };
        assert_eq!(code, pex_result::Panic);
        // SAFETY: `error` is a live error object, and the message is read before it is freed.
        unsafe {
            assert_eq!(pex_error_code(error), pex_result::Panic);
            let message = CStr::from_ptr(pex_error_message(error)).to_str().unwrap();
            assert_eq!(message, "pex-rs panicked: boom at the boundary; this is a bug in pex-rs, please report it");
            pex_error_free(error);
        }
        // SAFETY: a NULL error object is allowed.
        let code = unsafe { fallible_panics(ptr::null_mut()) };
        assert_eq!(code, pex_result::Panic);
    }

    #[test]
    fn err_panic_becomes_neutral_value() {
        assert!(pointer_panics().is_null());
        void_panics();
    }
}
