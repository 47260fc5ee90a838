//! Distribution file names and core metadata: pure parsing, bytes in, no I/O.
//!
//! - [`WheelFilename`]: `{name}-{version}(-{build})?-{python}-{abi}-{platform}.whl` (PEP 427,
//!   PEP 491), validated so that a file name can never become a path traversal.
//! - [`SdistFilename`]: `{name}-{version}.tar.gz` (PEP 625) and the older spellings indexes
//!   still serve (`.zip`, `.tgz`, `.tar`, names that are not normalized).
//! - [`CoreMetadata`]: the fields of `METADATA` / `PKG-INFO` that pex-rs uses (core metadata 2.x),
//!   and whether a source distribution's copy can be trusted without a build (PEP 643).

use std::fmt;
use std::str::FromStr;

use crate::requirement::{ExtraName, PackageName, Requirement, Version, parse_requirement};

/// Why a wheel file name or a metadata file was refused.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    #[error("`{filename}` is not a wheel file name: {reason}")]
    InvalidWheelFilename { filename: String, reason: &'static str },
    #[error("`{filename}` has an invalid project name")]
    InvalidWheelName {
        filename: String,
        #[source]
        source: uv_normalize::InvalidNameError,
    },
    #[error("`{filename}` has an invalid version")]
    InvalidWheelVersion {
        filename: String,
        #[source]
        source: uv_pep440::VersionParseError,
    },
    #[error("`{filename}` is not a source distribution file name: {reason}")]
    InvalidSdistFilename { filename: String, reason: &'static str },
    #[error(
        "`{filename}` is a source archive pex-rs cannot unpack (`.tar.bz2`, `.tar.xz`); give a `.tar.gz` or `.zip` sdist or a wheel"
    )]
    UnsupportedSdistFormat { filename: String },
    #[error("the core metadata is not a valid header block: {0}")]
    MetadataSyntax(String),
    #[error("the core metadata lacks the required `{0}` field")]
    MetadataMissingField(&'static str),
    #[error("the core metadata field `{field}` has an invalid value `{value}`: {reason}")]
    MetadataInvalidField { field: &'static str, value: String, reason: String },
}

/// A parsed wheel file name. It displays as the original file name.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct WheelFilename {
    filename: String,
    name: PackageName,
    version: Version,
    tags: [String; 3],
}

impl WheelFilename {
    /// The normalized project name.
    pub fn name(&self) -> &str {
        self.name.as_str()
    }

    pub(crate) fn package_name(&self) -> &PackageName {
        &self.name
    }

    pub(crate) fn version(&self) -> &Version {
        &self.version
    }

    /// The python, abi and platform tags, each possibly a `.`-joined compressed set.
    pub fn tags(&self) -> [&str; 3] {
        [&self.tags[0], &self.tags[1], &self.tags[2]]
    }

    /// The file name as it was given.
    pub fn as_str(&self) -> &str {
        &self.filename
    }
}

impl FromStr for WheelFilename {
    type Err = Error;

    fn from_str(filename: &str) -> Result<Self, Error> {
        let invalid = |reason| Error::InvalidWheelFilename { filename: filename.to_owned(), reason };
        let stem = filename.strip_suffix(".whl").ok_or_else(|| invalid("it does not end in `.whl`"))?;
        if stem.chars().any(|c| matches!(c, '/' | '\\' | ':') || c.is_control() || c.is_whitespace())
            || stem.contains("..")
        {
            return Err(invalid("it contains a path separator, `..`, `:`, white space or a control character"));
        }
        let parts: Vec<&str> = stem.split('-').collect();
        let (name, version, tags) = match parts.as_slice() {
            [name, version, python, abi, platform] => (name, version, [python, abi, platform]),
            [name, version, build, python, abi, platform] => {
                if !build.starts_with(|c: char| c.is_ascii_digit()) {
                    return Err(invalid("its build tag does not start with a digit"));
                }
                (name, version, [python, abi, platform])
            }
            _ => return Err(invalid("it must have 5 or 6 `-`-separated parts")),
        };
        if tags.iter().any(|tag| tag.is_empty()) {
            return Err(invalid("it has an empty tag"));
        }
        let name = PackageName::from_str(name)
            .map_err(|source| Error::InvalidWheelName { filename: filename.to_owned(), source })?;
        let version = Version::from_str(version)
            .map_err(|source| Error::InvalidWheelVersion { filename: filename.to_owned(), source })?;
        Ok(Self { filename: filename.to_owned(), name, version, tags: tags.map(|tag| (*tag).to_owned()) })
    }
}

