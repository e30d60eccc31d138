#!/usr/bin/env bash
# bench/services.sh — usher, supervisord and s6-svscan as PID 1 running the same php-fpm + nginx
# pair (issue 7): PID 1 RSS, start to first /health 200, crash to ready again, idle wake-ups.
#
# Each run: a fresh PID + network namespace (loopback only), the daemons as uid 1000, the
# client (curl) inside that namespace. As root. Writes the "Services" section of
# bench/results.md (kept there by bench/run.sh) and prints it.
#   bench/services.sh [--quick]    --quick: 3 starts, 2 crashes, a 3 s idle window (not 10, 5, 10 s)
# Environment: USHER (the usher binary; default _build/usher).
set -euo pipefail

top=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
. "$top/build/lib.sh"
rounds=10 crash_rounds=5 idle_s=10
case "${1:-}" in
	"") ;;
	--quick) rounds=3 crash_rounds=2 idle_s=3 ;;
	*) die "usage: bench/services.sh [--quick]" ;;
esac
[ "$(id -u)" -eq 0 ] || die "bench/services.sh: needs root (namespaces, uid 1000 daemons)"
for cmd in php-fpm8.2 nginx supervisord s6-svscan s6-applyuidgid curl nsenter unshare ip hyperfine; do
	command -v "$cmd" >/dev/null || die "bench/services.sh: $cmd missing: run build/setup.sh"
done
usher=${USHER:-$top/_build/usher} # USHER=PATH: another build
[ -x "$usher" ] || die "bench/services.sh: $usher missing: run build/compile.sh release"

work=$(mktemp -d /tmp/usher-bench-services.XXXXXX)
chmod 755 "$work"
ns_pids=()
cleanup() {
	local p
	for p in "${ns_pids[@]}"; do kill -KILL "$p" 2>/dev/null || true; done
	[ -n "${USHER_BENCH_KEEP:-}" ] || rm -rf "$work"
}
trap cleanup EXIT

# ---------------------------------------------------------------- the same pair for all three
examples="$top/docs/examples"
mkdir -p "$work/run" "$work/srv"
chown 1000:1000 "$work/run"
cp "$examples/health.php" "$work/srv/"
chmod -R a+rX "$work/srv"
to_work() { sed -e "s|/run/web|$work/run|g; s|/srv/web|$work/srv|g; s|/etc/usher/|$work/|g" "$@"; }
to_work "$examples/php-fpm.conf" >"$work/php-fpm.conf"
to_work "$examples/nginx.conf" >"$work/nginx.conf"
fpm_cmd="/usr/sbin/php-fpm8.2 -F -O -y $work/php-fpm.conf"
nginx_cmd="/usr/sbin/nginx -e stderr -c $work/nginx.conf"

# usher: the documented example (with its sandbox: no capabilities, seccomp, no_new_privs).
to_work "$examples/php-nginx.conf" >"$work/usher.conf"

# supervisord: the usual container set-up (nodaemon, logs to stdout), ordered by priority.
cat >"$work/supervisord.conf" <<EOF
[supervisord]
nodaemon=true
user=root
logfile=/dev/null
logfile_maxbytes=0
pidfile=$work/run/supervisord.pid

[program:php-fpm]
command=$fpm_cmd
user=1000
priority=10
autorestart=true
stdout_logfile=/dev/stdout
stdout_logfile_maxbytes=0
redirect_stderr=true

[program:nginx]
command=$nginx_cmd -g "daemon off;"
user=1000
priority=20
autorestart=true
stdout_logfile=/dev/stdout
stdout_logfile_maxbytes=0
redirect_stderr=true
EOF

# s6-svscan: two service directories (no ordering: s6 has none without s6-rc).
for svc in php-fpm nginx; do
	mkdir -p "$work/s6/$svc"
	cmd=$fpm_cmd
	[ "$svc" = nginx ] && cmd="$nginx_cmd -g 'daemon off;'"
	printf '#!/bin/sh\nexec 2>&1\nexec s6-applyuidgid -u 1000 -g 1000 -G "" %s\n' "$cmd" >"$work/s6/$svc/run"
	chmod 755 "$work/s6/$svc/run"
done

# The supervisor's command line, as PID 1.
pid1_cmd() {
	case "$1" in
	usher) echo "$usher --config $work/usher.conf" ;;
	supervisord) echo "supervisord -c $work/supervisord.conf" ;;
	s6) echo "s6-svscan $work/s6" ;;
	esac
}

