"""The pex_rs binding, installed from its wheel, against the loopback index of
tests/it/embedding.rs, which runs this file under every local Python 3.8+.

Environment: PEX_TEST_INDEX (serves greet 1.0, needing colors 2.0; liar 1.0, whose listed digest
is wrong; cowsay 6.1), PEX_TEST_DEAD (a URL nothing serves), PEX_TEST_PYTHON (the interpreter the
tests build for and run with).
"""

import fcntl
import os
import re
import subprocess
import threading

import pytest

import pex_rs

INDEX = os.environ["PEX_TEST_INDEX"]
DEAD = os.environ["PEX_TEST_DEAD"]
PYTHON = os.environ["PEX_TEST_PYTHON"]
GREETING = "hello from greet, in colors 2.0\n"


@pytest.fixture
def options(tmp_path):
    """The options every build here shares: the fixture index, a private cache, no retries."""
    return {"index_url": INDEX, "cache_dir": str(tmp_path / "cache"), "python": PYTHON, "retries": 0}


def run(pex, *args):
    return subprocess.run([PYTHON, str(pex)] + list(args), check=True, stdout=subprocess.PIPE).stdout.decode()


def test_the_binding_is_the_installed_wheel():
    assert pex_rs.__file__.endswith(os.path.join("site-packages", "pex_rs", "__init__.py"))
    assert re.fullmatch(r"\d+\.\d+\.\d+.*", pex_rs.version())


def test_build_reports_progress_and_the_pex_runs(tmp_path, options):
    events = []
    report = pex_rs.build(tmp_path / "app.pex", ["greet"], entry_point="greet:main", progress=events.append, **options)
    assert report.size == (tmp_path / "app.pex").stat().st_size
    assert sorted(report.pex_info["distributions"]) == ["colors-2.0-py3-none-any.whl", "greet-1.0-py3-none-any.whl"]
    assert report.inputs == []
    kinds = [event.kind for event in events]
    assert kinds.count("download_started") == 2 and kinds.count("download_finished") == 2
    assert ("greet", "1.0") in [(event.name, event.detail) for event in events if event.kind == "resolve_chose"]
    assert sum(event.amount for event in events if event.kind == "download_progressed") > 0
    assert run(tmp_path / "app.pex") == GREETING


def test_sources_and_a_script_and_a_single_requirement(tmp_path, options):
    sources = tmp_path / "src"
    sources.mkdir()
    (sources / "hello.py").write_text("import greet\ngreet.main()\n")
    report = pex_rs.build(tmp_path / "app.pex", "greet", sources=sources, entry_point="hello", **options)
    assert report.inputs == [str(sources / "hello.py")]
    assert run(tmp_path / "app.pex") == GREETING
    pex_rs.build(tmp_path / "script.pex", "greet", script="greet", compile=False, **options)
    assert run(tmp_path / "script.pex") == GREETING


def test_resolve_lock_download_and_build_without_an_index(tmp_path, options):
    assert pex_rs.resolve(["greet"], **options) == [
        {"name": "colors", "version": "2.0", "file": "colors-2.0-py3-none-any.whl"},
        {"name": "greet", "version": "1.0", "file": "greet-1.0-py3-none-any.whl"},
    ]
    locked = pex_rs.lock(tmp_path / "pylock.toml", ["greet"], **options)
    assert locked == {"packages": 2, "changes": ["+ colors 2.0", "+ greet 1.0"], "written": True}
    files = pex_rs.download(tmp_path / "wheels", ["greet"], **options)
    assert sorted(os.path.basename(file) for file in files) == [
        "colors-2.0-py3-none-any.whl",
        "greet-1.0-py3-none-any.whl",
    ]
    offline = dict(options, index_url=None, no_index=True, find_links=str(tmp_path / "wheels"))
    offline["cache_dir"] = str(tmp_path / "other-cache")
    pex_rs.build(tmp_path / "offline.pex", "greet", entry_point="greet:main", **offline)
    assert run(tmp_path / "offline.pex") == GREETING
    from_lock = dict(options, index_url=DEAD, lock_file=tmp_path / "pylock.toml", cache_dir=str(tmp_path / "c3"))
    pex_rs.build(tmp_path / "locked.pex", entry_point="greet:main", **from_lock)
    assert run(tmp_path / "locked.pex") == GREETING


