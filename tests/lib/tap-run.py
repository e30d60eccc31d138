#!/usr/bin/env python3
# tests/lib/tap-run.py — runs every test meson registered in one build dir and counts TAP results.
# Prints each test's TAP, then "<label>: N passed, N failed[, N skipped]"; exit 1 if anything failed.
import json, os, re, subprocess, sys, time

def run_one(test, label):
    env = dict(os.environ)
    env.update(test.get("env") or {})
    timeout = max(test.get("timeout") or 300, 300)
    start = time.monotonic()
    try:
        proc = subprocess.run(test["cmd"], env=env, cwd=test.get("workdir") or None,
                              stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, timeout=timeout)
        out, rc = proc.stdout.decode(errors="replace"), proc.returncode
    except subprocess.TimeoutExpired as e:
        out = (e.stdout or b"").decode(errors="replace") + f"\n# TIMEOUT after {timeout}s\n"
        rc = -1
    took = time.monotonic() - start
    passed = failed = skipped = 0
    plan = None
    for line in out.splitlines():
        m = re.match(r"^(not ok|ok)\b(.*)$", line)
        if m:
            if m.group(1) == "not ok" and "# TODO" not in m.group(2):
                failed += 1
            elif re.search(r"#\s*SKIP", m.group(2), re.I):
                skipped += 1
            else:
                passed += 1
        m = re.match(r"^1\.\.(\d+)", line)
        if m:
            plan = int(m.group(1))
    counted = passed + failed + skipped
    broken = []
    if rc != 0 and failed == 0:
        broken.append(f"exit status {rc}")
    if plan is None:
        broken.append("no TAP plan")
    elif plan != counted:
        broken.append(f"planned {plan}, ran {counted}")
    if counted == 0:
        broken.append("no test ran")
    if broken:
        failed += 1
    status = "FAIL" if failed else "ok"
    sys.stdout.write(f"=== [{label}] {test['name']} ({took:.1f}s): {status}\n")
    if failed or os.environ.get("VERBOSE"):
        sys.stdout.write(out if out.endswith("\n") or not out else out + "\n")
    else:
        for line in out.splitlines():
            if line.startswith("not ok") or "# SKIP" in line:
                sys.stdout.write(line + "\n")
    if broken:
        sys.stdout.write(f"not ok - {test['name']}: broken test run: {', '.join(broken)}\n")
    sys.stdout.flush()
    return passed, failed, skipped

def main():
    build_dir, label = sys.argv[1], sys.argv[2]
    only = sys.argv[3:]
    tests = json.loads(subprocess.check_output(["meson", "introspect", "--tests", build_dir]))
    if only:
        tests = [t for t in tests if any(o in t["name"] for o in only)]
    totals = [0, 0, 0]
    for t in tests:
        for i, n in enumerate(run_one(t, label)):
            totals[i] += n
    print(f"{label}: {totals[0]} passed, {totals[1]} failed, {totals[2]} skipped")
    with open(os.path.join(build_dir, "tap-totals"), "w") as f:
        f.write(f"{totals[0]} {totals[1]} {totals[2]}\n")
    sys.exit(1 if totals[1] or not tests else 0)

main()
