//! PEP 425 compatibility tags: which wheels a target can install, and which one it prefers.
//!
//! [`Tags::new`] lists the tags a target supports, best first, exactly as
//! `packaging.tags.sys_tags()` lists them for an interpreter on that target (packaging 24 and 25),
//! so pex-rs ranks wheels the way pip does. Its input, a [`TagEnvironment`], comes from the
//! interpreter probe (`interpreter/probe.py`, which repeats packaging's system queries) or from
//! pex's abbreviated platform form, `PLATFORM-IMPL-VERSION-ABI`.
//!
//! packaging 26 changed the order: it adds `abi3t` tags for free-threaded builds (26.1) and puts
//! `linux_<arch>` before `manylinux_*` (26.3).
//!
//! Not reproduced: a distribution's `_manylinux` module, which can veto manylinux versions
//! (PEP 600's `manylinux_compatible`), and the iOS, Android and Emscripten platform families,
//! whose targets get their single `sysconfig` platform tag.

use std::collections::HashMap;
use std::fmt;
use std::str::FromStr;

/// What tag generation needs to know about a target.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub(crate) struct TagEnvironment {
    /// The interpreter's short name: `cp` (CPython), `pp` (PyPy), else `sys.implementation.name`.
    implementation: String,
    /// The Python language version, `(major, minor)`.
    python_version: (u32, u32),
    /// The interpreter's own ABI tags, most specific first: `cp311`, `cp313t`, `cp312d` then
    /// `cp312` for a debug build, `pypy310_pp73`. May be empty; `abi3` and `none` are implied.
    abis: Vec<String>,
    platform: Platform,
}

impl TagEnvironment {
    /// The interpreter's short name (`cp`, `pp`, ...).
    pub(crate) fn implementation(&self) -> &str {
        &self.implementation
    }

    /// The Python language version, `(major, minor)`.
    pub(crate) fn python_version(&self) -> (u32, u32) {
        self.python_version
    }

    pub(crate) fn platform(&self) -> &Platform {
        &self.platform
    }
}

/// The operating system and machine part of a [`TagEnvironment`].
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(tag = "os", rename_all = "lowercase")]
pub(crate) enum Platform {
    /// `arch` is the part after `linux_` in `sysconfig.get_platform()`, corrected for a 32-bit
    /// interpreter on a 64-bit kernel (`i686`, `armv8l`) as packaging does.
    Linux { arch: String, libc: Libc },
    /// `arch` is the interpreter's architecture (`arm64`, `x86_64`, or `i386`/`ppc` when 32-bit).
    MacOs { arch: String, version: (u32, u32) },
    /// Anything else (Windows, the BSDs): the one tag `sysconfig.get_platform()` gives, with `.`,
    /// `-` and spaces turned into `_`.
    Other { tag: String },
}

/// The C library of a Linux target, which decides between manylinux and musllinux wheels.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub(crate) enum Libc {
    /// glibc `(major, minor)`. The probe records it only when the interpreter has the ABI
    /// manylinux assumes (packaging's `_have_compatible_abi`: hard-float on 32-bit ARM, i386 on
    /// i686), so `Glibc` means "may load manylinux wheels up to this version" (PEP 600).
    Glibc(u32, u32),
    /// musl `(major, minor)`: may load musllinux wheels up to this version (PEP 656).
    Musl(u32, u32),
    /// Neither: only `linux_<arch>` wheels.
    Unknown,
}

/// One supported tag, lowercase as packaging's `Tag` is.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub(crate) struct Tag {
    python: String,
    abi: String,
    platform: String,
}

impl Tag {
    fn new(python: &str, abi: &str, platform: &str) -> Self {
        Self {
            python: python.to_ascii_lowercase(),
            abi: abi.to_ascii_lowercase(),
            platform: platform.to_ascii_lowercase(),
        }
    }
}

impl fmt::Display for Tag {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(formatter, "{}-{}-{}", self.python, self.abi, self.platform)
    }
}

/// The tags a target supports, best first, with each tag's rank for quick lookup.
#[derive(Clone, Debug)]
pub(crate) struct Tags {
    ordered: Vec<Tag>,
    priorities: HashMap<Tag, usize>,
}

