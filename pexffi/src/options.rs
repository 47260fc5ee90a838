//! The option handles: `pex_build_options` (what to resolve, build or lock, and where to look)
//! and `pex_install_options` (how to install a PEX into a `PEX_ROOT`), each set through one
//! setter per option, in the rustls-ffi manner, and turned into pexcore's options when an
//! operation runs.
//!
//! Every setter is written out (cbindgen reads no macro output); the bodies share
//! [`with_text`] and [`with_options`].

use std::ffi::{OsString, c_char, c_void};
use std::marker::{PhantomData, PhantomPinned};
use std::panic::{RefUnwindSafe, UnwindSafe};
use std::sync::{PoisonError, RwLock};

use camino::Utf8PathBuf;
use pexcore::{BuildOptions, Cache, EntryPoint, InstallOptions, InterpreterConstraint, ResolveOptions};

use crate::error::{Failure, pex_error};
use crate::ffi::{Castable, OwnershipBox, free_box, to_boxed_mut_ptr, try_c_str, utf8_argument};
use crate::panic::ffi_panic_boundary;
use crate::progress::{CallbackReporter, OperationGuard, UserData, pex_cancel, pex_progress_callback};
use crate::result::pex_result;

/// What to build, resolve or lock, and where to look: the options of `pex-rs build`.
///
/// Create it with `pex_build_options_new()`, set what differs from the defaults with the
/// `pex_build_options_add_*` and `_set_*` functions, pass it to `pex_build()`, `pex_resolve()`,
/// `pex_lock()` or `pex_download()` (as often as wanted: they only read it), and free it with
/// `pex_build_options_free()`.
///
/// Defaults are those of `pex-rs build`: the interpreter `python3` found on the process's
/// `PATH`, the package index from the environment (`PEX_RS_INDEX_URL`, `PIP_INDEX_URL`, pip's
/// configuration), the build cache at `PEX_RS_CACHE_DIR` (else under `PEX_ROOT` or `HOME`),
/// bytecode compiled, entries dated `SOURCE_DATE_EPOCH` (else 1980-01-01).
///
/// Thread safety: the handle may be used from several threads at once: a setter waits for
/// other setters, and an operation takes a copy of the options when it starts (a setter called
/// during an operation changes the next one, not that one).
pub struct pex_build_options {
    _private: [u8; 0],
    _not_send_sync_unpin: PhantomData<(*mut u8, PhantomPinned)>,
}

impl Castable for pex_build_options {
    type Ownership = OwnershipBox;
    type RustType = RwLock<BuildSettings>;
}

/// What a `pex_build_options` holds.
#[derive(Clone, Debug, Default)]
pub(crate) struct BuildSettings {
    pub(crate) resolve: ResolveOptions,
    wheels: Vec<Utf8PathBuf>,
    source_directories: Vec<Utf8PathBuf>,
    entry_point: Option<EntryPoint>,
    pythons: Vec<String>,
    platforms: Vec<String>,
    complete_platforms: Vec<Utf8PathBuf>,
    constraints: Vec<InterpreterConstraint>,
    search_path: Option<OsString>,
    pub(crate) cache_dir: Option<Utf8PathBuf>,
    source_date_epoch: Option<u64>,
    no_compile: bool,
    pub(crate) reporter: CallbackReporter,
}

impl BuildSettings {
    /// The cache these options name, else the environment's.
    pub(crate) fn cache(&self) -> Result<Cache, pexcore::Error> {
        match &self.cache_dir {
            Some(directory) => Ok(Cache::new(directory.clone())),
            None => Ok(Cache::from_env()?),
        }
    }

