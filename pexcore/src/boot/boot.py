# The pex-rs runtime: boot(), the cold path. __main__.py loads it after runner.py, into the same
# namespace, when a start is not a warm `python app.pex` one; it uses runner.py's definitions.
# boot() makes sure PEX_ROOT holds the PEX's wheels, its user code and a virtual environment for
# the running interpreter, then execs that environment's python on its `pex` runner; when the
# PEX's interpreter constraints or wheels rule the running interpreter out, search.py finds one
# that fits. It also serves `pex-rs extract`, `verify` and `venv`. Everything an install needs
# (zipfile, processes, locks) is imported late.

# Where the boot modules and their bytecode (for one interpreter, by its cache tag) are in the
# archive: __main__.py's _PEX_RS_MODULE and _PEX_RS_BYTECODE, which a unit test compares.
_MODULE = "__pex_rs__/%s.py"
_MODULE_BYTECODE = "__pex_rs__/__pycache__/%s.%s.pyc"
_BOOT_DIRECTORY = "__pex_rs__/"
_INSTALL_ONLY = "__PEX_RS_INSTALL_ONLY"
_STANDALONE = "__PEX_RS_VENV"  # `pex-rs venv`: make a standalone venv there (and _SCOPE)


# Installs ---------------------------------------------------------------------------------------


# Members bigger than this are streamed through zipfile rather than read whole into memory.
_WHOLE_MEMBER = 64 << 20
# An install of fewer files than this is not shared out between processes: a fork and a wait
# would cost more than they save.
_FORK_FILES = 256


def _nfc(text):
    import unicodedata

    return unicodedata.normalize("NFC", text)


def _files_of(members, dest):
    """Check the members' names and make their directories under dest; returns what
    _write_files writes: (member name, target path, make executable, ZipInfo) of each file."""
    files, dirs, folded = [], set(), {}
    for name, rel, info in members:
        is_dir = name.endswith("/")  # pex-rs writes no directory entries; other zips may
        rel = rel[:-1] if is_dir else rel
        if is_dir and not rel:
            continue
        why = _bad_name(rel)
        if why:
            raise _Error("unsafe member name %r in the archive (%s); refusing to install it" % (name, why))
        if not is_dir:
            if (info.external_attr >> 16) & 0o170000 == 0o120000:
                raise _Error("member %r of the archive is a symbolic link; refusing to install it" % name)
            # The same name twice, or one file where names ignore case or Unicode normalisation
            # (macOS, Windows): the install would keep one of the two.
            key = (rel if rel.isascii() else _nfc(rel)).lower()
            first = folded.setdefault(key, name)
            if first is not name:
                raise _Error("members %r and %r of the archive are one file (the same name, or names that differ"
                             " only by case or Unicode normalisation); refusing to install it" % (first, name))
        parent = rel if is_dir else os.path.dirname(rel)
        while parent and parent not in dirs:
            dirs.add(parent)
            parent = os.path.dirname(parent)
        if not is_dir:
            # Wheel members keep the wheel's own modes (they are copied raw into the PEX);
            # scripts are made executable, as installers do.
            executable = bool((info.external_attr >> 16) & 0o111) or rel.startswith(".prefix/bin/")
            files.append((name, os.path.join(dest, rel), executable, info))
    os.makedirs(dest, exist_ok=True)
    for d in sorted(dirs):  # a parent sorts before its children
        try:
            os.mkdir(os.path.join(dest, d))
        except FileExistsError:
            pass
    return files


def _is_direct(info):
    """True for a member _write_files reads itself (one pread, one zlib call); the others go
    through zipfile."""
    return (info.compress_type in (0, 8) and not info.flag_bits & 1 and info.compress_size <= _WHOLE_MEMBER
            and info.file_size <= _WHOLE_MEMBER)


