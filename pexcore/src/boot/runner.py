# The pex-rs runtime: the runner, the warm path. It lays sys.path out for the PEX's virtual
# environment in PEX_ROOT and starts the application. That environment keeps this file alone, as
# site-packages/__pex_rs_boot__.py with the PEX's bytecode of it, and its `pex` script calls
# run(): a warm start through the PEX's sh header loads nothing else. A warm `python app.pex`
# comes through __main__.py, which loads this file from the archive and calls start(): the
# application then runs in that same process, from the same environment. docs/format.md ("What
# the runtime does") is the specification.
#
# boot.py (the cold path) and search.py follow this file in one namespace when a start is not
# warm, and use what it defines. Standard library only, CPython 3.8 to 3.13, POSIX only; it
# parses under Python 2.7 too. Importing this file only defines things: every run pays for loading
# it and for every module it imports on the warm path, so that path touches only os, sys, site
# and the C halves of json and sha256.

import os
import sys

_EMPTY_SHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
_VERBOSE = 0

# The PEX_ROOT layout (docs/format.md, "PEX_ROOT"). pexcore's `pex_root` module owns it; its test
# `the_boot_code_agrees` reads these lines, so keep each a plain `NAME = "value"`.
_INSTALLED_WHEELS = "installed_wheels"
_USER_CODE = "user_code"
_VENVS = "venvs"
_LAYOUT = "v1"
_ACCESS_LOCK = ".access.lck"
_LAST_ACCESS = ".last-access"


class _Error(Exception):
    """A problem the user can act on: reported as one line, never as a traceback."""


def _log(msg):
    if _VERBOSE:
        sys.stderr.write("pex-rs: %s\n" % msg)


def _fail(msg, code=1):
    sys.stderr.write("pex-rs: error: %s\n" % msg)
    sys.exit(code)


def _set_verbose():
    global _VERBOSE

    verbose = os.environ.get("PEX_VERBOSE", "").strip()
    _VERBOSE = int(verbose) if verbose.isdigit() else int(bool(verbose))


def _load_json(text):
    # `import json` pulls in `re` and costs about as much as starting Python; the C scanner that
    # json itself uses costs a fraction of a millisecond. The class stands in for a JSONDecoder.
    try:
        from _json import make_scanner

        class _Decoder:
            strict, object_hook, object_pairs_hook = True, None, None
            parse_float, parse_int, parse_constant = float, int, float

        value, end = make_scanner(_Decoder)(text, 0)
        if end == len(text):
            return value
    except Exception:
        pass  # json.loads below gives the real error message, or copes without _json
    import json

    try:
        return json.loads(text)
    except (ValueError, RecursionError) as e:  # RecursionError: nested deeper than Python goes
        raise _Error("PEX-INFO is not valid JSON (%s); rebuild the PEX" % e)


# Control characters (C0, DEL and C1, as Rust's char::is_control) and the Windows separator.
_UNSAFE_CHARACTERS = frozenset([chr(c) for c in range(32)] + [chr(c) for c in range(0x7F, 0xA0)] + ["\\"])


# The longest file name (one path component) file systems take, in bytes.
_NAME_MAX = 255


def _bad_name(name):
    """Why an archive member name would escape or confuse its target directory, or None. Every
    member of a first start passes here: the checks run in C (set and substring operations).
    The same rule as pexcore's `enclosed` (a differential test runs both on one corpus)."""
    if not name or name.startswith("/") or name[1:2] == ":":
        return "absolute, a drive or empty"
    if not _UNSAFE_CHARACTERS.isdisjoint(name):
        return "backslash or control character"
    slashed = "/%s/" % name
    if "//" in slashed or "/./" in slashed or "/../" in slashed:
        return "empty, '.' or '..' component"
    # A character takes at most four bytes: shorter names need no closer look.
    if len(name) > _NAME_MAX // 4 and any(
        len(part.encode("utf-8", "surrogateescape")) > _NAME_MAX for part in name.split("/")
    ):
        return "a component longer than %d bytes" % _NAME_MAX
    return None


def _is_digest(s):
    return isinstance(s, str) and len(s) == 64 and all(c in "0123456789abcdef" for c in s)