impl Tags {
    /// The tags `packaging.tags.sys_tags()` yields on `environment`, in its order.
    pub(crate) fn new(environment: &TagEnvironment) -> Self {
        let mut tags = Self { ordered: Vec::new(), priorities: HashMap::new() };
        let platforms = environment.platform.tags();
        let (major, minor) = environment.python_version;
        let interpreter = format!("{}{major}{minor}", environment.implementation);
        if environment.implementation == "cp" {
            tags.push_cpython(environment, &interpreter, &platforms);
        } else {
            // packaging's `generic_tags`.
            for abi in environment.abis.iter().map(String::as_str).chain(
                // `none` comes last unless the interpreter named it itself.
                (!environment.abis.iter().any(|abi| abi == "none")).then_some("none"),
            ) {
                tags.push_each(&interpreter, abi, &platforms);
            }
        }
        // packaging's `compatible_tags`; `sys_tags` names only CPython's and PyPy's own `none-any`
        // tag (`pp3` per pypa/packaging#311, `cpXY` per pypa/packaging#541).
        let python_range = python_range(major, minor);
        for python in &python_range {
            tags.push_each(python, "none", &platforms);
        }
        match environment.implementation.as_str() {
            "cp" => tags.push(&interpreter, "none", "any"),
            "pp" => tags.push("pp3", "none", "any"),
            _ => {}
        }
        for python in &python_range {
            tags.push(python, "none", "any");
        }
        tags
    }

    /// packaging's `cpython_tags`: the interpreter's ABIs, then the stable ABI (PEP 384), then no
    /// ABI, then the stable ABI of each older 3.x down to 3.2.
    fn push_cpython(&mut self, environment: &TagEnvironment, interpreter: &str, platforms: &[String]) {
        let abis: Vec<&str> =
            environment.abis.iter().map(String::as_str).filter(|abi| !matches!(*abi, "abi3" | "none")).collect();
        for abi in &abis {
            self.push_each(interpreter, abi, platforms);
        }
        // A free-threaded build (`cp313t`) cannot load abi3 extensions.
        let free_threaded = abis.first().is_some_and(|abi| is_free_threaded(abi));
        let (major, minor) = environment.python_version;
        let stable_abi = (major, minor) >= (3, 2) && !free_threaded;
        if stable_abi {
            self.push_each(interpreter, "abi3", platforms);
        }
        self.push_each(interpreter, "none", platforms);
        if stable_abi {
            for older in (2..minor).rev() {
                self.push_each(&format!("cp{major}{older}"), "abi3", platforms);
            }
        }
    }

    fn push_each(&mut self, python: &str, abi: &str, platforms: &[String]) {
        for platform in platforms {
            self.push(python, abi, platform);
        }
    }

    fn push(&mut self, python: &str, abi: &str, platform: &str) {
        let tag = Tag::new(python, abi, platform);
        // A repeated tag keeps its first, better, rank, as packaging's tag selector does.
        self.priorities.entry(tag.clone()).or_insert(self.ordered.len());
        self.ordered.push(tag);
    }

    /// The rank of the best supported tag among a wheel file name's tags (lower is better), or
    /// `None` when the wheel does not run on the target. Each part may be a compressed tag set
    /// (`py2.py3`, PEP 425), which stands for every combination of its members.
    pub(crate) fn priority(&self, wheel_tags: [&str; 3]) -> Option<usize> {
        let [pythons, abis, platforms] = wheel_tags;
        let mut best = None;
        for python in pythons.split('.') {
            for abi in abis.split('.') {
                for platform in platforms.split('.') {
                    if let Some(&rank) = self.priorities.get(&Tag::new(python, abi, platform)) {
                        best = Some(best.map_or(rank, |best: usize| best.min(rank)));
                    }
                }
            }
        }
        best
    }

    /// The supported tags, best first.
    pub(crate) fn iter(&self) -> impl Iterator<Item = &Tag> {
        self.ordered.iter()
    }

    /// Tags given in full, best first (a complete platform file): `python-abi-platform` each.
    pub(crate) fn from_ordered<'a>(tags: impl IntoIterator<Item = &'a str>) -> Result<Self, String> {
        let mut result = Self { ordered: Vec::new(), priorities: HashMap::new() };
        for text in tags {
            let mut parts = text.splitn(3, '-');
            let (Some(python), Some(abi), Some(platform)) = (parts.next(), parts.next(), parts.next()) else {
                return Err(format!("`{text}` is not a tag of the form python-abi-platform"));
            };
            if [python, abi, platform].iter().any(|part| part.is_empty() || part.contains('-')) {
                return Err(format!("`{text}` is not a tag of the form python-abi-platform"));
            }
            result.push(python, abi, platform);
        }
        if result.ordered.is_empty() {
            return Err("it lists no compatible tags".to_owned());
        }
        Ok(result)
    }
}