def _write_files(zf, files, parent=None):
    """Write each file of _files_of. A first start spends most of its time here: a member is read
    with one pread and inflated with one zlib call rather than through zipfile's file objects,
    which cost several times more per member in Python; the archive's CRC-32 is checked all the
    same. In a child of _write_all (parent = its pid), stops when that process is gone."""
    import struct
    import zipfile
    import zlib

    fd = zf.fp.fileno()
    for name, target, executable, info in files:
        if parent is not None and os.getppid() != parent:
            raise _Error("the installing process is gone")
        size = info.compress_size
        if _is_direct(info):
            raw_name = info.orig_filename.encode("utf-8" if info.flag_bits & 0x800 else "cp437")
            # The local header (30 bytes, the name, an extra field) precedes the data; one read
            # takes all of it when the extra field is as short as usual.
            head = 30 + len(raw_name)
            buf = os.pread(fd, head + 256 + size, info.header_offset)
            if len(buf) < 30 or buf[:4] != b"PK\x03\x04" or buf[30:head] != raw_name:
                raise zipfile.BadZipFile("bad local header for %s" % name)
            start = head + struct.unpack("<H", buf[28:30])[0]
            data = buf[start:start + size]
            if len(data) < size:
                data = os.pread(fd, size, info.header_offset + start)
            if len(data) != size:
                raise zipfile.BadZipFile("truncated member %s" % name)
            if info.compress_type == zipfile.ZIP_DEFLATED:
                # Never more than the size the directory claims (plus one byte, to notice more):
                # a hostile member cannot make this process inflate gigabytes.
                data = zlib.decompressobj(-15).decompress(data, info.file_size + 1)
            if len(data) != info.file_size or zlib.crc32(data) != info.CRC:
                raise zipfile.BadZipFile("bad CRC-32 for %s" % name)
            out = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o666)
            try:
                view = memoryview(data)
                while view:
                    view = view[os.write(out, view):]
            finally:
                os.close(out)
        else:
            with zf.open(info) as src, open(target, "wb") as dst:
                written = 0
                for chunk in iter(lambda: src.read(1 << 20), b""):
                    written += len(chunk)
                    if written > info.file_size:  # zipfile checks the CRC only at the end
                        raise zipfile.BadZipFile("%s is larger than its directory entry says" % name)
                    dst.write(chunk)
            if written != info.file_size:
                raise zipfile.BadZipFile("%s is smaller than its directory entry says" % name)
        if executable:
            os.chmod(target, 0o755)


def _write_all(zf, files):
    """_write_files for every file, shared out between processes, one per CPU: decompressing
    and writing thousands of files is CPU work, and threads would share one GIL. Members that
    go through zipfile stay in this process (the children must not move the shared file's
    offset). Raises the first child's error, as this process's would be."""
    import zipfile
    import zlib

    count = min(os.cpu_count() or 1, 8)
    if count < 2 or len(files) < _FORK_FILES or not hasattr(os, "fork"):
        _write_files(zf, files)
        return
    shares = [[] for _ in range(count)]
    weights = [0] * count
    for item in sorted(files, key=lambda item: -item[3].compress_size):
        info = item[3]
        k = weights.index(min(weights)) if _is_direct(info) else 0
        shares[k].append(item)
        weights[k] += info.compress_size + 8192  # a file costs about what 8 KB of data does
    read_end, write_end = os.pipe()
    me, children = os.getpid(), []
    try:
        for share in shares[1:]:
            pid = os.fork()
            if pid == 0:  # the child: write its share, report an error on the pipe, never return
                status = 1
                try:
                    os.close(read_end)
                    _write_files(zf, share, me)
                    status = 0
                except BaseException as e:
                    corrupt = isinstance(e, (zipfile.BadZipFile, zlib.error, EOFError))
                    message = "%s%s\n" % ("corrupt: " if corrupt else "", e)
                    os.write(write_end, message.encode("utf-8", "replace"))
                finally:
                    os._exit(status)
            children.append(pid)
        os.close(write_end)
        write_end = None
        _write_files(zf, shares[0])
    finally:
        failed = False
        for pid in children:
            failed |= os.waitpid(pid, 0)[1] != 0
        if write_end is not None:
            os.close(write_end)
        with os.fdopen(read_end, "rb") as pipe:
            report = pipe.read().decode("utf-8", "replace").splitlines()
    if failed:
        first = report[0] if report else "an installing process failed"
        if first.startswith("corrupt: "):
            raise zipfile.BadZipFile(first[len("corrupt: "):])
        raise OSError(first)


class _Claim:
    """The right to create vdir/name, atomically: an exclusive flock on vdir/.<name>.lck and a
    fresh vdir/.<name>.<random>.tmp/ to fill, which publish() renames to vdir/name."""

    def __init__(self, vdir, name, is_done):
        self.vdir, self.name, self.is_done = vdir, name, is_done
        self.final = os.path.join(vdir, name)
        self.fd = self.tmp = None

    def take(self):
        """Lock, and make the temporary directory unless is_done() (another process made the
        entry while we waited); returns whether this process is to make it."""
        import fcntl
        import shutil

        # The lock is only ever taken, never deleted: deleting it would let two installers hold
        # "the" lock on different inodes. flock, not fcntl locks: those are per process.
        self.fd = os.open(os.path.join(self.vdir, ".%s.lck" % self.name), os.O_RDONLY | os.O_CREAT, 0o644)
        fcntl.flock(self.fd, fcntl.LOCK_EX)
        if self.is_done():
            return False
        if os.path.lexists(self.final):
            raise _Error("%s exists but is incomplete; delete it and run again" % self.final)
        # Holding the lock, any temp dir of this name belongs to a process that died.
        stale = ".%s." % self.name
        for other in os.listdir(self.vdir):
            if other.startswith(stale) and other.endswith(".tmp"):
                shutil.rmtree(os.path.join(self.vdir, other), ignore_errors=True)
        self.tmp = os.path.join(self.vdir, ".%s.%s.tmp" % (self.name, os.urandom(8).hex()))
        os.mkdir(self.tmp)
        return True

    def publish(self):
        """Rename the filled temporary directory into place: the only step that publishes, so a
        crash before it leaves a .tmp that nothing trusts. True if this process made the entry."""
        try:
            os.rename(self.tmp, self.final)
        except OSError:
            if not self.is_done():
                raise
            return False  # published meanwhile by a process that does not take the lock
        self.tmp = None
        return bool(self.is_done())

    def release(self):
        import shutil

        if self.tmp and os.path.lexists(self.tmp):
            shutil.rmtree(self.tmp, ignore_errors=True)
        if self.fd is not None:
            os.close(self.fd)
            self.fd = None


