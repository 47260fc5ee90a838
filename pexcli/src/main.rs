//! The `pex-rs` binary: all of it lives in the `pexcli` library so tests can run the same code.

fn main() -> std::process::ExitCode {
    pexcli::main()
}