class _Entry:
    """One content-addressed directory the PEX needs: <bucket>/v1/<digest>[/<sub>]."""

    def __init__(self, bucket, digest, sub):
        self.bucket, self.digest, self.sub = bucket, digest, sub
        self.path = None  # where it was found or installed

    def locate(self, root):
        path = os.path.join(root, self.bucket, _LAYOUT, self.digest, self.sub).rstrip("/")
        self.path = path if os.path.isdir(path) else None
        return self.path


def _parse_info(text, pex):
    """The PEX-INFO as a dict, and the _Entry of its user code (if any) and of each wheel."""
    info = _load_json(text)
    if not isinstance(info, dict) or info.get("pex_rs_format", 1) != 1:
        raise _Error("%s has a PEX-INFO this runtime does not understand; rebuild it" % pex)
    if not _is_digest(info.get("pex_hash")):
        raise _Error("PEX-INFO of %s has a bad pex_hash %r" % (pex, info.get("pex_hash")))
    dists = info.get("distributions") or {}
    if not isinstance(dists, dict):
        raise _Error("PEX-INFO of %s has a bad distributions field" % pex)
    # An install is named by its wheel's RECORD digest (pex_rs_installs), which commits to every
    # file in it; PEX files built before that field existed name it by the wheel's digest.
    installs = info.get("pex_rs_installs") or {}
    if not isinstance(installs, dict):
        raise _Error("PEX-INFO of %s has a bad pex_rs_installs field" % pex)
    entries = []
    for whl, digest in sorted(dists.items()):
        digest = installs.get(whl, digest)
        if not _is_digest(digest) or "/" in whl or _bad_name(whl):
            raise _Error("PEX-INFO of %s lists a bad distribution %r: %r" % (pex, whl, digest))
        entries.append(_Entry(_INSTALLED_WHEELS, digest, whl))
    code_hash = info.get("code_hash", _EMPTY_SHA256)
    if not _is_digest(code_hash):
        raise _Error("PEX-INFO of %s has a bad code_hash %r" % (pex, code_hash))
    if code_hash != _EMPTY_SHA256:
        entries.insert(0, _Entry(_USER_CODE, code_hash, ""))
    return info, entries



def _entry_points(dist_info):
    """The console_scripts and gui_scripts of one entry_points.txt, as {name: "module:attr"}."""
    scripts, section = {}, None
    try:
        with open(os.path.join(dist_info, "entry_points.txt"), encoding="utf-8") as f:
            lines = f.read().splitlines()
    except OSError:
        return scripts
    for line in lines:
        line = line.strip()
        if line.startswith("[") and line.endswith("]"):
            section = line[1:-1].strip()
        elif section in ("console_scripts", "gui_scripts") and "=" in line and line[0] not in "#;":
            name, value = line.split("=", 1)
            scripts.setdefault(name.strip(), value.split("[", 1)[0].strip())
    return scripts


def _wheel_scripts(wheel_dirs):
    """{name: "module:attr"} of every console and gui script, the first wheel winning."""
    scripts = {}
    for d in wheel_dirs:
        for n in sorted(os.listdir(d)):
            if n.endswith(".dist-info"):
                for name, value in _entry_points(os.path.join(d, n)).items():
                    scripts.setdefault(name, value)
    return scripts


# PEX_ROOT upkeep -------------------------------------------------------------------------------


def _hold_access_lock(root):
    """Hold a shared flock on root/.access.lck for the life of this process (the descriptor is
    never closed): `pex-rs cache prune` takes it exclusively, so it never deletes what a running
    PEX uses."""
    import fcntl

    path = os.path.join(root, _ACCESS_LOCK)
    try:
        fd = os.open(path, os.O_RDONLY | os.O_CREAT, 0o644)
    except OSError:
        try:
            fd = os.open(path, os.O_RDONLY)
        except OSError:
            return  # a read-only root without a lock file: nothing can prune it
    # The lock belongs to the open file, which exec keeps when the descriptor is inheritable: the
    # runner started by boot()'s exec still holds it, with no window for a prune in between.
    os.set_inheritable(fd, True)
    try:
        fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
    except OSError:
        _log("waiting for a prune of %s to finish" % root)
        fcntl.flock(fd, fcntl.LOCK_SH)