    /// pexcore's options for these settings (the environment fills what is not set), and the
    /// guard that ends the operation's progress callbacks when it is dropped.
    pub(crate) fn to_pexcore(&self) -> Result<(BuildOptions, OperationGuard), pexcore::Error> {
        let search_path = self.search_path.clone().or_else(|| std::env::var_os("PATH"));
        // As the command does: the index, pip's configuration and credentials of the process.
        let mut resolve = self.resolve.clone();
        resolve.environment = pexcore::Environment::from_process();
        let source_date_epoch = match self.source_date_epoch {
            Some(seconds) => Some(seconds),
            None => pexcore::source_date_epoch()?,
        };
        let (reporter, guard) = self.reporter.for_operation();
        let options = BuildOptions::default()
            .with_wheels(self.wheels.clone())
            .with_source_directories(self.source_directories.clone())
            .with_entry_point(self.entry_point.clone())
            .with_targets(self.pythons.clone(), self.platforms.clone(), self.complete_platforms.clone(), search_path)
            .with_interpreter_constraints(self.constraints.clone())
            .with_cache(Some(self.cache()?))
            .with_source_date_epoch(source_date_epoch)
            .with_compile(!self.no_compile)
            .with_resolve(resolve)
            .with_reporter(reporter);
        Ok((options, guard))
    }
}

/// Creates build options with every default. Returns NULL only if pex-rs panicked.
///
/// # Safety
///
/// Always safe to call.
#[unsafe(no_mangle)]
pub extern "C" fn pex_build_options_new() -> *mut pex_build_options {
    ffi_panic_boundary! {
        to_boxed_mut_ptr::<pex_build_options>(RwLock::new(BuildSettings::default()))
    }
}

/// Frees build options. NULL does nothing.
///
/// # Safety
///
/// `options` is NULL or was returned by `pex_build_options_new()` and not yet freed, and no
/// operation is using it.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn pex_build_options_free(options: *mut pex_build_options) {
    ffi_panic_boundary! {
        // SAFETY: the caller guarantees `options` is NULL or a live handle, freed only now.
        unsafe { free_box(options) }
    }
}

/// Runs `set` on the settings behind `options` with the UTF-8 text `value` (named `argument` in
/// errors), holding the settings' write lock.
///
/// # Safety
///
/// `options` is NULL or a live handle; `value` is NULL or NUL-terminated; `error` is NULL or a
/// live error object no other thread uses.
unsafe fn with_text<T, S>(
    options: *mut T,
    value: *const c_char,
    argument: &'static str,
    error: *mut pex_error,
    set: impl FnOnce(&mut S, &str) -> Result<(), Failure> + UnwindSafe,
) -> pex_result
where
    T: Castable<Ownership = OwnershipBox, RustType = RwLock<S>> + RefUnwindSafe,
{
    ffi_panic_boundary! { error: error;
        // SAFETY: the caller guarantees `options` is NULL or a live handle.
        let Some(settings) = (unsafe { crate::ffi::try_from(options.cast_const()) }) else {
            return Err(Failure::null_parameter("options"));
        };
        let value = try_c_str!(value);
        let value = utf8_argument(argument, value)?;
        set(&mut settings.write().unwrap_or_else(PoisonError::into_inner), value)
    }
}

/// Runs `set` on the settings behind `options`, holding their write lock.
///
/// # Safety
///
/// `options` is NULL or a live handle.
unsafe fn with_options<T, S>(options: *mut T, set: impl FnOnce(&mut S) + UnwindSafe) -> pex_result
where
    T: Castable<Ownership = OwnershipBox, RustType = RwLock<S>> + RefUnwindSafe,
{
    ffi_panic_boundary! {
        // SAFETY: the caller guarantees `options` is NULL or a live handle.
        match unsafe { crate::ffi::try_from(options.cast_const()) } {
            Some(settings) => {
                set(&mut settings.write().unwrap_or_else(PoisonError::into_inner));
                pex_result::Ok
            }
            None => pex_result::NullParameter,
        }
    }
}

/// Adds a requirement to resolve: a PEP 508 requirement (`requests>=2`), a local project
/// directory, a source archive or wheel path, or a URL, as on the `pex-rs build` command line.
/// Checked when an operation runs.
///
/// # Safety
///
/// `options` is NULL or a live handle; `requirement` is NULL or a NUL-terminated string; `error`
/// is NULL or a live error object no other thread uses. (Every `pex_build_options_add_*`/`_set_*`
/// taking a string has these rules.)
#[unsafe(no_mangle)]
pub unsafe extern "C" fn pex_build_options_add_requirement(
    options: *mut pex_build_options,
    requirement: *const c_char,
    error: *mut pex_error,
) -> pex_result {
    // SAFETY: this function's contract is `with_text`'s.
    unsafe {
        with_text(options, requirement, "requirement", error, |settings, text| {
            settings.resolve.requirements.push(text.to_owned());
            Ok(())
        })
    }
}