# start SUP — PID 1 of new namespaces, in the background; sets ns (unshare's pid), p1 (PID 1).
start() {
	rm -rf "$work/s6"/*/supervise "$work/s6/.s6-svscan" "$work/run"/*.pid
	# shellcheck disable=SC2046
	setsid unshare --pid --kill-child --mount-proc --net sh -c 'ip link set lo up && exec "$@"' sh \
		$(pid1_cmd "$1") >>"$work/$1.log" 2>&1 </dev/null &
	ns=$!
	ns_pids+=("$ns")
	p1=""
	local i
	for i in $(seq 500); do
		p1=$(cat /proc/"$ns"/task/"$ns"/children 2>/dev/null | tr -d ' ' || true)
		[ -n "$p1" ] && return 0
		kill -0 "$ns" 2>/dev/null || return 1
		sleep 0.01
	done
	return 1
}
stop() { kill -KILL "$ns" 2>/dev/null || true; wait "$ns" 2>/dev/null || true; }
health() { [ "$(nsenter --target "$p1" --net curl -s -o /dev/null -w '%{http_code}' --max-time 1 http://127.0.0.1:8080/health 2>/dev/null)" = 200 ]; }
wait_health() {
	local i
	for i in $(seq 3000); do
		health && return 0
		kill -0 "$p1" 2>/dev/null || return 1
		sleep 0.005
	done
	return 1
}
# All processes of the namespace: PID 1 and its descendants (host pids).
tree() { local p=$1 c; echo "$p"; for c in $(cat /proc/"$p"/task/*/children 2>/dev/null); do tree "$c"; done; }
# The supervision processes: PID 1, and s6-supervise for s6.
supervisors() {
	local p
	for p in $(tree "$p1"); do
		case "$(cat /proc/"$p"/comm 2>/dev/null)" in
		usher | supervisord | s6-svscan | s6-supervise) echo "$p" ;;
		esac
	done
}
fpm_master() {
	local p
	for p in $(tree "$p1" || true); do
		case "$(tr '\0' ' ' 2>/dev/null </proc/"$p"/cmdline)" in "php-fpm: master"*) echo "$p"; return ;; esac
	done
}
# crash_once all|master — SIGKILL to php-fpm (all: the master and its workers at once, as a
# group kill; master: the master alone, its workers left) and the ms until a new master runs
# and /health is 200 again; "-" when that does not happen within 15 s.
crash_once() {
	local m new t0 i
	m=$(fpm_master)
	[ -n "$m" ] || { echo -; return; }
	t0=$(date +%s%N)
	if [ "$1" = all ]; then
		# shellcheck disable=SC2046
		kill -KILL $(tree "$m") 2>/dev/null || true
	else
		kill -KILL "$m"
	fi
	for i in $(seq 3000); do
		new=$(fpm_master)
		if [ -n "$new" ] && [ "$new" != "$m" ] && health; then
			local took; took=$(ms_since "$t0")
			sleep 0.3 # a master that cannot bind its port exits at once: it must still be there
			[ "$(fpm_master)" = "$new" ] && { echo "$took"; return; }
		fi
		sleep 0.005
	done
	echo -
}
rss_kb() { awk '$1 == "VmRSS:" { print $2 }' /proc/"$1"/status; }
switches() { awk '$1 ~ /ctxt_switches:/ { n += $2 } END { print n }' /proc/"$1"/status; }
ms_since() { echo $(( ($(date +%s%N) - $1) / 1000000 )); }
median() { sort -n | awk '{ v[NR] = $1 } END { print (NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2) }'; }
range() { sort -n | awk 'NR == 1 { lo = $1 } { hi = $1 } END { print lo "–" hi }'; }

# Does this usher run services yet? (The runtime is ENGINE's; without it usher is left out.)
sups=(usher supervisord s6)
usher_runs=0
for try in 1 2; do # twice: a busy machine can miss one
	if start usher && wait_health; then usher_runs=1; stop; break; fi
	stop
done
if [ "$usher_runs" -eq 0 ]; then
	say "services: usher does not run the pair (yet): $(tail -1 "$work/usher.log"); leaving it out"
	sups=(supervisord s6)
fi

tsv="$work/services.tsv"
: >"$tsv"
for sup in "${sups[@]}"; do
	say "services: $sup: start to first /health 200 (hyperfine, $rounds runs)"
	# Timed: PID 1 started and the first 200 seen. --prepare ends the previous run first.
	cat >"$work/start-$sup.sh" <<EOF
