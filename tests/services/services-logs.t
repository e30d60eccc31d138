#!/usr/bin/env bash
# tests/services/services-logs.t — LogPrefix=yes (issue 7's logs): services' and the main command's
# lines through the relay, whole and prefixed; a stalled stdout never blocks PID 1; User= children.
set -u
. "$SOURCE_ROOT/tests/lib/tap.sh"
T=$(mktemp -d); chmod 755 "$T"
pids_to_kill=()
cleanup() {
	local p
	for p in "${pids_to_kill[@]}"; do kill -KILL "$p" 2>/dev/null; done
	exec 7>&- 2>/dev/null
	rm -rf "$T"
}
trap cleanup EXIT
ns() { date +%s%N; }
# children_of PID — the pids of PID's children (usher is unshare's child).
children_of() { tr -d ' ' </proc/"$1"/task/"$1"/children 2>/dev/null; }

# --- Three services print 10,000 numbered lines each at once (awk: 4 KiB writes that cut lines
# anywhere; lines up to 6,000 bytes, longer than PIPE_BUF). Every line must arrive once, whole,
# in order, with its own service's prefix.
cat >"$T/lines.sh" <<'EOF'
awk -v n="$1" 'BEGIN { p = sprintf("%6000s", ""); gsub(/ /, "x", p)
	for (i = 1; i <= 10000; i++) printf "%s %d %s\n", n, i, substr(p, 1, (i * 7919) % 6000) }'
touch "$2/$1.done"
EOF
{
	printf '[Service]\nLogPrefix=yes\n'
	for s in a b c; do printf '[Service %s]\nExecStart=/bin/sh %s/lines.sh %s %s\n' "$s" "$T" "$s" "$T"; done
} >"$T/three.conf"
in_pidns "$USHER" --config "$T/three.conf" -- sh -c "i=0; while [ ! -e $T/a.done ] || [ ! -e $T/b.done ] || [ ! -e $T/c.done ]; do i=\$((i+1)); [ \$i -gt 1200 ] && exit 9; sleep 0.05; done; echo main-done" \
	>"$T/out" 2>"$T/err"; rc=$?
is "$rc" 0 "three services x 10,000 lines: usher exits 0 once all were written"
check=$(awk '
	NF < 4 || NF > 5 || $2 != "|" || $1 != $3 || ($1 != "a" && $1 != "b" && $1 != "c") {
		if ($0 != "sh | main-done" && bad++ < 3) print "bad line " NR ": " substr($0, 1, 80); next }
	$4 != last[$1] + 1 { if (bad++ < 3) print $1 ": " $4 " after " last[$1] }
	length($5) != ($4 * 7919) % 6000 { if (bad++ < 3) print $1 " " $4 ": " length($5) " x" }
	{ last[$1] = $4; lines++ }
	END { print lines " lines, last " last["a"] " " last["b"] " " last["c"] ", " bad + 0 " bad" }' "$T/out")
is "$(printf '%s\n' "$check" | tail -1)" "30000 lines, last 10000 10000 10000, 0 bad" \
	"every line arrived once, whole, in order, with its service's prefix"
[ "$(printf '%s\n' "$check" | wc -l)" -gt 1 ] && diag "$(printf '%s\n' "$check" | head -3)"
is "$(grep -c '^sh | main-done$' "$T/out")" 1 "the main command's line has its program's name in front"
is "$(cat "$T/err")" "" "nothing on stderr (no drop, no error)"

# --- A line over 16 KiB is cut in pieces of 16,384 bytes, all but the last marked " [...]";
# an unfinished last line gets its newline; stderr lines go to usher's stderr, prefixed.
cat >"$T/long.sh" <<'EOF'
awk 'BEGIN { p = "y"; while (length(p) < 40000) p = p p; print substr(p, 1, 40000)
	print "to-err" > "/dev/stderr"; printf "after" }'
