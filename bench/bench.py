#!/usr/bin/env python3
"""Whole-process benchmarks of pex-rs against pex, shiv, uv and a plain virtualenv.

Standard library only; run it with the target interpreter (CPython 3.11):

    python3.11 bench/bench.py run --quick            # set up if needed, then measure
    python3.11 bench/bench.py run w1-black wheels     # a named subset
    python3.11 bench/bench.py list                    # workloads, measures, tools

See bench/README.md. Benchmarks are never part of the test suite and never fail CI.
"""

from __future__ import annotations

import argparse
import datetime
import glob
import hashlib
import json
import os
import platform
import re
import shlex
import shutil
import statistics
import subprocess
import sys
import threading
import time
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
WORKLOAD_DIR = HERE / "workloads"

# The tool versions that docs/benchmarks.md refers to.
# pip is pinned too: shiv installs with the pip of the interpreter it runs under. build and
# setuptools are the `python -m build --no-isolation` baseline of source-edit.
PINS = {"pip": "26.3", "pex": "2.105.2", "shiv": "1.0.8", "uv": "0.13.9", "build": "1.6.1",
        "setuptools": "84.2.1"}

DEFAULT_TOOLS = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "pex-rs-bench" / "tools"

# Measures, in the order they run inside one workload. A group name selects several.
MEASURES = [
    "wheels-cold", "wheels-warm",   # build from already-downloaded wheels
    "build-cold", "build-warm",     # build from the index (pinned closure as -r)
    "resolve-cold", "resolve-warm", # resolution only
    "start-cold", "start-warm",     # first start / warm start of the artifacts
    "size",                         # artifact size, zip members, runtime footprint
    "repro",                        # byte-for-byte rebuilds from different cache states
    "targets-warm",                 # warm resolve for one interpreter vs every local Python
    "source-cold", "source-warm",   # build a local project (and sdist-only dependencies) from source
    "source-edit",                  # rebuild after one file of the project changed
    "lock-cold", "lock-warm",       # write a lock file (PEP 751 / pex JSON)
    "locked-warm",                  # build (install) from a lock file, warm cache
    "run-warm",                     # `pex-rs run` of the workload again vs its PEX's warm start, uvx
    "embed-warm",                   # the warm build through the Python binding (C ABI) vs the CLI
]
GROUPS = {
    "wheels": ["wheels-cold", "wheels-warm"],
    "build": ["build-cold", "build-warm"],
    "resolve": ["resolve-cold", "resolve-warm"],
    "start": ["start-cold", "start-warm"],
    "source": ["source-cold", "source-warm", "source-edit"],
    "lock": ["lock-cold", "lock-warm", "locked-warm"],
    "run": ["run-warm"],
    "embed": ["embed-warm"],
    "all": MEASURES,
}
QUICK_WORKLOADS = ["w1-black", "w3-boto3"]
COMMAND_TIMEOUT = 300  # seconds; a timed command running longer is killed and its cell fails

MEASURE_TITLES = {
    "wheels-cold": "Build from already-downloaded wheels, cold (fresh cache / PEX_ROOT every run)",
    "wheels-warm": "Build from already-downloaded wheels, warm (cache kept from a warm-up run)",
    "build-cold": "Build from the index, cold cache (includes downloads)",
    "build-warm": "Build from the index, warm cache",
    "resolve-cold": "Resolve only, cold cache",
    "resolve-warm": "Resolve only, warm cache",
    "start-cold": "First start (empty PEX_ROOT / SHIV_ROOT every run)",
    "start-warm": "Warm start (runtime root kept)",
    "targets-warm": "Warm resolve for one interpreter vs for every local python3.X (cached probes)",
    "source-cold": "Build a local project and its sdist-only dependency from source, cold (fresh caches every run)",
    "source-warm": "Build a local project from source again, nothing changed (caches kept from a warm-up run)",
    "source-edit": "Build a local project again after one of its files changed (caches kept)",
    "lock-cold": "Write a lock file for the workload's requirements, cold cache",
    "lock-warm": "Write a lock file again, warm cache (no existing lock)",
    "locked-warm": "Build from a lock file (uv: install it into a fresh venv), warm cache",
    "run-warm": "Run the workload's entry point through `pex-rs run` / `uvx` again (cached), vs the PEX's warm start",
    "embed-warm": "Build from the index, warm cache, through the C ABI and the Python binding (a whole `python` "
                  "process) vs `pex-rs build`",
}


def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


# --------------------------------------------------------------------------------------------
# workloads


@dataclass
class Workload:
    name: str
    lock: Path
    top: list[str]       # top-level requirements (the resolve input)
    entry: list[str]     # build flags naming the entry point, e.g. ["-c", "black"]
    run: list[str]       # arguments given to the artifact
    floor: list[str]     # the same command in a venv, relative to the venv dir
    project: str         # the build backend of the local project the harness writes, or ""

    @staticmethod
    def load(path: Path) -> "Workload":
        meta = {}
        for line in path.read_text().splitlines():
            m = re.match(r"#\s*(\w+):\s*(.*)$", line)
            if m:
                meta[m.group(1)] = m.group(2).strip()
        entry = shlex.split(meta.get("entry", ""))
        run = shlex.split(meta.get("run", ""))
        if "floor" in meta:
            floor = shlex.split(meta["floor"])
        elif len(entry) == 2 and entry[0] == "-c":
            floor = ["bin/" + entry[1], *run]
        elif not entry:
            floor = ["bin/python", *run]
        else:
            raise SystemExit(f"{path}: give a '# floor:' line for entry {entry}")
        project = meta.get("project", "")
        if project not in ("", "setuptools"):
            raise SystemExit(f"{path}: '# project: {project}': the harness can only write a setuptools project")
        return Workload(path.stem, path, shlex.split(meta.get("top", "")), entry, run, floor, project)


def all_workloads() -> dict[str, Workload]:
    return {p.stem: Workload.load(p) for p in sorted(WORKLOAD_DIR.glob("*.txt"))}


# The project of a `# project: setuptools` workload: one package with a console script, and one
# dependency that the index has only as an sdist (docopt 0.6.2), so every tool builds twice.
PROJECT_FILES = {
    "pyproject.toml": """\
[build-system]
requires = ["setuptools>=61"]
build-backend = "setuptools.build_meta"

[project]
name = "benchapp"
version = "0.1.0"
dependencies = ["docopt==0.6.2"]

[project.scripts]
benchapp = "benchapp.cli:main"

[tool.setuptools]
packages = ["benchapp"]
""",
    "benchapp/__init__.py": '__version__ = "0.1.0"\n',
    "benchapp/cli.py": '''"""benchapp: the command line of the source-build benchmarks.

Usage:
  benchapp [--version]
"""

from docopt import docopt

from benchapp import __version__


def main():
    docopt(__doc__, version=f"benchapp {__version__}")
    print(f"benchapp {__version__}")
''',
}


def write_project(dest: Path) -> Path:
    rm([dest])
    for name, text in PROJECT_FILES.items():
        (dest / name).parent.mkdir(parents=True, exist_ok=True)
        (dest / name).write_text(text)
    return dest


# --------------------------------------------------------------------------------------------
# environment


def find_python(arg: str | None) -> str:
    if arg:
        return arg
    env = {k: v for k, v in os.environ.items() if k != "VIRTUAL_ENV"}
    try:
        out = subprocess.run(["python3.11", "-c", "import sys;print(sys.executable)"],
                             env=env, capture_output=True, text=True, check=True).stdout.strip()
        if out:
            return out
    except (OSError, subprocess.CalledProcessError):
        pass
    if sys.version_info[:2] == (3, 11) and sys.prefix == sys.base_prefix:
        return sys.executable
    raise SystemExit("cannot find python3.11: give --python PATH (the interpreter's real path)")


def clean_env(py: str, tools: Path, scratch: Path) -> dict[str, str]:
    """The environment of every timed command: Python's defaults, no tool variables."""
    env = {}
    for k, v in os.environ.items():
        if k.startswith(("PYTHON", "PEX_", "SHIV_", "UV_")) or k in ("VIRTUAL_ENV", "CONDA_PREFIX"):
            continue
        env[k] = v
    # The target interpreter first on PATH (not a pyenv shim), then the tools.
    env["PATH"] = os.pathsep.join([str(Path(py).parent), str(tools / "bin"), os.environ.get("PATH", "")])
    env["TMPDIR"] = str(scratch / "tmp")
    # XDG_CACHE_HOME is left alone on purpose: pex bakes the default PEX_ROOT it derives from it
    # into the __main__.py of every PEX it builds, so changing it changes pex's output bytes.
    # Every cache a measure uses is given explicitly instead.
    return env


