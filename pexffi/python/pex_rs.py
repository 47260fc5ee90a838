"""pex-rs from Python, through its C ABI (`libpex.so`, built by `cargo build -p pexffi`).

    import pex_rs
    pex_rs.version()                # "0.1.0"
    info = pex_rs.inspect("app.pex")  # PEX-INFO as a dict
    info["pex_hash"]

Errors raise `pex_rs.PexError`, whose `code` is the `pex_result` of the C call (the
`PEX_RESULT_*` values of `pex.h`, such as `PexError.INVALID_ARCHIVE`) and whose message is the
library's. The library is found at `$PEX_RS_LIBRARY`, next to this file, or on the loader's
path (`ctypes.util.find_library("pex")`). Standard library only; Python 3.8+.
"""

import ctypes
import ctypes.util
import json
import os

__all__ = ["PexError", "inspect", "version"]


class PexError(Exception):
    """A failed call: `code` is its `pex_result`, `args[0]` the library's message."""

    OK = 0
    NULL_PARAMETER = 100
    INVALID_ARGUMENT = 101
    INVALID_UTF8 = 102
    IO = 200
    NETWORK = 201
    LOCK_TIMEOUT = 202
    INTERPRETER = 203
    RESOLUTION_FAILED = 300
    INVALID_ARCHIVE = 301
    HASH_MISMATCH = 302
    PANIC = 900

    def __init__(self, code, message):
        super().__init__(message)
        self.code = code


_library = None


def _load():
    global _library
    if _library is not None:
        return _library
    here = os.path.join(os.path.dirname(os.path.abspath(__file__)), "libpex.so")
    path = os.environ.get("PEX_RS_LIBRARY") or (here if os.path.exists(here) else ctypes.util.find_library("pex"))
    if not path:
        raise OSError("libpex.so not found: set PEX_RS_LIBRARY to its path (cargo build -p pexffi builds it)")
    library = ctypes.CDLL(path)
    library.pex_version.restype = ctypes.c_char_p
    library.pex_version.argtypes = []
    library.pex_error_new.restype = ctypes.c_void_p
    library.pex_error_new.argtypes = []
    library.pex_error_free.restype = None
    library.pex_error_free.argtypes = [ctypes.c_void_p]
    library.pex_error_code.restype = ctypes.c_uint32
    library.pex_error_code.argtypes = [ctypes.c_void_p]
    library.pex_error_message.restype = ctypes.c_char_p
    library.pex_error_message.argtypes = [ctypes.c_void_p]
    # Strings the library allocates come back as void pointers, so that they can be freed.
    library.pex_string_free.restype = None
    library.pex_string_free.argtypes = [ctypes.c_void_p]
    library.pex_inspect.restype = ctypes.c_uint32
    library.pex_inspect.argtypes = [ctypes.c_char_p, ctypes.POINTER(ctypes.c_void_p), ctypes.c_void_p]
    _library = library
    return library


def version():
    """The library's version."""
    return _load().pex_version().decode("utf-8")


def inspect(path):
    """The PEX-INFO of the PEX file at `path` (or a pex `packed`/`loose` directory), as a dict."""
    library = _load()
    error = library.pex_error_new()
    out = ctypes.c_void_p()
    try:
        code = library.pex_inspect(os.fsencode(path), ctypes.byref(out), error)
        if code != PexError.OK:
            raise PexError(code, library.pex_error_message(error).decode("utf-8", "replace"))
        try:
            return json.loads(ctypes.string_at(out.value).decode("utf-8"))
        finally:
            library.pex_string_free(out.value)
    finally:
        library.pex_error_free(error)
