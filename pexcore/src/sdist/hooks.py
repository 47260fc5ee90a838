# The PEP 517 hook runner of pex-rs. Standard library only; runs on every Python pex-rs
# supports (3.8+), in the build environment, with the project directory as working directory.
#
# Started as `python -c THIS BACKEND BACKEND_PATH_JSON`, it imports the backend once and then
# serves hook calls, one per line of stdin, each a JSON object {"hook": NAME, "arguments": [...]}
# (positional, as pyproject-hooks passes them: backends name their parameters differently),
# and answers each on its own channel with one JSON line:
#   {"result": VALUE}       the hook returned VALUE
#   {"missing": true}       the backend does not define the (optional) hook
#   {"failed": "TEXT"}      the hook raised; the traceback went to the output
# The first line it writes is {"ready": true}, or {"failed": ...} when the backend cannot be
# imported. Everything the backend and its subprocesses print goes to stderr (file descriptor
# 1 is pointed there), so the channel is a copy of the original stdout that nothing else writes;
# requests come on a copy of the original stdin, and the backend's stdin is /dev/null (a
# `setup.py` that asks for input must not eat them). Serving several hooks from one process
# imports the backend (setuptools: ~0.1 s) once.
import json
import os
import sys
import traceback


def _channels():
    channel = os.fdopen(os.dup(1), "w", encoding="utf-8")
    os.dup2(2, 1)
    requests = os.fdopen(os.dup(0), "r", encoding="utf-8")
    nothing = os.open(os.devnull, os.O_RDONLY)
    os.dup2(nothing, 0)
    os.close(nothing)
    return requests, channel


def _send(channel, message):
    channel.write(json.dumps(message) + "\n")
    channel.flush()


def _load(spec, backend_path):
    # PEP 517: the project directory is not importable unless backend-path says so.
    sys.path[:] = [entry for entry in sys.path if entry not in ("", os.getcwd())]
    sys.path[:0] = backend_path
    module_name, _, object_path = spec.partition(":")
    import importlib

    backend = importlib.import_module(module_name)
    if backend_path:
        origin = os.path.realpath(getattr(backend, "__file__", None) or "")
        inside = [os.path.realpath(entry) for entry in backend_path]
        if not any(origin == entry or origin.startswith(entry + os.sep) for entry in inside):
            raise ImportError(
                "the backend %r was imported from %r, not from its backend-path %r" % (spec, origin, backend_path)
            )
    for name in object_path.split(".") if object_path else ():
        backend = getattr(backend, name)
    return backend


def main():
    requests, channel = _channels()
    try:
        backend = _load(sys.argv[1], json.loads(sys.argv[2]))
    except BaseException as error:  # noqa: BLE001 - any failure to import is reported
        traceback.print_exc()
        _send(channel, {"failed": "cannot import the build backend %r: %s" % (sys.argv[1], error)})
        return
    _send(channel, {"ready": True})
    for line in requests:
        request = json.loads(line)
        hook = getattr(backend, request["hook"], None)
        if hook is None:
            _send(channel, {"missing": True})
            continue
        try:
            result = hook(*request["arguments"])
        except BaseException as error:  # noqa: BLE001 - a backend may even sys.exit()
            traceback.print_exc()
            _send(channel, {"failed": "%s: %s" % (type(error).__name__, error)})
            continue
        sys.stdout.flush()
        sys.stderr.flush()
        _send(channel, {"result": result})


main()
