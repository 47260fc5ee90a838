//! `pexffi`: the C ABI of pex-rs, built as `libpex` (cdylib, staticlib and rlib).
//!
//! The header `pexffi/include/pex.h` is generated from this crate by cbindgen and committed; it
//! is the primary documentation for C users, so the `///` docs here are written for them
//! (C names, `NULL`, who frees what). The rules (`docs/ffi.md` for users), in short:
//!
//! - Every symbol starts with `pex_`. Handles are opaque `pex_<noun>` types made by
//!   `pex_<noun>_new` and destroyed by `pex_<noun>_free`, which accepts `NULL`.
//! - Every fallible function returns a [`pex_result`]; those that can fail for more than a NULL
//!   handle take an optional [`pex_error`] last, which on failure receives the code, the whole
//!   message chain and the hints.
//! - Out-parameters come last (before the error object) and are written only on success.
//! - Every exported body runs behind a panic boundary: a panic becomes `PEX_RESULT_PANIC` (or
//!   `NULL`) and never unwinds into C or aborts the host process.
//! - Strings the library allocates are freed with [`pex_string_free`], never with `free()`.
//!
//! ABI stability: none before 1.0. A program must be built against the `pex.h` of the exact
//! library version it loads; compare [`pex_version`] with `PEX_VERSION` at start-up.
//!
//! | module | owns |
//! | --- | --- |
//! | `ffi` | casting handles to the Rust values behind them, and the `NULL` checks |
//! | `panic` | the panic boundary around every exported body |
//! | `result` | `pex_result` and the one mapping from `pexcore::ErrorKind` |
//! | `error` | the `pex_error` object and the internal `Failure` that fills it |
//! | `string` | strings handed to C, and `pex_string_free` |
//! | `version` | `pex_version` |
//! | `progress` | progress events to a C callback, and the `pex_cancel` flag |
//! | `options` | the option handles `pex_build_options` and `pex_install_options` |
//! | `inspect` | `pex_inspect`: read a PEX's PEX-INFO |
//! | `build` | `pex_build` and its report, `pex_resolve`, `pex_lock`, `pex_download` |
//! | `install` | `pex_extract`, `pex_verify`, `pex_venv`, `pex_prune` (the `PEX_ROOT`) |
//! | `cache` | `pex_cache_info`, `pex_cache_prune` (the build cache) |

// C names (`pex_error`, `pex_result`) are part of the ABI and follow C conventions.
#![expect(non_camel_case_types, reason = "the exported type names are the C names")]

mod error;
mod ffi;
mod panic;
mod result;
mod string;
mod version;
mod progress;
mod options;
mod inspect;
mod build;
mod install;
mod cache;

/// A real PEX for the unit tests to inspect.
#[cfg(test)]
mod test_pex;

pub use build::{
    pex_build, pex_build_report, pex_build_report_free, pex_build_report_input, pex_build_report_input_count,
    pex_build_report_pex_info, pex_build_report_size, pex_download, pex_lock, pex_resolve,
};
pub use cache::{pex_cache_info, pex_cache_prune};
pub use error::{pex_error, pex_error_code, pex_error_free, pex_error_hints, pex_error_message, pex_error_new};
pub use inspect::pex_inspect;
pub use install::{pex_extract, pex_prune, pex_venv, pex_venv_scope, pex_verify};
pub use options::*;
pub use progress::{
    pex_cancel, pex_cancel_free, pex_cancel_new, pex_cancel_request, pex_progress, pex_progress_callback,
    pex_progress_kind,
};
pub use result::pex_result;
pub use string::pex_string_free;
pub use version::pex_version;
