"""Unit tests of the boot code (pexcore/src/boot/*.py), run by tests/it/python_code.rs with pytest
under every local Python 3.8+. The integration tests run the boot code inside real PEX files;
these test its parts one by one: the runner, the cold path, the interpreter fit and the loader.
"""

import io
import os
import sys
import zipfile

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))


def _read(name):
    with open(os.path.join(HERE, "..", name), encoding="utf-8") as file:
        return file.read()


def _load():
    """The boot modules' definitions in one namespace, as __main__.py loads them: runner.py and
    boot.py, then search.py, fit.py and tools.py as the starts that need them load them
    (importing them only defines things)."""
    namespace = {"__name__": "pex_rs_boot_under_test", "_pex_rs_source": lambda name: _read(name + ".py")}
    for name in ("runner", "boot", "search", "fit", "tools"):
        exec(compile(_read(name + ".py"), name + ".py", "exec"), namespace)
    return namespace


boot = _load()


@pytest.mark.parametrize(
    "name",
    ["", "/etc/passwd", "C:/x", "a/../b", "../x", "a//b", "./a", "a\\b", "a\x00b", "a\x85b", "a/."],
)
def test_names_that_escape_or_confuse_are_bad(name):
    assert boot["_bad_name"](name)


@pytest.mark.parametrize("name", ["a", "a/b.py", "pkg/__init__.py", ".hidden", "a..b", "\u00e9t\u00e9.txt"])
def test_ordinary_names_are_fine(name):
    assert boot["_bad_name"](name) is None


def test_digests_are_64_lowercase_hex_digits():
    is_digest = boot["_is_digest"]
    assert is_digest("0" * 64) and is_digest("af" * 32)
    assert not is_digest("A" * 64) and not is_digest("0" * 63) and not is_digest(None) and not is_digest(1)


def test_pex_info_json_refuses_what_is_not_json(monkeypatch):
    load = boot["_load_json"]
    assert load('{"a": [1, 2.5, "x"]}') == {"a": [1, 2.5, "x"]}
    for text in ["{", '{"a": 1} trailing', "[" * 100000]:
        with pytest.raises(boot["_Error"], match="PEX-INFO is not valid JSON"):
            load(text)


def test_the_default_root(monkeypatch):
    default_root = boot["_default_root"]
    monkeypatch.setenv("PEX_ROOT", "relative/root")
    assert default_root() == os.path.abspath("relative/root")
    monkeypatch.delenv("PEX_ROOT")
    monkeypatch.setenv("XDG_CACHE_HOME", "/xdg")
    assert default_root() == "/xdg/pex-rs"
    monkeypatch.setenv("XDG_CACHE_HOME", "not/absolute")
    monkeypatch.setenv("HOME", "/home/someone")
    assert default_root() == "/home/someone/.cache/pex-rs"


def test_pex_info_entries_name_the_layout():
    info_text = (
        '{"pex_hash": "%s", "code_hash": "%s", "distributions": {"a-1.0-py3-none-any.whl": "%s"},'
        ' "pex_rs_installs": {"a-1.0-py3-none-any.whl": "%s"}}' % ("1" * 64, "2" * 64, "3" * 64, "4" * 64)
    )
    info, entries = boot["_parse_info"](info_text, "app.pex")
    assert info["pex_hash"] == "1" * 64
    assert [(e.bucket, e.digest, e.sub) for e in entries] == [
        (boot["_USER_CODE"], "2" * 64, ""),
        (boot["_INSTALLED_WHEELS"], "4" * 64, "a-1.0-py3-none-any.whl"),
    ]
    for bad in ['{"pex_hash": "x"}', '{"pex_hash": "%s", "distributions": {"../a.whl": "%s"}}' % ("1" * 64, "3" * 64)]:
        with pytest.raises(boot["_Error"]):
            boot["_parse_info"](bad, "app.pex")


def test_the_loader_is_filled_in_only_when_pexcore_embeds_the_file():
    # The placeholder stands in the source; pexcore replaces it with the sh header's loader.
    assert boot["_LOADER"] == "@PEX_RS_LOADER@"


def test_the_runner_stands_alone():
    alone = {"__name__": "pex_rs_runner_under_test"}
    exec(compile(_read("runner.py"), "runner.py", "exec"), alone)
    assert callable(alone["run"]) and callable(alone["start"])
    assert "boot" not in alone and "_install_all" not in alone and "_fit" not in alone