EOF
printf '[Service]\nLogPrefix=yes\n[Service long]\nType=oneshot\nExecStart=/bin/sh %s/long.sh\n' "$T" >"$T/long.conf"
in_pidns "$USHER" --config "$T/long.conf" -- true >"$T/out" 2>"$T/err"; rc=$?
is "$rc" 0 "a 40,000-byte line: exit 0"
is "$(awk '{ print length($0) ":" substr($0, 1, 7) ":" substr($0, length($0) - 5) }' "$T/out" | tr '\n' ' ')" \
	"16397:long | : [...] 16397:long | : [...] 7239:long | :yyyyyy 12:long | : after " \
	"... printed as 16,384 + 16,384 + 7,232 bytes, marked, each with the prefix; the unfinished line ended"
is "$(cat "$T/err")" "long | to-err" "stderr lines go to usher's stderr, prefixed"

# --- LogPrefix off: the children inherit usher's own descriptors (zero copies).
printf '[Service peek]\nType=oneshot\nExecStart=/bin/sh -c "readlink /proc/self/fd/2 > %s/fd2"\n' "$T" >"$T/off.conf"
in_pidns "$USHER" --config "$T/off.conf" -- true >"$T/out" 2>"$T/err"
is "$(cat "$T/fd2")" "$T/err" "LogPrefix off: a service's stderr is usher's own file, not a pipe"
printf '[Service]\nLogPrefix=yes\n' >>"$T/off.conf"
in_pidns "$USHER" --config "$T/off.conf" -- true >"$T/out" 2>"$T/err"
like "$(cat "$T/fd2")" '^pipe:' "LogPrefix on: it is a relay pipe"

# --- usher's stdout stalls (a reader that sleeps 2 s): the service writing there is slowed
# down, nothing of it is lost; another service goes on logging to stderr, the main command gets
# its signal and ends usher on time.
mkfifo "$T/fifo"
cat >"$T/stall.conf" <<EOF
[Service]
LogPrefix=yes
[Service flood]
ExecStart=/bin/sh -c "seq -f 'flood %.0f' 30000; echo flood-done \$\$(date +%s%N) >&2; exec sleep 100"
[Service ticker]
ExecStart=/bin/sh -c 'while :; do echo tick \$\$(date +%s%N) >&2; sleep 0.1; done'
EOF
{ sleep 2; ns >"$T/resumed"; cat >"$T/out"; } <"$T/fifo" &
reader=$!; pids_to_kill+=("$reader")
started=$(ns)
unshare --pid --fork --mount-proc "$USHER" --config "$T/stall.conf" -- sh -c "trap 'echo usr1 \$(date +%s%N) >> $T/usr1' USR1; i=0; while [ \$i -lt 30 ]; do sleep 0.1; i=\$((i+1)); done; exit 7" \
	>"$T/fifo" 2>"$T/err" &
ns_pid=$!; pids_to_kill+=("$ns_pid")
has_child() { [ -n "$(children_of "$1")" ]; }
wait_for 10 has_child "$ns_pid"
upid=$(children_of "$ns_pid")
pids_to_kill+=("$upid")
sleep 0.8
kill -USR1 "$upid"
wait "$ns_pid"; rc=$?
took=$(( ($(ns) - started) / 1000000 ))
wait "$reader"
resumed=$(cat "$T/resumed")
is "$rc" 7 "stalled stdout: the main command's exit code ends usher"
ok $(( took < 15000 ? 0 : 1 )) "... on time (${took} ms; the command runs ~3 s)"
usr1=$(sed -n 's/^usr1 //p' "$T/usr1" 2>/dev/null | head -1)
ok $(( ${usr1:-0} > 0 && ${usr1:-0} < resumed ? 0 : 1 )) "SIGUSR1 reached the main command while stdout was stalled"
ticks=$(awk -v r="$resumed" '$1 == "ticker" && $4 < r { n++ } END { print n + 0 }' "$T/err")
ok $(( ticks >= 5 ? 0 : 1 )) "another service kept logging to stderr meanwhile ($ticks lines before the reader came back)"
done_at=$(sed -n 's/^flood | flood-done //p' "$T/err")
ok $(( ${done_at:-0} > resumed ? 0 : 1 )) "the service writing to the stalled stdout was slowed down (it finished after the reader came back)"
is "$(awk '$1 == "flood" && $4 == ++n { ok++ } END { print ok + 0 "/" NR }' "$T/out")" "30000/30000" \
	"... and none of its 30,000 lines was lost or mixed"
