//! The PEX-INFO manifest: its model, its canonical JSON text, the hashes derived from it, and
//! reading it back out of a PEX file (ours or one made by pex).
//!
//! Field names and meanings follow pex, so PEX files from either tool read the same way; every
//! field is described in `docs/format.md`. Fields this model does not know are kept as they are
//! (`other`), so inspecting a PEX made by a newer pex loses nothing.

use std::collections::BTreeMap;
use std::io::Read;

use camino::{Utf8Path, Utf8PathBuf};
use serde_json::{Map, Value};

use crate::hash::Sha256Digest;

/// The name of the manifest entry inside a PEX.
pub(crate) const PEX_INFO_ENTRY: &str = "PEX-INFO";
/// The directory holding the installed wheels inside a PEX.
pub(crate) const DEPS_DIR: &str = ".deps";
/// The format version pex-rs writes (`pex_rs_format`).
pub(crate) const FORMAT_VERSION: u64 = 1;

/// Why a PEX-INFO could not be read.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    #[error("failed to read `{path}`")]
    Read {
        path: Utf8PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("`{path}` is not a PEX file: it is not a zip archive")]
    NotZip {
        path: Utf8PathBuf,
        #[source]
        source: zip::result::ZipError,
    },
    #[error("`{path}` is not a PEX file: it has no `PEX-INFO` entry")]
    NoPexInfo { path: Utf8PathBuf },
    #[error("the PEX-INFO of `{path}` is not valid JSON")]
    Json {
        path: Utf8PathBuf,
        #[source]
        source: serde_json::Error,
    },
    #[error("the PEX-INFO of `{path}` has an invalid `{field}`: {reason}")]
    Field { path: Utf8PathBuf, field: &'static str, reason: String },
    #[error("the PEX-INFO of `{path}` is larger than {} MiB, more than any PEX needs", MAX_PEX_INFO_BYTES >> 20)]
    TooLarge { path: Utf8PathBuf },
}

/// The largest PEX-INFO read: a manifest of thousands of wheels takes a few hundred KiB.
const MAX_PEX_INFO_BYTES: u64 = 16 << 20;

/// How much of the host's `sys.path` a PEX keeps (`inherit_path`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum InheritPath {
    /// Only the standard library and the PEX's own entries (the default).
    #[default]
    False,
    /// The host's entries come before the PEX's.
    Prefer,
    /// The host's entries come after the PEX's.
    Fallback,
}

impl InheritPath {
    /// The value as PEX-INFO writes it (`false`, `prefer`, `fallback`).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::False => "false",
            Self::Prefer => "prefer",
            Self::Fallback => "fallback",
        }
    }

    fn from_value(value: &Value) -> Option<Self> {
        match value {
            // Old pex versions wrote a boolean; `true` meant what `prefer` means now.
            Value::Bool(false) => Some(Self::False),
            Value::Bool(true) => Some(Self::Prefer),
            Value::String(text) => match text.as_str() {
                "false" => Some(Self::False),
                "prefer" => Some(Self::Prefer),
                "fallback" => Some(Self::Fallback),
                _ => None,
            },
            _ => None,
        }
    }
}

/// The wheels one target of a multi-target build resolved to.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct TargetWheels {
    /// The target's implementation and version as a PEP 425 interpreter tag: `cp311`, `pp310`.
    pub interpreter: String,
    /// Wheel file names, sorted.
    pub wheels: Vec<String>,
}

/// A PEX's manifest.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct PexInfo {
    /// Free-form build facts; pex-rs records `pex_rs_version` and `pex_rs_boot` (the boot code's
    /// sha256, so that `pex_hash` covers it).
    pub build_properties: Map<String, Value>,
    /// sha256 (pex-rs) or sha1 (pex) of the user code.
    pub code_hash: Option<String>,
    /// Wheel file name to its digest.
    pub distributions: BTreeMap<String, String>,
    /// `module` or `module:function`.
    pub entry_point: Option<String>,
    /// A console script or wheel script name.
    pub script: Option<String>,
    /// Whether the host's `sys.path` is kept at run time.
    pub inherit_path: InheritPath,
    /// The interpreters the PEX runs under (any of them), as pex writes them (`CPython>=3.9`).
    pub interpreter_constraints: Vec<String>,
    /// The identity of the PEX; see [`PexInfo::compute_pex_hash`].
    pub pex_hash: Option<String>,
    /// `Some(1)` for files written by this version of pex-rs; `None` for pex's files.
    pub pex_rs_format: Option<u64>,
    /// The wheels each target of a multi-target build resolved to, when the targets differ;
    /// the runtime installs the set of its own interpreter, else the one that fits best.
    pub pex_rs_targets: Vec<TargetWheels>,
    /// The wheels pex-rs built from source, each with what it was built from: `sdist
    /// NAME.tar.gz sha256:DIGEST`, `git+URL@COMMIT`, or `local project`.
    pub pex_rs_built: BTreeMap<String, String>,
    /// Wheel file name to the sha256 of its RECORD, which names its install in a PEX_ROOT
    /// (`installed_wheels/v1/<digest>`): a digest an installer can check the files it writes
    /// against, unlike the wheel file's, which the PEX does not carry.
    pub pex_rs_installs: BTreeMap<String, String>,
    /// The top-level requirements the PEX was built from.
    pub requirements: Vec<String>,
    /// Whether `PEX_*` variables are removed from the application's environment.
    pub strip_pex_env: bool,
    /// Fields this model does not know, kept verbatim.
    pub other: Map<String, Value>,
}