def _publish(vdir, name, is_done, fill):
    """Create vdir/name once, atomically (see _Claim), filled by fill(tmp). True if this process
    did."""
    claim = _Claim(vdir, name, is_done)
    try:
        if not claim.take():
            return False
        fill(claim.tmp)
        return claim.publish()
    finally:
        claim.release()


def _install_all(zf, pex, root, entries):
    """Install the entries: claim each (in one order, the same in every process, so that two
    installers never deadlock), lay every file out, write them all in parallel, publish."""
    import time
    import zipfile
    import zlib

    start = time.time()
    for bucket in {e.bucket for e in entries}:
        os.makedirs(os.path.join(root, bucket, _LAYOUT), exist_ok=True)
    groups = _member_groups(zf)
    claims = []
    try:
        for entry in sorted(entries, key=lambda e: (e.bucket, e.digest)):
            claim = _Claim(os.path.join(root, entry.bucket, _LAYOUT), entry.digest, lambda e=entry: e.locate(root))
            claims.append((entry, claim))
            claim.take()
        files = []
        for entry, claim in claims:
            if claim.tmp:
                files.extend(_files_of(groups.get(entry.sub or None, []), os.path.join(claim.tmp, entry.sub)))
        try:
            _write_all(zf, files)
        except (zipfile.BadZipFile, zlib.error, EOFError) as e:
            raise _Error("%s is corrupt: %s; rebuild or download it again" % (pex, e))
        installed = 0
        for entry, claim in claims:
            did = bool(claim.tmp) and claim.publish()
            installed += did
            _log("%s %s" % ("installed" if did else "found (installed by another process)", entry.path))
    finally:
        for _, claim in claims:
            claim.release()
    _log("installed %d entries in %.0f ms" % (installed, (time.time() - start) * 1000))


# The virtual environment ------------------------------------------------------------------------


def _link_tree(dest, final, sources, skip, copies=False):
    """Make the real directory dest (which will be at `final`) show the union of the sources,
    directories in priority order: a name that one source has (or that is not a directory in the
    first source having it) becomes a relative symlink to the first source's entry; a directory
    several sources have becomes a real directory merged the same way. Names dest already holds
    stay; a real directory there is merged into. A `__pycache__` directory is always a real one,
    merged: Python writes the bytecode of every module of dest's directory there, and it must not
    land in an installed wheel whose modules it is not."""
    names = {}
    for src in sources:
        for name in os.listdir(src):
            if name not in skip:
                names.setdefault(name, []).append(os.path.join(src, name))
    for name in sorted(names):
        paths, target = names[name], os.path.join(dest, name)
        if name == "__pycache__" and not os.path.lexists(target):
            os.mkdir(target)
        if os.path.lexists(target):
            if os.path.isdir(target) and not os.path.islink(target):
                dirs = [p for p in paths if os.path.isdir(p)]
                _link_tree(target, os.path.join(final, name), dirs, (), copies)
            continue
        dirs = [p for p in paths if os.path.isdir(p)] if len(paths) > 1 and os.path.isdir(paths[0]) else []
        if len(dirs) > 1:
            os.mkdir(target)
            _link_tree(target, os.path.join(final, name), dirs, (), copies)
        elif not copies:
            os.symlink(os.path.relpath(paths[0], final), target)
        elif os.path.isdir(paths[0]):
            import shutil

            shutil.copytree(paths[0], target)
        else:
            import shutil

            shutil.copy(paths[0], target)


def _shebang(python):
    """A shebang running `python`; through /bin/sh when the kernel would truncate it (as pip)."""
    if " " not in python and len(python.encode("utf-8", "surrogateescape")) + 3 <= 127:
        return "#!%s\n" % python
    return "#!/bin/sh\n'''exec' \"%s\" \"$0\" \"$@\"\n' '''\n" % python


def _write(path, text, mode=None):
    with open(path, "w", encoding="utf-8") as f:
        f.write(text)
    if mode is not None:
        os.chmod(path, mode)


def _is_dotted(s):
    return bool(s) and all(part.isidentifier() for part in s.split("."))


