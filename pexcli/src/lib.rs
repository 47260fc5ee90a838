//! `pex-rs`: argument parsing, error rendering and output; every decision is `pexcore`'s.
//!
//! Exit codes: 0 on success, 1 when the input was at fault (arguments, wheels, requirements),
//! 2 when the environment failed (the file system, the network, a lock held too long). A closed
//! stdout (`pex-rs info x.pex | head`) exits 0.

mod progress;
#[cfg(test)]
mod reference;

use std::io::{self, Write};
use std::process::ExitCode;

use anyhow::Context as _;
use camino::Utf8PathBuf;
use clap::{Args, CommandFactory as _, FromArgMatches as _, Parser, Subcommand, ValueEnum};
use pexcore::{BuildOptions, Cache, EntryPoint, ErrorKind, InheritPath, PexInfo, ResolveOptions, Shebang};

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
    /// Build a PEX file from requirements, wheels and source directories.
    Build(BuildArgs),
    /// Resolve requirements and print the chosen versions (`name==version`, one per line).
    Resolve(ResolveFlags),
    /// Resolve requirements and write a PEP 751 lock file (`pylock.toml`) for the targets.
    Lock(LockArgs),
    /// Copy the wheels and sdists a build needs (from a lock, or resolved) into a directory,
    /// for `--find-links DIR --no-index` builds without a network.
    Download(DownloadArgs),
    /// Describe an interpreter; `--complete-platform` prints it for `build --complete-platform`.
    Interpreter(InterpreterArgs),
    /// Show a PEX file's PEX-INFO and distributions (PEX files made by pex too).
    Info(InfoArgs),
    /// Install a PEX into a PEX_ROOT ahead of time (an image build step), bytecode included.
    Extract(InstallArgs),
    /// Check a PEX's installed files in the PEX_ROOT against the PEX, and repair what differs.
    Verify(InstallArgs),
    /// Install a PEX as a standalone virtual environment (copies, no PEX_ROOT needed).
    Venv(VenvArgs),
    /// Run requirements' entry point, or a Python with them, from a PEX kept in the cache for
    /// these inputs (as `uvx` and `pipx run` do): `pex-rs run black -c black -- --check .`.
    Run(RunArgs),
    /// Manage the cache and PEX_ROOT.
    #[command(subcommand)]
    Cache(CacheCommand),
    /// Print the completion script for a shell (`pex-rs completions bash > /etc/bash_completion.d/pex-rs`).
    Completions {
        /// The shell.
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
}

#[derive(Subcommand)]
enum CacheCommand {
    /// Print the build cache directory.
    Dir(CacheArgs),
    /// Show the size of each part of the build cache.
    Info(CacheArgs),
    /// Remove the build cache (downloads, index pages, metadata, probes); PEX installs stay.
    Clear(CacheArgs),
    /// Remove what was not used for a while: build cache entries, then PEX_ROOT environments
    /// and the installs nothing uses (waits until no PEX runs from the root).
    Prune {
        #[command(flatten)]
        cache: CacheArgs,
        #[command(flatten)]
        root: RootArgs,
        /// Remove what was not used for this many days.
        #[arg(long, value_name = "DAYS", default_value_t = 14.0)]
        older_than: f64,
        /// How long to wait for running PEX files and builds to finish before giving up.
        #[arg(long, value_name = "SECONDS", default_value_t = 60.0)]
        wait: f64,
        /// Give up at once if a PEX runs from the root or a build uses the cache.
        #[arg(long, conflicts_with = "wait")]
        no_wait: bool,
    },
}

#[derive(Args)]
struct CacheArgs {
    /// The build cache directory [default: `PEX_RS_CACHE_DIR`, else `PEX_ROOT`, else ~/.cache/pex-rs].
    #[arg(long, value_name = "DIR")]
    cache_dir: Option<Utf8PathBuf>,
}

