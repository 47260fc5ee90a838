//! Every environment variable pex-rs reads, documented once, and the [`Environment`] value
//! they are read from.
//!
//! `pexcore` never reads the process environment anywhere else. A build reads the
//! [`Environment`] its options carry (`ResolveOptions::environment`): the CLI and the C ABI pass
//! the process's, a library caller passes what it chooses (none by default), so nothing ambient
//! leaks into its builds. The free functions here ([`pex_root`], [`source_date_epoch`]) read the
//! process's, when a caller asks for them.

use std::collections::HashMap;
use std::ffi::{OsStr, OsString};

/// The environment variables a build reads (the index, pip's configuration, credentials, the
/// cache's default place, the `PATH` of source builds, `${NAME}` in requirements files), as a
/// value.
///
/// [`Environment::from_process`] takes the process's; [`Environment::default`] is empty, and
/// [`Environment::with`] adds a variable. An empty value counts as unset, as in pip.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Environment {
    variables: HashMap<OsString, OsString>,
}

impl Environment {
    /// Every variable of this process, as it is now.
    pub fn from_process() -> Self {
        Self { variables: std::env::vars_os().collect() }
    }

    /// This environment with `name` set to `value`.
    #[must_use]
    pub fn with(mut self, name: impl Into<OsString>, value: impl Into<OsString>) -> Self {
        self.variables.insert(name.into(), value.into());
        self
    }

    /// The value of `name`, unless it is unset or empty.
    pub(crate) fn var(&self, name: &str) -> Option<&OsStr> {
        self.variables.get(OsStr::new(name)).map(OsString::as_os_str).filter(|value| !value.is_empty())
    }

    /// The value of `name` as text, unless it is unset, empty or not UTF-8.
    pub(crate) fn text(&self, name: &str) -> Option<String> {
        self.var(name).and_then(OsStr::to_str).map(str::to_owned)
    }

    /// The runtime root this environment names: `PEX_ROOT`, else the default root.
    pub(crate) fn pex_root(&self) -> Option<std::path::PathBuf> {
        self.var(PEX_ROOT).map(Into::into).or_else(|| self.default_root())
    }

    /// The default root: `$XDG_CACHE_HOME/pex-rs` (when absolute), else `~/.cache/pex-rs`; the
    /// boot code computes the same (`docs/format.md`, "What the runtime does").
    pub(crate) fn default_root(&self) -> Option<std::path::PathBuf> {
        if let Some(base) = self.var(XDG_CACHE_HOME).map(std::path::PathBuf::from).filter(|base| base.is_absolute()) {
            return Some(base.join("pex-rs"));
        }
        self.var(HOME).map(|home| std::path::PathBuf::from(home).join(".cache").join("pex-rs"))
    }
}

