//! The runtime a PEX carries: its boot code, the Python files of this directory, and how each
//! start reaches it (`docs/format.md`, "The boot code").
//!
//! - `main.py` is the PEX's `__main__.py`. It only loads the others, which live in the archive
//!   under `__pex_rs__/` (with their bytecode for each interpreter the build knew), into one
//!   namespace: `runner.py` (the warm path, all a PEX's virtual environment keeps), then, when a
//!   start is not warm, `boot.py` (the cold path: installs, and `pex-rs extract`), only when an
//!   interpreter must be chosen `search.py` and `fit.py`, and only for `PEX_VERIFY`, `pex-rs
//!   verify` and `pex-rs venv` `tools.py`.
//! - `answer.py` is what a candidate interpreter runs when the search probes it, with `fit.py`
//!   on its stdin; `interpreter/probe.py` follows `fit.py` too, so one text detects platforms.
//! - [`LOADER`] is how the sh header (and a re-exec) starts the boot code; [`TOOL_LOADER`] is how
//!   pex-rs's tools run their own copy of it on a PEX, never the archive's.

use std::sync::LazyLock;

use crate::hash::Sha256Digest;

/// Where the boot modules are in a PEX: `__pex_rs__/<module>.py`, with their bytecode in
/// `__pex_rs__/__pycache__/`. User code may not have files there.
pub(crate) const DIRECTORY: &str = "__pex_rs__";
/// The name of the boot entry inside a PEX.
pub(crate) const MAIN_ENTRY: &str = "__main__.py";

const MAIN: &str = include_str!("main.py");
const RUNNER: &str = include_str!("runner.py");
const BOOT: &str = include_str!("boot.py");
const SEARCH: &str = include_str!("search.py");
const FIT: &str = include_str!("fit.py");
const ANSWER: &str = include_str!("answer.py");
const TOOLS: &str = include_str!("tools.py");

/// Reads the boot code out of the PEX with `zipfile` and runs it, so that archives `zipimport`
/// cannot read (ZIP64 before Python 3.13) boot too: `__main__.py`, given the open archive as
/// `__pex_rs_zip__`, loads the boot modules from it and calls `boot()`. `sys.argv[1]` is the PEX
/// path. The `''` that `-c` puts first on `sys.path` goes, so the working directory cannot shadow
/// the standard library while the boot code imports it. It runs under `-S`: the boot code needs
/// only the standard library, and the interpreter's site-packages can cost more to set up (`.pth`
/// files that import things) than the boot itself; the venv's python runs with site.
pub(crate) const LOADER: &str = "import sys;sys.path[:1]=[x for x in sys.path[:1] if x];import zipfile;\
m=sys.modules['__main__'];p=sys.argv[1];sys.argv=sys.argv[1:];m.__file__=p+'/__main__.py';\
z=zipfile.ZipFile(p);m.__pex_rs_zip__=z;exec(compile(z.read('__main__.py'),m.__file__,'exec'),m.__dict__)";

/// What `pex-rs extract`, `verify` and `venv` run in place of a PEX's own loader: the same setup
/// (the archive open, `sys.argv` as a start gives it), then pex-rs's own boot modules, read from
/// standard input as a JSON object of texts by name ([`tool_input`]), in the roles `__main__.py`
/// gives the archive's: `_pex_rs_load` and `_pex_rs_source`. Nothing the archive carries is run.
pub(crate) const TOOL_LOADER: &str = "import sys;sys.path[:1]=[x for x in sys.path[:1] if x];import zipfile,json;\
m=sys.modules['__main__'];p=sys.argv[1];sys.argv=sys.argv[1:];m.__file__=p+'/__main__.py';\
z=zipfile.ZipFile(p);m.__pex_rs_zip__=z;s=json.loads(sys.stdin.read());m._pex_rs_source=s.__getitem__;\
m._pex_rs_load=lambda n,s=s,m=m:exec(compile(s[n],'<pex-rs %s>'%n,'exec'),m.__dict__);\
m._pex_rs_load('runner');m._pex_rs_load('boot');m.boot(z.read('PEX-INFO').decode())";

/// A boot module: its name (`runner` for `__pex_rs__/runner.py`) and its text.
pub(crate) struct Module {
    pub(crate) name: &'static str,
    pub(crate) text: &'static str,
}

impl Module {
    /// Its member name in a PEX.
    pub(crate) fn member(&self) -> String {
        format!("{DIRECTORY}/{}.py", self.name)
    }