def _write_runner(venv, python, standalone):
    """The venv's `pex`: the program that runs the PEX's entry (see run())."""
    _write(
        os.path.join(venv, "pex"),
        _shebang(python) + "if __name__ == \"__main__\":\n    import __pex_rs_boot__\n"
        "    __pex_rs_boot__.run(__file__%s)\n" % (", standalone=True" if standalone else ""),
        0o755,
    )


def _make_venv(tmp, final, exe, wheel_dirs, boot, info_text, pex_hash, standalone=False):
    """Lay a virtual environment out in tmp; absolute paths written into it name `final`. A
    standalone one (`pex-rs venv`) holds copies of the wheels instead of links into PEX_ROOT."""
    xy = "python%d.%d" % sys.version_info[:2]
    bindir, site_packages = os.path.join(tmp, "bin"), _site_packages(tmp)
    os.mkdir(bindir)
    os.makedirs(site_packages)
    _write(
        os.path.join(tmp, "pyvenv.cfg"),
        "home = %s\ninclude-system-site-packages = false\nversion = %d.%d.%d\npex-rs-pex-hash = %s\n"
        % ((os.path.dirname(exe),) + tuple(sys.version_info[:3]) + (pex_hash,)),
    )
    own = {"python", "python3", xy}
    for name in own:
        os.symlink(exe, os.path.join(bindir, name))
    python = os.path.join(final, "bin", "python")

    # Console and gui scripts as pip writes them, then the wheels' own scripts (.data/scripts),
    # each name taken by the first distribution (in PEX-INFO order) that has it.
    for name, value in sorted(_wheel_scripts(wheel_dirs).items()):
        module, _, attrs = value.partition(":")
        if name in own or "/" in name or _bad_name(name) or not _is_dotted(module) or (attrs and not _is_dotted(attrs)):
            continue
        if attrs:
            head = attrs.split(".")[0]
            body = "from %s import %s\nif __name__ == \"__main__\":\n    sys.exit(%s())\n" % (module, head, attrs)
        else:
            body = "import runpy\nrunpy.run_module(%r, run_name=\"__main__\", alter_sys=True)\n" % module
        _write(os.path.join(bindir, name), _shebang(python) + "# -*- coding: utf-8 -*-\nimport sys\n" + body, 0o755)
        own.add(name)
    for d in wheel_dirs:
        scripts = os.path.join(d, ".prefix", "bin")
        for name in sorted(os.listdir(scripts)) if os.path.isdir(scripts) else ():
            if name in own or not os.path.isfile(os.path.join(scripts, name)):
                continue
            with open(os.path.join(scripts, name), "rb") as f:
                data = f.read()
            if data.startswith(b"#!python"):  # also #!pythonw; arguments are dropped, as pip does
                data = _shebang(python).encode() + data.partition(b"\n")[2]
            with open(os.path.join(bindir, name), "wb") as f:
                f.write(data)
            os.chmod(os.path.join(bindir, name), 0o755)
            own.add(name)

    # The runtime itself, with its bytecode (the PEX's, else compiled now) so that no run has to
    # write a .pyc.
    boot_source, boot_bytecode = boot
    boot_py = os.path.join(site_packages, "__pex_rs_boot__.py")
    boot_pyc = os.path.join(site_packages, "__pycache__", "__pex_rs_boot__.%s.pyc" % sys.implementation.cache_tag)
    _write(boot_py, boot_source)
    if boot_bytecode is not None:
        os.mkdir(os.path.dirname(boot_pyc))
        with open(boot_pyc, "wb") as f:
            f.write(boot_bytecode)
    else:
        import py_compile

        py_compile.compile(
            boot_py,
            cfile=boot_pyc,
            dfile=os.path.join(_site_packages(final), "__pex_rs_boot__.py"),
            doraise=True,
            invalidation_mode=py_compile.PycInvalidationMode.TIMESTAMP,
        )
    _write(os.path.join(tmp, "PEX-INFO"), info_text)
    _write(os.path.join(tmp, _LAST_ACCESS), "")
    _write_runner(tmp, python, standalone)
    # The wheels' contents, merged: site-packages gets every wheel's top level (but .prefix) and
    # the venv itself gets every .prefix (but bin/, copied above), as an installer would lay them
    # out; files of the venv's own stay.
    _link_tree(site_packages, _site_packages(final), wheel_dirs, (".prefix",), standalone)
    prefixes = [p for p in (os.path.join(d, ".prefix") for d in wheel_dirs) if os.path.isdir(p)]
    _link_tree(tmp, final, prefixes, ("bin",), standalone)


def _is_working_venv(venv):
    """True if venv can run the PEX as the sh header's warm start does: its python and runner exist."""
    return os.access(os.path.join(venv, "bin", "python"), os.X_OK) and os.path.isfile(os.path.join(venv, "pex"))


