# The __main__.py of a PEX made by pex-rs (docs/format.md, "The boot code"): it only loads the
# runtime, the modules in __pex_rs__/ (runner.py, then boot.py when the start is not a warm one),
# each from the PEX's bytecode of it for this interpreter when there is that, else from its
# source, all into this one namespace. `python app.pex` comes here through zipimport; the sh
# header's loader comes here too, with the archive it opened (zipfile reads the ZIP64 archives
# that zipimport cannot read before Python 3.13) as __pex_rs_zip__. Kept small on purpose: an
# interpreter compiles this file on every `python app.pex`. It parses under Python 2.7 too, so
# that an old interpreter is told what the PEX needs.
import sys

# Where the boot modules and their bytecode are in the archive; boot.py names them again.
_PEX_RS_MODULE = "__pex_rs__/%s.py"
_PEX_RS_BYTECODE = "__pex_rs__/__pycache__/%s.%s.pyc"

# The archive the sh header's loader opened, or None under zipimport.
_pex_rs_zip = globals().get("__pex_rs_zip__")
if _pex_rs_zip is not None:
    _pex_rs_read = _pex_rs_zip.read
else:
    _pex_rs_read = __loader__.get_data  # zipimport's: a member's bytes by its name


def _pex_rs_source(name):
    """The text of the boot module `name`."""
    return _pex_rs_read(_PEX_RS_MODULE % name).decode("utf-8")


def _pex_rs_load(name):
    """Run the boot module `name` in this namespace."""
    external = sys.modules.get("_frozen_importlib_external")  # importlib's, always loaded on 3.x
    try:
        code = _pex_rs_read(_PEX_RS_BYTECODE % (name, sys.implementation.cache_tag))
    except Exception:  # none for this interpreter (or no sys.implementation: Python 2)
        code = b""
    if external is not None and code[:4] == external.MAGIC_NUMBER:
        import marshal

        code = marshal.loads(code[16:])
    else:
        path = "%s/%s" % (__file__.rpartition("/")[0], _PEX_RS_MODULE % name)
        code = compile(_pex_rs_source(name), path, "exec")
    exec(code, globals())


def _pex_rs_manifest():
    """The PEX-INFO text, unless the archive says it is larger than any PEX needs (pexcore's
    limit too): a hostile one must not take the memory of a start that only reads it."""
    pex = __file__.rpartition("/")[0]
    if _pex_rs_zip is not None:
        size = getattr(_pex_rs_zip.NameToInfo.get("PEX-INFO"), "file_size", 0)
    else:
        toc = getattr(__loader__, "_files", {}).get("PEX-INFO")  # zipimport's entry for it
        size = toc[3] if isinstance(toc, tuple) and len(toc) > 3 else 0
    if size > 16 << 20:
        _fail("the PEX-INFO of %s is larger than 16 MiB, more than any PEX needs; rebuild it" % pex)  # noqa: F821
    try:
        return _pex_rs_read("PEX-INFO").decode("utf-8")
    except Exception as e:
        _fail("cannot read the PEX-INFO of %s (%s); rebuild it" % (pex, e))  # noqa: F821


_pex_rs_load("runner")
_pex_rs_info = _pex_rs_manifest()
if _pex_rs_zip is not None or not start(_pex_rs_info):  # noqa: F821 (runner.py's)
    _pex_rs_load("boot")
    boot(_pex_rs_info)  # noqa: F821 (boot.py's)