    /// Whether a PEX carries its bytecode: `answer.py` runs only as `python -c` text, in any
    /// Python, never from the archive.
    pub(crate) fn is_compiled(&self) -> bool {
        self.name != "answer"
    }
}

/// The boot modules, sorted by name. `boot.py`'s loader placeholder holds [`LOADER`], so the sh
/// header and a re-exec start the same way from one text.
pub(crate) fn modules() -> &'static [Module] {
    static MODULES: LazyLock<[Module; 6]> = LazyLock::new(|| {
        // A Python string literal in double quotes: the loader has neither `"` nor `\`.
        debug_assert!(!LOADER.contains(['"', '\\']), "the loader must fit a plain Python literal");
        let boot = BOOT.replacen("\"@PEX_RS_LOADER@\"", &format!("\"{LOADER}\""), 1);
        debug_assert_ne!(boot, BOOT, "boot.py has the loader placeholder");
        [
            Module { name: "answer", text: ANSWER },
            Module { name: "boot", text: Box::leak(boot.into_boxed_str()) },
            Module { name: "fit", text: FIT },
            Module { name: "runner", text: RUNNER },
            Module { name: "search", text: SEARCH },
            Module { name: "tools", text: TOOLS },
        ]
    });
    &*MODULES
}

/// The text of `__main__.py`, the same in every PEX.
pub(crate) fn main_module() -> &'static str {
    MAIN
}

/// The text `interpreter/probe.py` follows: the interpreter fit, which detects the platform.
pub(crate) fn fit() -> &'static str {
    FIT
}

/// The digest of a PEX's boot code: `__main__.py` and every file under `__pex_rs__/` but the
/// bytecode, as (member name, bytes) in name order. PEX-INFO records it
/// (`build_properties.pex_rs_boot`), so `pex_hash` covers the boot code too.
pub(crate) fn digest_of<'a>(files: impl IntoIterator<Item = (&'a str, &'a [u8])>) -> String {
    let mut text = Vec::new();
    for (name, bytes) in files {
        // Each length written out: no two lists of files hash the same text.
        text.extend_from_slice(format!("{name}\0{}\0", bytes.len()).as_bytes());
        text.extend_from_slice(bytes);
    }
    Sha256Digest::of(&text).to_string()
}

/// Whether a member of a PEX is boot code that [`digest_of`] covers.
pub(crate) fn is_boot_source(name: &str) -> bool {
    name == MAIN_ENTRY
        || name.strip_prefix(DIRECTORY).and_then(|rest| rest.strip_prefix('/')).is_some_and(|rest| !rest.contains('/'))
}

/// The digest of this pex-rs's boot code, as [`digest_of`] computes it for a PEX it builds.
pub(crate) fn digest() -> &'static str {
    static DIGEST: LazyLock<String> = LazyLock::new(|| {
        let mut files: Vec<(String, &[u8])> =
            modules().iter().map(|module| (module.member(), module.text.as_bytes())).collect();
        files.push((MAIN_ENTRY.to_owned(), MAIN.as_bytes()));
        files.sort();
        digest_of(files.iter().map(|(name, bytes)| (name.as_str(), *bytes)))
    });
    &DIGEST
}

/// The standard input of [`TOOL_LOADER`]: every boot module's text, by name.
pub(crate) fn tool_input() -> String {
    let texts: serde_json::Map<String, serde_json::Value> =
        modules().iter().map(|module| (module.name.to_owned(), module.text.into())).collect();
    serde_json::Value::Object(texts).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_boot_sources_are_exactly_main_and_the_modules() {
        assert!(is_boot_source("__main__.py"));
        assert!(is_boot_source("__pex_rs__/runner.py"));
        assert!(!is_boot_source("__pex_rs__/__pycache__/runner.cpython-311.pyc"));
        assert!(!is_boot_source("__pex_rs__runner.py"));
        assert!(!is_boot_source("app/__main__.py"));
        for module in modules() {
            assert!(is_boot_source(&module.member()));
        }
    }

    #[test]
    fn the_digest_commits_to_names_and_boundaries() {
        let one = digest_of([("a", &b"xy"[..]), ("b", &b"z"[..])]);
        assert_ne!(one, digest_of([("a", &b"x"[..]), ("b", &b"yz"[..])]));
        assert_ne!(one, digest_of([("a", &b"xy"[..]), ("c", &b"z"[..])]));
        assert_eq!(one, digest_of([("a", &b"xy"[..]), ("b", &b"z"[..])]));
    }
}
