# The pex-rs runtime, part two: boot(), the cold path. It follows runner.py in the PEX's __main__.py
# and uses its definitions (see there). boot() runs from the zip: it makes sure PEX_ROOT holds the
# PEX's wheels, its user code and a virtual environment for the running interpreter, then execs
# that environment's python on its `pex` runner; when the PEX's interpreter constraints or wheels
# rule the running interpreter out, it re-executes itself in one that fits. It also serves
# `pex-rs extract`, `verify` and `venv`. Everything an install needs (zipfile, processes, locks)
# is imported late.

# The PEX's bytecode of the whole boot code (runner.py and this file) and of the runner alone, for
# one interpreter (by its cache tag): the runtime's, not user code.
_BOOT_BYTECODE = "__pycache__/__pex_rs_boot__.%s.pyc"
_RUNNER_BYTECODE = "__pycache__/__pex_rs_boot__.runner.%s.pyc"
# The last line of runner.py, where _boot_source() cuts it out of __main__.py.
_RUNNER_END = "\n# The end of the runner.\n"
_INSTALL_ONLY = "__PEX_RS_INSTALL_ONLY"
_STANDALONE = "__PEX_RS_VENV"  # `pex-rs venv`: make a standalone venv there (and _SCOPE)


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


def _site_packages(venv):
    return os.path.join(venv, "lib", "python%d.%d" % sys.version_info[:2], "site-packages")


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


def _materialize(zf, pex, root, entries, pex_hash, exe, key, boot, info_text, points_sh):
    """Install what root lacks, then the venv of this PEX for this interpreter; its path."""
    missing = [e for e in entries if not e.locate(root)]
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
        elif name not in ("__main__.py", "PEX-INFO") and not name.startswith(_BOOT_BYTECODE.partition("%")[0]):
            groups.setdefault(None, []).append((name, name, info))
    return groups


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


# Choosing the interpreter ---------------------------------------------------------------------
#
# A PEX may limit the interpreters that run it (PEX-INFO `interpreter_constraints`) and hold
# several wheels of a project, one per target. A first start checks that the running interpreter
# fits, and installs the best wheel of each project for it; when it does not fit, another one
# on PATH (or PEX_PYTHON, PEX_PYTHON_PATH) that does is found and the boot code re-executed
# there. docs/format.md ("Choosing the interpreter") is the specification.
#
# Most of that code is text, compiled only by a start that has a choice to make (_has_choice):
# `python app.pex` compiles this whole file from the zip at every start, and as code it would
# add about 3 ms to each, for PEX files that mostly have no choice.

