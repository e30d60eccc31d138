#!/usr/bin/env python3
# bench/moby2oci.py — resolves a Docker (moby) seccomp profile into the OCI linux.seccomp object
# runc takes, the way dockerd does it (seccomp/seccomp_linux.go setupSeccomp) for this machine.
#
# Usage: moby2oci.py PROFILE.json CAPBND_HEX > seccomp.json
# CAPBND_HEX is the workload's bounding set (CapBnd from /proc/PID/status): includes/excludes
# on caps are resolved against it, arches against amd64, minKernel against the running kernel.
import json
import os
import sys

# Capability numbers → names (linux/capability.h), as far as runc 1.1 knows them.
CAPS = [
    "CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_DAC_READ_SEARCH", "CAP_FOWNER", "CAP_FSETID",
    "CAP_KILL", "CAP_SETGID", "CAP_SETUID", "CAP_SETPCAP", "CAP_LINUX_IMMUTABLE",
    "CAP_NET_BIND_SERVICE", "CAP_NET_BROADCAST", "CAP_NET_ADMIN", "CAP_NET_RAW",
    "CAP_IPC_LOCK", "CAP_IPC_OWNER", "CAP_SYS_MODULE", "CAP_SYS_RAWIO", "CAP_SYS_CHROOT",
    "CAP_SYS_PTRACE", "CAP_SYS_PACCT", "CAP_SYS_ADMIN", "CAP_SYS_BOOT", "CAP_SYS_NICE",
    "CAP_SYS_RESOURCE", "CAP_SYS_TIME", "CAP_SYS_TTY_CONFIG", "CAP_MKNOD", "CAP_LEASE",
    "CAP_AUDIT_WRITE", "CAP_AUDIT_CONTROL", "CAP_SETFCAP", "CAP_MAC_OVERRIDE",
    "CAP_MAC_ADMIN", "CAP_SYSLOG", "CAP_WAKE_ALARM", "CAP_BLOCK_SUSPEND", "CAP_AUDIT_READ",
    "CAP_PERFMON", "CAP_BPF", "CAP_CHECKPOINT_RESTORE",
]
NATIVE = "amd64"
NATIVE_SCMP = "SCMP_ARCH_X86_64"


def die(msg):
    print(f"moby2oci: {msg}", file=sys.stderr)
    sys.exit(1)


def kernel_version():
    rel = os.uname().release
    parts = rel.split(".")
    try:
        return (int(parts[0]), int("".join(c for c in parts[1] if c.isdigit()) or 0))
    except (IndexError, ValueError):
        die(f"cannot parse the kernel release '{rel}'")


def parse_kv(s):
    try:
        a, b = s.split(".")[:2]
        return (int(a), int(b))
    except ValueError:
        die(f"bad minKernel '{s}'")


def caps_from_hex(h):
    try:
        mask = int(h, 16)
    except ValueError:
        die(f"not a hex capability mask: '{h}'")
    return [name for i, name in enumerate(CAPS) if mask >> i & 1]


def wanted(rule, caps, kernel):
    inc = rule.get("includes") or {}
    exc = rule.get("excludes") or {}
    if NATIVE in (exc.get("arches") or []):
        return False
    if any(c in caps for c in (exc.get("caps") or [])):
        return False
    if exc.get("minKernel") and kernel >= parse_kv(exc["minKernel"]):
        return False
    if inc.get("arches") and NATIVE not in inc["arches"]:
        return False
    if any(c not in caps for c in (inc.get("caps") or [])):
        return False
    if inc.get("minKernel") and kernel < parse_kv(inc["minKernel"]):
        return False
    return True


def main():
    if len(sys.argv) != 3:
        die("usage: moby2oci.py PROFILE.json CAPBND_HEX")
    try:
        with open(sys.argv[1]) as f:
            prof = json.load(f)
    except (OSError, ValueError) as e:
        die(f"{sys.argv[1]}: {e}")
    caps = caps_from_hex(sys.argv[2])
    kernel = kernel_version()

    out = {"defaultAction": prof["defaultAction"]}
    if "defaultErrnoRet" in prof:
        out["defaultErrnoRet"] = prof["defaultErrnoRet"]
    arches = []
    for m in prof.get("archMap") or []:
        if m.get("architecture") == NATIVE_SCMP:
            arches = [m["architecture"]] + (m.get("subArchitectures") or [])
    if not arches and prof.get("architectures"):
        arches = prof["architectures"]
    if arches:
        out["architectures"] = arches
    rules = []
    for rule in prof.get("syscalls") or []:
        if not wanted(rule, caps, kernel):
            continue
        names = rule.get("names") or ([rule["name"]] if rule.get("name") else [])
        if not names:
            die("a rule without names")
        r = {"names": names, "action": rule["action"]}
        if "errnoRet" in rule:
            r["errnoRet"] = rule["errnoRet"]
        if rule.get("args"):
            r["args"] = rule["args"]
        rules.append(r)
    out["syscalls"] = rules
    json.dump(out, sys.stdout)
    print()


if __name__ == "__main__":
    main()