unlike "$(cat "$T/err")" "dropped" "nothing was dropped"

# --- A slow reader (4 KiB every 5 ms) and two services on the same stdout: one floods it,
# the other prints 20 lines once. Turns are fair: the 20 lines come early, not after the flood.
cat >"$T/fair.conf" <<'EOF'
[Service]
LogPrefix=yes
[Service flood]
ExecStart=/bin/sh -c 'seq -f "flood %.0f" 40000; exec sleep 100'
[Service quiet]
ExecStart=/bin/sh -c 'sleep 0.2; seq -f "quiet %.0f" 20; exec sleep 100'
EOF
in_pidns "$USHER" --config "$T/fair.conf" -- sleep 4 2>"$T/err" |
	python3 -c 'import sys, time
while True:
    b = sys.stdin.buffer.read1(4096)
    if not b: break
    sys.stdout.buffer.write(b); time.sleep(0.005)' >"$T/out"
rc=${PIPESTATUS[0]}
is "$rc" 0 "slow reader, two services: exit 0"
where=$(awk '$3 == "quiet" && $4 == 20 { q = NR } $3 == "flood" { f = $4 } END { print (q ? q : "none") " " f + 0 }' "$T/out")
diag "quiet's last line is line ${where% *} of the output; flood got to line ${where#* }"
is "$(awk '$3 == "quiet" { n++ } END { print n + 0 }' "$T/out")" 20 "... the quiet service's 20 lines all came"
first_flood_after=$(awk '$3 == "quiet" && $4 == 20 { print last + 0; exit } $3 == "flood" { last = $4 }' "$T/out")
ok $(( ${first_flood_after:-40000} < 20000 ? 0 : 1 )) "... before the flood was half through (after flood line ${first_flood_after:-none} of 40,000): the flood did not starve it"

# --- A stdout nobody ever reads: usher still ends on time and says what it dropped.
exec 7<>"$T/fifo"
cat >"$T/never.conf" <<'EOF'
[Service]
LogPrefix=yes
[Service flood]
ExecStart=/bin/sh -c 'while :; do echo flood-xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx; done'
EOF
started=$(ns)
timeout 60 unshare --pid --fork --mount-proc "$USHER" --config "$T/never.conf" -- sh -c 'sleep 1; echo main-says-bye >&2; exit 3' \
	>"$T/fifo" 2>"$T/err"; rc=$?
took=$(( ($(ns) - started) / 1000000 ))
exec 7>&-
is "$rc" 3 "a stdout nobody reads: exit code of the main command"
ok $(( took < 15000 ? 0 : 1 )) "... on time (${took} ms; the command runs 1 s, the flush waits at most 1 s more)"
like "$(cat "$T/err")" '^sh \| main-says-bye$' "... the main command's stderr line still came"
like "$(cat "$T/err")" '^usher: relay: [0-9]+ bytes of output dropped at exit: stdout was not writable$' \
	"... and what could not be written is counted on stderr"

# --- A service restarted while nobody reads stdout: what its last run left unwritten is
# dropped when the new run starts, counted, and said on stdout once it moves again.
cat >"$T/again.conf" <<EOF
[Service]
LogPrefix=yes
[Service again]
ExecStart=/bin/sh -c 'if [ -e $T/again ]; then seq -f "second %.0f" 3000; exec sleep 100; fi; touch $T/again; seq -f "first %.0f" 6000; exit 1'
EOF
{ sleep 2; cat >"$T/out"; } <"$T/fifo" &
reader=$!; pids_to_kill+=("$reader")
in_pidns "$USHER" --config "$T/again.conf" -- sleep 3 >"$T/fifo" 2>"$T/err"; rc=$?
wait "$reader"
is "$rc" 0 "restart while stdout is stalled: exit 0"
like "$(cat "$T/out")" '^usher: relay: [0-9]+ bytes of output dropped: stdout was not writable when their streams closed$' \
	"... what the first run left unwritten is counted, on stdout once the reader came back"
