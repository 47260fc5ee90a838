//! The operations on build options: `pex_build` (and its report), `pex_resolve`, `pex_lock` and
//! `pex_download`.

use std::ffi::{CString, c_char};
use std::marker::{PhantomData, PhantomPinned};

use camino::Utf8Path;

use crate::error::pex_error;
use crate::ffi::{Castable, OwnershipBox, free_box, to_boxed_mut_ptr, try_c_str, try_ref, utf8_argument};
use crate::options::{pex_build_options, settings_of};
use crate::panic::ffi_panic_boundary;
use crate::result::pex_result;
use crate::string::{c_string_escaped, store_json};

/// What `pex_build()` produced: read it with the `pex_build_report_*` functions, free it with
/// `pex_build_report_free()`. Immutable, so any number of threads may read it at once.
pub struct pex_build_report {
    _private: [u8; 0],
    _not_unpin: PhantomData<PhantomPinned>,
}

impl Castable for pex_build_report {
    type Ownership = OwnershipBox;
    type RustType = BuildReport;
}

/// A build report with its strings made C strings once, so accessors hand out pointers.
pub(crate) struct BuildReport {
    size: u64,
    pex_info: CString,
    inputs: Vec<CString>,
}

/// Builds a PEX at `output` (a NUL-terminated UTF-8 path) from `options`, as `pex-rs build`
/// does: resolves the requirements, downloads or builds the wheels, writes the file
/// atomically (a failed build leaves no file).
///
/// On success returns `PEX_RESULT_OK` and stores a new report in `*out_report`, which the caller
/// frees with `pex_build_report_free()`; `out_report` may be NULL when the report is not
/// wanted. (Every out-parameter may be NULL.) Codes: `PEX_RESULT_NULL_PARAMETER`, `PEX_RESULT_INVALID_UTF8`,
/// `PEX_RESULT_INVALID_ARGUMENT` (nothing to build, a bad requirement or entry point),
/// `PEX_RESULT_RESOLUTION_FAILED`, `PEX_RESULT_NETWORK`, `PEX_RESULT_HASH_MISMATCH`,
/// `PEX_RESULT_INVALID_ARCHIVE`, `PEX_RESULT_INTERPRETER`, `PEX_RESULT_IO`,
/// `PEX_RESULT_LOCK_TIMEOUT`, `PEX_RESULT_CANCELLED`.
///
/// Runs on the calling thread (and a pool of its own for downloads); several threads may build
/// at once, with the same or different options.
///
/// # Safety
///
/// `options` is NULL or a live handle; `output` is NULL or NUL-terminated; `out_report` is NULL
/// or writable; `error` is NULL or a live error object no other thread uses.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn pex_build(
    options: *const pex_build_options,
    output: *const c_char,
    out_report: *mut *mut pex_build_report,
    error: *mut pex_error,
) -> pex_result {
    ffi_panic_boundary! { error: error;
        // SAFETY: the caller guarantees `options` is NULL or live.
        let settings = unsafe { settings_of(options) }?;
        let output = Utf8Path::new(utf8_argument("output", try_c_str!(output))?);
        let (options, _guard) = settings.to_pexcore()?;
        let report = pexcore::build_pex(&options, output)?;
        if out_report.is_null() {
            return Ok(());
        }
        // Nothing fails after the PEX is written: a NUL (which neither JSON nor a path holds) would
        // be escaped.
        let report = BuildReport {
            size: report.size,
            pex_info: c_string_escaped(&report.pex_info.to_json()),
            inputs: report.inputs.iter().map(|input| c_string_escaped(input.as_str())).collect(),
        };
        // SAFETY: `out_report` is not NULL, and the caller guarantees it is writable. Last step.
        unsafe { out_report.write(to_boxed_mut_ptr::<pex_build_report>(report)) };
        Ok(())
    }
}

/// The size of the PEX file in bytes; 0 if `report` is NULL.
///
/// # Safety
///
/// `report` is NULL or a live report.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn pex_build_report_size(report: *const pex_build_report) -> u64 {
    ffi_panic_boundary! {
        match report_ref(report) {
            Some(report) => report.size,
            None => 0,
        }
    }
}

/// The PEX-INFO manifest of the PEX, as JSON (as `pex_inspect()` returns it). Owned by the
/// report: valid until it is freed. NULL if `report` is NULL.
///
/// # Safety
///
/// `report` is NULL or a live report.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn pex_build_report_pex_info(report: *const pex_build_report) -> *const c_char {
    ffi_panic_boundary! {
        try_ref!(report).pex_info.as_ptr()
    }
}

/// How many files of this machine the PEX was built from (what a make depfile lists); 0 if
/// `report` is NULL.
///
/// # Safety
///
/// `report` is NULL or a live report.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn pex_build_report_input_count(report: *const pex_build_report) -> usize {
    ffi_panic_boundary! {
        match report_ref(report) {
            Some(report) => report.inputs.len(),
            None => 0,
        }
    }
}

