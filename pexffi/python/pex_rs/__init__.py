"""pex-rs from Python: build, resolve, lock, inspect and install PEX files.

A binding of pex-rs's C ABI (``libpex.so``) with ctypes; standard library only; Python 3.8+.

    import pex_rs

    report = pex_rs.build("app.pex", ["requests"], entry_point="app:main")
    report.size, report.pex_info["distributions"]
    pex_rs.inspect("app.pex")["pex_hash"]
    pex_rs.extract("app.pex", pex_root="/opt/pex-root")

Every function raises a subclass of :class:`PexError` on failure: :class:`ResolutionError`,
:class:`NetworkError`, :class:`HashMismatchError`, :class:`InvalidArchiveError`,
:class:`InterpreterError`, :class:`InvalidArgumentError`, :class:`LockTimeoutError`,
:class:`CancelledError`, or :class:`PexError` itself (I/O and the rest). Each carries the C
result ``code``, the whole message and ``hints``: how to fix it, when pex-rs knows.

The operations release the GIL while they run, so other threads go on, and several builds may
run at once on different threads. The library is ``$PEX_RS_LIBRARY`` if set, else the
``libpex.so`` next to this file (the wheel carries it), else the loader's search path.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import json
import os
import threading
from typing import Any, Callable, Dict, Iterable, List, NamedTuple, Optional, Sequence, Union

__all__ = [
    "BuildReport",
    "Cancel",
    "CancelledError",
    "HashMismatchError",
    "InterpreterError",
    "InvalidArchiveError",
    "InvalidArgumentError",
    "LockTimeoutError",
    "NetworkError",
    "PexError",
    "Progress",
    "ResolutionError",
    "build",
    "cache_info",
    "cache_prune",
    "download",
    "extract",
    "inspect",
    "lock",
    "prune",
    "resolve",
    "venv",
    "verify",
    "version",
]

PathLike = Union[str, "os.PathLike[str]"]


class PexError(Exception):
    """A failed call. ``code`` is its ``pex_result`` (the ``PEX_RESULT_*`` values of
    ``pex.h``, also here as ``PexError.IO`` ...), ``args[0]`` the message with its causes, and
    ``hints`` a list of ways to fix it (each naming, in backquotes, the keyword argument to
    change, when one does)."""

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
    CANCELLED = 400
    PANIC = 900

    def __init__(self, code: int, message: str, hints: Sequence[str] = ()) -> None:
        super().__init__(message)
        self.code = code
        self.hints = list(hints)

    def __str__(self) -> str:
        text = str(self.args[0])
        for hint in self.hints:
            text += "\n  hint: " + hint
        return text


class InvalidArgumentError(PexError, ValueError):
    """An argument is unusable: a missing file, a malformed entry point, nothing to build."""


class NetworkError(PexError):
    """A package index or file host could not be reached, or answered something broken."""


class LockTimeoutError(PexError):
    """The cache or the PEX_ROOT stayed busy for longer than the wait allowed."""


class InterpreterError(PexError):
    """A Python interpreter could not be found, run or probed."""


class ResolutionError(PexError):
    """No set of distributions satisfies the requirements, or one cannot be built."""


class InvalidArchiveError(PexError):
    """A wheel or PEX is not what it claims to be."""


class HashMismatchError(PexError):
    """A file's content does not match the digest that vouches for it."""


class CancelledError(PexError):
    """The operation was cancelled (:meth:`Cancel.request`, or a progress callable raised)."""


_ERRORS = {
    PexError.NULL_PARAMETER: InvalidArgumentError,
    PexError.INVALID_ARGUMENT: InvalidArgumentError,
    PexError.INVALID_UTF8: InvalidArgumentError,
    PexError.NETWORK: NetworkError,
    PexError.LOCK_TIMEOUT: LockTimeoutError,
    PexError.INTERPRETER: InterpreterError,
    PexError.RESOLUTION_FAILED: ResolutionError,
    PexError.INVALID_ARCHIVE: InvalidArchiveError,
    PexError.HASH_MISMATCH: HashMismatchError,
    PexError.CANCELLED: CancelledError,
}


