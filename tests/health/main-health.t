#!/usr/bin/env bash
# tests/health/main-health.t — the main command's HealthCheck= ([Service]) under usher as PID 1
# (own PID namespace): its row in `usher status`, `usher health main`, HealthAction=none and
# stop (usher exits 143 whatever the command says), the start period, exec: checks (the main
# command's environment, never two at once, killed with their group at the timeout), and checks
# against servers that hang (connect, answer) while signals are still forwarded at once.
set -u
. "$SOURCE_ROOT/tests/lib/tap.sh"

NAME=main-health
. "$SOURCE_ROOT/tests/health/usher-lib.sh"
health() { "$USHER" health --control-socket "$sock" "$@" >/dev/null 2>&1; echo $?; }
exited_within() { # SECONDS — waits for usher to exit; RC its status
	wait_for "$1" sh -c "! kill -0 $USHER_PID 2>/dev/null"
	wait "$USHER_PID" 2>/dev/null
	RC=$?
}

# --- 1. HealthAction=none: a row, marked unhealthy and healthy again ------------------------
port=$(free_port)
touch "$tmp/main-ok"
cat >"$tmp/a.conf" <<EOF
[Service]
HealthCheck=file:$tmp/main-ok
HealthIntervalSec=100ms
HealthRetries=2
HealthAction=none

[Service srv]
ExecStart=$SERVER up tcp:127.0.0.1:$port $tmp/srv.ready
ReadyCheck=tcp:127.0.0.1:$port
EOF
run_usher a --config "$tmp/a.conf" -- /bin/sleep 1000
wait_for 10 sh -c "\"$USHER\" status --control-socket '$sock' 2>/dev/null | grep -q '^main .* ok '"
ok $? "usher status: the main command's row shows its check passed"
like "$(status | sed -n 1p)" "^NAME +STATE +PID +RESTARTS +EXIT +HEALTH$" "usher status: the header"
like "$(row main)" "^main +ready +[0-9]+ +0 +- +ok [0-9]+s ago: file:$tmp/main-ok: exists$" "main: ready, pid, 0 restarts, no exit yet, the check's result"
main_pid=$(field main 3)
workload=$(pgrep -P "$(usher_pid1)" -x sleep | head -1)
is "$(awk '/^NSpid:/ { print $NF }' "/proc/$workload/status" 2>/dev/null)" "$main_pid" "main's pid is the workload's (PID 1's child sleep, as the namespace numbers it)"
is "$(health main)" 0 "usher health main: exit 0"
is "$(health)" 0 "usher health (srv and main): exit 0"
rm "$tmp/main-ok"
wait_for 10 sh -c "[ \"\$(\"$USHER\" status --control-socket '$sock' 2>/dev/null | awk '\$1 == \"main\" { print \$2 }')\" = unhealthy ]"
ok $? "the file gone: main is unhealthy after HealthRetries=2 failures"
like "$(row main)" "failed [0-9]+s ago: file:$tmp/main-ok: " "... its row says what failed"
is "$(health main)" 1 "usher health main: exit 1"
is "$(health)" 1 "usher health (all): exit 1"
is "$(health srv)" 0 "usher health srv: still 0"
is "$(field main 3)" "$main_pid" "HealthAction=none: the main command keeps running (same pid)"
like "$(cat "$tmp/a.log")" "main command: unhealthy after 2 failed checks \(file:$tmp/main-ok: .*\); marked unhealthy" "usher says so"
touch "$tmp/main-ok"
wait_for 10 sh -c "\"$USHER\" health --control-socket '$sock' main >/dev/null 2>&1"
ok $? "the file back: usher health main exits 0 again"
stop_usher
is "$RC" 143 "SIGTERM: usher exits 143 (the workload's status)"

# --- 2. HealthAction=stop (the default): usher exits 143 whatever the command exits with ----
cat >"$tmp/b.conf" <<EOF
[Service]
HealthCheck=http://127.0.0.1:$port/
HealthIntervalSec=100ms
HealthRetries=3

