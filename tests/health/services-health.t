#!/usr/bin/env bash
# tests/health/services-health.t — HealthCheck= of real services under usher as PID 1 (own PID
# namespace): restarted after HealthRetries= failures, not when it recovers first, marked only
# with HealthAction=none, FailureAction= after HealthAction=stop; `usher status`/`usher health`
# from another process meanwhile; hostile control clients while a signal is still forwarded.
set -u
. "$SOURCE_ROOT/tests/lib/tap.sh"

NAME=svc-health
. "$SOURCE_ROOT/tests/health/usher-lib.sh"

# --- 1. failing HealthRetries= times in a row: restarted -------------------------------------
bad=$(free_port) good=$(free_port)
# A counter: this exec: check fails twice, then passes for good (HealthRetries=3: never unhealthy).
cat >"$tmp/flaky-check" <<EOF
#!/bin/sh
n=\$(cat "$tmp/count" 2>/dev/null || echo 0); n=\$((n + 1)); echo \$n >"$tmp/count"
[ \$n -gt 2 ]
EOF
chmod +x "$tmp/flaky-check"
cat >"$tmp/a.conf" <<EOF
[Service bad]
ExecStart=$SERVER 500 tcp:127.0.0.1:$bad $tmp/bad.ready
ReadyCheck=tcp:127.0.0.1:$bad
HealthCheck=http://127.0.0.1:$bad/health
HealthIntervalSec=200ms
HealthRetries=2
StartLimitBurst=1000
FailureAction=none

[Service recovers]
ExecStart=$SERVER up tcp:127.0.0.1:$good $tmp/good.ready
ReadyCheck=tcp:127.0.0.1:$good
HealthCheck=exec:$tmp/flaky-check
HealthIntervalSec=200ms
HealthRetries=3

[Service marked]
ExecStart=/bin/sleep 1000
HealthCheck=file:$tmp/never
HealthIntervalSec=200ms
HealthRetries=1
HealthAction=none

# Exits 0 on SIGTERM: a stop for being unhealthy is a failure all the same (Restart=on-failure).
[Service trapper]
ExecStart=/bin/sh -c 'trap "exit 0" TERM; while :; do sleep 0.1; done'
HealthCheck=file:$tmp/never-either
HealthIntervalSec=300ms
HealthRetries=1
StartLimitBurst=1000
FailureAction=none
EOF
run_usher a --config "$tmp/a.conf"
wait_for 10 test -S "$sock"
ok $? "the status socket is there"
seen=""
for _ in $(seq 40); do # 4 s of `usher status` from another process while services start and restart
	out=$(status)
	[ "$(printf '%s\n' "$out" | wc -l)" = 5 ] || { seen="$seen broken:$out"; break; }
	seen="$seen $(printf '%s\n' "$out" | awk 'NR > 1 { print $1 "=" $2 }' | tr '\n' ' ')"
	sleep 0.1
done
unlike "$seen" "broken" "usher status answered a whole table each of 40 times while services started and restarted"
like "$seen" "bad=restarting" "usher status saw bad restarting"
like "$seen" "bad=ready" "usher status saw bad ready between restarts"
like "$seen" "marked=unhealthy" "usher status saw marked unhealthy"
ok "$([ "$(field bad 4)" -ge 2 ]; echo $?)" "bad (HTTP 500, HealthRetries=2) was restarted ($(field bad 4) restarts)"
like "$(cat "$tmp/a.log")" 'service "bad": unhealthy after 2 failed checks \(http://127.0.0.1:[0-9]+/health: HTTP 500, expected 2xx or 3xx\); restarting it' "usher says why it restarts bad"
like "$(cat "$tmp/a.log")" 'service "bad": exited with status 143; restarting in 100ms' "bad's first restart after RestartSec= (100ms)"
like "$(cat "$tmp/a.log")" 'service "bad": exited with status 143; restarting in 200ms' "... its next one after twice that: the Restart= backoff applies"
ok "$([ "$(field trapper 4)" -ge 1 ]; echo $?)" "trapper (exits 0 on SIGTERM, Restart=on-failure) was restarted all the same ($(field trapper 4) restarts)"
like "$(cat "$tmp/a.log")" 'service "trapper": exited with status 0; restarting in' "... usher counted its exit 0 after the health stop as a failure"
"$USHER" status --control-socket "$sock" >/dev/null 2>&1
is "$?" 0 "usher status: exit 0"
pid=$(field recovers 3)
is "$(field recovers 4)" 0 "recovers (failed twice, HealthRetries=3) was not restarted"
is "$(field recovers 2)" ready "recovers is ready"
like "$(row recovers)" "ok [0-9]+s ago: exec:$tmp/flaky-check: exit 0" "recovers: its last check passed"
wait_for 5 sh -c "[ \"\$(cat '$tmp/count')\" -ge 4 ]"
ok $? "recovers' check ran again and again ($(cat "$tmp/count") runs)"
is "$(field marked 4)" 0 "marked (HealthAction=none) was not restarted"
"$USHER" health --control-socket "$sock" recovers >/dev/null
is "$?" 0 "usher health recovers: exit 0"
"$USHER" health --control-socket "$sock" marked >/dev/null
is "$?" 1 "usher health marked: exit 1 (unhealthy)"
"$USHER" health --control-socket "$sock" >/dev/null
is "$?" 1 "usher health (all): exit 1"
touch "$tmp/never"
wait_for 5 sh -c "\"$USHER\" health --control-socket \"$sock\" marked >/dev/null"
ok $? "marked recovers once its file exists: usher health marked exits 0"
is "$(field recovers 3)" "$pid" "recovers kept its pid throughout"

