//! Write a PEX file deterministically: the header, every entry in byte order of its name with
//! normalised metadata, `PEX-INFO` last; wheel members copied as raw compressed bytes.
//!
//! The file is written to a temporary file next to the output and renamed into place only when
//! complete, so a failed build leaves nothing behind (`docs/format.md` describes the layout).

use std::fmt;
use std::io::{self, BufWriter, Seek, Write};

use camino::{Utf8Path, Utf8PathBuf};
use zip::write::SimpleFileOptions;

use crate::boot::{LOADER, MAIN_ENTRY};
use crate::bytecode::Compiled;
use crate::fs::OutputFile;
use crate::pexinfo::{DEPS_DIR, PEX_INFO_ENTRY, PexInfo};
use crate::wheel::Wheel;

/// Why a PEX could not be written.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    #[error("failed to write the PEX file `{path}`")]
    Output {
        path: Utf8PathBuf,
        #[source]
        source: io::Error,
    },
    #[error("failed to write the PEX file `{path}`")]
    Zip {
        path: Utf8PathBuf,
        #[source]
        source: zip::result::ZipError,
    },
    #[error("invalid shebang `{shebang}`: {reason}")]
    Shebang { shebang: String, reason: &'static str },
    #[error("invalid entry point `{entry_point}`: expected `module` or `module:function` with Python identifiers")]
    EntryPoint { entry_point: String },
}

/// The Python a PEX starts with when it is not installed yet (`--python-shebang`, named after
/// pex's option): a name looked up on `PATH` (`python3.11`) or a path, optionally written as a
/// shebang (`#!/usr/bin/env python3.11`). The PEX itself always begins with a `/bin/sh` header
/// (`docs/format.md`), which runs this interpreter, then `python3`, then `python`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Shebang(String);

impl Shebang {
    /// Parses `python3.11`, `/usr/bin/python3`, `/usr/bin/env python3` or the same with `#!`.
    pub fn new(text: &str) -> Result<Self, Error> {
        let invalid = |reason| Error::Shebang { shebang: text.escape_debug().to_string(), reason };
        let command = text.strip_prefix("#!").unwrap_or(text);
        if command.chars().any(char::is_control) {
            return Err(invalid("it contains a line break or another control character"));
        }
        let mut words: Vec<&str> = command.split_whitespace().collect();
        if words.first().is_some_and(|first| *first == "env" || first.ends_with("/env")) {
            words.remove(0);
        }
        match words.as_slice() {
            [] => Err(invalid("it names no interpreter")),
            [interpreter] if interpreter.contains(['\'', '"', '`', '$']) => {
                Err(invalid("the interpreter name contains a quote, `$` or a backquote"))
            }
            [interpreter] => Ok(Self((*interpreter).to_owned())),
            _ => Err(invalid("give only the interpreter (a name on PATH or a path), without arguments")),
        }
    }

    /// The interpreter: a name to look up on `PATH`, or a path.
    pub fn interpreter(&self) -> &str {
        &self.0
    }
}

impl Default for Shebang {
    fn default() -> Self {
        Self("python3".to_owned())
    }
}

