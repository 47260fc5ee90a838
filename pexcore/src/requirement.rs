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
/// pex-rs writes requirements back as text (PEX-INFO, lock files), and uv-pep508 does not always
/// write text that reads back: it puts marker values in single quotes without escaping (PEP 508
/// has none), so `platform_machine == "x'86"` is written as text that no longer parses, and a
/// URL that ends in `;` runs into the marker's `;`. Such requirements are refused here (both
/// found by fuzzing); only texts that can hit either case pay for writing and reading again.
pub(crate) fn parse_requirement(text: &str) -> Result<Requirement, String> {
    const UNWRITABLE: &str =
        "it cannot be written back as PEP 508 text (a marker value holding a `'`, or a URL that ends in `;`)";
    let requirement = text.parse::<Requirement>().map_err(|error| error.to_string())?;
    let quoted = text.contains('\'') && text.contains('"');
    let url = matches!(requirement.version_or_url, Some(VersionOrUrl::Url(_)));
    if quoted || url {
        // A URL's credentials are written redacted, on purpose: for a URL, reading back is enough.
        match requirement.to_string().parse::<Requirement>() {
            Err(_) => return Err(UNWRITABLE.to_owned()),
            Ok(again) if !url && again != requirement => return Err(UNWRITABLE.to_owned()),
            Ok(_) => {}
        }
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
    fn issue_14_requirements_that_cannot_be_written_back_are_refused() {
        // Found by the `requirement` fuzz target: written back, it would not parse.
        let error = parse_requirement(r#"pkg ; platform_machine == "'x86_64""#).unwrap_err();
        assert!(error.contains("cannot be written back"), "{error}");
        let error = parse_requirement("pkg @ https://host.example/pkg.whl?x;; os_name == 'posix'").unwrap_err();
        assert!(error.contains("cannot be written back"), "{error}");
        let credentials = parse_requirement("pkg @ https://user:secret@host.example/pkg-1.0.tar.gz").unwrap();
        assert!(credentials.to_string().contains("****"), "credentials are written redacted");
        let fine = parse_requirement(r#"pkg ; platform_machine == 'x86_64' and extra == "cli""#).unwrap();
        assert_eq!(parse_requirement(&fine.to_string()).unwrap(), fine);
    }
}