[Service srv]
ExecStart=$SERVER 500 tcp:127.0.0.1:$port $tmp/srv.ready
ReadyCheck=tcp:127.0.0.1:$port
EOF
run_usher b --config "$tmp/b.conf" -- /bin/sh -c "trap 'echo term >$tmp/main-term; exit 0' TERM; while :; do sleep 0.1; done"
exited_within 20
is "$RC" 143 "the main command unhealthy (HTTP 500): usher exits 143, though the command exited 0"
is "$(cat "$tmp/main-term" 2>/dev/null)" term "the main command got SIGTERM (its stop signal)"
like "$(cat "$tmp/b.log")" 'main command: unhealthy after 3 failed checks \(http://127.0.0.1:[0-9]+/: HTTP 500, expected 2xx or 3xx\); stopping it' "usher says why"
ok "$([ ! -e "$sock" ]; echo $?)" "the socket is gone"

# --- 3. no services: exec: with the main command's environment; the socket is there -------
cat >"$tmp/c.conf" <<'EOF'
[Service]
HealthCheck=exec:/bin/sh -c 'test "$CHECK_ME" = yes'
HealthIntervalSec=100ms
HealthRetries=2
EOF
CHECK_ME=yes run_usher c --config "$tmp/c.conf" -- /bin/sleep 1000
wait_for 10 sh -c "\"$USHER\" status --control-socket '$sock' 2>/dev/null | grep -q '^main .* ok '"
ok $? "without services: the socket answers, main's exec: check passes in its environment"
is "$(status | wc -l)" 2 "usher status: the header and main"
like "$(row main)" "ok [0-9]+s ago: exec:/bin/sh -c 'test \"\\\$CHECK_ME\" = yes': exit 0" "main's row: exit 0"
stop_usher
is "$RC" 143 "SIGTERM: usher exits 143"
CHECK_ME=no run_usher c2 --config "$tmp/c.conf" -- /bin/sleep 1000
exited_within 20
is "$RC" 143 "... the same check in an environment where it fails: stopped, 143"
like "$(cat "$tmp/c2.log")" 'main command: unhealthy after 2 failed checks \(exec:.*exit 1\); stopping it' "... usher says so"

# --- 4. the start period: failures then do not count; afterwards they do --------------------
cat >"$tmp/d.conf" <<EOF
[Service]
HealthCheck=file:$tmp/never
HealthIntervalSec=100ms
HealthRetries=1
HealthStartPeriodSec=3s
HealthAction=none
EOF
run_usher d --config "$tmp/d.conf" -- /bin/sleep 1000
wait_for 10 test -S "$sock"
seen=""
for _ in $(seq 12); do # the first ~1.2 s of the 3 s start period
	seen="$seen $(field main 2)/$(row main | awk '{ print $6 }')"
	sleep 0.1
done
unlike "$seen" "unhealthy" "in the start period: never unhealthy, HealthRetries=1 notwithstanding"
like "$seen" "ready/failed" "... while its checks ran and failed"
wait_for 10 sh -c "[ \"\$(\"$USHER\" status --control-socket '$sock' 2>/dev/null | awk '\$1 == \"main\" { print \$2 }')\" = unhealthy ]"
ok $? "after the start period: unhealthy at the next failure"
stop_usher

# --- 5. exec: never two at once; killed with its group at HealthTimeoutSec= ----------------
cat >"$tmp/slow-check" <<EOF
#!/bin/sh
# A run still there when the next starts would be two at once (a zombie counts: not reaped).
old=\$(cat "$tmp/check.pid" 2>/dev/null)
[ -n "\$old" ] && kill -0 "\$old" 2>/dev/null && echo "\$old" >>"$tmp/overlap"
echo \$\$ >"$tmp/check.pid"
echo run >>"$tmp/runs"
sleep 7.77
EOF
chmod +x "$tmp/slow-check"
cat >"$tmp/e.conf" <<EOF
[Service]
HealthCheck=exec:$tmp/slow-check
HealthIntervalSec=100ms
HealthTimeoutSec=300ms
HealthRetries=1000
HealthAction=none
EOF
run_usher e --config "$tmp/e.conf" -- /bin/sleep 1000
wait_for 20 sh -c "[ \"\$(wc -l <'$tmp/runs' 2>/dev/null)\" -ge 5 ]"
ok $? "the slow check ran again and again ($(wc -l <"$tmp/runs" 2>/dev/null) runs)"
is "$(cat "$tmp/overlap" 2>/dev/null)" "" "never two runs at once (each was killed and reaped before the next)"
ok "$([ "$(pgrep -fc 'sleep 7.77')" -le 1 ]; echo $?)" "its sleeps were killed with it: at most the current one runs ($(pgrep -fc 'sleep 7.77'))"
like "$(row main)" "failed [0-9]+s ago: exec:$tmp/slow-check: timed out after 300ms" "main's row: timed out after 300ms"
stop_usher
is "$(pgrep -fc 'sleep 7.77')" 0 "nothing of the checks is left after usher exits"

