//! The operations on a built PEX and a `PEX_ROOT`: `pex_extract`, `pex_verify`, `pex_venv`,
//! `pex_prune`.

use std::ffi::c_char;
use std::time::Duration;

use camino::Utf8Path;

use crate::error::pex_error;
use crate::ffi::{try_c_str, utf8_argument};
use crate::options::{install_settings, pex_install_options};
use crate::panic::ffi_panic_boundary;
use crate::result::pex_result;
use crate::string::into_owned_c_string;

/// Stores `json` in `*out_json` when the caller asked for it (`out_json` not NULL).
///
/// # Safety
///
/// `out_json` is NULL or writable.
unsafe fn store_json(
    out_json: *mut *mut c_char,
    json: &serde_json::Value,
    what: &str,
) -> Result<(), crate::error::Failure> {
    if out_json.is_null() {
        return Ok(());
    }
    let json = into_owned_c_string(json.to_string(), what)?;
    // SAFETY: not NULL, and the caller guarantees it is writable.
    unsafe { out_json.write(json) };
    Ok(())
}

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
/// `pex` is NULL or NUL-terminated; `options` is NULL or a live handle no thread modifies during
/// the call; `out_json` is NULL or writable; `error` is NULL or a live error object no other
/// thread uses.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn pex_extract(
    pex: *const c_char,
    options: *const pex_install_options,
    out_json: *mut *mut c_char,
    error: *mut pex_error,
) -> pex_result {
    ffi_panic_boundary! { error: error;
        let pex = Utf8Path::new(utf8_argument("pex", try_c_str!(pex))?);
        // SAFETY: the caller guarantees `options` is NULL or live and unmodified.
        let settings = unsafe { install_settings(options) }?;
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
    pex: *const c_char,
    options: *const pex_install_options,
    out_json: *mut *mut c_char,
    error: *mut pex_error,
) -> pex_result {
    ffi_panic_boundary! { error: error;
        let pex = Utf8Path::new(utf8_argument("pex", try_c_str!(pex))?);
        // SAFETY: the caller guarantees `options` is NULL or live and unmodified.
        let settings = unsafe { install_settings(options) }?;
        let lines = pexcore::verify_pex(pex, &settings.to_pexcore()?)?;
        // SAFETY: the caller guarantees `out_json` is NULL or writable. Last step.
        unsafe { store_json(out_json, &serde_json::json!(lines), "the verify report") }
    }
}

/// What part of a PEX `pex_venv()` installs.
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
/// link into the `PEX_ROOT`), all of it or the part `scope` says. Codes as for `pex_extract()`.
///
/// # Safety
///
/// As for `pex_extract()`; `destination` is NULL or NUL-terminated.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn pex_venv(
    pex: *const c_char,
    destination: *const c_char,
    scope: pex_venv_scope,
    options: *const pex_install_options,
    error: *mut pex_error,
) -> pex_result {
    ffi_panic_boundary! { error: error;
        let pex = Utf8Path::new(utf8_argument("pex", try_c_str!(pex))?);
        let destination = Utf8Path::new(utf8_argument("destination", try_c_str!(destination))?);
        // SAFETY: the caller guarantees `options` is NULL or live and unmodified.
        let settings = unsafe { install_settings(options) }?;
        let scope = match scope {
            pex_venv_scope::All => pexcore::VenvScope::All,
            pex_venv_scope::Dependencies => pexcore::VenvScope::Dependencies,
            pex_venv_scope::Sources => pexcore::VenvScope::Sources,
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
/// `options` is NULL or a live handle no thread modifies during the call; `out_json` is NULL or
/// writable; `error` is NULL or a live error object no other thread uses.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn pex_prune(
    options: *const pex_install_options,
    older_than_seconds: u64,
    wait_seconds: u64,
    out_json: *mut *mut c_char,
    error: *mut pex_error,
) -> pex_result {
    ffi_panic_boundary! { error: error;
        // SAFETY: the caller guarantees `options` is NULL or live and unmodified.
        let settings = unsafe { install_settings(options) }?;
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