def test_inspect_extract_verify_venv_prune(tmp_path, options):
    pex = tmp_path / "app.pex"
    pex_rs.build(pex, ["greet"], entry_point="greet:main", **options)
    assert pex_rs.inspect(pex)["entry_point"] == "greet:main"
    root = tmp_path / "root"
    extracted = pex_rs.extract(pex, pex_root=root, python=PYTHON)
    assert extracted["installed"] and set(extracted["installed"]) <= set(extracted["entries"])
    assert all(line.startswith("ok ") for line in pex_rs.verify(pex, pex_root=root, python=PYTHON))
    pex_rs.venv(pex, tmp_path / "venv", pex_root=root, python=PYTHON, compile=False)
    output = subprocess.run(
        [str(tmp_path / "venv" / "bin" / "python"), "-c", "import greet; greet.main()"], stdout=subprocess.PIPE
    )
    assert output.stdout.decode() == GREETING
    with pytest.raises(ValueError, match="scope"):
        pex_rs.venv(pex, tmp_path / "other", scope="everything")
    with open(root / ".access.lck", "a") as held:
        fcntl.flock(held, fcntl.LOCK_SH)
        with pytest.raises(pex_rs.LockTimeoutError, match="running"):
            pex_rs.prune(older_than=0, pex_root=root)
    pruned = pex_rs.prune(older_than=0, pex_root=root)
    assert pruned["removed"] and pruned["bytes"] > 0


def test_cache_info_and_prune(tmp_path, options):
    pex_rs.resolve("greet", **options)
    info = pex_rs.cache_info(cache_dir=options["cache_dir"])
    assert info["root"] == options["cache_dir"]
    assert any(bucket["entries"] > 0 for bucket in info["buckets"])
    assert pex_rs.cache_prune(older_than=3600, cache_dir=options["cache_dir"]) == 0
    assert pex_rs.cache_prune(older_than=0, cache_dir=options["cache_dir"]) > 0


@pytest.mark.parametrize(
    "requirement, changes, error, text",
    [
        ("greet>5", {}, pex_rs.ResolutionError, "greet"),
        ("liar", {}, pex_rs.HashMismatchError, "liar-1.0"),
        ("greet", {"index_url": DEAD}, pex_rs.NetworkError, DEAD),
        ("greet", {"python": "/nonexistent/python3"}, pex_rs.InterpreterError, "/nonexistent/python3"),
        ("greet", {"entry_point": "not an entry point"}, pex_rs.InvalidArgumentError, "not an entry point"),
        ("gr\udcffeet", {}, pex_rs.InvalidArgumentError, "not valid UTF-8"),
    ],
)
def test_each_failure_raises_its_exception(tmp_path, options, requirement, changes, error, text):
    with pytest.raises(error, match=re.escape(text)) as raised:
        pex_rs.build(tmp_path / "x.pex", [requirement], **dict(options, **changes))
    assert isinstance(raised.value, pex_rs.PexError)
    assert not (tmp_path / "x.pex").exists()