def _main_of(members):
    """The namespace __main__.py leaves after running from a zip of `members` (name: text) as
    the sh header's loader runs it (the archive open as __pex_rs_zip__), with start() and
    boot() stubbed by the test's own runner.py and boot.py."""
    data = io.BytesIO()
    with zipfile.ZipFile(data, "w") as zf:
        for name, text in members.items():
            zf.writestr(name, text)
    namespace = {"__name__": "__main__", "__file__": "app.pex/__main__.py", "__pex_rs_zip__": zipfile.ZipFile(data)}
    exec(compile(_read("main.py"), "main.py", "exec"), namespace)
    return namespace


def test_main_loads_runner_then_boot_and_calls_boot_with_the_pex_info():
    namespace = _main_of({
        "PEX-INFO": '{"pex_hash": "x"}',
        boot["_MODULE"] % "runner": "order = ['runner']\n",
        boot["_MODULE"] % "boot": "order.append('boot')\ndef boot(info):\n    order.append(info)\n",
    })
    assert namespace["order"] == ["runner", "boot", '{"pex_hash": "x"}']


def test_main_prefers_the_bytecode_of_this_interpreter():
    import importlib.util
    import marshal

    code = compile("source = 'bytecode'\n", "runner.py", "exec")
    pyc = importlib.util.MAGIC_NUMBER + b"\0" * 12 + marshal.dumps(code)
    namespace = _main_of({
        "PEX-INFO": "{}",
        boot["_MODULE"] % "runner": "source = 'text'\n",
        boot["_MODULE_BYTECODE"] % ("runner", sys.implementation.cache_tag): pyc,
        boot["_MODULE"] % "boot": "def boot(info):\n    pass\n",
    })
    assert namespace["source"] == "bytecode"
    # Bytecode of another interpreter's magic number is passed over for the source.
    namespace = _main_of({
        "PEX-INFO": "{}",
        boot["_MODULE"] % "runner": "source = 'text'\n",
        boot["_MODULE_BYTECODE"] % ("runner", sys.implementation.cache_tag): b"\0\0\0\0" + pyc[4:],
        boot["_MODULE"] % "boot": "def boot(info):\n    pass\n",
    })
    assert namespace["source"] == "text"


def test_main_and_boot_name_the_members_alike():
    defined = {}
    for line in _read("main.py").splitlines():
        if line.startswith("_PEX_RS_"):
            name, _, value = line.partition(" = ")
            defined[name] = eval(value)
    assert defined == {"_PEX_RS_MODULE": boot["_MODULE"], "_PEX_RS_BYTECODE": boot["_MODULE_BYTECODE"]}


def test_a_probed_candidate_answers_with_the_fit_code():
    import subprocess

    question = "%s\n_answer([], {}, [])\n" % _read("fit.py")
    output = subprocess.run([sys.executable, "-E", "-s", "-c", _read("answer.py")], input=question.encode(),
                            stdout=subprocess.PIPE, check=True).stdout.decode().splitlines()
    assert output[0] == "%s %s" % boot["_identity"]() and output[1] == sys.executable and output[2] == ""


@pytest.mark.parametrize(
    "constraint, implementation, version, expected",
    [
        ("CPython>=3.8", "CPython", "3.11.4", True),
        ("CPython>=3.8", "PyPy", "3.11.4", False),
        (">=3.8,<3.12", "CPython", "3.12.0", False),
        ("==3.11.*", "CPython", "3.11.9", True),
        ("!=3.11.*", "CPython", "3.11.9", False),
        ("~=3.10", "CPython", "3.13.1", True),
        ("~=3.10.2", "CPython", "3.11.0", False),
        ("===3.12.1", "CPython", "3.12.1", True),
        ("PyPy", "PyPy", "3.10.14", True),
        ("<3.12rc1", "CPython", "3.12.0", False),
    ],
)
def test_interpreter_constraints(constraint, implementation, version, expected):
    assert boot["_satisfies"](boot["_constraint"](constraint), implementation, version) is expected


@pytest.mark.parametrize("constraint", ["", ">=", "CPython>=x", "~=3", "==3.x"])
def test_constraints_that_do_not_parse(constraint):
    with pytest.raises(ValueError):
        boot["_constraint"](constraint)


def test_this_interpreter_has_tags_and_satisfies_its_own_version():
    implementation, version = boot["_identity"]()
    assert boot["_satisfies"](boot["_constraint"]("==%s" % version), implementation, version)
    tags = boot["_sys_tags"](boot["_platform_tags"]())
    assert "py3-none-any" in tags
    if implementation == "CPython":
        assert tags[0].startswith("cp%d%d-" % sys.version_info[:2])