/// `PEX_RS_CACHE_DIR`: the build cache directory, when `--cache-dir` is not given.
pub(crate) const CACHE_DIR: &str = "PEX_RS_CACHE_DIR";
/// `PEX_ROOT`: the runtime root; also where the build cache lives by default.
pub(crate) const PEX_ROOT: &str = "PEX_ROOT";
/// `XDG_CACHE_HOME`: the base of the default root (`$XDG_CACHE_HOME/pex-rs`).
pub(crate) const XDG_CACHE_HOME: &str = "XDG_CACHE_HOME";
/// `HOME`: the fallback base of the default root (`~/.cache/pex-rs`).
pub(crate) const HOME: &str = "HOME";
/// `PEX_RS_INDEX_URL`: the package index, when `--index-url` is not given.
pub(crate) const INDEX_URL: &str = "PEX_RS_INDEX_URL";
/// `PIP_INDEX_URL`: pip's package index, used when `PEX_RS_INDEX_URL` is not set.
pub(crate) const PIP_INDEX_URL: &str = "PIP_INDEX_URL";
/// `PIP_EXTRA_INDEX_URL`: pip's extra indexes (white-space separated), after pip's files.
pub(crate) const PIP_EXTRA_INDEX_URL: &str = "PIP_EXTRA_INDEX_URL";
/// `PIP_CONFIG_FILE`: one more pip configuration file, read last (pip's rule).
pub(crate) const PIP_CONFIG_FILE: &str = "PIP_CONFIG_FILE";
/// `XDG_CONFIG_HOME` / `XDG_CONFIG_DIRS`: where pip's user and global files live.
pub(crate) const XDG_CONFIG_HOME: &str = "XDG_CONFIG_HOME";
pub(crate) const XDG_CONFIG_DIRS: &str = "XDG_CONFIG_DIRS";
/// `VIRTUAL_ENV`: an active virtual environment, whose `pip.conf` pip reads.
pub(crate) const VIRTUAL_ENV: &str = "VIRTUAL_ENV";
/// `NETRC`: the `.netrc` file with index credentials (default `~/.netrc`).
pub(crate) const NETRC: &str = "NETRC";
/// `PATH`: where a build backend finds programs; a build environment's `bin` goes first.
pub(crate) const PATH: &str = "PATH";
/// `SOURCE_DATE_EPOCH`: the timestamp written into every PEX entry (reproducible builds).
pub(crate) const SOURCE_DATE_EPOCH: &str = "SOURCE_DATE_EPOCH";
/// The variables for which a PEX's sh header leaves its warm path (`PEX_PYTHON`,
/// `PEX_PYTHON_PATH`, `PEX_VERIFY`, `PEX_TOOLS`); `pex-rs run`, starting a PEX as the header
/// would, leaves it for them too.
pub(crate) const WARM_PATH_STEERING: [&str; 4] = ["PEX_PYTHON", "PEX_PYTHON_PATH", "PEX_VERIFY", "PEX_TOOLS"];

/// The value of the process's variable `name`, unless it is unset or empty.
pub(crate) fn var(name: &str) -> Option<OsString> {
    std::env::var_os(name).filter(|value| !value.is_empty())
}

/// The runtime root the process's environment names: `PEX_ROOT`, else `$XDG_CACHE_HOME/pex-rs`
/// (when absolute), else `~/.cache/pex-rs`.
pub fn pex_root() -> Option<std::path::PathBuf> {
    Environment::from_process().pex_root()
}

/// Why an environment variable was refused.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    #[error("`SOURCE_DATE_EPOCH` is `{0}`, which is not a whole number of seconds since 1970")]
    SourceDateEpoch(String),
}

/// Reads `SOURCE_DATE_EPOCH` (reproducible-builds.org): the time to stamp on every entry of a
/// PEX, in seconds since 1970. `None` when unset or empty.
pub fn source_date_epoch() -> Result<Option<u64>, Error> {
    let Some(value) = var(SOURCE_DATE_EPOCH) else {
        return Ok(None);
    };
    let text = value.to_string_lossy();
    text.trim().parse().map(Some).map_err(|_| Error::SourceDateEpoch(text.into_owned()))
}

#[cfg(test)]
mod tests {
    use super::{Environment, PIP_INDEX_URL};

    #[test]
    fn ok_an_environment_is_what_it_was_given() {
        let empty = Environment::default();
        assert_eq!(empty.var("HOME"), None, "nothing of the process leaks into an empty environment");
        assert_eq!(empty.pex_root(), None);
        let given = Environment::default()
            .with(PIP_INDEX_URL, "https://index.invalid/simple/")
            .with("EMPTY", "")
            .with("HOME", "/home/someone");
        assert_eq!(given.text(PIP_INDEX_URL).as_deref(), Some("https://index.invalid/simple/"));
        assert_eq!(given.var("EMPTY"), None, "empty counts as unset, as in pip");
        assert_eq!(given.pex_root(), Some("/home/someone/.cache/pex-rs".into()));
        let xdg = given.clone().with("XDG_CACHE_HOME", "relative");
        assert_eq!(xdg.pex_root(), Some("/home/someone/.cache/pex-rs".into()), "a relative XDG base is ignored");
        assert_eq!(given.with("PEX_ROOT", "/root").pex_root(), Some("/root".into()));
    }
}
