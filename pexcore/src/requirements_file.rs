//! pip's requirements file format: what `pex-rs build -r FILE` and `--constraint FILE` read, and
//! the parsing of one requirement that command line arguments share with it ([`parse_entry`]).
//!
//! The reading follows pip's own parser (`pip/_internal/req/req_file.py`): lines ending in `\`
//! continue on the next one, `#` starts a comment at the start of a line or after white space,
//! `${NAME}` is replaced by the environment variable `NAME`, a line's options start at its first
//! word that starts with `-`, and the paths a file names are relative to that file's directory.
//!
//! Options pex-rs does not know are errors that name the line and say what to give instead:
//! skipping them would build a PEX that silently lacks what the file asks for.
//!
//! Where pex-rs departs from pip, on purpose:
//! - an unset `${NAME}` is an error; pip keeps the text as written, which only fails later and
//!   more obscurely (in a URL, say);
//! - a `-r FILE` inside a constraints file gives constraints; pip turns them into requirements;
//! - hashes are sha256 only, from `--hash` or a `#sha256=` URL fragment;
//! - a constraint can be neither a bare path nor a bare URL (pip refuses these too);
//! - `-e` builds an ordinary wheel: a PEX is never editable;
//! - version control URLs are `git` only;
//! - `--config-settings` goes on the command line, for every build; per requirement it is
//!   refused, and so are setuptools' `--global-option` / `--build-option`;
//! - `--trusted-host` and `--use-feature` are ignored with a warning.

use std::borrow::Cow;
use std::collections::BTreeSet;
use std::path::PathBuf;
use std::str::FromStr;

use camino::{Utf8Path, Utf8PathBuf};
use url::Url;

use crate::dist::SdistFilename;
use crate::hash::Sha256Digest;
use crate::requirement::{ExtraName, PackageName, Requirement, VersionOrUrl};

/// Why a requirements file, or a requirement given on the command line, was refused.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    #[error("failed to read the requirements file `{path}`")]
    Read {
        path: Utf8PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{}: failed to read the included requirements file `{path}`", shown(origin))]
    ReadIncluded {
        origin: String,
        path: Utf8PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error(
        "{}: the requirements files include each other in a loop: {chain}; remove one of the includes",
        shown(origin)
    )]
    Cycle { origin: String, chain: String },
    #[error("{}: cannot parse `{text}`: {reason}", shown(origin))]
    Syntax { origin: String, text: String, reason: String },
    #[error("{}: cannot use `{text}`: {advice}", shown(origin))]
    Unsupported { origin: String, text: String, advice: &'static str },
    #[error(
        "{}: `{text}` is not a sha256 hash; pex-rs checks sha256 only: write `--hash=sha256:` and 64 hex digits",
        shown(origin)
    )]
    Hash { origin: String, text: String },
    #[error(
        "{}: the environment variable `{name}` is not set (or is empty or not UTF-8); set it, or write its value in the file",
        shown(origin)
    )]
    Variable { origin: String, name: String },
}

/// The origin of a requirement given as an argument rather than in a file.
pub(crate) const COMMAND_LINE: &str = "the command line";

/// An origin as messages show it: a file and line in backticks (`` `reqs.txt:3` ``), the
/// command line as words.
fn shown(origin: &str) -> String {
    if origin == COMMAND_LINE { origin.to_owned() } else { format!("`{origin}`") }
}

// What to do instead, for each kind of line pex-rs refuses.
const EDITABLE_TARGET: &str = "`-e` takes a project directory or a `git+` URL; give a requirement without `-e`";
const VERSION_CONTROL: &str = "pex-rs builds from `git` only (`git+https://host/repo.git@REV`); build a wheel and give \
     its path";
const URL_SCHEME: &str =
    "only `https`, `http`, `file` and `git+` URLs are supported; download the file and give its path";
const NOT_AN_ARCHIVE: &str = "this URL names neither a wheel (`.whl`) nor a source archive (`.tar.gz`, `.zip`); give \
     the URL of one";
const BUILD_OPTION: &str = "setuptools command options are not passed to builds; use `--config-settings KEY=VALUE` on \
     the pex-rs command line";
const CONFIG_SETTINGS: &str = "per-requirement config settings are not supported; pass `--config-settings KEY=VALUE` on \
     the pex-rs command line, which applies to every build";
const REMOTE_FILE: &str = "requirements files are read from disk only; download it and give its path";
const BARE_MARKERS: &str = "a bare path or URL cannot carry markers; name the project instead: \
     `name[extra] @ URL ; marker` (a `file:` URL for a local path)";
const CONSTRAINT_EXTRAS: &str = "a constraint cannot have extras (pip refuses them too); remove the `[...]`";
const CONSTRAINT_UNNAMED: &str = "a constraint must name its project; write `name==VERSION` or `name @ URL`";
const UNKNOWN_OPTION: &str = "pex-rs does not know this option; remove it (requirements files may use `-r`, `-c`, \
     `-e`, `-i`, `--extra-index-url`, `-f`, `--no-index`, `--pre`, `--require-hashes`, `--no-binary`, \
     `--only-binary`, `--prefer-binary` and `--hash`)";

/// Everything a requirements file asks for, merged with everything the files it includes ask for.
#[derive(Debug, Default)]
#[expect(clippy::struct_excessive_bools, reason = "pip's options, one field each")]
pub(crate) struct RequirementsFile {
    /// What to install, in file order (an included file's entries where its `-r` line is).
    pub(crate) requirements: Vec<Entry>,
    /// What limits the versions chosen without asking for them to be installed (`-c FILE`).
    pub(crate) constraints: Vec<Entry>,
    /// `--index-url`: replaces the default index; the last one read wins, as in pip.
    pub(crate) index_url: Option<String>,
    /// `--extra-index-url`: indexes searched besides the main one, each once, in the order read.
    pub(crate) extra_index_urls: Vec<String>,
    /// `--find-links`: URLs as written, or absolute directory paths, each once, in the order read.
    pub(crate) find_links: Vec<String>,
    /// `--no-index`: search no index, only the find-links locations.
    pub(crate) no_index: bool,
    /// `--pre`: allow pre-release and development versions.
    pub(crate) pre: bool,
    /// `--require-hashes`: every distribution installed must match one of its entry's hashes. pip
    /// also checks hashes as soon as any entry has one; that is for the caller to decide, since it
    /// knows which distributions the resolution adds.
    pub(crate) require_hashes: bool,
    /// `--no-binary` / `--only-binary`, in the order read.
    pub(crate) format_control: FormatControl,
    /// `--prefer-binary`: an older wheel over a newer source distribution.
    pub(crate) prefer_binary: bool,
    /// Every file read (the top-level one and those it includes), as given: the inputs a make
    /// depfile lists.
    pub(crate) files: Vec<Utf8PathBuf>,
}

/// One requirement, as written on a line of a requirements file or on the command line.
#[derive(Debug)]
pub(crate) struct Entry {
    pub(crate) kind: EntryKind,
    /// The sha256 pins from `--hash` options and from a `#sha256=` URL fragment: the distribution
    /// must match one of them (as in pip). Empty when unpinned.
    pub(crate) hashes: Vec<Sha256Digest>,
    /// Where the entry was written, `FILE:LINE`, for messages.
    pub(crate) origin: String,
}

/// What an [`Entry`] names.
#[derive(Debug, PartialEq)]
pub(crate) enum EntryKind {
    /// A PEP 508 requirement. Its URL, if it has one, is an `https`, `http` or `file` URL of a
    /// wheel, a source archive or (`file:`) a project directory, or a `git+` URL; a relative
    /// `file:` URL has been made absolute.
    Requirement(Requirement),
    /// A wheel given by its path, made absolute; its project comes from its file name.
    LocalWheel(Utf8PathBuf),
    /// A wheel given by its `https` or `http` URL, as written (with any fragment); its project
    /// comes from its file name.
    WheelUrl(String),
    /// A project directory or a source archive given by its path (made absolute), with the
    /// extras asked for (`./project[cli]`); its project comes from its metadata. `editable`
    /// records a `-e`, which builds an ordinary wheel all the same.
    LocalSource { path: Utf8PathBuf, extras: Vec<ExtraName>, editable: bool },
    /// A source archive (`https://host/x-1.0.tar.gz`) or `git+` URL given without a project
    /// name, as written; its project comes from its metadata.
    SourceUrl { url: String, editable: bool },
}

impl RequirementsFile {
    /// Reads a requirements file (`-r FILE`) and the files it includes, with `${NAME}` looked
    /// up in `environment`.
    pub(crate) fn read(path: &Utf8Path, environment: &crate::env::Environment) -> Result<Self, Error> {
        read_with_variables(path, false, &|name| environment.text(name))
    }