impl fmt::Display for Shebang {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The `/bin/sh` header of a PEX (`docs/format.md`, "The header"): exec the installed virtual
/// environment of this PEX when there is one (one interpreter start, no zip parsing), else find
/// a Python and run the archive's boot code.
pub(crate) fn sh_header(shebang: &Shebang, pex_hash: &str) -> String {
    let mut candidates = vec![shebang.interpreter()];
    for fallback in ["python3", "python"] {
        if !candidates.contains(&fallback) {
            candidates.push(fallback);
        }
    }
    let candidates = candidates.join(" ");
    let version = crate::VERSION;
    let venv = crate::pex_root::PexRoot::sh_environment_in_shell("$root", pex_hash);
    format!(
        r#"#!/bin/sh
: 'pex-rs: error: this Python cannot read the zip archive of this PEX. Python 3.12 and older cannot read one of over 65535 files: run the PEX as a program, or with Python 3.13 or newer. \'
# A PEX file made by pex-rs {version}: this sh header, then a zip archive. Run it as a program
# or with a Python interpreter (`python3 FILE`); `unzip -l FILE` lists it. The line above is
# for Python, not sh (for which `:` does nothing): an interpreter that cannot read the archive
# (zip64, which a PEX of over 65,535 files needs, came to zipimport in 3.13) runs the file as
# Python source, and that line is its first error (an unterminated string to Python, since `\'`
# escapes the quote, but a closed one to sh), which Python shows with the line's text.
if [ -z "${{PEX_PYTHON:-}}${{PEX_PYTHON_PATH:-}}${{PEX_VERIFY:-}}${{PEX_TOOLS:-}}" ]; then
  if [ -n "${{PEX_ROOT:-}}" ]; then root=$PEX_ROOT
  else case "${{XDG_CACHE_HOME:-}}" in /*) root=$XDG_CACHE_HOME/pex-rs ;; *) root=${{HOME:-}}/.cache/pex-rs ;; esac
  fi
  venv={venv}
  if [ -x "$venv/bin/python" ] && [ -f "$venv/pex" ]; then exec "$venv/bin/python" "$venv/pex" "$0" "$@"; fi
fi
names="${{PEX_PYTHON:-}} {candidates}"
python=
if [ -n "${{PEX_PYTHON_PATH:-}}" ]; then
  saved_ifs=$IFS; IFS=:
  for entry in $PEX_PYTHON_PATH; do
    IFS=$saved_ifs
    for name in $names; do
      candidate=$entry; if [ -d "$entry" ]; then candidate=$entry/${{name##*/}}; fi
      if [ -z "$python" ] && [ -f "$candidate" ] && [ -x "$candidate" ]; then python=$candidate; fi
    done
  done
  IFS=$saved_ifs; where="in PEX_PYTHON_PATH"
else
  for name in $names; do
    if [ -z "$python" ] && command -v "$name" >/dev/null 2>&1; then python=$name; fi
  done
  where="on PATH"
fi
if [ -n "$python" ]; then exec "$python" -S -c "{LOADER}" "$0" "$@"; fi
echo "pex-rs: error: no Python interpreter found $where to run $0 (tried: $names); install one or set PEX_PYTHON" >&2
exit 127
"#
    )
}

/// What a PEX runs when it starts.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum EntryPoint {
    /// `-e module`: run like `python -m module`.
    Module(String),
    /// `-e module:function`: call the function (a dotted attribute path) and exit with its result.
    Function {
        /// The dotted module name.
        module: String,
        /// The dotted attribute path of the function in it.
        function: String,
    },
    /// `-c NAME`: a console script, or a script file from a wheel's `.data/scripts`.
    Script(String),
}

impl EntryPoint {
    /// Parses `module` or `module:function`.
    pub fn parse_module(text: &str) -> Result<Self, Error> {
        let invalid = || Error::EntryPoint { entry_point: text.to_owned() };
        let is_dotted_identifier = |text: &str| text.split('.').all(is_identifier);
        match text.split_once(':') {
            None if is_dotted_identifier(text) => Ok(Self::Module(text.to_owned())),
            Some((module, function)) if is_dotted_identifier(module) && is_dotted_identifier(function) => {
                Ok(Self::Function { module: module.to_owned(), function: function.to_owned() })
            }
            _ => Err(invalid()),
        }
    }

    /// The module this entry point imports, if it names one.
    pub(crate) fn module(&self) -> Option<&str> {
        match self {
            Self::Module(module) | Self::Function { module, .. } => Some(module),
            Self::Script(_) => None,
        }
    }
}

fn is_identifier(text: &str) -> bool {
    let mut characters = text.chars();
    characters.next().is_some_and(|first| first == '_' || first.is_alphabetic())
        && characters.all(|character| character == '_' || character.is_alphanumeric())
}

/// A file of the user's code, read into memory, with its name inside the PEX.
#[derive(Clone, Debug)]
pub(crate) struct UserFile {
    pub(crate) name: String,
    pub(crate) bytes: Vec<u8>,
    pub(crate) is_executable: bool,
}

/// Everything that goes into one PEX file.
pub(crate) struct Contents<'a> {
    pub(crate) shebang: &'a Shebang,
    pub(crate) wheels: &'a [Wheel],
    pub(crate) user_files: &'a [UserFile],
    /// The `.pyc` files of the wheels and the user code (`docs/format.md`, "Bytecode").
    pub(crate) bytecode: &'a [Compiled],
    pub(crate) pex_info: &'a PexInfo,
    /// Seconds since 1970 for every entry's modification time; clamped to what zip can store.
    pub(crate) source_date_epoch: Option<u64>,
}

enum Source {
    WheelMember { wheel: usize, member: usize },
    User(usize),
    Bytecode { unit: usize, member: usize },
    Main,
    Boot(usize),
}

