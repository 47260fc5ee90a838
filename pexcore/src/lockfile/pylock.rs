//! PEP 751 `pylock.toml`: read any conforming lock (uv's, pip's, pex-rs's), write pex-rs's.
//!
//! Written by hand rather than through a serializer, so the bytes are pex-rs's to decide: keys in
//! the order PEP 751 lists them, packages sorted by name then version, files by name, one file per
//! line, no timestamp but the upload times the index gave. The same lock writes the same bytes.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use camino::Utf8Path;

use super::{Error, GroupName, Location, LockFile, LockedFile, LockedPackage, Marker, PackageSource};
use crate::hash::Sha256Digest;
use crate::requirement::{ExtraName, PackageName, Version, VersionSpecifiers};

#[derive(serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
struct Document {
    lock_version: String,
    #[serde(default)]
    environments: Vec<String>,
    requires_python: Option<String>,
    #[serde(default)]
    extras: Vec<String>,
    #[serde(default)]
    dependency_groups: Vec<String>,
    #[serde(default)]
    default_groups: Vec<String>,
    #[serde(default)]
    created_by: String,
    #[serde(default)]
    packages: Vec<Package>,
    #[serde(default)]
    tool: BTreeMap<String, toml::Value>,
    #[serde(flatten)]
    unknown: BTreeMap<String, toml::Value>,
}

#[derive(serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
struct Package {
    name: String,
    version: Option<String>,
    marker: Option<String>,
    requires_python: Option<String>,
    // Read for completeness: selection follows markers, and a subset follows METADATA.
    #[serde(default, rename = "dependencies")]
    _dependencies: Vec<toml::Value>,
    #[serde(rename = "index")]
    _index: Option<String>,
    vcs: Option<Vcs>,
    directory: Option<Directory>,
    archive: Option<File>,
    sdist: Option<File>,
    #[serde(default)]
    wheels: Vec<File>,
    #[serde(default, rename = "attestation-identities")]
    _attestation_identities: Vec<toml::Value>,
    #[serde(default, rename = "tool")]
    _tool: BTreeMap<String, toml::Value>,
    #[serde(flatten)]
    unknown: BTreeMap<String, toml::Value>,
}

#[derive(serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
struct File {
    name: Option<String>,
    upload_time: Option<toml::value::Datetime>,
    url: Option<String>,
    path: Option<String>,
    size: Option<u64>,
    #[serde(default)]
    hashes: BTreeMap<String, String>,
    subdirectory: Option<String>,
    #[serde(flatten)]
    unknown: BTreeMap<String, toml::Value>,
}

#[derive(serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
struct Vcs {
    #[serde(rename = "type")]
    kind: String,
    url: Option<String>,
    path: Option<String>,
    #[serde(rename = "requested-revision")]
    _requested_revision: Option<String>,
    commit_id: String,
    subdirectory: Option<String>,
}

#[derive(serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
struct Directory {
    path: String,
    #[serde(rename = "editable")]
    _editable: Option<bool>,
    subdirectory: Option<String>,
}