    /// Reads a constraints file (`--constraint FILE`): its requirements, and those of every file
    /// it includes, are constraints.
    pub(crate) fn read_constraints(path: &Utf8Path, environment: &crate::env::Environment) -> Result<Self, Error> {
        read_with_variables(path, true, &|name| environment.text(name))
    }

    /// Adds what `other` asks for after what `self` asks for, as if `other` were included last.
    pub(crate) fn merge(&mut self, other: Self) {
        self.requirements.extend(other.requirements);
        self.constraints.extend(other.constraints);
        if other.index_url.is_some() {
            self.index_url = other.index_url;
        }
        for url in other.extra_index_urls {
            push_new(&mut self.extra_index_urls, url);
        }
        for location in other.find_links {
            push_new(&mut self.find_links, location);
        }
        self.no_index |= other.no_index;
        self.pre |= other.pre;
        self.require_hashes |= other.require_hashes;
        self.format_control.extend(&other.format_control);
        self.prefer_binary |= other.prefer_binary;
        self.files.extend(other.files);
    }
}

/// Parses one requirement without options, as a command line argument or the requirement part
/// of a line: a PEP 508 requirement (`name[extra]>=1 ; marker`, `name @ URL`), the path of a
/// wheel, a project directory or a source archive (`.`, `./project[extra]`), or the URL of a
/// wheel, a source archive or a `git+` repository. Relative paths and relative `file:` URLs are
/// resolved against `working_directory`, which must be absolute. `${NAME}` is not expanded here (on the command
/// line, the shell has done that), except inside the URL of `name @ URL`, where the PEP 508
/// parser expands it as uv does.
pub(crate) fn parse_entry(text: &str, working_directory: &Utf8Path, origin: &str) -> Result<Entry, Error> {
    let text = text.trim();
    let (kind, hashes) = if direct_reference_url_start(text).is_some() {
        parse_pep508(text, working_directory, origin)?
    } else if url_scheme(text).is_some() {
        parse_bare_url(text, working_directory, origin)?
    } else if looks_like_path(text.split(';').next().unwrap_or_default().trim()) {
        (parse_bare_path(text, working_directory, origin)?, Vec::new())
    } else {
        parse_pep508(text, working_directory, origin)?
    };
    Ok(Entry { kind, hashes, origin: origin.to_owned() })
}

/// Parses the text of a requirements file line by line as [`RequirementsFile::read`] does, but
/// applies no option and reads no included file: the fuzz target's view of the format.
pub(crate) fn parse_text(text: &str, working_directory: &Utf8Path) -> Result<Vec<Entry>, Error> {
    let mut entries = Vec::new();
    for (number, line) in logical_lines(text) {
        let origin = format!("fuzz:{number}");
        let line = expand_variables(&line, &|_| None, &origin)?;
        let (requirement, options) = split_options(&line);
        parse_options(options, &origin)?;
        if !requirement.is_empty() {
            entries.push(parse_entry(requirement, working_directory, &origin)?);
        }
    }
    Ok(entries)
}

/// Reads a top-level file, looking up `${NAME}` with `variables` (the tests pass their own, since
/// setting a process environment variable is unsafe).
fn read_with_variables(
    path: &Utf8Path,
    constraint: bool,
    variables: &dyn Fn(&str) -> Option<String>,
) -> Result<RequirementsFile, Error> {
    let mut reader = Reader { variables, open_files: Vec::new(), result: RequirementsFile::default() };
    reader.read_file(path, constraint, None)?;
    Ok(reader.result)
}

/// Reads a file and the files it includes into one [`RequirementsFile`].
struct Reader<'a> {
    variables: &'a dyn Fn(&str) -> Option<String>,
    /// The files being read, outermost first, as (canonical path, path as shown): meeting one of
    /// them again would loop forever.
    open_files: Vec<(PathBuf, Utf8PathBuf)>,
    result: RequirementsFile,
}

/// Where a line is: what resolving its relative paths and naming it in messages need.
struct LineContext<'a> {
    /// `FILE:LINE`.
    origin: String,
    /// The file, as shown (relative to the current directory when the user's path was).
    file: &'a Utf8Path,
    /// The file's directory, absolute.
    directory: &'a Utf8Path,
    /// Whether the requirements read here are constraints.
    constraint: bool,
}

impl Reader<'_> {
    fn read_file(&mut self, path: &Utf8Path, constraint: bool, included_from: Option<&str>) -> Result<(), Error> {
        let read_error = |source| match included_from {
            Some(origin) => Error::ReadIncluded { origin: origin.to_owned(), path: path.to_owned(), source },
            None => Error::Read { path: path.to_owned(), source },
        };
        // Symbolic links and `dir/../` spellings of the same file must still be seen as the same.
        let canonical = fs_err::canonicalize(path).map_err(read_error)?;
        if let Some(position) = self.open_files.iter().position(|(open, _)| *open == canonical) {
            let chain: Vec<String> = self.open_files[position..]
                .iter()
                .map(|(_, shown)| format!("`{shown}`"))
                .chain([format!("`{path}`")])
                .collect();
            return Err(Error::Cycle {
                origin: included_from.unwrap_or(path.as_str()).to_owned(),
                chain: chain.join(" -> "),
            });
        }
        let text = fs_err::read_to_string(path).map_err(read_error)?;
        // Not the canonical path: pip resolves relative paths against the directory of the path
        // as given, so a symbolic link to a file elsewhere keeps its own neighbours.
        let mut directory = camino::absolute_utf8(path).map_err(read_error)?;
        directory.pop();

        self.open_files.push((canonical, path.to_owned()));
        self.result.files.push(path.to_owned());
        for (number, line) in logical_lines(text.strip_prefix('\u{feff}').unwrap_or(&text)) {
            let context =
                LineContext { origin: format!("{path}:{number}"), file: path, directory: &directory, constraint };
            self.read_line(&line, &context)?;
        }
        self.open_files.pop();
        Ok(())
    }

    fn read_line(&mut self, line: &str, context: &LineContext<'_>) -> Result<(), Error> {
        let origin = context.origin.as_str();
        let line = expand_variables(line, self.variables, origin)?;
        let (requirement, options) = split_options(&line);
        let options = parse_options(options, origin)?;
        if requirement.is_empty() {
            return options.into_iter().try_for_each(|option| self.apply_option(option, context));
        }

        let mut entry = parse_entry(requirement, context.directory, origin)?;
        for option in options {
            match option.name {
                OptionName::Hash => entry.hashes.push(parse_hash(&option, origin)?),
                OptionName::BuildOption => return Err(unsupported(origin, option.text, BUILD_OPTION)),
                OptionName::ConfigSettings => return Err(unsupported(origin, option.text, CONFIG_SETTINGS)),
                _ => {
                    return Err(syntax(
                        origin,
                        option.text,
                        "this option goes on a line of its own, not after a requirement",
                    ));
                }
            }
        }
        if context.constraint {
            let advice = match &entry.kind {
                EntryKind::Requirement(requirement) if requirement.extras.is_empty() => None,
                EntryKind::Requirement(_) => Some(CONSTRAINT_EXTRAS),
                EntryKind::LocalWheel(_)
                | EntryKind::WheelUrl(_)
                | EntryKind::LocalSource { .. }
                | EntryKind::SourceUrl { .. } => Some(CONSTRAINT_UNNAMED),
            };
            if let Some(advice) = advice {
                return Err(unsupported(origin, requirement, advice));
            }
            self.result.constraints.push(entry);
        } else {
            self.result.requirements.push(entry);
        }
        Ok(())
    }

    fn apply_option(&mut self, option: ParsedOption, context: &LineContext<'_>) -> Result<(), Error> {
        let origin = context.origin.as_str();
        let result = &mut self.result;
        match option.name {
            OptionName::Requirement | OptionName::Constraint => {
                if url_scheme(&option.value).is_some() {
                    return Err(unsupported(origin, option.text, REMOTE_FILE));
                }
                let parent = context.file.parent().unwrap_or(Utf8Path::new(""));
                let included = normalize(&parent.join(&option.value));
                let constraint = context.constraint || option.name == OptionName::Constraint;
                self.read_file(&included, constraint, Some(origin))?;
            }
            OptionName::IndexUrl => result.index_url = Some(index_url(option, origin)?),
            OptionName::ExtraIndexUrl => push_new(&mut result.extra_index_urls, index_url(option, origin)?),
            OptionName::FindLinks => {
                let location = if url_scheme(&option.value).is_some() {
                    index_url(option, origin)?
                } else {
                    normalize(&context.directory.join(&option.value)).into_string()
                };
                push_new(&mut result.find_links, location);
            }
            OptionName::NoIndex => result.no_index = true,
            OptionName::Pre => result.pre = true,
            OptionName::RequireHashes => result.require_hashes = true,
            OptionName::PreferBinary => result.prefer_binary = true,
            OptionName::NoBinary => {
                result
                    .format_control
                    .no_binary(&option.value)
                    .map_err(|reason| syntax(origin, &option.text, reason))?;
            }
            OptionName::OnlyBinary => {
                result
                    .format_control
                    .only_binary(&option.value)
                    .map_err(|reason| syntax(origin, &option.text, reason))?;
            }
            OptionName::TrustedHost => tracing::warn!(
                "{origin}: ignoring `{}`: pex-rs always verifies certificates, against the system's trusted ones",
                option.text
            ),
            OptionName::UseFeature => {
                tracing::warn!("{origin}: ignoring `{}`: it is a pip setting", option.text);
            }
            OptionName::Editable => {
                let mut entry = parse_entry(&option.value, context.directory, origin)?;
                match &mut entry.kind {
                    EntryKind::LocalSource { path, editable, .. } if path.is_dir() => *editable = true,
                    EntryKind::SourceUrl { url, editable } if url.to_ascii_lowercase().starts_with("git+") => {
                        *editable = true;
                    }
                    _ => return Err(unsupported(origin, option.text, EDITABLE_TARGET)),
                }
                if context.constraint {
                    return Err(unsupported(origin, option.text, CONSTRAINT_UNNAMED));
                }
                result.requirements.push(entry);
            }
            OptionName::BuildOption => return Err(unsupported(origin, option.text, BUILD_OPTION)),
            OptionName::ConfigSettings => return Err(unsupported(origin, option.text, CONFIG_SETTINGS)),
            OptionName::Hash => {
                return Err(syntax(
                    origin,
                    option.text,
                    "`--hash` pins the requirement before it on the same line; continue a long line with a trailing `\\`",
                ));
            }
        }
        Ok(())
    }
}

