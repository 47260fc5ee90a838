# The pex-rs runtime: choosing the interpreter. A PEX may limit the interpreters that run it
# (PEX-INFO `interpreter_constraints`) and hold several wheels of a project, one per target. A
# first start that has such a choice to make (boot.py's _has_choice) loads this module: it checks
# that the running interpreter fits (fit.py), and which wheel of each project it installs; when
# it does not fit, it finds another interpreter on PATH (or PEX_PYTHON, PEX_PYTHON_PATH) that
# does, by probing each (answer.py), and re-executes the boot code there. docs/format.md
# ("Choosing the interpreter") is the specification.
#
# It follows runner.py and boot.py in the boot code's namespace and uses their names; it is
# loaded only by a start that has a choice to make, so the others never pay for it.

class _Fit:
    """Whether the running interpreter can run the PEX: `why` not (None when it can), `chosen`
    (the wheel file names to install when it can), `here` (it, as messages name it), and `tried`
    (the interpreters a search refused, with why)."""

    def __init__(self, pex, info):
        self.constraints = [str(c) for c in info.get("interpreter_constraints") or []]
        self.projects = _projects(info.get("distributions") or {})
        self.targets = [dict(target) for target in info.get("pex_rs_targets") or ()]
        self.tried = []
        _pex_rs_load("fit")
        for text in self.constraints:
            try:
                _constraint(text)
            except ValueError:
                raise _Error("the PEX-INFO of %s has an interpreter constraint this runtime cannot read, %r; "
                             "rebuild it" % (pex, text)) from None
        self.why, self.chosen = _fit(self.constraints, self.projects, self.targets)
        self.here = "%s (%s %s)" % ((os.path.realpath(sys.executable),) + _identity())

    def question(self):
        """The stdin of a probe: the fit code and the call that answers."""
        return "%s\n_answer(%s, %s, %s)\n" % (
            _pex_rs_source("fit"), ascii(self.constraints), ascii(self.projects), ascii(self.targets))


def _is_executable(path):
    return os.path.isfile(path) and os.access(path, os.X_OK)


def _python_names(dirs):
    """python3, python, then each python3.X in dirs, newest first."""
    minors = set()
    for d in dirs:
        try:
            names = os.listdir(d)
        except OSError:
            continue
        minors.update(int(n[8:]) for n in names if n.startswith("python3.") and n[8:].isdigit())
    return ["python3", "python"] + ["python3.%d" % minor for minor in sorted(minors, reverse=True)]


def _candidates():
    """The interpreters to try, in order, where the sh header looks: PEX_PYTHON, then with
    PEX_PYTHON_PATH each of its entries (an interpreter, or a directory holding python3, python
    and python3.X, newest first), else those names on PATH."""
    env = os.environ
    wanted = env.get("PEX_PYTHON")
    if env.get("PEX_PYTHON_PATH"):
        entries = [e for e in env["PEX_PYTHON_PATH"].split(":") if e]
        found = [os.path.join(e, os.path.basename(wanted)) for e in entries if wanted and os.path.isdir(e)]
        for e in entries:
            found += [os.path.join(e, n) for n in _python_names([e])] if os.path.isdir(e) else [e]
    else:
        dirs = [d for d in env.get("PATH", os.defpath).split(":") if d]
        found = []
        for name in ([wanted] if wanted else []) + _python_names(dirs):
            # A name is what `command -v` finds: the first PATH directory that has it.
            on_path = [p for p in (os.path.join(d, name) for d in dirs) if _is_executable(p)]
            found += [name] if "/" in name else on_path[:1]
    return [path for path in found if _is_executable(path)]


def _probe(path, question):
    """Ask the interpreter at path whether it can run the PEX: (how to name it, its executable,
    why it cannot or "")."""
    import subprocess

    try:
        proc = subprocess.run([path, "-E", "-s", "-c", _pex_rs_source("answer")], input=question.encode("ascii"),
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=60)
    except (OSError, subprocess.SubprocessError) as e:
        return path, None, "cannot run it: %s" % e
    # The last three lines: a sitecustomize may print too.
    lines = [os.fsdecode(line) for line in proc.stdout.splitlines()][-3:]
    if proc.returncode or len(lines) != 3:
        # A traceback ends with its message; anything else (a wrapper's complaint) starts with it.
        errors = proc.stderr.decode("utf-8", "replace").strip().splitlines() or ["exit status %d" % proc.returncode]
        return path, None, "cannot run it: %s" % errors[-1 if errors[0].startswith("Traceback") else 0].strip()
    identity, executable, why = lines
    return "%s (%s)" % (os.path.realpath(executable or path), identity), executable or path, why