/// Reads a `pylock.toml` (`path` names it in messages).
pub(super) fn parse(text: &str, path: &Utf8Path) -> Result<LockFile, Error> {
    let invalid = |reason: String| Error::Invalid { path: path.to_owned(), reason };
    let document: Document = toml::from_str(text).map_err(|error| {
        // One line: where, then what (the error's own text draws the line with a caret).
        let at = error.span().map(|span| {
            let before = &text[..span.start.min(text.len())];
            let line = before.matches('\n').count() + 1;
            let column = before.len() - before.rfind('\n').map_or(0, |newline| newline + 1) + 1;
            format!("line {line}, column {column}: ")
        });
        invalid(format!("{}{}", at.unwrap_or_default(), error.message().trim()))
    })?;
    if super::check_version(&document.lock_version, path)? {
        tracing::warn!(
            "`{path}` has lock-version {}, newer than the 1.0 this pex-rs writes; reading what it knows",
            document.lock_version
        );
    }
    let mut unknown: Vec<String> = document.unknown.keys().cloned().collect();
    let mut packages = Vec::new();
    for package in document.packages {
        unknown.extend(package.unknown.keys().map(|key| format!("packages.{key}")));
        for file in package.wheels.iter().chain(&package.sdist).chain(&package.archive) {
            unknown.extend(file.unknown.keys().map(|key| format!("packages.<file>.{key}")));
        }
        packages.push(read_package(package).map_err(invalid)?);
    }
    unknown.sort();
    unknown.dedup();
    if !unknown.is_empty() {
        tracing::warn!("`{path}` has keys this pex-rs does not know, which it ignores: {}", unknown.join(", "));
    }
    let specifiers = |text: &str| {
        text.parse::<VersionSpecifiers>().map_err(|error| invalid(format!("requires-python `{text}`: {error}")))
    };
    let names = |texts: Vec<String>| -> Result<Vec<GroupName>, Error> {
        texts
            .into_iter()
            .map(|text| text.parse::<GroupName>().map_err(|error| invalid(format!("group `{text}`: {error}"))))
            .collect()
    };
    let requirements = document
        .tool
        .get("pex-rs")
        .and_then(|table| table.get("requirements"))
        .and_then(toml::Value::as_array)
        .map(|array| array.iter().filter_map(toml::Value::as_str).map(str::to_owned).collect())
        .unwrap_or_default();
    Ok(LockFile {
        environments: document
            .environments
            .iter()
            .map(|text| Marker::parse(text))
            .collect::<Result<_, _>>()
            .map_err(invalid)?,
        requires_python: document.requires_python.as_deref().map(specifiers).transpose()?,
        extras: document
            .extras
            .iter()
            .map(|text| text.parse::<ExtraName>().map_err(|error| invalid(format!("extra `{text}`: {error}"))))
            .collect::<Result<_, _>>()?,
        dependency_groups: names(document.dependency_groups)?,
        default_groups: names(document.default_groups)?,
        created_by: document.created_by,
        packages,
        requirements,
    })
}

fn read_package(package: Package) -> Result<LockedPackage, String> {
    let name: PackageName =
        package.name.parse().map_err(|error| format!("package name `{}`: {error}", package.name))?;
    let context = |reason: String| format!("package `{name}`: {reason}");
    let version = package
        .version
        .as_deref()
        .map(|text| text.parse::<Version>().map_err(|error| context(format!("version `{text}`: {error}"))))
        .transpose()?;
    let marker = package.marker.as_deref().map(Marker::parse).transpose().map_err(context)?;
    let requires_python = package
        .requires_python
        .as_deref()
        .map(|text| {
            text.parse::<VersionSpecifiers>().map_err(|error| context(format!("requires-python `{text}`: {error}")))
        })
        .transpose()?;
    let sources = usize::from(package.vcs.is_some())
        + usize::from(package.directory.is_some())
        + usize::from(package.archive.is_some())
        + usize::from(package.sdist.is_some() || !package.wheels.is_empty());
    if sources != 1 {
        return Err(context(
            "it must have exactly one of `vcs`, `directory`, `archive`, or `sdist`/`wheels`".to_owned(),
        ));
    }
    let source = if let Some(vcs) = package.vcs {
        if vcs.kind != "git" {
            return Err(context(format!("a `{}` repository; pex-rs builds from git only", vcs.kind)));
        }
        let url = vcs.url.or(vcs.path).ok_or_else(|| context("its `vcs` has neither `url` nor `path`".to_owned()))?;
        PackageSource::Vcs { url, commit: vcs.commit_id, subdirectory: vcs.subdirectory }
    } else if let Some(directory) = package.directory {
        PackageSource::Directory { path: directory.path, subdirectory: directory.subdirectory }
    } else if let Some(archive) = package.archive {
        let subdirectory = archive.subdirectory.clone();
        PackageSource::Archive { file: read_file(archive).map_err(context)?, subdirectory }
    } else {
        PackageSource::Files {
            sdist: package.sdist.map(read_file).transpose().map_err(context)?,
            wheels: package.wheels.into_iter().map(read_file).collect::<Result<_, _>>().map_err(context)?,
        }
    };
    Ok(LockedPackage { name, version, marker, requires_python, source })
}

fn read_file(file: File) -> Result<LockedFile, String> {
    let location = match (file.url, file.path) {
        (Some(url), _) => Location::Url(url),
        (None, Some(path)) => Location::Path(path),
        (None, None) => return Err("a file with neither `url` nor `path`".to_owned()),
    };
    let name = file.name.unwrap_or_else(|| location.file_name());
    let Some(hex) = file.hashes.get("sha256") else {
        let algorithms = file.hashes.keys().cloned().collect::<Vec<_>>().join(", ");
        return Err(format!(
            "`{name}` has no sha256 hash (only: {}); pex-rs verifies every file by sha256",
            if algorithms.is_empty() { "none" } else { &algorithms }
        ));
    };
    let sha256 = Sha256Digest::from_hex(hex).ok_or_else(|| format!("`{name}` has an invalid sha256 `{hex}`"))?;
    Ok(LockedFile {
        name,
        location,
        size: file.size,
        upload_time: file.upload_time.map(|time| time.to_string()),
        sha256,
    })
}

