//! Every environment variable pex-rs reads, documented once.
//!
//! `pexcore` never reads the environment anywhere else: callers choose to call these readers
//! (the CLI does; an embedding program may not).

use std::ffi::OsString;

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

pub(crate) fn var(name: &str) -> Option<OsString> {
    std::env::var_os(name).filter(|value| !value.is_empty())
}

/// The default root: `$XDG_CACHE_HOME/pex-rs` (when absolute), else `~/.cache/pex-rs`; the
/// boot code computes the same (`docs/format.md`, "What the runtime does").
pub(crate) fn default_root() -> Option<std::path::PathBuf> {
    if let Some(base) = var(XDG_CACHE_HOME).map(std::path::PathBuf::from).filter(|base| base.is_absolute()) {
        return Some(base.join("pex-rs"));
    }
    var(HOME).map(|home| std::path::PathBuf::from(home).join(".cache").join("pex-rs"))
}

/// The runtime root the environment names: `PEX_ROOT`, else the default root.
pub fn pex_root() -> Option<std::path::PathBuf> {
    var(PEX_ROOT).map(Into::into).or_else(default_root)
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