/// packaging's `_is_threaded_cpython`: the ABI flags after `cpXY` include `t`.
fn is_free_threaded(abi: &str) -> bool {
    abi.strip_prefix("cp")
        .and_then(|rest| {
            let flags = rest.trim_start_matches(|character: char| character.is_ascii_digit());
            (flags.len() < rest.len()).then_some(flags)
        })
        .is_some_and(|flags| flags.contains('t'))
}

/// packaging's `_py_interpreter_range`: `pyXY`, `pyX`, then each older `pyXW` down to `pyX0`.
fn python_range(major: u32, minor: u32) -> Vec<String> {
    let mut range = vec![format!("py{major}{minor}"), format!("py{major}")];
    range.extend((0..minor).rev().map(|older| format!("py{major}{older}")));
    range
}

/// Architectures that manylinux wheels are built for; packaging's `_have_compatible_abi` lists
/// the 64-bit ones and checks the executable for the two 32-bit ones (the probe does that).
const MANYLINUX_ARCHS: &[&str] =
    &["x86_64", "aarch64", "ppc64", "ppc64le", "s390x", "loongarch64", "riscv64", "i686", "armv7l"];

/// The legacy names of glibc versions that PEP 513, 571 and 599 named.
fn legacy_manylinux(glibc: (u32, u32)) -> Option<&'static str> {
    match glibc {
        (2, 17) => Some("manylinux2014"),
        (2, 12) => Some("manylinux2010"),
        (2, 5) => Some("manylinux1"),
        _ => None,
    }
}

impl Platform {
    /// packaging's `platform_tags()` for this platform, best first.
    fn tags(&self) -> Vec<String> {
        match self {
            Self::Linux { arch, libc } => linux_platforms(arch, libc),
            Self::MacOs { arch, version } => mac_platforms(*version, arch),
            Self::Other { tag } => vec![tag.clone()],
        }
    }
}

/// packaging's `_linux_platforms`: every manylinux tag, then every musllinux tag, then the
/// `linux_<arch>` tags.
fn linux_platforms(arch: &str, libc: &Libc) -> Vec<String> {
    // 32-bit ARM on a 64-bit kernel also runs armv7l code.
    let single = [arch];
    let archs: &[&str] = if arch == "armv8l" { &["armv8l", "armv7l"] } else { &single };
    let mut platforms = Vec::new();
    match *libc {
        Libc::Glibc(major, minor) if archs.iter().any(|arch| MANYLINUX_ARCHS.contains(arch)) => {
            manylinux_platforms(archs, (major, minor), &mut platforms);
        }
        Libc::Musl(major, minor) => {
            for arch in archs {
                platforms.extend((0..=minor).rev().map(|older| format!("musllinux_{major}_{older}_{arch}")));
            }
        }
        Libc::Glibc(..) | Libc::Unknown => {}
    }
    platforms.extend(archs.iter().map(|arch| format!("linux_{arch}")));
    platforms
}

/// packaging's `_manylinux.platform_tags`: each `manylinux_2_Y` from the target's glibc down to
/// the oldest one built for the architecture, each legacy alias right after its version.
fn manylinux_platforms(archs: &[&str], glibc: (u32, u32), platforms: &mut Vec<String>) {
    // manylinux1 (glibc 2.5) existed only for x86; manylinux2014 (2.17) added the others.
    let oldest_minor = if archs.iter().any(|arch| matches!(*arch, "x86_64" | "i686")) { 5 } else { 17 };
    // glibc keeps compatibility across major versions (sourceware bug 24636); packaging takes 50
    // as the last minor of an earlier major until a new major exists.
    let mut highest = vec![glibc];
    highest.extend((2..glibc.0).rev().map(|major| (major, 50)));
    for arch in archs {
        for &(major, last_minor) in &highest {
            let first_minor = if major == 2 { oldest_minor } else { 0 };
            for minor in (first_minor..=last_minor).rev() {
                platforms.push(format!("manylinux_{major}_{minor}_{arch}"));
                if let Some(legacy) = legacy_manylinux((major, minor)) {
                    platforms.push(format!("{legacy}_{arch}"));
                }
            }
        }
    }
}