/// The text of `lock`: see the module's documentation for what makes it deterministic.
pub(crate) fn write(lock: &LockFile) -> String {
    let mut out = String::new();
    out.push_str("# Written by `pex-rs lock`: change the requirements and lock again, rather than edit it.\n");
    let _ = writeln!(out, "lock-version = {}", quote(&format!("{}.{}", super::LOCK_VERSION.0, super::LOCK_VERSION.1)));
    if !lock.environments.is_empty() {
        out.push_str("environments = [\n");
        for environment in &lock.environments {
            let _ = writeln!(out, "    {},", quote(&environment.text));
        }
        out.push_str("]\n");
    }
    if let Some(requires_python) = &lock.requires_python {
        let _ = writeln!(out, "requires-python = {}", quote(&requires_python.to_string()));
    }
    let list =
        |items: Vec<String>| format!("[{}]", items.iter().map(|item| quote(item)).collect::<Vec<_>>().join(", "));
    if !lock.extras.is_empty() {
        let _ = writeln!(out, "extras = {}", list(lock.extras.iter().map(ToString::to_string).collect()));
    }
    if !lock.dependency_groups.is_empty() {
        let _ = writeln!(
            out,
            "dependency-groups = {}",
            list(lock.dependency_groups.iter().map(ToString::to_string).collect())
        );
        let _ =
            writeln!(out, "default-groups = {}", list(lock.default_groups.iter().map(ToString::to_string).collect()));
    }
    let _ = writeln!(out, "created-by = {}", quote(&lock.created_by));
    let mut packages: Vec<&LockedPackage> = lock.packages.iter().collect();
    packages.sort_by(|left, right| {
        (&left.name, &left.version, left.marker.as_ref().map(|marker| &marker.text)).cmp(&(
            &right.name,
            &right.version,
            right.marker.as_ref().map(|marker| &marker.text),
        ))
    });
    for package in packages {
        out.push_str("\n[[packages]]\n");
        let _ = writeln!(out, "name = {}", quote(package.name.as_ref()));
        if let Some(version) = &package.version {
            let _ = writeln!(out, "version = {}", quote(&version.to_string()));
        }
        if let Some(marker) = &package.marker {
            let _ = writeln!(out, "marker = {}", quote(&marker.text));
        }
        if let Some(requires_python) = &package.requires_python {
            let _ = writeln!(out, "requires-python = {}", quote(&requires_python.to_string()));
        }
        match &package.source {
            PackageSource::Files { sdist, wheels } => {
                if let Some(sdist) = sdist {
                    let _ = writeln!(out, "sdist = {}", file_table(sdist, None));
                }
                if !wheels.is_empty() {
                    let mut wheels: Vec<&LockedFile> = wheels.iter().collect();
                    wheels.sort_by(|left, right| left.name.cmp(&right.name));
                    out.push_str("wheels = [\n");
                    for wheel in wheels {
                        let _ = writeln!(out, "    {},", file_table(wheel, None));
                    }
                    out.push_str("]\n");
                }
            }
            PackageSource::Archive { file, subdirectory } => {
                let _ = writeln!(out, "archive = {}", file_table(file, subdirectory.as_deref()));
            }
            PackageSource::Vcs { url, commit, subdirectory } => {
                let mut fields = vec![("type", quote("git")), ("url", quote(url)), ("commit-id", quote(commit))];
                if let Some(subdirectory) = subdirectory {
                    fields.push(("subdirectory", quote(subdirectory)));
                }
                let _ = writeln!(out, "vcs = {}", inline(&fields));
            }
            PackageSource::Directory { path, subdirectory } => {
                let mut fields = vec![("path", quote(path))];
                if let Some(subdirectory) = subdirectory {
                    fields.push(("subdirectory", quote(subdirectory)));
                }
                let _ = writeln!(out, "directory = {}", inline(&fields));
            }
        }
    }
    if !lock.requirements.is_empty() {
        out.push_str("\n[tool.pex-rs]\n");
        out.push_str("# What was locked, as a build from this lock records it in PEX-INFO.\n");
        out.push_str("requirements = [\n");
        for requirement in &lock.requirements {
            let _ = writeln!(out, "    {},", quote(requirement));
        }
        out.push_str("]\n");
    }
    out
}