def _point_sh(vdir, key):
    """Make vdir/sh, the venv the sh header runs, a link to `key` unless it names a working venv."""
    sh = os.path.join(vdir, "sh")
    if _is_working_venv(sh):
        return
    link = os.path.join(vdir, ".sh.%s.tmp" % os.urandom(8).hex())
    try:
        os.symlink(key, link)
        os.rename(link, sh)  # atomic: readers see the old link or the new one
        _log("pointed %s to %s" % (sh, key))
    except OSError as e:
        _log("cannot point %s to %s: %s" % (sh, key, e))  # a read-only root: the header falls back
    finally:
        if os.path.lexists(link):
            os.unlink(link)


def _materialize(zf, pex, root, entries, pex_hash, exe, key, boot, info_text, points_sh, install):
    """Install what root lacks of `install` (`entries`, the venv's, or in install-only mode every
    entry of the PEX, which includes them), then the venv of this PEX for this interpreter; its
    path."""
    missing = [e for e in install if not e.locate(root)]
    if missing:
        _install_all(zf, pex, root, missing)
    vdir = os.path.join(root, _VENVS, _LAYOUT, pex_hash)
    final = os.path.join(vdir, key)
    os.makedirs(vdir, exist_ok=True)
    wheel_dirs = [e.path for e in entries if e.bucket == _INSTALLED_WHEELS]
    made = _publish(
        vdir,
        key,
        lambda: os.path.isfile(os.path.join(final, "pex")),
        lambda tmp: _make_venv(tmp, final, exe, wheel_dirs, boot, info_text, pex_hash),
    )
    _log("%s %s" % ("created venv" if made else "found venv (created concurrently)", final))
    if points_sh:
        _point_sh(vdir, key)
    return final


def _by_tool():
    """Whether pex-rs extract, verify or venv runs this boot code (install-only or standalone
    venv mode): a tool that installs the PEX, with the interpreter it was given, and that never
    runs or keeps anything of the PEX that its checks do not vouch for."""
    return os.environ.get(_INSTALL_ONLY) == "1" or bool(os.environ.get(_STANDALONE))


def _member_groups(zf):
    """The archive's members by entry: {wheel file name: [...], None (user code): [...]}, each
    member as (name, path inside the entry, ZipInfo)."""
    groups = {}
    # pex-rs extract, verify and venv install only what RECORD vouches for (pex-rs checked it):
    # not the PEX's bytecode of a wheel, which they compile themselves.
    tool = _by_tool()
    for info in zf.infolist():
        name = info.filename
        if "\0" in info.orig_filename:  # zipfile cuts a name at a NUL: judge the name as written
            raise _Error("unsafe member name %r in the archive (a NUL); refusing to install it" % info.orig_filename)
        if name.startswith(".deps/"):
            whl, _, rest = name[6:].partition("/")
            if tool and rest.endswith(".pyc") and "__pycache__/" in rest:
                continue
            groups.setdefault(whl, []).append((name, rest, info))
        elif name not in ("__main__.py", "PEX-INFO") and not name.startswith(_BOOT_DIRECTORY):
            groups.setdefault(None, []).append((name, name, info))
    return groups


# Choosing the interpreter ---------------------------------------------------------------------
#
# Whether a start has a choice to make is decided here; the choice itself is search.py's, loaded
# only then (docs/format.md, "Choosing the interpreter").

# How boot() re-executes itself in another interpreter: the sh header's loader, so that archives
# zipimport cannot read (ZIP64 before Python 3.13) boot there too. pexcore writes its one copy
# (`LOADER` in pexcore/src/build.rs) in place of this placeholder when it embeds this file.
_LOADER = "@PEX_RS_LOADER@"

# Set on a re-exec to "1" or "0" (whether that start may point `sh`, decided by the start that
# re-executed) followed by the interpreter that re-executed. A start that finds it does not
# search again: at most one re-exec, so no loop.
_REEXEC = "__PEX_RS_REEXEC"


def _projects(wheels):
    """{project: [its wheel file names]}, by the escaped name that starts a wheel's file name
    (PEP 427), compared as PEP 503 normalizes it."""
    projects = {}
    for whl in sorted(wheels):
        name = whl.split("-", 1)[0].lower().replace(".", "_")
        projects.setdefault(name, []).append(whl)
    return projects


def _has_choice(info):
    """True if starting the PEX involves a choice: it has interpreter constraints, several wheels
    of a project, or a wheel that not every Python 3 loads. A PEX of universal wheels only (the
    common case) starts as it always did: nothing here is compiled or run."""
    if info.get("interpreter_constraints") or len(info.get("pex_rs_targets") or ()) > 1:
        return True
    dists = info.get("distributions") or {}
    # A wheel for particular Pythons or platforms (numpy's cp311 manylinux one) must be judged
    # too: under another Python it would fail later, on import, with a confusing error.
    if any(not _is_universal(whl) for whl in dists):
        return True
    return any(len(wheels) > 1 for wheels in _projects(dists).values())


