//! The command's references, generated from its clap definitions so that they cannot drift
//! from it: `docs/cli.md` (every subcommand's `--help`) and the man pages in `docs/man/`. A test
//! compares the committed files with what is generated now; `PEX_RS_REGENERATE=1 cargo test -p
//! pexcli reference` rewrites them.

use std::fmt::Write as _;

use clap::CommandFactory as _;

/// The width the references are wrapped to, whatever the terminal.
const WIDTH: usize = 100;

/// The command tree, built (so subcommands know their full names) at the references' width.
fn command() -> clap::Command {
    let mut command = crate::Cli::command().term_width(WIDTH).max_term_width(WIDTH);
    command.build();
    command
}

/// Every command and subcommand, depth first, with its full name (`pex-rs cache prune`).
fn commands(command: &clap::Command, name: &str, into: &mut Vec<(String, clap::Command)>) {
    into.push((name.to_owned(), command.clone()));
    for subcommand in command.get_subcommands().filter(|subcommand| subcommand.get_name() != "help") {
        commands(subcommand, &format!("{name} {}", subcommand.get_name()), into);
    }
}

/// `docs/cli.md`: a section per command, holding its `--help`.
pub(crate) fn markdown() -> String {
    let mut all = Vec::new();
    commands(&command(), "pex-rs", &mut all);
    let mut text = String::from(
        "# The `pex-rs` command\n\nGenerated from the command's own definitions (`pexcli/src/reference.rs`); a \
         test fails when this\nfile is stale. Each section is that command's `--help`.\n\n",
    );
    for (name, _) in &all {
        let anchor = name.replace(' ', "-");
        let _ = writeln!(text, "- [`{name}`](#{anchor})");
    }
    for (name, mut command) in all {
        let help = command.render_long_help().to_string();
        let help: Vec<&str> = help.lines().map(str::trim_end).collect();
        let _ = write!(text, "\n## {name}\n\n```text\n{}\n```\n", help.join("\n").trim_end());
    }
    text
}

/// The man pages: `pex-rs.1`, and `pex-rs-<sub>.1` for each subcommand (`pex-rs-cache-prune.1`).
pub(crate) fn man_pages() -> Vec<(String, Vec<u8>)> {
    let mut all = Vec::new();
    commands(&command(), "pex-rs", &mut all);
    all.into_iter()
        .map(|(name, command)| {
            let file = format!("{}.1", name.replace(' ', "-"));
            let command = command.name(name.replace(' ', "-")).bin_name(name);
            let mut page = Vec::new();
            clap_mangen::Man::new(command).date("").render(&mut page).expect("a man page renders into memory");
            (file, page)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use std::path::{Path, PathBuf};

    fn docs() -> PathBuf {
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../docs")
    }

    /// `path` holds `expected`, or is rewritten to when `PEX_RS_REGENERATE=1`; returns what is
    /// stale.
    fn check(path: &Path, expected: &[u8]) -> Option<String> {
        if std::env::var_os("PEX_RS_REGENERATE").is_some_and(|value| value == "1") {
            fs_err::create_dir_all(path.parent().unwrap()).unwrap();
            fs_err::write(path, expected).unwrap();
            return None;
        }
        (fs_err::read(path).ok().as_deref() != Some(expected)).then(|| path.display().to_string())
    }

    #[test]
    fn ok_committed_references_are_current() {
        let mut stale: Vec<String> = check(&docs().join("cli.md"), super::markdown().as_bytes()).into_iter().collect();
        let pages = super::man_pages();
        for (file, page) in &pages {
            stale.extend(check(&docs().join("man").join(file), page));
        }
        // A page of a command that no longer exists is stale too.
        for entry in fs_err::read_dir(docs().join("man")).unwrap() {
            let name = entry.unwrap().file_name().to_string_lossy().into_owned();
            if !pages.iter().any(|(file, _)| *file == name) {
                stale.push(format!("docs/man/{name} (no such command)"));
            }
        }
        assert!(
            stale.is_empty(),
            "stale: {}; regenerate with `PEX_RS_REGENERATE=1 cargo test -p pexcli reference` and commit the result",
            stale.join(", ")
        );
    }
}