class Progress(NamedTuple):
    """One progress event: ``kind`` is one of ``Progress.KINDS`` ("download_started" ...),
    ``name`` the project, file or source it is about, ``detail`` the version chosen or the line
    a build printed, ``amount`` a count or a number of bytes ("" and 0 where the kind has
    none)."""

    kind: str
    name: str
    detail: str
    amount: int

    KINDS = {
        1: "resolve_started",
        2: "resolve_chose",
        3: "resolve_finished",
        4: "download_started",
        5: "download_progressed",
        6: "download_finished",
        7: "build_started",
        8: "build_output",
        9: "build_finished",
    }


class BuildReport(NamedTuple):
    """What :func:`build` produced: the file's ``size`` in bytes, its ``pex_info`` (PEX-INFO as
    a dict) and the ``inputs``, the files of this machine it was built from."""

    size: int
    pex_info: Dict[str, Any]
    inputs: List[str]


class _ProgressEvent(ctypes.Structure):
    _fields_ = [
        ("kind", ctypes.c_uint32),
        ("name", ctypes.c_char_p),
        ("detail", ctypes.c_char_p),
        ("amount", ctypes.c_uint64),
    ]


_CALLBACK = ctypes.CFUNCTYPE(None, ctypes.c_void_p, ctypes.POINTER(_ProgressEvent))

_library = None
_library_lock = threading.Lock()


def _signatures(library: ctypes.CDLL) -> None:
    """Declares the C signatures this module calls."""
    p, s, u32, u64, b = ctypes.c_void_p, ctypes.c_char_p, ctypes.c_uint32, ctypes.c_uint64, ctypes.c_bool
    out = ctypes.POINTER(ctypes.c_void_p)
    table = {
        "pex_version": (s, []),
        "pex_error_new": (p, []),
        "pex_error_free": (None, [p]),
        "pex_error_code": (u32, [p]),
        "pex_error_message": (s, [p]),
        "pex_error_hints": (s, [p]),
        "pex_string_free": (None, [p]),
        "pex_cancel_new": (p, []),
        "pex_cancel_request": (u32, [p]),
        "pex_cancel_free": (None, [p]),
        "pex_build_options_new": (p, []),
        "pex_build_options_free": (None, [p]),
        "pex_build_options_set_progress": (u32, [p, _CALLBACK, p]),
        "pex_build_options_set_cancel": (u32, [p, p]),
        "pex_build_options_set_no_index": (u32, [p, b]),
        "pex_build_options_set_offline": (u32, [p, b]),
        "pex_build_options_set_pre": (u32, [p, b]),
        "pex_build_options_set_no_build": (u32, [p, b]),
        "pex_build_options_set_compile": (u32, [p, b]),
        "pex_build_options_set_retries": (u32, [p, u32]),
        "pex_build_options_set_timeout": (u32, [p, u64]),
        "pex_build_options_set_source_date_epoch": (u32, [p, u64]),
        "pex_build": (u32, [p, s, out, p]),
        "pex_build_report_free": (None, [p]),
        "pex_build_report_size": (u64, [p]),
        "pex_build_report_pex_info": (s, [p]),
        "pex_build_report_input_count": (ctypes.c_size_t, [p]),
        "pex_build_report_input": (s, [p, ctypes.c_size_t]),
        "pex_resolve": (u32, [p, out, p]),
        "pex_lock": (u32, [p, s, b, out, p]),
        "pex_download": (u32, [p, s, out, p]),
        "pex_inspect": (u32, [s, out, p]),
        "pex_install_options_new": (p, []),
        "pex_install_options_free": (None, [p]),
        "pex_install_options_set_compile": (u32, [p, b]),
        "pex_extract": (u32, [s, p, out, p]),
        "pex_verify": (u32, [s, p, out, p]),
        "pex_venv": (u32, [s, s, u32, p, p]),
        "pex_prune": (u32, [p, u64, u64, out, p]),
        "pex_cache_info": (u32, [p, out, p]),
        "pex_cache_prune": (u32, [p, u64, u64, ctypes.POINTER(ctypes.c_uint64), p]),
    }
    for setter in _TEXT_SETTERS.values():
        table[setter] = (u32, [p, s, p])
    for setter in _INSTALL_TEXT_SETTERS.values():
        table[setter] = (u32, [p, s, p])
    for name, (restype, argtypes) in table.items():
        function = getattr(library, name)
        function.restype = restype
        function.argtypes = argtypes


