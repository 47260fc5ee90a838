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
///
/// pex-rs writes requirements back as text (PEX-INFO, lock files), and uv-pep508 writes marker
/// values in single quotes without escaping (PEP 508 has none): a value holding a `'`
/// (`platform_machine == "x'86"`) would be written as text that no longer parses. No
/// environment has such a value, so such a requirement is refused here (found by fuzzing).
pub(crate) fn parse_requirement(text: &str) -> Result<Requirement, String> {
    let requirement = text.parse::<Requirement>().map_err(|error| error.to_string())?;
    if text.contains('\'') && text.contains('"') && requirement.to_string().parse().ok().as_ref() != Some(&requirement)
    {
        return Err("a marker value holds a quote (`'`), which PEP 508 text cannot write back".to_owned());
    }
    Ok(requirement)
}

/// Returns `true` if `version` satisfies the version part of `requirement` (a URL requirement
/// is satisfied by any version: the artifact decides).
pub(crate) fn is_satisfied_by(requirement: &Requirement, version: &Version) -> bool {
    match &requirement.version_or_url {
        None | Some(VersionOrUrl::Url(_)) => true,
        Some(VersionOrUrl::VersionSpecifier(specifiers)) => specifiers.contains(version),
    }
}

#[cfg(test)]
mod tests {
    use super::parse_requirement;

    #[test]
    fn issue_14_a_marker_value_with_a_quote_is_refused() {
        // Found by the `requirement` fuzz target: written back, it would not parse.
        let error = parse_requirement(r#"pkg ; platform_machine == "'x86_64""#).unwrap_err();
        assert!(error.contains("cannot write back"), "{error}");
        let fine = parse_requirement(r#"pkg ; platform_machine == 'x86_64' and extra == "cli""#).unwrap();
        assert_eq!(parse_requirement(&fine.to_string()).unwrap(), fine);
    }
}