impl fmt::Display for WheelFilename {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.filename)
    }
}

/// How a source distribution is packed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) enum SdistFormat {
    /// `.tar.gz` or `.tgz`: the standard form (PEP 625).
    TarGz,
    /// `.tar`, uncompressed.
    Tar,
    /// `.zip`: older uploads.
    Zip,
}

/// The extensions of source archives, the supported ones with their format.
const SDIST_EXTENSIONS: [(&str, Option<SdistFormat>); 8] = [
    (".tar.gz", Some(SdistFormat::TarGz)),
    (".tgz", Some(SdistFormat::TarGz)),
    (".tar", Some(SdistFormat::Tar)),
    (".zip", Some(SdistFormat::Zip)),
    (".tar.bz2", None),
    (".tbz", None),
    (".tar.xz", None),
    (".txz", None),
];

/// A parsed source distribution file name. It displays as the original file name.
///
/// The project name and the version are separated by a `-` that may also appear in either
/// (`python-dateutil-2.8.2.tar.gz`), so a name is parsed against the project it is for, as pip
/// and uv do; an archive whose project is not known is named by its metadata.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub(crate) struct SdistFilename {
    filename: String,
    name: PackageName,
    version: Version,
    format: SdistFormat,
}

impl SdistFilename {
    /// Parses `filename` as a source distribution of `name` (run on every sdist of an index
    /// page, so the name is compared as it is normalized rather than parsed at each `-`).
    pub(crate) fn parse(filename: &str, name: &PackageName) -> Result<Self, Error> {
        let (stem, format) = Self::split_extension(filename)?;
        stem.match_indices('-')
            .filter(|(index, _)| normalizes_to(&stem[..*index], name.as_str()))
            .find_map(|(index, _)| Version::from_str(&stem[index + 1..]).ok())
            .map(|version| Self { filename: filename.to_owned(), name: name.clone(), version, format })
            .ok_or_else(|| Error::InvalidSdistFilename {
                filename: filename.to_owned(),
                reason: "it is not `{name}-{version}` of the project it is listed for",
            })
    }

    /// A source archive whose file name tells neither (`main.zip` of a code host), named after
    /// what its metadata says.
    pub(crate) fn from_parts(filename: &str, name: PackageName, version: Version) -> Result<Self, Error> {
        let (_, format) = Self::split_extension(filename)?;
        Ok(Self { filename: filename.to_owned(), name, version, format })
    }

    /// The format of a source archive named `filename`, by its extension.
    pub(crate) fn format_of(filename: &str) -> Result<SdistFormat, Error> {
        Self::split_extension(filename).map(|(_, format)| format)
    }

    /// Returns `true` if `filename` ends like a source archive (supported or not).
    pub(crate) fn is_archive_name(filename: &str) -> bool {
        SDIST_EXTENSIONS.iter().any(|(extension, _)| ends_with_ignore_case(filename, extension))
    }

    /// The stem and the format of a file name, refusing names that could become paths.
    fn split_extension(filename: &str) -> Result<(&str, SdistFormat), Error> {
        let invalid = |reason| Error::InvalidSdistFilename { filename: filename.to_owned(), reason };
        if filename.chars().any(|c| matches!(c, '/' | '\\' | ':') || c.is_control()) || filename.contains("..") {
            return Err(invalid("it contains a path separator, `..`, `:` or a control character"));
        }
        let (extension, format) = SDIST_EXTENSIONS
            .iter()
            .find(|(extension, _)| ends_with_ignore_case(filename, extension))
            .ok_or_else(|| invalid("it does not end in `.tar.gz` or `.zip`"))?;
        let format = format.ok_or_else(|| Error::UnsupportedSdistFormat { filename: filename.to_owned() })?;
        Ok((&filename[..filename.len() - extension.len()], format))
    }

    pub(crate) fn package_name(&self) -> &PackageName {
        &self.name
    }

