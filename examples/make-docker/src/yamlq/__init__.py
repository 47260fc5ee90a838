"""yamlq: print a YAML document (a file, or standard input) as JSON."""

import json
import sys

import yaml


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    if argv and argv[0] in ("-h", "--help"):
        print("usage: yamlq [FILE]   print the YAML document in FILE (or on stdin) as JSON")
        return 0
    stream = open(argv[0], encoding="utf-8") if argv else sys.stdin
    with stream:
        document = yaml.safe_load(stream)
    json.dump(document, sys.stdout, sort_keys=True)
    sys.stdout.write("\n")
    return 0
