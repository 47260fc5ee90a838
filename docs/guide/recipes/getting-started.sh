#!/usr/bin/env bash
# Getting started: a PEX of a tool from the index, one of your own project, a look inside, and
# where things go. Run it in an empty directory; the index is pip's, or $PEX_RS_INDEX_URL.
set -euo pipefail

# A tool from the index, and a PEX that is a Python with a library.
pex-rs build cowsay -c cowsay -o cowsay.pex
./cowsay.pex -t hello
pex-rs build cowsay -o python-with-cowsay.pex
./python-with-cowsay.pex -c 'import cowsay; print("cowsay", cowsay.__version__)'

# Your own project: a pyproject.toml with any PEP 517 backend.
mkdir -p myapp
cat > myapp/pyproject.toml <<'TOML'
[build-system]
requires = ["flit_core>=3.4"]
build-backend = "flit_core.buildapi"

[project]
name = "myapp"
version = "1.0"
description = "A greeting"
dependencies = ["cowsay"]

[project.scripts]
myapp = "myapp:main"
TOML
cat > myapp/myapp.py <<'PY'
def main():
    import cowsay
    print("myapp, with cowsay", cowsay.__version__)
PY
pex-rs build ./myapp -c myapp -o myapp.pex
./myapp.pex

# Built again with nothing changed: the same file, untouched.
before=$(stat -c %Y myapp.pex)
pex-rs build ./myapp -c myapp -o myapp.pex
[ "$(stat -c %Y myapp.pex)" = "$before" ] && echo "unchanged"

# A look inside, and where things go.
pex-rs info myapp.pex
pex-rs cache info
pex-rs cache prune --older-than 7
