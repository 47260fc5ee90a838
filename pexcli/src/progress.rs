//! Progress bars on a terminal: a spinner while resolving, a byte counter while downloading.
//! Nothing is drawn when stderr is not a terminal (pipes, CI logs) or with `--verbose`.

use std::io::IsTerminal as _;
use std::sync::Arc;
use std::time::Duration;

use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};

/// Draws `pexcore`'s progress events with indicatif.
pub(crate) struct Bars {
    multi: MultiProgress,
    resolving: ProgressBar,
    downloading: ProgressBar,
}

impl Bars {
    /// The reporter for this terminal: bars on an interactive stderr, else silence.
    pub(crate) fn for_terminal(verbose: bool) -> Arc<dyn pexcore::Reporter> {
        if verbose || !std::io::stderr().is_terminal() {
            return Arc::new(pexcore::Silent);
        }
        let multi = MultiProgress::with_draw_target(ProgressDrawTarget::stderr());
        let resolving = ProgressBar::hidden();
        let downloading = ProgressBar::hidden();
        Arc::new(Self { multi, resolving, downloading })
    }
}

impl pexcore::Reporter for Bars {
    fn resolve_started(&self) {
        let spinner = self.multi.add(self.resolving.clone());
        spinner.set_style(
            ProgressStyle::with_template("{spinner} resolving {pos} packages: {msg}").expect("a valid template"),
        );
        spinner.enable_steady_tick(Duration::from_millis(100));
    }

    fn resolve_chose(&self, project: &str, version: &str) {
        self.resolving.inc(1);
        self.resolving.set_message(format!("{project}=={version}"));
    }

    fn resolve_finished(&self, _count: usize) {
        self.resolving.finish_and_clear();
    }

    fn download_started(&self, file: &str, size: Option<u64>) {
        if self.downloading.is_hidden() {
            let bar = self.multi.add(self.downloading.clone());
            bar.set_style(
                ProgressStyle::with_template("{spinner} downloading {bytes}/{total_bytes} ({bytes_per_sec}): {msg}")
                    .expect("a valid template"),
            );
            bar.set_length(0);
            bar.enable_steady_tick(Duration::from_millis(100));
        }
        self.downloading.inc_length(size.unwrap_or_default());
        self.downloading.set_message(file.to_owned());
    }

    fn download_progressed(&self, bytes: u64) {
        self.downloading.inc(bytes);
    }
}

impl Drop for Bars {
    fn drop(&mut self) {
        self.resolving.finish_and_clear();
        self.downloading.finish_and_clear();
    }
}