def _is_universal(wheel):
    """True for a wheel any Python 3 loads: `py3-none-any` or `py2.py3-none-any`."""
    python, abi, platform = (wheel[:-4].split("-")[-3:] + ["", "", ""])[:3]
    return abi == "none" and platform == "any" and "py3" in python.split(".")


def _choose(pex, info, entries, info_text, reexec, refuse, sh, points_sh):
    """search.py's _fitting(): the entries and PEX-INFO text of the running interpreter's venv, or
    a run elsewhere."""
    _pex_rs_load("search")
    return _fitting(pex, info, entries, info_text, reexec, refuse, sh, points_sh)


# boot(): from the zip to the venv -------------------------------------------------------------


def _boot_source(zf, pex):
    """The runner as the venv keeps it: (the text of the archive's runner.py, the PEX's .pyc of it
    for this interpreter or None)."""
    import zipfile

    try:
        text = zf.read(_MODULE % "runner").decode("utf-8")
    except (KeyError, UnicodeDecodeError, zipfile.BadZipFile) as e:
        raise _Error("cannot read the runner from %s (%s); rebuild it" % (pex, e))
    if _by_tool():
        # pex-rs extract/verify/venv checked this text against the PEX's pex_hash, but nothing
        # vouches for the PEX's bytecode of it: the venv compiles its own.
        return text, None
    try:
        bytecode = zf.read(_MODULE_BYTECODE % ("runner", sys.implementation.cache_tag))
    except (KeyError, zipfile.BadZipFile):
        return text, None
    import importlib.util

    if bytecode[:4] != importlib.util.MAGIC_NUMBER:
        bytecode = None  # another build of this version (a pre-release) reads other bytecode
    return text, bytecode


def _cold(pex, root, entries, pex_hash, exe, key, info_text, install_only, points_sh, install):
    """Install into root, or into a temporary root when root is not writable; returns the venv
    and the temporary root (None when root was used)."""
    import errno
    import zipfile

    # The sh header's loader has read the archive's directory already (a large one takes long to
    # parse) and leaves it here; `python app.pex` comes through zipimport instead.
    zf = globals().pop("__pex_rs_zip__", None)
    if zf is None:
        try:
            zf = zipfile.ZipFile(pex)
        except (OSError, zipfile.BadZipFile) as e:
            raise _Error("cannot read %s as a zip archive: %s" % (pex, e))
    with zf:
        args = (pex_hash, exe, key, _boot_source(zf, pex), info_text, points_sh, install)

        usable = os.path.isabs(root)
        why = "no home directory to expand ~ to"
        if usable:
            try:
                return _materialize(zf, pex, root, entries, *args), None
            except OSError as e:
                # The root cannot be created or written; other errors (a full disk) are the
                # machine's problem, not the root's, and a temporary root would not help.
                if install_only or e.errno not in (errno.EACCES, errno.EPERM, errno.EROFS, errno.ENOTDIR, errno.EEXIST):
                    raise _Error("cannot install into %s: %s" % (root, e))
                why = e.strerror
        if install_only:
            raise _Error("cannot install into %s: %s" % (root, why))
        import shutil
        import tempfile

        tmp = tempfile.mkdtemp(prefix="pex-rs-root.")
        sys.stderr.write(
            "pex-rs: warning: PEX_ROOT %s is not writable (%s); using the temporary root %s for "
            "this run; set PEX_ROOT to a writable directory to install only once\n" % (root, why, tmp))
        try:
            # What the read-only root has is used from there, through links in the temporary one.
            for e in entries:
                if usable and e.locate(root):
                    os.makedirs(os.path.join(tmp, e.bucket, _LAYOUT), exist_ok=True)
                    link = os.path.join(tmp, e.bucket, _LAYOUT, e.digest)
                    os.symlink(os.path.join(root, e.bucket, _LAYOUT, e.digest), link)
            return _materialize(zf, pex, tmp, entries, *args), tmp
        except BaseException as e:
            shutil.rmtree(tmp, ignore_errors=True)
            if isinstance(e, OSError):
                raise _Error("cannot install into %s: %s" % (tmp, e))
            raise


def _python_options(version=None):
    """The options this interpreter runs with, as command-line options for the venv's python
    (all but -S: the venv needs site). Options that environment variables gave are given again;
    that changes nothing. For another interpreter of `version` (major, minor), options it does
    not know are left out (-P is new in 3.11)."""
    f = sys.flags
    opts = ["-d"] * f.debug + ["-O"] * f.optimize + ["-v"] * f.verbose + ["-b"] * f.bytes_warning
    for flag, opt in (("inspect", "-i"), ("isolated", "-I"), ("ignore_environment", "-E"),
                      ("no_user_site", "-s"), ("dont_write_bytecode", "-B"), ("quiet", "-q"),
                      ("safe_path", "-P")):
        if getattr(f, flag, 0) and not (opt == "-P" and version is not None and version < (3, 11)):
            opts.append(opt)
    import io

    if isinstance(getattr(sys.stdout, "buffer", None), io.FileIO):
        opts.append("-u")
    from_env = []
    if not f.ignore_environment:
        from_env = [w for w in os.environ.get("PYTHONWARNINGS", "").split(",") if w]
    warnoptions = list(sys.warnoptions)
    if getattr(f, "dev_mode", False) and warnoptions[:1] == ["default"]:
        del warnoptions[0]  # -X dev's own, given again by -X dev
    for w in warnoptions:
        if w in from_env:
            from_env.remove(w)
        else:
            opts.append("-W" + w)
    for k, v in getattr(sys, "_xoptions", {}).items():
        opts.append("-X" + (k if v is True else "%s=%s" % (k, v)))
    return opts


