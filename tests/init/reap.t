#!/usr/bin/env bash
# tests/init/reap.t — 20,000 double-forked orphans are all reaped, as PID 1 and as a
# subreaper; counted from /proc inside the namespace by the workload itself.
. "$SOURCE_ROOT/tests/lib/tap.sh"
probe="$BUILD_ROOT/tests/init/probe"

out=$(in_pidns "$USHER" -- "$probe" orphans 20000); rc=$?
is "$rc" 0 "PID 1: workload saw every one of 20000 orphans reaped"
is "$out" "zombies=0" "PID 1: no zombie left in the namespace"

# Not PID 1: usher registers as a subreaper, so orphans come to it, not to the host's init.
out=$(in_pidns sh -c "\"$USHER\" -- \"$probe\" orphans 2000; echo rc=\$?"); rc=$?
like "$out" "zombies=0" "subreaper: orphans reaped by usher when it is not PID 1"
like "$out" "rc=0" "subreaper: exit status passes through"

# Control: with the probe itself as PID 1 nobody reaps, and the same count sees zombies.
out=$(in_pidns "$probe" orphans 50 1)
is "$out" "zombies=50" "control: without usher the 50 orphans stay zombies"
done_testing
