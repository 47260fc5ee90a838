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

    def __reduce__(self) -> Any:
        # Pickled with all three arguments (multiprocessing sends exceptions so).
        return (type(self), (self.code, self.args[0], self.hints))


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
        "pex_build_options_add_cancel": (u32, [p, p]),
        "pex_cancel_free": (None, [p]),
        "pex_build_options_new": (p, []),
        "pex_build_options_free": (None, [p]),
        "pex_build_options_set_progress": (u32, [p, _CALLBACK, p]),
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
        "pex_extract": (u32, [p, s, out, p]),
        "pex_verify": (u32, [p, s, out, p]),
        "pex_venv": (u32, [p, s, s, u32, p]),
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
            # No ABI stability before 1.0: this module must drive the library it was made with.
            expected = _expected_version()
            found = library.pex_version().decode("utf-8")
            if expected is not None and found != expected:
                raise OSError(
                    "{} is pex-rs {}, but this pex_rs binding is {}: use the library of the same "
                    "version".format(path, found, expected)
                )
            _library = library
        return _library


def _expected_version() -> Optional[str]:
    """The library version the wheel was built with (its ``_version.py``), or None when this
    module runs from a source tree."""
    try:
        from pex_rs._version import VERSION  # written by build_wheel.py
    except ImportError:
        return None
    return VERSION


def version() -> str:
    """The version of the pex-rs library."""
    return _load().pex_version().decode("utf-8")


class Cancel:
    """A cancellation flag: pass it as ``cancel=`` to :func:`build`, :func:`resolve`,
    :func:`lock` or :func:`download`, and call :meth:`request` from any thread to stop them at
    their next step with :class:`CancelledError`. Free with the object."""

    def __init__(self) -> None:
        self._library = _load()
        self._handle = _checked_handle(self._library.pex_cancel_new(), "pex_cancel_new")

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
        self.handle = _checked_handle(library.pex_error_new(), "pex_error_new")

    def check(self, code: int) -> None:
        if code == PexError.OK:
            return
        message = (self.library.pex_error_message(self.handle) or b"").decode("utf-8", "replace")
        hints = (self.library.pex_error_hints(self.handle) or b"").decode("utf-8", "replace").splitlines()
        raise _ERRORS.get(code, PexError)(code, message, hints)

    def free(self) -> None:
        self.library.pex_error_free(self.handle)


def _checked_handle(handle: Optional[int], function: str) -> int:
    """A handle a ``_new`` function returned, which is NULL only when pex-rs panicked."""
    if not handle:
        raise PexError(PexError.PANIC, "{} returned NULL: pex-rs failed; this is a bug".format(function))
    return handle


def _checked_code(code: int, what: str) -> None:
    """Raises for a failing code of a call that takes no error object."""
    if code != PexError.OK:
        raise _ERRORS.get(code, PexError)(code, "{} failed with code {}".format(what, code))