# The code that judges an interpreter. It runs in two places: here, for the running interpreter,
# and inside each candidate that the search probes (sent on its stdin, so that a candidate
# answers for itself with the same code). Standard library only; Python 3.8+ (the probe asks
# older ones nothing).
_FIT_SOURCE = r'''
import os
import sys


def _identity():
    """(implementation, "X.Y.Z"): what interpreter constraints match, the implementation as
    platform.python_implementation() names it (without the cost of importing platform)."""
    name = sys.implementation.name
    return {"cpython": "CPython", "pypy": "PyPy"}.get(name, name), "%d.%d.%d" % sys.version_info[:3]


def _version(text):
    """A PEP 440 version as ((release numbers), (pre-release phase, number)), a final release
    sorting after its pre-releases; raises ValueError for forms interpreters do not have."""
    text = text.strip().lower()
    end = len(text) - len(text.lstrip("0123456789."))
    release, rest = text[:end].rstrip("."), text[end:]
    pre = (3, 0)
    if rest:
        number = rest[len(rest.rstrip("0123456789")):]
        pre = ({"a": 0, "b": 1, "rc": 2}[rest[: len(rest) - len(number)]], int(number or 0))
    return tuple(int(part) for part in release.split(".")), pre


def _specifier(text):
    """One PEP 440 specifier as (operator, version or None for ===, release prefix for .*, text)."""
    text = text.strip()
    for operator in ("===", "~=", "==", "!=", "<=", ">=", "<", ">"):
        if text.startswith(operator):
            value = text[len(operator):].strip()
            if operator == "===":
                return operator, None, None, value
            if value.endswith(".*") and operator in ("==", "!="):
                return operator, None, _version(value[:-2])[0], value
            version = _version(value)
            if operator == "~=" and len(version[0]) < 2:
                raise ValueError(text)
            return operator, version, None, value
    raise ValueError(text)


def _constraint(text):
    """An interpreter constraint as (implementation or "", [specifiers]): an optional
    implementation name (`CPython`, `PyPy`), then PEP 440 specifiers on the Python version."""
    text = text.strip()
    end = 0
    while end < len(text) and "a" <= text[end].lower() <= "z":
        end += 1
    try:
        specifiers = [_specifier(part) for part in text[end:].split(",") if part.strip()]
    except (ValueError, KeyError):
        raise ValueError(text)
    if not end and not specifiers:
        raise ValueError(text)
    return text[:end], specifiers


def _satisfies(constraint, implementation, version_text):
    """True if the interpreter (_identity()) satisfies a parsed constraint. Its version is a final
    release, which makes the PEP 440 rules about pre-, post- and local releases moot."""
    wanted, specifiers = constraint
    if wanted and wanted.lower() != implementation.lower():
        return False
    release = tuple(int(part) for part in version_text.split("."))
    for operator, version, prefix, value in specifiers:
        if operator == "===":
            ok = value == version_text
        elif prefix is not None:
            # Prefix matching pads the candidate with zeros: 3.12 matches ==3.12.0.*.
            ok = (release + (0,) * len(prefix))[: len(prefix)] == prefix
            ok = ok if operator == "==" else not ok
        else:
            width = max(len(release), len(version[0]))
            ours = (release + (0,) * width)[:width] + ((3, 0),)
            theirs = (version[0] + (0,) * width)[:width] + (version[1],)
            if operator == "~=":
                # ~=V is >=V plus ==V's release without its last number, as a prefix.
                head = version[0][:-1]
                ok = ours >= theirs and (release + (0,) * len(head))[: len(head)] == head
            else:
                ok = {"==": ours == theirs, "!=": ours != theirs, "<": ours < theirs,
                      "<=": ours <= theirs, ">": ours > theirs, ">=": ours >= theirs}[operator]
        if not ok:
            return False
    return True


def _normalize(text):
    return text.replace(".", "_").replace("-", "_").replace(" ", "_")


def _cpython_abis():
    """packaging's _cpython_abis: this CPython's ABI tags, most specific first."""
    import sysconfig

    nodot = "cp%d%d" % sys.version_info[:2]
    with_debug = sysconfig.get_config_var("Py_DEBUG")
    debug = "d" if with_debug or (with_debug is None and hasattr(sys, "gettotalrefcount")) else ""
    threading = "t" if sys.version_info >= (3, 13) and sysconfig.get_config_var("Py_GIL_DISABLED") else ""
    # A debug build also loads ordinary extension modules.
    return [nodot + threading + debug] + ([nodot + threading] if debug else [])


def _generic_abis():
    """packaging's _generic_abi: the ABI tag inside EXT_SUFFIX (`.pypy310-pp73-x86_64-linux-gnu.so`)."""
    import sysconfig

    suffix = sysconfig.get_config_var("EXT_SUFFIX")
    parts = suffix.split(".") if isinstance(suffix, str) and suffix.startswith(".") else []
    soabi = parts[1] if len(parts) > 2 else ""
    if soabi.startswith("cpython"):
        abi = "cp" + soabi.split("-")[1]
    elif soabi.startswith("cp"):
        abi = soabi.split("-")[0]
    elif soabi.startswith(("pypy", "graalpy")):
        abi = "-".join(soabi.split("-")[: 2 if soabi.startswith("pypy") else 3])
    else:
        abi = soabi
    return [_normalize(abi)] if abi else []


def _elf(path):
    """(class, byte order, machine, flags, program interpreter) of the ELF file at path, the
    fields packaging's _elffile reads, or None."""
    import struct

    try:
        with open(path, "rb") as f:
            ident = f.read(16)
            if len(ident) < 16 or ident[:4] != b"\x7fELF" or ident[4] not in (1, 2) or ident[5] not in (1, 2):
                return None
            order = "<>"[ident[5] - 1]
            header = order + ("HHIIIIIHHH" if ident[4] == 1 else "HHIQQQIHHH")
            segment = order + ("IIIIIIII" if ident[4] == 1 else "IIQQQQQQ")
            offset_at, size_at = (1, 4) if ident[4] == 1 else (2, 5)
            fields = struct.unpack(header, f.read(struct.calcsize(header)))
            interpreter = None
            for index in range(fields[9]):
                f.seek(fields[4] + fields[8] * index)
                data = f.read(struct.calcsize(segment))
                if len(data) == struct.calcsize(segment):
                    values = struct.unpack(segment, data)
                    if values[0] == 3:  # PT_INTERP
                        f.seek(values[offset_at])
                        interpreter = os.fsdecode(f.read(values[size_at])).strip("\0")
                        break
            return ident[4], ident[5], fields[1], fields[6], interpreter
    except (OSError, struct.error, ValueError):
        return None


def _major_minor(text):
    """(major, minor) from the start of "2.36" or "2.20-2014.11", or None."""
    major, _, rest = text.strip().partition(".")
    minor = rest[: len(rest) - len(rest.lstrip("0123456789"))]
    return (int(major), int(minor)) if major.isdigit() and minor else None


def _glibc():
    """packaging's _get_glibc_version: confstr, else the C library itself; None without glibc."""
    try:
        return _major_minor(os.confstr("CS_GNU_LIBC_VERSION").split()[1])  # "glibc 2.36"
    except (AttributeError, OSError, ValueError, IndexError):
        pass
    try:
        import ctypes

        function = ctypes.CDLL(None).gnu_get_libc_version
        function.restype = ctypes.c_char_p
        return _major_minor(function().decode("ascii"))
    except Exception:
        return None


def _musl(loader):
    """packaging's _get_musl_version: musl's loader prints its version when run bare."""
    if not loader or "musl" not in loader:
        return None
    import subprocess

    try:
        text = subprocess.run([loader], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE).stderr
    except OSError:
        return None
    lines = [line.strip() for line in text.decode("utf-8", "replace").splitlines() if line.strip()]
    if len(lines) < 2 or not lines[0].startswith("musl") or not lines[1].startswith("Version "):
        return None
    return _major_minor(lines[1][8:])


def _linux_platforms(linux):
    """packaging's _linux_platforms for `linux_<arch>`: manylinux tags (PEP 600) while glibc and
    the interpreter's ABI allow, musllinux tags (PEP 656) on musl, then linux_<arch>."""
    import struct

    if struct.calcsize("P") == 4:  # a 32-bit interpreter reports a 64-bit kernel's machine
        linux = {"linux_x86_64": "linux_i686", "linux_aarch64": "linux_armv8l"}.get(linux, linux)
    arch = linux.split("_", 1)[1]
    archs = ["armv8l", "armv7l"] if arch == "armv8l" else [arch]
    elf = _elf(sys.executable)
    glibc = _glibc()
    # packaging's _have_compatible_abi: manylinux assumes hard-float EABI5 on 32-bit ARM, i386 ELF
    # on i686, and exists only for these 64-bit architectures otherwise.
    if "armv7l" in archs:
        manylinux = bool(elf) and elf[:3] == (1, 1, 40) and elf[3] & 0xFF000000 == 0x05000000 and bool(elf[3] & 0x400)
    elif "i686" in archs:
        manylinux = bool(elf) and elf[:3] == (1, 1, 3)
    else:
        manylinux = arch in ("x86_64", "aarch64", "ppc64", "ppc64le", "s390x", "loongarch64", "riscv64")
    tags = []
    if glibc and manylinux:
        oldest = 5 if arch in ("x86_64", "i686") else 17  # manylinux1 (glibc 2.5) was x86 only
        # glibc keeps compatibility across major versions; packaging takes 50 as the last minor
        # of an earlier one (sourceware bug 24636).
        highest = [glibc] + [(major, 50) for major in range(glibc[0] - 1, 1, -1)]
        legacy = {(2, 17): "manylinux2014", (2, 12): "manylinux2010", (2, 5): "manylinux1"}
        for a in archs:
            for major, last in highest:
                for minor in range(last, (oldest if major == 2 else 0) - 1, -1):
                    tags.append("manylinux_%d_%d_%s" % (major, minor, a))
                    if (major, minor) in legacy:
                        tags.append("%s_%s" % (legacy[major, minor], a))
    musl = None if glibc else _musl(elf and elf[4])
    if musl:
        for a in archs:
            tags += ["musllinux_%d_%d_%s" % (musl[0], minor, a) for minor in range(musl[1], -1, -1)]
    return tags + ["linux_" + a for a in archs]


def _mac_formats(release, arch):
    """packaging's _mac_binary_formats: the binaries (arch itself or a fat one) that can hold
    code for arch on that macOS release."""
    formats = [arch]
    if arch in ("x86_64", "i386"):
        if release < (10, 4):
            return []
        formats += ["intel", "fat64", "fat32"] if arch == "x86_64" else ["intel", "fat32", "fat"]
    elif arch == "ppc64":
        if not (10, 4) <= release <= (10, 5):
            return []
        formats.append("fat64")
    elif arch == "ppc":
        if release > (10, 6):
            return []
        formats += ["fat32", "fat"]
    if arch in ("arm64", "x86_64"):
        formats.append("universal2")
    if arch in ("x86_64", "i386", "ppc64", "ppc"):
        formats.append("universal")
    return formats


def _mac_platforms():
    """packaging's mac_platforms: this macOS release and each older one, in every binary format
    that can hold the interpreter's architecture."""
    import platform
    import struct

    text, _, arch = platform.mac_ver()
    version = tuple((list(map(int, text.split(".")[:2])) + [0])[:2])
    if version == (10, 16):
        # Built against an older SDK, Python sees macOS 11 and later as 10.16 unless asked not to.
        import subprocess

        text = subprocess.run([sys.executable, "-sS", "-c", "import platform; print(platform.mac_ver()[0])"],
                              check=True, env={"SYSTEM_VERSION_COMPAT": "0"}, stdout=subprocess.PIPE).stdout
        version = tuple((list(map(int, text.decode().split(".")[:2])) + [0])[:2])
    if struct.calcsize("P") == 4:
        arch = "ppc" if arch.startswith("ppc") else "i386"
    if version < (11, 0):  # each yearly release bumped the minor version
        releases = [(10, minor) for minor in range(version[1], -1, -1)]
    else:  # from 11 on, the major one; 10.x code still runs
        releases = [(major, 0) for major in range(version[0], 10, -1)] + [(10, m) for m in range(16, 3, -1)]
    tags = []
    for release in releases:
        # arm64 appeared in 11.0: for 10.x only universal2 binaries (whose x86_64 half targets
        # 10.x) hold arm64 code.
        late_arm = version >= (11, 0) and release < (11, 0) and arch != "x86_64"
        formats = ["universal2"] if late_arm else _mac_formats(release, arch)
        tags += ["macosx_%d_%d_%s" % (release + (f,)) for f in formats]
    return tags


def _platform_tags():
    """packaging's platform_tags(): the platforms this interpreter loads wheels of, best first."""
    if sys.platform == "darwin":
        return _mac_platforms()
    import sysconfig

    tag = _normalize(sysconfig.get_platform())
    return _linux_platforms(tag) if tag.startswith("linux_") else [tag]


def _sys_tags(platforms):
    """packaging.tags.sys_tags() (packaging 24 and 25, as pexcore/src/tags.rs) on `platforms`:
    every tag this interpreter loads, best first, as "python-abi-platform"."""
    major, minor = sys.version_info[:2]
    name = sys.implementation.name
    short = {"cpython": "cp", "pypy": "pp", "ironpython": "ip", "jython": "jy"}.get(name, name)
    interpreter = "%s%d%d" % (short, major, minor)
    tags = []

    def each(python, abi):
        tags.extend("%s-%s-%s" % (python, abi, platform) for platform in platforms)

    if short == "cp":
        # cpython_tags: its own ABIs, the stable ABI (PEP 384; not for a free-threaded build),
        # no ABI, then the stable ABI of each older 3.x.
        abis = _cpython_abis()
        stable = "t" not in abis[0][len(interpreter):]
        for abi in abis + (["abi3"] if stable else []) + ["none"]:
            each(interpreter, abi)
        for older in range(minor - 1, 1, -1) if stable else ():
            each("cp%d%d" % (major, older), "abi3")
    else:
        abis = _generic_abis()
        for abi in abis + ([] if "none" in abis else ["none"]):
            each(interpreter, abi)
    # compatible_tags, with the interpreter's own `none-any` tag that sys_tags names.
    pythons = ["py%d%d" % (major, minor), "py%d" % major] + ["py%d%d" % (major, m) for m in range(minor - 1, -1, -1)]
    for python in pythons:
        each(python, "none")
    own = {"cp": interpreter, "pp": "pp3"}.get(short)
    return tags + ([own + "-none-any"] if own else []) + [python + "-none-any" for python in pythons]


def _fit(constraints, projects, targets=()):
    """Whether this interpreter can run a PEX with these interpreter constraints and wheels
    ({project: [wheel file names]}): (None, [the wheels to install]) or (why not, None). With
    `targets` (PEX-INFO `pex_rs_targets`: the wheel set each build target resolved to), the set
    whose wheels all load here with the best tags wins, so a dependency that only another
    target's markers pull in, or another version for another Python, cannot get in the way.
    Otherwise a project's wheel is its compatible one whose best tag ranks first (PEP 425), as
    pip would choose. Raises ValueError for a constraint that cannot be read."""
    parsed = [_constraint(text) for text in constraints]
    implementation, version = _identity()
    if parsed and not any(_satisfies(constraint, implementation, version) for constraint in parsed):
        return "does not satisfy %s" % " or ".join(constraints), None
    tags = {}  # wheel file name -> its tags, expanded (PEP 425 compressed tag sets: py2.py3)
    for whl in (whl for wheels in projects.values() for whl in wheels):
        parts = whl[:-4].lower().split("-")
        python, abi, platform = parts[-3:] if len(parts) >= 5 else ("", "", "")
        tags[whl] = ["%s-%s-%s" % (p, a, t)
                     for p in python.split(".") for a in abi.split(".") for t in platform.split(".")]
    # Wheels for any platform need only the tail of the list, which needs no platform detection.
    everywhere = all(tag.endswith("-any") for wheel_tags in tags.values() for tag in wheel_tags)
    ranks = {}
    for rank, tag in enumerate(_sys_tags([] if everywhere else _platform_tags())):
        ranks.setdefault(tag, rank)
    def rank(wheel):
        return min((ranks[t] for t in tags.get(wheel, ()) if t in ranks), default=None)

    if targets:
        # A target resolved for this implementation and X.Y comes first: its set has the
        # dependencies that markers and requires-python chose for this Python. Only when none
        # was built for it does another target's set serve, if all of its wheels load here.
        major, minor = sys.version_info[:2]
        short = {"cpython": "cp", "pypy": "pp"}.get(sys.implementation.name, sys.implementation.name)
        own = "%s%d%d" % (short, major, minor)
        best, why = None, None
        for target in targets:
            wheels = target["wheels"]
            ranked = [rank(w) for w in wheels]
            if None in ranked:
                missing = wheels[ranked.index(None)]
                why = why or "no compatible wheel set (`%s` does not load here)" % missing
                continue
            score = (target.get("interpreter") != own, sum(ranked))
            if best is None or score < best[0]:
                best = (score, list(wheels))
        return (None, best[1]) if best else (why, None)
    chosen = []
    for project, wheels in sorted(projects.items()):
        scored = sorted((min(ranks[t] for t in tags[w] if t in ranks), w)
                        for w in wheels if any(t in ranks for t in tags[w]))
        if not scored:
            has = ", ".join("-".join(w[:-4].split("-")[-3:]) for w in wheels)
            return "no compatible wheel of `%s` (has %s)" % (project, has), None
        chosen.append(scored[0][1])
    return None, chosen


def _answer(constraints, projects, targets):
    """A probe's reply (see _PROBE)."""
    print("%s %s" % _identity())
    print(sys.executable)
    print(_fit(constraints, projects, targets)[0] or "")
'''