def pip_settings(tools: Path) -> dict[str, str]:
    """index-url / extra-index-url / cert from pip's configuration and environment (never hard-coded)."""
    found = {}
    try:
        out = subprocess.run([str(tools / "bin" / "python"), "-m", "pip", "config", "list"],
                             capture_output=True, text=True, timeout=60).stdout
    except (OSError, subprocess.TimeoutExpired):
        out = ""
    for line in out.splitlines():
        m = re.match(r"[^.]+\.([\w-]+)='(.*)'$", line.strip())
        if m and m.group(1) in ("index-url", "extra-index-url", "cert"):
            found.setdefault(m.group(1), m.group(2))
    for key, var in (("index-url", "PIP_INDEX_URL"), ("extra-index-url", "PIP_EXTRA_INDEX_URL"),
                     ("cert", "PIP_CERT")):
        if os.environ.get(var):
            found[key] = os.environ[var]
    return found


def machine_info(py: str, scratch: Path) -> dict[str, str]:
    info = {}
    try:
        cpu = next(line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo") if line.startswith("model name"))
    except (OSError, StopIteration):
        cpu = platform.processor() or "?"
    info["cpu"] = f"{os.cpu_count()} cores, {cpu}"
    try:
        mem = next(int(line.split()[1]) for line in open("/proc/meminfo") if line.startswith("MemTotal"))
        info["memory"] = f"{mem / 1024 / 1024:.0f} GiB"
    except (OSError, StopIteration):
        pass
    try:
        osr = dict(line.rstrip().split("=", 1) for line in open("/etc/os-release") if "=" in line)
        info["os"] = osr.get("PRETTY_NAME", "?").strip('"')
        if Path("/etc/debian_version").exists():
            info["os"] += f" ({Path('/etc/debian_version').read_text().strip()})"
    except OSError:
        pass
    info["kernel"] = platform.release()
    info["python"] = py + " " + subprocess.run([py, "-c", "import sys;print(sys.version.split()[0])"],
                                               capture_output=True, text=True).stdout.strip()

    def mount_of(p: Path) -> str:
        best = ("", "?", "?")
        try:
            for line in open("/proc/mounts"):
                dev, mnt, fstype, opts = line.split()[:4]
                if str(p).startswith(mnt) and len(mnt) >= len(best[0]):
                    best = (mnt, fstype, opts)
        except OSError:
            pass
        return f"{best[1]} at {best[0]}" + (" (online discard)" if "discard" in best[2].split(",") else "")

    info["scratch"] = f"{scratch} ({mount_of(scratch.resolve())})"
    info["root fs"] = mount_of(Path("/"))
    return info


# --------------------------------------------------------------------------------------------
# setup


def apt_install_hyperfine() -> None:
    if shutil.which("hyperfine"):
        return
    if os.geteuid() != 0 or not shutil.which("apt-get"):
        log("note: hyperfine is not installed (apt-get install hyperfine); the paired timer works without it")
        return
    log("setup: apt-get update && apt-get install -y hyperfine")
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    subprocess.run(["apt-get", "update", "-qq"], check=True, env=env)
    subprocess.run(["apt-get", "install", "-y", "-qq", "hyperfine"], check=True, env=env)


def setup(py: str, tools: Path, apt: bool = True) -> None:
    if apt:
        apt_install_hyperfine()
    stamp = tools / "bench-pins.json"
    if stamp.exists() and json.loads(stamp.read_text()) == {"python": py, **PINS}:
        log(f"setup: tools venv up to date: {tools}")
        return
    log(f"setup: creating tools venv {tools} with {py}")
    if tools.exists():
        shutil.rmtree(tools)
    tools.parent.mkdir(parents=True, exist_ok=True)
    subprocess.run([py, "-m", "venv", str(tools)], check=True)
    pip = [str(tools / "bin" / "python"), "-m", "pip", "install", "-q"]
    subprocess.run([*pip, f"pip=={PINS['pip']}"], check=True)
    subprocess.run([*pip, *(f"{k}=={v}" for k, v in PINS.items() if k != "pip")], check=True)
    stamp.write_text(json.dumps({"python": py, **PINS}))
    log("setup: " + ", ".join(tool_versions(tools).values()))


def tool_versions(tools: Path) -> dict[str, str]:
    out = {}
    for name, argv in (("pex", ["pex", "--version"]), ("shiv", ["shiv", "--version"]),
                       ("uv", ["uv", "--version"]), ("pip", ["pip", "--version"]),
                       ("build", ["python", "-m", "build", "--version"]),
                       ("setuptools", ["python", "-c", "import setuptools; print(setuptools.__version__)"])):
        try:
            text = subprocess.run([str(tools / "bin" / argv[0]), *argv[1:]], capture_output=True, text=True).stdout
            text = re.sub(rf"^{name},? (version )?", "", text.strip().split(" from ")[0].split(" (")[0])
            out[name] = f"{name} {text}"
        except OSError:
            out[name] = f"{name} ?"
    if shutil.which("hyperfine"):
        out["hyperfine"] = subprocess.run(["hyperfine", "--version"], capture_output=True, text=True).stdout.strip()
    return out


# --------------------------------------------------------------------------------------------
# pex-rs: find it and probe what its CLI can do today, so the harness grows with the tool


class PexRs:
    def __init__(self, arg: str | None):
        self.path = None
        for cand in ([arg] if arg else [str(REPO / "target" / "release" / "pex-rs"), shutil.which("pex-rs")]):
            if cand and os.access(cand, os.X_OK) and Path(cand).is_file():
                self.path = str(Path(cand).resolve())
                break
        self.version = self.build_help = self.top_help = self.resolve_help = ""
        if not self.path:
            self.missing = (f"pex-rs binary not found ({arg})" if arg else
                            "pex-rs binary not found (target/release/pex-rs, PATH; give --pex-rs PATH)")
            return
        self.missing = ""
        self.version = self._out("--version").strip()
        self.top_help = self._out("--help")
        self.build_help = self._out("build", "--help")
        if re.search(r"^\s+resolve\b", self.top_help, re.M):
            self.resolve_help = self._out("resolve", "--help")

    def _out(self, *args: str) -> str:
        try:
            p = subprocess.run([self.path, *args], capture_output=True, text=True, timeout=30)
            return p.stdout + p.stderr
        except (OSError, subprocess.TimeoutExpired):
            return ""

    @property
    def ok(self) -> bool:
        return bool(self.path) and bool(self.build_help)

    def can(self, what: str) -> str:
        """'' when pex-rs can do `what`, else why it is skipped."""
        if not self.path:
            return self.missing
        if not self.build_help:
            return "`pex-rs build --help` failed"
        if what == "wheels":
            return ""
        if what == "requirements":
            if re.search(r"(^|[\s,\[])(-r\b|--requirement)", self.build_help):
                return ""
            return "`pex-rs build` has no -r/--requirement yet (no resolution from an index)"
        if what == "resolve":
            if self.resolve_help:
                return ""
            return "`pex-rs` has no `resolve` subcommand yet"
        if what == "lock":
            if re.search(r"^\s+lock\b", self.top_help, re.M) and "--lock" in self.build_help:
                return ""
            return "`pex-rs` has no `lock` subcommand yet"
        if what == "source":
            if re.search(r"^\s+--no-build\b", self.build_help, re.M):
                return ""
            return "`pex-rs build` has no source builds yet (no --no-build)"
        raise ValueError(what)

    def cache_flags(self, cache: Path) -> list[str]:
        return ["--cache-dir", str(cache)] if "--cache-dir" in self.build_help else []

    def resolve_argv(self, req_in: Path, lock: Path, python: str, cache: Path) -> list[str]:
        # `pex-rs resolve` prints the pins on stdout (like `uv pip compile` without `-o`).
        return [self.path, "resolve", "-r", str(req_in), "--constraint", str(lock), "--python", python,
                "--cache-dir", str(cache)]


# --------------------------------------------------------------------------------------------
# timing


@dataclass
class Cmd:
    tool: str
    argv: list[str]
    env: dict[str, str] = field(default_factory=dict)   # on top of the clean environment
    clear: list[Path] = field(default_factory=list)      # removed (untimed) before every timed run
    cwd: Path | None = None
    prepare: str = ""   # a shell command run (untimed) before every timed run, after `clear`

    def ready(self, env: dict[str, str]) -> None:
        """The untimed preparation of one run."""
        rm(self.clear)
        if self.prepare:
            subprocess.run(["sh", "-c", self.prepare], env=env, check=True)

    def display(self, names: dict[str, str]) -> str:
        parts = [f"{k}={v}" if k != "PATH" else "PATH=$(dirname $PY):$PATH" for k, v in self.env.items()]
        text = ("env " + " ".join(parts) + " " if parts else "") + shlex.join(self.argv)
        if self.prepare:
            text += "   # before each run: " + self.prepare
        for path, name in sorted(names.items(), key=lambda kv: -len(kv[0])):
            text = text.replace(path, name)
        return text


@dataclass
class Stat:
    tool: str
    times: list[float] = field(default_factory=list)
    rss: list[int] = field(default_factory=list)   # KiB, largest process of the tree
    ratio: list[float] = field(default_factory=list)
    error: str = ""
    command: str = ""

    def summary(self) -> dict:
        d = {"tool": self.tool, "times": self.times, "command": self.command}
        if self.error:
            d["error"] = self.error
        if self.times:
            d.update(median=statistics.median(self.times), min=min(self.times), max=max(self.times))
        if self.rss:
            d["peak_rss_kib"] = statistics.median(self.rss)
        if self.ratio:
            d.update(ratio=statistics.median(self.ratio), ratio_min=min(self.ratio), ratio_max=max(self.ratio))
        return d


def rm(paths) -> None:
    for p in paths:
        if p.is_dir() and not p.is_symlink():
            shutil.rmtree(p)
        elif p.exists() or p.is_symlink():
            p.unlink()


class Timer:
    def __init__(self, base_env: dict[str, str], logdir: Path, kind: str):
        self.base_env = base_env
        self.logdir = logdir
        self.kind = kind

    def once(self, c: Cmd, logname: str) -> tuple[float, int, int]:
        c.ready(self.base_env)
        env = dict(self.base_env, **c.env)
        with open(self.logdir / f"{logname}.log", "wb") as out:
            t0 = time.perf_counter()
            p = subprocess.Popen(c.argv, env=env, cwd=c.cwd, stdin=subprocess.DEVNULL, stdout=out, stderr=out)
            watchdog = threading.Timer(COMMAND_TIMEOUT, p.kill)  # a hung command fails its cell only
            watchdog.start()
            _, status, ru = os.wait4(p.pid, 0)
            elapsed = time.perf_counter() - t0
            watchdog.cancel()
        p.returncode = os.waitstatus_to_exitcode(status)
        if elapsed >= COMMAND_TIMEOUT:
            out_path = self.logdir / f"{logname}.log"
            with open(out_path, "a") as f:
                f.write(f"\nkilled after {COMMAND_TIMEOUT} s\n")
        return elapsed, ru.ru_maxrss, p.returncode

    def fail_text(self, logname: str, rc: int) -> str:
        text = (self.logdir / f"{logname}.log").read_text(errors="replace").strip().splitlines()
        return f"exit {rc}: " + " | ".join(text[-3:])[-400:]

    def group(self, key: str, cmds: list[Cmd], runs: int, warmup: int, ref: str) -> dict[str, Stat]:
        stats = {c.tool: Stat(c.tool) for c in cmds}
        if self.kind == "hyperfine":
            return self._hyperfine(key, cmds, runs, warmup, ref, stats)
        live = list(cmds)
        for _ in range(warmup):
            for c in list(live):
                _, _, rc = self.once(c, f"{key}.{c.tool}")
                if rc:
                    stats[c.tool].error = self.fail_text(f"{key}.{c.tool}", rc)
                    live.remove(c)
        per_round = []
        for r in range(runs):
            if not live:
                break
            k = r % len(live)
            order = live[k:] + live[:k]  # rotate: A B, B A, ... (alternated, drift cancels)
            this = {}
            for c in order:
                t, rss, rc = self.once(c, f"{key}.{c.tool}")
                if rc:
                    stats[c.tool].error = self.fail_text(f"{key}.{c.tool}", rc)
                    live.remove(c)
                    continue
                stats[c.tool].times.append(t)
                stats[c.tool].rss.append(rss)
                this[c.tool] = t
            per_round.append(this)
        for tool, st in stats.items():
            st.ratio = [rd[tool] / rd[ref] for rd in per_round if ref in rd and tool in rd]
        return stats

    def _hyperfine(self, key, cmds, runs, warmup, ref, stats):
        for c in cmds:
            export = self.logdir / f"{key}.{c.tool}.json"
            env_prefix = ["env", *(f"{k}={v}" for k, v in c.env.items())] if c.env else []
            argv = ["hyperfine", "-N", "--style", "none", "--runs", str(runs), "--warmup", str(warmup),
                    "--export-json", str(export)]
            prepare = shlex.join(["rm", "-rf", *map(str, c.clear)]) if c.clear else ""
            if c.prepare:
                # -N runs the preparation without a shell too: give it one.
                prepare = shlex.join(["sh", "-c", " && ".join(filter(None, [prepare, c.prepare]))])
            if prepare:
                argv += ["--prepare", prepare]
            argv.append(shlex.join(env_prefix + c.argv))
            with open(self.logdir / f"{key}.{c.tool}.log", "wb") as out:
                p = subprocess.run(argv, env=self.base_env, cwd=c.cwd, stdout=out, stderr=out)
            if p.returncode:
                stats[c.tool].error = self.fail_text(f"{key}.{c.tool}", p.returncode)
                continue
            res = json.loads(export.read_text())["results"][0]
            stats[c.tool].times = res["times"]
        if ref in stats and stats[ref].times:
            m = statistics.median(stats[ref].times)
            for st in stats.values():
                if st.times:
                    st.ratio = [statistics.median(st.times) / m]
        return stats


# --------------------------------------------------------------------------------------------
# the benchmark of one workload


def tree_size(path: Path) -> tuple[int, int]:
    total = files = 0
    for root, _dirs, names in os.walk(path):
        for n in names:
            p = Path(root, n)
            if not p.is_symlink():
                total += p.stat().st_size
                files += 1
    return total, files


def sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


class Bench:
    def __init__(self, args, py: str, tools: Path, scratch: Path, pexrs: PexRs):
        self.args = args
        self.py = py
        self.tools = tools
        self.t = tools / "bin"
        self.scratch = scratch
        self.pexrs = pexrs
        self.env = clean_env(py, tools, scratch)
        self.pip = pip_settings(tools)
        self.results: list[dict] = []
        self.notes: list[str] = []
        self.commands: dict[str, dict[str, str]] = {}  # measure -> tool -> command template
        self.timer_kind = args.timer
        self.runs_build = args.runs or (3 if args.quick else 5)
        self.runs_start = args.runs or (5 if args.quick else 10)

    # -- helpers

    def note(self, text: str) -> None:
        if text not in self.notes:
            self.notes.append(text)
            log("note: " + text)

    def pex_index_flags(self) -> list[str]:
        flags = []
        if "index-url" in self.pip:
            flags += ["--index-url", self.pip["index-url"]]
        if "extra-index-url" in self.pip:
            flags += ["--extra-index-url", self.pip["extra-index-url"]]
        if "cert" in self.pip:
            flags += ["--cert", self.pip["cert"]]
        return flags

    def uv_env(self, cache: Path) -> dict[str, str]:
        env = {"UV_CACHE_DIR": str(cache)}
        if "index-url" in self.pip:
            env["UV_INDEX_URL"] = self.pip["index-url"]
        if "extra-index-url" in self.pip:
            env["UV_EXTRA_INDEX_URL"] = self.pip["extra-index-url"]
        if "cert" in self.pip:
            env["SSL_CERT_FILE"] = self.pip["cert"]
        return env

    def names(self, w: Workload, d: Path, wheels: Path) -> dict[str, str]:
        return {str(d): "$S", str(wheels): "$WHEELS", str(w.lock): "$LOCK", self.py: "$PY",
                str(self.t) + "/": "", str(self.pexrs.path or "pex-rs"): "pex-rs"}

    def record(self, w: Workload, measure: str, stats: dict[str, Stat], ref: str, names, cmds: list[Cmd]) -> None:
        for c in cmds:
            stats[c.tool].command = re.sub(r"(\$WHEELS/\S+\.whl )+", "$WHEELS/*.whl ", c.display(names))
            self.commands.setdefault(measure, {}).setdefault(c.tool, stats[c.tool].command)
        self.results.append({"workload": w.name, "measure": measure, "ref": ref, "timer": self.timer_kind,
                             "rows": [s.summary() for s in stats.values()]})
        for s in stats.values():
            if s.error:
                log(f"  {s.tool}: FAILED {s.error}")
            elif s.times:
                r = f"  x{statistics.median(s.ratio):.2f} of {ref}" if s.ratio else ""
                log(f"  {s.tool:16} {statistics.median(s.times):7.3f} s ({min(s.times):.3f}-{max(s.times):.3f}){r}")

    # -- inputs

    def wheels_dir(self, w: Workload) -> Path:
        d = self.scratch / "wheels" / w.name
        stamp = d / ".lock-sha256"
        digest = sha256(w.lock)
        if stamp.exists() and stamp.read_text() == digest:
            return d
        log(f"[{w.name}] downloading the pinned closure's wheels (untimed)")
        rm([d])
        d.mkdir(parents=True)
        subprocess.run([str(self.t / "python"), "-m", "pip", "download", "-q", "--only-binary", ":all:",
                        "--no-deps", "-r", str(w.lock), "-d", str(d)], check=True, env=self.env)
        stamp.write_text(digest)
        return d

    def pexrs_python(self) -> list[str]:
        # The target interpreter, when the CLI takes one (pex uses the interpreter it runs under,
        # the tools venv's, which is the same CPython).
        return ["--python", self.py] if re.search(r"^\s+--python\b", self.pexrs.build_help, re.M) else []

    def pexrs_wheel_argv(self, w: Workload, wheels: Path, out: Path) -> list[str]:
        return [self.pexrs.path, "build", *sorted(glob.glob(str(wheels / "*.whl"))), *w.entry,
                *self.pexrs_python(), "-o", str(out)]

    def pexrs_env(self, cache: Path) -> dict[str, str]:
        return {"PEX_ROOT": str(cache), "PEX_RS_CACHE_DIR": str(cache)}

    # -- measures

    def m_wheels(self, w: Workload, d: Path, wheels: Path, measure: str) -> None:
        warm = measure.endswith("warm")
        d = d / measure
        d.mkdir(parents=True, exist_ok=True)
        cmds = []
        if not self.pexrs.can("wheels"):
            out, cache = d / "pex-rs.pex", d / "cache-pex-rs"
            cmds.append(Cmd("pex-rs", [*self.pexrs_wheel_argv(w, wheels, out), *self.pexrs.cache_flags(cache)],
                            self.pexrs_env(cache), [out] if warm else [out, cache]))
        else:
            self.note(f"{measure}: pex-rs skipped: {self.pexrs.can('wheels')}")
        out, cache = d / "pex.pex", d / "cache-pex"
        cmds.append(Cmd("pex", [str(self.t / "pex"), "--no-index", "-f", str(wheels), "-r", str(w.lock), *w.entry,
                                "--pex-root", str(cache), "-o", str(out)], {}, [out] if warm else [out, cache]))
        out, cache = d / "shiv.pyz", d / "cache-shiv"
        cmds.append(Cmd("shiv", [str(self.t / "shiv"), *w.entry, "-o", str(out), "--no-index", "--find-links",
                                 str(wheels), "-r", str(w.lock)], {"PIP_CACHE_DIR": str(cache)},
                        [out] if warm else [out, cache]))
        venv, cache = d / "uv-venv", d / "cache-uv"
        script = (f"uv venv -q --python {shlex.quote(self.py)} {venv} && VIRTUAL_ENV={venv} "
                  f"uv pip install -q --no-index -f {wheels} -r {w.lock}")
        cmds.append(Cmd("uv-venv", ["sh", "-c", script], {"UV_CACHE_DIR": str(cache)},
                        [venv] if warm else [venv, cache]))
        self.timed(w, measure, cmds, self.runs_build, 1 if warm else 0, d, wheels)

    def m_build(self, w: Workload, d: Path, wheels: Path, measure: str) -> None:
        warm = measure.endswith("warm")
        d = d / measure
        d.mkdir(parents=True, exist_ok=True)
        cmds = []
        why = self.pexrs.can("requirements")
        if not why:
            out, cache = d / "pex-rs.pex", d / "cache-pex-rs"
            cmds.append(Cmd("pex-rs", [self.pexrs.path, "build", "-r", str(w.lock), *w.entry, *self.pexrs_python(),
                                       "-o", str(out),
                                       *self.pexrs.cache_flags(cache)], self.pexrs_env(cache),
                            [out] if warm else [out, cache]))
        else:
            self.note(f"{measure}: pex-rs skipped: {why}")
        out, cache = d / "pex.pex", d / "cache-pex"
        cmds.append(Cmd("pex", [str(self.t / "pex"), *self.pex_index_flags(), "-r", str(w.lock), *w.entry,
                                "--pex-root", str(cache), "-o", str(out)], {}, [out] if warm else [out, cache]))
        out, cache = d / "shiv.pyz", d / "cache-shiv"
        cmds.append(Cmd("shiv", [str(self.t / "shiv"), *w.entry, "-o", str(out), "-r", str(w.lock)],
                        {"PIP_CACHE_DIR": str(cache)}, [out] if warm else [out, cache]))
        venv, cache = d / "uv-venv", d / "cache-uv"
        script = (f"uv venv -q --python {shlex.quote(self.py)} {venv} && VIRTUAL_ENV={venv} "
                  f"uv pip install -q -r {w.lock}")
        cmds.append(Cmd("uv-venv", ["sh", "-c", script], self.uv_env(cache), [venv] if warm else [venv, cache]))
        self.timed(w, measure, cmds, self.runs_build, 1 if warm else 0, d, wheels)

    def requirements_in(self, w: Workload, d: Path, measure: str) -> tuple[Path, Path]:
        """The measure's directory, and in it `req.in` with the workload's top-level requirements."""
        d = d / measure
        d.mkdir(parents=True, exist_ok=True)
        req_in = d / "req.in"
        req_in.write_text("".join(r + "\n" for r in w.top))
        return d, req_in

    def m_resolve(self, w: Workload, d: Path, wheels: Path, measure: str) -> None:
        warm = measure.endswith("warm")
        d, req_in = self.requirements_in(w, d, measure)
        cmds = []
        why = self.pexrs.can("resolve")
        if not why:
            out, cache = d / "pex-rs.lock", d / "cache-pex-rs"
            cmds.append(Cmd("pex-rs", self.pexrs.resolve_argv(req_in, w.lock, self.py, cache), self.pexrs_env(cache),
                            [] if warm else [cache]))
        else:
            self.note(f"{measure}: pex-rs skipped: {why}")
        out, cache = d / "uv.txt", d / "cache-uv"
        cmds.append(Cmd("uv-compile", [str(self.t / "uv"), "pip", "compile", "-q", "--python-version", "3.11",
                                       "-c", str(w.lock), str(req_in), "-o", str(out)], self.uv_env(cache),
                        [out] if warm else [out, cache]))
        cmds.append(self.pex3_lock(w, req_in, d, warm))
        out, cache = d / "pip-report.json", d / "cache-pip"
        cmds.append(Cmd("pip-report", [str(self.t / "pip"), "install", "-q", "--dry-run", "--ignore-installed",
                                       "--report", str(out), "-r", str(req_in), "-c", str(w.lock)],
                        {"PIP_CACHE_DIR": str(cache)}, [out] if warm else [out, cache]))
        self.timed(w, measure, cmds, self.runs_build, 1 if warm else 0, d, wheels)

    def m_lock(self, w: Workload, d: Path, wheels: Path, measure: str) -> None:
        """`pex-rs lock` against `uv pip compile --format pylock.toml` and `pex3 lock create`, for the
        workload's top-level requirements within its pinned closure (as the resolve measures)."""
        warm = measure.endswith("warm")
        d, req_in = self.requirements_in(w, d, measure)
        cmds = []
        why = self.pexrs.can("lock")
        if not why:
            out, cache = d / "pex-rs" / "pylock.toml", d / "cache-pex-rs"
            out.parent.mkdir(exist_ok=True)
            cmds.append(Cmd("pex-rs", [self.pexrs.path, "lock", "-r", str(req_in), "--constraint", str(w.lock),
                                       "--python", self.py, "--cache-dir", str(cache), "-o", str(out)],
                            self.pexrs_env(cache), [out] if warm else [out, cache]))
        else:
            self.note(f"{measure}: pex-rs skipped: {why}")
        out, cache = d / "uv" / "pylock.toml", d / "cache-uv"
        out.parent.mkdir(exist_ok=True)
        cmds.append(Cmd("uv-compile", [str(self.t / "uv"), "pip", "compile", "-q", "--format", "pylock.toml",
                                       "--python-version", "3.11", "-c", str(w.lock), str(req_in), "-o", str(out)],
                        self.uv_env(cache), [out] if warm else [out, cache]))
        cmds.append(self.pex3_lock(w, req_in, d, warm))
        self.timed(w, measure, cmds, self.runs_build, 1 if warm else 0, d, wheels)

    def pex3_lock(self, w: Workload, req_in: Path, d: Path, warm: bool) -> Cmd:
        """`pex3 lock create` of the requirements in `req_in` within the workload's pinned closure."""
        out, cache = d / "pex3.lock.json", d / "cache-pex3"
        return Cmd("pex3-lock", [str(self.t / "pex3"), "lock", "create", *self.pex_index_flags(), "--pex-root",
                                 str(cache), "-r", str(req_in), "--constraints", str(w.lock), "-o", str(out)], {},
                   [out] if warm else [out, cache])

    def m_locked(self, w: Workload, d: Path, wheels: Path, measure: str) -> None:
        """A build from a lock, warm: pex-rs from its pylock.toml, pex from its JSON lock, and uv
        installing pex-rs's pylock.toml into a fresh venv (what `uv pip install -r pylock.toml` does)."""
        why = self.pexrs.can("lock")
        if why:
            self.note(f"{measure}: pex-rs skipped: {why}")
            return
        d, req_in = self.requirements_in(w, d, measure)
        pylock, pex_lock = d / "pylock.toml", d / "pex3.lock.json"
        log(f"[{w.name}] {measure}: writing the locks (untimed)")
        subprocess.run([self.pexrs.path, "lock", "-r", str(req_in), "--constraint", str(w.lock), "--python", self.py,
                        "--cache-dir", str(d / "cache-lock"), "-o", str(pylock)], check=True, env=self.env,
                       capture_output=True)
        subprocess.run([str(self.t / "pex3"), "lock", "create", *self.pex_index_flags(), "--pex-root",
                        str(d / "cache-lock-pex3"), "-r", str(req_in), "--constraints", str(w.lock), "-o",
                        str(pex_lock)], check=True, env=self.env, capture_output=True)
        out, cache = d / "pex-rs.pex", d / "cache-pex-rs"
        cmds = [Cmd("pex-rs", [self.pexrs.path, "build", "--lock", str(pylock), *w.entry, *self.pexrs_python(),
                               "-o", str(out), "--cache-dir", str(cache)], self.pexrs_env(cache), [out])]
        out, cache = d / "pex.pex", d / "cache-pex"
        cmds.append(Cmd("pex", [str(self.t / "pex"), *self.pex_index_flags(), "--lock", str(pex_lock), *w.entry,
                                "--pex-root", str(cache), "-o", str(out)], {}, [out]))
        venv, cache = d / "uv-venv", d / "cache-uv"
        script = (f"uv venv -q --python {shlex.quote(self.py)} {venv} && VIRTUAL_ENV={venv} "
                  f"uv pip install -q -r {pylock}")
        cmds.append(Cmd("uv-venv", ["sh", "-c", script], self.uv_env(cache), [venv]))
        self.timed(w, measure, cmds, self.runs_build, 1, d, wheels, {str(pylock): "$PYLOCK", str(pex_lock): "$PEXLOCK"})

    def m_targets(self, w: Workload, d: Path, wheels: Path, measure: str) -> None:
        """Probing is cached: resolving for every local Python costs little more than for one."""
        why = self.pexrs.can("resolve")
        if why:
            self.note(f"{measure}: pex-rs skipped: {why}")
            return
        d = d / measure
        d.mkdir(parents=True, exist_ok=True)
        pythons = []
        for minor in range(8, 20):
            name = shutil.which(f"python3.{minor}")
            if not name:
                continue
            p = subprocess.run([name, "-c", "import sys; print(sys.executable)"], capture_output=True, text=True)
            if p.returncode == 0 and p.stdout.strip() not in pythons:
                pythons.append(p.stdout.strip())
        cache = d / "cache-pex-rs"
        base = [self.pexrs.path, "resolve", *w.top, "--cache-dir", str(cache)]
        one = Cmd("pex-rs-1", [*base, "--python", self.py], self.pexrs_env(cache), [])
        every = Cmd(f"pex-rs-{len(pythons)}", [*base, *(a for p in pythons for a in ("--python", p))],
                    self.pexrs_env(cache), [])
        self.timed(w, measure, [one, every], self.runs_build, 1, d, wheels)
        self.note(f"{measure}: {len(pythons)} interpreters: " + ", ".join(pythons))

    def m_source(self, w: Workload, d: Path, project: Path, measure: str) -> None:
        """Builds of the workload's local project, written by the harness at `project`."""
        cold, edit = measure.endswith("cold"), measure.endswith("edit")
        d = d / measure
        d.mkdir(parents=True, exist_ok=True)
        copies = {}

        def copy(tool: str) -> Path:
            # Each tool builds its own copy: pex (pip), uv and `build` build in the tree and leave
            # build/ and *.egg-info there, which must not become another tool's input.
            copies[tool] = d / "src" / tool / project.name
            shutil.copytree(project, copies[tool])
            return copies[tool]

        def clear(out: Path, cache: Path, tree: Path) -> list[Path]:
            # Cold: empty caches and a tree without what earlier builds left in it.
            return [out, cache, tree / "build", tree / f"{project.name}.egg-info"] if cold else [out]

        def edit_of(tree: Path) -> str:
            # A comment that differs every run: the project's wheel is rebuilt, its dependencies' not.
            cli = shlex.quote(str(tree / project.name / "cli.py"))
            return f'echo "# edit $(date +%s%N)" >> {cli}' if edit else ""

        cmds = []
        why = self.pexrs.can("source")
        if not why:
            tree, out, cache = copy("pex-rs"), d / "pex-rs.pex", d / "cache-pex-rs"
            cmds.append(Cmd("pex-rs", [self.pexrs.path, "build", str(tree), *w.entry, *self.pexrs_python(),
                                       "-o", str(out), *self.pexrs.cache_flags(cache)], self.pexrs_env(cache),
                            clear(out, cache, tree), prepare=edit_of(tree)))
        else:
            self.note(f"{measure}: pex-rs skipped: {why}")
        if edit:
            tree, out = copy("python-build"), d / "dist-python-build"
            cmds.append(Cmd("python-build", [str(self.t / "python"), "-m", "build", "--wheel", "--no-isolation",
                                             "--outdir", str(out), str(tree)], {}, [out], prepare=edit_of(tree)))
        else:
            tree, out, cache = copy("pex"), d / "pex.pex", d / "cache-pex"
            cmds.append(Cmd("pex", [str(self.t / "pex"), *self.pex_index_flags(), str(tree), *w.entry,
                                    "--pex-root", str(cache), "-o", str(out)], {}, clear(out, cache, tree)))
            tree, venv, cache = copy("uv-venv"), d / "uv-venv", d / "cache-uv"
            script = (f"uv venv -q --python {shlex.quote(self.py)} {venv} && VIRTUAL_ENV={venv} "
                      f"uv pip install -q {tree}")
            cmds.append(Cmd("uv-venv", ["sh", "-c", script], self.uv_env(cache), clear(venv, cache, tree)))
        self.timed(w, measure, cmds, self.runs_build, 0 if cold else 1, d, project,
                   {str(p): "$PROJECT" for p in copies.values()})
        if not cold and cmds[0].tool == "pex-rs":
            self.note_backends(w, measure, cmds[0])

    def note_backends(self, w: Workload, measure: str, c: Cmd) -> None:
        """Runs a pex-rs build once more (untimed) with -v, which prints `building X` for each build
        backend it starts: a warm build should start none, a build after an edit only the project's."""
        c.ready(self.env)
        p = subprocess.run([*c.argv, "-v"], env=dict(self.env, **c.env), capture_output=True, text=True,
                           timeout=COMMAND_TIMEOUT)
        what = f"{measure} ({w.name}): pex-rs once more with -v"
        if p.returncode:
            self.note(f"{what} failed (exit {p.returncode}): " + " | ".join(p.stderr.strip().splitlines()[-3:]))
            return
        started = [line for line in p.stderr.splitlines() if line.startswith("building ")]
        self.note(f"{what}: " + (f"started {len(started)} build backend(s): " + "; ".join(started) if started
                                 else "started no build backend (no `building` line)"))

    def timed(self, w, measure, cmds, runs, warmup, d, wheels, names: dict[str, str] | None = None) -> None:
        ref = "pex-rs" if any(c.tool == "pex-rs" for c in cmds) else cmds[0].tool
        log(f"[{w.name}] {measure}: {', '.join(c.tool for c in cmds)} ({runs} runs, {warmup} warm-up, "
            f"{self.timer_kind} timer)")
        logdir = d / "logs"
        logdir.mkdir(parents=True, exist_ok=True)
        stats = Timer(self.env, logdir, self.timer_kind).group(measure, cmds, runs, warmup, ref)
        self.record(w, measure, stats, ref, {**self.names(w, d.parent, wheels), **(names or {})}, cmds)

    # -- artifacts for the start, size and repro measures (built untimed from the wheels)

    def artifacts(self, w: Workload, d: Path, wheels: Path) -> dict[str, Path]:
        a = d / "artifacts"
        if (a / "done.json").exists():
            return {k: Path(v) for k, v in json.loads((a / "done.json").read_text()).items()}
        a.mkdir(parents=True, exist_ok=True)
        log(f"[{w.name}] building the artifacts from the wheels (untimed)")
        cache = a / "build-cache"
        pex = [str(self.t / "pex"), "--no-index", "-f", str(wheels), "-r", str(w.lock), *w.entry,
               "--pex-root", str(cache / "pex")]
        builds = {
            "pex": [*pex, "-o", str(a / "pex.pex")],
            "pex-venv": [*pex, "--venv", "-o", str(a / "pex-venv.pex")],
            "pex-venv-shboot": [*pex, "--venv", "--sh-boot", "-o", str(a / "pex-venv-shboot.pex")],
            "shiv": [str(self.t / "shiv"), *w.entry, "-o", str(a / "shiv.pyz"), "--no-index", "--find-links",
                     str(wheels), "-r", str(w.lock)],
        }
        out = {}
        if not self.pexrs.can("wheels"):
            builds = {"pex-rs": self.pexrs_wheel_argv(w, wheels, a / "pex-rs.pex"), **builds}
        for tool, argv in builds.items():
            env = dict(self.env, PIP_CACHE_DIR=str(cache / "pip"), **self.pexrs_env(cache / "pex-rs"))
            p = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=COMMAND_TIMEOUT)
            if p.returncode:
                self.note(f"{w.name}: building the {tool} artifact failed (exit {p.returncode}): "
                          + " | ".join((p.stdout + p.stderr).strip().splitlines()[-3:])[-400:])
                continue
            out[tool] = Path(argv[argv.index("-o") + 1])
        venv = a / "venv"
        p = subprocess.run(f"{shlex.quote(self.py)} -m venv {venv} && {venv}/bin/pip install -q --no-index "
                           f"-f {wheels} -r {w.lock}", shell=True, env=self.env, capture_output=True, text=True)
        if p.returncode:
            self.note(f"{w.name}: building the venv floor failed: {p.stderr.strip()[-300:]}")
        else:
            out["venv"] = venv
        (a / "done.json").write_text(json.dumps({k: str(v) for k, v in out.items()}))
        return out

    def start_cmds(self, w: Workload, art: dict[str, Path], rt: Path) -> list[Cmd]:
        cmds = []
        shbang_path = {"PATH": self.env["PATH"]}  # the target interpreter's dir is first

        def root(tool):
            return {("SHIV_ROOT" if tool == "shiv" else "PEX_ROOT"): str(rt / tool)}

        for tool in ("pex-rs", "pex-rs-sh", "pex", "pex-venv", "pex-venv-shboot", "shiv"):
            if tool == "pex-rs-sh":
                # The pex-rs file executed directly, when it carries a sh header: the header picks
                # the interpreter from PATH (the target interpreter's directory comes first).
                if "pex-rs" in art and re.match(rb"#!\S*sh\b", art["pex-rs"].read_bytes()[:64]):
                    cmds.append(Cmd(tool, [str(art["pex-rs"]), *w.run], {**root(tool), **shbang_path},
                                    [rt / tool]))
            elif tool == "pex-venv-shboot":
                if tool in art:  # pex --venv --sh-boot, executed directly likewise
                    cmds.append(Cmd(tool, [str(art[tool]), *w.run], {**root(tool), **shbang_path}, [rt / tool]))
            elif tool in art:
                cmds.append(Cmd(tool, [self.py, str(art[tool]), *w.run], root(tool), [rt / tool]))
        if "venv" in art:
            cmds.append(Cmd("venv", [str(art["venv"] / w.floor[0]), *w.floor[1:]]))
        cmds.append(Cmd("python", [self.py, "-c", "pass"]))
        return cmds

    def m_start(self, w: Workload, d: Path, wheels: Path, measure: str) -> None:
        art = self.artifacts(w, d, wheels)
        if "pex-rs" not in art:
            self.note(f"start: pex-rs skipped: {self.pexrs.can('wheels') or 'no pex-rs artifact'}")
        warm = measure.endswith("warm")
        md = d / measure
        rt = md / "rt"
        cmds = self.start_cmds(w, art, rt)
        if warm:
            for c in cmds:
                c.clear = []
        # The reference (ratio 1) is the first command: pex-rs when it exists, else pex.
        self.timed(w, measure, cmds, self.runs_start, 2 if warm else 0, md, wheels)

    def m_run(self, w: Workload, d: Path, wheels: Path, measure: str) -> None:
        """`pex-rs run` of the workload's requirements and entry point, again (its PEX is cached and
        its environment installed), against that PEX's own warm start (the reference, ratio 1, as
        `./app.pex`) and `uvx` (`uv tool run`) from the same wheels, also warm."""
        why = self.pexrs.can("requirements")
        if why or w.project or not w.entry or w.entry[0] != "-c":
            self.note(f"{w.name} {measure}: skipped: {why or 'needs a console script entry and no project'}")
            return
        md = d / measure
        md.mkdir(parents=True, exist_ok=True)
        cache = md / "cache"
        env = {**self.pexrs_env(cache), "PATH": self.env["PATH"]}
        # Requirements as words (a requirements file is a local input, which `run` rebuilds from).
        run = [self.pexrs.path, "run", "--no-index", "-f", str(wheels), *w.top, *w.entry, *self.pexrs_python(),
               "--", *w.run]
        subprocess.run(run, env=dict(self.env, **env), check=True, capture_output=True, timeout=COMMAND_TIMEOUT)
        pexes = sorted((cache / "runs" / "v1").glob("*.pex"))
        cmds = [Cmd("pex-rs-sh", [str(pexes[0]), *w.run], env), Cmd("pex-rs-run", run, env)]
        uv_cache = md / "cache-uv"
        cmds.append(Cmd("uvx", [str(self.t / "uv"), "tool", "run", "--offline", "--no-index", "--find-links",
                                str(wheels), "--python", self.py, "--with-requirements", str(w.lock),
                                "--from", w.top[0], w.entry[1], *w.run],
                        self.uv_env(uv_cache)))
        self.timed(w, measure, cmds, self.runs_start, 2, md, wheels)

    EMBED_C = r"""
#include <stdio.h>
#include <string.h>
#include "pex.h"
/* embed OUT LOCK PYTHON CACHE -c|-e VALUE: one build through the C ABI, as `pex-rs build` does. */
int main(int argc, char **argv) {
    if (argc != 7) return 2;
    pex_error *error = pex_error_new();
    pex_build_options *options = pex_build_options_new();
    pex_build_options_add_requirements_file(options, argv[2], error);
    pex_build_options_add_python(options, argv[3], error);
    pex_build_options_set_cache_dir(options, argv[4], error);
    if (strcmp(argv[5], "-c") == 0) pex_build_options_set_script(options, argv[6], error);
    else pex_build_options_set_entry_point(options, argv[6], error);
    int code = pex_build(options, argv[1], NULL, error);
    if (code != PEX_RESULT_OK) fprintf(stderr, "error: %s\n", pex_error_message(error));
    pex_build_options_free(options);
    pex_error_free(error);
    return code == PEX_RESULT_OK ? 0 : 1;
}
"""

    def m_embed(self, w: Workload, d: Path, wheels: Path, measure: str) -> None:
        """The warm build of `build-warm` through the embedding interfaces, each with its own warm
        cache, against `pex-rs build` (the reference): a C program linked to libpex.so that calls
        `pex_build`; a `python` process that imports `pex_rs` (pexffi/python over
        target/release/libpex.so) and calls `pex_rs.build`; and a `python` process that only
        imports `pex_rs`, the interpreter's own share of that row."""
        release = REPO / "target" / "release"
        library = release / "libpex.so"
        why = self.pexrs.can("requirements") or ("" if library.is_file() else
                                                 f"{library} is missing (cargo build --release -p pexffi)")
        if why or not w.entry or w.entry[0] not in ("-c", "-e"):
            self.note(f"{w.name} {measure}: skipped: {why or 'needs a -c or -e entry'}")
            return
        md = d / measure
        md.mkdir(parents=True, exist_ok=True)
        driver = md / "embed"
        (md / "embed.c").write_text(self.EMBED_C)
        subprocess.run(["cc", "-O2", "-I", str(REPO / "pexffi" / "include"), str(md / "embed.c"), "-L", str(release),
                        "-lpex", f"-Wl,-rpath,{release}", "-o", str(driver)], check=True)
        out, cache = md / "pex-rs.pex", md / "cache-pex-rs"
        cmds = [Cmd("pex-rs", [self.pexrs.path, "build", "-r", str(w.lock), *w.entry, *self.pexrs_python(),
                               "-o", str(out), *self.pexrs.cache_flags(cache)], self.pexrs_env(cache), [out])]
        out, cache = md / "c-abi.pex", md / "cache-c-abi"
        cmds.append(Cmd("pex_build (C)", [str(driver), str(out), str(w.lock), self.py, str(cache), *w.entry[:2]],
                        {"PEX_ROOT": str(cache)}, [out]))
        out, cache = md / "binding.pex", md / "cache-binding"
        keyword = "script" if w.entry[0] == "-c" else "entry_point"
        script = ("import sys, pex_rs; out, lock, py, cache, value = sys.argv[1:]; "
                  f"pex_rs.build(out, requirements_files=lock, python=py, cache_dir=cache, {keyword}=value)")
        binding_env = {"PYTHONPATH": str(REPO / "pexffi" / "python"), "PEX_RS_LIBRARY": str(library),
                       "PEX_ROOT": str(cache)}
        cmds.append(Cmd("pex_rs.build", [self.py, "-c", script, str(out), str(w.lock), self.py, str(cache),
                                         w.entry[1]], binding_env, [out]))
        cmds.append(Cmd("python + import", [self.py, "-c", "import pex_rs; pex_rs.version()"], binding_env))
        self.timed(w, measure, cmds, self.runs_build, 1, md, wheels)

    def m_size(self, w: Workload, d: Path, wheels: Path, measure: str) -> None:
        art = self.artifacts(w, d, wheels)
        rt = d / "size-rt"
        rows = []
        for c in self.start_cmds(w, art, rt):
            if c.tool in ("python", "pex-rs-sh"):
                continue
            path = art.get(c.tool)
            row = {"tool": c.tool}
            if c.tool == "venv":
                row["footprint"] = tree_size(path)
                row["note"] = "whole venv, pip included"
                rows.append(row)
                continue
            row["bytes"] = path.stat().st_size
            with zipfile.ZipFile(path) as z:
                infos = z.infolist()
            row["members"] = len(infos)
            row["uncompressed"] = sum(i.file_size for i in infos)
            rm([rt / c.tool])
            p = subprocess.run(c.argv, env=dict(self.env, **c.env), capture_output=True, text=True,
                               timeout=COMMAND_TIMEOUT)
            if p.returncode:
                row["error"] = f"run failed (exit {p.returncode}): {(p.stdout + p.stderr).strip()[-300:]}"
            else:
                row["footprint"] = tree_size(rt / c.tool)
            rows.append(row)
        self.results.append({"workload": w.name, "measure": "size", "rows": rows})
        for r in rows:
            log(f"  {r['tool']:16} {r.get('bytes', '-')} bytes, {r.get('members', '-')} members, "
                f"footprint {r.get('footprint', '-')} {r.get('error', '')}")

    def m_repro(self, w: Workload, d: Path, wheels: Path, measure: str) -> None:
        """A: fresh cache at path 1; B: fresh cache at path 2, wheels copied elsewhere with new mtimes,
        another working directory; C: warm cache 1, at least 2 s after A."""
        d = d / "repro"
        rm([d])
        d.mkdir(parents=True)
        wheels2 = d / "wheels-copy"
        shutil.copytree(wheels, wheels2)
        now = time.time()
        for p in wheels2.iterdir():
            os.utime(p, (now, now))
        (d / "cwd-b").mkdir()

        def builders(wdir: Path, cache: Path, out: Path):
            b = {}
            if not self.pexrs.can("wheels"):
                b["pex-rs"] = ([*self.pexrs_wheel_argv(w, wdir, out), *self.pexrs.cache_flags(cache)],
                               self.pexrs_env(cache))
            b["pex"] = ([str(self.t / "pex"), "--no-index", "-f", str(wdir), "-r", str(w.lock), *w.entry,
                         "--pex-root", str(cache), "-o", str(out)], {})
            shiv = [str(self.t / "shiv"), *w.entry, "-o", str(out), "--no-index", "--find-links", str(wdir),
                    "-r", str(w.lock)]
            b["shiv"] = (shiv, {"PIP_CACHE_DIR": str(cache)})
            b["shiv-reproducible"] = ([*shiv[:1], "--reproducible", *shiv[1:]], {"PIP_CACHE_DIR": str(cache)})
            return b

        if self.pexrs.can("wheels"):
            self.note(f"repro: pex-rs skipped: {self.pexrs.can('wheels')}")
        rows = []
        tools = builders(wheels, d, d).keys()
        for tool in tools:
            hashes, err = [], ""
            t_a = 0.0
            for label, wdir, cache, cwd in (("a", wheels, d / f"{tool}-cache1", d),
                                            ("b", wheels2, d / f"{tool}-cache2", d / "cwd-b"),
                                            ("c", wheels, d / f"{tool}-cache1", d)):
                if label == "c":
                    time.sleep(max(0.0, 2.0 - (time.time() - t_a)))
                out = d / f"{tool}-{label}.out"
                argv, env = builders(wdir, cache, out)[tool]
                t_a = t_a or time.time()
                p = subprocess.run(argv, env=dict(self.env, **env), cwd=cwd, capture_output=True, text=True,
                                   timeout=COMMAND_TIMEOUT)
                if p.returncode:
                    err = f"build {label} failed (exit {p.returncode}): {(p.stdout + p.stderr).strip()[-300:]}"
                    break
                hashes.append(sha256(out))
            row = {"tool": tool, "sha256": hashes}
            if err:
                row["error"] = err
            else:
                row["identical"] = len(set(hashes)) == 1
            rows.append(row)
            log(f"  {tool:18} " + (err or ("identical " + hashes[0][:12] if row["identical"]
                                          else "DIFFERENT " + " ".join(h[:12] for h in hashes))))
        self.results.append({"workload": w.name, "measure": "repro", "rows": rows})

    def run(self, workloads: list[Workload], measures: list[str]) -> None:
        (self.scratch / "tmp").mkdir(parents=True, exist_ok=True)
        for w in workloads:
            # The source measures need the workload's project; the others its closure's wheels,
            # which a project workload, built from source, does not have.
            mine = [m for m in measures if m.startswith("source-") == bool(w.project)]
            if len(mine) < len(measures):
                self.note(f"{w.name}: " + ("a project workload: only the source measures apply" if w.project
                                           else "no project ('# project:'): the source measures skipped"))
            if not mine:
                continue
            d = self.scratch / "runs" / w.name
            rm([d])
            d.mkdir(parents=True)
            inputs = write_project(d / "benchapp") if w.project else self.wheels_dir(w)
            for m in mine:
                fn = {"wheels": self.m_wheels, "build": self.m_build, "resolve": self.m_resolve,
                      "start": self.m_start, "size": self.m_size, "repro": self.m_repro,
                      "targets": self.m_targets, "source": self.m_source, "lock": self.m_lock,
                      "locked": self.m_locked, "run": self.m_run, "embed": self.m_embed}[m.split("-")[0]]
                log(f"[{w.name}] {m}")
                try:
                    fn(w, d, inputs, m)
                except (subprocess.CalledProcessError, subprocess.TimeoutExpired) as e:
                    self.note(f"{w.name} {m}: aborted: {e}")
            if not self.args.keep:
                rm([d])


