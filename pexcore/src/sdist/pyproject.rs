//! The `[build-system]` table of `pyproject.toml` (PEP 517, PEP 518): what a build needs
//! installed, and which backend runs it.
//!
//! Without `pyproject.toml`, or without the table, a project is built as pip builds it: with
//! `setuptools>=40.8.0` and setuptools' `build_meta:__legacy__` backend, which runs `setup.py`.
//! With the table but no `build-backend`, the given requirements and the same legacy backend.

use camino::{Utf8Path, Utf8PathBuf};

use super::Error;
use crate::requirement::{Requirement, parse_requirement};

/// The backend pip falls back to for projects that name none.
const LEGACY_BACKEND: &str = "setuptools.build_meta:__legacy__";
/// What pip installs for that backend.
const LEGACY_REQUIRES: &str = "setuptools>=40.8.0";

/// How a project is built.
#[derive(Clone, Debug)]
pub(crate) struct BuildSystem {
    /// What must be installed to run the backend (`requires`).
    pub(crate) requires: Vec<Requirement>,
    /// `module` or `module:object`.
    pub(crate) backend: String,
    /// Directories of the project to import the backend from (`backend-path`), absolute.
    pub(crate) backend_path: Vec<Utf8PathBuf>,
}

#[derive(serde::Deserialize)]
struct PyProject {
    #[serde(rename = "build-system")]
    build_system: Option<Table>,
}

#[derive(serde::Deserialize)]
struct Table {
    requires: Option<Vec<String>>,
    #[serde(rename = "build-backend")]
    build_backend: Option<String>,
    #[serde(rename = "backend-path")]
    backend_path: Option<Vec<String>>,
}

impl BuildSystem {
    /// Reads the build system of the project at `root`; `project` names it in errors.
    pub(crate) fn read(root: &Utf8Path, project: &str) -> Result<Self, Error> {
        let path = root.join("pyproject.toml");
        let text = match fs_err::read_to_string(&path) {
            Ok(text) => Some(text),
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => None,
            Err(source) => return Err(Error::Write { path, source }),
        };
        if text.is_none() && !root.join("setup.py").is_file() {
            return Err(Error::NotAProject { project: project.to_owned() });
        }
        Self::parse(text.as_deref(), root, project)
    }

    /// The build system that the text of `pyproject.toml` (`None`: there is none) gives the
    /// project at `root`.
    pub(crate) fn parse(text: Option<&str>, root: &Utf8Path, project: &str) -> Result<Self, Error> {
        let invalid = |reason: String| Error::PyProject { project: project.to_owned(), reason };
        let table = match text {
            Some(text) => {
                toml::from_str::<PyProject>(text).map_err(|error| invalid(error.message().to_owned()))?.build_system
            }
            None => None,
        };
        let Some(table) = table else {
            return Ok(Self::legacy(vec![LEGACY_REQUIRES.to_owned()], Vec::new()).expect("a valid requirement"));
        };
        let requires =
            table.requires.ok_or_else(|| invalid("`[build-system]` has no `requires` (PEP 518)".to_owned()))?;
        let mut backend_path = Vec::new();
        for entry in table.backend_path.unwrap_or_default() {
            // PEP 517: relative to the project, and inside it.
            let trimmed = entry.trim_start_matches("./").trim_end_matches('/');
            let path = if trimmed.is_empty() || trimmed == "." {
                Some(root.to_owned())
            } else {
                crate::fs::enclosed(trimmed).map(|relative| root.join(relative))
            };
            backend_path.push(
                path.ok_or_else(|| invalid(format!("`backend-path` entry `{entry}` is not inside the project")))?,
            );
        }
        let parsed = match table.build_backend {
            Some(backend) if is_backend_name(&backend) => Self::with(requires, backend, backend_path),
            Some(backend) => {
                return Err(invalid(format!("`build-backend` `{backend}` is not `module` or `module:object`")));
            }
            None => Self::legacy(requires, backend_path),
        };
        parsed
            .map_err(|(text, reason)| invalid(format!("`requires` has `{text}`, which is not a requirement: {reason}")))
    }

    fn legacy(requires: Vec<String>, backend_path: Vec<Utf8PathBuf>) -> Result<Self, (String, String)> {
        Self::with(requires, LEGACY_BACKEND.to_owned(), backend_path)
    }

    fn with(requires: Vec<String>, backend: String, backend_path: Vec<Utf8PathBuf>) -> Result<Self, (String, String)> {
        let requires = requires
            .into_iter()
            .map(|text| parse_requirement(&text).map_err(|reason| (text, reason)))
            .collect::<Result<_, _>>()?;
        Ok(Self { requires, backend, backend_path })
    }
}

/// `module.path` or `module.path:object.path`, each part a Python identifier.
fn is_backend_name(text: &str) -> bool {
    let dotted = |part: &str| !part.is_empty() && part.split('.').all(is_identifier);
    match text.split_once(':') {
        Some((module, object)) => dotted(module) && dotted(object),
        None => dotted(text),
    }
}

