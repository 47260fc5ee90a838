#!/usr/bin/env bash
# A CLI tool for several Pythons: one PEX for every CPython 3.8+ on PATH, each with the best
# wheels for it and its own bytecode; it picks the right ones when it starts.
set -euo pipefail

pex-rs build cowsay -c cowsay --interpreter-constraint 'CPython>=3.8' -o cowsay.pex
pex-rs info cowsay.pex
for python in python3.8 python3.9 python3.10 python3.11 python3.12 python3.13; do
    if command -v "$python" >/dev/null 2>&1; then
        "$python" cowsay.pex -t "from $python"
    fi
done