/// The path of input `index` (from 0, sorted), owned by the report; NULL if `report` is NULL or
/// `index` is out of range.
///
/// # Safety
///
/// `report` is NULL or a live report.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn pex_build_report_input(report: *const pex_build_report, index: usize) -> *const c_char {
    ffi_panic_boundary! {
        try_ref!(report).inputs.get(index).map_or(std::ptr::null(), |input| input.as_ptr())
    }
}

/// Frees a build report. NULL does nothing.
///
/// # Safety
///
/// `report` is NULL or a report not yet freed, which no other thread is reading.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn pex_build_report_free(report: *mut pex_build_report) {
    ffi_panic_boundary! {
        // SAFETY: the caller guarantees `report` is NULL or a live handle, freed only now.
        unsafe { free_box(report) }
    }
}

/// Borrows a report for the accessors that return a number (a NULL gives their neutral 0).
fn report_ref<'a>(report: *const pex_build_report) -> Option<&'a BuildReport> {
    // SAFETY: every caller's contract requires `report` to be NULL or a live report.
    unsafe { crate::ffi::try_from(report) }
}

/// Resolves the requirements of `options` (as `pex_build()` would) without downloading wheels,
/// and stores in `*out_json` (if not NULL) a JSON array of the chosen distributions, sorted by
/// project:
/// `[{"name": "requests", "version": "2.32.3", "file": "requests-2.32.3-py3-none-any.whl"}]`.
/// The caller frees the string with `pex_string_free()`. Codes as for `pex_build()`.
///
/// # Safety
///
/// As for `pex_build()`; `out_json` is NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn pex_resolve(
    options: *const pex_build_options,
    out_json: *mut *mut c_char,
    error: *mut pex_error,
) -> pex_result {
    ffi_panic_boundary! { error: error;
        // SAFETY: the caller guarantees `options` is NULL or live.
        let settings = unsafe { settings_of(options) }?;
        let (options, _guard) = settings.to_pexcore()?;
        let resolved = pexcore::resolve_requirements(&options)?;
        let json: Vec<serde_json::Value> = resolved
            .iter()
            .map(|wheel| serde_json::json!({"name": wheel.name, "version": wheel.version, "file": wheel.filename}))
            .collect();
        // SAFETY: the caller guarantees `out_json` is NULL or writable. Last step.
        unsafe { store_json(out_json, &serde_json::Value::Array(json), "the resolution") }
    }
}

/// Resolves the requirements of `options` and writes a PEP 751 lock file at `output`
/// (`pylock.toml` or `pylock.NAME.toml`), keeping the versions of an existing one where they
/// still fit. `universal` locks for every CPython the interpreter constraints admit on Linux,
/// macOS and Windows, rather than for the options' targets.
///
/// On success stores in `*out_json` (if not NULL) a JSON object the caller frees with
/// `pex_string_free()`: `{"packages": 12, "changes": ["+ idna 3.7", ...], "written": true}`.
/// Codes as for `pex_build()`.
///
/// # Safety
///
/// As for `pex_build()`; `out_json` is NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn pex_lock(
    options: *const pex_build_options,
    output: *const c_char,
    universal: bool,
    out_json: *mut *mut c_char,
    error: *mut pex_error,
) -> pex_result {
    ffi_panic_boundary! { error: error;
        // SAFETY: the caller guarantees `options` is NULL or live.
        let settings = unsafe { settings_of(options) }?;
        let output = utf8_argument("output", try_c_str!(output))?;
        let lock = pexcore::LockOptions::new(output.into()).with_universal(universal);
        let (options, _guard) = settings.to_pexcore()?;
        let report = pexcore::lock_requirements(&options, &lock)?;
        let json = serde_json::json!({"packages": report.packages, "changes": report.changes, "written": report.written});
        // SAFETY: the caller guarantees `out_json` is NULL or writable. Last step.
        unsafe { store_json(out_json, &json, "the lock report") }
    }
}

/// Resolves `options` (from its lock, if it has one) and copies the chosen wheels and sdists
/// into the directory `directory`, each checked against its digest, for builds on machines
/// without a network (`pex_build_options_add_find_links()` with `_set_no_index()`).
///
/// On success stores in `*out_json` (if not NULL) a JSON array of the files' paths, which the
/// caller frees with `pex_string_free()`. Codes as for `pex_build()`.
///
/// # Safety
///
/// As for `pex_build()`; `directory` is NULL or NUL-terminated; `out_json` is NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn pex_download(
    options: *const pex_build_options,
    directory: *const c_char,
    out_json: *mut *mut c_char,
    error: *mut pex_error,
) -> pex_result {
    ffi_panic_boundary! { error: error;
        // SAFETY: the caller guarantees `options` is NULL or live.
        let settings = unsafe { settings_of(options) }?;
        let directory = Utf8Path::new(utf8_argument("directory", try_c_str!(directory))?);
        let (options, _guard) = settings.to_pexcore()?;
        let files = pexcore::download_distributions(&options, directory)?;
        // SAFETY: the caller guarantees `out_json` is NULL or writable. Last step.
        unsafe { store_json(out_json, &serde_json::json!(files), "the downloaded files") }
    }
}