/// Writes the PEX to `output` and returns its size in bytes.
pub(crate) fn write(output: &Utf8Path, contents: &Contents<'_>) -> Result<u64, Error> {
    let output_error = |source| Error::Output { path: output.to_owned(), source };
    let zip_error = |source| Error::Zip { path: output.to_owned(), source };

    let mut entries: Vec<(String, Source)> = Vec::new();
    for (wheel_index, wheel) in contents.wheels.iter().enumerate() {
        for (member_index, member) in wheel.members.iter().enumerate() {
            let name = format!("{DEPS_DIR}/{}/{}", wheel.filename, member.installed_path);
            entries.push((name, Source::WheelMember { wheel: wheel_index, member: member_index }));
        }
    }
    for (index, file) in contents.user_files.iter().enumerate() {
        entries.push((file.name.clone(), Source::User(index)));
    }
    entries.push((MAIN_ENTRY.to_owned(), Source::Main));
    for (index, module) in crate::boot::modules().iter().enumerate() {
        entries.push((module.member(), Source::Boot(index)));
    }
    // Bytecode goes in beside its sources, unless a wheel ships a file of the same name itself.
    let mut bytecode: Vec<_> = contents.bytecode.iter().map(Compiled::reader).collect();
    let taken: std::collections::HashSet<&str> = entries.iter().map(|(name, _)| name.as_str()).collect();
    let mut compiled_entries = Vec::new();
    for (unit, (compiled, archive)) in contents.bytecode.iter().zip(&bytecode).enumerate() {
        for member in 0..archive.len() {
            let Some(Ok(name)) = archive.name_for_index(member) else { continue };
            let name = format!("{}{name}", compiled.prefix);
            if !taken.contains(name.as_str()) {
                compiled_entries.push((name, Source::Bytecode { unit, member }));
            }
        }
    }
    entries.extend(compiled_entries);
    entries.sort_unstable_by(|left, right| left.0.as_bytes().cmp(right.0.as_bytes()));

    let mut file = OutputFile::create(output).map_err(output_error)?;
    file.set_mode(0o755).map_err(output_error)?;
    let mut writer = BufWriter::with_capacity(1 << 20, file.file());
    let pex_hash = contents.pex_info.pex_hash.as_deref().expect("the manifest is complete");
    writer.write_all(sh_header(contents.shebang, pex_hash).as_bytes()).map_err(output_error)?;
    // The zip writer records absolute offsets, so the header simply precedes the archive.
    let mut zip = zip::ZipWriter::new(writer).set_auto_large_file();
    let timestamp = zip_timestamp(contents.source_date_epoch);
    let options = |is_executable: bool| {
        SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Deflated)
            .compression_level(Some(6))
            .last_modified_time(timestamp)
            .unix_permissions(if is_executable { 0o755 } else { 0o644 })
    };
    let mut archives: Vec<_> = contents.wheels.iter().map(Wheel::archive).collect();
    for (name, source) in &entries {
        match source {
            Source::WheelMember { wheel, member } => {
                let index = contents.wheels[*wheel].members[*member].index;
                let entry = archives[*wheel].by_index_raw(index).map_err(zip_error)?;
                zip.raw_copy_file_rename(entry, name).map_err(zip_error)?;
            }
            Source::Bytecode { unit, member } => {
                let entry = bytecode[*unit].by_index_raw(*member).map_err(zip_error)?;
                zip.raw_copy_file_rename(entry, name).map_err(zip_error)?;
            }
            Source::User(index) => {
                let user_file = &contents.user_files[*index];
                zip.start_file(name, options(user_file.is_executable)).map_err(zip_error)?;
                zip.write_all(&user_file.bytes).map_err(output_error)?;
            }
            Source::Main => {
                zip.start_file(name, options(false)).map_err(zip_error)?;
                zip.write_all(crate::boot::main_module().as_bytes()).map_err(output_error)?;
            }
            Source::Boot(index) => {
                zip.start_file(name, options(false)).map_err(zip_error)?;
                zip.write_all(crate::boot::modules()[*index].text.as_bytes()).map_err(output_error)?;
            }
        }
    }
    zip.start_file(PEX_INFO_ENTRY, options(false)).map_err(zip_error)?;
    zip.write_all(contents.pex_info.to_json().as_bytes()).map_err(output_error)?;
    let writer = zip.finish().map_err(zip_error)?;
    let file_handle = writer.into_inner().map_err(|error| output_error(error.into_error()))?;
    let size = file_handle.stream_position().map_err(output_error)?;
    // An unchanged PEX keeps its file, and so its modification time: `make` and image layer
    // caches see that nothing changed.
    file.persist_if_changed().map_err(output_error)?;
    Ok(size)
}

