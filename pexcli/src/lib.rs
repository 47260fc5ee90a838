//! `pex-rs`: argument parsing, error rendering and output; every decision is `pexcore`'s.
//!
//! Exit codes: 0 on success, 1 when the input was at fault (arguments, wheels, requirements),
//! 2 on an internal or I/O failure. A closed stdout (`pex-rs info x.pex | head`) exits 0.

use std::io::{self, Write};
use std::process::ExitCode;

use anyhow::Context as _;
use camino::Utf8PathBuf;
use clap::{Args, Parser, Subcommand, ValueEnum};
use pexcore::{BuildOptions, Cache, EntryPoint, ErrorKind, InheritPath, PexInfo, Shebang};

#[derive(Parser)]
#[command(
    name = "pex-rs",
    version,
    about = "Build and inspect PEX files: one executable file with a Python application and its dependencies"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
    /// Print debug logs to stderr.
    #[arg(short, long, global = true)]
    verbose: bool,
}

#[derive(Subcommand)]
enum Command {
    /// Build a PEX file from wheels and source directories.
    Build(BuildArgs),
    /// Show a PEX file's PEX-INFO and distributions (PEX files made by pex too).
    Info(InfoArgs),
    /// Install a PEX into a PEX_ROOT ahead of time (an image build step), bytecode included.
    Extract(ExtractArgs),
}

#[derive(Args)]
struct ExtractArgs {
    /// The PEX file.
    #[arg(value_name = "APP.pex")]
    pex: Utf8PathBuf,
    /// The root to install into [default: `PEX_ROOT`, else ~/.cache/pex-rs].
    #[arg(long, value_name = "DIR")]
    pex_root: Option<Utf8PathBuf>,
    /// The interpreter the PEX will run under (a name on PATH or a path).
    #[arg(long, value_name = "PYTHON", default_value = "python3")]
    python: String,
    /// Skip compiling the bytecode.
    #[arg(long)]
    no_compile: bool,
}

#[derive(Args)]
struct BuildArgs {
    /// Wheel files to bundle; every wheel's requirements must be among them.
    #[arg(value_name = "WHEEL-PATH")]
    wheels: Vec<Utf8PathBuf>,
    /// A directory of sources to put at the root of the PEX (repeatable).
    #[arg(short = 'D', long = "sources-directory", value_name = "DIR")]
    sources: Vec<Utf8PathBuf>,
    /// What the PEX runs: `module` (as `python -m`) or `module:function`.
    #[arg(short = 'e', long = "entry-point", value_name = "MODULE[:FUNCTION]", conflicts_with = "console_script")]
    entry_point: Option<String>,
    /// What the PEX runs: a console script (or wheel script) of a bundled distribution.
    #[arg(short = 'c', long = "console-script", alias = "script", value_name = "CONSOLE-SCRIPT")]
    console_script: Option<String>,
    /// The Python the PEX starts with before it is installed: a name on PATH or a path (a
    /// shebang such as `/usr/bin/env python3.11` is accepted); `python3` and `python` are tried
    /// after it.
    #[arg(long, value_name = "S", default_value = "python3")]
    python_shebang: String,
    /// The interpreter whose environment evaluates requirement markers (a name on PATH or a path).
    #[arg(long, value_name = "PYTHON", default_value = "python3")]
    python: String,
    /// The build cache directory [default: `PEX_RS_CACHE_DIR`, else `PEX_ROOT`, else ~/.cache/pex-rs].
    #[arg(long, value_name = "DIR")]
    cache_dir: Option<Utf8PathBuf>,
    /// Whether the PEX sees the host's site-packages at run time.
    #[arg(long, value_enum, default_value = "false")]
    inherit_path: InheritPathArg,
    /// Leave `PEX_*` variables in the application's environment.
    #[arg(long)]
    no_strip_pex_env: bool,
    /// Where to write the PEX file.
    #[arg(short, long = "output-file", value_name = "OUT.pex")]
    output: Utf8PathBuf,
}

#[derive(Clone, Copy, ValueEnum)]
enum InheritPathArg {
    False,
    Prefer,
    Fallback,
}

#[derive(Args)]
struct InfoArgs {
    /// The PEX file (or a pex `packed`/`loose` directory).
    #[arg(value_name = "FILE.pex")]
    pex: Utf8PathBuf,
    /// Print PEX-INFO as JSON.
    #[arg(long)]
    json: bool,
}

/// Runs `pex-rs` with the process's arguments.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    init_logging(cli.verbose);
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => report(&error),
    }
}

fn init_logging(verbose: bool) {
    let filter = if verbose { "pexcore=debug,pexcli=debug" } else { "warn" };
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::new(filter))
        .with_writer(io::stderr)
        .without_time()
        .init();
}

fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        Command::Build(args) => build(args),
        Command::Info(args) => info(&args),
        Command::Extract(args) => extract(args),
    }
}