#!/bin/bash
setsid unshare --pid --kill-child --mount-proc --net sh -c 'ip link set lo up && exec "\$@"' sh $(pid1_cmd "$sup") >>"$work/$sup.log" 2>&1 </dev/null &
echo \$! > "$work/ns-$sup"
for i in \$(seq 500); do p=\$(cat /proc/\$!/task/\$!/children 2>/dev/null | tr -d ' '); [ -n "\$p" ] && break; sleep 0.002; done
for i in \$(seq 6000); do
	[ "\$(nsenter --target "\$p" --net curl -s -o /dev/null -w '%{http_code}' --max-time 1 http://127.0.0.1:8080/health)" = 200 ] && exit 0
	sleep 0.005
done
exit 1
EOF
	chmod 755 "$work/start-$sup.sh"
	end_prev="if [ -s $work/ns-$sup ]; then kill -KILL \$(cat $work/ns-$sup); while kill -0 \$(cat $work/ns-$sup) 2>/dev/null; do sleep 0.01; done; fi; rm -rf $work/s6/*/supervise $work/s6/.s6-svscan $work/run/*.pid"
	hyperfine -N --style basic --runs "$rounds" --prepare "bash -c '$end_prev'" --cleanup "bash -c '$end_prev'" \
		--export-json "$work/start-$sup.json" "$work/start-$sup.sh" >>"$work/hyperfine.log" 2>&1 \
		|| die "bench/services.sh: hyperfine failed for $sup (see $work/hyperfine.log)"
	start_ms=$(python3 -c "import json,sys; r=json.load(open(sys.argv[1]))['results'][0]; print('%.0f %.0f %.0f' % (r['median']*1000, r['min']*1000, r['max']*1000))" "$work/start-$sup.json")

	say "services: $sup: RSS, idle wake-ups (${idle_s} s), crash to ready ($rounds crashes)"
	start "$sup" || die "bench/services.sh: $sup did not start (see $work/$sup.log)"
	wait_health || die "bench/services.sh: $sup: no /health 200"
	sleep 2 # settle: nginx and php-fpm done starting
	rss1=$(rss_kb "$p1")
	rss_all=0
	for p in $(supervisors); do rss_all=$((rss_all + $(rss_kb "$p"))); done
	before1=$(switches "$p1") before_all=0
	for p in $(supervisors); do before_all=$((before_all + $(switches "$p"))); done
	sleep "$idle_s"
	after1=$(switches "$p1") after_all=0
	for p in $(supervisors); do after_all=$((after_all + $(switches "$p"))); done
	wake1=$(awk -v a="$after1" -v b="$before1" -v s="$idle_s" 'BEGIN { printf "%.1f", (a - b) / s }')
	wake_all=$(awk -v a="$after_all" -v b="$before_all" -v s="$idle_s" 'BEGIN { printf "%.1f", (a - b) / s }')
	crash_all=() crash_master=()
	for r in $(seq "$crash_rounds"); do
		crash_all+=("$(crash_once all)")
		# Up 11 s before the next crash: past every supervisor's back-off reset (s6: 1 s,
		# supervisord: startsecs 1 s, usher: ready for 10 s), so each crash is a first one.
		sleep 11
	done
	for r in $(seq "$crash_rounds"); do
		crash_master+=("$(crash_once master)")
		[ "${crash_master[-1]}" != - ] || break # not recovered: nothing left to crash
		# As above: 1.5 s apart measured usher's doubling back-off (151 ms ... 30 s), not
		# the recovery.
		sleep 11
	done
	stop
	printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$sup" "$rss1" "$rss_all" "$start_ms" \
		"${crash_all[*]}" "${crash_master[*]}" "$wake1" "$wake_all" >>"$tsv"
done