/// packaging's `mac_platforms`: the target's release and each older one, each in the binary
/// formats that can hold `arch`.
fn mac_platforms(version: (u32, u32), arch: &str) -> Vec<String> {
    let mut platforms = Vec::new();
    if ((10, 0)..(11, 0)).contains(&version) {
        // Before macOS 11 every yearly release bumped the minor version.
        for minor in (0..=version.1).rev() {
            for format in mac_binary_formats((10, minor), arch) {
                platforms.push(format!("macosx_10_{minor}_{format}"));
            }
        }
    }
    if version >= (11, 0) {
        // From macOS 11 on, the yearly release bumps the major version (minors are mid-year).
        for major in (11..=version.0).rev() {
            for format in mac_binary_formats((major, 0), arch) {
                platforms.push(format!("macosx_{major}_0_{format}"));
            }
        }
        // x86_64 code for 10.x still runs; arm64 appeared in 11.0, so for arm64 only the
        // universal2 binaries whose x86_64 half targets 10.x qualify.
        for minor in (4..=16).rev() {
            if arch == "x86_64" {
                for format in mac_binary_formats((10, minor), arch) {
                    platforms.push(format!("macosx_10_{minor}_{format}"));
                }
            } else {
                platforms.push(format!("macosx_10_{minor}_universal2"));
            }
        }
    }
    platforms
}

/// packaging's `_mac_binary_formats`: the formats (`arch` itself or a fat binary) that can hold
/// code for `arch` on macOS `version`.
fn mac_binary_formats(version: (u32, u32), arch: &str) -> Vec<&str> {
    let mut formats = vec![arch];
    match arch {
        "x86_64" | "i386" if version < (10, 4) => return Vec::new(),
        "x86_64" => formats.extend(["intel", "fat64", "fat32"]),
        "i386" => formats.extend(["intel", "fat32", "fat"]),
        "ppc64" if !((10, 4)..=(10, 5)).contains(&version) => return Vec::new(),
        "ppc64" => formats.push("fat64"),
        "ppc" if version > (10, 6) => return Vec::new(),
        "ppc" => formats.extend(["fat32", "fat"]),
        _ => {}
    }
    if matches!(arch, "arm64" | "x86_64") {
        formats.push("universal2");
    }
    if matches!(arch, "x86_64" | "i386" | "ppc64" | "ppc" | "intel") {
        formats.push("universal");
    }
    formats
}

/// Why an abbreviated platform could not be read.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PlatformError {
    #[error(
        "the platform `{0}` is not of the form PLATFORM-IMPL-VERSION-ABI; write it like \
         `manylinux2014_x86_64-cp-311-cp311`"
    )]
    Form(String),
    #[error(
        "the Python version `{version}` in the platform `{platform}` is not a version; write it like `311` or `3.11`"
    )]
    Version { platform: String, version: String },
}

/// pex's abbreviated platform, `PLATFORM-IMPL-VERSION-ABI` (`manylinux2014_x86_64-cp-311-cp311`,
/// `macosx_11_0_arm64-cp-313-cp313`), read as a machine of that platform: `manylinux2014_x86_64`
/// is a glibc 2.17 Linux, which also accepts older manylinux wheels and `linux_x86_64` ones.
impl FromStr for TagEnvironment {
    type Err = PlatformError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let form_error = || PlatformError::Form(text.to_owned());
        // The platform comes first and may itself hold `-` (`macosx-10.13-x86_64`).
        let mut parts = text.rsplitn(4, '-');
        let (Some(abi), Some(version), Some(implementation), Some(platform)) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(form_error());
        };
        if [abi, version, implementation, platform].iter().any(|part| part.is_empty()) {
            return Err(form_error());
        }
        let python_version = parse_python_version(version)
            .ok_or_else(|| PlatformError::Version { platform: text.to_owned(), version: version.to_owned() })?;
        Ok(Self {
            implementation: implementation.to_ascii_lowercase(),
            python_version,
            abis: vec![abi.to_ascii_lowercase()],
            platform: parse_platform(platform),
        })
    }
}

/// `311` (pex's form: the first digit is the major version) or `3.11`, `3.11.7`.
fn parse_python_version(text: &str) -> Option<(u32, u32)> {
    let (major, minor) = match text.split_once('.') {
        Some((major, rest)) => (major, rest.split('.').next().unwrap_or(rest)),
        None => text.split_at_checked(1)?,
    };
    if minor.is_empty() || !major.bytes().chain(minor.bytes()).all(|byte| byte.is_ascii_digit()) {
        return None;
    }
    Some((major.parse().ok()?, minor.parse().ok()?))
}