/// The logical lines of a file, with the number of the physical line each starts on: continued
/// lines joined, comments removed, blank lines left out (pip's `join_lines` and
/// `ignore_comments`).
fn logical_lines(text: &str) -> Vec<(usize, String)> {
    let mut joined: Vec<(usize, String)> = Vec::new();
    let mut pending: Option<(usize, String)> = None;
    for (index, line) in text.lines().enumerate() {
        // A comment never continues, even when it ends in `\`.
        let is_comment = line.trim_start().starts_with('#');
        if line.ends_with('\\') && !is_comment {
            let (_, continued) = pending.get_or_insert_with(|| (index + 1, String::new()));
            continued.push_str(line.trim_end_matches('\\'));
            continue;
        }
        let (number, mut logical) = pending.take().unwrap_or_else(|| (index + 1, String::new()));
        if is_comment {
            // So that a comment ending a continued line still starts after white space.
            logical.push(' ');
        }
        logical.push_str(line);
        joined.push((number, logical));
    }
    joined.extend(pending);
    joined
        .into_iter()
        .filter_map(|(number, line)| {
            let line = strip_comment(&line).trim();
            (!line.is_empty()).then(|| (number, line.to_owned()))
        })
        .collect()
}

/// Removes a comment: from the first `#` that starts the line or follows white space. A `#`
/// inside a word stays, so URL fragments (`x.whl#sha256=...`) survive.
fn strip_comment(line: &str) -> &str {
    let mut after_space = true;
    for (index, character) in line.char_indices() {
        if character == '#' && after_space {
            return &line[..index];
        }
        after_space = character.is_whitespace();
    }
    line
}

/// Replaces each `${NAME}` (`NAME` of `A-Z`, `0-9` and `_`, the only form pip expands) by the
/// variable's value. Other uses of `$` are kept as written, as in pip.
fn expand_variables(line: &str, variables: &dyn Fn(&str) -> Option<String>, origin: &str) -> Result<String, Error> {
    let mut expanded = String::with_capacity(line.len());
    let mut rest = line;
    while let Some(start) = rest.find("${") {
        expanded.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        let name_length = after
            .find(|character: char| !(character.is_ascii_uppercase() || character.is_ascii_digit() || character == '_'))
            .unwrap_or(after.len());
        if name_length > 0 && after[name_length..].starts_with('}') {
            let name = &after[..name_length];
            let value =
                variables(name).ok_or_else(|| Error::Variable { origin: origin.to_owned(), name: name.to_owned() })?;
            expanded.push_str(&value);
            rest = &after[name_length + 1..];
        } else {
            expanded.push_str("${");
            rest = after;
        }
    }
    expanded.push_str(rest);
    Ok(expanded)
}

/// Splits a line into its requirement and its options, which start at the first word that starts
/// with `-` (pip's `break_args_options`). Either part may be empty.
fn split_options(line: &str) -> (&str, &str) {
    let mut at_word_start = true;
    for (index, character) in line.char_indices() {
        if at_word_start && character == '-' {
            return (line[..index].trim_end(), &line[index..]);
        }
        at_word_start = character.is_whitespace();
    }
    (line, "")
}

/// The options pex-rs recognizes in a requirements file, including those it refuses with advice.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum OptionName {
    Requirement,
    Constraint,
    IndexUrl,
    ExtraIndexUrl,
    FindLinks,
    NoIndex,
    Pre,
    RequireHashes,
    Hash,
    Editable,
    NoBinary,
    OnlyBinary,
    PreferBinary,
    TrustedHost,
    UseFeature,
    /// `--config-settings` / `-C`: settings for one requirement's build.
    ConfigSettings,
    /// `--global-option` and the like: setuptools command options.
    BuildOption,
}

impl OptionName {
    /// The option named `--{name}`.
    fn from_long(name: &str) -> Option<Self> {
        Some(match name {
            "requirement" => Self::Requirement,
            "constraint" => Self::Constraint,
            "index-url" => Self::IndexUrl,
            "extra-index-url" => Self::ExtraIndexUrl,
            "find-links" => Self::FindLinks,
            "no-index" => Self::NoIndex,
            "pre" => Self::Pre,
            "require-hashes" => Self::RequireHashes,
            "hash" => Self::Hash,
            "editable" => Self::Editable,
            "no-binary" => Self::NoBinary,
            "only-binary" => Self::OnlyBinary,
            "prefer-binary" => Self::PreferBinary,
            "trusted-host" => Self::TrustedHost,
            "use-feature" => Self::UseFeature,
            "config-settings" => Self::ConfigSettings,
            "global-option" | "install-option" | "build-option" => Self::BuildOption,
            _ => return None,
        })
    }

    /// The option named `-{name}`.
    fn from_short(name: char) -> Option<Self> {
        Some(match name {
            'r' => Self::Requirement,
            'c' => Self::Constraint,
            'i' => Self::IndexUrl,
            'f' => Self::FindLinks,
            'e' => Self::Editable,
            'C' => Self::ConfigSettings,
            _ => return None,
        })
    }

    fn takes_value(self) -> bool {
        !matches!(self, Self::NoIndex | Self::Pre | Self::RequireHashes | Self::PreferBinary)
    }
}

/// One option of a line, with its value (empty for a flag).
struct ParsedOption {
    name: OptionName,
    value: String,
    /// The option as written, for messages.
    text: String,
}

/// Parses the options part of a line, written as a shell would split it (pip uses `shlex`):
/// `--name=value`, `--name value`, `-xvalue` or `-x value`.
fn parse_options(text: &str, origin: &str) -> Result<Vec<ParsedOption>, Error> {
    let words = split_words(text).map_err(|reason| syntax(origin, text, reason))?;
    let mut words = words.into_iter();
    let mut options = Vec::new();
    while let Some(word) = words.next() {
        let (name, attached) = if let Some(long) = word.strip_prefix("--") {
            match long.split_once('=') {
                Some((name, value)) => (OptionName::from_long(name), Some(value.to_owned())),
                None => (OptionName::from_long(long), None),
            }
        } else if let Some((short, value)) = word.strip_prefix('-').and_then(|short| {
            let mut characters = short.chars();
            characters.next().map(|name| (name, characters.as_str()))
        }) {
            (OptionName::from_short(short), (!value.is_empty()).then(|| value.to_owned()))
        } else {
            return Err(syntax(origin, word, "expected an option here; a requirement goes first on its line"));
        };
        let Some(name) = name else {
            return Err(unsupported(origin, word, UNKNOWN_OPTION));
        };
        let (value, text) = match (name.takes_value(), attached) {
            (true, Some(value)) => (value, word),
            (true, None) => {
                let Some(value) = words.next() else {
                    return Err(syntax(origin, word, "this option needs a value after it"));
                };
                let text = format!("{word} {value}");
                (value, text)
            }
            (false, None) => (String::new(), word),
            (false, Some(_)) => return Err(syntax(origin, word, "this option takes no value")),
        };
        options.push(ParsedOption { name, value, text });
    }
    Ok(options)
}