/// One file as an inline table.
fn file_table(file: &LockedFile, subdirectory: Option<&str>) -> String {
    let mut fields = vec![("name", quote(&file.name))];
    match &file.location {
        Location::Url(url) => fields.push(("url", quote(url))),
        Location::Path(path) => fields.push(("path", quote(path))),
    }
    if let Some(time) = &file.upload_time {
        // A TOML date-time is written bare.
        fields.push(("upload-time", time.clone()));
    }
    if let Some(size) = file.size {
        fields.push(("size", size.to_string()));
    }
    if let Some(subdirectory) = subdirectory {
        fields.push(("subdirectory", quote(subdirectory)));
    }
    fields.push(("hashes", inline(&[("sha256", quote(&file.sha256.to_string()))])));
    inline(&fields)
}

fn inline(fields: &[(&str, String)]) -> String {
    let body = fields.iter().map(|(key, value)| format!("{key} = {value}")).collect::<Vec<_>>().join(", ");
    format!("{{ {body} }}")
}

/// A TOML basic string.
fn quote(text: &str) -> String {
    let mut quoted = String::with_capacity(text.len() + 2);
    quoted.push('"');
    for character in text.chars() {
        match character {
            '"' => quoted.push_str("\\\""),
            '\\' => quoted.push_str("\\\\"),
            '\n' => quoted.push_str("\\n"),
            '\t' => quoted.push_str("\\t"),
            '\r' => quoted.push_str("\\r"),
            control if control.is_control() => {
                let _ = write!(quoted, "\\u{:04X}", u32::from(control));
            }
            other => quoted.push(other),
        }
    }
    quoted.push('"');
    quoted
}

#[cfg(test)]
mod tests {
    use super::*;

    const DIGEST: &str = "0000000000000000000000000000000000000000000000000000000000000001";

    #[test]
    fn ok_round_trip() {
        let text = format!(
            r#"lock-version = "1.0"
environments = ["sys_platform == 'linux'"]
requires-python = ">=3.9"
created-by = "pex-rs"

[[packages]]
name = "demo"
version = "1.0"
marker = "python_version >= '3.10'"
sdist = {{ name = "demo-1.0.tar.gz", url = "https://host/demo-1.0.tar.gz", upload-time = 2024-01-02T03:04:05Z, size = 10, hashes = {{ sha256 = "{DIGEST}" }} }}
wheels = [
    {{ name = "demo-1.0-py3-none-any.whl", path = "wheels/demo-1.0-py3-none-any.whl", size = 20, hashes = {{ sha256 = "{DIGEST}" }} }},
]

[tool.pex-rs]
requirements = ["demo>=1"]
"#
        );
        let lock = parse(&text, Utf8Path::new("pylock.toml")).unwrap();
        assert_eq!(lock.requirements, vec!["demo>=1"]);
        let written = write(&lock);
        let again = parse(&written, Utf8Path::new("pylock.toml")).unwrap();
        assert_eq!(write(&again), written);
        assert!(written.contains("upload-time = 2024-01-02T03:04:05Z"), "{written}");
        assert!(written.contains(r#"marker = "python_version >= '3.10'""#), "{written}");
    }

    #[test]
    fn ok_quote_escapes() {
        assert_eq!(quote("a\"b\\c\n\u{1}"), r#""a\"b\\c\n\u0001""#);
    }

    #[test]
    fn fail_newer_major_version() {
        let error = parse("lock-version = \"2.0\"\ncreated-by = \"x\"\n", Utf8Path::new("p.toml")).unwrap_err();
        assert!(matches!(error, Error::UnsupportedVersion { .. }), "{error}");
    }

    #[test]
    fn fail_file_without_sha256() {
        let text = "lock-version = \"1.0\"\ncreated-by = \"x\"\n[[packages]]\nname = \"a\"\nversion = \"1\"\nwheels = [{ url = \"https://h/a-1-py3-none-any.whl\", hashes = { md5 = \"x\" } }]\n";
        let error = parse(text, Utf8Path::new("p.toml")).unwrap_err();
        assert!(error.to_string().contains("no sha256"), "{error}");
    }
}
