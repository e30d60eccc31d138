#!/usr/bin/env python3
# bench/runc-config.py — edits the config.json `runc spec` wrote into the bench's container:
# the workload's argv, no terminal, the given capability set, no linux.resources and no cgroup
# namespace (this machine's hybrid cgroup v1/v2 layout), and optionally a linux.seccomp object.
#
# Usage: runc-config.py CONFIG.json CAPBND_HEX SECCOMP.json|- ARG...
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from moby2oci import caps_from_hex  # noqa: E402  (one capability table for both scripts)


def die(msg):
    print(f"runc-config: {msg}", file=sys.stderr)
    sys.exit(1)


def main():
    if len(sys.argv) < 5:
        die("usage: runc-config.py CONFIG.json CAPBND_HEX SECCOMP.json|- ARG...")
    path, capbnd, seccomp, args = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4:]
    try:
        with open(path) as f:
            c = json.load(f)
        sec = None
        if seccomp != "-":
            with open(seccomp) as f:
                sec = json.load(f)
    except (OSError, ValueError) as e:
        die(str(e))
    proc = c["process"]
    proc["terminal"] = False
    proc["args"] = args
    caps = caps_from_hex(capbnd)
    proc["capabilities"] = {"bounding": caps, "effective": caps, "permitted": caps}
    linux = c["linux"]
    linux.pop("resources", None)
    linux["namespaces"] = [n for n in linux.get("namespaces", []) if n.get("type") != "cgroup"]
    if sec is not None:
        linux["seccomp"] = sec
    else:
        linux.pop("seccomp", None)
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        json.dump(c, f, indent=1)
    os.replace(tmp, path)


main()