# --- 2. hostile clients on the control socket; a signal is still forwarded at once ---------
cat >"$tmp/hostile.py" <<'EOF'
import socket, sys, threading, time
path = sys.argv[1]
def silent():
    for _ in range(3):
        try:
            s = socket.socket(socket.AF_UNIX); s.connect(path); s.recv(10)
        except Exception: pass
def flood():
    s = socket.socket(socket.AF_UNIX); s.settimeout(5); s.connect(path)
    try: s.sendall(b"x" * (1 << 20))
    except Exception: pass
ts = [threading.Thread(target=silent) for _ in range(6)] + [threading.Thread(target=flood)]
for t in ts: t.start()
open(sys.argv[2], "w").close()
for t in ts: t.join()
EOF
stop_usher
cat >"$tmp/b.conf" <<EOF
[Service idle]
ExecStart=/bin/sleep 1000
HealthCheck=file:/
HealthIntervalSec=100ms
EOF
run_usher b --config "$tmp/b.conf" -- "$RECORDER" record "$tmp/signals"
wait_for 10 grep -q ready "$tmp/signals"
python3 "$tmp/hostile.py" "$sock" "$tmp/hostile.started" &
pids+=($!)
wait_for 10 test -e "$tmp/hostile.started"
start=$(date +%s%N)
kill -USR1 "$(usher_pid1)"
wait_for 5 grep -qx 10 "$tmp/signals"
ms=$(( ($(date +%s%N) - start) / 1000000 ))
ok "$(grep -qx 10 "$tmp/signals"; echo $?)" "with silent and flooding clients on the socket, SIGUSR1 reached the workload (${ms} ms)"
ok "$([ "$ms" -lt 2000 ]; echo $?)" "... within 2 s"
is "$(status | wc -l)" 3 "usher status still answers (idle and main)"
like "$(row main)" "^main +ready +[0-9]+ +0 +- +-$" "the main command has a row: main, ready, its pid, no check"
stop_usher
is "$RC" 0 "SIGTERM: usher exits 0 (the workload's status)"
ok "$([ ! -e "$sock" ]; echo $?)" "the socket is removed at exit"

# --- 3. HealthAction=stop: FailureAction=exit ends usher with the service's status ---------
cat >"$tmp/c.conf" <<EOF
[Service dies]
ExecStart=/bin/sleep 1000
HealthCheck=tcp:127.0.0.1:$(free_port)
HealthIntervalSec=100ms
HealthRetries=2
HealthAction=stop
EOF
run_usher c --config "$tmp/c.conf" -- /bin/sleep 1000
wait_for 20 sh -c "! kill -0 $USHER_PID"
wait "$USHER_PID" 2>/dev/null
is "$?" 143 "HealthAction=stop, FailureAction=exit: usher exits 143 (the service's stop by SIGTERM)"
like "$(cat "$tmp/c.log")" 'service "dies": unhealthy after 2 failed checks .*connect: Connection refused\); stopping it' "usher says why it stops"

# --- 4. HealthAction=stop with FailureAction=none: it stays failed, the rest runs on --------
cat >"$tmp/d.conf" <<EOF
[Service given-up]
ExecStart=/bin/sleep 1000
HealthCheck=tcp:127.0.0.1:$(free_port)
HealthIntervalSec=100ms
HealthRetries=2
HealthAction=stop
FailureAction=none
EOF
run_usher d --config "$tmp/d.conf" -- /bin/sleep 1000
wait_for 20 sh -c "\"$USHER\" status --control-socket '$sock' 2>/dev/null | grep -q '^given-up  *failed'"
ok $? "HealthAction=stop, FailureAction=none: usher status shows it failed"
like "$(row given-up)" "^given-up +failed +- +0 +143 " "... not running, not restarted, exit 143 (stopped by SIGTERM)"
ok "$(kill -0 "$USHER_PID"; echo $?)" "... and usher runs on"
is "$(field main 2)" ready "... with the main command"
"$USHER" health --control-socket "$sock" >/dev/null
is "$?" 1 "usher health: exit 1 (a service failed)"
"$USHER" health --control-socket "$sock" main >/dev/null
is "$?" 0 "usher health main: exit 0"
stop_usher
is "$RC" 143 "SIGTERM: usher exits with the main command's 143"

# --- 5. the most there can be: 32 services with exec: ReadyCheck= and HealthCheck=, and main's --
{
	printf '[Service]\nHealthCheck=exec:/bin/true\nHealthIntervalSec=200ms\n'
	for i in $(seq 32); do
		printf '[Service s%s]\nExecStart=/bin/sleep 1000\nReadyCheck=exec:/bin/true\n' "$i"
		printf 'HealthCheck=exec:/bin/true\nHealthIntervalSec=200ms\n'
	done
} >"$tmp/e.conf"
run_usher e --config "$tmp/e.conf" -- /bin/sleep 1000
wait_for 30 sh -c "[ \"\$(\"$USHER\" status --control-socket '$sock' 2>/dev/null | grep -c ' ready .* ok [0-9]*s ago: exec:/bin/true: exit 0')\" = 33 ]"
ok $? "32 services and the main command, every one with an exec: check: all 33 rows ready, their checks passing"
unlike "$(cat "$tmp/e.log")" "too many" "... the process engine's table holds them all"
stop_usher
is "$RC" 143 "SIGTERM: usher exits 143"

done_testing