/// Adds a requirements file (pip's format: `-r`).
///
/// # Safety
///
/// As for `pex_build_options_add_requirement()`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn pex_build_options_add_requirements_file(
    options: *mut pex_build_options,
    path: *const c_char,
    error: *mut pex_error,
) -> pex_result {
    // SAFETY: this function's contract is `with_text`'s.
    unsafe {
        with_text(options, path, "path", error, |settings, text| {
            settings.resolve.requirement_files.push(text.into());
            Ok(())
        })
    }
}

/// Adds a constraints file (pip's `--constraint`).
///
/// # Safety
///
/// As for `pex_build_options_add_requirement()`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn pex_build_options_add_constraints_file(
    options: *mut pex_build_options,
    path: *const c_char,
    error: *mut pex_error,
) -> pex_result {
    // SAFETY: this function's contract is `with_text`'s.
    unsafe {
        with_text(options, path, "path", error, |settings, text| {
            settings.resolve.constraint_files.push(text.into());
            Ok(())
        })
    }
}

/// Adds a wheel file to bundle as it is.
///
/// # Safety
///
/// As for `pex_build_options_add_requirement()`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn pex_build_options_add_wheel(
    options: *mut pex_build_options,
    path: *const c_char,
    error: *mut pex_error,
) -> pex_result {
    // SAFETY: this function's contract is `with_text`'s.
    unsafe {
        with_text(options, path, "path", error, |settings, text| {
            settings.wheels.push(text.into());
            Ok(())
        })
    }
}

/// Adds a directory whose files go to the root of the PEX (`-D`): the application's own code.
///
/// # Safety
///
/// As for `pex_build_options_add_requirement()`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn pex_build_options_add_source_directory(
    options: *mut pex_build_options,
    path: *const c_char,
    error: *mut pex_error,
) -> pex_result {
    // SAFETY: this function's contract is `with_text`'s.
    unsafe {
        with_text(options, path, "path", error, |settings, text| {
            settings.source_directories.push(text.into());
            Ok(())
        })
    }
}

/// Builds from this lock file (`pylock.toml`, or a pex JSON lock) instead of asking an index; the
/// requirements, if any, choose a subset of it.
///
/// # Safety
///
/// As for `pex_build_options_add_requirement()`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn pex_build_options_set_lock_file(
    options: *mut pex_build_options,
    path: *const c_char,
    error: *mut pex_error,
) -> pex_result {
    // SAFETY: this function's contract is `with_text`'s.
    unsafe {
        with_text(options, path, "path", error, |settings, text| {
            settings.resolve.lock = Some(text.into());
            Ok(())
        })
    }
}

/// Sets what the PEX runs: a module (`app`, run like `python -m app`) or a function
/// (`app.cli:main`). Fails with `PEX_RESULT_INVALID_ARGUMENT` if it is neither.
///
/// # Safety
///
/// As for `pex_build_options_add_requirement()`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn pex_build_options_set_entry_point(
    options: *mut pex_build_options,
    entry_point: *const c_char,
    error: *mut pex_error,
) -> pex_result {
    // SAFETY: this function's contract is `with_text`'s.
    unsafe {
        with_text(options, entry_point, "entry_point", error, |settings, text| {
            settings.entry_point = Some(EntryPoint::parse_module(text).map_err(pexcore::Error::from)?);
            Ok(())
        })
    }
}

/// Sets what the PEX runs to a console script of one of its distributions (`-c`).
///
/// # Safety
///
/// As for `pex_build_options_add_requirement()`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn pex_build_options_set_script(
    options: *mut pex_build_options,
    script: *const c_char,
    error: *mut pex_error,
) -> pex_result {
    // SAFETY: this function's contract is `with_text`'s.
    unsafe {
        with_text(options, script, "script", error, |settings, text| {
            settings.entry_point = Some(EntryPoint::Script(text.to_owned()));
            Ok(())
        })
    }
}