# --------------------------------------------------------------------------------------------
# report


def fmt_s(v: float) -> str:
    return f"{v:.3f}"


def fmt_mb(b: int) -> str:
    return f"{b / 1e6:.2f}"


def report(raw: dict) -> str:
    """The markdown tables, from the raw results (as written to SCRATCH/results-*.json)."""
    meta = raw["meta"]
    paired = meta["timer"] == "paired"
    out = []
    timer = ("paired timer: the commands of a row group alternate within each round (rotated order), "
             "whole-process wall time, peak RSS of the largest process of the tree"
             if paired else "hyperfine -N, one command after the other")
    out.append(f"Date: {meta['date']}. Timer: {timer}. Runs: builds/resolves {meta['runs_build']}, "
               f"starts {meta['runs_start']}; {'quick mode' if meta['quick'] else 'full mode'}.")
    out.append("")
    how = ("each tool's time divided by the reference tool's time in the same round (median of the "
           "per-round ratios, min-max)" if paired else
           "each tool's median divided by the reference tool's median (not paired: the machine's drift "
           "between the two hyperfine runs goes into it)")
    out.append(f"Seconds, **median (min-max)**. The ratio column is {how}: the reference is pex-rs when it "
               "ran, else the tool named in the heading; a ratio above 1 means slower than the reference.")
    by_measure: dict[str, list[dict]] = {}
    for r in raw["results"]:
        by_measure.setdefault(r["measure"], []).append(r)
    for m in MEASURES:
        if m not in by_measure:
            continue
        out.append("")
        if m == "size":
            out.append("#### size: artifact and runtime footprint")
            out.append("")
            out.append("| workload | tool | artifact MB | zip members | uncompressed MB | footprint MB / files |")
            out.append("|---|---|---:|---:|---:|---:|")
            for r in by_measure[m]:
                for row in r["rows"]:
                    fp = row.get("footprint")
                    fps = f"{fmt_mb(fp[0])} / {fp[1]}" if fp else row.get("error", "-")
                    if row.get("note"):
                        fps += f" ({row['note']})"
                    out.append(f"| {r['workload']} | {row['tool']} | "
                               f"{fmt_mb(row['bytes']) if 'bytes' in row else '-'} | {row.get('members', '-')} | "
                               f"{fmt_mb(row['uncompressed']) if 'uncompressed' in row else '-'} | {fps} |")
            continue
        if m == "repro":
            out.append("#### repro: three builds (fresh cache at path 1; fresh cache at path 2 from a copy "
                       "of the wheels with new mtimes, another cwd; warm cache 1, 2 s later)")
            out.append("")
            out.append("| workload | tool | byte-identical | sha256 |")
            out.append("|---|---|---|---|")
            for r in by_measure[m]:
                for row in r["rows"]:
                    if row.get("error"):
                        out.append(f"| {r['workload']} | {row['tool']} | error | {row['error']} |")
                    else:
                        hs = row["sha256"]
                        out.append(f"| {r['workload']} | {row['tool']} | {'yes' if row['identical'] else 'no'} | "
                                   + (hs[0][:12] if row["identical"] else " ".join(h[:12] for h in hs)) + " |")
            continue
        refs = sorted({r["ref"] for r in by_measure[m]})
        out.append(f"#### {m}: {MEASURE_TITLES[m]} (ratio vs {' / '.join(refs)})")
        out.append("")
        mem = m.startswith(("wheels", "build", "source"))
        out.append("| workload | tool | seconds | ratio |" + (" peak RSS MB |" if mem else ""))
        out.append("|---|---|---:|---:|" + ("---:|" if mem else ""))
        for r in by_measure[m]:
            for row in r["rows"]:
                if row.get("error") and not row.get("times"):
                    out.append(f"| {r['workload']} | {row['tool']} | failed: {row['error'].replace('|', '/')} | |"
                               + (" |" if mem else ""))
                    continue
                if "median" not in row:
                    continue
                sec = f"{fmt_s(row['median'])} ({fmt_s(row['min'])}-{fmt_s(row['max'])})"
                ratio = ""
                if "ratio" in row:
                    ratio = (f"{row['ratio']:.2f}" if row["tool"] == r["ref"] or row["ratio_min"] == row["ratio_max"]
                             else f"{row['ratio']:.2f} ({row['ratio_min']:.2f}-{row['ratio_max']:.2f})")
                line = f"| {r['workload']} | {row['tool']} | {sec} | {ratio} |"
                if mem:
                    rss = row.get("peak_rss_kib")
                    line += f" {rss / 1024:.0f} |" if rss else " |"
                out.append(line)
    if raw["notes"]:
        out.append("")
        out.append("Skipped and failed:")
        out.append("")
        out.extend(f"- {n}" for n in raw["notes"])
    return "\n".join(out) + "\n"