# What the search runs in a candidate (`-E -s -c`), _FIT_SOURCE and the question on its stdin.
# It prints three lines: the interpreter ("CPython 3.12.1"), its executable, and why it cannot
# run the PEX (empty when it can). Written so that any Python runs it: an old one is named as
# what it is instead of failing to compile the rest. The `''` of `-c` leaves sys.path, as in the
# sh header's loader: the working directory must not shadow the standard library.
_PROBE = """import sys
sys.path[:1] = [p for p in sys.path[:1] if p]
if sys.version_info >= (3, 8):
    exec(sys.stdin.read())
else:
    print("Python %d.%d.%d" % tuple(sys.version_info[:3]))
    print(sys.executable)
    print("the pex-rs runtime needs Python 3.8 or later")
"""

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


# Deciding for the running interpreter (_fitting), and finding another one and re-executing
# there when it does not fit. Run by _choose, in a namespace that sees this module's names.
_SEARCH_SOURCE = r'''
class _Fit:
    """Whether the running interpreter can run the PEX: `why` not (None when it can), `chosen`
    (the wheel file names to install when it can), `here` (it, as messages name it), and `tried`
    (the interpreters a search refused, with why)."""

    def __init__(self, pex, info):
        self.constraints = [str(c) for c in info.get("interpreter_constraints") or []]
        self.projects = _projects(info.get("distributions") or {})
        self.targets = [dict(target) for target in info.get("pex_rs_targets") or ()]
        self.tried = []
        if sys.version_info < (3, 8):
            # The fit code needs 3.8; an older Python (a distribution's python3 3.6) searches.
            self.why, self.chosen = "the pex-rs runtime needs Python 3.8 or later", None
            self.here = "%s (Python %d.%d.%d)" % ((os.path.realpath(sys.executable),) + tuple(sys.version_info[:3]))
            return
        code = {}
        exec(compile(_FIT_SOURCE, "<pex-rs interpreter fit>", "exec"), code)
        for text in self.constraints:
            try:
                code["_constraint"](text)
            except ValueError:
                raise _Error("the PEX-INFO of %s has an interpreter constraint this runtime cannot read, %r; "
                             "rebuild it" % (pex, text))
        self.why, self.chosen = code["_fit"](self.constraints, self.projects, self.targets)
        self.here = "%s (%s %s)" % ((os.path.realpath(sys.executable),) + code["_identity"]())

    def question(self):
        """The stdin of a probe: the fit code and the call that answers."""
        return "%s\n_answer(%s, %s, %s)\n" % (
            _FIT_SOURCE, ascii(self.constraints), ascii(self.projects), ascii(self.targets))


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
        proc = subprocess.run([path, "-E", "-s", "-c", _PROBE], input=question.encode("ascii"),
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
'''


