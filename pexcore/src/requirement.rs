//! Package names, PEP 440 versions and specifiers, PEP 508 requirements and markers.
//!
//! A thin layer over the `uv-pep440` / `uv-pep508` / `uv-normalize` crates, which return errors
//! on malformed metadata where their predecessors panicked (see `docs/dependencies.md`). The rest
//! of `pexcore` names these types through here, so the choice of crate stays in one place.

pub(crate) use uv_normalize::{ExtraName, PackageName};
pub(crate) use uv_pep440::{Operator, Version, VersionSpecifiers};
pub(crate) use uv_pep508::{MarkerEnvironment, VersionOrUrl};

/// A PEP 508 requirement as found in `Requires-Dist`.
pub(crate) type Requirement = uv_pep508::Requirement<uv_pep508::VerbatimUrl>;

/// Parses one requirement; the error text is the parser's own (it points at the bad character).
pub(crate) fn parse_requirement(text: &str) -> Result<Requirement, String> {
    text.parse::<Requirement>().map_err(|error| error.to_string())
}

/// Returns `true` if `version` satisfies the version part of `requirement` (a URL requirement
/// is satisfied by any version: the artifact decides).
pub(crate) fn is_satisfied_by(requirement: &Requirement, version: &Version) -> bool {
    match &requirement.version_or_url {
        None | Some(VersionOrUrl::Url(_)) => true,
        Some(VersionOrUrl::VersionSpecifier(specifiers)) => specifiers.contains(version),
    }
}
