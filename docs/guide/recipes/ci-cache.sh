#!/usr/bin/env bash
# CI: keep the build cache between jobs (save and restore this one directory); a job whose
# cache is restored builds without asking the index for anything but fresh pages, or, with
# --offline, without a network at all.
set -euo pipefail

export PEX_RS_CACHE_DIR="$PWD/.pex-rs-cache"   # the directory CI saves and restores
pex-rs build cowsay -c cowsay -o cowsay.pex
rm cowsay.pex

# The next job, with the cache restored:
pex-rs build cowsay -c cowsay --offline -o cowsay.pex
./cowsay.pex -t "from a restored cache"
