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
    Extract(InstallArgs),
    /// Check a PEX's installed files in the PEX_ROOT against the PEX, and repair what differs.
    Verify(InstallArgs),
    /// Install a PEX as a standalone virtual environment (copies, no PEX_ROOT needed).
    Venv(VenvArgs),
    /// Manage the cache and PEX_ROOT.
    #[command(subcommand)]
    Cache(CacheCommand),
}

#[derive(Subcommand)]
enum CacheCommand {
    /// Print the PEX_ROOT directory.
    Dir(RootArgs),
    /// Remove what no PEX has used for a while; waits until no PEX runs from the root.
    Prune {
        #[command(flatten)]
        root: RootArgs,
        /// Remove environments not used for this many days, then the installs nothing uses.
        #[arg(long, value_name = "DAYS", default_value_t = 14.0)]
        older_than: f64,
    },
}

#[derive(Args)]
struct RootArgs {
    /// The PEX_ROOT [default: `PEX_ROOT`, else ~/.cache/pex-rs].
    #[arg(long, value_name = "DIR")]
    pex_root: Option<Utf8PathBuf>,
}

impl RootArgs {
    fn resolve(self) -> anyhow::Result<Utf8PathBuf> {
        if let Some(root) = self.pex_root {
            return Ok(root);
        }
        let root = pexcore::pex_root().ok_or(pexcore::Error::NoPexRoot)?;
        Utf8PathBuf::from_path_buf(root)
            .map_err(|root| anyhow::anyhow!("the PEX_ROOT `{}` is not valid UTF-8", root.display()))
    }
}

#[derive(Args)]
struct VenvArgs {
    /// The PEX file.
    #[arg(value_name = "APP.pex")]
    pex: Utf8PathBuf,
    /// Where to create the virtual environment.
    #[arg(value_name = "DIR")]
    destination: Utf8PathBuf,
    /// What to install: everything, only the dependencies, or only the sources (into a venv
    /// made with `--scope deps`), so an image can keep them in separate layers.
    #[arg(long, value_enum, default_value = "all")]
    scope: ScopeArg,
    #[command(flatten)]
    options: InstallFlags,
}

#[derive(Clone, Copy, ValueEnum)]
enum ScopeArg {
    All,
    Deps,
    Srcs,
}

#[derive(Args)]
struct InstallArgs {
    /// The PEX file.
    #[arg(value_name = "APP.pex")]
    pex: Utf8PathBuf,
    #[command(flatten)]
    options: InstallFlags,
}

#[derive(Args)]
struct InstallFlags {
    #[command(flatten)]
    root: RootArgs,
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
        Command::Verify(args) => verify(args),
        Command::Venv(args) => venv(args),
        Command::Cache(command) => cache(command),
    }
}

fn cache(command: CacheCommand) -> anyhow::Result<()> {
    let mut stdout = io::stdout().lock();
    match command {
        CacheCommand::Dir(root) => writeln!(stdout, "{}", root.resolve()?)?,
        CacheCommand::Prune { root, older_than } => {
            if !(older_than.is_finite() && older_than >= 0.0) {
                anyhow::bail!("`--older-than` must be a number of days, 0 or more; got {older_than}");
            }
            let report =
                pexcore::prune_pex_root(&root.resolve()?, std::time::Duration::from_secs_f64(older_than * 86_400.0))?;
            #[expect(clippy::cast_precision_loss, reason = "a size for people to read")]
            let megabytes = report.bytes as f64 / 1e6;
            writeln!(stdout, "removed {} entries, {megabytes:.1} MB", report.removed.len())?;
        }
    }
    stdout.flush()?;
    Ok(())
}

impl InstallFlags {
    fn resolve(self) -> anyhow::Result<pexcore::InstallOptions> {
        Ok(pexcore::InstallOptions::new(self.root.resolve()?)
            .with_python(self.python, std::env::var_os("PATH"))
            .with_cache(Cache::from_env().ok())
            .with_compile(!self.no_compile))
    }
}

fn extract(args: InstallArgs) -> anyhow::Result<()> {
    let report = pexcore::extract_pex(&args.pex, &args.options.resolve()?)?;
    tracing::debug!("installed {} of {} entries", report.installed.len(), report.entries.len());
    Ok(())
}

fn verify(args: InstallArgs) -> anyhow::Result<()> {
    let lines = pexcore::verify_pex(&args.pex, &args.options.resolve()?)?;
    let mut stdout = io::stdout().lock();
    for line in lines {
        writeln!(stdout, "{line}")?;
    }
    stdout.flush()?;
    Ok(())
}

fn venv(args: VenvArgs) -> anyhow::Result<()> {
    let scope = match args.scope {
        ScopeArg::All => pexcore::VenvScope::All,
        ScopeArg::Deps => pexcore::VenvScope::Dependencies,
        ScopeArg::Srcs => pexcore::VenvScope::Sources,
    };
    pexcore::venv_pex(&args.pex, &args.destination, scope, &args.options.resolve()?)?;
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