def _search(fit):
    """The executable of the first candidate that can run the PEX, or None; each one tried is
    added to fit.tried as "<interpreter>: <why not>"."""
    seen = {os.path.realpath(sys.executable)}
    for path in _candidates():
        real = os.path.realpath(path)
        if real in seen:
            continue
        seen.add(real)
        _log("probing %s" % path)
        name, executable, why = _probe(path, fit.question())
        if executable and os.path.realpath(executable) in seen - {real}:
            continue  # a wrapper (a pyenv shim, say) of an interpreter already judged
        seen.add(os.path.realpath(executable or path))
        if not why:
            _log("%s can run it" % name)
            return executable, _version_of(name)
        _log("%s: %s" % (name, why))
        fit.tried.append("%s: %s" % (name, why))
    return None, None


def _version_of(text):
    """(major, minor) of "CPython 3.12.1" (a probe's answer, or pyvenv.cfg's `version`)."""
    try:
        return tuple(int(part) for part in text.split()[-1].split(".")[:2])
    except ValueError:
        return None


def _venv_version(venv):
    """(major, minor) of the interpreter a venv was made for (its pyvenv.cfg), or None."""
    try:
        with open(os.path.join(venv, "pyvenv.cfg")) as cfg:
            for line in cfg:
                key, _, value = line.partition("=")
                if key.strip() == "version":
                    return _version_of(value.strip())
    except OSError:
        pass
    return None


def _run_elsewhere(pex, fit, sh, points_sh):
    """Run the PEX in an interpreter that can, as the running one cannot: the environment `sh`
    names when given and working (no search, as the sh header's warm start), else the first
    candidate that fits, re-executing this boot code there. Raises, naming every interpreter
    tried and why it was refused, when none can."""
    if sh and _is_working_venv(sh):
        _log("%s: %s; running %s" % (fit.here, fit.why, sh))
        options = _python_options(_venv_version(sh))
        _exec([os.path.join(sh, "bin", "python")] + options + [os.path.join(sh, "pex"), pex])
    _log("%s: %s; searching" % (fit.here, fit.why))
    fit.tried.append("%s: %s" % (fit.here, fit.why))
    python, version = _search(fit)
    if python is None:
        raise _Error("no interpreter found that can run %s: %s; install one, or name it with PEX_PYTHON or "
                     "PEX_PYTHON_PATH" % (pex, "; ".join(fit.tried)))
    os.environ[_REEXEC] = ("1" if points_sh else "0") + os.path.realpath(sys.executable)
    _exec([python] + _python_options(version) + ["-S", "-c", _LOADER, pex])


def _fitting(pex, info, entries, info_text, reexec, refuse, sh, points_sh):
    """The entries and the PEX-INFO text of the running interpreter's venv, which holds the
    chosen wheel of each project only. When this interpreter cannot run the PEX, runs it in one
    that can (_run_elsewhere) instead; or raises, when `refuse` (install-only and venv modes make
    the venv of the interpreter they were given) or after a re-exec (which never searches again)."""
    fit = _Fit(pex, info)
    if fit.why:
        if refuse:
            raise _Error("%s cannot run %s: %s; choose another with --python" % (fit.here, pex, fit.why))
        if os.environ.get("PEX_PYTHON"):
            # As in pex: the interpreter PEX_PYTHON names runs the PEX, or nothing does.
            raise _Error("PEX_PYTHON names %s, which cannot run %s: %s; name another, or unset PEX_PYTHON"
                         % (fit.here, pex, fit.why))
        if reexec is not None:
            why = "%s (although %s found that it could)" % (fit.why, reexec[1:])
            raise _Error("%s cannot run %s: %s" % (fit.here, pex, why))
        _run_elsewhere(pex, fit, sh, points_sh)
    _log("%s can run it with %s" % (fit.here, ", ".join(fit.chosen)))
    dists = info.get("distributions") or {}
    if len(fit.chosen) == len(dists):
        return entries, info_text
    entries = [e for e in entries if e.bucket != _INSTALLED_WHEELS or e.sub in fit.chosen]
    installs = info.get("pex_rs_installs") or {}
    chosen = dict(info, distributions={whl: dists[whl] for whl in fit.chosen})
    if installs:
        chosen["pex_rs_installs"] = {whl: installs[whl] for whl in fit.chosen if whl in installs}
    return entries, _info_text(chosen)
