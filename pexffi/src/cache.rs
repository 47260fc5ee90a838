//! The build cache: `pex_cache_info` and `pex_cache_prune`, on the cache that build options
//! name (`pex_build_options_set_cache_dir()`, else the environment's).

use std::ffi::c_char;
use std::time::Duration;

use crate::error::pex_error;
use crate::options::{pex_build_options, settings_of};
use crate::panic::ffi_panic_boundary;
use crate::result::pex_result;
use crate::string::store_json;

/// Stores in `*out_json` (if not NULL) a JSON object describing the build cache of `options`,
/// which the caller frees with `pex_string_free()`:
/// `{"root": "/home/me/.cache/pex-rs", "buckets": [{"name": "wheels/v1", "entries": 3, "bytes": 1234}]}`.
///
/// # Safety
///
/// `options` is NULL or a live handle; `out_json` is NULL or writable; `error` is NULL or a live
/// error object no other thread uses.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn pex_cache_info(
    options: *const pex_build_options,
    out_json: *mut *mut c_char,
    error: *mut pex_error,
) -> pex_result {
    ffi_panic_boundary! { error: error;
        // SAFETY: the caller guarantees `options` is NULL or live.
        let settings = unsafe { settings_of(options) }?;
        let cache = settings.cache()?;
        let buckets: Vec<serde_json::Value> = cache
            .usage()
            .iter()
            .map(|usage| serde_json::json!({"name": usage.name, "entries": usage.entries, "bytes": usage.bytes}))
            .collect();
        let json = serde_json::json!({"root": cache.root(), "buckets": buckets});
        // SAFETY: the caller guarantees `out_json` is NULL or writable. Last step.
        unsafe { store_json(out_json, &json, "the cache report") }
    }
}

/// Removes from the build cache of `options` the entries not used for `older_than_seconds`;
/// first waits at most `wait_seconds` for running builds (else `PEX_RESULT_LOCK_TIMEOUT`). On
/// success stores in `*out_removed_bytes` (if not NULL) how many bytes were freed.
///
/// # Safety
///
/// `options` is NULL or a live handle; `out_removed_bytes` is NULL or writable; `error` is NULL or
/// a live error object no other thread uses.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn pex_cache_prune(
    options: *const pex_build_options,
    older_than_seconds: u64,
    wait_seconds: u64,
    out_removed_bytes: *mut u64,
    error: *mut pex_error,
) -> pex_result {
    ffi_panic_boundary! { error: error;
        // SAFETY: the caller guarantees `options` is NULL or live.
        let settings = unsafe { settings_of(options) }?;
        let (_, bytes) = settings
            .cache()?
            .prune(Duration::from_secs(older_than_seconds), Duration::from_secs(wait_seconds))
            .map_err(pexcore::Error::from)?;
        if !out_removed_bytes.is_null() {
            // SAFETY: not NULL, and the caller guarantees it is writable. Last step.
            unsafe { out_removed_bytes.write(bytes) };
        }
        Ok(())
    }
}