/// A platform tag read as the machine it names; a tag of no known family is kept as it is.
fn parse_platform(text: &str) -> Platform {
    let tag = text.replace(['.', '-', ' '], "_").to_ascii_lowercase();
    let linux = |arch: &str, libc| Platform::Linux { arch: arch.to_owned(), libc };
    for (prefix, glibc) in [("manylinux1_", (2, 5)), ("manylinux2010_", (2, 12)), ("manylinux2014_", (2, 17))] {
        if let Some(arch) = tag.strip_prefix(prefix).filter(|arch| !arch.is_empty()) {
            return linux(arch, Libc::Glibc(glibc.0, glibc.1));
        }
    }
    if let Some((major, minor, arch)) = tag.strip_prefix("manylinux_").and_then(versioned) {
        return linux(arch, Libc::Glibc(major, minor));
    }
    if let Some((major, minor, arch)) = tag.strip_prefix("musllinux_").and_then(versioned) {
        return linux(arch, Libc::Musl(major, minor));
    }
    if let Some((major, minor, arch)) = tag.strip_prefix("macosx_").and_then(versioned) {
        return Platform::MacOs { arch: arch.to_owned(), version: (major, minor) };
    }
    if let Some(arch) = tag.strip_prefix("linux_").filter(|arch| !arch.is_empty()) {
        return linux(arch, Libc::Unknown);
    }
    Platform::Other { tag }
}

/// `MAJOR_MINOR_ARCH` split into its parts.
fn versioned(text: &str) -> Option<(u32, u32, &str)> {
    let mut parts = text.splitn(3, '_');
    let major = parts.next()?.parse().ok()?;
    let minor = parts.next()?.parse().ok()?;
    let arch = parts.next().filter(|arch| !arch.is_empty())?;
    Some((major, minor, arch))
}

/// The abbreviated form [`TagEnvironment::from_str`] reads, naming the newest manylinux or
/// musllinux version a Linux target accepts.
impl fmt::Display for TagEnvironment {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (major, minor) = self.python_version;
        let abi = self.abis.first().map_or("none", String::as_str);
        write!(formatter, "{}-{}-{major}{minor}-{abi}", self.platform, self.implementation)
    }
}

impl fmt::Display for Platform {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Linux { arch, libc: Libc::Glibc(major, minor) } => {
                write!(formatter, "manylinux_{major}_{minor}_{arch}")
            }
            Self::Linux { arch, libc: Libc::Musl(major, minor) } => {
                write!(formatter, "musllinux_{major}_{minor}_{arch}")
            }
            Self::Linux { arch, libc: Libc::Unknown } => write!(formatter, "linux_{arch}"),
            Self::MacOs { arch, version: (major, minor) } => write!(formatter, "macosx_{major}_{minor}_{arch}"),
            Self::Other { tag } => formatter.write_str(tag),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn environment(
        implementation: &str,
        python_version: (u32, u32),
        abis: &[&str],
        platform: Platform,
    ) -> TagEnvironment {
        TagEnvironment {
            implementation: implementation.to_owned(),
            python_version,
            abis: abis.iter().map(|abi| (*abi).to_owned()).collect(),
            platform,
        }
    }

    fn listed(environment: &TagEnvironment) -> Vec<String> {
        Tags::new(environment).iter().map(ToString::to_string).collect()
    }

    fn position(tags: &[String], tag: &str) -> usize {
        tags.iter().position(|listed| listed == tag).unwrap_or_else(|| panic!("`{tag}` is not listed"))
    }

    fn linux(arch: &str, libc: Libc) -> Platform {
        Platform::Linux { arch: arch.to_owned(), libc }
    }

    #[test]
    fn ok_cpython_311_manylinux_x86_64() {
        let tags = listed(&environment("cp", (3, 11), &["cp311"], linux("x86_64", Libc::Glibc(2, 36))));
        // 32 manylinux_2_Y (2.36 down to 2.5), 3 legacy aliases, linux_x86_64.
        let platforms = 36;
        assert_eq!(
            &tags[..4],
            [
                "cp311-cp311-manylinux_2_36_x86_64",
                "cp311-cp311-manylinux_2_35_x86_64",
                "cp311-cp311-manylinux_2_34_x86_64",
                "cp311-cp311-manylinux_2_33_x86_64",
            ]
        );
        assert_eq!(position(&tags, "cp311-cp311-manylinux_2_17_x86_64"), 19);
        assert_eq!(position(&tags, "cp311-cp311-manylinux2014_x86_64"), 20);
        assert_eq!(position(&tags, "cp311-cp311-manylinux2010_x86_64"), 26);
        assert_eq!(position(&tags, "cp311-cp311-manylinux1_x86_64"), 34);
        assert_eq!(position(&tags, "cp311-cp311-linux_x86_64"), platforms - 1);
        assert_eq!(position(&tags, "cp311-abi3-manylinux_2_36_x86_64"), platforms);
        assert_eq!(position(&tags, "cp311-none-manylinux_2_36_x86_64"), 2 * platforms);
        // The stable ABI of 3.10 down to 3.2: nine versions.
        assert_eq!(position(&tags, "cp310-abi3-manylinux_2_36_x86_64"), 3 * platforms);
        assert_eq!(position(&tags, "cp32-abi3-linux_x86_64"), 12 * platforms - 1);
        // py311, py3, py310 .. py30: thirteen versions, then the `any` tags.
        assert_eq!(position(&tags, "py311-none-manylinux_2_36_x86_64"), 12 * platforms);
        assert_eq!(position(&tags, "py3-none-manylinux_2_36_x86_64"), 13 * platforms);
        assert_eq!(position(&tags, "cp311-none-any"), 25 * platforms);
        assert_eq!(
            &tags[25 * platforms..25 * platforms + 4],
            ["cp311-none-any", "py311-none-any", "py3-none-any", "py310-none-any"]
        );
        assert_eq!(tags.last().map(String::as_str), Some("py30-none-any"));
        assert_eq!(tags.len(), 25 * platforms + 14);
    }