impl CacheArgs {
    fn resolve(self) -> anyhow::Result<Cache> {
        Ok(match self.cache_dir {
            Some(dir) => Cache::new(dir),
            None => Cache::from_env()?,
        })
    }
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
        Utf8PathBuf::from_path_buf(root).map_err(|root| {
            refuse(format!("the PEX_ROOT `{}` is not valid UTF-8", root.display()), "choose another with `--pex-root`")
        })
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

/// What to resolve and where: pip's flags of the same names.
#[derive(Args)]
#[expect(clippy::struct_excessive_bools, reason = "pip's flags, one field each")]
struct ResolveFlags {
    /// Requirements (`requests>=2`, `name @ URL`), project directories (`.`, `./app[extra]`),
    /// source archives and wheel files. Wheel files alone are used as they are when they
    /// satisfy each other; what they miss is resolved from the index.
    #[arg(value_name = "REQUIREMENT-OR-PATH")]
    requirements: Vec<String>,
    /// A requirements file in pip's format (repeatable).
    #[arg(short = 'r', long = "requirement", value_name = "FILE")]
    requirement_files: Vec<Utf8PathBuf>,
    /// A constraints file in pip's format: versions to keep to, not requirements (repeatable).
    #[arg(long = "constraint", visible_alias = "constraints", value_name = "FILE")]
    constraint_files: Vec<Utf8PathBuf>,
    /// The package index [default: `PEX_RS_INDEX_URL`, `PIP_INDEX_URL`, pip's configuration,
    /// else the default of the interpreter's pip].
    #[arg(short = 'i', long, value_name = "URL")]
    index_url: Option<String>,
    /// More indexes; a project comes from the first index that has it (repeatable) [also:
    /// `PIP_EXTRA_INDEX_URL` and pip's configuration, after these].
    #[arg(long, value_name = "URL")]
    extra_index_url: Vec<String>,
    /// A directory of wheels, or a page that links to wheels (repeatable).
    #[arg(short = 'f', long, value_name = "DIR-OR-URL")]
    find_links: Vec<String>,
    /// Ask no index: only `--find-links` and the given wheels.
    #[arg(long)]
    no_index: bool,
    /// Allow pre-releases.
    #[arg(long)]
    pre: bool,
    /// pip's hash-checking mode: every wheel and sdist must be pinned by a `--hash` in the
    /// requirements (a lock pins every file anyway).
    #[arg(long)]
    require_hashes: bool,
    /// Take only the named requirements and wheels, none of their dependencies.
    #[arg(long = "no-transitive", visible_alias = "intransitive")]
    no_transitive: bool,
    /// Use only what the cache holds; fail naming anything missing.
    #[arg(long)]
    offline: bool,
    /// Revalidate every cached index page.
    #[arg(long)]
    refresh: bool,
    /// A PEM bundle of certificates to trust instead of the system store [default: the system
    /// store]. Index credentials come from the index URL or from `NETRC` (default `~/.netrc`).
    #[arg(long, value_name = "PATH")]
    cert: Option<Utf8PathBuf>,
    /// Seconds without progress before a request fails.
    #[arg(long, value_name = "SECONDS", default_value_t = 15.0)]
    timeout: f64,
    /// How many times a failed request is tried again.
    #[arg(long, value_name = "N", default_value_t = 5)]
    retries: u32,
    /// An interpreter to resolve for (a name on PATH or a path; repeatable: the PEX gets the
    /// wheels of each) [default: python3, or those `--interpreter-constraint` admits].
    #[arg(long, value_name = "PYTHON")]
    python: Vec<String>,
    /// A platform to resolve for without its interpreter, in pex's form
    /// PLATFORM-IMPL-VERSION-ABI, e.g. `manylinux2014_x86_64-cp-311-cp311` (repeatable).
    #[arg(long, value_name = "PLATFORM")]
    platform: Vec<String>,
    /// A platform captured with `pex-rs interpreter --complete-platform` (repeatable).
    #[arg(long, value_name = "FILE")]
    complete_platform: Vec<Utf8PathBuf>,
    /// Interpreters the PEX may run under, e.g. `CPython>=3.9,<3.14` (repeatable, OR-ed).
    /// Recorded in the PEX; with no other target, each matching interpreter on PATH is one.
    #[arg(long, value_name = "SPEC")]
    interpreter_constraint: Vec<String>,
    /// The build cache directory [default: `PEX_RS_CACHE_DIR`, else `PEX_ROOT`, else ~/.cache/pex-rs]
    /// (`--pex-root`, pex's spelling, means the same).
    #[arg(long, visible_alias = "pex-root", value_name = "DIR")]
    cache_dir: Option<Utf8PathBuf>,
    /// Take every distribution from this lock file (PEP 751 `pylock.toml`, or a pex JSON lock)
    /// instead of resolving: no index is asked. Requirements, if given, pick a subset of it.
    #[arg(long, value_name = "FILE")]
    lock: Option<Utf8PathBuf>,
    /// With `--lock`: also take the lock's packages for this extra (repeatable). With `pex-rs
    /// lock`: lock this extra of the local project too.
    #[arg(long, value_name = "NAME")]
    extra: Vec<String>,
    /// With `--lock`: take the lock's packages for this dependency group (repeatable) [default:
    /// the lock's default groups]. With `pex-rs lock`: lock this group of the project's
    /// `pyproject.toml` (PEP 735) too.
    #[arg(long, value_name = "NAME")]
    group: Vec<String>,
    #[command(flatten)]
    source: SourceFlags,
}

/// How distributions are built from source: pip's flags of the same names.
#[derive(Args)]
struct SourceFlags {
    /// Build nothing from source: wheels only (local projects and sdists are errors).
    #[arg(long, help_heading = "Source builds")]
    no_build: bool,
    /// Build these projects from source instead of taking wheels: names (comma-separated),
    /// `:all:` or `:none:` (repeatable; applied in order with `--only-binary`, as pip does).
    #[arg(long, value_name = "NAMES", help_heading = "Source builds")]
    no_binary: Vec<String>,
    /// Never build these projects from source: names (comma-separated), `:all:` or `:none:`
    /// (repeatable).
    #[arg(long, value_name = "NAMES", help_heading = "Source builds")]
    only_binary: Vec<String>,
    /// Prefer an older version with a wheel to a newer one that would need a build.
    #[arg(long, help_heading = "Source builds")]
    prefer_binary: bool,
    /// Build in the interpreter's own environment, with what is installed there, instead of a
    /// fresh one holding the project's build requirements.
    #[arg(long, help_heading = "Source builds")]
    no_build_isolation: bool,
    /// A setting passed to every build backend (`KEY=VALUE`, repeatable; a repeated key passes
    /// a list).
    #[arg(short = 'C', long = "config-settings", value_name = "KEY=VALUE", help_heading = "Source builds")]
    config_settings: Vec<String>,
    /// A constraints file for what builds require (pip's format; repeatable).
    #[arg(
        long = "build-constraint",
        visible_alias = "build-constraints",
        value_name = "FILE",
        help_heading = "Source builds"
    )]
    build_constraints: Vec<Utf8PathBuf>,
}

