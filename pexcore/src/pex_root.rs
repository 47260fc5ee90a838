//! The layout of a `PEX_ROOT`, owned here: every path that `extract`, `prune`, `run` and the
//! sh header use inside a root comes from [`PexRoot`]. The boot code spells the same names as
//! constants (`_INSTALLED_WHEELS` ... in `boot/runner.py`), and a test reads them there, so the
//! two sides cannot drift. `docs/format.md` ("PEX_ROOT") describes the layout.
//!
//! ```text
//! <root>/.access.lck                             shared by running PEX files, exclusive for prune
//! <root>/installed_wheels/v1/<digest>/<wheel>/   one install per wheel (RECORD digest)
//! <root>/installed_wheels/v1/.<digest>.lck       the lock of its installer
//! <root>/user_code/v1/<code_hash>/               the user code of a PEX
//! <root>/venvs/v1/<pex_hash>/<key>/              a PEX's virtual environment per interpreter
//! <root>/venvs/v1/<pex_hash>/<key>/.last-access  its last use, for prune
//! <root>/venvs/v1/<pex_hash>/sh                  the environment the sh header runs
//! ```

use camino::{Utf8Path, Utf8PathBuf};

/// The version of the layout, the last component of each bucket's path.
pub(crate) const LAYOUT: &str = "v1";
/// The bucket of the virtual environments.
pub(crate) const VENVS: &str = "venvs";
/// The lock a running PEX holds shared, and prune exclusively.
pub(crate) const ACCESS_LOCK: &str = ".access.lck";
/// The file whose date is a virtual environment's last use.
pub(crate) const LAST_ACCESS: &str = ".last-access";
/// The link, in a PEX's directory of environments, to the one its sh header runs.
pub(crate) const SH_LINK: &str = "sh";

/// A content-addressed bucket of installs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Bucket {
    /// One directory per wheel install, named by the digest of its RECORD.
    InstalledWheels,
    /// One directory per PEX's user code, named by its `code_hash`.
    UserCode,
}

impl Bucket {
    /// Every bucket of installs.
    pub(crate) const ALL: [Self; 2] = [Self::InstalledWheels, Self::UserCode];

    /// The bucket's directory name under the root.
    pub(crate) fn name(self) -> &'static str {
        match self {
            Self::InstalledWheels => "installed_wheels",
            Self::UserCode => "user_code",
        }
    }
}

/// A `PEX_ROOT` directory, and the paths of everything in it.
#[derive(Clone, Copy, Debug)]
pub(crate) struct PexRoot<'a> {
    root: &'a Utf8Path,
}

impl<'a> PexRoot<'a> {
    pub(crate) fn new(root: &'a Utf8Path) -> Self {
        Self { root }
    }

    /// `<root>/.access.lck`.
    pub(crate) fn access_lock(self) -> Utf8PathBuf {
        self.root.join(ACCESS_LOCK)
    }

    /// `<root>/<bucket>/v1`.
    pub(crate) fn bucket(self, bucket: Bucket) -> Utf8PathBuf {
        self.root.join(bucket.name()).join(LAYOUT)
    }

    /// `<root>/venvs/v1`.
    pub(crate) fn venvs(self) -> Utf8PathBuf {
        self.root.join(VENVS).join(LAYOUT)
    }

    /// `<root>/venvs/v1/<pex_hash>`: the environments of one PEX, one per interpreter.
    pub(crate) fn environments_of(self, pex_hash: &str) -> Utf8PathBuf {
        self.venvs().join(pex_hash)
    }

    /// `<venv>/.last-access`.
    pub(crate) fn last_access(venv: &Utf8Path) -> Utf8PathBuf {
        venv.join(LAST_ACCESS)
    }

    /// `<root>/venvs/v1` as a shell spells it, with its variable for the root (`$root`).
    pub(crate) fn venvs_in_shell(root_variable: &str) -> String {
        format!("{root_variable}/{VENVS}/{LAYOUT}")
    }

    /// The sh header's environment of a PEX (`<root>/venvs/v1/<pex_hash>/sh`) as the header
    /// spells it, with its variable for the root.
    pub(crate) fn sh_environment_in_shell(root_variable: &str, pex_hash: &str) -> String {
        format!("{}/{pex_hash}/{SH_LINK}", Self::venvs_in_shell(root_variable))
    }
}

#[cfg(test)]
mod tests {
    use super::{ACCESS_LOCK, Bucket, LAST_ACCESS, LAYOUT, VENVS};

    /// The boot code's constants of the layout are these, value for value.
    #[test]
    fn the_boot_code_agrees() {
        let boot = include_str!("boot/runner.py");
        let constant = |name: &str| {
            boot.lines()
                .find_map(|line| line.strip_prefix(name)?.strip_prefix(" = \"")?.strip_suffix('"'))
                .unwrap_or_else(|| panic!("runner.py has no line `{name} = \"...\"`"))
        };
        assert_eq!(constant("_INSTALLED_WHEELS"), Bucket::InstalledWheels.name());
        assert_eq!(constant("_USER_CODE"), Bucket::UserCode.name());
        assert_eq!(constant("_VENVS"), VENVS);
        assert_eq!(constant("_LAYOUT"), LAYOUT);
        assert_eq!(constant("_ACCESS_LOCK"), ACCESS_LOCK);
        assert_eq!(constant("_LAST_ACCESS"), LAST_ACCESS);
    }
}