def _load() -> ctypes.CDLL:
    global _library
    with _library_lock:
        if _library is None:
            here = os.path.join(os.path.dirname(os.path.abspath(__file__)), "libpex.so")
            bundled = here if os.path.exists(here) else None
            path = os.environ.get("PEX_RS_LIBRARY") or bundled or ctypes.util.find_library("pex")
            if not path:
                raise OSError(
                    "libpex.so not found: install the pex_rs wheel, or set PEX_RS_LIBRARY to the library "
                    "(`cargo build --release -p pexffi` builds target/release/libpex.so)"
                )
            library = ctypes.CDLL(path)
            _signatures(library)
            _library = library
        return _library


def version() -> str:
    """The version of the pex-rs library."""
    return _load().pex_version().decode("utf-8")


class Cancel:
    """A cancellation flag: pass it as ``cancel=`` to :func:`build`, :func:`resolve`,
    :func:`lock` or :func:`download`, and call :meth:`request` from any thread to stop them at
    their next step with :class:`CancelledError`. Free with the object."""

    def __init__(self) -> None:
        self._library = _load()
        self._handle = self._library.pex_cancel_new()

    def request(self) -> None:
        """Raises the flag; it stays raised."""
        self._library.pex_cancel_request(self._handle)

    def __del__(self) -> None:
        handle, self._handle = getattr(self, "_handle", None), None
        if handle:
            self._library.pex_cancel_free(handle)


class _Error:
    """A ``pex_error`` object for the length of one call."""

    def __init__(self, library: ctypes.CDLL) -> None:
        self.library = library
        self.handle = library.pex_error_new()

    def check(self, code: int) -> None:
        if code == PexError.OK:
            return
        message = (self.library.pex_error_message(self.handle) or b"").decode("utf-8", "replace")
        hints = (self.library.pex_error_hints(self.handle) or b"").decode("utf-8", "replace").splitlines()
        raise _ERRORS.get(code, PexError)(code, message, hints)

    def free(self) -> None:
        self.library.pex_error_free(self.handle)


def _take_string(library: ctypes.CDLL, pointer: ctypes.c_void_p) -> str:
    """The string a call returned, freed."""
    try:
        return ctypes.string_at(pointer.value).decode("utf-8")
    finally:
        library.pex_string_free(pointer.value)


def _path(value: PathLike) -> bytes:
    return os.fsencode(os.fspath(value))


def _listed(value: Union[None, PathLike, Iterable[PathLike]]) -> List[PathLike]:
    """A single value or an iterable of them, as a list; a string is one value."""
    if value is None:
        return []
    if isinstance(value, (str, bytes, os.PathLike)):
        return [value]
    return list(value)


# Keyword argument -> the C setter that takes one text value (several for the list ones).
_TEXT_SETTERS = {
    "requirements": "pex_build_options_add_requirement",
    "requirements_files": "pex_build_options_add_requirements_file",
    "constraints_files": "pex_build_options_add_constraints_file",
    "wheels": "pex_build_options_add_wheel",
    "sources": "pex_build_options_add_source_directory",
    "lock_file": "pex_build_options_set_lock",
    "entry_point": "pex_build_options_set_entry_point",
    "script": "pex_build_options_set_script",
    "python": "pex_build_options_add_python",
    "platforms": "pex_build_options_add_platform",
    "complete_platforms": "pex_build_options_add_complete_platform",
    "interpreter_constraints": "pex_build_options_add_interpreter_constraint",
    "search_path": "pex_build_options_set_search_path",
    "cache_dir": "pex_build_options_set_cache_dir",
    "index_url": "pex_build_options_set_index_url",
    "extra_index_urls": "pex_build_options_add_extra_index_url",
    "find_links": "pex_build_options_add_find_links",
    "cert": "pex_build_options_set_cert",
}

# Keyword argument -> the C setter of a flag or a number.
_VALUE_SETTERS = {
    "no_index": "pex_build_options_set_no_index",
    "offline": "pex_build_options_set_offline",
    "pre": "pex_build_options_set_pre",
    "no_build": "pex_build_options_set_no_build",
    "compile": "pex_build_options_set_compile",
    "retries": "pex_build_options_set_retries",
    "timeout": "pex_build_options_set_timeout",
    "source_date_epoch": "pex_build_options_set_source_date_epoch",
}