# --- 6. checks against servers that hang never block the loop -------------------------------
full=$(free_port) slow=$(free_port)
"$SERVER" full "tcp:127.0.0.1:$full" "$tmp/full.ready" 2>/dev/null &
pids+=($!)
"$SERVER" slow "tcp:127.0.0.1:$slow" "$tmp/slow.ready" 2>/dev/null &
pids+=($!)
wait_for 10 test -s "$tmp/full.ready" -a -s "$tmp/slow.ready"
cat >"$tmp/f.conf" <<EOF
[Service]
HealthCheck=tcp:127.0.0.1:$full
HealthIntervalSec=100ms
HealthTimeoutSec=3s
HealthAction=none

[Service answers-late]
ExecStart=/bin/sleep 1000
HealthCheck=http://127.0.0.1:$slow/
HealthIntervalSec=100ms
HealthTimeoutSec=3s
HealthAction=none
EOF
run_usher f --config "$tmp/f.conf" -- "$RECORDER" record "$tmp/signals"
wait_for 10 grep -q ready "$tmp/signals"
sleep 0.5 # both checks are under way now: one connecting, one waiting for a status line
worst=0
for sig in USR1 USR2 HUP; do
	start=$(date +%s%N)
	kill -$sig "$(usher_pid1)"
	n=$(kill -l $sig)
	wait_for 5 grep -qx "$n" "$tmp/signals"
	ms=$(( ($(date +%s%N) - start) / 1000000 ))
	[ "$ms" -gt "$worst" ] && worst=$ms
done
is "$(grep -cxE '10|12|1' "$tmp/signals")" 3 "with a check connecting to a full backlog and one waiting for an answer, SIGUSR1, SIGUSR2, SIGHUP reached the workload"
ok "$([ "$worst" -lt 2000 ]; echo $?)" "... each within 2 s (slowest ${worst} ms; a check's timeout is 3 s)"
is "$(status | wc -l)" 3 "usher status answers meanwhile"
wait_for 15 sh -c "\"$USHER\" status --control-socket '$sock' 2>/dev/null | grep -q '^main .*timed out after 3s'"
ok $? "main's check to the full backlog: timed out after 3s"
wait_for 15 sh -c "\"$USHER\" status --control-socket '$sock' 2>/dev/null | grep -q '^answers-late .*timed out after 3s'"
ok $? "answers-late's check to the slow server: timed out after 3s"
stop_usher
is "$RC" 0 "SIGTERM: usher exits 0 (the recorder's status)"

# --- 7. a reload restarts the main command: RESTARTS and EXIT say so; the schedule goes on --
cat >"$tmp/g.conf" <<EOF
[Service]
HealthCheck=file:/
HealthIntervalSec=100ms
EOF
run_usher g --on-reload restart --config "$tmp/g.conf" -- /bin/sleep 1000
wait_for 10 sh -c "\"$USHER\" status --control-socket '$sock' 2>/dev/null | grep -q '^main .* ok '"
first=$(field main 3)
kill -HUP "$(usher_pid1)"
wait_for 10 sh -c "[ \"\$(\"$USHER\" status --control-socket '$sock' 2>/dev/null | awk '\$1 == \"main\" { print \$4 }')\" = 1 ]"
ok $? "after a reload's restart: main's RESTARTS is 1"
like "$(row main)" "^main +ready +[0-9]+ +1 +143 " "... ready, with the old run's exit 143 (SIGTERM)"
ok "$([ "$(field main 3)" != "$first" ]; echo $?)" "... and a new pid ($first, then $(field main 3))"
wait_for 10 sh -c "\"$USHER\" status --control-socket '$sock' 2>/dev/null | grep -q '^main .* ok 0s ago'"
ok $? "... its checks go on"
stop_usher

