#!/usr/bin/env python3
# bench/report.py — turns the tab-separated measurements bench/run.sh collected into the
# Markdown of bench/results.md: absolute numbers with ratios, usher's targets, notes.
#
# Usage: report.py RESULTS.tsv > results.md
import sys

PEERS = ["tini", "tini-static", "dumb-init", "catatonit"]
ROWS = ["usher"] + PEERS + ["floor", "none"]
LABEL = {"none": "no init (workload is PID 1)", "floor": "floor (vfork+exec+wait)"}


def die(msg):
    print(f"report: {msg}", file=sys.stderr)
    sys.exit(1)


def load(path):
    data, meta, notes = {}, [], []
    try:
        f = open(path)
    except OSError as e:
        die(f"{path}: {e}")
    with f:
        for n, line in enumerate(f, 1):
            w = line.rstrip("\n").split("\t")
            if w[0] == "meta":
                meta.append((w[1], w[2]))
            elif w[0] == "note":
                notes.append(w[1])
            elif len(w) >= 3:
                data.setdefault(w[0], {})[w[1]] = w[2:]
            else:
                die(f"{path}:{n}: malformed line")
    return data, meta, notes


def num(data, metric, name, col=0):
    try:
        return float(data[metric][name][col])
    except (KeyError, IndexError, ValueError):
        return None


def best_peer(data, metric, col=0, static_only=False):
    peers = [p for p in PEERS if not static_only or data.get("size", {}).get(p, ["", ""])[1] == "static"]
    vals = [v for v in (num(data, metric, p, col) for p in peers) if v is not None and v > 0]
    return min(vals) if vals else None


def cell(v, best, fmt):
    if v is None:
        return "—"
    s = fmt(v)
    if best:
        s += f" · {v / best:.2f}×"
    return s


def ms(us):
    return f"{us / 1000:.3f} ms"