/// Adds an interpreter to build for: a name looked up on the search path (`python3.12`) or a
/// path. With none (and no platform), `python3`.
///
/// # Safety
///
/// As for `pex_build_options_add_requirement()`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn pex_build_options_add_python(
    options: *mut pex_build_options,
    python: *const c_char,
    error: *mut pex_error,
) -> pex_result {
    // SAFETY: this function's contract is `with_text`'s.
    unsafe {
        with_text(options, python, "python", error, |settings, text| {
            settings.pythons.push(text.to_owned());
            Ok(())
        })
    }
}

/// Adds a platform to build for, abbreviated as pex writes it (`manylinux2014_x86_64-cp-311-cp311`).
///
/// # Safety
///
/// As for `pex_build_options_add_requirement()`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn pex_build_options_add_platform(
    options: *mut pex_build_options,
    platform: *const c_char,
    error: *mut pex_error,
) -> pex_result {
    // SAFETY: this function's contract is `with_text`'s.
    unsafe {
        with_text(options, platform, "platform", error, |settings, text| {
            settings.platforms.push(text.to_owned());
            Ok(())
        })
    }
}

/// Adds a complete platform file to build for (JSON, as `pex-rs interpreter --complete-platform`
/// writes it).
///
/// # Safety
///
/// As for `pex_build_options_add_requirement()`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn pex_build_options_add_complete_platform(
    options: *mut pex_build_options,
    path: *const c_char,
    error: *mut pex_error,
) -> pex_result {
    // SAFETY: this function's contract is `with_text`'s.
    unsafe {
        with_text(options, path, "path", error, |settings, text| {
            settings.complete_platforms.push(text.into());
            Ok(())
        })
    }
}

/// Adds an interpreter constraint (`CPython>=3.9,<3.13`); the PEX runs under interpreters that
/// meet any of them. Fails with `PEX_RESULT_INVALID_ARGUMENT` if it does not parse.
///
/// # Safety
///
/// As for `pex_build_options_add_requirement()`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn pex_build_options_add_interpreter_constraint(
    options: *mut pex_build_options,
    constraint: *const c_char,
    error: *mut pex_error,
) -> pex_result {
    // SAFETY: this function's contract is `with_text`'s.
    unsafe {
        with_text(options, constraint, "constraint", error, |settings, text| {
            let constraint = text
                .parse::<InterpreterConstraint>()
                .map_err(|reason| Failure::new(pex_result::InvalidArgument, reason.to_string()))?;
            settings.constraints.push(constraint);
            Ok(())
        })
    }
}

/// Sets the list of directories interpreters are looked up in, as a `PATH` value (`:`-separated).
/// Defaults to the process's `PATH`.
///
/// # Safety
///
/// As for `pex_build_options_add_requirement()`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn pex_build_options_set_search_path(
    options: *mut pex_build_options,
    search_path: *const c_char,
    error: *mut pex_error,
) -> pex_result {
    // SAFETY: this function's contract is `with_text`'s.
    unsafe {
        with_text(options, search_path, "search_path", error, |settings, text| {
            settings.search_path = Some(text.into());
            Ok(())
        })
    }
}

/// Sets the build cache directory (downloads, built wheels, interpreter probes).
///
/// # Safety
///
/// As for `pex_build_options_add_requirement()`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn pex_build_options_set_cache_dir(
    options: *mut pex_build_options,
    path: *const c_char,
    error: *mut pex_error,
) -> pex_result {
    // SAFETY: this function's contract is `with_text`'s.
    unsafe {
        with_text(options, path, "path", error, |settings, text| {
            settings.cache_dir = Some(text.into());
            Ok(())
        })
    }
}

/// Sets the package index (a PEP 503 simple repository URL), instead of the environment's.
///
/// # Safety
///
/// As for `pex_build_options_add_requirement()`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn pex_build_options_set_index_url(
    options: *mut pex_build_options,
    url: *const c_char,
    error: *mut pex_error,
) -> pex_result {
    // SAFETY: this function's contract is `with_text`'s.
    unsafe {
        with_text(options, url, "url", error, |settings, text| {
            settings.resolve.index_url = Some(text.to_owned());
            Ok(())
        })
    }
}