def test_errors_carry_their_code_and_hints(tmp_path, options):
    with pytest.raises(pex_rs.InvalidArgumentError) as raised:
        pex_rs.build(tmp_path / "x.pex", **options)
    assert raised.value.code == pex_rs.PexError.INVALID_ARGUMENT
    assert "nothing to build" in str(raised.value)
    assert any(hint.endswith("(`requirements`)") for hint in raised.value.hints)
    with pytest.raises(pex_rs.InvalidArchiveError):
        (tmp_path / "not.pex").write_text("print('no zip')\n")
        pex_rs.inspect(tmp_path / "not.pex")
    with pytest.raises(pex_rs.InvalidArgumentError, match="missing.pex"):
        pex_rs.inspect(tmp_path / "missing.pex")
    with pytest.raises(TypeError, match="no_such_option"):
        pex_rs.build(tmp_path / "x.pex", "greet", no_such_option=1)
    for name, value in [("retries", -1), ("timeout", 2**70), ("source_date_epoch", "soon")]:
        with pytest.raises(ValueError, match=name):
            pex_rs.build(tmp_path / "x.pex", "greet", **{name: value})
    with pytest.raises(ValueError, match="wait"):
        pex_rs.prune(older_than=0, wait=-1, pex_root=tmp_path / "root")


def test_errors_pickle(tmp_path, options):
    import pickle

    with pytest.raises(pex_rs.ResolutionError) as raised:
        pex_rs.resolve("greet>5", **options)
    copy = pickle.loads(pickle.dumps(raised.value))
    assert type(copy) is pex_rs.ResolutionError
    assert (copy.code, str(copy), copy.hints) == (raised.value.code, str(raised.value), raised.value.hints)


def test_a_keyboard_interrupt_stops_the_build(tmp_path, options):
    """Ctrl-C, as the main thread gets it while the build runs on the binding's worker thread."""
    import _thread

    def progress(event):
        if event.kind == "resolve_chose":
            _thread.interrupt_main()

    with pytest.raises(KeyboardInterrupt):
        pex_rs.build(tmp_path / "x.pex", "greet", progress=progress, **options)
    assert not (tmp_path / "x.pex").exists()


def test_cancel_stops_a_build(tmp_path, options):
    cancel = pex_rs.Cancel()
    cancel.request()
    with pytest.raises(pex_rs.CancelledError) as raised:
        pex_rs.build(tmp_path / "x.pex", "greet", cancel=cancel, **options)
    assert raised.value.code == pex_rs.PexError.CANCELLED
    assert not (tmp_path / "x.pex").exists()


def test_an_exception_in_progress_stops_the_build_and_is_raised(tmp_path, options):
    seen = []

    def progress(event):
        seen.append(event.kind)
        if event.kind == "resolve_chose":
            raise KeyboardInterrupt("stop")

    with pytest.raises(KeyboardInterrupt, match="stop"):
        pex_rs.build(tmp_path / "x.pex", "greet", progress=progress, **options)
    assert seen.count("resolve_chose") == 1 and "download_started" not in seen
    assert not (tmp_path / "x.pex").exists()


def test_builds_on_two_threads_at_once(tmp_path, options):
    errors = []

    def build(name):
        try:
            own = dict(options, cache_dir=str(tmp_path / ("cache-" + name)))
            pex_rs.build(tmp_path / (name + ".pex"), "greet", entry_point="greet:main", **own)
        except BaseException as error:  # reported by the main thread
            errors.append(error)

    threads = [threading.Thread(target=build, args=(name,)) for name in ("one", "two")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert (tmp_path / "one.pex").read_bytes() == (tmp_path / "two.pex").read_bytes()


def test_the_readme_example_runs(tmp_path, monkeypatch):
    readme = os.path.join(os.path.dirname(__file__), "..", "README.md")
    with open(readme) as file:
        blocks = re.findall(r"```python\n(.*?)```", file.read(), re.DOTALL)
    assert blocks
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("PEX_RS_INDEX_URL", INDEX)
    monkeypatch.setenv("PEX_RS_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("PEX_ROOT", str(tmp_path / "root"))
    monkeypatch.setenv("PATH", os.path.dirname(PYTHON) + os.pathsep + os.environ["PATH"])
    for block in blocks:
        exec(compile(block, "README.md", "exec"), {})
    assert (tmp_path / "cowsay.pex").exists()