    pub(crate) fn version(&self) -> &Version {
        &self.version
    }

    pub(crate) fn format(&self) -> SdistFormat {
        self.format
    }

    pub(crate) fn as_str(&self) -> &str {
        &self.filename
    }
}

impl fmt::Display for SdistFilename {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.filename)
    }
}

/// Whether `text` normalizes (PEP 503: lowercase, runs of `-`, `_`, `.` as one `-`) to the
/// normalized project name `name`.
fn normalizes_to(text: &str, name: &str) -> bool {
    let is_separator = |byte: &u8| matches!(byte, b'-' | b'_' | b'.');
    let mut expected = name.bytes();
    let mut bytes = text.bytes().peekable();
    while let Some(byte) = bytes.next() {
        let wanted = if is_separator(&byte) {
            while bytes.next_if(is_separator).is_some() {}
            b'-'
        } else {
            byte.to_ascii_lowercase()
        };
        if expected.next() != Some(wanted) {
            return false;
        }
    }
    expected.next().is_none()
}

/// Whether `text` ends with `suffix`, ignoring ASCII case (`X.ZIP` is an archive too).
fn ends_with_ignore_case(text: &str, suffix: &str) -> bool {
    text.len() >= suffix.len()
        && text.get(text.len() - suffix.len()..).is_some_and(|end| end.eq_ignore_ascii_case(suffix))
}

/// The fields of a distribution's core metadata that pex-rs uses.
#[derive(Clone, Debug)]
pub struct CoreMetadata {
    name: PackageName,
    version: Version,
    requires_dist: Vec<Requirement>,
    requires_python: Option<String>,
    /// The extras the distribution declares (`Provides-Extra`); unparsable names are skipped.
    provides_extra: Vec<ExtraName>,
    /// `Metadata-Version`, as written.
    metadata_version: Option<String>,
    /// The fields a build may change (`Dynamic`, PEP 643), lowercased.
    dynamic: Vec<String>,
}

impl CoreMetadata {
    /// Parses a `METADATA` (or `PKG-INFO`) file: RFC 822 style headers, then a body we ignore.
    pub fn parse(bytes: &[u8]) -> Result<Self, Error> {
        let (headers, _) = mailparse::parse_headers(bytes).map_err(|error| Error::MetadataSyntax(error.to_string()))?;
        let single = |field: &'static str| {
            headers
                .iter()
                .find(|header| header.get_key_ref().eq_ignore_ascii_case(field))
                .map(|header| header.get_value().trim().to_owned())
        };
        let name_text = single("Name").ok_or(Error::MetadataMissingField("Name"))?;
        let name = PackageName::from_str(&name_text).map_err(|error| Error::MetadataInvalidField {
            field: "Name",
            value: name_text.clone(),
            reason: error.to_string(),
        })?;
        let version_text = single("Version").ok_or(Error::MetadataMissingField("Version"))?;
        let version = Version::from_str(&version_text).map_err(|error| Error::MetadataInvalidField {
            field: "Version",
            value: version_text.clone(),
            reason: error.to_string(),
        })?;
        let mut requires_dist = Vec::new();
        for header in headers.iter().filter(|header| header.get_key_ref().eq_ignore_ascii_case("Requires-Dist")) {
            let value = header.get_value();
            let requirement = parse_requirement(value.trim()).map_err(|reason| Error::MetadataInvalidField {
                field: "Requires-Dist",
                value: value.trim().to_owned(),
                reason,
            })?;
            requires_dist.push(requirement);
        }
        let provides_extra = headers
            .iter()
            .filter(|header| header.get_key_ref().eq_ignore_ascii_case("Provides-Extra"))
            .filter_map(|header| ExtraName::from_str(header.get_value().trim()).ok())
            .collect();
        let dynamic = headers
            .iter()
            .filter(|header| header.get_key_ref().eq_ignore_ascii_case("Dynamic"))
            .map(|header| header.get_value().trim().to_ascii_lowercase())
            .collect();
        Ok(Self {
            name,
            version,
            requires_dist,
            requires_python: single("Requires-Python"),
            provides_extra,
            metadata_version: single("Metadata-Version"),
            dynamic,
        })
    }

    /// Returns `true` if a source distribution's `PKG-INFO` says what its wheels will require:
    /// core metadata 2.2 or later (PEP 643) that marks none of the fields resolution reads as
    /// `Dynamic`. Older `PKG-INFO` files promise nothing: a build may compute other requirements.
    pub(crate) fn is_static_for_resolution(&self) -> bool {
        let version = self.metadata_version.as_deref().and_then(|text| Version::from_str(text).ok());
        let promises = version.is_some_and(|version| version >= Version::new([2, 2]));
        promises
            && !self
                .dynamic
                .iter()
                .any(|field| matches!(field.as_str(), "requires-dist" | "requires-python" | "provides-extra"))
    }

    /// The normalized project name.
    pub fn name(&self) -> &str {
        self.name.as_str()
    }

    pub(crate) fn package_name(&self) -> &PackageName {
        &self.name
    }

    pub(crate) fn version(&self) -> &Version {
        &self.version
    }

    pub(crate) fn requires_dist(&self) -> &[Requirement] {
        &self.requires_dist
    }

    /// The extras the distribution declares.
    pub(crate) fn provides_extra(&self) -> &[ExtraName] {
        &self.provides_extra
    }

    /// The `Requires-Python` specifier text, if any.
    pub fn requires_python(&self) -> Option<&str> {
        self.requires_python.as_deref()
    }
}