def _touch_last_access(venv):
    """Record that the venv was used, at most once an hour: `pex-rs cache prune` removes venvs
    by this date, and a warm start should not write on every run (or at all, read-only)."""
    import time

    path = os.path.join(venv, _LAST_ACCESS)
    try:
        if time.time() - os.stat(path).st_mtime < 3600:
            return
        os.utime(path)
    except OSError:
        try:
            open(path, "a").close()
        except OSError:
            pass


# Where the PEX's environment is -------------------------------------------------------------------


def _default_root():
    """The configured root, absolute; left starting with "~" when there is no home to expand to."""
    root = os.environ.get("PEX_ROOT")
    if not root:
        xdg = os.environ.get("XDG_CACHE_HOME")
        root = os.path.join(xdg if xdg and os.path.isabs(xdg) else "~/.cache", "pex-rs")
    root = os.path.expanduser(root)
    return root if root.startswith("~") else os.path.abspath(root)


def _interpreter_key():
    """The running interpreter's binary and the name of its virtual environment: the first 16 hex
    digits of the sha256 of that binary's real path."""
    if not sys.executable:
        raise _Error("cannot tell which binary runs this Python (sys.executable is empty)")
    exe = os.path.realpath(sys.executable)
    try:
        from _sha256 import sha256  # 3.8 to 3.11; `import hashlib` costs a millisecond
    except ImportError:
        try:
            from _sha2 import sha256  # 3.12+
        except ImportError:
            from hashlib import sha256
    # The cache tag too: an interpreter upgraded in place (3.11 to 3.12 at one path) gets a new
    # environment instead of one laid out for the old version.
    identity = "%s\0%s" % (exe, sys.implementation.cache_tag)
    return exe, sha256(identity.encode("utf-8", "surrogateescape")).hexdigest()[:16]


def _site_packages(venv):
    return os.path.join(venv, "lib", "python%d.%d" % sys.version_info[:2], "site-packages")


# run(): the venv's runner -------------------------------------------------------------------------


def _is_stdlib(path, bases):
    parts = path.split(os.sep)
    if "site-packages" in parts or "dist-packages" in parts:
        return False
    def inside(p):
        return any(p == b or p.startswith(b + os.sep) for b in bases)

    return inside(path) or inside(os.path.realpath(path))


def _scrub_modules(keep, drop):
    """Forget modules imported from dropped sys.path entries (by a sitecustomize, say)."""
    drop = [d.rstrip(os.sep) for d in drop]
    entries = drop + [d.rstrip(os.sep) for d in keep]

    def owner(path):
        # The longest entry wins: a kept /usr/lib/python3.X is inside a dropped PYTHONPATH=/usr.
        path = os.path.abspath(path)
        inside = [d for d in entries if path == d or path.startswith(d + os.sep)]
        return max(inside, key=len) if inside else None

    dropped = set()
    for name, mod in list(sys.modules.items()):
        attrs = getattr(mod, "__dict__", None)
        if name == "__main__" or not isinstance(attrs, dict):
            continue
        file = attrs.get("__file__")
        try:
            paths = [file] if isinstance(file, str) else list(attrs.get("__path__") or ())
        except Exception:
            continue
        if any(isinstance(p, str) and owner(p) in drop for p in paths):
            del sys.modules[name]
            dropped.add(name)
    # Import hooks they installed go with them.
    sys.meta_path[:] = [f for f in sys.meta_path if getattr(f, "__module__", None) not in dropped]
    if dropped:
        _log("dropped host modules: %s" % ", ".join(sorted(dropped)))


