#!/usr/bin/env bash
# tests/init/terminal.t — with a terminal on stdin the workload owns the foreground process
# group, so Ctrl-C and job control reach it as in a shell; without one nothing changes.
. "$SOURCE_ROOT/tests/lib/tap.sh"
probe="$BUILD_ROOT/tests/init/probe"
if ! command -v script >/dev/null; then skip "script(1) not installed"; done_testing; exit; fi

out=$(script -qec "\"$USHER\" -- \"$probe\" foreground" /dev/null | tr -d '\r')
pgrp=$(printf '%s' "$out" | sed -n 's/^pgrp=\([0-9]*\) .*/\1/p'); fg=$(printf '%s' "$out" | sed -n 's/.* fg=\([0-9-]*\)$/\1/p')
is "$fg" "$pgrp" "tty: the workload's process group is the terminal's foreground group"
out=$(script -qec "unshare --pid --fork --mount-proc \"$USHER\" -- \"$probe\" foreground" /dev/null | tr -d '\r')
like "$out" "^pgrp=2 fg=2$" "tty, PID 1: the workload (pid 2) owns the foreground"

# Ctrl-C typed on the terminal goes to the foreground group: the workload dies of SIGINT.
out=$(script -qec "\"$USHER\" -- sh -c 'printf ready; sleep 30'; echo rc=\$?" /dev/null < <(sleep 1; printf '\003'; sleep 2) | tr -d '\r')
like "$out" "rc=130" "tty: Ctrl-C interrupts the workload; usher exits 130"

# Job control under an interactive shell: the workload stops (as on Ctrl-Z), usher stops
# too so the shell gets its terminal back and lists the job; `fg` continues both.
out=$( (sleep 1; echo "\"$USHER\" -- sh -c 'echo started; kill -TSTP \$\$; echo resumed-after-fg'"
	sleep 2; echo jobs; sleep 0.5; echo fg; sleep 2; echo 'echo rc=$?'; sleep 0.5; echo exit) |
	timeout 60 script -qec "bash --norc --noprofile -i" /dev/null 2>&1 | tr -d '\r')
like "$out" "Stopped +.*usher" "job control: the shell sees usher's job stopped when the workload stops"
like "$out" "resumed-after-fg" "job control: fg continues the workload"
like "$out" "rc=0" "job control: and its exit status comes through"

# Its own process group always (what -g signals). Its own session only where a terminal could
# reach it: usher's session has a controlling terminal that is not on stdin. With none (a
# container without -t) it stays in usher's session, as under tini: setsid() would only cost
# a start. With the terminal on stdin it keeps the session that owns the terminal.
ids='set -- $(cat /proc/$$/stat); echo "pid=$1 ppid=$4 pgrp=$5 session=$6"'
out=$(setsid -w "$USHER" -- sh -c "$ids" < /dev/null)
like "$out" '^pid=([0-9]+) ppid=([0-9]+) pgrp=\1 session=\2$' \
	"no controlling terminal: the workload leads its own group, in usher's session"
out=$(unshare --pid --fork --mount-proc setsid "$USHER" -- sh -c "$ids" < /dev/null)
like "$out" '^pid=2 ppid=1 pgrp=2 session=1$' "... as PID 1 leading the session (runc, no -t)"
out=$(script -qec "\"$USHER\" -- sh -c '$ids' < /dev/null" /dev/null | tr -d '\r')
like "$out" '^pid=([0-9]+) ppid=[0-9]+ pgrp=\1 session=\1$' \
	"a controlling terminal not on stdin: the workload leads its own session, away from it"
out=$(script -qec "\"$USHER\" -- sh -c 'exec 0</dev/tty' < /dev/null; echo rc=\$?" /dev/null 2>&1 | tr -d '\r')
like "$out" 'rc=[12]' "... so it cannot open /dev/tty"
out=$(script -qec "\"$USHER\" -- sh -c '$ids'" /dev/null | tr -d '\r')
like "$out" '^pid=([0-9]+) ppid=[0-9]+ pgrp=\1 session=[0-9]+$' "tty: the workload leads its own group..."
unlike "$out" '^pid=([0-9]+) ppid=[0-9]+ pgrp=\1 session=\1$' "... inside the terminal's session"

out=$("$USHER" -- "$probe" foreground < /dev/null)
like "$out" "fg=-1" "no tty: nothing to take over"
done_testing
