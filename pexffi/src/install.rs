//! The operations on a built PEX and a `PEX_ROOT`: `pex_extract`, `pex_verify`, `pex_venv`,
//! `pex_prune`.

use std::ffi::c_char;
use std::time::Duration;

use camino::Utf8Path;

use crate::error::{Failure, pex_error};
use crate::ffi::{try_c_str, utf8_argument};
use crate::options::{pex_install_options, settings_of};
use crate::panic::ffi_panic_boundary;
use crate::result::pex_result;
use crate::string::store_json;

/// Installs the PEX at `pex` into the `PEX_ROOT` of `options` ahead of time (wheels, user code,
/// its virtual environment, bytecode), as its first start would, so that a read-only root
/// starts warm.
///
/// On success stores in `*out_json` (if not NULL) a JSON object the caller frees with
/// `pex_string_free()`: `{"installed": [paths installed by this call], "entries": [every
/// entry of the PEX]}`. Codes: `PEX_RESULT_NULL_PARAMETER`, `PEX_RESULT_INVALID_UTF8`,
/// `PEX_RESULT_INVALID_ARGUMENT` (no such file), `PEX_RESULT_INVALID_ARCHIVE`,
/// `PEX_RESULT_HASH_MISMATCH`, `PEX_RESULT_INTERPRETER`, `PEX_RESULT_IO`,
/// `PEX_RESULT_LOCK_TIMEOUT`.
///
/// # Safety
///
/// `options` is NULL or a live handle; `pex` is NULL or NUL-terminated; `out_json` is NULL or
/// writable; `error` is NULL or a live error object no other thread uses.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn pex_extract(
    options: *const pex_install_options,
    pex: *const c_char,
    out_json: *mut *mut c_char,
    error: *mut pex_error,
) -> pex_result {
    ffi_panic_boundary! { error: error;
        // SAFETY: the caller guarantees `options` is NULL or live.
        let settings = unsafe { settings_of(options) }?;
        let pex = Utf8Path::new(utf8_argument("pex", try_c_str!(pex))?);
        let report = pexcore::extract_pex(pex, &settings.to_pexcore()?)?;
        let json = serde_json::json!({"installed": report.installed, "entries": report.entries});
        // SAFETY: the caller guarantees `out_json` is NULL or writable. Last step.
        unsafe { store_json(out_json, &json, "the extract report") }
    }
}

/// Checks what the `PEX_ROOT` of `options` holds for the PEX at `pex` against the PEX, file by
/// file, and repairs what differs. On success stores in `*out_json` (if not NULL) a JSON array of
/// lines, one per entry: `"ok PATH"` or `"repaired PATH: WHAT"`. Codes as for `pex_extract()`.
///
/// # Safety
///
/// As for `pex_extract()`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn pex_verify(
    options: *const pex_install_options,
    pex: *const c_char,
    out_json: *mut *mut c_char,
    error: *mut pex_error,
) -> pex_result {
    ffi_panic_boundary! { error: error;
        // SAFETY: the caller guarantees `options` is NULL or live.
        let settings = unsafe { settings_of(options) }?;
        let pex = Utf8Path::new(utf8_argument("pex", try_c_str!(pex))?);
        let lines = pexcore::verify_pex(pex, &settings.to_pexcore()?)?;
        // SAFETY: the caller guarantees `out_json` is NULL or writable. Last step.
        unsafe { store_json(out_json, &serde_json::json!(lines), "the verify report") }
    }
}

/// What part of a PEX `pex_venv()` installs (the `scope` argument, a `uint32_t`).
#[repr(u32)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum pex_venv_scope {
    /// The dependencies and the sources: a venv that runs the application.
    All = 0,
    /// Only the dependencies (a container layer that changes rarely).
    Dependencies = 1,
    /// Only the sources (the layer that changes with each release).
    Sources = 2,
}

/// Installs the PEX at `pex` as a standalone virtual environment at `destination` (copies, no
/// link into the `PEX_ROOT`), all of it or the part `scope` (a `pex_venv_scope`) says. Codes as
/// for `pex_extract()`, and `PEX_RESULT_INVALID_ARGUMENT` for a `scope` that is no
/// `pex_venv_scope`.
///
/// # Safety
///
/// As for `pex_extract()`; `destination` is NULL or NUL-terminated.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn pex_venv(
    options: *const pex_install_options,
    pex: *const c_char,
    destination: *const c_char,
    scope: u32,
    error: *mut pex_error,
) -> pex_result {
    ffi_panic_boundary! { error: error;
        // SAFETY: the caller guarantees `options` is NULL or live.
        let settings = unsafe { settings_of(options) }?;
        let pex = Utf8Path::new(utf8_argument("pex", try_c_str!(pex))?);
        let destination = Utf8Path::new(utf8_argument("destination", try_c_str!(destination))?);
        // A C enum argument can hold any value, so it is taken as a number and checked.
        let scope = match scope {
            scope if scope == pex_venv_scope::All as u32 => pexcore::VenvScope::All,
            scope if scope == pex_venv_scope::Dependencies as u32 => pexcore::VenvScope::Dependencies,
            scope if scope == pex_venv_scope::Sources as u32 => pexcore::VenvScope::Sources,
            other => {
                return Err(Failure::new(
                    pex_result::InvalidArgument,
                    format!("the `scope` argument is {other}, which is no `pex_venv_scope`"),
                ));
            }
        };
        pexcore::venv_pex(pex, destination, scope, &settings.to_pexcore()?)?;
        Ok(())
    }
}

/// Removes from the `PEX_ROOT` of `options` the virtual environments not used for
/// `older_than_seconds`, then the installs no remaining environment uses; first waits at most
/// `wait_seconds` until no PEX runs from that root (else fails with `PEX_RESULT_LOCK_TIMEOUT`).
///
/// On success stores in `*out_json` (if not NULL) a JSON object the caller frees with
/// `pex_string_free()`: `{"removed": [directories], "bytes": 123}`.
///
/// # Safety
///
/// `options` is NULL or a live handle; `out_json` is NULL or writable; `error` is NULL or a live
/// error object no other thread uses.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn pex_prune(
    options: *const pex_install_options,
    older_than_seconds: u64,
    wait_seconds: u64,
    out_json: *mut *mut c_char,
    error: *mut pex_error,
) -> pex_result {
    ffi_panic_boundary! { error: error;
        // SAFETY: the caller guarantees `options` is NULL or live.
        let settings = unsafe { settings_of(options) }?;
        let report = pexcore::prune_pex_root(
            &settings.pex_root()?,
            Duration::from_secs(older_than_seconds),
            Duration::from_secs(wait_seconds),
        )?;
        let json = serde_json::json!({"removed": report.removed, "bytes": report.bytes});
        // SAFETY: the caller guarantees `out_json` is NULL or writable. Last step.
        unsafe { store_json(out_json, &json, "the prune report") }
    }
}