def commands_section(raw: dict) -> str:
    out = ["`$S` is the per-workload scratch directory, `$WHEELS` the downloaded wheels, `$LOCK` the pinned "
           "closure (`bench/workloads/NAME.txt`), `$PY` the target interpreter's real path, `$PROJECT` the "
           "local project of the source measures (benchapp, written by the harness; each tool builds its own "
           "copy); the tools come from the tools venv. Paths that a run removes before each timed run (cold "
           "measures: the output and the cache or runtime root) are removed untimed.", ""]
    for m, tools in raw["commands"].items():
        out.append(f"**{m}** (as run for the first workload; the others differ in ENTRY and ARGS):")
        out.append("")
        out.append("```")
        out.extend(f"{t}: {c}" for t, c in tools.items())
        out.append("```")
        out.append("")
    return "\n".join(out)


def write_docs(raw: dict, body: str) -> Path:
    meta = raw["meta"]
    path = REPO / "docs" / "benchmarks.md"
    info = "\n".join(f"- {k}: {v}" for k, v in meta["machine"].items())
    tools = ", ".join(meta["tools"].values())
    status = ("" if meta["pex-rs-found"] else
              f"**No pex-rs figures yet** ({meta['pex-rs']}): the tables below hold the anchors "
              "(pex, shiv, uv, the venv floor) measured with this harness; pex-rs rows appear, and every "
              "ratio is taken against pex-rs, once the binary exists.\n\n")
    text = f"""# Benchmarks

Generated by `{meta['command']}` (bench/bench.py); edits to this file are overwritten by the next
`--write-docs`. Method and options: `bench/README.md`. These machines are noisy: compare ratios
taken in one run, not absolute seconds across runs.

## Machine

{info}
- tools: {tools}
- pex-rs: {meta['pex-rs']}

## Results

{status}{body}
## Exact commands

{commands_section(raw)}"""
    path.write_text(text)
    return path


