# The pex-rs runtime: the interpreter fit. It judges whether an interpreter can run a PEX (its
# interpreter constraints) and which wheel of each project it loads best (its tags: the ELF
# header, glibc or musl, the macOS version). It runs in three places, as this same text: in a
# PEX's start that has a choice to make (loaded by search.py), in each candidate interpreter that
# the search probes (sent on its stdin after answer.py, so that a candidate answers for itself),
# and in pexcore's interpreter probe (interpreter/probe.py follows it), so the platform is
# detected by one piece of code. docs/format.md ("Choosing the interpreter") is the
# specification. Standard library only; Python 3.8+ (answer.py asks older ones nothing).
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
        raise ValueError(text) from None
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


def _linux_archs(linux):
    """The architectures of this interpreter on Linux (`linux` is the `linux_<arch>` platform the
    kernel reports), most specific first: packaging's, for a 32-bit interpreter on a 64-bit kernel
    and the armv8l one that also runs armv7l code."""
    import struct

    if struct.calcsize("P") == 4:  # a 32-bit interpreter reports a 64-bit kernel's machine
        linux = {"linux_x86_64": "linux_i686", "linux_aarch64": "linux_armv8l"}.get(linux, linux)
    arch = linux.split("_", 1)[1]
    return ["armv8l", "armv7l"] if arch == "armv8l" else [arch]


def _libc(archs):
    """The C library this interpreter runs on, as ("glibc", (major, minor)) when manylinux wheels
    can load in it, ("musl", (major, minor)), or None."""
    elf = _elf(sys.executable)
    glibc = _glibc()
    if glibc:
        # packaging's _have_compatible_abi, the half that needs the executable: manylinux assumes
        # hard-float EABI5 on 32-bit ARM and an i386 ELF on i686.
        if "armv7l" in archs:
            loads = bool(elf) and elf[:3] == (1, 1, 40) and elf[3] & 0xFF000000 == 0x05000000 and bool(elf[3] & 0x400)
        else:
            loads = "i686" not in archs or (bool(elf) and elf[:3] == (1, 1, 3))
        return ("glibc", glibc) if loads else None
    musl = _musl(elf and elf[4])
    return ("musl", musl) if musl else None


def _linux_platforms(linux):
    """packaging's _linux_platforms for `linux_<arch>`: manylinux tags (PEP 600) while glibc and
    the interpreter's ABI allow, musllinux tags (PEP 656) on musl, then linux_<arch>."""
    archs = _linux_archs(linux)
    arch = archs[0]
    libc = _libc(archs)
    # Apart from 32-bit ARM and i686 (which _libc judged), manylinux exists only for these.
    known = ("x86_64", "aarch64", "ppc64", "ppc64le", "s390x", "loongarch64", "riscv64", "i686", "armv7l")
    tags = []
    if libc and libc[0] == "glibc" and archs[-1] in known:
        glibc = libc[1]
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
    if libc and libc[0] == "musl":
        musl = libc[1]
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


def _mac_release():
    """(this macOS release as (major, minor), the interpreter's architecture): packaging's
    mac_platforms inputs."""
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
    return version, arch


def _mac_platforms():
    """packaging's mac_platforms: this macOS release and each older one, in every binary format
    that can hold the interpreter's architecture."""
    version, arch = _mac_release()
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
    """A probed candidate's reply (see answer.py): three lines."""
    print("%s %s" % _identity())
    print(sys.executable)
    print(_fit(constraints, projects, targets)[0] or "")
