//! Which targets a build resolves for: the `--python` interpreters, the `--platform` and
//! `--complete-platform` targets, else every interpreter on `PATH` that an
//! `--interpreter-constraint` admits, else `python3`.

use std::ffi::OsString;

use camino::Utf8PathBuf;

use crate::build::Shebang;
use crate::cache::Cache;
use crate::error::Error;
use crate::interpreter::{Interpreter, InterpreterConstraint};
use crate::target::Target;

/// What the user named as targets.
#[derive(Clone, Debug, Default)]
pub(crate) struct TargetChoice {
    pub(crate) pythons: Vec<String>,
    pub(crate) platforms: Vec<String>,
    pub(crate) complete_platforms: Vec<Utf8PathBuf>,
    pub(crate) constraints: Vec<InterpreterConstraint>,
    pub(crate) search_path: Option<OsString>,
}

impl TargetChoice {
    /// `true` when the user named targets or constraints (rather than taking `python3`).
    pub(crate) fn is_named(&self) -> bool {
        !(self.pythons.is_empty()
            && self.platforms.is_empty()
            && self.complete_platforms.is_empty()
            && self.constraints.is_empty())
    }

    /// The targets of the build, at least one.
    pub(crate) fn targets(&self, cache: Option<&Cache>) -> Result<Vec<Target>, Error> {
        let mut targets = Vec::new();
        for python in &self.pythons {
            let interpreter = Interpreter::find(python, self.search_path.as_deref(), cache)?;
            check_supported(&interpreter)?;
            targets.push(self.admitted(Target::from_interpreter(interpreter), false)?);
        }
        for platform in &self.platforms {
            let (target, guessed) = Target::from_platform(platform)?;
            let target = self.admitted(target, true)?;
            tracing::warn!(
                "the platform `{platform}` does not tell these markers, which were guessed: {}; use `--complete-platform` for exact ones",
                guessed.join(", ")
            );
            targets.push(target);
        }
        for path in &self.complete_platforms {
            targets.push(self.admitted(Target::from_complete_platform(path)?, false)?);
        }
        if !targets.is_empty() {
            return Ok(targets);
        }
        if self.constraints.is_empty() {
            let interpreter = Interpreter::find("python3", self.search_path.as_deref(), cache)?;
            return Ok(vec![Target::from_interpreter(interpreter)]);
        }
        let found = crate::interpreter::find_all(self.search_path.as_deref(), cache, |major, minor| {
            self.constraints.iter().any(|constraint| constraint.admits_minor(major, minor))
        });
        let (admitted, refused): (Vec<Target>, Vec<Target>) =
            found.into_iter().map(Target::from_interpreter).partition(|target| self.admits(target, false));
        if admitted.is_empty() {
            let tried = refused.iter().map(|target| format!("{} ({})", target.description(), identity(target, false)));
            return Err(Error::NoInterpreterAdmitted {
                constraints: self.constraints_text(),
                tried: tried.collect::<Vec<_>>().join(", "),
            });
        }
        Ok(admitted)
    }

    /// `python3` on the search path, if it runs (to ask its pip for the default index).
    pub(crate) fn python3(&self, cache: Option<&Cache>) -> Option<Interpreter> {
        Interpreter::find("python3", self.search_path.as_deref(), cache).ok()
    }

    /// `target`, or an error when no constraint admits it.
    fn admitted(&self, target: Target, series_only: bool) -> Result<Target, Error> {
        if self.admits(&target, series_only) {
            return Ok(target);
        }
        Err(Error::InterpreterNotAdmitted {
            python: target.description().to_owned(),
            version: identity(&target, series_only),
            constraints: self.constraints_text(),
        })
    }

    /// Whether a constraint admits `target`, by its full version, or by its X.Y series for a
    /// platform (which tells no patch level). No constraint admits everything.
    fn admits(&self, target: &Target, series_only: bool) -> bool {
        let implementation = target.markers().platform_python_implementation();
        let release = target.python_version().release();
        let (major, minor) = (release.first().copied().unwrap_or(3), release.get(1).copied().unwrap_or(0));
        self.constraints.is_empty()
            || self.constraints.iter().any(|constraint| {
                if series_only {
                    constraint.admits_series(implementation, major, minor)
                } else {
                    constraint.admits(implementation, target.python_version())
                }
            })
    }

