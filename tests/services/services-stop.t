#!/usr/bin/env bash
# tests/services/services-stop.t — stopping: reverse After= order with each KillSignal=, SIGKILL
# after TimeoutStopSec=, all within --grace; signals without a main command; nothing left.
set -u
. "$SOURCE_ROOT/tests/lib/tap.sh"
T=$(mktemp -d); trap 'rm -rf "$T"' EXIT
gone() { ! kill -0 "$1" 2>/dev/null; }
# svc NAME [KEYS...] — a service that records its start and which signal stopped it, when.
svc() {
	local name=$1; shift
	cat <<EOF2
[Service $name]
ExecStart=sh -c 'stamp() { echo "\$\$1 \$\$(date +%s%N)" >> $T/log; }; echo \$\$\$\$ >> $T/pids; trap "stamp $name-TERM; exit 0" TERM; trap "stamp $name-INT; exit 0" INT; trap "stamp $name-HUP" HUP; trap "stamp $name-USR1" USR1; echo $name-start >> $T/log; while :; do sleep 0.05; done'
EOF2
	printf '%s\n' "$@"
}
# start_usher CONF — usher in the background (not PID 1, so the services' pids are ours to
# check): $job, $pid.
start_usher() {
	"$USHER" --config "$1" 2>"$T/err" & job=$!
	pid=$job
}
at() { local t; t=$(sed -n "s/^$1 //p" "$T/log" 2>/dev/null | head -1); echo "${t:-0}"; }

# --- c After=b After=a: SIGTERM stops c, then b, then a; exit 0; nothing left.
{ svc a; svc b After=a; svc c After=b 'KillSignal=SIGINT'; } > "$T/order.conf"
start_usher "$T/order.conf"
wait_for 10 grep -q c-start "$T/log"; ok $? "three services started"
kill -HUP "$pid"
wait_for 10 sh -c "[ \$(grep -c -- -HUP $T/log) -eq 3 ]"; ok $? "no main command: SIGHUP reached every service"
kill -TERM "$pid"; wait "$job"; rc=$?
is "$rc" 0 "SIGTERM, every service stopped as asked: exit 0"
ok $(( $(at c-INT) < $(at b-TERM) && $(at b-TERM) < $(at a-TERM) ? 0 : 1 )) "stopped in reverse order: c, then b, then a"
ok $(( $(grep -c -- c-INT "$T/log") == 1 ? 0 : 1 )) "KillSignal=SIGINT: c got SIGINT"
left=0; for p in $(cat "$T/pids"); do gone "$p" || left=1; done
ok $left "nothing left running"

# --- The main command exits: services stopped too, the main command's code is usher's.
rm -f "$T/log" "$T/pids"
{ svc a; svc b After=a; } > "$T/main.conf"
in_pidns "$USHER" --config "$T/main.conf" -- sh -c "sleep 1; exit 6" 2>/dev/null; rc=$?
is "$rc" 6 "the main command's exit ends everything with its code"
ok $(( $(at b-TERM) < $(at a-TERM) ? 0 : 1 )) "... services stopped in reverse order"

# --- TimeoutStopSec=: SIGKILL after it, well within --grace.
cat > "$T/stubborn.conf" <<EOF2
[Service stubborn]
ExecStart=sh -c 'trap "" TERM; echo started > $T/stubborn; while :; do sleep 0.05; done'
TimeoutStopSec=1s
EOF2
rm -f "$T/stubborn"
start_usher "$T/stubborn.conf"
wait_for 10 test -e "$T/stubborn"
start=$(date +%s%N); kill -TERM "$pid"; wait "$job"; rc=$?
took=$(( ($(date +%s%N) - start) / 1000000 ))
ok $(( took >= 900 && took < 6000 ? 0 : 1 )) "TimeoutStopSec=1s: SIGKILL after about 1 s (${took} ms, --grace is 10 s)"
is "$rc" 137 "... and usher says not every service stopped as asked (137)"
like "$(cat "$T/err")" 'stubborn ignored' "... with a warning naming the service"

# --- --grace bounds the whole stop even when TimeoutStopSec= is longer.
sed -i 's/TimeoutStopSec=1s/TimeoutStopSec=30s/' "$T/stubborn.conf"; rm -f "$T/stubborn"
unshare --pid --fork --mount-proc "$USHER" --grace 1s --config "$T/stubborn.conf" 2>"$T/err" & job=$!
wait_for 10 pgrep -P "$job" >/dev/null; pid=$(pgrep -P "$job")
wait_for 10 test -e "$T/stubborn"
start=$(date +%s%N); kill -TERM "$pid"; wait "$job"
took=$(( ($(date +%s%N) - start) / 1000000 ))
ok $(( took >= 900 && took < 6000 ? 0 : 1 )) "--grace 1s caps TimeoutStopSec=30s (${took} ms)"

# --- With a main command, other signals still go to it only (as without services).
rm -f "$T/log"
{ svc a; } > "$T/fwd.conf"
unshare --pid --fork --mount-proc "$USHER" --config "$T/fwd.conf" -- sh -c "trap 'echo main-USR1 >> $T/log' USR1; while :; do sleep 0.05; done" 2>/dev/null & job=$!
wait_for 10 pgrep -P "$job" >/dev/null; pid=$(pgrep -P "$job")
wait_for 10 grep -q a-start "$T/log"; sleep 0.3
kill -USR1 "$pid"
wait_for 10 grep -q main-USR1 "$T/log"; ok $? "SIGUSR1 reaches the main command"
sleep 0.3
unlike "$(cat "$T/log")" 'a-USR1' "... and not the services"
kill -KILL "$pid"; wait "$job" 2>/dev/null
done_testing