/// Splits `text` into words as POSIX `sh` (and Python's `shlex.split`) do: white space separates
/// words, `'...'` quotes literally, `"..."` quotes with `\"` and `\\` escaped, `\` escapes
/// outside quotes.
fn split_words(text: &str) -> Result<Vec<String>, &'static str> {
    const UNCLOSED: &str = "a quote is not closed";
    let mut words = Vec::new();
    // `Some` once a word has started, even if it is still empty (`""` is a word).
    let mut word: Option<String> = None;
    let mut characters = text.chars();
    while let Some(character) = characters.next() {
        match character {
            character if character.is_whitespace() => words.extend(word.take()),
            '\'' => {
                let word = word.get_or_insert_with(String::new);
                loop {
                    match characters.next().ok_or(UNCLOSED)? {
                        '\'' => break,
                        quoted => word.push(quoted),
                    }
                }
            }
            '"' => {
                let word = word.get_or_insert_with(String::new);
                loop {
                    match characters.next().ok_or(UNCLOSED)? {
                        '"' => break,
                        '\\' => match characters.next().ok_or(UNCLOSED)? {
                            escaped @ ('"' | '\\') => word.push(escaped),
                            other => {
                                word.push('\\');
                                word.push(other);
                            }
                        },
                        quoted => word.push(quoted),
                    }
                }
            }
            '\\' => {
                let escaped = characters.next().ok_or("the line ends with a lone `\\`")?;
                word.get_or_insert_with(String::new).push(escaped);
            }
            other => word.get_or_insert_with(String::new).push(other),
        }
    }
    words.extend(word);
    Ok(words)
}

/// Parses a `--hash` value: `sha256:` and 64 hex digits.
fn parse_hash(option: &ParsedOption, origin: &str) -> Result<Sha256Digest, Error> {
    option
        .value
        .strip_prefix("sha256:")
        .and_then(Sha256Digest::from_hex)
        .ok_or_else(|| Error::Hash { origin: origin.to_owned(), text: option.text.clone() })
}

/// The hashes in a URL fragment (`#sha256=...`, as pip reads them). A fragment naming another
/// algorithm is refused rather than ignored: the file's author asked for it to be checked.
fn fragment_hashes(fragment: Option<&str>, origin: &str) -> Result<Vec<Sha256Digest>, Error> {
    let mut hashes = Vec::new();
    for parameter in fragment.unwrap_or_default().split('&') {
        let hash_error = || Error::Hash { origin: origin.to_owned(), text: format!("#{parameter}") };
        match parameter.split_once('=') {
            Some(("sha256", hex)) => hashes.push(Sha256Digest::from_hex(hex).ok_or_else(hash_error)?),
            Some(("md5" | "sha1" | "sha224" | "sha384" | "sha512", _)) => return Err(hash_error()),
            // `egg=`, `subdirectory=`: meaningful for source builds only.
            _ => {}
        }
    }
    Ok(hashes)
}

/// Checks an `--index-url`, `--extra-index-url` or `--find-links` URL, and returns it as written.
fn index_url(option: ParsedOption, origin: &str) -> Result<String, Error> {
    match Url::parse(&option.value) {
        Ok(url) if matches!(url.scheme(), "https" | "http" | "file") => Ok(option.value),
        _ => Err(syntax(
            origin,
            option.text,
            "expected an `https`, `http` or `file` URL, like `https://index.example/simple`",
        )),
    }
}

/// Parses a PEP 508 requirement; a URL in it must be that of a wheel.
fn parse_pep508(
    text: &str,
    working_directory: &Utf8Path,
    origin: &str,
) -> Result<(EntryKind, Vec<Sha256Digest>), Error> {
    let text = with_absolute_file_url(text, working_directory).map_err(|reason| syntax(origin, text, reason))?;
    let requirement = Requirement::parse(&text, working_directory).map_err(|error| {
        let column = text.get(..error.start).map_or(1, |before| before.chars().count() + 1);
        let reason = format!(
            "{} (at character {column}); write a requirement like `name[extra]>=1.0 ; marker` or \
             `name @ https://host/name-1.0-py3-none-any.whl`",
            error.message
        );
        syntax(origin, &*text, reason)
    })?;
    let mut hashes = Vec::new();
    if let Some(VersionOrUrl::Url(url)) = &requirement.version_or_url {
        check_url(url, &text, origin)?;
        hashes = fragment_hashes(url.fragment(), origin)?;
    }
    Ok((EntryKind::Requirement(requirement), hashes))
}

/// Rewrites a relative `file:` URL in `name @ file:dist/x.whl` as an absolute one: the PEP 508
/// parser, as built here, resolves it against the root directory rather than the file's.
fn with_absolute_file_url<'a>(text: &'a str, working_directory: &Utf8Path) -> Result<Cow<'a, str>, String> {
    let Some(after_at) = direct_reference_url_start(text) else {
        return Ok(Cow::Borrowed(text));
    };
    let start = after_at + (text[after_at..].len() - text[after_at..].trim_start().len());
    let end = text[start..].find(char::is_whitespace).map_or(text.len(), |length| start + length);
    let url = &text[start..end];
    let is_relative_file_url =
        url.get(..5).is_some_and(|scheme| scheme.eq_ignore_ascii_case("file:")) && !url[5..].starts_with('/');
    if !is_relative_file_url {
        return Ok(Cow::Borrowed(text));
    }
    let absolute = file_url(url, working_directory)?;
    Ok(Cow::Owned(format!("{}{absolute}{}", &text[..start], &text[end..])))
}

/// Parses a `file:` URL; a relative one (`file:dist/x.whl`) is resolved against
/// `working_directory`.
fn file_url(text: &str, working_directory: &Utf8Path) -> Result<Url, String> {
    let path = &text[5..];
    let url = if path.starts_with('/') {
        Url::parse(text)
    } else {
        let base = Url::from_directory_path(working_directory)
            .map_err(|()| format!("`{working_directory}` is not an absolute directory to resolve it against"))?;
        base.join(path)
    };
    url.map_err(|error| format!("it is not a valid URL ({error})"))
}

/// Parses a URL given without a project name (`https://host/x.whl`, `file:dist/x.whl`).
fn parse_bare_url(
    text: &str,
    working_directory: &Utf8Path,
    origin: &str,
) -> Result<(EntryKind, Vec<Sha256Digest>), Error> {
    let (url_text, rest) = text.split_once(char::is_whitespace).unwrap_or((text, ""));
    if !rest.trim().is_empty() {
        return Err(unsupported(origin, text, BARE_MARKERS));
    }
    let url = if url_text.get(..5).is_some_and(|scheme| scheme.eq_ignore_ascii_case("file:")) {
        file_url(url_text, working_directory)
    } else {
        Url::parse(url_text).map_err(|error| format!("it is not a valid URL ({error})"))
    }
    .map_err(|reason| syntax(origin, text, reason))?;
    let target = check_url(&url, text, origin)?;
    let hashes = fragment_hashes(url.fragment(), origin)?;
    if url.scheme() != "file" {
        let kind = match target {
            UrlTarget::Wheel => EntryKind::WheelUrl(url_text.to_owned()),
            UrlTarget::Source => EntryKind::SourceUrl { url: url_text.to_owned(), editable: false },
        };
        return Ok((kind, hashes));
    }
    let path = url.to_file_path().ok().and_then(|path| Utf8PathBuf::from_path_buf(path).ok()).ok_or_else(|| {
        syntax(origin, text, "a `file:` URL must name a local UTF-8 path, like `file:///wheels/x.whl`")
    })?;
    let kind = match target {
        UrlTarget::Wheel => EntryKind::LocalWheel(path),
        UrlTarget::Source => EntryKind::LocalSource { path, extras: Vec::new(), editable: false },
    };
    Ok((kind, hashes))
}

/// What a URL names.
enum UrlTarget {
    Wheel,
    /// A source archive, a project directory (`file:`) or a repository (`git+`).
    Source,
}