_INSTALL_TEXT_SETTERS = {
    "pex_root": "pex_install_options_set_pex_root",
    "python": "pex_install_options_set_python",
    "search_path": "pex_install_options_set_search_path",
}


class _BuildOptions:
    """A ``pex_build_options`` handle made from keyword arguments, with its progress callback
    and cancel flag; the C handle lives as long as this object."""

    def __init__(
        self,
        library: ctypes.CDLL,
        error: _Error,
        options: Dict[str, Any],
        progress: Optional[Callable[[Progress], None]],
        cancel: Optional[Cancel],
    ) -> None:
        self.library = library
        self.handle = library.pex_build_options_new()
        self.raised: Optional[BaseException] = None
        self.cancel = cancel
        self.callback = None
        try:
            self._set(error, options, progress)
        except BaseException:
            self.free()
            raise

    def _set(self, error: _Error, options: Dict[str, Any], progress: Optional[Callable[[Progress], None]]) -> None:
        library = self.library
        for name, value in options.items():
            if value is None:
                continue
            if name in _TEXT_SETTERS:
                setter = getattr(library, _TEXT_SETTERS[name])
                for item in _listed(value):
                    error.check(setter(self.handle, _path(item), error.handle))
            elif name in _VALUE_SETTERS:
                getattr(library, _VALUE_SETTERS[name])(self.handle, value)
            else:
                raise TypeError("unexpected keyword argument {!r}".format(name))
        if progress is not None:
            if self.cancel is None:
                self.cancel = Cancel()
            self.callback = _CALLBACK(self._forward(progress))
            library.pex_build_options_set_progress(self.handle, self.callback, None)
        if self.cancel is not None:
            library.pex_build_options_set_cancel(self.handle, self.cancel._handle)

    def _forward(self, progress: Callable[[Progress], None]) -> Callable[[Any, Any], None]:
        def forward(_userdata: Any, event_pointer: Any) -> None:
            if self.raised is not None:
                return
            event = event_pointer.contents
            try:
                progress(
                    Progress(
                        Progress.KINDS.get(event.kind, str(event.kind)),
                        (event.name or b"").decode("utf-8", "replace"),
                        (event.detail or b"").decode("utf-8", "replace"),
                        event.amount,
                    )
                )
            except BaseException as raised:  # noqa: BLE001: carried to the caller's thread
                # An exception cannot cross C: remember it, stop the operation, raise it after.
                self.raised = raised
                assert self.cancel is not None
                self.cancel.request()

        return forward

    def run(self, error: _Error, code: int) -> None:
        """Checks the code of an operation run with these options."""
        if self.raised is not None:
            raise self.raised
        error.check(code)

    def free(self) -> None:
        self.library.pex_build_options_free(self.handle)


def _with_build_options(
    options: Dict[str, Any],
    progress: Optional[Callable[[Progress], None]],
    cancel: Optional[Cancel],
    operation: Callable[[ctypes.CDLL, Any, _Error, _BuildOptions], Any],
) -> Any:
    library = _load()
    error = _Error(library)
    try:
        handle = _BuildOptions(library, error, options, progress, cancel)
        try:
            return operation(library, handle.handle, error, handle)
        finally:
            handle.free()
    finally:
        error.free()


def build(
    output: PathLike,
    requirements: Union[str, Iterable[str]] = (),
    *,
    progress: Optional[Callable[[Progress], None]] = None,
    cancel: Optional[Cancel] = None,
    **options: Any,
) -> BuildReport:
    """Builds a PEX at ``output``, as ``pex-rs build`` does, and returns its report.

    ``requirements`` are PEP 508 requirements, project directories, archive paths or URLs.
    Keyword options, each optional (a list option also takes a single value):
    ``requirements_files``, ``constraints_files``, ``wheels``, ``sources`` (directories copied
    to the PEX's root), ``lock_file`` (build from a lock), ``entry_point`` (``module`` or
    ``module:function``), ``script`` (a console script), ``python`` (interpreters to build
    for), ``platforms``, ``complete_platforms``, ``interpreter_constraints``, ``search_path``
    (a ``PATH`` value), ``cache_dir``, ``index_url``, ``extra_index_urls``, ``find_links``,
    ``cert``, ``no_index``, ``offline``, ``pre``, ``no_build``, ``compile`` (bytecode, default
    true), ``retries``, ``timeout`` (seconds), ``source_date_epoch``.

    ``progress`` is called with a :class:`Progress` for each event, on the library's worker
    threads; if it raises, the build stops and the exception is raised here. ``cancel`` stops the
    build when requested.
    """

    def operation(library: ctypes.CDLL, handle: Any, error: _Error, options_: _BuildOptions) -> BuildReport:
        report = ctypes.c_void_p()
        options_.run(error, library.pex_build(handle, _path(output), ctypes.byref(report), error.handle))
        try:
            count = library.pex_build_report_input_count(report)
            return BuildReport(
                size=library.pex_build_report_size(report),
                pex_info=json.loads(library.pex_build_report_pex_info(report).decode("utf-8")),
                inputs=[library.pex_build_report_input(report, index).decode("utf-8") for index in range(count)],
            )
        finally:
            library.pex_build_report_free(report)

    return _with_build_options(dict(options, requirements=requirements), progress, cancel, operation)


