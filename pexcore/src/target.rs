//! Build targets: what a resolution is for. An interpreter on this machine (probed), a platform
//! named in pex's abbreviated form (`--platform manylinux2014_x86_64-cp-311-cp311`), or a
//! complete platform captured on the machine that will run the PEX (`--complete-platform`).
//!
//! A target supplies the two things resolution needs: a marker environment (for
//! `Requires-Dist` markers) and the PEP 425 tags its interpreter accepts, best first.

use std::str::FromStr;

use camino::{Utf8Path, Utf8PathBuf};

use crate::interpreter::Interpreter;
use crate::requirement::{MarkerEnvironment, Version};
use crate::tags::{Platform, TagEnvironment, Tags};

/// Why a target could not be read.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    #[error(transparent)]
    Platform(#[from] crate::tags::PlatformError),
    #[error("the platform `{platform}` gives no usable marker environment: {reason}")]
    Markers { platform: String, reason: String },
    #[error("failed to read the complete platform file `{path}`")]
    Read {
        path: Utf8PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("`{path}` is not a complete platform: {reason}")]
    CompletePlatform { path: Utf8PathBuf, reason: String },
}

/// One target of a build.
#[derive(Clone, Debug)]
pub(crate) struct Target {
    /// How messages name it: the interpreter's path, or the platform as given.
    description: String,
    markers: MarkerEnvironment,
    tags: Tags,
    /// The probed interpreter, for a target that is one.
    interpreter: Option<Interpreter>,
}

/// The marker environment and tags of an interpreter, as `pex-rs interpreter --complete-platform`
/// prints them (the same fields pex's `--complete-platform` files have).
#[derive(serde::Serialize, serde::Deserialize)]
pub(crate) struct CompletePlatform {
    pub(crate) marker_environment: MarkerEnvironment,
    pub(crate) compatible_tags: Vec<String>,
}

impl Target {
    pub(crate) fn from_interpreter(interpreter: Interpreter) -> Self {
        Self {
            description: interpreter.path().to_string(),
            markers: interpreter.markers().clone(),
            tags: interpreter.tags().clone(),
            interpreter: Some(interpreter),
        }
    }

    /// A platform in pex's abbreviated form, and the markers that had to be guessed (the
    /// platform does not tell them).
    pub(crate) fn from_platform(text: &str) -> Result<(Self, Vec<&'static str>), Error> {
        let environment = TagEnvironment::from_str(text)?;
        let (major, minor) = environment.python_version();
        let (implementation_name, python_implementation) = match environment.implementation() {
            "pp" => ("pypy", "PyPy"),
            _ => ("cpython", "CPython"),
        };
        let (system, sys_platform, machine) = match environment.platform() {
            Platform::Linux { arch, .. } => ("Linux", "linux", arch.as_str()),
            Platform::MacOs { arch, .. } => ("Darwin", "darwin", arch.as_str()),
            Platform::Other { tag } if tag.starts_with("win") => ("Windows", "win32", tag.as_str()),
            Platform::Other { tag } => ("", "", tag.as_str()),
        };
        let machine = match machine {
            "win_amd64" => "AMD64",
            "win32" => "x86",
            "win_arm64" => "ARM64",
            other => other,
        };
        // The patch level is unknown: `.0` is the least that matches `python_version`, so a
        // marker such as `python_full_version >= "3.11.2"` is read as false.
        let full_version = format!("{major}.{minor}.0");
        let python_version = format!("{major}.{minor}");
        let builder = uv_pep508::MarkerEnvironmentBuilder {
            implementation_name,
            implementation_version: &full_version,
            os_name: if system == "Windows" { "nt" } else { "posix" },
            platform_machine: machine,
            platform_python_implementation: python_implementation,
            platform_release: "",
            platform_system: system,
            platform_version: "",
            python_full_version: &full_version,
            python_version: &python_version,
            sys_platform,
        };
        let markers = MarkerEnvironment::try_from(builder)
            .map_err(|error| Error::Markers { platform: text.to_owned(), reason: error.to_string() })?;
        let guessed = vec!["python_full_version", "implementation_version", "platform_release", "platform_version"];
        // A foreign platform accepts the wheels built for its family (manylinux, musllinux), not
        // `linux_<arch>` wheels, which fit only the machine that built them (pip agrees).
        let tags = Tags::new(&environment);
        let portable = Tags::from_ordered(
            tags.iter()
                .map(ToString::to_string)
                .filter(|tag| !tag.rsplit('-').next().is_some_and(|platform| platform.starts_with("linux_")))
                .collect::<Vec<_>>()
                .iter()
                .map(String::as_str),
        )
        .map_err(|reason| Error::Markers { platform: text.to_owned(), reason })?;
        let target = Self { description: text.to_owned(), markers, tags: portable, interpreter: None };
        Ok((target, guessed))
    }

    /// A complete platform file.
    pub(crate) fn from_complete_platform(path: &Utf8Path) -> Result<Self, Error> {
        let text = fs_err::read_to_string(path).map_err(|source| Error::Read { path: path.to_owned(), source })?;
        let invalid = |reason: String| Error::CompletePlatform { path: path.to_owned(), reason };
        let platform: CompletePlatform = serde_json::from_str(&text).map_err(|error| invalid(error.to_string()))?;
        let tags = Tags::from_ordered(platform.compatible_tags.iter().map(String::as_str)).map_err(invalid)?;
        Ok(Self { description: path.to_string(), markers: platform.marker_environment, tags, interpreter: None })
    }

    pub(crate) fn description(&self) -> &str {
        &self.description
    }

    pub(crate) fn markers(&self) -> &MarkerEnvironment {
        &self.markers
    }

    pub(crate) fn tags(&self) -> &Tags {
        &self.tags
    }

    /// The implementation and version as a PEP 425 interpreter tag (`cp311`, `pp310`), which
    /// the runtime compares with its own to find the wheel set built for it.
    pub(crate) fn interpreter_tag(&self) -> String {
        crate::interpreter::interpreter_tag(&self.markers)
    }

    pub(crate) fn python_version(&self) -> &Version {
        &self.markers.python_full_version().version
    }

    pub(crate) fn interpreter(&self) -> Option<&Interpreter> {
        self.interpreter.as_ref()
    }
}

/// The complete platform of `interpreter`, as `pex-rs interpreter --complete-platform` prints it.
pub(crate) fn complete_platform(interpreter: &Interpreter) -> CompletePlatform {
    CompletePlatform {
        marker_environment: interpreter.markers().clone(),
        compatible_tags: interpreter.tags().iter().map(ToString::to_string).collect(),
    }
}