/// Refuses a URL that names neither a wheel, nor a source archive or project directory, nor a
/// `git` repository.
fn check_url(url: &Url, text: &str, origin: &str) -> Result<UrlTarget, Error> {
    match url.scheme() {
        "https" | "http" | "file" => {}
        "git+https" | "git+http" | "git+ssh" | "git+file" | "git+git" => return Ok(UrlTarget::Source),
        scheme if scheme.contains('+') || matches!(scheme, "git" | "hg" | "svn" | "bzr") => {
            return Err(unsupported(origin, text, VERSION_CONTROL));
        }
        _ => return Err(unsupported(origin, text, URL_SCHEME)),
    }
    let last_segment = url.path().rsplit('/').next().unwrap_or_default();
    if has_suffix(last_segment, ".whl") {
        Ok(UrlTarget::Wheel)
    } else if SdistFilename::is_archive_name(last_segment) || url.scheme() == "file" {
        Ok(UrlTarget::Source)
    } else {
        Err(unsupported(origin, text, NOT_AN_ARCHIVE))
    }
}

/// Parses a path given without a project name: a wheel (`./dist/x.whl`), a source archive or a
/// project directory, the latter two with extras (`.[cli]`).
fn parse_bare_path(text: &str, working_directory: &Utf8Path, origin: &str) -> Result<EntryKind, Error> {
    let mut path = text.trim();
    if path.contains(';') {
        return Err(unsupported(origin, text, BARE_MARKERS));
    }
    let mut extras = Vec::new();
    if let Some(inner) = path.strip_suffix(']')
        && let Some((before, names)) = inner.rsplit_once('[')
    {
        for name in names.split(',').map(str::trim).filter(|name| !name.is_empty()) {
            let extra = ExtraName::from_str(name)
                .map_err(|error| syntax(origin, text, format!("`{name}` is not an extra name ({error})")))?;
            extras.push(extra);
        }
        path = before;
    }
    let absolute = normalize(&working_directory.join(path));
    if has_suffix(path, ".whl") {
        if !extras.is_empty() {
            return Err(unsupported(origin, text, BARE_MARKERS));
        }
        return Ok(EntryKind::LocalWheel(absolute));
    }
    Ok(EntryKind::LocalSource { path: absolute, extras, editable: false })
}

/// Where the URL starts in `name [extras] @ URL`, if `text` has that form.
fn direct_reference_url_start(text: &str) -> Option<usize> {
    if !text.starts_with(|character: char| character.is_ascii_alphanumeric()) {
        return None;
    }
    let name_end = text
        .find(|character: char| !(character.is_ascii_alphanumeric() || matches!(character, '.' | '_' | '-')))
        .unwrap_or(text.len());
    let mut rest = text[name_end..].trim_start();
    if let Some(extras) = rest.strip_prefix('[') {
        rest = extras[extras.find(']')? + 1..].trim_start();
    }
    let url = rest.strip_prefix('@')?;
    Some(text.len() - url.len())
}

/// The scheme of `text` if it starts like a URL. One letter is a Windows drive (`C:\x.whl`),
/// not a scheme.
fn url_scheme(text: &str) -> Option<&str> {
    let (scheme, _) = text.split_once(':')?;
    let is_scheme = scheme.len() >= 2
        && scheme.starts_with(|character: char| character.is_ascii_alphabetic())
        && scheme.chars().all(|character| character.is_ascii_alphanumeric() || matches!(character, '+' | '-' | '.'));
    is_scheme.then_some(scheme)
}

/// Whether a requirement (before its markers) is a path rather than a project name, as pip
/// decides: a path separator, a leading `.`, or an archive's extension.
fn looks_like_path(text: &str) -> bool {
    const ARCHIVE_SUFFIXES: [&str; 9] =
        [".whl", ".tar.gz", ".tgz", ".tar.bz2", ".tbz", ".tar.xz", ".txz", ".tar", ".zip"];
    text.contains(['/', '\\'])
        || text.starts_with('.')
        || ARCHIVE_SUFFIXES.iter().any(|suffix| has_suffix(text, suffix))
}

/// Whether `text` ends with `suffix`, ignoring ASCII case (`X.WHL` is a wheel too).
fn has_suffix(text: &str, suffix: &str) -> bool {
    text.len() >= suffix.len()
        && text.get(text.len() - suffix.len()..).is_some_and(|end| end.eq_ignore_ascii_case(suffix))
}

/// Drops the `.` components of a path (`dir/./x` is `dir/x`); `..` stays, since removing it
/// without the file system would be wrong across symbolic links.
fn normalize(path: &Utf8Path) -> Utf8PathBuf {
    path.components().collect()
}

/// Which distributions may be wheels and which may be built from source: pip's `--no-binary`
/// and `--only-binary`, with pip's rules (`FormatControl` in pip): each option takes project
/// names, `:all:` or `:none:`, comma-separated; naming a project in one removes it from the
/// other; `:all:` empties both first. A project named in `--only-binary` is never built, one
/// named in `--no-binary` never comes as a wheel; otherwise `:all:` decides, `--only-binary`'s
/// first. Neither takes local projects and direct references: those are what they are.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct FormatControl {
    no_binary: BTreeSet<String>,
    only_binary: BTreeSet<String>,
    /// Every value given, in order, for [`FormatControl::extend`]: pip's rules depend on it.
    given: Vec<BinaryOption>,
}

/// One `--no-binary` or `--only-binary` value. pip applies them in the order given (`--only-binary
/// :all: --no-binary foo` builds `foo` and nothing else), so they are kept in order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum BinaryOption {
    /// Build these projects from source (`--no-binary`): names, `:all:` or `:none:`.
    NoBinary(String),
    /// Never build these projects (`--only-binary`).
    OnlyBinary(String),
}

/// The `:all:` of pip's format control.
const ALL: &str = ":all:";

impl FormatControl {
    /// Adds a `--no-binary` value.
    pub(crate) fn no_binary(&mut self, value: &str) -> Result<(), String> {
        self.apply(&BinaryOption::NoBinary(value.to_owned()))
    }

    /// Adds an `--only-binary` value.
    pub(crate) fn only_binary(&mut self, value: &str) -> Result<(), String> {
        self.apply(&BinaryOption::OnlyBinary(value.to_owned()))
    }

    /// Adds a value of either option.
    pub(crate) fn apply(&mut self, option: &BinaryOption) -> Result<(), String> {
        match option {
            BinaryOption::NoBinary(value) => Self::add(value, &mut self.no_binary, &mut self.only_binary)?,
            BinaryOption::OnlyBinary(value) => Self::add(value, &mut self.only_binary, &mut self.no_binary)?,
        }
        self.given.push(option.clone());
        Ok(())
    }

    /// Applies `other`'s values after these, in their order (as if read later).
    pub(crate) fn extend(&mut self, other: &Self) {
        for option in &other.given {
            self.apply(option).expect("applied once already");
        }
    }

    fn add(value: &str, target: &mut BTreeSet<String>, other: &mut BTreeSet<String>) -> Result<(), String> {
        for item in value.split(',').map(str::trim).filter(|item| !item.is_empty()) {
            match item {
                ALL => {
                    target.clear();
                    other.clear();
                    target.insert(ALL.to_owned());
                }
                ":none:" => target.clear(),
                name => {
                    let name = PackageName::from_str(name)
                        .map_err(|_| format!("`{name}` is not a project name, `:all:` or `:none:`"))?;
                    other.remove(name.as_str());
                    target.insert(name.to_string());
                }
            }
        }
        Ok(())
    }

    /// Returns `true` if `name` may come as a wheel.
    pub(crate) fn allows_wheel(&self, name: &PackageName) -> bool {
        self.allows(name) != Some(false)
    }

    /// Returns `true` if `name` may be built from a source distribution.
    pub(crate) fn allows_source(&self, name: &PackageName) -> bool {
        self.allows(name) != Some(true)
    }

    /// `Some(true)` when `name` must be a wheel, `Some(false)` when it must be built, `None`
    /// when either will do (pip's `get_allowed_formats`).
    fn allows(&self, name: &PackageName) -> Option<bool> {
        let name = name.as_str();
        if self.only_binary.contains(name) {
            Some(true)
        } else if self.no_binary.contains(name) {
            Some(false)
        } else if self.only_binary.contains(ALL) {
            Some(true)
        } else if self.no_binary.contains(ALL) {
            Some(false)
        } else {
            None
        }
    }
}

/// Appends `item` unless it is there already: an index listed by two included files is still
/// searched once.
fn push_new(items: &mut Vec<String>, item: String) {
    if !items.contains(&item) {
        items.push(item);
    }
}

fn syntax(origin: &str, text: impl Into<String>, reason: impl Into<String>) -> Error {
    Error::Syntax { origin: origin.to_owned(), text: text.into(), reason: reason.into() }
}