impl ResolveFlags {
    /// Splits the positional arguments into wheel files and requirements, and builds the
    /// options shared by `build` and `resolve`.
    fn into_options(self, binary_options: Vec<pexcore::BinaryOption>) -> anyhow::Result<BuildOptions> {
        if !(self.timeout.is_finite() && self.timeout > 0.0) {
            return Err(refuse(
                format!("`--timeout` must be a positive number of seconds; got {}", self.timeout),
                "give `--timeout 15`, say",
            ));
        }
        let (wheels, requirements): (Vec<String>, Vec<String>) =
            self.requirements.into_iter().partition(|argument| is_wheel_path(argument));
        let mut resolve = ResolveOptions::default();
        // The command reads what pip would: the index, its configuration and credentials.
        resolve.environment = pexcore::Environment::from_process();
        resolve.requirements = requirements;
        resolve.requirement_files = self.requirement_files;
        resolve.constraint_files = self.constraint_files;
        resolve.index_url = self.index_url;
        resolve.extra_index_urls = self.extra_index_url;
        resolve.find_links = self.find_links;
        resolve.no_index = self.no_index;
        resolve.pre = self.pre;
        resolve.require_hashes = self.require_hashes;
        resolve.no_transitive = self.no_transitive;
        resolve.offline = self.offline;
        resolve.refresh = self.refresh;
        resolve.network.cert = self.cert;
        resolve.network.timeout = std::time::Duration::from_secs_f64(self.timeout);
        resolve.network.retries = self.retries;
        resolve.no_build = self.source.no_build;
        resolve.binary_options = binary_options;
        resolve.prefer_binary = self.source.prefer_binary;
        resolve.no_build_isolation = self.source.no_build_isolation;
        resolve.config_settings = self.source.config_settings;
        resolve.build_constraint_files = self.source.build_constraints;
        if self.lock.is_none() && (!self.extra.is_empty() || !self.group.is_empty()) {
            return Err(refuse(
                "`--extra` and `--group` choose from a lock file, and none was given",
                "give `--lock FILE` (lock the extras and groups with `pex-rs lock`)",
            ));
        }
        resolve.lock = self.lock;
        resolve.lock_extras = self.extra;
        resolve.lock_groups = self.group;
        let cache = match self.cache_dir {
            Some(dir) => Cache::new(dir),
            None => Cache::from_env()?,
        };
        let constraints = self
            .interpreter_constraint
            .iter()
            .map(|text| text.parse::<pexcore::InterpreterConstraint>())
            .collect::<Result<Vec<_>, _>>()?;
        Ok(BuildOptions::default()
            .with_wheels(wheels.into_iter().map(Utf8PathBuf::from).collect())
            .with_resolve(resolve)
            .with_targets(self.python, self.platform, self.complete_platform, std::env::var_os("PATH"))
            .with_interpreter_constraints(constraints)
            .with_source_date_epoch(pexcore::source_date_epoch()?)
            .with_cache(Some(cache)))
    }
}

/// A local file (meant to be a wheel), as opposed to a requirement (`name @ URL`, URLs, project
/// directories and source archives are requirements); an existing file that is neither a wheel
/// nor a source archive is refused as a wheel, by name.
fn is_wheel_path(argument: &str) -> bool {
    const ARCHIVES: [&str; 4] = [".tar.gz", ".tgz", ".tar", ".zip"];
    let lowercase = argument.to_ascii_lowercase();
    if std::path::Path::new(argument).is_file() {
        return !ARCHIVES.iter().any(|extension| lowercase.ends_with(extension));
    }
    std::path::Path::new(argument).extension().is_some_and(|extension| extension.eq_ignore_ascii_case("whl"))
        && !argument.contains("://")
        && !argument.contains('@')
}