def _choose(pex, info, entries, info_text, reexec, refuse, sh, points_sh):
    """_fitting() (in _SEARCH_SOURCE): the entries and PEX-INFO text of the running interpreter's
    venv, or a run elsewhere."""
    code = dict(globals())
    exec(compile(_SEARCH_SOURCE, "<pex-rs interpreter search>", "exec"), code)
    return code["_fitting"](pex, info, entries, info_text, reexec, refuse, sh, points_sh)


# boot(): from the zip to the venv -------------------------------------------------------------


def _boot_source(zf, pex):
    """The runner as the venv keeps it: (its text, the PEX's .pyc of it for this interpreter or
    None). The text is runner.py: __main__.py up to and with its last line, `# The end of the
    runner.`."""
    import importlib.util
    import zipfile

    try:
        text = zf.read("__main__.py").decode("utf-8")
    except (KeyError, UnicodeDecodeError, zipfile.BadZipFile) as e:
        raise _Error("cannot read __main__.py from %s (%s); rebuild it" % (pex, e))
    head, _, last = text.rstrip("\n").rpartition("\n")
    end = head.find(_RUNNER_END)
    if not last.startswith("boot(") or end < 0:
        raise _Error("%s has no boot(...) line or no runner in its __main__.py; rebuild it" % pex)
    runner = head[: end + len(_RUNNER_END)]
    if _by_tool():
        # pex-rs extract/verify/venv checked this text against the PEX's pex_hash, but nothing
        # vouches for the PEX's bytecode of it: the venv compiles its own.
        return runner, None
    try:
        bytecode = zf.read(_RUNNER_BYTECODE % sys.implementation.cache_tag)
    except (KeyError, zipfile.BadZipFile):
        bytecode = None
    if bytecode is not None and bytecode[:4] != importlib.util.MAGIC_NUMBER:
        bytecode = None  # another build of this version (a pre-release) reads other bytecode
    return runner, bytecode