    #[test]
    fn ok_cpython_312_musllinux_aarch64() {
        let tags = listed(&environment("cp", (3, 12), &["cp312"], linux("aarch64", Libc::Musl(1, 2))));
        assert_eq!(
            &tags[..4],
            [
                "cp312-cp312-musllinux_1_2_aarch64",
                "cp312-cp312-musllinux_1_1_aarch64",
                "cp312-cp312-musllinux_1_0_aarch64",
                "cp312-cp312-linux_aarch64",
            ]
        );
        assert_eq!(&tags[4..6], ["cp312-abi3-musllinux_1_2_aarch64", "cp312-abi3-musllinux_1_1_aarch64"]);
        assert!(!tags.iter().any(|tag| tag.contains("manylinux")));
        assert_eq!(position(&tags, "cp32-abi3-linux_aarch64"), 13 * 4 - 1);
        assert_eq!(position(&tags, "cp312-none-any"), 13 * 4 + 14 * 4);
    }

    #[test]
    fn ok_manylinux_starts_at_2_17_off_x86() {
        let tags = listed(&environment("cp", (3, 12), &["cp312"], linux("aarch64", Libc::Glibc(2, 28))));
        assert_eq!(
            &tags[10..14],
            [
                "cp312-cp312-manylinux_2_18_aarch64",
                "cp312-cp312-manylinux_2_17_aarch64",
                "cp312-cp312-manylinux2014_aarch64",
                "cp312-cp312-linux_aarch64",
            ]
        );
    }

    #[test]
    fn ok_manylinux_needs_a_known_arch() {
        let tags = listed(&environment("cp", (3, 12), &["cp312"], linux("mips", Libc::Glibc(2, 28))));
        assert_eq!(tags[0], "cp312-cp312-linux_mips");
    }

    #[test]
    fn ok_armv8l_also_runs_armv7l() {
        let platforms = linux_platforms("armv8l", &Libc::Glibc(2, 17));
        assert_eq!(
            platforms,
            [
                "manylinux_2_17_armv8l",
                "manylinux2014_armv8l",
                "manylinux_2_17_armv7l",
                "manylinux2014_armv7l",
                "linux_armv8l",
                "linux_armv7l",
            ]
        );
    }

    #[test]
    fn ok_a_newer_glibc_major_covers_every_2_x() {
        let platforms = linux_platforms("x86_64", &Libc::Glibc(3, 1));
        assert_eq!(&platforms[..3], ["manylinux_3_1_x86_64", "manylinux_3_0_x86_64", "manylinux_2_50_x86_64"]);
    }

    #[test]
    fn ok_cpython_313_macos_11_arm64() {
        let macos = Platform::MacOs { arch: "arm64".to_owned(), version: (11, 0) };
        assert_eq!(
            macos.tags(),
            [
                "macosx_11_0_arm64",
                "macosx_11_0_universal2",
                "macosx_10_16_universal2",
                "macosx_10_15_universal2",
                "macosx_10_14_universal2",
                "macosx_10_13_universal2",
                "macosx_10_12_universal2",
                "macosx_10_11_universal2",
                "macosx_10_10_universal2",
                "macosx_10_9_universal2",
                "macosx_10_8_universal2",
                "macosx_10_7_universal2",
                "macosx_10_6_universal2",
                "macosx_10_5_universal2",
                "macosx_10_4_universal2",
            ]
        );
        let tags = listed(&environment("cp", (3, 13), &["cp313"], macos));
        assert_eq!(&tags[..2], ["cp313-cp313-macosx_11_0_arm64", "cp313-cp313-macosx_11_0_universal2"]);
        assert_eq!(tags[15], "cp313-abi3-macosx_11_0_arm64");
    }

