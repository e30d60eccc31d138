#!/usr/bin/env bash
# tests/init/signals.t — every catchable signal sent to usher reaches the workload; -g
# reaches the whole group; --rewrite maps and drops; early signals are not lost.
. "$SOURCE_ROOT/tests/lib/tap.sh"
probe="$BUILD_ROOT/tests/init/probe"
tmp=$(mktemp -d); trap 'kill $(jobs -p) 2>/dev/null; rm -rf "$tmp"' EXIT

# start MODE RECORD-FILE USHER-ARGS... — starts usher in the background; sets $job and
# $pid (usher's pid as seen from here) and waits until the recorder is ready.
start() {
	local mode=$1 rec=$2; shift 2
	: > "$rec"
	if [ "$mode" = pid1 ]; then
		unshare --pid --fork --mount-proc "$USHER" "$@" 2>>"$tmp/err" & job=$!
		wait_for 10 pgrep -P "$job" >/dev/null
		pid=$(pgrep -P "$job")
	else
		"$USHER" "$@" 2>>"$tmp/err" & job=$!
		pid=$job
	fi
	wait_for 20 grep -q '^ready$' "$rec" || diag "recorder never got ready"
}
finish() { wait "$job"; rc=$?; }
has() { grep -qx "$2" "$1"; }

signals="HUP INT QUIT USR1 USR2 PIPE ALRM CONT WINCH URG XCPU XFSZ VTALRM PROF IO PWR TSTP TTIN TTOU RTMIN+1 RTMIN+5 RTMAX"
# (bash calls 34 RTMIN; a static musl probe cannot catch 32-34, so the list starts at 35)
for mode in pid1 plain; do
	rec="$tmp/$mode.rec"
	start $mode "$rec" -- "$probe" record "$rec"
	for sig in $signals; do
		number=$(kill -l "$sig")
		kill -s "$sig" "$pid"
		wait_for 10 has "$rec" "$number"
		ok $? "$mode: SIG$sig reaches the workload"
	done
	kill -s TERM "$pid"
	finish; is "$rc" 0 "$mode: SIGTERM reaches the workload, which exits 0"
done

# After a second usher hands back its start-up pages (init/trim.c); forwarding, reaping
# and the exit code must work just the same afterwards.
rec="$tmp/late2.rec"
start pid1 "$rec" -- "$probe" record "$rec"
sleep 1.5
for sig in USR1 HUP WINCH; do
	kill -s "$sig" "$pid"
	wait_for 10 has "$rec" "$(kill -l "$sig")"; ok $? "after trimming: SIG$sig reaches the workload"
done
kill -s TERM "$pid"
finish; is "$rc" 0 "after trimming: the workload's exit code comes through"

# -p SIG (tini): when usher's parent dies, usher gets SIG, and forwards it like any other.
rec="$tmp/pdeath.rec"
: > "$rec"
sh -c "\"$USHER\" -p USR2 -- \"$probe\" record \"$rec\" & sleep 1" &
wait $!
wait_for 10 has "$rec" "$(kill -l USR2)"; ok $? "-p USR2: the parent's death reaches the workload as SIGUSR2"
pkill -f "probe record $rec"

# -g: a grandchild in the workload's process group gets the signal too.
rec="$tmp/group.rec"
start pid1 "$rec" -g -- sh -c "trap '' USR1; \"$probe\" record \"$rec\" & wait \$!"
kill -s USR1 "$pid"
wait_for 10 has "$rec" 10; ok $? "-g: SIGUSR1 reaches a grandchild in the workload's group"
kill -s TERM "$pid"
finish; is "$rc" 143 "-g: SIGTERM ends the group; the shell's 143 is usher's exit code"

# TINI_KILL_PROCESS_GROUP means -g too.
rec="$tmp/tini-group.rec"
export TINI_KILL_PROCESS_GROUP=1
start pid1 "$rec" -- sh -c "trap '' USR1; \"$probe\" record \"$rec\" & wait \$!"
unset TINI_KILL_PROCESS_GROUP
kill -s USR1 "$pid"
wait_for 10 has "$rec" 10; ok $? "TINI_KILL_PROCESS_GROUP=1: SIGUSR1 reaches the grandchild"
kill -s TERM "$pid"; finish