def main():
    if len(sys.argv) != 2:
        die("usage: report.py RESULTS.tsv")
    data, meta, notes = load(sys.argv[1])
    m = dict(meta)
    out = []
    p = out.append
    p("# usher benchmarks: results")
    p("")
    p(f"Made by `{m.get('command', '?')}` at {m.get('date', '?')} "
      f"({m.get('mode', '?')} mode, {m.get('elapsed', '?')} s).")
    p("")
    p(f"Machine: {m.get('machine', '?')}. CPU time used by others (2 s sample, both cores): "
      f"{m.get('load_before', '?')} before the run, {m.get('load_after', '?')} before the reaping runs "
      "(other engineers share the two cores: expect noise).  ")
    p(f"Inits: {m.get('versions', '?')}; usher {m.get('usher', '?')}.")
    p("")
    p("Each cell: absolute value · ratio to the best of the four Debian peers (tini, tini-static, "
      "dumb-init, catatonit) on that column; lower is better everywhere. Sizes are compared "
      "with the smallest *static* peer: the dynamic ones also need glibc's libc.so.6 "
      f"({m.get('libc_size', '?')}) in the image. "
      "See docs/benchmarks.md for how each number is taken.")
    p("")

    n_start = m.get("startup_rounds", "?")
    n_sig = m.get("signal_count", "?")
    n_orph = m.get("orphans", "?")
    p(f"| init | start-up overhead, median of {n_start} | binary size | PID 1 RSS at 2.5 s | "
      f"signal latency median ({n_sig}) | signal latency p99 | reap {n_orph} orphans, median (range) of "
      f"{m.get('reap_reps', '?')} |")
    p("|---|---:|---:|---:|---:|---:|---:|")
    b_start = best_peer(data, "startup", 3)
    b_size = best_peer(data, "size", static_only=True)
    b_rss = best_peer(data, "rss")
    b_sig = best_peer(data, "signal", 0)
    b_p99 = best_peer(data, "signal", 1)
    b_reap = best_peer(data, "reap", 0)
    def reap_cell(r):
        c = cell(num(data, "reap", r, 0), b_reap, lambda v: f"{v:.0f} ms")
        lo, hi = num(data, "reap", r, 4), num(data, "reap", r, 5)
        if lo is not None and hi is not None and hi > lo:
            c += f" ({lo:.0f}–{hi:.0f})"
        return c

    def rss_cell(r):
        c = cell(num(data, "rss", r), b_rss, lambda v: f"{v:.0f} kB")
        early = num(data, "rss", r, 1)
        if early is not None and early != num(data, "rss", r):
            c += f" ({early:.0f} kB at 0.1 s)"
        return c

    for r in ROWS:
        if r == "none":  # the baseline the start-up overheads are taken against
            sig = num(data, "signal", r, 0)
            if sig is not None:
                p(f"| {LABEL[r]} | 0 (the baseline) | — | — | "
                  f"{cell(sig, b_sig, lambda v: f'{v:.1f} µs')} | "
                  f"{cell(num(data, 'signal', r, 1), b_p99, lambda v: f'{v:.1f} µs')} | — |")
            continue
        if not any(r in data.get(k, {}) for k in ("startup", "size", "rss", "signal", "reap")):
            continue
        size = num(data, "size", r)
        size_s = cell(size, b_size, lambda v: f"{v / 1024:.1f} KiB")
        if size is not None and data["size"][r][1] == "dynamic":
            size_s += " (+ libc.so)"
        stripped = num(data, "size", r + "-stripped")
        if stripped is not None and stripped < size:
            size_s += f"; stripped {cell(stripped, b_size, lambda v: f'{v / 1024:.1f} KiB')}"
        p(f"| {LABEL.get(r, r)} | {cell(num(data, 'startup', r, 3), b_start, ms)} | {size_s} | "
          f"{rss_cell(r)} | "
          f"{cell(num(data, 'signal', r, 0), b_sig, lambda v: f'{v:.1f} µs')} | "
          f"{cell(num(data, 'signal', r, 1), b_p99, lambda v: f'{v:.1f} µs')} | "
          f"{reap_cell(r)} |")
    p("")
    p("Start-up wall time (clone → waitpid, `-- /bin/true`), for reference: "
      + "; ".join(f"{k} {float(v[0]) / 1000:.3f} ms (p10 {float(v[1]) / 1000:.3f}, p90 {float(v[2]) / 1000:.3f})"
                  for k, v in data.get("startup", {}).items()) + ".")
    p("")

    if data.get("signal1cpu"):
        p(f"Signal latency with the driver, the inits and the workloads all on one CPU under SCHED_FIFO "
          f"(no cross-CPU wake-ups, others' load kept out; {m.get('signal_count', '?')} signals each): "
          "the init's own forwarding path. Ratio to the best peer.")
        p("")
        p("| init | median | p99 | min |")
        p("|---|---:|---:|---:|")
        bm, b99, bmin = (best_peer(data, "signal1cpu", c) for c in (0, 1, 2))
        for r in ROWS:
            if r not in data["signal1cpu"]:
                continue
            p(f"| {LABEL.get(r, r)} | {cell(num(data, 'signal1cpu', r, 0), bm, lambda v: f'{v:.1f} µs')} | "
              f"{cell(num(data, 'signal1cpu', r, 1), b99, lambda v: f'{v:.1f} µs')} | "
              f"{cell(num(data, 'signal1cpu', r, 2), bmin, lambda v: f'{v:.1f} µs')} |")
        p("")

    if data.get("startup-session") or data.get("signal-session"):
        p("As a container runs them: each PID 1 also leads a new session without a terminal, as "
          "runc makes it (driver --session; a container's /proc/1/stat says session 1). Start-up "
          "overhead over no init (also started so), and signal latency. Ratio to the best peer.")
        p("")
        p("| init | start-up overhead | signal latency median | p99 |")
        p("|---|---:|---:|---:|")
        bs = best_peer(data, "startup-session", 3)
        bm, b99 = (best_peer(data, "signal-session", c) for c in (0, 1))
        for r in ROWS:
            if r not in data.get("startup-session", {}) and r not in data.get("signal-session", {}):
                continue
            start = "0 (the baseline)" if r == "none" else cell(num(data, "startup-session", r, 3), bs, ms)
            p(f"| {LABEL.get(r, r)} | {start} | "
              f"{cell(num(data, 'signal-session', r, 0), bm, lambda v: f'{v:.1f} µs')} | "
              f"{cell(num(data, 'signal-session', r, 1), b99, lambda v: f'{v:.1f} µs')} |")
        p("")

    # usher's targets
    p("## usher's targets")
    p("")
    if "usher" not in data.get("startup", {}):
        p("usher was not measured in this run (see the notes).")
    else:
        floor = num(data, "startup", "floor", 3)
        ts = num(data, "startup", "tini-static", 3)
        us = num(data, "startup", "usher", 3)
        rows = []

        def verdict(ok, near=False):
            return "**met**" if ok else ("within noise (≤ 1.1×)" if near else "**not met**")

        if us is not None and floor:
            rows.append(("start-up overhead ≤ 1.25× the floor's",
                         f"{ms(us)} vs {ms(floor)} = {us / floor:.2f}×", verdict(us <= 1.25 * floor)))
        us1, floor1 = num(data, "startup1cpu", "usher", 3), num(data, "startup1cpu", "floor", 3)
        if us1 is not None and floor1:
            rows.append(("start-up overhead ≤ 1.25× the floor's, one CPU",
                         f"{ms(us1)} vs {ms(floor1)} = {us1 / floor1:.2f}×", verdict(us1 <= 1.25 * floor1)))
        uss, floors = num(data, "startup-session", "usher", 3), num(data, "startup-session", "floor", 3)
        if uss is not None and floors:
            rows.append(("start-up overhead ≤ 1.25× the floor's, as under runc",
                         f"{ms(uss)} vs {ms(floors)} = {uss / floors:.2f}×", verdict(uss <= 1.25 * floors)))
        if us is not None and ts:
            rows.append(("start-up overhead < 0.6× tini-static's",
                         f"{ms(us)} vs {ms(ts)} = {us / ts:.2f}×", verdict(us < 0.6 * ts)))
        rss = num(data, "rss", "usher")
        if rss is not None:
            early = num(data, "rss", "usher", 1)
            v = f"{rss:.0f} kB at 2.5 s" + (f" ({early:.0f} kB at 0.1 s)" if early is not None else "")
            rows.append(("PID 1 RSS < 128 kB (steady state)", v, verdict(rss < 128)))
        size = num(data, "size", "usher")
        stripped = num(data, "size", "usher-stripped")
        if size is not None:
            v = f"{size / 1024:.1f} KiB ({size:.0f} bytes) as built"
            ok = size < 256 * 1024
            if stripped is not None and stripped < size:
                v += f"; {stripped / 1024:.1f} KiB ({stripped:.0f} bytes) after `strip`"
                ok_s = stripped < 256 * 1024
                verdict_s = verdict(ok) if ok == ok_s else (
                    "**not met** as built; **met** once stripped" if ok_s else "**not met**")
            else:
                verdict_s = verdict(ok)
            rows.append(("binary < 256 KiB with libseccomp + libcap-ng", v, verdict_s))
        for metric, col, what in (("signal", 0, "signal latency median"), ("signal", 1, "signal latency p99"),
                                  ("signal1cpu", 0, "signal latency median, one CPU"),
                                  ("signal1cpu", 1, "signal latency p99, one CPU"),
                                  ("signal-session", 0, "signal latency median, as under runc"),
                                  ("signal-session", 1, "signal latency p99, as under runc")):
            u, b = num(data, metric, "usher", col), best_peer(data, metric, col)
            if u is not None and b:
                rows.append((f"{what} no worse than any peer", f"{u:.1f} µs vs best peer {b:.1f} µs = {u / b:.2f}×",
                             verdict(u <= b, u <= 1.1 * b)))
        u, b = num(data, "reap", "usher"), best_peer(data, "reap")
        if u is not None and b:
            best = min((p for p in PEERS if num(data, "reap", p) is not None), key=lambda p: num(data, "reap", p))
            u_lo, b_hi = num(data, "reap", "usher", 4), num(data, "reap", best, 5)
            overlap = u_lo is not None and b_hi is not None and u_lo <= b_hi
            ok = "**met**" if u <= b else ("within noise: the ranges of the repetitions overlap" if overlap
                                           else "**not met**")
            rows.append(("reaping no worse than any peer",
                         f"{u:.0f} ms vs best peer ({best}) {b:.0f} ms = {u / b:.2f}×", ok))
        p("| target | measured | |")
        p("|---|---|---|")
        for t, v, ok in rows:
            p(f"| {t} | {v} | {ok} |")
    p("")

    # sandbox
    p("## Sandbox: cost per system call under seccomp filters")
    p("")
    sysrows = list(data.get("sys-getppid", {}).keys())
    if not sysrows:
        p("Not measured in this run (see the notes).")
    else:
        base = sysrows[0]
        p(f"Best (minimum) ns per call over {m.get('sys_loops', '?')}; ratio and extra ns against "
          f"`{base}`. `getppid` is allowed by every profile without looking at arguments, so the "
          "kernel's constant-action bitmap (Linux ≥ 5.11) lets it skip the BPF program; "
          "`personality(0xffffffff)` is allowed only by an argument comparison, so the filter runs.")
        p("")
        p("| filter | Seccomp mode / filters | getppid | personality(0xffffffff) |")
        p("|---|---|---:|---:|")
        for r in sysrows:
            cells = []
            for sc in ("getppid", "personality"):
                v, b = num(data, f"sys-{sc}", r), num(data, f"sys-{sc}", base)
                st = data[f"sys-{sc}"][r][2] if len(data[f"sys-{sc}"][r]) > 2 else "?"
                c = "—" if v is None else f"{v:.1f} ns"
                if v is not None and b:
                    c += f" · {v / b:.2f}× (+{v - b:.0f} ns)"
                if st != "ok":
                    c += f" [returns {st}]"
                cells.append(c)
            ss = data.get("seccomp", {}).get(r, ["?", "?"])
            p(f"| {r} | {ss[0]} / {ss[1]} | {cells[0]} | {cells[1]} |")
    p("")
    p("## Sandbox: start-up overhead with the whole sandbox on")
    p("")
    floor = num(data, "startup", "floor", 3)
    tstat = num(data, "startup", "tini-static", 3)
    srows = [k for k in data.get("startup", {}) if k.startswith("usher+")]
    if not srows:
        p("Not measured in this run (see the notes).")
    else:
        p("Same interleaved run as the table above (each init PID 1 of a fresh PID namespace with a "
          "fresh /proc); overhead over the no-init baseline, ratios to the floor's, tini-static's and "
          "usher's bare start.")
        p("")
        p("| usher with | start-up overhead | × floor | × tini-static | × usher bare |")
        p("|---|---:|---:|---:|---:|")
        plain = num(data, "startup", "usher", 3)
        for k in ["usher"] + srows:
            v = num(data, "startup", k, 3)
            if v is None:
                continue
            cols = [f"{v / b:.2f}×" if b else "—" for b in (floor, tstat, plain)]
            p(f"| {m.get('args-' + k, '(bare)' if k == 'usher' else k)} | {ms(v)} | " + " | ".join(cols) + " |")
    p("")
    pinned = data.get("startup1cpu", {})
    if pinned:
        p("## Start-up on one CPU")
        p("")
        p("The same start-up measurement with the driver, the inits and the workload all on one CPU "
          "(no hop waits for the other vCPU to wake from idle): what the init itself costs.")
        p("")
        p("| init | start-up overhead | × floor |")
        p("|---|---:|---:|")
        pf = num(data, "startup1cpu", "floor", 3)
        for k in pinned:
            if k == "none":
                continue
            v = num(data, "startup1cpu", k, 3)
            p(f"| {LABEL.get(k, k)} | {ms(v)} | {f'{v / pf:.2f}×' if pf else '—'} |")
        p("")
    none_sig, best_sig = num(data, "signal", "none", 0), best_peer(data, "signal", 0)
    if none_sig is not None and best_sig and none_sig > 0.8 * best_sig:
        notes.append(f"The signal columns look dominated by load in this run: delivering straight to "
                     f"the workload took {none_sig:.1f} µs (median), not clearly less than through the "
                     f"best init ({best_sig:.1f} µs); on a quiet machine it is about half. "
                     "The one-CPU table is the steadier comparison.")
    if notes:
        p("## Notes from this run")
        p("")
        for n in notes:
            p(f"- {n}")
        p("")
    sys.stdout.write("\n".join(out))


main()