fn extract(args: ExtractArgs) -> anyhow::Result<()> {
    let pex_root = if let Some(root) = args.pex_root {
        root
    } else {
        let root = pexcore::pex_root().ok_or(pexcore::Error::NoPexRoot)?;
        Utf8PathBuf::from_path_buf(root)
            .map_err(|root| anyhow::anyhow!("the PEX_ROOT `{}` is not valid UTF-8", root.display()))?
    };
    let options = pexcore::ExtractOptions::new(pex_root)
        .with_python(args.python, std::env::var_os("PATH"))
        .with_cache(Cache::from_env().ok())
        .with_compile(!args.no_compile);
    let report = pexcore::extract_pex(&args.pex, &options)?;
    tracing::debug!("installed {} of {} entries", report.installed.len(), report.entries.len());
    Ok(())
}

fn build(args: BuildArgs) -> anyhow::Result<()> {
    let entry_point = match (&args.entry_point, &args.console_script) {
        (Some(module), _) => Some(EntryPoint::parse_module(module)?),
        (None, Some(script)) => Some(EntryPoint::Script(script.clone())),
        (None, None) => None,
    };
    let cache = match args.cache_dir {
        Some(dir) => Cache::new(dir),
        None => Cache::from_env()?,
    };
    let inherit_path = match args.inherit_path {
        InheritPathArg::False => InheritPath::False,
        InheritPathArg::Prefer => InheritPath::Prefer,
        InheritPathArg::Fallback => InheritPath::Fallback,
    };
    let options = BuildOptions::default()
        .with_wheels(args.wheels)
        .with_source_directories(args.sources)
        .with_entry_point(entry_point)
        .with_shebang(Shebang::new(&args.python_shebang)?)
        .with_python(Some(args.python), std::env::var_os("PATH"))
        .with_cache(Some(cache))
        .with_source_date_epoch(pexcore::source_date_epoch()?)
        .with_inherit_path(inherit_path)
        .with_keep_pex_env(args.no_strip_pex_env);
    let report = pexcore::build_pex(&options, &args.output)?;
    tracing::debug!("wrote `{}`: {} bytes", args.output, report.size);
    Ok(())
}

fn info(args: &InfoArgs) -> anyhow::Result<()> {
    let pex_info = pexcore::inspect_pex(&args.pex)?;
    let mut stdout = io::stdout().lock();
    if args.json {
        let text = serde_json::to_string_pretty(&pex_info.to_value()).context("failed to render PEX-INFO")?;
        writeln!(stdout, "{text}")?;
    } else {
        write_info(&mut stdout, &args.pex, &pex_info)?;
    }
    stdout.flush()?;
    Ok(())
}

fn write_info(out: &mut impl Write, path: &camino::Utf8Path, pex_info: &PexInfo) -> io::Result<()> {
    writeln!(out, "{path}")?;
    let built_by = match (pex_info.build_properties.get("pex_rs_version"), pex_info.build_properties.get("pex_version"))
    {
        (Some(version), _) => format!("pex-rs {}", version.as_str().unwrap_or("?")),
        (None, Some(version)) => format!("pex {}", version.as_str().unwrap_or("?")),
        (None, None) => "unknown".to_owned(),
    };
    writeln!(out, "  built by:     {built_by}")?;
    if let Some(pex_hash) = &pex_info.pex_hash {
        writeln!(out, "  pex hash:     {pex_hash}")?;
    }
    let entry = match (&pex_info.entry_point, &pex_info.script) {
        (Some(entry_point), _) => format!("entry point `{entry_point}`"),
        (None, Some(script)) => format!("script `{script}`"),
        (None, None) => "none (runs as the interpreter)".to_owned(),
    };
    writeln!(out, "  runs:         {entry}")?;
    writeln!(out, "  inherit path: {}", pex_info.inherit_path.as_str())?;
    if !pex_info.interpreter_constraints.is_empty() {
        writeln!(out, "  interpreters: {}", pex_info.interpreter_constraints.join(" or "))?;
    }
    if !pex_info.requirements.is_empty() {
        writeln!(out, "  requirements: {}", pex_info.requirements.join(", "))?;
    }
    writeln!(out, "distributions ({}):", pex_info.distributions.len())?;
    for (wheel, digest) in &pex_info.distributions {
        writeln!(out, "  {wheel}  {digest}")?;
    }
    Ok(())
}

/// Prints `error: ...` with one `caused by:` line per source, and picks the exit code.
fn report(error: &anyhow::Error) -> ExitCode {
    if error
        .chain()
        .any(|cause| cause.downcast_ref::<io::Error>().is_some_and(|io| io.kind() == io::ErrorKind::BrokenPipe))
    {
        return ExitCode::SUCCESS;
    }
    let mut stderr = io::stderr().lock();
    let _ = writeln!(stderr, "error: {error}");
    for cause in error.chain().skip(1) {
        let _ = writeln!(stderr, "  caused by: {cause}");
    }
    let kind = error.chain().find_map(|cause| cause.downcast_ref::<pexcore::Error>()).map(pexcore::Error::kind);
    match kind {
        Some(ErrorKind::Io) => ExitCode::from(2),
        _ => ExitCode::from(1),
    }
}
