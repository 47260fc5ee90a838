//! pex's own JSON lock (`pex3 lock create`), read into a [`LockFile`] so users moving from pex
//! can build from the locks they have. Each of its resolves (one per platform for `--style
//! strict`, several by marker for universal locks) contributes its packages, under the resolve's
//! marker; where resolves disagree on a version without a marker, the target's wheel tags pick.

use super::{Location, LockFile, LockedFile, LockedPackage, Marker, PackageSource};
use crate::hash::Sha256Digest;
use crate::requirement::{PackageName, Version, VersionSpecifiers};

#[derive(serde::Deserialize)]
struct Document {
    #[serde(default)]
    requirements: Vec<String>,
    locked_resolves: Vec<Resolve>,
}

#[derive(serde::Deserialize)]
struct Resolve {
    marker: Option<String>,
    locked_requirements: Vec<Requirement>,
}

#[derive(serde::Deserialize)]
struct Requirement {
    project_name: String,
    version: String,
    requires_python: Option<String>,
    artifacts: Vec<Artifact>,
}

#[derive(serde::Deserialize)]
struct Artifact {
    url: String,
    algorithm: String,
    hash: String,
    commit_id: Option<String>,
}

/// Reads the text of a pex lock.
pub(super) fn parse(text: &str) -> Result<LockFile, String> {
    let document: Document =
        serde_json::from_str(text).map_err(|error| format!("it reads as JSON but not as a pex lock: {error}"))?;
    let mut packages = Vec::new();
    for resolve in document.locked_resolves {
        let marker = resolve.marker.as_deref().map(Marker::parse).transpose()?;
        for requirement in resolve.locked_requirements {
            packages.push(read_requirement(requirement, marker.clone())?);
        }
    }
    Ok(LockFile { created_by: "pex".to_owned(), packages, requirements: document.requirements, ..LockFile::default() })
}

fn read_requirement(requirement: Requirement, marker: Option<Marker>) -> Result<LockedPackage, String> {
    let name: PackageName = requirement
        .project_name
        .parse()
        .map_err(|error| format!("project name `{}`: {error}", requirement.project_name))?;
    let context = |reason: String| format!("`{name}`: {reason}");
    let version: Version =
        requirement.version.parse().map_err(|error| context(format!("version `{}`: {error}", requirement.version)))?;
    let requires_python = requirement
        .requires_python
        .as_deref()
        .map(|text| text.parse::<VersionSpecifiers>().map_err(|error| context(format!("requires_python: {error}"))))
        .transpose()?;
    let mut wheels = Vec::new();
    let mut sdist = None;
    let mut tree = None;
    for artifact in requirement.artifacts {
        if let Some(commit) = artifact.commit_id {
            tree = Some(PackageSource::Vcs { url: artifact.url, commit, subdirectory: None });
            continue;
        }
        if artifact.algorithm != "sha256" {
            return Err(context(format!(
                "`{}` is hashed with {}; pex-rs verifies by sha256",
                artifact.url, artifact.algorithm
            )));
        }
        let sha256 = Sha256Digest::from_hex(&artifact.hash)
            .ok_or_else(|| context(format!("invalid sha256 `{}`", artifact.hash)))?;
        let location = Location::Url(artifact.url);
        let name = location.file_name();
        let file = LockedFile { name: name.clone(), location, size: None, upload_time: None, sha256 };
        if std::path::Path::new(&name).extension().is_some_and(|extension| extension.eq_ignore_ascii_case("whl")) {
            wheels.push(file);
        } else if std::path::Path::new(&name).extension().is_none() && file_path(&file).is_some() {
            // A local project (pex records its directory as a `file://` URL with a fingerprint).
            tree = Some(PackageSource::Directory { path: file_path(&file).unwrap_or_default(), subdirectory: None });
        } else {
            sdist = Some(file);
        }
    }
    let source = tree.unwrap_or(PackageSource::Files { sdist, wheels });
    Ok(LockedPackage { name, version: Some(version), marker, requires_python, source })
}

/// The path of a `file://` location.
fn file_path(file: &LockedFile) -> Option<String> {
    let Location::Url(url) = &file.location else { return None };
    let url = url::Url::parse(url).ok().filter(|url| url.scheme() == "file")?;
    url.to_file_path().ok().map(|path| path.to_string_lossy().into_owned())
}

#[cfg(test)]
mod tests {
    #[test]
    fn ok_pex_lock() {
        let text = r#"{
          "pex_version": "2.33.0", "style": "strict", "requirements": ["cowsay<7"],
          "locked_resolves": [{
            "platform_tag": ["cp311", "cp311", "manylinux_2_35_x86_64"], "marker": null,
            "locked_requirements": [{
              "project_name": "cowsay", "version": "6.1", "requires_dists": [], "requires_python": null,
              "artifacts": [{"url": "https://host/files/cowsay-6.1-py3-none-any.whl", "algorithm": "sha256",
                             "hash": "274b1e6fc1b966d53976333eb90ac94cb07a450a700b455af9fbdf882244b30a"}]
            }]
          }]
        }"#;
        let lock = super::parse(text).unwrap();
        assert_eq!(lock.requirements, vec!["cowsay<7"]);
        assert_eq!(lock.packages.len(), 1);
        let super::PackageSource::Files { wheels, sdist } = &lock.packages[0].source else { panic!() };
        assert_eq!(wheels[0].name, "cowsay-6.1-py3-none-any.whl");
        assert!(sdist.is_none());
    }
}
