# The pex-rs runtime: what a candidate interpreter runs when the search (search.py) probes it,
# as `python -E -s -c <this text>`, with fit.py and the question on its stdin. It prints three
# lines: the interpreter ("CPython 3.12.1"), its executable, and why it cannot run the PEX (empty
# when it can). Any Python runs it, 2.7 included: an old one is named as what it is instead of
# failing to compile fit.py. The `''` that `-c` puts first on sys.path goes, as in the sh
# header's loader: the working directory must not shadow the standard library.
import sys

sys.path[:1] = [p for p in sys.path[:1] if p]
if sys.version_info >= (3, 8):
    exec(sys.stdin.read())
else:
    print("Python %d.%d.%d" % tuple(sys.version_info[:3]))
    print(sys.executable)
    print("the pex-rs runtime needs Python 3.8 or later")
