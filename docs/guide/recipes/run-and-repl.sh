#!/usr/bin/env bash
# Run a tool without keeping a file (`pex-rs run`, as `uvx` or `pipx run`), a Python with
# requirements importable, and a PEX as a `python -m` runner.
set -euo pipefail

# Built into the cache once, then reused (for a day, or until --refresh).
pex-rs run cowsay -c cowsay -- -t "from pex-rs run"
pex-rs run cowsay -c cowsay -- -t "again, from the cache"

# No entry point: a Python with the requirements (here reading a script from stdin).
echo 'import cowsay; print("the REPL sees cowsay", cowsay.__version__)' | pex-rs run cowsay

# A PEX without an entry point is that Python too: -m runs a module of it, -c a command.
pex-rs build cowsay -o env.pex
./env.pex -m cowsay -t "as a module runner"
./env.pex -c 'import cowsay; print("as an interpreter", cowsay.__version__)'