fn is_identifier(part: &str) -> bool {
    let mut characters = part.chars();
    characters.next().is_some_and(|first| first == '_' || first.is_alphabetic())
        && characters.all(|character| character == '_' || character.is_alphanumeric())
}

#[cfg(test)]
mod tests {
    use super::BuildSystem;

    fn project(files: &[(&str, &str)]) -> (tempfile::TempDir, camino::Utf8PathBuf) {
        let directory = tempfile::tempdir().unwrap();
        let root = camino::Utf8PathBuf::from_path_buf(directory.path().to_owned()).unwrap();
        for (name, text) in files {
            fs_err::write(root.join(name), text).unwrap();
        }
        (directory, root)
    }

    #[test]
    fn ok_build_systems() {
        let (_guard, root) = project(&[("setup.py", "")]);
        let system = BuildSystem::read(&root, "demo").unwrap();
        assert_eq!(system.backend, "setuptools.build_meta:__legacy__");
        assert_eq!(system.requires[0].to_string(), "setuptools>=40.8.0");

        let (_guard, root) = project(&[(
            "pyproject.toml",
            "[build-system]\nrequires = [\"flit_core >=3.2,<4\"]\nbuild-backend = \"flit_core.buildapi\"\nbackend-path = [\".\", \"tools\"]\n",
        )]);
        let system = BuildSystem::read(&root, "demo").unwrap();
        assert_eq!(system.backend, "flit_core.buildapi");
        assert_eq!(system.backend_path, [root.clone(), root.join("tools")]);

        let (_guard, root) = project(&[("pyproject.toml", "[build-system]\nrequires = [\"setuptools\"]\n")]);
        assert_eq!(BuildSystem::read(&root, "demo").unwrap().backend, "setuptools.build_meta:__legacy__");
    }

    #[test]
    fn err_build_systems() {
        for (text, message) in [
            ("[build-system]\nbuild-backend = \"x\"\n", "`[build-system]` has no `requires` (PEP 518)"),
            (
                "[build-system]\nrequires = []\nbuild-backend = \"x\"\nbackend-path = [\"../out\"]\n",
                "`backend-path` entry `../out` is not inside the project",
            ),
            (
                "[build-system]\nrequires = []\nbuild-backend = \"x y\"\n",
                "`build-backend` `x y` is not `module` or `module:object`",
            ),
            ("[build-system]\nrequires = [\"a-;\"]\n", "`requires` has `a-;`, which is not a requirement"),
            ("[build-system\n", "unclosed table"),
        ] {
            let (_guard, root) = project(&[("pyproject.toml", text)]);
            let error = BuildSystem::read(&root, "demo").unwrap_err().to_string();
            assert!(error.contains(message), "{text}: {error}");
        }
        let (_guard, root) = project(&[]);
        assert!(BuildSystem::read(&root, "demo").unwrap_err().to_string().contains("neither"));
    }
}

#[derive(serde::Deserialize)]
struct Groups {
    #[serde(rename = "dependency-groups", default)]
    dependency_groups: std::collections::BTreeMap<String, Vec<GroupItem>>,
}

/// An entry of a dependency group: a requirement, or another group to include (PEP 735).
#[derive(serde::Deserialize)]
#[serde(untagged)]
enum GroupItem {
    Requirement(String),
    Include {
        #[serde(rename = "include-group")]
        include_group: String,
    },
}

/// The requirements of the dependency group `group` (PEP 735) of the project at `root`, with
/// the groups it includes; `project` names it in errors.
pub(crate) fn dependency_group(root: &Utf8Path, project: &str, group: &str) -> Result<Vec<String>, Error> {
    let path = root.join("pyproject.toml");
    let invalid = |reason: String| Error::PyProject { project: project.to_owned(), reason };
    let text = fs_err::read_to_string(&path).map_err(|source| Error::Source { path: path.clone(), source })?;
    let groups =
        toml::from_str::<Groups>(&text).map_err(|error| invalid(error.message().to_owned()))?.dependency_groups;
    // Names compare normalized (PEP 735 follows PEP 503's rule for them).
    let normalize = |name: &str| name.to_ascii_lowercase().replace(['_', '.'], "-");
    let mut requirements = Vec::new();
    let mut pending = vec![(normalize(group), vec![normalize(group)])];
    while let Some((name, chain)) = pending.pop() {
        let Some((_, items)) = groups.iter().find(|(key, _)| normalize(key) == name) else {
            let known = groups.keys().cloned().collect::<Vec<_>>().join(", ");
            return Err(invalid(format!(
                "it has no dependency group `{name}` (it has: {})",
                if known.is_empty() { "none" } else { &known }
            )));
        };
        for item in items.iter().rev() {
            match item {
                GroupItem::Requirement(text) => requirements.push(text.clone()),
                GroupItem::Include { include_group } => {
                    let included = normalize(include_group);
                    if chain.contains(&included) {
                        return Err(invalid(format!(
                            "its dependency groups include each other: {}",
                            chain.join(" -> ")
                        )));
                    }
                    let mut chain = chain.clone();
                    chain.push(included.clone());
                    pending.push((included, chain));
                }
            }
        }
    }
    Ok(requirements)
}