def resolve(
    requirements: Union[str, Iterable[str]] = (),
    *,
    progress: Optional[Callable[[Progress], None]] = None,
    cancel: Optional[Cancel] = None,
    **options: Any,
) -> List[Dict[str, str]]:
    """Resolves ``requirements`` (with the options of :func:`build`) without downloading, and
    returns the chosen distributions sorted by project: ``{"name", "version", "file"}``."""

    def operation(library: ctypes.CDLL, handle: Any, error: _Error, options_: _BuildOptions) -> Any:
        out = ctypes.c_void_p()
        options_.run(error, library.pex_resolve(handle, ctypes.byref(out), error.handle))
        return json.loads(_take_string(library, out))

    return _with_build_options(dict(options, requirements=requirements), progress, cancel, operation)


def lock(
    output: PathLike,
    requirements: Union[str, Iterable[str]] = (),
    *,
    universal: bool = False,
    progress: Optional[Callable[[Progress], None]] = None,
    cancel: Optional[Cancel] = None,
    **options: Any,
) -> Dict[str, Any]:
    """Resolves ``requirements`` and writes a PEP 751 lock at ``output`` (``pylock.toml``);
    returns ``{"packages": N, "changes": [...], "written": bool}``. ``universal`` locks for every
    CPython the interpreter constraints admit, on Linux, macOS and Windows."""

    def operation(library: ctypes.CDLL, handle: Any, error: _Error, options_: _BuildOptions) -> Any:
        out = ctypes.c_void_p()
        options_.run(error, library.pex_lock(handle, _path(output), universal, ctypes.byref(out), error.handle))
        return json.loads(_take_string(library, out))

    return _with_build_options(dict(options, requirements=requirements), progress, cancel, operation)


def download(
    directory: PathLike,
    requirements: Union[str, Iterable[str]] = (),
    *,
    progress: Optional[Callable[[Progress], None]] = None,
    cancel: Optional[Cancel] = None,
    **options: Any,
) -> List[str]:
    """Resolves ``requirements`` and copies the chosen wheels and sdists into ``directory``, each
    checked against its digest, for builds without a network; returns their paths."""

    def operation(library: ctypes.CDLL, handle: Any, error: _Error, options_: _BuildOptions) -> Any:
        out = ctypes.c_void_p()
        options_.run(error, library.pex_download(handle, _path(directory), ctypes.byref(out), error.handle))
        return json.loads(_take_string(library, out))

    return _with_build_options(dict(options, requirements=requirements), progress, cancel, operation)


def inspect(path: PathLike) -> Dict[str, Any]:
    """The PEX-INFO of the PEX file at ``path`` (or a pex ``packed``/``loose`` directory)."""
    library = _load()
    error = _Error(library)
    try:
        out = ctypes.c_void_p()
        error.check(library.pex_inspect(_path(path), ctypes.byref(out), error.handle))
        return json.loads(_take_string(library, out))
    finally:
        error.free()


def _with_install_options(options: Dict[str, Any], operation: Callable[[ctypes.CDLL, Any, _Error], Any]) -> Any:
    library = _load()
    error = _Error(library)
    handle = library.pex_install_options_new()
    try:
        for name, value in options.items():
            if value is None:
                continue
            if name == "compile":
                library.pex_install_options_set_compile(handle, bool(value))
            elif name in _INSTALL_TEXT_SETTERS:
                setter = getattr(library, _INSTALL_TEXT_SETTERS[name])
                error.check(setter(handle, _path(value), error.handle))
            else:
                raise TypeError("unexpected keyword argument {!r}".format(name))
        return operation(library, handle, error)
    finally:
        library.pex_install_options_free(handle)
        error.free()