fn unsupported(origin: &str, text: impl Into<String>, advice: &'static str) -> Error {
    Error::Unsupported { origin: origin.to_owned(), text: text.into(), advice }
}

#[cfg(test)]
mod tests {
    use camino::{Utf8Path, Utf8PathBuf};

    use super::{Entry, EntryKind, Error, RequirementsFile, parse_entry, read_with_variables};
    use crate::hash::Sha256Digest;
    use crate::requirement::VersionOrUrl;

    const HEX_A: &str = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
    const HEX_B: &str = "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb";
    const HEX_C: &str = "cccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccc";

    /// A temporary directory holding the given files (`relative path`, contents).
    fn directory_with(files: &[(&str, &str)]) -> (tempfile::TempDir, Utf8PathBuf) {
        let directory = tempfile::tempdir().unwrap();
        let root = Utf8PathBuf::from_path_buf(directory.path().canonicalize().unwrap()).unwrap();
        for (path, contents) in files {
            let path = root.join(path);
            fs_err::create_dir_all(path.parent().unwrap()).unwrap();
            fs_err::write(path, contents).unwrap();
        }
        (directory, root)
    }

    fn digest(hex: &str) -> Sha256Digest {
        Sha256Digest::from_hex(hex).unwrap()
    }

    /// The PEP 508 requirement of an entry, shown.
    fn shown(entry: &Entry) -> String {
        let EntryKind::Requirement(requirement) = &entry.kind else { panic!("not a requirement: {entry:?}") };
        requirement.to_string()
    }

    /// The file path of an entry's `file:` URL.
    fn file_url_path(entry: &Entry) -> Utf8PathBuf {
        let EntryKind::Requirement(requirement) = &entry.kind else { panic!("not a requirement: {entry:?}") };
        let Some(VersionOrUrl::Url(url)) = &requirement.version_or_url else { panic!("no URL: {entry:?}") };
        Utf8PathBuf::from_path_buf(url.to_file_path().unwrap()).unwrap()
    }

    #[test]
    fn ok_every_line_kind() {
        let text = format!(
            "\u{feff}# A comment line, then a blank line

requests[socks]>=2.0 ; python_version >= \"3.8\"   # an inline comment
six==1.17.0 \\
    --hash=sha256:{HEX_A} \\
    --hash sha256:{HEX_B}
attrs==${{ATTRS_VERSION}}  # ${{UNSET_BUT_IN_A_COMMENT}}
continued\\
-name==1.0 \\
# a comment ends the continued line
named-url @ https://files.example/named_url-1.0-py3-none-any.whl#sha256={HEX_C}
absolute-file @ file:///opt/wheels/absolute_file-1.0-py3-none-any.whl
relative-file @ file:wheels/relative_file-1.0-py3-none-any.whl ; sys_platform == \"linux\"
./dist/dot_slash-1.0-py3-none-any.whl
dist/./plain-1.0-py3-none-any.whl --hash=sha256:{HEX_A}
/opt/wheels/absolute-1.0-py3-none-any.whl
https://files.example/remote-1.0-py3-none-any.whl#sha256={HEX_B}&egg=remote
file:dist/file_url-1.0-py3-none-any.whl
-i https://first.example/simple
--index-url=https://mirror.example/simple
--extra-index-url https://extra.example/simple
--extra-index-url=https://extra.example/simple
-f https://links.example/wheels/
--find-links ./wheelhouse
-f\"local wheels\"
--no-index
--pre
--require-hashes
--trusted-host internal.example
--prefer-binary
--only-binary :all:
--no-binary=:none:
--use-feature truststore
"
        );
        let (_guard, root) = directory_with(&[("requirements.txt", &text)]);
        let variables = |name: &str| (name == "ATTRS_VERSION").then(|| "23.2.0".to_owned());
        let file = read_with_variables(&root.join("requirements.txt"), false, &variables).unwrap();

        let requirements = &file.requirements;
        assert_eq!(requirements.len(), 12, "{requirements:#?}");
        assert_eq!(shown(&requirements[0]), "requests[socks]>=2.0 ; python_full_version >= '3.8'");
        assert_eq!(requirements[0].origin, format!("{root}/requirements.txt:3"));
        assert_eq!(requirements[0].hashes, []);
        assert_eq!(shown(&requirements[1]), "six==1.17.0");
        assert_eq!(requirements[1].hashes, [digest(HEX_A), digest(HEX_B)]);
        assert_eq!(requirements[1].origin, format!("{root}/requirements.txt:4"));
        assert_eq!(shown(&requirements[2]), "attrs==23.2.0");
        assert_eq!(shown(&requirements[3]), "continued-name==1.0");
        assert_eq!(requirements[3].origin, format!("{root}/requirements.txt:8"));
        assert_eq!(
            shown(&requirements[4]),
            format!("named-url @ https://files.example/named_url-1.0-py3-none-any.whl#sha256={HEX_C}")
        );
        assert_eq!(requirements[4].hashes, [digest(HEX_C)]);
        assert_eq!(file_url_path(&requirements[5]), "/opt/wheels/absolute_file-1.0-py3-none-any.whl");
        assert_eq!(file_url_path(&requirements[6]), root.join("wheels/relative_file-1.0-py3-none-any.whl"));
        assert!(shown(&requirements[6]).ends_with(" ; sys_platform == 'linux'"), "{}", shown(&requirements[6]));
        let kinds: Vec<&EntryKind> = requirements[7..].iter().map(|entry| &entry.kind).collect();
        assert_eq!(
            kinds,
            [
                &EntryKind::LocalWheel(root.join("dist/dot_slash-1.0-py3-none-any.whl")),
                &EntryKind::LocalWheel(root.join("dist/plain-1.0-py3-none-any.whl")),
                &EntryKind::LocalWheel("/opt/wheels/absolute-1.0-py3-none-any.whl".into()),
                &EntryKind::WheelUrl(format!(
                    "https://files.example/remote-1.0-py3-none-any.whl#sha256={HEX_B}&egg=remote"
                )),
                &EntryKind::LocalWheel(root.join("dist/file_url-1.0-py3-none-any.whl")),
            ]
        );
        assert_eq!(requirements[8].hashes, [digest(HEX_A)]);
        assert_eq!(requirements[10].hashes, [digest(HEX_B)]);

        assert!(file.constraints.is_empty());
        assert_eq!(file.index_url.as_deref(), Some("https://mirror.example/simple"));
        assert_eq!(file.extra_index_urls, ["https://extra.example/simple"]);
        assert_eq!(
            file.find_links,
            ["https://links.example/wheels/".to_owned(), format!("{root}/wheelhouse"), format!("{root}/local wheels")]
        );
        assert!(file.no_index && file.pre && file.require_hashes);
    }

    #[test]
    fn ok_nested_files_and_constraints() {
        let (_guard, root) = directory_with(&[
            ("requirements.txt", "-r sub/more.txt\n--constraint=limits/constraints.txt\nfirst==1\n"),
            ("sub/more.txt", "./local-1.0-py3-none-any.whl\n-r ../last.txt\n"),
            ("last.txt", "last==3\n-i https://last.example/simple\n"),
            ("limits/constraints.txt", "limited<2\n-r deeper.txt\n"),
            ("limits/deeper.txt", "deeper==4 ; os_name == \"posix\"\n-c ../last.txt\n"),
            ("top-constraints.txt", "pinned==1\n-r last.txt\n"),
        ]);
        let file = RequirementsFile::read(&root.join("requirements.txt"), &crate::env::Environment::default()).unwrap();
        let requirements: Vec<(&EntryKind, &str)> =
            file.requirements.iter().map(|entry| (&entry.kind, entry.origin.as_str())).collect();
        assert_eq!(requirements.len(), 3);
        assert_eq!(
            requirements[0],
            (&EntryKind::LocalWheel(root.join("sub/local-1.0-py3-none-any.whl")), &*format!("{root}/sub/more.txt:1"))
        );
        assert_eq!(shown(&file.requirements[1]), "last==3");
        assert_eq!(file.requirements[1].origin, format!("{root}/sub/../last.txt:1"));
        assert_eq!(shown(&file.requirements[2]), "first==1");
        let constraints: Vec<String> = file.constraints.iter().map(shown).collect();
        assert_eq!(constraints, ["limited<2", "deeper==4 ; os_name == 'posix'", "last==3"]);
        assert_eq!(file.constraints[1].origin, format!("{root}/limits/deeper.txt:1"));
        assert_eq!(file.index_url.as_deref(), Some("https://last.example/simple"));

        // A constraints file given by the user: even its `-r` gives constraints.
        let constraints = RequirementsFile::read_constraints(
            &root.join("sub/../limits/deeper.txt"),
            &crate::env::Environment::default(),
        )
        .unwrap();
        assert!(constraints.requirements.is_empty());
        let constraints: Vec<String> = constraints.constraints.iter().map(shown).collect();
        assert_eq!(constraints, ["deeper==4 ; os_name == 'posix'", "last==3"]);
        let constraints =
            RequirementsFile::read_constraints(&root.join("top-constraints.txt"), &crate::env::Environment::default())
                .unwrap();
        assert!(constraints.requirements.is_empty());
        assert_eq!(constraints.constraints.iter().map(shown).collect::<Vec<_>>(), ["pinned==1", "last==3"]);
    }