def _cold(pex, root, entries, pex_hash, exe, key, info_text, install_only, points_sh):
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
        args = (pex_hash, exe, key, _boot_source(zf, pex), info_text, points_sh)

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
        raise _Error("cannot verify %s against %s: %s" % (root, pex, e))
    sys.stdout.flush()


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
        # An existing venv was made for this interpreter, which fitted then: a warm start decides
        # nothing.
        if (verify or not complete) and _has_choice(info):
            sh = os.path.join(os.path.dirname(venv), "sh") if not named and not verify else None
            refuse = _by_tool()
            entries, pex_info_text = _choose(pex, info, entries, pex_info_text, reexec, refuse, sh, points_sh)
        if verify:
            _verify_installed(pex, root, entries, venv, install_only)
            # The venv links to the wheels but not to the user code: check every entry.
            complete = os.path.isfile(os.path.join(venv, "pex")) and all(e.locate(root) for e in entries)
        if complete:
            _log("warm: %s" % venv)
            if points_sh:
                _point_sh(os.path.dirname(venv), key)
        else:
            _log("cold: no %s" % venv)
            venv, tmp = _cold(pex, root, entries, pex_hash, exe, key, pex_info_text, install_only, points_sh)
        dest = os.environ.get(_STANDALONE)
        if dest:
            scope = os.environ.get(_STANDALONE + "_SCOPE", "all")
            if scope not in ("all", "deps", "srcs"):
                raise _Error("the venv scope must be all, deps or srcs, not %r" % scope)
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