#[derive(Args)]
struct BuildArgs {
    #[command(flatten)]
    resolve: ResolveFlags,
    /// A directory of sources to put at the root of the PEX (repeatable).
    #[arg(short = 'D', long = "sources-directory", value_name = "DIR")]
    sources: Vec<Utf8PathBuf>,
    #[command(flatten)]
    entry: EntryArgs,
    /// The Python the PEX starts with before it is installed: a name on PATH or a path (a
    /// shebang such as `/usr/bin/env python3.11` is accepted); `python3` and `python` are tried
    /// after it [default: the most specific name that fits every target, e.g. `python3.11`].
    #[arg(long, value_name = "S")]
    python_shebang: Option<String>,
    /// Whether the PEX sees the host's site-packages at run time.
    #[arg(long, value_enum, default_value = "false")]
    inherit_path: InheritPathArg,
    /// Leave `PEX_*` variables in the application's environment.
    #[arg(long)]
    no_strip_pex_env: bool,
    /// Leave out the bytecode (`.pyc` files) that a PEX carries for each target interpreter:
    /// a smaller file and a faster first build, but every first start compiles what it imports.
    #[arg(long)]
    no_compile: bool,
    /// Where to write the PEX file.
    #[arg(short, long = "output-file", value_name = "OUT.pex")]
    output: Utf8PathBuf,
    /// Also write a make depfile here: the PEX depends on every requirements, constraints and
    /// lock file, local wheel and source file that went into it.
    #[arg(long, value_name = "FILE")]
    depfile: Option<Utf8PathBuf>,
    #[command(flatten)]
    pex_flags: PexFlags,
}

/// pex's flags that a build script may carry: those whose meaning pex-rs always has are
/// accepted (with a note), the others refused with one line saying what pex-rs does instead.
#[derive(Args)]
#[expect(clippy::struct_excessive_bools, reason = "pex's flags, one field each")]
struct PexFlags {
    /// pex: run from a virtual environment. pex-rs always does; accepted and ignored.
    #[arg(long, help_heading = "pex's flags", value_name = "prepend|append", num_args = 0..=1, default_missing_value = "")]
    venv: Option<String>,
    /// pex: the file layout. `zipapp` is pex-rs's only layout; `packed` and `loose` are refused.
    #[arg(long, help_heading = "pex's flags", value_name = "zipapp|packed|loose")]
    layout: Option<String>,
    /// pex: boot through a `/bin/sh` header. pex-rs always does; accepted and ignored.
    #[arg(long, help_heading = "pex's flags")]
    sh_boot: bool,
    /// pex: compile bytecode. pex-rs does unless `--no-compile`; accepted and ignored.
    #[arg(long, help_heading = "pex's flags", conflicts_with = "no_compile")]
    compile: bool,
    /// pex: store members uncompressed. Refused: pex-rs copies wheel members as they are.
    #[arg(long, help_heading = "pex's flags")]
    no_compress: bool,
    /// pex: build a scie (a native executable with its own interpreter). Refused.
    #[arg(long, help_heading = "pex's flags", value_name = "lazy|eager", num_args = 0..=1, default_missing_value = "")]
    scie: Option<String>,
    /// pex: put the `pex-tools` in the PEX. Refused: `pex-rs info`, `venv` and `extract` work
    /// on any PEX from outside it.
    #[arg(long, help_heading = "pex's flags")]
    include_tools: bool,
}

impl PexFlags {
    /// Notes for the flags that change nothing, or the one line for the first that is refused.
    fn check(&self) -> anyhow::Result<Vec<&'static str>> {
        if self.no_compress {
            return Err(refuse(
                "`--no-compress` is pex's; pex-rs copies each wheel member as the wheel compressed it, so a PEX \
                 costs no recompression to build",
                "drop the flag",
            ));
        }
        if self.scie.is_some() {
            return Err(refuse(
                "`--scie` is pex's; pex-rs builds PEX files only",
                "ship the PEX with an interpreter (a container image, or `--python-shebang` naming one), or build \
                 the scie with pex",
            ));
        }
        if self.include_tools {
            return Err(refuse(
                "`--include-tools` is pex's; pex-rs needs no tools inside the PEX: `pex-rs info`, `pex-rs venv` and \
                 `pex-rs extract` do their work on any PEX from outside it",
                "drop the flag",
            ));
        }
        match self.layout.as_deref() {
            None | Some("zipapp") => {}
            Some(layout) => {
                return Err(refuse(
                    format!("`--layout {layout}`: pex-rs writes one file (pex's `zipapp` layout)"),
                    "for a directory of the application, build the PEX and run `pex-rs venv APP.pex DIR`",
                ));
            }
        }
        let mut notes = Vec::new();
        if self.venv.is_some() {
            notes.push("`--venv`: a PEX built by pex-rs always runs from a virtual environment");
        }
        if self.sh_boot {
            notes.push("`--sh-boot`: a PEX built by pex-rs always starts through its sh header");
        }
        if self.compile {
            notes.push("`--compile`: pex-rs compiles bytecode unless `--no-compile`");
        }
        Ok(notes)
    }
}