/// Adds an index to ask besides the main one.
///
/// # Safety
///
/// As for `pex_build_options_add_requirement()`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn pex_build_options_add_extra_index_url(
    options: *mut pex_build_options,
    url: *const c_char,
    error: *mut pex_error,
) -> pex_result {
    // SAFETY: this function's contract is `with_text`'s.
    unsafe {
        with_text(options, url, "url", error, |settings, text| {
            settings.resolve.extra_index_urls.push(text.to_owned());
            Ok(())
        })
    }
}

/// Adds a directory of distributions, or the URL of a page that links to them (`--find-links`).
///
/// # Safety
///
/// As for `pex_build_options_add_requirement()`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn pex_build_options_add_find_links(
    options: *mut pex_build_options,
    location: *const c_char,
    error: *mut pex_error,
) -> pex_result {
    // SAFETY: this function's contract is `with_text`'s.
    unsafe {
        with_text(options, location, "location", error, |settings, text| {
            settings.resolve.find_links.push(text.to_owned());
            Ok(())
        })
    }
}

/// Sets a PEM bundle of certificate authorities that replaces the system trust store.
///
/// # Safety
///
/// As for `pex_build_options_add_requirement()`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn pex_build_options_set_cert(
    options: *mut pex_build_options,
    path: *const c_char,
    error: *mut pex_error,
) -> pex_result {
    // SAFETY: this function's contract is `with_text`'s.
    unsafe {
        with_text(options, path, "path", error, |settings, text| {
            settings.resolve.network.cert = Some(text.into());
            Ok(())
        })
    }
}

/// Asks no index, only the find-links locations (`--no-index`). Returns
/// `PEX_RESULT_NULL_PARAMETER` if `options` is NULL. (Every boolean and number setter is like
/// this.)
///
/// # Safety
///
/// `options` is NULL or a live handle.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn pex_build_options_set_no_index(options: *mut pex_build_options, no_index: bool) -> pex_result {
    // SAFETY: this function's contract is `with_options`'s.
    unsafe { with_options(options, |settings| settings.resolve.no_index = no_index) }
}

/// Uses only the build cache, never the network (`--offline`).
///
/// # Safety
///
/// As for `pex_build_options_set_no_index()`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn pex_build_options_set_offline(options: *mut pex_build_options, offline: bool) -> pex_result {
    // SAFETY: this function's contract is `with_options`'s.
    unsafe { with_options(options, |settings| settings.resolve.offline = offline) }
}

/// Allows pre-releases (`--pre`).
///
/// # Safety
///
/// As for `pex_build_options_set_no_index()`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn pex_build_options_set_pre(options: *mut pex_build_options, pre: bool) -> pex_result {
    // SAFETY: this function's contract is `with_options`'s.
    unsafe { with_options(options, |settings| settings.resolve.pre = pre) }
}

/// Builds nothing from source, not even local projects (`--no-build`).
///
/// # Safety
///
/// As for `pex_build_options_set_no_index()`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn pex_build_options_set_no_build(options: *mut pex_build_options, no_build: bool) -> pex_result {
    // SAFETY: this function's contract is `with_options`'s.
    unsafe { with_options(options, |settings| settings.resolve.no_build = no_build) }
}

/// Whether the PEX carries the bytecode of its modules (default `true`).
///
/// # Safety
///
/// As for `pex_build_options_set_no_index()`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn pex_build_options_set_compile(options: *mut pex_build_options, compile: bool) -> pex_result {
    // SAFETY: this function's contract is `with_options`'s.
    unsafe { with_options(options, |settings| settings.no_compile = !compile) }
}

/// How many times a failed request is tried again (default 5).
///
/// # Safety
///
/// As for `pex_build_options_set_no_index()`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn pex_build_options_set_retries(options: *mut pex_build_options, retries: u32) -> pex_result {
    // SAFETY: this function's contract is `with_options`'s.
    unsafe { with_options(options, |settings| settings.resolve.network.retries = retries) }
}

/// Seconds without progress before a request fails (default 15).
///
/// # Safety
///
/// As for `pex_build_options_set_no_index()`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn pex_build_options_set_timeout(options: *mut pex_build_options, seconds: u64) -> pex_result {
    // SAFETY: this function's contract is `with_options`'s.
    unsafe {
        with_options(options, |settings| settings.resolve.network.timeout = std::time::Duration::from_secs(seconds))
    }
}

