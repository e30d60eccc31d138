#!/usr/bin/env bash
# tests/creds/secrecy.t — a value loaded from a file reaches the workload only: never usher's own
# /proc/PID/cmdline or environ; usher is non-dumpable, so a same-user workload cannot read it.
. "$SOURCE_ROOT/tests/lib/tap.sh"
tmp=$(mktemp -d); trap 'kill $pid 2>/dev/null; rm -rf "$tmp"' EXIT
chmod 711 "$tmp"
secret=Zq9-only-in-the-file-7Hk
printf 'SECRET=%s\n' "$secret" > "$tmp/app.env"
chmod 600 "$tmp/app.env"

child_of() { awk '{print $1}' /proc/$1/task/$1/children 2>/dev/null; }
# True once usher's child has exec'd COMMAND (before that it is a copy of usher).
has_child() { local c; c=$(child_of $1); [ -n "$c" ] && [ "$(cat /proc/$c/comm 2>/dev/null)" = "$2" ]; }
has_secret() { tr '\0' '\n' < "$1" | grep -q -- "$secret"; }

"$USHER" --env-file "$tmp/app.env" -- /bin/sh -c 'sleep 300' sh '--pw=${SECRET}' 2>"$tmp/err" &
pid=$!
wait_for 60 has_child $pid sh
child=$(child_of $pid)
ok $? "the workload runs (pid $child)"
has_secret /proc/$child/environ; ok $? "control: the workload's environ holds the secret"
has_secret /proc/$child/cmdline; ok $? "control: the workload's argv holds the expanded secret"
has_secret /proc/$pid/environ; ok $((!$?)) "usher's /proc/PID/environ does not"
has_secret /proc/$pid/cmdline; ok $((!$?)) "usher's /proc/PID/cmdline does not"
like "$(tr '\0' ' ' < /proc/$pid/cmdline)" '--pw=\$\{SECRET\}' "usher's cmdline keeps the unexpanded text"
kill $pid; wait $pid 2>/dev/null

if [ "$(id -u)" != 0 ] || ! command -v setpriv >/dev/null; then
	skip "non-dumpable check needs root and setpriv to run usher as another user"
	skip "non-dumpable check needs root and setpriv"
	skip "non-dumpable check needs root and setpriv"
	skip "non-dumpable check needs root and setpriv"
else
	chown 65534 "$tmp/app.env"
	as_nobody() { setpriv --reuid=65534 --regid=65534 --clear-groups "$@"; }
	setpriv --reuid=65534 --regid=65534 --clear-groups \
		"$USHER" --env-file "$tmp/app.env" -- /bin/sleep 300 2>"$tmp/err" &
	pid=$!
	wait_for 60 has_child $pid sleep
	ok $? "usher runs as uid 65534 with its workload"
	child=$(child_of $pid)
	# A non-dumpable process's /proc files belong to root, whoever runs it.
	is "$(stat -c %u /proc/$child/environ)" 65534 "control: the workload (dumpable again after exec) owns its /proc files"
	is "$(stat -c %u /proc/$pid/environ)" 0 "usher running as uid 65534 is non-dumpable: its /proc files belong to root"
	as_nobody cat /proc/$pid/environ >/dev/null 2>&1
	ok $((!$?)) "a process of usher's own user cannot read usher's environ"
	kill $pid; wait $pid 2>/dev/null
fi

done_testing