/// What a PEX runs, for `build` and `run`.
#[derive(Args)]
struct EntryArgs {
    /// What the PEX runs: `module` (as `python -m`) or `module:function` [default: a Python
    /// with the requirements importable].
    #[arg(
        short = 'e',
        visible_short_alias = 'm',
        long = "entry-point",
        value_name = "MODULE[:FUNCTION]",
        conflicts_with = "console_script"
    )]
    entry_point: Option<String>,
    /// What the PEX runs: a console script (or wheel script) of a bundled distribution.
    #[arg(short = 'c', long = "console-script", visible_alias = "script", value_name = "CONSOLE-SCRIPT")]
    console_script: Option<String>,
}

impl EntryArgs {
    fn entry_point(&self) -> anyhow::Result<Option<EntryPoint>> {
        Ok(match (&self.entry_point, &self.console_script) {
            (Some(module), _) => Some(EntryPoint::parse_module(module)?),
            (None, Some(script)) => Some(EntryPoint::Script(script.clone())),
            (None, None) => None,
        })
    }
}

#[derive(Args)]
struct RunArgs {
    #[command(flatten)]
    resolve: ResolveFlags,
    #[command(flatten)]
    entry: EntryArgs,
    /// Reuse the PEX built for the same inputs for this many hours; after that (or with
    /// `--refresh`) the requirements are resolved again.
    #[arg(long, value_name = "HOURS", default_value_t = 24.0)]
    max_age: f64,
    /// The arguments of what runs, after `--`.
    #[arg(last = true, value_name = "ARGS")]
    args: Vec<String>,
}

#[derive(Args)]
struct LockArgs {
    #[command(flatten)]
    resolve: ResolveFlags,
    /// Where to write the lock; its versions are kept where they still fit the requirements.
    #[arg(short, long = "output-file", value_name = "FILE", default_value = "pylock.toml")]
    output: Utf8PathBuf,
    /// One lock for every CPython (3.8 and later, or what `--interpreter-constraint` admits) on
    /// Linux, macOS and Windows, instead of the named targets.
    #[arg(long, conflicts_with_all = ["python", "platform", "complete_platform"])]
    universal: bool,
    /// Resolve every project afresh, keeping none of the lock's versions.
    #[arg(short = 'U', long)]
    upgrade: bool,
    /// Resolve this project afresh, keeping every other version of the lock (repeatable).
    #[arg(short = 'P', long = "upgrade-package", value_name = "NAME")]
    upgrade_packages: Vec<String>,
    /// Write nothing; exit 1, listing the differences, when the lock no longer matches the
    /// requirements (for CI).
    #[arg(long)]
    check: bool,
}

#[derive(Args)]
struct DownloadArgs {
    #[command(flatten)]
    resolve: ResolveFlags,
    /// The directory to copy the files into (created if need be).
    #[arg(short, long = "dest", value_name = "DIR")]
    dest: Utf8PathBuf,
}

#[derive(Clone, Copy, ValueEnum)]
enum InheritPathArg {
    False,
    Prefer,
    Fallback,
}

#[derive(Args)]
struct InterpreterArgs {
    /// The interpreter (a name on PATH or a path).
    #[arg(long, value_name = "PYTHON", default_value = "python3")]
    python: String,
    /// Print its complete platform (marker environment and compatible tags) as JSON.
    #[arg(long)]
    complete_platform: bool,
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
    let matches = Cli::command().version(version()).get_matches();
    let cli = Cli::from_arg_matches(&matches).unwrap_or_else(|error| error.exit());
    // pip applies `--no-binary` and `--only-binary` in the order given; clap keeps each
    // option's values apart, and their positions on the command line.
    let binary_options = matches.subcommand().map(|(_, command)| binary_options(command)).unwrap_or_default();
    init_logging(cli.verbose);
    match run(cli, binary_options) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => report(&error),
    }
}

/// The version, and the commit it was built from when the build knew it.
fn version() -> String {
    match env!("PEX_RS_COMMIT") {
        "" => env!("CARGO_PKG_VERSION").to_owned(),
        commit => format!("{} (commit {commit})", env!("CARGO_PKG_VERSION")),
    }
}

fn init_logging(verbose: bool) {
    use std::io::IsTerminal as _;
    let filter = if verbose { "pexcore=debug,pexcli=debug" } else { "warn" };
    let builder = tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::new(filter))
        .with_writer(io::stderr)
        .with_ansi(io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none());
    // Debug logs carry the time and module (to see where a build spends it); warnings are
    // for users, who need neither.
    if verbose {
        builder.with_timer(tracing_subscriber::fmt::time::uptime()).init();
    } else {
        builder.without_time().with_target(false).init();
    }
}

