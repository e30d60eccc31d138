#!/usr/bin/env bash
# bench/probe.sh — one HTTP health probe: `usher probe URL` beside `curl -fsS URL` and busybox's
# `wget -q --spider URL`, same run, same local server (tests/health/test-server): time per
# probe (hyperfine, no shell) and peak RSS (GNU time), as ratios to usher.
#
# Usage: bench/probe.sh [--quick] [--usher PATH]    (after build/compile.sh release)
# Needs hyperfine, curl, busybox and GNU time (build/setup.sh installs them). Writes the section
# "HTTP probe" of bench/results.md (between its markers; appended when missing).
set -euo pipefail
export LC_ALL=C
die() { printf 'bench: probe: %s\n' "$*" >&2; exit 1; }

top=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
usher=${USHER:-$top/_build/usher} runs=500 rss_runs=100 quick=0
while [ $# -gt 0 ]; do
	case $1 in
	--quick) quick=1 runs=50 rss_runs=20 ;;
	--usher) usher=$2; shift ;;
	-h | --help) sed -n '2,8p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
	*) die "unknown argument '$1'" ;;
	esac
	shift
done
server=$top/_build/tests/health/test-server
for tool in hyperfine curl busybox /usr/bin/time; do
	command -v "$tool" >/dev/null || die "$tool not found: run build/setup.sh"
done
[ -x "$usher" ] && [ -x "$server" ] || die "run build/compile.sh release first ($usher, $server)"

work=$(mktemp -d /tmp/usher-bench-probe.XXXXXX)
server_pid=""
trap '[ -n "$server_pid" ] && kill "$server_pid"; rm -rf "$work"' EXIT
"$server" up tcp:127.0.0.1:0 "$work/ready" &
server_pid=$!
for _ in $(seq 100); do [ -s "$work/ready" ] && break; sleep 0.05; done
url="http://127.0.0.1:$(cat "$work/ready")/health"

names=("usher probe" "curl -fsS" "busybox wget -q --spider")
commands=("$usher probe $url" "curl -fsS -o /dev/null $url" "busybox wget -q --spider $url")
for c in "${commands[@]}"; do
	$c >/dev/null 2>&1 || die "'$c' failed against the test server"
done

hyperfine -N --warmup 20 --runs "$runs" --export-json "$work/times.json" "${commands[@]}" \
	>"$work/hyperfine.log" 2>&1 || { cat "$work/hyperfine.log" >&2; die "hyperfine failed"; }

python3 - "$work/times.json" "$rss_runs" "$top/bench/results.md" "$(uptime)" "${commands[@]}" <<'EOF'
import json, os, subprocess, sys, statistics
times_path, rss_runs, results, load, commands = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4], sys.argv[5:]
names = ["`usher probe`", "`curl -fsS`", "busybox `wget -q --spider`"]
times = json.load(open(times_path))["results"]
rss = []
for c in commands:
    peaks = []
    for _ in range(rss_runs):
        # GNU time's small child: a fork of python would report python's own RSS.
        out = subprocess.run(["/usr/bin/time", "-f", "%M"] + c.split(), stdout=subprocess.DEVNULL,
                             stderr=subprocess.PIPE, text=True, check=True).stderr
        peaks.append(int(out.strip().splitlines()[-1]))
    rss.append((statistics.median(peaks), max(peaks)))
base_t, base_r = times[0]["median"], rss[0][0]
rows = ["| probe | median time | × usher | mean ± sd | peak RSS (median / max) | × usher |",
        "|---|---:|---:|---:|---:|---:|"]
for name, t, r in zip(names, times, rss):
    rows.append("| %s | %.3f ms | %.2f× | %.3f ± %.3f ms | %d / %d KiB | %.2f× |" % (
        name, t["median"] * 1000, t["median"] / base_t, t["mean"] * 1000, t["stddev"] * 1000,
        r[0], r[1], r[0] / base_r))
section = "\n".join([
    "<!-- bench/probe.sh: begin -->",
    "## HTTP probe: `usher probe` beside curl and busybox wget",
    "",
    "One GET of a local test server (tests/health/test-server, HTTP 200) per run, `bench/probe.sh`:",
    "hyperfine -N (no shell), %d runs after 20 warm-ups; peak RSS (GNU time's %%M) over %d runs." % (len(times[0]["times"]), rss_runs),
    "Ratios are to usher (below 1.00× is less than usher). Load when it ran: `%s`." % load.strip(),
    "",
] + rows + ["<!-- bench/probe.sh: end -->", ""])
text = open(results).read() if os.path.exists(results) else ""
begin, end = text.find("<!-- bench/probe.sh: begin -->"), text.find("<!-- bench/probe.sh: end -->")
if begin >= 0 and end > begin:
    text = text[:begin] + section + text[end + len("<!-- bench/probe.sh: end -->") + 1:]
else:
    text = text.rstrip("\n") + "\n\n" + section
open(results, "w").write(text)
print(section)
EOF