def _seconds(value: Any, name: str, limit: int) -> int:
    """A whole number of seconds (or a count) from 0 to ``limit``, else ValueError."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value <= limit:
        raise ValueError("{} must be a number from 0 to {}, not {!r}".format(name, limit, value))
    return int(value)


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
    "lock_file": "pex_build_options_set_lock_file",
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

# Ten years of seconds: "no limit" for a timeout or a wait.
_FOREVER = 10 * 365 * 24 * 3600
# The largest values the number options take.
_LIMITS = {"retries": 2**32 - 1, "timeout": _FOREVER, "source_date_epoch": 2**63 - 1}

_INSTALL_TEXT_SETTERS = {
    "cache_dir": "pex_install_options_set_cache_dir",
    "pex_root": "pex_install_options_set_pex_root",
    "python": "pex_install_options_set_python",
    "search_path": "pex_install_options_set_search_path",
}


class _BuildOptions:
    """A ``pex_build_options`` handle made from keyword arguments, with its progress callback
    and cancel flags; the C handle lives until :meth:`free`."""

    def __init__(
        self,
        library: ctypes.CDLL,
        error: _Error,
        options: Dict[str, Any],
        progress: Optional[Callable[[Progress], None]],
        cancel: Optional[Cancel],
    ) -> None:
        self.library = library
        self.handle = _checked_handle(library.pex_build_options_new(), "pex_build_options_new")
        self.raised: Optional[BaseException] = None
        # The binding's own flag, raised by a progress callable that raises, or by Ctrl-C.
        self.stop = Cancel()
        self.callback = None
        try:
            self._set(error, options, progress)
            for flag in (self.stop, cancel):
                if flag is not None:
                    code = library.pex_build_options_add_cancel(self.handle, flag._handle)
                    _checked_code(code, "pex_build_options_add_cancel")
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
                value = _seconds(value, name, _LIMITS[name]) if name in _LIMITS else bool(value)
                _checked_code(getattr(library, _VALUE_SETTERS[name])(self.handle, value), _VALUE_SETTERS[name])
            else:
                raise TypeError("unexpected keyword argument {!r}".format(name))
        if progress is not None:
            self.callback = _CALLBACK(self._forward(progress))
            code = library.pex_build_options_set_progress(self.handle, self.callback, None)
            _checked_code(code, "pex_build_options_set_progress")

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
            except BaseException as raised:  # carried to the caller's thread
                # An exception cannot cross C: remember it, stop the operation, raise it after.
                self.raised = raised
                self.stop.request()

        return forward

    def call(self, operation: Callable[[], Any]) -> Any:
        """Runs ``operation`` (the C call, and the conversion of what it produced) on a worker
        thread, so that Ctrl-C reaches this thread: it then stops the operation, and is raised
        once the operation has returned. An exception of the progress callable is raised too."""
        outcome: Dict[str, Any] = {}
        done = threading.Event()

        def work() -> None:
            try:
                outcome["value"] = operation()
            except BaseException as error:  # raised by the caller's thread
                outcome["error"] = error
            finally:
                done.set()

        worker = threading.Thread(target=work, name="pex_rs", daemon=True)
        worker.start()
        interrupted: Optional[BaseException] = None
        # Until the worker is done, a KeyboardInterrupt, wherever it lands in this loop, stops
        # the operation and is raised after: the worker still uses the handles freed on return.
        # (The worker says it is done through an Event: `Thread.join` interrupted by one may
        # report a thread that still runs as stopped, python/cpython#90882.)
        while not done.is_set():
            try:
                done.wait(0.1)
            except KeyboardInterrupt as error:
                interrupted = error
                self.stop.request()
        for raised in (interrupted, self.raised, outcome.get("error")):
            if raised is not None:
                raise raised
        return outcome["value"]

    def free(self) -> None:
        self.library.pex_build_options_free(self.handle)


def _with_build_options(
    options: Dict[str, Any],
    progress: Optional[Callable[[Progress], None]],
    cancel: Optional[Cancel],
    operation: Callable[[ctypes.CDLL, Any, _Error], Any],
) -> Any:
    """Runs ``operation(library, handle, error)``, which returns the C code and the value it
    made (already converted, its C memory freed), with a handle made from ``options``."""
    library = _load()
    error = _Error(library)
    try:
        options_ = _BuildOptions(library, error, options, progress, cancel)
        try:
            code, value = options_.call(lambda: operation(library, options_.handle, error))
        finally:
            options_.free()
        error.check(code)
        return value
    finally:
        error.free()


def _json_result(library: ctypes.CDLL, code: int, out: ctypes.c_void_p) -> Any:
    """The C code and the JSON a call stored in ``out`` (freed), or None when it failed."""
    return code, (json.loads(_take_string(library, out)) if code == PexError.OK else None)


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
    build when requested; so does Ctrl-C, which is then raised here.
    """

    def operation(library: ctypes.CDLL, handle: Any, error: _Error) -> Any:
        report = ctypes.c_void_p()
        code = library.pex_build(handle, _path(output), ctypes.byref(report), error.handle)
        if code != PexError.OK:
            return code, None
        try:
            count = library.pex_build_report_input_count(report)
            return code, BuildReport(
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

    def operation(library: ctypes.CDLL, handle: Any, error: _Error) -> Any:
        out = ctypes.c_void_p()
        return _json_result(library, library.pex_resolve(handle, ctypes.byref(out), error.handle), out)

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

    def operation(library: ctypes.CDLL, handle: Any, error: _Error) -> Any:
        out = ctypes.c_void_p()
        code = library.pex_lock(handle, _path(output), bool(universal), ctypes.byref(out), error.handle)
        return _json_result(library, code, out)

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

    def operation(library: ctypes.CDLL, handle: Any, error: _Error) -> Any:
        out = ctypes.c_void_p()
        code = library.pex_download(handle, _path(directory), ctypes.byref(out), error.handle)
        return _json_result(library, code, out)

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
    try:
        handle = _checked_handle(library.pex_install_options_new(), "pex_install_options_new")
        try:
            for name, value in options.items():
                if value is None:
                    continue
                if name == "compile":
                    _checked_code(library.pex_install_options_set_compile(handle, bool(value)), "compile")
                elif name in _INSTALL_TEXT_SETTERS:
                    setter = getattr(library, _INSTALL_TEXT_SETTERS[name])
                    error.check(setter(handle, _path(value), error.handle))
                else:
                    raise TypeError("unexpected keyword argument {!r}".format(name))
            return operation(library, handle, error)
        finally:
            library.pex_install_options_free(handle)
    finally:
        error.free()


def extract(pex: PathLike, **options: Any) -> Dict[str, List[str]]:
    """Installs the PEX at ``pex`` into a PEX_ROOT ahead of time, as its first start would.
    Options: ``pex_root`` (default: the environment's), ``python``, ``search_path``,
    ``cache_dir``, ``compile``. Returns ``{"installed": [...], "entries": [...]}``."""

    def operation(library: ctypes.CDLL, handle: Any, error: _Error) -> Any:
        out = ctypes.c_void_p()
        error.check(library.pex_extract(handle, _path(pex), ctypes.byref(out), error.handle))
        return json.loads(_take_string(library, out))

    return _with_install_options(options, operation)


def verify(pex: PathLike, **options: Any) -> List[str]:
    """Checks what the PEX_ROOT holds for ``pex`` file by file, repairs what differs, and returns
    one line per entry (``"ok PATH"`` or ``"repaired PATH: WHAT"``). Options as for
    :func:`extract`."""

    def operation(library: ctypes.CDLL, handle: Any, error: _Error) -> Any:
        out = ctypes.c_void_p()
        error.check(library.pex_verify(handle, _path(pex), ctypes.byref(out), error.handle))
        return json.loads(_take_string(library, out))

    return _with_install_options(options, operation)


_SCOPES = {"all": 0, "deps": 1, "srcs": 2}


def venv(pex: PathLike, destination: PathLike, *, scope: str = "all", **options: Any) -> None:
    """Installs ``pex`` as a standalone virtual environment at ``destination``: ``scope`` is
    ``"all"``, ``"deps"`` (dependencies only) or ``"srcs"`` (the sources, into the venv a
    ``"deps"`` call made). Options as for :func:`extract`."""
    if scope not in _SCOPES:
        raise ValueError("scope must be one of {}, not {!r}".format(", ".join(_SCOPES), scope))

    def operation(library: ctypes.CDLL, handle: Any, error: _Error) -> None:
        error.check(library.pex_venv(handle, _path(pex), _path(destination), _SCOPES[scope], error.handle))

    _with_install_options(options, operation)


def prune(*, older_than: float, wait: float = 0, pex_root: Optional[PathLike] = None) -> Dict[str, Any]:
    """Removes from ``pex_root`` (default: the environment's) the environments not used for
    ``older_than`` seconds and the installs nothing uses any more, once no PEX runs from it
    (waiting at most ``wait`` seconds, else :class:`LockTimeoutError`). Returns
    ``{"removed": [...], "bytes": N}``."""
    older_than, wait = _seconds(older_than, "older_than", _FOREVER), _seconds(wait, "wait", _FOREVER)

    def operation(library: ctypes.CDLL, handle: Any, error: _Error) -> Any:
        out = ctypes.c_void_p()
        error.check(library.pex_prune(handle, older_than, wait, ctypes.byref(out), error.handle))
        return json.loads(_take_string(library, out))

    return _with_install_options({"pex_root": pex_root}, operation)


def cache_info(*, cache_dir: Optional[PathLike] = None) -> Dict[str, Any]:
    """The build cache (default: the environment's): ``{"root", "buckets": [{"name",
    "entries", "bytes"}]}``."""

    def operation(library: ctypes.CDLL, handle: Any, error: _Error) -> Any:
        out = ctypes.c_void_p()
        return _json_result(library, library.pex_cache_info(handle, ctypes.byref(out), error.handle), out)

    return _with_build_options({"cache_dir": cache_dir}, None, None, operation)


def cache_prune(*, older_than: float, wait: float = 0, cache_dir: Optional[PathLike] = None) -> int:
    """Removes the build cache entries not used for ``older_than`` seconds, waiting at most
    ``wait`` seconds for running builds; returns the bytes freed."""
    older_than, wait = _seconds(older_than, "older_than", _FOREVER), _seconds(wait, "wait", _FOREVER)

    def operation(library: ctypes.CDLL, handle: Any, error: _Error) -> Any:
        removed = ctypes.c_uint64()
        code = library.pex_cache_prune(handle, older_than, wait, ctypes.byref(removed), error.handle)
        return code, removed.value

    return _with_build_options({"cache_dir": cache_dir}, None, None, operation)