/// The `--no-binary` and `--only-binary` values of a command, in command line order.
fn binary_options(matches: &clap::ArgMatches) -> Vec<pexcore::BinaryOption> {
    let mut options: Vec<(usize, pexcore::BinaryOption)> = Vec::new();
    for (id, make) in [
        ("no_binary", pexcore::BinaryOption::NoBinary as fn(String) -> pexcore::BinaryOption),
        ("only_binary", pexcore::BinaryOption::OnlyBinary),
    ] {
        let Ok(Some(values)) = matches.try_get_many::<String>(id) else { continue };
        let Some(indices) = matches.indices_of(id) else { continue };
        options.extend(indices.zip(values).map(|(index, value)| (index, make(value.clone()))));
    }
    options.sort_by_key(|(index, _)| *index);
    options.into_iter().map(|(_, option)| option).collect()
}

fn run(cli: Cli, binary_options: Vec<pexcore::BinaryOption>) -> anyhow::Result<()> {
    match cli.command {
        Command::Build(args) => build(args, binary_options, cli.verbose),
        Command::Resolve(flags) => resolve(flags, binary_options, cli.verbose),
        Command::Lock(args) => lock(args, binary_options, cli.verbose),
        Command::Download(args) => download(args, binary_options, cli.verbose),
        Command::Interpreter(args) => interpreter(&args),
        Command::Info(args) => info(&args),
        Command::Extract(args) => extract(args),
        Command::Verify(args) => verify(args),
        Command::Venv(args) => venv(args),
        Command::Run(args) => run_pex(args, binary_options, cli.verbose),
        Command::Cache(command) => cache(command),
        Command::Completions { shell } => {
            clap_complete::generate(shell, &mut Cli::command(), "pex-rs", &mut io::stdout().lock());
            Ok(())
        }
    }
}

