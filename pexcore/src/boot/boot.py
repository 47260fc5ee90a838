# The pex-rs runtime. The builder writes this file as the PEX's __main__.py, followed by one
# line `boot("<PEX-INFO JSON>")`; docs/format.md ("What the runtime does") is its specification.
#
# Standard library only, CPython 3.8 to 3.13, POSIX only (installs are serialised with
# fcntl.flock). Importing this file only defines things: every PEX run pays for compiling it and
# for every module it imports on the warm path, so the warm path touches only os, sys, site and
# the C half of json, and everything an install needs (zipfile, threads, locks) is imported late.

import os
import sys

_EMPTY_SHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
_VERBOSE = 0


class _Error(Exception):
    """A problem the user can act on: reported as one line, never as a traceback."""


def _log(msg):
    if _VERBOSE:
        sys.stderr.write("pex-rs: %s\n" % msg)


def _fail(msg, code=1):
    sys.stderr.write("pex-rs: error: %s\n" % msg)
    sys.exit(code)


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
    except ValueError as e:
        raise _Error("PEX-INFO is not valid JSON (%s); rebuild the PEX" % e)


def _bad_name(name):
    """Why an archive member name would escape or confuse its target directory, or None."""
    if not name or name.startswith("/"):
        return "absolute or empty"
    if any(c == "\\" or ord(c) < 32 or ord(c) == 127 for c in name):
        return "backslash or control character"
    if any(part in ("", ".", "..") for part in name.split("/")):
        return "empty, '.' or '..' component"
    return None


def _is_digest(s):
    return isinstance(s, str) and len(s) == 64 and all(c in "0123456789abcdef" for c in s)


def _default_root():
    """The configured root, absolute; left starting with "~" when there is no home to expand to."""
    root = os.environ.get("PEX_ROOT")
    if not root:
        xdg = os.environ.get("XDG_CACHE_HOME")
        root = os.path.join(xdg if xdg and os.path.isabs(xdg) else "~/.cache", "pex-rs")
    root = os.path.expanduser(root)
    return root if root.startswith("~") else os.path.abspath(root)


class _Entry:
    """One content-addressed directory the PEX needs: <bucket>/v1/<digest>[/<sub>]."""

    def __init__(self, bucket, digest, sub):
        self.bucket, self.digest, self.sub = bucket, digest, sub
        self.path = None  # where it was found or installed

    def locate(self, root):
        path = os.path.join(root, self.bucket, "v1", self.digest, self.sub)
        if os.path.isdir(path):
            self.path = path.rstrip("/")
        return self.path


def _extract(zf, members, dest):
    import shutil

    made = set()
    for name, rel, info in members:
        is_dir = name.endswith("/")  # pex-rs writes no directory entries; other zips may
        if is_dir and not rel.strip("/"):
            continue
        why = _bad_name(rel.rstrip("/") if is_dir else rel)
        if why:
            raise _Error("unsafe member name %r in the archive (%s); refusing to install it" % (name, why))
        target = os.path.join(dest, rel)
        if is_dir:
            os.makedirs(target, exist_ok=True)
            continue
        parent = os.path.dirname(target)
        if parent not in made:
            os.makedirs(parent, exist_ok=True)
            made.add(parent)
        with zf.open(info) as src, open(target, "wb") as dst:
            shutil.copyfileobj(src, dst, 1 << 20)
        # Wheel members keep the wheel's own modes (they are copied raw into the PEX); scripts
        # are made executable here, as installers do.
        if (info.external_attr >> 16) & 0o111 or rel.startswith(".prefix/bin/"):
            os.chmod(target, 0o755)


