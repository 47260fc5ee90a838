# Prints what pex-rs needs to know about the interpreter running this script, as one JSON
# object. Standard library only; must run on every Python pex-rs supports (3.8+).
#
# It follows the boot code's interpreter fit (pexcore/src/boot/fit.py) in one text, and uses its
# platform detection: the ELF header, glibc or musl, the macOS release, the ABI tags. The "tags"
# object holds those inputs of PEP 425 tag generation, computed the way packaging 24/25
# (`packaging.tags`) computes them; `pexcore/src/tags.rs` turns them into the ordered tag list
# (the fit lists this interpreter's tags itself, at run time, where no pexcore is).
import json
import os
import platform
import sys
import sysconfig


def version_text(info):
    text = "{0.major}.{0.minor}.{0.micro}".format(info)
    if info.releaselevel != "final":
        text += info.releaselevel[0] + str(info.serial)
    return text


def linux_platform():
    # packaging's `_linux_platforms`, up to the point where it lists tags.
    linux = _normalize(sysconfig.get_platform())
    if not linux.startswith("linux_"):
        return {"os": "other", "tag": linux}
    archs = _linux_archs(linux)
    libc = _libc(archs)
    return {"os": "linux", "arch": archs[0], "libc": {libc[0]: list(libc[1])} if libc else "unknown"}


def mac_platform():
    # packaging's `mac_platforms` inputs: the macOS version and the binary's architecture.
    version, arch = _mac_release()
    return {"os": "macos", "arch": arch, "version": list(version)}


def tag_environment():
    name = sys.implementation.name
    # packaging's `INTERPRETER_SHORT_NAMES`.
    short_names = {"python": "py", "cpython": "cp", "pypy": "pp", "ironpython": "ip", "jython": "jy"}
    implementation = short_names.get(name) or name
    python_version = sys.version_info[:2]
    system = platform.system()
    if system == "Darwin":
        target = mac_platform()
    elif system == "Linux":
        target = linux_platform()
    else:
        target = {"os": "other", "tag": _normalize(sysconfig.get_platform())}
    return {
        "implementation": implementation,
        "python_version": list(python_version),
        "abis": _cpython_abis() if implementation == "cp" else _generic_abis(),
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
