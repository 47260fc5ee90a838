#!/usr/bin/env bash
# An Alpine (musl) image's PEX built on a glibc machine: name the target platform by its tags.
# The PEX then runs in `python:3.12-alpine`; pure-Python wheels serve every platform, and
# projects with native code need musllinux wheels on the index. pex-rs warns that a platform
# name leaves some markers guessed: `pex-rs interpreter --complete-platform > alpine.json`, run in
# the image, gives exact ones for `--complete-platform alpine.json`.
set -euo pipefail

pex-rs build cowsay -c cowsay --platform musllinux_1_2_x86_64-cp-312-cp312 -o cowsay-alpine.pex
pex-rs info cowsay-alpine.pex