/// Converts `SOURCE_DATE_EPOCH` to a zip timestamp, clamped to the zip range (1980-2107);
/// without it, 1980-01-01 00:00:00, the earliest time zip can store.
fn zip_timestamp(source_date_epoch: Option<u64>) -> zip::DateTime {
    const ZIP_EPOCH: i64 = 315_532_800; // 1980-01-01T00:00:00Z
    const ZIP_END: i64 = 4_354_819_199; // 2107-12-31T23:59:59Z
    let Some(seconds) = source_date_epoch else {
        return zip::DateTime::default();
    };
    let seconds = i64::try_from(seconds).unwrap_or(ZIP_END).clamp(ZIP_EPOCH, ZIP_END);
    let (days, seconds_of_day) = (seconds.div_euclid(86_400), seconds.rem_euclid(86_400));
    let (year, month, day) = civil_from_days(days);
    #[expect(clippy::cast_possible_truncation, clippy::cast_sign_loss, reason = "clamped to the zip range above")]
    let datetime = zip::DateTime::from_date_and_time(
        year as u16,
        month as u8,
        day as u8,
        (seconds_of_day / 3600) as u8,
        (seconds_of_day % 3600 / 60) as u8,
        (seconds_of_day % 60) as u8,
    );
    datetime.unwrap_or_default()
}

/// Days since 1970-01-01 to a (year, month, day) in the proleptic Gregorian calendar
/// (Howard Hinnant's `civil_from_days`).
fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let day_of_era = z.rem_euclid(146_097);
    let year_of_era = (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let month_index = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * month_index + 2) / 5 + 1;
    let month = if month_index < 10 { month_index + 3 } else { month_index - 9 };
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::{EntryPoint, Shebang, civil_from_days, zip_timestamp};

    #[test]
    fn ok_civil_from_days() {
        assert_eq!(civil_from_days(0), (1970, 1, 1));
        assert_eq!(civil_from_days(3652), (1980, 1, 1));
        assert_eq!(civil_from_days(19_723), (2024, 1, 1));
        assert_eq!(civil_from_days(11_016), (2000, 2, 29));
    }

    #[test]
    fn ok_zip_timestamp() {
        let stamp = zip_timestamp(Some(1_700_000_000)); // 2023-11-14T22:13:20Z
        assert_eq!((stamp.year(), stamp.month(), stamp.day()), (2023, 11, 14));
        assert_eq!((stamp.hour(), stamp.minute(), stamp.second()), (22, 13, 20));
        let early = zip_timestamp(Some(0));
        assert_eq!((early.year(), early.month(), early.day()), (1980, 1, 1));
        assert_eq!(zip_timestamp(None), zip::DateTime::default());
    }

    #[test]
    fn ok_entry_points() {
        assert_eq!(EntryPoint::parse_module("app").unwrap(), EntryPoint::Module("app".into()));
        assert_eq!(
            EntryPoint::parse_module("app.cli:Main.run").unwrap(),
            EntryPoint::Function { module: "app.cli".into(), function: "Main.run".into() }
        );
    }

    #[test]
    fn err_entry_points() {
        for text in ["", "app:", ":main", "a-b", "app.:x", "1app", "a:b:c"] {
            let error = EntryPoint::parse_module(text).unwrap_err();
            assert_eq!(
                error.to_string(),
                format!("invalid entry point `{text}`: expected `module` or `module:function` with Python identifiers")
            );
        }
    }

    #[test]
    fn ok_err_shebang() {
        for (text, interpreter) in [
            ("python3.11", "python3.11"),
            ("/usr/bin/python3.11", "/usr/bin/python3.11"),
            ("#!/usr/bin/env python3", "python3"),
            ("env python3.12", "python3.12"),
        ] {
            assert_eq!(Shebang::new(text).unwrap().interpreter(), interpreter, "{text}");
        }
        for (text, message) in [
            (
                "python\nrm -rf /",
                "invalid shebang `python\\nrm -rf /`: it contains a line break or another control character",
            ),
            ("", "invalid shebang ``: it names no interpreter"),
            ("/usr/bin/env", "invalid shebang `/usr/bin/env`: it names no interpreter"),
            (
                "python3 -sE",
                "invalid shebang `python3 -sE`: give only the interpreter (a name on PATH or a path), without arguments",
            ),
            ("py$(reboot)", "invalid shebang `py$(reboot)`: the interpreter name contains a quote, `$` or a backquote"),
        ] {
            assert_eq!(Shebang::new(text).unwrap_err().to_string(), message);
        }
    }

    #[test]
    fn ok_sh_header_parses() {
        // `sh -n` checks the syntax without running anything.
        let header = super::sh_header(&Shebang::new("/opt/py/bin/python3.11").unwrap(), &"ab".repeat(32));
        assert!(header.starts_with("#!/bin/sh\n"));
        assert!(header.contains("names=\"${PEX_PYTHON:-} /opt/py/bin/python3.11 python3 python\""));
        let status = std::process::Command::new("sh").args(["-n", "-c", &header]).status().unwrap();
        assert!(status.success(), "{header}");
    }
}