    #[test]
    fn ok_macos_14_x86_64() {
        let platforms = mac_platforms((14, 2), "x86_64");
        assert_eq!(
            &platforms[..7],
            [
                "macosx_14_0_x86_64",
                "macosx_14_0_intel",
                "macosx_14_0_fat64",
                "macosx_14_0_fat32",
                "macosx_14_0_universal2",
                "macosx_14_0_universal",
                "macosx_13_0_x86_64",
            ]
        );
        // 14, 13, 12, 11 and 10.16 down to 10.4, six formats each.
        assert_eq!(platforms.len(), (4 + 13) * 6);
        assert_eq!(platforms.last().map(String::as_str), Some("macosx_10_4_universal"));
    }

    #[test]
    fn ok_macos_10_x() {
        let platforms = mac_platforms((10, 5), "i386");
        assert_eq!(
            platforms,
            [
                "macosx_10_5_i386",
                "macosx_10_5_intel",
                "macosx_10_5_fat32",
                "macosx_10_5_fat",
                "macosx_10_5_universal",
                "macosx_10_4_i386",
                "macosx_10_4_intel",
                "macosx_10_4_fat32",
                "macosx_10_4_fat",
                "macosx_10_4_universal",
            ]
        );
    }

    #[test]
    fn ok_pypy_310() {
        let tags = listed(&environment("pp", (3, 10), &["pypy310_pp73"], linux("x86_64", Libc::Glibc(2, 17))));
        // manylinux_2_17 down to 2_5 (13), 3 legacy aliases, linux_x86_64.
        let platforms = 17;
        assert_eq!(&tags[..2], ["pp310-pypy310_pp73-manylinux_2_17_x86_64", "pp310-pypy310_pp73-manylinux2014_x86_64"]);
        assert_eq!(tags[platforms], "pp310-none-manylinux_2_17_x86_64");
        assert_eq!(tags[2 * platforms], "py310-none-manylinux_2_17_x86_64");
        // py310, py3, py39 .. py30: twelve versions.
        assert_eq!(&tags[14 * platforms..14 * platforms + 3], ["pp3-none-any", "py310-none-any", "py3-none-any"]);
        assert_eq!(tags.len(), 14 * platforms + 13);
        assert!(!tags.iter().any(|tag| tag.contains("abi3")));
    }

    #[test]
    fn ok_free_threaded_has_no_stable_abi() {
        let tags = listed(&environment("cp", (3, 13), &["cp313t"], Platform::Other { tag: "win_amd64".to_owned() }));
        assert_eq!(&tags[..3], ["cp313-cp313t-win_amd64", "cp313-none-win_amd64", "py313-none-win_amd64"]);
        assert!(!tags.iter().any(|tag| tag.contains("abi3")));
    }

    #[test]
    fn ok_debug_build_loads_ordinary_extensions() {
        let tags =
            listed(&environment("cp", (3, 12), &["cp312d", "cp312"], Platform::Other { tag: "win_amd64".to_owned() }));
        assert_eq!(&tags[..3], ["cp312-cp312d-win_amd64", "cp312-cp312-win_amd64", "cp312-abi3-win_amd64"]);
    }

    #[test]
    fn ok_generic_interpreter() {
        let tags = listed(&environment("graalpy", (3, 11), &["graalpy311_311_native"], linux("x86_64", Libc::Unknown)));
        assert_eq!(
            &tags[..4],
            [
                "graalpy311-graalpy311_311_native-linux_x86_64",
                "graalpy311-none-linux_x86_64",
                "py311-none-linux_x86_64",
                "py3-none-linux_x86_64",
            ]
        );
        // No `<interpreter>-none-any` tag for implementations other than CPython and PyPy.
        assert_eq!(position(&tags, "py311-none-any"), 15);
    }

