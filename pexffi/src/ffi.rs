//! Handles and pointer arguments: the only place that casts pointers.
//!
//! Each C handle type is a zero-sized Rust struct with private fields, so cbindgen declares
//! it as an opaque `typedef struct pex_x pex_x;` and C can hold only pointers to it. The
//! [`Castable`] trait records, for each handle, the Rust value behind the pointer and how that
//! value is owned. Only Box ownership (mutable, one owner, freed by `pex_<noun>_free`) exists so
//! far; an immutable shared handle (`const pex_build_config *`) will add `OwnershipArc`
//! with `Arc` helpers next to the Box ones.
//!
//! Every pointer argument is checked for NULL through a `try_*!` macro, which returns early
//! with `PEX_RESULT_NULL_PARAMETER` (recorded in the error object, naming the argument) or with
//! the neutral value of the export's return type ([`NullParameterOrDefault`]). Handles that
//! several threads may use at once (the option handles) keep their value behind a lock and are
//! only ever borrowed shared; [`try_from_mut`] is for the error object, which is one thread's.

use std::ffi::{CStr, c_char};

use crate::error::Failure;
use crate::result::pex_result;

/// Ties a C handle type to the Rust value it points to.
pub(crate) trait Castable {
    /// How the value is owned: [`OwnershipBox`].
    type Ownership;
    /// The Rust value behind a `*mut Self`.
    type RustType;
}

/// The handle owns a `Box<RustType>`: made by `to_boxed_mut_ptr`, freed once by `free_box`.
pub(crate) struct OwnershipBox;

/// Moves `value` to the heap and returns it as a handle the caller owns.
pub(crate) fn to_boxed_mut_ptr<C>(value: C::RustType) -> *mut C
where
    C: Castable<Ownership = OwnershipBox>,
{
    Box::into_raw(Box::new(value)).cast()
}

/// Drops the value behind a Box handle. NULL does nothing.
///
/// # Safety
///
/// `handle` is NULL, or was returned by [`to_boxed_mut_ptr`] for the same `C` and has not been
/// freed; no reference to its value outlives this call.
pub(crate) unsafe fn free_box<C>(handle: *mut C)
where
    C: Castable<Ownership = OwnershipBox>,
{
    if handle.is_null() {
        return;
    }
    // SAFETY: the caller guarantees `handle` came from `Box::into_raw` of a `C::RustType` (in
    // `to_boxed_mut_ptr`) and is freed only now.
    drop(unsafe { Box::from_raw(handle.cast::<C::RustType>()) });
}

/// Borrows the value behind a Box handle, or `None` for NULL.
///
/// # Safety
///
/// `handle` is NULL, or a live handle from [`to_boxed_mut_ptr`] for the same `C` that nothing
/// mutates while the returned reference is in use.
pub(crate) unsafe fn try_from<'a, C>(handle: *const C) -> Option<&'a C::RustType>
where
    C: Castable<Ownership = OwnershipBox>,
{
    // SAFETY: the caller guarantees the pointer is NULL or points to a live `C::RustType`.
    unsafe { handle.cast::<C::RustType>().as_ref() }
}

/// Mutably borrows the value behind a Box handle, or `None` for NULL.
///
/// # Safety
///
/// `handle` is NULL, or a live handle from [`to_boxed_mut_ptr`] for the same `C` that nothing
/// else reads or writes while the returned reference is in use.
pub(crate) unsafe fn try_from_mut<'a, C>(handle: *mut C) -> Option<&'a mut C::RustType>
where
    C: Castable<Ownership = OwnershipBox>,
{
    // SAFETY: the caller guarantees the pointer is NULL or points to a live `C::RustType` that
    // it does not share.
    unsafe { handle.cast::<C::RustType>().as_mut() }
}

/// Borrows a NUL-terminated string argument, or `None` for NULL.
///
/// # Safety
///
/// `string` is NULL, or points to a NUL-terminated string that stays valid and unchanged while
/// the returned reference is in use.
pub(crate) unsafe fn c_str_from_ptr<'a>(string: *const c_char) -> Option<&'a CStr> {
    if string.is_null() {
        return None;
    }
    // SAFETY: not NULL, and the caller guarantees it is NUL-terminated and valid for `'a`.
    Some(unsafe { CStr::from_ptr(string) })
}

/// Checks that a NUL-terminated string argument is UTF-8.
pub(crate) fn utf8_argument<'a>(name: &str, string: &'a CStr) -> Result<&'a str, Failure> {
    string.to_str().map_err(|_| {
        Failure::new(
            pex_result::InvalidUtf8,
            format!("the `{name}` argument `{}` is not valid UTF-8", string.to_string_lossy()),
        )
    })
}

/// The value an export returns when a pointer argument is NULL.
pub(crate) trait NullParameterOrDefault {
    /// `argument` is the parameter's name, for the error message.
    fn null_parameter(argument: &'static str) -> Self;
}

impl NullParameterOrDefault for pex_result {
    fn null_parameter(_argument: &'static str) -> Self {
        pex_result::NullParameter
    }
}

impl<T> NullParameterOrDefault for *mut T {
    fn null_parameter(_argument: &'static str) -> Self {
        std::ptr::null_mut()
    }
}

impl<T> NullParameterOrDefault for *const T {
    fn null_parameter(_argument: &'static str) -> Self {
        std::ptr::null()
    }
}

impl NullParameterOrDefault for () {
    fn null_parameter(_argument: &'static str) -> Self {}
}

impl<T> NullParameterOrDefault for Result<T, Failure> {
    fn null_parameter(argument: &'static str) -> Self {
        Err(Failure::null_parameter(argument))
    }
}

/// `try_ref!(handle)`: borrows the value behind a Box handle argument, or returns early if it
/// is NULL. The export's "# Safety" section must require `handle` to be NULL or live.
macro_rules! try_ref {
    ($handle:ident) => {{
        let handle = $handle;
        // SAFETY: every export using this macro requires, in its "# Safety" section, that this
        // argument is NULL or a live handle not being mutated by another thread.
        match unsafe { $crate::ffi::try_from(handle) } {
            Some(value) => value,
            None => {
                return $crate::ffi::NullParameterOrDefault::null_parameter(stringify!($handle));
            }
        }
    }};
}

/// `try_c_str!(string)`: borrows a NUL-terminated string argument as a `&CStr`, or returns
/// early if it is NULL. The export's "# Safety" section must require `string` to be NULL or
/// NUL-terminated.
macro_rules! try_c_str {
    ($string:ident) => {{
        let string = $string;
        // SAFETY: every export using this macro requires, in its "# Safety" section, that this
        // argument is NULL or a NUL-terminated string valid for the whole call.
        match unsafe { $crate::ffi::c_str_from_ptr(string) } {
            Some(value) => value,
            None => {
                return $crate::ffi::NullParameterOrDefault::null_parameter(stringify!($string));
            }
        }
    }};
}

pub(crate) use {try_c_str, try_ref};
