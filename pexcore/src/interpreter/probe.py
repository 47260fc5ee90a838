# Prints what pex-rs needs to know about the interpreter running this script, as one JSON
# object. Standard library only; must run on every Python pex-rs supports (3.8+).
#
# The "tags" object holds the inputs of PEP 425 tag generation, computed the way packaging 24/25
# (`packaging.tags`) computes them. The interpreter may not have packaging, so this script
# repeats the few system queries packaging makes; `pexcore/src/tags.rs` turns their answers
# into the ordered tag list.
import json
import os
import platform
import re
import struct
import subprocess
import sys
import sysconfig

# packaging's `INTERPRETER_SHORT_NAMES`.
SHORT_NAMES = {"python": "py", "cpython": "cp", "pypy": "pp", "ironpython": "ip", "jython": "jy"}

# A 32-bit interpreter on a 64-bit kernel reports the kernel's machine; packaging corrects it.
IS_32_BIT = struct.calcsize("P") == 4

# ELF constants packaging's `_manylinux` uses to tell which 32-bit ABI the interpreter has.
ELF_32_BIT = 1
ELF_LITTLE_ENDIAN = 1
ELF_MACHINE_I386 = 3
ELF_MACHINE_ARM = 40
EF_ARM_ABIMASK = 0xFF000000
EF_ARM_ABI_VER5 = 0x05000000
EF_ARM_ABI_FLOAT_HARD = 0x00000400
PT_INTERP = 3


def version_text(info):
    text = "{0.major}.{0.minor}.{0.micro}".format(info)
    if info.releaselevel != "final":
        text += info.releaselevel[0] + str(info.serial)
    return text


def normalize(text):
    return text.replace(".", "_").replace("-", "_").replace(" ", "_")


def cpython_abis(version):
    # packaging's `_cpython_abis`: this CPython's ABI tags, most specific first.
    from importlib.machinery import EXTENSION_SUFFIXES

    nodot = "%d%d" % version
    with_debug = sysconfig.get_config_var("Py_DEBUG")
    # Windows does not set Py_DEBUG; there a debug build is the one that loads `_d.pyd` modules
    # (https://github.com/pypa/pip/issues/3383#issuecomment-173267692).
    debug_hints = hasattr(sys, "gettotalrefcount") or "_d.pyd" in EXTENSION_SUFFIXES
    debug = "d" if with_debug or (with_debug is None and debug_hints) else ""
    threading = "t" if version >= (3, 13) and sysconfig.get_config_var("Py_GIL_DISABLED") else ""
    pymalloc = ""
    if version < (3, 8):
        with_pymalloc = sysconfig.get_config_var("WITH_PYMALLOC")
        pymalloc = "m" if with_pymalloc or with_pymalloc is None else ""
    abis = ["cp" + nodot + threading + debug + pymalloc]
    if version >= (3, 8) and debug:
        # A debug build also loads ordinary extension modules.
        abis.append("cp" + nodot + threading)
    return abis


def generic_abis():
    # packaging's `_generic_abi`: the ABI tag inside EXT_SUFFIX, such as `pypy310_pp73`.
    ext_suffix = sysconfig.get_config_var("EXT_SUFFIX")
    if not isinstance(ext_suffix, str) or not ext_suffix.startswith("."):
        # packaging raises here; no ABI tag leaves the `none` ABI, which every build loads.
        return []
    parts = ext_suffix.split(".")
    if len(parts) < 3:
        # CPython 3.7 and earlier on Windows: a bare ".pyd".
        return cpython_abis(sys.version_info[:2])
    soabi = parts[1]
    if soabi.startswith("cpython"):
        abi = "cp" + soabi.split("-")[1]
    elif soabi.startswith("cp"):
        abi = soabi.split("-")[0]
    elif soabi.startswith("pypy"):
        abi = "-".join(soabi.split("-")[:2])
    elif soabi.startswith("graalpy"):
        abi = "-".join(soabi.split("-")[:3])
    elif soabi:
        abi = soabi
    else:
        return []
    return [normalize(abi)]