def _run_then_remove(cmd, tmp):
    """Run cmd, remove tmp, exit as cmd did (exec would leave tmp behind)."""
    import shutil
    import signal
    import subprocess

    try:
        proc = subprocess.Popen(cmd, close_fds=False)
        # A terminal's ^C reaches the child too; a signal for this process alone is passed on.
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        for sig in (signal.SIGTERM, signal.SIGHUP):
            signal.signal(sig, lambda signum, frame: proc.send_signal(signum))
        rc = proc.wait()
    except OSError as e:
        raise _Error("cannot run %s: %s" % (cmd[0], e))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    if rc < 0:
        sys.stdout.flush()
        signal.signal(-rc, signal.SIG_DFL)
        os.kill(os.getpid(), -rc)
        rc = 128 - rc
    sys.exit(rc)


def _info_text(info):
    """PEX-INFO text as pex-rs writes it: sorted keys, compact separators."""
    import json

    return json.dumps(info, sort_keys=True, separators=(",", ":"))


def _exec(cmd, tmp=None):
    """Hand over to cmd followed by the PEX's arguments: exec it, or run it as a child when tmp (a
    temporary root) must be removed after it."""
    _log("%s %s" % ("running" if tmp else "exec", " ".join(cmd + ["ARGS..."])))
    cmd = cmd + sys.argv[1:]
    sys.stdout.flush()
    sys.stderr.flush()
    if tmp:
        _run_then_remove(cmd, tmp)
    try:
        os.execv(cmd[0], cmd)
    except OSError as e:
        raise _Error("cannot run %s: %s" % (cmd[0], e))


def _pex_python():
    """The interpreter PEX_PYTHON names, found where the sh header looks (in PEX_PYTHON_PATH when
    that is set, else on PATH; a path as it is), or None when PEX_PYTHON is unset. A name that
    finds nothing is an error, as in pex: the user asked for that interpreter."""
    env = os.environ
    wanted = env.get("PEX_PYTHON")
    if not wanted:
        return None
    if "/" in wanted:
        found, where = [wanted], "an executable"
    elif env.get("PEX_PYTHON_PATH"):
        entries = [e for e in env["PEX_PYTHON_PATH"].split(":") if e]
        found = [os.path.join(e, wanted) if os.path.isdir(e) else e for e in entries]
        found = [path for path in found if os.path.basename(path) == wanted]
        where = "in PEX_PYTHON_PATH"
    else:
        found = [os.path.join(d, wanted) for d in env.get("PATH", os.defpath).split(":") if d]
        where = "on PATH"
    for path in found:
        if os.path.isfile(path) and os.access(path, os.X_OK):
            return path
    raise _Error("PEX_PYTHON is %s, which is not %s; name an interpreter that is, or unset PEX_PYTHON"
                 % (wanted, where))


def _needs_newer_python(pex, pex_info_text):
    """The line for an interpreter older than this runtime supports. This file still parses under
    Python 2.7 and 3.x (a test keeps it so) only for this line, so nothing here may be newer."""
    import json

    try:
        constraints = json.loads(pex_info_text).get("interpreter_constraints") or []
    except Exception:
        constraints = []
    wanted = "Python 3.8 or newer"
    if constraints:
        wanted += " matching %s" % " or ".join(str(c) for c in constraints)
    here = "%s is Python %d.%d.%d" % ((sys.executable,) + tuple(sys.version_info[:3]))
    return "%s needs %s, and %s; run it as a program (%s) or with a newer python3" % (pex, wanted, here, pex)