/// Dates every entry of the PEX `seconds` after 1970 (as `SOURCE_DATE_EPOCH` does).
///
/// # Safety
///
/// As for `pex_build_options_set_no_index()`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn pex_build_options_set_source_date_epoch(
    options: *mut pex_build_options,
    seconds: u64,
) -> pex_result {
    // SAFETY: this function's contract is `with_options`'s.
    unsafe { with_options(options, |settings| settings.source_date_epoch = Some(seconds)) }
}

/// Sets the function that receives progress events (see `pex_progress_callback` for the threads
/// it is called on), and the `userdata` pointer passed to it. NULL `callback` turns progress off.
///
/// # Safety
///
/// `options` is NULL or a live handle. `callback` is NULL or a function that may be called from
/// any thread, several at once, with `userdata`, while an operation runs with these options.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn pex_build_options_set_progress(
    options: *mut pex_build_options,
    callback: pex_progress_callback,
    userdata: *mut c_void,
) -> pex_result {
    // SAFETY: this function's contract is `with_options`'s.
    unsafe {
        with_options(options, |settings| {
            settings.reporter.callback = callback;
            settings.reporter.userdata = Some(UserData(userdata));
        })
    }
}

/// Adds a cancellation flag to the options: an operation running with them stops at its next
/// step once any of their flags is raised (`pex_cancel_request()`), with
/// `PEX_RESULT_CANCELLED`. The options keep their own reference to the flag.
///
/// # Safety
///
/// `options` is NULL or a live handle; `cancel` is NULL or a live flag from `pex_cancel_new()`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn pex_build_options_add_cancel(
    options: *mut pex_build_options,
    cancel: *const pex_cancel,
) -> pex_result {
    ffi_panic_boundary! {
        // SAFETY: the caller guarantees `cancel` is NULL or a live flag.
        match unsafe { crate::ffi::try_from(cancel) }.cloned() {
            // SAFETY: this function's contract is `with_options`'s.
            Some(flag) => unsafe { with_options(options, move |settings: &mut BuildSettings| settings.reporter.cancels.push(flag)) },
            None => pex_result::NullParameter,
        }
    }
}

/// How to install a PEX into a `PEX_ROOT`: for `pex_extract()`, `pex_verify()` and `pex_venv()`.
///
/// Create it with `pex_install_options_new()`, set what differs from the defaults, and free it
/// with `pex_install_options_free()`. Defaults: the `PEX_ROOT` of the environment (else
/// `~/.cache/pex-rs`), the interpreter `python3` on the process's `PATH`, bytecode compiled.
///
/// Thread safety: as for `pex_build_options`.
pub struct pex_install_options {
    _private: [u8; 0],
    _not_send_sync_unpin: PhantomData<(*mut u8, PhantomPinned)>,
}

impl Castable for pex_install_options {
    type Ownership = OwnershipBox;
    type RustType = RwLock<InstallSettings>;
}

/// What a `pex_install_options` holds.
#[derive(Clone, Debug, Default)]
pub(crate) struct InstallSettings {
    pub(crate) pex_root: Option<Utf8PathBuf>,
    python: Option<String>,
    search_path: Option<OsString>,
    cache_dir: Option<Utf8PathBuf>,
    no_compile: bool,
}

impl InstallSettings {
    /// The `PEX_ROOT` these options name, else the environment's.
    pub(crate) fn pex_root(&self) -> Result<Utf8PathBuf, Failure> {
        if let Some(root) = &self.pex_root {
            return Ok(root.clone());
        }
        let root = pexcore::pex_root().ok_or(pexcore::Error::NoPexRoot)?;
        Utf8PathBuf::from_path_buf(root).map_err(|root| {
            Failure::new(
                pex_result::InvalidArgument,
                format!("the PEX_ROOT `{}` is not valid UTF-8; choose another", root.display()),
            )
        })
    }

    /// pexcore's options for these settings; the environment fills what is not set.
    pub(crate) fn to_pexcore(&self) -> Result<InstallOptions, Failure> {
        let search_path = self.search_path.clone().or_else(|| std::env::var_os("PATH"));
        Ok(InstallOptions::new(self.pex_root()?)
            .with_python(self.python.clone().unwrap_or_else(|| "python3".to_owned()), search_path)
            .with_cache(Some(match &self.cache_dir {
                Some(directory) => Cache::new(directory.clone()),
                None => Cache::from_env().map_err(pexcore::Error::from)?,
            }))
            .with_compile(!self.no_compile))
    }
}