    fn constraints_text(&self) -> String {
        self.constraints.iter().map(|constraint| format!("`{constraint}`")).collect::<Vec<_>>().join(" or ")
    }
}

/// `CPython 3.11.7` (or `CPython 3.11` for a platform): how messages name a target's Python.
fn identity(target: &Target, series_only: bool) -> String {
    let markers = target.markers();
    let version = if series_only { markers.python_version() } else { markers.python_full_version() };
    format!("{} {}", markers.platform_python_implementation(), version.string)
}

/// The runtime needs Python 3.8 or later; an older `--python` is refused now, not at run time.
fn check_supported(interpreter: &Interpreter) -> Result<(), Error> {
    let release = interpreter.markers().python_full_version().version.release();
    if (release.first().copied().unwrap_or(0), release.get(1).copied().unwrap_or(0)) < (3, 8) {
        return Err(Error::InterpreterTooOld {
            python: interpreter.path().to_string(),
            version: interpreter.describe(),
        });
    }
    Ok(())
}

/// The shebang of a build that names none: the most specific Python name that fits every
/// target (`python3.11` for targets of one version, `python3` for several or none).
pub(crate) fn default_shebang(targets: &[Target]) -> Shebang {
    let mut versions = targets.iter().map(|target| {
        let release = target.python_version().release();
        (release.first().copied().unwrap_or(3), release.get(1).copied().unwrap_or(0))
    });
    let first = versions.next();
    let name = match first {
        Some((major, minor)) if versions.all(|other| other == (major, minor)) => format!("python{major}.{minor}"),
        _ => "python3".to_owned(),
    };
    Shebang::new(&name).expect("a plain interpreter name is a valid shebang")
}

/// The Python series a universal lock covers: 3.8 (the oldest the runtime supports) up to the
/// newest released, as the constraints admit.
const UNIVERSAL_MINORS: std::ops::RangeInclusive<u64> = 8..=14;

/// The platforms a universal lock resolves for: one of each operating system and machine that
/// wheels are commonly built for. Linux's glibc and macOS's version are recent enough that
/// every wheel built for older ones fits.
const UNIVERSAL_PLATFORMS: [&str; 5] =
    ["manylinux_2_28_x86_64", "manylinux_2_28_aarch64", "macosx_14_0_arm64", "macosx_13_0_x86_64", "win_amd64"];

impl TargetChoice {
    /// The targets of a universal lock: every CPython series the constraints admit (all from
    /// 3.8 without constraints) on every platform of [`UNIVERSAL_PLATFORMS`]; and the
    /// `requires-python` that covers them.
    pub(crate) fn universal(&self) -> Result<(Vec<Target>, crate::requirement::VersionSpecifiers), Error> {
        let minors: Vec<u64> = UNIVERSAL_MINORS
            .filter(|minor| {
                self.constraints.is_empty()
                    || self.constraints.iter().any(|constraint| constraint.admits_series("CPython", 3, *minor))
            })
            .collect();
        let Some(lowest) = minors.first() else {
            return Err(Error::NoSeriesAdmitted {
                constraints: self.constraints_text(),
                range: format!("3.{} to 3.{}", UNIVERSAL_MINORS.start(), UNIVERSAL_MINORS.end()),
            });
        };
        let mut targets = Vec::new();
        for minor in &minors {
            for platform in UNIVERSAL_PLATFORMS {
                // The guessed markers (patch level, kernel release) are no concern here: a
                // universal lock names environments by series, system and machine only.
                let (target, _) = Target::from_platform(&format!("{platform}-cp-3{minor}-cp3{minor}"))?;
                targets.push(target);
            }
        }
        let requires_python = format!(">=3.{lowest}").parse().expect("a lower bound is a specifier");
        Ok((targets, requires_python))
    }
}