# --- 8. exec: checks run as their service (or the main command) runs: User= ------------------
mkdir -m 777 "$tmp/ids"
cat >"$tmp/h.conf" <<EOF
[Service]
HealthCheck=exec:/bin/sh -c 'id -u >$tmp/ids/main'
HealthIntervalSec=100ms

[Service nobody]
ExecStart=/bin/sleep 1000
User=65534
HealthCheck=exec:/bin/sh -c 'id -u >$tmp/ids/nobody'
HealthIntervalSec=100ms
EOF
run_usher h --user 65534 --config "$tmp/h.conf" -- /bin/sleep 1000
wait_for 10 test -s "$tmp/ids/main" -a -s "$tmp/ids/nobody"
is "$(cat "$tmp/ids/nobody" 2>/dev/null)" 65534 "a service's exec: check runs with its User= (65534)"
is "$(cat "$tmp/ids/main" 2>/dev/null)" 65534 "the main command's runs with --user (65534)"
stop_usher

# --- 9. start-up errors name the file and line ----------------------------------------------
printf '[Service]\nHealthCheck=tcp:127.0.0.1:1\nHealthAction=restart\n' >"$tmp/bad1.conf"
is "$("$USHER" --config "$tmp/bad1.conf" -- /bin/true 2>&1; echo $?)" "usher: $tmp/bad1.conf:3: [Service] (the main command): HealthAction=: usher cannot restart the main command: stop (usher exits; the container's restart policy runs it again) or none
125" "HealthAction=restart for the main command: refused with file:line, 125"
printf '[Service]\nHealthCheck=tcp:127.0.0.1:1\n[Service x]\nExecStart=/bin/true\n' >"$tmp/bad2.conf"
is "$("$USHER" --config "$tmp/bad2.conf" 2>&1; echo $?)" "usher: $tmp/bad2.conf:2: HealthCheck= in [Service] checks the main command, and there is none (a service's goes in its [Service NAME])
125" "a main command's HealthCheck= without a main command: refused, 125"
printf '[Service]\nHealthInterval=5s\n' >"$tmp/bad3.conf"
is "$("$USHER" --config "$tmp/bad3.conf" -- /bin/true 2>&1; echo $?)" "usher: $tmp/bad3.conf:2: [Service] (the main command): unknown key HealthInterval=
125" "a misspelt Health key in [Service]: unknown key, file:line"
printf '[Service]\nHealthCheck=tcp:no-such-host:1\n' >"$tmp/bad4.conf"
like "$("$USHER" --config "$tmp/bad4.conf" -- /bin/true 2>&1 | tr '\n' ' '; echo "${PIPESTATUS[0]}")" "^usher: $tmp/bad4.conf:2: tcp:no-such-host:1: unknown host 'no-such-host'.* 125$" "an unknown host in main's HealthCheck=: file:line, 125"
printf '[Service main]\nExecStart=/bin/true\n' >"$tmp/bad5.conf"
is "$("$USHER" --config "$tmp/bad5.conf" -- /bin/true 2>&1; echo $?)" "usher: $tmp/bad5.conf:1: [Service main]: the name is the main command's (usher status)
125" "[Service main] is refused: the name is the main command's"
printf '[Service]\nHealthCheck=tcp:127.0.0.1:1\nHealthCheck=\n' >"$tmp/reset.conf"
is "$("$USHER" --config "$tmp/reset.conf" -- /bin/true 2>&1; echo $?)" "0" "an empty HealthCheck= resets it: no check, and no error for it"

done_testing
