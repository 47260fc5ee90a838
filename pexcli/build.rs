//! Records the commit the command is built from, for `pex-rs --version`: `git rev-parse` at
//! build time, nothing when the source is not a git checkout (a crates.io download).

use std::process::Command;

fn main() {
    let commit = Command::new("git")
        .args(["rev-parse", "--short=12", "HEAD"])
        .output()
        .ok()
        .filter(|output| output.status.success())
        .and_then(|output| String::from_utf8(output.stdout).ok())
        .map(|commit| commit.trim().to_owned())
        .unwrap_or_default();
    println!("cargo:rustc-env=PEX_RS_COMMIT={commit}");
    // A new commit moves HEAD or the branch it names. Only paths that exist: cargo runs this
    // again on every build for one that does not.
    println!("cargo:rerun-if-changed=build.rs");
    for path in ["../.git/HEAD", "../.git/refs/heads", "../.git/packed-refs"] {
        if std::path::Path::new(path).exists() {
            println!("cargo:rerun-if-changed={path}");
        }
    }
}