impl PexInfo {
    /// Parses a PEX-INFO text; `path` names the file in errors.
    pub fn from_json(text: &str, path: &Utf8Path) -> Result<Self, Error> {
        let value: Value =
            serde_json::from_str(text).map_err(|source| Error::Json { path: path.to_owned(), source })?;
        let Value::Object(mut object) = value else {
            return Err(Error::Field {
                path: path.to_owned(),
                field: "(top level)",
                reason: "it is not a JSON object".into(),
            });
        };
        let field = |field: &'static str, reason: &str| Error::Field {
            path: path.to_owned(),
            field,
            reason: reason.to_owned(),
        };
        let string = |object: &mut Map<String, Value>, name: &'static str| match object.remove(name) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(text)) => Ok(Some(text)),
            Some(_) => Err(field(name, "it is not a string")),
        };
        // Lists are sorted as the canonical text has them, so parsing and rendering round-trip.
        let strings = |object: &mut Map<String, Value>, name: &'static str| match object.remove(name) {
            None | Some(Value::Null) => Ok(Vec::new()),
            Some(Value::Array(items)) => {
                let mut items = items
                    .into_iter()
                    .map(|item| match item {
                        Value::String(text) => Ok(text),
                        _ => Err(field(name, "it is not a list of strings")),
                    })
                    .collect::<Result<Vec<_>, _>>()?;
                items.sort();
                Ok(items)
            }
            Some(_) => Err(field(name, "it is not a list of strings")),
        };
        let pex_rs_targets = match object.remove("pex_rs_targets") {
            None | Some(Value::Null) => Vec::new(),
            Some(Value::Array(targets)) => targets
                .into_iter()
                .map(|target| {
                    let Value::Object(mut target) = target else {
                        return Err(field("pex_rs_targets", "an entry is not an object"));
                    };
                    let interpreter = string(&mut target, "interpreter")?
                        .ok_or_else(|| field("pex_rs_targets", "an entry has no `interpreter`"))?;
                    Ok(TargetWheels { interpreter, wheels: strings(&mut target, "wheels")? })
                })
                .collect::<Result<Vec<_>, _>>()?,
            Some(_) => return Err(field("pex_rs_targets", "it is not a list of objects")),
        };
        let mut string_map = |name: &'static str| match object.remove(name) {
            None | Some(Value::Null) => Ok(BTreeMap::new()),
            Some(Value::Object(map)) => map
                .into_iter()
                .map(|(wheel, value)| match value {
                    Value::String(value) => Ok((wheel, value)),
                    _ => Err(field(name, "a value is not a string")),
                })
                .collect::<Result<_, _>>(),
            Some(_) => Err(field(name, "it is not an object")),
        };
        let pex_rs_built = string_map("pex_rs_built")?;
        let pex_rs_installs = string_map("pex_rs_installs")?;
        let build_properties = match object.remove("build_properties") {
            None | Some(Value::Null) => Map::new(),
            Some(Value::Object(map)) => map,
            Some(_) => return Err(field("build_properties", "it is not an object")),
        };
        let distributions = match object.remove("distributions") {
            None | Some(Value::Null) => BTreeMap::new(),
            Some(Value::Object(map)) => map
                .into_iter()
                .map(|(name, digest)| match digest {
                    Value::String(digest) => Ok((name, digest)),
                    _ => Err(field("distributions", "a digest is not a string")),
                })
                .collect::<Result<_, _>>()?,
            Some(_) => return Err(field("distributions", "it is not an object")),
        };
        let inherit_path = match object.remove("inherit_path") {
            None | Some(Value::Null) => InheritPath::False,
            Some(value) => InheritPath::from_value(&value)
                .ok_or_else(|| field("inherit_path", "expected `false`, `prefer` or `fallback`"))?,
        };
        let strip_pex_env = match object.remove("strip_pex_env") {
            None | Some(Value::Null) => true,
            Some(Value::Bool(flag)) => flag,
            Some(_) => return Err(field("strip_pex_env", "it is not a boolean")),
        };
        let pex_rs_format = match object.remove("pex_rs_format") {
            None | Some(Value::Null) => None,
            Some(Value::Number(number)) => {
                Some(number.as_u64().ok_or_else(|| field("pex_rs_format", "it is not a whole number"))?)
            }
            Some(_) => return Err(field("pex_rs_format", "it is not a number")),
        };
        Ok(Self {
            build_properties,
            code_hash: string(&mut object, "code_hash")?,
            distributions,
            entry_point: string(&mut object, "entry_point")?,
            script: string(&mut object, "script")?,
            inherit_path,
            interpreter_constraints: strings(&mut object, "interpreter_constraints")?,
            pex_hash: string(&mut object, "pex_hash")?,
            pex_rs_format,
            pex_rs_targets,
            pex_rs_built,
            pex_rs_installs,
            requirements: strings(&mut object, "requirements")?,
            strip_pex_env,
            other: object,
        })
    }

    /// Returns the manifest as a JSON object (keys sorted by `serde_json`'s ordered map).
    pub fn to_value(&self) -> Value {
        let mut object = self.other.clone();
        let mut put = |key: &str, value: Value| {
            object.insert(key.to_owned(), value);
        };
        put("build_properties", Value::Object(self.build_properties.clone()));
        if let Some(code_hash) = &self.code_hash {
            put("code_hash", Value::String(code_hash.clone()));
        }
        put(
            "distributions",
            Value::Object(
                self.distributions.iter().map(|(name, digest)| (name.clone(), Value::String(digest.clone()))).collect(),
            ),
        );
        if let Some(entry_point) = &self.entry_point {
            put("entry_point", Value::String(entry_point.clone()));
        }
        if let Some(script) = &self.script {
            put("script", Value::String(script.clone()));
        }
        put("inherit_path", Value::String(self.inherit_path.as_str().to_owned()));
        put("interpreter_constraints", sorted_strings(&self.interpreter_constraints));
        if let Some(pex_hash) = &self.pex_hash {
            put("pex_hash", Value::String(pex_hash.clone()));
        }
        if let Some(format) = self.pex_rs_format {
            put("pex_rs_format", Value::from(format));
        }
        for (name, map) in [("pex_rs_built", &self.pex_rs_built), ("pex_rs_installs", &self.pex_rs_installs)] {
            if !map.is_empty() {
                put(
                    name,
                    Value::Object(map.iter().map(|(key, value)| (key.clone(), Value::String(value.clone()))).collect()),
                );
            }
        }
        if !self.pex_rs_targets.is_empty() {
            let targets = self.pex_rs_targets.iter().map(|target| {
                serde_json::json!({"interpreter": target.interpreter, "wheels": sorted_strings(&target.wheels)})
            });
            put("pex_rs_targets", Value::Array(targets.collect()));
        }
        put("requirements", sorted_strings(&self.requirements));
        put("strip_pex_env", Value::Bool(self.strip_pex_env));
        Value::Object(object)
    }

    /// The canonical text: sorted keys, compact separators, as pex writes it.
    pub fn to_json(&self) -> String {
        self.to_value().to_string()
    }

    /// The digest of the canonical text without `pex_hash` (`docs/format.md`, "Hashes").
    pub fn compute_pex_hash(&self) -> Sha256Digest {
        let without_hash = Self { pex_hash: None, ..self.clone() };
        Sha256Digest::of(without_hash.to_json().as_bytes())
    }

    /// Reads the PEX-INFO of a PEX file, or of a PEX directory (pex's `packed` and `loose`
    /// layouts).
    pub fn read_from_pex(path: &Utf8Path) -> Result<Self, Error> {
        let read_error = |source| Error::Read { path: path.to_owned(), source };
        if path.is_dir() {
            let text = fs_err::read_to_string(path.join(PEX_INFO_ENTRY)).map_err(|source| {
                if source.kind() == std::io::ErrorKind::NotFound {
                    Error::NoPexInfo { path: path.to_owned() }
                } else {
                    read_error(source)
                }
            })?;
            return Self::from_json(&text, path);
        }
        let file = std::io::BufReader::new(fs_err::File::open(path).map_err(read_error)?);
        let mut archive =
            crate::zip_limits::open(file).map_err(|source| Error::NotZip { path: path.to_owned(), source })?;
        let entry = match archive.by_name(PEX_INFO_ENTRY) {
            Ok(entry) => entry,
            Err(zip::result::ZipError::FileNotFound) => return Err(Error::NoPexInfo { path: path.to_owned() }),
            Err(source) => return Err(Error::NotZip { path: path.to_owned(), source }),
        };
        // Whatever its header claims, never more than the limit is read.
        let mut text = String::new();
        entry.take(MAX_PEX_INFO_BYTES + 1).read_to_string(&mut text).map_err(read_error)?;
        if text.len() as u64 > MAX_PEX_INFO_BYTES {
            return Err(Error::TooLarge { path: path.to_owned() });
        }
        Self::from_json(&text, path)
    }
}

