#!/usr/bin/env bash
# bench/health-idle.sh — what a 1 s HealthCheck= costs PID 1: usher as PID 1 (own PID namespace)
# with one idle service, without a health check, with a tcp: one and with an exec: one, and a
# main command with a tcp: one, all four over the same SECONDS: PID 1's wake-ups per second
# (context switches) and CPU time (schedstat's nanoseconds, and clock ticks).
#
# Usage: bench/health-idle.sh [--quick] [--usher PATH]   (as root, after build/compile.sh release)
# Writes the section "Health checks: PID 1's cost" of bench/results.md (between its markers).
set -euo pipefail
export LC_ALL=C
die() { printf 'bench: health-idle: %s\n' "$*" >&2; exit 1; }

top=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
usher=${USHER:-$top/_build/usher} seconds=60
while [ $# -gt 0 ]; do
	case $1 in
	--quick) seconds=10 ;;
	--usher) usher=$2; shift ;;
	-h | --help) sed -n '2,7p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
	*) die "unknown argument '$1'" ;;
	esac
	shift
done
server=$top/_build/tests/health/test-server
[ "$(id -u)" -eq 0 ] || die "needs root (PID namespaces)"
[ -x "$usher" ] && [ -x "$server" ] || die "run build/compile.sh release first"

work=$(mktemp -d /tmp/usher-bench-health.XXXXXX)
pids=()
# unshare does not pass SIGTERM on: stop each usher (PID 1 inside) itself, then the server.
cleanup() {
	local f
	for f in "$work"/*.pid; do [ -f "$f" ] && kill "$(cat "$f")" 2>/dev/null; done
	kill "${pids[0]}" 2>/dev/null
	wait 2>/dev/null
	rm -rf "$work"
}
trap cleanup EXIT
"$server" up tcp:127.0.0.1:0 "$work/ready" &
pids+=($!)
for _ in $(seq 100); do [ -s "$work/ready" ] && break; sleep 0.05; done
port=$(cat "$work/ready")

names=(none tcp exec main-tcp)
checks=("" "HealthCheck=tcp:127.0.0.1:$port" "HealthCheck=exec:/bin/true")
for i in 0 1 2 3; do
	command=()
	if [ "${names[$i]}" = main-tcp ]; then # the main command's check, in [Service]; no services
		printf '[Service]\nHealthCheck=tcp:127.0.0.1:%s\nHealthIntervalSec=1s\n' "$port" >"$work/main-tcp.conf"
		command=(-- /bin/sleep 100000)
	else
		printf '[Service idle]\nExecStart=/bin/sleep 100000\n%s\nHealthIntervalSec=1s\n' "${checks[$i]}" \
			>"$work/${names[$i]}.conf"
		[ -n "${checks[$i]}" ] || sed -i '/HealthIntervalSec/d' "$work/${names[$i]}.conf"
	fi
	unshare --pid --fork --mount-proc "$usher" --control-socket none --config "$work/${names[$i]}.conf" \
		"${command[@]}" >"$work/${names[$i]}.log" 2>&1 &
	pids+=($!)
	echo $! >"$work/${names[$i]}.unshare"
done
sleep 2 # started and settled (the first health run comes one interval after ready)

# pid1 NAME — the host pid of usher, the child of that unshare.
pid1() { cat "/proc/$(cat "$work/$1.unshare")/task/$(cat "$work/$1.unshare")/children" | awk '{print $1}'; }
# sample PID — "switches ticks children_ticks ns_on_cpu"
sample() {
	local sw
	sw=$(awk '/^(non)?voluntary_ctxt_switches/ { s += $2 } END { print s }' "/proc/$1/status")
	echo "$sw $(awk '{ print $14 + $15, $16 + $17 }' "/proc/$1/stat") $(awk '{ print $1 }' "/proc/$1/schedstat")"
}
declare -A before after
for n in "${names[@]}"; do
	p=$(pid1 "$n") || die "no usher under unshare for $n: $(cat "$work/$n.log")"
	echo "$p" >"$work/$n.pid"
	before[$n]=$(sample "$p")
done
sleep "$seconds"
for n in "${names[@]}"; do after[$n]=$(sample "$(cat "$work/$n.pid")"); done

hz=$(getconf CLK_TCK)
rows=""
for n in "${names[@]}"; do
	read -r s0 t0 c0 n0 <<<"${before[$n]}"
	read -r s1 t1 c1 n1 <<<"${after[$n]}"
	rows+=$(awk -v n="$n" -v ds=$((s1 - s0)) -v dt=$((t1 - t0)) -v dc=$((c1 - c0)) -v dn=$((n1 - n0)) -v s="$seconds" -v hz="$hz" \
		'BEGIN { printf "| %s | %.2f | %.1f µs/s (%.4f %%) | %.3f %% | %.3f %% |\n", n, ds / s, dn / 1000 / s, 100 * dn / 1e9 / s, 100 * dt / hz / s, 100 * dc / hz / s }')
	rows+=$'\n'
done
section="<!-- bench/health-idle.sh: begin -->
## Health checks: PID 1's cost of a 1 s HealthIntervalSec=

\`bench/health-idle.sh\`: usher as PID 1 (own PID namespace) with one idle service (\`sleep\`),
four at once over the same ${seconds} s: without a health check, \`HealthCheck=tcp:\` (a local
test server) and \`HealthCheck=exec:/bin/true\`, each every 1 s, and (main-tcp) no service but a
main command (\`sleep\`) with \`HealthCheck=tcp:\` in \`[Service]\`. Wake-ups are PID 1's context
switches per second; CPU is PID 1's time on a CPU (\`/proc/PID/schedstat\`, nanoseconds), its
user+system clock ticks (\`/proc/PID/stat\`, ${hz} Hz: coarse) and that of its reaped children
(the exec: runs). Load: \`$(uptime)\`.

| health check | PID 1 wake-ups/s | PID 1 CPU (schedstat) | PID 1 CPU (ticks) | reaped children's CPU |
|---|---:|---:|---:|---:|
${rows}<!-- bench/health-idle.sh: end -->"
python3 - "$top/bench/results.md" "$section" <<'EOF'
import os, sys
path, section = sys.argv[1], sys.argv[2] + "\n"
text = open(path).read() if os.path.exists(path) else ""
b, e = text.find("<!-- bench/health-idle.sh: begin -->"), text.find("<!-- bench/health-idle.sh: end -->")
if b >= 0 and e > b:
    text = text[:b] + section + text[e + len("<!-- bench/health-idle.sh: end -->") + 1:]
else:
    text = text.rstrip("\n") + "\n\n" + section
open(path, "w").write(text)
EOF
printf '%s\n' "$section"