/// Creates install options with every default. Returns NULL only if pex-rs panicked.
///
/// # Safety
///
/// Always safe to call.
#[unsafe(no_mangle)]
pub extern "C" fn pex_install_options_new() -> *mut pex_install_options {
    ffi_panic_boundary! {
        to_boxed_mut_ptr::<pex_install_options>(RwLock::new(InstallSettings::default()))
    }
}

/// Frees install options. NULL does nothing.
///
/// # Safety
///
/// `options` is NULL or was returned by `pex_install_options_new()` and not yet freed, and no
/// operation is using it.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn pex_install_options_free(options: *mut pex_install_options) {
    ffi_panic_boundary! {
        // SAFETY: the caller guarantees `options` is NULL or a live handle, freed only now.
        unsafe { free_box(options) }
    }
}

/// Sets the `PEX_ROOT` to install into.
///
/// # Safety
///
/// As for `pex_build_options_add_requirement()`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn pex_install_options_set_pex_root(
    options: *mut pex_install_options,
    path: *const c_char,
    error: *mut pex_error,
) -> pex_result {
    // SAFETY: this function's contract is `with_text`'s.
    unsafe {
        with_text(options, path, "path", error, |settings, text| {
            settings.pex_root = Some(text.into());
            Ok(())
        })
    }
}

/// Sets the interpreter the PEX will run under: a name on the search path, or a path.
///
/// # Safety
///
/// As for `pex_build_options_add_requirement()`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn pex_install_options_set_python(
    options: *mut pex_install_options,
    python: *const c_char,
    error: *mut pex_error,
) -> pex_result {
    // SAFETY: this function's contract is `with_text`'s.
    unsafe {
        with_text(options, python, "python", error, |settings, text| {
            settings.python = Some(text.to_owned());
            Ok(())
        })
    }
}

/// Sets the directories the interpreter is looked up in, as a `PATH` value.
///
/// # Safety
///
/// As for `pex_build_options_add_requirement()`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn pex_install_options_set_search_path(
    options: *mut pex_install_options,
    search_path: *const c_char,
    error: *mut pex_error,
) -> pex_result {
    // SAFETY: this function's contract is `with_text`'s.
    unsafe {
        with_text(options, search_path, "search_path", error, |settings, text| {
            settings.search_path = Some(text.into());
            Ok(())
        })
    }
}

/// Sets the build cache directory, where interpreter probes are kept.
///
/// # Safety
///
/// As for `pex_build_options_add_requirement()`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn pex_install_options_set_cache_dir(
    options: *mut pex_install_options,
    path: *const c_char,
    error: *mut pex_error,
) -> pex_result {
    // SAFETY: this function's contract is `with_text`'s.
    unsafe {
        with_text(options, path, "path", error, |settings: &mut InstallSettings, text| {
            settings.cache_dir = Some(text.into());
            Ok(())
        })
    }
}

/// Whether the installed modules are compiled to bytecode (default `true`).
///
/// # Safety
///
/// As for `pex_build_options_set_no_index()`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn pex_install_options_set_compile(
    options: *mut pex_install_options,
    compile: bool,
) -> pex_result {
    // SAFETY: this function's contract is `with_options`'s.
    unsafe { with_options(options, |settings| settings.no_compile = !compile) }
}

/// A copy of the options (build or install) an operation runs with: NULL is a failure naming
/// `options`.
///
/// # Safety
///
/// `options` is NULL or a live handle.
pub(crate) unsafe fn settings_of<T, S>(options: *const T) -> Result<S, Failure>
where
    T: Castable<Ownership = OwnershipBox, RustType = RwLock<S>>,
    S: Clone,
{
    // SAFETY: the caller guarantees `options` is NULL or a live handle.
    let settings = unsafe { crate::ffi::try_from(options) }.ok_or_else(|| Failure::null_parameter("options"))?;
    Ok(settings.read().unwrap_or_else(PoisonError::into_inner).clone())
}