fn cache(command: CacheCommand) -> anyhow::Result<()> {
    let mut stdout = io::stdout().lock();
    #[expect(clippy::cast_precision_loss, reason = "a size for people to read")]
    let megabytes = |bytes: u64| bytes as f64 / 1e6;
    match command {
        CacheCommand::Dir(cache) => writeln!(stdout, "{}", cache.resolve()?.root())?,
        CacheCommand::Info(cache) => {
            let cache = cache.resolve()?;
            writeln!(stdout, "{}", cache.root())?;
            for usage in cache.usage() {
                writeln!(
                    stdout,
                    "  {:<20} {:>7} entries {:>10.1} MB",
                    usage.name,
                    usage.entries,
                    megabytes(usage.bytes)
                )?;
            }
        }
        CacheCommand::Clear(cache) => {
            let freed = cache.resolve()?.clear()?;
            writeln!(stdout, "removed {:.1} MB", megabytes(freed))?;
        }
        CacheCommand::Prune { cache, root, older_than, wait, no_wait } => {
            if !(older_than.is_finite() && older_than >= 0.0) {
                return Err(refuse(
                    format!("`--older-than` must be a number of days, 0 or more; got {older_than}"),
                    "give `--older-than 14`, say",
                ));
            }
            if !(wait.is_finite() && wait >= 0.0) {
                return Err(refuse(
                    format!("`--wait` must be a number of seconds, 0 or more; got {wait}"),
                    "give `--wait 60`, say, or `--no-wait`",
                ));
            }
            let older_than = std::time::Duration::from_secs_f64(older_than * 86_400.0);
            let wait = if no_wait { std::time::Duration::ZERO } else { std::time::Duration::from_secs_f64(wait) };
            let report = pexcore::prune_pex_root(&root.resolve()?, older_than, wait)?;
            writeln!(stdout, "removed {} entries, {:.1} MB", report.removed.len(), megabytes(report.bytes))?;
            let (cache_entries, cache_bytes) = cache.resolve()?.prune(older_than, wait)?;
            writeln!(stdout, "removed {cache_entries} build cache entries, {:.1} MB", megabytes(cache_bytes))?;
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

fn build(args: BuildArgs, binary_options: Vec<pexcore::BinaryOption>, verbose: bool) -> anyhow::Result<()> {
    for note in args.pex_flags.check()? {
        let _ = writeln!(io::stderr(), "note: {note}; the flag changes nothing");
    }
    let entry_point = args.entry.entry_point()?;
    let inherit_path = match args.inherit_path {
        InheritPathArg::False => InheritPath::False,
        InheritPathArg::Prefer => InheritPath::Prefer,
        InheritPathArg::Fallback => InheritPath::Fallback,
    };
    let options = args
        .resolve
        .into_options(binary_options)?
        .with_source_directories(args.sources)
        .with_entry_point(entry_point)
        .with_shebang(args.python_shebang.as_deref().map(Shebang::new).transpose()?)
        .with_reporter(progress::Bars::for_terminal(verbose))
        .with_inherit_path(inherit_path)
        .with_keep_pex_env(args.no_strip_pex_env)
        .with_compile(!args.no_compile)
        .with_depfile(args.depfile);
    let report = pexcore::build_pex(&options, &args.output)?;
    tracing::debug!("wrote `{}`: {} bytes", args.output, report.size);
    Ok(())
}

/// `pex-rs run`: the PEX of these inputs from the cache (built when missing or stale), then
/// that PEX in place of this process, with the arguments after `--`.
fn run_pex(args: RunArgs, binary_options: Vec<pexcore::BinaryOption>, verbose: bool) -> anyhow::Result<()> {
    use std::os::unix::process::CommandExt as _;
    let entry_point = args.entry.entry_point()?;
    // The words that choose what is built: everything before `--`, but the flags that only say
    // when to build again.
    let mut words = Vec::new();
    let mut given = std::env::args().skip(1).take_while(|word| word != "--");
    while let Some(word) = given.next() {
        match word.as_str() {
            "--refresh" => {}
            "--max-age" => drop(given.next()),
            _ if word.starts_with("--max-age=") => {}
            _ => words.push(word),
        }
    }
    if args.resolve.requirements.is_empty() && args.resolve.requirement_files.is_empty() && args.resolve.lock.is_none()
    {
        return Err(refuse(
            "nothing to run",
            "give requirements (`pex-rs run black -c black -- --check .`), `-r FILE` or `--lock FILE`",
        ));
    }
    let refresh = args.resolve.refresh;
    let max_age = std::time::Duration::from_secs_f64(args.max_age.max(0.0) * 3600.0);
    let options = args
        .resolve
        .into_options(binary_options)?
        .with_entry_point(entry_point)
        .with_reporter(progress::Bars::for_terminal(verbose));
    let prepared = pexcore::prepare_run(&options, &words, refresh, max_age)?;
    tracing::debug!("{} `{}`", if prepared.built { "built" } else { "reusing" }, prepared.pex);
    // As the PEX's sh header would, without starting the shell: the environment's python on its
    // runner when it is complete, else the PEX itself.
    let error = match &prepared.warm {
        Some(warm) => {
            std::process::Command::new(&warm.python).arg(&warm.runner).arg(&prepared.pex).args(&args.args).exec()
        }
        None => std::process::Command::new(prepared.pex.as_std_path()).args(&args.args).exec(),
    };
    Err(anyhow::Error::new(error).context(format!("failed to run `{}`", prepared.pex)))
}

fn resolve(flags: ResolveFlags, binary_options: Vec<pexcore::BinaryOption>, verbose: bool) -> anyhow::Result<()> {
    let options = flags.into_options(binary_options)?.with_reporter(progress::Bars::for_terminal(verbose));
    let pins = pexcore::resolve_requirements(&options)?;
    let mut stdout = io::stdout().lock();
    for pin in pins {
        writeln!(stdout, "{}=={}", pin.name, pin.version)?;
    }
    stdout.flush()?;
    Ok(())
}

fn lock(mut args: LockArgs, binary_options: Vec<pexcore::BinaryOption>, verbose: bool) -> anyhow::Result<()> {
    if args.resolve.lock.is_some() {
        return Err(refuse(
            "`pex-rs lock` reads the lock it updates from `--output-file`; `--lock` is for `build` and `download`",
            "drop `--lock`, and name the lock with `--output-file`",
        ));
    }
    if args.check && !args.output.exists() {
        return Err(refuse(
            format!("`{}` does not exist, so there is nothing to check", args.output),
            "write it with `pex-rs lock` first",
        ));
    }
    let (extras, groups) = (std::mem::take(&mut args.resolve.extra), std::mem::take(&mut args.resolve.group));
    let options = args.resolve.into_options(binary_options)?.with_reporter(progress::Bars::for_terminal(verbose));
    let lock_options = pexcore::LockOptions::new(args.output.clone())
        .with_extras(extras)
        .with_groups(groups)
        .with_universal(args.universal)
        .with_upgrade(args.upgrade)
        .with_upgrade_packages(args.upgrade_packages)
        .with_check(args.check);
    let report = pexcore::lock_requirements(&options, &lock_options)?;
    let mut stderr = io::stderr().lock();
    for change in &report.changes {
        writeln!(stderr, "{change}")?;
    }
    if args.check {
        if !report.changes.is_empty() {
            writeln!(stderr, "`{}` is out of date: lock again with `pex-rs lock`", args.output)?;
            return Err(CheckFailed.into());
        }
        writeln!(stderr, "`{}` is up to date ({} packages)", args.output, report.packages)?;
    } else if report.written {
        writeln!(stderr, "wrote `{}` ({} packages)", args.output, report.packages)?;
    } else {
        writeln!(stderr, "`{}` is up to date ({} packages)", args.output, report.packages)?;
    }
    Ok(())
}

/// A command line the CLI itself refuses: what is wrong, and the fix as a `hint:` line.
#[derive(Debug)]
struct Refusal {
    message: String,
    hint: String,
}

/// Refuses the command line with `message`, and `hint` as its fix.
fn refuse(message: impl Into<String>, hint: impl Into<String>) -> anyhow::Error {
    anyhow::Error::new(Refusal { message: message.into(), hint: hint.into() })
}

impl std::fmt::Display for Refusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Refusal {}

/// `lock --check` found differences: exit 1 without another message.
#[derive(Debug)]
struct CheckFailed;

impl std::fmt::Display for CheckFailed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("the lock is out of date")
    }
}

impl std::error::Error for CheckFailed {}

fn download(args: DownloadArgs, binary_options: Vec<pexcore::BinaryOption>, verbose: bool) -> anyhow::Result<()> {
    let options = args.resolve.into_options(binary_options)?.with_reporter(progress::Bars::for_terminal(verbose));
    let files = pexcore::download_distributions(&options, &args.dest)?;
    let mut stdout = io::stdout().lock();
    for file in files {
        writeln!(stdout, "{file}")?;
    }
    stdout.flush()?;
    Ok(())
}

fn interpreter(args: &InterpreterArgs) -> anyhow::Result<()> {
    let cache = Cache::from_env().ok();
    let search_path = std::env::var_os("PATH");
    let text = pexcore::complete_platform(&args.python, search_path.as_deref(), cache.as_ref())?;
    let mut stdout = io::stdout().lock();
    if args.complete_platform {
        writeln!(stdout, "{text}")?;
    } else {
        let value: serde_json::Value =
            serde_json::from_str(&text).context("failed to read the interpreter's platform")?;
        let markers = &value["marker_environment"];
        let text = |key: &str| markers[key].as_str().unwrap_or_default().to_owned();
        writeln!(stdout, "{}", args.python)?;
        writeln!(stdout, "  version:  {} {}", text("platform_python_implementation"), text("python_full_version"))?;
        writeln!(stdout, "  platform: {} {}", text("sys_platform"), text("platform_machine"))?;
        let tags = value["compatible_tags"].as_array().map(Vec::len).unwrap_or_default();
        let best = value["compatible_tags"][0].as_str().unwrap_or_default();
        writeln!(stdout, "  tags:     {tags} compatible, best `{best}`")?;
    }
    stdout.flush()?;
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
    if !pex_info.pex_rs_built.is_empty() {
        writeln!(out, "built from source ({}):", pex_info.pex_rs_built.len())?;
        for (wheel, origin) in &pex_info.pex_rs_built {
            writeln!(out, "  {wheel}  from {origin}")?;
        }
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
    if error.downcast_ref::<CheckFailed>().is_some() {
        return ExitCode::from(1);
    }
    let mut stderr = io::stderr().lock();
    let _ = writeln!(stderr, "error: {error}");
    for cause in error.chain().skip(1) {
        let _ = writeln!(stderr, "  caused by: {cause}");
    }
    if let Some(refusal) = error.downcast_ref::<Refusal>() {
        let _ = writeln!(stderr, "  hint: {}", refusal.hint);
    }
    let pexcore_error = error.chain().find_map(|cause| cause.downcast_ref::<pexcore::Error>());
    for hint in pexcore_error.map(pexcore::Error::hints).unwrap_or_default() {
        let _ = match hint.setting {
            Some(setting) => writeln!(stderr, "  hint: {} ({})", hint.text, flags(setting)),
            None => writeln!(stderr, "  hint: {}", hint.text),
        };
    }
    match pexcore_error.map(pexcore::Error::kind) {
        Some(ErrorKind::Io | ErrorKind::Network | ErrorKind::Lock) => ExitCode::from(2),
        Some(
            ErrorKind::InvalidInput
            | ErrorKind::InvalidArchive
            | ErrorKind::HashMismatch
            | ErrorKind::Interpreter
            | ErrorKind::Resolution
            | ErrorKind::Cancelled,
        )
        | None => ExitCode::from(1),
    }
}

/// The command line's spelling of `setting`: its flags, each in backquotes.
fn flags(setting: pexcore::Setting) -> &'static str {
    use pexcore::Setting;
    match setting {
        Setting::CacheDirectory => "`--cache-dir`",
        Setting::PexRoot => "`--pex-root`",
        Setting::Python => "`--python`",
        Setting::Output => "`-o`",
        Setting::Inputs => "`REQUIREMENT...`, `-r FILE`, `-D DIR`",
        Setting::IndexUrl => "`--index-url`",
        Setting::FindLinks => "`--find-links DIR`",
        Setting::Offline => "`--offline`",
        Setting::Certificate => "`--cert`",
        Setting::NoBuild => "`--no-build`",
        Setting::Compile => "`--no-compile`",
        Setting::CompletePlatform => "`--complete-platform`",
        Setting::InterpreterConstraints => "`--interpreter-constraint`",
        Setting::EntryPoint => "`-e`",
    }
}