# ---------------------------------------------------------------- the Markdown section
section="$work/section.md"
python3 - "$tsv" "$rounds $crash_rounds" "$idle_s" "$(date -u '+%Y-%m-%d %H:%M UTC')" "$(nproc)" "$(cut -d' ' -f1-3 /proc/loadavg)" >"$section" <<'EOF'
import sys
tsv, rounds, idle, when, cpus, load = sys.argv[1:]
rounds, crash_rounds = rounds.split()
rows = {}
def crash_stats(text):
    runs = text.split()
    done = sorted(float(x) for x in runs if x != "-")
    failed = len(runs) - len(done)
    if not done:
        return None, f"not ready again within 15 s ({failed} of {len(runs)})"
    n = len(done)
    med = done[n // 2] if n % 2 else (done[n // 2 - 1] + done[n // 2]) / 2
    note = f"; {failed} of {len(runs)} not ready within 15 s" if failed else ""
    return med, f"{med:.0f} ms ({done[0]:.0f}–{done[-1]:.0f}){note}"
for line in open(tsv):
    sup, rss1, rss_all, start, crash_all, crash_master, wake1, wake_all = line.rstrip("\n").split("\t")
    med, lo, hi = start.split()
    ca, ca_text = crash_stats(crash_all)
    cm, cm_text = crash_stats(crash_master)
    rows[sup] = dict(rss1=int(rss1), rss_all=int(rss_all), start=float(med), start_range=f"{lo}–{hi}",
                     ca=ca, ca_text=ca_text, cm=cm, cm_text=cm_text, wake1=float(wake1), wake_all=float(wake_all))
names = {"usher": "usher", "supervisord": "supervisord 4.2.5", "s6": "s6-svscan 2.11 (+2 s6-supervise)"}
base = rows.get("usher")
def ratio(v, b):
    if b is None or b == 0:
        return ""
    return f" ({v / b:.1f}×)"
print("<!-- services.sh: this section is written by bench/services.sh; bench/run.sh keeps it -->")
print("## Services: php-fpm + nginx under one PID 1 (bench/services.sh)")
print()
print(f"{when}; {cpus} cores, load {load}; {rounds} starts and {crash_rounds} crashes (11 s apart) each, idle window {idle} s.")
print("The same Debian php-fpm 8.2 and nginx 1.22 as uid 1000, each PID 1 in fresh PID + network")
print("namespaces. usher runs docs/examples/php-nginx.conf (with its sandbox: no capabilities,")
print("seccomp, no_new_privs); supervisord the usual nodaemon set-up with priorities; s6-svscan two")
print("service directories (no ordering). Ratios are to usher (×: how many times usher's).")
print()
print("| PID 1 | RSS of PID 1 | RSS, all supervision processes | start to first /health 200, median (range) | php-fpm killed (master + workers) to /health 200 again | php-fpm's master alone killed to /health 200 again | PID 1 wake-ups/s idle | all supervision processes, wake-ups/s idle |")
print("|---|---|---|---|---|---|---|---|")
for sup in ("usher", "supervisord", "s6"):
    r = rows.get(sup)
    if not r:
        print(f"| {names[sup]} | not run (see the note below) | | | | | | |")
        continue
    b = base or {}
    print(f"| {names[sup]} | {r['rss1']} KiB{ratio(r['rss1'], b.get('rss1'))} | {r['rss_all']} KiB{ratio(r['rss_all'], b.get('rss_all'))} | "
          f"{r['start']:.0f} ms ({r['start_range']}){ratio(r['start'], b.get('start'))} | "
          f"{r['ca_text']}{ratio(r['ca'], b.get('ca')) if r['ca'] else ''} | "
          f"{r['cm_text']}{ratio(r['cm'], b.get('cm')) if r['cm'] else ''} | "
          f"{r['wake1']:.1f} | {r['wake_all']:.1f} |")
print()
if not base:
    print("usher is not in this run: the usher binary used did not run the pair (services are ENGINE's")
    print("runtime, not merged when this was run), so there are no ratios yet.")
    print()
print("Wake-ups are voluntary + involuntary context switches (/proc/PID/status) over the idle")
print("window, with both daemons up and no requests. Start is measured by hyperfine from launching")
print("PID 1 to the first 200 (curl every 5 ms inside the namespace). A crash is SIGKILL to php-fpm;")
print("it is over when a new php-fpm master runs (still there 0.3 s later) and /health is 200. Killing")
print("the master alone leaves its workers holding port 9000: a supervisor that does not kill what")
print("is left of the service cannot start php-fpm again (\"Address already in use\", exit 78).")
EOF
# Into bench/results.md: replace the section, or add it at the end.
results="$top/bench/results.md"
touch "$results"
awk '/^<!-- services.sh:/ { skip = 1 } !skip { print }' "$results" | sed -e :a -e '/^\n*$/{$d;N;ba' -e '}' >"$work/results.md"
{ cat "$work/results.md"; echo; cat "$section"; } >"$results"
cat "$section"
say "services: wrote the Services section of bench/results.md (raw: $tsv is removed with $work; logs in it too)"