#[cfg(test)]
mod tests {
    use super::{CoreMetadata, SdistFilename, SdistFormat, WheelFilename};

    #[test]
    fn ok_wheel_filename_round_trip() {
        for filename in [
            "six-1.17.0-py2.py3-none-any.whl",
            "numpy-2.4.6-cp311-cp311-manylinux_2_17_x86_64.manylinux2014_x86_64.whl",
            "Foo_Bar-1.0.post1-1build-cp38-abi3-linux_x86_64.whl",
        ] {
            let parsed: WheelFilename = filename.parse().unwrap();
            assert_eq!(parsed.to_string(), filename);
            let reparsed: WheelFilename = parsed.to_string().parse().unwrap();
            assert_eq!(parsed, reparsed);
        }
        let parsed: WheelFilename = "Foo_Bar-1.0.post1-1build-cp38-abi3-linux_x86_64.whl".parse().unwrap();
        assert_eq!(parsed.name(), "foo-bar");
        assert_eq!(parsed.tags(), ["cp38", "abi3", "linux_x86_64"]);
    }

    #[test]
    fn err_wheel_filename() {
        for (filename, message) in [
            ("six-1.17.0.tar.gz", "`six-1.17.0.tar.gz` is not a wheel file name: it does not end in `.whl`"),
            (
                "six-1.17.0-py3-any.whl",
                "`six-1.17.0-py3-any.whl` is not a wheel file name: it must have 5 or 6 `-`-separated parts",
            ),
            (
                "../six-1.0-py3-none-any.whl",
                "`../six-1.0-py3-none-any.whl` is not a wheel file name: it contains a path separator, `..`, `:`, white space or a control character",
            ),
            (
                "six-1.0-x-py3-none-any.whl",
                "`six-1.0-x-py3-none-any.whl` is not a wheel file name: its build tag does not start with a digit",
            ),
            ("six-1.0--none-any.whl", "`six-1.0--none-any.whl` is not a wheel file name: it has an empty tag"),
            ("six-one-py3-none-any.whl", "`six-one-py3-none-any.whl` has an invalid version"),
            ("s!x-1.0-py3-none-any.whl", "`s!x-1.0-py3-none-any.whl` has an invalid project name"),
        ] {
            let error = filename.parse::<WheelFilename>().unwrap_err();
            assert_eq!(error.to_string(), message);
        }
    }

    #[test]
    fn ok_sdist_filenames() {
        let name = |text: &str| -> crate::requirement::PackageName { text.parse().unwrap() };
        for (filename, project, version) in [
            ("docopt-0.6.2.tar.gz", "docopt", "0.6.2"),
            ("python-dateutil-2.8.2.tar.gz", "python-dateutil", "2.8.2"),
            ("Python_Dateutil-2.8.2.zip", "python-dateutil", "2.8.2"),
            ("zope.interface-6.0.tgz", "zope-interface", "6.0"),
            ("foo-2-1.0.tar", "foo-2", "1.0"),
            ("FOO-1.0-post1.TAR.GZ", "foo", "1.0.post1"),
        ] {
            let parsed = SdistFilename::parse(filename, &name(project)).unwrap();
            assert_eq!((parsed.package_name().as_str(), parsed.version().to_string()), (project, version.to_owned()));
            assert_eq!(parsed.to_string(), filename);
        }
        assert_eq!(SdistFilename::format_of("x-1.zip").unwrap(), SdistFormat::Zip);
        assert!(SdistFilename::is_archive_name("x-1.tar.bz2"));
    }