def _setup_sys_path(venv, inherit, code_dir, extra, first, in_process):
    """Lay sys.path out as for a script in this virtualenv: the user code where the script's
    directory goes (first, in place of `first`, where python put the runner's or the archive's),
    then the standard library, then site-packages. The venv already leaves the host's
    site-packages and user site out; PYTHONPATH goes too unless inherited. In a `python app.pex`
    process (in_process), the interpreter's own site-packages and user site give way to the
    venv's, as if it had started there."""
    import site

    bases = {sys.base_prefix, sys.base_exec_prefix}
    bases |= {os.path.realpath(b) for b in bases}
    pythonpath = set()
    if not sys.flags.ignore_environment:
        pythonpath = {os.path.abspath(p) for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p}
    std, ours, host, foreign = [], [], [], []
    for i, p in enumerate(sys.path):
        a = os.path.abspath(p)
        if i == 0 and os.path.realpath(a) == os.path.realpath(first):
            continue
        if not p or a in pythonpath:
            host.append(p)
        elif _is_stdlib(a, bases):
            std.append(p)
        else:
            (foreign if in_process else ours).append(p)
    if inherit == "false":
        foreign, host = foreign + host, []
    if foreign:
        _scrub_modules([os.path.abspath(p) for p in std + ours + host], [os.path.abspath(p) for p in foreign])
    # addsitedir appends, and runs the .pth files of each dir while the standard library is
    # importable (their `import` lines may need it); the order is settled afterwards.
    sys.path[:] = std + ours + host
    known = {os.path.normcase(os.path.abspath(p)) for p in sys.path}
    added = []
    venv_site = [_site_packages(venv)] if in_process else []
    for dirs in (venv_site, [code_dir] if code_dir else [], _host_site_dirs() if inherit != "false" else []):
        before = set(sys.path)
        for d in dirs:
            site.addsitedir(d, known)
        added.append([p for p in sys.path if p not in before])
    venv_site, code, host_site = added
    ours += venv_site
    if inherit == "prefer":
        sys.path[:] = code + std + host + host_site + ours
    else:  # "false" (host is empty) or "fallback"
        sys.path[:] = code + std + ours + host + host_site
    sys.path.extend(p for p in extra.split(":") if p)
    _log("sys.path: %s" % sys.path)


def _host_site_dirs():
    """The base interpreter's user site (when enabled) and site-packages."""
    import site

    dirs = []
    if site.check_enableusersite():
        dirs.append(site.getusersitepackages())
    prefixes = [sys.base_prefix] + ([sys.base_exec_prefix] if sys.base_exec_prefix != sys.base_prefix else [])
    dirs += site.getsitepackages(prefixes)
    return [d for d in dirs if os.path.isdir(d)]


def _find_script(name, wheel_dirs, bindir):
    """("entry", "module:attr") or ("file", path) for a script name; raises with the choices."""
    scripts = _wheel_scripts(wheel_dirs)
    if name in scripts:
        return "entry", scripts[name]
    own = {"python", "python3", "python%d.%d" % sys.version_info[:2]}
    path = os.path.join(bindir, name)
    if "/" not in name and name not in own and os.path.isfile(path):
        return "file", path
    available = set(scripts) | (set(os.listdir(bindir)) - own if os.path.isdir(bindir) else set())
    raise _Error("no script %r in this PEX; available: %s" % (name, ", ".join(sorted(available)) or "none"))


def _new_main(file=None):
    # Code run "as the program" gets a fresh, real __main__ module, as python gives it, so that
    # pickle and multiprocessing find what it defines; the runner's globals stay out of its way.
    main = type(sys)("__main__")
    main.__builtins__ = sys.modules["builtins"]
    if file is not None:
        main.__file__ = file
    sys.modules["__main__"] = main
    return main


def _exec_as_main(source, filename, argv, file=None):
    # exec() of a str is what `python -c` does (its filename is "<string>"); the first compile()
    # of a process costs a millisecond more, building the types of the ast module.
    code = source if filename == "<string>" else compile(source, filename, "exec", dont_inherit=True)
    sys.argv = argv
    exec(code, _new_main(file).__dict__)


def _run_module(name, argv, argv0_is_module):
    import runpy

    sys.argv = argv
    _new_main()
    # runpy.run_module(alter_sys=True) would replace sys.argv[0] with the module's file, which
    # `python -m` wants and an entry point does not (argv[0] is the PEX there); this is the
    # function `python -m` itself calls, and it takes that choice as a parameter.
    runpy._run_module_as_main(name, argv0_is_module)


