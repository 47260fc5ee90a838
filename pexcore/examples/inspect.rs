//! Reads a PEX's manifest and installs it into a private PEX_ROOT, as its first start would.
//!
//! `cargo run -p pexcore --example inspect -- FILE.pex`

#![expect(clippy::print_stdout, clippy::print_stderr, reason = "an example program reports on its terminal")]

use std::process::ExitCode;

use camino::Utf8PathBuf;
use pexcore::InstallOptions;

fn inspect(pex: &Utf8PathBuf) -> Result<(), Box<dyn std::error::Error>> {
    let info = pexcore::inspect_pex(pex)?;
    println!("pex_hash     {}", info.pex_hash.as_deref().unwrap_or("-"));
    println!("entry point  {}", info.entry_point.as_deref().or(info.script.as_deref()).unwrap_or("(interpreter)"));
    for (wheel, digest) in &info.distributions {
        println!("wheel        {wheel} {digest}");
    }
    let temporary = tempfile::tempdir()?;
    let root = Utf8PathBuf::try_from(temporary.path().to_path_buf())?;
    let options = InstallOptions::new(root.clone()).with_python("python3".to_owned(), std::env::var_os("PATH"));
    let report = pexcore::extract_pex(pex, &options)?;
    println!("installed    {} entries into {root}", report.installed.len());
    Ok(())
}

fn main() -> ExitCode {
    let Some(pex) = std::env::args().nth(1) else {
        eprintln!("usage: inspect FILE.pex");
        return ExitCode::from(2);
    };
    match inspect(&Utf8PathBuf::from(pex)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error}");
            ExitCode::FAILURE
        }
    }
}
