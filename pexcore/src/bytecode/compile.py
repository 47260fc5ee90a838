# Compiles Python sources to bytecode for pex-rs (pexcore/src/bytecode/mod.rs), as the
# interpreter running this script reads it. Standard library only; Python 3.8+.
#
# The files are PEP 552 hash-based .pyc files that Python does not check against their source
# ("unchecked"): what pex-rs installs is content-addressed and never edited in place, and a
# check would cost a read of every source at every import. The output is a function of the
# sources and the interpreter version only: no timestamps, and pex-rs runs this script with
# PYTHONHASHSEED=0 (Python 3.8 marshals the constants of `x in {"a", "b"}` in hash order).
#
#   compile.py sources      stdin: records (path, source); stdout: records (.pyc path, .pyc)
#   compile.py tree DIR...  write the .pyc of every .py file under each DIR that has none yet
#
# A record is each of its fields as a 4-byte big-endian length and the bytes. A file that does
# not compile (Python 2 syntax in a wheel's tests, say) is left out, as pip's compileall does;
# Python compiles it if it is ever imported.
import sys

sys.path[:] = [entry for entry in sys.path if entry]  # not the working directory of `-c`

import importlib.util  # noqa: E402
import marshal  # noqa: E402
import os  # noqa: E402
import struct  # noqa: E402
import warnings  # noqa: E402

FLAGS = struct.pack("<I", 0b01)  # hash-based, not checked
TAG = sys.implementation.cache_tag


def pyc(source, path):
    """The .pyc bytes of source, or None when it does not compile."""
    try:
        code = compile(source, path, "exec", dont_inherit=True, optimize=0)
    except Exception:  # SyntaxError, ValueError (NUL bytes), RecursionError, ...
        return None
    return importlib.util.MAGIC_NUMBER + FLAGS + importlib.util.source_hash(source) + marshal.dumps(code)


def pyc_path(path):
    """a/b.py -> a/__pycache__/b.cpython-311.pyc (the name importlib looks for, without
    sys.pycache_prefix, which this script's caller does not set); paths use "/"."""
    head, _, name = path.rpartition("/")
    return "%s%s__pycache__/%s.%s.pyc" % (head, "/" if head else "", name[:-3], TAG)


def read_records(data):
    fields, offset = [], 0
    while offset < len(data):
        (size,) = struct.unpack_from(">I", data, offset)
        fields.append(data[offset + 4:offset + 4 + size])
        offset += 4 + size
    return fields


def sources():
    fields = read_records(sys.stdin.buffer.read())
    out = sys.stdout.buffer
    for path, source in zip(fields[::2], fields[1::2]):
        path = path.decode("utf-8")
        compiled = pyc(source, path)
        if compiled is not None:
            name = pyc_path(path).encode("utf-8")
            out.write(struct.pack(">I", len(name)) + name + struct.pack(">I", len(compiled)) + compiled)
    out.flush()


def compile_file(path):
    target = pyc_path(path)
    with open(path, "rb") as f:
        compiled = pyc(f.read(), path)
    if compiled is None:
        return
    os.makedirs(os.path.dirname(target), exist_ok=True)
    temporary = "%s.%s.tmp" % (target, os.getpid())
    with open(temporary, "wb") as f:
        f.write(compiled)
    os.replace(temporary, target)


def tree(directories):
    paths = []
    for directory in directories:
        for parent, dirs, files in os.walk(directory):
            dirs[:] = sorted(d for d in dirs if d != "__pycache__")
            for name in sorted(files):
                path = os.path.join(parent, name)
                if name.endswith(".py") and not os.path.exists(pyc_path(path)):
                    paths.append(path)
    workers = min(os.cpu_count() or 1, 8)
    if workers > 1 and len(paths) > 200 and hasattr(os, "fork"):
        # A large tree (a `pex-rs extract` of numpy) is compiled on every core: forked workers,
        # since a `-c` script cannot be re-imported by spawned ones.
        import concurrent.futures
        import multiprocessing

        context = multiprocessing.get_context("fork")
        with concurrent.futures.ProcessPoolExecutor(workers, mp_context=context) as pool:
            for _ in pool.map(compile_file, paths, chunksize=32):
                pass
    else:
        for path in paths:
            compile_file(path)


if TAG is None:
    sys.exit("this interpreter caches no bytecode (sys.implementation.cache_tag is None)")
warnings.simplefilter("ignore")  # SyntaxWarnings of invalid escapes and the like: not ours to show
if sys.argv[1:2] == ["sources"]:
    sources()
elif sys.argv[1:2] == ["tree"]:
    tree(sys.argv[2:])
else:
    sys.exit("usage: compile.py sources | tree DIR...")