is "$(awk '$3 == "second" && $4 == ++n { k++ } END { print k + 0 }' "$T/out")" 3000 "... the second run's lines all came"

# --- The reader of stdout goes away (EPIPE): said once on stderr; the rest goes on.
printf '[Service]\nLogPrefix=yes\n[Service chatty]\nExecStart=/bin/sh -c "seq 100000"\n' >"$T/epipe.conf"
in_pidns "$USHER" --config "$T/epipe.conf" -- sh -c 'sleep 1; echo main-err >&2; exit 4' 2>"$T/err" | head -2 >"$T/out"
rc=${PIPESTATUS[0]}
is "$rc" 4 "stdout's reader gone: the main command still runs to its end"
is "$(cat "$T/out")" "chatty | 1
chatty | 2" "... after the lines that were read"
is "$(cat "$T/err")" "usher: relay: stdout: Broken pipe; output relayed to it is dropped
sh | main-err" "... one line on stderr says so; stderr goes on"

# --- A User=1000 service (and main command) reopening its stdio: /proc/self/fd/1, /dev/stdout,
# /dev/stderr are the relay's pipes, given to that user.
if [ "$(id -u)" -ne 0 ]; then
	skip "User= needs root"
else
	cat >"$T/user.conf" <<'EOF'
[Service]
LogPrefix=yes
[Service web]
User=1000
DropCapabilities=ALL
NoNewPrivileges=yes
Type=oneshot
ExecStart=/bin/sh -c 'echo uid $$(id -u); echo via-proc > /proc/self/fd/1; echo via-dev-stdout > /dev/stdout; echo via-dev-stderr > /dev/stderr; echo via-proc-2 > /proc/self/fd/2'
EOF
	in_pidns "$USHER" --config "$T/user.conf" --user 1000 -- sh -c 'echo main > /dev/stdout; echo main-err > /proc/self/fd/2' \
		>"$T/out" 2>"$T/err"; rc=$?
	is "$rc" 0 "User=1000 with LogPrefix: exit 0"
	is "$(sort "$T/out" | tr '\n' ' ')" "sh | main web | uid 1000 web | via-dev-stdout web | via-proc " \
		"... it reopened /proc/self/fd/1 and /dev/stdout (the main command too, --user 1000)"
	is "$(sort "$T/err" | tr '\n' ' ')" "sh | main-err web | via-dev-stderr web | via-proc-2 " \
		"... and /dev/stderr, /proc/self/fd/2: no EACCES"
fi
# --- A service that logs every 0.2 s keeps the loop from ever having a quiet second; usher
# still hands back its start-up pages (init/trim.c) once everything runs: RSS drops.
# (It stayed at its start-up size before. Release build only: ASan's RSS is its shadow.)
if [ "${STATIC_BUILD:-0}" = 1 ]; then
	printf '[Service]\nLogPrefix=yes\n[Service tick]\nExecStart=/bin/sh -c "while :; do echo tick; sleep 0.2; done"\n' >"$T/tick.conf"
	"$USHER" --config "$T/tick.conf" -- sleep 30 >/dev/null 2>&1 & up=$!; pids_to_kill+=("$up")
	sleep 0.6; early=$(awk '/^VmRSS/ { print $2 }' /proc/$up/status)
	sleep 2.5; late=$(awk '/^VmRSS/ { print $2 }' /proc/$up/status)
	[ -n "$early" ] && [ -n "$late" ] && [ "$late" -le $((early - 48)) ]
	ok $? "a service logging every 0.2 s: usher's RSS drops after start-up (${early:-?} kB -> ${late:-?} kB)"
	kill -TERM "$up"; wait "$up" 2>/dev/null
else
	skip "RSS after the trim: release build only"
fi

done_testing