def elf_header(path):
    # The fields of an ELF file that packaging's `_elffile` reads: (class, byte order, machine,
    # flags, PT_INTERP path), or None when `path` is not a readable ELF file.
    layouts = {
        (1, 1): ("<HHIIIIIHHH", "<IIIIIIII", (0, 1, 4)),
        (1, 2): (">HHIIIIIHHH", ">IIIIIIII", (0, 1, 4)),
        (2, 1): ("<HHIQQQIHHH", "<IIQQQQQQ", (0, 2, 5)),
        (2, 2): (">HHIQQQIHHH", ">IIQQQQQQ", (0, 2, 5)),
    }
    try:
        with open(path, "rb") as file:
            ident = file.read(16)
            if len(ident) < 16 or ident[:4] != b"\x7fELF" or (ident[4], ident[5]) not in layouts:
                return None
            header_layout, segment_layout, (type_at, offset_at, size_at) = layouts[(ident[4], ident[5])]
            header = struct.unpack(header_layout, file.read(struct.calcsize(header_layout)))
            machine, segments_offset, flags, segment_size, segment_count = (
                header[1],
                header[4],
                header[6],
                header[8],
                header[9],
            )
            interpreter = None
            for index in range(segment_count):
                file.seek(segments_offset + segment_size * index)
                data = file.read(struct.calcsize(segment_layout))
                if len(data) < struct.calcsize(segment_layout):
                    continue
                segment = struct.unpack(segment_layout, data)
                if segment[type_at] == PT_INTERP:
                    file.seek(segment[offset_at])
                    interpreter = os.fsdecode(file.read(segment[size_at])).strip("\0")
                    break
            return ident[4], ident[5], machine, flags, interpreter
    except (OSError, struct.error, ValueError):
        return None


def glibc_version():
    # packaging's `_get_glibc_version`: confstr first, then the C library itself.
    text = None
    try:
        words = os.confstr("CS_GNU_LIBC_VERSION").split()  # "glibc 2.36"
        if len(words) == 2:
            text = words[1]
    except (AttributeError, OSError, ValueError):
        pass
    if text is None:
        try:
            import ctypes

            # dlopen(NULL) is the running process, so the linker names the C library in use.
            function = ctypes.CDLL(None).gnu_get_libc_version
        except (ImportError, OSError, AttributeError):
            return None
        function.restype = ctypes.c_char_p
        text = function()
        if isinstance(text, bytes):
            text = text.decode("ascii")
        if not text:
            return None
    # Forks append junk after the minor version ("2.20-2014.11").
    match = re.match(r"([0-9]+)\.([0-9]+)", text)
    return [int(match.group(1)), int(match.group(2))] if match else None


def musl_version(loader):
    # packaging's `_get_musl_version`: the musl loader prints its version when run bare.
    if loader is None or "musl" not in loader:
        return None
    try:
        process = subprocess.run([loader], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, universal_newlines=True)
    except OSError:
        return None
    lines = [line.strip() for line in process.stderr.splitlines() if line.strip()]
    if len(lines) < 2 or lines[0][:4] != "musl":
        return None
    match = re.match(r"Version (\d+)\.(\d+)", lines[1])
    return [int(match.group(1)), int(match.group(2))] if match else None


def loads_manylinux(archs, header):
    # The half of packaging's `_have_compatible_abi` that needs the executable: a 32-bit ARM or
    # x86 interpreter must have the ABI manylinux assumes. tags.rs checks the architecture list.
    if "armv7l" in archs:
        return (
            header is not None
            and header[:3] == (ELF_32_BIT, ELF_LITTLE_ENDIAN, ELF_MACHINE_ARM)
            and header[3] & EF_ARM_ABIMASK == EF_ARM_ABI_VER5
            and header[3] & EF_ARM_ABI_FLOAT_HARD == EF_ARM_ABI_FLOAT_HARD
        )
    if "i686" in archs:
        return header is not None and header[:3] == (ELF_32_BIT, ELF_LITTLE_ENDIAN, ELF_MACHINE_I386)
    return True


