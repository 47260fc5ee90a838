"""Builds the wheel of the pex_rs binding, carrying a libpex.so, with the standard library only.

    cargo build --release -p pexffi
    python3 pexffi/python/build_wheel.py --library target/release/libpex.so --output dist/

Prints the wheel's path. The version is the library's own (`pex_version()`, so the library must
run here), and the module checks at import that it drives a library of that version. The
platform tag is this machine's (`linux_x86_64` on x86-64 Linux), or `--plat-name`: as honest as a
build without auditwheel can be, the library runs where its glibc is at least the build
machine's. The wheel is reproducible: entries dated 1980-01-01, mode 644 (755 for the library).
"""

import argparse
import base64
import ctypes
import hashlib
import io
import os
import sysconfig
import zipfile

HERE = os.path.dirname(os.path.abspath(__file__))


def record_line(name, data):
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode("ascii")
    return "{},sha256={},{}\n".format(name, digest, len(data))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--library", required=True, help="the libpex.so to carry")
    parser.add_argument("--output", required=True, help="the directory to write the wheel into")
    parser.add_argument("--plat-name", help="the platform tag (default: this machine's, such as linux_x86_64)")
    arguments = parser.parse_args()

    library = ctypes.CDLL(os.path.abspath(arguments.library))
    library.pex_version.restype = ctypes.c_char_p
    version = library.pex_version().decode("ascii")
    platform = arguments.plat_name or sysconfig.get_platform().replace("-", "_").replace(".", "_")
    tag = "py3-none-" + platform
    dist_info = "pex_rs-{}.dist-info".format(version)

    with open(os.path.join(HERE, "README.md"), "rb") as readme:
        description = readme.read().decode("utf-8")
    metadata = (
        "Metadata-Version: 2.1\n"
        "Name: pex_rs\n"
        "Version: {}\n"
        "Summary: Build, resolve, lock and install PEX files from Python (pex-rs's C ABI)\n"
        "License: Apache-2.0\n"
        "Requires-Python: >=3.8\n"
        "Description-Content-Type: text/markdown\n"
        "\n{}"
    ).format(version, description)
    wheel = "Wheel-Version: 1.0\nGenerator: pex-rs build_wheel.py\nRoot-Is-Purelib: false\nTag: {}\n".format(tag)

    with open(os.path.join(HERE, "pex_rs", "__init__.py"), "rb") as module:
        module_bytes = module.read()
    with open(arguments.library, "rb") as shared:
        library_bytes = shared.read()
    members = [
        ("pex_rs/__init__.py", module_bytes, 0o644),
        ("pex_rs/libpex.so", library_bytes, 0o755),
        ("pex_rs/_version.py", 'VERSION = "{}"\n'.format(version).encode("ascii"), 0o644),
        ("pex_rs/py.typed", b"", 0o644),
        (dist_info + "/METADATA", metadata.encode("utf-8"), 0o644),
        (dist_info + "/WHEEL", wheel.encode("utf-8"), 0o644),
    ]
    record = "".join(record_line(name, data) for name, data, _ in members) + dist_info + "/RECORD,,\n"
    members.append((dist_info + "/RECORD", record.encode("utf-8"), 0o644))

    os.makedirs(arguments.output, exist_ok=True)
    path = os.path.join(os.path.abspath(arguments.output), "pex_rs-{}-{}.whl".format(version, tag))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data, mode in members:
            info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
            info.external_attr = (0o100000 | mode) << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, data, compresslevel=6)
    temporary = path + ".partial"
    with open(temporary, "wb") as out:
        out.write(buffer.getvalue())
    os.replace(temporary, path)
    print(path)


if __name__ == "__main__":
    main()