    #[test]
    fn ok_merge() {
        let (_guard, root) = directory_with(&[
            ("one.txt", "one==1\n-i https://one.example/simple\n--extra-index-url https://extra.example/simple\n"),
            ("two.txt", "two==2\n--extra-index-url https://extra.example/simple\n-f wheels\n--pre\n"),
            ("limits.txt", "one<2\n--no-index\n"),
        ]);
        let mut file = RequirementsFile::read(&root.join("one.txt"), &crate::env::Environment::default()).unwrap();
        file.merge(RequirementsFile::read(&root.join("two.txt"), &crate::env::Environment::default()).unwrap());
        file.merge(
            RequirementsFile::read_constraints(&root.join("limits.txt"), &crate::env::Environment::default()).unwrap(),
        );
        assert_eq!(file.requirements.iter().map(shown).collect::<Vec<_>>(), ["one==1", "two==2"]);
        assert_eq!(file.constraints.iter().map(shown).collect::<Vec<_>>(), ["one<2"]);
        assert_eq!(file.index_url.as_deref(), Some("https://one.example/simple"));
        assert_eq!(file.extra_index_urls, ["https://extra.example/simple"]);
        assert_eq!(file.find_links, [format!("{root}/wheels")]);
        assert!(file.pre && file.no_index && !file.require_hashes);
    }

    #[test]
    fn ok_parse_entry() {
        let directory = Utf8Path::new("/work");
        let entry = parse_entry("  requests>=2 ", directory, "argument 1").unwrap();
        assert_eq!((shown(&entry).as_str(), entry.origin.as_str()), ("requests>=2", "argument 1"));
        for (text, path) in [
            ("./x-1.0-py3-none-any.whl", "/work/x-1.0-py3-none-any.whl"),
            ("x-1.0-py3-none-any.WHL", "/work/x-1.0-py3-none-any.WHL"),
            ("../up/x-1.0-py3-none-any.whl", "/work/../up/x-1.0-py3-none-any.whl"),
            ("file:///abs/x%20y-1.0-py3-none-any.whl", "/abs/x y-1.0-py3-none-any.whl"),
        ] {
            let entry = parse_entry(text, directory, "argument").unwrap();
            assert_eq!(entry.kind, EntryKind::LocalWheel(path.into()), "{text}");
        }
        // The shell expanded what it meant to: `$` stays as written.
        let entry = parse_entry("https://host/${X}/x-1.0-py3-none-any.whl", directory, "argument").unwrap();
        assert_eq!(entry.kind, EntryKind::WheelUrl("https://host/${X}/x-1.0-py3-none-any.whl".to_owned()));
    }

    /// The message of the error that reading a file with `text` gives, with the file's path as
    /// `FILE`.
    fn error_of(text: &str) -> String {
        let (_guard, root) = directory_with(&[("reqs.txt", text)]);
        let error = read_with_variables(&root.join("reqs.txt"), false, &|_| None).unwrap_err();
        error.to_string().replace(root.as_str(), "DIR")
    }

    #[test]
    fn err_unsupported_lines() {
        const OPTIONS: &str = "pex-rs does not know this option; remove it (requirements files may use `-r`, `-c`, `-e`, `-i`, `--extra-index-url`, `-f`, `--no-index`, `--pre`, `--require-hashes`, `--no-binary`, `--only-binary`, `--prefer-binary` and `--hash`)";
        const MARKERS: &str = "a bare path or URL cannot carry markers; name the project instead: `name[extra] @ URL ; marker` (a `file:` URL for a local path)";
        for (line, shown, message) in [
            (
                "-e ./missing",
                "-e ./missing",
                "`-e` takes a project directory or a `git+` URL; give a requirement without `-e`",
            ),
            (
                "-e https://host/x-1.0.tar.gz",
                "-e https://host/x-1.0.tar.gz",
                "`-e` takes a project directory or a `git+` URL; give a requirement without `-e`",
            ),
            (
                "x @ hg+https://host/x",
                "x @ hg+https://host/x",
                "pex-rs builds from `git` only (`git+https://host/repo.git@REV`); build a wheel and give its path",
            ),
            (
                "svn+https://host/x",
                "svn+https://host/x",
                "pex-rs builds from `git` only (`git+https://host/repo.git@REV`); build a wheel and give its path",
            ),
            (
                "ftp://host/x-1.0-py3-none-any.whl",
                "ftp://host/x-1.0-py3-none-any.whl",
                "only `https`, `http`, `file` and `git+` URLs are supported; download the file and give its path",
            ),
            (
                "https://host/page",
                "https://host/page",
                "this URL names neither a wheel (`.whl`) nor a source archive (`.tar.gz`, `.zip`); give the URL of one",
            ),
            (
                "x==1 --config-settings key=value",
                "--config-settings key=value",
                "per-requirement config settings are not supported; pass `--config-settings KEY=VALUE` on the pex-rs command line, which applies to every build",
            ),
            (
                "x==1 --global-option=--quiet",
                "--global-option=--quiet",
                "setuptools command options are not passed to builds; use `--config-settings KEY=VALUE` on the pex-rs command line",
            ),
            (
                "-r https://host/reqs.txt",
                "-r https://host/reqs.txt",
                "requirements files are read from disk only; download it and give its path",
            ),
            (
                "./x-1.0-py3-none-any.whl ; python_version > \"3\"",
                "./x-1.0-py3-none-any.whl ; python_version > \"3\"",
                MARKERS,
            ),
            ("./project[extra] ; python_version > \"3\"", "./project[extra] ; python_version > \"3\"", MARKERS),
            (
                "https://host/x-1.0-py3-none-any.whl ; python_version > \"3\"",
                "https://host/x-1.0-py3-none-any.whl ; python_version > \"3\"",
                MARKERS,
            ),
            ("--index https://host/simple", "--index", OPTIONS),
            ("-Z", "-Z", OPTIONS),
        ] {
            let expected = format!("`DIR/reqs.txt:1`: cannot use `{shown}`: {message}");
            assert_eq!(
                error_of(&format!("# first line is line 1 after this one\n{line}\n"))
                    .replace("reqs.txt:2", "reqs.txt:1"),
                expected,
                "{line}"
            );
        }
    }

    #[test]
    fn ok_source_lines() {
        let (_guard, root) = directory_with(&[
            (
                "reqs.txt",
                "-e .\n--editable ./project\n./project[cli, extra]\ndist/x-1.0.tar.gz\nx-1.0.zip\n\
              https://host/x-1.0.tar.gz\nx @ https://host/x-1.0.tar.gz\nx @ git+https://host/x.git@v1\n\
              git+https://host/x.git#egg=x\n-e git+https://host/y.git\n--only-binary :all:\n--no-binary x,y\n--prefer-binary\n",
            ),
            ("project/setup.py", ""),
        ]);
        let file = read_with_variables(&root.join("reqs.txt"), false, &|_| None).unwrap();
        let kinds: Vec<&EntryKind> = file.requirements.iter().map(|entry| &entry.kind).collect();
        let source = |path: &str, extras: &[&str], editable: bool| EntryKind::LocalSource {
            path: if path.is_empty() { root.clone() } else { root.join(path) },
            extras: extras.iter().map(|extra| extra.parse().unwrap()).collect(),
            editable,
        };
        assert_eq!(kinds[0], &source("", &[], true));
        assert_eq!(kinds[1], &source("project", &[], true));
        assert_eq!(kinds[2], &source("project", &["cli", "extra"], false));
        assert_eq!(kinds[3], &source("dist/x-1.0.tar.gz", &[], false));
        assert_eq!(kinds[4], &source("x-1.0.zip", &[], false));
        assert_eq!(kinds[5], &EntryKind::SourceUrl { url: "https://host/x-1.0.tar.gz".to_owned(), editable: false });
        assert_eq!(shown(&file.requirements[6]), "x @ https://host/x-1.0.tar.gz");
        assert_eq!(shown(&file.requirements[7]), "x @ git+https://host/x.git@v1");
        assert_eq!(kinds[8], &EntryKind::SourceUrl { url: "git+https://host/x.git#egg=x".to_owned(), editable: false });
        assert_eq!(kinds[9], &EntryKind::SourceUrl { url: "git+https://host/y.git".to_owned(), editable: true });
        let x: crate::requirement::PackageName = "x".parse().unwrap();
        let z: crate::requirement::PackageName = "z".parse().unwrap();
        assert!(!file.format_control.allows_wheel(&x) && file.format_control.allows_source(&x));
        assert!(file.format_control.allows_wheel(&z) && !file.format_control.allows_source(&z));
        assert!(file.prefer_binary);
    }

