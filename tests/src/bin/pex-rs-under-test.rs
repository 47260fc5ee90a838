//! The `pex-rs` command, built inside the test package (see `Cargo.toml`).

fn main() -> std::process::ExitCode {
    pexcli::main()
}