# --------------------------------------------------------------------------------------------
# main


def default_scratch() -> Path:
    shm = Path("/dev/shm")
    if shm.is_dir() and os.access(shm, os.W_OK):
        return shm / "pex-rs-bench"
    return Path(os.environ.get("TMPDIR", "/tmp")) / "pex-rs-bench"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--python", help="target interpreter, by its real path (default: python3.11's)")
    common.add_argument("--tools", type=Path, default=DEFAULT_TOOLS, help=f"tools venv (default {DEFAULT_TOOLS})")
    common.add_argument("--no-apt", action="store_true", help="do not apt-get install hyperfine")
    sub.add_parser("setup", parents=[common], help="install pex, shiv, uv (pinned) and hyperfine")
    sub.add_parser("list", parents=[common], help="list workloads and measures")
    r = sub.add_parser("run", parents=[common], help="set up if needed, then measure")
    r.add_argument("names", nargs="*", help="workloads and/or measures (or groups: "
                   + ", ".join(GROUPS) + "); default: all")
    r.add_argument("--quick", action="store_true",
                   help=f"fewer runs, and workloads {' '.join(QUICK_WORKLOADS)} unless named")
    r.add_argument("--scratch", type=Path, default=default_scratch(), help="scratch dir (default: on /dev/shm)")
    r.add_argument("--pex-rs", help="pex-rs binary (default target/release/pex-rs, else pex-rs on PATH)")
    r.add_argument("--timer", choices=["paired", "hyperfine"], default="paired")
    r.add_argument("--runs", type=int, help="timed runs per command (overrides the defaults)")
    r.add_argument("--keep", action="store_true", help="keep artifacts and runtime roots in the scratch dir")
    r.add_argument("--write-docs", action="store_true", help="also write docs/benchmarks.md")
    r.add_argument("--json", type=Path, help="also write the raw results here")
    rp = sub.add_parser("report", help="print the tables of a raw results file again (no measuring)")
    rp.add_argument("results", type=Path, help="a SCRATCH/results-*.json or --json file")
    rp.add_argument("--write-docs", action="store_true", help="also write docs/benchmarks.md")
    args = ap.parse_args()

    wl = all_workloads()
    if args.cmd == "list":
        for w in wl.values():
            print(f"{w.name}: top {' '.join(w.top)}; entry {shlex.join(w.entry) or '-'}; run {shlex.join(w.run)}"
                  + (f"; project {w.project}" if w.project else ""))
        print("measures: " + " ".join(MEASURES))
        print("groups: " + "; ".join(f"{k} = {' '.join(v)}" for k, v in GROUPS.items()))
        return 0
    if args.cmd == "report":
        raw = json.loads(args.results.read_text())
        body = report(raw)
        print(body)
        if args.write_docs:
            log(f"wrote {write_docs(raw, body)}")
        return 0
    py = find_python(args.python)
    tools = args.tools.expanduser().absolute()
    setup(py, tools, apt=not args.no_apt)
    if args.cmd == "setup":
        return 0

    chosen_w, chosen_m = [], []
    for n in args.names:
        if n in wl:
            chosen_w.append(wl[n])
        elif n in GROUPS:
            chosen_m += GROUPS[n]
        elif n in MEASURES:
            chosen_m.append(n)
        else:
            raise SystemExit(f"unknown workload or measure {n!r}; see `bench.py list`")
    if not chosen_w:
        chosen_w = [wl[n] for n in QUICK_WORKLOADS] if args.quick else list(wl.values())
    measures = [m for m in MEASURES if m in chosen_m] if chosen_m else list(MEASURES)
    if args.timer == "hyperfine" and not shutil.which("hyperfine"):
        raise SystemExit("--timer hyperfine: hyperfine is not installed")

    scratch = args.scratch.absolute()
    scratch.mkdir(parents=True, exist_ok=True)
    pexrs = PexRs(args.pex_rs)
    log(f"pex-rs: {pexrs.path or pexrs.missing} {pexrs.version}")
    bench = Bench(args, py, tools, scratch, pexrs)
    meta = {"date": datetime.datetime.now().astimezone().strftime("%Y-%m-%d %H:%M %Z"),
            "command": "python3.11 bench/bench.py " + shlex.join(sys.argv[1:]),
            "machine": machine_info(py, scratch), "tools": tool_versions(tools),
            "pex-rs": f"{pexrs.version} ({pexrs.path})" if pexrs.path else pexrs.missing,
            "pex-rs-found": bool(pexrs.path), "timer": args.timer, "quick": args.quick,
            "runs_build": bench.runs_build, "runs_start": bench.runs_start}
    if "index-url" not in bench.pip:
        log("index: the tools' defaults (no index-url in pip's configuration or environment)")
    t0 = time.time()
    try:
        bench.run(chosen_w, measures)
    except KeyboardInterrupt:
        bench.note("interrupted: partial results")
    log(f"done in {time.time() - t0:.0f} s")
    stamp = datetime.datetime.now().strftime("%Y%m%d-%H%M%S")
    raw = {"meta": meta, "results": bench.results, "notes": bench.notes, "commands": bench.commands}
    body = report(raw)
    print(body)
    (scratch / f"results-{stamp}.json").write_text(json.dumps(raw, indent=1))
    if args.json:
        args.json.write_text(json.dumps(raw, indent=1))
    if args.write_docs:
        log(f"wrote {write_docs(raw, body)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
