//! Builds a PEX from requirements, as `pex-rs build` does, reporting each download.
//!
//! `cargo run -p pexcore --example build -- OUTPUT.pex REQUIREMENT... [-- ENTRY_POINT]`
//!
//! The index is the environment's (`PEX_RS_INDEX_URL`, `PIP_INDEX_URL` or pip's configuration);
//! the interpreter is `python3` on `PATH`.

#![expect(clippy::print_stdout, clippy::print_stderr, reason = "an example program reports on its terminal")]

use std::process::ExitCode;
use std::sync::Arc;

use camino::Utf8Path;
use pexcore::{BuildOptions, Cache, EntryPoint, Environment, Reporter, ResolveOptions};

/// Prints each download as it starts.
struct Downloads;

impl Reporter for Downloads {
    fn download_started(&self, file: &str, size: Option<u64>) {
        eprintln!("downloading {file} ({} bytes)", size.map_or_else(|| "?".to_owned(), |size| size.to_string()));
    }
}

fn build(output: &Utf8Path, requirements: Vec<String>, entry_point: Option<&str>) -> Result<(), pexcore::Error> {
    let mut resolve = ResolveOptions::default();
    resolve.requirements = requirements;
    // The index, pip's configuration and credentials of this process, as the command reads them.
    resolve.environment = Environment::from_process();
    let entry_point = entry_point.map(EntryPoint::parse_module).transpose()?;
    let options = BuildOptions::default()
        .with_resolve(resolve)
        .with_cache(Some(Cache::from_env()?))
        .with_targets(vec!["python3".to_owned()], Vec::new(), Vec::new(), std::env::var_os("PATH"))
        .with_entry_point(entry_point)
        .with_reporter(Arc::new(Downloads));
    let report = pexcore::build_pex(&options, output)?;
    println!("{output}: {} bytes, {} wheels", report.size, report.pex_info.distributions.len());
    Ok(())
}

fn main() -> ExitCode {
    let arguments: Vec<String> = std::env::args().skip(1).collect();
    let (requirements, entry_point) = match arguments.iter().position(|argument| argument == "--") {
        Some(index) => (&arguments[..index], arguments.get(index + 1).map(String::as_str)),
        None => (&arguments[..], None),
    };
    let Some((output, requirements)) = requirements.split_first() else {
        eprintln!("usage: build OUTPUT.pex REQUIREMENT... [-- ENTRY_POINT]");
        return ExitCode::from(2);
    };
    match build(Utf8Path::new(output), requirements.to_vec(), entry_point) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            // The message and its causes, then the hints, as the pex-rs command shows them.
            eprint!("error: {error}");
            let mut source = std::error::Error::source(&error);
            while let Some(cause) = source {
                eprint!(": {cause}");
                source = cause.source();
            }
            eprintln!();
            for hint in error.hints() {
                eprintln!("  hint: {}", hint.text);
            }
            ExitCode::FAILURE
        }
    }
}
