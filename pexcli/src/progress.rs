//! Progress on a terminal: a spinner while resolving, a byte counter while downloading, a
//! spinner per build from source. Nothing is drawn when stderr is not a terminal (pipes, CI
//! logs); with `--verbose`, what builds print goes to stderr as it comes.

use std::io::{IsTerminal as _, Write as _};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};

/// Draws `pexcore`'s progress events with indicatif.
pub(crate) struct Bars {
    multi: MultiProgress,
    resolving: ProgressBar,
    downloading: ProgressBar,
    building: Mutex<Vec<(String, ProgressBar)>>,
}

impl Bars {
    /// The reporter for this terminal: bars on an interactive stderr, build output with
    /// `--verbose`, else silence.
    pub(crate) fn for_terminal(verbose: bool) -> Arc<dyn pexcore::Reporter> {
        if verbose {
            return Arc::new(BuildOutput);
        }
        if !std::io::stderr().is_terminal() {
            return Arc::new(pexcore::Silent);
        }
        let multi = MultiProgress::with_draw_target(ProgressDrawTarget::stderr());
        let resolving = ProgressBar::hidden();
        let downloading = ProgressBar::hidden();
        Arc::new(Self { multi, resolving, downloading, building: Mutex::new(Vec::new()) })
    }
}

/// `--verbose`: what builds print, line by line, on stderr.
struct BuildOutput;

impl pexcore::Reporter for BuildOutput {
    fn build_started(&self, source: &str) {
        let _ = writeln!(std::io::stderr().lock(), "building {source}");
    }

    fn build_output(&self, line: &str) {
        let _ = writeln!(std::io::stderr().lock(), "  | {line}");
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

    fn build_started(&self, source: &str) {
        let spinner = self.multi.add(ProgressBar::new_spinner());
        spinner.set_style(ProgressStyle::with_template("{spinner} building {msg}").expect("a valid template"));
        spinner.set_message(source.to_owned());
        spinner.enable_steady_tick(Duration::from_millis(100));
        self.building.lock().unwrap_or_else(std::sync::PoisonError::into_inner).push((source.to_owned(), spinner));
    }

    fn build_finished(&self, source: &str) {
        let mut building = self.building.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some(position) = building.iter().position(|(other, _)| other == source) {
            building.remove(position).1.finish_and_clear();
        }
    }
}

impl Drop for Bars {
    fn drop(&mut self) {
        self.resolving.finish_and_clear();
        self.downloading.finish_and_clear();
        for (_, spinner) in self.building.lock().unwrap_or_else(std::sync::PoisonError::into_inner).drain(..) {
            spinner.finish_and_clear();
        }
    }
}