def linux_platform():
    # packaging's `_linux_platforms`, up to the point where it lists tags.
    linux = normalize(sysconfig.get_platform())
    if not linux.startswith("linux_"):
        return {"os": "other", "tag": linux}
    if IS_32_BIT:
        if linux == "linux_x86_64":
            linux = "linux_i686"
        elif linux == "linux_aarch64":
            linux = "linux_armv8l"
    arch = linux.split("_", 1)[1]
    archs = ["armv8l", "armv7l"] if arch == "armv8l" else [arch]
    header = elf_header(sys.executable)
    glibc = glibc_version()
    musl = None if glibc is not None else musl_version(header[4] if header else None)
    if glibc is not None:
        libc = {"glibc": glibc} if loads_manylinux(archs, header) else "unknown"
    elif musl is not None:
        libc = {"musl": musl}
    else:
        libc = "unknown"
    return {"os": "linux", "arch": arch, "libc": libc}


def mac_version(text):
    # Padded, so a bare "26" reads as 26.0.
    return ([int(part) for part in text.split(".")[:2]] + [0, 0])[:2]


def mac_platform():
    # packaging's `mac_platforms` inputs: the macOS version and the binary's architecture.
    text, _, machine = platform.mac_ver()
    version = mac_version(text)
    if version == [10, 16]:
        # A Python built against an older SDK sees macOS 11 and later as 10.16 unless asked not to.
        text = subprocess.run(
            [sys.executable, "-sS", "-c", "import platform; print(platform.mac_ver()[0])"],
            check=True,
            env={"SYSTEM_VERSION_COMPAT": "0"},
            stdout=subprocess.PIPE,
            universal_newlines=True,
        ).stdout
        version = mac_version(text)
    if IS_32_BIT:
        machine = "ppc" if machine.startswith("ppc") else "i386"
    return {"os": "macos", "arch": machine, "version": version}


def tag_environment():
    name = sys.implementation.name
    implementation = SHORT_NAMES.get(name) or name
    python_version = sys.version_info[:2]
    system = platform.system()
    if system == "Darwin":
        target = mac_platform()
    elif system == "Linux":
        target = linux_platform()
    else:
        target = {"os": "other", "tag": normalize(sysconfig.get_platform())}
    return {
        "implementation": implementation,
        "python_version": list(python_version),
        "abis": cpython_abis(python_version) if implementation == "cp" else generic_abis(),
        "platform": target,
    }


def pip_index_url():
    # The index this interpreter's pip uses when nothing configures one: pex-rs falls back to it
    # (docs/resolve.md, "Which index") and never writes an index host itself.
    try:
        from pip._internal.models.index import PyPI

        return PyPI.simple_url
    except Exception:
        return None


def bytecode():
    import importlib.util

    tag = sys.implementation.cache_tag
    return {"cache_tag": tag, "magic": importlib.util.MAGIC_NUMBER.hex()} if tag else None


implementation = sys.implementation
print(
    json.dumps(
        {
            # PEP 508 marker environment, as `packaging.markers.default_environment()` has it.
            "implementation_name": implementation.name,
            "implementation_version": version_text(implementation.version),
            "os_name": os.name,
            "platform_machine": platform.machine(),
            "platform_python_implementation": platform.python_implementation(),
            "platform_release": platform.release(),
            "platform_system": platform.system(),
            "platform_version": platform.version(),
            "python_full_version": platform.python_version(),
            "python_version": ".".join(platform.python_version_tuple()[:2]),
            "sys_platform": sys.platform,
            # PEP 425 tag inputs (see the top of this file).
            "tags": tag_environment(),
            "pip_index_url": pip_index_url(),
            # The real executable behind a name or a wrapper (a pyenv shim).
            "executable": sys.executable,
            # What the bytecode this interpreter reads is called and starts with (`bytecode`).
            "bytecode": bytecode(),
        },
        sort_keys=True,
    )
)