# Without -g only the workload (the shell, which ignores USR1) gets it; the grandchild
# hears only the SIGTERM usher sends everything at the end.
rec="$tmp/nogroup.rec"
start pid1 "$rec" -- sh -c "trap '' USR1; \"$probe\" record \"$rec\" & wait \$!"
kill -s USR1 "$pid"
kill -s TERM "$pid"
finish; is "$rc" 143 "no -g: SIGTERM ends the shell only"
has "$rec" 15; ok $? "no -g: the grandchild got SIGTERM at the final stop"
has "$rec" 10; ok $((! $?)) "no -g: the grandchild never saw SIGUSR1"

# --rewrite 15:3 (dumb-init): SIGTERM arrives as SIGQUIT; 10:0 drops SIGUSR1.
rec="$tmp/rewrite.rec"
start pid1 "$rec" --rewrite 15:3 -r USR1:0 -- "$probe" record "$rec" 3
kill -s USR1 "$pid"
kill -s TERM "$pid"
finish; is "$rc" 0 "--rewrite 15:3: the workload exits on SIGQUIT"
is "$(grep -v ready "$rec" | tr '\n' ' ')" "3 " "--rewrite: only SIGQUIT arrived (SIGUSR1 dropped by -r USR1:0)"
is "$("$USHER" --rewrite 15 -- true 2>&1; echo $?)" "usher: --rewrite: '15': expected FROM:TO, e.g. 15:3 or TERM:QUIT (TO 0 drops the signal)
125" "--rewrite without TO is a usage error"

# A signal sent while usher is still starting is held and forwarded once the workload
# runs. As PID 1 an unhandled signal from outside would simply vanish, so exit 138
# (sleep killed by SIGUSR1) rather than 0 proves it was kept.
for i in 1 2 3; do
	unshare --pid --fork --mount-proc "$USHER" -- sleep 3 & job=$!
	# usher's own mask (not unshare's brief SIGINT|SIGTERM one before exec) has SIGUSR1's
	# bit; once usher waits in sigtimedwait /proc shows it as 0, but it has a child then.
	until pid=$(pgrep -P "$job") && [ "$(cat "/proc/$pid/comm" 2>/dev/null)" = usher ] &&
		blocked=$(sed -n 's/^SigBlk:\s*//p' "/proc/$pid/status" 2>/dev/null) &&
		{ (( 0x${blocked:-0} & 0x200 )) || pgrep -P "$pid" >/dev/null; }; do :; done
	kill -s USR1 "$pid"
	finish; is "$rc" 138 "early SIGUSR1 (try $i) is not lost: the workload dies of it"
done
# A forwarded SIGTSTP stops a workload that does not handle it (its group is not orphaned:
# it is in usher's session, as under tini). SIGTERM must still end it: usher follows a
# forwarded TERM, INT or QUIT with SIGCONT once it has seen the workload stop.
for mode in pid1 plain; do
	if [ "$mode" = pid1 ]; then
		setsid unshare --pid --fork --mount-proc "$USHER" -- sleep 60 < /dev/null 2>>"$tmp/err" & job=$!
		wait_for 10 pgrep -P "$job" >/dev/null; upid=$(pgrep -P "$job")
	else
		setsid "$USHER" -- sleep 60 < /dev/null 2>>"$tmp/err" & job=$!
		wait_for 10 pgrep -P "$job" >/dev/null; upid=$(pgrep -P "$job")
		[ "$(cat "/proc/$upid/comm" 2>/dev/null)" = usher ] || upid=$job
	fi
	wait_for 10 pgrep -x sleep -P "$upid" >/dev/null; spid=$(pgrep -x sleep -P "$upid")
	kill -s TSTP "$upid"
	wait_for 10 grep -q '^State:.*T (stopped)' "/proc/$spid/status"
	ok $? "$mode: a forwarded SIGTSTP stops a workload that does not handle it"
	kill -s TERM "$upid"
	wait_for 10 sh -c "! kill -0 $job 2>/dev/null"
	ok $? "$mode: ... and SIGTERM still ends it (usher adds SIGCONT)"
	kill -s KILL "$spid" 2>/dev/null # if not: let usher end, for the next test
	finish; is "$rc" 143 "$mode: ... of that SIGTERM: exit 143"
done
done_testing
