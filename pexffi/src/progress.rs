//! Progress and cancellation: the `pex_progress` events a build reports to a C callback, and the
//! `pex_cancel` flags other threads raise to stop it. Both reach pexcore through one
//! [`pexcore::Reporter`] per operation, [`OperationReporter`], which stops calling back the
//! moment the operation returns.

use std::ffi::{CString, c_char, c_void};
use std::marker::{PhantomData, PhantomPinned};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, PoisonError, RwLock};

use crate::ffi::{Castable, OwnershipBox, free_box, to_boxed_mut_ptr, try_ref};
use crate::panic::ffi_panic_boundary;
use crate::result::pex_result;

/// What a progress event reports.
#[repr(u32)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum pex_progress_kind {
    /// Resolution started.
    ResolveStarted = 1,
    /// The resolver chose version `detail` of project `name` (it may change its mind later).
    ResolveChose = 2,
    /// Resolution finished with `amount` distributions.
    ResolveFinished = 3,
    /// A download of the file `name` started; `amount` is its size, or 0 if the server did not
    /// say.
    DownloadStarted = 4,
    /// `amount` more bytes of a download arrived (of any download running: they run at once).
    DownloadProgressed = 5,
    /// The download of `name` finished, or failed.
    DownloadFinished = 6,
    /// A build of a wheel from the source `name` started.
    BuildStarted = 7,
    /// A build printed the line `detail` (without its line break).
    BuildOutput = 8,
    /// The build of `name` finished, or failed.
    BuildFinished = 9,
}

/// One progress event. The strings are NUL-terminated UTF-8, never NULL ("" when the kind has
/// none), and valid only during the callback: copy what you keep.
#[repr(C)]
pub struct pex_progress {
    /// What happened.
    pub kind: pex_progress_kind,
    /// The project, file or source the event is about.
    pub name: *const c_char,
    /// The version chosen, or the line a build printed.
    pub detail: *const c_char,
    /// A count or a number of bytes, as the kind says; 0 otherwise.
    pub amount: u64,
}

/// A function that receives progress events: `userdata` is the pointer given with it to
/// `pex_build_options_set_progress()`.
///
/// It is called on the threads doing the work, the caller's among them, maybe several at once
/// (downloads run in parallel): it must be thread-safe, and quick. It is called only while an
/// operation runs: once the operation has returned, no call is running or will start. It may
/// raise a cancel flag (`pex_cancel_request()`); it must not call other functions on the
/// running operation's options. It must not unwind (a C++ exception or `longjmp` out of it is
/// undefined behaviour).
pub type pex_progress_callback = Option<unsafe extern "C" fn(userdata: *mut c_void, progress: *const pex_progress)>;

/// A cancellation flag: raise it with `pex_cancel_request()` from any thread, and a build,
/// resolution, lock or download whose options were given it (`pex_build_options_add_cancel()`)
/// stops at its next step with `PEX_RESULT_CANCELLED`, leaving no partial output or cache entry
/// behind.
///
/// Create it with `pex_cancel_new()` and free it with `pex_cancel_free()`; options that were
/// given it keep their own reference, so it may be freed before them. Safe to use from several
/// threads at once.
pub struct pex_cancel {
    _private: [u8; 0],
    _not_unpin: PhantomData<PhantomPinned>,
}

impl Castable for pex_cancel {
    type Ownership = OwnershipBox;
    type RustType = Arc<AtomicBool>;
}

/// Creates a cancellation flag, not raised. Returns NULL only if pex-rs panicked.
///
/// # Safety
///
/// Always safe to call.
#[unsafe(no_mangle)]
pub extern "C" fn pex_cancel_new() -> *mut pex_cancel {
    ffi_panic_boundary! {
        to_boxed_mut_ptr::<pex_cancel>(Arc::new(AtomicBool::new(false)))
    }
}

/// Raises the flag: the operations given it stop at their next step. It stays raised.
///
/// Returns `PEX_RESULT_NULL_PARAMETER` if `cancel` is NULL.
///
/// # Safety
///
/// `cancel` is NULL or a live flag from `pex_cancel_new()`. Any thread may call this at any time,
/// also while an operation runs.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn pex_cancel_request(cancel: *const pex_cancel) -> pex_result {
    ffi_panic_boundary! {
        try_ref!(cancel).store(true, Ordering::SeqCst);
        pex_result::Ok
    }
}

/// Frees a cancellation flag. NULL does nothing. Options that were given it keep their own
/// reference, and work on.
///
/// # Safety
///
/// `cancel` is NULL or a flag from `pex_cancel_new()` not yet freed, and no other thread is
/// using this handle.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn pex_cancel_free(cancel: *mut pex_cancel) {
    ffi_panic_boundary! {
        // SAFETY: the caller guarantees `cancel` is NULL or a live handle, freed only now.
        unsafe { free_box(cancel) }
    }
}