def _install(zf, root, entry, members):
    import fcntl
    import shutil

    vdir = os.path.join(root, entry.bucket, "v1")
    final = os.path.join(vdir, entry.digest)
    # The lock is only ever taken, never deleted: deleting it would let two installers hold
    # "the" lock on different inodes. flock, not fcntl locks: those are per process, and the
    # installs of one process run in threads.
    fd = os.open(os.path.join(vdir, ".%s.lck" % entry.digest), os.O_RDONLY | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        if entry.locate(root):
            return False  # another process installed it while we waited
        if os.path.lexists(final):
            raise _Error("%s exists but lacks %s; delete it and run again" % (final, entry.sub))
        # Holding the lock, any temp dir of this digest belongs to an installer that died.
        stale = ".%s." % entry.digest
        for name in os.listdir(vdir):
            if name.startswith(stale) and name.endswith(".tmp"):
                shutil.rmtree(os.path.join(vdir, name), ignore_errors=True)
        tmp = os.path.join(vdir, ".%s.%s.tmp" % (entry.digest, os.urandom(8).hex()))
        os.mkdir(tmp)
        try:
            _extract(zf, members, os.path.join(tmp, entry.sub))
            try:
                os.rename(tmp, final)  # the only step that publishes: a crash before it leaves a .tmp
            except OSError:
                if not entry.locate(root):
                    raise
                return False  # published meanwhile by an installer that does not take the lock
        finally:
            if os.path.lexists(tmp):
                shutil.rmtree(tmp, ignore_errors=True)
        return bool(entry.locate(root))
    finally:
        os.close(fd)


def _install_all(pex, root, entries):
    import time
    import zipfile
    import zlib

    start = time.time()
    for bucket in {e.bucket for e in entries}:
        os.makedirs(os.path.join(root, bucket, "v1"), exist_ok=True)
    try:
        zf = zipfile.ZipFile(pex)
    except (OSError, zipfile.BadZipFile) as e:
        raise _Error("cannot read %s as a zip archive: %s" % (pex, e))
    with zf:
        # One pass over the directory, split into the members of each entry.
        groups = {}
        for info in zf.infolist():
            name = info.filename
            if name.startswith(".deps/"):
                whl, _, rest = name[6:].partition("/")
                groups.setdefault(whl, []).append((name, rest, info))
            elif name not in ("__main__.py", "PEX-INFO"):
                groups.setdefault(None, []).append((name, name, info))

        def job(entry):
            try:
                return _install(zf, root, entry, groups.get(entry.sub or None, []))
            except (zipfile.BadZipFile, zlib.error, EOFError) as e:
                raise _Error("%s is corrupt: %s; rebuild or download it again" % (pex, e))

        if len(entries) == 1:
            done = [job(entries[0])]
        else:
            from concurrent.futures import ThreadPoolExecutor

            with ThreadPoolExecutor(min(len(entries), os.cpu_count() or 1)) as pool:
                done = list(pool.map(job, entries))
    for entry, did in zip(entries, done):
        _log("%s %s" % ("installed" if did else "found (installed concurrently)", entry.path))
    _log("installed %d entries in %.0f ms" % (sum(done), (time.time() - start) * 1000))


def _ensure_installed(pex, root, entries):
    usable = os.path.isabs(root)
    missing = [e for e in entries if not (usable and e.locate(root))]
    if not missing:
        return
    why = "no home directory to expand ~ to"
    if usable:
        import errno

        try:
            return _install_all(pex, root, missing)
        except OSError as e:
            # The root cannot be created or written; other errors (a full disk) are the
            # machine's problem, not the root's, and a temporary root would not help.
            if e.errno not in (errno.EACCES, errno.EPERM, errno.EROFS, errno.ENOTDIR, errno.EEXIST):
                raise _Error("cannot install into %s: %s" % (root, e))
            why = e.strerror
    import atexit
    import shutil
    import tempfile

    tmp = tempfile.mkdtemp(prefix="pex-rs-root.")
    pid = os.getpid()
    # A forked child that exits normally must not delete the root its parent still runs from.
    atexit.register(lambda: os.getpid() == pid and shutil.rmtree(tmp, ignore_errors=True))
    sys.stderr.write(
        "pex-rs: warning: PEX_ROOT %s is not writable (%s); using the temporary root %s for "
        "this run; set PEX_ROOT to a writable directory to install only once\n" % (root, why, tmp))
    try:
        _install_all(pex, tmp, [e for e in missing if not (usable and e.locate(root))])
    except OSError as e:
        raise _Error("cannot install into %s: %s" % (tmp, e))


def _is_stdlib(path, bases):
    parts = path.split(os.sep)
    if "site-packages" in parts or "dist-packages" in parts:
        return False
    inside = lambda p: any(p == b or p.startswith(b + os.sep) for b in bases)
    return inside(path) or inside(os.path.realpath(path))


def _scrub_modules(keep, drop):
    """Forget host modules imported from dropped sys.path entries (by site, .pth files, ...)."""
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
    # Import hooks installed by host .pth files (setuptools' distutils shim, ...) go with them.
    sys.meta_path[:] = [f for f in sys.meta_path if getattr(f, "__module__", None) not in dropped]
    if dropped:
        _log("dropped host modules: %s" % ", ".join(sorted(dropped)))


def _setup_sys_path(pex, inherit, code_dirs, wheel_dirs, extra):
    """Lay sys.path out as a virtualenv would: the user code where a script's directory goes
    (first), then the standard library, then the wheels where site-packages goes, so a wheel
    can never shadow the standard library (a `typing` or `enum34` backport, say)."""
    import site

    bases = {sys.base_prefix, sys.base_exec_prefix}
    bases |= {os.path.realpath(b) for b in bases}
    pythonpath = set()
    if not sys.flags.ignore_environment:
        pythonpath = {os.path.abspath(p) for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p}
    std, host = [], []
    for p in sys.path:
        a = os.path.abspath(p)
        if a == pex:
            continue  # the zip itself: its root holds user code that we run from PEX_ROOT
        (std if p and a not in pythonpath and _is_stdlib(a, bases) else host).append(p)
    if inherit == "false":
        _scrub_modules([os.path.abspath(p) for p in std], [os.path.abspath(p) for p in host] + [pex])
        host = []
    # addsitedir appends, and runs the .pth files of each dir while the standard library is
    # importable (their `import` lines may need it); the order is settled afterwards.
    sys.path[:] = std + host
    known = {os.path.normcase(os.path.abspath(p)) for p in sys.path}
    added = []
    for dirs in (code_dirs, wheel_dirs):
        before = set(sys.path)
        for d in dirs:
            site.addsitedir(d, known)
        added.append([p for p in sys.path if p not in before])
    code, wheels = added
    if inherit == "prefer":
        sys.path[:] = code + std + host + wheels
    else:  # "false" (host is empty) or "fallback"
        sys.path[:] = code + std + wheels + host
    sys.path.extend(p for p in extra.split(":") if p)
    _log("sys.path: %s" % sys.path)


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


def _find_script(name, wheel_dirs):
    """("entry", "module:attr") or ("file", path) for a script name; raises with the choices."""
    available = set()
    for d in wheel_dirs:
        for n in sorted(os.listdir(d)):
            if n.endswith(".dist-info"):
                scripts = _entry_points(os.path.join(d, n))
                if name in scripts:
                    return "entry", scripts[name]
                available.update(scripts)
    for d in wheel_dirs:
        bindir = os.path.join(d, ".prefix", "bin")
        path = os.path.join(bindir, name)
        if "/" not in name and os.path.isfile(path):
            return "file", path
        if os.path.isdir(bindir):
            available.update(os.listdir(bindir))
    raise _Error("no script %r in this PEX; available: %s" % (name, ", ".join(sorted(available)) or "none"))


def _new_main(file=None):
    # Code run "as the program" gets a fresh, real __main__ module, as python gives it, so that
    # pickle and multiprocessing find what it defines; boot's own globals stay out of its way.
    main = type(sys)("__main__")
    main.__builtins__ = sys.modules["builtins"]
    if file is not None:
        main.__file__ = file
    sys.modules["__main__"] = main
    return main


def _exec_as_main(source, filename, argv, file=None):
    code = compile(source, filename, "exec", dont_inherit=True)
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
    first = source.split(b"\n", 1)[0]
    if first.startswith(b"#!") and b"python" not in first:
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


def _prepare(pex_info_text):
    """Everything before the application runs; returns how to start it."""
    global _VERBOSE

    env = os.environ
    verbose = env.get("PEX_VERBOSE", "").strip()
    _VERBOSE = int(verbose) if verbose.isdigit() else int(bool(verbose))
    pex = os.path.abspath(sys.argv[0])
    info = _load_json(pex_info_text)
    if not isinstance(info, dict) or info.get("pex_rs_format", 1) != 1:
        raise _Error("%s has a PEX-INFO this runtime does not understand; rebuild it" % pex)

    dists = info.get("distributions") or {}
    if not isinstance(dists, dict):
        raise _Error("PEX-INFO of %s has a bad distributions field" % pex)
    entries = []
    for whl, digest in sorted(dists.items()):
        if not _is_digest(digest) or "/" in whl or _bad_name(whl):
            raise _Error("PEX-INFO of %s lists a bad distribution %r: %r" % (pex, whl, digest))
        entries.append(_Entry("installed_wheels", digest, whl))
    code_hash = info.get("code_hash", _EMPTY_SHA256)
    if not _is_digest(code_hash):
        raise _Error("PEX-INFO of %s has a bad code_hash %r" % (pex, code_hash))
    if code_hash != _EMPTY_SHA256:
        entries.insert(0, _Entry("user_code", code_hash, ""))

    root = _default_root()
    _log("PEX %s, PEX_ROOT %s" % (pex, root))
    _ensure_installed(pex, root, entries)

    inherit = env.get("PEX_INHERIT_PATH") or str(info.get("inherit_path", "false"))
    inherit = {"true": "prefer"}.get(inherit.lower(), inherit.lower())
    if inherit not in ("false", "prefer", "fallback"):
        raise _Error("inherit_path (PEX_INHERIT_PATH) must be false, prefer or fallback, not %r" % inherit)
    code_dirs = [e.path for e in entries if e.bucket == "user_code"]
    wheel_dirs = [e.path for e in entries if e.bucket == "installed_wheels"]
    _setup_sys_path(pex, inherit, code_dirs, wheel_dirs, env.get("PEX_EXTRA_SYS_PATH", ""))

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
    return pex, entry, wheel_dirs


def boot(pex_info_text):
    """Install what the PEX needs into PEX_ROOT if missing, isolate sys.path, run the entry."""
    try:
        pex, (kind, value), wheel_dirs = _prepare(pex_info_text)
        if kind == "script":
            # Only the lookup is guarded: errors raised by the script itself are its own.
            kind, value = _find_script(value, wheel_dirs)
            _log("script: %s %s" % (kind, value))
    except _Error as e:
        _fail(e)
    args = sys.argv[1:]
    if kind == "entry":
        _run_entry(value, pex, args)
    elif kind == "file":
        _run_script_file(value, pex, args)
    else:
        _interpreter(args)