    #[test]
    fn ok_format_control_follows_pip() {
        let name = |text: &str| -> crate::requirement::PackageName { text.parse().unwrap() };
        let mut control = super::FormatControl::default();
        assert!(control.allows_wheel(&name("a")) && control.allows_source(&name("a")));
        control.no_binary(":all:").unwrap();
        control.only_binary("a").unwrap();
        assert!(control.allows_wheel(&name("a")) && !control.allows_source(&name("a")));
        assert!(!control.allows_wheel(&name("b")) && control.allows_source(&name("b")));
        control.only_binary(":all:").unwrap();
        control.no_binary("B_").unwrap_err();
        control.no_binary("b").unwrap();
        assert!(!control.allows_wheel(&name("b")) && control.allows_source(&name("b")));
        assert!(control.allows_wheel(&name("c")) && !control.allows_source(&name("c")));
        control.only_binary(":none:").unwrap();
        assert!(control.allows_wheel(&name("c")) && control.allows_source(&name("c")));
    }

    #[test]
    fn err_syntax() {
        for (text, message) in [
            (
                "requests>=",
                "`DIR/reqs.txt:1`: cannot parse `requests>=`: Unexpected end of version specifier, expected version (at character 9); write a requirement like `name[extra]>=1.0 ; marker` or `name @ https://host/name-1.0-py3-none-any.whl`",
            ),
            ("-r", "`DIR/reqs.txt:1`: cannot parse `-r`: this option needs a value after it"),
            ("--pre=yes", "`DIR/reqs.txt:1`: cannot parse `--pre=yes`: this option takes no value"),
            ("-r 'unclosed.txt", "`DIR/reqs.txt:1`: cannot parse `-r 'unclosed.txt`: a quote is not closed"),
            (
                "--pre stray",
                "`DIR/reqs.txt:1`: cannot parse `stray`: expected an option here; a requirement goes first on its line",
            ),
            (
                "x==1 -r other.txt",
                "`DIR/reqs.txt:1`: cannot parse `-r other.txt`: this option goes on a line of its own, not after a requirement",
            ),
            (
                "-i index.example/simple",
                "`DIR/reqs.txt:1`: cannot parse `-i index.example/simple`: expected an `https`, `http` or `file` URL, like `https://index.example/simple`",
            ),
            (
                "--hash=sha256:aaaa",
                "`DIR/reqs.txt:1`: cannot parse `--hash=sha256:aaaa`: `--hash` pins the requirement before it on the same line; continue a long line with a trailing `\\`",
            ),
            (
                "x==1 ; python_version >= \"3\" and",
                "`DIR/reqs.txt:1`: cannot parse `x==1 ; python_version >= \"3\" and`: Expected marker value, found end of dependency specification (at character 33); write a requirement like `name[extra]>=1.0 ; marker` or `name @ https://host/name-1.0-py3-none-any.whl`",
            ),
        ] {
            assert_eq!(error_of(text), message, "{text}");
        }
    }

    #[test]
    fn err_hashes() {
        for (text, shown) in [
            ("x==1 --hash=md5:0123", "--hash=md5:0123"),
            (&*format!("x==1 --hash sha512:{HEX_A}"), &*format!("--hash sha512:{HEX_A}")),
            ("x==1 --hash=sha256:abc", "--hash=sha256:abc"),
            ("https://host/x-1.0-py3-none-any.whl#md5=0123", "#md5=0123"),
            ("x @ https://host/x-1.0-py3-none-any.whl#sha256=xyz", "#sha256=xyz"),
        ] {
            assert_eq!(
                error_of(text),
                format!(
                    "`DIR/reqs.txt:1`: `{shown}` is not a sha256 hash; pex-rs checks sha256 only: write `--hash=sha256:` and 64 hex digits"
                ),
                "{text}"
            );
        }
    }

    #[test]
    fn err_unset_variable() {
        assert_eq!(
            error_of("\n\nx==${PEX_RS_TEST_UNSET}\n"),
            "`DIR/reqs.txt:3`: the environment variable `PEX_RS_TEST_UNSET` is not set (or is empty or not UTF-8); set it, or write its value in the file"
        );
    }

    #[test]
    fn err_constraints() {
        let (_guard, root) = directory_with(&[
            ("extras.txt", "x[extra]<2\n"),
            ("unnamed.txt", "./x-1.0-py3-none-any.whl\n"),
            ("includes.txt", "-c unnamed.txt\n"),
        ]);
        let message = |name: &str| {
            RequirementsFile::read_constraints(&root.join(name), &crate::env::Environment::default())
                .unwrap_err()
                .to_string()
        };
        assert_eq!(
            message("extras.txt"),
            format!(
                "`{root}/extras.txt:1`: cannot use `x[extra]<2`: a constraint cannot have extras (pip refuses them too); remove the `[...]`"
            )
        );
        let unnamed = format!(
            "`{root}/unnamed.txt:1`: cannot use `./x-1.0-py3-none-any.whl`: a constraint must name its project; write `name==VERSION` or `name @ URL`"
        );
        assert_eq!(message("unnamed.txt"), unnamed);
        assert_eq!(
            RequirementsFile::read(&root.join("includes.txt"), &crate::env::Environment::default())
                .unwrap_err()
                .to_string(),
            unnamed
        );
    }

    #[test]
    fn err_cycle() {
        let (_guard, root) = directory_with(&[
            ("a.txt", "x==1\n-r sub/b.txt\n"),
            ("sub/b.txt", "\n-c ../a.txt\n"),
            ("self.txt", "-r ./self.txt\n"),
        ]);
        let error = RequirementsFile::read(&root.join("a.txt"), &crate::env::Environment::default()).unwrap_err();
        assert!(matches!(error, Error::Cycle { .. }));
        assert_eq!(
            error.to_string(),
            format!(
                "`{root}/sub/b.txt:2`: the requirements files include each other in a loop: `{root}/a.txt` -> `{root}/sub/b.txt` -> `{root}/sub/../a.txt`; remove one of the includes"
            )
        );
        assert_eq!(
            RequirementsFile::read(&root.join("self.txt"), &crate::env::Environment::default())
                .unwrap_err()
                .to_string(),
            format!(
                "`{root}/self.txt:1`: the requirements files include each other in a loop: `{root}/self.txt` -> `{root}/self.txt`; remove one of the includes"
            )
        );
    }

    #[test]
    fn err_read() {
        let (_guard, root) = directory_with(&[("includes.txt", "# the file below is missing\n-r missing.txt\n")]);
        let error = RequirementsFile::read(&root.join("absent.txt"), &crate::env::Environment::default()).unwrap_err();
        assert!(matches!(&error, Error::Read { source, .. } if source.kind() == std::io::ErrorKind::NotFound));
        assert_eq!(error.to_string(), format!("failed to read the requirements file `{root}/absent.txt`"));
        assert_eq!(
            RequirementsFile::read(&root.join("includes.txt"), &crate::env::Environment::default())
                .unwrap_err()
                .to_string(),
            format!("`{root}/includes.txt:2`: failed to read the included requirements file `{root}/missing.txt`")
        );
    }

    #[test]
    fn ok_a_requirements_file_expands_variables_of_its_environment() {
        let directory = tempfile::tempdir().unwrap();
        let root = camino::Utf8Path::from_path(directory.path()).unwrap();
        fs_err::write(root.join("requirements.txt"), "demo==${DEMO_VERSION}\n").unwrap();
        let environment = crate::env::Environment::default().with("DEMO_VERSION", "1.2");
        let file = super::RequirementsFile::read(&root.join("requirements.txt"), &environment).unwrap();
        let super::EntryKind::Requirement(requirement) = &file.requirements[0].kind else {
            panic!("not a requirement: {:?}", file.requirements[0]);
        };
        assert_eq!(requirement.to_string(), "demo==1.2");
    }
}