    #[test]
    fn ok_priority_ranks_wheels() {
        let tags = Tags::new(&environment("cp", (3, 11), &["cp311"], linux("x86_64", Libc::Glibc(2, 36))));
        assert_eq!(tags.priority(["cp311", "cp311", "manylinux_2_36_x86_64"]), Some(0));
        assert_eq!(tags.priority(["py3", "none", "any"]), Some(25 * 36 + 2));
        // A compressed tag set ranks by its best member.
        assert_eq!(tags.priority(["py2.py3", "none", "any"]), Some(25 * 36 + 2));
        assert_eq!(
            tags.priority(["cp311", "cp311", "manylinux_2_17_x86_64.manylinux2014_x86_64"]),
            tags.priority(["cp311", "cp311", "manylinux_2_17_x86_64"])
        );
        // packaging lowercases tags.
        assert_eq!(tags.priority(["CP311", "CP311", "Manylinux_2_36_x86_64"]), Some(0));
        assert!(tags.priority(["cp311", "abi3", "manylinux_2_37_x86_64"]).is_none());
        assert!(tags.priority(["cp312", "cp312", "manylinux_2_17_x86_64"]).is_none());
        assert!(tags.priority(["py2", "none", "any"]).is_none());
        assert!(tags.priority(["cp311", "cp311", "win_amd64"]).is_none());
    }

    #[test]
    fn ok_parse_abbreviated_platforms() {
        let cases = [
            ("manylinux2014_x86_64-cp-311-cp311", "cp", (3, 11), "cp311", linux("x86_64", Libc::Glibc(2, 17))),
            ("musllinux_1_2_aarch64-cp-312-cp312", "cp", (3, 12), "cp312", linux("aarch64", Libc::Musl(1, 2))),
            (
                "macosx_11_0_arm64-cp-313-cp313",
                "cp",
                (3, 13),
                "cp313",
                Platform::MacOs { arch: "arm64".to_owned(), version: (11, 0) },
            ),
            (
                "macosx-10.13-x86_64-cp-3.6.8-cp36m",
                "cp",
                (3, 6),
                "cp36m",
                Platform::MacOs { arch: "x86_64".to_owned(), version: (10, 13) },
            ),
            ("linux_x86_64-pp-310-pypy310_pp73", "pp", (3, 10), "pypy310_pp73", linux("x86_64", Libc::Unknown)),
            ("manylinux_2_28_ppc64le-cp-39-cp39", "cp", (3, 9), "cp39", linux("ppc64le", Libc::Glibc(2, 28))),
            ("win_amd64-cp-313-cp313t", "cp", (3, 13), "cp313t", Platform::Other { tag: "win_amd64".to_owned() }),
        ];
        for (text, implementation, python_version, abi, platform) in cases {
            let parsed: TagEnvironment = text.parse().unwrap();
            assert_eq!(parsed, environment(implementation, python_version, &[abi], platform), "{text}");
            // Display names the same machine.
            assert_eq!(parsed.to_string().parse::<TagEnvironment>().unwrap(), parsed, "{text}");
        }
        assert_eq!(
            "manylinux2014_x86_64-cp-311-cp311".parse::<TagEnvironment>().unwrap().to_string(),
            "manylinux_2_17_x86_64-cp-311-cp311"
        );
    }

    #[test]
    fn err_parse_abbreviated_platforms() {
        let error = "manylinux2014_x86_64-cp311".parse::<TagEnvironment>().unwrap_err();
        assert_eq!(
            error.to_string(),
            "the platform `manylinux2014_x86_64-cp311` is not of the form PLATFORM-IMPL-VERSION-ABI; write it like \
             `manylinux2014_x86_64-cp-311-cp311`"
        );
        assert!(matches!("-cp-311-cp311".parse::<TagEnvironment>(), Err(PlatformError::Form(_))));
        let error = "linux_x86_64-cp-3-cp3".parse::<TagEnvironment>().unwrap_err();
        assert_eq!(
            error.to_string(),
            "the Python version `3` in the platform `linux_x86_64-cp-3-cp3` is not a version; write it like `311` or \
             `3.11`"
        );
        assert!(matches!("linux_x86_64-cp-3.x-cp3".parse::<TagEnvironment>(), Err(PlatformError::Version { .. })));
    }

    #[test]
    fn ok_environment_round_trips_through_json() {
        let environment = environment("cp", (3, 11), &["cp311"], linux("x86_64", Libc::Glibc(2, 36)));
        let json = serde_json::to_string(&environment).unwrap();
        assert_eq!(
            json,
            r#"{"implementation":"cp","python_version":[3,11],"abis":["cp311"],"platform":{"os":"linux","arch":"x86_64","libc":{"glibc":[2,36]}}}"#
        );
        assert_eq!(serde_json::from_str::<TagEnvironment>(&json).unwrap(), environment);
        let unknown: Platform = serde_json::from_str(r#"{"os":"linux","arch":"i686","libc":"unknown"}"#).unwrap();
        assert_eq!(unknown, linux("i686", Libc::Unknown));
    }
}