def _run_entry(value, pex, args):
    module, _, attrs = value.partition(":")
    if not attrs:
        return _run_module(module, [pex] + args, False)
    try:
        __import__(module)
    except ModuleNotFoundError as e:
        if e.name != module and not module.startswith("%s." % e.name):
            raise  # the module exists, one of its own imports failed: a traceback helps there
        _fail("entry point %s: no module %s in this PEX" % (value, module))
    func = sys.modules[module]
    for attr in attrs.split("."):
        if not hasattr(func, attr):
            _fail("entry point %s: %s has no attribute %s" % (value, module, attrs))
        func = getattr(func, attr)
    sys.argv = [pex] + args
    sys.exit(func())


def _run_script_file(path, pex, args):
    with open(path, "rb") as f:
        source = f.read()
    first, _, rest = source.partition(b"\n")
    # A python shebang, none, or the /bin/sh one _shebang writes for long paths: run it here.
    # Another shebang, or a program (a native binary such as ruff's, with NUL bytes): exec it.
    native = b"\0" in source[:4096]
    if native or (first.startswith(b"#!") and b"python" not in first and not rest.startswith(b"'''exec' ")):
        sys.stdout.flush()
        sys.stderr.flush()
        os.execv(path, [path] + args)
    _exec_as_main(source, path, [pex] + args, path)


def _interpreter(args):
    """Behave as `python [-c CODE | -m MODULE | SCRIPT | -] [ARGS]` does."""
    # As python does, put the script's directory (or the current one) first, unless -P.
    cwd_first = not getattr(sys.flags, "safe_path", False)
    arg = args[0] if args else None
    if arg is not None and arg[:2] in ("-c", "-m"):
        value, rest = (arg[2:], args[1:]) if len(arg) > 2 else (args[1] if len(args) > 1 else None, args[2:])
        if value is None:
            _fail("argument expected for the %s option" % arg, 2)
        if arg[:2] == "-c":
            if cwd_first:
                sys.path.insert(0, "")
            return _exec_as_main(value, "<string>", ["-c"] + rest)
        if cwd_first:
            sys.path.insert(0, os.getcwd())
        return _run_module(value, [value] + rest, True)
    if arg is not None and arg.startswith("-") and arg != "-":
        _fail("unknown option %s in interpreter mode (supported: -c CODE, -m MODULE, SCRIPT, -)" % arg, 2)
    if arg is not None and arg != "-":
        import runpy

        if not os.access(arg, os.R_OK):
            _fail("can't open file %r" % arg, 2)
        if cwd_first and os.path.isfile(arg):
            sys.path.insert(0, os.path.dirname(os.path.realpath(arg)))
        sys.argv = list(args)
        return runpy.run_path(arg, run_name="__main__")
    if cwd_first:
        sys.path.insert(0, "")
    if arg == "-" or not sys.stdin.isatty():
        return _exec_as_main(sys.stdin.read(), "<stdin>", list(args) or [""])
    sys.argv = [""]
    main = _new_main()
    hook = getattr(sys, "__interactivehook__", None)  # site's: readline, completion, history
    try:
        hook() if hook else __import__("readline")
    except Exception:
        pass
    import code

    code.interact(
        banner='Python %s on %s\nType "help", "copyright", "credits" or "license" for more '
        "information." % (sys.version, sys.platform),
        local=main.__dict__,
        exitmsg="",
    )


def _enter_venv(venv):
    """Make this process look started by the venv's python, as site does for a venv: code that
    runs sys.executable (a subprocess, multiprocessing's spawn) gets the venv's packages too."""
    sys.executable = os.path.join(venv, "bin", "python")
    sys.prefix = sys.exec_prefix = venv