def extract(pex: PathLike, **options: Any) -> Dict[str, List[str]]:
    """Installs the PEX at ``pex`` into a PEX_ROOT ahead of time, as its first start would.
    Options: ``pex_root`` (default: the environment's), ``python``, ``search_path``,
    ``compile``. Returns ``{"installed": [...], "entries": [...]}``."""

    def operation(library: ctypes.CDLL, handle: Any, error: _Error) -> Any:
        out = ctypes.c_void_p()
        error.check(library.pex_extract(_path(pex), handle, ctypes.byref(out), error.handle))
        return json.loads(_take_string(library, out))

    return _with_install_options(options, operation)


def verify(pex: PathLike, **options: Any) -> List[str]:
    """Checks what the PEX_ROOT holds for ``pex`` file by file, repairs what differs, and returns
    one line per entry (``"ok PATH"`` or ``"repaired PATH: WHAT"``). Options as for
    :func:`extract`."""

    def operation(library: ctypes.CDLL, handle: Any, error: _Error) -> Any:
        out = ctypes.c_void_p()
        error.check(library.pex_verify(_path(pex), handle, ctypes.byref(out), error.handle))
        return json.loads(_take_string(library, out))

    return _with_install_options(options, operation)


_SCOPES = {"all": 0, "deps": 1, "srcs": 2}


def venv(pex: PathLike, destination: PathLike, *, scope: str = "all", **options: Any) -> None:
    """Installs ``pex`` as a standalone virtual environment at ``destination``: ``scope`` is
    ``"all"``, ``"deps"`` (dependencies only) or ``"srcs"`` (sources only). Options as for
    :func:`extract`."""
    if scope not in _SCOPES:
        raise ValueError("scope must be one of {}, not {!r}".format(", ".join(_SCOPES), scope))

    def operation(library: ctypes.CDLL, handle: Any, error: _Error) -> None:
        error.check(library.pex_venv(_path(pex), _path(destination), _SCOPES[scope], handle, error.handle))

    _with_install_options(options, operation)


def prune(*, older_than: float = 0, wait: float = 0, pex_root: Optional[PathLike] = None) -> Dict[str, Any]:
    """Removes from ``pex_root`` (default: the environment's) the environments not used for
    ``older_than`` seconds and the installs nothing uses any more, once no PEX runs from it
    (waiting at most ``wait`` seconds, else :class:`LockTimeoutError`). Returns
    ``{"removed": [...], "bytes": N}``."""

    def operation(library: ctypes.CDLL, handle: Any, error: _Error) -> Any:
        out = ctypes.c_void_p()
        error.check(library.pex_prune(handle, int(older_than), int(wait), ctypes.byref(out), error.handle))
        return json.loads(_take_string(library, out))

    return _with_install_options({"pex_root": pex_root}, operation)


def cache_info(cache_dir: Optional[PathLike] = None) -> Dict[str, Any]:
    """The build cache (default: the environment's): ``{"root", "buckets": [{"name",
    "entries", "bytes"}]}``."""

    def operation(library: ctypes.CDLL, handle: Any, error: _Error, _options: _BuildOptions) -> Any:
        out = ctypes.c_void_p()
        error.check(library.pex_cache_info(handle, ctypes.byref(out), error.handle))
        return json.loads(_take_string(library, out))

    return _with_build_options({"cache_dir": cache_dir}, None, None, operation)


def cache_prune(older_than: float, *, wait: float = 0, cache_dir: Optional[PathLike] = None) -> int:
    """Removes the build cache entries not used for ``older_than`` seconds, waiting at most
    ``wait`` seconds for running builds; returns the bytes freed."""

    def operation(library: ctypes.CDLL, handle: Any, error: _Error, _options: _BuildOptions) -> int:
        removed = ctypes.c_uint64()
        error.check(library.pex_cache_prune(handle, int(older_than), int(wait), ctypes.byref(removed), error.handle))
        return removed.value

    return _with_build_options({"cache_dir": cache_dir}, None, None, operation)
