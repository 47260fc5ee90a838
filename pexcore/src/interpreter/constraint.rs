//! Interpreter constraints (`--interpreter-constraint`), as pex writes them: an optional
//! implementation name, then PEP 440 specifiers on the Python version, such as
//! `CPython>=3.9,<3.14`, `CPython==3.12.*`, `>=3.8` or `PyPy`. Several constraints are OR-ed.

use std::fmt;
use std::str::FromStr;

use crate::requirement::{Version, VersionSpecifiers};

/// Why a constraint was refused.
#[derive(Debug, thiserror::Error)]
#[error(
    "`{text}` is not an interpreter constraint: {reason}; write an implementation and/or version specifiers, such as `CPython>=3.9,<3.14` or `==3.12.*`"
)]
pub struct ConstraintError {
    text: String,
    reason: String,
}

/// One interpreter constraint.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InterpreterConstraint {
    /// `CPython` or `PyPy` (as written by pex); `None` admits any implementation.
    implementation: Option<Implementation>,
    specifiers: VersionSpecifiers,
}

/// The implementations a constraint can name, with the `platform_python_implementation` each
/// reports.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Implementation {
    CPython,
    PyPy,
}

impl Implementation {
    fn name(self) -> &'static str {
        match self {
            Self::CPython => "CPython",
            Self::PyPy => "PyPy",
        }
    }
}

impl InterpreterConstraint {
    /// `true` when an interpreter of `implementation` (its `platform_python_implementation`,
    /// `CPython` or `PyPy`) and `version` satisfies the constraint.
    pub(crate) fn admits(&self, implementation: &str, version: &Version) -> bool {
        self.implementation.is_none_or(|wanted| wanted.name().eq_ignore_ascii_case(implementation))
            && self.specifiers.contains(version)
    }

    /// `true` when some release of `implementation` `major.minor` satisfies the constraint (a
    /// platform target names no patch level).
    pub(crate) fn admits_series(&self, implementation: &str, major: u64, minor: u64) -> bool {
        self.implementation.is_none_or(|wanted| wanted.name().eq_ignore_ascii_case(implementation))
            && self.admits_minor(major, minor)
    }

    /// `true` when some release of the series `major.minor` satisfies the version part (used
    /// to name candidate interpreters such as `python3.11`).
    pub(crate) fn admits_minor(&self, major: u64, minor: u64) -> bool {
        // Some release of the series, pre-releases included, [X.Y.dev0, X.Y+1.dev0), is
        // admitted: `>=3.9.5`, `<3.12.1` and `==3.9.18` all name their series, and `==3.12.*`
        // (whose range starts at 3.12.dev0) does not name 3.11.
        let first = |minor: u64| Version::from_str(&format!("{major}.{minor}.dev0")).expect("a valid version");
        let series = version_ranges::Ranges::from_range_bounds(first(minor)..first(minor + 1));
        !version_ranges::Ranges::from(self.specifiers.clone()).intersection(&series).is_empty()
    }
}

impl FromStr for InterpreterConstraint {
    type Err = ConstraintError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let error = |reason: &str| ConstraintError { text: text.to_owned(), reason: reason.to_owned() };
        let trimmed = text.trim();
        let split = trimmed.find(|character: char| !character.is_ascii_alphabetic()).unwrap_or(trimmed.len());
        let (name, rest) = trimmed.split_at(split);
        let implementation = match name.to_ascii_lowercase().as_str() {
            "" => None,
            "cpython" => Some(Implementation::CPython),
            "pypy" => Some(Implementation::PyPy),
            _ => return Err(error(&format!("unknown implementation `{name}` (use `CPython` or `PyPy`)"))),
        };
        let rest = rest.trim();
        if implementation.is_none() && rest.is_empty() {
            return Err(error("it is empty"));
        }
        let specifiers = VersionSpecifiers::from_str(rest).map_err(|parse| error(&parse.to_string()))?;
        // Interpreters have plain versions: the runtime reads release numbers with an optional
        // a/b/rc pre-release, and refuses the rest, so a PEX never carries one it cannot read.
        if let Some(specifier) = specifiers.iter().find(|specifier| {
            let version = specifier.version();
            version.epoch() != 0 || version.is_post() || version.is_dev() || version.is_local()
        }) {
            return Err(error(&format!("`{specifier}` names an epoch, post, dev or local version")));
        }
        Ok(Self { implementation, specifiers })
    }
}

impl fmt::Display for InterpreterConstraint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(implementation) = self.implementation {
            f.write_str(implementation.name())?;
        }
        write!(f, "{}", self.specifiers)
    }
}

#[cfg(test)]
mod tests {
    use super::InterpreterConstraint;
    use crate::requirement::Version;

    #[test]
    fn ok_constraints() {
        let version = |text: &str| text.parse::<Version>().unwrap();
        for (text, shown, admitted, refused) in [
            ("CPython>=3.9,<3.14", "CPython>=3.9, <3.14", ("CPython", "3.13.1"), ("CPython", "3.14.0")),
            ("cpython==3.12.*", "CPython==3.12.*", ("CPython", "3.12.7"), ("PyPy", "3.12.7")),
            (">=3.8", ">=3.8", ("PyPy", "3.10.14"), ("CPython", "3.7.17")),
            ("PyPy", "PyPy", ("PyPy", "3.9.0"), ("CPython", "3.9.0")),
        ] {
            let constraint: InterpreterConstraint = text.parse().unwrap();
            assert_eq!(constraint.to_string(), shown);
            assert!(constraint.admits(admitted.0, &version(admitted.1)), "{text} admits {admitted:?}");
            assert!(!constraint.admits(refused.0, &version(refused.1)), "{text} refuses {refused:?}");
        }
        let constraint: InterpreterConstraint = ">=3.9.5,<3.12.1".parse().unwrap();
        assert!(constraint.admits_minor(3, 9) && constraint.admits_minor(3, 12) && !constraint.admits_minor(3, 8));
        let constraint: InterpreterConstraint = "CPython==3.12.*".parse().unwrap();
        assert!(!constraint.admits_series("CPython", 3, 11));
        assert!(constraint.admits_series("CPython", 3, 12));
        let constraint: InterpreterConstraint = "==3.9.18".parse().unwrap();
        assert!(constraint.admits_minor(3, 9) && !constraint.admits_minor(3, 10));
    }

    #[test]
    fn err_constraints() {
        for (text, reason) in [
            ("", "it is empty"),
            ("Jython>=2.7", "unknown implementation `Jython`"),
            ("CPython>=three", "CPython>=three"),
            (">=3.8.dev0", "names an epoch, post, dev or local version"),
            (">=3.8.0.post1", "names an epoch, post, dev or local version"),
        ] {
            let error = text.parse::<InterpreterConstraint>().unwrap_err().to_string();
            assert!(error.contains(reason), "{error}");
        }
    }
}