fn sorted_strings(items: &[String]) -> Value {
    let mut items = items.to_vec();
    items.sort();
    Value::Array(items.into_iter().map(Value::String).collect())
}

#[cfg(test)]
mod tests {
    use camino::Utf8Path;

    use super::{InheritPath, PexInfo};

    #[test]
    fn ok_round_trip() {
        let text = r#"{"build_properties":{"pex_rs_version":"0.1.0"},"code_hash":"ab","distributions":{"six-1.17.0-py2.py3-none-any.whl":"cd"},"entry_point":"app:main","inherit_path":"false","interpreter_constraints":[],"pex_hash":"ef","pex_rs_format":1,"requirements":["six==1.17.0"],"strip_pex_env":true}"#;
        let info = PexInfo::from_json(text, Utf8Path::new("x.pex")).unwrap();
        assert_eq!(info.to_json(), text);
        assert_eq!(PexInfo::from_json(&info.to_json(), Utf8Path::new("x.pex")).unwrap(), info);
    }

    #[test]
    fn ok_large_numbers_round_trip() {
        // Found by the `pex_info` fuzz target: needs serde_json's `float_roundtrip` feature.
        let info = PexInfo::from_json(r#"{"x":122222222222222222222}"#, Utf8Path::new("x.pex")).unwrap();
        let again = PexInfo::from_json(&info.to_json(), Utf8Path::new("x.pex")).unwrap();
        assert_eq!(again.to_json(), info.to_json());
        let unsorted = PexInfo::from_json(r#"{"requirements":["b","a"]}"#, Utf8Path::new("x.pex")).unwrap();
        assert_eq!(unsorted.requirements, ["a", "b"]);
    }

    #[test]
    fn ok_reads_pex_fields() {
        // A PEX-INFO as pex 2.x writes it: extra fields are kept, `inherit_path` may be a bool.
        let text = r#"{"bootstrap_hash":"1a","distributions":{},"inherit_path":true,"pex_hash":"2b","venv":true}"#;
        let info = PexInfo::from_json(text, Utf8Path::new("x.pex")).unwrap();
        assert_eq!(info.inherit_path, InheritPath::Prefer);
        assert_eq!(info.pex_rs_format, None);
        assert_eq!(info.other.get("venv"), Some(&serde_json::Value::Bool(true)));
    }

    #[test]
    fn ok_pex_hash_ignores_itself() {
        let mut info = PexInfo { strip_pex_env: true, ..PexInfo::default() };
        let before = info.compute_pex_hash();
        info.pex_hash = Some(before.to_string());
        assert_eq!(info.compute_pex_hash(), before);
        info.entry_point = Some("app".into());
        assert_ne!(info.compute_pex_hash(), before);
    }

    #[test]
    fn err_bad_fields() {
        for (text, message) in [
            ("[]", "the PEX-INFO of `x.pex` has an invalid `(top level)`: it is not a JSON object"),
            (
                r#"{"inherit_path":"sometimes"}"#,
                "the PEX-INFO of `x.pex` has an invalid `inherit_path`: expected `false`, `prefer` or `fallback`",
            ),
            (
                r#"{"distributions":{"a.whl":1}}"#,
                "the PEX-INFO of `x.pex` has an invalid `distributions`: a digest is not a string",
            ),
            (
                r#"{"requirements":"six"}"#,
                "the PEX-INFO of `x.pex` has an invalid `requirements`: it is not a list of strings",
            ),
            ("{", "the PEX-INFO of `x.pex` is not valid JSON"),
        ] {
            let error = PexInfo::from_json(text, Utf8Path::new("x.pex")).unwrap_err();
            assert_eq!(error.to_string(), message);
        }
    }
}
