#!/usr/bin/env bash
# tests/init/exit-codes.t — usher exits with the workload's code, 128+N for signal N,
# 125/126/127 for its own failures; as PID 1 of a new PID namespace and as a plain child.
. "$SOURCE_ROOT/tests/lib/tap.sh"
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
printf 'not a program\n' > "$tmp/not-executable"; chmod 644 "$tmp/not-executable"

run() { # MODE ARGS... -> prints exit status
	local mode=$1; shift
	if [ "$mode" = pid1 ]; then in_pidns "$USHER" "$@" 2>"$tmp/err"; else "$USHER" "$@" 2>"$tmp/err"; fi
	echo $?
}

for mode in pid1 plain; do
	is "$(run $mode -- /bin/true)" 0 "$mode: exit 0 passes through"
	is "$(run $mode -- sh -c 'exit 3')" 3 "$mode: exit 3 passes through"
	is "$(run $mode -- /no/such/program)" 127 "$mode: missing command gives 127"
	like "$(cat "$tmp/err")" '^usher: /no/such/program: No such file or directory$' "$mode: ... with a one-line error"
	is "$(run $mode -- no-such-command-anywhere)" 127 "$mode: command not on PATH gives 127"
	like "$(cat "$tmp/err")" 'no-such-command-anywhere: command not found' "$mode: ... naming the command"
	is "$(run $mode -- "$tmp/not-executable")" 126 "$mode: non-executable file gives 126"
	like "$(cat "$tmp/err")" 'Permission denied' "$mode: ... saying why"
	is "$(run $mode -- "$tmp")" 126 "$mode: a directory gives 126"
	is "$(run $mode -- sh -c 'kill -KILL $$')" 137 "$mode: death by SIGKILL gives 137"
	is "$(run $mode -- sh -c 'kill -TERM $$')" 143 "$mode: death by unhandled SIGTERM gives 143"
	is "$(run $mode -e 143 -- sh -c 'kill -TERM $$')" 0 "$mode: -e 143 maps 143 to 0"
	is "$(run $mode -e 143 -- sh -c 'exit 3')" 3 "$mode: -e 143 leaves other codes alone"
	is "$(run $mode --remap-exit=3 -- sh -c 'exit 3')" 0 "$mode: --remap-exit=3 maps 3 to 0"
done

is "$(run plain)" 125 "no command gives 125"
like "$(cat "$tmp/err")" '^usher: no command to run' "... with a usage hint"
is "$(run plain --bogus -- true)" 125 "unknown option gives 125"
like "$(cat "$tmp/err")" "unknown option '--bogus'" "... naming it"
is "$(run plain -e 300 -- true)" 125 "-e out of range gives 125"
is "$(run plain -p NOTASIG -- true)" 125 "-p with an unknown signal gives 125"
is "$(run plain -- sh -c 'exit 255')" 255 "exit 255 passes through"
# The workload starts with an empty signal mask even though usher blocks everything.
is "$("$USHER" -- "$BUILD_ROOT/tests/init/probe" sigmask)" "blocked=0" "workload starts with no blocked signal"
done_testing
