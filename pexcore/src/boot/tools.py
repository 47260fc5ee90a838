# The pex-rs runtime: checking and copying what a PEX installed. PEX_VERIFY=1 (and `pex-rs verify`)
# compares what PEX_ROOT holds for the PEX with the archive and discards what differs, so that the
# install that follows repairs it; `pex-rs venv` copies the PEX's environment into a standalone
# virtual environment. boot() loads this module only for those; it follows runner.py and boot.py
# in the boot code's namespace and uses their names.
import os
import sys


def _differs(zf, info, path):
    """True if the file at path does not hold the member's bytes (or cannot be read)."""
    try:
        with zf.open(info) as member, open(path, "rb") as f:
            while True:
                a, b = member.read(1 << 20), f.read(1 << 20)
                if a != b:
                    return True
                if not a:
                    return False
    except OSError:
        return True


def _discard(path):
    """Take an installed directory away at once (a rename to a name nothing trusts), then delete it."""
    import shutil

    parent, name = os.path.split(path.rstrip("/"))
    doomed = os.path.join(parent, ".%s.%s.tmp" % (name, os.urandom(8).hex()))
    os.rename(path, doomed)
    shutil.rmtree(doomed, ignore_errors=True)


def _verify(zf, root, entries, venv, report):
    """PEX_VERIFY: compare every installed file with the archive's copy; an entry with a missing
    or different file is discarded, and so is a venv with a broken link, so that the install
    that follows puts them back. report(path, problem or None) is told about each."""
    import fcntl

    def discard_locked(vdir, name, inode):
        # Under the entry's lock, and only the very directory we checked: a concurrent verify
        # may have replaced it with a good copy meanwhile (or removed it already).
        fd = os.open(os.path.join(vdir, ".%s.lck" % name), os.O_RDONLY | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            try:
                if os.stat(os.path.join(vdir, name)).st_ino == inode:
                    _discard(os.path.join(vdir, name))
            except FileNotFoundError:
                pass
        finally:
            os.close(fd)

    groups = _member_groups(zf)
    for e in entries:
        if not e.locate(root):
            report(os.path.join(root, e.bucket, _LAYOUT, e.digest, e.sub).rstrip("/"), "missing")
            continue
        vdir = os.path.join(root, e.bucket, _LAYOUT)
        inode = os.stat(os.path.join(vdir, e.digest)).st_ino
        # Bytecode the PEX carries may be missing: the entry was installed by a PEX built for
        # other interpreters, and works as well (Python compiles what it imports).
        bad = [rel for name, rel, info in groups.get(e.sub or None, [])
               if not name.endswith("/")
               and not (rel.endswith(".pyc") and not os.path.lexists(os.path.join(e.path, rel)))
               and _differs(zf, info, os.path.join(e.path, rel))]
        if not bad:
            report(e.path, None)
            continue
        discard_locked(vdir, e.digest, inode)
        report(e.path, "%d file(s) missing or changed, e.g. %s" % (len(bad), bad[0]))
    if os.path.isdir(venv):
        inode = os.stat(venv).st_ino
        site_packages = _site_packages(venv)
        broken = [n for n in (os.listdir(site_packages) if os.path.isdir(site_packages) else ())
                  if not os.path.exists(os.path.join(site_packages, n))]
        if not os.path.isdir(site_packages) or broken or not os.path.isfile(os.path.join(venv, "pex")):
            discard_locked(os.path.dirname(venv), os.path.basename(venv), inode)
            report(venv, "broken (%s)" % (", ".join(broken[:3]) or "incomplete"))
        else:
            report(venv, None)


def _standalone_venv(pex, dest, scope, venv, info):
    """`pex-rs venv`: make dest a virtual environment that holds copies of this PEX, nothing
    linked into PEX_ROOT, for container images: scope `deps` lays out the interpreter and the
    wheels, `srcs` adds the user code and the runner (`dest/pex`) to such a venv, `all` both.
    `venv` is this PEX's venv in PEX_ROOT, already installed: its parts are copied from there."""
    import shutil
    import zipfile

    dest = os.path.abspath(dest)
    with open(os.path.join(venv, "PEX-INFO"), encoding="utf-8") as f:
        root_info = f.read()
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(venv))))
    _, entries = _parse_info(root_info, pex)
    for e in entries:
        e.locate(root)
    wheel_dirs = [e.path for e in entries if e.bucket == _INSTALLED_WHEELS]
    code_dirs = [e.path for e in entries if e.bucket == _USER_CODE]
    # The venv's own PEX-INFO names no PEX_ROOT entries: everything is inside it.
    own_text = _info_text(dict(info, distributions={}, code_hash=_EMPTY_SHA256))
    if scope in ("all", "deps"):
        if os.path.exists(dest) and os.listdir(dest):
            raise _Error("%s exists and is not empty; remove it or choose another directory" % dest)
        parent = os.path.dirname(dest)
        os.makedirs(parent, exist_ok=True)
        tmp = os.path.join(parent, ".%s.%s.tmp" % (os.path.basename(dest), os.urandom(8).hex()))
        os.mkdir(tmp)
        try:
            with zipfile.ZipFile(pex) as zf:
                boot = _boot_source(zf, pex)
            exe, _ = _interpreter_key()
            _make_venv(tmp, dest, exe, wheel_dirs, boot, own_text, info["pex_hash"], standalone=True)
            if scope == "deps":  # the runner comes with the sources
                os.unlink(os.path.join(tmp, "pex"))
            if os.path.isdir(dest):
                os.rmdir(dest)
            os.rename(tmp, dest)
        finally:
            if os.path.lexists(tmp):
                shutil.rmtree(tmp, ignore_errors=True)
    elif not os.path.isfile(os.path.join(dest, "pyvenv.cfg")):
        raise _Error("%s is not a virtual environment; make one with --scope deps first" % dest)
    if scope in ("all", "srcs"):
        site_packages = _site_packages(dest)
        for d in code_dirs:
            _link_tree(site_packages, site_packages, [d], ("__pycache__",), copies=True)
        if scope == "srcs":
            _write(os.path.join(dest, "PEX-INFO"), own_text)
            _write_runner(dest, os.path.join(dest, "bin", "python"), True)


def _verify_installed(pex, root, entries, venv, install_only):
    """PEX_VERIFY=1: check what root holds for this PEX against the archive and discard what is
    damaged, so the install that follows repairs it. `pex-rs verify` (install-only) gets one
    line per entry on stdout; a normal run only hears of repairs, on stderr."""
    import zipfile

    def report(path, problem):
        if install_only:
            print("%s %s%s" % ("repaired" if problem else "ok", path, ": " + problem if problem else ""))
        elif problem:
            sys.stderr.write("pex-rs: repairing %s: %s\n" % (path, problem))

    try:
        with zipfile.ZipFile(pex) as zf:
            _verify(zf, root, entries, venv, report)
    except (OSError, zipfile.BadZipFile) as e:
        raise _Error("cannot verify %s against %s: %s" % (root, pex, e)) from None
    sys.stdout.flush()