def _prepare(runner, standalone=False, in_process=False):
    """Everything before the application runs; returns how to start it."""
    env = os.environ
    _set_verbose()
    venv = os.path.dirname(os.path.abspath(runner))
    if len(sys.argv) < 2:
        raise _Error("usage: %s PEX [ARGS...] (the runner of the PEX's virtualenv)" % runner)
    pex = os.path.abspath(sys.argv[1])
    try:
        with open(os.path.join(venv, "PEX-INFO"), encoding="utf-8") as f:
            info, entries = _parse_info(f.read(), pex)
    except OSError as e:
        raise _Error("cannot read the PEX-INFO of %s: %s; delete it and run the PEX again" % (venv, e))
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(venv))))
    _log("runner: PEX %s, venv %s" % (pex, venv))
    if not standalone:
        _hold_access_lock(root)
        # Under the lock nothing is pruned any more; it may have been just before it was taken.
        if not os.path.isfile(runner):
            raise _Error("%s was pruned while %s started; run it again" % (venv, pex))
        _touch_last_access(venv)

    inherit = env.get("PEX_INHERIT_PATH") or str(info.get("inherit_path", "false"))
    inherit = {"true": "prefer"}.get(inherit.lower(), inherit.lower())
    if inherit not in ("false", "prefer", "fallback"):
        raise _Error("inherit_path (PEX_INHERIT_PATH) must be false, prefer or fallback, not %r" % inherit)
    code = [os.path.join(root, e.bucket, _LAYOUT, e.digest) for e in entries if e.bucket == _USER_CODE]
    if in_process:
        _enter_venv(venv)
    _setup_sys_path(venv, inherit, code[0] if code else None, env.get("PEX_EXTRA_SYS_PATH", ""),
                    pex if in_process else venv, in_process)

    interpreter = env.get("PEX_INTERPRETER", "").lower() in ("1", "true")
    script, module = env.get("PEX_SCRIPT"), env.get("PEX_MODULE")
    env["PEX"] = pex
    if info.get("strip_pex_env", True):
        for key in [k for k in env if k.startswith("PEX_")]:
            del env[key]

    if interpreter:
        entry = ("interpreter", None)
    elif script:
        entry = ("script", script)
    elif module is not None:
        entry = ("entry", module) if module else ("interpreter", None)
    elif info.get("script"):
        entry = ("script", info["script"])
    elif info.get("entry_point"):
        entry = ("entry", info["entry_point"])
    else:
        entry = ("interpreter", None)
    _log("entry: %s %s" % entry)
    if entry[0] == "script":
        # Only the lookup is guarded: errors raised by the script itself are its own.
        wheel_dirs = [os.path.join(root, e.bucket, _LAYOUT, e.digest, e.sub) for e in entries if e.sub]
        entry = _find_script(entry[1], wheel_dirs, os.path.join(venv, "bin"))
        _log("script: %s %s" % entry)
    return pex, entry


def run(runner, standalone=False, in_process=False):
    """The runner of a PEX's venv (<venv>/pex, called with sys.argv [runner, PEX, ARGS...]):
    lay sys.path out, then run the PEX's entry as the program."""
    if standalone:
        # A venv made by `pex-rs venv` is run as `venv/pex ARGS`: it stands for the PEX itself.
        sys.argv[1:1] = [os.path.abspath(runner)]
    try:
        pex, (kind, value) = _prepare(runner, standalone, in_process)
    except _Error as e:
        _fail(e)
    args = sys.argv[2:]
    if kind == "entry":
        _run_entry(value, pex, args)
    elif kind == "file":
        _run_script_file(value, pex, args)
    else:
        _interpreter(args)


# The variables that send a start to boot() even when the PEX's venv is there: the sh header's warm
# start checks the same ones.
_STEERING = ("PEX_PYTHON", "PEX_PYTHON_PATH", "PEX_VERIFY", "PEX_TOOLS")


def start(pex_info_text):
    """`python app.pex`, from __main__.py: when PEX_ROOT holds the PEX's venv for this interpreter
    and no variable steers the start elsewhere, run the application in this process, from that
    venv, and return True; else return False, and boot() takes over (it reports any problem)."""
    if sys.version_info < (3, 8) or any(os.environ.get(name) for name in _STEERING):
        return False
    pex = os.path.abspath(sys.argv[0])
    try:
        info, _ = _parse_info(pex_info_text, pex)
        _, key = _interpreter_key()
    except _Error:
        return False
    root = _default_root()
    runner = os.path.join(root, _VENVS, _LAYOUT, info["pex_hash"], key, "pex")
    if not os.path.isabs(root) or not os.path.isfile(runner):
        return False
    sys.argv.insert(0, runner)  # as the venv's python gets it: [runner, PEX, ARGS...]
    run(runner, in_process=True)
    return True