    #[test]
    fn err_sdist_filenames() {
        let name = |text: &str| -> crate::requirement::PackageName { text.parse().unwrap() };
        for (filename, project, message) in [
            (
                "other-1.0.tar.gz",
                "docopt",
                "`other-1.0.tar.gz` is not a source distribution file name: it is not `{name}-{version}` of the project it is listed for",
            ),
            (
                "docopt-one.tar.gz",
                "docopt",
                "`docopt-one.tar.gz` is not a source distribution file name: it is not `{name}-{version}` of the project it is listed for",
            ),
            (
                "docopt-1.0.whl",
                "docopt",
                "`docopt-1.0.whl` is not a source distribution file name: it does not end in `.tar.gz` or `.zip`",
            ),
            (
                "../docopt-1.0.tar.gz",
                "docopt",
                "`../docopt-1.0.tar.gz` is not a source distribution file name: it contains a path separator, `..`, `:` or a control character",
            ),
            (
                "docopt-1.0.tar.bz2",
                "docopt",
                "`docopt-1.0.tar.bz2` is a source archive pex-rs cannot unpack (`.tar.bz2`, `.tar.xz`); give a `.tar.gz` or `.zip` sdist or a wheel",
            ),
        ] {
            assert_eq!(SdistFilename::parse(filename, &name(project)).unwrap_err().to_string(), message, "{filename}");
        }
    }

    #[test]
    fn ok_static_metadata_follows_pep_643() {
        for (text, trusted) in [
            ("Metadata-Version: 2.2\nName: a\nVersion: 1\n", true),
            ("Metadata-Version: 2.4\nName: a\nVersion: 1\nDynamic: Description\n", true),
            ("Metadata-Version: 2.2\nName: a\nVersion: 1\nDynamic: Requires-Dist\n", false),
            ("Metadata-Version: 2.3\nName: a\nVersion: 1\nDynamic: provides-extra\n", false),
            ("Metadata-Version: 2.1\nName: a\nVersion: 1\n", false),
            ("Name: a\nVersion: 1\n", false),
        ] {
            assert_eq!(CoreMetadata::parse(text.as_bytes()).unwrap().is_static_for_resolution(), trusted, "{text}");
        }
    }

    #[test]
    fn ok_core_metadata() {
        let metadata = CoreMetadata::parse(
            b"Metadata-Version: 2.1\nName: Requests\nVersion: 2.32.0\nRequires-Python: >=3.8\n\
              Requires-Dist: idna<4,>=2.5\nRequires-Dist: PySocks!=1.5.7,>=1.5.6; extra == \"socks\"\n\
              Provides-Extra: socks\nProvides-Extra: use_chardet_on_py3\n\nBody text\n",
        )
        .unwrap();
        assert_eq!(metadata.name(), "requests");
        assert_eq!(metadata.version().to_string(), "2.32.0");
        assert_eq!(metadata.requires_dist().len(), 2);
        assert_eq!(metadata.requires_python(), Some(">=3.8"));
        let extras: Vec<String> = metadata.provides_extra().iter().map(ToString::to_string).collect();
        assert_eq!(extras, ["socks", "use-chardet-on-py3"]);
    }

    #[test]
    fn err_core_metadata() {
        let error = CoreMetadata::parse(b"Metadata-Version: 2.1\nVersion: 1.0\n").unwrap_err();
        assert_eq!(error.to_string(), "the core metadata lacks the required `Name` field");
        let error = CoreMetadata::parse(b"Name: a\nVersion: 1.0\nRequires-Dist: a-;\n").unwrap_err();
        assert!(
            error.to_string().starts_with("the core metadata field `Requires-Dist` has an invalid value `a-;`"),
            "{error}"
        );
    }
}