def boot(pex_info_text):
    """Run from the zip: make sure PEX_ROOT holds this PEX's venv for this interpreter, then exec
    the venv's python on its runner (docs/format.md, "What the runtime does")."""
    try:
        _set_verbose()
        pex = os.path.abspath(sys.argv[0])
        if sys.version_info < (3, 8):
            raise _Error(_needs_newer_python(pex, pex_info_text))
        env = os.environ
        if env.get("PEX_TOOLS", "").lower() in ("1", "true") and not _by_tool():
            # pex's tools entry: the application must not get `venv DIR` as its arguments.
            raise _Error("PEX_TOOLS is pex's; pex-rs's tools work from outside the PEX: `pex-rs venv %s DIR`,"
                         " `pex-rs info %s`, `pex-rs extract %s`" % (pex, pex, pex))
        install_only = env.get(_INSTALL_ONLY) == "1"
        # Read once: neither the application nor a PEX it starts may take it for theirs.
        reexec = env.pop(_REEXEC, None)
        info, entries = _parse_info(pex_info_text, pex)
        pex_hash = info["pex_hash"]
        exe, key = _interpreter_key()
        root = _default_root()
        try:
            root.encode("utf-8")
        except UnicodeEncodeError:
            # Its path goes into text files of the environment (pyvenv.cfg, scripts).
            raise _Error("PEX_ROOT %s is not valid UTF-8; choose a PEX_ROOT whose path is" % ascii(root))
        venv = os.path.join(root, _VENVS, _LAYOUT, pex_hash, key)
        _log("PEX %s, PEX_ROOT %s, interpreter %s (%s)" % (pex, root, exe, key))
        tmp = None
        if os.path.isabs(root):
            try:
                os.makedirs(root, exist_ok=True)
            except OSError:
                pass  # read-only: handled by the install below when something is missing
            _hold_access_lock(root)
        verify = env.get("PEX_VERIFY", "").lower() in ("1", "true") and os.path.isabs(root)
        named = bool(env.get("PEX_PYTHON") or env.get("PEX_PYTHON_PATH"))  # the user chose the interpreter
        # PEX_PYTHON names the interpreter that runs the PEX (pex's rule): another one that
        # started it hands over, once (tools give the interpreter themselves).
        wanted = None if _by_tool() else _pex_python()
        if wanted and reexec is None and os.path.realpath(wanted) != os.path.realpath(sys.executable):
            _log("PEX_PYTHON: running %s" % wanted)
            os.environ[_REEXEC] = "0" + os.path.realpath(sys.executable)
            _exec([wanted] + _python_options() + ["-S", "-c", _LOADER, pex])
        # The sh header's warm path runs whatever `sh` names: only a start the header itself made
        # with its default choice (or an explicit `pex-rs extract --python`) may set it, not a
        # one-off `PEX_PYTHON=... ./app.pex` or `python3.X app.pex`. A re-exec inherits the
        # decision of the start that made it.
        if reexec is None:
            points_sh = install_only or ("__pex_rs_zip__" in globals() and not named)
        else:
            points_sh = reexec[:1] == "1"
        complete = os.path.isabs(root) and os.path.isfile(os.path.join(venv, "pex"))
        # `pex-rs extract` fills a root for any interpreter: every entry of the PEX, not only the
        # wheels this one chooses.
        every = entries
        if install_only and complete:
            complete = all(e.locate(root) for e in entries)
        # An existing venv was made for this interpreter, which fitted then: a warm start decides
        # nothing.
        if (verify or not complete) and _has_choice(info):
            sh = os.path.join(os.path.dirname(venv), "sh") if not named and not verify else None
            refuse = _by_tool()
            entries, pex_info_text = _choose(pex, info, entries, pex_info_text, reexec, refuse, sh, points_sh)
        if verify:
            _pex_rs_load("tools")
            _verify_installed(pex, root, entries, venv, install_only)
            # The venv links to the wheels but not to the user code: check every entry.
            complete = os.path.isfile(os.path.join(venv, "pex")) and all(e.locate(root) for e in entries)
        if complete:
            _log("warm: %s" % venv)
            if points_sh:
                _point_sh(os.path.dirname(venv), key)
        else:
            _log("cold: no %s" % venv)
            venv, tmp = _cold(
                pex, root, entries, pex_hash, exe, key, pex_info_text, install_only, points_sh,
                every if install_only else entries)
        dest = os.environ.get(_STANDALONE)
        if dest:
            scope = os.environ.get(_STANDALONE + "_SCOPE", "all")
            if scope not in ("all", "deps", "srcs"):
                raise _Error("the venv scope must be all, deps or srcs, not %r" % scope)
            _pex_rs_load("tools")
            try:
                _standalone_venv(pex, dest, scope, venv, info)
            except OSError as e:
                raise _Error("cannot make the virtual environment %s: %s" % (dest, e))
            finally:
                if tmp:
                    import shutil

                    shutil.rmtree(tmp, ignore_errors=True)
            sys.exit(0)
        if install_only:
            _log("installed only (%s)" % _INSTALL_ONLY)
            sys.exit(0)
        _exec([os.path.join(venv, "bin", "python")] + _python_options() + [os.path.join(venv, "pex"), pex], tmp)
    except _Error as e:
        _fail(e)
    except KeyboardInterrupt:
        # Ctrl-C during a first start: installs appear only by rename, so nothing half-written is
        # ever used; one line, not a traceback of the installer.
        _fail("interrupted; the next start finishes the install", 130)
