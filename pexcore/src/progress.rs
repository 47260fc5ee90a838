//! The [`Reporter`] that long operations report through: the CLI draws progress bars from it,
//! an embedding program may log or ignore it. Every method has an empty default, and may be
//! called from several threads at once.

/// Receives progress events of a build. Implementations must be cheap: they run on the
/// threads doing the work.
pub trait Reporter: Send + Sync {
    /// Resolution started.
    fn resolve_started(&self) {}
    /// The resolver chose `version` of `project` (it may change its mind later).
    fn resolve_chose(&self, _project: &str, _version: &str) {}
    /// Resolution finished with `count` wheels.
    fn resolve_finished(&self, _count: usize) {}
    /// A download of `file` started; `size` is its length when the server said.
    fn download_started(&self, _file: &str, _size: Option<u64>) {}
    /// `bytes` more of a download arrived.
    fn download_progressed(&self, _bytes: u64) {}
    /// The download of `file` finished (or failed).
    fn download_finished(&self, _file: &str) {}
    /// A build of a wheel from `source` started (`docopt 0.6.2 (sdist docopt-0.6.2.tar.gz)`).
    fn build_started(&self, _source: &str) {}
    /// A line a build printed (its backend, compiler, ...), without the line break.
    fn build_output(&self, _line: &str) {}
    /// The build of `source` finished (or failed).
    fn build_finished(&self, _source: &str) {}
    /// Whether the caller wants the operation stopped. It is asked between steps: before each
    /// resolver decision, during each download, and between the phases of a build. Once it
    /// says `true`, the operation fails with [`crate::ErrorKind::Cancelled`] and leaves no
    /// partial output or cache entry behind.
    fn is_cancelled(&self) -> bool {
        false
    }
}

/// A reporter that ignores everything: the default.
#[derive(Clone, Copy, Debug, Default)]
pub struct Silent;

impl Reporter for Silent {}
