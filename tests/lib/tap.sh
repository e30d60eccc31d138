# tests/lib/tap.sh — TAP helpers for the shell tests: source it, call ok/is/skip, end with done_testing.
# Assertions print "ok N - what" or "not ok N - what" plus a diagnostic; the plan comes last.
_tap_n=0
_tap_failed=0

diag() { printf '# %s\n' "$*"; }

# ok STATUS DESCRIPTION — STATUS is a command's exit status (0 = pass).
ok() {
	_tap_n=$((_tap_n + 1))
	if [ "$1" -eq 0 ]; then
		printf 'ok %d - %s\n' "$_tap_n" "$2"
	else
		printf 'not ok %d - %s\n' "$_tap_n" "$2"
		_tap_failed=$((_tap_failed + 1))
	fi
}

# is GOT EXPECTED DESCRIPTION
is() {
	if [ "$1" = "$2" ]; then ok 0 "$3"; else ok 1 "$3"; diag "got:      '$1'"; diag "expected: '$2'"; fi
}

# isnt GOT UNEXPECTED DESCRIPTION
isnt() {
	if [ "$1" != "$2" ]; then ok 0 "$3"; else ok 1 "$3"; diag "got unwanted: '$1'"; fi
}

# like TEXT PATTERN(grep -E) DESCRIPTION
like() {
	if printf '%s' "$1" | grep -Eq -- "$2"; then ok 0 "$3"; else ok 1 "$3"; diag "text:    '$1'"; diag "pattern: '$2'"; fi
}

# unlike TEXT PATTERN(grep -E) DESCRIPTION
unlike() {
	if printf '%s' "$1" | grep -Eq -- "$2"; then ok 1 "$3"; diag "text:    '$1'"; diag "matched: '$2'"; else ok 0 "$3"; fi
}

# skip REASON — one skipped test.
skip() {
	_tap_n=$((_tap_n + 1))
	printf 'ok %d # SKIP %s\n' "$_tap_n" "$1"
}

done_testing() {
	printf '1..%d\n' "$_tap_n"
	[ "$_tap_failed" -eq 0 ]
}

# in_pidns CMD... — run CMD as PID 1 of a new PID namespace with its own /proc.
in_pidns() { unshare --pid --fork --mount-proc "$@"; }

# copy_for_any_user FROM TO — copies FROM's executables into TO (made 0755) and prints TO. A
# workload run as uid 1000 cannot reach a checkout in a 0700 directory (root's home, a
# mktemp -d): tests that switch users run their programs from such a copy in /tmp.
copy_for_any_user() {
	mkdir -p "$2" && chmod 0755 "$2" &&
		find "$1" -maxdepth 1 -type f -perm -u+x -exec cp -p {} "$2/" \; && printf '%s\n' "$2"
}

# wait_for TIMEOUT_S CMD... — poll CMD every 20 ms until it succeeds or TIMEOUT_S passes.
wait_for() {
	local limit=$(( $1 * 50 )) i=0
	shift
	while ! "$@" 2>/dev/null; do
		i=$((i + 1))
		[ "$i" -ge "$limit" ] && return 1
		sleep 0.02
	done
}
