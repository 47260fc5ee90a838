#!/usr/bin/env bash
# Air-gapped builds: lock and download where there is a network, build where there is none.
set -euo pipefail

# With a network: a PEP 751 lock, and every file it names.
pex-rs lock cowsay -o pylock.toml
pex-rs download --lock pylock.toml -d wheelhouse

# Without one (copy pylock.toml and wheelhouse/ over): no index is asked.
unset PEX_RS_INDEX_URL PIP_INDEX_URL
pex-rs build --lock pylock.toml --no-index --find-links wheelhouse -c cowsay -o cowsay.pex
./cowsay.pex -t "built offline"