/// The `userdata` pointer of a callback, which the caller vouched may be used from any thread.
#[derive(Clone, Copy, Debug)]
pub(crate) struct UserData(pub(crate) *mut c_void);

// SAFETY: `pex_build_options_set_progress()` requires the callback to accept its `userdata` on
// any thread, at the same time; pex-rs itself never dereferences it.
unsafe impl Send for UserData {}
// SAFETY: as for `Send`.
unsafe impl Sync for UserData {}

/// The progress callback and cancel flags of one set of options.
#[derive(Clone, Debug, Default)]
pub(crate) struct CallbackReporter {
    pub(crate) callback: pex_progress_callback,
    pub(crate) userdata: Option<UserData>,
    pub(crate) cancels: Vec<Arc<AtomicBool>>,
}

impl CallbackReporter {
    /// A reporter for one operation, and the guard that ends its callbacks when dropped.
    pub(crate) fn for_operation(&self) -> (Arc<OperationReporter>, OperationGuard) {
        let reporter = Arc::new(OperationReporter { inner: self.clone(), live: RwLock::new(true) });
        (reporter.clone(), OperationGuard(reporter))
    }

    fn emit(&self, kind: pex_progress_kind, name: &str, detail: &str, amount: u64) {
        let Some(callback) = self.callback else { return };
        // Interior NUL bytes cannot cross as C strings; they are dropped, not the event.
        let text = |text: &str| CString::new(text.replace('\0', "")).unwrap_or_default();
        let (name, detail) = (text(name), text(detail));
        let progress = pex_progress { kind, name: name.as_ptr(), detail: detail.as_ptr(), amount };
        let userdata = self.userdata.map_or(std::ptr::null_mut(), |userdata| userdata.0);
        // SAFETY: the caller of `pex_build_options_set_progress()` guaranteed that the callback
        // may be called with this `userdata` from any thread; `progress` and its strings live
        // until it returns. Nothing Rust can unwind through this call: a panic here would be
        // raised before or after it, and reaches the export's panic boundary instead.
        unsafe { callback(userdata, &raw const progress) };
    }
}

/// The reporter of one operation. pexcore may still hold it after the operation returned (a
/// source build's output reader is a thread of its own), so each call first checks that the
/// operation is live, holding the read lock while the callback runs: the guard's write lock
/// then waits for running callbacks and stops later ones.
pub(crate) struct OperationReporter {
    inner: CallbackReporter,
    live: RwLock<bool>,
}

/// Ends an operation's callbacks when dropped (when the export returns).
pub(crate) struct OperationGuard(Arc<OperationReporter>);

impl Drop for OperationGuard {
    fn drop(&mut self) {
        *self.0.live.write().unwrap_or_else(PoisonError::into_inner) = false;
    }
}

impl OperationReporter {
    fn emit(&self, kind: pex_progress_kind, name: &str, detail: &str, amount: u64) {
        let live = self.live.read().unwrap_or_else(PoisonError::into_inner);
        if *live {
            self.inner.emit(kind, name, detail, amount);
        }
    }
}

impl pexcore::Reporter for OperationReporter {
    fn resolve_started(&self) {
        self.emit(pex_progress_kind::ResolveStarted, "", "", 0);
    }
    fn resolve_chose(&self, project: &str, version: &str) {
        self.emit(pex_progress_kind::ResolveChose, project, version, 0);
    }
    fn resolve_finished(&self, count: usize) {
        self.emit(pex_progress_kind::ResolveFinished, "", "", count as u64);
    }
    fn download_started(&self, file: &str, size: Option<u64>) {
        self.emit(pex_progress_kind::DownloadStarted, file, "", size.unwrap_or(0));
    }
    fn download_progressed(&self, bytes: u64) {
        self.emit(pex_progress_kind::DownloadProgressed, "", "", bytes);
    }
    fn download_finished(&self, file: &str) {
        self.emit(pex_progress_kind::DownloadFinished, file, "", 0);
    }
    fn build_started(&self, source: &str) {
        self.emit(pex_progress_kind::BuildStarted, source, "", 0);
    }
    fn build_output(&self, line: &str) {
        self.emit(pex_progress_kind::BuildOutput, "", line, 0);
    }
    fn build_finished(&self, source: &str) {
        self.emit(pex_progress_kind::BuildFinished, source, "", 0);
    }
    fn is_cancelled(&self) -> bool {
        self.inner.cancels.iter().any(|cancel| cancel.load(Ordering::SeqCst))
    }
}
