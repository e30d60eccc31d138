#!/usr/bin/env bash
# tests/init/stop.t — when the workload exits, what is left gets SIGTERM, then SIGKILL
# after the grace period; usher leaves nothing behind, as PID 1 and as a subreaper.
. "$SOURCE_ROOT/tests/lib/tap.sh"
probe="$BUILD_ROOT/tests/init/probe"
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
gone() { ! kill -0 "$1" 2>/dev/null; }

# A leftover that handles SIGTERM hears it and usher exits with the workload's code.
rec="$tmp/left.rec"
in_pidns "$USHER" -- sh -c "\"$probe\" record \"$rec\" & sleep 0.2; exit 5"; rc=$?
is "$rc" 5 "PID 1: exit code is the workload's, not the leftover's"
grep -qx 15 "$rec"; ok $? "PID 1: the leftover process got SIGTERM"

# A leftover that ignores SIGTERM is killed after --grace; usher does not wait longer.
start=$(date +%s%N)
in_pidns "$USHER" -v --grace 1s -- sh -c "(trap '' TERM; exec sleep 1000) & sleep 0.2; exit 6" 2>"$tmp/err"; rc=$?
took_ms=$(( ($(date +%s%N) - start) / 1000000 ))
is "$rc" 6 "PID 1, TERM ignored: exit code is still the workload's"
like "$(cat "$tmp/err")" "processes left after 1000 ms; sending SIGKILL" "PID 1: says it sent SIGKILL after the grace period"
ok $(( took_ms >= 1000 && took_ms < 9000 ? 0 : 1 )) "PID 1: waited the grace period, not much more (${took_ms} ms for 1 s)"

# Not PID 1: usher must find the leftovers itself (subreaper + /proc children lists),
# including a TERM-ignoring grandchild whose parent is still alive.
"$USHER" --grace 1s -- sh -c "
	(trap '' TERM; exec sleep 1000) & echo \$! > \"$tmp/orphan.pid\"
	sh -c \"trap '' TERM; sleep 1000 & echo \\\$! > '$tmp/grandchild.pid'; wait\" &
	sleep 0.3; exit 7" 2>/dev/null; rc=$?
is "$rc" 7 "subreaper: exit code is the workload's"
orphan=$(cat "$tmp/orphan.pid"); grandchild=$(cat "$tmp/grandchild.pid")
wait_for 5 gone "$orphan"; ok $? "subreaper: the TERM-ignoring orphan ($orphan) is gone"
wait_for 5 gone "$grandchild"; ok $? "subreaper: the TERM-ignoring grandchild ($grandchild) is gone"

# Nothing left: usher exits at once, without waiting for any grace period.
start=$(date +%s%N)
"$USHER" --grace 30s -- true; rc=$?
took_ms=$(( ($(date +%s%N) - start) / 1000000 ))
is "$rc" 0 "nothing left: exit 0"
ok $(( took_ms < 5000 ? 0 : 1 )) "nothing left: no grace period spent (${took_ms} ms with --grace 30s)"

# The grace period from USHER_GRACE and from the config file's TimeoutStopSec=.
printf '[Service]\nTimeoutStopSec=1s\n' > "$tmp/usher.conf"
for how in env config; do
	start=$(date +%s%N)
	if [ $how = env ]; then
		USHER_GRACE=1s in_pidns "$USHER" -- sh -c "(trap '' TERM; exec sleep 1000) & sleep 0.2"
	else
		in_pidns "$USHER" --config "$tmp/usher.conf" -- sh -c "(trap '' TERM; exec sleep 1000) & sleep 0.2"
	fi
	took_ms=$(( ($(date +%s%N) - start) / 1000000 ))
	ok $(( took_ms >= 1000 && took_ms < 9000 ? 0 : 1 )) "grace of 1 s taken from $how (${took_ms} ms)"
done
is "$("$USHER" --grace soon -- true 2>&1; echo $?)" "usher: --grace: 'soon' is not a duration (e.g. 10s, 500ms, 2m; at most 576h)
125" "a bad --grace is a usage error"
done_testing
