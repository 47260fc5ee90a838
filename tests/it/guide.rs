//! The user guide (`docs/guide/`) cannot rot: every recipe script runs here against a loopback
//! index serving the wheels it names (a small `cowsay`, and the real build backends), with the
//! `pex-rs` under test first on `PATH`; and every relative link of the documentation points at
//! a file that exists.

use std::process::Command;

use camino::{Utf8Path, Utf8PathBuf};

use crate::index_server::{IndexServer, ServedFile};
use crate::support::{TestContext, WheelBuilder, clean_environment};

fn repository() -> Utf8PathBuf {
    Utf8Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// A stand-in for the `cowsay` of the recipes: its console script echoes `-t TEXT` in a box.
fn cowsay() -> ServedFile {
    let module = "import sys\n__version__ = \"6.1\"\n\ndef main():\n    args = sys.argv[1:]\n    \
                  text = args[args.index(\"-t\") + 1] if \"-t\" in args else \" \".join(args)\n    \
                  print(\"< %s >\" % text)\n";
    ServedFile::from_wheel(
        &WheelBuilder::new("cowsay", "6.1")
            .file("cowsay/__init__.py", module)
            .file("cowsay/__main__.py", "from cowsay import main\nmain()\n")
            .console_script("cowsay", "cowsay:main"),
    )
}

/// Runs `docs/guide/recipes/NAME` in a fresh directory, with the loopback index as the default
/// index; returns its stdout, or fails with its output.
fn run_recipe(name: &str, files: Vec<ServedFile>) -> String {
    let server = IndexServer::start(files);
    let context = TestContext::new();
    let bin = context.dir.join("bin");
    fs_err::create_dir_all(&bin).unwrap();
    std::os::unix::fs::symlink(env!("CARGO_BIN_EXE_pex-rs-under-test"), bin.join("pex-rs")).unwrap();
    let work = context.dir.join("work");
    fs_err::create_dir_all(&work).unwrap();
    let mut command = Command::new("bash");
    command.arg(repository().join("docs/guide/recipes").join(name)).current_dir(&work);
    clean_environment(&mut command);
    for variable in ["PIP_INDEX_URL", "PIP_EXTRA_INDEX_URL", "PIP_FIND_LINKS"] {
        command.env_remove(variable);
    }
    let path = format!("{bin}:{}", std::env::var("PATH").unwrap_or_default());
    let output = command
        .env("PATH", path)
        .env("PEX_RS_INDEX_URL", server.simple_url())
        .env("PIP_CONFIG_FILE", "/dev/null")
        .env("PEX_ROOT", &context.pex_root)
        .env("PEX_RS_CACHE_DIR", &context.cache_dir)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    assert!(
        output.status.success(),
        "recipe {name} failed (exit {:?})\nstdout:\n{stdout}\nstderr:\n{}",
        output.status.code(),
        String::from_utf8_lossy(&output.stderr)
    );
    stdout
}

#[test]
fn recipe_getting_started() {
    let Some(mut files) = crate::projects::backend_wheels("recipe_getting_started") else { return };
    files.push(cowsay());
    let out = run_recipe("getting-started.sh", files);
    for expected in ["< hello >", "cowsay 6.1", "myapp, with cowsay 6.1", "unchanged"] {
        assert!(out.contains(expected), "{expected:?} in:\n{out}");
    }
}

#[test]
fn recipe_several_pythons() {
    let out = run_recipe("several-pythons.sh", vec![cowsay()]);
    for python in crate::support::pythons().iter().filter(|python| python.name != "python3") {
        assert!(out.contains(&format!("< from {} >", python.name)), "{} in:\n{out}", python.name);
    }
}

#[test]
fn recipe_run_and_repl() {
    let out = run_recipe("run-and-repl.sh", vec![cowsay()]);
    for expected in [
        "< from pex-rs run >",
        "< again, from the cache >",
        "the REPL sees cowsay 6.1",
        "< as a module runner >",
        "as an interpreter 6.1",
    ] {
        assert!(out.contains(expected), "{expected:?} in:\n{out}");
    }
}

#[test]
fn recipe_air_gapped() {
    assert!(run_recipe("air-gapped.sh", vec![cowsay()]).contains("< built offline >"));
}

#[test]
fn recipe_ci_cache() {
    assert!(run_recipe("ci-cache.sh", vec![cowsay()]).contains("< from a restored cache >"));
}

#[test]
fn recipe_alpine() {
    assert!(run_recipe("alpine.sh", vec![cowsay()]).contains("cowsay-6.1-py3-none-any.whl"));
}

#[test]
fn every_recipe_is_tested() {
    let tested =
        ["getting-started.sh", "several-pythons.sh", "run-and-repl.sh", "air-gapped.sh", "ci-cache.sh", "alpine.sh"];
    for entry in fs_err::read_dir(repository().join("docs/guide/recipes")).unwrap() {
        let name = entry.unwrap().file_name().to_string_lossy().into_owned();
        assert!(tested.contains(&name.as_str()), "the recipe {name} has no test here");
    }
}

/// The relative link targets of a markdown text: `](target)`, without any `#anchor`.
fn relative_links(text: &str) -> Vec<&str> {
    text.match_indices("](")
        .filter_map(|(start, _)| text[start + 2..].split_once(')').map(|(target, _)| target))
        .map(|target| target.split('#').next().unwrap_or_default())
        .filter(|target| !target.is_empty() && !target.contains("://") && !target.starts_with("mailto:"))
        .collect()
}

#[test]
fn every_relative_link_of_the_documentation_resolves() {
    let root = repository();
    let mut pages = vec![root.join("README.md")];
    let mut directories = vec![root.join("docs"), root.join("examples"), root.join("bench"), root.join("fuzz")];
    while let Some(directory) = directories.pop() {
        for entry in fs_err::read_dir(&directory).unwrap() {
            let path = Utf8PathBuf::try_from(entry.unwrap().path()).unwrap();
            if path.is_dir() {
                directories.push(path);
            } else if path.extension() == Some("md") {
                pages.push(path);
            }
        }
    }
    let mut broken = Vec::new();
    for page in &pages {
        let text = fs_err::read_to_string(page).unwrap();
        for target in relative_links(&text) {
            if !page.parent().unwrap().join(target).exists() {
                broken.push(format!("{page}: {target}"));
            }
        }
    }
    assert!(broken.is_empty(), "broken links:\n{}", broken.join("\n"));
}

#[test]
fn the_guide_builds_as_a_book() {
    // `.ci/run` installs the mdBook it names in `PEX_RS_TEST_MDBOOK`; else one on PATH.
    let mdbook = std::env::var("PEX_RS_TEST_MDBOOK").unwrap_or_else(|_| "mdbook".to_owned());
    if Command::new(&mdbook).arg("--version").output().is_err() {
        return crate::support::skip("the_guide_builds_as_a_book", "no mdbook here; `.ci/run` installs one");
    }
    let context = TestContext::new();
    let out = context.dir.join("book");
    let output = Command::new(&mdbook)
        .args(["build", repository().join("docs/guide").as_str(), "--dest-dir", out.as_str()])
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let summary = fs_err::read_to_string(repository().join("docs/guide/SUMMARY.md")).unwrap();
    for page in relative_links(&summary) {
        let html = out.join(page.replace(".md", ".html").replace("README.html", "index.html"));
        assert!(html.is_file(), "{html} was not written");
    }
}
